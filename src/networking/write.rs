//! networking.c's write path: `write_to_client`, the writable handler and
//! `handle_clients_with_pending_writes`, which `before_sleep` calls, in
//! C's order.

use super::*;

/// Write data in output buffers to client. Return Ok if the client is
/// still valid after the call, Err if it was freed.
///
/// C: networking.c writeToClient()
pub(crate) fn write_to_client(
    server: &mut RedisServer,
    id: ClientId,
    handler_installed: bool,
) -> CResult {
    let unixtime = server.unixtime;
    let maxmemory = server.maxmemory;
    let Some(c) = server.clients.here_mut(&id) else { return Err(CErr) };
    let mut totwritten: usize = 0;
    let mut err: Option<io::Error> = None;
    let fd = c.fd;
    {
        let Some(sock) = c.sock.as_ref() else { return Err(CErr) };
        let mut sock: &Socket = sock;
        while c.bufpos != 0 || !c.reply.is_empty() {
            if c.bufpos > 0 {
                match sock.write(&c.buf[c.sentlen..c.bufpos]) {
                    Ok(0) => break,
                    Ok(n) => {
                        c.sentlen += n;
                        totwritten += n;
                        // If the buffer was sent, set bufpos to zero to
                        // continue with the remainder of the reply.
                        if c.sentlen == c.bufpos {
                            c.bufpos = 0;
                            c.sentlen = 0;
                        }
                    }
                    Err(e) => {
                        err = Some(e);
                        break;
                    }
                }
            } else {
                let Some(o) = c.reply.front() else { break };
                let objlen = o.buf.len();
                if objlen == 0 {
                    c.reply_bytes -= o.buf.capacity() as u64;
                    c.reply.pop_front();
                    continue;
                }
                match sock.write(&o.buf[c.sentlen..objlen]) {
                    Ok(0) => break,
                    Ok(n) => {
                        c.sentlen += n;
                        totwritten += n;
                        // If we fully sent the object on head go to the next
                        // one
                        if c.sentlen == objlen {
                            let cap = o.buf.capacity() as u64;
                            c.reply_bytes = c.reply_bytes.saturating_sub(cap);
                            c.reply.pop_front();
                            c.sentlen = 0;
                            if c.reply.is_empty() {
                                c.reply_bytes = 0;
                            }
                        }
                    }
                    Err(e) => {
                        err = Some(e);
                        break;
                    }
                }
            }
            // Note that we avoid to send more than NET_MAX_WRITES_PER_EVENT
            // bytes, in a single threaded server it's a good idea to serve
            // other clients as well, even if a very large request comes from
            // super fast link that is always able to accept data (in real
            // world scenario think about 'KEYS *' against the loopback
            // interface).
            //
            // However if we are over the maxmemory limit we ignore that and
            // just deliver as much data as it is possible to deliver.
            //
            // Moreover, we also send as much as possible if the client is a
            // slave (otherwise, on high-speed traffic, the replication buffer
            // will grow indefinitely)
            if totwritten > NET_MAX_WRITES_PER_EVENT
                && (maxmemory == 0
                    || (crate::util::zmalloc_used_memory() as u64) < maxmemory)
                && c.flags & CLIENT_SLAVE == 0
            {
                break;
            }
        }
    }
    if totwritten > 0 {
        // For clients representing masters we don't count sending data as
        // an interaction, since we always send REPLCONF ACK commands that
        // take some time to just fill the socket output buffer. We just
        // rely on data / pings received for timeout detection.
        if c.flags & CLIENT_MASTER == 0 {
            c.lastinteraction = unixtime;
        }
    }
    let pending = c.bufpos != 0 || !c.reply.is_empty();
    let close_after = c.flags & CLIENT_CLOSE_AFTER_REPLY != 0;
    if !pending {
        c.sentlen = 0;
    }
    server.stat_net_output_bytes += totwritten as i64;
    if let Some(e) = err {
        if e.kind() == io::ErrorKind::WouldBlock {
            ae_not_ready(&mut server.el, fd, AE_WRITABLE);
        } else {
            server_log!(
                server,
                LL_VERBOSE,
                "Error writing to client: {}",
                strerror(&e)
            );
            free_client(server, id);
            return Err(CErr);
        }
    }
    if !pending {
        // Note that writeToClient() is called in a threaded way, but
        // aeDeleteFileEvent() is not thread safe: however writeToClient() is
        // always called with handler_installed set to 0 from threads so we
        // are fine.
        if handler_installed {
            ae::ae_delete_file_event(&mut server.el, fd, AE_WRITABLE);
        }
        // Close connection after entire reply has been sent.
        if close_after {
            free_client(server, id);
            return Err(CErr);
        }
    }
    Ok(())
}

/// Write event handler. Just send data to the client.
///
/// C: networking.c sendReplyToClient()
pub(crate) fn send_reply_to_client(
    server: &mut RedisServer,
    _fd: RawFd,
    data: ClientData,
    _mask: i32,
) {
    if let ClientData::Client(id) = data {
        let _ = write_to_client(server, id, true);
    }
}

/// This function is called just before entering the event loop, in the
/// hope we can just write the replies to the client output buffer without
/// any need to use a syscall in order to install the writable event
/// handler, get it called, and so forth.
///
/// C: networking.c handleClientsWithPendingWrites()
pub(crate) fn handle_clients_with_pending_writes(
    server: &mut RedisServer,
) -> usize {
    let list = std::mem::take(&mut server.clients_pending_write);
    let processed = list.len();
    for id in list.iter().copied() {
        let Some(c) = server.clients.here_mut(&id) else { continue };
        c.flags &= !CLIENT_PENDING_WRITE;
        c.pending_write_queued = false;

        // If a client is protected, don't do anything, that may trigger
        // write error or recreate handler.
        if c.flags & CLIENT_PROTECTED != 0 {
            continue;
        }
        // Try to write buffers to the client socket.
        if write_to_client(server, id, false).is_err() {
            continue;
        }
        // If after the synchronous writes above we still have data to
        // output to the client, we need to install the writable handler.
        let Some(c) = server.clients.get(&id) else { continue };
        if client_has_pending_replies(c) {
            let fd = c.fd;
            let mut ae_flags = AE_WRITABLE;
            // For the fsync=always policy, we want that a given FD is never
            // served for reading and writing in the same event loop
            // iteration, so that in the middle of receiving the query, and
            // serving it to the client, we'll call beforeSleep() that will
            // do the actual fsync of AOF to disk. AE_BARRIER ensures that.
            if server.aof_state == crate::config::AOF_ON
                && server.aof_fsync == crate::config::AOF_FSYNC_ALWAYS
            {
                ae_flags |= ae::AE_BARRIER;
            }
            if ae::ae_create_file_event(
                &mut server.el,
                fd,
                ae_flags,
                send_reply_to_client,
                ClientData::Client(id),
            )
            .is_err()
            {
                free_client_async(server, id);
            }
        }
    }
    // Keep ids queued by the writes above (none today) after ours.
    let mut rest = std::mem::replace(&mut server.clients_pending_write, list);
    server.clients_pending_write.clear();
    server.clients_pending_write.append(&mut rest);
    processed
}

/// This function is called just before entering the event loop, in the
/// context of a client that is about to stay out of it for a while (the
/// caller of a script that timed out, while the loop runs nested). So the
/// function protects the client by doing two things:
///
/// 1) It removes the file events. This way it is not possible that an
///    error is signaled on the socket, freeing the client.
/// 2) Moreover it makes sure that if the client is freed in a different
///    code path, it is not really released, but only marked for later
///    release.
///
/// C: networking.c protectClient()
pub(crate) fn protect_client(server: &mut RedisServer, c: &mut Client) {
    c.flags |= CLIENT_PROTECTED;
    ae::ae_delete_file_event(&mut server.el, c.fd, AE_READABLE);
    ae::ae_delete_file_event(&mut server.el, c.fd, AE_WRITABLE);
}

/// This will undo the client protection done by protect_client().
///
/// C: networking.c unprotectClient()
pub(crate) fn unprotect_client(server: &mut RedisServer, c: &mut Client) {
    if c.flags & CLIENT_PROTECTED != 0 {
        c.flags &= !CLIENT_PROTECTED;
        // It cannot fail: the fd had this event before protect_client().
        let _ = ae::ae_create_file_event(
            &mut server.el,
            c.fd,
            AE_READABLE,
            super::query::read_query_from_client,
            ClientData::Client(c.id),
        );
        if client_has_pending_replies(c) {
            client_install_write_handler(c);
        }
    }
}
