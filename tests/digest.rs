//! DEBUG DIGEST and DEBUG DIGEST-VALUE (debug.c computeDatasetDigest and
//! xorObjectDigest): the same data must give the same 40 hex digits in
//! oxredis and in a real Redis, so that the two can be compared after a
//! sync (issue 3, item 8).
//!
//! The same commands are piped with `redis-cli --pipe` into oxredis and
//! into Debian's redis-server 7.0 (whose digest of these types is computed
//! as 5.0's is): every type, in its small and its large encoding, binary
//! strings, integers, special scores, keys with and without a TTL, in
//! several databases. If `REDIS_C_SERVER` names a real redis-server 5.0.14
//! binary, the same is checked against it too, with a negative zero score
//! added (7.0's listpack turns -0 into 0, so it is left out for 7.0).

mod util;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};

use util::Server;

/// The RESP encoding of one command.
fn resp(args: &[Vec<u8>]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Builds a command from text and byte arguments.
macro_rules! c {
    ($($a:expr),* $(,)?) => { vec![$(AsRef::<[u8]>::as_ref(&$a).to_vec()),*] };
}

/// The dataset: (db, commands). Deterministic. `neg_zero` adds a sorted
/// set member with score -0, which Redis 7.0 stores as 0.
fn dataset(neg_zero: bool) -> Vec<(u32, Vec<Vec<Vec<u8>>>)> {
    let mut out = Vec::new();
    for db in [0u32, 1, 5, 15] {
        let mut cmds: Vec<Vec<Vec<u8>>> = Vec::new();
        let d = db.to_string();
        // Strings: embstr, raw, integers (shared range and beyond),
        // binary, empty, and one made by SETBIT.
        cmds.push(c!["SET", "str:small", format!("hello {d}")]);
        cmds.push(c!["SET", "str:raw", "x".repeat(200)]);
        cmds.push(c!["SET", "str:int", "12345"]);
        cmds.push(c!["SET", "str:bigint", "-9223372036854775808"]);
        cmds.push(c!["SET", "str:bin", b"\x00\xff\r\n\x00zz".to_vec()]);
        cmds.push(c!["SET", "str:empty", ""]);
        cmds.push(c!["SETBIT", "str:bits", "1001", "1"]);
        cmds.push(c!["INCRBYFLOAT", "str:float", "3.25"]);
        // Lists: small (packed) and large (past 8 KiB), integers inside.
        cmds.push(c![
            "RPUSH",
            "list:small",
            "a",
            "1",
            "-5",
            "b".repeat(30),
            b"\x00".to_vec()
        ]);
        let mut big = c!["RPUSH", "list:big"];
        for i in 0..400 {
            big.push(if i % 3 == 0 {
                i.to_string().into_bytes()
            } else {
                format!("element-{i}-{d}").repeat(1 + i % 5).into_bytes()
            });
        }
        cmds.push(big);
        cmds.push(c!["LPUSH", "list:huge", "y".repeat(20000), "1", "z"]);
        // Sets: intset, small hash table, large hash table.
        cmds.push(c![
            "SADD",
            "set:int",
            "1",
            "2",
            "3",
            "-100",
            "99999999999",
            d.as_str()
        ]);
        cmds.push(c![
            "SADD",
            "set:str",
            "a",
            "b",
            "c",
            "1",
            b"\xff\x00".to_vec()
        ]);
        let mut big = c!["SADD", "set:big"];
        for i in 0..700 {
            big.push(format!("m{}", i * 7 + db as usize).into_bytes());
        }
        cmds.push(big);
        let mut bigint = c!["SADD", "set:bigint"];
        for i in 0..600 {
            bigint.push((i * 1000 - 300_000).to_string().into_bytes());
        }
        cmds.push(bigint);
        // Sorted sets: ziplist and skiplist, with special scores and an
        // integer-looking member.
        cmds.push(c![
            "ZADD",
            "zset:small",
            "1",
            "a",
            "2.5",
            "b",
            "-3",
            "c",
            "1e10",
            "d",
            "0.1",
            "123",
            "inf",
            "e",
            "-inf",
            "f",
            "1e-300",
            "g",
            "3.0000000000000004",
            "h"
        ]);
        let mut big = c!["ZADD", "zset:big"];
        for i in 0..300u64 {
            // Scores with 17 significant digits: "%.17g" must print them
            // exactly as C does.
            let score = (i as f64) * 1.000_000_1 / 3.0 - 50.0;
            big.push(format!("{score}").into_bytes());
            big.push(format!("member:{i}:{d}").into_bytes());
        }
        cmds.push(big);
        cmds.push(c!["ZADD", "zset:long", "7", "v".repeat(100)]);
        if neg_zero {
            cmds.push(c!["ZADD", "zset:negzero", "-0", "x", "0", "y"]);
        }
        // Hashes: ziplist, long value (hash table), many fields.
        cmds.push(c![
            "HSET",
            "hash:small",
            "f1",
            "v1",
            "f2",
            "2",
            "3",
            "v3",
            b"\x00".to_vec(),
            b"\xff".to_vec()
        ]);
        cmds.push(c!["HSET", "hash:longval", "f", "v".repeat(100)]);
        let mut big = c!["HSET", "hash:big"];
        for i in 0..700 {
            big.push(format!("field{i}").into_bytes());
            big.push(format!("value{i}-{d}").repeat(i % 4 + 1).into_bytes());
        }
        cmds.push(big);
        cmds.push(c!["HINCRBY", "hash:small", "counter", "-42"]);
        // Keys with a TTL, of every type.
        cmds.push(c!["SET", "ttl:str", "v", "EX", "100000"]);
        cmds.push(c!["RPUSH", "ttl:list", "a", "b"]);
        cmds.push(c!["EXPIRE", "ttl:list", "50000"]);
        cmds.push(c!["SADD", "ttl:set", "a"]);
        cmds.push(c!["PEXPIRE", "ttl:set", "90000000"]);
        cmds.push(c!["ZADD", "ttl:zset", "1", "a"]);
        cmds.push(c!["EXPIREAT", "ttl:zset", "4000000000"]);
        cmds.push(c!["HSET", "ttl:hash", "a", "b"]);
        cmds.push(c!["EXPIRE", "ttl:hash", "100000"]);
        // Changes after creation.
        cmds.push(c!["LSET", "list:small", "0", "A"]);
        cmds.push(c!["SREM", "set:big", "m0", "m7"]);
        cmds.push(c!["ZINCRBY", "zset:small", "0.5", "a"]);
        cmds.push(c!["HDEL", "hash:big", "field3"]);
        out.push((db, cmds));
    }
    out
}

/// The keys whose DEBUG DIGEST-VALUE the tests compare (one missing).
const KEYS: &[&str] = &[
    "str:small",
    "str:raw",
    "str:int",
    "str:bin",
    "str:bits",
    "list:small",
    "list:big",
    "list:huge",
    "set:int",
    "set:str",
    "set:big",
    "set:bigint",
    "zset:small",
    "zset:big",
    "zset:long",
    "zset:negzero",
    "hash:small",
    "hash:longval",
    "hash:big",
    "ttl:str",
    "ttl:list",
    "ttl:zset",
    "ttl:hash",
    "nokey",
];

/// The dataset as one `redis-cli --pipe` input, SELECTs included.
fn pipe_payload(data: &[(u32, Vec<Vec<Vec<u8>>>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (db, cmds) in data {
        let select: Vec<Vec<u8>> = c!["SELECT", db.to_string()];
        out.extend(resp(&select));
        for cmd in cmds {
            out.extend(resp(cmd));
        }
    }
    out
}

/// Pipes `payload` into the server with `redis-cli --pipe`, and checks
/// that every reply came back and none was an error.
#[track_caller]
fn load_with_redis_cli(server: &Server, payload: &[u8]) {
    let mut child = Command::new(util::find_binary("redis-cli"))
        .args(["-h", "127.0.0.1", "-p", &server.port_str(), "--pipe"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run redis-cli --pipe");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(payload)
        .expect("feed redis-cli");
    let out = child.wait_with_output().expect("redis-cli --pipe");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "redis-cli --pipe failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("errors: 0,"), "errors while loading: {text}");
}

/// A buffered connection for DEBUG and friends.
struct Conn {
    s: TcpStream,
    rd: BufReader<TcpStream>,
}

impl Conn {
    fn new(server: &Server) -> Conn {
        let s = util::raw(server.port());
        let rd = BufReader::new(s.try_clone().expect("clone"));
        Conn { s, rd }
    }
    /// Sends a command, returns the reply lines without CRLF (an array
    /// of status replies becomes its header line and one line each).
    fn lines(&mut self, args: &[&str]) -> Vec<String> {
        let a: Vec<Vec<u8>> =
            args.iter().map(|s| s.as_bytes().to_vec()).collect();
        self.s.write_all(&resp(&a)).expect("send");
        let mut out = Vec::new();
        let mut pending = 1i64;
        while pending > 0 {
            pending -= 1;
            let mut line = String::new();
            self.rd.read_line(&mut line).expect("read");
            let line = line.trim_end_matches("\r\n").to_string();
            match line.as_bytes().first() {
                Some(b'*') => {
                    pending += line[1..].parse::<i64>().expect("count").max(0)
                }
                Some(b'$') => {
                    let n: i64 = line[1..].parse().expect("len");
                    if n >= 0 {
                        let mut body = vec![0u8; n as usize + 2];
                        self.rd.read_exact(&mut body).expect("read");
                        out.push(
                            String::from_utf8_lossy(&body[..n as usize])
                                .into_owned(),
                        );
                        continue;
                    }
                }
                _ => {}
            }
            out.push(line);
        }
        out
    }
    fn one(&mut self, args: &[&str]) -> String {
        self.lines(args).remove(0)
    }
    /// `+<40 hex>` of DEBUG DIGEST.
    fn digest(&mut self) -> String {
        let d = self.one(&["DEBUG", "DIGEST"]);
        assert!(d.len() == 41 && d.starts_with('+'), "not a digest: {d:?}");
        assert!(
            d[1..]
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
            "{d}"
        );
        d
    }
    /// DEBUG DIGEST-VALUE of KEYS in `db`.
    fn digest_values(&mut self, db: u32) -> Vec<String> {
        assert_eq!(self.one(&["SELECT", &db.to_string()]), "+OK");
        let mut args = vec!["DEBUG", "DIGEST-VALUE"];
        args.extend_from_slice(KEYS);
        let v = self.lines(&args);
        assert_eq!(v[0], format!("*{}", KEYS.len()));
        v[1..].to_vec()
    }
}

/// Loads the dataset into oxredis and into `reference`, and compares the
/// dataset digest and the digest of every key of KEYS in every db.
fn compare_with(reference: &Server, neg_zero: bool) {
    let ours = Server::start(&[]);
    let data = dataset(neg_zero);
    let payload = pipe_payload(&data);
    load_with_redis_cli(&ours, &payload);
    load_with_redis_cli(reference, &payload);
    let mut a = Conn::new(&ours);
    let mut b = Conn::new(reference);
    let da = a.digest();
    assert_ne!(da, format!("+{}", "0".repeat(40)));
    for (db, _) in &data {
        let (va, vb) = (a.digest_values(*db), b.digest_values(*db));
        for ((k, x), y) in KEYS.iter().zip(&va).zip(&vb) {
            assert_eq!(x, y, "DEBUG DIGEST-VALUE {k} in db {db}");
        }
        // A missing key digests as 20 zero bytes.
        assert_eq!(va.last().unwrap(), &format!("+{}", "0".repeat(40)));
    }
    assert_eq!(da, b.digest(), "DEBUG DIGEST");
}

#[test]
fn digest_matches_debian_redis_7_for_every_type_encoding_ttl_and_db() {
    let reference =
        Server::start_binary(&util::find_binary("redis-server"), &[]);
    compare_with(&reference, false);
}

#[test]
fn digest_matches_redis_5_if_given() {
    let Some(bin) = std::env::var_os("REDIS_C_SERVER") else {
        return;
    };
    let reference = Server::start_binary(Path::new(&bin), &[]);
    compare_with(&reference, true);
}

#[test]
fn digest_of_an_empty_dataset_is_zero_and_flushall_restores_it() {
    let s = Server::start(&[]);
    let mut c = Conn::new(&s);
    let zero = format!("+{}", "0".repeat(40));
    assert_eq!(c.digest(), zero);
    c.one(&["SET", "a", "1"]);
    assert_ne!(c.digest(), zero);
    c.one(&["FLUSHALL"]);
    assert_eq!(c.digest(), zero);
}

#[test]
fn digest_depends_on_list_order_but_not_on_set_hash_or_key_order() {
    let s = Server::start(&[]);
    let mut c = Conn::new(&s);
    let dv = |c: &mut Conn, k: &str| {
        c.lines(&["DEBUG", "DIGEST-VALUE", k])[1].clone()
    };
    c.one(&["RPUSH", "l1", "a", "b"]);
    c.one(&["RPUSH", "l2", "b", "a"]);
    assert_ne!(dv(&mut c, "l1"), dv(&mut c, "l2"));
    c.one(&["SADD", "s1", "a", "b", "c"]);
    c.one(&["SADD", "s2", "c", "b", "a"]);
    assert_eq!(dv(&mut c, "s1"), dv(&mut c, "s2"));
    c.one(&["HSET", "h1", "a", "1", "b", "2"]);
    c.one(&["HSET", "h2", "b", "2", "a", "1"]);
    assert_eq!(dv(&mut c, "h1"), dv(&mut c, "h2"));
    // A field/value swap is a different hash.
    c.one(&["HSET", "h3", "1", "a", "2", "b"]);
    assert_ne!(dv(&mut c, "h1"), dv(&mut c, "h3"));
    c.one(&["ZADD", "z1", "1", "a", "2", "b"]);
    c.one(&["ZADD", "z2", "2", "b", "1", "a"]);
    assert_eq!(dv(&mut c, "z1"), dv(&mut c, "z2"));
    c.one(&["ZADD", "z2", "3", "b"]);
    assert_ne!(dv(&mut c, "z1"), dv(&mut c, "z2"));
    // The same value under a TTL digests differently; the dataset digest
    // does not depend on the order in which keys were added, but does on
    // the db.
    c.one(&["SET", "k", "v"]);
    let before = dv(&mut c, "k");
    c.one(&["EXPIRE", "k", "100"]);
    assert_ne!(dv(&mut c, "k"), before);
    c.one(&["PERSIST", "k"]);
    assert_eq!(dv(&mut c, "k"), before);
    let d1 = c.digest();
    c.one(&["FLUSHALL"]);
    for cmd in [
        &["SET", "k", "v"][..],
        &["ZADD", "z2", "2", "b", "1", "a"],
        &["ZADD", "z1", "1", "a", "2", "b"],
        &["ZADD", "z2", "3", "b"],
        &["HSET", "h3", "1", "a", "2", "b"],
        &["HSET", "h2", "b", "2", "a", "1"],
        &["HSET", "h1", "a", "1", "b", "2"],
        &["SADD", "s2", "c", "b", "a"],
        &["SADD", "s1", "a", "b", "c"],
        &["RPUSH", "l2", "b", "a"],
        &["RPUSH", "l1", "a", "b"],
    ] {
        c.one(cmd);
    }
    assert_eq!(c.digest(), d1);
    c.one(&["MOVE", "k", "3"]);
    assert_ne!(c.digest(), d1);
}

#[test]
fn digest_does_not_change_with_the_encoding() {
    // The same members in a small (ziplist/intset) and a converted (hash
    // table/skiplist) value digest alike: only the content counts.
    let s = Server::start(&[
        "--hash-max-ziplist-entries",
        "2",
        "--zset-max-ziplist-entries",
        "2",
        "--set-max-intset-entries",
        "2",
    ]);
    let t = Server::start(&[]);
    let mut a = Conn::new(&s);
    let mut b = Conn::new(&t);
    for c in [&mut a, &mut b] {
        c.one(&["HSET", "h", "a", "1", "b", "2", "c", "3"]);
        c.one(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
        c.one(&["SADD", "s", "1", "2", "3"]);
    }
    assert_eq!(a.lines(&["OBJECT", "ENCODING", "h"])[0], "hashtable");
    assert_eq!(b.lines(&["OBJECT", "ENCODING", "h"])[0], "ziplist");
    assert_eq!(a.lines(&["OBJECT", "ENCODING", "s"])[0], "hashtable");
    assert_eq!(b.lines(&["OBJECT", "ENCODING", "s"])[0], "intset");
    assert_eq!(a.lines(&["OBJECT", "ENCODING", "z"])[0], "skiplist");
    assert_eq!(a.digest(), b.digest());
}
