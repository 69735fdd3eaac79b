//! Keeping the dataset under `maxmemory`: the LRU clock and the LFU
//! counter kept in every value's `lru` field, the pool of best eviction
//! candidates, and `free_memory_if_needed`, which `process_command` calls
//! before each command to evict keys by the configured policy until the
//! used memory (less the replica and AOF buffers) is back under the limit.
//!
//! Ports evict.c from Redis 5.0.14, in the same order.
//!
//! Read this first: memory is read through `util::zmalloc_used_memory`
//! exactly as C reads zmalloc's counter. C's static pool
//! (`EvictionPoolLRU`) and the static `next_db` of freeMemoryIfNeeded()
//! live in `server.eviction_pool_lru` and `server.evict_next_db`.

use crate::db::{db_sync_delete, propagate_expire, Key};
use crate::dict::{Dict, DictEntry};
use crate::latency::{
    latency_add_sample_if_needed, latency_end_monitor,
    latency_remove_nested_event, latency_start_monitor,
};
use crate::object::RObj;
use crate::server::{
    mstime, CErr, CResult, RedisServer, LRU_CLOCK_MAX, LRU_CLOCK_RESOLUTION,
    MAXMEMORY_ALLKEYS_RANDOM, MAXMEMORY_FLAG_ALLKEYS, MAXMEMORY_FLAG_LFU,
    MAXMEMORY_FLAG_LRU, MAXMEMORY_NO_EVICTION, MAXMEMORY_VOLATILE_RANDOM,
    MAXMEMORY_VOLATILE_TTL, NOTIFY_EVICTED,
};
use crate::util::zmalloc_used_memory;

// ----------------------------------------------------------------------------
// Data structures
// ----------------------------------------------------------------------------

// To improve the quality of the LRU approximation we take a set of keys
// that are good candidates for eviction across free_memory_if_needed()
// calls. The pool is kept ordered by idle time, the greatest to the right.
// With an LFU policy the "idle time" is the inverse frequency, so larger
// still means "evict first". An empty entry has no key.

/// C: evict.c EVPOOL_SIZE
pub(crate) const EVPOOL_SIZE: usize = 16;
/// C: evict.c EVPOOL_CACHED_SDS_SIZE
pub(crate) const EVPOOL_CACHED_SDS_SIZE: usize = 255;

/// Counter value a new key starts with under an LFU policy, so that it
/// gets a chance to collect accesses before being evicted.
///
/// C: server.h LFU_INIT_VAL
pub(crate) const LFU_INIT_VAL: u32 = 5;

/// C: evict.c struct evictionPoolEntry
pub(crate) struct EvictionPoolEntry {
    /// Object idle time (inverse frequency for LFU)
    idle: u64,
    /// C's `key != NULL`: the key name is in `cached`.
    key: bool,
    /// Buffer for the key name, allocated once and reused. Divergence from
    /// C: a name longer than EVPOOL_CACHED_SDS_SIZE grows this buffer
    /// rather than taking a separate copy.
    cached: Vec<u8>,
    /// Key DB number.
    dbid: i32,
}

// ----------------------------------------------------------------------------
// Implementation of eviction, aging and LRU
// ----------------------------------------------------------------------------

/// Return the LRU clock, based on the clock resolution. This is a time in
/// a reduced-bits format that can be used to set and check the `lru` field
/// of objects.
///
/// C: evict.c getLRUClock()
pub(crate) fn get_lru_clock() -> u32 {
    ((mstime() / LRU_CLOCK_RESOLUTION) as u64 & LRU_CLOCK_MAX as u64) as u32
}

/// The current LRU clock: the value the cron caches if it refreshes it at
/// least as often as the clock resolution (as in production), otherwise a
/// fresh reading.
///
/// C: evict.c LRU_CLOCK()
#[inline]
pub(crate) fn lru_clock(server: &RedisServer) -> u32 {
    if 1000 / server.hz.max(1) as i64 <= LRU_CLOCK_RESOLUTION {
        server.lruclock
    } else {
        get_lru_clock()
    }
}

/// Given an object returns the min number of milliseconds the object was
/// never requested, using an approximated LRU algorithm.
///
/// C: evict.c estimateObjectIdleTime()
pub(crate) fn estimate_object_idle_time(server: &RedisServer, o: &RObj) -> u64 {
    let lruclock = lru_clock(server) as u64;
    let lru = o.lru as u64;
    if lruclock >= lru {
        (lruclock - lru) * LRU_CLOCK_RESOLUTION as u64
    } else {
        (lruclock + (LRU_CLOCK_MAX as u64 - lru)) * LRU_CLOCK_RESOLUTION as u64
    }
}

// free_memory_if_needed() is called before each command when maxmemory is
// set, to keep the server under the limit. It works out how many bytes
// must go, then loops picking the best key to evict by the policy.
//
// The LRU approximation runs in constant memory: each time a key must go,
// N keys are sampled (maxmemory-samples, usually 5) and those better than
// the pool's worst join the pool of EVPOOL_SIZE candidates; the best of the
// pool is evicted. Keys deleted meanwhile are not removed from the pool,
// so an entry may be a ghost; when every entry is a ghost the pool is
// refilled, and then holds a live key if the database has any to evict.

/// Create a new eviction pool. `init_server` calls it once.
///
/// C: evict.c evictionPoolAlloc()
pub(crate) fn eviction_pool_alloc(server: &mut RedisServer) {
    server.eviction_pool_lru = (0..EVPOOL_SIZE)
        .map(|_| EvictionPoolEntry {
            idle: 0,
            key: false,
            cached: Vec::with_capacity(EVPOOL_CACHED_SDS_SIZE),
            dbid: 0,
        })
        .collect();
}

/// Helper of free_memory_if_needed(): samples `maxmemory-samples` keys of
/// DB `dbid` (of its whole keyspace, or of its keys with a TTL when
/// `sample_expires`) and puts into the pool those that beat one of its
/// current entries. Keys are always added while there are free entries.
/// The pool stays sorted by ascending idle time: the best candidate for
/// eviction is the rightmost.
///
/// C: evict.c evictionPoolPopulate()
pub(crate) fn eviction_pool_populate(
    server: &mut RedisServer,
    dbid: usize,
    sample_expires: bool,
    pool: &mut [EvictionPoolEntry],
) {
    // Rust: the two dicts are lent out of the db while they are sampled, so
    // that the scoring functions can read the server beside them.
    let mut keydict = std::mem::take(&mut server.db[dbid].dict);
    let mut expires = std::mem::take(&mut server.db[dbid].expires);
    let count = server.maxmemory_samples.max(1) as u32;
    let server_ro: &RedisServer = server;

    if sample_expires {
        let samples = expires.dict_get_some_keys(count);
        for de in samples {
            let key = de.key();
            let idle = if server_ro.maxmemory_policy == MAXMEMORY_VOLATILE_TTL {
                // In this case the sooner the expire the better.
                u64::MAX - (*de.val() as u64)
            } else {
                // The dictionary we sample from is not the main one, so
                // the value is looked up again in the key dictionary.
                match keydict.find(key) {
                    Some(kde) => eviction_score(server_ro, kde.val()),
                    None => continue, // C would crash: never happens.
                }
            };
            eviction_pool_insert(pool, key, idle, dbid as i32);
        }
    } else {
        let samples = keydict.dict_get_some_keys(count);
        for de in samples {
            let idle = eviction_score(server_ro, de.val());
            eviction_pool_insert(pool, de.key(), idle, dbid as i32);
        }
    }

    server.db[dbid].dict = keydict;
    server.db[dbid].expires = expires;
}

/// The score of a sampled value under the LRU or LFU policy: called idle
/// just because the code initially handled LRU, but it is a score where
/// higher means a better candidate. (no C twin: the LRU and LFU branches
/// of evictionPoolPopulate())
fn eviction_score(server: &RedisServer, o: &RObj) -> u64 {
    if server.maxmemory_policy & MAXMEMORY_FLAG_LRU != 0 {
        estimate_object_idle_time(server, o)
    } else if server.maxmemory_policy & MAXMEMORY_FLAG_LFU != 0 {
        // With LFU we want to evict the keys with the lowest frequency
        // first, so the pool holds the inverted frequency: the maximum
        // frequency, 255, minus the actual one.
        255 - lfu_decr_and_return(server, o)
    } else {
        crate::server_panic!(
            server,
            "Unknown eviction policy in evictionPoolPopulate()"
        );
    }
}

/// Puts one sampled key with its score into the pool, in place. (no C
/// twin: the insertion half of evictionPoolPopulate())
fn eviction_pool_insert(
    pool: &mut [EvictionPoolEntry],
    key: &Key,
    idle: u64,
    dbid: i32,
) {
    // Find the first empty bucket or the first populated bucket that has
    // an idle time smaller than our idle time.
    let mut k = 0;
    while k < EVPOOL_SIZE && pool[k].key && pool[k].idle < idle {
        k += 1;
    }
    if k == 0 && pool[EVPOOL_SIZE - 1].key {
        // Can't insert if the element is < the worst element we have and
        // there are no empty buckets.
        return;
    } else if k < EVPOOL_SIZE && !pool[k].key {
        // Inserting into empty position. No setup needed before insert.
    } else {
        // Inserting in the middle. Now k points to the first element
        // greater than the element to insert.
        if !pool[EVPOOL_SIZE - 1].key {
            // Free space on the right? Insert at k shifting all the
            // elements from k to end to the right. (C's memmove, with the
            // last entry's cached buffer carried to k by the rotation.)
            pool[k..].rotate_right(1);
        } else {
            // No free space on right? Insert at k-1
            k -= 1;
            // Shift all elements on the left of k (included) to the left,
            // so we discard the element with smaller idle time; its buffer
            // moves to k.
            pool[..=k].rotate_left(1);
        }
    }

    // Reuse the buffer allocated in the pool entry: allocating and freeing
    // one per candidate is costly (it shows in the profiler).
    let e = &mut pool[k];
    e.cached.clear();
    e.cached.extend_from_slice(key.as_ref());
    e.key = true;
    e.idle = idle;
    e.dbid = dbid;
}

// ----------------------------------------------------------------------------
// LFU (Least Frequently Used) implementation.
//
// The 24 bits of the `lru` field hold, with an LFU policy, two fields:
//
//          16 bits      8 bits
//     +----------------+--------+
//     + Last decr time | LOG_C  |
//     +----------------+--------+
//
// LOG_C is a logarithmic counter of the access frequency. It must also
// decay, or a key once popular would keep its rank forever: the 16 bits of
// "decrement time" (a reduced-precision Unix time in minutes, wrapping) say
// when it was last decremented, and it loses one per lfu-decay-time
// minutes elapsed since.
//
// New keys start at LFU_INIT_VAL rather than zero so that they can collect
// some accesses before being evicted; the logarithmic increment accounts
// for it, so keys at or below LFU_INIT_VAL are very likely to be
// incremented on access.
// ----------------------------------------------------------------------------

/// Return the current time in minutes, just taking the least significant
/// 16 bits. The returned time is suitable to be stored as LDT (last
/// decrement time) for the LFU implementation.
///
/// C: evict.c LFUGetTimeInMinutes()
pub(crate) fn lfu_get_time_in_minutes(server: &RedisServer) -> u64 {
    ((server.unixtime / 60) & 65535) as u64
}

/// Given an object last access time, compute the minimum number of
/// minutes that elapsed since the last access. Handle overflow (ldt
/// greater than the current 16 bits minutes time) considering the time as
/// wrapping exactly once.
///
/// C: evict.c LFUTimeElapsed()
pub(crate) fn lfu_time_elapsed(server: &RedisServer, ldt: u64) -> u64 {
    let now = lfu_get_time_in_minutes(server);
    if now >= ldt {
        return now - ldt;
    }
    65535 - ldt + now
}

/// Logarithmically increment a counter. The greater is the current
/// counter value the less likely is that it gets really incremented.
/// Saturate it at 255.
///
/// C: evict.c LFULogIncr()
pub(crate) fn lfu_log_incr(server: &RedisServer, counter: u8) -> u8 {
    if counter == 255 {
        return 255;
    }
    // C: (double)rand()/RAND_MAX. Divergence from C: the dict's sampling
    // generator stands in for libc's rand(); only its randomness matters.
    const RAND_MAX: u64 = 0x7fff_ffff;
    let r = (crate::dict::random() & RAND_MAX) as f64 / RAND_MAX as f64;
    let mut baseval = counter as f64 - LFU_INIT_VAL as f64;
    if baseval < 0.0 {
        baseval = 0.0;
    }
    let p = 1.0 / (baseval * server.lfu_log_factor as f64 + 1.0);
    if r < p {
        counter + 1
    } else {
        counter
    }
}

/// If the object decrement time is reached decrement the LFU counter but
/// do not update LFU fields of the object, we update the access time and
/// counter in an explicit way when the object is really accessed. And we
/// will times halve the counter according to the times of elapsed time
/// than server.lfu_decay_time. Return the object frequency counter.
///
/// This function is used in order to scan the dataset for the best object
/// to fit: as we check for the candidate, we incrementally decrement the
/// counter of the scanned objects if needed.
///
/// C: evict.c LFUDecrAndReturn()
pub(crate) fn lfu_decr_and_return(server: &RedisServer, o: &RObj) -> u64 {
    let ldt = (o.lru >> 8) as u64;
    let mut counter = (o.lru & 255) as u64;
    let num_periods = if server.lfu_decay_time != 0 {
        lfu_time_elapsed(server, ldt) / server.lfu_decay_time as u64
    } else {
        0
    };
    if num_periods != 0 {
        #[allow(clippy::implicit_saturating_sub)] // written as in C
        {
            counter =
                if num_periods > counter { 0 } else { counter - num_periods };
        }
    }
    counter
}

// ----------------------------------------------------------------------------
// The external API for eviction: free_memory_if_needed() is called by the
// server when there is data to add in order to make space if needed.
// ----------------------------------------------------------------------------

/// The AOF buffers and the replicas' output buffers are not counted as
/// used memory: eviction should act mostly on the data size. Returns their
/// sum.
///
/// C: evict.c freeMemoryGetNotCountedMemory()
pub(crate) fn free_memory_get_not_counted_memory(
    server: &RedisServer,
) -> usize {
    let mut overhead = 0usize;
    for id in &server.slaves {
        if let Some(slave) = server.clients.get(id) {
            overhead +=
                crate::networking::get_client_output_buffer_memory_usage(slave)
                    as usize;
        }
    }
    if server.aof_state != crate::config::AOF_OFF {
        overhead += server.aof_buf.capacity()
            + crate::aof::aof_rewrite_buffer_size(server);
    }
    overhead
}

/// The memory state as maxmemory sees it.
///
/// C: the out-parameters of getMaxmemoryState() (no C twin as a type).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct MaxmemoryState {
    /// Total amount of bytes used (always filled).
    pub(crate) total: usize,
    /// The memory used minus the replica/AOF buffers (filled when over).
    pub(crate) logical: usize,
    /// How much must be freed to get back under the limit (when over).
    pub(crate) tofree: usize,
    /// Usually 0 to 1, the share of maxmemory in use; may be above 1 when
    /// over the limit. Only computed when asked (`want_level`).
    pub(crate) level: f32,
}

/// Get the memory status from the point of view of the maxmemory
/// directive: `Ok` if the memory used is under the maxmemory setting,
/// `Err` (with the state) if over the limit. `total` is always filled,
/// `level` when `want_level`, `logical` and `tofree` only when over.
///
/// C: evict.c getMaxmemoryState()
pub(crate) fn get_maxmemory_state(
    server: &RedisServer,
    want_level: bool,
) -> Result<MaxmemoryState, MaxmemoryState> {
    let mut st = MaxmemoryState::default();

    // Check if we are over the memory usage limit. If we are not, no need
    // to subtract the slaves output buffers. We can just return ASAP.
    let mem_reported = zmalloc_used_memory();
    st.total = mem_reported;

    // We may return ASAP if there is no need to compute the level.
    let return_ok_asap =
        server.maxmemory == 0 || mem_reported as u64 <= server.maxmemory;
    if return_ok_asap && !want_level {
        return Ok(st);
    }

    // Remove the size of slaves output buffers and AOF buffer from the
    // count of used memory.
    let overhead = free_memory_get_not_counted_memory(server);
    let mem_used = mem_reported.saturating_sub(overhead);

    // Compute the ratio of memory usage.
    if want_level {
        st.level = if server.maxmemory == 0 {
            0.0
        } else {
            mem_used as f32 / server.maxmemory as f32
        };
    }

    if return_ok_asap {
        return Ok(st);
    }

    // Check if we are still over the memory limit.
    if mem_used as u64 <= server.maxmemory {
        return Ok(st);
    }

    // Compute how much memory we need to free.
    st.tofree = mem_used - server.maxmemory as usize;
    st.logical = mem_used;
    Err(st)
}

/// Called before every command when maxmemory is set (and by CONFIG SET
/// maxmemory): if the memory used is over the limit, evicts keys by the
/// policy until it is back under it.
///
/// Returns `Ok` if we are under the memory limit, or were over it and
/// freed enough; `Err` if we are over the limit and could not free enough
/// (the caller then refuses commands that may grow memory).
///
/// C: evict.c freeMemoryIfNeeded()
pub(crate) fn free_memory_if_needed(server: &mut RedisServer) -> CResult {
    // By default replicas should ignore maxmemory and just be masters
    // exact copies.
    if server.masterhost.is_some() && server.repl_slave_ignore_maxmemory {
        return Ok(());
    }

    let slaves = server.slaves.len();

    // When clients are paused the dataset should be static not just from
    // the POV of clients not being able to write, but also from the POV of
    // expires and evictions of keys not being performed.
    if crate::networking::clients_are_paused(server) {
        return Ok(());
    }
    let (mem_reported, mem_tofree) = match get_maxmemory_state(server, false) {
        Ok(_) => return Ok(()),
        Err(st) => (st.total, st.tofree),
    };

    let mut mem_freed: usize = 0;

    if server.maxmemory_policy == MAXMEMORY_NO_EVICTION {
        // We need to free memory, but policy forbids.
        return cant_free(server, mem_reported, mem_freed, mem_tofree);
    }

    let mut latency = latency_start_monitor(server);
    // Rust: the pool is lent out of the server while it is used.
    let mut pool = std::mem::take(&mut server.eviction_pool_lru);
    while mem_freed < mem_tofree {
        // As in C, declared inside the loop: it counts this pass only, so
        // the every-16-keys check below never fires in 5.0.14 either.
        let mut keys_freed: u64 = 0;
        let mut bestkey: Option<Vec<u8>> = None;
        let mut bestdbid: usize = 0;
        let policy = server.maxmemory_policy;

        if policy & (MAXMEMORY_FLAG_LRU | MAXMEMORY_FLAG_LFU) != 0
            || policy == MAXMEMORY_VOLATILE_TTL
        {
            let allkeys = policy & MAXMEMORY_FLAG_ALLKEYS != 0;
            while bestkey.is_none() {
                let mut total_keys: u64 = 0;

                // We don't want to make local-db choices when expiring
                // keys, so to start populate the eviction pool sampling
                // keys from every DB.
                for i in 0..server.db.len() {
                    let db = &server.db[i];
                    let keys = if allkeys {
                        db.dict.dict_size()
                    } else {
                        db.expires.dict_size()
                    };
                    if keys != 0 {
                        eviction_pool_populate(server, i, !allkeys, &mut pool);
                        total_keys += keys as u64;
                    }
                }
                if total_keys == 0 {
                    break; // No keys to evict.
                }

                // Go backward from best to worst element to evict.
                for e in pool.iter_mut().rev() {
                    if !e.key {
                        continue;
                    }
                    let db = &server.db[e.dbid as usize];
                    let exists = if allkeys {
                        db.dict.find(&e.cached).is_some()
                    } else {
                        db.expires.find(&e.cached).is_some()
                    };

                    // Remove the entry from the pool.
                    e.key = false;
                    e.idle = 0;

                    // If the key exists, is our pick. Otherwise it is a
                    // ghost and we need to try the next element.
                    if exists {
                        bestdbid = e.dbid as usize;
                        bestkey = Some(e.cached.clone());
                        break;
                    }
                    // Ghost... Iterate again.
                }
            }
        }
        // volatile-random and allkeys-random policy
        else if policy == MAXMEMORY_ALLKEYS_RANDOM
            || policy == MAXMEMORY_VOLATILE_RANDOM
        {
            // When evicting a random key, we try to evict a key for each
            // DB, so we use the 'next_db' counter to incrementally visit
            // all DBs.
            let dbnum = server.db.len() as u32;
            for _ in 0..dbnum {
                server.evict_next_db = server.evict_next_db.wrapping_add(1);
                let j = (server.evict_next_db % dbnum) as usize;
                let db = &mut server.db[j];
                let key = if policy == MAXMEMORY_ALLKEYS_RANDOM {
                    random_key(&mut db.dict)
                } else {
                    random_key(&mut db.expires)
                };
                if let Some(key) = key {
                    bestkey = Some(key);
                    bestdbid = j;
                    break;
                }
            }
        }

        // Finally remove the selected key.
        if let Some(key) = bestkey {
            let lazy = server.lazyfree_lazy_eviction;
            propagate_expire(server, bestdbid, &key, lazy);
            // We compute the amount of memory freed by db*Delete() alone.
            // The memory needed to propagate the DEL to the AOF and the
            // replicas may be more than what the key frees, but counting
            // it would mean never leaving the loop; those buffers are
            // freed eventually, and only the keyspace matters here.
            let mut delta = zmalloc_used_memory() as i64;
            let mut eviction_latency = latency_start_monitor(server);
            if lazy {
                crate::lazyfree::db_async_delete(
                    &mut server.db[bestdbid],
                    &key,
                );
            } else {
                db_sync_delete(server, bestdbid, &key);
            }
            latency_end_monitor(server, &mut eviction_latency);
            latency_add_sample_if_needed(
                server,
                "eviction-del",
                eviction_latency,
            );
            latency_remove_nested_event(&mut latency, eviction_latency);
            delta -= zmalloc_used_memory() as i64;
            mem_freed = (mem_freed as i64).wrapping_add(delta) as usize;
            server.stat_evictedkeys += 1;
            crate::notify::notify_keyspace_event(
                server,
                NOTIFY_EVICTED,
                "evicted",
                &key,
                bestdbid as i32,
            );
            keys_freed += 1;

            // When the memory to free starts to be big enough, we may
            // start spending so much time here that is impossible to
            // deliver data to the slaves fast enough, so we force the
            // transmission here inside the loop.
            if slaves != 0 {
                crate::networking::flush_slaves_output_buffers(server);
            }

            // Normally we stop once the pre-computed amount is freed. But
            // with lazy freeing, memory is released by another thread at
            // its own pace, and mem_freed only counts what the delete call
            // itself released, so from time to time check the real state.
            if lazy
                && keys_freed.is_multiple_of(16)
                && get_maxmemory_state(server, false).is_ok()
            {
                // Let's satisfy our stop condition.
                mem_freed = mem_tofree;
            }
        } else {
            // keys_freed is 0: nothing was evicted in this pass.
            server.eviction_pool_lru = pool;
            latency_end_monitor(server, &mut latency);
            latency_add_sample_if_needed(server, "eviction-cycle", latency);
            // Nothing to free...
            return cant_free(server, mem_reported, mem_freed, mem_tofree);
        }
    }
    server.eviction_pool_lru = pool;
    latency_end_monitor(server, &mut latency);
    latency_add_sample_if_needed(server, "eviction-cycle", latency);
    Ok(())
}

/// A random key of `d`, copied. (no C twin: dictGetRandomKey() and
/// dictGetKey() in freeMemoryIfNeeded())
fn random_key<V>(d: &mut Dict<Key, V>) -> Option<Vec<u8>> {
    d.dict_get_random_key().map(|de: &DictEntry<Key, V>| de.key().to_vec())
}

/// We are here if we are not able to reclaim memory. There is only one
/// last thing we can try: check if the lazyfree thread has jobs in queue
/// and wait...
///
/// C: the cant_free: label of freeMemoryIfNeeded()
fn cant_free(
    _server: &mut RedisServer,
    mem_reported: usize,
    mem_freed: usize,
    mem_tofree: usize,
) -> CResult {
    while crate::bio::bio_pending_jobs_of_type(crate::bio::BIO_LAZY_FREE) != 0 {
        // size_t arithmetic, as in C: a rise in used memory wraps around
        // and ends the wait.
        if (mem_reported.wrapping_sub(zmalloc_used_memory()))
            .wrapping_add(mem_freed)
            >= mem_tofree
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    Err(CErr)
}

/// A wrapper for free_memory_if_needed() that only calls it when it is
/// safe to: no script in timeout condition, and no loading of data.
///
/// C: evict.c freeMemoryIfNeededAndSafe()
pub(crate) fn free_memory_if_needed_and_safe(
    server: &mut RedisServer,
) -> CResult {
    if server.lua_timedout || server.loading {
        return Ok(());
    }
    free_memory_if_needed(server)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> Vec<EvictionPoolEntry> {
        let mut server = crate::server::init_server_config();
        eviction_pool_alloc(&mut server);
        server.eviction_pool_lru
    }

    fn keys(pool: &[EvictionPoolEntry]) -> Vec<(String, u64)> {
        pool.iter()
            .filter(|e| e.key)
            .map(|e| (String::from_utf8_lossy(&e.cached).into_owned(), e.idle))
            .collect()
    }

    #[test]
    fn eviction_pool_populate_keeps_the_pool_in_ascending_idle_order() {
        let mut p = pool();
        for (k, idle) in [("c", 30), ("a", 10), ("d", 40), ("b", 20)] {
            eviction_pool_insert(&mut p, &Key::from(k.as_bytes()), idle, 0);
        }
        let got = keys(&p);
        let idles: Vec<u64> = got.iter().map(|x| x.1).collect();
        assert_eq!(idles, [10, 20, 30, 40]);
        assert_eq!(got[0].0, "a");
        assert_eq!(got[3].0, "d");
    }

    #[test]
    fn eviction_pool_populate_full_pool_drops_the_smallest_idle() {
        let mut p = pool();
        for i in 0..EVPOOL_SIZE as u64 {
            let k = format!("k{i}");
            eviction_pool_insert(&mut p, &Key::from(k.as_bytes()), 100 + i, 0);
        }
        // Worse than the worst: not inserted.
        eviction_pool_insert(&mut p, &Key::from(&b"low"[..]), 1, 0);
        assert!(keys(&p).iter().all(|(k, _)| k != "low"));
        // Better than some: inserted, and k0 (idle 100) falls out.
        eviction_pool_insert(&mut p, &Key::from(&b"mid"[..]), 105, 0);
        let got = keys(&p);
        assert_eq!(got.len(), EVPOOL_SIZE);
        assert!(got.iter().all(|(k, _)| k != "k0"));
        assert!(got.windows(2).all(|w| w[0].1 <= w[1].1));
        assert!(got.iter().any(|(k, i)| k == "mid" && *i == 105));
    }

    #[test]
    fn lfu_log_incr_saturates_at_255() {
        let server = crate::server::init_server_config();
        assert_eq!(lfu_log_incr(&server, 255), 255);
        // At or below LFU_INIT_VAL the increment always happens (p = 1).
        assert_eq!(lfu_log_incr(&server, 0), 1);
        assert_eq!(lfu_log_incr(&server, LFU_INIT_VAL as u8), 6);
    }
}
