//! The stock client tools against the real `oxredis-server` binary: the
//! "Done means" of issue 2. `redis-benchmark` must run its tests with no
//! error, and `redis-cli` must behave as it does against Redis 5.0.14,
//! both with commands on its stdin (its REPL without a terminal) and with
//! a command on its command line.

mod util;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use util::{find_binary, Server};

/// Runs `redis-benchmark -p <port> <args>` and returns its stdout and
/// stderr, with the `\r`-separated progress lines split into lines.
fn redis_benchmark(port: u16, args: &[&str]) -> (String, String) {
    let out = util::run_tool("redis-benchmark", port, args);
    assert!(
        out.status.success(),
        "redis-benchmark exited with {}: {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let fix = |b: &[u8]| String::from_utf8_lossy(b).replace('\r', "\n");
    (fix(&out.stdout), fix(&out.stderr))
}

/// The final `NAME: N requests per second...` lines of a `-q` run, as
/// (name, requests per second).
fn rps_lines(out: &str) -> Vec<(String, f64)> {
    out.lines()
        .filter_map(|l| {
            let (name, rest) = l.split_once(": ")?;
            let (num, _) = rest.split_once(" requests per second")?;
            Some((name.trim().to_string(), num.trim().parse().ok()?))
        })
        .collect()
}

/// Fails when any output line looks like an error report: redis-benchmark
/// prints `Error from server: ...` for error replies (7.x) and `WARNING:
/// Could not fetch server CONFIG` when its start-up `CONFIG GET save` /
/// `CONFIG GET appendonly` fail.
fn assert_no_error_lines(stdout: &str, stderr: &str) {
    for l in stdout.lines().chain(stderr.lines()) {
        let low = l.to_ascii_lowercase();
        assert!(
            !low.contains("error") && !low.contains("warn") && !low.contains("-err"),
            "redis-benchmark printed an error line: {l:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
    }
}

/// `redis-benchmark -t ping,set,get,incr,mset -n 2000 -q`: every test prints
/// its requests-per-second line, nothing prints an error, and the server
/// really executed the commands (INCR ran 2000 times on one counter).
#[test]
fn redis_benchmark_ping_set_get_incr_mset() {
    let server = Server::start(&[]);
    let (stdout, stderr) = redis_benchmark(
        server.port(),
        &["-t", "ping,set,get,incr,mset", "-n", "2000", "-q"],
    );
    assert_no_error_lines(&stdout, &stderr);
    let lines = rps_lines(&stdout);
    let names: Vec<&str> = lines.iter().map(|(n, _)| n.as_str()).collect();
    // Redis 5's benchmark calls the second ping test PING_BULK, 6.0 and
    // later PING_MBULK.
    let expected: [&[&str]; 6] = [
        &["PING_INLINE"],
        &["PING_MBULK", "PING_BULK"],
        &["SET"],
        &["GET"],
        &["INCR"],
        &["MSET (10 keys)"],
    ];
    assert_eq!(
        names.len(),
        expected.len(),
        "tests reported: {names:?}\n{stdout}"
    );
    for (got, want) in names.iter().zip(expected) {
        assert!(
            want.contains(got),
            "expected one of {want:?}, got {got:?}\n{stdout}"
        );
    }
    for (name, rps) in &lines {
        assert!(*rps > 0.0, "{name}: {rps} requests per second");
    }
    // Without -r every INCR hits the same key.
    assert_eq!(server.cmd_str(&["GET", "counter:__rand_int__"]), "2000");
    // SET and MSET wrote the 3-byte (-d default) value there.
    assert_eq!(server.cmd_str(&["STRLEN", "key:__rand_int__"]), "3");
    let stats = server.info_text(Some("commandstats"));
    let calls = |cmd: &str| -> u64 {
        util::info_field(&stats, &format!("cmdstat_{cmd}"))
            .and_then(|v| {
                v.strip_prefix("calls=")?.split(',').next()?.parse().ok()
            })
            .unwrap_or_else(|| panic!("no cmdstat_{cmd} in {stats}"))
    };
    assert_eq!(calls("incr"), 2000);
    assert_eq!(calls("mset"), 2000);
    // PING_INLINE and PING_MBULK, plus the test helper's start-up PINGs.
    assert!((4000..4010).contains(&calls("ping")), "{stats}");
}

/// redis-benchmark with its default test list (lists, sets, hashes, sorted
/// sets, LRANGE of 100..600 elements, MSET): all of them complete without
/// an error reply.
#[test]
fn redis_benchmark_default_tests() {
    let server = Server::start(&[]);
    let (stdout, stderr) =
        redis_benchmark(server.port(), &["-n", "2000", "-q"]);
    assert_no_error_lines(&stdout, &stderr);
    let names: Vec<String> =
        rps_lines(&stdout).into_iter().map(|(n, _)| n).collect();
    for want in [
        "SET",
        "GET",
        "INCR",
        "LPUSH",
        "RPOP",
        "SADD",
        "HSET",
        "SPOP",
        "MSET (10 keys)",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}\n{stdout}"
        );
    }
    assert!(
        names.iter().any(|n| n.starts_with("LRANGE_600")),
        "LRANGE_600 missing from {names:?}\n{stdout}"
    );
    assert!(
        names.len() >= 17,
        "only {} tests reported: {names:?}",
        names.len()
    );
}

/// Runs `redis-cli -h 127.0.0.1 -p <port> <args>` with `input` on its
/// stdin and returns its stdout. Without a command on the command line
/// redis-cli runs its REPL, which reads lines from a non-terminal stdin
/// without printing a prompt.
fn redis_cli_stdin(port: u16, args: &[&str], input: &str) -> String {
    let mut child = Command::new(find_binary("redis-cli"))
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run redis-cli");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write redis-cli stdin");
    // The stdin handle is dropped above, so redis-cli sees EOF and exits.
    assert!(
        util::wait_child(&mut child, Duration::from_secs(20)).is_some(),
        "redis-cli did not exit"
    );
    let out = child.wait_with_output().expect("redis-cli output");
    assert!(out.status.success(), "redis-cli exited with {}", out.status);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// redis-cli's REPL fed from stdin, with the human (`--no-raw`) format:
/// status, bulk, nil, integer, array and error replies, quoting of binary
/// bulk strings, the unknown-command and wrong-arity errors of 5.0, and
/// SELECT carried over to the following commands.
#[test]
fn redis_cli_stdin_no_raw() {
    let server = Server::start(&[]);
    let input = "\
select 5
set k v
get k
get missing
incr k
nosuchcmd a b
rpush l a \"b c\"
lrange l 0 -1
mget k missing
exists k l missing
ttl k
set q \"x\\ny\"
get q
get
ping hello
dbsize
";
    let out = redis_cli_stdin(server.port(), &["--no-raw"], input);
    let expected = "\
OK
OK
\"v\"
(nil)
(error) ERR value is not an integer or out of range
(error) ERR unknown command `nosuchcmd`, with args beginning with: `a`, `b`, 
(integer) 2
1) \"a\"
2) \"b c\"
1) \"v\"
2) (nil)
(integer) 2
(integer) -1
OK
\"x\\ny\"
(error) ERR wrong number of arguments for 'get' command
\"hello\"
(integer) 3
";
    assert_eq!(out, expected);
    // The keys went to DB 5, not DB 0.
    assert_eq!(server.cmd_str(&["DBSIZE"]), "0");
    assert_eq!(server.cmd_str(&["SELECT", "5"]), "OK");
}

/// A command on redis-cli's command line, in both output modes, plus the
/// `COMMAND` and `CONFIG GET` calls tools make at start-up.
#[test]
fn redis_cli_command_line_raw_and_no_raw() {
    let server = Server::start(&[]);
    let (out, status) =
        util::redis_cli(server.port(), &["rpush", "l", "1", "two"]);
    assert!(status.success());
    assert_eq!(out, "2\n");
    let (out, _) = util::redis_cli(server.port(), &["lrange", "l", "0", "-1"]);
    assert_eq!(out, "1\ntwo\n");
    let (out, _) =
        util::redis_cli(server.port(), &["--no-raw", "lrange", "l", "0", "-1"]);
    assert_eq!(out, "1) \"1\"\n2) \"two\"\n");
    let (out, _) =
        util::redis_cli(server.port(), &["--no-raw", "config", "get", "save"]);
    assert_eq!(out, "1) \"save\"\n2) \"\"\n");
    let (out, _) = util::redis_cli(
        server.port(),
        &["--no-raw", "config", "get", "appendonly"],
    );
    assert_eq!(out, "1) \"appendonly\"\n2) \"no\"\n");
    // redis-cli 7 asks COMMAND DOCS first and falls back to COMMAND; 5.0
    // knows no DOCS subcommand. (In raw mode redis-cli ends an error with
    // an empty line.)
    let (out, _) = util::redis_cli(server.port(), &["command", "docs"]);
    assert_eq!(
        out,
        "ERR Unknown subcommand or wrong number of arguments for 'docs'. Try COMMAND HELP.\n\n"
    );
    let (out, _) =
        util::redis_cli(server.port(), &["--no-raw", "command", "count"]);
    let count: i64 = out
        .trim()
        .strip_prefix("(integer) ")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("COMMAND COUNT: {out:?}"));
    let (out, _) = util::redis_cli(server.port(), &["command"]);
    // Raw mode prints one line per leaf of the nested reply; every entry
    // starts with its name, and GET is there with arity 2.
    assert!(out.lines().any(|l| l == "get"), "{out}");
    assert!(count > 100, "COMMAND COUNT {count}");
}
