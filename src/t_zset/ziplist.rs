//! The compact encoding of a small sorted set: one buffer of (member,
//! score) entries in order, searched and changed linearly, with the same
//! range walks the skiplist has.
//!
//! Ports the "Ziplist-backed sorted set API" section of t_zset.c from
//! Redis 5.0.14, in the same order. The entry layout is ours (see
//! `ZsetZiplist` in `t_zset/mod.rs`), not ziplist.c's bytes.

use super::*;

// -----------------------------------------------------------------------------
// Ziplist-backed sorted set API
// -----------------------------------------------------------------------------

/// Appends `v` as LEB128: 7 bits per byte, low bits first, high bit set
/// when more bytes follow. (no C twin: our entry format)
pub(super) fn zzl_varint_put(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// Reads the LEB128 at `p`: the value and the offset after it. (no C twin)
fn zzl_varint_get(zl: &[u8], mut p: usize) -> (u64, usize) {
    let mut v: u64 = 0;
    let mut shift = 0;
    loop {
        let b = zl[p];
        p += 1;
        v |= ((b & 0x7f) as u64) << shift;
        if b & 0x80 == 0 {
            return (v, p);
        }
        shift += 7;
    }
}

/// How many bytes `zzl_varint_put` (and `zzl_backlen_put`) write for `v`.
/// (no C twin)
fn zzl_varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// Appends `l` so that it reads backwards from its last byte: that byte
/// holds the low 7 bits, and the high bit of each byte says whether more
/// bytes sit to its left. (no C twin: listpack.c's backlen idea)
fn zzl_backlen_put(out: &mut Vec<u8>, l: u64) {
    let k = zzl_varint_len(l);
    for j in (0..k).rev() {
        let more = if j < k - 1 { 0x80 } else { 0 };
        out.push(((l >> (7 * j)) & 0x7f) as u8 | more);
    }
}

/// Reads the backlen that ends just before `end`: its value and how many
/// bytes it takes. (no C twin)
fn zzl_backlen_get(zl: &[u8], end: usize) -> (u64, usize) {
    let mut v: u64 = 0;
    let mut n = 0;
    loop {
        let b = zl[end - 1 - n];
        v |= ((b & 0x7f) as u64) << (7 * n);
        n += 1;
        if b & 0x80 == 0 {
            return (v, n);
        }
    }
}

/// The marker of a score stored as the 8 bytes of a double. (no C twin)
const ZZL_SCORE_DOUBLE: u8 = 0x01;

/// The integer d2string() would print for `score`, if it prints one: the
/// scores whose ziplist entry C stores as an integer. (no C twin)
fn zzl_score_as_int(score: f64) -> Option<i64> {
    // C: util.c d2string(): -(2^52-1) < value < 2^52 and integral, and not
    // -0 (which prints as "-0").
    if score > -4503599627370495.0
        && score < 4503599627370496.0
        && score == (score as i64) as f64
        && !(score == 0.0 && score.is_sign_negative())
    {
        Some(score as i64)
    } else {
        None
    }
}

/// Appends the encoded score. (no C twin: C stores d2string(score))
fn zzl_score_put(out: &mut Vec<u8>, score: f64) {
    match zzl_score_as_int(score) {
        Some(i) => {
            let zz = ((i << 1) ^ (i >> 63)) as u64;
            zzl_varint_put(out, zz << 1);
        }
        None => {
            out.push(ZZL_SCORE_DOUBLE);
            out.extend_from_slice(&score.to_le_bytes());
        }
    }
}

/// Reads the score at `p`: its value and the offset after it. (no C twin)
fn zzl_score_get(zl: &[u8], p: usize) -> (f64, usize) {
    if zl[p] == ZZL_SCORE_DOUBLE {
        let mut b = [0u8; 8];
        b.copy_from_slice(&zl[p + 1..p + 9]);
        return (f64::from_le_bytes(b), p + 9);
    }
    let (v, q) = zzl_varint_get(zl, p);
    let zz = v >> 1;
    let i = ((zz >> 1) as i64) ^ -((zz & 1) as i64);
    (i as f64, q)
}

/// Appends one whole entry. (no C twin)
pub(super) fn zzl_encode(out: &mut Vec<u8>, ele: &[u8], score: f64) {
    let start = out.len();
    zzl_varint_put(out, ele.len() as u64);
    out.extend_from_slice(ele);
    zzl_score_put(out, score);
    let content = out.len() - start;
    zzl_backlen_put(out, content as u64);
}

/// One decoded entry: the member (borrowed from the buffer), the score and
/// the offset of the next entry. (no C twin: ziplistGet() on an element
/// and its score)
pub(super) struct ZzlEntry<'a> {
    pub(super) ele: &'a [u8],
    pub(super) score: f64,
    pub(super) end: usize,
}

/// Decodes the entry that starts at `p`. (no C twin)
pub(super) fn zzl_decode(zl: &[u8], p: usize) -> ZzlEntry<'_> {
    let (mlen, q) = zzl_varint_get(zl, p);
    let q2 = q + mlen as usize;
    let (score, r) = zzl_score_get(zl, q2);
    let end = r + zzl_varint_len((r - p) as u64);
    ZzlEntry { ele: &zl[q..q2], score, end }
}

/// The start of the entry that ends at `end`; `end` must not be 0. (no C
/// twin: ziplistPrev() for our format)
pub(super) fn zzl_prev_offset(zl: &[u8], end: usize) -> usize {
    let (content, n) = zzl_backlen_get(zl, end);
    end - n - content as usize
}

/// The number of pairs and the offset of the first entry: the header.
/// (no C twin: ziplist.h's ZIPLIST_LENGTH and ZIPLIST_ENTRY_HEAD)
pub(super) fn zzl_header(zl: &[u8]) -> (usize, usize) {
    if zl.is_empty() {
        return (0, 0);
    }
    let (count, head) = zzl_varint_get(zl, 0);
    (count as usize, head)
}

/// C's ziplistIndex() over pairs: the `index`-th entry from the head, or
/// for negative indices from the tail (-1 is the last). (no C twin)
pub(super) fn zzl_index(zl: &ZsetZiplist, index: i64) -> Option<usize> {
    let (count, head) = zzl_header(&zl.zl);
    if index >= 0 {
        if index >= count as i64 {
            return None;
        }
        let mut p = head;
        for _ in 0..index {
            p = zzl_decode(&zl.zl, p).end;
        }
        Some(p)
    } else {
        if index < -(count as i64) {
            return None;
        }
        let mut p = zl.zl.len();
        for _ in 0..(-index) {
            p = zzl_prev_offset(&zl.zl, p);
        }
        Some(p)
    }
}

/// Whether `add` more bytes keep the buffer under the 1GB safety limit.
/// (no C twin here: the zset form of ziplist.c's ziplistSafeToAdd())
pub(crate) fn zzl_safe_to_add(zl: Option<&ZsetZiplist>, add: usize) -> bool {
    // C: ziplist.h SIZE_SAFETY_LIMIT
    const SIZE_SAFETY_LIMIT: usize = 1 << 30;
    let len = zl.map_or(0, |zl| zl.zl.len());
    len + add <= SIZE_SAFETY_LIMIT
}

/// The score of the entry at `eptr` (C takes the score entry `sptr`; ours
/// sit in the same entry).
///
/// C: t_zset.c zzlGetScore()
pub(crate) fn zzl_get_score(zl: &ZsetZiplist, eptr: usize) -> f64 {
    zzl_decode(&zl.zl, eptr).score
}

/// The member of the entry at `eptr`, as C's ziplistGet() on it returns
/// it (geo.c reads members this way). (no C twin)
pub(crate) fn zzl_get_ele(zl: &ZsetZiplist, eptr: usize) -> &[u8] {
    zzl_decode(&zl.zl, eptr).ele
}

/// C: t_zset.c zzlLength()
pub(crate) fn zzl_length(zl: &ZsetZiplist) -> usize {
    zzl_header(&zl.zl).0
}

/// Move to next entry: `None` when there is no next entry.
///
/// C: t_zset.c zzlNext()
pub(crate) fn zzl_next(zl: &ZsetZiplist, eptr: usize) -> Option<usize> {
    let end = zzl_decode(&zl.zl, eptr).end;
    (end < zl.zl.len()).then_some(end)
}

/// Move to the previous entry: `None` when there is no previous entry.
///
/// C: t_zset.c zzlPrev()
pub(crate) fn zzl_prev(zl: &ZsetZiplist, eptr: usize) -> Option<usize> {
    (eptr > zzl_header(&zl.zl).1).then(|| zzl_prev_offset(&zl.zl, eptr))
}

/// Returns if there is a part of the zset is in range. Should only be used
/// internally by zzlFirstInRange and zzlLastInRange.
///
/// C: t_zset.c zzlIsInRange()
pub(crate) fn zzl_is_in_range(zl: &ZsetZiplist, range: &ZRangeSpec) -> bool {
    // Test for ranges that will always be empty.
    if range.min > range.max
        || (range.min == range.max && (range.minex || range.maxex))
    {
        return false;
    }
    let Some(p) = zzl_index(zl, -1) else {
        return false;
    }; // Empty sorted set
    if !zsl_value_gte_min(zzl_get_score(zl, p), range) {
        return false;
    }
    let p = zzl_index(zl, 0).expect("a non-empty ziplist has a first entry");
    if !zsl_value_lte_max(zzl_get_score(zl, p), range) {
        return false;
    }
    true
}

/// Find pointer to the first element contained in the specified range.
/// Returns `None` when no element is contained in the range.
///
/// C: t_zset.c zzlFirstInRange()
pub(crate) fn zzl_first_in_range(
    zl: &ZsetZiplist,
    range: &ZRangeSpec,
) -> Option<usize> {
    // If everything is out of range, return early.
    if !zzl_is_in_range(zl, range) {
        return None;
    }
    let mut eptr = zzl_index(zl, 0);
    while let Some(p) = eptr {
        let score = zzl_get_score(zl, p);
        if zsl_value_gte_min(score, range) {
            // Check if score <= max.
            if zsl_value_lte_max(score, range) {
                return Some(p);
            }
            return None;
        }
        // Move to next element.
        eptr = zzl_next(zl, p);
    }
    None
}

/// Find pointer to the last element contained in the specified range.
/// Returns `None` when no element is contained in the range.
///
/// C: t_zset.c zzlLastInRange()
pub(crate) fn zzl_last_in_range(
    zl: &ZsetZiplist,
    range: &ZRangeSpec,
) -> Option<usize> {
    // If everything is out of range, return early.
    if !zzl_is_in_range(zl, range) {
        return None;
    }
    let mut eptr = zzl_index(zl, -1);
    while let Some(p) = eptr {
        let score = zzl_get_score(zl, p);
        if zsl_value_lte_max(score, range) {
            // Check if score >= min.
            if zsl_value_gte_min(score, range) {
                return Some(p);
            }
            return None;
        }
        // Move to previous element. When there is none, we know there
        // also is no element.
        eptr = zzl_prev(zl, p);
    }
    None
}

/// C: t_zset.c zzlLexValueGteMin()
pub(crate) fn zzl_lex_value_gte_min(
    zl: &ZsetZiplist,
    p: usize,
    spec: &ZLexRangeSpec,
) -> bool {
    // C copies the element into a new sds first; it is borrowed here.
    zsl_lex_value_gte_min(zzl_decode(&zl.zl, p).ele, spec)
}

/// C: t_zset.c zzlLexValueLteMax()
pub(crate) fn zzl_lex_value_lte_max(
    zl: &ZsetZiplist,
    p: usize,
    spec: &ZLexRangeSpec,
) -> bool {
    zsl_lex_value_lte_max(zzl_decode(&zl.zl, p).ele, spec)
}

/// Returns if there is a part of the zset is in range. Should only be used
/// internally by zzlFirstInLexRange and zzlLastInLexRange.
///
/// C: t_zset.c zzlIsInLexRange()
pub(crate) fn zzl_is_in_lex_range(
    zl: &ZsetZiplist,
    range: &ZLexRangeSpec,
) -> bool {
    // Test for ranges that will always be empty.
    if zsl_lex_range_is_empty(range) {
        return false;
    }
    let Some(p) = zzl_index(zl, -1) else {
        return false;
    }; // Last element.
    if !zzl_lex_value_gte_min(zl, p, range) {
        return false;
    }
    let p = zzl_index(zl, 0).expect("a non-empty ziplist has a first entry");
    if !zzl_lex_value_lte_max(zl, p, range) {
        return false;
    }
    true
}

/// Find pointer to the first element contained in the specified lex
/// range. Returns `None` when no element is contained in the range.
///
/// C: t_zset.c zzlFirstInLexRange()
pub(crate) fn zzl_first_in_lex_range(
    zl: &ZsetZiplist,
    range: &ZLexRangeSpec,
) -> Option<usize> {
    // If everything is out of range, return early.
    if !zzl_is_in_lex_range(zl, range) {
        return None;
    }
    let mut eptr = zzl_index(zl, 0);
    while let Some(p) = eptr {
        if zzl_lex_value_gte_min(zl, p, range) {
            // Check if score <= max.
            if zzl_lex_value_lte_max(zl, p, range) {
                return Some(p);
            }
            return None;
        }
        // Move to next element.
        eptr = zzl_next(zl, p);
    }
    None
}

/// Find pointer to the last element contained in the specified lex range.
/// Returns `None` when no element is contained in the range.
///
/// C: t_zset.c zzlLastInLexRange()
pub(crate) fn zzl_last_in_lex_range(
    zl: &ZsetZiplist,
    range: &ZLexRangeSpec,
) -> Option<usize> {
    // If everything is out of range, return early.
    if !zzl_is_in_lex_range(zl, range) {
        return None;
    }
    let mut eptr = zzl_index(zl, -1);
    while let Some(p) = eptr {
        if zzl_lex_value_lte_max(zl, p, range) {
            // Check if score >= min.
            if zzl_lex_value_gte_min(zl, p, range) {
                return Some(p);
            }
            return None;
        }
        // Move to previous element. When there is none, we know there
        // also is no element.
        eptr = zzl_prev(zl, p);
    }
    None
}

/// Finds `ele`: its position and score.
///
/// C: t_zset.c zzlFind()
pub(crate) fn zzl_find(zl: &ZsetZiplist, ele: &[u8]) -> Option<(usize, f64)> {
    let buf = &zl.zl;
    let mut p = zzl_header(buf).1;
    while p < buf.len() {
        let e = zzl_decode(buf, p);
        if e.ele == ele {
            // Matching element, pull out score.
            return Some((p, e.score));
        }
        // Move to next element.
        p = e.end;
    }
    None
}

/// Replaces the bytes `from..to` of the buffer by `with`, in a new buffer
/// of exactly the right size (C's ziplist is reallocated to its exact size
/// on every change; a Vec would keep up to twice the memory). `delta` is
/// the change in the number of elements. (no C twin: ziplist.c's
/// __ziplistInsert/__ziplistDelete)
fn zzl_splice(
    zl: &mut ZsetZiplist,
    from: usize,
    to: usize,
    with: &[u8],
    delta: i64,
) {
    let old = &zl.zl;
    let (count, head) = zzl_header(old);
    let count = (count as i64 + delta) as u64;
    let mut n = Vec::with_capacity(
        zzl_varint_len(count) + old.len() - head - (to - from) + with.len(),
    );
    zzl_varint_put(&mut n, count);
    n.extend_from_slice(&old[head.min(from)..from]);
    n.extend_from_slice(with);
    n.extend_from_slice(&old[to..]);
    zl.zl = n.into_boxed_slice();
}

/// Delete (element,score) pair from ziplist.
///
/// C: t_zset.c zzlDelete()
pub(crate) fn zzl_delete(zl: &mut ZsetZiplist, eptr: usize) {
    let end = zzl_decode(&zl.zl, eptr).end;
    zzl_splice(zl, eptr, end, &[], -1);
}

/// Inserts (element, score) before the entry at `eptr`, or at the tail
/// when `eptr` is `None`.
///
/// C: t_zset.c zzlInsertAt()
pub(crate) fn zzl_insert_at(
    zl: &mut ZsetZiplist,
    eptr: Option<usize>,
    ele: &[u8],
    score: f64,
) {
    let mut e = Vec::with_capacity(ele.len() + 16);
    zzl_encode(&mut e, ele, score);
    let at = eptr.unwrap_or(zl.zl.len());
    zzl_splice(zl, at, at, &e, 1);
}

/// Insert (element,score) pair in ziplist. This function assumes the
/// element is not yet present in the list.
///
/// C: t_zset.c zzlInsert()
pub(crate) fn zzl_insert(zl: &mut ZsetZiplist, ele: &[u8], score: f64) {
    let mut eptr = zzl_index(zl, 0);
    while let Some(p) = eptr {
        let e = zzl_decode(&zl.zl, p);
        if e.score > score {
            // First element with score larger than score for element to be
            // inserted. This means we should take its spot in the list to
            // maintain ordering.
            break;
        } else if e.score == score {
            // Ensure lexicographical ordering for elements.
            if e.ele > ele {
                break;
            }
        }
        // Move to next element.
        eptr = (e.end < zl.zl.len()).then_some(e.end);
    }
    // Push on tail of list when it was not yet inserted.
    zzl_insert_at(zl, eptr, ele, score);
}

/// Deletes the elements with a score in `range`; returns how many.
///
/// C: t_zset.c zzlDeleteRangeByScore()
pub(crate) fn zzl_delete_range_by_score(
    zl: &mut ZsetZiplist,
    range: &ZRangeSpec,
) -> u64 {
    let Some(start) = zzl_first_in_range(zl, range) else {
        return 0;
    };
    let mut num = 0;
    let mut p = start;
    while p < zl.zl.len() {
        let e = zzl_decode(&zl.zl, p);
        if !zsl_value_lte_max(e.score, range) {
            break; // No longer in range.
        }
        num += 1;
        p = e.end;
    }
    // C deletes the pairs one by one; the result is the same.
    zzl_splice(zl, start, p, &[], -(num as i64));
    num
}

/// Deletes the elements in the lex `range`; returns how many.
///
/// C: t_zset.c zzlDeleteRangeByLex()
pub(crate) fn zzl_delete_range_by_lex(
    zl: &mut ZsetZiplist,
    range: &ZLexRangeSpec,
) -> u64 {
    let Some(start) = zzl_first_in_lex_range(zl, range) else {
        return 0;
    };
    let mut num = 0;
    let mut p = start;
    while p < zl.zl.len() {
        let e = zzl_decode(&zl.zl, p);
        if !zsl_lex_value_lte_max(e.ele, range) {
            break; // No longer in range.
        }
        num += 1;
        p = e.end;
    }
    zzl_splice(zl, start, p, &[], -(num as i64));
    num
}

/// Delete all the elements with rank between start and end from the
/// ziplist. Start and end are inclusive. Note that start and end need to
/// be 1-based
///
/// C: t_zset.c zzlDeleteRangeByRank()
pub(crate) fn zzl_delete_range_by_rank(
    zl: &mut ZsetZiplist,
    start: u32,
    end: u32,
) -> u64 {
    let num = (end - start) as u64 + 1;
    let Some(from) = zzl_index(zl, start as i64 - 1) else {
        return 0;
    };
    let mut to = from;
    let mut removed = 0;
    while removed < num && to < zl.zl.len() {
        to = zzl_decode(&zl.zl, to).end;
        removed += 1;
    }
    zzl_splice(zl, from, to, &[], -(removed as i64));
    removed
}
