//! The intset: a sorted array of distinct integers in one allocation, the
//! small encoding of sets whose members are all integers. Every element
//! takes the width (16, 32 or 64 bits) of the widest one; adding a value
//! that needs more bits upgrades the whole array, and nothing ever
//! downgrades it.
//!
//! Ports intset.c and intset.h from Redis 5.0.14, in the same order.
//!
//! Before reading: the allocation holds exactly C's bytes (a little-endian
//! `u32` encoding, a little-endian `u32` length, then the little-endian
//! contents), so an intset can be written to an RDB file and read back
//! (`Intset::as_blob`, `Intset::from_blob`) without conversion. C's
//! functions return the possibly moved `intset *`; here they are methods
//! that change `self` in place.

use std::sync::atomic::{AtomicU64, Ordering};

// ---------------------------------- intset.h ----------------------------------

/// The size of C's header: `uint32_t encoding; uint32_t length;`.
const INTSET_HEADER: usize = 8;

/// A set of integers, as C's `intset` blob (see the module doc).
///
/// C: intset.h intset
#[derive(Clone, PartialEq, Eq)]
pub struct Intset {
    // A boxed slice rather than a Vec: like C's zrealloc'ed blob it has no
    // spare capacity, and millions of small sets would pay the capacity
    // word each.
    blob: Box<[u8]>,
}

impl std::fmt::Debug for Intset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

// ---------------------------------- intset.c ----------------------------------

// Note that these encodings are ordered, so:
// INTSET_ENC_INT16 < INTSET_ENC_INT32 < INTSET_ENC_INT64.
pub(crate) const INTSET_ENC_INT16: u8 = 2;
pub(crate) const INTSET_ENC_INT32: u8 = 4;
pub(crate) const INTSET_ENC_INT64: u8 = 8;

/// Return the required encoding for the provided value.
///
/// C: intset.c _intsetValueEncoding()
fn _intset_value_encoding(v: i64) -> u8 {
    if v < i32::MIN as i64 || v > i32::MAX as i64 {
        INTSET_ENC_INT64
    } else if v < i16::MIN as i64 || v > i16::MAX as i64 {
        INTSET_ENC_INT32
    } else {
        INTSET_ENC_INT16
    }
}

/// A pseudo-random number standing in for libc `rand()`, which
/// intsetRandom() calls (no C twin).
fn rand() -> u64 {
    // Divergence from C: splitmix64 over a process-wide counter rather
    // than glibc's rand(); only the distribution matters, not the sequence.
    static STATE: AtomicU64 = AtomicU64::new(0x2545_f491_4f6c_dd1d);
    const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut z = STATE.fetch_add(GAMMA, Ordering::Relaxed).wrapping_add(GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Default for Intset {
    fn default() -> Self {
        Self::intset_new()
    }
}

impl Intset {
    /// The encoding field of the header.
    fn encoding(&self) -> u8 {
        u32::from_le_bytes(self.blob[0..4].try_into().expect("4 bytes")) as u8
    }

    fn set_encoding(&mut self, enc: u8) {
        self.blob[0..4].copy_from_slice(&(enc as u32).to_le_bytes());
    }

    fn set_length(&mut self, len: u32) {
        self.blob[4..8].copy_from_slice(&len.to_le_bytes());
    }

    /// Return the value at pos, given an encoding.
    ///
    /// C: intset.c _intsetGetEncoded()
    fn _intset_get_encoded(&self, pos: usize, enc: u8) -> i64 {
        let at = INTSET_HEADER + pos * enc as usize;
        let b = &self.blob[at..at + enc as usize];
        match enc {
            INTSET_ENC_INT64 => {
                i64::from_le_bytes(b.try_into().expect("8 bytes"))
            }
            INTSET_ENC_INT32 => {
                i32::from_le_bytes(b.try_into().expect("4 bytes")) as i64
            }
            _ => i16::from_le_bytes(b.try_into().expect("2 bytes")) as i64,
        }
    }

    /// Return the value at pos, using the configured encoding.
    ///
    /// C: intset.c _intsetGet()
    fn _intset_get(&self, pos: usize) -> i64 {
        self._intset_get_encoded(pos, self.encoding())
    }

    /// Set the value at pos, using the configured encoding.
    ///
    /// C: intset.c _intsetSet()
    fn _intset_set(&mut self, pos: usize, value: i64) {
        let enc = self.encoding();
        let at = INTSET_HEADER + pos * enc as usize;
        let b = &mut self.blob[at..at + enc as usize];
        match enc {
            INTSET_ENC_INT64 => b.copy_from_slice(&value.to_le_bytes()),
            INTSET_ENC_INT32 => {
                b.copy_from_slice(&(value as i32).to_le_bytes())
            }
            _ => b.copy_from_slice(&(value as i16).to_le_bytes()),
        }
    }

    /// Create an empty intset.
    ///
    /// C: intset.c intsetNew()
    pub fn intset_new() -> Intset {
        let mut is =
            Intset { blob: vec![0u8; INTSET_HEADER].into_boxed_slice() };
        is.set_encoding(INTSET_ENC_INT16);
        is.set_length(0);
        is
    }

    /// Resize the intset to hold `len` elements of the current encoding.
    ///
    /// C: intset.c intsetResize()
    fn intset_resize(&mut self, len: u32) {
        let size = len as usize * self.encoding() as usize;
        // C reallocates the blob; a Vec round trip does the same realloc
        // (reserve_exact leaves no spare capacity for into_boxed_slice to
        // trim).
        let mut v = std::mem::take(&mut self.blob).into_vec();
        let newlen = INTSET_HEADER + size;
        if newlen > v.len() {
            v.reserve_exact(newlen - v.len());
        }
        v.resize(newlen, 0);
        self.blob = v.into_boxed_slice();
    }

    /// Search for the position of "value". Returns `Ok(pos)` when the value
    /// was found, `Err(pos)` with the position where "value" can be
    /// inserted when it is not present.
    ///
    /// C: intset.c intsetSearch()
    fn intset_search(&self, value: i64) -> Result<usize, usize> {
        let len = self.intset_len() as i64;
        let (mut min, mut max, mut mid): (i64, i64, i64) = (0, len - 1, -1);
        let mut cur: i64 = -1;

        // The value can never be found when the set is empty
        if len == 0 {
            return Err(0);
        } else {
            // Check for the case where we know we cannot find the value,
            // but do know the insert position.
            if value > self._intset_get(max as usize) {
                return Err(len as usize);
            } else if value < self._intset_get(0) {
                return Err(0);
            }
        }

        while max >= min {
            mid = (min + max) >> 1;
            cur = self._intset_get(mid as usize);
            if value > cur {
                min = mid + 1;
            } else if value < cur {
                max = mid - 1;
            } else {
                break;
            }
        }

        if value == cur {
            Ok(mid as usize)
        } else {
            Err(min as usize)
        }
    }

    /// Upgrades the intset to a larger encoding and inserts the given
    /// integer.
    ///
    /// C: intset.c intsetUpgradeAndAdd()
    fn intset_upgrade_and_add(&mut self, value: i64) {
        let curenc = self.encoding();
        let newenc = _intset_value_encoding(value);
        let mut length = self.intset_len() as usize;
        let prepend = usize::from(value < 0);

        // First set new encoding and resize
        self.set_encoding(newenc);
        self.intset_resize(length as u32 + 1);

        // Upgrade back-to-front so we don't overwrite values. Note that the
        // "prepend" variable is used to make sure we have an empty space at
        // either the beginning or the end of the intset.
        while length > 0 {
            length -= 1;
            let v = self._intset_get_encoded(length, curenc);
            self._intset_set(length + prepend, v);
        }

        // Set the value at the beginning or the end.
        let len = self.intset_len();
        if prepend != 0 {
            self._intset_set(0, value);
        } else {
            self._intset_set(len as usize, value);
        }
        self.set_length(len + 1);
    }

    /// Moves the elements from `from` to the end so they start at `to`.
    ///
    /// C: intset.c intsetMoveTail()
    fn intset_move_tail(&mut self, from: usize, to: usize) {
        let enc = self.encoding() as usize;
        let bytes = (self.intset_len() as usize - from) * enc;
        let src = INTSET_HEADER + from * enc;
        let dst = INTSET_HEADER + to * enc;
        self.blob.copy_within(src..src + bytes, dst);
    }

    /// Insert an integer in the intset. Returns false if it was already
    /// there (C's `*success`).
    ///
    /// C: intset.c intsetAdd()
    pub fn intset_add(&mut self, value: i64) -> bool {
        let valenc = _intset_value_encoding(value);

        // Upgrade encoding if necessary. If we need to upgrade, we know that
        // this value should be either appended (if > 0) or prepended (if <
        // 0), because it lies outside the range of existing values.
        let pos = if valenc > self.encoding() {
            // This always succeeds.
            self.intset_upgrade_and_add(value);
            return true;
        } else {
            // Abort if the value is already present in the set. The search
            // gives the right position to insert the value otherwise.
            let pos = match self.intset_search(value) {
                Ok(_) => return false,
                Err(pos) => pos,
            };
            let len = self.intset_len();
            self.intset_resize(len + 1);
            if pos < len as usize {
                self.intset_move_tail(pos, pos + 1);
            }
            pos
        };

        self._intset_set(pos, value);
        let len = self.intset_len();
        self.set_length(len + 1);
        true
    }

    /// Delete integer from intset. Returns whether it was there (C's
    /// `*success`).
    ///
    /// C: intset.c intsetRemove()
    pub(crate) fn intset_remove(&mut self, value: i64) -> bool {
        let valenc = _intset_value_encoding(value);
        if valenc <= self.encoding() {
            if let Ok(pos) = self.intset_search(value) {
                let len = self.intset_len();

                // Overwrite value with tail and update length
                if pos < (len - 1) as usize {
                    self.intset_move_tail(pos + 1, pos);
                }
                self.intset_resize(len - 1);
                self.set_length(len - 1);
                return true;
            }
        }
        false
    }

    /// Determine whether a value belongs to this set.
    ///
    /// C: intset.c intsetFind()
    pub(crate) fn intset_find(&self, value: i64) -> bool {
        let valenc = _intset_value_encoding(value);
        valenc <= self.encoding() && self.intset_search(value).is_ok()
    }

    /// Return random member. The set must not be empty.
    ///
    /// C: intset.c intsetRandom()
    pub(crate) fn intset_random(&self) -> i64 {
        let len = self.intset_len() as u64;
        self._intset_get((rand() % len) as usize)
    }

    /// Get the value at the given position, or `None` when this position
    /// is out of range.
    ///
    /// C: intset.c intsetGet()
    pub(crate) fn intset_get(&self, pos: u32) -> Option<i64> {
        if pos < self.intset_len() {
            Some(self._intset_get(pos as usize))
        } else {
            None
        }
    }

    /// Return intset length.
    ///
    /// C: intset.c intsetLen()
    pub(crate) fn intset_len(&self) -> u32 {
        u32::from_le_bytes(self.blob[4..8].try_into().expect("4 bytes"))
    }

    /// Return intset blob size in bytes.
    ///
    /// C: intset.c intsetBlobLen()
    pub(crate) fn intset_blob_len(&self) -> usize {
        INTSET_HEADER + self.intset_len() as usize * self.encoding() as usize
    }

    /// The elements in ascending order (no C twin: C loops over intsetGet).
    pub fn iter(&self) -> IntsetIter<'_> {
        IntsetIter { is: self, ii: 0 }
    }

    /// The blob as C stores it, for RDB_TYPE_SET_INTSET (no C twin).
    pub fn as_blob(&self) -> &[u8] {
        &self.blob
    }

    /// Takes a blob read from an RDB file (RDB_TYPE_SET_INTSET). Returns
    /// `None` unless it is well formed: a known encoding, a length that
    /// matches the size, elements in strictly ascending order (no C twin:
    /// 5.0 trusts the file; later versions check the same things in
    /// intsetValidateIntegrity()).
    pub fn from_blob(blob: Box<[u8]>) -> Option<Intset> {
        if blob.len() < INTSET_HEADER {
            return None;
        }
        let is = Intset { blob };
        let enc = u32::from_le_bytes(is.blob[0..4].try_into().ok()?);
        if enc != INTSET_ENC_INT16 as u32
            && enc != INTSET_ENC_INT32 as u32
            && enc != INTSET_ENC_INT64 as u32
        {
            return None;
        }
        if is.blob.len()
            != INTSET_HEADER + is.intset_len() as usize * enc as usize
        {
            return None;
        }
        let mut prev: Option<i64> = None;
        for v in is.iter() {
            if prev.is_some_and(|p| p >= v) {
                return None;
            }
            prev = Some(v);
        }
        Some(is)
    }
}

/// Validate the integrity of an intset blob read from outside (an RDB
/// file, a RESTORE payload), before it is trusted: the header must be
/// readable, the encoding one of the three, the size exactly header plus
/// `length` records, and the set not empty; with `deep`, the records must
/// also be strictly ascending (sorted, no duplicates).
///
/// Divergence from C: C returns 0 or 1; this says which check failed.
///
/// C: intset.c intsetValidateIntegrity() (Redis 7.0; new in 6.2)
pub fn intset_validate_integrity(p: &[u8], deep: bool) -> Result<(), String> {
    let size = p.len();
    // Check that we can actually read the header.
    if size < INTSET_HEADER {
        return Err(format!(
            "intset of {size} bytes is shorter than its header"
        ));
    }

    let encoding = u32::from_le_bytes([p[0], p[1], p[2], p[3]]);
    let record_size: usize = if encoding == INTSET_ENC_INT64 as u32 {
        INTSET_ENC_INT64 as usize
    } else if encoding == INTSET_ENC_INT32 as u32 {
        INTSET_ENC_INT32 as usize
    } else if encoding == INTSET_ENC_INT16 as u32 {
        INTSET_ENC_INT16 as usize
    } else {
        return Err(format!("intset has an unknown encoding {encoding}"));
    };

    // Check that the size matches (all records are inside the buffer).
    let count = u32::from_le_bytes([p[4], p[5], p[6], p[7]]) as usize;
    if INTSET_HEADER + count * record_size != size {
        return Err(format!(
            "intset header says {count} records of {record_size} bytes, the blob has {size} bytes"
        ));
    }

    // Check that the set is not empty.
    if count == 0 {
        return Err("intset is empty".to_string());
    }

    if !deep {
        return Ok(());
    }

    // Check that there are no dup or out of order records.
    let get = |i: usize| -> i64 {
        let b = &p[INTSET_HEADER + i * record_size
            ..INTSET_HEADER + (i + 1) * record_size];
        match record_size {
            8 => i64::from_le_bytes([
                b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
            ]),
            4 => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64,
            _ => i16::from_le_bytes([b[0], b[1]]) as i64,
        }
    };
    let mut prev = get(0);
    for i in 1..count {
        let cur = get(i);
        if cur <= prev {
            return Err(format!(
                "intset record {i} ({cur}) is not above the one before ({prev})"
            ));
        }
        prev = cur;
    }

    Ok(())
}

/// A walk over an intset in ascending order (no C twin: C's setTypeNext
/// keeps the position `ii` in the set iterator).
#[derive(Clone)]
pub struct IntsetIter<'a> {
    is: &'a Intset,
    ii: u32,
}

impl Iterator for IntsetIter<'_> {
    type Item = i64;

    fn next(&mut self) -> Option<i64> {
        let v = self.is.intset_get(self.ii)?;
        self.ii += 1;
        Some(v)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = (self.is.intset_len() - self.ii) as usize;
        (n, Some(n))
    }
}

impl ExactSizeIterator for IntsetIter<'_> {}

/// The unit tests of intset.c's REDIS_TEST section.
///
/// C: intset.c intsetTest()
#[cfg(test)]
mod tests {
    use super::*;

    /// C: intset.c createSet()
    fn create_set(bits: u32, size: usize) -> Intset {
        let mask: u64 = (1u64 << bits) - 1;
        let mut is = Intset::intset_new();
        for _ in 0..size {
            is.intset_add((rand() & mask) as i64);
        }
        is
    }

    /// C: intset.c checkConsistency()
    fn check_consistency(is: &Intset) {
        let v: Vec<i64> = is.iter().collect();
        assert!(v.windows(2).all(|w| w[0] < w[1]), "{v:?}");
        assert_eq!(is.as_blob().len(), is.intset_blob_len());
    }

    #[test]
    fn intset_value_encodings() {
        assert_eq!(_intset_value_encoding(-32768), INTSET_ENC_INT16);
        assert_eq!(_intset_value_encoding(32767), INTSET_ENC_INT16);
        assert_eq!(_intset_value_encoding(-32769), INTSET_ENC_INT32);
        assert_eq!(_intset_value_encoding(32768), INTSET_ENC_INT32);
        assert_eq!(_intset_value_encoding(-2147483648), INTSET_ENC_INT32);
        assert_eq!(_intset_value_encoding(2147483647), INTSET_ENC_INT32);
        assert_eq!(_intset_value_encoding(-2147483649), INTSET_ENC_INT64);
        assert_eq!(_intset_value_encoding(2147483648), INTSET_ENC_INT64);
        assert_eq!(_intset_value_encoding(i64::MIN), INTSET_ENC_INT64);
        assert_eq!(_intset_value_encoding(i64::MAX), INTSET_ENC_INT64);
    }

    #[test]
    fn intset_add_basic_adding() {
        let mut is = Intset::intset_new();
        assert!(is.intset_add(5));
        assert!(is.intset_add(6));
        assert!(is.intset_add(4));
        assert!(!is.intset_add(4));
        assert_eq!(is.iter().collect::<Vec<_>>(), vec![4, 5, 6]);
        // The exact C bytes: int16 encoding, length 3, 4 5 6.
        assert_eq!(is.as_blob(), &[2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 5, 0, 6, 0]);
    }

    #[test]
    fn intset_add_large_number_of_random_adds() {
        let mut inserts = 0;
        let mut is = Intset::intset_new();
        for _ in 0..1024 {
            if is.intset_add((rand() % 0x800) as i64) {
                inserts += 1;
            }
        }
        assert_eq!(is.intset_len(), inserts);
        check_consistency(&is);
    }

    #[test]
    fn intset_upgrade_and_add_upgrades() {
        for (first, big, enc) in [
            (32, 65535, INTSET_ENC_INT32),
            (32, -65535, INTSET_ENC_INT32),
            (32, 4294967295, INTSET_ENC_INT64),
            (32, -4294967295, INTSET_ENC_INT64),
            (65535, 4294967295, INTSET_ENC_INT64),
            (65535, -4294967295, INTSET_ENC_INT64),
        ] {
            let mut is = Intset::intset_new();
            is.intset_add(first);
            is.intset_add(big);
            assert_eq!(is.encoding(), enc);
            assert!(is.intset_find(first));
            assert!(is.intset_find(big));
            check_consistency(&is);
        }
    }

    #[test]
    fn intset_remove_and_stress_lookups() {
        let is = create_set(20, 10000);
        check_consistency(&is);
        let mut is2 = is.clone();
        let all: Vec<i64> = is.iter().collect();
        for v in &all {
            assert!(is.intset_find(*v));
        }
        for v in all.iter().step_by(2) {
            assert!(is2.intset_remove(*v));
            assert!(!is2.intset_remove(*v));
        }
        check_consistency(&is2);
        assert_eq!(is2.intset_len() as usize, all.len() / 2);
        assert!(!is2.intset_remove(1 << 40), "wider than the encoding");
    }

    #[test]
    fn intset_from_blob_checks_the_layout() {
        let mut is = Intset::intset_new();
        for v in [3, -70000, 9] {
            is.intset_add(v);
        }
        let back = Intset::from_blob(is.as_blob().into()).expect("valid");
        assert_eq!(back, is);
        assert!(Intset::from_blob(Box::new([
            2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 4, 0
        ]))
        .is_none());
        assert!(Intset::from_blob(Box::new([3, 0, 0, 0, 0, 0, 0, 0])).is_none());
        assert!(Intset::from_blob(Box::new([2, 0, 0, 0, 1, 0, 0, 0])).is_none());
    }
}
