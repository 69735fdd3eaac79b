//! The replication cron: once a second, from server_cron. On a replica it
//! watches the link to the master (handshake and transfer timeouts, the
//! master's silence), connects, and acknowledges the offset; on a master
//! it pings the replicas, keeps the ones waiting for an RDB alive, drops
//! the silent ones, frees an unused backlog and starts the BGSAVE that
//! waiting replicas need.
//!
//! Ports the "REPLICATION CRON" section of replication.c (Redis 5.0.14).
//! The function has two halves kept in two marked blocks: the replica half
//! (written with slave.rs) and the master half.

use std::io::Write;

use crate::networking::free_client;
use crate::server::*;
use crate::server_log;

use super::*;

// --------------------------- REPLICATION CRON  ----------------------------

/// Replication cron function, called 1 time per second.
///
/// C: replication.c replicationCron()
pub(crate) fn replication_cron(server: &mut RedisServer) {
    // ===================== replica half (slave.rs side) =====================
    // `time(NULL)` in C: the wall clock, not the cached unixtime.
    let now = mstime() / 1000;

    // Non blocking connection timeout?
    if server.masterhost.is_some()
        && (server.repl_state == REPL_STATE_CONNECTING
            || slave_is_in_handshake_state(server))
        && (now - server.repl_transfer_lastio) > server.repl_timeout as i64
    {
        server_log!(server, LL_WARNING, "Timeout connecting to the MASTER...");
        history::attempt_failing(
            server,
            format!(
                "timeout in {} after repl-timeout {} s",
                history::repl_state_name(server.repl_state),
                server.repl_timeout
            ),
        );
        cancel_replication_handshake(server);
    }

    // Bulk transfer I/O timeout?
    if server.masterhost.is_some()
        && server.repl_state == REPL_STATE_TRANSFER
        && (now - server.repl_transfer_lastio) > server.repl_timeout as i64
    {
        server_log!(
            server,
            LL_WARNING,
            "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value."
        );
        history::attempt_failing(
            server,
            format!(
                "timeout receiving the RDB after repl-timeout {} s",
                server.repl_timeout
            ),
        );
        cancel_replication_handshake(server);
    }

    // Timed out master when we are an already connected slave?
    if server.masterhost.is_some() && server.repl_state == REPL_STATE_CONNECTED
    {
        if let Some(id) = server.master {
            let lastinteraction =
                server.clients.get(&id).map_or(now, |m| m.lastinteraction);
            if (now - lastinteraction) > server.repl_timeout as i64 {
                server_log!(
                    server,
                    LL_WARNING,
                    "MASTER timeout: no data nor PING received..."
                );
                free_client(server, id);
            }
        }
    }

    // Check if we should connect to a MASTER
    if server.repl_state == REPL_STATE_CONNECT {
        server_log!(
            server,
            LL_NOTICE,
            "Connecting to MASTER {}:{}",
            server.masterhost.as_deref().unwrap_or("(null)"),
            server.masterport
        );
        if connect_with_master(server).is_ok() {
            server_log!(server, LL_NOTICE, "MASTER <-> REPLICA sync started");
        }
    }

    // Send ACK to master from time to time. Note that we do not send
    // periodic acks to masters that don't support PSYNC and replication
    // offsets.
    if server.masterhost.is_some()
        && server
            .master
            .and_then(|id| server.clients.get(&id))
            .is_some_and(|m| m.flags & CLIENT_PRE_PSYNC == 0)
    {
        replication_send_ack(server);
    }
    // =================== end of the replica half ===========================

    // ============================ master half ==============================

    // If we have attached slaves, PING them from time to time. So slaves
    // can implement an explicit timeout to masters, and will be able to
    // detect a link disconnection even if the TCP connection will not
    // actually go down.

    // First, send PING according to ping_slave_period.
    if server.repl_ping_slave_period > 0
        && (server.repl_cron_loops % server.repl_ping_slave_period as i64) == 0
        && !server.slaves.is_empty()
    {
        // Note that we don't send the PING if the clients are paused during
        // a Redis Cluster manual failover: the PING we send will otherwise
        // alter the replication offsets of master and slave, and will no
        // longer match the one stored into 'mf_master_offset' state.
        // Divergence from C: there is no Redis Cluster, so no manual
        // failover can be in progress.
        let manual_failover_in_progress = false;

        if !manual_failover_in_progress {
            let ping_argv = [b"PING".to_vec()];
            let dictid = server.slaveseldb;
            replication_feed_slaves(server, dictid, &ping_argv);
        }
    }

    // Second, send a newline to all the slaves in pre-synchronization
    // stage, that is, slaves waiting for the master to create the RDB file.
    //
    // Also send the a newline to all the chained slaves we have, if we
    // lost connection from our master, to keep the slaves aware that their
    // master is online. This is needed since sub-slaves only receive
    // proxied data from top-level masters, so there is no explicit pinging
    // in order to avoid altering the replication offsets. This special out
    // of band pings (newlines) can be sent, they will have no effect in the
    // offset.
    //
    // The newline will be ignored by the slave but will refresh the last
    // interaction timer preventing a timeout. In this case we ignore the
    // ping period and refresh the connection once per second since certain
    // timeouts are set at a few seconds (example: PSYNC response).
    for id in &server.slaves {
        let Some(slave) = server.clients.get(id) else { continue };
        let is_presync = slave.replstate == SLAVE_STATE_WAIT_BGSAVE_START
            || (slave.replstate == SLAVE_STATE_WAIT_BGSAVE_END
                && server.rdb_child_type != crate::rdb::RDB_CHILD_TYPE_SOCKET);

        if is_presync {
            if let Some(s) = slave.sock.as_ref() {
                // Don't worry about socket errors, it's just a ping.
                let _ = (&*s).write(b"\n");
            }
        }
    }

    // Disconnect timedout slaves.
    if !server.slaves.is_empty() {
        for id in server.slaves.clone() {
            let Some(slave) = server.clients.get(&id) else { continue };
            if slave.replstate != SLAVE_STATE_ONLINE {
                continue;
            }
            if slave.flags & CLIENT_PRE_PSYNC != 0 {
                continue;
            }
            if (server.unixtime - slave.repl_ack_time)
                > server.repl_timeout as i64
            {
                server_log!(
                    server,
                    LL_WARNING,
                    "Disconnecting timedout replica: {}",
                    replication_get_slave_name(slave)
                );
                free_client(server, id);
            }
        }
    }

    // If this is a master without attached slaves and there is a
    // replication backlog active, in order to reclaim memory we can free
    // it after some (configured) time. Note that this cannot be done for
    // slaves: slaves without sub-slaves attached should still accumulate
    // data into the backlog, in order to reply to PSYNC queries if they
    // are turned into masters after a failover.
    if server.slaves.is_empty()
        && server.repl_backlog_time_limit != 0
        && server.repl_backlog.is_some()
        && server.masterhost.is_none()
    {
        let idle = server.unixtime - server.repl_no_slaves_since;

        if idle > server.repl_backlog_time_limit {
            // When we free the backlog, we always use a new replication ID
            // and clear the ID2. This is needed because when there is no
            // backlog, the master_repl_offset is not updated, but we would
            // still retain our replication ID, leading to the following
            // problem:
            //
            // 1. We are a master instance.
            // 2. Our slave is promoted to master. It's repl-id-2 will be
            //    the same as our repl-id.
            // 3. We, yet as master, receive some updates, that will not
            //    increment the master_repl_offset.
            // 4. Later we are turned into a slave, connect to the new
            //    master that will accept our PSYNC request by second
            //    replication ID, but there will be data inconsistency
            //    because we received writes.
            let old_replid = server.replid;
            change_replication_id(server);
            clear_replication_id2(server);
            free_replication_backlog(server);
            server_log!(
                server,
                LL_NOTICE,
                "Replication backlog freed after {} seconds without connected replicas.",
                server.repl_backlog_time_limit as i32
            );
            let why = format!(
                "freed after repl-backlog-ttl ({} s without replicas)",
                server.repl_backlog_time_limit
            );
            history::backlog_freed(server, why, Some(old_replid));
        }
    }

    // If AOF is disabled and we no longer have attached slaves, we can
    // free our Replication Script Cache as there is no need to propagate
    // EVALSHA at all.
    if server.slaves.is_empty()
        && server.aof_state == crate::config::AOF_OFF
        && !server.repl_scriptcache_fifo.is_empty()
    {
        replication_script_cache_flush(server);
    }

    // Start a BGSAVE good for replication if we have slaves in
    // WAIT_BGSAVE_START state.
    //
    // In case of diskless replication, we make sure to wait the specified
    // number of seconds (according to configuration) so that other slaves
    // have the time to arrive before we start streaming.
    if server.rdb_child_pid == -1 && server.aof_child_pid == -1 {
        let mut max_idle = 0;
        let mut slaves_waiting = 0;
        let mut mincapa = -1;

        for id in &server.slaves {
            let Some(slave) = server.clients.get(id) else { continue };
            if slave.replstate == SLAVE_STATE_WAIT_BGSAVE_START {
                let idle = server.unixtime - slave.lastinteraction;
                if idle > max_idle {
                    max_idle = idle;
                }
                slaves_waiting += 1;
                mincapa = if mincapa == -1 {
                    slave.slave_capa
                } else {
                    mincapa & slave.slave_capa
                };
            }
        }

        if slaves_waiting != 0
            && (!server.repl_diskless_sync
                || max_idle > server.repl_diskless_sync_delay as i64)
        {
            // Start the BGSAVE. The called function may start a BGSAVE with
            // socket target or disk target depending on the configuration
            // and slaves capabilities.
            let _ = start_bgsave_for_replication(server, mincapa);
        }
    }

    // Refresh the number of slaves with lag <= min-slaves-max-lag.
    refresh_good_slaves_count(server);
    // The write rate behind INFO replhistory's backlog hint (no C twin).
    history::sample_write_rate(server);
    server.repl_cron_loops += 1; // Incremented with frequency 1 HZ.
                                 // ========================== end of master half ==========================
}
