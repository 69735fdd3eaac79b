//! Big values (issue 14): a value of tens of megabytes goes from the query
//! buffer into the keyspace and into the replicas' output without extra
//! copies, a replica does not keep its master's big query buffer after
//! applying it, and SETRANGE / SETBIT grow a string to a far offset with
//! zeros. These check what the client sees (replies, DEBUG DIGEST on
//! master and replicas, CLIENT LIST) and the replica's memory after the
//! fact, not timings.

mod util;

use std::time::Duration;

use util::*;

/// Upper bound of every wait in this file.
const T: Duration = Duration::from_secs(30);

const MB: usize = 1024 * 1024;

/// An oxredis started as the replica of `master`, its link up.
#[track_caller]
fn replica_of(master: &Server) -> Server {
    let port = master.port_str();
    let r = Server::start(&["--replicaof", "127.0.0.1", port.as_str()]);
    wait_for(T, || r.info("master_link_status") == "up");
    r
}

/// A value of `len` bytes that is not one byte repeated, so a shifted or
/// truncated copy changes the digest.
fn big_value(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| seed.wrapping_add((i % 251) as u8)).collect()
}

/// SET `key` to `value` on a connection of its own.
#[track_caller]
fn set_bin(s: &Server, key: &str, value: &[u8]) {
    let mut con = s.client();
    let r: String =
        redis::cmd("SET").arg(key).arg(value).query(&mut con).unwrap_or_else(
            |e| panic!("SET {key} of {} bytes: {e}", value.len()),
        );
    assert_eq!(r, "OK");
}

/// GETRANGE as bytes.
#[track_caller]
fn getrange(s: &Server, key: &str, start: i64, end: i64) -> Vec<u8> {
    let mut con = s.client();
    redis::cmd("GETRANGE")
        .arg(key)
        .arg(start)
        .arg(end)
        .query(&mut con)
        .unwrap_or_else(|e| panic!("GETRANGE {key} {start} {end}: {e}"))
}

/// One field (`qbuf`, `qbuf-free`, ...) of the CLIENT LIST line whose
/// flags are `flags`.
#[track_caller]
fn client_list_field(s: &Server, flags: &str, field: &str) -> Option<u64> {
    let list = s.cmd_str(&["CLIENT", "LIST"]);
    let line = list
        .lines()
        .find(|l| l.split(' ').any(|kv| kv == format!("flags={flags}")))?;
    line.split(' ')
        .find_map(|kv| kv.strip_prefix(&format!("{field}=")))
        .and_then(|v| v.parse().ok())
}

/// VmRSS of a process, in bytes.
#[track_caller]
fn vm_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .expect("read /proc/PID/status");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS in /proc/PID/status");
    kb * 1024
}

#[test]
fn a_100mb_set_with_a_replica_ends_with_equal_digests() {
    let master = Server::start(&[]);
    let replica = replica_of(&master);
    let value = big_value(100 * MB, 7);
    set_bin(&master, "big", &value);
    // A small command after it: the stream goes on where the value ends.
    master.cmd(&["SET", "after", "1"]);
    wait_caught_up(&master, &replica);
    assert_eq!(replica.cmd_str(&["STRLEN", "big"]), (100 * MB).to_string());
    assert_eq!(replica.cmd_str(&["GET", "after"]), "1");
    assert_eq!(getrange(&replica, "big", 0, 9), value[..10].to_vec());
    let n = value.len() as i64;
    assert_eq!(
        getrange(&replica, "big", n - 10, n - 1),
        value[value.len() - 10..].to_vec()
    );
    let d = master.digest();
    assert_ne!(d, "0000000000000000000000000000000000000000");
    assert_eq!(replica.digest(), d);
    // The master's output buffer for the replica drains completely.
    wait_for(T, || client_list_field(&master, "S", "omem") == Some(0));
    assert_eq!(client_list_field(&master, "S", "oll"), Some(0));
}

#[test]
fn big_arguments_reach_two_replicas_in_order_through_multi_and_eval() {
    // The first replica gets copies of a big argument, the last one gets
    // the argument itself: both must end equal to the master, with the
    // small commands around the big ones in their places.
    let master = Server::start(&[]);
    let r1 = replica_of(&master);
    let r2 = replica_of(&master);
    let a = big_value(2 * MB, 1);
    let b = big_value(3 * MB + 17, 2);
    let c = big_value(64 * 1024, 3);
    let mut con = master.client();
    let mut pipe = redis::pipe();
    pipe.cmd("SET").arg("s1").arg("x");
    pipe.cmd("SET").arg("a").arg(&a);
    pipe.cmd("INCR").arg("n");
    pipe.cmd("MULTI");
    pipe.cmd("SET").arg("b").arg(&b);
    pipe.cmd("APPEND").arg("b").arg(&c);
    pipe.cmd("INCR").arg("n");
    pipe.cmd("EXEC");
    pipe.cmd("EVAL")
        .arg("redis.call('set', KEYS[1], ARGV[1]) return 1")
        .arg(1)
        .arg("c")
        .arg(&c);
    pipe.cmd("SELECT").arg(3);
    pipe.cmd("SET").arg("a3").arg(&a);
    pipe.cmd("SET").arg("s2").arg("y");
    let _: redis::Value = pipe.query(&mut con).expect("pipeline");
    for r in [&r1, &r2] {
        wait_caught_up(&master, r);
        assert_eq!(r.digest(), master.digest());
    }
    assert_eq!(
        master.cmd_str(&["STRLEN", "b"]),
        (b.len() + c.len()).to_string()
    );
    assert_eq!(r2.cmd_str(&["GET", "n"]), "2");
}

#[test]
fn a_32mb_value_on_a_replica_does_not_leave_its_query_buffer_counted() {
    let master = Server::start(&[]);
    let replica = replica_of(&master);
    wait_caught_up(&master, &replica);
    let rss_before = vm_rss(replica.pid());
    let used_before = replica.info_i64("used_memory");
    let value = big_value(32 * MB, 9);
    set_bin(&master, "big", &value);
    wait_caught_up(&master, &replica);
    assert_eq!(replica.cmd_str(&["STRLEN", "big"]), (32 * MB).to_string());
    // The master client's query buffer, sized for the 32 MB argument, is
    // given back by the clients cron (clientsCronResizeQueryBuffer), as in
    // 5.0: nothing left in it and no room kept for another 32 MB.
    wait_for(T, || {
        client_list_field(&replica, "M", "qbuf") == Some(0)
            && client_list_field(&replica, "M", "qbuf-free")
                .is_some_and(|f| f < 64 * 1024)
    });
    // The pending (applied but not yet proxied) buffer of the master
    // client is shrunk too (LIMIT_PENDING_QUERYBUF): the replica keeps
    // the value, not a second 32 MB.
    let limit = 32 * MB as u64 + 16 * MB as u64;
    wait_for(T, || {
        vm_rss(replica.pid()) < rss_before + limit
            && (replica.info_i64("used_memory") as u64)
                < used_before as u64 + limit
    });
    assert_eq!(replica.digest(), master.digest());
}

#[test]
fn setrange_to_a_far_offset_reads_zeros_then_the_byte() {
    let s = Server::start(&[]);
    // An empty key grown to 512 MB, the maximum.
    let off: i64 = 536_870_911;
    assert_eq!(
        s.cmd_str(&["SETRANGE", "k", &off.to_string(), "x"]),
        (off + 1).to_string()
    );
    assert_eq!(s.cmd_str(&["STRLEN", "k"]), (off + 1).to_string());
    assert_eq!(getrange(&s, "k", 0, 9), vec![0u8; 10]);
    let mut tail = vec![0u8; 5];
    tail.push(b'x');
    assert_eq!(getrange(&s, "k", off - 5, off), tail);
    assert_eq!(getrange(&s, "k", -1, -1), b"x".to_vec());
    // One byte more is refused, as in 5.0.
    let err = s
        .try_cmd(&["SETRANGE", "k2", &(off + 1).to_string(), "x"])
        .expect_err("SETRANGE past 512 MB");
    assert!(
        err.to_string().contains("string exceeds maximum allowed size"),
        "{err}"
    );
    s.cmd(&["DEL", "k"]);

    // An existing string grown in place (sdsgrowzero): its bytes stay,
    // the gap is zeros.
    s.cmd(&["SET", "e", "abc"]);
    assert_eq!(s.cmd_str(&["SETRANGE", "e", "50000000", "yz"]), "50000002");
    assert_eq!(getrange(&s, "e", 0, 4), b"abc\0\0".to_vec());
    assert_eq!(getrange(&s, "e", 49_999_998, 50_000_001), b"\0\0yz".to_vec());
    assert_eq!(s.cmd_str(&["APPEND", "e", "!"]), "50000003");
    assert_eq!(getrange(&s, "e", -3, -1), b"yz!".to_vec());
    // SETBIT grows the same way.
    assert_eq!(s.cmd_str(&["SETBIT", "e", "800000007", "1"]), "0");
    assert_eq!(s.cmd_str(&["STRLEN", "e"]), "100000001");
    assert_eq!(getrange(&s, "e", 99_999_999, 100_000_000), b"\0\x01".to_vec());
    assert_eq!(s.cmd_str(&["BITCOUNT", "e", "50000000", "-1"]), "13");
}
