//! Shared helpers for the process tests in `tests/`: start a server binary
//! on a free port in its own temp dir, talk to it with the `redis` crate, a
//! raw socket or `Conn` (the Tcl suite's `r`: raw RESP replies for
//! byte-exact checks, or decoded as `Reply`), wait for conditions the way
//! Tcl's `wait_for_condition` does, and run the real `redis-cli`.
//!
//! Each test file does `mod util;` and uses a subset, hence the allow below.
//! No async runtime: everything here blocks, with a bound on every wait.
//!
//! Environment:
//! - `OXREDIS_KEEP_TMP=1`: when a test panics, keep each server's temp dir
//!   (config, log, RDB files) and print where it is.

#![allow(dead_code)]

pub mod fake_master;
pub mod proxy;

use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Our server, as built by cargo for this test run.
pub const OXREDIS_BIN: &str = env!("CARGO_BIN_EXE_oxredis-server");

/// How long `Server::start*` waits for the first PING to be answered.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// How long `Server::kill` waits after SIGTERM (the Tcl harness waits 10 s
/// too, then uses `kill -9`).
const TERM_TIMEOUT: Duration = Duration::from_secs(10);

/// How long `Drop` waits after SIGTERM before SIGKILL.
const DROP_TERM_TIMEOUT: Duration = Duration::from_secs(2);

/// Read timeout of the connections handed out by `client()` and `raw()`,
/// so a server that never answers fails the test instead of hanging it.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

// ------------------------------ server process ------------------------------

/// One server process (ours or a real `redis-server`) on 127.0.0.1, with
/// its own temp dir holding `redis.conf` (if any), `server.log` (stdout and
/// stderr) and whatever the server writes into `dir`.
///
/// Dropping it stops the process (SIGTERM, then SIGKILL after 2 s), reaps
/// it and removes the temp dir.
pub struct Server {
    child: Option<Child>,
    exit_status: Option<ExitStatus>,
    pid: u32,
    port: u16,
    dir: PathBuf,
    log_path: PathBuf,
    binary: PathBuf,
    /// Major version of a foreign binary (7 for Debian's 7.0); `None` for
    /// ours.
    foreign_major: Option<u32>,
    /// False while a start attempt that will be retried is being dropped.
    owns_dir: bool,
    /// Whether `<dir>/redis.conf` is passed first (for `restart`).
    has_conf: bool,
    /// The caller's arguments (for `restart`).
    args: Vec<String>,
}

impl Server {
    /// Starts our `oxredis-server` with `--port P --bind 127.0.0.1 --dir
    /// <tmp> --save ""` followed by `args` (later arguments win, as in
    /// Redis, so `args` may override any of these; `--save 900 1` adds a
    /// save point after the reset).
    #[track_caller]
    pub fn start(args: &[&str]) -> Server {
        Server::spawn(Path::new(OXREDIS_BIN), None, args)
    }

    /// Like `start`, but first writes `conf_text` to `<tmp>/redis.conf` and
    /// passes that path as the first argument, as `redis-server
    /// redis.conf --port ...` would get it. The command-line options come
    /// after the file, so they override it (`port`, `bind`, `dir`, `save`).
    #[track_caller]
    pub fn start_with_config(conf_text: &str, args: &[&str]) -> Server {
        Server::spawn(Path::new(OXREDIS_BIN), Some(conf_text), args)
    }

    /// Starts another binary the same way, typically a real Redis peer:
    /// `Server::start_binary(&find_binary("redis-server"), &[])`. For Redis
    /// 7 and later `--enable-debug-command yes` is added, since those
    /// refuse DEBUG by default and the tests use DEBUG DIGEST and friends.
    #[track_caller]
    pub fn start_binary(path: &Path, args: &[&str]) -> Server {
        Server::spawn(path, None, args)
    }

    /// `start_binary` with a config file, see `start_with_config`.
    #[track_caller]
    pub fn start_binary_with_config(
        path: &Path,
        conf_text: &str,
        args: &[&str],
    ) -> Server {
        Server::spawn(path, Some(conf_text), args)
    }

    #[track_caller]
    fn spawn(binary: &Path, conf_text: Option<&str>, args: &[&str]) -> Server {
        let binary = binary.to_path_buf();
        assert!(
            binary.exists(),
            "server binary {} does not exist",
            binary.display()
        );
        let foreign_major = if is_ours(&binary) {
            None
        } else {
            Some(binary_major_version(&binary))
        };
        let dir = make_temp_dir();
        let conf_path = dir.join("redis.conf");
        if let Some(text) = conf_text {
            fs::write(&conf_path, text).expect("write redis.conf");
        }
        let log_path = dir.join("server.log");

        // A port picked by binding port 0 can be taken by someone else
        // before the server binds it (tests run in parallel): retry with a
        // new port when the server says so.
        for attempt in 0..5 {
            let port = free_port();
            let log = fs::File::create(&log_path).expect("create server.log");
            let mut cmd = server_command(
                &binary,
                conf_text.is_some(),
                port,
                &dir,
                foreign_major,
                args,
                log,
            );
            let child = cmd.spawn().unwrap_or_else(|e| {
                panic!("cannot run {}: {e}", binary.display())
            });
            let mut server = Server {
                pid: child.id(),
                child: Some(child),
                exit_status: None,
                port,
                dir: dir.clone(),
                log_path: log_path.clone(),
                binary: binary.clone(),
                foreign_major,
                owns_dir: true,
                has_conf: conf_text.is_some(),
                args: args.iter().map(|a| a.to_string()).collect(),
            };
            match server.wait_ready() {
                Ok(()) => return server,
                Err(why) => {
                    let log = server.log();
                    if attempt < 4
                        && server.exit_status.is_some()
                        && log.contains("already in use")
                    {
                        server.owns_dir = false; // reused by the next try
                        continue;
                    }
                    panic!(
                        "server {} on port {port} did not start: {why}\n\
                         command: {cmd:?}\n----- log -----\n{log}\
                         ---------------",
                        binary.display()
                    );
                }
            }
        }
        unreachable!()
    }

    /// Starts the process again, after `kill9` or `kill`, on the same port
    /// and dir with the same arguments (so it loads the RDB it left there).
    /// The log goes on in the same `server.log`.
    #[track_caller]
    pub fn restart(&mut self) {
        assert!(self.try_wait().is_some(), "restart of a running server");
        let log = fs::OpenOptions::new()
            .append(true)
            .open(&self.log_path)
            .expect("open server.log");
        let args: Vec<&str> = self.args.iter().map(|a| a.as_str()).collect();
        let mut cmd = server_command(
            &self.binary,
            self.has_conf,
            self.port,
            &self.dir,
            self.foreign_major,
            &args,
            log,
        );
        let child = cmd.spawn().unwrap_or_else(|e| {
            panic!("cannot run {}: {e}", self.binary.display())
        });
        self.pid = child.id();
        self.child = Some(child);
        self.exit_status = None;
        if let Err(why) = self.wait_ready() {
            panic!(
                "server {} did not restart on port {}: {why}\n\
                 ----- log -----\n{}---------------",
                self.binary.display(),
                self.port,
                self.log()
            );
        }
    }

    /// Waits until the process answers PING with `+...` or `-...` (a
    /// `-LOADING` or `-NOAUTH` reply means it is up, as for the Tcl
    /// harness), or fails if it exits or the time is up.
    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.try_wait() {
                return Err(format!("the process exited ({status})"));
            }
            if ping_answers(self.addr()) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!("no PING reply within {START_TIMEOUT:?}"));
            }
            sleep(Duration::from_millis(20));
        }
    }

    /// The TCP port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port as a string, for argument lists (`--slaveof`, SLAVEOF).
    pub fn port_str(&self) -> String {
        self.port.to_string()
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The process id (also after the process has exited).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The server's temp dir, which is also its `dir` (RDB files go here).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The binary this server runs.
    pub fn binary(&self) -> &Path {
        &self.binary
    }

    /// True when this is our oxredis-server, false for a real Redis.
    pub fn is_ours(&self) -> bool {
        self.foreign_major.is_none()
    }

    /// A new connection from the `redis` crate, with a read timeout.
    #[track_caller]
    pub fn client(&self) -> redis::Connection {
        let url = format!("redis://127.0.0.1:{}/", self.port);
        let client = redis::Client::open(url).expect("redis url");
        let con =
            client.get_connection_with_timeout(IO_TIMEOUT).unwrap_or_else(
                |e| panic!("cannot connect to port {}: {e}", self.port),
            );
        con.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        con.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        con
    }

    /// Sends one command on a fresh connection and returns the reply;
    /// panics on an error reply (use `try_cmd` to look at errors).
    #[track_caller]
    pub fn cmd(&self, args: &[&str]) -> redis::Value {
        match self.try_cmd(args) {
            Ok(v) => v,
            Err(e) => panic!("{args:?} on port {} failed: {e}", self.port),
        }
    }

    /// Sends one command on a fresh connection and returns the reply or
    /// the error (error replies and I/O errors alike).
    #[track_caller]
    pub fn try_cmd(&self, args: &[&str]) -> redis::RedisResult<redis::Value> {
        assert!(!args.is_empty(), "empty command");
        let mut con = self.client();
        redis::cmd(args[0]).arg(&args[1..]).query(&mut con)
    }

    /// `cmd` for replies that are strings or integers, returned as text
    /// (nil becomes ""). Panics on other reply types.
    #[track_caller]
    pub fn cmd_str(&self, args: &[&str]) -> String {
        let v = self.cmd(args);
        value_to_string(&v)
            .unwrap_or_else(|| panic!("{args:?}: not a string reply: {v:?}"))
    }

    /// The value of one INFO field (`role`, `master_link_status`,
    /// `sync_full`, ...), or "" if the field is absent, like Tcl's
    /// `status` helper. Looks in plain INFO first, then in `INFO all`
    /// (commandstats and the like are only there).
    #[track_caller]
    pub fn info(&self, field: &str) -> String {
        for section in [None, Some("all")] {
            let text = self.info_text(section);
            if let Some(v) = info_field(&text, field) {
                return v;
            }
        }
        String::new()
    }

    /// `info` for a numeric field; panics if it is absent or not a number.
    #[track_caller]
    pub fn info_i64(&self, field: &str) -> i64 {
        let v = self.info(field);
        v.parse()
            .unwrap_or_else(|_| panic!("INFO {field} is not a number: {v:?}"))
    }

    /// The raw text of `INFO [section]`.
    #[track_caller]
    pub fn info_text(&self, section: Option<&str>) -> String {
        let v = match section {
            Some(s) => self.cmd(&["INFO", s]),
            None => self.cmd(&["INFO"]),
        };
        value_to_string(&v).unwrap_or_default()
    }

    /// DEBUG DIGEST of the whole data set.
    #[track_caller]
    pub fn digest(&self) -> String {
        self.cmd_str(&["DEBUG", "DIGEST"])
    }

    /// Everything the server wrote to stdout and stderr so far.
    pub fn log(&self) -> String {
        fs::read(&self.log_path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// The process's open file descriptors with what they point to
    /// (`/proc/<pid>/fd`), sorted: compare before and after a fault to find
    /// a leaked fd.
    pub fn open_fds(&self) -> Vec<(u32, String)> {
        open_fds(self.pid)
    }

    /// How many file descriptors the process has open.
    pub fn fd_count(&self) -> usize {
        self.open_fds().len()
    }

    /// Whether the process is still running (reaps it if it exited).
    pub fn is_alive(&mut self) -> bool {
        self.try_wait().is_none()
    }

    /// Sends SIGTERM and waits for the exit (Redis shuts down gracefully
    /// on SIGTERM). Panics, after a SIGKILL, if the process is still there
    /// 10 s later, since the Tcl harness treats that as a hang too.
    #[track_caller]
    pub fn kill(&mut self) -> ExitStatus {
        if let Some(status) = self.try_wait() {
            return status;
        }
        self.signal(libc::SIGTERM);
        match self.wait_timeout(TERM_TIMEOUT) {
            Some(status) => status,
            None => {
                self.kill9();
                panic!(
                    "pid {} did not exit within {TERM_TIMEOUT:?} of SIGTERM\n\
                     ----- log -----\n{}---------------",
                    self.pid,
                    self.log()
                );
            }
        }
    }

    /// Sends SIGKILL and reaps the process.
    pub fn kill9(&mut self) -> ExitStatus {
        if let Some(status) = self.try_wait() {
            return status;
        }
        self.signal(libc::SIGKILL);
        let status = self.child.as_mut().unwrap().wait().expect("waitpid");
        self.exit_status = Some(status);
        status
    }

    /// Sends any signal to the process, if it has not been reaped yet.
    pub fn signal(&mut self, sig: libc::c_int) {
        if self.exit_status.is_none() {
            // SAFETY: kill(2) with the pid of our own unreaped child: the
            // pid cannot have been reused by another process.
            unsafe {
                libc::kill(self.pid as libc::pid_t, sig);
            }
        }
    }

    /// The exit status if the process has exited (and reaps it).
    fn try_wait(&mut self) -> Option<ExitStatus> {
        if self.exit_status.is_none() {
            let child = self.child.as_mut()?;
            if let Ok(Some(status)) = child.try_wait() {
                self.exit_status = Some(status);
            }
        }
        self.exit_status
    }

    fn wait_timeout(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.try_wait().is_none() {
            self.signal(libc::SIGTERM);
            if self.wait_timeout(DROP_TERM_TIMEOUT).is_none() {
                self.kill9();
            }
        }
        let panicking = std::thread::panicking();
        if !self.owns_dir {
            return;
        }
        if panicking {
            // Shown by the test harness under the failing test's output.
            eprintln!(
                "----- {} (port {}, pid {}): last lines of {} -----\n{}",
                self.binary.display(),
                self.port,
                self.pid,
                self.log_path.display(),
                tail(&self.log(), 60)
            );
        }
        if panicking && std::env::var_os("OXREDIS_KEEP_TMP").is_some() {
            eprintln!("OXREDIS_KEEP_TMP: kept {}", self.dir.display());
        } else {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// The command line `Server` runs: `<binary> [<dir>/redis.conf] --port P
/// --bind 127.0.0.1 --dir <dir> --save "" <args...>`, in `dir`, with
/// stdout and stderr to `log`.
fn server_command(
    binary: &Path,
    has_conf: bool,
    port: u16,
    dir: &Path,
    foreign_major: Option<u32>,
    args: &[&str],
    log: fs::File,
) -> Command {
    let mut cmd = Command::new(binary);
    if has_conf {
        cmd.arg(dir.join("redis.conf"));
    }
    cmd.args(["--port", &port.to_string()]);
    cmd.args(["--bind", "127.0.0.1"]);
    cmd.arg("--dir").arg(dir);
    cmd.args(["--save", ""]);
    if foreign_major.is_some_and(|m| m >= 7) {
        cmd.args(["--enable-debug-command", "yes"]);
    }
    cmd.args(args);
    let log2 = log.try_clone().expect("dup server.log");
    cmd.current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log2));
    cmd
}

/// Whether `path` is the oxredis-server built for this test run.
fn is_ours(path: &Path) -> bool {
    let ours = fs::canonicalize(OXREDIS_BIN).ok();
    ours.is_some() && fs::canonicalize(path).ok() == ours
}

/// The major version from `<binary> --version` ("Redis server v=7.0.15
/// ..."), 0 if it cannot be told.
fn binary_major_version(path: &Path) -> u32 {
    let out = Command::new(path).arg("--version").stdin(Stdio::null()).output();
    let text = match out {
        Ok(o) => String::from_utf8_lossy(&o.stdout).into_owned(),
        Err(e) => panic!("cannot run {} --version: {e}", path.display()),
    };
    text.split_once("v=")
        .and_then(|(_, rest)| rest.split('.').next())
        .and_then(|major| major.parse().ok())
        .unwrap_or(0)
}

/// One PING on a new connection: true if the first reply byte is `+` or
/// `-` (what the Tcl harness's `ping_server` accepts).
fn ping_answers(addr: SocketAddr) -> bool {
    let Ok(mut s) =
        TcpStream::connect_timeout(&addr, Duration::from_millis(200))
    else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
    if s.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut byte = [0u8; 1];
    matches!(s.read(&mut byte), Ok(1) if byte[0] == b'+' || byte[0] == b'-')
}

/// The open file descriptors of process `pid` and their link targets
/// (`socket:[inode]`, a path, `pipe:[inode]`), sorted by fd number.
pub fn open_fds(pid: u32) -> Vec<(u32, String)> {
    let dir = format!("/proc/{pid}/fd");
    let mut out: Vec<(u32, String)> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {dir}: {e}"))
        .filter_map(|e| {
            let e = e.ok()?;
            let fd = e.file_name().to_str()?.parse().ok()?;
            let target = fs::read_link(e.path()).ok()?;
            Some((fd, target.to_string_lossy().into_owned()))
        })
        .collect();
    out.sort();
    out
}

/// A port on 127.0.0.1 that was free a moment ago (bind port 0, read it,
/// close).
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().unwrap().port()
}

/// A new empty directory under the system temp dir, unique per process and
/// call.
pub fn make_temp_dir() -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos =
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos();
    let dir = std::env::temp_dir()
        .join(format!("oxredis-test-{}-{n}-{nanos}", std::process::id()));
    fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// The last `n` lines of `text`.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let from = lines.len().saturating_sub(n);
    let mut out = lines[from..].join("\n");
    out.push('\n');
    out
}

// --------------------------------- replies ----------------------------------

/// The text of a string-like reply (bulk, status, OK, integer); "" for nil;
/// `None` for arrays and the other RESP3 shapes.
pub fn value_to_string(v: &redis::Value) -> Option<String> {
    use redis::Value;
    match v {
        Value::Nil => Some(String::new()),
        Value::Int(i) => Some(i.to_string()),
        Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::SimpleString(s) => Some(s.clone()),
        Value::Okay => Some("OK".to_string()),
        _ => None,
    }
}

/// Looks `field` up in INFO text (`field:value` lines).
pub fn info_field(info: &str, field: &str) -> Option<String> {
    info.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        (k == field).then(|| v.trim_end().to_string())
    })
}

// ------------------------------ wait_for_condition --------------------------

/// How long the replication helpers below wait.
pub const REPL_TIMEOUT: Duration = Duration::from_secs(30);

/// Waits until the replica applied everything the master produced: its
/// `slave_repl_offset` equals the master's `master_repl_offset`.
#[track_caller]
pub fn wait_caught_up(master: &Server, replica: &Server) {
    wait_for(REPL_TIMEOUT, || {
        let m = master.info("master_repl_offset");
        !m.is_empty() && replica.info("slave_repl_offset") == m
    });
}

/// Waits until `replica` reports its link up and has processed at least
/// the master's offset as it is now.
#[track_caller]
pub fn wait_for_ofs_sync(master: &Server, replica: &Server) {
    wait_for(REPL_TIMEOUT, || replica.info("master_link_status") == "up");
    let target: i64 = master.info_i64("master_repl_offset");
    wait_for(REPL_TIMEOUT, || {
        replica.info("slave_repl_offset").parse::<i64>().unwrap_or(-1) >= target
    });
}

/// Polls `cond` every 10 ms until it is true; panics (at the caller's line)
/// if it is still false after `timeout`. Mirrors Tcl's
/// `wait_for_condition maxtries delay`.
#[track_caller]
pub fn wait_for(timeout: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return;
        }
        if Instant::now() >= deadline {
            panic!("wait_for: condition still false after {timeout:?}");
        }
        sleep(Duration::from_millis(10));
    }
}

// ------------------------------- raw sockets --------------------------------

/// A plain TCP connection to 127.0.0.1:`port` with 10 s read and write
/// timeouts and TCP_NODELAY, for byte-exact protocol checks.
#[track_caller]
pub fn raw(port: u16) -> TcpStream {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let s = TcpStream::connect_timeout(&addr, IO_TIMEOUT)
        .unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
    s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    s.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    s.set_nodelay(true).unwrap();
    s
}

/// Writes all of `bytes`.
#[track_caller]
pub fn send_raw(stream: &mut TcpStream, bytes: &[u8]) {
    stream.write_all(bytes).expect("send_raw");
}

/// What `read_until_close_or_timeout` got.
#[derive(Debug)]
pub struct RawRead {
    pub bytes: Vec<u8>,
    /// True if the peer closed the connection (read returned 0 or reset),
    /// false if the time ran out first.
    pub closed: bool,
}

impl RawRead {
    /// The bytes as (lossy) text, for assertions and messages.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// Reads until the server closes the connection or `timeout` passes
/// without it doing so. Use it to check "replies with X and closes".
pub fn read_until_close_or_timeout(
    stream: &mut TcpStream,
    timeout: Duration,
) -> RawRead {
    let deadline = Instant::now() + timeout;
    let mut bytes = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return RawRead { bytes, closed: false };
        }
        stream.set_read_timeout(Some(left)).unwrap();
        match stream.read(&mut buf) {
            Ok(0) => return RawRead { bytes, closed: true },
            Ok(n) => bytes.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e)
                if e.kind() == ErrorKind::WouldBlock
                    || e.kind() == ErrorKind::TimedOut =>
            {
                return RawRead { bytes, closed: false };
            }
            // ECONNRESET and friends: the server closed on us.
            Err(_) => return RawRead { bytes, closed: true },
        }
    }
}

/// Reads exactly one complete RESP2 reply and returns its bytes (type byte
/// and final CRLF included), without waiting for a timeout. Panics if the
/// connection closes or times out first.
#[track_caller]
pub fn read_reply(stream: &mut TcpStream) -> Vec<u8> {
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let mut bytes = Vec::new();
    let mut byte = [0u8; 1];
    // Byte-at-a-time so nothing after the reply is consumed; replies in
    // tests are small.
    while resp_reply_len(&bytes).is_none() {
        match stream.read(&mut byte) {
            Ok(1) => bytes.push(byte[0]),
            Ok(_) => panic!(
                "connection closed inside a reply; got {:?}",
                String::from_utf8_lossy(&bytes)
            ),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!(
                "read_reply: {e}; got {:?}",
                String::from_utf8_lossy(&bytes)
            ),
        }
    }
    bytes
}

/// The length of the complete RESP2 reply at the start of `buf`, or `None`
/// if `buf` does not hold a whole one yet.
pub fn resp_reply_len(buf: &[u8]) -> Option<usize> {
    let line_end = buf.windows(2).position(|w| w == b"\r\n")?;
    let after_line = line_end + 2;
    let header = std::str::from_utf8(&buf[1..line_end]).ok();
    match buf[0] {
        b'+' | b'-' | b':' => Some(after_line),
        b'$' => {
            let len: i64 = header?.parse().ok()?;
            if len < 0 {
                return Some(after_line);
            }
            let end = after_line + len as usize + 2;
            (buf.len() >= end).then_some(end)
        }
        b'*' => {
            let count: i64 = header?.parse().ok()?;
            let mut at = after_line;
            for _ in 0..count.max(0) {
                at += resp_reply_len(&buf[at..])?;
            }
            Some(at)
        }
        // Inline garbage: treat the line as the reply.
        _ => Some(after_line),
    }
}

// ------------------------------ other binaries ------------------------------

/// Path of an installed Redis tool (`redis-server`, `redis-cli`,
/// `redis-benchmark`, `redis-check-rdb`): /usr/bin first, then the PATH.
/// Panics with install instructions if it is missing: tests never skip.
#[track_caller]
pub fn find_binary(name: &str) -> PathBuf {
    let mut candidates =
        vec![PathBuf::from("/usr/bin"), PathBuf::from("/usr/local/bin")];
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path));
    }
    for dir in candidates {
        let p = dir.join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "`{name}` not found in /usr/bin, /usr/local/bin or PATH. \
         These tests need Debian's redis-server and redis-tools packages \
         (`apt-get install -y redis-server redis-tools`); scripts/test \
         installs them."
    );
}

/// Runs the installed tool `name` (`redis-cli`, `redis-benchmark`) as
/// `<name> -h 127.0.0.1 -p <port> <args...>` with stdin /dev/null, to the
/// end, and returns its output.
#[track_caller]
pub fn run_tool(name: &str, port: u16, args: &[&str]) -> std::process::Output {
    Command::new(find_binary(name))
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {name}: {e}"))
}

/// Runs `redis-cli -p <port> <args...>` and returns its stdout and exit
/// status (stdin is /dev/null).
#[track_caller]
pub fn redis_cli(port: u16, args: &[&str]) -> (String, ExitStatus) {
    let out = run_tool("redis-cli", port, args);
    (String::from_utf8_lossy(&out.stdout).into_owned(), out.status)
}

/// Waits up to `timeout` for `child` to exit and returns its status (the
/// child is reaped); `None` if it is still running then, in which case it
/// has been killed and reaped. For binaries that must stop on their own
/// (start-up failures, one-shot tools).
pub fn wait_child(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("waitpid") {
            return Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        sleep(Duration::from_millis(10));
    }
}

// -------------------------------- RESP client --------------------------------

/// The WRONGTYPE error reply, as raw bytes on the wire.
pub const WRONGTYPE: &str =
    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

/// One command as a RESP2 multi bulk, the way clients send it.
pub fn encode_command(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A RESP2 reply, decoded, for checks on values rather than bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Status(String),
    Err(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Arr(Vec<Reply>),
}

impl Reply {
    /// Decodes the complete reply at the start of `buf` (as `read_reply`
    /// returns it) and says how many bytes it took. Panics on anything
    /// that is not RESP2.
    #[track_caller]
    pub fn parse(buf: &[u8]) -> (Reply, usize) {
        let end = buf.windows(2).position(|w| w == b"\r\n").expect("CRLF");
        let line = String::from_utf8_lossy(&buf[1..end]).into_owned();
        let after = end + 2;
        match buf[0] {
            b'+' => (Reply::Status(line), after),
            b'-' => (Reply::Err(line), after),
            b':' => (Reply::Int(line.parse().expect("integer reply")), after),
            b'$' => {
                let n: i64 = line.parse().expect("bulk length");
                if n < 0 {
                    return (Reply::Bulk(None), after);
                }
                let n = n as usize;
                (
                    Reply::Bulk(Some(buf[after..after + n].to_vec())),
                    after + n + 2,
                )
            }
            b'*' => {
                let n: i64 = line.parse().expect("array length");
                let mut at = after;
                let mut items = Vec::new();
                for _ in 0..n.max(0) {
                    let (v, used) = Reply::parse(&buf[at..]);
                    items.push(v);
                    at += used;
                }
                (Reply::Arr(items), at)
            }
            t => panic!("unexpected reply type {:?}", t as char),
        }
    }

    /// Tcl's view of a reply: the text of a status, error, integer or
    /// bulk, "" for nil. Panics on an array.
    #[track_caller]
    pub fn s(&self) -> String {
        match self {
            Reply::Status(s) | Reply::Err(s) => s.clone(),
            Reply::Int(i) => i.to_string(),
            Reply::Bulk(Some(b)) => String::from_utf8_lossy(b).into_owned(),
            Reply::Bulk(None) => String::new(),
            Reply::Arr(_) => {
                panic!("array where a string was expected: {self:?}")
            }
        }
    }

    /// The value of an integer reply; panics on other types.
    #[track_caller]
    pub fn int(&self) -> i64 {
        match self {
            Reply::Int(i) => *i,
            _ => panic!("not an integer reply: {self:?}"),
        }
    }

    /// The elements of an array reply; panics on other types.
    #[track_caller]
    pub fn arr(&self) -> &[Reply] {
        match self {
            Reply::Arr(a) => a,
            _ => panic!("not an array reply: {self:?}"),
        }
    }

    /// The elements of an array reply as text (`s` of each).
    #[track_caller]
    pub fn strs(&self) -> Vec<String> {
        self.arr().iter().map(Reply::s).collect()
    }

    /// The text of a bulk reply, "" for nil; unlike `s`, panics on any
    /// other type.
    #[track_caller]
    pub fn bulk(&self) -> String {
        match self {
            Reply::Bulk(Some(b)) => String::from_utf8_lossy(b).into_owned(),
            Reply::Bulk(None) => String::new(),
            _ => panic!("not a bulk reply: {self:?}"),
        }
    }

    /// The elements of a flat array of bulk strings (nil as ""); unlike
    /// `strs`, panics if the reply or an element has another type.
    #[track_caller]
    pub fn bulks(&self) -> Vec<String> {
        match self {
            Reply::Arr(a) => a.iter().map(Reply::bulk).collect(),
            _ => panic!("not an array reply: {self:?}"),
        }
    }

    /// Every string in the reply, nested arrays flattened and nil as "",
    /// as Tcl shows a reply (`{pmessage * chan msg}`).
    pub fn flat(&self) -> Vec<String> {
        match self {
            Reply::Arr(a) => a.iter().flat_map(Reply::flat).collect(),
            other => vec![other.s()],
        }
    }
}

/// One raw connection, like the Tcl suite's `r` or, used through `send`
/// and `read`, its `redis_deferring_client`. Replies come back as raw
/// text for byte-exact checks (`raw`) or decoded (`r` and the helpers
/// built on it).
pub struct Conn {
    pub stream: TcpStream,
}

impl Conn {
    /// A connection to 127.0.0.1:`port` (see `raw`).
    #[track_caller]
    pub fn connect(port: u16) -> Conn {
        Conn { stream: raw(port) }
    }

    /// A connection to `server`.
    #[track_caller]
    pub fn new(server: &Server) -> Conn {
        Conn::connect(server.port())
    }

    /// A connection that has done SELECT 9, as the Tcl harness's clients
    /// (sent in lower case as they do, which MONITOR shows).
    #[track_caller]
    pub fn db9(server: &Server) -> Conn {
        let mut c = Conn::new(server);
        assert_eq!(c.raw(&["select", "9"]), "+OK\r\n");
        c
    }

    /// Sends one command without reading the reply.
    #[track_caller]
    pub fn send(&mut self, args: &[&str]) {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        self.send_bin(&a);
    }

    /// `send` with binary-safe arguments.
    #[track_caller]
    pub fn send_bin(&mut self, args: &[&[u8]]) {
        send_raw(&mut self.stream, &encode_command(args));
    }

    /// The next reply's bytes (waits up to 10 s).
    #[track_caller]
    pub fn read_bytes(&mut self) -> Vec<u8> {
        read_reply(&mut self.stream)
    }

    /// The next reply, as raw RESP text.
    #[track_caller]
    pub fn read(&mut self) -> String {
        String::from_utf8_lossy(&self.read_bytes()).into_owned()
    }

    /// The next reply, decoded.
    #[track_caller]
    pub fn read_value(&mut self) -> Reply {
        Reply::parse(&self.read_bytes()).0
    }

    /// The next reply flattened as Tcl shows it (see `Reply::flat`).
    #[track_caller]
    pub fn read_list(&mut self) -> Vec<String> {
        self.read_value().flat()
    }

    /// Sends one command and returns its raw reply as text.
    #[track_caller]
    pub fn raw(&mut self, args: &[&str]) -> String {
        self.send(args);
        self.read()
    }

    /// Sends one command with binary-safe arguments and returns the raw
    /// reply.
    #[track_caller]
    pub fn raw_bin(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.send_bin(args);
        self.read_bytes()
    }

    /// Sends one command and returns its reply decoded.
    #[track_caller]
    pub fn r(&mut self, args: &[&str]) -> Reply {
        self.send(args);
        self.read_value()
    }

    /// `Reply::s` of the reply.
    #[track_caller]
    pub fn s(&mut self, args: &[&str]) -> String {
        self.r(args).s()
    }

    /// `Reply::int` of the reply.
    #[track_caller]
    pub fn int(&mut self, args: &[&str]) -> i64 {
        self.r(args).int()
    }

    /// `Reply::bulk` of the reply.
    #[track_caller]
    pub fn bulk(&mut self, args: &[&str]) -> String {
        self.r(args).bulk()
    }

    /// `Reply::bulks` of the reply.
    #[track_caller]
    pub fn bulks(&mut self, args: &[&str]) -> Vec<String> {
        self.r(args).bulks()
    }

    /// `bulks`, sorted (Tcl's lsort).
    #[track_caller]
    pub fn sorted(&mut self, args: &[&str]) -> Vec<String> {
        let mut v = self.bulks(args);
        v.sort();
        v
    }

    /// INFO's `rdb_changes_since_last_save` (the server's dirty counter),
    /// asked on this connection.
    #[track_caller]
    pub fn dirty(&mut self) -> i64 {
        let info = self.bulk(&["INFO", "persistence"]);
        info_field(&info, "rdb_changes_since_last_save")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| {
                panic!("no rdb_changes_since_last_save in {info}")
            })
    }

    /// Asserts that no reply arrives within `ms` milliseconds (for a
    /// client that must stay blocked).
    #[track_caller]
    pub fn assert_no_reply(&mut self, ms: u64) {
        self.stream.set_read_timeout(Some(Duration::from_millis(ms))).unwrap();
        let mut byte = [0u8; 1];
        match self.stream.peek(&mut byte) {
            Ok(0) => panic!("connection closed"),
            Ok(_) => {
                let mut buf = [0u8; 4096];
                let n = self.stream.read(&mut buf).unwrap_or(0);
                panic!(
                    "unexpected reply {:?}",
                    String::from_utf8_lossy(&buf[..n])
                );
            }
            Err(e)
                if e.kind() == ErrorKind::WouldBlock
                    || e.kind() == ErrorKind::TimedOut => {}
            Err(e) => panic!("read: {e}"),
        }
    }
}

/// The keyevent notifications (`event key` strings) that `cmds`, run on
/// a new connection in DB 0, cause, read through a PSUBSCRIBE to
/// `__keyevent@0__:*`. The server must run with `--notify-keyspace-events
/// KEA`.
#[track_caller]
pub fn keyevents(server: &Server, cmds: &[&[&str]]) -> Vec<String> {
    let mut sub = Conn::new(server);
    assert!(sub.raw(&["psubscribe", "__keyevent@0__:*"]).starts_with("*3\r\n"));
    let mut r = Conn::new(server);
    for args in cmds {
        r.raw(args);
    }
    r.raw(&["publish", "__keyevent@0__:end", "x"]);
    let mut events = Vec::new();
    loop {
        let parts = sub.read_value().bulks();
        let event = parts[2].trim_start_matches("__keyevent@0__:").to_string();
        if event == "end" {
            return events;
        }
        events.push(format!("{event} {}", parts[3]));
    }
}

/// Checks that `cmds` (see `keyevents`) cause exactly the keyevents
/// `want` on our server started with `--notify-keyspace-events KEA` and,
/// if `REDIS_C_SERVER` names a real Redis 5.0.14 binary, on it too.
#[track_caller]
pub fn assert_keyevents(cmds: &[&[&str]], want: &[&str]) {
    let args = ["--notify-keyspace-events", "KEA"];
    let ours = Server::start(&args);
    assert_eq!(keyevents(&ours, cmds), want);
    if let Some(c_server) = std::env::var_os("REDIS_C_SERVER") {
        let theirs = Server::start_binary(Path::new(&c_server), &args);
        assert_eq!(
            keyevents(&theirs, cmds),
            want,
            "Redis 5.0.14 sends the same events"
        );
    }
}

/// Runs `script` on a client of our server (made by `connect`, such as
/// `Conn::new` or `Conn::db9`), checks that the connection still answers
/// PING afterwards, and, if `REDIS_C_SERVER` names a real Redis 5.0.14
/// binary, runs it on that too and checks that every reply is the same
/// byte for byte.
#[track_caller]
pub fn assert_replies_match_redis_5(
    script: &[&[&str]],
    connect: fn(&Server) -> Conn,
) {
    let ours = Server::start(&[]);
    let mut r = connect(&ours);
    let our_replies: Vec<String> =
        script.iter().map(|cmd| r.raw(cmd)).collect();
    assert_eq!(r.raw(&["PING"]), "+PONG\r\n");

    let Some(bin) = std::env::var_os("REDIS_C_SERVER") else {
        eprintln!(
            "REDIS_C_SERVER not set: comparing with Redis 5.0.14 skipped"
        );
        return;
    };
    let real = Server::start_binary(Path::new(&bin), &[]);
    let mut r = connect(&real);
    for (cmd, ours) in script.iter().zip(&our_replies) {
        assert_eq!(&r.raw(cmd), ours, "{cmd:?}");
    }
}

// ----------------------------- replication stream -----------------------------

/// Attaches a raw replica to `server` with the old SYNC, skips the RDB
/// payload and waits until the master shows it online; returns the socket
/// positioned at the command stream.
#[track_caller]
pub fn sync_stream(server: &Server) -> TcpStream {
    let mut s = raw(server.port());
    send_raw(&mut s, b"SYNC\r\n");
    // The bulk length, after any bare "\n" keep-alives.
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while !line.ends_with(b"\r\n") {
        s.read_exact(&mut b).expect("read");
        if line.is_empty() && b[0] == b'\n' {
            continue;
        }
        line.push(b[0]);
    }
    let len: usize = String::from_utf8_lossy(&line[1..line.len() - 2])
        .parse()
        .expect("bulk length");
    let mut rdb = vec![0u8; len];
    s.read_exact(&mut rdb).expect("rdb");
    wait_for(Duration::from_secs(10), || {
        server.info("slave0").contains("state=online")
    });
    s
}

/// The next command of a replication stream, PINGs and SELECTs skipped.
#[track_caller]
pub fn next_propagated(s: &mut TcpStream) -> Vec<String> {
    loop {
        let cmd = Reply::parse(&read_reply(s)).0.bulks();
        if !cmd[0].eq_ignore_ascii_case("ping")
            && !cmd[0].eq_ignore_ascii_case("select")
        {
            return cmd;
        }
    }
}

// ----------------------------------- random -----------------------------------

/// A small deterministic xorshift64 generator for the fuzz tests (no
/// dependency, same sequence on every run for a given seed).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Tcl's `randstring 0 8 alpha`, prefixed as the Tcl tests do.
    pub fn alpha(&mut self) -> String {
        let len = self.below(9) as usize;
        let s: String =
            (0..len).map(|_| (b'a' + self.below(26) as u8) as char).collect();
        format!("__avoid_collisions__{s}")
    }

    /// Tcl's `randomValue`: integers of several sizes or strings.
    pub fn value(&mut self) -> String {
        match self.below(4) {
            0 => (self.below(2000) as i64 - 1000).to_string(),
            1 => (self.next() as i64).to_string(),
            2 => format!("{}", self.below(1 << 20) as f64 / 7.0),
            _ => {
                let len = self.below(20) as usize;
                (0..len)
                    .map(|_| (b' ' + self.below(90) as u8) as char)
                    .collect()
            }
        }
    }
}

/// A real Redis 5.0.14 `redis-server` to compare replies with:
/// `REDIS_C_SERVER`, or `$REDIS_SRC/src/redis-server` (a built 5.0.14
/// tree); `None` when neither is set.
pub fn c_server() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("REDIS_C_SERVER") {
        return Some(PathBuf::from(bin));
    }
    let src = std::env::var_os("REDIS_SRC")?;
    let bin = Path::new(&src).join("src/redis-server");
    assert!(
        bin.exists(),
        "REDIS_SRC is set but {} is not built",
        bin.display()
    );
    Some(bin)
}
