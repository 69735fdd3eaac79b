//! HyperLogLog (hyperloglog.c): PFADD, PFCOUNT, PFMERGE, PFDEBUG and
//! PFSELFTEST against the real binary. Every expected reply below, the
//! exact bytes of the sparse and dense HLLs included, was taken from the
//! Redis 5.0.14 binary with the same commands; the corrupted HLLs are
//! those of the CVE-2019-10192/10193 checks (runs past the 16384
//! registers, truncated opcodes, headers without registers).

mod util;

use util::{find_binary, wait_caught_up, wait_for_ofs_sync, Conn, Server};

/// A sparse header ("HYLL", encoding 1, cached cardinality 0 and valid)
/// followed by `body`.
fn sparse(body: &[u8]) -> Vec<u8> {
    let mut v = b"HYLL\x01".to_vec();
    v.extend_from_slice(&[0u8; 11]);
    v.extend_from_slice(body);
    v
}

/// Runs `script` on a new connection and checks every raw reply.
#[track_caller]
fn check_script(server: &Server, script: &[(&[&[u8]], &[u8])]) {
    let bad3 = sparse(&[0x83u8; 5000]); // 20000 registers of VAL runs.
    let bad7 = sparse(&[0u8; 20000]); // 20000 one-register ZERO runs.
    let mut r = Conn::new(server);
    for (args, want) in script {
        let args: Vec<&[u8]> = args
            .iter()
            .map(|a| match *a {
                b"@bad3" => &bad3[..],
                b"@bad7" => &bad7[..],
                a => a,
            })
            .collect();
        let got = r.raw_bin(&args);
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(want),
            "{:?}",
            args.iter().map(|a| String::from_utf8_lossy(a)).collect::<Vec<_>>()
        );
    }
}

/// Replies, stored bytes (sparse, with the cached cardinality written by
/// PFCOUNT, and merged) and errors, as 5.0.14 gives them; corrupted and
/// hostile HLLs get 5.0.14's answers and the server stays up.
#[test]
fn replies_and_bytes_match_redis_5() {
    let s = Server::start(&[]);
    let script: &[(&[&[u8]], &[u8])] = &[
        (&[b"flushall"], b"+OK\x0d\x0a"),
        (&[b"pfadd", b"h", b"a", b"b", b"c", b"d", b"e"], b":1\x0d\x0a"),
        (&[b"get", b"h"], b"$33\x0d\x0aHYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\\{\x80Dv\x80P\xb1\x84I\x8c\x80Bm\x80BZ\x0d\x0a"),
        (&[b"pfcount", b"h"], b":5\x0d\x0a"),
        (&[b"get", b"h"], b"$33\x0d\x0aHYLL\x01\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\\{\x80Dv\x80P\xb1\x84I\x8c\x80Bm\x80BZ\x0d\x0a"),
        (&[b"pfadd", b"h", b"a"], b":0\x0d\x0a"),
        (&[b"pfadd", b"h"], b":0\x0d\x0a"),
        (&[b"pfadd", b"new"], b":1\x0d\x0a"),
        (&[b"get", b"new"], b"$18\x0d\x0aHYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff\x0d\x0a"),
        (&[b"pfadd", b"h2", b"x", b"y", b"z", b"a"], b":1\x0d\x0a"),
        (&[b"pfcount", b"h", b"h2"], b":8\x0d\x0a"),
        (&[b"pfmerge", b"m", b"h", b"h2"], b"+OK\x0d\x0a"),
        (&[b"get", b"m"], b"$41\x0d\x0aHYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\\{\x80Dv\x80@\x8f\x80P \x84H\xab\x88@\xdf\x80Bm\x80BP\x84\x08\x0d\x0a"),
        (&[b"pfcount", b"m"], b":8\x0d\x0a"),
        (&[b"pfcount", b"nokey"], b":0\x0d\x0a"),
        (&[b"pfmerge", b"m2", b"nokey"], b"+OK\x0d\x0a"),
        (&[b"get", b"m2"], b"$18\x0d\x0aHYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff\x0d\x0a"),
        (&[b"set", b"str", b"foo"], b"+OK\x0d\x0a"),
        (&[b"pfadd", b"str", b"a"], b"-WRONGTYPE Key is not a valid HyperLogLog string value.\x0d\x0a"),
        (&[b"pfcount", b"str"], b"-WRONGTYPE Key is not a valid HyperLogLog string value.\x0d\x0a"),
        (&[b"pfmerge", b"x", b"str"], b"-WRONGTYPE Key is not a valid HyperLogLog string value.\x0d\x0a"),
        (&[b"pfcount", b"h", b"str"], b"-WRONGTYPE Key is not a valid HyperLogLog string value.\x0d\x0a"),
        (&[b"lpush", b"list", b"a"], b":1\x0d\x0a"),
        (&[b"pfadd", b"list", b"a"], b"-WRONGTYPE Operation against a key holding the wrong kind of value\x0d\x0a"),
        (&[b"pfcount", b"list"], b"-WRONGTYPE Operation against a key holding the wrong kind of value\x0d\x0a"),
        (&[b"set", b"int", b"12345"], b"+OK\x0d\x0a"),
        (&[b"pfcount", b"int"], b"-WRONGTYPE Key is not a valid HyperLogLog string value.\x0d\x0a"),
        (&[b"set", b"bad1", b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff\x7f\xff"], b"+OK\x0d\x0a"),
        (&[b"pfcount", b"bad1"], b":0\x0d\x0a"),
        (&[b"pfadd", b"bad1", b"a", b"b"], b":1\x0d\x0a"),
        (&[b"pfmerge", b"x", b"bad1"], b"-INVALIDOBJ Corrupted HLL object detected\x0d\x0a"),
        (&[b"pfcount", b"bad1", b"h"], b"-INVALIDOBJ Corrupted HLL object detected\x0d\x0a"),
        (&[b"set", b"bad2", b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00@"], b"+OK\x0d\x0a"),
        (&[b"pfcount", b"bad2"], b":0\x0d\x0a"),
        (&[b"pfadd", b"bad2", b"a"], b"-INVALIDOBJ Corrupted HLL object detected\x0d\x0a"),
        (&[b"pfmerge", b"x", b"bad2"], b"-INVALIDOBJ Corrupted HLL object detected\x0d\x0a"),
        (&[b"set", b"bad3", b"@bad3"], b"+OK\x0d\x0a"),
        (&[b"pfcount", b"bad3"], b":0\x0d\x0a"),
        (&[b"pfadd", b"bad3", b"a"], b":1\x0d\x0a"),
        (&[b"pfmerge", b"x", b"bad3"], b"+OK\x0d\x0a"),
        (&[b"pfcount", b"h", b"bad3"], b":23638\x0d\x0a"),
        (&[b"set", b"bad4", b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"], b"+OK\x0d\x0a"),
        (&[b"pfcount", b"bad4"], b":0\x0d\x0a"),
        (&[b"pfadd", b"bad4", b"a"], b"-INVALIDOBJ Corrupted HLL object detected\x0d\x0a"),
        (&[b"pfmerge", b"x", b"bad4"], b"-INVALIDOBJ Corrupted HLL object detected\x0d\x0a"),
        (&[b"set", b"bad5", b"HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"], b"+OK\x0d\x0a"),
        (&[b"pfcount", b"bad5"], b"-WRONGTYPE Key is not a valid HyperLogLog string value.\x0d\x0a"),
        (&[b"pfadd", b"bad5", b"a"], b"-WRONGTYPE Key is not a valid HyperLogLog string value.\x0d\x0a"),
        (&[b"set", b"bad6", b"HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"], b"+OK\x0d\x0a"),
        (&[b"pfcount", b"bad6"], b"-WRONGTYPE Key is not a valid HyperLogLog string value.\x0d\x0a"),
        (&[b"set", b"bad7", b"@bad7"], b"+OK\x0d\x0a"),
        (&[b"pfcount", b"bad7"], b":0\x0d\x0a"),
        (&[b"pfadd", b"bad7", b"a"], b":1\x0d\x0a"),
        (&[b"pfmerge", b"x", b"bad7"], b"-INVALIDOBJ Corrupted HLL object detected\x0d\x0a"),
        (&[b"set", b"bad8", b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff\x80"], b"+OK\x0d\x0a"),
        (&[b"pfadd", b"bad8", b"a", b"b", b"c"], b":1\x0d\x0a"),
        (&[b"pfcount", b"bad8"], b"-INVALIDOBJ Corrupted HLL object detected\x0d\x0a"),
        (&[b"set", b"bad9", b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xfe\xfc"], b"+OK\x0d\x0a"),
        (&[b"pfadd", b"bad9", b"a"], b":1\x0d\x0a"),
        (&[b"pfcount", b"bad9"], b":2\x0d\x0a"),
        (&[b"get", b"bad9"], b"$22\x0d\x0aHYLL\x01\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00q\xa6\x84NV\xfc\x0d\x0a"),
        (&[b"pfdebug", b"getreg", b"nokey"], b"-ERR The specified key does not exist\x0d\x0a"),
        (&[b"pfdebug", b"decode", b"str"], b"-WRONGTYPE Key is not a valid HyperLogLog string value.\x0d\x0a"),
        (&[b"pfdebug", b"encoding", b"h"], b"+sparse\x0d\x0a"),
        (&[b"pfdebug", b"decode", b"h"], b"$69\x0d\x0aZ:7292 v:1,1 Z:1143 v:1,1 Z:4274 v:2,1 Z:2445 v:1,1 Z:622 v:1,1 Z:603\x0d\x0a"),
        (&[b"pfdebug", b"todense", b"h"], b":1\x0d\x0a"),
        (&[b"pfdebug", b"todense", b"h"], b":0\x0d\x0a"),
        (&[b"pfdebug", b"decode", b"h"], b"-ERR HLL encoding is not sparse\x0d\x0a"),
        (&[b"pfdebug", b"encoding", b"h"], b"+dense\x0d\x0a"),
        (&[b"pfcount", b"h"], b":5\x0d\x0a"),
        (&[b"pfdebug", b"bogus", b"h"], b"-ERR Unknown PFDEBUG subcommand 'bogus'\x0d\x0a"),
        (&[b"pfdebug", b"encoding", b"h", b"extra"], b"-ERR Wrong number of arguments for the 'encoding' subcommand\x0d\x0a"),
        (&[b"pfadd"], b"-ERR wrong number of arguments for 'pfadd' command\x0d\x0a"),
        (&[b"pfcount"], b"-ERR wrong number of arguments for 'pfcount' command\x0d\x0a"),
        (&[b"pfmerge"], b"-ERR wrong number of arguments for 'pfmerge' command\x0d\x0a"),
        (&[b"pfselftest", b"x"], b"-ERR wrong number of arguments for 'pfselftest' command\x0d\x0a"),
        (&[b"pfdebug", b"x"], b"-ERR wrong number of arguments for 'pfdebug' command\x0d\x0a"),
    ];
    check_script(&s, script);
    assert_eq!(s.digest(), "f0e9e1670e1f514136ebb5a3c7095fbc4f777b8e");
    let mut r = Conn::new(&s);
    assert_eq!(r.raw(&["ping"]), "+PONG\r\n");
}

/// A sparse HLL becomes dense (12304 bytes) once it would pass
/// hll-sparse-max-bytes; sizes, counts and the digest as in 5.0.14.
#[test]
fn sparse_to_dense_promotion() {
    let s = Server::start(&[]);
    let mut r = Conn::new(&s);
    let mut sizes = Vec::new();
    for i in 0..10 {
        let mut args = vec!["pfadd".to_string(), "big".to_string()];
        args.extend((i * 100..i * 100 + 100).map(|n| n.to_string()));
        let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        r.raw(&a);
        sizes.push(format!(
            "{} {}",
            r.raw(&["pfdebug", "encoding", "big"]).trim(),
            r.int(&["strlen", "big"])
        ));
    }
    assert_eq!(
        sizes,
        [
            "+sparse 287",
            "+sparse 507",
            "+sparse 698",
            "+sparse 878",
            "+sparse 1061",
            "+sparse 1238",
            "+sparse 1407",
            "+sparse 1572",
            "+sparse 1750",
            "+sparse 1923"
        ]
    );
    assert_eq!(r.int(&["pfcount", "big"]), 1001);
    assert_eq!(
        r.raw(&["config", "set", "hll-sparse-max-bytes", "30"]),
        "+OK\r\n"
    );
    assert_eq!(
        r.bulks(&["config", "get", "hll-sparse-max-bytes"]),
        ["hll-sparse-max-bytes", "30"]
    );
    assert_eq!(
        r.int(&["pfadd", "small", "a", "b", "c", "d", "e", "f", "g", "h"]),
        1
    );
    assert_eq!(r.raw(&["pfdebug", "encoding", "small"]), "+dense\r\n");
    assert_eq!(r.int(&["strlen", "small"]), 12304);
    assert_eq!(r.int(&["pfcount", "small"]), 8);
    assert_eq!(r.raw(&["pfmerge", "both", "big", "small"]), "+OK\r\n");
    assert_eq!(r.int(&["pfcount", "both"]), 1009);
    assert_eq!(s.digest(), "4d073ce479bd4ec7b46cdbf6fee69e0578b9a2ed");
}

/// PFADD and PFMERGE fire "pfadd" keyspace events (PFCOUNT none).
#[test]
fn keyspace_events() {
    util::assert_keyevents(
        &[
            &["pfadd", "h", "a"],
            &["pfadd", "h", "a"],
            &["pfcount", "h"],
            &["pfmerge", "m", "h"],
            &["pfadd", "e"],
        ],
        &["pfadd h", "pfadd m", "pfadd e"],
    );
}

/// What reaches the replicas: PFADD only when it changed something,
/// PFCOUNT when it wrote the cached cardinality (C's server.dirty++),
/// PFDEBUG TODENSE when it converted.
#[test]
fn propagation() {
    let s = Server::start(&[]);
    let mut repl = util::sync_stream(&s);
    let mut r = Conn::new(&s);
    r.raw(&["pfadd", "h", "a", "b"]);
    r.raw(&["pfadd", "h", "a"]); // no change: not propagated
    r.raw(&["pfcount", "h"]); // cache written: propagated
    r.raw(&["pfcount", "h"]); // cache valid: not propagated
    r.raw(&["pfdebug", "todense", "h"]);
    r.raw(&["pfdebug", "todense", "h"]); // already dense: not propagated
    r.raw(&["set", "end", "1"]);
    assert_eq!(util::next_propagated(&mut repl), ["pfadd", "h", "a", "b"]);
    assert_eq!(util::next_propagated(&mut repl), ["pfcount", "h"]);
    assert_eq!(util::next_propagated(&mut repl), ["pfdebug", "todense", "h"]);
    assert_eq!(util::next_propagated(&mut repl), ["set", "end", "1"]);
}

/// A Redis 7.0 replica of oxredis ends with the same HLL bytes and the
/// same DEBUG DIGEST, through the full sync and the command stream
/// (sparse adds, promotion, merges, cache writes).
#[test]
fn redis_7_replica_same_digest() {
    let master = Server::start(&[]);
    let mut m = Conn::new(&master);
    m.raw(&["pfadd", "before", "a", "b", "c"]);
    m.raw(&["pfcount", "before"]);
    let replica = Server::start_binary(
        &find_binary("redis-server"),
        &["--replicaof", "127.0.0.1", &master.port_str()],
    );
    wait_for_ofs_sync(&master, &replica);
    for i in 0..30 {
        let mut args = vec!["pfadd".to_string(), format!("k{}", i % 3)];
        args.extend((i * 97..i * 97 + 97).map(|n| format!("e{n}")));
        let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        m.raw(&a);
        if i % 4 == 0 {
            m.raw(&["pfcount", &format!("k{}", i % 3)]);
        }
    }
    // k0 grows past hll-sparse-max-bytes (3000): promoted to dense.
    let mut args = vec!["pfadd".to_string(), "k0".to_string()];
    args.extend((0..3000).map(|n| format!("big{n}")));
    let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    m.raw(&a);
    m.raw(&["pfmerge", "merged", "k0", "k1", "before"]);
    m.raw(&["pfmerge", "sparse", "before"]);
    m.raw(&["pfcount", "merged"]);
    m.raw(&["pfcount", "sparse"]);
    m.raw(&["pfdebug", "todense", "before"]);
    wait_caught_up(&master, &replica);
    let mut rr = Conn::new(&replica);
    for key in ["before", "k0", "k1", "k2", "merged", "sparse"] {
        assert_eq!(rr.raw(&["get", key]), m.raw(&["get", key]), "{key}");
    }
    assert_eq!(m.raw(&["pfdebug", "encoding", "k0"]), "+dense\r\n");
    assert_eq!(m.raw(&["pfdebug", "encoding", "sparse"]), "+sparse\r\n");
    assert_eq!(master.digest(), replica.digest());
    assert_ne!(master.digest(), "0".repeat(40));
}

/// Eight clients PFADD into the same keys at once: the registers end as
/// one client adding everything would leave them.
#[test]
fn concurrent_clients() {
    let s = Server::start(&[]);
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let port = s.port();
            std::thread::spawn(move || {
                let mut c = Conn::connect(port);
                for i in 0..100 {
                    let e1 = format!("t{t}-{i}");
                    let e2 = format!("x{}", (t * 100 + i) % 250);
                    let r = c.raw(&["pfadd", "shared", &e1, &e2]);
                    assert!(r == ":1\r\n" || r == ":0\r\n", "{r}");
                    c.raw(&["pfcount", "shared"]);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("client thread");
    }
    let mut r = Conn::new(&s);
    for t in 0..8 {
        for i in 0..100 {
            let e1 = format!("t{t}-{i}");
            let e2 = format!("x{}", (t * 100 + i) % 250);
            assert_eq!(r.raw(&["pfadd", "alone", &e1, &e2]).len(), 4);
        }
    }
    // Already everything: adding again changes nothing.
    assert_eq!(r.raw(&["pfadd", "shared", "t0-0", "x0", "t7-99"]), ":0\r\n");
    let shared = r.int(&["pfcount", "shared"]);
    assert_eq!(shared, r.int(&["pfcount", "alone"]));
    assert!((1000..1100).contains(&shared), "{shared}");
    assert_eq!(
        r.raw(&["pfdebug", "getreg", "shared"]),
        r.raw(&["pfdebug", "getreg", "alone"])
    );
}

/// Random bytes after a sparse header: whatever PFADD, PFCOUNT, PFMERGE
/// and PFDEBUG answer, the server stays up and answers the next command.
#[test]
fn hostile_sparse_values_never_crash() {
    let s = Server::start(&[]);
    let mut r = Conn::new(&s);
    let mut rng = util::Rng(0x9e3779b97f4a7c15);
    for _ in 0..2000 {
        let n = rng.below(64) as usize;
        let body: Vec<u8> = (0..n).map(|_| rng.below(256) as u8).collect();
        let mut v = sparse(&body);
        if rng.below(2) == 0 {
            v[15] = 0; // cached cardinality valid
        } else {
            v[15] = 0x80;
        }
        r.raw_bin(&[b"set", b"k", &v]);
        for cmd in [
            &["pfadd", "k", "a", "b", "c", "d"][..],
            &["pfcount", "k"],
            &["pfcount", "k", "nokey"],
            &["pfmerge", "d", "k"],
            &["pfdebug", "getreg", "k"],
            &["pfdebug", "decode", "k"],
        ] {
            let reply = r.raw(cmd);
            assert!(
                !reply.starts_with("-ERR")
                    || reply.contains("encoding is not sparse"),
                "{cmd:?}: {reply}"
            );
        }
        r.raw(&["del", "d"]);
    }
    assert_eq!(r.raw(&["ping"]), "+PONG\r\n");
    // A dense header with a wrong length is not an HLL at all.
    let mut dense = b"HYLL\x00".to_vec();
    dense.extend_from_slice(&[0u8; 11 + 12287]);
    r.raw_bin(&[b"set", b"d", &dense]);
    assert_eq!(
        r.raw(&["pfadd", "d", "a"]),
        "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n"
    );
    dense.push(0);
    r.raw_bin(&[b"set", b"d", &dense]);
    assert_eq!(r.raw(&["pfadd", "d", "a"]), ":1\r\n");
    assert_eq!(r.raw(&["pfcount", "d"]), ":1\r\n");
}

/// PFSELFTEST's register and error checks pass.
#[test]
fn pfselftest() {
    let s = Server::start(&[]);
    let mut r = Conn::new(&s);
    assert_eq!(r.raw(&["pfselftest"]), "+OK\r\n");
}

/// An HLL is a plain string to RDB: DEBUG RELOAD keeps its bytes, the
/// cached cardinality included, sparse and dense alike.
#[test]
fn debug_reload_keeps_bytes() {
    let s = Server::start(&[]);
    let mut r = Conn::new(&s);
    r.raw(&["pfadd", "sp", "a", "b", "c"]);
    r.raw(&["pfcount", "sp"]);
    r.raw(&["pfadd", "de", "x", "y"]);
    r.raw(&["pfdebug", "todense", "de"]);
    let before = (r.raw(&["get", "sp"]), r.raw(&["get", "de"]), s.digest());
    assert_eq!(r.raw(&["debug", "reload"]), "+OK\r\n");
    let after = (r.raw(&["get", "sp"]), r.raw(&["get", "de"]), s.digest());
    assert_eq!(before, after);
    assert_eq!(r.int(&["pfcount", "sp"]), 3);
    assert_eq!(r.int(&["pfcount", "de"]), 2);
    assert_eq!(r.raw(&["pfdebug", "encoding", "de"]), "+dense\r\n");
}
