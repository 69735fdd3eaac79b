//! The GEO commands (geo.c, geohash.c, geohash_helper.c), beside Redis
//! 5.0.14's tests/unit/geo.tcl (which `scripts/redis-suite` runs whole):
//!
//! - seeded random GEOADD / GEORADIUS / GEORADIUSBYMEMBER / GEODIST /
//!   GEOHASH / GEOPOS sequences, every reply compared byte for byte with
//!   a real server: Redis 5.0.14 when `REDIS_C_SERVER` (or `REDIS_SRC`)
//!   names one, everything; otherwise Debian's redis-server 7.0, on the
//!   part whose replies did not change between 5.0 and 7.0 (see
//!   `Reference::Redis7`);
//! - hostile arguments (NaN, inf, out-of-range coordinates, huge radius,
//!   bad units, wrong types): 5.0.14's error texts, byte for byte, and the
//!   server still answers;
//! - propagation (GEOADD replicates as ZADD, GEORADIUS STORE as itself),
//!   keyspace events, COMMAND GETKEYS;
//! - an oxredis replica of an oxredis master ends with the same DEBUG
//!   DIGEST after GEOADD and GEORADIUS STORE/STOREDIST under concurrent
//!   load.

mod util;

use std::thread;
use std::time::Duration;

use util::{Conn, Rng, Server};

// ------------------------------ random scripts ------------------------------

/// The server the random scripts are compared with.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Reference {
    /// A real 5.0.14: every command and option, edge cases included.
    Redis5,
    /// Debian's 7.0, which changed some GEO replies since 5.0: GEORADIUS
    /// without ASC/DESC may list points in another order (its search boxes
    /// are computed anew), and with COUNT it sorts partially, so ties may
    /// come in another order; GEOADD took options (NX, XX, CH) and the
    /// error texts changed (units in capitals, ...); GEODIST of two points
    /// on the same meridian uses a shortcut formula; positions in the
    /// edge cells (longitude 180, latitude 85.05112878) are clamped; and
    /// its search boxes find points that 5.0's miss at big radiuses,
    /// worse towards the poles; a STORE search of a missing key says :0.
    /// The scripts for it keep to sorted searches of at most 400 km over
    /// points off the edges and within 60 degrees of the equator, on keys
    /// that exist, with well-formed arguments.
    Redis7,
}

/// A coordinate with 0 to 6 decimals, in [lo, hi).
fn coord(rng: &mut Rng, lo: f64, hi: f64) -> String {
    let decimals = rng.below(7) as i32;
    let scale = 10f64.powi(decimals);
    let span = ((hi - lo) * scale) as u64;
    let v = lo + (rng.below(span.max(1)) as f64) / scale;
    format!("{v:.*}", decimals as usize)
}

/// A point: mostly near one of a few centres (so searches find things),
/// sometimes anywhere, sometimes (for 5.0.14 only) on the edges.
fn point(rng: &mut Rng, reference: Reference) -> (String, String) {
    const CENTRES: [(f64, f64); 4] =
        [(13.36, 38.11), (-73.98, 40.75), (151.2, -33.86), (179.5, 70.0)];
    match rng.below(10) {
        0..=5 => {
            let n = if reference == Reference::Redis5 { 4 } else { 3 };
            let (lon, lat) = CENTRES[rng.below(n) as usize];
            let dl = 3.0;
            (
                coord(rng, (lon - dl).max(-180.0), (lon + dl).min(180.0)),
                coord(rng, lat - dl, lat + dl),
            )
        }
        6 if reference == Reference::Redis5 => {
            let lons = ["180", "-180", "0", "179.999999"];
            let lats = ["85.05112878", "-85.05112878", "0", "85.05"];
            (
                lons[rng.below(4) as usize].to_string(),
                lats[rng.below(4) as usize].to_string(),
            )
        }
        _ if reference == Reference::Redis5 => {
            (coord(rng, -179.0, 179.0), coord(rng, -84.0, 84.0))
        }
        _ => (coord(rng, -179.0, 179.0), coord(rng, -60.0, 60.0)),
    }
}

const UNITS: [&str; 4] = ["m", "km", "ft", "mi"];

/// A member name among a small pool, so that commands hit existing ones.
fn member(rng: &mut Rng) -> String {
    format!("m{}", rng.below(40))
}

/// A radius: mostly tens to thousands of km, sometimes tiny or huge.
fn radius(rng: &mut Rng, reference: Reference) -> (String, String) {
    let unit = UNITS[rng.below(4) as usize].to_string();
    let km = match rng.below(10) {
        0 => rng.below(1000) as f64 / 1000.0,
        1 if reference == Reference::Redis5 => {
            40000.0 + rng.below(50000) as f64
        }
        2 if reference == Reference::Redis5 => rng.below(100) as f64 * 100.0,
        _ if reference == Reference::Redis5 => rng.below(1500) as f64 + 0.5,
        // 7.0 fixed searches that 5.0 cuts short (its search boxes miss
        // points at big radiuses, worse towards the poles): keep 7.0's
        // searches small.
        _ => rng.below(400) as f64 + 0.5,
    };
    let meters = km * 1000.0;
    let v = match unit.as_str() {
        "m" => meters,
        "km" => km,
        "ft" => meters / 0.3048,
        _ => meters / 1609.34,
    };
    (format!("{v:.3}"), unit)
}

/// GEORADIUS options: WITH* flags, an order, a COUNT.
fn radius_options(rng: &mut Rng, reference: Reference) -> Vec<String> {
    let mut opts = Vec::new();
    for o in ["WITHDIST", "WITHHASH", "WITHCOORD"] {
        if rng.below(2) == 0 {
            opts.push(o.to_string());
        }
    }
    match rng.below(3) {
        0 => opts.push("ASC".into()),
        1 => opts.push("DESC".into()),
        _ if reference == Reference::Redis7 => opts.push("ASC".into()),
        _ => {}
    }
    // Shuffle a little: options come in any order.
    let n = opts.len();
    if n > 1 && rng.below(2) == 0 {
        opts.swap(0, n - 1);
    }
    if rng.below(3) == 0 {
        let at = rng.below(opts.len() as u64 + 1) as usize;
        opts.insert(at, (1 + rng.below(10)).to_string());
        opts.insert(at, "COUNT".into());
    }
    opts
}

/// One random command of a script, on key `geo:<n>`.
///
/// Points on the edges go only into `geo:2`, and GEORADIUSBYMEMBER and
/// GEOHASH never look there: for a member stored at longitude 180 or
/// latitude 85.05112878 the centre of its cell lies just outside the GEO
/// limits, C's geohashEncode() then leaves its output unwritten, and
/// 5.0.14 searches (or prints) whatever its stack held. See the
/// divergences in geohash_helper.rs and geo.rs.
fn random_command(rng: &mut Rng, reference: Reference) -> Vec<String> {
    let key = format!("geo:{}", rng.below(3));
    let member_key = format!("geo:{}", rng.below(2));
    let mut cmd: Vec<String> = Vec::new();
    match rng.below(12) {
        0..=3 => {
            cmd.push("GEOADD".into());
            let edges =
                if key == "geo:2" { reference } else { Reference::Redis7 };
            cmd.push(key);
            for _ in 0..1 + rng.below(5) {
                let (lon, lat) = point(rng, edges);
                cmd.extend([lon, lat, member(rng)]);
            }
        }
        4..=5 => {
            cmd.extend(["GEORADIUS".into(), key]);
            let (lon, lat) = point(rng, reference);
            cmd.extend([lon, lat]);
            let (r, u) = radius(rng, reference);
            cmd.extend([r, u]);
            cmd.extend(radius_options(rng, reference));
        }
        6 => {
            cmd.extend(["GEORADIUSBYMEMBER".into(), member_key, member(rng)]);
            let (r, u) = radius(rng, reference);
            cmd.extend([r, u]);
            cmd.extend(radius_options(rng, reference));
        }
        7 => {
            // The _RO forms, and STORE/STOREDIST (then read the result).
            let (lon, lat) = point(rng, reference);
            let (r, u) = radius(rng, reference);
            if rng.below(2) == 0 {
                cmd.extend(["GEORADIUS_RO".into(), key, lon, lat, r, u]);
            } else {
                cmd.extend([
                    "GEORADIUSBYMEMBER_RO".into(),
                    member_key,
                    member(rng),
                    r,
                    u,
                ]);
            }
            cmd.extend(radius_options(rng, reference));
        }
        8 => {
            cmd.extend(["GEODIST".into(), key, member(rng), member(rng)]);
            if rng.below(2) == 0 {
                cmd.push(UNITS[rng.below(4) as usize].into());
            }
        }
        9 => {
            cmd.extend(["GEOHASH".into(), member_key]);
            for _ in 0..rng.below(5) {
                cmd.push(member(rng));
            }
        }
        10 => {
            cmd.extend(["GEOPOS".into(), key]);
            for _ in 0..rng.below(5) {
                cmd.push(member(rng));
            }
        }
        _ => {
            let store = if rng.below(2) == 0 { "STORE" } else { "STOREDIST" };
            let (r, u) = radius(rng, reference);
            if rng.below(2) == 0 {
                let (lon, lat) = point(rng, reference);
                cmd.extend(["GEORADIUS".into(), key, lon, lat, r, u]);
            } else {
                cmd.extend([
                    "GEORADIUSBYMEMBER".into(),
                    member_key,
                    member(rng),
                    r,
                    u,
                ]);
            }
            match rng.below(3) {
                0 => cmd.extend(["ASC".into()]),
                1 => cmd.extend(["DESC".into(), "COUNT".into(), "3".into()]),
                _ => {}
            }
            cmd.extend([store.into(), "dst".into()]);
        }
    }
    cmd
}

/// A script of `n` random commands; after each STORE/STOREDIST, a
/// ZRANGE dst 0 -1 WITHSCORES reads what was stored.
fn random_script(
    seed: u64,
    n: usize,
    reference: Reference,
) -> Vec<Vec<String>> {
    let mut rng = Rng(seed);
    // Every source key exists: 7.0 answers a STORE search on a missing key
    // with :0 where 5.0 says *0.
    let mut script: Vec<Vec<String>> = (0..3)
        .map(|k| {
            ["GEOADD", &format!("geo:{k}"), "0", "0", "origin"]
                .map(String::from)
                .to_vec()
        })
        .collect();
    while script.len() < n {
        let cmd = random_command(&mut rng, reference);
        let stores = cmd.iter().any(|a| a.starts_with("STORE"));
        script.push(cmd);
        if stores {
            script.push(
                ["ZRANGE", "dst", "0", "-1", "WITHSCORES"]
                    .map(String::from)
                    .to_vec(),
            );
        }
    }
    script
}

/// Runs `script` and returns every raw reply.
fn run_script(server: &Server, script: &[Vec<String>]) -> Vec<String> {
    let mut c = Conn::new(server);
    script
        .iter()
        .map(|cmd| {
            let args: Vec<&str> = cmd.iter().map(String::as_str).collect();
            c.raw(&args)
        })
        .collect()
}

/// The reference server and what it is.
fn reference_server() -> (Server, Reference) {
    match util::c_server() {
        Some(bin) => (Server::start_binary(&bin, &[]), Reference::Redis5),
        None => (
            Server::start_binary(&util::find_binary("redis-server"), &[]),
            Reference::Redis7,
        ),
    }
}

/// Runs the seeded scripts on ours and on the reference and compares the
/// replies; the skiplist encoding (zset-max-ziplist-entries 0) too.
fn compare_random_scripts(extra_args: &[&str], seeds: std::ops::Range<u64>) {
    let (reference, kind) = reference_server();
    let ours = Server::start(extra_args);
    for (k, v) in extra_args.chunks(2).map(|p| (p[0], p[1])) {
        reference.cmd(&["CONFIG", "SET", k.trim_start_matches("--"), v]);
    }
    let mut compared = 0;
    let mut nonempty_searches = 0;
    for seed in seeds {
        for s in [&ours, &reference] {
            s.cmd(&["FLUSHALL"]);
        }
        let script = random_script(0x9e3779b97f4a7c15 ^ seed, 150, kind);
        let theirs = run_script(&reference, &script);
        let mine = run_script(&ours, &script);
        for ((cmd, t), m) in script.iter().zip(&theirs).zip(&mine) {
            assert_eq!(m, t, "seed {seed}, {kind:?}: {cmd:?}");
            compared += 1;
            if cmd[0].starts_with("GEORADIUS")
                && t.starts_with('*')
                && t != "*0\r\n"
            {
                nonempty_searches += 1;
            }
        }
    }
    // The scripts must exercise the searches, not only miss.
    assert!(
        nonempty_searches > 50,
        "only {nonempty_searches} searches found points"
    );
    eprintln!("{compared} replies compared with {kind:?}, {nonempty_searches} non-empty searches");
}

/// How many seeds a random test runs: `GEO_SEEDS`, or `default`.
fn seeds(default: u64) -> u64 {
    std::env::var("GEO_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

#[test]
fn random_geo_scripts_match_the_reference_byte_for_byte() {
    compare_random_scripts(&[], 0..seeds(8));
}

#[test]
fn random_geo_scripts_match_the_reference_skiplist_encoded() {
    compare_random_scripts(
        &["--zset-max-ziplist-entries", "0", "--zset-max-ziplist-value", "0"],
        1000..1000 + seeds(8),
    );
}

// ----------------------------- hostile arguments -----------------------------

/// Commands with odd or hostile arguments and the bytes Redis 5.0.14
/// replies to each (taken from the real 5.0.14, which
/// `hostile_arguments_get_redis_5_replies` also checks when it is given).
#[rustfmt::skip]
const HOSTILE: &[(&[&str], &str)] = &[
    (&["FLUSHALL"], "+OK\r\n"),
    (&["SET", "str", "x"], "+OK\r\n"),
    (&["GEOADD", "k", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"], ":2\r\n"),
    (&["GEOADD", "k", "nan", "0", "a"], "-ERR value is not a valid float\r\n"),
    (&["GEOADD", "k", "NaN", "0", "a"], "-ERR value is not a valid float\r\n"),
    (&["GEOADD", "k", "inf", "0", "a"], "-ERR invalid longitude,latitude pair inf,0.000000\r\n"),
    (&["GEOADD", "k", "-inf", "-inf", "a"], "-ERR invalid longitude,latitude pair -inf,-inf\r\n"),
    (&["GEOADD", "k", "180.0000001", "0", "a"], "-ERR invalid longitude,latitude pair 180.000000,0.000000\r\n"),
    (&["GEOADD", "k", "0", "85.05112879", "a"], "-ERR invalid longitude,latitude pair 0.000000,85.051129\r\n"),
    (&["GEOADD", "k", "0", "-85.05112879", "a"], "-ERR invalid longitude,latitude pair 0.000000,-85.051129\r\n"),
    (&["GEOADD", "k", "1e308", "0", "a"], "-ERR invalid longitude,latitude pair 100000000000000001097906362944045541740492309677311846336810682903157585404911491537163328978494688899061249669721172515611590283743140088328307009198146046031271664502933027185697489699588559043338384466165001178426897626212945177628091195786707458122783970171784415105291802893207873272974885715430223118336.000000,0.000000\r\n"),
    (&["GEOADD", "k", "1e400", "0", "a"], "-ERR value is not a valid float\r\n"),
    (&["GEOADD", "k", "", "0", "a"], "-ERR value is not a valid float\r\n"),
    (&["GEOADD", "k", " 1", "0", "a"], "-ERR value is not a valid float\r\n"),
    (&["GEOADD", "k", "1 ", "0", "a"], "-ERR value is not a valid float\r\n"),
    (&["GEOADD", "k", "0", "0"], "-ERR wrong number of arguments for 'geoadd' command\r\n"),
    (&["GEOADD", "k", "0", "0", "a", "1"], "-ERR syntax error. Try GEOADD key [x1] [y1] [name1] [x2] [y2] [name2] ... \r\n"),
    (&["GEOADD", "k", "0", "0", "a", "1", "2"], "-ERR syntax error. Try GEOADD key [x1] [y1] [name1] [x2] [y2] [name2] ... \r\n"),
    (&["GEOADD", "k", "0", "0", "a", "x", "0", "b"], "-ERR value is not a valid float\r\n"),
    (&["GEOADD", "str", "0", "0", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (&["GEOADD", "k", "0x10", "0.5e1", "hex"], ":1\r\n"),
    (&["GEOADD", "k", "180", "85.05112878", "edge", "-180", "-85.05112878", "edge2"], ":2\r\n"),
    (&["GEOPOS", "k", "edge", "edge2", "hex", "nosuch"], "*4\r\n*2\r\n$21\r\n180.00000268220901489\r\n$20\r\n85.05113004736057292\r\n*2\r\n$22\r\n-179.99999731779098511\r\n$21\r\n-85.05112751263942528\r\n*2\r\n$20\r\n16.00000172853469849\r\n$19\r\n4.99999983043607443\r\n*-1\r\n"),
    (&["GEORADIUS", "k", "15", "37", "1e308", "km"], "*4\r\n$3\r\nhex\r\n$7\r\nPalermo\r\n$7\r\nCatania\r\n$5\r\nedge2\r\n"),
    (&["GEORADIUS", "k", "15", "37", "inf", "m", "ASC"], "*4\r\n$7\r\nCatania\r\n$7\r\nPalermo\r\n$3\r\nhex\r\n$5\r\nedge2\r\n"),
    (&["GEORADIUS", "k", "15", "37", "nan", "m"], "-ERR need numeric radius\r\n"),
    (&["GEORADIUS", "k", "15", "37", "abc", "m"], "-ERR need numeric radius\r\n"),
    (&["GEORADIUS", "k", "15", "37", "-1", "m"], "-ERR radius cannot be negative\r\n"),
    (&["GEORADIUS", "k", "15", "37", "-0", "m", "WITHDIST"], "*0\r\n"),
    (&["GEORADIUS", "k", "15", "37", "0", "m"], "*0\r\n"),
    (&["GEORADIUS", "k", "15", "37", "1", "KM"], "-ERR unsupported unit provided. please use m, km, ft, mi\r\n"),
    (&["GEORADIUS", "k", "15", "37", "200", "km", "COUNT"], "-ERR syntax error\r\n"),
    (&["GEORADIUS", "k", "15", "37", "200", "km", "COUNT", "-1"], "-ERR COUNT must be > 0\r\n"),
    (&["GEORADIUS", "k", "15", "37", "200", "km", "COUNT", "0"], "-ERR COUNT must be > 0\r\n"),
    (&["GEORADIUS", "k", "15", "37", "200", "km", "COUNT", "abc"], "-ERR value is not an integer or out of range\r\n"),
    (&["GEORADIUS", "k", "15", "37", "200", "km", "COUNT", "99999999999999999999"], "-ERR value is not an integer or out of range\r\n"),
    (&["GEORADIUS", "k", "15", "37", "200", "km", "COUNT", "1", "DESC", "WITHDIST", "WITHCOORD", "WITHHASH"], "*1\r\n*4\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n:3479099956230698\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n"),
    (&["GEORADIUS", "k", "15", "37", "200", "km", "STORE"], "-ERR syntax error\r\n"),
    (&["GEORADIUS", "k", "15", "37", "200", "km", "FOO"], "-ERR syntax error\r\n"),
    (&["GEORADIUS_RO", "k", "15", "37", "200", "km", "STORE", "x"], "-ERR syntax error\r\n"),
    (&["GEORADIUSBYMEMBER_RO", "k", "Palermo", "200", "km", "STOREDIST", "x"], "-ERR syntax error\r\n"),
    (&["GEORADIUS", "k", "15", "37", "200", "km", "STORE", "x", "WITHDIST"], "-ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORDS options\r\n"),
    (&["GEORADIUS", "k", "200", "0", "1", "km"], "-ERR invalid longitude,latitude pair 200.000000,0.000000\r\n"),
    (&["GEORADIUS", "k", "0", "90", "1", "km"], "-ERR invalid longitude,latitude pair 0.000000,90.000000\r\n"),
    (&["GEORADIUS", "k", "x", "0", "1", "km"], "-ERR value is not a valid float\r\n"),
    (&["GEORADIUS", "k", "15", "37", "200"], "-ERR wrong number of arguments for 'georadius' command\r\n"),
    (&["GEORADIUS", "k", "15", "37", "200", "km", "STORE", "x", "STOREDIST", "y"], ":2\r\n"),
    (&["GEORADIUS", "k", "15", "37", "200", "km", "STOREDIST", "y", "STORE", "x"], ":2\r\n"),
    (&["ZRANGE", "x", "0", "-1", "WITHSCORES"], "*4\r\n$7\r\nPalermo\r\n$16\r\n3479099956230698\r\n$7\r\nCatania\r\n$16\r\n3479447370796909\r\n"),
    (&["GEORADIUS", "k", "-100", "0", "1", "km", "STORE", "x"], ":0\r\n"),
    (&["EXISTS", "x"], ":0\r\n"),
    (&["GEORADIUS", "nokey", "0", "0", "1", "km", "STORE", "x"], "*0\r\n"),
    (&["GEORADIUS", "str", "0", "0", "1", "km"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (&["GEORADIUSBYMEMBER", "k", "nosuch", "1", "km"], "-ERR could not decode requested zset member\r\n"),
    (&["GEORADIUSBYMEMBER", "str", "x", "1", "km"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (&["GEORADIUSBYMEMBER", "nokey", "x", "1", "km"], "*0\r\n"),
    (&["GEORADIUSBYMEMBER", "k", "Palermo", "1e300", "mi", "WITHDIST", "ASC"], "*4\r\n*2\r\n$7\r\nPalermo\r\n$6\r\n0.0000\r\n*2\r\n$7\r\nCatania\r\n$8\r\n103.3182\r\n*2\r\n$3\r\nhex\r\n$9\r\n2294.7312\r\n*2\r\n$5\r\nedge2\r\n$9\r\n9186.5346\r\n"),
    (&["GEODIST", "k", "Palermo", "Catania", "km", "extra"], "-ERR syntax error\r\n"),
    (&["GEODIST", "k", "Palermo", "Catania", "furlong"], "-ERR unsupported unit provided. please use m, km, ft, mi\r\n"),
    (&["GEODIST", "k", "Palermo", "Catania", "KM"], "-ERR unsupported unit provided. please use m, km, ft, mi\r\n"),
    (&["GEODIST", "k", "Palermo", "Catania", "ft"], "$11\r\n545518.8700\r\n"),
    (&["GEODIST", "k", "Palermo", "Palermo"], "$6\r\n0.0000\r\n"),
    (&["GEODIST", "k", "Palermo", "nosuch"], "$-1\r\n"),
    (&["GEODIST", "nokey", "a", "b"], "$-1\r\n"),
    (&["GEODIST", "str", "a", "b"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (&["GEOHASH", "str", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (&["GEOHASH", "nokey", "a", "b"], "*2\r\n$-1\r\n$-1\r\n"),
    (&["GEOHASH", "k"], "*0\r\n"),
    (&["GEOPOS", "k"], "*0\r\n"),
    (&["GEOPOS", "nokey", "a"], "*1\r\n*-1\r\n"),
    (&["GEOPOS", "str", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (&["ZADD", "z", "1e300", "a", "-1", "b", "inf", "c", "-inf", "d", "123.5", "e", "4503599627370496", "f", "9007199254740992", "g"], ":7\r\n"),
    (&["GEOPOS", "z", "a", "b", "c", "d", "e", "f", "g"], "*7\r\n*2\r\n$22\r\n-179.99999731779098511\r\n$21\r\n-85.05112751263942528\r\n*2\r\n$23\r\n11339.99999731779098511\r\n$22\r\n5358.22111187263908505\r\n*2\r\n$22\r\n-179.99999731779098511\r\n$21\r\n-85.05112751263942528\r\n*2\r\n$23\r\n11340.00000268220901489\r\n$21\r\n-85.05112751263942528\r\n*2\r\n$22\r\n-179.99995976686477661\r\n$21\r\n-85.05109456126433543\r\n*2\r\n$22\r\n-179.99999731779098511\r\n$20\r\n85.05113004736057292\r\n*2\r\n$21\r\n180.00000268220901489\r\n$21\r\n-85.05112751263942528\r\n"),
    (&["GEODIST", "z", "a", "e"], "$6\r\n3.6827\r\n"),
    (&["GEODIST", "z", "b", "d", "mi"], "$9\r\n2990.6739\r\n"),
    (&["GEOHASH", "z", "a", "c", "e"], "*3\r\n$11\r\n00bh0hbj200\r\n$11\r\n00bh0hbj200\r\n$11\r\n00bh0hbj2y0\r\n"),
    (&["GEORADIUS", "z", "-180", "-85", "1000", "km", "WITHHASH", "WITHCOORD", "WITHDIST"], "*1\r\n*4\r\n$1\r\ne\r\n$6\r\n5.6831\r\n:123\r\n*2\r\n$22\r\n-179.99995976686477661\r\n$21\r\n-85.05109456126433543\r\n"),
    (&["GEORADIUS", "k", "15", "37", "200", "km", "withdist", "withcoord", "withhash", "desc", "count", "1"], "*1\r\n*4\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n:3479099956230698\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n"),
    (&["PING"], "+PONG\r\n"),
];

/// Runs `HOSTILE` on `server`, checking every reply.
#[track_caller]
fn check_hostile(server: &Server) {
    let mut c = Conn::new(server);
    for (cmd, want) in HOSTILE {
        assert_eq!(
            c.raw(cmd),
            *want,
            "{cmd:?} on {}",
            server.binary().display()
        );
    }
    // C's strcmp/strcasecmp stop at a NUL: "km\0junk" is km, "ASC\0" ASC.
    let nul: &[(&[&[u8]], &[u8])] = &[
        (
            &[b"GEORADIUS", b"k", b"15", b"37", b"200", b"km\0junk"],
            b"*2\r\n$7\r\nPalermo\r\n$7\r\nCatania\r\n",
        ),
        (
            &[b"GEORADIUS", b"k", b"15", b"37", b"200", b"km", b"withdist\0x", b"ASC\0"],
            b"*2\r\n*2\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n*2\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n",
        ),
        (&[b"GEODIST", b"k", b"Palermo", b"Catania", b"mi\0"], b"$8\r\n103.3182\r\n"),
    ];
    c.raw(&[
        "GEOADD",
        "k",
        "13.361389",
        "38.115556",
        "Palermo",
        "15.087269",
        "37.502669",
        "Catania",
    ]);
    for (cmd, want) in nul {
        assert_eq!(c.raw_bin(cmd), *want, "{cmd:?}");
    }
    assert_eq!(c.raw(&["PING"]), "+PONG\r\n");
}

#[test]
fn hostile_arguments_get_redis_5_replies() {
    let ours = Server::start(&[]);
    check_hostile(&ours);
    if let Some(bin) = util::c_server() {
        check_hostile(&Server::start_binary(&bin, &[]));
    }
}

/// COMMAND INFO and COMMAND GETKEYS as 5.0.14 answers them: the table
/// entries (arity, flags, key positions) and georadiusGetKeys().
#[rustfmt::skip]
const COMMAND_TABLE: &[(&[&str], &str)] = &[
    (&["COMMAND", "INFO", "geoadd", "georadius", "georadius_ro", "georadiusbymember", "georadiusbymember_ro", "geohash", "geopos", "geodist"], "*8\r\n*6\r\n$6\r\ngeoadd\r\n:-5\r\n*2\r\n+write\r\n+denyoom\r\n:1\r\n:1\r\n:1\r\n*6\r\n$9\r\ngeoradius\r\n:-6\r\n*2\r\n+write\r\n+movablekeys\r\n:1\r\n:1\r\n:1\r\n*6\r\n$12\r\ngeoradius_ro\r\n:-6\r\n*2\r\n+readonly\r\n+movablekeys\r\n:1\r\n:1\r\n:1\r\n*6\r\n$17\r\ngeoradiusbymember\r\n:-5\r\n*2\r\n+write\r\n+movablekeys\r\n:1\r\n:1\r\n:1\r\n*6\r\n$20\r\ngeoradiusbymember_ro\r\n:-5\r\n*2\r\n+readonly\r\n+movablekeys\r\n:1\r\n:1\r\n:1\r\n*6\r\n$7\r\ngeohash\r\n:-2\r\n*1\r\n+readonly\r\n:1\r\n:1\r\n:1\r\n*6\r\n$6\r\ngeopos\r\n:-2\r\n*1\r\n+readonly\r\n:1\r\n:1\r\n:1\r\n*6\r\n$7\r\ngeodist\r\n:-4\r\n*1\r\n+readonly\r\n:1\r\n:1\r\n:1\r\n"),
    (&["COMMAND", "GETKEYS", "GEORADIUS", "k", "0", "0", "1", "km", "STORE", "dst"], "*2\r\n$1\r\nk\r\n$3\r\ndst\r\n"),
    (&["COMMAND", "GETKEYS", "GEORADIUSBYMEMBER", "k", "m", "1", "km", "STORE", "a", "STOREDIST", "b"], "*2\r\n$1\r\nk\r\n$1\r\nb\r\n"),
    (&["COMMAND", "GETKEYS", "GEORADIUS_RO", "k", "0", "0", "1", "km", "store", "dst"], "*2\r\n$1\r\nk\r\n$3\r\ndst\r\n"),
    (&["COMMAND", "GETKEYS", "GEORADIUS", "k", "0", "0", "1", "km", "COUNT", "3"], "*1\r\n$1\r\nk\r\n"),
    (&["COMMAND", "GETKEYS", "GEORADIUS", "k", "0", "0", "1", "km", "STORE"], "*1\r\n$1\r\nk\r\n"),
    (&["COMMAND", "GETKEYS", "GEOADD", "k", "0", "0", "m"], "*1\r\n$1\r\nk\r\n"),
];

#[test]
fn command_table_entries_and_georadius_getkeys_match_redis_5() {
    let mut servers = vec![Server::start(&[])];
    servers.extend(util::c_server().map(|bin| Server::start_binary(&bin, &[])));
    for s in &servers {
        let mut c = Conn::new(s);
        for (cmd, want) in COMMAND_TABLE {
            assert_eq!(
                c.raw(cmd),
                *want,
                "{cmd:?} on {}",
                s.binary().display()
            );
        }
    }
}

// --------------------------- propagation and events ---------------------------

#[test]
fn geoadd_replicates_as_zadd_and_georadius_store_as_itself() {
    check_propagation(&Server::start(&[]));
    if let Some(bin) = util::c_server() {
        check_propagation(&Server::start_binary(&bin, &[]));
    }
}

/// The replication stream of `s` for GEO writes (see the test above).
#[track_caller]
fn check_propagation(s: &Server) {
    let mut stream = util::sync_stream(s);
    let mut c = Conn::new(s);
    assert_eq!(
        c.raw(&["GEOADD", "k", "13.361389", "38.115556", "Palermo"]),
        ":1\r\n"
    );
    // GEOADD rewrites itself into ZADD (replaceClientCommandVector), as C.
    assert_eq!(
        util::next_propagated(&mut stream),
        ["zadd", "k", "3479099956230698", "Palermo"]
    );
    // Nothing changed (same position), a read-only search, an error: no
    // propagation; the marker comes next.
    c.raw(&["GEOADD", "k", "13.361389", "38.115556", "Palermo"]);
    c.raw(&["GEORADIUS", "k", "15", "37", "200", "km"]);
    c.raw(&["GEOADD", "k", "200", "0", "x"]);
    c.raw(&["SET", "marker", "1"]);
    assert_eq!(util::next_propagated(&mut stream), ["SET", "marker", "1"]);
    let store = ["GEORADIUS", "k", "15", "37", "200", "km", "STOREDIST", "dst"];
    assert_eq!(c.raw(&store), ":1\r\n");
    assert_eq!(util::next_propagated(&mut stream), store);
    let by_member =
        ["GEORADIUSBYMEMBER", "k", "Palermo", "1", "km", "STORE", "dst"];
    assert_eq!(c.raw(&by_member), ":1\r\n");
    assert_eq!(util::next_propagated(&mut stream), by_member);
    // Inside MULTI/EXEC and from a script with effects replication, the
    // ZADD too.
    c.raw(&["MULTI"]);
    c.raw(&["GEOADD", "k", "15.087269", "37.502669", "Catania"]);
    assert_eq!(c.raw(&["EXEC"]), "*1\r\n:1\r\n");
    assert_eq!(util::next_propagated(&mut stream), ["MULTI"]);
    assert_eq!(
        util::next_propagated(&mut stream),
        ["zadd", "k", "3479447370796909", "Catania"]
    );
    assert_eq!(util::next_propagated(&mut stream), ["EXEC"]);
    let script = "redis.replicate_commands() \
                  return redis.call('geoadd', KEYS[1], 0, 0, 'origin')";
    assert_eq!(c.raw(&["EVAL", script, "1", "k"]), ":1\r\n");
    assert_eq!(util::next_propagated(&mut stream), ["MULTI"]);
    assert_eq!(
        util::next_propagated(&mut stream),
        ["zadd", "k", "3377699720527872", "origin"]
    );
    assert_eq!(util::next_propagated(&mut stream), ["EXEC"]);
    // The stats count GEOADD, the command the client sent.
    let stats = s.info_text(Some("commandstats"));
    assert!(stats.contains("cmdstat_geoadd:calls=5,"), "{stats}");
    assert!(!stats.contains("cmdstat_zadd:"), "{stats}");
}

#[test]
fn geo_keyspace_events_are_redis_5s() {
    util::assert_keyevents(
        &[
            &[
                "GEOADD",
                "k",
                "13.361389",
                "38.115556",
                "Palermo",
                "15.087269",
                "37.502669",
                "Catania",
            ],
            &["GEOADD", "k", "13.361389", "38.115556", "Palermo"],
            &["GEORADIUS", "k", "15", "37", "200", "km", "STORE", "dst"],
            &[
                "GEORADIUS",
                "k",
                "15",
                "37",
                "200",
                "km",
                "ASC",
                "COUNT",
                "1",
                "STOREDIST",
                "dst",
            ],
            &["GEORADIUS_RO", "k", "15", "37", "200", "km"],
            &["GEORADIUS", "k", "-100", "0", "1", "km", "STORE", "dst"],
            &["GEORADIUS", "k", "-100", "0", "1", "km", "STORE", "dst"],
        ],
        &["zadd k", "georadiusstore dst", "georadiusstore dst", "del dst"],
    );
}

// --------------------------------- replication ---------------------------------

#[test]
fn oxredis_replica_digest_matches_after_concurrent_geo_writes() {
    let master = Server::start(&[]);
    let port = master.port_str();
    let replica = Server::start(&["--replicaof", "127.0.0.1", &port]);
    util::wait_for(Duration::from_secs(30), || {
        replica.info("master_link_status") == "up"
            && master.info("slave0").contains("state=online")
    });

    // Four writers: GEOADD batches and STORE/STOREDIST searches over the
    // same keys, interleaved by the server as they arrive.
    let writers: Vec<_> = (0..4u64)
        .map(|w| {
            let port = master.port();
            thread::spawn(move || {
                let mut rng = Rng(0x5eed_0000 + w);
                let mut c = Conn::connect(port);
                for i in 0..300 {
                    let key = format!("geo:{}", rng.below(3));
                    if i % 3 == 2 {
                        let (lon, lat) = point(&mut rng, Reference::Redis7);
                        let (r, u) = radius(&mut rng, Reference::Redis7);
                        let store = if rng.below(2) == 0 {
                            "STORE"
                        } else {
                            "STOREDIST"
                        };
                        let dst = format!("dst:{}", rng.below(4));
                        let reply = c.raw(&[
                            "GEORADIUS",
                            &key,
                            &lon,
                            &lat,
                            &r,
                            &u,
                            "COUNT",
                            "20",
                            store,
                            &dst,
                        ]);
                        assert!(
                            reply.starts_with(':') || reply == "*0\r\n",
                            "{reply}"
                        );
                    } else {
                        let mut cmd = vec!["GEOADD".to_string(), key];
                        for _ in 0..1 + rng.below(8) {
                            let (lon, lat) = point(&mut rng, Reference::Redis5);
                            cmd.extend([
                                lon,
                                lat,
                                format!("w{w}m{}", rng.below(200)),
                            ]);
                        }
                        let args: Vec<&str> =
                            cmd.iter().map(String::as_str).collect();
                        assert!(c.raw(&args).starts_with(':'));
                    }
                }
            })
        })
        .collect();
    for w in writers {
        w.join().expect("writer");
    }

    let target: i64 =
        master.info("master_repl_offset").parse().expect("offset");
    util::wait_for(Duration::from_secs(30), || {
        replica.info("slave_repl_offset").parse::<i64>().unwrap_or(-1) >= target
    });
    let digest = master.cmd_str(&["DEBUG", "DIGEST"]);
    assert_ne!(digest, "0".repeat(40), "the load wrote nothing");
    assert_eq!(replica.cmd_str(&["DEBUG", "DIGEST"]), digest);
    // The searches stored something, on both sides alike.
    let stored: i64 = (0..4)
        .map(|d| {
            master
                .cmd_str(&["ZCARD", &format!("dst:{d}")])
                .parse::<i64>()
                .unwrap_or(0)
        })
        .sum();
    assert!(stored > 0, "no STORE search found points");
}

/// GEORADIUS STORE creates its target through setKey(), so a client
/// blocked in BZPOPMIN on it is served, with the point's geohash score.
#[test]
fn georadius_store_serves_a_client_blocked_on_the_target() {
    let mut servers = vec![Server::start(&[])];
    servers.extend(util::c_server().map(|bin| Server::start_binary(&bin, &[])));
    for s in &servers {
        let mut c = Conn::new(s);
        c.raw(&["GEOADD", "k", "13.361389", "38.115556", "Palermo"]);
        let mut blocked = Conn::new(s);
        blocked.send(&["BZPOPMIN", "dst", "10"]);
        util::wait_for(Duration::from_secs(10), || {
            s.info("blocked_clients") == "1"
        });
        assert_eq!(
            c.raw(&["GEORADIUS", "k", "15", "37", "200", "km", "STORE", "dst"]),
            ":1\r\n"
        );
        assert_eq!(
            blocked.read(),
            "*3\r\n$3\r\ndst\r\n$7\r\nPalermo\r\n$16\r\n3479099956230698\r\n"
        );
    }
}
