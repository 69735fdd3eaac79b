//! The persistence work that server.c does inline: reaping the RDB child
//! and running the save points from serverCron(), saving on shutdown,
//! loading at start-up, and DEBUG RELOAD.
//!
//! Ports those parts of server.c (and debug.c's DEBUG RELOAD), Redis
//! 5.0.14, kept beside the rdb code they drive.

use super::*;

// ------------------------ server.c: persistence parts ------------------------

/// Kills the saving child (with SIGUSR1, which its done handler does not
/// count as an error) and removes its temp file, as FLUSHALL and
/// prepareForShutdown() do. The child is reaped later by server_cron.
/// (no C twin: C repeats the two calls inline)
pub(crate) fn kill_rdb_child(server: &mut RedisServer) {
    if server.rdb_child_pid != -1 {
        // SAFETY: kill(2) on the pid of our own unreaped child (it cannot
        // have been reused: we have not waited for it yet).
        unsafe { libc::kill(server.rdb_child_pid, libc::SIGUSR1) };
        rdb_remove_temp_file(server.rdb_child_pid);
    }
}

/// The persistence part of serverCron(): if a saving child exists, check
/// (without blocking) whether it terminated and run the done handler;
/// otherwise start a BGSAVE when a save point is reached (and the last
/// attempt succeeded, or failed more than CONFIG_BGSAVE_RETRY_DELAY
/// seconds ago). (no C twin: inline in serverCron)
pub(crate) fn server_cron_persistence(server: &mut RedisServer) {
    // Start a scheduled AOF rewrite if this was requested by the user while
    // a BGSAVE was in progress.
    if server.rdb_child_pid == -1
        && server.aof_child_pid == -1
        && server.aof_rewrite_scheduled
    {
        let _ = crate::aof::rewrite_append_only_file_background(server);
    }

    // Check if a background saving or AOF rewrite in progress terminated.
    if server.rdb_child_pid != -1
        || server.aof_child_pid != -1
        || crate::scripting::ldb_pending_children() > 0
    {
        let mut statloc: libc::c_int = 0;
        // SAFETY: waitpid(2) with WNOHANG writes the status into our own
        // int; it only reaps children of this process.
        let pid = unsafe { libc::waitpid(-1, &mut statloc, libc::WNOHANG) };
        if pid != 0 {
            let exitcode = libc::WEXITSTATUS(statloc);
            let reaped_rdb_child = pid == server.rdb_child_pid;
            let reaped_aof_child = pid == server.aof_child_pid;
            let mut bysignal = 0;
            if libc::WIFSIGNALED(statloc) {
                bysignal = libc::WTERMSIG(statloc);
            }

            if pid == -1 {
                let e = io::Error::last_os_error();
                server_log!(
                    server,
                    LL_WARNING,
                    "wait3() returned an error: {}. rdb_child_pid = {}, aof_child_pid = {}",
                    crate::util::strerror(&e),
                    server.rdb_child_pid,
                    server.aof_child_pid
                );
            } else if reaped_rdb_child {
                crate::trace::child_exit(
                    server,
                    pid,
                    if server.rdb_child_type == RDB_CHILD_TYPE_SOCKET {
                        "rdb_socket"
                    } else {
                        "rdb"
                    },
                    exitcode,
                    bysignal,
                );
                // Divergence from C: the child's info is read and its pipe
                // closed before the done handler runs, not after. The
                // handler may start the next BGSAVE at once for replicas
                // that were waiting (updateSlavesWaitingBgsave ->
                // startBgsaveForReplication), which opens a new pipe: C
                // then reads the new, empty pipe, leaks the old one's two
                // fds and closes the new one under its running child, so
                // that child's copy-on-write size is lost too.
                if bysignal == 0 && exitcode == 0 {
                    crate::childinfo::receive_child_info(server);
                }
                crate::childinfo::close_child_info_pipe(server);
                background_save_done_handler(server, exitcode, bysignal);
            } else if reaped_aof_child {
                crate::trace::child_exit(
                    server,
                    pid,
                    "aof_rewrite",
                    exitcode,
                    bysignal,
                );
                // Divergence from C: the child's info is read first, as for
                // the RDB child above.
                if bysignal == 0 && exitcode == 0 {
                    crate::childinfo::receive_child_info(server);
                }
                crate::childinfo::close_child_info_pipe(server);
                crate::aof::background_rewrite_done_handler(
                    server, exitcode, bysignal,
                );
            } else if !crate::scripting::ldb_remove_child(pid) {
                server_log!(
                    server,
                    LL_WARNING,
                    "Warning, detected child with unmatched pid: {}",
                    pid
                );
            }
            update_dict_resize_policy(server);
            if !reaped_rdb_child && !reaped_aof_child {
                crate::childinfo::close_child_info_pipe(server);
            }
        }
    } else {
        // If there is not a background saving/rewrite in progress check if
        // we have to save/rewrite now.
        for j in 0..server.saveparams.len() {
            let sp = server.saveparams[j];
            // Save if we reached the given amount of changes, the given
            // amount of seconds, and if the latest bgsave was successful or
            // if, in case of an error, at least CONFIG_BGSAVE_RETRY_DELAY
            // seconds already elapsed.
            if server.dirty >= sp.changes as i64
                && server.unixtime - server.lastsave > sp.seconds
                && (server.unixtime - server.lastbgsave_try
                    > CONFIG_BGSAVE_RETRY_DELAY
                    || server.lastbgsave_status.is_ok())
            {
                server_log!(
                    server,
                    LL_NOTICE,
                    "{} changes in {} seconds. Saving...",
                    sp.changes,
                    sp.seconds as i32
                );
                let rsi = rdb_populate_save_info(server);
                let filename = server.rdb_filename.clone();
                let _ = rdb_save_background(server, &filename, rsi.as_ref());
                break;
            }
        }

        // Trigger an AOF rewrite if needed.
        if server.aof_state == crate::config::AOF_ON
            && server.rdb_child_pid == -1
            && server.aof_child_pid == -1
            && server.aof_rewrite_perc != 0
            && server.aof_current_size > server.aof_rewrite_min_size
        {
            let base = if server.aof_rewrite_base_size != 0 {
                server.aof_rewrite_base_size
            } else {
                1
            };
            let growth = (server.aof_current_size * 100 / base) - 100;
            if growth >= server.aof_rewrite_perc as i64 {
                server_log!(
                    server,
                    LL_NOTICE,
                    "Starting automatic rewriting of AOF on {}% growth",
                    growth
                );
                let _ = crate::aof::rewrite_append_only_file_background(server);
            }
        }
    }
}

/// The AOF part of serverCron(), after the persistence part: retry a
/// flush postponed by a slow background fsync, and once a second one that
/// failed. (no C twin: inline in serverCron)
pub(crate) fn server_cron_aof(server: &mut RedisServer, every_second: bool) {
    // AOF postponed flush: Try at every cron cycle if the slow fsync
    // completed.
    if server.aof_flush_postponed_start != 0 {
        crate::aof::flush_append_only_file(server, false);
    }

    // AOF write errors: in this case we have a buffer to flush as well and
    // clear the AOF error in case of success to make the DB writable again,
    // however to try every second is enough in case of 'hz' is set to an
    // higher frequency.
    if every_second && server.aof_last_write_status.is_err() {
        crate::aof::flush_append_only_file(server, false);
    }
}

/// The end of serverCron(), after replicationCron(): start a BGSAVE that
/// BGSAVE SCHEDULE postponed, when possible. (no C twin: inline in
/// serverCron)
pub(crate) fn server_cron_scheduled_bgsave(server: &mut RedisServer) {
    if server.rdb_child_pid == -1
        && server.aof_child_pid == -1
        && server.rdb_bgsave_scheduled
        && (server.unixtime - server.lastbgsave_try > CONFIG_BGSAVE_RETRY_DELAY
            || server.lastbgsave_status.is_ok())
    {
        let rsi = rdb_populate_save_info(server);
        let filename = server.rdb_filename.clone();
        if rdb_save_background(server, &filename, rsi.as_ref()).is_ok() {
            server.rdb_bgsave_scheduled = false;
        }
    }
}

/// Return true if writes must be refused because the last BGSAVE failed
/// (stop-writes-on-bgsave-error with save points configured).
///
/// C: server.c writeCommandsDeniedByDiskError()
pub(crate) fn write_commands_denied_by_disk_error(server: &RedisServer) -> i32 {
    if server.stop_writes_on_bgsave_err
        && !server.saveparams.is_empty()
        && server.lastbgsave_status.is_err()
    {
        DISK_ERROR_TYPE_RDB
    } else if server.aof_state != crate::config::AOF_OFF
        && server.aof_last_write_status.is_err()
    {
        DISK_ERROR_TYPE_AOF
    } else {
        DISK_ERROR_TYPE_NONE
    }
}

/// No problems, we can accept writes.
pub(crate) const DISK_ERROR_TYPE_NONE: i32 = 0;
/// Don't accept writes: AOF errors.
pub(crate) const DISK_ERROR_TYPE_AOF: i32 = 1;
/// Don't accept writes: RDB errors.
pub(crate) const DISK_ERROR_TYPE_RDB: i32 = 2;

/// The error a write refused by write_commands_denied_by_disk_error gets:
/// the shared MISCONF error for a failed BGSAVE, or the AOF's write errno.
/// (no C twin: processCommand and luaRedisGenericCommand build it inline)
pub(crate) fn disk_error_reply(
    server: &RedisServer,
    deny_write_type: i32,
) -> Vec<u8> {
    if deny_write_type == DISK_ERROR_TYPE_RDB {
        crate::shared::BGSAVEERR.to_vec()
    } else {
        format!(
            "-MISCONF Errors writing to the AOF file: {}\r\n",
            crate::util::strerror(&io::Error::from_raw_os_error(
                server.aof_last_write_errno
            ))
        )
        .into_bytes()
    }
}

/// The persistence part of prepareForShutdown(): kill a saving child and,
/// if save points are configured (unless NOSAVE) or SAVE was given, save
/// the final RDB; a failed save cancels the shutdown. (no C twin: inline
/// in prepareForShutdown)
pub(crate) fn shutdown_persistence(
    server: &mut RedisServer,
    flags: i32,
) -> CResult {
    let save = flags & SHUTDOWN_SAVE != 0;
    let nosave = flags & SHUTDOWN_NOSAVE != 0;

    // Kill the saving child if there is a background saving in progress.
    // We want to avoid race conditions, for instance our saving child may
    // overwrite the synchronous saving did by SHUTDOWN.
    if server.rdb_child_pid != -1 {
        server_log!(
            server,
            LL_WARNING,
            "There is a child saving an .rdb. Killing it!"
        );
        kill_rdb_child(server);
    }

    if server.aof_state != crate::config::AOF_OFF {
        // Kill the AOF saving child as the AOF we already have may be
        // longer but contains the full dataset anyway.
        if server.aof_child_pid != -1 {
            // If we have AOF enabled but haven't written the AOF yet, don't
            // shutdown or else the dataset will be lost.
            if server.aof_state == crate::config::AOF_WAIT_REWRITE {
                server_log!(
                    server,
                    LL_WARNING,
                    "Writing initial AOF, can't exit."
                );
                return Err(CErr);
            }
            server_log!(
                server,
                LL_WARNING,
                "There is a child rewriting the AOF. Killing it!"
            );
            // SAFETY: kill(2) on our own unreaped rewrite child.
            unsafe { libc::kill(server.aof_child_pid, libc::SIGUSR1) };
        }
        // Append only file: flush buffers and fsync() the AOF at exit
        server_log!(server, LL_NOTICE, "Calling fsync() on the AOF file.");
        crate::aof::flush_append_only_file(server, true);
        // SAFETY: fdatasync on the AOF fd we own.
        unsafe { crate::bio::redis_fsync(server.aof_fd) };
    }

    // Create a new RDB file before exiting.
    if (!server.saveparams.is_empty() && !nosave) || save {
        server_log!(
            server,
            LL_NOTICE,
            "Saving the final RDB snapshot before exiting."
        );
        // Snapshotting. Perform a SYNC SAVE and exit
        let rsi = rdb_populate_save_info(server);
        let filename = server.rdb_filename.clone();
        if rdb_save(server, &filename, rsi.as_ref()).is_err() {
            // Ooops.. error saving! The best we can do is to continue
            // operating. Note that if there was a background saving
            // process, in the next cron() Redis will be notified that the
            // background saving aborted, handling special stuff like slaves
            // pending for synchronization...
            server_log!(
                server,
                LL_WARNING,
                "Error trying to save the DB, can't exit."
            );
            return Err(CErr);
        }
    }
    Ok(())
}

/// Function called at startup to load RDB or AOF file in memory. A file
/// that is missing is fine (an empty dataset); any other failure ends the
/// process.
///
/// C: server.c loadDataFromDisk()
pub(crate) fn load_data_from_disk(server: &mut RedisServer) {
    let start = ustime();
    if server.aof_state == crate::config::AOF_ON {
        let filename = server.aof_filename.clone();
        if crate::aof::load_append_only_file(server, &filename).is_ok() {
            server_log!(
                server,
                LL_NOTICE,
                "DB loaded from append only file: {:.3} seconds",
                (ustime() - start) as f32 / 1_000_000.0
            );
        }
        return;
    }
    let mut rsi = RDB_SAVE_INFO_INIT;
    let filename = server.rdb_filename.clone();
    match rdb_load(server, &filename, Some(&mut rsi)) {
        Ok(()) => {
            server_log!(
                server,
                LL_NOTICE,
                "DB loaded from disk: {:.3} seconds",
                (ustime() - start) as f32 / 1_000_000.0
            );

            // Restore the replication ID / offset from the RDB file.
            if server.masterhost.is_some()
                && rsi.repl_id_is_set
                && rsi.repl_offset != -1
                // Note that older implementations may save a
                // repl_stream_db of -1 inside the RDB file in a wrong way,
                // see more information in function rdbPopulateSaveInfo.
                && rsi.repl_stream_db != -1
            {
                server.replid = rsi.repl_id;
                server.master_repl_offset = rsi.repl_offset;
                // If we are a slave, create a cached master from this
                // information, in order to allow partial
                // resynchronizations with masters.
                crate::replication::replication_cache_master_using_myself(
                    server,
                );
                if let Some(mut cm) = server.cached_master.take() {
                    let _ = crate::db::select_db(
                        server,
                        &mut cm,
                        rsi.repl_stream_db as i64,
                    );
                    server.cached_master = Some(cm);
                }
            }
        }
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            server_log!(
                server,
                LL_WARNING,
                "Fatal error loading the DB: {}. Exiting.",
                crate::util::strerror(&e)
            );
            std::process::exit(1);
        }
        Err(_) => {}
    }
}

/// DEBUG RELOAD: save the dataset, empty it, load it back, and reply.
/// debug.rs calls it from its DEBUG command.
///
/// Divergence from C: no protectClient() around the load: the client is
/// lent out of `server.clients` while its command runs, so events served
/// during the load cannot free it (a free waits in its "running" slot).
///
/// C: debug.c debugCommand() (the "reload" branch)
pub(crate) fn debug_reload(server: &mut RedisServer, c: &mut Client) {
    let rsi = with_running_in_table(server, c, |s| rdb_populate_save_info(s));
    let filename = server.rdb_filename.clone();
    if rdb_save(server, &filename, rsi.as_ref()).is_err() {
        add_reply(c, ERR);
        return;
    }
    empty_db(server, -1, EMPTYDB_NO_FLAGS, None);
    if rdb_load(server, &filename, None).is_err() {
        add_reply_error(c, "Error trying to load the RDB dump");
        return;
    }
    server_log!(server, LL_WARNING, "DB reloaded by DEBUG RELOAD");
    add_reply(c, OK);
}
