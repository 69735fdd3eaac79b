//! redis.conf, the command line and CONFIG GET/SET/RESETSTAT/REWRITE, plus
//! the start-up log. Mirrors what Redis 5.0.14's config.c and server.c
//! main() do; the expected texts were taken from the real 5.0.14 binary.
//!
//! Start-up failures are tested by running the binary directly (the
//! harness in util expects a server that comes up).
//!
//! If `REDIS_C_SERVER` names a real Redis 5.0.14 `redis-server` (or
//! `REDIS_SRC` a built 5.0.14 tree), the start-up log, the FATAL reports,
//! `CONFIG GET *`, the CONFIG SET errors and a CONFIG REWRITE are also
//! compared with its output. Debian's redis-server 7.0 is always compared
//! on what the two versions share.

mod util;

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use redis::Value;
use util::{c_server, raw, read_reply, send_raw, Conn, Server, OXREDIS_BIN};

// --------------------------------- helpers ---------------------------------

/// Sends one command on a new raw connection and returns the reply bytes
/// as text.
fn raw_cmd(port: u16, args: &[&str]) -> String {
    Conn::connect(port).raw(args)
}

/// CONFIG GET as (name, value) pairs.
fn config_get(server: &Server, pattern: &str) -> Vec<(String, String)> {
    match server.cmd(&["CONFIG", "GET", pattern]) {
        Value::Array(items) => items
            .chunks(2)
            .map(|p| {
                (
                    util::value_to_string(&p[0]).unwrap(),
                    util::value_to_string(&p[1]).unwrap(),
                )
            })
            .collect(),
        v => panic!("CONFIG GET {pattern}: not an array: {v:?}"),
    }
}

/// The value of one parameter, by exact name.
fn config_value(server: &Server, name: &str) -> String {
    let pairs = config_get(server, name);
    assert_eq!(pairs.len(), 1, "CONFIG GET {name}: {pairs:?}");
    pairs[0].1.clone()
}

/// Runs the binary to completion (for start-up failures), with stdin
/// closed, in `cwd`.
fn run_to_exit(bin: &Path, args: &[&str], cwd: &Path) -> Output {
    let mut child = Command::new(bin)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn server");
    if util::wait_child(&mut child, Duration::from_secs(10)).is_none() {
        panic!("{} {:?} did not exit", bin.display(), args);
    }
    child.wait_with_output().unwrap()
}

/// A server process started by hand (own cwd, own arguments) whose stdout
/// and stderr go to `<dir>/out.log`. Killed on drop.
struct Direct {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Direct {
    fn start(bin: &Path, args: &[&str], dir: &Path, port: u16) -> Direct {
        let log = fs::File::create(dir.join("out.log")).unwrap();
        let child = Command::new(bin)
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn server");
        let mut d = Direct { child, dir: dir.to_path_buf(), port };
        d.wait_log("Ready to accept connections");
        d
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.join("out.log")).unwrap_or_default()
    }

    fn wait_log(&mut self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.log().contains(what) {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "server exited ({status}) before '{what}':\n{}",
                    self.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "no '{what}' in:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn cmd(&self, args: &[&str]) -> String {
        raw_cmd(self.port, args)
    }
}

impl Drop for Direct {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Masks pids and timestamps: `123:M 25 Nov 2026 09:16:59.639 #` becomes
/// `PID:M DATE #`, and the logo's `PID: 123` / `pid=123` become `PID`.
fn mask_log(log: &str, pid: u32) -> String {
    let mut out = String::new();
    for line in log.lines() {
        let line = line.replace(&pid.to_string(), "PID");
        // "PID:M dd Mon yyyy hh:mm:ss.mmm L msg"
        let masked = match line.split_once(' ') {
            Some((head, rest))
                if head.starts_with("PID:") && rest.len() > 24 =>
            {
                format!("{} DATE{}", head, &rest[24..])
            }
            _ => line,
        };
        out.push_str(&masked);
        out.push('\n');
    }
    out
}

// ------------------------------ config file ------------------------------

#[test]
fn config_file_then_command_line_options() {
    let conf = "# a comment\n\
                \n\
                timeout 30\n\
                hz 20\n   \
                maxmemory-policy allkeys-lru\r\n\
                maxmemory 2mb\n\
                client-output-buffer-limit pubsub 1mb 512kb 10\n";
    let server = Server::start_with_config(
        conf,
        &["--timeout", "40", "--bind", "127.0.0.1", "::1"],
    );
    // The command line comes after the file, so it wins.
    assert_eq!(config_value(&server, "timeout"), "40");
    assert_eq!(config_value(&server, "hz"), "20");
    assert_eq!(config_value(&server, "maxmemory-policy"), "allkeys-lru");
    assert_eq!(config_value(&server, "maxmemory"), "2097152");
    assert_eq!(
        config_value(&server, "client-output-buffer-limit"),
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 524288 10"
    );
    // `--bind a b`: an option with several values.
    assert_eq!(config_value(&server, "bind"), "127.0.0.1 ::1");
}

#[test]
fn save_empty_string_and_save_points_from_args() {
    // The harness passes --save "" (sdscatrepr turns it into `save ""`).
    let server = Server::start(&[]);
    assert_eq!(config_value(&server, "save"), "");
    let server = Server::start(&["--save", "900", "1", "--save", "300", "10"]);
    assert_eq!(config_value(&server, "save"), "900 1 300 10");
}

#[test]
fn any_argument_resets_the_default_save_points() {
    // As in C's main(): with arguments, resetServerSaveParams() runs
    // before the configuration is loaded, so no default save points.
    let dir = util::make_temp_dir();
    let port = util::free_port();
    let p = port.to_string();
    let d = Direct::start(
        Path::new(OXREDIS_BIN),
        &["--port", &p, "--bind", "127.0.0.1"],
        &dir,
        port,
    );
    assert_eq!(
        d.cmd(&["CONFIG", "GET", "save"]),
        "*2\r\n$4\r\nsave\r\n$0\r\n\r\n"
    );
    drop(d);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn old_slave_names_are_accepted() {
    let conf = "slave-serve-stale-data no\n\
                slave-read-only no\n\
                slave-priority 42\n\
                slave-announce-ip 10.0.0.1\n\
                slave-announce-port 7777\n\
                slave-lazy-flush yes\n\
                slave-ignore-maxmemory no\n\
                repl-ping-slave-period 3\n\
                min-slaves-max-lag 7\n";
    let server = Server::start_with_config(conf, &[]);
    for (name, want) in [
        ("replica-serve-stale-data", "no"),
        ("slave-serve-stale-data", "no"),
        ("replica-read-only", "no"),
        ("replica-priority", "42"),
        ("replica-announce-ip", "10.0.0.1"),
        ("replica-announce-port", "7777"),
        ("replica-lazy-flush", "yes"),
        ("replica-ignore-maxmemory", "no"),
        ("repl-ping-replica-period", "3"),
        ("min-replicas-max-lag", "7"),
    ] {
        assert_eq!(config_value(&server, name), want, "{name}");
    }
    // And CONFIG SET takes both names.
    server.cmd(&["CONFIG", "SET", "slave-read-only", "yes"]);
    assert_eq!(config_value(&server, "replica-read-only"), "yes");
    server.cmd(&["CONFIG", "SET", "min-slaves-to-write", "0"]);
}

#[test]
fn logfile_empty_quotes_logs_to_stdout() {
    // logfile '' (two single quotes) means standard output.
    let server =
        Server::start_with_config("logfile ''\nloglevel verbose\n", &[]);
    assert!(
        server.log().contains("Ready to accept connections"),
        "{}",
        server.log()
    );
    assert_eq!(config_value(&server, "logfile"), "");
    assert_eq!(config_value(&server, "loglevel"), "verbose");
}

#[test]
fn logfile_path_gets_the_log() {
    let server = Server::start(&["--logfile", "server-file.log"]);
    let path = server.dir().join("server-file.log");
    util::wait_for(Duration::from_secs(5), || {
        fs::read_to_string(&path)
            .unwrap_or_default()
            .contains("Ready to accept connections")
    });
    assert!(
        !server.log().contains("Ready to accept"),
        "stdout got the log too"
    );
}

#[test]
fn relative_dir_is_relative_to_the_start_directory() {
    let dir = util::make_temp_dir();
    fs::create_dir(dir.join("sub")).unwrap();
    fs::write(dir.join("redis.conf"), "dir sub\ndbfilename x.rdb\nsave \"\"\n")
        .unwrap();
    let port = util::free_port();
    let p = port.to_string();
    let d = Direct::start(
        Path::new(OXREDIS_BIN),
        &["redis.conf", "--port", &p, "--bind", "127.0.0.1"],
        &dir,
        port,
    );
    let want = dir.join("sub").canonicalize().unwrap();
    let got = d.cmd(&["CONFIG", "GET", "dir"]);
    assert!(got.contains(&format!("{}\r\n", want.display())), "{got}");
    drop(d);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn pidfile_is_written_and_removed_on_shutdown() {
    let mut server = Server::start(&["--pidfile", "my.pid"]);
    let path = server.dir().join("my.pid");
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        format!("{}\n", server.pid())
    );
    assert_eq!(config_value(&server, "pidfile"), "my.pid");
    server.kill();
    assert!(!path.exists(), "pid file left behind");
}

#[test]
fn include_loads_another_file() {
    let dir = util::make_temp_dir();
    let other = dir.join("other.conf");
    fs::write(&other, "hz 33\nmaxmemory-samples 7\n").unwrap();
    let conf = format!("include {}\nmaxmemory-samples 9\n", other.display());
    let server = Server::start_with_config(&conf, &[]);
    assert_eq!(config_value(&server, "hz"), "33");
    // Lines after the include override it.
    assert_eq!(config_value(&server, "maxmemory-samples"), "9");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn rename_command_renames_and_removes() {
    let conf =
        "rename-command time \"\"\nrename-command echo b840fc02d524045429941cc15f59e41cb7be6c52x\n";
    let server = Server::start_with_config(conf, &[]);
    let got = raw_cmd(server.port(), &["TIME"]);
    assert!(got.starts_with("-ERR unknown command `TIME`"), "{got}");
    let got = raw_cmd(server.port(), &["ECHO", "x"]);
    assert!(got.starts_with("-ERR unknown command `ECHO`"), "{got}");
    assert_eq!(
        raw_cmd(
            server.port(),
            &["B840FC02D524045429941CC15F59E41CB7BE6C52X", "hi"]
        ),
        "$2\r\nhi\r\n"
    );
}

#[test]
fn stdin_config_with_dash() {
    let dir = util::make_temp_dir();
    let port = util::free_port();
    let log = fs::File::create(dir.join("out.log")).unwrap();
    let mut child = Command::new(OXREDIS_BIN)
        .args(["-", "--bind", "127.0.0.1"])
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        write!(stdin, "port {port}\nhz 42\nsave \"\"\n").unwrap();
    }
    util::wait_for(Duration::from_secs(10), || {
        fs::read_to_string(dir.join("out.log"))
            .unwrap_or_default()
            .contains("Ready to accept")
    });
    let got = raw_cmd(port, &["CONFIG", "GET", "hz"]);
    let _ = child.kill();
    let _ = child.wait();
    let _ = fs::remove_dir_all(&dir);
    assert_eq!(got, "*2\r\n$2\r\nhz\r\n$2\r\n42\r\n");
}

// ------------------------------ fatal errors ------------------------------

/// The exact stderr of loadServerConfigFromString's loaderr label.
fn fatal_report(line: usize, text: &str, err: &str) -> String {
    format!(
        "\n*** FATAL CONFIG FILE ERROR ***\nReading the configuration file, at line {line}\n>>> '{text}'\n{err}\n"
    )
}

fn check_fatal(bin: &Path, conf: &str, args: &[&str], want: &str) {
    let dir = util::make_temp_dir();
    fs::write(dir.join("redis.conf"), conf).unwrap();
    let mut all = vec!["redis.conf"];
    all.extend_from_slice(args);
    let out = run_to_exit(bin, &all, &dir);
    let _ = fs::remove_dir_all(&dir);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}: {conf:?} {args:?}",
        bin.display()
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        want,
        "{}: {conf:?} {args:?}",
        bin.display()
    );
}

#[test]
fn unknown_directive_exits_with_the_fatal_report() {
    let cases: Vec<(&str, Vec<&str>, String)> = vec![
        (
            "port 7000\nbogus-directive yes\n",
            vec![],
            fatal_report(2, "bogus-directive yes", "Bad directive or wrong number of arguments"),
        ),
        ("timeout -5\n", vec![], fatal_report(1, "timeout -5", "Invalid timeout value")),
        (
            "# c\nprotected-mode maybe\n",
            vec![],
            fatal_report(2, "protected-mode maybe", "argument must be 'yes' or 'no'"),
        ),
        (
            "dbfilename a/b.rdb\n",
            vec![],
            fatal_report(1, "dbfilename a/b.rdb", "dbfilename can't be a path, just a filename"),
        ),
        (
            "notify-keyspace-events KEAQ\n",
            vec![],
            fatal_report(
                1,
                "notify-keyspace-events KEAQ",
                "Invalid event class character. Use 'g$lshzxeA'.",
            ),
        ),
        (
            "bind \"unbalanced\n",
            vec![],
            fatal_report(1, "bind \"unbalanced", "Unbalanced quotes in configuration line"),
        ),
        (
            "repl-backlog-ttl -1\n",
            vec![],
            fatal_report(1, "repl-backlog-ttl -1", "repl-backlog-ttl can't be negative "),
        ),
        (
            "client-output-buffer-limit master 0 0 0\n",
            vec![],
            fatal_report(
                1,
                "client-output-buffer-limit master 0 0 0",
                "Unrecognized client limit class: the user specified an invalid one, or 'master' which has no buffer limits.",
            ),
        ),
        (
            "rename-command nosuchcommand foo\n",
            vec![],
            fatal_report(1, "rename-command nosuchcommand foo", "No such command in rename-command"),
        ),
        // Command-line options are line 2 on: the file, "\n", then them.
        ("port 7000", vec!["--port"], fatal_report(2, "port", "Bad directive or wrong number of arguments")),
        (
            "",
            vec!["--hz", "10", "--foo", "bar"],
            fatal_report(3, "foo \"bar\"", "Bad directive or wrong number of arguments"),
        ),
        (
            "logfile /nonexistent-dir/x.log\n",
            vec![],
            fatal_report(
                1,
                "logfile /nonexistent-dir/x.log",
                "Can't open the log file: No such file or directory",
            ),
        ),
    ];
    let mut bins = vec![PathBuf::from(OXREDIS_BIN)];
    bins.extend(c_server());
    for bin in &bins {
        for (conf, args, want) in &cases {
            check_fatal(bin, conf, args, want);
        }
    }
}

#[test]
fn missing_config_file_and_bad_dir_are_fatal() {
    let dir = util::make_temp_dir();
    let out = run_to_exit(Path::new(OXREDIS_BIN), &["nonexistent.conf"], &dir);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            " # Fatal error, can't open config file 'nonexistent.conf'"
        ),
        "{stdout}"
    );

    let out =
        run_to_exit(Path::new(OXREDIS_BIN), &["--dir", "no/such/dir"], &dir);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            " # Can't chdir to 'no/such/dir': No such file or directory"
        ),
        "{stdout}"
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn version_and_help() {
    let dir = util::make_temp_dir();
    let out = run_to_exit(Path::new(OXREDIS_BIN), &["--version"], &dir);
    assert_eq!(out.status.code(), Some(0));
    let v = String::from_utf8_lossy(&out.stdout);
    assert!(
        v.starts_with("Redis server v=5.0.14 sha=00000000:0 malloc=jemalloc-"),
        "{v}"
    );
    let out = run_to_exit(Path::new(OXREDIS_BIN), &["-h"], &dir);
    assert_eq!(out.status.code(), Some(1));
    let h = String::from_utf8_lossy(&out.stderr);
    assert!(
        h.starts_with(
            "Usage: ./redis-server [/path/to/redis.conf] [options]\n"
        ),
        "{h}"
    );
    assert!(
        h.ends_with("       ./redis-server /etc/sentinel.conf --sentinel\n"),
        "{h}"
    );
    let _ = fs::remove_dir_all(&dir);
}

// ------------------------------- CONFIG GET -------------------------------

#[test]
fn config_get_glob_in_c_order() {
    let server = Server::start(&[]);
    let names: Vec<String> = config_get(&server, "*max-*-entries*")
        .into_iter()
        .map(|p| p.0)
        .collect();
    assert_eq!(
        names,
        [
            "hash-max-ziplist-entries",
            "set-max-intset-entries",
            "zset-max-ziplist-entries"
        ]
    );
    assert_eq!(
        config_get(&server, "*max-*-entries*")
            .into_iter()
            .map(|p| p.1)
            .collect::<Vec<_>>(),
        ["512", "512", "128"]
    );
    assert!(config_get(&server, "no-such-parameter").is_empty());
    // Case-insensitive pattern.
    assert_eq!(config_value(&server, "MAXMEMORY"), "0");

    let all = config_get(&server, "*");
    let names: Vec<&str> = all.iter().map(|p| p.0.as_str()).collect();
    // Both names of the replica options, but one slaveof entry only.
    for n in [
        "slave-read-only",
        "replica-read-only",
        "slave-priority",
        "replica-priority",
        "slaveof",
    ] {
        assert!(names.contains(&n), "{n} missing");
    }
    assert!(!names.contains(&"replicaof"));
    assert_eq!(config_value(&server, "replicaof"), "");
    // Defaults as in 5.0.
    for (name, want) in [
        ("protected-mode", "yes"),
        ("tcp-backlog", "511"),
        ("databases", "16"),
        ("repl-backlog-size", "1048576"),
        ("list-max-ziplist-size", "-2"),
        ("appendonly", "no"),
        ("appendfsync", "everysec"),
        ("supervised", "no"),
        ("syslog-facility", "local0"),
        ("maxmemory-policy", "noeviction"),
        ("unixsocketperm", "0"),
        ("notify-keyspace-events", ""),
        ("slowlog-log-slower-than", "10000"),
        ("dynamic-hz", "yes"),
    ] {
        assert_eq!(config_value(&server, name), want, "{name}");
    }
    // The raw reply shape: a flat array of bulk strings.
    assert_eq!(
        raw_cmd(server.port(), &["CONFIG", "GET", "hz"]),
        "*2\r\n$2\r\nhz\r\n$2\r\n10\r\n"
    );
}

// ------------------------------- CONFIG SET -------------------------------

#[test]
fn config_set_get_round_trips() {
    let server = Server::start(&[]);
    for (name, set, get) in [
        ("timeout", "100", "100"),
        ("maxmemory", "10mb", "10485760"),
        ("maxmemory", "", "0"),
        ("save", "100 10 200 20", "100 10 200 20"),
        ("save", "", ""),
        ("notify-keyspace-events", "KEA", "AKE"),
        ("notify-keyspace-events", "Ex$", "$xE"),
        ("loglevel", "WARNING", "warning"),
        ("repl-backlog-size", "100", "16384"),
        ("repl-backlog-size", "10mb", "10485760"),
        ("repl-backlog-ttl", "1", "1"),
        ("repl-diskless-sync", "yes", "yes"),
        ("repl-diskless-sync-delay", "1000", "1000"),
        ("lua-time-limit", "1000", "1000"),
        ("hz", "1000", "500"),
        ("hz", "0", "1"),
        ("requirepass", "", ""),
        ("masterauth", "secret", "secret"),
        ("slave-announce-ip", "1.2.3.4", "1.2.3.4"),
        ("maxmemory-policy", "volatile-lfu", "volatile-lfu"),
        ("appendfsync", "always", "always"),
        ("list-max-ziplist-size", "-5", "-5"),
        ("slowlog-log-slower-than", "-1", "-1"),
        ("maxclients", "100", "100"),
        ("activedefrag", "no", "no"),
        ("appendonly", "no", "no"),
        (
            "client-output-buffer-limit",
            "normal 1mb 2mb 3 replica 4gb 5kb 6",
            "normal 1048576 2097152 3 slave 4294967296 5120 6 pubsub 33554432 8388608 60",
        ),
    ] {
        assert_eq!(
            server.cmd_str(&["CONFIG", "SET", name, set]),
            "OK",
            "{name} {set}"
        );
        assert_eq!(config_value(&server, name), get, "{name} {set}");
    }
}

#[test]
fn config_set_errors_are_byte_exact() {
    let server = Server::start(&[]);
    let p = server.port();
    for (args, want) in [
        (&["CONFIG", "SET", "foo", "bar"][..], "-ERR Unsupported CONFIG parameter: foo\r\n"),
        (&["CONFIG", "SET", "timeout", "-1"][..], "-ERR Invalid argument '-1' for CONFIG SET 'timeout'\r\n"),
        (&["CONFIG", "SET", "Timeout", "x"][..], "-ERR Invalid argument 'x' for CONFIG SET 'Timeout'\r\n"),
        (&["CONFIG", "SET", "dbfilename", "a/b"][..], "-ERR dbfilename can't be a path, just a filename\r\n"),
        (&["CONFIG", "SET", "save", "100"][..], "-ERR Invalid argument '100' for CONFIG SET 'save'\r\n"),
        (&["CONFIG", "SET", "save", "0 10"][..], "-ERR Invalid argument '0 10' for CONFIG SET 'save'\r\n"),
        (&["CONFIG", "SET", "maxmemory", "1.5mb"][..], "-ERR Invalid argument '1.5mb' for CONFIG SET 'maxmemory'\r\n"),
        (&["CONFIG", "SET", "protected-mode", "maybe"][..], "-ERR Invalid argument 'maybe' for CONFIG SET 'protected-mode'\r\n"),
        (&["CONFIG", "SET", "proto-max-bulk-len", "1000"][..], "-ERR Invalid argument '1000' for CONFIG SET 'proto-max-bulk-len'\r\n"),
        (&["CONFIG", "SET", "client-output-buffer-limit", "master 0 0 0"][..], "-ERR Invalid argument 'master 0 0 0' for CONFIG SET 'client-output-buffer-limit'\r\n"),
        (&["CONFIG", "SET", "maxclients", "0"][..], "-ERR Invalid argument '0' for CONFIG SET 'maxclients'\r\n"),
        (&["CONFIG", "SET", "dir", "/no/such/dir"][..], "-ERR Changing directory: No such file or directory\r\n"),
        (&["CONFIG", "SET", "port", "1234"][..], "-ERR Unsupported CONFIG parameter: port\r\n"),
        (&["CONFIG", "bogus"][..], "-ERR Unknown subcommand or wrong number of arguments for 'bogus'. Try CONFIG HELP.\r\n"),
        (&["CONFIG", "get"][..], "-ERR Unknown subcommand or wrong number of arguments for 'get'. Try CONFIG HELP.\r\n"),
        (&["CONFIG"][..], "-ERR wrong number of arguments for 'config' command\r\n"),
        (&["CONFIG", "REWRITE"][..], "-ERR The server is running without a config file\r\n"),
    ] {
        assert_eq!(raw_cmd(p, args), want, "{args:?}");
    }
    // Nothing was changed by the refused values.
    assert_eq!(config_value(&server, "timeout"), "0");
    assert_eq!(config_value(&server, "maxclients"), "10000");
}

#[test]
fn config_set_dir_changes_the_working_directory() {
    let server = Server::start(&[]);
    fs::create_dir(server.dir().join("newdir")).unwrap();
    assert_eq!(server.cmd_str(&["CONFIG", "SET", "dir", "newdir"]), "OK");
    let want = server.dir().join("newdir").canonicalize().unwrap();
    assert_eq!(config_value(&server, "dir"), want.display().to_string());
}

#[test]
fn config_help_and_resetstat() {
    let server = Server::start(&[]);
    assert_eq!(
        raw_cmd(server.port(), &["CONFIG", "HELP"]),
        "*5\r\n+CONFIG <subcommand> arg arg ... arg. Subcommands are:\r\n\
         +GET <pattern> -- Return parameters matching the glob-like <pattern> and their values.\r\n\
         +SET <parameter> <value> -- Set parameter to value.\r\n\
         +RESETSTAT -- Reset statistics reported by INFO.\r\n\
         +REWRITE -- Rewrite the configuration file.\r\n"
    );
    for _ in 0..5 {
        server.cmd(&["PING"]);
    }
    // On one connection: RESETSTAT, then INFO. As in 5.0, RESETSTAT is
    // counted after the reset, and no connection was made since.
    let mut s = raw(server.port());
    send_raw(&mut s, b"CONFIG RESETSTAT\r\n");
    assert_eq!(read_reply(&mut s), b"+OK\r\n");
    send_raw(&mut s, b"INFO stats\r\n");
    let info = String::from_utf8_lossy(&read_reply(&mut s)).into_owned();
    assert_eq!(
        util::info_field(&info, "total_connections_received").as_deref(),
        Some("0"),
        "{info}"
    );
    assert_eq!(
        util::info_field(&info, "total_commands_processed").as_deref(),
        Some("1"),
        "{info}"
    );
}

// ------------------------------ CONFIG REWRITE ------------------------------

#[test]
fn config_rewrite_keeps_unrelated_lines_and_persists_changes() {
    let conf = "# My own comment, to keep\n\
                slave-read-only yes\n\
                \n\
                \n\
                rename-command flushall \"\"\n\
                save 900 1\n\
                save 300 10\n\
                maxmemory-samples 3\n";
    let server = Server::start_with_config(conf, &[]);
    server.cmd(&["CONFIG", "SET", "slave-read-only", "no"]);
    server.cmd(&["CONFIG", "SET", "maxmemory", "2mb"]);
    server.cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    server.cmd(&["CONFIG", "SET", "save", "100 1"]);
    server.cmd(&["CONFIG", "SET", "maxmemory-samples", "5"]);
    assert_eq!(server.cmd_str(&["CONFIG", "REWRITE"]), "OK");
    assert!(server.log().contains("CONFIG REWRITE executed with success."));

    let text = fs::read_to_string(server.dir().join("redis.conf")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Kept: comments and the directive the rewrite does not know.
    assert_eq!(lines[0], "# My own comment, to keep");
    // Rewritten in place, under the new name.
    assert_eq!(lines[1], "replica-read-only no");
    // Runs of empty lines become one.
    assert_eq!(lines[2], "");
    assert_eq!(lines[3], "rename-command flushall \"\"");
    // The save line is reused, the second one blanked.
    assert_eq!(lines[4], "save 100 1");
    // Back at its default, but present in the file: rewritten in place.
    assert!(text.contains("\nmaxmemory-samples 5\n"), "{text}");
    let tail = text
        .split_once("# Generated by CONFIG REWRITE\n")
        .expect("no marker")
        .1;
    for want in [
        "maxmemory 2mb",
        "notify-keyspace-events \"AKE\"",
        &format!("port {}", server.port()),
        "bind 127.0.0.1",
    ] {
        assert!(
            tail.lines().any(|l| l == want),
            "{want:?} not in tail:\n{tail}"
        );
    }
    assert!(tail.lines().any(|l| l.starts_with("dir \"/")), "{tail}");
    assert!(!text.contains("save 300 10"), "{text}");

    // Restart from the rewritten file: the changes are there.
    let again = Server::start_with_config(&text, &[]);
    assert_eq!(config_value(&again, "replica-read-only"), "no");
    assert_eq!(config_value(&again, "maxmemory"), "2097152");
    assert_eq!(config_value(&again, "notify-keyspace-events"), "AKE");
    // (The harness's `--save ""` after the file resets the save points.)
    assert_eq!(config_value(&again, "save"), "");
    assert!(raw_cmd(again.port(), &["FLUSHALL"])
        .starts_with("-ERR unknown command `FLUSHALL`"));
}

#[test]
fn config_rewrite_writes_replicaof() {
    let server =
        Server::start_with_config("", &["--replicaof", "127.0.0.1", "1"]);
    assert_eq!(config_value(&server, "slaveof"), "127.0.0.1 1");
    assert_eq!(server.cmd_str(&["CONFIG", "REWRITE"]), "OK");
    let text = fs::read_to_string(server.dir().join("redis.conf")).unwrap();
    assert!(text.lines().any(|l| l == "replicaof 127.0.0.1 1"), "{text}");
    // An empty file: the generated part is all there is.
    assert!(text.starts_with("# Generated by CONFIG REWRITE\n"), "{text}");
}

// --------------------------------- start-up ---------------------------------

/// The lines our start-up log must have, masked, without the
/// machine-dependent kernel warnings.
fn startup_lines(log: &str, pid: u32) -> Vec<String> {
    mask_log(log, pid)
        .lines()
        .filter(|l| !l.contains(" # WARNING"))
        .take_while(|l| !l.contains("Ready to accept"))
        .map(|l| l.to_string())
        .chain(std::iter::once(
            "PID:M DATE * Ready to accept connections".to_string(),
        ))
        .collect()
}

#[test]
fn startup_log_and_logo_as_in_redis_5() {
    let dir = util::make_temp_dir();
    let port = util::free_port();
    let p = port.to_string();
    let args = [
        "--port",
        &p,
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--always-show-logo",
        "yes",
    ];
    let d = Direct::start(Path::new(OXREDIS_BIN), &args, &dir, port);
    let ours = startup_lines(&d.log(), d.child.id());
    let mut want: Vec<String> = vec![
        "PID:C DATE # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo".into(),
        "PID:C DATE # Redis version=5.0.14, bits=64, commit=00000000, modified=0, pid=PID, just started".into(),
        "PID:C DATE # Configuration loaded".into(),
    ];
    let logo = format!(
        "                _._                                                  \n\
         \x20          _.-``__ ''-._                                             \n\
         \x20     _.-``    `.  `_.  ''-._           Redis 5.0.14 (00000000/0) 64 bit\n\
         \x20 .-`` .-```.  ```\\/    _.,_ ''-._                                   \n\
         \x20(    '      ,       .-`  | `,    )     Running in standalone mode\n\
         \x20|`-._`-...-` __...-.``-._|'` _.-'|     Port: {p}\n\
         \x20|    `-._   `._    /     _.-'    |     PID: PID\n\
         \x20 `-._    `-._  `-./  _.-'    _.-'                                   \n\
         \x20|`-._`-._    `-.__.-'    _.-'_.-'|                                  \n\
         \x20|    `-._`-._        _.-'_.-'    |           http://redis.io        \n\
         \x20 `-._    `-._`-.__.-'_.-'    _.-'                                   \n\
         \x20|`-._`-._    `-.__.-'    _.-'_.-'|                                  \n\
         \x20|    `-._`-._        _.-'_.-'    |                                  \n\
         \x20 `-._    `-._`-.__.-'_.-'    _.-'                                   \n\
         \x20     `-._    `-.__.-'    _.-'                                       \n\
         \x20         `-._        _.-'                                           \n\
         \x20             `-.__.-'                                               \n\
         \n"
    );
    want.extend(logo.lines().map(|l| l.to_string()));
    want.push("PID:M DATE # Server initialized".into());
    want.push("PID:M DATE * Ready to accept connections".into());
    assert_eq!(ours, want, "log:\n{}", d.log());
    drop(d);

    // Side by side with the real Redis 5.0.14, kernel warnings included.
    if let Some(c_bin) = c_server() {
        let cdir = util::make_temp_dir();
        let cport = util::free_port();
        let cp = cport.to_string();
        let cargs = [
            "--port",
            &cp,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--always-show-logo",
            "yes",
        ];
        let c = Direct::start(&c_bin, &cargs, &cdir, cport);
        let clog = mask_log(&c.log(), c.child.id());
        drop(c);
        let d = Direct::start(Path::new(OXREDIS_BIN), &cargs, &dir, cport);
        let olog = mask_log(&d.log(), d.child.id());
        let upto = |s: &str| {
            s.split_inclusive('\n')
                .take_while(|l| !l.contains("Ready"))
                .collect::<String>()
        };
        assert_eq!(upto(&olog), upto(&clog));
        let _ = fs::remove_dir_all(&cdir);
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn startup_without_logo_logs_running_mode() {
    let server = Server::start(&[]);
    let log = server.log();
    assert!(
        log.contains(&format!(
            " * Running mode=standalone, port={}.\n",
            server.port()
        )),
        "{log}"
    );
    assert!(!log.contains("_._"));
    // Before initServer the role is 'C', as in C (server.pid is still 0).
    let pid = server.pid();
    assert!(log.starts_with(&format!("{pid}:C ")), "{log}");
    assert!(log.contains(&format!("{pid}:M ")), "{log}");
}

#[test]
fn no_arguments_serves_6379_with_protected_mode() {
    // The default port must be free: scripts/test stops Debian's
    // redis-server service, which would otherwise hold it.
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", 6379)).is_err()
            && std::net::TcpListener::bind(("0.0.0.0", 6379)).is_ok(),
        "port 6379 is busy: stop whatever listens there (scripts/test does)"
    );
    let dir = util::make_temp_dir();
    let d = Direct::start(Path::new(OXREDIS_BIN), &[], &dir, 6379);
    let log = d.log();
    assert!(log.contains(" # Warning: no config file specified, using the default config. In order to specify a config file use "));
    assert!(log.contains(" /path/to/redis.conf\n"));
    assert!(!log.contains("Configuration loaded"));
    assert_eq!(
        d.cmd(&["CONFIG", "GET", "protected-mode"]),
        "*2\r\n$14\r\nprotected-mode\r\n$3\r\nyes\r\n"
    );
    assert_eq!(
        d.cmd(&["CONFIG", "GET", "save"]),
        "*2\r\n$4\r\nsave\r\n$23\r\n3600 1 300 100 60 10000\r\n"
    );
    drop(d);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn daemonize_yes_forks_into_the_background() {
    let dir = util::make_temp_dir();
    let port = util::free_port();
    let p = port.to_string();
    let pidfile = dir.join("d.pid");
    let logfile = dir.join("d.log");
    let out = run_to_exit(
        Path::new(OXREDIS_BIN),
        &[
            "--port",
            &p,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--daemonize",
            "yes",
            "--pidfile",
            pidfile.to_str().unwrap(),
            "--logfile",
            logfile.to_str().unwrap(),
        ],
        &dir,
    );
    // The parent exits at once with status 0.
    assert_eq!(out.status.code(), Some(0));
    util::wait_for(Duration::from_secs(10), || {
        fs::read_to_string(&logfile)
            .unwrap_or_default()
            .contains("Ready to accept")
    });
    let pid: i32 =
        fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
    // Kills the daemon if an assertion below fails.
    struct KillOnDrop(i32);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            // SAFETY: kill(2) of the daemon this test started.
            unsafe {
                libc::kill(self.0, libc::SIGKILL);
            }
        }
    }
    let guard = KillOnDrop(pid);
    assert_eq!(
        raw_cmd(port, &["CONFIG", "GET", "daemonize"]),
        "*2\r\n$9\r\ndaemonize\r\n$3\r\nyes\r\n"
    );
    // SAFETY: kill(2) of the daemon we started, identified by its pid file.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
    util::wait_for(Duration::from_secs(10), || !pidfile.exists());
    std::mem::forget(guard);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn supervised_systemd_signals_readiness() {
    let dir = util::make_temp_dir();
    let sock_path = dir.join("notify.sock");
    let sock = std::os::unix::net::UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let port = util::free_port();
    let p = port.to_string();
    let log = fs::File::create(dir.join("out.log")).unwrap();
    let mut child = Command::new(OXREDIS_BIN)
        .args([
            "--port",
            &p,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--supervised",
            "systemd",
        ])
        .env("NOTIFY_SOCKET", &sock_path)
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    let mut buf = [0u8; 64];
    let got = sock.recv(&mut buf);
    let out = fs::read_to_string(dir.join("out.log")).unwrap_or_default();
    let _ = child.kill();
    let _ = child.wait();
    let _ = fs::remove_dir_all(&dir);
    assert_eq!(&buf[..got.unwrap()], b"READY=1");
    assert!(
        out.contains(":C ")
            && out
                .contains(" * supervised by systemd, will signal readiness\n"),
        "{out}"
    );
}

#[test]
fn unixsocket_and_its_permissions() {
    let server = Server::start(&[
        "--unixsocket",
        "redis.sock",
        "--unixsocketperm",
        "700",
    ]);
    assert_eq!(config_value(&server, "unixsocket"), "redis.sock");
    assert_eq!(config_value(&server, "unixsocketperm"), "700");
    assert!(
        server.log().contains(
            " * The server is now ready to accept connections at redis.sock\n"
        ),
        "{}",
        server.log()
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(server.dir().join("redis.sock"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
}

// ------------------- pinned against 5.0.14 (and 7.0) -------------------

/// `CONFIG GET *` of Redis 5.0.14 started by the harness (`--port P
/// --bind 127.0.0.1 --dir D --save ""`), in its order; PORT and DIR
/// stand for the port and the directory.
const CONFIG_GET_ALL_5_0_14: &[(&str, &str)] = &[
    ("dbfilename", "dump.rdb"),
    ("requirepass", ""),
    ("masterauth", ""),
    ("cluster-announce-ip", ""),
    ("unixsocket", ""),
    ("logfile", ""),
    ("pidfile", ""),
    ("slave-announce-ip", ""),
    ("replica-announce-ip", ""),
    ("maxmemory", "0"),
    ("proto-max-bulk-len", "536870912"),
    ("client-query-buffer-limit", "1073741824"),
    ("maxmemory-samples", "5"),
    ("lfu-log-factor", "10"),
    ("lfu-decay-time", "1"),
    ("timeout", "0"),
    ("active-defrag-threshold-lower", "10"),
    ("active-defrag-threshold-upper", "100"),
    ("active-defrag-ignore-bytes", "104857600"),
    ("active-defrag-cycle-min", "5"),
    ("active-defrag-cycle-max", "75"),
    ("active-defrag-max-scan-fields", "1000"),
    ("auto-aof-rewrite-percentage", "100"),
    ("auto-aof-rewrite-min-size", "67108864"),
    ("hash-max-ziplist-entries", "512"),
    ("hash-max-ziplist-value", "64"),
    ("stream-node-max-bytes", "4096"),
    ("stream-node-max-entries", "100"),
    ("list-max-ziplist-size", "-2"),
    ("list-compress-depth", "0"),
    ("set-max-intset-entries", "512"),
    ("zset-max-ziplist-entries", "128"),
    ("zset-max-ziplist-value", "64"),
    ("hll-sparse-max-bytes", "3000"),
    ("lua-time-limit", "5000"),
    ("slowlog-log-slower-than", "10000"),
    ("latency-monitor-threshold", "0"),
    ("slowlog-max-len", "128"),
    ("port", "PORT"),
    ("cluster-announce-port", "0"),
    ("cluster-announce-bus-port", "0"),
    ("tcp-backlog", "511"),
    ("databases", "16"),
    ("repl-ping-slave-period", "10"),
    ("repl-ping-replica-period", "10"),
    ("repl-timeout", "60"),
    ("repl-backlog-size", "1048576"),
    ("repl-backlog-ttl", "3600"),
    ("maxclients", "10000"),
    ("watchdog-period", "0"),
    ("slave-priority", "100"),
    ("replica-priority", "100"),
    ("slave-announce-port", "0"),
    ("replica-announce-port", "0"),
    ("min-slaves-to-write", "0"),
    ("min-replicas-to-write", "0"),
    ("min-slaves-max-lag", "10"),
    ("min-replicas-max-lag", "10"),
    ("hz", "10"),
    ("cluster-node-timeout", "15000"),
    ("cluster-migration-barrier", "1"),
    ("cluster-slave-validity-factor", "10"),
    ("cluster-replica-validity-factor", "10"),
    ("repl-diskless-sync-delay", "5"),
    ("tcp-keepalive", "300"),
    ("cluster-require-full-coverage", "yes"),
    ("cluster-slave-no-failover", "no"),
    ("cluster-replica-no-failover", "no"),
    ("no-appendfsync-on-rewrite", "no"),
    ("slave-serve-stale-data", "yes"),
    ("replica-serve-stale-data", "yes"),
    ("slave-read-only", "yes"),
    ("replica-read-only", "yes"),
    ("slave-ignore-maxmemory", "yes"),
    ("replica-ignore-maxmemory", "yes"),
    ("stop-writes-on-bgsave-error", "yes"),
    ("daemonize", "no"),
    ("rdbcompression", "yes"),
    ("rdbchecksum", "yes"),
    ("activerehashing", "yes"),
    ("activedefrag", "no"),
    ("protected-mode", "yes"),
    ("repl-disable-tcp-nodelay", "no"),
    ("repl-diskless-sync", "no"),
    ("aof-rewrite-incremental-fsync", "yes"),
    ("rdb-save-incremental-fsync", "yes"),
    ("aof-load-truncated", "yes"),
    ("aof-use-rdb-preamble", "yes"),
    ("lazyfree-lazy-eviction", "no"),
    ("lazyfree-lazy-expire", "no"),
    ("lazyfree-lazy-server-del", "no"),
    ("slave-lazy-flush", "no"),
    ("replica-lazy-flush", "no"),
    ("dynamic-hz", "yes"),
    ("maxmemory-policy", "noeviction"),
    ("loglevel", "notice"),
    ("supervised", "no"),
    ("appendfsync", "everysec"),
    ("syslog-facility", "local0"),
    ("appendonly", "no"),
    ("dir", "DIR"),
    ("save", ""),
    (
        "client-output-buffer-limit",
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    ),
    ("unixsocketperm", "0"),
    ("slaveof", ""),
    ("notify-keyspace-events", ""),
    ("bind", "127.0.0.1"),
];

/// CONFIG SET of a bad (or immutable) value of each kind, and 5.0.14's
/// reply.
const CONFIG_SET_ERRORS_5_0_14: &[(&str, &str, &str)] = &[
    ("appendonly", "maybe", "-ERR Invalid argument 'maybe' for CONFIG SET 'appendonly'\r\n"),
    ("daemonize", "yes", "-ERR Unsupported CONFIG parameter: daemonize\r\n"),
    ("protected-mode", "1", "-ERR Invalid argument '1' for CONFIG SET 'protected-mode'\r\n"),
    ("slave-read-only", "", "-ERR Invalid argument '' for CONFIG SET 'slave-read-only'\r\n"),
    ("dynamic-hz", "nope", "-ERR Invalid argument 'nope' for CONFIG SET 'dynamic-hz'\r\n"),
    ("timeout", "+1", "-ERR Invalid argument '+1' for CONFIG SET 'timeout'\r\n"),
    ("timeout", " 1", "-ERR Invalid argument ' 1' for CONFIG SET 'timeout'\r\n"),
    ("timeout", "2147483648", "-ERR Invalid argument '2147483648' for CONFIG SET 'timeout'\r\n"),
    ("tcp-keepalive", "-1", "-ERR Invalid argument '-1' for CONFIG SET 'tcp-keepalive'\r\n"),
    ("maxmemory-samples", "0", "-ERR Invalid argument '0' for CONFIG SET 'maxmemory-samples'\r\n"),
    ("active-defrag-threshold-upper", "1001", "-ERR Invalid argument '1001' for CONFIG SET 'active-defrag-threshold-upper'\r\n"),
    ("active-defrag-cycle-min", "100", "-ERR Invalid argument '100' for CONFIG SET 'active-defrag-cycle-min'\r\n"),
    ("slave-announce-port", "65536", "-ERR Invalid argument '65536' for CONFIG SET 'slave-announce-port'\r\n"),
    ("replica-priority", "-1", "-ERR Invalid argument '-1' for CONFIG SET 'replica-priority'\r\n"),
    ("list-max-ziplist-size", "-2147483649", "-ERR Invalid argument '-2147483649' for CONFIG SET 'list-max-ziplist-size'\r\n"),
    ("slowlog-log-slower-than", "-2", "-ERR Invalid argument '-2' for CONFIG SET 'slowlog-log-slower-than'\r\n"),
    ("repl-ping-replica-period", "0", "-ERR Invalid argument '0' for CONFIG SET 'repl-ping-replica-period'\r\n"),
    ("repl-timeout", "0", "-ERR Invalid argument '0' for CONFIG SET 'repl-timeout'\r\n"),
    ("hz", "-1", "-ERR Invalid argument '-1' for CONFIG SET 'hz'\r\n"),
    ("watchdog-period", "-5", "-ERR Invalid argument '-5' for CONFIG SET 'watchdog-period'\r\n"),
    ("maxmemory", "-1", "-ERR Invalid argument '-1' for CONFIG SET 'maxmemory'\r\n"),
    ("maxmemory", "1x", "-ERR Invalid argument '1x' for CONFIG SET 'maxmemory'\r\n"),
    ("maxmemory", "10 mb", "-ERR Invalid argument '10 mb' for CONFIG SET 'maxmemory'\r\n"),
    ("proto-max-bulk-len", "5000000000000000000", "-ERR Invalid argument '5000000000000000000' for CONFIG SET 'proto-max-bulk-len'\r\n"),
    ("repl-backlog-size", "-1", "-ERR Invalid argument '-1' for CONFIG SET 'repl-backlog-size'\r\n"),
    ("client-query-buffer-limit", "abc", "-ERR Invalid argument 'abc' for CONFIG SET 'client-query-buffer-limit'\r\n"),
    ("active-defrag-ignore-bytes", "-1", "-ERR Invalid argument '-1' for CONFIG SET 'active-defrag-ignore-bytes'\r\n"),
    ("auto-aof-rewrite-min-size", "1.5", "-ERR Invalid argument '1.5' for CONFIG SET 'auto-aof-rewrite-min-size'\r\n"),
    ("loglevel", "loud", "-ERR Invalid argument 'loud' for CONFIG SET 'loglevel'\r\n"),
    ("maxmemory-policy", "lru", "-ERR Invalid argument 'lru' for CONFIG SET 'maxmemory-policy'\r\n"),
    ("appendfsync", "sometimes", "-ERR Invalid argument 'sometimes' for CONFIG SET 'appendfsync'\r\n"),
    ("supervised", "systemd", "-ERR Unsupported CONFIG parameter: supervised\r\n"),
    ("syslog-facility", "local0", "-ERR Unsupported CONFIG parameter: syslog-facility\r\n"),
    ("dbfilename", "../x.rdb", "-ERR dbfilename can't be a path, just a filename\r\n"),
    ("unixsocket", "/tmp/x.sock", "-ERR Unsupported CONFIG parameter: unixsocket\r\n"),
    ("unixsocketperm", "700", "-ERR Unsupported CONFIG parameter: unixsocketperm\r\n"),
    ("logfile", "x.log", "-ERR Unsupported CONFIG parameter: logfile\r\n"),
    ("pidfile", "x.pid", "-ERR Unsupported CONFIG parameter: pidfile\r\n"),
    ("appendfilename", "x.aof", "-ERR Unsupported CONFIG parameter: appendfilename\r\n"),
    ("slaveof", "127.0.0.1 1", "-ERR Unsupported CONFIG parameter: slaveof\r\n"),
    ("replicaof", "no one", "-ERR Unsupported CONFIG parameter: replicaof\r\n"),
    ("bind", "127.0.0.1", "-ERR Unsupported CONFIG parameter: bind\r\n"),
    ("save", "60", "-ERR Invalid argument '60' for CONFIG SET 'save'\r\n"),
    ("save", "60 -1", "-ERR Invalid argument '60 -1' for CONFIG SET 'save'\r\n"),
    ("save", "a 1", "-ERR Invalid argument 'a 1' for CONFIG SET 'save'\r\n"),
    ("client-output-buffer-limit", "normal 1mb 1mb", "-ERR Invalid argument 'normal 1mb 1mb' for CONFIG SET 'client-output-buffer-limit'\r\n"),
    ("client-output-buffer-limit", "normal -1 0 0", "-ERR Invalid argument 'normal -1 0 0' for CONFIG SET 'client-output-buffer-limit'\r\n"),
    ("client-output-buffer-limit", "bogus 0 0 0", "-ERR Invalid argument 'bogus 0 0 0' for CONFIG SET 'client-output-buffer-limit'\r\n"),
    ("client-output-buffer-limit", "pubsub 1x 0 0", "-ERR Invalid argument 'pubsub 1x 0 0' for CONFIG SET 'client-output-buffer-limit'\r\n"),
    ("notify-keyspace-events", "KQ", "-ERR Invalid argument 'KQ' for CONFIG SET 'notify-keyspace-events'\r\n"),
    ("cluster-node-timeout", "-1", "-ERR Invalid argument '-1' for CONFIG SET 'cluster-node-timeout'\r\n"),
    ("cluster-announce-port", "70000", "-ERR Invalid argument '70000' for CONFIG SET 'cluster-announce-port'\r\n"),
    ("cluster-enabled", "yes", "-ERR Unsupported CONFIG parameter: cluster-enabled\r\n"),
    ("lua-replicate-commands", "no", "-ERR Unsupported CONFIG parameter: lua-replicate-commands\r\n"),
    ("rename-command", "get", "-ERR Unsupported CONFIG parameter: rename-command\r\n"),
    ("include", "x", "-ERR Unsupported CONFIG parameter: include\r\n"),
    ("port", "1", "-ERR Unsupported CONFIG parameter: port\r\n"),
    ("databases", "1", "-ERR Unsupported CONFIG parameter: databases\r\n"),
];

/// A one-line redis.conf that 5.0.14 refuses, and its error text.
const CONFIG_FILE_ERRORS_5_0_14: &[(&str, &str)] = &[
    ("timeout", "Bad directive or wrong number of arguments"),
    ("timeout 1 2", "Bad directive or wrong number of arguments"),
    ("tcp-keepalive -1", "Invalid tcp-keepalive value"),
    ("port 65536", "Invalid port"),
    ("tcp-backlog -1", "Invalid backlog value"),
    ("unixsocketperm 1000", "Invalid socket file permissions"),
    ("save 0 1", "Invalid save parameters"),
    ("loglevel loud", "Invalid log level. Must be one of debug, verbose, notice, warning"),
    ("syslog-facility local9", "Invalid log facility. Must be one of USER or between LOCAL0-LOCAL7"),
    ("databases 0", "Invalid number of databases"),
    ("maxclients 0", "Invalid max clients limit"),
    ("maxmemory-policy lru", "Invalid maxmemory policy"),
    ("maxmemory-samples 0", "maxmemory-samples must be 1 or greater"),
    ("lfu-log-factor -1", "lfu-log-factor must be 0 or greater"),
    ("lfu-decay-time -1", "lfu-decay-time must be 0 or greater"),
    ("repl-ping-replica-period 0", "repl-ping-replica-period must be 1 or greater"),
    ("repl-timeout 0", "repl-timeout must be 1 or greater"),
    ("repl-disable-tcp-nodelay 1", "argument must be 'yes' or 'no'"),
    ("repl-diskless-sync-delay -1", "repl-diskless-sync-delay can't be negative"),
    ("repl-backlog-size 0", "repl-backlog-size must be 1 or greater."),
    ("slave-serve-stale-data maybe", "argument must be 'yes' or 'no'"),
    ("replica-read-only maybe", "argument must be 'yes' or 'no'"),
    ("appendonly maybe", "argument must be 'yes' or 'no'"),
    ("appendfilename a/b", "appendfilename can't be a path, just a filename"),
    ("appendfsync sometimes", "argument must be 'no', 'always' or 'everysec'"),
    ("auto-aof-rewrite-percentage -1", "Invalid negative percentage for AOF auto rewrite"),
    ("active-defrag-threshold-lower 1001", "active-defrag-threshold-lower must be between 0 and 1000"),
    ("active-defrag-ignore-bytes 0", "active-defrag-ignore-bytes must above 0"),
    ("active-defrag-cycle-max 0", "active-defrag-cycle-max must be between 1 and 99"),
    ("active-defrag-max-scan-fields 0", "active-defrag-max-scan-fields must be positive"),
    ("cluster-announce-port -1", "Invalid port"),
    ("cluster-node-timeout 0", "cluster node timeout must be 1 or greater"),
    ("cluster-migration-barrier -1", "cluster migration barrier must zero or positive"),
    ("cluster-replica-validity-factor -1", "cluster replica validity factor must be zero or positive"),
    ("latency-monitor-threshold -1", "The latency threshold can't be negative"),
    ("client-output-buffer-limit normal 0 0 -1", "Negative number of seconds in soft limit is invalid"),
    ("client-output-buffer-limit normal 0 0", "Bad directive or wrong number of arguments"),
    ("slave-announce-port 70000", "Invalid port"),
    ("min-replicas-to-write -1", "Invalid value for min-replicas-to-write."),
    ("min-slaves-max-lag -1", "Invalid value for min-replicas-max-lag."),
    ("supervised maybe", "Invalid option for 'supervised'. Allowed values: 'upstart', 'systemd', 'auto', or 'no'"),
    ("bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17", "Too many bind addresses specified"),
    ("rename-command get set", "Target command name already exists"),
    ("slaveof 127.0.0.1", "Bad directive or wrong number of arguments"),
    ("sentinel monitor x", "sentinel directive while not in sentinel mode"),
    ("activedefrag maybe", "argument must be 'yes' or 'no'"),
    // As a 5.0.14 built without HAVE_DEFRAG (see src/config.rs).
    ("activedefrag yes", "active defrag can't be enabled without proper jemalloc support"),
    ("lazyfree-lazy-eviction maybe", "argument must be 'yes' or 'no'"),
    ("dynamic-hz maybe", "argument must be 'yes' or 'no'"),
    ("watchdog-period 10", "Bad directive or wrong number of arguments"),
    ("list-max-ziplist-entries", "Bad directive or wrong number of arguments"),
];

/// The file of `config_rewrite_as_in_5_0_14` before the rewrite.
const REWRITE_BEFORE: &str = "\
# Head comment, kept\n\
\n\
slave-read-only no\n\
hz 15\n\
maxmemory 1gb\n\
# middle comment\n\
\n\
\n\
save 900 1\n\
save 300 10\n\
slaveof 127.0.0.1 9\n\
timeout 10\n\
timeout 20\n\
slave-priority 60\n\
replica-priority 50\n\
client-output-buffer-limit pubsub 1mb 512kb 10\n\
notify-keyspace-events Ex\n\
maxmemory-policy allkeys-lru\n\
repl-backlog-size 2mb\n\
repl-backlog-ttl 3600\n\
unixsocketperm 700\n\
list-max-ziplist-entries 10\n\
rename-command flushall \"\"\n\
appendfilename \"x.aof\"\n\
syslog-ident myredis\n\
activedefrag no\n\
min-slaves-to-write 0\n\
\x20  tcp-keepalive 60\n\
Maxclients 1000\n\
";

/// What 5.0.14 made of it (PORT and DIR stand for the port and the
/// directory).
const REWRITE_AFTER_5_0_14: &str = "\
# Head comment, kept\n\
\n\
replica-read-only no\n\
hz 10\n\
maxmemory 100mb\n\
# middle comment\n\
\n\
save 3600 1\n\
save 60 100\n\
replicaof 127.0.0.1 9\n\
timeout 20\n\
\n\
replica-priority 50\n\
\n\
client-output-buffer-limit normal 1gb 0 0\n\
notify-keyspace-events \"xE\"\n\
maxmemory-policy allkeys-lru\n\
repl-backlog-size 2mb\n\
repl-backlog-ttl 3600\n\
unixsocketperm 700\n\
list-max-ziplist-entries 10\n\
rename-command flushall \"\"\n\
appendfilename \"x.aof\"\n\
syslog-ident \"myredis\"\n\
activedefrag no\n\
min-replicas-to-write 0\n\
tcp-keepalive 60\n\
maxclients 1000\n\
# Generated by CONFIG REWRITE\n\
port PORT\n\
bind 127.0.0.1\n\
dir \"DIR\"\n\
masterauth \"pa ss\\\"x\"\n\
replica-serve-stale-data no\n\
client-output-buffer-limit pubsub 1mb 512kb 10\n\
lazyfree-lazy-expire yes\n\
";

/// `CONFIG GET *` with the port and the directory replaced by PORT and
/// DIR.
fn config_get_all_masked(server: &Server) -> Vec<(String, String)> {
    let port = server.port().to_string();
    let dirs = [
        server.dir().display().to_string(),
        server.dir().canonicalize().unwrap().display().to_string(),
    ];
    config_get(server, "*")
        .into_iter()
        .map(|(k, v)| {
            let v = if k == "port" && v == port {
                "PORT".to_string()
            } else if k == "dir" && dirs.contains(&v) {
                "DIR".to_string()
            } else {
                v
            };
            (k, v)
        })
        .collect()
}

fn pairs(table: &[(&str, &str)]) -> Vec<(String, String)> {
    table.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn config_get_all_as_in_5_0_14() {
    let want = pairs(CONFIG_GET_ALL_5_0_14);
    let server = Server::start(&[]);
    assert_eq!(config_get_all_masked(&server), want);
    if let Some(c_bin) = c_server() {
        let c = Server::start_binary(&c_bin, &[]);
        assert_eq!(config_get_all_masked(&c), want, "5.0.14 itself");
    }
}

#[test]
fn config_get_all_agrees_with_redis_7_on_shared_options() {
    let server = Server::start(&[]);
    let ours = config_get_all_masked(&server);
    let seven = Server::start_binary(&util::find_binary("redis-server"), &[]);
    let theirs: HashMap<String, String> =
        config_get_all_masked(&seven).into_iter().collect();
    // Defaults that changed between 5.0 and 7.0, with 7.0's values.
    let changed: HashMap<&str, &str> = [
        ("active-defrag-cycle-min", "1"),
        ("active-defrag-cycle-max", "25"),
        ("repl-diskless-sync", "yes"),
    ]
    .into_iter()
    .collect();
    let mut shared = 0;
    for (name, value) in &ours {
        let Some(v7) = theirs.get(name) else { continue };
        shared += 1;
        let want = changed.get(name.as_str()).copied().unwrap_or(value);
        assert_eq!(v7, want, "{name}: ours {value:?}, 7.0 {v7:?}");
    }
    // Everything but watchdog-period (gone in 7.0) is shared.
    assert_eq!(shared, ours.len() - 1);
}

#[test]
fn config_set_errors_of_each_kind_as_in_5_0_14() {
    let mut servers = vec![Server::start(&[])];
    if let Some(c_bin) = c_server() {
        servers.push(Server::start_binary(&c_bin, &[]));
    }
    for server in &servers {
        for (name, value, want) in CONFIG_SET_ERRORS_5_0_14 {
            assert_eq!(
                raw_cmd(server.port(), &["CONFIG", "SET", name, value]),
                *want,
                "{}: CONFIG SET {name} {value:?}",
                server.binary().display()
            );
        }
        // A too long password, and the refused values changed nothing.
        let long = "A".repeat(513);
        assert_eq!(
            raw_cmd(server.port(), &["CONFIG", "SET", "requirepass", &long]),
            format!(
                "-ERR Invalid argument '{long}' for CONFIG SET 'requirepass'\r\n"
            )
        );
        assert_eq!(config_get_all_masked(server), pairs(CONFIG_GET_ALL_5_0_14));
    }
}

#[test]
fn config_file_errors_of_each_kind_as_in_5_0_14() {
    let mut bins = vec![PathBuf::from(OXREDIS_BIN)];
    bins.extend(c_server());
    let long = format!("requirepass {}", "A".repeat(513));
    let mut cases: Vec<(&str, &str)> = CONFIG_FILE_ERRORS_5_0_14.to_vec();
    cases.push((&long, "Password is longer than CONFIG_AUTHPASS_MAX_LEN"));
    for bin in &bins {
        for (line, err) in &cases {
            check_fatal(
                bin,
                &format!("{line}\n"),
                &[],
                &fatal_report(1, line, err),
            );
        }
    }
}

/// Starts `bin` on REWRITE_BEFORE, changes a few options, rewrites, and
/// returns the new file with the port and the directory masked.
fn rewrite_of(bin: &Path) -> String {
    let server = Server::start_binary_with_config(bin, REWRITE_BEFORE, &[]);
    for (name, value) in [
        ("maxmemory", "100mb"),
        ("slave-serve-stale-data", "no"),
        ("lazyfree-lazy-expire", "yes"),
        ("hz", "10"),
        ("save", "3600 1 60 100"),
        ("masterauth", "pa ss\"x"),
        ("client-output-buffer-limit", "normal 1gb 0 0"),
    ] {
        assert_eq!(
            raw_cmd(server.port(), &["CONFIG", "SET", name, value]),
            "+OK\r\n",
            "{name}"
        );
    }
    assert_eq!(raw_cmd(server.port(), &["CONFIG", "REWRITE"]), "+OK\r\n");
    let text = fs::read_to_string(server.dir().join("redis.conf")).unwrap();
    let dir = server.dir().canonicalize().unwrap().display().to_string();
    text.replace(&format!("port {}\n", server.port()), "port PORT\n")
        .replace(&format!("dir \"{dir}\"\n"), "dir \"DIR\"\n")
}

#[test]
fn config_rewrite_as_in_5_0_14() {
    let ours = rewrite_of(Path::new(OXREDIS_BIN));
    assert_eq!(ours, REWRITE_AFTER_5_0_14);
    if let Some(c_bin) = c_server() {
        assert_eq!(rewrite_of(&c_bin), REWRITE_AFTER_5_0_14, "5.0.14 itself");
    }
    // Redis 7.0 writes the same lines, apart from what it does not know
    // (the dead list-max-ziplist-entries) or adds (its own defaults).
    let seven = rewrite_of(&util::find_binary("redis-server"));
    let lines = |text: &str, skip: &[&str]| -> HashSet<String> {
        text.lines()
            .filter(|l| !l.is_empty())
            .filter(|l| !skip.iter().any(|s| l.starts_with(s)))
            .map(|l| l.to_string())
            .collect()
    };
    assert_eq!(
        lines(
            &seven,
            &[
                "# ??? ",
                "latency-tracking-info-percentiles ",
                "enable-debug-command ",
                "user ",
            ]
        ),
        lines(&ours, &["list-max-ziplist-entries "]),
        "7.0:\n{seven}"
    );
}
