//! A TCP fault proxy for the replication fault tests: it listens on a free
//! 127.0.0.1 port and forwards every connection to a target, and on request
//! drops the link after N bytes, stalls it (stops forwarding) and resumes
//! it, or cuts it right before or after a named step of the replica/master
//! protocol.
//!
//! Put it between a replica and its master (`REPLICAOF 127.0.0.1
//! <proxy.port()>`). Bytes from the connecting side (the replica) to the
//! target (the master) go `Up`; the target's bytes go `Down`. Each direction
//! runs through a small parser that names the steps as they pass:
//!
//! - `Up`: the replica's handshake commands `PING`, `AUTH`, `REPLCONF
//!   listening-port`, `REPLCONF capa`, `PSYNC` (or `SYNC`);
//! - `Down`: the master's `+FULLRESYNC` line, the payload start (`$<len>` or
//!   `$EOF:<mark>`), the middle of the payload, and each command of the
//!   stream that follows it.
//!
//! A plan (`cut_at`, `stall_at`, `cut_after_bytes`) fires once, on the
//! first link that reaches it, and is then disarmed, so the replica's next
//! attempt goes through. One thread accepts and two threads per link pump
//! bytes; every blocking read has a short timeout so the threads notice a
//! cut, a stall or the proxy being dropped.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, sleep, JoinHandle};
use std::time::{Duration, Instant};

/// Where a byte travels: `Up` from the connecting side (the replica) to the
/// target (the master), `Down` back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    Up,
    Down,
}

impl Dir {
    fn idx(self) -> usize {
        match self {
            Dir::Up => 0,
            Dir::Down => 1,
        }
    }
}

/// A named step of the replica/master protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// `Up`: the replica's first PING.
    Ping,
    /// `Up`: AUTH <masterauth>.
    Auth,
    /// `Up`: REPLCONF listening-port <port>.
    ReplconfPort,
    /// `Up`: REPLCONF capa eof capa psync2.
    ReplconfCapa,
    /// `Up`: PSYNC <replid> <offset> (or the old SYNC).
    Psync,
    /// `Down`: the `+FULLRESYNC <replid> <offset>` line.
    FullResync,
    /// `Down`: the `$<len>` or `$EOF:<mark>` line that opens the RDB.
    PayloadStart,
    /// `Down`: the middle of the RDB payload (half of `$<len>`, or
    /// `MID_EOF_PAYLOAD` bytes into a `$EOF:` payload).
    MidPayload,
    /// `Down`: one command of the stream after the payload (or after
    /// `+CONTINUE`).
    Streaming,
}

/// Where a plan fires: right before the step's first byte, or right after
/// its last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum At {
    Before(Step),
    After(Step),
}

/// How far into a `$EOF:` payload, whose length is not announced,
/// `Step::MidPayload` is.
pub const MID_EOF_PAYLOAD: u64 = 256 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    Cut,
    Stall,
}

#[derive(Default)]
struct Plan {
    at: Option<(At, Action)>,
    bytes: Option<(Dir, u64, Action)>,
}

/// One live link: both sockets, for cutting it from outside its threads.
struct Link {
    client: TcpStream,
    upstream: TcpStream,
    dead: Arc<AtomicBool>,
}

impl Link {
    fn cut(&self) {
        self.dead.store(true, Ordering::SeqCst);
        let _ = self.client.shutdown(Shutdown::Both);
        let _ = self.upstream.shutdown(Shutdown::Both);
    }
}

struct Shared {
    target: Mutex<SocketAddr>,
    plan: Mutex<Plan>,
    stalled: [AtomicBool; 2],
    stop: AtomicBool,
    links: Mutex<Vec<Link>>,
    /// Every step seen, in order, over all links.
    seen: Mutex<Vec<Step>>,
    /// What the plans did, as text ("cut after Psync", "stall at 1000 Down").
    fired: Mutex<Vec<String>>,
    bytes: [AtomicU64; 2],
    accepted: AtomicU64,
}

/// The proxy; dropping it stops the threads and cuts every link.
pub struct Proxy {
    port: u16,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

/// How long a pump blocks in one read before it looks at its flags again.
const POLL: Duration = Duration::from_millis(20);

impl Proxy {
    /// Listens on a free 127.0.0.1 port and forwards to `target`.
    pub fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy bind");
        let port = listener.local_addr().expect("proxy addr").port();
        listener.set_nonblocking(true).expect("proxy nonblocking");
        let shared = Arc::new(Shared {
            target: Mutex::new(target),
            plan: Mutex::new(Plan::default()),
            stalled: [AtomicBool::new(false), AtomicBool::new(false)],
            stop: AtomicBool::new(false),
            links: Mutex::new(Vec::new()),
            seen: Mutex::new(Vec::new()),
            fired: Mutex::new(Vec::new()),
            bytes: [AtomicU64::new(0), AtomicU64::new(0)],
            accepted: AtomicU64::new(0),
        });
        let sh = shared.clone();
        let acceptor = thread::spawn(move || accept_loop(listener, sh));
        Proxy { port, shared, acceptor: Some(acceptor) }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn port_str(&self) -> String {
        self.port.to_string()
    }

    /// Forwards new links to `target` from now on (a restarted server).
    pub fn set_target(&self, target: SocketAddr) {
        *self.shared.target.lock().unwrap() = target;
    }

    /// Cuts the next link that reaches `at` right there (once).
    pub fn cut_at(&self, at: At) {
        self.shared.plan.lock().unwrap().at = Some((at, Action::Cut));
    }

    /// Stalls the direction of the step when a link reaches `at` (once):
    /// bytes up to that point are forwarded, then nothing until `resume`.
    pub fn stall_at(&self, at: At) {
        self.shared.plan.lock().unwrap().at = Some((at, Action::Stall));
    }

    /// Cuts the next link once `n` bytes have gone `dir` on it (once).
    pub fn cut_after_bytes(&self, dir: Dir, n: u64) {
        self.shared.plan.lock().unwrap().bytes = Some((dir, n, Action::Cut));
    }

    /// Stalls `dir` once `n` bytes have gone that way on a link (once).
    pub fn stall_after_bytes(&self, dir: Dir, n: u64) {
        self.shared.plan.lock().unwrap().bytes = Some((dir, n, Action::Stall));
    }

    /// Whether a plan is still waiting to fire.
    pub fn armed(&self) -> bool {
        let p = self.shared.plan.lock().unwrap();
        p.at.is_some() || p.bytes.is_some()
    }

    /// Stops forwarding `dir` on every link (the sockets stay open, so the
    /// sender's buffers fill up and it blocks, like a slow peer).
    pub fn stall(&self, dir: Dir) {
        self.shared.stalled[dir.idx()].store(true, Ordering::SeqCst);
    }

    /// Forwards both directions again.
    pub fn resume(&self) {
        for s in &self.shared.stalled {
            s.store(false, Ordering::SeqCst);
        }
    }

    pub fn is_stalled(&self, dir: Dir) -> bool {
        self.shared.stalled[dir.idx()].load(Ordering::SeqCst)
    }

    /// Cuts every live link now.
    pub fn cut_all(&self) {
        for l in self.shared.links.lock().unwrap().drain(..) {
            l.cut();
        }
    }

    /// The steps seen so far on all links, in order.
    pub fn seen(&self) -> Vec<Step> {
        self.shared.seen.lock().unwrap().clone()
    }

    /// What the plans did so far ("cut After(Psync)", ...).
    pub fn fired(&self) -> Vec<String> {
        self.shared.fired.lock().unwrap().clone()
    }

    /// Bytes forwarded `dir` over all links.
    pub fn bytes(&self, dir: Dir) -> u64 {
        self.shared.bytes[dir.idx()].load(Ordering::SeqCst)
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> u64 {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Waits until `step` has been seen, panicking after `timeout`.
    #[track_caller]
    pub fn wait_seen(&self, step: Step, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while !self.seen().contains(&step) {
            if Instant::now() > deadline {
                panic!(
                    "proxy: {step:?} not seen within {timeout:?}; seen {:?}",
                    self.seen()
                );
            }
            sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.resume();
        self.cut_all();
        if let Some(h) = self.acceptor.take() {
            let _ = h.join();
        }
    }
}

fn accept_loop(listener: TcpListener, sh: Arc<Shared>) {
    let mut pumps: Vec<JoinHandle<()>> = Vec::new();
    while !sh.stop.load(Ordering::SeqCst) {
        let client = match listener.accept() {
            Ok((s, _)) => s,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                sleep(Duration::from_millis(5));
                continue;
            }
            Err(_) => continue,
        };
        sh.accepted.fetch_add(1, Ordering::SeqCst);
        let target = *sh.target.lock().unwrap();
        let Ok(upstream) =
            TcpStream::connect_timeout(&target, Duration::from_secs(2))
        else {
            // The target is down: the replica sees its connection closed.
            drop(client);
            continue;
        };
        let _ = client.set_nonblocking(false);
        let _ = client.set_nodelay(true);
        let _ = upstream.set_nodelay(true);
        let dead = Arc::new(AtomicBool::new(false));
        let (Ok(c2), Ok(u2), Ok(c3), Ok(u3)) = (
            client.try_clone(),
            upstream.try_clone(),
            client.try_clone(),
            upstream.try_clone(),
        ) else {
            continue;
        };
        sh.links.lock().unwrap().push(Link {
            client: c3,
            upstream: u3,
            dead: dead.clone(),
        });
        let (sh1, d1) = (sh.clone(), dead.clone());
        pumps.push(thread::spawn(move || pump(sh1, Dir::Up, client, u2, d1)));
        let sh2 = sh.clone();
        pumps.push(thread::spawn(move || {
            pump(sh2, Dir::Down, upstream, c2, dead)
        }));
        pumps.retain(|h| !h.is_finished());
    }
    for h in pumps {
        let _ = h.join();
    }
}

/// Forwards `src` to `dst` in direction `dir` until either side closes,
/// the link is cut or the proxy stops.
fn pump(
    sh: Arc<Shared>,
    dir: Dir,
    mut src: TcpStream,
    mut dst: TcpStream,
    dead: Arc<AtomicBool>,
) {
    let _ = src.set_read_timeout(Some(POLL));
    let mut parser = Parser::new(dir);
    let mut total: u64 = 0; // bytes forwarded this way on this link
    let mut buf = vec![0u8; 16 * 1024];
    let finish = |sh: &Shared, dead: &Arc<AtomicBool>| {
        let mut links = sh.links.lock().unwrap();
        links.retain(|l| {
            if Arc::ptr_eq(&l.dead, dead) {
                l.cut();
                false
            } else {
                true
            }
        });
        dead.store(true, Ordering::SeqCst);
    };
    loop {
        if sh.stop.load(Ordering::SeqCst) || dead.load(Ordering::SeqCst) {
            break;
        }
        if sh.stalled[dir.idx()].load(Ordering::SeqCst) {
            sleep(Duration::from_millis(5));
            continue;
        }
        let n = match src.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e)
                if e.kind() == ErrorKind::WouldBlock
                    || e.kind() == ErrorKind::TimedOut
                    || e.kind() == ErrorKind::Interrupted =>
            {
                continue
            }
            Err(_) => break,
        };
        let chunk = &buf[..n];
        let events = parser.feed(chunk);
        let (fire_at, action) = decide(&sh, dir, &events, total, n);
        let upto = fire_at.unwrap_or(n);
        if upto > 0 && dst.write_all(&chunk[..upto]).is_err() {
            break;
        }
        total += upto as u64;
        sh.bytes[dir.idx()].fetch_add(upto as u64, Ordering::SeqCst);
        match (fire_at, action) {
            (Some(_), Some(Action::Cut)) => break,
            (Some(_), Some(Action::Stall)) => {
                sh.stalled[dir.idx()].store(true, Ordering::SeqCst);
                // The rest of this chunk goes out once resumed.
                while sh.stalled[dir.idx()].load(Ordering::SeqCst)
                    && !sh.stop.load(Ordering::SeqCst)
                    && !dead.load(Ordering::SeqCst)
                {
                    sleep(Duration::from_millis(5));
                }
                if dst.write_all(&chunk[upto..]).is_err() {
                    break;
                }
                total += (n - upto) as u64;
                sh.bytes[dir.idx()]
                    .fetch_add((n - upto) as u64, Ordering::SeqCst);
            }
            _ => {}
        }
    }
    finish(&sh, &dead);
}

/// Records the steps of one chunk and decides whether a plan fires in it:
/// returns how many bytes of the chunk to forward before acting, and what
/// to do.
fn decide(
    sh: &Shared,
    dir: Dir,
    events: &[Event],
    chunk_start: u64,
    n: usize,
) -> (Option<usize>, Option<Action>) {
    let mut plan = sh.plan.lock().unwrap();
    sh.seen.lock().unwrap().extend(events.iter().map(|e| e.step));
    if let Some((at, action)) = plan.at {
        for e in events {
            let pos = match at {
                At::Before(s) if s == e.step => e.start,
                At::After(s) if s == e.step => e.end,
                _ => continue,
            };
            let pos = pos.saturating_sub(chunk_start).min(n as u64) as usize;
            plan.at = None;
            sh.fired.lock().unwrap().push(format!("{action:?} {at:?}"));
            return (Some(pos), Some(action));
        }
    }
    if let Some((d, limit, action)) = plan.bytes {
        if d == dir && chunk_start + n as u64 >= limit {
            let pos = limit.saturating_sub(chunk_start) as usize;
            plan.bytes = None;
            sh.fired
                .lock()
                .unwrap()
                .push(format!("{action:?} after {limit} bytes {dir:?}"));
            return (Some(pos), Some(action));
        }
    }
    (None, None)
}

// ------------------------------- the parsers -------------------------------

/// A step seen in a stream, with the stream offsets of its first byte and
/// of the byte after its last.
#[derive(Clone, Copy, Debug)]
struct Event {
    step: Step,
    start: u64,
    end: u64,
}

#[derive(Debug)]
enum State {
    /// `Up`: commands. `Down`: replies before the payload.
    Lines,
    /// `Down`: after +FULLRESYNC, before the `$` line.
    PreBulk,
    /// `Down`: inside a `$<len>` payload.
    Payload { start: u64, len: u64 },
    /// `Down`: inside a `$EOF:<mark>` payload.
    PayloadEof { start: u64, mark: Vec<u8>, tail: Vec<u8> },
    /// `Down`: the command stream.
    Stream,
}

struct Parser {
    dir: Dir,
    state: State,
    /// Bytes not yet parsed (a partial line or command).
    pending: Vec<u8>,
    /// Stream offset of `pending[0]`.
    off: u64,
    mid_sent: bool,
}

impl Parser {
    fn new(dir: Dir) -> Parser {
        Parser {
            dir,
            state: State::Lines,
            pending: Vec::new(),
            off: 0,
            mid_sent: false,
        }
    }

    /// Takes the next chunk of the stream and returns the steps completed
    /// in it.
    fn feed(&mut self, chunk: &[u8]) -> Vec<Event> {
        let mut out = Vec::new();
        let mut data = chunk;
        while !data.is_empty() {
            let consumed = match &mut self.state {
                State::Payload { start, len } => {
                    let (start, len) = (*start, *len);
                    let end = start + len;
                    let here = self.off;
                    let take = (end - here).min(data.len() as u64) as usize;
                    let mid = start + len / 2;
                    if !self.mid_sent && here <= mid && mid < here + take as u64
                    {
                        self.mid_sent = true;
                        out.push(Event {
                            step: Step::MidPayload,
                            start: mid,
                            end: mid,
                        });
                    }
                    self.off += take as u64;
                    if self.off == end {
                        self.state = State::Stream;
                    }
                    take
                }
                State::PayloadEof { start, mark, tail } => {
                    let start = *start;
                    let here = self.off;
                    let mid = start + MID_EOF_PAYLOAD;
                    // Find the mark across chunk borders.
                    let mut window = std::mem::take(tail);
                    let keep = window.len();
                    window.extend_from_slice(data);
                    let found = window
                        .windows(mark.len())
                        .position(|w| w == &mark[..])
                        .map(|p| p + mark.len() - keep);
                    let take = found.unwrap_or(data.len());
                    if !self.mid_sent && here <= mid && mid < here + take as u64
                    {
                        self.mid_sent = true;
                        out.push(Event {
                            step: Step::MidPayload,
                            start: mid,
                            end: mid,
                        });
                    }
                    self.off += take as u64;
                    if found.is_some() {
                        self.state = State::Stream;
                    } else {
                        let from = window.len().saturating_sub(mark.len());
                        *tail = window[from..].to_vec();
                    }
                    take
                }
                _ => {
                    self.pending.extend_from_slice(data);
                    let n = data.len();
                    self.parse_pending(&mut out);
                    n
                }
            };
            data = &data[consumed..];
        }
        out
    }

    /// Parses whole lines/commands out of `pending` in the line states.
    /// Leaves `pending` empty when it switches to a payload state (the
    /// bytes after the `$` line are fed again as payload).
    fn parse_pending(&mut self, out: &mut Vec<Event>) {
        loop {
            match self.state {
                State::Payload { .. } | State::PayloadEof { .. } => {
                    // Re-feed what followed the `$` line as payload.
                    let rest = std::mem::take(&mut self.pending);
                    out.extend(self.feed(&rest));
                    return;
                }
                _ => {}
            }
            // Bare newlines: keep-alives (Down) or the replica's pings
            // while loading (Up).
            let skip = self
                .pending
                .iter()
                .take_while(|&&b| b == b'\n' || b == b'\r')
                .count();
            if skip > 0 {
                self.pending.drain(..skip);
                self.off += skip as u64;
            }
            if self.pending.is_empty() {
                return;
            }
            let start = self.off;
            let (args, used) = match self.state {
                State::Stream => match split_command(&self.pending) {
                    Some(x) => x,
                    None => return,
                },
                State::Lines if self.dir == Dir::Up => {
                    match split_command(&self.pending) {
                        Some(x) => x,
                        None => return,
                    }
                }
                _ => {
                    // A reply or `$` line.
                    let Some(p) = self.pending.iter().position(|&b| b == b'\n')
                    else {
                        return;
                    };
                    let line = self.pending[..p]
                        .strip_suffix(b"\r")
                        .unwrap_or(&self.pending[..p])
                        .to_vec();
                    (vec![line], p + 1)
                }
            };
            self.pending.drain(..used);
            self.off += used as u64;
            let end = self.off;
            let step = self.classify(&args, end);
            if let Some(step) = step {
                out.push(Event { step, start, end });
            }
        }
    }

    /// Names a parsed command or line and moves the state on.
    fn classify(&mut self, args: &[Vec<u8>], end: u64) -> Option<Step> {
        let a0 =
            args.first().map(|a| a.to_ascii_uppercase()).unwrap_or_default();
        let a1 =
            args.get(1).map(|a| a.to_ascii_lowercase()).unwrap_or_default();
        match (&self.state, self.dir) {
            (State::Lines, Dir::Up) => match &a0[..] {
                b"PING" => Some(Step::Ping),
                b"AUTH" => Some(Step::Auth),
                b"REPLCONF" if a1 == b"listening-port" => {
                    Some(Step::ReplconfPort)
                }
                b"REPLCONF" if a1 == b"capa" => Some(Step::ReplconfCapa),
                b"PSYNC" | b"SYNC" => Some(Step::Psync),
                _ => None,
            },
            (State::Lines, Dir::Down) => {
                if a0.starts_with(b"+FULLRESYNC") {
                    self.state = State::PreBulk;
                    Some(Step::FullResync)
                } else if a0.starts_with(b"+CONTINUE") {
                    self.state = State::Stream;
                    None
                } else if a0.starts_with(b"$") {
                    // The old SYNC has no +FULLRESYNC line.
                    self.start_payload(&args[0], end)
                } else {
                    None
                }
            }
            (State::PreBulk, _) => {
                if a0.starts_with(b"$") {
                    self.start_payload(&args[0], end)
                } else {
                    None
                }
            }
            (State::Stream, _) => Some(Step::Streaming),
            _ => None,
        }
    }

    fn start_payload(&mut self, line: &[u8], end: u64) -> Option<Step> {
        self.mid_sent = false;
        if let Some(mark) = line.strip_prefix(b"$EOF:") {
            self.state = State::PayloadEof {
                start: end,
                mark: mark.to_vec(),
                tail: Vec::new(),
            };
        } else {
            let len = std::str::from_utf8(&line[1..])
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(0);
            self.state = State::Payload { start: end, len };
            if len == 0 {
                self.state = State::Stream;
            }
        }
        Some(Step::PayloadStart)
    }
}

/// One command at the start of `buf` (multibulk or inline) and its length
/// in bytes, or `None` if it is not complete yet.
fn split_command(buf: &[u8]) -> Option<(Vec<Vec<u8>>, usize)> {
    if buf.first() == Some(&b'*') {
        let used = super::resp_reply_len(buf)?;
        let mut args = Vec::new();
        let mut at = buf.iter().position(|&b| b == b'\n')? + 1;
        while at < used {
            let nl = at + buf[at..].iter().position(|&b| b == b'\n')?;
            let len: usize = std::str::from_utf8(&buf[at + 1..nl - 1])
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let from = nl + 1;
            args.push(buf[from..(from + len).min(buf.len())].to_vec());
            at = from + len + 2;
        }
        Some((args, used))
    } else {
        let nl = buf.iter().position(|&b| b == b'\n')?;
        let line = String::from_utf8_lossy(&buf[..nl]).into_owned();
        let args =
            line.split_whitespace().map(|s| s.as_bytes().to_vec()).collect();
        Some((args, nl + 1))
    }
}

/// The parser's own checks, run by one test of the file that uses the
/// proxy (a `#[cfg(test)]` module here would run in every test binary that
/// includes `util`).
pub mod selftest {
    use super::*;

    pub fn run() {
        parser_names_the_replica_handshake();
        parser_names_the_master_replies_and_payload();
    }

    fn steps(p: &mut Parser, data: &[u8]) -> Vec<(Step, u64, u64)> {
        p.feed(data).into_iter().map(|e| (e.step, e.start, e.end)).collect()
    }

    fn parser_names_the_replica_handshake() {
        let mut p = Parser::new(Dir::Up);
        let ping = b"*1\r\n$4\r\nPING\r\n";
        let capa = b"*5\r\n$8\r\nREPLCONF\r\n$4\r\ncapa\r\n$3\r\neof\r\n$4\r\ncapa\r\n$6\r\npsync2\r\n";
        assert_eq!(steps(&mut p, ping), vec![(Step::Ping, 0, 14)]);
        let mut all = capa.to_vec();
        all.extend_from_slice(b"PSYNC ? -1\r\n");
        // Byte by byte, as a slow link delivers it.
        let mut got = Vec::new();
        for b in &all {
            got.extend(steps(&mut p, std::slice::from_ref(b)));
        }
        let l = capa.len() as u64;
        assert_eq!(
            got,
            vec![
                (Step::ReplconfCapa, 14, 14 + l),
                (Step::Psync, 14 + l, 14 + l + 12)
            ]
        );
    }

    fn parser_names_the_master_replies_and_payload() {
        let mut p = Parser::new(Dir::Down);
        let mut s =
            b"+PONG\r\n+OK\r\n\n\n+FULLRESYNC abc 1\r\n\n$10\r\n".to_vec();
        s.extend_from_slice(b"0123456789*1\r\n$4\r\nPING\r\n");
        let got: Vec<Step> = p.feed(&s).into_iter().map(|e| e.step).collect();
        assert_eq!(
            got,
            vec![
                Step::FullResync,
                Step::PayloadStart,
                Step::MidPayload,
                Step::Streaming
            ]
        );
        let mut p = Parser::new(Dir::Down);
        let mark = "m".repeat(40);
        let mut s =
            format!("+FULLRESYNC abc 1\r\n$EOF:{mark}\r\n").into_bytes();
        s.extend_from_slice(&vec![b'x'; 300 * 1024]);
        s.extend_from_slice(mark.as_bytes());
        s.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
        let mut got = Vec::new();
        for c in s.chunks(7000) {
            got.extend(p.feed(c).into_iter().map(|e| e.step));
        }
        assert_eq!(
            got,
            vec![
                Step::FullResync,
                Step::PayloadStart,
                Step::MidPayload,
                Step::Streaming
            ]
        );
    }
}
