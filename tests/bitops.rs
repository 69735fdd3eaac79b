//! The bit commands (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD),
//! paraphrasing Redis 5.0.14's tests/unit/bitops.tcl and bitfield.tcl,
//! plus the error replies (byte for byte as the real 5.0.14 sends them),
//! WRONGTYPE against other types, propagation and keyspace events.
//!
//! One deliberate difference from the real 5.0.14 binary: i64 BITFIELD
//! fields follow Redis 7.0's fixed code (see src/bitops.rs), so the
//! "overflow fuzzing" tests below pass on oxredis, while 5.0.14 built with
//! gcc on x86-64 fails them. If `REDIS_C_SERVER` names a real
//! redis-server binary, `replies_match_redis_5_byte_for_byte` also runs a
//! script (without i64 fields) against it and compares every reply.

mod util;

use std::io::Write;
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
    fn int(&self) -> i64 {
        match self {
            V::Int(i) => *i,
            _ => panic!("not an integer reply: {self:?}"),
        }
    }
    fn bytes(&self) -> Vec<u8> {
        match self {
            V::Bulk(Some(b)) => b.clone(),
            V::Bulk(None) => Vec::new(),
            _ => panic!("not a bulk reply: {self:?}"),
        }
    }
    /// BITFIELD's reply: integers, `None` for a nil.
    fn ints(&self) -> Vec<Option<i64>> {
        match self {
            V::Arr(a) => a
                .iter()
                .map(|v| match v {
                    V::Int(i) => Some(*i),
                    V::Bulk(None) => None,
                    _ => panic!("unexpected BITFIELD item {v:?}"),
                })
                .collect(),
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
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        self.s.write_all(&out).expect("send");
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
    /// A command with binary arguments.
    fn rb(&mut self, args: &[&[u8]]) -> V {
        parse(&self.raw_bytes(args)).0
    }
    fn int(&mut self, args: &[&str]) -> i64 {
        self.r(args).int()
    }
    fn set(&mut self, key: &str, val: &[u8]) {
        assert_eq!(
            self.rb(&[b"SET", key.as_bytes(), val]),
            V::Status("OK".into())
        );
    }
    fn get(&mut self, key: &str) -> Vec<u8> {
        self.rb(&[b"GET", key.as_bytes()]).bytes()
    }
    fn bitfield(&mut self, args: &[&str]) -> Vec<Option<i64>> {
        let mut a = vec!["BITFIELD"];
        a.extend_from_slice(args);
        self.r(&a).ints()
    }
}

fn setup() -> (Server, R) {
    let server = Server::start(&[]);
    let r = R::new(&server);
    (server, r)
}

const WRONGTYPE: &str =
    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

/// A small deterministic generator (xorshift64*), standing in for Tcl's
/// rand(): the tests need variety, not unpredictability.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Tcl's randomInt: 0..n-1.
    fn int(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Tcl's `randstring 0 len binary`.
    fn bytes(&mut self, max: u64) -> Vec<u8> {
        let len = self.int(max + 1);
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// bitops.tcl's count_bits.
fn count_bits(s: &[u8]) -> i64 {
    s.iter().map(|b| b.count_ones() as i64).sum()
}

/// bitops.tcl's simulate_bit_op: shorter inputs are zero padded.
fn simulate_bit_op(op: &str, args: &[Vec<u8>]) -> Vec<u8> {
    let maxlen = args.iter().map(Vec::len).max().unwrap_or(0);
    let at = |a: &Vec<u8>, i: usize| a.get(i).copied().unwrap_or(0);
    (0..maxlen)
        .map(|i| {
            let mut out = at(&args[0], i);
            if op == "not" {
                out = !out;
            }
            for a in &args[1..] {
                match op {
                    "and" => out &= at(a, i),
                    "or" => out |= at(a, i),
                    "xor" => out ^= at(a, i),
                    _ => {}
                }
            }
            out
        })
        .collect()
}

// ------------------------------- SETBIT/GETBIT -------------------------------

#[test]
fn setbit_and_getbit_basics() {
    let (_s, mut r) = setup();
    assert_eq!(r.int(&["SETBIT", "k", "7", "1"]), 0);
    assert_eq!(r.int(&["SETBIT", "k", "7", "1"]), 1);
    assert_eq!(r.get("k"), b"\x01");
    assert_eq!(r.int(&["GETBIT", "k", "7"]), 1);
    assert_eq!(r.int(&["GETBIT", "k", "6"]), 0);
    assert_eq!(r.int(&["GETBIT", "k", "1000"]), 0);
    assert_eq!(r.int(&["GETBIT", "nokey", "0"]), 0);
    // Setting a far bit grows the string with zero bytes.
    assert_eq!(r.int(&["SETBIT", "k", "23", "1"]), 0);
    assert_eq!(r.get("k"), b"\x01\x00\x01");
    assert_eq!(r.int(&["SETBIT", "k", "7", "0"]), 1);
    assert_eq!(r.get("k"), b"\x00\x00\x01");
}

#[test]
fn setbit_and_getbit_on_integer_encoded_values() {
    let (_s, mut r) = setup();
    r.set("n", b"1"); // "1" is 0x31 = 00110001
    assert_eq!(r.int(&["GETBIT", "n", "2"]), 1);
    assert_eq!(r.int(&["GETBIT", "n", "4"]), 0);
    assert_eq!(r.int(&["GETBIT", "n", "7"]), 1);
    assert_eq!(r.int(&["SETBIT", "n", "6", "1"]), 0); // 0x33 = "3"
    assert_eq!(r.get("n"), b"3");
    assert_eq!(
        r.r(&["OBJECT", "ENCODING", "n"]),
        V::Bulk(Some(b"raw".to_vec()))
    );
}

#[test]
fn setbit_and_getbit_errors() {
    let (_s, mut r) = setup();
    let off = "-ERR bit offset is not an integer or out of range\r\n";
    let bit = "-ERR bit is not an integer or out of range\r\n";
    assert_eq!(r.raw(&["SETBIT", "k", "-1", "1"]), off);
    assert_eq!(r.raw(&["SETBIT", "k", "4294967296", "1"]), off);
    assert_eq!(r.raw(&["SETBIT", "k", "abc", "1"]), off);
    assert_eq!(r.raw(&["GETBIT", "k", "4294967296"]), off);
    assert_eq!(r.raw(&["GETBIT", "k", "-1"]), off);
    assert_eq!(r.raw(&["SETBIT", "k", "1", "2"]), bit);
    assert_eq!(r.raw(&["SETBIT", "k", "1", "-1"]), bit);
    assert_eq!(r.raw(&["SETBIT", "k", "1", "x"]), bit);
    assert_eq!(r.int(&["EXISTS", "k"]), 0);
    assert_eq!(
        r.raw(&["SETBIT", "k"]),
        "-ERR wrong number of arguments for 'setbit' command\r\n"
    );
}

#[test]
fn bit_commands_against_wrong_types() {
    let (_s, mut r) = setup();
    r.r(&["LPUSH", "l", "a"]);
    r.set("s", b"abc");
    for cmd in [
        &["SETBIT", "l", "0", "1"][..],
        &["GETBIT", "l", "0"],
        &["BITCOUNT", "l"],
        &["BITPOS", "l", "1"],
        &["BITOP", "AND", "d", "s", "l"],
        &["BITOP", "NOT", "d", "l"],
        &["BITFIELD", "l", "GET", "u8", "0"],
        &["BITFIELD", "l", "SET", "u8", "0", "1"],
    ] {
        assert_eq!(r.raw(cmd), WRONGTYPE, "{cmd:?}");
    }
    assert_eq!(r.int(&["EXISTS", "d"]), 0);
    // The string commands against a string made by SETBIT work.
    r.r(&["SETBIT", "b", "1", "1"]);
    assert_eq!(r.r(&["TYPE", "b"]), V::Status("string".into()));
    assert_eq!(r.int(&["STRLEN", "b"]), 1);
}

#[test]
fn bit_writes_count_as_changes_and_notify_keyspace_events() {
    let (s, mut r) = setup();
    r.r(&["CONFIG", "SET", "notify-keyspace-events", "KA"]);
    let mut sub = util::raw(s.port());
    sub.write_all(b"SUBSCRIBE __keyspace@9__:k\r\n").unwrap();
    util::read_reply(&mut sub);
    let dirty = |r: &mut R| -> i64 {
        let info = r.r(&["INFO", "persistence"]).bytes();
        let text = String::from_utf8_lossy(&info).into_owned();
        util::info_field(&text, "rdb_changes_since_last_save")
            .unwrap()
            .parse()
            .unwrap()
    };
    let d0 = dirty(&mut r);
    r.int(&["SETBIT", "k", "3", "1"]);
    r.bitfield(&[
        "k", "SET", "u8", "8", "1", "INCRBY", "u8", "8", "1", "GET", "u8", "0",
    ]);
    r.bitfield(&["k", "GET", "u8", "0"]); // read only: no change
    r.r(&["BITOP", "NOT", "k", "k"]);
    assert_eq!(dirty(&mut r), d0 + 1 + 2 + 1);
    let events: Vec<String> = (0..3)
        .map(|_| {
            let v = parse(&util::read_reply(&mut sub)).0;
            match v {
                V::Arr(a) => {
                    String::from_utf8_lossy(&a[2].bytes()).into_owned()
                }
                other => panic!("{other:?}"),
            }
        })
        .collect();
    assert_eq!(events, ["setbit", "setbit", "set"]);
}

// ---------------------------------- BITCOUNT ---------------------------------

#[test]
fn bitcount_returns_0_against_non_existing_key() {
    let (_s, mut r) = setup();
    assert_eq!(r.int(&["BITCOUNT", "no-key"]), 0);
}

#[test]
fn bitcount_returns_0_with_out_of_range_indexes() {
    let (_s, mut r) = setup();
    r.set("str", b"xxxx");
    assert_eq!(r.int(&["BITCOUNT", "str", "4", "10"]), 0);
}

#[test]
fn bitcount_returns_0_with_negative_indexes_where_start_gt_end() {
    let (_s, mut r) = setup();
    r.set("str", b"xxxx");
    assert_eq!(r.int(&["BITCOUNT", "str", "-6", "-7"]), 0);
}

#[test]
fn bitcount_against_test_vectors() {
    let (_s, mut r) = setup();
    for vec in [&b""[..], b"\xaa", b"\x00\x00\xff", b"foobar", b"123"] {
        r.set("str", vec);
        assert_eq!(r.int(&["BITCOUNT", "str"]), count_bits(vec), "{vec:?}");
    }
}

#[test]
fn bitcount_fuzzing_without_start_end() {
    let (_s, mut r) = setup();
    let mut rng = Rng(1);
    for _ in 0..100 {
        let s = rng.bytes(3000);
        r.set("str", &s);
        assert_eq!(r.int(&["BITCOUNT", "str"]), count_bits(&s));
    }
}

#[test]
fn bitcount_fuzzing_with_start_end() {
    let (_s, mut r) = setup();
    let mut rng = Rng(2);
    for _ in 0..100 {
        let s = rng.bytes(3000);
        r.set("str", &s);
        let l = s.len() as u64;
        let (mut start, mut end) = (rng.int(l.max(1)), rng.int(l.max(1)));
        if start > end {
            std::mem::swap(&mut start, &mut end);
        }
        let want = if s.is_empty() {
            0
        } else {
            count_bits(&s[start as usize..=end as usize])
        };
        assert_eq!(
            r.int(&["BITCOUNT", "str", &start.to_string(), &end.to_string()]),
            want
        );
    }
}

#[test]
fn bitcount_with_start_end() {
    let (_s, mut r) = setup();
    r.set("s", b"foobar");
    assert_eq!(r.int(&["BITCOUNT", "s", "0", "-1"]), count_bits(b"foobar"));
    assert_eq!(r.int(&["BITCOUNT", "s", "1", "-2"]), count_bits(b"ooba"));
    assert_eq!(r.int(&["BITCOUNT", "s", "-2", "1"]), 0);
    assert_eq!(r.int(&["BITCOUNT", "s", "0", "1000"]), count_bits(b"foobar"));
}

#[test]
fn bitcount_syntax_error_1() {
    let (_s, mut r) = setup();
    r.set("s", b"foobar");
    assert_eq!(r.raw(&["BITCOUNT", "s", "0"]), "-ERR syntax error\r\n");
    assert_eq!(
        r.raw(&["BITCOUNT", "s", "0", "1", "2"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        r.raw(&["BITCOUNT", "s", "a", "1"]),
        "-ERR value is not an integer or out of range\r\n"
    );
}

#[test]
fn bitcount_regression_test_for_github_issue_582() {
    let (_s, mut r) = setup();
    r.int(&["SETBIT", "foo", "0", "1"]);
    // A long is 64 bits here, so 4294967296 is a valid end, clipped.
    assert_eq!(r.int(&["BITCOUNT", "foo", "0", "4294967296"]), 1);
    assert_eq!(
        r.raw(&["BITCOUNT", "foo", "0", "99999999999999999999"]),
        "-ERR value is not an integer or out of range\r\n"
    );
}

#[test]
fn bitcount_misaligned_prefix() {
    let (_s, mut r) = setup();
    r.set("str", b"ab");
    assert_eq!(r.int(&["BITCOUNT", "str", "1", "-1"]), 3);
}

#[test]
fn bitcount_misaligned_prefix_full_words_remainder() {
    let (_s, mut r) = setup();
    r.set("str", b"__PPxxxxxxxxxxxxxxxxRR__");
    assert_eq!(r.int(&["BITCOUNT", "str", "2", "-3"]), 74);
}

// ----------------------------------- BITOP -----------------------------------

#[test]
fn bitop_not_empty_string() {
    let (_s, mut r) = setup();
    r.set("s", b"");
    assert_eq!(r.int(&["BITOP", "NOT", "dest", "s"]), 0);
    assert_eq!(r.rb(&[b"GET", b"dest"]), V::Bulk(None));
}

#[test]
fn bitop_not_known_string() {
    let (_s, mut r) = setup();
    r.set("s", b"\xaa\x00\xff\x55");
    assert_eq!(r.int(&["BITOP", "NOT", "dest", "s"]), 4);
    assert_eq!(r.get("dest"), b"\x55\xff\x00\xaa");
}

#[test]
fn bitop_where_dest_and_target_are_the_same_key() {
    let (_s, mut r) = setup();
    r.set("s", b"\xaa\x00\xff\x55");
    r.r(&["BITOP", "NOT", "s", "s"]);
    assert_eq!(r.get("s"), b"\x55\xff\x00\xaa");
}

#[test]
fn bitop_and_or_xor_dont_change_the_string_with_single_input_key() {
    let (_s, mut r) = setup();
    r.set("a", b"\x01\x02\xff");
    r.r(&["BITOP", "AND", "res1", "a"]);
    r.r(&["BITOP", "OR", "res2", "a"]);
    r.r(&["BITOP", "XOR", "res3", "a"]);
    for k in ["res1", "res2", "res3"] {
        assert_eq!(r.get(k), b"\x01\x02\xff", "{k}");
    }
}

#[test]
fn bitop_missing_key_is_considered_a_stream_of_zero() {
    let (_s, mut r) = setup();
    r.set("a", b"\x01\x02\xff");
    r.r(&["BITOP", "AND", "res1", "no-suck-key", "a"]);
    r.r(&["BITOP", "OR", "res2", "no-suck-key", "a", "no-such-key"]);
    r.r(&["BITOP", "XOR", "res3", "no-such-key", "a"]);
    assert_eq!(r.get("res1"), b"\x00\x00\x00");
    assert_eq!(r.get("res2"), b"\x01\x02\xff");
    assert_eq!(r.get("res3"), b"\x01\x02\xff");
}

#[test]
fn bitop_shorter_keys_are_zero_padded_to_the_key_with_max_length() {
    let (_s, mut r) = setup();
    r.set("a", b"\x01\x02\xff\xff");
    r.set("b", b"\x01\x02\xff");
    r.r(&["BITOP", "AND", "res1", "a", "b"]);
    r.r(&["BITOP", "OR", "res2", "a", "b"]);
    r.r(&["BITOP", "XOR", "res3", "a", "b"]);
    assert_eq!(r.get("res1"), b"\x01\x02\xff\x00");
    assert_eq!(r.get("res2"), b"\x01\x02\xff\xff");
    assert_eq!(r.get("res3"), b"\x00\x00\x00\xff");
}

#[test]
fn bitop_and_or_xor_fuzzing() {
    let (_s, mut r) = setup();
    let mut rng = Rng(3);
    for op in ["and", "or", "xor"] {
        for _ in 0..10 {
            r.r(&["FLUSHALL"]);
            let numvec = rng.int(10) + 1;
            let mut vec = Vec::new();
            let mut keys = Vec::new();
            for j in 0..numvec {
                let s = rng.bytes(1000);
                let k = format!("vector_{j}");
                r.set(&k, &s);
                vec.push(s);
                keys.push(k);
            }
            let mut cmd = vec!["BITOP", op, "target"];
            cmd.extend(keys.iter().map(String::as_str));
            let want = simulate_bit_op(op, &vec);
            assert_eq!(r.int(&cmd), want.len() as i64);
            assert_eq!(r.get("target"), want, "{op}");
        }
    }
}

#[test]
fn bitop_not_fuzzing() {
    let (_s, mut r) = setup();
    let mut rng = Rng(4);
    for _ in 0..10 {
        r.r(&["FLUSHALL"]);
        let s = rng.bytes(1000);
        r.set("str", &s);
        r.r(&["BITOP", "NOT", "target", "str"]);
        assert_eq!(r.get("target"), simulate_bit_op("not", &[s]));
    }
}

#[test]
fn bitop_with_integer_encoded_source_objects() {
    let (_s, mut r) = setup();
    r.set("a", b"1");
    r.set("b", b"2");
    r.r(&["BITOP", "XOR", "dest", "a", "b", "a"]);
    assert_eq!(r.get("dest"), b"2");
}

#[test]
fn bitop_with_non_string_source_key() {
    let (_s, mut r) = setup();
    r.set("a", b"1");
    r.set("b", b"2");
    r.r(&["LPUSH", "c", "foo"]);
    assert_eq!(r.raw(&["BITOP", "XOR", "dest", "a", "b", "c", "d"]), WRONGTYPE);
}

#[test]
fn bitop_with_empty_string_after_non_empty_string_issue_529() {
    let (_s, mut r) = setup();
    r.set("a", &[0u8; 32]);
    assert_eq!(r.int(&["BITOP", "OR", "x", "a", "b"]), 32);
}

#[test]
fn bitop_errors_and_empty_result_deletes_target() {
    let (_s, mut r) = setup();
    assert_eq!(r.raw(&["BITOP", "NAND", "d", "a"]), "-ERR syntax error\r\n");
    assert_eq!(
        r.raw(&["BITOP", "NOT", "d", "a", "b"]),
        "-ERR BITOP NOT must be called with a single source key.\r\n"
    );
    assert_eq!(
        r.raw(&["BITOP", "and", "d"]),
        "-ERR wrong number of arguments for 'bitop' command\r\n"
    );
    r.set("d", b"old");
    assert_eq!(r.int(&["BITOP", "or", "d", "nokey1", "nokey2"]), 0);
    assert_eq!(r.int(&["EXISTS", "d"]), 0);
    // The target loses its TTL, as with SET.
    r.set("a", b"x");
    r.set("d", b"old");
    r.r(&["EXPIRE", "d", "100"]);
    r.r(&["BITOP", "or", "d", "a"]);
    assert_eq!(r.int(&["TTL", "d"]), -1);
}

// ----------------------------------- BITPOS ----------------------------------

#[test]
fn bitpos_bit_0_with_empty_key_returns_0() {
    let (_s, mut r) = setup();
    assert_eq!(r.int(&["BITPOS", "str", "0"]), 0);
}

#[test]
fn bitpos_bit_1_with_empty_key_returns_minus_1() {
    let (_s, mut r) = setup();
    assert_eq!(r.int(&["BITPOS", "str", "1"]), -1);
}

#[test]
fn bitpos_bit_0_with_string_less_than_1_word_works() {
    let (_s, mut r) = setup();
    r.set("str", b"\xff\xf0\x00");
    assert_eq!(r.int(&["BITPOS", "str", "0"]), 12);
}

#[test]
fn bitpos_bit_1_with_string_less_than_1_word_works() {
    let (_s, mut r) = setup();
    r.set("str", b"\x00\x0f\x00");
    assert_eq!(r.int(&["BITPOS", "str", "1"]), 12);
}

#[test]
fn bitpos_bit_0_starting_at_unaligned_address() {
    let (_s, mut r) = setup();
    r.set("str", b"\xff\xf0\x00");
    assert_eq!(r.int(&["BITPOS", "str", "0", "1"]), 12);
}

#[test]
fn bitpos_bit_1_starting_at_unaligned_address() {
    let (_s, mut r) = setup();
    r.set("str", b"\x00\x0f\xff");
    assert_eq!(r.int(&["BITPOS", "str", "1", "1"]), 12);
}

#[test]
fn bitpos_unaligned_full_word_reminder() {
    let (_s, mut r) = setup();
    for (bit, fill, last) in [(0, 0xffu8, 0x0fu8), (1, 0x00, 0xf0)] {
        // A 3 byte prefix, three full words, then the first match.
        let mut s = vec![fill; 3 + 24];
        s.push(last);
        r.set("str", &s);
        let b = bit.to_string();
        assert_eq!(r.int(&["BITPOS", "str", &b]), 216);
        for start in 1..=8 {
            assert_eq!(
                r.int(&["BITPOS", "str", &b, &start.to_string()]),
                216,
                "bit {bit} start {start}"
            );
        }
    }
}

#[test]
fn bitpos_bit_1_returns_minus_1_if_string_is_all_0_bits() {
    let (_s, mut r) = setup();
    r.set("str", b"");
    for _ in 0..20 {
        assert_eq!(r.int(&["BITPOS", "str", "1"]), -1);
        r.rb(&[b"APPEND", b"str", b"\x00"]);
    }
}

#[test]
fn bitpos_bit_0_works_with_intervals() {
    let (_s, mut r) = setup();
    r.set("str", b"\x00\xff\x00");
    assert_eq!(r.int(&["BITPOS", "str", "0", "0", "-1"]), 0);
    assert_eq!(r.int(&["BITPOS", "str", "0", "1", "-1"]), 16);
    assert_eq!(r.int(&["BITPOS", "str", "0", "2", "-1"]), 16);
    assert_eq!(r.int(&["BITPOS", "str", "0", "2", "200"]), 16);
    assert_eq!(r.int(&["BITPOS", "str", "0", "1", "1"]), -1);
}

#[test]
fn bitpos_bit_1_works_with_intervals() {
    let (_s, mut r) = setup();
    r.set("str", b"\x00\xff\x00");
    assert_eq!(r.int(&["BITPOS", "str", "1", "0", "-1"]), 8);
    assert_eq!(r.int(&["BITPOS", "str", "1", "1", "-1"]), 8);
    assert_eq!(r.int(&["BITPOS", "str", "1", "2", "-1"]), -1);
    assert_eq!(r.int(&["BITPOS", "str", "1", "2", "200"]), -1);
    assert_eq!(r.int(&["BITPOS", "str", "1", "1", "1"]), 8);
}

#[test]
fn bitpos_bit_0_changes_behavior_if_end_is_given() {
    let (_s, mut r) = setup();
    r.set("str", b"\xff\xff\xff");
    assert_eq!(r.int(&["BITPOS", "str", "0"]), 24);
    assert_eq!(r.int(&["BITPOS", "str", "0", "0"]), 24);
    assert_eq!(r.int(&["BITPOS", "str", "0", "0", "-1"]), -1);
}

#[test]
fn bitpos_errors() {
    let (_s, mut r) = setup();
    r.set("str", b"\xff");
    assert_eq!(
        r.raw(&["BITPOS", "str", "2"]),
        "-ERR The bit argument must be 1 or 0.\r\n"
    );
    assert_eq!(
        r.raw(&["BITPOS", "nokey", "2"]),
        "-ERR The bit argument must be 1 or 0.\r\n"
    );
    assert_eq!(
        r.raw(&["BITPOS", "str", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        r.raw(&["BITPOS", "str", "1", "0", "1", "2"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        r.raw(&["BITPOS", "str", "1", "y"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    // Empty range.
    assert_eq!(r.int(&["BITPOS", "str", "0", "2", "1"]), -1);
}

#[test]
fn bitpos_bit_1_fuzzy_testing_using_setbit() {
    let (_s, mut r) = setup();
    let mut rng = Rng(5);
    let max = 524288; // 64k
    let mut first_one_pos: i64 = -1;
    for _ in 0..1000 {
        assert_eq!(r.int(&["BITPOS", "str", "1"]), first_one_pos);
        let pos = rng.int(max) as i64;
        r.int(&["SETBIT", "str", &pos.to_string(), "1"]);
        if first_one_pos == -1 || first_one_pos > pos {
            first_one_pos = pos;
        }
    }
}

#[test]
fn bitpos_bit_0_fuzzy_testing_using_setbit() {
    let (_s, mut r) = setup();
    let mut rng = Rng(6);
    let max = 524288u64; // 64k
    let mut first_zero_pos = max as i64;
    r.set("str", &vec![0xffu8; (max / 8) as usize]);
    for _ in 0..1000 {
        assert_eq!(r.int(&["BITPOS", "str", "0"]), first_zero_pos);
        let pos = rng.int(max) as i64;
        r.int(&["SETBIT", "str", &pos.to_string(), "0"]);
        if first_zero_pos > pos {
            first_zero_pos = pos;
        }
    }
}

// --------------------------------- BITFIELD ----------------------------------

#[test]
fn bitfield_signed_set_and_get_basics() {
    let (_s, mut r) = setup();
    assert_eq!(r.bitfield(&["bits", "SET", "i8", "0", "-100"]), [Some(0)]);
    assert_eq!(r.bitfield(&["bits", "SET", "i8", "0", "101"]), [Some(-100)]);
    assert_eq!(r.bitfield(&["bits", "GET", "i8", "0"]), [Some(101)]);
}

#[test]
fn bitfield_unsigned_set_and_get_basics() {
    let (_s, mut r) = setup();
    assert_eq!(r.bitfield(&["bits", "SET", "u8", "0", "255"]), [Some(0)]);
    assert_eq!(r.bitfield(&["bits", "SET", "u8", "0", "100"]), [Some(255)]);
    assert_eq!(r.bitfield(&["bits", "GET", "u8", "0"]), [Some(100)]);
}

#[test]
fn bitfield_hash_idx_form() {
    let (_s, mut r) = setup();
    r.bitfield(&["bits", "SET", "u8", "#0", "65"]);
    r.bitfield(&["bits", "SET", "u8", "#1", "66"]);
    r.bitfield(&["bits", "SET", "u8", "#2", "67"]);
    assert_eq!(r.get("bits"), b"ABC");
}

#[test]
fn bitfield_basic_incrby_form() {
    let (_s, mut r) = setup();
    r.bitfield(&["bits", "SET", "u8", "#0", "10"]);
    assert_eq!(r.bitfield(&["bits", "INCRBY", "u8", "#0", "100"]), [Some(110)]);
    assert_eq!(r.bitfield(&["bits", "INCRBY", "u8", "#0", "100"]), [Some(210)]);
}

#[test]
fn bitfield_chaining_of_multiple_commands() {
    let (_s, mut r) = setup();
    r.bitfield(&["bits", "SET", "u8", "#0", "10"]);
    assert_eq!(
        r.bitfield(&[
            "bits", "INCRBY", "u8", "#0", "100", "INCRBY", "u8", "#0", "100"
        ]),
        [Some(110), Some(210)]
    );
}

#[test]
fn bitfield_unsigned_overflow_wrap() {
    let (_s, mut r) = setup();
    r.bitfield(&["bits", "SET", "u8", "#0", "100"]);
    assert_eq!(
        r.bitfield(&["bits", "OVERFLOW", "WRAP", "INCRBY", "u8", "#0", "257"]),
        [Some(101)]
    );
    assert_eq!(r.bitfield(&["bits", "GET", "u8", "#0"]), [Some(101)]);
    assert_eq!(
        r.bitfield(&["bits", "OVERFLOW", "WRAP", "INCRBY", "u8", "#0", "255"]),
        [Some(100)]
    );
    assert_eq!(r.bitfield(&["bits", "GET", "u8", "#0"]), [Some(100)]);
}

#[test]
fn bitfield_unsigned_overflow_sat() {
    let (_s, mut r) = setup();
    r.bitfield(&["bits", "SET", "u8", "#0", "100"]);
    assert_eq!(
        r.bitfield(&["bits", "OVERFLOW", "SAT", "INCRBY", "u8", "#0", "257"]),
        [Some(255)]
    );
    assert_eq!(r.bitfield(&["bits", "GET", "u8", "#0"]), [Some(255)]);
    assert_eq!(
        r.bitfield(&["bits", "OVERFLOW", "SAT", "INCRBY", "u8", "#0", "-255"]),
        [Some(0)]
    );
    assert_eq!(r.bitfield(&["bits", "GET", "u8", "#0"]), [Some(0)]);
}

#[test]
fn bitfield_signed_overflow_wrap() {
    let (_s, mut r) = setup();
    r.bitfield(&["bits", "SET", "i8", "#0", "100"]);
    assert_eq!(
        r.bitfield(&["bits", "OVERFLOW", "WRAP", "INCRBY", "i8", "#0", "257"]),
        [Some(101)]
    );
    assert_eq!(r.bitfield(&["bits", "GET", "i8", "#0"]), [Some(101)]);
    assert_eq!(
        r.bitfield(&["bits", "OVERFLOW", "WRAP", "INCRBY", "i8", "#0", "255"]),
        [Some(100)]
    );
    assert_eq!(r.bitfield(&["bits", "GET", "i8", "#0"]), [Some(100)]);
}

#[test]
fn bitfield_signed_overflow_sat() {
    let (_s, mut r) = setup();
    r.bitfield(&["bits", "SET", "u8", "#0", "100"]);
    assert_eq!(
        r.bitfield(&["bits", "OVERFLOW", "SAT", "INCRBY", "i8", "#0", "257"]),
        [Some(127)]
    );
    assert_eq!(r.bitfield(&["bits", "GET", "i8", "#0"]), [Some(127)]);
    assert_eq!(
        r.bitfield(&["bits", "OVERFLOW", "SAT", "INCRBY", "i8", "#0", "-255"]),
        [Some(-128)]
    );
    assert_eq!(r.bitfield(&["bits", "GET", "i8", "#0"]), [Some(-128)]);
}

/// One draw of the fuzzing tests of bitfield.tcl: a type, and a value and
/// an increment in twice the type's range (clamped to 64 bits), as i128
/// so that the expectations can be computed exactly.
fn fuzz_case(rng: &mut Rng) -> (String, bool, i128, i128, i128, i128) {
    let bits = rng.int(64) as u32 + 1;
    let sign = bits == 64 || rng.int(2) == 1; // u64 is not supported by BITFIELD.
    let range: i128 = 1i128 << bits;
    let min = if sign { -(range / 2) } else { 0 };
    let max = min + range - 1;
    let ty = format!("{}{bits}", if sign { "i" } else { "u" });
    let range2 = (range * 2) as u128;
    let draw = |rng: &mut Rng| -> i128 {
        let r = ((rng.next() as u128) << 64 | rng.next() as u128) % range2;
        (min * 2 + r as i128).clamp(i64::MIN as i128, i64::MAX as i128)
    };
    let value = draw(rng);
    let increment = draw(rng);
    (ty, sign, min, max, value, increment)
}

#[test]
fn bitfield_overflow_detection_fuzzing() {
    let (_s, mut r) = setup();
    let mut rng = Rng(7);
    for _ in 0..1000 {
        let (ty, _sign, min, max, value, increment) = fuzz_case(&mut rng);
        let overflow = value > max
            || value < min
            || value + increment > max
            || value + increment < min;
        r.r(&["DEL", "bits"]);
        let res1 = r.bitfield(&[
            "bits",
            "OVERFLOW",
            "FAIL",
            "SET",
            &ty,
            "0",
            &value.to_string(),
        ]);
        let res2 = r.bitfield(&[
            "bits",
            "OVERFLOW",
            "FAIL",
            "INCRBY",
            &ty,
            "0",
            &increment.to_string(),
        ]);
        if overflow {
            assert!(
                res1[0].is_none() || res2[0].is_none(),
                "OW not detected where needed: {ty} {value}+{increment}"
            );
        } else {
            assert!(
                res1[0].is_some() && res2[0].is_some(),
                "OW detected where NOT needed: {ty} {value}+{increment}"
            );
        }
    }
}

#[test]
fn bitfield_overflow_wrap_fuzzing() {
    let (_s, mut r) = setup();
    let mut rng = Rng(8);
    for _ in 0..1000 {
        let (ty, sign, min, max, value, increment) = fuzz_case(&mut rng);
        r.r(&["DEL", "bits"]);
        r.bitfield(&[
            "bits",
            "OVERFLOW",
            "WRAP",
            "SET",
            &ty,
            "0",
            &value.to_string(),
        ]);
        r.bitfield(&[
            "bits",
            "OVERFLOW",
            "WRAP",
            "INCRBY",
            &ty,
            "0",
            &increment.to_string(),
        ]);
        let res =
            r.bitfield(&["bits", "GET", &ty, "0"])[0].expect("GET never fails");
        let range = max - min + 1;
        let mut expected = if sign { max + 1 } else { 0 } + value + increment;
        expected = expected.rem_euclid(range);
        if sign {
            expected += min;
        }
        assert_eq!(
            res as i128, expected,
            "WRAP error: {ty} {value}+{increment}"
        );
    }
}

#[test]
fn bitfield_i64_edges() {
    let (_s, mut r) = setup();
    assert_eq!(
        r.bitfield(&["k", "SET", "i64", "0", "-5", "GET", "i64", "0"]),
        [Some(0), Some(-5)]
    );
    assert_eq!(
        r.bitfield(&[
            "k",
            "SET",
            "i64",
            "0",
            "-1",
            "OVERFLOW",
            "FAIL",
            "INCRBY",
            "i64",
            "0",
            "-9223372036854775808"
        ]),
        [Some(-5), None]
    );
    assert_eq!(
        r.bitfield(&[
            "k",
            "OVERFLOW",
            "SAT",
            "INCRBY",
            "i64",
            "0",
            "-9223372036854775808"
        ]),
        [Some(i64::MIN)]
    );
    assert_eq!(
        r.bitfield(&[
            "k",
            "SET",
            "i64",
            "0",
            "9223372036854775807",
            "OVERFLOW",
            "WRAP",
            "INCRBY",
            "i64",
            "0",
            "1"
        ]),
        [Some(i64::MIN), Some(i64::MIN)]
    );
}

#[test]
fn bitfield_regression_for_3221() {
    let (_s, mut r) = setup();
    r.set("bits", b"1");
    assert_eq!(r.bitfield(&["bits", "GET", "u1", "0"]), [Some(0)]);
}

#[test]
fn bitfield_regression_for_3564() {
    let (_s, mut r) = setup();
    for _ in 0..10 {
        r.r(&["DEL", "mystring"]);
        let res = r.bitfield(&[
            "mystring", "SET", "i8", "0", "10", "SET", "i8", "64", "10",
            "INCRBY", "i8", "10", "99900",
        ]);
        assert_eq!(res, [Some(0), Some(0), Some(60)]);
    }
}

#[test]
fn bitfield_errors() {
    let (_s, mut r) = setup();
    let ty = "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n";
    let off = "-ERR bit offset is not an integer or out of range\r\n";
    for t in ["u64", "i65", "x8", "u0", "i", "", "i08"] {
        assert_eq!(r.raw(&["BITFIELD", "k", "GET", t, "0"]), ty, "{t:?}");
    }
    assert_eq!(r.raw(&["BITFIELD", "k", "GET", "u8", "-1"]), off);
    assert_eq!(r.raw(&["BITFIELD", "k", "GET", "u8", "#-1"]), off);
    assert_eq!(r.raw(&["BITFIELD", "k", "GET", "u8", "4294967296"]), off);
    assert_eq!(r.raw(&["BITFIELD", "k", "GET", "u8", "#536870912"]), off);
    assert_eq!(r.raw(&["BITFIELD", "k", "GET", "u8", "x"]), off);
    assert_eq!(r.raw(&["BITFIELD", "k", "GET", "u8"]), "-ERR syntax error\r\n");
    assert_eq!(
        r.raw(&["BITFIELD", "k", "SET", "u8", "0"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        r.raw(&["BITFIELD", "k", "FOO", "u8", "0"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        r.raw(&["BITFIELD", "k", "OVERFLOW", "FOO"]),
        "-ERR Invalid OVERFLOW type specified\r\n"
    );
    assert_eq!(r.raw(&["BITFIELD", "k", "OVERFLOW"]), "-ERR syntax error\r\n");
    assert_eq!(
        r.raw(&["BITFIELD", "k", "SET", "u8", "0", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    // An error anywhere means nothing ran.
    assert_eq!(
        r.raw(&["BITFIELD", "k", "SET", "u8", "0", "1", "GET", "u64", "0"]),
        ty
    );
    assert_eq!(r.int(&["EXISTS", "k"]), 0);
    // No subcommand: an empty reply, the key is not created.
    assert_eq!(r.raw(&["BITFIELD", "k"]), "*0\r\n");
    assert_eq!(r.raw(&["BITFIELD", "k", "GET", "u8", "0"]), "*1\r\n:0\r\n");
    assert_eq!(r.int(&["EXISTS", "k"]), 0);
}

// ------------------------- comparison with the real 5.0 ----------------------

/// Runs the same script on our server and, if `REDIS_C_SERVER` is set, on
/// that binary (a real redis-server 5.0.14), and compares every reply byte
/// for byte. The script avoids i64 BITFIELD fields (see the file header).
#[test]
fn replies_match_redis_5_byte_for_byte() {
    let script: &[&[&str]] = &[
        &["SETBIT", "k", "7", "1"],
        &["SETBIT", "k", "100", "1"],
        &["GETBIT", "k", "100"],
        &["GET", "k"],
        &["SETBIT", "k", "4294967296", "1"],
        &["SETBIT", "k", "1", "5"],
        &["SET", "n", "12345"],
        &["GETBIT", "n", "3"],
        &["SETBIT", "n", "0", "1"],
        &["GET", "n"],
        &["BITCOUNT", "k"],
        &["BITCOUNT", "k", "1", "-1"],
        &["BITCOUNT", "k", "1"],
        &["BITCOUNT", "n", "-100", "100"],
        &["BITPOS", "k", "1"],
        &["BITPOS", "k", "0", "0", "0"],
        &["BITPOS", "k", "1", "3", "1"],
        &["BITPOS", "k", "2"],
        &["BITOP", "AND", "d", "k", "n"],
        &["GET", "d"],
        &["BITOP", "XOR", "d", "k", "nokey", "n"],
        &["GET", "d"],
        &["BITOP", "NOT", "d", "k", "n"],
        &["BITOP", "NOR", "d", "k"],
        &["BITOP", "OR", "d", "nokey"],
        &["EXISTS", "d"],
        &["LPUSH", "l", "a"],
        &["BITOP", "OR", "d", "k", "l"],
        &["BITFIELD", "l", "GET", "u8", "0"],
        &[
            "BITFIELD", "b", "SET", "u8", "#3", "200", "INCRBY", "i5", "100",
            "30", "GET", "u63", "5",
        ],
        &[
            "BITFIELD", "b", "OVERFLOW", "SAT", "INCRBY", "u8", "#3", "100",
            "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "-200",
        ],
        &[
            "BITFIELD", "b", "OVERFLOW", "WRAP", "INCRBY", "i3", "1", "5",
            "GET", "i3", "1",
        ],
        &["GET", "b"],
        &["BITFIELD", "b", "GET", "u64", "0"],
        &["BITFIELD", "b", "GET", "i8", "#-2"],
        &["BITFIELD", "b", "OVERFLOW", "BAD"],
        &["BITFIELD", "b", "SET", "u8", "0"],
        &["BITFIELD", "nokey", "GET", "u8", "0", "GET", "i4", "3"],
        &["EXISTS", "nokey"],
    ];
    let (_s, mut r) = setup();
    let our_replies: Vec<String> =
        script.iter().map(|cmd| r.raw(cmd)).collect();
    for reply in &our_replies {
        assert!(!reply.is_empty());
    }
    let Some(bin) = std::env::var_os("REDIS_C_SERVER") else {
        return;
    };
    let real = Server::start_binary(std::path::Path::new(&bin), &[]);
    let mut r = R::new(&real);
    for (cmd, ours) in script.iter().zip(&our_replies) {
        assert_eq!(&r.raw(cmd), ours, "{cmd:?}");
    }
}
