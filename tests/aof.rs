//! The append only file (issue 13) against the real binary: what survives
//! a kill -9 under each fsync policy, truncated and damaged files (and a
//! small fuzz over them), a full disk, BGREWRITEAOF under write load with
//! and without the RDB preamble (checked by Debian's `redis-check-aof` and
//! loaded by Debian's Redis 7.0), turning AOF on and off at run time, the
//! exclusion of the AOF and RDB children, a replica with AOF on, and fds.
//!
//! Every test has its own servers, ports and dirs, so they run in parallel.

mod util;

use std::fs;
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, sleep, JoinHandle};
use std::time::{Duration, Instant};

use util::{
    encode_command, find_binary, free_port, make_temp_dir, wait_for, Conn, Rng,
    Server, OXREDIS_BIN,
};

const WAIT: Duration = Duration::from_secs(20);

// --------------------------------- helpers ---------------------------------

/// A temp dir removed on drop (kept with OXREDIS_KEEP_TMP=1 on failure).
struct TmpDir(PathBuf);

impl TmpDir {
    fn new() -> TmpDir {
        TmpDir(make_temp_dir())
    }
    fn path(&self) -> &Path {
        &self.0
    }
    fn s(&self) -> &str {
        self.0.to_str().expect("utf-8 temp dir")
    }
    fn aof(&self) -> PathBuf {
        self.0.join("appendonly.aof")
    }
}

impl Drop for TmpDir {
    fn drop(&mut self) {
        if thread::panicking() && std::env::var_os("OXREDIS_KEEP_TMP").is_some()
        {
            eprintln!("OXREDIS_KEEP_TMP: kept {}", self.0.display());
        } else {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
}

/// Our server with `dir` as its `--dir` (its log stays in its own temp dir).
#[track_caller]
fn start_in(dir: &TmpDir, args: &[&str]) -> Server {
    let mut a = vec!["--dir", dir.s()];
    a.extend_from_slice(args);
    let s = Server::start(&a);
    loaded(&s);
    s
}

/// Waits until the server has loaded its data (`Server::start` returns
/// as soon as PING gets any reply, -LOADING included).
#[track_caller]
fn loaded(s: &Server) {
    wait_for(WAIT, || s.try_cmd(&["PING"]).is_ok());
}

/// `restart`, then wait for the load.
#[track_caller]
fn restart(s: &mut Server) {
    s.restart();
    loaded(s);
}

/// The bytes of a file, or empty if it cannot be read.
fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_default()
}

/// One command as the AOF stores it.
fn aof_cmd(args: &[&str]) -> Vec<u8> {
    let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
    encode_command(&a)
}

/// `SELECT 0` then the commands, as an AOF.
fn aof_of(cmds: &[&[&str]]) -> Vec<u8> {
    let mut out = aof_cmd(&["SELECT", "0"]);
    for c in cmds {
        out.extend(aof_cmd(c));
    }
    out
}

/// How a start of our binary on a prepared dir ended.
enum Outcome {
    /// Up and answering PING with +PONG; still running.
    Running(Child),
    /// Exited on its own, with its log.
    Exited(ExitStatus, String),
}

/// Starts our binary with `--dir dir args` and the log in `dir/run.log`,
/// and waits until it answers PING with +PONG or exits.
#[track_caller]
fn try_start(dir: &TmpDir, args: &[&str]) -> Outcome {
    let port = free_port();
    let log_path = dir.path().join("run.log");
    let log = fs::File::create(&log_path).expect("create run.log");
    let log2 = log.try_clone().expect("dup run.log");
    let mut child = Command::new(OXREDIS_BIN)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--dir", dir.s(), "--save", ""])
        .args(args)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log2))
        .spawn()
        .expect("spawn oxredis-server");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().expect("waitpid") {
            let text = String::from_utf8_lossy(&read(&log_path)).into_owned();
            return Outcome::Exited(status, text);
        }
        if pong(port) {
            return Outcome::Running(child);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("server neither answered PING nor exited in 10 s");
        }
        sleep(Duration::from_millis(5));
    }
}

/// True if a PING on a new connection to `port` gets +PONG.
fn pong(port: u16) -> bool {
    use std::io::Read;
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut s) =
        std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200))
    else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 7];
    let mut got = 0;
    while got < 7 {
        match s.read(&mut buf[got..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    &buf[..got] == b"+PONG\r\n"
}

/// Starts our binary on `dir` and expects it to exit: returns its exit
/// code (panics on a signal, a panic message, or if it stays up).
#[track_caller]
fn expect_exit(dir: &TmpDir, args: &[&str]) -> (i32, String) {
    match try_start(dir, args) {
        Outcome::Running(mut child) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server started but should have refused to");
        }
        Outcome::Exited(status, log) => {
            assert!(
                status.signal().is_none(),
                "killed by a signal: {status}\n{log}"
            );
            assert!(!log.contains("panicked"), "a panic:\n{log}");
            (status.code().unwrap_or(-1), log)
        }
    }
}

/// The pid in the last log line that starts with `prefix` and ends with it.
#[track_caller]
fn last_pid_after(log: &str, prefix: &str) -> i32 {
    log.lines()
        .rev()
        .find_map(|l| l.split_once(prefix).map(|(_, p)| p.trim().to_string()))
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no {prefix:?} in the log:\n{log}"))
}

/// Sends SIGSTOP to a child of the server on creation, SIGCONT on drop
/// (so a failing test never leaves a stopped process behind).
struct Stopped(i32);

impl Stopped {
    fn new(pid: i32) -> Stopped {
        // SAFETY: kill(2) with a pid the server's log just named.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGSTOP) }, 0);
        Stopped(pid)
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        // SAFETY: as in new.
        unsafe { libc::kill(self.0, libc::SIGCONT) };
    }
}

/// The state letter of process `pid` ('R', 'S', 'T', 'Z', ...), or None
/// if it is gone.
fn proc_state(pid: i32) -> Option<char> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(") ")?.1.chars().next()
}

/// Starts a child with `cmd` (BGSAVE or BGREWRITEAOF, whose `reply` is
/// checked) and stops it with SIGSTOP while it is still working; if it
/// finished first (a small dataset), waits for its end and tries again.
#[track_caller]
fn start_stopped_child(s: &Server, cmd: &str, reply: &str) -> (i32, Stopped) {
    let (prefix, field) = if cmd == "BGSAVE" {
        ("Background saving started by pid ", "rdb_bgsave_in_progress")
    } else {
        (
            "Background append only file rewriting started by pid ",
            "aof_rewrite_in_progress",
        )
    };
    for _ in 0..20 {
        assert_eq!(s.cmd_str(&[cmd]), reply);
        let pid = last_pid_after(&s.log(), prefix);
        let stopped = Stopped::new(pid);
        wait_for(WAIT, || {
            proc_state(pid) != Some('R')
                && proc_state(pid) != Some('S')
                && proc_state(pid) != Some('D')
        });
        if proc_state(pid) == Some('T') {
            return (pid, stopped);
        }
        drop(stopped);
        wait_for(WAIT, || s.info(field) == "0");
    }
    panic!("the {cmd} child always finished before SIGSTOP");
}

/// Whether signal `sig` is pending for the process `pid` (sent by kill(2)
/// and not delivered yet: ShdPnd of /proc/<pid>/status).
fn signal_pending(pid: i32, sig: i32) -> bool {
    let status =
        fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("ShdPnd:"))
        .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
        .is_some_and(|m| m & (1 << (sig - 1)) != 0)
}

/// Whether process `pid` exists (and is not a zombie).
fn process_exists(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => s.rsplit_once(')').is_some_and(|(_, r)| !r.starts_with(" Z")),
        Err(_) => false,
    }
}

#[track_caller]
fn digest(s: &Server) -> String {
    let d = s.cmd_str(&["DEBUG", "DIGEST"]);
    assert_eq!(d.len(), 40, "{d}");
    d
}

/// Waits until no AOF rewrite runs or is scheduled.
#[track_caller]
fn wait_rewrite_done(s: &Server) {
    wait_for(WAIT, || {
        let t = s.info_text(Some("persistence"));
        t.contains("aof_rewrite_in_progress:0")
            && t.contains("aof_rewrite_scheduled:0")
    });
}

/// How many lines of the log contain `what`.
fn count(log: &str, what: &str) -> usize {
    log.lines().filter(|l| l.contains(what)).count()
}

/// Four threads writing every type to `port` until `stop`: strings with
/// EX, counters, lists, sets (an intset and a string set), zsets and
/// hashes, each growing past AOF_REWRITE_ITEMS_PER_CMD (64) items.
struct Writers {
    stop: Arc<AtomicBool>,
    handles: Vec<JoinHandle<u64>>,
}

impl Writers {
    fn start(port: u16) -> Writers {
        let stop = Arc::new(AtomicBool::new(false));
        let handles = (0..4)
            .map(|t| {
                let stop = stop.clone();
                thread::spawn(move || write_loop(port, t, &stop))
            })
            .collect();
        Writers { stop, handles }
    }

    /// Stops the threads; returns how many commands they got replies to.
    #[track_caller]
    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        self.handles.into_iter().map(|h| h.join().expect("writer")).sum()
    }
}

fn write_loop(port: u16, t: u64, stop: &AtomicBool) -> u64 {
    let mut c = Conn::connect(port);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (t + 1));
    let mut n = 0u64;
    while !stop.load(Ordering::SeqCst) {
        let i = rng.below(300).to_string();
        let v = rng.value();
        let reply = match t {
            0 => match n % 3 {
                0 => c.raw(&["SET", &format!("s:{i}"), &v, "EX", "100000"]),
                1 => c.raw(&["INCR", &format!("cnt:{}", rng.below(5))]),
                _ => c.raw(&["APPEND", &format!("app:{}", rng.below(5)), &i]),
            },
            1 => match n % 4 {
                0..=2 => c.raw(&["RPUSH", &format!("l:{}", rng.below(3)), &v]),
                _ => c.raw(&["LPOP", &format!("l:{}", rng.below(3))]),
            },
            2 => match n % 4 {
                0 | 1 => c.raw(&["SADD", "iset", &i]),
                2 => c.raw(&["SADD", "sset", &format!("m{i}{v}")]),
                _ => c.raw(&["SREM", "iset", &rng.below(300).to_string()]),
            },
            _ => match n % 3 {
                0 => c.raw(&["ZADD", "z", &i, &format!("m{v}")]),
                1 => c.raw(&["HSET", "h", &format!("f{i}"), &v]),
                _ => c.raw(&["PEXPIRE", &format!("s:{i}"), "99999999"]),
            },
        };
        assert!(!reply.starts_with('-'), "writer {t}: {reply}");
        n += 1;
    }
    n
}

/// Keys of every type with more than 64 items (and an expire), before the
/// writers start, so a rewrite has batches to cut.
#[track_caller]
fn preload(s: &Server) {
    let mut c = Conn::new(s);
    for i in 0..200 {
        let n = i.to_string();
        c.raw(&["RPUSH", "biglist", &format!("e{n}")]);
        c.raw(&["SADD", "bigintset", &n]);
        c.raw(&["SADD", "bigset", &format!("x{n}")]);
        c.raw(&["ZADD", "bigzset", &format!("{i}.5"), &format!("z{n}")]);
        c.raw(&["HSET", "bighash", &format!("f{n}"), &format!("v{n}")]);
        c.raw(&["SET", &format!("k{n}"), &n, "EX", "100000"]);
    }
    c.raw(&["SELECT", "3"]);
    c.raw(&["SET", "in-db-3", "yes"]);
    c.raw(&["SET", "bigval", &"x".repeat(100_000)]);
}

// ------------------------- 1, 2: kill -9 under load -------------------------

/// What one writer got acknowledged: the INCR replies and the RPUSHed
/// element numbers, each with the time of its reply.
struct Acked {
    counter: Vec<(Instant, i64)>,
    pushed: Vec<(Instant, u64)>,
}

/// Four writers INCR `c{t}` and RPUSH `l{t}` "t-n" until the connection
/// fails; the server is killed with SIGKILL after `load`. Returns what was
/// acknowledged and the kill time.
fn kill9_under_load(s: &mut Server, load: Duration) -> (Vec<Acked>, Instant) {
    let port = s.port();
    let handles: Vec<JoinHandle<Acked>> = (0..4)
        .map(|t| {
            thread::spawn(move || {
                let mut con =
                    redis::Client::open(format!("redis://127.0.0.1:{port}/"))
                        .and_then(|c| c.get_connection())
                        .expect("connect");
                let mut a = Acked { counter: vec![], pushed: vec![] };
                for n in 0u64.. {
                    let r: redis::RedisResult<i64> =
                        redis::cmd("INCR").arg(format!("c{t}")).query(&mut con);
                    match r {
                        Ok(v) => a.counter.push((Instant::now(), v)),
                        Err(_) => break,
                    }
                    let r: redis::RedisResult<i64> = redis::cmd("RPUSH")
                        .arg(format!("l{t}"))
                        .arg(format!("{t}-{n}"))
                        .query(&mut con);
                    match r {
                        Ok(_) => a.pushed.push((Instant::now(), n)),
                        Err(_) => break,
                    }
                }
                a
            })
        })
        .collect();
    sleep(load);
    let killed_at = Instant::now();
    s.kill9();
    let acked =
        handles.into_iter().map(|h| h.join().expect("writer")).collect();
    (acked, killed_at)
}

/// Checks after the restart that every write acknowledged before `cutoff`
/// is there: each counter is at least its last such reply, and each list
/// is "t-0", "t-1", ... through at least the last such element (in order,
/// no gaps). Returns how many acknowledged writes were checked.
#[track_caller]
fn check_acked(s: &Server, acked: &[Acked], cutoff: Instant) -> usize {
    // The redis crate reads buffered (Conn reads byte by byte: too slow
    // for lists of many thousand elements).
    let mut con = s.client();
    let mut checked = 0;
    for (t, a) in acked.iter().enumerate() {
        let counter: Vec<i64> = a
            .counter
            .iter()
            .filter(|(at, _)| *at <= cutoff)
            .map(|p| p.1)
            .collect();
        let pushed: Vec<u64> = a
            .pushed
            .iter()
            .filter(|(at, _)| *at <= cutoff)
            .map(|p| p.1)
            .collect();
        checked += pushed.len() + counter.len();
        let got: Option<i64> =
            redis::cmd("GET").arg(format!("c{t}")).query(&mut con).unwrap();
        if let Some(&w) = counter.iter().max() {
            assert!(
                got.unwrap_or(0) >= w,
                "c{t} = {got:?} but INCR replied {w}"
            );
        }
        let list: Vec<String> = redis::cmd("LRANGE")
            .arg(format!("l{t}"))
            .arg(0)
            .arg(-1)
            .query(&mut con)
            .unwrap();
        if let Some(&last) = pushed.last() {
            assert!(
                list.len() as u64 > last,
                "l{t} has {} elements but {t}-{last} was acknowledged",
                list.len()
            );
        }
        for (n, e) in list.iter().enumerate() {
            assert_eq!(e, &format!("{t}-{n}"), "l{t}[{n}]");
        }
    }
    checked
}

#[test]
fn kill9_with_appendfsync_always_loses_no_acknowledged_write() {
    let mut s =
        Server::start(&["--appendonly", "yes", "--appendfsync", "always"]);
    let (acked, killed_at) =
        kill9_under_load(&mut s, Duration::from_millis(1500));
    restart(&mut s);
    let checked = check_acked(&s, &acked, killed_at);
    assert!(checked > 100, "only {checked} writes were acknowledged");
}

#[test]
fn kill9_with_appendfsync_everysec_loses_at_most_the_last_seconds() {
    let mut s =
        Server::start(&["--appendonly", "yes", "--appendfsync", "everysec"]);
    let (acked, killed_at) =
        kill9_under_load(&mut s, Duration::from_millis(4500));
    restart(&mut s);
    // Everything acknowledged more than 3 s before the kill is there.
    let cutoff = killed_at - Duration::from_secs(3);
    let checked = check_acked(&s, &acked, cutoff);
    assert!(checked > 100, "only {checked} writes were acknowledged early");
}

// ------------------------------ 3: truncated ------------------------------

#[test]
fn truncated_aof_is_cut_back_to_the_last_whole_command_or_refused() {
    let whole = aof_of(&[
        &["SET", "a", "1"],
        &["RPUSH", "l", "x", "y"],
        &["INCR", "a"],
    ]);
    let last = aof_cmd(&["SET", "b", "hello"]);
    for cut in [1, 4, 9, last.len() - 1] {
        let dir = TmpDir::new();
        let mut file = whole.clone();
        file.extend_from_slice(&last[..cut]);
        fs::write(dir.aof(), &file).unwrap();

        // aof-load-truncated no: refused, the file left alone.
        let (code, log) = expect_exit(
            &dir,
            &["--appendonly", "yes", "--aof-load-truncated", "no"],
        );
        assert_eq!(code, 1, "{log}");
        assert!(
            log.contains(
                "Unexpected end of file reading the append only file. You can: \
                 1) Make a backup of your AOF file, then use ./redis-check-aof \
                 --fix <filename>. 2) Alternatively you can set the \
                 'aof-load-truncated' configuration option to yes and restart \
                 the server."
            ),
            "{log}"
        );
        assert_eq!(read(&dir.aof()), file);

        // aof-load-truncated yes: loaded, truncated to the whole commands.
        let s = start_in(
            &dir,
            &["--appendonly", "yes", "--aof-load-truncated", "yes"],
        );
        let log = s.log();
        for line in [
            "!!! Warning: short read while loading the AOF file !!!"
                .to_string(),
            format!("!!! Truncating the AOF at offset {} !!!", whole.len()),
            "AOF loaded anyway because aof-load-truncated is enabled"
                .to_string(),
        ] {
            assert!(log.contains(&line), "no {line:?} in\n{log}");
        }
        assert_eq!(read(&dir.aof()), whole, "cut at {cut}");
        assert_eq!(s.cmd_str(&["GET", "a"]), "2");
        assert_eq!(s.cmd_str(&["LLEN", "l"]), "2");
        assert_eq!(s.cmd_str(&["EXISTS", "b"]), "0");
        // New writes go after the cut, and the next start loads them.
        s.cmd(&["SET", "after", "cut"]);
        drop(s);
        let s = start_in(
            &dir,
            &["--appendonly", "yes", "--aof-load-truncated", "no"],
        );
        assert_eq!(s.cmd_str(&["GET", "after"]), "cut");
        assert_eq!(s.cmd_str(&["GET", "a"]), "2");
    }
}

// ------------------------------ 4: cut MULTI ------------------------------

#[test]
fn aof_cut_inside_multi_exec_reverts_the_transaction() {
    let dir = TmpDir::new();
    let before = aof_of(&[&["SET", "a", "1"], &["SET", "c", "keep"]]);
    let mut file = before.clone();
    file.extend(aof_cmd(&["MULTI"]));
    file.extend(aof_cmd(&["SET", "b", "2"]));
    file.extend(aof_cmd(&["INCR", "a"]));
    file.extend(aof_cmd(&["DEL", "c"]));
    fs::write(dir.aof(), &file).unwrap();

    let s =
        start_in(&dir, &["--appendonly", "yes", "--aof-load-truncated", "yes"]);
    let log = s.log();
    assert!(
        log.contains("Revert incomplete MULTI/EXEC transaction in AOF file"),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "!!! Truncating the AOF at offset {} !!!",
            before.len()
        )),
        "{log}"
    );
    assert_eq!(s.cmd_str(&["GET", "a"]), "1");
    assert_eq!(s.cmd_str(&["GET", "c"]), "keep");
    assert_eq!(s.cmd_str(&["EXISTS", "b"]), "0");
    assert_eq!(read(&dir.aof()), before);
    drop(s);

    // With aof-load-truncated no, the unfinished MULTI is refused.
    let mut file = before.clone();
    file.extend(aof_cmd(&["MULTI"]));
    file.extend(aof_cmd(&["SET", "b", "2"]));
    fs::write(dir.aof(), &file).unwrap();
    let (code, log) = expect_exit(
        &dir,
        &["--appendonly", "yes", "--aof-load-truncated", "no"],
    );
    assert_eq!(code, 1);
    assert!(
        log.contains("Revert incomplete MULTI/EXEC transaction in AOF file")
    );
    assert!(log.contains("Unexpected end of file reading the append only file"));
    assert_eq!(read(&dir.aof()), file);

    // A whole MULTI/EXEC is applied.
    file.extend(aof_cmd(&["EXEC"]));
    fs::write(dir.aof(), &file).unwrap();
    let s =
        start_in(&dir, &["--appendonly", "yes", "--aof-load-truncated", "no"]);
    assert_eq!(s.cmd_str(&["GET", "b"]), "2");
}

// ------------------------------ 5: bad format ------------------------------

const BAD_FORMAT: &str =
    "Bad file format reading the append only file: make a \
    backup of your AOF file, then use ./redis-check-aof --fix <filename>";

#[test]
fn bad_aof_formats_are_refused_with_5_0_messages() {
    let good = aof_of(&[&["SET", "a", "1"]]);
    let cases: Vec<(Vec<u8>, String)> = vec![
        (b"hello world\r\n".to_vec(), BAD_FORMAT.into()),
        (b"\x00\x01\x02garbage".to_vec(), BAD_FORMAT.into()),
        (
            aof_cmd(&["FOOBARX", "k"]),
            "Unknown command 'FOOBARX' reading the append only file".into(),
        ),
        (b"*0\r\n".to_vec(), BAD_FORMAT.into()),
        (b"*-3\r\n".to_vec(), BAD_FORMAT.into()),
        (b"*abc\r\n$3\r\nSET\r\n".to_vec(), BAD_FORMAT.into()),
        (b"*2\r\n$3\r\nGET\r\nkey\r\n".to_vec(), BAD_FORMAT.into()),
        // Divergence from C (documented in aof.rs): a wrong arity is a
        // format error rather than a command run with missing arguments.
        (aof_cmd(&["SET", "onlykey"]), BAD_FORMAT.into()),
        // A line longer than fgets' 128 bytes.
        (format!("*1{}\r\n", " ".repeat(300)).into_bytes(), BAD_FORMAT.into()),
    ];
    for (body, want) in cases {
        let dir = TmpDir::new();
        let mut file = good.clone();
        file.extend_from_slice(&body);
        fs::write(dir.aof(), &file).unwrap();
        for truncated in ["yes", "no"] {
            let (code, log) = expect_exit(
                &dir,
                &["--appendonly", "yes", "--aof-load-truncated", truncated],
            );
            assert_eq!(code, 1, "{body:?}: {log}");
            assert!(log.contains(&want), "{body:?}: want {want:?} in\n{log}");
            assert_eq!(read(&dir.aof()), file, "the file is left alone");
        }
    }

    // A `$` length beyond the end of the file is a short read, as in 5.0:
    // refused without aof-load-truncated, cut back with it.
    let dir = TmpDir::new();
    let mut file = good.clone();
    file.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$999999999\r\nab\r\n");
    fs::write(dir.aof(), &file).unwrap();
    let (code, log) = expect_exit(
        &dir,
        &["--appendonly", "yes", "--aof-load-truncated", "no"],
    );
    assert_eq!(code, 1);
    assert!(log.contains("Unexpected end of file reading the append only file"));
    let s = start_in(&dir, &["--appendonly", "yes"]);
    assert_eq!(s.cmd_str(&["GET", "a"]), "1");
    assert_eq!(read(&dir.aof()), good);
}

/// An RDB preamble this version cannot read (a newer RDB version) is an
/// error that stops the start, as in 5.0 ("Unrecoverable error reading the
/// append only file"), whatever aof-load-truncated says: it must not be
/// taken for a short read that truncates the whole file away.
#[test]
fn unreadable_rdb_preamble_is_refused_and_the_file_kept() {
    let dir = TmpDir::new();
    let mut file = b"REDIS0011\xfa\x09redis-ver\x057.2.0".to_vec();
    file.extend(aof_of(&[&["SET", "a", "1"]]));
    fs::write(dir.aof(), &file).unwrap();
    for truncated in ["yes", "no"] {
        let (code, log) = expect_exit(
            &dir,
            &["--appendonly", "yes", "--aof-load-truncated", truncated],
        );
        assert_eq!(code, 1, "{log}");
        assert!(log.contains("Can't handle RDB format version 11"), "{log}");
        assert!(
            log.contains(
                "Unrecoverable error reading the append only file: Invalid argument"
            ),
            "{log}"
        );
        assert_eq!(read(&dir.aof()), file, "the AOF must not be truncated");
    }
}

/// The messages a damaged AOF may stop 5.0 with (exit code 1).
const LOAD_ERRORS: &[&str] = &[
    "Bad file format reading the append only file",
    "Unknown command '",
    "Unexpected end of file reading the append only file",
    "Unrecoverable error reading the append only file",
    "Internal error in RDB reading function",
    "Wrong RDB checksum",
    "Can't handle RDB format version",
    "Short read or OOM loading DB",
    "Empty key in RDB file",
    "The RDB file contains module data I can't load",
    "The RDB file contains AUX module data I can't load",
    "FATAL: Data file was created with a Redis server configured to handle more than",
];

#[test]
fn fuzzed_aofs_start_or_exit_1_with_a_5_0_message() {
    // Two valid files to mutate: plain commands (with a MULTI/EXEC and
    // every type) and one with an RDB preamble, both written by us.
    let mut seeds = Vec::new();
    for preamble in ["no", "yes"] {
        let dir = TmpDir::new();
        let s = start_in(
            &dir,
            &["--appendonly", "yes", "--aof-use-rdb-preamble", preamble],
        );
        let mut c = Conn::new(&s);
        for i in 0..20 {
            let n = i.to_string();
            c.raw(&["RPUSH", "l", &n]);
            c.raw(&["SADD", "s", &n]);
            c.raw(&["ZADD", "z", &n, &format!("m{n}")]);
            c.raw(&["HSET", "h", &n, &n]);
            c.raw(&["SET", &format!("k{n}"), &n, "EX", "1000"]);
        }
        if preamble == "yes" {
            c.raw(&["BGREWRITEAOF"]);
            wait_rewrite_done(&s);
            wait_for(WAIT, || {
                s.log().contains("Background AOF rewrite finished successfully")
            });
        }
        c.raw(&["MULTI"]);
        c.raw(&["INCR", "ctr"]);
        c.raw(&["LPUSH", "l", "head"]);
        c.raw(&["EXEC"]);
        c.raw(&["SELECT", "2"]);
        c.raw(&["SET", "two", "2"]);
        drop(c);
        drop(s);
        let file = read(&dir.aof());
        assert_eq!(file.starts_with(b"REDIS"), preamble == "yes");
        seeds.push(file);
    }

    let mut rng = Rng(0x5eed_a0f5);
    let mut started = 0;
    let mut refused = 0;
    // OXREDIS_AOF_FUZZ_CASES=n runs more cases (200 by default).
    let cases: usize = std::env::var("OXREDIS_AOF_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    for case in 0..cases {
        let seed = &seeds[case % 2];
        let mut f = seed.clone();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(f.len() as u64) as usize;
            match rng.below(5) {
                0 => f[at] ^= 1 << rng.below(8),
                1 => f[at] = b"*$\r\n0123456789-"[rng.below(15) as usize],
                2 => f.truncate(at),
                3 => {
                    let n = rng.below(16) as usize;
                    let junk: Vec<u8> =
                        (0..n).map(|_| rng.below(256) as u8).collect();
                    f.splice(at..at, junk);
                }
                _ => {
                    let end = (at + rng.below(40) as usize).min(f.len());
                    f.drain(at..end);
                }
            }
            if f.is_empty() {
                break;
            }
        }
        let dir = TmpDir::new();
        fs::write(dir.aof(), &f).unwrap();
        let truncated = if rng.below(2) == 0 { "yes" } else { "no" };
        match try_start(
            &dir,
            &["--appendonly", "yes", "--aof-load-truncated", truncated],
        ) {
            Outcome::Running(mut child) => {
                started += 1;
                let _ = child.kill();
                let _ = child.wait();
                let log =
                    String::from_utf8_lossy(&read(&dir.path().join("run.log")))
                        .into_owned();
                assert!(!log.contains("panicked"), "case {case}: {log}");
                // Only aof-load-truncated may change the file.
                if truncated == "no" {
                    assert!(read(&dir.aof()) == f, "case {case}: file changed");
                }
            }
            Outcome::Exited(status, log) => {
                refused += 1;
                assert!(!log.contains("panicked"), "case {case}: {log}");
                assert_eq!(
                    status.code(),
                    Some(1),
                    "case {case}: {status}\n{log}"
                );
                assert!(
                    LOAD_ERRORS.iter().any(|m| log.contains(m)),
                    "case {case}: no 5.0 message in\n{log}"
                );
                // A refused file is left as it was.
                assert!(read(&dir.aof()) == f, "case {case}: file changed");
            }
        }
    }
    // Both outcomes happen, or the mutations are not doing their job.
    assert!(
        started > 10 && refused > 10,
        "started {started}, refused {refused}"
    );
}

// ------------------------------ 6: full disk ------------------------------

/// A small tmpfs mounted on a new temp dir; unmounted and removed on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    #[track_caller]
    fn mount(size: &str) -> Tmpfs {
        let dir = make_temp_dir();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .output()
            .unwrap_or_else(|e| panic!("cannot run mount: {e}"));
        if !out.status.success() {
            let _ = fs::remove_dir(&dir);
            panic!(
                "this test needs root to mount a tmpfs (mount -t tmpfs -o \
                 size={size} tmpfs {}): {}",
                dir.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Tmpfs(dir)
    }
    fn s(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
        let _ = fs::remove_dir(&self.0);
    }
}

#[test]
fn full_disk_refuses_writes_then_recovers() {
    let fs_ = Tmpfs::mount("2m");
    let filler = fs_.0.join("filler");
    fs::write(&filler, vec![b'f'; 512 * 1024]).unwrap();
    let mut s = Server::start(&[
        "--dir",
        fs_.s(),
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
    ]);
    let mut c = Conn::new(&s);
    let value = "v".repeat(8 * 1024);
    let mut acked = 0;
    let misconf = loop {
        assert!(acked < 1000, "the 2 MB tmpfs never filled up");
        let r = c.raw(&["SET", &format!("k{acked}"), &value]);
        if r != "+OK\r\n" {
            break r;
        }
        acked += 1;
    };
    assert_eq!(
        misconf,
        "-MISCONF Errors writing to the AOF file: No space left on device\r\n"
    );
    let log = s.log();
    assert!(
        log.contains("Error writing to the AOF file: No space left on device")
            || log.contains(
                "Short write while writing to the AOF file: (nwritten="
            ),
        "{log}"
    );
    assert_eq!(s.info("aof_last_write_status"), "err");
    // Reads still work, writes (and PING, as in 5.0) are refused.
    assert_eq!(c.bulk(&["GET", "k0"]), value);
    assert_eq!(c.int(&["DBSIZE"]), acked as i64);
    assert!(c.raw(&["DEL", "k0"]).starts_with("-MISCONF"));

    // Space comes back: the cron retries the write and writes resume.
    fs::remove_file(&filler).unwrap();
    wait_for(WAIT, || {
        s.log().contains("AOF write error looks solved, Redis can write again.")
    });
    assert_eq!(s.info("aof_last_write_status"), "ok");
    assert_eq!(c.raw(&["SET", "after", "recovery"]), "+OK\r\n");
    drop(c);

    // Everything acknowledged is in the AOF.
    s.kill();
    restart(&mut s);
    let mut c = Conn::new(&s);
    assert_eq!(c.int(&["DBSIZE"]), acked as i64 + 1);
    assert_eq!(c.bulk(&["GET", &format!("k{}", acked - 1)]), value);
    assert_eq!(c.bulk(&["GET", "after"]), "recovery");
}

#[test]
fn full_disk_with_appendfsync_always_exits() {
    let fs_ = Tmpfs::mount("1m");
    let s = Server::start(&[
        "--dir",
        fs_.s(),
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
    ]);
    let mut con = s.client();
    let value = "v".repeat(8 * 1024);
    let mut acked = 0;
    loop {
        assert!(acked < 1000, "the 1 MB tmpfs never filled up");
        let r: redis::RedisResult<redis::Value> =
            redis::cmd("SET").arg(acked).arg(&value).query(&mut con);
        match r {
            Ok(_) => acked += 1,
            Err(e) => {
                assert!(e.is_io_error() || e.is_connection_dropped(), "{e}");
                break;
            }
        }
    }
    let mut s = s;
    wait_for(WAIT, || !s.is_alive());
    let status = s.kill();
    assert_eq!(status.code(), Some(1), "{status}");
    let log = s.log();
    assert!(
        log.contains(
            "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting..."
        ),
        "{log}"
    );
    assert!(!log.contains("panicked"));
}

// ------------------------- 7, 8: BGREWRITEAOF -------------------------

/// Runs redis-check-aof (Debian's, 7.0) on `path`.
fn check_aof(args: &[&str], path: &Path, stdin: &[u8]) -> (bool, String) {
    let mut child = Command::new(find_binary("redis-check-aof"))
        .args(args)
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run redis-check-aof");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().expect("redis-check-aof");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// BGREWRITEAOF while four threads write: the digest survives a restart
/// from the rewritten file, which redis-check-aof accepts; `--fix` of a
/// truncated copy loads.
fn rewrite_under_load(preamble: &str) {
    let dir = TmpDir::new();
    let args = ["--appendonly", "yes", "--aof-use-rdb-preamble", preamble];
    let mut s = start_in(&dir, &args);
    preload(&s);
    let w = Writers::start(s.port());
    sleep(Duration::from_millis(200));
    assert_eq!(
        s.cmd_str(&["BGREWRITEAOF"]),
        "Background append only file rewriting started"
    );
    wait_rewrite_done(&s);
    sleep(Duration::from_millis(200)); // more writes after the rewrite
    let ops = w.stop();
    assert!(ops > 100, "only {ops} writes");
    let log = s.log();
    assert!(
        log.contains("Background AOF rewrite finished successfully"),
        "{log}"
    );
    assert!(log.contains("Residual parent diff successfully flushed"), "{log}");
    assert_eq!(s.info("aof_last_bgrewrite_status"), "ok");
    s.cmd(&["SET", "tail", "after-rewrite"]);
    let before = digest(&s);
    s.kill();

    let file = read(&dir.aof());
    assert_eq!(file.starts_with(b"REDIS"), preamble == "yes");
    if preamble == "no" {
        assert!(file.starts_with(b"*2\r\n$6\r\nSELECT\r\n"));
        // The batches: never more than 64 items per command.
        let text = String::from_utf8_lossy(&file);
        assert!(text.contains("*66\r\n$5\r\nRPUSH\r\n$7\r\nbiglist\r\n"));
        assert!(text.contains("*66\r\n$4\r\nSADD\r\n$9\r\nbigintset\r\n"));
        assert!(text.contains("*130\r\n$4\r\nZADD\r\n$7\r\nbigzset\r\n"));
        assert!(text.contains("*130\r\n$5\r\nHMSET\r\n$7\r\nbighash\r\n"));
        assert!(!text.contains("*67\r\n") && !text.contains("*131\r\n"));
    }
    // SET ... EX is written as SET and PEXPIREAT.
    assert!(!String::from_utf8_lossy(&file)
        .contains("$2\r\nEX\r\n$6\r\n100000\r\n"));

    let mut s = start_in(&dir, &args);
    assert_eq!(digest(&s), before, "digest after restart from the AOF");
    assert_eq!(s.cmd_str(&["GET", "tail"]), "after-rewrite");
    s.kill();

    let (ok, out) = check_aof(&[], &dir.aof(), b"");
    assert!(ok && out.contains("is valid"), "redis-check-aof: {out}");

    // Cut the last command short; --fix cuts it off and we load the rest.
    let fixdir = TmpDir::new();
    fs::write(fixdir.aof(), &file[..file.len() - 5]).unwrap();
    let (ok, _) = check_aof(&[], &fixdir.aof(), b"");
    assert!(!ok, "redis-check-aof accepts a truncated file");
    let (ok, out) = check_aof(&["--fix"], &fixdir.aof(), b"y\n");
    assert!(ok, "redis-check-aof --fix: {out}");
    let fixed = read(&fixdir.aof());
    assert!(fixed.len() < file.len() - 5 && file.starts_with(&fixed));
    let s = start_in(
        &fixdir,
        &["--appendonly", "yes", "--aof-load-truncated", "no"],
    );
    assert_eq!(s.cmd_str(&["EXISTS", "tail"]), "0");
    assert_eq!(s.cmd_str(&["LLEN", "biglist"]), "200");
}

#[test]
fn bgrewriteaof_under_load_without_preamble() {
    rewrite_under_load("no");
}

#[test]
fn bgrewriteaof_under_load_with_preamble() {
    rewrite_under_load("yes");
}

#[test]
fn redis_7_loads_an_aof_with_our_rdb_preamble() {
    let dir = TmpDir::new();
    let s = start_in(
        &dir,
        &["--appendonly", "yes", "--aof-use-rdb-preamble", "yes"],
    );
    preload(&s);
    let w = Writers::start(s.port());
    sleep(Duration::from_millis(300));
    s.cmd(&["BGREWRITEAOF"]);
    wait_rewrite_done(&s);
    w.stop();
    s.cmd(&["SET", "tail", "1"]);
    s.cmd(&["LPUSH", "biglist", "tail"]);
    let want = digest(&s);
    drop(s);
    let file = read(&dir.aof());
    assert!(file.starts_with(b"REDIS"));
    assert!(String::from_utf8_lossy(&file).contains("$4\r\ntail\r\n"));

    let r7 = Server::start_binary(
        &find_binary("redis-server"),
        &["--dir", dir.s(), "--appendonly", "yes"],
    );
    loaded(&r7);
    assert_eq!(
        digest(&r7),
        want,
        "Redis 7.0 loads the same data: {}",
        digest_diff(&r7, &ours_again(&dir))
    );
    assert_eq!(r7.cmd_str(&["GET", "tail"]), "1");
    let log = r7.log();
    assert!(log.contains("Successfully migrated an old-style AOF"), "{log}");
}

/// Our server started again from the AOF in `dir` (to compare per key).
fn ours_again(dir: &TmpDir) -> Server {
    let copy = TmpDir::new();
    fs::copy(dir.aof(), copy.aof()).unwrap();
    let s = start_in(&copy, &["--appendonly", "yes"]);
    std::mem::forget(copy);
    s
}

/// The keys whose DEBUG DIGEST-VALUE differs between two servers.
fn digest_diff(a: &Server, b: &Server) -> String {
    let mut out = String::new();
    for db in 0..16 {
        let mut ca = Conn::new(a);
        let mut cb = Conn::new(b);
        ca.raw(&["SELECT", &db.to_string()]);
        cb.raw(&["SELECT", &db.to_string()]);
        let mut keys = ca.bulks(&["KEYS", "*"]);
        keys.extend(cb.bulks(&["KEYS", "*"]));
        keys.sort();
        keys.dedup();
        for k in keys {
            let x = ca.r(&["DEBUG", "DIGEST-VALUE", &k]);
            let y = cb.r(&["DEBUG", "DIGEST-VALUE", &k]);
            if x != y {
                out.push_str(&format!("db {db} key {k}: {x:?} vs {y:?}\n"));
            }
        }
    }
    out
}

// ------------------------- 9: run-time switches -------------------------

#[test]
fn config_set_appendonly_yes_under_load_then_restart() {
    let dir = TmpDir::new();
    let s = start_in(&dir, &[]);
    preload(&s);
    let w = Writers::start(s.port());
    sleep(Duration::from_millis(200));
    assert_eq!(s.cmd_str(&["CONFIG", "SET", "appendonly", "yes"]), "OK");
    assert_eq!(s.info("aof_enabled"), "1");
    wait_rewrite_done(&s);
    wait_for(WAIT, || {
        s.log().contains("Background AOF rewrite finished successfully")
    });
    sleep(Duration::from_millis(200)); // writes with AOF on
    w.stop();
    let before = digest(&s);
    drop(s);
    let s = start_in(&dir, &["--appendonly", "yes"]);
    assert_eq!(digest(&s), before);
}

#[test]
fn config_set_appendonly_no_kills_the_rewrite_child() {
    let dir = TmpDir::new();
    let s = start_in(&dir, &["--appendonly", "yes"]);
    preload(&s);
    s.cmd(&["DEBUG", "POPULATE", "100000"]);
    let (pid, stopped) = start_stopped_child(
        &s,
        "BGREWRITEAOF",
        "Background append only file rewriting started",
    );
    assert_eq!(s.info("aof_rewrite_in_progress"), "1");
    let mut c = Conn::new(&s);
    c.send(&["CONFIG", "SET", "appendonly", "no"]);
    // The server sends SIGUSR1 and waits for the child: a stopped child
    // only takes the signal once continued, so continue it once the
    // signal is pending (the rewrite itself cannot finish first).
    wait_for(WAIT, || signal_pending(pid, libc::SIGUSR1));
    drop(stopped);
    assert_eq!(c.read(), "+OK\r\n");
    assert!(
        s.log().contains(&format!("Killing running AOF rewrite child: {pid}")),
        "{}",
        s.log()
    );
    assert!(!process_exists(pid), "child {pid} still there");
    assert_eq!(s.info("aof_rewrite_in_progress"), "0");
    assert_eq!(s.info("aof_enabled"), "0");
    let temps: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        // 5.0's aofRemoveTempFile removes the renamed file only: a child
        // killed while writing leaves its temp-rewriteaof-<pid>.aof behind
        // (6.0 removes that one too).
        .filter(|n| n.starts_with("temp-rewriteaof-bg-"))
        .collect();
    assert!(temps.is_empty(), "{temps:?}");
    assert_eq!(s.cmd_str(&["PING"]), "PONG");
}

#[test]
fn aof_and_rdb_children_never_run_together() {
    let dir = TmpDir::new();
    let s = start_in(&dir, &["--appendonly", "yes"]);
    preload(&s);
    s.cmd(&["DEBUG", "POPULATE", "100000"]);
    let port = s.port();
    let stop = Arc::new(AtomicBool::new(false));
    let poller = {
        let stop = stop.clone();
        thread::spawn(move || {
            let mut c = Conn::connect(port);
            let mut polls = 0u64;
            while !stop.load(Ordering::SeqCst) {
                let t = c.bulk(&["INFO", "persistence"]);
                assert!(
                    !(t.contains("rdb_bgsave_in_progress:1")
                        && t.contains("aof_rewrite_in_progress:1")),
                    "both children run:\n{t}"
                );
                polls += 1;
            }
            polls
        })
    };

    // BGREWRITEAOF during a BGSAVE is scheduled, then runs.
    let (_, stopped) =
        start_stopped_child(&s, "BGSAVE", "Background saving started");
    let saves = count(&s.log(), "Background saving terminated with success");
    assert_eq!(
        s.cmd_str(&["BGREWRITEAOF"]),
        "Background append only file rewriting scheduled"
    );
    assert_eq!(s.info("aof_rewrite_scheduled"), "1");
    assert_eq!(s.info("aof_rewrite_in_progress"), "0");
    assert_eq!(s.info("rdb_bgsave_in_progress"), "1");
    drop(stopped);
    wait_for(WAIT, || {
        let log = s.log();
        count(&log, "Background AOF rewrite finished successfully") == 1
            && count(&log, "Background saving terminated with success")
                == saves + 1
    });
    assert_eq!(s.info("rdb_last_bgsave_status"), "ok");
    wait_rewrite_done(&s);

    // BGSAVE during a rewrite is refused; BGSAVE SCHEDULE waits for it.
    let rewrites =
        count(&s.log(), "Background AOF rewrite finished successfully");
    let saves = count(&s.log(), "Background saving terminated with success");
    let (_, stopped) = start_stopped_child(
        &s,
        "BGREWRITEAOF",
        "Background append only file rewriting started",
    );
    let err = s.try_cmd(&["BGSAVE"]).unwrap_err();
    assert_eq!(
        err.detail(),
        Some(
            "An AOF log rewriting in progress: can't BGSAVE right now. Use \
             BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible."
        ),
        "{err}"
    );
    assert_eq!(
        s.cmd_str(&["BGSAVE", "SCHEDULE"]),
        "Background saving scheduled"
    );
    assert_eq!(s.info("rdb_bgsave_in_progress"), "0");
    let mut r = Conn::new(&s);
    assert_eq!(
        r.raw(&["BGREWRITEAOF"]),
        "-ERR Background append only file rewriting already in progress\r\n"
    );
    drop(stopped);
    wait_for(WAIT, || {
        count(&s.log(), "Background AOF rewrite finished successfully")
            == rewrites + 1
            && count(&s.log(), "Background saving terminated with success")
                == saves + 1
    });
    stop.store(true, Ordering::SeqCst);
    let polls = poller.join().expect("poller");
    assert!(polls > 10);
}

// ------------------------------ 10: replica ------------------------------

#[test]
fn replica_with_aof_rewrites_it_after_the_full_sync() {
    let master = Server::start(&[]);
    preload(&master);
    let w = Writers::start(master.port());
    let rdir = TmpDir::new();
    let replica = start_in(
        &rdir,
        &[
            "--appendonly",
            "yes",
            "--replicaof",
            "127.0.0.1",
            &master.port_str(),
        ],
    );
    wait_for(WAIT, || replica.info("master_link_status") == "up");
    wait_for(WAIT, || {
        let log = replica.log();
        let synced = log.find("MASTER <-> REPLICA sync: Finished with success");
        let rewrite =
            log.rfind("Background append only file rewriting started");
        matches!((synced, rewrite), (Some(a), Some(b)) if b > a)
    });
    wait_rewrite_done(&replica);
    sleep(Duration::from_millis(200));
    w.stop();
    wait_for(WAIT, || {
        master.info("master_repl_offset") == replica.info("master_repl_offset")
    });
    let want = digest(&master);
    assert_eq!(digest(&replica), want);
    let log = replica.log();
    let synced =
        log.find("MASTER <-> REPLICA sync: Finished with success").unwrap();
    assert!(
        log[synced..].contains("Background AOF rewrite finished successfully")
    );
    drop(replica);

    let again = start_in(&rdir, &["--appendonly", "yes"]);
    assert_eq!(again.info("role"), "master");
    assert_eq!(digest(&again), want);
}

// ------------------------------- 11: fds -------------------------------

#[test]
fn bgrewriteaof_cycles_leak_no_fds() {
    let dir = TmpDir::new();
    let s = start_in(&dir, &["--appendonly", "yes"]);
    preload(&s);
    let mut c = Conn::new(&s);
    assert_eq!(c.raw(&["PING"]), "+PONG\r\n");
    let targets = |s: &Server| {
        let mut t: Vec<String> =
            s.open_fds().into_iter().map(|(_, t)| t).collect();
        t.sort();
        t
    };
    let baseline = targets(&s);
    for cycle in 1..=3 {
        assert_eq!(
            c.s(&["BGREWRITEAOF"]),
            "Background append only file rewriting started"
        );
        c.raw(&["SET", "during", &cycle.to_string()]);
        wait_for(WAIT, || {
            count(&s.log(), "Background AOF rewrite finished successfully")
                == cycle
        });
        wait_rewrite_done(&s);
    }
    // The old AOF is closed by a bio thread, and the INFO connections of
    // wait_rewrite_done by the event loop: wait for both.
    let deadline = Instant::now() + WAIT;
    loop {
        let now = targets(&s);
        if now == baseline {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "fds before: {baseline:?}\nfds after: {now:?}"
        );
        sleep(Duration::from_millis(20));
    }
    assert_eq!(c.bulk(&["GET", "during"]), "3");
}
