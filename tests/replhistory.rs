//! `INFO replhistory` (issue 12, docs/observing.md section 1): every SYNC
//! or PSYNC a master answers and every sync a replica attempts, with the
//! reason in words. Each reason is caused here by the case that produces
//! it, with oxredis on both sides and with Debian's redis-server 7.0 as
//! the peer: a 7.0 replica of an oxredis master (the master's records) and
//! an oxredis replica of a 7.0 master (the replica's records). `INFO`,
//! `INFO default` and `INFO all` must never show the section.
//!
//! The two "no backlog" reasons cannot come from a real replica (a master
//! without a backlog has changed its replication ID, so no replica can ask
//! for its current one): a raw client that read the ID from INFO asks.
//!
//! No Tcl twin: Redis 5.0.14 has no such section.

mod util;

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use util::fake_master::{rdb_and_digest, FakeMaster};
use util::proxy::{At, Dir, Proxy, Step};
use util::{
    find_binary, free_port, raw, read_reply, send_raw, sync_stream, wait_child,
    wait_for, Server,
};

const SYNC: Duration = Duration::from_secs(30);

/// Which binary plays the peer.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Ours,
    Redis7,
}

fn start(kind: Kind, args: &[&str]) -> Server {
    match kind {
        Kind::Ours => Server::start(args),
        Kind::Redis7 => {
            Server::start_binary(&find_binary("redis-server"), args)
        }
    }
}

/// A master that does not PING its replicas (so offsets only move when the
/// test writes).
fn quiet_master(extra: &[&str]) -> Server {
    let mut args = vec!["--repl-ping-replica-period", "3600"];
    args.extend_from_slice(extra);
    Server::start(&args)
}

fn replica_of(kind: Kind, port: u16) -> Server {
    let p = port.to_string();
    start(kind, &["--replicaof", "127.0.0.1", &p])
}

// ------------------------------ INFO parsing ------------------------------

type Rec = HashMap<String, String>;

struct Hist {
    fields: HashMap<String, String>,
    decisions: Vec<Rec>,
    attempts: Vec<Rec>,
}

fn parse_rec(v: &str) -> Rec {
    let (head, reason) = v.split_once(",reason=").expect("a reason, last");
    let mut r: Rec = head
        .split(',')
        .map(|kv| {
            let (k, v) = kv.split_once('=').expect("k=v");
            (k.to_string(), v.to_string())
        })
        .collect();
    r.insert("reason".into(), reason.to_string());
    r
}

fn hist(s: &Server) -> Hist {
    let text = s.info_text(Some("replhistory"));
    let mut h =
        Hist { fields: HashMap::new(), decisions: vec![], attempts: vec![] };
    for line in text.lines() {
        let Some((k, v)) = line.split_once(':') else { continue };
        if k.starts_with("decision") {
            h.decisions.push(parse_rec(v));
        } else if k.starts_with("attempt") {
            h.attempts.push(parse_rec(v));
        } else {
            h.fields.insert(k.to_string(), v.to_string());
        }
    }
    h
}

fn num(r: &Rec, k: &str) -> i64 {
    r[k].parse().unwrap_or_else(|_| panic!("{k} not a number in {r:?}"))
}

/// Waits for a master record satisfying `pred`, and returns it.
#[track_caller]
fn wait_decision(s: &Server, pred: impl Fn(&Rec) -> bool) -> Rec {
    let mut found = None;
    wait_for(SYNC, || {
        found = hist(s).decisions.into_iter().rev().find(|d| pred(d));
        found.is_some()
    });
    found.unwrap()
}

/// Waits for a replica record satisfying `pred`, and returns it.
#[track_caller]
fn wait_attempt(s: &Server, pred: impl Fn(&Rec) -> bool) -> Rec {
    let mut found = None;
    wait_for(SYNC, || {
        found = hist(s).attempts.into_iter().rev().find(|a| pred(a));
        found.is_some()
    });
    found.unwrap()
}

fn name(s: &Server) -> String {
    format!("127.0.0.1:{}", s.port())
}

fn of(replica: &Server) -> impl Fn(&Rec) -> bool + '_ {
    move |d: &Rec| d["replica"] == name(replica)
}

// ------------------------------ replication ------------------------------

#[track_caller]
fn wait_link_up(replica: &Server) {
    wait_for(SYNC, || replica.info("master_link_status") == "up");
}

fn offset(s: &Server) -> i64 {
    s.info_i64("master_repl_offset")
}

#[track_caller]
fn wait_ofs(master: &Server, replica: &Server) {
    let target = offset(master);
    wait_for(SYNC, || {
        replica.info("master_link_status") == "up" && offset(replica) >= target
    });
}

fn write_bytes(s: &Server, n: usize, tag: &str) {
    let mut con = s.client();
    let v = "x".repeat(1000);
    for i in 0..n {
        let _: () = redis::cmd("SET")
            .arg(format!("{tag}:{i}"))
            .arg(&v)
            .query(&mut con)
            .unwrap();
    }
}

/// A writer thread on `s` until the flag drops; returns how many writes.
fn writer(s: &Server, stop: Arc<AtomicBool>) -> thread::JoinHandle<u64> {
    let mut con = s.client();
    thread::spawn(move || {
        let mut n = 0u64;
        while !stop.load(Ordering::SeqCst) {
            let _: () = redis::cmd("SET")
                .arg(format!("w:{}", n % 500))
                .arg(n)
                .query(&mut con)
                .unwrap();
            let _: i64 =
                redis::cmd("INCR").arg("w:count").query(&mut con).unwrap();
            let _: i64 = redis::cmd("RPUSH")
                .arg("w:list")
                .arg(n)
                .query(&mut con)
                .unwrap();
            n += 1;
        }
        n
    })
}

// ------------------------------ the scenarios ------------------------------

/// First sync (`PSYNC ? -1`) then a killed link and a partial resync, with
/// a writer running through the kill; both data sets end equal.
fn first_sync_then_partial_under_load(kind: Kind) {
    // A backlog large enough for what the writer produces while the link
    // is down.
    let m = Server::start(&["--repl-backlog-size", "256mb"]);
    let r = replica_of(kind, m.port());
    wait_link_up(&r);

    let d = wait_decision(&m, of(&r));
    assert_eq!(d["cmd"], "psync");
    assert_eq!(d["asked_replid"], "?");
    assert_eq!(d["asked_offset"], "-1");
    assert_eq!(d["decision"], "fullresync");
    assert_eq!(d["reason"], "replica asked for a full resync");
    assert_eq!(d["backlog_start"], "-1", "a fresh master has no backlog");
    assert!(m.log().contains(&format!(
        "Sync decision for replica {}: full resync, replica asked for a full resync",
        name(&r)
    )));
    if kind == Kind::Ours {
        let a = wait_attempt(&r, |a| a["result"] == "full");
        assert_eq!(a["reason"], "no cached master: first sync");
        assert_eq!(a["sent"], "psync ? -1");
        assert!(a["reply"].starts_with("fullresync "), "{a:?}");
        assert_eq!(a["master"], name(&m));
        assert!(a["states"].starts_with("CONNECTING:"), "{a:?}");
        assert!(a["states"].contains("/RECEIVE_PSYNC:"), "{a:?}");
        assert!(a["states"].ends_with(|c: char| c.is_ascii_digit()));
        assert!(a["states"].contains("/TRANSFER:"), "{a:?}");
        assert!(num(&a, "transfer_bytes") > 0, "{a:?}");
        assert!(r.log().contains(&format!(
            "Sync attempt with master {}: full sync, no cached master: first sync",
            name(&m)
        )));
    }

    let stop = Arc::new(AtomicBool::new(false));
    let w = writer(&m, stop.clone());
    wait_for(SYNC, || offset(&r) > 1000);
    m.cmd(&["CLIENT", "KILL", "TYPE", "slave"]);
    let d = wait_decision(&m, |d| of(&r)(d) && d["decision"] == "continue");
    wait_for(SYNC, || offset(&r) > num(&d, "asked_offset") + 1000);
    // The cron samples the offset once a second: with the writer still
    // running, two samples see it grow.
    wait_for(SYNC, || hist(&m).fields["backlog_hint_write_rate"] != "0");
    stop.store(true, Ordering::SeqCst);
    assert!(w.join().unwrap() > 0);
    wait_ofs(&m, &r);
    assert_eq!(m.digest(), r.digest());
    assert_ne!(m.digest(), "0000000000000000000000000000000000000000");

    let asked = num(&d, "asked_offset");
    assert_eq!(d["asked_replid"], d["replid"]);
    assert!(
        num(&d, "backlog_start") <= asked && asked <= num(&d, "backlog_end")
    );
    assert!(
        d["reason"]
            .starts_with(&format!("offset {asked} is inside the backlog (")),
        "{d:?}"
    );
    assert!(m.log().contains(&format!(
        "Sync decision for replica {}: partial resync, offset {asked} is inside the backlog",
        name(&r)
    )));
    let h = hist(&m);
    assert_eq!(h.fields["sync_decisions"], "2");
    assert!(h.fields["backlog_hint_longest_gap"].parse::<i64>().unwrap() >= 0);
    if kind == Kind::Ours {
        let a = wait_attempt(&r, |a| a["result"] == "partial");
        assert_eq!(
            a["reason"],
            format!("master accepted replid {} at offset {asked}", d["replid"])
        );
        assert_eq!(a["sent"], format!("psync {} {asked}", d["replid"]));
        assert_eq!(a["reply"], format!("continue {}", d["replid"]));
        assert_eq!(a["transfer_bytes"], "0");
        assert!(!a["states"].contains("TRANSFER"), "{a:?}");
        assert_eq!(hist(&r).fields["sync_attempts"], "2");
    }
}

#[test]
fn first_sync_and_partial_resync_under_load_oxredis_replica() {
    first_sync_then_partial_under_load(Kind::Ours);
}

#[test]
fn first_sync_and_partial_resync_under_load_redis7_replica() {
    first_sync_then_partial_under_load(Kind::Redis7);
}

/// A server with history of its own that becomes a replica asks with its
/// own replication ID, which the master never had.
fn replid_unknown(kind: Kind) {
    let m = Server::start(&[]);
    m.cmd(&["SET", "k", "v"]);
    let r = start(kind, &[]);
    r.cmd(&["SET", "mine", "1"]);
    let own = r.info("master_replid");
    r.cmd(&["REPLICAOF", "127.0.0.1", &m.port_str()]);
    let d = wait_decision(&m, of(&r));
    assert_eq!(d["asked_replid"], own);
    assert_eq!(d["decision"], "fullresync");
    assert_eq!(
        d["reason"],
        "replid unknown: neither the current nor the previous id"
    );
    wait_link_up(&r);
    if kind == Kind::Ours {
        let a = wait_attempt(&r, |a| a["result"] == "full");
        assert_eq!(
            a["reason"],
            format!(
                "master answered FULLRESYNC: it did not accept replid {own} at offset {}",
                d["asked_offset"]
            )
        );
    }
}

#[test]
fn replid_unknown_oxredis_replica() {
    replid_unknown(Kind::Ours);
}

#[test]
fn replid_unknown_redis7_replica() {
    replid_unknown(Kind::Redis7);
}

/// A promoted replica knows its old master's ID only up to the offset it
/// had; a sibling that got further asks past it.
fn replid2_past_second_offset(kind: Kind) {
    let a = quiet_master(&[]);
    let b = replica_of(Kind::Ours, a.port());
    let c = replica_of(kind, a.port());
    write_bytes(&a, 10, "one");
    wait_ofs(&a, &b);
    wait_ofs(&a, &c);
    let a_id = a.info("master_replid");
    b.cmd(&["REPLICAOF", "NO", "ONE"]);
    let second = b.info_i64("second_repl_offset");
    write_bytes(&a, 10, "two");
    wait_ofs(&a, &c);
    let c_off = offset(&c);
    assert!(c_off + 1 > second);
    c.cmd(&["REPLICAOF", "127.0.0.1", &b.port_str()]);
    let d = wait_decision(&b, of(&c));
    assert_eq!(d["asked_replid"], a_id);
    assert_eq!(d["replid2"], a_id);
    assert_eq!(num(&d, "replid2_until"), second);
    assert_eq!(d["decision"], "fullresync");
    assert_eq!(
        d["reason"],
        format!(
            "replid2 known but offset {} is {} bytes past second_replid_offset {second}",
            c_off + 1,
            c_off + 1 - second
        )
    );
    wait_link_up(&c);
    if kind == Kind::Ours {
        let at = wait_attempt(&c, |x| {
            x["master"] == name(&b) && x["result"] == "full"
        });
        assert_eq!(
            at["reason"],
            format!(
                "master answered FULLRESYNC: it did not accept replid {a_id} at offset {}",
                c_off + 1
            )
        );
    }
}

#[test]
fn replid2_past_second_replid_offset_oxredis_replica() {
    replid2_past_second_offset(Kind::Ours);
}

#[test]
fn replid2_past_second_replid_offset_redis7_replica() {
    replid2_past_second_offset(Kind::Redis7);
}

/// The replica's link stalls while the master writes more than its 16 KiB
/// backlog holds; when the link is cut the replica asks for an offset the
/// backlog has overwritten. The hint is at least the exact need.
fn before_backlog_start(kind: Kind) {
    let m = quiet_master(&["--repl-backlog-size", "16384"]);
    let p = Proxy::start(m.addr());
    let r = replica_of(kind, p.port());
    write_bytes(&m, 5, "pre");
    wait_ofs(&m, &r);
    let r_off = offset(&r);
    p.stall(Dir::Down);
    write_bytes(&m, 100, "gap");
    p.cut_all();
    p.resume();
    let d = wait_decision(&m, |d| {
        of(&r)(d) && d["cmd"] == "psync" && d["asked_replid"] != "?"
    });
    let (start, end) = (num(&d, "backlog_start"), num(&d, "backlog_end"));
    // A write may still pass the proxy as it stalls: the offset asked is
    // the replica's, at least where it was before the stall.
    let o = num(&d, "asked_offset");
    assert!(o > r_off, "{d:?} (replica was at {r_off})");
    assert_eq!(d["decision"], "fullresync");
    assert_eq!(
        d["reason"],
        format!(
            "offset {o} is {} bytes before the backlog's start (backlog holds {start}..{end}; a repl-backlog-size of {} would have kept it)",
            start - o,
            end - o
        )
    );
    assert!(start - o > 80_000, "{d:?}");
    assert!(m.log().contains(&format!(
        "Sync decision for replica {}: full resync, offset {o} is {} bytes before the backlog's start",
        name(&r),
        start - o
    )));
    let hint = hist(&m).fields["backlog_size_hint"].parse::<i64>().unwrap();
    assert!(hint >= end - o, "hint {hint} < need {}", end - o);
    assert_eq!(hint % 16384, 0);
    wait_ofs(&m, &r);
    assert_eq!(m.digest(), r.digest());
    if kind == Kind::Ours {
        let a = wait_attempt(&r, |a| {
            a["sent"] != "psync ? -1" && a["result"] == "full"
        });
        assert_eq!(
            a["reason"],
            format!(
                "master answered FULLRESYNC: it did not accept replid {} at offset {o}",
                d["replid"]
            )
        );
    }
}

#[test]
fn offset_before_backlog_start_oxredis_replica() {
    before_backlog_start(Kind::Ours);
}

#[test]
fn offset_before_backlog_start_redis7_replica() {
    before_backlog_start(Kind::Redis7);
}

/// A replica that got further than the one it switches to asks for an
/// offset past that one's backlog.
fn after_backlog_end(kind: Kind) {
    let x = quiet_master(&[]);
    let p = Proxy::start(x.addr());
    let a = Server::start(&["--replicaof", "127.0.0.1", &p.port_str()]);
    let r = replica_of(kind, x.port());
    write_bytes(&x, 5, "pre");
    wait_ofs(&x, &a);
    wait_ofs(&x, &r);
    p.stall(Dir::Down);
    write_bytes(&x, 5, "more");
    wait_ofs(&x, &r);
    let a_off = offset(&a);
    let r_off = offset(&r);
    assert!(r_off > a_off);
    r.cmd(&["REPLICAOF", "127.0.0.1", &a.port_str()]);
    let d = wait_decision(&a, of(&r));
    let start = num(&d, "backlog_start");
    assert_eq!(num(&d, "backlog_end"), a_off + 1);
    assert_eq!(d["asked_replid"], x.info("master_replid"));
    assert_eq!(d["decision"], "fullresync");
    assert_eq!(
        d["reason"],
        format!(
            "offset {} is {} bytes after the backlog's end (backlog holds {start}..{})",
            r_off + 1,
            r_off - a_off,
            a_off + 1
        )
    );
    p.resume();
}

#[test]
fn offset_after_backlog_end_oxredis_replica() {
    after_backlog_end(Kind::Ours);
}

#[test]
fn offset_after_backlog_end_redis7_replica() {
    after_backlog_end(Kind::Redis7);
}

/// The replica stays away (its proxy points nowhere) until the master
/// frees its backlog after repl-backlog-ttl, which changes the master's
/// ID: the replica's ID is then unknown, and the reason says why. The gap
/// between the link loss and the next PSYNC is measured.
fn ttl_freed(kind: Kind) {
    let m = quiet_master(&[]);
    let p = Proxy::start(m.addr());
    let r = replica_of(kind, p.port());
    write_bytes(&m, 3, "pre");
    wait_ofs(&m, &r);
    let old = m.info("master_replid");
    m.cmd(&["CONFIG", "SET", "repl-backlog-ttl", "1"]);
    let dead = std::net::SocketAddr::from(([127, 0, 0, 1], free_port()));
    p.set_target(dead);
    p.cut_all();
    wait_for(SYNC, || m.info("repl_backlog_active") == "0");
    assert!(m.log().contains("Replication backlog freed after 1 seconds"));
    if kind == Kind::Ours {
        let a = wait_attempt(&r, |a| a["result"] == "failed");
        assert!(!a["reason"].is_empty() && a["reason"] != "unknown", "{a:?}");
    }
    p.set_target(m.addr());
    let d = wait_decision(&m, |d| of(&r)(d) && d["asked_replid"] == old);
    assert_eq!(d["decision"], "fullresync");
    assert_eq!(
        d["reason"],
        "replid unknown: neither the current nor the previous id (it was this master's id until the backlog was freed after repl-backlog-ttl)"
    );
    let gap =
        hist(&m).fields["backlog_hint_longest_gap"].parse::<i64>().unwrap();
    assert!(gap > 1000, "the backlog was freed after > 1 s away: {gap}");
    wait_link_up(&r);
}

#[test]
fn replid_changed_by_ttl_free_oxredis_replica() {
    ttl_freed(Kind::Ours);
}

#[test]
fn replid_changed_by_ttl_free_redis7_replica() {
    ttl_freed(Kind::Redis7);
}

/// SYNC from a raw client and from redis-cli 7.0's --replica.
#[test]
fn replica_sent_sync() {
    let m = Server::start(&[]);
    m.cmd(&["SET", "k", "v"]);
    let _s = sync_stream(&m);
    let d = wait_decision(&m, |d| d["cmd"] == "sync");
    assert_eq!(d["asked_replid"], "-");
    assert_eq!(d["asked_offset"], "-1");
    assert_eq!(d["decision"], "fullresync");
    assert_eq!(d["reason"], "replica sent SYNC");

    let mut cli = Command::new(find_binary("redis-cli"))
        .args(["-h", "127.0.0.1", "-p", &m.port_str(), "--replica"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn redis-cli --replica");
    wait_for(SYNC, || {
        hist(&m).decisions.iter().filter(|d| d["cmd"] == "sync").count() == 2
    });
    cli.kill().expect("kill redis-cli");
    assert!(wait_child(&mut cli, Duration::from_secs(10)).is_some());
    let h = hist(&m);
    let d = h.decisions.last().unwrap();
    assert_eq!(d["reason"], "replica sent SYNC");
    assert_eq!(h.fields["sync_decisions"], "2");
    assert_eq!(
        m.log().matches("Sync decision for replica ").count(),
        2,
        "one extra log line per decision"
    );
}

/// The two "no backlog" reasons: asked by a raw client that read the
/// current ID (no real replica can know it, see the file's doc).
#[test]
fn no_backlog_never_created_then_freed_after_ttl() {
    let m = Server::start(&["--repl-backlog-ttl", "1"]);
    let psync = |replid: &str| {
        let mut s = raw(m.port());
        send_raw(&mut s, format!("PSYNC {replid} 1\r\n").as_bytes());
        let mut line = read_reply(&mut s);
        while line.first() == Some(&b'\n') {
            line.remove(0);
        }
        assert!(
            line.starts_with(b"+FULLRESYNC"),
            "{:?}",
            String::from_utf8_lossy(&line)
        );
        s
    };
    let id = m.info("master_replid");
    let s = psync(&id);
    let d = wait_decision(&m, |d| d["asked_replid"] == id);
    assert_eq!(d["reason"], "no backlog: never created");
    assert_eq!(d["backlog_start"], "-1");
    assert_eq!(d["backlog_end"], "-1");
    wait_for(SYNC, || m.info("repl_backlog_active") == "1");
    drop(s);
    wait_for(SYNC, || m.info("connected_slaves") == "0");
    wait_for(SYNC, || m.info("repl_backlog_active") == "0");
    let id2 = m.info("master_replid");
    let _s2 = psync(&id2);
    let d = wait_decision(&m, |d| d["asked_replid"] == id2);
    assert_eq!(
        d["reason"],
        "no backlog: freed after repl-backlog-ttl (1 s without replicas)"
    );
}

// ------------------------- oxredis replica of 7.0 -------------------------

/// First sync from a 7.0 master, a killed link and a partial resync under
/// load, then a cut in the middle of the payload (a failed attempt), and
/// a replica with history of its own being refused its ID.
#[test]
fn oxredis_replica_of_redis7_master() {
    let m = start(
        Kind::Redis7,
        &["--repl-ping-replica-period", "3600", "--repl-backlog-size", "256mb"],
    );
    m.cmd(&["DEBUG", "POPULATE", "50000"]);
    let r = replica_of(Kind::Ours, m.port());
    wait_link_up(&r);
    let a = wait_attempt(&r, |a| a["result"] == "full");
    let m_id = m.info("master_replid");
    assert_eq!(a["reason"], "no cached master: first sync");
    assert_eq!(a["sent"], "psync ? -1");
    assert!(a["reply"].starts_with(&format!("fullresync {m_id} ")), "{a:?}");
    assert!(num(&a, "transfer_bytes") > 100_000, "{a:?}");

    let stop = Arc::new(AtomicBool::new(false));
    let w = writer(&m, stop.clone());
    wait_for(SYNC, || offset(&r) > 1000);
    r.cmd(&["CLIENT", "KILL", "TYPE", "master"]);
    let a = wait_attempt(&r, |a| a["result"] == "partial");
    wait_for(SYNC, || offset(&r) > 5000);
    stop.store(true, Ordering::SeqCst);
    w.join().unwrap();
    wait_ofs(&m, &r);
    assert_eq!(m.digest(), r.digest());
    let asked = a["sent"].rsplit(' ').next().unwrap().to_string();
    assert_eq!(a["sent"], format!("psync {m_id} {asked}"));
    assert_eq!(
        a["reason"],
        format!("master accepted replid {m_id} at offset {asked}")
    );
    assert_eq!(a["reply"], format!("continue {m_id}"));

    // A cut in the middle of the RDB: a failed attempt, then a full one.
    let p = Proxy::start(m.addr());
    p.cut_at(At::After(Step::MidPayload));
    let r2 = replica_of(Kind::Ours, p.port());
    let f = wait_attempt(&r2, |a| a["result"] == "failed");
    assert!(f["reason"].starts_with("I/O error after "), "{f:?}");
    assert!(f["states"].contains("TRANSFER:"), "{f:?}");
    wait_link_up(&r2);
    wait_attempt(&r2, |a| a["result"] == "full");
    assert!(r2.log().contains(&format!(
        "Sync attempt with master 127.0.0.1:{}: failed, I/O error after ",
        p.port()
    )));

    // Our own history is not the 7.0 master's.
    let r3 = Server::start(&[]);
    r3.cmd(&["SET", "mine", "1"]);
    let own = r3.info("master_replid");
    r3.cmd(&["REPLICAOF", "127.0.0.1", &m.port_str()]);
    wait_link_up(&r3);
    let a = wait_attempt(&r3, |a| a["result"] == "full");
    assert_eq!(
        a["reason"],
        format!("master answered FULLRESYNC: it did not accept replid {own} at offset 1")
    );
}

// ------------------------------ INFO unchanged ------------------------------

/// The `key` names of an INFO text, minus those that depend on the state
/// and not on the feature (replicas, keyspaces, command counts).
fn keys(info: &str) -> Vec<String> {
    info.lines()
        .filter_map(|l| l.split_once(':').map(|(k, _)| k.to_string()))
        .filter(|k| {
            let digits = |p: &str| {
                k.strip_prefix(p).is_some_and(|n| {
                    !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
                })
            };
            !digits("slave") && !digits("db") && !k.starts_with("cmdstat_")
        })
        .collect()
}

#[test]
fn info_and_info_all_never_show_replhistory() {
    let fresh = Server::start(&[]);
    assert_eq!(
        fresh.info_text(Some("replhistory")),
        "# Replhistory\r\nsync_decisions:0\r\nsync_attempts:0\r\nbacklog_size_hint:0\r\nbacklog_hint_write_rate:0\r\nbacklog_hint_longest_gap:0\r\n"
    );
    assert_eq!(
        fresh.info_text(Some("REPLHISTORY")),
        fresh.info_text(Some("replhistory"))
    );

    // Exercise it: a replica, a full sync, a killed link, a partial one.
    let m = Server::start(&[]);
    let r = replica_of(Kind::Ours, m.port());
    wait_link_up(&r);
    m.cmd(&["SET", "k", "v"]);
    m.cmd(&["CLIENT", "KILL", "TYPE", "slave"]);
    wait_decision(&m, |d| d["decision"] == "continue");
    wait_attempt(&r, |a| a["result"] == "partial");

    for s in [&fresh, &m, &r] {
        for section in [None, Some("default"), Some("all"), Some("everything")]
        {
            let text = s.info_text(section);
            assert!(!text.contains("Replhistory"), "{section:?}");
            assert!(!text.contains("sync_decisions"), "{section:?}");
            assert!(!text.contains("decision0"), "{section:?}");
            assert!(!text.contains("attempt0"), "{section:?}");
        }
    }
    // The field lists: the exercised master against the fresh server,
    // byte-compared, for INFO, INFO default and INFO all.
    for section in [None, Some("default"), Some("all")] {
        assert_eq!(
            keys(&m.info_text(section)).join("\n"),
            keys(&fresh.info_text(section)).join("\n"),
            "{section:?}"
        );
    }
    assert_eq!(keys(&m.info_text(None)), keys(&m.info_text(Some("default"))));
    assert!(m.info_text(Some("all")).contains("slave0:"));
}

// ------------------------- a scripted master -------------------------

/// The replica's records for a master that cannot PSYNC now (-LOADING: a
/// failed attempt) and one that does not know PSYNC (-ERR: the fall back
/// to SYNC, a full sync), played by the fake master of tests/util.
#[test]
fn replica_records_psync_refusals() {
    let (rdb, want) =
        rdb_and_digest(&[&["SET", "a", "1"], &["RPUSH", "l", "x", "y"]]);
    let fm = FakeMaster::start();
    let r = Server::start(&["--replicaof", "127.0.0.1", &fm.port_str()]);

    let (mut link, psync) = fm.accept_handshake();
    assert_eq!(psync, ["PSYNC", "?", "-1"]);
    link.send(b"-LOADING Redis is loading the dataset in memory\r\n");
    let a = wait_attempt(&r, |a| a["result"] == "failed");
    assert_eq!(a["sent"], "psync ? -1");
    assert_eq!(a["reply"], "-LOADING Redis is loading the dataset in memory");
    assert_eq!(
        a["reason"],
        "master cannot PSYNC now (will retry): -LOADING Redis is loading the dataset in memory"
    );
    assert!(a["states"].ends_with(|c: char| c.is_ascii_digit()));
    assert!(a["states"].contains("/RECEIVE_PSYNC:"), "{a:?}");
    assert!(r.log().contains(&format!(
        "Sync attempt with master 127.0.0.1:{}: failed, master cannot PSYNC now",
        fm.port()
    )));
    drop(link);

    let (mut link, psync) = fm.accept_handshake();
    assert_eq!(psync, ["PSYNC", "?", "-1"]);
    link.send(b"-ERR unknown command 'PSYNC'\r\n");
    link.expect("SYNC");
    link.send_rdb(&rdb);
    wait_link_up(&r);
    let a = wait_attempt(&r, |a| a["result"] == "full");
    assert_eq!(a["sent"], "psync ? -1 then sync");
    assert_eq!(a["reply"], "-ERR unknown command 'PSYNC'");
    assert_eq!(
        a["reason"],
        "master does not support PSYNC or is in error state: fell back to SYNC"
    );
    assert_eq!(num(&a, "transfer_bytes"), rdb.len() as i64);
    assert_eq!(r.digest(), want);
    let h = hist(&r);
    assert_eq!(h.fields["sync_attempts"], "2");
    assert_eq!(h.fields["sync_decisions"], "0");
    assert_eq!(h.attempts.len(), 2);
    drop(link);
}
