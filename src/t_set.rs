//! Sets: the set type API (intset and hash table encodings, the
//! conversion between them) and the S* commands, including the set
//! algebra (SINTER, SUNION, SDIFF and their STORE forms).
//!
//! Ports t_set.c from Redis 5.0.14, in the same order.
//!
//! Before reading: a set whose members are all integers (as string2ll()
//! reads them) starts as an intset (see intset.rs) and becomes a dict of
//! members when a non-integer arrives or it grows past
//! `set-max-intset-entries`; it never converts back. The `Set` enum's
//! variant always matches the `encoding` field of the `RObj` holding it.
//! C's `setTypeIterator` becomes `Set::elements` (integers stay integers,
//! as setTypeNext() returns them) and `Set::iter` (every member as bytes).
//!
//! SPOP and SRANDMEMBER pick at random, so what they do is propagated to
//! replicas and the AOF, not the command: SPOP as SREM (or DEL when it
//! empties the set), as 5.0 does.

use crate::sds::Sds;
use std::borrow::Cow;

use crate::db::*;
use crate::dict::{Dict, DictIter};
use crate::intset::{Intset, IntsetIter};
use crate::networking::*;
use crate::notify::notify_keyspace_event;
use crate::object::*;
use crate::server::*;
use crate::shared::{
    CONE, CZERO, EMPTYMULTIBULK, EMPTYSCAN, NULLBULK, OUTOFRANGEERR, SYNTAXERR,
    WRONGTYPEERR,
};
use crate::t_string::check_type;

// -----------------------------------------------------------------------------
// The set value
// -----------------------------------------------------------------------------

/// A member of a hash-table encoded set (C: an sds key with a NULL value).
pub(crate) type SetSds = crate::sds::Sds;

/// The dict of a hash-table encoded set (C: `dict` with `setDictType`).
pub(crate) type SetDict = Dict<SetSds, ()>;

/// The value of a key of type set (C: the `ptr` of an OBJ_SET robj). The
/// variant is the encoding; the `RObj` says the same in `encoding`.
pub(crate) enum Set {
    /// OBJ_ENCODING_INTSET.
    Intset(Intset),
    /// OBJ_ENCODING_HT. Boxed so that small sets do not pay for the
    /// dict's two tables.
    Ht(Box<SetDict>),
}

/// One member as setTypeNext() returns it: an integer from an intset, or
/// the bytes of a dict key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetEle<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl SetEle<'_> {
    /// The member as bytes (an integer in decimal).
    pub(crate) fn as_bytes(&self) -> Cow<'_, [u8]> {
        match *self {
            SetEle::Int(v) => Cow::Owned(ll2string(v)),
            SetEle::Str(s) => Cow::Borrowed(s),
        }
    }

    /// The member as a new string.
    ///
    /// C: t_set.c setTypeNextObject()
    #[allow(clippy::wrong_self_convention)] // `SetEle` is Copy; C's name
    pub fn to_vec(&self) -> Vec<u8> {
        match *self {
            SetEle::Int(v) => ll2string(v),
            SetEle::Str(s) => s.to_vec(),
        }
    }
}

impl Set {
    /// An empty hash-table set (the `ptr` of createSetObject()).
    pub(crate) fn new_ht() -> Set {
        Set::Ht(Box::default())
    }

    /// An empty intset (the `ptr` of createIntsetObject()).
    pub(crate) fn new_intset() -> Set {
        Set::Intset(Intset::intset_new())
    }

    /// The number of members (what `set_type_size` returns).
    pub(crate) fn len(&self) -> usize {
        match self {
            Set::Intset(is) => is.intset_len() as usize,
            Set::Ht(d) => d.dict_size(),
        }
    }

    /// Whether `value` is a member, without the rehash step of dictFind()
    /// (a shared borrow cannot move buckets); see `set_type_is_member`.
    pub(crate) fn is_member(&self, value: &[u8]) -> bool {
        match self {
            Set::Ht(d) => d.find(value).is_some(),
            Set::Intset(is) => {
                string2ll(value).is_some_and(|v| is.intset_find(v))
            }
        }
    }

    /// The members in the encoding's order (ascending for an intset, the
    /// dict's bucket order otherwise), integers kept as integers.
    ///
    /// C: t_set.c setTypeInitIterator()
    pub(crate) fn elements(&self) -> SetIter<'_> {
        match self {
            Set::Intset(is) => SetIter::Intset(is.iter()),
            Set::Ht(d) => SetIter::Ht(d.iter()),
        }
    }

    /// The members as byte strings, for code outside t_set.rs (DEBUG
    /// DIGEST, RDB saving, SORT, ZUNIONSTORE). (no C twin: C loops on
    /// setTypeNextObject())
    pub fn iter(&self) -> impl Iterator<Item = Cow<'_, [u8]>> + '_ {
        self.elements().map(|e| match e {
            SetEle::Int(v) => Cow::Owned(ll2string(v)),
            SetEle::Str(s) => Cow::Borrowed(s),
        })
    }
}

impl Clone for Set {
    fn clone(&self) -> Self {
        match self {
            Set::Intset(is) => Set::Intset(is.clone()),
            Set::Ht(d) => {
                let mut n = SetDict::new();
                let _ = n.dict_expand(d.dict_size());
                for de in d.iter() {
                    let _ = n.dict_add(de.key().clone(), ());
                }
                Set::Ht(Box::new(n))
            }
        }
    }
}

impl std::fmt::Debug for Set {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set()
            .entries(
                self.iter().map(|e| String::from_utf8_lossy(&e).into_owned()),
            )
            .finish()
    }
}

/// A walk over the members of a set, from `Set::elements`. The borrow
/// checker stands in for C's rule that the set must not change while it
/// is walked; dropping the iterator is setTypeReleaseIterator().
///
/// C: server.h setTypeIterator; t_set.c setTypeReleaseIterator()
pub(crate) enum SetIter<'a> {
    Intset(IntsetIter<'a>),
    Ht(DictIter<'a, SetSds, ()>),
}

impl<'a> Iterator for SetIter<'a> {
    type Item = SetEle<'a>;

    /// Move to the next entry in the set and return it, or `None` when
    /// there are no more elements.
    ///
    /// C: t_set.c setTypeNext()
    fn next(&mut self) -> Option<SetEle<'a>> {
        match self {
            SetIter::Intset(it) => it.next().map(SetEle::Int),
            SetIter::Ht(it) => it.next().map(|de| SetEle::Str(&de.key()[..])),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            SetIter::Intset(it) => it.size_hint(),
            SetIter::Ht(it) => it.size_hint(),
        }
    }
}

/// The set inside `o`. A non-set here is a bug: every caller checked the
/// type first. (no C twin: C casts `o->ptr`)
pub(crate) fn set_ref(o: &RObj) -> &Set {
    match &o.ptr {
        Value::Set(s) => s,
        _ => unreachable!("not a set: the caller checks the type first"),
    }
}

/// `set_ref`, mutably. (no C twin)
fn set_mut(o: &mut RObj) -> &mut Set {
    match &mut o.ptr {
        Value::Set(s) => s,
        _ => unreachable!("not a set: the caller checks the type first"),
    }
}

// -----------------------------------------------------------------------------
// Set Commands
// -----------------------------------------------------------------------------

/// Factory method to return a set that *can* hold "value". When the object
/// has an integer-encodable value, an intset will be returned. Otherwise a
/// regular hash table.
///
/// C: t_set.c setTypeCreate()
pub(crate) fn set_type_create(lru: u32, value: &[u8]) -> RObj {
    if string2ll(value).is_some() {
        return create_intset_object(lru);
    }
    create_set_object(lru)
}

/// Add the specified value into a set. If the value was already member of
/// the set, nothing is done and false is returned, otherwise the new
/// element is added and true is returned. The server's
/// `set_max_intset_entries` is passed in, because `subject` borrows the
/// server.
///
/// C: t_set.c setTypeAdd()
pub(crate) fn set_type_add(
    subject: &mut RObj,
    value: &[u8],
    set_max_intset_entries: usize,
) -> bool {
    match set_mut(subject) {
        Set::Ht(d) => d.dict_add(value.into(), ()).is_ok(),
        Set::Intset(is) => {
            if let Some(llval) = string2ll(value) {
                if is.intset_add(llval) {
                    // Convert to regular set when the intset contains too
                    // many entries; limit to 1G entries due to intset
                    // internals.
                    let max_entries = set_max_intset_entries.min(1 << 30);
                    if is.intset_len() as usize > max_entries {
                        set_type_convert(subject, OBJ_ENCODING_HT);
                    }
                    return true;
                }
                false
            } else {
                // Failed to get integer from object, convert to regular set.
                set_type_convert(subject, OBJ_ENCODING_HT);

                // The set *was* an intset and this value is not integer
                // encodable, so dictAdd should always work.
                let Set::Ht(d) = set_mut(subject) else {
                    unreachable!("just converted")
                };
                let added = d.dict_add(value.into(), ()).is_ok();
                assert!(added, "setTypeAdd: dictAdd after conversion failed");
                true
            }
        }
    }
}

/// Removes `value` from the set. Returns whether it was a member.
///
/// C: t_set.c setTypeRemove()
pub(crate) fn set_type_remove(setobj: &mut RObj, value: &[u8]) -> bool {
    match set_mut(setobj) {
        Set::Ht(d) => {
            if d.dict_delete(value) {
                if d.ht_needs_resize() {
                    let _ = d.dict_resize();
                }
                return true;
            }
            false
        }
        Set::Intset(is) => match string2ll(value) {
            Some(llval) => is.intset_remove(llval),
            None => false,
        },
    }
}

/// Whether `value` is a member. The dict lookup makes a rehash step, as
/// dictFind() does.
///
/// C: t_set.c setTypeIsMember()
pub(crate) fn set_type_is_member(subject: &mut RObj, value: &[u8]) -> bool {
    match set_mut(subject) {
        Set::Ht(d) => d.dict_find(value).is_some(),
        Set::Intset(is) => string2ll(value).is_some_and(|v| is.intset_find(v)),
    }
}

/// Return random element from a non empty set: an integer if the set is
/// an intset, a borrowed member otherwise.
///
/// C: t_set.c setTypeRandomElement()
pub(crate) fn set_type_random_element(setobj: &mut RObj) -> SetEle<'_> {
    match set_mut(setobj) {
        Set::Ht(d) => {
            let de = d
                .dict_get_random_key()
                .expect("setTypeRandomElement on an empty set");
            SetEle::Str(&de.key()[..])
        }
        Set::Intset(is) => SetEle::Int(is.intset_random()),
    }
}

/// C: t_set.c setTypeSize()
pub(crate) fn set_type_size(subject: &RObj) -> usize {
    set_ref(subject).len()
}

/// Convert the set to specified encoding. The resulting dict (when
/// converting to a hash table) is presized to hold the number of elements
/// in the original set.
///
/// C: t_set.c setTypeConvert()
pub(crate) fn set_type_convert(setobj: &mut RObj, enc: u8) {
    assert!(
        setobj.obj_type() == OBJ_SET && setobj.encoding == OBJ_ENCODING_INTSET,
        "setTypeConvert: not an intset"
    );

    if enc == OBJ_ENCODING_HT {
        let Set::Intset(is) = set_ref(setobj) else {
            return;
        };
        let mut d = SetDict::new();

        // Presize the dict to avoid rehashing
        let _ = d.dict_expand(is.intset_len() as usize);

        // To add the elements we extract integers and create strings
        for intele in is.iter() {
            let added = d.dict_add(ll2string(intele).into(), ()).is_ok();
            assert!(added, "setTypeConvert: duplicate in intset");
        }

        setobj.encoding = OBJ_ENCODING_HT;
        *set_mut(setobj) = Set::Ht(Box::new(d));
    } else {
        unreachable!("Unsupported set conversion");
    }
}

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

/// The set at `key` after a lookup that already checked it, without
/// touching it again. (no C twin: C keeps the robj pointer; here the
/// borrow of the server had to end in between)
fn set_at<'a>(
    server: &'a mut RedisServer,
    dbid: usize,
    key: &[u8],
) -> &'a mut RObj {
    match lookup_key(server, dbid, key, LOOKUP_NOTOUCH) {
        Some(o) => o,
        None => unreachable!("the set was looked up just before"),
    }
}

/// SADD key member [member ...]
///
/// C: t_set.c saddCommand()
pub(crate) fn sadd_command(server: &mut RedisServer, c: &mut Client) {
    with_argv(c, |c, argv| {
        let dbid = c.db;
        let (lru, max) = (
            crate::object::new_object_lru(server),
            server.set_max_intset_entries,
        );
        // Two lookups where C has one when the key exists: the borrow
        // checker cannot hand out the found reference and let the other
        // branch add the key.
        match lookup_key_write(server, dbid, &argv[1]) {
            None => {
                db_add(server, dbid, &argv[1], set_type_create(lru, &argv[2]))
            }
            Some(set) if set.obj_type() != OBJ_SET => {
                add_reply(c, WRONGTYPEERR);
                return;
            }
            Some(_) => {}
        }
        let set = set_at(server, dbid, &argv[1]);

        let mut added = 0;
        for ele in &argv[2..] {
            if set_type_add(set, ele, max) {
                added += 1;
            }
        }
        if added != 0 {
            signal_modified_key(server, dbid, &argv[1]);
            notify_keyspace_event(
                server,
                NOTIFY_SET,
                "sadd",
                &argv[1],
                dbid as i32,
            );
        }
        server.dirty += added;
        add_reply_long_long(c, added);
    })
}

/// SREM key member [member ...]
///
/// C: t_set.c sremCommand()
pub(crate) fn srem_command(server: &mut RedisServer, c: &mut Client) {
    with_argv(c, |c, argv| {
        let dbid = c.db;
        let Some(set) = lookup_key_write_or_reply(server, c, &argv[1], CZERO)
        else {
            return;
        };
        if check_type(c, set, OBJ_SET) {
            return;
        }

        let mut deleted = 0;
        let mut keyremoved = false;
        for ele in &argv[2..] {
            if set_type_remove(set, ele) {
                deleted += 1;
                if set_type_size(set) == 0 {
                    keyremoved = true;
                    break;
                }
            }
        }
        if keyremoved {
            db_delete(server, dbid, &argv[1]);
        }
        if deleted != 0 {
            signal_modified_key(server, dbid, &argv[1]);
            notify_keyspace_event(
                server,
                NOTIFY_SET,
                "srem",
                &argv[1],
                dbid as i32,
            );
            if keyremoved {
                notify_keyspace_event(
                    server,
                    NOTIFY_GENERIC,
                    "del",
                    &argv[1],
                    dbid as i32,
                );
            }
            server.dirty += deleted;
        }
        add_reply_long_long(c, deleted);
    })
}

/// SMOVE source destination member
///
/// C: t_set.c smoveCommand()
pub(crate) fn smove_command(server: &mut RedisServer, c: &mut Client) {
    with_argv(c, |c, argv| {
        let dbid = c.db;
        let (lru, max) = (
            crate::object::new_object_lru(server),
            server.set_max_intset_entries,
        );
        let (src, dst, ele) = (&argv[1], &argv[2], &argv[3]);
        let srctype = lookup_key_write(server, dbid, src).map(|o| o.obj_type());
        let dsttype = lookup_key_write(server, dbid, dst).map(|o| o.obj_type());

        // If the source key does not exist return 0
        let Some(srctype) = srctype else {
            add_reply(c, CZERO);
            return;
        };

        // If the source key has the wrong type, or the destination key is
        // set and has the wrong type, return with an error.
        if srctype != OBJ_SET || dsttype.is_some_and(|t| t != OBJ_SET) {
            add_reply(c, WRONGTYPEERR);
            return;
        }

        // If srcset and dstset are equal, SMOVE is a no-op. (C compares the
        // objects; two keys never share a set, so comparing names is the
        // same.)
        if src == dst {
            let member = set_type_is_member(set_at(server, dbid, src), ele);
            add_reply(c, if member { CONE } else { CZERO });
            return;
        }

        // If the element cannot be removed from the src set, return 0.
        let srcset = set_at(server, dbid, src);
        if !set_type_remove(srcset, ele) {
            add_reply(c, CZERO);
            return;
        }
        let src_empty = set_type_size(srcset) == 0;
        notify_keyspace_event(server, NOTIFY_SET, "srem", src, dbid as i32);

        // Remove the src set from the database when empty
        if src_empty {
            db_delete(server, dbid, src);
            notify_keyspace_event(
                server,
                NOTIFY_GENERIC,
                "del",
                src,
                dbid as i32,
            );
        }

        // Create the destination set when it doesn't exist
        if dsttype.is_none() {
            db_add(server, dbid, dst, set_type_create(lru, ele));
        }

        signal_modified_key(server, dbid, src);
        signal_modified_key(server, dbid, dst);
        server.dirty += 1;

        // An extra key has changed when ele was successfully added to dstset
        if set_type_add(set_at(server, dbid, dst), ele, max) {
            server.dirty += 1;
            notify_keyspace_event(server, NOTIFY_SET, "sadd", dst, dbid as i32);
        }
        add_reply(c, CONE);
    })
}

/// SISMEMBER key member
///
/// C: t_set.c sismemberCommand()
pub(crate) fn sismember_command(server: &mut RedisServer, c: &mut Client) {
    with_argv(c, |c, argv| {
        let Some(set) = lookup_key_read_or_reply(server, c, &argv[1], CZERO)
        else {
            return;
        };
        if check_type(c, set, OBJ_SET) {
            return;
        }
        if set_type_is_member(set, &argv[2]) {
            add_reply(c, CONE);
        } else {
            add_reply(c, CZERO);
        }
    })
}

/// SCARD key
///
/// C: t_set.c scardCommand()
pub(crate) fn scard_command(server: &mut RedisServer, c: &mut Client) {
    with_argv(c, |c, argv| {
        let Some(o) = lookup_key_read_or_reply(server, c, &argv[1], CZERO)
        else {
            return;
        };
        if check_type(c, o, OBJ_SET) {
            return;
        }
        let size = set_type_size(o);
        add_reply_long_long(c, size as i64);
    })
}

/// How many times bigger should be the set compared to the remaining size
/// for us to use the "create new set" strategy? Read later in the
/// implementation for more info.
///
/// C: t_set.c SPOP_MOVE_STRATEGY_MUL
const SPOP_MOVE_STRATEGY_MUL: u64 = 5;

/// Handle the "SPOP key <count>" variant. The normal version of the
/// command is handled by the spopCommand() function itself.
///
/// C: t_set.c spopWithCountCommand()
fn spop_with_count_command(
    server: &mut RedisServer,
    c: &mut Client,
    argv: &mut Vec<Vec<u8>>,
) {
    let dbid = c.db;

    // Get the count argument
    let Some(l) = get_long_from_object_or_reply(c, &argv[2], None) else {
        return;
    };
    let mut count = if l >= 0 {
        l as u64
    } else {
        add_reply(c, OUTOFRANGEERR);
        return;
    };

    // Make sure a key with the name inputted exists, and that it's type is
    // indeed a set. Otherwise, return nil
    let Some(set) =
        lookup_key_read_or_reply(server, c, &argv[1], EMPTYMULTIBULK)
    else {
        return;
    };
    if check_type(c, set, OBJ_SET) {
        return;
    }

    // If count is zero, serve an empty multibulk ASAP to avoid special
    // cases later.
    if count == 0 {
        add_reply(c, EMPTYMULTIBULK);
        return;
    }

    let size = set_type_size(set) as u64;

    // Generate an SPOP keyspace notification
    notify_keyspace_event(server, NOTIFY_SET, "spop", &argv[1], dbid as i32);
    server.dirty += count as i64;

    // CASE 1:
    // The number of requested elements is greater than or equal to the
    // number of elements inside the set: simply return the whole set.
    if count >= size {
        // We just return the entire set
        sunion_diff_generic_command(server, c, &argv[1..2], None, SET_OP_UNION);

        // Delete the set as it is now empty
        db_delete(server, dbid, &argv[1]);
        notify_keyspace_event(
            server,
            NOTIFY_GENERIC,
            "del",
            &argv[1],
            dbid as i32,
        );

        // Propagate this command as an DEL operation
        let key = std::mem::take(&mut argv[1]);
        *argv = vec![b"DEL".to_vec(), key];
        signal_modified_key(server, dbid, &argv[1]);
        server.dirty += 1;
        return;
    }

    // Case 2 and 3 require to replicate SPOP as a set of SREM commands.
    // Prepare our replication argument vector. Also send the array length
    // which is common to both the code paths.
    add_reply_multi_bulk_len(c, count as i64);

    // The elements to propagate as SREMs, in reply order. (C calls
    // alsoPropagate() for each as it goes; the set borrows the server, so
    // they are queued after the loop, in the same order.)
    let mut popped: Vec<Vec<u8>> = Vec::with_capacity(count as usize);
    let mut remaining = size - count; // Elements left after SPOP.
    let max = server.set_max_intset_entries;
    let lru = crate::object::new_object_lru(server);

    // If we are here, the number of requested elements is less than the
    // number of elements inside the set. Also we are sure that count <
    // size. Use two different strategies.
    //
    // CASE 2: The number of elements to return is small compared to the
    // set size. We can just extract random elements and return them to the
    // set.
    if remaining * SPOP_MOVE_STRATEGY_MUL > count {
        let set = set_at(server, dbid, &argv[1]);
        while count > 0 {
            count -= 1;
            // Emit and remove.
            let objele = match set_type_random_element(set) {
                SetEle::Int(llele) => {
                    add_reply_bulk_long_long(c, llele);
                    if let Set::Intset(is) = set_mut(set) {
                        is.intset_remove(llele);
                    }
                    ll2string(llele)
                }
                SetEle::Str(sdsele) => {
                    add_reply_bulk_c_buffer(c, sdsele);
                    let objele = sdsele.to_vec();
                    set_type_remove(set, &objele);
                    objele
                }
            };
            popped.push(objele);
        }
    } else {
        // CASE 3: The number of elements to return is very big, approaching
        // the size of the set itself. After some time extracting random
        // elements from such a set becomes computationally expensive, so we
        // use a different strategy, we extract random elements that we
        // don't want to return (the elements that will remain part of the
        // set), creating a new set as we do this (that will be stored as
        // the original set). Then we return the elements left in the
        // original set and release it.
        let set = set_at(server, dbid, &argv[1]);
        let mut newset: Option<RObj> = None;

        // Create a new set with just the remaining elements.
        while remaining > 0 {
            remaining -= 1;
            let sdsele = set_type_random_element(set).to_vec();
            let ns =
                newset.get_or_insert_with(|| set_type_create(lru, &sdsele));
            set_type_add(ns, &sdsele, max);
            set_type_remove(set, &sdsele);
        }

        // Transfer the old set to the client.
        for ele in set_ref(set).elements() {
            match ele {
                SetEle::Int(llele) => add_reply_bulk_long_long(c, llele),
                SetEle::Str(sdsele) => add_reply_bulk_c_buffer(c, sdsele),
            }
            popped.push(ele.to_vec());
        }

        // Assign the new set as the key value.
        if let Some(newset) = newset {
            db_overwrite(server, dbid, &argv[1], newset);
        }
    }

    // Replicate/AOF this command as a series of SREM operations.
    if let Some(srem) = lookup_command(server, b"srem") {
        for objele in popped {
            let propargv = vec![b"SREM".to_vec(), argv[1].clone(), objele];
            also_propagate(
                server,
                srem,
                dbid,
                propargv,
                PROPAGATE_AOF | PROPAGATE_REPL,
            );
        }
    }

    // Don't propagate the command itself even if we incremented the dirty
    // counter. We don't want to propagate an SPOP command since we
    // propagated the command as a set of SREMs operations using the
    // alsoPropagate() API.
    prevent_command_propagation(c);
    signal_modified_key(server, dbid, &argv[1]);
    server.dirty += 1;
}

/// SPOP key [count]
///
/// C: t_set.c spopCommand()
pub(crate) fn spop_command(server: &mut RedisServer, c: &mut Client) {
    with_argv(c, |c, argv| {
        if argv.len() == 3 {
            spop_with_count_command(server, c, argv);
            return;
        } else if argv.len() > 3 {
            add_reply(c, SYNTAXERR);
            return;
        }
        let dbid = c.db;

        // Make sure a key with the name inputted exists, and that it's type
        // is indeed a set
        let Some(set) =
            lookup_key_write_or_reply(server, c, &argv[1], NULLBULK)
        else {
            return;
        };
        if check_type(c, set, OBJ_SET) {
            return;
        }

        // Get a random element from the set, and remove it from the set
        let ele = match set_type_random_element(set) {
            SetEle::Int(llele) => {
                if let Set::Intset(is) = set_mut(set) {
                    is.intset_remove(llele);
                }
                ll2string(llele)
            }
            SetEle::Str(sdsele) => {
                let ele = sdsele.to_vec();
                set_type_remove(set, &ele);
                ele
            }
        };
        let empty = set_type_size(set) == 0;

        notify_keyspace_event(
            server,
            NOTIFY_SET,
            "spop",
            &argv[1],
            dbid as i32,
        );

        // Add the element to the reply
        add_reply_bulk(c, &ele);

        // Replicate/AOF this command as an SREM operation
        let key = std::mem::take(&mut argv[1]);
        *argv = vec![b"SREM".to_vec(), key, ele];

        // Delete the set if it's empty
        if empty {
            db_delete(server, dbid, &argv[1]);
            notify_keyspace_event(
                server,
                NOTIFY_GENERIC,
                "del",
                &argv[1],
                dbid as i32,
            );
        }

        // Set has been modified
        signal_modified_key(server, dbid, &argv[1]);
        server.dirty += 1;
    })
}

/// How many times bigger should be the set compared to the requested size
/// for us to don't use the "remove elements" strategy? Read later in the
/// implementation for more info.
///
/// C: t_set.c SRANDMEMBER_SUB_STRATEGY_MUL
const SRANDMEMBER_SUB_STRATEGY_MUL: u64 = 3;

/// Handle the "SRANDMEMBER key <count>" variant. The normal version of the
/// command is handled by the srandmemberCommand() function itself.
///
/// C: t_set.c srandmemberWithCountCommand()
fn srandmember_with_count_command(
    server: &mut RedisServer,
    c: &mut Client,
    argv: &[Vec<u8>],
) {
    let Some(l) = get_long_from_object_or_reply(c, &argv[2], None) else {
        return;
    };
    let (mut count, uniq) = if l >= 0 {
        (l as u64, true)
    } else {
        // A negative count means: return the same elements multiple times
        // (i.e. don't remove the extracted element after every
        // extraction). As in C, LONG_MIN gives 2^63.
        (l.unsigned_abs(), false)
    };

    let Some(set) =
        lookup_key_read_or_reply(server, c, &argv[1], EMPTYMULTIBULK)
    else {
        return;
    };
    if check_type(c, set, OBJ_SET) {
        return;
    }
    let mut size = set_type_size(set) as u64;

    // If count is zero, serve it ASAP to avoid special cases later.
    if count == 0 {
        add_reply(c, EMPTYMULTIBULK);
        return;
    }

    // CASE 1: The count was negative, so the extraction method is just:
    // "return N random elements" sampling the whole set every time. This
    // case is trivial and can be served without auxiliary data structures.
    if !uniq {
        add_reply_multi_bulk_len(c, count as i64);
        while count > 0 {
            count -= 1;
            match set_type_random_element(set) {
                SetEle::Int(llele) => add_reply_bulk_long_long(c, llele),
                SetEle::Str(ele) => add_reply_bulk_c_buffer(c, ele),
            }
        }
        return;
    }

    // CASE 2: The number of requested elements is greater than the number
    // of elements inside the set: simply return the whole set.
    if count >= size {
        sunion_diff_generic_command(server, c, &argv[1..2], None, SET_OP_UNION);
        return;
    }

    // For CASE 3 and CASE 4 we need an auxiliary dictionary.
    let mut d = SetDict::new();

    // CASE 3: The number of elements inside the set is not greater than
    // SRANDMEMBER_SUB_STRATEGY_MUL times the number of requested elements.
    // In this case we create a set from scratch with all the elements, and
    // subtract random elements to reach the requested number of elements.
    //
    // This is done because if the number of requested elements is just a
    // bit less than the number of elements in the set, the natural
    // approach used into CASE 4 is highly inefficient.
    if count * SRANDMEMBER_SUB_STRATEGY_MUL > size {
        // Add all the elements into the temporary dictionary.
        for ele in set_ref(set).elements() {
            let added = d.dict_add(Sds::from(&*ele.as_bytes()), ()).is_ok();
            assert!(added, "srandmember: duplicate set member");
        }
        assert_eq!(d.dict_size() as u64, size);

        // Remove random elements to reach the right count.
        while size > count {
            let Some(key) = d.dict_get_random_key().map(|de| de.key().clone())
            else {
                break;
            };
            d.dict_delete(&key);
            size -= 1;
        }
    } else {
        // CASE 4: We have a big set compared to the requested number of
        // elements. In this case we can simply get random elements from the
        // set and add to the temporary set, trying to eventually get enough
        // unique elements to reach the specified count.
        let mut added = 0;
        while added < count {
            let objele = Sds::from(&*set_type_random_element(set).as_bytes());
            // Try to add the object to the dictionary. If it already exists
            // it is dropped, otherwise increment the number of objects we
            // have in the result dictionary.
            if d.dict_add(objele, ()).is_ok() {
                added += 1;
            }
        }
    }

    // CASE 3 & 4: send the result to the user.
    add_reply_multi_bulk_len(c, count as i64);
    for de in d.iter() {
        add_reply_bulk(c, de.key());
    }
}

/// SRANDMEMBER key [count]
///
/// C: t_set.c srandmemberCommand()
pub(crate) fn srandmember_command(server: &mut RedisServer, c: &mut Client) {
    with_argv(c, |c, argv| {
        if argv.len() == 3 {
            srandmember_with_count_command(server, c, argv);
            return;
        } else if argv.len() > 3 {
            add_reply(c, SYNTAXERR);
            return;
        }

        let Some(set) = lookup_key_read_or_reply(server, c, &argv[1], NULLBULK)
        else {
            return;
        };
        if check_type(c, set, OBJ_SET) {
            return;
        }

        match set_type_random_element(set) {
            SetEle::Int(llele) => add_reply_bulk_long_long(c, llele),
            SetEle::Str(ele) => add_reply_bulk_c_buffer(c, ele),
        }
    })
}

/// Orders sets by ascending cardinality (a stable sort, as glibc's
/// merge-sort qsort is).
///
/// C: t_set.c qsortCompareSetsByCardinality()
fn qsort_compare_sets_by_cardinality(
    s1: &&RObj,
    s2: &&RObj,
) -> std::cmp::Ordering {
    set_type_size(s1).cmp(&set_type_size(s2))
}

/// This is used by SDIFF and in this case we can receive `None` that
/// should be handled as empty sets: orders by descending cardinality.
///
/// C: t_set.c qsortCompareSetsByRevCardinality()
fn qsort_compare_sets_by_rev_cardinality(
    s1: &Option<&RObj>,
    s2: &Option<&RObj>,
) -> std::cmp::Ordering {
    let first = s1.map_or(0, set_type_size);
    let second = s2.map_or(0, set_type_size);
    second.cmp(&first)
}

/// Looks up every key of `setkeys` as the C loop does (for writing when
/// there is a destination key, for reading otherwise), so that expiry,
/// access times and hit/miss statistics are the same. Returns, per key,
/// whether it exists, or `Err` after replying WRONGTYPE. (no C twin: the
/// first half of C's lookup loops; the sets are then borrowed together
/// through `sets_of`)
fn lookup_sets(
    server: &mut RedisServer,
    c: &mut Client,
    setkeys: &[Vec<u8>],
    dstkey: Option<&[u8]>,
    stop_at_missing: bool,
) -> CResult<Vec<bool>> {
    let mut found = Vec::with_capacity(setkeys.len());
    for key in setkeys {
        let setobj = if dstkey.is_some() {
            lookup_key_write(server, c.db, key)
        } else {
            lookup_key_read(server, c, key)
        };
        match setobj {
            None => {
                found.push(false);
                if stop_at_missing {
                    break;
                }
            }
            Some(setobj) => {
                if check_type(c, setobj, OBJ_SET) {
                    return Err(CErr);
                }
                found.push(true);
            }
        }
    }
    Ok(found)
}

/// The sets `lookup_sets` found, borrowed all at once, without touching
/// them again. (no C twin)
fn sets_of<'a>(
    server: &'a RedisServer,
    dbid: usize,
    setkeys: &[Vec<u8>],
    found: &[bool],
) -> Vec<Option<&'a RObj>> {
    setkeys
        .iter()
        .zip(found)
        .map(|(key, &f)| {
            if f {
                server.db[dbid].dict.find(key).map(|de| de.val())
            } else {
                None
            }
        })
        .collect()
}

/// SINTER, SINTERSTORE and SMEMBERS: iterate the smallest set and keep the
/// members every other set has.
///
/// C: t_set.c sinterGenericCommand()
fn sinter_generic_command(
    server: &mut RedisServer,
    c: &mut Client,
    setkeys: &[Vec<u8>],
    dstkey: Option<&[u8]>,
) {
    let dbid = c.db;
    let (lru, max) =
        (crate::object::new_object_lru(server), server.set_max_intset_entries);
    let Ok(found) = lookup_sets(server, c, setkeys, dstkey, true) else {
        return;
    };
    if found.iter().any(|f| !f) {
        if let Some(dstkey) = dstkey {
            if db_delete(server, dbid, dstkey) {
                signal_modified_key(server, dbid, dstkey);
                server.dirty += 1;
            }
            add_reply(c, CZERO);
        } else {
            add_reply(c, EMPTYMULTIBULK);
        }
        return;
    }
    let mut sets: Vec<&RObj> =
        sets_of(server, dbid, setkeys, &found).into_iter().flatten().collect();
    if sets.len() != setkeys.len() {
        // Cannot happen: every key was just found.
        add_reply(c, EMPTYMULTIBULK);
        return;
    }

    // Sort sets from the smallest to largest, this will improve our
    // algorithm's performance
    sets.sort_by(qsort_compare_sets_by_cardinality);

    // The first thing we should output is the total number of elements...
    // since this is a multi-bulk write, but at this stage we don't know the
    // intersection set size, so we use a trick, append an empty object to
    // the output list and save the pointer to later modify it with the
    // right length
    let mut replylen = None;
    let mut dstset = None;
    if dstkey.is_none() {
        replylen = add_deferred_multi_bulk_length(c);
    } else {
        // If we have a target key where to store the resulting set create
        // this key with an empty set inside
        dstset = Some(create_intset_object(lru));
    }

    // Iterate all the elements of the first (smallest) set, and test the
    // element against all the other sets, if at least one set does not
    // include the element it is discarded
    let mut cardinality = 0;
    for ele in set_ref(sets[0]).elements() {
        let mut j = 1;
        while j < sets.len() {
            if std::ptr::eq(sets[j], sets[0]) {
                j += 1;
                continue;
            }
            // Divergence from C: the membership tests below borrow the
            // sets together, so they make no dictFind() rehash step.
            let other = set_ref(sets[j]);
            match (ele, other) {
                // intset with intset is simple... and fast
                (SetEle::Int(intobj), Set::Intset(is)) => {
                    if !is.intset_find(intobj) {
                        break;
                    }
                }
                // in order to compare an integer with an object we have to
                // use the generic function, creating a string for this
                (SetEle::Int(intobj), Set::Ht(_)) => {
                    if !other.is_member(&ll2string(intobj)) {
                        break;
                    }
                }
                (SetEle::Str(elesds), _) => {
                    if !other.is_member(elesds) {
                        break;
                    }
                }
            }
            j += 1;
        }

        // Only take action when all sets contain the member
        if j == sets.len() {
            match dstset.as_mut() {
                None => {
                    match ele {
                        SetEle::Str(elesds) => {
                            add_reply_bulk_c_buffer(c, elesds)
                        }
                        SetEle::Int(intobj) => {
                            add_reply_bulk_long_long(c, intobj)
                        }
                    }
                    cardinality += 1;
                }
                Some(dstset) => {
                    set_type_add(dstset, &ele.as_bytes(), max);
                }
            }
        }
    }
    drop(sets);

    if let (Some(dstkey), Some(dstset)) = (dstkey, dstset) {
        // Store the resulting set into the target, if the intersection is
        // not an empty set.
        let deleted = db_delete(server, dbid, dstkey);
        let size = set_type_size(&dstset);
        if size > 0 {
            db_add(server, dbid, dstkey, dstset);
            add_reply_long_long(c, size as i64);
            notify_keyspace_event(
                server,
                NOTIFY_SET,
                "sinterstore",
                dstkey,
                dbid as i32,
            );
        } else {
            add_reply(c, CZERO);
            if deleted {
                notify_keyspace_event(
                    server,
                    NOTIFY_GENERIC,
                    "del",
                    dstkey,
                    dbid as i32,
                );
            }
        }
        signal_modified_key(server, dbid, dstkey);
        server.dirty += 1;
    } else {
        set_deferred_multi_bulk_length(c, replylen, cardinality);
    }
}

/// SINTER key [key ...], and SMEMBERS key.
///
/// C: t_set.c sinterCommand()
pub(crate) fn sinter_command(server: &mut RedisServer, c: &mut Client) {
    with_argv(c, |c, argv| sinter_generic_command(server, c, &argv[1..], None))
}

/// SINTERSTORE destination key [key ...]
///
/// C: t_set.c sinterstoreCommand()
pub(crate) fn sinterstore_command(server: &mut RedisServer, c: &mut Client) {
    with_argv(c, |c, argv| {
        sinter_generic_command(server, c, &argv[2..], Some(&argv[1]))
    })
}

pub(crate) const SET_OP_UNION: i32 = 0;
pub(crate) const SET_OP_DIFF: i32 = 1;
#[allow(dead_code)] // kept so the set reads whole beside C
pub(crate) const SET_OP_INTER: i32 = 2;

/// SUNION, SDIFF and their STORE forms: build the result in a temporary
/// set, then reply it or store it.
///
/// C: t_set.c sunionDiffGenericCommand()
fn sunion_diff_generic_command(
    server: &mut RedisServer,
    c: &mut Client,
    setkeys: &[Vec<u8>],
    dstkey: Option<&[u8]>,
    op: i32,
) {
    let dbid = c.db;
    let (lru, max) =
        (crate::object::new_object_lru(server), server.set_max_intset_entries);
    let Ok(found) = lookup_sets(server, c, setkeys, dstkey, false) else {
        return;
    };
    let mut sets: Vec<Option<&RObj>> = sets_of(server, dbid, setkeys, &found);
    let setnum = sets.len();
    let mut diff_algo = 1;

    // Select what DIFF algorithm to use.
    //
    // Algorithm 1 is O(N*M) where N is the size of the element first set
    // and M the total number of sets.
    //
    // Algorithm 2 is O(N) where N is the total number of elements in all
    // the sets.
    //
    // We compute what is the best bet with the current input here.
    if op == SET_OP_DIFF {
        if let Some(first) = sets[0] {
            let mut algo_one_work: i64 = 0;
            let mut algo_two_work: i64 = 0;
            for s in sets.iter().flatten() {
                algo_one_work += set_type_size(first) as i64;
                algo_two_work += set_type_size(s) as i64;
            }

            // Algorithm 1 has better constant times and performs less
            // operations if there are elements in common. Give it some
            // advantage.
            algo_one_work /= 2;
            diff_algo = if algo_one_work <= algo_two_work { 1 } else { 2 };

            if diff_algo == 1 && setnum > 1 {
                // With algorithm 1 it is better to order the sets to
                // subtract by decreasing size, so that we are more likely
                // to find duplicated elements ASAP.
                sets[1..].sort_by(qsort_compare_sets_by_rev_cardinality);
            }
        }
    }

    // We need a temp set object to store our union. If the dstkey is not
    // None (that is, we are inside an SUNIONSTORE operation) then this set
    // object will be the resulting object to set into the target key
    let mut dstset = create_intset_object(lru);
    let mut cardinality: i64 = 0;

    if op == SET_OP_UNION {
        // Union is trivial, just add every element of every set to the
        // temporary set.
        for s in sets.iter().flatten() {
            // non existing keys are like empty sets
            for ele in set_ref(s).elements() {
                if set_type_add(&mut dstset, &ele.as_bytes(), max) {
                    cardinality += 1;
                }
            }
        }
    } else if op == SET_OP_DIFF && sets[0].is_some() && diff_algo == 1 {
        // DIFF Algorithm 1:
        //
        // We perform the diff by iterating all the elements of the first
        // set, and only adding it to the target set if the element does not
        // exist into all the other sets.
        //
        // This way we perform at max N*M operations, where N is the size of
        // the first set, and M the number of sets.
        let first = sets[0].expect("checked above");
        for ele in set_ref(first).elements() {
            let ele = ele.as_bytes();
            let mut j = 1;
            while j < setnum {
                match sets[j] {
                    None => {}                                  // no key is an empty set.
                    Some(s) if std::ptr::eq(s, first) => break, // same set!
                    // Divergence from C: no dictFind() rehash step (the
                    // sets are borrowed together).
                    Some(s) if set_ref(s).is_member(&ele) => break,
                    Some(_) => {}
                }
                j += 1;
            }
            if j == setnum {
                // There is no other set with this element. Add it.
                set_type_add(&mut dstset, &ele, max);
                cardinality += 1;
            }
        }
    } else if op == SET_OP_DIFF && sets[0].is_some() && diff_algo == 2 {
        // DIFF Algorithm 2:
        //
        // Add all the elements of the first set to the auxiliary set. Then
        // remove all the elements of all the next sets from it.
        //
        // This is O(N) where N is the sum of all the elements in every set.
        for (j, s) in sets.iter().enumerate() {
            let Some(s) = s else { continue }; // non existing keys are like empty sets
            for ele in set_ref(s).elements() {
                let ele = ele.as_bytes();
                if j == 0 {
                    if set_type_add(&mut dstset, &ele, max) {
                        cardinality += 1;
                    }
                } else if set_type_remove(&mut dstset, &ele) {
                    cardinality -= 1;
                }
            }

            // Exit if result set is empty as any additional removal of
            // elements will have no effect.
            if cardinality == 0 {
                break;
            }
        }
    }
    drop(sets);

    // Output the content of the resulting set, if not in STORE mode
    match dstkey {
        None => {
            add_reply_multi_bulk_len(c, cardinality);
            for ele in set_ref(&dstset).elements() {
                add_reply_bulk_c_buffer(c, &ele.as_bytes());
            }
        }
        Some(dstkey) => {
            // If we have a target key where to store the resulting set
            // create this key with the result set inside
            let deleted = db_delete(server, dbid, dstkey);
            let size = set_type_size(&dstset);
            if size > 0 {
                db_add(server, dbid, dstkey, dstset);
                add_reply_long_long(c, size as i64);
                let event = if op == SET_OP_UNION {
                    "sunionstore"
                } else {
                    "sdiffstore"
                };
                notify_keyspace_event(
                    server,
                    NOTIFY_SET,
                    event,
                    dstkey,
                    dbid as i32,
                );
            } else {
                add_reply(c, CZERO);
                if deleted {
                    notify_keyspace_event(
                        server,
                        NOTIFY_GENERIC,
                        "del",
                        dstkey,
                        dbid as i32,
                    );
                }
            }
            signal_modified_key(server, dbid, dstkey);
            server.dirty += 1;
        }
    }
}

/// SUNION key [key ...]
///
/// C: t_set.c sunionCommand()
pub(crate) fn sunion_command(server: &mut RedisServer, c: &mut Client) {
    with_argv(c, |c, argv| {
        sunion_diff_generic_command(server, c, &argv[1..], None, SET_OP_UNION)
    })
}

/// SUNIONSTORE destination key [key ...]
///
/// C: t_set.c sunionstoreCommand()
pub(crate) fn sunionstore_command(server: &mut RedisServer, c: &mut Client) {
    with_argv(c, |c, argv| {
        sunion_diff_generic_command(
            server,
            c,
            &argv[2..],
            Some(&argv[1]),
            SET_OP_UNION,
        )
    })
}

/// SDIFF key [key ...]
///
/// C: t_set.c sdiffCommand()
pub(crate) fn sdiff_command(server: &mut RedisServer, c: &mut Client) {
    with_argv(c, |c, argv| {
        sunion_diff_generic_command(server, c, &argv[1..], None, SET_OP_DIFF)
    })
}

/// SDIFFSTORE destination key [key ...]
///
/// C: t_set.c sdiffstoreCommand()
pub(crate) fn sdiffstore_command(server: &mut RedisServer, c: &mut Client) {
    with_argv(c, |c, argv| {
        sunion_diff_generic_command(
            server,
            c,
            &argv[2..],
            Some(&argv[1]),
            SET_OP_DIFF,
        )
    })
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]
///
/// C: t_set.c sscanCommand()
pub(crate) fn sscan_command(server: &mut RedisServer, c: &mut Client) {
    with_argv(c, |c, argv| {
        let Ok(cursor) = parse_scan_cursor_or_reply(c, &argv[2]) else {
            return;
        };
        let Some(set) =
            lookup_key_read_or_reply(server, c, &argv[1], EMPTYSCAN)
        else {
            return;
        };
        if check_type(c, set, OBJ_SET) {
            return;
        }
        // scanGenericCommand() reads the options from c.argv.
        c.argv = std::mem::take(argv);
        match set_ref(set) {
            Set::Intset(is) => {
                let items = is.iter().map(ll2string).collect();
                scan_generic_command(
                    c,
                    ScanObj::Items { items, pairs: false },
                    cursor,
                );
            }
            Set::Ht(d) => {
                let mut step = |v: u64, out: &mut Vec<Vec<u8>>| {
                    d.dict_scan(v, |k, _| out.push(k.to_vec()))
                };
                scan_generic_command(
                    c,
                    ScanObj::Dict { scan: &mut step, pairs: false },
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

    fn setup() -> (RedisServer, Box<Client>) {
        let mut server = init_server_config();
        server.db = (0..server.dbnum).map(RedisDb::new).collect();
        let id = create_client(&mut server, None).expect("fake client");
        let mut c = server.clients.lend(&id).expect("client in table");
        c.flags |= CLIENT_LUA;
        (server, c)
    }

    fn argv(args: &[&str]) -> Vec<Vec<u8>> {
        args.iter().map(|a| a.as_bytes().to_vec()).collect()
    }

    fn reply(c: &mut Client) -> String {
        let mut out = c.buf[..c.bufpos].to_vec();
        for b in &c.reply {
            out.extend_from_slice(&b.buf);
        }
        c.bufpos = 0;
        c.reply.clear();
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Runs one command proc the way call() would, minus propagation.
    fn run(server: &mut RedisServer, c: &mut Client, args: &[&str]) -> String {
        c.argv = argv(args);
        c.flags &= !CLIENT_PREVENT_PROP;
        server.also_propagate.clear();
        c.cmd = lookup_command(server, args[0].as_bytes());
        let cmd = c.cmd.expect("known command");
        (server.commands[cmd].proc_)(server, c);
        reply(c)
    }

    fn members(
        server: &mut RedisServer,
        c: &mut Client,
        key: &str,
    ) -> Vec<Vec<u8>> {
        let dbid = c.db;
        match lookup_key(server, dbid, key.as_bytes(), LOOKUP_NOTOUCH) {
            Some(o) => set_ref(o).iter().map(|e| e.into_owned()).collect(),
            None => Vec::new(),
        }
    }

    #[test]
    fn spop_command_propagates_as_srem() {
        let (mut server, mut c) = setup();
        run(&mut server, &mut c, &["sadd", "s", "a", "b"]);
        let r = run(&mut server, &mut c, &["spop", "s"]);
        let ele = r.rsplit("\r\n").nth(1).expect("bulk").to_string();
        assert_eq!(c.argv, argv(&["SREM", "s", &ele]));
        assert_eq!(members(&mut server, &mut c, "s").len(), 1);
        run(&mut server, &mut c, &["spop", "s"]);
        assert!(!db_exists(&server, 0, b"s"), "empty set deleted");
    }

    #[test]
    fn spop_with_count_command_propagates_srems_or_del() {
        let (mut server, mut c) = setup();
        let srem = lookup_command(&server, b"srem").expect("srem");
        for (n, count) in [(20, 2), (20, 18)] {
            // CASE 2 (few elements) and CASE 3 (most elements).
            let mut args = vec!["sadd", "s"];
            let nums: Vec<String> = (0..n).map(|i| i.to_string()).collect();
            args.extend(nums.iter().map(|s| s.as_str()));
            run(&mut server, &mut c, &["del", "s"]);
            run(&mut server, &mut c, &args);
            let dirty = server.dirty;
            let count_s = count.to_string();
            let r = run(&mut server, &mut c, &["spop", "s", &count_s]);
            assert!(r.starts_with(&format!("*{count}\r\n")), "{r}");
            assert!(c.flags & CLIENT_PREVENT_PROP == CLIENT_PREVENT_PROP);
            assert_eq!(server.also_propagate.len(), count);
            let left = members(&mut server, &mut c, "s");
            assert_eq!(left.len(), n - count);
            for op in &server.also_propagate {
                assert_eq!(op.cmd, srem);
                assert_eq!(op.target, PROPAGATE_AOF | PROPAGATE_REPL);
                assert_eq!(&op.argv[..2], &argv(&["SREM", "s"])[..]);
                assert!(
                    !left.contains(&op.argv[2]),
                    "popped elements left the set"
                );
            }
            assert_eq!(server.dirty - dirty, count as i64 + 1);
        }
        // CASE 1: the whole set, propagated as DEL.
        let r = run(&mut server, &mut c, &["spop", "s", "100"]);
        assert!(r.starts_with("*2\r\n"), "{r}");
        assert_eq!(c.argv, argv(&["DEL", "s"]));
        assert!(server.also_propagate.is_empty());
        assert!(!db_exists(&server, 0, b"s"));
    }

    #[test]
    fn srandmember_with_count_command_four_cases() {
        let (mut server, mut c) = setup();
        let nums: Vec<String> = (0..50).map(|i| format!("m{i}")).collect();
        let mut args = vec!["sadd", "s"];
        args.extend(nums.iter().map(|s| s.as_str()));
        run(&mut server, &mut c, &args);
        for (count, expect) in
            [("-100", 100), ("100", 50), ("45", 45), ("5", 5), ("0", 0)]
        {
            let r = run(&mut server, &mut c, &["srandmember", "s", count]);
            assert!(r.starts_with(&format!("*{expect}\r\n")), "{count}: {r}");
            let elems: Vec<&str> = r
                .split("\r\n")
                .skip(2)
                .step_by(2)
                .filter(|s| !s.is_empty())
                .collect();
            assert_eq!(elems.len(), expect);
            if !count.starts_with('-') {
                let uniq: std::collections::HashSet<_> = elems.iter().collect();
                assert_eq!(
                    uniq.len(),
                    expect,
                    "unique members for a positive count"
                );
            }
            assert!(elems.iter().all(|e| nums.iter().any(|n| n == e)));
        }
        assert_eq!(
            members(&mut server, &mut c, "s").len(),
            50,
            "SRANDMEMBER removes nothing"
        );
    }

    #[test]
    fn set_type_add_converts_on_non_integer_and_on_size() {
        let mut o = set_type_create(0, b"1");
        assert_eq!(o.encoding, OBJ_ENCODING_INTSET);
        assert!(set_type_add(&mut o, b"1", 3));
        assert!(!set_type_add(&mut o, b"1", 3));
        assert!(set_type_add(&mut o, b"2", 3));
        assert!(set_type_add(&mut o, b"3", 3));
        assert_eq!(o.encoding, OBJ_ENCODING_INTSET);
        assert!(set_type_add(&mut o, b"4", 3));
        assert_eq!(o.encoding, OBJ_ENCODING_HT);
        assert!(matches!(set_ref(&o), Set::Ht(_)));
        assert!(set_type_is_member(&mut o, b"4"));

        let mut o = set_type_create(0, b"7");
        assert!(set_type_add(&mut o, b"07", 512), "not canonical: a string");
        assert_eq!(o.encoding, OBJ_ENCODING_HT);
        assert!(set_type_add(&mut o, b"7", 512));
        assert_eq!(set_type_size(&o), 2);
    }

    #[test]
    fn set_type_remove_both_encodings() {
        let mut o = set_type_create(0, b"5");
        set_type_add(&mut o, b"5", 512);
        assert!(!set_type_remove(&mut o, b"x"));
        assert!(set_type_remove(&mut o, b"5"));
        assert_eq!(set_type_size(&o), 0);
        let mut o = set_type_create(0, b"a");
        assert_eq!(o.encoding, OBJ_ENCODING_HT);
        set_type_add(&mut o, b"a", 512);
        assert!(set_type_remove(&mut o, b"a"));
        assert!(!set_type_remove(&mut o, b"a"));
    }

    #[test]
    fn set_iter_yields_bytes() {
        let mut o = set_type_create(0, b"3");
        for v in [b"3", b"1", b"2"] {
            set_type_add(&mut o, v, 512);
        }
        let v: Vec<Vec<u8>> =
            set_ref(&o).iter().map(|e| e.into_owned()).collect();
        assert_eq!(v, vec![b"1".to_vec(), b"2".to_vec(), b"3".to_vec()]);
        let cloned = set_ref(&o).clone();
        assert_eq!(cloned.len(), 3);
    }
}
