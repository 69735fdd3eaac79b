//! The in-process fuzz targets shared by `tests/proto_fuzz.rs`,
//! `tests/rdb_fuzz.rs` (bounded runs and corpus replay) and the AFL++
//! binaries under `fuzz/` (coverage-guided runs, `scripts/fuzz`).
//!
//! Each target takes raw bytes and panics when an oracle fails, so the
//! same function is a libtest case, a corpus replay and an AFL harness:
//!
//! - `query`: the bytes are what a client sends. They are fed to a client
//!   of an in-process server (no sockets read: the bytes go straight into
//!   `querybuf`, then `process_input_buffer`, as `read_query_from_client`
//!   does) three ways: in one read, one byte per read, and in
//!   pseudo-random reads. The replies, the dataset digest and the
//!   client's fate must be the same every way (a parser that depends on
//!   where reads split is a desync), and the parser's state must stay
//!   coherent after every read.
//! - `repl`: the bytes are a replication stream from our master, fed to
//!   the master client of an in-process replica the same three ways, as
//!   `read_query_from_client` feeds a master (`read_reploff`,
//!   `pending_querybuf`, `process_input_buffer_and_replicate`). The applied
//!   offset, the backlog, the REPLCONF ACKs sent back and the dataset must
//!   not depend on the splits; the ACKs must be well-formed and carry
//!   offsets that were applied; and the backlog must hold exactly the
//!   applied bytes.
//! - `rdb`: the bytes are an RDB file. The loader must return, not panic;
//!   what it accepts must digest, save, and load back to the same digest.
//!
//! Servers here have no listening socket and a command table cut down to
//! commands that are deterministic and touch nothing outside the process
//! (no SHUTDOWN, SAVE, DEBUG, REPLICAOF, CONFIG, TIME, INFO, ...): the
//! fuzzer explores the parser and the replication bookkeeping, not what
//! SHUTDOWN does. The generators below (`Rng`, `gen_*`, `mutate`) build
//! valid inputs and then damage them; the AFL targets start from the
//! corpus instead.

#![allow(dead_code)]

use std::os::unix::net::UnixStream;

use oxredis::networking::{
    create_client, process_input_buffer_and_replicate, with_client,
};
use oxredis::rdb::{rdb_load_rio_checked, rdb_save_rio};
use oxredis::rio::{rio_init_with_buffer, rio_into_buffer};
use oxredis::server::*;
use socket2::Socket;

// ---------------------------------------------------------------- the PRNG

/// splitmix64: small, fast, reproducible from its seed.
#[derive(Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }

    pub fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }

    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
}

// -------------------------------------------------------- in-process server

/// Commands the query and replication targets may run: deterministic
/// (same input, same reply, whatever the time) and confined to the
/// process.
pub const SAFE_COMMANDS: &[&str] = &[
    "ping",
    "echo",
    "set",
    "get",
    "del",
    "exists",
    "incr",
    "decr",
    "incrby",
    "incrbyfloat",
    "append",
    "strlen",
    "getrange",
    "setrange",
    "mset",
    "mget",
    "getset",
    "setnx",
    "msetnx",
    "lpush",
    "rpush",
    "lpop",
    "rpop",
    "lrange",
    "llen",
    "lindex",
    "linsert",
    "lrem",
    "ltrim",
    "lset",
    "sadd",
    "srem",
    "smembers",
    "scard",
    "sismember",
    "sinterstore",
    "hset",
    "hget",
    "hdel",
    "hgetall",
    "hlen",
    "hincrby",
    "hmset",
    "zadd",
    "zrange",
    "zscore",
    "zrem",
    "zincrby",
    "zcard",
    "zrangebyscore",
    "select",
    "multi",
    "exec",
    "discard",
    "watch",
    "unwatch",
    "flushdb",
    "flushall",
    "dbsize",
    "type",
    "quit",
    "auth",
    "blpop",
    "brpop",
    "subscribe",
    "unsubscribe",
    "psubscribe",
    "publish",
    "setbit",
    "getbit",
    "bitcount",
    "bitpos",
    "keys",
    "rename",
    "renamenx",
    "move",
    "swapdb",
    "object",
    "expireat",
    "pexpireat",
    "persist",
    "replconf",
    "sort",
];

/// A server as `init_server` leaves it, minus sockets, signals and the
/// cron: databases created, no save points (FLUSHALL would save), and
/// only `SAFE_COMMANDS` known.
pub fn fuzz_server() -> RedisServer {
    let mut server = init_server_config();
    server.db = (0..server.dbnum).map(oxredis::db::RedisDb::new).collect();
    server.saveparams.clear();
    server.verbosity = LL_WARNING + 1; // no logging from protocol errors
    server
        .command_index
        .retain(|name, _| SAFE_COMMANDS.iter().any(|s| s.as_bytes() == *name));
    server
}

thread_local! {
    /// The server the targets reuse: building one (`init_server_config`)
    /// costs more than a case, so each case gets this one reset instead.
    static SERVER: std::cell::RefCell<Option<RedisServer>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `f` on this thread's fuzz server, reset to what `fuzz_server`
/// builds: no clients, empty databases, not a replica, no backlog.
pub fn with_fuzz_server<R>(f: impl FnOnce(&mut RedisServer) -> R) -> R {
    let mut server =
        SERVER.with(|s| s.borrow_mut().take()).unwrap_or_else(fuzz_server);
    let r = f(&mut server);
    reset_fuzz_server(&mut server);
    SERVER.with(|s| *s.borrow_mut() = Some(server));
    r
}

/// Undoes what a case did to a fuzz server. (A panic skips this: the
/// next case then builds a new server.)
fn reset_fuzz_server(server: &mut RedisServer) {
    // A master client is freed as a plain client: C would cache it.
    if let Some(id) = server.master.take() {
        if let Some(c) = server.clients.here_mut(&id) {
            c.flags &= !CLIENT_MASTER;
        }
    }
    let ids: Vec<ClientId> = server.clients.ids().collect();
    for id in ids {
        oxredis::networking::free_client(server, id);
    }
    oxredis::networking::free_clients_in_async_free_queue(server);
    server.clients_pending_write.clear();
    server.ready_keys.clear();
    server.db = (0..server.dbnum).map(oxredis::db::RedisDb::new).collect();
    server.masterhost = None;
    server.repl_state = REPL_STATE_NONE;
    server.cached_master = None;
    server.repl_backlog = None;
    server.master_repl_offset = 0;
    server.rdb_checksum = true;
    server.rdb_compression = true;
    server.dirty = 0;
}

/// Creates a client on one end of a Unix socket pair (so replies are
/// buffered, as for a connected client; nothing is ever written to it)
/// and returns its id and the other end, which must stay open.
pub fn connect(server: &mut RedisServer) -> (ClientId, UnixStream) {
    let (ours, theirs) = UnixStream::pair().expect("socketpair");
    let id = create_client(server, Some(Socket::from(ours))).expect("client");
    (id, theirs)
}

/// Takes everything queued for client `c`'s socket, as if written out.
pub fn take_replies(server: &mut RedisServer, id: ClientId) -> Vec<u8> {
    let Some(c) = server.clients.here_mut(&id) else {
        return Vec::new();
    };
    let mut out = c.buf[..c.bufpos].to_vec();
    for block in c.reply.drain(..) {
        out.extend_from_slice(&block.buf);
    }
    c.bufpos = 0;
    c.reply_bytes = 0;
    c.sentlen = 0;
    c.flags &= !CLIENT_PENDING_WRITE;
    c.pending_write_queued = false;
    server.clients_pending_write.retain(|x| *x != id);
    out
}

/// How a client ended a case. (The fields are compared across splits.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub replies: Vec<u8>,
    /// The client asked to be closed (protocol error, QUIT).
    pub closed: bool,
    pub blocked: bool,
    pub db: i32,
    pub digest: [u8; 20],
    /// For the replication target: applied and read offsets, the
    /// replica's own master_repl_offset and backlog length.
    pub reploff: i64,
    pub read_reploff: i64,
    pub master_repl_offset: i64,
    pub backlog: Vec<u8>,
}

/// Checks what must hold for a client between two reads, whatever came
/// in: the parser's indices are in range and its counters coherent.
fn check_parser_state(c: &Client, ctx: &str) {
    assert!(c.qb_pos <= c.querybuf.len(), "{ctx}: qb_pos past the buffer");
    assert!(c.multibulklen >= 0, "{ctx}: multibulklen {}", c.multibulklen);
    assert!(c.bulklen >= -1, "{ctx}: bulklen {}", c.bulklen);
    if c.reqtype == 0 {
        assert!(c.argv.is_empty() || c.flags & CLIENT_BLOCKED != 0, "{ctx}");
    }
    if c.multibulklen > 0 {
        assert_eq!(c.reqtype, PROTO_REQ_MULTIBULK, "{ctx}: reqtype");
    }
}

/// The reads a case is fed in: all at once, one byte at a time, or
/// pseudo-random lengths (1 to 40, sometimes long).
#[derive(Debug, Clone, Copy)]
pub enum Split {
    Whole,
    Bytes,
    Random(u64),
}

fn chunks(data: &[u8], split: Split) -> Vec<&[u8]> {
    match split {
        Split::Whole => vec![data],
        Split::Bytes => data.chunks(1).collect(),
        Split::Random(seed) => {
            let mut rng = Rng(seed);
            let mut v = Vec::new();
            let mut rest = data;
            while !rest.is_empty() {
                let n = if rng.chance(8) {
                    1 + rng.below(2000) as usize
                } else {
                    1 + rng.below(40) as usize
                };
                let n = n.min(rest.len());
                v.push(&rest[..n]);
                rest = &rest[n..];
            }
            v
        }
    }
}

// ------------------------------------------------------------ query target

/// Feeds `data` to a fresh client of a fresh server in the reads `split`
/// describes, as `read_query_from_client` does (append, then
/// `process_input_buffer_and_replicate`), and reports the outcome.
pub fn run_query(data: &[u8], split: Split) -> Outcome {
    with_fuzz_server(|server| run_query_on(server, data, split))
}

fn run_query_on(
    server: &mut RedisServer,
    data: &[u8],
    split: Split,
) -> Outcome {
    let (id, _peer) = connect(server);
    let mut replies = Vec::new();
    for (i, chunk) in chunks(data, split).into_iter().enumerate() {
        let ctx = format!("{split:?} read {i}");
        let done = with_client(server, id, |server, c| {
            if c.flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP) != 0 {
                return true; // the server stops reading such a client
            }
            c.querybuf.extend_from_slice(chunk);
            process_input_buffer_and_replicate(server, c);
            check_parser_state(c, &ctx);
            false
        })
        .unwrap_or(true);
        replies.extend(take_replies(server, id));
        if done {
            break;
        }
    }
    let c = server.clients.get(&id);
    let replies = normalize_unsubscribe_runs(replies);
    Outcome {
        replies,
        closed: c.is_none_or(|c| {
            c.flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP) != 0
        }),
        blocked: c.is_some_and(|c| c.flags & CLIENT_BLOCKED != 0),
        db: c.map_or(-1, |c| c.db as i32),
        digest: oxredis::debug::compute_dataset_digest(server),
        reploff: 0,
        read_reploff: 0,
        master_repl_offset: server.master_repl_offset,
        backlog: Vec::new(),
    }
}

/// UNSUBSCRIBE and PUNSUBSCRIBE without arguments walk the client's
/// channels in hash order (C: dict order under a per-process seed; here a
/// per-set one), so runs of their replies are compared with the channel
/// names sorted, counts kept in place.
pub fn normalize_unsubscribe_runs(replies: Vec<u8>) -> Vec<u8> {
    const PREFIXES: [&[u8]; 2] =
        [b"*3\r\n$11\r\nunsubscribe\r\n", b"*3\r\n$12\r\npunsubscribe\r\n"];
    // At `at`: (prefix, channel bulk, count, frame length) of an
    // (p)unsubscribe reply. A byte scan, not a parse: the replies need
    // not be valid RESP.
    let frame = |at: usize| -> Option<(usize, Vec<u8>, Vec<u8>, usize)> {
        let f = &replies[at..];
        let p = PREFIXES.iter().position(|p| f.starts_with(p))?;
        let rest = &f[PREFIXES[p].len()..];
        let n = resp_frame_len(rest)?;
        let m = resp_frame_len(&rest[n..])?;
        let len = PREFIXES[p].len() + n + m;
        Some((p, rest[..n].to_vec(), rest[n..n + m].to_vec(), len))
    };
    let mut out = Vec::with_capacity(replies.len());
    let mut i = 0;
    while i < replies.len() {
        let Some(first) = frame(i) else {
            out.push(replies[i]);
            i += 1;
            continue;
        };
        let p = first.0;
        let mut run = Vec::new();
        while let Some(x) = frame(i).filter(|x| x.0 == p) {
            i += x.3;
            run.push(x);
            if i >= replies.len() {
                break;
            }
        }
        let mut names: Vec<Vec<u8>> = run.iter().map(|x| x.1.clone()).collect();
        names.sort();
        for (x, name) in run.iter().zip(names) {
            out.extend_from_slice(PREFIXES[p]);
            out.extend_from_slice(&name);
            out.extend_from_slice(&x.2);
        }
    }
    out
}

/// Where two outcomes differ, for a failure message. (no C twin)
pub fn describe_difference(a: &Outcome, b: &Outcome) -> String {
    let at = a
        .replies
        .iter()
        .zip(&b.replies)
        .position(|(x, y)| x != y)
        .unwrap_or(a.replies.len().min(b.replies.len()));
    let around = |r: &[u8]| {
        let lo = at.saturating_sub(60);
        let hi = (at + 100).min(r.len());
        r[lo..hi].escape_ascii().to_string()
    };
    format!(
        "replies differ from byte {at} (lengths {} and {}):\n  whole: ...{}\n  other: ...{}\n\
         closed {}/{} blocked {}/{} db {}/{} digest equal {} reploff {}/{}",
        a.replies.len(),
        b.replies.len(),
        around(&a.replies),
        around(&b.replies),
        a.closed,
        b.closed,
        a.blocked,
        b.blocked,
        a.db,
        b.db,
        a.digest == b.digest,
        a.reploff,
        b.reploff
    )
}

/// The protocol errors a client can get from the parser, as Redis 5.0.14
/// words them; after any of them the client must be closed.
const PROTOCOL_ERRORS: &[&str] = &[
    "-ERR Protocol error: invalid multibulk length\r\n",
    "-ERR Protocol error: invalid bulk length\r\n",
    "-ERR Protocol error: expected '$', got '",
    "-ERR Protocol error: too big inline request\r\n",
    "-ERR Protocol error: too big mbulk count string\r\n",
    "-ERR Protocol error: too big bulk count string\r\n",
    "-ERR Protocol error: unbalanced quotes in request\r\n",
    "-ERR Protocol error: unauthenticated multibulk length\r\n",
    "-ERR Protocol error: unauthenticated bulk length\r\n",
];

/// Splits a reply stream into RESP2 replies; `None` if it is not one
/// (a desync: a reply a client cannot parse).
pub fn resp_frames(mut buf: &[u8]) -> Option<Vec<&[u8]>> {
    let mut v = Vec::new();
    while !buf.is_empty() {
        let n = resp_frame_len(buf)?;
        v.push(&buf[..n]);
        buf = &buf[n..];
    }
    Some(v)
}

/// The length of the RESP2 reply at the start of `buf`, if whole and
/// well-formed.
pub fn resp_frame_len(buf: &[u8]) -> Option<usize> {
    fn one(buf: &[u8]) -> Option<usize> {
        let nl = buf.windows(2).position(|w| w == b"\r\n")?;
        let line = buf.get(1..nl)?;
        match *buf.first()? {
            b'+' | b'-' | b':' => {
                if line.contains(&b'\r') || line.contains(&b'\n') {
                    return None;
                }
                Some(nl + 2)
            }
            b'$' => {
                let n: i64 = std::str::from_utf8(line).ok()?.parse().ok()?;
                if n < 0 {
                    return (n == -1).then_some(nl + 2);
                }
                let end = nl + 2 + n as usize;
                (buf.get(end..end + 2)? == b"\r\n").then_some(end + 2)
            }
            b'*' => {
                let n: i64 = std::str::from_utf8(line).ok()?.parse().ok()?;
                if n < 0 {
                    return (n == -1).then_some(nl + 2);
                }
                let mut at = nl + 2;
                for _ in 0..n {
                    at += one(&buf[at..])?;
                }
                Some(at)
            }
            _ => None,
        }
    }
    one(buf)
}

/// The query target: see the module doc. Panics with a description when
/// an oracle fails.
pub fn query_target(data: &[u8]) {
    let whole = run_query(data, Split::Whole);
    // Past PROTO_INLINE_MAX_SIZE, where reads split decides whether a
    // line is "too big" before its newline arrives (in C too), so only
    // the whole read is checked there.
    if data.len() <= PROTO_INLINE_MAX_SIZE {
        let seed = data.iter().fold(0u64, |h, &b| h.rotate_left(5) ^ b as u64);
        for split in [Split::Bytes, Split::Random(seed)] {
            let other = run_query(data, split);
            if other != whole {
                panic!(
                    "query desync between reads Whole and {split:?}\n\
                     input: {:?}\n{}",
                    String::from_utf8_lossy(data),
                    describe_difference(&whole, &other)
                );
            }
        }
    }
    let Some(frames) = resp_frames(&whole.replies) else {
        panic!(
            "query replies are not RESP\ninput: {:?}\nreplies: {:?}",
            String::from_utf8_lossy(data),
            String::from_utf8_lossy(&whole.replies)
        );
    };
    // A protocol error is the last reply, and the client is then closed.
    for (i, f) in frames.iter().enumerate() {
        if PROTOCOL_ERRORS.iter().any(|e| f.starts_with(e.as_bytes())) {
            assert!(
                i + 1 == frames.len() && whole.closed,
                "replies after a protocol error, or the client kept: {:?}",
                String::from_utf8_lossy(data)
            );
        }
    }
}

// ------------------------------------------------------------- repl target

/// The offset the fake master's stream starts at.
pub const REPL_START: i64 = 1000;

/// Makes `server` a replica whose master link is up, as after a full
/// sync at offset REPL_START, with a backlog; returns the master client.
pub fn fuzz_replica(server: &mut RedisServer) -> (ClientId, UnixStream) {
    server.masterhost = Some("127.0.0.1".into());
    server.masterport = 6379;
    server.repl_state = REPL_STATE_CONNECTED;
    server.master_initial_offset = REPL_START;
    server.master_repl_offset = REPL_START;
    oxredis::replication::create_replication_backlog(server);
    server.repl_backlog_off = server.master_repl_offset + 1;
    let (ours, theirs) = UnixStream::pair().expect("socketpair");
    oxredis::replication::replication_create_master_client(
        server,
        Some(Socket::from(ours)),
        0,
    );
    (server.master.expect("master client"), theirs)
}

/// The backlog's content, oldest byte first.
fn backlog_bytes(server: &RedisServer) -> Vec<u8> {
    let Some(b) = &server.repl_backlog else {
        return Vec::new();
    };
    let size = server.repl_backlog_size as usize;
    let histlen = server.repl_backlog_histlen as usize;
    let start = (server.repl_backlog_idx as usize + size - histlen) % size;
    (0..histlen).map(|i| b[(start + i) % size]).collect()
}

/// Feeds the replication stream `data` to the master client of a fresh
/// in-process replica, in the reads `split` describes.
pub fn run_repl(data: &[u8], split: Split) -> Outcome {
    with_fuzz_server(|server| run_repl_on(server, data, split))
}

fn run_repl_on(server: &mut RedisServer, data: &[u8], split: Split) -> Outcome {
    let (id, _peer) = fuzz_replica(server);
    let mut replies = Vec::new();
    for (i, chunk) in chunks(data, split).into_iter().enumerate() {
        let ctx = format!("{split:?} read {i}");
        let done = with_client(server, id, |server, c| {
            if c.flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP) != 0 {
                return true;
            }
            // As read_query_from_client does for a master.
            c.querybuf.extend_from_slice(chunk);
            c.pending_querybuf.extend_from_slice(chunk);
            c.read_reploff += chunk.len() as i64;
            process_input_buffer_and_replicate(server, c);
            check_parser_state(c, &ctx);
            assert!(c.reploff <= c.read_reploff, "{ctx}: reploff ahead");
            assert_eq!(
                c.read_reploff - c.reploff,
                c.pending_querybuf.len() as i64,
                "{ctx}: pending_querybuf is not the unapplied stream"
            );
            assert_eq!(
                server.master_repl_offset, c.reploff,
                "{ctx}: master_repl_offset is not the applied offset"
            );
            false
        })
        .unwrap_or(true);
        replies.extend(take_replies(server, id));
        if done {
            break;
        }
    }
    let c = server.clients.get(&id);
    let closed = c.is_none_or(|c| {
        c.flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP) != 0
    });
    Outcome {
        replies,
        closed,
        blocked: c.is_some_and(|c| c.flags & CLIENT_BLOCKED != 0),
        db: c.map_or(-1, |c| c.db as i32),
        digest: oxredis::debug::compute_dataset_digest(server),
        reploff: c.map_or(-1, |c| c.reploff),
        // Reading stops at the close, so how much was read depends on
        // the splits.
        read_reploff: if closed {
            -1
        } else {
            c.map_or(-1, |c| c.read_reploff)
        },
        master_repl_offset: server.master_repl_offset,
        backlog: backlog_bytes(server),
    }
}

/// The replication target: see the module doc.
pub fn repl_target(data: &[u8]) {
    let whole = run_repl(data, Split::Whole);
    let show = || String::from_utf8_lossy(data).into_owned();
    if data.len() <= PROTO_INLINE_MAX_SIZE {
        let seed = data.iter().fold(7u64, |h, &b| h.rotate_left(5) ^ b as u64);
        for split in [Split::Bytes, Split::Random(seed)] {
            let other = run_repl(data, split);
            assert!(
                other == whole,
                "replication desync between reads Whole and {split:?}\n\
                 input: {:?}\nwhole: {whole:?}\nother: {other:?}",
                show()
            );
        }
    }
    // The backlog holds exactly the applied part of the stream.
    let applied = (whole.reploff - REPL_START) as usize;
    if whole.reploff >= REPL_START && !whole.closed {
        assert_eq!(
            whole.backlog,
            &data[..applied],
            "backlog is not the applied stream: {:?}",
            show()
        );
    }
    // The master hears nothing but REPLCONF ACK <offset>, with offsets
    // that were applied, in order.
    let Some(frames) = resp_frames(&whole.replies) else {
        panic!("replies to the master are not RESP: {:?}", show());
    };
    let mut last = REPL_START;
    for f in frames {
        let s = String::from_utf8_lossy(f);
        let Some(off) = s
            .strip_prefix("*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$")
            .and_then(|r| r.split("\r\n").nth(1))
            .and_then(|n| n.parse::<i64>().ok())
        else {
            panic!("the replica sent its master {s:?} for input {:?}", show());
        };
        assert!(
            off >= last && off <= whole.reploff.max(REPL_START),
            "ACK {off} out of order or past the applied offset {}: {:?}",
            whole.reploff,
            show()
        );
        last = off;
    }
}

// -------------------------------------------------------------- rdb target

/// Loads `data` into a fresh server with the checksum off (so damage is
/// decoded, not just refused); what loads must digest, save and load back
/// to the same digest.
pub fn rdb_target(data: &[u8]) {
    with_fuzz_server(|server| rdb_target_on(server, data))
}

fn rdb_target_on(server: &mut RedisServer, data: &[u8]) {
    server.rdb_checksum = false;
    let mut rio = rio_init_with_buffer(data.to_vec());
    if rdb_load_rio_checked(server, &mut rio, None, false).is_err() {
        // Keys read before the problem stay; they must still be sound.
        let _ = oxredis::debug::compute_dataset_digest(server);
        return;
    }
    let digest = oxredis::debug::compute_dataset_digest(server);
    let mut w = rio_init_with_buffer(Vec::new());
    rdb_save_rio(server, &mut w, 0, None).expect("save to memory");
    let saved = rio_into_buffer(w);
    server.db = (0..server.dbnum).map(oxredis::db::RedisDb::new).collect();
    let mut rio = rio_init_with_buffer(saved);
    if let Err(e) = rdb_load_rio_checked(server, &mut rio, None, false) {
        panic!("a loaded dataset saved to an RDB that does not load: {e:?}");
    }
    assert_eq!(
        oxredis::debug::compute_dataset_digest(server),
        digest,
        "save and reload changed the dataset"
    );
}

// ------------------------------------------------------------- generators

/// Keys and values the generators draw from: few keys, so commands meet
/// each other's data (and its types).
const KEYS: &[&[u8]] = &[b"k", b"l", b"h", b"z", b"s", b"x\r\ny", b""];
const VALUES: &[&[u8]] = &[
    b"v",
    b"1",
    b"-1",
    b"0",
    b"3.5",
    b"9223372036854775807",
    b"",
    b"a b",
    b"\r\n",
    b"\0",
    b"\"",
    b"'",
    b"inf",
    b"-inf",
    b"nan",
    b"10",
    b"+1",
];

/// A random argument: a key, a value, or random bytes.
fn gen_arg(rng: &mut Rng) -> Vec<u8> {
    match rng.below(10) {
        0..=3 => rng.pick(KEYS).to_vec(),
        4..=7 => rng.pick(VALUES).to_vec(),
        8 => (0..rng.below(300)).map(|_| b'a' + rng.below(26) as u8).collect(),
        _ => (0..rng.below(12)).map(|_| rng.next() as u8).collect(),
    }
}

/// A command: a name from `names` (in random case) and 0 to 5 arguments.
pub fn gen_command(rng: &mut Rng, names: &[&str]) -> Vec<Vec<u8>> {
    let mut name = rng.pick(names).as_bytes().to_vec();
    if rng.chance(3) {
        name.make_ascii_uppercase();
    }
    let mut argv = vec![name];
    for _ in 0..rng.below(6) {
        argv.push(gen_arg(rng));
    }
    argv
}

/// `argv` in RESP: `*<n>\r\n` then `$<len>\r\n<arg>\r\n` for each.
pub fn multibulk(argv: &[Vec<u8>]) -> Vec<u8> {
    let mut v = format!("*{}\r\n", argv.len()).into_bytes();
    for a in argv {
        v.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        v.extend_from_slice(a);
        v.extend_from_slice(b"\r\n");
    }
    v
}

/// `argv` as an inline command, quoting arguments the way `sdssplitargs`
/// reads them (sometimes badly: the mutations do the rest).
pub fn inline(rng: &mut Rng, argv: &[Vec<u8>]) -> Vec<u8> {
    let mut v = Vec::new();
    for (i, a) in argv.iter().enumerate() {
        if i > 0 {
            v.extend_from_slice(if rng.chance(4) { b"  \t" } else { b" " });
        }
        let plain = !a.is_empty()
            && a.iter().all(|b| b.is_ascii_graphic() && !b"\"'".contains(b));
        if plain && !rng.chance(5) {
            v.extend_from_slice(a);
        } else if rng.chance(2) {
            v.push(b'"');
            for &b in a {
                match b {
                    b'"' | b'\\' => v.extend_from_slice(&[b'\\', b]),
                    b'\n' => v.extend_from_slice(b"\\n"),
                    b'\r' => v.extend_from_slice(b"\\r"),
                    b if b.is_ascii_graphic() || b == b' ' => v.push(b),
                    b => v.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
                }
            }
            v.push(b'"');
        } else {
            v.push(b'\'');
            for &b in a {
                if b == b'\'' {
                    v.extend_from_slice(b"\\'");
                } else {
                    v.push(b);
                }
            }
            v.push(b'\'');
        }
    }
    v.extend_from_slice(if rng.chance(4) { b"\n" } else { b"\r\n" });
    v
}

/// A client's input: a few commands, multibulk or inline.
pub fn gen_query(rng: &mut Rng) -> Vec<u8> {
    let mut v = Vec::new();
    for _ in 0..1 + rng.below(6) {
        let argv = gen_command(rng, SAFE_COMMANDS);
        if rng.chance(3) {
            v.extend(inline(rng, &argv));
        } else {
            v.extend(multibulk(&argv));
        }
    }
    v
}

/// Commands a master sends down the replication stream.
pub const REPL_COMMANDS: &[&str] = &[
    "set",
    "del",
    "incr",
    "lpush",
    "rpush",
    "lpop",
    "sadd",
    "srem",
    "hset",
    "hdel",
    "zadd",
    "zrem",
    "select",
    "multi",
    "exec",
    "ping",
    "flushall",
    "flushdb",
    "pexpireat",
    "expireat",
    "append",
    "incrbyfloat",
    "publish",
    "get",
    "setbit",
    "swapdb",
    "move",
    "rename",
];

/// A master's stream: writes, SELECTs (some of a database that does not
/// exist), PINGs, REPLCONF GETACKs, MULTI/EXEC blocks and newlines.
pub fn gen_repl(rng: &mut Rng) -> Vec<u8> {
    let mut v = Vec::new();
    for _ in 0..1 + rng.below(8) {
        let argv: Vec<Vec<u8>> = match rng.below(10) {
            0 => vec![b"PING".to_vec()],
            1 => vec![b"REPLCONF".to_vec(), b"GETACK".to_vec(), b"*".to_vec()],
            2 => {
                let db = *rng.pick(&[0i64, 1, 15, 16, -1, 1 << 40]);
                vec![b"SELECT".to_vec(), db.to_string().into_bytes()]
            }
            3 => {
                v.extend_from_slice(b"\n");
                continue;
            }
            _ => gen_command(rng, REPL_COMMANDS),
        };
        v.extend(multibulk(&argv));
    }
    v
}

/// Numbers that break length fields: negative, zero, just past the
/// limits, past i64, not numbers at all.
const BAD_NUMBERS: &[&str] = &[
    "-1",
    "-2",
    "0",
    "1",
    "1048576",
    "1048577",
    "512000000",
    "536870912",
    "536870913",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "99999999999999999999",
    "+5",
    " 5",
    "5 ",
    "0x10",
    "",
    "1.5",
    "-0",
    "00001",
];

/// Damages `input` in one to four ways: bit flips, protocol bytes put in,
/// truncation, insertion, deletion, a length replaced by a bad one, a
/// span duplicated, CR/LF inside an argument.
pub fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut b = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        if b.is_empty() {
            b.push(rng.next() as u8);
            continue;
        }
        let at = rng.below(b.len() as u64) as usize;
        match rng.below(9) {
            0 => b[at] ^= 1 << rng.below(8),
            1 => b[at] = *rng.pick(b"\r\n*$:+-\"'\\ 0\x00\xff"),
            2 => b.truncate(at),
            3 => b.insert(at, *rng.pick(b"\r\n*$\"'\\ \t0")),
            4 => {
                let n = (1 + rng.below(8) as usize).min(b.len() - at);
                b.drain(at..at + n);
            }
            5 | 6 => {
                // Replace the number after a '*' or '$' at or after `at`.
                let Some(p) =
                    b[at..].iter().position(|&x| x == b'*' || x == b'$')
                else {
                    continue;
                };
                let start = at + p + 1;
                let end = b[start..]
                    .iter()
                    .position(|&x| x == b'\r')
                    .map_or(b.len(), |e| start + e);
                let num = rng.pick(BAD_NUMBERS).as_bytes();
                b.splice(start..end, num.iter().copied());
            }
            7 => {
                let n = (1 + rng.below(64) as usize).min(b.len() - at);
                let span = b[at..at + n].to_vec();
                let to = rng.below(b.len() as u64 + 1) as usize;
                b.splice(to..to, span);
            }
            _ => {
                let s: &[u8] = match rng.below(4) {
                    0 => b"\r\n",
                    1 => b"\r",
                    2 => b"\n",
                    _ => b"\r\n\r\n",
                };
                b.splice(at..at, s.iter().copied());
            }
        }
    }
    b
}

/// Commands that build a dataset of every type and encoding for an RDB.
const RDB_COMMANDS: &[&str] = &[
    "set",
    "append",
    "setrange",
    "incr",
    "lpush",
    "rpush",
    "sadd",
    "hset",
    "zadd",
    "pexpireat",
    "select",
    "setbit",
];

/// An RDB file: a dataset built by a few random commands in a server
/// (with small or big values, so both compact and plain encodings), saved
/// with or without compression.
pub fn gen_rdb(rng: &mut Rng) -> Vec<u8> {
    with_fuzz_server(|server| gen_rdb_on(server, rng))
}

fn gen_rdb_on(server: &mut RedisServer, rng: &mut Rng) -> Vec<u8> {
    let (id, _peer) = connect(server);
    let mut input = Vec::new();
    for _ in 0..1 + rng.below(20) {
        let mut argv = gen_command(rng, RDB_COMMANDS);
        if argv[0].eq_ignore_ascii_case(b"pexpireat") && argv.len() > 2 {
            argv[2] =
                (4_000_000_000_000u64 + rng.below(1000)).to_string().into();
        }
        if rng.chance(4) {
            for _ in 0..rng.below(200) {
                argv.push(rng.below(100_000).to_string().into_bytes());
            }
        }
        input.extend(multibulk(&argv));
    }
    with_client(server, id, |server, c| {
        c.querybuf = input;
        process_input_buffer_and_replicate(server, c);
    });
    server.rdb_compression = rng.chance(2);
    server.rdb_checksum = false;
    let mut w = rio_init_with_buffer(Vec::new());
    rdb_save_rio(server, &mut w, 0, None).expect("save to memory");
    rio_into_buffer(w)
}

/// Damages a binary blob: bit flips, bytes the RDB encodings care about,
/// truncation, insertion, deletion, a large little- or big-endian u32
/// written over, a span duplicated.
pub fn mutate_binary(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut b = input.to_vec();
    for _ in 0..1 + rng.below(3) {
        if b.len() < 2 {
            b.push(rng.next() as u8);
            continue;
        }
        // Leave "REDIS00" alone mostly: damage there is refused early.
        let lo = if rng.chance(10) { 0 } else { 9.min(b.len() - 1) };
        let at = lo + rng.below((b.len() - lo) as u64) as usize;
        match rng.below(8) {
            0 => b[at] ^= 1 << rng.below(8),
            1 => {
                b[at] = *rng.pick(&[
                    0x00, 0x3f, 0x40, 0x7f, 0x80, 0x81, 0xc0, 0xc3, 0xfe, 0xff,
                    0xf5, 0xfc,
                ])
            }
            2 => b.truncate(at),
            3 => b.insert(at, rng.next() as u8),
            4 => {
                b.remove(at);
            }
            5 => {
                let v = *rng.pick(&[
                    u32::MAX,
                    1 << 31,
                    0x7fff_ffff,
                    b.len() as u32 + 1,
                    0x10000,
                ]);
                let bytes = if rng.chance(2) {
                    v.to_le_bytes()
                } else {
                    v.to_be_bytes()
                };
                for (i, x) in bytes.iter().enumerate() {
                    if let Some(slot) = b.get_mut(at + i) {
                        *slot = *x;
                    }
                }
            }
            6 => {
                let n = (1 + rng.below(32) as usize).min(b.len() - at);
                let span = b[at..at + n].to_vec();
                let to = lo + rng.below((b.len() - lo) as u64 + 1) as usize;
                b.splice(to..to, span);
            }
            _ => b[at] = rng.next() as u8,
        }
    }
    b
}

// ------------------------------------------------------------ fuzz driver

/// A target: a name, the function, and a generator of valid inputs.
pub struct Target {
    pub name: &'static str,
    pub run: fn(&[u8]),
    pub gen: fn(&mut Rng) -> Vec<u8>,
}

pub const QUERY: Target =
    Target { name: "query", run: query_target, gen: gen_query };
pub const REPL: Target =
    Target { name: "repl", run: repl_target, gen: gen_repl };
pub const RDB: Target = Target { name: "rdb", run: rdb_target, gen: gen_rdb };

/// Where the corpus of `target` lives in the repository.
pub fn corpus_dir(target: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-corpus")
        .join(target)
}

/// Every file of `target`'s corpus, sorted by name.
pub fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let Ok(dir) = std::fs::read_dir(corpus_dir(target)) else {
        return Vec::new();
    };
    let mut v: Vec<(String, Vec<u8>)> = dir
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .filter_map(|e| {
            let bytes = std::fs::read(e.path()).ok()?;
            Some((e.file_name().to_string_lossy().into_owned(), bytes))
        })
        .collect();
    v.sort();
    v
}

/// Replays `target`'s corpus; a failing file fails with its name.
pub fn replay_corpus(target: &Target) {
    for (name, bytes) in corpus(target.name) {
        if let Err(e) = std::panic::catch_unwind(|| (target.run)(&bytes)) {
            panic!(
                "{}: corpus file {name} failed: {}",
                target.name,
                panic_text(&e)
            );
        }
    }
}

fn panic_text(e: &Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// One input of a mutation run: generated, then (usually) damaged, or a
/// corpus entry damaged.
pub fn next_input(
    rng: &mut Rng,
    target: &Target,
    seeds: &[Vec<u8>],
) -> Vec<u8> {
    let base = if !seeds.is_empty() && rng.chance(4) {
        rng.pick(seeds).clone()
    } else {
        (target.gen)(rng)
    };
    if rng.chance(5) {
        base
    } else if target.name == "rdb" {
        mutate_binary(rng, &base)
    } else {
        mutate(rng, &base)
    }
}

/// Runs `target` on inputs from `seed` until `stop` says so. A failure
/// writes the input to the corpus as `crash-<seed>-<n>` and panics with
/// the seed and case number. Returns the number of executions.
pub fn mutation_run(
    target: &Target,
    seed: u64,
    mut stop: impl FnMut(u64) -> bool,
) -> u64 {
    let seeds: Vec<Vec<u8>> =
        corpus(target.name).into_iter().map(|(_, b)| b).collect();
    let mut rng = Rng(seed);
    let mut n = 0u64;
    while !stop(n) {
        let input = next_input(&mut rng, target, &seeds);
        if let Err(e) = std::panic::catch_unwind(|| (target.run)(&input)) {
            let dir = corpus_dir(target.name);
            let _ = std::fs::create_dir_all(&dir);
            let path = dir.join(format!("crash-{seed}-{n}"));
            let _ = std::fs::write(&path, &input);
            panic!(
                "{} fuzz: case {n} of seed {seed} failed (input saved to {}): {}",
                target.name,
                path.display(),
                panic_text(&e)
            );
        }
        n += 1;
    }
    n
}
