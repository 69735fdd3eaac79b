//! The geometry behind GEORADIUS: which cells (the centre one and its
//! eight neighbours, at a step chosen from the radius) can hold points
//! within a radius, the bounding box of a search, and the haversine
//! great-circle distance between two points.
//!
//! Ports geohash_helper.c and geohash_helper.h from Redis 5.0.14 (a C++
//! to C conversion from the ardb project), in the same order.
//!
//! Before reading: the results are printed with four decimals and compared
//! with the C server's byte for byte, so every formula keeps C's order of
//! operations; `sin`, `cos`, `asin` and `sqrt` are the platform libm's, as
//! in C.

// The range tests are C's `x < min || x > max`, which a NaN passes;
// `!(min..=max).contains(&x)` would not.
#![allow(clippy::manual_range_contains)]

use crate::geohash::*;

// ------------------------------ geohash_helper.h ------------------------------

/// A hash aligned to 52 bits: a sorted set score.
///
/// C: geohash_helper.h GeoHashFix52Bits
pub(crate) type GeoHashFix52Bits = u64;

/// The cells of a radius search: the centre one, its area, and its eight
/// neighbours (a neighbour that cannot hold a result is zeroed).
///
/// C: geohash_helper.h GeoHashRadius
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct GeoHashRadius {
    pub(crate) hash: GeoHashBits,
    pub(crate) area: GeoHashArea,
    pub(crate) neighbors: GeoHashNeighbors,
}

/// C: geohash_helper.h GZERO()
fn gzero(s: &mut GeoHashBits) {
    s.bits = 0;
    s.step = 0;
}

// ------------------------------ geohash_helper.c ------------------------------

/// C: geohash_helper.c D_R
const D_R: f64 = std::f64::consts::PI / 180.0;

/// Earth's quatratic mean radius for WGS-84.
///
/// C: geohash_helper.c EARTH_RADIUS_IN_METERS
pub(crate) const EARTH_RADIUS_IN_METERS: f64 = 6372797.560856;

/// C: geohash_helper.c MERCATOR_MAX
const MERCATOR_MAX: f64 = 20037726.37;

/// C: geohash_helper.c deg_rad()
fn deg_rad(ang: f64) -> f64 {
    ang * D_R
}

/// C: geohash_helper.c rad_deg()
fn rad_deg(ang: f64) -> f64 {
    ang / D_R
}

/// Estimates the step (bits precision) of the 9 search area boxes of a
/// radius query.
///
/// C: geohash_helper.c geohashEstimateStepsByRadius()
pub(crate) fn geohash_estimate_steps_by_radius(
    mut range_meters: f64,
    lat: f64,
) -> u8 {
    if range_meters == 0.0 {
        return 26;
    }
    let mut step: i32 = 1;
    while range_meters < MERCATOR_MAX {
        range_meters *= 2.0;
        step += 1;
    }
    step -= 2; // Make sure range is included in most of the base cases.

    // Wider range torwards the poles... Note: it is possible to do better
    // than this approximation by computing the distance between meridians
    // at this latitude, but this does the trick for now.
    if lat > 66.0 || lat < -66.0 {
        step -= 1;
        if lat > 80.0 || lat < -80.0 {
            step -= 1;
        }
    }

    // Frame to valid range.
    step.clamp(1, 26) as u8
}

/// The bounding box of the search area centred at longitude,latitude with
/// a radius of `radius_meters`: bounds[0] and bounds[2] are the minimum
/// and maximum longitude, bounds[1] and bounds[3] the minimum and maximum
/// latitude.
///
/// It is wrong for very large radiuses (C's comment gives a point at less
/// than 7000 km that falls outside the box of a 7083 km search); it only
/// serves as an optimization, which is not used for very big radiuses.
///
/// C: geohash_helper.c geohashBoundingBox()
pub(crate) fn geohash_bounding_box(
    longitude: f64,
    latitude: f64,
    radius_meters: f64,
    bounds: &mut [f64; 4],
) -> bool {
    bounds[0] = longitude
        - rad_deg(
            radius_meters / EARTH_RADIUS_IN_METERS / deg_rad(latitude).cos(),
        );
    bounds[2] = longitude
        + rad_deg(
            radius_meters / EARTH_RADIUS_IN_METERS / deg_rad(latitude).cos(),
        );
    bounds[1] = latitude - rad_deg(radius_meters / EARTH_RADIUS_IN_METERS);
    bounds[3] = latitude + rad_deg(radius_meters / EARTH_RADIUS_IN_METERS);
    true
}

/// The areas (centre + 8) that cover a search of `radius_meters` around
/// the given point.
///
/// C: geohash_helper.c geohashGetAreasByRadius()
pub(crate) fn geohash_get_areas_by_radius(
    longitude: f64,
    latitude: f64,
    radius_meters: f64,
) -> GeoHashRadius {
    let mut long_range = GeoHashRange::default();
    let mut lat_range = GeoHashRange::default();
    // Divergence from C: C leaves `hash` and `area` uninitialized, and
    // geohashEncode() does not write `hash` when the centre is outside the
    // GEO limits (GEORADIUSBYMEMBER on a member whose score is not a
    // geohash, or one stored at longitude 180 / latitude 85.05112878,
    // whose cell centre lies just outside); C then searches whatever the
    // stack held. Here they start zeroed.
    let mut hash = GeoHashBits::default();
    let mut neighbors = GeoHashNeighbors::default();
    let mut area = GeoHashArea::default();
    let mut bounds = [0.0; 4];

    geohash_bounding_box(longitude, latitude, radius_meters, &mut bounds);
    let min_lon = bounds[0];
    let min_lat = bounds[1];
    let max_lon = bounds[2];
    let max_lat = bounds[3];

    let mut steps = geohash_estimate_steps_by_radius(radius_meters, latitude);

    geohash_get_coord_range(&mut long_range, &mut lat_range);
    geohash_encode(
        &long_range,
        &lat_range,
        longitude,
        latitude,
        steps,
        &mut hash,
    );
    geohash_neighbors(&hash, &mut neighbors);
    geohash_decode(long_range, lat_range, hash, &mut area);

    // Check if the step is enough at the limits of the covered area.
    // Sometimes when the search area is near an edge of the area, the
    // estimated step is not small enough, since one of the north / south /
    // west / east square is too near to the search area to cover
    // everything.
    let mut decrease_step = false;
    {
        // C declares these uninitialized too; a zero neighbour leaves its
        // area as it was (see above).
        let mut north = GeoHashArea::default();
        let mut south = GeoHashArea::default();
        let mut east = GeoHashArea::default();
        let mut west = GeoHashArea::default();

        geohash_decode(long_range, lat_range, neighbors.north, &mut north);
        geohash_decode(long_range, lat_range, neighbors.south, &mut south);
        geohash_decode(long_range, lat_range, neighbors.east, &mut east);
        geohash_decode(long_range, lat_range, neighbors.west, &mut west);

        if geohash_get_distance(
            longitude,
            latitude,
            longitude,
            north.latitude.max,
        ) < radius_meters
        {
            decrease_step = true;
        }
        if geohash_get_distance(
            longitude,
            latitude,
            longitude,
            south.latitude.min,
        ) < radius_meters
        {
            decrease_step = true;
        }
        if geohash_get_distance(
            longitude,
            latitude,
            east.longitude.max,
            latitude,
        ) < radius_meters
        {
            decrease_step = true;
        }
        if geohash_get_distance(
            longitude,
            latitude,
            west.longitude.min,
            latitude,
        ) < radius_meters
        {
            decrease_step = true;
        }
    }

    if steps > 1 && decrease_step {
        steps -= 1;
        geohash_encode(
            &long_range,
            &lat_range,
            longitude,
            latitude,
            steps,
            &mut hash,
        );
        geohash_neighbors(&hash, &mut neighbors);
        geohash_decode(long_range, lat_range, hash, &mut area);
    }

    // Exclude the search areas that are useless.
    if steps >= 2 {
        if area.latitude.min < min_lat {
            gzero(&mut neighbors.south);
            gzero(&mut neighbors.south_west);
            gzero(&mut neighbors.south_east);
        }
        if area.latitude.max > max_lat {
            gzero(&mut neighbors.north);
            gzero(&mut neighbors.north_east);
            gzero(&mut neighbors.north_west);
        }
        if area.longitude.min < min_lon {
            gzero(&mut neighbors.west);
            gzero(&mut neighbors.south_west);
            gzero(&mut neighbors.north_west);
        }
        if area.longitude.max > max_lon {
            gzero(&mut neighbors.east);
            gzero(&mut neighbors.south_east);
            gzero(&mut neighbors.north_east);
        }
    }
    GeoHashRadius { hash, neighbors, area }
}

/// C: geohash_helper.c geohashGetAreasByRadiusWGS84()
pub(crate) fn geohash_get_areas_by_radius_wgs84(
    longitude: f64,
    latitude: f64,
    radius_meters: f64,
) -> GeoHashRadius {
    geohash_get_areas_by_radius(longitude, latitude, radius_meters)
}

/// The hash shifted left to fill 52 bits, the width of a stored score.
///
/// C: geohash_helper.c geohashAlign52Bits()
pub(crate) fn geohash_align52_bits(hash: GeoHashBits) -> GeoHashFix52Bits {
    let bits = hash.bits;
    // C shifts by 52 - step * 2 in int arithmetic; the step is at most 26
    // here, except for the zeroed hash of the divergence above (step 0:
    // a shift by 52). x86 masks the count, as wrapping_shl does.
    bits.wrapping_shl((52i32 - hash.step as i32 * 2) as u32)
}

/// Calculate distance using haversin great circle distance formula.
///
/// C: geohash_helper.c geohashGetDistance()
pub(crate) fn geohash_get_distance(
    lon1d: f64,
    lat1d: f64,
    lon2d: f64,
    lat2d: f64,
) -> f64 {
    let lat1r = deg_rad(lat1d);
    let lon1r = deg_rad(lon1d);
    let lat2r = deg_rad(lat2d);
    let lon2r = deg_rad(lon2d);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let v = ((lon2r - lon1r) / 2.0).sin();
    2.0 * EARTH_RADIUS_IN_METERS
        * (u * u + lat1r.cos() * lat2r.cos() * v * v).sqrt().asin()
}

/// The distance into `distance`, and whether it is within `radius`.
///
/// C: geohash_helper.c geohashGetDistanceIfInRadius()
pub(crate) fn geohash_get_distance_if_in_radius(
    x1: f64,
    y1: f64,
    x2: f64,
    y2: f64,
    radius: f64,
    distance: &mut f64,
) -> bool {
    *distance = geohash_get_distance(x1, y1, x2, y2);
    // Not `<=`: a NaN distance counts as inside, as in C.
    #[allow(clippy::neg_cmp_op_on_partial_ord)]
    let outside = *distance > radius;
    !outside
}

/// C: geohash_helper.c geohashGetDistanceIfInRadiusWGS84()
pub(crate) fn geohash_get_distance_if_in_radius_wgs84(
    x1: f64,
    y1: f64,
    x2: f64,
    y2: f64,
    radius: f64,
    distance: &mut f64,
) -> bool {
    geohash_get_distance_if_in_radius(x1, y1, x2, y2, radius, distance)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geohash_estimate_steps_by_radius_frames_the_step() {
        assert_eq!(geohash_estimate_steps_by_radius(0.0, 0.0), 26);
        assert_eq!(geohash_estimate_steps_by_radius(f64::INFINITY, 0.0), 1);
        assert_eq!(geohash_estimate_steps_by_radius(1e-300, 0.0), 26);
        // 200 km: 20037726.37 / 200000 is about 2^6.6, so 1 + 7 - 2.
        assert_eq!(geohash_estimate_steps_by_radius(200000.0, 0.0), 6);
        assert_eq!(geohash_estimate_steps_by_radius(200000.0, 70.0), 5);
        assert_eq!(geohash_estimate_steps_by_radius(200000.0, -81.0), 4);
    }

    #[test]
    fn geohash_get_distance_palermo_catania() {
        // GEODIST Sicily Palermo Catania is 166274.1516 in Redis.
        let d = geohash_get_distance(
            13.361_389_338_970_184,
            38.115_556_395_496_3,
            15.087_267_458_438_873,
            37.502_668_423_331_62,
        );
        assert_eq!(format!("{d:.4}"), "166274.1516");
    }
}
