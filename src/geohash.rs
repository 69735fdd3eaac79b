//! Geohashes: a longitude/latitude pair becomes one integer by cutting the
//! world into 2^step by 2^step cells and interleaving the bits of the
//! cell's column (longitude) and row (latitude). Nearby points share a
//! prefix, so a sorted set ordered by that integer answers "what is in
//! this cell" with a range query. The GEO commands store the 52-bit
//! (step 26) hash of each point as its sorted set score.
//!
//! Ports geohash.c and geohash.h from Redis 5.0.14, in the same order.
//!
//! Before reading: C's functions return 1/0 and fill out-parameters; the
//! ports keep that shape (`bool` and `&mut`), because callers rely on what
//! a failed call leaves in them. The Mercator latitude limits make the
//! poles unreachable, as in C.

// The range tests are C's `x < min || x > max`, which a NaN passes;
// `!(min..=max).contains(&x)` would not.
#![allow(clippy::manual_range_contains)]

// ---------------------------------- geohash.h ---------------------------------

/// 26*2 = 52 bits. C: geohash.h GEO_STEP_MAX
pub(crate) const GEO_STEP_MAX: u8 = 26;

// Limits from EPSG:900913 / EPSG:3785 / OSGEO:41001
/// C: geohash.h GEO_LAT_MIN
pub(crate) const GEO_LAT_MIN: f64 = -85.05112878;
/// C: geohash.h GEO_LAT_MAX
pub(crate) const GEO_LAT_MAX: f64 = 85.05112878;
/// C: geohash.h GEO_LONG_MIN
pub(crate) const GEO_LONG_MIN: f64 = -180.0;
/// C: geohash.h GEO_LONG_MAX
pub(crate) const GEO_LONG_MAX: f64 = 180.0;

/// A hash: `step` bits of longitude interleaved with `step` bits of
/// latitude, in the low `2 * step` bits of `bits`.
///
/// C: geohash.h GeoHashBits
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct GeoHashBits {
    pub(crate) bits: u64,
    pub(crate) step: u8,
}

impl GeoHashBits {
    /// C: geohash.h HASHISZERO()
    pub(crate) fn is_zero(&self) -> bool {
        self.bits == 0 && self.step == 0
    }
}

/// C: geohash.h GeoHashRange
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct GeoHashRange {
    pub(crate) min: f64,
    pub(crate) max: f64,
}

impl GeoHashRange {
    /// C: geohash.h RANGEISZERO()
    pub(crate) fn is_zero(&self) -> bool {
        self.max == 0.0 && self.min == 0.0
    }
}

/// A cell: its hash and the longitudes and latitudes it spans.
///
/// C: geohash.h GeoHashArea
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct GeoHashArea {
    pub(crate) hash: GeoHashBits,
    pub(crate) longitude: GeoHashRange,
    pub(crate) latitude: GeoHashRange,
}

/// The eight cells around one, at the same step.
///
/// C: geohash.h GeoHashNeighbors
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct GeoHashNeighbors {
    pub(crate) north: GeoHashBits,
    pub(crate) east: GeoHashBits,
    pub(crate) west: GeoHashBits,
    pub(crate) south: GeoHashBits,
    pub(crate) north_east: GeoHashBits,
    pub(crate) south_east: GeoHashBits,
    pub(crate) north_west: GeoHashBits,
    pub(crate) south_west: GeoHashBits,
}

// ---------------------------------- geohash.c ---------------------------------

// Hashing works like this: divide the world into 4 buckets, labelled by
// (longitude bit, latitude bit): 0,0 bottom left, 1,0 bottom right, 0,1
// top left, 1,1 top right; then divide each bucket the same way, step
// times.

/// Interleaves the low 32 bits of x and y: the bits of x land in the even
/// positions, those of y in the odd ones ("Interleave bits by Binary
/// Magic Numbers", Stanford bit hacks).
///
/// C: geohash.c interleave64()
fn interleave64(xlo: u32, ylo: u32) -> u64 {
    const B: [u64; 5] = [
        0x5555555555555555,
        0x3333333333333333,
        0x0F0F0F0F0F0F0F0F,
        0x00FF00FF00FF00FF,
        0x0000FFFF0000FFFF,
    ];
    const S: [u32; 5] = [1, 2, 4, 8, 16];

    let mut x = xlo as u64;
    let mut y = ylo as u64;

    for i in (0..5).rev() {
        x = (x | (x << S[i])) & B[i];
        y = (y | (y << S[i])) & B[i];
    }

    x | (y << 1)
}

/// The reverse of `interleave64`: the even bits end up in the low 32 bits
/// of the result, the odd bits in the high 32.
///
/// C: geohash.c deinterleave64()
fn deinterleave64(interleaved: u64) -> u64 {
    const B: [u64; 6] = [
        0x5555555555555555,
        0x3333333333333333,
        0x0F0F0F0F0F0F0F0F,
        0x00FF00FF00FF00FF,
        0x0000FFFF0000FFFF,
        0x00000000FFFFFFFF,
    ];
    const S: [u32; 6] = [0, 1, 2, 4, 8, 16];

    let mut x = interleaved;
    let mut y = interleaved >> 1;

    for i in 0..6 {
        x = (x | (x >> S[i])) & B[i];
        y = (y | (y >> S[i])) & B[i];
    }

    x | (y << 32)
}

/// The ranges the GEO commands hash within. These are constraints from
/// EPSG:900913 / EPSG:3785 / OSGEO:41001: we can't geocode at the poles.
///
/// C: geohash.c geohashGetCoordRange()
pub(crate) fn geohash_get_coord_range(
    long_range: &mut GeoHashRange,
    lat_range: &mut GeoHashRange,
) {
    long_range.max = GEO_LONG_MAX;
    long_range.min = GEO_LONG_MIN;
    lat_range.max = GEO_LAT_MAX;
    lat_range.min = GEO_LAT_MIN;
}

/// Hashes a point at `step` bits per coordinate into `hash`; false if the
/// arguments are unusable or the point is outside the GEO limits or the
/// given ranges. Like C, it leaves `hash` untouched when the first two
/// checks fail, and zeroed (with the step set) when the third does.
///
/// C: geohash.c geohashEncode()
pub(crate) fn geohash_encode(
    long_range: &GeoHashRange,
    lat_range: &GeoHashRange,
    longitude: f64,
    latitude: f64,
    step: u8,
    hash: &mut GeoHashBits,
) -> bool {
    // Check basic arguments sanity.
    if step > 32 || step == 0 || lat_range.is_zero() || long_range.is_zero() {
        return false;
    }

    // Return an error when trying to index outside the supported
    // constraints.
    if longitude > GEO_LONG_MAX
        || longitude < GEO_LONG_MIN
        || latitude > GEO_LAT_MAX
        || latitude < GEO_LAT_MIN
    {
        return false;
    }

    hash.bits = 0;
    hash.step = step;

    if latitude < lat_range.min
        || latitude > lat_range.max
        || longitude < long_range.min
        || longitude > long_range.max
    {
        return false;
    }

    let mut lat_offset =
        (latitude - lat_range.min) / (lat_range.max - lat_range.min);
    let mut long_offset =
        (longitude - long_range.min) / (long_range.max - long_range.min);

    // Convert to fixed point based on the step size. The offsets are in
    // [0, 2^step], so the conversions to u32 truncate as C's do.
    lat_offset *= (1u64 << step) as f64;
    long_offset *= (1u64 << step) as f64;
    hash.bits = interleave64(lat_offset as u32, long_offset as u32);
    true
}

/// C: geohash.c geohashEncodeType()
pub(crate) fn geohash_encode_type(
    longitude: f64,
    latitude: f64,
    step: u8,
    hash: &mut GeoHashBits,
) -> bool {
    let mut r = [GeoHashRange::default(); 2];
    let [long_range, lat_range] = &mut r;
    geohash_get_coord_range(long_range, lat_range);
    geohash_encode(long_range, lat_range, longitude, latitude, step, hash)
}

/// C: geohash.c geohashEncodeWGS84()
pub(crate) fn geohash_encode_wgs84(
    longitude: f64,
    latitude: f64,
    step: u8,
    hash: &mut GeoHashBits,
) -> bool {
    geohash_encode_type(longitude, latitude, step, hash)
}

/// The cell `hash` names, within the given ranges, into `area`; false
/// (and `area` untouched) for a zero hash or zero ranges.
///
/// C: geohash.c geohashDecode()
pub(crate) fn geohash_decode(
    long_range: GeoHashRange,
    lat_range: GeoHashRange,
    hash: GeoHashBits,
    area: &mut GeoHashArea,
) -> bool {
    if hash.is_zero() || lat_range.is_zero() || long_range.is_zero() {
        return false;
    }

    area.hash = hash;
    let step = hash.step as u32;
    let hash_sep = deinterleave64(hash.bits); // hash = [LAT][LONG]

    let lat_scale = lat_range.max - lat_range.min;
    let long_scale = long_range.max - long_range.min;

    let ilato = hash_sep as u32; // get lat part of deinterleaved hash
    let ilono = (hash_sep >> 32) as u32; // shift over to get long part of hash

    // Divide by 2**step. Then, for 0-1 coordinate, multiply times scale
    // and add to the min to get the absolute coordinate. (`+ 1` is
    // unsigned int arithmetic in C, which wraps.) A step above 63 only
    // comes from a corrupt hash; C's shift would be undefined there.
    let div = 1u64.wrapping_shl(step) as f64;
    area.latitude.min = lat_range.min + (ilato as f64 * 1.0 / div) * lat_scale;
    area.latitude.max =
        lat_range.min + (ilato.wrapping_add(1) as f64 * 1.0 / div) * lat_scale;
    area.longitude.min =
        long_range.min + (ilono as f64 * 1.0 / div) * long_scale;
    area.longitude.max = long_range.min
        + (ilono.wrapping_add(1) as f64 * 1.0 / div) * long_scale;

    true
}

/// C: geohash.c geohashDecodeType()
pub(crate) fn geohash_decode_type(
    hash: GeoHashBits,
    area: &mut GeoHashArea,
) -> bool {
    let mut r = [GeoHashRange::default(); 2];
    let [long_range, lat_range] = &mut r;
    geohash_get_coord_range(long_range, lat_range);
    geohash_decode(r[0], r[1], hash, area)
}

/// C: geohash.c geohashDecodeWGS84()
#[allow(dead_code)] // no caller in 5.0.14 either
pub(crate) fn geohash_decode_wgs84(
    hash: GeoHashBits,
    area: &mut GeoHashArea,
) -> bool {
    geohash_decode_type(hash, area)
}

/// The centre of a cell: xy[0] the longitude, xy[1] the latitude.
///
/// C: geohash.c geohashDecodeAreaToLongLat()
pub(crate) fn geohash_decode_area_to_long_lat(
    area: &GeoHashArea,
    xy: &mut [f64; 2],
) -> bool {
    xy[0] = (area.longitude.min + area.longitude.max) / 2.0;
    xy[1] = (area.latitude.min + area.latitude.max) / 2.0;
    true
}

/// C: geohash.c geohashDecodeToLongLatType()
pub(crate) fn geohash_decode_to_long_lat_type(
    hash: GeoHashBits,
    xy: &mut [f64; 2],
) -> bool {
    let mut area = GeoHashArea::default();
    if !geohash_decode_type(hash, &mut area) {
        return false;
    }
    geohash_decode_area_to_long_lat(&area, xy)
}

/// C: geohash.c geohashDecodeToLongLatWGS84()
pub(crate) fn geohash_decode_to_long_lat_wgs84(
    hash: GeoHashBits,
    xy: &mut [f64; 2],
) -> bool {
    geohash_decode_to_long_lat_type(hash, xy)
}

/// `0x5555...` or `0xaaaa...` shifted right by `64 - step * 2`: the mask
/// of one coordinate's bits. C shifts by 64 when step is 0, which x86
/// executes as a shift by 0; `wrapping_shr` does the same. (no C twin)
fn step_mask(pattern: u64, step: u8) -> u64 {
    pattern.wrapping_shr(64u32.wrapping_sub(step as u32 * 2))
}

/// Moves a hash one cell east (d > 0) or west (d < 0), wrapping around.
///
/// C: geohash.c geohash_move_x()
fn geohash_move_x(hash: &mut GeoHashBits, d: i8) {
    if d == 0 {
        return;
    }

    let mut x = hash.bits & 0xaaaaaaaaaaaaaaaa;
    let y = hash.bits & 0x5555555555555555;

    let zz = step_mask(0x5555555555555555, hash.step);

    if d > 0 {
        x = x.wrapping_add(zz.wrapping_add(1));
    } else {
        x |= zz;
        x = x.wrapping_sub(zz.wrapping_add(1));
    }

    x &= step_mask(0xaaaaaaaaaaaaaaaa, hash.step);
    hash.bits = x | y;
}

/// Moves a hash one cell north (d > 0) or south (d < 0), wrapping around.
///
/// C: geohash.c geohash_move_y()
fn geohash_move_y(hash: &mut GeoHashBits, d: i8) {
    if d == 0 {
        return;
    }

    let x = hash.bits & 0xaaaaaaaaaaaaaaaa;
    let mut y = hash.bits & 0x5555555555555555;

    let zz = step_mask(0xaaaaaaaaaaaaaaaa, hash.step);
    if d > 0 {
        y = y.wrapping_add(zz.wrapping_add(1));
    } else {
        y |= zz;
        y = y.wrapping_sub(zz.wrapping_add(1));
    }
    y &= step_mask(0x5555555555555555, hash.step);
    hash.bits = x | y;
}

/// The eight cells around `hash`.
///
/// C: geohash.c geohashNeighbors()
pub(crate) fn geohash_neighbors(
    hash: &GeoHashBits,
    neighbors: &mut GeoHashNeighbors,
) {
    neighbors.east = *hash;
    neighbors.west = *hash;
    neighbors.north = *hash;
    neighbors.south = *hash;
    neighbors.south_east = *hash;
    neighbors.south_west = *hash;
    neighbors.north_east = *hash;
    neighbors.north_west = *hash;

    geohash_move_x(&mut neighbors.east, 1);
    geohash_move_y(&mut neighbors.east, 0);

    geohash_move_x(&mut neighbors.west, -1);
    geohash_move_y(&mut neighbors.west, 0);

    geohash_move_x(&mut neighbors.south, 0);
    geohash_move_y(&mut neighbors.south, -1);

    geohash_move_x(&mut neighbors.north, 0);
    geohash_move_y(&mut neighbors.north, 1);

    geohash_move_x(&mut neighbors.north_west, -1);
    geohash_move_y(&mut neighbors.north_west, 1);

    geohash_move_x(&mut neighbors.north_east, 1);
    geohash_move_y(&mut neighbors.north_east, 1);

    geohash_move_x(&mut neighbors.south_east, 1);
    geohash_move_y(&mut neighbors.south_east, -1);

    geohash_move_x(&mut neighbors.south_west, -1);
    geohash_move_y(&mut neighbors.south_west, -1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleave64_and_deinterleave64_are_inverse() {
        for (x, y) in [(0u32, 0u32), (1, 0), (0, 1), (0xdead, 0xbeef)] {
            let i = interleave64(x, y);
            let d = deinterleave64(i);
            assert_eq!((d as u32, (d >> 32) as u32), (x, y));
        }
        assert_eq!(interleave64(1, 0), 1);
        assert_eq!(interleave64(0, 1), 2);
    }

    #[test]
    fn geohash_encode_wgs84_palermo_matches_redis_score() {
        // GEOADD k 13.361389 38.115556 Palermo stores 3479099956230698.
        let mut h = GeoHashBits::default();
        assert!(geohash_encode_wgs84(13.361389, 38.115556, 26, &mut h));
        assert_eq!(h.bits, 3479099956230698);
    }

    #[test]
    fn geohash_encode_rejects_out_of_range_and_keeps_hash() {
        let mut h = GeoHashBits { bits: 7, step: 3 };
        assert!(!geohash_encode_wgs84(181.0, 0.0, 26, &mut h));
        assert_eq!(h, GeoHashBits { bits: 7, step: 3 });
    }
}
