//! The GEO commands: GEOADD, GEORADIUS (and its _RO, BYMEMBER and
//! BYMEMBER_RO forms), GEOHASH, GEOPOS and GEODIST. A geo set is a plain
//! sorted set whose scores are the 52-bit geohashes of its members'
//! positions (see geohash.rs); a radius search turns the circle into nine
//! geohash cells, reads each cell's score range from the sorted set, and
//! keeps the points whose great-circle distance is within the radius.
//!
//! Ports geo.c and geo.h from Redis 5.0.14, in the same order.
//!
//! Before reading: GEOADD rewrites itself into ZADD and runs zaddCommand,
//! so it replicates (and shows in the slow log) as ZADD, as in C. The
//! commands borrow their arguments out of the client while they run
//! (`std::mem::take(&mut c.argv)`) and put them back before returning,
//! because C reads `c->argv` while it writes replies to the same client.

// The range tests are C's `x < min || x > max`, which a NaN passes;
// `!(min..=max).contains(&x)` would not.
#![allow(clippy::manual_range_contains)]

use crate::db::*;
use crate::geohash::*;
use crate::geohash_helper::*;
use crate::networking::*;
use crate::notify::notify_keyspace_event;
use crate::object::*;
use crate::server::*;
use crate::shared::{
    EMPTYMULTIBULK, NULLBULK, NULLMULTIBULK, SYNTAXERR, WRONGTYPEERR,
};
use crate::t_string::check_type;
use crate::t_zset::*;

// ------------------------------------ geo.h -----------------------------------

/// A point on the earth found by a radius search: its position, its
/// distance from the centre, its sorted set score and its member.
///
/// C: geo.h geoPoint
#[derive(Debug, Clone, Default)]
struct GeoPoint {
    longitude: f64,
    latitude: f64,
    dist: f64,
    score: f64,
    member: Vec<u8>,
}

/// The points of a search, in the order found. Dropping it frees the
/// members (C: geo.c geoArrayFree() is `Drop`).
///
/// C: geo.h geoArray
#[derive(Debug, Default)]
struct GeoArray {
    array: Vec<GeoPoint>,
}

// ------------------------------------ geo.c -----------------------------------

// ====================================================================
// This file implements the following commands:
//
//   - geoadd - add coordinates for value to geoset
//   - georadius - search radius by coordinates in geoset
//   - georadiusbymember - search radius based on geoset member position
// ====================================================================

// ====================================================================
// geoArray implementation
// ====================================================================

/// Create a new array of geoPoints.
///
/// C: geo.c geoArrayCreate()
fn geo_array_create() -> GeoArray {
    // It gets allocated on first geoArrayAppend() call.
    GeoArray { array: Vec::new() }
}

/// Add a new entry and return it so that the caller can populate it with
/// data.
///
/// C: geo.c geoArrayAppend()
fn geo_array_append(ga: &mut GeoArray) -> &mut GeoPoint {
    // C starts with 8 buckets and doubles them when full.
    if ga.array.len() == ga.array.capacity() {
        let buckets = if ga.array.capacity() == 0 { 8 } else { ga.array.len() };
        ga.array.reserve_exact(buckets);
    }
    ga.array.push(GeoPoint::default());
    ga.array.last_mut().expect("just pushed")
}

// ====================================================================
// Helpers
// ====================================================================

/// C's `(uint64_t)` cast of a double as gcc compiles it for x86-64 (the
/// 5.0.14 build): below 2^63 (or NaN) cvttsd2si, whose out-of-range
/// answer is 2^63; from 2^63 up, cvttsd2si of x - 2^63 with the top bit
/// flipped, so 2^64 and above (and +inf) give 0. (no C twin)
fn c_double_to_u64(x: f64) -> u64 {
    const TWO63: f64 = 9223372036854775808.0;
    if x >= TWO63 {
        (c_double_to_i64(x - TWO63) as u64) ^ (1 << 63)
    } else {
        c_double_to_i64(x) as u64
    }
}

/// C's `(long long)` cast of a double on x86-64 (cvttsd2si): truncation,
/// and i64::MIN for NaN and anything out of range. (no C twin)
fn c_double_to_i64(x: f64) -> i64 {
    const TWO63: f64 = 9223372036854775808.0;
    if x.is_nan() || x >= TWO63 || x < -TWO63 {
        i64::MIN
    } else {
        x as i64
    }
}

/// The bytes of an argument up to its first NUL, as C's string functions
/// see it. (no C twin)
fn c_str(a: &[u8]) -> &[u8] {
    &a[..memchr::memchr(0, a).unwrap_or(a.len())]
}

/// C's `strcasecmp(a, lit) == 0` on an argument. (no C twin)
fn strcasecmp_eq(a: &[u8], lit: &str) -> bool {
    c_str(a).eq_ignore_ascii_case(lit.as_bytes())
}

/// Decodes a sorted set score (a 52-bit geohash) into xy[0] longitude,
/// xy[1] latitude, the centre of its cell.
///
/// C: geo.c decodeGeohash()
fn decode_geohash(bits: f64, xy: &mut [f64; 2]) -> bool {
    let hash = GeoHashBits { bits: c_double_to_u64(bits), step: GEO_STEP_MAX };
    geohash_decode_to_long_lat_wgs84(hash, xy)
}

/// printf's "%f" (and "%.Nf") of a double: Rust's fixed formatting is
/// exact like glibc's, only NaN and infinity are spelled otherwise.
/// (no C twin)
fn c_fmt_fixed(d: f64, prec: usize) -> String {
    if d.is_nan() {
        if d.is_sign_negative() { "-nan" } else { "nan" }.to_string()
    } else if d.is_infinite() {
        if d > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        format!("{d:.prec$}")
    }
}

/// Input argument helper: reads argv[0] as the longitude and argv[1] as
/// the latitude into xy, replying an error when they are no numbers or
/// out of the GEO limits.
///
/// C: geo.c extractLongLatOrReply()
fn extract_long_lat_or_reply(
    c: &mut Client,
    argv: &[Vec<u8>],
    xy: &mut [f64; 2],
) -> CResult {
    for i in 0..2 {
        match get_double_from_object_or_reply(c, &argv[i], None) {
            Some(v) => xy[i] = v,
            None => return Err(CErr),
        }
    }
    if xy[0] < GEO_LONG_MIN
        || xy[0] > GEO_LONG_MAX
        || xy[1] < GEO_LAT_MIN
        || xy[1] > GEO_LAT_MAX
    {
        let msg = format!(
            "-ERR invalid longitude,latitude pair {},{}\r\n",
            c_fmt_fixed(xy[0], 6),
            c_fmt_fixed(xy[1], 6)
        );
        add_reply(c, msg.as_bytes());
        return Err(CErr);
    }
    Ok(())
}

/// Input argument helper: decodes the position of `member` from its
/// score; an error when it is not in the set.
///
/// C: geo.c longLatFromMember()
fn long_lat_from_member(
    zobj: &RObj,
    member: &[u8],
    xy: &mut [f64; 2],
) -> CResult {
    let Some(score) = zset_score(zobj, member) else {
        return Err(CErr);
    };
    if !decode_geohash(score, xy) {
        return Err(CErr);
    }
    Ok(())
}

/// Checks that the unit argument is one of the known units and returns
/// the conversion factor to meters (divide meters by it to get the unit).
/// An unknown unit is replied an error and gives a value below zero.
///
/// C: geo.c extractUnitOrReply()
fn extract_unit_or_reply(c: &mut Client, unit: &[u8]) -> f64 {
    // strcmp: case sensitive.
    match c_str(unit) {
        b"m" => 1.0,
        b"km" => 1000.0,
        b"ft" => 0.3048,
        b"mi" => 1609.34,
        _ => {
            add_reply_error(
                c,
                "unsupported unit provided. please use m, km, ft, mi",
            );
            -1.0
        }
    }
}

/// Input argument helper: reads the distance from argv[0] (a number) and
/// argv[1] (its unit) and returns it in meters; `conversion` gets the
/// factor that converts meters back into the unit. Below zero on error.
///
/// C: geo.c extractDistanceOrReply()
fn extract_distance_or_reply(
    c: &mut Client,
    argv: &[Vec<u8>],
    conversion: Option<&mut f64>,
) -> f64 {
    let Some(distance) = get_double_from_object_or_reply(
        c,
        &argv[0],
        Some("need numeric radius"),
    ) else {
        return -1.0;
    };

    if distance < 0.0 {
        add_reply_error(c, "radius cannot be negative");
        return -1.0;
    }

    let to_meters = extract_unit_or_reply(c, &argv[1]);
    if to_meters < 0.0 {
        return -1.0;
    }

    if let Some(conversion) = conversion {
        *conversion = to_meters;
    }
    distance * to_meters
}

/// Replies a distance with 4 digits after the dot ("%.4f"): addReplyDouble
/// has more accuracy than a distance needs, and 4 digits still keep it
/// decently accurate when the unit is the kilometer.
///
/// C: geo.c addReplyDoubleDistance()
fn add_reply_double_distance(c: &mut Client, d: f64) {
    let dbuf = c_fmt_fixed(d, 4);
    add_reply_bulk_c_buffer(c, dbuf.as_bytes());
}

/// Helper of geoGetPointsInRange(): appends the point a sorted set entry
/// stands for to `ga` if it is within `radius` of (lon, lat). Ok if it
/// was appended, Err if it is outside (or cannot be decoded).
///
/// C: geo.c geoAppendIfWithinRadius()
fn geo_append_if_within_radius(
    ga: &mut GeoArray,
    lon: f64,
    lat: f64,
    radius: f64,
    score: f64,
    member: &[u8],
) -> CResult {
    let mut distance = 0.0;
    let mut xy = [0.0; 2];

    if !decode_geohash(score, &mut xy) {
        return Err(CErr); // Can't decode.
    }
    // Note that geohashGetDistanceIfInRadiusWGS84() takes arguments in
    // reverse order: longitude first, latitude later.
    if !geohash_get_distance_if_in_radius_wgs84(
        lon,
        lat,
        xy[0],
        xy[1],
        radius,
        &mut distance,
    ) {
        return Err(CErr);
    }

    // Append the new element. (C copies the member before the test and
    // frees it when the point is outside; here it is copied only when
    // kept.)
    let gp = geo_array_append(ga);
    gp.longitude = xy[0];
    gp.latitude = xy[1];
    gp.dist = distance;
    gp.member = member.to_vec();
    gp.score = score;
    Ok(())
}

/// Appends to `ga` the elements of the sorted set with min <= score < max
/// that are within `radius` of (lon, lat); returns how many it added.
///
/// Appending to an existing array matters: a radius query makes several
/// range queries whose results are later sorted together, and points out
/// of the radius are dropped as soon as possible.
///
/// C: geo.c geoGetPointsInRange()
fn geo_get_points_in_range(
    zobj: &RObj,
    min: f64,
    max: f64,
    lon: f64,
    lat: f64,
    radius: f64,
    ga: &mut GeoArray,
) -> usize {
    // minex 0 = include min in range; maxex 1 = exclude max in range.
    // That's: min <= val < max
    let range = ZRangeSpec { min, max, minex: false, maxex: true };
    let origincount = ga.array.len();

    match &zobj.ptr {
        Value::ZSet(ZSet::Ziplist(zl)) => {
            let Some(mut eptr) = zzl_first_in_range(zl, &range) else {
                // Nothing exists starting at our min. No results.
                return 0;
            };
            loop {
                let score = zzl_get_score(zl, eptr);

                // If we fell out of range, break.
                if !zsl_value_lte_max(score, &range) {
                    break;
                }

                let member = zzl_get_ele(zl, eptr);
                let _ = geo_append_if_within_radius(
                    ga, lon, lat, radius, score, member,
                );
                match zzl_next(zl, eptr) {
                    Some(p) => eptr = p,
                    None => break,
                }
            }
        }
        Value::ZSet(ZSet::Skiplist(zs)) => {
            let zsl = &zs.zsl;
            let mut ln = zsl_first_in_range(zsl, &range);
            if ln == ZSL_NULL {
                // Nothing exists starting at our min. No results.
                return 0;
            }

            while ln != ZSL_NULL {
                let n = zsl.node(ln);
                // Abort when the node is no longer in range.
                if !zsl_value_lte_max(n.score, &range) {
                    break;
                }

                let _ = geo_append_if_within_radius(
                    ga, lon, lat, radius, n.score, &n.ele,
                );
                ln = zsl.next(ln);
            }
        }
        _ => {}
    }
    ga.array.len() - origincount
}

/// The sorted set scores min (inclusive) and max (exclusive) that hold
/// every element inside the area `hash`.
///
/// `hash` has hash.step * 2 bits, and a score 52: for step 3 and hash
/// 101010, every score of the form 101010 followed by 46 free bits. The
/// minimum is the hash shifted to 52 bits; the maximum (excluded) is the
/// next prefix, 101011, shifted the same way.
///
/// C: geo.c scoresOfGeoHashBox()
fn scores_of_geo_hash_box(
    mut hash: GeoHashBits,
    min: &mut GeoHashFix52Bits,
    max: &mut GeoHashFix52Bits,
) {
    *min = geohash_align52_bits(hash);
    hash.bits = hash.bits.wrapping_add(1);
    *max = geohash_align52_bits(hash);
}

/// Appends the members inside the box `hash` that are within the radius;
/// returns how many.
///
/// C: geo.c membersOfGeoHashBox()
fn members_of_geo_hash_box(
    zobj: &RObj,
    hash: GeoHashBits,
    ga: &mut GeoArray,
    lon: f64,
    lat: f64,
    radius: f64,
) -> usize {
    let mut min = 0;
    let mut max = 0;

    scores_of_geo_hash_box(hash, &mut min, &mut max);
    geo_get_points_in_range(zobj, min as f64, max as f64, lon, lat, radius, ga)
}

/// Searches the centre box and its eight neighbours.
///
/// C: geo.c membersOfAllNeighbors()
fn members_of_all_neighbors(
    zobj: &RObj,
    n: GeoHashRadius,
    lon: f64,
    lat: f64,
    radius: f64,
    ga: &mut GeoArray,
) -> usize {
    let neighbors = [
        n.hash,
        n.neighbors.north,
        n.neighbors.south,
        n.neighbors.east,
        n.neighbors.west,
        n.neighbors.north_east,
        n.neighbors.north_west,
        n.neighbors.south_east,
        n.neighbors.south_west,
    ];
    let mut count = 0;
    let mut last_processed = 0;

    // For each neighbor (*and* our own hashbox), get all the matching
    // members and add them to the potential result list. (C's debugging
    // output, behind a constant 0, is left out.)
    for i in 0..neighbors.len() {
        if neighbors[i].is_zero() {
            continue;
        }

        // When a huge Radius (in the 5000 km range or more) is used,
        // adjacent neighbors can be the same, leading to duplicated
        // elements. Skip every range which is the same as the one
        // processed previously.
        if last_processed != 0
            && neighbors[i].bits == neighbors[last_processed].bits
            && neighbors[i].step == neighbors[last_processed].step
        {
            continue;
        }
        count +=
            members_of_geo_hash_box(zobj, neighbors[i], ga, lon, lat, radius);
        last_processed = i;
    }
    count
}

/// Sort comparator: nearest first. It cannot return the difference of
/// two doubles, the comparator returns an int.
///
/// C: geo.c sort_gp_asc()
fn sort_gp_asc(gpa: &GeoPoint, gpb: &GeoPoint) -> i32 {
    if gpa.dist > gpb.dist {
        1
    } else if gpa.dist == gpb.dist {
        0
    } else {
        -1
    }
}

/// C: geo.c sort_gp_desc()
fn sort_gp_desc(a: &GeoPoint, b: &GeoPoint) -> i32 {
    -sort_gp_asc(a, b)
}

/// C's qsort() as glibc 2.36 (Debian 12) runs it: a top-down merge sort
/// that halves the array (the first half gets n/2 elements), sorts both
/// halves and merges them taking from the first while cmp(first, second)
/// <= 0. For elements over 32 bytes glibc sorts pointers with the same
/// merge, so the comparisons, and the order they give even to ties and
/// to NaN distances, are the same. (no C twin: the libc sort)
fn glibc_qsort(
    array: &mut Vec<GeoPoint>,
    cmp: fn(&GeoPoint, &GeoPoint) -> i32,
) {
    fn msort(
        idx: &mut [usize],
        tmp: &mut Vec<usize>,
        a: &[GeoPoint],
        cmp: fn(&GeoPoint, &GeoPoint) -> i32,
    ) {
        let n = idx.len();
        if n <= 1 {
            return;
        }
        let n1 = n / 2;
        let (b1, b2) = idx.split_at_mut(n1);
        msort(b1, tmp, a, cmp);
        msort(b2, tmp, a, cmp);

        tmp.clear();
        let (mut i, mut j) = (0, 0);
        while i < b1.len() && j < b2.len() {
            if cmp(&a[b1[i]], &a[b2[j]]) <= 0 {
                tmp.push(b1[i]);
                i += 1;
            } else {
                tmp.push(b2[j]);
                j += 1;
            }
        }
        tmp.extend_from_slice(&b1[i..]);
        // What is left of the second half is already in place.
        let done = tmp.len();
        idx[..done].copy_from_slice(tmp);
    }

    let mut idx: Vec<usize> = (0..array.len()).collect();
    let mut tmp = Vec::with_capacity(array.len());
    msort(&mut idx, &mut tmp, array, cmp);
    let mut old: Vec<Option<GeoPoint>> =
        std::mem::take(array).into_iter().map(Some).collect();
    array
        .extend(idx.into_iter().map(|i| old[i].take().expect("a permutation")));
}

// ====================================================================
// Commands
// ====================================================================

/// GEOADD key long lat name [long2 lat2 name2 ... longN latN nameN]
///
/// C: geo.c geoaddCommand()
pub(crate) fn geoadd_command(server: &mut RedisServer, c: &mut Client) {
    let argc = c.argv.len();
    // Check arguments number for sanity.
    if !(argc - 2).is_multiple_of(3) {
        // Need an odd number of arguments if we got this far...
        add_reply_error(
            c,
            "syntax error. Try GEOADD key [x1] [y1] [name1] [x2] [y2] [name2] ... ",
        );
        return;
    }

    let elements = (argc - 2) / 3;
    let newargc = 2 + elements * 2; // ZADD key score ele ...
    let mut argv: Vec<Vec<u8>> = Vec::with_capacity(newargc);
    argv.push(b"zadd".to_vec());
    argv.push(Vec::new()); // the key, moved in below

    // Create the argument vector to call ZADD in order to add all the
    // score,value pairs to the requested zset, where score is actually an
    // encoded version of lat,long.
    let old = std::mem::take(&mut c.argv);
    for i in 0..elements {
        let mut xy = [0.0; 2];

        if extract_long_lat_or_reply(c, &old[2 + i * 3..], &mut xy).is_err() {
            c.argv = old;
            return;
        }

        // Turn the coordinates into the score of the element.
        let mut hash = GeoHashBits::default();
        geohash_encode_wgs84(xy[0], xy[1], GEO_STEP_MAX, &mut hash);
        let bits = geohash_align52_bits(hash);
        argv.push(bits.to_string().into_bytes());
        argv.push(Vec::new()); // the member, moved in below
    }
    // Every pair parsed: move the key and the members over.
    let mut old = old;
    argv[1] = std::mem::take(&mut old[1]);
    for i in 0..elements {
        argv[3 + i * 2] = std::mem::take(&mut old[2 + i * 3 + 2]);
    }

    // Finally call ZADD that will do the work for us.
    replace_client_command_vector(server, c, argv);
    crate::t_zset::zadd_command(server, c);
}

const SORT_NONE: i32 = 0;
const SORT_ASC: i32 = 1;
const SORT_DESC: i32 = 2;

/// Search around coordinates. C: geo.c RADIUS_COORDS
const RADIUS_COORDS: i32 = 1 << 0;
/// Search around member. C: geo.c RADIUS_MEMBER
const RADIUS_MEMBER: i32 = 1 << 1;
/// Do not accept the STORE/STOREDIST options. C: geo.c RADIUS_NOSTORE
const RADIUS_NOSTORE: i32 = 1 << 2;

/// GEORADIUS key x y radius unit [WITHDIST] [WITHHASH] [WITHCOORD]
///                               [ASC|DESC] [COUNT count] [STORE key]
///                               [STOREDIST key]
/// GEORADIUSBYMEMBER key member radius unit ... options ...
///
/// C: geo.c georadiusGeneric()
fn georadius_generic(server: &mut RedisServer, c: &mut Client, flags: i32) {
    let argv = std::mem::take(&mut c.argv);
    georadius_generic_args(server, c, &argv, flags);
    c.argv = argv;
}

/// The body of georadiusGeneric(), with the arguments lent out of the
/// client. (no C twin)
fn georadius_generic_args(
    server: &mut RedisServer,
    c: &mut Client,
    argv: &[Vec<u8>],
    flags: i32,
) {
    let argc = argv.len();
    let key = &argv[1];
    let mut storekey: Option<&[u8]> = None;
    let mut storedist = false; // false for STORE, true for STOREDIST.
    let dbid = c.db;

    // Look up the requested zset
    let Some(zobj) = lookup_key_read_or_reply(server, c, key, EMPTYMULTIBULK)
    else {
        return;
    };
    if check_type(c, zobj, OBJ_ZSET) {
        return;
    }
    let zobj: &RObj = zobj;

    // Find long/lat to use for radius search based on inquiry type
    let base_args;
    let mut xy = [0.0; 2];
    if flags & RADIUS_COORDS != 0 {
        base_args = 6;
        if extract_long_lat_or_reply(c, &argv[2..], &mut xy).is_err() {
            return;
        }
    } else if flags & RADIUS_MEMBER != 0 {
        base_args = 5;
        let member = &argv[2];
        if long_lat_from_member(zobj, member, &mut xy).is_err() {
            add_reply_error(c, "could not decode requested zset member");
            return;
        }
    } else {
        add_reply_error(c, "Unknown georadius search type");
        return;
    }

    // Extract radius and units from arguments
    let mut conversion = 1.0;
    let radius_meters = extract_distance_or_reply(
        c,
        &argv[base_args - 2..],
        Some(&mut conversion),
    );
    if radius_meters < 0.0 {
        return;
    }

    // Discover and populate all optional parameters.
    let (mut withdist, mut withhash, mut withcoords) = (false, false, false);
    let mut sort = SORT_NONE;
    let mut count: i64 = 0;
    if argc > base_args {
        let remaining = argc - base_args;
        let mut i = 0;
        while i < remaining {
            let arg = &argv[base_args + i];
            if strcasecmp_eq(arg, "withdist") {
                withdist = true;
            } else if strcasecmp_eq(arg, "withhash") {
                withhash = true;
            } else if strcasecmp_eq(arg, "withcoord") {
                withcoords = true;
            } else if strcasecmp_eq(arg, "asc") {
                sort = SORT_ASC;
            } else if strcasecmp_eq(arg, "desc") {
                sort = SORT_DESC;
            } else if strcasecmp_eq(arg, "count") && (i + 1) < remaining {
                let Some(n) = get_long_long_from_object_or_reply(
                    c,
                    &argv[base_args + i + 1],
                    None,
                ) else {
                    return;
                };
                count = n;
                if count <= 0 {
                    add_reply_error(c, "COUNT must be > 0");
                    return;
                }
                i += 1;
            } else if strcasecmp_eq(arg, "store")
                && (i + 1) < remaining
                && flags & RADIUS_NOSTORE == 0
            {
                storekey = Some(&argv[base_args + i + 1]);
                storedist = false;
                i += 1;
            } else if strcasecmp_eq(arg, "storedist")
                && (i + 1) < remaining
                && flags & RADIUS_NOSTORE == 0
            {
                storekey = Some(&argv[base_args + i + 1]);
                storedist = true;
                i += 1;
            } else {
                add_reply(c, SYNTAXERR);
                return;
            }
            i += 1;
        }
    }

    // Trap options not compatible with STORE and STOREDIST.
    if storekey.is_some() && (withdist || withhash || withcoords) {
        add_reply_error(
            c,
            "STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORDS options",
        );
        return;
    }

    // COUNT without ordering does not make much sense, force ASC ordering
    // if COUNT was specified but no sorting was requested.
    if count != 0 && sort == SORT_NONE {
        sort = SORT_ASC;
    }

    // Get all neighbor geohash boxes for our radius search
    let georadius =
        geohash_get_areas_by_radius_wgs84(xy[0], xy[1], radius_meters);

    // Search the zset for all matching points
    let mut ga = geo_array_create();
    members_of_all_neighbors(
        zobj,
        georadius,
        xy[0],
        xy[1],
        radius_meters,
        &mut ga,
    );

    // If no matching results, the user gets an empty reply.
    if ga.array.is_empty() && storekey.is_none() {
        add_reply(c, EMPTYMULTIBULK);
        return;
    }

    let result_length = ga.array.len() as i64;
    let returned_items =
        if count == 0 || result_length < count { result_length } else { count };
    let mut option_length = 0;

    // Process [optional] requested sorting
    if sort == SORT_ASC {
        glibc_qsort(&mut ga.array, sort_gp_asc);
    } else if sort == SORT_DESC {
        glibc_qsort(&mut ga.array, sort_gp_desc);
    }

    match storekey {
        None => {
            // No target key, return results to user.

            // Our options are self-contained nested multibulk replies, so
            // we only need to track how many of those nested replies we
            // return.
            if withdist {
                option_length += 1;
            }
            if withcoords {
                option_length += 1;
            }
            if withhash {
                option_length += 1;
            }

            // The multibulk len we send is exactly result_length. The
            // result is either all strings of just zset members *or* a
            // nested multi-bulk reply containing the zset member string
            // _and_ all the additional options the user enabled for this
            // request.
            add_reply_multi_bulk_len(c, returned_items);

            // Finally send results back to the caller
            for gp in ga.array.iter_mut().take(returned_items as usize) {
                gp.dist /= conversion; // Fix according to unit.

                // If we have options in option_length, return each
                // sub-result as a nested multi-bulk. Add 1 to account for
                // result value itself.
                if option_length != 0 {
                    add_reply_multi_bulk_len(c, option_length + 1);
                }

                add_reply_bulk_sds(c, std::mem::take(&mut gp.member));

                if withdist {
                    add_reply_double_distance(c, gp.dist);
                }

                if withhash {
                    add_reply_long_long(c, c_double_to_i64(gp.score));
                }

                if withcoords {
                    add_reply_multi_bulk_len(c, 2);
                    add_reply_human_long_double(c, gp.longitude);
                    add_reply_human_long_double(c, gp.latitude);
                }
            }
        }
        Some(storekey) => {
            // Target key, create a sorted set with the results.
            let mut zs = ZsetSkiplist::new();
            let mut maxelelen = 0;
            let mut totelelen = 0;

            for gp in ga.array.iter_mut().take(returned_items as usize) {
                gp.dist /= conversion; // Fix according to unit.
                let score = if storedist { gp.dist } else { gp.score };
                let elelen = gp.member.len();

                if maxelelen < elelen {
                    maxelelen = elelen;
                }
                totelelen += elelen;
                let member = std::mem::take(&mut gp.member);
                // Divergence from C: C asserts that the member is new. A
                // member is only found twice when two boxes overlap, which
                // the zeroed centre of geohash_get_areas_by_radius (see
                // its divergence) can cause; it is then stored once. A NaN
                // distance (STOREDIST of antipodes) has no place in a
                // skiplist either: C inserts it anyway, here it is 0.
                let score = if score.is_nan() { 0.0 } else { score };
                if zs.dict.find(&member).is_none() {
                    zsl_insert(&mut zs.zsl, score, member.as_slice().into());
                    let _ = zs.dict.dict_add(member.into(), score);
                }
            }

            if returned_items != 0 {
                let mut zobj = create_object(
                    crate::object::new_object_lru(server),
                    OBJ_ENCODING_SKIPLIST,
                    Value::ZSet(ZSet::Skiplist(Box::new(zs))),
                );
                zset_convert_to_ziplist_if_needed(
                    &mut zobj,
                    maxelelen,
                    totelelen,
                    ZsetLimits::of(server),
                );
                set_key(server, dbid, storekey, zobj);
                notify_keyspace_event(
                    server,
                    NOTIFY_ZSET,
                    "georadiusstore",
                    storekey,
                    dbid as i32,
                );
                server.dirty += returned_items;
            } else if db_delete(server, dbid, storekey) {
                signal_modified_key(server, dbid, storekey);
                notify_keyspace_event(
                    server,
                    NOTIFY_GENERIC,
                    "del",
                    storekey,
                    dbid as i32,
                );
                server.dirty += 1;
            }
            add_reply_long_long(c, returned_items);
        }
    }
}

/// GEORADIUS wrapper function.
///
/// C: geo.c georadiusCommand()
pub(crate) fn georadius_command(server: &mut RedisServer, c: &mut Client) {
    georadius_generic(server, c, RADIUS_COORDS);
}

/// GEORADIUSBYMEMBER wrapper function.
///
/// C: geo.c georadiusbymemberCommand()
pub(crate) fn georadiusbymember_command(
    server: &mut RedisServer,
    c: &mut Client,
) {
    georadius_generic(server, c, RADIUS_MEMBER);
}

/// GEORADIUS_RO wrapper function.
///
/// C: geo.c georadiusroCommand()
pub(crate) fn georadiusro_command(server: &mut RedisServer, c: &mut Client) {
    georadius_generic(server, c, RADIUS_COORDS | RADIUS_NOSTORE);
}

/// GEORADIUSBYMEMBER_RO wrapper function.
///
/// C: geo.c georadiusbymemberroCommand()
pub(crate) fn georadiusbymemberro_command(
    server: &mut RedisServer,
    c: &mut Client,
) {
    georadius_generic(server, c, RADIUS_MEMBER | RADIUS_NOSTORE);
}

/// GEOHASH key ele1 ele2 ... eleN
///
/// Returns an array with an 11 characters geohash representation of the
/// position of the specified elements.
///
/// C: geo.c geohashCommand()
pub(crate) fn geohash_command(server: &mut RedisServer, c: &mut Client) {
    const GEOALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";

    // Look up the requested zset
    let argv = std::mem::take(&mut c.argv);
    let zobj = lookup_key_read(server, c, &argv[1]);
    if let Some(z) = &zobj {
        if z.obj_type() != OBJ_ZSET {
            add_reply(c, WRONGTYPEERR);
            c.argv = argv;
            return;
        }
    }
    let zobj: Option<&RObj> = zobj.map(|z| &*z);

    // C declares `hash` inside the loop and does not write it when the
    // re-encoding below fails (a position just outside the GEO limits:
    // longitude 180, latitude 85.05112878, or a score that is no
    // geohash); the 5.0.14 build then prints the previous element's hash,
    // as here.
    // Divergence from C: before any element was hashed, C prints what the
    // stack held ("000000000c0" in the 5.0.14 build); here a zero hash.
    let mut hash = GeoHashBits::default();

    // Geohash elements one after the other, using a null bulk reply for
    // missing elements.
    add_reply_multi_bulk_len(c, argv.len() as i64 - 2);
    for member in &argv[2..] {
        let score = zobj.and_then(|z| zset_score(z, member));
        let Some(score) = score else {
            add_reply(c, NULLBULK);
            continue;
        };
        // The internal format we use for geocoding is a bit different than
        // the standard, since we use as initial latitude range -85,85,
        // while the normal geohashing algorithm uses -90,90. So we have to
        // decode our position and re-encode using the standard ranges in
        // order to output a valid geohash string.

        // Decode...
        let mut xy = [0.0; 2];
        if !decode_geohash(score, &mut xy) {
            add_reply(c, NULLBULK);
            continue;
        }

        // Re-encode
        let r = [
            GeoHashRange { min: -180.0, max: 180.0 },
            GeoHashRange { min: -90.0, max: 90.0 },
        ];
        geohash_encode(&r[0], &r[1], xy[0], xy[1], 26, &mut hash);

        let mut buf = [0u8; 11];
        for (i, b) in buf.iter_mut().enumerate() {
            // For the last character C shifts by 52 - 55 = -3, which x86
            // executes as a shift by 61; wrapping_shr does the same.
            let shift = 52i32 - ((i as i32 + 1) * 5);
            let idx = (hash.bits.wrapping_shr(shift as u32) & 0x1f) as usize;
            *b = GEOALPHABET[idx];
        }
        add_reply_bulk_c_buffer(c, &buf);
    }
    c.argv = argv;
}

/// GEOPOS key ele1 ele2 ... eleN
///
/// Returns an array of two-items arrays representing the x,y position of
/// each element specified in the arguments. For missing elements NULL is
/// returned.
///
/// C: geo.c geoposCommand()
pub(crate) fn geopos_command(server: &mut RedisServer, c: &mut Client) {
    // Look up the requested zset
    let argv = std::mem::take(&mut c.argv);
    let zobj = lookup_key_read(server, c, &argv[1]);
    if let Some(z) = &zobj {
        if z.obj_type() != OBJ_ZSET {
            add_reply(c, WRONGTYPEERR);
            c.argv = argv;
            return;
        }
    }
    let zobj: Option<&RObj> = zobj.map(|z| &*z);

    // Report elements one after the other, using a null bulk reply for
    // missing elements.
    add_reply_multi_bulk_len(c, argv.len() as i64 - 2);
    for member in &argv[2..] {
        let Some(score) = zobj.and_then(|z| zset_score(z, member)) else {
            add_reply(c, NULLMULTIBULK);
            continue;
        };
        // Decode...
        let mut xy = [0.0; 2];
        if !decode_geohash(score, &mut xy) {
            add_reply(c, NULLMULTIBULK);
            continue;
        }
        add_reply_multi_bulk_len(c, 2);
        add_reply_human_long_double(c, xy[0]);
        add_reply_human_long_double(c, xy[1]);
    }
    c.argv = argv;
}

/// GEODIST key ele1 ele2 [unit]
///
/// Return the distance, in meters by default, otherwise according to
/// "unit", between points ele1 and ele2. If one or more elements are
/// missing NULL is returned.
///
/// C: geo.c geodistCommand()
pub(crate) fn geodist_command(server: &mut RedisServer, c: &mut Client) {
    let mut to_meter = 1.0;
    let argc = c.argv.len();

    // Check if there is the unit to extract, otherwise assume meters.
    if argc == 5 {
        let unit = std::mem::take(&mut c.argv[4]);
        to_meter = extract_unit_or_reply(c, &unit);
        c.argv[4] = unit;
        if to_meter < 0.0 {
            return;
        }
    } else if argc > 5 {
        add_reply(c, SYNTAXERR);
        return;
    }

    // Look up the requested zset
    let argv = std::mem::take(&mut c.argv);
    'done: {
        let Some(zobj) =
            lookup_key_read_or_reply(server, c, &argv[1], NULLBULK)
        else {
            break 'done;
        };
        if check_type(c, zobj, OBJ_ZSET) {
            break 'done;
        }

        // Get the scores. We need both otherwise NULL is returned.
        let (Some(score1), Some(score2)) =
            (zset_score(zobj, &argv[2]), zset_score(zobj, &argv[3]))
        else {
            add_reply(c, NULLBULK);
            break 'done;
        };

        // Decode & compute the distance.
        let mut a = [0.0; 2];
        let mut b = [0.0; 2];
        if !decode_geohash(score1, &mut a) || !decode_geohash(score2, &mut b) {
            add_reply(c, NULLBULK);
        } else {
            add_reply_double_distance(
                c,
                geohash_get_distance(a[0], a[1], b[0], b[1]) / to_meter,
            );
        }
    }
    c.argv = argv;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_double_to_u64_matches_x86_cast() {
        assert_eq!(c_double_to_u64(3.0), 3);
        assert_eq!(c_double_to_u64(-5.0), (-5i64) as u64);
        assert_eq!(c_double_to_u64(1e300), 0);
        assert_eq!(c_double_to_u64(f64::INFINITY), 0);
        assert_eq!(c_double_to_u64(f64::NEG_INFINITY), 1 << 63);
        assert_eq!(c_double_to_u64(9223372036854775808.0), 1 << 63);
        assert_eq!(c_double_to_i64(f64::INFINITY), i64::MIN);
    }

    #[test]
    fn c_fmt_fixed_spells_nan_and_inf_like_printf() {
        assert_eq!(c_fmt_fixed(f64::INFINITY, 6), "inf");
        assert_eq!(c_fmt_fixed(-f64::NAN, 4), "-nan");
        assert_eq!(c_fmt_fixed(0.125, 2), "0.12");
        assert_eq!(c_fmt_fixed(-0.0, 4), "-0.0000");
        assert_eq!(c_fmt_fixed(200.0, 6), "200.000000");
    }

    fn gp(dist: f64, member: &str) -> GeoPoint {
        GeoPoint { dist, member: member.into(), ..GeoPoint::default() }
    }

    #[test]
    fn glibc_qsort_is_a_stable_merge_sort() {
        let mut a =
            vec![gp(3.0, "a"), gp(1.0, "b"), gp(3.0, "c"), gp(0.5, "d")];
        glibc_qsort(&mut a, sort_gp_asc);
        let names: Vec<_> = a.iter().map(|g| g.member.clone()).collect();
        assert_eq!(
            names,
            [b"d".to_vec(), b"b".into(), b"a".into(), b"c".into()]
        );
        glibc_qsort(&mut a, sort_gp_desc);
        let names: Vec<_> = a.iter().map(|g| g.member.clone()).collect();
        assert_eq!(
            names,
            [b"a".to_vec(), b"c".into(), b"b".into(), b"d".into()]
        );
    }
}
