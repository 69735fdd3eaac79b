//! server.c's "Hash table type implementation" helpers (resizing the
//! keyspace's tables) and "Cron: called every 100 ms": `server_cron`,
//! `clients_cron`, `databases_cron`, `before_sleep`, in C's order.

use super::*;

// ------------------------------ hash table helpers ------------------------------

/// Hash tables whose fill drops under 10% are shrunk, unless a child is
/// saving (then copy-on-write would make it cost memory).
///
/// C: server.c htNeedsResize()
pub(crate) fn ht_needs_resize(size: u64, used: u64) -> bool {
    size > crate::dict::DICT_HT_INITIAL_SIZE as u64 && used * 100 / size < 10
}

/// If the percentage of used slots in the HT reaches HASHTABLE_MIN_FILL we
/// resize the hash table to save memory.
///
/// C: server.c tryResizeHashTables()
pub(crate) fn try_resize_hash_tables(server: &mut RedisServer, dbid: usize) {
    let db = &mut server.db[dbid];
    if ht_needs_resize(db.dict.dict_slots() as u64, db.dict.dict_size() as u64)
    {
        let _ = db.dict.dict_resize();
    }
    if ht_needs_resize(
        db.expires.dict_slots() as u64,
        db.expires.dict_size() as u64,
    ) {
        let _ = db.expires.dict_resize();
    }
}

/// Our hash table implementation performs rehashing incrementally while we
/// write/read from the hash table. Still if the server is idle, the hash
/// table will use two tables for a long time. So we try to use 1
/// millisecond of CPU time at every call of this function to perform some
/// rehashing. Returns true if some rehashing was performed.
///
/// C: server.c incrementallyRehash()
pub(crate) fn incrementally_rehash(
    server: &mut RedisServer,
    dbid: usize,
) -> bool {
    let db = &mut server.db[dbid];
    // Keys dictionary
    if db.dict.dict_is_rehashing() {
        db.dict.dict_rehash_milliseconds(1);
        return true; // already used our millisecond for this loop...
    }
    // Expires
    if db.expires.dict_is_rehashing() {
        db.expires.dict_rehash_milliseconds(1);
        return true;
    }
    false
}

/// This function is called once a background process of some kind
/// terminates, as we want to avoid resizing the hash tables when there is a
/// child in order to play well with copy-on-write (otherwise when a resize
/// happens lots of memory pages are copied).
///
/// C: server.c updateDictResizePolicy()
pub(crate) fn update_dict_resize_policy(server: &RedisServer) {
    if server.rdb_child_pid == -1 && server.aof_child_pid == -1 {
        crate::dict::dict_enable_resize();
    } else {
        crate::dict::dict_disable_resize();
    }
}

// ------------------------------------ cron ------------------------------------

/// Add a sample to the operations per second array of samples.
///
/// C: server.c trackInstantaneousMetric()
pub(crate) fn track_instantaneous_metric(
    server: &mut RedisServer,
    metric: usize,
    current_reading: i64,
) {
    let t = mstime() - server.inst_metric[metric].last_sample_time;
    let m = &mut server.inst_metric[metric];
    let ops = current_reading - m.last_sample_count;
    let ops_sec = if t > 0 { ops * 1000 / t } else { 0 };
    m.samples[m.idx] = ops_sec;
    m.idx = (m.idx + 1) % STATS_METRIC_SAMPLES;
    m.last_sample_time = mstime();
    m.last_sample_count = current_reading;
}

/// Return the mean of all the samples.
///
/// C: server.c getInstantaneousMetric()
pub(crate) fn get_instantaneous_metric(
    server: &RedisServer,
    metric: usize,
) -> i64 {
    server.inst_metric[metric].samples.iter().sum::<i64>()
        / STATS_METRIC_SAMPLES as i64
}

/// The query buffer is shrunk when it is big and mostly unused, or when the
/// client has been idle for a while.
///
/// C: server.c clientsCronResizeQueryBuffer()
pub(crate) fn clients_cron_resize_query_buffer(
    c: &mut Client,
    unixtime: i64,
) -> bool {
    let querybuf_size = c.querybuf.capacity();
    let idletime = unixtime - c.lastinteraction;
    // Divergence from C: a buffer sized for the big argument being read
    // (processMultibulkBuffer made room for all of it) is left alone, and
    // so is the master's pending buffer meanwhile: 5.0 shrinks them to what
    // has arrived, and the next reads grow them again, each growth a
    // realloc that may copy (a 512 MB SET peaked at 1 GB). Later Redis
    // versions never shrink the query buffer below the bulk length either.
    let reading_big_arg = c.reqtype == PROTO_REQ_MULTIBULK
        && c.bulklen != -1
        && c.bulklen >= PROTO_MBULK_BIG_ARG
        && querybuf_size <= c.bulklen as usize + 2;
    // Only resize the query buffer if it is actually wasting at least a
    // few kbytes.
    if !reading_big_arg
        && querybuf_size > 1024 * 4
        && (querybuf_size / (c.querybuf_peak + 1) > 2
            || (querybuf_size > 1024 * 32 && idletime > 2))
        && c.querybuf.len() - c.qb_pos < querybuf_size / 2
    {
        c.querybuf.drain(..c.qb_pos);
        c.qb_pos = 0;
        c.querybuf.shrink_to_fit();
    }
    // Reset the peak again to capture the peak memory usage in the next
    // cycle.
    c.querybuf_peak = 0;

    // Clients representing masters also use a "pending query buffer" that
    // is the yet not applied part of the stream we are reading. Such buffer
    // also needs resizing from time to time, otherwise after a very large
    // transfer (a huge value or a big MIGRATE operation) it will keep using
    // a lot of memory.
    if c.flags & CLIENT_MASTER != 0 && !reading_big_arg {
        // There are two conditions to resize the pending query buffer:
        // 1) Pending Query buffer is > LIMIT_PENDING_QUERYBUF.
        // 2) Used length is smaller than pending_querybuf_size/2
        let pending_querybuf_size = c.pending_querybuf.capacity();
        if pending_querybuf_size > LIMIT_PENDING_QUERYBUF
            && c.pending_querybuf.len() < pending_querybuf_size / 2
        {
            c.pending_querybuf.shrink_to_fit();
        }
    }
    false
}

/// This function is called by serverCron() and is used in order to perform
/// operations on clients that are important to perform constantly: the idle
/// timeout and the query buffer resize. It visits a part of the clients on
/// every call so that every client is seen about once a second.
///
/// C: server.c clientsCron()
pub(crate) fn clients_cron(server: &mut RedisServer) {
    let numclients = server.clients.len();
    let mut iterations = numclients / server.hz.max(1) as usize;
    let now = mstime();
    if iterations < CLIENTS_CRON_MIN_ITERATIONS {
        iterations = numclients.min(CLIENTS_CRON_MIN_ITERATIONS);
    }
    // Divergence from C: C rotates the clients list; we walk the id-ordered
    // table from where the last call stopped, wrapping around.
    let mut ids: Vec<ClientId> = server
        .clients
        .ids_from(ClientId(server.clients_cron_next))
        .take(iterations)
        .collect();
    if ids.len() < iterations {
        let more = iterations - ids.len();
        ids.extend(
            server
                .clients
                .ids()
                .take(more)
                .filter(|id| id.0 < server.clients_cron_next),
        );
    }
    if let Some(last) = ids.last() {
        server.clients_cron_next = last.0 + 1;
    }
    for id in ids {
        if net::clients_cron_handle_timeout(server, id, now) {
            continue;
        }
        let unixtime = server.unixtime;
        if let Some(c) = server.clients.here_mut(&id) {
            clients_cron_resize_query_buffer(c, unixtime);
        }
    }
}

/// This function handles 'background' operations we are required to do
/// incrementally in Redis databases, such as active key expiring, resizing,
/// rehashing.
///
/// C: server.c databasesCron()
pub(crate) fn databases_cron(server: &mut RedisServer) {
    // Expire keys by random sampling. Not required for slaves as master
    // will synthesize DELs for us.
    if server.active_expire_enabled {
        if server.masterhost.is_none() {
            crate::expire::active_expire_cycle(
                server,
                ACTIVE_EXPIRE_CYCLE_SLOW,
            );
        } else {
            crate::expire::expire_slave_keys(server);
        }
    }
    // Perform hash tables rehashing if needed, but only if there are no
    // other processes saving the DB on disk. Otherwise rehashing is bad as
    // will cause a lot of copy-on-write of memory pages.
    if server.rdb_child_pid == -1 && server.aof_child_pid == -1 {
        let dbnum = server.dbnum as u32;
        // Don't test more DBs than we have.
        let dbs_per_call = (CRON_DBS_PER_CALL as u32).min(dbnum);
        // Resize
        for _ in 0..dbs_per_call {
            let id = (server.resize_db % dbnum) as usize;
            try_resize_hash_tables(server, id);
            server.resize_db += 1;
        }
        // Rehash
        if server.activerehashing {
            for _ in 0..dbs_per_call {
                let id = (server.rehash_db % dbnum) as usize;
                let work_done = incrementally_rehash(server, id);
                if work_done {
                    // If the function did some work, stop here, we'll do
                    // more at the next cron loop.
                    break;
                }
                // If this db didn't need rehash, we'll try the next one.
                server.rehash_db += 1;
                server.rehash_db %= dbnum;
            }
        }
    }
}

/// We take a cached value of the unix time in the global state because with
/// virtual memory and aging there is to store the current time in objects
/// at every object access, and accuracy is not needed.
///
/// C: server.c updateCachedTime()
pub(crate) fn update_cached_time(server: &mut RedisServer) {
    server.ustime = ustime();
    server.mstime = server.ustime / 1000;
    server.unixtime = server.mstime / 1000;
}

/// True when the cron should run a `ms`-period job now.
///
/// C: server.h run_with_period()
pub(crate) fn run_with_period(server: &RedisServer, ms: i64) -> bool {
    let every = 1000 / server.hz.max(1) as i64;
    ms <= every || server.cronloops % (ms / every) == 0
}

/// This is our timer interrupt, called server.hz times per second. Here is
/// where we do a number of things that need to be done asynchronously: the
/// active expiry, the client timeouts, stats, rehashing, reaping a BGSAVE
/// child, triggering BGSAVE on save points, replication reconnection.
///
/// C: server.c serverCron()
pub(crate) fn server_cron(
    server: &mut RedisServer,
    _id: i64,
    _data: ClientData,
) -> i64 {
    // Software watchdog: deliver the SIGALRM that will reach the signal
    // handler if we don't return here fast enough.
    if server.watchdog_period != 0 {
        crate::debug::watchdog_schedule_signal(server.watchdog_period);
    }

    // Update the time cache.
    update_cached_time(server);

    server.hz = server.config_hz;
    // Adapt the server.hz value to the number of configured clients. If we
    // have many clients, we want to call serverCron() with an higher
    // frequency.
    if server.dynamic_hz {
        while server.clients.len() as i32 / server.hz
            > MAX_CLIENTS_PER_CLOCK_TICK
        {
            server.hz *= 2;
            if server.hz > CONFIG_MAX_HZ {
                server.hz = CONFIG_MAX_HZ;
                break;
            }
        }
    }

    if run_with_period(server, 100) {
        let (cmds, inb, outb) = (
            server.stat_numcommands,
            server.stat_net_input_bytes,
            server.stat_net_output_bytes,
        );
        track_instantaneous_metric(server, STATS_METRIC_COMMAND, cmds);
        track_instantaneous_metric(server, STATS_METRIC_NET_INPUT, inb);
        track_instantaneous_metric(server, STATS_METRIC_NET_OUTPUT, outb);
    }

    server.lruclock = crate::evict::get_lru_clock();

    // Record the max memory used since the server was started.
    let used = crate::util::zmalloc_used_memory();
    if used > server.stat_peak_memory {
        server.stat_peak_memory = used;
    }
    if run_with_period(server, 100) {
        // Sample the RSS and other metrics here since this is a relatively
        // slow call. We must sample the zmalloc_used at the same time we
        // take the rss, otherwise the frag ratio calculate may be off
        // (ratio of two samples at different times).
        let ms = &mut server.cron_malloc_stats;
        ms.process_rss = crate::util::zmalloc_get_rss();
        ms.zmalloc_used = crate::util::zmalloc_used_memory();
        // Sampling the allocator info can be slow too. The fragmentation
        // ratio it'll show is potentially more accurate: it excludes
        // other RSS pages such as shared libraries, Lua and other
        // non-zmalloc allocations, and allocator reserved pages that can
        // be purged (all not actual frag).
        (ms.allocator_allocated, ms.allocator_active, ms.allocator_resident) =
            crate::util::zmalloc_get_allocator_info();
        // In case the allocator isn't providing these stats, fake them so
        // that fragmentation info still shows some (inaccurate metrics).
        if ms.allocator_resident == 0 {
            // Lua memory isn't part of zmalloc_used, but it is part of the
            // process RSS, so we must deduct it in order to be able to
            // calculate a correct "allocator fragmentation" ratio.
            let lua_memory = server
                .lua
                .as_ref()
                .map(|l| l.lua.used_memory() / 1024 * 1024)
                .unwrap_or(0);
            let ms = &mut server.cron_malloc_stats;
            ms.allocator_resident = ms.process_rss.saturating_sub(lua_memory);
        }
        let ms = &mut server.cron_malloc_stats;
        if ms.allocator_active == 0 {
            ms.allocator_active = ms.allocator_resident;
        }
        if ms.allocator_allocated == 0 {
            ms.allocator_allocated = ms.zmalloc_used;
        }
    }

    // We received a SIGTERM, shutting down here in a safe way, as it is not
    // ok doing so inside the signal handler.
    if SHUTDOWN_ASAP.load(std::sync::atomic::Ordering::Relaxed) {
        server.shutdown_asap = true;
    }
    if server.shutdown_asap {
        if prepare_for_shutdown(server, SHUTDOWN_NOFLAGS).is_ok() {
            std::process::exit(0);
        }
        server_log!(
            server,
            LL_WARNING,
            "SIGTERM received but errors trying to shut down the server, check the logs for more information"
        );
        server.shutdown_asap = false;
        SHUTDOWN_ASAP.store(false, std::sync::atomic::Ordering::Relaxed);
    }

    // Show some info about non-empty databases
    if run_with_period(server, 5000) {
        for j in 0..server.dbnum as usize {
            let size = server.db[j].dict.dict_slots();
            let used = server.db[j].dict.dict_size();
            let vkeys = server.db[j].expires.dict_size();
            if used > 0 || vkeys > 0 {
                server_log!(
                    server,
                    LL_VERBOSE,
                    "DB {}: {} keys ({} volatile) in {} slots HT.",
                    j,
                    used,
                    vkeys,
                    size
                );
            }
        }
    }

    // Show information about connected clients
    if run_with_period(server, 5000) {
        server_log!(
            server,
            LL_VERBOSE,
            "{} clients connected ({} replicas), {} bytes in use",
            net::num_clients(server) - server.slaves.len(),
            server.slaves.len(),
            crate::util::zmalloc_used_memory()
        );
    }

    // We need to do a few operations on clients asynchronously.
    clients_cron(server);

    // Handle background operations on Redis databases.
    databases_cron(server);

    // Check if a background saving in progress terminated, or start a
    // BGSAVE because a save point was reached.
    crate::rdb::server_cron_persistence(server);
    let every_second = run_with_period(server, 1000);
    crate::rdb::server_cron_aof(server, every_second);

    // Close clients that need to be closed asynchronous
    net::free_clients_in_async_free_queue(server);

    // Clear the paused clients flag if needed.
    net::clients_are_paused(server);

    // Replication cron function -- used to reconnect to master, detect
    // transfer failures, start background RDB transfers and so forth.
    if run_with_period(server, 1000) {
        crate::replication::replication_cron(server);
    }

    // Start a scheduled BGSAVE if the corresponding flag is set. This must
    // come after replicationCron(), to give priority to RDB savings for
    // replication.
    crate::rdb::server_cron_scheduled_bgsave(server);

    server.cronloops += 1;
    1000 / server.hz as i64
}

/// C: server.h MAX_CLIENTS_PER_CLOCK_TICK
pub(crate) const MAX_CLIENTS_PER_CLOCK_TICK: i32 = 200;

/// This function gets called every time Redis is entering the main loop of
/// the event driven library, that is, before to sleep for ready file
/// descriptors.
///
/// C: server.c beforeSleep()
pub(crate) fn before_sleep(server: &mut RedisServer) {
    // Run a fast expire cycle (the called function will return ASAP if a
    // fast cycle is not needed).
    if server.active_expire_enabled && server.masterhost.is_none() {
        crate::expire::active_expire_cycle(server, ACTIVE_EXPIRE_CYCLE_FAST);
    }

    // Send all the slaves an ACK request if at least one client blocked
    // during the previous event loop iteration, and serve the clients
    // unblocked in the meantime.
    crate::replication::before_sleep_replication(server);

    // Try to process pending commands for clients that were just unblocked.
    crate::blocked::process_unblocked_clients(server);

    // Write the AOF buffer on disk. Divergence from C: only with AOF on (C
    // calls it always; with AOF off the buffer is empty).
    if server.aof_state != crate::config::AOF_OFF {
        crate::aof::flush_append_only_file(server, false);
    }

    // Handle writes with pending output buffers.
    net::handle_clients_with_pending_writes(server);
}

/// This function is called immediately after the event loop multiplexing
/// API returned, and the control is going to soon return to Redis by
/// invoking the different events callbacks.
///
/// C: server.c afterSleep()
pub(crate) fn after_sleep(_server: &mut RedisServer) {}
