//! The zipmap: a string to string map packed into one byte buffer, the
//! small hash encoding of Redis 2.4 and earlier. Redis 2.6 replaced it by
//! the ziplist, but every later Redis still loads RDB_TYPE_HASH_ZIPMAP
//! values from old files, converting them on the way in; oxredis does the
//! same, so this module is mostly a validating reader.
//!
//! Ports zipmap.c from Redis 5.0.14, in the same order.
//! `zipmapValidateIntegrity()` and `zipmapGetEncodedLengthSize()` came in
//! Redis 6.2 and are ported from Redis 7.0.15, placed where 7.0 has them.
//!
//! Before reading: a C pointer into the zipmap is a `usize` offset here,
//! and a zipmap under construction is a `Vec<u8>` holding exactly C's
//! bytes. The walking functions assume a zipmap built here or one that
//! passed `zipmap_validate_integrity(zm, true)`; only that function and
//! `zipmap_pairs` take untrusted bytes.
//!
//! Memory layout of a zipmap, for the map "foo" => "bar", "hello" =>
//! "world":
//!
//! ```text
//! <zmlen><len>"foo"<len><free>"bar"<len>"hello"<len><free>"world"<end>
//! ```
//!
//! `<zmlen>` is one byte holding the number of pairs; from 254 on it is
//! not used and the zipmap must be walked to count them. `<len>` is the
//! length of the following string (key or value): one byte from 0 to 253,
//! or 254 followed by a 4 byte unsigned integer (host byte order in C,
//! little endian in every file that matters). 255 marks the end. `<free>`
//! is the number of unused bytes after a value, left when a value was
//! overwritten by a shorter one so that it can grow again in place; it
//! is one byte because an update leaving more than a few free bytes
//! shrinks the zipmap instead. The most compact form of the map above is
//! `"\x02\x03foo\x03\x00bar\x05hello\x05\x00world\xff"`.
//!
//! Keys and values being length-prefixed, a lookup is O(N) in the number
//! of pairs, not in the number of bytes.

use std::collections::HashSet;

const ZIPMAP_BIGLEN: u8 = 254;
pub const ZIPMAP_END: u8 = 255;

/// The max value for the `<free>` field described above, that is, the max
/// number of trailing bytes in a value.
const ZIPMAP_VALUE_MAX_FREE: u32 = 4;

/// The number of bytes needed to encode the length `l`: 1 byte for
/// lengths < ZIPMAP_BIGLEN and 5 bytes for all the other lengths.
///
/// C: zipmap.c ZIPMAP_LEN_BYTES
fn zipmap_len_bytes(l: u32) -> u32 {
    if l < ZIPMAP_BIGLEN as u32 {
        1
    } else {
        4 + 1
    }
}

/// Create a new empty zipmap.
///
/// C: zipmap.c zipmapNew()
pub fn zipmap_new() -> Vec<u8> {
    vec![0, ZIPMAP_END] // Length, end.
}

/// Decode the encoded length at `p`. `zm` must hold all its bytes.
///
/// C: zipmap.c zipmapDecodeLength()
fn zipmap_decode_length(zm: &[u8], p: usize) -> u32 {
    let len = zm[p];
    if len < ZIPMAP_BIGLEN {
        return len as u32;
    }
    u32::from_le_bytes([zm[p + 1], zm[p + 2], zm[p + 3], zm[p + 4]])
}

/// The number of bytes the length encoded at `p` takes, from its first
/// byte alone.
///
/// C: zipmap.c zipmapGetEncodedLengthSize() (Redis 7.0)
fn zipmap_get_encoded_length_size(b: u8) -> u32 {
    if b < ZIPMAP_BIGLEN {
        1
    } else {
        5
    }
}

/// Encode the length `len` into `p` when given; returns the number of
/// bytes the encoding takes.
///
/// C: zipmap.c zipmapEncodeLength()
fn zipmap_encode_length(p: Option<&mut [u8]>, len: u32) -> u32 {
    match p {
        None => zipmap_len_bytes(len),
        Some(p) => {
            if len < ZIPMAP_BIGLEN as u32 {
                p[0] = len as u8;
                1
            } else {
                p[0] = ZIPMAP_BIGLEN;
                p[1..5].copy_from_slice(&len.to_le_bytes());
                1 + 4
            }
        }
    }
}

/// Search for `key` (when given), returning the offset of its entry.
/// Also returns the total size of the zipmap, so that a caller that did
/// not find the key can grow it to make room for one more entry (C only
/// computes it when asked through `totlen`, and then walks to the end even
/// after a match).
///
/// C: zipmap.c zipmapLookupRaw()
fn zipmap_lookup_raw(zm: &[u8], key: Option<&[u8]>) -> (Option<usize>, usize) {
    let mut p = 1;
    let mut k = None;

    while zm[p] != ZIPMAP_END {
        // Match or skip the key.
        let l = zipmap_decode_length(zm, p);
        let llen = zipmap_encode_length(None, l) as usize;
        if let Some(key) = key {
            if k.is_none()
                && l as usize == key.len()
                && &zm[p + llen..p + llen + l as usize] == key
            {
                k = Some(p);
            }
        }
        p += llen + l as usize;
        // Skip the value as well.
        let l = zipmap_decode_length(zm, p);
        p += zipmap_encode_length(None, l) as usize;
        let free = zm[p] as usize;
        p += l as usize + 1 + free; // +1 to skip the free byte
    }
    (k, p + 1)
}

/// The bytes an entry with a key of `klen` and a value of `vlen` bytes
/// needs: both lengths, the free byte, both strings.
///
/// C: zipmap.c zipmapRequiredLength()
fn zipmap_required_length(klen: u32, vlen: u32) -> u32 {
    let mut l = klen + vlen + 3;
    if klen >= ZIPMAP_BIGLEN as u32 {
        l += 4;
    }
    if vlen >= ZIPMAP_BIGLEN as u32 {
        l += 4;
    }
    l
}

/// Return the total amount used by a key (encoded length + payload).
///
/// C: zipmap.c zipmapRawKeyLength()
fn zipmap_raw_key_length(zm: &[u8], p: usize) -> u32 {
    let l = zipmap_decode_length(zm, p);
    zipmap_encode_length(None, l) + l
}

/// Return the total amount used by a value (encoded length + single byte
/// free count + payload + free space).
///
/// C: zipmap.c zipmapRawValueLength()
fn zipmap_raw_value_length(zm: &[u8], p: usize) -> u32 {
    let l = zipmap_decode_length(zm, p);
    let used = zipmap_encode_length(None, l);
    used + zm[p + used as usize] as u32 + 1 + l
}

/// If `p` is the offset of a key, the total bytes of its entry (key +
/// value + trailing free space).
///
/// C: zipmap.c zipmapRawEntryLength()
fn zipmap_raw_entry_length(zm: &[u8], p: usize) -> u32 {
    let l = zipmap_raw_key_length(zm, p);
    l + zipmap_raw_value_length(zm, p + l as usize)
}

/// Resize the zipmap to `len` bytes, writing the end byte.
///
/// C: zipmap.c zipmapResize()
fn zipmap_resize(zm: &mut Vec<u8>, len: usize) {
    zm.resize(len, 0);
    zm[len - 1] = ZIPMAP_END;
}

/// Set `key` to `val`, creating the key if it does not already exist.
/// Returns true if the key was already there (C's `*update`).
///
/// C: zipmap.c zipmapSet()
pub fn zipmap_set(zm: &mut Vec<u8>, key: &[u8], val: &[u8]) -> bool {
    let (klen, vlen) = (key.len() as u32, val.len() as u32);
    let reqlen = zipmap_required_length(klen, vlen) as usize;
    let mut freelen = reqlen;
    let mut update = false;

    let (found, mut zmlen) = zipmap_lookup_raw(zm, Some(key));
    let mut p = match found {
        None => {
            // Key not found: enlarge.
            zipmap_resize(zm, zmlen + reqlen);
            let p = zmlen - 1;
            zmlen += reqlen;

            // Increase zipmap length (this is an insert).
            if zm[0] < ZIPMAP_BIGLEN {
                zm[0] += 1;
            }
            p
        }
        Some(p) => {
            // Key found. Is there enough space for the new value?
            update = true;
            freelen = zipmap_raw_entry_length(zm, p) as usize;
            if freelen < reqlen {
                // Move the tail backwards so this pair fits at the current
                // position. The +1 in the bytes moved is the end byte;
                // the *original* zmlen is used.
                let offset = p;
                zipmap_resize(zm, zmlen - freelen + reqlen);
                let n = zmlen - (offset + freelen + 1);
                zm.copy_within(p + freelen..p + freelen + n, p + reqlen);
                zmlen = zmlen - freelen + reqlen;
                freelen = reqlen;
            }
            p
        }
    };

    // We now have a suitable block where the key/value entry can be
    // written. If there is too much free space, move the tail of the
    // zipmap a few bytes to the front and shrink the zipmap, as we want
    // zipmaps to be very space efficient.
    let empty = (freelen - reqlen) as u32;
    let vempty = if empty >= ZIPMAP_VALUE_MAX_FREE {
        // First, move the tail <empty> bytes to the front, then resize the
        // zipmap to be <empty> bytes smaller.
        let offset = p;
        let n = zmlen - (offset + freelen + 1);
        zm.copy_within(p + freelen..p + freelen + n, p + reqlen);
        zmlen -= empty as usize;
        zipmap_resize(zm, zmlen);
        0
    } else {
        empty
    };

    // Just write the key + value and we are done.
    // Key:
    p += zipmap_encode_length(Some(&mut zm[p..]), klen) as usize;
    zm[p..p + key.len()].copy_from_slice(key);
    p += key.len();
    // Value:
    p += zipmap_encode_length(Some(&mut zm[p..]), vlen) as usize;
    zm[p] = vempty as u8;
    p += 1;
    zm[p..p + val.len()].copy_from_slice(val);
    update
}

/// Remove `key`. Returns whether it was found and deleted (C's
/// `*deleted`).
///
/// C: zipmap.c zipmapDel()
pub fn zipmap_del(zm: &mut Vec<u8>, key: &[u8]) -> bool {
    let (found, zmlen) = zipmap_lookup_raw(zm, Some(key));
    let Some(p) = found else { return false };
    let freelen = zipmap_raw_entry_length(zm, p) as usize;
    let n = zmlen - (p + freelen + 1);
    zm.copy_within(p + freelen..p + freelen + n, p);
    zipmap_resize(zm, zmlen - freelen);

    // Decrease zipmap length.
    if zm[0] < ZIPMAP_BIGLEN {
        zm[0] -= 1;
    }
    true
}

/// Where iteration with zipmap_next() starts.
///
/// C: zipmap.c zipmapRewind()
pub(crate) fn zipmap_rewind(_zm: &[u8]) -> usize {
    1
}

/// Read the entry at `p` (from zipmap_rewind() or the previous call):
/// returns the offset of the next entry with this entry's key and value,
/// or `None` at the end.
///
/// C: zipmap.c zipmapNext()
pub(crate) fn zipmap_next(
    zm: &[u8],
    p: usize,
) -> Option<(usize, &[u8], &[u8])> {
    if zm[p] == ZIPMAP_END {
        return None;
    }
    let klen = zipmap_decode_length(zm, p) as usize;
    let k = p + zipmap_len_bytes(klen as u32) as usize;
    let key = &zm[k..k + klen];
    let p = p + zipmap_raw_key_length(zm, p) as usize;
    let vlen = zipmap_decode_length(zm, p) as usize;
    // Skip the length and the free byte.
    let v = p + 1 + zipmap_len_bytes(vlen as u32) as usize;
    let value = &zm[v..v + vlen];
    let p = p + zipmap_raw_value_length(zm, p) as usize;
    Some((p, key, value))
}

/// The value of `key`, if the zipmap has it.
///
/// C: zipmap.c zipmapGet()
pub fn zipmap_get<'a>(zm: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let p = zipmap_lookup_raw(zm, Some(key)).0?;
    let p = p + zipmap_raw_key_length(zm, p) as usize;
    let vlen = zipmap_decode_length(zm, p) as usize;
    let v = p + zipmap_len_bytes(vlen as u32) as usize + 1;
    Some(&zm[v..v + vlen])
}

/// Whether the zipmap has `key`.
///
/// C: zipmap.c zipmapExists()
#[cfg(test)] // only the unit tests call it
pub(crate) fn zipmap_exists(zm: &[u8], key: &[u8]) -> bool {
    zipmap_lookup_raw(zm, Some(key)).0.is_some()
}

/// Return the number of entries inside a zipmap, walking it when the
/// count byte is saturated.
///
/// Divergence from C: C stores a walked count back when it fits; this
/// takes `&[u8]` and leaves the blob as it is.
///
/// C: zipmap.c zipmapLen()
pub fn zipmap_len(zm: &[u8]) -> u32 {
    if zm[0] < ZIPMAP_BIGLEN {
        return zm[0] as u32;
    }
    let mut len = 0;
    let mut p = zipmap_rewind(zm);
    while let Some((next, _, _)) = zipmap_next(zm, p) {
        p = next;
        len += 1;
    }
    len
}

/// The size in bytes of the zipmap, found by walking to its end byte:
/// what must be written to serialize it.
///
/// C: zipmap.c zipmapBlobLen()
pub fn zipmap_blob_len(zm: &[u8]) -> usize {
    zipmap_lookup_raw(zm, None).1
}

/// Validate the integrity of a zipmap read from outside (an RDB file)
/// whose slice is exactly the blob. With `deep` false only the end byte
/// is checked; with `deep` true every length is checked against the
/// buffer while walking, the zipmap must not be empty and the count byte
/// must match (unless saturated at 254).
///
/// Divergence from C: C returns 0 or 1; this returns the reason, naming
/// the offset inside the blob. C's `p += l+e` may overflow a pointer on a
/// huge length; here the sums are checked.
///
/// C: zipmap.c zipmapValidateIntegrity() (Redis 7.0; new in 6.2)
pub fn zipmap_validate_integrity(zm: &[u8], deep: bool) -> Result<(), String> {
    let size = zm.len();
    // Check that we can actually read the header (or ZIPMAP_END).
    if size < 2 {
        return Err(format!(
            "zipmap of {size} bytes is shorter than its header"
        ));
    }
    let out_of_range = |q: usize| q < 2 || q > size - 1;

    // The last byte must be the terminator.
    if zm[size - 1] != ZIPMAP_END {
        return Err(format!(
            "zipmap does not end with 0xff (offset {})",
            size - 1
        ));
    }

    if !deep {
        return Ok(());
    }

    // Divergence from C: 7.0 sizes a length by its first byte (5 bytes
    // from 254 on) but zipmapNext() and the other walkers by its value
    // (5 bytes from a value of 254 on), so a 5 byte length holding a value
    // below 254 passes the check and then misleads the walk (found by
    // tests/rdb_fuzz.rs). Redis never writes one (zipmapEncodeLength()),
    // so such a zipmap is refused.
    let noncanonical = |at: usize, n: u32| {
        format!("zipmap entry {n} at offset {at} has a non-canonical length")
    };

    let mut count: u32 = 0;
    let mut p = 1; // Skip the count.
    while zm[p] != ZIPMAP_END {
        let (entry, n) = (p, count);
        let lie = || {
            format!("zipmap entry {n} at offset {entry} reaches past the end")
        };

        // Read the field name length encoding type, and make sure the
        // entry length doesn't reach outside the edge of the zipmap.
        let s = zipmap_get_encoded_length_size(zm[p]) as usize;
        if out_of_range(p + s) {
            return Err(lie());
        }

        // Read the field name length, skip it and the field.
        let l = zipmap_decode_length(zm, p) as usize;
        if s as u32 != zipmap_len_bytes(l as u32) {
            return Err(noncanonical(entry, n));
        }
        p = p.saturating_add(s).saturating_add(l);

        // Make sure the entry doesn't reach outside the edge of the zipmap.
        if out_of_range(p) {
            return Err(lie());
        }

        // Read the value length encoding type, and make sure the entry
        // length doesn't reach outside the edge of the zipmap.
        let s = zipmap_get_encoded_length_size(zm[p]) as usize;
        if out_of_range(p + s) {
            return Err(lie());
        }

        // Read the value length, skip it, the free byte (always encoded
        // in one byte), the value and the free space.
        let l = zipmap_decode_length(zm, p) as usize;
        if s as u32 != zipmap_len_bytes(l as u32) {
            return Err(noncanonical(entry, n));
        }
        p += s;
        let e = zm[p] as usize;
        p += 1;
        p = p.saturating_add(l).saturating_add(e);
        count += 1;

        // Make sure the entry doesn't reach outside the edge of the zipmap.
        if out_of_range(p) {
            return Err(lie());
        }
    }

    // Check that the zipmap is not empty.
    if count == 0 {
        return Err("zipmap is empty".to_string());
    }

    // Check that the count in the header is correct.
    if zm[0] != ZIPMAP_BIGLEN && zm[0] as u32 != count {
        return Err(format!(
            "zipmap header counts {} pairs, it has {count}",
            zm[0]
        ));
    }

    Ok(())
}

// ------------------------------ for rdb.rs (no C twin) -----------------------------

/// A key and its value, borrowed from a zipmap (no C twin).
pub(crate) type ZipmapPair<'a> = (&'a [u8], &'a [u8]);

/// The pairs of an untrusted zipmap, in order, after the deep validation
/// of `zipmap_validate_integrity`, refusing a key that appears twice as
/// Redis 7.0's loader does for RDB_TYPE_HASH_ZIPMAP ("Hash zipmap with
/// dup elements"). No C twin: C's loader walks with zipmapNext() and
/// checks duplicates in rdb.c.
pub fn zipmap_pairs(zm: &[u8]) -> Result<Vec<ZipmapPair<'_>>, String> {
    zipmap_validate_integrity(zm, true)?;
    // Each pair takes at least four bytes.
    let mut out = Vec::with_capacity((zm[0] as usize).min(zm.len() / 4));
    let mut seen: HashSet<&[u8]> = HashSet::new();
    let mut p = zipmap_rewind(zm);
    while let Some((next, key, value)) = zipmap_next(zm, p) {
        if !seen.insert(key) {
            return Err(format!(
                "zipmap repeats the field {:?}",
                String::from_utf8_lossy(key)
            ));
        }
        out.push((key, value));
        p = next;
    }
    Ok(out)
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

    /// The example of the C file's header comment.
    #[test]
    fn zipmap_set_matches_the_c_comment_example() {
        let mut zm = zipmap_new();
        assert!(!zipmap_set(&mut zm, b"foo", b"bar"));
        assert!(!zipmap_set(&mut zm, b"hello", b"world"));
        assert_eq!(zm, b"\x02\x03foo\x03\x00bar\x05hello\x05\x00world\xff");
        assert_eq!(zipmap_blob_len(&zm), zm.len());
    }

    /// The steps of C's zipmapTest(), compared with the bytes 5.0.14's
    /// zipmap.c produces for them (compiled alone, on x86-64): free bytes
    /// left by shorter values, growth in place, delete, a 5 byte length.
    #[test]
    fn zipmap_set_and_del_match_c() {
        let mut zm = zipmap_new();
        zipmap_set(&mut zm, b"name", b"foo");
        zipmap_set(&mut zm, b"surname", b"foo");
        zipmap_set(&mut zm, b"age", b"foo");
        zipmap_set(&mut zm, b"hello", b"world!");
        zipmap_set(&mut zm, b"foo", b"bar");
        assert!(zipmap_set(&mut zm, b"foo", b"!"));
        assert_eq!(
            zm,
            unhex(
                "05046e616d650300666f6f077375726e616d650300666f6f036167650300666f6f0568656c6c6f\
                 0600776f726c642103666f6f0102216172ff"
            )
        );
        zipmap_set(&mut zm, b"foo", b"12345");
        zipmap_set(&mut zm, b"new", b"xx");
        zipmap_set(&mut zm, b"noval", b"");
        assert!(zipmap_del(&mut zm, b"new"));
        assert!(!zipmap_del(&mut zm, b"new"));
        assert_eq!(
            zm,
            unhex(
                "06046e616d650300666f6f077375726e616d650300666f6f036167650300666f6f0568656c6c6f\
                 0600776f726c642103666f6f05003132333435056e6f76616c0000ff"
            )
        );
        let long = vec![b'a'; 300];
        zipmap_set(&mut zm, &long, b"long");
        zipmap_set(&mut zm, b"age", b"a");
        let gold = unhex(&format!(
            "07046e616d650300666f6f077375726e616d650300666f6f036167650102616f6f0568656c6c6f\
             0600776f726c642103666f6f05003132333435056e6f76616c0000fe2c010000{}04006c6f6e67ff",
            "61".repeat(300)
        ));
        assert_eq!(zm, gold);
        assert_eq!(zipmap_get(&zm, &long), Some(&b"long"[..]));
        assert_eq!(zipmap_get(&zm, b"age"), Some(&b"a"[..]));
        assert_eq!(zipmap_get(&zm, b"nope"), None);
        assert!(zipmap_exists(&zm, b"noval"));
        assert_eq!(zipmap_len(&zm), 7);
        let pairs = zipmap_pairs(&gold).expect("valid");
        assert_eq!(pairs.len(), 7);
        assert_eq!(pairs[2], (&b"age"[..], &b"a"[..]));
        assert_eq!(pairs[5], (&b"noval"[..], &b""[..]));
        assert_eq!(pairs[6].0.len(), 300);
    }

    #[test]
    fn zipmap_len_walks_when_saturated() {
        let mut zm = zipmap_new();
        for i in 0..300u32 {
            zipmap_set(&mut zm, &i.to_le_bytes(), b"v");
        }
        assert_eq!(zm[0], ZIPMAP_BIGLEN);
        assert_eq!(zipmap_len(&zm), 300);
        assert_eq!(zipmap_pairs(&zm).expect("valid").len(), 300);
    }

    #[test]
    fn zipmap_validate_integrity_rejects_lies() {
        let good = b"\x02\x03foo\x03\x00bar\x05hello\x05\x00world\xff".to_vec();
        assert!(zipmap_validate_integrity(&good, true).is_ok());
        // Empty zipmaps are refused, as in 7.0.
        assert!(zipmap_validate_integrity(&zipmap_new(), true).is_err());
        assert!(zipmap_validate_integrity(&zipmap_new(), false).is_ok());
        // Wrong count, missing end byte, too short.
        let mut zm = good.clone();
        zm[0] = 3;
        assert!(zipmap_validate_integrity(&zm, true).is_err());
        assert!(
            zipmap_validate_integrity(&good[..good.len() - 1], false).is_err()
        );
        assert!(zipmap_validate_integrity(&good[..1], false).is_err());
        // Key, value and free lengths that reach past the end.
        for (at, v) in
            [(1, 40u8), (5, 40), (6, 40), (10, 200), (16, 200), (17, 200)]
        {
            let mut zm = good.clone();
            zm[at] = v;
            assert!(
                zipmap_validate_integrity(&zm, true).is_err(),
                "byte {at} = {v}"
            );
        }
        // A 5 byte length of 4 GB.
        let zm = b"\x01\xfe\xff\xff\xff\xff\x00\xff".to_vec();
        assert!(zipmap_pairs(&zm).is_err());
        // Duplicated keys.
        let dup = b"\x02\x01a\x01\x00x\x01a\x01\x00y\xff".to_vec();
        assert!(zipmap_validate_integrity(&dup, true).is_ok());
        assert!(zipmap_pairs(&dup).is_err());
    }

    #[test]
    fn zipmap_every_truncation_is_rejected() {
        let mut good = zipmap_new();
        zipmap_set(&mut good, b"k", &[b'v'; 300]);
        zipmap_set(&mut good, &[b'k'; 260], b"v");
        zipmap_set(&mut good, b"k2", b"value");
        zipmap_set(&mut good, b"k2", b"v"); // leaves free bytes
        for cut in 0..good.len() {
            assert!(zipmap_pairs(&good[..cut]).is_err(), "cut at {cut}");
            if cut > 1 && cut < good.len() - 1 {
                let mut zm = good[..cut].to_vec();
                zm.push(ZIPMAP_END);
                assert!(zipmap_pairs(&zm).is_err(), "cut and patched at {cut}");
            }
        }
    }
}
