//! DEBUG: the command tests and tools use to look under the hood (object
//! internals, hash table statistics, a digest of the whole dataset), to
//! make the server misbehave on purpose (sleep, crash), and to fill it with
//! keys (POPULATE).
//!
//! Ports debug.c from Redis 5.0.14: the "Debugging" section (digests and
//! debugCommand), then "Crash handling" (assertions, serverPanic, the
//! SIGSEGV handler's bug report with stack trace, INFO and CLIENT LIST),
//! the hex dump logger and the software watchdog (SIGALRM). Stack frames
//! are named from the debug info, inlined ones included, with the C twin
//! that build.rs collects from the `/// C:` markers. Signal handlers
//! allocate from an arena of their own (see "The handlers' allocator").
//!
//! Read this first: the digest functions must give the same bytes as C for
//! the same dataset, so that `DEBUG DIGEST` can compare oxredis with a real
//! Redis after a sync. The value of each type is mixed in exactly as C
//! mixes it.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize};
use std::sync::Mutex;

use crate::db::*;
use crate::networking::*;
use crate::object::*;
use crate::server::*;
use crate::server_log;

use crate::shared::{ERR, NOKEYERR, OK};
use crate::util::atoi;

// ================================= Debugging ==================================

/// The SHA1 of `data`. (no C twin: C's SHA1Init/Update/Final sequence)
fn sha1(data: &[u8]) -> [u8; 20] {
    sha1_smol::Sha1::from(data).digest().bytes()
}

/// Compute the sha1 of `ptr` and xor it into `digest`. Since xor is
/// commutative, this operation is used in order to "add" digests relative
/// to unordered elements: digest(a,b,c,d) is the same as digest(b,a,c,d).
///
/// C: debug.c xorDigest()
pub(crate) fn xor_digest(digest: &mut [u8; 20], ptr: &[u8]) {
    let hash = sha1(ptr);
    for j in 0..20 {
        digest[j] ^= hash[j];
    }
}

/// This function instead of just computing the SHA1 and xoring it against
/// digest, also perform the digest of "digest" itself and replace the old
/// value with the new one:
///
/// digest = SHA1(digest xor SHA1(data))
///
/// This function is used every time we want to preserve the order so that
/// digest(a,b,c,d) will be different than digest(b,c,d,a). Also note that
/// mixdigest("foo") followed by mixdigest("bar") will lead to a different
/// digest compared to "fo", "obar".
///
/// C: debug.c mixDigest()
pub(crate) fn mix_digest(digest: &mut [u8; 20], ptr: &[u8]) {
    xor_digest(digest, ptr);
    *digest = sha1(&digest[..]);
}

/// mix_digest() of a string value, integers rendered as decimal text.
///
/// C: debug.c mixStringObjectDigest()
pub(crate) fn mix_string_object_digest(digest: &mut [u8; 20], o: &RObj) {
    if let Some(s) = o.string_bytes() {
        mix_digest(digest, &s);
    }
}

/// This function computes the digest of a data structure stored in the
/// object 'o'. It is the core of the DEBUG DIGEST command: when taking the
/// digest of a whole dataset, we take the digest of the key and the value
/// pair, and xor all those together.
///
/// Note that this function does not reset the initial 'digest' passed, it
/// will continue mixing this object digest to anything that was already
/// present.
///
/// C: debug.c xorObjectDigest()
pub(crate) fn xor_object_digest(
    server: &RedisServer,
    dbid: usize,
    key: &[u8],
    digest: &mut [u8; 20],
    o: &RObj,
) {
    let aux = (o.obj_type() as u32).to_be_bytes(); // htonl(o->type)
    mix_digest(digest, &aux);
    let expiretime = get_expire(server, dbid, key);

    // Save the key and associated value
    match &o.ptr {
        Value::Str(_) | Value::Int(_) => mix_string_object_digest(digest, o),
        Value::List(l) => {
            // C walks with listTypeNext() from the head; integers packed
            // in a ziplist come back as their decimal text.
            for ele in l.iter() {
                mix_digest(digest, ele);
            }
        }
        Value::Set(s) => {
            // setTypeNextObject(): intset members as decimal text.
            for ele in s.iter() {
                xor_digest(digest, &ele);
            }
        }
        Value::ZSet(zs) => {
            // C walks the ziplist (members stored as integers are
            // rendered with ll2string, the same text they were given as)
            // or the skiplist encoding's dict; the order does not matter
            // since every element digest is xored in.
            for (ele, score) in zs.iter() {
                let mut eledigest = [0u8; 20];
                mix_digest(&mut eledigest, ele);
                mix_digest(&mut eledigest, fmt_g17(score).as_bytes());
                xor_digest(digest, &eledigest);
            }
        }
        Value::Hash(h) => {
            for (field, value) in h.iter() {
                let mut eledigest = [0u8; 20];
                mix_digest(&mut eledigest, field);
                mix_digest(&mut eledigest, value);
                xor_digest(digest, &eledigest);
            }
        }
        Value::Stream(s) => {
            let mut si = crate::t_stream::StreamIterator::start(
                &s.rax, None, None, false,
            );
            while let Some((id, mut numfields)) = si.get_id(&s.rax) {
                let itemid = format!("{}.{}", id.ms, id.seq);
                mix_digest(digest, itemid.as_bytes());

                while numfields > 0 {
                    let (field, value) = si.get_field(&s.rax);
                    mix_digest(digest, &field.to_vec());
                    mix_digest(digest, &value.to_vec());
                    numfields -= 1;
                }
            }
        }
    }
    // If the key has an expire, add it to the mix
    if expiretime != -1 {
        xor_digest(digest, b"!!expire!!");
    }
}

/// Compute the dataset digest. Since keys, sets elements, hashes elements
/// are not ordered, we use a trick: every aggregate digest is the xor of
/// the digests of their elements. This way the order will not change the
/// result. For list instead we use a feedback entering the output digest
/// as input in order to ensure that a different ordered list will result
/// in a different digest.
///
/// C: debug.c computeDatasetDigest()
pub fn compute_dataset_digest(server: &RedisServer) -> [u8; 20] {
    let mut final_ = [0u8; 20]; // Start with a clean result
    for (j, db) in server.db.iter().enumerate() {
        if db.dict.dict_size() == 0 {
            continue;
        }
        // hash the DB id, so the same dataset moved in a different DB will
        // lead to a different digest
        mix_digest(&mut final_, &(j as u32).to_be_bytes());

        // Iterate this DB writing every entry
        for de in db.dict.iter() {
            let key: &[u8] = de.key();
            let mut digest = [0u8; 20]; // This key-val digest
            mix_digest(&mut digest, key);
            xor_object_digest(server, j, key, &mut digest, de.val());
            // We can finally xor the key-val digest to the final digest
            xor_digest(&mut final_, &digest);
        }
    }
    final_
}

/// The 40 lower-case hex characters of a digest. (no C twin: C's loop of
/// sdscatprintf("%02x"))
fn digest_hex(digest: &[u8; 20]) -> String {
    digest.iter().map(|b| format!("{:02x}", b)).collect()
}

/// The number of bytes rdb.c's rdbSaveLen() writes for `len`.
/// (no C twin; see rdb_saved_string_len)
fn rdb_save_len_bytes(len: u64) -> usize {
    if len < 1 << 6 {
        1
    } else if len < 1 << 14 {
        2
    } else if len <= u32::MAX as u64 {
        5
    } else {
        9
    }
}

/// The bytes rdbEncodeInteger() needs for `v` (type byte included), or 0
/// when it does not fit in 32 bits. (no C twin; see rdb_saved_string_len)
fn rdb_encoded_integer_len(v: i64) -> usize {
    if (i8::MIN as i64..=i8::MAX as i64).contains(&v) {
        2
    } else if (i16::MIN as i64..=i16::MAX as i64).contains(&v) {
        3
    } else if (i32::MIN as i64..=i32::MAX as i64).contains(&v) {
        5
    } else {
        0
    }
}

/// DEBUG OBJECT's `serializedlength`: the length rdb.c would write for the
/// value. Strings are sized as rdbSaveStringObject() writes them (as an
/// integer, LZF-compressed, or length-prefixed).
///
/// (no C twin: stands in for rdb.c rdbSavedObjectLen() until rdb.rs has it)
fn rdb_saved_object_len(server: &RedisServer, o: &RObj) -> usize {
    match &o.ptr {
        // rdbSaveLongLongAsStringObject()
        Value::Int(v) => match rdb_encoded_integer_len(*v) {
            0 => {
                let len = digits10(*v);
                rdb_save_len_bytes(len as u64) + len
            }
            n => n,
        },
        // rdbSaveRawString()
        Value::Str(s) => {
            let len = s.len();
            // Try integer encoding
            if len <= 11 {
                if let Some(v) = string2ll(s) {
                    let n = rdb_encoded_integer_len(v);
                    if n > 0 {
                        return n;
                    }
                }
            }
            // Try LZF compression - under 20 bytes it's unable to compress
            // even aaaaaaaaaaaaaaaaaa so skip it
            if server.rdb_compression && len > 20 {
                // C gives up when the output does not fit in len-4 bytes.
                // Divergence from C: the lzf crate may pick other matches
                // than liblzf, so the compressed size can differ slightly.
                if let Ok(comp) = lzf::compress(s) {
                    if comp.len() <= len - 4 && !comp.is_empty() {
                        return 1
                            + rdb_save_len_bytes(comp.len() as u64)
                            + rdb_save_len_bytes(len as u64)
                            + comp.len();
                    }
                }
            }
            // Store verbatim
            rdb_save_len_bytes(len as u64) + len
        }
        // A stream is saved as 5.0 saves it (its listpacks as they are),
        // so its length is what rdbSaveObject() writes.
        Value::Stream(_) => {
            let mut rio = crate::rio::rio_init_with_buffer(Vec::new());
            crate::rdb::rdb_save_object(server, &mut rio, o).unwrap_or(0)
        }
        // TODO(rdb.rs): the aggregate types, with rdbSavedObjectLen().
        _ => 0,
    }
}

/// A C string argument: the bytes up to the first NUL, as `%s` prints
/// them. (no C twin)
fn c_str(s: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(&s[..memchr::memchr(0, s).unwrap_or(s.len())])
}

/// Fuzz stringmatchlen() trying to crash it with bad input.
///
/// Kept beside its only caller.
///
/// C: util.c stringmatchlen_fuzz_test()
fn stringmatchlen_fuzz_test() -> i32 {
    // C uses rand(); any generator serves the purpose.
    let mut x: u64 = ustime() as u64 | 1;
    let mut rand = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 33) as usize
    };
    let mut total_matches = 0;
    let mut str_ = [0u8; 32];
    let mut pat = [0u8; 32];
    for _ in 0..10_000_000 {
        let strlen = rand() % str_.len();
        let patlen = rand() % pat.len();
        for b in str_.iter_mut().take(strlen) {
            *b = (rand() % 128) as u8;
        }
        for b in pat.iter_mut().take(patlen) {
            *b = (rand() % 128) as u8;
        }
        total_matches +=
            crate::util::stringmatchlen(&pat[..patlen], &str_[..strlen], false)
                as i32;
    }
    total_matches
}

/// DEBUG POPULATE count [prefix] [size]: creates `count` string keys
/// `<prefix>:<n>` (prefix "key") holding `value:<n>`, or that text padded
/// with zero bytes (or cut) to `size` bytes; keys that exist are left
/// alone. Used to fill a server fast, so it builds each key and value in
/// place with exactly the bytes it needs.
///
/// (no C twin: the "populate" branch of debug.c debugCommand())
fn debug_populate(server: &mut RedisServer, c: &mut Client) {
    let argc = c.argv.len();
    let arg = c.argv[2].clone();
    let Some(keys) = get_long_from_object_or_reply(c, &arg, None) else {
        return;
    };
    let dbid = c.db;
    // Divergence from C: a negative count is not passed on to dictExpand
    // (which would take it as a huge unsigned size); the loop below does
    // nothing for it, as in C.
    if keys > 0 {
        let _ = server.db[dbid].dict.dict_expand(keys as usize);
    }
    // C parses the size again at every iteration; the first parse decides
    // (an error is replied before any key is added), so parse it once.
    let mut valsize: i64 = 0;
    if argc == 5 && keys > 0 {
        let arg = c.argv[4].clone();
        let Some(v) = get_long_from_object_or_reply(c, &arg, None) else {
            return;
        };
        // Divergence from C: C would try to allocate a negative size and
        // crash; a negative size is taken as no size.
        valsize = v.max(0);
    }
    let prefix: Vec<u8> = if argc == 3 {
        b"key".to_vec()
    } else {
        c_str(&c.argv[3]).into_owned().into_bytes()
    };
    let lru = crate::object::new_object_lru(server);
    let mut key: Vec<u8> = Vec::with_capacity(128);
    let mut val: Vec<u8> = Vec::with_capacity(32);
    let mut num = itoa_buf();
    for j in 0..keys.max(0) {
        // C formats "%s:%lu" into a 128 byte buffer: longer keys are cut.
        let digits = num.format(j);
        key.clear();
        key.extend_from_slice(&prefix);
        key.push(b':');
        key.extend_from_slice(digits);
        key.truncate(127);
        if lookup_key_write(server, dbid, &key).is_some() {
            continue;
        }
        val.clear();
        val.extend_from_slice(b"value:");
        val.extend_from_slice(digits);
        let v = if valsize == 0 {
            val.clone() // exact capacity
        } else {
            let mut v = vec![0u8; valsize as usize];
            let n = val.len().min(v.len());
            v[..n].copy_from_slice(&val[..n]);
            v
        };
        db_add(server, dbid, &key, create_string_object(lru, v));
        signal_modified_key(server, dbid, &key);
    }
    add_reply(c, OK);
}

/// A reusable decimal formatter for POPULATE's counters. (no C twin)
struct ItoaBuf([u8; 20]);

fn itoa_buf() -> ItoaBuf {
    ItoaBuf([0; 20])
}

impl ItoaBuf {
    /// The decimal digits of `v` (which is >= 0).
    fn format(&mut self, mut v: i64) -> &[u8] {
        let mut i = self.0.len();
        loop {
            i -= 1;
            self.0[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        &self.0[i..]
    }
}

/// DEBUG <subcommand> [args]: see the HELP text below.
///
/// C: debug.c debugCommand()
pub(crate) fn debug_command(server: &mut RedisServer, c: &mut Client) {
    let argc = c.argv.len();
    let sub = c.argv[1].clone();
    let is = |name: &str| sub.eq_ignore_ascii_case(name.as_bytes());

    if argc == 2 && is("help") {
        const HELP: &[&str] = &[
            "ASSERT -- Crash by assertion failed.",
            "CHANGE-REPL-ID -- Change the replication IDs of the instance. Dangerous, should be used only for testing the replication subsystem.",
            "CRASH-AND-RECOVER <milliseconds> -- Hard crash and restart after <milliseconds> delay.",
            "DIGEST -- Output a hex signature representing the current DB content.",
            "DIGEST-VALUE <key-1> ... <key-N>-- Output a hex signature of the values of all the specified keys.",
            "ERROR <string> -- Return a Redis protocol error with <string> as message. Useful for clients unit tests to simulate Redis errors.",
            "LOG <message> -- write message to the server log.",
            "HTSTATS <dbid> -- Return hash table statistics of the specified Redis database.",
            "HTSTATS-KEY <key> -- Like htstats but for the hash table stored as key's value.",
            "LOADAOF -- Flush the AOF buffers on disk and reload the AOF in memory.",
            "LUA-ALWAYS-REPLICATE-COMMANDS <0|1> -- Setting it to 1 makes Lua replication defaulting to replicating single commands, without the script having to enable effects replication.",
            "OBJECT <key> -- Show low level info about key and associated value.",
            "PANIC -- Crash the server simulating a panic.",
            "POPULATE <count> [prefix] [size] -- Create <count> string keys named key:<num>. If a prefix is specified is used instead of the 'key' prefix.",
            "RELOAD -- Save the RDB on disk and reload it back in memory.",
            "RESTART -- Graceful restart: save config, db, restart.",
            "SDSLEN <key> -- Show low level SDS string info representing key and value.",
            "SEGFAULT -- Crash the server with sigsegv.",
            "SET-ACTIVE-EXPIRE <0|1> -- Setting it to 0 disables expiring keys in background when they are not accessed (otherwise the Redis behavior). Setting it to 1 reenables back the default.",
            "SLEEP <seconds> -- Stop the server for <seconds>. Decimals allowed.",
            "STRUCTSIZE -- Return the size of different Redis core C structures.",
            "ZIPLIST <key> -- Show low level info about the ziplist encoding.",
            "STRINGMATCH-TEST -- Run a fuzz tester against the stringmatchlen() function.",
        ];
        let name = String::from_utf8_lossy(&c.argv[0]).into_owned();
        add_reply_help(c, &name, HELP);
    } else if is("segfault") {
        force_sigsegv();
    } else if is("panic") {
        let now = mstime() / 1000;
        crate::server_panic!(server, "DEBUG PANIC called at Unix time {}", now);
    } else if is("restart") || is("crash-and-recover") {
        let mut delay = 0i64;
        if argc >= 3 {
            let arg = c.argv[2].clone();
            match get_long_long_from_object_or_reply(c, &arg, None) {
                Some(v) => delay = v.max(0),
                None => return,
            }
        }
        let flags = if is("restart") {
            RESTART_SERVER_GRACEFULLY | RESTART_SERVER_CONFIG_REWRITE
        } else {
            RESTART_SERVER_NONE
        };
        // Only returns when the restart failed.
        let _ = crate::server::restart_server(server, flags, delay);
        add_reply_error(c, "failed to restart the server. Check server logs.");
    } else if is("oom") {
        // Divergence from C: C asks zmalloc for ULONG_MAX bytes and dies in
        // the out of memory handler; we log as that handler does and abort.
        // C does not catch SIGABRT; we do, so a bug report follows.
        server_log!(
            server,
            LL_WARNING,
            "Out Of Memory allocating {} bytes!",
            u64::MAX
        );
        std::process::abort();
    } else if is("assert") {
        let argv0 = create_string_object(0, c.argv[0].to_vec());
        _server_assert_with_info(
            server,
            Some(c),
            Some(&argv0),
            "1 == 2",
            file!(),
            line!(),
        );
    } else if is("log") && argc == 3 {
        server_log!(server, LL_WARNING, "DEBUG LOG: {}", c_str(&c.argv[2]));
        add_reply(c, OK);
    } else if is("reload") {
        // rdbSave(), emptyDb(), rdbLoad(): ported beside them in rdb.rs.
        crate::rdb::debug_reload(server, c);
    } else if is("loadaof") {
        if server.aof_state != crate::config::AOF_OFF {
            crate::aof::flush_append_only_file(server, true);
        }
        crate::db::empty_db(server, -1, crate::db::EMPTYDB_NO_FLAGS, None);
        crate::networking::protect_client(server, c);
        let filename = server.aof_filename.clone();
        let ret = crate::aof::load_append_only_file(server, &filename);
        crate::networking::unprotect_client(server, c);
        if ret.is_err() {
            add_reply(c, ERR);
            return;
        }
        server.dirty = 0; // Prevent AOF / replication
        server_log!(
            server,
            LL_WARNING,
            "Append Only File loaded by DEBUG LOADAOF"
        );
        add_reply(c, OK);
    } else if is("object") && argc == 3 {
        let key = c.argv[2].clone();
        let Some(de) = server.db[c.db].dict.find(&key) else {
            add_reply(c, NOKEYERR);
            return;
        };
        let val = de.val();
        let strenc = str_encoding(val.encoding);
        // TODO(t_list.rs): for OBJ_ENCODING_QUICKLIST, C appends
        // " ql_nodes:%lu ql_avg_node:%.2f ql_ziplist_max:%d
        // ql_compressed:%d ql_uncompressed_size:%lu".
        let extra = "";
        let line = format!(
            "Value at:{:p} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}{}",
            val as *const RObj,
            object_refcount(server, val),
            strenc,
            rdb_saved_object_len(server, val),
            val.lru,
            estimate_object_idle_time(server, val) / 1000,
            extra
        );
        add_reply_status(c, &line);
    } else if is("sdslen") && argc == 3 {
        let key = c.argv[2].clone();
        let Some(de) = server.db[c.db].dict.find(&key) else {
            add_reply(c, NOKEYERR);
            return;
        };
        match &de.val().ptr {
            Value::Str(s) => {
                // Divergence from C: keys and values carry no sds header;
                // "zmalloc" is the room for the bytes (Sds::capacity(); a
                // key is never grown, so it has no spare room).
                let k: &[u8] = de.key();
                let line = format!(
                    "key_sds_len:{}, key_sds_avail:{}, key_zmalloc: {}, val_sds_len:{}, val_sds_avail:{}, val_zmalloc: {}",
                    k.len(),
                    0,
                    k.len(),
                    s.len(),
                    s.capacity() - s.len(),
                    s.capacity()
                );
                add_reply_status(c, &line);
            }
            _ => add_reply_error(c, "Not an sds encoded string."),
        }
    } else if is("ziplist") && argc == 3 {
        let key = c.argv[2].clone();
        let Some(o) = object_command_lookup_or_reply(server, c, &key, NOKEYERR)
        else {
            return;
        };
        if o.encoding != OBJ_ENCODING_ZIPLIST {
            add_reply_error(c, "Not an sds encoded string.");
        } else {
            // TODO(ziplist.rs): ziplistRepr() prints the structure on
            // stdout.
            add_reply_status(c, "Ziplist structure printed on stdout");
        }
    } else if is("populate") && (3..=5).contains(&argc) {
        debug_populate(server, c);
    } else if is("digest") && argc == 2 {
        // DEBUG DIGEST (form without keys specified)
        let digest = compute_dataset_digest(server);
        add_reply_status(c, &digest_hex(&digest));
    } else if is("digest-value") && argc >= 2 {
        // DEBUG DIGEST-VALUE key key key ... key.
        add_reply_multi_bulk_len(c, argc as i64 - 2);
        for j in 2..argc {
            let key = c.argv[j].clone();
            let mut digest = [0u8; 20]; // Start with a clean result
            let dbid = c.db;
            // The lookup has its side effects (lazy expire, stats); the
            // value is then read again, as the digest needs the server too.
            if lookup_key_read_with_flags(
                server,
                dbid,
                &key,
                LOOKUP_NOTOUCH,
                Some(c),
            )
            .is_some()
            {
                if let Some(de) = server.db[dbid].dict.find(&key) {
                    xor_object_digest(
                        server,
                        dbid,
                        &key,
                        &mut digest,
                        de.val(),
                    );
                }
            }
            add_reply_status(c, &digest_hex(&digest));
        }
    } else if is("sleep") && argc == 3 {
        let dtime = strtod(&c.argv[2]).value;
        let utime = (dtime * 1_000_000.0) as i64;
        // A negative time makes C's nanosleep fail at once: no sleep.
        if utime > 0 {
            std::thread::sleep(std::time::Duration::from_micros(utime as u64));
        }
        add_reply(c, OK);
    } else if is("set-active-expire") && argc == 3 {
        server.active_expire_enabled = atoi(&c.argv[2]) != 0;
        add_reply(c, OK);
    } else if is("lua-always-replicate-commands") && argc == 3 {
        server.lua_always_replicate_commands = atoi(&c.argv[2]) != 0;
        add_reply(c, OK);
    } else if is("error") && argc == 3 {
        let mut errstr = Vec::with_capacity(c.argv[2].len() + 3);
        errstr.push(b'-');
        // no newlines in errors.
        errstr.extend(c.argv[2].iter().map(|&b| {
            if b == b'\n' || b == b'\r' {
                b' '
            } else {
                b
            }
        }));
        errstr.extend_from_slice(b"\r\n");
        add_reply(c, &errstr);
    } else if is("structsize") && argc == 2 {
        // Divergence from C: the sizes are those of our types; there are no
        // sds headers, so each sdshdr field shows the header of a Vec<u8>.
        use std::mem::size_of;
        let vec = size_of::<Vec<u8>>();
        let sizes = format!(
            "bits:{} robj:{} dictentry:{} sdshdr5:{} sdshdr8:{} sdshdr16:{} sdshdr32:{} sdshdr64:{} ",
            if size_of::<usize>() == 8 { 64 } else { 32 },
            size_of::<RObj>(),
            size_of::<crate::dict::DictEntry<Key, RObj>>(),
            vec,
            vec,
            vec,
            vec,
            vec
        );
        add_reply_bulk_sds(c, sizes.into_bytes());
    } else if is("htstats") && argc == 3 {
        let arg = c.argv[2].clone();
        let Some(dbid) = get_long_from_object_or_reply(c, &arg, None) else {
            return;
        };
        if dbid < 0 || dbid >= server.dbnum as i64 {
            add_reply_error(c, "Out of range database");
            return;
        }
        let db = &server.db[dbid as usize];
        let mut stats = String::from("[Dictionary HT]\n");
        stats.push_str(&db.dict.dict_get_stats(4096));
        stats.push_str("[Expires HT]\n");
        stats.push_str(&db.expires.dict_get_stats(4096));
        add_reply_bulk_sds(c, stats.into_bytes());
    } else if is("htstats-key") && argc == 3 {
        let key = c.argv[2].clone();
        if object_command_lookup_or_reply(server, c, &key, NOKEYERR).is_none() {
            return;
        }
        // Get the hash table reference from the object, if possible.
        // TODO(t_set.rs, t_hash.rs, t_zset.rs): values encoded
        // OBJ_ENCODING_HT or OBJ_ENCODING_SKIPLIST give the
        // dict_get_stats(4096) of their dict; strings have none.
        let ht: Option<String> = None;
        match ht {
            None => add_reply_error(
                c,
                "The value stored at the specified key is not represented using an hash table",
            ),
            Some(stats) => add_reply_bulk_c_string(c, Some(&stats)),
        }
    } else if is("change-repl-id") && argc == 2 {
        server_log!(
            server,
            LL_WARNING,
            "Changing replication IDs after receiving DEBUG change-repl-id"
        );
        crate::replication::change_replication_id(server);
        crate::replication::clear_replication_id2(server);
        add_reply(c, OK);
    } else if is("stringmatch-test") && argc == 2 {
        stringmatchlen_fuzz_test();
        add_reply_status(c, "Apparently Redis did not crash: test passed");
    } else {
        add_reply_subcommand_syntax_error(c);
    }
}

// ============================= Crash handling =============================
//
// C reaches the server and the running client through globals from its
// signal handlers. Here the server is a value in main()'s frame that every
// function borrows, so the handlers get raw pointers to it and to the
// client being served, published once (the server) and per command (the
// client). A handler that runs when the process is about to die may read
// through them; the watchdog, which returns, does not.

/// The server, for the crash handlers and the panic hook: set by main()
/// once the server exists, never cleared (the server lives until exit).
/// (no C twin: C's global `server`)
pub static SERVER_FOR_HANDLER: AtomicPtr<RedisServer> =
    AtomicPtr::new(std::ptr::null_mut());

/// The client `server.current_client` names, while it runs a command lent
/// out of `server.clients` (see networking::with_client): set and cleared with
/// `server.current_client`. (no C twin: C's current_client is a pointer)
pub(crate) static CURRENT_CLIENT_FOR_HANDLER: AtomicPtr<Client> =
    AtomicPtr::new(std::ptr::null_mut());

/// C: server.bug_report_start. A static rather than a field, because
/// `server_panic!` only holds `&RedisServer`.
static BUG_REPORT_START: AtomicBool = AtomicBool::new(false);

/// Set once sigsegv_handler starts its report. (no C twin)
static IN_SIGSEGV_REPORT: AtomicBool = AtomicBool::new(false);

/// C: server.assert_failed, server.assert_file, server.assert_line: what
/// _serverAssert() leaves for the SIGSEGV handler to print.
static ASSERT_FAILED: Mutex<Option<(String, String, u32)>> = Mutex::new(None);

/// What C's `*((char*)-1) = 'x';` does: a write to the last byte of the
/// address space, so that the SIGSEGV handler prints the bug report with
/// the stack of the caller. (no C twin)
#[inline(never)]
fn force_sigsegv() -> ! {
    // SAFETY: address -1 is never mapped on Linux (it is in the kernel's
    // half on 64-bit), so this store faults: the access happens on no Rust
    // object and the handler (sigsegv_handler) ends the process, so the
    // code after it never runs. Volatile keeps the compiler from assuming
    // anything about it.
    unsafe { std::ptr::write_volatile(usize::MAX as *mut u8, b'x') };
    // Only reached if SIGSEGV was ignored or blocked.
    std::process::abort()
}

/// Logs a failed assertion and forces the crash report.
/// `server_assert!(server, cond)` calls it.
///
/// C: debug.c _serverAssert()
pub(crate) fn _server_assert(
    server: &RedisServer,
    estr: &str,
    file: &str,
    line: u32,
) -> ! {
    bug_report_start(server);
    server_log!(server, LL_WARNING, "=== ASSERTION FAILED ===");
    server_log!(
        server,
        LL_WARNING,
        "==> {}:{} '{}' is not true",
        file,
        line,
        estr
    );
    if let Ok(mut a) = ASSERT_FAILED.lock() {
        *a = Some((estr.to_string(), file.to_string(), line));
    }
    server_log!(
        server,
        LL_WARNING,
        "(forcing SIGSEGV to print the bug report.)"
    );
    force_sigsegv()
}

/// Logs the client an assertion was about: its flags, fd and arguments.
///
/// C: debug.c _serverAssertPrintClientInfo()
pub(crate) fn _server_assert_print_client_info(
    server: &RedisServer,
    c: &Client,
) {
    bug_report_start(server);
    server_log!(server, LL_WARNING, "=== ASSERTION FAILED CLIENT CONTEXT ===");
    server_log!(server, LL_WARNING, "client->flags = {}", c.flags as i32);
    server_log!(server, LL_WARNING, "client->fd = {}", c.fd);
    server_log!(server, LL_WARNING, "client->argc = {}", c.argv.len());
    for (j, arg) in c.argv.iter().enumerate() {
        // Divergence from C: arguments are plain byte strings here, not
        // shared objects, so there is no refcount to show; 1 is what C
        // shows for an argument the client owns alone.
        server_log!(
            server,
            LL_WARNING,
            "client->argv[{}] = \"{}\" (refcount: {})",
            j,
            c_str(arg),
            1
        );
    }
}

/// Logs type, encoding and size of a value, for a crash report.
///
/// C: debug.c serverLogObjectDebugInfo()
pub(crate) fn server_log_object_debug_info(server: &RedisServer, o: &RObj) {
    server_log!(server, LL_WARNING, "Object type: {}", o.obj_type());
    server_log!(server, LL_WARNING, "Object encoding: {}", o.encoding);
    server_log!(
        server,
        LL_WARNING,
        "Object refcount: {}",
        object_refcount(server, o)
    );
    match &o.ptr {
        Value::Str(s) if o.encoding != OBJ_ENCODING_INT => {
            server_log!(
                server,
                LL_WARNING,
                "Object raw string len: {}",
                s.len()
            );
            if s.len() < 4096 {
                let repr = crate::util::sdscatrepr(s);
                server_log!(
                    server,
                    LL_WARNING,
                    "Object raw string content: {}",
                    repr
                );
            }
        }
        Value::List(l) => {
            server_log!(server, LL_WARNING, "List length: {}", l.iter().count())
        }
        Value::Set(s) => {
            server_log!(server, LL_WARNING, "Set size: {}", s.iter().count())
        }
        Value::Hash(h) => {
            server_log!(server, LL_WARNING, "Hash size: {}", h.iter().count())
        }
        Value::ZSet(z) => {
            // Divergence from C: the skiplist level is not shown.
            server_log!(
                server,
                LL_WARNING,
                "Sorted set size: {}",
                z.iter().count()
            )
        }
        _ => {}
    }
}

/// C: debug.c _serverAssertPrintObject()
pub(crate) fn _server_assert_print_object(server: &RedisServer, o: &RObj) {
    bug_report_start(server);
    server_log!(server, LL_WARNING, "=== ASSERTION FAILED OBJECT CONTEXT ===");
    server_log_object_debug_info(server, o);
}

/// serverAssertWithInfo(): an assertion about a client and a value.
///
/// C: debug.c _serverAssertWithInfo()
pub(crate) fn _server_assert_with_info(
    server: &RedisServer,
    c: Option<&Client>,
    o: Option<&RObj>,
    estr: &str,
    file: &str,
    line: u32,
) -> ! {
    if let Some(c) = c {
        _server_assert_print_client_info(server, c);
    }
    if let Some(o) = o {
        _server_assert_print_object(server, o);
    }
    _server_assert(server, estr, file, line)
}

/// serverPanic(): logs the message with its place in the source and
/// forces the crash report. `server_panic!` calls it.
///
/// C: debug.c _serverPanic()
pub(crate) fn _server_panic(
    server: &RedisServer,
    file: &str,
    line: u32,
    msg: &str,
) -> ! {
    // C formats into a 256-byte buffer.
    let mut end = msg.len().min(255);
    while !msg.is_char_boundary(end) {
        end -= 1;
    }
    let fmtmsg = &msg[..end];
    bug_report_start(server);
    server_log!(
        server,
        LL_WARNING,
        "------------------------------------------------"
    );
    server_log!(
        server,
        LL_WARNING,
        "!!! Software Failure. Press left mouse button to continue"
    );
    server_log!(
        server,
        LL_WARNING,
        "Guru Meditation: {} #{}:{}",
        fmtmsg,
        file,
        line
    );
    server_log!(
        server,
        LL_WARNING,
        "(forcing SIGSEGV in order to print the stack trace)"
    );
    server_log!(
        server,
        LL_WARNING,
        "------------------------------------------------"
    );
    force_sigsegv()
}

/// Writes the banner that starts a bug report, once per process.
///
/// C: debug.c bugReportStart()
pub(crate) fn bug_report_start(server: &RedisServer) {
    if !BUG_REPORT_START.swap(true, Relaxed) {
        server_log_raw(
            server,
            LL_WARNING | LL_RAW,
            "\n\n=== REDIS BUG REPORT START: Cut & paste starting from here ===\n",
        );
    }
}

/// The instruction pointer saved in a signal handler's ucontext, or null
/// where we do not know the layout.
///
/// C: debug.c getMcontextEip()
fn get_mcontext_eip(uc: *mut libc::c_void) -> *mut libc::c_void {
    if uc.is_null() {
        return std::ptr::null_mut();
    }
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    {
        // SAFETY: `uc` is the ucontext_t the kernel passed to an
        // SA_SIGINFO handler, valid for the handler's duration.
        let uc = unsafe { &*(uc as *const libc::ucontext_t) };
        uc.uc_mcontext.gregs[16] as *mut libc::c_void // Linux 64
    }
    #[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
    {
        std::ptr::null_mut()
    }
}

/// Logs the 16 words at the top of the stack, highest address first.
///
/// C: debug.c logStackContent()
fn log_stack_content(server: &RedisServer, sp: *const usize) {
    for i in (0..16).rev() {
        let addr = sp as usize + i * std::mem::size_of::<usize>();
        // Divergence from C: C dereferences sp[i]; after a stack overflow
        // the stack pointer is in the guard page and that faults again,
        // ending the report here. process_vm_readv reports EFAULT instead.
        let mut val: usize = 0;
        let local = libc::iovec {
            iov_base: &mut val as *mut usize as *mut libc::c_void,
            iov_len: std::mem::size_of::<usize>(),
        };
        let remote = libc::iovec {
            iov_base: addr as *mut libc::c_void,
            iov_len: std::mem::size_of::<usize>(),
        };
        // SAFETY: a system call that copies one word of our own address
        // space into `val`, or fails with EFAULT; it never faults.
        let n = unsafe {
            libc::process_vm_readv(libc::getpid(), &local, 1, &remote, 1, 0)
        };
        if n == std::mem::size_of::<usize>() as isize {
            server_log!(server, LL_WARNING, "({:016x}) -> {:016x}", addr, val);
        } else {
            server_log!(server, LL_WARNING, "({:016x}) -> (unreadable)", addr);
        }
    }
}

/// Logs the registers of the interrupted code and its stack top.
///
/// C: debug.c logRegisters()
fn log_registers(server: &RedisServer, uc: *mut libc::c_void) {
    server_log!(server, LL_WARNING | LL_RAW, "\n------ REGISTERS ------\n");
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    if !uc.is_null() {
        // SAFETY: as in get_mcontext_eip.
        let g =
            unsafe { &(*(uc as *const libc::ucontext_t)).uc_mcontext.gregs };
        let r = |i: usize| g[i] as u64;
        // Linux AMD64
        server_log!(
            server,
            LL_WARNING,
            "\nRAX:{:016x} RBX:{:016x}\nRCX:{:016x} RDX:{:016x}\nRDI:{:016x} RSI:{:016x}\nRBP:{:016x} RSP:{:016x}\nR8 :{:016x} R9 :{:016x}\nR10:{:016x} R11:{:016x}\nR12:{:016x} R13:{:016x}\nR14:{:016x} R15:{:016x}\nRIP:{:016x} EFL:{:016x}\nCSGSFS:{:016x}",
            r(13), r(11), r(14), r(12), r(8), r(9), r(10), r(15), r(0), r(1),
            r(2), r(3), r(4), r(5), r(6), r(7), r(16), r(17), r(18)
        );
        log_stack_content(server, g[15] as *const usize);
        return;
    }
    let _ = uc;
    server_log!(
        server,
        LL_WARNING,
        "  Dumping of registers not supported for this OS/arch"
    );
}

/// The fd the handlers write the log to with write(2): stdout, or the log
/// file, opened at start-up (see server::setup_signal_handlers).
///
/// C: debug.c openDirectLogFiledes()
fn open_direct_log_filedes() -> i32 {
    // Divergence from C: C opens server.logfile here and closes it in
    // closeDirectLogFiledes(); we keep the fd opened at start-up, so the
    // watchdog handler does not build a path string.
    crate::server::LOG_FD_FOR_HANDLER.load(Relaxed)
}

/// write(2) of all of `b` to `fd`, ignoring errors as C does. (no C twin)
fn write_fd(fd: i32, b: &[u8]) {
    // SAFETY: write(2) is async-signal-safe; `b` is valid for its length.
    unsafe { libc::write(fd, b.as_ptr() as *const libc::c_void, b.len()) };
}

/// The C twin of a demangled Rust path (`oxredis::debug::debug_command` ->
/// `debugCommand`), from the `/// C:` markers that build.rs collected.
/// Methods and closures are looked up by their module and function name.
/// (no C twin)
pub(crate) fn c_twin_of(path: &str) -> Option<&'static str> {
    let mut p = path.strip_prefix("oxredis::")?;
    while let Some(q) = p.strip_suffix("::{{closure}}") {
        p = q;
    }
    let segs: Vec<&str> = p.split("::").collect();
    let (name, mods) = segs.split_last()?;
    let mut key = String::new();
    for m in mods {
        if !m.starts_with(|ch: char| ch.is_ascii_lowercase() || ch == '_') {
            break;
        }
        key.push_str(m);
        key.push_str("::");
    }
    key.push_str(name);
    C_TWINS
        .binary_search_by(|(k, _)| (*k).cmp(key.as_str()))
        .ok()
        .map(|i| C_TWINS[i].1)
}

include!(concat!(env!("OUT_DIR"), "/c_twins.rs"));

/// Writes the symbols of one code address to `fd`, innermost first: one
/// line per function, inlined ones included, each with its C twin and its
/// place in the source. (no C twin: C's backtrace_symbols_fd())
fn log_frame_symbols(fd: i32, ip: *mut libc::c_void) {
    // Divergence from C: backtrace_symbols_fd() prints
    // `./redis-server *:6379(debugCommand+0x1d3)[0x55f7b1d3b3b3]`, one line
    // per address, from the dynamic symbol table. We print
    // `0x55f7b1d3b3b3 oxredis::debug::debug_command (C: debugCommand)
    // src/debug.rs:631`, one line per function, so that frames inlined by
    // LTO are not lost; the C name is still there for a grep.
    let mut lines: Vec<String> = Vec::new();
    // SAFETY: resolving takes no lock, so it must not race with another
    // resolve; the only callers are the handlers below, which do not run
    // at the same time (the crash handlers end the process, the watchdog
    // handler is not re-entered: SA_NODEFER is not set for it).
    unsafe {
        backtrace::resolve_unsynchronized(ip, |sym| {
            let name = match sym.name() {
                Some(n) => format!("{n:#}"),
                None => "??".to_string(),
            };
            let mut line = format!("{ip:p} {name}");
            if let Some(c) = c_twin_of(&name) {
                line.push_str(&format!(" (C: {c})"));
            }
            if let (Some(f), Some(l)) = (sym.filename(), sym.lineno()) {
                let f = f.to_string_lossy();
                let root = concat!(env!("CARGO_MANIFEST_DIR"), "/");
                line.push_str(&format!(
                    " {}:{}",
                    f.strip_prefix(root).unwrap_or(&f),
                    l
                ));
            }
            lines.push(line);
        });
    }
    if lines.is_empty() {
        // No debug info (libc's signal trampoline, say): the dynamic
        // symbol, as backtrace_symbols_fd() would print it.
        // SAFETY: dladdr only reads the loader's tables and fills `info`.
        let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
        // SAFETY: as above; `ip` is only compared, never dereferenced.
        let found = unsafe { libc::dladdr(ip, &mut info) } != 0;
        let name = if found && !info.dli_sname.is_null() {
            // SAFETY: dladdr returned a NUL-terminated name of the loader.
            unsafe { std::ffi::CStr::from_ptr(info.dli_sname) }
                .to_string_lossy()
                .into_owned()
        } else {
            "??".to_string()
        };
        lines.push(format!("{ip:p} {name}"));
    }
    let last = lines.len() - 1;
    for (i, l) in lines.iter_mut().enumerate() {
        // All but the last were inlined into the last.
        if i < last {
            l.push_str(" (inlined)");
        }
        l.push('\n');
        write_fd(fd, l.as_bytes());
    }
}

/// Logs the stack trace of the current thread, from a signal handler: the
/// interrupted instruction (EIP) first when known, then every frame.
///
/// C: debug.c logStackTrace()
fn log_stack_trace(uc: *mut libc::c_void) {
    let fd = open_direct_log_filedes();
    if fd == -1 {
        return; // If we can't log there is anything to do.
    }
    // Generate the stack trace
    let eip = get_mcontext_eip(uc);
    if !eip.is_null() {
        write_fd(fd, b"EIP:\n");
        // +1: the resolver looks up address-1, as for a return address.
        log_frame_symbols(fd, (eip as usize + 1) as *mut libc::c_void);
        write_fd(fd, b"\nBacktrace:\n");
    }
    // Write symbols to log file
    let mut n = 0;
    // SAFETY: walking the stack takes no lock (the unwinder only reads the
    // stack and the unwind tables); the handlers do not run concurrently.
    unsafe {
        backtrace::trace_unsynchronized(|frame| {
            if frame.ip().is_null() {
                return false; // the end of the stack
            }
            log_frame_symbols(fd, frame.ip());
            n += 1;
            n < 100
        });
    }
}

/// Logs the client being served (the one whose command crashed), its
/// arguments, and the value of its first key if it has one.
///
/// C: debug.c logCurrentClient()
fn log_current_client(server: &mut RedisServer) {
    let Some(cc) = current_client_for_handler(server) else {
        return;
    };
    server_log_raw(
        server,
        LL_WARNING | LL_RAW,
        "\n------ CURRENT CLIENT INFO ------\n",
    );
    let client = cat_client_info_string(server, cc);
    server_log!(server, LL_WARNING | LL_RAW, "{}\n", client);
    for (j, arg) in cc.argv.iter().enumerate() {
        server_log!(
            server,
            LL_WARNING | LL_RAW,
            "argv[{}]: '{}'\n",
            j,
            c_str(arg)
        );
    }
    // Check if the first argument, usually a key, is found inside the
    // selected DB, and if so print info about the associated object.
    if cc.argv.len() >= 2 {
        let key = &cc.argv[1];
        if let Some(de) = server.db.get(cc.db).and_then(|db| db.dict.find(key))
        {
            server_log!(
                server,
                LL_WARNING,
                "key '{}' found in DB containing the following object:",
                c_str(key)
            );
            server_log_object_debug_info(server, de.val());
        }
    }
}

/// The running client, if `server.current_client` names one and its
/// pointer was published. (no C twin)
fn current_client_for_handler<'a>(
    server: &RedisServer,
) -> Option<&'a mut Client> {
    let id = server.current_client?;
    let p = CURRENT_CLIENT_FOR_HANDLER.load(Relaxed);
    if p.is_null() {
        return None;
    }
    // SAFETY: the pointer is set by process_input_buffer to the client it
    // is running and cleared with server.current_client, so it points to a
    // live client while current_client is Some; only the crash handler
    // calls this, and it never returns to the code that holds the client.
    let c = unsafe { &mut *p };
    (c.id == id).then_some(c)
}

/// CLIENT LIST for the bug report. (no C twin: getAllClientsInfoString(-1))
fn all_clients_info_for_report(server: &mut RedisServer) -> String {
    match current_client_for_handler(server) {
        Some(cc) => crate::networking::with_running_in_table(server, cc, |s| {
            get_all_clients_info_string(s, None)
        }),
        None => get_all_clients_info_string(server, None),
    }
}

/// Handles SIGSEGV, SIGBUS, SIGFPE, SIGILL (and SIGABRT): writes the bug
/// report (stack trace, INFO, CLIENT LIST, the current client, registers)
/// to the log, then dies of the same signal so that a core is dumped.
///
/// C: debug.c sigsegvHandler()
pub extern "C" fn sigsegv_handler(
    sig: libc::c_int,
    info: *mut libc::siginfo_t,
    secret: *mut libc::c_void,
) {
    // From here on every allocation comes from the handler arena: the
    // crash may have happened inside jemalloc, holding its locks.
    HANDLER_ARENA_ON.store(true, Relaxed);
    let sp = SERVER_FOR_HANDLER.load(Relaxed);
    // A crash while writing the report (a panic in it ends up here too,
    // through _server_panic) goes straight to the default action.
    let first = !IN_SIGSEGV_REPORT.swap(true, Relaxed);
    if !sp.is_null() && first {
        // SAFETY: main() published a pointer to the server, which lives
        // until exit. The code it interrupted may hold `&mut` to it; that
        // code never runs again (this handler ends the process), so the
        // report only races with itself. A field it was changing may be
        // half-written: C's report has the same weakness and the same use.
        let server = unsafe { &mut *sp };
        sigsegv_report(server, sig, info, secret);
    }
    // Make sure we exit with the right signal at the end. So for instance
    // the core will be dumped if enabled.
    // SAFETY: sigaction with a zeroed, then filled, struct and kill of our
    // own pid: both async-signal-safe. SA_NODEFER lets the signal through
    // at once, with the default action now: the process ends here.
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        libc::sigemptyset(&mut act.sa_mask);
        act.sa_flags = libc::SA_NODEFER | libc::SA_ONSTACK | libc::SA_RESETHAND;
        act.sa_sigaction = libc::SIG_DFL;
        libc::sigaction(sig, &act, std::ptr::null_mut());
        libc::kill(libc::getpid(), sig);
    }
}

/// The body of sigsegvHandler() between the banners. (no C twin)
fn sigsegv_report(
    server: &mut RedisServer,
    sig: libc::c_int,
    info: *mut libc::siginfo_t,
    secret: *mut libc::c_void,
) {
    let eip = get_mcontext_eip(secret);
    bug_report_start(server);
    server_log!(
        server,
        LL_WARNING,
        "Redis {} crashed by signal: {}",
        crate::REDIS_VERSION,
        sig
    );
    if !eip.is_null() {
        server_log!(
            server,
            LL_WARNING,
            "Crashed running the instruction at: {:p}",
            eip
        );
    }
    if (sig == libc::SIGSEGV || sig == libc::SIGBUS) && !info.is_null() {
        // SAFETY: `info` is the siginfo_t the kernel passed to an
        // SA_SIGINFO handler; si_addr is set for SIGSEGV and SIGBUS.
        let addr = unsafe { (*info).si_addr() };
        server_log!(server, LL_WARNING, "Accessing address: {:p}", addr);
    }
    let (estr, file, line) = match ASSERT_FAILED.try_lock() {
        Ok(a) => match &*a {
            Some((e, f, l)) => (e.clone(), f.clone(), *l),
            None => ("(null)".to_string(), "(null)".to_string(), 0),
        },
        Err(_) => ("(null)".to_string(), "(null)".to_string(), 0),
    };
    server_log!(
        server,
        LL_WARNING,
        "Failed assertion: {} ({}:{})",
        estr,
        file,
        line
    );

    // Log the stack trace
    server_log_raw(
        server,
        LL_WARNING | LL_RAW,
        "\n------ STACK TRACE ------\n",
    );
    log_stack_trace(secret);

    // Log INFO and CLIENT LIST
    server_log_raw(
        server,
        LL_WARNING | LL_RAW,
        "\n------ INFO OUTPUT ------\n",
    );
    let infostring = match current_client_for_handler(server) {
        Some(cc) => crate::networking::with_running_in_table(server, cc, |s| {
            gen_redis_info_string(s, b"all")
        }),
        None => gen_redis_info_string(server, b"all"),
    };
    server_log_raw(server, LL_WARNING | LL_RAW, &infostring);
    server_log_raw(
        server,
        LL_WARNING | LL_RAW,
        "\n------ CLIENT LIST OUTPUT ------\n",
    );
    let clients = all_clients_info_for_report(server);
    server_log_raw(server, LL_WARNING | LL_RAW, &clients);

    // Log the current client
    log_current_client(server);

    // Log dump of processor registers
    log_registers(server, secret);

    // Divergence from C: no FAST MEMORY TEST (memtest.c is not ported) and
    // no DUMPING CODE AROUND EIP (dladdr() finds no symbols in a Rust
    // executable, which exports none).

    server_log_raw(
        server,
        LL_WARNING | LL_RAW,
        "\n=== REDIS BUG REPORT END. Make sure to include from START to END. ===\n\n       Please report the crash by opening an issue on github:\n\n           http://github.com/antirez/redis/issues\n\n  Suspect RAM error? Use redis-server --test-memory to verify it.\n\n",
    );

    // free(messages); Don't call free() with possibly corrupted memory.
    if server.daemonize && !server.supervised {
        if let Some(p) = &server.pidfile {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Installed by main() with std::panic::set_hook: a Rust panic is a
/// serverPanic() of ours, so it goes to the Redis log (stderr may be
/// /dev/null when daemonized) with its message and place, followed by
/// the bug report, and the process dies. (no C twin)
pub(crate) fn panic_hook(info: &std::panic::PanicHookInfo<'_>) {
    let msg = if let Some(s) = info.payload().downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = info.payload().downcast_ref::<String>() {
        s.clone()
    } else {
        "Box<dyn Any>".to_string()
    };
    let (file, line) = info
        .location()
        .map(|l| (l.file().to_string(), l.line()))
        .unwrap_or_else(|| ("(unknown)".to_string(), 0));
    let sp = SERVER_FOR_HANDLER.load(Relaxed);
    if sp.is_null() {
        // Before the server exists there is no log: stderr as usual.
        eprintln!("panicked at {file}:{line}: {msg}");
        std::process::abort();
    }
    // SAFETY: as in sigsegv_handler: the panicking code never resumes
    // (_server_panic does not return), and we only read the server.
    let server = unsafe { &*sp };
    _server_panic(server, &file, line, &format!("Rust panic: {msg}"))
}

/// Installs the crash handlers for the signals C's setupSignalHandlers()
/// handles with sigsegvHandler, and the panic hook. (no C twin: the
/// HAVE_BACKTRACE part of setupSignalHandlers)
pub(crate) fn setup_sigsegv_handlers() {
    setup_handler_stack();
    // SAFETY: installing handlers with sigaction; no other thread exists.
    // The handler writes its report and ends the process (see
    // sigsegv_handler); SA_RESETHAND makes a second fault inside it fatal
    // at once, with the default action, instead of looping.
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        libc::sigemptyset(&mut act.sa_mask);
        // Divergence from C: SA_ONSTACK, on the stack of
        // setup_handler_stack, so that a stack overflow (which Rust's
        // runtime would report, but this handler replaces its own) still
        // gets a report.
        act.sa_flags = libc::SA_NODEFER
            | libc::SA_RESETHAND
            | libc::SA_SIGINFO
            | libc::SA_ONSTACK;
        act.sa_sigaction = sigsegv_handler
            as extern "C" fn(
                libc::c_int,
                *mut libc::siginfo_t,
                *mut libc::c_void,
            ) as libc::sighandler_t;
        libc::sigaction(libc::SIGSEGV, &act, std::ptr::null_mut());
        libc::sigaction(libc::SIGBUS, &act, std::ptr::null_mut());
        libc::sigaction(libc::SIGFPE, &act, std::ptr::null_mut());
        libc::sigaction(libc::SIGILL, &act, std::ptr::null_mut());
        // Divergence from C: SIGABRT too. Rust's own fatal paths end in
        // abort(): a failed allocation, a panic (panic = "abort" in the
        // release profile), process::abort().
        libc::sigaction(libc::SIGABRT, &act, std::ptr::null_mut());
    }
    std::panic::set_hook(Box::new(panic_hook));
}

/// Size of the handlers' alternate stack: reading the debug info takes
/// far more than the few pages Rust's runtime gives its own. (no C twin)
const HANDLER_STACK_SIZE: usize = 4 << 20;

/// Gives the thread an alternate signal stack, with a guard page below
/// it, for the handlers installed with SA_ONSTACK. (no C twin)
fn setup_handler_stack() {
    let page = 4096;
    // SAFETY: an anonymous private mapping (only touched pages cost
    // memory), never unmapped: the kernel may switch to it at any signal.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            HANDLER_STACK_SIZE + page,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return; // the handlers then run on the thread's stack
    }
    // SAFETY: the lowest page of our own mapping becomes the guard page;
    // sigaltstack reads the struct and records the rest as the stack.
    unsafe {
        libc::mprotect(p, page, libc::PROT_NONE);
        let ss = libc::stack_t {
            ss_sp: (p as usize + page) as *mut libc::c_void,
            ss_flags: 0,
            ss_size: HANDLER_STACK_SIZE,
        };
        libc::sigaltstack(&ss, std::ptr::null_mut());
    }
}

// ==================== Logging functions for debugging =====================

// =========================== Software Watchdog ============================

/// SIGALRM: the event loop did not come back to server_cron within the
/// watchdog period. Logs the stack trace of what is running, then lets it
/// go on.
///
/// C: debug.c watchdogSignalHandler()
extern "C" fn watchdog_signal_handler(
    _sig: libc::c_int,
    _info: *mut libc::siginfo_t,
    secret: *mut libc::c_void,
) {
    // The interrupted code may be inside jemalloc: everything this
    // handler allocates (the symbol tables, the lines) comes from the
    // handler arena, and nothing it allocated is freed into jemalloc.
    let was = HANDLER_ARENA_ON.swap(true, Relaxed);
    server_log_from_handler("\n--- WATCHDOG TIMER EXPIRED ---");
    log_stack_trace(secret);
    server_log_from_handler("--------\n");
    // The parsed debug info takes tens of megabytes: drop it and give the
    // arena's pages back, or RSS (and so INFO used_memory) would keep them.
    // Only the list of loaded libraries outlives this, and enable_watchdog
    // built it in jemalloc.
    backtrace::clear_symbol_cache();
    if !was {
        handler_arena_reset();
    }
    HANDLER_ARENA_ON.store(was, Relaxed);
}

/// Schedule a SIGALRM delivery after the specified period in
/// milliseconds. If a timer is already scheduled, this function will
/// re-schedule it to the specified time. If period is 0 the current timer
/// is disabled.
///
/// C: debug.c watchdogScheduleSignal()
pub(crate) fn watchdog_schedule_signal(period: i32) {
    let it = libc::itimerval {
        // Will stop the timer if period is 0.
        it_value: libc::timeval {
            tv_sec: (period / 1000) as libc::time_t,
            tv_usec: ((period % 1000) * 1000) as libc::suseconds_t,
        },
        // Don't automatically restart.
        it_interval: libc::timeval { tv_sec: 0, tv_usec: 0 },
    };
    // SAFETY: setitimer reads the struct we pass and writes nothing (the
    // old value pointer is null).
    unsafe { libc::setitimer(libc::ITIMER_REAL, &it, std::ptr::null_mut()) };
}

/// Enable the software watchdog with the specified period in
/// milliseconds.
///
/// C: debug.c enableWatchdog()
pub(crate) fn enable_watchdog(server: &mut RedisServer, period: i32) {
    let mut period = period;
    if server.watchdog_period == 0 {
        // Let the symbolizer list the loaded libraries now, outside any
        // handler, so that the list lives in jemalloc and the handler's
        // arena holds nothing that outlives the handler. Address 1 is in
        // no library, so no debug info is read.
        backtrace::resolve(std::ptr::dangling_mut::<libc::c_void>(), |_| {});
        // Watchdog was actually disabled, so we have to setup the signal
        // handler.
        // SAFETY: installs the SIGALRM handler; no other thread exists.
        // The handler only writes to the log fd and allocates from the
        // handler arena (never from jemalloc, which the interrupted code
        // may be in), then returns.
        unsafe {
            let mut act: libc::sigaction = std::mem::zeroed();
            libc::sigemptyset(&mut act.sa_mask);
            act.sa_flags = libc::SA_ONSTACK | libc::SA_SIGINFO;
            act.sa_sigaction = watchdog_signal_handler
                as extern "C" fn(
                    libc::c_int,
                    *mut libc::siginfo_t,
                    *mut libc::c_void,
                ) as libc::sighandler_t;
            libc::sigaction(libc::SIGALRM, &act, std::ptr::null_mut());
        }
    }
    // If the configured period is smaller than twice the timer period, it
    // is too short for the software watchdog to work reliably. Fix it now
    // if needed.
    let min_period = (1000 / server.hz.max(1)) * 2;
    if period < min_period {
        period = min_period;
    }
    watchdog_schedule_signal(period); // Adjust the current timer.
    server.watchdog_period = period;
}

/// Disable the software watchdog.
///
/// C: debug.c disableWatchdog()
pub(crate) fn disable_watchdog(server: &mut RedisServer) {
    if server.watchdog_period == 0 {
        return; // Already disabled.
    }
    watchdog_schedule_signal(0); // Stop the current timer.

    // Set the signal handler to SIG_IGN, this will also remove pending
    // signals from the queue.
    // SAFETY: sigaction with SIG_IGN; no other thread exists.
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        libc::sigemptyset(&mut act.sa_mask);
        act.sa_flags = 0;
        act.sa_sigaction = libc::SIG_IGN;
        libc::sigaction(libc::SIGALRM, &act, std::ptr::null_mut());
    }
    server.watchdog_period = 0;
}

// ========================= The handlers' allocator =========================
//
// C's handlers call malloc (genRedisInfoString, backtrace()) and hope the
// crash was not inside it. Ours need more memory (reading the debug info
// takes megabytes), and the watchdog handler returns to the code it
// interrupted, which may be halfway through a jemalloc call: allocating
// from jemalloc there could deadlock or corrupt its thread cache. So the
// binary's global allocator is jemalloc with a switch: while a handler
// runs, allocations come from a bump arena of their own (mapped on first
// use, never unmapped, since the symbol cache lives on in it), frees into
// the arena do nothing, and a handler never frees into jemalloc.

/// Set while a handler runs: allocations go to the arena. (no C twin)
static HANDLER_ARENA_ON: AtomicBool = AtomicBool::new(false);
/// Start of the arena, 0 until a handler first allocates. (no C twin)
static HANDLER_ARENA_BASE: AtomicUsize = AtomicUsize::new(0);
/// The arena's next free byte. (no C twin)
static HANDLER_ARENA_NEXT: AtomicUsize = AtomicUsize::new(0);
/// Address space reserved for the arena (MAP_NORESERVE: only what is
/// touched costs memory). (no C twin)
const HANDLER_ARENA_SIZE: usize = 1 << 30;

/// The binary's global allocator: jemalloc, or the handler arena while a
/// signal handler runs (see above). Outside handlers it costs one load of
/// a flag per allocation and free. (no C twin: zmalloc)
pub struct HandlerSafeAlloc;

fn in_handler_arena(p: *mut u8) -> bool {
    let base = HANDLER_ARENA_BASE.load(Relaxed);
    base != 0
        && (p as usize) >= base
        && (p as usize) < base + HANDLER_ARENA_SIZE
}

fn handler_arena_alloc(layout: Layout) -> *mut u8 {
    let mut base = HANDLER_ARENA_BASE.load(Relaxed);
    if base == 0 {
        // SAFETY: an anonymous private mapping: no file, no existing
        // memory is touched. mmap is a plain system call, safe in a
        // signal handler.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                HANDLER_ARENA_SIZE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return std::ptr::null_mut();
        }
        base = p as usize;
        HANDLER_ARENA_NEXT.store(base, Relaxed);
        HANDLER_ARENA_BASE.store(base, Relaxed);
    }
    let next = HANDLER_ARENA_NEXT.load(Relaxed);
    let start = (next + layout.align() - 1) & !(layout.align() - 1);
    let end = start + layout.size();
    if end > base + HANDLER_ARENA_SIZE {
        return std::ptr::null_mut();
    }
    HANDLER_ARENA_NEXT.store(end, Relaxed);
    start as *mut u8
}

/// Empties the arena and returns its pages to the kernel. Only when
/// nothing allocated in it is still in use. (no C twin)
fn handler_arena_reset() {
    let base = HANDLER_ARENA_BASE.load(Relaxed);
    if base == 0 {
        return;
    }
    let used = HANDLER_ARENA_NEXT.load(Relaxed) - base;
    // SAFETY: the range is inside our own anonymous mapping; after
    // MADV_DONTNEED it reads as zeros again, which alloc_zeroed relies on.
    unsafe {
        libc::madvise(base as *mut libc::c_void, used, libc::MADV_DONTNEED)
    };
    HANDLER_ARENA_NEXT.store(base, Relaxed);
}

// SAFETY: alloc returns memory of the requested size and alignment, from
// jemalloc or from the arena (fresh, zeroed pages, never handed out
// twice); dealloc and realloc route each pointer back to where it came
// from, and arena pointers are never handed to jemalloc.
unsafe impl GlobalAlloc for HandlerSafeAlloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if HANDLER_ARENA_ON.load(Relaxed) {
            return handler_arena_alloc(layout);
        }
        // SAFETY: forwarded as received.
        let p = unsafe { tikv_jemallocator::Jemalloc.alloc(layout) };
        if !p.is_null() {
            count_alloc(layout.size(), layout.align());
        }
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if HANDLER_ARENA_ON.load(Relaxed) {
            return handler_arena_alloc(layout); // fresh pages are zero
        }
        // SAFETY: forwarded as received.
        let p = unsafe { tikv_jemallocator::Jemalloc.alloc_zeroed(layout) };
        if !p.is_null() {
            count_alloc(layout.size(), layout.align());
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if HANDLER_ARENA_BASE.load(Relaxed) != 0
            && (in_handler_arena(ptr) || HANDLER_ARENA_ON.load(Relaxed))
        {
            return; // arena memory is never reused; jemalloc's is leaked
        }
        count_free(layout.size(), layout.align());
        // SAFETY: `ptr` came from jemalloc with this layout.
        unsafe { tikv_jemallocator::Jemalloc.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(
        &self,
        ptr: *mut u8,
        layout: Layout,
        new_size: usize,
    ) -> *mut u8 {
        if HANDLER_ARENA_BASE.load(Relaxed) != 0
            && (in_handler_arena(ptr) || HANDLER_ARENA_ON.load(Relaxed))
        {
            // SAFETY: the caller guarantees new_size, with this alignment,
            // is a valid layout.
            let new_layout = unsafe {
                Layout::from_size_align_unchecked(new_size, layout.align())
            };
            // SAFETY: new_layout has a non-zero size, as realloc requires.
            let new = unsafe { self.alloc(new_layout) };
            if !new.is_null() {
                // SAFETY: both blocks are valid for the smaller size and
                // do not overlap (the new one is fresh).
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        ptr,
                        new,
                        layout.size().min(new_size),
                    )
                };
                // SAFETY: ptr came from this allocator with `layout`.
                unsafe { self.dealloc(ptr, layout) };
            }
            return new;
        }
        // SAFETY: forwarded as received.
        let p = unsafe {
            tikv_jemallocator::Jemalloc.realloc(ptr, layout, new_size)
        };
        if !p.is_null() {
            count_free(layout.size(), layout.align());
            count_alloc(new_size, layout.align());
        }
        p
    }
}

/// What zmalloc adds to `used_memory` for a block of this layout: its
/// jemalloc size class. (C: update_zmalloc_stat_alloc(zmalloc_size(ptr)))
#[inline(always)]
fn count_alloc(size: usize, align: usize) {
    crate::util::update_zmalloc_stat_alloc(crate::util::zmalloc_size_class(
        size, align,
    ));
}

/// The same class taken back when the block is freed: a layout's class
/// is computed the same way both times, so the count never drifts.
#[inline(always)]
fn count_free(size: usize, align: usize) {
    crate::util::update_zmalloc_stat_free(crate::util::zmalloc_size_class(
        size, align,
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_digest_is_sha1_of_xored_digest() {
        // mixDigest on a zero digest: SHA1(SHA1(data)).
        let mut d = [0u8; 20];
        mix_digest(&mut d, b"foo");
        assert_eq!(d, sha1(&sha1(b"foo")));
        // xorDigest is commutative.
        let (mut a, mut b) = ([0u8; 20], [0u8; 20]);
        xor_digest(&mut a, b"x");
        xor_digest(&mut a, b"y");
        xor_digest(&mut b, b"y");
        xor_digest(&mut b, b"x");
        assert_eq!(a, b);
    }

    #[test]
    fn rdb_saved_object_len_of_strings() {
        let server = init_server_config();
        let s = |v: &[u8]| {
            rdb_saved_object_len(&server, &create_string_object(0, v.to_vec()))
        };
        assert_eq!(s(b"value:1"), 8);
        assert_eq!(s(b"a b\x01"), 5);
        assert_eq!(s(b"12"), 2);
        assert_eq!(s(b"1000"), 3);
        assert_eq!(s(b"100000"), 5);
        assert_eq!(
            s(&[b'x'; 100]),
            1 + 1 + 2 + lzf::compress(&[b'x'; 100]).unwrap().len()
        );
        let i = |v: i64| {
            rdb_saved_object_len(
                &server,
                &create_string_object_from_long_long(0, v),
            )
        };
        assert_eq!(i(5), 2);
        assert_eq!(i(1 << 40), 1 + 13);
    }

    #[test]
    fn strtod_and_atoi_read_like_c() {
        assert_eq!(strtod(b"0.5").value, 0.5);
        assert_eq!(strtod(b" 1.5abc").value, 1.5);
        assert_eq!(strtod(b"abc").value, 0.0);
        assert_eq!(strtod(b"2e1x").value, 20.0);
        assert_eq!(strtod(b"3e").value, 3.0);
        assert_eq!(strtod(b".25").value, 0.25);
        assert_eq!(atoi(b"1"), 1);
        assert_eq!(atoi(b"0"), 0);
        assert_eq!(atoi(b"12abc"), 12);
        assert_eq!(atoi(b"-3"), -3);
        assert_eq!(atoi(b"x"), 0);
    }
}
