//! A replica against a master that misbehaves: the scripted fake master
//! of `util::fake_master` answers the handshake and then sends what each
//! case needs (garbage instead of +FULLRESYNC, a truncated RDB, a bad CRC,
//! a wrong diskless EOF mark, a huge `$` length, a stream cut in the
//! middle of a command...). Every case ends with a log line saying what
//! went wrong, a replica that is alive, answers, keeps its file
//! descriptors and retries the sync.
//!
//! With `REDIS_C_SERVER=/path/to/redis-5.0.14/src/redis-server` the cases
//! where 5.0.14 survives run against it too, with the same expected log
//! lines. Where oxredis does better than 5.0.14 (a bad transfer never
//! costs the replica its data; +CONTINUE without a cached master does not
//! crash it) the case runs on oxredis only and says so.

mod util;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use util::fake_master::{
    rdb_and_digest, FakeMaster, Link, OTHER_REPLID, REPLID,
};
use util::{wait_for, Conn, Server};

/// Bound on every wait below (conditions, not timings).
const WAIT: Duration = Duration::from_secs(20);

/// The binaries a case runs against: ours, and Redis 5.0.14 when
/// `REDIS_C_SERVER` names it and the case is one 5.0.14 survives.
fn binaries(c_too: bool) -> Vec<PathBuf> {
    let mut bins = vec![PathBuf::from(util::OXREDIS_BIN)];
    if c_too {
        if let Some(c) = std::env::var_os("REDIS_C_SERVER") {
            bins.push(PathBuf::from(c));
        }
    }
    bins
}

/// The fds of a process with socket inodes left out, so two sets taken
/// at the same point of two handshakes compare equal.
fn fd_shape(server: &Server) -> Vec<String> {
    let mut v: Vec<String> = server
        .open_fds()
        .into_iter()
        .map(
            |(_, t)| if t.starts_with("socket:") { "socket".into() } else { t },
        )
        .collect();
    v.sort();
    v
}

/// A replica with data of its own (saved to its dump.rdb) pointed at a
/// fake master, and what it looked like before.
struct Case {
    replica: Server,
    fm: FakeMaster,
    digest: String,
    /// The replica's dump.rdb before the fake master got to it.
    dump: Option<Vec<u8>>,
    /// The fds while parked at the first PING (see `handshake`).
    fds_at_ping: Option<Vec<String>>,
    /// A connection kept open, so that the baseline of fds can wait for
    /// every other client of the test to be gone.
    conn: Conn,
}

impl Case {
    /// Starts `bin` with `args`, fills it with 100 keys, SAVEs, then
    /// points it at a new fake master.
    #[track_caller]
    fn start(bin: &Path, args: &[&str]) -> Case {
        let replica = Server::start_binary(bin, args);
        replica.cmd(&["DEBUG", "POPULATE", "100", "old"]);
        replica.cmd(&["SAVE"]);
        let digest = replica.cmd_str(&["DEBUG", "DIGEST"]);
        let dump =
            Some(fs::read(replica.dir().join("dump.rdb")).expect("dump.rdb"));
        let fm = FakeMaster::start();
        replica.cmd(&["REPLICAOF", "127.0.0.1", &fm.port_str()]);
        let conn = Conn::new(&replica);
        Case { replica, fm, digest, dump, fds_at_ping: None, conn }
    }

    /// A replica with no data and no dump.rdb, started with
    /// `--replicaof` the fake master (so it has no cached master: it never
    /// was a master and had no RDB to read one from).
    #[track_caller]
    fn fresh(bin: &Path) -> Case {
        let fm = FakeMaster::start();
        let replica = Server::start_binary(
            bin,
            &["--replicaof", "127.0.0.1", &fm.port_str()],
        );
        let digest = replica.cmd_str(&["DEBUG", "DIGEST"]);
        let conn = Conn::new(&replica);
        Case { replica, fm, digest, dump: None, fds_at_ping: None, conn }
    }

    /// Accepts the replica's next connection and answers its handshake,
    /// checking on the way (while the replica waits for +PONG) that it has
    /// the same fds as at the first attempt: a failed attempt leaks none.
    #[track_caller]
    fn handshake(&mut self) -> (Link, Vec<String>) {
        let mut link = self.fm.accept();
        link.expect("PING");
        match &self.fds_at_ping {
            None => {
                // Only `conn` left among the test's clients: nothing
                // closing at the time of the snapshot.
                wait_for(WAIT, || {
                    let info = self.conn.bulk(&["INFO", "clients"]);
                    util::info_field(&info, "connected_clients").as_deref()
                        == Some("1")
                });
                self.fds_at_ping = Some(fd_shape(&self.replica));
            }
            Some(want) => wait_for(WAIT, || &fd_shape(&self.replica) == want),
        }
        link.send(b"+PONG\r\n");
        let psync = link.answer_handshake();
        (link, psync)
    }

    /// Waits for `line` in the replica's log.
    #[track_caller]
    fn wait_log(&self, line: &str) {
        let found = (0..2000).any(|_| {
            if self.replica.log().contains(line) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
            false
        });
        assert!(
            found,
            "{line:?} not in the replica's log:\n{}",
            self.replica.log()
        );
    }

    /// The replica is alive, answers, did not panic, and still holds its
    /// own data set and dump.rdb, with no temp file left behind.
    #[track_caller]
    fn assert_data_kept(&mut self) {
        self.assert_sane();
        assert_eq!(self.replica.cmd_str(&["DEBUG", "DIGEST"]), self.digest);
        let dump = fs::read(self.replica.dir().join("dump.rdb")).ok();
        assert!(dump == self.dump, "dump.rdb changed");
        wait_for(WAIT, || temp_files(self.replica.dir()).is_empty());
    }

    /// Alive, answers PING, no panic or crash report in the log.
    #[track_caller]
    fn assert_sane(&mut self) {
        assert!(self.replica.is_alive(), "{}", self.replica.log());
        assert_eq!(self.replica.cmd_str(&["PING"]), "PONG");
        let log = self.replica.log();
        assert!(!log.contains("panicked"), "{log}");
        assert!(!log.contains("BUG REPORT"), "{log}");
    }

    /// After a failure: the replica comes back for another handshake
    /// (with no fd leaked, see `handshake`) and a good full sync works.
    #[track_caller]
    fn retry_and_sync(&mut self) {
        let (rdb, digest) =
            rdb_and_digest(&[&["DEBUG", "POPULATE", "10", "new"]]);
        let (mut link, psync) = self.handshake();
        assert_eq!(psync[0], "PSYNC");
        link.full_resync(REPLID, 0);
        link.send_rdb(&rdb);
        self.wait_log("MASTER <-> REPLICA sync: Finished with success");
        wait_for(WAIT, || self.replica.info("master_link_status") == "up");
        assert_eq!(self.replica.cmd_str(&["DEBUG", "DIGEST"]), digest);
        self.assert_sane();
    }
}

/// The length of a command in the replication stream.
fn len(args: &[&str]) -> i64 {
    let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
    util::encode_command(&a).len() as i64
}

/// The replica's temp files of an unfinished transfer.
fn temp_files(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("temp-") && n.ends_with(".rdb"))
        .collect()
}

// ------------------------------- handshake -------------------------------

#[test]
fn good_full_sync_then_command_stream() {
    for bin in binaries(true) {
        let mut case = Case::start(&bin, &[]);
        let (rdb, digest) =
            rdb_and_digest(&[&["DEBUG", "POPULATE", "10", "new"]]);
        let (mut link, psync) = case.handshake();
        // A master turned replica offers its own history first.
        assert_eq!(psync[0], "PSYNC");
        link.full_resync(REPLID, 100);
        link.send_rdb(&rdb);
        case.wait_log("MASTER <-> REPLICA sync: Finished with success");
        assert_eq!(case.replica.cmd_str(&["DEBUG", "DIGEST"]), digest);
        link.send_command(&["SELECT", "0"]);
        link.send_command(&["SET", "k", "v"]);
        wait_for(WAIT, || case.replica.cmd_str(&["GET", "k"]) == "v");
        let off = 100 + len(&["SELECT", "0"]) + len(&["SET", "k", "v"]);
        wait_for(WAIT, || case.replica.info_i64("master_repl_offset") == off);
        case.assert_sane();
    }
}

#[test]
fn master_closing_before_pong_logs_eagain_like_5_0_14() {
    for bin in binaries(true) {
        let mut case = Case::start(&bin, &[]);
        let mut link = case.fm.accept();
        link.expect("PING");
        link.cut();
        // 5.0.14 prints the errno left by the event loop's last
        // non-blocking call when the master closes the link.
        case.wait_log(
            "Error reply to PING from master: '-Reading from master: Resource temporarily unavailable'",
        );
        case.assert_data_kept();
        case.retry_and_sync();
    }
}

#[test]
fn error_reply_to_ping_is_logged_and_retried() {
    for bin in binaries(true) {
        let mut case = Case::start(&bin, &[]);
        let mut link = case.fm.accept();
        link.expect("PING");
        link.send(b"-ERR go away\r\n");
        case.wait_log("Error reply to PING from master: '-ERR go away'");
        case.assert_data_kept();
        case.retry_and_sync();
    }
}

#[test]
fn garbage_instead_of_fullresync_falls_back_to_sync() {
    for bin in binaries(true) {
        let mut case = Case::start(&bin, &[]);
        let (mut link, _) = case.handshake();
        link.send(b"hello world\r\n");
        case.wait_log("Unexpected reply to PSYNC from master: hello world");
        case.wait_log("Retrying with SYNC...");
        assert_eq!(link.expect("SYNC"), ["SYNC"]);
        link.cut();
        case.wait_log("I/O error reading bulk count from MASTER:");
        case.assert_data_kept();
        case.retry_and_sync();
    }
}

#[test]
fn psync_reply_starting_with_nul_is_a_keepalive() {
    // C reads the reply into a C string: a line starting with NUL is
    // empty, so the replica keeps waiting for the real reply.
    for bin in binaries(true) {
        let mut case = Case::start(&bin, &[]);
        let (rdb, digest) =
            rdb_and_digest(&[&["DEBUG", "POPULATE", "10", "new"]]);
        let (mut link, _) = case.handshake();
        link.send(b"\0garbage\r\n");
        link.full_resync(REPLID, 0);
        link.send_rdb(&rdb);
        case.wait_log("MASTER <-> REPLICA sync: Finished with success");
        assert_eq!(case.replica.cmd_str(&["DEBUG", "DIGEST"]), digest);
        let log = case.replica.log();
        assert!(!log.contains("Unexpected reply to PSYNC"), "{log}");
        assert!(!log.contains("Retrying with SYNC"), "{log}");
        case.assert_sane();
    }
}

#[test]
fn wrong_fullresync_syntax_is_logged() {
    for bin in binaries(true) {
        let mut case = Case::start(&bin, &[]);
        let (mut link, _) = case.handshake();
        link.send(b"+FULLRESYNC short 0\r\n");
        case.wait_log("Master replied with wrong +FULLRESYNC syntax.");
        link.cut();
        case.wait_log("I/O error reading bulk count from MASTER:");
        case.assert_data_kept();
        case.retry_and_sync();
    }
}

#[test]
fn continue_without_cached_master_is_refused_not_crashed_on() {
    // 5.0.14 dereferences the missing cached master and crashes: oxredis
    // only.
    for bin in binaries(false) {
        // A replica that never was a master has no cached master.
        let mut case = Case::fresh(&bin);
        let (mut link, psync) = case.handshake();
        assert_eq!(psync, ["PSYNC", "?", "-1"]);
        link.send(b"+CONTINUE\r\n");
        case.wait_log("Unexpected reply to PSYNC from master: +CONTINUE");
        let log = case.replica.log();
        assert!(!log.contains("Successful partial resynchronization"), "{log}");
        assert!(link.wait_closed(WAIT), "the replica closes the link");
        case.assert_sane();
        case.retry_and_sync();
    }
}

// ------------------------------ the RDB bulk ------------------------------

#[test]
fn error_instead_of_bulk_is_logged() {
    for bin in binaries(true) {
        let mut case = Case::start(&bin, &[]);
        let (mut link, _) = case.handshake();
        link.full_resync(REPLID, 0);
        link.send(b"-ERR no RDB for you\r\n");
        case.wait_log(
            "MASTER aborted replication with an error: ERR no RDB for you",
        );
        case.assert_data_kept();
        case.retry_and_sync();
    }
}

#[test]
fn bad_first_byte_of_bulk_is_logged() {
    for bin in binaries(true) {
        let mut case = Case::start(&bin, &[]);
        let (mut link, _) = case.handshake();
        link.full_resync(REPLID, 0);
        link.send(b"hello\r\n");
        case.wait_log(
            "Bad protocol from MASTER, the first byte is not '$' (we received 'hello'), are you sure the host and port are right?",
        );
        case.assert_data_kept();
        case.retry_and_sync();
    }
}

#[test]
fn huge_bulk_length_then_close_keeps_data() {
    for bin in binaries(true) {
        let mut case = Case::start(&bin, &[]);
        let (rdb, _) = rdb_and_digest(&[&["DEBUG", "POPULATE", "10", "new"]]);
        let (mut link, _) = case.handshake();
        link.full_resync(REPLID, 0);
        link.send(b"$999999999999999\r\n");
        link.send(&rdb);
        case.wait_log(
            "MASTER <-> REPLICA sync: receiving 999999999999999 bytes from master",
        );
        link.cut();
        case.wait_log("I/O error trying to sync with MASTER: connection lost");
        case.assert_data_kept();
        case.retry_and_sync();
    }
}

#[test]
fn negative_bulk_length_is_refused() {
    // 5.0.14 hands read(2) the negative rest as a huge count into a 4 KiB
    // stack buffer: oxredis only.
    for bin in binaries(false) {
        let mut case = Case::start(&bin, &[]);
        let (mut link, _) = case.handshake();
        link.full_resync(REPLID, 0);
        link.send(b"$-1\r\n");
        link.send(&[b'x'; 8192]);
        case.wait_log(
            "Bad protocol from MASTER, negative bulk length (we received '$-1')",
        );
        assert!(link.wait_closed(WAIT), "the replica closes the link");
        case.assert_data_kept();
        case.retry_and_sync();
    }
}

#[test]
fn payload_shorter_than_its_length_keeps_data() {
    for bin in binaries(true) {
        let mut case = Case::start(&bin, &[]);
        let (rdb, _) = rdb_and_digest(&[&["DEBUG", "POPULATE", "10", "new"]]);
        let (mut link, _) = case.handshake();
        link.full_resync(REPLID, 0);
        link.send(format!("${}\r\n", rdb.len()).as_bytes());
        link.send(&rdb[..rdb.len() / 2]);
        link.cut();
        case.wait_log("I/O error trying to sync with MASTER: connection lost");
        case.assert_data_kept();
        case.retry_and_sync();
    }
}

#[test]
fn diskless_wrong_eof_mark_keeps_data() {
    for bin in binaries(true) {
        let mut case = Case::start(&bin, &[]);
        let (rdb, _) = rdb_and_digest(&[&["DEBUG", "POPULATE", "10", "new"]]);
        let (mut link, _) = case.handshake();
        link.full_resync(REPLID, 0);
        link.send_rdb_eof(&rdb, REPLID, OTHER_REPLID);
        case.wait_log(
            "MASTER <-> REPLICA sync: receiving streamed RDB from master",
        );
        link.cut();
        case.wait_log("I/O error trying to sync with MASTER: connection lost");
        case.assert_data_kept();
        case.retry_and_sync();
    }
}

#[test]
fn diskless_good_transfer_syncs() {
    for bin in binaries(true) {
        let mut case = Case::start(&bin, &[]);
        let (rdb, digest) =
            rdb_and_digest(&[&["DEBUG", "POPULATE", "10", "new"]]);
        let (mut link, _) = case.handshake();
        link.full_resync(REPLID, 0);
        link.send_rdb_eof(&rdb, REPLID, REPLID);
        case.wait_log("MASTER <-> REPLICA sync: Finished with success");
        assert_eq!(case.replica.cmd_str(&["DEBUG", "DIGEST"]), digest);
        case.assert_sane();
    }
}

// ---------------- bad RDB content: better than 5.0.14 ----------------
//
// 5.0.14 flushes its data, renames the bad file over dump.rdb and exits
// (or, for a bad signature, stays up empty); oxredis checks the file
// first and keeps both. oxredis only.

/// Sends `payload` as a disk-style bulk of exactly its length and checks
/// that the replica rejects it with `reason` in its log and keeps its
/// data, then syncs from a good one.
#[track_caller]
fn rejected_payload_keeps_data(payload: &[u8], diskless: bool, reason: &str) {
    for bin in binaries(false) {
        let mut case = Case::start(&bin, &[]);
        let (mut link, _) = case.handshake();
        link.full_resync(REPLID, 0);
        if diskless {
            link.send_rdb_eof(payload, REPLID, REPLID);
        } else {
            link.send_rdb(payload);
        }
        case.wait_log(
            "Failed trying to load the MASTER synchronization DB from disk",
        );
        case.wait_log(reason);
        assert!(link.wait_closed(WAIT), "the replica closes the link");
        let log = case.replica.log();
        assert!(!log.contains("Flushing old data"), "{log}");
        case.assert_data_kept();
        case.retry_and_sync();
    }
}

#[test]
fn truncated_rdb_with_matching_length_keeps_data() {
    let (rdb, _) = rdb_and_digest(&[&["DEBUG", "POPULATE", "100", "new"]]);
    rejected_payload_keeps_data(&rdb[..rdb.len() / 2], false, "Unexpected EOF");
}

#[test]
fn rdb_without_its_eof_and_checksum_keeps_data() {
    let (rdb, _) = rdb_and_digest(&[&["DEBUG", "POPULATE", "100", "new"]]);
    rejected_payload_keeps_data(&rdb[..rdb.len() - 9], false, "Unexpected EOF");
}

#[test]
fn rdb_with_bad_crc_keeps_data() {
    let (mut rdb, _) = rdb_and_digest(&[&["DEBUG", "POPULATE", "100", "new"]]);
    let last = rdb.len() - 1;
    rdb[last] ^= 0xff;
    rejected_payload_keeps_data(&rdb, false, "RDB CRC error");
}

#[test]
fn diskless_rdb_with_bad_crc_keeps_data() {
    let (mut rdb, _) = rdb_and_digest(&[&["DEBUG", "POPULATE", "100", "new"]]);
    let last = rdb.len() - 1;
    rdb[last] ^= 0xff;
    rejected_payload_keeps_data(&rdb, true, "RDB CRC error");
}

#[test]
fn diskless_truncated_rdb_keeps_data() {
    let (rdb, _) = rdb_and_digest(&[&["DEBUG", "POPULATE", "100", "new"]]);
    rejected_payload_keeps_data(&rdb[..rdb.len() / 3], true, "Unexpected EOF");
}

#[test]
fn garbage_payload_keeps_data() {
    rejected_payload_keeps_data(
        b"this is not an RDB file at all",
        false,
        "Wrong signature trying to load DB from file",
    );
}

#[test]
fn rdb_with_a_key_twice_keeps_data() {
    // Checksum 0 (disabled): only the structure can tell.
    let mut rdb = b"REDIS0009".to_vec();
    for _ in 0..2 {
        rdb.extend_from_slice(b"\x00\x01k\x01v");
    }
    rdb.extend_from_slice(b"\xff\0\0\0\0\0\0\0\0");
    rejected_payload_keeps_data(&rdb, false, "Duplicate key in the RDB file");
}

// --------------------------- partial resync ---------------------------

/// A replica synced with the fake master at offset 100, with the link
/// still open.
#[track_caller]
fn synced(bin: &Path) -> (Case, Link) {
    let mut case = Case::start(bin, &[]);
    let (rdb, _) = rdb_and_digest(&[&["DEBUG", "POPULATE", "10", "new"]]);
    let (mut link, _) = case.handshake();
    link.full_resync(REPLID, 100);
    link.send_rdb(&rdb);
    case.wait_log("MASTER <-> REPLICA sync: Finished with success");
    (case, link)
}

#[test]
fn cut_in_the_middle_of_a_command_counts_the_commands_before_it() {
    for bin in binaries(true) {
        let (mut case, mut link) = synced(&bin);
        // The SET after the SELECT is cut.
        link.send_command(&["SELECT", "0"]);
        link.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk");
        link.cut();
        case.wait_log("Caching the disconnected master state.");
        let (_link, psync) = case.handshake();
        let off = 100 + len(&["SELECT", "0"]);
        assert_eq!(psync, ["PSYNC", REPLID, &(off + 1).to_string()]);
        case.assert_sane();
    }
}

#[test]
fn continue_with_a_new_replid_switches_to_it() {
    for bin in binaries(true) {
        let (mut case, mut link) = synced(&bin);
        link.send_command(&["SELECT", "0"]);
        link.send_command(&["SET", "a", "1"]);
        wait_for(WAIT, || case.replica.cmd_str(&["GET", "a"]) == "1");
        link.cut();
        case.wait_log("Caching the disconnected master state.");
        let (mut link, psync) = case.handshake();
        let off = 100 + len(&["SELECT", "0"]) + len(&["SET", "a", "1"]);
        assert_eq!(psync, ["PSYNC", REPLID, &(off + 1).to_string()]);
        link.send(format!("+CONTINUE {OTHER_REPLID}\r\n").as_bytes());
        case.wait_log("Successful partial resynchronization with master.");
        case.wait_log(&format!(
            "Master replication ID changed to {OTHER_REPLID}"
        ));
        case.wait_log("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
        link.send_command(&["SET", "b", "2"]);
        wait_for(WAIT, || case.replica.cmd_str(&["GET", "b"]) == "2");
        assert_eq!(case.replica.info("master_replid"), OTHER_REPLID);
        assert_eq!(case.replica.info("master_replid2"), REPLID);
        case.assert_sane();
    }
}

/// The cases below check the offset the replica asks for after a cut:
/// the master client's reploff counts each processed command, and never
/// the partial one after it (C: processInputBuffer()).
#[test]
fn stream_cut_in_the_same_write_as_the_rdb() {
    for bin in binaries(true) {
        let mut case = Case::start(&bin, &[]);
        let (rdb, _) = rdb_and_digest(&[&["DEBUG", "POPULATE", "10", "new"]]);
        let (mut link, _) = case.handshake();
        let mut bytes = format!("+FULLRESYNC {REPLID} 0\r\n${}\r\n", rdb.len())
            .into_bytes();
        bytes.extend_from_slice(&rdb);
        bytes.extend_from_slice(&util::encode_command(&[b"SELECT", b"0"]));
        bytes.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1\r\nk");
        link.send(&bytes);
        link.cut();
        case.wait_log("Caching the disconnected master state.");
        let (_link, psync) = case.handshake();
        assert_eq!(psync, ["PSYNC", REPLID, "24"]);
        case.assert_sane();
    }
}

#[test]
fn master_timeout_in_the_middle_of_a_command() {
    for bin in binaries(true) {
        let mut case = Case::start(&bin, &["--repl-timeout", "1"]);
        let (rdb, _) = rdb_and_digest(&[&["DEBUG", "POPULATE", "10", "new"]]);
        let (mut link, _) = case.handshake();
        link.full_resync(REPLID, 0);
        link.send_rdb(&rdb);
        case.wait_log("MASTER <-> REPLICA sync: Finished with success");
        link.send_command(&["SELECT", "0"]);
        link.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk");
        case.wait_log("MASTER timeout: no data nor PING received...");
        case.wait_log("Caching the disconnected master state.");
        let (_link, psync) = case.handshake();
        assert_eq!(psync, ["PSYNC", REPLID, "24"], "{bin:?}");
        drop(link);
        case.assert_sane();
    }
}

#[test]
fn stream_cut_right_after_continue() {
    for bin in binaries(true) {
        let mut case = Case::start(&bin, &[]);
        let (mut link, psync) = case.handshake();
        assert_eq!(psync[2], "1");
        let mut bytes = b"+CONTINUE\r\n".to_vec();
        bytes.extend_from_slice(&util::encode_command(&[b"SELECT", b"0"]));
        bytes.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1\r\nk");
        link.send(&bytes);
        link.cut();
        case.wait_log("Caching the disconnected master state.");
        let (_link, psync2) = case.handshake();
        assert_eq!(psync2, ["PSYNC", &psync[1], "24"], "{bin:?}");
        case.assert_sane();
    }
}

/// Many 16 KiB reads before the cut. (A fake master that closes with the
/// replica's REPLCONF ACKs unread makes the kernel reset the link and
/// drop what the replica had not read yet, 5.0.14 and oxredis alike: that
/// is why `Link::cut` reads before it closes.)
#[test]
fn stream_cut_after_many_reads() {
    for bin in binaries(true) {
        let (mut case, mut link) = synced(&bin);
        let val = "x".repeat(1000);
        let mut bytes = util::encode_command(&[b"SELECT", b"0"]);
        let mut off = 100 + bytes.len() as i64;
        for i in 0..100 {
            let k = format!("key:{i}");
            let c =
                util::encode_command(&[b"SET", k.as_bytes(), val.as_bytes()]);
            off += c.len() as i64;
            bytes.extend_from_slice(&c);
        }
        bytes.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1\r\nk");
        link.send(&bytes);
        link.cut();
        case.wait_log("Caching the disconnected master state.");
        let (_link, psync2) = case.handshake();
        assert_eq!(
            psync2,
            ["PSYNC", REPLID, &(off + 1).to_string()],
            "{bin:?}"
        );
        case.assert_sane();
    }
}

#[test]
fn protocol_error_in_the_stream_drops_the_master_uncached() {
    // The replica answers the bad bulk length with an error (logged, as
    // it must never happen), flags the master CLOSE_AFTER_REPLY and frees
    // it without caching it: the next sync is a full one.
    for bin in binaries(true) {
        let (mut case, mut link) = synced(&bin);
        link.send_command(&["SELECT", "0"]);
        link.send(b"*3\r\n$3\r\nSET\r\n$x\r\n");
        case.wait_log(
            "== CRITICAL == This replica is sending an error to its master: 'Protocol error: invalid bulk length' after processing the command 'select'",
        );
        case.wait_log("Connection with master lost.");
        assert!(link.wait_closed(WAIT), "the replica closes the link");
        let (_link, psync) = case.handshake();
        assert_eq!(psync, ["PSYNC", "?", "-1"], "{bin:?}");
        assert!(!case.replica.log().contains("Caching the disconnected"));
        case.assert_sane();
    }
}
