//! networking.c's read path: resetting a client between commands, the
//! inline and multibulk parsers, `process_input_buffer` and
//! `read_query_from_client`, in C's order.

use super::*;

/// resetClient prepare the client to process the next command
///
/// C: networking.c resetClient()
pub(crate) fn reset_client(c: &mut Client) {
    let prevcmd_asking = false;
    free_client_argv(c);
    c.reqtype = 0;
    c.multibulklen = 0;
    c.bulklen = -1;

    // We clear the ASKING flag as well if we are not inside a MULTI, and if
    // what we just executed is not the ASKING command itself.
    if c.flags & CLIENT_MULTI == 0 && !prevcmd_asking {
        c.flags &= !CLIENT_ASKING;
    }
    // Remove the CLIENT_REPLY_SKIP flag if any so that the reply to the
    // next command will be sent, but set the flag if the command we just
    // processed was "CLIENT REPLY SKIP".
    c.flags &= !CLIENT_REPLY_SKIP;
    if c.flags & CLIENT_REPLY_SKIP_NEXT != 0 {
        c.flags |= CLIENT_REPLY_SKIP;
        c.flags &= !CLIENT_REPLY_SKIP_NEXT;
    }
}

/// C's `strchr(p, ch)` on the query buffer: the first `ch`, unless a NUL
/// byte comes before it (the sds is a C string to strchr). So a protocol
/// line with a NUL in it never completes, as in Redis. (no C twin)
fn strchr(s: &[u8], ch: u8) -> Option<usize> {
    memchr::memchr2(ch, 0, s).filter(|&i| s[i] == ch)
}

/// Like processMultibulkBuffer(), but for the inline protocol instead of
/// RESP, this function consumes the client query buffer and creates a
/// command ready to be executed inside the client structure. Returns Ok if
/// the command is ready to be executed, or Err if there is still protocol
/// to read to have a well formed command.
///
/// C: networking.c processInlineBuffer()
pub(crate) fn process_inline_buffer(
    server: &mut RedisServer,
    c: &mut Client,
) -> CResult {
    let mut linefeed_chars = 1;
    // Search for end of line
    let Some(nl) = strchr(&c.querybuf[c.qb_pos..], b'\n') else {
        // Nothing to do without a \r\n
        if c.querybuf.len() - c.qb_pos > PROTO_INLINE_MAX_SIZE {
            add_reply_error(c, "Protocol error: too big inline request");
            set_protocol_error(server, "too big inline request", c);
        }
        return Err(CErr);
    };
    let mut newline = c.qb_pos + nl;
    // Handle the \r\n case.
    if newline != c.qb_pos && c.querybuf[newline - 1] == b'\r' {
        newline -= 1;
        linefeed_chars += 1;
    }
    // Split the input buffer up to the \r\n
    let querylen = newline - c.qb_pos;
    let Some(argv) = sdssplitargs(&c.querybuf[c.qb_pos..newline]) else {
        add_reply_error(c, "Protocol error: unbalanced quotes in request");
        set_protocol_error(server, "unbalanced quotes in inline request", c);
        return Err(CErr);
    };
    // Newline from slaves can be used to refresh the last ACK time. This is
    // useful for a slave to ping back while loading a big RDB file.
    if querylen == 0
        && c.flags & CLIENT_SLAVE != 0
        && c.flags & CLIENT_MONITOR == 0
    {
        c.repl_ack_time = server.unixtime;
    }
    // Move querybuffer position to the next query in the buffer.
    c.qb_pos += querylen + linefeed_chars;
    // Setup argv array on client structure
    c.argv = argv;
    Ok(())
}

/// Helper function. Record protocol erro details in server log, and set
/// the client as CLIENT_CLOSE_AFTER_REPLY.
///
/// C: networking.c setProtocolError()
pub(super) fn set_protocol_error(
    server: &mut RedisServer,
    errstr: &str,
    c: &mut Client,
) {
    if server.verbosity <= LL_VERBOSE {
        let client = cat_client_info_string(server, c);
        // Sample some protocol to given an idea about what was inside.
        let rest = &c.querybuf[c.qb_pos..];
        let buf = if rest.len() < PROTO_DUMP_LEN {
            format!(
                "Query buffer during protocol error: '{}'",
                String::from_utf8_lossy(rest)
            )
        } else {
            format!(
                "Query buffer during protocol error: '{}' (... more {} bytes ...) '{}'",
                String::from_utf8_lossy(&rest[..PROTO_DUMP_LEN / 2]),
                rest.len() - PROTO_DUMP_LEN,
                String::from_utf8_lossy(&rest[rest.len() - PROTO_DUMP_LEN / 2..])
            )
        };
        // Remove non printable chars.
        let buf: String = buf
            .chars()
            .map(|ch| if ch.is_ascii_graphic() || ch == ' ' { ch } else { '.' })
            .collect();
        server_log!(
            server,
            LL_VERBOSE,
            "Protocol error ({}) from client: {}. {}",
            errstr,
            client,
            buf
        );
    }
    c.flags |= CLIENT_CLOSE_AFTER_REPLY;
}

/// The largest argv array a client keeps between commands (see
/// process_multibulk_buffer); a bigger one is given back to the allocator
/// when the next command arrives. (no C twin)
const ARGV_KEEP_MAX: usize = 64;

/// Process the query buffer for client 'c', setting up the client argument
/// vector for command execution. Returns Ok if after running the function
/// the client has a well-formed ready to be processed command, otherwise
/// Err if there is still to read more buffer to get the full command. The
/// function also returns Err when there is a protocol error: in such a
/// case the client structure is setup to reply with the error and close
/// the connection.
///
/// This function is called if processInputBuffer() detects that the next
/// command is in RESP format, so the first byte in the command is found to
/// be '*'. Otherwise for inline commands processInlineBuffer() is called.
///
/// C: networking.c processMultibulkBuffer()
pub(crate) fn process_multibulk_buffer(
    server: &mut RedisServer,
    c: &mut Client,
) -> CResult {
    if c.multibulklen == 0 {
        // The client should have been reset
        debug_assert!(c.argv.is_empty());

        // Multi bulk length cannot be read without a \r\n
        let Some(nl) = strchr(&c.querybuf[c.qb_pos..], b'\r') else {
            if c.querybuf.len() - c.qb_pos > PROTO_INLINE_MAX_SIZE {
                add_reply_error(
                    c,
                    "Protocol error: too big mbulk count string",
                );
                set_protocol_error(server, "too big mbulk count string", c);
            }
            return Err(CErr);
        };
        let newline = c.qb_pos + nl;
        // Buffer should also contain \n
        if newline + 2 > c.querybuf.len() {
            return Err(CErr);
        }
        // We know for sure there is a whole line since newline != NULL, so
        // go ahead and find out the multi bulk length.
        let ll = crate::object::string2ll(&c.querybuf[c.qb_pos + 1..newline]);
        let ll = match ll {
            Some(ll) if ll <= 1024 * 1024 => ll,
            _ => {
                add_reply_error(c, "Protocol error: invalid multibulk length");
                set_protocol_error(server, "invalid mbulk count", c);
                return Err(CErr);
            }
        };
        if ll > 10 && server.requirepass.is_some() && !c.authenticated {
            add_reply_error(
                c,
                "Protocol error: unauthenticated multibulk length",
            );
            set_protocol_error(server, "unauth mbulk count", c);
            return Err(CErr);
        }
        c.qb_pos = newline + 2;
        if ll <= 0 {
            return Ok(());
        }
        c.multibulklen = ll;
        // Setup argv array on client structure
        // Divergence from C: C allocates a new argv array for every
        // command; the client keeps the one free_client_argv emptied when it
        // is big enough and not oversized, saving a malloc and a free per
        // command (a quarter of what a SET allocates).
        let want = ll.min(1024) as usize;
        if c.argv.capacity() < want || c.argv.capacity() > ARGV_KEEP_MAX {
            c.argv = Vec::with_capacity(want);
        }
    }

    while c.multibulklen > 0 {
        // Read bulk length if unknown
        if c.bulklen == -1 {
            let Some(nl) = strchr(&c.querybuf[c.qb_pos..], b'\r') else {
                if c.querybuf.len() - c.qb_pos > PROTO_INLINE_MAX_SIZE {
                    add_reply_error(
                        c,
                        "Protocol error: too big bulk count string",
                    );
                    set_protocol_error(server, "too big bulk count string", c);
                    return Err(CErr);
                }
                break;
            };
            let newline = c.qb_pos + nl;
            // Buffer should also contain \n
            if newline + 2 > c.querybuf.len() {
                break;
            }
            if c.querybuf[c.qb_pos] != b'$' {
                // As addReplyErrorFormat's %c: the raw byte (a Rust char
                // would be sent UTF-8 encoded), with \r and \n as spaces.
                let got = c.querybuf[c.qb_pos];
                let mut err = b"Protocol error: expected '$', got '".to_vec();
                err.extend_from_slice(&[got, b'\'']);
                add_reply_error_length(c, c_str(&err));
                set_protocol_error(
                    server,
                    "expected $ but got something else",
                    c,
                );
                return Err(CErr);
            }
            let ll =
                crate::object::string2ll(&c.querybuf[c.qb_pos + 1..newline]);
            let ll = match ll {
                Some(ll) if ll >= 0 && ll <= server.proto_max_bulk_len => ll,
                _ => {
                    add_reply_error(c, "Protocol error: invalid bulk length");
                    set_protocol_error(server, "invalid bulk length", c);
                    return Err(CErr);
                }
            };
            if ll > 16384 && server.requirepass.is_some() && !c.authenticated {
                add_reply_error(
                    c,
                    "Protocol error: unauthenticated bulk length",
                );
                set_protocol_error(server, "unauth bulk length", c);
                return Err(CErr);
            }
            c.qb_pos = newline + 2;
            if ll >= PROTO_MBULK_BIG_ARG {
                // If we are going to read a large object from network try to
                // make it likely that it will start at c->querybuf boundary
                // so that we can optimize object creation avoiding a large
                // copy of data. But only when the data we have not parsed is
                // less than or equal to ll+2.
                if c.querybuf.len() - c.qb_pos <= ll as usize + 2 {
                    c.querybuf.drain(..c.qb_pos);
                    c.qb_pos = 0;
                    // Hint the sds library about the amount of bytes this
                    // string is going to contain.
                    let need = ll as usize + 2;
                    if c.querybuf.capacity() < need {
                        c.querybuf.reserve_exact(need - c.querybuf.len());
                    }
                }
            }
            c.bulklen = ll;
        }

        // Read bulk argument
        let bulklen = c.bulklen as usize;
        if c.querybuf.len() - c.qb_pos < bulklen + 2 {
            // Not enough data (+2 == trailing \r\n)
            break;
        } else {
            // Optimization: if the buffer contains JUST our bulk element
            // instead of creating a new object by *copying* the sds we just
            // use the current sds string.
            if c.qb_pos == 0
                && c.bulklen >= PROTO_MBULK_BIG_ARG
                && c.querybuf.len() == bulklen + 2
            {
                let mut arg = std::mem::take(&mut c.querybuf);
                arg.truncate(bulklen); // remove CRLF
                c.argv.push(arg);
                // Assume that if we saw a fat argument we'll see another one
                // likely...
                c.querybuf = Vec::with_capacity(bulklen + 2);
            } else {
                c.argv.push(c.querybuf[c.qb_pos..c.qb_pos + bulklen].to_vec());
                c.qb_pos += bulklen + 2;
            }
            c.bulklen = -1;
            c.multibulklen -= 1;
        }
    }

    // We're done when c->multibulk == 0
    if c.multibulklen == 0 {
        return Ok(());
    }
    // Still not ready to process the command
    Err(CErr)
}

/// This function is called every time, in the client structure 'c', there
/// is more query buffer to process, because we read more data from the
/// socket or because a client was blocked and later reactivated, so there
/// could be pending query buffer, already representing a full command, to
/// process.
///
/// C: networking.c processInputBuffer()
pub(crate) fn process_input_buffer(server: &mut RedisServer, c: &mut Client) {
    server.current_client = Some(c.id);
    // For the crash report (logCurrentClient): C's current_client is a
    // pointer; ours is an id of a client that is out of the table now.
    crate::debug::CURRENT_CLIENT_FOR_HANDLER
        .store(c, std::sync::atomic::Ordering::Relaxed);

    // Keep processing while there is something in the input buffer
    while c.qb_pos < c.querybuf.len() {
        // Return if clients are paused.
        if c.flags & CLIENT_SLAVE == 0 && clients_are_paused(server) {
            break;
        }
        // Immediately abort if the client is in the middle of something.
        if c.flags & CLIENT_BLOCKED != 0 {
            break;
        }
        // Don't process input from the master while there is a busy script
        // condition on the slave. We want just to accumulate the
        // replication stream (instead of replying -BUSY like we do with
        // other clients) and later resume the processing.
        if server.lua_timedout && c.flags & CLIENT_MASTER != 0 {
            break;
        }
        // CLIENT_CLOSE_AFTER_REPLY closes the connection once the reply is
        // written to the client. Make sure to not let the reply grow after
        // this flag has been set (i.e. don't process more commands). The
        // same applies for clients we want to terminate ASAP.
        if c.flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP) != 0 {
            break;
        }
        // Determine request type when unknown.
        if c.reqtype == 0 {
            if c.querybuf[c.qb_pos] == b'*' {
                c.reqtype = PROTO_REQ_MULTIBULK;
            } else {
                c.reqtype = PROTO_REQ_INLINE;
            }
        }
        if c.reqtype == PROTO_REQ_INLINE {
            if process_inline_buffer(server, c).is_err() {
                break;
            }
        } else if process_multibulk_buffer(server, c).is_err() {
            break;
        }

        // Multibulk processing could see a <= 0 length.
        if c.argv.is_empty() {
            reset_client(c);
        } else {
            // Only reset the client when the command was executed.
            if process_command(server, c).is_ok() {
                if c.flags & CLIENT_MASTER != 0 && c.flags & CLIENT_MULTI == 0 {
                    // Update the applied replication offset of our master.
                    c.reploff = c.read_reploff - c.querybuf.len() as i64
                        + c.qb_pos as i64;
                }
                // Don't reset the client structure for clients blocked in a
                // module blocking command, so that the reply callback will
                // still be able to access the client argv and argc field.
                if c.flags & CLIENT_BLOCKED == 0 || c.btype != BLOCKED_MODULE {
                    reset_client(c);
                }
            }
            // freeMemoryIfNeeded may flush slave output buffers. This may
            // result into a slave, that may be the active client, to be
            // freed.
            if server.current_client.is_none() {
                break;
            }
        }
    }

    // Trim to pos
    if c.qb_pos != 0 {
        c.querybuf.drain(..c.qb_pos);
        c.qb_pos = 0;
    }
    server.current_client = None;
    crate::debug::CURRENT_CLIENT_FOR_HANDLER
        .store(std::ptr::null_mut(), std::sync::atomic::Ordering::Relaxed);
}

/// This is a wrapper for processInputBuffer that also cares about handling
/// the replication forwarding to the sub-slaves, in case the client 'c' is
/// flagged as master. Usually you want to call this instead of the raw
/// processInputBuffer().
///
/// C: networking.c processInputBufferAndReplicate()
pub fn process_input_buffer_and_replicate(
    server: &mut RedisServer,
    c: &mut Client,
) {
    if c.flags & CLIENT_MASTER == 0 {
        process_input_buffer(server, c);
    } else {
        let prev_offset = c.reploff;
        process_input_buffer(server, c);
        let applied = (c.reploff - prev_offset) as usize;
        if applied > 0 {
            crate::replication::replication_feed_slaves_from_master_stream(
                server,
                &c.pending_querybuf[..applied],
            );
            c.pending_querybuf.drain(..applied);
        }
    }
}

/// What a read from a client's socket came to. (no C twin)
enum ReadOutcome {
    Ok,
    /// Free the client (EOF, error, or the query buffer limit).
    Free,
}

/// Read handler: reads up to 16 KiB from the socket into the query buffer
/// and runs the commands it completes.
///
/// C: networking.c readQueryFromClient()
pub(crate) fn read_query_from_client(
    server: &mut RedisServer,
    fd: RawFd,
    data: ClientData,
    _mask: i32,
) {
    let ClientData::Client(id) = data else { return };
    let outcome = with_client(server, id, |server, c| {
        let mut readlen = PROTO_IOBUF_LEN;
        // What is left of a big argument being read. (Not in C: below, it
        // sizes the master's pending buffer for it in one step.)
        let mut big_arg_left = 0;
        // If this is a multi bulk request, and we are processing a bulk
        // reply that is large enough, try to maximize the probability that
        // the query buffer contains exactly the SDS string representing the
        // object, even at the risk of requiring more read(2) calls. This way
        // the function processMultiBulkBuffer() can avoid copying buffers to
        // create the Redis Object representing the argument.
        if c.reqtype == PROTO_REQ_MULTIBULK
            && c.multibulklen != 0
            && c.bulklen != -1
            && c.bulklen >= PROTO_MBULK_BIG_ARG
        {
            let remaining =
                (c.bulklen as usize + 2).saturating_sub(c.querybuf.len());
            big_arg_left = remaining;
            // Note that the 'remaining' variable may be zero in some edge
            // case, for example once we resume a blocked client after CLIENT
            // PAUSE.
            if remaining > 0 && remaining < readlen {
                readlen = remaining;
            }
        }
        let qblen = c.querybuf.len();
        if c.querybuf_peak < qblen {
            c.querybuf_peak = qblen;
        }
        c.querybuf.reserve(readlen);
        let nread = match c.sock.as_ref() {
            Some(s) => recv_into(s, &mut c.querybuf, readlen),
            None => return ReadOutcome::Free,
        };
        let nread = match nread {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                ae_not_ready(&mut server.el, fd, AE_READABLE);
                return ReadOutcome::Ok;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                return ReadOutcome::Ok
            }
            Err(e) => {
                server_log!(
                    server,
                    LL_VERBOSE,
                    "Reading from client: {}",
                    strerror(&e)
                );
                return ReadOutcome::Free;
            }
            Ok(0) => {
                server_log!(server, LL_VERBOSE, "Client closed connection");
                return ReadOutcome::Free;
            }
            Ok(n) => n,
        };
        // A short read drained the socket: the next edge tells us of more.
        if nread < readlen {
            ae_not_ready(&mut server.el, fd, AE_READABLE);
        }
        if c.flags & CLIENT_MASTER != 0 {
            // Append the query buffer to the pending (not applied) buffer of
            // the master. We'll use this buffer later in order to have a copy
            // of the string applied by the last command executed.
            let (pq, qb) = (&mut c.pending_querybuf, &c.querybuf);
            // Divergence from C: while a big argument arrives, room for
            // all of it is made at once, not 1 MB more at every read (each
            // a realloc that may copy what the buffer holds).
            crate::sds::sds_make_room_for(pq, nread.max(big_arg_left));
            pq.extend_from_slice(&qb[qblen..qblen + nread]);
        }
        c.lastinteraction = server.unixtime;
        if c.flags & CLIENT_MASTER != 0 {
            c.read_reploff += nread as i64;
        }
        server.stat_net_input_bytes += nread as i64;
        if c.querybuf.len() > server.client_max_querybuf_len {
            let ci = cat_client_info_string(server, c);
            let bytes = sdscatrepr(&c.querybuf[..c.querybuf.len().min(64)]);
            server_log!(
                server,
                LL_WARNING,
                "Closing client that reached max query buffer length: {} (qbuf initial bytes: {})",
                ci,
                bytes
            );
            return ReadOutcome::Free;
        }
        // Time to process the buffer. If the client is a master we need to
        // compute the difference between the applied offset before and
        // after processing the buffer, to understand how much of the
        // replication stream was actually applied to the master state: this
        // quantity, and its corresponding part of the replication stream,
        // will be propagated to the sub-slaves and to the replication
        // backlog.
        process_input_buffer_and_replicate(server, c);
        ReadOutcome::Ok
    });
    if let Some(ReadOutcome::Free) = outcome {
        free_client(server, id);
    }
}

/// Reads at most `readlen` bytes from `s`, appending them to `buf`.
/// (no C twin: C reads straight into the sds's free space)
fn recv_into(
    s: &Socket,
    buf: &mut Vec<u8>,
    readlen: usize,
) -> io::Result<usize> {
    let len = buf.len();
    let spare = &mut buf.spare_capacity_mut()[..readlen];
    // Divergence from C: MSG_DONTWAIT. A replica's socket is blocking while
    // a diskless child streams the RDB to it (rdbSaveToSlavesSockets shares
    // the O_NONBLOCK flag with the child). In C level-triggered epoll only
    // reports it when data is there; our level emulation keeps an fd whose
    // last read filled `readlen` exactly "still ready", and a plain recv on
    // the blocking socket would then hang the whole server.
    let n = s.recv_with_flags(spare, libc::MSG_DONTWAIT)?;
    // SAFETY: recv initialised the first n bytes of the spare capacity,
    // and n <= readlen <= spare capacity.
    unsafe { buf.set_len(len + n) };
    Ok(n)
}
