//! The replica side of replication (replication.c's SLAVE section and the
//! master caching for PSYNC), against real peers: oxredis as the replica
//! of Debian's redis-server 7.0 and of another oxredis, and against a
//! scripted master (a plain TcpListener in this file) where the test needs
//! to see or control each byte of the handshake and of the transfer.
//!
//! Test names follow the C functions and log lines they exercise, or the
//! titles of tests/integration/replication*.tcl where one matches.

mod util;

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::sleep;
use std::time::{Duration, Instant};

use util::*;

/// Upper bound of every wait in this file.
const T: Duration = Duration::from_secs(30);

// --------------------------------- helpers ---------------------------------

/// Debian's redis-server 7.0, with extra arguments.
fn redis7(args: &[&str]) -> Server {
    Server::start_binary(&find_binary("redis-server"), args)
}

/// An oxredis started as the replica of `master`.
fn replica_of(master: &Server, extra: &[&str]) -> Server {
    let port = master.port_str();
    let mut args = vec!["--replicaof", "127.0.0.1", port.as_str()];
    args.extend_from_slice(extra);
    Server::start(&args)
}

#[track_caller]
fn wait_link_up(replica: &Server) {
    wait_for(T, || replica.info("master_link_status") == "up");
}

fn info_i64(s: &Server, field: &str) -> i64 {
    s.info(field)
        .parse()
        .unwrap_or_else(|_| panic!("INFO {field} is not a number"))
}

/// Every type oxredis has, in the small (listpack/intset) and the large
/// encodings of a 7.0 master, with expiries.
fn fill_every_type(m: &Server) {
    let mut con = m.client();
    let mut p = redis::pipe();
    for i in 0..100 {
        p.cmd("SET").arg(format!("str:{i}")).arg(format!("value-{i}")).ignore();
        p.cmd("SET").arg(format!("int:{i}")).arg(i * 1000).ignore();
    }
    for i in 0..20 {
        p.cmd("SET")
            .arg(format!("ex:{i}"))
            .arg("v")
            .arg("EX")
            .arg(1000 + i)
            .ignore();
        p.cmd("SET")
            .arg(format!("px:{i}"))
            .arg("v")
            .arg("PX")
            .arg(900_000 + i)
            .ignore();
    }
    p.cmd("RPUSH").arg("list:small").arg(&["a", "b", "c", "1", "2"]).ignore();
    for i in 0..300 {
        p.cmd("RPUSH").arg("list:big").arg(format!("element-{i}")).ignore();
        p.cmd("HSET")
            .arg("hash:big")
            .arg(format!("f{i}"))
            .arg(format!("v{i}"))
            .ignore();
        p.cmd("SADD").arg("set:bigint").arg(i).ignore();
        p.cmd("SADD").arg("set:str").arg(format!("m{i}")).ignore();
        p.cmd("ZADD")
            .arg("zset:big")
            .arg(i as f64 / 3.0)
            .arg(format!("z{i}"))
            .ignore();
    }
    for i in 0..600 {
        p.cmd("SADD").arg("set:hugeint").arg(i).ignore();
    }
    p.cmd("HSET")
        .arg("hash:small")
        .arg(&["a", "1", "b", "2", "c", "3"])
        .ignore();
    p.cmd("SADD").arg("set:int").arg(&["1", "2", "3", "-5"]).ignore();
    p.cmd("ZADD")
        .arg("zset:small")
        .arg(&["1", "a", "2.5", "b", "-3", "c"])
        .ignore();
    p.cmd("EXPIRE").arg("hash:small").arg(5000).ignore();
    p.cmd("PEXPIRE").arg("list:big").arg(7_000_000).ignore();
    p.query::<()>(&mut con).expect("fill");
}

/// Writes of every kind a 7.0 master rewrites before propagating (SET EX
/// as SET PXAT, SETEX too, EXPIRE as PEXPIREAT, INCRBYFLOAT as SET
/// KEEPTTL, HINCRBYFLOAT as HSET, BLPOP as LPOP, SPOP as SREM) and plain
/// ones.
fn write_load(m: &Server, round: usize) {
    let mut con = m.client();
    let mut p = redis::pipe();
    for i in 0..50 {
        let k = format!("load:{round}:{i}");
        p.cmd("SET").arg(&k).arg(i).ignore();
        p.cmd("INCR").arg(&k).ignore();
        p.cmd("APPEND").arg(format!("str:{i}")).arg("+").ignore();
        p.cmd("SET")
            .arg(format!("ex:{round}:{i}"))
            .arg("x")
            .arg("EX")
            .arg(500)
            .ignore();
        p.cmd("SETEX")
            .arg(format!("setex:{round}:{i}"))
            .arg(600)
            .arg("y")
            .ignore();
        p.cmd("PSETEX")
            .arg(format!("psetex:{round}:{i}"))
            .arg(600_000)
            .arg("z")
            .ignore();
        p.cmd("EXPIRE").arg(format!("int:{i}")).arg(3000 + i).ignore();
        p.cmd("INCRBYFLOAT").arg(format!("float:{round}")).arg("1.25").ignore();
        p.cmd("RPUSH").arg("list:big").arg(format!("r{round}-{i}")).ignore();
        p.cmd("LPUSH").arg("list:small").arg(i).ignore();
        p.cmd("HSET").arg("hash:small").arg(format!("x{i}")).arg(i).ignore();
        p.cmd("HINCRBYFLOAT")
            .arg("hash:big")
            .arg("counter")
            .arg("0.5")
            .ignore();
        p.cmd("SADD").arg("set:int").arg(i + 10).ignore();
        p.cmd("ZINCRBY").arg("zset:small").arg(1.5).arg("a").ignore();
        p.cmd("ZADD")
            .arg("zset:big")
            .arg(i)
            .arg(format!("n{round}-{i}"))
            .ignore();
    }
    // On a key with a time to live, INCRBYFLOAT travels as SET KEEPTTL.
    p.cmd("SET")
        .arg(format!("fttl:{round}"))
        .arg("10")
        .arg("EX")
        .arg(1000)
        .ignore();
    p.cmd("INCRBYFLOAT").arg(format!("fttl:{round}")).arg("2.5").ignore();
    p.cmd("SET").arg("ex:2").arg("overwritten").arg("EX").arg(77).ignore();
    p.cmd("PERSIST").arg("px:1").ignore();
    p.cmd("DEL").arg("str:5").arg("ex:3").ignore();
    p.cmd("LPOP").arg("list:big").ignore();
    p.cmd("BLPOP").arg("list:small").arg(1).ignore();
    p.cmd("RPOPLPUSH").arg("list:big").arg("list:other").ignore();
    p.cmd("SPOP").arg("set:str").ignore();
    p.cmd("SREM").arg("set:bigint").arg(7).ignore();
    p.cmd("HDEL").arg("hash:big").arg("f2").ignore();
    p.cmd("ZREM").arg("zset:big").arg("z3").ignore();
    p.cmd("GETSET").arg("str:6").arg("replaced").ignore();
    p.cmd("MSET").arg(&["m1", "1", "m2", "2"]).ignore();
    p.cmd("SET").arg(format!("tmp:{round}")).arg("x").ignore();
    p.cmd("RENAME")
        .arg(format!("tmp:{round}"))
        .arg(format!("renamed:{round}"))
        .ignore();
    p.cmd("ZPOPMIN").arg("zset:big").ignore();
    p.cmd("ZPOPMAX").arg("zset:big").arg(2).ignore();
    p.cmd("BZPOPMIN").arg("zset:small").arg(1).ignore();
    p.cmd("BRPOP").arg("list:big").arg(1).ignore();
    p.cmd("BRPOPLPUSH").arg("list:big").arg("list:other").arg(1).ignore();
    p.cmd("HINCRBY").arg("hash:small").arg("n").arg(3).ignore();
    p.cmd("HSETNX").arg("hash:small").arg(format!("nx{round}")).arg(1).ignore();
    p.cmd("LSET").arg("list:big").arg(0).arg("first").ignore();
    p.cmd("LINSERT")
        .arg("list:big")
        .arg("BEFORE")
        .arg("first")
        .arg("zeroth")
        .ignore();
    p.cmd("LTRIM").arg("list:big").arg(0).arg(250).ignore();
    p.cmd("LREM").arg("list:big").arg(1).arg("element-9").ignore();
    p.cmd("SMOVE").arg("set:int").arg("set:moved").arg(1).ignore();
    p.cmd("SINTERSTORE")
        .arg(format!("sinter:{round}"))
        .arg("set:int")
        .arg("set:bigint")
        .ignore();
    p.cmd("ZUNIONSTORE")
        .arg(format!("zu:{round}"))
        .arg(2)
        .arg("zset:small")
        .arg("zset:big")
        .ignore();
    p.cmd("ZREMRANGEBYSCORE").arg("zset:big").arg(10).arg(20).ignore();
    p.cmd("SETRANGE").arg("str:8").arg(3).arg("XYZ").ignore();
    p.cmd("SETNX").arg(format!("setnx:{round}")).arg(1).ignore();
    p.cmd("MSETNX").arg(format!("msetnx:{round}")).arg(1).ignore();
    p.cmd("PEXPIREAT").arg("str:9").arg(4_000_000_000_000i64).ignore();
    p.cmd("EXPIREAT").arg("str:10").arg(4_000_000_000i64).ignore();
    p.cmd("UNLINK").arg("str:11").ignore();
    p.cmd("INCRBY").arg(format!("load:{round}:1")).arg(100).ignore();
    p.cmd("DECR").arg(format!("load:{round}:2")).ignore();
    p.cmd("SELECT").arg(3).ignore();
    p.cmd("SET").arg("in-db-3").arg(round).ignore();
    p.cmd("SELECT").arg(0).ignore();
    p.query::<()>(&mut con).expect("write load");
}

/// Sends `bytes` to `port` and returns the one reply.
fn raw_reply(port: u16, bytes: &[u8]) -> Vec<u8> {
    let mut s = raw(port);
    send_raw(&mut s, bytes);
    read_reply(&mut s)
}

// --------------------- oxredis as replica of Redis 7.0 ---------------------

#[test]
fn read_sync_bulk_payload_full_sync_from_redis7_disk_then_write_load_digest_equal(
) {
    let master = redis7(&["--repl-diskless-sync", "no"]);
    fill_every_type(&master);
    let replica = replica_of(&master, &[]);
    wait_link_up(&replica);
    wait_caught_up(&master, &replica);
    assert_eq!(replica.digest(), master.digest(), "digest after the full sync");
    assert_eq!(replica.cmd_str(&["DBSIZE"]), master.cmd_str(&["DBSIZE"]));
    let ttl: i64 = replica.cmd_str(&["TTL", "ex:5"]).parse().unwrap();
    assert!(ttl > 900 && ttl <= 1005, "expiry carried over, got {ttl}");

    for round in 0..3 {
        write_load(&master, round);
    }
    wait_caught_up(&master, &replica);
    assert_eq!(
        replica.digest(),
        master.digest(),
        "digest after the write load"
    );
    assert_eq!(replica.cmd_str(&["GET", "float:0"]), "62.5");

    let log = replica.log();
    for line in [
        "Connecting to MASTER 127.0.0.1:",
        "MASTER <-> REPLICA sync started",
        "Non blocking connect for SYNC fired the event.",
        "Master replied to PING, replication can continue...",
        "Partial resynchronization not possible (no cached master)",
        "Full resync from master: ",
        "MASTER <-> REPLICA sync: receiving ",
        "MASTER <-> REPLICA sync: Flushing old data",
        "MASTER <-> REPLICA sync: Loading DB in memory",
        "MASTER <-> REPLICA sync: Finished with success",
    ] {
        assert!(log.contains(line), "log lacks {line:?}:\n{log}");
    }
    // The replica took over the master's replication ID.
    assert_eq!(replica.info("master_replid"), master.info("master_replid"));
}

#[test]
fn read_sync_bulk_payload_diskless_eof_mark_from_redis7() {
    let master = redis7(&[
        "--repl-diskless-sync",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
    ]);
    fill_every_type(&master);
    let replica = replica_of(&master, &[]);
    wait_link_up(&replica);
    wait_caught_up(&master, &replica);
    assert!(
        replica.log().contains(
            "MASTER <-> REPLICA sync: receiving streamed RDB from master"
        ),
        "the $EOF: form was used"
    );
    assert_eq!(replica.digest(), master.digest());
    write_load(&master, 0);
    wait_caught_up(&master, &replica);
    assert_eq!(replica.digest(), master.digest());
    // The renamed dump holds what was streamed, without the EOF mark: a
    // restart loads it.
    let dump = std::fs::read(replica.dir().join("dump.rdb")).expect("dump.rdb");
    assert_eq!(&dump[..5], b"REDIS");
}

#[test]
fn replica_is_read_only() {
    let master = redis7(&["--repl-diskless-sync", "no"]);
    let replica = replica_of(&master, &[]);
    wait_link_up(&replica);
    let reply =
        raw_reply(replica.port(), b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\n");
    assert_eq!(
        reply,
        b"-READONLY You can't write against a read only replica.\r\n"
    );
    // Reads are served.
    assert_eq!(
        raw_reply(replica.port(), b"*2\r\n$3\r\nGET\r\n$1\r\na\r\n"),
        b"$-1\r\n"
    );
}

#[test]
fn partial_resync_after_client_kill_type_master_on_the_replica() {
    let master = redis7(&["--repl-diskless-sync", "no"]);
    fill_every_type(&master);
    let replica = replica_of(&master, &[]);
    wait_link_up(&replica);
    wait_caught_up(&master, &replica);
    let full = info_i64(&master, "sync_full");
    let partial = info_i64(&master, "sync_partial_ok");

    assert_eq!(replica.cmd_str(&["CLIENT", "KILL", "TYPE", "master"]), "1");
    write_load(&master, 0); // while the link is down
    wait_for(T, || info_i64(&master, "sync_partial_ok") == partial + 1);
    wait_link_up(&replica);
    wait_caught_up(&master, &replica);
    assert_eq!(info_i64(&master, "sync_full"), full, "no new full sync");
    assert_eq!(replica.digest(), master.digest());
    let log = replica.log();
    assert!(log.contains("Caching the disconnected master state."), "{log}");
    assert!(
        log.contains("Trying a partial resynchronization (request "),
        "{log}"
    );
    assert!(
        log.contains("Successful partial resynchronization with master."),
        "{log}"
    );
    assert!(
        log.contains("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization."),
        "{log}"
    );
}

#[test]
fn partial_resync_after_client_kill_type_slave_on_the_master() {
    let master = redis7(&["--repl-diskless-sync", "no"]);
    let replica = replica_of(&master, &[]);
    wait_link_up(&replica);
    write_load(&master, 0);
    wait_caught_up(&master, &replica);
    let full = info_i64(&master, "sync_full");
    let partial = info_i64(&master, "sync_partial_ok");

    master.cmd(&["CLIENT", "KILL", "TYPE", "slave"]);
    wait_for(T, || info_i64(&master, "sync_partial_ok") == partial + 1);
    write_load(&master, 1);
    wait_caught_up(&master, &replica);
    assert_eq!(info_i64(&master, "sync_full"), full);
    assert_eq!(replica.digest(), master.digest());
}

#[test]
fn replicaof_no_one_promotes_the_replica() {
    let master = redis7(&["--repl-diskless-sync", "no"]);
    let replica = replica_of(&master, &[]);
    wait_link_up(&replica);
    write_load(&master, 0);
    wait_caught_up(&master, &replica);
    let old_replid = replica.info("master_replid");
    let offset = info_i64(&replica, "master_repl_offset");

    assert_eq!(raw_reply(replica.port(), b"REPLICAOF NO ONE\r\n"), b"+OK\r\n");
    assert_eq!(replica.info("role"), "master");
    // shiftReplicationId(): the old ID is now the secondary one, valid up
    // to the offset reached plus one.
    assert_eq!(replica.info("master_replid2"), old_replid);
    assert_eq!(info_i64(&replica, "second_repl_offset"), offset + 1);
    assert_ne!(replica.info("master_replid"), old_replid);
    assert_eq!(replica.cmd_str(&["SET", "now", "writable"]), "OK");
    let log = replica.log();
    assert!(
        log.contains("MASTER MODE enabled (user request from 'id="),
        "{log}"
    );
    // Once a master, NO ONE again changes nothing.
    assert_eq!(raw_reply(replica.port(), b"SLAVEOF no one\r\n"), b"+OK\r\n");
    assert_eq!(replica.info("role"), "master");
}

#[test]
fn replica_restarted_with_its_rdb_continues_by_partial_resync() {
    let master = redis7(&["--repl-diskless-sync", "no"]);
    fill_every_type(&master);
    let mut replica = replica_of(&master, &[]);
    wait_link_up(&replica);
    write_load(&master, 0);
    wait_caught_up(&master, &replica);
    // The RDB of a replica keeps the replication ID and offset.
    replica.cmd(&["SAVE"]);
    replica.kill();
    write_load(&master, 1);

    let full = info_i64(&master, "sync_full");
    let partial = info_i64(&master, "sync_partial_ok");
    let dir = replica.dir().to_str().unwrap().to_string();
    let restarted = replica_of(&master, &["--dir", &dir]);
    wait_link_up(&restarted);
    wait_caught_up(&master, &restarted);
    assert_eq!(info_i64(&master, "sync_partial_ok"), partial + 1);
    assert_eq!(info_i64(&master, "sync_full"), full);
    assert_eq!(restarted.digest(), master.digest());
    drop(replica);
}

// ---------------------- oxredis -> oxredis -> oxredis ----------------------

#[test]
fn chained_replication_promote_the_middle_and_continue_by_partial_resync() {
    // No PINGs from the cron during the test: one in flight when B is
    // promoted would put A's offset past what B has, and A's partial
    // resync would rightly be refused.
    let quiet = ["--repl-ping-replica-period", "100"];
    let a = Server::start(&quiet);
    let b = replica_of(&a, &quiet);
    wait_link_up(&b);
    let c = replica_of(&b, &quiet);
    wait_link_up(&c);

    // Writes to A reach C through B's proxied stream.
    let mut con = a.client();
    for i in 0..200 {
        redis::cmd("SET")
            .arg(format!("k{i}"))
            .arg(i)
            .query::<()>(&mut con)
            .unwrap();
        redis::cmd("RPUSH").arg("l").arg(i).query::<()>(&mut con).unwrap();
    }
    redis::cmd("SET")
        .arg("e")
        .arg("1")
        .arg("EX")
        .arg(100)
        .query::<()>(&mut con)
        .unwrap();
    wait_caught_up(&a, &b);
    wait_caught_up(&b, &c);
    let d = a.digest();
    assert_eq!(b.digest(), d);
    assert_eq!(c.digest(), d);

    // Promote the middle: C must continue from B by partial resync, B
    // accepting C's request by its secondary ID (replid2).
    let b_partial = info_i64(&b, "sync_partial_ok");
    let b_full = info_i64(&b, "sync_full");
    b.cmd(&["REPLICAOF", "NO", "ONE"]);
    wait_for(T, || info_i64(&b, "sync_partial_ok") == b_partial + 1);
    assert_eq!(info_i64(&b, "sync_full"), b_full);
    b.cmd(&["SET", "written-on-b", "1"]);
    wait_link_up(&c);
    wait_caught_up(&b, &c);
    assert_eq!(c.digest(), b.digest());
    assert!(
        c.log().contains("Master replication ID changed to "),
        "{}",
        c.log()
    );
    assert_eq!(c.info("master_replid"), b.info("master_replid"));

    // Repoint A, the old top, at B: it synthesized a cached master from
    // its own ID and offset, so it continues by partial resync too.
    a.cmd(&["REPLICAOF", "127.0.0.1", &b.port_str()]);
    wait_for(T, || info_i64(&b, "sync_partial_ok") == b_partial + 2);
    wait_link_up(&a);
    b.cmd(&["SET", "after-repoint", "1"]);
    wait_caught_up(&b, &a);
    assert_eq!(a.digest(), b.digest());
    assert!(
        a.log().contains("Before turning into a replica, using my master parameters to synthesize a cached master"),
        "{}",
        a.log()
    );
}

// --------------------------- REPLICAOF and ROLE ---------------------------

#[test]
fn replicaof_command_replies_like_redis_5() {
    // Nobody listens on this port: the replica keeps trying, harmlessly.
    let nowhere = free_port().to_string();
    let script: Vec<Vec<u8>> = vec![
        format!("REPLICAOF 127.0.0.1 {nowhere}\r\n").into_bytes(),
        format!("REPLICAOF 127.0.0.1 {nowhere}\r\n").into_bytes(),
        format!("slaveof 127.0.0.1 {nowhere}\r\n").into_bytes(),
        b"REPLICAOF 127.0.0.1 notaport\r\n".to_vec(),
        b"REPLICAOF 127.0.0.1\r\n".to_vec(),
        b"REPLICAOF no one\r\n".to_vec(),
        b"REPLICAOF NO ONE\r\n".to_vec(),
    ];
    let expected: Vec<&[u8]> = vec![
        b"+OK\r\n",
        b"+OK Already connected to specified master\r\n",
        b"+OK Already connected to specified master\r\n",
        b"-ERR value is not an integer or out of range\r\n",
        b"-ERR wrong number of arguments for 'replicaof' command\r\n",
        b"+OK\r\n",
        b"+OK\r\n",
    ];
    let mut servers = vec![Server::start(&[])];
    // With REDIS_C_SERVER naming a real 5.0.14 binary, check it answers
    // the same bytes.
    if let Some(c_server) = std::env::var_os("REDIS_C_SERVER") {
        servers
            .push(Server::start_binary(std::path::Path::new(&c_server), &[]));
    }
    for server in &servers {
        let mut s = raw(server.port());
        for (cmd, want) in script.iter().zip(&expected) {
            send_raw(&mut s, cmd);
            let got = read_reply(&mut s);
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(want),
                "{} for {:?}",
                server.binary().display(),
                String::from_utf8_lossy(cmd)
            );
        }
    }
    let log = servers[0].log();
    assert!(
        log.contains(&format!(
            "REPLICAOF 127.0.0.1:{nowhere} enabled (user request from 'id="
        )),
        "{log}"
    );
    assert!(log.contains("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed."), "{log}");
}

#[test]
fn replicaof_refused_to_a_client_that_is_a_replica() {
    let master = Server::start(&[]);
    let mut s = raw(master.port());
    send_raw(&mut s, b"SYNC\r\n");
    send_raw(&mut s, b"REPLICAOF 127.0.0.1 1\r\n");
    let want = b"-ERR Command is not valid when client is a replica.\r\n";
    let deadline = Instant::now() + T;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    while !got.windows(want.len()).any(|w| w == want) {
        assert!(
            Instant::now() < deadline,
            "no refusal in {:?}",
            String::from_utf8_lossy(&got)
        );
        match s.read(&mut buf) {
            Ok(0) => panic!("closed: {:?}", String::from_utf8_lossy(&got)),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if e.kind() == ErrorKind::WouldBlock
                    || e.kind() == ErrorKind::TimedOut => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(master.info("role"), "master");
}

#[test]
fn role_command_of_a_replica_and_of_its_master() {
    let master = Server::start(&[]);
    let replica = replica_of(&master, &["--replica-announce-port", "4567"]);
    wait_link_up(&replica);
    master.cmd(&["SET", "x", "1"]);
    wait_caught_up(&master, &replica);

    // Retried: a PING from the master may move the offset in between.
    wait_for(T, || {
        let offset = master.info("master_repl_offset");
        let reply = raw_reply(replica.port(), b"ROLE\r\n");
        let want = format!(
            "*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:{}\r\n$9\r\nconnected\r\n:{}\r\n",
            master.port(),
            offset
        );
        String::from_utf8_lossy(&reply) == want
    });

    // The master lists it with the announced port (REPLCONF listening-port
    // sends replica-announce-port instead of our port).
    wait_for(T, || {
        let r = raw_reply(master.port(), b"ROLE\r\n");
        String::from_utf8_lossy(&r).contains("$4\r\n4567\r\n")
    });
}

// ------------------------- a scripted master -------------------------

/// A master played by the test: it accepts the replica's connection and
/// the test reads the replica's commands and writes the replies byte by
/// byte.
struct FakeMaster {
    listener: TcpListener,
}

impl FakeMaster {
    fn new() -> FakeMaster {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).unwrap();
        FakeMaster { listener }
    }

    fn port(&self) -> String {
        self.listener.local_addr().unwrap().port().to_string()
    }

    /// Waits for the replica to connect (the cron connects once a second).
    #[track_caller]
    fn accept(&self) -> TcpStream {
        let deadline = Instant::now() + T;
        loop {
            match self.listener.accept() {
                Ok((s, _)) => {
                    s.set_nonblocking(false).unwrap();
                    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                    s.set_nodelay(true).unwrap();
                    return s;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    assert!(
                        Instant::now() < deadline,
                        "the replica never connected"
                    );
                    sleep(Duration::from_millis(10));
                }
                Err(e) => panic!("accept: {e}"),
            }
        }
    }
}

/// One line from the replica, without its CRLF (or LF).
#[track_caller]
fn read_line(s: &mut TcpStream) -> Vec<u8> {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    loop {
        match s.read(&mut b) {
            Ok(1) if b[0] == b'\n' => break,
            Ok(1) => line.push(b[0]),
            Ok(_) => {
                panic!("closed after {:?}", String::from_utf8_lossy(&line))
            }
            Err(e) => {
                panic!("read: {e} after {:?}", String::from_utf8_lossy(&line))
            }
        }
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    line
}

/// One command from the replica, multibulk or inline, as its arguments.
#[track_caller]
fn read_command(s: &mut TcpStream) -> Vec<String> {
    let line = read_line(s);
    if line.first() != Some(&b'*') {
        return String::from_utf8_lossy(&line)
            .split(' ')
            .map(str::to_string)
            .collect();
    }
    let n: usize =
        String::from_utf8_lossy(&line[1..]).parse().expect("multibulk count");
    let mut args = Vec::new();
    for _ in 0..n {
        let len_line = read_line(s);
        let len: usize =
            String::from_utf8_lossy(&len_line[1..]).parse().expect("bulk len");
        let mut arg = vec![0u8; len + 2];
        s.read_exact(&mut arg).expect("bulk");
        arg.truncate(len);
        args.push(String::from_utf8_lossy(&arg).into_owned());
    }
    args
}

/// A version 9 RDB holding string keys in DB 0, with the checksum
/// disabled (eight zero bytes), which the loader accepts.
fn small_rdb(keys: &[(&str, &str)]) -> Vec<u8> {
    let mut v = b"REDIS0009".to_vec();
    v.extend_from_slice(&[0xFE, 0x00]); // SELECTDB 0
    for (k, val) in keys {
        v.push(0x00); // RDB_TYPE_STRING
        v.push(k.len() as u8);
        v.extend_from_slice(k.as_bytes());
        v.push(val.len() as u8);
        v.extend_from_slice(val.as_bytes());
    }
    v.push(0xFF); // EOF
    v.extend_from_slice(&[0u8; 8]);
    v
}

fn resp(args: &[&str]) -> Vec<u8> {
    let mut v = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        v.extend_from_slice(format!("${}\r\n{}\r\n", a.len(), a).as_bytes());
    }
    v
}

const REPLID_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const REPLID_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const EOFMARK: &str = "0123456789abcdef0123456789abcdef01234567";

/// Walks the replica through the handshake up to its PSYNC, checking every
/// command it sends; returns the PSYNC arguments.
#[track_caller]
fn handshake(
    s: &mut TcpStream,
    replica_port: u16,
    auth: Option<&str>,
) -> Vec<String> {
    assert_eq!(read_command(s), ["PING"]);
    s.write_all(b"+PONG\r\n").unwrap();
    if let Some(pass) = auth {
        assert_eq!(read_command(s), ["AUTH", pass]);
        s.write_all(b"+OK\r\n").unwrap();
    }
    assert_eq!(
        read_command(s),
        ["REPLCONF", "listening-port", &replica_port.to_string()]
    );
    s.write_all(b"+OK\r\n").unwrap();
    assert_eq!(read_command(s), ["REPLCONF", "capa", "eof", "capa", "psync2"]);
    s.write_all(b"+OK\r\n").unwrap();
    let psync = read_command(s);
    assert_eq!(psync[0], "PSYNC");
    psync
}

#[test]
fn sync_with_master_handshake_keepalives_and_eof_payload() {
    let fake = FakeMaster::new();
    let replica = Server::start(&[
        "--replicaof",
        "127.0.0.1",
        &fake.port(),
        "--masterauth",
        "s3cret",
    ]);
    let mut s = fake.accept();
    let psync = handshake(&mut s, replica.port(), Some("s3cret"));
    assert_eq!(psync, ["PSYNC", "?", "-1"]);

    // Newlines before the reply are keep-alives (PSYNC_WAIT_REPLY), and so
    // are newlines before the bulk length.
    s.write_all(b"\n").unwrap();
    sleep(Duration::from_millis(100));
    s.write_all(format!("+FULLRESYNC {REPLID_A} 100\r\n").as_bytes()).unwrap();
    s.write_all(b"\n").unwrap();
    sleep(Duration::from_millis(100));
    s.write_all(b"\n").unwrap();
    wait_for(T, || replica.info("master_sync_in_progress") == "1");
    s.write_all(format!("$EOF:{EOFMARK}\r\n").as_bytes()).unwrap();
    s.write_all(&small_rdb(&[("foo", "bar"), ("k2", "v2")])).unwrap();
    s.write_all(EOFMARK.as_bytes()).unwrap();

    wait_link_up(&replica);
    assert_eq!(replica.cmd_str(&["GET", "foo"]), "bar");
    assert_eq!(replica.info("master_replid"), REPLID_A);
    assert_eq!(replica.info("master_repl_offset"), "100");
    assert_eq!(replica.info("slave_repl_offset"), "100");

    // The stream after the payload is applied, and acknowledged.
    let cmd = resp(&["SET", "streamed", "yes"]);
    s.write_all(&cmd).unwrap();
    let want = (100 + cmd.len()).to_string();
    wait_for(T, || replica.info("slave_repl_offset") == want);
    assert_eq!(replica.cmd_str(&["GET", "streamed"]), "yes");
    loop {
        let ack = read_command(&mut s);
        assert_eq!(&ack[..2], ["REPLCONF", "ACK"]);
        if ack[2] == want {
            break;
        }
    }
    let log = replica.log();
    assert!(
        log.contains(
            "MASTER <-> REPLICA sync: receiving streamed RDB from master"
        ),
        "{log}"
    );
}

#[test]
fn slave_try_partial_resynchronization_err_falls_back_to_sync() {
    let fake = FakeMaster::new();
    let replica = Server::start(&["--replicaof", "127.0.0.1", &fake.port()]);
    let mut s = fake.accept();
    handshake(&mut s, replica.port(), None);
    s.write_all(b"-ERR unknown command 'PSYNC'\r\n").unwrap();
    assert_eq!(read_command(&mut s), ["SYNC"]);
    let rdb = small_rdb(&[("old", "master")]);
    s.write_all(format!("${}\r\n", rdb.len()).as_bytes()).unwrap();
    s.write_all(&rdb).unwrap();
    wait_link_up(&replica);
    assert_eq!(replica.cmd_str(&["GET", "old"]), "master");
    let log = replica.log();
    assert!(
        log.contains("Master does not support PSYNC or is in error state (reply: -ERR unknown command 'PSYNC')"),
        "{log}"
    );
    assert!(log.contains("Retrying with SYNC..."), "{log}");
    // A master without PSYNC gets no REPLCONF ACK (CLIENT_PRE_PSYNC): the
    // next thing on the wire is nothing at all.
    s.set_read_timeout(Some(Duration::from_millis(2500))).unwrap();
    let mut b = [0u8; 1];
    match s.read(&mut b) {
        Err(e)
            if e.kind() == ErrorKind::WouldBlock
                || e.kind() == ErrorKind::TimedOut => {}
        other => panic!("unexpected bytes from the replica: {other:?} {b:?}"),
    }
}

#[test]
fn read_sync_bulk_payload_reports_progress_in_info() {
    let fake = FakeMaster::new();
    let replica = Server::start(&["--replicaof", "127.0.0.1", &fake.port()]);
    let mut s = fake.accept();
    handshake(&mut s, replica.port(), None);
    s.write_all(format!("+FULLRESYNC {REPLID_A} 0\r\n").as_bytes()).unwrap();
    let rdb = small_rdb(&[("a", "1"), ("b", "2"), ("c", "3")]);
    s.write_all(format!("${}\r\n", rdb.len()).as_bytes()).unwrap();
    s.write_all(&rdb[..10]).unwrap();
    let left = (rdb.len() - 10).to_string();
    wait_for(T, || replica.info("master_sync_left_bytes") == left);
    assert_eq!(replica.info("master_sync_in_progress"), "1");
    assert_eq!(replica.info("master_link_status"), "down");
    let last_io: i64 =
        replica.info("master_sync_last_io_seconds_ago").parse().unwrap();
    assert!((0..=2).contains(&last_io));
    // A temp-<unixtime>.<pid>.rdb file is being written.
    let temp: Vec<_> = std::fs::read_dir(replica.dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n.starts_with("temp-")
                && n.ends_with(&format!(".{}.rdb", replica.pid()))
        })
        .collect();
    assert_eq!(temp.len(), 1, "{temp:?}");
    s.write_all(&rdb[10..]).unwrap();
    wait_link_up(&replica);
    assert_eq!(replica.cmd_str(&["DBSIZE"]), "3");
    assert!(replica.log().contains(&format!(
        "MASTER <-> REPLICA sync: receiving {} bytes from master",
        rdb.len()
    )));
    assert!(
        !replica.dir().join(&temp[0]).exists(),
        "the temp file was renamed"
    );
}

#[test]
fn replication_cron_transfer_timeout_cancels_and_removes_the_temp_file() {
    let fake = FakeMaster::new();
    let replica = Server::start(&[
        "--replicaof",
        "127.0.0.1",
        &fake.port(),
        "--repl-timeout",
        "1",
    ]);
    let mut s = fake.accept();
    handshake(&mut s, replica.port(), None);
    s.write_all(format!("+FULLRESYNC {REPLID_A} 0\r\n").as_bytes()).unwrap();
    s.write_all(b"$1000\r\nREDIS").unwrap();
    wait_for(T, || {
        replica.log().contains(
            "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.",
        )
    });
    // The replica tries again, from scratch.
    let mut s2 = fake.accept();
    assert_eq!(read_command(&mut s2), ["PING"]);
    let temps = std::fs::read_dir(replica.dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("temp-"))
        .count();
    assert_eq!(temps, 0, "the aborted transfer's temp file is unlinked");
    drop(s);
}

#[test]
fn replication_cron_handshake_timeout() {
    let fake = FakeMaster::new();
    let replica = Server::start(&[
        "--replicaof",
        "127.0.0.1",
        &fake.port(),
        "--repl-timeout",
        "1",
    ]);
    let mut s = fake.accept();
    assert_eq!(read_command(&mut s), ["PING"]);
    // No PONG.
    wait_for(T, || {
        replica.log().contains("Timeout connecting to the MASTER...")
    });
    assert_eq!(replica.info("master_link_status"), "down");
    let mut s2 = fake.accept();
    assert_eq!(read_command(&mut s2), ["PING"]);
}

#[test]
fn master_timeout_caches_the_master_and_psync_continue_with_a_new_replid() {
    let fake = FakeMaster::new();
    let replica = Server::start(&[
        "--replicaof",
        "127.0.0.1",
        &fake.port(),
        "--repl-timeout",
        "2",
    ]);
    let mut s = fake.accept();
    handshake(&mut s, replica.port(), None);
    s.write_all(format!("+FULLRESYNC {REPLID_A} 1000\r\n").as_bytes()).unwrap();
    let rdb = small_rdb(&[("k", "v")]);
    s.write_all(format!("${}\r\n", rdb.len()).as_bytes()).unwrap();
    s.write_all(&rdb).unwrap();
    let cmd = resp(&["SET", "k", "v2"]);
    s.write_all(&cmd).unwrap();
    wait_link_up(&replica);
    let applied = 1000 + cmd.len();
    wait_for(T, || replica.info("slave_repl_offset") == applied.to_string());

    // The master goes silent: after repl-timeout the replica drops it,
    // caches it, and asks to continue right after the last byte applied.
    wait_for(T, || {
        replica.log().contains("MASTER timeout: no data nor PING received...")
    });
    let log = replica.log();
    assert!(log.contains("Connection with master lost."), "{log}");
    assert!(log.contains("Caching the disconnected master state."), "{log}");
    // While the link is down the cached master still tells the offset.
    assert_eq!(replica.info("slave_repl_offset"), applied.to_string());

    let mut s2 = fake.accept();
    let psync = handshake(&mut s2, replica.port(), None);
    assert_eq!(psync, ["PSYNC", REPLID_A, &(applied + 1).to_string()]);
    // PSYNC2: the master continues under a new replication ID.
    s2.write_all(format!("+CONTINUE {REPLID_B}\r\n").as_bytes()).unwrap();
    let cmd2 = resp(&["SET", "after", "continue"]);
    s2.write_all(&cmd2).unwrap();
    wait_link_up(&replica);
    let applied2 = applied + cmd2.len();
    wait_for(T, || replica.info("slave_repl_offset") == applied2.to_string());
    assert_eq!(replica.cmd_str(&["GET", "after"]), "continue");
    assert_eq!(replica.cmd_str(&["GET", "k"]), "v2", "no full sync happened");
    assert_eq!(replica.info("master_replid"), REPLID_B);
    assert_eq!(replica.info("master_replid2"), REPLID_A);
    assert_eq!(replica.info("second_repl_offset"), (applied + 1).to_string());
    let log = replica.log();
    assert!(
        log.contains(&format!(
            "Trying a partial resynchronization (request {REPLID_A}:{}).",
            applied + 1
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!("Master replication ID changed to {REPLID_B}")),
        "{log}"
    );
    // The ACKs continue on the new link.
    assert_eq!(&read_ack(&mut s2)[..2], ["REPLCONF", "ACK"]);
}

/// The next REPLCONF ACK from the replica.
#[track_caller]
fn read_ack(s: &mut TcpStream) -> Vec<String> {
    loop {
        let cmd = read_command(s);
        if cmd.len() == 3 && cmd[0] == "REPLCONF" && cmd[1] == "ACK" {
            return cmd;
        }
    }
}

#[test]
fn slave_try_partial_resynchronization_try_later_on_loading() {
    let fake = FakeMaster::new();
    let replica = Server::start(&["--replicaof", "127.0.0.1", &fake.port()]);
    let mut s = fake.accept();
    handshake(&mut s, replica.port(), None);
    s.write_all(b"-LOADING Redis is loading the dataset in memory\r\n")
        .unwrap();
    // PSYNC_TRY_LATER: the link is closed and the handshake starts over.
    let mut s2 = fake.accept();
    assert_eq!(read_command(&mut s2), ["PING"]);
    let log = replica.log();
    assert!(
        log.contains("Master is currently unable to PSYNC but should be in the future: -LOADING Redis is loading the dataset in memory"),
        "{log}"
    );
    drop(s);
}

#[test]
fn sync_with_master_error_reply_to_ping() {
    let fake = FakeMaster::new();
    let replica = Server::start(&["--replicaof", "127.0.0.1", &fake.port()]);
    let mut s = fake.accept();
    assert_eq!(read_command(&mut s), ["PING"]);
    s.write_all(b"-ERR something odd\r\n").unwrap();
    wait_for(T, || {
        replica
            .log()
            .contains("Error reply to PING from master: '-ERR something odd'")
    });
    // A -NOAUTH reply is accepted, since AUTH comes next.
    let mut s2 = fake.accept();
    assert_eq!(read_command(&mut s2), ["PING"]);
    s2.write_all(b"-NOAUTH Authentication required.\r\n").unwrap();
    assert_eq!(read_command(&mut s2)[..2], ["REPLCONF", "listening-port"]);
}

#[test]
fn replica_announce_ip_is_sent_with_replconf_ip_address() {
    let fake = FakeMaster::new();
    let replica = Server::start(&[
        "--replicaof",
        "127.0.0.1",
        &fake.port(),
        "--replica-announce-ip",
        "10.1.2.3",
    ]);
    let mut s = fake.accept();
    assert_eq!(read_command(&mut s), ["PING"]);
    s.write_all(b"+PONG\r\n").unwrap();
    assert_eq!(read_command(&mut s)[..2], ["REPLCONF", "listening-port"]);
    s.write_all(b"-ERR unknown\r\n").unwrap();
    assert_eq!(read_command(&mut s), ["REPLCONF", "ip-address", "10.1.2.3"]);
    s.write_all(b"+OK\r\n").unwrap();
    assert_eq!(
        read_command(&mut s),
        ["REPLCONF", "capa", "eof", "capa", "psync2"]
    );
    let log = replica.log();
    assert!(
        log.contains("(Non critical) Master does not understand REPLCONF listening-port: -ERR unknown"),
        "{log}"
    );
}

#[test]
fn replication_set_master_disconnects_blocked_clients_with_unblocked() {
    let server = Server::start(&[]);
    let mut blocked = raw(server.port());
    send_raw(&mut blocked, b"BLPOP nolist 0\r\n");
    wait_for(T, || server.info("blocked_clients") == "1");
    let nowhere = free_port().to_string();
    server.cmd(&["REPLICAOF", "127.0.0.1", &nowhere]);
    let r = read_until_close_or_timeout(&mut blocked, Duration::from_secs(5));
    assert_eq!(
        r.text(),
        "-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n"
    );
    assert!(r.closed, "the blocked client is disconnected");
    assert_eq!(server.info("blocked_clients"), "0");
}

#[test]
fn replica_serve_stale_data_no_refuses_reads_while_the_link_is_down() {
    let nowhere = free_port().to_string();
    let replica = Server::start(&[
        "--replicaof",
        "127.0.0.1",
        &nowhere,
        "--replica-serve-stale-data",
        "no",
    ]);
    assert_eq!(
        raw_reply(replica.port(), b"GET a\r\n"),
        b"-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n"
    );
    // INFO is flagged "stale"-safe and still answers.
    assert_eq!(replica.info("master_link_status"), "down");
    // replicationCron connects; under load its first run may come after
    // the replies above.
    wait_for(T, || {
        replica
            .log()
            .contains(&format!("Connecting to MASTER 127.0.0.1:{nowhere}"))
    });
    wait_for(T, || {
        replica
            .log()
            .contains("Error condition on socket for SYNC: Connection refused")
    });
}
