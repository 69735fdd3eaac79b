//! Lists: the list value and the list commands, LPUSH … RPOPLPUSH, and the
//! command side of the blocking pops BLPOP, BRPOP and BRPOPLPUSH. Serving
//! a client that blocked, once a push makes its key ready, is in
//! blocked.rs; `serve_client_blocked_on_list` here does the list part of
//! it, as in C.
//!
//! Ports t_list.c from Redis 5.0.14, in the same order. The `List` type at
//! the top stands in for quicklist.c, of which only the behaviour is kept.
//!
//! Read this first: 5.0 has one list encoding, the quicklist, a linked list
//! of ziplists, and OBJECT ENCODING always says "quicklist". Here a list is
//! one of two shapes (see `List`), a packed byte buffer while small and a
//! `VecDeque` of elements once large. The switch is never visible: the
//! encoding reported stays "quicklist", and every reply is the same.

// Divergence from C: the list value is not a quicklist. A small list is one
// packed buffer of length-prefixed elements, like a single-node quicklist
// (one ziplist): two bytes of overhead per short element and one heap
// block per list, which keeps a million small lists close to Redis in RSS.
// When the packed buffer outgrows the limit `list-max-ziplist-size` sets
// for one ziplist node, the list becomes a `VecDeque<Vec<u8>>` (one heap
// block per element), which gives O(1) pushes and pops at both ends and
// O(1) LINDEX/LSET, where the quicklist walks its nodes. The list never
// goes back to the packed shape (a quicklist does not merge its nodes back
// into one either). Integers are not stored in ziplist's integer encodings,
// which only saves bytes: an element reads back as the exact bytes pushed,
// as it does in C (ziplist only encodes canonical integers).

use std::collections::VecDeque;

use crate::blocked::{block_for_keys, get_timeout_from_object_or_reply};
use crate::db::*;
use crate::networking::*;
use crate::notify::notify_keyspace_event;
use crate::object::*;
use crate::server::*;
use crate::shared::{
    CNEGONE, CZERO, EMPTYMULTIBULK, NOKEYERR, NULLBULK, NULLMULTIBULK, OK,
    OUTOFRANGEERR, SYNTAXERR, WRONGTYPEERR,
};
use crate::t_string::{check_type, UNIT_SECONDS};

// -------------------------- server.h: list constants --------------------------

/// List related stuff: the two ends of a list.
pub(crate) const LIST_HEAD: i32 = 0;
pub(crate) const LIST_TAIL: i32 = 1;

/// The biggest element a list accepts ("Element too large" above it).
///
/// C: t_list.c LIST_MAX_ITEM_SIZE
pub(crate) const LIST_MAX_ITEM_SIZE: usize = (1usize << 32) - 1024;

// ------------------------- quicklist.c: the list value -------------------------

/// Maximum size in bytes of any multi-element ziplist node when the fill
/// is a count (positive `list-max-ziplist-size`).
///
/// As quicklist.c's SIZE_SAFETY_LIMIT.
const SIZE_SAFETY_LIMIT: usize = 8192;

/// Byte limits of one node for the negative `list-max-ziplist-size`
/// values -1 … -5.
///
/// As quicklist.c's optimization_level[].
const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];

/// The value of a list key. See the note at the top of the file for the
/// two shapes. Index 0 is the head (the LPUSH side).
///
/// Stands in for quicklist.h's quicklist.
#[derive(Debug, Clone, Default)]
pub(crate) struct List(Repr);

#[derive(Debug, Clone)]
enum Repr {
    /// Elements one after the other, each as `[len][bytes][len]`, where
    /// `len` is one byte below 0x80, or else `0x80` followed by the u32
    /// length (little endian) before the bytes and the u32 followed by
    /// `0x80` after them, so the buffer can be walked from either end.
    /// The buffer is kept exactly as long as its content, like a ziplist.
    Packed { count: u32, buf: Box<[u8]> },
    /// One heap block per element.
    Deque(VecDeque<Vec<u8>>),
}

impl Default for Repr {
    fn default() -> Repr {
        Repr::Packed { count: 0, buf: Box::default() }
    }
}

/// Marks a 5-byte length in the packed shape.
const PACKED_BIG: u8 = 0x80;

/// Bytes of one length field of the packed shape. (no C twin)
fn packed_hdr_len(len: usize) -> usize {
    if len < PACKED_BIG as usize {
        1
    } else {
        5
    }
}

/// Bytes of one whole packed entry. (no C twin)
fn packed_entry_size(len: usize) -> usize {
    2 * packed_hdr_len(len) + len
}

/// Writes one packed entry into `out`, which is exactly
/// `packed_entry_size(v.len())` long. (no C twin)
fn packed_write_entry(out: &mut [u8], v: &[u8]) {
    let n = v.len();
    if n < PACKED_BIG as usize {
        out[0] = n as u8;
        out[1..1 + n].copy_from_slice(v);
        out[1 + n] = n as u8;
    } else {
        let le = (n as u32).to_le_bytes();
        out[0] = PACKED_BIG;
        out[1..5].copy_from_slice(&le);
        out[5..5 + n].copy_from_slice(v);
        out[5 + n..9 + n].copy_from_slice(&le);
        out[9 + n] = PACKED_BIG;
    }
}

/// The entry starting at `pos`: (data start, data length, next entry).
/// (no C twin)
fn packed_entry_at(buf: &[u8], pos: usize) -> (usize, usize, usize) {
    if buf[pos] != PACKED_BIG {
        let n = buf[pos] as usize;
        (pos + 1, n, pos + 2 + n)
    } else {
        let mut le = [0u8; 4];
        le.copy_from_slice(&buf[pos + 1..pos + 5]);
        let n = u32::from_le_bytes(le) as usize;
        (pos + 5, n, pos + 10 + n)
    }
}

/// The entry ending at `end`: (entry start, data start, data length).
/// (no C twin)
fn packed_entry_before(buf: &[u8], end: usize) -> (usize, usize, usize) {
    if buf[end - 1] != PACKED_BIG {
        let n = buf[end - 1] as usize;
        (end - 2 - n, end - 1 - n, n)
    } else {
        let mut le = [0u8; 4];
        le.copy_from_slice(&buf[end - 5..end - 1]);
        let n = u32::from_le_bytes(le) as usize;
        (end - 10 - n, end - 5 - n, n)
    }
}

/// The packed buffer with `new` in place of bytes `at..at + remove`,
/// resized exactly, as ziplist reallocs on every change. (no C twin)
fn packed_splice(buf: &mut Box<[u8]>, at: usize, remove: usize, new: &[u8]) {
    let mut v = Vec::from(std::mem::take(buf));
    if new.len() > remove {
        v.reserve_exact(new.len() - remove);
    }
    v.splice(at..at + remove, new.iter().copied());
    *buf = v.into_boxed_slice();
}

/// Whether a node with `count` elements in `bytes` bytes respects `fill`
/// (`list-max-ziplist-size`).
///
/// Stands in for _quicklistNodeAllowInsert() in quicklist.c. (no C twin)
fn packed_fits(count: usize, bytes: usize, fill: i32) -> bool {
    if fill >= 0 {
        count <= fill as usize && bytes <= SIZE_SAFETY_LIMIT
    } else {
        let idx =
            ((-(fill as i64)) - 1).min(OPTIMIZATION_LEVEL.len() as i64 - 1);
        bytes <= OPTIMIZATION_LEVEL[idx as usize]
    }
}

impl List {
    /// An empty list.
    ///
    /// Stands in for quicklistCreate() in quicklist.c. (no C twin)
    pub fn new() -> List {
        List(Repr::default())
    }

    /// Number of elements.
    ///
    /// Stands in for quicklistCount() in quicklist.c. (no C twin)
    pub(crate) fn len(&self) -> usize {
        match &self.0 {
            Repr::Packed { count, .. } => *count as usize,
            Repr::Deque(d) => d.len(),
        }
    }

    /// How many allocations freeing the list takes: one for the packed
    /// shape, one per element otherwise. Stands in for the quicklist's
    /// node count that lazyfree.c reads (ql->len). (no C twin)
    pub(crate) fn allocations(&self) -> usize {
        match &self.0 {
            Repr::Packed { .. } => 1,
            Repr::Deque(d) => d.len(),
        }
    }

    /// The heap bytes of the list (the box of the value included),
    /// averaging the first `sample_size` elements of the one-block-each
    /// shape as objectComputeSize() averages quicklist nodes.
    ///
    /// Stands in for the OBJ_LIST branch of object.c objectComputeSize().
    /// (no C twin)
    pub(crate) fn mem_usage(&self, sample_size: usize) -> usize {
        use crate::util::zmalloc_size_class as class;
        let boxed = class(std::mem::size_of::<List>(), 8);
        match &self.0 {
            Repr::Packed { buf, .. } if buf.is_empty() => boxed,
            Repr::Packed { buf, .. } => boxed + class(buf.len(), 1),
            Repr::Deque(d) => {
                let slots = d.capacity() * std::mem::size_of::<Vec<u8>>();
                let mut asize =
                    boxed + if slots == 0 { 0 } else { class(slots, 8) };
                let (mut elesize, mut samples) = (0usize, 0usize);
                for e in d.iter().take(sample_size.max(1)) {
                    elesize += if e.capacity() == 0 {
                        0
                    } else {
                        class(e.capacity(), 1)
                    };
                    samples += 1;
                }
                if samples > 0 {
                    asize += (elesize as f64 / samples as f64 * d.len() as f64)
                        as usize;
                }
                asize
            }
        }
    }

    /// True when the list holds no element.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Pushes at the head (LIST_HEAD) or the tail (LIST_TAIL); `fill` is
    /// `list-max-ziplist-size`, which decides when the packed shape is
    /// left.
    ///
    /// Stands in for quicklistPush() in quicklist.c. (no C twin)
    pub(crate) fn push_with_fill(&mut self, v: &[u8], where_: i32, fill: i32) {
        let size = packed_entry_size(v.len());
        if let Repr::Packed { count, buf } = &self.0 {
            if !packed_fits(*count as usize + 1, buf.len() + size, fill) {
                self.make_deque();
            }
        }
        match &mut self.0 {
            Repr::Packed { count, buf } => {
                let mut new = Vec::from(std::mem::take(buf));
                let old = new.len();
                new.reserve_exact(size);
                new.resize(old + size, 0);
                if where_ == LIST_HEAD {
                    new.copy_within(0..old, size);
                    packed_write_entry(&mut new[..size], v);
                } else {
                    packed_write_entry(&mut new[old..], v);
                }
                *buf = new.into_boxed_slice();
                *count += 1;
            }
            Repr::Deque(d) => {
                if where_ == LIST_HEAD {
                    d.push_front(v.to_vec());
                } else {
                    d.push_back(v.to_vec());
                }
            }
        }
    }

    /// Leaves the packed shape for the deque one. (no C twin)
    fn make_deque(&mut self) {
        if let Repr::Packed { count, buf } = &self.0 {
            let mut d = VecDeque::with_capacity(*count as usize + 1);
            let mut pos = 0;
            while pos < buf.len() {
                let (start, n, next) = packed_entry_at(buf, pos);
                d.push_back(buf[start..start + n].to_vec());
                pos = next;
            }
            self.0 = Repr::Deque(d);
        }
    }

    /// Moves the packed shape to the deque one if it breaks `fill`.
    /// (no C twin)
    fn check_fill(&mut self, fill: i32) {
        if let Repr::Packed { count, buf } = &self.0 {
            if !packed_fits(*count as usize, buf.len(), fill) {
                self.make_deque();
            }
        }
    }

    /// Removes and returns the element at the head (LIST_HEAD) or the
    /// tail (LIST_TAIL), or `None` if the list is empty.
    ///
    /// Stands in for quicklistPopCustom() in quicklist.c. (no C twin)
    pub(crate) fn pop(&mut self, where_: i32) -> Option<Vec<u8>> {
        match &mut self.0 {
            Repr::Packed { count, buf } => {
                if *count == 0 {
                    return None;
                }
                let (from, to, start, n) = if where_ == LIST_HEAD {
                    let (start, n, next) = packed_entry_at(buf, 0);
                    (0, next, start, n)
                } else {
                    let end = buf.len();
                    let (from, start, n) = packed_entry_before(buf, end);
                    (from, end, start, n)
                };
                let value = buf[start..start + n].to_vec();
                packed_splice(buf, from, to - from, &[]);
                *count -= 1;
                Some(value)
            }
            Repr::Deque(d) => {
                if where_ == LIST_HEAD {
                    d.pop_front()
                } else {
                    d.pop_back()
                }
            }
        }
    }

    /// Byte range of the entry at `index` (0-based from the head) of a
    /// packed list: (entry start, data start, data length, entry end).
    /// The caller checked the index. (no C twin)
    fn packed_locate(
        buf: &[u8],
        count: usize,
        index: usize,
    ) -> (usize, usize, usize, usize) {
        if index < count / 2 + 1 {
            let mut pos = 0;
            for _ in 0..index {
                pos = packed_entry_at(buf, pos).2;
            }
            let (start, n, next) = packed_entry_at(buf, pos);
            (pos, start, n, next)
        } else {
            let mut end = buf.len();
            for _ in 0..count - 1 - index {
                end = packed_entry_before(buf, end).0;
            }
            let (from, start, n) = packed_entry_before(buf, end);
            (from, start, n, end)
        }
    }

    /// Turns a LINDEX-style index (negative counts from the tail, -1 is
    /// the last element) into a position, if it is in range. (no C twin)
    fn resolve_index(&self, index: i64) -> Option<usize> {
        let len = self.len() as i64;
        let i = if index < 0 { len.checked_add(index)? } else { index };
        if i < 0 || i >= len {
            None
        } else {
            Some(i as usize)
        }
    }

    /// The element at `index`, negative indexes counting from the tail.
    ///
    /// Stands in for quicklistIndex() in quicklist.c. (no C twin)
    pub(crate) fn index(&self, index: i64) -> Option<&[u8]> {
        let i = self.resolve_index(index)?;
        match &self.0 {
            Repr::Packed { count, buf } => {
                let (_, start, n, _) =
                    List::packed_locate(buf, *count as usize, i);
                Some(&buf[start..start + n])
            }
            Repr::Deque(d) => d.get(i).map(|v| v.as_slice()),
        }
    }

    /// Replaces the element at `index` (negative from the tail); false if
    /// the index is out of range.
    ///
    /// Stands in for quicklistReplaceAtIndex() in quicklist.c. (no C twin)
    pub(crate) fn replace_at_index(
        &mut self,
        index: i64,
        v: &[u8],
        fill: i32,
    ) -> bool {
        let Some(i) = self.resolve_index(index) else {
            return false;
        };
        match &mut self.0 {
            Repr::Packed { count, buf } => {
                let (from, _, _, to) =
                    List::packed_locate(buf, *count as usize, i);
                let mut entry = vec![0u8; packed_entry_size(v.len())];
                packed_write_entry(&mut entry, v);
                packed_splice(buf, from, to - from, &entry);
                self.check_fill(fill);
            }
            Repr::Deque(d) => d[i] = v.to_vec(),
        }
        true
    }

    /// Iterates over the elements from the head to the tail; `.rev()`
    /// walks from the tail.
    ///
    /// C: t_list.c listTypeInitIterator()
    /// C: t_list.c listTypeNext()
    /// C: t_list.c listTypeGet()
    /// C: t_list.c listTypeReleaseIterator() (dropping the iterator)
    pub fn iter(&self) -> Iter<'_> {
        match &self.0 {
            Repr::Packed { count, buf } => Iter(IterRepr::Packed {
                buf,
                front: 0,
                back: buf.len(),
                left: *count as usize,
            }),
            Repr::Deque(d) => Iter(IterRepr::Deque(d.range(..))),
        }
    }

    /// Iterates from the element at `start` (from the head) to the tail.
    ///
    /// Stands in for quicklistGetIteratorAtIdx() in quicklist.c. (no C twin)
    pub(crate) fn iter_from(&self, start: usize) -> Iter<'_> {
        match &self.0 {
            Repr::Packed { .. } => {
                let mut it = self.iter();
                for _ in 0..start {
                    if it.next().is_none() {
                        break;
                    }
                }
                it
            }
            Repr::Deque(d) => {
                Iter(IterRepr::Deque(d.range(start.min(d.len())..)))
            }
        }
    }

    /// Removes `ltrim` elements from the head and `rtrim` from the tail
    /// (at most all of them).
    ///
    /// Stands in for quicklistDelRange() in quicklist.c. (no C twin)
    pub(crate) fn trim(&mut self, ltrim: usize, rtrim: usize) {
        let len = self.len();
        let ltrim = ltrim.min(len);
        let rtrim = rtrim.min(len - ltrim);
        match &mut self.0 {
            Repr::Packed { count, buf } => {
                let mut from = 0;
                for _ in 0..ltrim {
                    from = packed_entry_at(buf, from).2;
                }
                let mut to = buf.len();
                for _ in 0..rtrim {
                    to = packed_entry_before(buf, to).0;
                }
                *buf = buf[from..to].into();
                *count -= (ltrim + rtrim) as u32;
            }
            Repr::Deque(d) => {
                d.drain(..ltrim);
                d.truncate(d.len() - rtrim);
            }
        }
    }

    /// Inserts `v` before (`after` false) or after the first element,
    /// from the head, equal to `pivot`. Returns false if there is none.
    ///
    /// C: t_list.c listTypeInsert() (with the seek of linsertCommand)
    pub(crate) fn insert(
        &mut self,
        pivot: &[u8],
        v: &[u8],
        after: bool,
        fill: i32,
    ) -> bool {
        let Some(i) = self.iter().position(|e| e == pivot) else {
            return false;
        };
        match &mut self.0 {
            Repr::Packed { count, buf } => {
                let (from, _, _, to) =
                    List::packed_locate(buf, *count as usize, i);
                let mut entry = vec![0u8; packed_entry_size(v.len())];
                packed_write_entry(&mut entry, v);
                packed_splice(buf, if after { to } else { from }, 0, &entry);
                *count += 1;
                self.check_fill(fill);
            }
            Repr::Deque(d) => {
                d.insert(if after { i + 1 } else { i }, v.to_vec())
            }
        }
        true
    }

    /// Removes the elements equal to `v`, as LREM does: all of them when
    /// `toremove` is 0, else the first `toremove` from the head, or for a
    /// negative count the first `-toremove` from the tail. Returns how many
    /// were removed.
    ///
    /// C: t_list.c listTypeEqual() (with the loop of lremCommand)
    /// C: t_list.c listTypeDelete()
    pub(crate) fn remove(&mut self, v: &[u8], toremove: i64) -> usize {
        // Which matches go: those at positions in `lo..=hi`.
        let len = self.len();
        let (lo, hi) = if toremove == 0 {
            (0, len)
        } else if toremove > 0 {
            let nth = self
                .iter()
                .enumerate()
                .filter(|(_, e)| *e == v)
                .nth(toremove as usize - 1);
            (0, nth.map_or(len, |(i, _)| i))
        } else {
            let n = toremove.unsigned_abs() as usize;
            let nth = self
                .iter()
                .rev()
                .enumerate()
                .filter(|(_, e)| *e == v)
                .nth(n - 1);
            (nth.map_or(0, |(i, _)| len - 1 - i), len)
        };
        let mut removed = 0;
        match &mut self.0 {
            Repr::Packed { count, buf } => {
                let mut out = Vec::with_capacity(buf.len());
                let mut pos = 0;
                let mut i = 0;
                while pos < buf.len() {
                    let (start, n, next) = packed_entry_at(buf, pos);
                    if i >= lo && i <= hi && &buf[start..start + n] == v {
                        removed += 1;
                    } else {
                        out.extend_from_slice(&buf[pos..next]);
                    }
                    pos = next;
                    i += 1;
                }
                if removed > 0 {
                    *buf = out.into_boxed_slice();
                    *count -= removed as u32;
                }
            }
            Repr::Deque(d) => {
                let mut i = 0;
                d.retain(|e| {
                    let gone = i >= lo && i <= hi && e.as_slice() == v;
                    i += 1;
                    removed += gone as usize;
                    !gone
                });
            }
        }
        removed
    }
}

/// Iterator over a list's elements, from either end.
///
/// C: t_list.c listTypeIterator
pub(crate) struct Iter<'a>(IterRepr<'a>);

enum IterRepr<'a> {
    Packed { buf: &'a [u8], front: usize, back: usize, left: usize },
    Deque(std::collections::vec_deque::Iter<'a, Vec<u8>>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        match &mut self.0 {
            IterRepr::Packed { buf, front, left, .. } => {
                if *left == 0 {
                    return None;
                }
                let (start, n, next) = packed_entry_at(buf, *front);
                *front = next;
                *left -= 1;
                Some(&buf[start..start + n])
            }
            IterRepr::Deque(it) => it.next().map(|v| v.as_slice()),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match &self.0 {
            IterRepr::Packed { left, .. } => *left,
            IterRepr::Deque(it) => it.len(),
        };
        (n, Some(n))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            IterRepr::Packed { buf, back, left, .. } => {
                if *left == 0 {
                    return None;
                }
                let (from, start, n) = packed_entry_before(buf, *back);
                *back = from;
                *left -= 1;
                Some(&buf[start..start + n])
            }
            IterRepr::Deque(it) => it.next_back().map(|v| v.as_slice()),
        }
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// A new empty list value, with the list options of the server.
///
/// C: object.c createQuicklistObject()
pub(crate) fn create_quicklist_object(server: &RedisServer) -> RObj {
    create_object(
        crate::object::new_object_lru(server),
        OBJ_ENCODING_QUICKLIST,
        Value::List(Box::default()),
    )
}

/// The list of a key, looked up without any side effect (no expiry, no
/// access time, no stats): for code that already did the C lookup and
/// holds what C would hold as a pointer. (no C twin)
fn list_of<'a>(
    server: &'a mut RedisServer,
    dbid: usize,
    key: &[u8],
) -> Option<&'a mut List> {
    match &mut server.db[dbid].dict.find_mut(key)?.ptr {
        Value::List(l) => Some(l),
        _ => None,
    }
}

/// The list inside a value already known to be a list. (no C twin)
fn as_list(o: &mut RObj) -> Option<&mut List> {
    match &mut o.ptr {
        Value::List(l) => Some(l),
        _ => None,
    }
}

// -----------------------------------------------------------------------------
// List API
// -----------------------------------------------------------------------------

/// The function pushes an element to the specified list object 'subject',
/// at head or tail position as specified by 'where'.
///
/// C: t_list.c listTypePush()
pub(crate) fn list_type_push(
    server: &mut RedisServer,
    dbid: usize,
    key: &[u8],
    value: &[u8],
    where_: i32,
) {
    let fill = server.list_max_ziplist_size;
    if let Some(l) = list_of(server, dbid, key) {
        l.push_with_fill(value, where_, fill);
    }
}

/// Pops an element from the head or the tail; the element is returned as
/// bytes (C builds a string object from the ziplist entry here).
///
/// C: t_list.c listTypePop()
/// C: t_list.c listPopSaver()
pub(crate) fn list_type_pop(
    server: &mut RedisServer,
    dbid: usize,
    key: &[u8],
    where_: i32,
) -> Option<Vec<u8>> {
    list_of(server, dbid, key)?.pop(where_)
}

/// C: t_list.c listTypeLength()
pub(crate) fn list_type_length(
    server: &mut RedisServer,
    dbid: usize,
    key: &[u8],
) -> usize {
    list_of(server, dbid, key).map_or(0, |l| l.len())
}

// C: t_list.c listTypeConvert() converts a ziplist-encoded list (only RDB
// files older than 3.2 hold them) into a quicklist. Here the RDB loader
// builds a `List` from the ziplist's entries with `List::push`, so no
// conversion step exists.

// -----------------------------------------------------------------------------
// List Commands
// -----------------------------------------------------------------------------

/// LPUSH/RPUSH key element [element ...]
///
/// C: t_list.c pushGenericCommand()
pub(crate) fn push_generic_command(
    server: &mut RedisServer,
    c: &mut Client,
    where_: i32,
) {
    let argv = std::mem::take(&mut c.argv);
    push_generic(server, c, &argv, where_);
    c.argv = argv;
}

/// The body of `push_generic_command`, with argv lent out. (no C twin)
fn push_generic(
    server: &mut RedisServer,
    c: &mut Client,
    argv: &[Vec<u8>],
    where_: i32,
) {
    if argv[2..].iter().any(|e| e.len() > LIST_MAX_ITEM_SIZE) {
        add_reply_error(c, "Element too large");
        return;
    }
    let dbid = c.db;
    let key = &argv[1];
    let fill = server.list_max_ziplist_size;
    let pushed = argv.len() - 2;
    let len = match lookup_key_write(server, dbid, key) {
        Some(o) => {
            let Some(l) = as_list(o) else {
                add_reply(c, WRONGTYPEERR);
                return;
            };
            for e in &argv[2..] {
                l.push_with_fill(e, where_, fill);
            }
            l.len()
        }
        None => {
            // C adds the empty list to the db, then pushes into it; the
            // list is built first here, which dbAdd() cannot tell apart.
            let mut l = List::new();
            for e in &argv[2..] {
                l.push_with_fill(e, where_, fill);
            }
            let len = l.len();
            let o = create_object(
                crate::object::new_object_lru(server),
                OBJ_ENCODING_QUICKLIST,
                Value::List(Box::new(l)),
            );
            db_add(server, dbid, key, o);
            len
        }
    };
    add_reply_long_long(c, len as i64);
    if pushed > 0 {
        let event = if where_ == LIST_HEAD { "lpush" } else { "rpush" };
        signal_modified_key(server, dbid, key);
        notify_keyspace_event(server, NOTIFY_LIST, event, key, dbid as i32);
    }
    server.dirty += pushed as i64;
}

/// C: t_list.c lpushCommand()
pub(crate) fn lpush_command(server: &mut RedisServer, c: &mut Client) {
    push_generic_command(server, c, LIST_HEAD);
}

/// C: t_list.c rpushCommand()
pub(crate) fn rpush_command(server: &mut RedisServer, c: &mut Client) {
    push_generic_command(server, c, LIST_TAIL);
}

/// LPUSHX/RPUSHX key element [element ...]: push only if the list exists.
///
/// C: t_list.c pushxGenericCommand()
pub(crate) fn pushx_generic_command(
    server: &mut RedisServer,
    c: &mut Client,
    where_: i32,
) {
    let argv = std::mem::take(&mut c.argv);
    pushx_generic(server, c, &argv, where_);
    c.argv = argv;
}

/// The body of `pushx_generic_command`. (no C twin)
fn pushx_generic(
    server: &mut RedisServer,
    c: &mut Client,
    argv: &[Vec<u8>],
    where_: i32,
) {
    let dbid = c.db;
    let key = &argv[1];
    let fill = server.list_max_ziplist_size;
    let Some(subject) = lookup_key_write_or_reply(server, c, key, CZERO) else {
        return;
    };
    if check_type(c, subject, OBJ_LIST) {
        return;
    }
    let Some(l) = as_list(subject) else { return };
    let mut pushed = 0i64;
    for e in &argv[2..] {
        l.push_with_fill(e, where_, fill);
        pushed += 1;
    }
    add_reply_long_long(c, l.len() as i64);
    if pushed > 0 {
        let event = if where_ == LIST_HEAD { "lpush" } else { "rpush" };
        signal_modified_key(server, dbid, key);
        notify_keyspace_event(server, NOTIFY_LIST, event, key, dbid as i32);
    }
    server.dirty += pushed;
}

/// C: t_list.c lpushxCommand()
pub(crate) fn lpushx_command(server: &mut RedisServer, c: &mut Client) {
    pushx_generic_command(server, c, LIST_HEAD);
}

/// C: t_list.c rpushxCommand()
pub(crate) fn rpushx_command(server: &mut RedisServer, c: &mut Client) {
    pushx_generic_command(server, c, LIST_TAIL);
}

/// LINSERT key BEFORE|AFTER pivot element
///
/// C: t_list.c linsertCommand()
pub(crate) fn linsert_command(server: &mut RedisServer, c: &mut Client) {
    let argv = std::mem::take(&mut c.argv);
    linsert(server, c, &argv);
    c.argv = argv;
}

/// The body of `linsert_command`. (no C twin)
fn linsert(server: &mut RedisServer, c: &mut Client, argv: &[Vec<u8>]) {
    let after = if argv[2].eq_ignore_ascii_case(b"after") {
        true
    } else if argv[2].eq_ignore_ascii_case(b"before") {
        false
    } else {
        add_reply(c, SYNTAXERR);
        return;
    };
    if argv[4].len() > LIST_MAX_ITEM_SIZE {
        add_reply_error(c, "Element too large");
        return;
    }
    let dbid = c.db;
    let key = &argv[1];
    let fill = server.list_max_ziplist_size;
    let Some(subject) = lookup_key_write_or_reply(server, c, key, CZERO) else {
        return;
    };
    if check_type(c, subject, OBJ_LIST) {
        return;
    }
    let Some(l) = as_list(subject) else { return };

    // Seek pivot from head to tail
    let inserted = l.insert(&argv[3], &argv[4], after, fill);
    let len = l.len();

    if inserted {
        signal_modified_key(server, dbid, key);
        notify_keyspace_event(server, NOTIFY_LIST, "linsert", key, dbid as i32);
        server.dirty += 1;
    } else {
        // Notify client of a failed insert
        add_reply(c, CNEGONE);
        return;
    }
    add_reply_long_long(c, len as i64);
}

/// LLEN key
///
/// C: t_list.c llenCommand()
pub(crate) fn llen_command(server: &mut RedisServer, c: &mut Client) {
    let key = std::mem::take(&mut c.argv[1]);
    if let Some(o) = lookup_key_read_or_reply(server, c, &key, CZERO) {
        if !check_type(c, o, OBJ_LIST) {
            let len = as_list(o).map_or(0, |l| l.len());
            add_reply_long_long(c, len as i64);
        }
    }
    c.argv[1] = key;
}

/// LINDEX key index
///
/// C: t_list.c lindexCommand()
pub(crate) fn lindex_command(server: &mut RedisServer, c: &mut Client) {
    let argv = std::mem::take(&mut c.argv);
    if let Some(o) = lookup_key_read_or_reply(server, c, &argv[1], NULLBULK) {
        if !check_type(c, o, OBJ_LIST) {
            if let Some(index) =
                get_long_from_object_or_reply(c, &argv[2], None)
            {
                match as_list(o).and_then(|l| l.index(index)) {
                    Some(value) => add_reply_bulk(c, value),
                    None => add_reply(c, NULLBULK),
                }
            }
        }
    }
    c.argv = argv;
}

/// LSET key index element
///
/// C: t_list.c lsetCommand()
pub(crate) fn lset_command(server: &mut RedisServer, c: &mut Client) {
    let argv = std::mem::take(&mut c.argv);
    lset(server, c, &argv);
    c.argv = argv;
}

/// The body of `lset_command`. (no C twin)
fn lset(server: &mut RedisServer, c: &mut Client, argv: &[Vec<u8>]) {
    let dbid = c.db;
    let key = &argv[1];
    let value = &argv[3];
    let fill = server.list_max_ziplist_size;
    let Some(o) = lookup_key_write_or_reply(server, c, key, NOKEYERR) else {
        return;
    };
    if check_type(c, o, OBJ_LIST) {
        return;
    }
    if value.len() > LIST_MAX_ITEM_SIZE {
        add_reply_error(c, "Element too large");
        return;
    }
    let Some(index) = get_long_from_object_or_reply(c, &argv[2], None) else {
        return;
    };
    let replaced =
        as_list(o).is_some_and(|l| l.replace_at_index(index, value, fill));
    if !replaced {
        add_reply(c, OUTOFRANGEERR);
    } else {
        add_reply(c, OK);
        signal_modified_key(server, dbid, key);
        notify_keyspace_event(server, NOTIFY_LIST, "lset", key, dbid as i32);
        server.dirty += 1;
    }
}

/// LPOP/RPOP key
///
/// C: t_list.c popGenericCommand()
pub(crate) fn pop_generic_command(
    server: &mut RedisServer,
    c: &mut Client,
    where_: i32,
) {
    let key = std::mem::take(&mut c.argv[1]);
    pop_generic(server, c, &key, where_);
    c.argv[1] = key;
}

/// The body of `pop_generic_command`. (no C twin)
fn pop_generic(
    server: &mut RedisServer,
    c: &mut Client,
    key: &[u8],
    where_: i32,
) {
    let dbid = c.db;
    let Some(o) = lookup_key_write_or_reply(server, c, key, NULLBULK) else {
        return;
    };
    if check_type(c, o, OBJ_LIST) {
        return;
    }
    let Some(l) = as_list(o) else { return };
    match l.pop(where_) {
        None => add_reply(c, NULLBULK),
        Some(value) => {
            let empty = l.is_empty();
            let event = if where_ == LIST_HEAD { "lpop" } else { "rpop" };
            add_reply_bulk(c, &value);
            notify_keyspace_event(server, NOTIFY_LIST, event, key, dbid as i32);
            if empty {
                notify_keyspace_event(
                    server,
                    NOTIFY_GENERIC,
                    "del",
                    key,
                    dbid as i32,
                );
                db_delete(server, dbid, key);
            }
            signal_modified_key(server, dbid, key);
            server.dirty += 1;
        }
    }
}

/// C: t_list.c lpopCommand()
pub(crate) fn lpop_command(server: &mut RedisServer, c: &mut Client) {
    pop_generic_command(server, c, LIST_HEAD);
}

/// C: t_list.c rpopCommand()
pub(crate) fn rpop_command(server: &mut RedisServer, c: &mut Client) {
    pop_generic_command(server, c, LIST_TAIL);
}

/// LRANGE key start stop
///
/// C: t_list.c lrangeCommand()
pub(crate) fn lrange_command(server: &mut RedisServer, c: &mut Client) {
    let argv = std::mem::take(&mut c.argv);
    lrange(server, c, &argv);
    c.argv = argv;
}

/// The body of `lrange_command`. (no C twin)
fn lrange(server: &mut RedisServer, c: &mut Client, argv: &[Vec<u8>]) {
    let Some(mut start) = get_long_from_object_or_reply(c, &argv[2], None)
    else {
        return;
    };
    let Some(mut end) = get_long_from_object_or_reply(c, &argv[3], None) else {
        return;
    };

    let Some(o) = lookup_key_read_or_reply(server, c, &argv[1], EMPTYMULTIBULK)
    else {
        return;
    };
    if check_type(c, o, OBJ_LIST) {
        return;
    }
    let Some(l) = as_list(o) else { return };
    let llen = l.len() as i64;

    // convert negative indexes
    if start < 0 {
        start += llen;
    }
    if end < 0 {
        end += llen;
    }
    if start < 0 {
        start = 0;
    }

    // Invariant: start >= 0, so this test will be true when end < 0. The
    // range is empty when start > end or start >= length.
    if start > end || start >= llen {
        add_reply(c, EMPTYMULTIBULK);
        return;
    }
    if end >= llen {
        end = llen - 1;
    }
    let rangelen = (end - start) + 1;

    // Return the result in form of a multi-bulk reply
    add_reply_multi_bulk_len(c, rangelen);
    for value in l.iter_from(start as usize).take(rangelen as usize) {
        add_reply_bulk(c, value);
    }
}

/// LTRIM key start stop
///
/// C: t_list.c ltrimCommand()
pub(crate) fn ltrim_command(server: &mut RedisServer, c: &mut Client) {
    let argv = std::mem::take(&mut c.argv);
    ltrim(server, c, &argv);
    c.argv = argv;
}

/// The body of `ltrim_command`. (no C twin)
fn ltrim(server: &mut RedisServer, c: &mut Client, argv: &[Vec<u8>]) {
    let Some(mut start) = get_long_from_object_or_reply(c, &argv[2], None)
    else {
        return;
    };
    let Some(mut end) = get_long_from_object_or_reply(c, &argv[3], None) else {
        return;
    };

    let dbid = c.db;
    let key = &argv[1];
    let Some(o) = lookup_key_write_or_reply(server, c, key, OK) else {
        return;
    };
    if check_type(c, o, OBJ_LIST) {
        return;
    }
    let Some(l) = as_list(o) else { return };
    let llen = l.len() as i64;

    // convert negative indexes
    if start < 0 {
        start += llen;
    }
    if end < 0 {
        end += llen;
    }
    if start < 0 {
        start = 0;
    }

    // Invariant: start >= 0, so this test will be true when end < 0. The
    // range is empty when start > end or start >= length.
    let (ltrim, rtrim) = if start > end || start >= llen {
        // Out of range start or start > end result in empty list
        (llen, 0)
    } else {
        if end >= llen {
            end = llen - 1;
        }
        (start, llen - end - 1)
    };

    // Remove list elements to perform the trim
    l.trim(ltrim as usize, rtrim as usize);
    let empty = l.is_empty();

    notify_keyspace_event(server, NOTIFY_LIST, "ltrim", key, dbid as i32);
    if empty {
        db_delete(server, dbid, key);
        notify_keyspace_event(server, NOTIFY_GENERIC, "del", key, dbid as i32);
    }
    signal_modified_key(server, dbid, key);
    server.dirty += 1;
    add_reply(c, OK);
}

/// LREM key count element
///
/// C: t_list.c lremCommand()
pub(crate) fn lrem_command(server: &mut RedisServer, c: &mut Client) {
    let argv = std::mem::take(&mut c.argv);
    lrem(server, c, &argv);
    c.argv = argv;
}

/// The body of `lrem_command`. (no C twin)
fn lrem(server: &mut RedisServer, c: &mut Client, argv: &[Vec<u8>]) {
    let obj = &argv[3];
    if obj.len() > LIST_MAX_ITEM_SIZE {
        add_reply_error(c, "Element too large");
        return;
    }
    let Some(toremove) = get_long_from_object_or_reply(c, &argv[2], None)
    else {
        return;
    };

    let dbid = c.db;
    let key = &argv[1];
    let Some(subject) = lookup_key_write_or_reply(server, c, key, CZERO) else {
        return;
    };
    if check_type(c, subject, OBJ_LIST) {
        return;
    }
    let Some(l) = as_list(subject) else { return };
    let removed = l.remove(obj, toremove);
    let empty = l.is_empty();
    // C counts one dirty change per element removed.
    server.dirty += removed as i64;

    if removed > 0 {
        signal_modified_key(server, dbid, key);
        notify_keyspace_event(server, NOTIFY_LIST, "lrem", key, dbid as i32);
    }
    if empty {
        db_delete(server, dbid, key);
        notify_keyspace_event(server, NOTIFY_GENERIC, "del", key, dbid as i32);
    }
    add_reply_long_long(c, removed as i64);
}

// This is the semantic of this command:
//  RPOPLPUSH srclist dstlist:
//    IF LLEN(srclist) > 0
//      element = RPOP srclist
//      LPUSH dstlist element
//      RETURN element
//    ELSE
//      RETURN nil
//    END
//  END
//
// The idea is to be able to get an element from a list in a reliable way
// since the element is not just returned but pushed against another list as
// well. This command was originally proposed by Ezra Zygmuntowicz.

/// The LPUSH side of RPOPLPUSH (and of a served BRPOPLPUSH): pushes
/// `value` at the head of `dstkey` in the client's DB, creating the list
/// if `dst_exists` is false, and replies the value to `c`.
///
/// C: t_list.c rpoplpushHandlePush()
pub(crate) fn rpoplpush_handle_push(
    server: &mut RedisServer,
    c: &mut Client,
    dstkey: &[u8],
    dst_exists: bool,
    value: &[u8],
) {
    let dbid = c.db;
    // Create the list if the key does not exist
    if !dst_exists {
        let o = create_quicklist_object(server);
        db_add(server, dbid, dstkey, o);
    }
    signal_modified_key(server, dbid, dstkey);
    list_type_push(server, dbid, dstkey, value, LIST_HEAD);
    notify_keyspace_event(server, NOTIFY_LIST, "lpush", dstkey, dbid as i32);
    // Always send the pushed value to the client.
    add_reply_bulk(c, value);
}

/// RPOPLPUSH source destination
///
/// C: t_list.c rpoplpushCommand()
pub(crate) fn rpoplpush_command(server: &mut RedisServer, c: &mut Client) {
    let argv = std::mem::take(&mut c.argv);
    let rewritten = rpoplpush(server, c, &argv);
    c.argv = argv;
    if rewritten
        && c.cmd.is_some_and(|i| server.commands[i].name == "brpoplpush")
    {
        // C: rewriteClientCommandVector(c,3,shared.rpoplpush,argv[1],argv[2])
        let argv = std::mem::take(&mut c.argv);
        let mut it = argv.into_iter().skip(1);
        let (src, dst) =
            (it.next().unwrap_or_default(), it.next().unwrap_or_default());
        c.argv = vec![b"RPOPLPUSH".to_vec(), src, dst];
        c.cmd = lookup_command(server, b"rpoplpush");
    }
}

/// The body of `rpoplpush_command`; true when an element moved. (no C
/// twin)
fn rpoplpush(
    server: &mut RedisServer,
    c: &mut Client,
    argv: &[Vec<u8>],
) -> bool {
    let dbid = c.db;
    let touchedkey = &argv[1];
    let dstkey = &argv[2];
    let Some(sobj) = lookup_key_write_or_reply(server, c, touchedkey, NULLBULK)
    else {
        return false;
    };
    if check_type(c, sobj, OBJ_LIST) {
        return false;
    }
    if as_list(sobj).map_or(0, |l| l.len()) == 0 {
        // This may only happen after loading very old RDB files. Recent
        // versions of Redis delete keys of empty lists.
        add_reply(c, NULLBULK);
        return false;
    }
    let dtype = lookup_key_write(server, dbid, dstkey).map(|o| o.obj_type());
    if dtype.is_some_and(|t| t != OBJ_LIST) {
        add_reply(c, WRONGTYPEERR);
        return false;
    }
    let Some(value) = list_type_pop(server, dbid, touchedkey, LIST_TAIL) else {
        return false;
    };
    rpoplpush_handle_push(server, c, dstkey, dtype.is_some(), &value);

    // Delete the source list when it is empty
    notify_keyspace_event(server, NOTIFY_LIST, "rpop", touchedkey, dbid as i32);
    if list_type_length(server, dbid, touchedkey) == 0 {
        db_delete(server, dbid, touchedkey);
        notify_keyspace_event(
            server,
            NOTIFY_GENERIC,
            "del",
            touchedkey,
            dbid as i32,
        );
    }
    signal_modified_key(server, dbid, touchedkey);
    server.dirty += 1;
    true
}

// -----------------------------------------------------------------------------
// Blocking POP operations
// -----------------------------------------------------------------------------

/// This is a helper function for handleClientsBlockedOnKeys(). Its work is
/// to serve a specific client (receiver) that is blocked on 'key' in the
/// context of the specified 'db', doing the following:
///
/// 1) Provide the client with the 'value' element.
/// 2) If the dstkey is not `None` (we are serving a BRPOPLPUSH) also push
///    the 'value' element on the destination list (the LPUSH side of the
///    command).
/// 3) Propagate the resulting BRPOP, BLPOP and additional LPUSH if any into
///    the AOF and replication channel.
///
/// The argument 'where' is LIST_TAIL or LIST_HEAD, and indicates if the
/// 'value' element was popped from the head (BLPOP) or tail (BRPOP) so that
/// we can propagate the command properly.
///
/// Returns `Err` if the client could not be served, and the caller must
/// undo the POP: this only happens for a BRPOPLPUSH whose destination key
/// holds another type (the receiver got the WRONGTYPE error).
///
/// C: t_list.c serveClientBlockedOnList()
pub(crate) fn serve_client_blocked_on_list(
    server: &mut RedisServer,
    receiver: &mut Client,
    key: &[u8],
    dstkey: Option<&[u8]>,
    dbid: usize,
    value: &[u8],
    where_: i32,
) -> CResult {
    match dstkey {
        None => {
            // Propagate the [LR]POP operation.
            let (name, cmdname): (&[u8], &[u8]) = if where_ == LIST_HEAD {
                (b"LPOP", b"lpop")
            } else {
                (b"RPOP", b"rpop")
            };
            let cmd = lookup_command(server, cmdname).unwrap_or_default();
            propagate(
                server,
                cmd,
                dbid,
                &[name.to_vec(), key.to_vec()],
                PROPAGATE_AOF | PROPAGATE_REPL,
            );

            // BRPOP/BLPOP
            add_reply_multi_bulk_len(receiver, 2);
            add_reply_bulk(receiver, key);
            add_reply_bulk(receiver, value);

            // Notify event.
            let event = if where_ == LIST_HEAD { "lpop" } else { "rpop" };
            notify_keyspace_event(
                server,
                NOTIFY_LIST,
                event,
                key,
                receiver.db as i32,
            );
        }
        Some(dstkey) => {
            // BRPOPLPUSH
            let dtype = lookup_key_write(server, receiver.db, dstkey)
                .map(|o| o.obj_type());
            if dtype.is_some_and(|t| t != OBJ_LIST) {
                // BRPOPLPUSH failed because of wrong destination type.
                add_reply(receiver, WRONGTYPEERR);
                return Err(CErr);
            }
            // Propagate the RPOP operation.
            let rpop = lookup_command(server, b"rpop").unwrap_or_default();
            propagate(
                server,
                rpop,
                dbid,
                &[b"RPOP".to_vec(), key.to_vec()],
                PROPAGATE_AOF | PROPAGATE_REPL,
            );
            rpoplpush_handle_push(
                server,
                receiver,
                dstkey,
                dtype.is_some(),
                value,
            );
            // Propagate the LPUSH operation.
            let lpush = lookup_command(server, b"lpush").unwrap_or_default();
            let argv = [b"LPUSH".to_vec(), dstkey.to_vec(), value.to_vec()];
            propagate(
                server,
                lpush,
                dbid,
                &argv,
                PROPAGATE_AOF | PROPAGATE_REPL,
            );

            // Notify event ("lpush" was notified by rpoplpushHandlePush).
            notify_keyspace_event(
                server,
                NOTIFY_LIST,
                "rpop",
                key,
                receiver.db as i32,
            );
        }
    }
    Ok(())
}

/// Blocking RPOP/LPOP: BLPOP/BRPOP key [key ...] timeout
///
/// C: t_list.c blockingPopGenericCommand()
pub(crate) fn blocking_pop_generic_command(
    server: &mut RedisServer,
    c: &mut Client,
    where_: i32,
) {
    let argv = std::mem::take(&mut c.argv);
    let rewrite = blocking_pop_generic(server, c, &argv, where_);
    c.argv = argv;
    if let Some(j) = rewrite {
        // Replicate it as an [LR]POP instead of B[LR]POP.
        // C: rewriteClientCommandVector(c,2,shared.lpop/rpop,c->argv[j])
        let key = std::mem::take(&mut c.argv[j]);
        let (name, cmdname): (&[u8], &[u8]) = if where_ == LIST_HEAD {
            (b"LPOP", b"lpop")
        } else {
            (b"RPOP", b"rpop")
        };
        c.argv = vec![name.to_vec(), key];
        c.cmd = lookup_command(server, cmdname);
    }
}

/// The body of `blocking_pop_generic_command`; returns the index of the
/// key popped from, when the command must be rewritten as a plain pop.
/// (no C twin)
fn blocking_pop_generic(
    server: &mut RedisServer,
    c: &mut Client,
    argv: &[Vec<u8>],
    where_: i32,
) -> Option<usize> {
    let argc = argv.len();
    let timeout =
        get_timeout_from_object_or_reply(c, &argv[argc - 1], UNIT_SECONDS)
            .ok()?;
    let dbid = c.db;

    for (j, key) in argv.iter().enumerate().take(argc - 1).skip(1) {
        let Some(o) = lookup_key_write(server, dbid, key) else {
            continue;
        };
        let Some(l) = as_list(o) else {
            add_reply(c, WRONGTYPEERR);
            return None;
        };
        if l.is_empty() {
            continue;
        }
        // Non empty list, this is like a non normal [LR]POP.
        let event = if where_ == LIST_HEAD { "lpop" } else { "rpop" };
        let value = l.pop(where_)?;
        let empty = l.is_empty();

        add_reply_multi_bulk_len(c, 2);
        add_reply_bulk(c, key);
        add_reply_bulk(c, &value);
        notify_keyspace_event(server, NOTIFY_LIST, event, key, dbid as i32);
        if empty {
            db_delete(server, dbid, key);
            notify_keyspace_event(
                server,
                NOTIFY_GENERIC,
                "del",
                key,
                dbid as i32,
            );
        }
        signal_modified_key(server, dbid, key);
        server.dirty += 1;
        return Some(j);
    }

    // If we are inside a MULTI/EXEC and the list is empty the only thing we
    // can do is treating it as a timeout (even with timeout 0).
    if c.flags & CLIENT_MULTI != 0 {
        add_reply(c, NULLMULTIBULK);
        return None;
    }

    // If the list is empty or the key does not exists we must block
    block_for_keys(
        server,
        c,
        BLOCKED_LIST,
        &argv[1..argc - 1],
        timeout,
        None,
        None,
    );
    None
}

/// C: t_list.c blpopCommand()
pub(crate) fn blpop_command(server: &mut RedisServer, c: &mut Client) {
    blocking_pop_generic_command(server, c, LIST_HEAD);
}

/// C: t_list.c brpopCommand()
pub(crate) fn brpop_command(server: &mut RedisServer, c: &mut Client) {
    blocking_pop_generic_command(server, c, LIST_TAIL);
}

/// BRPOPLPUSH source destination timeout
///
/// C: t_list.c brpoplpushCommand()
pub(crate) fn brpoplpush_command(server: &mut RedisServer, c: &mut Client) {
    let argv = std::mem::take(&mut c.argv);
    let Ok(timeout) =
        get_timeout_from_object_or_reply(c, &argv[3], UNIT_SECONDS)
    else {
        c.argv = argv;
        return;
    };
    let dbid = c.db;
    let ktype = lookup_key_write(server, dbid, &argv[1]).map(|o| o.obj_type());
    match ktype {
        None => {
            if c.flags & CLIENT_MULTI != 0 {
                // Blocking against an empty list in a multi state returns
                // immediately.
                add_reply(c, NULLBULK);
            } else {
                // The list is empty and the client blocks.
                block_for_keys(
                    server,
                    c,
                    BLOCKED_LIST,
                    &argv[1..2],
                    timeout,
                    Some(argv[2].clone()),
                    None,
                );
            }
            c.argv = argv;
        }
        Some(t) if t != OBJ_LIST => {
            add_reply(c, WRONGTYPEERR);
            c.argv = argv;
        }
        Some(_) => {
            // The list exists and has elements, so the regular
            // rpoplpushCommand is executed.
            c.argv = argv;
            rpoplpush_command(server, c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(l: &List) -> Vec<String> {
        l.iter().map(|e| String::from_utf8_lossy(e).into_owned()).collect()
    }

    fn from(elems: &[&str], fill: i32) -> List {
        let mut l = List::new();
        for e in elems {
            l.push_with_fill(e.as_bytes(), LIST_TAIL, fill);
        }
        l
    }

    #[test]
    fn list_push_pop_both_ends_in_both_shapes() {
        for fill in [-2, 2] {
            let mut l = List::new();
            l.push_with_fill(b"b", LIST_TAIL, fill);
            l.push_with_fill(b"a", LIST_HEAD, fill);
            l.push_with_fill(b"c", LIST_TAIL, fill);
            assert_eq!(items(&l), ["a", "b", "c"]);
            assert_eq!(l.len(), 3);
            assert_eq!(l.pop(LIST_TAIL).as_deref(), Some(&b"c"[..]));
            assert_eq!(l.pop(LIST_HEAD).as_deref(), Some(&b"a"[..]));
            assert_eq!(l.pop(LIST_HEAD).as_deref(), Some(&b"b"[..]));
            assert_eq!(l.pop(LIST_HEAD), None);
            assert!(l.is_empty());
        }
    }

    #[test]
    fn list_packed_handles_long_elements_from_both_ends() {
        let big = "x".repeat(300);
        let l = from(&["a", &big, "", "b"], -5);
        assert!(matches!(l.0, Repr::Packed { .. }));
        assert_eq!(items(&l), ["a", big.as_str(), "", "b"]);
        let rev: Vec<&[u8]> = l.iter().rev().collect();
        assert_eq!(rev, [&b"b"[..], b"", big.as_bytes(), b"a"]);
        assert_eq!(l.index(1), Some(big.as_bytes()));
        assert_eq!(l.index(-3), Some(big.as_bytes()));
        assert_eq!(l.index(-4), Some(&b"a"[..]));
        assert_eq!(l.index(4), None);
        assert_eq!(l.index(-5), None);
        assert_eq!(l.index(i64::MIN), None);
    }

    #[test]
    fn list_leaves_packed_shape_past_fill() {
        // A count fill: 5 elements per node.
        let l = from(&["1", "2", "3", "4", "5"], 5);
        assert!(matches!(l.0, Repr::Packed { .. }));
        let l = from(&["1", "2", "3", "4", "5", "6"], 5);
        assert!(matches!(l.0, Repr::Deque(_)));
        assert_eq!(items(&l), ["1", "2", "3", "4", "5", "6"]);
        // A byte fill: -1 is 4096 bytes.
        let big = "y".repeat(5000);
        let l = from(&["a", &big], -1);
        assert!(matches!(l.0, Repr::Deque(_)));
        assert_eq!(l.index(1), Some(big.as_bytes()));
    }

    #[test]
    fn list_trim_insert_replace_remove_agree_across_shapes() {
        for fill in [-2, 1] {
            let mut l = from(&["1", "2", "3", "4", "5"], fill);
            l.trim(1, 1);
            assert_eq!(items(&l), ["2", "3", "4"]);
            assert!(l.insert(b"3", b"zz", false, fill));
            assert!(l.insert(b"4", b"yy", true, fill));
            assert!(!l.insert(b"nope", b"x", true, fill));
            assert_eq!(items(&l), ["2", "zz", "3", "4", "yy"]);
            assert!(l.replace_at_index(-1, b"last", fill));
            assert!(l.replace_at_index(0, b"first", fill));
            assert!(!l.replace_at_index(5, b"x", fill));
            assert_eq!(items(&l), ["first", "zz", "3", "4", "last"]);
            l.trim(10, 0);
            assert!(l.is_empty());

            let mut l = from(&["a", "x", "b", "x", "c", "x"], fill);
            assert_eq!(l.remove(b"x", -2), 2);
            assert_eq!(items(&l), ["a", "x", "b", "c"]);
            assert_eq!(l.remove(b"x", 0), 1);
            assert_eq!(l.remove(b"nope", 1), 0);
            let mut l = from(&["x", "a", "x", "x"], fill);
            assert_eq!(l.remove(b"x", 2), 2);
            assert_eq!(items(&l), ["a", "x"]);
            assert_eq!(l.len(), 2);
        }
    }

    #[test]
    fn list_iter_from_skips_to_the_start() {
        for fill in [-2, 1] {
            let l = from(&["a", "b", "c"], fill);
            let got: Vec<&[u8]> = l.iter_from(1).collect();
            assert_eq!(got, [&b"b"[..], b"c"]);
            assert_eq!(l.iter_from(3).count(), 0);
            assert_eq!(l.iter_from(9).count(), 0);
        }
    }
}
