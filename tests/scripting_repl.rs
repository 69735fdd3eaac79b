//! Script replication as Redis 5.0.14 does it: the replication script
//! cache (replication.c), EVALSHA propagated as EVAL (or SCRIPT LOAD) the
//! first time and as EVALSHA once every replica has the script, SCRIPT
//! LOAD and SCRIPT FLUSH propagated (scripting.c), and the scripts saved
//! as `lua` aux fields of an RDB with replication info and created again
//! when it is loaded (rdb.c).
//!
//! The two replication modes: effects replication (5.0.14's default,
//! `lua_always_replicate_commands` 1: the script's writes in MULTI/EXEC)
//! and script replication (`DEBUG lua-always-replicate-commands 0`: the
//! EVAL/EVALSHA itself).
//!
//! Real peers: Debian's redis-server 7.0 as replica and as master, and,
//! if `REDIS_C_SERVER` names a real Redis 5.0.14 `redis-server` (or
//! `REDIS_SRC` a built 5.0.14 tree), 5.0.14 as master on the wire (the
//! propagated commands must be the same, command for command), as
//! restarted replica and as the loader of our RDB.

mod util;

use std::io::Read;
use std::net::TcpStream;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use util::{
    c_server, encode_command, find_binary, raw, read_reply, send_raw, wait_for,
    wait_for_ofs_sync, Conn, Reply, Rng, Server,
};

const SYNC_TIMEOUT: Duration = Duration::from_secs(30);

fn sha1hex(body: &str) -> String {
    use sha1_smol::Sha1;
    Sha1::from(body.as_bytes()).digest().to_string()
}

/// Sets the replication mode of scripts on `s` (DEBUG
/// lua-always-replicate-commands: 1 effects, 0 the script).
fn set_script_mode(s: &Server, effects: bool) {
    let mut c = Conn::new(s);
    let v = if effects { "1" } else { "0" };
    assert_eq!(
        c.raw(&["DEBUG", "lua-always-replicate-commands", v]),
        "+OK\r\n"
    );
}

#[track_caller]
fn assert_same_digest(servers: &[&Server]) {
    let want = servers[0].digest();
    assert_ne!(
        want, "0000000000000000000000000000000000000000",
        "empty data set"
    );
    for s in &servers[1..] {
        // 7.0 logs the errors a replica would send its master: NOSCRIPT
        // is an EVALSHA of a script it does not have.
        let log = s.log();
        assert!(!log.contains("NOSCRIPT"), "port {}:\n{log}", s.port());
        assert_eq!(
            s.digest(),
            want,
            "DEBUG DIGEST of {} (port {}) differs from the master's\n----- log -----\n{}",
            s.binary().display(),
            s.port(),
            s.log()
        );
    }
}

fn start_replica(bin: &Path, master: &Server, extra: &[&str]) -> Server {
    let port = master.port_str();
    let mut args = vec!["--replicaof", "127.0.0.1", port.as_str()];
    args.extend_from_slice(extra);
    Server::start_binary(bin, &args)
}

// ------------------------------ a raw replica ------------------------------

/// A replica on a raw socket: PSYNC, the RDB skipped, then the command
/// stream read one command at a time, with the replication offset it
/// reached (for a partial resync on a new connection).
struct Wire {
    s: TcpStream,
    replid: String,
    offset: i64,
}

impl Wire {
    /// Reads one "+..." line, after any bare "\n" keep-alives.
    fn line(s: &mut TcpStream) -> String {
        let mut line = Vec::new();
        let mut b = [0u8; 1];
        while !line.ends_with(b"\r\n") {
            s.read_exact(&mut b).expect("read");
            if line.is_empty() && b[0] == b'\n' {
                continue;
            }
            line.push(b[0]);
        }
        String::from_utf8_lossy(&line[..line.len() - 2]).into_owned()
    }

    /// `PSYNC ? -1`: a full resync.
    #[track_caller]
    fn full(master: &Server) -> Wire {
        let mut s = raw(master.port());
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        send_raw(&mut s, b"PSYNC ? -1\r\n");
        let reply = Wire::line(&mut s);
        let parts: Vec<&str> = reply.split(' ').collect();
        assert_eq!(parts[0], "+FULLRESYNC", "{reply}");
        let replid = parts[1].to_string();
        let offset: i64 = parts[2].parse().unwrap();
        let bulk = Wire::line(&mut s);
        let len: usize = bulk[1..].parse().expect("bulk length");
        let mut rdb = vec![0u8; len];
        s.read_exact(&mut rdb).expect("rdb");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        Wire { s, replid, offset }
    }

    /// `PSYNC <replid> <offset+1>`: must be accepted (+CONTINUE).
    #[track_caller]
    fn partial(master: &Server, replid: &str, offset: i64) -> Wire {
        let mut s = raw(master.port());
        let cmd = format!("PSYNC {} {}\r\n", replid, offset + 1);
        send_raw(&mut s, cmd.as_bytes());
        let reply = Wire::line(&mut s);
        assert!(reply.starts_with("+CONTINUE"), "{reply}");
        Wire { s, replid: replid.to_string(), offset }
    }

    /// The next command in the stream.
    fn next(&mut self) -> Vec<String> {
        let bytes = read_reply(&mut self.s);
        self.offset += bytes.len() as i64;
        Reply::parse(&bytes).0.bulks()
    }

    /// Every command up to the `SET __marker__ <n>` written after them,
    /// PINGs and SELECTs left out, shown with `show`.
    fn until_marker(&mut self, n: u32, names: &Names) -> Vec<String> {
        let mut out = Vec::new();
        loop {
            let cmd = self.next();
            let c0 = cmd[0].to_ascii_lowercase();
            if c0 == "ping" || c0 == "select" {
                continue;
            }
            if c0 == "set" && cmd[1] == "__marker__" {
                assert_eq!(cmd[2], n.to_string());
                return out;
            }
            out.push(names.show(&cmd));
        }
    }
}

/// Script bodies and SHA1s by name, to show a propagated command short:
/// `EVAL <A> 1 x`, `EVALSHA sha(A) 1 x`.
struct Names(Vec<(&'static str, String)>);

impl Names {
    fn show(&self, cmd: &[String]) -> String {
        cmd.iter()
            .map(|a| {
                for (name, body) in &self.0 {
                    if a == body {
                        return format!("<{name}>");
                    }
                    let sha = sha1hex(body);
                    if *a == sha {
                        return format!("sha({name})");
                    }
                    if *a == sha.to_ascii_uppercase() {
                        return format!("SHA({name})");
                    }
                }
                a.clone()
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

const A: &str = "return redis.call('incr',KEYS[1])";
const R: &str = "return redis.call('get',KEYS[1])";
const B: &str = "return redis.call('incrby',KEYS[1],2)";
const C: &str =
    "redis.call('incr',KEYS[1]); return redis.call('nosuchcommand')";

/// Runs the wire scenario on `master` (fresh, in the given mode) and
/// returns what the raw replicas saw, one line per command, with the
/// section and replica in front.
fn wire_scenario(master: &Server, effects: bool) -> Vec<String> {
    set_script_mode(master, effects);
    let names = Names(vec![
        ("A", A.into()),
        ("R", R.into()),
        ("B", B.into()),
        ("C", C.into()),
    ]);
    let (sha_a, sha_r, sha_b, sha_c) =
        (sha1hex(A), sha1hex(R), sha1hex(B), sha1hex(C));
    let sha_a_upper = sha_a.to_ascii_uppercase();
    let mut m = Conn::new(master);
    let mut out = Vec::new();
    let mut marker = 0;
    let mut mark = |m: &mut Conn,
                    wires: &mut [(&str, &mut Wire)],
                    out: &mut Vec<String>| {
        marker += 1;
        assert_eq!(
            m.raw(&["SET", "__marker__", &marker.to_string()]),
            "+OK\r\n"
        );
        for (name, w) in wires.iter_mut() {
            out.push(format!("-- {marker} {name}"));
            out.extend(w.until_marker(marker, &names));
        }
    };

    // 1: one replica, after its full sync.
    let mut w1 = Wire::full(master);
    m.s(&["SCRIPT", "LOAD", A]);
    m.int(&["EVALSHA", &sha_a, "1", "x"]); // not in the cache: EVAL
    m.int(&["EVALSHA", &sha_a, "1", "x"]); // now it is: EVALSHA
    m.int(&["EVALSHA", &sha_a_upper, "1", "y"]); // the cache ignores case
    m.s(&["SCRIPT", "LOAD", R]);
    m.s(&["EVALSHA", &sha_r, "1", "x"]); // no write: SCRIPT LOAD
    m.s(&["EVALSHA", &sha_r, "1", "x"]); // cached, no write: nothing
    m.int(&["EVAL", B, "1", "z"]); // EVAL does not fill the cache
    m.int(&["EVALSHA", &sha_b, "1", "z"]);
    m.int(&["EVALSHA", &sha_b, "1", "z"]);
    m.s(&["SCRIPT", "LOAD", C]);
    let e = m.r(&["EVALSHA", &sha_c, "1", "w"]); // wrote, then failed
    assert!(matches!(e, Reply::Err(_)), "{e:?}");
    mark(&mut m, &mut [("w1", &mut w1)], &mut out);

    // 2: a second replica's full sync flushes the cache.
    let mut w2 = Wire::full(master);
    m.int(&["EVALSHA", &sha_a_upper, "1", "x"]);
    m.int(&["EVALSHA", &sha_a, "1", "x"]);
    mark(&mut m, &mut [("w1", &mut w1), ("w2", &mut w2)], &mut out);

    // 3: SCRIPT FLUSH is propagated and flushes the cache.
    assert_eq!(m.raw(&["SCRIPT", "FLUSH"]), "+OK\r\n");
    let e = m.r(&["EVALSHA", &sha_a, "1", "x"]);
    assert!(
        matches!(e, Reply::Err(ref s) if s.starts_with("NOSCRIPT")),
        "{e:?}"
    );
    m.s(&["SCRIPT", "LOAD", A]);
    m.int(&["EVALSHA", &sha_a, "1", "x"]);
    m.int(&["EVALSHA", &sha_a, "1", "x"]);
    mark(&mut m, &mut [("w1", &mut w1), ("w2", &mut w2)], &mut out);

    // 4: a partial resync does not flush the cache (w2 stays attached, so
    // the master never has zero replicas).
    let (replid, offset) = (w1.replid.clone(), w1.offset);
    drop(w1);
    wait_for(SYNC_TIMEOUT, || master.info("connected_slaves") == "1");
    let mut w1 = Wire::partial(master, &replid, offset);
    m.int(&["EVALSHA", &sha_a, "1", "x"]);
    mark(&mut m, &mut [("w1", &mut w1), ("w2", &mut w2)], &mut out);

    // 5: left without replicas, the replication cron flushes the cache
    // (AOF off) within a second.
    let (replid, offset) = (w1.replid.clone(), w1.offset);
    drop(w1);
    drop(w2);
    wait_for(SYNC_TIMEOUT, || master.info("connected_slaves") == "0");
    thread::sleep(Duration::from_millis(2500));
    let mut w1 = Wire::partial(master, &replid, offset);
    m.int(&["EVALSHA", &sha_a, "1", "x"]);
    m.int(&["EVALSHA", &sha_a, "1", "x"]);
    mark(&mut m, &mut [("w1", &mut w1)], &mut out);
    out
}

/// What 5.0.14 propagates in script replication mode (checked against
/// the real 5.0.14 when REDIS_C_SERVER or REDIS_SRC is set).
const SCRIPT_MODE_WIRE: &[&str] = &[
    "-- 1 w1",
    "SCRIPT LOAD <A>",
    "EVAL <A> 1 x",
    "EVALSHA sha(A) 1 x",
    "EVALSHA SHA(A) 1 y",
    "SCRIPT LOAD <R>",
    "SCRIPT LOAD <R>",
    "EVAL <B> 1 z",
    "EVAL <B> 1 z",
    "EVALSHA sha(B) 1 z",
    "SCRIPT LOAD <C>",
    "EVAL <C> 1 w",
    "-- 2 w1",
    "EVAL <A> 1 x",
    "EVALSHA sha(A) 1 x",
    "-- 2 w2",
    "EVAL <A> 1 x",
    "EVALSHA sha(A) 1 x",
    "-- 3 w1",
    "SCRIPT FLUSH",
    "SCRIPT LOAD <A>",
    "EVAL <A> 1 x",
    "EVALSHA sha(A) 1 x",
    "-- 3 w2",
    "SCRIPT FLUSH",
    "SCRIPT LOAD <A>",
    "EVAL <A> 1 x",
    "EVALSHA sha(A) 1 x",
    "-- 4 w1",
    "EVALSHA sha(A) 1 x",
    "-- 4 w2",
    "EVALSHA sha(A) 1 x",
    "-- 5 w1",
    "EVAL <A> 1 x",
    "EVALSHA sha(A) 1 x",
];

/// The same scenario with effects replication: only the writes, in
/// MULTI/EXEC, and SCRIPT LOAD / SCRIPT FLUSH.
const EFFECTS_MODE_WIRE: &[&str] = &[
    "-- 1 w1",
    "SCRIPT LOAD <A>",
    "MULTI",
    "incr x",
    "EXEC",
    "MULTI",
    "incr x",
    "EXEC",
    "MULTI",
    "incr y",
    "EXEC",
    "SCRIPT LOAD <R>",
    "MULTI",
    "incrby z 2",
    "EXEC",
    "MULTI",
    "incrby z 2",
    "EXEC",
    "MULTI",
    "incrby z 2",
    "EXEC",
    "SCRIPT LOAD <C>",
    "MULTI",
    "incr w",
    "EXEC",
    "-- 2 w1",
    "MULTI",
    "incr x",
    "EXEC",
    "MULTI",
    "incr x",
    "EXEC",
    "-- 2 w2",
    "MULTI",
    "incr x",
    "EXEC",
    "MULTI",
    "incr x",
    "EXEC",
    "-- 3 w1",
    "SCRIPT FLUSH",
    "SCRIPT LOAD <A>",
    "MULTI",
    "incr x",
    "EXEC",
    "MULTI",
    "incr x",
    "EXEC",
    "-- 3 w2",
    "SCRIPT FLUSH",
    "SCRIPT LOAD <A>",
    "MULTI",
    "incr x",
    "EXEC",
    "MULTI",
    "incr x",
    "EXEC",
    "-- 4 w1",
    "MULTI",
    "incr x",
    "EXEC",
    "-- 4 w2",
    "MULTI",
    "incr x",
    "EXEC",
    "-- 5 w1",
    "MULTI",
    "incr x",
    "EXEC",
    "MULTI",
    "incr x",
    "EXEC",
];

fn check_wire(effects: bool) {
    let want = if effects { EFFECTS_MODE_WIRE } else { SCRIPT_MODE_WIRE };
    let ours = Server::start(&[]);
    let got = wire_scenario(&ours, effects);
    assert_eq!(got, want, "oxredis master");
    match c_server() {
        Some(bin) => {
            let real = Server::start_binary(&bin, &[]);
            let got = wire_scenario(&real, effects);
            assert_eq!(got, want, "Redis 5.0.14 master");
        }
        None => eprintln!(
            "REDIS_C_SERVER / REDIS_SRC not set: the same stream from Redis 5.0.14 was not compared"
        ),
    }
}

#[test]
fn evalsha_is_propagated_as_eval_until_every_replica_has_the_script() {
    check_wire(false);
}

#[test]
fn effects_replication_propagates_the_writes_and_script_load_flush() {
    check_wire(true);
}

// --------------------------- real replicas ---------------------------

/// Scripts for the workloads: deterministic writes over several types,
/// one read-only, one that fails after writing, one that catches an
/// error. KEYS: a counter, a list, a hash, a zset; ARGV: a value.
const WORK: &[&str] = &[
    "redis.call('incr',KEYS[1]); redis.call('rpush',KEYS[2],ARGV[1]); return redis.call('hincrby',KEYS[3],ARGV[1],1)",
    "redis.call('zincrby',KEYS[4],1,ARGV[1]); redis.call('set','last:'..KEYS[1],ARGV[1]); return 1",
    "return redis.call('llen',KEYS[2])",
    "redis.call('incrby',KEYS[1],10); return redis.call('nosuchcommand')",
    "local r = redis.pcall('incr',KEYS[3]); redis.call('sadd','errs',type(r)); return 0",
    "redis.call('lpop',KEYS[2]); redis.call('hdel',KEYS[3],ARGV[1]); return redis.call('exists',KEYS[2])",
];

/// One script run: EVAL, EVALSHA (falling back to EVAL on NOSCRIPT, as
/// clients do), an occasional SCRIPT LOAD or (if `flush`) SCRIPT FLUSH.
fn script_op(c: &mut Conn, rng: &mut Rng, flush: bool) {
    let j = rng.below(WORK.len() as u64) as usize;
    let body = WORK[j];
    let g = rng.below(8);
    let keys = [
        format!("cnt:{g}"),
        format!("list:{g}"),
        format!("hash:{g}"),
        format!("zset:{g}"),
    ];
    let val = format!("v{}", rng.below(20));
    let mut args: Vec<&str> =
        vec!["4", &keys[0], &keys[1], &keys[2], &keys[3], &val];
    match rng.below(100) {
        0..=44 => {
            let sha = sha1hex(body);
            let mut cmd = vec!["EVALSHA", sha.as_str()];
            cmd.append(&mut args.clone());
            if let Reply::Err(e) = c.r(&cmd) {
                if e.starts_with("NOSCRIPT") {
                    let mut cmd = vec!["EVAL", body];
                    cmd.append(&mut args);
                    c.r(&cmd);
                }
            }
        }
        45..=89 => {
            let mut cmd = vec!["EVAL", body];
            cmd.append(&mut args);
            c.r(&cmd);
        }
        90..=98 => {
            c.s(&["SCRIPT", "LOAD", body]);
        }
        _ => {
            if flush {
                assert_eq!(c.raw(&["SCRIPT", "FLUSH"]), "+OK\r\n");
            }
        }
    }
}

fn run_script_ops(s: &Server, seed: u64, n: usize, db: &str) {
    let mut c = Conn::new(s);
    assert_eq!(c.raw(&["SELECT", db]), "+OK\r\n");
    let mut rng = Rng(seed);
    for _ in 0..n {
        script_op(&mut c, &mut rng, true);
    }
}

/// EVALSHA of every script in WORK (and first SCRIPT LOAD, with `load`).
fn evalsha_every_script(s: &Server, load: bool) {
    let mut c = Conn::new(s);
    for body in WORK {
        if load {
            c.s(&["SCRIPT", "LOAD", body]);
        }
        let sha = sha1hex(body);
        c.r(&[
            "EVALSHA", &sha, "4", "cnt:0", "list:0", "hash:0", "zset:0", "v",
        ]);
    }
}

fn replicas_of_ours(effects: bool) {
    let master = Server::start(&[]);
    set_script_mode(&master, effects);
    // Scripts known before any replica: EVALSHA must reach the replicas
    // as EVAL.
    {
        let mut c = Conn::new(&master);
        for body in WORK {
            c.s(&["SCRIPT", "LOAD", body]);
        }
        run_script_ops(&master, 1, 200, "0");
    }
    let ro = start_replica(Path::new(util::OXREDIS_BIN), &master, &[]);
    wait_for_ofs_sync(&master, &ro);
    run_script_ops(&master, 2, 300, "0");
    // Every script in the cache (known to `ro`); 7.0's full sync must
    // flush it, since 7.0 does not load the scripts of the RDB: the next
    // EVALSHAs must reach it as EVAL.
    evalsha_every_script(&master, true);
    let r7 = start_replica(&find_binary("redis-server"), &master, &[]);
    wait_for_ofs_sync(&master, &r7);
    evalsha_every_script(&master, false);
    run_script_ops(&master, 3, 500, "0");
    run_script_ops(&master, 4, 500, "3");
    // A third replica's full sync flushes the cache again.
    let ro2 = start_replica(Path::new(util::OXREDIS_BIN), &master, &[]);
    run_script_ops(&master, 5, 500, "0");
    for r in [&r7, &ro, &ro2] {
        wait_for_ofs_sync(&master, r);
    }
    assert_same_digest(&[&master, &r7, &ro, &ro2]);
    // The oxredis replicas have every script the master has.
    let mut m = Conn::new(&master);
    let shas: Vec<String> = WORK.iter().map(|b| sha1hex(b)).collect();
    let mut cmd = vec!["SCRIPT", "EXISTS"];
    cmd.extend(shas.iter().map(|s| s.as_str()));
    let on_master = m.r(&cmd).flat();
    if !effects {
        // With script replication the replicas ran the same scripts.
        for r in [&ro, &ro2] {
            assert_eq!(Conn::new(r).r(&cmd).flat(), on_master);
        }
    }
}

#[test]
fn script_replication_to_redis_7_and_oxredis_replicas() {
    replicas_of_ours(false);
}

#[test]
fn effects_replication_to_redis_7_and_oxredis_replicas() {
    replicas_of_ours(true);
}

#[test]
fn oxredis_replica_of_a_redis_7_master_running_scripts() {
    let master = Server::start_binary(&find_binary("redis-server"), &[]);
    run_script_ops(&master, 10, 200, "0");
    let ro = start_replica(Path::new(util::OXREDIS_BIN), &master, &[]);
    wait_for_ofs_sync(&master, &ro);
    run_script_ops(&master, 11, 500, "0");
    run_script_ops(&master, 12, 300, "5");
    wait_for_ofs_sync(&master, &ro);
    assert_same_digest(&[&master, &ro]);
}

// ---------------------- restart and partial resync ----------------------

/// A replica saves an RDB (with the scripts as `lua` aux fields and its
/// replication info), is killed, misses EVALSHAs of a script it had, and
/// after its restart continues from the master's backlog: the EVALSHAs
/// run because the script came back from the RDB.
fn restarted_replica_runs_evalsha_from_the_backlog(replica_bin: &Path) {
    let master = Server::start(&[]);
    set_script_mode(&master, false);
    let names = Names(vec![("A", A.into())]);
    let sha_a = sha1hex(A);
    let mut replica = start_replica(replica_bin, &master, &[]);
    wait_for_ofs_sync(&master, &replica);
    // A raw replica stays attached, so the master keeps its script cache
    // (it is flushed when there are no replicas at all), and shows the
    // stream.
    let mut w = Wire::full(&master);
    let mut m = Conn::new(&master);
    m.s(&["SCRIPT", "LOAD", A]);
    assert_eq!(m.int(&["EVALSHA", &sha_a, "1", "k"]), 1);
    m.s(&["SET", "__marker__", "1"]);
    assert_eq!(w.until_marker(1, &names), ["SCRIPT LOAD <A>", "EVAL <A> 1 k"]);
    wait_for_ofs_sync(&master, &replica);

    assert_eq!(Conn::new(&replica).raw(&["SAVE"]), "+OK\r\n");
    replica.kill9();
    wait_for(SYNC_TIMEOUT, || master.info("connected_slaves") == "1");

    for i in 2..=4 {
        assert_eq!(m.int(&["EVALSHA", &sha_a, "1", "k"]), i);
    }
    m.s(&["SET", "__marker__", "2"]);
    assert_eq!(w.until_marker(2, &names), ["EVALSHA sha(A) 1 k"; 3]);

    replica.restart();
    wait_for_ofs_sync(&master, &replica);
    let log = replica.log();
    assert!(
        log.contains("Master accepted a Partial Resynchronization"),
        "no partial resync\n{log}"
    );
    assert!(
        master.log().contains("Partial resynchronization request from")
            && master.log().contains("accepted"),
        "{}",
        master.log()
    );
    let mut r = Conn::new(&replica);
    assert_eq!(r.bulk(&["GET", "k"]), "4");
    assert_eq!(r.r(&["SCRIPT", "EXISTS", &sha_a]).flat(), ["1"]);
    assert_same_digest(&[&master, &replica]);
}

#[test]
fn restarted_oxredis_replica_runs_evalsha_from_the_backlog() {
    restarted_replica_runs_evalsha_from_the_backlog(Path::new(
        util::OXREDIS_BIN,
    ));
}

#[test]
fn restarted_redis_5_replica_of_oxredis_runs_evalsha_from_the_backlog() {
    match c_server() {
        Some(bin) => restarted_replica_runs_evalsha_from_the_backlog(&bin),
        None => eprintln!("REDIS_C_SERVER / REDIS_SRC not set: skipped"),
    }
}

// ---------------------------------- load ----------------------------------

/// Clients run scripts on the master while the replicas' links are
/// killed (CLIENT KILL TYPE slave) and the oxredis replica saves, is
/// killed with SIGKILL and restarted (it loads its RDB, with the `lua` aux
/// fields, and resyncs partially).
fn scripts_under_load_with_killed_links(effects: bool) {
    let master = Server::start(&["--repl-backlog-size", "64mb"]);
    set_script_mode(&master, effects);
    let r7 = start_replica(&find_binary("redis-server"), &master, &[]);
    let mut ro = start_replica(Path::new(util::OXREDIS_BIN), &master, &[]);
    wait_for_ofs_sync(&master, &r7);
    wait_for_ofs_sync(&master, &ro);

    let stop = Arc::new(AtomicBool::new(false));
    let port = master.port();
    let workers: Vec<_> = (0..4)
        .map(|t| {
            let stop = stop.clone();
            thread::spawn(move || {
                let mut c = Conn::connect(port);
                assert_eq!(c.raw(&["SELECT", &(t % 2).to_string()]), "+OK\r\n");
                let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (t as u64 + 1));
                let mut n = 0;
                // SCRIPT FLUSH only from one client, now and then.
                while !stop.load(Ordering::Relaxed) {
                    script_op(&mut c, &mut rng, t == 0);
                    n += 1;
                }
                n
            })
        })
        .collect();

    let start = Instant::now();
    let mut m = Conn::new(&master);
    for round in 0..6 {
        thread::sleep(Duration::from_millis(300));
        // Both links are back (a replica reconnects within a second).
        wait_for(SYNC_TIMEOUT, || master.info("connected_slaves") == "2");
        let killed = m.int(&["CLIENT", "KILL", "TYPE", "slave"]);
        assert_eq!(killed, 2, "round {round}");
        if round == 3 {
            // An RDB with the replication info and the scripts, in the
            // middle of the stream: what follows it in the backlog may
            // EVALSHA scripts that are only in the RDB.
            assert_eq!(Conn::new(&ro).raw(&["SAVE"]), "+OK\r\n");
            thread::sleep(Duration::from_millis(100));
            ro.kill9();
            thread::sleep(Duration::from_millis(200));
            ro.restart();
        }
    }
    thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    let ops: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert!(ops > 500, "only {ops} script runs in {:?}", start.elapsed());

    wait_for_ofs_sync(&master, &r7);
    wait_for_ofs_sync(&master, &ro);
    assert_same_digest(&[&master, &r7, &ro]);
    let ro_log = ro.log();
    assert!(!ro_log.contains("NOSCRIPT"), "{ro_log}");
    // The restart loaded the replica's own RDB (its scripts with it) and
    // went on from the backlog.
    assert!(master.info_i64("sync_partial_ok") >= 1);
    assert!(ro_log.contains("DB loaded from disk"), "{ro_log}");
}

#[test]
fn script_replication_under_load_with_killed_replica_links() {
    scripts_under_load_with_killed_links(false);
}

#[test]
fn effects_replication_under_load_with_killed_replica_links() {
    scripts_under_load_with_killed_links(true);
}

// ----------------------------------- RDB -----------------------------------

/// Scripts that go into the RDB: plain, with a NUL byte and high bytes in
/// the body, and long.
fn rdb_scripts() -> Vec<String> {
    vec![
        A.to_string(),
        "return 'nul:\0:high:\u{e9}'".to_string(),
        format!("local t = {{}} {} return #t", "t[#t+1] = 1 ".repeat(500)),
    ]
}

/// Stops `s` without a save, puts `rdb` in its dir and starts it again.
#[track_caller]
fn restart_with_rdb(s: &mut Server, rdb: &Path) {
    s.kill();
    std::fs::copy(rdb, s.dir().join("dump.rdb")).unwrap();
    s.restart();
    wait_for(SYNC_TIMEOUT, || s.info("loading") == "0");
}

#[test]
fn rdb_with_lua_aux_fields_is_read_by_redis_check_rdb_and_redis_5() {
    let master = Server::start(&[]);
    let scripts = rdb_scripts();
    let shas: Vec<String> = scripts.iter().map(|b| sha1hex(b)).collect();
    let mut exists = vec!["SCRIPT", "EXISTS"];
    exists.extend(shas.iter().map(|s| s.as_str()));
    let mut m = Conn::new(&master);
    for body in &scripts {
        let sha = m.raw_bin(&[b"SCRIPT", b"LOAD", body.as_bytes()]);
        assert_eq!(Reply::parse(&sha).0.bulk(), sha1hex(body));
    }
    m.int(&["EVAL", A, "1", "counter"]);
    m.s(&["SET", "k", "v"]);

    // Without replication info (no replica, no backlog) there are no
    // `lua` aux fields: a restart has no scripts.
    assert_eq!(m.raw(&["SAVE"]), "+OK\r\n");
    let plain = std::fs::read(master.dir().join("dump.rdb")).unwrap();
    assert!(!contains(&plain, b"\x03lua"));

    // With a replica (and so a backlog) SAVE writes them.
    let replica = start_replica(Path::new(util::OXREDIS_BIN), &master, &[]);
    wait_for_ofs_sync(&master, &replica);
    assert_eq!(m.raw(&["SAVE"]), "+OK\r\n");
    let want_digest = master.digest();
    let saved = util::make_temp_dir().join("lua.rdb");
    std::fs::copy(master.dir().join("dump.rdb"), &saved).unwrap();
    let bytes = std::fs::read(&saved).unwrap();
    assert_eq!(count(&bytes, b"\x03lua"), scripts.len());

    // Debian's redis-check-rdb (7.0) accepts it.
    let out = std::process::Command::new(find_binary("redis-check-rdb"))
        .arg(&saved)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success() && text.contains("RDB looks OK"), "{text}");

    // Our server loads the scripts back.
    let mut ours = Server::start(&[]);
    restart_with_rdb(&mut ours, &saved);
    assert_eq!(Conn::new(&ours).r(&exists).flat(), ["1", "1", "1"]);
    assert_eq!(ours.digest(), want_digest);
    let nul = Conn::new(&ours).r(&["EVALSHA", &shas[1], "0"]);
    assert_eq!(nul, Reply::Bulk(Some(b"nul:\0:high:\xc3\xa9".to_vec())));

    // Redis 5.0.14 loads them too.
    match c_server() {
        Some(bin) => {
            let mut real = Server::start_binary(&bin, &[]);
            restart_with_rdb(&mut real, &saved);
            assert_eq!(Conn::new(&real).r(&exists).flat(), ["1", "1", "1"]);
            assert_eq!(real.digest(), want_digest);
        }
        None => eprintln!(
            "REDIS_C_SERVER / REDIS_SRC not set: loading by 5.0.14 skipped"
        ),
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    count(hay, needle) > 0
}

fn count(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| w == &needle).count()
}

/// An RDB whose only content is a `lua` aux field with `body` (checksum
/// 0: not checked).
fn rdb_with_lua_aux(body: &[u8]) -> Vec<u8> {
    let mut v = b"REDIS0009".to_vec();
    v.push(0xfa); // RDB_OPCODE_AUX
    v.push(3);
    v.extend_from_slice(b"lua");
    assert!(body.len() < 64);
    v.push(body.len() as u8);
    v.extend_from_slice(body);
    v.push(0xff); // RDB_OPCODE_EOF
    v.extend_from_slice(&[0; 8]);
    v
}

/// Starts `bin` on an RDB holding a script that does not compile: the
/// server must refuse to start, logging 5.0.14's corruption report.
/// Returns the exit code and the report line.
fn start_on_bad_lua_rdb(bin: &Path) -> (Option<i32>, String) {
    let dir = util::make_temp_dir();
    std::fs::write(dir.join("dump.rdb"), rdb_with_lua_aux(b"return ("))
        .unwrap();
    let port = util::free_port();
    let out = std::process::Command::new(bin)
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .arg("--dir")
        .arg(&dir)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = log
        .lines()
        .find(|l| l.contains("Can't load Lua script from RDB file!"))
        .unwrap_or_else(|| panic!("no report in\n{log}"));
    let _ = std::fs::remove_dir_all(&dir);
    (out.status.code(), line.to_string())
}

#[test]
fn a_script_that_does_not_compile_in_the_rdb_stops_the_load() {
    let (code, ours) = start_on_bad_lua_rdb(Path::new(util::OXREDIS_BIN));
    assert_eq!(code, Some(1));
    let report = "Internal error in RDB reading function at";
    let reason = "-> Can't load Lua script from RDB file! BODY: return (";
    assert!(ours.contains(report) && ours.contains(reason), "{ours}");
    if let Some(bin) = c_server() {
        // 5.0.14 then runs redis-check-rdb on the file and exits with its
        // status: 0, since the check does not compile scripts.
        let (code, real) = start_on_bad_lua_rdb(&bin);
        assert_eq!(code, Some(0));
        assert!(real.contains(report) && real.ends_with(reason), "{real}");
    }
}

#[allow(dead_code)]
fn unused() {
    let _ = encode_command(&[]);
}
