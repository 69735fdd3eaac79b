//! The list commands (LPUSH, RPUSH, LPUSHX, RPUSHX, LINSERT, LLEN, LINDEX,
//! LSET, LRANGE, LTRIM, LREM, LPOP, RPOP, RPOPLPUSH), paraphrasing Redis
//! 5.0.14's tests/unit/type/list.tcl (the non-blocking half; the blocking
//! half is in tests/blocking.rs), list-2.tcl and list-3.tcl, plus the
//! WRONGTYPE replies of every list command against a string and of the
//! string commands against a list. Error replies are checked byte for byte
//! against what the real 5.0.14 server sends.
//!
//! The Tcl suite runs with `list-max-ziplist-size 5` and a 20-byte "large"
//! value so that lists span several quicklist nodes. oxredis keeps a small
//! list packed in one buffer and moves it to a deque past 8 KiB (the
//! default `list-max-ziplist-size -2`), so the "large" value here is
//! 10,000 bytes: each test that loops over `LARGE` runs once with a packed
//! list and once with a deque one.
//!
//! If `REDIS_C_SERVER` names a real redis-server 5.0.14 binary,
//! `replies_match_redis_5_byte_for_byte` also runs a script against it and
//! compares every reply with ours.

mod util;

use util::{Conn, Reply, Server, WRONGTYPE};

// --------------------------------- helpers ---------------------------------

/// The list helpers of the Tcl suite, on the shared connection.
trait ListHelpers {
    fn lrange(&mut self, key: &str) -> Vec<String>;
    fn assert_quicklist(&mut self, key: &str);
    fn create_list(&mut self, key: &str, entries: &[&str]);
}

impl ListHelpers for Conn {
    fn lrange(&mut self, key: &str) -> Vec<String> {
        self.r(&["LRANGE", key, "0", "-1"]).strs()
    }
    /// `assert_encoding quicklist key`.
    fn assert_quicklist(&mut self, key: &str) {
        assert_eq!(self.s(&["OBJECT", "ENCODING", key]), "quicklist", "{key}");
    }
    /// The Tcl `create_list`: DEL, then one RPUSH per entry.
    fn create_list(&mut self, key: &str, entries: &[&str]) {
        self.r(&["DEL", key]);
        for e in entries {
            self.r(&["RPUSH", key, e]);
        }
        self.assert_quicklist(key);
    }
}

/// A server and a client in DB 9, as the Tcl tests have.
fn setup() -> (Server, Conn) {
    let server = Server::start(&[]);
    let r = Conn::db9(&server);
    (server, r)
}

/// The "large" values of list-common.tcl: ("ziplist", small) and
/// ("linkedlist", large enough to leave the packed shape).
fn large_values() -> [(&'static str, String); 2] {
    [("ziplist", "hello".to_string()), ("linkedlist", "hello".repeat(2000))]
}

// --------------------------------- list.tcl ---------------------------------

#[test]
fn lpush_rpush_llength_lindex_lpop_ziplist() {
    let (_s, mut r) = setup();
    // first lpush then rpush
    assert_eq!(r.int(&["LPUSH", "myziplist1", "aa"]), 1);
    assert_eq!(r.int(&["RPUSH", "myziplist1", "bb"]), 2);
    assert_eq!(r.int(&["RPUSH", "myziplist1", "cc"]), 3);
    assert_eq!(r.int(&["LLEN", "myziplist1"]), 3);
    assert_eq!(r.s(&["LINDEX", "myziplist1", "0"]), "aa");
    assert_eq!(r.s(&["LINDEX", "myziplist1", "1"]), "bb");
    assert_eq!(r.s(&["LINDEX", "myziplist1", "2"]), "cc");
    assert_eq!(r.raw(&["LINDEX", "myziplist2", "3"]), "$-1\r\n");
    assert_eq!(r.s(&["RPOP", "myziplist1"]), "cc");
    assert_eq!(r.s(&["LPOP", "myziplist1"]), "aa");
    r.assert_quicklist("myziplist1");

    // first rpush then lpush
    assert_eq!(r.int(&["RPUSH", "myziplist2", "a"]), 1);
    assert_eq!(r.int(&["LPUSH", "myziplist2", "b"]), 2);
    assert_eq!(r.int(&["LPUSH", "myziplist2", "c"]), 3);
    assert_eq!(r.int(&["LLEN", "myziplist2"]), 3);
    assert_eq!(r.s(&["LINDEX", "myziplist2", "0"]), "c");
    assert_eq!(r.s(&["LINDEX", "myziplist2", "1"]), "b");
    assert_eq!(r.s(&["LINDEX", "myziplist2", "2"]), "a");
    assert_eq!(r.raw(&["LINDEX", "myziplist2", "3"]), "$-1\r\n");
    assert_eq!(r.s(&["RPOP", "myziplist2"]), "a");
    assert_eq!(r.s(&["LPOP", "myziplist2"]), "c");
    r.assert_quicklist("myziplist2");
}

#[test]
fn lpush_rpush_llength_lindex_lpop_regular_list() {
    let (_s, mut r) = setup();
    let large = "hello".repeat(2000);
    // first lpush then rpush
    assert_eq!(r.int(&["LPUSH", "mylist1", &large]), 1);
    r.assert_quicklist("mylist1");
    assert_eq!(r.int(&["RPUSH", "mylist1", "b"]), 2);
    assert_eq!(r.int(&["RPUSH", "mylist1", "c"]), 3);
    assert_eq!(r.int(&["LLEN", "mylist1"]), 3);
    assert_eq!(r.s(&["LINDEX", "mylist1", "0"]), large);
    assert_eq!(r.s(&["LINDEX", "mylist1", "1"]), "b");
    assert_eq!(r.s(&["LINDEX", "mylist1", "2"]), "c");
    assert_eq!(r.raw(&["LINDEX", "mylist1", "3"]), "$-1\r\n");
    assert_eq!(r.s(&["RPOP", "mylist1"]), "c");
    assert_eq!(r.s(&["LPOP", "mylist1"]), large);

    // first rpush then lpush
    assert_eq!(r.int(&["RPUSH", "mylist2", &large]), 1);
    r.assert_quicklist("mylist2");
    assert_eq!(r.int(&["LPUSH", "mylist2", "b"]), 2);
    assert_eq!(r.int(&["LPUSH", "mylist2", "c"]), 3);
    assert_eq!(r.int(&["LLEN", "mylist2"]), 3);
    assert_eq!(r.s(&["LINDEX", "mylist2", "0"]), "c");
    assert_eq!(r.s(&["LINDEX", "mylist2", "1"]), "b");
    assert_eq!(r.s(&["LINDEX", "mylist2", "2"]), large);
    assert_eq!(r.raw(&["LINDEX", "mylist2", "3"]), "$-1\r\n");
    assert_eq!(r.s(&["RPOP", "mylist2"]), large);
    assert_eq!(r.s(&["LPOP", "mylist2"]), "c");
}

#[test]
fn r_lpop_against_empty_list() {
    let (_s, mut r) = setup();
    assert_eq!(r.raw(&["LPOP", "non-existing-list"]), "$-1\r\n");
    assert_eq!(r.raw(&["RPOP", "non-existing-list"]), "$-1\r\n");
}

#[test]
fn variadic_rpush_lpush() {
    let (_s, mut r) = setup();
    r.r(&["DEL", "mylist"]);
    assert_eq!(r.int(&["LPUSH", "mylist", "a", "b", "c", "d"]), 4);
    assert_eq!(r.int(&["RPUSH", "mylist", "0", "1", "2", "3"]), 8);
    assert_eq!(r.lrange("mylist"), ["d", "c", "b", "a", "0", "1", "2", "3"]);
}

#[test]
fn del_a_list() {
    let (_s, mut r) = setup();
    r.r(&["RPUSH", "mylist2", "a", "b"]);
    assert_eq!(r.int(&["DEL", "mylist2"]), 1);
    assert_eq!(r.int(&["EXISTS", "mylist2"]), 0);
    assert_eq!(r.int(&["LLEN", "mylist2"]), 0);
}

#[test]
fn lpushx_rpushx_generic() {
    let (_s, mut r) = setup();
    r.r(&["DEL", "xlist"]);
    assert_eq!(r.int(&["LPUSHX", "xlist", "a"]), 0);
    assert_eq!(r.int(&["LLEN", "xlist"]), 0);
    assert_eq!(r.int(&["RPUSHX", "xlist", "a"]), 0);
    assert_eq!(r.int(&["LLEN", "xlist"]), 0);
    assert_eq!(r.int(&["EXISTS", "xlist"]), 0);
}

#[test]
fn lpushx_rpushx_per_type() {
    let (_s, mut r) = setup();
    for (_type, large) in large_values() {
        r.create_list("xlist", &[&large, "c"]);
        assert_eq!(r.int(&["RPUSHX", "xlist", "d"]), 3);
        assert_eq!(r.int(&["LPUSHX", "xlist", "a"]), 4);
        assert_eq!(r.int(&["RPUSHX", "xlist", "42", "x"]), 6);
        assert_eq!(r.int(&["LPUSHX", "xlist", "y3", "y2", "y1"]), 9);
        assert_eq!(
            r.lrange("xlist"),
            ["y1", "y2", "y3", "a", &large, "c", "d", "42", "x"]
        );
    }
}

#[test]
fn linsert_per_type() {
    let (_s, mut r) = setup();
    for (_type, large) in large_values() {
        r.create_list("xlist", &["a", &large, "c", "d"]);
        assert_eq!(
            r.int(&["LINSERT", "xlist", "before", "c", "zz"]),
            5,
            "before c"
        );
        assert_eq!(
            r.r(&["LRANGE", "xlist", "0", "10"]).strs(),
            ["a", &large, "zz", "c", "d"]
        );
        assert_eq!(
            r.int(&["LINSERT", "xlist", "after", "c", "yy"]),
            6,
            "after c"
        );
        assert_eq!(
            r.r(&["LRANGE", "xlist", "0", "10"]).strs(),
            ["a", &large, "zz", "c", "yy", "d"]
        );
        assert_eq!(
            r.int(&["LINSERT", "xlist", "after", "d", "dd"]),
            7,
            "after d"
        );
        assert_eq!(
            r.raw(&["LINSERT", "xlist", "after", "bad", "ddd"]),
            ":-1\r\n",
            "after bad"
        );
        assert_eq!(
            r.r(&["LRANGE", "xlist", "0", "10"]).strs(),
            ["a", &large, "zz", "c", "yy", "d", "dd"]
        );
        assert_eq!(
            r.int(&["LINSERT", "xlist", "BEFORE", "a", "aa"]),
            8,
            "before a"
        );
        assert_eq!(
            r.raw(&["LINSERT", "xlist", "before", "bad", "aaa"]),
            ":-1\r\n",
            "before bad"
        );
        assert_eq!(
            r.r(&["LRANGE", "xlist", "0", "10"]).strs(),
            ["aa", "a", &large, "zz", "c", "yy", "d", "dd"]
        );

        // check inserting integer encoded value
        assert_eq!(
            r.int(&["LINSERT", "xlist", "before", "aa", "42"]),
            9,
            "before aa"
        );
        assert_eq!(r.r(&["LRANGE", "xlist", "0", "0"]).strs(), ["42"]);
    }
}

#[test]
fn linsert_raise_error_on_bad_syntax() {
    let (_s, mut r) = setup();
    r.r(&["RPUSH", "xlist", "a"]);
    assert_eq!(
        r.raw(&["LINSERT", "xlist", "aft3r", "aa", "42"]),
        "-ERR syntax error\r\n"
    );
    // The syntax is checked before the key: a missing key gives the error
    // too.
    assert_eq!(
        r.raw(&["LINSERT", "nokey", "aft3r", "aa", "42"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(r.raw(&["LINSERT", "nokey", "after", "aa", "42"]), ":0\r\n");
    assert_eq!(r.int(&["EXISTS", "nokey"]), 0);
}

/// The Tcl `check_numbered_list_consistency` and
/// `check_random_access_consistency`.
fn check_numbered_list_consistency(r: &mut Conn, key: &str) {
    let len = r.int(&["LLEN", key]);
    for i in 0..len {
        assert_eq!(r.s(&["LINDEX", key, &i.to_string()]), i.to_string());
        assert_eq!(
            r.s(&["LINDEX", key, &(-i - 1).to_string()]),
            (len - 1 - i).to_string()
        );
    }
}

#[test]
fn lindex_consistency_test_and_random_access() {
    let (_s, mut r) = setup();
    // 250 entries stay packed (~1 KiB); 5000 entries leave the packed shape.
    for num in [250i64, 5000] {
        r.r(&["DEL", "mylist"]);
        for i in 0..num {
            r.r(&["RPUSH", "mylist", &i.to_string()]);
        }
        r.assert_quicklist("mylist");
        check_numbered_list_consistency(&mut r, "mylist");
        // Random access, with a small deterministic generator.
        let mut seed = 12345u64;
        for _ in 0..200 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let rint = ((seed >> 33) % num as u64) as i64;
            assert_eq!(
                r.s(&["LINDEX", "mylist", &rint.to_string()]),
                rint.to_string()
            );
            assert_eq!(
                r.s(&["LINDEX", "mylist", &(-rint - 1).to_string()]),
                (num - 1 - rint).to_string()
            );
        }
    }
}

#[test]
fn llen_against_non_list_value_error() {
    let (_s, mut r) = setup();
    r.r(&["DEL", "mylist"]);
    r.r(&["SET", "mylist", "foobar"]);
    assert_eq!(r.raw(&["LLEN", "mylist"]), WRONGTYPE);
}

#[test]
fn llen_against_non_existing_key() {
    let (_s, mut r) = setup();
    assert_eq!(r.raw(&["LLEN", "not-a-key"]), ":0\r\n");
}

#[test]
fn lindex_against_non_list_value_error_and_non_existing_key() {
    let (_s, mut r) = setup();
    r.r(&["SET", "mylist", "foobar"]);
    assert_eq!(r.raw(&["LINDEX", "mylist", "0"]), WRONGTYPE);
    assert_eq!(r.raw(&["LINDEX", "not-a-key", "10"]), "$-1\r\n");
    // The index is parsed after the key lookup, as in C.
    assert_eq!(r.raw(&["LINDEX", "not-a-key", "x"]), "$-1\r\n");
    r.r(&["RPUSH", "l", "a"]);
    assert_eq!(
        r.raw(&["LINDEX", "l", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
}

#[test]
fn lpush_rpush_against_non_list_value_error() {
    let (_s, mut r) = setup();
    r.r(&["SET", "mylist", "foobar"]);
    assert_eq!(r.raw(&["LPUSH", "mylist", "0"]), WRONGTYPE);
    assert_eq!(r.raw(&["RPUSH", "mylist", "0"]), WRONGTYPE);
    assert_eq!(r.s(&["GET", "mylist"]), "foobar");
}

#[test]
fn rpoplpush_base_case_and_same_list() {
    let (_s, mut r) = setup();
    for (_type, large) in large_values() {
        r.r(&["DEL", "mylist1", "mylist2"]);
        r.create_list("mylist1", &["a", &large, "c", "d"]);
        assert_eq!(r.s(&["RPOPLPUSH", "mylist1", "mylist2"]), "d");
        assert_eq!(r.s(&["RPOPLPUSH", "mylist1", "mylist2"]), "c");
        assert_eq!(r.lrange("mylist1"), ["a", &large]);
        assert_eq!(r.lrange("mylist2"), ["c", "d"]);
        r.assert_quicklist("mylist2");

        // RPOPLPUSH with the same list as src and dst
        r.create_list("mylist", &["a", &large, "c"]);
        assert_eq!(r.lrange("mylist"), ["a", &large, "c"]);
        assert_eq!(r.s(&["RPOPLPUSH", "mylist", "mylist"]), "c");
        assert_eq!(r.lrange("mylist"), ["c", "a", &large]);
    }
}

#[test]
fn rpoplpush_with_source_and_existing_target_of_each_type() {
    let (_s, mut r) = setup();
    for (_type, large) in large_values() {
        for (_othertype, otherlarge) in large_values() {
            r.create_list("srclist", &["a", "b", "c", &large]);
            r.create_list("dstlist", &[&otherlarge]);
            assert_eq!(r.s(&["RPOPLPUSH", "srclist", "dstlist"]), large);
            assert_eq!(r.s(&["RPOPLPUSH", "srclist", "dstlist"]), "c");
            assert_eq!(r.lrange("srclist"), ["a", "b"]);
            assert_eq!(r.lrange("dstlist"), ["c", &large, &otherlarge]);
        }
    }
}

#[test]
fn rpoplpush_against_non_existing_key() {
    let (_s, mut r) = setup();
    r.r(&["DEL", "srclist", "dstlist"]);
    assert_eq!(r.raw(&["RPOPLPUSH", "srclist", "dstlist"]), "$-1\r\n");
    assert_eq!(r.int(&["EXISTS", "srclist"]), 0);
    assert_eq!(r.int(&["EXISTS", "dstlist"]), 0);
}

#[test]
fn rpoplpush_against_non_list_src_key() {
    let (_s, mut r) = setup();
    r.r(&["DEL", "srclist", "dstlist"]);
    r.r(&["SET", "srclist", "x"]);
    assert_eq!(r.raw(&["RPOPLPUSH", "srclist", "dstlist"]), WRONGTYPE);
    assert_eq!(r.s(&["TYPE", "srclist"]), "string");
    assert_eq!(r.int(&["EXISTS", "newlist"]), 0);
}

#[test]
fn rpoplpush_against_non_list_dst_key() {
    let (_s, mut r) = setup();
    r.create_list("srclist", &["a", "b", "c", "d"]);
    r.r(&["SET", "dstlist", "x"]);
    assert_eq!(r.raw(&["RPOPLPUSH", "srclist", "dstlist"]), WRONGTYPE);
    assert_eq!(r.s(&["TYPE", "dstlist"]), "string");
    assert_eq!(r.lrange("srclist"), ["a", "b", "c", "d"]);
}

#[test]
fn rpoplpush_last_element_deletes_the_source() {
    let (_s, mut r) = setup();
    r.create_list("srclist", &["only"]);
    assert_eq!(r.s(&["RPOPLPUSH", "srclist", "dstlist"]), "only");
    assert_eq!(r.int(&["EXISTS", "srclist"]), 0);
    assert_eq!(r.lrange("dstlist"), ["only"]);
    // Same key with one element: rotates onto itself and stays.
    assert_eq!(r.s(&["RPOPLPUSH", "dstlist", "dstlist"]), "only");
    assert_eq!(r.lrange("dstlist"), ["only"]);
}

#[test]
fn basic_lpop_rpop() {
    let (_s, mut r) = setup();
    for (_type, large) in large_values() {
        r.create_list("mylist", &[&large, "1", "2"]);
        assert_eq!(r.s(&["LPOP", "mylist"]), large);
        assert_eq!(r.s(&["RPOP", "mylist"]), "2");
        assert_eq!(r.s(&["LPOP", "mylist"]), "1");
        assert_eq!(r.int(&["LLEN", "mylist"]), 0);
        // The emptied list is deleted.
        assert_eq!(r.int(&["EXISTS", "mylist"]), 0);

        // pop on empty list
        assert_eq!(r.raw(&["LPOP", "mylist"]), "$-1\r\n");
        assert_eq!(r.raw(&["RPOP", "mylist"]), "$-1\r\n");
    }
}

#[test]
fn lpop_rpop_against_non_list_value() {
    let (_s, mut r) = setup();
    r.r(&["SET", "notalist", "foo"]);
    assert_eq!(r.raw(&["LPOP", "notalist"]), WRONGTYPE);
    assert_eq!(r.raw(&["RPOP", "notalist"]), WRONGTYPE);
}

#[test]
fn mass_rpop_lpop() {
    let (_s, mut r) = setup();
    for num in [250i64, 5000] {
        r.r(&["DEL", "mylist"]);
        let mut sum1 = 0;
        for i in 0..num {
            r.r(&["LPUSH", "mylist", &i.to_string()]);
            sum1 += i;
        }
        r.assert_quicklist("mylist");
        let mut sum2 = 0;
        for _ in 0..num / 2 {
            sum2 += r.s(&["LPOP", "mylist"]).parse::<i64>().unwrap();
            sum2 += r.s(&["RPOP", "mylist"]).parse::<i64>().unwrap();
        }
        assert_eq!(sum1, sum2);
    }
}

#[test]
fn lrange_basics_inverted_and_out_of_range() {
    let (_s, mut r) = setup();
    for (_type, large) in large_values() {
        r.create_list(
            "mylist",
            &[&large, "1", "2", "3", "4", "5", "6", "7", "8", "9"],
        );
        assert_eq!(
            r.r(&["LRANGE", "mylist", "1", "-2"]).strs(),
            ["1", "2", "3", "4", "5", "6", "7", "8"]
        );
        assert_eq!(
            r.r(&["LRANGE", "mylist", "-3", "-1"]).strs(),
            ["7", "8", "9"]
        );
        assert_eq!(r.r(&["LRANGE", "mylist", "4", "4"]).strs(), ["4"]);
        // LRANGE inverted indexes
        assert_eq!(r.raw(&["LRANGE", "mylist", "6", "2"]), "*0\r\n");

        // LRANGE out of range indexes including the full list
        r.create_list("mylist", &[&large, "1", "2", "3"]);
        assert_eq!(
            r.r(&["LRANGE", "mylist", "-1000", "1000"]).strs(),
            [large.as_str(), "1", "2", "3"]
        );
        // LRANGE out of range negative end index
        assert_eq!(
            r.r(&["LRANGE", "mylist", "0", "-4"]).strs(),
            [large.as_str()]
        );
        assert_eq!(r.raw(&["LRANGE", "mylist", "0", "-5"]), "*0\r\n");
        assert_eq!(r.raw(&["LRANGE", "mylist", "4", "10"]), "*0\r\n");
    }
}

#[test]
fn lrange_against_non_existing_key_and_errors() {
    let (_s, mut r) = setup();
    assert_eq!(r.raw(&["LRANGE", "nosuchkey", "0", "1"]), "*0\r\n");
    // The indexes are parsed before the key lookup.
    let notint = "-ERR value is not an integer or out of range\r\n";
    assert_eq!(r.raw(&["LRANGE", "nosuchkey", "x", "1"]), notint);
    assert_eq!(r.raw(&["LRANGE", "nosuchkey", "0", "1.5"]), notint);
    r.r(&["SET", "str", "x"]);
    assert_eq!(r.raw(&["LRANGE", "str", "0", "1"]), WRONGTYPE);
}

/// The Tcl `trim_list`.
fn trim_list(r: &mut Conn, large: &str, min: &str, max: &str) -> Vec<String> {
    r.r(&["DEL", "mylist"]);
    r.create_list("mylist", &["1", "2", "3", "4", large]);
    assert_eq!(r.raw(&["LTRIM", "mylist", min, max]), "+OK\r\n");
    r.lrange("mylist")
}

#[test]
fn ltrim_basics_and_out_of_range_negative_end_index() {
    let (_s, mut r) = setup();
    for (_type, large) in large_values() {
        let l = large.as_str();
        assert_eq!(trim_list(&mut r, l, "0", "0"), ["1"]);
        assert_eq!(trim_list(&mut r, l, "0", "1"), ["1", "2"]);
        assert_eq!(trim_list(&mut r, l, "0", "2"), ["1", "2", "3"]);
        assert_eq!(trim_list(&mut r, l, "1", "2"), ["2", "3"]);
        assert_eq!(trim_list(&mut r, l, "1", "-1"), ["2", "3", "4", l]);
        assert_eq!(trim_list(&mut r, l, "1", "-2"), ["2", "3", "4"]);
        assert_eq!(trim_list(&mut r, l, "-2", "-1"), ["4", l]);
        assert_eq!(trim_list(&mut r, l, "-1", "-1"), [l]);
        assert_eq!(trim_list(&mut r, l, "-5", "-1"), ["1", "2", "3", "4", l]);
        assert_eq!(trim_list(&mut r, l, "-10", "10"), ["1", "2", "3", "4", l]);
        assert_eq!(trim_list(&mut r, l, "0", "5"), ["1", "2", "3", "4", l]);
        assert_eq!(trim_list(&mut r, l, "0", "10"), ["1", "2", "3", "4", l]);
        // LTRIM out of range negative end index
        assert_eq!(trim_list(&mut r, l, "0", "-5"), ["1"]);
        assert!(trim_list(&mut r, l, "0", "-6").is_empty());
        // An emptied list is deleted.
        assert_eq!(r.int(&["EXISTS", "mylist"]), 0);
    }
}

#[test]
fn ltrim_against_missing_key_and_errors() {
    let (_s, mut r) = setup();
    assert_eq!(r.raw(&["LTRIM", "nokey", "0", "1"]), "+OK\r\n");
    assert_eq!(r.int(&["EXISTS", "nokey"]), 0);
    assert_eq!(
        r.raw(&["LTRIM", "nokey", "x", "1"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    r.r(&["SET", "str", "x"]);
    assert_eq!(r.raw(&["LTRIM", "str", "0", "1"]), WRONGTYPE);
}

#[test]
fn lset_and_lset_out_of_range_index() {
    let (_s, mut r) = setup();
    for (_type, large) in large_values() {
        r.create_list("mylist", &["99", "98", &large, "96", "95"]);
        assert_eq!(r.raw(&["LSET", "mylist", "1", "foo"]), "+OK\r\n");
        assert_eq!(r.raw(&["LSET", "mylist", "-1", "bar"]), "+OK\r\n");
        assert_eq!(r.lrange("mylist"), ["99", "foo", &large, "96", "bar"]);
        // LSET out of range index
        assert_eq!(
            r.raw(&["LSET", "mylist", "10", "foo"]),
            "-ERR index out of range\r\n"
        );
        assert_eq!(
            r.raw(&["LSET", "mylist", "-6", "foo"]),
            "-ERR index out of range\r\n"
        );
        assert_eq!(
            r.raw(&["LSET", "mylist", "x", "foo"]),
            "-ERR value is not an integer or out of range\r\n"
        );
    }
}

#[test]
fn lset_against_non_existing_key_and_non_list_value() {
    let (_s, mut r) = setup();
    assert_eq!(
        r.raw(&["LSET", "nosuchkey", "10", "foo"]),
        "-ERR no such key\r\n"
    );
    // The key is looked up before the index is parsed.
    assert_eq!(
        r.raw(&["LSET", "nosuchkey", "x", "foo"]),
        "-ERR no such key\r\n"
    );
    r.r(&["SET", "nolist", "foobar"]);
    assert_eq!(r.raw(&["LSET", "nolist", "0", "foo"]), WRONGTYPE);
}

#[test]
fn lrem_per_type() {
    let (_s, mut r) = setup();
    for (_type, e) in large_values() {
        let e = e.as_str();
        // LREM remove all the occurrences
        r.create_list(
            "mylist",
            &[
                e, "foo", "bar", "foobar", "foobared", "zap", "bar", "test",
                "foo",
            ],
        );
        assert_eq!(r.int(&["LREM", "mylist", "0", "bar"]), 2);
        assert_eq!(
            r.lrange("mylist"),
            [e, "foo", "foobar", "foobared", "zap", "test", "foo"]
        );
        // LREM remove the first occurrence
        assert_eq!(r.int(&["LREM", "mylist", "1", "foo"]), 1);
        assert_eq!(
            r.lrange("mylist"),
            [e, "foobar", "foobared", "zap", "test", "foo"]
        );
        // LREM remove non existing element
        assert_eq!(r.int(&["LREM", "mylist", "1", "nosuchelement"]), 0);
        assert_eq!(
            r.lrange("mylist"),
            [e, "foobar", "foobared", "zap", "test", "foo"]
        );

        // LREM starting from tail with negative count
        r.create_list(
            "mylist",
            &[
                e, "foo", "bar", "foobar", "foobared", "zap", "bar", "test",
                "foo", "foo",
            ],
        );
        assert_eq!(r.int(&["LREM", "mylist", "-1", "bar"]), 1);
        assert_eq!(
            r.lrange("mylist"),
            [
                e, "foo", "bar", "foobar", "foobared", "zap", "test", "foo",
                "foo"
            ]
        );
        // LREM starting from tail with negative count (2)
        assert_eq!(r.int(&["LREM", "mylist", "-2", "foo"]), 2);
        assert_eq!(
            r.lrange("mylist"),
            [e, "foo", "bar", "foobar", "foobared", "zap", "test"]
        );

        // LREM deleting objects that may be int encoded
        r.create_list("myotherlist", &[e, "1", "2", "3"]);
        assert_eq!(r.int(&["LREM", "myotherlist", "1", "2"]), 1);
        assert_eq!(r.int(&["LLEN", "myotherlist"]), 3);
    }
}

#[test]
fn lrem_errors_and_emptied_list() {
    let (_s, mut r) = setup();
    assert_eq!(r.raw(&["LREM", "nokey", "0", "a"]), ":0\r\n");
    assert_eq!(
        r.raw(&["LREM", "nokey", "x", "a"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    r.r(&["SET", "str", "x"]);
    assert_eq!(r.raw(&["LREM", "str", "0", "a"]), WRONGTYPE);
    r.r(&["RPUSH", "l", "a", "a"]);
    assert_eq!(r.int(&["LREM", "l", "0", "a"]), 2);
    assert_eq!(r.int(&["EXISTS", "l"]), 0);
}

#[test]
fn every_list_command_against_a_string_is_wrongtype() {
    let (_s, mut r) = setup();
    r.r(&["SET", "s", "v"]);
    r.r(&["RPUSH", "l", "a"]);
    let cmds: &[&[&str]] = &[
        &["LPUSH", "s", "a"],
        &["RPUSH", "s", "a"],
        &["LPUSHX", "s", "a"],
        &["RPUSHX", "s", "a"],
        &["LINSERT", "s", "before", "a", "b"],
        &["LLEN", "s"],
        &["LINDEX", "s", "0"],
        &["LSET", "s", "0", "a"],
        &["LRANGE", "s", "0", "-1"],
        &["LTRIM", "s", "0", "-1"],
        &["LREM", "s", "0", "a"],
        &["LPOP", "s"],
        &["RPOP", "s"],
        &["RPOPLPUSH", "s", "l"],
        &["RPOPLPUSH", "l", "s"],
        &["BLPOP", "s", "0"],
        &["BRPOP", "s", "0"],
        &["BRPOPLPUSH", "s", "l", "0"],
        &["BRPOPLPUSH", "l", "s", "0"],
    ];
    for cmd in cmds {
        assert_eq!(r.raw(cmd), WRONGTYPE, "{cmd:?}");
    }
    // Nothing changed.
    assert_eq!(r.s(&["GET", "s"]), "v");
    assert_eq!(r.lrange("l"), ["a"]);
}

#[test]
fn every_string_command_against_a_list_is_wrongtype() {
    let (_s, mut r) = setup();
    r.r(&["RPUSH", "l", "a", "b"]);
    let cmds: &[&[&str]] = &[
        &["GET", "l"],
        &["GETSET", "l", "x"],
        &["APPEND", "l", "x"],
        &["STRLEN", "l"],
        &["INCR", "l"],
        &["DECR", "l"],
        &["INCRBY", "l", "2"],
        &["DECRBY", "l", "2"],
        &["INCRBYFLOAT", "l", "1.5"],
        &["SETRANGE", "l", "0", "x"],
        &["GETRANGE", "l", "0", "1"],
    ];
    for cmd in cmds {
        assert_eq!(r.raw(cmd), WRONGTYPE, "{cmd:?}");
    }
    // MGET answers nil for a non-string, as in C.
    assert_eq!(r.raw(&["MGET", "l"]), "*1\r\n$-1\r\n");
    assert_eq!(r.s(&["TYPE", "l"]), "list");
    assert_eq!(r.lrange("l"), ["a", "b"]);
}

#[test]
fn list_commands_arity_errors() {
    let (_s, mut r) = setup();
    for (cmd, args) in [
        ("lpush", &["LPUSH", "l"][..]),
        ("rpush", &["RPUSH", "l"]),
        ("lpushx", &["LPUSHX", "l"]),
        ("rpushx", &["RPUSHX", "l"]),
        ("linsert", &["LINSERT", "l", "before", "a"]),
        ("llen", &["LLEN"]),
        ("lindex", &["LINDEX", "l"]),
        ("lset", &["LSET", "l", "0"]),
        ("lrange", &["LRANGE", "l", "0"]),
        ("ltrim", &["LTRIM", "l", "0"]),
        ("lrem", &["LREM", "l", "0"]),
        ("lpop", &["LPOP"]),
        ("rpop", &["RPOP", "l", "x"]),
        ("rpoplpush", &["RPOPLPUSH", "l"]),
        ("blpop", &["BLPOP", "l"]),
        ("brpop", &["BRPOP", "l"]),
        ("brpoplpush", &["BRPOPLPUSH", "l", "m"]),
    ] {
        assert_eq!(
            r.raw(args),
            format!("-ERR wrong number of arguments for '{cmd}' command\r\n")
        );
    }
}

#[test]
fn list_writes_count_as_changes_and_reach_the_keyspace() {
    let (_s, mut r) = setup();
    // A list is a list for TYPE and OBJECT, and DEL/EXISTS see it.
    r.r(&["RPUSH", "l", "a"]);
    assert_eq!(r.s(&["TYPE", "l"]), "list");
    assert_eq!(r.raw(&["OBJECT", "ENCODING", "l"]), "$9\r\nquicklist\r\n");
    // RENAME moves the whole list.
    assert_eq!(r.raw(&["RENAME", "l", "m"]), "+OK\r\n");
    assert_eq!(r.lrange("m"), ["a"]);
    // Lists expire like any key.
    assert_eq!(r.int(&["PEXPIRE", "m", "1"]), 1);
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(r.raw(&["LLEN", "m"]), ":0\r\n");
    assert_eq!(r.raw(&["LPOP", "m"]), "$-1\r\n");
}

// ------------------------------- list-2/3.tcl -------------------------------

/// A tiny deterministic generator for the stress tests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// A value like the Tcl suite's: small ints, big ints, short and long
    /// strings.
    fn value(&mut self) -> String {
        match self.below(4) {
            0 => self.below(100).to_string(),
            1 => (self.next() as i64 * 1_000_003).to_string(),
            2 => format!("s{}", self.below(1000)),
            _ => "x".repeat(100 + self.below(400) as usize),
        }
    }
}

#[test]
fn ltrim_stress_testing() {
    let (_s, mut r) = setup();
    for (_type, large) in large_values() {
        let startlen = 32;
        let mut rng = Rng(7);
        let mut mylist: Vec<String> = vec![large.clone()];
        r.r(&["DEL", "mylist"]);
        r.r(&["RPUSH", "mylist", &large]);
        for _ in 0..startlen {
            let v = rng.next().to_string();
            r.r(&["RPUSH", "mylist", &v]);
            mylist.push(v);
        }
        for _ in 0..200 {
            let min = rng.below(startlen) as usize;
            let max = min + rng.below(startlen) as usize;
            let end = (max + 1).min(mylist.len());
            mylist =
                if min < end { mylist[min..end].to_vec() } else { Vec::new() };
            r.r(&["LTRIM", "mylist", &min.to_string(), &max.to_string()]);
            assert_eq!(r.lrange("mylist"), mylist, "failed trim");
            for _ in mylist.len()..startlen as usize {
                let v = rng.next().to_string();
                r.r(&["RPUSH", "mylist", &v]);
                mylist.push(v);
            }
            assert_eq!(r.lrange("mylist"), mylist, "failed append match");
        }
    }
}

#[test]
fn list_implementation_value_encoding_and_backlink() {
    // list-3.tcl: random values pushed from both ends, then read back by
    // index from both ends; here checked against a model, across inserts,
    // sets and removals, so the packed shape and the switch to the deque
    // one are walked in both directions.
    let (_s, mut r) = setup();
    let mut rng = Rng(42);
    for round in 0..8 {
        let mut model: std::collections::VecDeque<String> = Default::default();
        r.r(&["DEL", "l"]);
        let n = 20 + rng.below(if round % 2 == 0 { 60 } else { 400 });
        for _ in 0..n {
            let v = rng.value();
            if rng.below(2) == 0 {
                r.r(&["LPUSH", "l", &v]);
                model.push_front(v);
            } else {
                r.r(&["RPUSH", "l", &v]);
                model.push_back(v);
            }
            if rng.below(10) == 0 {
                let i = rng.below(model.len() as u64) as usize;
                let v = rng.value();
                assert_eq!(
                    r.raw(&["LSET", "l", &i.to_string(), &v]),
                    "+OK\r\n"
                );
                model[i] = v;
            }
            if rng.below(10) == 0 {
                let pivot =
                    model[rng.below(model.len() as u64) as usize].clone();
                let v = rng.value();
                let pos = model.iter().position(|e| *e == pivot).unwrap();
                r.r(&["LINSERT", "l", "AFTER", &pivot, &v]);
                model.insert(pos + 1, v);
            }
        }
        assert_eq!(r.int(&["LLEN", "l"]), model.len() as i64);
        assert_eq!(r.lrange("l"), Vec::from(model.clone()));
        let len = model.len() as i64;
        for i in 0..len {
            assert_eq!(
                r.s(&["LINDEX", "l", &i.to_string()]),
                model[i as usize]
            );
            assert_eq!(
                r.s(&["LINDEX", "l", &(-i - 1).to_string()]),
                model[(len - 1 - i) as usize]
            );
        }
        // Remove some values from the tail side, then pop everything.
        let victim = model[rng.below(model.len() as u64) as usize].clone();
        let removed = r.int(&["LREM", "l", "-1", &victim]);
        assert_eq!(removed, 1);
        let pos = model.iter().rposition(|e| *e == victim).unwrap();
        model.remove(pos);
        while let Some(front) = model.pop_front() {
            assert_eq!(r.s(&["LPOP", "l"]), front);
            if let Some(back) = model.pop_back() {
                assert_eq!(r.s(&["RPOP", "l"]), back);
            }
        }
        assert_eq!(r.int(&["EXISTS", "l"]), 0);
    }
}

#[test]
fn explicit_regression_for_a_list_bug() {
    // list-3.tcl: two awkward values pushed and read back.
    let (_s, mut r) = setup();
    let mylist = [
        "49376042582",
        "BkG2o\\pIC]4YYJa9cJ4GWZalG[4tin;1D2whSkCOW`mX;SFXGyS8sedcff3fQI^tgPCC@^Nu1J6o]meM@Lko]t_jRyo<xSJ1oObDYd`ppZuW6P@fS278YaOx=s6lvdFlMbP0[SbkI^Kr\\HBXtuFaA^mDx:yzS4a[skiiPWhT<nNfAf=aQVfclcuwDrfe;iVuKdNvB9kbfq>tK?tH[\\EvWqS]b`o2OCtjg:?nUTwdjpcUm]y:pg5q24q7LlCOwQE^",
    ];
    r.r(&["DEL", "l"]);
    r.r(&["RPUSH", "l", mylist[0]]);
    r.r(&["RPUSH", "l", mylist[1]]);
    assert_eq!(r.s(&["LINDEX", "l", "0"]), mylist[0]);
    assert_eq!(r.s(&["LINDEX", "l", "1"]), mylist[1]);
}

#[test]
fn regression_for_quicklist_3343_bug() {
    let (_s, mut r) = setup();
    r.r(&["DEL", "mylist"]);
    r.r(&["LPUSH", "mylist", "401"]);
    r.r(&["LPUSH", "mylist", "392"]);
    r.r(&["RPUSH", "mylist", &format!("{}799", "x".repeat(5105))]);
    r.r(&["LSET", "mylist", "-1", &format!("{}702", "x".repeat(1014))]);
    r.r(&["LPOP", "mylist"]);
    r.r(&["LSET", "mylist", "-1", &format!("{}852", "x".repeat(4149))]);
    r.r(&[
        "LINSERT",
        "mylist",
        "before",
        "401",
        &format!("{}12", "x".repeat(9927)),
    ]);
    let all = r.lrange("mylist");
    // It's enough if the server is still alive; check the content too.
    assert_eq!(r.raw(&["PING"]), "+PONG\r\n");
    assert_eq!(
        all,
        [
            format!("{}12", "x".repeat(9927)),
            "401".to_string(),
            format!("{}852", "x".repeat(4149))
        ]
    );
}

#[test]
fn stress_tester_for_3343_alike_bugs() {
    // The Tcl test only checks that the server survives; here every step
    // is also checked against a model of the list.
    let (_s, mut r) = setup();
    let mut rng = Rng(3343);
    let mut model: std::collections::VecDeque<String> = Default::default();
    r.r(&["DEL", "key"]);
    for _ in 0..2000 {
        let op = rng.below(6);
        let small_signed_count = 5 - rng.below(10) as i64;
        let ele = if rng.below(2) == 0 {
            rng.below(1000).to_string()
        } else {
            format!(
                "{}{}",
                "x".repeat(rng.below(10000) as usize),
                rng.below(1000)
            )
        };
        match op {
            0 => {
                r.r(&["LPUSH", "key", &ele]);
                model.push_front(ele);
            }
            1 => {
                r.r(&["RPUSH", "key", &ele]);
                model.push_back(ele);
            }
            2 => assert_eq!(
                r.s(&["LPOP", "key"]),
                model.pop_front().unwrap_or_default()
            ),
            3 => assert_eq!(
                r.s(&["RPOP", "key"]),
                model.pop_back().unwrap_or_default()
            ),
            4 => {
                let reply = r.r(&[
                    "LSET",
                    "key",
                    &small_signed_count.to_string(),
                    &ele,
                ]);
                let len = model.len() as i64;
                let i = if small_signed_count < 0 {
                    small_signed_count + len
                } else {
                    small_signed_count
                };
                if model.is_empty() {
                    assert_eq!(reply, Reply::Err("ERR no such key".into()));
                } else if i < 0 || i >= len {
                    assert_eq!(
                        reply,
                        Reply::Err("ERR index out of range".into())
                    );
                } else {
                    assert_eq!(reply, Reply::Status("OK".into()));
                    model[i as usize] = ele;
                }
            }
            _ => {
                let otherele = rng.below(1000).to_string();
                let after = rng.below(2) == 0;
                let reply = r.int(&[
                    "LINSERT",
                    "key",
                    if after { "after" } else { "before" },
                    &otherele,
                    &ele,
                ]);
                match model.iter().position(|e| *e == otherele) {
                    Some(pos) => {
                        model.insert(if after { pos + 1 } else { pos }, ele);
                        assert_eq!(reply, model.len() as i64);
                    }
                    None if model.is_empty() => assert_eq!(reply, 0),
                    None => assert_eq!(reply, -1),
                }
            }
        }
    }
    assert_eq!(r.lrange("key"), Vec::from(model));
}

// ------------------------------ against Redis 5 ------------------------------

/// Runs the same script on our server and, if `REDIS_C_SERVER` is set, on
/// that binary (a real redis-server 5.0.14), and compares every reply byte
/// for byte. Without the variable it still runs the script on ours,
/// checking that nothing panics or closes the connection.
#[test]
fn replies_match_redis_5_byte_for_byte() {
    let script: &[&[&str]] = &[
        &["LPUSH", "l", "a", "b", "c"],
        &["RPUSH", "l", "1", "2", "3"],
        &["LRANGE", "l", "0", "-1"],
        &["LRANGE", "l", "-100", "100"],
        &["LRANGE", "l", "5", "2"],
        &["LRANGE", "l", "x", "2"],
        &["LRANGE", "nokey", "0", "1"],
        &["LLEN", "l"],
        &["LINDEX", "l", "-1"],
        &["LINDEX", "l", "100"],
        &["LINDEX", "l", "99999999999999999999"],
        &["LSET", "l", "0", "zz"],
        &["LSET", "l", "100", "zz"],
        &["LSET", "nokey", "0", "zz"],
        &["LINSERT", "l", "before", "zz", "yy"],
        &["LINSERT", "l", "after", "3", "4"],
        &["LINSERT", "l", "after", "nope", "4"],
        &["LINSERT", "l", "middle", "3", "4"],
        &["LINSERT", "nokey", "before", "a", "b"],
        &["LREM", "l", "0", "zz"],
        &["LREM", "l", "x", "zz"],
        &["LTRIM", "l", "1", "-2"],
        &["LRANGE", "l", "0", "-1"],
        &["LPUSHX", "nokey", "a"],
        &["RPUSHX", "l", "r1", "r2"],
        &["LPOP", "l"],
        &["RPOP", "l"],
        &["RPOPLPUSH", "l", "l"],
        &["RPOPLPUSH", "l", "l2"],
        &["RPOPLPUSH", "nokey", "l2"],
        &["LRANGE", "l2", "0", "-1"],
        &["SET", "s", "v"],
        &["LPUSH", "s", "a"],
        &["RPOPLPUSH", "l", "s"],
        &["BLPOP", "s", "0"],
        &["BRPOPLPUSH", "l", "s", "0"],
        &["BLPOP", "l", "0"],
        &["BRPOP", "l", "2"],
        &["BRPOPLPUSH", "l", "l3", "0"],
        &["BRPOP", "l", "-1"],
        &["BRPOP", "l", "1.5"],
        &["BLPOP", "l", "99999999999999999999"],
        &["BRPOPLPUSH", "l", "x", "-1"],
        &["OBJECT", "ENCODING", "l"],
        &["TYPE", "l"],
        &["MULTI"],
        &["BLPOP", "empty", "0"],
        &["BRPOP", "empty", "l", "0"],
        &["BRPOPLPUSH", "empty", "x", "0"],
        &["EXEC"],
        &["LRANGE", "l", "0", "-1"],
        &["LRANGE", "l3", "0", "-1"],
        &["DEL", "l", "l2", "l3"],
    ];
    util::assert_replies_match_redis_5(script, Conn::db9);
}
