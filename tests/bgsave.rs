//! BGSAVE: the forked child writes a snapshot of the dataset as it was at
//! the fork while the parent goes on serving writes; a child that fails
//! (file too large, directory gone, killed) leaves the previous dump
//! alone and is reported in INFO and the log, and with
//! stop-writes-on-bgsave-error writes are refused with MISCONF.
//!
//! Mirrors the BGSAVE tests of tests/unit/other.tcl and the bgsave error
//! handling that tests/integration/rdb.tcl of later Redis versions check.

mod util;

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use util::{Server, OXREDIS_BIN};

const MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist on disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/// The pid of the child that the last "Background saving started by pid N"
/// line names.
fn bgsave_child_pid(server: &Server) -> i32 {
    let log = server.log();
    let line = log
        .lines()
        .rev()
        .find(|l| l.contains("Background saving started by pid "))
        .expect("no BGSAVE started");
    line.rsplit(' ').next().unwrap().trim().parse().unwrap()
}

fn signal(pid: i32, sig: libc::c_int) {
    // SAFETY: kill(2) on the pid of the server's saving child, which is
    // alive until the server reaps it (the tests signal it before that).
    unsafe {
        libc::kill(pid, sig);
    }
}

fn wait_bgsave_done(server: &Server) {
    util::wait_for(Duration::from_secs(30), || {
        server.info("rdb_bgsave_in_progress") == "0"
    });
}

/// Tcl: "BGSAVE". A client keeps writing numbered keys, one at a time,
/// while a BGSAVE runs on a dataset big enough for the child to take a
/// while: the writes go on during the save, and the dump holds exactly the
/// numbered keys acknowledged before the BGSAVE (and perhaps the one in
/// flight), none written after its reply.
#[test]
fn bgsave_under_write_load_keeps_serving_and_saves_the_data_at_the_fork() {
    let server = Server::start(&["--rdbcompression", "no"]);
    const PRELOAD: i64 = 200_000;
    server.cmd(&["DEBUG", "POPULATE", &PRELOAD.to_string(), "pre", "64"]);

    let acked = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (acked, stop) = (acked.clone(), stop.clone());
        let mut con = server.client();
        thread::spawn(move || {
            let mut i: u64 = 0;
            while !stop.load(Ordering::Relaxed) {
                let () = redis::cmd("SET")
                    .arg(format!("seq:{i}"))
                    .arg(i)
                    .query(&mut con)
                    .expect("SET during BGSAVE");
                i += 1;
                acked.store(i, Ordering::SeqCst);
            }
        })
    };
    util::wait_for(Duration::from_secs(10), || {
        acked.load(Ordering::SeqCst) > 100
    });

    let before = acked.load(Ordering::SeqCst);
    assert_eq!(server.cmd_str(&["BGSAVE"]), "Background saving started");
    let after = acked.load(Ordering::SeqCst);

    // While the child runs, the writer keeps being served.
    let mut progress_while_saving = false;
    let mut last_seen: Option<u64> = None;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let now_acked = acked.load(Ordering::SeqCst);
        if server.info("rdb_bgsave_in_progress") != "1" {
            break;
        }
        if let Some(prev) = last_seen {
            if now_acked > prev {
                progress_while_saving = true;
            }
        }
        last_seen = Some(now_acked);
        assert!(Instant::now() < deadline, "BGSAVE did not finish");
        thread::sleep(Duration::from_millis(20));
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    assert!(
        progress_while_saving,
        "no write was served while the child was saving"
    );
    assert_eq!(server.info("rdb_last_bgsave_status"), "ok");
    assert!(server.log().contains("Background saving terminated with success"));

    // Load the dump in another server and look at the numbered keys.
    let dir = util::make_temp_dir();
    fs::copy(server.dir().join("dump.rdb"), dir.join("dump.rdb")).unwrap();
    let loaded = Server::start(&["--dir", dir.to_str().unwrap()]);
    util::wait_for(Duration::from_secs(30), || loaded.info("loading") == "0");
    let total: i64 = loaded.cmd_str(&["DBSIZE"]).parse().unwrap();
    let m = (total - PRELOAD) as u64;
    assert!(before <= m && m <= after + 1, "the dump has {m} numbered keys; {before} were acknowledged before BGSAVE, {after} at its reply");
    let mut con = loaded.client();
    let mut i = 0;
    while i < m {
        let end = (i + 1000).min(m);
        let keys: Vec<String> = (i..end).map(|j| format!("seq:{j}")).collect();
        let vals: Vec<Option<u64>> =
            redis::cmd("MGET").arg(&keys).query(&mut con).unwrap();
        for (j, v) in (i..end).zip(vals) {
            assert_eq!(v, Some(j), "seq:{j}");
        }
        i = end;
    }
    let next: Option<String> =
        redis::cmd("GET").arg(format!("seq:{m}")).query(&mut con).unwrap();
    assert_eq!(next, None);
    drop(loaded);
    let _ = fs::remove_dir_all(dir);
}

/// While a child saves, BGSAVE and SAVE are refused; INFO shows the save
/// in progress. The child is held with SIGSTOP so the test does not race
/// it. A child killed by a signal is an error (and its temp file is
/// removed), except SIGUSR1, the signal Redis itself uses to cancel one.
#[test]
fn bgsave_while_a_child_runs_and_children_killed_by_signals() {
    let server = Server::start(&[]);
    // Enough keys that the child is still saving when the test reads its
    // pid from the log and stops it: with 1,000 it could finish first on
    // a loaded machine (seen once in CI), and exit with success.
    server.cmd(&["DEBUG", "POPULATE", "500000"]);

    // Killed with SIGKILL: an error.
    assert_eq!(server.cmd_str(&["BGSAVE"]), "Background saving started");
    let pid = bgsave_child_pid(&server);
    signal(pid, libc::SIGSTOP);
    assert_eq!(server.info("rdb_bgsave_in_progress"), "1");
    assert!(server.info_i64("rdb_current_bgsave_time_sec") >= 0);
    let err = server.try_cmd(&["BGSAVE"]).unwrap_err().to_string();
    assert!(err.contains("Background save already in progress"), "{err}");
    let err = server.try_cmd(&["SAVE"]).unwrap_err().to_string();
    assert!(err.contains("Background save already in progress"), "{err}");
    // The parent serves clients meanwhile.
    server.cmd(&["SET", "during", "save"]);
    signal(pid, libc::SIGKILL);
    wait_bgsave_done(&server);
    assert_eq!(server.info("rdb_last_bgsave_status"), "err");
    assert!(server.log().contains(&format!(
        "Background saving terminated by signal {}",
        libc::SIGKILL
    )));
    assert!(!server.dir().join(format!("temp-{pid}.rdb")).exists());

    // A successful BGSAVE clears the error.
    assert_eq!(server.cmd_str(&["BGSAVE"]), "Background saving started");
    wait_bgsave_done(&server);
    assert_eq!(server.info("rdb_last_bgsave_status"), "ok");

    // Killed with SIGUSR1: not an error.
    assert_eq!(server.cmd_str(&["BGSAVE"]), "Background saving started");
    let pid = bgsave_child_pid(&server);
    signal(pid, libc::SIGSTOP);
    signal(pid, libc::SIGUSR1);
    signal(pid, libc::SIGCONT);
    wait_bgsave_done(&server);
    assert!(server.log().contains(&format!(
        "Background saving terminated by signal {}",
        libc::SIGUSR1
    )));
    assert_eq!(server.info("rdb_last_bgsave_status"), "ok");
}

/// A shell script that runs our server with the file size limit set to
/// `bytes`, so that a child writing a larger RDB gets SIGXFSZ: a stand-in
/// for a full disk that even root cannot ignore.
fn fsize_limited_server(dir: &Path, bytes: u64) -> PathBuf {
    let path = dir.join("oxredis-fsize-limited.sh");
    let mut f = fs::File::create(&path).unwrap();
    writeln!(f, "#!/bin/sh\nexec prlimit --fsize={bytes} {OXREDIS_BIN} \"$@\"")
        .unwrap();
    drop(f);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A failed BGSAVE (the file grows past what may be written) leaves the
/// previous dump as it was, shows rdb_last_bgsave_status:err in INFO and
/// the reason in the log, and with save points and
/// stop-writes-on-bgsave-error yes (the default) write commands get the
/// MISCONF error until a save succeeds or the option is turned off.
#[test]
fn failed_bgsave_keeps_the_previous_dump_and_denies_writes() {
    let scripts = util::make_temp_dir();
    let wrapper = fsize_limited_server(&scripts, 2_000_000);
    let server = Server::start_binary(
        &wrapper,
        &["--save", "900", "1", "--rdbcompression", "no"],
    );
    server.cmd(&["SET", "small", "dataset"]);
    assert_eq!(server.cmd_str(&["SAVE"]), "OK");
    let dump = server.dir().join("dump.rdb");
    let previous = fs::read(&dump).unwrap();

    server.cmd(&["DEBUG", "POPULATE", "100000", "key", "100"]);
    assert_eq!(server.cmd_str(&["BGSAVE"]), "Background saving started");
    wait_bgsave_done(&server);
    assert_eq!(server.info("rdb_last_bgsave_status"), "err");
    let log = server.log();
    assert!(
        log.contains(&format!(
            "Background saving terminated by signal {}",
            libc::SIGXFSZ
        )),
        "{log}"
    );
    assert_eq!(
        fs::read(&dump).unwrap(),
        previous,
        "the previous dump was changed"
    );
    let leftovers: Vec<_> = fs::read_dir(server.dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("temp-"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");

    // Writes are refused, reads are not.
    let err = server.try_cmd(&["SET", "k", "v"]).unwrap_err().to_string();
    assert!(err.contains("Redis is configured to save RDB snapshots"), "{err}");
    assert_eq!(server.cmd_str(&["GET", "small"]), "dataset");
    let mut raw = util::raw(server.port());
    util::send_raw(&mut raw, b"SET k v\r\n");
    let reply = util::read_reply(&mut raw);
    assert_eq!(reply, format!("-{MISCONF}\r\n").into_bytes());

    server.cmd(&["CONFIG", "SET", "stop-writes-on-bgsave-error", "no"]);
    server.cmd(&["SET", "k", "v"]);
    drop(server);
    let _ = fs::remove_dir_all(scripts);
}

/// A BGSAVE whose child cannot create its temp file (the directory was
/// removed) logs why, counts as an error, and a later good one clears it.
#[test]
fn bgsave_error_when_the_directory_is_gone() {
    let server = Server::start(&["--save", "900", "1"]);
    server.cmd(&["SET", "k", "v"]);
    let sub = server.dir().join("vanishing");
    fs::create_dir(&sub).unwrap();
    server.cmd(&["CONFIG", "SET", "dir", sub.to_str().unwrap()]);
    fs::remove_dir(&sub).unwrap();

    assert_eq!(server.cmd_str(&["BGSAVE"]), "Background saving started");
    wait_bgsave_done(&server);
    assert_eq!(server.info("rdb_last_bgsave_status"), "err");
    let log = server.log();
    assert!(
        log.contains("Failed opening the RDB file dump.rdb (in server root dir unknown) for saving: No such file or directory"),
        "{log}"
    );
    assert!(log.contains("Background saving error"), "{log}");
    let err = server.try_cmd(&["SET", "k", "v2"]).unwrap_err().to_string();
    assert!(err.contains("MISCONF"), "{err}");

    // SAVE fails the same way, in the foreground, with a bare -ERR.
    let mut raw = util::raw(server.port());
    util::send_raw(&mut raw, b"SAVE\r\n");
    assert_eq!(util::read_reply(&mut raw), b"-ERR\r\n");

    // Back to a directory that exists: a good save clears the error.
    server.cmd(&["CONFIG", "SET", "dir", server.dir().to_str().unwrap()]);
    assert_eq!(server.cmd_str(&["BGSAVE"]), "Background saving started");
    wait_bgsave_done(&server);
    assert_eq!(server.info("rdb_last_bgsave_status"), "ok");
    server.cmd(&["SET", "k", "v3"]);
}
