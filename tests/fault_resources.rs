//! Resource faults (issue 9, "Reliability"): running out of client slots
//! or file descriptors, saving children killed by SIGKILL, replicas that
//! stop reading, and a `bind` address that cannot reach the master. In
//! every case the server must not panic, must go on serving, and once
//! the fault is over must hold exactly the file descriptors it held
//! before (`/proc/<pid>/fd`, counted before and after).
//!
//! The texts checked in the logs and replies are those of Redis 5.0.14
//! (the control binary that `REDIS_C_SERVER` may name).

mod util;

use std::fs;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use util::{
    find_binary, raw, read_reply, read_until_close_or_timeout, send_raw,
    wait_for, Conn, Server,
};

const SYNC_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a fault may take to settle (clients freed, children reaped):
/// only a bound for a hang, never a measure.
const SETTLE: Duration = Duration::from_secs(30);

// --------------------------------- helpers ---------------------------------

/// The server did not panic and is still running.
#[track_caller]
fn assert_healthy(server: &mut Server) {
    let log = server.log();
    assert!(!log.contains("panicked"), "the server panicked:\n{log}");
    assert!(server.is_alive(), "the server exited:\n{log}");
}

/// The server's fds once no client but `watch` is connected (a command
/// sent on a fresh connection is freed a moment after its reply): the
/// baseline for `assert_fds_settle`, which `watch` stays part of.
#[track_caller]
fn quiet_fds(server: &Server, watch: &mut Conn) -> Vec<(u32, String)> {
    wait_for(SETTLE, || connected_clients(watch) == 1);
    server.open_fds()
}

fn connected_clients(watch: &mut Conn) -> i64 {
    let info = watch.bulk(&["INFO", "clients"]);
    util::info_field(&info, "connected_clients").unwrap().parse().unwrap()
}

/// Waits until `watch` is the only client again and the server holds as
/// many fds as in `before` (freeing a client or reaping a child can take
/// a cron tick), and shows what differs if that never happens.
#[track_caller]
fn assert_fds_settle(
    server: &Server,
    watch: &mut Conn,
    before: &[(u32, String)],
) {
    let deadline = Instant::now() + SETTLE;
    loop {
        let now = server.open_fds();
        if now.len() == before.len() && connected_clients(watch) == 1 {
            return;
        }
        if Instant::now() >= deadline {
            let gone: Vec<_> =
                before.iter().filter(|f| !now.contains(f)).collect();
            let new: Vec<_> =
                now.iter().filter(|f| !before.contains(f)).collect();
            panic!(
                "fd count {} -> {}: new {new:?}, gone {gone:?}",
                before.len(),
                now.len()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Raises this test process's soft RLIMIT_NOFILE to at least `want`
/// (never past the hard limit; panics if that is too low).
fn raise_own_nofile(want: u64) {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit on this process with our own struct.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
        if lim.rlim_cur >= want {
            return;
        }
        assert!(
            lim.rlim_max >= want,
            "this test needs `ulimit -n` of at least {want} (hard limit is {})",
            lim.rlim_max
        );
        lim.rlim_cur = want;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lim), 0);
    }
}

/// Sets the soft RLIMIT_NOFILE of a running process (the hard one stays,
/// so it can be set back without privileges); returns the old soft one.
fn set_nofile_of(pid: u32, soft: u64) -> u64 {
    let mut old = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: prlimit(2) reading the limits of our own child process.
    let rc = unsafe {
        libc::prlimit(
            pid as libc::pid_t,
            libc::RLIMIT_NOFILE,
            std::ptr::null(),
            &mut old,
        )
    };
    assert_eq!(rc, 0, "prlimit: {}", std::io::Error::last_os_error());
    let new = libc::rlimit { rlim_cur: soft, rlim_max: old.rlim_max };
    // SAFETY: prlimit(2) on our own child process, structs we own.
    let rc = unsafe {
        libc::prlimit(pid as libc::pid_t, libc::RLIMIT_NOFILE, &new, &mut old)
    };
    assert_eq!(rc, 0, "prlimit: {}", std::io::Error::last_os_error());
    old.rlim_cur
}

/// A shell script that runs `binary` with RLIMIT_NOFILE set to `n`
/// (soft and hard), to start a server under a low `ulimit -n`.
fn nofile_limited(dir: &Path, binary: &Path, n: u64) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(format!("nofile-{n}.sh"));
    let mut f = fs::File::create(&path).unwrap();
    writeln!(
        f,
        "#!/bin/sh\nexec prlimit --nofile={n}:{n} {} \"$@\"",
        binary.display()
    )
    .unwrap();
    drop(f);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The log lines of `server` that contain any of `needles`, with the
/// "pid:role date time level" prefix cut off.
fn log_messages(server: &Server, needles: &[&str]) -> Vec<String> {
    server
        .log()
        .lines()
        .filter(|l| needles.iter().any(|n| l.contains(n)))
        .map(|l| {
            // "123:M 04 Dec 2026 17:35:35.123 # text"
            l.splitn(7, ' ').nth(6).unwrap_or(l).to_string()
        })
        .collect()
}

fn count_in_log(server: &Server, needle: &str) -> usize {
    server.log().matches(needle).count()
}

/// The pid in the last log line that contains `prefix` followed by it.
fn pid_after(server: &Server, prefix: &str) -> i32 {
    let log = server.log();
    let line = log
        .lines()
        .rev()
        .find(|l| l.contains(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} in the log:\n{log}"));
    line.rsplit(' ').next().unwrap().trim().parse().unwrap()
}

fn kill(pid: i32, sig: libc::c_int) {
    // SAFETY: kill(2) on a saving child of a server this test started; it
    // cannot be reaped (and its pid reused) before the server's cron sees
    // it, and the tests signal it before they wait for that.
    unsafe {
        libc::kill(pid, sig);
    }
}

/// The `temp-*.rdb` files in `dir`.
fn temp_rdbs(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("temp-") && n.ends_with(".rdb"))
        .collect()
}

fn digest(s: &Server) -> String {
    s.cmd_str(&["DEBUG", "DIGEST"])
}

/// Resident set size of a process, in bytes.
fn rss_of(pid: u32) -> u64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    kb * 1024
}

#[track_caller]
fn wait_for_sync(master: &Server, replica: &Server) {
    wait_for(SYNC_TIMEOUT, || {
        replica.info("master_link_status") == "up"
            && master.info("slave0").contains("state=online")
    });
}

/// Waits until the replica has processed everything the master produced
/// so far.
#[track_caller]
fn wait_for_ofs_sync(master: &Server, replica: &Server) {
    let target: i64 = master.info("master_repl_offset").parse().unwrap();
    wait_for(SYNC_TIMEOUT, || {
        replica.info("slave_repl_offset").parse::<i64>().unwrap_or(-1) >= target
    });
}

/// A raw replica that announces EOF-marked (diskless) transfers, asks for
/// a full sync and then reads nothing: a diskless child writing to it
/// blocks once the socket buffers are full.
#[track_caller]
fn stalled_diskless_replica(master: &Server) -> TcpStream {
    let mut s = raw(master.port());
    send_raw(&mut s, b"REPLCONF capa eof capa psync2\r\n");
    assert_eq!(read_reply(&mut s), b"+OK\r\n");
    send_raw(&mut s, b"PSYNC ? -1\r\n");
    s
}

// -------------------------------- maxclients --------------------------------

/// 10,000 clients (the default maxclients) all get served; the 10,001st
/// gets Redis's exact error and is closed; closing the clients gives back
/// every fd.
#[test]
fn ten_thousand_clients_then_one_over_maxclients() {
    const N: usize = 10_000;
    raise_own_nofile(N as u64 + 1000);
    let mut server = Server::start(&["--maxclients", "10000"]);
    let mut watch = Conn::new(&server);
    let before = quiet_fds(&server, &mut watch);

    // `watch` is the first of the 10,000.
    let mut clients: Vec<TcpStream> = Vec::with_capacity(N - 1);
    for _ in 1..N {
        let s = TcpStream::connect(server.addr()).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        clients.push(s);
    }
    // Every one of them is a served client.
    for s in clients.iter_mut() {
        send_raw(s, b"PING\r\n");
    }
    for s in clients.iter_mut() {
        assert_eq!(read_reply(s), b"+PONG\r\n");
    }
    assert_eq!(connected_clients(&mut watch), N as i64);

    // One more: refused with C's text, then closed.
    let mut extra = raw(server.port());
    let got = read_until_close_or_timeout(&mut extra, Duration::from_secs(10));
    assert!(got.closed, "the 10,001st client was not closed");
    assert_eq!(got.text(), "-ERR max number of clients reached\r\n");
    let info = watch.bulk(&["INFO", "stats"]);
    assert_eq!(util::info_field(&info, "rejected_connections").unwrap(), "1");
    // The 10,000 are still served.
    for s in clients.iter_mut().step_by(97) {
        send_raw(s, b"PING\r\n");
        assert_eq!(read_reply(s), b"+PONG\r\n");
    }

    drop(clients);
    drop(extra);
    assert_fds_settle(&server, &mut watch, &before);
    assert_healthy(&mut server);
}

/// A replica refused by a master that has no client slot left logs C's
/// error reply to its PING, retries, and syncs once a slot is free.
#[test]
fn replica_refused_at_maxclients_retries_and_syncs() {
    let mut master = Server::start(&["--maxclients", "2"]);
    master.cmd(&["SET", "k", "v"]);
    let mut watch = Conn::new(&master);
    // Both slots taken (once the connection of `cmd` is gone).
    wait_for(SETTLE, || connected_clients(&mut watch) == 1);
    let filler = Conn::new(&master);
    let mut replica =
        Server::start(&["--replicaof", "127.0.0.1", &master.port_str()]);
    wait_for(SETTLE, || {
        replica.log().contains(
            "Error reply to PING from master: \
             '-ERR max number of clients reached'",
        )
    });
    assert_eq!(replica.info("master_link_status"), "down");
    // One slot for the replica, one for the checks below.
    drop(filler);
    drop(watch);
    wait_for_sync(&master, &replica);
    assert_eq!(replica.cmd_str(&["GET", "k"]), "v");
    assert_healthy(&mut master);
    assert_healthy(&mut replica);
}

/// adjustOpenFilesLimit(): under a `ulimit -n` too low for maxclients the
/// server raises the limit if it may, else lowers maxclients, and logs
/// it with C's exact lines (compared with Redis 5.0.14 when
/// REDIS_C_SERVER names it).
#[test]
fn low_ulimit_adjusts_maxclients_with_cs_log_lines() {
    let scripts = util::make_temp_dir();
    let wrapper = nofile_limited(&scripts, Path::new(util::OXREDIS_BIN), 1000);
    let mut server = Server::start_binary(&wrapper, &["--maxclients", "10000"]);
    let needles = [
        "maxclients",
        "maximum open files",
        "max file descriptors",
        "Increased maximum number of open files",
    ];
    let ours = log_messages(&server, &needles);
    let maxclients: u64 =
        Conn::new(&server).bulks(&["CONFIG", "GET", "maxclients"])[1]
            .parse()
            .unwrap();
    let want: Vec<String> = if maxclients == 10000 {
        // Allowed to raise the hard limit (root with CAP_SYS_RESOURCE).
        vec!["Increased maximum number of open files to 10032 (it was originally set to 1000).".into()]
    } else {
        assert_eq!(maxclients, 1000 - 32);
        vec![
            "You requested maxclients of 10000 requiring at least 10032 max file descriptors.".into(),
            "Server can't set maximum open files to 10032 because of OS error: Operation not permitted.".into(),
            "Current maximum open files is 1000. maxclients has been reduced to 968 to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.".into(),
        ]
    };
    assert_eq!(ours, want);

    // Asking for more than the limit allows is refused with C's error.
    let mut watch = Conn::new(&server);
    let before = quiet_fds(&server, &mut watch);
    let too_many = (maxclients * 4).to_string();
    let err = watch.raw(&["CONFIG", "SET", "maxclients", &too_many]);
    if maxclients != 10000 {
        assert_eq!(
            err,
            format!(
                "-ERR The operating system is not able to handle the \
                 specified number of clients, try with {maxclients}\r\n"
            )
        );
    }
    // And the (reduced) maxclients holds: `watch` and maxclients - 1
    // more are served, the next one is refused.
    let maxclients = watch.bulks(&["CONFIG", "GET", "maxclients"])[1]
        .parse::<usize>()
        .unwrap()
        .min(2000);
    watch.raw(&["CONFIG", "SET", "maxclients", &maxclients.to_string()]);
    let mut clients: Vec<TcpStream> =
        (1..maxclients).map(|_| raw(server.port())).collect();
    for s in clients.iter_mut() {
        send_raw(s, b"PING\r\n");
        assert_eq!(read_reply(s), b"+PONG\r\n");
    }
    let mut extra = raw(server.port());
    let got = read_until_close_or_timeout(&mut extra, Duration::from_secs(10));
    assert_eq!(got.text(), "-ERR max number of clients reached\r\n");
    drop(clients);
    assert_fds_settle(&server, &mut watch, &before);

    if let Some(c) = std::env::var_os("REDIS_C_SERVER") {
        let wrapper = nofile_limited(&scripts, Path::new(&c), 1000);
        let theirs = Server::start_binary(&wrapper, &["--maxclients", "10000"]);
        assert_eq!(log_messages(&theirs, &needles), want, "Redis 5.0.14");
        let mut r = Conn::new(&theirs);
        assert_eq!(
            r.raw(&["CONFIG", "SET", "maxclients", &too_many]),
            err,
            "Redis 5.0.14"
        );
    }
    assert_healthy(&mut server);
    let _ = fs::remove_dir_all(scripts);
}

// ------------------------------- accept errors -------------------------------

/// Bug 7: an accept() error other than EAGAIN (here EMFILE: the server's
/// fd limit is lowered under it) must not mark the listener drained.
/// Once clients go away and fds are free again, the connections queued
/// in the backlog are accepted and served without any new connection
/// arriving, as ae's level-triggered epoll calls acceptTcpHandler again.
#[test]
fn accept_emfile_keeps_the_listener_ready_for_queued_connections() {
    let mut server = Server::start(&[]);
    let mut watch = Conn::new(&server);
    let before = quiet_fds(&server, &mut watch);
    let highest = before.iter().map(|f| f.0 as u64).max().unwrap();
    let soft = highest.max(before.len() as u64) + 6;
    let room = (soft - before.len() as u64) as usize;
    let info_fields = ["os", "total_system_memory"];
    let info = |watch: &mut Conn| -> Vec<String> {
        let text = watch.bulk(&["INFO"]);
        info_fields
            .iter()
            .map(|f| util::info_field(&text, f).unwrap_or_default())
            .collect()
    };
    let info_before = info(&mut watch);
    let old_soft = set_nofile_of(server.pid(), soft);

    // `room` clients fill the fd table; 3 more wait in the backlog.
    let mut conns: Vec<TcpStream> = (0..room + 3)
        .map(|_| {
            let s = TcpStream::connect(server.addr()).expect("connect");
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            s
        })
        .collect();
    for s in conns.iter_mut() {
        send_raw(s, b"PING\r\n");
    }
    wait_for(SETTLE, || {
        server.log().contains(
            "Accepting client connection: accept: Too many open files",
        )
    });
    // INFO needs no free fd: the OS and the memory size are still there.
    assert_eq!(info(&mut watch), info_before);
    assert_eq!(
        server.fd_count() as u64,
        soft.min(before.len() as u64 + room as u64)
    );
    // The first `room` were accepted and answered.
    for s in conns.iter_mut().take(room) {
        assert_eq!(read_reply(s), b"+PONG\r\n");
    }
    // Free three fds: the three queued connections get their PONG with no
    // new SYN to wake the listener.
    let queued = conns.split_off(room);
    conns.truncate(room - 3);
    for mut s in queued {
        assert_eq!(read_reply(&mut s), b"+PONG\r\n");
    }

    drop(conns);
    set_nofile_of(server.pid(), old_soft);
    assert_fds_settle(&server, &mut watch, &before);
    assert_eq!(server.cmd_str(&["PING"]), "PONG");
    assert_healthy(&mut server);
}

// ------------------------------ killed children ------------------------------

/// A BGSAVE child killed with SIGKILL: C's log line, an error in INFO,
/// its temp file removed, no fd kept, and the next BGSAVE works.
#[test]
fn bgsave_child_killed_by_sigkill() {
    let mut server = Server::start(&["--rdbcompression", "no"]);
    let mut watch = Conn::new(&server);
    let before = quiet_fds(&server, &mut watch);
    // The child must still run when SIGKILL arrives; if a save was too
    // quick for that, try again with twice the keys.
    let mut keys = 500_000;
    let mut killed = false;
    for _attempt in 0..5 {
        server.cmd(&["DEBUG", "POPULATE", &keys.to_string(), "k", "32"]);
        let started = count_in_log(&server, "Background saving started by pid");
        let ok =
            count_in_log(&server, "Background saving terminated with success");
        assert_eq!(server.cmd_str(&["BGSAVE"]), "Background saving started");
        assert_eq!(
            count_in_log(&server, "Background saving started by pid"),
            started + 1
        );
        let pid = pid_after(&server, "Background saving started by pid ");
        kill(pid, libc::SIGKILL);
        wait_for(SETTLE, || server.info("rdb_bgsave_in_progress") == "0");
        if count_in_log(&server, "Background saving terminated with success")
            > ok
        {
            keys *= 2;
            continue;
        }
        let log = server.log();
        assert!(
            log.contains("Background saving terminated by signal 9"),
            "{log}"
        );
        assert!(!server.dir().join(format!("temp-{pid}.rdb")).exists());
        killed = true;
        break;
    }
    assert!(killed, "every BGSAVE ended before SIGKILL reached it");
    assert_eq!(server.info("rdb_last_bgsave_status"), "err");
    assert_eq!(temp_rdbs(server.dir()), Vec::<String>::new());
    assert_fds_settle(&server, &mut watch, &before);

    // The next one works.
    assert_eq!(server.cmd_str(&["BGSAVE"]), "Background saving started");
    wait_for(SETTLE, || server.info("rdb_bgsave_in_progress") == "0");
    assert_eq!(server.info("rdb_last_bgsave_status"), "ok");
    assert!(server.dir().join("dump.rdb").exists());
    assert_eq!(temp_rdbs(server.dir()), Vec::<String>::new());
    assert_fds_settle(&server, &mut watch, &before);
    assert_healthy(&mut server);
}

/// A diskless-sync child killed with SIGKILL while it streams to two
/// replicas (one of them stalled, so the child cannot finish): both are
/// dropped with C's log lines, the real replica resyncs and ends with the
/// master's digest, and the master keeps no fd of the dead transfer.
#[test]
fn diskless_sync_child_killed_by_sigkill_then_the_replica_resyncs() {
    let mut master = Server::start(&[
        "--repl-diskless-sync",
        "yes",
        "--repl-diskless-sync-delay",
        "3600",
        "--repl-timeout",
        "3600",
    ]);
    // Far more than the stalled replica's socket buffers can take.
    master.cmd(&["DEBUG", "POPULATE", "400000", "key", "128"]);
    let mut watch = Conn::new(&master);
    let before = quiet_fds(&master, &mut watch);

    let mut replica = Server::start(&[
        "--replicaof",
        "127.0.0.1",
        &master.port_str(),
        "--repl-timeout",
        "3600",
    ]);
    let stalled = stalled_diskless_replica(&master);
    wait_for(SETTLE, || master.info("connected_slaves") == "2");
    // Both wait for the delay; end it, so one child streams to both.
    master.cmd(&["CONFIG", "SET", "repl-diskless-sync-delay", "0"]);
    wait_for(SETTLE, || {
        master.log().contains("Background RDB transfer started by pid")
    });
    let pid = pid_after(&master, "Background RDB transfer started by pid ");
    assert_eq!(master.info("rdb_bgsave_in_progress"), "1");
    kill(pid, libc::SIGKILL);

    wait_for(SETTLE, || {
        master.log().contains("Background transfer terminated by signal 9")
    });
    wait_for(SETTLE, || {
        count_in_log(
            &master,
            "child->slave RDB transfer failed: RDB transfer child aborted",
        ) == 2
    });
    drop(stalled);
    // The replica reconnects and gets a new transfer of its own.
    wait_for_sync(&master, &replica);
    master.cmd(&["SET", "after", "resync"]);
    wait_for_ofs_sync(&master, &replica);
    assert_eq!(digest(&replica), digest(&master));
    assert_eq!(temp_rdbs(replica.dir()), Vec::<String>::new());

    replica.cmd(&["REPLICAOF", "NO", "ONE"]);
    assert_fds_settle(&master, &mut watch, &before);
    assert_healthy(&mut master);
    assert_healthy(&mut replica);
}

/// Bug 5: when a BGSAVE ends and the next one starts at once for a
/// replica that was waiting (backgroundSaveDoneHandler ->
/// updateSlavesWaitingBgsave -> startBgsaveForReplication), the child
/// info pipe of the first must be closed, not leaked, and the second
/// child's copy-on-write size must reach INFO. Here the first is a
/// diskless transfer to a stalled replica, the second a disk BGSAVE for
/// a replica that came while it ran.
#[test]
fn chained_bgsave_for_a_waiting_replica_keeps_no_fd_and_reports_cow() {
    let mut master = Server::start(&[
        "--repl-diskless-sync",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
        "--repl-timeout",
        "3600",
    ]);
    master.cmd(&["DEBUG", "POPULATE", "400000", "key", "128"]);
    let mut watch = Conn::new(&master);
    let before = quiet_fds(&master, &mut watch);

    let stalled = stalled_diskless_replica(&master);
    wait_for(SETTLE, || {
        master.log().contains("Background RDB transfer started by pid")
    });
    master.cmd(&["CONFIG", "SET", "repl-diskless-sync", "no"]);
    let mut replica =
        Server::start(&["--replicaof", "127.0.0.1", &master.port_str()]);
    wait_for(SETTLE, || {
        master.log().contains(
            "Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC",
        )
    });
    // The transfer fails, and the disk BGSAVE for the replica starts from
    // its done handler.
    drop(stalled);
    wait_for_sync(&master, &replica);
    assert!(
        master.log().contains("Starting BGSAVE for SYNC with target: disk"),
        "{}",
        master.log()
    );
    wait_for(SETTLE, || master.info("rdb_bgsave_in_progress") == "0");
    assert!(
        master.info_i64("rdb_last_cow_size") > 0,
        "the chained child's copy-on-write size was lost"
    );
    assert_eq!(digest(&replica), digest(&master));

    replica.cmd(&["REPLICAOF", "NO", "ONE"]);
    assert_fds_settle(&master, &mut watch, &before);
    assert_healthy(&mut master);
    assert_healthy(&mut replica);
}

// ------------------------------ stopped replica ------------------------------

/// A replica stopped with SIGSTOP while the master writes far more than
/// its `client-output-buffer-limit replica` allows: the master drops it
/// with C's log line, its memory stays well below what was written, and
/// after SIGCONT the replica resyncs to the master's digest.
fn stopped_replica_over_the_output_buffer_limit(replica_bin: Option<&Path>) {
    let mut master = Server::start(&[
        "--client-output-buffer-limit",
        "replica",
        "4mb",
        "0",
        "0",
    ]);
    master.cmd(&["SET", "small", "before"]);
    let mut watch = Conn::new(&master);
    let before = quiet_fds(&master, &mut watch);
    let port = master.port_str();
    let args = ["--replicaof", "127.0.0.1", port.as_str()];
    let mut replica = match replica_bin {
        None => Server::start(&args),
        Some(bin) => Server::start_binary(bin, &args),
    };
    wait_for_sync(&master, &replica);
    replica.signal(libc::SIGSTOP);

    // 50 x 4 MB through one key: the dataset stays at 4 MB, the stream
    // to the replica is 200 MB.
    let big = "x".repeat(4 << 20);
    let mut con = master.client();
    const ROUNDS: u64 = 50;
    for i in 0..ROUNDS {
        let _: () = redis::cmd("SET")
            .arg("big")
            .arg(format!("{i}{big}"))
            .query(&mut con)
            .unwrap();
    }
    drop(con);
    let written = ROUNDS * (4 << 20);
    wait_for(SETTLE, || master.info("connected_slaves") == "0");
    let rss = rss_of(master.pid());
    assert!(
        rss < written / 2,
        "master RSS {rss} after writing {written} bytes to a stopped replica"
    );
    let log = master.log();
    assert!(
        log.contains("scheduled to be closed ASAP for overcoming of output buffer limits."),
        "{log}"
    );

    replica.signal(libc::SIGCONT);
    wait_for_sync(&master, &replica);
    wait_for_ofs_sync(&master, &replica);
    assert_eq!(digest(&replica), digest(&master));

    replica.cmd(&["REPLICAOF", "NO", "ONE"]);
    assert_fds_settle(&master, &mut watch, &before);
    assert_healthy(&mut master);
    if replica_bin.is_none() {
        assert_healthy(&mut replica);
    }
}

#[test]
fn stopped_oxredis_replica_over_the_output_buffer_limit() {
    stopped_replica_over_the_output_buffer_limit(None);
}

#[test]
fn stopped_redis_7_replica_over_the_output_buffer_limit() {
    stopped_replica_over_the_output_buffer_limit(Some(&find_binary(
        "redis-server",
    )));
}

/// A replica that stops reading in the middle of a disk-based transfer
/// (SEND_BULK: the master streams dump.rdb from an open fd while it
/// buffers the writes that follow) is closed once those writes pass the
/// hard limit, and the master closes the dump.rdb it was sending too.
#[test]
fn replica_stalled_during_the_rdb_transfer_over_the_output_buffer_limit() {
    let mut master = Server::start(&[
        "--repl-diskless-sync",
        "no",
        "--repl-timeout",
        "3600",
        "--client-output-buffer-limit",
        "replica",
        "4mb",
        "0",
        "0",
    ]);
    // An RDB far larger than the stalled replica's socket buffers.
    master.cmd(&["DEBUG", "POPULATE", "400000", "key", "128"]);
    let mut watch = Conn::new(&master);
    let before = quiet_fds(&master, &mut watch);

    let mut stalled = raw(master.port());
    send_raw(&mut stalled, b"SYNC\r\n");
    wait_for(SETTLE, || master.info("slave0").contains("state=send_bulk"));
    assert!(
        master.open_fds().iter().any(|(_, p)| p.ends_with("/dump.rdb")),
        "dump.rdb is not open while it is sent"
    );

    let big = "x".repeat(4 << 20);
    let mut con = master.client();
    for i in 0..4 {
        let _: () = redis::cmd("SET")
            .arg("big")
            .arg(format!("{i}{big}"))
            .query(&mut con)
            .unwrap();
    }
    drop(con);
    wait_for(SETTLE, || master.info("connected_slaves") == "0");
    let log = master.log();
    assert!(
        log.contains("scheduled to be closed ASAP for overcoming of output buffer limits."),
        "{log}"
    );
    assert_fds_settle(&master, &mut watch, &before);
    drop(stalled);
    assert_healthy(&mut master);
}

// --------------------------- best-effort bind (anet) ---------------------------

/// What a plain non-blocking connect() from no particular address does
/// with `addr`: Ok if it is under way (EINPROGRESS), else the error.
fn unbound_connect(addr: SocketAddr) -> Result<(), std::io::Error> {
    let s = socket2::Socket::new(
        socket2::Domain::IPV4,
        socket2::Type::STREAM,
        None,
    )?;
    s.set_nonblocking(true)?;
    match s.connect(&addr.into()) {
        Ok(()) => Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Bug 3: a replica whose first `bind` address is the loopback connects
/// to its master from that address, best effort: when that cannot work
/// (the master is not on this host, and the kernel refuses a loopback
/// source with EINVAL) it must connect again without a source address,
/// as anetTcpGenericConnect does, instead of failing every second.
///
/// 203.0.113.1 (TEST-NET-3) stands for a remote master: nothing answers
/// there, so the test only checks that the connection is under way ("sync
/// started") exactly when an unbound connect() to it is.
#[test]
fn replica_bound_to_loopback_connects_to_a_remote_master() {
    let master: SocketAddr = "203.0.113.1:6379".parse().unwrap();
    let mut replica = Server::start(&[
        "--bind",
        "127.0.0.1",
        "--replicaof",
        "203.0.113.1",
        "6379",
    ]);
    let unbound = unbound_connect(master);
    match &unbound {
        Ok(()) => wait_for(SETTLE, || {
            replica.log().contains("MASTER <-> REPLICA sync started")
        }),
        Err(e) => {
            let want = format!(
                "Unable to connect to MASTER: {}",
                e.to_string().split(" (os error").next().unwrap()
            );
            wait_for(SETTLE, || replica.log().contains(&want));
        }
    }
    let log = replica.log();
    assert!(
        !log.contains("Unable to connect to MASTER: Invalid argument"),
        "the replica kept its loopback source address:\n{log}"
    );
    assert_eq!(replica.info("master_link_status"), "down");
    assert_healthy(&mut replica);
}
