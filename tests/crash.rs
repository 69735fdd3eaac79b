//! Crash reports and the software watchdog (debug.c "Crash handling" and
//! "Software Watchdog"), and the second SIGINT of sigShutdownHandler.
//!
//! Redis's own check of this is tests/integration/logging.tcl ("Server is
//! able to generate a stack trace on selected systems"), run unmodified by
//! `scripts/redis-suite`; these tests look at the whole report.

mod util;

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

use util::Server;

/// Sends `args` on a raw connection without waiting for the reply (the
/// server dies before it answers, or takes long to).
fn send(server: &Server, args: &[&str]) -> std::net::TcpStream {
    let mut s = util::raw(server.port());
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    s.write_all(&util::encode_command(&args)).expect("send");
    s
}

/// Waits for the crash and returns the signal the process died of.
fn wait_crash(server: &mut Server) -> Option<i32> {
    util::wait_for(Duration::from_secs(30), || !server.is_alive());
    server.kill().signal()
}

/// The parts of C's sigsegvHandler() report, in order.
fn assert_bug_report(log: &str, sig: i32) {
    let parts = [
        "=== REDIS BUG REPORT START: Cut & paste starting from here ==="
            .to_string(),
        format!("Redis 5.0.14 crashed by signal: {sig}"),
        "------ STACK TRACE ------".to_string(),
        "------ INFO OUTPUT ------".to_string(),
        "redis_version:5.0.14".to_string(),
        "------ CLIENT LIST OUTPUT ------".to_string(),
        "------ CURRENT CLIENT INFO ------".to_string(),
        "------ REGISTERS ------".to_string(),
        "=== REDIS BUG REPORT END. Make sure to include from START to END. ==="
            .to_string(),
    ];
    let mut at = 0;
    for p in &parts {
        match log[at..].find(p.as_str()) {
            Some(i) => at += i + p.len(),
            None => panic!("{p:?} missing (or out of order) in:\n{log}"),
        }
    }
    assert_eq!(
        log.matches("=== REDIS BUG REPORT START").count(),
        1,
        "one report only:\n{log}"
    );
}

#[test]
fn debug_segfault_writes_the_bug_report() {
    let mut server = Server::start(&[]);
    // logCurrentClient() describes the value of argv[1] if it is a key.
    server.cmd(&["SET", "segfault", "some value"]);
    let _c = send(&server, &["DEBUG", "SEGFAULT"]);
    assert_eq!(wait_crash(&mut server), Some(libc::SIGSEGV));
    let log = server.log();
    assert_bug_report(&log, libc::SIGSEGV);
    for want in [
        "Accessing address: 0xffffffffffffffff",
        "Failed assertion: (null) ((null):0)",
        // The frame of the command, with its C twin and source line.
        "oxredis::debug::debug_command (C: debugCommand) src/debug.rs:",
        "oxredis::server::call::call (C: call) src/server/call.rs:",
        "cmd=debug",
        "argv[0]: 'DEBUG'",
        "argv[1]: 'SEGFAULT'",
        "RIP:",
    ] {
        assert!(log.contains(want), "{want:?} missing in:\n{log}");
    }
}

#[test]
fn current_client_report_shows_the_key_of_argv1() {
    let mut server = Server::start(&[]);
    server.cmd(&["SET", "segfault", "some value"]);
    let _c = send(&server, &["debug", "segfault"]);
    assert_eq!(wait_crash(&mut server), Some(libc::SIGSEGV));
    let log = server.log();
    for want in [
        "key 'segfault' found in DB containing the following object:",
        "Object type: 0",
        "Object raw string content: \"some value\"",
    ] {
        assert!(log.contains(want), "{want:?} missing in:\n{log}");
    }
}

#[test]
fn debug_assert_logs_the_assertion_then_the_report() {
    let mut server = Server::start(&[]);
    let _c = send(&server, &["DEBUG", "ASSERT"]);
    assert_eq!(wait_crash(&mut server), Some(libc::SIGSEGV));
    let log = server.log();
    assert_bug_report(&log, libc::SIGSEGV);
    for want in [
        "=== ASSERTION FAILED CLIENT CONTEXT ===",
        "client->argc = 2",
        "client->argv[1] = \"ASSERT\" (refcount: 1)",
        "=== ASSERTION FAILED OBJECT CONTEXT ===",
        "Object raw string content: \"DEBUG\"",
        "=== ASSERTION FAILED ===",
        "'1 == 2' is not true",
        "(forcing SIGSEGV to print the bug report.)",
        "Failed assertion: 1 == 2 (src/debug.rs:",
        "(C: _serverAssert)",
    ] {
        assert!(log.contains(want), "{want:?} missing in:\n{log}");
    }
}

#[test]
fn debug_panic_logs_guru_meditation_then_the_report() {
    let mut server = Server::start(&[]);
    let _c = send(&server, &["DEBUG", "PANIC"]);
    assert_eq!(wait_crash(&mut server), Some(libc::SIGSEGV));
    let log = server.log();
    assert_bug_report(&log, libc::SIGSEGV);
    for want in [
        "!!! Software Failure. Press left mouse button to continue",
        "Guru Meditation: DEBUG PANIC called at Unix time ",
        "(forcing SIGSEGV in order to print the stack trace)",
        "(C: _serverPanic)",
        "(C: debugCommand)",
    ] {
        assert!(log.contains(want), "{want:?} missing in:\n{log}");
    }
}

#[test]
fn report_goes_to_the_logfile_when_one_is_set() {
    // Daemonized, stdout is /dev/null: the report must be in the logfile.
    let mut server = Server::start(&["--logfile", "redis.log"]);
    let _c = send(&server, &["DEBUG", "SEGFAULT"]);
    assert_eq!(wait_crash(&mut server), Some(libc::SIGSEGV));
    let log = std::fs::read_to_string(server.dir().join("redis.log"))
        .expect("read redis.log");
    assert_bug_report(&log, libc::SIGSEGV);
    assert!(log.contains("(C: debugCommand)"), "{log}");
}

/// The child half of `rust_panic_writes_the_report_to_the_logfile`: when
/// run with OXREDIS_PANIC_LOG set, it sets up a server the way main()
/// does, with that logfile, and panics. Otherwise it does nothing.
#[test]
fn rust_panic_child() {
    let Ok(logfile) = std::env::var("OXREDIS_PANIC_LOG") else { return };
    let mut server = oxredis::server::init_server_config();
    server.logfile = logfile;
    server.port = util::free_port() as i32;
    oxredis::debug::SERVER_FOR_HANDLER
        .store(&mut server, std::sync::atomic::Ordering::Relaxed);
    oxredis::server::init_server(&mut server); // installs the handlers
    let v: Vec<u8> = Vec::new();
    let i = std::hint::black_box(3);
    // A real panic, as an out-of-bounds index in a command would raise.
    println!("{}", v[i]);
}

#[test]
fn rust_panic_writes_the_report_to_the_logfile() {
    // The server has no path that panics on purpose (5.0.14 has no such
    // DEBUG subcommand), so this runs the library's start-up in a child
    // process (this test binary again, running rust_panic_child) and
    // panics there, with stderr thrown away as when daemonized.
    let dir = util::make_temp_dir();
    let logfile = dir.join("panic.log");
    let exe = std::env::current_exe().expect("current_exe");
    let status = std::process::Command::new(exe)
        .args(["--exact", "rust_panic_child", "--nocapture"])
        .env("OXREDIS_PANIC_LOG", &logfile)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run child");
    assert_eq!(status.signal(), Some(libc::SIGSEGV), "{status:?}");
    let log = std::fs::read_to_string(&logfile).expect("read panic.log");
    let _ = std::fs::remove_dir_all(&dir);
    for want in [
        "=== REDIS BUG REPORT START: Cut & paste starting from here ===",
        "Guru Meditation: Rust panic: index out of bounds: the len is 0 but the index is 3 #tests/crash.rs:",
        "Redis 5.0.14 crashed by signal: 11",
        "------ STACK TRACE ------",
        "crash::rust_panic_child",
        "------ INFO OUTPUT ------",
        "=== REDIS BUG REPORT END.",
    ] {
        assert!(log.contains(want), "{want:?} missing in:\n{log}");
    }
}

/// The child half of `stack_overflow_writes_the_report`: like
/// `rust_panic_child`, but recurses until the stack is exhausted.
#[test]
fn stack_overflow_child() {
    let Ok(logfile) = std::env::var("OXREDIS_OVERFLOW_LOG") else { return };
    let mut server = oxredis::server::init_server_config();
    server.logfile = logfile;
    server.port = util::free_port() as i32;
    oxredis::debug::SERVER_FOR_HANDLER
        .store(&mut server, std::sync::atomic::Ordering::Relaxed);
    oxredis::server::init_server(&mut server);
    #[inline(never)]
    fn deep(n: u64) -> u64 {
        let buf = std::hint::black_box([n; 64]);
        if n == 0 {
            0
        } else {
            deep(n - 1) + buf[3]
        }
    }
    println!("{}", deep(std::hint::black_box(u64::MAX)));
}

#[test]
fn stack_overflow_writes_the_report() {
    // The handler runs on an alternate stack, so a stack overflow (Rust's
    // runtime would report it, but our SIGSEGV handler replaces its own)
    // still gets the bug report.
    let dir = util::make_temp_dir();
    let logfile = dir.join("overflow.log");
    let exe = std::env::current_exe().expect("current_exe");
    let status = std::process::Command::new(exe)
        .args(["--exact", "stack_overflow_child", "--nocapture"])
        .env("OXREDIS_OVERFLOW_LOG", &logfile)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run child");
    assert_eq!(status.signal(), Some(libc::SIGSEGV), "{status:?}");
    let log = std::fs::read_to_string(&logfile).expect("read overflow.log");
    let _ = std::fs::remove_dir_all(&dir);
    for want in [
        "Redis 5.0.14 crashed by signal: 11",
        "------ STACK TRACE ------",
        "crash::stack_overflow_child::deep",
        "=== REDIS BUG REPORT END.",
    ] {
        assert!(log.contains(want), "{want:?} missing in:\n{log}");
    }
}

#[test]
fn watchdog_logs_a_stack_trace_naming_debug_command() {
    let mut server = Server::start(&[]);
    assert_eq!(
        server.cmd_str(&["CONFIG", "SET", "watchdog-period", "200"]),
        "OK"
    );
    let got = server.cmd(&["CONFIG", "GET", "watchdog-period"]);
    assert!(format!("{got:?}").contains("200"), "{got:?}");
    assert_eq!(server.cmd_str(&["DEBUG", "SLEEP", "1"]), "OK");
    util::wait_for(Duration::from_secs(10), || {
        server.log().contains("--------\n")
    });
    let log = server.log();
    for want in [
        "signal-handler",
        "--- WATCHDOG TIMER EXPIRED ---",
        "oxredis::debug::debug_command (C: debugCommand) src/debug.rs:",
        "(C: processCommand)",
    ] {
        assert!(log.contains(want), "{want:?} missing in:\n{log}");
    }
    // The watchdog only reports: the server goes on.
    assert_eq!(server.cmd_str(&["PING"]), "PONG");
    assert!(server.is_alive());

    // Disabled at run time: no new report.
    assert_eq!(
        server.cmd_str(&["CONFIG", "SET", "watchdog-period", "0"]),
        "OK"
    );
    let n = server.log().matches("WATCHDOG TIMER EXPIRED").count();
    assert_eq!(server.cmd_str(&["DEBUG", "SLEEP", "0.5"]), "OK");
    assert_eq!(server.log().matches("WATCHDOG TIMER EXPIRED").count(), n);
}

#[test]
fn watchdog_period_is_at_least_two_cron_periods() {
    // enableWatchdog(): min_period = (1000/hz)*2, 200 ms at hz 10.
    let server = Server::start(&[]);
    assert_eq!(
        server.cmd_str(&["CONFIG", "SET", "watchdog-period", "10"]),
        "OK"
    );
    let got = server.cmd(&["CONFIG", "GET", "watchdog-period"]);
    assert!(
        format!("{got:?}").contains("200"),
        "watchdog-period should be raised to 200: {got:?}"
    );
}

#[test]
fn second_sigint_during_save_removes_the_temp_rdb() {
    let mut server = Server::start(&[]);
    // Enough data for SAVE to take a while.
    assert_eq!(
        server.cmd_str(&["DEBUG", "POPULATE", "400000", "key", "500"]),
        "OK"
    );
    let tmp = server.dir().join(format!("temp-{}.rdb", server.pid()));
    let _c = send(&server, &["SAVE"]);
    let t0 = Instant::now();
    while !tmp.exists() {
        assert!(t0.elapsed() < Duration::from_secs(20), "SAVE never started");
        std::thread::sleep(Duration::from_millis(1));
    }
    server.signal(libc::SIGINT);
    std::thread::sleep(Duration::from_millis(20));
    server.signal(libc::SIGINT);
    util::wait_for(Duration::from_secs(20), || !server.is_alive());
    let status = server.kill();
    let log = server.log();
    assert!(log.contains("You insist... exiting now."), "{log}");
    assert_eq!(status.code(), Some(1), "{status:?}");
    let left: Vec<String> = std::fs::read_dir(server.dir())
        .expect("read dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("temp-") && n.ends_with(".rdb"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
