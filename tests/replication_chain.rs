//! oxredis replicating from oxredis only, the PSYNC2 paths that keep a
//! replica on partial resynchronization when the topology changes (issue 5,
//! done-means items 3 and 4):
//!
//! - a chain A -> B -> C whose middle is promoted (REPLICAOF NO ONE): C,
//!   dropped by the promotion, and A, repointed at B, both continue by
//!   partial resync (B accepts their old replication ID as its replid2, up
//!   to second_repl_offset);
//! - a replica shut down with SHUTDOWN SAVE and started again on the same
//!   dir: it continues by partial resync from the replication ID and
//!   offset its RDB keeps in the repl-id/repl-offset AUX fields.
//!
//! In both the new master's `sync_partial_ok` must count the resyncs, its
//! `sync_full` must not move, and DEBUG DIGEST must end up equal.
//! (psync2.tcl's "total sum of full synchronizations is exactly 4" and
//! "Partial resync after restart using RDB aux fields" in miniature.)

mod util;

use std::time::Duration;

use util::*;

/// Upper bound of every wait in this file.
const T: Duration = Duration::from_secs(30);

/// No master PINGs during a test: a PING the old master sent just before
/// the promotion, not yet read by the middle, would put the old master's
/// offset past the new master's, and its partial resync would then be
/// (rightly) refused. Redis behaves the same; the Tcl tests avoid it with
/// the default 10 s period and short cycles.
const QUIET: [&str; 2] = ["--repl-ping-replica-period", "100"];

/// An oxredis started as the replica of `master`, plus `extra` arguments.
fn replica_of(master: &Server, extra: &[&str]) -> Server {
    let port = master.port_str();
    let mut args = vec!["--replicaof", "127.0.0.1", port.as_str()];
    args.extend_from_slice(extra);
    Server::start(&args)
}

fn info_i64(s: &Server, field: &str) -> i64 {
    let v = s.info(field);
    v.parse().unwrap_or_else(|_| panic!("INFO {field} is not a number: {v:?}"))
}

#[track_caller]
fn wait_link_up(replica: &Server) {
    wait_for(T, || replica.info("master_link_status") == "up");
}

/// Waits until `replica` applied everything `master` produced.
/// Writes of several types and DBs (so the stream carries SELECTs), with
/// expiries; `round` makes every call write different data.
fn write_load(s: &Server, round: usize) {
    let mut con = s.client();
    for i in 0..300 {
        let k = format!("r{round}:k{i}");
        let mut p = redis::pipe();
        p.cmd("SELECT")
            .arg(i % 3)
            .cmd("SET")
            .arg(&k)
            .arg(i * round)
            .cmd("RPUSH")
            .arg(format!("r{round}:list"))
            .arg(i)
            .cmd("SADD")
            .arg(format!("r{round}:set"))
            .arg(i % 50)
            .cmd("ZADD")
            .arg(format!("r{round}:zset"))
            .arg(i)
            .arg(&k)
            .cmd("HSET")
            .arg(format!("r{round}:hash"))
            .arg(&k)
            .arg(i)
            .cmd("INCR")
            .arg("counter");
        if i % 10 == 0 {
            p.cmd("EXPIRE").arg(&k).arg(1000);
        }
        p.query::<()>(&mut con).expect("write load");
    }
}

/// The replica's log line for an accepted PSYNC (slave.rs, as in C's
/// syncWithMaster).
const PARTIAL_OK: &str =
    "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.";

#[test]
fn chain_promote_the_middle_and_repoint_the_others_continue_by_partial_resync()
{
    let a = Server::start(&QUIET);
    let b = replica_of(&a, &QUIET);
    wait_link_up(&b);
    let c = replica_of(&b, &QUIET);
    wait_link_up(&c);

    // A's writes reach C through the stream B proxies byte for byte.
    write_load(&a, 1);
    wait_caught_up(&a, &b);
    wait_caught_up(&b, &c);
    let d = a.digest();
    assert_eq!(b.digest(), d);
    assert_eq!(c.digest(), d);
    // Same replication history along the chain.
    assert_eq!(b.info("master_replid"), a.info("master_replid"));
    assert_eq!(c.info("master_replid"), a.info("master_replid"));

    let b_full = info_i64(&b, "sync_full");
    let b_partial = info_i64(&b, "sync_partial_ok");
    let old_replid = a.info("master_replid");
    let offset = info_i64(&b, "master_repl_offset");

    // Promote the middle. It keeps A's ID as replid2, valid up to the
    // offset it reached (+1), and drops C, which reconnects and asks for
    // A's ID: B accepts it by replid2 and answers +CONTINUE <new id>.
    b.cmd(&["REPLICAOF", "NO", "ONE"]);
    assert_eq!(b.info("role"), "master");
    assert_eq!(b.info("master_replid2"), old_replid);
    assert_eq!(info_i64(&b, "second_repl_offset"), offset + 1);
    wait_for(T, || info_i64(&b, "sync_partial_ok") == b_partial + 1);
    wait_link_up(&c);
    assert_eq!(c.info("master_replid"), b.info("master_replid"));

    // Repoint A, the old top, at B: turning into a replica it synthesizes
    // a cached master from its own ID and offset, and continues too.
    a.cmd(&["REPLICAOF", "127.0.0.1", &b.port_str()]);
    wait_for(T, || info_i64(&b, "sync_partial_ok") == b_partial + 2);
    wait_link_up(&a);
    assert_eq!(a.info("master_replid"), b.info("master_replid"));

    // New writes on B reach both.
    write_load(&b, 2);
    wait_caught_up(&b, &a);
    wait_caught_up(&b, &c);
    let d = b.digest();
    assert_ne!(d, "0".repeat(40));
    assert_eq!(a.digest(), d);
    assert_eq!(c.digest(), d);

    // No full sync anywhere since the chain was built.
    assert_eq!(info_i64(&b, "sync_full"), b_full);
    assert_eq!(info_i64(&b, "sync_partial_ok"), b_partial + 2);
    assert_eq!(info_i64(&a, "sync_full"), 1, "A served only B's initial sync");
    assert!(a.log().contains(
        "Before turning into a replica, using my master parameters to synthesize a cached master"
    ));
    assert!(a.log().contains(PARTIAL_OK), "{}", a.log());
    assert!(
        c.log().contains("Master replication ID changed to "),
        "{}",
        c.log()
    );
    // Only the initial sync from B was a full one.
    assert_eq!(
        c.log().matches("Full resync from master").count(),
        1,
        "{}",
        c.log()
    );
}

#[test]
fn replica_restarted_with_its_rdb_continues_by_partial_resync() {
    let master = Server::start(&QUIET);
    let mut replica = replica_of(&master, &QUIET);
    wait_link_up(&replica);
    write_load(&master, 1);
    wait_caught_up(&master, &replica);
    let replid = master.info("master_replid");
    let offset = info_i64(&replica, "slave_repl_offset");

    // SHUTDOWN SAVE writes the RDB with the repl-id/repl-offset AUX fields
    // (rdbPopulateSaveInfo) although no save point is configured. The
    // connection closes without a reply.
    let _ = replica.try_cmd(&["SHUTDOWN", "SAVE"]);
    assert!(replica.kill().success());
    assert!(replica.dir().join("dump.rdb").exists());

    // The master moves on while the replica is down: the partial resync
    // must carry these writes from the backlog.
    write_load(&master, 2);
    let full = info_i64(&master, "sync_full");
    let partial = info_i64(&master, "sync_partial_ok");

    let dir = replica.dir().to_str().expect("utf-8 temp dir").to_string();
    let mut args = vec!["--dir", dir.as_str()];
    args.extend_from_slice(&QUIET);
    let restarted = replica_of(&master, &args);
    wait_link_up(&restarted);
    wait_for(T, || info_i64(&master, "sync_partial_ok") == partial + 1);
    assert_eq!(info_i64(&master, "sync_full"), full);

    let log = restarted.log();
    assert!(
        log.contains(&format!(
            "Trying a partial resynchronization (request {replid}:{})",
            offset + 1
        )),
        "{log}"
    );
    assert!(log.contains(PARTIAL_OK), "{log}");

    write_load(&master, 3);
    wait_caught_up(&master, &restarted);
    assert_eq!(restarted.digest(), master.digest());
    assert_eq!(restarted.info("master_replid"), replid);
    // Keeps the first server (and with it the temp dir) until the end.
    drop(replica);
}

#[test]
fn debug_restart_keeps_the_pid_and_the_replica_continues_by_partial_resync() {
    // psync2.tcl's "Partial resync after restart using RDB aux fields":
    // CONFIG REWRITE stores `replicaof` in the config file, DEBUG RESTART
    // saves the RDB (a save point is configured), then execs the same
    // binary with the same arguments in the same process.
    let master = Server::start(&QUIET);
    let mut args = vec!["--save", "900", "1"];
    args.extend_from_slice(&QUIET);
    let mut replica = Server::start_with_config("", &args);
    replica.cmd(&["REPLICAOF", "127.0.0.1", &master.port_str()]);
    wait_link_up(&replica);
    write_load(&master, 1);
    wait_caught_up(&master, &replica);
    let pid = info_i64(&replica, "process_id");
    assert_eq!(pid, replica.pid() as i64);

    assert_eq!(replica.cmd_str(&["CONFIG", "REWRITE"]), "OK");
    let conf = std::fs::read_to_string(replica.dir().join("redis.conf"))
        .expect("read the rewritten config");
    assert!(
        conf.contains(&format!("replicaof 127.0.0.1 {}", master.port())),
        "{conf}"
    );
    let full = info_i64(&master, "sync_full");
    let partial = info_i64(&master, "sync_partial_ok");
    // The server execs before it could reply: the connection just closes.
    match replica.try_cmd(&["DEBUG", "RESTART"]) {
        Err(e) if e.is_io_error() || e.is_connection_dropped() => {}
        other => panic!("DEBUG RESTART answered {other:?}"),
    }

    wait_for(T, || info_i64(&master, "sync_partial_ok") == partial + 1);
    assert_eq!(info_i64(&master, "sync_full"), full);
    assert!(replica.is_alive());
    assert_eq!(info_i64(&replica, "process_id"), pid);
    let log = replica.log();
    assert_eq!(log.matches("Ready to accept connections").count(), 2, "{log}");
    assert!(log.contains(PARTIAL_OK), "{log}");

    write_load(&master, 2);
    wait_caught_up(&master, &replica);
    assert_eq!(replica.digest(), master.digest());
}
