//! The event trace (issue 12, docs/observing.md section 2): `trace-events`
//! and `trace-events-file` in the config file and by CONFIG SET, the JSON
//! lines it writes (loop iterations, accept/close, the replica's
//! repl_state chain, the master's slave_state chain, fork/child_exit of
//! the RDB children, disk and diskless), switching it on and off under
//! pipelining clients, and bad paths. And that nothing changes by default:
//! `CONFIG GET *` does not list the options, CONFIG REWRITE does not write
//! them at their defaults.

mod util;

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use redis::Value;
use util::{encode_command, raw, resp_reply_len, wait_for, Server};

const WAIT: Duration = Duration::from_secs(20);

// ------------------------------ a tiny JSON reader ------------------------------

/// A parsed JSON value (numbers kept as their text).
#[derive(Debug, Clone, PartialEq)]
enum J {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

impl J {
    fn get(&self, key: &str) -> Option<&J> {
        match self {
            J::Obj(fields) => {
                fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
            }
            _ => None,
        }
    }
    /// A string field; panics if missing.
    fn s(&self, key: &str) -> &str {
        match self.get(key) {
            Some(J::Str(s)) => s,
            v => panic!("{key}: not a string: {v:?} in {self:?}"),
        }
    }
    /// An integer field; panics if missing.
    fn i(&self, key: &str) -> i64 {
        match self.get(key) {
            Some(J::Num(n)) => {
                n.parse().unwrap_or_else(|_| panic!("{key}: {n} not an i64"))
            }
            v => panic!("{key}: not a number: {v:?} in {self:?}"),
        }
    }
    fn arr(&self, key: &str) -> &[J] {
        match self.get(key) {
            Some(J::Arr(a)) => a,
            v => panic!("{key}: not a list: {v:?} in {self:?}"),
        }
    }
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && b" \t\r\n".contains(&self.b[self.i]) {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> Result<(), String> {
        self.ws();
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected {:?} at {}", c as char, self.i))
        }
    }
    fn lit(&mut self, word: &str, v: J) -> Result<J, String> {
        if self.b[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(format!("bad literal at {}", self.i))
        }
    }
    fn value(&mut self) -> Result<J, String> {
        self.ws();
        match self.b.get(self.i).copied() {
            Some(b'{') => {
                self.i += 1;
                let mut fields = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(J::Obj(fields));
                }
                loop {
                    self.ws();
                    let J::Str(k) = self.string()? else { unreachable!() };
                    self.eat(b':')?;
                    let v = self.value()?;
                    fields.push((k, v));
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(J::Obj(fields));
                        }
                        _ => return Err(format!("bad object at {}", self.i)),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(J::Arr(items));
                }
                loop {
                    items.push(self.value()?);
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(J::Arr(items));
                        }
                        _ => return Err(format!("bad list at {}", self.i)),
                    }
                }
            }
            Some(b'"') => self.string(),
            Some(b't') => self.lit("true", J::Bool(true)),
            Some(b'f') => self.lit("false", J::Bool(false)),
            Some(b'n') => self.lit("null", J::Null),
            Some(c) if c == b'-' || c.is_ascii_digit() => {
                let start = self.i;
                self.i += 1;
                while self.i < self.b.len()
                    && (self.b[self.i].is_ascii_digit()
                        || b".eE+-".contains(&self.b[self.i]))
                {
                    self.i += 1;
                }
                let t = std::str::from_utf8(&self.b[start..self.i])
                    .map_err(|e| e.to_string())?;
                t.parse::<f64>().map_err(|_| format!("bad number {t}"))?;
                Ok(J::Num(t.to_string()))
            }
            _ => Err(format!("unexpected byte at {}", self.i)),
        }
    }
    fn string(&mut self) -> Result<J, String> {
        self.eat(b'"')?;
        let mut out = String::new();
        loop {
            let c = *self.b.get(self.i).ok_or("unterminated string")?;
            self.i += 1;
            match c {
                b'"' => return Ok(J::Str(out)),
                b'\\' => {
                    let e = *self.b.get(self.i).ok_or("bad escape")?;
                    self.i += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'u' => {
                            let hex = self
                                .b
                                .get(self.i..self.i + 4)
                                .ok_or("short \\u")?;
                            let n = u32::from_str_radix(
                                std::str::from_utf8(hex)
                                    .map_err(|e| e.to_string())?,
                                16,
                            )
                            .map_err(|e| e.to_string())?;
                            self.i += 4;
                            out.push(char::from_u32(n).ok_or("bad \\u")?);
                        }
                        _ => return Err("bad escape".into()),
                    }
                }
                c if c < 0x20 => return Err("control byte in string".into()),
                _ => {
                    // Copy one UTF-8 character.
                    let start = self.i - 1;
                    let mut end = self.i;
                    while end < self.b.len() && (self.b[end] & 0xc0) == 0x80 {
                        end += 1;
                    }
                    out.push_str(
                        std::str::from_utf8(&self.b[start..end])
                            .map_err(|e| e.to_string())?,
                    );
                    self.i = end;
                }
            }
        }
    }
}

/// Parses one line as a JSON value with nothing after it.
fn parse_json(line: &str) -> Result<J, String> {
    let mut p = Parser { b: line.as_bytes(), i: 0 };
    let v = p.value()?;
    p.ws();
    if p.i != line.len() {
        return Err(format!("trailing bytes at {}", p.i));
    }
    Ok(v)
}

#[test]
fn the_json_reader_rejects_what_is_not_json() {
    assert!(parse_json(r#"{"a":[1,{"b":"x\"y"}],"c":-2}"#).is_ok());
    for bad in [r#"{"a":1"#, r#"{"a":1,}"#, r#"{"a":"b}"#, r#"{a:1}"#, "{}x"] {
        assert!(parse_json(bad).is_err(), "{bad} accepted");
    }
}

// --------------------------------- helpers ---------------------------------

fn trace_path(server: &Server) -> PathBuf {
    server.dir().join("trace.jsonl")
}

/// Every complete line of the trace file, parsed; panics on a line that is
/// not a JSON object with `ts` and `ev`. A last line without its newline
/// (being written) is left out.
fn read_trace(path: &Path) -> Vec<J> {
    let text = fs::read_to_string(path).unwrap_or_default();
    let complete = match text.rfind('\n') {
        Some(i) => &text[..=i],
        None => "",
    };
    complete
        .lines()
        .map(|line| {
            let v = parse_json(line)
                .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            assert!(v.i("ts") > 1_500_000_000_000_000, "ts in µs: {line}");
            v.s("ev");
            v
        })
        .collect()
}

fn events<'a>(lines: &'a [J], ev: &str) -> Vec<&'a J> {
    lines.iter().filter(|l| l.s("ev") == ev).collect()
}

/// Waits until the trace holds a line for which `pred` is true.
fn wait_for_line(path: &Path, pred: impl Fn(&J) -> bool) -> Vec<J> {
    let mut lines = Vec::new();
    wait_for(WAIT, || {
        lines = read_trace(path);
        lines.iter().any(&pred)
    });
    lines
}

fn config_get(server: &Server, pattern: &str) -> Vec<String> {
    match server.cmd(&["CONFIG", "GET", pattern]) {
        Value::Array(items) => items
            .iter()
            .map(|v| util::value_to_string(v).expect("a string"))
            .collect(),
        v => panic!("CONFIG GET {pattern}: {v:?}"),
    }
}

/// The (from, to) pairs of the `ev` lines (for `slave_state`: of client
/// `id` only).
fn transitions(
    lines: &[J],
    ev: &str,
    id: Option<i64>,
) -> Vec<(String, String)> {
    events(lines, ev)
        .into_iter()
        .filter(|l| id.is_none_or(|id| l.i("id") == id))
        .map(|l| (l.s("from").to_string(), l.s("to").to_string()))
        .collect()
}

/// Checks that the `to` of each transition is the `from` of the next.
fn assert_chained(chain: &[(String, String)]) {
    for w in chain.windows(2) {
        assert_eq!(w[0].1, w[1].0, "broken chain: {chain:?}");
    }
}

fn handlers_fired(lines: &[J]) -> Vec<(String, String, String)> {
    events(lines, "loop")
        .into_iter()
        .flat_map(|l| l.arr("fired").to_vec())
        .map(|f| {
            f.i("fd");
            (
                f.s("handler").to_string(),
                f.s("c").to_string(),
                f.s("mask").to_string(),
            )
        })
        .collect()
}

// ---------------------------------- tests ----------------------------------

#[test]
fn options_are_not_in_config_get_star_nor_rewritten_at_their_default() {
    let s = Server::start_with_config("# a config\nhz 10\n", &[]);
    let all = config_get(&s, "*");
    assert!(all.len() > 100, "{all:?}");
    assert!(!all.iter().any(|n| n.starts_with("trace")), "{all:?}");
    assert!(config_get(&s, "trace*").is_empty());
    assert!(config_get(&s, "*events*").iter().all(|n| !n.starts_with("trace")));
    assert_eq!(config_get(&s, "trace-events"), ["trace-events", "no"]);
    assert_eq!(config_get(&s, "TRACE-EVENTS"), ["trace-events", "no"]);
    assert_eq!(
        config_get(&s, "trace-events-file"),
        ["trace-events-file", "trace.jsonl"]
    );

    let conf = s.dir().join("redis.conf");
    assert_eq!(s.cmd(&["CONFIG", "REWRITE"]), Value::Okay);
    let text = fs::read_to_string(&conf).unwrap();
    assert!(!text.contains("trace-events"), "{text}");
    assert!(!trace_path(&s).exists(), "trace file created while off");

    // Not at the default: written.
    assert_eq!(s.cmd(&["CONFIG", "SET", "trace-events", "yes"]), Value::Okay);
    assert_eq!(config_get(&s, "trace-events"), ["trace-events", "yes"]);
    assert_eq!(s.cmd(&["CONFIG", "REWRITE"]), Value::Okay);
    let text = fs::read_to_string(&conf).unwrap();
    assert!(text.contains("\ntrace-events yes\n"), "{text}");
    assert!(!text.contains("trace-events-file"), "{text}");
    assert!(trace_path(&s).exists());
    assert!(s.try_cmd(&["CONFIG", "SET", "trace-events", "maybe"]).is_err());
}

#[test]
fn loop_accept_and_close_lines_from_the_config_file() {
    let s = Server::start_with_config("trace-events yes\n", &[]);
    let path = trace_path(&s);
    let id = {
        let mut c = s.client();
        let id: i64 = redis::cmd("CLIENT").arg("ID").query(&mut c).unwrap();
        let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut c).unwrap();
        let v: String = redis::cmd("GET").arg("k").query(&mut c).unwrap();
        assert_eq!(v, "v");
        id
    }; // dropped: the server closes the client
    let lines =
        wait_for_line(&path, |l| l.s("ev") == "close" && l.i("id") == id);

    let accept = events(&lines, "accept")
        .into_iter()
        .find(|l| l.i("id") == id)
        .expect("accept line of our client");
    assert!(accept.s("addr").starts_with("127.0.0.1:"), "{accept:?}");
    let close = events(&lines, "close")
        .into_iter()
        .find(|l| l.i("id") == id)
        .expect("close line");
    assert_eq!(close.i("fd"), accept.i("fd"));
    assert_eq!(close.s("addr"), accept.s("addr"));
    assert_eq!(close.s("flags"), "N");

    let loops = events(&lines, "loop");
    assert!(loops.len() >= 3, "{loops:?}");
    for w in loops.windows(2) {
        assert_eq!(w[1].i("iter"), w[0].i("iter") + 1);
    }
    for l in &loops {
        assert!(l.i("wait_us") >= 0 && l.i("before_sleep_us") >= 0);
        assert!(l.i("timeout_ms") >= -1);
        for t in l.arr("timers") {
            assert_eq!(
                (t.s("handler"), t.s("c")),
                ("server_cron", "serverCron")
            );
            t.i("id");
        }
    }
    let fired = handlers_fired(&lines);
    let want = |h: &str, c: &str| {
        fired.iter().any(|(rh, rc, m)| rh == h && rc == c && m == "r")
    };
    assert!(want("accept_tcp_handler", "acceptTcpHandler"), "{fired:?}");
    assert!(want("read_query_from_client", "readQueryFromClient"), "{fired:?}");
    assert!(
        !fired.iter().any(|(h, c, _)| h == "unknown" || c == "unknown"),
        "{fired:?}"
    );
    // The iteration that read our GET: a fired read on the accepted fd.
    assert!(loops.iter().any(|l| l.arr("fired").iter().any(|f| {
        f.i("fd") == accept.i("fd")
            && f.s("handler") == "read_query_from_client"
    })));
}

#[test]
fn bgsave_forks_and_reaps_an_rdb_child() {
    let s = Server::start(&["--trace-events", "yes"]);
    s.cmd(&["SET", "k", "v"]);
    assert_eq!(
        util::value_to_string(&s.cmd(&["BGSAVE"])).unwrap(),
        "Background saving started"
    );
    let lines = wait_for_line(&trace_path(&s), |l| l.s("ev") == "child_exit");
    let fork = events(&lines, "fork");
    let exit = events(&lines, "child_exit");
    assert_eq!(fork.len(), 1, "{fork:?}");
    assert_eq!(exit.len(), 1, "{exit:?}");
    assert_eq!(fork[0].s("job"), "rdb");
    assert!(fork[0].i("pid") > 0 && fork[0].i("fork_us") >= 0);
    assert_eq!(exit[0].i("pid"), fork[0].i("pid"));
    assert_eq!(exit[0].s("job"), "rdb");
    assert_eq!((exit[0].i("exitcode"), exit[0].i("bysignal")), (0, 0));
}

#[test]
fn bgrewriteaof_forks_and_reaps_an_aof_rewrite_child() {
    let s = Server::start(&["--trace-events", "yes"]);
    s.cmd(&["SET", "k", "v"]);
    assert_eq!(
        util::value_to_string(&s.cmd(&["BGREWRITEAOF"])).unwrap(),
        "Background append only file rewriting started"
    );
    let lines = wait_for_line(&trace_path(&s), |l| l.s("ev") == "child_exit");
    let fork = events(&lines, "fork");
    let exit = events(&lines, "child_exit");
    assert_eq!(fork.len(), 1, "{fork:?}");
    assert_eq!(fork[0].s("job"), "aof_rewrite");
    assert_eq!(exit.len(), 1, "{exit:?}");
    assert_eq!(exit[0].i("pid"), fork[0].i("pid"));
    assert_eq!(exit[0].s("job"), "aof_rewrite");
    assert_eq!((exit[0].i("exitcode"), exit[0].i("bysignal")), (0, 0));
    // The child's pipes are handled by the loop: the "stop sending diffs"
    // request from the child fires aof_child_pipe_readable.
    let fired = handlers_fired(&lines);
    assert!(
        fired.iter().any(|(h, c, _)| h == "aof_child_pipe_readable"
            && c == "aofChildPipeReadable"),
        "{fired:?}"
    );
}

/// Starts a master and a replica, both tracing, and waits for the link.
fn traced_pair(master_args: &[&str]) -> (Server, Server) {
    let mut args = vec!["--trace-events", "yes"];
    args.extend_from_slice(master_args);
    let master = Server::start(&args);
    master.cmd(&["SET", "k", "v"]);
    let replica = Server::start(&["--trace-events", "yes"]);
    replica.cmd(&["REPLICAOF", "127.0.0.1", &master.port_str()]);
    wait_for(WAIT, || replica.info("master_link_status") == "up");
    (master, replica)
}

/// Without replica-announce-ip, SEND_IP goes straight to SEND_CAPA, as in
/// C's syncWithMaster.
const HANDSHAKE: [&str; 14] = [
    "REPL_STATE_NONE",
    "REPL_STATE_CONNECT",
    "REPL_STATE_CONNECTING",
    "REPL_STATE_RECEIVE_PONG",
    "REPL_STATE_SEND_AUTH",
    "REPL_STATE_SEND_PORT",
    "REPL_STATE_RECEIVE_PORT",
    "REPL_STATE_SEND_IP",
    "REPL_STATE_SEND_CAPA",
    "REPL_STATE_RECEIVE_CAPA",
    "REPL_STATE_SEND_PSYNC",
    "REPL_STATE_RECEIVE_PSYNC",
    "REPL_STATE_TRANSFER",
    "REPL_STATE_CONNECTED",
];

/// The replica's chain, NONE to CONNECTED through every handshake state.
fn assert_replica_chain(replica: &Server) {
    let lines = wait_for_line(&trace_path(replica), |l| {
        l.s("ev") == "repl_state" && l.s("to") == "REPL_STATE_CONNECTED"
    });
    let chain = transitions(&lines, "repl_state", None);
    assert_chained(&chain);
    let states: Vec<&str> = std::iter::once(chain[0].0.as_str())
        .chain(chain.iter().map(|(_, to)| to.as_str()))
        .collect();
    assert_eq!(states, HANDSHAKE, "{chain:?}");
    let fired = handlers_fired(&lines);
    assert!(fired
        .iter()
        .any(|(h, c, _)| h == "sync_with_master" && c == "syncWithMaster"));
    assert!(fired
        .iter()
        .any(|(h, c, _)| h == "read_sync_bulk_payload"
            && c == "readSyncBulkPayload"));
}

/// The master's chain for its one replica, ending ONLINE; returns it.
fn master_chain(master: &Server) -> Vec<(String, String)> {
    let lines = wait_for_line(&trace_path(master), |l| {
        l.s("ev") == "slave_state" && l.s("to") == "SLAVE_STATE_ONLINE"
    });
    let states = events(&lines, "slave_state");
    let id = states[0].i("id");
    assert!(states.iter().all(|l| l.i("id") == id), "{states:?}");
    assert!(states[0].s("replica").starts_with("127.0.0.1:"), "{states:?}");
    let chain = transitions(&lines, "slave_state", Some(id));
    assert_chained(&chain);
    chain
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[test]
fn disk_sync_states_and_the_rdb_child() {
    let (master, replica) = traced_pair(&[]);
    assert_replica_chain(&replica);
    assert_eq!(
        master_chain(&master),
        pairs(&[
            ("REPL_STATE_NONE", "SLAVE_STATE_WAIT_BGSAVE_START"),
            ("SLAVE_STATE_WAIT_BGSAVE_START", "SLAVE_STATE_WAIT_BGSAVE_END"),
            ("SLAVE_STATE_WAIT_BGSAVE_END", "SLAVE_STATE_SEND_BULK"),
            ("SLAVE_STATE_SEND_BULK", "SLAVE_STATE_ONLINE"),
        ])
    );
    let lines = read_trace(&trace_path(&master));
    let fork = events(&lines, "fork");
    let exit = events(&lines, "child_exit");
    assert_eq!(fork.len(), 1);
    assert_eq!(fork[0].s("job"), "rdb");
    assert_eq!(exit.len(), 1);
    assert_eq!(exit[0].i("pid"), fork[0].i("pid"));
    assert_eq!((exit[0].i("exitcode"), exit[0].i("bysignal")), (0, 0));
    let fired = handlers_fired(&lines);
    assert!(fired.iter().any(|(h, c, m)| h == "send_bulk_to_slave"
        && c == "sendBulkToSlave"
        && m.contains('w')));
    // The decision of INFO replhistory, as a line of the master's trace,
    // and the replica's attempt as a line of its own.
    let decisions = events(&lines, "sync_decision");
    assert_eq!(decisions.len(), 1, "{decisions:?}");
    assert_eq!(decisions[0].s("cmd"), "psync");
    // A master turned replica offers its own history (PSYNC2): the master
    // does not know that replid.
    assert_eq!(decisions[0].s("decision"), "fullresync");
    assert!(
        decisions[0].s("reason").starts_with("replid unknown"),
        "{decisions:?}"
    );
    let rlines =
        wait_for_line(&trace_path(&replica), |l| l.s("ev") == "sync_attempt");
    let attempts = events(&rlines, "sync_attempt");
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    assert_eq!(attempts[0].s("result"), "full");
    assert!(attempts[0].i("transfer_bytes") > 0, "{attempts:?}");
    assert!(attempts[0].s("states").starts_with("CONNECTING:"), "{attempts:?}");
    // The replica's client on the master is a replica: flags S on close.
    drop(replica);
    let lines = wait_for_line(&trace_path(&master), |l| l.s("ev") == "close");
    let close = events(&lines, "close");
    assert!(close.iter().any(|l| l.s("flags") == "S"), "{close:?}");
}

#[test]
fn diskless_sync_states_and_the_socket_child() {
    let (master, replica) = traced_pair(&[
        "--repl-diskless-sync",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
    ]);
    assert_replica_chain(&replica);
    assert_eq!(
        master_chain(&master),
        pairs(&[
            ("REPL_STATE_NONE", "SLAVE_STATE_WAIT_BGSAVE_START"),
            ("SLAVE_STATE_WAIT_BGSAVE_START", "SLAVE_STATE_WAIT_BGSAVE_END"),
            ("SLAVE_STATE_WAIT_BGSAVE_END", "SLAVE_STATE_ONLINE"),
        ])
    );
    let lines =
        wait_for_line(&trace_path(&master), |l| l.s("ev") == "child_exit");
    let fork = events(&lines, "fork");
    let exit = events(&lines, "child_exit");
    assert_eq!(fork.len(), 1);
    assert_eq!(fork[0].s("job"), "rdb_socket");
    assert_eq!(exit.len(), 1);
    assert_eq!(exit[0].i("pid"), fork[0].i("pid"));
    assert_eq!(exit[0].s("job"), "rdb_socket");
    assert_eq!((exit[0].i("exitcode"), exit[0].i("bysignal")), (0, 0));
}

/// One pipelining client: `batches` rounds of `per` INCRs of its own key,
/// each round written at once; checks every reply, in order.
fn pipelining_client(port: u16, key: String, batches: usize, per: usize) {
    let mut s = raw(port);
    let cmd = encode_command(&[b"INCR", key.as_bytes()]);
    let mut next = 1i64;
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    for _ in 0..batches {
        s.write_all(&cmd.repeat(per)).unwrap();
        let mut got = 0;
        while got < per {
            while let Some(n) = resp_reply_len(&buf) {
                let reply = String::from_utf8_lossy(&buf[..n]).to_string();
                assert_eq!(reply, format!(":{next}\r\n"), "{key}");
                buf.drain(..n);
                next += 1;
                got += 1;
            }
            if got < per {
                let n = s.read(&mut chunk).expect("reply");
                assert!(n > 0, "{key}: connection closed");
                buf.extend_from_slice(&chunk[..n]);
            }
        }
    }
    assert!(buf.is_empty());
}

#[test]
fn config_set_on_and_off_under_pipelining_clients() {
    let s = Server::start(&[]);
    let port = s.port();
    let (batches, per) = (150, 40);
    let clients: Vec<_> = (0..8)
        .map(|i| {
            let key = format!("counter:{i}");
            std::thread::spawn(move || {
                pipelining_client(port, key, batches, per)
            })
        })
        .collect();
    let mut toggles = 0;
    while !clients.iter().all(|t| t.is_finished()) || toggles < 4 {
        let v = if toggles % 2 == 0 { "yes" } else { "no" };
        assert_eq!(s.cmd(&["CONFIG", "SET", "trace-events", v]), Value::Okay);
        toggles += 1;
        std::thread::sleep(Duration::from_millis(20));
    }
    for t in clients {
        t.join().expect("a client failed");
    }
    for i in 0..8 {
        assert_eq!(
            util::value_to_string(&s.cmd(&["GET", &format!("counter:{i}")]))
                .unwrap(),
            (batches * per).to_string()
        );
    }
    // Off at the end: the file is closed, flushed, whole lines only.
    assert_eq!(s.cmd(&["CONFIG", "SET", "trace-events", "no"]), Value::Okay);
    let text = fs::read_to_string(trace_path(&s)).unwrap();
    assert!(text.ends_with('\n'), "a partial last line");
    let lines = read_trace(&trace_path(&s));
    assert!(!events(&lines, "loop").is_empty());
    assert!(handlers_fired(&lines)
        .iter()
        .any(|(h, _, _)| h == "read_query_from_client"));
    // Nothing more is written while off.
    let len = text.len();
    s.cmd(&["PING"]);
    s.cmd(&["PING"]);
    assert_eq!(fs::read_to_string(trace_path(&s)).unwrap().len(), len);
}

#[test]
fn a_bad_path_is_an_error_reply_and_a_log_line() {
    let s = Server::start(&[]);
    // A regular file as the parent directory: fails even for root.
    fs::write(s.dir().join("plain"), b"x").unwrap();
    let bad = s.dir().join("plain").join("trace.jsonl");
    let bad = bad.to_str().unwrap();
    // Off: the path is only stored.
    assert_eq!(
        s.cmd(&["CONFIG", "SET", "trace-events-file", bad]),
        Value::Okay
    );
    let err = s
        .try_cmd(&["CONFIG", "SET", "trace-events", "yes"])
        .expect_err("an error reply");
    assert!(
        err.to_string().contains("Can't open the trace-events-file"),
        "{err}"
    );
    assert!(err.to_string().contains("Not a directory"), "{err}");
    assert!(
        s.log().contains("Can't open the trace-events-file"),
        "{}",
        s.log()
    );
    assert_eq!(config_get(&s, "trace-events"), ["trace-events", "no"]);
    assert_eq!(s.cmd(&["PING"]), Value::SimpleString("PONG".into()));

    // On with a good file, a bad new path is refused and the old file
    // stays in use.
    let good = s.dir().join("good.jsonl");
    let good = good.to_str().unwrap();
    assert_eq!(
        s.cmd(&["CONFIG", "SET", "trace-events-file", good]),
        Value::Okay
    );
    assert_eq!(s.cmd(&["CONFIG", "SET", "trace-events", "yes"]), Value::Okay);
    assert!(s.try_cmd(&["CONFIG", "SET", "trace-events-file", bad]).is_err());
    assert_eq!(
        config_get(&s, "trace-events-file"),
        ["trace-events-file", good]
    );
    assert_eq!(config_get(&s, "trace-events"), ["trace-events", "yes"]);
    s.cmd(&["SET", "a", "b"]);
    wait_for_line(Path::new(good), |l| l.s("ev") == "loop");
}

#[test]
fn a_bad_path_at_start_up_is_logged_and_the_server_runs() {
    let dir = util::make_temp_dir();
    fs::write(dir.join("plain"), b"x").unwrap();
    let bad = dir.join("plain").join("t.jsonl");
    let conf =
        format!("trace-events yes\ntrace-events-file {}\n", bad.display());
    let s = Server::start_with_config(&conf, &[]);
    assert_eq!(s.cmd(&["PING"]), Value::SimpleString("PONG".into()));
    assert!(
        s.log().contains("Can't open the trace-events-file"),
        "{}",
        s.log()
    );
    assert_eq!(config_get(&s, "trace-events"), ["trace-events", "no"]);
    let _ = fs::remove_dir_all(dir);
}
