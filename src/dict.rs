//! The hash table behind the keyspace, the expires table, sets and hashes:
//! chained buckets in power-of-two tables. When a table must grow or shrink,
//! a second table is allocated and the entries move over a few buckets at a
//! time (incremental rehashing), so no single command pays for moving
//! millions of keys.
//!
//! Ports dict.c and dict.h from Redis 5.0.14, in the same order.
//!
//! Before reading: C's `dictType` callbacks are gone. Keys are byte strings
//! (`K: AsRef<[u8]>`) hashed with SipHash and compared byte for byte, which
//! is what the keyspace's `dictSdsHash`/`dictSdsKeyCompare` do; key and value
//! destructors are `Drop`. C's iterators become `Dict::iter`: the borrow
//! checker forbids changing the dict while a borrowed iterator lives, which
//! is the misuse C's unsafe-iterator fingerprint catches, so neither
//! `dictFingerprint` nor the safe iterator is ported (a caller that deletes
//! while walking collects the keys first). Not ported either:
//! `dictFindEntryRefByPtrAndHash` (active defrag only), the `bucketfn` of
//! `dictScan` (defrag only) and the `DICT_BENCHMARK_MAIN` program.

use std::mem;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use siphasher::sip::SipHasher13;

// ---------------------------------- dict.h ----------------------------------

/// C's `DICT_ERR`: the operation was refused (already rehashing, a size
/// that cannot hold the elements, a resize while resizing is disabled).
/// `Ok(())` plays `DICT_OK`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DictErr;

/// What C's `DICT_OK`/`DICT_ERR` functions return.
pub(crate) type DictResult = Result<(), DictErr>;

/// One key, its value and the next entry of the same bucket. C's `v` union
/// (pointer, u64, s64, double) is the type parameter `V`.
///
/// C: dict.h dictEntry
pub(crate) struct DictEntry<K, V> {
    key: K,
    v: V,
    next: Option<Box<DictEntry<K, V>>>,
}

impl<K, V> DictEntry<K, V> {
    /// The entry's key. There is no `&mut` twin: changing a key in place
    /// would leave it in the wrong bucket.
    ///
    /// C: dict.h dictGetKey()
    pub(crate) fn key(&self) -> &K {
        &self.key
    }

    /// The entry's value.
    ///
    /// C: dict.h dictGetVal()
    pub(crate) fn val(&self) -> &V {
        &self.v
    }
}

/// One bucket: the head of a chain of entries, or empty (C: a `dictEntry *`
/// slot of `dictht.table`).
type DictBucket<K, V> = Option<Box<DictEntry<K, V>>>;

/// One hash table. Every dict has two, for incremental rehashing from the
/// old (`ht[0]`) to the new (`ht[1]`). `size` is always zero or a power of
/// two and `sizemask` is `size - 1`, so `hash & sizemask` picks the bucket.
/// C's `unsigned long` fields are `usize`: the same width on the 64-bit
/// targets we build for, and they index `table`.
///
/// C: dict.h dictht
pub(crate) struct DictHt<K, V> {
    // C's `dictEntry **table`. A boxed slice rather than a Vec: the table
    // never grows in place (a resize builds a new one), and the 8 bytes of
    // capacity would be paid twice by every small set and hash.
    table: Box<[DictBucket<K, V>]>,
    size: usize,
    sizemask: usize,
    used: usize,
}

/// A hash table that rehashes incrementally. While `rehashidx` is not -1,
/// the buckets of `ht[0]` below `rehashidx` are empty and new keys go to
/// `ht[1]`; lookups search both tables.
///
/// C: dict.h dict
pub(crate) struct Dict<K, V> {
    ht: [DictHt<K, V>; 2],
    /// Rehashing is not in progress if `rehashidx == -1`.
    rehashidx: i64,
    /// Number of safe iterators running; rehash steps wait while it is not
    /// zero. Nothing in the port increments it (see the module doc); it is
    /// kept so `_dict_rehash_step` reads as in C.
    iterators: u64,
}

/// The initial size of every hash table.
///
/// C: dict.h DICT_HT_INITIAL_SIZE
pub(crate) const DICT_HT_INITIAL_SIZE: usize = 4;

// ------------------------------------------------------------------------
// dict.c starts here.
// ------------------------------------------------------------------------

/// Whether tables may be resized. The server turns this off while a child
/// is saving: moving memory around would defeat copy-on-write. Even when it
/// is off, a table still grows once it holds more than
/// `DICT_FORCE_RESIZE_RATIO` elements per bucket.
///
/// C: dict.c dict_can_resize
static DICT_CAN_RESIZE: AtomicBool = AtomicBool::new(true);

/// The elements-per-bucket ratio above which a table grows even while
/// resizing is disabled.
///
/// C: dict.c dict_force_resize_ratio
const DICT_FORCE_RESIZE_RATIO: usize = 5;

// ----------------------------- hash functions -------------------------------

/// The 16-byte SipHash key. The server fills it from random bytes at
/// startup, so clients cannot choose keys that collide; it is all zero until
/// then. Held as the two little-endian halves siphash.c reads it as.
///
/// C: dict.c dict_hash_function_seed
static DICT_HASH_FUNCTION_SEED: [AtomicU64; 2] =
    [AtomicU64::new(0), AtomicU64::new(0)];

/// Sets the hash seed. Call it before any dict holds keys: a different seed
/// puts existing keys in the wrong buckets.
///
/// C: dict.c dictSetHashFunctionSeed()
pub(crate) fn dict_set_hash_function_seed(seed: &[u8; 16]) {
    let (k0, k1) = seed.split_at(8);
    let k0 = u64::from_le_bytes(k0.try_into().expect("split at 8 of 16"));
    let k1 = u64::from_le_bytes(k1.try_into().expect("split at 8 of 16"));
    DICT_HASH_FUNCTION_SEED[0].store(k0, Ordering::Relaxed);
    DICT_HASH_FUNCTION_SEED[1].store(k1, Ordering::Relaxed);
}

/// Returns the hash seed, as `dict_set_hash_function_seed` took it.
///
/// C: dict.c dictGetHashFunctionSeed()
#[cfg(test)] // only the unit tests call it
pub(crate) fn dict_get_hash_function_seed() -> [u8; 16] {
    let mut seed = [0u8; 16];
    let k0 = DICT_HASH_FUNCTION_SEED[0].load(Ordering::Relaxed);
    let k1 = DICT_HASH_FUNCTION_SEED[1].load(Ordering::Relaxed);
    seed[..8].copy_from_slice(&k0.to_le_bytes());
    seed[8..].copy_from_slice(&k1.to_le_bytes());
    seed
}

/// A keyed SipHash of the seed's current value (no C twin).
fn seeded_siphasher() -> SipHasher13 {
    SipHasher13::new_with_keys(
        DICT_HASH_FUNCTION_SEED[0].load(Ordering::Relaxed),
        DICT_HASH_FUNCTION_SEED[1].load(Ordering::Relaxed),
    )
}

/// The hash of every dict key: SipHash keyed with the process-wide seed.
///
/// C: dict.c dictGenHashFunction()
#[inline]
pub(crate) fn dict_gen_hash_function(key: &[u8]) -> u64 {
    // Divergence from C: Redis 5.0's siphash.c runs SipHash-1-2; the
    // siphasher crate offers 1-3 as its cheapest variant. Hash values differ
    // from C's, which nothing observable depends on (SCAN cursors are only
    // meaningful to the server that issued them).
    seeded_siphasher().hash(key)
}

/// The case-insensitive hash, for dicts whose keys compare ignoring ASCII
/// case (the command table, CONFIG names). Equal to
/// `dict_gen_hash_function` of the lower-cased bytes.
///
/// C: dict.c dictGenCaseHashFunction()
#[cfg(test)] // only the unit tests call it
pub(crate) fn dict_gen_case_hash_function(buf: &[u8]) -> u64 {
    use std::hash::Hasher;

    // siphash_nocase lower-cases each byte as it reads it. SipHash is a
    // stream, so feeding lower-cased chunks gives the same value without
    // copying the whole key.
    let mut hasher = seeded_siphasher();
    let mut chunk = [0u8; 64];
    for part in buf.chunks(chunk.len()) {
        for (dst, src) in chunk.iter_mut().zip(part) {
            *dst = src.to_ascii_lowercase();
        }
        hasher.write(&chunk[..part.len()]);
    }
    hasher.finish()
}

// --------------------------- API implementation -----------------------------

impl<K, V> DictHt<K, V> {
    /// An unallocated table: no buckets, nothing used.
    ///
    /// C: dict.c _dictReset()
    fn _dict_reset() -> Self {
        DictHt { table: Box::new([]), size: 0, sizemask: 0, used: 0 }
    }
}

impl<K: AsRef<[u8]>, V> Default for Dict<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: AsRef<[u8]>, V> Dict<K, V> {
    /// Creates an empty dict. No table is allocated until the first add.
    ///
    /// C: dict.c dictCreate()
    pub fn new() -> Self {
        // C: _dictInit()
        Dict {
            ht: [DictHt::_dict_reset(), DictHt::_dict_reset()],
            rehashidx: -1,
            iterators: 0,
        }
    }

    /// Number of elements in both tables.
    ///
    /// C: dict.h dictSize()
    pub(crate) fn dict_size(&self) -> usize {
        self.ht[0].used + self.ht[1].used
    }

    /// Number of buckets in both tables.
    ///
    /// C: dict.h dictSlots()
    pub(crate) fn dict_slots(&self) -> usize {
        self.ht[0].size + self.ht[1].size
    }

    /// Whether a rehash from `ht[0]` to `ht[1]` is in progress.
    ///
    /// C: dict.h dictIsRehashing()
    pub(crate) fn dict_is_rehashing(&self) -> bool {
        self.rehashidx != -1
    }

    /// Same as `dict_size` (no C twin; the name Rust code and clippy expect).
    #[cfg(test)] // only the unit tests call it
    pub(crate) fn len(&self) -> usize {
        self.dict_size()
    }

    /// Whether the dict holds no element (no C twin).
    #[cfg(test)] // only the unit tests call it
    pub(crate) fn is_empty(&self) -> bool {
        self.dict_size() == 0
    }

    /// Shrinks the table to the smallest power of two that holds every
    /// element at a ratio near one element per bucket. `server_cron` calls
    /// it when `ht_needs_resize` says the table is mostly empty. Refused
    /// while resizing is disabled or a rehash is running.
    ///
    /// C: dict.c dictResize()
    pub(crate) fn dict_resize(&mut self) -> DictResult {
        if !DICT_CAN_RESIZE.load(Ordering::Relaxed) || self.dict_is_rehashing()
        {
            return Err(DictErr);
        }
        // Divergence from C: C keeps `minimal` in an int, which wraps past
        // 2^31 elements; usize does not.
        let mut minimal = self.ht[0].used;
        if minimal < DICT_HT_INITIAL_SIZE {
            minimal = DICT_HT_INITIAL_SIZE;
        }
        self.dict_expand(minimal)
    }

    /// Creates the first table, or allocates `ht[1]` with room for `size`
    /// elements (rounded up to a power of two) and starts rehashing into it.
    /// Refused while rehashing, if `size` cannot hold the current elements,
    /// or if the new table would be the same size as the old.
    ///
    /// C: dict.c dictExpand()
    pub(crate) fn dict_expand(&mut self, size: usize) -> DictResult {
        // A size smaller than the number of elements already inside is
        // invalid.
        if self.dict_is_rehashing() || self.ht[0].used > size {
            return Err(DictErr);
        }

        let realsize = _dict_next_power(size);

        // Rehashing to the same table size is not useful.
        if realsize == self.ht[0].size {
            return Err(DictErr);
        }

        // The new table, every bucket empty (C: zcalloc).
        let n = DictHt {
            table: (0..realsize).map(|_| None).collect(),
            size: realsize,
            sizemask: realsize - 1,
            used: 0,
        };

        // The first initialization is not a rehash: the new table simply
        // becomes the one that takes keys.
        if self.ht[0].size == 0 {
            self.ht[0] = n;
            return Ok(());
        }

        // Prepare the second table for incremental rehashing.
        self.ht[1] = n;
        self.rehashidx = 0;
        Ok(())
    }

    /// Performs `n` steps of incremental rehashing, a step being the move
    /// of one whole bucket (all of its chain) from `ht[0]` to `ht[1]`.
    /// Returns true if keys remain to be moved, false when the rehash is
    /// done (or none was running).
    ///
    /// Because part of the table may be empty, the function visits at most
    /// `n * 10` empty buckets in total and then returns, so one call is
    /// bounded even if it moves no bucket at all.
    ///
    /// C: dict.c dictRehash()
    pub(crate) fn dict_rehash(&mut self, mut n: i32) -> bool {
        // Max number of empty buckets to visit.
        let mut empty_visits = n * 10;
        if !self.dict_is_rehashing() {
            return false;
        }

        while n != 0 && self.ht[0].used != 0 {
            n -= 1;

            // rehashidx cannot run off the end: ht[0].used != 0 means a
            // full bucket remains at or after it.
            assert!(
                self.ht[0].size > self.rehashidx as usize,
                "dict rehashidx past the end of ht[0]"
            );
            while self.ht[0].table[self.rehashidx as usize].is_none() {
                self.rehashidx += 1;
                empty_visits -= 1;
                if empty_visits == 0 {
                    return true;
                }
            }
            // Move every key of this bucket to the new table.
            let mut de = self.ht[0].table[self.rehashidx as usize].take();
            while let Some(mut e) = de {
                de = e.next.take();
                // Its index in the new table.
                let h = dict_gen_hash_function(e.key.as_ref()) as usize
                    & self.ht[1].sizemask;
                e.next = self.ht[1].table[h].take();
                self.ht[1].table[h] = Some(e);
                self.ht[0].used -= 1;
                self.ht[1].used += 1;
            }
            self.rehashidx += 1;
        }

        // Is the whole table rehashed? Then the new table becomes ht[0].
        if self.ht[0].used == 0 {
            self.ht[0] = mem::replace(&mut self.ht[1], DictHt::_dict_reset());
            self.rehashidx = -1;
            return false;
        }

        // More to rehash.
        true
    }

    /// Rehashes in batches of 100 steps for about `ms` milliseconds (at
    /// most one more). The server cron calls it on idle databases, which
    /// would otherwise keep two tables for a long time. Returns the number of
    /// steps asked for, a multiple of 100.
    ///
    /// C: dict.c dictRehashMilliseconds()
    pub(crate) fn dict_rehash_milliseconds(&mut self, ms: i32) -> i32 {
        let start = time_in_milliseconds();
        let mut rehashes = 0;

        while self.dict_rehash(100) {
            rehashes += 100;
            if time_in_milliseconds() - start > i64::from(ms) {
                break;
            }
        }
        rehashes
    }

    /// One rehash step, piggy-backed on the lookups and updates that use the
    /// dict, so that a busy table migrates by itself. Skipped while a safe
    /// iterator is running: moving entries under it could skip or repeat
    /// some.
    ///
    /// C: dict.c _dictRehashStep()
    fn _dict_rehash_step(&mut self) {
        if self.iterators == 0 {
            self.dict_rehash(1);
        }
    }

    /// Adds `key` with `val`. Fails if the key is already present, handing
    /// the pair back.
    ///
    /// C: dict.c dictAdd()
    pub(crate) fn dict_add(&mut self, key: K, val: V) -> Result<(), (K, V)> {
        self.dict_add_raw(key, val).map(|_| ())
    }

    /// Low-level add: adds the pair and returns the new value in place, so
    /// the caller can keep filling it in. Fails if the key exists, handing
    /// the pair back.
    ///
    /// The new entry goes at the head of its bucket, on the assumption that
    /// recently added keys are the ones accessed most.
    ///
    /// C: dict.c dictAddRaw()
    pub(crate) fn dict_add_raw(
        &mut self,
        key: K,
        val: V,
    ) -> Result<&mut V, (K, V)> {
        if self.dict_is_rehashing() {
            self._dict_rehash_step();
        }

        // The index of the new element, or None if it already exists.
        let hash = dict_gen_hash_function(key.as_ref());
        let Some(index) = self._dict_key_index(key.as_ref(), hash) else {
            return Err((key, val));
        };

        Ok(self.link_new_entry(index, key, val))
    }

    /// Puts a new entry at the head of bucket `index` of the table new keys
    /// go to (`ht[1]` while rehashing) and returns its value (no C twin: the
    /// second half of dictAddRaw, shared with `dict_replace`).
    fn link_new_entry(&mut self, index: usize, key: K, val: V) -> &mut V {
        let ht = if self.dict_is_rehashing() {
            &mut self.ht[1]
        } else {
            &mut self.ht[0]
        };
        let next = ht.table[index].take();
        ht.used += 1;
        let entry =
            ht.table[index].insert(Box::new(DictEntry { key, v: val, next }));
        &mut entry.v
    }

    /// Adds the pair, or overwrites the value if the key exists (dropping
    /// the old value after the new one is in place, as C frees it after).
    /// Returns true if the key was added from scratch, false if only the
    /// value was updated; in that case the `key` passed in is dropped and the
    /// stored key kept.
    ///
    /// C: dict.c dictReplace()
    #[cfg(test)] // only the unit tests call it
    pub(crate) fn dict_replace(&mut self, key: K, val: V) -> bool {
        if self.dict_is_rehashing() {
            self._dict_rehash_step();
        }
        let hash = dict_gen_hash_function(key.as_ref());

        // C calls dictAddRaw(d,key,&existing), whose _dictKeyIndex expands
        // the table and walks the chains. Here the walk hands back the
        // existing entry instead, and the free index is the one
        // _dictKeyIndex computes: hash & sizemask of the table new keys go
        // to. One hash, one walk, as in C.
        self._dict_expand_if_needed()
            .expect("a table that cannot double: C crashes here on NULL");
        if let Some(existing) = self.find_hashed_mut(key.as_ref(), hash) {
            // Set the new value, then drop the old one.
            let old = mem::replace(&mut existing.v, val);
            drop(old);
            return false;
        }
        let table = usize::from(self.dict_is_rehashing());
        let index = hash as usize & self.ht[table].sizemask;
        self.link_new_entry(index, key, val);
        true
    }

    /// Returns the value of `key`, adding it first with the value `val()`
    /// if it is not there (the `key` passed in is dropped in that case).
    ///
    /// C: dict.c dictAddOrFind()
    pub(crate) fn dict_add_or_find(
        &mut self,
        key: K,
        val: impl FnOnce() -> V,
    ) -> &mut V {
        if self.dict_is_rehashing() {
            self._dict_rehash_step();
        }
        let hash = dict_gen_hash_function(key.as_ref());
        if let Some(index) = self._dict_key_index(key.as_ref(), hash) {
            return self.link_new_entry(index, key, val());
        }
        // The borrow checker cannot let _dict_key_index return the found
        // entry and leave `self` free for the insert path, so the existing
        // key is looked up again: one more walk of its short chain, no
        // second hash.
        self.find_hashed_mut(key.as_ref(), hash)
            .map(|e| &mut e.v)
            .expect("_dict_key_index reported the key as present")
    }

    /// Finds `key` and unlinks its entry from its chain, returning it. The
    /// common part of `dict_delete` and `dict_unlink`.
    ///
    /// C: dict.c dictGenericDelete()
    fn dict_generic_delete(
        &mut self,
        key: &[u8],
    ) -> Option<Box<DictEntry<K, V>>> {
        if self.ht[0].used == 0 && self.ht[1].used == 0 {
            return None;
        }

        if self.dict_is_rehashing() {
            self._dict_rehash_step();
        }
        let h = dict_gen_hash_function(key);

        for table in 0..=1 {
            let rehashing = self.dict_is_rehashing();
            let ht = &mut self.ht[table];
            let idx = h as usize & ht.sizemask;
            // `link` is C's "prevHe->next, or the bucket head".
            let mut link = &mut ht.table[idx];
            while link.as_ref().is_some_and(|he| he.key.as_ref() != key) {
                link = &mut link.as_mut().expect("checked by the loop").next;
            }
            if let Some(mut he) = link.take() {
                // Unlink the element from the list.
                *link = he.next.take();
                ht.used -= 1;
                return Some(he);
            }
            if !rehashing {
                break;
            }
        }
        None // not found
    }

    /// Removes `key` and drops its key and value. Returns whether it was
    /// there (C: `DICT_OK` / `DICT_ERR`).
    ///
    /// C: dict.c dictDelete()
    pub(crate) fn dict_delete(&mut self, key: &[u8]) -> bool {
        self.dict_generic_delete(key).is_some()
    }

    /// Removes `key` and hands back its key and value instead of dropping
    /// them, so a caller can use the value of the entry it deletes with one
    /// lookup instead of a find followed by a delete. C's
    /// `dictFreeUnlinkedEntry` is dropping the returned pair.
    ///
    /// C: dict.c dictUnlink()
    pub(crate) fn dict_unlink(&mut self, key: &[u8]) -> Option<(K, V)> {
        self.dict_generic_delete(key).map(|he| {
            let DictEntry { key, v, .. } = *he;
            (key, v)
        })
    }
}

impl<K, V> DictHt<K, V> {
    /// Drops every entry of this table and frees its buckets. `callback`,
    /// if any, runs once every 65536 buckets, so that emptying a huge
    /// database can keep a replication link alive.
    ///
    /// C: dict.c _dictClear()
    fn _dict_clear(&mut self, mut callback: Option<&mut (dyn FnMut() + '_)>) {
        // Drop all the elements. Chains are taken apart one entry at a time
        // rather than by dropping the head, which would recurse once per
        // entry.
        let mut i = 0;
        while i < self.size && self.used > 0 {
            if let Some(cb) = callback.as_deref_mut() {
                if i & 65535 == 0 {
                    cb();
                }
            }
            let mut he = self.table[i].take();
            while let Some(mut e) = he {
                he = e.next.take();
                self.used -= 1;
            }
            i += 1;
        }
        // Free the table and re-initialize it.
        *self = DictHt::_dict_reset();
    }
}

impl<K, V> Drop for Dict<K, V> {
    /// Drops every entry and both tables.
    ///
    /// C: dict.c dictRelease()
    fn drop(&mut self) {
        self.ht[0]._dict_clear(None);
        self.ht[1]._dict_clear(None);
    }
}

impl<K: AsRef<[u8]>, V> Dict<K, V> {
    /// Looks `key` up in the table(s) with its hash already computed: the
    /// walk of dictFind without its rehash step (no C twin).
    fn find_hashed(&self, key: &[u8], h: u64) -> Option<&DictEntry<K, V>> {
        for table in 0..=1 {
            let ht = &self.ht[table];
            let idx = h as usize & ht.sizemask;
            let mut he = ht.table[idx].as_deref();
            while let Some(e) = he {
                if e.key.as_ref() == key {
                    return Some(e);
                }
                he = e.next.as_deref();
            }
            if !self.dict_is_rehashing() {
                return None;
            }
        }
        None
    }

    /// `find_hashed` handing out the entry mutably (no C twin). The caller
    /// checks the dict is not empty: an unallocated table has no bucket 0.
    fn find_hashed_mut(
        &mut self,
        key: &[u8],
        h: u64,
    ) -> Option<&mut DictEntry<K, V>> {
        fn walk<'a, K: AsRef<[u8]>, V>(
            mut he: Option<&'a mut DictEntry<K, V>>,
            key: &[u8],
        ) -> Option<&'a mut DictEntry<K, V>> {
            while let Some(e) = he {
                if e.key.as_ref() == key {
                    return Some(e);
                }
                he = e.next.as_deref_mut();
            }
            None
        }

        let rehashing = self.dict_is_rehashing();
        // The two tables are borrowed apart so that a hit in ht[0] can be
        // returned while ht[1] is still searchable.
        let [t0, t1] = &mut self.ht;
        if t0.size == 0 {
            return None;
        }
        let idx0 = h as usize & t0.sizemask;
        if let Some(e) = walk(t0.table[idx0].as_deref_mut(), key) {
            return Some(e);
        }
        if !rehashing {
            return None;
        }
        let idx1 = h as usize & t1.sizemask;
        walk(t1.table[idx1].as_deref_mut(), key)
    }

    /// Returns the entry of `key`, doing a rehash step first as C does.
    ///
    /// C: dict.c dictFind()
    pub(crate) fn dict_find(&mut self, key: &[u8]) -> Option<&DictEntry<K, V>> {
        if self.ht[0].used + self.ht[1].used == 0 {
            return None; // dict is empty
        }
        if self.dict_is_rehashing() {
            self._dict_rehash_step();
        }
        let h = dict_gen_hash_function(key);
        self.find_hashed(key, h)
    }

    /// Returns the entry of `key` through a shared borrow, for callers that
    /// only read (a saving child, INFO, tests).
    ///
    /// C: dict.c dictFind()
    pub(crate) fn find(&self, key: &[u8]) -> Option<&DictEntry<K, V>> {
        // Divergence from C: a shared borrow cannot move buckets, so this
        // lookup does no rehash step; `dict_find` and `find_mut` do.
        if self.ht[0].used + self.ht[1].used == 0 {
            return None; // dict is empty
        }
        self.find_hashed(key, dict_gen_hash_function(key))
    }

    /// Returns the value of `key` for changing in place, doing a rehash step
    /// first as dictFind does.
    ///
    /// C: dict.c dictFind()
    pub(crate) fn find_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        if self.ht[0].used + self.ht[1].used == 0 {
            return None; // dict is empty
        }
        if self.dict_is_rehashing() {
            self._dict_rehash_step();
        }
        let h = dict_gen_hash_function(key);
        self.find_hashed_mut(key, h).map(|e| &mut e.v)
    }

    /// Returns the value of `key`, with dictFind's rehash step.
    ///
    /// C: dict.c dictFetchValue()
    #[cfg(test)] // only the unit tests call it
    pub(crate) fn dict_fetch_value(&mut self, key: &[u8]) -> Option<&V> {
        self.dict_find(key).map(|he| &he.v)
    }

    /// Iterates over every entry of both tables: `ht[0]` bucket by bucket,
    /// then `ht[1]`. Nothing can change the dict while the iterator lives,
    /// so it plays both of C's iterators; no rehash step happens during the
    /// walk.
    ///
    /// C: dict.c dictGetIterator()
    pub fn iter(&self) -> DictIter<'_, K, V> {
        DictIter {
            buckets: self.ht[0].table.iter().chain(self.ht[1].table.iter()),
            entry: None,
            remaining: self.dict_size(),
        }
    }

    /// Iterates over every key with its value open for changing (no C
    /// twin: C changes values through the entry a `dictNext` returns).
    #[cfg(test)] // only the unit tests call it
    pub(crate) fn iter_mut(&mut self) -> DictIterMut<'_, K, V> {
        let remaining = self.dict_size();
        let [t0, t1] = &mut self.ht;
        DictIterMut {
            buckets: t0.table.iter_mut().chain(t1.table.iter_mut()),
            entry: None,
            remaining,
        }
    }
}

/// The buckets of `ht[0]` followed by those of `ht[1]`.
type Buckets<'a, K, V> = std::iter::Chain<
    std::slice::Iter<'a, DictBucket<K, V>>,
    std::slice::Iter<'a, DictBucket<K, V>>,
>;

/// The buckets of both tables, mutably.
#[cfg(test)] // only the unit tests call it
type BucketsMut<'a, K, V> = std::iter::Chain<
    std::slice::IterMut<'a, DictBucket<K, V>>,
    std::slice::IterMut<'a, DictBucket<K, V>>,
>;

/// A walk over every entry of a dict, from `Dict::iter`.
///
/// C: dict.h dictIterator
pub(crate) struct DictIter<'a, K, V> {
    buckets: Buckets<'a, K, V>,
    /// The next entry of the current chain (C: `nextEntry`).
    entry: Option<&'a DictEntry<K, V>>,
    remaining: usize,
}

impl<'a, K, V> Iterator for DictIter<'a, K, V> {
    type Item = &'a DictEntry<K, V>;

    /// Returns the next entry: the rest of the current chain, then the
    /// next non-empty bucket.
    ///
    /// C: dict.c dictNext()
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(e) = self.entry {
                self.entry = e.next.as_deref();
                self.remaining -= 1;
                return Some(e);
            }
            self.entry = self.buckets.next()?.as_deref();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K, V> ExactSizeIterator for DictIter<'_, K, V> {}

impl<'a, K: AsRef<[u8]>, V> IntoIterator for &'a Dict<K, V> {
    type Item = &'a DictEntry<K, V>;
    type IntoIter = DictIter<'a, K, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// A walk over every key and mutable value, from `Dict::iter_mut` (no C
/// twin).
#[cfg(test)] // only the unit tests call it
pub(crate) struct DictIterMut<'a, K, V> {
    buckets: BucketsMut<'a, K, V>,
    entry: Option<&'a mut DictEntry<K, V>>,
    remaining: usize,
}

#[cfg(test)]
impl<'a, K, V> Iterator for DictIterMut<'a, K, V> {
    type Item = (&'a K, &'a mut V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(e) = self.entry.take() {
                let DictEntry { key, v, next } = e;
                self.entry = next.as_deref_mut();
                self.remaining -= 1;
                return Some((&*key, v));
            }
            self.entry = self.buckets.next()?.as_deref_mut();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

#[cfg(test)]
impl<K, V> ExactSizeIterator for DictIterMut<'_, K, V> {}

/// The process-wide state of `random` (no C twin: glibc keeps random()'s
/// state the same way, one per process).
static RANDOM_STATE: AtomicU64 = AtomicU64::new(0x853c_49e6_748f_ea9b);

/// Seeds the generator behind `dict_get_random_key` and
/// `dict_get_some_keys`; `main` calls it where C calls `srand()` (no C
/// twin).
pub(crate) fn dict_seed_random(seed: u64) {
    RANDOM_STATE.store(seed, Ordering::Relaxed);
}

/// A pseudo-random number for the sampling functions below (no C twin:
/// stands in for libc `random()`).
pub(crate) fn random() -> u64 {
    // Divergence from C: splitmix64 rather than glibc's random(), so the
    // sequence differs and all 64 bits are random rather than 31; only the
    // sampling's randomness matters, not its sequence. The state advances
    // with one atomic add, so test threads sharing it stay race-free.
    const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut z =
        RANDOM_STATE.fetch_add(GAMMA, Ordering::Relaxed).wrapping_add(GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl<K: AsRef<[u8]>, V> Dict<K, V> {
    /// Returns a random entry, for randomized algorithms (RANDOMKEY,
    /// SPOP, eviction and expiry sampling): a random non-empty bucket, then
    /// a random element of its chain. Keys in long chains are therefore
    /// less likely to be picked than keys alone in their bucket.
    ///
    /// C: dict.c dictGetRandomKey()
    pub(crate) fn dict_get_random_key(&mut self) -> Option<&DictEntry<K, V>> {
        if self.dict_size() == 0 {
            return None;
        }
        if self.dict_is_rehashing() {
            self._dict_rehash_step();
        }
        let orighe = if self.dict_is_rehashing() {
            let rehashidx = self.rehashidx as usize;
            let (s0, s1) = (self.ht[0].size, self.ht[1].size);
            loop {
                // There are no elements in ht[0] from index 0 to
                // rehashidx-1, so draw from the buckets after them.
                let h = rehashidx + (random() as usize % (s0 + s1 - rehashidx));
                let he = if h >= s0 {
                    self.ht[1].table[h - s0].as_deref()
                } else {
                    self.ht[0].table[h].as_deref()
                };
                if let Some(he) = he {
                    break he;
                }
            }
        } else {
            loop {
                let h = random() as usize & self.ht[0].sizemask;
                if let Some(he) = self.ht[0].table[h].as_deref() {
                    break he;
                }
            }
        };

        // We found a non-empty bucket, but it is a chain and we need a
        // random element of it. The only sane way is to count the elements
        // and pick a random index.
        let mut listlen = 0usize;
        let mut he = Some(orighe);
        while let Some(e) = he {
            he = e.next.as_deref();
            listlen += 1;
        }
        let mut listele = random() as usize % listlen;
        let mut he = orighe;
        while listele > 0 {
            he = he.next.as_deref().expect("listele < listlen");
            listele -= 1;
        }
        Some(he)
    }

    /// Samples up to `count` entries from random places in the dict, much
    /// faster than `count` calls of `dict_get_random_key`: it picks a
    /// random bucket and then collects whole chains from consecutive
    /// buckets. Use it to sample (eviction, expiry), not where a fair
    /// distribution matters.
    ///
    /// It may return fewer than `count` entries (if the dict holds fewer,
    /// or not enough were found in `count * 10` steps), and it may return
    /// the same entry twice, though it tries not to.
    ///
    /// C: dict.c dictGetSomeKeys()
    pub(crate) fn dict_get_some_keys(
        &mut self,
        count: u32,
    ) -> Vec<&DictEntry<K, V>> {
        let mut count = count as usize;
        if self.dict_size() < count {
            count = self.dict_size();
        }
        let mut maxsteps = count * 10;

        // Do rehashing work proportional to 'count'.
        for _ in 0..count {
            if self.dict_is_rehashing() {
                self._dict_rehash_step();
            } else {
                break;
            }
        }

        // 1 or 2 tables?
        let tables = if self.dict_is_rehashing() { 2 } else { 1 };
        let mut maxsizemask = self.ht[0].sizemask;
        if tables > 1 && maxsizemask < self.ht[1].sizemask {
            maxsizemask = self.ht[1].sizemask;
        }

        // Pick a random point inside the larger table.
        let mut des = Vec::with_capacity(count);
        let mut i = random() as usize & maxsizemask;
        let mut emptylen = 0; // Continuous empty entries so far.
        while des.len() < count && maxsteps != 0 {
            maxsteps -= 1;
            for j in 0..tables {
                // The rehashing invariant: ht[0] has no populated bucket
                // below rehashidx, so skip ht[0] for those indexes.
                if tables == 2 && j == 0 && i < self.rehashidx as usize {
                    // Moreover, if we are also out of range in the second
                    // table, neither table has elements up to rehashidx, so
                    // jump there (this happens when shrinking).
                    if i >= self.ht[1].size {
                        i = self.rehashidx as usize;
                    } else {
                        continue;
                    }
                }
                if i >= self.ht[j].size {
                    continue; // Out of range for this table.
                }
                let mut he = self.ht[j].table[i].as_deref();

                // Count contiguous empty buckets, and jump elsewhere if
                // they reach 'count' (with a minimum of 5).
                if he.is_none() {
                    emptylen += 1;
                    if emptylen >= 5 && emptylen > count {
                        i = random() as usize & maxsizemask;
                        emptylen = 0;
                    }
                } else {
                    emptylen = 0;
                    // Collect every element of a non-empty bucket.
                    while let Some(e) = he {
                        des.push(e);
                        he = e.next.as_deref();
                        if des.len() == count {
                            return des;
                        }
                    }
                }
            }
            i = (i + 1) & maxsizemask;
        }
        des
    }
}

/// Reverses the bits of `v`. C uses the parallel algorithm from the
/// Stanford bit-hacks page; `reverse_bits` computes the same value.
///
/// C: dict.c rev()
fn rev(v: u64) -> u64 {
    v.reverse_bits()
}

impl<K: AsRef<[u8]>, V> Dict<K, V> {
    /// One step of a SCAN over the dict. Start with cursor 0; each call
    /// passes every entry of one bucket (and, while rehashing, of the
    /// matching buckets of the larger table) to `f` and returns the next
    /// cursor; 0 means the scan is over.
    ///
    /// Every element present from the start to the end of the scan is
    /// returned at least once, even if the table grows or shrinks between
    /// calls; some may come back more than once.
    ///
    /// How it works (the algorithm is Pieter Noordhuis's): tables are powers
    /// of two, so a key's bucket is the low bits of its hash. The cursor is
    /// incremented from its high bits down: reverse the bits, add one,
    /// reverse back.
    ///
    /// If the table grows, say from 16 buckets (mask 1111) to 64 (mask
    /// 111111), the keys of bucket 1100 can only land in ??1100. Counting
    /// high bits first means that, once 1100 was visited, the cursor never
    /// again produces a value ending in 1100 (or in any other 4-bit suffix
    /// already done), so nothing must be restarted.
    ///
    /// If the table shrinks, say from 16 to 8, a 3-bit suffix whose 4-bit
    /// expansions (0111 and 1111) were both visited is not visited again,
    /// again because the high bit was counted first.
    ///
    /// While rehashing there are two tables: the smaller is scanned at the
    /// cursor, then every expansion of the cursor into the larger table,
    /// which reduces the case to a single table.
    ///
    /// The scan keeps no state beyond the cursor, at the price of repeats,
    /// of returning whole buckets (and all their expansions) per call, and of
    /// a cursor that is hard to read at first.
    ///
    /// C: dict.c dictScan()
    pub(crate) fn dict_scan(&self, v: u64, mut f: impl FnMut(&K, &V)) -> u64 {
        /// Passes every entry of one chain to `f` (no C twin: the three
        /// "emit entries at cursor" loops of dictScan).
        fn emit<K, V>(
            mut de: Option<&DictEntry<K, V>>,
            f: &mut impl FnMut(&K, &V),
        ) {
            while let Some(e) = de {
                f(&e.key, &e.v);
                de = e.next.as_deref();
            }
        }

        let mut v = v;
        if self.dict_size() == 0 {
            return 0;
        }

        if !self.dict_is_rehashing() {
            let t0 = &self.ht[0];
            let m0 = t0.sizemask as u64;

            // Emit entries at cursor.
            emit(t0.table[(v & m0) as usize].as_deref(), &mut f);

            // Set the unmasked bits so that incrementing the reversed
            // cursor operates on the masked bits only.
            v |= !m0;

            // Increment the reverse cursor.
            v = rev(v);
            v = v.wrapping_add(1);
            v = rev(v);
        } else {
            // Make sure t0 is the smaller and t1 the bigger table.
            let (t0, t1) = if self.ht[0].size > self.ht[1].size {
                (&self.ht[1], &self.ht[0])
            } else {
                (&self.ht[0], &self.ht[1])
            };

            let m0 = t0.sizemask as u64;
            let m1 = t1.sizemask as u64;

            // Emit entries at cursor.
            emit(t0.table[(v & m0) as usize].as_deref(), &mut f);

            // Iterate over the indexes of the larger table that are
            // expansions of the cursor's index in the smaller table.
            loop {
                // Emit entries at cursor.
                emit(t1.table[(v & m1) as usize].as_deref(), &mut f);

                // Increment the bits of the reverse cursor not covered by
                // the smaller mask.
                v |= !m1;
                v = rev(v);
                v = v.wrapping_add(1);
                v = rev(v);

                // Continue while the bits of the mask difference are not
                // all zero.
                if v & (m0 ^ m1) == 0 {
                    break;
                }
            }
        }

        v
    }
}

// --------------------------- private functions ------------------------------

impl<K: AsRef<[u8]>, V> Dict<K, V> {
    /// Allocates the first table, or starts doubling it once it holds one
    /// element per bucket: always if resizing is enabled, and with resizing
    /// disabled only beyond `DICT_FORCE_RESIZE_RATIO` elements per bucket.
    ///
    /// C: dict.c _dictExpandIfNeeded()
    fn _dict_expand_if_needed(&mut self) -> DictResult {
        // Incremental rehashing already in progress.
        if self.dict_is_rehashing() {
            return Ok(());
        }

        // If the hash table is empty, expand it to the initial size.
        if self.ht[0].size == 0 {
            return self.dict_expand(DICT_HT_INITIAL_SIZE);
        }

        // At the 1:1 ratio, grow if resizing is allowed, or if it is not but
        // the ratio is over the "safe" threshold.
        if self.ht[0].used >= self.ht[0].size
            && (DICT_CAN_RESIZE.load(Ordering::Relaxed)
                || self.ht[0].used / self.ht[0].size > DICT_FORCE_RESIZE_RATIO)
        {
            return self.dict_expand(self.ht[0].used * 2);
        }
        Ok(())
    }
}

/// The table size for `size` elements: the first power of two at least
/// `size`, and at least `DICT_HT_INITIAL_SIZE`.
///
/// C: dict.c _dictNextPower()
fn _dict_next_power(size: usize) -> usize {
    let mut i = DICT_HT_INITIAL_SIZE;

    if size >= i64::MAX as usize {
        return i64::MAX as usize + 1;
    }
    loop {
        if i >= size {
            return i;
        }
        i *= 2;
    }
}

impl<K: AsRef<[u8]>, V> Dict<K, V> {
    /// Returns the bucket where `key` (with hash `hash`) would be added, or
    /// None if it is already present (or the table could not be expanded).
    /// While rehashing the index is always one of the new table, `ht[1]`.
    ///
    /// C: dict.c _dictKeyIndex()
    fn _dict_key_index(&mut self, key: &[u8], hash: u64) -> Option<usize> {
        // Expand the hash table if needed.
        if self._dict_expand_if_needed().is_err() {
            return None;
        }
        let mut idx = 0;
        for table in 0..=1 {
            idx = hash as usize & self.ht[table].sizemask;
            // Is the key already in this bucket?
            let mut he = self.ht[table].table[idx].as_deref();
            while let Some(e) = he {
                if e.key.as_ref() == key {
                    return None;
                }
                he = e.next.as_deref();
            }
            if !self.dict_is_rehashing() {
                break;
            }
        }
        Some(idx)
    }

    /// Drops every element and both tables, leaving an empty dict.
    /// `callback`, if any, runs every 65536 buckets (see `_dict_clear`).
    ///
    /// C: dict.c dictEmpty()
    pub(crate) fn dict_empty(
        &mut self,
        mut callback: Option<&mut dyn FnMut()>,
    ) {
        self.ht[0]._dict_clear(callback.as_deref_mut());
        self.ht[1]._dict_clear(callback);
        self.rehashidx = -1;
        self.iterators = 0;
    }
}

/// Allows tables to resize again; the server calls it when its child exits.
///
/// C: dict.c dictEnableResize()
pub(crate) fn dict_enable_resize() {
    DICT_CAN_RESIZE.store(true, Ordering::Relaxed);
}

/// Stops tables from resizing (until the force ratio) while a child shares
/// the parent's memory copy-on-write.
///
/// C: dict.c dictDisableResize()
pub(crate) fn dict_disable_resize() {
    DICT_CAN_RESIZE.store(false, Ordering::Relaxed);
}

impl<K: AsRef<[u8]>, V> Dict<K, V> {
    /// Whether the table is worth shrinking: more than the initial size and
    /// under `HASHTABLE_MIN_FILL` percent full, after which `dict_resize`
    /// shrinks it (no C twin: the same test as server.c htNeedsResize(),
    /// whose port is `server::ht_needs_resize`, taken as a method).
    pub(crate) fn ht_needs_resize(&self) -> bool {
        // C: server.h HASHTABLE_MIN_FILL, the minimal fill in percent.
        const HASHTABLE_MIN_FILL: i64 = 10;
        let size = self.dict_slots() as i64;
        let used = self.dict_size() as i64;
        size > DICT_HT_INITIAL_SIZE as i64
            && used * 100 / size < HASHTABLE_MIN_FILL
    }
}

// -------------------------------- Debugging ---------------------------------

/// Chain lengths counted one by one in the stats; longer ones share the
/// last slot.
///
/// C: dict.c DICT_STATS_VECTLEN
const DICT_STATS_VECTLEN: usize = 50;

impl<K, V> DictHt<K, V> {
    /// The DEBUG HTSTATS text of one table: its size, element count, chain
    /// lengths and their distribution.
    ///
    /// C: dict.c _dictGetStatsHt()
    fn _dict_get_stats_ht(&self, tableid: i32) -> String {
        use std::fmt::Write as _;

        if self.used == 0 {
            return "No stats available for empty dictionaries\n".to_owned();
        }

        // Compute stats.
        let mut clvector = [0usize; DICT_STATS_VECTLEN];
        let mut slots = 0usize;
        let mut maxchainlen = 0usize;
        let mut totchainlen = 0usize;
        for bucket in self.table.iter() {
            let Some(first) = bucket.as_deref() else {
                clvector[0] += 1;
                continue;
            };
            slots += 1;
            // For each entry of this slot...
            let mut chainlen = 0usize;
            let mut he = Some(first);
            while let Some(e) = he {
                chainlen += 1;
                he = e.next.as_deref();
            }
            clvector[chainlen.min(DICT_STATS_VECTLEN - 1)] += 1;
            maxchainlen = maxchainlen.max(chainlen);
            totchainlen += chainlen;
        }

        // Generate human readable stats. C computes the averages in float.
        let mut buf = String::new();
        let _ = write!(
            buf,
            "Hash table {} stats ({}):\n table size: {}\n \
             number of elements: {}\n different slots: {}\n \
             max chain length: {}\n avg chain length (counted): {:.2}\n \
             avg chain length (computed): {:.2}\n \
             Chain length distribution:\n",
            tableid,
            if tableid == 0 { "main hash table" } else { "rehashing target" },
            self.size,
            self.used,
            slots,
            maxchainlen,
            totchainlen as f32 / slots as f32,
            self.used as f32 / slots as f32,
        );
        for (i, &n) in clvector.iter().enumerate().take(DICT_STATS_VECTLEN - 1)
        {
            if n == 0 {
                continue;
            }
            let _ = writeln!(
                buf,
                "   {}{}: {} ({:.2}%)",
                if i == DICT_STATS_VECTLEN - 1 { ">= " } else { "" },
                i,
                n,
                (n as f32 / self.size as f32) * 100.0,
            );
        }
        buf
    }
}

impl<K: AsRef<[u8]>, V> Dict<K, V> {
    /// The DEBUG HTSTATS text of the dict: `ht[0]`, plus `ht[1]` while
    /// rehashing, cut to `bufsize - 1` bytes as C's buffer would cut it.
    ///
    /// C: dict.c dictGetStats()
    pub(crate) fn dict_get_stats(&self, bufsize: usize) -> String {
        let mut buf = self.ht[0]._dict_get_stats_ht(0);
        if self.dict_is_rehashing() {
            buf.push_str(&self.ht[1]._dict_get_stats_ht(1));
        }
        // The text is ASCII, so any byte length is a char boundary.
        buf.truncate(bufsize.saturating_sub(1));
        buf
    }
}

/// Milliseconds since the Unix epoch, for `dict_rehash_milliseconds`.
///
/// C: dict.c timeInMilliseconds()
fn time_in_milliseconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::sync::{Mutex, MutexGuard};

    /// The resize flag and the hash seed are process-wide, and tests run on
    /// parallel threads: every test that depends on them holds this lock.
    static SERIAL: Mutex<()> = Mutex::new(());

    pub(crate) fn serial() -> MutexGuard<'static, ()> {
        SERIAL.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Re-enables resizing when a test that disabled it ends, even by
    /// panicking.
    struct ResizeGuard;
    impl Drop for ResizeGuard {
        fn drop(&mut self) {
            dict_enable_resize();
        }
    }

    type D = Dict<Vec<u8>, u64>;

    fn key(i: u64) -> Vec<u8> {
        format!("key:{i}").into_bytes()
    }

    fn filled(n: u64) -> D {
        let mut d = D::new();
        for i in 0..n {
            assert!(d.dict_add(key(i), i).is_ok());
        }
        d
    }

    fn finish_rehash(d: &mut D) {
        while d.dict_rehash(1000) {}
    }

    #[test]
    fn dict_add_find_delete_replace_basics() {
        let _g = serial();
        let mut d = D::new();
        assert!(d.is_empty());
        assert!(d.find(b"a").is_none());
        assert!(!d.dict_delete(b"a"));

        assert!(d.dict_add(b"a".to_vec(), 1).is_ok());
        assert_eq!(d.dict_add(b"a".to_vec(), 2), Err((b"a".to_vec(), 2)));
        assert_eq!(d.find(b"a").map(|e| *e.val()), Some(1));
        assert_eq!(
            d.dict_find(b"a").map(|e| e.key().clone()),
            Some(b"a".to_vec())
        );
        assert_eq!(d.dict_fetch_value(b"a"), Some(&1));

        *d.find_mut(b"a").expect("present") += 10;
        assert_eq!(d.dict_fetch_value(b"a"), Some(&11));

        assert!(!d.dict_replace(b"a".to_vec(), 5));
        assert_eq!(d.dict_fetch_value(b"a"), Some(&5));
        assert!(d.dict_replace(b"b".to_vec(), 6));
        assert_eq!(d.len(), 2);

        assert_eq!(*d.dict_add_or_find(b"b".to_vec(), || 99), 6);
        assert_eq!(*d.dict_add_or_find(b"c".to_vec(), || 7), 7);
        *d.dict_add_raw(b"d".to_vec(), 0).expect("new key") = 8;
        assert_eq!(d.dict_fetch_value(b"d"), Some(&8));

        assert_eq!(d.dict_unlink(b"c"), Some((b"c".to_vec(), 7)));
        assert!(d.dict_delete(b"a"));
        assert!(!d.dict_delete(b"a"));
        assert!(d.find(b"a").is_none());
        assert_eq!(d.len(), 2);
    }

    #[test]
    fn dict_find_sees_both_tables_mid_expand() {
        let _g = serial();
        let mut d = filled(1024);
        finish_rehash(&mut d);
        assert_eq!(d.dict_expand(4096), Ok(()));
        assert!(d.dict_is_rehashing());
        assert_eq!(d.dict_expand(8192), Err(DictErr));
        d.dict_rehash(100);
        assert!(d.ht[0].used > 0 && d.ht[1].used > 0);
        for i in 0..1024 {
            assert_eq!(d.find(&key(i)).map(|e| *e.val()), Some(i));
        }
        // Deletes and adds mid-rehash reach the right table.
        for i in 0..512 {
            assert!(d.dict_delete(&key(i)));
        }
        for i in 2000..2100 {
            assert!(d.dict_add(key(i), i).is_ok());
        }
        for i in 0..512 {
            assert!(d.dict_find(&key(i)).is_none());
        }
        for i in (512..1024).chain(2000..2100) {
            assert_eq!(d.dict_fetch_value(&key(i)), Some(&i));
        }
        finish_rehash(&mut d);
        assert!(!d.dict_is_rehashing());
        assert_eq!(d.dict_slots(), 4096);
        assert_eq!(d.len(), 612);
    }

    #[test]
    fn dict_add_grows_and_rehashes_incrementally() {
        let _g = serial();
        let mut d = D::new();
        assert_eq!(d.dict_slots(), 0);
        let mut saw_two_tables = false;
        for i in 0..10_000 {
            assert!(d.dict_add(key(i), i).is_ok());
            if d.dict_is_rehashing() && d.ht[0].used > 0 && d.ht[1].used > 0 {
                saw_two_tables = true;
                assert!(d.find(&key(i / 2)).is_some());
            }
        }
        assert!(saw_two_tables);
        finish_rehash(&mut d);
        assert_eq!(d.dict_slots(), 16384);
        assert_eq!(d.iter().count(), 10_000);
    }

    #[test]
    fn dict_resize_shrinks_with_rehash_in_progress() {
        let _g = serial();
        let mut d = filled(1000);
        finish_rehash(&mut d);
        assert_eq!(d.dict_slots(), 1024);
        assert!(!d.ht_needs_resize());
        for i in 10..1000 {
            assert!(d.dict_delete(&key(i)));
        }
        assert!(d.ht_needs_resize());
        assert_eq!(d.dict_resize(), Ok(()));
        assert!(d.dict_is_rehashing());
        assert_eq!(d.ht[1].size, 16);
        assert_eq!(d.dict_resize(), Err(DictErr));
        for i in 0..10 {
            assert_eq!(d.find(&key(i)).map(|e| *e.val()), Some(i));
        }
        d.dict_rehash(1);
        for i in 0..10 {
            assert_eq!(d.dict_fetch_value(&key(i)), Some(&i));
        }
        finish_rehash(&mut d);
        assert_eq!(d.dict_slots(), 16);
        assert!(!d.ht_needs_resize());
    }

    #[test]
    fn dict_scan_returns_each_key_once_when_stable() {
        let _g = serial();
        let mut d = filled(777);
        finish_rehash(&mut d);
        let mut seen = Vec::new();
        let mut cursor = 0;
        loop {
            cursor = d.dict_scan(cursor, |k, _| seen.push(k.clone()));
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 777);
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 777);
        assert_eq!(D::new().dict_scan(0, |_, _| panic!("empty")), 0);
    }

    #[test]
    fn dict_scan_visits_all_across_expand() {
        let _g = serial();
        let mut d = filled(500);
        finish_rehash(&mut d);
        let slots_before = d.dict_slots();
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut next = 500;
        let mut saw_rehashing = false;
        loop {
            cursor = d.dict_scan(cursor, |k, _| {
                seen.insert(k.clone());
            });
            if cursor == 0 {
                break;
            }
            // Grow the dict between the first calls (growing forever would
            // outrun the cursor); adds also step the rehash.
            if next >= 500 + 40 * 60 {
                continue;
            }
            for _ in 0..40 {
                assert!(d.dict_add(key(next), next).is_ok());
                next += 1;
            }
            saw_rehashing |= d.dict_is_rehashing();
        }
        assert!(saw_rehashing);
        assert!(d.dict_slots() > slots_before * 4);
        for i in 0..500 {
            assert!(seen.contains(&key(i)), "key {i} missed");
        }
    }

    #[test]
    fn dict_scan_visits_all_across_shrink() {
        let _g = serial();
        let mut d = filled(5000);
        finish_rehash(&mut d);
        let slots_before = d.dict_slots();
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut doomed = 100..5000u64;
        let mut shrinks = 0;
        loop {
            cursor = d.dict_scan(cursor, |k, _| {
                seen.insert(k.clone());
            });
            if cursor == 0 {
                break;
            }
            // Delete between calls and shrink as server_cron would.
            for i in doomed.by_ref().take(300) {
                assert!(d.dict_delete(&key(i)));
            }
            if d.ht_needs_resize() && d.dict_resize().is_ok() {
                shrinks += 1;
            }
            d.dict_rehash(1);
        }
        assert!(shrinks > 0);
        assert!(d.dict_slots() < slots_before);
        for i in 0..100 {
            assert!(seen.contains(&key(i)), "key {i} missed");
        }
    }

    #[test]
    fn dict_get_random_key_returns_members() {
        let _g = serial();
        let mut d = D::new();
        assert!(d.dict_get_random_key().is_none());
        let mut d = filled(200);
        let mut distinct = HashSet::new();
        for _ in 0..4000 {
            let e = d.dict_get_random_key().expect("non-empty");
            assert_eq!(e.key(), &key(*e.val()));
            distinct.insert(*e.val());
        }
        assert!(distinct.len() > 150, "only {} distinct", distinct.len());

        // Mid-rehash too, in both directions of the size change.
        finish_rehash(&mut d);
        assert_eq!(d.dict_expand(2048), Ok(()));
        for _ in 0..500 {
            let e = d.dict_get_random_key().expect("non-empty");
            assert!(*e.val() < 200);
        }
    }

    #[test]
    fn dict_get_some_keys_returns_members() {
        let _g = serial();
        let mut d = filled(1000);
        let some = d.dict_get_some_keys(16);
        assert_eq!(some.len(), 16);
        for e in &some {
            assert_eq!(e.key(), &key(*e.val()));
        }
        let mut small = filled(3);
        assert!(small.dict_get_some_keys(10).len() <= 3);
        assert!(D::new().dict_get_some_keys(5).is_empty());

        finish_rehash(&mut d);
        for i in 0..950 {
            d.dict_delete(&key(i));
        }
        assert_eq!(d.dict_resize(), Ok(()));
        let some = d.dict_get_some_keys(20);
        assert!(!some.is_empty());
        for e in &some {
            assert!((950..1000).contains(e.val()));
        }
    }

    #[test]
    fn dict_disable_resize_holds_until_force_ratio() {
        let _g = serial();
        let _restore = ResizeGuard;
        dict_disable_resize();
        let mut d = D::new();
        // 24 keys in 4 buckets is 6 per bucket; the growth check runs before
        // each add, so the 25th add is the first to see a ratio over 5.
        for i in 0..24 {
            assert!(d.dict_add(key(i), i).is_ok());
        }
        assert_eq!(d.dict_slots(), 4);
        assert!(!d.dict_is_rehashing());
        assert!(d.dict_add(key(24), 24).is_ok());
        assert!(d.dict_is_rehashing());
        assert_eq!(d.ht[1].size, 64);
        finish_rehash(&mut d);

        // Shrinking is refused outright while disabled.
        for i in 0..20 {
            d.dict_delete(&key(i));
        }
        assert!(d.ht_needs_resize());
        assert_eq!(d.dict_resize(), Err(DictErr));
        dict_enable_resize();
        assert_eq!(d.dict_resize(), Ok(()));
    }

    #[test]
    fn dict_rehash_milliseconds_finishes() {
        let _g = serial();
        let mut d = filled(100_000);
        finish_rehash(&mut d);
        assert_eq!(d.dict_expand(1 << 20), Ok(()));
        let mut rounds = 0;
        while d.dict_is_rehashing() {
            let n = d.dict_rehash_milliseconds(100);
            assert_eq!(n % 100, 0);
            rounds += 1;
            assert!(rounds < 1000, "rehash does not finish");
        }
        assert_eq!(d.dict_slots(), 1 << 20);
        assert_eq!(d.len(), 100_000);
        for i in (0..100_000).step_by(997) {
            assert_eq!(d.find(&key(i)).map(|e| *e.val()), Some(i));
        }
        assert!(!d.dict_rehash(10));
    }

    #[test]
    fn dict_rehash_stops_after_empty_visits() {
        let _g = serial();
        let mut d = filled(4);
        finish_rehash(&mut d);
        // Force a big, nearly empty old table.
        assert_eq!(d.dict_expand(1 << 16), Ok(()));
        finish_rehash(&mut d);
        for i in 0..3 {
            d.dict_delete(&key(i));
        }
        assert_eq!(d.dict_resize(), Ok(()));
        // One step may visit at most 10 empty buckets.
        let before = d.rehashidx;
        d.dict_rehash(1);
        assert!(d.rehashidx - before <= 10);
    }

    #[test]
    fn dict_empty_clears_and_calls_back() {
        let _g = serial();
        let mut d = filled(1000);
        finish_rehash(&mut d);
        assert_eq!(d.dict_expand(1 << 17), Ok(()));
        d.dict_rehash(10);
        let mut calls = 0;
        d.dict_empty(Some(&mut || calls += 1));
        assert!(calls >= 1);
        assert!(d.is_empty());
        assert_eq!(d.dict_slots(), 0);
        assert!(!d.dict_is_rehashing());
        assert!(d.dict_add(key(1), 1).is_ok());
        d.dict_empty(None);
        assert!(d.find(&key(1)).is_none());
    }

    #[test]
    fn dict_get_iterator_visits_both_tables_once() {
        let _g = serial();
        let mut d = filled(300);
        finish_rehash(&mut d);
        assert_eq!(d.dict_expand(4096), Ok(()));
        d.dict_rehash(50);
        assert!(d.ht[0].used > 0 && d.ht[1].used > 0);
        let it = d.iter();
        assert_eq!(it.len(), 300);
        let vals: HashSet<u64> = it.map(|e| *e.val()).collect();
        assert_eq!(vals.len(), 300);
        for (k, v) in d.iter_mut() {
            assert_eq!(k, &key(*v));
            *v += 1000;
        }
        assert_eq!(d.dict_fetch_value(&key(7)), Some(&1007));
        assert_eq!((&d).into_iter().count(), 300);
    }

    #[test]
    fn dict_next_power_rounds_up() {
        assert_eq!(_dict_next_power(0), 4);
        assert_eq!(_dict_next_power(4), 4);
        assert_eq!(_dict_next_power(5), 8);
        assert_eq!(_dict_next_power(1000), 1024);
        assert_eq!(_dict_next_power(usize::MAX), 1 << 63);
    }

    #[test]
    fn rev_matches_c_bithacks() {
        // dict.c rev(), line for line.
        fn c_rev(mut v: u64) -> u64 {
            let mut s: u64 = 64;
            let mut mask: u64 = !0;
            loop {
                s >>= 1;
                if s == 0 {
                    return v;
                }
                mask ^= mask << s;
                v = ((v >> s) & mask) | ((v << s) & !mask);
            }
        }
        for v in [0, 1, 2, 0xdead_beef, u64::MAX, 1 << 63, 0x0123_4567_89ab] {
            assert_eq!(rev(v), c_rev(v));
        }
    }

    #[test]
    fn dict_gen_case_hash_function_ignores_case() {
        let _g = serial();
        let long = b"Some-Long-Key-".repeat(20);
        assert_eq!(
            dict_gen_case_hash_function(&long),
            dict_gen_hash_function(&long.to_ascii_lowercase())
        );
        assert_eq!(
            dict_gen_case_hash_function(b"GET"),
            dict_gen_case_hash_function(b"get")
        );
        assert_ne!(
            dict_gen_hash_function(b"GET"),
            dict_gen_hash_function(b"get")
        );
    }

    #[test]
    fn dict_set_hash_function_seed_changes_hashes() {
        let _g = serial();
        let old = dict_get_hash_function_seed();
        let before = dict_gen_hash_function(b"key");
        let seed: [u8; 16] = *b"1234567812345678";
        dict_set_hash_function_seed(&seed);
        assert_eq!(dict_get_hash_function_seed(), seed);
        let after = dict_gen_hash_function(b"key");
        dict_set_hash_function_seed(&old);
        assert_ne!(before, after);
        assert_eq!(dict_gen_hash_function(b"key"), before);
    }

    #[test]
    fn dict_get_stats_reports_tables() {
        let _g = serial();
        assert_eq!(
            D::new().dict_get_stats(4096),
            "No stats available for empty dictionaries\n"
        );
        let mut d = filled(100);
        finish_rehash(&mut d);
        assert_eq!(d.dict_expand(1024), Ok(()));
        d.dict_rehash(3);
        let s = d.dict_get_stats(4096);
        assert!(s.starts_with("Hash table 0 stats (main hash table):\n"));
        assert!(s.contains("Hash table 1 stats (rehashing target):\n"));
        assert!(s.contains(" table size: 1024\n"));
        assert_eq!(d.dict_get_stats(10).len(), 9);
    }
}
