//! The master side of replication (replication.c, MASTER, MIN-SLAVES,
//! WAIT and the master half of the cron) against a real peer: Debian's
//! redis-server 7.0 as a replica of oxredis. Disk-based and diskless full
//! sync, the stream of writes after it, PSYNC after a killed link, WAIT,
//! min-replicas-to-write; plus byte-exact replies of SYNC/PSYNC/REPLCONF
//! on a raw socket.
//!
//! Test names follow the Tcl titles of tests/integration/replication*.tcl
//! where there is one, otherwise the C function and the case.

mod util;

use std::io::Read;
use std::time::{Duration, Instant};

use util::{find_binary, raw, read_reply, send_raw, wait_for, Server};

const SYNC_TIMEOUT: Duration = Duration::from_secs(30);

/// A Redis 7.0 replica of `master`.
fn start_replica_of(master: &Server, extra: &[&str]) -> Server {
    let port = master.port_str();
    let mut args = vec!["--replicaof", "127.0.0.1", port.as_str()];
    args.extend_from_slice(extra);
    Server::start_binary(&find_binary("redis-server"), &args)
}

/// Waits until the replica reports the link up and the master lists it
/// online.
#[track_caller]
fn wait_for_sync(master: &Server, replica: &Server) {
    wait_for(SYNC_TIMEOUT, || {
        replica.info("master_link_status") == "up"
            && master.info("slave0").contains("state=online")
    });
}

/// Waits until the replica has processed everything the master produced
/// so far.
#[track_caller]
fn wait_for_ofs_sync(master: &Server, replica: &Server) {
    let target: i64 = master.info("master_repl_offset").parse().unwrap();
    wait_for(SYNC_TIMEOUT, || {
        replica.info("slave_repl_offset").parse::<i64>().unwrap_or(-1) >= target
    });
}

fn digest(s: &Server) -> String {
    s.cmd_str(&["DEBUG", "DIGEST"])
}

/// A mixed write load over two databases: every kind of command the
/// replica must see in order, SELECTs between them.
fn write_load(s: &Server, round: usize, n: usize) {
    let mut con = s.client();
    for i in 0..n {
        let key = format!("key:{round}:{i}");
        let db = i % 2;
        let _: () = redis::cmd("SELECT").arg(db).query(&mut con).unwrap();
        let _: () = redis::cmd("SET")
            .arg(&key)
            .arg(format!("v{i}"))
            .query(&mut con)
            .unwrap();
        let _: i64 = redis::cmd("INCR")
            .arg(format!("counter:{db}"))
            .query(&mut con)
            .unwrap();
        let _: i64 =
            redis::cmd("APPEND").arg(&key).arg("x").query(&mut con).unwrap();
        if i % 7 == 0 {
            let _: i64 = redis::cmd("DEL").arg(&key).query(&mut con).unwrap();
        }
        if i % 5 == 0 {
            let _: i64 = redis::cmd("RPUSH")
                .arg(format!("list:{db}"))
                .arg(i)
                .query(&mut con)
                .unwrap();
            let _: i64 = redis::cmd("SADD")
                .arg(format!("set:{db}"))
                .arg(i)
                .query(&mut con)
                .unwrap();
            let _: i64 = redis::cmd("HSET")
                .arg(format!("hash:{db}"))
                .arg(&key)
                .arg(i)
                .query(&mut con)
                .unwrap();
            let _: i64 = redis::cmd("ZADD")
                .arg(format!("zset:{db}"))
                .arg(i)
                .arg(&key)
                .query(&mut con)
                .unwrap();
        }
        if i % 11 == 0 {
            // Absolute expiry: the same on both sides, so in the digest too.
            let _: i64 = redis::cmd("PEXPIREAT")
                .arg(&key)
                .arg(4_000_000_000_000i64)
                .query(&mut con)
                .unwrap();
        }
    }
}

/// Reads from a raw socket until `want` bytes arrived (or panics after the
/// timeout).
fn read_exactly(s: &mut std::net::TcpStream, want: usize) -> Vec<u8> {
    let mut out = vec![0u8; want];
    s.read_exact(&mut out).expect("read_exact");
    out
}

/// Reads one "\r\n"-terminated line, skipping the bare "\n" keep-alives a
/// master sends while the RDB is being prepared.
fn read_line_skipping_newlines(s: &mut std::net::TcpStream) -> String {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    loop {
        s.read_exact(&mut b).expect("read");
        if line.is_empty() && b[0] == b'\n' {
            continue;
        }
        line.push(b[0]);
        if line.ends_with(b"\r\n") {
            return String::from_utf8_lossy(&line).into_owned();
        }
    }
}

// ------------------------------ full sync --------------------------------

#[test]
fn replica_7_0_disk_based_full_sync_then_writes_digests_equal() {
    let master = Server::start(&[]);
    write_load(&master, 0, 300);
    let replica = start_replica_of(&master, &[]);
    wait_for_sync(&master, &replica);

    assert!(master
        .log()
        .contains("Starting BGSAVE for SYNC with target: disk"));
    assert!(master.log().contains("Synchronization with replica 127.0.0.1:"));
    assert_eq!(master.info("sync_full"), "1");
    assert_eq!(master.info("connected_slaves"), "1");
    // INFO replication lists it as 5.0 does.
    let slave0 = master.info("slave0");
    assert!(
        slave0.starts_with(&format!(
            "ip=127.0.0.1,port={},state=online,offset=",
            replica.port()
        )),
        "{slave0}"
    );

    write_load(&master, 1, 500);
    wait_for_ofs_sync(&master, &replica);
    assert_eq!(digest(&master), digest(&replica));
    assert_eq!(
        replica.cmd_str(&["GET", "counter:0"]),
        master.cmd_str(&["GET", "counter:0"])
    );
}

#[test]
fn replica_7_0_diskless_full_sync_then_writes_digests_equal() {
    let master = Server::start(&[
        "--repl-diskless-sync",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
    ]);
    write_load(&master, 0, 300);
    let replica = start_replica_of(&master, &[]);
    wait_for_sync(&master, &replica);

    let log = master.log();
    assert!(
        log.contains("Starting BGSAVE for SYNC with target: replicas sockets"),
        "{log}"
    );
    assert!(log.contains("Background RDB transfer started by pid"));
    assert!(log.contains("correctly received the streamed RDB file."));
    assert!(log.contains("Streamed RDB transfer with replica"));
    assert!(!log.contains("Background saving started"));

    write_load(&master, 1, 500);
    wait_for_ofs_sync(&master, &replica);
    assert_eq!(digest(&master), digest(&replica));
}

#[test]
fn two_replicas_attach_to_the_same_disk_bgsave() {
    // A slow-ish first BGSAVE is not needed: the second replica attaches
    // either to the running BGSAVE (copying the first one's buffer) or
    // waits for the next; both must end in sync.
    let master = Server::start(&[]);
    write_load(&master, 0, 2000);
    let r1 = start_replica_of(&master, &[]);
    let r2 = start_replica_of(&master, &[]);
    wait_for(SYNC_TIMEOUT, || {
        r1.info("master_link_status") == "up"
            && r2.info("master_link_status") == "up"
            && master.info("slave1").contains("state=online")
    });
    write_load(&master, 1, 300);
    wait_for_ofs_sync(&master, &r1);
    wait_for_ofs_sync(&master, &r2);
    let d = digest(&master);
    assert_eq!(d, digest(&r1));
    assert_eq!(d, digest(&r2));
    assert_eq!(master.info("connected_slaves"), "2");
}

// ---------------------------- partial resync -----------------------------

#[test]
fn client_kill_type_slave_then_partial_resync() {
    let master = Server::start(&[]);
    let replica = start_replica_of(&master, &[]);
    wait_for_sync(&master, &replica);
    write_load(&master, 0, 200);
    wait_for_ofs_sync(&master, &replica);

    let full_before: i64 = master.info("sync_full").parse().unwrap();
    let ok_before: i64 = master.info("sync_partial_ok").parse().unwrap();
    let killed = master.cmd_str(&["CLIENT", "KILL", "TYPE", "slave"]);
    assert_eq!(killed, "1");

    // Writes while the link is down land in the backlog only.
    write_load(&master, 1, 200);
    wait_for(SYNC_TIMEOUT, || {
        master.info("sync_partial_ok").parse::<i64>().unwrap() == ok_before + 1
            && master.info("slave0").contains("state=online")
    });
    assert_eq!(master.info("sync_full").parse::<i64>().unwrap(), full_before);
    assert!(master
        .log()
        .contains("Partial resynchronization request from 127.0.0.1:"));

    write_load(&master, 2, 100);
    wait_for_ofs_sync(&master, &replica);
    assert_eq!(digest(&master), digest(&replica));
}

#[test]
fn psync_with_wrong_replid_is_not_accepted() {
    let master = Server::start(&[]);
    let mut s = raw(master.port());
    send_raw(&mut s, b"PSYNC 0123456789012345678901234567890123456789 1\r\n");
    let line = read_line_skipping_newlines(&mut s);
    assert!(line.starts_with("+FULLRESYNC "), "{line}");
    let parts: Vec<&str> = line.trim_end().split(' ').collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[1].len(), 40);
    assert_eq!(parts[1], master.info("master_replid"));
    assert_eq!(master.info("sync_partial_err"), "1");
    assert_eq!(master.info("sync_full"), "1");
    assert!(master.log().contains(
        "Partial resynchronization not accepted: Replication ID mismatch"
    ));

    // Then the RDB, as a "$<len>" bulk (disk target).
    let bulk = read_line_skipping_newlines(&mut s);
    assert!(bulk.starts_with('$'), "{bulk}");
    let len: usize = bulk[1..bulk.len() - 2].parse().unwrap();
    let rdb = read_exactly(&mut s, len);
    assert_eq!(&rdb[..5], b"REDIS");
}

#[test]
fn psync_within_the_backlog_gets_continue_and_the_missing_bytes() {
    let master = Server::start(&[]);
    // A first replica creates the backlog.
    let mut s1 = raw(master.port());
    send_raw(&mut s1, b"REPLCONF capa psync2\r\n");
    assert_eq!(read_reply(&mut s1), b"+OK\r\n");
    send_raw(&mut s1, b"PSYNC ? -1\r\n");
    let line = read_line_skipping_newlines(&mut s1);
    let parts: Vec<String> =
        line.trim_end().split(' ').map(String::from).collect();
    assert_eq!(parts[0], "+FULLRESYNC");
    let replid = parts[1].clone();
    let offset: i64 = parts[2].parse().unwrap();

    master.cmd(&["SET", "foo", "bar"]);
    // A second connection asks to continue from the offset after the
    // FULLRESYNC one: it gets +CONTINUE <replid> and the stream since.
    let mut s2 = raw(master.port());
    send_raw(&mut s2, b"REPLCONF capa eof capa psync2\r\n");
    assert_eq!(read_reply(&mut s2), b"+OK\r\n");
    send_raw(&mut s2, format!("PSYNC {replid} {}\r\n", offset + 1).as_bytes());
    let cont = read_line_skipping_newlines(&mut s2);
    assert_eq!(cont, format!("+CONTINUE {replid}\r\n"));
    let want = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$3\r\nbar\r\n";
    assert_eq!(read_exactly(&mut s2, want.len()), want.to_vec());
    assert_eq!(master.info("sync_partial_ok"), "1");
    assert!(master.log().contains(&format!(
        "accepted. Sending {} bytes of backlog starting from offset {}.",
        want.len(),
        offset + 1
    )));

    // Without capa psync2 the reply is the old "+CONTINUE".
    let mut s3 = raw(master.port());
    send_raw(&mut s3, format!("PSYNC {replid} {}\r\n", offset + 1).as_bytes());
    assert_eq!(read_line_skipping_newlines(&mut s3), "+CONTINUE\r\n");
}

// --------------------------------- WAIT ----------------------------------

#[test]
fn wait_returns_the_number_of_replicas_that_acknowledged() {
    let master = Server::start(&[]);
    let replica = start_replica_of(&master, &[]);
    wait_for_sync(&master, &replica);

    let mut con = master.client();
    let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut con).unwrap();
    let started = Instant::now();
    let n: i64 = redis::cmd("WAIT").arg(1).arg(5000).query(&mut con).unwrap();
    assert_eq!(n, 1);
    assert!(started.elapsed() < Duration::from_secs(4));

    // Asking for more replicas than exist times out with the count.
    let _: () = redis::cmd("SET").arg("k").arg("v2").query(&mut con).unwrap();
    let started = Instant::now();
    let n: i64 = redis::cmd("WAIT").arg(2).arg(300).query(&mut con).unwrap();
    assert_eq!(n, 1);
    assert!(started.elapsed() >= Duration::from_millis(250));
}

#[test]
fn wait_errors_byte_exact() {
    let master = Server::start(&[]);
    let mut s = raw(master.port());
    send_raw(&mut s, b"WAIT x 0\r\n");
    assert_eq!(
        read_reply(&mut s),
        b"-ERR value is not an integer or out of range\r\n"
    );
    send_raw(&mut s, b"WAIT 0 -1\r\n");
    assert_eq!(read_reply(&mut s), b"-ERR timeout is negative\r\n");
    // No replicas, none wanted: 0 at once.
    send_raw(&mut s, b"WAIT 0 0\r\n");
    assert_eq!(read_reply(&mut s), b":0\r\n");
}

// -------------------------- min-replicas-to-write --------------------------

#[test]
fn min_replicas_to_write_refuses_writes_when_the_replica_goes_away() {
    let master = Server::start(&[
        "--min-replicas-to-write",
        "1",
        "--min-replicas-max-lag",
        "10",
    ]);
    // No replica yet: refused.
    let mut s = raw(master.port());
    send_raw(&mut s, b"SET a 1\r\n");
    assert_eq!(
        read_reply(&mut s),
        b"-NOREPLICAS Not enough good replicas to write.\r\n"
    );

    let mut replica = start_replica_of(&master, &[]);
    wait_for_sync(&master, &replica);
    wait_for(SYNC_TIMEOUT, || master.info("min_slaves_good_slaves") == "1");
    send_raw(&mut s, b"SET a 1\r\n");
    assert_eq!(read_reply(&mut s), b"+OK\r\n");

    replica.kill9();
    wait_for(SYNC_TIMEOUT, || master.info("connected_slaves") == "0");
    assert_eq!(master.info("min_slaves_good_slaves"), "0");
    send_raw(&mut s, b"SET a 2\r\n");
    assert_eq!(
        read_reply(&mut s),
        b"-NOREPLICAS Not enough good replicas to write.\r\n"
    );
    // Reads still work.
    send_raw(&mut s, b"GET a\r\n");
    assert_eq!(read_reply(&mut s), b"$1\r\n1\r\n");
}

// ------------------------- REPLCONF and SYNC replies -------------------------

#[test]
fn replconf_replies_byte_exact() {
    let master = Server::start(&[]);
    let mut s = raw(master.port());
    send_raw(&mut s, b"REPLCONF listening-port 6380 capa eof capa psync2\r\n");
    assert_eq!(read_reply(&mut s), b"+OK\r\n");
    send_raw(&mut s, b"REPLCONF listening-port\r\n");
    assert_eq!(read_reply(&mut s), b"-ERR syntax error\r\n");
    send_raw(&mut s, b"REPLCONF foo bar\r\n");
    assert_eq!(
        read_reply(&mut s),
        b"-ERR Unrecognized REPLCONF option: foo\r\n"
    );
    send_raw(&mut s, b"REPLCONF listening-port abc\r\n");
    assert_eq!(
        read_reply(&mut s),
        b"-ERR value is not an integer or out of range\r\n"
    );
    let long_ip = "1".repeat(46);
    send_raw(&mut s, format!("REPLCONF ip-address {long_ip}\r\n").as_bytes());
    assert_eq!(
        read_reply(&mut s),
        b"-ERR REPLCONF ip-address provided by replica instance is too long: 46 bytes\r\n"
    );
    // ACK from a client that is not a replica: no reply at all; the next
    // command's reply comes first.
    send_raw(&mut s, b"REPLCONF ACK 10\r\nPING\r\n");
    assert_eq!(read_reply(&mut s), b"+PONG\r\n");
    send_raw(&mut s, b"REPLCONF\r\n");
    assert_eq!(read_reply(&mut s), b"+OK\r\n");
}

#[test]
fn sync_sends_the_rdb_and_then_the_stream() {
    // The old SYNC: no +FULLRESYNC line, the RDB bulk, then the commands.
    let master = Server::start(&[]);
    master.cmd(&["SET", "before", "1"]);
    let mut s = raw(master.port());
    send_raw(&mut s, b"SYNC\r\n");
    let bulk = read_line_skipping_newlines(&mut s);
    assert!(bulk.starts_with('$'), "{bulk}");
    let len: usize = bulk[1..bulk.len() - 2].parse().unwrap();
    let rdb = read_exactly(&mut s, len);
    assert_eq!(&rdb[..9], b"REDIS0009");
    wait_for(SYNC_TIMEOUT, || master.info("slave0").contains("state=online"));
    master.cmd(&["SET", "after", "2"]);
    // replicationCron's PING to replicas may come first (its first round
    // after the replica arrived).
    let mut first = read_reply(&mut s);
    while first == b"*1\r\n$4\r\nPING\r\n" {
        first = read_reply(&mut s);
    }
    assert_eq!(first, b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n");
    let want = b"*3\r\n$3\r\nSET\r\n$5\r\nafter\r\n$1\r\n2\r\n";
    assert_eq!(read_exactly(&mut s, want.len()), want.to_vec());
    // A SYNC client is PRE_PSYNC: it is never timed out for missing ACKs,
    // and a second SYNC on it is ignored.
    assert!(master.log().contains(
        "Replica 127.0.0.1:<unknown-replica-port> asks for synchronization"
    ));
}

#[test]
fn role_on_a_master_lists_online_replicas() {
    let master = Server::start(&[]);
    let mut s = raw(master.port());
    send_raw(&mut s, b"ROLE\r\n");
    assert_eq!(read_reply(&mut s), b"*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n");
    let replica = start_replica_of(&master, &[]);
    wait_for_sync(&master, &replica);
    wait_for_ofs_sync(&master, &replica);
    let v = master.cmd(&["ROLE"]);
    let redis::Value::Array(items) = v else { panic!("{v:?}") };
    assert_eq!(items.len(), 3);
    let redis::Value::Array(slaves) = &items[2] else { panic!() };
    assert_eq!(slaves.len(), 1);
    let redis::Value::Array(one) = &slaves[0] else { panic!() };
    assert_eq!(util::value_to_string(&one[0]).unwrap(), "127.0.0.1");
    assert_eq!(util::value_to_string(&one[1]).unwrap(), replica.port_str());
}

#[test]
fn info_replication_fields_of_a_master() {
    let master = Server::start(&["--repl-backlog-size", "32768"]);
    assert_eq!(master.info("role"), "master");
    assert_eq!(master.info("connected_slaves"), "0");
    assert_eq!(master.info("repl_backlog_active"), "0");
    assert_eq!(master.info("master_replid2"), "0".repeat(40));
    assert_eq!(master.info("second_repl_offset"), "-1");
    let replica = start_replica_of(&master, &[]);
    wait_for_sync(&master, &replica);
    assert_eq!(master.info("repl_backlog_active"), "1");
    assert_eq!(master.info("repl_backlog_size"), "32768");
    assert_eq!(master.info("repl_backlog_first_byte_offset"), "1");
    // The replica shares our replid after the full sync.
    assert_eq!(replica.info("master_replid"), master.info("master_replid"));
}

// ---------------------- the cron, keep-alives, limits ----------------------

/// Reads until `needle` has been seen (or panics after 10 s); returns
/// everything read.
fn read_until(s: &mut std::net::TcpStream, needle: &[u8]) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    while !out.windows(needle.len()).any(|w| w == needle) {
        assert!(
            Instant::now() < deadline,
            "never got {:?}; got {:?}",
            String::from_utf8_lossy(needle),
            String::from_utf8_lossy(&out)
        );
        match s.read(&mut buf) {
            Ok(0) => panic!("closed; got {:?}", String::from_utf8_lossy(&out)),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
    out
}

#[test]
fn diskless_sync_with_eof_mark_and_newline_keepalives() {
    let master = Server::start(&[
        "--repl-diskless-sync",
        "yes",
        "--repl-diskless-sync-delay",
        "2",
    ]);
    master.cmd(&["SET", "k", "v"]);
    let mut s = raw(master.port());
    send_raw(&mut s, b"REPLCONF capa eof capa psync2\r\n");
    assert_eq!(read_reply(&mut s), b"+OK\r\n");
    send_raw(&mut s, b"PSYNC ? -1\r\n");
    // While the delay runs the replica waits for the BGSAVE to start, gets
    // a newline a second, and is listed as wait_bgsave.
    wait_for(SYNC_TIMEOUT, || {
        master.info("slave0").contains("state=wait_bgsave")
    });
    // One buffer for everything: newlines, +FULLRESYNC, $EOF:<mark>\r\n,
    // the payload, the mark again.
    let mut got = read_until(&mut s, b"$EOF:");
    let full = got
        .windows(12)
        .position(|w| w == b"+FULLRESYNC ")
        .expect("+FULLRESYNC");
    assert!(
        full > 0 && got[..full].iter().all(|b| *b == b'\n'),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
    let eof = got.windows(5).position(|w| w == b"$EOF:").unwrap();
    let mut byte = [0u8; 1];
    while got.len() < eof + 5 + 42 {
        s.read_exact(&mut byte).unwrap();
        got.push(byte[0]);
    }
    let mark = got[eof + 5..eof + 45].to_vec();
    assert_eq!(&got[eof + 45..eof + 47], b"\r\n");
    assert!(mark.iter().all(|b| b.is_ascii_hexdigit()));
    let mut payload = got[eof + 47..].to_vec();
    if !payload.windows(40).skip(1).any(|w| w == &mark[..]) {
        payload.extend(read_until(&mut s, &mark));
    }
    assert_eq!(&payload[..9], b"REDIS0009");
    assert!(payload.ends_with(&mark), "bytes after the EOF mark");

    // Streamed: the replica goes online, but gets no stream until its
    // first REPLCONF ACK.
    wait_for(SYNC_TIMEOUT, || master.info("slave0").contains("state=online"));
    master.cmd(&["SET", "after", "1"]);
    s.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    let mut buf = [0u8; 100];
    assert!(s.read(&mut buf).is_err(), "stream before the first ACK");
    send_raw(&mut s, b"REPLCONF ACK 0\r\n");
    let want = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$5\r\nafter\r\n$1\r\n1\r\n";
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    assert_eq!(read_exactly(&mut s, want.len()), want.to_vec());
    assert!(master.log().contains("Delay next BGSAVE for diskless SYNC"));
}

#[test]
fn replication_cron_pings_replicas_every_repl_ping_replica_period() {
    let master = Server::start(&["--repl-ping-replica-period", "1"]);
    let mut s = raw(master.port());
    send_raw(&mut s, b"REPLCONF capa psync2\r\n");
    assert_eq!(read_reply(&mut s), b"+OK\r\n");
    send_raw(&mut s, b"PSYNC ? -1\r\n");
    let _ = read_line_skipping_newlines(&mut s);
    let bulk = read_line_skipping_newlines(&mut s);
    let len: usize = bulk[1..bulk.len() - 2].parse().unwrap();
    let _ = read_exactly(&mut s, len);
    // Two PINGs, with no SELECT before them (fed with slaveseldb).
    let got = read_until(&mut s, b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n");
    assert!(
        got.starts_with(b"*1\r\n$4\r\nPING\r\n"),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
    // And the offset counts them.
    assert!(master.info("master_repl_offset").parse::<i64>().unwrap() >= 28);
}

#[test]
fn replica_that_stops_acking_is_disconnected_after_repl_timeout() {
    let master = Server::start(&["--repl-timeout", "2"]);
    let mut replica = start_replica_of(&master, &[]);
    wait_for_sync(&master, &replica);
    replica.signal(libc::SIGSTOP);
    wait_for(Duration::from_secs(15), || {
        master.info("connected_slaves") == "0"
    });
    replica.signal(libc::SIGCONT);
    assert!(
        master.log().contains(&format!(
            "Disconnecting timedout replica: 127.0.0.1:{}",
            replica.port()
        )),
        "{}",
        master.log()
    );
}

#[test]
fn backlog_is_freed_after_repl_backlog_ttl_without_replicas() {
    let master = Server::start(&["--repl-backlog-ttl", "1"]);
    let mut replica = start_replica_of(&master, &[]);
    wait_for_sync(&master, &replica);
    let replid = master.info("master_replid");
    assert_eq!(master.info("repl_backlog_active"), "1");
    replica.kill9();
    wait_for(Duration::from_secs(10), || {
        master.info("repl_backlog_active") == "0"
    });
    assert!(master.log().contains(
        "Replication backlog freed after 1 seconds without connected replicas."
    ));
    // A new history: the old replid cannot be continued.
    assert_ne!(master.info("master_replid"), replid);
}

#[test]
fn replica_over_its_output_buffer_limit_is_closed() {
    let master = Server::start(&[]);
    master.cmd(&[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "replica 1048576 0 0",
    ]);
    let mut replica = start_replica_of(&master, &[]);
    wait_for_sync(&master, &replica);
    replica.signal(libc::SIGSTOP);
    // Far more than the socket buffers can hold: the replica's output
    // buffer passes the hard limit.
    let big = "x".repeat(1024 * 1024);
    let mut con = master.client();
    for i in 0..64 {
        let _: () = redis::cmd("SET")
            .arg(format!("big:{i}"))
            .arg(&big)
            .query(&mut con)
            .unwrap();
        if master.info("connected_slaves") == "0" {
            break;
        }
    }
    wait_for(Duration::from_secs(10), || {
        master.info("connected_slaves") == "0"
    });
    replica.signal(libc::SIGCONT);
    let log = master.log();
    assert!(log.contains("scheduled to be closed ASAP for overcoming of output buffer limits."), "{log}");
    assert!(log.contains("flags=S"), "{log}");
}

#[test]
fn second_replica_attaches_to_the_running_bgsave_with_a_copy_of_the_buffer() {
    let master = Server::start(&[]);
    // Enough keys that the BGSAVE of a debug build is still running when
    // the second replica arrives.
    master.cmd(&["DEBUG", "POPULATE", "300000"]);
    let mut a = raw(master.port());
    send_raw(&mut a, b"REPLCONF capa psync2\r\n");
    assert_eq!(read_reply(&mut a), b"+OK\r\n");
    let mut b = raw(master.port());
    send_raw(&mut b, b"REPLCONF capa psync2 capa eof\r\n");
    assert_eq!(read_reply(&mut b), b"+OK\r\n");

    send_raw(&mut a, b"PSYNC ? -1\r\n");
    let line_a = read_line_skipping_newlines(&mut a);
    // A write while the child saves: registered in a's buffer only.
    master.cmd(&["SET", "during", "1"]);
    assert_eq!(
        master.info("rdb_bgsave_in_progress"),
        "1",
        "BGSAVE ended too soon"
    );
    send_raw(&mut b, b"PSYNC ? -1\r\n");
    let line_b = read_line_skipping_newlines(&mut b);
    // b joins a's BGSAVE: same offset, same RDB, a copy of a's buffer.
    assert_eq!(line_a, line_b);
    // (logged right after the +FULLRESYNC line is written)
    wait_for(SYNC_TIMEOUT, || {
        master.log().contains("Waiting for end of BGSAVE for SYNC")
    });
    assert_eq!(master.info("sync_full"), "2");
    let want = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$6\r\nduring\r\n$1\r\n1\r\n";
    for s in [&mut a, &mut b] {
        let bulk = read_line_skipping_newlines(s);
        let len: usize = bulk[1..bulk.len() - 2].parse().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let rdb = read_exactly(s, len);
        assert_eq!(&rdb[..5], b"REDIS");
        assert_eq!(read_exactly(s, want.len()), want.to_vec());
    }
}

#[test]
fn replica_7_0_authenticates_to_a_master_with_requirepass() {
    let master = Server::start(&["--requirepass", "secret"]);
    // Without the password SYNC is refused like any command.
    let mut s = raw(master.port());
    send_raw(&mut s, b"PSYNC ? -1\r\n");
    assert_eq!(read_reply(&mut s), b"-NOAUTH Authentication required.\r\n");

    let replica = start_replica_of(&master, &["--masterauth", "secret"]);
    let mut con = master.client();
    let _: () = redis::cmd("AUTH").arg("secret").query(&mut con).unwrap();
    wait_for(SYNC_TIMEOUT, || replica.info("master_link_status") == "up");
    let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut con).unwrap();
    wait_for(SYNC_TIMEOUT, || replica.cmd_str(&["GET", "k"]) == "v");
}
