//! The ziplist: a doubly linked list of strings and integers packed into
//! one byte buffer. Redis 5.0 keeps small hashes, sorted sets and the
//! nodes of quicklists in it, and writes it verbatim into RDB files
//! (RDB_TYPE_LIST_ZIPLIST, RDB_TYPE_ZSET_ZIPLIST, RDB_TYPE_HASH_ZIPLIST,
//! the nodes of RDB_TYPE_LIST_QUICKLIST). oxredis keeps its small
//! encodings in its own shapes, so here the ziplist is what crosses the
//! file boundary: it is decoded when an RDB is loaded, and built when one
//! is saved.
//!
//! Ports ziplist.c from Redis 5.0.14, in the same order, as far as loading
//! and saving need it (building by push, walking, reading entries). Redis
//! 5.0 trusts the blobs it loads; Redis 6.2 added `zipEntrySafe()` and
//! `ziplistValidateIntegrity()`, which are ported here from Redis 7.0.15
//! and placed where 7.0 has them, so that a ziplist whose lengths lie is
//! rejected before anything reads it.
//!
//! Before reading: a C `unsigned char *p` into the ziplist is a `usize`
//! offset from the start of the buffer here, and a ziplist under
//! construction is a `Vec<u8>` that holds exactly C's bytes. The
//! functions that walk a ziplist (`ziplist_next`, `ziplist_get`, ...)
//! assume, as in C, a ziplist built here or one that passed
//! `ziplist_validate_integrity(zl, true, ..)`; on anything else they may
//! panic. Only `ziplist_validate_integrity` and `ziplist_entries` may be
//! given untrusted bytes.
//!
//! The layout (all fields little endian unless said otherwise):
//!
//! ```text
//! <zlbytes u32> <zltail u32> <zllen u16> <entry> <entry> ... <entry> <zlend 0xff>
//! ```
//!
//! `zlbytes` counts every byte of the ziplist including itself, `zltail`
//! is the offset of the last entry (so that popping from the far end
//! needs no walk), `zllen` the number of entries, or 65535 when there are
//! too many to count in 16 bits and a walk is needed. Each entry is
//! `<prevlen> <encoding> <entry-data>`: `prevlen` is the total size of the
//! previous entry (one byte below 254, else 0xfe and a `u32`), so the
//! list can be walked backwards; the encoding says whether the entry is a
//! string (and its length) or an integer (and its width):
//!
//! ```text
//! |00pppppp|                       string, length up to 63
//! |01pppppp|qqqqqqqq|              string, length up to 16383 (14 bits, big endian)
//! |10000000|qqqqqqqq|rrrrrrrr|ssssssss|tttttttt|
//!                                  string, 32 bit big endian length
//! |11000000|                       int16_t  (2 bytes follow)
//! |11010000|                       int32_t  (4 bytes follow)
//! |11100000|                       int64_t  (8 bytes follow)
//! |11110000|                       24 bit signed (3 bytes follow)
//! |11111110|                       8 bit signed (1 byte follows)
//! |1111xxxx|                       xxxx in 0001..1101: the integer xxxx-1 (0..12)
//! |11111111|                       end of the ziplist
//! ```
//!
//! For example the ziplist of "2" and "5" is the 15 bytes
//! `[0f 00 00 00] [0c 00 00 00] [02 00] [00 f3] [02 f6] [ff]`: 15 bytes,
//! the last entry at offset 12, 2 entries, the immediate integers 2 and 5
//! (each with the previous entry's length before it), the end mark.

use std::collections::HashSet;

use crate::object::{ll2string, string2ll};

// ---------------------------------- ziplist.h ---------------------------------

/// Where `ziplist_push` adds an entry: at the head.
pub const ZIPLIST_HEAD: i32 = 0;
/// Where `ziplist_push` adds an entry: at the tail.
pub const ZIPLIST_TAIL: i32 = 1;

// ---------------------------------- ziplist.c ---------------------------------

/// Special "end of ziplist" entry.
pub const ZIP_END: u8 = 255;
/// Max number of bytes of the previous entry, for the "prevlen" field
/// prefixing each entry, to be represented with just a single byte.
/// Otherwise it is represented as FE AA BB CC DD, where AA BB CC DD are a
/// 4 bytes unsigned integer representing the previous entry len.
pub const ZIP_BIG_PREVLEN: u8 = 254;

// Different encoding/length possibilities.
const ZIP_STR_MASK: u8 = 0xc0;
const ZIP_STR_06B: u8 = 0 << 6;
const ZIP_STR_14B: u8 = 1 << 6;
const ZIP_STR_32B: u8 = 2 << 6;
#[allow(clippy::identity_op)] // spelled as in C, beside its siblings
const ZIP_INT_16B: u8 = 0xc0 | 0 << 4;
const ZIP_INT_32B: u8 = 0xc0 | 1 << 4;
const ZIP_INT_64B: u8 = 0xc0 | 2 << 4;
const ZIP_INT_24B: u8 = 0xc0 | 3 << 4;
const ZIP_INT_8B: u8 = 0xfe;

// 4 bit integer immediate encoding |1111xxxx| with xxxx between 0001 and
// 1101.
/// Mask to extract the 4 bits value. To add one is needed to reconstruct
/// the value.
const ZIP_INT_IMM_MASK: u8 = 0x0f;
const ZIP_INT_IMM_MIN: u8 = 0xf1; // 11110001
const ZIP_INT_IMM_MAX: u8 = 0xfd; // 11111101

const INT24_MAX: i64 = 0x7fffff;
const INT24_MIN: i64 = -INT24_MAX - 1;

/// Whether the entry is a string. String entries never start with "11"
/// as most significant bits of the first byte.
///
/// C: ziplist.c ZIP_IS_STR
fn zip_is_str(enc: u8) -> bool {
    (enc & ZIP_STR_MASK) < ZIP_STR_MASK
}

/// The size of a ziplist header: two 32 bit integers for the total bytes
/// count and last item offset, one 16 bit integer for the number of
/// items field.
pub(crate) const ZIPLIST_HEADER_SIZE: usize = 4 * 2 + 2;

/// Size of the "end of ziplist" entry. Just one byte.
pub(crate) const ZIPLIST_END_SIZE: usize = 1;

/// Total bytes a ziplist is composed of.
///
/// C: ziplist.c ZIPLIST_BYTES
fn ziplist_bytes(zl: &[u8]) -> u32 {
    u32::from_le_bytes([zl[0], zl[1], zl[2], zl[3]])
}

fn set_ziplist_bytes(zl: &mut [u8], v: u32) {
    zl[0..4].copy_from_slice(&v.to_le_bytes());
}

/// The offset of the last item inside the ziplist.
///
/// C: ziplist.c ZIPLIST_TAIL_OFFSET
fn ziplist_tail_offset(zl: &[u8]) -> u32 {
    u32::from_le_bytes([zl[4], zl[5], zl[6], zl[7]])
}

fn set_ziplist_tail_offset(zl: &mut [u8], v: u32) {
    zl[4..8].copy_from_slice(&v.to_le_bytes());
}

/// The length of a ziplist, or `u16::MAX` if the length cannot be
/// determined without scanning the whole ziplist.
///
/// C: ziplist.c ZIPLIST_LENGTH
fn ziplist_length(zl: &[u8]) -> u16 {
    u16::from_le_bytes([zl[8], zl[9]])
}

fn set_ziplist_length(zl: &mut [u8], v: u16) {
    zl[8..10].copy_from_slice(&v.to_le_bytes());
}

/// Offset of the first entry (C returns a pointer).
///
/// C: ziplist.c ZIPLIST_ENTRY_HEAD
const ZIPLIST_ENTRY_HEAD: usize = ZIPLIST_HEADER_SIZE;

/// Offset of the last entry, from the tail offset in the header.
///
/// C: ziplist.c ZIPLIST_ENTRY_TAIL
fn ziplist_entry_tail(zl: &[u8]) -> usize {
    ziplist_tail_offset(zl) as usize
}

/// Offset of the last byte of a ziplist, the end of ziplist FF entry.
///
/// C: ziplist.c ZIPLIST_ENTRY_END
fn ziplist_entry_end(zl: &[u8]) -> usize {
    ziplist_bytes(zl) as usize - 1
}

/// Increment the number of items field in the header. Entries are always
/// pushed one at a time, so it cannot overflow: once `u16::MAX` is
/// reached the count stays there, meaning that a full scan is needed to
/// know how many items the ziplist holds.
///
/// C: ziplist.c ZIPLIST_INCR_LENGTH
fn ziplist_incr_length(zl: &mut [u8], incr: i32) {
    let len = ziplist_length(zl);
    if len < u16::MAX {
        set_ziplist_length(zl, (len as i32 + incr) as u16);
    }
}

/// Don't let ziplists grow over 1GB in any case, don't risk overflow in
/// zlbytes.
pub(crate) const ZIPLIST_MAX_SAFETY_SIZE: usize = 1 << 30;

/// Whether `add` more bytes keep the ziplist `zl` (or a new one, for
/// `None`) under `ZIPLIST_MAX_SAFETY_SIZE`.
///
/// C: ziplist.c ziplistSafeToAdd()
pub(crate) fn ziplist_safe_to_add(zl: Option<&[u8]>, add: usize) -> bool {
    let len = zl.map_or(0, ziplist_blob_len);
    len + add <= ZIPLIST_MAX_SAFETY_SIZE
}

/// What we know about one entry after decoding its header. This is not
/// how the data is actually encoded, it is what the decoding functions
/// fill in so that the others can work more easily.
///
/// C: ziplist.c zlentry
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ZlEntry {
    /// Bytes used to encode the previous entry len.
    pub(crate) prevrawlensize: u32,
    /// Previous entry len.
    pub(crate) prevrawlen: u32,
    /// Bytes used to encode this entry type/len: strings have a 1, 2 or 5
    /// bytes header, integers always a single byte.
    pub(crate) lensize: u32,
    /// Bytes used to represent the actual entry: the string length for
    /// strings, 1, 2, 3, 4, 8 or 0 (for the 4 bit immediate) for integers.
    pub(crate) len: u32,
    /// prevrawlensize + lensize.
    pub(crate) headersize: u32,
    /// ZIP_STR_* or ZIP_INT_*; for 4 bits immediate integers this can
    /// take a range of values and must be range-checked.
    pub(crate) encoding: u8,
    /// Offset of the very start of the entry, its prev-entry-len field.
    pub(crate) p: usize,
}

/// The value of an entry: a string (borrowed from the ziplist) or an
/// integer. C's ziplistGet() sets either `*sstr`/`*slen` or `*sval`; this
/// enum says which (no C twin).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ZlValue<'a> {
    Str(&'a [u8]),
    Int(i64),
}

impl ZlValue<'_> {
    /// The entry as a string: integers in decimal, as Redis turns them
    /// back into strings when it converts a ziplist (no C twin).
    pub fn to_vec(&self) -> Vec<u8> {
        match *self {
            ZlValue::Str(s) => s.to_vec(),
            ZlValue::Int(v) => ll2string(v),
        }
    }
}

/// Extract the encoding from the first byte of the entry's encoding
/// field: strings keep only their two type bits.
///
/// C: ziplist.c ZIP_ENTRY_ENCODING
fn zip_entry_encoding(b: u8) -> u8 {
    if b < ZIP_STR_MASK {
        b & ZIP_STR_MASK
    } else {
        b
    }
}

/// What `zip_encoding_len_size` returns for an invalid encoding.
const ZIP_ENCODING_SIZE_INVALID: u32 = 0xff;

/// Return the number of bytes required to encode the entry type + length,
/// or ZIP_ENCODING_SIZE_INVALID for an encoding that does not exist.
///
/// C: ziplist.c zipEncodingLenSize() (Redis 7.0; 5.0 has no check)
fn zip_encoding_len_size(encoding: u8) -> u32 {
    if encoding == ZIP_INT_16B
        || encoding == ZIP_INT_32B
        || encoding == ZIP_INT_24B
        || encoding == ZIP_INT_64B
        || encoding == ZIP_INT_8B
    {
        return 1;
    }
    if (ZIP_INT_IMM_MIN..=ZIP_INT_IMM_MAX).contains(&encoding) {
        return 1;
    }
    if encoding == ZIP_STR_06B {
        return 1;
    }
    if encoding == ZIP_STR_14B {
        return 2;
    }
    if encoding == ZIP_STR_32B {
        return 5;
    }
    ZIP_ENCODING_SIZE_INVALID
}

/// Return bytes needed to store integer encoded by 'encoding'.
///
/// C: ziplist.c zipIntSize()
fn zip_int_size(encoding: u8) -> u32 {
    match encoding {
        ZIP_INT_8B => 1,
        ZIP_INT_16B => 2,
        ZIP_INT_24B => 3,
        ZIP_INT_32B => 4,
        ZIP_INT_64B => 8,
        // 4 bit immediate
        ZIP_INT_IMM_MIN..=ZIP_INT_IMM_MAX => 0,
        // Divergence from C: C panics ("Invalid integer encoding");
        // every caller here has checked the encoding first, and a bad
        // one reads as a zero-length integer rather than abort.
        _ => 0,
    }
}

/// Write the encoding header of an entry into `p` (when given) and
/// return its size. `encoding` is ZIP_INT_*, an immediate between
/// ZIP_INT_IMM_MIN and ZIP_INT_IMM_MAX, or any ZIP_STR_* value, in which
/// case `rawlen`, the string length, decides which string encoding is
/// used.
///
/// C: ziplist.c zipStoreEntryEncoding()
fn zip_store_entry_encoding(
    p: Option<&mut [u8]>,
    encoding: u8,
    rawlen: u32,
) -> u32 {
    let mut len = 1;
    let mut buf = [0u8; 5];

    if zip_is_str(encoding) {
        // Although encoding is given it may not be set for strings, so we
        // determine it here using the raw length.
        if rawlen <= 0x3f {
            if p.is_none() {
                return len;
            }
            buf[0] = ZIP_STR_06B | rawlen as u8;
        } else if rawlen <= 0x3fff {
            len += 1;
            if p.is_none() {
                return len;
            }
            buf[0] = ZIP_STR_14B | ((rawlen >> 8) as u8 & 0x3f);
            buf[1] = rawlen as u8;
        } else {
            len += 4;
            if p.is_none() {
                return len;
            }
            buf[0] = ZIP_STR_32B;
            buf[1..5].copy_from_slice(&rawlen.to_be_bytes());
        }
    } else {
        // Implies integer encoding, so length is always 1.
        if p.is_none() {
            return len;
        }
        buf[0] = encoding;
    }

    // Store this length at p.
    if let Some(p) = p {
        p[..len as usize].copy_from_slice(&buf[..len as usize]);
    }
    len
}

/// Decode the length part of an entry's encoding at `ptr` (the 7.0 form
/// of the macro): returns `(lensize, len)`, the bytes taken by the
/// encoding field and the string length or integer width. `encoding` is
/// the value `zip_entry_encoding` extracted. On an invalid encoding
/// lensize is 0. `ptr` must hold `lensize` bytes.
///
/// C: ziplist.c ZIP_DECODE_LENGTH
fn zip_decode_length(ptr: &[u8], encoding: u8) -> (u32, u32) {
    if encoding < ZIP_STR_MASK {
        if encoding == ZIP_STR_06B {
            (1, (ptr[0] & 0x3f) as u32)
        } else if encoding == ZIP_STR_14B {
            (2, ((ptr[0] as u32 & 0x3f) << 8) | ptr[1] as u32)
        } else if encoding == ZIP_STR_32B {
            (5, u32::from_be_bytes([ptr[1], ptr[2], ptr[3], ptr[4]]))
        } else {
            // Bad encoding: the caller checks lensize against 0.
            (0, 0)
        }
    } else {
        match encoding {
            ZIP_INT_8B => (1, 1),
            ZIP_INT_16B => (1, 2),
            ZIP_INT_24B => (1, 3),
            ZIP_INT_32B => (1, 4),
            ZIP_INT_64B => (1, 8),
            ZIP_INT_IMM_MIN..=ZIP_INT_IMM_MAX => (1, 0), // 4 bit immediate
            _ => (0, 0),                                 // bad encoding
        }
    }
}

/// Encode the length of the previous entry with the larger (5 bytes)
/// encoding into `p`, when given; `__ziplist_cascade_update` needs it.
///
/// C: ziplist.c zipStorePrevEntryLengthLarge()
fn zip_store_prev_entry_length_large(p: Option<&mut [u8]>, len: u32) -> u32 {
    if let Some(p) = p {
        p[0] = ZIP_BIG_PREVLEN;
        p[1..5].copy_from_slice(&len.to_le_bytes());
    }
    1 + 4
}

/// Encode the length of the previous entry into `p` when given. Returns
/// the number of bytes the encoding takes.
///
/// C: ziplist.c zipStorePrevEntryLength()
fn zip_store_prev_entry_length(p: Option<&mut [u8]>, len: u32) -> u32 {
    match p {
        None => {
            if len < ZIP_BIG_PREVLEN as u32 {
                1
            } else {
                4 + 1
            }
        }
        Some(p) => {
            if len < ZIP_BIG_PREVLEN as u32 {
                p[0] = len as u8;
                1
            } else {
                zip_store_prev_entry_length_large(Some(p), len)
            }
        }
    }
}

/// The number of bytes used to encode the length of the previous entry,
/// from the first byte of the prevlen field.
///
/// C: ziplist.c ZIP_DECODE_PREVLENSIZE
fn zip_decode_prevlensize(b: u8) -> u32 {
    if b < ZIP_BIG_PREVLEN {
        1
    } else {
        5
    }
}

/// Decode the prevlen field at the start of `ptr`: returns
/// `(prevlensize, prevlen)`, the bytes the field takes and the length of
/// the previous entry, so the list can be walked backwards. `ptr` must
/// hold the whole field.
///
/// C: ziplist.c ZIP_DECODE_PREVLEN
fn zip_decode_prevlen(ptr: &[u8]) -> (u32, u32) {
    let prevlensize = zip_decode_prevlensize(ptr[0]);
    if prevlensize == 1 {
        (1, ptr[0] as u32)
    } else {
        (5, u32::from_le_bytes([ptr[1], ptr[2], ptr[3], ptr[4]]))
    }
}

/// Given the prevlen field at `p`, the difference in bytes needed to
/// encode the prevlen if the previous entry became `len` bytes long: B - A,
/// where A is the size the field takes now and B the size it would need.
/// Positive if more space is needed, negative if less, zero if the same.
///
/// C: ziplist.c zipPrevLenByteDiff()
fn zip_prev_len_byte_diff(p: &[u8], len: u32) -> i64 {
    let prevlensize = zip_decode_prevlensize(p[0]);
    zip_store_prev_entry_length(None, len) as i64 - prevlensize as i64
}

/// Return the total number of bytes used by the entry at `p`.
///
/// C: ziplist.c zipRawEntryLength()
fn zip_raw_entry_length(zl: &[u8], p: usize) -> u32 {
    let e = zip_entry(zl, p);
    e.headersize + e.len
}

/// Check if `entry` can be encoded as an integer: the canonical decimal
/// form of an `i64`, shorter than 32 bytes. Returns the value and the
/// smallest of our encodings that holds it.
///
/// C: ziplist.c zipTryEncoding()
fn zip_try_encoding(entry: &[u8]) -> Option<(i64, u8)> {
    let entrylen = entry.len();
    if entrylen >= 32 || entrylen == 0 {
        return None;
    }
    let value = string2ll(entry)?;
    // Great, the string can be encoded. Check what's the smallest of our
    // encoding types that can hold this value.
    let encoding = if (0..=12).contains(&value) {
        ZIP_INT_IMM_MIN + value as u8
    } else if value >= i8::MIN as i64 && value <= i8::MAX as i64 {
        ZIP_INT_8B
    } else if value >= i16::MIN as i64 && value <= i16::MAX as i64 {
        ZIP_INT_16B
    } else if (INT24_MIN..=INT24_MAX).contains(&value) {
        ZIP_INT_24B
    } else if value >= i32::MIN as i64 && value <= i32::MAX as i64 {
        ZIP_INT_32B
    } else {
        ZIP_INT_64B
    };
    Some((value, encoding))
}

/// Store integer 'value' at 'p', encoded as 'encoding'.
///
/// C: ziplist.c zipSaveInteger()
fn zip_save_integer(p: &mut [u8], value: i64, encoding: u8) {
    match encoding {
        ZIP_INT_8B => p[0] = value as i8 as u8,
        ZIP_INT_16B => p[..2].copy_from_slice(&(value as i16).to_le_bytes()),
        // The low three bytes of the value, little endian.
        ZIP_INT_24B => {
            p[..3].copy_from_slice(&(value as i32).to_le_bytes()[..3])
        }
        ZIP_INT_32B => p[..4].copy_from_slice(&(value as i32).to_le_bytes()),
        ZIP_INT_64B => p[..8].copy_from_slice(&value.to_le_bytes()),
        // Nothing to do, the value is stored in the encoding itself.
        ZIP_INT_IMM_MIN..=ZIP_INT_IMM_MAX => {}
        // Divergence from C: C asserts; callers pass only encodings that
        // zip_try_encoding chose.
        _ => {}
    }
}

/// Read integer encoded as 'encoding' from 'p'.
///
/// C: ziplist.c zipLoadInteger()
fn zip_load_integer(p: &[u8], encoding: u8) -> i64 {
    match encoding {
        ZIP_INT_8B => p[0] as i8 as i64,
        ZIP_INT_16B => i16::from_le_bytes([p[0], p[1]]) as i64,
        ZIP_INT_32B => i32::from_le_bytes([p[0], p[1], p[2], p[3]]) as i64,
        // Three bytes into the top of an i32, then an arithmetic shift
        // brings the sign down.
        ZIP_INT_24B => (i32::from_le_bytes([0, p[0], p[1], p[2]]) >> 8) as i64,
        ZIP_INT_64B => {
            i64::from_le_bytes([p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]])
        }
        ZIP_INT_IMM_MIN..=ZIP_INT_IMM_MAX => {
            ((encoding & ZIP_INT_IMM_MASK) - 1) as i64
        }
        // Divergence from C: C asserts; a validated entry never has
        // another encoding.
        _ => 0,
    }
}

/// Decode the headers of the entry at `p` of a trusted ziplist (built
/// here, or validated). This is the "unsafe" form: see
/// `zip_entry_safe` for untrusted input.
///
/// C: ziplist.c zipEntry()
fn zip_entry(zl: &[u8], p: usize) -> ZlEntry {
    let (prevrawlensize, prevrawlen) = zip_decode_prevlen(&zl[p..]);
    let q = p + prevrawlensize as usize;
    let encoding = zip_entry_encoding(zl[q]);
    let (lensize, len) = zip_decode_length(&zl[q..], encoding);
    ZlEntry {
        prevrawlensize,
        prevrawlen,
        lensize,
        len,
        headersize: prevrawlensize + lensize,
        encoding,
        p,
    }
}

/// Decode the headers of the entry at `p` of a ziplist of `zlbytes`
/// bytes that may be corrupt, making sure never to read outside the
/// entries area (from the end of the header to the end byte): returns
/// `None` when the entry's encoding is invalid or its header or payload
/// would reach outside, and, with `validate_prevlen`, when its prevlen
/// points before the first entry.
///
/// C: ziplist.c zipEntrySafe() (Redis 7.0; 5.0 has no safe decoder)
fn zip_entry_safe(
    zl: &[u8],
    zlbytes: usize,
    p: usize,
    validate_prevlen: bool,
) -> Option<ZlEntry> {
    // Divergence from C: C trusts that zlbytes is the allocation size;
    // here the slice decides, so a lying zlbytes cannot lead outside it.
    let zlbytes = zlbytes.min(zl.len());
    if zlbytes < ZIPLIST_HEADER_SIZE + ZIPLIST_END_SIZE {
        return None;
    }
    let zlfirst = ZIPLIST_HEADER_SIZE;
    let zllast = zlbytes - ZIPLIST_END_SIZE;
    let out_of_range = |q: usize| q < zlfirst || q > zllast;

    // If there's no possibility for the header to reach outside the
    // ziplist, take the fast path (max lensize and prevrawlensize are
    // both 5 bytes).
    if p >= zlfirst && p + 10 < zllast {
        let (prevrawlensize, prevrawlen) = zip_decode_prevlen(&zl[p..]);
        let q = p + prevrawlensize as usize;
        let encoding = zip_entry_encoding(zl[q]);
        let (lensize, len) = zip_decode_length(&zl[q..], encoding);
        let e = ZlEntry {
            prevrawlensize,
            prevrawlen,
            lensize,
            len,
            headersize: prevrawlensize + lensize,
            encoding,
            p,
        };
        // We didn't check the encoding, so check lensize was set to 0.
        if e.lensize == 0 {
            return None;
        }
        // Make sure the entry doesn't reach outside the edge of the
        // ziplist.
        if out_of_range(p + e.headersize as usize + e.len as usize) {
            return None;
        }
        // Make sure prevlen doesn't reach outside the edge of the
        // ziplist.
        if validate_prevlen
            && p.checked_sub(e.prevrawlen as usize).is_none_or(out_of_range)
        {
            return None;
        }
        return Some(e);
    }

    // Make sure the pointer doesn't reach outside the edge of the ziplist.
    if out_of_range(p) {
        return None;
    }

    // Make sure the encoded prevlen header doesn't reach outside the
    // allocation.
    let prevrawlensize = zip_decode_prevlensize(zl[p]);
    if out_of_range(p + prevrawlensize as usize) {
        return None;
    }

    // Make sure the encoded entry header is valid.
    let q = p + prevrawlensize as usize;
    let encoding = zip_entry_encoding(zl[q]);
    let lensize = zip_encoding_len_size(encoding);
    if lensize == ZIP_ENCODING_SIZE_INVALID {
        return None;
    }

    // Make sure the encoded entry header doesn't reach outside the
    // allocation.
    if out_of_range(q + lensize as usize) {
        return None;
    }

    // Decode the prevlen and entry len headers.
    let (prevrawlensize, prevrawlen) = zip_decode_prevlen(&zl[p..]);
    let (lensize, len) = zip_decode_length(&zl[q..], encoding);
    let e = ZlEntry {
        prevrawlensize,
        prevrawlen,
        lensize,
        len,
        headersize: prevrawlensize + lensize,
        encoding,
        p,
    };

    // Make sure the entry doesn't reach outside the edge of the ziplist.
    if out_of_range(p + e.headersize as usize + e.len as usize) {
        return None;
    }

    // Make sure prevlen doesn't reach outside the edge of the ziplist.
    if validate_prevlen
        && p.checked_sub(e.prevrawlen as usize).is_none_or(out_of_range)
    {
        return None;
    }

    Some(e)
}

/// Create a new empty ziplist.
///
/// C: ziplist.c ziplistNew()
pub fn ziplist_new() -> Vec<u8> {
    let bytes = ZIPLIST_HEADER_SIZE + ZIPLIST_END_SIZE;
    let mut zl = vec![0u8; bytes];
    set_ziplist_bytes(&mut zl, bytes as u32);
    set_ziplist_tail_offset(&mut zl, ZIPLIST_HEADER_SIZE as u32);
    set_ziplist_length(&mut zl, 0);
    zl[bytes - 1] = ZIP_END;
    zl
}

/// Resize the ziplist to `len` bytes, updating zlbytes and the end byte.
///
/// C: ziplist.c ziplistResize()
fn ziplist_resize(zl: &mut Vec<u8>, len: usize) {
    // Divergence from C: C asserts len < UINT32_MAX; callers here check
    // ziplist_safe_to_add first (see ziplist_push).
    zl.resize(len, 0);
    set_ziplist_bytes(zl, len as u32);
    zl[len - 1] = ZIP_END;
}

/// When an entry is inserted, the prevlen field of the next entry must
/// become the length of the inserted entry. That length may not fit in
/// one byte, so the next entry grows to hold a 5 byte prevlen; growing
/// changes its own length, so the entry after it may need to grow too,
/// and so on: the effect cascades through consecutive entries whose size
/// is close to ZIP_BIG_PREVLEN.
///
/// The reverse (a prevlen field that could shrink) is deliberately
/// ignored: shrinking could make a chain of fields flap between the two
/// sizes on consecutive inserts, so a field may stay larger than needed.
///
/// `p` is the offset of the first entry that does NOT need updating;
/// the ones after it may.
///
/// C: ziplist.c __ziplistCascadeUpdate()
fn __ziplist_cascade_update(zl: &mut Vec<u8>, mut p: usize) {
    let mut curlen = ziplist_bytes(zl) as usize;

    while zl[p] != ZIP_END {
        let cur = zip_entry(zl, p);
        let rawlen = (cur.headersize + cur.len) as usize;
        let rawlensize =
            zip_store_prev_entry_length(None, rawlen as u32) as usize;

        // Abort if there is no next entry.
        if zl[p + rawlen] == ZIP_END {
            break;
        }
        let next = zip_entry(zl, p + rawlen);

        // Abort when "prevlen" has not changed.
        if next.prevrawlen as usize == rawlen {
            break;
        }

        if (next.prevrawlensize as usize) < rawlensize {
            // The "prevlen" field of "next" needs more bytes to hold the
            // raw length of "cur".
            let extra = rawlensize - next.prevrawlensize as usize;
            ziplist_resize(zl, curlen + extra);

            // Current pointer and offset for next element.
            let np = p + rawlen;
            let noffset = np;

            // Update tail offset when next element is not the tail
            // element.
            if ziplist_entry_tail(zl) != np {
                let tail = ziplist_tail_offset(zl);
                set_ziplist_tail_offset(zl, tail + extra as u32);
            }

            // Move the tail to the back.
            let src = np + next.prevrawlensize as usize;
            let n = curlen - noffset - next.prevrawlensize as usize - 1;
            zl.copy_within(src..src + n, np + rawlensize);
            zip_store_prev_entry_length(Some(&mut zl[np..]), rawlen as u32);

            // Advance the cursor.
            p += rawlen;
            curlen += extra;
        } else {
            if next.prevrawlensize as usize > rawlensize {
                // This would result in shrinking, which we want to avoid.
                // So, set "rawlen" in the available bytes.
                zip_store_prev_entry_length_large(
                    Some(&mut zl[p + rawlen..]),
                    rawlen as u32,
                );
            } else {
                zip_store_prev_entry_length(
                    Some(&mut zl[p + rawlen..]),
                    rawlen as u32,
                );
            }

            // Stop here, as the raw length of "next" has not changed.
            break;
        }
    }
}

/// Insert the string `s` as a new entry at offset `p` (an entry, which
/// moves right, or the end byte). The string is stored as an integer when
/// it is the canonical form of one.
///
/// C: ziplist.c __ziplistInsert()
fn __ziplist_insert(zl: &mut Vec<u8>, mut p: usize, s: &[u8]) {
    let curlen = ziplist_bytes(zl) as usize;
    let slen = s.len() as u32;
    let mut prevlen: u32 = 0;

    // Find out prevlen for the entry that is inserted.
    if zl[p] != ZIP_END {
        prevlen = zip_decode_prevlen(&zl[p..]).1;
    } else {
        let ptail = ziplist_entry_tail(zl);
        if zl[ptail] != ZIP_END {
            prevlen = zip_raw_entry_length(zl, ptail);
        }
    }

    // See if the entry can be encoded. For strings `encoding` stays 0
    // (ZIP_STR_06B) and zip_store_entry_encoding uses the string length
    // to choose the string encoding.
    let (encoding, value, mut reqlen) = match zip_try_encoding(s) {
        Some((value, encoding)) => {
            (encoding, value, zip_int_size(encoding) as usize)
        }
        None => (0, 123456789, s.len()),
    };
    // We need space for both the length of the previous entry and the
    // length of the payload.
    reqlen += zip_store_prev_entry_length(None, prevlen) as usize;
    reqlen += zip_store_entry_encoding(None, encoding, slen) as usize;

    // When the insert position is not equal to the tail, we need to make
    // sure that the next entry can hold this entry's length in its prevlen
    // field.
    let mut forcelarge = false;
    let mut nextdiff: i64 = if zl[p] != ZIP_END {
        zip_prev_len_byte_diff(&zl[p..], reqlen as u32)
    } else {
        0
    };
    if nextdiff == -4 && reqlen < 4 {
        nextdiff = 0;
        forcelarge = true;
    }

    // Store offset because a realloc may change the address of zl.
    let offset = p;
    ziplist_resize(zl, (curlen as i64 + reqlen as i64 + nextdiff) as usize);
    p = offset;

    // Apply memory move when necessary and update tail offset.
    if zl[p] != ZIP_END {
        // Subtract one because of the ZIP_END bytes.
        let src = (p as i64 - nextdiff) as usize;
        let n = (curlen as i64 - offset as i64 - 1 + nextdiff) as usize;
        zl.copy_within(src..src + n, p + reqlen);

        // Encode this entry's raw length in the next entry.
        if forcelarge {
            zip_store_prev_entry_length_large(
                Some(&mut zl[p + reqlen..]),
                reqlen as u32,
            );
        } else {
            zip_store_prev_entry_length(
                Some(&mut zl[p + reqlen..]),
                reqlen as u32,
            );
        }

        // Update offset for tail.
        let tail = ziplist_tail_offset(zl);
        set_ziplist_tail_offset(zl, tail + reqlen as u32);

        // When the tail contains more than one entry, we need to take
        // "nextdiff" in account as well. Otherwise, a change in the size
        // of prevlen doesn't have an effect on the *tail* offset.
        let tail_e = zip_entry(zl, p + reqlen);
        if zl[p + reqlen + (tail_e.headersize + tail_e.len) as usize] != ZIP_END
        {
            let tail = ziplist_tail_offset(zl);
            set_ziplist_tail_offset(zl, (tail as i64 + nextdiff) as u32);
        }
    } else {
        // This element will be the new tail.
        set_ziplist_tail_offset(zl, p as u32);
    }

    // When nextdiff != 0, the raw length of the next entry has changed, so
    // we need to cascade the update throughout the ziplist.
    if nextdiff != 0 {
        __ziplist_cascade_update(zl, p + reqlen);
    }

    // Write the entry.
    p += zip_store_prev_entry_length(Some(&mut zl[p..]), prevlen) as usize;
    p += zip_store_entry_encoding(Some(&mut zl[p..]), encoding, slen) as usize;
    if zip_is_str(encoding) {
        zl[p..p + s.len()].copy_from_slice(s);
    } else {
        zip_save_integer(&mut zl[p..], value, encoding);
    }
    ziplist_incr_length(zl, 1);
}

/// Add the string `s` at the head (ZIPLIST_HEAD) or the tail
/// (ZIPLIST_TAIL) of the ziplist.
///
/// Divergence from C: C does not check the size here (its callers call
/// ziplistSafeToAdd()); a push that would take the ziplist past
/// ZIPLIST_MAX_SAFETY_SIZE is refused with `false`, since the 32 bit
/// offsets could not describe it.
///
/// C: ziplist.c ziplistPush()
pub fn ziplist_push(zl: &mut Vec<u8>, s: &[u8], where_: i32) -> bool {
    // Entry header (at most 5 + 5 bytes) plus the payload.
    if !ziplist_safe_to_add(Some(zl), s.len() + 10) {
        return false;
    }
    let p = if where_ == ZIPLIST_HEAD {
        ZIPLIST_ENTRY_HEAD
    } else {
        ziplist_entry_end(zl)
    };
    __ziplist_insert(zl, p, s);
    true
}

/// The offset of the entry at `index`, counting from the head for
/// `index >= 0` and from the tail (-1 is the last) otherwise, or `None`
/// when there is no such entry.
///
/// C: ziplist.c ziplistIndex()
pub fn ziplist_index(zl: &[u8], index: i32) -> Option<usize> {
    let mut p;
    let mut index = index as i64;
    if index < 0 {
        index = (-index) - 1;
        p = ziplist_entry_tail(zl);
        if zl[p] != ZIP_END {
            let (_, mut prevlen) = zip_decode_prevlen(&zl[p..]);
            while prevlen > 0 && index > 0 {
                index -= 1;
                p -= prevlen as usize;
                prevlen = zip_decode_prevlen(&zl[p..]).1;
            }
        }
    } else {
        p = ZIPLIST_ENTRY_HEAD;
        while zl[p] != ZIP_END && index > 0 {
            index -= 1;
            p += zip_raw_entry_length(zl, p) as usize;
        }
    }
    if zl[p] == ZIP_END || index > 0 {
        None
    } else {
        Some(p)
    }
}

/// The offset of the entry after the one at `p`, or `None` at the end.
///
/// C: ziplist.c ziplistNext()
pub fn ziplist_next(zl: &[u8], mut p: usize) -> Option<usize> {
    // "p" could be equal to ZIP_END, caused by ziplistDelete, and we
    // should return NULL. Otherwise, we should return NULL when the *next*
    // element is ZIP_END (there is no next entry).
    if zl[p] == ZIP_END {
        return None;
    }
    p += zip_raw_entry_length(zl, p) as usize;
    if zl[p] == ZIP_END {
        return None;
    }
    Some(p)
}

/// The offset of the entry before the one at `p`; from the end byte
/// that is the tail. `None` at the head.
///
/// C: ziplist.c ziplistPrev()
pub fn ziplist_prev(zl: &[u8], p: usize) -> Option<usize> {
    // Iterating backwards from ZIP_END should return the tail. When "p" is
    // equal to the first element of the list, we're already at the head,
    // and should return NULL.
    if zl[p] == ZIP_END {
        let p = ziplist_entry_tail(zl);
        if zl[p] == ZIP_END {
            None
        } else {
            Some(p)
        }
    } else if p == ZIPLIST_ENTRY_HEAD {
        None
    } else {
        let (_, prevlen) = zip_decode_prevlen(&zl[p..]);
        // Divergence from C: C asserts prevlen > 0; a validated ziplist
        // has it, and 0 would loop, so report the head instead.
        if prevlen == 0 {
            return None;
        }
        Some(p - prevlen as usize)
    }
}

/// The value of the entry at `p`, or `None` if `p` is the end byte.
///
/// C: ziplist.c ziplistGet()
pub fn ziplist_get(zl: &[u8], p: usize) -> Option<ZlValue<'_>> {
    if zl[p] == ZIP_END {
        return None;
    }
    let entry = zip_entry(zl, p);
    let at = p + entry.headersize as usize;
    if zip_is_str(entry.encoding) {
        Some(ZlValue::Str(&zl[at..at + entry.len as usize]))
    } else {
        Some(ZlValue::Int(zip_load_integer(&zl[at..], entry.encoding)))
    }
}

/// Return the number of entries, walking the ziplist when the header
/// count is saturated.
///
/// Divergence from C: C writes the count back when a walk finds it small
/// enough; this takes `&[u8]` and leaves the blob as it is.
///
/// C: ziplist.c ziplistLen()
pub fn ziplist_len(zl: &[u8]) -> u32 {
    let header = ziplist_length(zl);
    if header < u16::MAX {
        return header as u32;
    }
    let mut len = 0;
    let mut p = ZIPLIST_HEADER_SIZE;
    while zl[p] != ZIP_END {
        p += zip_raw_entry_length(zl, p) as usize;
        len += 1;
    }
    len
}

/// Return ziplist blob size in bytes.
///
/// C: ziplist.c ziplistBlobLen()
pub fn ziplist_blob_len(zl: &[u8]) -> usize {
    ziplist_bytes(zl) as usize
}

/// Validate the integrity of a ziplist read from outside (an RDB file,
/// a RESTORE payload) whose slice is exactly the blob. With `deep` false
/// only the header is checked (zlbytes equals the size, the end byte is
/// there, zltail is inside); with `deep` true every entry is decoded
/// with `zip_entry_safe`, each prevlen must equal the previous entry's
/// size, the walk must end at the end byte, zltail must point at the last
/// entry and zllen must be the count (unless saturated at 65535).
///
/// `entry_cb`, when given, sees each entry as soon as that entry is known
/// to be sound, with the header's count, and may reject it by returning
/// false (7.0's loader uses it to convert and to find duplicate fields).
///
/// Divergence from C: C returns 0 or 1 and its callback receives the
/// entry pointer; this returns the reason for a rejection, naming the
/// offset inside the blob, and the callback receives the decoded value.
///
/// C: ziplist.c ziplistValidateIntegrity() (Redis 7.0; new in 6.2)
pub fn ziplist_validate_integrity<'a>(
    zl: &'a [u8],
    deep: bool,
    mut entry_cb: Option<&mut dyn FnMut(ZlValue<'a>, u32) -> bool>,
) -> Result<(), String> {
    let size = zl.len();
    // Check that we can actually read the header (and ZIP_END).
    if size < ZIPLIST_HEADER_SIZE + ZIPLIST_END_SIZE {
        return Err(format!(
            "ziplist of {size} bytes is shorter than its header"
        ));
    }

    // Check that the encoded size in the header matches the allocated size.
    let bytes = ziplist_bytes(zl) as usize;
    if bytes != size {
        return Err(format!(
            "ziplist header says {bytes} bytes, the blob has {size}"
        ));
    }

    // The last byte must be the terminator.
    if zl[size - ZIPLIST_END_SIZE] != ZIP_END {
        return Err(format!(
            "ziplist does not end with 0xff (offset {})",
            size - 1
        ));
    }

    // Make sure the tail offset isn't reaching outside the allocation.
    let tail = ziplist_tail_offset(zl) as usize;
    if tail > size - ZIPLIST_END_SIZE {
        return Err(format!(
            "ziplist tail offset {tail} is past the end ({size} bytes)"
        ));
    }

    if !deep {
        return Ok(());
    }

    let mut count: u32 = 0;
    let header_count = ziplist_length(zl);
    let mut p = ZIPLIST_ENTRY_HEAD;
    let mut prev: Option<usize> = None;
    let mut prev_raw_size: usize = 0;
    while zl[p] != ZIP_END {
        // Decode the entry headers and fail if invalid or reaches outside
        // the allocation.
        let Some(e) = zip_entry_safe(zl, size, p, true) else {
            return Err(format!(
                "ziplist entry {count} at offset {p} has a bad encoding or reaches past the end"
            ));
        };

        // Make sure the record stating the prev entry size is correct.
        if e.prevrawlen as usize != prev_raw_size {
            return Err(format!(
                "ziplist entry {count} at offset {p} says the previous entry has {} bytes, it has {prev_raw_size}",
                e.prevrawlen
            ));
        }

        // Optionally let the caller validate the entry too.
        if let Some(cb) = entry_cb.as_mut() {
            let v = ziplist_get(zl, p).unwrap_or(ZlValue::Int(0));
            if !cb(v, header_count as u32) {
                return Err(format!(
                    "ziplist entry {count} at offset {p} rejected"
                ));
            }
        }

        // Move to the next entry.
        prev_raw_size = (e.headersize + e.len) as usize;
        prev = Some(p);
        p += prev_raw_size;
        count += 1;
    }

    // Make sure 'p' really does point to the end of the ziplist.
    if p != bytes - ZIPLIST_END_SIZE {
        return Err(format!(
            "ziplist entries end at offset {p}, before the end byte at {}",
            bytes - 1
        ));
    }

    // Make sure the <zltail> entry really does point to the start of the
    // last entry.
    if let Some(prev) = prev {
        if prev != ziplist_entry_tail(zl) {
            return Err(format!(
                "ziplist tail offset {tail} is not the last entry (at {prev})"
            ));
        }
    } else if tail != ZIPLIST_HEADER_SIZE {
        // Divergence from C: 7.0 checks nothing more for an empty ziplist,
        // so a tail offset pointing into the header passes, and
        // ziplist_prev() from the end byte would then walk the header as
        // an entry (found by tests/rdb_fuzz.rs). Redis always writes
        // ZIPLIST_HEADER_SIZE there for an empty ziplist (ziplistNew(),
        // and __ziplistDelete() when the last entry goes), so no real file
        // is refused by this.
        return Err(format!(
            "empty ziplist has tail offset {tail}, not {ZIPLIST_HEADER_SIZE}"
        ));
    }

    // Check that the count in the header is correct.
    if header_count != u16::MAX && count != header_count as u32 {
        return Err(format!(
            "ziplist header counts {header_count} entries, it has {count}"
        ));
    }

    Ok(())
}

// ------------------------------ for rdb.rs (no C twin) -----------------------------

/// Every entry of an untrusted ziplist, in order, after the deep
/// validation of `ziplist_validate_integrity` (no C twin: C's loader
/// iterates with ziplistNext/ziplistGet or converts inside the
/// validation callback). The values borrow from `zl`.
pub fn ziplist_entries(zl: &[u8]) -> Result<Vec<ZlValue<'_>>, String> {
    ziplist_validate_integrity(zl, true, None)?;
    // The header count is at most 65535, and each entry takes at least
    // two bytes, so neither can make this allocation outgrow the blob.
    let mut out =
        Vec::with_capacity((ziplist_length(zl) as usize).min(zl.len() / 2));
    let mut p = ZIPLIST_ENTRY_HEAD;
    while let Some(v) = ziplist_get(zl, p) {
        out.push(v);
        p += zip_raw_entry_length(zl, p) as usize;
    }
    Ok(out)
}

/// The entries of an untrusted ziplist holding pairs (a hash: field,
/// value; a sorted set: member, score), with the checks Redis 7.0 makes
/// when it loads RDB_TYPE_HASH_ZIPLIST and RDB_TYPE_ZSET_ZIPLIST: an even
/// number of entries and no first-of-pair repeated (compared as strings,
/// so the integer 5 and the string "5" are the same field).
///
/// No C twin here: the checks are 7.0's rdb.c
/// ziplistPairsConvertAndValidateIntegrity() and its callback; 5.0 makes
/// none of them.
pub fn ziplist_pairs(
    zl: &[u8],
) -> Result<Vec<(ZlValue<'_>, ZlValue<'_>)>, String> {
    let entries = ziplist_entries(zl)?;
    if entries.len() % 2 != 0 {
        return Err(format!(
            "ziplist of pairs has an odd number of entries ({})",
            entries.len()
        ));
    }
    let mut fields: HashSet<Vec<u8>> =
        HashSet::with_capacity(entries.len() / 2);
    let mut out = Vec::with_capacity(entries.len() / 2);
    for pair in entries.chunks_exact(2) {
        if !fields.insert(pair[0].to_vec()) {
            return Err(format!(
                "ziplist of pairs repeats the field {:?}",
                String::from_utf8_lossy(&pair[0].to_vec())
            ));
        }
        out.push((pair[0], pair[1]));
    }
    Ok(out)
}

/// A ziplist holding `items` in order, built by pushing each at the tail
/// as Redis does, so the bytes are the ones Redis 5.0 would write. Returns
/// `None` if the ziplist would outgrow ZIPLIST_MAX_SAFETY_SIZE (no C twin).
pub fn ziplist_from_items<'a, I>(items: I) -> Option<Vec<u8>>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    let mut zl = ziplist_new();
    for s in items {
        if !ziplist_push(&mut zl, s, ZIPLIST_TAIL) {
            return None;
        }
    }
    Some(zl)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    }

    fn strs(zl: &[u8]) -> Vec<Vec<u8>> {
        ziplist_entries(zl)
            .expect("valid")
            .iter()
            .map(ZlValue::to_vec)
            .collect()
    }

    /// The example of the C file's header comment.
    #[test]
    fn ziplist_push_matches_the_c_comment_example() {
        let zl = ziplist_from_items([&b"2"[..], b"5"]).expect("small");
        assert_eq!(
            zl,
            unhex(
                "0f0000000c0000000200 00f3 02f6 ff".replace(' ', "").as_str()
            )
        );
        let mut zl = zl;
        ziplist_push(&mut zl, b"Hello World", ZIPLIST_TAIL);
        assert_eq!(
            &zl[zl.len() - 14..],
            &unhex("020b48656c6c6f20576f726c64ff")[..]
        );
    }

    /// `DUMP` of `HSET hash f1 v1 num 1234 neg -5` on Redis 5.0.14 with
    /// rdbcompression off holds exactly this ziplist.
    #[test]
    fn ziplist_push_matches_redis_5_hash_dump() {
        let gold =
            unhex("24000000200000000600000266310402763104036e756d05c0d20404036e656705fefbff");
        let items: [&[u8]; 6] = [b"f1", b"v1", b"num", b"1234", b"neg", b"-5"];
        assert_eq!(ziplist_from_items(items).expect("small"), gold);
        let pairs = ziplist_pairs(&gold).expect("valid");
        assert_eq!(pairs[1], (ZlValue::Str(b"num"), ZlValue::Int(1234)));
        assert_eq!(pairs[2].1, ZlValue::Int(-5));
    }

    /// The zset of `ZADD zset 1 a 2.5 b -3 c` from Redis 5.0.14: members
    /// and scores in score order, integral scores as integers.
    #[test]
    fn ziplist_push_matches_redis_5_zset_dump() {
        let gold = unhex(
            "1e00000018000000060000016303fefd03016103f20201620303322e35ff",
        );
        let items: [&[u8]; 6] = [b"c", b"-3", b"a", b"1", b"b", b"2.5"];
        assert_eq!(ziplist_from_items(items).expect("small"), gold);
    }

    /// The quicklist node of a list with every integer width and strings
    /// of each length class below 16384, from Redis 5.0.14's DUMP.
    #[test]
    fn ziplist_push_matches_redis_5_list_dump() {
        let x70 = "78".repeat(70);
        let y300 = "79".repeat(300);
        let gold = unhex(
            &format!(
                "c801000098000000110000f302f6020b48656c6c6f20576f726c640dfeff03c02c0104f07011\
             0105f090eefe05e000f2052a010000000afd02fe0d03fe8003fe7f03c0800004f000008005f0\
             ffff7f054046{x70}4941 2c{y300}ff"
            )
            .replace(' ', ""),
        );
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
        let zl = ziplist_from_items(items.iter().copied()).expect("small");
        assert_eq!(zl, gold);
        let back = strs(&gold);
        assert_eq!(back, items.iter().map(|s| s.to_vec()).collect::<Vec<_>>());
        let ints: Vec<ZlValue> = ziplist_entries(&gold).expect("valid");
        assert_eq!(ints[7], ZlValue::Int(5000000000));
        assert_eq!(ints[13], ZlValue::Int(-8388608));
        assert_eq!(ints[14], ZlValue::Int(8388607));
        assert_eq!(
            ints[9],
            ZlValue::Int(13),
            "13 is past the immediates: int8"
        );
    }

    #[test]
    fn zip_try_encoding_picks_the_smallest_encoding() {
        assert_eq!(zip_try_encoding(b"0"), Some((0, 0xf1)));
        assert_eq!(zip_try_encoding(b"12"), Some((12, 0xfd)));
        assert_eq!(zip_try_encoding(b"-1"), Some((-1, ZIP_INT_8B)));
        assert_eq!(zip_try_encoding(b"-32768"), Some((-32768, ZIP_INT_16B)));
        assert_eq!(zip_try_encoding(b"32768"), Some((32768, ZIP_INT_24B)));
        assert_eq!(
            zip_try_encoding(b"-2147483648"),
            Some((-2147483648, ZIP_INT_32B))
        );
        assert_eq!(
            zip_try_encoding(b"9223372036854775807"),
            Some((i64::MAX, ZIP_INT_64B))
        );
        assert_eq!(zip_try_encoding(b"01"), None);
        assert_eq!(zip_try_encoding(b" 1"), None);
        assert_eq!(zip_try_encoding(b""), None);
        assert_eq!(zip_try_encoding(b"9223372036854775808"), None);
    }

    #[test]
    fn zip_save_and_load_integer_round_trip() {
        for v in [
            0i64,
            12,
            -1,
            127,
            -128,
            300,
            -300,
            8388607,
            -8388608,
            1 << 31,
            -(1 << 40),
            i64::MIN,
        ] {
            let (_, enc) = zip_try_encoding(&ll2string(v)).expect("integer");
            let mut buf = [0u8; 8];
            zip_save_integer(&mut buf, v, enc);
            let v2 = if (ZIP_INT_IMM_MIN..=ZIP_INT_IMM_MAX).contains(&enc) {
                zip_load_integer(&buf, enc)
            } else {
                zip_load_integer(&buf[..zip_int_size(enc) as usize], enc)
            };
            assert_eq!(v2, v);
        }
    }

    /// Strings of every length class, including the 32 bit one.
    #[test]
    fn zip_store_entry_encoding_length_classes() {
        for len in [0usize, 63, 64, 16383, 16384, 70000] {
            let s = vec![b'a'; len];
            let zl = ziplist_from_items([&s[..]]).expect("small");
            let e = zip_entry(&zl, ZIPLIST_HEADER_SIZE);
            assert_eq!(e.len as usize, len);
            assert_eq!(
                e.lensize,
                if len <= 63 {
                    1
                } else if len <= 16383 {
                    2
                } else {
                    5
                }
            );
            assert_eq!(strs(&zl), vec![s]);
        }
    }

    /// Pushing at the head before an entry of 250+ bytes makes the next
    /// prevlen grow to 5 bytes, and the cascade goes on through entries
    /// sized right at the 254 boundary; walking both ways still works.
    #[test]
    fn ziplist_cascade_update_on_head_push() {
        let mut zl = ziplist_new();
        // Entries of 253 bytes each (1 prevlen + 2 encoding + 250): their
        // prevlens fit in one byte until one of them grows.
        for _ in 0..5 {
            ziplist_push(&mut zl, &[b'z'; 250], ZIPLIST_TAIL);
        }
        ziplist_push(&mut zl, &[b'q'; 300], ZIPLIST_HEAD);
        ziplist_validate_integrity(&zl, true, None)
            .expect("valid after cascade");
        let e = strs(&zl);
        assert_eq!(e.len(), 6);
        assert_eq!(e[0], vec![b'q'; 300]);
        // Every later entry now has a 5 byte prevlen.
        let mut p = ziplist_index(&zl, 1).expect("entry 1");
        while zl[p] != ZIP_END {
            assert_eq!(zip_entry(&zl, p).prevrawlensize, 5);
            p += zip_raw_entry_length(&zl, p) as usize;
        }
        // Backwards from the end byte.
        let mut back = vec![];
        let mut p = ziplist_entry_end(&zl);
        while let Some(q) = ziplist_prev(&zl, p) {
            back.push(ziplist_get(&zl, q).expect("entry").to_vec());
            p = q;
        }
        back.reverse();
        assert_eq!(back, e);
    }

    /// C's REDIS_TEST "Get element at index" cases on createList().
    #[test]
    fn ziplist_index_positive_and_negative() {
        let mut zl = ziplist_new();
        ziplist_push(&mut zl, b"foo", ZIPLIST_TAIL);
        ziplist_push(&mut zl, b"quux", ZIPLIST_TAIL);
        ziplist_push(&mut zl, b"hello", ZIPLIST_HEAD);
        ziplist_push(&mut zl, b"1024", ZIPLIST_TAIL);
        let at = |i| ziplist_index(&zl, i).and_then(|p| ziplist_get(&zl, p));
        assert_eq!(at(3), Some(ZlValue::Int(1024)));
        assert_eq!(at(4), None);
        assert_eq!(at(-1), Some(ZlValue::Int(1024)));
        assert_eq!(at(-4), Some(ZlValue::Str(b"hello")));
        assert_eq!(at(-5), None);
        assert_eq!(ziplist_len(&zl), 4);
        let mut p = ziplist_index(&zl, 1);
        let mut seen = vec![];
        while let Some(q) = p {
            seen.push(ziplist_get(&zl, q).expect("entry").to_vec());
            p = ziplist_next(&zl, q);
        }
        assert_eq!(
            seen,
            vec![b"foo".to_vec(), b"quux".to_vec(), b"1024".to_vec()]
        );
    }

    #[test]
    fn ziplist_len_walks_when_the_header_is_saturated() {
        let mut zl =
            ziplist_from_items([&b"a"[..], b"b", b"c"]).expect("small");
        set_ziplist_length(&mut zl, u16::MAX);
        assert_eq!(ziplist_len(&zl), 3);
        // C accepts a saturated count whatever the real count is.
        assert!(ziplist_validate_integrity(&zl, true, None).is_ok());
    }

    #[test]
    fn ziplist_validate_integrity_empty_and_shallow() {
        let zl = ziplist_new();
        assert!(ziplist_validate_integrity(&zl, true, None).is_ok());
        assert_eq!(ziplist_entries(&zl).expect("valid"), vec![]);
        // Shallow: a lying entry passes, the deep walk catches it.
        let mut zl = ziplist_from_items([&b"abc"[..]]).expect("small");
        zl[11] = 0x3f; // string length 63 in a 3 byte payload
        assert!(ziplist_validate_integrity(&zl, false, None).is_ok());
        assert!(ziplist_validate_integrity(&zl, true, None).is_err());
    }

    #[test]
    fn ziplist_validate_integrity_rejects_header_lies() {
        let good =
            ziplist_from_items([&b"abc"[..], b"12345", b"x"]).expect("small");
        // Wrong total bytes.
        let mut zl = good.clone();
        set_ziplist_bytes(&mut zl, good.len() as u32 + 1);
        assert!(ziplist_validate_integrity(&zl, false, None).is_err());
        // Missing end byte.
        let mut zl = good.clone();
        *zl.last_mut().expect("end") = 0;
        assert!(ziplist_validate_integrity(&zl, false, None).is_err());
        // Tail past the end, and tail not at the last entry.
        let mut zl = good.clone();
        set_ziplist_tail_offset(&mut zl, good.len() as u32);
        assert!(ziplist_validate_integrity(&zl, false, None).is_err());
        let mut zl = good.clone();
        set_ziplist_tail_offset(&mut zl, ZIPLIST_HEADER_SIZE as u32);
        assert!(ziplist_validate_integrity(&zl, true, None).is_err());
        // Wrong entry count.
        let mut zl = good.clone();
        set_ziplist_length(&mut zl, 2);
        assert!(ziplist_validate_integrity(&zl, true, None).is_err());
        // Shorter than a header.
        assert!(ziplist_validate_integrity(&good[..5], false, None).is_err());
    }

    #[test]
    fn ziplist_validate_integrity_rejects_prevlen_lies() {
        let good =
            ziplist_from_items([&b"abc"[..], b"12345", b"x"]).expect("small");
        let second = ziplist_index(&good, 1).expect("entry");
        // The first entry's prevlen must be 0.
        let mut zl = good.clone();
        zl[ZIPLIST_HEADER_SIZE] = 1;
        assert!(ziplist_validate_integrity(&zl, true, None).is_err());
        // The second's must be the first's size.
        let mut zl = good.clone();
        zl[second] += 1;
        assert!(ziplist_validate_integrity(&zl, true, None).is_err());
        // A huge 5-byte prevlen cannot point before the first entry.
        let mut zl = good.clone();
        zl[ZIPLIST_HEADER_SIZE] = ZIP_BIG_PREVLEN;
        assert!(ziplist_validate_integrity(&zl, true, None).is_err());
    }

    #[test]
    fn ziplist_validate_integrity_rejects_bad_encodings() {
        let good = ziplist_from_items([&b"abc"[..]]).expect("small");
        for bad in [0xc1u8, 0xd5, 0xe7, 0xff] {
            let mut zl = good.clone();
            zl[ZIPLIST_HEADER_SIZE + 1] = bad;
            assert!(
                ziplist_validate_integrity(&zl, true, None).is_err(),
                "{bad:#x}"
            );
        }
        // A 32 bit string length of 4 GB in a tiny blob.
        let mut zl = ziplist_new();
        let body = [0u8, 0x80, 0xff, 0xff, 0xff, 0xff];
        zl.splice(ZIPLIST_HEADER_SIZE..ZIPLIST_HEADER_SIZE, body);
        let n = zl.len() as u32;
        set_ziplist_bytes(&mut zl, n);
        set_ziplist_length(&mut zl, 1);
        assert!(ziplist_entries(&zl).is_err());
    }

    #[test]
    fn ziplist_validate_integrity_callback_can_reject() {
        let zl = ziplist_from_items([&b"a"[..], b"7", b"c"]).expect("small");
        let mut seen = vec![];
        let mut cb = |v: ZlValue<'_>, n: u32| {
            seen.push((v.to_vec(), n));
            v != ZlValue::Int(7)
        };
        assert!(ziplist_validate_integrity(&zl, true, Some(&mut cb)).is_err());
        assert_eq!(seen, vec![(b"a".to_vec(), 3), (b"7".to_vec(), 3)]);
    }

    #[test]
    fn ziplist_pairs_rejects_odd_counts_and_duplicates() {
        let odd = ziplist_from_items([&b"f"[..], b"v", b"g"]).expect("small");
        assert!(ziplist_pairs(&odd).is_err());
        let dup = ziplist_from_items([&b"f"[..], b"v", &b"f"[..], b"w"])
            .expect("small");
        assert!(ziplist_pairs(&dup).is_err());
        // A value may repeat; only fields must be distinct.
        let ok =
            ziplist_from_items([&b"f"[..], b"v", b"g", b"v"]).expect("small");
        assert_eq!(ziplist_pairs(&ok).expect("valid").len(), 2);
        // The integer 5 and the string "5" are the same field: build the
        // string form by hand (push would encode it as an integer).
        let mut zl =
            ziplist_from_items([&b"5"[..], b"v", b"x", b"w"]).expect("small");
        let third = ziplist_index(&zl, 2).expect("entry");
        zl[third + 2] = b'5';
        assert!(ziplist_pairs(&zl).is_err());
    }

    #[test]
    fn ziplist_every_truncation_is_rejected() {
        let x = vec![b'x'; 300];
        let good = ziplist_from_items([
            &b"abc"[..],
            b"-70000",
            &x[..],
            b"5000000000",
            b"7",
        ])
        .expect("small");
        for cut in 0..good.len() {
            assert!(ziplist_entries(&good[..cut]).is_err(), "cut at {cut}");
            // Even with zlbytes and the end byte made to agree (cutting
            // just the end byte and putting it back is the original).
            if cut > ZIPLIST_HEADER_SIZE && cut < good.len() - 1 {
                let mut zl = good[..cut].to_vec();
                zl.push(ZIP_END);
                let n = zl.len() as u32;
                set_ziplist_bytes(&mut zl, n);
                assert!(
                    ziplist_entries(&zl).is_err(),
                    "cut and patched at {cut}"
                );
            }
        }
    }
}
