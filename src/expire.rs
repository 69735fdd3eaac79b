//! The active expire cycle: samples keys with a TTL at random and deletes
//! the expired ones, adapting its effort to how many it finds, within a
//! CPU time budget.
//!
//! Ports expire.c from Redis 5.0.14 (activeExpireCycle and its helper, and
//! the tracking of keys created in writable replicas; the expire commands
//! live in db.rs beside the rest of the keyspace commands).

use crate::db::{db_sync_delete, propagate_expire};
use crate::dict::DICT_HT_INITIAL_SIZE;
use crate::server::*;

/// Helper function for the activeExpireCycle() function. This function
/// will try to expire the key that is stored in the hash table entry 'de'
/// of the 'expires' hash table of a Redis database.
///
/// If the key is found to be expired, it is removed from the database and
/// true is returned. Otherwise no operation is performed and false is
/// returned.
///
/// C: expire.c activeExpireCycleTryExpire()
pub(crate) fn active_expire_cycle_try_expire(
    server: &mut RedisServer,
    dbid: usize,
    key: &[u8],
    t: i64,
    now: i64,
) -> bool {
    if now > t {
        let lazy = server.lazyfree_lazy_expire;
        propagate_expire(server, dbid, key, lazy);
        if server.lazyfree_lazy_expire {
            crate::lazyfree::db_async_delete(&mut server.db[dbid], key);
        } else {
            db_sync_delete(server, dbid, key);
        }
        crate::notify::notify_keyspace_event(
            server,
            NOTIFY_EXPIRED,
            "expired",
            key,
            dbid as i32,
        );
        server.stat_expiredkeys += 1;
        true
    } else {
        false
    }
}

/// Try to expire a few timed out keys. The algorithm used is adaptive and
/// will use few CPU cycles if there are few expiring keys, otherwise it
/// will get more aggressive to avoid that too much memory is used by keys
/// that can be removed from the keyspace.
///
/// Every expire cycle tests multiple databases: the next call will start
/// again from the next db, with the exception of exiting for timeout.
///
/// If type is ACTIVE_EXPIRE_CYCLE_FAST the function will try to run a
/// "fast" expire cycle that takes no longer than EXPIRE_FAST_CYCLE_DURATION
/// microseconds, and is not repeated again before the same amount of time.
/// If type is ACTIVE_EXPIRE_CYCLE_SLOW, that normal expire cycle is
/// executed, where the time limit is a percentage of the REDIS_HZ period as
/// specified by the ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC define.
///
/// C: expire.c activeExpireCycle()
pub(crate) fn active_expire_cycle(server: &mut RedisServer, type_: i32) {
    // C keeps current_db, timelimit_exit and last_fast_cycle as function
    // statics; here they are server fields (expire_*).
    let mut iteration = 0u32;
    let mut dbs_per_call = CRON_DBS_PER_CALL;
    let start = ustime();

    // When clients are paused the dataset should be static not just from
    // the POV of clients not being able to write, but also from the POV of
    // expires and evictions of keys not being performed.
    if crate::networking::clients_are_paused(server) {
        return;
    }

    if type_ == ACTIVE_EXPIRE_CYCLE_FAST {
        // Don't start a fast cycle if the previous cycle did not exit for
        // time limit. Also don't repeat a fast cycle for the same period as
        // the fast cycle total duration itself.
        if !server.expire_timelimit_exit {
            return;
        }
        if start
            < server.expire_last_fast_cycle
                + ACTIVE_EXPIRE_CYCLE_FAST_DURATION * 2
        {
            return;
        }
        server.expire_last_fast_cycle = start;
    }

    // We usually should test CRON_DBS_PER_CALL per iteration, with two
    // exceptions: 1) Don't test more DBs than we have. 2) If last time we
    // hit the time limit, we want to scan all DBs in this iteration, as
    // there is work to do in some DB and we don't want expired keys to use
    // memory for too much time.
    if dbs_per_call > server.dbnum || server.expire_timelimit_exit {
        dbs_per_call = server.dbnum;
    }

    // We can use at max ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC percentage of CPU
    // time per iteration. Since this function gets called with a frequency
    // of server.hz times per second, the following is the max amount of
    // microseconds we can spend in this function.
    let mut timelimit = 1_000_000 * ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC
        / server.hz.max(1) as i64
        / 100;
    server.expire_timelimit_exit = false;
    if timelimit <= 0 {
        timelimit = 1;
    }
    if type_ == ACTIVE_EXPIRE_CYCLE_FAST {
        timelimit = ACTIVE_EXPIRE_CYCLE_FAST_DURATION; // in microseconds.
    }

    // Accumulate some global stats as we expire keys, to have some idea
    // about the number of keys that are already logically expired, but still
    // existing inside the database.
    let mut total_sampled: i64 = 0;
    let mut total_expired: i64 = 0;

    let mut j = 0;
    while j < dbs_per_call && !server.expire_timelimit_exit {
        let dbid = (server.expire_current_db % server.dbnum as u32) as usize;
        // Increment the DB now so we are sure if we run out of time in the
        // current DB we'll restart from the next. This allows to distribute
        // the time evenly across DBs.
        server.expire_current_db = server.expire_current_db.wrapping_add(1);

        // Continue to expire if at the end of the cycle more than 25% of
        // the keys were expired.
        loop {
            iteration += 1;

            // If there is nothing to expire try next DB ASAP.
            let mut num = server.db[dbid].expires.dict_size() as u64;
            if num == 0 {
                server.db[dbid].avg_ttl = 0;
                break;
            }
            let slots = server.db[dbid].expires.dict_slots() as u64;
            let now = mstime();

            // When there are less than 1% filled slots getting random keys
            // is expensive, so stop here waiting for better times... The
            // dictionary will be resized asap.
            if slots > DICT_HT_INITIAL_SIZE as u64 && num * 100 / slots < 1 {
                break;
            }

            // The main collection cycle. Sample random keys among keys with
            // an expire set, checking for expired ones.
            let mut expired = 0u64;
            let mut ttl_sum: i64 = 0;
            let mut ttl_samples: i64 = 0;

            if num > ACTIVE_EXPIRE_CYCLE_LOOKUPS_PER_LOOP {
                num = ACTIVE_EXPIRE_CYCLE_LOOKUPS_PER_LOOP;
            }
            while num > 0 {
                num -= 1;
                let Some((key, t)) = server.db[dbid]
                    .expires
                    .dict_get_random_key()
                    .map(|de| (de.key().to_vec(), *de.val()))
                else {
                    break;
                };
                // C's subtraction and sum wrap for an expire time that
                // itself wrapped negative (SET ... PX near LLONG_MAX).
                let ttl = t.wrapping_sub(now);
                if active_expire_cycle_try_expire(server, dbid, &key, t, now) {
                    expired += 1;
                }
                if ttl > 0 {
                    // We want the average TTL of keys yet not expired.
                    ttl_sum = ttl_sum.wrapping_add(ttl);
                    ttl_samples += 1;
                }
                total_sampled += 1;
            }
            total_expired += expired as i64;

            // Update the average TTL stats for this database.
            if ttl_samples != 0 {
                let avg_ttl = ttl_sum / ttl_samples;
                let db = &mut server.db[dbid];
                // Do a simple running average with a few samples. We just
                // use the current estimate with a weight of 2% and the
                // previous estimate with a weight of 98%.
                if db.avg_ttl == 0 {
                    db.avg_ttl = avg_ttl;
                }
                db.avg_ttl = (db.avg_ttl / 50) * 49 + (avg_ttl / 50);
            }

            // We can't block forever here even if there are many keys to
            // expire. So after a given amount of milliseconds return to the
            // caller waiting for the other active expire cycle.
            if iteration & 0xf == 0 {
                // check once every 16 iterations.
                let elapsed = ustime() - start;
                if elapsed > timelimit {
                    server.expire_timelimit_exit = true;
                    server.stat_expired_time_cap_reached_count += 1;
                    break;
                }
            }
            // We don't repeat the cycle if there are less than 25% of keys
            // found expired in the current DB.
            if expired <= ACTIVE_EXPIRE_CYCLE_LOOKUPS_PER_LOOP / 4 {
                break;
            }
        }
        j += 1;
    }

    let elapsed = ustime() - start;
    crate::latency::latency_add_sample_if_needed(
        server,
        "expire-cycle",
        elapsed / 1000,
    );

    // Update our estimate of keys existing but yet to be expired. Running
    // average with this sample accounting for 5%.
    let current_perc = if total_sampled != 0 {
        total_expired as f64 / total_sampled as f64
    } else {
        0.0
    };
    server.stat_expired_stale_perc =
        (current_perc * 0.05) + (server.stat_expired_stale_perc * 0.95);
}

// ---------------------- Expires of keys created in writable slaves ----------------------
//
// Replicas normally never expire keys themselves: they wait for the DELs
// their master synthesizes, so both sides stay consistent. A writable
// replica is the exception: a key its own clients created with an expire
// is unknown to the master, so nobody would ever delete it. Such keys are
// remembered in `server.slave_keys_with_expire`, and expire_slave_keys(),
// run from databases_cron on replicas, reclaims the ones whose time passed.
//
// The table maps a key name to a 64 bit bitmap of the DBs where it may
// exist; keys in DBs with an id above 63 are not tracked (C leaves the
// same gap, noting that a full bitmap would be the trivial fix). The table
// is created on first use. The scheme is best effort, still far better
// than leaking the keys as 3.2 did.

/// Check the keys a writable replica's clients created with an expire,
/// and delete the ones already expired. Samples at random and stops after
/// finding more than 3 keys it cannot expire yet, or after about a
/// millisecond.
///
/// C: expire.c expireSlaveKeys()
pub(crate) fn expire_slave_keys(server: &mut RedisServer) {
    match &server.slave_keys_with_expire {
        Some(d) if d.dict_size() != 0 => {}
        _ => return,
    }

    let mut cycles = 0u64;
    let mut noexpire = 0u64;
    let start = mstime();
    while let Some((keyname, mut dbids)) =
        server.slave_keys_with_expire.as_mut().and_then(|d| {
            d.dict_get_random_key().map(|de| (de.key().clone(), *de.val()))
        })
    {
        let mut new_dbids = 0u64;

        // Check the key against every database corresponding to the bits
        // set in the value bitmap.
        let mut dbid = 0usize;
        while dbids != 0 && (dbid as i32) < server.dbnum {
            if dbids & 1 != 0 {
                let expire =
                    server.db[dbid].expires.find(&keyname).map(|de| *de.val());
                let mut expired = false;
                if let Some(t) = expire {
                    if active_expire_cycle_try_expire(
                        server, dbid, &keyname, t, start,
                    ) {
                        expired = true;
                    }
                }
                // A key not expired in this DB keeps its bit in the new
                // bitmap; a zero bitmap at the end means the key needs no
                // tracking any more.
                if expire.is_some() && !expired {
                    noexpire += 1;
                    new_dbids |= 1u64 << dbid;
                }
            }
            dbid += 1;
            dbids >>= 1;
        }

        // Store the new bitmap, or forget the key when it is zero.
        if let Some(d) = server.slave_keys_with_expire.as_mut() {
            if new_dbids != 0 {
                if let Some(v) = d.find_mut(&keyname) {
                    *v = new_dbids;
                }
            } else {
                d.dict_delete(&keyname);
            }
        }

        // Stop conditions: found 3 keys we can't expire in a row or time
        // limit was reached.
        cycles += 1;
        if noexpire > 3 {
            break;
        }
        if cycles.is_multiple_of(64) && mstime() - start > 1 {
            break;
        }
        if server.slave_keys_with_expire.as_ref().map_or(0, |d| d.dict_size())
            == 0
        {
            break;
        }
    }
}

/// Track a key that received an EXPIRE or similar command from a client
/// of a writable replica.
///
/// C: expire.c rememberSlaveKeyWithExpire()
pub(crate) fn remember_slave_key_with_expire(
    server: &mut RedisServer,
    dbid: usize,
    key: &[u8],
) {
    let d = server
        .slave_keys_with_expire
        .get_or_insert_with(crate::dict::Dict::new);
    if dbid > 63 {
        return;
    }
    // A new entry gets its own copy of the key name: the table is not kept
    // in sync with the keyspace, expire_slave_keys() prunes it as it scans.
    let dbids = d.dict_add_or_find(key.to_vec(), || 0);
    *dbids |= 1u64 << dbid;
}

/// Return the number of keys we are tracking (INFO's
/// slave_expires_tracked_keys).
///
/// C: expire.c getSlaveKeyWithExpireCount()
pub(crate) fn get_slave_key_with_expire_count(server: &RedisServer) -> usize {
    server.slave_keys_with_expire.as_ref().map_or(0, |d| d.dict_size())
}

/// Forget every tracked key. Done when the whole data set is flushed: the
/// master may later send keys with the same names, and expiring those
/// would be wrong. Flushing a single DB does not bother (a writable
/// replica sharing key names with its master is inconsistent anyway);
/// this is a best-effort mechanism.
///
/// C: expire.c flushSlaveKeysWithExpireList()
pub(crate) fn flush_slave_keys_with_expire_list(server: &mut RedisServer) {
    server.slave_keys_with_expire = None;
}
