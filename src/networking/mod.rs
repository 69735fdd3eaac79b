//! Reply buffers, the query parser and client lifetime: everything between
//! a socket becoming readable and the reply bytes leaving it.
//!
//! Ports networking.c from Redis 5.0.14, in the same order; anet.c is
//! `anet.rs`.
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
        bufpos: 0,
        buf: Box::new([0u8; PROTO_REPLY_CHUNK_BYTES]),
        peerid: None,
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

// -----------------------------------------------------------------------------
// Low level functions to add more data to output buffers.
// -----------------------------------------------------------------------------

/// C: networking.c _addReplyToBuffer()
fn _add_reply_to_buffer(c: &mut Client, s: &[u8]) -> CResult {
    let available = c.buf.len() - c.bufpos;
    if c.flags & CLIENT_CLOSE_AFTER_REPLY != 0 {
        return Ok(());
    }
    // If there already are entries in the reply list, we cannot add
    // anything more to the static buffer.
    if !c.reply.is_empty() {
        return Err(CErr);
    }
    // Check that the buffer has enough space available for this string.
    if s.len() > available {
        return Err(CErr);
    }
    c.buf[c.bufpos..c.bufpos + s.len()].copy_from_slice(s);
    c.bufpos += s.len();
    Ok(())
}

/// C: networking.c _addReplyStringToList()
fn _add_reply_string_to_list(c: &mut Client, mut s: &[u8]) {
    if c.flags & CLIENT_CLOSE_AFTER_REPLY != 0 {
        return;
    }
    if let Some(tail) = c.reply.back_mut() {
        // Append to this object when possible.
        let avail = tail.buf.capacity() - tail.buf.len();
        let copy = avail.min(s.len());
        tail.buf.extend_from_slice(&s[..copy]);
        s = &s[copy..];
    }
    if !s.is_empty() {
        // Create a new node, make sure it is allocated to at least
        // PROTO_REPLY_CHUNK_BYTES
        let size = s.len().max(PROTO_REPLY_CHUNK_BYTES);
        let mut buf = Vec::with_capacity(size);
        buf.extend_from_slice(s);
        c.reply_bytes += buf.capacity() as u64;
        c.reply.push_back(ClientReplyBlock { buf });
    }
    // C calls asyncCloseClientOnOutputBufferLimitReached() here; we check
    // the limits where the server is at hand (see
    // close_client_on_output_buffer_limit_reached).
}

// -----------------------------------------------------------------------------
// Higher level functions to queue data on the client output buffer.
// The following functions are the ones that commands implementations will
// call.
// -----------------------------------------------------------------------------

/// Add the object 'obj' string representation to the client output buffer.
/// Here the "object" is always its protocol bytes.
///
/// C: networking.c addReply()
pub(crate) fn add_reply(c: &mut Client, s: &[u8]) {
    if c.mailbox.is_some() {
        flush_mailbox(c);
    }
    if prepare_client_to_write(c).is_err() {
        return;
    }
    if _add_reply_to_buffer(c, s).is_err() {
        _add_reply_string_to_list(c, s);
    }
}

/// Writes out the messages waiting in the client's mailbox (see
/// `Client::mailbox`), as C's addReply would have when they were
/// published. (no C twin)
pub(crate) fn flush_mailbox(c: &mut Client) {
    let Some(mb) = &c.mailbox else { return };
    let msgs = mb.take();
    if msgs.is_empty() {
        return;
    }
    if prepare_client_to_write(c).is_ok()
        && _add_reply_to_buffer(c, &msgs).is_err()
    {
        _add_reply_string_to_list(c, &msgs);
    }
}

/// C: networking.c addReplyString()
pub(crate) fn add_reply_string(c: &mut Client, s: &[u8]) {
    add_reply(c, s)
}

/// Low level function called by the addReplyError...() functions. It emits
/// the protocol for a Redis error, in the form: -ERRORCODE Error Message.
/// If the error code is already passed in the string 's', the error code
/// provided is used, otherwise the string "-ERR " for the generic error
/// code is automatically added.
///
/// C: networking.c addReplyErrorLength()
pub(crate) fn add_reply_error_length(c: &mut Client, s: &[u8]) {
    if s.is_empty() || s[0] != b'-' {
        add_reply_string(c, b"-ERR ");
    }
    // Divergence from C: only addReplyErrorFormat maps \r and \n to
    // spaces in C; here every error does, so no caller can put a newline
    // into the reply stream and leave the client's replies out of step.
    if memchr::memchr2(b'\r', b'\n', s).is_some() {
        let safe: Vec<u8> = s
            .iter()
            .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
            .collect();
        add_reply_string(c, &safe);
    } else {
        add_reply_string(c, s);
    }
    add_reply_string(c, b"\r\n");
    // Sometimes it could be normal that a slave replies to a master with
    // an error and this function gets called. Actually the error will never
    // be sent because addReply*() against master clients has no effect...
    // A notable example is: EVAL with a script that fails on the replica.
    // We log it because it is a sign of the two going out of sync.
    if c.flags & (CLIENT_MASTER | CLIENT_SLAVE) != 0
        && c.flags & CLIENT_MONITOR == 0
    {
        let (to, from) = if c.flags & CLIENT_MASTER != 0 {
            ("master", "replica")
        } else {
            ("replica", "master")
        };
        // The command name is looked up when the line is logged (this
        // function has no server to look it up in): keep c->lastcmd.
        c.critical_error_log = Some((
            format!(
                "== CRITICAL == This {} is sending an error to its {}: '{}' after processing the command",
                from,
                to,
                String::from_utf8_lossy(s)
            ),
            c.lastcmd,
        ));
    }
}

/// C: networking.c addReplyError()
pub(crate) fn add_reply_error(c: &mut Client, err: &str) {
    add_reply_error_length(c, err.as_bytes())
}

/// C: networking.c addReplyErrorFormat()
pub(crate) fn add_reply_error_format(
    c: &mut Client,
    args: std::fmt::Arguments,
) {
    let s = std::fmt::format(args);
    // sdscatvprintf measures what vsnprintf wrote with strlen, so in C a
    // NUL byte from a %s or %c argument ends the message there.
    // add_reply_error_length makes sure there are no newlines in the
    // string, otherwise invalid protocol is emitted.
    add_reply_error_length(c, c_str(s.as_bytes()))
}

/// The bytes C's `%s` prints of `s`: everything before the first NUL.
/// (no C twin)
pub(crate) fn c_str(s: &[u8]) -> &[u8] {
    memchr::memchr(0, s).map_or(s, |n| &s[..n])
}

/// `add_reply_error_format` for a message built from raw bytes, as C's
/// "%s" of an argument gives them: the caller passes the pieces (through
/// `c_str` where C formats an argument with "%s"); add_reply_error_length
/// turns CR/LF into spaces. A `String` would re-encode bytes that are not
/// UTF-8. (no C twin)
pub(crate) fn add_reply_error_format_bytes(c: &mut Client, parts: &[&[u8]]) {
    add_reply_error_length(c, &parts.concat())
}

/// C: networking.c addReplyStatusLength()
pub(crate) fn add_reply_status_length(c: &mut Client, s: &[u8]) {
    add_reply_string(c, b"+");
    add_reply_string(c, s);
    add_reply_string(c, b"\r\n");
}

/// C: networking.c addReplyStatus()
pub(crate) fn add_reply_status(c: &mut Client, status: &str) {
    add_reply_status_length(c, status.as_bytes())
}

/// C: networking.c addReplyStatusFormat()
pub(crate) fn add_reply_status_format(
    c: &mut Client,
    args: std::fmt::Arguments,
) {
    let mut s = std::fmt::format(args).into_bytes();
    for b in s.iter_mut() {
        if *b == b'\r' || *b == b'\n' {
            *b = b' ';
        }
    }
    add_reply_status_length(c, &s)
}

/// Adds an empty object to the reply list that will contain the multi bulk
/// length, which is not known when this function is called. Returns the
/// position of that node, for set_deferred_multi_bulk_length.
///
/// C: networking.c addDeferredMultiBulkLength()
pub(crate) fn add_deferred_multi_bulk_length(c: &mut Client) -> Option<usize> {
    if c.mailbox.is_some() {
        flush_mailbox(c);
    }
    // Note that we install the write event here even if the object is not
    // ready to be sent, since we are sure that before returning to the
    // event loop setDeferredMultiBulkLength() will be called.
    if prepare_client_to_write(c).is_err() {
        return None;
    }
    c.reply.push_back(ClientReplyBlock { buf: Vec::new() });
    Some(c.reply.len() - 1)
}

/// Populate the length object and try gluing it to the next chunk.
///
/// C: networking.c setDeferredMultiBulkLength()
pub(crate) fn set_deferred_multi_bulk_length(
    c: &mut Client,
    node: Option<usize>,
    length: i64,
) {
    // Abort when *node is NULL: when the client should not accept writes we
    // return NULL in addDeferredMultiBulkLength()
    let Some(i) = node else { return };
    let hdr = format!("*{}\r\n", length).into_bytes();
    let Some(block) = c.reply.get_mut(i) else { return };
    // Divergence from C: C tries to glue the length into the next node;
    // we keep the small node, which writes the same bytes.
    c.reply_bytes += hdr.len() as u64;
    block.buf = hdr;
}

/// Add a double as a bulk reply.
///
/// C: networking.c addReplyDouble()
pub(crate) fn add_reply_double(c: &mut Client, d: f64) {
    if d.is_infinite() {
        // Libc in odd systems (Hi Solaris!) will format infinite in a
        // different way, so better to handle it in an explicit way.
        add_reply_bulk(c, if d > 0.0 { b"inf" } else { b"-inf" });
    } else {
        let s = crate::object::fmt_g17(d);
        add_reply_bulk(c, s.as_bytes());
    }
}

/// C: server.h OBJ_SHARED_BULKHDR_LEN
pub(crate) const OBJ_SHARED_BULKHDR_LEN: usize = 32;

/// "<prefix><n>\r\n" for every n < OBJ_SHARED_BULKHDR_LEN, laid out at
/// compile time (C builds them in createSharedObjects()); the header of
/// n is the first 4 bytes when n < 10, else all 5. (no C twin)
const fn make_shared_hdrs(prefix: u8) -> [[u8; 5]; OBJ_SHARED_BULKHDR_LEN] {
    let mut out = [[0u8; 5]; OBJ_SHARED_BULKHDR_LEN];
    let mut n = 0;
    while n < OBJ_SHARED_BULKHDR_LEN {
        if n < 10 {
            out[n] = [prefix, b'0' + n as u8, b'\r', b'\n', 0];
        } else {
            let (t, u) = ((n / 10) as u8, (n % 10) as u8);
            out[n] = [prefix, b'0' + t, b'0' + u, b'\r', b'\n'];
        }
        n += 1;
    }
    out
}

/// C: shared.mbulkhdr
static SHARED_MBULKHDR: [[u8; 5]; OBJ_SHARED_BULKHDR_LEN] =
    make_shared_hdrs(b'*');
/// C: shared.bulkhdr
static SHARED_BULKHDR: [[u8; 5]; OBJ_SHARED_BULKHDR_LEN] =
    make_shared_hdrs(b'$');

/// The shared "*<n>\r\n" or "$<n>\r\n" (prefix `*` or `$`), if `n` is
/// small enough to have one. (no C twin: C indexes shared.mbulkhdr[n])
pub(crate) fn shared_hdr(prefix: u8, n: i64) -> Option<&'static [u8]> {
    let hdrs = match prefix {
        b'*' => &SHARED_MBULKHDR,
        b'$' => &SHARED_BULKHDR,
        _ => return None,
    };
    let n = usize::try_from(n).ok().filter(|&n| n < OBJ_SHARED_BULKHDR_LEN)?;
    Some(&hdrs[n][..if n < 10 { 4 } else { 5 }])
}

/// Appends "<prefix><n>\r\n" to a protocol buffer being built outside
/// a client (the replication stream, a Pub/Sub message), as
/// addReplyLongLongWithPrefix() would to a client. (no C twin)
pub(crate) fn push_long_long_with_prefix(
    out: &mut Vec<u8>,
    n: i64,
    prefix: u8,
) {
    if let Some(hdr) = shared_hdr(prefix, n) {
        out.extend_from_slice(hdr);
        return;
    }
    out.push(prefix);
    out.extend_from_slice(crate::object::ll2string_buf(&mut [0; 20], n));
    out.extend_from_slice(b"\r\n");
}

/// Appends a bulk string to such a buffer, as addReplyBulk() would to a
/// client. (no C twin)
pub(crate) fn push_bulk(out: &mut Vec<u8>, s: &[u8]) {
    push_long_long_with_prefix(out, s.len() as i64, b'$');
    out.extend_from_slice(s);
    out.extend_from_slice(b"\r\n");
}

/// Add a long long as integer reply or bulk len / multi bulk count.
/// Basically this is used to output <prefix><long long><crlf>.
///
/// C: networking.c addReplyLongLongWithPrefix()
pub(crate) fn add_reply_long_long_with_prefix(
    c: &mut Client,
    ll: i64,
    prefix: u8,
) {
    // Things like $3\r\n or *2\r\n are emitted very often by the protocol
    // so we have a few shared objects to use if the integer is small like
    // it is most of the times.
    if let Some(hdr) = shared_hdr(prefix, ll) {
        add_reply(c, hdr);
        return;
    }
    let mut buf = [0u8; 24];
    buf[0] = prefix;
    let mut digits = [0u8; 20];
    let d = crate::object::ll2string_buf(&mut digits, ll);
    buf[1..1 + d.len()].copy_from_slice(d);
    buf[1 + d.len()..3 + d.len()].copy_from_slice(b"\r\n");
    add_reply_string(c, &buf[..3 + d.len()]);
}

/// C: networking.c addReplyLongLong()
pub(crate) fn add_reply_long_long(c: &mut Client, ll: i64) {
    if ll == 0 {
        add_reply(c, crate::shared::CZERO);
    } else if ll == 1 {
        add_reply(c, crate::shared::CONE);
    } else {
        add_reply_long_long_with_prefix(c, ll, b':');
    }
}

/// C: networking.c addReplyMultiBulkLen()
pub(crate) fn add_reply_multi_bulk_len(c: &mut Client, length: i64) {
    add_reply_long_long_with_prefix(c, length, b'*');
}

/// Create the length prefix of a bulk reply, example: $2234
///
/// C: networking.c addReplyBulkLen()
pub(crate) fn add_reply_bulk_len(c: &mut Client, len: usize) {
    add_reply_long_long_with_prefix(c, len as i64, b'$');
}

/// Add a Redis Object as a bulk reply. Here: any byte string.
///
/// C: networking.c addReplyBulk()
pub(crate) fn add_reply_bulk(c: &mut Client, s: &[u8]) {
    add_reply_bulk_len(c, s.len());
    add_reply(c, s);
    add_reply(c, b"\r\n");
}

/// Add a C buffer as bulk reply
///
/// C: networking.c addReplyBulkCBuffer()
pub(crate) fn add_reply_bulk_c_buffer(c: &mut Client, p: &[u8]) {
    add_reply_bulk(c, p)
}

/// Add sds to reply (takes ownership of sds and frees it)
///
/// C: networking.c addReplyBulkSds()
pub(crate) fn add_reply_bulk_sds(c: &mut Client, s: Vec<u8>) {
    add_reply_bulk(c, &s)
}

/// Add a C null term string as bulk reply; `None` is the null bulk.
///
/// C: networking.c addReplyBulkCString()
pub(crate) fn add_reply_bulk_c_string(c: &mut Client, s: Option<&str>) {
    match s {
        None => add_reply(c, crate::shared::NULLBULK),
        Some(s) => add_reply_bulk(c, s.as_bytes()),
    }
}

/// Add a long long as a bulk reply
///
/// C: networking.c addReplyBulkLongLong()
pub(crate) fn add_reply_bulk_long_long(c: &mut Client, ll: i64) {
    add_reply_bulk(c, crate::object::ll2string_buf(&mut [0; 20], ll));
}

/// Add an array of C strings as status replies with a heading. This
/// function is typically invoked by from commands that support subcommands
/// in response to the 'help' subcommand. The help array is terminated by
/// NULL sentinel.
///
/// C: networking.c addReplyHelp()
pub(crate) fn add_reply_help(c: &mut Client, subcmd: &str, help: &[&str]) {
    let mut s = subcmd.as_bytes().to_vec();
    s.make_ascii_uppercase();
    add_reply_multi_bulk_len(c, help.len() as i64 + 1);
    add_reply_status_format(
        c,
        format_args!(
            "{} <subcommand> arg arg ... arg. Subcommands are:",
            String::from_utf8_lossy(&s)
        ),
    );
    for h in help {
        add_reply_status(c, h);
    }
}

/// Add a suggestive error reply. This function is typically invoked by
/// from commands that support subcommands in response to an unknown
/// subcommand or argument error.
///
/// C: networking.c addReplySubcommandSyntaxError()
pub(crate) fn add_reply_subcommand_syntax_error(c: &mut Client) {
    // As C's "%s" of argv->ptr: the bytes up to a NUL, untruncated and not
    // re-encoded (a lossy UTF-8 conversion and a 128-char cut, as Redis 7
    // has, changed the reply; found by tests/proto_fuzz.rs against 5.0.14).
    let mut cmd = c_str(&c.argv[0]).to_vec();
    cmd.make_ascii_uppercase(); // sdstoupper(): toupper() in the C locale
    let sub = c_str(&c.argv[1]).to_vec();
    add_reply_error_format_bytes(
        c,
        &[
            b"Unknown subcommand or wrong number of arguments for '",
            &sub,
            b"'. Try ",
            &cmd,
            b" HELP.",
        ],
    );
}

/// Copy 'src' client output buffers into 'dst' client output buffers. The
/// function takes care of freeing the old output buffers of the destination
/// client.
///
/// C: networking.c copyClientOutputBuffer()
pub(crate) fn copy_client_output_buffer(dst: &mut Client, src: &Client) {
    dst.reply.clear();
    for b in &src.reply {
        dst.reply.push_back(ClientReplyBlock { buf: b.buf.clone() });
    }
    dst.buf[..src.bufpos].copy_from_slice(&src.buf[..src.bufpos]);
    dst.bufpos = src.bufpos;
    dst.reply_bytes = src.reply_bytes;
}

/// Return true if the specified client has pending reply buffers to write
/// to the socket.
///
/// C: networking.c clientHasPendingReplies()
pub(crate) fn client_has_pending_replies(c: &Client) -> bool {
    c.bufpos != 0 || !c.reply.is_empty()
}

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
fn free_client_argv(c: &mut Client) {
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
    }

    let Some(mut c) = server.clients.remove(&id) else { return };

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
            if ae::ae_create_file_event(
                &mut server.el,
                fd,
                AE_WRITABLE,
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
fn set_protocol_error(server: &mut RedisServer, errstr: &str, c: &mut Client) {
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
        c.argv = Vec::with_capacity(ll.min(1024) as usize);
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

/// Concatenate a string representing the state of a client in an human
/// readable format, into the sds string 's'.
///
/// C: networking.c catClientInfoString()
pub(crate) fn cat_client_info_string(
    server: &RedisServer,
    client: &mut Client,
) -> String {
    let mut flags = String::new();
    if client.flags & CLIENT_SLAVE != 0 {
        if client.flags & CLIENT_MONITOR != 0 {
            flags.push('O');
        } else {
            flags.push('S');
        }
    }
    if client.flags & CLIENT_MASTER != 0 {
        flags.push('M');
    }
    if client.flags & CLIENT_PUBSUB != 0 {
        flags.push('P');
    }
    if client.flags & CLIENT_MULTI != 0 {
        flags.push('x');
    }
    if client.flags & CLIENT_BLOCKED != 0 {
        flags.push('b');
    }
    if client.flags & CLIENT_DIRTY_CAS != 0 {
        flags.push('d');
    }
    if client.flags & CLIENT_CLOSE_AFTER_REPLY != 0 {
        flags.push('c');
    }
    if client.flags & CLIENT_UNBLOCKED != 0 {
        flags.push('u');
    }
    if client.flags & CLIENT_CLOSE_ASAP != 0 {
        flags.push('A');
    }
    if client.flags & CLIENT_UNIX_SOCKET != 0 {
        flags.push('U');
    }
    if client.flags & CLIENT_READONLY != 0 {
        flags.push('r');
    }
    if flags.is_empty() {
        flags.push('N');
    }
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
