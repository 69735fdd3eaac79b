//! Memory accounting (issue 14) against the real server: INFO's
//! used_memory is the bytes the server holds, counted by the global
//! allocator (it rises with the data and falls back after FLUSHALL, sync
//! or async, on a master and on its replica), the allocator_* figures come
//! from jemalloc, and the MEMORY command (USAGE, STATS, DOCTOR,
//! MALLOC-STATS, PURGE, HELP) answers as 5.0.14's object.c does, also with
//! clients writing meanwhile and with bad arguments.

mod util;

use std::thread;
use std::time::Duration;

use util::{value_to_string, wait_for, Server};

const TIMEOUT: Duration = Duration::from_secs(60);

/// The MEMORY STATS keys of 5.0.14 in order, `db.N` entries aside.
const STATS_KEYS: &[&str] = &[
    "peak.allocated",
    "total.allocated",
    "startup.allocated",
    "replication.backlog",
    "clients.slaves",
    "clients.normal",
    "aof.buffer",
    "lua.caches",
    "overhead.total",
    "keys.count",
    "keys.bytes-per-key",
    "dataset.bytes",
    "dataset.percentage",
    "peak.percentage",
    "allocator.allocated",
    "allocator.active",
    "allocator.resident",
    "allocator-fragmentation.ratio",
    "allocator-fragmentation.bytes",
    "allocator-rss.ratio",
    "allocator-rss.bytes",
    "rss-overhead.ratio",
    "rss-overhead.bytes",
    "fragmentation",
    "fragmentation.bytes",
];

fn used(s: &Server) -> i64 {
    s.info_i64("used_memory")
}

/// True when `a` is within `pct` percent of `b`.
fn near(a: i64, b: i64, pct: f64) -> bool {
    ((a - b).abs() as f64) <= (b as f64) * pct / 100.0
}

/// MEMORY STATS as (name, value) pairs; `db.N` values are their nested
/// arrays rendered with Debug.
fn memory_stats(s: &Server) -> Vec<(String, String)> {
    let v = s.cmd(&["MEMORY", "STATS"]);
    let redis::Value::Array(items) = v else { panic!("MEMORY STATS: {v:?}") };
    assert_eq!(items.len() % 2, 0);
    items
        .chunks(2)
        .map(|kv| {
            let k = value_to_string(&kv[0]).expect("a name");
            let v = value_to_string(&kv[1])
                .unwrap_or_else(|| format!("{:?}", kv[1]));
            (k, v)
        })
        .collect()
}

#[test]
fn used_memory_rises_with_data_and_falls_back_after_flushall() {
    let s = Server::start(&[]);
    let base = used(&s);
    assert!(base > 0);
    s.cmd(&["DEBUG", "POPULATE", "200000"]);
    let full = used(&s);
    // 200000 keys of "key:N" -> "value:N" hold far more than 40 bytes each.
    assert!(full - base > 200_000 * 40, "base {base}, full {full}");
    // It is not the RSS any more.
    wait_for(TIMEOUT, || s.info_i64("used_memory_rss") > 0);
    assert_ne!(s.info("used_memory"), s.info("used_memory_rss"));
    // jemalloc's own count of what is allocated agrees within a few
    // percent once the cron sampled it.
    wait_for(TIMEOUT, || {
        let a = s.info_i64("allocator_allocated");
        near(a, used(&s), 10.0)
    });
    s.cmd(&["FLUSHALL"]);
    let after = used(&s);
    assert!(near(after, base, 5.0), "base {base}, after FLUSHALL {after}");
    // The peak remembers the full data set.
    assert!(s.info_i64("used_memory_peak") >= full - 1024 * 1024);

    // The same with the free done on bio's lazy-free thread.
    s.cmd(&["DEBUG", "POPULATE", "200000"]);
    assert!(used(&s) - base > 200_000 * 40);
    s.cmd(&["FLUSHALL", "ASYNC"]);
    wait_for(TIMEOUT, || {
        s.info_i64("lazyfree_pending_objects") == 0 && near(used(&s), base, 5.0)
    });
}

#[test]
fn used_memory_counts_one_big_value_once() {
    let s = Server::start(&[]);
    let base = used(&s);
    let big = "x".repeat(8 << 20);
    let mut con = s.client();
    let _: () =
        redis::cmd("SET").arg("big").arg(&big).query(&mut con).expect("SET");
    let with = used(&s);
    // The value is held once (plus its query buffer at most, which the
    // client cron gives back); not copied per layer.
    assert!(with - base >= 8 << 20, "base {base}, with {with}");
    wait_for(TIMEOUT, || used(&s) - base < (8 << 20) + (1 << 20));
    let _: () = redis::cmd("DEL").arg("big").query(&mut con).expect("DEL");
    wait_for(TIMEOUT, || near(used(&s), base, 5.0));
}

#[test]
fn a_replica_gives_its_memory_back_when_the_master_flushes() {
    let master = Server::start(&[]);
    let replica = Server::start(&[]);
    let base = used(&replica);
    master.cmd(&["DEBUG", "POPULATE", "100000"]);
    replica.cmd(&["REPLICAOF", "127.0.0.1", &master.port_str()]);
    wait_for(TIMEOUT, || replica.info("master_link_status") == "up");
    wait_for(TIMEOUT, || replica.cmd_str(&["DBSIZE"]) == "100000");
    assert!(used(&replica) - base > 100_000 * 40);
    master.cmd(&["FLUSHALL"]);
    wait_for(TIMEOUT, || replica.cmd_str(&["DBSIZE"]) == "0");
    // The replica keeps a backlog now (1 MB by default) and a master
    // client; the keys themselves are gone.
    wait_for(TIMEOUT, || used(&replica) - base < 2 * 1024 * 1024);
    let stats = memory_stats(&master);
    let clients_slaves: i64 = stats
        .iter()
        .find(|(k, _)| k == "clients.slaves")
        .map(|(_, v)| v.parse().expect("a number"))
        .expect("clients.slaves");
    assert!(clients_slaves > 0, "the replica's client is counted: {stats:?}");
}

#[test]
fn memory_usage_answers_per_type_and_refuses_bad_arguments() {
    let s = Server::start(&[]);
    let usage = |args: &[&str]| -> i64 {
        let mut a = vec!["MEMORY", "USAGE"];
        a.extend_from_slice(args);
        s.cmd_str(&a).parse().expect("an integer")
    };
    assert_eq!(s.cmd(&["MEMORY", "USAGE", "nokey"]), redis::Value::Nil);

    s.cmd(&["SET", "int", "12345"]);
    s.cmd(&["SET", "short", "hello"]);
    s.cmd(&["SET", "long", &"x".repeat(1000)]);
    let (i, sh, l) = (usage(&["int"]), usage(&["short"]), usage(&["long"]));
    assert!(i > 0 && sh >= i && l >= sh + 1000, "{i} {sh} {l}");

    let mut con = s.client();
    for j in 0..1000 {
        let _: () = redis::cmd("HSET")
            .arg("hash")
            .arg(format!("field:{j:08}"))
            .arg(format!("value:{j:024}"))
            .query(&mut con)
            .expect("HSET");
        let _: () = redis::cmd("RPUSH")
            .arg("list")
            .arg(format!("element:{j:040}"))
            .query(&mut con)
            .expect("RPUSH");
        let _: () = redis::cmd("SADD")
            .arg("set")
            .arg(format!("member:{j:030}"))
            .query(&mut con)
            .expect("SADD");
        let _: () = redis::cmd("ZADD")
            .arg("zset")
            .arg(j)
            .arg(format!("member:{j:030}"))
            .query(&mut con)
            .expect("ZADD");
        if j < 500 {
            // Under set-max-intset-entries (512): stays an intset.
            let _: () = redis::cmd("SADD")
                .arg("intset")
                .arg(j)
                .query(&mut con)
                .expect("SADD");
        }
    }
    // Each element's bytes are somewhere in the figure.
    for (key, per) in
        [("hash", 8 + 6 + 30), ("list", 48), ("set", 37), ("zset", 37)]
    {
        let u = usage(&[key]);
        assert!(u >= 1000 * per, "{key}: {u}");
        assert!(u < 1000 * per * 10, "{key}: {u}");
        // Every element sampled, or the default five: both estimate.
        let all = usage(&[key, "SAMPLES", "0"]);
        assert!(near(all, u, 50.0), "{key}: {all} vs {u}");
    }
    let is = usage(&["intset"]);
    assert_eq!(s.cmd_str(&["OBJECT", "ENCODING", "intset"]), "intset");
    assert!((1000..5000).contains(&is), "intset of 500 small ints: {is}");
    // Small encodings are small.
    s.cmd(&["HSET", "smallhash", "a", "1"]);
    assert!(usage(&["smallhash"]) < 200);

    for (args, err) in [
        (vec!["MEMORY", "USAGE", "hash", "SAMPLES", "-1"], "syntax error"),
        (vec!["MEMORY", "USAGE", "hash", "SAMPLES", "abc"], "value is not an integer or out of range"),
        (vec!["MEMORY", "USAGE", "hash", "SAMPLES"], "syntax error"),
        (vec!["MEMORY", "USAGE", "hash", "FOO", "1"], "syntax error"),
        (
            vec!["MEMORY", "FOO"],
            "Unknown subcommand or wrong number of arguments for 'FOO'. Try MEMORY HELP",
        ),
        (
            vec!["MEMORY", "STATS", "x"],
            "Unknown subcommand or wrong number of arguments for 'STATS'. Try MEMORY HELP",
        ),
        (vec!["MEMORY"], "wrong number of arguments for 'memory' command"),
    ] {
        let e = s.try_cmd(&args).expect_err("an error");
        assert!(e.to_string().contains(err), "{args:?}: {e}");
    }
}

#[test]
fn memory_stats_doctor_purge_malloc_stats_and_help() {
    let s = Server::start(&[]);
    // Give the cron a turn to sample the allocator.
    thread::sleep(Duration::from_millis(250));
    let stats = memory_stats(&s);
    let names: Vec<&str> = stats.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, STATS_KEYS, "empty server: no db.N");

    s.cmd(&["DEBUG", "POPULATE", "200000"]);
    let mut con = s.client();
    let _: () = redis::cmd("SELECT").arg(3).query(&mut con).expect("SELECT");
    let _: () = redis::cmd("MSET")
        .arg(&["a", "1", "b", "2"])
        .query(&mut con)
        .expect("MSET");
    let _: () =
        redis::cmd("EXPIRE").arg("a").arg(100).query(&mut con).expect("EXPIRE");
    thread::sleep(Duration::from_millis(250));
    let stats = memory_stats(&s);
    let names: Vec<&str> = stats.iter().map(|(k, _)| k.as_str()).collect();
    let mut expected: Vec<&str> = STATS_KEYS.to_vec();
    expected.splice(8..8, ["db.0", "db.3"]);
    assert_eq!(names, expected);
    let get = |k: &str| -> f64 {
        stats
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.parse().expect("a number"))
            .expect("present")
    };
    assert_eq!(get("keys.count"), 200_002.0);
    assert!(near(get("total.allocated") as i64, used(&s), 5.0));
    assert!(get("overhead.total") > get("startup.allocated"));
    assert!(get("keys.bytes-per-key") > 40.0);
    assert!(get("allocator.allocated") > 0.0);
    assert!(get("allocator.resident") >= get("allocator.active"));
    assert!(get("clients.normal") > 0.0, "the caller is a client");

    // More than 5 MB: the doctor looks instead of asking for data.
    let doctor = s.cmd_str(&["MEMORY", "DOCTOR"]);
    assert!(
        doctor.starts_with("Hi Sam, I can't find any memory issue")
            || doctor.starts_with("Sam, I detected a few issues"),
        "{doctor}"
    );
    s.cmd(&["FLUSHALL"]);
    let doctor = s.cmd_str(&["MEMORY", "DOCTOR"]);
    assert!(doctor.starts_with("Hi Sam, this instance is empty"), "{doctor}");

    assert_eq!(s.cmd_str(&["MEMORY", "PURGE"]), "OK");
    let report = s.cmd_str(&["MEMORY", "MALLOC-STATS"]);
    assert!(report.contains("Begin jemalloc statistics"), "{report:.200}");
    assert!(report.contains("End jemalloc statistics"));
    let help = s.cmd(&["MEMORY", "HELP"]);
    let redis::Value::Array(lines) = help else { panic!("{help:?}") };
    let first = value_to_string(&lines[0]).expect("a line");
    assert_eq!(first, "MEMORY <subcommand> arg arg ... arg. Subcommands are:");
    assert_eq!(lines.len(), 6);
}

#[test]
fn activedefrag_is_refused_as_by_a_build_without_defrag() {
    let s = Server::start(&[]);
    let e = s
        .try_cmd(&["CONFIG", "SET", "activedefrag", "yes"])
        .expect_err("refused");
    assert!(
        e.to_string().contains(
            "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc"
        ),
        "{e}"
    );
    assert_eq!(s.cmd_str(&["CONFIG", "SET", "activedefrag", "no"]), "OK");
    let v = s.cmd(&["CONFIG", "GET", "activedefrag"]);
    let redis::Value::Array(kv) = v else { panic!("{v:?}") };
    assert_eq!(value_to_string(&kv[1]).as_deref(), Some("no"));
    assert_eq!(s.info("mem_allocator"), "jemalloc-5.3.0");
}

/// Writers, deleters and INFO/MEMORY readers at once: the counter stays
/// consistent (it goes back to its start when the data is gone) and the
/// server answers every one of them.
#[test]
fn used_memory_stays_consistent_under_concurrent_clients() {
    let s = Server::start(&[]);
    let base = used(&s);
    let port = s.port();
    let mut handles = Vec::new();
    for t in 0..4 {
        handles.push(thread::spawn(move || {
            let client =
                redis::Client::open(format!("redis://127.0.0.1:{port}/"))
                    .expect("url");
            let mut con = client.get_connection().expect("connect");
            for round in 0..20 {
                let mut p = redis::pipe();
                for j in 0..500 {
                    p.cmd("SET")
                        .arg(format!("t{t}:{j}"))
                        .arg("v".repeat(j % 300))
                        .ignore();
                    p.cmd("RPUSH").arg(format!("l{t}")).arg(j).ignore();
                }
                let _: () = p.query(&mut con).expect("pipeline");
                if round % 2 == 1 {
                    let _: () = redis::cmd("UNLINK")
                        .arg(format!("l{t}"))
                        .query(&mut con)
                        .expect("UNLINK");
                }
            }
        }));
    }
    let reader = thread::spawn(move || {
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
            .expect("url");
        let mut con = client.get_connection().expect("connect");
        for _ in 0..200 {
            let _: redis::Value = redis::cmd("MEMORY")
                .arg("STATS")
                .query(&mut con)
                .expect("STATS");
            let _: String =
                redis::cmd("INFO").arg("memory").query(&mut con).expect("INFO");
            let _: Option<i64> = redis::cmd("MEMORY")
                .arg("USAGE")
                .arg("l0")
                .query(&mut con)
                .expect("USAGE");
        }
    });
    for h in handles {
        h.join().expect("writer");
    }
    reader.join().expect("reader");
    assert!(used(&s) > base);
    s.cmd(&["FLUSHALL"]);
    wait_for(TIMEOUT, || {
        s.info_i64("lazyfree_pending_objects") == 0 && near(used(&s), base, 5.0)
    });
}
