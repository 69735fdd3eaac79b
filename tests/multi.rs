//! MULTI/EXEC/DISCARD/WATCH, paraphrasing Redis 5.0.14's
//! tests/unit/multi.tcl (the replication-stream tests come with
//! replication), plus byte-exact checks of the replies.
//!
//! Each test talks raw RESP over a socket and compares the raw reply, so
//! the error texts and the null multi bulk of an aborted EXEC are checked
//! byte for byte. Like the Tcl suite, the client works in DB 9.

mod util;

use std::time::Duration;

use util::{Conn, Server};

const OK: &str = "+OK\r\n";
const QUEUED: &str = "+QUEUED\r\n";
const PONG_EXEC: &str = "*1\r\n+PONG\r\n";
const NULL_MULTI_BULK: &str = "*-1\r\n";
const EXECABORT: &str =
    "-EXECABORT Transaction discarded because of previous errors.\r\n";

/// MULTI, PING, EXEC: the EXEC reply.
fn multi_ping_exec(c: &mut Conn) -> String {
    assert_eq!(c.raw(&["multi"]), OK);
    assert_eq!(c.raw(&["ping"]), QUEUED);
    c.raw(&["exec"])
}

/// Runs `cmds` on a DB 9 client of a new server, then MULTI, PING, EXEC,
/// and returns the EXEC reply: the shape of the WATCH tests (set up,
/// WATCH, touch the key or not, see whether EXEC runs).
fn exec_after(cmds: &[&[&str]]) -> String {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    for args in cmds {
        r.raw(args);
    }
    multi_ping_exec(&mut r)
}

#[test]
fn multi_exec_basics() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    r.raw(&["del", "mylist"]);
    r.raw(&["rpush", "mylist", "a"]);
    r.raw(&["rpush", "mylist", "b"]);
    r.raw(&["rpush", "mylist", "c"]);
    assert_eq!(r.raw(&["multi"]), OK);
    assert_eq!(r.raw(&["lrange", "mylist", "0", "-1"]), QUEUED);
    assert_eq!(r.raw(&["ping"]), QUEUED);
    assert_eq!(
        r.raw(&["exec"]),
        "*2\r\n*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n+PONG\r\n"
    );
}

#[test]
fn multi_exec_runs_the_queue_in_order_with_each_reply() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    assert_eq!(r.raw(&["multi"]), OK);
    assert_eq!(r.raw(&["set", "a", "1"]), QUEUED);
    assert_eq!(r.raw(&["incr", "a"]), QUEUED);
    assert_eq!(r.raw(&["get", "a"]), QUEUED);
    assert_eq!(r.raw(&["incr", "nosuchint:a"]), QUEUED);
    assert_eq!(r.raw(&["exec"]), "*4\r\n+OK\r\n:2\r\n$1\r\n2\r\n:1\r\n");
    // An empty transaction is an empty multi bulk.
    assert_eq!(r.raw(&["multi"]), OK);
    assert_eq!(r.raw(&["exec"]), "*0\r\n");
    // A runtime error inside EXEC is one reply; the rest still runs.
    r.raw(&["set", "s", "str"]);
    assert_eq!(r.raw(&["multi"]), OK);
    assert_eq!(r.raw(&["incr", "s"]), QUEUED);
    assert_eq!(r.raw(&["set", "after", "1"]), QUEUED);
    assert_eq!(
        r.raw(&["exec"]),
        "*2\r\n-ERR value is not an integer or out of range\r\n+OK\r\n"
    );
    assert_eq!(r.raw(&["get", "after"]), "$1\r\n1\r\n");
}

#[test]
fn discard() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    r.raw(&["del", "mylist"]);
    r.raw(&["rpush", "mylist", "a"]);
    r.raw(&["rpush", "mylist", "b"]);
    r.raw(&["rpush", "mylist", "c"]);
    assert_eq!(r.raw(&["multi"]), OK);
    assert_eq!(r.raw(&["del", "mylist"]), QUEUED);
    assert_eq!(r.raw(&["discard"]), OK);
    assert_eq!(
        r.raw(&["lrange", "mylist", "0", "-1"]),
        "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"
    );
}

#[test]
fn exec_and_discard_without_multi_are_errors() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    assert_eq!(r.raw(&["exec"]), "-ERR EXEC without MULTI\r\n");
    assert_eq!(r.raw(&["discard"]), "-ERR DISCARD without MULTI\r\n");
    // After DISCARD the client is out of MULTI: EXEC is an error again.
    assert_eq!(r.raw(&["multi"]), OK);
    assert_eq!(r.raw(&["discard"]), OK);
    assert_eq!(r.raw(&["exec"]), "-ERR EXEC without MULTI\r\n");
    assert_eq!(
        r.raw(&["multi", "x"]),
        "-ERR wrong number of arguments for 'multi' command\r\n"
    );
    assert_eq!(
        r.raw(&["watch"]),
        "-ERR wrong number of arguments for 'watch' command\r\n"
    );
}

#[test]
fn nested_multi_are_not_allowed() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    assert_eq!(r.raw(&["multi"]), OK);
    assert_eq!(r.raw(&["multi"]), "-ERR MULTI calls can not be nested\r\n");
    // The nested MULTI does not abort the transaction.
    assert_eq!(r.raw(&["exec"]), "*0\r\n");
}

#[test]
fn multi_where_commands_alter_argc_argv() {
    // The Tcl test uses SPOP, which is propagated as SREM. EXPIRE with a
    // time in the past rewrites itself as DEL the same way.
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    r.raw(&["set", "k", "v"]);
    assert_eq!(r.raw(&["multi"]), OK);
    assert_eq!(r.raw(&["expire", "k", "-1"]), QUEUED);
    assert_eq!(r.raw(&["exists", "k"]), QUEUED);
    assert_eq!(r.raw(&["exec"]), "*2\r\n:1\r\n:0\r\n");
    assert_eq!(r.raw(&["exists", "k"]), ":0\r\n");
}

#[test]
fn multi_where_commands_alter_argc_argv_spop() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    r.raw(&["sadd", "myset", "a"]);
    assert_eq!(r.raw(&["multi"]), OK);
    assert_eq!(r.raw(&["spop", "myset"]), QUEUED);
    assert_eq!(r.raw(&["exec"]), "*1\r\n$1\r\na\r\n");
    assert_eq!(r.raw(&["exists", "myset"]), ":0\r\n");
}

#[test]
fn watch_inside_multi_is_not_allowed() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    assert_eq!(r.raw(&["multi"]), OK);
    assert_eq!(
        r.raw(&["watch", "x"]),
        "-ERR WATCH inside MULTI is not allowed\r\n"
    );
    // Not an abort either.
    assert_eq!(r.raw(&["exec"]), "*0\r\n");
}

#[test]
fn exec_fails_if_there_are_errors_while_queueing_commands_1() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    r.raw(&["del", "foo1", "foo2"]);
    assert_eq!(r.raw(&["multi"]), OK);
    assert_eq!(r.raw(&["set", "foo1", "bar1"]), QUEUED);
    assert_eq!(
        r.raw(&["non-existing-command"]),
        "-ERR unknown command `non-existing-command`, with args beginning with: \r\n"
    );
    assert_eq!(r.raw(&["set", "foo2", "bar2"]), QUEUED);
    assert_eq!(r.raw(&["exec"]), EXECABORT);
    assert_eq!(r.raw(&["exists", "foo1"]), ":0\r\n");
    assert_eq!(r.raw(&["exists", "foo2"]), ":0\r\n");
}

#[test]
fn exec_fails_if_a_queued_command_has_the_wrong_arity() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    assert_eq!(r.raw(&["multi"]), OK);
    assert_eq!(r.raw(&["set", "foo1", "bar1"]), QUEUED);
    assert_eq!(
        r.raw(&["set", "foo2"]),
        "-ERR wrong number of arguments for 'set' command\r\n"
    );
    assert_eq!(r.raw(&["exec"]), EXECABORT);
    assert_eq!(r.raw(&["exists", "foo1"]), ":0\r\n");
}

#[test]
fn if_exec_aborts_the_client_multi_state_is_cleared() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    r.raw(&["del", "foo1", "foo2"]);
    assert_eq!(r.raw(&["multi"]), OK);
    assert_eq!(r.raw(&["set", "foo1", "bar1"]), QUEUED);
    r.raw(&["non-existing-command"]);
    assert_eq!(r.raw(&["set", "foo2", "bar2"]), QUEUED);
    assert_eq!(r.raw(&["exec"]), EXECABORT);
    assert_eq!(r.raw(&["ping"]), "+PONG\r\n");
}

#[test]
fn exec_works_on_watched_key_not_modified() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    assert_eq!(r.raw(&["watch", "x", "y", "z"]), OK);
    assert_eq!(r.raw(&["watch", "k"]), OK);
    assert_eq!(multi_ping_exec(&mut r), PONG_EXEC);
}

#[test]
fn exec_fail_on_watched_key_modified_1_key_of_1_watched() {
    let exec = exec_after(&[
        &["set", "x", "30"],
        &["watch", "x"],
        &["set", "x", "40"],
    ]);
    assert_eq!(exec, NULL_MULTI_BULK);
}

#[test]
fn exec_fail_on_watched_key_modified_1_key_of_5_watched() {
    let exec = exec_after(&[
        &["set", "x", "30"],
        &["watch", "a", "b", "x", "k", "z"],
        &["set", "x", "40"],
    ]);
    assert_eq!(exec, NULL_MULTI_BULK);
}

#[test]
fn exec_fail_on_watched_key_modified_by_another_client() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    let mut other = Conn::db9(&server);
    r.raw(&["set", "x", "30"]);
    r.raw(&["watch", "x"]);
    assert_eq!(r.raw(&["multi"]), OK);
    assert_eq!(r.raw(&["set", "x", "mine"]), QUEUED);
    other.raw(&["set", "x", "theirs"]);
    assert_eq!(r.raw(&["exec"]), NULL_MULTI_BULK);
    assert_eq!(r.raw(&["get", "x"]), "$6\r\ntheirs\r\n");
    // A modification of the same key name in another DB does not count.
    r.raw(&["watch", "x"]);
    other.raw(&["select", "3"]);
    other.raw(&["set", "x", "elsewhere"]);
    assert_eq!(multi_ping_exec(&mut r), PONG_EXEC);
}

#[test]
fn exec_fail_on_watched_key_modified_by_sort_with_store_even_if_the_result_is_empty(
) {
    let exec = exec_after(&[
        &["flushdb"],
        &["lpush", "foo", "bar"],
        &["watch", "foo"],
        &["sort", "emptylist", "store", "foo"],
    ]);
    assert_eq!(exec, NULL_MULTI_BULK);
}

#[test]
fn after_successful_exec_key_is_no_longer_watched() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    r.raw(&["set", "x", "30"]);
    r.raw(&["watch", "x"]);
    assert_eq!(multi_ping_exec(&mut r), PONG_EXEC);
    r.raw(&["set", "x", "40"]);
    assert_eq!(multi_ping_exec(&mut r), PONG_EXEC);
}

#[test]
fn after_failed_exec_key_is_no_longer_watched() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    r.raw(&["set", "x", "30"]);
    r.raw(&["watch", "x"]);
    r.raw(&["set", "x", "40"]);
    assert_eq!(multi_ping_exec(&mut r), NULL_MULTI_BULK);
    r.raw(&["set", "x", "40"]);
    assert_eq!(multi_ping_exec(&mut r), PONG_EXEC);
}

#[test]
fn it_is_possible_to_unwatch() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    r.raw(&["set", "x", "30"]);
    r.raw(&["watch", "x"]);
    r.raw(&["set", "x", "40"]);
    assert_eq!(r.raw(&["unwatch"]), OK);
    assert_eq!(multi_ping_exec(&mut r), PONG_EXEC);
}

#[test]
fn unwatch_when_there_is_nothing_watched_works_as_expected() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    assert_eq!(r.raw(&["unwatch"]), OK);
}

#[test]
fn flushall_is_able_to_touch_the_watched_keys() {
    let exec =
        exec_after(&[&["set", "x", "30"], &["watch", "x"], &["flushall"]]);
    assert_eq!(exec, NULL_MULTI_BULK);
}

#[test]
fn flushall_does_not_touch_non_affected_keys() {
    let exec = exec_after(&[&["del", "x"], &["watch", "x"], &["flushall"]]);
    assert_eq!(exec, PONG_EXEC);
}

#[test]
fn flushdb_is_able_to_touch_the_watched_keys() {
    let exec =
        exec_after(&[&["set", "x", "30"], &["watch", "x"], &["flushdb"]]);
    assert_eq!(exec, NULL_MULTI_BULK);
}

#[test]
fn flushdb_does_not_touch_non_affected_keys() {
    let exec = exec_after(&[&["del", "x"], &["watch", "x"], &["flushdb"]]);
    assert_eq!(exec, PONG_EXEC);
}

#[test]
fn flushdb_of_another_db_does_not_touch_the_watched_keys() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    let mut other = Conn::db9(&server);
    r.raw(&["set", "x", "30"]);
    r.raw(&["watch", "x"]);
    other.raw(&["select", "2"]);
    other.raw(&["set", "x", "30"]);
    other.raw(&["flushdb"]);
    assert_eq!(multi_ping_exec(&mut r), PONG_EXEC);
    // ... while FLUSHALL from another client does.
    r.raw(&["watch", "x"]);
    other.raw(&["flushall"]);
    assert_eq!(multi_ping_exec(&mut r), NULL_MULTI_BULK);
}

#[test]
fn watch_is_able_to_remember_the_db_a_key_belongs_to() {
    let exec = exec_after(&[
        &["select", "5"],
        &["set", "x", "30"],
        &["watch", "x"],
        &["select", "1"],
        &["set", "x", "10"],
        &["select", "5"],
    ]);
    assert_eq!(exec, PONG_EXEC);
}

#[test]
fn watch_will_consider_touched_keys_target_of_expire() {
    let exec = exec_after(&[
        &["del", "x"],
        &["set", "x", "foo"],
        &["watch", "x"],
        &["expire", "x", "10"],
    ]);
    assert_eq!(exec, NULL_MULTI_BULK);
}

#[test]
fn watch_will_not_consider_touched_expired_keys() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    r.raw(&["del", "x"]);
    r.raw(&["set", "x", "foo"]);
    r.raw(&["expire", "x", "1"]);
    r.raw(&["watch", "x"]);
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(multi_ping_exec(&mut r), PONG_EXEC);
}

#[test]
fn discard_should_clear_the_watch_dirty_flag_on_the_client() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    r.raw(&["watch", "x"]);
    r.raw(&["set", "x", "10"]);
    assert_eq!(r.raw(&["multi"]), OK);
    assert_eq!(r.raw(&["discard"]), OK);
    assert_eq!(r.raw(&["multi"]), OK);
    assert_eq!(r.raw(&["incr", "x"]), QUEUED);
    assert_eq!(r.raw(&["exec"]), "*1\r\n:11\r\n");
}

#[test]
fn discard_should_unwatch_all_the_keys() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    r.raw(&["watch", "x"]);
    r.raw(&["set", "x", "10"]);
    assert_eq!(r.raw(&["multi"]), OK);
    assert_eq!(r.raw(&["discard"]), OK);
    r.raw(&["set", "x", "10"]);
    assert_eq!(r.raw(&["multi"]), OK);
    assert_eq!(r.raw(&["incr", "x"]), QUEUED);
    assert_eq!(r.raw(&["exec"]), "*1\r\n:11\r\n");
}

#[test]
fn unwatch_all_keys_when_a_watching_client_disconnects() {
    // freeClient() unwatches: the watched_keys map must not keep the id
    // of a freed client, and other watchers of the key still work.
    let server = Server::start(&[]);
    let mut a = Conn::db9(&server);
    let mut b = Conn::db9(&server);
    a.raw(&["watch", "x", "y"]);
    b.raw(&["watch", "x"]);
    drop(a);
    let mut w = Conn::db9(&server);
    util::wait_for(Duration::from_secs(5), || {
        w.raw(&["client", "list"]).matches("id=").count() == 2
    });
    w.raw(&["set", "x", "1"]);
    assert_eq!(multi_ping_exec(&mut b), NULL_MULTI_BULK);
}

#[test]
fn client_list_shows_the_multi_state() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    assert_eq!(r.raw(&["multi"]), OK);
    assert_eq!(r.raw(&["ping"]), QUEUED);
    assert_eq!(r.raw(&["client", "list"]), QUEUED);
    let exec = r.raw(&["exec"]);
    // Inside EXEC the client is still in MULTI with its two commands.
    assert!(exec.contains(" flags=x "), "{exec}");
    assert!(exec.contains(" multi=2 "), "{exec}");
    let after = r.raw(&["client", "list"]);
    assert!(
        after.contains(" flags=N ") && after.contains(" multi=-1 "),
        "{after}"
    );
}

#[test]
fn exec_is_counted_and_each_queued_command_too() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    assert_eq!(r.raw(&["multi"]), OK);
    r.raw(&["set", "a", "1"]);
    r.raw(&["set", "a", "2"]);
    assert_eq!(r.raw(&["exec"]), "*2\r\n+OK\r\n+OK\r\n");
    let stats = r.raw(&["info", "commandstats"]);
    assert!(stats.contains("cmdstat_exec:calls=1,"), "{stats}");
    assert!(stats.contains("cmdstat_set:calls=2,"), "{stats}");
    assert!(stats.contains("cmdstat_multi:calls=1,"), "{stats}");
}

#[test]
fn monitor_sees_multi_the_commands_then_exec() {
    // EXEC is flagged "M" and fed to MONITOR by execCommand after the
    // queued commands, so a monitor sees them in the order they ran.
    let server = Server::start(&[]);
    let mut mon = Conn::new(&server);
    assert_eq!(mon.raw(&["monitor"]), OK);
    let mut r = Conn::db9(&server);
    assert_eq!(r.raw(&["multi"]), OK);
    r.raw(&["set", "foo", "bar"]);
    assert_eq!(r.raw(&["exec"]), "*1\r\n+OK\r\n");
    let mut lines = Vec::new();
    for _ in 0..4 {
        let line = mon.read();
        lines.push(
            line.split_once("] ").map(|x| x.1.to_string()).unwrap_or(line),
        );
    }
    assert_eq!(
        lines,
        [
            "\"select\" \"9\"\r\n",
            "\"multi\"\r\n",
            "\"set\" \"foo\" \"bar\"\r\n",
            "\"exec\"\r\n"
        ]
    );
}

#[test]
fn exec_with_write_commands_fails_on_a_read_only_replica() {
    // A transaction started on a master that became a read-only replica
    // before EXEC: the 5.0 check inside execCommand.
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    assert_eq!(r.raw(&["multi"]), OK);
    assert_eq!(r.raw(&["set", "foo", "bar"]), QUEUED);
    let mut admin = Conn::new(&server);
    // Nothing listens on port 1: the replica never connects, which is
    // fine for this check.
    assert_eq!(admin.raw(&["replicaof", "127.0.0.1", "1"]), OK);
    assert_eq!(
        r.raw(&["exec"]),
        "-ERR Transaction contains write commands but instance is now a read-only slave. EXEC aborted.\r\n"
    );
    // The transaction is gone, and a read-only one still runs.
    assert_eq!(r.raw(&["exec"]), "-ERR EXEC without MULTI\r\n");
    assert_eq!(r.raw(&["multi"]), OK);
    assert_eq!(r.raw(&["get", "foo"]), QUEUED);
    assert_eq!(r.raw(&["exec"]), "*1\r\n$-1\r\n");
}

#[test]
fn exec_counts_one_more_change_when_it_propagates_multi_exec() {
    // The replication-stream tests of multi.tcl need a replica; what they
    // check is mirrored in server.dirty: execCommand bumps it once more
    // (so that call() propagates EXEC) exactly when it propagated MULTI,
    // i.e. when the transaction held a command neither read-only nor
    // administrative.
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);

    // single write command: SET's change plus EXEC's.
    let before = r.dirty();
    assert_eq!(r.raw(&["multi"]), OK);
    r.raw(&["set", "foo", "bar"]);
    assert_eq!(r.raw(&["exec"]), "*1\r\n+OK\r\n");
    assert_eq!(r.dirty() - before, 2);

    // empty transaction: nothing.
    let before = r.dirty();
    assert_eq!(r.raw(&["multi"]), OK);
    assert_eq!(r.raw(&["exec"]), "*0\r\n");
    assert_eq!(r.dirty() - before, 0);

    // read-only commands: nothing.
    let before = r.dirty();
    assert_eq!(r.raw(&["multi"]), OK);
    r.raw(&["get", "foo"]);
    assert_eq!(r.raw(&["exec"]), "*1\r\n$3\r\nbar\r\n");
    assert_eq!(r.dirty() - before, 0);

    // PING is neither "r" nor "a" in 5.0's table, so it counts as a write
    // here (5.0.14 propagates MULTI/EXEC around it too).
    let before = r.dirty();
    assert_eq!(r.raw(&["multi"]), OK);
    r.raw(&["ping"]);
    assert_eq!(r.raw(&["exec"]), PONG_EXEC);
    assert_eq!(r.dirty() - before, 1);

    // write command, no effect: MULTI and EXEC still go out.
    r.raw(&["del", "bar"]);
    let before = r.dirty();
    assert_eq!(r.raw(&["multi"]), OK);
    r.raw(&["del", "bar"]);
    assert_eq!(r.raw(&["exec"]), "*1\r\n:0\r\n");
    assert_eq!(r.dirty() - before, 1);

    // an aborted EXEC propagates nothing.
    let before = r.dirty();
    assert_eq!(r.raw(&["multi"]), OK);
    r.raw(&["set", "foo"]);
    assert_eq!(r.raw(&["exec"]), EXECABORT);
    assert_eq!(r.dirty() - before, 0);
}

// ------------- a client's own effects while it runs its commands -------------
//
// oxredis takes the running client out of the client table, so a WATCH
// flag it sets on itself, or that a blocked client served on its behalf
// sets, waits until it can be applied (networking.rs,
// `apply_detached_effects`). These check that it is applied in time; the
// replies are byte for byte those of a real 5.0.14.

/// Sends `cmds` in one write, so the server runs them in one go, and
/// returns all their replies.
fn pipeline(c: &mut Conn, cmds: &[&[&str]]) -> String {
    let mut out = Vec::new();
    for args in cmds {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        out.extend(util::encode_command(&a));
    }
    util::send_raw(&mut c.stream, &out);
    cmds.iter().map(|_| c.read()).collect()
}

#[test]
fn exec_fails_after_touching_its_own_watched_key_in_the_same_pipeline() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    let watch_set: [&[&str]; 2] = [&["watch", "x"], &["set", "x", "1"]];
    let mut cmds = watch_set.to_vec();
    cmds.extend_from_slice(&[&["multi"], &["ping"], &["exec"]]);
    assert_eq!(
        pipeline(&mut r, &cmds),
        "+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*-1\r\n"
    );
    // UNWATCH, and DISCARD, clear the flag set by the same pipeline.
    let mut cmds = watch_set.to_vec();
    cmds.extend_from_slice(&[&["unwatch"], &["multi"], &["ping"], &["exec"]]);
    assert_eq!(
        pipeline(&mut r, &cmds),
        "+OK\r\n+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n"
    );
    let mut cmds = watch_set.to_vec();
    cmds.extend_from_slice(&[
        &["multi"],
        &["discard"],
        &["multi"],
        &["ping"],
        &["exec"],
    ]);
    assert_eq!(
        pipeline(&mut r, &cmds),
        "+OK\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n"
    );
}

#[test]
fn client_list_shows_the_dirty_flag_of_a_client_that_touched_its_watched_key() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    assert_eq!(r.raw(&["watch", "x"]), OK);
    assert_eq!(r.raw(&["set", "x", "1"]), OK);
    let list = r.raw(&["client", "list"]);
    assert!(list.contains(" flags=d db=9 "), "{list}");
    assert_eq!(r.raw(&["unwatch"]), OK);
    let list = r.raw(&["client", "list"]);
    assert!(list.contains(" flags=N db=9 "), "{list}");
}

#[test]
fn exec_fails_when_a_blocked_client_served_by_our_push_touches_a_watched_key() {
    // The push serves BRPOPLPUSH of another client while ours runs; that
    // client's push into dst touches the key we watch.
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    let mut b = Conn::db9(&server);
    assert_eq!(r.raw(&["watch", "dst"]), OK);
    b.send(&["brpoplpush", "src", "dst", "0"]);
    util::wait_for(Duration::from_secs(5), || {
        r.raw(&["info", "clients"]).contains("blocked_clients:1")
    });
    let cmds: [&[&str]; 4] =
        [&["rpush", "src", "x"], &["multi"], &["ping"], &["exec"]];
    assert_eq!(pipeline(&mut r, &cmds), ":1\r\n+OK\r\n+QUEUED\r\n*-1\r\n");
    assert_eq!(b.read(), "$1\r\nx\r\n");
}
