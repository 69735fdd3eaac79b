//! The end of a background save (to disk, or diskless to replica sockets),
//! starting a diskless one, and the SAVE and BGSAVE commands.
//!
//! Ports rdb.c from backgroundSaveDoneHandlerDisk() to its end
//! (rdbPopulateSaveInfo()), Redis 5.0.14, in the same order.

use super::*;

/// A background saving child (BGSAVE) terminated its work. Handle this.
/// This function covers the case of actual BGSAVEs.
///
/// C: rdb.c backgroundSaveDoneHandlerDisk()
pub(crate) fn background_save_done_handler_disk(
    server: &mut RedisServer,
    exitcode: i32,
    bysignal: i32,
) {
    if bysignal == 0 && exitcode == 0 {
        server_log!(
            server,
            LL_NOTICE,
            "Background saving terminated with success"
        );
        server.dirty -= server.dirty_before_bgsave;
        server.lastsave = now_secs();
        server.lastbgsave_status = Ok(());
    } else if bysignal == 0 && exitcode != 0 {
        server_log!(server, LL_WARNING, "Background saving error");
        server.lastbgsave_status = Err(CErr);
    } else {
        server_log!(
            server,
            LL_WARNING,
            "Background saving terminated by signal {}",
            bysignal
        );
        let mut latency = crate::latency::latency_start_monitor(server);
        rdb_remove_temp_file(server.rdb_child_pid);
        crate::latency::latency_end_monitor(server, &mut latency);
        crate::latency::latency_add_sample_if_needed(
            server,
            "rdb-unlink-temp-file",
            latency,
        );
        // SIGUSR1 is whitelisted, so we have a way to kill a child without
        // triggering an error condition.
        if bysignal != libc::SIGUSR1 {
            server.lastbgsave_status = Err(CErr);
        }
    }
    server.rdb_child_pid = -1;
    server.rdb_child_type = RDB_CHILD_TYPE_NONE;
    server.rdb_save_time_last = now_secs() - server.rdb_save_time_start;
    server.rdb_save_time_start = -1;
    // Possibly there are slaves waiting for a BGSAVE in order to be served
    // (the first stage of SYNC is a bulk transfer of dump.rdb).
    let ok = if bysignal == 0 && exitcode == 0 { Ok(()) } else { Err(CErr) };
    crate::replication::update_slaves_waiting_bgsave(
        server,
        ok,
        RDB_CHILD_TYPE_DISK,
    );
}

/// A background saving child (BGSAVE) terminated its work. Handle this.
/// This function covers the case of RDB -> Slaves socket transfers for
/// diskless replication: the child reported, through a pipe, which
/// replicas got the whole payload; the others are closed.
///
/// C: rdb.c backgroundSaveDoneHandlerSocket()
pub(crate) fn background_save_done_handler_socket(
    server: &mut RedisServer,
    exitcode: i32,
    bysignal: i32,
) {
    use crate::replication::SLAVE_STATE_WAIT_BGSAVE_END;
    if bysignal == 0 && exitcode == 0 {
        server_log!(
            server,
            LL_NOTICE,
            "Background RDB transfer terminated with success"
        );
    } else if bysignal == 0 && exitcode != 0 {
        server_log!(server, LL_WARNING, "Background transfer error");
    } else {
        server_log!(
            server,
            LL_WARNING,
            "Background transfer terminated by signal {}",
            bysignal
        );
    }
    server.rdb_child_pid = -1;
    server.rdb_child_type = RDB_CHILD_TYPE_NONE;
    server.rdb_save_time_start = -1;

    // If the child returns an OK exit code, read the set of slave client
    // IDs and the associated status code. We'll terminate all the slaves
    // in error state.
    //
    // If the process returned an error, consider the list of slaves that
    // can continue to be empty, so that it's just a special case of the
    // normal code path.
    let mut ok_slaves: Vec<(u64, u64)> = Vec::new();
    if bysignal == 0 && exitcode == 0 {
        let mut lenbuf = [0u8; 8];
        if read_exact_fd(server.rdb_pipe_read_result_from_child, &mut lenbuf) {
            // The count is bounded by the replicas we could have sent to.
            let n = u64::from_ne_bytes(lenbuf)
                .min(server.slaves.len() as u64 + 1024)
                as usize;
            let mut body = vec![0u8; n * 16];
            if n > 0
                && read_exact_fd(
                    server.rdb_pipe_read_result_from_child,
                    &mut body,
                )
            {
                for rec in body.chunks_exact(16) {
                    let id = u64::from_ne_bytes(
                        rec[..8].try_into().expect("8 bytes"),
                    );
                    let err = u64::from_ne_bytes(
                        rec[8..].try_into().expect("8 bytes"),
                    );
                    ok_slaves.push((id, err));
                }
            }
        }
    }
    close_fd(server.rdb_pipe_read_result_from_child);
    close_fd(server.rdb_pipe_write_result_to_parent);
    server.rdb_pipe_read_result_from_child = -1;
    server.rdb_pipe_write_result_to_parent = -1;

    // We can continue the replication process with all the slaves that
    // correctly received the full payload. Others are terminated.
    crate::replication::for_each_slave(server, |server, slave| {
        if slave.replstate != SLAVE_STATE_WAIT_BGSAVE_END {
            return;
        }
        // Search for the slave ID in the reply. In order for a slave to
        // continue the replication process, we need to find it in the
        // list, and it must have an error code set to 0 (which means
        // success).
        let found = ok_slaves.iter().find(|(id, _)| *id == slave.id.0);
        let errorcode = found.map(|(_, e)| *e).unwrap_or(0);
        if found.is_none() || errorcode != 0 {
            let why = if errorcode == 0 {
                "RDB transfer child aborted".to_string()
            } else {
                crate::util::strerror(&io::Error::from_raw_os_error(
                    errorcode as i32,
                ))
            };
            server_log!(
                server,
                LL_WARNING,
                "Closing slave {}: child->slave RDB transfer failed: {}",
                crate::replication::replication_get_slave_name(slave),
                why
            );
            crate::networking::free_client(server, slave.id);
        } else {
            server_log!(
                server,
                LL_WARNING,
                "Slave {} correctly received the streamed RDB file.",
                crate::replication::replication_get_slave_name(slave)
            );
            // Restore the socket as non-blocking.
            if let Some(sock) = slave.sock.as_ref() {
                let _ = crate::networking::anet::anet_non_block(sock);
                let _ = crate::networking::anet::anet_send_timeout(sock, 0);
            }
        }
    });

    let ok = if bysignal == 0 && exitcode == 0 { Ok(()) } else { Err(CErr) };
    crate::replication::update_slaves_waiting_bgsave(
        server,
        ok,
        RDB_CHILD_TYPE_SOCKET,
    );
}

/// read(2) of exactly `buf.len()` bytes from a pipe we made; false on a
/// short read or an error. (no C twin)
fn read_exact_fd(fd: i32, buf: &mut [u8]) -> bool {
    if fd == -1 {
        return false;
    }
    let mut off = 0;
    while off < buf.len() {
        let rest = &mut buf[off..];
        // SAFETY: read(2) into our own buffer of rest.len() bytes, from a
        // pipe descriptor this module opened and has not closed yet.
        let n = unsafe {
            libc::read(fd, rest.as_mut_ptr() as *mut libc::c_void, rest.len())
        };
        if n < 0
            && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted
        {
            continue;
        }
        if n <= 0 {
            return false;
        }
        off += n as usize;
    }
    true
}

/// close(2) on a pipe descriptor this module made, ignoring -1. (no C
/// twin)
fn close_fd(fd: i32) {
    if fd != -1 {
        // SAFETY: the descriptor was made by pipe(2) in
        // rdb_save_to_slaves_sockets and is closed once; the callers reset
        // the field to -1 right after.
        unsafe { libc::close(fd) };
    }
}

/// When a background RDB saving/transfer terminates, call the right
/// handler.
///
/// C: rdb.c backgroundSaveDoneHandler()
pub(crate) fn background_save_done_handler(
    server: &mut RedisServer,
    exitcode: i32,
    bysignal: i32,
) {
    match server.rdb_child_type {
        RDB_CHILD_TYPE_DISK => {
            background_save_done_handler_disk(server, exitcode, bysignal)
        }
        RDB_CHILD_TYPE_SOCKET => {
            background_save_done_handler_socket(server, exitcode, bysignal)
        }
        _ => crate::server_panic!(server, "Unknown RDB child type."),
    }
}

/// Spawn an RDB child that writes the RDB to the sockets of the slaves
/// that are currently in SLAVE_STATE_WAIT_BGSAVE_START state (diskless
/// replication), through the fd-set rio target.
///
/// C: rdb.c rdbSaveToSlavesSockets()
pub(crate) fn rdb_save_to_slaves_sockets(
    server: &mut RedisServer,
    rsi: &RdbSaveInfo,
) -> CResult {
    use crate::replication::SLAVE_STATE_WAIT_BGSAVE_START;
    if server.aof_child_pid != -1 || server.rdb_child_pid != -1 {
        return Err(CErr);
    }

    // Before to fork, create a pipe that will be used in order to send
    // back to the parent the IDs of the slaves that successfully received
    // all the writes.
    let mut pipefds: [libc::c_int; 2] = [-1, -1];
    // SAFETY: pipe(2) writes two descriptors into the array we own.
    if unsafe { libc::pipe(pipefds.as_mut_ptr()) } == -1 {
        return Err(CErr);
    }
    server.rdb_pipe_read_result_from_child = pipefds[0];
    server.rdb_pipe_write_result_to_parent = pipefds[1];

    // Collect the file descriptors of the slaves we want to transfer the
    // RDB to, which are in WAIT_BGSAVE_START state. We also collect the
    // corresponding client IDs, useful for the child process in order to
    // build the report (sent via unix pipe) that will be sent to the
    // parent.
    let mut fds: Vec<i32> = Vec::new();
    let mut clientids: Vec<u64> = Vec::new();
    let offset = crate::replication::get_psync_initial_offset(server);
    crate::replication::for_each_slave(server, |server, slave| {
        if slave.replstate == SLAVE_STATE_WAIT_BGSAVE_START {
            clientids.push(slave.id.0);
            fds.push(slave.fd);
            let _ = crate::replication::replication_setup_slave_for_full_resync(
                server, slave, offset,
            );
            // Put the socket in blocking mode to simplify RDB transfer.
            // We'll restore it when the children returns (since duped
            // socket will share the O_NONBLOCK attribute with the parent).
            if let Some(sock) = slave.sock.as_ref() {
                let _ = crate::networking::anet::anet_block(sock);
                let _ = crate::networking::anet::anet_send_timeout(
                    sock,
                    server.repl_timeout as i64 * 1000,
                );
            }
        }
    });

    // Create the child process.
    crate::childinfo::open_child_info_pipe(server);
    let start = ustime();
    // SAFETY: the child gets a consistent copy of the address space: only
    // this thread is copied, and the bio threads (bio.rs) hold nothing it
    // uses — their queue locks are never taken in the child, and jemalloc's
    // pthread_atfork handlers take every allocator lock across the fork, so
    // a bio thread freeing memory cannot leave one locked. The child only reads the
    // dataset and writes to the replica sockets (blocking, with a send
    // timeout) and to the two pipes, never touches the event loop (shared
    // epoll instance), and leaves through exit_from_child (libc::_exit),
    // so no destructor runs and nothing of the parent is flushed twice.
    let childpid = unsafe { libc::fork() };
    if childpid == 0 {
        // Child
        let mut slave_sockets = rio_init_with_fdset(&fds);
        close_clild_unused_resource_after_fork(server);
        // Divergence from C: no redisSetProcTitle("redis-rdb-to-slaves").

        let mut retval: CResult =
            rdb_save_rio_with_eof_mark(server, &mut slave_sockets, Some(rsi))
                .map_err(|_| CErr);
        if retval.is_ok() && rio_flush(&mut slave_sockets).is_err() {
            retval = Err(CErr);
        }

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

            // If we are returning OK, at least one slave was served with
            // the RDB file as expected, so we need to send a report to the
            // parent via the pipe. The format of the message is:
            //
            // <len> <slave[0].id> <slave[0].error> ...
            //
            // len, slave IDs, and slave errors, are all uint64_t integers,
            // so basically the reply is composed of 64 bits for the len
            // field plus 2 additional 64 bit integers for each entry, for a
            // total of 'len' entries.
            //
            // The 'id' represents the slave's client ID, so that the master
            // can match the report with a specific slave, and 'error' is
            // set to 0 if the replication process terminated with a success
            // or the error code if an error occurred.
            let RioIo::Fdset(fdset) = &slave_sockets.io else {
                unreachable!("an fd-set rio")
            };
            let mut msg: Vec<u8> = Vec::with_capacity(8 * (1 + 2 * fds.len()));
            msg.extend_from_slice(&(fds.len() as u64).to_ne_bytes());
            for (id, state) in clientids.iter().zip(&fdset.state) {
                msg.extend_from_slice(&id.to_ne_bytes());
                msg.extend_from_slice(&(*state as u64).to_ne_bytes());
            }

            // Write the message to the parent. If we have no good slaves or
            // we are unable to transfer the message to the parent, we exit
            // with an error so that the parent will abort the replication
            // process with all the childre that were waiting.
            // SAFETY: write(2) of our own buffer to the pipe made above.
            let written = unsafe {
                libc::write(
                    server.rdb_pipe_write_result_to_parent,
                    msg.as_ptr() as *const libc::c_void,
                    msg.len(),
                )
            };
            if fds.is_empty() || written != msg.len() as isize {
                retval = Err(CErr);
            }
        }
        rio_free_fdset(slave_sockets);
        exit_from_child(if retval.is_ok() { 0 } else { 1 });
    } else {
        // Parent
        if childpid == -1 {
            let e = io::Error::last_os_error();
            server_log!(
                server,
                LL_WARNING,
                "Can't save in background: fork: {}",
                crate::util::strerror(&e)
            );

            // Undo the state change. The caller will perform cleanup on all
            // the slaves in BGSAVE_START state, but an early call to
            // replicationSetupSlaveForFullResync() turned it into
            // BGSAVE_END.
            crate::replication::for_each_slave(server, |server, slave| {
                if clientids.contains(&slave.id.0) {
                    crate::replication::set_slave_state(
                        server,
                        slave,
                        SLAVE_STATE_WAIT_BGSAVE_START,
                    );
                }
            });
            close_fd(pipefds[0]);
            close_fd(pipefds[1]);
            server.rdb_pipe_read_result_from_child = -1;
            server.rdb_pipe_write_result_to_parent = -1;
            crate::childinfo::close_child_info_pipe(server);
        } else {
            crate::server::fork_stats(server, start);
            crate::server::fork_started(
                server,
                childpid,
                "Background RDB transfer",
                "rdb_socket",
            );
            server.rdb_save_time_start = now_secs();
            server.rdb_child_pid = childpid;
            server.rdb_child_type = RDB_CHILD_TYPE_SOCKET;
            update_dict_resize_policy(server);
        }
        if childpid == -1 {
            Err(CErr)
        } else {
            Ok(())
        }
    }
}

/// SAVE: writes the dataset to disk in the foreground.
///
/// C: rdb.c saveCommand()
pub(crate) fn save_command(server: &mut RedisServer, c: &mut Client) {
    if server.rdb_child_pid != -1 {
        add_reply_error(c, "Background save already in progress");
        return;
    }
    let rsi = with_running_in_table(server, c, |s| rdb_populate_save_info(s));
    let filename = server.rdb_filename.clone();
    if rdb_save(server, &filename, rsi.as_ref()).is_ok() {
        add_reply(c, OK);
    } else {
        add_reply(c, ERR);
    }
}

/// BGSAVE [SCHEDULE]
///
/// C: rdb.c bgsaveCommand()
pub(crate) fn bgsave_command(server: &mut RedisServer, c: &mut Client) {
    // The SCHEDULE option changes the behavior of BGSAVE when an AOF
    // rewrite is in progress. Instead of returning an error a BGSAVE gets
    // scheduled.
    let mut schedule = false;
    if c.argv.len() > 1 {
        if c.argv.len() == 2 && c.argv[1].eq_ignore_ascii_case(b"schedule") {
            schedule = true;
        } else {
            add_reply(c, SYNTAXERR);
            return;
        }
    }

    let rsi = with_running_in_table(server, c, |s| rdb_populate_save_info(s));
    let filename = server.rdb_filename.clone();

    if server.rdb_child_pid != -1 {
        add_reply_error(c, "Background save already in progress");
    } else if server.aof_child_pid != -1 {
        if schedule {
            server.rdb_bgsave_scheduled = true;
            add_reply_status(c, "Background saving scheduled");
        } else {
            add_reply_error(
                c,
                "An AOF log rewriting in progress: can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
            );
        }
    } else if rdb_save_background(server, &filename, rsi.as_ref()).is_ok() {
        add_reply_status(c, "Background saving started");
    } else {
        add_reply(c, ERR);
    }
}

/// Populate the rdbSaveInfo structure used to persist the replication
/// information inside the RDB file. Currently the structure explicitly
/// contains just the currently selected DB from the master stream, however
/// if the rdbSave*() family functions receive no rsi structure also the
/// Replication ID/offset is not saved. Returns the structure if the
/// instance has a valid master client, otherwise `None`, and the RDB
/// saving will not persist any replication related information.
///
/// C: rdb.c rdbPopulateSaveInfo()
///
/// Code running a command that may come from the master (a FLUSHALL from
/// the master saves) calls it with the running client put back in the
/// table (`with_running_in_table`), so the master's DB is read as in C.
pub(crate) fn rdb_populate_save_info(
    server: &RedisServer,
) -> Option<RdbSaveInfo> {
    let mut rsi = RDB_SAVE_INFO_INIT;

    // If the instance is a master, we can populate the replication info
    // only when repl_backlog is not NULL. If the repl_backlog is NULL, it
    // means that the instance isn't in any replication chains. In this
    // scenario the replication info is useless, because when a slave
    // connects to us, the NULL repl_backlog will trigger a full
    // synchronization, at the same time we will use a new replid and clear
    // replid2.
    if server.masterhost.is_none() && server.repl_backlog.is_some() {
        // Note that when server.slaveseldb is -1, it means that this master
        // didn't apply any write commands after a full synchronization. So
        // we can let repl_stream_db be 0, this allows a restarted slave to
        // reload replication ID/offset, it's safe because the next write
        // command must generate a SELECT statement.
        rsi.repl_stream_db =
            if server.slaveseldb == -1 { 0 } else { server.slaveseldb };
        return Some(rsi);
    }

    // If the instance is a slave we need a connected master in order to
    // fetch the currently selected DB.
    if let Some(mid) = server.master {
        if let Some(db) = server.clients.get(&mid).map(|m| m.db) {
            rsi.repl_stream_db = db as i32;
            return Some(rsi);
        }
    }

    // If we have a cached master we can use it in order to populate the
    // replication selected DB info inside the RDB file: the slave can
    // increment the master_repl_offset only from data arriving from the
    // master, so if we are disconnected the offset in the cached master is
    // valid.
    if let Some(cm) = &server.cached_master {
        rsi.repl_stream_db = cm.db as i32;
        return Some(rsi);
    }
    None
}
