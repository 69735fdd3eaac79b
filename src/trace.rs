//! The event trace (issue 12): JSON lines a learner switches on with
//! `trace-events yes` (in the config file or by CONFIG SET) to watch the
//! server run: each event loop iteration (time blocked in epoll, the file
//! events fired and their handlers, the time events run, the time spent in
//! `before_sleep`), clients accepted and closed, every change of the
//! replica's `repl_state` and of a replica client's `replstate` on the
//! master, and the fork and exit of the RDB children. The format is fixed
//! in docs/observing.md section 2.
//!
//! No C twin: Redis 5.0.14 has no such trace. Nothing here changes what a
//! client sees, and the options stay out of `CONFIG GET *`.
//!
//! Read this first: off, the trace costs one test of a plain bool. Every
//! hook is `event(server, "name", |json| ...)`: it tests `server.trace.on`
//! and only then reads a clock, formats or writes, in an outlined function.
//! The event loop tests the flag once per iteration and runs a copy of the
//! iteration compiled with or without the trace (`ae::process_events`).
//! Lines are buffered and flushed just before the loop may sleep, so a
//! `tail -f` shows them live.

use std::cell::{Cell, RefCell};
use std::fmt::{Display, Write as _};
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::ae::{
    AeFileProc, AeLoopTrace, AeTimeProc, AE_READABLE, AE_WRITABLE,
};
use crate::server::*;
use crate::server_log;

/// `trace-events-file`'s default, relative to `dir`.
pub(crate) const TRACE_DEFAULT_FILE: &str = "trace.jsonl";

/// The trace's state in `RedisServer` (`server.trace`).
pub(crate) struct Trace {
    /// `trace-events`: the one flag every hook tests first. Set by the
    /// config file before the file is opened (`start` opens it).
    pub(crate) on: bool,
    /// `trace-events-file`.
    pub(crate) file: String,
    /// Loop iterations traced so far (the `iter` field).
    iter: Cell<u64>,
    /// The open file; behind a RefCell so hooks need only `&RedisServer`.
    out: RefCell<Option<Out>>,
}

/// The open trace file and the line being built.
struct Out {
    w: BufWriter<File>,
    line: String,
    /// The first write error, reported (and the trace switched off) at the
    /// next flush.
    error: Option<io::Error>,
}

impl Default for Trace {
    fn default() -> Self {
        Trace {
            on: false,
            file: TRACE_DEFAULT_FILE.to_string(),
            iter: Cell::new(0),
            out: RefCell::new(None),
        }
    }
}

// ------------------------------- JSON lines -------------------------------

/// Builds the fields of one JSON object: `j.num("fd", 5).str("addr", a)`.
pub(crate) struct Json<'a> {
    buf: &'a mut String,
    /// No field written yet in the current object.
    first: bool,
}

impl Json<'_> {
    fn key(&mut self, key: &str) {
        if !self.first {
            self.buf.push(',');
        }
        self.first = false;
        push_json_str(self.buf, key);
        self.buf.push(':');
    }

    /// A number (any integer type).
    pub(crate) fn num(&mut self, key: &str, v: impl Display) -> &mut Self {
        self.key(key);
        let _ = write!(self.buf, "{v}");
        self
    }

    /// A string, escaped.
    pub(crate) fn str(&mut self, key: &str, v: &str) -> &mut Self {
        self.key(key);
        push_json_str(self.buf, v);
        self
    }

    /// The fields of a JSON object already written (`{"a":1,"b":"x"}`),
    /// added to this one: the replication history's records.
    pub(crate) fn fields_of(&mut self, object: &str) -> &mut Self {
        let inner = object.trim().trim_start_matches('{').trim_end_matches('}');
        if !inner.is_empty() {
            if !self.first {
                self.buf.push(',');
            }
            self.first = false;
            self.buf.push_str(inner);
        }
        self
    }

    /// A list of objects, one per item, each written by `f`.
    pub(crate) fn objects<I: IntoIterator>(
        &mut self,
        key: &str,
        items: I,
        mut f: impl FnMut(&mut Json, I::Item),
    ) -> &mut Self {
        self.key(key);
        self.buf.push('[');
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.buf.push(',');
            }
            self.buf.push('{');
            f(&mut Json { buf: self.buf, first: true }, item);
            self.buf.push('}');
        }
        self.buf.push(']');
        self
    }
}

/// Appends `s` as a JSON string literal.
fn push_json_str(buf: &mut String, s: &str) {
    buf.push('"');
    for ch in s.chars() {
        match ch {
            '"' => buf.push_str("\\\""),
            '\\' => buf.push_str("\\\\"),
            '\n' => buf.push_str("\\n"),
            '\r' => buf.push_str("\\r"),
            '\t' => buf.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(buf, "\\u{:04x}", c as u32);
            }
            c => buf.push(c),
        }
    }
    buf.push('"');
}

fn unix_us() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0)
}

/// Writes one line `{"ts":…,"ev":"<ev>",<fields>}` when the trace is on;
/// off, it is one test of a bool and `fields` never runs. This is the API
/// every hook uses, e.g.
/// `trace::event(server, "sync_attempt", |j| { j.str("result", "full"); })`.
#[inline(always)]
pub(crate) fn event(
    server: &RedisServer,
    ev: &str,
    fields: impl FnOnce(&mut Json),
) {
    if server.trace.on {
        write_event(&server.trace, ev, fields);
    }
}

#[inline(never)]
#[cold]
fn write_event(trace: &Trace, ev: &str, fields: impl FnOnce(&mut Json)) {
    // A hook inside a hook's closure (none today) would find it busy: its
    // line is dropped rather than mixed into this one.
    let Ok(mut out) = trace.out.try_borrow_mut() else { return };
    let Some(out) = out.as_mut() else { return };
    if out.error.is_some() {
        return;
    }
    out.line.clear();
    let _ = write!(out.line, "{{\"ts\":{},\"ev\":", unix_us());
    push_json_str(&mut out.line, ev);
    fields(&mut Json { buf: &mut out.line, first: false });
    out.line.push_str("}\n");
    if let Err(e) = out.w.write_all(out.line.as_bytes()) {
        out.error = Some(e);
    }
}

// ------------------------- switching it on and off -------------------------

/// Opens (creates, appends to) `trace-events-file` and switches the trace
/// on. On failure logs a warning, leaves the trace off and returns the
/// error text for CONFIG SET's reply.
pub(crate) fn enable(server: &mut RedisServer) -> Result<(), String> {
    let path = server.trace.file.clone();
    match OpenOptions::new().append(true).create(true).open(&path) {
        Ok(f) => {
            // Replaces (and flushes) a file already open.
            let old = server.trace.out.replace(Some(Out {
                w: BufWriter::with_capacity(64 * 1024, f),
                line: String::with_capacity(512),
                error: None,
            }));
            drop(old);
            server.trace.on = true;
            Ok(())
        }
        Err(e) => {
            let why = crate::util::strerror(&e);
            server_log!(
                server,
                LL_WARNING,
                "Can't open the trace-events-file {}: {}",
                path,
                why
            );
            server.trace.on = server.trace.out.borrow().is_some();
            Err(format!("Can't open the trace-events-file {}: {}", path, why))
        }
    }
}

/// Flushes and closes the file; the trace is off.
pub(crate) fn disable(server: &mut RedisServer) {
    flush(server);
    server.trace.on = false;
    server.trace.out.replace(None);
}

/// At start-up, once `dir` is our working directory: opens the file if the
/// config file said `trace-events yes`. A failure is logged, and the
/// server runs without the trace.
pub(crate) fn start(server: &mut RedisServer) {
    if server.trace.on && server.trace.out.borrow().is_none() {
        server.trace.on = false;
        let _ = enable(server);
    }
}

/// Pushes the buffered lines to the file: called before the loop may
/// sleep, and on shutdown. A write error is logged once and switches the
/// trace off.
pub(crate) fn flush(server: &mut RedisServer) {
    let err = match server.trace.out.get_mut() {
        Some(out) => match out.error.take() {
            Some(e) => Some(e),
            None => out.w.flush().err(),
        },
        None => None,
    };
    if let Some(e) = err {
        server_log!(
            server,
            LL_WARNING,
            "Error writing the trace-events-file {}: {}. The trace is now off.",
            server.trace.file,
            crate::util::strerror(&e)
        );
        server.trace.on = false;
        // Drop the writer without a second attempt at its buffer.
        if let Some(out) = server.trace.out.get_mut().take() {
            let _ = out.w.into_parts();
        }
    }
}

/// In a forked child: the trace is off, and the lines buffered by the
/// parent are dropped, not written a second time.
pub(crate) fn forget_in_child(server: &mut RedisServer) {
    server.trace.on = false;
    if let Some(out) = server.trace.out.get_mut().take() {
        let _ = out.w.into_parts();
    }
}

// --------------------------------- the hooks ---------------------------------

/// The names of the file event handlers: (Rust fn, its C twin). A table
/// searched only while tracing, so registering a handler costs nothing.
fn file_proc_name(p: AeFileProc<RedisServer>) -> (&'static str, &'static str) {
    use crate::networking as net;
    use crate::replication as repl;
    let table: [(AeFileProc<RedisServer>, &str, &str); 9] = [
        (net::accept_tcp_handler, "accept_tcp_handler", "acceptTcpHandler"),
        (net::accept_unix_handler, "accept_unix_handler", "acceptUnixHandler"),
        (
            net::read_query_from_client,
            "read_query_from_client",
            "readQueryFromClient",
        ),
        (
            net::send_reply_to_client,
            "send_reply_to_client",
            "sendReplyToClient",
        ),
        (repl::sync_with_master, "sync_with_master", "syncWithMaster"),
        (
            repl::read_sync_bulk_payload,
            "read_sync_bulk_payload",
            "readSyncBulkPayload",
        ),
        (repl::send_bulk_to_slave, "send_bulk_to_slave", "sendBulkToSlave"),
        (
            crate::aof::aof_child_pipe_readable,
            "aof_child_pipe_readable",
            "aofChildPipeReadable",
        ),
        (
            crate::aof::aof_child_write_diff_data,
            "aof_child_write_diff_data",
            "aofChildWriteDiffData",
        ),
    ];
    table
        .iter()
        .find(|(f, _, _)| std::ptr::fn_addr_eq(*f, p))
        .map_or(("unknown", "unknown"), |&(_, r, c)| (r, c))
}

/// The names of the time event handlers (server_cron is the only one).
fn time_proc_name(p: AeTimeProc<RedisServer>) -> (&'static str, &'static str) {
    let cron: AeTimeProc<RedisServer> = crate::server::server_cron;
    if std::ptr::fn_addr_eq(cron, p) {
        ("server_cron", "serverCron")
    } else {
        ("unknown", "unknown")
    }
}

fn mask_name(mask: i32) -> &'static str {
    match (mask & AE_READABLE != 0, mask & AE_WRITABLE != 0) {
        (true, true) => "rw",
        (true, false) => "r",
        (false, true) => "w",
        (false, false) => "",
    }
}

/// `loop`: one event loop iteration, handed over by ae at its end.
pub(crate) fn loop_iteration(
    server: &RedisServer,
    rec: &AeLoopTrace<RedisServer>,
) {
    let iter = server.trace.iter.get();
    server.trace.iter.set(iter + 1);
    event(server, "loop", |j| {
        j.num("iter", iter)
            .num("wait_us", rec.wait_us)
            .num("timeout_ms", rec.timeout_ms)
            .objects("fired", &rec.fired, |o, &(fd, mask, p)| {
                let (r, c) = file_proc_name(p);
                o.num("fd", fd)
                    .str("mask", mask_name(mask))
                    .str("handler", r)
                    .str("c", c);
            })
            .objects("timers", &rec.timers, |o, &(id, p)| {
                let (r, c) = time_proc_name(p);
                o.num("id", id).str("handler", r).str("c", c);
            })
            .num("before_sleep_us", rec.before_sleep_us);
    });
}

/// `accept`: a client was created for an accepted connection.
pub(crate) fn accept(server: &RedisServer, id: ClientId) {
    event(server, "accept", |j| {
        let c = server.clients.get(&id);
        let addr = c
            .and_then(|c| c.sock.as_ref())
            .map(crate::networking::anet::anet_format_peer)
            .unwrap_or_default();
        j.num("id", id.0).num("fd", c.map_or(-1, |c| c.fd)).str("addr", &addr);
    });
}

/// `close`: a client is being freed (its socket not yet closed).
pub(crate) fn close(server: &RedisServer, c: &Client) {
    event(server, "close", |j| {
        let addr = match (&c.peerid, &c.sock) {
            (Some(p), _) => p.clone(),
            (None, Some(s)) => crate::networking::anet::anet_format_peer(s),
            (None, None) => String::new(),
        };
        j.num("id", c.id.0)
            .num("fd", c.fd)
            .str("addr", &addr)
            .str("flags", &crate::networking::client_flags_string(c.flags));
    });
}

/// The name of a `REPL_STATE_*` value.
pub(crate) fn repl_state_name(state: i32) -> &'static str {
    const NAMES: [&str; 16] = [
        "REPL_STATE_NONE",
        "REPL_STATE_CONNECT",
        "REPL_STATE_CONNECTING",
        "REPL_STATE_RECEIVE_PONG",
        "REPL_STATE_SEND_AUTH",
        "REPL_STATE_RECEIVE_AUTH",
        "REPL_STATE_SEND_PORT",
        "REPL_STATE_RECEIVE_PORT",
        "REPL_STATE_SEND_IP",
        "REPL_STATE_RECEIVE_IP",
        "REPL_STATE_SEND_CAPA",
        "REPL_STATE_RECEIVE_CAPA",
        "REPL_STATE_SEND_PSYNC",
        "REPL_STATE_RECEIVE_PSYNC",
        "REPL_STATE_TRANSFER",
        "REPL_STATE_CONNECTED",
    ];
    usize::try_from(state)
        .ok()
        .and_then(|i| NAMES.get(i))
        .copied()
        .unwrap_or("REPL_STATE_UNKNOWN")
}

/// The name of a replica client's `replstate` (`REPL_STATE_NONE` before it
/// is a replica, then `SLAVE_STATE_*`).
pub(crate) fn slave_state_name(state: i32) -> &'static str {
    use crate::replication::*;
    match state {
        REPL_STATE_NONE => "REPL_STATE_NONE",
        SLAVE_STATE_WAIT_BGSAVE_START => "SLAVE_STATE_WAIT_BGSAVE_START",
        SLAVE_STATE_WAIT_BGSAVE_END => "SLAVE_STATE_WAIT_BGSAVE_END",
        SLAVE_STATE_SEND_BULK => "SLAVE_STATE_SEND_BULK",
        SLAVE_STATE_ONLINE => "SLAVE_STATE_ONLINE",
        _ => "SLAVE_STATE_UNKNOWN",
    }
}

/// `repl_state`: the replica's handshake state changed.
pub(crate) fn repl_state(server: &RedisServer, from: i32, to: i32) {
    event(server, "repl_state", |j| {
        j.str("from", repl_state_name(from)).str("to", repl_state_name(to));
    });
}

/// `slave_state`: a replica client's state changed, on the master.
pub(crate) fn slave_state(
    server: &RedisServer,
    c: &Client,
    from: i32,
    to: i32,
) {
    event(server, "slave_state", |j| {
        j.num("id", c.id.0)
            .str("replica", &crate::replication::replication_get_slave_name(c))
            .str("from", slave_state_name(from))
            .str("to", slave_state_name(to));
    });
}

/// `fork`: an RDB child started (`job` is `rdb` or `rdb_socket`).
pub(crate) fn fork(server: &RedisServer, pid: i32, job: &str, fork_us: i64) {
    event(server, "fork", |j| {
        j.num("pid", pid).str("job", job).num("fork_us", fork_us);
    });
}

/// `child_exit`: an RDB child was reaped.
pub(crate) fn child_exit(
    server: &RedisServer,
    pid: i32,
    job: &str,
    exitcode: i32,
    bysignal: i32,
) {
    event(server, "child_exit", |j| {
        j.num("pid", pid)
            .str("job", job)
            .num("exitcode", exitcode)
            .num("bysignal", bysignal);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped() {
        let mut s = String::new();
        push_json_str(&mut s, "a\"b\\c\nd\u{1}");
        assert_eq!(s, r#""a\"b\\c\nd\u0001""#);
    }

    #[test]
    fn json_objects_and_lists() {
        let mut s = String::from("{");
        let mut j = Json { buf: &mut s, first: true };
        j.num("a", 1).objects("l", [1, 2], |o, v| {
            o.num("v", v).str("b", if v == 2 { "x" } else { "" });
        });
        j.objects("e", Vec::<i32>::new(), |_, _| {});
        s.push('}');
        assert_eq!(s, r#"{"a":1,"l":[{"v":1,"b":""},{"v":2,"b":"x"}],"e":[]}"#);
    }

    #[test]
    fn state_names() {
        assert_eq!(repl_state_name(REPL_STATE_CONNECT), "REPL_STATE_CONNECT");
        assert_eq!(
            repl_state_name(REPL_STATE_CONNECTED),
            "REPL_STATE_CONNECTED"
        );
        assert_eq!(repl_state_name(99), "REPL_STATE_UNKNOWN");
        assert_eq!(slave_state_name(9), "SLAVE_STATE_ONLINE");
    }

    #[test]
    fn every_handler_has_a_name() {
        use crate::networking as net;
        let p: AeFileProc<RedisServer> = net::read_query_from_client;
        assert_eq!(
            file_proc_name(p),
            ("read_query_from_client", "readQueryFromClient")
        );
        let p: AeFileProc<RedisServer> = net::send_reply_to_client;
        assert_eq!(file_proc_name(p).1, "sendReplyToClient");
        let t: AeTimeProc<RedisServer> = crate::server::server_cron;
        assert_eq!(time_proc_name(t), ("server_cron", "serverCron"));
    }
}
