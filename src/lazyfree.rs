//! Lazy freeing: values and whole databases handed to the BIO_LAZY_FREE
//! thread (bio.rs) so that the main thread does not stop to free them.
//!
//! C: lazyfree.c
//!
//! The values (`RObj`, `Value`) and the database dicts own their memory
//! outright (no `Rc`, no raw pointers), so they are `Send` and move to the
//! bio thread as they are; `_assert_send` below checks it at compile time.
//! Not ported: slotToKeyFlushAsync() and lazyfreeFreeSlotsMapFromBioThread()
//! (Redis Cluster's slots-to-keys map; there is no cluster mode).

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::bio::{bio_create_background_job, BioJobArg, BIO_LAZY_FREE};
use crate::db::{Key, RedisDb};
use crate::dict::Dict;
use crate::object::{RObj, Value, OBJ_ENCODING_HT, OBJ_ENCODING_SKIPLIST};

/// Objects handed to the lazy-free thread and not yet freed (a flushed
/// database counts as its number of keys). Divergence from C: an atomic
/// instead of a size_t with atomicvar.h's mutex or builtins.
///
/// C: lazyfree.c lazyfree_objects
static LAZYFREE_OBJECTS: AtomicUsize = AtomicUsize::new(0);

/// What the lazy-free thread frees. C passes `(robj*, NULL, NULL)` for an
/// object and `(NULL, dict*, dict*)` for a database through bio's three
/// `void *` arguments.
pub(crate) enum LazyFreeJob {
    /// A value unlinked from its key (dbAsyncDelete, freeObjAsync).
    Object(RObj),
    /// A database's main dict and expires dict (emptyDbAsync).
    Database(Dict<Key, RObj>, Dict<Key, i64>),
}

/// Compile-time check that what goes to the bio thread can cross threads.
#[allow(dead_code)]
fn _assert_send() {
    fn is_send<T: Send>() {}
    is_send::<RObj>();
    is_send::<Dict<Key, RObj>>();
    is_send::<Dict<Key, i64>>();
    is_send::<LazyFreeJob>();
}

/// Return the number of currently pending objects to free.
///
/// C: lazyfree.c lazyfreeGetPendingObjectsCount()
pub(crate) fn lazyfree_get_pending_objects_count() -> usize {
    LAZYFREE_OBJECTS.load(Ordering::Relaxed)
}

/// Return the amount of work needed in order to free an object.
/// The return value is not always the actual number of allocations the
/// object is composed of, but a number proportional to it.
///
/// For strings the function always returns 1.
///
/// For aggregated objects represented by hash tables or other data
/// structures the function just returns the number of elements the object
/// is composed of.
///
/// Objects composed of single allocations are always reported as having a
/// single item even if they are actually logically composed of multiple
/// elements.
///
/// For lists C returns the number of quicklist nodes. Divergence from C:
/// our list is one packed buffer (one allocation) or one allocation per
/// element (see t_list.rs), so this returns that number of allocations.
///
/// C: lazyfree.c lazyfreeGetFreeEffort()
pub(crate) fn lazyfree_get_free_effort(obj: &RObj) -> usize {
    match &obj.ptr {
        Value::List(l) => l.allocations(),
        Value::Set(s) if obj.encoding == OBJ_ENCODING_HT => s.len(),
        Value::ZSet(z) if obj.encoding == OBJ_ENCODING_SKIPLIST => z.len(),
        Value::Hash(h) if obj.encoding == OBJ_ENCODING_HT => h.len(),
        Value::Stream(s) => {
            // Make a best effort estimate to maintain constant runtime.
            // Every macro node in the Stream is one allocation.
            // Divergence from C: C reads rax->numnodes; rax.c is not
            // ported, so t_stream::rax_num_nodes() computes the number
            // from the keys (a walk of the node keys, not a field read).
            let mut effort = crate::t_stream::rax_num_nodes(s.rax.keys());

            // Every consumer group is an allocation and so are the entries
            // in its PEL. We use size of the first group's PEL as an
            // estimate for all others.
            if let Some(cg) = &s.cgroups {
                if let Some(first) = cg.values().next() {
                    effort += cg.len() * (1 + first.pel.len());
                }
            }
            effort
        }
        _ => 1, // Everything else is a single allocation.
    }
}

/// Values that take more than this many allocations to free go to the
/// lazy-free thread; below it, freeing in a lazy way is actually just
/// slower.
///
/// C: lazyfree.c LAZYFREE_THRESHOLD
pub(crate) const LAZYFREE_THRESHOLD: usize = 64;

/// Delete a key, value, and associated expiration entry if any, from the
/// DB. If there are enough allocations to free the value object may be put
/// into a lazy free list instead of being freed synchronously. The lazy
/// free list will be reclaimed in a different bio.c thread.
///
/// C: lazyfree.c dbAsyncDelete()
pub(crate) fn db_async_delete(db: &mut RedisDb, key: &[u8]) -> bool {
    // Deleting an entry from the expires dict will not free the sds of
    // the key, because it is shared with the main dictionary.
    if db.expires.dict_size() > 0 {
        db.expires.dict_delete(key);
    }

    // If the value is composed of a few allocations, to free in a lazy way
    // is actually just slower... So under a certain limit we just free
    // the object synchronously. (C's refcount == 1 test: values here have
    // one owner, the dict, so it always holds.)
    match db.dict.dict_unlink(key) {
        Some((_key, val)) => {
            let free_effort = lazyfree_get_free_effort(&val);
            // If releasing the object is too much work, do it in the
            // background by adding the object to the lazy free list.
            if free_effort > LAZYFREE_THRESHOLD {
                LAZYFREE_OBJECTS.fetch_add(1, Ordering::Relaxed);
                bio_create_background_job(
                    BIO_LAZY_FREE,
                    BioJobArg::Free(LazyFreeJob::Object(val)),
                );
            }
            // Release the key (and the value, if it was not handed over).
            // No cluster: no slotToKeyDel().
            true
        }
        None => false,
    }
}

/// Free an object, if the object is huge enough, free it in async way.
///
/// C: lazyfree.c freeObjAsync()
pub(crate) fn free_obj_async(o: RObj) {
    let free_effort = lazyfree_get_free_effort(&o);
    if free_effort > LAZYFREE_THRESHOLD {
        LAZYFREE_OBJECTS.fetch_add(1, Ordering::Relaxed);
        bio_create_background_job(
            BIO_LAZY_FREE,
            BioJobArg::Free(LazyFreeJob::Object(o)),
        );
    }
    // else: C's decrRefCount(o); `o` drops here.
}

/// Empty a Redis DB asynchronously. What the function does actually is to
/// create a new empty set of hash tables and scheduling the old ones for
/// lazy freeing.
///
/// C: lazyfree.c emptyDbAsync()
pub(crate) fn empty_db_async(db: &mut RedisDb) {
    let oldht1 = std::mem::take(&mut db.dict);
    let oldht2 = std::mem::take(&mut db.expires);
    LAZYFREE_OBJECTS.fetch_add(oldht1.dict_size(), Ordering::Relaxed);
    bio_create_background_job(
        BIO_LAZY_FREE,
        BioJobArg::Free(LazyFreeJob::Database(oldht1, oldht2)),
    );
}

// Not ported: slotToKeyFlushAsync() (Redis Cluster only).

/// Release objects from the lazyfree thread. It's just decrRefCount()
/// updating the count of objects to release.
///
/// C: lazyfree.c lazyfreeFreeObjectFromBioThread()
pub(crate) fn lazyfree_free_object_from_bio_thread(o: RObj) {
    drop(o);
    crate::util::zmalloc_fold_thread_used_memory();
    LAZYFREE_OBJECTS.fetch_sub(1, Ordering::Relaxed);
}

/// Release a database from the lazyfree thread. The dicts are the
/// database's, substituted with fresh ones in the main thread when the
/// database was logically deleted.
///
/// C: lazyfree.c lazyfreeFreeDatabaseFromBioThread()
pub(crate) fn lazyfree_free_database_from_bio_thread(
    ht1: Dict<Key, RObj>,
    ht2: Dict<Key, i64>,
) {
    let numkeys = ht1.dict_size();
    drop(ht1);
    drop(ht2);
    crate::util::zmalloc_fold_thread_used_memory();
    LAZYFREE_OBJECTS.fetch_sub(numkeys, Ordering::Relaxed);
}

// Not ported: lazyfreeFreeSlotsMapFromBioThread() (Redis Cluster only).

/// Runs one BIO_LAZY_FREE job: the part of bio.c's
/// bioProcessBackgroundJobs() that picks which of the two functions above
/// to call. (no C twin of its own)
pub(crate) fn lazyfree_run_job(job: LazyFreeJob) {
    match job {
        LazyFreeJob::Object(o) => lazyfree_free_object_from_bio_thread(o),
        LazyFreeJob::Database(ht1, ht2) => {
            lazyfree_free_database_from_bio_thread(ht1, ht2)
        }
    }
}
