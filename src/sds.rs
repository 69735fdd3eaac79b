//! The string a key or a string value is made of: the Rust stand-in for
//! sds.
//!
//! Redis keeps a short string value in the same allocation as its robj
//! (OBJ_ENCODING_EMBSTR), so reading it costs one cache miss, not two.
//! We go one step further in the same direction: a string of up to
//! [`SDS_INLINE_LEN`] bytes lives inside the `Sds` itself, so a key and a
//! short value sit inside their dict entry. A 64-byte entry (one cache line,
//! one jemalloc size class) then holds the whole key/value pair that C
//! spreads over a dictEntry, a key sds and an embstr robj. SAVE, BGSAVE's
//! fork and the loader walk a third of the cache lines; see bench/.
//!
//! Longer strings live in a boxed slice of exactly their length (C's sds
//! from sdsnewlen), and a string that has been grown in place (APPEND,
//! SETRANGE, SETBIT…) keeps a growable buffer with spare room, as an sds
//! grown by sdsMakeRoomFor() does. Which of the three forms a string has is
//! invisible outside this file: OBJECT ENCODING reports the robj's own
//! `encoding` field, set by the same rules as in C.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// Strings up to this many bytes are kept inline (24 bytes in all, with
/// the form's tag and the length).
pub(crate) const SDS_INLINE_LEN: usize = 22;

/// A byte string; see the module comment for its three forms.
#[derive(Clone)]
pub(crate) enum Sds {
    /// Up to SDS_INLINE_LEN bytes, in place.
    Inline { len: u8, buf: [u8; SDS_INLINE_LEN] },
    /// Longer, exact-size heap copy.
    Heap(Box<[u8]>),
    /// Grown in place: a buffer with spare capacity. Boxed so that the
    /// form stays 24 bytes.
    #[allow(clippy::box_collection)] // the box is the point: see above
    Raw(Box<Vec<u8>>),
}

impl Sds {
    /// An empty string.
    pub(crate) const fn new() -> Sds {
        Sds::Inline { len: 0, buf: [0; SDS_INLINE_LEN] }
    }

    /// The heap bytes this string holds beyond its own 24 (none when
    /// inline), in allocator size classes. Divergence from C: an sds is
    /// one block with its header; ours sits in its owner, only the
    /// buffer (and a Raw form's Vec) is apart.
    ///
    /// C: sds.c sdsAllocSize()
    pub(crate) fn alloc_size(&self) -> usize {
        use crate::util::zmalloc_size_class as class;
        match self {
            Sds::Inline { .. } => 0,
            Sds::Heap(b) if b.is_empty() => 0,
            Sds::Heap(b) => class(b.len(), 1),
            Sds::Raw(v) => {
                class(std::mem::size_of::<Vec<u8>>(), 8)
                    + if v.capacity() == 0 { 0 } else { class(v.capacity(), 1) }
            }
        }
    }

    /// The bytes.
    #[inline]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Sds::Inline { len, buf } => &buf[..*len as usize],
            Sds::Heap(b) => b,
            Sds::Raw(v) => v,
        }
    }

    /// The string as a growable buffer, for the commands that change a
    /// string in place. The first call moves the bytes to the Raw form.
    pub(crate) fn make_mut(&mut self) -> &mut Vec<u8> {
        if !matches!(self, Sds::Raw(_)) {
            *self = Sds::Raw(Box::new(self.as_bytes().to_vec()));
        }
        match self {
            Sds::Raw(v) => v,
            // Just converted above.
            _ => unreachable!("Sds::make_mut: not Raw after conversion"),
        }
    }

    /// The bytes the string may hold before it must grow (C: sdsalloc()).
    /// Only a string grown in place has spare room.
    pub(crate) fn capacity(&self) -> usize {
        match self {
            Sds::Inline { len, .. } => *len as usize,
            Sds::Heap(b) => b.len(),
            Sds::Raw(v) => v.capacity(),
        }
    }
}

impl Default for Sds {
    fn default() -> Sds {
        Sds::new()
    }
}

impl From<&[u8]> for Sds {
    #[inline]
    fn from(s: &[u8]) -> Sds {
        if s.len() <= SDS_INLINE_LEN {
            let mut buf = [0; SDS_INLINE_LEN];
            buf[..s.len()].copy_from_slice(s);
            Sds::Inline { len: s.len() as u8, buf }
        } else {
            Sds::Heap(s.into())
        }
    }
}

impl<const N: usize> From<&[u8; N]> for Sds {
    fn from(s: &[u8; N]) -> Sds {
        Sds::from(&s[..])
    }
}

impl From<Vec<u8>> for Sds {
    #[inline]
    fn from(v: Vec<u8>) -> Sds {
        if v.len() <= SDS_INLINE_LEN {
            Sds::from(&v[..])
        } else {
            Sds::Heap(v.into_boxed_slice())
        }
    }
}

impl From<Box<[u8]>> for Sds {
    fn from(b: Box<[u8]>) -> Sds {
        if b.len() <= SDS_INLINE_LEN {
            Sds::from(&b[..])
        } else {
            Sds::Heap(b)
        }
    }
}

impl Deref for Sds {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for Sds {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<[u8]> for Sds {
    #[inline]
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// Equal, ordered and hashed as its bytes (so `Borrow<[u8]>` lookups work).
impl PartialEq for Sds {
    fn eq(&self, other: &Sds) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Sds {}

impl PartialOrd for Sds {
    fn partial_cmp(&self, other: &Sds) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Sds {
    fn cmp(&self, other: &Sds) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl Hash for Sds {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state)
    }
}

impl fmt::Debug for Sds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sds_is_24_bytes_and_a_dict_entry_one_cache_line() {
        assert_eq!(std::mem::size_of::<Sds>(), 24);
        assert_eq!(std::mem::size_of::<crate::object::RObj>(), 32);
        assert_eq!(
            std::mem::size_of::<crate::dict::DictEntry<Sds, crate::object::RObj>>(
            ),
            64
        );
    }

    #[test]
    fn sds_forms_hold_the_same_bytes() {
        let short = Sds::from(&b"key:1"[..]);
        assert!(matches!(short, Sds::Inline { len: 5, .. }));
        assert_eq!(&*short, b"key:1");
        let edge = Sds::from(vec![b'x'; SDS_INLINE_LEN]);
        assert!(matches!(edge, Sds::Inline { .. }));
        let long = Sds::from(vec![b'y'; SDS_INLINE_LEN + 1]);
        assert!(matches!(long, Sds::Heap(_)));
        assert_eq!(long.len(), SDS_INLINE_LEN + 1);
        let mut grown = short.clone();
        grown.make_mut().extend_from_slice(b"23");
        assert!(matches!(grown, Sds::Raw(_)));
        assert_eq!(grown, Sds::from(&b"key:123"[..]));
        assert_eq!(grown.to_vec(), b"key:123".to_vec());
    }
}
