//! The blocking list commands (BLPOP, BRPOP, BRPOPLPUSH) and blocked.c's
//! machinery: clients blocked on keys, served in FIFO order once a push
//! makes their key ready, timeouts, blocking inside MULTI, CLIENT UNBLOCK
//! and clients that disconnect while blocked. Paraphrases the blocking half
//! of Redis 5.0.14's tests/unit/type/list.tcl; the Tcl
//! `redis_deferring_client` is a `util::Conn` used through `send` and
//! `read`.
//!
//! "BLPOP when result key is created by SORT..STORE" is left out until
//! SORT is ported. The propagation of a served pop to replicas (as a plain
//! LPOP/RPOP, or RPOP + LPUSH for BRPOPLPUSH) is checked by the replication
//! tests once a replica can be started.

mod util;

use std::thread::sleep;
use std::time::Duration;

use util::{Conn, Server, WRONGTYPE};

/// `*2 key value`, the reply of a served BLPOP/BRPOP.
fn kv(key: &str, value: &str) -> String {
    format!("*2\r\n${}\r\n{key}\r\n${}\r\n{value}\r\n", key.len(), value.len())
}

/// A bulk reply.
fn bulk(v: &str) -> String {
    format!("${}\r\n{v}\r\n", v.len())
}

/// An array of bulks, as LRANGE replies.
fn arr(items: &[&str]) -> String {
    let mut out = format!("*{}\r\n", items.len());
    for i in items {
        out.push_str(&bulk(i));
    }
    out
}

/// Waits until INFO reports `n` blocked clients, so that a push sent next
/// finds them blocked.
#[track_caller]
fn wait_blocked(server: &Server, n: usize) {
    util::wait_for(Duration::from_secs(5), || {
        server.info("blocked_clients") == n.to_string()
    });
}

fn setup() -> (Server, Conn) {
    let server = Server::start(&[]);
    let r = Conn::db9(&server);
    (server, r)
}

/// The Tcl `create_list`.
fn create_list(r: &mut Conn, key: &str, entries: &[&str]) {
    r.raw(&["DEL", key]);
    for e in entries {
        r.raw(&["RPUSH", key, e]);
    }
}

fn large_values() -> [String; 2] {
    ["hello".to_string(), "hello".repeat(2000)]
}

// --------------------------------- list.tcl ---------------------------------

#[test]
fn blpop_brpop_single_existing_list() {
    let (s, mut r) = setup();
    for large in large_values() {
        let mut rd = Conn::db9(&s);
        create_list(&mut r, "blist", &["a", "b", &large, "c", "d"]);
        rd.send(&["BLPOP", "blist", "1"]);
        assert_eq!(rd.read(), kv("blist", "a"));
        rd.send(&["BRPOP", "blist", "1"]);
        assert_eq!(rd.read(), kv("blist", "d"));
        rd.send(&["BLPOP", "blist", "1"]);
        assert_eq!(rd.read(), kv("blist", "b"));
        rd.send(&["BRPOP", "blist", "1"]);
        assert_eq!(rd.read(), kv("blist", "c"));
        assert_eq!(r.raw(&["LRANGE", "blist", "0", "-1"]), arr(&[&large]));
    }
}

#[test]
fn blpop_brpop_multiple_existing_lists() {
    let (s, mut r) = setup();
    for large in large_values() {
        let mut rd = Conn::db9(&s);
        create_list(&mut r, "blist1", &["a", &large, "c"]);
        create_list(&mut r, "blist2", &["d", &large, "f"]);
        rd.send(&["BLPOP", "blist1", "blist2", "1"]);
        assert_eq!(rd.read(), kv("blist1", "a"));
        rd.send(&["BRPOP", "blist1", "blist2", "1"]);
        assert_eq!(rd.read(), kv("blist1", "c"));
        assert_eq!(r.raw(&["LLEN", "blist1"]), ":1\r\n");
        assert_eq!(r.raw(&["LLEN", "blist2"]), ":3\r\n");

        rd.send(&["BLPOP", "blist2", "blist1", "1"]);
        assert_eq!(rd.read(), kv("blist2", "d"));
        rd.send(&["BRPOP", "blist2", "blist1", "1"]);
        assert_eq!(rd.read(), kv("blist2", "f"));
        assert_eq!(r.raw(&["LLEN", "blist1"]), ":1\r\n");
        assert_eq!(r.raw(&["LLEN", "blist2"]), ":1\r\n");
    }
}

#[test]
fn blpop_brpop_second_list_has_an_entry() {
    let (s, mut r) = setup();
    for large in large_values() {
        let mut rd = Conn::db9(&s);
        r.raw(&["DEL", "blist1"]);
        create_list(&mut r, "blist2", &["d", &large, "f"]);
        rd.send(&["BLPOP", "blist1", "blist2", "1"]);
        assert_eq!(rd.read(), kv("blist2", "d"));
        rd.send(&["BRPOP", "blist1", "blist2", "1"]);
        assert_eq!(rd.read(), kv("blist2", "f"));
        assert_eq!(r.raw(&["LLEN", "blist1"]), ":0\r\n");
        assert_eq!(r.raw(&["LLEN", "blist2"]), ":1\r\n");
    }
}

#[test]
fn brpoplpush_with_existing_source() {
    let (s, mut r) = setup();
    for large in large_values() {
        r.raw(&["DEL", "target"]);
        let mut rd = Conn::db9(&s);
        create_list(&mut r, "blist", &["a", "b", &large, "c", "d"]);
        rd.send(&["BRPOPLPUSH", "blist", "target", "1"]);
        assert_eq!(rd.read(), bulk("d"));
        assert_eq!(r.raw(&["RPOP", "target"]), bulk("d"));
        assert_eq!(
            r.raw(&["LRANGE", "blist", "0", "-1"]),
            arr(&["a", "b", &large, "c"])
        );
    }
}

#[test]
fn blpop_lpush_del_should_not_awake_blocked_client() {
    let (s, mut r) = setup();
    let mut rd = Conn::db9(&s);
    r.raw(&["DEL", "list"]);
    rd.send(&["BLPOP", "list", "0"]);
    wait_blocked(&s, 1);
    r.raw(&["MULTI"]);
    r.raw(&["LPUSH", "list", "a"]);
    r.raw(&["DEL", "list"]);
    r.raw(&["EXEC"]);
    rd.assert_no_reply(100);
    r.raw(&["DEL", "list"]);
    r.raw(&["LPUSH", "list", "b"]);
    assert_eq!(rd.read(), kv("list", "b"));
}

#[test]
fn blpop_lpush_del_set_should_not_awake_blocked_client() {
    let (s, mut r) = setup();
    let mut rd = Conn::db9(&s);
    r.raw(&["DEL", "list"]);
    rd.send(&["BLPOP", "list", "0"]);
    wait_blocked(&s, 1);
    r.raw(&["MULTI"]);
    r.raw(&["LPUSH", "list", "a"]);
    r.raw(&["DEL", "list"]);
    r.raw(&["SET", "list", "foo"]);
    r.raw(&["EXEC"]);
    rd.assert_no_reply(100);
    r.raw(&["DEL", "list"]);
    r.raw(&["LPUSH", "list", "b"]);
    assert_eq!(rd.read(), kv("list", "b"));
}

#[test]
fn blpop_with_same_key_multiple_times_should_work_issue_801() {
    let (s, mut r) = setup();
    let mut rd = Conn::db9(&s);
    r.raw(&["DEL", "list1", "list2"]);

    // Data arriving after the BLPOP.
    rd.send(&["BLPOP", "list1", "list2", "list2", "list1", "0"]);
    wait_blocked(&s, 1);
    r.raw(&["LPUSH", "list1", "a"]);
    assert_eq!(rd.read(), kv("list1", "a"));
    rd.send(&["BLPOP", "list1", "list2", "list2", "list1", "0"]);
    wait_blocked(&s, 1);
    r.raw(&["LPUSH", "list2", "b"]);
    assert_eq!(rd.read(), kv("list2", "b"));

    // Data already there.
    r.raw(&["LPUSH", "list1", "a"]);
    r.raw(&["LPUSH", "list2", "b"]);
    rd.send(&["BLPOP", "list1", "list2", "list2", "list1", "0"]);
    assert_eq!(rd.read(), kv("list1", "a"));
    rd.send(&["BLPOP", "list1", "list2", "list2", "list1", "0"]);
    assert_eq!(rd.read(), kv("list2", "b"));
}

#[test]
fn multi_exec_is_isolated_from_the_point_of_view_of_blpop() {
    let (s, mut r) = setup();
    let mut rd = Conn::db9(&s);
    r.raw(&["DEL", "list"]);
    rd.send(&["BLPOP", "list", "0"]);
    wait_blocked(&s, 1);
    r.raw(&["MULTI"]);
    r.raw(&["LPUSH", "list", "a"]);
    r.raw(&["LPUSH", "list", "b"]);
    r.raw(&["LPUSH", "list", "c"]);
    r.raw(&["EXEC"]);
    assert_eq!(rd.read(), kv("list", "c"));
    assert_eq!(r.raw(&["LRANGE", "list", "0", "-1"]), arr(&["b", "a"]));
}

#[test]
fn blpop_with_variadic_lpush() {
    let (s, mut r) = setup();
    let mut rd = Conn::db9(&s);
    r.raw(&["DEL", "blist", "target"]);
    rd.send(&["BLPOP", "blist", "0"]);
    wait_blocked(&s, 1);
    assert_eq!(r.raw(&["LPUSH", "blist", "foo", "bar"]), ":2\r\n");
    assert_eq!(rd.read(), kv("blist", "bar"));
    assert_eq!(r.raw(&["LRANGE", "blist", "0", "-1"]), arr(&["foo"]));
}

#[test]
fn blpop_served_by_a_later_lpush_from_another_client() {
    let (s, mut r) = setup();
    let mut rd = Conn::db9(&s);
    rd.send(&["BLPOP", "mylist", "0"]);
    wait_blocked(&s, 1);
    rd.assert_no_reply(100);
    assert_eq!(r.raw(&["LPUSH", "mylist", "x"]), ":1\r\n");
    assert_eq!(rd.read(), kv("mylist", "x"));
    // The served pop emptied the list, which is deleted.
    assert_eq!(r.raw(&["EXISTS", "mylist"]), ":0\r\n");
    assert_eq!(s.info("blocked_clients"), "0");
    // The served client goes on with its next command.
    rd.send(&["PING"]);
    assert_eq!(rd.read(), "+PONG\r\n");
}

#[test]
fn brpoplpush_with_zero_timeout_should_block_indefinitely() {
    let (s, mut r) = setup();
    let mut rd = Conn::db9(&s);
    r.raw(&["DEL", "blist", "target"]);
    rd.send(&["BRPOPLPUSH", "blist", "target", "0"]);
    wait_blocked(&s, 1);
    rd.assert_no_reply(500);
    r.raw(&["RPUSH", "blist", "foo"]);
    assert_eq!(rd.read(), bulk("foo"));
    assert_eq!(r.raw(&["LRANGE", "target", "0", "-1"]), arr(&["foo"]));
    assert_eq!(r.raw(&["EXISTS", "blist"]), ":0\r\n");
}

#[test]
fn brpoplpush_with_a_client_blpoping_the_target_list() {
    let (s, mut r) = setup();
    let mut rd = Conn::db9(&s);
    let mut rd2 = Conn::db9(&s);
    r.raw(&["DEL", "blist", "target"]);
    rd2.send(&["BLPOP", "target", "0"]);
    wait_blocked(&s, 1);
    rd.send(&["BRPOPLPUSH", "blist", "target", "0"]);
    wait_blocked(&s, 2);
    r.raw(&["RPUSH", "blist", "foo"]);
    assert_eq!(rd.read(), bulk("foo"));
    assert_eq!(rd2.read(), kv("target", "foo"));
    assert_eq!(r.raw(&["EXISTS", "target"]), ":0\r\n");
}

#[test]
fn brpoplpush_with_wrong_source_type() {
    let (s, mut r) = setup();
    let mut rd = Conn::db9(&s);
    r.raw(&["DEL", "blist", "target"]);
    r.raw(&["SET", "blist", "nolist"]);
    rd.send(&["BRPOPLPUSH", "blist", "target", "1"]);
    assert_eq!(rd.read(), WRONGTYPE);
}

#[test]
fn brpoplpush_with_wrong_destination_type() {
    let (s, mut r) = setup();
    let mut rd = Conn::db9(&s);
    r.raw(&["DEL", "blist", "target"]);
    r.raw(&["SET", "target", "nolist"]);
    r.raw(&["LPUSH", "blist", "foo"]);
    rd.send(&["BRPOPLPUSH", "blist", "target", "1"]);
    assert_eq!(rd.read(), WRONGTYPE);

    let mut rd = Conn::db9(&s);
    r.raw(&["DEL", "blist", "target"]);
    r.raw(&["SET", "target", "nolist"]);
    rd.send(&["BRPOPLPUSH", "blist", "target", "0"]);
    wait_blocked(&s, 1);
    r.raw(&["RPUSH", "blist", "foo"]);
    assert_eq!(rd.read(), WRONGTYPE);
    assert_eq!(r.raw(&["LRANGE", "blist", "0", "-1"]), arr(&["foo"]));
}

#[test]
fn brpoplpush_maintains_order_of_elements_after_failure() {
    let (s, mut r) = setup();
    let mut rd = Conn::db9(&s);
    r.raw(&["DEL", "blist", "target"]);
    r.raw(&["SET", "target", "nolist"]);
    rd.send(&["BRPOPLPUSH", "blist", "target", "0"]);
    wait_blocked(&s, 1);
    r.raw(&["RPUSH", "blist", "a", "b", "c"]);
    assert_eq!(rd.read(), WRONGTYPE);
    assert_eq!(r.raw(&["LRANGE", "blist", "0", "-1"]), arr(&["a", "b", "c"]));
}

#[test]
fn brpoplpush_with_multiple_blocked_clients() {
    let (s, mut r) = setup();
    let mut rd1 = Conn::db9(&s);
    let mut rd2 = Conn::db9(&s);
    r.raw(&["DEL", "blist", "target1", "target2"]);
    r.raw(&["SET", "target1", "nolist"]);
    rd1.send(&["BRPOPLPUSH", "blist", "target1", "0"]);
    wait_blocked(&s, 1);
    rd2.send(&["BRPOPLPUSH", "blist", "target2", "0"]);
    wait_blocked(&s, 2);
    r.raw(&["LPUSH", "blist", "foo"]);

    assert_eq!(rd1.read(), WRONGTYPE);
    assert_eq!(rd2.read(), bulk("foo"));
    assert_eq!(r.raw(&["LRANGE", "target2", "0", "-1"]), arr(&["foo"]));
}

#[test]
fn linked_brpoplpush() {
    let (s, mut r) = setup();
    let mut rd1 = Conn::db9(&s);
    let mut rd2 = Conn::db9(&s);
    r.raw(&["DEL", "list1", "list2", "list3"]);
    rd1.send(&["BRPOPLPUSH", "list1", "list2", "0"]);
    wait_blocked(&s, 1);
    rd2.send(&["BRPOPLPUSH", "list2", "list3", "0"]);
    wait_blocked(&s, 2);
    r.raw(&["RPUSH", "list1", "foo"]);
    assert_eq!(r.raw(&["LRANGE", "list1", "0", "-1"]), "*0\r\n");
    assert_eq!(r.raw(&["LRANGE", "list2", "0", "-1"]), "*0\r\n");
    assert_eq!(r.raw(&["LRANGE", "list3", "0", "-1"]), arr(&["foo"]));
    assert_eq!(rd1.read(), bulk("foo"));
    assert_eq!(rd2.read(), bulk("foo"));
}

#[test]
fn circular_brpoplpush() {
    let (s, mut r) = setup();
    let mut rd1 = Conn::db9(&s);
    let mut rd2 = Conn::db9(&s);
    r.raw(&["DEL", "list1", "list2"]);
    rd1.send(&["BRPOPLPUSH", "list1", "list2", "0"]);
    wait_blocked(&s, 1);
    rd2.send(&["BRPOPLPUSH", "list2", "list1", "0"]);
    wait_blocked(&s, 2);
    r.raw(&["RPUSH", "list1", "foo"]);
    assert_eq!(r.raw(&["LRANGE", "list1", "0", "-1"]), arr(&["foo"]));
    assert_eq!(r.raw(&["LRANGE", "list2", "0", "-1"]), "*0\r\n");
}

#[test]
fn self_referential_brpoplpush() {
    let (s, mut r) = setup();
    let mut rd = Conn::db9(&s);
    r.raw(&["DEL", "blist"]);
    rd.send(&["BRPOPLPUSH", "blist", "blist", "0"]);
    wait_blocked(&s, 1);
    r.raw(&["RPUSH", "blist", "foo"]);
    assert_eq!(rd.read(), bulk("foo"));
    assert_eq!(r.raw(&["LRANGE", "blist", "0", "-1"]), arr(&["foo"]));
}

#[test]
fn brpoplpush_inside_a_transaction() {
    let (_s, mut r) = setup();
    r.raw(&["DEL", "xlist", "target"]);
    r.raw(&["LPUSH", "xlist", "foo"]);
    r.raw(&["LPUSH", "xlist", "bar"]);
    r.raw(&["MULTI"]);
    r.raw(&["BRPOPLPUSH", "xlist", "target", "0"]);
    r.raw(&["BRPOPLPUSH", "xlist", "target", "0"]);
    r.raw(&["BRPOPLPUSH", "xlist", "target", "0"]);
    r.raw(&["LRANGE", "xlist", "0", "-1"]);
    r.raw(&["LRANGE", "target", "0", "-1"]);
    let exec = r.raw(&["EXEC"]);
    let expected = format!(
        "*5\r\n{}{}$-1\r\n*0\r\n{}",
        bulk("foo"),
        bulk("bar"),
        arr(&["bar", "foo"])
    );
    assert_eq!(exec, expected);
}

/// The common start of the two WATCH tests below: a client blocked in
/// BRPOPLPUSH srclist dstlist, and another that has WATCHed dstlist and
/// queued GET somekey in a MULTI. Returns (blocked, watching).
fn blocked_and_watching(s: &Server, r: &mut Conn) -> (Conn, Conn) {
    let mut blocked_client = Conn::db9(s);
    let mut watching_client = Conn::db9(s);
    r.raw(&["DEL", "srclist", "dstlist", "somekey"]);
    r.raw(&["SET", "somekey", "somevalue"]);
    blocked_client.send(&["BRPOPLPUSH", "srclist", "dstlist", "0"]);
    wait_blocked(s, 1);
    watching_client.send(&["WATCH", "dstlist"]);
    assert_eq!(watching_client.read(), "+OK\r\n");
    watching_client.send(&["MULTI"]);
    assert_eq!(watching_client.read(), "+OK\r\n");
    watching_client.send(&["GET", "somekey"]);
    assert_eq!(watching_client.read(), "+QUEUED\r\n");
    (blocked_client, watching_client)
}

#[test]
fn push_resulting_from_brpoplpush_affect_watch() {
    let (s, mut r) = setup();
    let (mut blocked_client, mut watching_client) =
        blocked_and_watching(&s, &mut r);
    r.raw(&["LPUSH", "srclist", "element"]);
    watching_client.send(&["EXEC"]);
    assert_eq!(watching_client.read(), "*-1\r\n");
    assert_eq!(blocked_client.read(), bulk("element"));
}

#[test]
fn brpoplpush_does_not_affect_watch_while_still_blocked() {
    let (s, mut r) = setup();
    let (mut blocked_client, mut watching_client) =
        blocked_and_watching(&s, &mut r);
    watching_client.send(&["EXEC"]);
    // Blocked BRPOPLPUSH may create problems, unblock it.
    r.raw(&["LPUSH", "srclist", "element"]);
    assert_eq!(watching_client.read(), format!("*1\r\n{}", bulk("somevalue")));
    assert_eq!(blocked_client.read(), bulk("element"));
}

#[test]
fn brpoplpush_timeout() {
    let (s, _r) = setup();
    let mut rd = Conn::db9(&s);
    rd.send(&["BRPOPLPUSH", "foo_list", "bar_list", "1"]);
    wait_blocked(&s, 1);
    rd.assert_no_reply(500);
    // A timed out BRPOPLPUSH replies a null multi bulk, as every blocked
    // list command does in 5.0 (replyToBlockedClientTimedOut()).
    assert_eq!(rd.read(), "*-1\r\n");
    assert_eq!(s.info("blocked_clients"), "0");
}

#[test]
fn blpop_when_new_key_is_moved_into_place() {
    let (s, mut r) = setup();
    let mut rd = Conn::db9(&s);
    rd.send(&["BLPOP", "foo", "5"]);
    wait_blocked(&s, 1);
    r.raw(&["LPUSH", "bob", "abc", "def", "hij"]);
    r.raw(&["RENAME", "bob", "foo"]);
    assert_eq!(rd.read(), kv("foo", "hij"));
}

#[test]
fn blpop_brpop_with_single_empty_list_argument() {
    let (s, mut r) = setup();
    for pop in ["BLPOP", "BRPOP"] {
        let mut rd = Conn::db9(&s);
        r.raw(&["DEL", "blist1"]);
        rd.send(&[pop, "blist1", "1"]);
        wait_blocked(&s, 1);
        r.raw(&["RPUSH", "blist1", "foo"]);
        assert_eq!(rd.read(), kv("blist1", "foo"));
        assert_eq!(r.raw(&["EXISTS", "blist1"]), ":0\r\n");
    }
}

#[test]
fn blpop_brpop_with_negative_and_non_integer_timeout() {
    let (s, _r) = setup();
    for pop in ["BLPOP", "BRPOP"] {
        let mut rd = Conn::db9(&s);
        rd.send(&[pop, "blist1", "-1"]);
        assert_eq!(rd.read(), "-ERR timeout is negative\r\n");
        rd.send(&[pop, "blist1", "1.1"]);
        assert_eq!(
            rd.read(),
            "-ERR timeout is not an integer or out of range\r\n"
        );
        rd.send(&[pop, "blist1", "99999999999999999999"]);
        assert_eq!(
            rd.read(),
            "-ERR timeout is not an integer or out of range\r\n"
        );
    }
    let mut rd = Conn::db9(&s);
    rd.send(&["BRPOPLPUSH", "blist1", "x", "-1"]);
    assert_eq!(rd.read(), "-ERR timeout is negative\r\n");
    rd.send(&["BRPOPLPUSH", "blist1", "x", "abc"]);
    assert_eq!(rd.read(), "-ERR timeout is not an integer or out of range\r\n");
    assert_eq!(s.info("blocked_clients"), "0");
}

#[test]
fn blpop_brpop_with_zero_timeout_should_block_indefinitely() {
    let (s, mut r) = setup();
    for pop in ["BLPOP", "BRPOP"] {
        let mut rd = Conn::db9(&s);
        rd.send(&[pop, "blist1", "0"]);
        wait_blocked(&s, 1);
        rd.assert_no_reply(1200);
        r.raw(&["RPUSH", "blist1", "foo"]);
        assert_eq!(rd.read(), kv("blist1", "foo"));
    }
}

#[test]
fn blpop_brpop_second_argument_is_not_a_list() {
    let (s, mut r) = setup();
    for pop in ["BLPOP", "BRPOP"] {
        let mut rd = Conn::db9(&s);
        r.raw(&["DEL", "blist1", "blist2"]);
        r.raw(&["SET", "blist2", "nolist"]);
        rd.send(&[pop, "blist1", "blist2", "1"]);
        assert_eq!(rd.read(), WRONGTYPE);
    }
}

#[test]
fn blpop_brpop_timeout() {
    let (s, mut r) = setup();
    for pop in ["BLPOP", "BRPOP"] {
        let mut rd = Conn::db9(&s);
        r.raw(&["DEL", "blist1", "blist2"]);
        // A timeout long enough that a loaded machine still sees the
        // client blocked before it fires (the Tcl test uses 1 s).
        rd.send(&[pop, "blist1", "blist2", "3"]);
        wait_blocked(&s, 1);
        rd.assert_no_reply(300);
        assert_eq!(rd.read(), "*-1\r\n");
        // After the timeout the client is a normal client again.
        rd.send(&["PING"]);
        assert_eq!(rd.read(), "+PONG\r\n");
        r.raw(&["RPUSH", "blist1", "late"]);
        rd.assert_no_reply(100);
        assert_eq!(r.raw(&["LRANGE", "blist1", "0", "-1"]), arr(&["late"]));
    }
}

#[test]
fn blpop_brpop_arguments_are_empty() {
    let (s, mut r) = setup();
    for pop in ["BLPOP", "BRPOP"] {
        let mut rd = Conn::db9(&s);
        r.raw(&["DEL", "blist1", "blist2"]);

        rd.send(&[pop, "blist1", "blist2", "1"]);
        wait_blocked(&s, 1);
        r.raw(&["RPUSH", "blist1", "foo"]);
        assert_eq!(rd.read(), kv("blist1", "foo"));
        assert_eq!(r.raw(&["EXISTS", "blist1"]), ":0\r\n");
        assert_eq!(r.raw(&["EXISTS", "blist2"]), ":0\r\n");

        rd.send(&[pop, "blist1", "blist2", "1"]);
        wait_blocked(&s, 1);
        r.raw(&["RPUSH", "blist2", "foo"]);
        assert_eq!(rd.read(), kv("blist2", "foo"));
        assert_eq!(r.raw(&["EXISTS", "blist1"]), ":0\r\n");
        assert_eq!(r.raw(&["EXISTS", "blist2"]), ":0\r\n");
    }
}

#[test]
fn blpop_inside_a_transaction() {
    let (s, mut r) = setup();
    r.raw(&["DEL", "xlist"]);
    r.raw(&["LPUSH", "xlist", "foo"]);
    r.raw(&["LPUSH", "xlist", "bar"]);
    r.raw(&["MULTI"]);
    r.raw(&["BLPOP", "xlist", "0"]);
    r.raw(&["BLPOP", "xlist", "0"]);
    r.raw(&["BLPOP", "xlist", "0"]);
    let exec = r.raw(&["EXEC"]);
    assert_eq!(
        exec,
        format!("*3\r\n{}{}*-1\r\n", kv("xlist", "bar"), kv("xlist", "foo"))
    );
    assert_eq!(s.info("blocked_clients"), "0");
}

#[test]
fn regression_for_bug_593_chaining_brpoplpush_with_other_blocking_cmds() {
    let (s, mut r) = setup();
    let mut rd1 = Conn::db9(&s);
    let mut rd2 = Conn::db9(&s);
    // The second BRPOPLPUSH of rd1 waits in its query buffer.
    rd1.send(&["BRPOPLPUSH", "a", "b", "0"]);
    rd1.send(&["BRPOPLPUSH", "a", "b", "0"]);
    wait_blocked(&s, 1);
    rd2.send(&["BRPOPLPUSH", "b", "c", "0"]);
    wait_blocked(&s, 2);
    r.raw(&["LPUSH", "a", "data"]);
    drop(rd1);
    drop(rd2);
    assert_eq!(r.raw(&["PING"]), "+PONG\r\n");
    assert_eq!(r.raw(&["LRANGE", "c", "0", "-1"]), arr(&["data"]));
}

// ------------------------------ blocked.c cases ------------------------------

#[test]
fn several_blocked_clients_are_served_fifo() {
    let (s, mut r) = setup();
    let mut clients: Vec<Conn> = (0..4).map(|_| Conn::db9(&s)).collect();
    for (i, d) in clients.iter_mut().enumerate() {
        d.send(&["BLPOP", "fifo", "0"]);
        wait_blocked(&s, i + 1);
    }
    // One push of three elements serves the three oldest clients, in the
    // order they blocked, each with the next element from the head.
    assert_eq!(r.raw(&["RPUSH", "fifo", "e1", "e2", "e3"]), ":3\r\n");
    assert_eq!(clients[0].read(), kv("fifo", "e1"));
    assert_eq!(clients[1].read(), kv("fifo", "e2"));
    assert_eq!(clients[2].read(), kv("fifo", "e3"));
    clients[3].assert_no_reply(100);
    assert_eq!(r.raw(&["EXISTS", "fifo"]), ":0\r\n");
    assert_eq!(s.info("blocked_clients"), "1");
    r.raw(&["RPUSH", "fifo", "e4", "e5"]);
    assert_eq!(clients[3].read(), kv("fifo", "e4"));
    // What no client took stays in the list.
    assert_eq!(r.raw(&["LRANGE", "fifo", "0", "-1"]), arr(&["e5"]));
}

#[test]
fn brpop_served_pops_from_the_tail_and_leaves_the_rest() {
    let (s, mut r) = setup();
    let mut rd = Conn::db9(&s);
    rd.send(&["BRPOP", "l1", "l2", "0"]);
    wait_blocked(&s, 1);
    r.raw(&["RPUSH", "l2", "a", "b", "c"]);
    assert_eq!(rd.read(), kv("l2", "c"));
    assert_eq!(r.raw(&["LRANGE", "l2", "0", "-1"]), arr(&["a", "b"]));
    // The client is no longer blocked on l1 either.
    r.raw(&["RPUSH", "l1", "x"]);
    rd.assert_no_reply(100);
    assert_eq!(r.raw(&["LRANGE", "l1", "0", "-1"]), arr(&["x"]));
}

#[test]
fn blocked_client_in_another_db_is_not_served_by_a_push_in_this_one() {
    let (s, mut r) = setup();
    let mut rd = Conn::db9(&s);
    rd.send(&["SELECT", "3"]);
    assert_eq!(rd.read(), "+OK\r\n");
    rd.send(&["BLPOP", "k", "0"]);
    wait_blocked(&s, 1);
    // r is in DB 9.
    r.raw(&["RPUSH", "k", "db9"]);
    rd.assert_no_reply(100);
    r.raw(&["SELECT", "3"]);
    r.raw(&["RPUSH", "k", "db3"]);
    assert_eq!(rd.read(), kv("k", "db3"));
    r.raw(&["SELECT", "9"]);
    assert_eq!(r.raw(&["LRANGE", "k", "0", "-1"]), arr(&["db9"]));
}

#[test]
fn swapdb_serves_clients_blocked_on_a_key_that_appears() {
    let (s, mut r) = setup();
    let mut rd = Conn::db9(&s);
    rd.send(&["BLPOP", "k", "0"]);
    wait_blocked(&s, 1);
    r.raw(&["SELECT", "2"]);
    r.raw(&["RPUSH", "k", "from2"]);
    assert_eq!(r.raw(&["SWAPDB", "2", "9"]), "+OK\r\n");
    assert_eq!(rd.read(), kv("k", "from2"));
}

#[test]
fn client_disconnecting_while_blocked_is_forgotten() {
    let (s, mut r) = setup();
    let mut rd1 = Conn::db9(&s);
    let mut rd2 = Conn::db9(&s);
    rd1.send(&["BLPOP", "k", "0"]);
    wait_blocked(&s, 1);
    rd2.send(&["BLPOP", "k", "0"]);
    wait_blocked(&s, 2);
    drop(rd1);
    wait_blocked(&s, 1);
    r.raw(&["RPUSH", "k", "v1", "v2"]);
    assert_eq!(rd2.read(), kv("k", "v1"));
    assert_eq!(r.raw(&["LRANGE", "k", "0", "-1"]), arr(&["v2"]));
}

#[test]
fn client_unblock_a_blpop_with_timeout_or_error() {
    let (s, mut r) = setup();
    let mut rd = Conn::db9(&s);
    rd.send(&["CLIENT", "ID"]);
    let id = rd.read();
    let id = id.trim_start_matches(':').trim_end().to_string();
    rd.send(&["BLPOP", "k", "0"]);
    wait_blocked(&s, 1);
    assert_eq!(r.raw(&["CLIENT", "UNBLOCK", &id]), ":1\r\n");
    assert_eq!(rd.read(), "*-1\r\n");
    assert_eq!(r.raw(&["CLIENT", "UNBLOCK", &id]), ":0\r\n");

    rd.send(&["BRPOPLPUSH", "k", "t", "0"]);
    wait_blocked(&s, 1);
    assert_eq!(r.raw(&["CLIENT", "UNBLOCK", &id, "ERROR"]), ":1\r\n");
    assert_eq!(rd.read(), "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
    // Unblocked clients are no longer waiting on the key.
    r.raw(&["RPUSH", "k", "v"]);
    rd.assert_no_reply(100);
    assert_eq!(r.raw(&["LRANGE", "k", "0", "-1"]), arr(&["v"]));
    assert_eq!(s.info("blocked_clients"), "0");
}

#[test]
fn commands_sent_while_blocked_run_after_the_unblock() {
    let (s, mut r) = setup();
    let mut rd = Conn::db9(&s);
    rd.send(&["BLPOP", "k", "0"]);
    wait_blocked(&s, 1);
    // Queued in the query buffer while blocked.
    rd.send(&["RPUSH", "other", "x"]);
    rd.send(&["PING"]);
    sleep(Duration::from_millis(100));
    assert_eq!(r.raw(&["EXISTS", "other"]), ":0\r\n");
    r.raw(&["RPUSH", "k", "v"]);
    assert_eq!(rd.read(), kv("k", "v"));
    assert_eq!(rd.read(), ":1\r\n");
    assert_eq!(rd.read(), "+PONG\r\n");
    assert_eq!(r.raw(&["LRANGE", "other", "0", "-1"]), arr(&["x"]));
}
