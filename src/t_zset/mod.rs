//! Sorted sets: members ordered by a floating point score, then by the
//! member's bytes. Small sets live in one compact buffer of (member, score)
//! pairs kept in order (the "ziplist" encoding); bigger ones in a skiplist
//! ordered by (score, member) plus a hash table from member to score, so
//! that ranges by rank, score or lex and lookups by member are all cheap.
//!
//! Ports t_zset.c from Redis 5.0.14, in the same order, split at the C
//! file's own section banners:
//!
//! - `mod.rs`: the sorted set parts of server.h (types, ZADD flags, range
//!   specs), then object.c's createZsetObject()/createZsetZiplistObject();
//! - `skiplist.rs`: "Skiplist implementation of the low level API" (with
//!   "Lexicographic ranges");
//! - `ziplist.rs`: "Ziplist-backed sorted set API";
//! - `api.rs`: "Common sorted set API";
//! - `commands.rs`: "Sorted set commands".
//!
//! Read this first:
//! - The skiplist nodes live in an arena (`Vec<ZskiplistNode>`) and link to
//!   each other by `u32` index: in C a node is pointed at by up to 64
//!   forward links and one backward link, which Rust references cannot
//!   express without unsafe, and indices keep C's O(1) links. Index 0 is
//!   the header, which no link ever points to, so 0 also plays C's NULL.
//!   A freed node leaves a vacant slot that the next insert reuses; when
//!   more than half of the arena is vacant it is compacted in one pass
//!   (`zsl_compact_if_needed`), so it never holds much more than twice the
//!   live nodes, where C's heap would hold exactly them.
//! - The dict and the skiplist each own a copy of the member: C shares one
//!   sds between them, which Rust's ownership makes costly to express. The
//!   dict value is the score itself, not a pointer to the node's score, so
//!   a score update writes both.
//! - The "ziplist" encoding is not ziplist.c's byte format (that one only
//!   matters to RDB files, which rdb/load.rs decodes), but it is its twin: one
//!   contiguous buffer reallocated on each change, walked linearly from
//!   either end. See `ZsetZiplist` for the entry layout. OBJECT ENCODING
//!   reports "ziplist" for it, and it converts to the skiplist at exactly
//!   the thresholds 5.0 uses.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::db::*;
use crate::dict::Dict;
use crate::networking::*;
use crate::notify::notify_keyspace_event;
use crate::object::*;
use crate::server::*;
use crate::shared::{
    CZERO, EMPTYMULTIBULK, EMPTYSCAN, NULLBULK, NULLMULTIBULK, SYNTAXERR,
    WRONGTYPEERR,
};
use crate::t_string::{check_type, UNIT_SECONDS};

mod api;
mod commands;
mod skiplist;
mod ziplist;

pub(crate) use api::*;
pub(crate) use commands::*;
pub(crate) use skiplist::*;
pub(crate) use ziplist::*;

// ----------------------------- server.h: zsets ------------------------------

/// Should be enough for 2^64 elements. (usize: it sizes arrays.)
pub(crate) const ZSKIPLIST_MAXLEVEL: usize = 64;
/// Skiplist P = 1/4
pub(crate) const ZSKIPLIST_P: f64 = 0.25;

/// Which end ZPOPMIN/ZPOPMAX and their blocking variants pop from.
pub(crate) const ZSET_MIN: i32 = 0;
pub(crate) const ZSET_MAX: i32 = 1;

// Input flags of zsetAdd().
pub(crate) const ZADD_NONE: i32 = 0;
/// Increment the score instead of setting it.
pub(crate) const ZADD_INCR: i32 = 1 << 0;
/// Don't touch elements not already existing.
pub(crate) const ZADD_NX: i32 = 1 << 1;
/// Only touch elements already existing.
pub(crate) const ZADD_XX: i32 = 1 << 2;

// Output flags of zsetAdd().
/// Operation not performed because of conditionals.
pub(crate) const ZADD_NOP: i32 = 1 << 3;
/// The resulting score is not a number.
pub(crate) const ZADD_NAN: i32 = 1 << 4;
/// The element was new and was added.
pub(crate) const ZADD_ADDED: i32 = 1 << 5;
/// The element already existed, score updated.
pub(crate) const ZADD_UPDATED: i32 = 1 << 6;

/// Flags only used by the ZADD command but not by zsetAdd() API: return
/// the number of elements added or updated.
pub(crate) const ZADD_CH: i32 = 1 << 16;

/// Struct to hold a inclusive/exclusive range spec by score comparison.
///
/// C: server.h zrangespec
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ZRangeSpec {
    pub(crate) min: f64,
    pub(crate) max: f64,
    /// Are min or max exclusive?
    pub(crate) minex: bool,
    pub(crate) maxex: bool,
}

/// One end of a lex range: C's `sds` that may also be one of the two
/// shared strings `shared.minstring` ("-") and `shared.maxstring` ("+"),
/// which C tells apart by pointer and which sort before and after every
/// string. (no C twin as a type)
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LexItem {
    /// shared.minstring: "-"
    Min,
    /// shared.maxstring: "+"
    Max,
    /// A string given with '(' or '['.
    Str(Vec<u8>),
}

/// A borrowed lex value: an item of a range, or a member being compared
/// with one. (no C twin)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lex<'a> {
    Min,
    Max,
    Str(&'a [u8]),
}

impl LexItem {
    fn lex(&self) -> Lex<'_> {
        match self {
            LexItem::Min => Lex::Min,
            LexItem::Max => Lex::Max,
            LexItem::Str(s) => Lex::Str(s),
        }
    }
}

/// Struct to hold an inclusive/exclusive range spec by lexicographic
/// comparison.
///
/// C: server.h zlexrangespec
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ZLexRangeSpec {
    /// May be set to shared.(minstring|maxstring)
    pub(crate) min: LexItem,
    pub(crate) max: LexItem,
    /// Are min or max exclusive?
    pub(crate) minex: bool,
    pub(crate) maxex: bool,
}

/// A node's link at one level: the next node at that level and how many
/// level-0 steps that jump covers (the span, from which ranks are summed).
///
/// C: server.h struct zskiplistLevel
#[derive(Debug, Clone, Copy, Default)]
struct ZskiplistLevel {
    // Divergence from C: a `u32` index and a `u32` span (C: a pointer and
    // an unsigned long), so a skiplist holds fewer than 2^32 elements;
    // that many would take hundreds of GB anyway.
    forward: NodeId,
    span: u32,
}

/// Index of a node in `Zskiplist::nodes`. (no C twin: C uses pointers)
pub(crate) type NodeId = u32;

/// The header's index, and C's NULL: no link points to the header, so a
/// link equal to 0 means "no node".
pub(crate) const ZSL_HEADER: NodeId = 0;
pub(crate) const ZSL_NULL: NodeId = 0;

/// How many of a node's levels live in the node itself. (no C twin)
const ZSL_INLINE_LEVELS: usize = 4;

/// One element of the skiplist: the member, its score, the previous node
/// at level 0 (for reverse walks) and its links, one per level.
///
/// C keeps the links in a flexible array at the end of the node, so a walk
/// reads a node's score and its links with one cache miss. Here the four
/// lowest levels (all the links of 255 nodes in 256) are in the node
/// itself (80 bytes) and only the levels above sit in a separate
/// allocation; `level(i)` hides the split. The walks spend most of their
/// steps on the few tall nodes near the top, which stay cached, and pay a
/// miss per step only lower down, where the links are inline. (With two
/// inline levels, filling a million-member set took about a quarter more
/// CPU time.)
///
/// An element of a skiplist-encoded sorted set, in its node and as its
/// dict's key (C shares one sds between the two; here each holds its own,
/// and a short one sits inline, see sds.rs).
pub(crate) type ZsetSds = crate::sds::Sds;

/// C: server.h zskiplistNode
pub(crate) struct ZskiplistNode {
    pub(crate) ele: ZsetSds,
    pub(crate) score: f64,
    backward: NodeId,
    /// The number of levels (C: the length of the level[] array).
    height: u32,
    low: [ZskiplistLevel; ZSL_INLINE_LEVELS],
    high: Box<[ZskiplistLevel]>,
}

impl ZskiplistNode {
    /// The node's link at level `i` (C: `node->level[i]`).
    #[inline]
    fn level(&self, i: usize) -> &ZskiplistLevel {
        debug_assert!(
            i < self.height as usize,
            "level {i} of a node of height {}",
            self.height
        );
        if i < ZSL_INLINE_LEVELS {
            &self.low[i]
        } else {
            &self.high[i - ZSL_INLINE_LEVELS]
        }
    }

    #[inline]
    fn level_mut(&mut self, i: usize) -> &mut ZskiplistLevel {
        debug_assert!(
            i < self.height as usize,
            "level {i} of a node of height {}",
            self.height
        );
        if i < ZSL_INLINE_LEVELS {
            &mut self.low[i]
        } else {
            &mut self.high[i - ZSL_INLINE_LEVELS]
        }
    }
}

/// The skiplist: the arena of nodes (header first), the tail, the number
/// of elements and the current number of levels. Dropping it frees every
/// node, which is C's zslFree() (C: t_zset.c zslFree() is `Drop`).
///
/// C: server.h zskiplist
pub(crate) struct Zskiplist {
    nodes: Vec<ZskiplistNode>,
    /// Vacant slots of `nodes`, freed by zsl_free_node and reused first by
    /// zsl_insert. (no C twin: C's allocator keeps that list)
    free: Vec<NodeId>,
    tail: NodeId,
    length: usize,
    level: usize,
}

/// The skiplist encoding of a sorted set: the dict maps members to
/// scores (O(1) ZSCORE, membership), the skiplist orders them.
///
/// C: server.h zset
pub(crate) struct ZsetSkiplist {
    pub(crate) dict: Dict<ZsetSds, f64>,
    pub(crate) zsl: Zskiplist,
}

/// The compact ("ziplist") encoding of a sorted set: every (member, score)
/// pair in order, in one buffer sized exactly to its contents, as a C
/// ziplist is. The buffer starts with the number of pairs (LEB128, C's
/// zllen header field) and each entry is
///
/// ```text
/// <member length: LEB128> <member bytes> <score> <backlen>
/// ```
///
/// where `<score>` is either a varint holding `zigzag(i) << 1` when the
/// score is an integer that d2string() would print as one (the common
/// case: one byte for small scores), or the byte 0x01 followed by the 8
/// bytes of the double; and `<backlen>` is the length of the entry so far,
/// written so that it can be read from its last byte backwards (7 bits per
/// byte, high bit set when more bytes are to the left), which lets a walk
/// go from the tail to the head as C's zzlPrev() does.
///
/// Positions in it (C's `eptr`) are byte offsets of entry starts. An empty
/// buffer (no header at all) is the empty ziplist. The count lives in the
/// buffer rather than in a field so that `ZSet` fits in 16 bytes: a
/// million small sorted sets then pay 16 bytes less each for their boxed
/// value, as jemalloc rounds 24 up to 32.
#[derive(Clone, Default)]
pub(crate) struct ZsetZiplist {
    zl: Box<[u8]>,
}

impl ZsetZiplist {
    /// The size of the allocation, ziplistBlobLen()'s counterpart.
    pub(crate) fn blob_len(&self) -> usize {
        self.zl.len()
    }
}

impl ZsetSkiplist {
    /// The heap bytes of the skiplist encoding: the box, the dict's
    /// buckets, the node arena, and the first `sample_size` elements'
    /// dict entry, member and upper levels averaged over all of them.
    ///
    /// Stands in for the OBJ_ENCODING_SKIPLIST branch of object.c
    /// objectComputeSize(). (no C twin)
    pub(crate) fn mem_usage(&self, sample_size: usize) -> usize {
        use crate::util::zmalloc_size_class as class;
        use std::mem::size_of;
        let nodes = self.zsl.nodes.capacity() * size_of::<ZskiplistNode>();
        let mut asize = class(size_of::<ZsetSkiplist>(), 8)
            + self.dict.dict_slots() * size_of::<usize>()
            + if nodes == 0 { 0 } else { class(nodes, 8) };
        let entry = class(size_of::<crate::dict::DictEntry<ZsetSds, f64>>(), 8);
        let (mut elesize, mut samples) = (0usize, 0usize);
        for node in self.zsl.nodes.iter().skip(1).take(sample_size.max(1)) {
            let high = node.high.len() * size_of::<ZskiplistLevel>();
            // The member is held twice: by the node and by the dict.
            elesize += entry
                + 2 * node.ele.alloc_size()
                + if high == 0 { 0 } else { class(high, 4) };
            samples += 1;
        }
        if samples > 0 {
            asize += (elesize as f64 / samples as f64
                * self.dict.dict_size() as f64) as usize;
        }
        asize
    }
}

/// The value of a sorted set key, in one of its two encodings. The
/// `RObj::encoding` of the key says the same (OBJ_ENCODING_ZIPLIST or
/// OBJ_ENCODING_SKIPLIST); `zset_convert` keeps them in step.
pub(crate) enum ZSet {
    Ziplist(ZsetZiplist),
    Skiplist(Box<ZsetSkiplist>),
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet::Ziplist(ZsetZiplist::default())
    }
}

impl Clone for ZSet {
    /// A copy with the same encoding (no C twin: C shares or duplicates
    /// objects through other paths).
    fn clone(&self) -> Self {
        match self {
            ZSet::Ziplist(zl) => ZSet::Ziplist(zl.clone()),
            ZSet::Skiplist(zs) => {
                let mut n = ZsetSkiplist::new();
                let _ = n.dict.dict_expand(zs.dict.dict_size());
                for (ele, score) in self.iter() {
                    zsl_insert(&mut n.zsl, score, ele.into());
                    let _ = n.dict.dict_add(ele.into(), score);
                }
                ZSet::Skiplist(Box::new(n))
            }
        }
    }
}

impl std::fmt::Debug for ZSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let enc = match self {
            ZSet::Ziplist(_) => "ziplist",
            ZSet::Skiplist(_) => "skiplist",
        };
        f.debug_struct("ZSet")
            .field("encoding", &enc)
            .field("len", &self.len())
            .finish()
    }
}

impl ZSet {
    /// The number of elements. (C: zsetLength() on the value)
    pub(crate) fn len(&self) -> usize {
        match self {
            ZSet::Ziplist(zl) => zzl_length(zl),
            ZSet::Skiplist(zs) => zs.zsl.length,
        }
    }

    /// Every (member, score) in order, lowest score first; `.rev()` walks
    /// from the highest. For RDB saving, DEBUG DIGEST, SORT and the like.
    /// (no C twin: C walks the ziplist or the skiplist in place)
    pub fn iter(&self) -> ZSetIter<'_> {
        let remaining = self.len();
        match self {
            ZSet::Ziplist(zl) => ZSetIter::Ziplist {
                zl,
                front: zzl_header(&zl.zl).1,
                back: zl.zl.len(),
                remaining,
            },
            ZSet::Skiplist(zs) => ZSetIter::Skiplist {
                zsl: &zs.zsl,
                front: zs.zsl.first(),
                back: zs.zsl.tail,
                remaining,
            },
        }
    }
}

/// See `ZSet::iter`. (no C twin)
pub(crate) enum ZSetIter<'a> {
    Ziplist {
        zl: &'a ZsetZiplist,
        front: usize,
        back: usize,
        remaining: usize,
    },
    Skiplist {
        zsl: &'a Zskiplist,
        front: NodeId,
        back: NodeId,
        remaining: usize,
    },
}

impl<'a> Iterator for ZSetIter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            ZSetIter::Ziplist { zl, front, remaining, .. } => {
                if *remaining == 0 {
                    return None;
                }
                *remaining -= 1;
                let e = zzl_decode(&zl.zl, *front);
                *front = e.end;
                Some((e.ele, e.score))
            }
            ZSetIter::Skiplist { zsl, front, remaining, .. } => {
                if *remaining == 0 {
                    return None;
                }
                *remaining -= 1;
                let n = &zsl.nodes[*front as usize];
                *front = n.level(0).forward;
                Some((&n.ele, n.score))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match self {
            ZSetIter::Ziplist { remaining, .. }
            | ZSetIter::Skiplist { remaining, .. } => *remaining,
        };
        (n, Some(n))
    }
}

impl DoubleEndedIterator for ZSetIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match self {
            ZSetIter::Ziplist { zl, back, remaining, .. } => {
                if *remaining == 0 {
                    return None;
                }
                *remaining -= 1;
                let p = zzl_prev_offset(&zl.zl, *back);
                *back = p;
                let e = zzl_decode(&zl.zl, p);
                Some((e.ele, e.score))
            }
            ZSetIter::Skiplist { zsl, back, remaining, .. } => {
                if *remaining == 0 {
                    return None;
                }
                *remaining -= 1;
                let n = &zsl.nodes[*back as usize];
                *back = n.backward;
                Some((&n.ele, n.score))
            }
        }
    }
}

impl ExactSizeIterator for ZSetIter<'_> {}

// ------------------------ object.c: sorted set objects -----------------------

/// A new, empty sorted set in the skiplist encoding.
///
/// C: object.c createZsetObject()
pub(crate) fn create_zset_object(lru: u32) -> RObj {
    let zs = ZsetSkiplist::new();
    create_object(
        lru,
        OBJ_ENCODING_SKIPLIST,
        Value::ZSet(ZSet::Skiplist(Box::new(zs))),
    )
}

/// A new, empty sorted set in the ziplist encoding.
///
/// C: object.c createZsetZiplistObject()
pub(crate) fn create_zset_ziplist_object(lru: u32) -> RObj {
    create_object(
        lru,
        OBJ_ENCODING_ZIPLIST,
        Value::ZSet(ZSet::Ziplist(ZsetZiplist::default())),
    )
}

/// The sorted set inside a value already checked to be one. (no C twin:
/// C casts `o->ptr`)
fn zset_ref(o: &RObj) -> &ZSet {
    match &o.ptr {
        Value::ZSet(z) => z,
        _ => unreachable!("not a sorted set: the caller checked the type"),
    }
}

/// The mutable twin of `zset_ref`. (no C twin)
fn zset_mut(o: &mut RObj) -> &mut ZSet {
    match &mut o.ptr {
        Value::ZSet(z) => z,
        _ => unreachable!("not a sorted set: the caller checked the type"),
    }
}

impl ZsetSkiplist {
    /// An empty dict and skiplist. (part of C's createZsetObject())
    pub fn new() -> Self {
        ZsetSkiplist { dict: Dict::new(), zsl: zsl_create() }
    }
}

impl Default for ZsetSkiplist {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic generator for the model tests.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 33
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// The reference: (score, member) pairs in zset order.
    fn model_sorted(
        m: &std::collections::HashMap<Vec<u8>, f64>,
    ) -> Vec<(f64, Vec<u8>)> {
        let mut v: Vec<(f64, Vec<u8>)> =
            m.iter().map(|(k, s)| (*s, k.clone())).collect();
        v.sort_by(|a, b| {
            a.0.partial_cmp(&b.0).unwrap().then_with(|| a.1.cmp(&b.1))
        });
        v
    }

    /// Checks every invariant of the skiplist against the model: order,
    /// backward links, tail, length, the vacant slots, ranks and spans.
    fn check_zsl(zsl: &Zskiplist, want: &[(f64, Vec<u8>)]) {
        assert_eq!(zsl.length, want.len());
        assert_eq!(
            zsl.nodes.len() - zsl.free.len(),
            want.len() + 1,
            "live nodes"
        );
        assert!(
            zsl.free.len() < 64 || zsl.free.len() * 2 < zsl.nodes.len(),
            "compacted"
        );
        for &f in &zsl.free {
            assert_eq!(zsl.nodes[f as usize].height, 0, "a vacant slot");
        }
        let mut x = zsl.first();
        let mut prev = ZSL_NULL;
        for (i, (s, e)) in want.iter().enumerate() {
            assert!(x != ZSL_NULL);
            let n = zsl.node(x);
            assert_eq!((n.score, &n.ele[..]), (*s, &e[..]));
            assert_eq!(n.backward, prev);
            assert_eq!(zsl_get_rank(zsl, *s, e), i as u64 + 1);
            assert_eq!(zsl_get_element_by_rank(zsl, i as u64 + 1), x);
            prev = x;
            x = zsl.next(x);
        }
        assert_eq!(x, ZSL_NULL);
        assert_eq!(zsl.tail, prev);
        // Every level's links are ordered and their spans add up to ranks.
        for lvl in 0..zsl.level {
            let mut x = ZSL_HEADER;
            let mut rank = 0u64;
            loop {
                let l = *zsl.nodes[x as usize].level(lvl);
                if l.forward == ZSL_NULL {
                    break;
                }
                rank += l.span as u64;
                let n = zsl.node(l.forward);
                assert_eq!(
                    zsl_get_rank(zsl, n.score, &n.ele),
                    rank,
                    "span at level {lvl}"
                );
                x = l.forward;
            }
        }
    }

    #[test]
    fn zsl_insert_delete_update_score_match_a_sorted_model() {
        let mut rng = Lcg(7);
        let mut zsl = zsl_create();
        let mut dict: Dict<ZsetSds, f64> = Dict::new();
        let mut model = std::collections::HashMap::new();
        for round in 0..4000 {
            let ele = format!("e{}", rng.below(300)).into_bytes();
            let score = (rng.below(50) as f64) - 25.0;
            match rng.below(4) {
                0 | 1 => {
                    if let Some(cur) = model.get(&ele).copied() {
                        zsl_update_score(&mut zsl, cur, &ele, score);
                        *dict.find_mut(&ele).unwrap() = score;
                    } else {
                        zsl_insert(&mut zsl, score, ele.clone().into());
                        dict.dict_add(ele.clone().into(), score).unwrap();
                    }
                    model.insert(ele, score);
                }
                2 => {
                    let r = model.remove(&ele);
                    let d = r.and_then(|s| zsl_delete(&mut zsl, s, &ele));
                    assert_eq!(d.is_some(), r.is_some());
                    dict.dict_delete(&ele);
                }
                _ => {
                    let a = (rng.below(40) as f64) - 20.0;
                    let b = a + rng.below(10) as f64;
                    let range = ZRangeSpec {
                        min: a,
                        max: b,
                        minex: rng.below(2) == 0,
                        maxex: rng.below(2) == 0,
                    };
                    if round % 7 == 0 {
                        let n = zsl_delete_range_by_score(
                            &mut zsl, &range, &mut dict,
                        );
                        let before = model.len();
                        model.retain(|_, s| {
                            !(zsl_value_gte_min(*s, &range)
                                && zsl_value_lte_max(*s, &range))
                        });
                        assert_eq!(n as usize, before - model.len());
                    } else {
                        let want: Vec<_> = model_sorted(&model)
                            .into_iter()
                            .filter(|(s, _)| {
                                zsl_value_gte_min(*s, &range)
                                    && zsl_value_lte_max(*s, &range)
                            })
                            .collect();
                        let first = zsl_first_in_range(&zsl, &range);
                        let last = zsl_last_in_range(&zsl, &range);
                        match (want.first(), want.last()) {
                            (Some(f), Some(l)) => {
                                assert_eq!(&zsl.node(first).ele[..], &f.1[..]);
                                assert_eq!(&zsl.node(last).ele[..], &l.1[..]);
                            }
                            _ => {
                                assert_eq!((first, last), (ZSL_NULL, ZSL_NULL))
                            }
                        }
                    }
                }
            }
            assert_eq!(dict.dict_size(), model.len());
            if round % 50 == 0 {
                check_zsl(&zsl, &model_sorted(&model));
            }
        }
        check_zsl(&zsl, &model_sorted(&model));
    }

    #[test]
    fn zsl_delete_range_by_rank_and_lex_keep_the_skiplist_consistent() {
        let mut rng = Lcg(11);
        for _ in 0..30 {
            let mut zsl = zsl_create();
            let mut dict: Dict<ZsetSds, f64> = Dict::new();
            let mut model = std::collections::HashMap::new();
            for i in 0..200 {
                let ele = format!("{:04}", (i * 37) % 1000).into_bytes();
                zsl_insert(&mut zsl, 0.0, ele.clone().into());
                dict.dict_add(ele.clone().into(), 0.0).unwrap();
                model.insert(ele, 0.0);
            }
            let start = rng.below(200) as u32 + 1;
            let end = start + rng.below(60) as u32;
            let sorted = model_sorted(&model);
            let n = zsl_delete_range_by_rank(&mut zsl, start, end, &mut dict);
            let gone =
                &sorted[start as usize - 1..(end as usize).min(sorted.len())];
            assert_eq!(n as usize, gone.len());
            for (_, e) in gone {
                model.remove(e);
                assert!(dict.find(e).is_none());
            }
            check_zsl(&zsl, &model_sorted(&model));

            let range = zsl_parse_lex_range(b"[0300", b"(0600").unwrap();
            let n = zsl_delete_range_by_lex(&mut zsl, &range, &mut dict);
            let before = model.len();
            model.retain(|k, _| {
                !(zsl_lex_value_gte_min(k, &range)
                    && zsl_lex_value_lte_max(k, &range))
            });
            assert_eq!(n as usize, before - model.len());
            assert_eq!(dict.dict_size(), model.len());
            check_zsl(&zsl, &model_sorted(&model));
        }
    }

    #[test]
    fn zsl_free_node_slots_are_reused_and_the_arena_compacted() {
        let mut rng = Lcg(3);
        let mut zsl = zsl_create();
        let mut dict: Dict<ZsetSds, f64> = Dict::new();
        let mut model = std::collections::HashMap::new();
        for i in 0..1000 {
            let ele = format!("m{i}").into_bytes();
            let score = rng.below(100) as f64;
            zsl_insert(&mut zsl, score, ele.clone().into());
            dict.dict_add(ele.clone().into(), score).unwrap();
            model.insert(ele, score);
        }
        // Delete most of them one by one: the arena shrinks on the way.
        let mut max_arena = 0;
        for i in (0..1000).filter(|i| i % 10 != 0) {
            let ele = format!("m{i}").into_bytes();
            let score = model.remove(&ele).unwrap();
            assert!(zsl_delete(&mut zsl, score, &ele).is_some());
            dict.dict_delete(&ele);
            max_arena = max_arena.max(zsl.nodes.len());
            if i % 97 == 0 {
                check_zsl(&zsl, &model_sorted(&model));
            }
        }
        check_zsl(&zsl, &model_sorted(&model));
        assert!(
            zsl.nodes.len() <= 2 * model.len() + 65,
            "{} slots for {}",
            zsl.nodes.len(),
            model.len()
        );
        // Freed slots are reused before the arena grows.
        let before = zsl.nodes.len();
        let vacant = zsl.free.len();
        for i in 0..vacant {
            let ele = format!("n{i}").into_bytes();
            zsl_insert(&mut zsl, 7.0, ele.clone().into());
            model.insert(ele, 7.0);
        }
        assert_eq!(zsl.nodes.len(), before);
        check_zsl(&zsl, &model_sorted(&model));
        // A range deletion compacts too.
        let all = ZRangeSpec {
            min: f64::NEG_INFINITY,
            max: 50.0,
            minex: false,
            maxex: false,
        };
        for (k, s) in &model {
            if *s <= 50.0 {
                let _ = dict.dict_add(k.clone().into(), *s);
            }
        }
        zsl_delete_range_by_score(&mut zsl, &all, &mut dict);
        model.retain(|_, s| *s > 50.0);
        check_zsl(&zsl, &model_sorted(&model));
    }

    #[test]
    fn zsl_random_level_follows_the_power_law() {
        let mut counts = [0u32; ZSKIPLIST_MAXLEVEL + 1];
        for _ in 0..100_000 {
            let l = zsl_random_level();
            assert!((1..=ZSKIPLIST_MAXLEVEL).contains(&l));
            counts[l] += 1;
        }
        // P(level 1) = 3/4, P(level 2) = 3/16.
        assert!((70_000..80_000).contains(&counts[1]), "{}", counts[1]);
        assert!((16_000..21_500).contains(&counts[2]), "{}", counts[2]);
    }

    #[test]
    fn zsl_get_rank_does_not_match_the_header_for_the_empty_member() {
        let mut zsl = zsl_create();
        zsl_insert(&mut zsl, 5.0, b"a".to_vec().into());
        assert_eq!(zsl_get_rank(&zsl, -1.0, b""), 0);
        zsl_insert(&mut zsl, 1.0, b"".to_vec().into());
        assert_eq!(zsl_get_rank(&zsl, 1.0, b""), 1);
    }

    #[test]
    fn zzl_entries_round_trip_scores_and_walk_both_ways() {
        let scores = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            63.0,
            64.0,
            -65.0,
            4503599627370495.0,
            4503599627370496.0,
            -4503599627370495.0,
            0.1,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            123456789.5,
        ];
        let mut zl = ZsetZiplist::default();
        for (i, s) in scores.iter().enumerate() {
            // Long members exercise multi-byte lengths and backlens.
            let ele = vec![b'a' + i as u8; i * 20];
            zzl_insert_at(&mut zl, None, &ele, *s);
        }
        assert_eq!(zzl_length(&zl), scores.len());
        let mut p = zzl_index(&zl, 0);
        let mut i = 0;
        while let Some(q) = p {
            let e = zzl_decode(&zl.zl, q);
            assert_eq!(e.score.to_bits(), scores[i].to_bits(), "score {i}");
            assert_eq!(e.ele.len(), i * 20);
            p = zzl_next(&zl, q);
            i += 1;
        }
        assert_eq!(i, scores.len());
        let mut p = zzl_index(&zl, -1);
        while let Some(q) = p {
            i -= 1;
            assert_eq!(zzl_get_score(&zl, q).to_bits(), scores[i].to_bits());
            p = zzl_prev(&zl, q);
        }
        assert_eq!(i, 0);
        // Small integer scores take one byte: count + (len + member + 1 + 1).
        let mut small = ZsetZiplist::default();
        zzl_insert(&mut small, b"m1", 5.0);
        assert_eq!(small.zl.len(), 1 + 1 + 2 + 1 + 1);
        assert_eq!(std::mem::size_of::<ZSet>(), 16);
        // 24 for the element (inline up to 22 bytes), 64 for the rest.
        assert_eq!(std::mem::size_of::<ZskiplistNode>(), 88);
    }

    #[test]
    fn zzl_insert_keeps_score_then_member_order_and_deletes_ranges() {
        let mut zl = ZsetZiplist::default();
        for (e, s) in
            [("c", 2.0), ("a", 2.0), ("z", 1.0), ("b", 3.0), ("m", 2.0)]
        {
            zzl_insert(&mut zl, e.as_bytes(), s);
        }
        let z = ZSet::Ziplist(zl.clone());
        let order: Vec<_> = z
            .iter()
            .map(|(e, s)| (String::from_utf8_lossy(e).into_owned(), s))
            .collect();
        assert_eq!(
            order,
            [
                ("z".into(), 1.0),
                ("a".into(), 2.0),
                ("c".into(), 2.0),
                ("m".into(), 2.0),
                ("b".into(), 3.0)
            ]
        );
        let rev: Vec<_> = z.iter().rev().map(|(e, _)| e.to_vec()).collect();
        assert_eq!(
            rev,
            [
                b"b".to_vec(),
                b"m".to_vec(),
                b"c".to_vec(),
                b"a".to_vec(),
                b"z".to_vec()
            ]
        );
        assert_eq!(zzl_find(&zl, b"m").map(|(_, s)| s), Some(2.0));
        let range = zsl_parse_range(b"(1", b"2").unwrap();
        assert_eq!(zzl_delete_range_by_score(&mut zl, &range), 3);
        assert_eq!(zzl_length(&zl), 2);
        assert_eq!(zzl_delete_range_by_rank(&mut zl, 2, 2), 1);
        assert_eq!(zzl_find(&zl, b"z").map(|(_, s)| s), Some(1.0));
        assert!(zzl_find(&zl, b"b").is_none());
    }

    #[test]
    fn zset_convert_round_trips_between_encodings() {
        let mut o = create_zset_ziplist_object(0);
        let limits = ZsetLimits { entries: 128, value: 64 };
        for i in 0..10 {
            let (mut f, mut ns) = (ZADD_NONE, 0.0);
            assert!(zset_add(
                &mut o,
                i as f64 / 3.0,
                format!("m{i}").as_bytes(),
                &mut f,
                &mut ns,
                limits
            ));
        }
        let before: Vec<(Vec<u8>, f64)> =
            zset_ref(&o).iter().map(|(e, s)| (e.to_vec(), s)).collect();
        zset_convert(&mut o, OBJ_ENCODING_SKIPLIST);
        assert_eq!(o.encoding, OBJ_ENCODING_SKIPLIST);
        assert!(matches!(zset_ref(&o), ZSet::Skiplist(_)));
        let mid: Vec<(Vec<u8>, f64)> =
            zset_ref(&o).iter().map(|(e, s)| (e.to_vec(), s)).collect();
        assert_eq!(before, mid);
        zset_convert_to_ziplist_if_needed(&mut o, 2, 20, limits);
        assert_eq!(o.encoding, OBJ_ENCODING_ZIPLIST);
        let after: Vec<(Vec<u8>, f64)> =
            zset_ref(&o).iter().map(|(e, s)| (e.to_vec(), s)).collect();
        assert_eq!(before, after);
        assert_eq!(zset_rank(&o, b"m3", false), 3);
        assert_eq!(zset_rank(&o, b"m3", true), 6);
    }

    #[test]
    fn zset_add_converts_past_the_thresholds() {
        let limits = ZsetLimits { entries: 3, value: 5 };
        let mut o = create_zset_ziplist_object(0);
        let add = |o: &mut RObj, e: &[u8]| {
            let (mut f, mut ns) = (ZADD_NONE, 0.0);
            zset_add(o, 1.0, e, &mut f, &mut ns, limits);
            f
        };
        assert_eq!(add(&mut o, b"a"), ZADD_ADDED);
        assert_eq!(add(&mut o, b"b"), ZADD_ADDED);
        assert_eq!(add(&mut o, b"c"), ZADD_ADDED);
        assert_eq!(o.encoding, OBJ_ENCODING_ZIPLIST);
        assert_eq!(add(&mut o, b"c"), 0); // same score: no flag
        assert_eq!(add(&mut o, b"d"), ZADD_ADDED);
        assert_eq!(o.encoding, OBJ_ENCODING_SKIPLIST);
        let mut o2 = create_zset_ziplist_object(0);
        add(&mut o2, b"123456");
        assert_eq!(o2.encoding, OBJ_ENCODING_SKIPLIST);
    }

    #[test]
    fn zsl_parse_range_follows_strtod() {
        let r = zsl_parse_range(b"(1.5", b"+inf").unwrap();
        assert_eq!(
            (r.min, r.minex, r.max, r.maxex),
            (1.5, true, f64::INFINITY, false)
        );
        // What strtod takes: spaces before, the empty string, hex, a NUL
        // that ends the C string.
        assert_eq!(zsl_parse_range(b" 1", b"").unwrap().min, 1.0);
        assert_eq!(zsl_parse_range(b"(", b"0x10").unwrap().max, 16.0);
        assert_eq!(zsl_parse_range(b"2\0junk", b"3").unwrap().min, 2.0);
        assert_eq!(zsl_parse_range(b"1e400", b"3").unwrap().min, f64::INFINITY);
        for bad in [&b"x"[..], b"1 ", b"nan", b"(nan", b"1x", b"--1"] {
            assert!(zsl_parse_range(bad, b"1").is_err(), "{:?}", bad);
        }
    }

    #[test]
    fn zsl_parse_lex_range_items_and_sdscmplex() {
        assert_eq!(zsl_parse_lex_range_item(b"-"), Ok((LexItem::Min, true)));
        assert_eq!(zsl_parse_lex_range_item(b"+"), Ok((LexItem::Max, true)));
        assert_eq!(zsl_parse_lex_range_item(b"+\0x"), Ok((LexItem::Max, true)));
        assert_eq!(
            zsl_parse_lex_range_item(b"(a"),
            Ok((LexItem::Str(b"a".to_vec()), true))
        );
        assert_eq!(
            zsl_parse_lex_range_item(b"["),
            Ok((LexItem::Str(Vec::new()), false))
        );
        for bad in [&b""[..], b"a", b"+a", b"-a"] {
            assert!(zsl_parse_lex_range_item(bad).is_err());
        }
        assert_eq!(sdscmplex(Lex::Min, Lex::Min), 0);
        assert_eq!(sdscmplex(Lex::Max, Lex::Min), 1);
        assert_eq!(sdscmplex(Lex::Min, Lex::Max), -1);
        assert_eq!(sdscmplex(Lex::Str(b""), Lex::Min), 1);
        assert_eq!(sdscmplex(Lex::Str(b"b"), Lex::Str(b"ab")), 1);
        assert_eq!(sdscmplex(Lex::Str(b"a"), Lex::Str(b"ab")), -1);
    }

    #[test]
    fn get_double_from_object_matches_get_double_from_object_in_c() {
        assert_eq!(get_double_from_object(b"1.5"), Some(1.5));
        assert_eq!(get_double_from_object(b"0x10"), Some(16.0));
        assert_eq!(get_double_from_object(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(get_double_from_object(b"Infinity"), Some(f64::INFINITY));
        assert_eq!(get_double_from_object(b"1e-310"), Some(1e-310)); // subnormal: kept
        for bad in [
            &b""[..],
            b" 1",
            b"1 ",
            b"nan",
            b"1e400",
            b"1e-400",
            b"1\0",
            b"abc",
            b"1e",
            b".",
            b"+",
        ] {
            assert_eq!(get_double_from_object(bad), None, "{:?}", bad);
        }
    }
}
