//! Replication under load, cut links and kills (issue 9, "Reliability"):
//! a replica serving 50 busy clients while it full-syncs a million keys,
//! DEBUG RELOAD with clients firing, the replica/master link cut through a
//! fault proxy (`util::proxy`) at every step of the handshake and the
//! transfer, and either side killed with SIGKILL mid-transfer.
//!
//! Every case ends with the replica synced and its DEBUG DIGEST equal to
//! the master's, both processes alive with no "panicked" in their logs, and
//! the file descriptors back to where they were before the fault. There is
//! no Tcl twin: Redis 5.0.14's suite has no fault proxy.

mod util;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, sleep, JoinHandle};
use std::time::{Duration, Instant};

use util::proxy::{At, Dir, Proxy, Step};
use util::Server;

/// Upper bound on each wait for a sync or a recovery; the cases end long
/// before it unless something is broken.
const SYNC: Duration = Duration::from_secs(120);

const LOADING: &str = "-LOADING Redis is loading the dataset in memory\r\n";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Disk,
    Diskless,
}

/// The master's options for a sync mode; the replicas ping each second so
/// that the stream carries commands.
fn master_args(mode: Mode) -> Vec<&'static str> {
    let mut a = vec!["--repl-ping-replica-period", "1"];
    match mode {
        Mode::Disk => a.extend(["--repl-diskless-sync", "no"]),
        Mode::Diskless => a.extend([
            "--repl-diskless-sync",
            "yes",
            "--repl-diskless-sync-delay",
            "0",
        ]),
    }
    a
}

/// Polls `cond` every 20 ms until it holds; panics naming `what` after
/// `timeout`.
#[track_caller]
fn wait_until(timeout: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !cond() {
        if Instant::now() > deadline {
            panic!("still not {what} after {timeout:?}");
        }
        sleep(Duration::from_millis(20));
    }
}

/// DEBUG DIGEST, or `None` while the server answers with an error (such as
/// -LOADING).
fn digest(s: &Server) -> Option<String> {
    s.try_cmd(&["DEBUG", "DIGEST"]).ok().and_then(|v| util::value_to_string(&v))
}

/// Waits until `replica` says its link is up and has the master's digest.
/// Nothing may write to the master meanwhile.
#[track_caller]
fn wait_synced(master: &Server, replica: &Server) {
    wait_until(SYNC, "link up", || replica.info("master_link_status") == "up");
    let want = digest(master).expect("master digest");
    wait_until(SYNC, "the master's digest on the replica", || {
        digest(replica).as_deref() == Some(&want)
    });
}

/// The process is alive and has not panicked or hit an assertion.
#[track_caller]
fn assert_sane(s: &mut Server) {
    let alive = s.is_alive();
    let log = s.log();
    assert!(alive, "pid {} exited; log:\n{log}", s.pid());
    for bad in ["panicked", "ASSERTION FAILED", "Guru Meditation"] {
        assert!(
            !log.contains(bad),
            "{bad:?} in the log of pid {}:\n{log}",
            s.pid()
        );
    }
}

/// Waits until `s` has no more open fds than `baseline` (a leaked fd never
/// goes away); panics listing both sets.
#[track_caller]
fn wait_fds(s: &Server, baseline: &[(u32, String)]) {
    let deadline = Instant::now() + SYNC;
    loop {
        let now = s.open_fds();
        if now.len() <= baseline.len() {
            return;
        }
        if Instant::now() > deadline {
            panic!(
                "pid {}: fds did not settle\nbefore: {baseline:?}\nnow: {now:?}",
                s.pid()
            );
        }
        sleep(Duration::from_millis(20));
    }
}

/// temp-*.rdb files in `dir`.
fn temp_files(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("temp-") && n.ends_with(".rdb"))
        .collect();
    v.sort();
    v
}

// --------------------------------- clients ----------------------------------

/// `n` clients, each on its own connection and thread, sending GET and
/// PING in a loop until stopped; each reply must be a whole, sane reply or
/// -LOADING, and no connection may drop.
struct Hammer {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<Result<Counts, String>>>,
}

#[derive(Default, Debug, Clone, Copy)]
struct Counts {
    replies: u64,
    loading: u64,
}

impl Hammer {
    fn start(port: u16, n: usize) -> Hammer {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..n)
            .map(|i| {
                let stop = stop.clone();
                let s = util::raw(port);
                thread::spawn(move || client_loop(s, i, &stop))
            })
            .collect();
        Hammer { stop, threads }
    }

    /// Stops the clients and returns what they got; panics with the first
    /// client's error.
    #[track_caller]
    fn finish(self) -> Counts {
        self.stop.store(true, Ordering::SeqCst);
        let mut total = Counts::default();
        for t in self.threads {
            match t.join().expect("client thread") {
                Ok(c) => {
                    total.replies += c.replies;
                    total.loading += c.loading;
                }
                Err(e) => panic!("a client failed: {e}"),
            }
        }
        total
    }
}

fn client_loop(
    mut s: TcpStream,
    i: usize,
    stop: &AtomicBool,
) -> Result<Counts, String> {
    // A load of a million keys answers -LOADING only between chunks: allow
    // a long pause, but never a silent hang.
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut counts = Counts::default();
    let mut buf = Vec::new();
    let mut n = 0u64;
    while !stop.load(Ordering::SeqCst) {
        let key = format!("key:{}", (i as u64 * 7919 + n) % 1_000_000);
        let ping = n.is_multiple_of(2);
        let cmd = if ping {
            b"*1\r\n$4\r\nPING\r\n".to_vec()
        } else {
            util::encode_command(&[b"GET", key.as_bytes()])
        };
        s.write_all(&cmd).map_err(|e| format!("client {i}: write: {e}"))?;
        let reply = read_one(&mut s, &mut buf)
            .map_err(|e| format!("client {i} after {n} replies: {e}"))?;
        let text = String::from_utf8_lossy(&reply);
        if text == LOADING {
            counts.loading += 1;
        } else if ping {
            if text != "+PONG\r\n" {
                return Err(format!("client {i}: PING got {text:?}"));
            }
        } else if text != "$-1\r\n"
            && text
                != format!("${}\r\nvalue:{}\r\n", 6 + key.len() - 4, &key[4..])
        {
            return Err(format!("client {i}: GET {key} got {text:?}"));
        }
        counts.replies += 1;
        n += 1;
        // Busy, not flat out: 50 clients on a shared machine.
        sleep(Duration::from_millis(1));
    }
    Ok(counts)
}

/// One whole reply from `s`, keeping what follows it in `buf`.
fn read_one(s: &mut TcpStream, buf: &mut Vec<u8>) -> Result<Vec<u8>, String> {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(n) = util::resp_reply_len(buf) {
            if !matches!(buf[0], b'+' | b'-' | b':' | b'$' | b'*') {
                return Err(format!(
                    "garbage {:?}",
                    String::from_utf8_lossy(buf)
                ));
            }
            return Ok(buf.drain(..n).collect());
        }
        match s.read(&mut chunk) {
            Ok(0) => return Err("connection closed".into()),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("read: {e}")),
        }
    }
}

// ---------------------------- reads during sync -----------------------------

/// 50 clients read from a replica while it full-syncs a million keys,
/// three times over (REPLICAOF NO ONE, then REPLICAOF again): every reply
/// is a value, a nil, PONG or -LOADING, and no connection drops.
fn reads_on_replica_during_full_sync(mode: Mode) {
    let mut master = Server::start(&master_args(mode));
    master.cmd(&["DEBUG", "POPULATE", "1000000"]);
    let mut replica = Server::start(&[]);
    let (m0, r0) = (master.open_fds(), replica.open_fds());
    let hammer = Hammer::start(replica.port(), 50);
    for round in 0..3 {
        replica.cmd(&["REPLICAOF", "127.0.0.1", &master.port_str()]);
        wait_synced(&master, &replica);
        assert_eq!(master.info_i64("sync_full"), round + 1);
        replica.cmd(&["REPLICAOF", "NO", "ONE"]);
    }
    let counts = hammer.finish();
    assert!(counts.replies > 0);
    eprintln!("{mode:?}: {counts:?}");
    assert_sane(&mut master);
    assert_sane(&mut replica);
    wait_fds(&master, &m0);
    wait_fds(&replica, &r0);
}

#[test]
fn reads_on_a_replica_during_disk_full_sync() {
    reads_on_replica_during_full_sync(Mode::Disk);
}

#[test]
fn reads_on_a_replica_during_diskless_full_sync() {
    reads_on_replica_during_full_sync(Mode::Diskless);
}

// ---------------------------------- reload ----------------------------------

/// DEBUG RELOAD while 50 clients have commands in flight: they all become
/// ready during a DEBUG SLEEP, so the reload's nested event loop runs in
/// the middle of the outer loop's list of fired events.
#[test]
fn debug_reload_with_fifty_clients_firing() {
    let mut server = Server::start(&[]);
    server.cmd(&["DEBUG", "POPULATE", "1000000"]);
    server.cmd(&["SAVE"]);
    let want = digest(&server).expect("digest");
    let fds = server.open_fds();
    for _ in 0..2 {
        let mut sleeper = util::Conn::new(&server);
        let mut reloader = util::Conn::new(&server);
        let hammer = Hammer::start(server.port(), 50);
        sleeper.send(&["DEBUG", "SLEEP", "1.5"]);
        // Let the sleep start, then queue the reload behind it; the
        // clients' next commands queue up behind it too.
        sleep(Duration::from_millis(300));
        reloader.send(&["DEBUG", "RELOAD"]);
        assert_eq!(sleeper.read(), "+OK\r\n");
        reloader.stream.set_read_timeout(Some(SYNC)).unwrap();
        assert_eq!(reloader.read(), "+OK\r\n");
        hammer.finish();
    }
    assert_sane(&mut server);
    assert_eq!(digest(&server).as_deref(), Some(want.as_str()));
    wait_fds(&server, &fds);
}

/// Connects, sends a command and closes, over and over until `stop`:
/// every other close is a reset (SO_LINGER 0), the rest a FIN, some with
/// the command half sent.
fn churn(port: u16, stop: Arc<AtomicBool>) -> JoinHandle<u64> {
    thread::spawn(move || {
        let mut n = 0u64;
        while !stop.load(Ordering::SeqCst) {
            let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
                continue;
            };
            let cmd: &[u8] = match n % 3 {
                0 => b"*1\r\n$4\r\nPING\r\n",
                1 => b"*2\r\n$3\r\nGET\r\n$5\r\nke",
                _ => b"PING\r\nPING\r\n",
            };
            let _ = s.write_all(cmd);
            if n.is_multiple_of(2) {
                let linger = libc::linger { l_onoff: 1, l_linger: 0 };
                // SAFETY: setsockopt(2) on a socket this thread owns, with
                // a pointer to a linger struct on this stack frame and its
                // exact size.
                unsafe {
                    libc::setsockopt(
                        std::os::unix::io::AsRawFd::as_raw_fd(&s),
                        libc::SOL_SOCKET,
                        libc::SO_LINGER,
                        &linger as *const libc::linger as *const libc::c_void,
                        std::mem::size_of::<libc::linger>() as libc::socklen_t,
                    );
                }
            }
            drop(s);
            n += 1;
            sleep(Duration::from_millis(1));
        }
        n
    })
}

/// DEBUG RELOAD sent by a client that closes its connection at once,
/// while other clients connect and vanish (FIN or reset) during the load:
/// the nested event loop sees the reloading client's own end of file and
/// the others come and go; the server ends with the same data and no fd
/// left behind.
#[test]
fn debug_reload_while_clients_vanish() {
    let mut server = Server::start(&[]);
    server.cmd(&["DEBUG", "POPULATE", "1000000"]);
    server.cmd(&["SAVE"]);
    let want = digest(&server).expect("digest");
    let fds = server.open_fds();
    let stop = Arc::new(AtomicBool::new(false));
    let churners: Vec<_> =
        (0..10).map(|_| churn(server.port(), stop.clone())).collect();
    let hammer = Hammer::start(server.port(), 20);
    for _ in 0..3 {
        let mut gone = util::Conn::new(&server);
        gone.send(&["DEBUG", "RELOAD"]);
        drop(gone);
        // A reload on a connection that stays: -LOADING while the first
        // one runs, then OK.
        let mut r = util::Conn::new(&server);
        r.stream.set_read_timeout(Some(SYNC)).unwrap();
        loop {
            match r.raw(&["DEBUG", "RELOAD"]).as_str() {
                "+OK\r\n" => break,
                LOADING => sleep(Duration::from_millis(20)),
                other => panic!("DEBUG RELOAD: {other:?}"),
            }
        }
    }
    stop.store(true, Ordering::SeqCst);
    let conns: u64 = churners.into_iter().map(|h| h.join().unwrap()).sum();
    assert!(conns > 0);
    hammer.finish();
    assert_sane(&mut server);
    assert_eq!(digest(&server).as_deref(), Some(want.as_str()));
    wait_fds(&server, &fds);
}

// ------------------------------- cut links ----------------------------------

/// Where `cut_at_every_step` cuts the link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    /// At a named protocol step.
    Step(At),
    /// After so many bytes one way on the link.
    Bytes(Dir, u64),
}

/// Cuts the replica's link through the proxy at each step of the handshake
/// and the transfer in turn; each time the replica must retry and end with
/// the master's data. The master requires a password, so AUTH is a step.
fn cut_at_every_step(mode: Mode) {
    let mut args = master_args(mode);
    args.extend(["--requirepass", "secret"]);
    let mut master = Server::start(&args);
    let auth = |s: &Server, cmd: &[&str]| {
        let mut c = s.client();
        redis::cmd("AUTH").arg("secret").query::<()>(&mut c).expect("auth");
        redis::cmd(cmd[0]).arg(&cmd[1..]).query::<redis::Value>(&mut c)
    };
    auth(&master, &["DEBUG", "POPULATE", "100000"]).expect("populate");
    let want = util::value_to_string(
        &auth(&master, &["DEBUG", "DIGEST"]).expect("digest"),
    )
    .expect("digest text");
    let proxy = Proxy::start(master.addr());
    let mut replica = Server::start(&["--masterauth", "secret"]);
    let (m0, r0) = (master.open_fds(), replica.open_fds());
    let faults = [
        Fault::Step(At::After(Step::Ping)),
        Fault::Step(At::After(Step::Auth)),
        Fault::Step(At::After(Step::ReplconfPort)),
        Fault::Step(At::After(Step::ReplconfCapa)),
        Fault::Step(At::Before(Step::Psync)),
        Fault::Step(At::After(Step::Psync)),
        Fault::Step(At::After(Step::FullResync)),
        Fault::Step(At::After(Step::PayloadStart)),
        Fault::Step(At::After(Step::MidPayload)),
        // The payload is through: the replica may be loading it.
        Fault::Step(At::Before(Step::Streaming)),
        // Inside a command, a reply line and the payload.
        Fault::Bytes(Dir::Up, 5),
        Fault::Bytes(Dir::Down, 3),
        Fault::Bytes(Dir::Down, 100_000),
        Fault::Step(At::After(Step::Streaming)),
    ];
    let mut written = 0;
    for at in faults {
        match at {
            Fault::Step(a) => proxy.cut_at(a),
            Fault::Bytes(dir, n) => proxy.cut_after_bytes(dir, n),
        }
        if at != Fault::Step(At::After(Step::Streaming)) {
            // A new full sync each round: the replica's own replid is not
            // one the master knows.
            replica.cmd(&["REPLICAOF", "NO", "ONE"]);
            replica.cmd(&["REPLICAOF", "127.0.0.1", &proxy.port_str()]);
        }
        wait_until(SYNC, &format!("cut at {at:?}"), || !proxy.armed());
        // Keep the stream busy so the cut after the payload has writes to
        // lose and the replica something to catch up on.
        written += 1;
        auth(&master, &["SET", &format!("after:{written}"), "x"]).expect("set");
        wait_until(SYNC, "link up", || {
            replica.info("master_link_status") == "up"
        });
        let want = util::value_to_string(
            &auth(&master, &["DEBUG", "DIGEST"]).expect("digest"),
        )
        .expect("digest text");
        wait_until(SYNC, &format!("synced after the cut at {at:?}"), || {
            digest(&replica).as_deref() == Some(&want)
        });
        assert_sane(&mut master);
        assert_sane(&mut replica);
    }
    assert_ne!(want, "");
    assert_eq!(proxy.fired().len(), faults.len(), "{:?}", proxy.fired());
    replica.cmd(&["REPLICAOF", "NO", "ONE"]);
    assert!(
        temp_files(replica.dir()).is_empty(),
        "{:?}",
        temp_files(replica.dir())
    );
    wait_fds(&master, &m0);
    wait_fds(&replica, &r0);
}

#[test]
fn link_cut_at_every_step_disk() {
    cut_at_every_step(Mode::Disk);
}

#[test]
fn link_cut_at_every_step_diskless() {
    cut_at_every_step(Mode::Diskless);
}

// ------------------------------ stalled links -------------------------------

/// The proxy stops forwarding the master's bytes, in the handshake (before
/// +FULLRESYNC) and in the middle of the payload: the replica gives up
/// after its repl-timeout, drops its temp file, and syncs once the link
/// moves again. Then the same stall ended by REPLICAOF NO ONE.
fn stalled_link_times_out(mode: Mode) {
    let mut master = Server::start(&master_args(mode));
    master.cmd(&["DEBUG", "POPULATE", "300000"]);
    let m0 = master.open_fds();
    let proxy = Proxy::start(master.addr());
    let mut replica = Server::start(&["--repl-timeout", "2"]);
    let r0 = replica.open_fds();
    let steps = [
        (At::Before(Step::FullResync), "Timeout connecting to the MASTER..."),
        (
            At::After(Step::MidPayload),
            "Timeout receiving bulk data from MASTER",
        ),
    ];
    for (at, line) in steps {
        let seen = replica.log().matches(line).count();
        proxy.stall_at(at);
        replica.cmd(&["REPLICAOF", "NO", "ONE"]);
        replica.cmd(&["REPLICAOF", "127.0.0.1", &proxy.port_str()]);
        wait_until(SYNC, &format!("stalled at {at:?}"), || {
            proxy.is_stalled(Dir::Down)
        });
        wait_until(SYNC, &format!("{line:?} logged"), || {
            replica.log().matches(line).count() > seen
        });
        proxy.resume();
        wait_synced(&master, &replica);
        assert_sane(&mut master);
        assert_sane(&mut replica);
    }
    // The same stall ended by the replica's own REPLICAOF NO ONE: it
    // drops the transfer and its temp file at once.
    proxy.stall_at(At::After(Step::MidPayload));
    replica.cmd(&["REPLICAOF", "NO", "ONE"]);
    replica.cmd(&["REPLICAOF", "127.0.0.1", &proxy.port_str()]);
    wait_until(SYNC, "stalled mid-payload", || proxy.is_stalled(Dir::Down));
    replica.cmd(&["REPLICAOF", "NO", "ONE"]);
    assert!(
        temp_files(replica.dir()).is_empty(),
        "{:?}",
        temp_files(replica.dir())
    );
    proxy.resume();
    wait_fds(&master, &m0);
    wait_fds(&replica, &r0);
    replica.cmd(&["REPLICAOF", "127.0.0.1", &proxy.port_str()]);
    wait_synced(&master, &replica);
    assert_sane(&mut master);
    assert_sane(&mut replica);
    replica.cmd(&["REPLICAOF", "NO", "ONE"]);
    assert!(
        temp_files(replica.dir()).is_empty(),
        "{:?}",
        temp_files(replica.dir())
    );
    wait_fds(&master, &m0);
    wait_fds(&replica, &r0);
}

#[test]
fn stalled_link_times_out_disk() {
    stalled_link_times_out(Mode::Disk);
}

#[test]
fn stalled_link_times_out_diskless() {
    stalled_link_times_out(Mode::Diskless);
}

/// A replica that stops reading in the streaming phase: the master's
/// output buffer limit for replicas drops it, and once the link moves
/// again it resyncs.
#[test]
fn stalled_replica_hits_the_output_buffer_limit() {
    let mut master = Server::start(&master_args(Mode::Disk));
    master.cmd(&[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "slave 262144 0 0",
    ]);
    master.cmd(&["DEBUG", "POPULATE", "10000"]);
    let m0 = master.open_fds();
    let proxy = Proxy::start(master.addr());
    proxy.stall_at(At::After(Step::Streaming));
    let mut replica =
        Server::start(&["--replicaof", "127.0.0.1", &proxy.port_str()]);
    wait_until(SYNC, "stalled in the stream", || proxy.is_stalled(Dir::Down));
    let value = "v".repeat(100_000);
    let line =
        "scheduled to be closed ASAP for overcoming of output buffer limits";
    let mut c = master.client();
    let mut i = 0;
    while !master.log().contains(line) {
        // Enough to fill the socket buffers, then the output buffer.
        assert!(i < 2000, "no output buffer limit hit after {i} writes");
        redis::cmd("SET")
            .arg(format!("big:{i}"))
            .arg(&value)
            .query::<()>(&mut c)
            .expect("set");
        i += 1;
    }
    proxy.resume();
    wait_synced(&master, &replica);
    assert_sane(&mut master);
    assert_sane(&mut replica);
    replica.cmd(&["REPLICAOF", "NO", "ONE"]);
    drop(c);
    wait_fds(&master, &m0);
}

// ---------------------------------- kills -----------------------------------

/// SIGKILL to the replica in the middle of the payload (the proxy stalls
/// the transfer there), then a restart in the same dir: it syncs again.
fn replica_killed_mid_transfer(mode: Mode) {
    let mut master = Server::start(&master_args(mode));
    master.cmd(&["DEBUG", "POPULATE", "300000"]);
    let m0 = master.open_fds();
    let proxy = Proxy::start(master.addr());
    proxy.stall_at(At::After(Step::MidPayload));
    let mut replica =
        Server::start(&["--replicaof", "127.0.0.1", &proxy.port_str()]);
    wait_until(SYNC, "stalled mid-payload", || proxy.is_stalled(Dir::Down));
    let old_pid = replica.pid();
    replica.kill9();
    proxy.resume();
    replica.restart();
    wait_synced(&master, &replica);
    assert_sane(&mut master);
    assert_sane(&mut replica);
    // The killed process's temp file (temp-<time>.<pid>.rdb) stays, as
    // with Redis 5.0.14; the restarted one leaves none of its own.
    let mine = format!(".{}.rdb", replica.pid());
    let temps = temp_files(replica.dir());
    assert!(!temps.iter().any(|t| t.ends_with(&mine)), "{temps:?}");
    assert!(
        temps.iter().all(|t| t.ends_with(&format!(".{old_pid}.rdb"))),
        "{temps:?}"
    );
    replica.cmd(&["REPLICAOF", "NO", "ONE"]);
    wait_fds(&master, &m0);
}

#[test]
fn replica_killed_mid_transfer_disk() {
    replica_killed_mid_transfer(Mode::Disk);
}

#[test]
fn replica_killed_mid_transfer_diskless() {
    replica_killed_mid_transfer(Mode::Diskless);
}

/// SIGKILL to the master in the middle of the payload, then a restart from
/// its RDB on the same port: the replica syncs with the restarted master.
fn master_killed_mid_transfer(mode: Mode) {
    let mut master = Server::start(&master_args(mode));
    master.cmd(&["DEBUG", "POPULATE", "300000"]);
    master.cmd(&["SAVE"]);
    let want = digest(&master).expect("digest");
    let m0 = master.open_fds();
    let proxy = Proxy::start(master.addr());
    proxy.stall_at(At::After(Step::MidPayload));
    let mut replica =
        Server::start(&["--replicaof", "127.0.0.1", &proxy.port_str()]);
    let r0 = replica.open_fds();
    wait_until(SYNC, "stalled mid-payload", || proxy.is_stalled(Dir::Down));
    master.kill9();
    // A diskless child outlives its parent: cut its socket so it ends.
    proxy.cut_all();
    proxy.resume();
    master.restart();
    wait_until(SYNC, "the RDB loaded", || digest(&master).is_some());
    assert_eq!(digest(&master).as_deref(), Some(want.as_str()));
    wait_synced(&master, &replica);
    assert_sane(&mut master);
    assert_sane(&mut replica);
    assert!(
        temp_files(replica.dir()).is_empty(),
        "{:?}",
        temp_files(replica.dir())
    );
    replica.cmd(&["REPLICAOF", "NO", "ONE"]);
    wait_fds(&master, &m0);
    wait_fds(&replica, &r0);
}

#[test]
fn master_killed_mid_transfer_disk() {
    master_killed_mid_transfer(Mode::Disk);
}

#[test]
fn master_killed_mid_transfer_diskless() {
    master_killed_mid_transfer(Mode::Diskless);
}

// ------------------------ diskless: the parent's side ------------------------

/// Replicas the master drops while its diskless child streams to them are
/// shut down (C: networking.c unlinkClient()), so the child fails fast
/// instead of streaming the whole RDB to nobody. The replica is throttled
/// to a stop by the proxy and the send timeout is an hour, so only the
/// shutdown can end the child.
#[test]
fn diskless_child_ends_when_its_replicas_are_killed() {
    let mut args = master_args(Mode::Diskless);
    args.extend(["--repl-timeout", "3600"]);
    let mut master = Server::start(&args);
    master.cmd(&["DEBUG", "POPULATE", "1000000"]);
    let m0 = master.open_fds();
    let proxy = Proxy::start(master.addr());
    let mut replica = Server::start(&["--repl-timeout", "3600"]);
    proxy.stall_at(At::After(Step::PayloadStart));
    replica.cmd(&["REPLICAOF", "127.0.0.1", &proxy.port_str()]);
    wait_until(SYNC, "stalled", || proxy.is_stalled(Dir::Down));
    assert_eq!(master.info("rdb_bgsave_in_progress"), "1");
    master.cmd(&["CLIENT", "KILL", "TYPE", "slave"]);
    wait_until(SYNC, "the diskless child gone", || {
        master.info("rdb_bgsave_in_progress") == "0"
    });
    assert!(
        master.log().contains("Background transfer error"),
        "{}",
        master.log()
    );
    // The replica's link is dead; once the proxy moves again it notices,
    // retries and syncs.
    proxy.resume();
    wait_synced(&master, &replica);
    assert_sane(&mut master);
    assert_sane(&mut replica);
    replica.cmd(&["REPLICAOF", "NO", "ONE"]);
    wait_fds(&master, &m0);
}

/// One diskless child streams to two replicas; the link of one is cut
/// while the proxy holds it still. The child marks that socket broken and
/// goes on with the other, which gets the whole RDB; the cut one syncs on
/// its retry.
#[test]
fn diskless_transfer_goes_on_without_a_dropped_replica() {
    let mut args = master_args(Mode::Diskless);
    // Both replicas in the same transfer.
    args.extend(["--repl-diskless-sync-delay", "2"]);
    let mut master = Server::start(&args);
    master.cmd(&["DEBUG", "POPULATE", "300000"]);
    let m0 = master.open_fds();
    let proxy = Proxy::start(master.addr());
    proxy.stall_at(At::After(Step::MidPayload));
    let port = master.port_str();
    let mut direct = Server::start(&["--replicaof", "127.0.0.1", &port]);
    let mut via =
        Server::start(&["--replicaof", "127.0.0.1", &proxy.port_str()]);
    wait_until(SYNC, "stalled", || proxy.is_stalled(Dir::Down));
    assert_eq!(master.info_i64("sync_full"), 2);
    proxy.cut_all();
    proxy.resume();
    wait_synced(&master, &direct);
    wait_synced(&master, &via);
    assert!(master.log().contains("correctly received the streamed RDB"));
    for s in [&mut master, &mut direct, &mut via] {
        assert_sane(s);
    }
    direct.cmd(&["REPLICAOF", "NO", "ONE"]);
    via.cmd(&["REPLICAOF", "NO", "ONE"]);
    wait_fds(&master, &m0);
}

/// During a diskless transfer the replica's socket is blocking in the
/// parent too (the child shares it). Bytes from that replica must not make
/// the parent block in recv: a read that fills the whole 16 KiB buffer
/// leaves the fd "still ready" in our level-triggered emulation, and the
/// next read must not wait for bytes that may never come.
#[test]
fn diskless_transfer_keeps_the_master_answering() {
    let mut master = Server::start(&master_args(Mode::Diskless));
    master.cmd(&["DEBUG", "POPULATE", "1000000"]);
    let m0 = master.open_fds();
    // A replica that never reads: the child blocks writing to it.
    let mut fake = util::raw(master.port());
    util::send_raw(&mut fake, b"REPLCONF capa eof\r\n");
    assert_eq!(util::read_reply(&mut fake), b"+OK\r\n");
    util::send_raw(&mut fake, b"PSYNC ? -1\r\n");
    wait_until(SYNC, "transfer started", || {
        master.info("rdb_bgsave_in_progress") == "1"
    });
    let mut other = util::Conn::new(&master);
    for _ in 0..3 {
        // Exactly one full read buffer of newlines (a replica's keep-alive).
        util::send_raw(&mut fake, &[b'\n'; 16 * 1024]);
        assert_eq!(other.raw(&["PING"]), "+PONG\r\n");
    }
    drop(fake);
    wait_until(SYNC, "the child gone", || {
        master.info("rdb_bgsave_in_progress") == "0"
    });
    assert_eq!(other.raw(&["PING"]), "+PONG\r\n");
    drop(other);
    assert_sane(&mut master);
    wait_fds(&master, &m0);
}

#[test]
fn proxy_parser_names_the_steps() {
    util::proxy::selftest::run();
}
