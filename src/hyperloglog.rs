//! The Redis HyperLogLog implementation: PFADD, PFCOUNT, PFMERGE,
//! PFSELFTEST and PFDEBUG. An HLL is a string value starting with "HYLL",
//! with a 16 bytes header (magic, encoding, three unused bytes, the cached
//! cardinality, little endian, whose most significant bit set means
//! "invalid") followed by the registers, either dense (16384 registers of
//! 6 bits each, 12288 bytes) or sparse (ZERO, XZERO and VAL opcodes).
//! The bytes are the same as Redis 5.0.14's, so DEBUG DIGEST, RDB files
//! and replication agree with real Redis.
//!
//! Ports hyperloglog.c from Redis 5.0.14, in the same order. The C macros
//! (HLL_DENSE_GET_REGISTER and friends) are small functions here.

use crate::db::*;
use crate::networking::*;
use crate::notify::notify_keyspace_event;
use crate::object::*;
use crate::server::*;
use crate::shared::{CONE, CZERO, OK};
use crate::t_string::{check_type, db_unshare_string_value};

/// Size of the header: magic (4), encoding (1), notused (3), card (8).
pub(crate) const HLL_HDR_SIZE: usize = 16;
/// Offset of the encoding byte in the header.
const HLL_ENCODING_OFFSET: usize = 4;
/// Offset of the cached cardinality in the header.
const HLL_CARD_OFFSET: usize = 8;

/// The greater is P, the smaller the error.
const HLL_P: u32 = 14;
/// The number of bits of the hash value used for determining the number
/// of leading zeros.
const HLL_Q: u32 = 64 - HLL_P;
/// With P=14, 16384 registers.
pub(crate) const HLL_REGISTERS: usize = 1 << HLL_P;
/// Mask to index register.
const HLL_P_MASK: u64 = (HLL_REGISTERS - 1) as u64;
/// Enough to count up to 63 leading zeroes.
const HLL_BITS: usize = 6;
const HLL_REGISTER_MAX: u64 = (1 << HLL_BITS) - 1;
pub(crate) const HLL_DENSE_SIZE: usize =
    HLL_HDR_SIZE + (HLL_REGISTERS * HLL_BITS).div_ceil(8);
/// Dense encoding.
pub(crate) const HLL_DENSE: u8 = 0;
/// Sparse encoding.
pub(crate) const HLL_SPARSE: u8 = 1;
/// Only used internally, never exposed.
const HLL_RAW: u8 = 255;
const HLL_MAX_ENCODING: u8 = 1;

const INVALID_HLL_ERR: &[u8] = b"-INVALIDOBJ Corrupted HLL object detected\r\n";

/// C's HLL_INVALIDATE_CACHE(hdr) macro. (no C twin)
fn hll_invalidate_cache(hdr: &mut [u8]) {
    hdr[HLL_CARD_OFFSET + 7] |= 1 << 7;
}

/// C's HLL_VALID_CACHE(hdr) macro. (no C twin)
fn hll_valid_cache(hdr: &[u8]) -> bool {
    hdr[HLL_CARD_OFFSET + 7] & (1 << 7) == 0
}

/// C's HLL_DENSE_GET_REGISTER macro: the 6 bit register `regnum` of the
/// dense registers `p`. Divergence from C: the macro reads one byte past
/// the registers for the last register (the sds NUL terminator, always
/// 0); a slice has no such byte, so 0 is used. (no C twin)
#[inline]
fn hll_dense_get_register(p: &[u8], regnum: usize) -> u8 {
    let byte = regnum * HLL_BITS / 8;
    let fb = (regnum * HLL_BITS) & 7;
    let fb8 = 8 - fb;
    let b0 = p[byte] as u64;
    let b1 = p.get(byte + 1).copied().unwrap_or(0) as u64;
    (((b0 >> fb) | (b1 << fb8)) & HLL_REGISTER_MAX) as u8
}

/// C's HLL_DENSE_SET_REGISTER macro. For the last register the second
/// byte C touches is the NUL terminator and is left unchanged by the
/// macro, so it is skipped here. (no C twin)
#[inline]
fn hll_dense_set_register(p: &mut [u8], regnum: usize, val: u8) {
    let byte = regnum * HLL_BITS / 8;
    let fb = (regnum * HLL_BITS) & 7;
    let fb8 = 8 - fb;
    let v = val as u64;
    p[byte] &= !((HLL_REGISTER_MAX << fb) as u8);
    p[byte] |= (v << fb) as u8;
    if byte + 1 < p.len() {
        p[byte + 1] &= !((HLL_REGISTER_MAX >> fb8) as u8);
        p[byte + 1] |= (v >> fb8) as u8;
    }
}

// Sparse opcodes (C's HLL_SPARSE_* macros).
const HLL_SPARSE_XZERO_BIT: u8 = 0x40; // 01xxxxxx
const HLL_SPARSE_VAL_BIT: u8 = 0x80; // 1vvvvvxx
#[inline]
fn hll_sparse_is_zero(b: u8) -> bool {
    b & 0xc0 == 0
}
#[inline]
fn hll_sparse_is_xzero(b: u8) -> bool {
    b & 0xc0 == HLL_SPARSE_XZERO_BIT
}
#[inline]
fn hll_sparse_is_val(b: u8) -> bool {
    b & HLL_SPARSE_VAL_BIT != 0
}
#[inline]
fn hll_sparse_zero_len(b: u8) -> i64 {
    (b & 0x3f) as i64 + 1
}
/// The second byte of an XZERO opcode: C reads it even when the opcode is
/// the last byte of the string (then it reads the NUL terminator, 0).
// Divergence from C: on a hostile sparse HLL ending in a truncated XZERO,
// hllSparseSet()'s split copies its new sequence one byte past the new
// length (over the NUL terminator) and later reads of that truncated
// opcode in C see that byte; here they see 0 (no byte lives past a Vec's
// end). Only such corrupted values can tell, and no read goes out of
// bounds.
#[inline]
fn hll_sparse_xzero_len(s: &[u8], p: usize) -> i64 {
    let b1 = s.get(p + 1).copied().unwrap_or(0);
    ((((s[p] & 0x3f) as i64) << 8) | b1 as i64) + 1
}
#[inline]
fn hll_sparse_val_value(b: u8) -> i64 {
    ((b >> 2) & 0x1f) as i64 + 1
}
#[inline]
fn hll_sparse_val_len(b: u8) -> i64 {
    (b & 0x3) as i64 + 1
}
const HLL_SPARSE_VAL_MAX_VALUE: u8 = 32;
const HLL_SPARSE_VAL_MAX_LEN: i64 = 4;
const HLL_SPARSE_ZERO_MAX_LEN: i64 = 64;
const HLL_SPARSE_XZERO_MAX_LEN: usize = 16384;
#[inline]
fn hll_sparse_val_set(val: i64, len: i64) -> u8 {
    ((((val - 1) << 2) | (len - 1)) as u8) | HLL_SPARSE_VAL_BIT
}
#[inline]
fn hll_sparse_zero_set(len: i64) -> u8 {
    (len - 1) as u8
}
#[inline]
fn hll_sparse_xzero_set(len: i64) -> [u8; 2] {
    let l = len - 1;
    [((l >> 8) as u8) | HLL_SPARSE_XZERO_BIT, (l & 0xff) as u8]
}
/// constant for 0.5/ln(2)
const HLL_ALPHA_INF: f64 = 0.721_347_520_444_481_7;

// ========================= Low level algorithm ===========================

/// Our hash function is MurmurHash2, 64 bit version. It was modified for
/// Redis in order to provide the same result in big and little endian
/// archs (endian neutral).
///
/// C: hyperloglog.c MurmurHash64A()
pub(crate) fn murmur_hash64a(key: &[u8], seed: u32) -> u64 {
    const M: u64 = 0xc6a4a7935bd1e995;
    const R: u32 = 47;
    let len = key.len() as i32;
    let mut h: u64 = (seed as u64) ^ ((len as i64 as u64).wrapping_mul(M));
    let mut chunks = key.chunks_exact(8);
    for data in &mut chunks {
        let mut a = [0u8; 8];
        a.copy_from_slice(data);
        let mut k = u64::from_le_bytes(a);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let data = chunks.remainder();
    let rem = data.len();
    if rem > 0 {
        for i in (0..rem).rev() {
            h ^= (data[i] as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// Given a string element to add to the HyperLogLog, returns the length
/// of the pattern 000..1 of the element hash, and the register index this
/// element hashes to.
///
/// C: hyperloglog.c hllPatLen()
pub(crate) fn hll_pat_len(ele: &[u8]) -> (u8, usize) {
    // Count the number of zeroes starting from bit HLL_REGISTERS (that is
    // a power of two corresponding to the first bit we don't use as
    // index). The max run can be 64-P+1 = Q+1 bits. The final "1" ending
    // the sequence of zeroes is included in the count.
    let mut hash = murmur_hash64a(ele, 0xadc83b19);
    let index = hash & HLL_P_MASK; // Register index.
    hash >>= HLL_P; // Remove bits used to address the register.
    hash |= 1u64 << HLL_Q; // Make sure the loop terminates and count
                           // will be <= Q+1.
    let mut bit: u64 = 1;
    let mut count: u8 = 1; // Initialized to 1 since we count the "00000...1" pattern.
    while hash & bit == 0 {
        count += 1;
        bit <<= 1;
    }
    (count, index as usize)
}

// ================== Dense representation implementation ==================

/// Low level function to set the dense HLL register at `index` to the
/// specified value if the current value is smaller than `count`. Returns
/// 1 if the approximated cardinality changed, otherwise 0.
///
/// C: hyperloglog.c hllDenseSet()
pub(crate) fn hll_dense_set(
    registers: &mut [u8],
    index: usize,
    count: u8,
) -> i32 {
    let oldcount = hll_dense_get_register(registers, index);
    if count > oldcount {
        hll_dense_set_register(registers, index, count);
        1
    } else {
        0
    }
}

/// "Add" the element in the dense hyperloglog data structure: the max 0
/// pattern counter of the subset the element belongs to is incremented if
/// needed.
///
/// C: hyperloglog.c hllDenseAdd()
pub(crate) fn hll_dense_add(registers: &mut [u8], ele: &[u8]) -> i32 {
    let (count, index) = hll_pat_len(ele);
    // Update the register if this element produced a longer run of zeroes.
    hll_dense_set(registers, index, count)
}

/// Compute the register histogram in the dense representation.
///
/// C unrolls the loop 16 registers at a time; the result is the same.
///
/// C: hyperloglog.c hllDenseRegHisto()
fn hll_dense_reg_histo(registers: &[u8], reghisto: &mut [i64; 64]) {
    for r in registers[..HLL_REGISTERS * HLL_BITS / 8].chunks_exact(3) {
        // Four registers per three bytes.
        let (a, b, c) = (r[0] as usize, r[1] as usize, r[2] as usize);
        reghisto[a & 63] += 1;
        reghisto[(a >> 6 | b << 2) & 63] += 1;
        reghisto[(b >> 4 | c << 4) & 63] += 1;
        reghisto[(c >> 2) & 63] += 1;
    }
}

// ================== Sparse representation implementation =================

/// Convert the HLL with sparse representation given as input in its dense
/// representation. Returns Ok if the sparse representation was valid,
/// otherwise Err if the representation was corrupted (then `s` is left
/// as it was).
///
/// C: hyperloglog.c hllSparseToDense()
pub(crate) fn hll_sparse_to_dense(s: &mut Vec<u8>) -> Result<(), ()> {
    // If the representation is already the right one return ASAP.
    if s[HLL_ENCODING_OFFSET] == HLL_DENSE {
        return Ok(());
    }

    // Create a string of the right size filled with zero bytes, copying
    // the magic and cached cardinality.
    let mut dense = vec![0u8; HLL_DENSE_SIZE];
    dense[..HLL_HDR_SIZE].copy_from_slice(&s[..HLL_HDR_SIZE]);
    dense[HLL_ENCODING_OFFSET] = HLL_DENSE;

    // Now read the sparse representation and set non-zero registers
    // accordingly.
    let end = s.len();
    let mut p = HLL_HDR_SIZE;
    let mut idx: i64 = 0;
    {
        let regs = &mut dense[HLL_HDR_SIZE..];
        while p < end {
            let b = s[p];
            if hll_sparse_is_zero(b) {
                idx += hll_sparse_zero_len(b);
                p += 1;
            } else if hll_sparse_is_xzero(b) {
                idx += hll_sparse_xzero_len(s, p);
                p += 2;
            } else {
                let mut runlen = hll_sparse_val_len(b);
                let regval = hll_sparse_val_value(b);
                if runlen + idx > HLL_REGISTERS as i64 {
                    break; // Overflow.
                }
                while runlen > 0 {
                    hll_dense_set_register(regs, idx as usize, regval as u8);
                    idx += 1;
                    runlen -= 1;
                }
                p += 1;
            }
        }
    }

    // If the sparse representation was valid, we expect to find idx set
    // to HLL_REGISTERS.
    if idx != HLL_REGISTERS as i64 {
        return Err(());
    }

    // Free the old representation and set the new one.
    *s = dense;
    Ok(())
}

/// Low level function to set the sparse HLL register at `index` to the
/// specified value if the current value is smaller than `count`.
///
/// On success returns 1 if the cardinality changed, or 0 if the register
/// for this element was not updated. On error (if the representation is
/// invalid) -1 is returned.
///
/// As a side effect the function may promote the HLL representation from
/// sparse to dense: this happens when a register requires to be set to a
/// value not representable with the sparse representation, or when the
/// resulting size would be greater than `sparse_max_bytes`.
///
/// Divergence from C: server.hll_sparse_max_bytes is passed in, since the
/// string being changed is borrowed from the server's keyspace.
///
/// C: hyperloglog.c hllSparseSet()
pub(crate) fn hll_sparse_set(
    s: &mut Vec<u8>,
    index: usize,
    count: u8,
    sparse_max_bytes: usize,
) -> i32 {
    'promote: {
        // If the count is too big to be representable by the sparse
        // representation switch to dense representation.
        if count > HLL_SPARSE_VAL_MAX_VALUE {
            break 'promote;
        }
        // (C's sdsMakeRoomFor(o->ptr,3): the Vec grows as needed below.)
        s.reserve(3);
        let index = index as i64;
        let count = count as i64;

        // Step 1: we need to locate the opcode we need to modify to check
        // if a value update is actually needed.
        let sparse = HLL_HDR_SIZE;
        let mut p = sparse;
        let mut end = s.len();

        let mut first: i64 = 0;
        let mut prev: Option<usize> = None; // Previous opcode at the end of the loop.
        let mut span: i64 = 0;
        while p < end {
            // Set span to the number of registers covered by this opcode.
            let mut oplen = 1;
            let b = s[p];
            if hll_sparse_is_zero(b) {
                span = hll_sparse_zero_len(b);
            } else if hll_sparse_is_val(b) {
                span = hll_sparse_val_len(b);
            } else {
                // XZERO.
                span = hll_sparse_xzero_len(s, p);
                oplen = 2;
            }
            // Break if this opcode covers the register as 'index'.
            if index < first + span {
                break;
            }
            prev = Some(p);
            p += oplen;
            first += span;
        }
        if span == 0 || p >= end {
            return -1; // Invalid format.
        }

        // (C's 'next', the opcode after 'p', is implied by the splice of
        // step 3.)

        // Cache current opcode type to avoid using the macro again and
        // again for something that will not change. Also cache the
        // run-length of the opcode.
        let b = s[p];
        let (mut is_zero, mut is_xzero, mut is_val) = (false, false, false);
        let runlen;
        if hll_sparse_is_zero(b) {
            is_zero = true;
            runlen = hll_sparse_zero_len(b);
        } else if hll_sparse_is_xzero(b) {
            is_xzero = true;
            runlen = hll_sparse_xzero_len(s, p);
        } else {
            is_val = true;
            runlen = hll_sparse_val_len(b);
        }

        // Step 2: After the loop 'first' stores the index of the first
        // register covered by the current opcode, pointed by 'p'; 'next'
        // and 'prev' the next and previous opcode (None if 'p' is the last
        // or first); 'span' the number of registers of the current opcode.
        //
        // A) If it is a VAL opcode already set to a value >= our 'count'
        //    no update is needed.
        // B) If it is a VAL opcode with len = 1 (representing only our
        //    register) and the value is less than 'count', we just update
        //    it.
        let mut updated = false;
        if is_val {
            let oldcount = hll_sparse_val_value(b);
            // Case A.
            if oldcount >= count {
                return 0;
            }
            // Case B.
            if runlen == 1 {
                s[p] = hll_sparse_val_set(count, 1);
                updated = true;
            }
        }

        // C) A ZERO opcode with a len of 1 is replaced with a VAL opcode
        //    with our value and len of 1.
        if !updated && is_zero && runlen == 1 {
            s[p] = hll_sparse_val_set(count, 1);
            updated = true;
        }

        if !updated {
            // D) General case: the original opcode must be split into
            // multiple opcodes. The worst case is an XZERO split in the
            // middle resulting into XZERO - VAL - XZERO, 5 bytes.
            let mut seq: [u8; 5] = [0; 5];
            let mut n = 0usize;
            let last = first + span - 1; // Last register covered by the sequence.

            if is_zero || is_xzero {
                // Handle splitting of ZERO / XZERO.
                if index != first {
                    let len = index - first;
                    if len > HLL_SPARSE_ZERO_MAX_LEN {
                        seq[n..n + 2]
                            .copy_from_slice(&hll_sparse_xzero_set(len));
                        n += 2;
                    } else {
                        seq[n] = hll_sparse_zero_set(len);
                        n += 1;
                    }
                }
                seq[n] = hll_sparse_val_set(count, 1);
                n += 1;
                if index != last {
                    let len = last - index;
                    if len > HLL_SPARSE_ZERO_MAX_LEN {
                        seq[n..n + 2]
                            .copy_from_slice(&hll_sparse_xzero_set(len));
                        n += 2;
                    } else {
                        seq[n] = hll_sparse_zero_set(len);
                        n += 1;
                    }
                }
            } else {
                // Handle splitting of VAL.
                let curval = hll_sparse_val_value(s[p]);
                if index != first {
                    let len = index - first;
                    seq[n] = hll_sparse_val_set(curval, len);
                    n += 1;
                }
                seq[n] = hll_sparse_val_set(count, 1);
                n += 1;
                if index != last {
                    let len = last - index;
                    seq[n] = hll_sparse_val_set(curval, len);
                    n += 1;
                }
            }

            // Step 3: substitute the new sequence with the old one.
            let seqlen = n as i64;
            let oldlen: i64 = if is_xzero { 2 } else { 1 };
            let deltalen = seqlen - oldlen;

            if deltalen > 0
                && s.len() as i64 + deltalen > sparse_max_bytes as i64
            {
                break 'promote;
            }
            // C moves what follows the old opcode (when there is a
            // 'next'), changes the length by deltalen and copies the
            // sequence at 'p'. Splicing the sequence in and cutting the
            // string at the new length gives the same bytes.
            let newlen = (s.len() as i64 + deltalen) as usize;
            let tail = (p + oldlen as usize).min(s.len());
            s.splice(p..tail, seq[..n].iter().copied());
            s.truncate(newlen);
            end = s.len();
        }

        // updated:
        // Step 4: Merge adjacent values if possible: adjacent VAL opcodes
        // can sometimes be merged into a single one.
        let mut p = prev.unwrap_or(sparse);
        let mut scanlen = 5; // Scan up to 5 upcodes starting from prev.
        while p < end && scanlen > 0 {
            scanlen -= 1;
            let b = s[p];
            if hll_sparse_is_xzero(b) {
                p += 2;
                continue;
            } else if hll_sparse_is_zero(b) {
                p += 1;
                continue;
            }
            // We need two adjacent VAL opcodes to try a merge, having the
            // same value, and a len that fits the VAL opcode max len.
            if p + 1 < end && hll_sparse_is_val(s[p + 1]) {
                let v1 = hll_sparse_val_value(b);
                let v2 = hll_sparse_val_value(s[p + 1]);
                if v1 == v2 {
                    let len =
                        hll_sparse_val_len(b) + hll_sparse_val_len(s[p + 1]);
                    if len <= HLL_SPARSE_VAL_MAX_LEN {
                        s[p + 1] = hll_sparse_val_set(v1, len);
                        s.remove(p);
                        end -= 1;
                        // After a merge we reiterate without incrementing
                        // 'p' in order to try to merge the just merged
                        // value with a value on its right.
                        continue;
                    }
                }
            }
            p += 1;
        }

        // Invalidate the cached cardinality.
        hll_invalidate_cache(s);
        return 1;
    }

    // promote: Promote to dense representation.
    if hll_sparse_to_dense(s).is_err() {
        return -1; // Corrupted HLL.
    }

    // We need to call hllDenseAdd() to perform the operation after the
    // conversion. However the result must be 1, since if we need to
    // convert from sparse to dense a register requires to be updated.
    //
    // Note that this in turn means that PFADD will make sure the command
    // is propagated to slaves / AOF, so if there is a sparse -> dense
    // conversion, it will be performed in all the slaves as well.
    //
    // Divergence from C: serverAssert(dense_retval == 1) is not kept: a
    // hostile sparse HLL can already hold the value; the result is
    // returned as is rather than aborting the server.
    hll_dense_set(&mut s[HLL_HDR_SIZE..], index, count)
}

/// "Add" the element in the sparse hyperloglog data structure: a wrapper
/// for hllSparseSet(), performing the hashing of the element.
///
/// C: hyperloglog.c hllSparseAdd()
pub(crate) fn hll_sparse_add(
    s: &mut Vec<u8>,
    ele: &[u8],
    sparse_max_bytes: usize,
) -> i32 {
    let (count, index) = hll_pat_len(ele);
    // Update the register if this element produced a longer run of zeroes.
    hll_sparse_set(s, index, count, sparse_max_bytes)
}

/// Compute the register histogram in the sparse representation.
///
/// C: hyperloglog.c hllSparseRegHisto()
fn hll_sparse_reg_histo(
    sparse: &[u8],
    invalid: Option<&mut bool>,
    reghisto: &mut [i64; 64],
) {
    let mut idx: i64 = 0;
    let end = sparse.len();
    let mut p = 0usize;
    while p < end {
        let b = sparse[p];
        if hll_sparse_is_zero(b) {
            let runlen = hll_sparse_zero_len(b);
            idx += runlen;
            reghisto[0] += runlen;
            p += 1;
        } else if hll_sparse_is_xzero(b) {
            let runlen = hll_sparse_xzero_len(sparse, p);
            idx += runlen;
            reghisto[0] += runlen;
            p += 2;
        } else {
            let runlen = hll_sparse_val_len(b);
            let regval = hll_sparse_val_value(b);
            idx += runlen;
            reghisto[regval as usize] += runlen;
            p += 1;
        }
    }
    if idx != HLL_REGISTERS as i64 {
        if let Some(invalid) = invalid {
            *invalid = true;
        }
    }
}

// ========================= HyperLogLog Count =============================

/// Implements the register histogram calculation for uint8_t data type
/// which is only used internally as speedup for PFCOUNT with multiple keys.
///
/// C: hyperloglog.c hllRawRegHisto()
fn hll_raw_reg_histo(registers: &[u8], reghisto: &mut [i64; 64]) {
    for word in registers[..HLL_REGISTERS].chunks_exact(8) {
        if word.iter().all(|&b| b == 0) {
            reghisto[0] += 8;
        } else {
            for &b in word {
                reghisto[b as usize] += 1;
            }
        }
    }
}

/// Helper function sigma as defined in "New cardinality estimation
/// algorithms for HyperLogLog sketches", Otmar Ertl, arXiv:1702.01284
///
/// C: hyperloglog.c hllSigma()
fn hll_sigma(mut x: f64) -> f64 {
    if x == 1. {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let z_prime = z;
        z += x * y;
        y += y;
        if z_prime == z {
            break;
        }
    }
    z
}

/// Helper function tau as defined in "New cardinality estimation
/// algorithms for HyperLogLog sketches", Otmar Ertl, arXiv:1702.01284
///
/// C: hyperloglog.c hllTau()
fn hll_tau(mut x: f64) -> f64 {
    if x == 0. || x == 1. {
        return 0.;
    }
    let mut y = 1.0;
    let mut z = 1. - x;
    loop {
        x = x.sqrt();
        let z_prime = z;
        y *= 0.5;
        z -= (1. - x) * (1. - x) * y;
        if z_prime == z {
            break;
        }
    }
    z / 3.
}

/// Return the approximated cardinality of the set based on the harmonic
/// mean of the registers values. `hdr` is the whole HLL string (header
/// and registers).
///
/// If the sparse representation of the HLL object is not valid, `invalid`
/// is set to true, otherwise it is left untouched.
///
/// Supports the internal-only encoding HLL_RAW: then the registers are an
/// array of HLL_REGISTERS bytes (PFCOUNT of several keys).
///
/// C: hyperloglog.c hllCount()
pub(crate) fn hll_count(hdr: &[u8], invalid: Option<&mut bool>) -> u64 {
    let m = HLL_REGISTERS as f64;
    // 64 entries: overflows on hostile input write to wrong, but
    // allocated, places (C's comment), as register values are < 64.
    let mut reghisto = [0i64; 64];

    // Compute register histogram
    match hdr[HLL_ENCODING_OFFSET] {
        HLL_DENSE => hll_dense_reg_histo(&hdr[HLL_HDR_SIZE..], &mut reghisto),
        HLL_SPARSE => {
            hll_sparse_reg_histo(&hdr[HLL_HDR_SIZE..], invalid, &mut reghisto)
        }
        HLL_RAW => hll_raw_reg_histo(&hdr[HLL_HDR_SIZE..], &mut reghisto),
        _ => {
            // Divergence from C: serverPanic("Unknown HyperLogLog encoding
            // in hllCount()"). Callers validate the encoding first; an
            // unknown one is reported as a corrupted HLL, not a crash.
            if let Some(invalid) = invalid {
                *invalid = true;
            }
            return 0;
        }
    }

    // Estimate cardinality form register histogram.
    let mut z = m * hll_tau((m - reghisto[HLL_Q as usize + 1] as f64) / m);
    for j in (1..=HLL_Q as usize).rev() {
        z += reghisto[j] as f64;
        z *= 0.5;
    }
    z += m * hll_sigma(reghisto[0] as f64 / m);
    // llroundl(): round half away from zero, as f64::round does.
    let e = (HLL_ALPHA_INF * m * m / z).round();
    e as i64 as u64
}

/// Call hllDenseAdd() or hllSparseAdd() according to the HLL encoding.
///
/// C: hyperloglog.c hllAdd()
pub(crate) fn hll_add(
    s: &mut Vec<u8>,
    ele: &[u8],
    sparse_max_bytes: usize,
) -> i32 {
    match s[HLL_ENCODING_OFFSET] {
        HLL_DENSE => hll_dense_add(&mut s[HLL_HDR_SIZE..], ele),
        HLL_SPARSE => hll_sparse_add(s, ele, sparse_max_bytes),
        _ => -1, // Invalid representation.
    }
}

/// Merge by computing MAX(registers[i],hll[i]) the HyperLogLog `hll` with
/// an array of uint8_t HLL_REGISTERS registers pointed by `max`.
///
/// The hll object must be already validated via isHLLObjectOrReply() or
/// in some other way. If the HyperLogLog is sparse and is found to be
/// invalid, Err is returned, otherwise the function always succeeds.
///
/// C: hyperloglog.c hllMerge()
pub(crate) fn hll_merge(max: &mut [u8], hll: &[u8]) -> Result<(), ()> {
    if hll[HLL_ENCODING_OFFSET] == HLL_DENSE {
        let regs = &hll[HLL_HDR_SIZE..];
        for (i, m) in max.iter_mut().enumerate().take(HLL_REGISTERS) {
            let val = hll_dense_get_register(regs, i);
            if val > *m {
                *m = val;
            }
        }
    } else {
        let end = hll.len();
        let mut p = HLL_HDR_SIZE;
        let mut i: i64 = 0;
        while p < end {
            let b = hll[p];
            if hll_sparse_is_zero(b) {
                i += hll_sparse_zero_len(b);
                p += 1;
            } else if hll_sparse_is_xzero(b) {
                i += hll_sparse_xzero_len(hll, p);
                p += 2;
            } else {
                let mut runlen = hll_sparse_val_len(b);
                let regval = hll_sparse_val_value(b) as u8;
                if runlen + i > HLL_REGISTERS as i64 {
                    break; // Overflow.
                }
                while runlen > 0 {
                    if regval > max[i as usize] {
                        max[i as usize] = regval;
                    }
                    i += 1;
                    runlen -= 1;
                }
                p += 1;
            }
        }
        if i != HLL_REGISTERS as i64 {
            return Err(());
        }
    }
    Ok(())
}

// ========================== HyperLogLog commands ==========================

/// Create an HLL object. We always create the HLL using sparse encoding.
/// This will be upgraded to the dense representation as needed.
///
/// C: hyperloglog.c createHLLObject()
pub(crate) fn create_hll_object(lru: u32) -> RObj {
    let sparselen =
        HLL_HDR_SIZE + HLL_REGISTERS.div_ceil(HLL_SPARSE_XZERO_MAX_LEN) * 2;

    // Populate the sparse representation with as many XZERO opcodes as
    // needed to represent all the registers.
    let mut s = vec![0u8; HLL_HDR_SIZE];
    s.reserve(sparselen - HLL_HDR_SIZE);
    let mut aux = HLL_REGISTERS;
    while aux > 0 {
        let xzero = HLL_SPARSE_XZERO_MAX_LEN.min(aux);
        s.extend_from_slice(&hll_sparse_xzero_set(xzero as i64));
        aux -= xzero;
    }
    debug_assert_eq!(s.len(), sparselen);

    s[..4].copy_from_slice(b"HYLL");
    s[HLL_ENCODING_OFFSET] = HLL_SPARSE;
    create_object(lru, OBJ_ENCODING_RAW, Value::Str(s.into()))
}

/// Check if the object is a String with a valid HLL representation.
/// Return true if this is true, otherwise reply to the client with an
/// error and return false.
///
/// C: hyperloglog.c isHLLObjectOrReply()
pub(crate) fn is_hll_object_or_reply(c: &mut Client, o: &RObj) -> bool {
    // Key exists, check type
    if check_type(c, o, OBJ_STRING) {
        return false; // Error already sent.
    }
    let valid = match &o.ptr {
        // !sdsEncodedObject(o)
        Value::Str(s) => {
            s.len() >= HLL_HDR_SIZE
                // Magic should be "HYLL".
                && &s[..4] == b"HYLL"
                && s[HLL_ENCODING_OFFSET] <= HLL_MAX_ENCODING
                // Dense representation string length should match exactly.
                && !(s[HLL_ENCODING_OFFSET] == HLL_DENSE && s.len() != HLL_DENSE_SIZE)
        }
        _ => false,
    };
    if valid {
        return true;
    }
    add_reply(
        c,
        b"-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n",
    );
    false
}

/// The HLL string of a key found by lookup_key (no C twin).
fn hll_bytes_mut<'a>(
    server: &'a mut RedisServer,
    dbid: usize,
    key: &[u8],
) -> Option<&'a mut Vec<u8>> {
    let o = lookup_key(server, dbid, key, LOOKUP_NOTOUCH)?;
    db_unshare_string_value(o);
    match &mut o.ptr {
        Value::Str(s) => Some(s.make_mut()),
        _ => None,
    }
}

/// PFADD var ele ele ele ... ele => :0 or :1
///
/// C: hyperloglog.c pfaddCommand()
pub(crate) fn pfadd_command(server: &mut RedisServer, c: &mut Client) {
    let dbid = c.db;
    let key = std::mem::take(&mut c.argv[1]);
    let mut updated = 0;
    let lru = new_object_lru(server);
    match lookup_key_write(server, dbid, &key) {
        None => {
            // Create the key with a string value of the exact length to
            // hold our HLL data structure.
            db_add(server, dbid, &key, create_hll_object(lru));
            updated += 1;
        }
        Some(o) => {
            if !is_hll_object_or_reply(c, o) {
                c.argv[1] = key;
                return;
            }
        }
    }
    let max_bytes = server.hll_sparse_max_bytes;
    let Some(s) = hll_bytes_mut(server, dbid, &key) else {
        c.argv[1] = key;
        return;
    };
    // Perform the low level ADD operation for every element.
    for ele in &c.argv[2..] {
        match hll_add(s, ele, max_bytes) {
            1 => updated += 1,
            -1 => {
                add_reply(c, INVALID_HLL_ERR);
                c.argv[1] = key;
                return;
            }
            _ => {}
        }
    }
    if updated != 0 {
        hll_invalidate_cache(s);
        signal_modified_key(server, dbid, &key);
        notify_keyspace_event(
            server,
            NOTIFY_STRING,
            "pfadd",
            &key,
            dbid as i32,
        );
        server.dirty += 1;
    }
    c.argv[1] = key;
    add_reply(c, if updated != 0 { CONE } else { CZERO });
}

/// PFCOUNT var -> approximated cardinality of set.
///
/// C: hyperloglog.c pfcountCommand()
pub(crate) fn pfcount_command(server: &mut RedisServer, c: &mut Client) {
    // Case 1: multi-key keys, cardinality of the union.
    //
    // When multiple keys are specified, PFCOUNT actually computes the
    // cardinality of the merge of the N HLLs specified.
    if c.argv.len() > 2 {
        // Compute an HLL with M[i] = MAX(M[i]_j).
        let mut max = vec![0u8; HLL_HDR_SIZE + HLL_REGISTERS];
        max[HLL_ENCODING_OFFSET] = HLL_RAW; // Special internal-only encoding.
        for j in 1..c.argv.len() {
            // Check type and size.
            let key = std::mem::take(&mut c.argv[j]);
            let o = lookup_key_read(server, c, &key);
            c.argv[j] = key;
            let Some(o) = o else { continue }; // Assume empty HLL for non existing var.
            if !is_hll_object_or_reply(c, o) {
                return;
            }
            let Value::Str(s) = &o.ptr else { return };
            // Merge with this HLL with our 'max' HHL by setting max[i] to
            // MAX(max[i],hll[i]).
            if hll_merge(&mut max[HLL_HDR_SIZE..], s).is_err() {
                add_reply(c, INVALID_HLL_ERR);
                return;
            }
        }
        // Compute cardinality of the resulting set.
        add_reply_long_long(c, hll_count(&max, None) as i64);
        return;
    }

    // Case 2: cardinality of the single HLL.
    //
    // The user specified a single key. Either return the cached value or
    // compute one and update the cache.
    let dbid = c.db;
    let key = std::mem::take(&mut c.argv[1]);
    let Some(o) = lookup_key_write(server, dbid, &key) else {
        // No key? Cardinality is zero since no element was added, otherwise
        // we would have a key as HLLADD creates it as a side effect.
        c.argv[1] = key;
        add_reply(c, CZERO);
        return;
    };
    if !is_hll_object_or_reply(c, o) {
        c.argv[1] = key;
        return;
    }
    let Some(hdr) = hll_bytes_mut(server, dbid, &key) else {
        c.argv[1] = key;
        return;
    };
    // Check if the cached cardinality is valid.
    let card;
    if hll_valid_cache(hdr) {
        // Just return the cached value.
        let mut a = [0u8; 8];
        a.copy_from_slice(&hdr[HLL_CARD_OFFSET..HLL_CARD_OFFSET + 8]);
        card = u64::from_le_bytes(a);
    } else {
        let mut invalid = false;
        // Recompute it and update the cached value.
        card = hll_count(hdr, Some(&mut invalid));
        if invalid {
            c.argv[1] = key;
            add_reply(c, INVALID_HLL_ERR);
            return;
        }
        hdr[HLL_CARD_OFFSET..HLL_CARD_OFFSET + 8]
            .copy_from_slice(&card.to_le_bytes());
        // This is not considered a read-only command even if the data
        // structure is not modified, since the cached value may be
        // modified and given that the HLL is a Redis string we need to
        // propagate the change.
        signal_modified_key(server, dbid, &key);
        server.dirty += 1;
    }
    c.argv[1] = key;
    add_reply_long_long(c, card as i64);
}

/// PFMERGE dest src1 src2 src3 ... srcN => OK
///
/// C: hyperloglog.c pfmergeCommand()
pub(crate) fn pfmerge_command(server: &mut RedisServer, c: &mut Client) {
    let mut max = vec![0u8; HLL_REGISTERS];
    let mut use_dense = false; // Use dense representation as target?

    // Compute an HLL with M[i] = MAX(M[i]_j). We store the maximum into
    // the max array of registers. We'll write it to the target variable
    // later.
    for j in 1..c.argv.len() {
        // Check type and size.
        let key = std::mem::take(&mut c.argv[j]);
        let o = lookup_key_read(server, c, &key);
        c.argv[j] = key;
        let Some(o) = o else { continue }; // Assume empty HLL for non existing var.
        if !is_hll_object_or_reply(c, o) {
            return;
        }
        let Value::Str(s) = &o.ptr else { return };
        // If at least one involved HLL is dense, use the dense
        // representation as target ASAP to save time and avoid the
        // conversion step.
        if s[HLL_ENCODING_OFFSET] == HLL_DENSE {
            use_dense = true;
        }
        // Merge with this HLL with our 'max' HHL by setting max[i] to
        // MAX(max[i],hll[i]).
        if hll_merge(&mut max, s).is_err() {
            add_reply(c, INVALID_HLL_ERR);
            return;
        }
    }

    // Create / unshare the destination key's value if needed.
    let dbid = c.db;
    let key = std::mem::take(&mut c.argv[1]);
    let lru = new_object_lru(server);
    if lookup_key_write(server, dbid, &key).is_none() {
        // Create the key with a string value of the exact length to hold
        // our HLL data structure.
        db_add(server, dbid, &key, create_hll_object(lru));
    }
    // else: if key exists we are sure it's of the right type/size since
    // we checked when merging the different HLLs, so we don't check
    // again.
    let max_bytes = server.hll_sparse_max_bytes;
    let Some(s) = hll_bytes_mut(server, dbid, &key) else {
        c.argv[1] = key;
        return;
    };

    // Convert the destination object to dense representation if at least
    // one of the inputs was dense.
    if use_dense && hll_sparse_to_dense(s).is_err() {
        c.argv[1] = key;
        add_reply(c, INVALID_HLL_ERR);
        return;
    }

    // Write the resulting HLL to the destination HLL registers and
    // invalidate the cached value.
    for (j, &m) in max.iter().enumerate() {
        if m == 0 {
            continue;
        }
        match s[HLL_ENCODING_OFFSET] {
            HLL_DENSE => {
                hll_dense_set(&mut s[HLL_HDR_SIZE..], j, m);
            }
            HLL_SPARSE => {
                hll_sparse_set(s, j, m, max_bytes);
            }
            _ => {}
        }
    }
    hll_invalidate_cache(s);

    signal_modified_key(server, dbid, &key);
    // We generate a PFADD event for PFMERGE for semantical simplicity
    // since in theory this is a mass-add of elements.
    notify_keyspace_event(server, NOTIFY_STRING, "pfadd", &key, dbid as i32);
    server.dirty += 1;
    c.argv[1] = key;
    add_reply(c, OK);
}

// ========================== Testing / Debugging ==========================

const HLL_TEST_CYCLES: u32 = 1000;

/// libc's rand(), which PFSELFTEST uses. (no C twin)
fn rand() -> u32 {
    // SAFETY: rand() has no preconditions.
    (unsafe { libc::rand() }) as u32
}

/// PFSELFTEST
/// This command performs a self-test of the HLL registers implementation.
/// Something that is not easy to test from within the outside.
///
/// C: hyperloglog.c pfselftestCommand()
pub(crate) fn pfselftest_command(server: &mut RedisServer, c: &mut Client) {
    let mut bitcounters = vec![0u8; HLL_DENSE_SIZE];
    let mut bytecounters = vec![0u8; HLL_REGISTERS];

    // Test 1: access registers.
    // The test is conceived to test that the different counters of our
    // data structure are accessible and that setting their values both
    // result in the correct value to be retained and not affect adjacent
    // values.
    for _ in 0..HLL_TEST_CYCLES {
        // Set the HLL counters and an array of unsigned byes of the same
        // size to the same set of random values.
        let regs = &mut bitcounters[HLL_HDR_SIZE..];
        for (i, bc) in bytecounters.iter_mut().enumerate() {
            let r = (rand() as u64 & HLL_REGISTER_MAX) as u8;
            *bc = r;
            hll_dense_set_register(regs, i, r);
        }
        // Check that we are able to retrieve the same values.
        for (i, &bc) in bytecounters.iter().enumerate() {
            let val = hll_dense_get_register(regs, i);
            if val != bc {
                add_reply_error_format(
                    c,
                    format_args!(
                        "TESTFAILED Register {} should be {} but is {}",
                        i, bc, val
                    ),
                );
                return;
            }
        }
    }

    // Test 2: approximation error.
    // The test adds unique elements and check that the estimated value is
    // always reasonable bounds. The test is performed with both dense and
    // sparse HLLs at the same time also verifying that the computed
    // cardinality is the same.
    for b in bitcounters[HLL_HDR_SIZE..].iter_mut() {
        *b = 0;
    }
    let lru = new_object_lru(server);
    let o = create_hll_object(lru);
    let Value::Str(mut sds) = o.ptr else { return };
    let s = sds.make_mut();
    let relerr = 1.04 / (HLL_REGISTERS as f64).sqrt();
    let mut checkpoint: i64 = 1;
    let seed: u64 = rand() as u64 | (rand() as u64) << 32;
    let max_bytes = server.hll_sparse_max_bytes;
    for j in 1..=10_000_000u32 {
        let ele = (j as u64 ^ seed).to_ne_bytes();
        hll_dense_add(&mut bitcounters[HLL_HDR_SIZE..], &ele);
        hll_add(s, &ele, max_bytes);

        // Make sure that for small cardinalities we use sparse encoding.
        if j as i64 == checkpoint
            && (j as usize) < max_bytes / 2
            && s[HLL_ENCODING_OFFSET] != HLL_SPARSE
        {
            add_reply_error(c, "TESTFAILED sparse encoding not used");
            return;
        }

        // Check that dense and sparse representations agree.
        if j as i64 == checkpoint
            && hll_count(&bitcounters, None) != hll_count(s, None)
        {
            add_reply_error(c, "TESTFAILED dense/sparse disagree");
            return;
        }

        // Check error.
        if j as i64 == checkpoint {
            let mut abserr = checkpoint - hll_count(&bitcounters, None) as i64;
            let mut maxerr = (relerr * 6. * checkpoint as f64).ceil() as u64;

            // Adjust the max error we expect for cardinality 10 since from
            // time to time it is statistically likely to get much higher
            // error due to collision, resulting into a false positive.
            if j == 10 {
                maxerr = 1;
            }

            if abserr < 0 {
                abserr = -abserr;
            }
            if abserr > maxerr as i64 {
                add_reply_error_format(
                    c,
                    format_args!(
                        "TESTFAILED Too big error. card:{} abserr:{}",
                        checkpoint as u64, abserr as u64
                    ),
                );
                return;
            }
            checkpoint *= 10;
        }
    }

    // Success!
    add_reply(c, OK);
}

/// PFDEBUG <subcommand> <key> ... args ...
/// Different debugging related operations about the HLL implementation.
///
/// C: hyperloglog.c pfdebugCommand()
pub(crate) fn pfdebug_command(server: &mut RedisServer, c: &mut Client) {
    let cmd = c.argv[1].clone();
    let dbid = c.db;
    let key = std::mem::take(&mut c.argv[2]);
    let Some(o) = lookup_key_write(server, dbid, &key) else {
        c.argv[2] = key;
        add_reply_error(c, "The specified key does not exist");
        return;
    };
    if !is_hll_object_or_reply(c, o) {
        c.argv[2] = key;
        return;
    }
    let argc = c.argv.len();
    let Some(s) = hll_bytes_mut(server, dbid, &key) else {
        c.argv[2] = key;
        return;
    };
    c.argv[2] = key;
    let cmdname = crate::networking::c_str(&cmd);
    // Divergence from C: the key's string stays borrowed from the server
    // while the subcommand runs, so its dirty++ is counted here and added
    // afterwards.
    let mut dirty = 0;
    pfdebug_subcommand(c, s, cmdname, argc, &mut dirty);
    server.dirty += dirty;
}

/// The subcommands of pfdebugCommand(). (no C twin)
fn pfdebug_subcommand(
    c: &mut Client,
    s: &mut Vec<u8>,
    cmdname: &[u8],
    argc: usize,
    dirty: &mut i64,
) {
    let is = |lit: &[u8]| cmdname.eq_ignore_ascii_case(lit);

    if is(b"getreg") {
        // PFDEBUG GETREG <key>
        if argc != 3 {
            return pfdebug_arityerr(c, cmdname);
        }
        if s[HLL_ENCODING_OFFSET] == HLL_SPARSE {
            if hll_sparse_to_dense(s).is_err() {
                add_reply(c, INVALID_HLL_ERR);
                return;
            }
            *dirty += 1; // Force propagation on encoding change.
        }
        add_reply_multi_bulk_len(c, HLL_REGISTERS as i64);
        let regs = &s[HLL_HDR_SIZE..];
        for j in 0..HLL_REGISTERS {
            let val = hll_dense_get_register(regs, j);
            add_reply_long_long(c, val as i64);
        }
    } else if is(b"decode") {
        // PFDEBUG DECODE <key>
        if argc != 3 {
            return pfdebug_arityerr(c, cmdname);
        }
        if s[HLL_ENCODING_OFFSET] != HLL_SPARSE {
            add_reply_error(c, "HLL encoding is not sparse");
            return;
        }
        let mut decoded = String::new();
        let end = s.len();
        let mut p = HLL_HDR_SIZE;
        while p < end {
            let b = s[p];
            if hll_sparse_is_zero(b) {
                let runlen = hll_sparse_zero_len(b);
                p += 1;
                decoded.push_str(&format!("z:{} ", runlen));
            } else if hll_sparse_is_xzero(b) {
                let runlen = hll_sparse_xzero_len(s, p);
                p += 2;
                decoded.push_str(&format!("Z:{} ", runlen));
            } else {
                let runlen = hll_sparse_val_len(b);
                let regval = hll_sparse_val_value(b);
                p += 1;
                decoded.push_str(&format!("v:{},{} ", regval, runlen));
            }
        }
        let decoded = decoded.trim_matches(' ');
        add_reply_bulk_c_buffer(c, decoded.as_bytes());
    } else if is(b"encoding") {
        // PFDEBUG ENCODING <key>
        const ENCODINGSTR: [&str; 2] = ["dense", "sparse"];
        if argc != 3 {
            return pfdebug_arityerr(c, cmdname);
        }
        add_reply_status(c, ENCODINGSTR[s[HLL_ENCODING_OFFSET] as usize & 1]);
    } else if is(b"todense") {
        // PFDEBUG TODENSE <key>
        let mut conv = false;
        if argc != 3 {
            return pfdebug_arityerr(c, cmdname);
        }
        if s[HLL_ENCODING_OFFSET] == HLL_SPARSE {
            if hll_sparse_to_dense(s).is_err() {
                add_reply(c, INVALID_HLL_ERR);
                return;
            }
            conv = true;
            *dirty += 1; // Force propagation on encoding change.
        }
        add_reply(c, if conv { CONE } else { CZERO });
    } else {
        add_reply_error_format_bytes(
            c,
            &[b"Unknown PFDEBUG subcommand '", cmdname, b"'"],
        );
    }
}

/// pfdebugCommand()'s arityerr label. (no C twin)
fn pfdebug_arityerr(c: &mut Client, cmd: &[u8]) {
    add_reply_error_format_bytes(
        c,
        &[b"Wrong number of arguments for the '", cmd, b"' subcommand"],
    );
}
