//! Values: the Redis object (`robj`) with its type, encoding and LRU clock,
//! and the string helpers every command uses to read integers and doubles
//! out of arguments.
//!
//! Ports object.c from Redis 5.0.14 (the parts that concern us), in order.
//!
//! Read this first: C shares refcounted `robj`s between the keyspace,
//! argv and replies. Here a value is owned by the keyspace alone, and
//! arguments are plain byte vectors; where C's sharing is observable
//! (OBJECT REFCOUNT of small integers) we report what C would.

use crate::long_double::{strtold, LongDouble};
use crate::networking::add_reply_error;
use crate::networking::{
    add_reply, add_reply_bulk_c_string, add_reply_help, add_reply_long_long,
    add_reply_subcommand_syntax_error,
};
use crate::server::Client;
use crate::server::LRU_CLOCK_MAX;
use crate::server::{
    RedisServer, LRU_CLOCK_RESOLUTION, MAXMEMORY_FLAG_LFU,
    MAXMEMORY_FLAG_NO_SHARED_INTEGERS,
};
// The evict.c helpers OBJECT reads; re-exported for the modules that take
// object.rs whole (DEBUG OBJECT reads the idle time).
pub(crate) use crate::evict::{
    estimate_object_idle_time, lfu_decr_and_return, lfu_get_time_in_minutes,
};
use crate::shared::NULLBULK;

// ------------------------------ server.h: robj ------------------------------

pub(crate) const OBJ_STRING: u8 = 0;
pub(crate) const OBJ_LIST: u8 = 1;
pub(crate) const OBJ_SET: u8 = 2;
pub(crate) const OBJ_ZSET: u8 = 3;
pub(crate) const OBJ_HASH: u8 = 4;
pub(crate) const OBJ_STREAM: u8 = 6;

pub(crate) const OBJ_ENCODING_RAW: u8 = 0;
pub(crate) const OBJ_ENCODING_INT: u8 = 1;
pub(crate) const OBJ_ENCODING_HT: u8 = 2;
pub(crate) const OBJ_ENCODING_ZIPMAP: u8 = 3;
pub(crate) const OBJ_ENCODING_LINKEDLIST: u8 = 4;
pub(crate) const OBJ_ENCODING_ZIPLIST: u8 = 5;
pub(crate) const OBJ_ENCODING_INTSET: u8 = 6;
pub(crate) const OBJ_ENCODING_SKIPLIST: u8 = 7;
pub(crate) const OBJ_ENCODING_EMBSTR: u8 = 8;
pub(crate) const OBJ_ENCODING_QUICKLIST: u8 = 9;
pub(crate) const OBJ_ENCODING_STREAM: u8 = 10;

pub(crate) const OBJ_SHARED_INTEGERS: i64 = 10000;
pub(crate) const OBJ_ENCODING_EMBSTR_SIZE_LIMIT: usize = 44;

/// What a value holds. The data types of t_list.c … t_zset.c add their
/// variants here.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    /// OBJ_STRING with encoding RAW or EMBSTR (short ones inline, sds.rs).
    Str(crate::sds::Sds),
    /// OBJ_STRING with encoding INT.
    Int(i64),
    /// OBJ_LIST (quicklist in 5.0). The types live in their t_*.rs file.
    List(Box<crate::t_list::List>),
    /// OBJ_HASH (ziplist or hashtable). Hashes, sets and sorted sets are
    /// 16 bytes (a boxed buffer, or a box holding the big form), so they
    /// sit in the robj itself: a small one costs one allocation, as its
    /// ziplist or intset does in C.
    Hash(crate::t_hash::Hash),
    /// OBJ_SET (intset or hashtable).
    Set(crate::t_set::Set),
    /// OBJ_ZSET (ziplist or skiplist + dict).
    ZSet(crate::t_zset::ZSet),
    /// OBJ_STREAM (a radix tree of listpacks, t_stream.rs).
    Stream(Box<crate::t_stream::Stream>),
}

/// C: struct redisObject (`robj`). `lru` is the 24-bit LRU clock (or LFU
/// data), `encoding` one of OBJ_ENCODING_*.
#[derive(Debug, Clone)]
pub(crate) struct RObj {
    pub(crate) lru: u32,
    pub(crate) encoding: u8,
    pub(crate) ptr: Value,
}

impl RObj {
    /// C: the `type` field of robj.
    pub(crate) fn obj_type(&self) -> u8 {
        match self.ptr {
            Value::Str(_) | Value::Int(_) => OBJ_STRING,
            Value::List(_) => OBJ_LIST,
            Value::Hash(_) => OBJ_HASH,
            Value::Set(_) => OBJ_SET,
            Value::ZSet(_) => OBJ_ZSET,
            Value::Stream(_) => OBJ_STREAM,
        }
    }

    /// The string value's bytes, rendering INT-encoded values as C's
    /// getDecodedObject would. `None` for other types.
    pub(crate) fn string_bytes(&self) -> Option<std::borrow::Cow<'_, [u8]>> {
        match &self.ptr {
            Value::Str(s) => Some(std::borrow::Cow::Borrowed(s)),
            Value::Int(i) => Some(std::borrow::Cow::Owned(ll2string(*i))),
            _ => None,
        }
    }

    /// Length of a string value. C: object.c stringObjectLen()
    pub(crate) fn string_len(&self) -> usize {
        match &self.ptr {
            Value::Str(s) => s.len(),
            Value::Int(i) => digits10(*i),
            _ => 0,
        }
    }
}

// ---------------------------------- object.c ----------------------------------

/// The `lru` field createObject() gives a new object: with an LFU policy
/// the current time in minutes and the initial counter LFU_INIT_VAL,
/// otherwise the LRU clock. The constructors below take it as an argument,
/// their callers pass this. (no C twin: the `lru` lines of createObject())
#[inline]
pub(crate) fn new_object_lru(server: &RedisServer) -> u32 {
    // Divergence from C: a value 0..9999 C takes from `shared.integers`
    // (see `object_refcount`) carries the shared object's `lru`, set at
    // start-up and touched by every key holding it; ours has its own, so
    // OBJECT FREQ/IDLETIME of such a key differ (5.0.14 shows FREQ 0 for
    // `SET n 5` under allkeys-lfu with maxmemory 0, we show 5).
    if server.maxmemory_policy & MAXMEMORY_FLAG_LFU != 0 {
        ((lfu_get_time_in_minutes(server) << 8) as u32)
            | crate::evict::LFU_INIT_VAL
    } else {
        crate::evict::lru_clock(server)
    }
}

/// C: object.c createObject()
pub(crate) fn create_object(lru: u32, encoding: u8, ptr: Value) -> RObj {
    RObj { lru, encoding, ptr }
}

/// Create a string object with EMBSTR encoding if it is smaller than
/// OBJ_ENCODING_EMBSTR_SIZE_LIMIT, otherwise RAW.
///
/// Divergence from C: where the bytes live is the Sds's business (inline
/// up to SDS_INLINE_LEN, see sds.rs); `encoding` keeps C's label, so OBJECT
/// ENCODING answers as Redis does.
///
/// C: object.c createStringObject()
pub(crate) fn create_string_object(lru: u32, s: Vec<u8>) -> RObj {
    let encoding = if s.len() <= OBJ_ENCODING_EMBSTR_SIZE_LIMIT {
        OBJ_ENCODING_EMBSTR
    } else {
        OBJ_ENCODING_RAW
    };
    RObj { lru, encoding, ptr: Value::Str(s.into()) }
}

/// C: object.c createRawStringObject()
pub(crate) fn create_raw_string_object(lru: u32, s: Vec<u8>) -> RObj {
    RObj { lru, encoding: OBJ_ENCODING_RAW, ptr: Value::Str(s.into()) }
}

/// C: object.c createStringObjectFromLongLong()
pub(crate) fn create_string_object_from_long_long(lru: u32, v: i64) -> RObj {
    RObj { lru, encoding: OBJ_ENCODING_INT, ptr: Value::Int(v) }
}

/// An empty set encoded as a hash table.
///
/// C: object.c createSetObject()
pub(crate) fn create_set_object(lru: u32) -> RObj {
    create_object(lru, OBJ_ENCODING_HT, Value::Set(crate::t_set::Set::new_ht()))
}

/// An empty set encoded as an intset.
///
/// C: object.c createIntsetObject()
pub(crate) fn create_intset_object(lru: u32) -> RObj {
    create_object(
        lru,
        OBJ_ENCODING_INTSET,
        Value::Set(crate::t_set::Set::new_intset()),
    )
}

/// An empty hash, encoded as a ziplist (see t_hash.rs for what stands in
/// for the ziplist).
///
/// C: object.c createHashObject()
pub(crate) fn create_hash_object(lru: u32) -> RObj {
    create_object(lru, OBJ_ENCODING_ZIPLIST, Value::Hash(Default::default()))
}

/// Try to encode a string object in order to save space: an integer that
/// fits in a long (and whose text is canonical) becomes INT, a short
/// string EMBSTR. C: object.c tryObjectEncoding()
pub(crate) fn try_object_encoding(lru: u32, s: Vec<u8>) -> RObj {
    let len = s.len();
    if len <= 20 {
        if let Some(v) = string2l(&s) {
            return RObj {
                lru,
                encoding: OBJ_ENCODING_INT,
                ptr: Value::Int(v),
            };
        }
    }
    create_string_object(lru, s)
}

/// C: object.c strEncoding()
pub(crate) fn str_encoding(encoding: u8) -> &'static str {
    match encoding {
        OBJ_ENCODING_RAW => "raw",
        OBJ_ENCODING_INT => "int",
        OBJ_ENCODING_HT => "hashtable",
        OBJ_ENCODING_QUICKLIST => "quicklist",
        OBJ_ENCODING_ZIPLIST => "ziplist",
        OBJ_ENCODING_INTSET => "intset",
        OBJ_ENCODING_SKIPLIST => "skiplist",
        OBJ_ENCODING_EMBSTR => "embstr",
        OBJ_ENCODING_ZIPMAP => "zipmap",
        OBJ_ENCODING_LINKEDLIST => "linkedlist",
        // No OBJ_ENCODING_STREAM case: 5.0.14's strEncoding() has none, so
        // OBJECT ENCODING of a stream says "unknown" (6.0 added "stream").
        _ => "unknown",
    }
}

/// Reads a long long from an argument, replying the standard error (or
/// `msg`) when it is not one. C: object.c getLongLongFromObjectOrReply()
pub(crate) fn get_long_long_from_object_or_reply(
    c: &mut Client,
    o: &[u8],
    msg: Option<&str>,
) -> Option<i64> {
    match string2ll(o) {
        Some(v) => Some(v),
        None => {
            add_reply_error(
                c,
                msg.unwrap_or("value is not an integer or out of range"),
            );
            None
        }
    }
}

/// C: object.c getLongFromObjectOrReply()
pub(crate) fn get_long_from_object_or_reply(
    c: &mut Client,
    o: &[u8],
    msg: Option<&str>,
) -> Option<i64> {
    get_long_long_from_object_or_reply(c, o, msg)
}

/// Reads a string value as a long double: the whole string must be a
/// number strtold() takes (so not empty, no leading space, no trailing
/// byte, not even a NUL), neither NaN nor out of range. Callers pass an
/// INT-encoded value as its decimal text, which reads back exactly, as
/// C's `(long)o->ptr` cast does.
///
/// C: object.c getLongDoubleFromObject()
pub(crate) fn get_long_double_from_object(o: &[u8]) -> Option<LongDouble> {
    if o.is_empty() || is_c_space(o[0]) {
        return None;
    }
    let r = strtold(o);
    if r.consumed != o.len()
        || (r.erange && (r.value.is_infinite() || r.value.is_zero()))
        || r.value.is_nan()
    {
        return None;
    }
    Some(r.value)
}

/// C: object.c getLongDoubleFromObjectOrReply()
pub(crate) fn get_long_double_from_object_or_reply(
    c: &mut Client,
    o: &[u8],
    msg: Option<&str>,
) -> Option<LongDouble> {
    match get_long_double_from_object(o) {
        Some(v) => Some(v),
        None => {
            add_reply_error(c, msg.unwrap_or("value is not a valid float"));
            None
        }
    }
}

/// Parses a double the way C's strtod-based getDoubleFromObject does: the
/// whole argument must be consumed (so no trailing space or NUL), no
/// leading space, no NaN, and a value out of the double range (ERANGE to
/// zero or infinity) is an error. Hex floats and "inf" are accepted.
///
/// C: object.c getDoubleFromObject()
pub(crate) fn get_double_from_object(o: &[u8]) -> Option<f64> {
    if o.is_empty() || is_c_space(o[0]) {
        return None;
    }
    let r = strtod(o);
    if r.consumed != o.len()
        || (r.erange && (r.value.is_infinite() || r.value == 0.0))
        || r.value.is_nan()
    {
        return None;
    }
    Some(r.value)
}

/// C: object.c getDoubleFromObjectOrReply()
pub(crate) fn get_double_from_object_or_reply(
    c: &mut Client,
    o: &[u8],
    msg: Option<&str>,
) -> Option<f64> {
    match get_double_from_object(o) {
        Some(v) => Some(v),
        None => {
            add_reply_error(c, msg.unwrap_or("value is not a valid float"));
            None
        }
    }
}

/// What `strtod` found: the value, how many bytes it consumed (C's `eptr -
/// nptr`; 0 when there is no number) and whether C would set errno to
/// ERANGE (overflow to infinity, or underflow to zero or a subnormal).
/// (no C twin)
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Strtod {
    pub(crate) value: f64,
    pub(crate) consumed: usize,
    pub(crate) erange: bool,
}

/// C's isspace() in the "C" locale. (no C twin)
pub(crate) fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// libc strtod() in the "C" locale, over bytes: leading spaces, a sign,
/// then "inf"/"infinity", "nan" (with an optional "(...)"), a hex float
/// ("0x1.8p3") or a decimal one; it stops at the first byte that does not
/// fit, so callers compare `consumed` with the length as C compares eptr.
/// Decimal values are correctly rounded (Rust's parser, like glibc's).
/// (no C twin: C calls libc)
pub(crate) fn strtod(s: &[u8]) -> Strtod {
    let none = Strtod { value: 0.0, consumed: 0, erange: false };
    let mut p = 0;
    while p < s.len() && is_c_space(s[p]) {
        p += 1;
    }
    let neg = s.get(p) == Some(&b'-');
    if matches!(s.get(p), Some(b'-') | Some(b'+')) {
        p += 1;
    }
    let sign = if neg { -1.0 } else { 1.0 };
    let rest = &s[p..];
    let starts = |w: &[u8]| {
        rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w)
    };
    if starts(b"infinity") {
        return Strtod {
            value: sign * f64::INFINITY,
            consumed: p + 8,
            erange: false,
        };
    }
    if starts(b"inf") {
        return Strtod {
            value: sign * f64::INFINITY,
            consumed: p + 3,
            erange: false,
        };
    }
    if starts(b"nan") {
        let mut q = p + 3;
        let mut value = f64::NAN;
        // "nan(n-char-sequence)" is consumed whole when the ')' is there.
        if s.get(q) == Some(&b'(') {
            let mut r = q + 1;
            while r < s.len() && (s[r].is_ascii_alphanumeric() || s[r] == b'_')
            {
                r += 1;
            }
            if s.get(r) == Some(&b')') {
                // glibc (__strtod_nan): a sequence that reads whole as a
                // number (strtoull, base 0) is the NaN's payload, the
                // mantissa bits below the quiet bit.
                let seq = &s[q + 1..r];
                let m = crate::util::strtoull(seq, 0);
                if m.consumed == seq.len() {
                    let payload = m.value & ((1 << 51) - 1);
                    value = f64::from_bits(f64::NAN.to_bits() | payload);
                }
                q = r + 1;
            }
        }
        // "-nan" is the NaN with the sign bit set, as glibc returns it.
        let value = if neg { -value } else { value };
        return Strtod { value, consumed: q, erange: false };
    }
    if starts(b"0x") {
        let mut q = p + 2;
        let mut mant: u64 = 0;
        let mut exp: i64 = 0;
        let mut digits = 0;
        let mut nonzero = false;
        let mut seen_dot = false;
        while q < s.len() {
            let d = match s[q] {
                b'.' if !seen_dot => {
                    seen_dot = true;
                    q += 1;
                    continue;
                }
                c if c.is_ascii_hexdigit() => {
                    (c as char).to_digit(16).unwrap_or(0) as u64
                }
                _ => break,
            };
            digits += 1;
            nonzero |= d != 0;
            if mant >> 60 == 0 {
                mant = mant << 4 | d;
                if seen_dot {
                    exp -= 4;
                }
            } else {
                // Beyond 64 bits: keep a sticky bit for the rounding.
                mant |= u64::from(d != 0);
                if !seen_dot {
                    exp += 4;
                }
            }
            q += 1;
        }
        if digits == 0 {
            // Just the "0" of "0x" is a number.
            return Strtod {
                value: sign * 0.0,
                consumed: p + 1,
                erange: false,
            };
        }
        if matches!(s.get(q), Some(b'p') | Some(b'P')) {
            let mut r = q + 1;
            let eneg = s.get(r) == Some(&b'-');
            if matches!(s.get(r), Some(b'-') | Some(b'+')) {
                r += 1;
            }
            if s.get(r).is_some_and(u8::is_ascii_digit) {
                let mut e: i64 = 0;
                while r < s.len() && s[r].is_ascii_digit() {
                    // Saturated well past any exponent the digits can
                    // make up for (4 bits a digit).
                    e = (e * 10 + (s[r] - b'0') as i64).min(1 << 50);
                    r += 1;
                }
                exp += if eneg { -e } else { e };
                q = r;
            }
        }
        let v = hex_to_f64(mant, exp);
        let erange = v.is_infinite()
            || (nonzero && (v == 0.0 || v.abs() < f64::MIN_POSITIVE));
        return Strtod { value: sign * v, consumed: q, erange };
    }
    // Decimal: digits, an optional '.', digits (at least one digit in
    // all), then an exponent only if it has digits.
    let mut q = p;
    let mut digits = 0;
    let mut nonzero = false;
    while q < s.len() && s[q].is_ascii_digit() {
        nonzero |= s[q] != b'0';
        digits += 1;
        q += 1;
    }
    if s.get(q) == Some(&b'.') {
        q += 1;
        while q < s.len() && s[q].is_ascii_digit() {
            nonzero |= s[q] != b'0';
            digits += 1;
            q += 1;
        }
    }
    if digits == 0 {
        return none;
    }
    if matches!(s.get(q), Some(b'e') | Some(b'E')) {
        let mut r = q + 1;
        if matches!(s.get(r), Some(b'-') | Some(b'+')) {
            r += 1;
        }
        if s.get(r).is_some_and(u8::is_ascii_digit) {
            while r < s.len() && s[r].is_ascii_digit() {
                r += 1;
            }
            q = r;
        }
    }
    // The text is ASCII digits, '.', 'e' and signs: valid UTF-8 that
    // Rust's parser accepts.
    let text = std::str::from_utf8(&s[p..q]).unwrap_or("0");
    let v: f64 = text.parse().unwrap_or(0.0);
    let erange = v.is_infinite()
        || (nonzero && (v == 0.0 || v.abs() < f64::MIN_POSITIVE));
    Strtod { value: sign * v, consumed: q, erange }
}

/// `mant * 2^exp` (the lowest bit of `mant` may be a sticky bit standing
/// for nonzero digits past its 64 bits) rounded once to the nearest
/// double, ties to even, subnormals included, as glibc rounds a hex
/// float; infinity past the range. (no C twin: glibc's strtod)
fn hex_to_f64(mant: u64, exp: i64) -> f64 {
    if mant == 0 {
        return 0.0;
    }
    let lz = mant.leading_zeros() as i64;
    let m = mant << lz; // the top bit set
    let e = exp + 63 - lz; // the value is 1.xxx * 2^e
    if e > 1023 {
        return f64::INFINITY;
    }
    // How many significant bits the double has at this exponent: 53 for
    // a normal number, fewer for a subnormal one.
    let keep = if e >= -1022 { 53 } else { e + 1075 };
    if keep <= 0 {
        // Below the smallest subnormal: at keep == 0 the top bit is its
        // half, so more than half rounds up to it; exactly half is a tie
        // that rounds to the even 0.
        return if keep == 0 && m > 1 << 63 { f64::from_bits(1) } else { 0.0 };
    }
    let shift = 64 - keep; // 11..=63
    let mut q = m >> shift;
    let rem = m & ((1u64 << shift) - 1);
    let half = 1u64 << (shift - 1);
    if rem > half || (rem == half && q & 1 == 1) {
        q += 1;
    }
    if keep < 53 {
        // A subnormal (q < 2^52), or the smallest normal if the rounding
        // carried into 2^52: either way these are the bits.
        return f64::from_bits(q);
    }
    let (q, e) = if q == 1 << 53 { (q >> 1, e + 1) } else { (q, e) };
    if e > 1023 {
        return f64::INFINITY;
    }
    f64::from_bits(((e + 1023) as u64) << 52 | (q & ((1 << 52) - 1)))
}

// ------------------------------- util.c helpers -------------------------------

/// Convert a string into a long long. Returns `None` on overflow, on a
/// leading '+', leading zeros, spaces, or an empty string: only the
/// canonical form is accepted, as in C. C: util.c string2ll()
pub(crate) fn string2ll(s: &[u8]) -> Option<i64> {
    let slen = s.len();
    if slen == 0 || slen > 20 {
        return None;
    }
    // Special case: first and only digit is 0.
    if slen == 1 && s[0] == b'0' {
        return Some(0);
    }
    let mut p = 0;
    let negative = s[0] == b'-';
    if negative {
        p += 1;
        if p == slen {
            return None;
        }
    }
    // First digit should be 1-9, otherwise the string should just be 0.
    if !(b'1'..=b'9').contains(&s[p]) {
        return None;
    }
    let mut v: u64 = (s[p] - b'0') as u64;
    p += 1;
    while p < slen {
        let d = s[p];
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((d - b'0') as u64)?;
        p += 1;
    }
    if negative {
        if v > (i64::MAX as u64) + 1 {
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else {
        if v > i64::MAX as u64 {
            return None;
        }
        Some(v as i64)
    }
}

/// C: util.c string2l()
pub(crate) fn string2l(s: &[u8]) -> Option<i64> {
    string2ll(s)
}

/// C: util.c digits10() for signed values (sdigits10)
pub(crate) fn digits10(v: i64) -> usize {
    let mut n = if v < 0 { 2 } else { 1 };
    let mut u = v.unsigned_abs();
    while u >= 10 {
        u /= 10;
        n += 1;
    }
    n
}

/// Converts a long long into a string, written at the end of `buf` (20
/// bytes hold i64::MIN); returns the digits. No allocation: the reply path
/// formats every length prefix through here.
///
/// C: util.c ll2string()
pub(crate) fn ll2string_buf(buf: &mut [u8; 20], v: i64) -> &[u8] {
    let mut u = v.unsigned_abs();
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    if v < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

/// `ll2string_buf` into a new Vec, for callers that keep the string.
pub(crate) fn ll2string(v: i64) -> Vec<u8> {
    ll2string_buf(&mut [0; 20], v).to_vec()
}

/// Formats a double as C's "%.17g" does. (no C twin; C calls snprintf)
pub(crate) fn fmt_g17(v: f64) -> String {
    fmt_g(v, 17)
}

/// C's `%.<prec>g` for finite and infinite doubles. (no C twin)
pub(crate) fn fmt_g(v: f64, prec: usize) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    let p = prec.max(1);
    let sci = format!("{:.*e}", p - 1, v);
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= p as i32 {
        let mant = strip_zeros(mant);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{}{:02}", mant, sign, exp.abs())
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        strip_zeros(&format!("{:.*}", decimals, v)).to_string()
    }
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

// ---------------------- object.c: the OBJECT command -----------------------
//
// With the evict.c helpers it reads (idle time, LFU counter): see evict.rs.

/// The refcount C gives objects that are never freed (the shared ones).
///
/// C: server.h OBJ_SHARED_REFCOUNT
pub(crate) const OBJ_SHARED_REFCOUNT: i32 = i32::MAX;

/// What C's `o->refcount` would be for a value of the keyspace. Here the
/// keyspace owns its values alone, so that is 1, except for the integers
/// 0..9999 that C takes from `shared.integers` (OBJ_SHARED_REFCOUNT), which
/// it does unless maxmemory is set with an LRU or LFU policy (those need a
/// per-key LRU field). (no C twin)
pub(crate) fn object_refcount(server: &RedisServer, o: &RObj) -> i64 {
    // Divergence from C: C decides whether to share an integer when the
    // value is created; we decide when asked, from the current maxmemory
    // settings. The two differ only if they changed in between.
    let shared_ok = server.maxmemory == 0
        || server.maxmemory_policy & MAXMEMORY_FLAG_NO_SHARED_INTEGERS == 0;
    match o.ptr {
        Value::Int(v) if shared_ok && (0..OBJ_SHARED_INTEGERS).contains(&v) => {
            OBJ_SHARED_REFCOUNT as i64
        }
        _ => 1,
    }
}

// ----------------------- object.c: memory introspection -----------------------

/// C: object.c OBJ_COMPUTE_SIZE_DEF_SAMPLES
pub(crate) const OBJ_COMPUTE_SIZE_DEF_SAMPLES: usize = 5;

/// The heap bytes of a dict: its bucket tables, and the entries of the
/// first `sample_size` elements (each with what `ele` says it holds on
/// the heap) averaged over all of them. (no C twin: objectComputeSize()
/// repeats this loop for sets and hashes)
fn dict_compute_size<K: AsRef<[u8]>, V>(
    d: &crate::dict::Dict<K, V>,
    sample_size: usize,
    ele: impl Fn(&K, &V) -> usize,
) -> usize {
    use crate::util::zmalloc_size_class as class;
    let entry = class(std::mem::size_of::<crate::dict::DictEntry<K, V>>(), 8);
    let mut asize = d.dict_slots() * std::mem::size_of::<usize>();
    let (mut elesize, mut samples) = (0usize, 0usize);
    for de in d.iter().take(sample_size) {
        elesize += entry + ele(de.key(), de.val());
        samples += 1;
    }
    if samples > 0 {
        asize +=
            (elesize as f64 / samples as f64 * d.dict_size() as f64) as usize;
    }
    asize
}

/// Returns the size in bytes consumed by the key's value in RAM. Note that
/// the returned value is just an approximation, especially in the case of
/// aggregated data types where only `sample_size` elements are checked and
/// averaged to estimate the total size. Divergence from C: the sizes are
/// those of our own encodings (sds.rs, t_list.rs, …), in jemalloc size
/// classes, so the figure is what the value really holds here.
///
/// C: object.c objectComputeSize()
pub(crate) fn object_compute_size(o: &RObj, sample_size: usize) -> usize {
    use crate::t_hash::Hash;
    use crate::t_set::Set;
    use crate::t_zset::ZSet;
    use crate::util::zmalloc_size_class as class;
    use std::mem::size_of;
    let blob = |n: usize| if n == 0 { 0 } else { class(n, 1) };
    let robj = size_of::<RObj>();
    match &o.ptr {
        Value::Int(_) => robj,
        Value::Str(s) => robj + s.alloc_size(),
        Value::List(l) => robj + l.mem_usage(sample_size),
        Value::Set(Set::Intset(is)) => robj + blob(is.intset_blob_len()),
        Value::Set(Set::Ht(d)) => {
            robj + class(size_of::<crate::t_set::SetDict>(), 8)
                + dict_compute_size(d, sample_size, |k, _| k.alloc_size())
        }
        Value::Hash(Hash::Ziplist(pl)) => robj + blob(pl.blob_len()),
        Value::Hash(Hash::Ht(d)) => {
            robj + class(size_of::<crate::t_hash::HashDict>(), 8)
                + dict_compute_size(d, sample_size, |k, v| {
                    k.alloc_size() + v.alloc_size()
                })
        }
        Value::ZSet(ZSet::Ziplist(z)) => robj + blob(z.blob_len()),
        Value::ZSet(ZSet::Skiplist(z)) => robj + z.mem_usage(sample_size),
        Value::Stream(s) => {
            robj + crate::t_stream::stream_compute_size(s, sample_size)
        }
    }
}

/// C: server.h struct redisMemOverhead (the per-db part)
#[derive(Debug, Default, Clone)]
pub(crate) struct DbOverhead {
    pub(crate) dbid: usize,
    pub(crate) overhead_ht_main: usize,
    pub(crate) overhead_ht_expires: usize,
}

/// What the server spends beyond the dataset, and the ratios INFO memory
/// and MEMORY STATS print. (C's freeMemoryOverheadData() is `Drop`.)
///
/// C: server.h struct redisMemOverhead
#[derive(Debug, Default, Clone)]
pub(crate) struct RedisMemOverhead {
    pub(crate) peak_allocated: usize,
    pub(crate) total_allocated: usize,
    pub(crate) startup_allocated: usize,
    pub(crate) repl_backlog: usize,
    pub(crate) clients_slaves: usize,
    pub(crate) clients_normal: usize,
    pub(crate) aof_buffer: usize,
    pub(crate) lua_caches: usize,
    pub(crate) overhead_total: usize,
    pub(crate) dataset: usize,
    pub(crate) total_keys: usize,
    pub(crate) bytes_per_key: usize,
    pub(crate) dataset_perc: f32,
    pub(crate) peak_perc: f32,
    pub(crate) total_frag: f32,
    pub(crate) total_frag_bytes: i64,
    pub(crate) allocator_frag: f32,
    pub(crate) allocator_frag_bytes: i64,
    pub(crate) allocator_rss: f32,
    pub(crate) allocator_rss_bytes: i64,
    pub(crate) rss_extra: f32,
    pub(crate) rss_extra_bytes: i64,
    pub(crate) db: Vec<DbOverhead>,
}

/// Return a RedisMemOverhead filled with memory overhead information used
/// for the MEMORY STATS and INFO commands.
///
/// C: object.c getMemoryOverheadData()
pub(crate) fn get_memory_overhead_data(
    server: &RedisServer,
) -> RedisMemOverhead {
    use crate::networking as net;
    use crate::server::{CLIENT_MONITOR, CLIENT_SLAVE};
    use crate::util::zmalloc_size_class as class;
    use std::mem::size_of;
    let zmalloc_used = crate::util::zmalloc_used_memory();
    let ms = &server.cron_malloc_stats;
    let ratio = |a: usize, b: usize| a as f32 / b as f32;
    let diff = |a: usize, b: usize| a as i64 - b as i64;
    let mut mh = RedisMemOverhead {
        total_allocated: zmalloc_used,
        startup_allocated: server.initial_memory_usage,
        peak_allocated: server.stat_peak_memory,
        total_frag: ratio(ms.process_rss, ms.zmalloc_used),
        total_frag_bytes: diff(ms.process_rss, ms.zmalloc_used),
        allocator_frag: ratio(ms.allocator_active, ms.allocator_allocated),
        allocator_frag_bytes: diff(ms.allocator_active, ms.allocator_allocated),
        allocator_rss: ratio(ms.allocator_resident, ms.allocator_active),
        allocator_rss_bytes: diff(ms.allocator_resident, ms.allocator_active),
        rss_extra: ratio(ms.process_rss, ms.allocator_resident),
        rss_extra_bytes: diff(ms.process_rss, ms.allocator_resident),
        ..Default::default()
    };

    let mut mem_total = server.initial_memory_usage;

    mh.repl_backlog = server
        .repl_backlog
        .as_ref()
        .map(|b| if b.capacity() == 0 { 0 } else { class(b.capacity(), 1) })
        .unwrap_or(0);
    mem_total += mh.repl_backlog;

    // Divergence from C: sizeof(client) includes C's inline 16 KiB reply
    // buffer; ours is boxed apart, so add it.
    let client_size =
        size_of::<Client>() + crate::server::PROTO_REPLY_CHUNK_BYTES;
    let client_mem = |c: &Client| {
        net::get_client_output_buffer_memory_usage(c) as usize
            + c.querybuf.capacity()
            + client_size
    };
    for id in &server.slaves {
        if let Some(c) = server.clients.get(id) {
            mh.clients_slaves += client_mem(c);
        }
    }
    mem_total += mh.clients_slaves;

    for c in server.clients.values() {
        if c.flags & CLIENT_SLAVE != 0 && c.flags & CLIENT_MONITOR == 0 {
            continue;
        }
        mh.clients_normal += client_mem(c);
    }
    mem_total += mh.clients_normal;

    if server.aof_state != crate::config::AOF_OFF {
        mh.aof_buffer += server.aof_buf.capacity();
        mh.aof_buffer += crate::aof::aof_rewrite_buffer_size(server);
    }
    mem_total += mh.aof_buffer;

    // Divergence from C: the scripts are in a HashMap; a dictEntry and a
    // bucket pointer per entry and slot, as C counts its dict.
    mh.lua_caches = server.lua_scripts_mem
        + server.lua_scripts.len() * 3 * size_of::<usize>()
        + server.lua_scripts.capacity() * size_of::<usize>();
    mem_total += mh.lua_caches;

    // Divergence from C: the key and the robj sit inside the dict entry,
    // so C's `+ keys * sizeof(robj)` is part of the entry's size here.
    let entry =
        class(size_of::<crate::dict::DictEntry<crate::db::Key, RObj>>(), 8);
    let expire_entry =
        class(size_of::<crate::dict::DictEntry<crate::db::Key, i64>>(), 8);
    let ptr = size_of::<usize>();
    for (j, db) in server.db.iter().enumerate() {
        let keyscount = db.dict.dict_size();
        if keyscount == 0 {
            continue;
        }
        mh.total_keys += keyscount;
        let main = keyscount * entry + db.dict.dict_slots() * ptr;
        let expires = db.expires.dict_size() * expire_entry
            + db.expires.dict_slots() * ptr;
        mem_total += main + expires;
        mh.db.push(DbOverhead {
            dbid: j,
            overhead_ht_main: main,
            overhead_ht_expires: expires,
        });
    }

    mh.overhead_total = mem_total;
    mh.dataset = zmalloc_used.wrapping_sub(mem_total);
    mh.peak_perc = zmalloc_used as f32 * 100.0 / mh.peak_allocated as f32;

    // Metrics computed after subtracting the startup memory from the total
    // memory.
    let mut net_usage = 1;
    if zmalloc_used > mh.startup_allocated {
        net_usage = zmalloc_used - mh.startup_allocated;
    }
    mh.dataset_perc = mh.dataset as f32 * 100.0 / net_usage as f32;
    mh.bytes_per_key = net_usage.checked_div(mh.total_keys).unwrap_or(0);
    mh
}

/// This implements MEMORY DOCTOR. A human readable analysis of the Redis
/// memory condition.
///
/// C: object.c getMemoryDoctorReport()
pub(crate) fn get_memory_doctor_report(server: &RedisServer) -> String {
    let mut empty = false; // Instance is empty or almost empty.
    let mut big_peak = false; // Memory peak is much larger than used mem.
    let mut high_frag = false; // High fragmentation.
    let mut high_alloc_frag = false; // High allocator fragmentation.
    let mut high_proc_rss = false; // High process rss overhead.
    let mut high_alloc_rss = false; // High rss overhead.
    let mut big_slave_buf = false; // Slave buffers are too big.
    let mut big_client_buf = false; // Client buffers are too big.
    let mut many_scripts = false; // Script cache has too many scripts.
    let mut num_reports = 0;
    let mh = get_memory_overhead_data(server);

    if mh.total_allocated < 1024 * 1024 * 5 {
        empty = true;
        num_reports += 1;
    } else {
        // Peak is > 150% of current used memory?
        if mh.peak_allocated as f32 / mh.total_allocated as f32 > 1.5 {
            big_peak = true;
            num_reports += 1;
        }
        // Fragmentation is higher than 1.4 and 10MB?
        if mh.total_frag > 1.4 && mh.total_frag_bytes > 10 << 20 {
            high_frag = true;
            num_reports += 1;
        }
        // External fragmentation is higher than 1.1 and 10MB?
        if mh.allocator_frag > 1.1 && mh.allocator_frag_bytes > 10 << 20 {
            high_alloc_frag = true;
            num_reports += 1;
        }
        // Allocator rss is higher than 1.1 and 10MB?
        if mh.allocator_rss > 1.1 && mh.allocator_rss_bytes > 10 << 20 {
            high_alloc_rss = true;
            num_reports += 1;
        }
        // Non-Allocator rss is higher than 1.1 and 10MB?
        if mh.rss_extra > 1.1 && mh.rss_extra_bytes > 10 << 20 {
            high_proc_rss = true;
            num_reports += 1;
        }
        // Clients using more than 200k each average?
        let numslaves = server.slaves.len();
        let numclients =
            crate::networking::num_clients(server).saturating_sub(numslaves);
        // Divergence from C: C divides by numclients unguarded; with only
        // replicas connected it would divide by zero.
        if numclients > 0 && mh.clients_normal / numclients > 1024 * 200 {
            big_client_buf = true;
            num_reports += 1;
        }
        // Slaves using more than 10 MB each?
        if numslaves > 0 && mh.clients_slaves / numslaves > 1024 * 1024 * 10 {
            big_slave_buf = true;
            num_reports += 1;
        }
        // Too many scripts are cached?
        if server.lua_scripts.len() > 1000 {
            many_scripts = true;
            num_reports += 1;
        }
    }

    if num_reports == 0 {
        return "Hi Sam, I can't find any memory issue in your instance. \
                I can only account for what occurs on this base.\n"
            .to_string();
    }
    if empty {
        return "Hi Sam, this instance is empty or is using very little memory, \
                my issues detector can't be used in these conditions. \
                Please, leave for your mission on Earth and fill it with some data. \
                The new Sam and I will be back to our programming as soon as I \
                finished rebooting.\n"
            .to_string();
    }
    let mut s = String::from(
        "Sam, I detected a few issues in this Redis instance memory implants:\n\n",
    );
    if big_peak {
        s.push_str(" * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n");
    }
    if high_frag {
        s.push_str(&format!(" * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"{}\".\n\n", ZMALLOC_LIB));
    }
    if high_alloc_frag {
        s.push_str(" * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.\n\n");
    }
    if high_alloc_rss {
        s.push_str(" * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n");
    }
    if high_proc_rss {
        s.push_str(" * High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the allocator holds). This problem may be due to Lua scripts or Modules.\n\n");
    }
    if big_slave_buf {
        s.push_str(" * Big replica buffers: The replica output buffers in this instance are greater than 10MB for each replica (on average). This likely means that there is some replica instance that is struggling receiving data, either because it is too slow or because of networking issues. As a result, data piles on the master output buffers. Please try to identify what replica is not receiving data correctly and why. You can use the INFO output in order to check the replicas delays and the CLIENT LIST command to check the output buffers of each replica.\n\n");
    }
    if big_client_buf {
        s.push_str(" * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n");
    }
    if many_scripts {
        s.push_str(" * Many scripts: There seem to be many cached scripts in this instance (more than 1000). This may be because scripts are generated and `EVAL`ed, instead of being parameterized (with KEYS and ARGV), `SCRIPT LOAD`ed and `EVALSHA`ed. Unless `SCRIPT FLUSH` is called periodically, the scripts' caches may end up consuming most of your memory.\n\n");
    }
    s.push_str("I'm here to keep you safe, Sam. I want to help you.\n");
    s
}

/// The allocator INFO and MEMORY DOCTOR name. Divergence from C: 5.0.14
/// bundles jemalloc 5.1.0; we link the jemalloc of tikv-jemallocator.
///
/// C: zmalloc.h ZMALLOC_LIB
pub(crate) const ZMALLOC_LIB: &str = "jemalloc-5.3.0";

/// Set the object LRU/LFU depending on server.maxmemory_policy. The
/// lfu_freq arg is only relevant if policy is MAXMEMORY_FLAG_LFU. The
/// lru_idle (seconds) and lru_clock args are only relevant if policy is
/// MAXMEMORY_FLAG_LRU. Either or both of them may be <0, in that case,
/// nothing is set. Used by the RDB loader.
///
/// C: object.c objectSetLRUOrLFU()
pub(crate) fn object_set_lru_or_lfu(
    server: &RedisServer,
    val: &mut RObj,
    lfu_freq: i64,
    lru_idle: i64,
    lru_clock: i64,
) {
    if server.maxmemory_policy & MAXMEMORY_FLAG_LFU != 0 {
        if lfu_freq >= 0 {
            // C asserts lfu_freq <= 255: it is read from one byte.
            val.lru = ((lfu_get_time_in_minutes(server) << 8) as u32)
                | (lfu_freq.min(255) as u32);
        }
    } else if lru_idle >= 0 {
        // Provided LRU idle time is in seconds. Scale according to the LRU
        // clock resolution this Redis instance was compiled with (normally
        // 1000 ms, so the below statement will expand to
        // lru_idle*1000/1000.
        let lru_idle = lru_idle.saturating_mul(1000) / LRU_CLOCK_RESOLUTION;
        let mut lru_abs = lru_clock - lru_idle; // Absolute access time.
                                                // If the LRU field underflows (since LRU it is a wrapping clock),
                                                // the best we can do is to provide a large enough LRU that is
                                                // half-way in the circlular LRU clock we use: this way the
                                                // computed idle time for this object will stay high for quite some
                                                // time.
        if lru_abs < 0 {
            lru_abs =
                (lru_clock + (LRU_CLOCK_MAX / 2) as i64) % LRU_CLOCK_MAX as i64;
        }
        val.lru = lru_abs as u32;
    }
}

/// The value of `key` in the client's DB, without the side effects of a
/// lookup: no lazy expire, no access time update, no hit/miss stats.
///
/// C: object.c objectCommandLookup()
pub(crate) fn object_command_lookup<'a>(
    server: &'a RedisServer,
    c: &Client,
    key: &[u8],
) -> Option<&'a RObj> {
    server.db[c.db].dict.find(key).map(|de| de.val())
}

/// C: object.c objectCommandLookupOrReply()
pub(crate) fn object_command_lookup_or_reply<'a>(
    server: &'a RedisServer,
    c: &mut Client,
    key: &[u8],
    reply: &[u8],
) -> Option<&'a RObj> {
    let o = object_command_lookup(server, c, key);
    if o.is_none() {
        add_reply(c, reply);
    }
    o
}

/// Object command allows to inspect the internals of an Redis Object.
/// Usage: OBJECT <refcount|encoding|idletime|freq> <key>
///
/// C: object.c objectCommand()
pub(crate) fn object_command(server: &mut RedisServer, c: &mut Client) {
    let argc = c.argv.len();
    let sub = |name: &[u8]| c.argv[1].eq_ignore_ascii_case(name);

    if argc == 2 && sub(b"help") {
        let help = [
"ENCODING <key> -- Return the kind of internal representation used in order to store the value associated with a key.",
"FREQ <key> -- Return the access frequency index of the key. The returned integer is proportional to the logarithm of the recent access frequency of the key.",
"IDLETIME <key> -- Return the idle time of the key, that is the approximated number of seconds elapsed since the last access to the key.",
"REFCOUNT <key> -- Return the number of references of the value associated with the specified key.",
        ];
        let name = String::from_utf8_lossy(&c.argv[0]).into_owned();
        add_reply_help(c, &name, &help);
    } else if sub(b"refcount") && argc == 3 {
        let key = std::mem::take(&mut c.argv[2]);
        if let Some(o) =
            object_command_lookup_or_reply(server, c, &key, NULLBULK)
        {
            let refcount = object_refcount(server, o);
            add_reply_long_long(c, refcount);
        }
        c.argv[2] = key;
    } else if sub(b"encoding") && argc == 3 {
        let key = std::mem::take(&mut c.argv[2]);
        if let Some(o) =
            object_command_lookup_or_reply(server, c, &key, NULLBULK)
        {
            add_reply_bulk_c_string(c, Some(str_encoding(o.encoding)));
        }
        c.argv[2] = key;
    } else if sub(b"idletime") && argc == 3 {
        let key = std::mem::take(&mut c.argv[2]);
        if let Some(o) =
            object_command_lookup_or_reply(server, c, &key, NULLBULK)
        {
            if server.maxmemory_policy & MAXMEMORY_FLAG_LFU != 0 {
                add_reply_error(c, "An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
            } else {
                add_reply_long_long(
                    c,
                    (estimate_object_idle_time(server, o) / 1000) as i64,
                );
            }
        }
        c.argv[2] = key;
    } else if sub(b"freq") && argc == 3 {
        let key = std::mem::take(&mut c.argv[2]);
        if let Some(o) =
            object_command_lookup_or_reply(server, c, &key, NULLBULK)
        {
            if server.maxmemory_policy & MAXMEMORY_FLAG_LFU == 0 {
                add_reply_error(c, "An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
            } else {
                // LFUDecrAndReturn should be called in case of the key has
                // not been accessed for a long time, because we update the
                // access time only when the key is read or overwritten.
                add_reply_long_long(c, lfu_decr_and_return(server, o) as i64);
            }
        }
        c.argv[2] = key;
    } else {
        add_reply_subcommand_syntax_error(c);
    }
}

/// The memory command will eventually be a complete interface for the
/// memory introspection capabilities of Redis.
///
/// Usage: MEMORY usage <key>
///
/// C: object.c memoryCommand()
pub(crate) fn memory_command(server: &mut RedisServer, c: &mut Client) {
    use crate::networking::{
        add_reply_bulk_sds, add_reply_double, add_reply_multi_bulk_len,
    };
    let argc = c.argv.len();
    let sub = |name: &[u8]| c.argv[1].eq_ignore_ascii_case(name);

    if sub(b"help") && argc == 2 {
        let help = [
"DOCTOR - Return memory problems reports.",
"MALLOC-STATS -- Return internal statistics report from the memory allocator.",
"PURGE -- Attempt to purge dirty pages for reclamation by the allocator.",
"STATS -- Return information about the memory usage of the server.",
"USAGE <key> [SAMPLES <count>] -- Return memory in bytes used by <key> and its value. Nested values are sampled up to <count> times (default: 5).",
        ];
        let name = String::from_utf8_lossy(&c.argv[0]).into_owned();
        add_reply_help(c, &name, &help);
    } else if sub(b"usage") && argc >= 3 {
        let mut samples = OBJ_COMPUTE_SIZE_DEF_SAMPLES as i64;
        let mut j = 3;
        while j < argc {
            if c.argv[j].eq_ignore_ascii_case(b"samples") && j + 1 < argc {
                let arg = c.argv[j + 1].clone();
                let Some(v) = get_long_long_from_object_or_reply(c, &arg, None)
                else {
                    return;
                };
                if v < 0 {
                    add_reply(c, crate::shared::SYNTAXERR);
                    return;
                }
                samples = if v == 0 { i64::MAX } else { v };
                j += 1; // skip option argument.
            } else {
                add_reply(c, crate::shared::SYNTAXERR);
                return;
            }
            j += 1;
        }
        let Some(de) = server.db[c.db].dict.find(&c.argv[2]) else {
            add_reply(c, NULLBULK);
            return;
        };
        // Divergence from C: the key and the robj live inside the dict
        // entry, so the entry's size stands for C's sizeof(dictEntry) +
        // sizeof(robj) + the key's sds header.
        let entry = crate::util::zmalloc_size_class(
            std::mem::size_of::<crate::dict::DictEntry<crate::db::Key, RObj>>(),
            8,
        );
        let usage = object_compute_size(de.val(), samples as usize)
            - std::mem::size_of::<RObj>()
            + de.key().alloc_size()
            + entry;
        add_reply_long_long(c, usage as i64);
    } else if sub(b"stats") && argc == 2 {
        let mh = get_memory_overhead_data(server);
        let ms = server.cron_malloc_stats;
        add_reply_multi_bulk_len(c, (25 + mh.db.len() as i64) * 2);
        let num = |c: &mut Client, name: &str, v: i64| {
            add_reply_bulk_c_string(c, Some(name));
            add_reply_long_long(c, v);
        };
        num(c, "peak.allocated", mh.peak_allocated as i64);
        num(c, "total.allocated", mh.total_allocated as i64);
        num(c, "startup.allocated", mh.startup_allocated as i64);
        num(c, "replication.backlog", mh.repl_backlog as i64);
        num(c, "clients.slaves", mh.clients_slaves as i64);
        num(c, "clients.normal", mh.clients_normal as i64);
        num(c, "aof.buffer", mh.aof_buffer as i64);
        num(c, "lua.caches", mh.lua_caches as i64);
        for db in &mh.db {
            add_reply_bulk_c_string(c, Some(&format!("db.{}", db.dbid)));
            add_reply_multi_bulk_len(c, 4);
            num(c, "overhead.hashtable.main", db.overhead_ht_main as i64);
            num(c, "overhead.hashtable.expires", db.overhead_ht_expires as i64);
        }
        num(c, "overhead.total", mh.overhead_total as i64);
        num(c, "keys.count", mh.total_keys as i64);
        num(c, "keys.bytes-per-key", mh.bytes_per_key as i64);
        num(c, "dataset.bytes", mh.dataset as i64);
        let dbl = |c: &mut Client, name: &str, v: f32| {
            add_reply_bulk_c_string(c, Some(name));
            add_reply_double(c, v as f64);
        };
        dbl(c, "dataset.percentage", mh.dataset_perc);
        dbl(c, "peak.percentage", mh.peak_perc);
        num(c, "allocator.allocated", ms.allocator_allocated as i64);
        num(c, "allocator.active", ms.allocator_active as i64);
        num(c, "allocator.resident", ms.allocator_resident as i64);
        dbl(c, "allocator-fragmentation.ratio", mh.allocator_frag);
        num(c, "allocator-fragmentation.bytes", mh.allocator_frag_bytes);
        dbl(c, "allocator-rss.ratio", mh.allocator_rss);
        num(c, "allocator-rss.bytes", mh.allocator_rss_bytes);
        dbl(c, "rss-overhead.ratio", mh.rss_extra);
        num(c, "rss-overhead.bytes", mh.rss_extra_bytes);
        // This is the total RSS overhead, including fragmentation; it is
        // kept here for backwards compatibility.
        dbl(c, "fragmentation", mh.total_frag);
        num(c, "fragmentation.bytes", mh.total_frag_bytes);
    } else if sub(b"malloc-stats") && argc == 2 {
        add_reply_bulk_sds(c, crate::util::zmalloc_stats_print());
    } else if sub(b"doctor") && argc == 2 {
        let report = get_memory_doctor_report(server);
        add_reply_bulk_sds(c, report.into_bytes());
    } else if sub(b"purge") && argc == 2 {
        if crate::util::jemalloc_purge() {
            add_reply(c, crate::shared::OK);
        } else {
            add_reply_error(c, "Error purging dirty pages");
        }
    } else {
        let sub = String::from_utf8_lossy(&c.argv[1]).into_owned();
        add_reply_error(
            c,
            &format!(
                "Unknown subcommand or wrong number of arguments for '{}'. Try MEMORY HELP",
                sub
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string2ll_accepts_only_canonical_integers() {
        assert_eq!(string2ll(b"0"), Some(0));
        assert_eq!(string2ll(b"-1"), Some(-1));
        assert_eq!(string2ll(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(string2ll(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(string2ll(b"9223372036854775808"), None);
        assert_eq!(string2ll(b"01"), None);
        assert_eq!(string2ll(b"+1"), None);
        assert_eq!(string2ll(b" 1"), None);
        assert_eq!(string2ll(b"-"), None);
        assert_eq!(string2ll(b""), None);
        assert_eq!(string2ll(b"-0"), None);
    }

    #[test]
    fn fmt_g17_matches_printf() {
        assert_eq!(fmt_g17(1.5), "1.5");
        assert_eq!(fmt_g17(10.0), "10");
        assert_eq!(fmt_g17(0.1), "0.10000000000000001");
        assert_eq!(fmt_g17(1e20), "1e+20");
        assert_eq!(fmt_g17(1.0e-5), "1.0000000000000001e-05");
        assert_eq!(fmt_g17(f64::INFINITY), "inf");
        assert_eq!(fmt_g(3.0, 17), "3");
    }

    /// A small deterministic generator for the comparisons with libc.
    fn lcg(state: &mut u64) -> u64 {
        *state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *state >> 11
    }

    /// glibc's strtod() of `s`: the value's bits and the bytes consumed.
    fn libc_strtod(s: &[u8]) -> (u64, usize) {
        let c = std::ffi::CString::new(s).unwrap();
        let mut end = std::ptr::null_mut();
        // SAFETY: `c` is NUL-terminated and outlives the call.
        let v = unsafe { libc::strtod(c.as_ptr(), &mut end) };
        (v.to_bits(), end as usize - c.as_ptr() as usize)
    }

    #[test]
    fn strtod_matches_glibc_bit_for_bit() {
        let mut cases: Vec<Vec<u8>> = [
            "nan",
            "-nan",
            "+nan",
            "NaN(123)",
            "-nan(0x1f)",
            "nan(012)",
            "nan(abc)",
            "nan()",
            "nan(",
            "nan(1",
            "nan(99999999999999999999)",
            "inf",
            "-Infinity",
            "infinit",
            "0x",
            "-0x",
            "0x.p1",
            "0x1p",
            "0x1.8p1",
            "0X1P-1074",
            "0x1p-1075",
            "0x1.0000000000001p-1075",
            "0x3p-1076",
            "0x1.fffffffffffff8p-1023",
            "0x1.fffffffffffffp1023",
            "0x1.fffffffffffff8p1023",
            "0x1p1024",
            "0x123456789abcdef123p0",
            "0x10000000000000080000000000000000001p-20",
            "0x.00001p-1050",
            "1e5000",
            "1e-5000",
            "4.9406564584124654e-324",
            "2.5e-324",
            "2.4703282292062328e-324",
            "1.",
            "-.5",
            "1e",
            "1e+",
            "0e99999",
        ]
        .iter()
        .map(|c| c.as_bytes().to_vec())
        .collect();
        // Long inputs whose digits and exponent make up for each other.
        for (digits, exp) in [(b"1", "e-100000"), (b"f", "p-400000")] {
            let mut s = if digits == b"f" { b"0x".to_vec() } else { vec![] };
            s.extend(std::iter::repeat_n(digits[0], 100000));
            s.extend_from_slice(exp.as_bytes());
            cases.push(s);
        }
        let mut s = b"0.".to_vec();
        s.extend(std::iter::repeat_n(b'0', 100000));
        s.extend_from_slice(b"1e100001");
        cases.push(s);
        let mut s = b"0.".to_vec();
        s.extend(std::iter::repeat_n(b'0', 70000));
        s.extend_from_slice(b"25e-70000");
        cases.push(s);
        let mut st = 42u64;
        let hex = b"0123456789abcdef";
        for _ in 0..20000 {
            let mut s = Vec::new();
            if lcg(&mut st).is_multiple_of(2) {
                s.extend_from_slice(b"-");
            }
            let hexadecimal = lcg(&mut st).is_multiple_of(2);
            let digits = if hexadecimal { &hex[..] } else { &hex[..10] };
            if hexadecimal {
                s.extend_from_slice(b"0x");
            }
            for _ in 0..1 + lcg(&mut st) % 24 {
                s.push(digits[(lcg(&mut st) % digits.len() as u64) as usize]);
            }
            if lcg(&mut st).is_multiple_of(2) {
                s.push(b'.');
                for _ in 0..lcg(&mut st) % 24 {
                    let d = (lcg(&mut st) % digits.len() as u64) as usize;
                    s.push(digits[d]);
                }
            }
            let e = (lcg(&mut st) % 2300) as i64 - 1150;
            if hexadecimal {
                s.extend_from_slice(format!("p{e}").as_bytes());
            } else {
                s.extend_from_slice(format!("e{}", e / 3).as_bytes());
            }
            cases.push(s);
        }
        for s in cases {
            let r = strtod(&s);
            assert_eq!(
                (r.value.to_bits(), r.consumed),
                libc_strtod(&s),
                "{}",
                String::from_utf8_lossy(&s)
            );
        }
    }

    #[test]
    fn fmt_g_matches_printf_at_every_precision() {
        let mut st = 7u64;
        let mut values = vec![0.5, 1.5, 2.5, 0.25, 0.125, 1e15, 123456.5, 5e-5];
        for _ in 0..20000 {
            let v = f64::from_bits(lcg(&mut st) << 11 | lcg(&mut st) & 0x7ff);
            if v.is_finite() {
                values.push(v);
            }
            // And some short decimals, where ties happen.
            let d = (lcg(&mut st) % 100000) as f64 / 8.0;
            values.push(d);
        }
        for v in values {
            for prec in 1..=17 {
                let mut buf = [0 as libc::c_char; 64];
                // SAFETY: the format takes an int and a double, and
                // snprintf writes at most buf.len() bytes, NUL included.
                let n = unsafe {
                    libc::snprintf(
                        buf.as_mut_ptr(),
                        buf.len(),
                        c"%.*g".as_ptr(),
                        prec as libc::c_int,
                        v,
                    )
                };
                // SAFETY: snprintf NUL-terminated the buffer.
                let want = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
                assert_eq!(n as usize, want.to_bytes().len());
                assert_eq!(
                    fmt_g(v, prec),
                    want.to_str().unwrap(),
                    "{v:e} {prec}"
                );
            }
        }
    }

    #[test]
    fn try_object_encoding_picks_int_embstr_raw() {
        assert_eq!(
            try_object_encoding(0, b"123".to_vec()).encoding,
            OBJ_ENCODING_INT
        );
        assert_eq!(
            try_object_encoding(0, b"0123".to_vec()).encoding,
            OBJ_ENCODING_EMBSTR
        );
        assert_eq!(
            try_object_encoding(0, vec![b'a'; 45]).encoding,
            OBJ_ENCODING_RAW
        );
    }
}
