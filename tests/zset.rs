//! The sorted set commands, paraphrasing Redis 5.0.14's
//! tests/unit/type/zset.tcl: the "basics" run once per encoding (ziplist
//! with the default thresholds, skiplist with `zset-max-ziplist-entries 0`
//! and `zset-max-ziplist-value 0`, as the Tcl suite does), the stressers
//! (ZSCORE, sorting, fuzzy ZRANGEBYSCORE/ZRANGEBYLEX/ZREMRANGEBYLEX,
//! backlinks, ZRANK) with 128-element ziplists and 100..>128-element
//! skiplists, the regressions, and the BZPOPMIN/BZPOPMAX blocking tests.
//! Added: the encoding conversions at exactly 5.0's thresholds, error
//! replies byte for byte as the real 5.0.14 sends them, WRONGTYPE for every
//! sorted set command against a string key, ZSCAN, keyspace events and the
//! dirty counter.
//!
//! If `REDIS_C_SERVER` names a real redis-server 5.0.14 binary,
//! `replies_match_redis_5_byte_for_byte` also runs a script against it and
//! compares every reply with ours.

mod util;

use std::collections::{BTreeMap, HashMap};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::thread::sleep;
use std::time::Duration;

use util::Server;

// --------------------------- a Tcl-like `r` client ---------------------------

/// A RESP2 reply, decoded.
#[derive(Debug, Clone, PartialEq)]
enum V {
    Status(String),
    Err(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Arr(Option<Vec<V>>),
}

impl V {
    /// Tcl's view of a reply: the text of a string or integer, "" for nil.
    fn s(&self) -> String {
        match self {
            V::Status(s) | V::Err(s) => s.clone(),
            V::Int(i) => i.to_string(),
            V::Bulk(Some(b)) => String::from_utf8_lossy(b).into_owned(),
            V::Bulk(None) => String::new(),
            V::Arr(_) => panic!("array where a string was expected: {self:?}"),
        }
    }
    fn int(&self) -> i64 {
        match self {
            V::Int(i) => *i,
            _ => panic!("not an integer reply: {self:?}"),
        }
    }
    fn strs(&self) -> Vec<String> {
        match self {
            V::Arr(Some(a)) => a.iter().map(V::s).collect(),
            _ => panic!("not an array reply: {self:?}"),
        }
    }
}

fn parse(buf: &[u8]) -> (V, usize) {
    let end = buf.windows(2).position(|w| w == b"\r\n").expect("CRLF");
    let line = String::from_utf8_lossy(&buf[1..end]).into_owned();
    let after = end + 2;
    match buf[0] {
        b'+' => (V::Status(line), after),
        b'-' => (V::Err(line), after),
        b':' => (V::Int(line.parse().expect("integer reply")), after),
        b'$' => {
            let n: i64 = line.parse().expect("bulk length");
            if n < 0 {
                return (V::Bulk(None), after);
            }
            let n = n as usize;
            (V::Bulk(Some(buf[after..after + n].to_vec())), after + n + 2)
        }
        b'*' => {
            let n: i64 = line.parse().expect("array length");
            if n < 0 {
                return (V::Arr(None), after);
            }
            let mut at = after;
            let mut items = Vec::new();
            for _ in 0..n {
                let (v, used) = parse(&buf[at..]);
                items.push(v);
                at += used;
            }
            (V::Arr(Some(items)), at)
        }
        t => panic!("unexpected reply type {:?}", t as char),
    }
}

fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// One connection, like the Tcl suite's `r`.
struct R {
    s: TcpStream,
}

impl R {
    /// Connects and selects DB 9, as the Tcl test clients do.
    fn new(server: &Server) -> R {
        let mut r = R { s: util::raw(server.port()) };
        assert_eq!(r.raw(&["SELECT", "9"]), "+OK\r\n");
        r
    }
    fn raw_bytes(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.s.write_all(&encode(args)).expect("send");
        util::read_reply(&mut self.s)
    }
    /// The raw reply as text, for byte-exact checks.
    fn raw(&mut self, args: &[&str]) -> String {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        String::from_utf8_lossy(&self.raw_bytes(&a)).into_owned()
    }
    fn r(&mut self, args: &[&str]) -> V {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        parse(&self.raw_bytes(&a)).0
    }
    fn rs(&mut self, args: &[String]) -> V {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        parse(&self.raw_bytes(&a)).0
    }
    fn s(&mut self, args: &[&str]) -> String {
        self.r(args).s()
    }
    fn int(&mut self, args: &[&str]) -> i64 {
        self.r(args).int()
    }
    fn list(&mut self, args: &[&str]) -> Vec<String> {
        self.r(args).strs()
    }
    /// The error text of a reply that must be an error.
    #[track_caller]
    fn err(&mut self, args: &[&str]) -> String {
        match self.r(args) {
            V::Err(e) => e,
            v => panic!("{args:?}: expected an error, got {v:?}"),
        }
    }
    /// The score of a member as a float (Tcl compares numerically).
    fn score(&mut self, key: &str, member: &str) -> f64 {
        self.s(&["ZSCORE", key, member]).parse().expect("a float score")
    }
    #[track_caller]
    fn assert_encoding(&mut self, enc: &str, key: &str) {
        assert_eq!(
            self.s(&["OBJECT", "ENCODING", key]),
            enc,
            "encoding of {key}"
        );
    }
    /// The Tcl `create_zset`: DEL, then one ZADD per pair.
    fn create_zset(&mut self, key: &str, items: &[(&str, &str)]) {
        self.r(&["DEL", key]);
        for (score, entry) in items {
            self.r(&["ZADD", key, score, entry]);
        }
    }
}

/// A deferring client: commands are sent, and the replies read later.
struct D {
    s: TcpStream,
}

impl D {
    fn new(server: &Server) -> D {
        let mut d = D { s: util::raw(server.port()) };
        d.send(&["SELECT", "9"]);
        assert_eq!(d.read(), "+OK\r\n");
        d
    }
    fn send(&mut self, args: &[&str]) {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        self.s.write_all(&encode(&a)).expect("send");
    }
    /// The next reply, raw (waits up to 10 s).
    fn read(&mut self) -> String {
        String::from_utf8_lossy(&util::read_reply(&mut self.s)).into_owned()
    }
    /// The next reply, decoded.
    fn read_v(&mut self) -> V {
        parse(&util::read_reply(&mut self.s)).0
    }
    /// Asserts that no reply arrives within `ms` milliseconds.
    #[track_caller]
    fn assert_no_reply(&mut self, ms: u64) {
        self.s.set_read_timeout(Some(Duration::from_millis(ms))).unwrap();
        let mut byte = [0u8; 1];
        match self.s.read(&mut byte) {
            Ok(0) => panic!("connection closed"),
            Ok(_) => panic!("unexpected reply byte {:?}", byte[0] as char),
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("read: {e}"),
        }
        self.s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    }
}

const WRONGTYPE: &str =
    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

/// Starts a server and sets the thresholds the way zset.tcl's `basics`
/// does for `encoding`.
fn setup(encoding: &str) -> (Server, R) {
    let server = Server::start(&[]);
    let mut r = R::new(&server);
    set_encoding(&mut r, encoding);
    (server, r)
}

fn set_encoding(r: &mut R, encoding: &str) {
    let (entries, value) = match encoding {
        "ziplist" => ("128", "64"),
        "skiplist" => ("0", "0"),
        _ => panic!("Unknown sorted set encoding"),
    };
    assert_eq!(
        r.raw(&["CONFIG", "SET", "zset-max-ziplist-entries", entries]),
        "+OK\r\n"
    );
    assert_eq!(
        r.raw(&["CONFIG", "SET", "zset-max-ziplist-value", value]),
        "+OK\r\n"
    );
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

// ------------------------------- basics -------------------------------------

/// "Check encoding", "ZSET basic ZADD and score update", the NaN and ZADD
/// option tests, ZINCRBY NaN, the variadic ZADD tests.
fn check_zadd(r: &mut R, encoding: &str) {
    // Check encoding
    r.r(&["DEL", "ztmp"]);
    r.r(&["ZADD", "ztmp", "10", "x"]);
    r.assert_encoding(encoding, "ztmp");

    // ZSET basic ZADD and score update
    r.r(&["DEL", "ztmp"]);
    r.r(&["ZADD", "ztmp", "10", "x"]);
    r.r(&["ZADD", "ztmp", "20", "y"]);
    r.r(&["ZADD", "ztmp", "30", "z"]);
    assert_eq!(r.list(&["ZRANGE", "ztmp", "0", "-1"]), strs(&["x", "y", "z"]));
    r.r(&["ZADD", "ztmp", "1", "y"]);
    assert_eq!(r.list(&["ZRANGE", "ztmp", "0", "-1"]), strs(&["y", "x", "z"]));

    // ZSET element can't be set to NaN with ZADD / ZINCRBY
    assert_eq!(
        r.err(&["ZADD", "myzset", "nan", "abc"]),
        "ERR value is not a valid float"
    );
    assert_eq!(
        r.err(&["ZINCRBY", "myzset", "nan", "abc"]),
        "ERR value is not a valid float"
    );

    // ZADD with options syntax error with incomplete pair
    r.r(&["DEL", "ztmp"]);
    assert_eq!(
        r.raw(&["ZADD", "ztmp", "xx", "10", "x", "20"]),
        "-ERR syntax error\r\n"
    );

    // ZADD XX option without key
    r.r(&["DEL", "ztmp"]);
    assert_eq!(r.int(&["ZADD", "ztmp", "xx", "10", "x"]), 0);
    assert_eq!(r.s(&["TYPE", "ztmp"]), "none");

    // ZADD XX existing key
    r.r(&["DEL", "ztmp"]);
    r.r(&["ZADD", "ztmp", "10", "x"]);
    assert_eq!(r.int(&["ZADD", "ztmp", "xx", "20", "y"]), 0);
    assert_eq!(r.int(&["ZCARD", "ztmp"]), 1);

    // ZADD XX returns the number of elements actually added
    r.r(&["DEL", "ztmp"]);
    r.r(&["ZADD", "ztmp", "10", "x"]);
    assert_eq!(r.int(&["ZADD", "ztmp", "10", "x", "20", "y", "30", "z"]), 2);

    // ZADD XX updates existing elements score
    r.r(&["DEL", "ztmp"]);
    r.r(&["ZADD", "ztmp", "10", "x", "20", "y", "30", "z"]);
    r.r(&["ZADD", "ztmp", "xx", "5", "foo", "11", "x", "21", "y", "40", "zap"]);
    assert_eq!(r.int(&["ZCARD", "ztmp"]), 3);
    assert_eq!(r.score("ztmp", "x"), 11.0);
    assert_eq!(r.score("ztmp", "y"), 21.0);

    // ZADD XX and NX are not compatible
    r.r(&["DEL", "ztmp"]);
    assert_eq!(
        r.raw(&["ZADD", "ztmp", "xx", "nx", "10", "x"]),
        "-ERR XX and NX options at the same time are not compatible\r\n"
    );

    // ZADD NX with non existing key
    r.r(&["DEL", "ztmp"]);
    r.r(&["ZADD", "ztmp", "nx", "10", "x", "20", "y", "30", "z"]);
    assert_eq!(r.int(&["ZCARD", "ztmp"]), 3);

    // ZADD NX only add new elements without updating old ones
    r.r(&["DEL", "ztmp"]);
    r.r(&["ZADD", "ztmp", "10", "x", "20", "y", "30", "z"]);
    assert_eq!(
        r.int(&[
            "ZADD", "ztmp", "nx", "11", "x", "21", "y", "100", "a", "200", "b"
        ]),
        2
    );
    assert_eq!(r.score("ztmp", "x"), 10.0);
    assert_eq!(r.score("ztmp", "y"), 20.0);
    assert_eq!(r.score("ztmp", "a"), 100.0);
    assert_eq!(r.score("ztmp", "b"), 200.0);

    // ZADD INCR works like ZINCRBY
    r.r(&["DEL", "ztmp"]);
    r.r(&["ZADD", "ztmp", "10", "x", "20", "y", "30", "z"]);
    assert_eq!(r.raw(&["ZADD", "ztmp", "INCR", "15", "x"]), "$2\r\n25\r\n");
    assert_eq!(r.score("ztmp", "x"), 25.0);

    // ZADD INCR works with a single score-elemenet pair
    assert_eq!(
        r.raw(&["ZADD", "ztmp", "INCR", "15", "x", "10", "y"]),
        "-ERR INCR option supports a single increment-element pair\r\n"
    );
    // INCR with NX on an existing member, or XX on a missing one: nil.
    assert_eq!(r.raw(&["ZADD", "ztmp", "NX", "INCR", "1", "x"]), "$-1\r\n");
    assert_eq!(r.raw(&["ZADD", "ztmp", "XX", "INCR", "1", "nope"]), "$-1\r\n");

    // ZADD CH option changes return value to all changed elements
    r.r(&["DEL", "ztmp"]);
    r.r(&["ZADD", "ztmp", "10", "x", "20", "y", "30", "z"]);
    assert_eq!(r.int(&["ZADD", "ztmp", "11", "x", "21", "y", "30", "z"]), 0);
    assert_eq!(
        r.int(&["ZADD", "ztmp", "ch", "12", "x", "22", "y", "30", "z"]),
        2
    );

    // ZINCRBY calls leading to NaN result in error
    r.r(&["ZINCRBY", "myzset", "+inf", "abc"]);
    assert_eq!(
        r.raw(&["ZINCRBY", "myzset", "-inf", "abc"]),
        "-ERR resulting score is not a number (NaN)\r\n"
    );

    // ZADD - Variadic version base case
    r.r(&["DEL", "myzset"]);
    assert_eq!(r.int(&["ZADD", "myzset", "10", "a", "20", "b", "30", "c"]), 3);
    assert_eq!(
        r.list(&["ZRANGE", "myzset", "0", "-1", "withscores"]),
        strs(&["a", "10", "b", "20", "c", "30"])
    );

    // ZADD - Return value is the number of actually added items
    assert_eq!(r.int(&["ZADD", "myzset", "5", "x", "20", "b", "30", "c"]), 1);
    assert_eq!(
        r.list(&["ZRANGE", "myzset", "0", "-1", "withscores"]),
        strs(&["x", "5", "a", "10", "b", "20", "c", "30"])
    );

    // ZADD - Variadic version does not add nothing on single parsing err
    r.r(&["DEL", "myzset"]);
    assert_eq!(
        r.err(&["ZADD", "myzset", "10", "a", "20", "b", "30.badscore", "c"]),
        "ERR value is not a valid float"
    );
    assert_eq!(r.int(&["EXISTS", "myzset"]), 0);

    // ZADD - Variadic version will raise error on missing arg
    r.r(&["DEL", "myzset"]);
    assert_eq!(
        r.raw(&["ZADD", "myzset", "10", "a", "20", "b", "30", "c", "40"]),
        "-ERR syntax error\r\n"
    );

    // ZINCRBY does not work variadic even if shares ZADD implementation
    r.r(&["DEL", "myzset"]);
    assert_eq!(
        r.raw(&["ZINCRBY", "myzset", "10", "a", "20", "b", "30", "c"]),
        "-ERR wrong number of arguments for 'zincrby' command\r\n"
    );
}

#[test]
fn zadd_basics_and_options_ziplist() {
    let (_s, mut r) = setup("ziplist");
    check_zadd(&mut r, "ziplist");
}

#[test]
fn zadd_basics_and_options_skiplist() {
    let (_s, mut r) = setup("skiplist");
    check_zadd(&mut r, "skiplist");
}

/// ZCARD, ZREM, ZRANGE, ZREVRANGE, ZRANK, ZREVRANK, ZINCRBY.
fn check_card_rem_range_rank(r: &mut R, encoding: &str) {
    // ZCARD basics
    r.r(&["DEL", "ztmp"]);
    r.r(&["ZADD", "ztmp", "10", "a", "20", "b", "30", "c"]);
    r.assert_encoding(encoding, "ztmp");
    assert_eq!(r.int(&["ZCARD", "ztmp"]), 3);
    assert_eq!(r.int(&["ZCARD", "zdoesntexist"]), 0);

    // ZREM removes key after last element is removed
    r.r(&["DEL", "ztmp"]);
    r.r(&["ZADD", "ztmp", "10", "x"]);
    r.r(&["ZADD", "ztmp", "20", "y"]);
    assert_eq!(r.int(&["EXISTS", "ztmp"]), 1);
    assert_eq!(r.int(&["ZREM", "ztmp", "z"]), 0);
    assert_eq!(r.int(&["ZREM", "ztmp", "y"]), 1);
    assert_eq!(r.int(&["ZREM", "ztmp", "x"]), 1);
    assert_eq!(r.int(&["EXISTS", "ztmp"]), 0);

    // ZREM variadic version
    r.r(&["DEL", "ztmp"]);
    r.r(&["ZADD", "ztmp", "10", "a", "20", "b", "30", "c"]);
    assert_eq!(r.int(&["ZREM", "ztmp", "x", "y", "a", "b", "k"]), 2);
    assert_eq!(r.int(&["ZREM", "ztmp", "foo", "bar"]), 0);
    assert_eq!(r.int(&["ZREM", "ztmp", "c"]), 1);
    assert_eq!(r.int(&["EXISTS", "ztmp"]), 0);

    // ZREM variadic version -- remove elements after key deletion
    r.r(&["DEL", "ztmp"]);
    r.r(&["ZADD", "ztmp", "10", "a", "20", "b", "30", "c"]);
    assert_eq!(r.int(&["ZREM", "ztmp", "a", "b", "c", "d", "e", "f", "g"]), 3);

    // ZRANGE basics
    r.r(&["DEL", "ztmp"]);
    for (s, e) in [("1", "a"), ("2", "b"), ("3", "c"), ("4", "d")] {
        r.r(&["ZADD", "ztmp", s, e]);
    }
    let zr = |r: &mut R, a: &str, b: &str| r.list(&["ZRANGE", "ztmp", a, b]);
    assert_eq!(zr(r, "0", "-1"), strs(&["a", "b", "c", "d"]));
    assert_eq!(zr(r, "0", "-2"), strs(&["a", "b", "c"]));
    assert_eq!(zr(r, "1", "-1"), strs(&["b", "c", "d"]));
    assert_eq!(zr(r, "1", "-2"), strs(&["b", "c"]));
    assert_eq!(zr(r, "-2", "-1"), strs(&["c", "d"]));
    assert_eq!(zr(r, "-2", "-2"), strs(&["c"]));
    // out of range start index
    assert_eq!(zr(r, "-5", "2"), strs(&["a", "b", "c"]));
    assert_eq!(zr(r, "-5", "1"), strs(&["a", "b"]));
    assert_eq!(zr(r, "5", "-1"), strs(&[]));
    assert_eq!(zr(r, "5", "-2"), strs(&[]));
    // out of range end index
    assert_eq!(zr(r, "0", "5"), strs(&["a", "b", "c", "d"]));
    assert_eq!(zr(r, "1", "5"), strs(&["b", "c", "d"]));
    assert_eq!(zr(r, "0", "-5"), strs(&[]));
    assert_eq!(zr(r, "1", "-5"), strs(&[]));
    // withscores
    assert_eq!(
        r.list(&["ZRANGE", "ztmp", "0", "-1", "withscores"]),
        strs(&["a", "1", "b", "2", "c", "3", "d", "4"])
    );

    // ZREVRANGE basics
    let zrr =
        |r: &mut R, a: &str, b: &str| r.list(&["ZREVRANGE", "ztmp", a, b]);
    assert_eq!(zrr(r, "0", "-1"), strs(&["d", "c", "b", "a"]));
    assert_eq!(zrr(r, "0", "-2"), strs(&["d", "c", "b"]));
    assert_eq!(zrr(r, "1", "-1"), strs(&["c", "b", "a"]));
    assert_eq!(zrr(r, "1", "-2"), strs(&["c", "b"]));
    assert_eq!(zrr(r, "-2", "-1"), strs(&["b", "a"]));
    assert_eq!(zrr(r, "-2", "-2"), strs(&["b"]));
    assert_eq!(zrr(r, "-5", "2"), strs(&["d", "c", "b"]));
    assert_eq!(zrr(r, "-5", "1"), strs(&["d", "c"]));
    assert_eq!(zrr(r, "5", "-1"), strs(&[]));
    assert_eq!(zrr(r, "5", "-2"), strs(&[]));
    assert_eq!(zrr(r, "0", "5"), strs(&["d", "c", "b", "a"]));
    assert_eq!(zrr(r, "1", "5"), strs(&["c", "b", "a"]));
    assert_eq!(zrr(r, "0", "-5"), strs(&[]));
    assert_eq!(zrr(r, "1", "-5"), strs(&[]));
    assert_eq!(
        r.list(&["ZREVRANGE", "ztmp", "0", "-1", "withscores"]),
        strs(&["d", "4", "c", "3", "b", "2", "a", "1"])
    );

    // ZRANK/ZREVRANK basics
    r.r(&["DEL", "zranktmp"]);
    r.r(&["ZADD", "zranktmp", "10", "x"]);
    r.r(&["ZADD", "zranktmp", "20", "y"]);
    r.r(&["ZADD", "zranktmp", "30", "z"]);
    assert_eq!(r.int(&["ZRANK", "zranktmp", "x"]), 0);
    assert_eq!(r.int(&["ZRANK", "zranktmp", "y"]), 1);
    assert_eq!(r.int(&["ZRANK", "zranktmp", "z"]), 2);
    assert_eq!(r.raw(&["ZRANK", "zranktmp", "foo"]), "$-1\r\n");
    assert_eq!(r.int(&["ZREVRANK", "zranktmp", "x"]), 2);
    assert_eq!(r.int(&["ZREVRANK", "zranktmp", "y"]), 1);
    assert_eq!(r.int(&["ZREVRANK", "zranktmp", "z"]), 0);
    assert_eq!(r.raw(&["ZREVRANK", "zranktmp", "foo"]), "$-1\r\n");

    // ZRANK - after deletion
    r.r(&["ZREM", "zranktmp", "y"]);
    assert_eq!(r.int(&["ZRANK", "zranktmp", "x"]), 0);
    assert_eq!(r.int(&["ZRANK", "zranktmp", "z"]), 1);

    // ZINCRBY - can create a new sorted set
    r.r(&["DEL", "zset"]);
    r.r(&["ZINCRBY", "zset", "1", "foo"]);
    assert_eq!(r.list(&["ZRANGE", "zset", "0", "-1"]), strs(&["foo"]));
    assert_eq!(r.score("zset", "foo"), 1.0);

    // ZINCRBY - increment and decrement
    r.r(&["ZINCRBY", "zset", "2", "foo"]);
    r.r(&["ZINCRBY", "zset", "1", "bar"]);
    assert_eq!(r.list(&["ZRANGE", "zset", "0", "-1"]), strs(&["bar", "foo"]));
    r.r(&["ZINCRBY", "zset", "10", "bar"]);
    r.r(&["ZINCRBY", "zset", "-5", "foo"]);
    r.r(&["ZINCRBY", "zset", "-5", "bar"]);
    assert_eq!(r.list(&["ZRANGE", "zset", "0", "-1"]), strs(&["foo", "bar"]));
    assert_eq!(r.score("zset", "foo"), -2.0);
    assert_eq!(r.score("zset", "bar"), 6.0);

    // ZINCRBY return value
    r.r(&["DEL", "ztmp"]);
    assert_eq!(r.raw(&["ZINCRBY", "ztmp", "1.0", "x"]), "$1\r\n1\r\n");
}

#[test]
fn zcard_zrem_zrange_zrank_zincrby_ziplist() {
    let (_s, mut r) = setup("ziplist");
    check_card_rem_range_rank(&mut r, "ziplist");
}

#[test]
fn zcard_zrem_zrange_zrank_zincrby_skiplist() {
    let (_s, mut r) = setup("skiplist");
    check_card_rem_range_rank(&mut r, "skiplist");
}

fn create_default_zset(r: &mut R) {
    r.create_zset(
        "zset",
        &[
            ("-inf", "a"),
            ("1", "b"),
            ("2", "c"),
            ("3", "d"),
            ("4", "e"),
            ("5", "f"),
            ("+inf", "g"),
        ],
    );
}

fn create_default_lex_zset(r: &mut R) {
    r.create_zset(
        "zset",
        &[
            ("0", "alpha"),
            ("0", "bar"),
            ("0", "cool"),
            ("0", "down"),
            ("0", "elephant"),
            ("0", "foo"),
            ("0", "great"),
            ("0", "hill"),
            ("0", "omega"),
        ],
    );
}

/// ZRANGEBYSCORE/ZREVRANGEBYSCORE/ZCOUNT, ZRANGEBYLEX/ZREVRANGEBYLEX/
/// ZLEXCOUNT, ZREMRANGEBYSCORE, ZREMRANGEBYRANK.
fn check_ranges(r: &mut R, encoding: &str) {
    // ZRANGEBYSCORE/ZREVRANGEBYSCORE/ZCOUNT basics
    create_default_zset(r);
    r.assert_encoding(encoding, "zset");
    let l = |r: &mut R, args: &[&str]| {
        let mut a = args.to_vec();
        a.insert(1, "zset");
        r.list(&a)
    };
    // inclusive range
    assert_eq!(l(r, &["ZRANGEBYSCORE", "-inf", "2"]), strs(&["a", "b", "c"]));
    assert_eq!(l(r, &["ZRANGEBYSCORE", "0", "3"]), strs(&["b", "c", "d"]));
    assert_eq!(l(r, &["ZRANGEBYSCORE", "3", "6"]), strs(&["d", "e", "f"]));
    assert_eq!(l(r, &["ZRANGEBYSCORE", "4", "+inf"]), strs(&["e", "f", "g"]));
    assert_eq!(
        l(r, &["ZREVRANGEBYSCORE", "2", "-inf"]),
        strs(&["c", "b", "a"])
    );
    assert_eq!(l(r, &["ZREVRANGEBYSCORE", "3", "0"]), strs(&["d", "c", "b"]));
    assert_eq!(l(r, &["ZREVRANGEBYSCORE", "6", "3"]), strs(&["f", "e", "d"]));
    assert_eq!(
        l(r, &["ZREVRANGEBYSCORE", "+inf", "4"]),
        strs(&["g", "f", "e"])
    );
    assert_eq!(r.int(&["ZCOUNT", "zset", "0", "3"]), 3);
    // exclusive range
    assert_eq!(l(r, &["ZRANGEBYSCORE", "(-inf", "(2"]), strs(&["b"]));
    assert_eq!(l(r, &["ZRANGEBYSCORE", "(0", "(3"]), strs(&["b", "c"]));
    assert_eq!(l(r, &["ZRANGEBYSCORE", "(3", "(6"]), strs(&["e", "f"]));
    assert_eq!(l(r, &["ZRANGEBYSCORE", "(4", "(+inf"]), strs(&["f"]));
    assert_eq!(l(r, &["ZREVRANGEBYSCORE", "(2", "(-inf"]), strs(&["b"]));
    assert_eq!(l(r, &["ZREVRANGEBYSCORE", "(3", "(0"]), strs(&["c", "b"]));
    assert_eq!(l(r, &["ZREVRANGEBYSCORE", "(6", "(3"]), strs(&["f", "e"]));
    assert_eq!(l(r, &["ZREVRANGEBYSCORE", "(+inf", "(4"]), strs(&["f"]));
    assert_eq!(r.int(&["ZCOUNT", "zset", "(0", "(3"]), 2);
    // test empty ranges
    r.r(&["ZREM", "zset", "a"]);
    r.r(&["ZREM", "zset", "g"]);
    // inclusive
    assert_eq!(l(r, &["ZRANGEBYSCORE", "4", "2"]), strs(&[]));
    assert_eq!(l(r, &["ZRANGEBYSCORE", "6", "+inf"]), strs(&[]));
    assert_eq!(l(r, &["ZRANGEBYSCORE", "-inf", "-6"]), strs(&[]));
    assert_eq!(l(r, &["ZREVRANGEBYSCORE", "+inf", "6"]), strs(&[]));
    assert_eq!(l(r, &["ZREVRANGEBYSCORE", "-6", "-inf"]), strs(&[]));
    // exclusive
    assert_eq!(l(r, &["ZRANGEBYSCORE", "(4", "(2"]), strs(&[]));
    assert_eq!(l(r, &["ZRANGEBYSCORE", "2", "(2"]), strs(&[]));
    assert_eq!(l(r, &["ZRANGEBYSCORE", "(2", "2"]), strs(&[]));
    assert_eq!(l(r, &["ZRANGEBYSCORE", "(6", "(+inf"]), strs(&[]));
    assert_eq!(l(r, &["ZRANGEBYSCORE", "(-inf", "(-6"]), strs(&[]));
    assert_eq!(l(r, &["ZREVRANGEBYSCORE", "(+inf", "(6"]), strs(&[]));
    assert_eq!(l(r, &["ZREVRANGEBYSCORE", "(-6", "(-inf"]), strs(&[]));
    // empty inner range
    assert_eq!(l(r, &["ZRANGEBYSCORE", "2.4", "2.6"]), strs(&[]));
    assert_eq!(l(r, &["ZRANGEBYSCORE", "(2.4", "2.6"]), strs(&[]));
    assert_eq!(l(r, &["ZRANGEBYSCORE", "2.4", "(2.6"]), strs(&[]));
    assert_eq!(l(r, &["ZRANGEBYSCORE", "(2.4", "(2.6"]), strs(&[]));

    // ZRANGEBYSCORE with WITHSCORES
    create_default_zset(r);
    assert_eq!(
        l(r, &["ZRANGEBYSCORE", "0", "3", "withscores"]),
        strs(&["b", "1", "c", "2", "d", "3"])
    );
    assert_eq!(
        l(r, &["ZREVRANGEBYSCORE", "3", "0", "withscores"]),
        strs(&["d", "3", "c", "2", "b", "1"])
    );

    // ZRANGEBYSCORE with LIMIT
    assert_eq!(
        l(r, &["ZRANGEBYSCORE", "0", "10", "LIMIT", "0", "2"]),
        strs(&["b", "c"])
    );
    assert_eq!(
        l(r, &["ZRANGEBYSCORE", "0", "10", "LIMIT", "2", "3"]),
        strs(&["d", "e", "f"])
    );
    assert_eq!(
        l(r, &["ZRANGEBYSCORE", "0", "10", "LIMIT", "2", "10"]),
        strs(&["d", "e", "f"])
    );
    assert_eq!(
        l(r, &["ZRANGEBYSCORE", "0", "10", "LIMIT", "20", "10"]),
        strs(&[])
    );
    assert_eq!(
        l(r, &["ZREVRANGEBYSCORE", "10", "0", "LIMIT", "0", "2"]),
        strs(&["f", "e"])
    );
    assert_eq!(
        l(r, &["ZREVRANGEBYSCORE", "10", "0", "LIMIT", "2", "3"]),
        strs(&["d", "c", "b"])
    );
    assert_eq!(
        l(r, &["ZREVRANGEBYSCORE", "10", "0", "LIMIT", "2", "10"]),
        strs(&["d", "c", "b"])
    );
    assert_eq!(
        l(r, &["ZREVRANGEBYSCORE", "10", "0", "LIMIT", "20", "10"]),
        strs(&[])
    );
    // A negative count means all of them; a negative offset skips all.
    assert_eq!(
        l(r, &["ZRANGEBYSCORE", "0", "10", "LIMIT", "1", "-1"]),
        strs(&["c", "d", "e", "f"])
    );
    assert_eq!(
        l(r, &["ZRANGEBYSCORE", "0", "10", "LIMIT", "-1", "2"]),
        strs(&[])
    );

    // ZRANGEBYSCORE with LIMIT and WITHSCORES
    assert_eq!(
        l(r, &["ZRANGEBYSCORE", "0", "10", "WITHSCORES", "LIMIT", "2", "3"]),
        strs(&["d", "3", "e", "4", "f", "5"])
    );
    assert_eq!(
        l(r, &["ZREVRANGEBYSCORE", "10", "0", "WITHSCORES", "LIMIT", "2", "3"]),
        strs(&["d", "3", "c", "2", "b", "1"])
    );

    // ZRANGEBYSCORE with non-value min or max
    for (a, b) in [("str", "1"), ("1", "str"), ("1", "NaN")] {
        assert_eq!(
            r.raw(&["ZRANGEBYSCORE", "fooz", a, b]),
            "-ERR min or max is not a float\r\n"
        );
    }

    // ZRANGEBYLEX/ZREVRANGEBYLEX/ZLEXCOUNT basics
    create_default_lex_zset(r);
    // inclusive range
    assert_eq!(
        l(r, &["ZRANGEBYLEX", "-", "[cool"]),
        strs(&["alpha", "bar", "cool"])
    );
    assert_eq!(
        l(r, &["ZRANGEBYLEX", "[bar", "[down"]),
        strs(&["bar", "cool", "down"])
    );
    assert_eq!(
        l(r, &["ZRANGEBYLEX", "[g", "+"]),
        strs(&["great", "hill", "omega"])
    );
    assert_eq!(
        l(r, &["ZREVRANGEBYLEX", "[cool", "-"]),
        strs(&["cool", "bar", "alpha"])
    );
    assert_eq!(
        l(r, &["ZREVRANGEBYLEX", "[down", "[bar"]),
        strs(&["down", "cool", "bar"])
    );
    assert_eq!(
        l(r, &["ZREVRANGEBYLEX", "+", "[g"]),
        strs(&["omega", "hill", "great"])
    );
    assert_eq!(r.int(&["ZLEXCOUNT", "zset", "[ele", "[h"]), 3);
    // exclusive range
    assert_eq!(l(r, &["ZRANGEBYLEX", "-", "(cool"]), strs(&["alpha", "bar"]));
    assert_eq!(l(r, &["ZRANGEBYLEX", "(bar", "(down"]), strs(&["cool"]));
    assert_eq!(l(r, &["ZRANGEBYLEX", "(great", "+"]), strs(&["hill", "omega"]));
    assert_eq!(
        l(r, &["ZREVRANGEBYLEX", "(cool", "-"]),
        strs(&["bar", "alpha"])
    );
    assert_eq!(l(r, &["ZREVRANGEBYLEX", "(down", "(bar"]), strs(&["cool"]));
    assert_eq!(
        l(r, &["ZREVRANGEBYLEX", "+", "(great"]),
        strs(&["omega", "hill"])
    );
    assert_eq!(r.int(&["ZLEXCOUNT", "zset", "(ele", "(great"]), 2);
    // inclusive and exclusive
    assert_eq!(l(r, &["ZRANGEBYLEX", "(az", "(b"]), strs(&[]));
    assert_eq!(l(r, &["ZRANGEBYLEX", "(z", "+"]), strs(&[]));
    assert_eq!(l(r, &["ZRANGEBYLEX", "-", "[aaaa"]), strs(&[]));
    assert_eq!(l(r, &["ZREVRANGEBYLEX", "[elez", "[elex"]), strs(&[]));
    assert_eq!(l(r, &["ZREVRANGEBYLEX", "(hill", "(omega"]), strs(&[]));

    // ZLEXCOUNT advanced
    assert_eq!(r.int(&["ZLEXCOUNT", "zset", "-", "+"]), 9);
    assert_eq!(r.int(&["ZLEXCOUNT", "zset", "+", "-"]), 0);
    assert_eq!(r.int(&["ZLEXCOUNT", "zset", "+", "[c"]), 0);
    assert_eq!(r.int(&["ZLEXCOUNT", "zset", "[c", "-"]), 0);
    assert_eq!(r.int(&["ZLEXCOUNT", "zset", "[bar", "+"]), 8);
    assert_eq!(r.int(&["ZLEXCOUNT", "zset", "[bar", "[foo"]), 5);
    assert_eq!(r.int(&["ZLEXCOUNT", "zset", "[bar", "(foo"]), 4);
    assert_eq!(r.int(&["ZLEXCOUNT", "zset", "(bar", "[foo"]), 4);
    assert_eq!(r.int(&["ZLEXCOUNT", "zset", "(bar", "(foo"]), 3);
    assert_eq!(r.int(&["ZLEXCOUNT", "zset", "-", "(foo"]), 5);
    assert_eq!(r.int(&["ZLEXCOUNT", "zset", "(maxstring", "+"]), 1);

    // ZRANGEBYSLEX with LIMIT
    assert_eq!(
        l(r, &["ZRANGEBYLEX", "-", "[cool", "LIMIT", "0", "2"]),
        strs(&["alpha", "bar"])
    );
    assert_eq!(
        l(r, &["ZRANGEBYLEX", "-", "[cool", "LIMIT", "1", "2"]),
        strs(&["bar", "cool"])
    );
    assert_eq!(
        l(r, &["ZRANGEBYLEX", "[bar", "[down", "LIMIT", "0", "0"]),
        strs(&[])
    );
    assert_eq!(
        l(r, &["ZRANGEBYLEX", "[bar", "[down", "LIMIT", "2", "0"]),
        strs(&[])
    );
    assert_eq!(
        l(r, &["ZRANGEBYLEX", "[bar", "[down", "LIMIT", "0", "1"]),
        strs(&["bar"])
    );
    assert_eq!(
        l(r, &["ZRANGEBYLEX", "[bar", "[down", "LIMIT", "1", "1"]),
        strs(&["cool"])
    );
    assert_eq!(
        l(r, &["ZRANGEBYLEX", "[bar", "[down", "LIMIT", "0", "100"]),
        strs(&["bar", "cool", "down"])
    );
    assert_eq!(
        l(r, &["ZREVRANGEBYLEX", "[down", "-", "LIMIT", "0", "100"]),
        strs(&["down", "cool", "bar", "alpha"])
    );
    assert_eq!(
        l(r, &["ZREVRANGEBYLEX", "[down", "-", "LIMIT", "0", "2"]),
        strs(&["down", "cool"])
    );

    // ZRANGEBYLEX with invalid lex range specifiers
    for (a, b) in [
        ("foo", "bar"),
        ("[foo", "bar"),
        ("foo", "[bar"),
        ("+x", "[bar"),
        ("-x", "[bar"),
    ] {
        assert_eq!(
            r.raw(&["ZRANGEBYLEX", "fooz", a, b]),
            "-ERR min or max not valid string range item\r\n"
        );
    }

    // ZREMRANGEBYSCORE basics
    let remrangebyscore = |r: &mut R, min: &str, max: &str| {
        r.create_zset(
            "zset",
            &[("1", "a"), ("2", "b"), ("3", "c"), ("4", "d"), ("5", "e")],
        );
        assert_eq!(r.int(&["EXISTS", "zset"]), 1);
        r.int(&["ZREMRANGEBYSCORE", "zset", min, max])
    };
    let rest = |r: &mut R| r.list(&["ZRANGE", "zset", "0", "-1"]);
    // inner range
    assert_eq!(remrangebyscore(r, "2", "4"), 3);
    assert_eq!(rest(r), strs(&["a", "e"]));
    // start underflow
    assert_eq!(remrangebyscore(r, "-10", "1"), 1);
    assert_eq!(rest(r), strs(&["b", "c", "d", "e"]));
    // end overflow
    assert_eq!(remrangebyscore(r, "5", "10"), 1);
    assert_eq!(rest(r), strs(&["a", "b", "c", "d"]));
    // switch min and max
    assert_eq!(remrangebyscore(r, "4", "2"), 0);
    assert_eq!(rest(r), strs(&["a", "b", "c", "d", "e"]));
    // -inf to mid
    assert_eq!(remrangebyscore(r, "-inf", "3"), 3);
    assert_eq!(rest(r), strs(&["d", "e"]));
    // mid to +inf
    assert_eq!(remrangebyscore(r, "3", "+inf"), 3);
    assert_eq!(rest(r), strs(&["a", "b"]));
    // -inf to +inf
    assert_eq!(remrangebyscore(r, "-inf", "+inf"), 5);
    assert_eq!(rest(r), strs(&[]));
    // exclusive min
    assert_eq!(remrangebyscore(r, "(1", "5"), 4);
    assert_eq!(rest(r), strs(&["a"]));
    assert_eq!(remrangebyscore(r, "(2", "5"), 3);
    assert_eq!(rest(r), strs(&["a", "b"]));
    // exclusive max
    assert_eq!(remrangebyscore(r, "1", "(5"), 4);
    assert_eq!(rest(r), strs(&["e"]));
    assert_eq!(remrangebyscore(r, "1", "(4"), 3);
    assert_eq!(rest(r), strs(&["d", "e"]));
    // exclusive min and max
    assert_eq!(remrangebyscore(r, "(1", "(5"), 3);
    assert_eq!(rest(r), strs(&["a", "e"]));
    // destroy when empty
    assert_eq!(remrangebyscore(r, "1", "5"), 5);
    assert_eq!(r.int(&["EXISTS", "zset"]), 0);

    // ZREMRANGEBYSCORE with non-value min or max
    for (a, b) in [("str", "1"), ("1", "str"), ("1", "NaN")] {
        assert_eq!(
            r.raw(&["ZREMRANGEBYSCORE", "fooz", a, b]),
            "-ERR min or max is not a float\r\n"
        );
    }

    // ZREMRANGEBYRANK basics
    let remrangebyrank = |r: &mut R, min: &str, max: &str| {
        r.create_zset(
            "zset",
            &[("1", "a"), ("2", "b"), ("3", "c"), ("4", "d"), ("5", "e")],
        );
        assert_eq!(r.int(&["EXISTS", "zset"]), 1);
        r.int(&["ZREMRANGEBYRANK", "zset", min, max])
    };
    // inner range
    assert_eq!(remrangebyrank(r, "1", "3"), 3);
    assert_eq!(rest(r), strs(&["a", "e"]));
    // start underflow
    assert_eq!(remrangebyrank(r, "-10", "0"), 1);
    assert_eq!(rest(r), strs(&["b", "c", "d", "e"]));
    // start overflow
    assert_eq!(remrangebyrank(r, "10", "-1"), 0);
    assert_eq!(rest(r), strs(&["a", "b", "c", "d", "e"]));
    // end underflow
    assert_eq!(remrangebyrank(r, "0", "-10"), 0);
    assert_eq!(rest(r), strs(&["a", "b", "c", "d", "e"]));
    // end overflow
    assert_eq!(remrangebyrank(r, "0", "10"), 5);
    assert_eq!(rest(r), strs(&[]));
    // destroy when empty
    assert_eq!(remrangebyrank(r, "0", "4"), 5);
    assert_eq!(r.int(&["EXISTS", "zset"]), 0);

    // ZREMRANGEBYLEX (not in the Tcl basics; the fuzz below covers more).
    create_default_lex_zset(r);
    assert_eq!(r.int(&["ZREMRANGEBYLEX", "zset", "[bar", "(foo"]), 4);
    assert_eq!(
        r.list(&["ZRANGE", "zset", "0", "-1"]),
        strs(&["alpha", "foo", "great", "hill", "omega"])
    );
    assert_eq!(r.int(&["ZREMRANGEBYLEX", "zset", "-", "+"]), 5);
    assert_eq!(r.int(&["EXISTS", "zset"]), 0);
}

#[test]
fn zrangebyscore_zrangebylex_zremrange_ziplist() {
    let (_s, mut r) = setup("ziplist");
    check_ranges(&mut r, "ziplist");
}

#[test]
fn zrangebyscore_zrangebylex_zremrange_skiplist() {
    let (_s, mut r) = setup("skiplist");
    check_ranges(&mut r, "skiplist");
}

/// ZUNIONSTORE and ZINTERSTORE.
fn check_union_inter(r: &mut R, encoding: &str) {
    // ZUNIONSTORE against non-existing key doesn't set destination
    r.r(&["DEL", "zseta"]);
    assert_eq!(r.int(&["ZUNIONSTORE", "dst_key", "1", "zseta"]), 0);
    assert_eq!(r.int(&["EXISTS", "dst_key"]), 0);

    // ZUNIONSTORE with empty set
    r.r(&["DEL", "zseta", "zsetb"]);
    r.r(&["ZADD", "zseta", "1", "a"]);
    r.r(&["ZADD", "zseta", "2", "b"]);
    r.r(&["ZUNIONSTORE", "zsetc", "2", "zseta", "zsetb"]);
    assert_eq!(
        r.list(&["ZRANGE", "zsetc", "0", "-1", "withscores"]),
        strs(&["a", "1", "b", "2"])
    );

    // ZUNIONSTORE basics
    r.r(&["DEL", "zseta", "zsetb", "zsetc"]);
    r.r(&["ZADD", "zseta", "1", "a"]);
    r.r(&["ZADD", "zseta", "2", "b"]);
    r.r(&["ZADD", "zseta", "3", "c"]);
    r.r(&["ZADD", "zsetb", "1", "b"]);
    r.r(&["ZADD", "zsetb", "2", "c"]);
    r.r(&["ZADD", "zsetb", "3", "d"]);
    assert_eq!(r.int(&["ZUNIONSTORE", "zsetc", "2", "zseta", "zsetb"]), 4);
    assert_eq!(
        r.list(&["ZRANGE", "zsetc", "0", "-1", "withscores"]),
        strs(&["a", "1", "b", "3", "d", "3", "c", "5"])
    );
    r.assert_encoding(encoding, "zsetc");

    // ZUNIONSTORE with weights
    assert_eq!(
        r.int(&[
            "ZUNIONSTORE",
            "zsetc",
            "2",
            "zseta",
            "zsetb",
            "weights",
            "2",
            "3"
        ]),
        4
    );
    assert_eq!(
        r.list(&["ZRANGE", "zsetc", "0", "-1", "withscores"]),
        strs(&["a", "2", "b", "7", "d", "9", "c", "12"])
    );

    // ZUNIONSTORE with a regular set and weights
    r.r(&["DEL", "seta"]);
    r.r(&["SADD", "seta", "a"]);
    r.r(&["SADD", "seta", "b"]);
    r.r(&["SADD", "seta", "c"]);
    assert_eq!(
        r.int(&[
            "ZUNIONSTORE",
            "zsetc",
            "2",
            "seta",
            "zsetb",
            "weights",
            "2",
            "3"
        ]),
        4
    );
    assert_eq!(
        r.list(&["ZRANGE", "zsetc", "0", "-1", "withscores"]),
        strs(&["a", "2", "b", "5", "c", "8", "d", "9"])
    );

    // ZUNIONSTORE with AGGREGATE MIN
    assert_eq!(
        r.int(&[
            "ZUNIONSTORE",
            "zsetc",
            "2",
            "zseta",
            "zsetb",
            "aggregate",
            "min"
        ]),
        4
    );
    assert_eq!(
        r.list(&["ZRANGE", "zsetc", "0", "-1", "withscores"]),
        strs(&["a", "1", "b", "1", "c", "2", "d", "3"])
    );

    // ZUNIONSTORE with AGGREGATE MAX
    assert_eq!(
        r.int(&[
            "ZUNIONSTORE",
            "zsetc",
            "2",
            "zseta",
            "zsetb",
            "aggregate",
            "max"
        ]),
        4
    );
    assert_eq!(
        r.list(&["ZRANGE", "zsetc", "0", "-1", "withscores"]),
        strs(&["a", "1", "b", "2", "c", "3", "d", "3"])
    );

    // ZINTERSTORE basics
    assert_eq!(r.int(&["ZINTERSTORE", "zsetc", "2", "zseta", "zsetb"]), 2);
    assert_eq!(
        r.list(&["ZRANGE", "zsetc", "0", "-1", "withscores"]),
        strs(&["b", "3", "c", "5"])
    );

    // ZINTERSTORE with weights
    assert_eq!(
        r.int(&[
            "ZINTERSTORE",
            "zsetc",
            "2",
            "zseta",
            "zsetb",
            "weights",
            "2",
            "3"
        ]),
        2
    );
    assert_eq!(
        r.list(&["ZRANGE", "zsetc", "0", "-1", "withscores"]),
        strs(&["b", "7", "c", "12"])
    );

    // ZINTERSTORE with a regular set and weights
    assert_eq!(
        r.int(&[
            "ZINTERSTORE",
            "zsetc",
            "2",
            "seta",
            "zsetb",
            "weights",
            "2",
            "3"
        ]),
        2
    );
    assert_eq!(
        r.list(&["ZRANGE", "zsetc", "0", "-1", "withscores"]),
        strs(&["b", "5", "c", "8"])
    );

    // ZINTERSTORE with AGGREGATE MIN
    assert_eq!(
        r.int(&[
            "ZINTERSTORE",
            "zsetc",
            "2",
            "zseta",
            "zsetb",
            "aggregate",
            "min"
        ]),
        2
    );
    assert_eq!(
        r.list(&["ZRANGE", "zsetc", "0", "-1", "withscores"]),
        strs(&["b", "1", "c", "2"])
    );

    // ZINTERSTORE with AGGREGATE MAX
    assert_eq!(
        r.int(&[
            "ZINTERSTORE",
            "zsetc",
            "2",
            "zseta",
            "zsetb",
            "aggregate",
            "max"
        ]),
        2
    );
    assert_eq!(
        r.list(&["ZRANGE", "zsetc", "0", "-1", "withscores"]),
        strs(&["b", "2", "c", "3"])
    );

    for cmd in ["ZUNIONSTORE", "ZINTERSTORE"] {
        // $cmd with +inf/-inf scores
        r.r(&["DEL", "zsetinf1", "zsetinf2"]);
        r.r(&["ZADD", "zsetinf1", "+inf", "key"]);
        r.r(&["ZADD", "zsetinf2", "+inf", "key"]);
        r.r(&[cmd, "zsetinf3", "2", "zsetinf1", "zsetinf2"]);
        assert_eq!(r.s(&["ZSCORE", "zsetinf3", "key"]), "inf");

        r.r(&["ZADD", "zsetinf1", "-inf", "key"]);
        r.r(&["ZADD", "zsetinf2", "+inf", "key"]);
        r.r(&[cmd, "zsetinf3", "2", "zsetinf1", "zsetinf2"]);
        assert_eq!(r.score("zsetinf3", "key"), 0.0);

        r.r(&["ZADD", "zsetinf1", "+inf", "key"]);
        r.r(&["ZADD", "zsetinf2", "-inf", "key"]);
        r.r(&[cmd, "zsetinf3", "2", "zsetinf1", "zsetinf2"]);
        assert_eq!(r.score("zsetinf3", "key"), 0.0);

        r.r(&["ZADD", "zsetinf1", "-inf", "key"]);
        r.r(&["ZADD", "zsetinf2", "-inf", "key"]);
        r.r(&[cmd, "zsetinf3", "2", "zsetinf1", "zsetinf2"]);
        assert_eq!(r.s(&["ZSCORE", "zsetinf3", "key"]), "-inf");

        // $cmd with NaN weights
        r.r(&["DEL", "zsetinf1", "zsetinf2"]);
        r.r(&["ZADD", "zsetinf1", "1.0", "key"]);
        r.r(&["ZADD", "zsetinf2", "1.0", "key"]);
        assert_eq!(
            r.err(&[
                cmd, "zsetinf3", "2", "zsetinf1", "zsetinf2", "weights", "nan",
                "nan"
            ]),
            "ERR weight value is not a float"
        );
    }
}

#[test]
fn zunionstore_zinterstore_ziplist() {
    let (_s, mut r) = setup("ziplist");
    check_union_inter(&mut r, "ziplist");
}

#[test]
fn zunionstore_zinterstore_skiplist() {
    let (_s, mut r) = setup("skiplist");
    check_union_inter(&mut r, "skiplist");
}

/// Basic ZPOP with a single key, ZPOP with count, and the BZPOP tests
/// that do not block.
fn check_zpop(server: &Server, r: &mut R, encoding: &str) {
    // Basic ZPOP with a single key
    r.r(&["DEL", "zset"]);
    assert_eq!(r.list(&["ZPOPMIN", "zset"]), strs(&[]));
    r.create_zset(
        "zset",
        &[("-1", "a"), ("1", "b"), ("2", "c"), ("3", "d"), ("4", "e")],
    );
    r.assert_encoding(encoding, "zset");
    assert_eq!(r.list(&["ZPOPMIN", "zset"]), strs(&["a", "-1"]));
    assert_eq!(r.list(&["ZPOPMIN", "zset"]), strs(&["b", "1"]));
    assert_eq!(r.list(&["ZPOPMAX", "zset"]), strs(&["e", "4"]));
    assert_eq!(r.list(&["ZPOPMAX", "zset"]), strs(&["d", "3"]));
    assert_eq!(r.list(&["ZPOPMIN", "zset"]), strs(&["c", "2"]));
    assert_eq!(r.int(&["EXISTS", "zset"]), 0);
    r.r(&["SET", "foo", "bar"]);
    assert_eq!(r.raw(&["ZPOPMIN", "foo"]), WRONGTYPE);

    // ZPOP with count
    r.r(&["DEL", "z1", "z2", "z3", "foo"]);
    r.create_zset("zset", &[("-1", "a"), ("1", "b"), ("2", "c"), ("3", "d")]);
    assert_eq!(r.list(&["ZPOPMIN", "zset", "2"]), strs(&["a", "-1", "b", "1"]));
    assert_eq!(r.list(&["ZPOPMAX", "zset", "10"]), strs(&["d", "3", "c", "2"]));
    assert_eq!(r.int(&["EXISTS", "zset"]), 0);

    // BZPOP with a single existing sorted set
    let mut rd = D::new(server);
    r.create_zset("zset", &[("0", "a"), ("1", "b"), ("2", "c")]);
    rd.send(&["BZPOPMIN", "zset", "5"]);
    assert_eq!(rd.read_v().strs(), strs(&["zset", "a", "0"]));
    rd.send(&["BZPOPMIN", "zset", "5"]);
    assert_eq!(rd.read_v().strs(), strs(&["zset", "b", "1"]));
    rd.send(&["BZPOPMAX", "zset", "5"]);
    assert_eq!(rd.read_v().strs(), strs(&["zset", "c", "2"]));
    assert_eq!(r.int(&["EXISTS", "zset"]), 0);

    // BZPOP with multiple existing sorted sets
    r.create_zset("z1", &[("0", "a"), ("1", "b"), ("2", "c")]);
    r.create_zset("z2", &[("3", "d"), ("4", "e"), ("5", "f")]);
    rd.send(&["BZPOPMIN", "z1", "z2", "5"]);
    assert_eq!(rd.read_v().strs(), strs(&["z1", "a", "0"]));
    rd.send(&["BZPOPMAX", "z1", "z2", "5"]);
    assert_eq!(rd.read_v().strs(), strs(&["z1", "c", "2"]));
    assert_eq!(r.int(&["ZCARD", "z1"]), 1);
    assert_eq!(r.int(&["ZCARD", "z2"]), 3);
    rd.send(&["BZPOPMAX", "z2", "z1", "5"]);
    assert_eq!(rd.read_v().strs(), strs(&["z2", "f", "5"]));
    rd.send(&["BZPOPMIN", "z2", "z1", "5"]);
    assert_eq!(rd.read_v().strs(), strs(&["z2", "d", "3"]));
    assert_eq!(r.int(&["ZCARD", "z1"]), 1);
    assert_eq!(r.int(&["ZCARD", "z2"]), 1);

    // BZPOP second sorted set has members
    r.r(&["DEL", "z1"]);
    r.create_zset("z2", &[("3", "d"), ("4", "e"), ("5", "f")]);
    rd.send(&["BZPOPMAX", "z1", "z2", "5"]);
    assert_eq!(rd.read_v().strs(), strs(&["z2", "f", "5"]));
    rd.send(&["BZPOPMIN", "z2", "z1", "5"]);
    assert_eq!(rd.read_v().strs(), strs(&["z2", "d", "3"]));
    assert_eq!(r.int(&["ZCARD", "z1"]), 0);
    assert_eq!(r.int(&["ZCARD", "z2"]), 1);
}

#[test]
fn zpop_and_bzpop_on_existing_sets_ziplist() {
    let (s, mut r) = setup("ziplist");
    check_zpop(&s, &mut r, "ziplist");
}

#[test]
fn zpop_and_bzpop_on_existing_sets_skiplist() {
    let (s, mut r) = setup("skiplist");
    check_zpop(&s, &mut r, "skiplist");
}

// ------------------------------ regressions ---------------------------------

#[test]
fn zinterstore_and_zunionstore_regressions() {
    let (_s, mut r) = setup("ziplist");
    // ZINTERSTORE regression with two sets, intset+hashtable
    r.r(&["DEL", "seta", "setb", "setc"]);
    r.r(&["SADD", "set1", "a"]);
    r.r(&["SADD", "set2", "10"]);
    r.r(&["ZINTERSTORE", "set3", "2", "set1", "set2"]);
    assert_eq!(r.list(&["ZRANGE", "set3", "0", "-1"]), strs(&[]));

    // ZUNIONSTORE regression, should not create NaN in scores
    r.r(&["ZADD", "z", "-inf", "neginf"]);
    r.r(&["ZUNIONSTORE", "out", "1", "z", "weights", "0"]);
    assert_eq!(
        r.list(&["ZRANGE", "out", "0", "-1", "withscores"]),
        strs(&["neginf", "0"])
    );

    // ZINTERSTORE #516 regression, mixed sets and ziplist zsets
    r.r(&["SADD", "one", "100", "101", "102", "103"]);
    r.r(&["SADD", "two", "100", "200", "201", "202"]);
    r.r(&[
        "ZADD", "three", "1", "500", "1", "501", "1", "502", "1", "503", "1",
        "100",
    ]);
    r.r(&[
        "ZINTERSTORE",
        "to_here",
        "3",
        "one",
        "two",
        "three",
        "WEIGHTS",
        "0",
        "0",
        "1",
    ]);
    assert_eq!(r.list(&["ZRANGE", "to_here", "0", "-1"]), strs(&["100"]));

    // ZUNIONSTORE result is sorted
    // Create two sets with common and not common elements, perform the
    // UNION, run ZRANGE WITHSCORES and check the scores go up.
    r.r(&["DEL", "one", "two", "dest"]);
    let mut seed: u64 = 12345;
    let mut rand = |n: u64| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        (seed >> 33) % n
    };
    let mut cmd1 = vec!["ZADD".to_string(), "one".to_string()];
    let mut cmd2 = vec!["ZADD".to_string(), "two".to_string()];
    for _ in 0..1000 {
        cmd1.push(rand(1000).to_string());
        cmd1.push(rand(2000).to_string());
        cmd2.push(rand(1000).to_string());
        cmd2.push(rand(2000).to_string());
    }
    r.rs(&cmd1);
    r.rs(&cmd2);
    assert!(r.int(&["ZCARD", "one"]) > 100);
    assert!(r.int(&["ZCARD", "two"]) > 100);
    r.r(&["ZUNIONSTORE", "dest", "2", "one", "two"]);
    let v = r.list(&["ZRANGE", "dest", "0", "-1", "WITHSCORES"]);
    let mut old = f64::NEG_INFINITY;
    for pair in v.chunks(2) {
        let s: f64 = pair[1].parse().unwrap();
        assert!(s >= old);
        old = s;
    }

    // ZSET commands don't accept the empty strings as valid score
    assert_eq!(
        r.err(&["ZADD", "myzset", "", "abc"]),
        "ERR value is not a valid float"
    );
}

#[test]
fn zset_skiplist_order_consistency_when_elements_are_moved() {
    let (_s, mut r) = setup("ziplist");
    set_encoding(&mut r, "skiplist");
    let mut seed: u64 = 99;
    let mut rand = |n: u64| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        (seed >> 33) % n
    };
    r.r(&["DEL", "zset"]);
    let mut cmd = vec!["ZADD".to_string(), "zset".to_string()];
    for j in 0..1000 {
        cmd.push(rand(10).to_string());
        cmd.push(format!("e{j}"));
    }
    r.rs(&cmd);
    for _ in 0..1000 {
        let mut cmd = vec!["ZADD".to_string(), "zset".to_string()];
        for _ in 0..2 {
            cmd.push(rand(10).to_string());
            cmd.push(format!("e{}", rand(1000)));
        }
        r.rs(&cmd);
    }
    // Make sure the elements are still ordered, and the scores are the
    // ones ZSCORE reports.
    let v = r.list(&["ZRANGE", "zset", "0", "-1", "WITHSCORES"]);
    let mut prev: Option<(f64, String)> = None;
    for pair in v.chunks(2) {
        let (e, s) = (pair[0].clone(), pair[1].parse::<f64>().unwrap());
        assert_eq!(r.score("zset", &e), s);
        if let Some((ps, pe)) = &prev {
            assert!(
                s > *ps || (s == *ps && e > *pe),
                "{e} {s} after {pe} {ps}"
            );
        }
        prev = Some((s, e));
    }
}

// ------------------------------- stressers ----------------------------------

/// A deterministic generator for the stressers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 11
    }
    fn float(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 42) as f64
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// A random printable string of 0..max bytes (randstring 0 N alpha).
    fn string(&mut self, max: u64) -> String {
        let len = self.below(max + 1);
        (0..len).map(|_| (b'a' + self.below(26) as u8) as char).collect()
    }
}

/// The zset.tcl `stressers`: 128 elements for ziplist, 100 for skiplist.
fn stressers(encoding: &str) {
    let elements = if encoding == "ziplist" { 128 } else { 100 };
    let (_s, mut r) = setup(encoding);
    let mut rng = Rng(encoding.len() as u64 * 7919);

    // ZSCORE
    r.r(&["DEL", "zscoretest"]);
    let mut aux = Vec::new();
    for i in 0..elements {
        let score = rng.float();
        aux.push(score);
        r.r(&["ZADD", "zscoretest", &format!("{score:.17}"), &i.to_string()]);
    }
    r.assert_encoding(encoding, "zscoretest");
    for (i, want) in aux.iter().enumerate() {
        let got = r.score("zscoretest", &i.to_string());
        assert!((got - want).abs() < 1e-15, "{got} vs {want}");
    }

    // ZSET sorting stresser
    let mut delta = 0;
    for test in 0..2 {
        let mut auxarray: HashMap<String, f64> = HashMap::new();
        r.r(&["DEL", "myzset"]);
        for _ in 0..elements {
            let score =
                if test == 0 { rng.float() } else { rng.below(10) as f64 };
            let member = rng.below(elements as u64).to_string();
            auxarray.insert(member.clone(), score);
            r.r(&["ZADD", "myzset", &format!("{score:.17}"), &member]);
            // Random update
            if rng.float() < 0.2 {
                let j = rng.below(1000).to_string();
                let score =
                    if test == 0 { rng.float() } else { rng.below(10) as f64 };
                auxarray.insert(j.clone(), score);
                r.r(&["ZADD", "myzset", &format!("{score:.17}"), &j]);
            }
        }
        let mut sorted: Vec<(f64, String)> =
            auxarray.iter().map(|(k, v)| (*v, k.clone())).collect();
        sorted.sort_by(|a, b| {
            a.0.partial_cmp(&b.0).unwrap().then_with(|| a.1.cmp(&b.1))
        });
        let want: Vec<String> = sorted.into_iter().map(|(_, k)| k).collect();
        let got = r.list(&["ZRANGE", "myzset", "0", "-1"]);
        if got != want {
            delta += 1;
        }
    }
    assert_eq!(delta, 0);

    // ZRANGEBYSCORE fuzzy test, 100 ranges in $elements element sorted set
    r.r(&["DEL", "zset"]);
    let mut scores = BTreeMap::new();
    for i in 0..elements {
        let s = rng.float();
        scores.insert(i.to_string(), s);
        r.r(&["ZADD", "zset", &format!("{s:.17}"), &i.to_string()]);
    }
    let scores: HashMap<String, f64> =
        scores.into_keys().map(|k| (k.clone(), r.score("zset", &k))).collect();
    for _ in 0..100 {
        let mut min = rng.float();
        let mut max = rng.float();
        if min > max {
            std::mem::swap(&mut min, &mut max);
        }
        let (mins, maxs) = (format!("{min:.17}"), format!("{max:.17}"));
        let (min, max): (f64, f64) =
            (mins.parse().unwrap(), maxs.parse().unwrap());
        let low = r.list(&["ZRANGEBYSCORE", "zset", "-inf", &mins]);
        let ok = r.list(&["ZRANGEBYSCORE", "zset", &mins, &maxs]);
        let high = r.list(&["ZRANGEBYSCORE", "zset", &maxs, "+inf"]);
        let lowx =
            r.list(&["ZRANGEBYSCORE", "zset", "-inf", &format!("({mins}")]);
        let okx = r.list(&[
            "ZRANGEBYSCORE",
            "zset",
            &format!("({mins}"),
            &format!("({maxs}"),
        ]);
        let highx =
            r.list(&["ZRANGEBYSCORE", "zset", &format!("({maxs}"), "+inf"]);
        assert_eq!(
            r.int(&["ZCOUNT", "zset", "-inf", &mins]) as usize,
            low.len()
        );
        assert_eq!(r.int(&["ZCOUNT", "zset", &mins, &maxs]) as usize, ok.len());
        assert_eq!(
            r.int(&["ZCOUNT", "zset", &maxs, "+inf"]) as usize,
            high.len()
        );
        assert_eq!(
            r.int(&["ZCOUNT", "zset", "-inf", &format!("({mins}")]) as usize,
            lowx.len()
        );
        assert_eq!(
            r.int(&["ZCOUNT", "zset", &format!("({mins}"), &format!("({maxs}")])
                as usize,
            okx.len()
        );
        assert_eq!(
            r.int(&["ZCOUNT", "zset", &format!("({maxs}"), "+inf"]) as usize,
            highx.len()
        );
        for x in &low {
            assert!(scores[x] <= min);
        }
        for x in &lowx {
            assert!(scores[x] < min);
        }
        for x in &ok {
            assert!(scores[x] >= min && scores[x] <= max);
        }
        for x in &okx {
            assert!(scores[x] > min && scores[x] < max);
        }
        for x in &high {
            assert!(scores[x] >= max);
        }
        for x in &highx {
            assert!(scores[x] > max);
        }
        // Reversed, the same elements come back in the other order.
        let mut rev = r.list(&["ZREVRANGEBYSCORE", "zset", &maxs, &mins]);
        rev.reverse();
        assert_eq!(rev, ok);
    }

    // ZRANGEBYLEX fuzzy test, 100 ranges in $elements element sorted set
    r.r(&["DEL", "zset"]);
    let mut lexset: Vec<String> = Vec::new();
    for _ in 0..elements {
        let e = rng.string(16);
        lexset.push(e.clone());
        r.r(&["ZADD", "zset", "0", &e]);
    }
    lexset.sort();
    lexset.dedup();
    for _ in 0..100 {
        let mut min = rng.string(16);
        let mut max = rng.string(16);
        let mininc = rng.below(2) == 0;
        let maxinc = rng.below(2) == 0;
        let cmin = format!("{}{}", if mininc { "[" } else { "(" }, min);
        let cmax = format!("{}{}", if maxinc { "[" } else { "(" }, max);
        let rev = r.list(&["ZREVRANGEBYLEX", "zset", &cmax, &cmin]);
        let fwd = r.list(&["ZRANGEBYLEX", "zset", &cmin, &cmax]);
        let mut rev2 = rev.clone();
        rev2.reverse();
        assert_eq!(fwd, rev2);
        if min > max {
            std::mem::swap(&mut min, &mut max);
        }
        let want: Vec<String> = lexset
            .iter()
            .filter(|e| {
                let lo = if mininc { **e >= min } else { **e > min };
                let hi = if maxinc { **e <= max } else { **e < max };
                lo && hi
            })
            .cloned()
            .collect();
        let got = r.list(&["ZRANGEBYLEX", "zset", &cmin, &cmax]);
        if cmin.as_bytes()[1..] <= cmax.as_bytes()[1..] {
            assert_eq!(got, want, "{cmin} {cmax}");
        } else {
            assert!(got.is_empty());
        }
        assert_eq!(
            r.int(&["ZLEXCOUNT", "zset", &cmin, &cmax]) as usize,
            got.len()
        );
    }

    // ZREMRANGEBYLEX fuzzy test, 100 ranges in $elements element sorted set
    for _ in 0..100 {
        r.r(&["DEL", "zset", "zsetcopy"]);
        let mut lexset: Vec<String> = Vec::new();
        for _ in 0..elements {
            let e = rng.string(16);
            lexset.push(e.clone());
            r.r(&["ZADD", "zset", "0", &e]);
        }
        lexset.sort();
        lexset.dedup();
        // Create a copy of the zset in a second key.
        r.r(&["ZUNIONSTORE", "zsetcopy", "1", "zset"]);
        let mut min = rng.string(16);
        let mut max = rng.string(16);
        if min > max {
            std::mem::swap(&mut min, &mut max);
        }
        let cmin = format!("[{min}");
        let cmax = format!("[{max}");
        // Compute the ZRANGEBYLEX of the copy, remove the same range, and
        // check that the rest is the copy minus that range.
        let torem = r.list(&["ZRANGEBYLEX", "zset", &cmin, &cmax]);
        let toremlen = r.int(&["ZLEXCOUNT", "zset", &cmin, &cmax]);
        assert_eq!(
            r.int(&["ZREMRANGEBYLEX", "zsetcopy", &cmin, &cmax]),
            toremlen
        );
        let remaining = r.list(&["ZRANGE", "zsetcopy", "0", "-1"]);
        let want: Vec<String> =
            lexset.iter().filter(|e| !torem.contains(e)).cloned().collect();
        assert_eq!(remaining, want);
    }

    // ZSETs skiplist implementation backlink consistency test
    r.r(&["DEL", "myzset"]);
    for _ in 0..elements {
        r.r(&[
            "ZADD",
            "myzset",
            &format!("{:.17}", rng.float()),
            &format!("Element-{}", rng.below(elements as u64)),
        ]);
        r.r(&[
            "ZREM",
            "myzset",
            &format!("Element-{}", rng.below(elements as u64)),
        ]);
    }
    let l1 = r.list(&["ZRANGE", "myzset", "0", "-1"]);
    let mut l2 = r.list(&["ZREVRANGE", "myzset", "0", "-1"]);
    l2.reverse();
    assert_eq!(l1, l2);

    // ZSETs ZRANK augmented skip list stress testing
    r.r(&["DEL", "myzset"]);
    for _ in 0..20000 {
        let score = rng.float();
        let member = rng.below(elements as u64).to_string();
        if rng.float() < 0.2 {
            r.r(&["ZREM", "myzset", &member]);
        } else {
            r.r(&["ZADD", "myzset", &format!("{score:.17}"), &member]);
        }
        let card = r.int(&["ZCARD", "myzset"]);
        if card > 0 {
            let index = rng.below(card as u64).to_string();
            let ele = r.list(&["ZRANGE", "myzset", &index, &index]);
            let rank = r.int(&["ZRANK", "myzset", &ele[0]]);
            assert_eq!(rank.to_string(), index);
        }
    }
}

#[test]
fn stressers_ziplist() {
    stressers("ziplist");
}

#[test]
fn stressers_skiplist() {
    stressers("skiplist");
}

// ----------------------------- blocking tests --------------------------------

#[test]
fn bzpopmin_blocking_behaviour() {
    let (server, mut r) = setup("ziplist");

    // BZPOPMIN, ZADD + DEL should not awake blocked client
    let mut rd = D::new(&server);
    r.r(&["DEL", "zset"]);
    rd.send(&["BZPOPMIN", "zset", "0"]);
    util::wait_for(Duration::from_secs(5), || {
        server.info("blocked_clients") == "1"
    });
    r.r(&["MULTI"]);
    r.r(&["ZADD", "zset", "0", "foo"]);
    r.r(&["DEL", "zset"]);
    r.r(&["EXEC"]);
    r.r(&["DEL", "zset"]);
    r.r(&["ZADD", "zset", "1", "bar"]);
    assert_eq!(rd.read_v().strs(), strs(&["zset", "bar", "1"]));

    // BZPOPMIN, ZADD + DEL + SET should not awake blocked client
    r.r(&["DEL", "zset"]);
    rd.send(&["BZPOPMIN", "zset", "0"]);
    util::wait_for(Duration::from_secs(5), || {
        server.info("blocked_clients") == "1"
    });
    r.r(&["MULTI"]);
    r.r(&["ZADD", "zset", "0", "foo"]);
    r.r(&["DEL", "zset"]);
    r.r(&["SET", "zset", "foo"]);
    r.r(&["EXEC"]);
    r.r(&["DEL", "zset"]);
    r.r(&["ZADD", "zset", "1", "bar"]);
    assert_eq!(rd.read_v().strs(), strs(&["zset", "bar", "1"]));

    // BZPOPMIN with same key multiple times should work
    r.r(&["DEL", "z1", "z2"]);
    // Data arriving after the BZPOPMIN.
    rd.send(&["BZPOPMIN", "z1", "z2", "z2", "z1", "0"]);
    util::wait_for(Duration::from_secs(5), || {
        server.info("blocked_clients") == "1"
    });
    r.r(&["ZADD", "z1", "0", "a"]);
    assert_eq!(rd.read_v().strs(), strs(&["z1", "a", "0"]));
    rd.send(&["BZPOPMIN", "z1", "z2", "z2", "z1", "0"]);
    util::wait_for(Duration::from_secs(5), || {
        server.info("blocked_clients") == "1"
    });
    r.r(&["ZADD", "z2", "1", "b"]);
    assert_eq!(rd.read_v().strs(), strs(&["z2", "b", "1"]));
    // Data already there.
    r.r(&["ZADD", "z1", "0", "a"]);
    r.r(&["ZADD", "z2", "1", "b"]);
    rd.send(&["BZPOPMIN", "z1", "z2", "z2", "z1", "0"]);
    assert_eq!(rd.read_v().strs(), strs(&["z1", "a", "0"]));
    rd.send(&["BZPOPMIN", "z1", "z2", "z2", "z1", "0"]);
    assert_eq!(rd.read_v().strs(), strs(&["z2", "b", "1"]));

    // MULTI/EXEC is isolated from the point of view of BZPOPMIN
    r.r(&["DEL", "zset"]);
    rd.send(&["BZPOPMIN", "zset", "0"]);
    util::wait_for(Duration::from_secs(5), || {
        server.info("blocked_clients") == "1"
    });
    r.r(&["MULTI"]);
    r.r(&["ZADD", "zset", "0", "a"]);
    r.r(&["ZADD", "zset", "1", "b"]);
    r.r(&["ZADD", "zset", "2", "c"]);
    r.r(&["EXEC"]);
    assert_eq!(rd.read_v().strs(), strs(&["zset", "a", "0"]));

    // BZPOPMIN with variadic ZADD
    r.r(&["DEL", "zset"]);
    rd.send(&["BZPOPMIN", "zset", "0"]);
    util::wait_for(Duration::from_secs(5), || {
        server.info("blocked_clients") == "1"
    });
    assert_eq!(r.int(&["ZADD", "zset", "-1", "foo", "1", "bar"]), 2);
    assert_eq!(rd.read_v().strs(), strs(&["zset", "foo", "-1"]));
    assert_eq!(r.list(&["ZRANGE", "zset", "0", "-1"]), strs(&["bar"]));

    // BZPOPMIN with zero timeout should block indefinitely
    r.r(&["DEL", "zset"]);
    rd.send(&["BZPOPMIN", "zset", "0"]);
    rd.assert_no_reply(1000);
    r.r(&["ZADD", "zset", "0", "foo"]);
    assert_eq!(rd.read_v().strs(), strs(&["zset", "foo", "0"]));
}

#[test]
fn bzpopmax_served_in_blocking_order_and_timeouts() {
    let (server, mut r) = setup("skiplist");
    // Two clients blocked on the same key are served first come first
    // served, each with its own end of the set.
    let mut c1 = D::new(&server);
    let mut c2 = D::new(&server);
    r.r(&["DEL", "zset"]);
    c1.send(&["BZPOPMAX", "zset", "0"]);
    util::wait_for(Duration::from_secs(5), || {
        server.info("blocked_clients") == "1"
    });
    c2.send(&["BZPOPMIN", "zset", "0"]);
    util::wait_for(Duration::from_secs(5), || {
        server.info("blocked_clients") == "2"
    });
    assert_eq!(r.int(&["ZADD", "zset", "1", "a", "2", "b", "3", "c"]), 3);
    assert_eq!(c1.read_v().strs(), strs(&["zset", "c", "3"]));
    assert_eq!(c2.read_v().strs(), strs(&["zset", "a", "1"]));
    assert_eq!(r.list(&["ZRANGE", "zset", "0", "-1"]), strs(&["b"]));

    // A timeout replies the null multi bulk.
    c1.send(&["BZPOPMIN", "nokey", "1"]);
    assert_eq!(c1.read(), "*-1\r\n");

    // Inside MULTI an empty key replies the null multi bulk at once.
    c1.send(&["MULTI"]);
    assert_eq!(c1.read(), "+OK\r\n");
    c1.send(&["BZPOPMIN", "nokey", "0"]);
    assert_eq!(c1.read(), "+QUEUED\r\n");
    c1.send(&["EXEC"]);
    assert_eq!(c1.read(), "*1\r\n*-1\r\n");

    // Timeout errors.
    assert_eq!(
        r.raw(&["BZPOPMIN", "zset", "-1"]),
        "-ERR timeout is negative\r\n"
    );
    assert_eq!(
        r.raw(&["BZPOPMIN", "zset", "x"]),
        "-ERR timeout is not an integer or out of range\r\n"
    );
}

// ----------------------------- encodings -------------------------------------

#[test]
fn encoding_converts_at_the_5_0_thresholds() {
    let (_s, mut r) = setup("ziplist");
    // 128 elements stay a ziplist, the 129th converts.
    let mut cmd = vec!["ZADD".to_string(), "z".to_string()];
    for i in 0..128 {
        cmd.push(i.to_string());
        cmd.push(format!("m{i}"));
    }
    assert_eq!(r.rs(&cmd).int(), 128);
    r.assert_encoding("ziplist", "z");
    r.r(&["ZADD", "z", "1000", "m128"]);
    r.assert_encoding("skiplist", "z");
    // Removing elements never converts back.
    r.r(&["ZREMRANGEBYRANK", "z", "0", "-2"]);
    assert_eq!(r.int(&["ZCARD", "z"]), 1);
    r.assert_encoding("skiplist", "z");

    // A 64-byte member stays, a 65-byte one converts; a new key whose first
    // member is too long starts as a skiplist.
    r.r(&["ZADD", "v", "1", &"x".repeat(64)]);
    r.assert_encoding("ziplist", "v");
    r.r(&["ZADD", "v", "1", &"x".repeat(65)]);
    r.assert_encoding("skiplist", "v");
    r.r(&["ZADD", "v2", "1", &"x".repeat(65)]);
    r.assert_encoding("skiplist", "v2");
    // ZINCRBY creating a key follows the same rule.
    r.r(&["ZINCRBY", "v3", "1", &"x".repeat(65)]);
    r.assert_encoding("skiplist", "v3");

    // ZUNIONSTORE and ZINTERSTORE destinations are converted back to a
    // ziplist when they fit.
    r.r(&["ZUNIONSTORE", "small", "1", "z"]);
    r.assert_encoding("ziplist", "small");
    r.r(&["ZINTERSTORE", "small2", "2", "z", "z"]);
    r.assert_encoding("ziplist", "small2");
    r.r(&["ZUNIONSTORE", "big", "1", "v"]);
    r.assert_encoding("skiplist", "big");
    assert_eq!(r.int(&["ZCARD", "big"]), 2);

    // With zset-max-ziplist-entries 0 every new key is a skiplist.
    r.r(&["CONFIG", "SET", "zset-max-ziplist-entries", "0"]);
    r.r(&["ZADD", "s0", "1", "a"]);
    r.assert_encoding("skiplist", "s0");
    r.r(&["ZUNIONSTORE", "s1", "1", "small"]);
    r.assert_encoding("skiplist", "s1");
}

/// The key tests again with more than 128 elements, so that the default
/// configuration has to use the skiplist.
#[test]
fn large_sets_work_past_the_ziplist_limit() {
    let (_s, mut r) = setup("ziplist");
    let n = 300;
    let mut cmd = vec!["ZADD".to_string(), "big".to_string()];
    for i in 0..n {
        cmd.push((i * 2).to_string());
        cmd.push(format!("m{i:03}"));
    }
    assert_eq!(r.rs(&cmd).int(), n);
    r.assert_encoding("skiplist", "big");
    assert_eq!(r.int(&["ZCARD", "big"]), n);
    assert_eq!(r.int(&["ZRANK", "big", "m150"]), 150);
    assert_eq!(r.int(&["ZREVRANK", "big", "m150"]), n - 1 - 150);
    assert_eq!(
        r.list(&["ZRANGE", "big", "100", "102", "WITHSCORES"]),
        strs(&["m100", "200", "m101", "202", "m102", "204"])
    );
    assert_eq!(
        r.list(&["ZREVRANGE", "big", "0", "1"]),
        strs(&["m299", "m298"])
    );
    assert_eq!(r.int(&["ZCOUNT", "big", "(10", "20"]), 5);
    assert_eq!(
        r.list(&["ZRANGEBYSCORE", "big", "(10", "20", "LIMIT", "1", "2"]),
        strs(&["m007", "m008"])
    );
    assert_eq!(
        r.list(&["ZREVRANGEBYSCORE", "big", "20", "(10", "LIMIT", "1", "2"]),
        strs(&["m009", "m008"])
    );
    assert_eq!(r.int(&["ZREMRANGEBYSCORE", "big", "0", "(100"]), 50);
    assert_eq!(r.int(&["ZREMRANGEBYRANK", "big", "-10", "-1"]), 10);
    assert_eq!(r.int(&["ZCARD", "big"]), 240);
    assert_eq!(
        r.list(&["ZPOPMIN", "big", "2"]),
        strs(&["m050", "100", "m051", "102"])
    );
    assert_eq!(r.list(&["ZPOPMAX", "big"]), strs(&["m289", "578"]));
    assert_eq!(r.raw(&["ZINCRBY", "big", "1000", "m100"]), "$4\r\n1200\r\n");
    assert_eq!(r.list(&["ZREVRANGE", "big", "0", "0"]), strs(&["m100"]));
    assert_eq!(r.int(&["ZREM", "big", "m100", "nope"]), 1);
    assert_eq!(r.int(&["ZCARD", "big"]), 236);

    // Same scores: lex commands over a large set.
    let mut cmd = vec!["ZADD".to_string(), "lex".to_string()];
    for i in 0..n {
        cmd.push("0".to_string());
        cmd.push(format!("m{i:03}"));
    }
    r.rs(&cmd);
    r.assert_encoding("skiplist", "lex");
    assert_eq!(r.int(&["ZLEXCOUNT", "lex", "[m100", "(m200"]), 100);
    assert_eq!(
        r.list(&["ZRANGEBYLEX", "lex", "(m100", "+", "LIMIT", "0", "2"]),
        strs(&["m101", "m102"])
    );
    assert_eq!(
        r.list(&["ZREVRANGEBYLEX", "lex", "(m100", "-", "LIMIT", "0", "2"]),
        strs(&["m099", "m098"])
    );
    assert_eq!(r.int(&["ZREMRANGEBYLEX", "lex", "-", "(m100"]), 100);
    assert_eq!(r.int(&["ZCARD", "lex"]), 200);
}

// --------------------------- errors and WRONGTYPE ----------------------------

#[test]
fn every_zset_command_against_a_string_key_is_wrongtype() {
    let (_s, mut r) = setup("ziplist");
    r.r(&["SET", "str", "x"]);
    r.r(&["ZADD", "z", "1", "a"]);
    let cases: &[&[&str]] = &[
        &["ZADD", "str", "1", "a"],
        &["ZINCRBY", "str", "1", "a"],
        &["ZREM", "str", "a"],
        &["ZREMRANGEBYSCORE", "str", "0", "1"],
        &["ZREMRANGEBYRANK", "str", "0", "1"],
        &["ZREMRANGEBYLEX", "str", "-", "+"],
        &["ZUNIONSTORE", "dst", "2", "z", "str"],
        &["ZINTERSTORE", "dst", "2", "str", "z"],
        &["ZRANGE", "str", "0", "-1"],
        &["ZRANGEBYSCORE", "str", "0", "1"],
        &["ZREVRANGEBYSCORE", "str", "1", "0"],
        &["ZRANGEBYLEX", "str", "-", "+"],
        &["ZREVRANGEBYLEX", "str", "+", "-"],
        &["ZCOUNT", "str", "0", "1"],
        &["ZLEXCOUNT", "str", "-", "+"],
        &["ZREVRANGE", "str", "0", "-1"],
        &["ZCARD", "str"],
        &["ZSCORE", "str", "a"],
        &["ZRANK", "str", "a"],
        &["ZREVRANK", "str", "a"],
        &["ZSCAN", "str", "0"],
        &["ZPOPMIN", "str"],
        &["ZPOPMAX", "str"],
        &["BZPOPMIN", "str", "0"],
        &["BZPOPMAX", "str", "0"],
    ];
    for c in cases {
        assert_eq!(r.raw(c), WRONGTYPE, "{c:?}");
    }
    // And the string is untouched.
    assert_eq!(r.s(&["GET", "str"]), "x");
    assert_eq!(r.int(&["EXISTS", "dst"]), 0);
}

#[test]
fn error_replies_match_redis_5() {
    let (_s, mut r) = setup("ziplist");
    r.r(&["ZADD", "z", "1", "a", "2", "b"]);
    let cases: &[(&[&str], &str)] = &[
        (
            &["ZADD", "z"],
            "-ERR wrong number of arguments for 'zadd' command\r\n",
        ),
        (
            &["ZADD", "z", "1"],
            "-ERR wrong number of arguments for 'zadd' command\r\n",
        ),
        (&["ZADD", "z", "nx", "1"], "-ERR syntax error\r\n"),
        (
            &["ZADD", "z", "x", "a"],
            "-ERR value is not a valid float\r\n",
        ),
        (
            &["ZADD", "z", "1e400", "a"],
            "-ERR value is not a valid float\r\n",
        ),
        (
            &["ZADD", "z", " 1", "a"],
            "-ERR value is not a valid float\r\n",
        ),
        (
            &["ZINCRBY", "z", "abc", "a"],
            "-ERR value is not a valid float\r\n",
        ),
        (
            &["ZRANGE", "z", "a", "1"],
            "-ERR value is not an integer or out of range\r\n",
        ),
        (&["ZRANGE", "z", "0", "1", "foo"], "-ERR syntax error\r\n"),
        (
            &["ZRANGE", "z", "0", "1", "withscores", "x"],
            "-ERR syntax error\r\n",
        ),
        (
            &["ZRANGEBYSCORE", "z", "0", "1", "LIMIT", "0"],
            "-ERR syntax error\r\n",
        ),
        (
            &["ZRANGEBYSCORE", "z", "0", "1", "LIMIT", "x", "1"],
            "-ERR value is not an integer or out of range\r\n",
        ),
        (
            &["ZRANGEBYSCORE", "z", "(", "1x"],
            "-ERR min or max is not a float\r\n",
        ),
        (
            &["ZCOUNT", "z", "x", "1"],
            "-ERR min or max is not a float\r\n",
        ),
        (
            &["ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"],
            "-ERR syntax error\r\n",
        ),
        (
            &["ZLEXCOUNT", "z", "a", "+"],
            "-ERR min or max not valid string range item\r\n",
        ),
        (
            &["ZREMRANGEBYLEX", "z", "+", "b"],
            "-ERR min or max not valid string range item\r\n",
        ),
        (
            &["ZREMRANGEBYRANK", "z", "0", "x"],
            "-ERR value is not an integer or out of range\r\n",
        ),
        (
            &["ZUNIONSTORE", "d", "0", "z"],
            "-ERR at least 1 input key is needed for ZUNIONSTORE/ZINTERSTORE\r\n",
        ),
        (
            &["ZUNIONSTORE", "d", "x", "z"],
            "-ERR value is not an integer or out of range\r\n",
        ),
        (&["ZUNIONSTORE", "d", "2", "z"], "-ERR syntax error\r\n"),
        (
            &["ZUNIONSTORE", "d", "1", "z", "WEIGHTS"],
            "-ERR syntax error\r\n",
        ),
        (
            &["ZUNIONSTORE", "d", "1", "z", "WEIGHTS", "x"],
            "-ERR weight value is not a float\r\n",
        ),
        (
            &["ZUNIONSTORE", "d", "1", "z", "AGGREGATE", "avg"],
            "-ERR syntax error\r\n",
        ),
        (
            &["ZUNIONSTORE", "d", "1", "z", "AGGREGATE"],
            "-ERR syntax error\r\n",
        ),
        (
            &["ZPOPMIN", "z", "x"],
            "-ERR value is not an integer or out of range\r\n",
        ),
        (&["ZPOPMIN", "z", "1", "2"], "-ERR syntax error\r\n"),
        (&["ZSCAN", "z", "x"], "-ERR invalid cursor\r\n"),
        (&["ZSCAN", "z", "0", "COUNT", "0"], "-ERR syntax error\r\n"),
        (&["ZSCAN", "z", "0", "FOO"], "-ERR syntax error\r\n"),
        (
            &["BZPOPMIN", "z"],
            "-ERR wrong number of arguments for 'bzpopmin' command\r\n",
        ),
    ];
    for (c, want) in cases {
        assert_eq!(r.raw(c), *want, "{c:?}");
    }
    // Replies that are not errors but easy to get wrong.
    assert_eq!(r.raw(&["ZRANGE", "nokey", "0", "-1"]), "*0\r\n");
    assert_eq!(r.raw(&["ZSCORE", "nokey", "a"]), "$-1\r\n");
    assert_eq!(r.raw(&["ZPOPMIN", "z", "0"]), "*0\r\n");
    assert_eq!(r.raw(&["ZPOPMIN", "z", "-3"]), "*0\r\n");
    assert_eq!(r.raw(&["ZPOPMAX", "nokey"]), "*0\r\n");
    assert_eq!(r.raw(&["ZSCAN", "nokey", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
    assert_eq!(r.raw(&["ZADD", "nokey", "XX", "1", "a"]), ":0\r\n");
    assert_eq!(r.raw(&["ZINCRBY", "nokey2", "inf", "a"]), "$3\r\ninf\r\n");
    // Score formatting is %.17g.
    r.r(&["ZADD", "f", "0.1", "a", "1e20", "b", "-0", "c", "1.5", "d"]);
    assert_eq!(
        r.list(&["ZRANGE", "f", "0", "-1", "WITHSCORES"]),
        strs(&[
            "c",
            "-0",
            "a",
            "0.10000000000000001",
            "d",
            "1.5",
            "b",
            "1e+20"
        ])
    );
    // strtod's forms: hex, and the empty range bound meaning 0.
    r.r(&["ZADD", "h", "0x10", "a"]);
    assert_eq!(r.s(&["ZSCORE", "h", "a"]), "16");
    assert_eq!(r.int(&["ZCOUNT", "f", "", "("]), 0);
}

#[test]
fn zscan_returns_members_and_scores_for_both_encodings() {
    let (_s, mut r) = setup("ziplist");
    r.r(&["ZADD", "small", "1", "a", "2.5", "b", "3", "c"]);
    assert_eq!(
        r.raw(&["ZSCAN", "small", "0"]),
        "*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$3\r\n2.5\r\n$1\r\nc\r\n$1\r\n3\r\n"
    );
    assert_eq!(
        r.list_scan("small", &["MATCH", "b*"]),
        vec![("b".to_string(), "2.5".to_string())]
    );

    // A skiplist is walked with a cursor; every member comes back with its
    // score, whatever COUNT says.
    let mut cmd = vec!["ZADD".to_string(), "big".to_string()];
    for i in 0..500 {
        cmd.push(format!("{i}.5"));
        cmd.push(format!("m{i}"));
    }
    r.rs(&cmd);
    r.assert_encoding("skiplist", "big");
    let mut seen = HashMap::new();
    let mut cursor = "0".to_string();
    loop {
        let v = r.r(&["ZSCAN", "big", &cursor, "COUNT", "17"]);
        let V::Arr(Some(parts)) = v else { panic!("{v:?}") };
        cursor = parts[0].s();
        let items = parts[1].strs();
        for pair in items.chunks(2) {
            seen.insert(pair[0].clone(), pair[1].clone());
        }
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 500);
    assert_eq!(seen["m42"], "42.5");
    let matched = r.list_scan("big", &["MATCH", "m1??", "COUNT", "1000"]);
    assert_eq!(matched.len(), 100);
}

impl R {
    /// All (member, score) pairs of a full ZSCAN with extra options.
    fn list_scan(&mut self, key: &str, opts: &[&str]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut cursor = "0".to_string();
        loop {
            let mut args = vec!["ZSCAN", key, &cursor];
            args.extend_from_slice(opts);
            let v = self.r(&args);
            let V::Arr(Some(parts)) = v else { panic!("{v:?}") };
            let next = parts[0].s();
            for pair in parts[1].strs().chunks(2) {
                out.push((pair[0].clone(), pair[1].clone()));
            }
            cursor = next;
            if cursor == "0" {
                return out;
            }
        }
    }
}

// ------------------------ keyspace events and dirty ---------------------------

#[test]
fn zset_commands_fire_5_0_keyspace_events() {
    let (server, mut r) = setup("ziplist");
    r.r(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    let mut sub = D::new(&server);
    sub.send(&["PSUBSCRIBE", "__keyevent@9__:*"]);
    sub.read();
    let expect = |sub: &mut D, event: &str, key: &str| {
        let v = sub.read_v().strs();
        assert_eq!(
            v,
            strs(&[
                "pmessage",
                "__keyevent@9__:*",
                &format!("__keyevent@9__:{event}"),
                key
            ])
        );
    };
    r.r(&["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"]);
    expect(&mut sub, "zadd", "z");
    r.r(&["ZINCRBY", "z", "1", "a"]);
    expect(&mut sub, "zincr", "z");
    r.r(&["ZADD", "z", "INCR", "1", "a"]);
    expect(&mut sub, "zincr", "z");
    r.r(&["ZREM", "z", "a"]);
    expect(&mut sub, "zrem", "z");
    r.r(&["ZREMRANGEBYSCORE", "z", "0", "2"]);
    expect(&mut sub, "zremrangebyscore", "z");
    r.r(&["ZADD", "z", "0", "x"]);
    expect(&mut sub, "zadd", "z");
    r.r(&["ZREMRANGEBYRANK", "z", "0", "0"]);
    expect(&mut sub, "zremrangebyrank", "z");
    r.r(&["ZADD", "l", "0", "a", "0", "b"]);
    expect(&mut sub, "zadd", "l");
    r.r(&["ZREMRANGEBYLEX", "l", "-", "[a"]);
    expect(&mut sub, "zremrangebylex", "l");
    r.r(&["ZUNIONSTORE", "u", "2", "z", "l"]);
    expect(&mut sub, "zunionstore", "u");
    r.r(&["ZINTERSTORE", "u", "2", "z", "l"]);
    // An empty result deletes the destination.
    expect(&mut sub, "del", "u");
    r.r(&["ZPOPMIN", "z"]);
    expect(&mut sub, "zpopmin", "z");
    r.r(&["ZPOPMAX", "z"]);
    expect(&mut sub, "zpopmax", "z");
    expect(&mut sub, "del", "z");
    // No-ops fire nothing: the next event is from the SET below.
    r.r(&["ZADD", "l", "0", "b"]);
    r.r(&["ZREM", "l", "nope"]);
    r.r(&["ZREMRANGEBYSCORE", "l", "5", "6"]);
    r.r(&["ZREM", "l", "b"]);
    expect(&mut sub, "zrem", "l");
    expect(&mut sub, "del", "l");
    r.r(&["SET", "s", "1"]);
    expect(&mut sub, "set", "s");
}

#[test]
fn zset_commands_count_changes_in_the_dirty_counter() {
    let (server, mut r) = setup("ziplist");
    let dirty =
        || server.info("rdb_changes_since_last_save").parse::<i64>().unwrap();
    let d0 = dirty();
    r.r(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    assert_eq!(dirty() - d0, 3);
    r.r(&["ZADD", "z", "1", "a", "5", "b"]); // one update
    assert_eq!(dirty() - d0, 4);
    r.r(&["ZREM", "z", "a", "nope"]);
    assert_eq!(dirty() - d0, 5);
    r.r(&["ZPOPMIN", "z", "5"]); // two elements
    assert_eq!(dirty() - d0, 7);
    r.r(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    r.r(&["ZREMRANGEBYSCORE", "z", "(1", "+inf"]);
    assert_eq!(dirty() - d0, 12);
    r.r(&["ZUNIONSTORE", "u", "1", "z"]);
    assert_eq!(dirty() - d0, 13);
}

// -------------------------- compared with Redis 5 ----------------------------

/// Runs the same script on our server and, if `REDIS_C_SERVER` is set, on
/// that binary (a real redis-server 5.0.14), and compares every reply byte
/// for byte. Without the variable it still runs the script on ours,
/// checking that nothing panics or closes the connection.
#[test]
fn replies_match_redis_5_byte_for_byte() {
    let script: &[&[&str]] = &[
        &["ZADD", "z", "1", "a", "2", "b", "3", "c"],
        &["ZADD", "z", "nx", "xx", "1", "a"],
        &["ZADD", "z", "incr", "1", "a", "2", "b"],
        &["ZADD", "z", "0x10", "hex", "inf", "i", "-inf", "ni"],
        &[
            "ZADD",
            "z",
            "1.0000000000000001",
            "f",
            "0.1",
            "g",
            "1e-5",
            "h",
            "123456789012345678",
            "j",
            "-0",
            "k",
        ],
        &["ZRANGE", "z", "0", "-1", "withscores"],
        &["ZINCRBY", "z", "-inf", "i"],
        &["ZINCRBY", "z", "1.5", "a"],
        &["ZCOUNT", "z", "(1", "3"],
        &["ZCOUNT", "z", "", ""],
        &[
            "ZRANGEBYSCORE",
            "z",
            "-inf",
            "+inf",
            "withscores",
            "limit",
            "1",
            "2",
        ],
        &["ZRANGEBYSCORE", "z", "-inf", "+inf", "limit", "-1", "2"],
        &["ZRANGEBYSCORE", "z", "-inf", "+inf", "limit", "0", "-1"],
        &["ZREVRANGEBYSCORE", "z", "(3", "(1"],
        &["ZRANGEBYSCORE", "z", " 1", "3"],
        &["ZRANGEBYSCORE", "z", "1e400", "inf"],
        &["ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e"],
        &["ZRANGEBYLEX", "l", "[b", "(d"],
        &["ZREVRANGEBYLEX", "l", "(d", "[b", "limit", "0", "1"],
        &["ZRANGEBYLEX", "l", "+", "-"],
        &["ZLEXCOUNT", "l", "[b", "[c"],
        &["ZREMRANGEBYLEX", "l", "[b", "[c"],
        &["ZREMRANGEBYRANK", "l", "0", "0"],
        &["ZRANGE", "l", "0", "-1"],
        &["ZREMRANGEBYSCORE", "z", "-inf", "(2"],
        &["ZREM", "z", "a", "b", "c", "d", "nope"],
        &["ZREVRANGE", "z", "0", "-1", "withscores"],
        &["ZPOPMIN", "z"],
        &["ZPOPMAX", "z", "2"],
        &["ZADD", "u1", "1", "a", "2", "b"],
        &["ZADD", "u2", "3", "b", "4", "c"],
        &["SADD", "st", "a", "b", "x"],
        &[
            "ZUNIONSTORE",
            "d",
            "3",
            "u1",
            "u2",
            "st",
            "weights",
            "2",
            "3",
            "4",
            "aggregate",
            "max",
        ],
        &["ZRANGE", "d", "0", "-1", "withscores"],
        &["ZINTERSTORE", "d", "2", "u1", "st", "weights", "2", "5"],
        &["ZRANGE", "d", "0", "-1", "withscores"],
        &["OBJECT", "ENCODING", "d"],
        &["ZINTERSTORE", "d", "2", "u1", "nokey"],
        &["EXISTS", "d"],
        &["ZSCAN", "u1", "0"],
        &["ZSCAN", "u1", "0", "match", "a*"],
        &["BZPOPMIN", "u1", "0"],
        &["BZPOPMAX", "u1", "nokey", "0"],
        &["ZRANK", "u2", "c"],
        &["ZREVRANK", "u2", "c"],
        &["ZSCORE", "u2", "c"],
        &["ZCARD", "u2"],
    ];
    let ours = Server::start(&[]);
    let mut a = R::new(&ours);
    let theirs = std::env::var("REDIS_C_SERVER")
        .ok()
        .map(|p| Server::start_binary(std::path::Path::new(&p), &[]));
    let mut b = theirs.as_ref().map(R::new);
    for cmd in script {
        let ra = a.raw(cmd);
        assert!(!ra.is_empty());
        if let Some(b) = b.as_mut() {
            assert_eq!(ra, b.raw(cmd), "{cmd:?}");
        }
    }
    // The connection is still usable.
    assert_eq!(a.raw(&["PING"]), "+PONG\r\n");
    sleep(Duration::from_millis(1));
}
