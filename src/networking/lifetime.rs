//! networking.c's client lifetime after `create_client`: accepting
//! connections, unlinking and freeing clients, now or asynchronously, in
//! C's order.

use super::*;

/// Accept handler for both TCP and Unix sockets: wraps the new socket in a
/// client, refusing it if we are over maxclients or in protected mode.
///
/// C: networking.c acceptCommonHandler()
fn accept_common_handler(
    server: &mut RedisServer,
    sock: Socket,
    flags: u64,
    ip: Option<&str>,
) {
    let fd = sock.as_raw_fd();
    let Some(id) = create_client(server, Some(sock)) else {
        server_log!(
            server,
            LL_WARNING,
            "Error registering fd event for the new client: {} (fd={})",
            strerror(&io::Error::last_os_error()),
            fd
        );
        return;
    };
    crate::trace::accept(server, id);
    // If maxclient directive is set and this is one client more... close
    // the connection. Note that we create the client instead to check
    // before for this condition, since now the socket is already set in
    // non-blocking mode and we can send an error for free using the Kernel
    // I/O
    if num_clients(server) > server.maxclients as usize {
        if let Some(c) = server.clients.get(&id) {
            if let Some(s) = &c.sock {
                let _ = (&*s).write(b"-ERR max number of clients reached\r\n");
            }
        }
        server.stat_rejected_conn += 1;
        free_client(server, id);
        return;
    }

    // If the server is running in protected mode (the default) and there
    // is no password set, nor a specific interface is bound, we don't
    // accept requests from non loopback interfaces. Instead we try to
    // explain the user what to do to fix it if needed.
    if server.protected_mode
        && server.bindaddr.is_empty()
        && server.requirepass.is_none()
        && flags & CLIENT_UNIX_SOCKET == 0
    {
        if let Some(ip) = ip {
            if ip != "127.0.0.1" && ip != "::1" && ip != "::ffff:127.0.0.1" {
                let err = "-DENIED Redis is running in protected mode because protected \
mode is enabled, no bind address was specified, no \
authentication password is requested to clients. In this mode \
connections are only accepted from the loopback interface. \
If you want to connect from external computers to Redis you \
may adopt one of the following solutions: \
1) Just disable protected mode sending the command \
'CONFIG SET protected-mode no' from the loopback interface \
by connecting to Redis from the same host the server is \
running, however MAKE SURE Redis is not publicly accessible \
from internet if you do so. Use CONFIG REWRITE to make this \
change permanent. \
2) Alternatively you can just disable the protected mode by \
editing the Redis configuration file, and setting the protected \
mode option to 'no', and then restarting the server. \
3) If you started the server manually just for testing, restart \
it with the '--protected-mode no' option. \
4) Setup a bind address or an authentication password. \
NOTE: You only need to do one of the above things in order for \
the server to start accepting connections from the outside.\r\n";
                if let Some(c) = server.clients.get(&id) {
                    if let Some(s) = &c.sock {
                        let _ = (&*s).write(err.as_bytes());
                    }
                }
                server.stat_rejected_conn += 1;
                free_client(server, id);
                return;
            }
        }
    }

    server.stat_numconnections += 1;
    if let Some(c) = server.clients.here_mut(&id) {
        c.flags |= flags;
    }
}

/// C: networking.c MAX_ACCEPTS_PER_CALL
const MAX_ACCEPTS_PER_CALL: usize = 1000;

/// C: networking.c acceptTcpHandler()
pub(crate) fn accept_tcp_handler(
    server: &mut RedisServer,
    fd: RawFd,
    _data: ClientData,
    _mask: i32,
) {
    let mut max = MAX_ACCEPTS_PER_CALL;
    while max > 0 {
        max -= 1;
        match anet::anet_tcp_accept(fd) {
            Ok((sock, cip, cport)) => {
                server_log!(server, LL_VERBOSE, "Accepted {}:{}", cip, cport);
                accept_common_handler(server, sock, 0, Some(&cip));
            }
            Err(e) => {
                if e.kind() != io::ErrorKind::WouldBlock {
                    // C logs server.neterr as anetGenericAccept() wrote
                    // it: "accept: <strerror>".
                    server_log!(
                        server,
                        LL_WARNING,
                        "Accepting client connection: accept: {}",
                        strerror(&e)
                    );
                } else {
                    // Only EAGAIN says the queue is empty. After any
                    // other error (EMFILE, ENFILE, ECONNABORTED) the
                    // queued connections are still there and no new
                    // edge will announce them: the listener stays ready
                    // and we are called again, as ae's level-triggered
                    // epoll calls C again.
                    ae_not_ready(&mut server.el, fd, AE_READABLE);
                }
                return;
            }
        }
    }
}

/// C: networking.c acceptUnixHandler()
pub(crate) fn accept_unix_handler(
    server: &mut RedisServer,
    fd: RawFd,
    _data: ClientData,
    _mask: i32,
) {
    let mut max = MAX_ACCEPTS_PER_CALL;
    while max > 0 {
        max -= 1;
        match anet::anet_unix_accept(fd) {
            Ok(sock) => {
                server_log!(
                    server,
                    LL_VERBOSE,
                    "Accepted connection to {}",
                    server.unixsocket.clone().unwrap_or_default()
                );
                accept_common_handler(server, sock, CLIENT_UNIX_SOCKET, None);
            }
            Err(e) => {
                if e.kind() != io::ErrorKind::WouldBlock {
                    // C logs server.neterr as anetGenericAccept() wrote
                    // it: "accept: <strerror>".
                    server_log!(
                        server,
                        LL_WARNING,
                        "Accepting client connection: accept: {}",
                        strerror(&e)
                    );
                } else {
                    // Only EAGAIN says the queue is empty. After any
                    // other error (EMFILE, ENFILE, ECONNABORTED) the
                    // queued connections are still there and no new
                    // edge will announce them: the listener stays ready
                    // and we are called again, as ae's level-triggered
                    // epoll calls C again.
                    ae_not_ready(&mut server.el, fd, AE_READABLE);
                }
                return;
            }
        }
    }
}

/// C: networking.c freeClientArgv()
pub(super) fn free_client_argv(c: &mut Client) {
    c.argv.clear();
    c.cmd = None;
}

/// Close all the slaves connections. This is useful in chained replication
/// when we resync with our own master and want to force all our slaves to
/// resync with us as well.
///
/// C: networking.c disconnectSlaves()
pub(crate) fn disconnect_slaves(server: &mut RedisServer) {
    for id in server.slaves.clone() {
        free_client(server, id);
    }
}

/// Remove the specified client from global lists where the client could be
/// referenced, not including the Pub/Sub channels. This is used by
/// freeClient() and replicationCacheMaster().
///
/// C: networking.c unlinkClient()
pub(crate) fn unlink_client(server: &mut RedisServer, c: &mut Client) {
    // If this is marked as current client unset it.
    if server.current_client == Some(c.id) {
        server.current_client = None;
        crate::debug::CURRENT_CLIENT_FOR_HANDLER
            .store(std::ptr::null_mut(), std::sync::atomic::Ordering::Relaxed);
    }
    // Certain operations must be done only if the client has an active
    // socket. If the client was already unlinked or if it's a "fake
    // client" the fd is already set to -1.
    if c.fd != -1 {
        // In the case of diskless replication the child is writing to the
        // replica's socket, and closing our fd alone would not end that:
        // the child keeps streaming and the replica finds out it was
        // disconnected only once it has read the whole RDB. Shutting the
        // socket down makes the child's next write fail.
        if c.flags & CLIENT_SLAVE != 0
            && c.replstate == crate::replication::SLAVE_STATE_WAIT_BGSAVE_END
        {
            if let Some(sock) = c.sock.as_ref() {
                let _ = sock.shutdown(std::net::Shutdown::Both);
            }
        }

        // Unregister async I/O handlers and close the socket.
        ae::ae_delete_file_event(&mut server.el, c.fd, AE_READABLE);
        ae::ae_delete_file_event(&mut server.el, c.fd, AE_WRITABLE);
        c.sock = None; // closes the fd
        c.fd = -1;
    }
    // Remove from the list of pending writes if needed.
    if c.flags & CLIENT_PENDING_WRITE != 0 || c.pending_write_queued {
        if let Some(pos) =
            server.clients_pending_write.iter().position(|x| *x == c.id)
        {
            server.clients_pending_write.remove(pos);
        }
        c.flags &= !CLIENT_PENDING_WRITE;
        c.pending_write_queued = false;
    }
    // When client was just unblocked because of a blocking operation,
    // remove it from the list of unblocked clients.
    if c.flags & CLIENT_UNBLOCKED != 0 {
        if let Some(pos) =
            server.unblocked_clients.iter().position(|x| *x == c.id)
        {
            server.unblocked_clients.remove(pos);
        }
        c.flags &= !CLIENT_UNBLOCKED;
    }
}

/// Frees the client: closes its socket, takes it off every list, and
/// drops it. A client that is running a command is freed when it is
/// handed back.
///
/// C: networking.c freeClient()
pub fn free_client(server: &mut RedisServer, id: ClientId) {
    if server.clients.free_on_return(&id) {
        // Running: it is freed when handed back. C frees it now, and
        // unlinkClient() unsets current_client, which tells
        // processInputBuffer() to stop; so do we.
        if server.current_client == Some(id) {
            server.current_client = None;
            crate::debug::CURRENT_CLIENT_FOR_HANDLER.store(
                std::ptr::null_mut(),
                std::sync::atomic::Ordering::Relaxed,
            );
        }
        return;
    }
    let Some(flags) = server.clients.get(&id).map(|c| c.flags) else {
        return;
    };

    // If a client is protected, yet we need to free it right now, make
    // sure to at least use asynchronous freeing.
    if flags & CLIENT_PROTECTED != 0 {
        free_client_async(server, id);
        return;
    }

    // If it is our master that's being disconnected we should make sure to
    // cache the state to try a partial resynchronization later.
    //
    // Note that before doing this we make sure that the client is not in
    // some unexpected state, by checking its flags.
    if server.master == Some(id) && flags & CLIENT_MASTER != 0 {
        server_log!(server, LL_WARNING, "Connection with master lost.");
        if flags
            & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP | CLIENT_BLOCKED)
            == 0
        {
            crate::replication::replication_cache_master(server, id);
            return;
        }
    }

    // Log link disconnection with slave
    if flags & CLIENT_SLAVE != 0 && flags & CLIENT_MONITOR == 0 {
        let name = server
            .clients
            .get(&id)
            .map(crate::replication::replication_get_slave_name)
            .unwrap_or_default();
        server_log!(
            server,
            LL_WARNING,
            "Connection with replica {} lost.",
            name
        );
        crate::replication::history::replica_link_lost(server, name);
    }

    let Some(mut c) = server.clients.remove(&id) else { return };
    crate::trace::close(server, &c);

    // Deallocate structures used to block on blocking ops.
    if c.flags & CLIENT_BLOCKED != 0 {
        crate::blocked::unblock_client(server, &mut c);
    }

    // UNWATCH all the keys
    crate::multi::unwatch_all_keys(server, &mut c);

    // Unsubscribe from all the pubsub channels
    crate::pubsub::pubsub_unsubscribe_all_channels(server, &mut c, false);
    crate::pubsub::pubsub_unsubscribe_all_patterns(server, &mut c, false);

    // Free data structures.
    free_client_argv(&mut c);

    // Unlink the client: this will close the socket, remove the I/O
    // handlers, and remove references of the client from different places
    // where active clients may be referenced.
    unlink_client(server, &mut c);

    // Master/slave cleanup Case 1: we lost the connection with a slave.
    if c.flags & CLIENT_SLAVE != 0 {
        if c.replstate == crate::replication::SLAVE_STATE_SEND_BULK
            && c.repldbfd != -1
        {
            crate::replication::close_repldbfd(&mut c);
        }
        let l = if c.flags & CLIENT_MONITOR != 0 {
            &mut server.monitors
        } else {
            &mut server.slaves
        };
        if let Some(pos) = l.iter().position(|x| *x == id) {
            l.remove(pos);
        }
        if c.flags & CLIENT_MONITOR == 0 && server.slaves.is_empty() {
            server.repl_no_slaves_since = server.unixtime;
        }
        crate::replication::refresh_good_slaves_count(server);
    }

    // Master/slave cleanup Case 2: we lost the connection with the master.
    if c.flags & CLIENT_MASTER != 0 {
        crate::replication::replication_handle_master_disconnection(server);
    }

    // If this client was scheduled for async freeing we need to remove it
    // from the queue.
    if c.flags & CLIENT_CLOSE_ASAP != 0 {
        if let Some(pos) = server.clients_to_close.iter().position(|x| *x == id)
        {
            server.clients_to_close.remove(pos);
        }
    }
    // The Box<Client> drops here: C's zfree(c).
}

/// Schedule a client to free it at a safe time in the serverCron()
/// function. This function is useful when we need to terminate a client
/// but we are in a context where calling freeClient() is not possible,
/// because the client should be valid for the continuation of the flow of
/// the program.
///
/// C: networking.c freeClientAsync()
pub(crate) fn free_client_async(server: &mut RedisServer, id: ClientId) {
    let flags = match server.clients.get_mut(&id) {
        Lookup::Here(c) => {
            let f = c.flags;
            c.flags |= CLIENT_CLOSE_ASAP;
            f
        }
        Lookup::Running(mut slot) => {
            // The client is running a command; it will be found by the
            // queue walk once handed back.
            slot.defer(Effect::Flags(CLIENT_CLOSE_ASAP));
            if !server.clients_to_close.contains(&id) {
                server.clients_to_close.push(id);
            }
            return;
        }
        Lookup::Gone => return,
    };
    if flags & CLIENT_CLOSE_ASAP != 0 || flags & CLIENT_LUA != 0 {
        return;
    }
    server.clients_to_close.push(id);
}

/// C: networking.c freeClientsInAsyncFreeQueue()
pub fn free_clients_in_async_free_queue(server: &mut RedisServer) {
    while let Some(id) = server.clients_to_close.first().copied() {
        if let Some(c) = server.clients.here_mut(&id) {
            c.flags &= !CLIENT_CLOSE_ASAP;
        }
        server.clients_to_close.remove(0);
        free_client(server, id);
    }
}
