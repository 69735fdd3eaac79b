//! The generic keyspace commands (DEL, UNLINK, EXISTS, SELECT, KEYS, SCAN,
//! RANDOMKEY, RENAME, MOVE, SWAPDB, FLUSHDB/FLUSHALL, TYPE, DBSIZE,
//! LASTSAVE, OBJECT), paraphrasing Redis 5.0.14's tests/unit/keyspace.tcl
//! plus the string-only parts of unit/scan.tcl, unit/introspection-2.tcl
//! and unit/other.tcl. Error replies are checked byte for byte against
//! what the real 5.0.14 server sends.
//!
//! As the Tcl harness does, each test's client works in DB 9 (and uses 10
//! as the "other" DB).
//!
//! If `REDIS_C_SERVER` names a real redis-server 5.0.14 binary,
//! `replies_match_redis_5_byte_for_byte` also runs a script against it and
//! compares every reply with ours.

mod util;

use std::thread::sleep;
use std::time::Duration;

use util::{Conn, Server};

// --------------------------------- helpers ---------------------------------

/// A server and a client in DB 9, as the Tcl tests have.
fn setup() -> (Server, Conn) {
    let server = Server::start(&[]);
    let r = Conn::db9(&server);
    (server, r)
}

/// Walks a whole SCAN, returning the distinct keys seen.
fn scan_all(r: &mut Conn, extra: &[&str]) -> Vec<String> {
    let mut cur = "0".to_string();
    let mut keys = Vec::new();
    loop {
        let mut args = vec!["SCAN", cur.as_str()];
        args.extend_from_slice(extra);
        let res = r.r(&args);
        let res = res.arr();
        let next = res[0].s();
        keys.extend(res[1].strs());
        cur = next;
        if cur == "0" {
            break;
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// C's `DEBUG POPULATE n`: keys key:0 .. key:n-1 with values value:<j>.
fn populate(r: &mut Conn, n: usize) {
    for j in 0..n {
        let (k, v) = (format!("key:{j}"), format!("value:{j}"));
        assert_eq!(r.raw(&["SET", &k, &v]), "+OK\r\n");
    }
}

// ------------------------------- keyspace.tcl -------------------------------

#[test]
fn del_against_a_single_item_and_vararg_del() {
    let (_s, mut r) = setup();
    r.r(&["SET", "x", "foo"]);
    assert_eq!(r.s(&["GET", "x"]), "foo");
    assert_eq!(r.raw(&["DEL", "x"]), ":1\r\n");
    assert_eq!(r.raw(&["GET", "x"]), "$-1\r\n");

    r.r(&["SET", "foo1", "a"]);
    r.r(&["SET", "foo2", "b"]);
    r.r(&["SET", "foo3", "c"]);
    assert_eq!(r.int(&["DEL", "foo1", "foo2", "foo3", "foo4"]), 3);
    assert_eq!(r.r(&["MGET", "foo1", "foo2", "foo3"]).strs(), ["", "", ""]);
    // A key named twice is deleted once.
    r.r(&["SET", "k", "v"]);
    assert_eq!(r.int(&["DEL", "k", "k"]), 1);
}

#[test]
fn unlink_deletes_like_del() {
    let (_s, mut r) = setup();
    r.r(&["SET", "a", "1"]);
    r.r(&["SET", "b", "2"]);
    assert_eq!(r.int(&["UNLINK", "a", "b", "c"]), 2);
    assert_eq!(r.int(&["EXISTS", "a", "b"]), 0);
}

#[test]
fn keys_with_pattern_keys_to_get_all_keys_and_dbsize() {
    let (_s, mut r) = setup();
    for key in ["key_x", "key_y", "key_z", "foo_a", "foo_b", "foo_c"] {
        r.r(&["SET", key, "hello"]);
    }
    assert_eq!(r.sorted(&["KEYS", "foo*"]), ["foo_a", "foo_b", "foo_c"]);
    assert_eq!(
        r.sorted(&["KEYS", "*"]),
        ["foo_a", "foo_b", "foo_c", "key_x", "key_y", "key_z"]
    );
    assert_eq!(r.int(&["DBSIZE"]), 6);
    assert_eq!(r.sorted(&["KEYS", "key_[xz]"]), ["key_x", "key_z"]);
    assert_eq!(r.raw(&["KEYS", ""]), "*0\r\n");

    // DEL all keys
    for key in r.r(&["KEYS", "*"]).strs() {
        r.r(&["DEL", &key]);
    }
    assert_eq!(r.int(&["DBSIZE"]), 0);
}

#[test]
fn del_against_expired_key() {
    let (_s, mut r) = setup();
    r.r(&["SETEX", "keyExpire", "1", "valExpire"]);
    sleep(Duration::from_millis(1100));
    assert_eq!(r.int(&["DEL", "keyExpire"]), 0);
}

#[test]
fn exists_and_zero_length_value() {
    let (_s, mut r) = setup();
    r.r(&["SET", "newkey", "test"]);
    let mut res = r.s(&["EXISTS", "newkey"]);
    r.r(&["DEL", "newkey"]);
    res += &r.s(&["EXISTS", "newkey"]);
    assert_eq!(res, "10");

    r.r(&["SET", "emptykey", ""]);
    let mut res = r.s(&["GET", "emptykey"]);
    res += &r.s(&["EXISTS", "emptykey"]);
    r.r(&["DEL", "emptykey"]);
    res += &r.s(&["EXISTS", "emptykey"]);
    assert_eq!(res, "10");

    // EXISTS counts a key as many times as it is named.
    r.r(&["SET", "k", "v"]);
    assert_eq!(r.int(&["EXISTS", "k", "k", "nokey"]), 2);
}

#[test]
fn commands_pipelining() {
    let (s, _r) = setup();
    let mut fd = util::raw(s.port());
    util::send_raw(&mut fd, b"SET k1 xyzk\r\nGET k1\r\nPING\r\n");
    assert_eq!(util::read_reply(&mut fd), b"+OK\r\n");
    assert_eq!(util::read_reply(&mut fd), b"$4\r\nxyzk\r\n");
    assert_eq!(util::read_reply(&mut fd), b"+PONG\r\n");
}

#[test]
fn non_existing_command() {
    let (_s, mut r) = setup();
    assert!(r.s(&["foobaredcommand"]).starts_with("ERR"));
}

#[test]
fn rename_basic_usage_and_source_key_gone() {
    let (_s, mut r) = setup();
    r.r(&["SET", "mykey", "hello"]);
    assert_eq!(r.raw(&["RENAME", "mykey", "mykey1"]), "+OK\r\n");
    r.r(&["RENAME", "mykey1", "mykey2"]);
    assert_eq!(r.s(&["GET", "mykey2"]), "hello");
    assert_eq!(r.int(&["EXISTS", "mykey"]), 0);
}

#[test]
fn rename_against_already_existing_key() {
    let (_s, mut r) = setup();
    r.r(&["SET", "mykey", "a"]);
    r.r(&["SET", "mykey2", "b"]);
    r.r(&["RENAME", "mykey2", "mykey"]);
    let res = r.s(&["GET", "mykey"]) + &r.s(&["EXISTS", "mykey2"]);
    assert_eq!(res, "b0");
}

#[test]
fn renamenx_basic_usage_and_against_existing_key() {
    let (_s, mut r) = setup();
    r.r(&["SET", "mykey", "foobar"]);
    assert_eq!(r.raw(&["RENAMENX", "mykey", "mykey2"]), ":1\r\n");
    let res = r.s(&["GET", "mykey2"]) + &r.s(&["EXISTS", "mykey"]);
    assert_eq!(res, "foobar0");

    r.r(&["SET", "mykey", "foo"]);
    r.r(&["SET", "mykey2", "bar"]);
    assert_eq!(r.raw(&["RENAMENX", "mykey", "mykey2"]), ":0\r\n");
    let res = r.s(&["GET", "mykey"]) + &r.s(&["GET", "mykey2"]);
    assert_eq!(res, "foobar");
}

#[test]
fn rename_against_non_existing_source_key() {
    let (_s, mut r) = setup();
    assert_eq!(r.raw(&["RENAME", "nokey", "foobar"]), "-ERR no such key\r\n");
    assert_eq!(r.raw(&["RENAMENX", "nokey", "foobar"]), "-ERR no such key\r\n");
}

#[test]
fn rename_where_source_and_dest_key_are_the_same() {
    let (_s, mut r) = setup();
    // (existing)
    r.r(&["SET", "mykey", "foo"]);
    assert_eq!(r.raw(&["RENAME", "mykey", "mykey"]), "+OK\r\n");
    assert_eq!(r.raw(&["RENAMENX", "mykey", "mykey"]), ":0\r\n");
    assert_eq!(r.s(&["GET", "mykey"]), "foo");
    // (non existing)
    r.r(&["DEL", "mykey"]);
    assert_eq!(r.raw(&["RENAME", "mykey", "mykey"]), "-ERR no such key\r\n");
}

#[test]
fn rename_with_volatile_key_should_move_the_ttl_as_well() {
    let (_s, mut r) = setup();
    r.r(&["SET", "mykey", "foo"]);
    r.r(&["EXPIRE", "mykey", "100"]);
    let ttl = r.int(&["TTL", "mykey"]);
    assert!(ttl > 95 && ttl <= 100, "{ttl}");
    r.r(&["RENAME", "mykey", "mykey2"]);
    let ttl = r.int(&["TTL", "mykey2"]);
    assert!(ttl > 95 && ttl <= 100, "{ttl}");
    assert_eq!(r.int(&["TTL", "mykey"]), -2);
}

#[test]
fn rename_with_volatile_key_should_not_inherit_ttl_of_target_key() {
    let (_s, mut r) = setup();
    r.r(&["SET", "mykey", "foo"]);
    r.r(&["SET", "mykey2", "bar"]);
    r.r(&["EXPIRE", "mykey2", "100"]);
    assert_eq!(r.int(&["TTL", "mykey"]), -1);
    assert!(r.int(&["TTL", "mykey2"]) > 0);
    r.r(&["RENAME", "mykey", "mykey2"]);
    assert_eq!(r.int(&["TTL", "mykey2"]), -1);
}

#[test]
fn del_all_keys_again_in_db_9_and_db_10() {
    let (_s, mut r) = setup();
    r.r(&["SET", "a", "1"]);
    r.r(&["SELECT", "10"]);
    r.r(&["SET", "b", "1"]);
    for key in r.r(&["KEYS", "*"]).strs() {
        r.r(&["DEL", &key]);
    }
    assert_eq!(r.int(&["DBSIZE"]), 0);
    r.r(&["SELECT", "9"]);
    assert_eq!(r.int(&["DBSIZE"]), 1);
}

#[test]
fn move_basic_usage() {
    let (_s, mut r) = setup();
    r.r(&["SET", "mykey", "foobar"]);
    assert_eq!(r.raw(&["MOVE", "mykey", "10"]), ":1\r\n");
    let mut res = vec![r.s(&["EXISTS", "mykey"]), r.s(&["DBSIZE"])];
    r.r(&["SELECT", "10"]);
    res.push(r.s(&["GET", "mykey"]));
    res.push(r.s(&["DBSIZE"]));
    assert_eq!(res, ["0", "0", "foobar", "1"]);
}

#[test]
fn move_against_key_existing_in_the_target_db() {
    let (_s, mut r) = setup();
    r.r(&["SET", "mykey", "foobar"]);
    r.r(&["MOVE", "mykey", "10"]);
    r.r(&["SET", "mykey", "hello"]);
    assert_eq!(r.raw(&["MOVE", "mykey", "10"]), ":0\r\n");
    assert_eq!(r.s(&["GET", "mykey"]), "hello");
    // A missing key moves nowhere.
    assert_eq!(r.raw(&["MOVE", "nokey", "10"]), ":0\r\n");
}

#[test]
fn move_against_non_integer_db_1428_and_bad_indexes() {
    let (_s, mut r) = setup();
    r.r(&["SET", "mykey", "hello"]);
    let oor = "-ERR index out of range\r\n";
    assert_eq!(r.raw(&["MOVE", "mykey", "notanumber"]), oor);
    assert_eq!(r.raw(&["MOVE", "mykey", "16"]), oor);
    assert_eq!(r.raw(&["MOVE", "mykey", "-1"]), oor);
    // Unlike SELECT, MOVE range-checks the long before it becomes an int.
    assert_eq!(r.raw(&["MOVE", "mykey", "4294967296"]), oor);
    assert_eq!(
        r.raw(&["MOVE", "mykey", "9"]),
        "-ERR source and destination objects are the same\r\n"
    );
    // The same-DB check comes before the key lookup.
    assert_eq!(
        r.raw(&["MOVE", "nokey", "9"]),
        "-ERR source and destination objects are the same\r\n"
    );
}

#[test]
fn move_can_move_key_expire_metadata_as_well() {
    let (_s, mut r) = setup();
    r.r(&["SET", "mykey", "foo", "EX", "100"]);
    r.r(&["MOVE", "mykey", "10"]);
    assert_eq!(r.int(&["TTL", "mykey"]), -2);
    r.r(&["SELECT", "10"]);
    let ttl = r.int(&["TTL", "mykey"]);
    assert!(ttl > 0 && ttl <= 100, "{ttl}");
    assert_eq!(r.s(&["GET", "mykey"]), "foo");
}

#[test]
fn move_does_not_create_an_expire_if_it_does_not_exist() {
    let (_s, mut r) = setup();
    r.r(&["SET", "mykey", "foo"]);
    r.r(&["MOVE", "mykey", "10"]);
    assert_eq!(r.int(&["TTL", "mykey"]), -2);
    r.r(&["SELECT", "10"]);
    assert_eq!(r.int(&["TTL", "mykey"]), -1);
    assert_eq!(r.s(&["GET", "mykey"]), "foo");
}

#[test]
fn set_get_keys_in_different_dbs() {
    let (_s, mut r) = setup();
    r.r(&["SET", "a", "hello"]);
    r.r(&["SET", "b", "world"]);
    r.r(&["SELECT", "10"]);
    r.r(&["SET", "a", "foo"]);
    r.r(&["SET", "b", "bared"]);
    r.r(&["SELECT", "9"]);
    let mut res = vec![r.s(&["GET", "a"]), r.s(&["GET", "b"])];
    r.r(&["SELECT", "10"]);
    res.push(r.s(&["GET", "a"]));
    res.push(r.s(&["GET", "b"]));
    assert_eq!(res, ["hello", "world", "foo", "bared"]);
}

#[test]
fn randomkey() {
    let (_s, mut r) = setup();
    r.r(&["FLUSHDB"]);
    r.r(&["SET", "foo", "x"]);
    r.r(&["SET", "bar", "y"]);
    let (mut foo_seen, mut bar_seen) = (false, false);
    for _ in 0..100 {
        match r.s(&["RANDOMKEY"]).as_str() {
            "foo" => foo_seen = true,
            "bar" => bar_seen = true,
            other => panic!("unexpected key {other:?}"),
        }
    }
    assert!(foo_seen && bar_seen);
}

#[test]
fn randomkey_against_empty_db_and_regression_1() {
    let (_s, mut r) = setup();
    r.r(&["FLUSHDB"]);
    assert_eq!(r.raw(&["RANDOMKEY"]), "$-1\r\n");
    r.r(&["SET", "x", "10"]);
    r.r(&["DEL", "x"]);
    assert_eq!(r.raw(&["RANDOMKEY"]), "$-1\r\n");
}

#[test]
fn keys_star_two_times_with_long_key_github_issue_1208() {
    let (_s, mut r) = setup();
    r.r(&["FLUSHDB"]);
    r.r(&["SET", "dlskeriewrioeuwqoirueioqwrueoqwrueqw", "test"]);
    r.r(&["KEYS", "*"]);
    assert_eq!(
        r.r(&["KEYS", "*"]).strs(),
        ["dlskeriewrioeuwqoirueioqwrueoqwrueqw"]
    );
}

#[test]
fn keys_skips_logically_expired_keys() {
    let (_s, mut r) = setup();
    r.r(&["SET", "a", "1"]);
    r.r(&["SET", "gone", "1", "PX", "50"]);
    sleep(Duration::from_millis(100));
    // The active expire cycle may or may not have deleted it yet; either
    // way KEYS does not list it.
    assert_eq!(r.r(&["KEYS", "*"]).strs(), ["a"]);
}

// ---------------------------------- SELECT ----------------------------------

#[test]
fn select_an_out_of_range_db_and_bad_indexes() {
    let (_s, mut r) = setup();
    assert_eq!(
        r.raw(&["SELECT", "1000000"]),
        "-ERR DB index is out of range\r\n"
    );
    assert_eq!(r.raw(&["SELECT", "16"]), "-ERR DB index is out of range\r\n");
    assert_eq!(r.raw(&["SELECT", "-1"]), "-ERR DB index is out of range\r\n");
    assert_eq!(r.raw(&["SELECT", "abc"]), "-ERR invalid DB index\r\n");
    assert_eq!(r.raw(&["SELECT", "1.5"]), "-ERR invalid DB index\r\n");
    assert_eq!(r.raw(&["SELECT", ""]), "-ERR invalid DB index\r\n");
    assert_eq!(
        r.raw(&["SELECT"]),
        "-ERR wrong number of arguments for 'select' command\r\n"
    );
}

#[test]
fn select_truncates_the_index_to_an_int_as_5_0_does() {
    let (_s, mut r) = setup();
    r.r(&["SELECT", "0"]);
    r.r(&["SET", "in0", "1"]);
    r.r(&["SELECT", "9"]);
    // 2^32 becomes 0 on its way to selectDb(int).
    assert_eq!(r.raw(&["SELECT", "4294967296"]), "+OK\r\n");
    assert_eq!(r.int(&["EXISTS", "in0"]), 1);
}

// ---------------------------------- SWAPDB ----------------------------------

#[test]
fn swapdb_swaps_the_datasets_of_two_dbs() {
    let (_s, mut r) = setup();
    r.r(&["SET", "a", "in9", "EX", "100"]);
    r.r(&["SELECT", "10"]);
    r.r(&["SET", "b", "in10"]);
    assert_eq!(r.raw(&["SWAPDB", "9", "10"]), "+OK\r\n");
    // The client stays in DB 10, which now holds what 9 held.
    assert_eq!(r.s(&["GET", "a"]), "in9");
    assert!(r.int(&["TTL", "a"]) > 0);
    assert_eq!(r.int(&["EXISTS", "b"]), 0);
    r.r(&["SELECT", "9"]);
    assert_eq!(r.s(&["GET", "b"]), "in10");
    assert_eq!(r.raw(&["SWAPDB", "9", "9"]), "+OK\r\n");
    assert_eq!(r.s(&["GET", "b"]), "in10");
}

#[test]
fn swapdb_errors() {
    let (_s, mut r) = setup();
    assert_eq!(r.raw(&["SWAPDB", "x", "1"]), "-ERR invalid first DB index\r\n");
    assert_eq!(
        r.raw(&["SWAPDB", "1", "x"]),
        "-ERR invalid second DB index\r\n"
    );
    assert_eq!(r.raw(&["SWAPDB", "x", "y"]), "-ERR invalid first DB index\r\n");
    assert_eq!(
        r.raw(&["SWAPDB", "1", "100"]),
        "-ERR DB index is out of range\r\n"
    );
    assert_eq!(
        r.raw(&["SWAPDB", "-1", "0"]),
        "-ERR DB index is out of range\r\n"
    );
    // dbSwapDatabases() takes ints, so 2^32+9 is DB 9.
    assert_eq!(r.raw(&["SWAPDB", "4294967305", "9"]), "+OK\r\n");
}

// ----------------------------- FLUSHDB/FLUSHALL -----------------------------

#[test]
fn flushdb_and_flushall() {
    let (_s, mut r) = setup();
    r.r(&["SET", "a", "1"]);
    r.r(&["SELECT", "10"]);
    r.r(&["SET", "b", "1"]);
    assert_eq!(r.raw(&["FLUSHDB"]), "+OK\r\n");
    assert_eq!(r.int(&["DBSIZE"]), 0);
    r.r(&["SELECT", "9"]);
    assert_eq!(r.int(&["DBSIZE"]), 1);
    assert_eq!(r.raw(&["FLUSHDB", "async"]), "+OK\r\n");
    assert_eq!(r.int(&["DBSIZE"]), 0);

    r.r(&["SET", "a", "1"]);
    r.r(&["SELECT", "10"]);
    r.r(&["SET", "b", "1"]);
    assert_eq!(r.raw(&["FLUSHALL", "ASYNC"]), "+OK\r\n");
    assert_eq!(r.int(&["DBSIZE"]), 0);
    r.r(&["SELECT", "9"]);
    assert_eq!(r.int(&["DBSIZE"]), 0);
    assert_eq!(r.raw(&["FLUSHALL"]), "+OK\r\n");
}

#[test]
fn flushdb_and_flushall_reject_bad_options() {
    let (_s, mut r) = setup();
    r.r(&["SET", "a", "1"]);
    for cmd in ["FLUSHDB", "FLUSHALL"] {
        assert_eq!(r.raw(&[cmd, "x"]), "-ERR syntax error\r\n");
        assert_eq!(r.raw(&[cmd, "async", "x"]), "-ERR syntax error\r\n");
    }
    assert_eq!(r.int(&["DBSIZE"]), 1);
}

// ------------------------------ TYPE, LASTSAVE ------------------------------

#[test]
fn type_of_string_and_missing_key() {
    let (_s, mut r) = setup();
    r.r(&["SET", "s", "v"]);
    r.r(&["SET", "n", "10"]);
    assert_eq!(r.raw(&["TYPE", "s"]), "+string\r\n");
    assert_eq!(r.raw(&["TYPE", "n"]), "+string\r\n");
    assert_eq!(r.raw(&["TYPE", "nokey"]), "+none\r\n");
}

#[test]
fn lastsave_is_the_startup_time_without_saves() {
    let (_s, mut r) = setup();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let t = r.int(&["LASTSAVE"]);
    assert!(t <= now && t > now - 60, "{t} vs {now}");
}

// ----------------------------------- scan.tcl -----------------------------------

#[test]
fn scan_basic() {
    let (_s, mut r) = setup();
    populate(&mut r, 1000);
    assert_eq!(scan_all(&mut r, &[]).len(), 1000);
}

#[test]
fn scan_count() {
    let (_s, mut r) = setup();
    populate(&mut r, 1000);
    assert_eq!(scan_all(&mut r, &["count", "5"]).len(), 1000);
}

#[test]
fn scan_match() {
    let (_s, mut r) = setup();
    populate(&mut r, 1000);
    assert_eq!(scan_all(&mut r, &["match", "key:1??"]).len(), 100);
}

#[test]
fn scan_guarantees_check_under_write_load() {
    let (_s, mut r) = setup();
    populate(&mut r, 100);
    // We start scanning here, so keys from 0 to 99 should all be reported
    // at the end of the iteration.
    let mut keys = Vec::new();
    let mut cur = "0".to_string();
    loop {
        let res = r.r(&["SCAN", &cur]);
        cur = res.arr()[0].s();
        keys.extend(res.arr()[1].strs());
        if cur == "0" {
            break;
        }
        // Write 10 random keys at every SCAN iteration.
        for j in 0..10 {
            r.r(&["SET", &format!("addedkey:{}{j}", keys.len()), "foo"]);
        }
    }
    let mut keys2: Vec<String> = keys
        .into_iter()
        .filter(|k| k.len() <= 6 || !k.starts_with("addedk"))
        .collect();
    keys2.sort();
    keys2.dedup();
    assert_eq!(keys2.len(), 100);
}

#[test]
fn scan_errors_are_byte_exact() {
    let (_s, mut r) = setup();
    r.r(&["SET", "foo", "bar"]);
    let syntax = "-ERR syntax error\r\n";
    assert_eq!(r.raw(&["SCAN", "0", "COUNT", "0"]), syntax);
    assert_eq!(r.raw(&["SCAN", "0", "COUNT", "-1"]), syntax);
    assert_eq!(r.raw(&["SCAN", "0", "COUNT"]), syntax);
    assert_eq!(r.raw(&["SCAN", "0", "MATCH"]), syntax);
    assert_eq!(r.raw(&["SCAN", "0", "foo", "bar"]), syntax);
    assert_eq!(
        r.raw(&["SCAN", "0", "COUNT", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    for bad in [" 1", "1 ", "abc", "-", "18446744073709551616"] {
        assert_eq!(r.raw(&["SCAN", bad]), "-ERR invalid cursor\r\n", "{bad:?}");
    }
    assert_eq!(
        r.raw(&["SCAN"]),
        "-ERR wrong number of arguments for 'scan' command\r\n"
    );
}

#[test]
fn scan_cursor_parsing_keeps_strtoul_quirks() {
    let (_s, mut r) = setup();
    r.r(&["SET", "foo", "bar"]);
    let all = "*2\r\n$1\r\n0\r\n*1\r\n$3\r\nfoo\r\n";
    // The empty string and a signed zero are cursor 0.
    assert_eq!(r.raw(&["SCAN", ""]), all);
    assert_eq!(r.raw(&["SCAN", "+0"]), all);
    assert_eq!(r.raw(&["SCAN", "00"]), all);
    // The argument ends at its first NUL byte, as a C string does.
    assert_eq!(
        String::from_utf8_lossy(&r.raw_bin(&[b"SCAN", b"0\0junk"])),
        all
    );
    // MATCH "*" and an empty MATCH.
    assert_eq!(r.raw(&["SCAN", "0", "MATCH", "*", "COUNT", "100"]), all);
    assert_eq!(r.raw(&["SCAN", "0", "match", ""]), "*2\r\n$1\r\n0\r\n*0\r\n");
}

#[test]
fn scan_skips_expired_keys() {
    let (_s, mut r) = setup();
    populate(&mut r, 50);
    for j in 0..10 {
        r.r(&["PEXPIRE", &format!("key:{j}"), "10"]);
    }
    sleep(Duration::from_millis(50));
    assert_eq!(scan_all(&mut r, &[]).len(), 40);
}

// --------------------------- introspection-2.tcl ---------------------------

#[test]
fn ttl_and_type_do_not_alter_the_last_access_time_of_a_key() {
    let (_s, mut r) = setup();
    r.r(&["SET", "foo", "bar"]);
    sleep(Duration::from_millis(3000));
    r.r(&["TTL", "foo"]);
    r.r(&["TYPE", "foo"]);
    assert!(r.int(&["OBJECT", "IDLETIME", "foo"]) >= 2);
}

#[test]
fn touch_alters_the_last_access_time_of_a_key() {
    let (_s, mut r) = setup();
    r.r(&["SET", "foo", "bar"]);
    sleep(Duration::from_millis(3000));
    r.r(&["TOUCH", "foo"]);
    assert!(r.int(&["OBJECT", "IDLETIME", "foo"]) < 2);
}

#[test]
fn touch_returns_the_number_of_existing_keys_specified() {
    let (_s, mut r) = setup();
    r.r(&["FLUSHDB"]);
    r.r(&["SET", "key1", "1"]);
    r.r(&["SET", "key2", "2"]);
    assert_eq!(r.raw(&["TOUCH", "key0", "key1", "key2", "key3"]), ":2\r\n");
}

// ---------------------------------- OBJECT ----------------------------------

#[test]
fn object_encoding_of_strings() {
    let (_s, mut r) = setup();
    r.r(&["SET", "i", "12345"]);
    r.r(&["SET", "e", "hello"]);
    r.r(&["SET", "raw", &"x".repeat(45)]);
    r.r(&["SET", "big", "12345678901234567890123"]);
    assert_eq!(r.raw(&["OBJECT", "ENCODING", "i"]), "$3\r\nint\r\n");
    assert_eq!(r.raw(&["OBJECT", "encoding", "e"]), "$6\r\nembstr\r\n");
    assert_eq!(r.raw(&["OBJECT", "encoding", "raw"]), "$3\r\nraw\r\n");
    assert_eq!(r.raw(&["OBJECT", "encoding", "big"]), "$6\r\nembstr\r\n");
    for sub in ["encoding", "refcount", "idletime", "freq"] {
        assert_eq!(r.raw(&["OBJECT", sub, "nokey"]), "$-1\r\n", "{sub}");
    }
}

#[test]
fn object_refcount_reports_shared_integers() {
    let (_s, mut r) = setup();
    r.r(&["SET", "shared", "100"]);
    r.r(&["SET", "notshared", "10000"]);
    r.r(&["SET", "str", "foo"]);
    assert_eq!(r.raw(&["OBJECT", "REFCOUNT", "shared"]), ":2147483647\r\n");
    assert_eq!(r.raw(&["OBJECT", "REFCOUNT", "notshared"]), ":1\r\n");
    assert_eq!(r.raw(&["OBJECT", "REFCOUNT", "str"]), ":1\r\n");
}

#[test]
fn object_freq_needs_an_lfu_policy() {
    let (_s, mut r) = setup();
    r.r(&["SET", "foo", "bar"]);
    assert_eq!(
        r.raw(&["OBJECT", "FREQ", "foo"]),
        "-ERR An LFU maxmemory policy is not selected, access frequency not \
         tracked. Please note that when switching between policies at \
         runtime LRU and LFU data will take some time to adjust.\r\n"
    );
    assert_eq!(r.int(&["OBJECT", "IDLETIME", "foo"]), 0);
}

#[test]
fn object_help_and_syntax_errors() {
    let (_s, mut r) = setup();
    let help = r.r(&["OBJECT", "help"]).strs();
    assert_eq!(help.len(), 5);
    assert_eq!(
        help[0],
        "OBJECT <subcommand> arg arg ... arg. Subcommands are:"
    );
    assert!(help[1].starts_with("ENCODING <key> -- Return the kind"));
    assert!(help[4].starts_with("REFCOUNT <key> -- "));
    assert_eq!(
        r.raw(&["OBJECT", "foo"]),
        "-ERR Unknown subcommand or wrong number of arguments for 'foo'. \
         Try OBJECT HELP.\r\n"
    );
    assert_eq!(
        r.raw(&["object", "encoding"]),
        "-ERR Unknown subcommand or wrong number of arguments for \
         'encoding'. Try OBJECT HELP.\r\n"
    );
    assert_eq!(
        r.raw(&["OBJECT", "encoding", "a", "b"]),
        "-ERR Unknown subcommand or wrong number of arguments for \
         'encoding'. Try OBJECT HELP.\r\n"
    );
    assert_eq!(
        r.raw(&["OBJECT", "help", "x"]),
        "-ERR Unknown subcommand or wrong number of arguments for 'help'. \
         Try OBJECT HELP.\r\n"
    );
}

// ------------------------- against the real Redis 5 -------------------------

/// Runs the same script on our server and, if `REDIS_C_SERVER` is set, on
/// that binary (a real redis-server 5.0.14), and compares every reply
/// byte for byte. Without the variable it still runs the script on ours,
/// checking that nothing panics or closes the connection.
#[test]
fn replies_match_redis_5_byte_for_byte() {
    let script: &[&[&str]] = &[
        &["SET", "foo", "bar"],
        &["SET", "n", "100"],
        &["EXISTS", "foo", "foo", "nokey", "n"],
        &["TYPE", "foo"],
        &["TYPE", "nokey"],
        &["OBJECT", "encoding", "n"],
        &["OBJECT", "refcount", "n"],
        &["OBJECT", "freq", "foo"],
        &["OBJECT", "help"],
        &["OBJECT", "x"],
        &["DEL", "foo", "foo", "nokey"],
        &["KEYS", "*"],
        &["SCAN", "0", "COUNT", "0"],
        &["SCAN", "0", "COUNT", "x"],
        &["SCAN", "abc"],
        &["SELECT", "16"],
        &["SELECT", "x"],
        &["SWAPDB", "x", "1"],
        &["SWAPDB", "1", "x"],
        &["SWAPDB", "1", "100"],
        &["MOVE", "n", "9"],
        &["MOVE", "n", "x"],
        &["MOVE", "nokey", "10"],
        &["RENAME", "nokey", "x"],
        &["RENAME", "n", "n"],
        &["RENAMENX", "n", "n"],
        &["SET", "a", "1"],
        &["RENAMENX", "n", "a"],
        &["RENAME", "n", "a"],
        &["EXPIRE", "a", "x"],
        &["EXPIRE", "a", ""],
        &["EXPIRE", "nokey", "10"],
        &["EXPIRE", "a", "9223372036854775807"],
        &["EXISTS", "a"],
        &["TTL", "nokey"],
        &["PTTL", "nokey"],
        &["SET", "p", "v"],
        &["TTL", "p"],
        &["PERSIST", "p"],
        &["FLUSHDB", "x"],
        &["FLUSHALL", "async", "x"],
        &["RANDOMKEY"],
        &["DBSIZE"],
        &["FLUSHDB"],
        &["RANDOMKEY"],
    ];
    util::assert_replies_match_redis_5(script, Conn::db9);
}
