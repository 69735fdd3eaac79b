//! The skiplist under a big sorted set: insert, delete, update a score,
//! walk and delete by score, lex or rank, and find an element's rank. Also
//! the range specs that ZRANGEBYSCORE and ZRANGEBYLEX parse, and the
//! lexicographic comparisons with the "-" and "+" bounds.
//!
//! Ports the "Skiplist implementation of the low level API" section of
//! t_zset.c from Redis 5.0.14 (with its "Lexicographic ranges" part), in
//! the same order. The arena and its index links are described in
//! `t_zset/mod.rs`.

use super::*;

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
    pub(crate) fn node(&self, x: NodeId) -> &ZskiplistNode {
        &self.nodes[x as usize]
    }

    /// The first node (`zsl->header->level[0].forward`), or ZSL_NULL.
    pub(crate) fn first(&self) -> NodeId {
        self.fwd(ZSL_HEADER, 0)
    }

    /// The last node, or ZSL_NULL.
    pub(crate) fn tail(&self) -> NodeId {
        self.tail
    }

    /// The node after `x` at level 0, or ZSL_NULL.
    pub(crate) fn next(&self, x: NodeId) -> NodeId {
        self.fwd(x, 0)
    }

    /// The node before `x`, or ZSL_NULL.
    pub(crate) fn prev(&self, x: NodeId) -> NodeId {
        self.nodes[x as usize].backward
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
pub(crate) fn zsl_create() -> Zskiplist {
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
pub(crate) fn zsl_random_level() -> usize {
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
pub(crate) fn zsl_insert(
    zsl: &mut Zskiplist,
    score: f64,
    ele: ZsetSds,
) -> NodeId {
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
pub(crate) fn zsl_delete(
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
pub(crate) fn zsl_update_score(
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
pub(crate) fn zsl_value_gte_min(value: f64, spec: &ZRangeSpec) -> bool {
    if spec.minex {
        value > spec.min
    } else {
        value >= spec.min
    }
}

/// C: t_zset.c zslValueLteMax()
pub(crate) fn zsl_value_lte_max(value: f64, spec: &ZRangeSpec) -> bool {
    if spec.maxex {
        value < spec.max
    } else {
        value <= spec.max
    }
}

/// Returns if there is a part of the zset is in range.
///
/// C: t_zset.c zslIsInRange()
pub(crate) fn zsl_is_in_range(zsl: &Zskiplist, range: &ZRangeSpec) -> bool {
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
pub(crate) fn zsl_first_in_range(
    zsl: &Zskiplist,
    range: &ZRangeSpec,
) -> NodeId {
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
pub(crate) fn zsl_last_in_range(zsl: &Zskiplist, range: &ZRangeSpec) -> NodeId {
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
pub(crate) fn zsl_delete_range_by_score(
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
pub(crate) fn zsl_delete_range_by_lex(
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
pub(crate) fn zsl_delete_range_by_rank(
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
pub(crate) fn zsl_get_rank(zsl: &Zskiplist, score: f64, ele: &[u8]) -> u64 {
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
pub(crate) fn zsl_get_element_by_rank(zsl: &Zskiplist, rank: u64) -> NodeId {
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
pub(crate) fn zsl_parse_range(min: &[u8], max: &[u8]) -> CResult<ZRangeSpec> {
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
pub(crate) fn zsl_parse_lex_range_item(
    item: &[u8],
) -> CResult<(LexItem, bool)> {
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
pub(crate) fn zsl_parse_lex_range(
    min: &[u8],
    max: &[u8],
) -> CResult<ZLexRangeSpec> {
    let (min, minex) = zsl_parse_lex_range_item(min)?;
    let (max, maxex) = zsl_parse_lex_range_item(max)?;
    Ok(ZLexRangeSpec { min, max, minex, maxex })
}

/// This is just a wrapper to sdscmp() that is able to handle
/// shared.minstring and shared.maxstring as the equivalent of -inf and
/// +inf for strings.
///
/// C: t_zset.c sdscmplex()
pub(crate) fn sdscmplex(a: Lex<'_>, b: Lex<'_>) -> i32 {
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
pub(crate) fn zsl_lex_value_gte_min(
    value: &[u8],
    spec: &ZLexRangeSpec,
) -> bool {
    let cmp = sdscmplex(Lex::Str(value), spec.min.lex());
    if spec.minex {
        cmp > 0
    } else {
        cmp >= 0
    }
}

/// C: t_zset.c zslLexValueLteMax()
pub(crate) fn zsl_lex_value_lte_max(
    value: &[u8],
    spec: &ZLexRangeSpec,
) -> bool {
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
pub(super) fn zsl_lex_range_is_empty(range: &ZLexRangeSpec) -> bool {
    let cmp = sdscmplex(range.min.lex(), range.max.lex());
    cmp > 0 || (cmp == 0 && (range.minex || range.maxex))
}

/// Returns if there is a part of the zset is in the lex range.
///
/// C: t_zset.c zslIsInLexRange()
pub(crate) fn zsl_is_in_lex_range(
    zsl: &Zskiplist,
    range: &ZLexRangeSpec,
) -> bool {
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
pub(crate) fn zsl_first_in_lex_range(
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
pub(crate) fn zsl_last_in_lex_range(
    zsl: &Zskiplist,
    range: &ZLexRangeSpec,
) -> NodeId {
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
