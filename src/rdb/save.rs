//! Writing a dump: one value (rdbSaveObject), a key with its expire, the
//! aux fields, the whole dataset to a rio (with the EOF-mark framing that
//! diskless replication uses), to a file, and in a forked child (BGSAVE).
//!
//! Ports rdb.c from rdbSaveObject() to rdbRemoveTempFile(), Redis 5.0.14,
//! in the same order.

use super::*;

/// Save a Redis object. Returns the number of bytes written.
///
/// C: rdb.c rdbSaveObject()
pub(crate) fn rdb_save_object(
    server: &RedisServer,
    rdb: &mut Rio,
    o: &RObj,
) -> io::Result<usize> {
    let mut nwritten = 0;
    match &o.ptr {
        Value::Str(_) | Value::Int(_) => {
            // Save a string value
            nwritten += rdb_save_string_object(server, rdb, o)?;
        }
        Value::List(l) => {
            // Save a list value, head to tail.
            nwritten += rdb_save_len(rdb, l.len() as u64)?;
            for ele in l.iter() {
                nwritten += rdb_save_raw_string(server, rdb, ele)?;
            }
        }
        Value::Set(s) => match s {
            // Save a set value
            crate::t_set::Set::Ht(d) => {
                nwritten += rdb_save_len(rdb, d.dict_size() as u64)?;
                for de in d.iter() {
                    nwritten += rdb_save_raw_string(server, rdb, de.key())?;
                }
            }
            crate::t_set::Set::Intset(is) => {
                nwritten += rdb_save_raw_string(server, rdb, is.as_blob())?;
            }
        },
        Value::ZSet(zs) => {
            // Save a sorted set value
            nwritten += rdb_save_len(rdb, zs.len() as u64)?;
            // We save the elements from the greatest to the smallest (that's
            // trivial since the elements are already ordered in the
            // skiplist): this improves the load process, since the next
            // loaded element will always be the smaller, so adding to the
            // skiplist will always immediately stop at the head, making the
            // insertion O(1) instead of O(log(N)).
            for (ele, score) in zs.iter().rev() {
                nwritten += rdb_save_raw_string(server, rdb, ele)?;
                nwritten += rdb_save_binary_double_value(rdb, score)?;
            }
        }
        Value::Hash(h) => {
            // Save a hash value
            nwritten += rdb_save_len(rdb, h.len() as u64)?;
            for (field, value) in h.iter() {
                nwritten += rdb_save_raw_string(server, rdb, field)?;
                nwritten += rdb_save_raw_string(server, rdb, value)?;
            }
        }
        Value::Stream(s) => {
            // Store how many listpacks we have inside the radix tree.
            nwritten += rdb_save_len(rdb, s.rax.len() as u64)?;

            // Serialize all the listpacks inside the radix tree as they
            // are, when loading back, we'll use the first entry of each
            // listpack to insert it back into the radix tree.
            for (key, lp) in &s.rax {
                nwritten += rdb_save_raw_string(server, rdb, key)?;
                nwritten += rdb_save_raw_string(server, rdb, lp)?;
            }

            // Save the number of elements inside the stream. We cannot
            // obtain this easily later, since our macro nodes should be
            // checked for number of items: not a great CPU / space
            // tradeoff.
            nwritten += rdb_save_len(rdb, s.length)?;
            // Save the last entry ID.
            nwritten += rdb_save_len(rdb, s.last_id.ms)?;
            nwritten += rdb_save_len(rdb, s.last_id.seq)?;

            // The consumer groups and their clients are part of the stream
            // type, so serialize every consumer group.

            // Save the number of groups.
            let num_cgroups = s.cgroups.as_ref().map_or(0, |g| g.len());
            nwritten += rdb_save_len(rdb, num_cgroups as u64)?;

            if let Some(cgroups) = &s.cgroups {
                // Serialize each consumer group.
                for (name, cg) in cgroups {
                    // Save the group name.
                    nwritten += rdb_save_raw_string(server, rdb, name)?;

                    // Last ID.
                    nwritten += rdb_save_len(rdb, cg.last_id.ms)?;
                    nwritten += rdb_save_len(rdb, cg.last_id.seq)?;

                    // Save the global PEL.
                    nwritten += rdb_save_stream_pel(
                        rdb,
                        cg.pel.iter().map(|(k, n)| (k, Some(n))),
                        cg.pel.len(),
                    )?;

                    // Save the consumers of this group.
                    nwritten += rdb_save_stream_consumers(rdb, server, cg)?;
                }
            }
        }
    }
    Ok(nwritten)
}

/// Serialize the stream PEL: the IDs as 128 bit big endian numbers, like
/// they are inside the radix tree key, with the delivery time and count
/// of each NACK when `nacks` come with them (the group's global PEL).
///
/// C: rdb.c rdbSaveStreamPEL()
pub(crate) fn rdb_save_stream_pel<'a>(
    rdb: &mut Rio,
    pel: impl Iterator<
        Item = (
            &'a crate::t_stream::StreamKey,
            Option<&'a crate::t_stream::StreamNACK>,
        ),
    >,
    size: usize,
) -> io::Result<usize> {
    let mut nwritten = 0;

    // Number of entries in the PEL.
    nwritten += rdb_save_len(rdb, size as u64)?;

    // Save each entry.
    for (key, nack) in pel {
        // We store IDs in raw form as 128 big big endian numbers, like
        // they are inside the radix tree key.
        nwritten += rdb_write_raw(rdb, key)?;

        if let Some(nack) = nack {
            nwritten += rdb_save_millisecond_time(rdb, nack.delivery_time)?;
            nwritten += rdb_save_len(rdb, nack.delivery_count)?;
            // We don't save the consumer name: we'll save the pending IDs
            // for each consumer in the consumer PEL, and resolve the
            // consumer at loading time.
        }
    }
    Ok(nwritten)
}

/// Serialize the consumers of a stream consumer group into the RDB. Helper
/// function for the stream data type serialization. What we do here is to
/// persist the consumer metadata, and it's PEL, for each consumer.
///
/// C: rdb.c rdbSaveStreamConsumers()
pub(crate) fn rdb_save_stream_consumers(
    rdb: &mut Rio,
    server: &RedisServer,
    cg: &crate::t_stream::StreamCG,
) -> io::Result<usize> {
    let mut nwritten = 0;

    // Number of consumers in this consumer group.
    nwritten += rdb_save_len(rdb, cg.consumers.len() as u64)?;

    // Save each consumer.
    for (name, consumer) in &cg.consumers {
        // Consumer name.
        nwritten += rdb_save_raw_string(server, rdb, name)?;

        // Last seen time.
        nwritten += rdb_save_millisecond_time(rdb, consumer.seen_time)?;

        // Consumer PEL, without the ACKs (see last parameter of the
        // function passed with value of 0), at loading time we'll lookup
        // the ID in the consumer group global PEL and will put a reference
        // in the consumer local PEL.
        nwritten += rdb_save_stream_pel(
            rdb,
            consumer.pel.iter().map(|k| (k, None)),
            consumer.pel.len(),
        )?;
    }
    Ok(nwritten)
}

/// Save a key-value pair, with expire time, type, key, value. On success
/// if the key was actually saved 1 is returned.
///
/// C: rdb.c rdbSaveKeyValuePair()
pub(crate) fn rdb_save_key_value_pair(
    server: &RedisServer,
    rdb: &mut Rio,
    key: &[u8],
    val: &RObj,
    expiretime: i64,
) -> io::Result<i32> {
    let savelru = server.maxmemory_policy & MAXMEMORY_FLAG_LRU != 0;
    let savelfu = server.maxmemory_policy & MAXMEMORY_FLAG_LFU != 0;

    // Save the expire time
    if expiretime != -1 {
        rdb_save_type(rdb, RDB_OPCODE_EXPIRETIME_MS)?;
        rdb_save_millisecond_time(rdb, expiretime)?;
    }

    // Save the LRU info.
    if savelru {
        let mut idletime = estimate_object_idle_time(server, val);
        idletime /= 1000; // Using seconds is enough and requires less space.
        rdb_save_type(rdb, RDB_OPCODE_IDLE)?;
        rdb_save_len(rdb, idletime)?;
    }

    // Save the LFU info.
    if savelfu {
        let buf = [lfu_decr_and_return(server, val) as u8];
        // We can encode this in exactly two bytes: the opcode and an 8 bit
        // counter, since the frequency is logarithmic with a 0-255 range.
        // Note that we do not store the halving time because to reset it a
        // single time when loading does not affect the frequency much.
        rdb_save_type(rdb, RDB_OPCODE_FREQ)?;
        rdb_write_raw(rdb, &buf)?;
    }

    // Save type, key, value
    rdb_save_object_type(rdb, val)?;
    rdb_save_raw_string(server, rdb, key)?;
    rdb_save_object(server, rdb, val)?;
    Ok(1)
}

/// Save an AUX field.
///
/// C: rdb.c rdbSaveAuxField()
pub(crate) fn rdb_save_aux_field(
    server: &RedisServer,
    rdb: &mut Rio,
    key: &[u8],
    val: &[u8],
) -> io::Result<usize> {
    let mut len = rdb_save_type(rdb, RDB_OPCODE_AUX)?;
    len += rdb_save_raw_string(server, rdb, key)?;
    len += rdb_save_raw_string(server, rdb, val)?;
    Ok(len)
}

/// Wrapper for rdbSaveAuxField() used when key/val are strings.
///
/// C: rdb.c rdbSaveAuxFieldStrStr()
pub(crate) fn rdb_save_aux_field_str_str(
    server: &RedisServer,
    rdb: &mut Rio,
    key: &str,
    val: &[u8],
) -> io::Result<usize> {
    rdb_save_aux_field(server, rdb, key.as_bytes(), val)
}

/// Wrapper for strlen(key) + integer type (up to long long range).
///
/// C: rdb.c rdbSaveAuxFieldStrInt()
pub(crate) fn rdb_save_aux_field_str_int(
    server: &RedisServer,
    rdb: &mut Rio,
    key: &str,
    val: i64,
) -> io::Result<usize> {
    rdb_save_aux_field(server, rdb, key.as_bytes(), &ll2string(val))
}

/// Save a few default AUX fields with information about the RDB generated.
///
/// C: rdb.c rdbSaveInfoAuxFields()
pub(crate) fn rdb_save_info_aux_fields(
    server: &RedisServer,
    rdb: &mut Rio,
    flags: i32,
    rsi: Option<&RdbSaveInfo>,
) -> io::Result<()> {
    let redis_bits = (std::mem::size_of::<usize>() * 8) as i64;
    let aof_preamble = (flags & RDB_SAVE_AOF_PREAMBLE != 0) as i64;

    // Add a few fields about the state when the RDB was created.
    rdb_save_aux_field_str_str(
        server,
        rdb,
        "redis-ver",
        crate::REDIS_VERSION.as_bytes(),
    )?;
    rdb_save_aux_field_str_int(server, rdb, "redis-bits", redis_bits)?;
    rdb_save_aux_field_str_int(server, rdb, "ctime", now_secs())?;
    rdb_save_aux_field_str_int(
        server,
        rdb,
        "used-mem",
        crate::util::zmalloc_used_memory() as i64,
    )?;

    // Handle saving options that generate aux fields.
    if let Some(rsi) = rsi {
        rdb_save_aux_field_str_int(
            server,
            rdb,
            "repl-stream-db",
            rsi.repl_stream_db as i64,
        )?;
        rdb_save_aux_field_str_str(server, rdb, "repl-id", &server.replid)?;
        rdb_save_aux_field_str_int(
            server,
            rdb,
            "repl-offset",
            server.master_repl_offset,
        )?;
    }
    rdb_save_aux_field_str_int(server, rdb, "aof-preamble", aof_preamble)?;
    Ok(())
}

/// time(NULL). (no C twin)
pub(super) fn now_secs() -> i64 {
    mstime() / 1000
}

/// Produces a dump of the database in RDB format sending it to the
/// specified Redis I/O channel. On error the io::Error of the failed
/// write is returned (C stores errno in `*error`), and part of the
/// output, or all the output, can be missing.
///
/// C: rdb.c rdbSaveRio()
pub fn rdb_save_rio(
    server: &RedisServer,
    rdb: &mut Rio,
    flags: i32,
    rsi: Option<&RdbSaveInfo>,
) -> io::Result<()> {
    if server.rdb_checksum {
        rdb.update_cksum = Some(rio_generic_update_checksum);
    }
    let magic = format!("REDIS{:04}", RDB_VERSION);
    rdb_write_raw(rdb, magic.as_bytes())?;
    rdb_save_info_aux_fields(server, rdb, flags, rsi)?;
    // Divergence from C: no modules, so no module AUX data before (or
    // after) the keys.

    let mut processed = 0;
    for j in 0..server.dbnum as usize {
        let db = &server.db[j];
        if db.dict.dict_size() == 0 {
            continue;
        }

        // Write the SELECT DB opcode
        rdb_save_type(rdb, RDB_OPCODE_SELECTDB)?;
        rdb_save_len(rdb, j as u64)?;

        // Write the RESIZE DB opcode. These sizes are just hints to resize
        // the hash tables when loading.
        let db_size = db.dict.dict_size() as u64;
        let expires_size = db.expires.dict_size() as u64;
        rdb_save_type(rdb, RDB_OPCODE_RESIZEDB)?;
        rdb_save_len(rdb, db_size)?;
        rdb_save_len(rdb, expires_size)?;

        // Iterate this DB writing every entry
        for de in db.dict.iter() {
            let key: &[u8] = de.key();
            let expire = get_expire(server, j, key);
            rdb_save_key_value_pair(server, rdb, key, de.val(), expire)?;
            // When this RDB is produced as part of an AOF rewrite, move
            // accumulated diff from parent to child while rewriting in
            // order to have a smaller final write.
            if flags & RDB_SAVE_AOF_PREAMBLE != 0
                && rdb.processed_bytes
                    > processed + crate::aof::AOF_READ_DIFF_INTERVAL_BYTES
            {
                processed = rdb.processed_bytes;
                crate::aof::aof_read_diff_from_parent(server);
            }
        }
    }

    // If we are storing the replication information on disk, persist the
    // script cache as well: on successful PSYNC after a restart, we need to
    // be able to process any EVALSHA inside the replication backlog the
    // master will send us.
    if rsi.is_some() && !server.lua_scripts.is_empty() {
        for body in server.lua_scripts.values() {
            rdb_save_aux_field(server, rdb, b"lua", body)?;
        }
    }

    // EOF opcode
    rdb_save_type(rdb, RDB_OPCODE_EOF)?;

    // CRC64 checksum. It will be zero if checksum computation is disabled,
    // the loading code skips the check in this case.
    let cksum = rdb.cksum.to_le_bytes();
    rio_write(rdb, &cksum)?;
    Ok(())
}

/// This is just a wrapper to rdbSaveRio() that additionally adds a prefix
/// and a suffix to the generated RDB dump. The prefix is:
///
/// $EOF:<40 bytes unguessable hex string>\r\n
///
/// While the suffix is the 40 bytes hex string we announced in the prefix.
/// This way processes receiving the payload can understand when it ends
/// without doing any processing of the content.
///
/// C: rdb.c rdbSaveRioWithEOFMark()
pub(crate) fn rdb_save_rio_with_eof_mark(
    server: &RedisServer,
    rdb: &mut Rio,
    rsi: Option<&RdbSaveInfo>,
) -> io::Result<()> {
    let eofmark = get_random_hex_chars();
    rio_write(rdb, b"$EOF:")?;
    rio_write(rdb, &eofmark)?;
    rio_write(rdb, b"\r\n")?;
    rdb_save_rio(server, rdb, RDB_SAVE_NONE, rsi)?;
    rio_write(rdb, &eofmark)?;
    Ok(())
}

/// getcwd() for the log lines, "unknown" if it fails. (no C twin)
fn cwd_for_log() -> String {
    std::env::current_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "unknown".to_string())
}

/// Save the DB on disk: into temp-<pid>.rdb, synced, then renamed over
/// `filename` so the file is replaced atomically and only once complete.
///
/// C: rdb.c rdbSave()
pub(crate) fn rdb_save(
    server: &mut RedisServer,
    filename: &str,
    rsi: Option<&RdbSaveInfo>,
) -> CResult {
    let tmpfile = format!("temp-{}.rdb", std::process::id());
    let fp = match std::fs::File::create(&tmpfile) {
        Ok(f) => f,
        Err(e) => {
            server_log!(
                server,
                LL_WARNING,
                "Failed opening the RDB file {} (in server root dir {}) for saving: {}",
                filename,
                cwd_for_log(),
                crate::util::strerror(&e)
            );
            return Err(CErr);
        }
    };

    let mut rdb = rio_init_with_file(fp);
    if server.rdb_save_incremental_fsync {
        rio_set_auto_sync(&mut rdb, REDIS_AUTOSYNC_BYTES);
    }

    let written =
        rdb_save_rio(server, &mut rdb, RDB_SAVE_NONE, rsi).and_then(|()| {
            // Make sure data will not remain on the OS's output buffers
            let fp = rio_into_file(rdb).expect("a file rio");
            let file = fp.fclose()?;
            file.sync_all()?;
            Ok(())
        });
    if let Err(e) = written {
        // C: the werr: label
        server_log!(
            server,
            LL_WARNING,
            "Write error saving DB on disk: {}",
            crate::util::strerror(&e)
        );
        let _ = std::fs::remove_file(&tmpfile);
        return Err(CErr);
    }

    // Use RENAME to make sure the DB file is changed atomically only if
    // the generate DB file is ok.
    if let Err(e) = std::fs::rename(&tmpfile, filename) {
        server_log!(
            server,
            LL_WARNING,
            "Error moving temp DB file {} on the final destination {} (in server root dir {}): {}",
            tmpfile,
            filename,
            cwd_for_log(),
            crate::util::strerror(&e)
        );
        let _ = std::fs::remove_file(&tmpfile);
        return Err(CErr);
    }

    server_log!(server, LL_NOTICE, "DB saved on disk");
    server.dirty = 0;
    server.lastsave = now_secs();
    server.lastbgsave_status = Ok(());
    Ok(())
}

/// Resources of the parent that the child must not keep: the listening
/// sockets (a restarted server could not bind while a long save runs).
///
/// C: server.c closeClildUnusedResourceAfterFork()
pub(crate) fn close_clild_unused_resource_after_fork(server: &mut RedisServer) {
    close_listening_sockets(server, false);
    // The event trace is the parent's: the child neither writes to it nor
    // flushes the lines it inherited.
    crate::trace::forget_in_child(server);
}

/// Save the DB in the background: fork, and let the child write the file
/// while the parent goes on serving clients; server_cron reaps the child.
///
/// C: rdb.c rdbSaveBackground()
pub(crate) fn rdb_save_background(
    server: &mut RedisServer,
    filename: &str,
    rsi: Option<&RdbSaveInfo>,
) -> CResult {
    if server.aof_child_pid != -1 || server.rdb_child_pid != -1 {
        return Err(CErr);
    }

    server.dirty_before_bgsave = server.dirty;
    server.lastbgsave_try = now_secs();
    crate::childinfo::open_child_info_pipe(server);

    let start = ustime();
    // SAFETY: the child gets a consistent copy of the whole address space:
    // only this thread is copied, and the bio threads (bio.rs) hold nothing
    // it uses — their queue locks are never taken in the child, and
    // jemalloc's pthread_atfork handlers take every allocator lock across
    // the fork, so a bio thread freeing memory cannot leave one locked. The
    // child only reads the dataset, writes the RDB file
    // and the child-info pipe, and leaves through exit_from_child
    // (libc::_exit): no destructor runs and no buffer shared with the
    // parent is flushed twice. It never touches the event loop (the epoll
    // instance is shared with the parent).
    let childpid = unsafe { libc::fork() };
    if childpid == 0 {
        // Child
        close_clild_unused_resource_after_fork(server);
        // Divergence from C: no redisSetProcTitle("redis-rdb-bgsave").
        let retval = rdb_save(server, filename, rsi);
        if retval.is_ok() {
            let private_dirty = crate::childinfo::zmalloc_get_private_dirty();
            if private_dirty != 0 {
                server_log!(
                    server,
                    LL_NOTICE,
                    "RDB: {} MB of memory used by copy-on-write",
                    private_dirty / (1024 * 1024)
                );
            }
            server.child_info_data.cow_size = private_dirty;
            crate::childinfo::send_child_info(
                server,
                crate::childinfo::CHILD_INFO_TYPE_RDB,
            );
        }
        exit_from_child(if retval.is_ok() { 0 } else { 1 });
    } else {
        // Parent
        let fork_errno = io::Error::last_os_error();
        crate::server::fork_stats(server, start);
        if childpid == -1 {
            crate::childinfo::close_child_info_pipe(server);
            server.lastbgsave_status = Err(CErr);
            server_log!(
                server,
                LL_WARNING,
                "Can't save in background: fork: {}",
                crate::util::strerror(&fork_errno)
            );
            return Err(CErr);
        }
        crate::server::fork_started(
            server,
            childpid,
            "Background saving",
            "rdb",
        );
        server.rdb_save_time_start = now_secs();
        server.rdb_child_pid = childpid;
        server.rdb_child_type = RDB_CHILD_TYPE_DISK;
        update_dict_resize_policy(server);
        Ok(())
    }
}

/// Removes the temp file a (killed) saving child was writing.
///
/// C: rdb.c rdbRemoveTempFile()
pub(crate) fn rdb_remove_temp_file(childpid: i32) {
    // Builds the name on the stack and calls unlink(2) directly, so that
    // sigShutdownHandler can call it: no allocation, which would not be
    // safe in a signal handler that interrupted the allocator.
    let mut tmpfile = [0u8; 32];
    let mut i = tmpfile.len() - 1; // tmpfile[31] stays the NUL
    for b in b".rdb".iter().rev() {
        i -= 1;
        tmpfile[i] = *b;
    }
    let mut v = childpid.unsigned_abs();
    loop {
        i -= 1;
        tmpfile[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if childpid < 0 {
        i -= 1;
        tmpfile[i] = b'-';
    }
    for b in b"temp-".iter().rev() {
        i -= 1;
        tmpfile[i] = *b;
    }
    // SAFETY: tmpfile[i..] is a NUL-terminated name in our own buffer;
    // unlink(2) is async-signal-safe.
    unsafe { libc::unlink(tmpfile[i..].as_ptr() as *const libc::c_char) };
}
