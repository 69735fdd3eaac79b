//! The encoding-independent sorted set operations the commands build on:
//! length, conversion between the encodings, add/increment, delete, score
//! and rank lookups.
//!
//! Ports the "Common sorted set API" section of t_zset.c from Redis
//! 5.0.14, in the same order.

use super::*;

// -----------------------------------------------------------------------------
// Common sorted set API
// -----------------------------------------------------------------------------

/// server.zset_max_ziplist_entries and server.zset_max_ziplist_value. C's
/// zsetAdd() and zsetConvertToZiplistIfNeeded() read them from the server
/// global; here the value they change is borrowed from the server's
/// keyspace at that moment, so callers read the limits first and pass them
/// in. (no C twin)
#[derive(Debug, Clone, Copy)]
pub(crate) struct ZsetLimits {
    pub(crate) entries: usize,
    pub(crate) value: usize,
}

impl ZsetLimits {
    /// The limits currently configured.
    pub(crate) fn of(server: &RedisServer) -> ZsetLimits {
        ZsetLimits {
            entries: server.zset_max_ziplist_entries,
            value: server.zset_max_ziplist_value,
        }
    }
}

/// The number of elements of a sorted set value.
///
/// C: t_zset.c zsetLength()
pub(crate) fn zset_length(zobj: &RObj) -> usize {
    zset_ref(zobj).len()
}

/// Converts the sorted set to `encoding` (OBJ_ENCODING_SKIPLIST or
/// OBJ_ENCODING_ZIPLIST), if it is not encoded so already.
///
/// C: t_zset.c zsetConvert()
pub(crate) fn zset_convert(zobj: &mut RObj, encoding: u8) {
    if zobj.encoding == encoding {
        return;
    }
    let z = zset_mut(zobj);
    let new = match z {
        ZSet::Ziplist(zl) => {
            assert!(
                encoding == OBJ_ENCODING_SKIPLIST,
                "Unknown target encoding"
            );
            // Divergence from C: C asserts that the ziplist is not empty;
            // an empty one converts to an empty skiplist here.
            let mut zs = ZsetSkiplist::new();
            let mut eptr = zzl_index(zl, 0);
            while let Some(p) = eptr {
                let e = zzl_decode(&zl.zl, p);
                zsl_insert(&mut zs.zsl, e.score, e.ele.into());
                let added = zs.dict.dict_add(e.ele.into(), e.score).is_ok();
                assert!(added, "zsetConvert: duplicate member in a ziplist");
                eptr = zzl_next(zl, p);
            }
            ZSet::Skiplist(Box::new(zs))
        }
        ZSet::Skiplist(zs) => {
            assert!(
                encoding == OBJ_ENCODING_ZIPLIST,
                "Unknown target encoding"
            );
            // C frees the skiplist while it appends to the new ziplist; the
            // old value is dropped once the new one is in place.
            let mut buf = Vec::new();
            zzl_varint_put(&mut buf, zs.zsl.length as u64);
            let mut x = zs.zsl.first();
            while x != ZSL_NULL {
                let n = zs.zsl.node(x);
                zzl_encode(&mut buf, &n.ele, n.score);
                x = zs.zsl.next(x);
            }
            ZSet::Ziplist(ZsetZiplist { zl: buf.into_boxed_slice() })
        }
    };
    *z = new;
    zobj.encoding = encoding;
}

/// Convert the sorted set object into a ziplist if it is not already a
/// ziplist and if the number of elements and the maximum element size and
/// total elements size are within the expected ranges.
///
/// C: t_zset.c zsetConvertToZiplistIfNeeded()
pub(crate) fn zset_convert_to_ziplist_if_needed(
    zobj: &mut RObj,
    maxelelen: usize,
    totelelen: usize,
    limits: ZsetLimits,
) {
    if zobj.encoding == OBJ_ENCODING_ZIPLIST {
        return;
    }
    if zset_length(zobj) <= limits.entries
        && maxelelen <= limits.value
        && zzl_safe_to_add(None, totelelen)
    {
        zset_convert(zobj, OBJ_ENCODING_ZIPLIST);
    }
}

/// Return the score of the specified member of the sorted set, or `None`
/// if the element does not exist (C's C_ERR).
///
/// C: t_zset.c zsetScore()
pub(crate) fn zset_score(zobj: &RObj, member: &[u8]) -> Option<f64> {
    match zset_ref(zobj) {
        ZSet::Ziplist(zl) => zzl_find(zl, member).map(|(_, score)| score),
        ZSet::Skiplist(zs) => zs.dict.find(member).map(|de| *de.val()),
    }
}

/// Add a new element or update the score of an existing element in a
/// sorted set, regardless of its encoding.
///
/// The set of flags change the command behavior. They are passed by
/// reference since the function will clear the flags and populate them
/// with other flags to indicate different conditions.
///
/// The input flags are the following:
///
/// ZADD_INCR: Increment the current element score by 'score' instead of
///            updating the current element score. If the element does not
///            exist, we assume 0 as previous score.
/// ZADD_NX:   Perform the operation only if the element does not exist.
/// ZADD_XX:   Perform the operation only if the element already exist.
///
/// When ZADD_INCR is used, the new score of the element is stored in
/// `newscore`.
///
/// The returned flags are the following:
///
/// ZADD_NAN:     The resulting score is not a number.
/// ZADD_ADDED:   The element was added (not present before the call).
/// ZADD_UPDATED: The element score was updated.
/// ZADD_NOP:     No operation was performed because of NX or XX.
///
/// Return value: true on success, with ADDED or UPDATED set to say what
/// happened (none could be set if we re-added an element using the same
/// score it used to have, or in the case a zero increment is used). False
/// on error, currently only when the increment produces a NAN condition,
/// or when the 'score' value is NAN since the start.
///
/// The command as a side effect of adding a new element may convert the
/// sorted set internal encoding from ziplist to hashtable+skiplist. The
/// function does not take ownership of `ele`, but copies it if needed.
///
/// C: t_zset.c zsetAdd()
pub(crate) fn zset_add(
    zobj: &mut RObj,
    mut score: f64,
    ele: &[u8],
    flags: &mut i32,
    newscore: &mut f64,
    limits: ZsetLimits,
) -> bool {
    // Turn options into simple to check vars.
    let incr = *flags & ZADD_INCR != 0;
    let nx = *flags & ZADD_NX != 0;
    let xx = *flags & ZADD_XX != 0;
    *flags = 0; // We'll return our response flags.

    // NaN as input is an error regardless of all the other parameters.
    if score.is_nan() {
        *flags = ZADD_NAN;
        return false;
    }

    // Update the sorted set according to its encoding.
    if zobj.encoding == OBJ_ENCODING_ZIPLIST {
        let ZSet::Ziplist(zl) = zset_mut(zobj) else {
            unreachable!("encoding says ziplist")
        };
        if let Some((eptr, curscore)) = zzl_find(zl, ele) {
            // NX? Return, same element already exists.
            if nx {
                *flags |= ZADD_NOP;
                return true;
            }
            // Prepare the score for the increment if needed.
            if incr {
                score += curscore;
                if score.is_nan() {
                    *flags |= ZADD_NAN;
                    return false;
                }
                *newscore = score;
            }
            // Remove and re-insert when score changed.
            if score != curscore {
                zzl_delete(zl, eptr);
                zzl_insert(zl, ele, score);
                *flags |= ZADD_UPDATED;
            }
            return true;
        } else if !xx {
            // check if the element is too large or the list becomes too
            // long *before* executing zzlInsert.
            if zzl_length(zl) + 1 > limits.entries
                || ele.len() > limits.value
                || !zzl_safe_to_add(Some(zl), ele.len())
            {
                zset_convert(zobj, OBJ_ENCODING_SKIPLIST);
            } else {
                zzl_insert(zl, ele, score);
                *newscore = score;
                *flags |= ZADD_ADDED;
                return true;
            }
        } else {
            *flags |= ZADD_NOP;
            return true;
        }
    }

    // Note that the above block handling ziplist would have either returned
    // or converted the key to skiplist.
    let ZSet::Skiplist(zs) = zset_mut(zobj) else {
        unreachable!("converted above")
    };
    let zs = &mut **zs;
    if let Some(cur) = zs.dict.find_mut(ele) {
        // NX? Return, same element already exists.
        if nx {
            *flags |= ZADD_NOP;
            return true;
        }
        let curscore = *cur;

        // Prepare the score for the increment if needed.
        if incr {
            score += curscore;
            if score.is_nan() {
                *flags |= ZADD_NAN;
                return false;
            }
            *newscore = score;
        }

        // Remove and re-insert when score changes.
        if score != curscore {
            zsl_update_score(&mut zs.zsl, curscore, ele, score);
            // The element stays in the hash table: just update its score
            // there too (C repoints the value at the node's score).
            *cur = score;
            *flags |= ZADD_UPDATED;
        }
        true
    } else if !xx {
        zsl_insert(&mut zs.zsl, score, ele.into());
        let added = zs.dict.dict_add(ele.into(), score).is_ok();
        assert!(added, "zsetAdd: member in the skiplist but not in the dict");
        *flags |= ZADD_ADDED;
        *newscore = score;
        true
    } else {
        *flags |= ZADD_NOP;
        true
    }
}

/// Delete the element 'ele' from the sorted set, returning true if the
/// element existed and was deleted, false otherwise (the element was not
/// there).
///
/// C: t_zset.c zsetDel()
pub(crate) fn zset_del(zobj: &mut RObj, ele: &[u8]) -> bool {
    match zset_mut(zobj) {
        ZSet::Ziplist(zl) => {
            if let Some((eptr, _)) = zzl_find(zl, ele) {
                zzl_delete(zl, eptr);
                return true;
            }
        }
        ZSet::Skiplist(zs) => {
            if let Some((_, score)) = zs.dict.dict_unlink(ele) {
                // Delete from the hash table and later from the skiplist. In
                // C the order matters because the two share the member's
                // sds; here each owns its copy.
                let deleted = zsl_delete(&mut zs.zsl, score, ele).is_some();
                assert!(
                    deleted,
                    "zsetDel: member in the dict but not in the skiplist"
                );
                if zs.dict.ht_needs_resize() {
                    let _ = zs.dict.dict_resize();
                }
                return true;
            }
        }
    }
    false // No such element found.
}

/// Given a sorted set object returns the 0-based rank of the object or -1
/// if the object does not exist.
///
/// For rank we mean the position of the element in the sorted collection
/// of elements. So the first element has rank 0, the second rank 1, and so
/// forth up to length-1 elements.
///
/// If 'reverse' is false, the rank is returned considering as first
/// element the one with the lowest score. Otherwise if 'reverse' is true
/// the rank is computed considering as element with rank 0 the one with
/// the highest score.
///
/// C: t_zset.c zsetRank()
pub(crate) fn zset_rank(zobj: &RObj, ele: &[u8], reverse: bool) -> i64 {
    let llen = zset_length(zobj) as i64;
    match zset_ref(zobj) {
        ZSet::Ziplist(zl) => {
            let mut rank = 1;
            let mut eptr = zzl_index(zl, 0);
            while let Some(p) = eptr {
                if zzl_decode(&zl.zl, p).ele == ele {
                    break;
                }
                rank += 1;
                eptr = zzl_next(zl, p);
            }
            if eptr.is_some() {
                if reverse {
                    llen - rank
                } else {
                    rank - 1
                }
            } else {
                -1
            }
        }
        ZSet::Skiplist(zs) => match zs.dict.find(ele) {
            Some(de) => {
                let rank = zsl_get_rank(&zs.zsl, *de.val(), ele) as i64;
                // Existing elements always have a rank.
                assert!(rank != 0, "zsetRank: member without a rank");
                if reverse {
                    llen - rank
                } else {
                    rank - 1
                }
            }
            None => -1,
        },
    }
}
