//! maxmemory and its eviction policies (evict.c), against the real
//! binary: what each policy may evict, the order the sampling policies
//! evict in (read from the `evicted` keyspace events), the -OOM refusals
//! (a plain command, inside MULTI, a script's first write), INFO's
//! `evicted_keys`, and the DELs a master propagates for its evictions, to
//! Debian's redis-server 7.0 as replica (same DEBUG DIGEST at the end).
//!
//! Cross-reference: Redis's tests/unit/maxmemory.tcl. These tests do not
//! depend on how exactly used memory is counted: `maxmemory 1` puts the
//! server over the limit whatever it counts, so a policy evicts every key
//! it may, and the order of the `evicted` events shows what it chose
//! first.

mod util;

use std::path::Path;
use std::time::Duration;

use util::{find_binary, wait_for, wait_for_ofs_sync, Conn, Reply, Server};

const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";
const SYNC_TIMEOUT: Duration = Duration::from_secs(30);

/// Writes `n` keys `<prefix>:<i>` (value "some value"), with a TTL of
/// `ttl(i)` seconds (SETEX) where it is `Some`, pipelined.
fn put_keys(
    s: &Server,
    prefix: &str,
    n: usize,
    ttl: impl Fn(usize) -> Option<u64>,
) {
    let mut c = Conn::new(s);
    for i in 0..n {
        let k = format!("{prefix}:{i}");
        match ttl(i) {
            Some(t) => c.send(&["SETEX", &k, &t.to_string(), "some value"]),
            None => c.send(&["SET", &k, "some value"]),
        }
    }
    for _ in 0..n {
        let r = c.read();
        assert_eq!(r, "+OK\r\n", "unexpected reply");
    }
}

/// Subscribes to every DB's `evicted` key events (notify-keyspace-events
/// Ee), then sets `maxmemory 1`, which evicts at once (CONFIG SET calls
/// freeMemoryIfNeededAndSafe), and returns the evicted keys in the order
/// the events came.
fn evict_with_maxmemory_1(s: &Server) -> Vec<String> {
    let mut ctl = Conn::new(s);
    assert_eq!(ctl.s(&["CONFIG", "SET", "notify-keyspace-events", "Ee"]), "OK");
    let mut sub = Conn::new(s);
    assert_eq!(
        sub.r(&["PSUBSCRIBE", "__keyevent@*__:evicted"]).flat(),
        ["psubscribe", "__keyevent@*__:evicted", "1"]
    );
    let before = s.info_i64("evicted_keys");
    assert_eq!(ctl.s(&["CONFIG", "SET", "maxmemory", "1"]), "OK");
    let evicted = (s.info_i64("evicted_keys") - before) as usize;
    let mut keys = Vec::new();
    for _ in 0..evicted {
        let m = sub.read_list();
        assert_eq!(m[0], "pmessage", "{m:?}");
        assert!(m[2].ends_with("__:evicted"), "{m:?}");
        keys.push(m[3].clone());
    }
    keys
}

fn start() -> Server {
    Server::start(&[])
}

fn set_policy(s: &Server, policy: &str) {
    assert_eq!(s.cmd_str(&["CONFIG", "SET", "maxmemory-policy", policy]), "OK");
}

// ------------------------------ the policies ------------------------------

#[test]
fn noeviction_refuses_deny_oom_commands_and_keeps_every_key() {
    let s = start();
    put_keys(&s, "k", 50, |i| (i % 2 == 0).then_some(1000));
    set_policy(&s, "noeviction");
    assert!(evict_with_maxmemory_1(&s).is_empty());
    let mut c = Conn::new(&s);
    assert_eq!(c.raw(&["SET", "new", "x"]), format!("-{OOM}\r\n"));
    assert_eq!(c.raw(&["LPUSH", "l", "x"]), format!("-{OOM}\r\n"));
    // Commands that cannot grow memory still run.
    assert_eq!(c.bulk(&["GET", "k:1"]), "some value");
    assert_eq!(c.int(&["DEL", "k:0"]), 1);
    assert_eq!(c.int(&["DBSIZE"]), 49);
    assert_eq!(s.info_i64("evicted_keys"), 0);
    // Back under the limit, writes are accepted again.
    assert_eq!(c.s(&["CONFIG", "SET", "maxmemory", "0"]), "OK");
    assert_eq!(c.raw(&["SET", "new", "x"]), "+OK\r\n");
}

/// The volatile-* policies evict only keys with a TTL: with every one
/// gone and memory still over, they refuse writes as noeviction does.
#[test]
fn volatile_policies_evict_only_keys_with_a_ttl() {
    for policy in
        ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"]
    {
        let s = start();
        put_keys(&s, "p", 60, |_| None);
        put_keys(&s, "v", 40, |i| Some(1000 + i as u64));
        set_policy(&s, policy);
        let evicted = evict_with_maxmemory_1(&s);
        assert_eq!(evicted.len(), 40, "{policy}: {evicted:?}");
        let mut sorted = evicted.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 40, "{policy}: a key evicted twice");
        assert!(
            evicted.iter().all(|k| k.starts_with("v:")),
            "{policy}: {evicted:?}"
        );
        assert_eq!(s.info_i64("evicted_keys"), 40, "{policy}");
        let mut c = Conn::new(&s);
        assert_eq!(c.int(&["DBSIZE"]), 60, "{policy}");
        assert_eq!(
            c.raw(&["SET", "new", "x"]),
            format!("-{OOM}\r\n"),
            "{policy}"
        );
        assert_eq!(c.bulk(&["GET", "p:7"]), "some value", "{policy}");
    }
}

#[test]
fn allkeys_policies_evict_keys_with_and_without_a_ttl() {
    for policy in ["allkeys-lru", "allkeys-lfu", "allkeys-random"] {
        let s = start();
        put_keys(&s, "p", 30, |_| None);
        put_keys(&s, "v", 30, |_| Some(1000));
        // Keys of another DB are candidates too.
        {
            let mut c = Conn::new(&s);
            assert_eq!(c.s(&["SELECT", "5"]), "OK");
            assert_eq!(c.s(&["SET", "other-db", "x"]), "OK");
        }
        set_policy(&s, policy);
        let evicted = evict_with_maxmemory_1(&s);
        assert_eq!(evicted.len(), 61, "{policy}");
        assert!(evicted.iter().any(|k| k.starts_with("p:")), "{policy}");
        assert!(evicted.iter().any(|k| k.starts_with("v:")), "{policy}");
        assert!(evicted.iter().any(|k| k == "other-db"), "{policy}");
        assert_eq!(s.info_i64("evicted_keys"), 61, "{policy}");
        assert_eq!(Conn::new(&s).int(&["DBSIZE"]), 0, "{policy}");
    }
}

/// volatile-ttl evicts the key that expires soonest first. With
/// maxmemory-samples above the key count every round samples (nearly)
/// every key, so the order follows the TTLs; asserted loosely.
#[test]
fn volatile_ttl_evicts_the_nearest_ttl_first() {
    let s = start();
    // Written in an order unrelated to the TTLs.
    put_keys(&s, "v", 50, |i| Some(1000 + ((i * 37) % 50) as u64 * 100));
    put_keys(&s, "p", 10, |_| None);
    assert_eq!(s.cmd_str(&["CONFIG", "SET", "maxmemory-samples", "100"]), "OK");
    set_policy(&s, "volatile-ttl");
    let evicted = evict_with_maxmemory_1(&s);
    assert_eq!(evicted.len(), 50);
    let rank = |k: &str| -> usize {
        let i: usize = k.trim_start_matches("v:").parse().expect("v:<i>");
        (i * 37) % 50
    };
    assert_eq!(rank(&evicted[0]), 0, "first evicted: {evicted:?}");
    let ordered =
        evicted.windows(2).filter(|w| rank(&w[0]) < rank(&w[1])).count();
    assert!(ordered >= 40, "{ordered}/49 pairs in TTL order: {evicted:?}");
}

/// Cold keys, then (a second of the LRU clock later) a hot set read: the
/// hot keys are evicted last. Random eviction would put about 2 of the
/// 20 hot keys among the last 20 evicted.
#[test]
fn allkeys_lru_keeps_a_recently_touched_hot_set() {
    let s = start();
    put_keys(&s, "k", 200, |_| None);
    // The LRU clock has a resolution of one second.
    std::thread::sleep(Duration::from_millis(2100));
    let mut c = Conn::new(&s);
    for i in 0..20 {
        assert_eq!(c.bulk(&["GET", &format!("k:{}", i * 10)]), "some value");
    }
    assert_eq!(c.int(&["OBJECT", "IDLETIME", "k:0"]), 0);
    assert!(c.int(&["OBJECT", "IDLETIME", "k:1"]) >= 1);
    set_policy(&s, "allkeys-lru");
    let evicted = evict_with_maxmemory_1(&s);
    assert_eq!(evicted.len(), 200);
    let hot = |k: &String| {
        let i: usize = k.trim_start_matches("k:").parse().expect("k:<i>");
        i.is_multiple_of(10)
    };
    let late = evicted[180..].iter().filter(|k| hot(k)).count();
    assert!(late >= 12, "{late}/20 hot keys among the last 20: {evicted:?}");
}

/// allkeys-lfu: new keys start at LFU_INIT_VAL, reads raise the counter,
/// and the frequently read keys are evicted last.
#[test]
fn allkeys_lfu_keeps_a_frequently_read_hot_set() {
    let s = start();
    set_policy(&s, "allkeys-lfu");
    put_keys(&s, "k", 200, |_| None);
    let mut c = Conn::new(&s);
    assert_eq!(c.int(&["OBJECT", "FREQ", "k:1"]), 5);
    for _ in 0..100 {
        for i in 0..20 {
            c.send(&["GET", &format!("k:{}", i * 10)]);
        }
        for _ in 0..20 {
            assert!(c.read().starts_with('$'));
        }
    }
    assert!(c.int(&["OBJECT", "FREQ", "k:0"]) > 5);
    let evicted = evict_with_maxmemory_1(&s);
    assert_eq!(evicted.len(), 200);
    let hot = |k: &String| {
        let i: usize = k.trim_start_matches("k:").parse().expect("k:<i>");
        i.is_multiple_of(10)
    };
    let late = evicted[180..].iter().filter(|k| hot(k)).count();
    assert!(late >= 12, "{late}/20 hot keys among the last 20: {evicted:?}");
}

/// With used memory counted by the allocator, eviction frees what it
/// must and no more: a limit 200 KiB above the empty server's usage,
/// then three times as many keys as fit. used_memory stays close to the
/// limit, some keys were evicted and many remain; the keys evicted under
/// volatile-ttl have shorter TTLs than the ones kept (as
/// maxmemory.tcl's "is the memory limit honoured?").
#[test]
fn the_memory_limit_is_honoured_and_eviction_is_partial() {
    for policy in
        ["allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-ttl"]
    {
        let s = start();
        let limit = s.info_i64("used_memory") + 200 * 1024;
        let mut c = Conn::new(&s);
        assert_eq!(
            c.s(&["CONFIG", "SET", "maxmemory", &limit.to_string()]),
            "OK"
        );
        set_policy(&s, policy);
        let mut n = 0;
        while s.info_i64("used_memory") + 4096 <= limit {
            put_keys(&s, &format!("a{n}"), 10, |i| Some(10000 + i as u64));
            n += 1;
            assert!(n < 10000, "{policy}: the limit is never reached");
        }
        let fitting = c.int(&["DBSIZE"]);
        for j in 0..2 * n {
            put_keys(&s, &format!("b{j}"), 10, |i| Some(20000 + i as u64));
        }
        let used = s.info_i64("used_memory");
        assert!(
            used < limit + 16 * 1024,
            "{policy}: used {used}, limit {limit}"
        );
        let evicted = s.info_i64("evicted_keys");
        let kept = c.int(&["DBSIZE"]);
        assert!(evicted > 0, "{policy}");
        assert!(kept > fitting / 2, "{policy}: {kept} keys of {fitting}");
        if policy == "volatile-ttl" {
            // The "a" keys (TTL about 10000 s) go before the "b" keys
            // (about 20000 s).
            let a_left = (0..n)
                .flat_map(|g| (0..10).map(move |i| format!("a{g}:{i}")))
                .filter(|k| c.int(&["EXISTS", k]) == 1)
                .count() as i64;
            assert!(
                a_left * 4 < 10 * n,
                "{policy}: {a_left} of {} short-TTL keys left",
                10 * n
            );
        }
    }
}

// ------------------------------ -OOM refusals ------------------------------

/// 5.0 refuses a command queued while over maxmemory (any command but
/// EXEC, denyoom or not) and flags the transaction: EXEC then fails with
/// EXECABORT.
#[test]
fn oom_inside_multi_aborts_the_transaction() {
    let s = start();
    set_policy(&s, "noeviction");
    let mut c = Conn::new(&s);
    assert_eq!(c.s(&["SET", "a", "1"]), "OK");
    assert_eq!(c.s(&["CONFIG", "SET", "maxmemory", "1"]), "OK");
    assert_eq!(c.raw(&["MULTI"]), "+OK\r\n");
    assert_eq!(c.raw(&["SET", "b", "2"]), format!("-{OOM}\r\n"));
    assert_eq!(c.raw(&["GET", "a"]), format!("-{OOM}\r\n"));
    assert_eq!(
        c.raw(&["EXEC"]),
        "-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
    // Under the limit again, the same transaction runs.
    assert_eq!(c.s(&["CONFIG", "SET", "maxmemory", "0"]), "OK");
    assert_eq!(c.raw(&["MULTI"]), "+OK\r\n");
    assert_eq!(c.raw(&["SET", "b", "2"]), "+QUEUED\r\n");
    assert_eq!(c.r(&["EXEC"]).flat(), ["OK"]);
}

/// A script's first write is refused when the server was over maxmemory
/// as the script started; reads still run, and a script that wrote
/// already is not stopped halfway.
#[test]
fn a_script_write_is_refused_with_oom() {
    let s = start();
    set_policy(&s, "noeviction");
    let mut c = Conn::new(&s);
    assert_eq!(c.s(&["SET", "x", "old"]), "OK");
    assert_eq!(c.s(&["CONFIG", "SET", "maxmemory", "1"]), "OK");
    let r = c.r(&["EVAL", "return redis.call('set','x','new')", "0"]);
    match &r {
        Reply::Err(e) => assert!(e.contains(OOM), "{e}"),
        other => panic!("expected an error, got {other:?}"),
    }
    // pcall sees the error as a table, as 5.0 builds it.
    let err = c.bulk(&[
        "EVAL",
        "local ok = redis.pcall('set','x','new'); return ok['err']",
        "0",
    ]);
    assert!(err.contains(OOM), "{err}");
    assert_eq!(c.bulk(&["EVAL", "return redis.call('get','x')", "0"]), "old");
    // EVAL is not a denyoom command in 5.0: the check is the script's
    // first write only. A first write that is not denyoom (DEL) may run,
    // and once the script has written, later writes are not stopped.
    assert_eq!(
        c.r(&[
            "EVAL",
            "redis.call('del','x'); return redis.call('set','x','new')",
            "0"
        ])
        .s(),
        "OK"
    );
    assert_eq!(c.s(&["CONFIG", "SET", "maxmemory", "0"]), "OK");
    assert_eq!(c.bulk(&["GET", "x"]), "new");
}

// ------------------------------ replication ------------------------------

/// Each eviction reaches the replicas (and the AOF) as a DEL, or UNLINK
/// with lazyfree-lazy-eviction: a Redis 7.0 replica ends with the
/// master's data set.
#[test]
fn evictions_are_propagated_to_a_redis_7_replica() {
    let master = Server::start(&["--appendonly", "yes"]);
    let port = master.port_str();
    let r7 = Server::start_binary(
        &find_binary("redis-server"),
        &["--replicaof", "127.0.0.1", &port],
    );
    put_keys(&master, "p", 100, |_| None);
    put_keys(&master, "v", 100, |i| Some(1000 + i as u64));
    wait_for_ofs_sync(&master, &r7);
    assert_eq!(Conn::new(&r7).int(&["DBSIZE"]), 200);

    set_policy(&master, "volatile-random");
    assert_eq!(evict_with_maxmemory_1(&master).len(), 100);
    wait_for_ofs_sync(&master, &r7);
    assert_eq!(Conn::new(&r7).int(&["DBSIZE"]), 100);
    assert_eq!(r7.digest(), master.digest());

    // Lazy eviction: propagated as UNLINK.
    assert_eq!(master.cmd_str(&["CONFIG", "SET", "maxmemory", "0"]), "OK");
    put_keys(&master, "w", 50, |_| Some(5000));
    assert_eq!(
        master.cmd_str(&["CONFIG", "SET", "lazyfree-lazy-eviction", "yes"]),
        "OK"
    );
    assert_eq!(evict_with_maxmemory_1(&master).len(), 50);
    wait_for_ofs_sync(&master, &r7);
    assert_eq!(Conn::new(&r7).int(&["DBSIZE"]), 100);
    assert_ne!(master.digest(), "0000000000000000000000000000000000000000");
    assert_eq!(r7.digest(), master.digest());
    // The AOF holds them as well: the cron flushed it; a restart from it
    // gives the same data set.
    assert_eq!(master.cmd_str(&["CONFIG", "SET", "maxmemory", "0"]), "OK");
    let want = master.digest();
    let mut master = master;
    master.kill();
    master.restart();
    wait_for(SYNC_TIMEOUT, || master.info("loading") == "0");
    assert_eq!(master.digest(), want);
}

/// A replica ignores maxmemory by default (replica-ignore-maxmemory yes):
/// it keeps every key its master sends. With the option off it evicts
/// like a master, and, as in 5.0, a write from its master that finds it
/// out of memory is refused (the replica then lacks it).
#[test]
fn a_replica_ignores_maxmemory_unless_told_otherwise() {
    let master = Server::start(&[]);
    let port = master.port_str();
    let bin = Path::new(util::OXREDIS_BIN);
    let replica = |extra: &[&str]| {
        let mut args = vec![
            "--replicaof",
            "127.0.0.1",
            &port,
            "--maxmemory-policy",
            "allkeys-random",
        ];
        args.extend_from_slice(extra);
        Server::start_binary(bin, &args)
    };
    let keeps = replica(&[]);
    let evicts = replica(&["--replica-ignore-maxmemory", "no"]);
    put_keys(&master, "k", 100, |_| None);
    for r in [&keeps, &evicts] {
        wait_for_ofs_sync(&master, r);
        assert_eq!(Conn::new(r).int(&["DBSIZE"]), 100);
        assert_eq!(r.cmd_str(&["CONFIG", "SET", "maxmemory", "1"]), "OK");
    }
    assert_eq!(keeps.info_i64("evicted_keys"), 0);
    assert_eq!(evicts.info_i64("evicted_keys"), 100);
    assert_eq!(Conn::new(&evicts).int(&["DBSIZE"]), 0);

    put_keys(&master, "more", 10, |_| None);
    wait_for_ofs_sync(&master, &keeps);
    wait_for_ofs_sync(&master, &evicts);
    assert_eq!(Conn::new(&keeps).int(&["DBSIZE"]), 110);
    assert_eq!(keeps.digest(), master.digest());
    assert_eq!(Conn::new(&evicts).int(&["DBSIZE"]), 0);
}

// ------------------------------ CONFIG SET ------------------------------

/// CONFIG SET maxmemory below the used memory logs 5.0's warning and
/// evicts at once.
#[test]
fn config_set_maxmemory_below_used_memory_warns_and_evicts() {
    let s = start();
    put_keys(&s, "k", 20, |_| None);
    set_policy(&s, "allkeys-random");
    assert_eq!(s.cmd_str(&["CONFIG", "SET", "maxmemory", "1"]), "OK");
    assert_eq!(s.info_i64("evicted_keys"), 20);
    assert_eq!(Conn::new(&s).int(&["DBSIZE"]), 0);
    assert!(
        s.log().contains("WARNING: the new maxmemory value set via CONFIG SET is smaller than the current memory usage. This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy."),
        "{}",
        s.log()
    );
}
