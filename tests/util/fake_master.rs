//! A scripted fake master: a TCP listener that a replica under test is
//! pointed at (`REPLICAOF 127.0.0.1 <port>`), and which a test drives step
//! by step. It answers the handshake as a Redis master would (PING with
//! +PONG, AUTH and REPLCONF with +OK) and hands the test the PSYNC or SYNC
//! the replica sent; from there the test scripts whatever it wants to try:
//! a good RDB, a truncated one, one with a bad CRC, a wrong diskless EOF
//! mark, garbage instead of +FULLRESYNC, +CONTINUE with another replid, a
//! huge `$` length, a command stream cut in the middle of a command.
//!
//! Valid RDB payloads come from a real server (`rdb_from_server`): it is
//! filled with DEBUG POPULATE (or any commands) and saved, and its
//! dump.rdb is read back. Nothing here is a mock of the replica: the
//! replica is the real binary, talking over a real socket.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::sleep;
use std::time::{Duration, Instant};

use super::{encode_command, Server};

/// How long `accept` waits for the replica to connect. The replica's
/// replicationCron connects once a second, so this is a generous bound,
/// not a timing assumption.
const ACCEPT_TIMEOUT: Duration = Duration::from_secs(20);

/// Read timeout on a link: a replica that stops talking fails the test
/// instead of hanging it.
const LINK_TIMEOUT: Duration = Duration::from_secs(20);

/// A replication ID for +FULLRESYNC / +CONTINUE (40 characters).
pub const REPLID: &str = "0123456789abcdef0123456789abcdef01234567";

/// Another replication ID, for "the master's ID changed".
pub const OTHER_REPLID: &str = "fedcba9876543210fedcba9876543210fedcba98";

/// The listener the replica connects to.
pub struct FakeMaster {
    listener: TcpListener,
}

impl FakeMaster {
    /// Listens on a free port of 127.0.0.1.
    pub fn start() -> FakeMaster {
        let listener =
            TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("non-blocking listener");
        FakeMaster { listener }
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().expect("local addr").port()
    }

    pub fn port_str(&self) -> String {
        self.port().to_string()
    }

    /// Waits for the replica's next connection.
    #[track_caller]
    pub fn accept(&self) -> Link {
        let deadline = Instant::now() + ACCEPT_TIMEOUT;
        loop {
            match self.listener.accept() {
                Ok((s, _)) => {
                    s.set_nonblocking(false).expect("blocking link");
                    s.set_read_timeout(Some(LINK_TIMEOUT)).unwrap();
                    s.set_write_timeout(Some(LINK_TIMEOUT)).unwrap();
                    s.set_nodelay(true).unwrap();
                    return Link { s, seen: Vec::new() };
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    if Instant::now() >= deadline {
                        panic!(
                            "no replica connected within {ACCEPT_TIMEOUT:?}"
                        );
                    }
                    sleep(Duration::from_millis(10));
                }
                Err(e) => panic!("accept: {e}"),
            }
        }
    }

    /// Accepts the next connection and answers its handshake (see
    /// `Link::handshake`); returns the link and the PSYNC/SYNC arguments.
    #[track_caller]
    pub fn accept_handshake(&self) -> (Link, Vec<String>) {
        let mut link = self.accept();
        let psync = link.handshake();
        (link, psync)
    }
}

/// One connection from the replica.
pub struct Link {
    pub s: TcpStream,
    /// Every command the replica sent on this link, in order.
    pub seen: Vec<Vec<String>>,
}

impl Link {
    /// One byte, or `None` when the replica closed the link.
    #[track_caller]
    fn byte(&mut self) -> Option<u8> {
        let mut b = [0u8; 1];
        loop {
            match self.s.read(&mut b) {
                Ok(0) => return None,
                Ok(_) => return Some(b[0]),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::ConnectionReset => {
                    return None
                }
                Err(e) => panic!("fake master: read from the replica: {e}"),
            }
        }
    }

    /// A line without its CRLF, or `None` on close.
    #[track_caller]
    fn line(&mut self) -> Option<Vec<u8>> {
        let mut line = Vec::new();
        loop {
            let b = self.byte()?;
            if b == b'\n' {
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Some(line);
            }
            line.push(b);
        }
    }

    /// The next command the replica sends (multibulk or inline; bare
    /// newlines, the replica's keep-alives while it loads, are skipped),
    /// or `None` when it closes the link.
    #[track_caller]
    pub fn read_command(&mut self) -> Option<Vec<String>> {
        loop {
            let line = self.line()?;
            if line.is_empty() {
                continue;
            }
            let args = if line[0] == b'*' {
                let n: usize = text(&line[1..]).parse().expect("*<count>");
                let mut args = Vec::with_capacity(n);
                for _ in 0..n {
                    let head = self.line()?;
                    let len: usize = text(&head[1..]).parse().expect("$<len>");
                    let mut arg = vec![0u8; len + 2];
                    for b in arg.iter_mut() {
                        *b = self.byte()?;
                    }
                    arg.truncate(len);
                    args.push(text(&arg));
                }
                args
            } else {
                text(&line).split_whitespace().map(str::to_string).collect()
            };
            self.seen.push(args.clone());
            return Some(args);
        }
    }

    /// Reads the next command and checks that its name is `name`.
    #[track_caller]
    pub fn expect(&mut self, name: &str) -> Vec<String> {
        match self.read_command() {
            Some(args) if args[0].eq_ignore_ascii_case(name) => args,
            other => panic!("fake master: expected {name}, got {other:?}"),
        }
    }

    /// Answers the handshake as a master does: +PONG to PING, +OK to AUTH
    /// and each REPLCONF; returns the PSYNC (or SYNC) command, unanswered.
    #[track_caller]
    pub fn handshake(&mut self) -> Vec<String> {
        self.expect("PING");
        self.send(b"+PONG\r\n");
        self.answer_handshake()
    }

    /// `handshake` after the PING was answered: +OK to AUTH and REPLCONF
    /// up to the PSYNC or SYNC, which is returned.
    #[track_caller]
    pub fn answer_handshake(&mut self) -> Vec<String> {
        loop {
            let Some(args) = self.read_command() else {
                panic!("fake master: replica closed during the handshake");
            };
            match args[0].to_ascii_uppercase().as_str() {
                "AUTH" | "REPLCONF" => self.send(b"+OK\r\n"),
                "PSYNC" | "SYNC" => return args,
                other => panic!("fake master: unexpected {other} in handshake"),
            }
        }
    }

    /// Sends raw bytes. A replica that already closed the link is not an
    /// error: scripts send garbage precisely to make it close.
    pub fn send(&mut self, bytes: &[u8]) {
        let _ = self.s.write_all(bytes);
    }

    /// Sends one command of the replication stream.
    pub fn send_command(&mut self, args: &[&str]) {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        self.send(&encode_command(&a));
    }

    /// `+FULLRESYNC <replid> <offset>`.
    pub fn full_resync(&mut self, replid: &str, offset: i64) {
        self.send(format!("+FULLRESYNC {replid} {offset}\r\n").as_bytes());
    }

    /// The RDB as a disk-style bulk: `$<len>\r\n<rdb>`.
    pub fn send_rdb(&mut self, rdb: &[u8]) {
        self.send(format!("${}\r\n", rdb.len()).as_bytes());
        self.send(rdb);
    }

    /// The RDB as a diskless transfer: `$EOF:<mark>\r\n<rdb><mark>`, where
    /// the mark at the end may differ from the announced one.
    pub fn send_rdb_eof(&mut self, rdb: &[u8], announced: &str, sent: &str) {
        self.send(format!("$EOF:{announced}\r\n").as_bytes());
        self.send(rdb);
        self.send(sent.as_bytes());
    }

    /// Cuts the link the clean way, as a master that goes away does:
    /// FIN after everything sent, then what the replica still sends is
    /// read until it closes too. Dropping a `Link` instead closes with the
    /// replica's REPLCONF ACKs unread, which makes the kernel send a RST
    /// that discards whatever the replica had not read yet.
    #[track_caller]
    pub fn cut(mut self) {
        let _ = self.s.shutdown(std::net::Shutdown::Write);
        assert!(
            self.wait_closed(LINK_TIMEOUT),
            "fake master: the replica did not close the link after the cut"
        );
    }

    /// Reads (and records) what the replica sends until it closes the
    /// link; true if it did so within `timeout`.
    pub fn wait_closed(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut buf = [0u8; 4096];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            self.s.set_read_timeout(Some(left)).unwrap();
            match self.s.read(&mut buf) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e)
                    if e.kind() == ErrorKind::WouldBlock
                        || e.kind() == ErrorKind::TimedOut =>
                {
                    return false
                }
                Err(_) => return true,
            }
        }
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A valid RDB file as `server` saves it after running `cmds` (each on a
/// fresh connection), e.g. `&[&["DEBUG", "POPULATE", "100"]]`. The server
/// is left running; its dump.rdb is read back.
#[track_caller]
pub fn rdb_from_server(server: &Server, cmds: &[&[&str]]) -> Vec<u8> {
    for c in cmds {
        server.cmd(c);
    }
    server.cmd(&["SAVE"]);
    std::fs::read(server.dir().join("dump.rdb")).expect("read dump.rdb")
}

/// `rdb_from_server` on a new oxredis of our own, plus the DEBUG DIGEST of
/// that data set, for "the replica now holds exactly this".
#[track_caller]
pub fn rdb_and_digest(cmds: &[&[&str]]) -> (Vec<u8>, String) {
    let server = Server::start(&[]);
    let rdb = rdb_from_server(&server, cmds);
    let digest = server.cmd_str(&["DEBUG", "DIGEST"]);
    (rdb, digest)
}
