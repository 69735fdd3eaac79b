//! The busy script (issue 11): a script running past `lua-time-limit`
//! makes the count hook run the event loop nested, so that every other
//! client gets -BUSY, SCRIPT KILL stops a read-only script, a script that
//! wrote is -UNKILLABLE and SHUTDOWN NOSAVE ends the server. Each test
//! fires other clients at the server while the loop runs nested (plain
//! commands, pipelines, MULTI, connects and disconnects, hostile bytes)
//! and checks that every reply is the one 5.0.14 gives, that no fd leaks
//! and that the server serves normally afterwards.

mod util;

use std::io::{Read, Write};
use std::thread;
use std::time::{Duration, Instant};

use util::*;

const T: Duration = Duration::from_secs(30);

const BUSY: &str = "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n";

/// A script that never ends by itself and writes nothing.
const LOOP: &str = "while true do end";

/// A server with a 100 ms script time limit.
fn busy_server() -> Server {
    Server::start(&["--lua-time-limit", "100"])
}

/// Sends EVAL of `script` on a new connection and waits until the server
/// answers -BUSY to someone else.
#[track_caller]
fn start_busy(s: &Server, script: &str) -> Conn {
    let mut caller = Conn::new(s);
    caller.send(&["eval", script, "0"]);
    wait_for(T, || Conn::new(s).raw(&["ping"]) == BUSY);
    caller
}

/// Lua that spins until `ms` milliseconds of TIME have passed since it
/// started (TIME is not frozen inside a script, as the clock of keys is).
fn spin_for_ms(ms: u32) -> String {
    format!(
        "local t = redis.call('time') \
         local start = t[1]*1000 + math.floor(t[2]/1000) \
         while true do \
           t = redis.call('time') \
           if t[1]*1000 + math.floor(t[2]/1000) - start > {ms} then break end \
         end "
    )
}

/// A master and an oxredis replica of it with a 100 ms script time limit,
/// once the link is up.
fn master_and_busy_replica() -> (Server, Server) {
    let master = Server::start(&[]);
    let mport = master.port_str();
    let replica = Server::start(&[
        "--replicaof",
        "127.0.0.1",
        mport.as_str(),
        "--lua-time-limit",
        "100",
    ]);
    wait_for(T, || replica.info("master_link_status") == "up");
    (master, replica)
}

#[test]
fn a_busy_script_answers_busy_to_others_under_load_and_script_kill_stops_it() {
    let s = busy_server();
    let mut c = Conn::new(&s);
    assert_eq!(c.raw(&["set", "k", "v"]), "+OK\r\n");
    // A client in MULTI before the script: its queued command meets the
    // busy script, so its EXEC is refused afterwards.
    let mut m = Conn::new(&s);
    assert_eq!(m.raw(&["multi"]), "+OK\r\n");
    let fds_before = s.fd_count();

    let mut caller = start_busy(&s, LOOP);
    assert_eq!(m.raw(&["set", "x", "1"]), BUSY);

    // Eight clients fire while the loop runs nested: single commands and
    // pipelines of 16, each reply must be -BUSY.
    let port = s.port();
    let workers: Vec<_> = (0..8)
        .map(|w| {
            thread::spawn(move || {
                let mut conn = Conn::connect(port);
                let mut got = 0;
                for round in 0..20 {
                    if w % 2 == 0 {
                        assert_eq!(conn.raw(&["get", "k"]), BUSY);
                        got += 1;
                    } else {
                        let mut pipe = Vec::new();
                        for i in 0..16 {
                            pipe.extend_from_slice(&encode_command(&[
                                b"incr",
                                format!("c{w}:{round}:{i}").as_bytes(),
                            ]));
                        }
                        conn.stream.write_all(&pipe).unwrap();
                        for _ in 0..16 {
                            assert_eq!(conn.read(), BUSY);
                            got += 1;
                        }
                    }
                }
                got
            })
        })
        .collect();
    // Meanwhile: connections that come and go, and hostile bytes.
    for _ in 0..20 {
        let mut quick = Conn::new(&s);
        quick.send(&["ping"]);
        drop(quick);
    }
    let mut bad = raw(s.port());
    bad.write_all(b"*1\r\n$-5\r\n").unwrap();
    let r = read_until_close_or_timeout(&mut bad, Duration::from_secs(5));
    assert!(r.closed, "a protocol error closes the link: {:?}", r.text());
    assert!(r.text().starts_with("-ERR Protocol error"), "{:?}", r.text());
    let mut shout = raw(s.port());
    shout.write_all(b"EVAL 'return 1' 0\r\n").unwrap();
    assert_eq!(read_reply(&mut shout), BUSY.as_bytes());

    let total: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert_eq!(total, 4 * 20 + 4 * 20 * 16);

    // Not allowed while busy: everything but SCRIPT KILL, SHUTDOWN NOSAVE,
    // AUTH and REPLCONF, SHUTDOWN SAVE and SCRIPT FLUSH included.
    assert_eq!(c.raw(&["shutdown"]), BUSY);
    assert_eq!(c.raw(&["script", "flush"]), BUSY);
    assert_eq!(
        c.raw(&["auth", "x"]),
        "-ERR Client sent AUTH, but no password is set\r\n"
    );
    assert_eq!(c.raw(&["script", "kill"]), "+OK\r\n");
    let err = caller.read();
    assert!(
        err.starts_with("-ERR Error running script (call to f_")
            && err.ends_with(
                ": @user_script:1: Script killed by user with SCRIPT KILL... \r\n"
            ),
        "{err:?}"
    );
    assert_eq!(
        c.raw(&["script", "kill"]),
        "-NOTBUSY No scripts in execution right now.\r\n"
    );
    // Everyone is served again; the MULTI saw an error.
    assert_eq!(c.raw(&["get", "k"]), "$1\r\nv\r\n");
    assert_eq!(caller.raw(&["ping"]), "+PONG\r\n");
    assert_eq!(
        m.raw(&["exec"]),
        "-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
    assert_eq!(c.raw(&["exists", "x"]), ":0\r\n");
    assert_eq!(c.raw(&["dbsize"]), ":1\r\n");
    drop(bad);
    drop(shout);
    wait_for(T, || s.fd_count() <= fds_before + 1);
    let log = s.log();
    assert!(log.contains("Lua slow script detected: still in execution after "));
    assert!(log.contains(
        "You can try killing the script using the SCRIPT KILL command."
    ));
    assert!(log.contains("Lua script killed by user with SCRIPT KILL."));
}

#[test]
fn a_script_that_wrote_is_unkillable_and_shutdown_nosave_ends_the_server() {
    let mut s = busy_server();
    let _caller =
        start_busy(&s, "redis.call('set','written','1') while true do end");
    let mut c = Conn::new(&s);
    assert_eq!(
        c.raw(&["script", "kill"]),
        "-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.\r\n"
    );
    assert_eq!(c.raw(&["shutdown", "save"]), BUSY);
    c.send(&["shutdown", "nosave"]);
    let r = read_until_close_or_timeout(&mut c.stream, T);
    assert!(r.closed && r.bytes.is_empty(), "{:?}", r.text());
    let deadline = Instant::now() + T;
    while s.is_alive() {
        assert!(
            Instant::now() < deadline,
            "still running after SHUTDOWN NOSAVE"
        );
        thread::sleep(Duration::from_millis(20));
    }
    assert!(!s.dir().join("dump.rdb").exists());
    assert!(s.log().contains("Redis is now ready to exit, bye bye..."));
}

#[test]
fn a_caller_that_disconnects_while_busy_is_freed_once_the_script_ends() {
    let s = busy_server();
    let fds_before = s.fd_count();
    let caller = start_busy(&s, LOOP);
    let mut c = Conn::new(&s);
    assert_eq!(c.raw(&["client", "list"]), BUSY);
    drop(caller);
    // The caller's socket is closed but it is protected: nothing happens
    // until the script ends.
    assert_eq!(Conn::new(&s).raw(&["ping"]), BUSY);
    assert_eq!(c.raw(&["script", "kill"]), "+OK\r\n");
    // The script stops at its next hook.
    wait_for(T, || Conn::new(&s).raw(&["ping"]) == "+PONG\r\n");
    // `c` and INFO's own connection.
    wait_for(T, || s.info("connected_clients") == "2");
    assert_eq!(c.raw(&["ping"]), "+PONG\r\n");
    drop(c);
    let deadline = Instant::now() + Duration::from_secs(3);
    while s.fd_count() > fds_before && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
    }
    assert!(s.fd_count() <= fds_before, "{:?}", s.open_fds());
}

#[test]
fn a_script_that_ends_by_itself_after_the_limit_replies_and_serves_again() {
    let s = busy_server();
    let mut caller = Conn::new(&s);
    // Spins until 600 ms of TIME have passed, then answers.
    caller.send(&["eval", &(spin_for_ms(600) + "return 'done'"), "0"]);
    wait_for(T, || Conn::new(&s).raw(&["ping"]) == BUSY);
    assert_eq!(caller.read(), "$4\r\ndone\r\n");
    assert_eq!(Conn::new(&s).raw(&["ping"]), "+PONG\r\n");
    // The caller's read handler is back: it is served normally.
    assert_eq!(caller.raw(&["ping"]), "+PONG\r\n");
}

#[test]
fn a_replica_keeps_the_master_stream_while_busy_and_applies_it_after() {
    let (master, replica) = master_and_busy_replica();

    // A read-only script on the replica spins for 1.5 s of TIME.
    let mut caller = Conn::new(&replica);
    caller.send(&[
        "eval",
        &(spin_for_ms(1500) + "return redis.call('dbsize')"),
        "0",
    ]);
    wait_for(T, || Conn::new(&replica).raw(&["ping"]) == BUSY);

    // Four writers on the master meanwhile.
    let port = master.port();
    let writers: Vec<_> = (0..4)
        .map(|w| {
            thread::spawn(move || {
                let mut conn = Conn::connect(port);
                for i in 0..200 {
                    assert_eq!(
                        conn.raw(&["rpush", &format!("l{w}"), &i.to_string()]),
                        format!(":{}\r\n", i + 1)
                    );
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    // Still busy: the stream waits in the master client's query buffer.
    assert_eq!(Conn::new(&replica).raw(&["dbsize"]), BUSY);
    let dbsize = caller.read();
    assert!(dbsize.starts_with(':'), "{dbsize:?}");
    wait_for(T, || {
        replica.info("slave_repl_offset") == master.info("master_repl_offset")
    });
    assert_eq!(
        replica.cmd_str(&["DEBUG", "DIGEST"]),
        master.cmd_str(&["DEBUG", "DIGEST"])
    );
    assert_eq!(replica.info("master_link_status"), "up");
    let mut rc = Conn::new(&replica);
    assert_eq!(rc.raw(&["llen", "l3"]), ":200\r\n");
}

#[test]
fn scripts_that_fail_or_misbehave_get_redis_errors_and_others_are_served() {
    let s = Server::start(&[]);
    let mut c = Conn::new(&s);
    let cases: &[(&str, &str)] = &[
        (
            "return redis.call('nosuchcommand')",
            "Unknown Redis command called from Lua script",
        ),
        (
            "return redis.call()",
            "Please specify at least one argument for redis.call()",
        ),
        (
            "return redis.call('get', {})",
            "Lua redis() command arguments must be strings or integers",
        ),
        ("local t = {} t[1] = t return t", "reached lua stack limit"),
        ("return nosuch()", "@enable_strict_lua:15: user_script:1: Script attempted to access nonexistent global variable 'nosuch'"),
        ("error('boom')", "boom"),
        ("return string.rep('x', 2^31)", ""),
    ];
    for (script, want) in cases {
        let r = c.raw(&["eval", script, "0"]);
        assert!(r.contains(want), "{script}: {r:?}");
        assert_eq!(Conn::new(&s).raw(&["ping"]), "+PONG\r\n");
    }
    // A script that allocates without bound is stopped by SCRIPT KILL once
    // it passes the time limit, as in 5.0.14 (the interpreter has no
    // memory limit there either): here it grows a table of 64 KiB strings
    // up to ~64 MB between hooks, and then keeps looping.
    assert_eq!(c.raw(&["config", "set", "lua-time-limit", "100"]), "+OK\r\n");
    let mut caller = Conn::new(&s);
    caller.send(&[
        "eval",
        "local t = {} for i = 1, 1000 do t[i] = string.rep('x', 65536) .. i end while true do end",
        "0",
    ]);
    wait_for(T, || Conn::new(&s).raw(&["ping"]) == BUSY);
    assert_eq!(c.raw(&["script", "kill"]), "+OK\r\n");
    assert!(caller
        .read()
        .contains("Script killed by user with SCRIPT KILL..."));
    assert_eq!(c.raw(&["ping"]), "+PONG\r\n");
    let mut buf = [0u8; 1];
    caller.stream.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    assert!(
        caller.stream.read(&mut buf).is_err(),
        "nothing more for the caller"
    );
}

#[test]
fn a_busy_script_from_the_master_is_unkillable_on_the_replica() {
    let (master, replica) = master_and_busy_replica();
    let mut m = Conn::new(&master);
    // Script replication: the replica runs the script itself.
    assert_eq!(
        m.raw(&["debug", "lua-always-replicate-commands", "0"]),
        "+OK\r\n"
    );
    // Writes, then spins for 1.5 s of TIME (on the master, then on the
    // replica).
    m.send(&[
        "eval",
        &("redis.call('incr', KEYS[1]) ".to_string()
            + &spin_for_ms(1500)
            + "return 1"),
        "1",
        "x",
    ]);
    assert_eq!(m.read(), ":1\r\n");
    wait_for(T, || Conn::new(&replica).raw(&["ping"]) == BUSY);
    let mut r = Conn::new(&replica);
    assert_eq!(
        r.raw(&["script", "kill"]),
        "-UNKILLABLE The busy script was sent by a master instance in the context of replication and cannot be killed.\r\n"
    );
    wait_for(T, || Conn::new(&replica).raw(&["ping"]) == "+PONG\r\n");
    wait_for(T, || {
        replica.info("slave_repl_offset") == master.info("master_repl_offset")
    });
    assert_eq!(r.raw(&["get", "x"]), "$1\r\n1\r\n");
    assert_eq!(
        replica.cmd_str(&["DEBUG", "DIGEST"]),
        master.cmd_str(&["DEBUG", "DIGEST"])
    );
    assert!(replica.log().contains("Lua slow script detected"));
}

#[test]
fn info_memory_counts_the_interpreter_and_the_script_cache() {
    let s = Server::start(&[]);
    assert_eq!(s.info("number_of_cached_scripts"), "0");
    let lua0 = s.info_i64("used_memory_lua");
    assert!(lua0 > 0 && lua0 % 1024 == 0, "{lua0}");
    let scripts0 = s.info_i64("used_memory_scripts");
    let mut c = Conn::new(&s);
    for i in 0..100 {
        c.r(&[
            "script",
            "load",
            &format!("return {i} .. string.rep('x', 100)"),
        ]);
    }
    assert_eq!(s.info("number_of_cached_scripts"), "100");
    assert!(s.info_i64("used_memory_scripts") > scripts0 + 100 * 100);
    assert!(s.info_i64("used_memory_lua") > lua0);
    assert_eq!(c.raw(&["script", "flush"]), "+OK\r\n");
    assert_eq!(s.info("number_of_cached_scripts"), "0");
}

#[test]
fn precompiled_bytecode_is_refused_as_5_0_14_refuses_it() {
    // Crafted Lua 5.1 bytecode escapes the sandbox; 5.0.14's Lua parses
    // every chunk as text. These are its replies, byte for byte.
    let s = Server::start(&[]);
    let mut c = Conn::new(&s);
    let cases: &[(&str, &[u8])] = &[
        (
            "local f, e = loadstring(string.dump(function() return 1 end)) return {tostring(f), e}",
            b"*2\r\n$3\r\nnil\r\n$53\r\n[string \"\x1bLuaQ\"]:1: unexpected symbol near 'char(27)'\r\n",
        ),
        (
            "local s = string.dump(function() return 1 end) local i = 0 local f, e = load(function() i = i + 1 if i == 1 then return s end end) return {tostring(f), e}",
            b"*2\r\n$3\r\nnil\r\n$43\r\n(load):1: unexpected symbol near 'char(27)'\r\n",
        ),
        (
            "return {loadstring(nil)}",
            b"-ERR Error running script (call to f_13d27dfac24d54e533e4a3bc7d77bee71f31ebef): @user_script:1: user_script:1: bad argument #1 to 'loadstring' (string expected, got nil) \r\n",
        ),
        ("return loadstring('return 7')()", b":7\r\n"),
    ];
    for (script, want) in cases {
        let got = c.raw_bin(&[b"eval", script.as_bytes(), b"0"]);
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(want),
            "{script}"
        );
    }
}
