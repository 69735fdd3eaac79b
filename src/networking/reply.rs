//! networking.c's reply functions: the low level ones that add bytes to a
//! client's 16 KiB `buf` or its list of reply blocks, and the higher level
//! `add_reply*` API commands call, in C's order.

use super::*;

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

/// addReply() of a buffer the caller gives away: one of at least
/// PROTO_REPLY_CHUNK_BYTES becomes a node of the reply list as it is
/// (after whatever the buffer and the list hold), where addReply would copy
/// it into one; a smaller one is added as by `add_reply`. The client sees
/// the same bytes in the same order. (no C twin)
pub(crate) fn add_reply_owned(c: &mut Client, v: Vec<u8>) {
    if v.len() < PROTO_REPLY_CHUNK_BYTES {
        add_reply(c, &v);
        return;
    }
    if c.mailbox.is_some() {
        flush_mailbox(c);
    }
    if prepare_client_to_write(c).is_err() {
        return;
    }
    if c.flags & CLIENT_CLOSE_AFTER_REPLY != 0 {
        return;
    }
    c.reply_bytes += v.capacity() as u64;
    c.reply.push_back(ClientReplyBlock { buf: v });
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

/// Add a long double as a bulk reply, but uses a human readable formatting
/// of the double instead of exposing the crude behavior of doubles to the
/// dear user: "%.17Lf" with the trailing zeroes (and dot) removed. The GEO
/// commands reply coordinates this way; C's callers pass doubles, which
/// widen to long double exactly.
///
/// C: networking.c addReplyHumanLongDouble()
pub(crate) fn add_reply_human_long_double(c: &mut Client, d: f64) {
    // C: createStringObjectFromLongDouble(d,1), i.e. ld2string().
    let s = crate::util::ld2string(
        crate::long_double::LongDouble::from_f64(d),
        true,
    );
    add_reply_bulk(c, &s);
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
