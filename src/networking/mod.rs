//! Reply buffers, the query parser and client lifetime: everything between
//! a socket becoming readable and the reply bytes leaving it.
//!
//! Ports networking.c from Redis 5.0.14, in the same order, over this file
//! (client creation, then, at its end, output buffer limits, pausing and
//! the nested event loop) and, in between, `reply.rs` (the reply API),
//! `lifetime.rs` (accept and free), `write.rs`, `query.rs` (the parsers)
//! and `client.rs` (the CLIENT command). anet.c is `anet.rs`; the client
//! table is `client_table.rs`.
//!
//! Read this first: a command runs with its client lent out of
//! `server.clients` (`with_client`, see `client_table.rs`), so it can hold
//! `&mut RedisServer` and `&mut Client` at once. The `add_reply*` functions therefore take only
//! the client; they set CLIENT_PENDING_WRITE, and whoever hands the client
//! back to the table queues it for `handle_clients_with_pending_writes`.

pub(crate) mod anet;
pub(crate) mod client_table;

use std::io::{self, Write};
use std::os::unix::io::{AsRawFd, RawFd};

use socket2::Socket;

use crate::ae::{self, ae_not_ready, AE_READABLE, AE_WRITABLE};
use crate::server::*;
use crate::server_log;
use crate::util::{sdscatrepr, sdssplitargs, strerror};
pub(crate) use client_table::{
    with_running_in_table, ClientTable, Effect, Lookup,
};

/// C: networking.c PROTO_DUMP_LEN (in setProtocolError)
const PROTO_DUMP_LEN: usize = 128;

// ------------------------------ client helpers ------------------------------

/// Number of connected clients, the running ones included: C's
/// `listLength(server.clients)`. (no C twin)
pub(crate) fn num_clients(server: &RedisServer) -> usize {
    server.clients.len()
}

/// Runs `f` with client `id` lent out of `server.clients` (its slot says
/// "running"), then hands it back with `give_back_client`. Returns `None`
/// if there is no such client, or it is already running.
/// (no C twin: C passes `client *` around while it stays in the list)
pub fn with_client<R>(
    server: &mut RedisServer,
    id: ClientId,
    f: impl FnOnce(&mut RedisServer, &mut Client) -> R,
) -> Option<R> {
    let mut c = server.clients.lend(&id)?;
    let r = f(server, &mut c);
    give_back_client(server, c);
    Some(r)
}

/// Puts a lent client back in its slot, or frees it if something freed it
/// while it ran. What was aimed at it meanwhile (`client_table::Effect`)
/// is applied first, so that it is written out and counted against the
/// output limits with the rest of its replies. (no C twin)
pub(crate) fn give_back_client(server: &mut RedisServer, mut c: Box<Client>) {
    let id = c.id;
    // Whatever `apply_deferred` has not taken yet.
    let deferred = server.clients.take_deferred(&id);
    flush_mailbox(&mut c);
    apply_effects(&mut c, deferred.effects);
    queue_pending_write(server, &mut c);
    if let Some((line, lastcmd)) = c.critical_error_log.take() {
        let cmdname = lastcmd.map_or("<unknown>", |i| server.commands[i].name);
        server_log!(server, LL_WARNING, "{} '{}'", line, cmdname);
    }
    if c.reply_bytes != 0 {
        async_close_client_on_output_buffer_limit_reached(server, &mut c);
    }
    server.clients.give_back(c);
    if deferred.free {
        free_client(server, id);
    }
}

// While a client runs a command it is lent out of `server.clients` (see
// `with_client`), and so is every client of an outer `with_client`: code
// that reaches other clients by id finds their slot "running". Yet they
// can be the target. A PUBLISH queued in a MULTI sends a message to the
// very client that queued a SUBSCRIBE before it; a keyspace event can
// reach the client whose command caused it; `WATCH x` then `SET x` makes
// the client's own transaction dirty; a blocked client served on behalf
// of the running one may publish to it or touch a key it watches. C
// simply writes through the client pointer. Here the effect waits in the
// slot, in the order it happened, and is handed over where the client can
// observe it: before it starts its next command (EXEC must see a
// CLIENT_DIRTY_CAS set by the commands pipelined before it), after each
// command it ran (`call`), and when it is handed back, for the rest. A
// message must go where C writes it, in the middle of the running
// command's output: a receiver (a subscriber, a monitor) therefore gets
// them through a mailbox, shared with its slot while it runs, that its
// next reply bytes flush first (see `Client::mailbox`).

/// Applies to `c`, in order, the effects collected in its running slot.
/// Costs one comparison when there are none, which is almost always.
/// (no C twin)
pub(crate) fn apply_deferred(server: &mut RedisServer, c: &mut Client) {
    if c.mailbox.is_some() {
        flush_mailbox(c);
    }
    let effects = server.clients.take_effects(&c.id);
    if !effects.is_empty() {
        apply_effects(c, effects);
    }
}

/// Gives client `c`, which is running the command that makes it a
/// receiver (SUBSCRIBE, PSUBSCRIBE, MONITOR), a mailbox, shared with its
/// slot whenever it runs, so that what is published to it while it runs
/// reaches its output in C's order (see `Client::mailbox`). (no C twin)
pub(crate) fn open_mailbox(server: &mut RedisServer, c: &mut Client) {
    if c.mailbox.is_some() {
        return;
    }
    let mb = std::rc::Rc::new(std::cell::Cell::new(Vec::new()));
    server.clients.open_mailbox(&c.id, mb.clone());
    c.mailbox = Some(mb);
}

/// Applies `effects` to `c`, in order. (no C twin)
fn apply_effects(c: &mut Client, effects: Vec<Effect>) {
    for e in effects {
        match e {
            Effect::Reply(msg) => add_reply(c, &msg),
            Effect::Flags(flags) => c.flags |= flags,
        }
    }
}

/// C's `addReply(client, msg)` for a client named by id, wherever it is:
/// in the table it gets `msg`, is queued for writing and has its output
/// buffer limits checked, as C's addReply does for any client; running, it
/// gets `msg` through its slot; gone, nothing. (no C twin: C reaches the
/// client through a pointer)
pub(crate) fn add_reply_to_id(
    server: &mut RedisServer,
    id: ClientId,
    msg: &[u8],
) {
    match server.clients.get_mut(&id) {
        Lookup::Here(c) => {
            add_reply(c, msg);
            if c.flags & CLIENT_PENDING_WRITE != 0 && !c.pending_write_queued {
                c.pending_write_queued = true;
                server.clients_pending_write.push(id);
            }
            // The limits check needs the server and the client apart; it
            // can only act once the reply list is in use.
            if c.reply_bytes != 0 {
                with_client(server, id, |server, c| {
                    async_close_client_on_output_buffer_limit_reached(server, c)
                });
            }
        }
        Lookup::Running(mut slot) => slot.defer(Effect::Reply(msg.to_vec())),
        Lookup::Gone => {}
    }
}

/// The second half of C's clientInstallWriteHandler(): put the client in
/// the list of clients that have something to write. (no C twin)
pub(crate) fn queue_pending_write(server: &mut RedisServer, c: &mut Client) {
    if c.flags & CLIENT_PENDING_WRITE != 0 && !c.pending_write_queued {
        c.pending_write_queued = true;
        server.clients_pending_write.push(c.id);
    }
}

/// Completely replace the client command vector with the provided one,
/// and point `c.cmd` at the command the new argv[0] names (GEOADD turns
/// itself into ZADD this way), so that call() propagates the new vector.
///
/// C: networking.c replaceClientCommandVector()
pub(crate) fn replace_client_command_vector(
    server: &RedisServer,
    c: &mut Client,
    argv: Vec<Vec<u8>>,
) {
    c.argv = argv;
    c.cmd = lookup_command_or_original(server, &c.argv[0]);
    crate::server_assert!(server, c.cmd.is_some());
}

/// Return the size of the reply buffers of the client, used for the
/// output buffer limits. C: networking.c getClientOutputBufferMemoryUsage()
pub(crate) fn get_client_output_buffer_memory_usage(c: &Client) -> u64 {
    c.reply_bytes
        + (std::mem::size_of::<ClientReplyBlock>() * c.reply.len()) as u64
}

/// A fresh client with id `id`, made at unix time `now`: the struct part
/// of createClient(). (no C twin)
pub(crate) fn new_client_struct(
    id: ClientId,
    fd: std::os::fd::RawFd,
    sock: Option<Socket>,
    now: i64,
) -> Client {
    Client {
        id,
        fd,
        sock,
        db: 0,
        name: None,
        querybuf: Vec::new(),
        qb_pos: 0,
        pending_querybuf: Vec::new(),
        querybuf_peak: 0,
        argv: Vec::new(),
        cmd: None,
        lastcmd: None,
        reqtype: 0,
        multibulklen: 0,
        bulklen: -1,
        reply: std::collections::VecDeque::new(),
        reply_bytes: 0,
        sentlen: 0,
        ctime: now,
        lastinteraction: now,
        obuf_soft_limit_reached_time: 0,
        flags: 0,
        authenticated: false,
        replstate: REPL_STATE_NONE,
        repl_put_online_on_ack: false,
        repldbfd: -1,
        repldboff: 0,
        repldbsize: 0,
        replpreamble: Vec::new(),
        psync_initial_offset: 0,
        repldbfile: None,
        read_reploff: 0,
        reploff: 0,
        repl_ack_off: 0,
        repl_ack_time: 0,
        woff: 0,
        replid: [b'0'; 40],
        slave_listening_port: 0,
        slave_ip: None,
        slave_capa: 0,
        btype: BLOCKED_NONE,
        bpop_timeout: 0,
        bpop_keys: Vec::new(),
        bpop_target: None,
        bpop_numreplicas: 0,
        bpop_reploffset: 0,
        bpop_stream_ids: Vec::new(),
        bpop_xread_count: 0,
        bpop_xread_group: None,
        bpop_xread_consumer: None,
        bpop_xread_group_noack: false,
        bufpos: 0,
        buf: Box::new([0u8; PROTO_REPLY_CHUNK_BYTES]),
        peerid: None,
        moved_args: Vec::new(),
        pending_write_queued: false,
        mstate: Default::default(),
        watched_keys: Vec::new(),
        pubsub_channels: Default::default(),
        pubsub_patterns: Vec::new(),
        critical_error_log: None,
        mailbox: None,
    }
}

/// C: networking.c createClient()
pub fn create_client(
    server: &mut RedisServer,
    sock: Option<Socket>,
) -> Option<ClientId> {
    let fd = sock.as_ref().map(|s| s.as_raw_fd()).unwrap_or(-1);
    let id = ClientId(server.next_client_id);
    if let Some(s) = &sock {
        // passing -1 as fd it is possible to create a non connected client.
        // This is useful since all the commands needs to be executed in the
        // context of a client.
        let _ = anet::anet_non_block(s);
        let _ = anet::anet_enable_tcp_no_delay(s);
        if server.tcpkeepalive != 0 {
            let _ = anet::anet_keep_alive(s, server.tcpkeepalive);
        }
        if ae::ae_create_file_event(
            &mut server.el,
            fd,
            AE_READABLE,
            read_query_from_client,
            ClientData::Client(id),
        )
        .is_err()
        {
            return None;
        }
    }
    server.next_client_id += 1;
    let c = Box::new(new_client_struct(id, fd, sock, server.unixtime));
    // C: linkClient()
    server.clients.insert(c);
    Some(id)
}

/// This function puts the client in the queue of clients that should write
/// their output buffers to the socket. Note that it does not *yet* install
/// the write handler, to start clients are put in a queue of clients that
/// need to write, so we try to do that before returning in the event loop
/// (see the handle_clients_with_pending_writes() function). If we fail and
/// there is more data to write, compared to what the socket buffers can
/// hold, then we'll really install the handler.
///
/// C: networking.c clientInstallWriteHandler()
pub(crate) fn client_install_write_handler(c: &mut Client) {
    // Schedule the client to write the output buffers to the socket only if
    // not already done and, for slaves, if the slave can actually receive
    // writes at this stage.
    if c.flags & CLIENT_PENDING_WRITE == 0
        && (c.replstate == REPL_STATE_NONE
            || (c.replstate == crate::replication::SLAVE_STATE_ONLINE
                && !c.repl_put_online_on_ack))
    {
        c.flags |= CLIENT_PENDING_WRITE;
    }
}

/// This function is called every time we are going to transmit new data to
/// the client. Returns Err if the client should not receive new data (a
/// fake client, a master, or replies switched off).
///
/// C: networking.c prepareClientToWrite()
pub(crate) fn prepare_client_to_write(c: &mut Client) -> CResult {
    // If it's the Lua client we always return ok without installing any
    // handler since there is no socket at all.
    if c.flags & (CLIENT_LUA | CLIENT_MODULE) != 0 {
        return Ok(());
    }
    // CLIENT REPLY OFF / SKIP handling: don't send replies.
    if c.flags & (CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP) != 0 {
        return Err(CErr);
    }
    // Masters don't receive replies, unless CLIENT_MASTER_FORCE_REPLY flag
    // is set.
    if c.flags & CLIENT_MASTER != 0 && c.flags & CLIENT_MASTER_FORCE_REPLY == 0
    {
        return Err(CErr);
    }
    if c.fd <= 0 {
        return Err(CErr); // Fake client for AOF loading.
    }
    // Schedule the client to write the output buffers to the socket, unless
    // it should already be setup to do so (it has already pending data).
    if !client_has_pending_replies(c) {
        client_install_write_handler(c);
    }
    // Authorize the caller to queue in the output buffer of this client.
    Ok(())
}

// networking.c goes on in these files, in its order: the reply API, then
// accept and free, the write path, the query parser and the CLIENT command.
// Its last functions (output buffer limits, pausing, the nested event loop)
// follow below.
mod client;
mod lifetime;
mod query;
mod reply;
mod write;

pub(crate) use client::*;
pub use lifetime::*;
pub use query::*;
pub(crate) use reply::*;
pub(crate) use write::*;

/// The function checks if the client reached output buffer soft or hard
/// limit, and also update the state needed to check the soft limit as a
/// side effect. Return true if the client reached the soft or the hard
/// limit, otherwise false is returned.
///
/// C: networking.c checkClientOutputBufferLimits()
pub(crate) fn check_client_output_buffer_limits(
    server: &RedisServer,
    c: &mut Client,
) -> bool {
    let used_mem = get_client_output_buffer_memory_usage(c);
    let mut class = get_client_type(c);
    // For the purpose of output buffer limiting, masters are handled like
    // normal clients.
    if class == CLIENT_TYPE_MASTER {
        class = CLIENT_TYPE_NORMAL;
    }
    let lim = server.client_obuf_limits[class];
    let hard = lim.hard_limit_bytes != 0 && used_mem >= lim.hard_limit_bytes;
    let mut soft =
        lim.soft_limit_bytes != 0 && used_mem >= lim.soft_limit_bytes;
    // We need to check if the soft limit is reached continuously for the
    // specified amount of seconds.
    if soft {
        if c.obuf_soft_limit_reached_time == 0 {
            c.obuf_soft_limit_reached_time = server.unixtime;
            soft = false; // First time we see the soft limit reached
        } else {
            let elapsed = server.unixtime - c.obuf_soft_limit_reached_time;
            if elapsed <= lim.soft_limit_seconds {
                // The client still did not reached the max number of
                // seconds for the soft limit to be considered reached.
                soft = false;
            }
        }
    } else {
        c.obuf_soft_limit_reached_time = 0;
    }
    soft || hard
}

/// Asynchronously close a client if soft or hard limit is reached on the
/// output buffer size. The caller can check if the client will be closed
/// checking if the client CLIENT_CLOSE_ASAP flag is set.
///
/// C: networking.c asyncCloseClientOnOutputBufferLimitReached()
pub(crate) fn async_close_client_on_output_buffer_limit_reached(
    server: &mut RedisServer,
    c: &mut Client,
) {
    if c.fd == -1 {
        return; // It is unsafe to free fake clients.
    }
    if c.reply_bytes == 0 || c.flags & CLIENT_CLOSE_ASAP != 0 {
        return;
    }
    if check_client_output_buffer_limits(server, c) {
        let client = cat_client_info_string(server, c);
        c.flags |= CLIENT_CLOSE_ASAP;
        server.clients_to_close.push(c.id);
        server_log!(
            server,
            LL_WARNING,
            "Client {} scheduled to be closed ASAP for overcoming of output buffer limits.",
            client
        );
    }
}

/// Helper function used by freeMemoryIfNeeded() in order to flush slaves
/// output buffers without returning control to the event loop. This is also
/// called by SHUTDOWN for a best-effort attempt to send slaves the latest
/// writes.
///
/// C: networking.c flushSlavesOutputBuffers()
pub(crate) fn flush_slaves_output_buffers(server: &mut RedisServer) {
    for id in server.slaves.clone() {
        let Some(c) = server.clients.get(&id) else { continue };
        let events = if c.fd == -1 {
            0
        } else {
            ae::ae_get_file_events(&server.el, c.fd)
        };
        // Note that the following will not flush output buffers of slaves
        // in STATE_ONLINE but having put_online_on_ack set to true: in this
        // case the writable event is never installed, since the purpose of
        // put_online_on_ack is to postpone the moment it is installed. This
        // is what we want since slaves in this state should not receive
        // writes before the first ACK.
        if events & AE_WRITABLE != 0
            && c.replstate == crate::replication::SLAVE_STATE_ONLINE
            && client_has_pending_replies(c)
        {
            let _ = write_to_client(server, id, false);
        }
    }
}

/// Pause clients up to the specified unixtime (in ms). While clients are
/// paused no command is processed from clients, so the data set can't
/// change during that time.
///
/// C: networking.c pauseClients()
pub(crate) fn pause_clients(server: &mut RedisServer, end: i64) {
    if !server.clients_paused || end > server.clients_pause_end_time {
        server.clients_pause_end_time = end;
    }
    server.clients_paused = true;
}

/// Return non-zero if clients are currently paused. As a side effect the
/// function checks if the pause time was reached and clear it.
///
/// C: networking.c clientsArePaused()
pub(crate) fn clients_are_paused(server: &mut RedisServer) -> bool {
    if server.clients_paused && server.clients_pause_end_time < server.mstime {
        server.clients_paused = false;
        // Put all the clients in the unblocked clients queue in order to
        // force the re-processing of the input buffer if any.
        let ids: Vec<ClientId> = server
            .clients
            .values()
            .filter(|c| c.flags & (CLIENT_SLAVE | CLIENT_BLOCKED) == 0)
            .map(|c| c.id)
            .collect();
        for id in ids {
            with_client(server, id, |server, c| {
                crate::blocked::queue_client_for_reprocessing(server, c)
            });
        }
    }
    server.clients_paused
}

/// This function is called by Redis in order to process a few events from
/// time to time while blocked into some not interruptible operation. This
/// allows to reply to clients with the -LOADING error while loading the
/// data set at startup or after a full resynchronization with the master
/// and so forth.
///
/// C: networking.c processEventsWhileBlocked()
pub(crate) fn process_events_while_blocked(server: &mut RedisServer) -> usize {
    let mut iterations = 4; // See the function top-comment.
    let mut count = 0;
    while iterations > 0 {
        iterations -= 1;
        let events = ae::ae_process_events(
            server,
            ae::AE_FILE_EVENTS | ae::AE_DONT_WAIT,
        );
        let events = events + handle_clients_with_pending_writes(server);
        if events == 0 {
            break;
        }
        count += events;
    }
    count
}

/// Handles the idle timeout and blocked-client timeouts for one client.
/// Returns true if the client was freed.
///
/// C: server.c clientsCronHandleTimeout()
pub(crate) fn clients_cron_handle_timeout(
    server: &mut RedisServer,
    id: ClientId,
    now_ms: i64,
) -> bool {
    let now = now_ms / 1000;
    let Some(c) = server.clients.get(&id) else { return true };
    if server.maxidletime != 0
        && c.flags & CLIENT_SLAVE == 0 // no timeout for slaves and monitors
        && c.flags & CLIENT_MASTER == 0 // no timeout for masters
        && c.flags & CLIENT_BLOCKED == 0 // no timeout for BLPOP
        && c.flags & CLIENT_PUBSUB == 0 // no timeout for Pub/Sub clients
        && now - c.lastinteraction > server.maxidletime
    {
        server_log!(server, LL_VERBOSE, "Closing idle client");
        free_client(server, id);
        return true;
    } else if c.flags & CLIENT_BLOCKED != 0 {
        // Blocked OPS timeout is handled with milliseconds resolution.
        // However note that the actual resolution is limited by
        // server.hz.
        if c.bpop_timeout != 0 && c.bpop_timeout < now_ms {
            // Handle blocking operation specific timeout.
            with_client(server, id, |server, c| {
                crate::blocked::reply_to_blocked_client_timed_out(server, c);
                crate::blocked::unblock_client(server, c);
            });
        }
    }
    false
}

#[cfg(test)]
mod tests {
    //! The query parser on its own: a client whose socket is one end of a
    //! Unix socket pair (so replies are accepted; nothing is read from or
    //! written to it), fed by filling `querybuf` directly.

    use super::*;
    use std::os::unix::net::UnixStream;

    /// A server as `init_server_config` builds it (no listening socket).
    fn server() -> RedisServer {
        crate::server::init_server_config()
    }

    /// Creates a client through `create_client` and lends it out of the
    /// table, as `with_client` does while a command runs. The other end of
    /// the pair is returned so the socket stays open.
    fn client(server: &mut RedisServer) -> (Box<Client>, UnixStream) {
        let (ours, theirs) = UnixStream::pair().expect("socketpair");
        let id = create_client(server, Some(Socket::from(ours)))
            .expect("create_client");
        let c = server.clients.lend(&id).expect("client in the table");
        (c, theirs)
    }

    fn reply(c: &Client) -> &[u8] {
        assert!(c.reply.is_empty(), "reply spilled into the list");
        &c.buf[..c.bufpos]
    }

    fn closes(c: &Client) -> bool {
        c.flags & CLIENT_CLOSE_AFTER_REPLY != 0
    }

    fn args(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    /// Feeds `input` to process_multibulk_buffer and expects `error` as
    /// the reply, with the client set to close after it.
    fn assert_multibulk_error(input: &[u8], error: &[u8]) {
        let mut server = server();
        let (mut c, _peer) = client(&mut server);
        c.querybuf = input.to_vec();
        assert_eq!(process_multibulk_buffer(&mut server, &mut c), Err(CErr));
        assert_eq!(reply(&c), error);
        assert!(closes(&c));
    }

    #[test]
    fn add_reply_long_long_with_prefix_shared_headers_and_formatted() {
        let mut server = server();
        let (mut c, _peer) = client(&mut server);
        for ll in [0, 9, 10, 31, 32, -1, i64::MIN, i64::MAX] {
            add_reply_long_long_with_prefix(&mut c, ll, b'*');
            add_reply_long_long_with_prefix(&mut c, ll, b'$');
            add_reply_long_long_with_prefix(&mut c, ll, b':');
        }
        let mut expected = Vec::new();
        for ll in [0, 9, 10, 31, 32, -1, i64::MIN, i64::MAX] {
            for p in ['*', '$', ':'] {
                expected.extend(format!("{p}{ll}\r\n").into_bytes());
            }
        }
        assert_eq!(
            String::from_utf8_lossy(reply(&c)),
            String::from_utf8_lossy(&expected)
        );
    }

    #[test]
    fn add_reply_subcommand_syntax_error_echoes_bytes_like_5_0() {
        let mut server = server();
        let (mut c, _peer) = client(&mut server);
        let mut sub = vec![b'x'; 200];
        sub.extend_from_slice(b"\xff\r\n\0tail");
        c.argv = vec![b"object\xe9".to_vec(), sub];
        add_reply_subcommand_syntax_error(&mut c);
        let mut want =
            b"-ERR Unknown subcommand or wrong number of arguments for '"
                .to_vec();
        want.extend_from_slice(&[b'x'; 200]);
        want.extend_from_slice(b"\xff  '. Try OBJECT\xe9 HELP.\r\n");
        assert_eq!(reply(&c), &want[..]);
    }

    #[test]
    fn process_multibulk_buffer_parses_a_whole_command() {
        let mut server = server();
        let (mut c, _peer) = client(&mut server);
        c.querybuf =
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nv\0l\r\n\r\n".to_vec();
        assert_eq!(process_multibulk_buffer(&mut server, &mut c), Ok(()));
        assert_eq!(
            c.argv,
            vec![b"SET".to_vec(), b"k".to_vec(), b"v\0l\r\n".to_vec()]
        );
        assert_eq!(c.qb_pos, c.querybuf.len());
        assert_eq!((c.multibulklen, c.bulklen), (0, -1));
        assert_eq!(reply(&c), b"");
        assert!(!closes(&c));
    }

    #[test]
    fn process_multibulk_buffer_leaves_a_pipelined_command_in_place() {
        let mut server = server();
        let (mut c, _peer) = client(&mut server);
        c.querybuf =
            b"*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n".to_vec();
        assert_eq!(process_multibulk_buffer(&mut server, &mut c), Ok(()));
        assert_eq!(c.argv, args(&["PING"]));
        assert_eq!(c.qb_pos, 14);
        reset_client(&mut c);
        assert_eq!(process_multibulk_buffer(&mut server, &mut c), Ok(()));
        assert_eq!(c.argv, args(&["ECHO", "hi"]));
        assert_eq!(c.qb_pos, c.querybuf.len());
    }

    #[test]
    fn process_multibulk_buffer_byte_by_byte() {
        let mut server = server();
        let (mut c, _peer) = client(&mut server);
        let input = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$10\r\n0123456789\r\n";
        for (i, &b) in input.iter().enumerate() {
            c.querybuf.push(b);
            let r = process_multibulk_buffer(&mut server, &mut c);
            if i + 1 < input.len() {
                assert_eq!(r, Err(CErr), "complete after {} bytes", i + 1);
                // Trim to qb_pos, as process_input_buffer does after
                // each read.
                c.querybuf.drain(..c.qb_pos);
                c.qb_pos = 0;
            } else {
                assert_eq!(r, Ok(()));
            }
        }
        assert_eq!(c.argv, args(&["SET", "key", "0123456789"]));
        assert_eq!(reply(&c), b"");
        assert!(!closes(&c));
    }

    #[test]
    fn process_multibulk_buffer_big_arg_becomes_the_argument_without_copy() {
        let mut server = server();
        let (mut c, _peer) = client(&mut server);
        let len = PROTO_MBULK_BIG_ARG as usize + 1000;
        c.querybuf = format!("*2\r\n$3\r\nSET\r\n${len}\r\n").into_bytes();
        assert_eq!(process_multibulk_buffer(&mut server, &mut c), Err(CErr));
        // The header is gone and the buffer has room for the whole bulk,
        // so it can arrive exactly in place.
        assert_eq!((c.qb_pos, c.querybuf.len()), (0, 0));
        assert!(c.querybuf.capacity() >= len + 2);
        assert_eq!(c.bulklen, len as i64);
        c.querybuf.resize(len, b'v');
        c.querybuf.extend_from_slice(b"\r\n");
        let data = c.querybuf.as_ptr();
        assert_eq!(process_multibulk_buffer(&mut server, &mut c), Ok(()));
        assert_eq!(c.argv.len(), 2);
        assert_eq!(c.argv[1].len(), len);
        assert!(c.argv[1].iter().all(|&b| b == b'v'));
        assert_eq!(c.argv[1].as_ptr(), data, "the argument was copied");
        // A fresh query buffer, sized for another fat argument.
        assert!(c.querybuf.is_empty());
        assert!(c.querybuf.capacity() >= len + 2);
    }

    #[test]
    fn process_multibulk_buffer_big_arg_with_more_data_is_copied() {
        let mut server = server();
        let (mut c, _peer) = client(&mut server);
        let len = PROTO_MBULK_BIG_ARG as usize;
        let mut q = format!("*1\r\n${len}\r\n").into_bytes();
        q.resize(q.len() + len, b'v');
        q.extend_from_slice(b"\r\n*1\r\n$4\r\nPING\r\n");
        c.querybuf = q;
        assert_eq!(process_multibulk_buffer(&mut server, &mut c), Ok(()));
        assert_eq!(c.argv[0].len(), len);
        assert_ne!(c.argv[0].as_ptr(), c.querybuf.as_ptr());
        assert_eq!(&c.querybuf[c.qb_pos..], b"*1\r\n$4\r\nPING\r\n");
    }

    #[test]
    fn process_multibulk_buffer_rejects_huge_multibulk_length() {
        assert_multibulk_error(
            b"*3000000000\r\n",
            b"-ERR Protocol error: invalid multibulk length\r\n",
        );
        // One past the 1024*1024 limit, and a count that is not a number.
        assert_multibulk_error(
            b"*1048577\r\n",
            b"-ERR Protocol error: invalid multibulk length\r\n",
        );
        assert_multibulk_error(
            b"*1x\r\n",
            b"-ERR Protocol error: invalid multibulk length\r\n",
        );
        assert_multibulk_error(
            b"*\r\n",
            b"-ERR Protocol error: invalid multibulk length\r\n",
        );
    }

    #[test]
    fn process_multibulk_buffer_rejects_bad_bulk_len() {
        assert_multibulk_error(
            b"*1\r\n$-10\r\n",
            b"-ERR Protocol error: invalid bulk length\r\n",
        );
        // Beyond proto-max-bulk-len (512 MB by default).
        assert_multibulk_error(
            b"*1\r\n$600000000\r\n",
            b"-ERR Protocol error: invalid bulk length\r\n",
        );
    }

    #[test]
    fn process_multibulk_buffer_rejects_missing_dollar() {
        assert_multibulk_error(
            b"*2\r\n$3\r\nGET\r\nx3\r\nkey\r\n",
            b"-ERR Protocol error: expected '$', got 'x'\r\n",
        );
        // C's %c writes the raw byte; newlines become spaces.
        assert_multibulk_error(
            b"*1\r\n\xff\r\n",
            b"-ERR Protocol error: expected '$', got '\xff'\r\n",
        );
        assert_multibulk_error(
            b"*1\r\n\r\n\r\n",
            b"-ERR Protocol error: expected '$', got ' '\r\n",
        );
    }

    #[test]
    fn process_multibulk_buffer_stops_at_nul_like_strchr() {
        // C looks for the '\r' with strchr, which stops at a NUL byte: the
        // line is never complete, so no reply, until the limit.
        let mut server = server();
        let (mut c, _peer) = client(&mut server);
        c.querybuf = b"*1\r\n\0\r\n".to_vec();
        assert_eq!(process_multibulk_buffer(&mut server, &mut c), Err(CErr));
        assert_eq!(reply(&c), b"");
        assert!(!closes(&c));
    }

    #[test]
    fn process_multibulk_buffer_too_big_mbulk_count_string() {
        let mut server = server();
        let (mut c, _peer) = client(&mut server);
        // Exactly PROTO_INLINE_MAX_SIZE bytes without '\r': still waiting.
        c.querybuf = b"*".to_vec();
        c.querybuf.resize(PROTO_INLINE_MAX_SIZE, b'1');
        assert_eq!(process_multibulk_buffer(&mut server, &mut c), Err(CErr));
        assert_eq!(reply(&c), b"");
        assert!(!closes(&c));
        // One more byte is too many.
        c.querybuf.push(b'1');
        assert_eq!(process_multibulk_buffer(&mut server, &mut c), Err(CErr));
        assert_eq!(
            reply(&c),
            b"-ERR Protocol error: too big mbulk count string\r\n"
        );
        assert!(closes(&c));
    }

    #[test]
    fn process_multibulk_buffer_too_big_bulk_count_string() {
        let mut q = b"*1\r\n$".to_vec();
        q.resize(q.len() + PROTO_INLINE_MAX_SIZE, b'1');
        assert_multibulk_error(
            &q,
            b"-ERR Protocol error: too big bulk count string\r\n",
        );
    }

    #[test]
    fn process_multibulk_buffer_unauthenticated_lengths() {
        let mut server = server();
        server.requirepass = Some(b"secret".to_vec());
        let (mut c, _peer) = client(&mut server);
        c.querybuf = b"*11\r\n".to_vec();
        assert_eq!(process_multibulk_buffer(&mut server, &mut c), Err(CErr));
        assert_eq!(
            reply(&c),
            b"-ERR Protocol error: unauthenticated multibulk length\r\n"
        );
        assert!(closes(&c));

        let (mut c, _peer) = client(&mut server);
        c.querybuf = b"*2\r\n$4\r\nAUTH\r\n$16385\r\n".to_vec();
        assert_eq!(process_multibulk_buffer(&mut server, &mut c), Err(CErr));
        assert_eq!(
            reply(&c),
            b"-ERR Protocol error: unauthenticated bulk length\r\n"
        );

        // An authenticated client is not limited.
        let (mut c, _peer) = client(&mut server);
        c.authenticated = true;
        c.querybuf = b"*11\r\n".to_vec();
        assert_eq!(process_multibulk_buffer(&mut server, &mut c), Err(CErr));
        assert_eq!((reply(&c), c.multibulklen), (&b""[..], 11));
    }

    #[test]
    fn process_multibulk_buffer_empty_and_null_counts() {
        let mut server = server();
        let (mut c, _peer) = client(&mut server);
        // "*0" and "*-1" are complete commands with no arguments: the
        // caller resets the client and goes on.
        c.querybuf = b"*0\r\n*-1\r\n*1\r\n$0\r\n\r\n".to_vec();
        assert_eq!(process_multibulk_buffer(&mut server, &mut c), Ok(()));
        assert!(c.argv.is_empty());
        assert_eq!(c.qb_pos, 4);
        assert_eq!(process_multibulk_buffer(&mut server, &mut c), Ok(()));
        assert!(c.argv.is_empty());
        assert_eq!(c.qb_pos, 9);
        assert_eq!(process_multibulk_buffer(&mut server, &mut c), Ok(()));
        assert_eq!(c.argv, vec![Vec::<u8>::new()]);
        assert_eq!(reply(&c), b"");
    }

    #[test]
    fn process_multibulk_buffer_waits_for_the_newline() {
        let mut server = server();
        let (mut c, _peer) = client(&mut server);
        // The count's '\r' is there but not its '\n'.
        c.querybuf = b"*1\r".to_vec();
        assert_eq!(process_multibulk_buffer(&mut server, &mut c), Err(CErr));
        assert_eq!((c.qb_pos, c.multibulklen), (0, 0));
        c.querybuf.extend_from_slice(b"\n$4\r");
        assert_eq!(process_multibulk_buffer(&mut server, &mut c), Err(CErr));
        assert_eq!((c.qb_pos, c.multibulklen, c.bulklen), (4, 1, -1));
        c.querybuf.extend_from_slice(b"\nPING\r");
        assert_eq!(process_multibulk_buffer(&mut server, &mut c), Err(CErr));
        assert_eq!(c.bulklen, 4);
        c.querybuf.push(b'\n');
        assert_eq!(process_multibulk_buffer(&mut server, &mut c), Ok(()));
        assert_eq!(c.argv, args(&["PING"]));
    }

    #[test]
    fn process_inline_buffer_splits_arguments() {
        let mut server = server();
        let (mut c, _peer) = client(&mut server);
        c.querybuf = b"set key \"a b\\x41\"\r\nget key\r\n".to_vec();
        assert_eq!(process_inline_buffer(&mut server, &mut c), Ok(()));
        assert_eq!(c.argv, args(&["set", "key", "a bA"]));
        assert_eq!(c.qb_pos, 19);
        c.argv.clear();
        assert_eq!(process_inline_buffer(&mut server, &mut c), Ok(()));
        assert_eq!(c.argv, args(&["get", "key"]));
        assert_eq!(c.qb_pos, c.querybuf.len());
        assert_eq!(reply(&c), b"");
    }

    #[test]
    fn process_inline_buffer_newline_only() {
        let mut server = server();
        let (mut c, _peer) = client(&mut server);
        c.querybuf = b"PING\nECHO hi\n".to_vec();
        assert_eq!(process_inline_buffer(&mut server, &mut c), Ok(()));
        assert_eq!(c.argv, args(&["PING"]));
        assert_eq!(c.qb_pos, 5);
        c.argv.clear();
        assert_eq!(process_inline_buffer(&mut server, &mut c), Ok(()));
        assert_eq!(c.argv, args(&["ECHO", "hi"]));
        assert_eq!(c.qb_pos, 13);
    }

    #[test]
    fn process_inline_buffer_empty_lines() {
        let mut server = server();
        let (mut c, _peer) = client(&mut server);
        c.querybuf = b"\r\n\n  \r\n".to_vec();
        for pos in [2, 3, 7] {
            assert_eq!(process_inline_buffer(&mut server, &mut c), Ok(()));
            assert!(c.argv.is_empty());
            assert_eq!(c.qb_pos, pos);
        }
        assert_eq!(reply(&c), b"");
        assert!(!closes(&c));
    }

    #[test]
    fn process_inline_buffer_empty_line_from_replica_refreshes_ack_time() {
        let mut server = server();
        server.unixtime = 1_234_567;
        let (mut c, _peer) = client(&mut server);
        c.querybuf = b"\n".to_vec();
        assert_eq!(process_inline_buffer(&mut server, &mut c), Ok(()));
        assert_eq!(c.repl_ack_time, 0, "not a replica");
        c.flags |= CLIENT_SLAVE;
        c.querybuf = b"\r\n".to_vec();
        c.qb_pos = 0;
        assert_eq!(process_inline_buffer(&mut server, &mut c), Ok(()));
        assert_eq!(c.repl_ack_time, 1_234_567);
    }

    #[test]
    fn process_inline_buffer_waits_for_the_newline() {
        let mut server = server();
        let (mut c, _peer) = client(&mut server);
        c.querybuf = b"PING\r".to_vec();
        assert_eq!(process_inline_buffer(&mut server, &mut c), Err(CErr));
        assert_eq!(c.qb_pos, 0);
        assert_eq!(reply(&c), b"");
    }

    #[test]
    fn process_inline_buffer_rejects_unbalanced_quotes() {
        let mut server = server();
        let (mut c, _peer) = client(&mut server);
        c.querybuf = b"set \"foo\r\n".to_vec();
        assert_eq!(process_inline_buffer(&mut server, &mut c), Err(CErr));
        assert_eq!(
            reply(&c),
            b"-ERR Protocol error: unbalanced quotes in request\r\n"
        );
        assert!(closes(&c));
        assert!(c.argv.is_empty());
    }

    #[test]
    fn process_inline_buffer_too_big_inline_request() {
        let mut server = server();
        let (mut c, _peer) = client(&mut server);
        c.querybuf = vec![b'x'; PROTO_INLINE_MAX_SIZE];
        assert_eq!(process_inline_buffer(&mut server, &mut c), Err(CErr));
        assert_eq!(reply(&c), b"");
        c.querybuf.push(b'x');
        assert_eq!(process_inline_buffer(&mut server, &mut c), Err(CErr));
        assert_eq!(
            reply(&c),
            b"-ERR Protocol error: too big inline request\r\n"
        );
        assert!(closes(&c));
    }

    #[test]
    fn set_protocol_error_logs_at_verbose_without_panicking() {
        // The log path samples the query buffer: short, long, and not
        // UTF-8.
        let mut server = server();
        server.verbosity = LL_VERBOSE;
        server.logfile = "/dev/null".to_string();
        let (mut c, _peer) = client(&mut server);
        c.querybuf = b"*1\r\nx\xff\r\n".to_vec();
        c.qb_pos = 4;
        set_protocol_error(
            &mut server,
            "expected $ but got something else",
            &mut c,
        );
        assert!(closes(&c));
        let (mut c, _peer) = client(&mut server);
        c.querybuf = vec![0xe9; 300];
        set_protocol_error(&mut server, "too big inline request", &mut c);
        assert!(closes(&c));
    }
}
