//! networking.c's CLIENT command and what it prints: peer ids, the CLIENT
//! LIST line, client types by name, SECURITY WARNING, in C's order.

use super::*;

/// A Redis "Peer ID" is a colon separated ip:port pair. For IPv4 it's in
/// the form x.y.z.k:port, example: "127.0.0.1:1234". For IPv6 addresses we
/// use [] around the IP part, like in "[::1]:1234". For Unix sockets we use
/// path:0, like in "/tmp/redis:0".
///
/// C: networking.c genClientPeerId()
pub(crate) fn gen_client_peer_id(server: &RedisServer, c: &Client) -> String {
    if c.flags & CLIENT_UNIX_SOCKET != 0 {
        // Unix socket client.
        format!("{}:0", server.unixsocket.as_deref().unwrap_or(""))
    } else {
        // TCP client.
        match &c.sock {
            Some(s) => anet::anet_format_peer(s),
            None => "?:0".to_string(),
        }
    }
}

/// This function returns the client peer id, by creating and caching it if
/// client->peerid is NULL, otherwise returning the cached value. The Peer
/// ID never changes during the life of the client, however it is expensive
/// to compute.
///
/// C: networking.c getClientPeerId()
pub(crate) fn get_client_peer_id(
    server: &RedisServer,
    c: &mut Client,
) -> String {
    if c.peerid.is_none() {
        c.peerid = Some(gen_client_peer_id(server, c));
    }
    c.peerid.clone().unwrap_or_default()
}

/// The `flags=` letters of CLIENT LIST (`S` replica, `M` master, ...,
/// `N` for none), as catClientInfoString() builds them; the event trace's
/// `close` lines use them too. (no C twin: inline in catClientInfoString)
pub(crate) fn client_flags_string(cflags: u64) -> String {
    let mut flags = String::new();
    if cflags & CLIENT_SLAVE != 0 {
        if cflags & CLIENT_MONITOR != 0 {
            flags.push('O');
        } else {
            flags.push('S');
        }
    }
    if cflags & CLIENT_MASTER != 0 {
        flags.push('M');
    }
    if cflags & CLIENT_PUBSUB != 0 {
        flags.push('P');
    }
    if cflags & CLIENT_MULTI != 0 {
        flags.push('x');
    }
    if cflags & CLIENT_BLOCKED != 0 {
        flags.push('b');
    }
    if cflags & CLIENT_DIRTY_CAS != 0 {
        flags.push('d');
    }
    if cflags & CLIENT_CLOSE_AFTER_REPLY != 0 {
        flags.push('c');
    }
    if cflags & CLIENT_UNBLOCKED != 0 {
        flags.push('u');
    }
    if cflags & CLIENT_CLOSE_ASAP != 0 {
        flags.push('A');
    }
    if cflags & CLIENT_UNIX_SOCKET != 0 {
        flags.push('U');
    }
    if cflags & CLIENT_READONLY != 0 {
        flags.push('r');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    flags
}

/// Concatenate a string representing the state of a client in an human
/// readable format, into the sds string 's'.
///
/// C: networking.c catClientInfoString()
pub(crate) fn cat_client_info_string(
    server: &RedisServer,
    client: &mut Client,
) -> String {
    let flags = client_flags_string(client.flags);
    let emask = if client.fd == -1 {
        0
    } else {
        ae::ae_get_file_events(&server.el, client.fd)
    };
    let mut events = String::new();
    if emask & AE_READABLE != 0 {
        events.push('r');
    }
    if emask & AE_WRITABLE != 0 {
        events.push('w');
    }
    let peer = get_client_peer_id(server, client);
    format!(
        "id={} addr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} multi={} qbuf={} qbuf-free={} obl={} oll={} omem={} events={} cmd={}",
        client.id.0,
        peer,
        client.fd,
        client.name.as_deref().map(String::from_utf8_lossy).unwrap_or_default(),
        server.unixtime - client.ctime,
        server.unixtime - client.lastinteraction,
        flags,
        client.db,
        client.pubsub_channels.len(),
        client.pubsub_patterns.len(),
        if client.flags & CLIENT_MULTI != 0 { client.mstate.commands.len() as i64 } else { -1 },
        client.querybuf.len(),
        client.querybuf.capacity() - client.querybuf.len(),
        client.bufpos,
        client.reply.len(),
        get_client_output_buffer_memory_usage(client),
        events,
        client.lastcmd.map(|i| server.commands[i].name).unwrap_or("NULL")
    )
}

/// CLIENT LIST runs it with its client put back in the table
/// (`with_running_in_table`), so that client is listed in its place.
///
/// C: networking.c getAllClientsInfoString()
// Divergence from C: a client lent out by an outer with_client (not the
// running one) is not listed: its frame holds it.
pub(crate) fn get_all_clients_info_string(
    server: &mut RedisServer,
    type_: Option<usize>,
) -> String {
    let mut o = String::new();
    let ids: Vec<ClientId> = server.clients.ids().collect();
    for id in ids {
        // Lent for a moment: its peer id is cached as it is listed.
        let Some(mut c) = server.clients.lend(&id) else { continue };
        if type_.is_none_or(|t| get_client_type(&c) == t) {
            o.push_str(&cat_client_info_string(server, &mut c));
            o.push('\n');
        }
        server.clients.give_back(c);
    }
    o
}

/// CLIENT ID | LIST [TYPE t] | REPLY ON|OFF|SKIP | KILL ... | UNBLOCK id
/// [TIMEOUT|ERROR] | SETNAME name | GETNAME | PAUSE ms | HELP.
///
/// `c` is lent out of `server.clients` while this runs (its slot says
/// "running"), so the loops over "all clients" below look at `c` apart.
///
/// C: networking.c clientCommand()
pub(crate) fn client_command(server: &mut RedisServer, c: &mut Client) {
    use crate::shared::{CONE, CZERO, NULLBULK, OK, SYNTAXERR};
    let argc = c.argv.len();
    let sub = c.argv[1].clone();
    if argc == 2 && sub.eq_ignore_ascii_case(b"help") {
        const HELP: &[&str] = &[
            "id                     -- Return the ID of the current connection.",
            "getname                -- Return the name of the current connection.",
            "kill <ip:port>         -- Kill connection made from <ip:port>.",
            "kill <option> <value> [option value ...] -- Kill connections. Options are:",
            "     addr <ip:port>                      -- Kill connection made from <ip:port>",
            "     type (normal|master|replica|pubsub) -- Kill connections by type.",
            "     skipme (yes|no)   -- Skip killing current connection (default: yes).",
            "list [options ...]     -- Return information about client connections. Options:",
            "     type (normal|master|replica|pubsub) -- Return clients of specified type.",
            "pause <timeout>        -- Suspend all Redis clients for <timout> milliseconds.",
            "reply (on|off|skip)    -- Control the replies sent to the current connection.",
            "setname <name>         -- Assign the name <name> to the current connection.",
            "unblock <clientid> [TIMEOUT|ERROR] -- Unblock the specified blocked client.",
        ];
        let name = String::from_utf8_lossy(&c.argv[0]).into_owned();
        add_reply_help(c, &name, HELP);
    } else if sub.eq_ignore_ascii_case(b"id") && argc == 2 {
        // CLIENT ID
        add_reply_long_long(c, c.id.0 as i64);
    } else if sub.eq_ignore_ascii_case(b"list") {
        // CLIENT LIST
        let mut type_ = None;
        if argc == 4 && c.argv[2].eq_ignore_ascii_case(b"type") {
            type_ = get_client_type_by_name(&c.argv[3]);
            if type_.is_none() {
                let t = c_str(&c.argv[3]).to_vec();
                add_reply_error_format_bytes(
                    c,
                    &[b"Unknown client type '", &t, b"'"],
                );
                return;
            }
        } else if argc != 2 {
            add_reply(c, SYNTAXERR);
            return;
        }
        let o = with_running_in_table(server, c, |s| {
            get_all_clients_info_string(s, type_)
        });
        add_reply_bulk_c_buffer(c, o.as_bytes());
    } else if sub.eq_ignore_ascii_case(b"reply") && argc == 3 {
        // CLIENT REPLY ON|OFF|SKIP
        let mode = &c.argv[2];
        if mode.eq_ignore_ascii_case(b"on") {
            c.flags &= !(CLIENT_REPLY_SKIP | CLIENT_REPLY_OFF);
            add_reply(c, OK);
        } else if mode.eq_ignore_ascii_case(b"off") {
            c.flags |= CLIENT_REPLY_OFF;
        } else if mode.eq_ignore_ascii_case(b"skip") {
            if c.flags & CLIENT_REPLY_OFF == 0 {
                c.flags |= CLIENT_REPLY_SKIP_NEXT;
            }
        } else {
            add_reply(c, SYNTAXERR);
        }
    } else if sub.eq_ignore_ascii_case(b"kill") {
        // CLIENT KILL <ip:port>
        // CLIENT KILL <option> [value] ... <option> [value]
        let mut addr: Option<Vec<u8>> = None;
        let mut type_: Option<usize> = None;
        let mut id: u64 = 0;
        let mut skipme = true;
        let mut killed = 0;
        let mut close_this_client = false;

        if argc == 3 {
            // Old style syntax: CLIENT KILL <addr>
            addr = Some(c.argv[2].clone());
            skipme = false; // With the old form, you can kill yourself.
        } else if argc > 3 {
            let mut i = 2; // Next option index.
                           // New style syntax: parse options.
            while i < argc {
                let moreargs = argc > i + 1;
                let opt = c.argv[i].clone();
                if opt.eq_ignore_ascii_case(b"id") && moreargs {
                    let v = c.argv[i + 1].clone();
                    let Some(tmp) =
                        crate::object::get_long_long_from_object_or_reply(
                            c, &v, None,
                        )
                    else {
                        return;
                    };
                    id = tmp as u64;
                } else if opt.eq_ignore_ascii_case(b"type") && moreargs {
                    type_ = get_client_type_by_name(&c.argv[i + 1]);
                    if type_.is_none() {
                        let t = c_str(&c.argv[i + 1]).to_vec();
                        add_reply_error_format_bytes(
                            c,
                            &[b"Unknown client type '", &t, b"'"],
                        );
                        return;
                    }
                } else if opt.eq_ignore_ascii_case(b"addr") && moreargs {
                    addr = Some(c.argv[i + 1].clone());
                } else if opt.eq_ignore_ascii_case(b"skipme") && moreargs {
                    if c.argv[i + 1].eq_ignore_ascii_case(b"yes") {
                        skipme = true;
                    } else if c.argv[i + 1].eq_ignore_ascii_case(b"no") {
                        skipme = false;
                    } else {
                        add_reply(c, SYNTAXERR);
                        return;
                    }
                } else {
                    add_reply(c, SYNTAXERR);
                    return;
                }
                i += 2;
            }
        } else {
            add_reply(c, SYNTAXERR);
            return;
        }

        // Iterate clients killing all the matching clients. The caller is
        // not in the table: check it first.
        let matches = |server: &RedisServer, client: &Client| {
            if let Some(addr) = &addr {
                // Divergence from C: the peer id of a client that never had
                // it computed is not cached by this lookup.
                let peer = match &client.peerid {
                    Some(p) => std::borrow::Cow::Borrowed(p.as_str()),
                    None => std::borrow::Cow::Owned(gen_client_peer_id(
                        server, client,
                    )),
                };
                if addr.as_slice() != peer.as_bytes() {
                    return false;
                }
            }
            if type_.is_some_and(|t| get_client_type(client) != t) {
                return false;
            }
            id == 0 || client.id.0 == id
        };
        if !skipme && matches(server, c) {
            close_this_client = true;
            killed += 1;
        }
        let victims: Vec<ClientId> = server
            .clients
            .values()
            .filter(|client| matches(server, client))
            .map(|client| client.id)
            .collect();
        for victim in victims {
            free_client(server, victim);
            killed += 1;
        }

        // Reply according to old/new format.
        if argc == 3 {
            if killed == 0 {
                add_reply_error(c, "No such client");
            } else {
                add_reply(c, OK);
            }
        } else {
            add_reply_long_long(c, killed);
        }

        // If this client has to be closed, flag it as CLOSE_AFTER_REPLY
        // only after we queued the reply to its output buffers.
        if close_this_client {
            c.flags |= CLIENT_CLOSE_AFTER_REPLY;
        }
    } else if sub.eq_ignore_ascii_case(b"unblock") && (argc == 3 || argc == 4) {
        // CLIENT UNBLOCK <id> [timeout|error]
        let mut unblock_error = false;
        if argc == 4 {
            if c.argv[3].eq_ignore_ascii_case(b"timeout") {
                unblock_error = false;
            } else if c.argv[3].eq_ignore_ascii_case(b"error") {
                unblock_error = true;
            } else {
                add_reply_error(
                    c,
                    "CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
                );
                return;
            }
        }
        let v = c.argv[2].clone();
        let Some(id) =
            crate::object::get_long_long_from_object_or_reply(c, &v, None)
        else {
            return;
        };
        // The caller itself is running, so it is not blocked: looking it up
        // in the table (where it is not) gives the same answer.
        let unblocked =
            with_client(server, ClientId(id as u64), |server, target| {
                if target.flags & CLIENT_BLOCKED == 0 {
                    return false;
                }
                if unblock_error {
                    add_reply_error(
                        target,
                        "-UNBLOCKED client unblocked via CLIENT UNBLOCK",
                    );
                } else {
                    crate::blocked::reply_to_blocked_client_timed_out(
                        server, target,
                    );
                }
                crate::blocked::unblock_client(server, target);
                true
            });
        if unblocked == Some(true) {
            add_reply(c, CONE);
        } else {
            add_reply(c, CZERO);
        }
    } else if sub.eq_ignore_ascii_case(b"setname") && argc == 3 {
        // Setting the client name to an empty string actually removes the
        // current name.
        if c.argv[2].is_empty() {
            c.name = None;
            add_reply(c, OK);
            return;
        }
        // Otherwise check if the charset is ok. We need to do this
        // otherwise CLIENT LIST format will break. You should always be
        // able to split by space to get the different fields.
        if c.argv[2].iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
            add_reply_error(c, "Client names cannot contain spaces, newlines or special characters.");
            return;
        }
        c.name = Some(c.argv[2].clone());
        add_reply(c, OK);
    } else if sub.eq_ignore_ascii_case(b"getname") && argc == 2 {
        match c.name.clone() {
            Some(name) => add_reply_bulk(c, &name),
            None => add_reply(c, NULLBULK),
        }
    } else if sub.eq_ignore_ascii_case(b"pause") && argc == 3 {
        let v = c.argv[2].clone();
        let Ok(duration) = crate::blocked::get_timeout_from_object_or_reply(
            c,
            &v,
            crate::t_string::UNIT_MILLISECONDS,
        ) else {
            return;
        };
        pause_clients(server, duration);
        add_reply(c, OK);
    } else {
        let s = c_str(&sub).to_vec();
        add_reply_error_format_bytes(
            c,
            &[
                b"Unknown subcommand or wrong number of arguments for '",
                &s,
                b"'. Try CLIENT HELP",
            ],
        );
    }
}

/// This callback is bound to POST and "Host:" command names. Those are not
/// really commands, but are used in security attacks in order to talk to
/// Redis instances via HTTP, with a technique called "cross protocol
/// scripting" which exploits the fact that services like Redis will
/// discard invalid HTTP headers and will process what follows.
///
/// As a protection against this attack, Redis will terminate the
/// connection when a POST or "Host:" header is seen, and will log the
/// event from time to time (to avoid creating a DOS as a result of too
/// many logs).
///
/// C: networking.c securityWarningCommand()
pub(crate) fn security_warning_command(
    server: &mut RedisServer,
    c: &mut Client,
) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    if (now - server.security_warning_logged_time).abs() > 60 {
        server_log!(
            server,
            LL_WARNING,
            "Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection aborted."
        );
        server.security_warning_logged_time = now;
    }
    let id = c.id;
    with_running_in_table(server, c, |s| free_client_async(s, id));
}

/// Return the class of a client, used in order to enforce limits to
/// different classes of clients.
///
/// C: networking.c getClientType()
pub(crate) fn get_client_type(c: &Client) -> usize {
    if c.flags & CLIENT_MASTER != 0 {
        return CLIENT_TYPE_MASTER;
    }
    if c.flags & CLIENT_SLAVE != 0 && c.flags & CLIENT_MONITOR == 0 {
        return CLIENT_TYPE_SLAVE;
    }
    if c.flags & CLIENT_PUBSUB != 0 {
        return CLIENT_TYPE_PUBSUB;
    }
    CLIENT_TYPE_NORMAL
}

/// C: networking.c getClientTypeByName()
pub(crate) fn get_client_type_by_name(name: &[u8]) -> Option<usize> {
    let n = name.to_ascii_lowercase();
    match &n[..] {
        b"normal" => Some(CLIENT_TYPE_NORMAL),
        b"slave" | b"replica" => Some(CLIENT_TYPE_SLAVE),
        b"pubsub" => Some(CLIENT_TYPE_PUBSUB),
        b"master" => Some(CLIENT_TYPE_MASTER),
        _ => None,
    }
}

/// C: networking.c getClientTypeName()
pub(crate) fn get_client_type_name(class: usize) -> Option<&'static str> {
    match class {
        CLIENT_TYPE_NORMAL => Some("normal"),
        CLIENT_TYPE_SLAVE => Some("slave"),
        CLIENT_TYPE_PUBSUB => Some("pubsub"),
        CLIENT_TYPE_MASTER => Some("master"),
        _ => None,
    }
}
