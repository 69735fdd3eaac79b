//! Hashes: the hash type API (two encodings and the conversion between
//! them) and the H* commands.
//!
//! Ports t_hash.c from Redis 5.0.14, in the same order.
//!
//! Before reading: a small hash is kept compact, as 5.0 keeps it in a
//! ziplist, and becomes a dict of field to value when it gets too many
//! fields (`hash-max-ziplist-entries`) or a long field or value
//! (`hash-max-ziplist-value`). The small encoding here is not a real
//! ziplist but a `PairList` (one allocation holding length-prefixed fields
//! and values in insertion order, see below); OBJECT ENCODING still says
//! "ziplist", and the conversions happen exactly where 5.0 makes them. The
//! `Hash` enum's variant always matches the `encoding` field of the `RObj`
//! holding it: only `hash_type_convert` changes either.
//!
//! C's `hashTypeIterator` becomes `Hash::iter`; a ziplist entry that C
//! returns as a `long long` (`vll`) is here the bytes it was stored from,
//! which are the same as the number's decimal form.

use crate::db::*;
use crate::dict::{Dict, DictIter};
use crate::networking::*;
use crate::notify::notify_keyspace_event;
use crate::object::*;
use crate::server::*;
use crate::shared::{
    CONE, CZERO, EMPTYMULTIBULK, EMPTYSCAN, NULLBULK, OK, WRONGTYPEERR,
};
use crate::t_string::check_type;

/// What hashTypeCurrentObject() returns: the field or the value.
///
/// C: server.h OBJ_HASH_KEY, OBJ_HASH_VALUE
pub(crate) const OBJ_HASH_KEY: i32 = 1;
pub(crate) const OBJ_HASH_VALUE: i32 = 2;

// -----------------------------------------------------------------------------
// The small encoding (stands in for ziplist.c)
// -----------------------------------------------------------------------------

/// The most bytes a ziplist may grow to (ziplist.c ZIPLIST_MAX_SAFETY_SIZE).
const ZIPLIST_MAX_SAFETY_SIZE: usize = 1 << 30;

/// The bytes of the count that opens a `PairList`.
const PAIRLIST_HEADER: usize = 4;

/// The small encoding of a hash, standing in for 5.0's ziplist: a `u32`
/// count of pairs (little-endian), then field, value, field, value, ...
/// each as a LEB128 length and its bytes, in insertion order, all in one
/// allocation with no spare capacity. Like a ziplist it is searched
/// linearly and reallocated on every insert or delete; the entries are
/// kept as the bytes they were given, where a ziplist would store an
/// integer-looking one as a number (which prints back identically).
/// (no C twin)
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PairList {
    buf: Box<[u8]>,
}

/// Where an entry of a `PairList` is: its header starts at `hdr`, its
/// bytes are `start..end`. (no C twin)
#[derive(Clone, Copy)]
struct PairListEntry {
    hdr: usize,
    start: usize,
    end: usize,
}

/// The number of bytes LEB128 takes for `len`. (no C twin)
fn pairlist_len_size(mut len: usize) -> usize {
    let mut n = 1;
    while len >= 0x80 {
        len >>= 7;
        n += 1;
    }
    n
}

/// Appends `s` with its LEB128 length. (no C twin)
fn pairlist_push_entry(out: &mut Vec<u8>, s: &[u8]) {
    let mut len = s.len();
    while len >= 0x80 {
        out.push((len as u8) | 0x80);
        len >>= 7;
    }
    out.push(len as u8);
    out.extend_from_slice(s);
}

impl Default for PairList {
    fn default() -> Self {
        Self::new()
    }
}

impl PairList {
    /// An empty list, as ziplistNew() (no C twin).
    pub fn new() -> PairList {
        PairList { buf: vec![0u8; PAIRLIST_HEADER].into_boxed_slice() }
    }

    /// The number of pairs; a ziplist's length is twice this.
    pub(crate) fn len(&self) -> usize {
        u32::from_le_bytes(
            self.buf[..PAIRLIST_HEADER].try_into().expect("4 bytes"),
        ) as usize
    }

    fn set_len(&mut self, n: usize) {
        self.buf[..PAIRLIST_HEADER].copy_from_slice(&(n as u32).to_le_bytes());
    }

    /// The size of the allocation, ziplistBlobLen()'s counterpart.
    pub(crate) fn blob_len(&self) -> usize {
        self.buf.len()
    }

    /// The entry whose header is at `p`.
    fn entry_at(&self, p: usize) -> PairListEntry {
        let mut len = 0usize;
        let mut shift = 0;
        let mut i = p;
        loop {
            let b = self.buf[i];
            i += 1;
            len |= ((b & 0x7f) as usize) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        PairListEntry { hdr: p, start: i, end: i + len }
    }

    /// The field and value entries of `field`, if present
    /// (ziplistFind() with skip 1, then ziplistNext()).
    fn find(&self, field: &[u8]) -> Option<(PairListEntry, PairListEntry)> {
        let mut p = PAIRLIST_HEADER;
        while p < self.buf.len() {
            let f = self.entry_at(p);
            let v = self.entry_at(f.end);
            if &self.buf[f.start..f.end] == field {
                return Some((f, v));
            }
            p = v.end;
        }
        None
    }

    /// The value of `field`.
    pub(crate) fn get(&self, field: &[u8]) -> Option<&[u8]> {
        self.find(field).map(|(_, v)| &self.buf[v.start..v.end])
    }

    /// Sets `field` to `value`: in place if the field exists (ziplistDelete
    /// then ziplistInsert of the value), else appended at the tail
    /// (two ziplistPush). Returns true on update.
    pub(crate) fn set(&mut self, field: &[u8], value: &[u8]) -> bool {
        if let Some((_, v)) = self.find(field) {
            let newsize = pairlist_len_size(value.len()) + value.len();
            if newsize == v.end - v.hdr {
                // Same size: overwrite, no reallocation.
                self.buf[v.start..v.end].copy_from_slice(value);
            } else {
                let mut out = Vec::with_capacity(
                    self.buf.len() - (v.end - v.hdr) + newsize,
                );
                out.extend_from_slice(&self.buf[..v.hdr]);
                pairlist_push_entry(&mut out, value);
                out.extend_from_slice(&self.buf[v.end..]);
                self.buf = out.into_boxed_slice();
            }
            return true;
        }
        let add = pairlist_len_size(field.len())
            + field.len()
            + pairlist_len_size(value.len())
            + value.len();
        let n = self.len();
        let mut out = std::mem::take(&mut self.buf).into_vec();
        // One realloc, as ziplistResize(); exact, so into_boxed_slice does
        // not reallocate again.
        out.reserve_exact(add);
        pairlist_push_entry(&mut out, field);
        pairlist_push_entry(&mut out, value);
        self.buf = out.into_boxed_slice();
        self.set_len(n + 1);
        false
    }

    /// Removes `field` and its value. Returns whether it was there.
    pub(crate) fn delete(&mut self, field: &[u8]) -> bool {
        let Some((f, v)) = self.find(field) else {
            return false;
        };
        let n = self.len();
        let mut out = std::mem::take(&mut self.buf).into_vec();
        out.drain(f.hdr..v.end);
        self.buf = out.into_boxed_slice();
        self.set_len(n - 1);
        true
    }

    /// The pairs in insertion order.
    pub fn iter(&self) -> PairListIter<'_> {
        PairListIter { zl: self, p: PAIRLIST_HEADER }
    }
}

impl std::fmt::Debug for PairList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(k, v)| {
                (String::from_utf8_lossy(k), String::from_utf8_lossy(v))
            }))
            .finish()
    }
}

/// The pairs of a `PairList`, from `PairList::iter`. (no C twin)
#[derive(Clone)]
pub(crate) struct PairListIter<'a> {
    zl: &'a PairList,
    p: usize,
}

impl<'a> Iterator for PairListIter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.p >= self.zl.buf.len() {
            return None;
        }
        let f = self.zl.entry_at(self.p);
        let v = self.zl.entry_at(f.end);
        self.p = v.end;
        Some((&self.zl.buf[f.start..f.end], &self.zl.buf[v.start..v.end]))
    }
}

// -----------------------------------------------------------------------------
// Hash type API
// -----------------------------------------------------------------------------

/// A field or value of a hash-table encoded hash (C: an sds). Short ones
/// sit inside their dict entry (sds.rs), as keys do.
pub(crate) type HashSds = crate::sds::Sds;

/// The dict of a hash-table encoded hash (C: `dict` with `hashDictType`).
pub(crate) type HashDict = Dict<HashSds, HashSds>;

/// The value of a key of type hash (C: the `ptr` of an OBJ_HASH robj).
/// The variant is the encoding; the `RObj` says the same in `encoding`.
pub(crate) enum Hash {
    /// OBJ_ENCODING_ZIPLIST.
    Ziplist(PairList),
    /// OBJ_ENCODING_HT. Boxed so that small hashes do not pay for the
    /// dict's two tables.
    Ht(Box<HashDict>),
}

impl Hash {
    /// A new, empty, ziplist-encoded hash (the `ptr` of createHashObject()).
    pub fn new() -> Hash {
        Hash::Ziplist(PairList::new())
    }

    /// The OBJ_ENCODING_* this value has.
    #[cfg(test)] // only the unit tests call it
    pub(crate) fn encoding(&self) -> u8 {
        match self {
            Hash::Ziplist(_) => OBJ_ENCODING_ZIPLIST,
            Hash::Ht(_) => OBJ_ENCODING_HT,
        }
    }

    /// Return the number of elements in a hash (what `hash_type_length`
    /// returns).
    pub(crate) fn len(&self) -> usize {
        match self {
            Hash::Ziplist(zl) => zl.len(),
            Hash::Ht(d) => d.dict_size(),
        }
    }

    /// The value of `field`, read without the rehash step a dictFind()
    /// makes (for callers holding a shared reference, e.g. a saving child).
    /// (no C twin)
    #[cfg(test)] // only the unit tests call it
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self {
            Hash::Ziplist(zl) => zl.get(field),
            Hash::Ht(d) => d.find(field).map(|de| &de.val()[..]),
        }
    }

    /// Iterates over the field/value pairs: insertion order for the
    /// ziplist encoding, the dict's bucket order for the hash table. Used
    /// by HGETALL and friends, and by DEBUG DIGEST, RDB saving and SORT.
    ///
    /// C: t_hash.c hashTypeInitIterator()
    pub fn iter(&self) -> HashIter<'_> {
        match self {
            Hash::Ziplist(zl) => HashIter::Ziplist(zl.iter()),
            Hash::Ht(d) => HashIter::Ht(d.iter()),
        }
    }
}

impl Default for Hash {
    fn default() -> Self {
        Self::new()
    }
}

impl Clone for Hash {
    fn clone(&self) -> Self {
        match self {
            Hash::Ziplist(zl) => Hash::Ziplist(zl.clone()),
            Hash::Ht(d) => {
                let mut n = HashDict::new();
                let _ = n.dict_expand(d.dict_size());
                for de in d.iter() {
                    let _ = n.dict_add(de.key().clone(), de.val().clone());
                }
                Hash::Ht(Box::new(n))
            }
        }
    }
}

impl std::fmt::Debug for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name =
            if matches!(self, Hash::Ziplist(_)) { "Ziplist" } else { "Ht" };
        f.debug_map()
            .entries(self.iter().map(|(k, v)| {
                (String::from_utf8_lossy(k), String::from_utf8_lossy(v))
            }))
            .finish()
            .and_then(|_| write!(f, " ({name})"))
    }
}

/// The hash inside `o`. A non-hash here is a bug: every caller checked the
/// type first. (no C twin: C casts `o->ptr`)
fn hash_ref(o: &RObj) -> &Hash {
    match &o.ptr {
        Value::Hash(h) => h,
        _ => unreachable!("not a hash: the caller checks the type first"),
    }
}

/// `hash_ref`, mutably. (no C twin)
fn hash_mut(o: &mut RObj) -> &mut Hash {
    match &mut o.ptr {
        Value::Hash(h) => h,
        _ => unreachable!("not a hash: the caller checks the type first"),
    }
}

/// Check the length of a number of objects to see if we need to convert a
/// ziplist to a real hash: any argument in `argv[start..=end]` longer
/// than `hash_max_ziplist_value` converts it, as does a total that would
/// take the ziplist past its safety limit. (C checks only sds-encoded
/// arguments, whose length is known in constant time; arguments always
/// are.) The server's limit is passed in, because `o` borrows the server.
///
/// C: t_hash.c hashTypeTryConversion()
pub(crate) fn hash_type_try_conversion(
    o: &mut RObj,
    argv: &[Vec<u8>],
    start: usize,
    end: usize,
    hash_max_ziplist_value: usize,
) {
    if o.encoding != OBJ_ENCODING_ZIPLIST {
        return;
    }
    let mut sum = 0usize;
    for arg in &argv[start..=end] {
        let len = arg.len();
        if len > hash_max_ziplist_value {
            hash_type_convert(o, OBJ_ENCODING_HT);
            return;
        }
        sum += len;
    }
    // ziplistSafeToAdd()
    let Hash::Ziplist(zl) = hash_ref(o) else {
        return;
    };
    if zl.blob_len() + sum > ZIPLIST_MAX_SAFETY_SIZE {
        hash_type_convert(o, OBJ_ENCODING_HT);
    }
}

/// Get the value from a ziplist encoded hash, identified by field.
/// Returns `None` when the field cannot be found.
///
/// C: t_hash.c hashTypeGetFromZiplist()
pub(crate) fn hash_type_get_from_ziplist<'a>(
    o: &'a RObj,
    field: &[u8],
) -> Option<&'a [u8]> {
    match hash_ref(o) {
        Hash::Ziplist(zl) => zl.get(field),
        Hash::Ht(_) => unreachable!("hashTypeGetFromZiplist on a hash table"),
    }
}

/// Get the value from a hash table encoded hash, identified by field.
/// Returns `None` when the field cannot be found. The lookup makes a
/// rehash step, as dictFind() does.
///
/// C: t_hash.c hashTypeGetFromHashTable()
pub(crate) fn hash_type_get_from_hash_table<'a>(
    o: &'a mut RObj,
    field: &[u8],
) -> Option<&'a [u8]> {
    match hash_mut(o) {
        Hash::Ht(d) => d.dict_find(field).map(|de| &de.val()[..]),
        Hash::Ziplist(_) => {
            unreachable!("hashTypeGetFromHashTable on a ziplist")
        }
    }
}

/// Higher level function of hashTypeGet*() that returns the hash value
/// associated with the specified field, or `None` if it is not there.
/// (C returns a ziplist integer in `*vll` instead of a string; here the
/// stored bytes are its decimal form.)
///
/// C: t_hash.c hashTypeGetValue()
pub(crate) fn hash_type_get_value<'a>(
    o: &'a mut RObj,
    field: &[u8],
) -> Option<&'a [u8]> {
    if o.encoding == OBJ_ENCODING_ZIPLIST {
        hash_type_get_from_ziplist(o, field)
    } else {
        hash_type_get_from_hash_table(o, field)
    }
}

/// Like hashTypeGetValue() but returns an owned copy, which is useful for
/// interaction with the hash type outside t_hash.c (SORT ... BY/GET with
/// `->field`). `None` if the field is not found in the hash.
///
/// C: t_hash.c hashTypeGetValueObject()
pub(crate) fn hash_type_get_value_object(
    o: &mut RObj,
    field: &[u8],
) -> Option<Vec<u8>> {
    hash_type_get_value(o, field).map(|v| v.to_vec())
}

/// Higher level function using hashTypeGet*() to return the length of the
/// object associated with the requested field, or 0 if the field does not
/// exist.
///
/// C: t_hash.c hashTypeGetValueLength()
pub(crate) fn hash_type_get_value_length(o: &mut RObj, field: &[u8]) -> usize {
    hash_type_get_value(o, field).map_or(0, |v| v.len())
}

/// Test if the specified field exists in the given hash.
///
/// C: t_hash.c hashTypeExists()
pub(crate) fn hash_type_exists(o: &mut RObj, field: &[u8]) -> bool {
    hash_type_get_value(o, field).is_some()
}

/// Add a new field, overwrite the old with the new value if it already
/// exists. Return false on insert and true on update. A ziplist that gets
/// more than `hash_max_ziplist_entries` fields is converted (the server's
/// limit is passed in, because `o` borrows the server).
///
/// C copies the field and value unless told to take them
/// (HASH_SET_TAKE_FIELD / HASH_SET_TAKE_VALUE), which only saves an
/// allocation; here both are always copied, as HASH_SET_COPY does.
///
/// C: t_hash.c hashTypeSet()
pub(crate) fn hash_type_set(
    o: &mut RObj,
    field: &[u8],
    value: &[u8],
    hash_max_ziplist_entries: usize,
) -> bool {
    let update;
    match hash_mut(o) {
        Hash::Ziplist(zl) => {
            update = zl.set(field, value);
            // Check if the ziplist needs to be converted to a hash table
            if zl.len() > hash_max_ziplist_entries {
                hash_type_convert(o, OBJ_ENCODING_HT);
            }
        }
        Hash::Ht(d) => {
            if let Some(v) = d.find_mut(field) {
                *v = value.into();
                update = true;
            } else {
                // The lookup above already made this call's rehash step;
                // dict_add makes another, as C's dictFind + dictAdd do.
                let _ = d.dict_add(field.into(), value.into());
                update = false;
            }
        }
    }
    update
}

/// Delete an element from a hash. Return true on deleted and false on not
/// found.
///
/// C: t_hash.c hashTypeDelete()
pub(crate) fn hash_type_delete(o: &mut RObj, field: &[u8]) -> bool {
    match hash_mut(o) {
        Hash::Ziplist(zl) => zl.delete(field),
        Hash::Ht(d) => {
            if d.dict_delete(field) {
                // Always check if the dictionary needs a resize after a
                // delete.
                if d.ht_needs_resize() {
                    let _ = d.dict_resize();
                }
                true
            } else {
                false
            }
        }
    }
}

/// Return the number of elements in a hash.
///
/// C: t_hash.c hashTypeLength()
pub(crate) fn hash_type_length(o: &RObj) -> usize {
    hash_ref(o).len()
}

/// A walk over the field/value pairs of a hash, from `Hash::iter`. The
/// borrow checker stands in for C's rule that the hash must not change
/// while it is walked; dropping the iterator is hashTypeReleaseIterator().
///
/// C: server.h hashTypeIterator; t_hash.c hashTypeReleaseIterator()
pub(crate) enum HashIter<'a> {
    Ziplist(PairListIter<'a>),
    Ht(DictIter<'a, HashSds, HashSds>),
}

impl<'a> Iterator for HashIter<'a> {
    /// The field and the value at the cursor: C's hashTypeCurrentObject()
    /// with OBJ_HASH_KEY and with OBJ_HASH_VALUE.
    type Item = (&'a [u8], &'a [u8]);

    /// Move to the next entry in the hash and return it, or `None` when
    /// the iterator reaches the end.
    ///
    /// C: t_hash.c hashTypeNext(); t_hash.c hashTypeCurrentFromZiplist();
    /// t_hash.c hashTypeCurrentFromHashTable(); t_hash.c hashTypeCurrentObject()
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            HashIter::Ziplist(it) => it.next(),
            HashIter::Ht(it) => {
                it.next().map(|de| (&de.key()[..], &de.val()[..]))
            }
        }
    }
}

/// The hash at `key`, created empty (ziplist encoded) if the key does not
/// exist. Replies WRONGTYPE and returns `None` if the key holds another
/// type.
///
/// C: t_hash.c hashTypeLookupWriteOrCreate()
pub(crate) fn hash_type_lookup_write_or_create<'a>(
    server: &'a mut RedisServer,
    c: &mut Client,
    key: &[u8],
) -> Option<&'a mut RObj> {
    let dbid = c.db;
    let lru = crate::object::new_object_lru(server);
    // Two lookups where C has one: the borrow checker cannot hand out the
    // reference lookupKeyWrite() found and still let the other branch add
    // the key.
    if lookup_key_write(server, dbid, key).is_none() {
        db_add(server, dbid, key, create_hash_object(lru));
    }
    let o = lookup_key(server, dbid, key, LOOKUP_NOTOUCH)?;
    if o.obj_type() != OBJ_HASH {
        add_reply(c, WRONGTYPEERR);
        return None;
    }
    Some(o)
}

/// Converts a ziplist encoded hash to `enc` (only OBJ_ENCODING_HT does
/// anything).
///
/// C: t_hash.c hashTypeConvertZiplist()
pub(crate) fn hash_type_convert_ziplist(o: &mut RObj, enc: u8) {
    assert_eq!(
        o.encoding, OBJ_ENCODING_ZIPLIST,
        "hashTypeConvertZiplist on a non-ziplist"
    );

    if enc == OBJ_ENCODING_ZIPLIST {
        // Nothing to do...
    } else if enc == OBJ_ENCODING_HT {
        let Hash::Ziplist(zl) = hash_ref(o) else {
            return;
        };
        let mut dict = HashDict::new();
        for (key, value) in zl.iter() {
            // A PairList cannot hold a field twice, so this cannot fail
            // (C panics with "Ziplist corruption detected" if it does).
            let _ = dict.dict_add(key.into(), value.into());
        }
        *hash_mut(o) = Hash::Ht(Box::new(dict));
        o.encoding = OBJ_ENCODING_HT;
    } else {
        unreachable!("Unknown hash encoding");
    }
}

/// Converts a hash to encoding `enc`. Only ziplist to hash table exists;
/// 5.0 never converts back.
///
/// C: t_hash.c hashTypeConvert()
pub(crate) fn hash_type_convert(o: &mut RObj, enc: u8) {
    if o.encoding == OBJ_ENCODING_ZIPLIST {
        hash_type_convert_ziplist(o, enc);
    } else if o.encoding == OBJ_ENCODING_HT {
        unreachable!("Not implemented");
    } else {
        unreachable!("Unknown hash encoding");
    }
}

// -----------------------------------------------------------------------------
// Hash type commands
// -----------------------------------------------------------------------------

/// Runs `f` with the arguments moved out of the client, so that the
/// command can read them while it passes the client around mutably, and
/// puts them back after (a command may rewrite them for propagation).
/// (no C twin)
fn with_argv<R>(
    c: &mut Client,
    f: impl FnOnce(&mut Client, &mut Vec<Vec<u8>>) -> R,
) -> R {
    let mut argv = std::mem::take(&mut c.argv);
    let r = f(c, &mut argv);
    c.argv = argv;
    r
}

/// HSETNX key field value
///
/// C: t_hash.c hsetnxCommand()
pub(crate) fn hsetnx_command(server: &mut RedisServer, c: &mut Client) {
    with_argv(c, |c, argv| {
        let (max_value, max_entries) =
            (server.hash_max_ziplist_value, server.hash_max_ziplist_entries);
        let Some(o) = hash_type_lookup_write_or_create(server, c, &argv[1])
        else {
            return;
        };
        hash_type_try_conversion(o, argv, 2, 3, max_value);

        if hash_type_exists(o, &argv[2]) {
            add_reply(c, CZERO);
        } else {
            hash_type_set(o, &argv[2], &argv[3], max_entries);
            add_reply(c, CONE);
            signal_modified_key(server, c.db, &argv[1]);
            notify_keyspace_event(
                server,
                NOTIFY_HASH,
                "hset",
                &argv[1],
                c.db as i32,
            );
            server.dirty += 1;
        }
    })
}

/// HSET key field value [field value ...] and HMSET: they differ only in
/// the reply (the number of new fields, or +OK).
///
/// C: t_hash.c hsetCommand()
pub(crate) fn hset_command(server: &mut RedisServer, c: &mut Client) {
    with_argv(c, |c, argv| {
        if argv.len() % 2 == 1 {
            add_reply_error(c, "wrong number of arguments for HMSET");
            return;
        }

        let (max_value, max_entries) =
            (server.hash_max_ziplist_value, server.hash_max_ziplist_entries);
        let Some(o) = hash_type_lookup_write_or_create(server, c, &argv[1])
        else {
            return;
        };
        hash_type_try_conversion(o, argv, 2, argv.len() - 1, max_value);

        let mut created = 0;
        let mut i = 2;
        while i < argv.len() {
            if !hash_type_set(o, &argv[i], &argv[i + 1], max_entries) {
                created += 1;
            }
            i += 2;
        }

        // HMSET (deprecated) and HSET return value is different.
        if matches!(argv[0].get(1), Some(b's' | b'S')) {
            // HSET
            add_reply_long_long(c, created);
        } else {
            // HMSET
            add_reply(c, OK);
        }
        signal_modified_key(server, c.db, &argv[1]);
        notify_keyspace_event(
            server,
            NOTIFY_HASH,
            "hset",
            &argv[1],
            c.db as i32,
        );
        server.dirty += 1;
    })
}

/// HINCRBY key field increment
///
/// C: t_hash.c hincrbyCommand()
pub(crate) fn hincrby_command(server: &mut RedisServer, c: &mut Client) {
    with_argv(c, |c, argv| {
        let Some(incr) = get_long_long_from_object_or_reply(c, &argv[3], None)
        else {
            return;
        };
        let max_entries = server.hash_max_ziplist_entries;
        // Note: no hashTypeTryConversion() here, as in C: a long field
        // name can end up in a ziplist.
        let Some(o) = hash_type_lookup_write_or_create(server, c, &argv[1])
        else {
            return;
        };
        let oldvalue = match hash_type_get_value(o, &argv[2]) {
            Some(v) => match string2ll(v) {
                Some(n) => n,
                None => {
                    add_reply_error(c, "hash value is not an integer");
                    return;
                }
            },
            None => 0,
        };

        let Some(value) = oldvalue.checked_add(incr) else {
            add_reply_error(c, "increment or decrement would overflow");
            return;
        };
        let new = ll2string(value);
        hash_type_set(o, &argv[2], &new, max_entries);
        add_reply_long_long(c, value);
        signal_modified_key(server, c.db, &argv[1]);
        notify_keyspace_event(
            server,
            NOTIFY_HASH,
            "hincrby",
            &argv[1],
            c.db as i32,
        );
        server.dirty += 1;
    })
}

/// HINCRBYFLOAT key field increment. Propagated as HSET key field
/// <result>, so replicas and the AOF do not depend on float formatting.
///
/// C: t_hash.c hincrbyfloatCommand()
pub(crate) fn hincrbyfloat_command(server: &mut RedisServer, c: &mut Client) {
    with_argv(c, |c, argv| {
        let Some(incr) =
            get_long_double_from_object_or_reply(c, &argv[3], None)
        else {
            return;
        };
        let max_entries = server.hash_max_ziplist_entries;
        let Some(o) = hash_type_lookup_write_or_create(server, c, &argv[1])
        else {
            return;
        };
        let value = match hash_type_get_value(o, &argv[2]) {
            Some(v) => match crate::util::string2ld(v) {
                Some(n) => n,
                None => {
                    add_reply_error(c, "hash value is not a float");
                    return;
                }
            },
            None => crate::long_double::LongDouble::ZERO,
        };

        let value = value + incr;
        if value.is_nan() || value.is_infinite() {
            add_reply_error(c, "increment would produce NaN or Infinity");
            return;
        }

        let buf = crate::util::ld2string(value, true);
        hash_type_set(o, &argv[2], &buf, max_entries);
        add_reply_bulk_c_buffer(c, &buf);
        signal_modified_key(server, c.db, &argv[1]);
        notify_keyspace_event(
            server,
            NOTIFY_HASH,
            "hincrbyfloat",
            &argv[1],
            c.db as i32,
        );
        server.dirty += 1;

        // Always replicate HINCRBYFLOAT as an HSET command with the final
        // value in order to make sure that differences in float precision
        // or formatting will not create differences in replicas or after
        // an AOF restart.
        argv[0] = b"HSET".to_vec();
        argv[3] = buf;
    })
}

/// Replies the value of `field`, or the null bulk if the hash (`o` is
/// `None` for a missing key) or the field does not exist.
///
/// C: t_hash.c addHashFieldToReply()
fn add_hash_field_to_reply(c: &mut Client, o: Option<&mut RObj>, field: &[u8]) {
    let Some(o) = o else {
        add_reply(c, NULLBULK);
        return;
    };
    match hash_type_get_value(o, field) {
        None => add_reply(c, NULLBULK),
        Some(v) => add_reply_bulk_c_buffer(c, v),
    }
}

/// HGET key field
///
/// C: t_hash.c hgetCommand()
pub(crate) fn hget_command(server: &mut RedisServer, c: &mut Client) {
    with_argv(c, |c, argv| {
        let Some(o) = lookup_key_read_or_reply(server, c, &argv[1], NULLBULK)
        else {
            return;
        };
        if check_type(c, o, OBJ_HASH) {
            return;
        }
        add_hash_field_to_reply(c, Some(o), &argv[2]);
    })
}

/// HMGET key field [field ...]
///
/// C: t_hash.c hmgetCommand()
pub(crate) fn hmget_command(server: &mut RedisServer, c: &mut Client) {
    with_argv(c, |c, argv| {
        // Don't abort when the key cannot be found. Non-existing keys are
        // empty hashes, where HMGET should respond with a series of null
        // bulks.
        let mut o = lookup_key_read(server, c, &argv[1]);
        if o.as_ref().is_some_and(|o| o.obj_type() != OBJ_HASH) {
            add_reply(c, WRONGTYPEERR);
            return;
        }

        add_reply_multi_bulk_len(c, argv.len() as i64 - 2);
        for field in &argv[2..] {
            add_hash_field_to_reply(c, o.as_deref_mut(), field);
        }
    })
}

/// HDEL key field [field ...]
///
/// C: t_hash.c hdelCommand()
pub(crate) fn hdel_command(server: &mut RedisServer, c: &mut Client) {
    with_argv(c, |c, argv| {
        let Some(o) = lookup_key_write_or_reply(server, c, &argv[1], CZERO)
        else {
            return;
        };
        if check_type(c, o, OBJ_HASH) {
            return;
        }

        let mut deleted = 0;
        let mut keyremoved = false;
        for field in &argv[2..] {
            if hash_type_delete(o, field) {
                deleted += 1;
                if hash_type_length(o) == 0 {
                    keyremoved = true;
                    break;
                }
            }
        }
        if keyremoved {
            db_delete(server, c.db, &argv[1]);
        }
        if deleted != 0 {
            signal_modified_key(server, c.db, &argv[1]);
            notify_keyspace_event(
                server,
                NOTIFY_HASH,
                "hdel",
                &argv[1],
                c.db as i32,
            );
            if keyremoved {
                notify_keyspace_event(
                    server,
                    NOTIFY_GENERIC,
                    "del",
                    &argv[1],
                    c.db as i32,
                );
            }
            server.dirty += deleted;
        }
        add_reply_long_long(c, deleted);
    })
}

/// HLEN key
///
/// C: t_hash.c hlenCommand()
pub(crate) fn hlen_command(server: &mut RedisServer, c: &mut Client) {
    with_argv(c, |c, argv| {
        let Some(o) = lookup_key_read_or_reply(server, c, &argv[1], CZERO)
        else {
            return;
        };
        if check_type(c, o, OBJ_HASH) {
            return;
        }
        let len = hash_type_length(o);
        add_reply_long_long(c, len as i64);
    })
}

/// HSTRLEN key field
///
/// C: t_hash.c hstrlenCommand()
pub(crate) fn hstrlen_command(server: &mut RedisServer, c: &mut Client) {
    with_argv(c, |c, argv| {
        let Some(o) = lookup_key_read_or_reply(server, c, &argv[1], CZERO)
        else {
            return;
        };
        if check_type(c, o, OBJ_HASH) {
            return;
        }
        let len = hash_type_get_value_length(o, &argv[2]);
        add_reply_long_long(c, len as i64);
    })
}

/// Replies the field or the value (`what`) of the pair at the cursor.
///
/// C: t_hash.c addHashIteratorCursorToReply()
fn add_hash_iterator_cursor_to_reply(
    c: &mut Client,
    cur: (&[u8], &[u8]),
    what: i32,
) {
    if what & OBJ_HASH_KEY != 0 {
        add_reply_bulk_c_buffer(c, cur.0);
    } else {
        add_reply_bulk_c_buffer(c, cur.1);
    }
}

/// HKEYS, HVALS and HGETALL: every field, every value, or both (`flags`).
///
/// C: t_hash.c genericHgetallCommand()
fn generic_hgetall_command(
    server: &mut RedisServer,
    c: &mut Client,
    flags: i32,
) {
    with_argv(c, |c, argv| {
        let Some(o) =
            lookup_key_read_or_reply(server, c, &argv[1], EMPTYMULTIBULK)
        else {
            return;
        };
        if check_type(c, o, OBJ_HASH) {
            return;
        }

        let mut multiplier = 0;
        if flags & OBJ_HASH_KEY != 0 {
            multiplier += 1;
        }
        if flags & OBJ_HASH_VALUE != 0 {
            multiplier += 1;
        }

        let length = hash_type_length(o) * multiplier;
        add_reply_multi_bulk_len(c, length as i64);

        let mut count = 0;
        for cur in hash_ref(o).iter() {
            if flags & OBJ_HASH_KEY != 0 {
                add_hash_iterator_cursor_to_reply(c, cur, OBJ_HASH_KEY);
                count += 1;
            }
            if flags & OBJ_HASH_VALUE != 0 {
                add_hash_iterator_cursor_to_reply(c, cur, OBJ_HASH_VALUE);
                count += 1;
            }
        }
        assert_eq!(count, length, "genericHgetallCommand: count != length");
    })
}

/// HKEYS key
///
/// C: t_hash.c hkeysCommand()
pub(crate) fn hkeys_command(server: &mut RedisServer, c: &mut Client) {
    generic_hgetall_command(server, c, OBJ_HASH_KEY);
}

/// HVALS key
///
/// C: t_hash.c hvalsCommand()
pub(crate) fn hvals_command(server: &mut RedisServer, c: &mut Client) {
    generic_hgetall_command(server, c, OBJ_HASH_VALUE);
}

/// HGETALL key
///
/// C: t_hash.c hgetallCommand()
pub(crate) fn hgetall_command(server: &mut RedisServer, c: &mut Client) {
    generic_hgetall_command(server, c, OBJ_HASH_KEY | OBJ_HASH_VALUE);
}

/// HEXISTS key field
///
/// C: t_hash.c hexistsCommand()
pub(crate) fn hexists_command(server: &mut RedisServer, c: &mut Client) {
    with_argv(c, |c, argv| {
        let Some(o) = lookup_key_read_or_reply(server, c, &argv[1], CZERO)
        else {
            return;
        };
        if check_type(c, o, OBJ_HASH) {
            return;
        }
        let exists = hash_type_exists(o, &argv[2]);
        add_reply(c, if exists { CONE } else { CZERO });
    })
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]
///
/// C: t_hash.c hscanCommand()
pub(crate) fn hscan_command(server: &mut RedisServer, c: &mut Client) {
    with_argv(c, |c, argv| {
        let Ok(cursor) = parse_scan_cursor_or_reply(c, &argv[2]) else {
            return;
        };
        let Some(o) = lookup_key_read_or_reply(server, c, &argv[1], EMPTYSCAN)
        else {
            return;
        };
        if check_type(c, o, OBJ_HASH) {
            return;
        }
        // scanGenericCommand() reads the options from c.argv.
        c.argv = std::mem::take(argv);
        match hash_ref(o) {
            Hash::Ziplist(zl) => {
                let mut items = Vec::with_capacity(zl.len() * 2);
                for (f, v) in zl.iter() {
                    items.push(f.to_vec());
                    items.push(v.to_vec());
                }
                scan_generic_command(
                    c,
                    ScanObj::Items { items, pairs: true },
                    cursor,
                );
            }
            Hash::Ht(d) => {
                let mut step = |v: u64, out: &mut Vec<Vec<u8>>| {
                    d.dict_scan(v, |k, val| {
                        out.push(k.to_vec());
                        out.push(val.to_vec());
                    })
                };
                scan_generic_command(
                    c,
                    ScanObj::Dict { scan: &mut step, pairs: true },
                    cursor,
                );
            }
        }
        *argv = std::mem::take(&mut c.argv);
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::networking::create_client;

    #[test]
    fn hincrbyfloat_command_propagates_as_hset() {
        let mut server = init_server_config();
        server.db = (0..server.dbnum).map(RedisDb::new).collect();
        let id = create_client(&mut server, None).expect("fake client");
        let mut c = server.clients.lend(&id).expect("client in table");
        c.argv = [&b"HINCRBYFLOAT"[..], b"h", b"f", b"2.5"]
            .iter()
            .map(|a| a.to_vec())
            .collect();
        hincrbyfloat_command(&mut server, &mut c);
        assert_eq!(
            c.argv,
            vec![
                b"HSET".to_vec(),
                b"h".to_vec(),
                b"f".to_vec(),
                b"2.5".to_vec()
            ]
        );
        assert_eq!(server.dirty, 1);
    }

    fn new_hash() -> RObj {
        create_hash_object(0)
    }

    #[test]
    fn pairlist_set_get_update_delete() {
        let mut zl = PairList::new();
        assert!(!zl.set(b"a", b"1"));
        assert!(!zl.set(b"b", b"22"));
        assert!(zl.set(b"a", b"333"));
        assert!(zl.set(b"b", b"x"));
        assert_eq!(zl.len(), 2);
        assert_eq!(zl.get(b"a"), Some(&b"333"[..]));
        assert_eq!(zl.get(b"b"), Some(&b"x"[..]));
        assert_eq!(zl.get(b"c"), None);
        // Insertion order survives updates, as in a ziplist.
        let pairs: Vec<_> = zl.iter().collect();
        assert_eq!(
            pairs,
            vec![(&b"a"[..], &b"333"[..]), (&b"b"[..], &b"x"[..])]
        );
        assert!(zl.delete(b"a"));
        assert!(!zl.delete(b"a"));
        assert_eq!(zl.len(), 1);
        assert_eq!(zl.blob_len(), 4 + 2 + 2);
    }

    #[test]
    fn pairlist_long_entries_use_multibyte_lengths() {
        let mut zl = PairList::new();
        let long = vec![b'v'; 300];
        let field = vec![b'f'; 20000];
        zl.set(&field, &long);
        zl.set(b"", b"");
        assert_eq!(zl.get(&field), Some(&long[..]));
        assert_eq!(zl.get(b""), Some(&b""[..]));
        zl.set(&field, b"short");
        assert_eq!(zl.get(&field), Some(&b"short"[..]));
        assert_eq!(zl.iter().count(), 2);
    }

    #[test]
    fn hash_type_set_converts_past_max_entries() {
        let mut o = new_hash();
        for i in 0..4 {
            assert!(!hash_type_set(
                &mut o,
                format!("f{i}").as_bytes(),
                b"v",
                4
            ));
        }
        assert_eq!(o.encoding, OBJ_ENCODING_ZIPLIST);
        assert!(!hash_type_set(&mut o, b"f4", b"v", 4));
        assert_eq!(o.encoding, OBJ_ENCODING_HT);
        assert!(matches!(hash_ref(&o), Hash::Ht(_)));
        assert_eq!(hash_type_length(&o), 5);
        assert!(hash_type_set(&mut o, b"f0", b"new", 4));
        assert_eq!(hash_type_get_value(&mut o, b"f0"), Some(&b"new"[..]));
        assert!(hash_type_delete(&mut o, b"f0"));
        assert!(!hash_type_exists(&mut o, b"f0"));
    }

    #[test]
    fn hash_type_try_conversion_checks_value_length() {
        let mut o = new_hash();
        let argv = vec![
            b"hset".to_vec(),
            b"k".to_vec(),
            b"f".to_vec(),
            vec![b'x'; 65],
        ];
        hash_type_try_conversion(&mut o, &argv, 2, 3, 65);
        assert_eq!(o.encoding, OBJ_ENCODING_ZIPLIST);
        hash_type_try_conversion(&mut o, &argv, 2, 3, 64);
        assert_eq!(o.encoding, OBJ_ENCODING_HT);
    }

    #[test]
    fn hash_clone_keeps_encoding_and_pairs() {
        let mut o = new_hash();
        for i in 0..10 {
            hash_type_set(
                &mut o,
                format!("f{i}").as_bytes(),
                format!("v{i}").as_bytes(),
                5,
            );
        }
        let h = hash_ref(&o).clone();
        assert_eq!(h.encoding(), OBJ_ENCODING_HT);
        assert_eq!(h.len(), 10);
        assert_eq!(h.get(b"f7"), Some(&b"v7"[..]));
    }
}
