//! RDB persistence end to end: SAVE and restart, SHUTDOWN SAVE/NOSAVE,
//! save points, files exchanged with a real Redis (Debian's 7.0) in both
//! directions, `redis-check-rdb` on our dumps, the old-format assets of the
//! Redis test suite, and start-up on damaged files (the process must stop
//! with a non-zero exit and a log line saying what and where, and leave
//! the file as it was).
//!
//! Mirrors tests/integration/rdb.tcl and the SAVE/BGSAVE/DEBUG RELOAD
//! parts of tests/unit/other.tcl of Redis 5.0.14.

mod util;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread::sleep;
use std::time::Duration;

use util::{find_binary, Server, OXREDIS_BIN};

const ZERO_DIGEST: &str = "0000000000000000000000000000000000000000";

/// Fills db 0, 3 and 9 with every type, each in its small and its large
/// encoding, plus strings of every RDB string encoding (integers, short,
/// compressible, incompressible) and keys with expiries. The same commands
/// work on oxredis and on Redis 7.
fn fill_dataset(server: &Server) {
    let mut con = server.client();
    let mut p = redis::pipe();
    for db in [0, 3, 9] {
        p.cmd("SELECT").arg(db).ignore();
        // Strings.
        p.cmd("SET").arg("str:short").arg("hello").ignore();
        p.cmd("SET").arg("str:int8").arg("-12").ignore();
        p.cmd("SET").arg("str:int32").arg("2000000000").ignore();
        p.cmd("SET").arg("str:int64").arg("9223372036854775807").ignore();
        p.cmd("SET").arg("str:lzf").arg("a".repeat(500)).ignore();
        let noise: String = (0..300)
            .map(|i| char::from(b'!' + ((i * 7919 + db) % 90) as u8))
            .collect();
        p.cmd("SET").arg("str:noise").arg(noise).ignore();
        p.cmd("SET").arg("str:empty").arg("").ignore();
        p.cmd("SET").arg("str:binary").arg(&[0u8, 255, 10, 13, 0][..]).ignore();
        // Expiries, far enough not to expire during the test.
        p.cmd("SET").arg("str:ttl").arg("v").arg("EX").arg(1000).ignore();
        p.cmd("RPUSH").arg("list:ttl").arg("a").ignore();
        p.cmd("PEXPIRE").arg("list:ttl").arg(2_000_000).ignore();
        // Lists.
        p.cmd("RPUSH")
            .arg("list:small")
            .arg("a")
            .arg("1")
            .arg("-7")
            .arg("")
            .ignore();
        for i in 0..700 {
            p.cmd("RPUSH").arg("list:big").arg(format!("element:{i}")).ignore();
        }
        p.cmd("RPUSH")
            .arg("list:bigelem")
            .arg("x".repeat(20_000))
            .arg("y")
            .ignore();
        // Hashes.
        p.cmd("HSET")
            .arg("hash:small")
            .arg("f")
            .arg("v")
            .arg("n")
            .arg("42")
            .ignore();
        for i in 0..600 {
            p.cmd("HSET")
                .arg("hash:big")
                .arg(format!("f{i}"))
                .arg(format!("v{i}"))
                .ignore();
        }
        p.cmd("HSET")
            .arg("hash:longval")
            .arg("f")
            .arg("z".repeat(100))
            .ignore();
        // Sets.
        p.cmd("SADD")
            .arg("set:intset")
            .arg(1)
            .arg(-2)
            .arg(70000)
            .arg(5_000_000_000i64)
            .ignore();
        p.cmd("SADD").arg("set:small").arg("a").arg("b").arg("1").ignore();
        for i in 0..600 {
            p.cmd("SADD").arg("set:bigint").arg(i).ignore();
            p.cmd("SADD").arg("set:big").arg(format!("m{i}")).ignore();
        }
        // Sorted sets.
        p.cmd("ZADD")
            .arg("zset:small")
            .arg(1)
            .arg("a")
            .arg(2.5)
            .arg("b")
            .arg("-inf")
            .arg("c")
            .ignore();
        for i in 0..200 {
            p.cmd("ZADD")
                .arg("zset:big")
                .arg(i as f64 / 3.0)
                .arg(format!("m{i}"))
                .ignore();
        }
        p.cmd("ZADD")
            .arg("zset:longmember")
            .arg(1)
            .arg("q".repeat(100))
            .ignore();
    }
    let () = p.query(&mut con).expect("fill the dataset");
}

/// DEBUG DIGEST, once the server has finished loading its dump.
fn digest(server: &Server) -> String {
    util::wait_for(Duration::from_secs(30), || server.info("loading") == "0");
    server.cmd_str(&["DEBUG", "DIGEST"])
}

fn dbsize(server: &Server, db: i64) -> i64 {
    let mut con = server.client();
    let () = redis::cmd("SELECT").arg(db).query(&mut con).unwrap();
    redis::cmd("DBSIZE").query(&mut con).unwrap()
}

/// A copy of `file` in a new temp dir, as `dump.rdb`; returns the dir.
fn copy_to_new_dir(file: &Path) -> PathBuf {
    let dir = util::make_temp_dir();
    fs::copy(file, dir.join("dump.rdb")).expect("copy the RDB file");
    dir
}

fn asset(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/assets").join(name)
}

// ------------------------------- save / restart -------------------------------

#[test]
fn server_started_empty_with_non_existing_rdb_file() {
    let server = Server::start(&[]);
    assert!(!server.dir().join("dump.rdb").exists());
    assert_eq!(digest(&server), ZERO_DIGEST);
    assert_eq!(server.info("loading"), "0");
}

#[test]
fn server_started_empty_with_empty_rdb_file() {
    let mut first = Server::start(&[]);
    assert_eq!(first.cmd_str(&["SAVE"]), "OK");
    first.kill();
    let dir = first.dir().to_str().unwrap().to_string();
    let second = Server::start(&["--dir", &dir]);
    assert_eq!(digest(&second), ZERO_DIGEST);
    assert!(second.log().contains("DB loaded from disk: "), "{}", second.log());
}

/// Tcl: "Check consistency of different data types after a reload", done
/// across a restart instead of DEBUG RELOAD.
#[test]
fn save_then_restart_gives_back_every_type_expiries_and_dbs() {
    let mut first = Server::start(&[]);
    fill_dataset(&first);
    let before = digest(&first);
    let sizes: Vec<i64> =
        [0, 3, 9].iter().map(|&db| dbsize(&first, db)).collect();
    let lastsave_before: i64 = first.cmd_str(&["LASTSAVE"]).parse().unwrap();
    assert_ne!(first.info("rdb_changes_since_last_save"), "0");
    sleep(Duration::from_millis(1100));
    assert_eq!(first.cmd_str(&["SAVE"]), "OK");
    assert_eq!(first.info("rdb_changes_since_last_save"), "0");
    let lastsave_after: i64 = first.cmd_str(&["LASTSAVE"]).parse().unwrap();
    assert!(lastsave_after > lastsave_before);
    assert!(first.log().contains("DB saved on disk"));
    first.kill();

    let dir = first.dir().to_str().unwrap().to_string();
    let second = Server::start(&["--dir", &dir]);
    assert_eq!(digest(&second), before);
    let sizes2: Vec<i64> =
        [0, 3, 9].iter().map(|&db| dbsize(&second, db)).collect();
    assert_eq!(sizes, sizes2);
    let mut con = second.client();
    let () = redis::cmd("SELECT").arg(3).query(&mut con).unwrap();
    let ttl: i64 = redis::cmd("TTL").arg("str:ttl").query(&mut con).unwrap();
    assert!((990..=1000).contains(&ttl), "ttl {ttl}");
    let pttl: i64 = redis::cmd("PTTL").arg("list:ttl").query(&mut con).unwrap();
    assert!(pttl > 1_900_000, "pttl {pttl}");
    for (key, want) in [
        ("set:intset", "intset"),
        ("hash:big", "hashtable"),
        ("zset:small", "ziplist"),
    ] {
        let enc: String = redis::cmd("OBJECT")
            .arg("ENCODING")
            .arg(key)
            .query(&mut con)
            .unwrap();
        assert_eq!(enc, want, "{key}");
    }
    let v: String = redis::cmd("GET").arg("str:int64").query(&mut con).unwrap();
    assert_eq!(v, "9223372036854775807");
    assert!(second.log().contains("DB loaded from disk: "));
}

#[test]
fn redis_check_rdb_accepts_our_dump() {
    let server = Server::start(&[]);
    fill_dataset(&server);
    assert_eq!(server.cmd_str(&["SAVE"]), "OK");
    let out = Command::new(find_binary("redis-check-rdb"))
        .arg(server.dir().join("dump.rdb"))
        .stdin(Stdio::null())
        .output()
        .expect("run redis-check-rdb");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "redis-check-rdb failed:\n{text}");
    assert!(text.contains("RDB looks OK!"), "{text}");
    assert!(text.contains("Checksum OK"), "{text}");
    assert!(text.contains("AUX FIELD redis-ver = '5.0.14'"), "{text}");
}

#[test]
fn our_dump_loads_into_redis_7_with_equal_digest() {
    let ours = Server::start(&[]);
    fill_dataset(&ours);
    let want = digest(&ours);
    assert_eq!(ours.cmd_str(&["SAVE"]), "OK");
    let dir = copy_to_new_dir(&ours.dir().join("dump.rdb"));
    let redis7 = Server::start_binary(
        &find_binary("redis-server"),
        &["--dir", dir.to_str().unwrap()],
    );
    assert_eq!(digest(&redis7), want);
    assert_eq!(dbsize(&redis7, 9), dbsize(&ours, 9));
    drop(redis7);
    let _ = fs::remove_dir_all(dir);
}

/// The other direction: Redis 7.0 writes its listpack and quicklist-2
/// encodings (and intsets, and the plain types for large values).
#[test]
fn redis_7_dump_with_every_type_loads_into_oxredis_with_equal_digest() {
    let redis7 = Server::start_binary(&find_binary("redis-server"), &[]);
    fill_dataset(&redis7);
    let want = digest(&redis7);
    assert_eq!(redis7.cmd_str(&["SAVE"]), "OK");
    let dir = copy_to_new_dir(&redis7.dir().join("dump.rdb"));
    let ours = Server::start(&["--dir", dir.to_str().unwrap()]);
    assert_eq!(digest(&ours), want);
    for db in [0, 3, 9] {
        assert_eq!(dbsize(&ours, db), dbsize(&redis7, db));
    }
    let mut con = ours.client();
    let ttl: i64 = redis::cmd("TTL").arg("str:ttl").query(&mut con).unwrap();
    assert!((990..=1000).contains(&ttl), "ttl {ttl}");
    drop(ours);
    let _ = fs::remove_dir_all(dir);
}

/// Tcl: "RDB encoding loading test": an RDB version 4 file with zipmap,
/// ziplist and intset values, loaded by us and by Redis 7.
#[test]
fn rdb_encoding_loading_test() {
    let dir = copy_to_new_dir(&asset("encodings.rdb"));
    let ours = Server::start(&["--dir", dir.to_str().unwrap()]);
    let redis7 = Server::start_binary(
        &find_binary("redis-server"),
        &["--dir", dir.to_str().unwrap()],
    );
    assert_eq!(digest(&ours), digest(&redis7));
    assert_ne!(digest(&ours), ZERO_DIGEST);
    let mut con = ours.client();
    let v: Vec<String> = redis::cmd("LRANGE")
        .arg("list_zipped")
        .arg(0)
        .arg(-1)
        .query(&mut con)
        .unwrap();
    assert_eq!(v, ["1", "2", "3", "a", "b", "c", "100000", "6000000000"]);
    let v: Vec<String> =
        redis::cmd("HGETALL").arg("hash_zipped").query(&mut con).unwrap();
    assert_eq!(v, ["a", "1", "b", "2", "c", "3"]);
    let v: String = redis::cmd("GET").arg("number").query(&mut con).unwrap();
    assert_eq!(v, "10");
    drop((ours, redis7));
    let _ = fs::remove_dir_all(dir);
}

/// Tcl: hash-zipmap.rdb (RDB version 3, a hash saved as a zipmap by
/// Redis 2.4).
#[test]
fn rdb_load_zipmap_hash() {
    let dir = copy_to_new_dir(&asset("hash-zipmap.rdb"));
    let ours = Server::start(&["--dir", dir.to_str().unwrap()]);
    let mut con = ours.client();
    let v: Vec<String> =
        redis::cmd("HGETALL").arg("hash").query(&mut con).unwrap();
    assert_eq!(v, ["f1", "v1", "f2", "v2"]);
    let enc: String = redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg("hash")
        .query(&mut con)
        .unwrap();
    assert_eq!(enc, "ziplist");
    drop(ours);
    let _ = fs::remove_dir_all(dir);
}

// ---------------------------- SAVE, SHUTDOWN, save points ----------------------------

#[test]
fn shutdown_save_writes_the_dump_and_nosave_does_not() {
    let mut a = Server::start(&[]);
    a.cmd(&["SET", "k", "v"]);
    let _ = a.try_cmd(&["SHUTDOWN", "SAVE"]);
    let status = a.kill();
    assert!(status.success(), "{status}");
    assert!(
        a.log().contains("Saving the final RDB snapshot before exiting."),
        "{}",
        a.log()
    );
    assert!(a.dir().join("dump.rdb").exists());

    let mut b = Server::start(&["--save", "900", "1"]);
    b.cmd(&["SET", "k", "v"]);
    let _ = b.try_cmd(&["SHUTDOWN", "NOSAVE"]);
    b.kill();
    assert!(!b.dir().join("dump.rdb").exists());
    assert!(!b.log().contains("Saving the final RDB snapshot"));

    // With save points configured, a plain SHUTDOWN (and SIGTERM) saves.
    let mut c = Server::start(&["--save", "900", "1"]);
    c.cmd(&["SET", "k", "v"]);
    c.kill();
    assert!(c.dir().join("dump.rdb").exists(), "{}", c.log());
}

#[test]
fn save_points_start_a_bgsave() {
    let server = Server::start(&["--save", "1", "2"]);
    server.cmd(&["SET", "a", "1"]);
    server.cmd(&["SET", "b", "2"]);
    util::wait_for(Duration::from_secs(10), || {
        server.log().contains("Background saving terminated with success")
    });
    let log = server.log();
    assert!(log.contains("2 changes in 1 seconds. Saving..."), "{log}");
    assert!(log.contains("Background saving started by pid "), "{log}");
    assert!(server.dir().join("dump.rdb").exists());
    assert_eq!(server.info("rdb_changes_since_last_save"), "0");
    assert_eq!(server.info("rdb_last_bgsave_status"), "ok");
    assert_eq!(server.info("rdb_bgsave_in_progress"), "0");
    assert_ne!(server.info("latest_fork_usec"), "0");
}

#[test]
fn bgsave_reply_and_info_persistence_fields() {
    let server = Server::start(&[]);
    fill_dataset(&server);
    assert_eq!(server.cmd_str(&["BGSAVE"]), "Background saving started");
    util::wait_for(Duration::from_secs(10), || {
        server.info("rdb_bgsave_in_progress") == "0"
    });
    assert_eq!(server.info("rdb_last_bgsave_status"), "ok");
    assert_eq!(server.info("rdb_current_bgsave_time_sec"), "-1");
    assert!(server.info_i64("rdb_last_bgsave_time_sec") >= 0);
    assert!(server.info("rdb_last_cow_size").parse::<i64>().is_ok());
    // BGSAVE takes only SCHEDULE as an argument.
    let err = server.try_cmd(&["BGSAVE", "NOW"]).unwrap_err();
    assert!(err.to_string().contains("syntax error"), "{err}");
    assert_eq!(
        server.cmd_str(&["BGSAVE", "SCHEDULE"]),
        "Background saving started"
    );
    util::wait_for(Duration::from_secs(10), || {
        server.info("rdb_bgsave_in_progress") == "0"
    });
}

// ------------------------------- damaged files -------------------------------

/// Runs our server on `dir` (holding a damaged dump.rdb), which must exit
/// on its own; returns the exit status and the log.
fn run_until_exit(dir: &Path) -> (ExitStatus, String) {
    let log_path = dir.join("server.log");
    let log = fs::File::create(&log_path).unwrap();
    let mut child = Command::new(OXREDIS_BIN)
        .args([
            "--port",
            &util::free_port().to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .arg("--dir")
        .arg(dir)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .expect("start oxredis-server");
    let status = util::wait_child(&mut child, Duration::from_secs(10));
    let log = fs::read_to_string(&log_path).unwrap_or_default();
    match status {
        Some(status) => (status, log),
        None => panic!("the server did not stop on a damaged RDB file:\n{log}"),
    }
}

/// A valid dump of a few keys, written by us.
fn good_dump() -> Vec<u8> {
    let server = Server::start(&[]);
    for i in 0..20 {
        server.cmd(&["SET", &format!("key:{i}"), &format!("value:{i}")]);
    }
    server.cmd(&["SAVE"]);
    fs::read(server.dir().join("dump.rdb")).unwrap()
}

/// Writes `bytes` as dump.rdb of a new dir, starts the server on it, and
/// checks it exits with 1, logs every line of `expect`, and leaves the
/// file byte for byte as it was.
#[track_caller]
fn assert_refused(bytes: &[u8], expect: &[&str]) -> String {
    let dir = util::make_temp_dir();
    fs::write(dir.join("dump.rdb"), bytes).unwrap();
    let (status, log) = run_until_exit(&dir);
    assert_eq!(status.code(), Some(1), "exit status {status}\n{log}");
    for line in expect {
        assert!(log.contains(line), "log lacks {line:?}:\n{log}");
    }
    assert!(!log.contains("panicked"), "{log}");
    assert_eq!(
        fs::read(dir.join("dump.rdb")).unwrap(),
        bytes,
        "the RDB file was changed"
    );
    let _ = fs::remove_dir_all(dir);
    log
}

#[test]
fn server_should_not_start_if_rdb_is_corrupted() {
    // Tcl: corrupt the CRC64 checksum.
    let mut bytes = good_dump();
    let n = bytes.len();
    bytes[n - 8..].copy_from_slice(b"foobar00");
    assert_refused(
        &bytes,
        &["Wrong RDB checksum. Aborting now.", "RDB CRC error"],
    );
}

#[test]
fn server_should_not_start_if_rdb_is_truncated() {
    let bytes = good_dump();
    let cut = &bytes[..bytes.len() / 2];
    let log = assert_refused(
        cut,
        &[
            "Short read or OOM loading DB. Unrecoverable error, aborting now.",
            "Unexpected EOF reading RDB file",
        ],
    );
    assert!(log.contains("at byte offset "), "{log}");
}

#[test]
fn server_should_not_start_with_a_wrong_signature() {
    let mut bytes = good_dump();
    bytes[..5].copy_from_slice(b"RADIS");
    assert_refused(
        &bytes,
        &[
            "Wrong signature trying to load DB from file",
            "Fatal error loading the DB: Invalid argument. Exiting.",
        ],
    );
}

#[test]
fn server_should_not_start_with_an_unknown_type_or_a_lying_length() {
    // An unknown value type after the aux fields.
    let mut bytes = b"REDIS0009".to_vec();
    bytes.extend([0xfe, 0x00, 0x64, 0x01, b'k', 0x01, b'v', 0xff]);
    bytes.extend([0u8; 8]); // no checksum
    assert_refused(
        &bytes,
        &["Unknown RDB encoding type 100", "at byte offset 14"],
    );

    // A stream holding an empty listpack (5.0: "Empty listpack inside
    // stream"), and one whose listpack is not a stream's.
    let mut bytes = b"REDIS0009".to_vec();
    bytes.extend([0x0f, 0x01, b'k', 0x01, 0x10]);
    bytes.extend([0u8; 16]);
    bytes.extend([0x07, 0x07, 0, 0, 0, 0, 0, 0xff, 0xff]);
    bytes.extend([0u8; 8]);
    assert_refused(&bytes, &["Empty listpack inside stream"]);
    let mut bytes = b"REDIS0009".to_vec();
    bytes.extend([0x0f, 0x01, b'k', 0x01, 0x10]);
    bytes.extend([0u8; 16]);
    // One element, the string "a".
    bytes.extend([0x0a, 0x0a, 0, 0, 0, 0x01, 0, 0x81, b'a', 0x02, 0xff, 0xff]);
    bytes.extend([0u8; 8]);
    assert_refused(&bytes, &["Stream listpack integrity check failed"]);

    // A string that claims 2^40 bytes.
    let mut bytes = b"REDIS0009".to_vec();
    bytes.extend([0x00, 0x01, b'k', 0x81, 0, 0, 1, 0, 0, 0, 0, 0, b'v', 0xff]);
    bytes.extend([0u8; 8]);
    assert_refused(
        &bytes,
        &["Short read or OOM loading DB", "at byte offset 21"],
    );

    // A ziplist whose header lies about its size.
    let mut bytes = b"REDIS0009".to_vec();
    let zl: [u8; 13] =
        [0xff, 0, 0, 0, 0x0a, 0, 0, 0, 0x02, 0, 0x00, 0xf1, 0xff];
    bytes.extend([13, 0x01, b'h', zl.len() as u8]);
    bytes.extend(zl);
    bytes.push(0xff);
    bytes.extend([0u8; 8]);
    assert_refused(&bytes, &["Hash ziplist integrity check failed"]);
}
