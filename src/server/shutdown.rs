//! server.c's "Shutdown": closing the listeners and `prepare_for_shutdown`.

use super::*;

// ------------------------------- shutdown -------------------------------

/// Close listening sockets. Also unlink the unix domain socket if
/// unlink_unix_socket is non-zero.
///
/// C: server.c closeListeningSockets()
pub(crate) fn close_listening_sockets(
    server: &mut RedisServer,
    unlink_unix_socket: bool,
) {
    server.listeners.clear();
    server.ipfd.clear();
    server.unix_listener = None;
    if unlink_unix_socket {
        if let Some(path) = &server.unixsocket {
            server_log!(server, LL_NOTICE, "Removing the unix socket file.");
            let _ = std::fs::remove_file(path); // don't care if this fails
        }
    }
}

/// C: server.c prepareForShutdown()
pub(crate) fn prepare_for_shutdown(
    server: &mut RedisServer,
    flags: i32,
) -> CResult {
    server_log!(server, LL_WARNING, "User requested shutdown...");

    // Kill all the Lua debugger forked sessions.
    crate::scripting::ldb_kill_forked_sessions(server);
    crate::rdb::shutdown_persistence(server, flags)?;
    if server.daemonize || server.pidfile.is_some() {
        if let Some(pidfile) = &server.pidfile {
            server_log!(server, LL_NOTICE, "Removing the pid file.");
            let _ = std::fs::remove_file(pidfile);
        }
    }
    // Best effort flush of slave output buffers, so that we hopefully send
    // them pending writes.
    net::flush_slaves_output_buffers(server);
    // Close the listening sockets. Apparently this allows faster restarts.
    close_listening_sockets(server, true);
    // The last lines of the event trace (no C twin).
    crate::trace::flush(server);
    server_log!(
        server,
        LL_WARNING,
        "{} is now ready to exit, bye bye...",
        "Redis"
    );
    Ok(())
}
