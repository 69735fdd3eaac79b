//! Lazy freeing (lazyfree.c) against the real server: UNLINK of big
//! values and FLUSHALL ASYNC while other clients keep working, a replica
//! flushing its old data set with replica-lazy-flush, lazyfree-lazy-expire
//! with big keys, and what a master propagates for UNLINK and for a lazy
//! expire (to a raw SYNC client and to Debian's redis-server 7.0).

mod util;

use std::io::Read;
use std::thread;
use std::time::{Duration, Instant};

use util::{find_binary, raw, send_raw, wait_for, Server};

const TIMEOUT: Duration = Duration::from_secs(60);

/// Fills `key` with `n` elements of the given type, in chunks.
fn fill_big(s: &Server, kind: &str, key: &str, n: usize) {
    let mut con = s.client();
    let mut i = 0;
    while i < n {
        let end = (i + 1000).min(n);
        let mut cmd = match kind {
            "set" => redis::cmd("SADD"),
            "hash" => redis::cmd("HSET"),
            "zset" => redis::cmd("ZADD"),
            _ => redis::cmd("RPUSH"),
        };
        cmd.arg(key);
        for j in i..end {
            match kind {
                "hash" => {
                    cmd.arg(format!("f{j}")).arg(j);
                }
                "zset" => {
                    cmd.arg(j).arg(format!("m{j}"));
                }
                _ => {
                    cmd.arg(format!("e{j}"));
                }
            }
        }
        let _: i64 = cmd.query(&mut con).expect("fill");
        i = end;
    }
}

fn pending(s: &Server) -> i64 {
    s.info_i64("lazyfree_pending_objects")
}

/// 8 clients each SET/GET/INCR their own keys `rounds` times, checking
/// every reply; returns their handles.
fn start_workers(port: u16, rounds: usize) -> Vec<thread::JoinHandle<()>> {
    (0..8)
        .map(|t| {
            thread::spawn(move || {
                let client =
                    redis::Client::open(format!("redis://127.0.0.1:{port}/"))
                        .expect("client");
                let mut con = client.get_connection().expect("connect");
                for i in 0..rounds {
                    let key = format!("w:{t}:{}", i % 50);
                    let _: () = redis::cmd("SET")
                        .arg(&key)
                        .arg(i)
                        .query(&mut con)
                        .expect("SET");
                    let v: String = redis::cmd("GET")
                        .arg(&key)
                        .query(&mut con)
                        .expect("GET");
                    assert_eq!(v, i.to_string());
                    let n: i64 = redis::cmd("INCR")
                        .arg(format!("ctr:{t}"))
                        .query(&mut con)
                        .expect("INCR");
                    assert_eq!(n, i as i64 + 1);
                }
            })
        })
        .collect()
}

#[test]
fn unlink_big_values_under_concurrent_clients() {
    let s = Server::start(&[]);
    let fds_before = s.fd_count();
    for (kind, key) in [
        ("set", "bigset"),
        ("hash", "bighash"),
        ("zset", "bigzset"),
        ("list", "biglist"),
    ] {
        fill_big(&s, kind, key, 100_000);
    }
    // The big set, hash and zset are hashtable / skiplist encoded: their
    // free effort is above LAZYFREE_THRESHOLD.
    assert_eq!(s.cmd_str(&["OBJECT", "ENCODING", "bigset"]), "hashtable");
    assert_eq!(s.cmd_str(&["OBJECT", "ENCODING", "bigzset"]), "skiplist");
    s.cmd(&["SET", "small", "x"]);
    let workers = start_workers(s.port(), 3000);
    assert_eq!(s.cmd_str(&["UNLINK", "bigset", "bighash", "nosuchkey"]), "2");
    assert_eq!(s.cmd_str(&["UNLINK", "bigzset", "biglist", "small"]), "3");
    for w in workers {
        w.join().expect("worker");
    }
    wait_for(TIMEOUT, || pending(&s) == 0);
    for k in ["bigset", "bighash", "bigzset", "biglist", "small"] {
        assert_eq!(s.cmd_str(&["EXISTS", k]), "0");
    }
    for t in 0..8 {
        assert_eq!(s.cmd_str(&["GET", &format!("ctr:{t}")]), "3000");
    }
    // 8 counters and 8 * 50 keys, nothing else.
    assert_eq!(s.cmd_str(&["DBSIZE"]), "408");
    // The data set survives a save and load unchanged.
    let d = s.digest();
    s.cmd(&["DEBUG", "RELOAD"]);
    assert_eq!(s.digest(), d);
    // No fd leaked (client sockets close asynchronously: wait for them).
    wait_for(TIMEOUT, || s.fd_count() <= fds_before);
}

#[test]
fn flushall_async_under_concurrent_writes() {
    let s = Server::start(&[]);
    s.cmd(&["DEBUG", "POPULATE", "200000"]);
    fill_big(&s, "set", "bigset", 10_000);
    s.cmd(&["SELECT", "0"]);
    let port = s.port();
    // Writers that each tag their keys with a sequence number, and record
    // which writes they saw acknowledged after the flush returned.
    let flushed =
        std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..8)
        .map(|t| {
            let flushed = flushed.clone();
            thread::spawn(move || {
                let client =
                    redis::Client::open(format!("redis://127.0.0.1:{port}/"))
                        .expect("client");
                let mut con = client.get_connection().expect("connect");
                let mut after = Vec::new();
                let mut i = 0usize;
                loop {
                    let was_flushed =
                        flushed.load(std::sync::atomic::Ordering::SeqCst);
                    let key = format!("post:{t}:{i}");
                    let _: () = redis::cmd("SET")
                        .arg(&key)
                        .arg(i)
                        .query(&mut con)
                        .expect("SET");
                    if was_flushed {
                        after.push(key);
                        if after.len() >= 200 {
                            return after;
                        }
                    }
                    i += 1;
                }
            })
        })
        .collect();
    assert_eq!(s.cmd_str(&["FLUSHALL", "ASYNC"]), "OK");
    flushed.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut written_after = Vec::new();
    for w in workers {
        written_after.extend(w.join().expect("worker"));
    }
    // Every write acknowledged after FLUSHALL ASYNC returned is kept.
    let mut con = s.client();
    for k in &written_after {
        let e: i64 = redis::cmd("EXISTS").arg(k).query(&mut con).unwrap();
        assert_eq!(e, 1, "{k} lost");
    }
    assert_eq!(s.cmd_str(&["EXISTS", "bigset"]), "0");
    assert_eq!(s.cmd_str(&["EXISTS", "key:1"]), "0");
    wait_for(TIMEOUT, || pending(&s) == 0);
    // FLUSHDB ASYNC too, then the db is empty and usable.
    assert_eq!(s.cmd_str(&["FLUSHDB", "ASYNC"]), "OK");
    assert_eq!(s.cmd_str(&["DBSIZE"]), "0");
    s.cmd(&["SET", "a", "1"]);
    assert_eq!(s.cmd_str(&["GET", "a"]), "1");
    wait_for(TIMEOUT, || pending(&s) == 0);
    assert!(s.try_cmd(&["FLUSHALL", "SYNC"]).is_err());
}

#[test]
fn replica_lazy_flush_full_sync_while_clients_read() {
    let master = Server::start(&[]);
    master.cmd(&["DEBUG", "POPULATE", "20000", "m"]);
    fill_big(&master, "hash", "mhash", 5000);
    let replica = Server::start(&["--replica-lazy-flush", "yes"]);
    replica.cmd(&["DEBUG", "POPULATE", "100000", "old"]);
    fill_big(&replica, "zset", "oldz", 20_000);
    let fds_before = replica.fd_count();
    let port = replica.port();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let stop = stop.clone();
            thread::spawn(move || {
                let client =
                    redis::Client::open(format!("redis://127.0.0.1:{port}/"))
                        .expect("client");
                let mut con = client.get_connection().expect("connect");
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let r: redis::RedisResult<Option<String>> =
                        redis::cmd("GET")
                            .arg(format!("old:{}", i % 1000))
                            .query(&mut con);
                    match r {
                        Ok(_) => {}
                        Err(e) => assert!(
                            e.to_string().contains("LOADING"),
                            "unexpected error {e}"
                        ),
                    }
                    i += 1;
                }
            })
        })
        .collect();
    replica.cmd(&["REPLICAOF", "127.0.0.1", &master.port_str()]);
    wait_for(TIMEOUT, || {
        replica.info("master_link_status") == "up"
            && master.info("slave0").contains("state=online")
    });
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for r in readers {
        r.join().expect("reader");
    }
    wait_for(TIMEOUT, || pending(&replica) == 0);
    assert_eq!(replica.cmd_str(&["EXISTS", "oldz"]), "0");
    assert_eq!(replica.cmd_str(&["DBSIZE"]), "20001");
    assert_eq!(replica.digest(), master.digest());
    // At most the master link more than before (the readers' sockets
    // close asynchronously: wait for them).
    wait_for(TIMEOUT, || replica.fd_count() <= fds_before + 1);
}

#[test]
fn lazy_expire_of_many_big_keys() {
    let s = Server::start(&["--lazyfree-lazy-expire", "yes"]);
    let conf: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("lazyfree-lazy-expire")
        .query(&mut s.client())
        .unwrap();
    assert_eq!(conf, ["lazyfree-lazy-expire", "yes"]);
    let fds_before = s.fd_count();
    for round in 0..2 {
        for i in 0..30 {
            fill_big(&s, "set", &format!("big:{i}"), 2000);
            s.cmd(&["PEXPIRE", &format!("big:{i}"), "100"]);
        }
        s.cmd(&["SET", "keep", &round.to_string()]);
        // Some go by lookups (expireIfNeeded), the rest by the cycle.
        let deadline = Instant::now() + TIMEOUT;
        while s.cmd_str(&["DBSIZE"]) != "1" {
            assert!(Instant::now() < deadline, "keys never expired");
            for i in 0..5 {
                s.cmd(&["EXISTS", &format!("big:{i}")]);
            }
            thread::sleep(Duration::from_millis(20));
        }
        wait_for(TIMEOUT, || pending(&s) == 0);
        assert_eq!(s.cmd_str(&["GET", "keep"]), round.to_string());
    }
    assert!(s.info_i64("expired_keys") >= 60);
    // EXPIRE with a time in the past deletes at once (lazily too).
    fill_big(&s, "set", "past", 2000);
    assert_eq!(s.cmd_str(&["EXPIRE", "past", "-1"]), "1");
    assert_eq!(s.cmd_str(&["EXISTS", "past"]), "0");
    wait_for(TIMEOUT, || pending(&s) == 0);
    // No fd leaked (client sockets close asynchronously: wait for them).
    wait_for(TIMEOUT, || s.fd_count() <= fds_before);
}

/// Reads from a raw socket until the whole `needle` has arrived.
fn read_until(s: &mut std::net::TcpStream, acc: &mut Vec<u8>, needle: &[u8]) {
    let deadline = Instant::now() + TIMEOUT;
    let mut buf = [0u8; 65536];
    s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    while !acc.windows(needle.len()).any(|w| w == needle) {
        assert!(
            Instant::now() < deadline,
            "never got {:?}",
            String::from_utf8_lossy(needle)
        );
        match s.read(&mut buf) {
            Ok(0) => panic!("closed"),
            Ok(n) => acc.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
}

#[test]
fn unlink_and_lazy_expire_propagate_as_unlink() {
    let master = Server::start(&["--lazyfree-lazy-expire", "yes"]);
    let port = master.port_str();
    let replica = Server::start_binary(
        &find_binary("redis-server"),
        &["--replicaof", "127.0.0.1", port.as_str()],
    );
    wait_for(TIMEOUT, || {
        replica.info("master_link_status") == "up"
            && master.info("slave0").contains("state=online")
    });
    let mut sync = raw(master.port());
    send_raw(&mut sync, b"SYNC\r\n");
    let mut acc = Vec::new();
    // The RDB comes first; wait until this client is online too.
    wait_for(TIMEOUT, || master.info("slave1").contains("state=online"));
    fill_big(&master, "set", "s1", 5000);
    fill_big(&master, "zset", "z1", 5000);
    master.cmd(&["SET", "plain", "v"]);
    assert_eq!(master.cmd_str(&["UNLINK", "s1", "plain"]), "2");
    read_until(
        &mut sync,
        &mut acc,
        b"*3\r\n$6\r\nUNLINK\r\n$2\r\ns1\r\n$5\r\nplain\r\n",
    );
    master.cmd(&["PEXPIRE", "z1", "50"]);
    // The expire cycle (or this lookup) deletes it and propagates UNLINK.
    wait_for(TIMEOUT, || master.cmd_str(&["EXISTS", "z1"]) == "0");
    read_until(&mut sync, &mut acc, b"*2\r\n$6\r\nUNLINK\r\n$2\r\nz1\r\n");
    master.cmd(&["SET", "last", "1"]);
    let target = master.info_i64("master_repl_offset");
    wait_for(TIMEOUT, || replica.info_i64("slave_repl_offset") >= target);
    assert_eq!(replica.cmd_str(&["EXISTS", "s1", "z1", "plain"]), "0");
    assert_eq!(replica.digest(), master.digest());
    wait_for(TIMEOUT, || pending(&master) == 0);
}

#[test]
fn lazy_server_del_for_overwrites_and_implicit_deletes() {
    let s = Server::start(&["--lazyfree-lazy-server-del", "yes"]);
    // SET over a big set: dbOverwrite frees the old value with
    // freeObjAsync.
    fill_big(&s, "set", "k", 10_000);
    s.cmd(&["SET", "k", "str"]);
    assert_eq!(s.cmd_str(&["GET", "k"]), "str");
    // RENAME over a big hash: the destination goes by dbDelete, which is
    // dbAsyncDelete with the option.
    fill_big(&s, "hash", "dst", 10_000);
    fill_big(&s, "zset", "src", 10_000);
    assert_eq!(s.cmd_str(&["RENAME", "src", "dst"]), "OK");
    assert_eq!(s.cmd_str(&["TYPE", "dst"]), "zset");
    assert_eq!(s.cmd_str(&["ZCARD", "dst"]), "10000");
    // SPOP of a set's last members deletes the key (dbDelete).
    fill_big(&s, "set", "popme", 100);
    let _ = s.cmd(&["SPOP", "popme", "100"]);
    assert_eq!(s.cmd_str(&["EXISTS", "popme"]), "0");
    wait_for(TIMEOUT, || pending(&s) == 0);
    let d = s.digest();
    s.cmd(&["DEBUG", "RELOAD"]);
    assert_eq!(s.digest(), d);
    assert_eq!(s.cmd_str(&["DBSIZE"]), "2");
}
