//! The listpack: a list of strings and integers serialized into one byte
//! buffer, the successor of the ziplist. Redis 5.0 uses it only inside
//! streams; Redis 7.0 uses it for every small encoding, so a 7.0 RDB file
//! holds listpacks for small hashes (RDB_TYPE_HASH_LISTPACK), small sorted
//! sets (RDB_TYPE_ZSET_LISTPACK) and the nodes of lists
//! (RDB_TYPE_LIST_QUICKLIST_2). oxredis decodes them when it loads such a
//! file, and can build them for tests.
//!
//! Ports listpack.c from Redis 5.0.14, in the same order. The validation
//! that loading needs (`lpValidateFirst()`, `lpValidateNext()`,
//! `lpValidateIntegrity()`, `lpCurrentEncodedSizeBytes()`,
//! `lpSafeToAdd()`) came in Redis 6.2; it is ported from Redis 7.0.15 and
//! placed where 7.0 has it.
//!
//! Before reading: a C element pointer is a `usize` offset into the
//! buffer, and a listpack under construction is a `Vec<u8>` holding
//! exactly C's bytes. The walking functions (`lp_next`, `lp_get`, ...)
//! assume a listpack built here or one that passed
//! `lp_validate_integrity(lp, true, ..)`; only that function and
//! `lp_entries` take untrusted bytes.
//!
//! The layout: `<total bytes u32 LE> <num elements u16 LE> <element> ...
//! <element> <EOF 0xff>`, the count being 65535 when unknown. Each element
//! is `<encoding+data> <backlen>`, where backlen is the size of the
//! encoding+data part written backwards in 1 to 5 bytes of 7 bits each
//! (the high bit set on all but the byte furthest from the element), so
//! the list can be walked from the end. The first byte says the encoding:
//!
//! ```text
//! 0xxxxxxx                  7 bit unsigned integer
//! 10xxxxxx + data           string of up to 63 bytes
//! 110xxxxx yyyyyyyy         13 bit signed integer
//! 1110xxxx yyyyyyyy + data  string of up to 4095 bytes
//! 11110000 + 4 bytes + data string with a 32 bit length
//! 11110001 / 0010 / 0011 / 0100
//!                           16 / 24 / 32 / 64 bit signed integer follows
//! 11111111                  end of the listpack
//! ```
//!
//! All multi-byte integers and lengths are little endian.

use std::collections::HashSet;

use crate::object::ll2string;

// --------------------------------- listpack.h ---------------------------------

/// lpInsert() where: insert before the element.
pub const LP_BEFORE: i32 = 0;
/// lpInsert() where: insert after the element.
pub(crate) const LP_AFTER: i32 = 1;
/// lpInsert() where: replace the element.
pub(crate) const LP_REPLACE: i32 = 2;

// --------------------------------- listpack.c ---------------------------------

/// 32 bit total len + 16 bit number of elements.
pub(crate) const LP_HDR_SIZE: usize = 6;
pub(crate) const LP_HDR_NUMELE_UNKNOWN: u32 = u16::MAX as u32;
const LP_MAX_INT_ENCODING_LEN: usize = 9;
const LP_MAX_BACKLEN_SIZE: usize = 5;
const LP_ENCODING_INT: i32 = 0;
const LP_ENCODING_STRING: i32 = 1;

const LP_ENCODING_7BIT_UINT: u8 = 0;
const LP_ENCODING_7BIT_UINT_MASK: u8 = 0x80;
fn lp_encoding_is_7bit_uint(byte: u8) -> bool {
    byte & LP_ENCODING_7BIT_UINT_MASK == LP_ENCODING_7BIT_UINT
}

const LP_ENCODING_6BIT_STR: u8 = 0x80;
const LP_ENCODING_6BIT_STR_MASK: u8 = 0xC0;
fn lp_encoding_is_6bit_str(byte: u8) -> bool {
    byte & LP_ENCODING_6BIT_STR_MASK == LP_ENCODING_6BIT_STR
}

const LP_ENCODING_13BIT_INT: u8 = 0xC0;
const LP_ENCODING_13BIT_INT_MASK: u8 = 0xE0;
fn lp_encoding_is_13bit_int(byte: u8) -> bool {
    byte & LP_ENCODING_13BIT_INT_MASK == LP_ENCODING_13BIT_INT
}

const LP_ENCODING_12BIT_STR: u8 = 0xE0;
const LP_ENCODING_12BIT_STR_MASK: u8 = 0xF0;
fn lp_encoding_is_12bit_str(byte: u8) -> bool {
    byte & LP_ENCODING_12BIT_STR_MASK == LP_ENCODING_12BIT_STR
}

const LP_ENCODING_16BIT_INT: u8 = 0xF1;
const LP_ENCODING_24BIT_INT: u8 = 0xF2;
const LP_ENCODING_32BIT_INT: u8 = 0xF3;
const LP_ENCODING_64BIT_INT: u8 = 0xF4;
const LP_ENCODING_32BIT_STR: u8 = 0xF0;

pub const LP_EOF: u8 = 0xFF;

/// C: listpack.c LP_ENCODING_6BIT_STR_LEN
fn lp_encoding_6bit_str_len(p: &[u8]) -> u32 {
    (p[0] & 0x3F) as u32
}

/// C: listpack.c LP_ENCODING_12BIT_STR_LEN
fn lp_encoding_12bit_str_len(p: &[u8]) -> u32 {
    ((p[0] as u32 & 0xF) << 8) | p[1] as u32
}

/// C: listpack.c LP_ENCODING_32BIT_STR_LEN
fn lp_encoding_32bit_str_len(p: &[u8]) -> u32 {
    u32::from_le_bytes([p[1], p[2], p[3], p[4]])
}

/// C: listpack.c lpGetTotalBytes
fn lp_get_total_bytes(p: &[u8]) -> u32 {
    u32::from_le_bytes([p[0], p[1], p[2], p[3]])
}

/// C: listpack.c lpGetNumElements
fn lp_get_num_elements(p: &[u8]) -> u32 {
    u16::from_le_bytes([p[4], p[5]]) as u32
}

/// C: listpack.c lpSetTotalBytes
fn lp_set_total_bytes(p: &mut [u8], v: u32) {
    p[0..4].copy_from_slice(&v.to_le_bytes());
}

/// C: listpack.c lpSetNumElements
fn lp_set_num_elements(p: &mut [u8], v: u32) {
    p[4..6].copy_from_slice(&(v as u16).to_le_bytes());
}

/// Don't let listpacks grow over 1GB in any case, don't risk overflow in
/// the total bytes header field.
#[cfg(test)] // only the unit tests call it
pub(crate) const LISTPACK_MAX_SAFETY_SIZE: usize = 1 << 30;

/// Whether `add` more bytes keep the listpack `lp` (or a new one, for
/// `None`) under LISTPACK_MAX_SAFETY_SIZE.
///
/// C: listpack.c lpSafeToAdd() (Redis 7.0)
#[cfg(test)] // only the unit tests call it
pub(crate) fn lp_safe_to_add(lp: Option<&[u8]>, add: usize) -> bool {
    let len = lp.map_or(0, |lp| lp_get_total_bytes(lp) as usize);
    len + add <= LISTPACK_MAX_SAFETY_SIZE
}

/// The value of an element: a string (borrowed from the listpack) or an
/// integer. C's lpGet() returns either a string pointer and its length or
/// NULL and the integer in `*count`; this enum says which (no C twin).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LpValue<'a> {
    Str(&'a [u8]),
    Int(i64),
}

impl LpValue<'_> {
    /// The element as a string, integers in decimal: what lpGet() gives
    /// when passed an `intbuf` (no C twin).
    pub fn to_vec(&self) -> Vec<u8> {
        match *self {
            LpValue::Str(s) => s.to_vec(),
            LpValue::Int(v) => ll2string(v),
        }
    }
}

/// Convert a string into a signed 64 bit integer, accepting only the
/// exact canonical form: no spaces or other characters around it, no
/// leading zeroes (but "0" itself), no overflow. Because of this
/// strictness the number converts back to the very same string, so it is
/// safe to store the number instead of the string.
///
/// (Adapted in C from util.c string2ll().)
///
/// C: listpack.c lpStringToInt64()
pub(crate) fn lp_string_to_int64(s: &[u8]) -> Option<i64> {
    let slen = s.len();
    let mut plen = 0;
    let mut negative = false;

    if plen == slen {
        return None;
    }

    // Special case: first and only digit is 0.
    if slen == 1 && s[0] == b'0' {
        return Some(0);
    }

    if s[0] == b'-' {
        negative = true;
        plen += 1;

        // Abort on only a negative sign.
        if plen == slen {
            return None;
        }
    }

    // First digit should be 1-9, otherwise the string should just be 0.
    let mut v: u64;
    if (b'1'..=b'9').contains(&s[plen]) {
        v = (s[plen] - b'0') as u64;
        plen += 1;
    } else if s[plen] == b'0' && slen == 1 {
        return Some(0);
    } else {
        return None;
    }

    while plen < slen && s[plen].is_ascii_digit() {
        // Overflow.
        v = v.checked_mul(10)?;
        v = v.checked_add((s[plen] - b'0') as u64)?;
        plen += 1;
    }

    // Return if not all bytes were used.
    if plen < slen {
        return None;
    }

    if negative {
        if v > (-(i64::MIN + 1)) as u64 + 1 {
            // Overflow.
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else {
        if v > i64::MAX as u64 {
            // Overflow.
            return None;
        }
        Some(v as i64)
    }
}

/// Create a new, empty listpack.
///
/// C: listpack.c lpNew()
pub fn lp_new() -> Vec<u8> {
    let mut lp = vec![0u8; LP_HDR_SIZE + 1];
    lp_set_total_bytes(&mut lp, (LP_HDR_SIZE + 1) as u32);
    lp_set_num_elements(&mut lp, 0);
    lp[LP_HDR_SIZE] = LP_EOF;
    lp
}

/// Decide whether `ele` is stored as an integer (LP_ENCODING_INT, with
/// its encoded form written into `intenc`) or as a string
/// (LP_ENCODING_STRING). Either way returns the number of bytes the
/// encoded element takes.
///
/// C: listpack.c lpEncodeGetType()
fn lp_encode_get_type(
    ele: &[u8],
    intenc: &mut [u8; LP_MAX_INT_ENCODING_LEN],
) -> (i32, u64) {
    let size = ele.len() as u64;
    if let Some(mut v) = lp_string_to_int64(ele) {
        let enclen;
        if (0..=127).contains(&v) {
            // Single byte 0-127 integer.
            intenc[0] = v as u8;
            enclen = 1;
        } else if (-4096..=4095).contains(&v) {
            // 13 bit integer.
            if v < 0 {
                v += 1 << 13;
            }
            intenc[0] = (v >> 8) as u8 | LP_ENCODING_13BIT_INT;
            intenc[1] = v as u8;
            enclen = 2;
        } else if (-32768..=32767).contains(&v) {
            // 16 bit integer.
            if v < 0 {
                v += 1 << 16;
            }
            intenc[0] = LP_ENCODING_16BIT_INT;
            intenc[1] = v as u8;
            intenc[2] = (v >> 8) as u8;
            enclen = 3;
        } else if (-8388608..=8388607).contains(&v) {
            // 24 bit integer.
            if v < 0 {
                v += 1 << 24;
            }
            intenc[0] = LP_ENCODING_24BIT_INT;
            intenc[1] = v as u8;
            intenc[2] = (v >> 8) as u8;
            intenc[3] = (v >> 16) as u8;
            enclen = 4;
        } else if (-2147483648..=2147483647).contains(&v) {
            // 32 bit integer.
            if v < 0 {
                v += 1 << 32;
            }
            intenc[0] = LP_ENCODING_32BIT_INT;
            intenc[1..5].copy_from_slice(&(v as u32).to_le_bytes());
            enclen = 5;
        } else {
            // 64 bit integer.
            intenc[0] = LP_ENCODING_64BIT_INT;
            intenc[1..9].copy_from_slice(&(v as u64).to_le_bytes());
            enclen = 9;
        }
        (LP_ENCODING_INT, enclen)
    } else {
        let enclen = if size < 64 {
            1 + size
        } else if size < 4096 {
            2 + size
        } else {
            5 + size
        };
        (LP_ENCODING_STRING, enclen)
    }
}

/// Store the reverse-encoded length `l` of an element into `buf` when
/// given; returns the number of bytes it takes, 1 to 5.
///
/// C: listpack.c lpEncodeBacklen()
fn lp_encode_backlen(buf: Option<&mut [u8]>, l: u64) -> usize {
    if l <= 127 {
        if let Some(buf) = buf {
            buf[0] = l as u8;
        }
        1
    } else if l < 16383 {
        if let Some(buf) = buf {
            buf[0] = (l >> 7) as u8;
            buf[1] = (l & 127) as u8 | 128;
        }
        2
    } else if l < 2097151 {
        if let Some(buf) = buf {
            buf[0] = (l >> 14) as u8;
            buf[1] = ((l >> 7) & 127) as u8 | 128;
            buf[2] = (l & 127) as u8 | 128;
        }
        3
    } else if l < 268435455 {
        if let Some(buf) = buf {
            buf[0] = (l >> 21) as u8;
            buf[1] = ((l >> 14) & 127) as u8 | 128;
            buf[2] = ((l >> 7) & 127) as u8 | 128;
            buf[3] = (l & 127) as u8 | 128;
        }
        4
    } else {
        if let Some(buf) = buf {
            buf[0] = (l >> 28) as u8;
            buf[1] = ((l >> 21) & 127) as u8 | 128;
            buf[2] = ((l >> 14) & 127) as u8 | 128;
            buf[3] = ((l >> 7) & 127) as u8 | 128;
            buf[4] = (l & 127) as u8 | 128;
        }
        5
    }
}

/// Decode the backlen whose last byte is at `p`, reading towards the
/// start. If the encoding looks invalid (more than 5 bytes are used),
/// `u64::MAX` is returned to report the problem.
///
/// Divergence from C: reaching the start of the buffer also reports
/// `u64::MAX`, where C would read before it.
///
/// C: listpack.c lpDecodeBacklen()
fn lp_decode_backlen(lp: &[u8], mut p: usize) -> u64 {
    let mut val: u64 = 0;
    let mut shift: u64 = 0;
    loop {
        val |= ((lp[p] & 127) as u64) << shift;
        if lp[p] & 128 == 0 {
            break;
        }
        shift += 7;
        if p == 0 {
            return u64::MAX;
        }
        p -= 1;
        if shift > 28 {
            return u64::MAX;
        }
    }
    val
}

/// Encode the string `s` into `buf`, which lp_encode_get_type() sized.
///
/// C: listpack.c lpEncodeString()
fn lp_encode_string(buf: &mut [u8], s: &[u8]) {
    let len = s.len();
    if len < 64 {
        buf[0] = len as u8 | LP_ENCODING_6BIT_STR;
        buf[1..1 + len].copy_from_slice(s);
    } else if len < 4096 {
        buf[0] = (len >> 8) as u8 | LP_ENCODING_12BIT_STR;
        buf[1] = len as u8;
        buf[2..2 + len].copy_from_slice(s);
    } else {
        buf[0] = LP_ENCODING_32BIT_STR;
        buf[1..5].copy_from_slice(&(len as u32).to_le_bytes());
        buf[5..5 + len].copy_from_slice(s);
    }
}

/// The encoded length of the element at `p` (encoding byte, length
/// bytes and data, without the backlen), or 0 if the encoding is wrong.
/// Reads the length bytes of 12 and 32 bit strings, so `p` must be known
/// to hold them (see lp_current_encoded_size_bytes).
///
/// Divergence from C: the result is a `u64`; C's `uint32_t` wraps for a
/// 32 bit string length near 4 GB, which would let a lying length look
/// short.
///
/// C: listpack.c lpCurrentEncodedSize() (lpCurrentEncodedSizeUnsafe() in 7.0)
fn lp_current_encoded_size(p: &[u8]) -> u64 {
    let b = p[0];
    if lp_encoding_is_7bit_uint(b) {
        return 1;
    }
    if lp_encoding_is_6bit_str(b) {
        return 1 + lp_encoding_6bit_str_len(p) as u64;
    }
    if lp_encoding_is_13bit_int(b) {
        return 2;
    }
    if b == LP_ENCODING_16BIT_INT {
        return 3;
    }
    if b == LP_ENCODING_24BIT_INT {
        return 4;
    }
    if b == LP_ENCODING_32BIT_INT {
        return 5;
    }
    if b == LP_ENCODING_64BIT_INT {
        return 9;
    }
    if lp_encoding_is_12bit_str(b) {
        return 2 + lp_encoding_12bit_str_len(p) as u64;
    }
    if b == LP_ENCODING_32BIT_STR {
        return 5 + lp_encoding_32bit_str_len(p) as u64;
    }
    if b == LP_EOF {
        return 1;
    }
    0
}

/// The bytes taken by the encoding byte and the length bytes of the
/// element at `p` (not its data), or 0 if the encoding is wrong. Reads
/// only `p[0]`.
///
/// C: listpack.c lpCurrentEncodedSizeBytes() (Redis 7.0)
fn lp_current_encoded_size_bytes(b: u8) -> u32 {
    if lp_encoding_is_7bit_uint(b)
        || lp_encoding_is_6bit_str(b)
        || lp_encoding_is_13bit_int(b)
        || b == LP_ENCODING_16BIT_INT
        || b == LP_ENCODING_24BIT_INT
        || b == LP_ENCODING_32BIT_INT
        || b == LP_ENCODING_64BIT_INT
    {
        return 1;
    }
    if lp_encoding_is_12bit_str(b) {
        return 2;
    }
    if b == LP_ENCODING_32BIT_STR {
        return 5;
    }
    if b == LP_EOF {
        return 1;
    }
    0
}

/// Skip the element at `p`, returning the offset of the next one (which
/// may be the EOF byte). Not to be called on the EOF byte itself.
///
/// C: listpack.c lpSkip()
pub fn lp_skip(lp: &[u8], p: usize) -> usize {
    let mut entrylen = lp_current_encoded_size(&lp[p..]);
    entrylen += lp_encode_backlen(None, entrylen) as u64;
    p + entrylen as usize
}

/// The element after the one at `p`, or `None` if `p` is the last.
///
/// C: listpack.c lpNext()
pub fn lp_next(lp: &[u8], p: usize) -> Option<usize> {
    let p = lp_skip(lp, p);
    if lp[p] == LP_EOF {
        return None;
    }
    Some(p)
}

/// The element before the one at `p` (which may be the EOF byte), or
/// `None` if `p` is the first.
///
/// C: listpack.c lpPrev()
pub fn lp_prev(lp: &[u8], p: usize) -> Option<usize> {
    if p == LP_HDR_SIZE {
        return None;
    }
    // Seek the first backlen byte of the last element.
    let p = p - 1;
    let mut prevlen = lp_decode_backlen(lp, p);
    prevlen += lp_encode_backlen(None, prevlen) as u64;
    // Seek the first byte of the previous entry.
    Some(p + 1 - prevlen as usize)
}

/// The first element, or `None` if the listpack is empty.
///
/// C: listpack.c lpFirst()
pub fn lp_first(lp: &[u8]) -> Option<usize> {
    // Skip the header.
    if lp[LP_HDR_SIZE] == LP_EOF {
        return None;
    }
    Some(LP_HDR_SIZE)
}

/// The last element, or `None` if the listpack is empty.
///
/// C: listpack.c lpLast()
pub fn lp_last(lp: &[u8]) -> Option<usize> {
    // Seek EOF element; lp_prev returns None if EOF is the only element.
    let p = lp_get_total_bytes(lp) as usize - 1;
    lp_prev(lp, p)
}

/// The number of elements: the header count when it is in range,
/// otherwise a full scan.
///
/// Divergence from C: C stores a count found by scanning back into the
/// header; this takes `&[u8]` and leaves the blob as it is.
///
/// C: listpack.c lpLength()
pub fn lp_length(lp: &[u8]) -> u32 {
    let numele = lp_get_num_elements(lp);
    if numele != LP_HDR_NUMELE_UNKNOWN {
        return numele;
    }

    // Too many elements inside the listpack. We need to scan in order to
    // get the total number.
    let mut count = 0;
    let mut p = lp_first(lp);
    while let Some(q) = p {
        count += 1;
        p = lp_next(lp, q);
    }
    count
}

/// The element at `p`: a string borrowed from the listpack, or an
/// integer. An element whose encoding cannot be parsed reads, as in C, as
/// the integer 12345678900000000 + its first byte (a hint that something
/// is wrong; validated listpacks never have one).
///
/// Divergence from C: the `intbuf` form (integers as strings) is
/// `LpValue::to_vec`.
///
/// C: listpack.c lpGet()
pub fn lp_get(lp: &[u8], p: usize) -> LpValue<'_> {
    let e = &lp[p..];
    let uval: u64;
    let negstart: u64;
    let negmax: u64;

    if lp_encoding_is_7bit_uint(e[0]) {
        negstart = u64::MAX; // 7 bit ints are always positive.
        negmax = 0;
        uval = (e[0] & 0x7f) as u64;
    } else if lp_encoding_is_6bit_str(e[0]) {
        let count = lp_encoding_6bit_str_len(e) as usize;
        return LpValue::Str(&e[1..1 + count]);
    } else if lp_encoding_is_13bit_int(e[0]) {
        uval = ((e[0] as u64 & 0x1f) << 8) | e[1] as u64;
        negstart = 1 << 12;
        negmax = 8191;
    } else if e[0] == LP_ENCODING_16BIT_INT {
        uval = e[1] as u64 | (e[2] as u64) << 8;
        negstart = 1 << 15;
        negmax = u16::MAX as u64;
    } else if e[0] == LP_ENCODING_24BIT_INT {
        uval = e[1] as u64 | (e[2] as u64) << 8 | (e[3] as u64) << 16;
        negstart = 1 << 23;
        negmax = (u32::MAX >> 8) as u64;
    } else if e[0] == LP_ENCODING_32BIT_INT {
        uval = u32::from_le_bytes([e[1], e[2], e[3], e[4]]) as u64;
        negstart = 1 << 31;
        negmax = u32::MAX as u64;
    } else if e[0] == LP_ENCODING_64BIT_INT {
        uval = u64::from_le_bytes([
            e[1], e[2], e[3], e[4], e[5], e[6], e[7], e[8],
        ]);
        negstart = 1 << 63;
        negmax = u64::MAX;
    } else if lp_encoding_is_12bit_str(e[0]) {
        let count = lp_encoding_12bit_str_len(e) as usize;
        return LpValue::Str(&e[2..2 + count]);
    } else if e[0] == LP_ENCODING_32BIT_STR {
        let count = lp_encoding_32bit_str_len(e) as usize;
        return LpValue::Str(&e[5..5 + count]);
    } else {
        uval = 12345678900000000 + e[0] as u64;
        negstart = u64::MAX;
        negmax = 0;
    }

    // We reach this code path only for integer encodings. Convert the
    // unsigned value to the signed one using two's complement rule.
    let val = if uval >= negstart {
        // This three steps conversion avoids undefined behaviour in the
        // unsigned -> signed conversion in C.
        let uval = negmax - uval;
        -(uval as i64) - 1
    } else {
        uval as i64
    };
    LpValue::Int(val)
}

/// Insert, delete or replace at the element `p` (any element, or the EOF
/// byte for LP_BEFORE). With `ele` given, it is inserted before
/// (LP_BEFORE) or after (LP_AFTER) the element at `p`, or replaces it
/// (LP_REPLACE); with `ele` None the element at `p` is deleted. Returns
/// `None` when the listpack would exceed 2^32-1 bytes, otherwise the
/// offset of the element just added (for a deletion: of the element that
/// followed the deleted one, `None` inside if that was the last one).
///
/// Divergence from C: C returns the new listpack pointer and the element
/// through `newp`; here the `Vec` changes in place and the element comes
/// back, wrapped in the success `Option`.
///
/// C: listpack.c lpInsert()
pub fn lp_insert(
    lp: &mut Vec<u8>,
    ele: Option<&[u8]>,
    mut p: usize,
    mut where_: i32,
) -> Option<Option<usize>> {
    let mut intenc = [0u8; LP_MAX_INT_ENCODING_LEN];
    let mut backlen = [0u8; LP_MAX_BACKLEN_SIZE];

    // An element pointer set to NULL means deletion, which is conceptually
    // replacing the element with a zero-length element. So whatever we
    // get passed as 'where', set it to LP_REPLACE.
    if ele.is_none() {
        where_ = LP_REPLACE;
    }

    // If we need to insert after the current element, we just jump to the
    // next element (that could be the EOF one) and handle the case of
    // inserting before. So the function will actually deal with just two
    // cases: LP_BEFORE and LP_REPLACE.
    if where_ == LP_AFTER {
        p = lp_skip(lp, p);
        where_ = LP_BEFORE;
    }

    // Store the offset of the element 'p', so that we can obtain its
    // address again after a reallocation.
    let poff = p;

    // lp_encode_get_type() stores the encoded element in 'intenc' when it
    // is representable as an integer; otherwise lp_encode_string() will
    // write the string in place later. Either way 'enclen' is the length
    // of the encoded element.
    let (enctype, enclen) = match ele {
        Some(ele) => lp_encode_get_type(ele, &mut intenc),
        None => (-1, 0),
    };

    // We need to also encode the backward-parsable length of the element
    // and append it to the end: this allows to traverse the listpack from
    // the end to the start.
    let backlen_size = if ele.is_some() {
        lp_encode_backlen(Some(&mut backlen), enclen)
    } else {
        0
    };
    let old_listpack_bytes = lp_get_total_bytes(lp) as u64;
    let mut replaced_len: u64 = 0;
    if where_ == LP_REPLACE {
        replaced_len = lp_current_encoded_size(&lp[p..]);
        replaced_len += lp_encode_backlen(None, replaced_len) as u64;
    }

    let new_listpack_bytes =
        old_listpack_bytes + enclen + backlen_size as u64 - replaced_len;
    if new_listpack_bytes > u32::MAX as u64 {
        return None;
    }
    let (old, new) = (old_listpack_bytes as usize, new_listpack_bytes as usize);
    let enclen = enclen as usize;
    let replaced_len = replaced_len as usize;

    // Grow before moving the tail when we need more room; shrink after
    // moving it when the listpack gets smaller.
    let dst = poff;
    if new > old {
        lp.resize(new, 0);
    }

    // Setup the listpack relocating the elements to make the exact room
    // we need to store the new one.
    if where_ == LP_BEFORE {
        lp.copy_within(dst..old, dst + enclen + backlen_size);
    } else {
        // LP_REPLACE.
        lp.copy_within(dst + replaced_len..old, dst + enclen + backlen_size);
    }

    // Realloc after: we need to free space.
    if new < old {
        lp.truncate(new);
    }

    // Store the entry.
    let mut newp = Some(dst);
    // In case of deletion, set 'newp' to NULL if the next element is the
    // EOF element.
    if ele.is_none() && lp[dst] == LP_EOF {
        newp = None;
    }
    if let Some(ele) = ele {
        if enctype == LP_ENCODING_INT {
            lp[dst..dst + enclen].copy_from_slice(&intenc[..enclen]);
        } else {
            lp_encode_string(&mut lp[dst..], ele);
        }
        let d = dst + enclen;
        lp[d..d + backlen_size].copy_from_slice(&backlen[..backlen_size]);
    }

    // Update header.
    if where_ != LP_REPLACE || ele.is_none() {
        let num_elements = lp_get_num_elements(lp);
        if num_elements != LP_HDR_NUMELE_UNKNOWN {
            if ele.is_some() {
                lp_set_num_elements(lp, num_elements + 1);
            } else {
                lp_set_num_elements(lp, num_elements - 1);
            }
        }
    }
    lp_set_total_bytes(lp, new as u32);

    Some(newp)
}

/// Append `ele` at the end of the listpack. Returns false when the
/// listpack would exceed 2^32-1 bytes.
///
/// C: listpack.c lpAppend()
pub fn lp_append(lp: &mut Vec<u8>, ele: &[u8]) -> bool {
    let eofptr = lp_get_total_bytes(lp) as usize - 1;
    lp_insert(lp, Some(ele), eofptr, LP_BEFORE).is_some()
}

/// Remove the element at `p`. Returns the offset of the element that
/// followed it, `None` if it was the last one.
///
/// C: listpack.c lpDelete()
pub fn lp_delete(lp: &mut Vec<u8>, p: usize) -> Option<usize> {
    lp_insert(lp, None, p, LP_REPLACE).flatten()
}

/// Return the total number of bytes the listpack is composed of.
///
/// C: listpack.c lpBytes()
pub fn lp_bytes(lp: &[u8]) -> u32 {
    lp_get_total_bytes(lp)
}

/// The element at `index`, counting from the head for `index >= 0` and
/// from the tail (-1 is the last) otherwise; `None` when out of range.
/// Scans from whichever end is nearer when the count is known.
///
/// C: listpack.c lpSeek()
pub fn lp_seek(lp: &[u8], mut index: i64) -> Option<usize> {
    let mut forward = true; // Seek forward by default.

    // We want to seek from left to right or the other way around
    // depending on the listpack length and the element position. However
    // if the listpack length cannot be obtained in constant time, we
    // always seek from left to right.
    let numele = lp_get_num_elements(lp) as i64;
    if numele != LP_HDR_NUMELE_UNKNOWN as i64 {
        if index < 0 {
            index += numele;
        }
        if index < 0 {
            return None; // Index still < 0 means out of range.
        }
        if index >= numele {
            return None; // Out of range the other side.
        }
        // We want to scan right-to-left if the element we are looking for
        // is past the half of the listpack.
        if index > numele / 2 {
            forward = false;
            // Right to left scanning always expects a negative index.
            // Convert our index to negative form.
            index -= numele;
        }
    } else if index < 0 {
        // If the listpack length is unspecified, for negative indexes we
        // want to always scan right-to-left.
        forward = false;
    }

    // Forward and backward scanning is trivially based on lpNext()/lpPrev().
    if forward {
        let mut ele = lp_first(lp);
        while index > 0 {
            let Some(e) = ele else { break };
            ele = lp_next(lp, e);
            index -= 1;
        }
        ele
    } else {
        let mut ele = lp_last(lp);
        while index < -1 {
            let Some(e) = ele else { break };
            ele = lp_prev(lp, e);
            index += 1;
        }
        ele
    }
}

/// Validate the element at `*pp` of a listpack of `lpbytes` bytes that may
/// be corrupt, and move `*pp` to the next element (`None` after the EOF
/// byte). Returns false when the element's encoding is wrong, when it
/// reaches outside the listpack, or when its backlen does not match its
/// size.
///
/// C: listpack.c lpValidateNext() (Redis 7.0)
pub(crate) fn lp_validate_next(
    lp: &[u8],
    pp: &mut Option<usize>,
    lpbytes: usize,
) -> bool {
    // Divergence from C: C trusts lpbytes to be the allocation size; the
    // slice decides here.
    let lpbytes = lpbytes.min(lp.len());
    let out_of_range =
        |q: u64| q < LP_HDR_SIZE as u64 || q > lpbytes as u64 - 1;
    let Some(p) = *pp else { return false };
    if lpbytes < LP_HDR_SIZE + 1 {
        return false;
    }

    // Before accessing p, make sure it's valid.
    if out_of_range(p as u64) {
        return false;
    }

    if lp[p] == LP_EOF {
        *pp = None;
        return true;
    }

    // Check that we can read the encoded size.
    let lenbytes = lp_current_encoded_size_bytes(lp[p]);
    if lenbytes == 0 {
        return false;
    }

    // Make sure the encoded entry length doesn't reach outside the edge of
    // the listpack.
    if out_of_range(p as u64 + lenbytes as u64) {
        return false;
    }

    // Get the entry length and encoded backlen.
    let mut entrylen = lp_current_encoded_size(&lp[p..]);
    let encoded_backlen = lp_encode_backlen(None, entrylen) as u64;
    entrylen += encoded_backlen;

    // Make sure the entry doesn't reach outside the edge of the listpack.
    if out_of_range(p as u64 + entrylen) {
        return false;
    }

    // Move to the next entry.
    let p = p + entrylen as usize;

    // Make sure the encoded length at the end matches the one at the
    // beginning.
    let prevlen = lp_decode_backlen(lp, p - 1);
    if prevlen.saturating_add(encoded_backlen) != entrylen {
        return false;
    }

    *pp = Some(p);
    true
}

/// Validate the integrity of a listpack read from outside (an RDB file, a
/// RESTORE payload) whose slice is exactly the blob. With `deep` false
/// only the header is checked (the total bytes equal the size and the
/// last byte is EOF); with `deep` true every element is checked with
/// lp_validate_next, the walk must end at the EOF byte and the header
/// count must match (unless it is 65535, unknown).
///
/// `entry_cb`, when given, sees each element once it is known to be
/// sound, with the header's count, and may reject it by returning false.
///
/// Divergence from C: C returns 0 or 1 and its callback receives the
/// element pointer; this returns the reason for a rejection, naming the
/// offset inside the blob, and the callback receives the decoded value.
///
/// C: listpack.c lpValidateIntegrity() (Redis 7.0; new in 6.2)
pub(crate) fn lp_validate_integrity<'a>(
    lp: &'a [u8],
    deep: bool,
    mut entry_cb: Option<&mut dyn FnMut(LpValue<'a>, u32) -> bool>,
) -> Result<(), String> {
    let size = lp.len();
    // Check that we can actually read the header (and EOF).
    if size < LP_HDR_SIZE + 1 {
        return Err(format!(
            "listpack of {size} bytes is shorter than its header"
        ));
    }

    // Check that the encoded size in the header matches the allocated size.
    let bytes = lp_get_total_bytes(lp) as usize;
    if bytes != size {
        return Err(format!(
            "listpack header says {bytes} bytes, the blob has {size}"
        ));
    }

    // The last byte must be the terminator.
    if lp[size - 1] != LP_EOF {
        return Err(format!(
            "listpack does not end with 0xff (offset {})",
            size - 1
        ));
    }

    if !deep {
        return Ok(());
    }

    // Validate the individual entries.
    let mut count: u32 = 0;
    let numele = lp_get_num_elements(lp);
    let mut p = Some(LP_HDR_SIZE);
    while let Some(prev) = p {
        if lp[prev] == LP_EOF {
            break;
        }

        // Validate this entry and move to the next entry in advance to
        // avoid callback crash due to corrupt listpack.
        if !lp_validate_next(lp, &mut p, bytes) {
            return Err(format!(
                "listpack element {count} at offset {prev} has a bad encoding, reaches past the end or has a wrong backlen"
            ));
        }

        // Optionally let the caller validate the entry too.
        if let Some(cb) = entry_cb.as_mut() {
            if !cb(lp_get(lp, prev), numele) {
                return Err(format!(
                    "listpack element {count} at offset {prev} rejected"
                ));
            }
        }

        count += 1;
    }

    // Make sure 'p' really does point to the end of the listpack.
    if p != Some(size - 1) {
        return Err(format!(
            "listpack elements do not end at the EOF byte (offset {})",
            size - 1
        ));
    }

    // Check that the count in the header is correct.
    if numele != LP_HDR_NUMELE_UNKNOWN && numele != count {
        return Err(format!(
            "listpack header counts {numele} elements, it has {count}"
        ));
    }

    Ok(())
}

// ------------------------------ for rdb.rs (no C twin) -----------------------------

/// Every element of an untrusted listpack, in order, after the deep
/// validation of `lp_validate_integrity` (no C twin: C's loader walks
/// with lpFirst/lpNext/lpGet). The values borrow from `lp`.
pub fn lp_entries(lp: &[u8]) -> Result<Vec<LpValue<'_>>, String> {
    lp_validate_integrity(lp, true, None)?;
    // Each element takes at least two bytes, so the allocation cannot
    // outgrow the blob whatever the header says.
    let mut out = Vec::with_capacity(
        (lp_get_num_elements(lp) as usize).min(lp.len() / 2),
    );
    let mut p = lp_first(lp);
    while let Some(q) = p {
        out.push(lp_get(lp, q));
        p = lp_next(lp, q);
    }
    Ok(out)
}

/// The elements of an untrusted listpack holding pairs (a hash: field,
/// value; a sorted set: member, score), with the checks Redis 7.0 makes
/// when it loads RDB_TYPE_HASH_LISTPACK and RDB_TYPE_ZSET_LISTPACK: an
/// even number of elements and no first-of-pair repeated (compared as
/// strings).
///
/// No C twin here: the checks are 7.0's rdb.c
/// lpPairsValidateIntegrityAndDups() and its callback.
pub fn lp_pairs(lp: &[u8]) -> Result<Vec<(LpValue<'_>, LpValue<'_>)>, String> {
    let entries = lp_entries(lp)?;
    if entries.len() % 2 != 0 {
        return Err(format!(
            "listpack of pairs has an odd number of elements ({})",
            entries.len()
        ));
    }
    let mut fields: HashSet<Vec<u8>> =
        HashSet::with_capacity(entries.len() / 2);
    let mut out = Vec::with_capacity(entries.len() / 2);
    for pair in entries.chunks_exact(2) {
        if !fields.insert(pair[0].to_vec()) {
            return Err(format!(
                "listpack of pairs repeats the field {:?}",
                String::from_utf8_lossy(&pair[0].to_vec())
            ));
        }
        out.push((pair[0], pair[1]));
    }
    Ok(out)
}

/// A listpack holding `items` in order, appended as Redis does, so the
/// bytes are the ones Redis writes. Returns `None` past
/// LISTPACK_MAX_SAFETY_SIZE (no C twin).
#[cfg(test)] // only the unit tests call it
pub(crate) fn lp_from_items<'a, I>(items: I) -> Option<Vec<u8>>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    let mut lp = lp_new();
    for s in items {
        if !lp_safe_to_add(Some(&lp), s.len() + 10) || !lp_append(&mut lp, s) {
            return None;
        }
    }
    Some(lp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    }

    fn strs(lp: &[u8]) -> Vec<Vec<u8>> {
        lp_entries(lp).expect("valid").iter().map(LpValue::to_vec).collect()
    }

    /// `DUMP` of `HSET hash f1 v1 num 1234 neg -5` on Redis 7.0.15 holds
    /// exactly this listpack (RDB_TYPE_HASH_LISTPACK).
    #[test]
    fn lp_append_matches_redis_7_hash_dump() {
        let gold = unhex(
            "1f00000006008266310382763103836e756d04c4d202836e656704dffb02ff",
        );
        let items: [&[u8]; 6] = [b"f1", b"v1", b"num", b"1234", b"neg", b"-5"];
        assert_eq!(lp_from_items(items).expect("small"), gold);
        let pairs = lp_pairs(&gold).expect("valid");
        assert_eq!(pairs[1], (LpValue::Str(b"num"), LpValue::Int(1234)));
        assert_eq!(pairs[2].1, LpValue::Int(-5));
    }

    /// The zset of `ZADD zset 1 a 2.5 b -3 c` from Redis 7.0.15
    /// (RDB_TYPE_ZSET_LISTPACK).
    #[test]
    fn lp_append_matches_redis_7_zset_dump() {
        let gold =
            unhex("1a0000000600816302dffd02816102010181620283322e3504ff");
        let items: [&[u8]; 6] = [b"c", b"-3", b"a", b"1", b"b", b"2.5"];
        assert_eq!(lp_from_items(items).expect("small"), gold);
    }

    /// The quicklist node (RDB_TYPE_LIST_QUICKLIST_2, packed) of a list
    /// with every integer width and strings of each length class below
    /// 4096, from Redis 7.0.15's DUMP.
    #[test]
    fn lp_append_matches_redis_7_list_dump() {
        let gold = unhex(&format!(
            "c10100001100020105018b48656c6c6f20576f726c640cdfff02c12c02f270110104f290eefe04\
             f400f2052a01000000090c010d01df80027f01c08002f200008004f2ffff7f04e046{}48e12c{}02aeff",
            "78".repeat(70),
            "79".repeat(300)
        ));
        let xs = "x".repeat(70);
        let ys = "y".repeat(300);
        let items: Vec<&[u8]> = vec![
            b"2",
            b"5",
            b"Hello World",
            b"-1",
            b"300",
            b"70000",
            b"-70000",
            b"5000000000",
            b"12",
            b"13",
            b"-128",
            b"127",
            b"128",
            b"-8388608",
            b"8388607",
            xs.as_bytes(),
            ys.as_bytes(),
        ];
        assert_eq!(lp_from_items(items.iter().copied()).expect("small"), gold);
        assert_eq!(
            strs(&gold),
            items.iter().map(|s| s.to_vec()).collect::<Vec<_>>()
        );
        let v = lp_entries(&gold).expect("valid");
        assert_eq!(v[7], LpValue::Int(5000000000));
        assert_eq!(v[13], LpValue::Int(-8388608));
        assert_eq!(v[3], LpValue::Int(-1));
    }

    #[test]
    fn lp_string_to_int64_is_strict() {
        assert_eq!(lp_string_to_int64(b"0"), Some(0));
        assert_eq!(lp_string_to_int64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(lp_string_to_int64(b"9223372036854775807"), Some(i64::MAX));
        for bad in
            [&b""[..], b"-", b"01", b"-0", b"1 ", b"+1", b"9223372036854775808"]
        {
            assert_eq!(lp_string_to_int64(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn lp_get_decodes_every_integer_width() {
        let vals = [
            0i64,
            127,
            128,
            -1,
            -4096,
            4095,
            4096,
            -32768,
            32767,
            -8388608,
            8388607,
            -2147483648,
            2147483647,
            i64::MIN,
            i64::MAX,
        ];
        let texts: Vec<Vec<u8>> = vals.iter().map(|v| ll2string(*v)).collect();
        let lp = lp_from_items(texts.iter().map(|t| &t[..])).expect("small");
        let got: Vec<LpValue> = lp_entries(&lp).expect("valid");
        assert_eq!(
            got,
            vals.iter().map(|v| LpValue::Int(*v)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn lp_string_length_classes_and_backlens() {
        for len in [0usize, 63, 64, 125, 126, 4095, 4096, 16383, 16384, 70000] {
            let s = vec![b'a'; len];
            let lp = lp_from_items([&s[..], b"x"]).expect("small");
            assert_eq!(strs(&lp), vec![s.clone(), b"x".to_vec()], "len {len}");
            // Walk back from the end.
            let last = lp_last(&lp).expect("last");
            let first = lp_prev(&lp, last).expect("first");
            assert_eq!(first, LP_HDR_SIZE);
            assert_eq!(lp_get(&lp, first), LpValue::Str(&s));
        }
    }

    #[test]
    fn lp_encode_and_decode_backlen_round_trip() {
        for l in [
            0u64,
            127,
            128,
            16382,
            16383,
            2097150,
            2097151,
            268435454,
            268435455,
            1 << 32,
        ] {
            let mut buf = [0u8; 5];
            let n = lp_encode_backlen(Some(&mut buf), l);
            assert_eq!(n, lp_encode_backlen(None, l));
            assert_eq!(lp_decode_backlen(&buf, n - 1), l);
        }
        // Six bytes all with the continuation bit are not a backlen.
        assert_eq!(lp_decode_backlen(&[0x81; 6], 5), u64::MAX);
        assert_eq!(lp_decode_backlen(&[0x81; 2], 1), u64::MAX);
    }

    #[test]
    fn lp_insert_delete_and_seek() {
        let mut lp = lp_from_items([&b"a"[..], b"b", b"c"]).expect("small");
        let b = lp_seek(&lp, 1).expect("b");
        lp_insert(&mut lp, Some(b"x"), b, LP_AFTER).expect("fits");
        assert_eq!(
            strs(&lp),
            vec![b"a".to_vec(), b"b".to_vec(), b"x".to_vec(), b"c".to_vec()]
        );
        let a = lp_seek(&lp, -4).expect("a");
        lp_insert(&mut lp, Some(&[b'L'; 200]), a, LP_REPLACE).expect("fits");
        let b = lp_seek(&lp, 1).expect("b");
        let next = lp_delete(&mut lp, b);
        assert_eq!(next.map(|p| lp_get(&lp, p)), Some(LpValue::Str(b"x")));
        assert_eq!(
            strs(&lp),
            vec![vec![b'L'; 200], b"x".to_vec(), b"c".to_vec()]
        );
        assert_eq!(lp_length(&lp), 3);
        assert_eq!(lp_seek(&lp, 3), None);
        assert_eq!(lp_seek(&lp, -4), None);
        assert_eq!(
            lp_seek(&lp, -1).map(|p| lp_get(&lp, p)),
            Some(LpValue::Str(b"c"))
        );
        let last = lp_seek(&lp, -1).expect("c");
        assert_eq!(lp_delete(&mut lp, last), None);
        lp_validate_integrity(&lp, true, None).expect("valid");
    }

    #[test]
    fn lp_length_scans_when_the_count_is_unknown() {
        let mut lp = lp_from_items([&b"a"[..], b"1", b"c"]).expect("small");
        lp_set_num_elements(&mut lp, LP_HDR_NUMELE_UNKNOWN);
        assert_eq!(lp_length(&lp), 3);
        assert!(lp_validate_integrity(&lp, true, None).is_ok());
        assert_eq!(
            lp_seek(&lp, -1).map(|p| lp_get(&lp, p)),
            Some(LpValue::Str(b"c"))
        );
    }

    #[test]
    fn lp_validate_integrity_rejects_header_lies() {
        let good = lp_from_items([&b"abc"[..], b"12345", b"x"]).expect("small");
        assert!(lp_validate_integrity(&lp_new(), true, None).is_ok());
        let mut lp = good.clone();
        lp_set_total_bytes(&mut lp, good.len() as u32 - 1);
        assert!(lp_validate_integrity(&lp, false, None).is_err());
        let mut lp = good.clone();
        *lp.last_mut().expect("eof") = 0x7f;
        assert!(lp_validate_integrity(&lp, false, None).is_err());
        let mut lp = good.clone();
        lp_set_num_elements(&mut lp, 4);
        assert!(lp_validate_integrity(&lp, false, None).is_ok(), "shallow");
        assert!(lp_validate_integrity(&lp, true, None).is_err());
        assert!(lp_validate_integrity(&good[..3], false, None).is_err());
    }

    #[test]
    fn lp_validate_integrity_rejects_element_lies() {
        let good = lp_from_items([&b"abc"[..], b"12345", b"x"]).expect("small");
        // A backlen that does not match the element.
        let mut lp = good.clone();
        lp[LP_HDR_SIZE + 4] = 3;
        assert!(lp_validate_integrity(&lp, true, None).is_err());
        // A string length past the end.
        let mut lp = good.clone();
        lp[LP_HDR_SIZE] = 0xbf;
        assert!(lp_validate_integrity(&lp, true, None).is_err());
        // Encodings that do not exist.
        for bad in [0xf5u8, 0xf9, 0xfe] {
            let mut lp = good.clone();
            lp[LP_HDR_SIZE] = bad;
            assert!(
                lp_validate_integrity(&lp, true, None).is_err(),
                "{bad:#x}"
            );
        }
        // A 32 bit string length that C's uint32_t arithmetic would wrap
        // to a tiny element: 5 + 0xfffffffd = 2.
        let mut lp = lp_new();
        lp.splice(
            LP_HDR_SIZE..LP_HDR_SIZE,
            [LP_ENCODING_32BIT_STR, 0xfd, 0xff, 0xff, 0xff, 2],
        );
        let n = lp.len() as u32;
        lp_set_total_bytes(&mut lp, n);
        lp_set_num_elements(&mut lp, 1);
        assert!(lp_entries(&lp).is_err());
    }

    #[test]
    fn lp_pairs_rejects_odd_counts_and_duplicates() {
        assert!(lp_pairs(
            &lp_from_items([&b"f"[..], b"v", b"g"]).expect("small")
        )
        .is_err());
        assert!(lp_pairs(
            &lp_from_items([&b"7"[..], b"v", b"7", b"w"]).expect("small")
        )
        .is_err());
        assert_eq!(
            lp_pairs(&lp_from_items([&b"f"[..], b"v", b"g", b"v"]).expect("s"))
                .expect("ok")
                .len(),
            2
        );
    }

    #[test]
    fn lp_validate_integrity_callback_sees_values_and_count() {
        let lp = lp_from_items([&b"a"[..], b"7"]).expect("small");
        let mut seen: Vec<(LpValue<'_>, u32)> = vec![];
        lp_validate_integrity(
            &lp,
            true,
            Some(&mut |v, n| {
                seen.push((v, n));
                true
            }),
        )
        .expect("valid");
        assert_eq!(seen, vec![(LpValue::Str(b"a"), 2), (LpValue::Int(7), 2)]);
    }

    #[test]
    fn lp_every_truncation_is_rejected() {
        let x = vec![b'x'; 300];
        let good = lp_from_items([
            &b"abc"[..],
            b"-70000",
            &x[..],
            b"5000000000",
            b"7",
        ])
        .expect("s");
        for cut in 0..good.len() {
            assert!(lp_entries(&good[..cut]).is_err(), "cut at {cut}");
            if cut > LP_HDR_SIZE && cut < good.len() - 1 {
                let mut lp = good[..cut].to_vec();
                lp.push(LP_EOF);
                let n = lp.len() as u32;
                lp_set_total_bytes(&mut lp, n);
                assert!(lp_entries(&lp).is_err(), "cut and patched at {cut}");
            }
        }
    }
}
