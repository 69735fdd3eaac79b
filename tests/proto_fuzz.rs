//! Fuzzing the RESP query parser and a replica's handling of its master's
//! stream (issue 9): bounded, seeded runs of the in-process targets of
//! `tests/fuzz_harness` (see its doc for the oracles), the replay of the
//! corpus in `tests/fuzz-corpus/{query,repl}` (every crash ever found is
//! kept there), and process-level checks that a real `oxredis-server`
//! survives the same inputs over TCP: after each case a fresh connection's
//! PING gets +PONG and DEBUG DIGEST answers.
//!
//! Reproducible: each test has a fixed seed, mixed with `FUZZ_SEED` when
//! set, and a failure prints the seed and case number (and saves the
//! input to the corpus as `crash-<seed>-<case>`). `FUZZ_CASES` scales the
//! bounded runs. The unbounded run is `scripts/fuzz query|repl [seconds]`
//! (AFL++ when `cargo afl` is installed, else `fuzz_unbounded` below).
//!
//! With `REDIS5=/path/to/redis-5.0.14/src/redis-server`, the TCP test of
//! the parser also sends every case to Redis 5.0.14 and requires the same
//! reply bytes and the same close.

mod fuzz_harness;
mod util;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::thread::sleep;
use std::time::{Duration, Instant};

use fuzz_harness::*;
use util::{raw, read_reply, read_until_close_or_timeout, wait_for, Server};

/// The seed of a test: its fixed base, mixed with `FUZZ_SEED`.
fn seed(base: u64) -> u64 {
    let extra: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    base ^ extra.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

/// The number of cases of a bounded run: `base`, times `FUZZ_CASES`/100
/// when set (so FUZZ_CASES=1000 is ten times longer).
fn cases(base: u64) -> u64 {
    let pct: u64 = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    (base * pct / 100).max(1)
}

fn bounded(target: &Target, base_seed: u64, n: u64) {
    let seed = seed(base_seed);
    let start = Instant::now();
    let done = mutation_run(target, seed, |i| i >= n);
    eprintln!(
        "{} fuzz: {done} cases, seed {seed}, {:.1} s",
        target.name,
        start.elapsed().as_secs_f64()
    );
}

// ------------------------------------------------------------- in-process

#[test]
fn query_corpus_replays() {
    replay_corpus(&QUERY);
}

#[test]
fn repl_corpus_replays() {
    replay_corpus(&REPL);
}

#[test]
fn query_fuzz_bounded() {
    bounded(&QUERY, 0x5145_5259, cases(200_000));
}

#[test]
fn repl_fuzz_bounded() {
    bounded(&REPL, 0x5245_504c, cases(200_000));
}

/// The generators' valid inputs parse into exactly the commands they were
/// built from, whatever the reads (a check of the oracle itself).
#[test]
fn generated_multibulk_round_trips() {
    let mut rng = fuzz_harness::Rng(seed(1));
    for _ in 0..cases(500) {
        let argv = gen_command(&mut rng, &["echo"]);
        let input = multibulk(&argv);
        let whole = run_query(&input, Split::Whole);
        assert!(!whole.closed, "{:?}", String::from_utf8_lossy(&input));
        assert_eq!(whole, run_query(&input, Split::Bytes));
    }
}

/// The unbounded mutation run behind `scripts/fuzz` when AFL++ is not
/// there: `FUZZ_TARGET` (query or repl), `FUZZ_SECONDS` (default 60),
/// `FUZZ_SEED`. Prints executions per second as it goes and the total.
#[test]
#[ignore]
fn fuzz_unbounded() {
    let name = std::env::var("FUZZ_TARGET").unwrap_or_else(|_| "query".into());
    let target = match name.as_str() {
        "query" => QUERY,
        "repl" => REPL,
        other => panic!("unknown FUZZ_TARGET {other}: query or repl"),
    };
    let secs: u64 = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let seed = seed(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
    );
    eprintln!("{name} fuzz: seed {seed}, {secs} s");
    let start = Instant::now();
    let mut last = Instant::now();
    let total = mutation_run(&target, seed, |n| {
        if n % 1024 == 0 && last.elapsed() >= Duration::from_secs(10) {
            last = Instant::now();
            let s = start.elapsed().as_secs_f64();
            eprintln!("{name}: {n} execs, {:.0} execs/s", n as f64 / s);
        }
        start.elapsed() >= Duration::from_secs(secs)
    });
    let s = start.elapsed().as_secs_f64();
    eprintln!(
        "{name}: total {total} executions in {s:.0} s, {:.0} execs/s",
        total as f64 / s
    );
}

// ------------------------------------------------------------- over TCP

/// Commands a fuzz case must not reach in a real server: they would stop
/// it, fork, write files, connect elsewhere or pause every client. DEBUG
/// stays reachable under a name no mutation finds, for DEBUG DIGEST.
const TCP_CONFIG: &str = "\
rename-command shutdown \"\"
rename-command save \"\"
rename-command bgsave \"\"
rename-command replicaof \"\"
rename-command slaveof \"\"
rename-command sync \"\"
rename-command psync \"\"
rename-command config \"\"
rename-command client \"\"
rename-command debug fuzz-debug-7f3a
";

/// The inputs of a TCP run: the corpus, then `n` seeded cases.
fn tcp_inputs(target: &Target, base_seed: u64, n: u64) -> Vec<Vec<u8>> {
    let seeds: Vec<Vec<u8>> =
        corpus(target.name).into_iter().map(|(_, b)| b).collect();
    let mut rng = fuzz_harness::Rng(seed(base_seed));
    let mut v = seeds.clone();
    for _ in 0..n {
        v.push(next_input(&mut rng, target, &seeds));
    }
    v
}

/// Sends `input` on a new connection, half-closes it and returns what
/// came back before the server closed it.
fn tcp_case(port: u16, input: &[u8]) -> Vec<u8> {
    let mut s = raw(port);
    // The server may close early (a protocol error): later writes fail.
    let _ = s.write_all(input);
    let _ = s.shutdown(Shutdown::Write);
    let got = read_until_close_or_timeout(&mut s, Duration::from_secs(5));
    assert!(got.closed, "no close after EOF: {:?}", got.text());
    got.bytes
}

/// FLUSHALL on a fresh connection; false if the server does not answer
/// +OK (it died, or is dying).
fn try_flush(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(20)));
    let mut buf = [0u8; 5];
    s.write_all(b"FLUSHALL\r\n").is_ok()
        && s.read_exact(&mut buf).is_ok()
        && &buf == b"+OK\r\n"
}

/// A server is alive and sane: PING on a fresh connection gets +PONG
/// and DEBUG DIGEST a digest.
#[track_caller]
fn assert_sane(port: u16, after: &[u8]) {
    let mut s = raw(port);
    s.write_all(b"PING\r\n*2\r\n$15\r\nfuzz-debug-7f3a\r\n$6\r\nDIGEST\r\n")
        .unwrap();
    let pong = read_reply(&mut s);
    assert_eq!(
        pong,
        b"+PONG\r\n",
        "after {:?}",
        String::from_utf8_lossy(after)
    );
    let digest = read_reply(&mut s);
    assert!(
        digest.len() == 43 && digest[0] == b'+',
        "DEBUG DIGEST {:?} after {:?}",
        String::from_utf8_lossy(&digest),
        String::from_utf8_lossy(after)
    );
}

/// Replies with the elements of each top-level array sorted, so that
/// the order of a hash table's iteration (random seeds differ between
/// processes) does not count as a difference.
fn normalized(replies: &[u8]) -> Vec<Vec<u8>> {
    // UNSUBSCRIBE without arguments lists channels in hash order, which
    // differs between two servers as it does between two runs of one.
    let replies = &normalize_unsubscribe_runs(replies.to_vec());
    let Some(frames) = resp_frames(replies) else {
        return vec![replies.to_vec()];
    };
    frames
        .into_iter()
        .map(|f| {
            let nl = f.windows(2).position(|w| w == b"\r\n").unwrap_or(0);
            match (f[0], resp_frames(&f[nl + 2..])) {
                (b'*', Some(mut els)) => {
                    els.sort();
                    let mut v = f[..nl + 2].to_vec();
                    els.iter().for_each(|e| v.extend_from_slice(e));
                    v
                }
                _ => f.to_vec(),
            }
        })
        .collect()
}

/// The parser's cases over TCP against a real oxredis-server (and, with
/// `REDIS5`, against Redis 5.0.14, reply for reply).
#[test]
fn query_cases_over_tcp() {
    let ox = Server::start_with_config(TCP_CONFIG, &[]);
    let redis5 = std::env::var("REDIS5").ok();
    let start5 = |p: &String| {
        Server::start_binary_with_config(Path::new(p), TCP_CONFIG, &[])
    };
    let mut c5 = redis5.as_ref().map(start5);
    let flush = |port: u16| {
        let mut s = raw(port);
        s.write_all(b"FLUSHALL\r\n").unwrap();
        assert_eq!(read_reply(&mut s), b"+OK\r\n");
    };
    let inputs = tcp_inputs(&QUERY, 0x7463_7071, cases(300));
    let mut diffs = 0;
    for input in &inputs {
        let ours = tcp_case(ox.port(), input);
        assert_sane(ox.port(), input);
        flush(ox.port());
        let Some(r5) = &mut c5 else { continue };
        let theirs = tcp_case(r5.port(), input);
        if !try_flush(r5.port()) {
            // 5.0.14 has crashes of its own (SETRANGE with an offset near
            // 2^63 overflows its size check and aborts, fixed in 6.2.9);
            // we don't copy those.
            eprintln!(
                "Redis 5.0.14 died on {:?}; we replied {:?}",
                String::from_utf8_lossy(input),
                String::from_utf8_lossy(&ours)
            );
            drop(c5.take()); // stops it
            c5 = redis5.as_ref().map(start5);
            continue;
        }
        if normalized(&ours) != normalized(&theirs) {
            diffs += 1;
            eprintln!(
                "differs from 5.0.14\ninput: {:?}\nours:   {:?}\n5.0.14: {:?}",
                String::from_utf8_lossy(input),
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs)
            );
        }
    }
    assert_eq!(diffs, 0, "{diffs} cases differ from Redis 5.0.14");
}

/// A master played by the test: accepts the replica, answers its
/// handshake with +FULLRESYNC at offset REPL_START and an empty RDB.
fn serve_full_sync(listener: &TcpListener) -> TcpStream {
    let (mut s, _) = listener.accept().expect("accept");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.set_nodelay(true).unwrap();
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        // The handshake commands are multibulk; we answer each final
        // line of one (the one after its last bulk) by its first word.
        line.clear();
        while !line.ends_with(b"\r\n") {
            s.read_exact(&mut byte).expect("handshake read");
            line.push(byte[0]);
        }
        let l = String::from_utf8_lossy(&line).to_ascii_uppercase();
        if l == "PING\r\n" {
            s.write_all(b"+PONG\r\n").unwrap();
        } else if l == "REPLCONF\r\n" {
            // Its arguments follow as bulks; skip them.
            s.write_all(b"+OK\r\n").unwrap();
        } else if l == "PSYNC\r\n" {
            // Its two arguments: four more lines.
            for _ in 0..4 {
                line.clear();
                while !line.ends_with(b"\r\n") {
                    s.read_exact(&mut byte).expect("psync read");
                    line.push(byte[0]);
                }
            }
            let mut rdb = b"REDIS0009\xff".to_vec();
            rdb.extend_from_slice(&[0; 8]);
            let replid = "f".repeat(40);
            let mut r = format!(
                "+FULLRESYNC {replid} {}\r\n${}\r\n",
                REPL_START,
                rdb.len()
            )
            .into_bytes();
            r.extend_from_slice(&rdb);
            s.write_all(&r).unwrap();
            return s;
        }
    }
}

/// The replication stream cases over TCP: a replica of a master played
/// by the test gets each case after a full sync, and must stay up, sane,
/// answer only with REPLCONF ACKs, and report an offset inside the
/// stream.
#[test]
fn repl_cases_over_tcp() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let replica = Server::start_with_config(
        TCP_CONFIG,
        &["--replicaof", "127.0.0.1", &port],
    );
    let inputs = tcp_inputs(&REPL, 0x7463_7072, cases(4));
    for input in &inputs {
        let mut m = serve_full_sync(&listener);
        wait_for(Duration::from_secs(10), || {
            replica.info("master_link_status") == "up"
        });
        let _ = m.write_all(input);
        sleep(Duration::from_millis(50));
        assert_sane(replica.port(), input);
        let off = replica.info_i64("master_repl_offset");
        assert!(
            (REPL_START..=REPL_START + input.len() as i64).contains(&off),
            "offset {off} outside the stream of {} bytes: {:?}",
            input.len(),
            String::from_utf8_lossy(input)
        );
        // What the replica said: REPLCONF ACKs only.
        m.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
        let mut back = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = m.read(&mut buf) {
            if n == 0 {
                break;
            }
            back.extend_from_slice(&buf[..n]);
        }
        // A replica loading an RDB pings its master with newlines.
        let mut rest = &back[..];
        while !rest.is_empty() {
            if rest[0] == b'\n' {
                rest = &rest[1..];
                continue;
            }
            let Some(n) = resp_frame_len(rest) else {
                panic!(
                    "not RESP to the master: {:?}",
                    String::from_utf8_lossy(&back)
                )
            };
            let f = &rest[..n];
            rest = &rest[n..];
            assert!(
                f.starts_with(b"*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n"),
                "the replica sent its master {:?}",
                String::from_utf8_lossy(f)
            );
        }
        drop(m); // the replica reconnects and syncs again
    }
}

// ------------------------------------------------------- found by fuzzing

/// Errors that quote an argument quote its bytes as 5.0.14's "%s" does:
/// up to a NUL, untruncated, not re-encoded as UTF-8, CR/LF as spaces.
/// (The differential run found OBJECT's and REPLCONF's; CLIENT's share the
/// code.) Checked against Redis 5.0.14 too when `REDIS5` is set.
#[test]
fn errors_quote_argument_bytes_like_5_0() {
    let long = "q".repeat(200);
    let cases: Vec<(Vec<u8>, Vec<u8>)> = vec![
        (
            multibulk(&[b"REPLCONF".to_vec(), b"\xff\xfe\r\n".to_vec(), b"x".to_vec()]),
            b"-ERR Unrecognized REPLCONF option: \xff\xfe  \r\n".to_vec(),
        ),
        (
            multibulk(&[b"object".to_vec(), long.clone().into_bytes(), b"k".to_vec()]),
            format!(
                "-ERR Unknown subcommand or wrong number of arguments for '{long}'. Try OBJECT HELP.\r\n"
            )
            .into_bytes(),
        ),
        (
            multibulk(&[b"OBJECT".to_vec(), b"a\xe9\0b".to_vec(), b"k".to_vec()]),
            b"-ERR Unknown subcommand or wrong number of arguments for 'a\xe9'. Try OBJECT HELP.\r\n"
                .to_vec(),
        ),
        (
            multibulk(&[b"CLIENT".to_vec(), b"\xe9x".to_vec()]),
            b"-ERR Unknown subcommand or wrong number of arguments for '\xe9x'. Try CLIENT HELP\r\n"
                .to_vec(),
        ),
        (
            multibulk(&[
                b"CLIENT".to_vec(),
                b"LIST".to_vec(),
                b"TYPE".to_vec(),
                b"\xe9\nx".to_vec(),
            ]),
            b"-ERR Unknown client type '\xe9 x'\r\n".to_vec(),
        ),
    ];
    let mut servers = vec![Server::start(&[])];
    if let Ok(p) = std::env::var("REDIS5") {
        servers.push(Server::start_binary(Path::new(&p), &[]));
    }
    for server in &servers {
        for (input, want) in &cases {
            let mut s = raw(server.port());
            s.write_all(input).unwrap();
            assert_eq!(
                read_reply(&mut s).escape_ascii().to_string(),
                want.escape_ascii().to_string(),
                "{}",
                server.binary().display()
            );
        }
    }
}
