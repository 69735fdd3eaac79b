//! Streams: every X command's replies and errors, byte for byte as Redis
//! 5.0.14 sends them (the expected replies below were recorded from
//! 5.0.14's redis-server), XREAD/XREADGROUP BLOCK with concurrent clients
//! and timeouts, keyspace events, a Redis 7.0 replica and a Redis 7.0
//! master with streams (equal DEBUG DIGEST), RDB and AOF round trips, an
//! RDB written by 5.0.14, and hostile input.

mod util;

use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use util::{
    assert_keyevents, find_binary, wait_caught_up, wait_for, wait_for_ofs_sync,
    Conn, Server,
};

// ------------------------------- helpers --------------------------------

/// Masks what depends on the clock: in XPENDING's extended form the idle
/// time (the first of two integers in a row), in XINFO CONSUMERS the
/// integer after "idle".
fn mask_idle(reply: &str) -> String {
    let lines: Vec<&str> = reply.split("\r\n").collect();
    let mut out = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        let next_int = lines.get(i + 1).is_some_and(|n| n.starts_with(':'));
        let after_idle = i > 0 && lines[i - 1] == "idle";
        if l.starts_with(':') && (next_int || after_idle) {
            out.push(":_");
        } else {
            out.push(l);
        }
    }
    out.join("\r\n")
}

/// Runs each command of `script` on one connection and checks its raw
/// reply (idle times masked, see `mask_idle`).
#[track_caller]
fn check_script(r: &mut Conn, script: &[(&[&str], &str)]) {
    for (cmd, want) in script {
        let got = r.raw(cmd);
        assert_eq!(mask_idle(&got), mask_idle(want), "{cmd:?}");
    }
}

fn digest(s: &Server) -> String {
    s.cmd_str(&["DEBUG", "DIGEST"])
}

fn asset(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/assets").join(name)
}

/// A stream state with every part 5.0 keeps: several listpack nodes,
/// entries deleted inside a node, entries with their own fields, integer
/// and binary values, two groups, a PEL over three consumers (one entry
/// acked, one claimed with a fixed time and retry count), an empty stream
/// with a group, a stream trimmed to nothing with a moved last ID.
fn populate(r: &mut Conn) {
    for cmd in [
        &["config", "set", "stream-node-max-entries", "4"][..],
        &["xadd", "s1", "1-1", "name", "a", "n", "1"],
        &["xadd", "s1", "1-2", "name", "b", "n", "2"],
        &["xadd", "s1", "1-3", "other", "c"],
        &["xadd", "s1", "2-0", "name", "d", "n", "12345"],
        &["xadd", "s1", "3-0", "name", "e", "n", "-7"],
        &["xadd", "s1", "4-0", "name", "f", "n", "x"],
        &["xadd", "s1", "5-0", "name", "g", "n", "y"],
        &["xadd", "s1", "6-0", "bin", "\0\u{ff}"],
        &["xdel", "s1", "2-0", "5-0"],
        &["xgroup", "create", "s1", "g1", "0"],
        &["xgroup", "create", "s1", "g2", "$"],
        &[
            "xreadgroup",
            "group",
            "g1",
            "alice",
            "count",
            "2",
            "streams",
            "s1",
            ">",
        ],
        &[
            "xreadgroup",
            "group",
            "g1",
            "bob",
            "count",
            "2",
            "streams",
            "s1",
            ">",
        ],
        &["xack", "s1", "g1", "1-1"],
        &[
            "xclaim",
            "s1",
            "g1",
            "carol",
            "0",
            "3-0",
            "time",
            "1600000000000",
            "retrycount",
            "5",
            "justid",
        ],
        &["xgroup", "create", "empty", "g", "0", "mkstream"],
        &["xadd", "trimmed", "1-0", "a", "1"],
        &["xadd", "trimmed", "2-0", "a", "2"],
        &["xtrim", "trimmed", "maxlen", "0"],
        &["xsetid", "trimmed", "10-10"],
    ] {
        let reply = r.raw(cmd);
        assert!(!reply.starts_with('-'), "{cmd:?}: {reply}");
    }
    for i in 0..300 {
        let v = format!("value-{i}");
        r.raw(&[
            "xadd",
            "big",
            "maxlen",
            "~",
            "100",
            "*",
            "f",
            &v,
            "i",
            &i.to_string(),
        ]);
    }
}

/// Compares two snapshots of (digest, state, group_state), item by item.
#[track_caller]
fn assert_same(
    a: &(String, Vec<String>, Vec<String>),
    b: &(String, Vec<String>, Vec<String>),
) {
    for (i, (x, y)) in a.1.iter().zip(&b.1).enumerate() {
        assert_eq!(x, y, "state item {i}");
    }
    for (i, (x, y)) in a.2.iter().zip(&b.2).enumerate() {
        assert_eq!(x, y, "group state item {i}");
    }
    assert_eq!(a.0, b.0, "digest");
}

/// What `populate` built, as the replies that show the whole state (PEL
/// idle times masked).
fn state(r: &mut Conn) -> Vec<String> {
    [
        &["xrange", "s1", "-", "+"][..],
        &["xrange", "big", "-", "+"],
        &["xpending", "s1", "g1"],
        &["xpending", "s1", "g1", "-", "+", "10"],
        &["xinfo", "groups", "s1"],
        &["xinfo", "groups", "empty"],
        &["xinfo", "stream", "trimmed"],
        &["xinfo", "stream", "empty"],
        &["xlen", "big"],
        &["xinfo", "consumers", "s1", "g1"],
    ]
    .iter()
    .map(|c| mask_idle(&r.raw(c)))
    .collect()
}

// ------------------------- replies, as 5.0.14's --------------------------

#[test]
fn xadd_xrange_xlen_xdel_xtrim_xsetid_xinfo_replies_are_5_0_14s() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    check_script(&mut r, BASICS);
    assert_eq!(r.raw(&["ping"]), "+PONG\r\n");
}

#[test]
fn consumer_group_replies_are_5_0_14s() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    check_script(&mut r, GROUPS);
    assert_eq!(r.raw(&["ping"]), "+PONG\r\n");
}

#[test]
fn multi_extreme_ids_binary_and_integer_values_are_5_0_14s() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    check_script(&mut r, EDGES);
    assert_eq!(r.raw(&["ping"]), "+PONG\r\n");
}

/// Every stream command against a key of another type says WRONGTYPE (and
/// XADD leaves it alone).
#[test]
fn wrong_type_for_every_stream_command() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    r.raw(&["rpush", "l", "a"]);
    let wt = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    for cmd in [
        &["xadd", "l", "*", "a", "1"][..],
        &["xrange", "l", "-", "+"],
        &["xrevrange", "l", "+", "-"],
        &["xlen", "l"],
        &["xread", "streams", "l", "0"],
        &["xread", "block", "10", "streams", "l", "0"],
        &["xreadgroup", "group", "g", "c", "streams", "l", ">"],
        &["xgroup", "create", "l", "g", "0"],
        &["xgroup", "create", "l", "g", "0", "mkstream"],
        &["xsetid", "l", "1-1"],
        &["xack", "l", "g", "1-1"],
        &["xpending", "l", "g"],
        &["xclaim", "l", "g", "c", "0", "1-1"],
        &["xinfo", "stream", "l"],
        &["xdel", "l", "1-1"],
        &["xtrim", "l", "maxlen", "0"],
    ] {
        assert_eq!(r.raw(cmd), wt, "{cmd:?}");
    }
    assert_eq!(r.raw(&["type", "l"]), "+list\r\n");
    assert_eq!(r.raw(&["llen", "l"]), ":1\r\n");
}

/// Arity errors as the command table of 5.0.14 gives them, and COMMAND
/// INFO of the X commands (flags, key positions).
#[test]
fn arity_and_command_info() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    for (cmd, name) in [
        (&["xadd", "s", "*", "a"][..], "xadd"),
        (&["xrange", "s", "-"], "xrange"),
        (&["xrevrange", "s", "+"], "xrevrange"),
        (&["xlen"], "xlen"),
        (&["xread", "streams", "s"], "xread"),
        (&["xreadgroup", "group", "g", "c", "streams", "s"], "xreadgroup"),
        (&["xgroup"], "xgroup"),
        (&["xsetid", "s"], "xsetid"),
        (&["xack", "s", "g"], "xack"),
        (&["xpending", "s"], "xpending"),
        (&["xclaim", "s", "g", "c", "0"], "xclaim"),
        (&["xinfo"], "xinfo"),
        (&["xdel", "s"], "xdel"),
        (&["xtrim"], "xtrim"),
    ] {
        assert_eq!(
            r.raw(cmd),
            format!("-ERR wrong number of arguments for '{name}' command\r\n")
        );
    }
    assert_eq!(
        r.raw(&["command", "info", "xadd", "xreadgroup", "xgroup", "xinfo"]),
        "*4\r\n\
         *6\r\n$4\r\nxadd\r\n:-5\r\n*4\r\n+write\r\n+denyoom\r\n+random\r\n+fast\r\n:1\r\n:1\r\n:1\r\n\
         *6\r\n$10\r\nxreadgroup\r\n:-7\r\n*3\r\n+write\r\n+noscript\r\n+movablekeys\r\n:1\r\n:1\r\n:1\r\n\
         *6\r\n$6\r\nxgroup\r\n:-2\r\n*2\r\n+write\r\n+denyoom\r\n:2\r\n:2\r\n:1\r\n\
         *6\r\n$5\r\nxinfo\r\n:-2\r\n*2\r\n+readonly\r\n+random\r\n:2\r\n:2\r\n:1\r\n"
    );
    assert_eq!(
        r.raw(&[
            "command", "getkeys", "xread", "count", "2", "streams", "a", "b",
            "0", "0"
        ]),
        "*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    );
    assert_eq!(
        r.raw(&[
            "command",
            "getkeys",
            "xreadgroup",
            "group",
            "streams",
            "c",
            "streams",
            "k",
            ">"
        ]),
        "*1\r\n$1\r\nk\r\n"
    );
}

/// The stream-node-max-entries and stream-node-max-bytes settings decide
/// where a new listpack node starts (radix-tree-keys of XINFO STREAM).
#[test]
fn node_size_settings_shape_the_radix_tree() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    assert_eq!(
        r.raw(&["config", "set", "stream-node-max-entries", "10"]),
        "+OK\r\n"
    );
    for i in 1..=35 {
        r.raw(&["xadd", "s", &format!("{i}-0"), "f", "v"]);
    }
    let info = r.r(&["xinfo", "stream", "s"]).flat();
    assert_eq!(info[3], "4", "{info:?}"); // radix-tree-keys
    assert_eq!(
        r.raw(&["config", "set", "stream-node-max-entries", "0"]),
        "+OK\r\n"
    );
    assert_eq!(
        r.raw(&["config", "set", "stream-node-max-bytes", "200"]),
        "+OK\r\n"
    );
    let v = "x".repeat(60);
    for i in 1..=10 {
        r.raw(&["xadd", "t", &format!("{i}-0"), "f", &v]);
    }
    let info = r.r(&["xinfo", "stream", "t"]).flat();
    assert_eq!(info[3], "5", "{info:?}");
    assert_eq!(
        r.bulks(&["config", "get", "stream-node-max-*"]),
        ["stream-node-max-bytes", "200", "stream-node-max-entries", "0"]
    );
    // Trimming by whole nodes with ~ and exactly with =, propagated as
    // MAXLEN = <resulting length>.
    assert_eq!(r.raw(&["xtrim", "s", "maxlen", "~", "12"]), ":20\r\n");
    assert_eq!(r.raw(&["xlen", "s"]), ":15\r\n");
    assert_eq!(r.raw(&["xtrim", "s", "maxlen", "12"]), ":3\r\n");
    assert!(r.raw(&["xrange", "s", "-", "+", "count", "1"]).contains("24-0"));
}

// ------------------------------ blocking --------------------------------

#[test]
fn xread_block_is_woken_by_xadd_from_another_client() {
    let server = Server::start(&[]);
    let mut reader = Conn::new(&server);
    let mut writer = Conn::new(&server);
    writer.raw(&["xadd", "s", "1-0", "old", "x"]);
    reader.send(&["xread", "block", "0", "streams", "s", "other", "$", "$"]);
    wait_for(Duration::from_secs(5), || server.info("blocked_clients") == "1");
    reader.assert_no_reply(100);
    writer.raw(&["xadd", "s", "2-0", "new", "y"]);
    assert_eq!(
        reader.read(),
        "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$3\r\nnew\r\n$1\r\ny\r\n"
    );
    assert_eq!(server.info("blocked_clients"), "0");
    // A key that does not exist yet: served once it is created.
    reader
        .send(&["xread", "block", "0", "count", "5", "streams", "other", "0"]);
    wait_for(Duration::from_secs(5), || server.info("blocked_clients") == "1");
    writer.raw(&["xadd", "other", "7-7", "k", "v"]);
    assert_eq!(
        reader.read(),
        "*1\r\n*2\r\n$5\r\nother\r\n*1\r\n*2\r\n$3\r\n7-7\r\n*2\r\n$1\r\nk\r\n$1\r\nv\r\n"
    );
    assert_eq!(reader.raw(&["ping"]), "+PONG\r\n");
}

#[test]
fn xread_block_timeouts() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    r.raw(&["xgroup", "create", "s", "g", "$", "mkstream"]);
    for cmd in [
        &["xread", "block", "200", "streams", "s", "$"][..],
        &["xread", "block", "200", "streams", "nokey", "0"],
        &["xreadgroup", "group", "g", "c", "block", "200", "streams", "s", ">"],
    ] {
        let t = Instant::now();
        assert_eq!(r.raw(cmd), "*-1\r\n", "{cmd:?}");
        let el = t.elapsed();
        assert!(el >= Duration::from_millis(190), "{cmd:?} after {el:?}");
        assert!(el < Duration::from_secs(3), "{cmd:?} after {el:?}");
    }
    // The timed out XREADGROUP created its consumer, with nothing pending.
    assert_eq!(
        r.raw(&["xpending", "s", "g"]),
        "*4\r\n:0\r\n$-1\r\n$-1\r\n*-1\r\n"
    );
    assert_eq!(server.info("blocked_clients"), "0");
}

/// Twenty readers blocked on one stream while four writers add 100
/// entries concurrently: every reader is served (its first entry the one
/// that woke it), nobody stays blocked, nothing is lost.
#[test]
fn many_blocked_readers_and_concurrent_writers() {
    let server = Server::start(&[]);
    let mut readers: Vec<Conn> = (0..20).map(|_| Conn::new(&server)).collect();
    for (i, rd) in readers.iter_mut().enumerate() {
        if i % 2 == 0 {
            rd.send(&["xread", "block", "0", "streams", "s", "$"]);
        } else {
            rd.send(&[
                "xread", "block", "0", "count", "1", "streams", "s", "0-0",
            ]);
        }
    }
    wait_for(Duration::from_secs(5), || server.info("blocked_clients") == "20");
    let port = server.port();
    let writers: Vec<_> = (0..4)
        .map(|w| {
            thread::spawn(move || {
                let mut c = Conn::connect(port);
                for i in 0..25 {
                    let reply = c.raw(&[
                        "xadd",
                        "s",
                        "*",
                        "w",
                        &w.to_string(),
                        "i",
                        &i.to_string(),
                    ]);
                    assert!(reply.starts_with('$'), "{reply}");
                }
            })
        })
        .collect();
    for rd in readers.iter_mut() {
        let v = rd.read_value();
        let streams = v.arr();
        assert_eq!(streams.len(), 1);
        let kv = streams[0].arr();
        assert_eq!(kv[0].bulk(), "s");
        assert!(!kv[1].arr().is_empty());
    }
    for w in writers {
        w.join().unwrap();
    }
    assert_eq!(server.info("blocked_clients"), "0");
    let mut r = Conn::new(&server);
    assert_eq!(r.raw(&["xlen", "s"]), ":100\r\n");
    for rd in readers.iter_mut() {
        assert_eq!(rd.raw(&["ping"]), "+PONG\r\n");
    }
}

/// Consumers of one group blocked on ">": each XADD is delivered to one of
/// them only (the others stay blocked, their ID moved to the group's last
/// delivered ID), each entry lands in the PEL of the consumer served.
#[test]
fn xreadgroup_block_delivers_each_entry_to_one_consumer() {
    let server = Server::start(&[]);
    let mut w = Conn::new(&server);
    w.raw(&["xgroup", "create", "s", "g", "$", "mkstream"]);
    let mut consumers: Vec<Conn> = (0..5).map(|_| Conn::new(&server)).collect();
    for (i, c) in consumers.iter_mut().enumerate() {
        c.send(&[
            "xreadgroup",
            "group",
            "g",
            &format!("c{i}"),
            "block",
            "0",
            "streams",
            "s",
            ">",
        ]);
    }
    wait_for(Duration::from_secs(5), || server.info("blocked_clients") == "5");
    let mut got = Vec::new();
    for i in 1..=5 {
        w.raw(&["xadd", "s", &format!("{i}-0"), "n", &i.to_string()]);
        wait_for(Duration::from_secs(5), || {
            server.info("blocked_clients") == (5 - i).to_string()
        });
    }
    for c in consumers.iter_mut() {
        let v = c.read_value();
        let entries = v.arr()[0].arr()[1].arr();
        assert_eq!(entries.len(), 1);
        got.push(entries[0].arr()[0].bulk());
    }
    got.sort();
    assert_eq!(got, ["1-0", "2-0", "3-0", "4-0", "5-0"]);
    let pending = w.r(&["xpending", "s", "g"]);
    assert_eq!(pending.arr()[0].int(), 5);
    assert_eq!(pending.arr()[3].arr().len(), 5);
    // NOACK: delivered, nothing pending.
    consumers[0].send(&[
        "xreadgroup",
        "group",
        "g",
        "n",
        "noack",
        "block",
        "0",
        "streams",
        "s",
        ">",
    ]);
    wait_for(Duration::from_secs(5), || server.info("blocked_clients") == "1");
    w.raw(&["xadd", "s", "6-0", "n", "6"]);
    assert!(consumers[0].read().contains("6-0"));
    assert_eq!(w.r(&["xpending", "s", "g"]).arr()[0].int(), 5);
    assert_eq!(w.r(&["xinfo", "groups", "s"]).flat()[7], "6-0");
}

/// A client blocked on a group that is destroyed gets 5.0's -NOGROUP
/// error on the next XADD.
#[test]
fn xreadgroup_block_on_a_destroyed_group() {
    let server = Server::start(&[]);
    let mut w = Conn::new(&server);
    w.raw(&["xgroup", "create", "s", "g", "$", "mkstream"]);
    let mut c = Conn::new(&server);
    c.send(&[
        "xreadgroup",
        "group",
        "g",
        "c",
        "block",
        "0",
        "streams",
        "s",
        ">",
    ]);
    wait_for(Duration::from_secs(5), || server.info("blocked_clients") == "1");
    assert_eq!(w.raw(&["xgroup", "destroy", "s", "g"]), ":1\r\n");
    c.assert_no_reply(100);
    w.raw(&["xadd", "s", "*", "a", "1"]);
    assert_eq!(
        c.read(),
        "-NOGROUP the consumer group this client was blocked on no longer exists\r\n"
    );
    assert_eq!(c.raw(&["ping"]), "+PONG\r\n");
    assert_eq!(server.info("blocked_clients"), "0");
}

// ---------------------------- keyspace events ----------------------------

#[test]
fn keyspace_events_of_stream_commands() {
    assert_keyevents(
        &[
            &["xadd", "s", "1-0", "a", "1"],
            &["xadd", "s", "maxlen", "1", "2-0", "a", "1"],
            &["xdel", "s", "2-0"],
            &["xdel", "s", "2-0"],
            &["xgroup", "create", "s", "g", "0"],
            &["xgroup", "setid", "s", "g", "0"],
            &["xgroup", "delconsumer", "s", "g", "c"],
            &["xgroup", "destroy", "s", "g"],
            &["xgroup", "create", "new", "g", "$", "mkstream"],
            &["xsetid", "s", "9-9"],
            &["xadd", "t", "1-0", "a", "1"],
            &["xadd", "t", "2-0", "a", "1"],
            &["xtrim", "t", "maxlen", "1"],
            &["xtrim", "t", "maxlen", "1"],
            &["del", "t"],
        ],
        &[
            "xadd s",
            "xadd s",
            "xtrim s",
            "xdel s",
            "xgroup-create s",
            "xgroup-setid s",
            "xgroup-delconsumer s",
            "xgroup-destroy s",
            "xgroup-create new",
            "xsetid s",
            "xadd t",
            "xadd t",
            "xtrim t",
            "del t",
        ],
    );
}

// ------------------------------ replication ------------------------------

/// The writes of a stream session: entries, deletions, trimming (exact
/// and approximate, which is propagated as MAXLEN = N), groups, reads by
/// group (propagated as XCLAIM), NOACK reads (propagated as XGROUP
/// SETID), acks, claims, consumer deletion, XSETID.
fn stream_session(r: &mut Conn) {
    for cmd in [
        &["xadd", "r1", "*", "a", "1"][..],
        &["xadd", "r1", "*", "b", "2", "c", "3"],
        &["xadd", "r1", "1000000000000000-0", "d", "4"],
        &["xadd", "r1", "*", "e", "5"],
        &["xdel", "r1", "1000000000000000-0"],
        &["xgroup", "create", "r1", "g", "0"],
        &["xgroup", "create", "r1", "g2", "$"],
        &[
            "xreadgroup",
            "group",
            "g",
            "alice",
            "count",
            "2",
            "streams",
            "r1",
            ">",
        ],
        &["xreadgroup", "group", "g", "bob", "streams", "r1", ">"],
        &["xreadgroup", "group", "g2", "zed", "noack", "streams", "r1", "0"],
        &["xadd", "r1", "*", "f", "6"],
        &["xreadgroup", "group", "g2", "zed", "noack", "streams", "r1", ">"],
        &["xack", "r1", "g", "0-1"],
        &["xclaim", "r1", "g", "carol", "0", "1000000000000001-0", "justid"],
        &["xgroup", "delconsumer", "r1", "g", "nobody"],
        &["xgroup", "create", "r2", "g", "$", "mkstream"],
        &["xsetid", "r2", "5-5"],
        &["xgroup", "setid", "r2", "g", "3-3"],
    ] {
        let reply = r.raw(cmd);
        assert!(!reply.starts_with('-'), "{cmd:?}: {reply}");
    }
    r.raw(&["config", "set", "stream-node-max-entries", "10"]);
    for i in 0..200 {
        r.raw(&["xadd", "r3", "maxlen", "~", "50", "*", "i", &i.to_string()]);
    }
    r.raw(&["xtrim", "r3", "maxlen", "33"]);
    // Claim whatever alice holds.
    let ids: Vec<String> = r
        .r(&["xpending", "r1", "g", "-", "+", "10", "alice"])
        .arr()
        .iter()
        .map(|e| e.arr()[0].bulk())
        .collect();
    let mut cmd = vec!["xclaim", "r1", "g", "bob", "0"];
    cmd.extend(ids.iter().map(|s| s.as_str()));
    cmd.push("retrycount");
    cmd.push("9");
    assert!(r.raw(&cmd).starts_with('*'));
    assert_eq!(r.raw(&["xgroup", "delconsumer", "r1", "g", "alice"]), ":0\r\n");
}

/// What a replica must agree on beyond the digest: the groups and PELs.
fn group_state(r: &mut Conn) -> Vec<String> {
    [
        &["xpending", "r1", "g"][..],
        &["xpending", "r1", "g", "-", "+", "100"],
        &["xpending", "r1", "g2"],
        &["xlen", "r3"],
        &["xrange", "r2", "-", "+"],
    ]
    .iter()
    .map(|c| mask_idle(&r.raw(c)))
    .collect()
}

/// The last delivered ID of each group of `key`, from XINFO GROUPS (7.0
/// adds fields, so the whole reply cannot be compared).
fn last_delivered(r: &mut Conn, key: &str) -> Vec<(String, String)> {
    r.r(&["xinfo", "groups", key])
        .arr()
        .iter()
        .map(|g| {
            let f = g.flat();
            let get = |name: &str| {
                let i = f.iter().position(|x| x == name).unwrap();
                f[i + 1].clone()
            };
            (get("name"), get("last-delivered-id"))
        })
        .collect()
}

/// What the replicas and the AOF get, as 5.0.14 propagates it: XADD with
/// the generated ID, MAXLEN ~ as MAXLEN = <length>, XREADGROUP as one
/// XCLAIM per entry (with TIME, RETRYCOUNT, FORCE, JUSTID, LASTID), a
/// NOACK read as XGROUP SETID, XCLAIM as XCLAIM, nothing for a read that
/// changed nothing.
#[test]
fn propagation_is_5_0_14s() {
    let server = Server::start(&[]);
    let mut repl = util::sync_stream(&server);
    let mut r = Conn::new(&server);
    let id = r.bulk(&["xadd", "t", "*", "a", "1"]);
    assert_eq!(
        util::next_propagated(&mut repl),
        ["xadd", "t", id.as_str(), "a", "1"]
    );
    r.raw(&["xadd", "s", "1-0", "a", "1"]);
    util::next_propagated(&mut repl);
    r.raw(&["config", "set", "stream-node-max-entries", "2"]);
    for i in 2..=6 {
        r.raw(&["xadd", "s", &format!("{i}-0"), "a", "1"]);
        util::next_propagated(&mut repl);
    }
    r.raw(&["xadd", "s", "maxlen", "~", "2", "7-0", "a", "1"]);
    assert_eq!(
        util::next_propagated(&mut repl),
        ["xadd", "s", "maxlen", "=", "3", "7-0", "a", "1"]
    );
    r.raw(&["xgroup", "create", "s", "g", "0"]);
    assert_eq!(
        util::next_propagated(&mut repl),
        ["xgroup", "create", "s", "g", "0"]
    );
    r.raw(&[
        "xreadgroup",
        "group",
        "g",
        "alice",
        "count",
        "2",
        "streams",
        "s",
        ">",
    ]);
    for (n, want) in [("5-0", "5-0"), ("6-0", "6-0")] {
        let cmd = util::next_propagated(&mut repl);
        assert_eq!(cmd.len(), 14, "{cmd:?}");
        assert_eq!(&cmd[..6], ["XCLAIM", "s", "g", "alice", "0", n]);
        assert_eq!(cmd[6], "TIME");
        assert!(cmd[7].parse::<i64>().unwrap() > 1_500_000_000_000);
        assert_eq!(
            &cmd[8..],
            ["RETRYCOUNT", "1", "FORCE", "JUSTID", "LASTID", want]
        );
    }
    r.raw(&["xreadgroup", "group", "g", "bob", "noack", "streams", "s", ">"]);
    assert_eq!(
        util::next_propagated(&mut repl),
        ["XGROUP", "SETID", "s", "g", "7-0"]
    );
    r.raw(&[
        "xclaim",
        "s",
        "g",
        "bob",
        "0",
        "5-0",
        "time",
        "1600000000000",
        "retrycount",
        "4",
    ]);
    assert_eq!(
        util::next_propagated(&mut repl),
        [
            "XCLAIM",
            "s",
            "g",
            "bob",
            "0",
            "5-0",
            "TIME",
            "1600000000000",
            "RETRYCOUNT",
            "4",
            "FORCE",
            "JUSTID",
            "LASTID",
            "7-0"
        ]
    );
    r.raw(&["xclaim", "s", "g", "bob", "0", "99-0", "lastid", "8-0"]);
    assert_eq!(
        util::next_propagated(&mut repl),
        ["XGROUP", "SETID", "s", "g", "8-0"]
    );
    // Nothing to propagate: a history read, a read with nothing new.
    r.raw(&["xreadgroup", "group", "g", "bob", "streams", "s", "0"]);
    r.raw(&["xreadgroup", "group", "g", "bob", "streams", "s", ">"]);
    r.raw(&["xack", "s", "g", "5-0", "6-0"]);
    assert_eq!(
        util::next_propagated(&mut repl),
        ["xack", "s", "g", "5-0", "6-0"]
    );
}

/// A Redis 7.0 replica of oxredis: the streams it loads by full sync (our
/// RDB type 15) and those it gets as commands end with the same digest,
/// the same PELs and the same last delivered IDs; blocked XREADGROUP
/// clients served on the master are propagated too.
#[test]
fn redis_7_replica_of_oxredis_with_streams() {
    let master = Server::start(&[]);
    let mut m = Conn::new(&master);
    populate(&mut m);
    let replica = Server::start_binary(
        &find_binary("redis-server"),
        &["--replicaof", "127.0.0.1", &master.port_str()],
    );
    wait_for_ofs_sync(&master, &replica);
    let mut rr = Conn::new(&replica);
    assert_eq!(digest(&master), digest(&replica));
    assert_eq!(
        rr.raw(&["xpending", "s1", "g1"]),
        m.raw(&["xpending", "s1", "g1"])
    );

    stream_session(&mut m);
    // A consumer served while blocked.
    let mut b = Conn::new(&master);
    b.raw(&["xreadgroup", "group", "g", "blocked", "streams", "r1", ">"]);
    b.send(&[
        "xreadgroup",
        "group",
        "g",
        "blocked",
        "block",
        "0",
        "streams",
        "r1",
        ">",
    ]);
    wait_for(Duration::from_secs(5), || master.info("blocked_clients") == "1");
    m.raw(&["xadd", "r1", "*", "late", "1"]);
    assert!(b.read().contains("late"));

    wait_caught_up(&master, &replica);
    assert_eq!(digest(&master), digest(&replica));
    assert_ne!(digest(&master), "0".repeat(40));
    assert_eq!(group_state(&mut m), group_state(&mut rr));
    for key in ["r1", "r2", "s1", "empty"] {
        assert_eq!(last_delivered(&mut m, key), last_delivered(&mut rr, key));
    }
}

/// oxredis as a replica of Redis 7.0 with streams: the full sync brings
/// 7.0's RDB_TYPE_STREAM_LISTPACKS_2, then the command stream.
#[test]
fn oxredis_replica_of_redis_7_with_streams() {
    let master = Server::start_binary(&find_binary("redis-server"), &[]);
    let mut m = Conn::new(&master);
    populate(&mut m);
    stream_session(&mut m);
    let replica =
        Server::start(&["--replicaof", "127.0.0.1", &master.port_str()]);
    wait_for_ofs_sync(&master, &replica);
    let mut rr = Conn::new(&replica);
    assert_eq!(digest(&master), digest(&replica));
    assert_eq!(group_state(&mut m), group_state(&mut rr));
    // (XINFO has more fields in 7.0: only the ranges and PELs compare.)
    let (sm, sr) = (state(&mut m), state(&mut rr));
    for i in [0, 1, 2, 3, 8] {
        assert_eq!(sm[i], sr[i], "state item {i}");
    }

    // And what follows as commands.
    for i in 0..50 {
        m.raw(&["xadd", "s1", "*", "n", &i.to_string()]);
    }
    m.raw(&[
        "xreadgroup",
        "group",
        "g1",
        "dora",
        "count",
        "7",
        "streams",
        "s1",
        ">",
    ]);
    m.raw(&["xtrim", "big", "maxlen", "~", "20"]);
    m.raw(&["xdel", "s1", "1-3"]);
    m.raw(&["xack", "s1", "g1", "1-2"]);
    // 7.0 propagates a NOACK read as XGROUP SETID ... ENTRIESREAD n, and
    // has XGROUP CREATECONSUMER: the replica follows both.
    m.raw(&["xadd", "s1", "*", "more", "1"]);
    m.raw(&[
        "xreadgroup",
        "group",
        "g2",
        "nack",
        "noack",
        "streams",
        "s1",
        ">",
    ]);
    assert_eq!(
        m.raw(&["xgroup", "createconsumer", "s1", "g2", "made"]),
        ":1\r\n"
    );
    wait_caught_up(&master, &replica);
    let names = |r: &mut Conn| -> Vec<String> {
        r.r(&["xinfo", "consumers", "s1", "g2"])
            .arr()
            .iter()
            .map(|c| c.flat()[1].clone())
            .collect()
    };
    assert_eq!(names(&mut m), ["made", "nack"]);
    assert_eq!(names(&mut rr), ["made", "nack"]);
    assert_eq!(digest(&master), digest(&replica));
    assert_eq!(
        mask_idle(&m.raw(&["xpending", "s1", "g1", "-", "+", "100"])),
        mask_idle(&rr.raw(&["xpending", "s1", "g1", "-", "+", "100"]))
    );
    for key in ["r1", "s1", "empty"] {
        assert_eq!(last_delivered(&mut m, key), last_delivered(&mut rr, key));
    }
}

// ------------------------------ persistence ------------------------------

#[test]
fn rdb_save_and_debug_reload_round_trip() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    populate(&mut r);
    stream_session(&mut r);
    let before = (digest(&server), state(&mut r), group_state(&mut r));
    assert_eq!(r.raw(&["debug", "reload"]), "+OK\r\n");
    assert_same(
        &(digest(&server), state(&mut r), group_state(&mut r)),
        &before,
    );
    // The consumers' seen times and the delivery times survive: XPENDING
    // idle of the claimed entry is still counted from 2020.
    let p = r.r(&["xpending", "s1", "g1", "-", "+", "10", "carol"]);
    assert!(p.arr()[0].arr()[2].int() > 100_000_000_000);
    assert_eq!(p.arr()[0].arr()[3].int(), 5);
    // redis-check-rdb (7.0) accepts the file.
    assert_eq!(r.raw(&["save"]), "+OK\r\n");
    let out = std::process::Command::new(find_binary("redis-check-rdb"))
        .arg(server.dir().join("dump.rdb"))
        .output()
        .expect("run redis-check-rdb");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("RDB looks OK"), "{text}");
    // And a restart loads it.
    let mut server = server;
    server.kill();
    server.restart();
    let mut r = Conn::new(&server);
    assert_same(
        &(digest(&server), state(&mut r), group_state(&mut r)),
        &before,
    );
}

#[test]
fn aof_rewrite_and_restart_with_streams() {
    let mut server = Server::start(&["--appendonly", "yes"]);
    let mut r = Conn::new(&server);
    populate(&mut r);
    stream_session(&mut r);
    let before = (digest(&server), state(&mut r), group_state(&mut r));

    // The AOF as written command by command (XREADGROUP as XCLAIM, ...).
    server.kill();
    server.restart();
    let mut r = Conn::new(&server);
    assert_same(
        &(digest(&server), state(&mut r), group_state(&mut r)),
        &before,
    );

    // The rewritten AOF (XADD, XSETID, XGROUP CREATE, XCLAIM ... FORCE).
    assert!(r
        .raw(&["config", "set", "aof-use-rdb-preamble", "no"])
        .starts_with('+'));
    assert!(r.raw(&["bgrewriteaof"]).starts_with('+'));
    wait_for(Duration::from_secs(20), || {
        let aof = std::fs::read(server.dir().join("appendonly.aof"))
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&aof);
        text.contains("XSETID") && text.contains("FORCE")
    });
    wait_for(Duration::from_secs(20), || {
        server.info("aof_rewrite_in_progress") == "0"
            && server.info("aof_rewrite_scheduled") == "0"
            && server.info("aof_last_bgrewrite_status") == "ok"
    });
    server.kill();
    server.restart();
    let mut r = Conn::new(&server);
    assert_same(
        &(digest(&server), state(&mut r), group_state(&mut r)),
        &before,
    );
}

/// An RDB with streams written by Redis 5.0.14 (the commands of `populate`
/// and an XADD MAXLEN 50 of one entry): its digest and replies, as
/// 5.0.14 gave them right after writing it.
#[test]
fn rdb_written_by_redis_5_0_14_loads() {
    let dir = util::make_temp_dir();
    std::fs::copy(asset("stream-5.0.14.rdb"), dir.join("dump.rdb")).unwrap();
    let server = Server::start(&["--dir", dir.to_str().unwrap()]);
    let mut r = Conn::new(&server);
    assert_eq!(digest(&server), "19ba4378fcd8ac4267fa2462390ebd201deb9d0a");
    check_script(&mut r, ASSET);
    // It goes on working: a new consumer reads the rest.
    assert!(r
        .raw(&["xreadgroup", "group", "g1", "dora", "streams", "s1", ">"])
        .contains("6-0"));
    assert_eq!(r.raw(&["xadd", "s1", "6-0", "a", "b"]),
        "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n");
}

// ------------------------------ hostile input ------------------------------

/// Random arguments for every stream command on keys of every state: the
/// server answers each (a reply or an error), stays up, and its data set
/// still round-trips through DEBUG RELOAD.
#[test]
fn random_arguments_never_hurt() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    populate(&mut r);
    r.raw(&["set", "str", "x"]);
    let words = [
        "s1",
        "big",
        "empty",
        "trimmed",
        "str",
        "nokey",
        "g1",
        "g2",
        "g",
        "alice",
        "bob",
        "*",
        "$",
        ">",
        "-",
        "+",
        "0",
        "1",
        "-1",
        "0-0",
        "1-1",
        "3-0",
        "18446744073709551615-18446744073709551615",
        "18446744073709551616",
        "9223372036854775807",
        "-9223372036854775808",
        "99999999999999999999",
        "maxlen",
        "~",
        "=",
        "count",
        "block",
        "streams",
        "group",
        "noack",
        "justid",
        "force",
        "idle",
        "time",
        "retrycount",
        "lastid",
        "create",
        "setid",
        "destroy",
        "delconsumer",
        "mkstream",
        "help",
        "stream",
        "groups",
        "consumers",
        "",
        "\0",
        "x-y",
        "1-",
        "-1-1",
        " 1",
        "1 ",
    ];
    let cmds = [
        "xadd",
        "xrange",
        "xrevrange",
        "xlen",
        "xread",
        "xreadgroup",
        "xgroup",
        "xsetid",
        "xack",
        "xpending",
        "xclaim",
        "xinfo",
        "xdel",
        "xtrim",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..6000 {
        let cmd = cmds[(next() % cmds.len() as u64) as usize];
        let n = 1 + (next() % 9) as usize;
        let mut args = vec![cmd];
        for _ in 0..n {
            args.push(words[(next() % words.len() as u64) as usize]);
        }
        // Never block forever: a BLOCK argument is followed by "1" or so.
        if args.contains(&"block") {
            continue;
        }
        let reply = r.raw(&args);
        assert!(!reply.is_empty(), "{args:?}");
    }
    assert_eq!(r.raw(&["ping"]), "+PONG\r\n");
    let d = digest(&server);
    assert_eq!(r.raw(&["debug", "reload"]), "+OK\r\n");
    assert_eq!(digest(&server), d);
    // Huge COUNT on a big stream, huge MAXLEN.
    assert!(r
        .raw(&["xrange", "big", "-", "+", "count", "9223372036854775807"])
        .starts_with("*"));
    assert!(r
        .raw(&["xread", "count", "9223372036854775807", "streams", "big", "0"])
        .starts_with("*1\r\n"));
    assert_eq!(
        r.raw(&["xtrim", "big", "maxlen", "9223372036854775807"]),
        ":0\r\n"
    );
    assert_eq!(
        r.raw(&["xtrim", "big", "maxlen", "-9223372036854775808"]),
        "-ERR The MAXLEN argument must be >= 0.\r\n"
    );
}

/// A stream listpack damaged inside an RDB file is refused at load time
/// with a log line naming the problem, never a crash.
#[test]
fn damaged_stream_in_rdb_is_refused() {
    let mut server =
        Server::start(&["--rdbcompression", "no", "--rdbchecksum", "no"]);
    let mut r = Conn::new(&server);
    populate(&mut r);
    assert_eq!(r.raw(&["save"]), "+OK\r\n");
    server.kill();
    let good = std::fs::read(server.dir().join("dump.rdb")).unwrap();
    // The master entry of the first listpack of "s1" holds "name".
    let at = good.windows(4).position(|w| w == b"name").expect("a listpack");
    let mut refused_as_stream = 0;
    for delta in
        [-12isize, -9, -7, -5, -3, -2, -1, 4, 5, 6, 7, 8, 9, 11, 13, 16, 20]
    {
        let mut bad = good.clone();
        let pos = (at as isize + delta) as usize;
        bad[pos] ^= 0x5a;
        let dir = util::make_temp_dir();
        std::fs::write(dir.join("dump.rdb"), &bad).unwrap();
        let log_path = dir.join("log");
        let log = std::fs::File::create(&log_path).unwrap();
        let mut child = std::process::Command::new(util::OXREDIS_BIN)
            .args([
                "--port",
                &util::free_port().to_string(),
                "--dir",
                dir.to_str().unwrap(),
            ])
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let status = util::wait_child(&mut child, Duration::from_secs(5));
        if status.is_none() {
            // It loaded: a byte whose change keeps the stream valid.
            let _ = child.kill();
            let _ = child.wait();
            continue;
        }
        let log = std::fs::read_to_string(&log_path).unwrap();
        assert!(!log.contains("panicked"), "{log}");
        assert!(
            log.contains("Internal error in RDB reading function"),
            "{log}"
        );
        if log.contains("Stream")
            || log.contains("stream")
            || log.contains("istpack")
        {
            refused_as_stream += 1;
        }
    }
    assert!(refused_as_stream > 0, "no damage was caught by the stream checks");
}

const BASICS: &[(&[&str], &str)] = &[
    (&["del", "s"], ":0\r\n"),
    (&["xadd", "s", "1-1", "a", "1", "b", "2"], "$3\r\n1-1\r\n"),
    (&["xadd", "s", "1-2", "a", "3", "b", "4"], "$3\r\n1-2\r\n"),
    (&["xadd", "s", "1-2", "a", "5"], "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n"),
    (&["xadd", "s", "1-1", "a", "5"], "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n"),
    (&["xadd", "s", "0-0", "a", "5"], "-ERR The ID specified in XADD must be greater than 0-0\r\n"),
    (&["xadd", "s", "2", "c", "x"], "$3\r\n2-0\r\n"),
    (&["xadd", "s", "2-5", "c", "x", "d"], "-ERR wrong number of arguments for XADD\r\n"),
    (&["xadd", "s", "3-1"], "-ERR wrong number of arguments for 'xadd' command\r\n"),
    (&["xadd", "s", "abc", "a", "1"], "-ERR Invalid stream ID specified as stream command argument\r\n"),
    (&["xadd", "s", "-", "a", "1"], "-ERR Invalid stream ID specified as stream command argument\r\n"),
    (&["xadd", "s", "+", "a", "1"], "-ERR Invalid stream ID specified as stream command argument\r\n"),
    (&["xadd", "s", "1-x", "a", "1"], "-ERR Invalid stream ID specified as stream command argument\r\n"),
    (&["xadd", "s", "18446744073709551616-0", "a", "1"], "-ERR Invalid stream ID specified as stream command argument\r\n"),
    (&["xadd", "s", "-1-0", "a", "1"], "-ERR Invalid stream ID specified as stream command argument\r\n"),
    (&["xadd", "s", "maxlen", "-1", "*", "a", "1"], "-ERR The MAXLEN argument must be >= 0.\r\n"),
    (&["xadd", "s", "maxlen", "abc", "*", "a", "1"], "-ERR value is not an integer or out of range\r\n"),
    (&["xadd", "s", "maxlen", "~", "x", "*", "a", "1"], "-ERR value is not an integer or out of range\r\n"),
    (&["xadd", "s", "5-0", "a", "123", "b", "-7", "c", ""], "$3\r\n5-0\r\n"),
    (&["xlen", "s"], ":4\r\n"),
    (&["xrange", "s", "-", "+"], "*4\r\n*2\r\n$3\r\n1-1\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$3\r\n1-2\r\n*4\r\n$1\r\na\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n4\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nc\r\n$1\r\nx\r\n*2\r\n$3\r\n5-0\r\n*6\r\n$1\r\na\r\n$3\r\n123\r\n$1\r\nb\r\n$2\r\n-7\r\n$1\r\nc\r\n$0\r\n\r\n"),
    (&["xrange", "s", "-", "+", "count", "2"], "*2\r\n*2\r\n$3\r\n1-1\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$3\r\n1-2\r\n*4\r\n$1\r\na\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n4\r\n"),
    (&["xrange", "s", "-", "+", "count", "0"], "*-1\r\n"),
    (&["xrange", "s", "-", "+", "count", "-5"], "*-1\r\n"),
    (&["xrange", "s", "-", "+", "count", "99999999999999999"], "*4\r\n*2\r\n$3\r\n1-1\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$3\r\n1-2\r\n*4\r\n$1\r\na\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n4\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nc\r\n$1\r\nx\r\n*2\r\n$3\r\n5-0\r\n*6\r\n$1\r\na\r\n$3\r\n123\r\n$1\r\nb\r\n$2\r\n-7\r\n$1\r\nc\r\n$0\r\n\r\n"),
    (&["xrange", "s", "-", "+", "count"], "-ERR syntax error\r\n"),
    (&["xrange", "s", "-", "+", "limit", "1"], "-ERR syntax error\r\n"),
    (&["xrange", "s", "1", "1"], "*2\r\n*2\r\n$3\r\n1-1\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$3\r\n1-2\r\n*4\r\n$1\r\na\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n4\r\n"),
    (&["xrange", "s", "1-2", "+"], "*3\r\n*2\r\n$3\r\n1-2\r\n*4\r\n$1\r\na\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n4\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nc\r\n$1\r\nx\r\n*2\r\n$3\r\n5-0\r\n*6\r\n$1\r\na\r\n$3\r\n123\r\n$1\r\nb\r\n$2\r\n-7\r\n$1\r\nc\r\n$0\r\n\r\n"),
    (&["xrange", "s", "x", "+"], "-ERR Invalid stream ID specified as stream command argument\r\n"),
    (&["xrevrange", "s", "+", "-"], "*4\r\n*2\r\n$3\r\n5-0\r\n*6\r\n$1\r\na\r\n$3\r\n123\r\n$1\r\nb\r\n$2\r\n-7\r\n$1\r\nc\r\n$0\r\n\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nc\r\n$1\r\nx\r\n*2\r\n$3\r\n1-2\r\n*4\r\n$1\r\na\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n4\r\n*2\r\n$3\r\n1-1\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"),
    (&["xrevrange", "s", "+", "-", "count", "1"], "*1\r\n*2\r\n$3\r\n5-0\r\n*6\r\n$1\r\na\r\n$3\r\n123\r\n$1\r\nb\r\n$2\r\n-7\r\n$1\r\nc\r\n$0\r\n\r\n"),
    (&["xrevrange", "s", "2", "1"], "*3\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nc\r\n$1\r\nx\r\n*2\r\n$3\r\n1-2\r\n*4\r\n$1\r\na\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n4\r\n*2\r\n$3\r\n1-1\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"),
    (&["xrange", "nokey", "-", "+"], "*0\r\n"),
    (&["xrevrange", "nokey", "+", "-"], "*0\r\n"),
    (&["xlen", "nokey"], ":0\r\n"),
    (&["set", "str", "v"], "+OK\r\n"),
    (&["xadd", "str", "*", "a", "1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (&["xrange", "str", "-", "+"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (&["xlen", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (&["xdel", "str", "1-1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (&["xtrim", "str", "maxlen", "1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (&["xsetid", "str", "1-1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (&["xinfo", "stream", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (&["xgroup", "create", "str", "g", "$"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (&["xack", "str", "g", "1-1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (&["xpending", "str", "g"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (&["xclaim", "str", "g", "c", "0", "1-1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (&["xread", "streams", "str", "0"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (&["xreadgroup", "group", "g", "c", "streams", "str", ">"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (&["type", "s"], "+stream\r\n"),
    (&["object", "encoding", "s"], "$7\r\nunknown\r\n"),
    (&["xadd", "s", "maxlen", "2", "6-0", "z", "1"], "$3\r\n6-0\r\n"),
    (&["xrange", "s", "-", "+"], "*2\r\n*2\r\n$3\r\n5-0\r\n*6\r\n$1\r\na\r\n$3\r\n123\r\n$1\r\nb\r\n$2\r\n-7\r\n$1\r\nc\r\n$0\r\n\r\n*2\r\n$3\r\n6-0\r\n*2\r\n$1\r\nz\r\n$1\r\n1\r\n"),
    (&["xadd", "s", "MAXLEN", "=", "1", "7-0", "z", "2"], "$3\r\n7-0\r\n"),
    (&["xlen", "s"], ":1\r\n"),
    (&["xdel", "s", "7-0", "7-0", "8-0"], ":1\r\n"),
    (&["xlen", "s"], ":0\r\n"),
    (&["exists", "s"], ":1\r\n"),
    (&["xadd", "s", "*"], "-ERR wrong number of arguments for 'xadd' command\r\n"),
    (&["xadd", "s"], "-ERR wrong number of arguments for 'xadd' command\r\n"),
    (&["xdel", "s", "zz"], "-ERR Invalid stream ID specified as stream command argument\r\n"),
    (&["xtrim", "s"], "-ERR XTRIM called without an option to trim the stream\r\n"),
    (&["xtrim", "s", "foo"], "-ERR syntax error\r\n"),
    (&["xtrim", "s", "maxlen", "-2"], "-ERR The MAXLEN argument must be >= 0.\r\n"),
    (&["xtrim", "nokey", "maxlen", "0"], ":0\r\n"),
    (&["xsetid", "s", "0-1"], "+OK\r\n"),
    (&["xsetid", "nokey", "1-1"], "-ERR no such key\r\n"),
    (&["xsetid", "s", "+"], "-ERR Invalid stream ID specified as stream command argument\r\n"),
    (&["xsetid", "s", "100-100"], "+OK\r\n"),
    (&["xadd", "s", "100-100", "a", "b"], "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n"),
    (&["xadd", "s", "100-101", "a", "b"], "$7\r\n100-101\r\n"),
    (&["xsetid", "s", "18446744073709551615-18446744073709551615"], "+OK\r\n"),
    (&["xadd", "s", "*", "a", "b"], "-ERR The stream has exhausted the last possible ID, unable to add more items\r\n"),
    (&["xinfo", "stream", "s"], "*14\r\n$6\r\nlength\r\n:1\r\n$15\r\nradix-tree-keys\r\n:1\r\n$16\r\nradix-tree-nodes\r\n:2\r\n$6\r\ngroups\r\n:0\r\n$17\r\nlast-generated-id\r\n$41\r\n18446744073709551615-18446744073709551615\r\n$11\r\nfirst-entry\r\n*2\r\n$7\r\n100-101\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n$10\r\nlast-entry\r\n*2\r\n$7\r\n100-101\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
    (&["xinfo", "help"], "*5\r\n+XINFO <subcommand> arg arg ... arg. Subcommands are:\r\n+CONSUMERS <key> <groupname>  -- Show consumer groups of group <groupname>.\r\n+GROUPS <key>                 -- Show the stream consumer groups.\r\n+STREAM <key>                 -- Show information about the stream.\r\n+HELP                         -- Print this help.\r\n"),
    (&["xinfo", "foo", "s"], "-ERR Unknown subcommand or wrong number of arguments for 'foo'. Try XINFO HELP.\r\n"),
    (&["xinfo", "stream"], "-ERR syntax error, try 'XINFO HELP'\r\n"),
    (&["xinfo", "stream", "nokey"], "-ERR no such key\r\n"),
    (&["xinfo", "groups", "s"], "*0\r\n"),
    (&["xgroup", "help"], "*7\r\n+XGROUP <subcommand> arg arg ... arg. Subcommands are:\r\n+CREATE      <key> <groupname> <id or $> [opt] -- Create a new consumer group.\r\n+            option MKSTREAM: create the empty stream if it does not exist.\r\n+SETID       <key> <groupname> <id or $>  -- Set the current group ID.\r\n+DESTROY     <key> <groupname>            -- Remove the specified group.\r\n+DELCONSUMER <key> <groupname> <consumer> -- Remove the specified consumer.\r\n+HELP                                     -- Prints this help.\r\n"),
    (&["xgroup", "foo", "s", "g"], "-ERR Unknown subcommand or wrong number of arguments for 'foo'. Try XGROUP HELP.\r\n"),
    (&["xgroup", "create", "nokey", "g", "$"], "-ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.\r\n"),
    (&["xgroup", "create", "s", "g", "$", "foo"], "-ERR Unknown subcommand or wrong number of arguments for 'create'. Try XGROUP HELP.\r\n"),
    (&["xgroup", "create", "nk", "g", "$", "mkstream"], "+OK\r\n"),
    (&["xinfo", "stream", "nk"], "*14\r\n$6\r\nlength\r\n:0\r\n$15\r\nradix-tree-keys\r\n:0\r\n$16\r\nradix-tree-nodes\r\n:1\r\n$6\r\ngroups\r\n:1\r\n$17\r\nlast-generated-id\r\n$3\r\n0-0\r\n$11\r\nfirst-entry\r\n$-1\r\n$10\r\nlast-entry\r\n$-1\r\n"),
    (&["type", "nk"], "+stream\r\n"),
    (&["xlen", "nk"], ":0\r\n"),
    (&["xrange", "nk", "-", "+"], "*0\r\n"),
];
const GROUPS: &[(&[&str], &str)] = &[
    (&["del", "s"], ":0\r\n"),
    (&["xadd", "s", "1-0", "f", "v1"], "$3\r\n1-0\r\n"),
    (&["xadd", "s", "2-0", "f", "v2"], "$3\r\n2-0\r\n"),
    (&["xadd", "s", "3-0", "f", "v3", "g", "w"], "$3\r\n3-0\r\n"),
    (&["xgroup", "create", "s", "g1", "0"], "+OK\r\n"),
    (&["xgroup", "create", "s", "g1", "0"], "-BUSYGROUP Consumer Group name already exists\r\n"),
    (&["xgroup", "create", "s", "g2", "$"], "+OK\r\n"),
    (&["xgroup", "create", "s", "g3", "bad"], "-ERR Invalid stream ID specified as stream command argument\r\n"),
    (&["xgroup", "create", "s", "g3", "+"], "-ERR Invalid stream ID specified as stream command argument\r\n"),
    (&["xgroup", "setid", "s", "nog", "0"], "-NOGROUP No such consumer group 'nog' for key name 's'\r\n"),
    (&["xgroup", "delconsumer", "s", "nog", "c"], "-NOGROUP No such consumer group 'nog' for key name 's'\r\n"),
    (&["xgroup", "destroy", "s", "nog"], ":0\r\n"),
    (&["xreadgroup", "group", "g1", "alice", "count", "1", "streams", "s", ">"], "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$2\r\nv1\r\n"),
    (&["xreadgroup", "group", "g1", "bob", "streams", "s", ">"], "*1\r\n*2\r\n$1\r\ns\r\n*2\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nf\r\n$2\r\nv2\r\n*2\r\n$3\r\n3-0\r\n*4\r\n$1\r\nf\r\n$2\r\nv3\r\n$1\r\ng\r\n$1\r\nw\r\n"),
    (&["xreadgroup", "group", "g1", "bob", "streams", "s", ">"], "*-1\r\n"),
    (&["xreadgroup", "group", "g1", "alice", "streams", "s", "0"], "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$2\r\nv1\r\n"),
    (&["xreadgroup", "group", "g1", "bob", "streams", "s", "0"], "*1\r\n*2\r\n$1\r\ns\r\n*2\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nf\r\n$2\r\nv2\r\n*2\r\n$3\r\n3-0\r\n*4\r\n$1\r\nf\r\n$2\r\nv3\r\n$1\r\ng\r\n$1\r\nw\r\n"),
    (&["xreadgroup", "group", "g1", "bob", "count", "1", "streams", "s", "0"], "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nf\r\n$2\r\nv2\r\n"),
    (&["xreadgroup", "group", "g1", "bob", "streams", "s", "2-0"], "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n3-0\r\n*4\r\n$1\r\nf\r\n$2\r\nv3\r\n$1\r\ng\r\n$1\r\nw\r\n"),
    (&["xreadgroup", "group", "nog", "bob", "streams", "s", ">"], "-NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option\r\n"),
    (&["xreadgroup", "group", "g1", "bob", "streams", "nokey", ">"], "-NOGROUP No such key 'nokey' or consumer group 'g1' in XREADGROUP with GROUP option\r\n"),
    (&["xreadgroup", "group", "g1", "bob", "streams", "s", "$"], "-ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.\r\n"),
    (&["xreadgroup", "streams", "s", ">"], "-ERR wrong number of arguments for 'xreadgroup' command\r\n"),
    (&["xreadgroup", "group", "g1", "bob", "streams", "s"], "-ERR wrong number of arguments for 'xreadgroup' command\r\n"),
    (&["xread", "group", "g1", "bob", "streams", "s", ">"], "-ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.\r\n"),
    (&["xread", "noack", "streams", "s", "0"], "-ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.\r\n"),
    (&["xread", "streams", "s", ">"], "-ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.\r\n"),
    (&["xread", "streams", "s", "0"], "*1\r\n*2\r\n$1\r\ns\r\n*3\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$2\r\nv1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nf\r\n$2\r\nv2\r\n*2\r\n$3\r\n3-0\r\n*4\r\n$1\r\nf\r\n$2\r\nv3\r\n$1\r\ng\r\n$1\r\nw\r\n"),
    (&["xread", "count", "1", "streams", "s", "0"], "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$2\r\nv1\r\n"),
    (&["xread", "streams", "s", "nokey", "0", "0"], "*1\r\n*2\r\n$1\r\ns\r\n*3\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$2\r\nv1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nf\r\n$2\r\nv2\r\n*2\r\n$3\r\n3-0\r\n*4\r\n$1\r\nf\r\n$2\r\nv3\r\n$1\r\ng\r\n$1\r\nw\r\n"),
    (&["xread", "streams", "s", "s", "1", "2"], "*2\r\n*2\r\n$1\r\ns\r\n*2\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nf\r\n$2\r\nv2\r\n*2\r\n$3\r\n3-0\r\n*4\r\n$1\r\nf\r\n$2\r\nv3\r\n$1\r\ng\r\n$1\r\nw\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n3-0\r\n*4\r\n$1\r\nf\r\n$2\r\nv3\r\n$1\r\ng\r\n$1\r\nw\r\n"),
    (&["xread", "streams", "s", "3"], "*-1\r\n"),
    (&["xread", "streams", "s", "$"], "*-1\r\n"),
    (&["xread", "foo", "streams", "s", "0"], "-ERR syntax error\r\n"),
    (&["xread", "count", "x", "streams", "s", "0"], "-ERR value is not an integer or out of range\r\n"),
    (&["xread", "block", "-1", "streams", "s", "0"], "-ERR timeout is negative\r\n"),
    (&["xread", "block", "x", "streams", "s", "0"], "-ERR timeout is not an integer or out of range\r\n"),
    (&["xread", "streams", "s", "-"], "-ERR Invalid stream ID specified as stream command argument\r\n"),
    (&["xread", "count", "1"], "-ERR wrong number of arguments for 'xread' command\r\n"),
    (&["xpending", "s", "g1"], "*4\r\n:3\r\n$3\r\n1-0\r\n$3\r\n3-0\r\n*2\r\n*2\r\n$5\r\nalice\r\n$1\r\n1\r\n*2\r\n$3\r\nbob\r\n$1\r\n2\r\n"),
    (&["xpending", "s", "g1", "-", "+", "10"], "*3\r\n*4\r\n$3\r\n1-0\r\n$5\r\nalice\r\n:0\r\n:2\r\n*4\r\n$3\r\n2-0\r\n$3\r\nbob\r\n:0\r\n:3\r\n*4\r\n$3\r\n3-0\r\n$3\r\nbob\r\n:0\r\n:3\r\n"),
    (&["xpending", "s", "g1", "-", "+", "10", "bob"], "*2\r\n*4\r\n$3\r\n2-0\r\n$3\r\nbob\r\n:0\r\n:3\r\n*4\r\n$3\r\n3-0\r\n$3\r\nbob\r\n:0\r\n:3\r\n"),
    (&["xpending", "s", "g1", "-", "+", "10", "nobody"], "*0\r\n"),
    (&["xpending", "s", "g1", "-", "+", "0"], "*0\r\n"),
    (&["xpending", "s", "g1", "-", "+", "-1"], "*0\r\n"),
    (&["xpending", "s", "g1", "-", "+"], "-ERR syntax error\r\n"),
    (&["xpending", "s", "g1", "x", "+", "10"], "-ERR Invalid stream ID specified as stream command argument\r\n"),
    (&["xpending", "s", "nog"], "-NOGROUP No such key 's' or consumer group 'nog'\r\n"),
    (&["xpending", "nokey", "g1"], "-NOGROUP No such key 'nokey' or consumer group 'g1'\r\n"),
    (&["xpending", "s", "g2"], "*4\r\n:0\r\n$-1\r\n$-1\r\n*-1\r\n"),
    (&["xack", "s", "g1", "1-0", "1-0", "9-9"], ":1\r\n"),
    (&["xack", "s", "g1", "bad"], "-ERR Invalid stream ID specified as stream command argument\r\n"),
    (&["xack", "s", "nog", "1-0"], ":0\r\n"),
    (&["xack", "nokey", "g1", "1-0"], ":0\r\n"),
    (&["xpending", "s", "g1"], "*4\r\n:2\r\n$3\r\n2-0\r\n$3\r\n3-0\r\n*1\r\n*2\r\n$3\r\nbob\r\n$1\r\n2\r\n"),
    (&["xclaim", "s", "g1", "carol", "0", "2-0", "3-0", "justid"], "*2\r\n$3\r\n2-0\r\n$3\r\n3-0\r\n"),
    (&["xpending", "s", "g1", "-", "+", "10"], "*2\r\n*4\r\n$3\r\n2-0\r\n$5\r\ncarol\r\n:0\r\n:3\r\n*4\r\n$3\r\n3-0\r\n$5\r\ncarol\r\n:0\r\n:3\r\n"),
    (&["xclaim", "s", "g1", "carol", "0", "2-0"], "*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nf\r\n$2\r\nv2\r\n"),
    (&["xclaim", "s", "g1", "dave", "3600000", "2-0"], "*0\r\n"),
    (&["xclaim", "s", "g1", "dave", "0", "1-0", "force", "justid"], "*1\r\n$3\r\n1-0\r\n"),
    (&["xclaim", "s", "g1", "dave", "0", "9-0", "force", "justid"], "*0\r\n"),
    (&["xclaim", "s", "g1", "dave", "x", "1-0"], "-ERR Invalid min-idle-time argument for XCLAIM\r\n"),
    (&["xclaim", "s", "g1", "dave", "0", "1-0", "idle", "x"], "-ERR Invalid IDLE option argument for XCLAIM\r\n"),
    (&["xclaim", "s", "g1", "dave", "0", "1-0", "time", "x"], "-ERR Invalid TIME option argument for XCLAIM\r\n"),
    (&["xclaim", "s", "g1", "dave", "0", "1-0", "retrycount", "x"], "-ERR Invalid RETRYCOUNT option argument for XCLAIM\r\n"),
    (&["xclaim", "s", "g1", "dave", "0", "1-0", "lastid", "x"], "-ERR Invalid stream ID specified as stream command argument\r\n"),
    (&["xclaim", "s", "g1", "dave", "0", "1-0", "bogus"], "-ERR Unrecognized XCLAIM option 'bogus'\r\n"),
    (&["xclaim", "s", "nog", "dave", "0", "1-0"], "-NOGROUP No such key 's' or consumer group 'nog'\r\n"),
    (&["xclaim", "nokey", "g1", "dave", "0", "1-0"], "-NOGROUP No such key 'nokey' or consumer group 'g1'\r\n"),
    (&["xclaim", "s", "g1", "dave", "0", "1-0", "retrycount", "7", "justid"], "*1\r\n$3\r\n1-0\r\n"),
    (&["xpending", "s", "g1", "-", "+", "10"], "*3\r\n*4\r\n$3\r\n1-0\r\n$4\r\ndave\r\n:0\r\n:7\r\n*4\r\n$3\r\n2-0\r\n$5\r\ncarol\r\n:1\r\n:4\r\n*4\r\n$3\r\n3-0\r\n$5\r\ncarol\r\n:1\r\n:3\r\n"),
    (&["xclaim", "s", "g1", "dave", "0", "1-0", "lastid", "50-0", "justid"], "*1\r\n$3\r\n1-0\r\n"),
    (&["xinfo", "groups", "s"], "*2\r\n*8\r\n$4\r\nname\r\n$2\r\ng1\r\n$9\r\nconsumers\r\n:4\r\n$7\r\npending\r\n:3\r\n$17\r\nlast-delivered-id\r\n$4\r\n50-0\r\n*8\r\n$4\r\nname\r\n$2\r\ng2\r\n$9\r\nconsumers\r\n:0\r\n$7\r\npending\r\n:0\r\n$17\r\nlast-delivered-id\r\n$3\r\n3-0\r\n"),
    (&["xgroup", "setid", "s", "g1", "$"], "+OK\r\n"),
    (&["xgroup", "setid", "s", "g1", "-"], "+OK\r\n"),
    (&["xgroup", "setid", "s", "g1", "bad"], "-ERR Invalid stream ID specified as stream command argument\r\n"),
    (&["xinfo", "groups", "s"], "*2\r\n*8\r\n$4\r\nname\r\n$2\r\ng1\r\n$9\r\nconsumers\r\n:4\r\n$7\r\npending\r\n:3\r\n$17\r\nlast-delivered-id\r\n$3\r\n0-0\r\n*8\r\n$4\r\nname\r\n$2\r\ng2\r\n$9\r\nconsumers\r\n:0\r\n$7\r\npending\r\n:0\r\n$17\r\nlast-delivered-id\r\n$3\r\n3-0\r\n"),
    (&["xgroup", "delconsumer", "s", "g1", "dave"], ":1\r\n"),
    (&["xgroup", "delconsumer", "s", "g1", "nobody"], ":0\r\n"),
    (&["xpending", "s", "g1"], "*4\r\n:2\r\n$3\r\n2-0\r\n$3\r\n3-0\r\n*1\r\n*2\r\n$5\r\ncarol\r\n$1\r\n2\r\n"),
    (&["xgroup", "destroy", "s", "g2"], ":1\r\n"),
    (&["xgroup", "destroy", "s", "g2"], ":0\r\n"),
    (&["xinfo", "groups", "s"], "*1\r\n*8\r\n$4\r\nname\r\n$2\r\ng1\r\n$9\r\nconsumers\r\n:3\r\n$7\r\npending\r\n:2\r\n$17\r\nlast-delivered-id\r\n$3\r\n0-0\r\n"),
    (&["xinfo", "consumers", "s", "nog"], "-NOGROUP No such consumer group 'nog' for key name 's'\r\n"),
    (&["xgroup", "create", "s", "g4", "0"], "+OK\r\n"),
    (&["xreadgroup", "group", "g4", "c1", "noack", "streams", "s", ">"], "*1\r\n*2\r\n$1\r\ns\r\n*3\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$2\r\nv1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nf\r\n$2\r\nv2\r\n*2\r\n$3\r\n3-0\r\n*4\r\n$1\r\nf\r\n$2\r\nv3\r\n$1\r\ng\r\n$1\r\nw\r\n"),
    (&["xpending", "s", "g4"], "*4\r\n:0\r\n$-1\r\n$-1\r\n*-1\r\n"),
    (&["xinfo", "groups", "s"], "*2\r\n*8\r\n$4\r\nname\r\n$2\r\ng1\r\n$9\r\nconsumers\r\n:3\r\n$7\r\npending\r\n:2\r\n$17\r\nlast-delivered-id\r\n$3\r\n0-0\r\n*8\r\n$4\r\nname\r\n$2\r\ng4\r\n$9\r\nconsumers\r\n:1\r\n$7\r\npending\r\n:0\r\n$17\r\nlast-delivered-id\r\n$3\r\n3-0\r\n"),
    (&["xdel", "s", "2-0"], ":1\r\n"),
    (&["xreadgroup", "group", "g1", "carol", "streams", "s", "0"], "*1\r\n*2\r\n$1\r\ns\r\n*2\r\n*2\r\n$3\r\n2-0\r\n*-1\r\n*2\r\n$3\r\n3-0\r\n*4\r\n$1\r\nf\r\n$2\r\nv3\r\n$1\r\ng\r\n$1\r\nw\r\n"),
    (&["xinfo", "stream", "s"], "*14\r\n$6\r\nlength\r\n:2\r\n$15\r\nradix-tree-keys\r\n:1\r\n$16\r\nradix-tree-nodes\r\n:2\r\n$6\r\ngroups\r\n:2\r\n$17\r\nlast-generated-id\r\n$3\r\n3-0\r\n$11\r\nfirst-entry\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$2\r\nv1\r\n$10\r\nlast-entry\r\n*2\r\n$3\r\n3-0\r\n*4\r\n$1\r\nf\r\n$2\r\nv3\r\n$1\r\ng\r\n$1\r\nw\r\n"),
];
const EDGES: &[(&[&str], &str)] = &[
    (&["del", "s"], ":0\r\n"),
    (&["multi"], "+OK\r\n"),
    (&["xadd", "s", "1-0", "a", "1"], "+QUEUED\r\n"),
    (&["xadd", "s", "1-0", "a", "1"], "+QUEUED\r\n"),
    (&["xgroup", "create", "s", "g", "0"], "+QUEUED\r\n"),
    (&["xreadgroup", "group", "g", "c", "streams", "s", ">"], "+QUEUED\r\n"),
    (&["xread", "block", "0", "streams", "s", "$"], "+QUEUED\r\n"),
    (&["xreadgroup", "group", "g", "c", "block", "0", "streams", "s", ">"], "+QUEUED\r\n"),
    (&["xlen", "s"], "+QUEUED\r\n"),
    (&["exec"], "*7\r\n$3\r\n1-0\r\n-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n+OK\r\n*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*-1\r\n*-1\r\n:1\r\n"),
    (&["multi"], "+OK\r\n"),
    (&["xadd", "s", "bad", "a", "1"], "+QUEUED\r\n"),
    (&["exec"], "*1\r\n-ERR Invalid stream ID specified as stream command argument\r\n"),
    (&["multi"], "+OK\r\n"),
    (&["xadd", "s"], "-ERR wrong number of arguments for 'xadd' command\r\n"),
    (&["exec"], "-EXECABORT Transaction discarded because of previous errors.\r\n"),
    (&["xinfo", "consumers", "s", "g"], "*1\r\n*6\r\n$4\r\nname\r\n$1\r\nc\r\n$7\r\npending\r\n:1\r\n$4\r\nidle\r\n:0\r\n"),
    (&["xadd", "n", "18446744073709551615-18446744073709551615", "a", "1"], "$41\r\n18446744073709551615-18446744073709551615\r\n"),
    (&["xadd", "n", "*", "a", "1"], "-ERR The stream has exhausted the last possible ID, unable to add more items\r\n"),
    (&["xadd", "n2", "18446744073709551615-18446744073709551614", "a", "1"], "$41\r\n18446744073709551615-18446744073709551614\r\n"),
    (&["xadd", "n2", "*", "a", "1"], "$41\r\n18446744073709551615-18446744073709551615\r\n"),
    (&["xrange", "n2", "18446744073709551615", "+"], "*2\r\n*2\r\n$41\r\n18446744073709551615-18446744073709551614\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$41\r\n18446744073709551615-18446744073709551615\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
    (&["xadd", "bin", "1-0", "\0k", "v\r\nx"], "$3\r\n1-0\r\n"),
    (&["xrange", "bin", "-", "+"], "*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$2\r\n\0k\r\n$4\r\nv\r\nx\r\n"),
    (&["xadd", "big", "maxlen", "~", "0", "1-0", "a", "1"], "$3\r\n1-0\r\n"),
    (&["xlen", "big"], ":0\r\n"),
    (&["exists", "big"], ":1\r\n"),
    (&["xadd", "int", "1-0", "12", "-3", "9223372036854775807", "x"], "$3\r\n1-0\r\n"),
    (&["xrange", "int", "-", "+"], "*1\r\n*2\r\n$3\r\n1-0\r\n*4\r\n$2\r\n12\r\n$2\r\n-3\r\n$19\r\n9223372036854775807\r\n$1\r\nx\r\n"),
    (&["xadd", "s", "1", "b", "2"], "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n"),
    (&["xadd", "s", " 5", "b", "2"], "$3\r\n5-0\r\n"),
    (&["xadd", "s", "+7", "b", "2"], "$3\r\n7-0\r\n"),
    (&["xrange", "s", " 1", "+"], "*3\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$3\r\n5-0\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$3\r\n7-0\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"),
    (&["xrange", "s", "-1", "+"], "-ERR Invalid stream ID specified as stream command argument\r\n"),
    (&["xrange", "s", "1-18446744073709551615", "+"], "*2\r\n*2\r\n$3\r\n5-0\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$3\r\n7-0\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"),
    (&["xrange", "s", "1-18446744073709551616", "+"], "-ERR Invalid stream ID specified as stream command argument\r\n"),
    (&["xread", "count", "1", "streams", "s", "18446744073709551615-18446744073709551615"], "*-1\r\n"),
];
const ASSET: &[(&[&str], &str)] = &[
    (&["xpending", "s1", "g1"], "*4\r\n:3\r\n$3\r\n1-2\r\n$3\r\n3-0\r\n*3\r\n*2\r\n$5\r\nalice\r\n$1\r\n1\r\n*2\r\n$3\r\nbob\r\n$1\r\n1\r\n*2\r\n$5\r\ncarol\r\n$1\r\n1\r\n"),
    (&["xpending", "s1", "g1", "-", "+", "10"], "*3\r\n*4\r\n$3\r\n1-2\r\n$5\r\nalice\r\n:2\r\n:1\r\n*4\r\n$3\r\n1-3\r\n$3\r\nbob\r\n:2\r\n:1\r\n*4\r\n$3\r\n3-0\r\n$5\r\ncarol\r\n:196460994513\r\n:5\r\n"),
    (&["xinfo", "groups", "s1"], "*2\r\n*8\r\n$4\r\nname\r\n$2\r\ng1\r\n$9\r\nconsumers\r\n:3\r\n$7\r\npending\r\n:3\r\n$17\r\nlast-delivered-id\r\n$3\r\n3-0\r\n*8\r\n$4\r\nname\r\n$2\r\ng2\r\n$9\r\nconsumers\r\n:0\r\n$7\r\npending\r\n:0\r\n$17\r\nlast-delivered-id\r\n$3\r\n6-0\r\n"),
    (&["xinfo", "stream", "s1"], "*14\r\n$6\r\nlength\r\n:6\r\n$15\r\nradix-tree-keys\r\n:2\r\n$16\r\nradix-tree-nodes\r\n:6\r\n$6\r\ngroups\r\n:2\r\n$17\r\nlast-generated-id\r\n$3\r\n6-0\r\n$11\r\nfirst-entry\r\n*2\r\n$3\r\n1-1\r\n*4\r\n$4\r\nname\r\n$1\r\na\r\n$1\r\nn\r\n$1\r\n1\r\n$10\r\nlast-entry\r\n*2\r\n$3\r\n6-0\r\n*2\r\n$3\r\nbin\r\n$3\r\n\0\u{ff}\r\n"),
    (&["xinfo", "stream", "empty"], "*14\r\n$6\r\nlength\r\n:0\r\n$15\r\nradix-tree-keys\r\n:0\r\n$16\r\nradix-tree-nodes\r\n:1\r\n$6\r\ngroups\r\n:1\r\n$17\r\nlast-generated-id\r\n$3\r\n0-0\r\n$11\r\nfirst-entry\r\n$-1\r\n$10\r\nlast-entry\r\n$-1\r\n"),
    (&["xinfo", "stream", "trimmed"], "*14\r\n$6\r\nlength\r\n:0\r\n$15\r\nradix-tree-keys\r\n:0\r\n$16\r\nradix-tree-nodes\r\n:1\r\n$6\r\ngroups\r\n:0\r\n$17\r\nlast-generated-id\r\n$5\r\n10-10\r\n$11\r\nfirst-entry\r\n$-1\r\n$10\r\nlast-entry\r\n$-1\r\n"),
    (&["xinfo", "consumers", "s1", "g1"], "*3\r\n*6\r\n$4\r\nname\r\n$5\r\nalice\r\n$7\r\npending\r\n:1\r\n$4\r\nidle\r\n:2\r\n*6\r\n$4\r\nname\r\n$3\r\nbob\r\n$7\r\npending\r\n:1\r\n$4\r\nidle\r\n:2\r\n*6\r\n$4\r\nname\r\n$5\r\ncarol\r\n$7\r\npending\r\n:1\r\n$4\r\nidle\r\n:2\r\n"),
    (&["xrange", "s1", "-", "+"], "*6\r\n*2\r\n$3\r\n1-1\r\n*4\r\n$4\r\nname\r\n$1\r\na\r\n$1\r\nn\r\n$1\r\n1\r\n*2\r\n$3\r\n1-2\r\n*4\r\n$4\r\nname\r\n$1\r\nb\r\n$1\r\nn\r\n$1\r\n2\r\n*2\r\n$3\r\n1-3\r\n*2\r\n$5\r\nother\r\n$1\r\nc\r\n*2\r\n$3\r\n3-0\r\n*4\r\n$4\r\nname\r\n$1\r\ne\r\n$1\r\nn\r\n$2\r\n-7\r\n*2\r\n$3\r\n4-0\r\n*4\r\n$4\r\nname\r\n$1\r\nf\r\n$1\r\nn\r\n$1\r\nx\r\n*2\r\n$3\r\n6-0\r\n*2\r\n$3\r\nbin\r\n$3\r\n\0\u{ff}\r\n"),
];
