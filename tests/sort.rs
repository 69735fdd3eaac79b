//! SORT, paraphrasing Redis 5.0.14's tests/unit/sort.tcl (run, as there,
//! with `list-max-ziplist-size 32` and `set-max-intset-entries 32`), plus
//! error replies (byte for byte as the real 5.0.14 sends them), WRONGTYPE,
//! the zset conversion SORT does, and STORE's keyspace effects.
//!
//! Not here: "SORT sorted set BY nosort works as expected from scripts"
//! (no Lua).
//!
//! If `REDIS_C_SERVER` names a real redis-server binary,
//! `replies_match_redis_5_byte_for_byte` also runs a script against it and
//! compares every reply with ours.

mod util;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

use util::Server;

// --------------------------- a Tcl-like `r` client ---------------------------

/// A RESP2 reply, decoded.
#[derive(Debug, Clone, PartialEq)]
enum V {
    Status(String),
    Err(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Arr(Vec<V>),
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
            V::Arr(a) => a.iter().map(V::s).collect(),
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
            let mut at = after;
            let mut items = Vec::new();
            for _ in 0..n.max(0) {
                let (v, used) = parse(&buf[at..]);
                items.push(v);
                at += used;
            }
            (V::Arr(items), at)
        }
        t => panic!("unexpected reply type {:?}", t as char),
    }
}

fn encode(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Reads one whole RESP2 reply from a buffered stream, as bytes. (The
/// replies of SORT on the big datasets are large: util::read_reply reads
/// a byte per call.)
fn read_reply(rd: &mut BufReader<TcpStream>) -> Vec<u8> {
    let mut line = Vec::new();
    rd.read_until(b'\n', &mut line).expect("read");
    assert!(line.ends_with(b"\r\n"), "connection closed: {line:?}");
    let n = || -> i64 {
        String::from_utf8_lossy(&line[1..line.len() - 2])
            .parse()
            .expect("length")
    };
    match line[0] {
        b'$' if n() >= 0 => {
            let mut body = vec![0u8; n() as usize + 2];
            rd.read_exact(&mut body).expect("read");
            line.extend(body);
        }
        b'*' => {
            for _ in 0..n().max(0) {
                let item = read_reply(rd);
                line.extend(item);
            }
        }
        _ => {}
    }
    line
}

/// One connection, like the Tcl suite's `r`.
struct R {
    s: TcpStream,
    rd: BufReader<TcpStream>,
}

impl R {
    /// Connects and selects DB 9, as the Tcl test clients do.
    fn new(server: &Server) -> R {
        let s = util::raw(server.port());
        let rd = BufReader::new(s.try_clone().expect("clone"));
        let mut r = R { s, rd };
        assert_eq!(r.raw(&["SELECT", "9"]), "+OK\r\n");
        r
    }
    /// The raw reply as text, for byte-exact checks.
    fn raw(&mut self, args: &[&str]) -> String {
        self.s.write_all(&encode(args)).expect("send");
        String::from_utf8_lossy(&read_reply(&mut self.rd)).into_owned()
    }
    fn r(&mut self, args: &[&str]) -> V {
        self.s.write_all(&encode(args)).expect("send");
        parse(&read_reply(&mut self.rd)).0
    }
    fn s(&mut self, args: &[&str]) -> String {
        self.r(args).s()
    }
    fn int(&mut self, args: &[&str]) -> i64 {
        self.r(args).int()
    }
    fn strs(&mut self, args: &[&str]) -> Vec<String> {
        self.r(args).strs()
    }
    /// Sends many commands at once and reads all the replies (the
    /// datasets have tens of thousands of commands).
    fn pipeline(&mut self, cmds: &[Vec<String>]) {
        for chunk in cmds.chunks(1000) {
            let mut out = Vec::new();
            for c in chunk {
                let a: Vec<&str> = c.iter().map(String::as_str).collect();
                out.extend(encode(&a));
            }
            self.s.write_all(&out).expect("send");
            for _ in chunk {
                let reply = read_reply(&mut self.rd);
                assert!(
                    reply[0] != b'-',
                    "{}",
                    String::from_utf8_lossy(&reply)
                );
            }
        }
    }
    fn assert_encoding(&mut self, enc: &str, key: &str) {
        assert_eq!(self.s(&["OBJECT", "ENCODING", key]), enc, "{key}");
    }
}

fn setup() -> (Server, R) {
    let server = Server::start(&[
        "--list-max-ziplist-size",
        "32",
        "--set-max-intset-entries",
        "32",
    ]);
    let r = R::new(&server);
    (server, r)
}

const WRONGTYPE: &str =
    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

/// A small deterministic generator (xorshift64*) for Tcl's rand().
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A double in [0, 1).
    fn float(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// sort.tcl's create_random_dataset: `num` elements 0..num-1 added to
/// `tosort` with `cmd` (LPUSH or SADD), each with a distinct weight (an
/// integer or a float) in weight_<i> and in the hash field wobj_<i>
/// weight. Returns the elements in weight order.
fn create_random_dataset(
    r: &mut R,
    rng: &mut Rng,
    num: usize,
    cmd: &str,
) -> Vec<String> {
    r.r(&["DEL", "tosort"]);
    let mut seen = std::collections::HashSet::new();
    let mut tosort: Vec<(usize, f64, String)> = Vec::new();
    let mut cmds = Vec::new();
    for i in 0..num {
        // Make sure all the weights are different: SORT is not stable
        // with BY ... LIMIT, and the expectation below does not model it.
        let (w, text) = loop {
            let (w, text) = if rng.next().is_multiple_of(2) {
                let w = (rng.float() * 1_000_000.0).floor();
                (w, format!("{}", w as i64))
            } else {
                let w = rng.float();
                (w, format!("{w}"))
            };
            if seen.insert(text.clone()) {
                break (w, text);
            }
        };
        cmds.push(vec![cmd.to_string(), "tosort".into(), i.to_string()]);
        cmds.push(vec!["SET".into(), format!("weight_{i}"), text.clone()]);
        cmds.push(vec![
            "HSET".into(),
            format!("wobj_{i}"),
            "weight".into(),
            text.clone(),
        ]);
        tosort.push((i, w, text));
    }
    r.pipeline(&cmds);
    tosort.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap());
    tosort.into_iter().map(|(i, _, _)| i.to_string()).collect()
}

// --------------------------------- sort.tcl ----------------------------------

/// The three tests each dataset of sort.tcl gets: SORT BY key, BY key
/// with LIMIT, BY hash field.
fn sort_by_key_tests(num: usize, cmd: &str, enc: &str, seed: u64) {
    let (_s, mut r) = setup();
    let mut rng = Rng(seed);
    let result = create_random_dataset(&mut r, &mut rng, num, cmd);
    r.assert_encoding(enc, "tosort");
    // SORT BY key
    assert_eq!(r.strs(&["SORT", "tosort", "BY", "weight_*"]), result);
    // SORT BY key with limit
    assert_eq!(
        r.strs(&["SORT", "tosort", "BY", "weight_*", "LIMIT", "5", "5"]),
        result[5..10]
    );
    // SORT BY hash field
    assert_eq!(r.strs(&["SORT", "tosort", "BY", "wobj_*->weight"]), result);
    // Not in sort.tcl: DESC with LIMIT (pqsort from the other end).
    let mut rev = result.clone();
    rev.reverse();
    assert_eq!(
        r.strs(&[
            "SORT", "tosort", "BY", "weight_*", "DESC", "LIMIT", "3", "7"
        ]),
        rev[3..10]
    );
}

#[test]
fn old_ziplist_sort_by_key_with_limit_and_by_hash_field() {
    sort_by_key_tests(16, "LPUSH", "quicklist", 1);
}

#[test]
fn old_linked_list_sort_by_key_with_limit_and_by_hash_field() {
    sort_by_key_tests(1000, "LPUSH", "quicklist", 2);
}

#[test]
fn old_big_linked_list_sort_by_key_with_limit_and_by_hash_field() {
    sort_by_key_tests(10000, "LPUSH", "quicklist", 3);
}

#[test]
fn intset_sort_by_key_with_limit_and_by_hash_field() {
    sort_by_key_tests(16, "SADD", "intset", 4);
}

#[test]
fn hash_table_sort_by_key_with_limit_and_by_hash_field() {
    sort_by_key_tests(1000, "SADD", "hashtable", 5);
}

#[test]
fn big_hash_table_sort_by_key_with_limit_and_by_hash_field() {
    sort_by_key_tests(10000, "SADD", "hashtable", 6);
}

/// The 16 element list dataset the tests after the loop of sort.tcl use.
fn list_dataset() -> (Server, R, Vec<String>) {
    let (s, mut r) = setup();
    let result = create_random_dataset(&mut r, &mut Rng(7), 16, "LPUSH");
    (s, r, result)
}

fn int_sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort_by_key(|s| s.parse::<i64>().unwrap());
    v
}

#[test]
fn sort_get_hash() {
    let (_s, mut r, result) = list_dataset();
    assert_eq!(r.strs(&["SORT", "tosort", "GET", "#"]), int_sorted(&result));
}

#[test]
fn sort_get_const() {
    let (_s, mut r, _) = list_dataset();
    r.r(&["DEL", "foo"]);
    let res = r.r(&["SORT", "tosort", "GET", "foo"]);
    let V::Arr(items) = res else { panic!("{res:?}") };
    assert_eq!(items.len(), 16);
    assert!(items.iter().all(|v| *v == V::Bulk(None)));
}

#[test]
fn sort_get_key_and_hash_with_sanity_check() {
    let (_s, mut r, _) = list_dataset();
    let l1 = r.strs(&["SORT", "tosort", "GET", "#", "GET", "weight_*"]);
    let l2 = r.strs(&["SORT", "tosort", "GET", "#", "GET", "wobj_*->weight"]);
    assert_eq!(l1.len(), 32);
    for (a, b) in l1.chunks(2).zip(l2.chunks(2)) {
        assert_eq!(a[0], b[0]);
        let w = r.s(&["GET", &format!("weight_{}", a[0])]);
        assert_eq!(a[1], w);
        assert_eq!(b[1], w);
    }
}

#[test]
fn sort_by_key_store() {
    let (_s, mut r, result) = list_dataset();
    assert_eq!(
        r.int(&["SORT", "tosort", "BY", "weight_*", "STORE", "sort-res"]),
        16
    );
    assert_eq!(r.strs(&["LRANGE", "sort-res", "0", "-1"]), result);
    assert_eq!(r.int(&["LLEN", "sort-res"]), 16);
    r.assert_encoding("quicklist", "sort-res");
}

#[test]
fn sort_by_hash_field_store() {
    let (_s, mut r, result) = list_dataset();
    r.r(&["SORT", "tosort", "BY", "wobj_*->weight", "STORE", "sort-res"]);
    assert_eq!(r.strs(&["LRANGE", "sort-res", "0", "-1"]), result);
    assert_eq!(r.int(&["LLEN", "sort-res"]), 16);
    r.assert_encoding("quicklist", "sort-res");
}

#[test]
fn sort_extracts_store_correctly() {
    let (_s, mut r) = setup();
    assert_eq!(
        r.strs(&["COMMAND", "GETKEYS", "SORT", "abc", "STORE", "def"]),
        ["abc", "def"]
    );
}

#[test]
fn sort_extracts_multiple_store_correctly() {
    let (_s, mut r) = setup();
    let args = [
        "COMMAND", "GETKEYS", "SORT", "abc", "STORE", "invalid", "STORE",
        "stillbad", "STORE", "def",
    ];
    assert_eq!(r.strs(&args), ["abc", "def"]);
}

/// db.c sortGetKeys(): the arguments of LIMIT, BY and GET are skipped, so
/// a pattern or count spelled "store" is not taken for the option; a STORE
/// with nothing after it names no key. Replies as 5.0.14 sends them.
#[test]
fn sort_getkeys_skips_the_arguments_of_limit_by_and_get() {
    let (_s, mut r) = setup();
    let cases: &[(&[&str], &str)] = &[
        (&["SORT", "abc"], "*1\r\n$3\r\nabc\r\n"),
        (
            &["SORT", "abc", "BY", "store", "STORE", "def", "GET", "store"],
            "*2\r\n$3\r\nabc\r\n$3\r\ndef\r\n",
        ),
        (
            &["SORT", "abc", "LIMIT", "store", "1", "STORE", "x"],
            "*2\r\n$3\r\nabc\r\n$1\r\nx\r\n",
        ),
        (&["SORT", "abc", "GET", "store"], "*1\r\n$3\r\nabc\r\n"),
        (&["SORT", "abc", "store"], "*1\r\n$3\r\nabc\r\n"),
        (
            &["SORT", "abc", "desc", "store", "z", "alpha"],
            "*2\r\n$3\r\nabc\r\n$1\r\nz\r\n",
        ),
        (
            &["SORT"],
            "-ERR Invalid number of arguments specified for command\r\n",
        ),
    ];
    for (args, want) in cases {
        let mut cmd = vec!["COMMAND", "GETKEYS"];
        cmd.extend_from_slice(args);
        assert_eq!(r.raw(&cmd), *want, "{args:?}");
    }
}

#[test]
fn sort_desc() {
    let (_s, mut r, result) = list_dataset();
    let mut want = int_sorted(&result);
    want.reverse();
    assert_eq!(r.strs(&["SORT", "tosort", "DESC"]), want);
}

#[test]
fn sort_alpha_against_integer_encoded_strings() {
    let (_s, mut r) = setup();
    for v in ["2", "1", "3", "10"] {
        r.r(&["LPUSH", "mylist", v]);
    }
    assert_eq!(r.strs(&["SORT", "mylist", "ALPHA"]), ["1", "10", "2", "3"]);
}

/// The sorted set of sort.tcl's zset tests.
fn zset_dataset(r: &mut R) {
    r.r(&["DEL", "zset"]);
    for (score, m) in
        [("1", "a"), ("5", "b"), ("2", "c"), ("10", "d"), ("3", "e")]
    {
        r.r(&["ZADD", "zset", score, m]);
    }
}

#[test]
fn sort_sorted_set() {
    let (_s, mut r) = setup();
    zset_dataset(&mut r);
    assert_eq!(
        r.strs(&["SORT", "zset", "ALPHA", "DESC"]),
        ["e", "d", "c", "b", "a"]
    );
}

#[test]
fn sort_sorted_set_by_nosort_should_retain_ordering() {
    let (_s, mut r) = setup();
    zset_dataset(&mut r);
    r.r(&["MULTI"]);
    r.r(&["SORT", "zset", "BY", "nosort", "ASC"]);
    r.r(&["SORT", "zset", "BY", "nosort", "DESC"]);
    let res = r.r(&["EXEC"]);
    let V::Arr(items) = res else { panic!("{res:?}") };
    assert_eq!(items[0].strs(), ["a", "c", "e", "b", "d"]);
    assert_eq!(items[1].strs(), ["d", "b", "e", "c", "a"]);
}

#[test]
fn sort_sorted_set_by_nosort_plus_limit() {
    let (_s, mut r) = setup();
    zset_dataset(&mut r);
    let s = |r: &mut R, args: &[&str]| {
        let mut a = vec!["SORT", "zset", "BY", "nosort"];
        a.extend_from_slice(args);
        r.strs(&a)
    };
    assert_eq!(s(&mut r, &["ASC", "LIMIT", "0", "1"]), ["a"]);
    assert_eq!(s(&mut r, &["DESC", "LIMIT", "0", "1"]), ["d"]);
    assert_eq!(s(&mut r, &["ASC", "LIMIT", "0", "2"]), ["a", "c"]);
    assert_eq!(s(&mut r, &["DESC", "LIMIT", "0", "2"]), ["d", "b"]);
    assert_eq!(s(&mut r, &["LIMIT", "5", "10"]), Vec::<String>::new());
    assert_eq!(s(&mut r, &["LIMIT", "-10", "100"]), ["a", "c", "e", "b", "d"]);
    // Not in sort.tcl: a window in the middle, both ways.
    assert_eq!(s(&mut r, &["LIMIT", "1", "3"]), ["c", "e", "b"]);
    assert_eq!(s(&mut r, &["DESC", "LIMIT", "1", "3"]), ["b", "e", "c"]);
}

#[test]
fn sort_sorted_set_plus_inf_and_minus_inf_handling() {
    let (_s, mut r) = setup();
    for (score, m) in [
        ("-100", "a"),
        ("200", "b"),
        ("-300", "c"),
        ("1000000", "d"),
        ("+inf", "max"),
        ("-inf", "min"),
    ] {
        r.r(&["ZADD", "zset", score, m]);
    }
    assert_eq!(
        r.strs(&["ZRANGE", "zset", "0", "-1"]),
        ["min", "c", "a", "b", "d", "max"]
    );
    // Not in sort.tcl: SORT BY nosort walks the same order, and numeric
    // weights may be infinite.
    assert_eq!(
        r.strs(&["SORT", "zset", "BY", "nosort"]),
        ["min", "c", "a", "b", "d", "max"]
    );
    r.r(&[
        "MSET", "w_min", "-inf", "w_max", "inf", "w_a", "1", "w_b", "2", "w_c",
        "3", "w_d", "4",
    ]);
    assert_eq!(
        r.strs(&["SORT", "zset", "BY", "w_*", "DESC"]),
        ["max", "d", "c", "b", "a", "min"]
    );
}

#[test]
fn sort_converts_a_small_sorted_set_to_a_skiplist() {
    let (_s, mut r) = setup();
    zset_dataset(&mut r);
    r.assert_encoding("ziplist", "zset");
    r.r(&["SORT", "zset", "ALPHA"]);
    r.assert_encoding("skiplist", "zset");
    assert_eq!(
        r.strs(&["ZRANGE", "zset", "0", "-1", "WITHSCORES"]),
        ["a", "1", "c", "2", "e", "3", "b", "5", "d", "10"]
    );
}

#[test]
fn sort_regression_for_issue_19_sorting_floats() {
    let (_s, mut r) = setup();
    let floats =
        ["1.1", "5.10", "3.10", "7.44", "2.1", "5.75", "6.12", "0.25", "1.15"];
    for x in floats {
        r.r(&["LPUSH", "mylist", x]);
    }
    let mut want: Vec<&str> = floats.to_vec();
    want.sort_by(|a, b| {
        a.parse::<f64>()
            .unwrap()
            .partial_cmp(&b.parse::<f64>().unwrap())
            .unwrap()
    });
    assert_eq!(r.strs(&["SORT", "mylist"]), want);
}

#[test]
fn sort_with_store_returns_zero_if_result_is_empty_github_issue_224() {
    let (_s, mut r) = setup();
    assert_eq!(r.int(&["SORT", "foo", "STORE", "bar"]), 0);
}

#[test]
fn sort_with_store_does_not_create_empty_lists_github_issue_224() {
    let (_s, mut r) = setup();
    r.r(&["LPUSH", "foo", "bar"]);
    assert_eq!(
        r.int(&["SORT", "foo", "ALPHA", "LIMIT", "10", "10", "STORE", "zap"]),
        0
    );
    assert_eq!(r.int(&["EXISTS", "zap"]), 0);
}

#[test]
fn sort_with_store_removes_key_if_result_is_empty_github_issue_227() {
    let (_s, mut r) = setup();
    r.r(&["LPUSH", "foo", "bar"]);
    assert_eq!(r.int(&["SORT", "emptylist", "STORE", "foo"]), 0);
    assert_eq!(r.int(&["EXISTS", "foo"]), 0);
}

const SET_MEMBERS: [&str; 24] = [
    "a", "b", "c", "d", "e", "f", "g", "h", "i", "l", "m", "n", "o", "p", "q",
    "r", "s", "t", "u", "v", "z", "aa", "aaa", "azz",
];
const SET_SORTED: [&str; 24] = [
    "a", "aa", "aaa", "azz", "b", "c", "d", "e", "f", "g", "h", "i", "l", "m",
    "n", "o", "p", "q", "r", "s", "t", "u", "v", "z",
];

#[test]
fn sort_with_by_constant_and_store_should_still_order_output() {
    let (_s, mut r) = setup();
    let mut cmd = vec!["SADD", "myset"];
    cmd.extend_from_slice(&SET_MEMBERS);
    r.r(&cmd);
    r.r(&["SORT", "myset", "ALPHA", "BY", "_", "STORE", "mylist"]);
    assert_eq!(r.strs(&["LRANGE", "mylist", "0", "-1"]), SET_SORTED);
}

#[test]
fn sort_will_complain_with_numerical_sorting_and_bad_doubles_1() {
    let (_s, mut r) = setup();
    r.r(&["SADD", "myset", "1", "2", "3", "4", "not-a-double"]);
    assert_eq!(
        r.raw(&["SORT", "myset"]),
        "-ERR One or more scores can't be converted into double\r\n"
    );
}

#[test]
fn sort_will_complain_with_numerical_sorting_and_bad_doubles_2() {
    let (_s, mut r) = setup();
    r.r(&["SADD", "myset", "1", "2", "3", "4"]);
    r.r(&[
        "MSET",
        "score:1",
        "10",
        "score:2",
        "20",
        "score:3",
        "30",
        "score:4",
        "not-a-double",
    ]);
    assert_eq!(
        r.raw(&["SORT", "myset", "BY", "score:*"]),
        "-ERR One or more scores can't be converted into double\r\n"
    );
    // Nothing is stored when the error is replied.
    assert_eq!(
        r.raw(&["SORT", "myset", "BY", "score:*", "STORE", "dst"]),
        "-ERR One or more scores can't be converted into double\r\n"
    );
    assert_eq!(r.int(&["EXISTS", "dst"]), 0);
}

#[test]
fn sort_bad_doubles_overflow_nan_and_what_strtod_accepts() {
    let (_s, mut r) = setup();
    let err = "-ERR One or more scores can't be converted into double\r\n";
    r.r(&["RPUSH", "big", "1", "1e400"]);
    assert_eq!(r.raw(&["SORT", "big"]), err);
    r.r(&["RPUSH", "nan", "1", "nan"]);
    assert_eq!(r.raw(&["SORT", "nan"]), err);
    // strtod() skips leading spaces and reads hex and "inf"; an empty
    // string is 0.
    r.r(&["RPUSH", "ok", "3", " 2", "0x10", "-inf", ""]);
    assert_eq!(r.strs(&["SORT", "ok"]), ["-inf", "", " 2", "3", "0x10"]);
}

#[test]
fn sort_by_sub_sorts_lexicographically_if_score_is_the_same() {
    let (_s, mut r) = setup();
    let mut cmd = vec!["SADD", "myset"];
    cmd.extend_from_slice(&SET_MEMBERS);
    r.r(&cmd);
    // As in sort.tcl, the score keys are never set (the Tcl test sets Tcl
    // variables): every weight is missing, hence 0.
    assert_eq!(r.strs(&["SORT", "myset", "BY", "score:*"]), SET_SORTED);
}

#[test]
fn sort_get_with_pattern_ending_with_just_arrow_does_not_get_hash_field() {
    let (_s, mut r) = setup();
    r.r(&["LPUSH", "mylist", "a"]);
    r.r(&["SET", "x:a->", "100"]);
    assert_eq!(
        r.strs(&["SORT", "mylist", "BY", "num", "GET", "x:*->"]),
        ["100"]
    );
}

#[test]
fn sort_by_nosort_retains_native_order_for_lists() {
    let (_s, mut r) = setup();
    r.r(&["LPUSH", "testa", "2", "1", "4", "3", "5"]);
    assert_eq!(
        r.strs(&["SORT", "testa", "BY", "nosort"]),
        ["5", "3", "4", "1", "2"]
    );
    // Not in sort.tcl: DESC walks from the tail, LIMIT from the end.
    assert_eq!(
        r.strs(&["SORT", "testa", "BY", "nosort", "DESC"]),
        ["2", "1", "4", "3", "5"]
    );
    assert_eq!(
        r.strs(&["SORT", "testa", "BY", "nosort", "DESC", "LIMIT", "1", "2"]),
        ["1", "4"]
    );
}

#[test]
fn sort_by_nosort_plus_store_retains_native_order_for_lists() {
    let (_s, mut r) = setup();
    r.r(&["LPUSH", "testa", "2", "1", "4", "3", "5"]);
    r.r(&["SORT", "testa", "BY", "nosort", "STORE", "testb"]);
    assert_eq!(
        r.strs(&["LRANGE", "testb", "0", "-1"]),
        ["5", "3", "4", "1", "2"]
    );
}

#[test]
fn sort_by_nosort_with_limit_returns_based_on_original_list_order() {
    let (_s, mut r) = setup();
    r.r(&["LPUSH", "testa", "2", "1", "4", "3", "5"]);
    r.r(&[
        "SORT", "testa", "BY", "nosort", "LIMIT", "0", "3", "STORE", "testb",
    ]);
    assert_eq!(r.strs(&["LRANGE", "testb", "0", "-1"]), ["5", "3", "4"]);
}

#[test]
fn sort_speed_100_element_list_by_key_by_hash_field_directly_by_const() {
    let (_s, mut r) = setup();
    let res = create_random_dataset(&mut r, &mut Rng(8), 100, "LPUSH");
    for _ in 0..100 {
        assert_eq!(
            r.strs(&["SORT", "tosort", "BY", "weight_*", "LIMIT", "0", "10"]),
            res[..10]
        );
        assert_eq!(
            r.strs(&[
                "SORT",
                "tosort",
                "BY",
                "wobj_*->weight",
                "LIMIT",
                "0",
                "10"
            ]),
            res[..10]
        );
        assert_eq!(r.strs(&["SORT", "tosort", "LIMIT", "0", "10"]).len(), 10);
        assert_eq!(
            r.strs(&["SORT", "tosort", "BY", "nokey", "LIMIT", "0", "10"])
                .len(),
            10
        );
    }
}

// ------------------------------ beyond sort.tcl ------------------------------

#[test]
fn sort_alpha_by_pattern_puts_missing_weights_first() {
    let (_s, mut r) = setup();
    r.r(&["RPUSH", "l", "1", "2", "3", "4"]);
    r.r(&["MSET", "w_1", "b", "w_3", "a"]);
    r.r(&["HSET", "h_4", "f", "c"]);
    let got = r.strs(&["SORT", "l", "BY", "w_*", "ALPHA"]);
    // 2 and 4 have no weight (in C's qsort, a stable merge sort, they keep
    // their order), then by the weights a < b.
    assert_eq!(got, ["2", "4", "3", "1"]);
    assert_eq!(
        r.strs(&["SORT", "l", "BY", "w_*", "ALPHA", "DESC"]),
        ["1", "3", "2", "4"]
    );
    // A hash key read as a weight without "->" counts as missing, and the
    // other way round.
    assert_eq!(
        r.strs(&[
            "SORT", "l", "BY", "h_*", "ALPHA", "GET", "h_*->f", "GET", "w_*->f"
        ]),
        ["", "", "", "", "", "", "c", ""]
    );
}

#[test]
fn sort_syntax_and_limit_errors() {
    let (_s, mut r) = setup();
    r.r(&["RPUSH", "l", "3", "1", "2"]);
    let syntax = "-ERR syntax error\r\n";
    let notint = "-ERR value is not an integer or out of range\r\n";
    assert_eq!(r.raw(&["SORT", "l", "FOO"]), syntax);
    assert_eq!(r.raw(&["SORT", "l", "LIMIT", "1"]), syntax);
    assert_eq!(r.raw(&["SORT", "l", "BY"]), syntax);
    assert_eq!(r.raw(&["SORT", "l", "GET"]), syntax);
    assert_eq!(r.raw(&["SORT", "l", "STORE"]), syntax);
    assert_eq!(r.raw(&["SORT", "l", "LIMIT", "x", "1"]), notint);
    assert_eq!(r.raw(&["SORT", "l", "LIMIT", "0", "y"]), notint);
    assert_eq!(
        r.raw(&["SORT"]),
        "-ERR wrong number of arguments for 'sort' command\r\n"
    );
    // Options are case insensitive, and the last ASC/DESC wins.
    assert_eq!(
        r.strs(&["sort", "l", "desc", "asc", "limit", "1", "5"]),
        ["2", "3"]
    );
    assert_eq!(r.strs(&["SORT", "l", "LIMIT", "-5", "-1"]), ["1", "2", "3"]);
    assert_eq!(r.strs(&["SORT", "l", "LIMIT", "0", "0"]), Vec::<String>::new());
    assert_eq!(
        r.strs(&["SORT", "l", "LIMIT", "1", "9223372036854775807"]),
        ["2", "3"]
    );
}

#[test]
fn sort_against_wrong_types() {
    let (_s, mut r) = setup();
    r.r(&["SET", "str", "x"]);
    r.r(&["HSET", "h", "a", "1"]);
    r.r(&["RPUSH", "l", "1"]);
    assert_eq!(r.raw(&["SORT", "str"]), WRONGTYPE);
    assert_eq!(r.raw(&["SORT", "h"]), WRONGTYPE);
    assert_eq!(r.raw(&["SORT", "str", "FOO"]), WRONGTYPE);
    // STORE overwrites whatever the destination held.
    assert_eq!(r.int(&["SORT", "l", "STORE", "str"]), 1);
    assert_eq!(r.s(&["TYPE", "str"]), "list");
    // Commands of other types against the stored list.
    assert_eq!(r.raw(&["GET", "str"]), WRONGTYPE);
}

#[test]
fn sort_store_resets_ttl_and_notifies() {
    let (s, mut r) = setup();
    r.r(&["CONFIG", "SET", "notify-keyspace-events", "KA"]);
    let mut sub = util::raw(s.port());
    sub.write_all(b"SUBSCRIBE __keyspace@9__:dst\r\n").unwrap();
    util::read_reply(&mut sub);
    r.r(&["RPUSH", "l", "2", "1"]);
    r.r(&["SET", "dst", "x", "EX", "100"]);
    assert_eq!(r.int(&["SORT", "l", "STORE", "dst"]), 2);
    assert_eq!(r.int(&["TTL", "dst"]), -1);
    assert_eq!(r.int(&["SORT", "nokey", "STORE", "dst"]), 0);
    assert_eq!(r.int(&["EXISTS", "dst"]), 0);
    let mut events = Vec::new();
    for _ in 0..3 {
        let V::Arr(a) = parse(&util::read_reply(&mut sub)).0 else { panic!() };
        events.push(a[2].s());
    }
    assert_eq!(events, ["set", "expire", "sortstore"]);
    let V::Arr(a) = parse(&util::read_reply(&mut sub)).0 else { panic!() };
    assert_eq!(a[2].s(), "del");
}

// ------------------------- comparison with the real 5.0 ----------------------

/// Runs the same script on our server and, if `REDIS_C_SERVER` is set, on
/// that binary (a real redis-server 5.0.14), and compares every reply byte
/// for byte. Sets are only sorted where ties cannot show their (hash
/// table) order.
#[test]
fn replies_match_redis_5_byte_for_byte() {
    let script: &[&[&str]] = &[
        &["RPUSH", "l", "3", "1", "2", "10", "5.5", "-1"],
        &["SORT", "l"],
        &["SORT", "l", "DESC", "ALPHA"],
        &["SORT", "l", "LIMIT", "1", "2"],
        &["SORT", "l", "LIMIT", "10", "2"],
        &["SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "3"],
        &[
            "MSET", "w_3", "30", "w_1", "10", "w_2", "20", "w_10", "5",
            "w_5.5", "x",
        ],
        &["SORT", "l", "BY", "w_*"],
        &["DEL", "w_5.5"],
        &[
            "SORT", "l", "BY", "w_*", "GET", "#", "GET", "w_*", "LIMIT", "1",
            "3",
        ],
        &["HSET", "h_3", "f", "3"],
        &[
            "SORT", "l", "BY", "h_*->f", "GET", "h_*->f", "GET", "h_*", "GET",
            "nostar",
        ],
        &["SORT", "l", "BY", "w_*", "GET", "#", "STORE", "dst"],
        &["LRANGE", "dst", "0", "-1"],
        &["SADD", "s", "5", "3", "9", "1"],
        &["SORT", "s"],
        &["SORT", "s", "BY", "nosort", "STORE", "sd"],
        &["LRANGE", "sd", "0", "-1"],
        &["ZADD", "z", "1", "a", "5", "b", "2", "c", "10", "d", "3", "e"],
        &["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "2"],
        &["OBJECT", "ENCODING", "z"],
        &["SORT", "z", "ALPHA", "LIMIT", "0", "3"],
        &["SORT", "z", "LIMIT", "0", "3"],
        &["SET", "str", "x"],
        &["SORT", "str"],
        &["SORT", "l", "LIMIT", "x", "1"],
        &["SORT", "l", "FOO"],
        &["SORT", "nokey", "STORE", "dst"],
        &["EXISTS", "dst"],
    ];
    let (_s, mut r) = setup();
    let our_replies: Vec<String> =
        script.iter().map(|cmd| r.raw(cmd)).collect();
    assert!(our_replies[2].starts_with("*6\r\n"));
    let Some(bin) = std::env::var_os("REDIS_C_SERVER") else {
        return;
    };
    let real = Server::start_binary(
        std::path::Path::new(&bin),
        &["--list-max-ziplist-size", "32", "--set-max-intset-entries", "32"],
    );
    let mut r = R::new(&real);
    for (cmd, ours) in script.iter().zip(&our_replies) {
        assert_eq!(&r.raw(cmd), ours, "{cmd:?}");
    }
}
