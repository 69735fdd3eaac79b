//! Sorted sets: members ordered by a floating point score, then by the
//! member's bytes. Small sets live in one compact buffer of (member, score)
//! pairs kept in order (the "ziplist" encoding); bigger ones in a skiplist
//! ordered by (score, member) plus a hash table from member to score, so
//! that ranges by rank, score or lex and lookups by member are all cheap.
//!
//! Ports t_zset.c from Redis 5.0.14, in the same order, with the sorted set
//! parts of server.h (types, ZADD flags, range specs) at the top and
//! object.c's createZsetObject()/createZsetZiplistObject() after them.
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
//!   matters to RDB files, which rdb.rs decodes), but it is its twin: one
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

// ----------------------------- server.h: zsets ------------------------------

/// Should be enough for 2^64 elements. (usize: it sizes arrays.)
pub const ZSKIPLIST_MAXLEVEL: usize = 64;
/// Skiplist P = 1/4
pub const ZSKIPLIST_P: f64 = 0.25;

/// Which end ZPOPMIN/ZPOPMAX and their blocking variants pop from.
pub const ZSET_MIN: i32 = 0;
pub const ZSET_MAX: i32 = 1;

// Input flags of zsetAdd().
pub const ZADD_NONE: i32 = 0;
/// Increment the score instead of setting it.
pub const ZADD_INCR: i32 = 1 << 0;
/// Don't touch elements not already existing.
pub const ZADD_NX: i32 = 1 << 1;
/// Only touch elements already existing.
pub const ZADD_XX: i32 = 1 << 2;

// Output flags of zsetAdd().
/// Operation not performed because of conditionals.
pub const ZADD_NOP: i32 = 1 << 3;
/// The resulting score is not a number.
pub const ZADD_NAN: i32 = 1 << 4;
/// The element was new and was added.
pub const ZADD_ADDED: i32 = 1 << 5;
/// The element already existed, score updated.
pub const ZADD_UPDATED: i32 = 1 << 6;

/// Flags only used by the ZADD command but not by zsetAdd() API: return
/// the number of elements added or updated.
pub const ZADD_CH: i32 = 1 << 16;

/// Struct to hold a inclusive/exclusive range spec by score comparison.
///
/// C: server.h zrangespec
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZRangeSpec {
    pub min: f64,
    pub max: f64,
    /// Are min or max exclusive?
    pub minex: bool,
    pub maxex: bool,
}

/// One end of a lex range: C's `sds` that may also be one of the two
/// shared strings `shared.minstring` ("-") and `shared.maxstring` ("+"),
/// which C tells apart by pointer and which sort before and after every
/// string. (no C twin as a type)
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LexItem {
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
pub enum Lex<'a> {
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
pub struct ZLexRangeSpec {
    /// May be set to shared.(minstring|maxstring)
    pub min: LexItem,
    pub max: LexItem,
    /// Are min or max exclusive?
    pub minex: bool,
    pub maxex: bool,
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
pub type NodeId = u32;

/// The header's index, and C's NULL: no link points to the header, so a
/// link equal to 0 means "no node".
pub const ZSL_HEADER: NodeId = 0;
pub const ZSL_NULL: NodeId = 0;

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
pub type ZsetSds = crate::sds::Sds;

/// C: server.h zskiplistNode
pub struct ZskiplistNode {
    pub ele: ZsetSds,
    pub score: f64,
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
pub struct Zskiplist {
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
pub struct ZsetSkiplist {
    pub dict: Dict<ZsetSds, f64>,
    pub zsl: Zskiplist,
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
pub struct ZsetZiplist {
    zl: Box<[u8]>,
}

/// The value of a sorted set key, in one of its two encodings. The
/// `RObj::encoding` of the key says the same (OBJ_ENCODING_ZIPLIST or
/// OBJ_ENCODING_SKIPLIST); `zset_convert` keeps them in step.
pub enum ZSet {
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
    pub fn len(&self) -> usize {
        match self {
            ZSet::Ziplist(zl) => zzl_length(zl),
            ZSet::Skiplist(zs) => zs.zsl.length,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
pub enum ZSetIter<'a> {
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
pub fn create_zset_object(lru: u32) -> RObj {
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
pub fn create_zset_ziplist_object(lru: u32) -> RObj {
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

// -----------------------------------------------------------------------------
// Skiplist implementation of the low level API
// -----------------------------------------------------------------------------

impl Zskiplist {
    fn lv(&self, x: NodeId, i: usize) -> &ZskiplistLevel {
        self.nodes[x as usize].level(i)
    }

    fn lv_mut(&mut self, x: NodeId, i: usize) -> &mut ZskiplistLevel {
        self.nodes[x as usize].level_mut(i)
    }

    fn fwd(&self, x: NodeId, i: usize) -> NodeId {
        self.nodes[x as usize].level(i).forward
    }

    /// The node `x`. Panics on an index that is not a node, which would be
    /// a bug in this file.
    pub fn node(&self, x: NodeId) -> &ZskiplistNode {
        &self.nodes[x as usize]
    }

    /// The first node (`zsl->header->level[0].forward`), or ZSL_NULL.
    pub fn first(&self) -> NodeId {
        self.fwd(ZSL_HEADER, 0)
    }

    /// The last node, or ZSL_NULL.
    pub fn tail(&self) -> NodeId {
        self.tail
    }

    /// The node after `x` at level 0, or ZSL_NULL.
    pub fn next(&self, x: NodeId) -> NodeId {
        self.fwd(x, 0)
    }

    /// The node before `x`, or ZSL_NULL.
    pub fn prev(&self, x: NodeId) -> NodeId {
        self.nodes[x as usize].backward
    }

    /// The number of elements.
    pub fn length(&self) -> usize {
        self.length
    }
}

/// Whether node `n` sorts before (score, ele): the comparison every
/// skiplist walk makes. (no C twin: written out in each C loop)
fn zsl_lt(n: &ZskiplistNode, score: f64, ele: &[u8]) -> bool {
    n.score < score || (n.score == score && &n.ele[..] < ele)
}

/// Create a skiplist node with the specified number of levels. The node
/// owns `ele` after the call.
///
/// C: t_zset.c zslCreateNode()
fn zsl_create_node(level: usize, score: f64, ele: ZsetSds) -> ZskiplistNode {
    ZskiplistNode {
        ele,
        score,
        backward: ZSL_NULL,
        height: level as u32,
        low: [ZskiplistLevel::default(); ZSL_INLINE_LEVELS],
        high: vec![
            ZskiplistLevel::default();
            level.saturating_sub(ZSL_INLINE_LEVELS)
        ]
        .into_boxed_slice(),
    }
}

/// Create a new skiplist: just the header, with all its levels empty.
///
/// C: t_zset.c zslCreate()
pub fn zsl_create() -> Zskiplist {
    let header = zsl_create_node(ZSKIPLIST_MAXLEVEL, 0.0, ZsetSds::new());
    Zskiplist {
        nodes: vec![header],
        free: Vec::new(),
        tail: ZSL_NULL,
        level: 1,
        length: 0,
    }
}

/// Free the node `x`, which must already be unlinked (zslDeleteNode), and
/// hand it back so that the caller can reuse its member, as C's callers
/// reuse `node->ele`; dropping it frees the member. C frees the memory;
/// here the slot becomes vacant and goes on the free list, and no other
/// node moves, so every index the caller holds stays valid.
///
/// C: t_zset.c zslFreeNode()
fn zsl_free_node(zsl: &mut Zskiplist, x: NodeId) -> ZskiplistNode {
    debug_assert!(x != ZSL_HEADER);
    let vacant = ZskiplistNode {
        ele: ZsetSds::new(),
        score: 0.0,
        backward: ZSL_NULL,
        height: 0,
        low: [ZskiplistLevel::default(); ZSL_INLINE_LEVELS],
        high: Box::default(),
    };
    let node = std::mem::replace(&mut zsl.nodes[x as usize], vacant);
    zsl.free.push(x);
    node
}

/// When more than half of the arena is vacant (and that is more than a
/// few slots), rebuilds it with the live nodes only, in level-0 order, and
/// renumbers every link. O(N), after at least N/2 deletions: amortized
/// O(1) per deletion. It moves nodes, so it runs only where no caller
/// holds an index: at the end of the deleting operations. (no C twin: C's
/// allocator returns freed nodes at once)
fn zsl_compact_if_needed(zsl: &mut Zskiplist) {
    const MIN_VACANT: usize = 64;
    if zsl.free.len() < MIN_VACANT || zsl.free.len() * 2 < zsl.nodes.len() {
        return;
    }
    // New index of every live node: its rank. The header stays 0, and so
    // does NULL.
    let mut newid = vec![ZSL_NULL; zsl.nodes.len()];
    let mut order = Vec::with_capacity(zsl.length);
    let mut x = zsl.first();
    while x != ZSL_NULL {
        order.push(x);
        newid[x as usize] = order.len() as NodeId;
        x = zsl.fwd(x, 0);
    }
    let mut old: Vec<Option<ZskiplistNode>> =
        std::mem::take(&mut zsl.nodes).into_iter().map(Some).collect();
    let mut nodes = Vec::with_capacity(order.len() + 1);
    nodes.push(old[ZSL_HEADER as usize].take().expect("the header"));
    for &x in &order {
        nodes.push(
            old[x as usize].take().expect("a live node is in the arena once"),
        );
    }
    for n in nodes.iter_mut() {
        n.backward = newid[n.backward as usize];
        for i in 0..n.height as usize {
            let l = n.level_mut(i);
            l.forward = newid[l.forward as usize];
        }
    }
    zsl.nodes = nodes;
    zsl.tail = newid[zsl.tail as usize];
    zsl.free = Vec::new();
}

/// The process-wide state of the generator behind zslRandomLevel(). (no
/// C twin: glibc keeps random()'s state the same way)
static ZSL_RANDOM_STATE: AtomicU64 = AtomicU64::new(0x2545_f491_4f6c_dd1d);

/// A pseudo-random 64-bit number. (no C twin: stands in for libc random())
fn zsl_random() -> u64 {
    // Divergence from C: splitmix64 rather than glibc's random(); only the
    // distribution of levels matters, not the sequence.
    const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut z = ZSL_RANDOM_STATE
        .fetch_add(GAMMA, Ordering::Relaxed)
        .wrapping_add(GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Returns a random level for the new skiplist node we are going to
/// create. The return value of this function is between 1 and
/// ZSKIPLIST_MAXLEVEL (both inclusive), with a powerlaw-alike distribution
/// where higher levels are less likely to be returned.
///
/// C: t_zset.c zslRandomLevel()
pub fn zsl_random_level() -> usize {
    let mut level = 1;
    while ((zsl_random() & 0xFFFF) as f64) < ZSKIPLIST_P * 0xFFFF as f64 {
        level += 1;
    }
    level.min(ZSKIPLIST_MAXLEVEL)
}

/// Insert a new node in the skiplist. Assumes the element does not already
/// exist (up to the caller to enforce that). The skiplist takes ownership
/// of the passed member `ele`. Returns the new node's index.
///
/// C: t_zset.c zslInsert()
#[allow(clippy::needless_range_loop)] // C's loops over update[i]/rank[i], kept
pub fn zsl_insert(zsl: &mut Zskiplist, score: f64, ele: ZsetSds) -> NodeId {
    let mut update = [ZSL_HEADER; ZSKIPLIST_MAXLEVEL];
    let mut rank = [0u32; ZSKIPLIST_MAXLEVEL];

    assert!(!score.is_nan(), "zslInsert: NaN score");
    let mut x = ZSL_HEADER;
    for i in (0..zsl.level).rev() {
        // store rank that is crossed to reach the insert position
        rank[i] = if i == zsl.level - 1 { 0 } else { rank[i + 1] };
        loop {
            let f = zsl.fwd(x, i);
            if f != ZSL_NULL && zsl_lt(&zsl.nodes[f as usize], score, &ele) {
                rank[i] = rank[i].wrapping_add(zsl.lv(x, i).span);
                x = f;
            } else {
                break;
            }
        }
        update[i] = x;
    }
    // We assume the element is not already inside, since we allow
    // duplicated scores, reinserting the same element should never happen
    // since the caller of zslInsert() should test in the hash table if the
    // element is already inside or not.
    let level = zsl_random_level();
    if level > zsl.level {
        for i in zsl.level..level {
            rank[i] = 0;
            update[i] = ZSL_HEADER;
            zsl.lv_mut(ZSL_HEADER, i).span = zsl.length as u32;
        }
        zsl.level = level;
    }
    let node = zsl_create_node(level, score, ele);
    let x = match zsl.free.pop() {
        Some(x) => {
            zsl.nodes[x as usize] = node;
            x
        }
        None => {
            zsl.nodes.push(node);
            (zsl.nodes.len() - 1) as NodeId
        }
    };
    for i in 0..level {
        let up = *zsl.lv(update[i], i);
        // update span covered by update[i] as x is inserted here
        *zsl.lv_mut(x, i) = ZskiplistLevel {
            forward: up.forward,
            span: up.span.wrapping_sub(rank[0].wrapping_sub(rank[i])),
        };
        *zsl.lv_mut(update[i], i) = ZskiplistLevel {
            forward: x,
            span: rank[0].wrapping_sub(rank[i]).wrapping_add(1),
        };
    }

    // increment span for untouched levels
    for i in level..zsl.level {
        let l = zsl.lv_mut(update[i], i);
        l.span = l.span.wrapping_add(1);
    }

    zsl.nodes[x as usize].backward =
        if update[0] == ZSL_HEADER { ZSL_NULL } else { update[0] };
    let next = zsl.fwd(x, 0);
    if next != ZSL_NULL {
        zsl.nodes[next as usize].backward = x;
    } else {
        zsl.tail = x;
    }
    zsl.length += 1;
    x
}

/// Internal function used by zslDelete, zslDeleteRangeByScore and
/// zslDeleteRangeByRank: unlinks `x`, whose predecessor at each level is
/// `update[level]`. The node stays in the arena until zsl_free_node.
///
/// C: t_zset.c zslDeleteNode()
#[allow(clippy::needless_range_loop)] // C's loop over update[i], kept
fn zsl_delete_node(
    zsl: &mut Zskiplist,
    x: NodeId,
    update: &[NodeId; ZSKIPLIST_MAXLEVEL],
) {
    for i in 0..zsl.level {
        if zsl.fwd(update[i], i) == x {
            let xl = *zsl.lv(x, i);
            let l = zsl.lv_mut(update[i], i);
            // C's unsigned arithmetic: span + (xspan - 1), wrapping.
            l.span = l.span.wrapping_add(xl.span).wrapping_sub(1);
            l.forward = xl.forward;
        } else {
            let l = zsl.lv_mut(update[i], i);
            l.span = l.span.wrapping_sub(1);
        }
    }
    let next = zsl.fwd(x, 0);
    let back = zsl.nodes[x as usize].backward;
    if next != ZSL_NULL {
        zsl.nodes[next as usize].backward = back;
    } else {
        zsl.tail = back;
    }
    while zsl.level > 1 && zsl.fwd(ZSL_HEADER, zsl.level - 1) == ZSL_NULL {
        zsl.level -= 1;
    }
    zsl.length -= 1;
}

/// Delete an element with matching score/element from the skiplist.
/// Returns the unlinked and freed node, so that it is possible for the
/// caller to reuse the member (C's `node` out argument; dropping it is
/// zslFreeNode()), or `None` if it was not found.
///
/// C: t_zset.c zslDelete()
pub fn zsl_delete(
    zsl: &mut Zskiplist,
    score: f64,
    ele: &[u8],
) -> Option<ZskiplistNode> {
    let mut update = [ZSL_HEADER; ZSKIPLIST_MAXLEVEL];
    let mut x = ZSL_HEADER;
    for i in (0..zsl.level).rev() {
        loop {
            let f = zsl.fwd(x, i);
            if f != ZSL_NULL && zsl_lt(&zsl.nodes[f as usize], score, ele) {
                x = f;
            } else {
                break;
            }
        }
        update[i] = x;
    }
    // We may have multiple elements with the same score, what we need is
    // to find the element with both the right score and object.
    let x = zsl.fwd(x, 0);
    if x != ZSL_NULL
        && score == zsl.nodes[x as usize].score
        && &zsl.nodes[x as usize].ele[..] == ele
    {
        zsl_delete_node(zsl, x, &update);
        let node = zsl_free_node(zsl, x);
        zsl_compact_if_needed(zsl);
        return Some(node);
    }
    None // not found
}

/// Update the score of an element inside the sorted set skiplist. Note
/// that the element must exist and must match 'score'. This function does
/// not update the score in the hash table side, the caller should take
/// care of it.
///
/// Note that this function attempts to just update the node, in case after
/// the score update, the node would be exactly at the same position.
/// Otherwise the skiplist is modified by removing and re-adding a new
/// element, which is more costly.
///
/// The function returns the updated element skiplist node.
///
/// C: t_zset.c zslUpdateScore()
pub fn zsl_update_score(
    zsl: &mut Zskiplist,
    curscore: f64,
    ele: &[u8],
    newscore: f64,
) -> NodeId {
    let mut update = [ZSL_HEADER; ZSKIPLIST_MAXLEVEL];

    // We need to seek to element to update to start: this is useful
    // anyway, we'll have to update or remove it.
    let mut x = ZSL_HEADER;
    for i in (0..zsl.level).rev() {
        loop {
            let f = zsl.fwd(x, i);
            if f != ZSL_NULL && zsl_lt(&zsl.nodes[f as usize], curscore, ele) {
                x = f;
            } else {
                break;
            }
        }
        update[i] = x;
    }

    // Jump to our element: note that this function assumes that the
    // element with the matching score exists.
    let x = zsl.fwd(x, 0);
    assert!(
        x != ZSL_NULL
            && curscore == zsl.nodes[x as usize].score
            && &zsl.nodes[x as usize].ele[..] == ele,
        "zslUpdateScore: element not found"
    );

    // If the node, after the score update, would be still exactly at the
    // same position, we can just update the score without actually
    // removing and re-inserting the element in the skiplist.
    let back = zsl.nodes[x as usize].backward;
    let next = zsl.fwd(x, 0);
    if (back == ZSL_NULL || zsl.nodes[back as usize].score < newscore)
        && (next == ZSL_NULL || zsl.nodes[next as usize].score > newscore)
    {
        zsl.nodes[x as usize].score = newscore;
        return x;
    }

    // No way to reuse the old node: we need to remove and insert a new one
    // at a different place. The old node's member moves into the new one.
    zsl_delete_node(zsl, x, &update);
    let old = zsl_free_node(zsl, x);
    zsl_insert(zsl, newscore, old.ele)
}

/// C: t_zset.c zslValueGteMin()
pub fn zsl_value_gte_min(value: f64, spec: &ZRangeSpec) -> bool {
    if spec.minex {
        value > spec.min
    } else {
        value >= spec.min
    }
}

/// C: t_zset.c zslValueLteMax()
pub fn zsl_value_lte_max(value: f64, spec: &ZRangeSpec) -> bool {
    if spec.maxex {
        value < spec.max
    } else {
        value <= spec.max
    }
}

/// Returns if there is a part of the zset is in range.
///
/// C: t_zset.c zslIsInRange()
pub fn zsl_is_in_range(zsl: &Zskiplist, range: &ZRangeSpec) -> bool {
    // Test for ranges that will always be empty.
    if range.min > range.max
        || (range.min == range.max && (range.minex || range.maxex))
    {
        return false;
    }
    let x = zsl.tail;
    if x == ZSL_NULL || !zsl_value_gte_min(zsl.nodes[x as usize].score, range) {
        return false;
    }
    let x = zsl.first();
    if x == ZSL_NULL || !zsl_value_lte_max(zsl.nodes[x as usize].score, range) {
        return false;
    }
    true
}

/// Find the first node that is contained in the specified range. Returns
/// ZSL_NULL when no element is contained in the range.
///
/// C: t_zset.c zslFirstInRange()
pub fn zsl_first_in_range(zsl: &Zskiplist, range: &ZRangeSpec) -> NodeId {
    // If everything is out of range, return early.
    if !zsl_is_in_range(zsl, range) {
        return ZSL_NULL;
    }
    let mut x = ZSL_HEADER;
    for i in (0..zsl.level).rev() {
        // Go forward while *OUT* of range.
        loop {
            let f = zsl.fwd(x, i);
            if f != ZSL_NULL
                && !zsl_value_gte_min(zsl.nodes[f as usize].score, range)
            {
                x = f;
            } else {
                break;
            }
        }
    }
    // This is an inner range, so the next node cannot be NULL.
    let x = zsl.fwd(x, 0);
    assert!(x != ZSL_NULL, "zslFirstInRange: inner range ended");
    // Check if score <= max.
    if !zsl_value_lte_max(zsl.nodes[x as usize].score, range) {
        return ZSL_NULL;
    }
    x
}

/// Find the last node that is contained in the specified range. Returns
/// ZSL_NULL when no element is contained in the range.
///
/// C: t_zset.c zslLastInRange()
pub fn zsl_last_in_range(zsl: &Zskiplist, range: &ZRangeSpec) -> NodeId {
    // If everything is out of range, return early.
    if !zsl_is_in_range(zsl, range) {
        return ZSL_NULL;
    }
    let mut x = ZSL_HEADER;
    for i in (0..zsl.level).rev() {
        // Go forward while *IN* range.
        loop {
            let f = zsl.fwd(x, i);
            if f != ZSL_NULL
                && zsl_value_lte_max(zsl.nodes[f as usize].score, range)
            {
                x = f;
            } else {
                break;
            }
        }
    }
    // This is an inner range, so this node cannot be NULL.
    assert!(x != ZSL_HEADER, "zslLastInRange: inner range ended");
    // Check if score >= min.
    if !zsl_value_gte_min(zsl.nodes[x as usize].score, range) {
        return ZSL_NULL;
    }
    x
}

/// Deletes the run of nodes starting after `update[0]` while `keep_going`
/// says so, removing each member from `dict` too; returns how many went.
/// The shared loop of the three range deletions. (no C twin)
fn zsl_delete_run(
    zsl: &mut Zskiplist,
    update: &[NodeId; ZSKIPLIST_MAXLEVEL],
    dict: &mut Dict<ZsetSds, f64>,
    mut keep_going: impl FnMut(&ZskiplistNode) -> bool,
) -> u64 {
    let mut removed = 0;
    let mut x = zsl.fwd(update[0], 0);
    while x != ZSL_NULL && keep_going(&zsl.nodes[x as usize]) {
        let next = zsl.fwd(x, 0);
        zsl_delete_node(zsl, x, update);
        let node = zsl_free_node(zsl, x);
        dict.dict_delete(&node.ele);
        // Here is where the member is actually released.
        drop(node);
        removed += 1;
        x = next;
    }
    zsl_compact_if_needed(zsl);
    removed
}

/// Delete all the elements with score between min and max from the
/// skiplist. Note that this function takes the reference to the hash
/// table view of the sorted set, in order to remove the elements from the
/// hash table too.
///
/// C: t_zset.c zslDeleteRangeByScore()
pub fn zsl_delete_range_by_score(
    zsl: &mut Zskiplist,
    range: &ZRangeSpec,
    dict: &mut Dict<ZsetSds, f64>,
) -> u64 {
    let mut update = [ZSL_HEADER; ZSKIPLIST_MAXLEVEL];
    let mut x = ZSL_HEADER;
    for i in (0..zsl.level).rev() {
        loop {
            let f = zsl.fwd(x, i);
            let before = f != ZSL_NULL && {
                let s = zsl.nodes[f as usize].score;
                if range.minex {
                    s <= range.min
                } else {
                    s < range.min
                }
            };
            if before {
                x = f;
            } else {
                break;
            }
        }
        update[i] = x;
    }

    // Current node is the last with score < or <= min. Delete nodes while
    // in range.
    zsl_delete_run(zsl, &update, dict, |n| {
        if range.maxex {
            n.score < range.max
        } else {
            n.score <= range.max
        }
    })
}

/// The lex twin of zslDeleteRangeByScore().
///
/// C: t_zset.c zslDeleteRangeByLex()
pub fn zsl_delete_range_by_lex(
    zsl: &mut Zskiplist,
    range: &ZLexRangeSpec,
    dict: &mut Dict<ZsetSds, f64>,
) -> u64 {
    let mut update = [ZSL_HEADER; ZSKIPLIST_MAXLEVEL];
    let mut x = ZSL_HEADER;
    for i in (0..zsl.level).rev() {
        loop {
            let f = zsl.fwd(x, i);
            if f != ZSL_NULL
                && !zsl_lex_value_gte_min(&zsl.nodes[f as usize].ele, range)
            {
                x = f;
            } else {
                break;
            }
        }
        update[i] = x;
    }

    // Current node is the last with score < or <= min. Delete nodes while
    // in range.
    zsl_delete_run(zsl, &update, dict, |n| zsl_lex_value_lte_max(&n.ele, range))
}

/// Delete all the elements with rank between start and end from the
/// skiplist. Start and end are inclusive. Note that start and end need to
/// be 1-based
///
/// C: t_zset.c zslDeleteRangeByRank()
pub fn zsl_delete_range_by_rank(
    zsl: &mut Zskiplist,
    start: u32,
    end: u32,
    dict: &mut Dict<ZsetSds, f64>,
) -> u64 {
    let mut update = [ZSL_HEADER; ZSKIPLIST_MAXLEVEL];
    let mut traversed: u64 = 0;
    let mut x = ZSL_HEADER;
    for i in (0..zsl.level).rev() {
        loop {
            let f = zsl.fwd(x, i);
            if f != ZSL_NULL
                && traversed + (zsl.lv(x, i).span as u64) < start as u64
            {
                traversed += zsl.lv(x, i).span as u64;
                x = f;
            } else {
                break;
            }
        }
        update[i] = x;
    }

    traversed += 1;
    zsl_delete_run(zsl, &update, dict, |_| {
        let go = traversed <= end as u64;
        traversed += 1;
        go
    })
}

/// Find the rank for an element by both score and key. Returns 0 when the
/// element cannot be found, rank otherwise. Note that the rank is 1-based
/// due to the span of zsl->header to the first element.
///
/// C: t_zset.c zslGetRank()
pub fn zsl_get_rank(zsl: &Zskiplist, score: f64, ele: &[u8]) -> u64 {
    let mut rank: u64 = 0;
    let mut x = ZSL_HEADER;
    for i in (0..zsl.level).rev() {
        loop {
            let f = zsl.fwd(x, i);
            if f != ZSL_NULL && {
                let n = &zsl.nodes[f as usize];
                n.score < score || (n.score == score && &n.ele[..] <= ele)
            } {
                rank += zsl.lv(x, i).span as u64;
                x = f;
            } else {
                break;
            }
        }
        // x might be equal to zsl->header, so test it is a node. (The
        // header's empty member would otherwise match the empty member.)
        if x != ZSL_HEADER && &zsl.nodes[x as usize].ele[..] == ele {
            return rank;
        }
    }
    0
}

/// Finds an element by its rank. The rank argument needs to be 1-based.
/// Returns ZSL_NULL if there is no such rank.
///
/// C: t_zset.c zslGetElementByRank()
pub fn zsl_get_element_by_rank(zsl: &Zskiplist, rank: u64) -> NodeId {
    let mut traversed: u64 = 0;
    let mut x = ZSL_HEADER;
    for i in (0..zsl.level).rev() {
        loop {
            let f = zsl.fwd(x, i);
            if f != ZSL_NULL && traversed + (zsl.lv(x, i).span as u64) <= rank {
                traversed += zsl.lv(x, i).span as u64;
                x = f;
            } else {
                break;
            }
        }
        if traversed == rank {
            return x;
        }
    }
    ZSL_NULL
}

/// One bound of a score range, after the optional '(': C's strtod() with
/// the check that it consumed the whole C string (up to the first NUL) and
/// did not give NaN. No leading-space or ERANGE checks, as in C: " 1" and
/// "1e400" are valid bounds, and so is the empty string (0). (no C twin)
fn zsl_parse_range_bound(s: &[u8]) -> Option<f64> {
    let s = &s[..s.iter().position(|&b| b == 0).unwrap_or(s.len())];
    let r = strtod(s);
    if r.consumed != s.len() || r.value.is_nan() {
        return None;
    }
    Some(r.value)
}

/// Populate the rangespec according to the objects min and max. If one of
/// the values is prefixed by the "(" character, it's considered "open".
/// For instance ZRANGEBYSCORE zset (1.5 (2.5 will match min < x < max;
/// ZRANGEBYSCORE zset 1.5 2.5 will instead match min <= x <= max.
///
/// C's INT-encoded branch does not apply: arguments are never INT-encoded
/// when commands read them.
///
/// C: t_zset.c zslParseRange()
pub fn zsl_parse_range(min: &[u8], max: &[u8]) -> CResult<ZRangeSpec> {
    let mut spec =
        ZRangeSpec { min: 0.0, max: 0.0, minex: false, maxex: false };
    if min.first() == Some(&b'(') {
        spec.min = zsl_parse_range_bound(&min[1..]).ok_or(CErr)?;
        spec.minex = true;
    } else {
        spec.min = zsl_parse_range_bound(min).ok_or(CErr)?;
    }
    if max.first() == Some(&b'(') {
        spec.max = zsl_parse_range_bound(&max[1..]).ok_or(CErr)?;
        spec.maxex = true;
    } else {
        spec.max = zsl_parse_range_bound(max).ok_or(CErr)?;
    }
    Ok(spec)
}

// ------------------------ Lexicographic ranges ----------------------------

/// Parse max or min argument of ZRANGEBYLEX.
///  (foo means foo (open interval)
///  [foo means foo (closed interval)
///  - means the min string possible
///  + means the max string possible
///
/// If the string is valid, returns the item and whether it is exclusive;
/// otherwise `Err`.
///
/// C: t_zset.c zslParseLexRangeItem()
pub fn zsl_parse_lex_range_item(item: &[u8]) -> CResult<(LexItem, bool)> {
    // C tests c[1] != '\0' on a NUL-terminated sds: a lone '+' (or one
    // followed by a NUL byte) is the max.
    let alone = item.get(1).is_none_or(|&b| b == 0);
    match item.first() {
        Some(b'+') if alone => Ok((LexItem::Max, true)),
        Some(b'-') if alone => Ok((LexItem::Min, true)),
        Some(b'(') => Ok((LexItem::Str(item[1..].to_vec()), true)),
        Some(b'[') => Ok((LexItem::Str(item[1..].to_vec()), false)),
        _ => Err(CErr),
    }
}

// C: t_zset.c zslFreeLexRange() is Drop: the items own their strings.

/// Populate the lex rangespec according to the objects min and max.
/// (C's INT-encoded check does not apply: see zsl_parse_range.)
///
/// C: t_zset.c zslParseLexRange()
pub fn zsl_parse_lex_range(min: &[u8], max: &[u8]) -> CResult<ZLexRangeSpec> {
    let (min, minex) = zsl_parse_lex_range_item(min)?;
    let (max, maxex) = zsl_parse_lex_range_item(max)?;
    Ok(ZLexRangeSpec { min, max, minex, maxex })
}

/// This is just a wrapper to sdscmp() that is able to handle
/// shared.minstring and shared.maxstring as the equivalent of -inf and
/// +inf for strings.
///
/// C: t_zset.c sdscmplex()
pub fn sdscmplex(a: Lex<'_>, b: Lex<'_>) -> i32 {
    // C compares pointers first: the same shared string is equal to itself.
    if matches!((a, b), (Lex::Min, Lex::Min) | (Lex::Max, Lex::Max)) {
        return 0;
    }
    if a == Lex::Min || b == Lex::Max {
        return -1;
    }
    if a == Lex::Max || b == Lex::Min {
        return 1;
    }
    match (a, b) {
        (Lex::Str(a), Lex::Str(b)) => match a.cmp(b) {
            std::cmp::Ordering::Less => -1,
            std::cmp::Ordering::Equal => 0,
            std::cmp::Ordering::Greater => 1,
        },
        _ => unreachable!("shared strings handled above"),
    }
}

/// C: t_zset.c zslLexValueGteMin()
pub fn zsl_lex_value_gte_min(value: &[u8], spec: &ZLexRangeSpec) -> bool {
    let cmp = sdscmplex(Lex::Str(value), spec.min.lex());
    if spec.minex {
        cmp > 0
    } else {
        cmp >= 0
    }
}

/// C: t_zset.c zslLexValueLteMax()
pub fn zsl_lex_value_lte_max(value: &[u8], spec: &ZLexRangeSpec) -> bool {
    let cmp = sdscmplex(Lex::Str(value), spec.max.lex());
    if spec.maxex {
        cmp < 0
    } else {
        cmp <= 0
    }
}

/// Whether a lex range can never match anything: min after max, or equal
/// with an exclusive end. (no C twin: the first test of zslIsInLexRange and
/// zzlIsInLexRange)
fn zsl_lex_range_is_empty(range: &ZLexRangeSpec) -> bool {
    let cmp = sdscmplex(range.min.lex(), range.max.lex());
    cmp > 0 || (cmp == 0 && (range.minex || range.maxex))
}

/// Returns if there is a part of the zset is in the lex range.
///
/// C: t_zset.c zslIsInLexRange()
pub fn zsl_is_in_lex_range(zsl: &Zskiplist, range: &ZLexRangeSpec) -> bool {
    // Test for ranges that will always be empty.
    if zsl_lex_range_is_empty(range) {
        return false;
    }
    let x = zsl.tail;
    if x == ZSL_NULL
        || !zsl_lex_value_gte_min(&zsl.nodes[x as usize].ele, range)
    {
        return false;
    }
    let x = zsl.first();
    if x == ZSL_NULL
        || !zsl_lex_value_lte_max(&zsl.nodes[x as usize].ele, range)
    {
        return false;
    }
    true
}

/// Find the first node that is contained in the specified lex range.
/// Returns ZSL_NULL when no element is contained in the range.
///
/// C: t_zset.c zslFirstInLexRange()
pub fn zsl_first_in_lex_range(
    zsl: &Zskiplist,
    range: &ZLexRangeSpec,
) -> NodeId {
    // If everything is out of range, return early.
    if !zsl_is_in_lex_range(zsl, range) {
        return ZSL_NULL;
    }
    let mut x = ZSL_HEADER;
    for i in (0..zsl.level).rev() {
        // Go forward while *OUT* of range.
        loop {
            let f = zsl.fwd(x, i);
            if f != ZSL_NULL
                && !zsl_lex_value_gte_min(&zsl.nodes[f as usize].ele, range)
            {
                x = f;
            } else {
                break;
            }
        }
    }
    // This is an inner range, so the next node cannot be NULL.
    let x = zsl.fwd(x, 0);
    assert!(x != ZSL_NULL, "zslFirstInLexRange: inner range ended");
    // Check if score <= max.
    if !zsl_lex_value_lte_max(&zsl.nodes[x as usize].ele, range) {
        return ZSL_NULL;
    }
    x
}

/// Find the last node that is contained in the specified range. Returns
/// ZSL_NULL when no element is contained in the range.
///
/// C: t_zset.c zslLastInLexRange()
pub fn zsl_last_in_lex_range(zsl: &Zskiplist, range: &ZLexRangeSpec) -> NodeId {
    // If everything is out of range, return early.
    if !zsl_is_in_lex_range(zsl, range) {
        return ZSL_NULL;
    }
    let mut x = ZSL_HEADER;
    for i in (0..zsl.level).rev() {
        // Go forward while *IN* range.
        loop {
            let f = zsl.fwd(x, i);
            if f != ZSL_NULL
                && zsl_lex_value_lte_max(&zsl.nodes[f as usize].ele, range)
            {
                x = f;
            } else {
                break;
            }
        }
    }
    // This is an inner range, so this node cannot be NULL.
    assert!(x != ZSL_HEADER, "zslLastInLexRange: inner range ended");
    // Check if score >= min.
    if !zsl_lex_value_gte_min(&zsl.nodes[x as usize].ele, range) {
        return ZSL_NULL;
    }
    x
}

// -----------------------------------------------------------------------------
// Ziplist-backed sorted set API
// -----------------------------------------------------------------------------

/// Appends `v` as LEB128: 7 bits per byte, low bits first, high bit set
/// when more bytes follow. (no C twin: our entry format)
fn zzl_varint_put(out: &mut Vec<u8>, mut v: u64) {
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
fn zzl_encode(out: &mut Vec<u8>, ele: &[u8], score: f64) {
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
struct ZzlEntry<'a> {
    ele: &'a [u8],
    score: f64,
    end: usize,
}

/// Decodes the entry that starts at `p`. (no C twin)
fn zzl_decode(zl: &[u8], p: usize) -> ZzlEntry<'_> {
    let (mlen, q) = zzl_varint_get(zl, p);
    let q2 = q + mlen as usize;
    let (score, r) = zzl_score_get(zl, q2);
    let end = r + zzl_varint_len((r - p) as u64);
    ZzlEntry { ele: &zl[q..q2], score, end }
}

/// The start of the entry that ends at `end`; `end` must not be 0. (no C
/// twin: ziplistPrev() for our format)
fn zzl_prev_offset(zl: &[u8], end: usize) -> usize {
    let (content, n) = zzl_backlen_get(zl, end);
    end - n - content as usize
}

/// The number of pairs and the offset of the first entry: the header.
/// (no C twin: ziplist.h's ZIPLIST_LENGTH and ZIPLIST_ENTRY_HEAD)
fn zzl_header(zl: &[u8]) -> (usize, usize) {
    if zl.is_empty() {
        return (0, 0);
    }
    let (count, head) = zzl_varint_get(zl, 0);
    (count as usize, head)
}

/// C's ziplistIndex() over pairs: the `index`-th entry from the head, or
/// for negative indices from the tail (-1 is the last). (no C twin)
fn zzl_index(zl: &ZsetZiplist, index: i64) -> Option<usize> {
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
pub fn zzl_safe_to_add(zl: Option<&ZsetZiplist>, add: usize) -> bool {
    // C: ziplist.h SIZE_SAFETY_LIMIT
    const SIZE_SAFETY_LIMIT: usize = 1 << 30;
    let len = zl.map_or(0, |zl| zl.zl.len());
    len + add <= SIZE_SAFETY_LIMIT
}

/// The score of the entry at `eptr` (C takes the score entry `sptr`; ours
/// sit in the same entry).
///
/// C: t_zset.c zzlGetScore()
pub fn zzl_get_score(zl: &ZsetZiplist, eptr: usize) -> f64 {
    zzl_decode(&zl.zl, eptr).score
}

/// Return a ziplist element as an owned string.
///
/// C: t_zset.c ziplistGetObject()
pub fn ziplist_get_object(zl: &ZsetZiplist, eptr: usize) -> Vec<u8> {
    zzl_decode(&zl.zl, eptr).ele.to_vec()
}

/// Compare element in sorted set with given element: <0, 0 or >0 as the
/// stored one sorts before, equal to or after `cstr`.
///
/// C: t_zset.c zzlCompareElements()
pub fn zzl_compare_elements(zl: &ZsetZiplist, eptr: usize, cstr: &[u8]) -> i32 {
    match zzl_decode(&zl.zl, eptr).ele.cmp(cstr) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    }
}

/// C: t_zset.c zzlLength()
pub fn zzl_length(zl: &ZsetZiplist) -> usize {
    zzl_header(&zl.zl).0
}

/// Move to next entry: `None` when there is no next entry.
///
/// C: t_zset.c zzlNext()
pub fn zzl_next(zl: &ZsetZiplist, eptr: usize) -> Option<usize> {
    let end = zzl_decode(&zl.zl, eptr).end;
    (end < zl.zl.len()).then_some(end)
}

/// Move to the previous entry: `None` when there is no previous entry.
///
/// C: t_zset.c zzlPrev()
pub fn zzl_prev(zl: &ZsetZiplist, eptr: usize) -> Option<usize> {
    (eptr > zzl_header(&zl.zl).1).then(|| zzl_prev_offset(&zl.zl, eptr))
}

/// Returns if there is a part of the zset is in range. Should only be used
/// internally by zzlFirstInRange and zzlLastInRange.
///
/// C: t_zset.c zzlIsInRange()
pub fn zzl_is_in_range(zl: &ZsetZiplist, range: &ZRangeSpec) -> bool {
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
pub fn zzl_first_in_range(
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
pub fn zzl_last_in_range(
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
pub fn zzl_lex_value_gte_min(
    zl: &ZsetZiplist,
    p: usize,
    spec: &ZLexRangeSpec,
) -> bool {
    // C copies the element into a new sds first; it is borrowed here.
    zsl_lex_value_gte_min(zzl_decode(&zl.zl, p).ele, spec)
}

/// C: t_zset.c zzlLexValueLteMax()
pub fn zzl_lex_value_lte_max(
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
pub fn zzl_is_in_lex_range(zl: &ZsetZiplist, range: &ZLexRangeSpec) -> bool {
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
pub fn zzl_first_in_lex_range(
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
pub fn zzl_last_in_lex_range(
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
pub fn zzl_find(zl: &ZsetZiplist, ele: &[u8]) -> Option<(usize, f64)> {
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
pub fn zzl_delete(zl: &mut ZsetZiplist, eptr: usize) {
    let end = zzl_decode(&zl.zl, eptr).end;
    zzl_splice(zl, eptr, end, &[], -1);
}

/// Inserts (element, score) before the entry at `eptr`, or at the tail
/// when `eptr` is `None`.
///
/// C: t_zset.c zzlInsertAt()
pub fn zzl_insert_at(
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
pub fn zzl_insert(zl: &mut ZsetZiplist, ele: &[u8], score: f64) {
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
pub fn zzl_delete_range_by_score(
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
pub fn zzl_delete_range_by_lex(
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
pub fn zzl_delete_range_by_rank(
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

// -----------------------------------------------------------------------------
// Common sorted set API
// -----------------------------------------------------------------------------

/// server.zset_max_ziplist_entries and server.zset_max_ziplist_value. C's
/// zsetAdd() and zsetConvertToZiplistIfNeeded() read them from the server
/// global; here the value they change is borrowed from the server's
/// keyspace at that moment, so callers read the limits first and pass them
/// in. (no C twin)
#[derive(Debug, Clone, Copy)]
pub struct ZsetLimits {
    pub entries: usize,
    pub value: usize,
}

impl ZsetLimits {
    /// The limits currently configured.
    pub fn of(server: &RedisServer) -> ZsetLimits {
        ZsetLimits {
            entries: server.zset_max_ziplist_entries,
            value: server.zset_max_ziplist_value,
        }
    }
}

/// The number of elements of a sorted set value.
///
/// C: t_zset.c zsetLength()
pub fn zset_length(zobj: &RObj) -> usize {
    zset_ref(zobj).len()
}

/// Converts the sorted set to `encoding` (OBJ_ENCODING_SKIPLIST or
/// OBJ_ENCODING_ZIPLIST), if it is not encoded so already.
///
/// C: t_zset.c zsetConvert()
pub fn zset_convert(zobj: &mut RObj, encoding: u8) {
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
pub fn zset_convert_to_ziplist_if_needed(
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
pub fn zset_score(zobj: &RObj, member: &[u8]) -> Option<f64> {
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
pub fn zset_add(
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
pub fn zset_del(zobj: &mut RObj, ele: &[u8]) -> bool {
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
pub fn zset_rank(zobj: &RObj, ele: &[u8], reverse: bool) -> i64 {
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

// -----------------------------------------------------------------------------
// Sorted set commands
// -----------------------------------------------------------------------------

/// Argument `i` read as a long, replying the standard error when it is not
/// one; argv is left as it was. (no C twin: C passes `c->argv[i]` to
/// getLongFromObjectOrReply, which borrows both)
fn arg_long_or_reply(c: &mut Client, i: usize) -> Option<i64> {
    let arg = std::mem::take(&mut c.argv[i]);
    let r = get_long_from_object_or_reply(c, &arg, None);
    c.argv[i] = arg;
    r
}

/// Argument `i` read as a double, replying `msg` (or the standard error)
/// when it is not one. (no C twin: see arg_long_or_reply)
fn arg_double_or_reply(
    c: &mut Client,
    i: usize,
    msg: Option<&str>,
) -> Option<f64> {
    let arg = std::mem::take(&mut c.argv[i]);
    let r = get_double_from_object_or_reply(c, &arg, msg);
    c.argv[i] = arg;
    r
}

/// The value of `key`, which the caller has just looked up (with its
/// expiry and access-time side effects) and found. (no C twin: C keeps the
/// pointer it got; a Rust borrow of the keyspace cannot outlive a db_add
/// or a reply in between)
fn zobj_mut<'a>(
    server: &'a mut RedisServer,
    dbid: usize,
    key: &[u8],
) -> &'a mut RObj {
    server.db[dbid]
        .dict
        .find_mut(key)
        .expect("the key was looked up just before")
}

/// This generic command implements both ZADD and ZINCRBY.
///
/// C: t_zset.c zaddGenericCommand()
pub fn zadd_generic_command(
    server: &mut RedisServer,
    c: &mut Client,
    mut flags: i32,
) {
    const NANERR: &str = "resulting score is not a number (NaN)";
    let argc = c.argv.len();
    let mut score = 0.0;
    // The following vars are used in order to track what the command
    // actually did during the execution, to reply to the client and to
    // trigger the notification of keyspace change.
    let mut added: i64 = 0; // Number of new elements added.
    let mut updated: i64 = 0; // Number of elements with updated score.
    let mut processed: i64 = 0; // Number of elements processed, may remain zero with options like XX.

    // Parse options. At the end 'scoreidx' is set to the argument position
    // of the score of the first score-element pair.
    let mut scoreidx = 2;
    while scoreidx < argc {
        let opt = &c.argv[scoreidx];
        if opt.eq_ignore_ascii_case(b"nx") {
            flags |= ZADD_NX;
        } else if opt.eq_ignore_ascii_case(b"xx") {
            flags |= ZADD_XX;
        } else if opt.eq_ignore_ascii_case(b"ch") {
            flags |= ZADD_CH;
        } else if opt.eq_ignore_ascii_case(b"incr") {
            flags |= ZADD_INCR;
        } else {
            break;
        }
        scoreidx += 1;
    }

    // Turn options into simple to check vars.
    let incr = flags & ZADD_INCR != 0;
    let nx = flags & ZADD_NX != 0;
    let xx = flags & ZADD_XX != 0;
    let ch = flags & ZADD_CH != 0;

    // After the options, we expect to have an even number of args, since
    // we expect any number of score-element pairs.
    let mut elements = argc - scoreidx;
    if !elements.is_multiple_of(2) || elements == 0 {
        add_reply(c, SYNTAXERR);
        return;
    }
    elements /= 2; // Now this holds the number of score-element pairs.

    // Check for incompatible options.
    if nx && xx {
        add_reply_error(
            c,
            "XX and NX options at the same time are not compatible",
        );
        return;
    }
    if incr && elements > 1 {
        add_reply_error(
            c,
            "INCR option supports a single increment-element pair",
        );
        return;
    }

    // Start parsing all the scores, we need to emit any syntax error before
    // executing additions to the sorted set, as the command should either
    // execute fully or nothing at all.
    let mut scores = Vec::with_capacity(elements);
    for j in 0..elements {
        let Some(s) = arg_double_or_reply(c, scoreidx + j * 2, None) else {
            return;
        };
        scores.push(s);
    }

    let dbid = c.db;
    let key = std::mem::take(&mut c.argv[1]);
    let limits = ZsetLimits::of(server);
    'cleanup: {
        'reply_to_client: {
            // Lookup the key and create the sorted set if does not exist.
            match lookup_key_write(server, dbid, &key).map(|o| o.obj_type()) {
                None => {
                    if xx {
                        break 'reply_to_client; // No key + XX option: nothing to do.
                    }
                    let lru = server.lruclock;
                    let zobj = if limits.entries == 0
                        || limits.value < c.argv[scoreidx + 1].len()
                    {
                        create_zset_object(lru)
                    } else {
                        create_zset_ziplist_object(lru)
                    };
                    db_add(server, dbid, &key, zobj);
                }
                Some(t) => {
                    if t != OBJ_ZSET {
                        add_reply(c, WRONGTYPEERR);
                        break 'cleanup;
                    }
                }
            }
            let zobj = zobj_mut(server, dbid, &key);

            for (j, &s) in scores.iter().enumerate() {
                let mut newscore = 0.0;
                score = s;
                let mut retflags = flags;

                let ele = &c.argv[scoreidx + 1 + j * 2];
                if !zset_add(
                    zobj,
                    score,
                    ele,
                    &mut retflags,
                    &mut newscore,
                    limits,
                ) {
                    add_reply_error(c, NANERR);
                    break 'cleanup;
                }
                if retflags & ZADD_ADDED != 0 {
                    added += 1;
                }
                if retflags & ZADD_UPDATED != 0 {
                    updated += 1;
                }
                if retflags & ZADD_NOP == 0 {
                    processed += 1;
                }
                score = newscore;
            }
            server.dirty += added + updated;
        }

        // reply_to_client:
        if incr {
            // ZINCRBY or INCR option.
            if processed != 0 {
                add_reply_double(c, score);
            } else {
                add_reply(c, NULLBULK);
            }
        } else {
            // ZADD.
            add_reply_long_long(c, if ch { added + updated } else { added });
        }
    }

    // cleanup:
    if added != 0 || updated != 0 {
        signal_modified_key(server, dbid, &key);
        notify_keyspace_event(
            server,
            NOTIFY_ZSET,
            if incr { "zincr" } else { "zadd" },
            &key,
            dbid as i32,
        );
    }
    c.argv[1] = key;
}

/// ZADD key [NX|XX] [CH] [INCR] score member [score member ...]
///
/// C: t_zset.c zaddCommand()
pub fn zadd_command(server: &mut RedisServer, c: &mut Client) {
    zadd_generic_command(server, c, ZADD_NONE);
}

/// ZINCRBY key increment member
///
/// C: t_zset.c zincrbyCommand()
pub fn zincrby_command(server: &mut RedisServer, c: &mut Client) {
    zadd_generic_command(server, c, ZADD_INCR);
}

/// ZREM key member [member ...]
///
/// C: t_zset.c zremCommand()
pub fn zrem_command(server: &mut RedisServer, c: &mut Client) {
    let dbid = c.db;
    let key = std::mem::take(&mut c.argv[1]);
    'done: {
        let Some(zobj) = lookup_key_write_or_reply(server, c, &key, CZERO)
        else {
            break 'done;
        };
        if check_type(c, zobj, OBJ_ZSET) {
            break 'done;
        }
        let mut deleted: i64 = 0;
        let mut keyremoved = false;
        for j in 2..c.argv.len() {
            if zset_del(zobj, &c.argv[j]) {
                deleted += 1;
            }
            if zset_length(zobj) == 0 {
                keyremoved = true;
                break;
            }
        }
        if keyremoved {
            db_delete(server, dbid, &key);
        }

        if deleted != 0 {
            notify_keyspace_event(
                server,
                NOTIFY_ZSET,
                "zrem",
                &key,
                dbid as i32,
            );
            if keyremoved {
                notify_keyspace_event(
                    server,
                    NOTIFY_GENERIC,
                    "del",
                    &key,
                    dbid as i32,
                );
            }
            signal_modified_key(server, dbid, &key);
            server.dirty += deleted;
        }
        add_reply_long_long(c, deleted);
    }
    c.argv[1] = key;
}

/// The kinds of range of zremrangeGenericCommand().
pub const ZRANGE_RANK: i32 = 0;
pub const ZRANGE_SCORE: i32 = 1;
pub const ZRANGE_LEX: i32 = 2;

/// A parsed range of one of the three kinds. (no C twin: C keeps three
/// variables of which one is set)
enum ZRemRange {
    Rank(i64, i64),
    Score(ZRangeSpec),
    Lex(ZLexRangeSpec),
}

/// Implements ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX commands.
///
/// C: t_zset.c zremrangeGenericCommand()
pub fn zremrange_generic_command(
    server: &mut RedisServer,
    c: &mut Client,
    rangetype: i32,
) {
    // Step 1: Parse the range.
    let range = match rangetype {
        ZRANGE_RANK => {
            let Some(start) = arg_long_or_reply(c, 2) else {
                return;
            };
            let Some(end) = arg_long_or_reply(c, 3) else {
                return;
            };
            ZRemRange::Rank(start, end)
        }
        ZRANGE_SCORE => match zsl_parse_range(&c.argv[2], &c.argv[3]) {
            Ok(r) => ZRemRange::Score(r),
            Err(_) => {
                add_reply_error(c, "min or max is not a float");
                return;
            }
        },
        _ => match zsl_parse_lex_range(&c.argv[2], &c.argv[3]) {
            Ok(r) => ZRemRange::Lex(r),
            Err(_) => {
                add_reply_error(c, "min or max not valid string range item");
                return;
            }
        },
    };

    // Step 2: Lookup & range sanity checks if needed.
    let dbid = c.db;
    let key = std::mem::take(&mut c.argv[1]);
    'cleanup: {
        let Some(zobj) = lookup_key_write_or_reply(server, c, &key, CZERO)
        else {
            break 'cleanup;
        };
        if check_type(c, zobj, OBJ_ZSET) {
            break 'cleanup;
        }

        let (mut start, mut end) = (0i64, 0i64);
        if let ZRemRange::Rank(s, e) = range {
            // Sanitize indexes.
            (start, end) = (s, e);
            let llen = zset_length(zobj) as i64;
            if start < 0 {
                start += llen;
            }
            if end < 0 {
                end += llen;
            }
            if start < 0 {
                start = 0;
            }
            // Invariant: start >= 0, so this test will be true when end < 0.
            // The range is empty when start > end or start >= length.
            if start > end || start >= llen {
                add_reply(c, CZERO);
                break 'cleanup;
            }
            if end >= llen {
                end = llen - 1;
            }
        }

        // Step 3: Perform the range deletion operation.
        let (deleted, keyremoved) = match zset_mut(zobj) {
            ZSet::Ziplist(zl) => {
                let deleted = match &range {
                    ZRemRange::Rank(..) => zzl_delete_range_by_rank(
                        zl,
                        start as u32 + 1,
                        end as u32 + 1,
                    ),
                    ZRemRange::Score(r) => zzl_delete_range_by_score(zl, r),
                    ZRemRange::Lex(r) => zzl_delete_range_by_lex(zl, r),
                };
                (deleted, zzl_length(zl) == 0)
            }
            ZSet::Skiplist(zs) => {
                let zs = &mut **zs;
                let deleted = match &range {
                    ZRemRange::Rank(..) => zsl_delete_range_by_rank(
                        &mut zs.zsl,
                        start as u32 + 1,
                        end as u32 + 1,
                        &mut zs.dict,
                    ),
                    ZRemRange::Score(r) => {
                        zsl_delete_range_by_score(&mut zs.zsl, r, &mut zs.dict)
                    }
                    ZRemRange::Lex(r) => {
                        zsl_delete_range_by_lex(&mut zs.zsl, r, &mut zs.dict)
                    }
                };
                if zs.dict.ht_needs_resize() {
                    let _ = zs.dict.dict_resize();
                }
                (deleted, zs.dict.dict_size() == 0)
            }
        };
        if keyremoved {
            db_delete(server, dbid, &key);
        }

        // Step 4: Notifications and reply.
        if deleted != 0 {
            const EVENT: [&str; 3] =
                ["zremrangebyrank", "zremrangebyscore", "zremrangebylex"];
            signal_modified_key(server, dbid, &key);
            notify_keyspace_event(
                server,
                NOTIFY_ZSET,
                EVENT[rangetype as usize],
                &key,
                dbid as i32,
            );
            if keyremoved {
                notify_keyspace_event(
                    server,
                    NOTIFY_GENERIC,
                    "del",
                    &key,
                    dbid as i32,
                );
            }
        }
        server.dirty += deleted as i64;
        add_reply_long_long(c, deleted as i64);
    }
    // cleanup: (C frees the lex range here; ours is dropped.)
    c.argv[1] = key;
}

/// ZREMRANGEBYRANK key start stop
///
/// C: t_zset.c zremrangebyrankCommand()
pub fn zremrangebyrank_command(server: &mut RedisServer, c: &mut Client) {
    zremrange_generic_command(server, c, ZRANGE_RANK);
}

/// ZREMRANGEBYSCORE key min max
///
/// C: t_zset.c zremrangebyscoreCommand()
pub fn zremrangebyscore_command(server: &mut RedisServer, c: &mut Client) {
    zremrange_generic_command(server, c, ZRANGE_SCORE);
}

/// ZREMRANGEBYLEX key min max
///
/// C: t_zset.c zremrangebylexCommand()
pub fn zremrangebylex_command(server: &mut RedisServer, c: &mut Client) {
    zremrange_generic_command(server, c, ZRANGE_LEX);
}

// ------------------- ZUNIONSTORE / ZINTERSTORE: the inputs -------------------
//
// C's zsetopsrc/zsetopval carry an iterator per encoding and a value that
// may be an sds, a ziplist string or a long long, with flags saying which
// conversions were made and must be freed. Here the value is a
// `Cow<[u8]>`: borrowed from the input when it holds bytes, owned when an
// intset integer had to be printed. That covers these conversions, and
// the iterator's Drop clears it:
// C: t_zset.c zuiLongLongFromValue()
// C: t_zset.c zuiSdsFromValue()
// C: t_zset.c zuiNewSdsFromValue()
// C: t_zset.c zuiBufferFromValue()
// C: t_zset.c zuiClearIterator()

/// One input of ZUNIONSTORE/ZINTERSTORE: a sorted set or a set (every
/// member of a set has score 1), or nothing for a missing key, with its
/// weight.
///
/// C: t_zset.c zsetopsrc
struct ZsetOpSrc<'a> {
    subject: Option<&'a RObj>,
    weight: f64,
}

/// The iterator over one input. (C: zsetopsrc's iter union)
enum ZuiIter<'a> {
    Empty,
    Zset(ZSetIter<'a>),
    Set(Box<dyn Iterator<Item = Cow<'a, [u8]>> + 'a>),
}

/// Starts iterating an input.
///
/// C: t_zset.c zuiInitIterator()
fn zui_init_iterator<'a>(op: &ZsetOpSrc<'a>) -> ZuiIter<'a> {
    match op.subject {
        None => ZuiIter::Empty,
        Some(o) => match &o.ptr {
            Value::ZSet(z) => ZuiIter::Zset(z.iter()),
            Value::Set(_) => ZuiIter::Set(zui_set_members(o)),
            _ => unreachable!("Unsupported type"),
        },
    }
}

/// The number of elements of an input (0 for a missing key).
///
/// C: t_zset.c zuiLength()
fn zui_length(op: &ZsetOpSrc<'_>) -> usize {
    match op.subject {
        None => 0,
        Some(o) => match &o.ptr {
            Value::ZSet(z) => z.len(),
            Value::Set(_) => zui_set_length(o),
            _ => unreachable!("Unsupported type"),
        },
    }
}

/// The next element of an input and its score, or `None` at the end.
///
/// C: t_zset.c zuiNext()
fn zui_next<'a>(it: &mut ZuiIter<'a>) -> Option<(Cow<'a, [u8]>, f64)> {
    match it {
        ZuiIter::Empty => None,
        ZuiIter::Zset(i) => {
            i.next().map(|(ele, score)| (Cow::Borrowed(ele), score))
        }
        ZuiIter::Set(i) => i.next().map(|ele| (ele, 1.0)),
    }
}

/// Find `ele` in the input: its score when found.
///
/// C: t_zset.c zuiFind()
fn zui_find(op: &ZsetOpSrc<'_>, ele: &[u8]) -> Option<f64> {
    let o = op.subject?;
    match &o.ptr {
        Value::ZSet(_) => zset_score(o, ele),
        Value::Set(_) => zui_set_contains(o, ele).then_some(1.0),
        _ => unreachable!("Unsupported type"),
    }
}

/// Orders inputs from the smallest to the largest.
///
/// C: t_zset.c zuiCompareByCardinality()
fn zui_compare_by_cardinality(
    s1: &ZsetOpSrc<'_>,
    s2: &ZsetOpSrc<'_>,
) -> std::cmp::Ordering {
    zui_length(s1).cmp(&zui_length(s2))
}

/// How many members a set input has. (no C twin: setTypeSize() through
/// t_set.rs)
fn zui_set_length(o: &RObj) -> usize {
    crate::t_set::set_ref(o).len()
}

/// The members of a set input, intset integers printed as C's
/// zuiSdsFromValue() prints them. (no C twin: C walks the intset or the
/// dict itself)
fn zui_set_members(o: &RObj) -> Box<dyn Iterator<Item = Cow<'_, [u8]>> + '_> {
    Box::new(crate::t_set::set_ref(o).iter())
}

/// Whether a set input has `ele`. For an intset C first checks that `ele`
/// is an integer in canonical form (zuiLongLongFromValue); a set holding
/// the member's exact bytes is the same test. (no C twin)
fn zui_set_contains(o: &RObj, ele: &[u8]) -> bool {
    crate::t_set::set_ref(o).is_member(ele)
}

pub const REDIS_AGGR_SUM: i32 = 1;
pub const REDIS_AGGR_MIN: i32 = 2;
pub const REDIS_AGGR_MAX: i32 = 3;

/// SET_OP_UNION / SET_OP_INTER of server.h, as t_set.c uses them too.
pub const SET_OP_UNION: i32 = 0;
pub const SET_OP_INTER: i32 = 2;

/// Folds `val` into `target` as AGGREGATE says.
///
/// C: t_zset.c zunionInterAggregate()
#[inline]
fn zunion_inter_aggregate(target: &mut f64, val: f64, aggregate: i32) {
    if aggregate == REDIS_AGGR_SUM {
        *target += val;
        // The result of adding two doubles is NaN when one variable is
        // +inf and the other is -inf. When these numbers are added, we
        // maintain the convention of the result being 0.0.
        if target.is_nan() {
            *target = 0.0;
        }
    } else if aggregate == REDIS_AGGR_MIN {
        *target = if val < *target { val } else { *target };
    } else if aggregate == REDIS_AGGR_MAX {
        *target = if val > *target { val } else { *target };
    } else {
        // safety net
        unreachable!("Unknown ZUNION/INTER aggregate type");
    }
}

/// ZUNIONSTORE / ZINTERSTORE destination numkeys key [key ...]
/// [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]
///
/// C: t_zset.c zunionInterGenericCommand()
pub fn zunion_inter_generic_command(
    server: &mut RedisServer,
    c: &mut Client,
    op: i32,
) {
    let argc = c.argv.len();
    let mut aggregate = REDIS_AGGR_SUM;
    let mut maxelelen = 0usize;
    let mut totelelen = 0usize;
    let dbid = c.db;

    // expect setnum input keys to be given
    let Some(setnum) = arg_long_or_reply(c, 2) else {
        return;
    };
    if setnum < 1 {
        add_reply_error(
            c,
            "at least 1 input key is needed for ZUNIONSTORE/ZINTERSTORE",
        );
        return;
    }
    // test if the expected number of keys would overflow
    if setnum > argc as i64 - 3 {
        add_reply(c, SYNTAXERR);
        return;
    }
    let setnum = setnum as usize;

    // read keys to be used for input
    for j in 3..3 + setnum {
        if let Some(obj) = lookup_key_write(server, dbid, &c.argv[j]) {
            let t = obj.obj_type();
            if t != OBJ_ZSET && t != OBJ_SET {
                add_reply(c, WRONGTYPEERR);
                return;
            }
        }
    }
    // Default all weights to 1.
    let mut weights = vec![1.0f64; setnum];

    // parse optional extra arguments
    let mut j = 3 + setnum;
    if j < argc {
        let mut remaining = argc - j;
        while remaining > 0 {
            if remaining > setnum && c.argv[j].eq_ignore_ascii_case(b"weights")
            {
                j += 1;
                remaining -= 1;
                for w in weights.iter_mut() {
                    let Some(v) = arg_double_or_reply(
                        c,
                        j,
                        Some("weight value is not a float"),
                    ) else {
                        return;
                    };
                    *w = v;
                    j += 1;
                    remaining -= 1;
                }
            } else if remaining >= 2
                && c.argv[j].eq_ignore_ascii_case(b"aggregate")
            {
                j += 1;
                remaining -= 1;
                let a = &c.argv[j];
                if a.eq_ignore_ascii_case(b"sum") {
                    aggregate = REDIS_AGGR_SUM;
                } else if a.eq_ignore_ascii_case(b"min") {
                    aggregate = REDIS_AGGR_MIN;
                } else if a.eq_ignore_ascii_case(b"max") {
                    aggregate = REDIS_AGGR_MAX;
                } else {
                    add_reply(c, SYNTAXERR);
                    return;
                }
                j += 1;
                remaining -= 1;
            } else {
                add_reply(c, SYNTAXERR);
                return;
            }
        }
    }

    // The inputs, borrowed from the keyspace until the result is built.
    // The lookups above already expired what had to be.
    let keyspace = &server.db[dbid].dict;
    let mut src: Vec<ZsetOpSrc<'_>> = (0..setnum)
        .map(|i| ZsetOpSrc {
            subject: keyspace.find(&c.argv[3 + i]).map(|de| de.val()),
            weight: weights[i],
        })
        .collect();

    // sort sets from the smallest to largest, this will improve our
    // algorithm's performance
    src.sort_by(zui_compare_by_cardinality);

    let mut dstzset = ZsetSkiplist::new();

    if op == SET_OP_INTER {
        // Skip everything if the smallest input is empty.
        if zui_length(&src[0]) > 0 {
            // Precondition: as src[0] is non-empty and the inputs are
            // ordered by size, all src[i > 0] are non-empty too.
            let mut it = zui_init_iterator(&src[0]);
            while let Some((ele, zscore)) = zui_next(&mut it) {
                let mut score = src[0].weight * zscore;
                if score.is_nan() {
                    score = 0.0;
                }
                let mut j = 1;
                while j < setnum {
                    // It is not safe to access the zset we are iterating,
                    // so explicitly check for equal object. (Safe here,
                    // but the same key twice takes the same path as in C.)
                    if let (Some(a), Some(b)) = (src[j].subject, src[0].subject)
                    {
                        if std::ptr::eq(a, b) {
                            let value = zscore * src[j].weight;
                            zunion_inter_aggregate(
                                &mut score, value, aggregate,
                            );
                            j += 1;
                            continue;
                        }
                    }
                    match zui_find(&src[j], &ele) {
                        Some(value) => {
                            zunion_inter_aggregate(
                                &mut score,
                                value * src[j].weight,
                                aggregate,
                            );
                        }
                        None => break,
                    }
                    j += 1;
                }

                // Only continue when present in every input.
                if j == setnum {
                    let tmp: ZsetSds = ele.into_owned().into();
                    totelelen += tmp.len();
                    maxelelen = maxelelen.max(tmp.len());
                    zsl_insert(&mut dstzset.zsl, score, tmp.clone());
                    let _ = dstzset.dict.dict_add(tmp, score);
                }
            }
        }
    } else if op == SET_OP_UNION {
        let mut accumulator: Dict<ZsetSds, f64> = Dict::new();

        // Our union is at least as large as the largest set. Resize the
        // dictionary ASAP to avoid useless rehashing.
        let _ = accumulator.dict_expand(zui_length(&src[setnum - 1]));

        // Step 1: Create a dictionary of elements -> aggregated-scores by
        // iterating one sorted set after the other.
        for s in &src {
            if zui_length(s) == 0 {
                continue;
            }
            let mut it = zui_init_iterator(s);
            while let Some((ele, zscore)) = zui_next(&mut it) {
                // Initialize value
                let mut score = s.weight * zscore;
                if score.is_nan() {
                    score = 0.0;
                }
                // Search for this element in the accumulating dictionary.
                match accumulator.find_mut(&ele) {
                    // Update the score with the score of the new instance of
                    // the element found in the current sorted set.
                    Some(existing) => {
                        zunion_inter_aggregate(existing, score, aggregate)
                    }
                    // If we don't have it, we need to create a new entry.
                    None => {
                        // Remember the longest single element encountered, to
                        // understand if it's possible to convert to ziplist at
                        // the end.
                        totelelen += ele.len();
                        maxelelen = maxelelen.max(ele.len());
                        // Update the element with its initial score.
                        let _ = accumulator
                            .dict_add(ele.into_owned().into(), score);
                    }
                }
            }
        }

        // Step 2: convert the dictionary into the final sorted set. We now
        // are aware of the final size of the resulting sorted set, let's
        // resize the dictionary embedded inside the sorted set to the right
        // size, in order to save rehashing time.
        let _ = dstzset.dict.dict_expand(accumulator.dict_size());
        for de in accumulator.iter() {
            let (ele, score) = (de.key(), *de.val());
            zsl_insert(&mut dstzset.zsl, score, ele.clone());
            let _ = dstzset.dict.dict_add(ele.clone(), score);
        }
    } else {
        unreachable!("Unknown operator");
    }
    drop(src);

    let dstkey = std::mem::take(&mut c.argv[1]);
    let touched = db_delete(server, dbid, &dstkey);
    if dstzset.zsl.length != 0 {
        let mut dstobj = create_object(
            server.lruclock,
            OBJ_ENCODING_SKIPLIST,
            Value::ZSet(ZSet::Skiplist(Box::new(dstzset))),
        );
        zset_convert_to_ziplist_if_needed(
            &mut dstobj,
            maxelelen,
            totelelen,
            ZsetLimits::of(server),
        );
        let len = zset_length(&dstobj);
        db_add(server, dbid, &dstkey, dstobj);
        add_reply_long_long(c, len as i64);
        signal_modified_key(server, dbid, &dstkey);
        let event =
            if op == SET_OP_UNION { "zunionstore" } else { "zinterstore" };
        notify_keyspace_event(server, NOTIFY_ZSET, event, &dstkey, dbid as i32);
        server.dirty += 1;
    } else {
        add_reply(c, CZERO);
        if touched {
            signal_modified_key(server, dbid, &dstkey);
            notify_keyspace_event(
                server,
                NOTIFY_GENERIC,
                "del",
                &dstkey,
                dbid as i32,
            );
            server.dirty += 1;
        }
    }
    c.argv[1] = dstkey;
}

/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS ...] [AGGREGATE ...]
///
/// C: t_zset.c zunionstoreCommand()
pub fn zunionstore_command(server: &mut RedisServer, c: &mut Client) {
    zunion_inter_generic_command(server, c, SET_OP_UNION);
}

/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS ...] [AGGREGATE ...]
///
/// C: t_zset.c zinterstoreCommand()
pub fn zinterstore_command(server: &mut RedisServer, c: &mut Client) {
    zunion_inter_generic_command(server, c, SET_OP_INTER);
}

/// ZRANGE/ZREVRANGE key start stop [WITHSCORES]
///
/// C: t_zset.c zrangeGenericCommand()
pub fn zrange_generic_command(
    server: &mut RedisServer,
    c: &mut Client,
    reverse: bool,
) {
    let argc = c.argv.len();
    let mut withscores = false;

    let Some(mut start) = arg_long_or_reply(c, 2) else {
        return;
    };
    let Some(mut end) = arg_long_or_reply(c, 3) else {
        return;
    };

    if argc == 5 && c.argv[4].eq_ignore_ascii_case(b"withscores") {
        withscores = true;
    } else if argc >= 5 {
        add_reply(c, SYNTAXERR);
        return;
    }

    let key = std::mem::take(&mut c.argv[1]);
    'done: {
        let Some(zobj) =
            lookup_key_read_or_reply(server, c, &key, EMPTYMULTIBULK)
        else {
            break 'done;
        };
        if check_type(c, zobj, OBJ_ZSET) {
            break 'done;
        }

        // Sanitize indexes.
        let llen = zset_length(zobj) as i64;
        if start < 0 {
            start += llen;
        }
        if end < 0 {
            end += llen;
        }
        if start < 0 {
            start = 0;
        }

        // Invariant: start >= 0, so this test will be true when end < 0.
        // The range is empty when start > end or start >= length.
        if start > end || start >= llen {
            add_reply(c, EMPTYMULTIBULK);
            break 'done;
        }
        if end >= llen {
            end = llen - 1;
        }
        let mut rangelen = (end - start) + 1;

        // Return the result in form of a multi-bulk reply
        add_reply_multi_bulk_len(
            c,
            if withscores { rangelen * 2 } else { rangelen },
        );

        match zset_ref(zobj) {
            ZSet::Ziplist(zl) => {
                let mut eptr =
                    zzl_index(zl, if reverse { -1 - start } else { start });
                while rangelen > 0 {
                    rangelen -= 1;
                    let p = eptr
                        .expect("zrange: the ziplist ended inside the range");
                    let e = zzl_decode(&zl.zl, p);
                    add_reply_bulk_c_buffer(c, e.ele);
                    if withscores {
                        add_reply_double(c, e.score);
                    }
                    eptr =
                        if reverse { zzl_prev(zl, p) } else { zzl_next(zl, p) };
                }
            }
            ZSet::Skiplist(zs) => {
                let zsl = &zs.zsl;
                // Check if starting point is trivial, before doing log(N)
                // lookup.
                let mut ln = if reverse {
                    if start > 0 {
                        zsl_get_element_by_rank(zsl, (llen - start) as u64)
                    } else {
                        zsl.tail
                    }
                } else if start > 0 {
                    zsl_get_element_by_rank(zsl, (start + 1) as u64)
                } else {
                    zsl.first()
                };
                while rangelen > 0 {
                    rangelen -= 1;
                    assert!(
                        ln != ZSL_NULL,
                        "zrange: the skiplist ended inside the range"
                    );
                    let n = zsl.node(ln);
                    add_reply_bulk_c_buffer(c, &n.ele);
                    if withscores {
                        add_reply_double(c, n.score);
                    }
                    ln = if reverse { n.backward } else { n.level(0).forward };
                }
            }
        }
    }
    c.argv[1] = key;
}

/// ZRANGE key start stop [WITHSCORES]
///
/// C: t_zset.c zrangeCommand()
pub fn zrange_command(server: &mut RedisServer, c: &mut Client) {
    zrange_generic_command(server, c, false);
}

/// ZREVRANGE key start stop [WITHSCORES]
///
/// C: t_zset.c zrevrangeCommand()
pub fn zrevrange_command(server: &mut RedisServer, c: &mut Client) {
    zrange_generic_command(server, c, true);
}

/// C's `while (p && n--)`: false when `n` was 0 before the decrement;
/// `n` goes on decreasing (wrapping where C's signed long would be
/// undefined), so a negative count never stops the loop. (no C twin)
fn zset_post_decrement(n: &mut i64) -> bool {
    let was = *n;
    *n = n.wrapping_sub(1);
    was != 0
}

/// This command implements ZRANGEBYSCORE, ZREVRANGEBYSCORE.
///
/// C: t_zset.c genericZrangebyscoreCommand()
pub fn generic_zrangebyscore_command(
    server: &mut RedisServer,
    c: &mut Client,
    reverse: bool,
) {
    let argc = c.argv.len();
    let mut offset: i64 = 0;
    let mut limit: i64 = -1;
    let mut withscores = false;
    let mut rangelen: i64 = 0;

    // Parse the range arguments. Reversed, the range is given as [max,min].
    let (minidx, maxidx) = if reverse { (3, 2) } else { (2, 3) };
    let Ok(range) = zsl_parse_range(&c.argv[minidx], &c.argv[maxidx]) else {
        add_reply_error(c, "min or max is not a float");
        return;
    };

    // Parse optional extra arguments. Note that ZCOUNT will exactly have 4
    // arguments, so we'll never enter the following code path.
    if argc > 4 {
        let mut remaining = argc - 4;
        let mut pos = 4;
        while remaining > 0 {
            if remaining >= 1 && c.argv[pos].eq_ignore_ascii_case(b"withscores")
            {
                pos += 1;
                remaining -= 1;
                withscores = true;
            } else if remaining >= 3
                && c.argv[pos].eq_ignore_ascii_case(b"limit")
            {
                let Some(o) = arg_long_or_reply(c, pos + 1) else {
                    return;
                };
                let Some(l) = arg_long_or_reply(c, pos + 2) else {
                    return;
                };
                (offset, limit) = (o, l);
                pos += 3;
                remaining -= 3;
            } else {
                add_reply(c, SYNTAXERR);
                return;
            }
        }
    }

    // Ok, lookup the key and get the range
    let key = std::mem::take(&mut c.argv[1]);
    'done: {
        let Some(zobj) =
            lookup_key_read_or_reply(server, c, &key, EMPTYMULTIBULK)
        else {
            break 'done;
        };
        if check_type(c, zobj, OBJ_ZSET) {
            break 'done;
        }

        let replylen;
        match zset_ref(zobj) {
            ZSet::Ziplist(zl) => {
                // If reversed, get the last node in range as starting point.
                let mut eptr = if reverse {
                    zzl_last_in_range(zl, &range)
                } else {
                    zzl_first_in_range(zl, &range)
                };

                // No "first" element in the specified interval.
                if eptr.is_none() {
                    add_reply(c, EMPTYMULTIBULK);
                    break 'done;
                }

                // We don't know in advance how many matching elements there
                // are in the list, so we push this object that will
                // represent the multi-bulk length in the output buffer, and
                // will "fix" it later
                replylen = add_deferred_multi_bulk_length(c);

                // If there is an offset, just traverse the number of
                // elements without checking the score because that is done
                // in the next loop.
                while let Some(p) = eptr {
                    if !zset_post_decrement(&mut offset) {
                        break;
                    }
                    eptr =
                        if reverse { zzl_prev(zl, p) } else { zzl_next(zl, p) };
                }

                while let Some(p) = eptr {
                    if !zset_post_decrement(&mut limit) {
                        break;
                    }
                    let e = zzl_decode(&zl.zl, p);

                    // Abort when the node is no longer in range.
                    if reverse {
                        if !zsl_value_gte_min(e.score, &range) {
                            break;
                        }
                    } else if !zsl_value_lte_max(e.score, &range) {
                        break;
                    }

                    rangelen += 1;
                    add_reply_bulk_c_buffer(c, e.ele);
                    if withscores {
                        add_reply_double(c, e.score);
                    }

                    // Move to next node
                    eptr =
                        if reverse { zzl_prev(zl, p) } else { zzl_next(zl, p) };
                }
            }
            ZSet::Skiplist(zs) => {
                let zsl = &zs.zsl;

                // If reversed, get the last node in range as starting point.
                let mut ln = if reverse {
                    zsl_last_in_range(zsl, &range)
                } else {
                    zsl_first_in_range(zsl, &range)
                };

                // No "first" element in the specified interval.
                if ln == ZSL_NULL {
                    add_reply(c, EMPTYMULTIBULK);
                    break 'done;
                }

                // We don't know in advance how many matching elements there
                // are in the list, so we push this object that will
                // represent the multi-bulk length in the output buffer, and
                // will "fix" it later
                replylen = add_deferred_multi_bulk_length(c);

                // If there is an offset, just traverse the number of
                // elements without checking the score because that is done
                // in the next loop.
                while ln != ZSL_NULL && zset_post_decrement(&mut offset) {
                    ln = if reverse { zsl.prev(ln) } else { zsl.next(ln) };
                }

                while ln != ZSL_NULL && zset_post_decrement(&mut limit) {
                    let n = zsl.node(ln);
                    // Abort when the node is no longer in range.
                    if reverse {
                        if !zsl_value_gte_min(n.score, &range) {
                            break;
                        }
                    } else if !zsl_value_lte_max(n.score, &range) {
                        break;
                    }

                    rangelen += 1;
                    add_reply_bulk_c_buffer(c, &n.ele);
                    if withscores {
                        add_reply_double(c, n.score);
                    }

                    // Move to next node
                    ln = if reverse { n.backward } else { n.level(0).forward };
                }
            }
        }

        if withscores {
            rangelen *= 2;
        }
        set_deferred_multi_bulk_length(c, replylen, rangelen);
    }
    c.argv[1] = key;
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
///
/// C: t_zset.c zrangebyscoreCommand()
pub fn zrangebyscore_command(server: &mut RedisServer, c: &mut Client) {
    generic_zrangebyscore_command(server, c, false);
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
///
/// C: t_zset.c zrevrangebyscoreCommand()
pub fn zrevrangebyscore_command(server: &mut RedisServer, c: &mut Client) {
    generic_zrangebyscore_command(server, c, true);
}

/// ZCOUNT key min max
///
/// C: t_zset.c zcountCommand()
pub fn zcount_command(server: &mut RedisServer, c: &mut Client) {
    let mut count: u64 = 0;

    // Parse the range arguments
    let Ok(range) = zsl_parse_range(&c.argv[2], &c.argv[3]) else {
        add_reply_error(c, "min or max is not a float");
        return;
    };

    // Lookup the sorted set
    let key = std::mem::take(&mut c.argv[1]);
    'done: {
        let Some(zobj) = lookup_key_read_or_reply(server, c, &key, CZERO)
        else {
            break 'done;
        };
        if check_type(c, zobj, OBJ_ZSET) {
            break 'done;
        }

        match zset_ref(zobj) {
            ZSet::Ziplist(zl) => {
                // Use the first element in range as the starting point
                let Some(first) = zzl_first_in_range(zl, &range) else {
                    // No "first" element
                    add_reply(c, CZERO);
                    break 'done;
                };

                // First element is in range
                assert!(zsl_value_lte_max(zzl_get_score(zl, first), &range));

                // Iterate over elements in range
                let mut eptr = Some(first);
                while let Some(p) = eptr {
                    // Abort when the node is no longer in range.
                    if !zsl_value_lte_max(zzl_get_score(zl, p), &range) {
                        break;
                    }
                    count += 1;
                    eptr = zzl_next(zl, p);
                }
            }
            ZSet::Skiplist(zs) => {
                let zsl = &zs.zsl;

                // Find first element in range
                let zn = zsl_first_in_range(zsl, &range);

                // Use rank of first element, if any, to determine
                // preliminary count
                if zn != ZSL_NULL {
                    let n = zsl.node(zn);
                    let rank = zsl_get_rank(zsl, n.score, &n.ele);
                    count = zsl.length as u64 - (rank - 1);

                    // Find last element in range
                    let zn = zsl_last_in_range(zsl, &range);

                    // Use rank of last element, if any, to determine the
                    // actual count
                    if zn != ZSL_NULL {
                        let n = zsl.node(zn);
                        let rank = zsl_get_rank(zsl, n.score, &n.ele);
                        count -= zsl.length as u64 - rank;
                    }
                }
            }
        }
        add_reply_long_long(c, count as i64);
    }
    c.argv[1] = key;
}

/// ZLEXCOUNT key min max
///
/// C: t_zset.c zlexcountCommand()
pub fn zlexcount_command(server: &mut RedisServer, c: &mut Client) {
    let mut count: u64 = 0;

    // Parse the range arguments
    let Ok(range) = zsl_parse_lex_range(&c.argv[2], &c.argv[3]) else {
        add_reply_error(c, "min or max not valid string range item");
        return;
    };

    // Lookup the sorted set
    let key = std::mem::take(&mut c.argv[1]);
    'done: {
        let Some(zobj) = lookup_key_read_or_reply(server, c, &key, CZERO)
        else {
            break 'done;
        };
        if check_type(c, zobj, OBJ_ZSET) {
            break 'done;
        }

        match zset_ref(zobj) {
            ZSet::Ziplist(zl) => {
                // Use the first element in range as the starting point
                let Some(first) = zzl_first_in_lex_range(zl, &range) else {
                    // No "first" element
                    add_reply(c, CZERO);
                    break 'done;
                };

                // First element is in range
                assert!(zzl_lex_value_lte_max(zl, first, &range));

                // Iterate over elements in range
                let mut eptr = Some(first);
                while let Some(p) = eptr {
                    // Abort when the node is no longer in range.
                    if !zzl_lex_value_lte_max(zl, p, &range) {
                        break;
                    }
                    count += 1;
                    eptr = zzl_next(zl, p);
                }
            }
            ZSet::Skiplist(zs) => {
                let zsl = &zs.zsl;

                // Find first element in range
                let zn = zsl_first_in_lex_range(zsl, &range);

                // Use rank of first element, if any, to determine
                // preliminary count
                if zn != ZSL_NULL {
                    let n = zsl.node(zn);
                    let rank = zsl_get_rank(zsl, n.score, &n.ele);
                    count = zsl.length as u64 - (rank - 1);

                    // Find last element in range
                    let zn = zsl_last_in_lex_range(zsl, &range);

                    // Use rank of last element, if any, to determine the
                    // actual count
                    if zn != ZSL_NULL {
                        let n = zsl.node(zn);
                        let rank = zsl_get_rank(zsl, n.score, &n.ele);
                        count -= zsl.length as u64 - rank;
                    }
                }
            }
        }
        add_reply_long_long(c, count as i64);
    }
    c.argv[1] = key;
}

/// This command implements ZRANGEBYLEX, ZREVRANGEBYLEX.
///
/// C: t_zset.c genericZrangebylexCommand()
pub fn generic_zrangebylex_command(
    server: &mut RedisServer,
    c: &mut Client,
    reverse: bool,
) {
    let argc = c.argv.len();
    let mut offset: i64 = 0;
    let mut limit: i64 = -1;
    let mut rangelen: i64 = 0;

    // Parse the range arguments. Reversed, the range is given as [max,min].
    let (minidx, maxidx) = if reverse { (3, 2) } else { (2, 3) };
    let Ok(range) = zsl_parse_lex_range(&c.argv[minidx], &c.argv[maxidx])
    else {
        add_reply_error(c, "min or max not valid string range item");
        return;
    };

    // Parse optional extra arguments. Note that ZCOUNT will exactly have 4
    // arguments, so we'll never enter the following code path.
    if argc > 4 {
        let mut remaining = argc - 4;
        let mut pos = 4;
        while remaining > 0 {
            if remaining >= 3 && c.argv[pos].eq_ignore_ascii_case(b"limit") {
                let Some(o) = arg_long_or_reply(c, pos + 1) else {
                    return;
                };
                let Some(l) = arg_long_or_reply(c, pos + 2) else {
                    return;
                };
                (offset, limit) = (o, l);
                pos += 3;
                remaining -= 3;
            } else {
                add_reply(c, SYNTAXERR);
                return;
            }
        }
    }

    // Ok, lookup the key and get the range
    let key = std::mem::take(&mut c.argv[1]);
    'done: {
        let Some(zobj) =
            lookup_key_read_or_reply(server, c, &key, EMPTYMULTIBULK)
        else {
            break 'done;
        };
        if check_type(c, zobj, OBJ_ZSET) {
            break 'done;
        }

        let replylen;
        match zset_ref(zobj) {
            ZSet::Ziplist(zl) => {
                // If reversed, get the last node in range as starting point.
                let mut eptr = if reverse {
                    zzl_last_in_lex_range(zl, &range)
                } else {
                    zzl_first_in_lex_range(zl, &range)
                };

                // No "first" element in the specified interval.
                if eptr.is_none() {
                    add_reply(c, EMPTYMULTIBULK);
                    break 'done;
                }

                // We don't know in advance how many matching elements there
                // are in the list, so we push this object that will
                // represent the multi-bulk length in the output buffer, and
                // will "fix" it later
                replylen = add_deferred_multi_bulk_length(c);

                // If there is an offset, just traverse the number of
                // elements without checking the score because that is done
                // in the next loop.
                while let Some(p) = eptr {
                    if !zset_post_decrement(&mut offset) {
                        break;
                    }
                    eptr =
                        if reverse { zzl_prev(zl, p) } else { zzl_next(zl, p) };
                }

                while let Some(p) = eptr {
                    if !zset_post_decrement(&mut limit) {
                        break;
                    }
                    // Abort when the node is no longer in range.
                    if reverse {
                        if !zzl_lex_value_gte_min(zl, p, &range) {
                            break;
                        }
                    } else if !zzl_lex_value_lte_max(zl, p, &range) {
                        break;
                    }

                    rangelen += 1;
                    add_reply_bulk_c_buffer(c, zzl_decode(&zl.zl, p).ele);

                    // Move to next node
                    eptr =
                        if reverse { zzl_prev(zl, p) } else { zzl_next(zl, p) };
                }
            }
            ZSet::Skiplist(zs) => {
                let zsl = &zs.zsl;

                // If reversed, get the last node in range as starting point.
                let mut ln = if reverse {
                    zsl_last_in_lex_range(zsl, &range)
                } else {
                    zsl_first_in_lex_range(zsl, &range)
                };

                // No "first" element in the specified interval.
                if ln == ZSL_NULL {
                    add_reply(c, EMPTYMULTIBULK);
                    break 'done;
                }

                // We don't know in advance how many matching elements there
                // are in the list, so we push this object that will
                // represent the multi-bulk length in the output buffer, and
                // will "fix" it later
                replylen = add_deferred_multi_bulk_length(c);

                // If there is an offset, just traverse the number of
                // elements without checking the score because that is done
                // in the next loop.
                while ln != ZSL_NULL && zset_post_decrement(&mut offset) {
                    ln = if reverse { zsl.prev(ln) } else { zsl.next(ln) };
                }

                while ln != ZSL_NULL && zset_post_decrement(&mut limit) {
                    let n = zsl.node(ln);
                    // Abort when the node is no longer in range.
                    if reverse {
                        if !zsl_lex_value_gte_min(&n.ele, &range) {
                            break;
                        }
                    } else if !zsl_lex_value_lte_max(&n.ele, &range) {
                        break;
                    }

                    rangelen += 1;
                    add_reply_bulk_c_buffer(c, &n.ele);

                    // Move to next node
                    ln = if reverse { n.backward } else { n.level(0).forward };
                }
            }
        }

        set_deferred_multi_bulk_length(c, replylen, rangelen);
    }
    c.argv[1] = key;
}

/// ZRANGEBYLEX key min max [LIMIT offset count]
///
/// C: t_zset.c zrangebylexCommand()
pub fn zrangebylex_command(server: &mut RedisServer, c: &mut Client) {
    generic_zrangebylex_command(server, c, false);
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count]
///
/// C: t_zset.c zrevrangebylexCommand()
pub fn zrevrangebylex_command(server: &mut RedisServer, c: &mut Client) {
    generic_zrangebylex_command(server, c, true);
}

/// ZCARD key
///
/// C: t_zset.c zcardCommand()
pub fn zcard_command(server: &mut RedisServer, c: &mut Client) {
    let key = std::mem::take(&mut c.argv[1]);
    if let Some(zobj) = lookup_key_read_or_reply(server, c, &key, CZERO) {
        if !check_type(c, zobj, OBJ_ZSET) {
            add_reply_long_long(c, zset_length(zobj) as i64);
        }
    }
    c.argv[1] = key;
}

/// ZSCORE key member
///
/// C: t_zset.c zscoreCommand()
pub fn zscore_command(server: &mut RedisServer, c: &mut Client) {
    let key = std::mem::take(&mut c.argv[1]);
    if let Some(zobj) = lookup_key_read_or_reply(server, c, &key, NULLBULK) {
        if !check_type(c, zobj, OBJ_ZSET) {
            match zset_score(zobj, &c.argv[2]) {
                None => add_reply(c, NULLBULK),
                Some(score) => add_reply_double(c, score),
            }
        }
    }
    c.argv[1] = key;
}

/// ZRANK/ZREVRANK key member
///
/// C: t_zset.c zrankGenericCommand()
pub fn zrank_generic_command(
    server: &mut RedisServer,
    c: &mut Client,
    reverse: bool,
) {
    let key = std::mem::take(&mut c.argv[1]);
    if let Some(zobj) = lookup_key_read_or_reply(server, c, &key, NULLBULK) {
        if !check_type(c, zobj, OBJ_ZSET) {
            let rank = zset_rank(zobj, &c.argv[2], reverse);
            if rank >= 0 {
                add_reply_long_long(c, rank);
            } else {
                add_reply(c, NULLBULK);
            }
        }
    }
    c.argv[1] = key;
}

/// ZRANK key member
///
/// C: t_zset.c zrankCommand()
pub fn zrank_command(server: &mut RedisServer, c: &mut Client) {
    zrank_generic_command(server, c, false);
}

/// ZREVRANK key member
///
/// C: t_zset.c zrevrankCommand()
pub fn zrevrank_command(server: &mut RedisServer, c: &mut Client) {
    zrank_generic_command(server, c, true);
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count]: scanGenericCommand()
/// over the ziplist (all of it in one call) or the dict, member then score
/// (as createStringObjectFromLongDouble(score,0) prints it, "%.17Lg", which
/// for a double is "%.17g").
///
/// C: t_zset.c zscanCommand()
pub fn zscan_command(server: &mut RedisServer, c: &mut Client) {
    let arg = std::mem::take(&mut c.argv[2]);
    let cursor = parse_scan_cursor_or_reply(c, &arg);
    c.argv[2] = arg;
    let Ok(cursor) = cursor else { return };

    let key = std::mem::take(&mut c.argv[1]);
    if let Some(o) = lookup_key_read_or_reply(server, c, &key, EMPTYSCAN) {
        if !check_type(c, o, OBJ_ZSET) {
            match zset_ref(o) {
                ZSet::Ziplist(zl) => {
                    let mut items = Vec::with_capacity(zzl_length(zl) * 2);
                    let mut eptr = zzl_index(zl, 0);
                    while let Some(p) = eptr {
                        let e = zzl_decode(&zl.zl, p);
                        items.push(e.ele.to_vec());
                        items.push(fmt_g17(e.score).into_bytes());
                        eptr = zzl_next(zl, p);
                    }
                    scan_generic_command(
                        c,
                        ScanObj::Items { items, pairs: true },
                        cursor,
                    );
                }
                ZSet::Skiplist(zs) => {
                    let dict = &zs.dict;
                    let mut step = |v: u64, out: &mut Vec<Vec<u8>>| {
                        dict.dict_scan(v, |k, score| {
                            out.push(k.to_vec());
                            out.push(fmt_g17(*score).into_bytes());
                        })
                    };
                    scan_generic_command(
                        c,
                        ScanObj::Dict { scan: &mut step, pairs: true },
                        cursor,
                    );
                }
            }
        }
    }
    c.argv[1] = key;
}

/// This command implements the generic zpop operation, used by: ZPOPMIN,
/// ZPOPMAX, BZPOPMIN and BZPOPMAX. This function is also used inside
/// blocked.c in the unblocking stage of BZPOPMIN and BZPOPMAX (here through
/// `serve_client_blocked_on_sorted_set`).
///
/// If 'emitkey' is true also the key name is emitted, useful for the
/// blocking behavior of BZPOP[MIN|MAX], since we can block into multiple
/// keys.
///
/// The synchronous version instead does not need to emit the key, but may
/// use the 'count' argument to return multiple items if available.
///
/// C: t_zset.c genericZpopCommand()
pub fn generic_zpop_command(
    server: &mut RedisServer,
    c: &mut Client,
    keyv: &[&[u8]],
    where_: i32,
    emitkey: bool,
    countarg: Option<&[u8]>,
) {
    let dbid = c.db;
    let mut count: i64 = 1;

    // If a count argument as passed, parse it or return an error.
    if let Some(countarg) = countarg {
        let Some(n) = get_long_from_object_or_reply(c, countarg, None) else {
            return;
        };
        count = n;
        if count <= 0 {
            add_reply(c, EMPTYMULTIBULK);
            return;
        }
    }

    // Check type and break on the first error, otherwise identify
    // candidate.
    let mut found: Option<&[u8]> = None;
    for key in keyv {
        let Some(zobj) = lookup_key_write(server, dbid, key) else {
            continue;
        };
        if check_type(c, zobj, OBJ_ZSET) {
            return;
        }
        found = Some(key);
        break;
    }

    // No candidate for zpopping, return empty.
    let Some(key) = found else {
        add_reply(c, EMPTYMULTIBULK);
        return;
    };

    let arraylen_ptr = add_deferred_multi_bulk_length(c);
    let mut arraylen: i64 = 0;

    // We emit the key only for the blocking variant.
    if emitkey {
        add_reply_bulk(c, key);
    }

    // Remove the element.
    loop {
        let zobj = zobj_mut(server, dbid, key);
        // Get the first or last element in the sorted set.
        let (ele, score) = match zset_ref(zobj) {
            ZSet::Ziplist(zl) => {
                let eptr =
                    zzl_index(zl, if where_ == ZSET_MAX { -1 } else { 0 });
                let e = zzl_decode(
                    &zl.zl,
                    eptr.expect("zpop: an empty sorted set in the keyspace"),
                );
                (e.ele.to_vec(), e.score)
            }
            ZSet::Skiplist(zs) => {
                let zsl = &zs.zsl;
                let zln =
                    if where_ == ZSET_MAX { zsl.tail } else { zsl.first() };
                // There must be an element in the sorted set.
                assert!(
                    zln != ZSL_NULL,
                    "zpop: an empty sorted set in the keyspace"
                );
                let n = zsl.node(zln);
                (n.ele.to_vec(), n.score)
            }
        };

        let deleted = zset_del(zobj, &ele);
        assert!(deleted, "zpop: the element just read is gone");
        let emptied = zset_length(zobj) == 0;
        server.dirty += 1;

        if arraylen == 0 {
            // Do this only for the first iteration.
            const EVENTS: [&str; 2] = ["zpopmin", "zpopmax"];
            notify_keyspace_event(
                server,
                NOTIFY_ZSET,
                EVENTS[where_ as usize],
                key,
                dbid as i32,
            );
            signal_modified_key(server, dbid, key);
        }

        add_reply_bulk_c_buffer(c, &ele);
        add_reply_double(c, score);
        arraylen += 2;

        // Remove the key, if indeed needed.
        if emptied {
            db_delete(server, dbid, key);
            notify_keyspace_event(
                server,
                NOTIFY_GENERIC,
                "del",
                key,
                dbid as i32,
            );
            break;
        }
        count -= 1;
        if count == 0 {
            break;
        }
    }

    set_deferred_multi_bulk_length(c, arraylen_ptr, arraylen + emitkey as i64);
}

/// ZPOPMIN key [<count>]
///
/// C: t_zset.c zpopminCommand()
pub fn zpopmin_command(server: &mut RedisServer, c: &mut Client) {
    zpop_command(server, c, ZSET_MIN);
}

/// ZPOPMAX key [<count>]
///
/// C: t_zset.c zpopmaxCommand()
pub fn zpopmax_command(server: &mut RedisServer, c: &mut Client) {
    zpop_command(server, c, ZSET_MAX);
}

/// The body shared by ZPOPMIN and ZPOPMAX. (no C twin: both C commands
/// hold these lines)
fn zpop_command(server: &mut RedisServer, c: &mut Client, where_: i32) {
    let argc = c.argv.len();
    if argc > 3 {
        add_reply(c, SYNTAXERR);
        return;
    }
    let key = std::mem::take(&mut c.argv[1]);
    let count =
        if argc == 3 { Some(std::mem::take(&mut c.argv[2])) } else { None };
    generic_zpop_command(server, c, &[&key], where_, false, count.as_deref());
    c.argv[1] = key;
    if let Some(count) = count {
        c.argv[2] = count;
    }
}

/// BZPOPMIN / BZPOPMAX actual implementation.
///
/// C: t_zset.c blockingGenericZpopCommand()
pub fn blocking_generic_zpop_command(
    server: &mut RedisServer,
    c: &mut Client,
    where_: i32,
) {
    let argc = c.argv.len();
    let dbid = c.db;

    let last = std::mem::take(&mut c.argv[argc - 1]);
    let timeout = crate::blocked::get_timeout_from_object_or_reply(
        c,
        &last,
        UNIT_SECONDS,
    );
    c.argv[argc - 1] = last;
    let Ok(timeout) = timeout else { return };

    for j in 1..argc - 1 {
        let Some(o) = lookup_key_write(server, dbid, &c.argv[j]) else {
            continue;
        };
        if o.obj_type() != OBJ_ZSET {
            add_reply(c, WRONGTYPEERR);
            return;
        }
        if zset_length(o) != 0 {
            // Non empty zset, this is like a normal ZPOP[MIN|MAX].
            let key = std::mem::take(&mut c.argv[j]);
            generic_zpop_command(server, c, &[&key], where_, true, None);
            // Replicate it as an ZPOP[MIN|MAX] instead of BZPOP[MIN|MAX].
            // C: rewriteClientCommandVector(c,2,shared.zpopmax/zpopmin,key),
            // which also points c->cmd at the new command.
            let name: &[u8] =
                if where_ == ZSET_MAX { b"ZPOPMAX" } else { b"ZPOPMIN" };
            c.argv = vec![name.to_vec(), key];
            c.cmd = lookup_command(server, name);
            return;
        }
    }

    // If we are inside a MULTI/EXEC and the zset is empty the only thing we
    // can do is treating it as a timeout (even with timeout 0).
    if c.flags & CLIENT_MULTI != 0 {
        add_reply(c, NULLMULTIBULK);
        return;
    }

    // If the keys do not exist we must block
    let keys: Vec<Vec<u8>> = c.argv[1..argc - 1].to_vec();
    crate::blocked::block_for_keys(
        server,
        c,
        BLOCKED_ZSET,
        &keys,
        timeout,
        None,
    );
}

/// BZPOPMIN key [key ...] timeout
///
/// C: t_zset.c bzpopminCommand()
pub fn bzpopmin_command(server: &mut RedisServer, c: &mut Client) {
    blocking_generic_zpop_command(server, c, ZSET_MIN);
}

/// BZPOPMAX key [key ...] timeout
///
/// C: t_zset.c bzpopmaxCommand()
pub fn bzpopmax_command(server: &mut RedisServer, c: &mut Client) {
    blocking_generic_zpop_command(server, c, ZSET_MAX);
}

/// Serves one client blocked by BZPOPMIN (`where_` ZSET_MIN) or BZPOPMAX
/// (ZSET_MAX) on `key` of db `dbid`, which has at least one element: does
/// what C's genericZpopCommand(receiver,&key,1,where,1,NULL) does there:
/// pops one element, replies [key, member, score] to `c`, notifies, and
/// deletes the key when it becomes empty. blocked.rs calls it for each
/// such client while the key is not empty, after unblocking the client,
/// and then propagates the pop as ZPOPMIN/ZPOPMAX key itself, with
/// `propagate()` as 5.0 does (the ready keys are served outside call()).
///
/// (no C twin: the sorted set branch of blocked.c
/// handleClientsBlockedOnKeys() in 5.0)
pub fn serve_client_blocked_on_sorted_set(
    server: &mut RedisServer,
    c: &mut Client,
    dbid: usize,
    key: &[u8],
    where_: i32,
) {
    // C serves with genericZpopCommand(receiver,...), which works in the
    // receiver's db: the one it blocked in.
    let saved_db = c.db;
    c.db = dbid;
    generic_zpop_command(server, c, &[key], where_, true, None);
    c.db = saved_db;
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
