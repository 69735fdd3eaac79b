//! The Lua debugger (LDB, scripting.c): SCRIPT DEBUG SYNC sessions spoken
//! byte for byte, the protocol parsing cases of the Tcl suite ("Test
//! scripting debug protocol parsing"), hostile input during a session,
//! SCRIPT DEBUG YES (forked sessions) and redis-cli --ldb. With
//! `REDIS_SRC` (a built 5.0.14 tree) each session is also run against it
//! and the two transcripts compared.

mod util;

use std::time::Duration;

use util::{
    c_server, encode_command, read_until_close_or_timeout, send_raw, Conn,
    Server,
};

/// One debugger input: a command (one reply read back), or raw bytes.
enum Step {
    Cmd(&'static [&'static [u8]]),
    /// Raw bytes, then one reply read back.
    Raw(&'static [u8]),
}

/// Runs SCRIPT DEBUG SYNC, EVAL `script` with `args`, each step (reading
/// one reply after each), then "c" and reads until the server closes the
/// connection (a session ends with the client closed). Returns the
/// transcript of everything the server sent.
fn session(
    port: u16,
    script: &[u8],
    args: &[&[u8]],
    steps: &[Step],
) -> Vec<u8> {
    let mut c = Conn::connect(port);
    assert_eq!(c.raw(&["SCRIPT", "DEBUG", "SYNC"]), "+OK\r\n");
    let mut eval: Vec<&[u8]> = vec![b"EVAL", script];
    eval.extend_from_slice(args);
    c.send_bin(&eval);
    let mut out = c.read_bytes();
    for s in steps {
        match s {
            Step::Cmd(a) => c.send_bin(a),
            Step::Raw(b) => send_raw(&mut c.stream, b),
        }
        out.extend_from_slice(b"|");
        out.extend_from_slice(&c.read_bytes());
    }
    c.send_bin(&[b"c"]);
    let rest =
        read_until_close_or_timeout(&mut c.stream, Duration::from_secs(30));
    assert!(rest.closed, "session did not end: {}", rest.text());
    out.extend_from_slice(b"|");
    out.extend_from_slice(&rest.bytes);
    out
}

const SCRIPT: &[u8] = b"local a = {1,2,'x'}\nredis.debug('hi', a, 3.5)\nlocal b = redis.call('set','k','v')\nredis.breakpoint()\nreturn redis.call('get','k')";

const STEPS: &[Step] = &[
    Step::Cmd(&[b"s"]),
    Step::Cmd(&[b"p"]),
    Step::Cmd(&[b"s"]),
    Step::Cmd(&[b"p", b"a"]),
    Step::Cmd(&[b"l"]),
    Step::Cmd(&[b"w"]),
    Step::Cmd(&[b"b", b"5"]),
    Step::Cmd(&[b"b"]),
    Step::Cmd(&[b"b", b"-5"]),
    Step::Cmd(&[b"b", b"x", b"99", b"-7"]),
    Step::Cmd(&[b"e", b"1+1"]),
    Step::Cmd(&[b"e", b"redis.call('nosuch')"]),
    Step::Cmd(&[b"e", b"error('x')"]),
    Step::Cmd(&[b"e", b"("]),
    Step::Cmd(&[b"e", b"{1,{a=2},true,nil}"]),
    Step::Cmd(&[b"r", b"ping"]),
    Step::Cmd(&[b"r", b"get"]),
    Step::Cmd(&[b"r", b"nosuch"]),
    Step::Cmd(&[b"redis", b"mget", b"k", b"nokey"]),
    Step::Cmd(&[b"r"]),
    Step::Cmd(&[b"t"]),
    Step::Cmd(&[b"m"]),
    Step::Cmd(&[b"m", b"10"]),
    Step::Cmd(&[b"e", b"string.rep('y', 100)"]),
    Step::Cmd(&[b"m", b"0"]),
    Step::Cmd(&[b"print", b"KEYS"]),
    Step::Cmd(&[b"print", b"ARGV"]),
    Step::Cmd(&[b"print", b"nosuch"]),
    Step::Cmd(&[b"l", b"2", b"0"]),
    Step::Cmd(&[b"hello\0world"]),
    Step::Cmd(&[b"xx"]),
    Step::Cmd(&[b"h"]),
    Step::Cmd(&[b"s"]),
    Step::Cmd(&[b"c"]),
];

/// What 5.0.14 sends for SCRIPT + STEPS (between replies, '|').
const EXPECTED: &str = include_str!("assets/ldb_session.txt");

#[test]
fn sync_session_is_byte_exact() {
    let ours = Server::start(&[]);
    let got = session(ours.port(), SCRIPT, &[b"1", b"k", b"argv1"], STEPS);
    assert_eq!(String::from_utf8_lossy(&got), EXPECTED);
    // The debugged script ran for real (sync mode keeps its writes), and
    // the server serves other clients afterwards.
    assert_eq!(Conn::new(&ours).raw(&["get", "k"]), "$1\r\nv\r\n");
    let log = ours.log();
    assert!(log.contains("Redis synchronous debugging eval session started"));
    assert!(log.contains("Redis synchronous debugging eval session ended"));
    if let Some(bin) = c_server() {
        let theirs = Server::start_binary(&bin, &[]);
        let want =
            session(theirs.port(), SCRIPT, &[b"1", b"k", b"argv1"], STEPS);
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&want)
        );
    }
}

/// unit/scripting.tcl "Test scripting debug protocol parsing".
#[test]
fn protocol_parsing_as_the_tcl_test() {
    let ours = Server::start(&[]);
    let mut c = Conn::new(&ours);
    assert_eq!(c.raw(&["script", "debug", "sync"]), "+OK\r\n");
    c.send(&["eval", "return 'hello'", "0"]);
    assert_eq!(
        c.read(),
        "*2\r\n+* Stopped at 1, stop reason = step over\r\n+-> 1   return 'hello'\r\n"
    );
    for arg in
        [&b"'hello\0world'"[..], b"'hello\0'", b"'\0hello'", b"'\0hello\0'"]
    {
        c.send_bin(&[arg]);
        assert_eq!(
            c.read(),
            "*1\r\n+<error> Unknown Redis Lua debugger command or wrong number of arguments.\r\n"
        );
    }
}

#[test]
fn script_debug_errors() {
    let ours = Server::start(&[]);
    let mut c = Conn::new(&ours);
    assert_eq!(
        c.raw(&["script", "debug", "maybe"]),
        "-ERR Use SCRIPT DEBUG yes/sync/no\r\n"
    );
    // Pipelined after another command.
    let mut p = encode_command(&[b"ping"]);
    p.extend_from_slice(&encode_command(&[b"script", b"debug", b"sync"]));
    send_raw(&mut c.stream, &p);
    assert_eq!(c.read(), "+PONG\r\n");
    assert_eq!(
        c.read(),
        "-ERR SCRIPT DEBUG must be called outside a pipeline\r\n"
    );
    assert_eq!(c.raw(&["script", "debug", "yes"]), "+OK\r\n");
    assert_eq!(
        c.raw(&["evalsha", "0123456789012345678901234567890123456789", "0"]),
        "-ERR Please use EVAL instead of EVALSHA for debugging\r\n"
    );
    assert_eq!(c.raw(&["script", "debug", "no"]), "+OK\r\n");
    assert_eq!(c.raw(&["eval", "return 1", "0"]), ":1\r\n");
}

/// Hostile input to the debugger, each on its own session: the transcript
/// (as 5.0.14's when REDIS_SRC is set), and the server keeps serving.
#[test]
fn hostile_input_during_a_session() {
    let mut big = b"*1\r\n$5".to_vec();
    big.extend(std::iter::repeat_n(b'x', (1 << 20) + 10));
    let big: &'static [u8] = big.leak();
    let cases: Vec<(&str, Vec<Step>)> = vec![
        ("garbage", vec![Step::Raw(b"hello world\r\n")]),
        ("no array", vec![Step::Raw(b"$4\r\nstep\r\n")]),
        ("huge bulk", vec![Step::Raw(b"*1\r\n$99999999999\r\nstep\r\n")]),
        ("negative count", vec![Step::Raw(b"*-1\r\n")]),
        ("too many args", vec![Step::Raw(b"*1025\r\n")]),
        ("zero bulk", vec![Step::Raw(b"*1\r\n$0\r\n\r\n")]),
        ("bad terminator", vec![Step::Raw(b"*1\r\n$1\r\nsXY")]),
        // What follows a command in the same read is dropped, as in C.
        (
            "two in one read",
            vec![Step::Raw(b"*1\r\n$1\r\nc\r\n*1\r\n$1\r\ns\r\n")],
        ),
        ("one mega byte", vec![Step::Raw(big)]),
        ("abort", vec![Step::Cmd(&[b"abort"])]),
    ];
    let ours = Server::start(&[]);
    let theirs = c_server().map(|bin| Server::start_binary(&bin, &[]));
    let script = b"local x = 1\nlocal y = 2\nreturn x + y";
    for (name, steps) in &cases {
        // The last step's reply is read with the close: give it as raw.
        let (last, first) = steps.split_last().expect("steps");
        let run = |port: u16| {
            let mut c = Conn::connect(port);
            assert_eq!(c.raw(&["SCRIPT", "DEBUG", "SYNC"]), "+OK\r\n");
            c.send_bin(&[b"EVAL", script, b"0"]);
            let mut out = c.read_bytes();
            for s in first {
                if let Step::Raw(b) = s {
                    send_raw(&mut c.stream, b);
                }
                out.extend_from_slice(&c.read_bytes());
            }
            match last {
                Step::Raw(b) => send_raw(&mut c.stream, b),
                Step::Cmd(a) => c.send_bin(a),
            }
            let rest = read_until_close_or_timeout(
                &mut c.stream,
                Duration::from_secs(30),
            );
            out.extend_from_slice(&rest.bytes);
            assert!(rest.closed, "{name}: session did not end");
            String::from_utf8_lossy(&out).into_owned()
        };
        let got = run(ours.port());
        assert!(got.contains("<endsession>"), "{name}: {got}");
        if let Some(theirs) = &theirs {
            assert_eq!(got, run(theirs.port()), "{name}");
        }
        assert_eq!(Conn::new(&ours).raw(&["ping"]), "+PONG\r\n", "{name}");
    }
}

#[test]
fn client_disconnecting_mid_session() {
    let ours = Server::start(&[]);
    let baseline = ours.fd_count();
    for _ in 0..3 {
        let mut c = Conn::new(&ours);
        assert_eq!(c.raw(&["script", "debug", "sync"]), "+OK\r\n");
        c.send(&[
            "eval",
            "redis.call('incr','n')\nreturn redis.call('incr','n')",
            "0",
        ]);
        assert!(c.read().contains("Stopped at 1"));
        drop(c);
        // The script runs to its end without the client, which the
        // server then drops.
        let mut o = Conn::new(&ours);
        util::wait_for(Duration::from_secs(10), || {
            o.raw(&["get", "n"]) != "$-1\r\n"
        });
    }
    assert_eq!(Conn::new(&ours).raw(&["get", "n"]), "$1\r\n6\r\n");
    util::wait_for(Duration::from_secs(10), || ours.fd_count() <= baseline);
}

/// SCRIPT DEBUG YES: the session runs in a forked child, whose writes are
/// not the parent's; the parent reaps the child.
#[test]
fn forked_session() {
    let ours = Server::start(&[]);
    let mut c = Conn::new(&ours);
    assert_eq!(c.raw(&["script", "debug", "yes"]), "+OK\r\n");
    c.send(&[
        "eval",
        "redis.call('set','f','1')\nreturn redis.call('get','f')",
        "0",
    ]);
    assert!(c.read().contains("Stopped at 1"));
    c.send(&["c"]);
    let rest =
        read_until_close_or_timeout(&mut c.stream, Duration::from_secs(30));
    assert!(rest.closed);
    assert_eq!(rest.text(), "*1\r\n+<endsession>\r\n$1\r\n1\r\n");
    assert_eq!(Conn::new(&ours).raw(&["get", "f"]), "$-1\r\n");
    util::wait_for(Duration::from_secs(10), || {
        ours.log().contains("Lua debugging session child exiting")
    });
    // The child is reaped by serverCron (no "unmatched pid" warning).
    let pid = ours.pid();
    util::wait_for(Duration::from_secs(10), || {
        let children =
            std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
                .unwrap_or_default();
        children.trim().is_empty()
    });
    assert!(!ours.log().contains("unmatched pid"));
}

/// redis-cli --ldb-sync-mode --eval, driven from stdin.
#[test]
fn redis_cli_ldb_sync_mode() {
    let ours = Server::start(&[]);
    let dir = util::make_temp_dir();
    let file = dir.join("s.lua");
    std::fs::write(&file, "local a = 5\nredis.call('set','cli',a)\nreturn a\n")
        .expect("write");
    let mut child = std::process::Command::new(util::find_binary("redis-cli"))
        .args(["-p", &ours.port_str(), "--ldb-sync-mode", "--eval"])
        .arg(&file)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("redis-cli");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(b"n\np a\nc\n").expect("stdin");
    }
    let out = child.wait_with_output().expect("wait");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("* Stopped at 1, stop reason = step over"), "{text}");
    assert!(text.contains("<value> 5"), "{text}");
    assert!(text.contains("(integer) 5"), "{text}");
    assert_eq!(Conn::new(&ours).raw(&["get", "cli"]), "$1\r\n5\r\n");
}

/// redis-cli --ldb --eval (SCRIPT DEBUG YES, a forked session), driven
/// from stdin: the script's write is the child's only.
#[test]
fn redis_cli_ldb_forked() {
    let ours = Server::start(&[]);
    let dir = util::make_temp_dir();
    let file = dir.join("s.lua");
    std::fs::write(&file, "local a = 7\nredis.call('set','cli',a)\nreturn a\n")
        .expect("write");
    let mut child = std::process::Command::new(util::find_binary("redis-cli"))
        .args(["-p", &ours.port_str(), "--ldb", "--eval"])
        .arg(&file)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("redis-cli");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(b"n\nn\nc\n").expect("stdin");
    }
    let out = child.wait_with_output().expect("wait");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("<redis> set cli 7"), "{text}");
    assert!(text.contains("(integer) 7"), "{text}");
    assert_eq!(Conn::new(&ours).raw(&["get", "cli"]), "$-1\r\n");
    util::wait_for(Duration::from_secs(10), || {
        ours.log().contains("Lua debugging session child exiting")
    });
}

/// An endless loop under "continue" stops with "timeout reached" once
/// lua-time-limit passes; the client then leaving kills the script
/// ("timeout during Lua debugging with client closing connection").
#[test]
fn endless_loop_stops_and_dies_with_its_client() {
    let run = |srv: &Server| {
        let mut c = Conn::new(srv);
        assert_eq!(
            c.raw(&["config", "set", "lua-time-limit", "100"]),
            "+OK\r\n"
        );
        assert_eq!(c.raw(&["script", "debug", "sync"]), "+OK\r\n");
        c.send(&["eval", "local i = 0\nwhile true do i = i + 1 end", "0"]);
        let mut out = c.read();
        c.send(&["c"]);
        out.push_str(&c.read());
        drop(c);
        let mut o = Conn::new(srv);
        assert_eq!(o.raw(&["ping"]), "+PONG\r\n");
        out
    };
    let ours = Server::start(&[]);
    let got = run(&ours);
    assert!(
        got.contains("stop reason = timeout reached, infinite loop?"),
        "{got}"
    );
    util::wait_for(Duration::from_secs(10), || {
        ours.log().contains("Redis synchronous debugging eval session ended")
    });
    if let Some(bin) = c_server() {
        let theirs = Server::start_binary(&bin, &[]);
        assert_eq!(got, run(&theirs));
    }
}
