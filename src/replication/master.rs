//! The master side of replication: turning executed commands into the
//! replication stream (for the backlog and every replica's output buffer),
//! answering SYNC and PSYNC with a partial resync from the backlog or a
//! full one through a BGSAVE, REPLCONF, and shipping the RDB to replicas.
//!
//! Ports the "MASTER" section of replication.c (Redis 5.0.14), in the same
//! order. The backlog functions C keeps at the top of this section are in
//! `mod.rs`.
//!
//! Read this first: a replica's life on the master is its `replstate`.
//! SYNC/PSYNC puts it in WAIT_BGSAVE_START; a BGSAVE that will register
//! the differences for it moves it to WAIT_BGSAVE_END (and the "+FULLRESYNC"
//! line is written then, synchronously, because the offset in it is only
//! known at fork time); a disk BGSAVE ending moves it to SEND_BULK, where
//! `send_bulk_to_slave` streams the file; then ONLINE. From WAIT_BGSAVE_END
//! on, every propagated command is appended to its output buffer, which is
//! not written to the socket until it is ONLINE (see
//! `client_install_write_handler`). SYNC, PSYNC and REPLCONF run with the
//! replica lent out of `server.clients` (it is the client running the
//! command), so functions reached from them take it as `&mut Client`.

use std::io::Write;
use std::os::unix::fs::FileExt;
use std::os::unix::io::{AsRawFd, RawFd};

use crate::ae::{
    ae_create_file_event, ae_delete_file_event, ae_not_ready, AE_WRITABLE,
};
use crate::networking::{
    add_reply, add_reply_error, add_reply_error_format,
    client_has_pending_replies, copy_client_output_buffer, free_client,
    free_client_async, send_reply_to_client, with_client,
    with_running_in_table,
};
use crate::server::*;
use crate::server_log;
use crate::util::strerror;

use super::*;

// ---------------------------------- MASTER ----------------------------------

/// Propagate write commands to slaves, and populate the replication
/// backlog as well. This function is used if the instance is a master: we
/// use the commands received by our clients in order to create the
/// replication stream. Instead if the instance is a slave and has
/// sub-slaves attached, we use replication_feed_slaves_from_master_stream().
///
/// C's first argument, the list of slaves, is always server.slaves, so it
/// is not passed.
///
/// C: replication.c replicationFeedSlaves()
pub(crate) fn replication_feed_slaves(
    server: &mut RedisServer,
    dictid: i32,
    argv: &[Vec<u8>],
) {
    feed_slaves(server, dictid, FeedArgv::Shared(argv));
}

/// `replication_feed_slaves` for a command whose argv its caller no longer
/// needs (call() propagating the command it ran): an argument of
/// PROTO_MBULK_BIG_ARG bytes or more moves into the last replica's output
/// buffer, where C copies it (C copies it into every replica's output; the
/// others get copies here too). Its entry in `argv` is left empty.
/// (no C twin)
pub(crate) fn replication_feed_slaves_moving_args(
    server: &mut RedisServer,
    dictid: i32,
    argv: &mut [Vec<u8>],
) {
    feed_slaves(server, dictid, FeedArgv::Owned(argv));
}

/// The argv `feed_slaves` encodes: borrowed, or given away (its big
/// arguments may then be moved out). (no C twin)
enum FeedArgv<'a> {
    Shared(&'a [Vec<u8>]),
    Owned(&'a mut [Vec<u8>]),
}

impl FeedArgv<'_> {
    fn args(&self) -> &[Vec<u8>] {
        match self {
            FeedArgv::Shared(a) => a,
            FeedArgv::Owned(a) => a,
        }
    }

    fn take(&mut self, j: usize) -> Option<Vec<u8>> {
        match self {
            FeedArgv::Shared(_) => None,
            FeedArgv::Owned(a) => Some(std::mem::take(&mut a[j])),
        }
    }
}

/// The body of replicationFeedSlaves(), for both forms of argv.
/// (no C twin)
fn feed_slaves(server: &mut RedisServer, dictid: i32, mut argv: FeedArgv<'_>) {
    // If the instance is not a top level master, return ASAP: we'll just
    // proxy the stream of data we receive from our master instead, in
    // order to propagate *identical* replication stream. In this way this
    // slave can advertise the same replication ID as the master (since it
    // shares the master replication history and has the same backlog and
    // offsets).
    if server.masterhost.is_some() {
        return;
    }

    // If there aren't slaves, and there is no backlog buffer to populate,
    // we can return ASAP.
    if server.repl_backlog.is_none() && server.slaves.is_empty() {
        return;
    }

    // We can't have slaves attached and no backlog.
    if !server.slaves.is_empty() && server.repl_backlog.is_none() {
        crate::server_panic!(
            server,
            "!(listLength(slaves) != 0 && server.repl_backlog == NULL)"
        );
    }

    // Send SELECT command to every slave if needed.
    if server.slaveseldb != dictid {
        // C has pre-computed SELECT commands for the first
        // PROTO_SHARED_SELECT_CMDS DBs; they are the same bytes.
        let llstr = dictid.to_string();
        let selectcmd =
            format!("*2\r\n$6\r\nSELECT\r\n${}\r\n{}\r\n", llstr.len(), llstr);

        // Add the SELECT command into the backlog.
        if server.repl_backlog.is_some() {
            feed_replication_backlog_with_object(server, selectcmd.as_bytes());
        }

        // Send it to slaves.
        for j in 0..server.slaves.len() {
            let id = server.slaves[j];
            if slave_replstate(server, id) == SLAVE_STATE_WAIT_BGSAVE_START {
                continue;
            }
            add_reply_to_slave(server, id, selectcmd.as_bytes());
        }
    }
    server.slaveseldb = dictid;

    // Don't feed slaves that are still waiting for BGSAVE to start. Feed
    // slaves that are waiting for the initial SYNC (so these commands are
    // queued in the output buffer until the initial SYNC completes), or are
    // already in sync with the master.
    let slaves: Vec<ClientId> = server
        .slaves
        .iter()
        .copied()
        .filter(|&id| {
            slave_replstate(server, id) != SLAVE_STATE_WAIT_BGSAVE_START
        })
        .collect();

    // Divergence from C: C encodes the command twice, piece by piece into
    // the backlog and then per replica with addReplyMultiBulkLen() and
    // addReplyBulk(). We encode the small pieces once and append the same
    // bytes to the backlog and to every replica; a big argument is
    // appended as it is (moved, not copied, into the last replica when
    // the argv is given away).
    let args = argv.args();
    let mut proto = Vec::with_capacity(
        16 + args
            .iter()
            .map(|a| a.len().min(PROTO_MBULK_BIG_ARG as usize) + 16)
            .sum::<usize>(),
    );
    // Add the multi bulk reply length.
    crate::networking::push_long_long_with_prefix(
        &mut proto,
        args.len() as i64,
        b'*',
    );
    for j in 0..args.len() {
        let len = argv.args()[j].len();
        if len < PROTO_MBULK_BIG_ARG as usize {
            // We need to feed the buffer with the object as a bulk reply
            // not just as a plain string, so create the $..CRLF payload len
            // and add the final CRLF.
            crate::networking::push_bulk(&mut proto, &argv.args()[j]);
            continue;
        }
        crate::networking::push_long_long_with_prefix(
            &mut proto, len as i64, b'$',
        );
        feed_stream_piece(server, &slaves, &proto);
        proto.clear();
        // Write the argument to the replication backlog if any.
        if server.repl_backlog.is_some() {
            feed_replication_backlog(server, &argv.args()[j]);
        }
        // Write the argument to every slave: copies for all but the last.
        if let Some((&last, others)) = slaves.split_last() {
            for &id in others {
                add_reply_to_slave(server, id, &argv.args()[j]);
            }
            match argv.take(j) {
                Some(v) => add_reply_owned_to_slave(server, last, v),
                None => add_reply_to_slave(server, last, &argv.args()[j]),
            }
        }
        proto.extend_from_slice(b"\r\n");
    }
    feed_stream_piece(server, &slaves, &proto);
}

/// Appends `p`, a piece of the replication stream, to the backlog (if any)
/// and to every replica of `slaves`. (no C twin)
fn feed_stream_piece(server: &mut RedisServer, slaves: &[ClientId], p: &[u8]) {
    // Write the command to the replication backlog if any.
    if server.repl_backlog.is_some() {
        feed_replication_backlog(server, p);
    }
    // Write the command to every slave.
    for &id in slaves {
        add_reply_to_slave(server, id, p);
    }
}

/// The replication state of replica `id`; a replica running a command
/// (its slot says "running") counts as one to feed, so
/// `add_reply_to_slave` sees it.
/// (no C twin)
fn slave_replstate(server: &RedisServer, id: ClientId) -> i32 {
    server.clients.get(&id).map(|c| c.replstate).unwrap_or(SLAVE_STATE_ONLINE)
}

/// This function is used in order to proxy what we receive from our master
/// to our sub-slaves.
///
/// C: replication.c replicationFeedSlavesFromMasterStream()
pub(crate) fn replication_feed_slaves_from_master_stream(
    server: &mut RedisServer,
    buf: &[u8],
) {
    if server.repl_backlog.is_some() {
        feed_replication_backlog(server, buf);
    }
    for j in 0..server.slaves.len() {
        let id = server.slaves[j];
        // Don't feed slaves that are still waiting for BGSAVE to start.
        if slave_replstate(server, id) == SLAVE_STATE_WAIT_BGSAVE_START {
            continue;
        }
        add_reply_to_slave(server, id, buf);
    }
}

/// Sends every client in MONITOR mode the line describing a command about
/// to run: `+<unix time>.<usec> [<db> <addr>] "arg" "arg" ...`. `c` is the
/// client running the command, which `call()` (and EXEC) has lent out of
/// `server.clients`; `argv` is its argument vector, passed apart so the
/// caller can lend it while `c` is borrowed mutably.
///
/// C: replication.c replicationFeedMonitors()
pub(crate) fn replication_feed_monitors(
    server: &mut RedisServer,
    c: &mut Client,
    dictid: usize,
    argv: &[Vec<u8>],
) {
    use crate::networking::get_client_peer_id;
    let tv = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let mut cmdrepr = format!("+{}.{:06} ", tv.as_secs(), tv.subsec_micros());
    if c.flags & CLIENT_LUA != 0 {
        cmdrepr.push_str(&format!("[{} lua] ", dictid));
    } else if c.flags & CLIENT_UNIX_SOCKET != 0 {
        cmdrepr.push_str(&format!(
            "[{} unix:{}] ",
            dictid,
            server.unixsocket.as_deref().unwrap_or("")
        ));
    } else {
        cmdrepr.push_str(&format!(
            "[{} {}] ",
            dictid,
            get_client_peer_id(server, c)
        ));
    }
    // Arguments are plain byte strings here: C's INT-encoded branch
    // ("%ld") prints the same text as sdscatrepr would.
    for (j, a) in argv.iter().enumerate() {
        cmdrepr.push_str(&crate::util::sdscatrepr(a));
        if j != argv.len() - 1 {
            cmdrepr.push(' ');
        }
    }
    cmdrepr.push_str("\r\n");

    for id in server.monitors.clone() {
        // A monitor may send commands too: then it is `c`, and its slot
        // says "running" and takes the line (see networking::client_table).
        crate::networking::add_reply_to_id(server, id, cmdrepr.as_bytes());
    }
}

/// Feed the slave 'c' with the replication backlog starting from the
/// specified 'offset' up to the end of the backlog. Returns how many bytes
/// were queued.
///
/// C: replication.c addReplyReplicationBacklog()
pub(crate) fn add_reply_replication_backlog(
    server: &RedisServer,
    c: &mut Client,
    offset: i64,
) -> i64 {
    server_log!(server, LL_DEBUG, "[PSYNC] Replica request offset: {}", offset);

    if server.repl_backlog_histlen == 0 {
        server_log!(server, LL_DEBUG, "[PSYNC] Backlog history len is zero");
        return 0;
    }
    let Some(backlog) = server.repl_backlog.as_deref() else {
        return 0;
    };

    server_log!(
        server,
        LL_DEBUG,
        "[PSYNC] Backlog size: {}",
        server.repl_backlog_size
    );
    server_log!(
        server,
        LL_DEBUG,
        "[PSYNC] First byte: {}",
        server.repl_backlog_off
    );
    server_log!(
        server,
        LL_DEBUG,
        "[PSYNC] History len: {}",
        server.repl_backlog_histlen
    );
    server_log!(
        server,
        LL_DEBUG,
        "[PSYNC] Current index: {}",
        server.repl_backlog_idx
    );

    // Compute the amount of bytes we need to discard.
    let skip = offset - server.repl_backlog_off;
    server_log!(server, LL_DEBUG, "[PSYNC] Skipping: {}", skip);

    // Point j to the oldest byte, that is actually our
    // server.repl_backlog_off byte.
    let size = server.repl_backlog_size;
    let mut j =
        (server.repl_backlog_idx + (size - server.repl_backlog_histlen)) % size;
    server_log!(server, LL_DEBUG, "[PSYNC] Index of first byte: {}", j);

    // Discard the amount of data to seek to the specified 'offset'.
    j = (j + skip) % size;

    // Feed slave with data. Since it is a circular buffer we have to split
    // the reply in two parts if we are cross-boundary.
    let mut len = server.repl_backlog_histlen - skip;
    server_log!(server, LL_DEBUG, "[PSYNC] Reply total length: {}", len);
    while len > 0 {
        let thislen = if size - j < len { size - j } else { len };
        server_log!(server, LL_DEBUG, "[PSYNC] addReply() length: {}", thislen);
        add_reply(c, &backlog[j as usize..(j + thislen) as usize]);
        len -= thislen;
        j = 0;
    }
    server.repl_backlog_histlen - skip
}

/// Return the offset to provide as reply to the PSYNC command received
/// from the slave. The returned value is only valid immediately after the
/// BGSAVE process started and before executing any other command from
/// clients.
///
/// C: replication.c getPsyncInitialOffset()
pub(crate) fn get_psync_initial_offset(server: &RedisServer) -> i64 {
    server.master_repl_offset
}

/// Send a FULLRESYNC reply in the specific case of a full
/// resynchronization, as a side effect setup the slave for a full sync in
/// different ways:
///
/// 1) Remember, into the slave client structure, the replication offset
///    we sent here, so that if new slaves will later attach to the same
///    background RDB saving process (by duplicating this client output
///    buffer), we can get the right offset from this slave.
/// 2) Set the replication state of the slave to WAIT_BGSAVE_END so that we
///    start accumulating differences from this point.
/// 3) Force the replication stream to re-emit a SELECT statement so the
///    new slave incremental differences will start selecting the right
///    database number.
///
/// Normally this function should be called immediately after a successful
/// BGSAVE for replication was started, or when there is one already in
/// progress that we attached our slave to.
///
/// C: replication.c replicationSetupSlaveForFullResync()
pub(crate) fn replication_setup_slave_for_full_resync(
    server: &mut RedisServer,
    slave: &mut Client,
    offset: i64,
) -> CResult {
    slave.psync_initial_offset = offset;
    set_slave_state(server, slave, SLAVE_STATE_WAIT_BGSAVE_END);
    // We are going to accumulate the incremental changes for this slave as
    // well. Set slaveseldb to -1 in order to force to re-emit a SELECT
    // statement in the replication stream.
    server.slaveseldb = -1;

    // Don't send this reply to slaves that approached us with the old SYNC
    // command.
    if slave.flags & CLIENT_PRE_PSYNC == 0 {
        let buf = format!(
            "+FULLRESYNC {} {}\r\n",
            String::from_utf8_lossy(&server.replid),
            offset
        );
        if !write_all_now(slave, buf.as_bytes()) {
            let id = slave.id;
            with_running_in_table(server, slave, |s| free_client_async(s, id));
            return Err(CErr);
        }
    }
    Ok(())
}

/// C's `write(c->fd, buf, len) == len`: one write on the (non-blocking)
/// socket, bypassing the output buffer; false if it did not take all of
/// `buf`. (no C twin)
fn write_all_now(c: &Client, buf: &[u8]) -> bool {
    match c.sock.as_ref() {
        Some(s) => matches!((&*s).write(buf), Ok(n) if n == buf.len()),
        None => false,
    }
}

/// This function handles the PSYNC command from the point of view of a
/// master receiving a request for partial resynchronization.
///
/// On success return Ok, otherwise Err is returned and we proceed with the
/// usual full resync.
///
/// C: replication.c masterTryPartialResynchronization()
pub(crate) fn master_try_partial_resynchronization(
    server: &mut RedisServer,
    c: &mut Client,
) -> CResult {
    let master_replid = c.argv[1].clone();
    let offset_arg = c.argv[2].clone();

    // Parse the replication offset asked by the slave. Go to full sync on
    // parse error: this should never happen but we try to handle it in a
    // robust way compared to aborting.
    let Some(psync_offset) =
        crate::object::get_long_long_from_object_or_reply(c, &offset_arg, None)
    else {
        history::record_sync_decision(
            server,
            c,
            true,
            false,
            format!(
                "offset {} is not an integer",
                String::from_utf8_lossy(&offset_arg)
            ),
        );
        return Err(CErr); // C: goto need_full_resync
    };

    // Is the replication ID of this master the same advertised by the
    // wannabe slave via PSYNC? If the replication ID changed this master
    // has a different replication history, and there is no way to
    // continue.
    //
    // Note that there are two potentially valid replication IDs: the ID1
    // and the ID2. The ID2 however is only valid up to a specific offset.
    let is_id1 = master_replid.eq_ignore_ascii_case(&server.replid);
    let is_id2 = master_replid.eq_ignore_ascii_case(&server.replid2);
    if !is_id1 && (!is_id2 || psync_offset > server.second_replid_offset) {
        // Run id "?" is used by slaves that want to force a full resync.
        if master_replid.first() != Some(&b'?') {
            if !is_id1 && !is_id2 {
                server_log!(
                    server,
                    LL_NOTICE,
                    "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '{}', my replication IDs are '{}' and '{}')",
                    String::from_utf8_lossy(&master_replid),
                    String::from_utf8_lossy(&server.replid),
                    String::from_utf8_lossy(&server.replid2)
                );
            } else {
                server_log!(
                    server,
                    LL_NOTICE,
                    "Partial resynchronization not accepted: Requested offset for second ID was {}, but I can reply up to {}",
                    psync_offset,
                    server.second_replid_offset
                );
            }
        } else {
            server_log!(
                server,
                LL_NOTICE,
                "Full resync requested by replica {}",
                replication_get_slave_name(c)
            );
        }
        let why = history::replid_miss_reason(
            server,
            &master_replid,
            psync_offset,
            is_id1,
            is_id2,
        );
        history::record_sync_decision(server, c, true, false, why);
        return Err(CErr); // C: goto need_full_resync
    }

    // We still have the data our slave is asking for?
    if server.repl_backlog.is_none()
        || psync_offset < server.repl_backlog_off
        || psync_offset > server.repl_backlog_off + server.repl_backlog_histlen
    {
        server_log!(
            server,
            LL_NOTICE,
            "Unable to partial resync with replica {} for lack of backlog (Replica request was: {}).",
            replication_get_slave_name(c),
            psync_offset
        );
        if psync_offset > server.master_repl_offset {
            server_log!(
                server,
                LL_WARNING,
                "Warning: replica {} tried to PSYNC with an offset that is greater than the master replication offset.",
                replication_get_slave_name(c)
            );
        }
        let why = history::backlog_miss_reason(server, psync_offset)
            .unwrap_or_default();
        history::record_sync_decision(server, c, true, false, why);
        return Err(CErr); // C: goto need_full_resync
    }

    // If we reached this point, we are able to perform a partial resync:
    // 1) Set client state to make it a slave.
    // 2) Inform the client we can continue with +CONTINUE
    // 3) Send the backlog data (from the offset to the end) to the slave.
    let why = format!(
        "offset {} is inside the backlog ({}..{}): {} bytes to send",
        psync_offset,
        server.repl_backlog_off,
        server.repl_backlog_off + server.repl_backlog_histlen,
        server.master_repl_offset - psync_offset + 1
    );
    history::record_sync_decision(server, c, true, true, why);
    c.flags |= CLIENT_SLAVE;
    set_slave_state(server, c, SLAVE_STATE_ONLINE);
    c.repl_ack_time = server.unixtime;
    c.repl_put_online_on_ack = false;
    server.slaves.push(c.id);
    // We can't use the connection buffers since they are used to
    // accumulate new commands at this stage. But we are sure the socket
    // send buffer is empty so this write will never fail actually.
    let buf = if c.slave_capa & SLAVE_CAPA_PSYNC2 != 0 {
        format!("+CONTINUE {}\r\n", String::from_utf8_lossy(&server.replid))
    } else {
        "+CONTINUE\r\n".to_string()
    };
    if !write_all_now(c, buf.as_bytes()) {
        let id = c.id;
        with_running_in_table(server, c, |s| free_client_async(s, id));
        return Ok(());
    }
    let psync_len = add_reply_replication_backlog(server, c, psync_offset);
    server_log!(
        server,
        LL_NOTICE,
        "Partial resynchronization request from {} accepted. Sending {} bytes of backlog starting from offset {}.",
        replication_get_slave_name(c),
        psync_len,
        psync_offset
    );
    // Note that we don't need to set the selected DB at server.slaveseldb
    // to -1 to force the master to emit SELECT, since the slave already
    // has this state from the previous connection with the master.

    with_running_in_table(server, c, refresh_good_slaves_count);
    Ok(()) // The caller can return, no full resync needed.
}

/// Start a BGSAVE for replication goals, which is, selecting the disk or
/// socket target depending on the configuration, and making sure that the
/// script cache is flushed before to start.
///
/// The mincapa argument is the bitwise AND among all the slaves
/// capabilities of the slaves waiting for this BGSAVE, so represents the
/// slave capabilities all the slaves support. Can be tested via
/// SLAVE_CAPA_* macros.
///
/// Side effects, other than starting a BGSAVE:
///
/// 1) Handle the slaves in WAIT_START state, by preparing them for a full
///    sync if the BGSAVE was successfully started, or sending them an error
///    and dropping them from the list of slaves.
///
/// 2) Flush the Lua scripting script cache if the BGSAVE was actually
///    started.
///
/// SYNC/PSYNC calls this for the replica running it, put back in the
/// table for the call (`with_running_in_table`); the socket target is
/// never chosen then, since SYNC leaves diskless transfers to the cron.
///
/// Returns Ok on success or Err otherwise.
///
/// C: replication.c startBgsaveForReplication()
pub(crate) fn start_bgsave_for_replication(
    server: &mut RedisServer,
    mincapa: i32,
) -> CResult {
    let socket_target =
        server.repl_diskless_sync && (mincapa & SLAVE_CAPA_EOF) != 0;

    server_log!(
        server,
        LL_NOTICE,
        "Starting BGSAVE for SYNC with target: {}",
        if socket_target { "replicas sockets" } else { "disk" }
    );

    let retval;
    let rsi = crate::rdb::rdb_populate_save_info(server);
    // Only do rdbSave* when rsiptr is not NULL, otherwise slave will miss
    // repl-stream-db.
    if let Some(rsi) = rsi {
        if socket_target {
            retval = crate::rdb::rdb_save_to_slaves_sockets(server, &rsi);
        } else {
            let filename = server.rdb_filename.clone();
            retval =
                crate::rdb::rdb_save_background(server, &filename, Some(&rsi));
        }
    } else {
        server_log!(
            server,
            LL_WARNING,
            "BGSAVE for replication: replication information not available, can't generate the RDB file right now. Try later."
        );
        retval = Err(CErr);
    }

    // If we failed to BGSAVE, remove the slaves waiting for a full
    // resynchorinization from the list of salves, inform them with an
    // error about what happened, close the connection ASAP.
    if retval.is_err() {
        server_log!(server, LL_WARNING, "BGSAVE for replication failed");
        for_each_slave(server, |server, slave| {
            if slave.replstate == SLAVE_STATE_WAIT_BGSAVE_START {
                set_slave_state(server, slave, REPL_STATE_NONE);
                slave.flags &= !CLIENT_SLAVE;
                server.slaves.retain(|id| *id != slave.id);
                add_reply_error(
                    slave,
                    "BGSAVE failed, replication can't continue",
                );
                slave.flags |= CLIENT_CLOSE_AFTER_REPLY;
            }
        });
        return retval;
    }

    // If the target is socket, rdbSaveToSlavesSockets() already setup the
    // salves for a full resync. Otherwise for disk target do it now.
    if !socket_target {
        let offset = get_psync_initial_offset(server);
        for_each_slave(server, |server, slave| {
            if slave.replstate == SLAVE_STATE_WAIT_BGSAVE_START {
                let _ = replication_setup_slave_for_full_resync(
                    server, slave, offset,
                );
            }
        });
    }

    // Flush the script cache, since we need that slave differences are
    // accumulated without requiring slaves to match our cached scripts.
    if retval.is_ok() {
        replication_script_cache_flush(server);
    }
    retval
}

/// SYNC and PSYNC command implemenation.
///
/// C: replication.c syncCommand()
pub(crate) fn sync_command(server: &mut RedisServer, c: &mut Client) {
    // ignore SYNC if already slave or in monitor mode
    if c.flags & CLIENT_SLAVE != 0 {
        return;
    }

    // Refuse SYNC requests if we are a slave but the link with our master
    // is not ok...
    if server.masterhost.is_some() && server.repl_state != REPL_STATE_CONNECTED
    {
        add_reply(
            c,
            b"-NOMASTERLINK Can't SYNC while not connected with my master\r\n",
        );
        return;
    }

    // SYNC can't be issued when the server has pending data to send to the
    // client about already issued commands. We need a fresh reply buffer
    // registering the differences between the BGSAVE and the current
    // dataset, so that we can copy to other slaves if needed.
    if client_has_pending_replies(c) {
        add_reply_error(c, "SYNC and PSYNC are invalid with pending output");
        return;
    }

    server_log!(
        server,
        LL_NOTICE,
        "Replica {} asks for synchronization",
        replication_get_slave_name(c)
    );

    // Try a partial resynchronization if this is a PSYNC command. If it
    // fails, we continue with usual full resynchronization, however when
    // this happens masterTryPartialResynchronization() already replied
    // with:
    //
    // +FULLRESYNC <replid> <offset>
    //
    // So the slave knows the new replid and offset to try a PSYNC later if
    // the connection with the master is lost.
    if c.argv[0].eq_ignore_ascii_case(b"psync") {
        if master_try_partial_resynchronization(server, c).is_ok() {
            server.stat_sync_partial_ok += 1;
            return; // No full resync needed, return.
        } else {
            // Increment stats for failed PSYNCs, but only if the replid is
            // not "?", as this is used by slaves to force a full resync on
            // purpose when they are not albe to partially resync.
            if c.argv[1].first() != Some(&b'?') {
                server.stat_sync_partial_err += 1;
            }
        }
    } else {
        // If a slave uses SYNC, we are dealing with an old implementation
        // of the replication protocol (like redis-cli --slave). Flag the
        // client so that we don't expect to receive REPLCONF ACK feedbacks.
        c.flags |= CLIENT_PRE_PSYNC;
        history::record_sync_decision(
            server,
            c,
            false,
            false,
            "replica sent SYNC".to_string(),
        );
    }

    // Full resynchronization.
    server.stat_sync_full += 1;

    // Setup the slave as one waiting for BGSAVE to start. The following
    // code paths will change the state if we handle the slave differently.
    set_slave_state(server, c, SLAVE_STATE_WAIT_BGSAVE_START);
    if server.repl_disable_tcp_nodelay {
        if let Some(s) = c.sock.as_ref() {
            // Non critical if it fails.
            let _ = crate::networking::anet::anet_disable_tcp_no_delay(s);
        }
    }
    close_repldbfd(c);
    c.flags |= CLIENT_SLAVE;
    server.slaves.push(c.id);

    // Create the replication backlog if needed.
    if server.slaves.len() == 1 && server.repl_backlog.is_none() {
        // When we create the backlog from scratch, we always use a new
        // replication ID and clear the ID2, since there is no valid past
        // history.
        change_replication_id(server);
        clear_replication_id2(server);
        create_replication_backlog(server);
    }

    // CASE 1: BGSAVE is in progress, with disk target.
    if server.rdb_child_pid != -1
        && server.rdb_child_type == crate::rdb::RDB_CHILD_TYPE_DISK
    {
        // Ok a background save is in progress. Let's check if it is a good
        // one for replication, i.e. if there is another slave that is
        // registering differences since the server forked to save.
        let found = server.slaves.iter().find_map(|id| {
            server
                .clients
                .get(id)
                .filter(|s| s.replstate == SLAVE_STATE_WAIT_BGSAVE_END)
        });
        // To attach this slave, we check that it has at least all the
        // capabilities of the slave that triggered the current BGSAVE.
        match found {
            Some(slave)
                if (c.slave_capa & slave.slave_capa) == slave.slave_capa =>
            {
                // Perfect, the server is already registering differences
                // for another slave. Set the right state, and copy the
                // buffer.
                copy_client_output_buffer(c, slave);
                let offset = slave.psync_initial_offset;
                let _ =
                    replication_setup_slave_for_full_resync(server, c, offset);
                server_log!(
                    server,
                    LL_NOTICE,
                    "Waiting for end of BGSAVE for SYNC"
                );
            }
            _ => {
                // No way, we need to wait for the next BGSAVE in order to
                // register differences.
                server_log!(
                    server,
                    LL_NOTICE,
                    "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC"
                );
            }
        }

    // CASE 2: BGSAVE is in progress, with socket target.
    } else if server.rdb_child_pid != -1
        && server.rdb_child_type == crate::rdb::RDB_CHILD_TYPE_SOCKET
    {
        // There is an RDB child process but it is writing directly to
        // children sockets. We need to wait for the next BGSAVE in order to
        // synchronize.
        server_log!(
            server,
            LL_NOTICE,
            "Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC"
        );

    // CASE 3: There is no BGSAVE is progress.
    } else if server.repl_diskless_sync && (c.slave_capa & SLAVE_CAPA_EOF) != 0
    {
        // Diskless replication RDB child is created inside
        // replicationCron() since we want to delay its start a few seconds
        // to wait for more slaves to arrive.
        if server.repl_diskless_sync_delay != 0 {
            server_log!(
                server,
                LL_NOTICE,
                "Delay next BGSAVE for diskless SYNC"
            );
        }
    } else {
        // Target is disk (or the slave is not capable of supporting
        // diskless replication) and we don't have a BGSAVE in progress,
        // let's start one.
        if server.aof_child_pid == -1 {
            let capa = c.slave_capa;
            with_running_in_table(server, c, |s| {
                let _ = start_bgsave_for_replication(s, capa);
            });
        } else {
            server_log!(
                server,
                LL_NOTICE,
                "No BGSAVE in progress, but an AOF rewrite is active. BGSAVE for replication delayed"
            );
        }
    }
}

/// REPLCONF <option> <value> <option> <value> ...
/// This command is used by a slave in order to configure the replication
/// process before starting it with the SYNC command, and afterwards to
/// report its processed offset (ACK) or to be asked for it (GETACK).
///
/// C: replication.c replconfCommand()
pub(crate) fn replconf_command(server: &mut RedisServer, c: &mut Client) {
    if c.argv.len().is_multiple_of(2) {
        // Number of arguments must be odd to make sure that every option
        // has a corresponding value.
        add_reply(c, crate::shared::SYNTAXERR);
        return;
    }

    // Process every option-value pair.
    let mut j = 1;
    while j < c.argv.len() {
        let opt = c.argv[j].clone();
        let val = c.argv[j + 1].clone();
        if opt.eq_ignore_ascii_case(b"listening-port") {
            let Some(port) =
                crate::object::get_long_from_object_or_reply(c, &val, None)
            else {
                return;
            };
            c.slave_listening_port = port as i32;
        } else if opt.eq_ignore_ascii_case(b"ip-address") {
            // C copies into char slave_ip[NET_IP_STR_LEN].
            if val.len() < NET_IP_STR_LEN {
                c.slave_ip = Some(String::from_utf8_lossy(&val).into_owned());
            } else {
                add_reply_error_format(
                    c,
                    format_args!(
                        "REPLCONF ip-address provided by replica instance is too long: {} bytes",
                        val.len()
                    ),
                );
                return;
            }
        } else if opt.eq_ignore_ascii_case(b"capa") {
            // Ignore capabilities not understood by this master.
            if val.eq_ignore_ascii_case(b"eof") {
                c.slave_capa |= SLAVE_CAPA_EOF;
            } else if val.eq_ignore_ascii_case(b"psync2") {
                c.slave_capa |= SLAVE_CAPA_PSYNC2;
            }
        } else if opt.eq_ignore_ascii_case(b"ack") {
            // REPLCONF ACK is used by slave to inform the master the amount
            // of replication stream that it processed so far. It is an
            // internal only command that normal clients should never use.
            if c.flags & CLIENT_SLAVE == 0 {
                return;
            }
            let Some(offset) = crate::object::string2ll(&val) else {
                return;
            };
            if offset > c.repl_ack_off {
                c.repl_ack_off = offset;
            }
            c.repl_ack_time = server.unixtime;
            // If this was a diskless replication, we need to really put the
            // slave online when the first ACK is received (which confirms
            // slave is online and ready to get more data). This allows for
            // simpler and less CPU intensive EOF detection when streaming
            // RDB files.
            if c.repl_put_online_on_ack && c.replstate == SLAVE_STATE_ONLINE {
                put_slave_online(server, c);
            }
            // Note: this command does not reply anything!
            return;
        } else if opt.eq_ignore_ascii_case(b"getack") {
            // REPLCONF GETACK is used in order to request an ACK ASAP to
            // the slave.
            if server.masterhost.is_some() && server.master.is_some() {
                with_running_in_table(server, c, replication_send_ack);
            }
            return;
        } else {
            let opt = crate::networking::c_str(&opt).to_vec();
            crate::networking::add_reply_error_format_bytes(
                c,
                &[b"Unrecognized REPLCONF option: ", &opt],
            );
            return;
        }
        j += 2;
    }
    add_reply(c, crate::shared::OK);
}

/// This function puts a replica in the online state, and should be called
/// just after a replica received the RDB file for the initial
/// synchronization, and we are finally ready to send the incremental
/// stream of commands.
///
/// It does a few things:
///
/// 1) Put the slave in ONLINE state. Note that the function may also be
///    called for a replicas that are already in ONLINE state, but having
///    the flag repl_put_online_on_ack set to true: we still have to
///    install the write handler in that case. This function will take care
///    of that.
/// 2) Make sure the writable event is re-installed, since calling the SYNC
///    command disables it, so that we can accumulate output buffer without
///    sending it to the replica.
/// 3) Update the count of "good replicas".
///
/// C: replication.c putSlaveOnline()
pub(crate) fn put_slave_online(server: &mut RedisServer, slave: &mut Client) {
    set_slave_state(server, slave, SLAVE_STATE_ONLINE);
    slave.repl_put_online_on_ack = false;
    slave.repl_ack_time = server.unixtime; // Prevent false timeout.
    if let Err(e) = ae_create_file_event(
        &mut server.el,
        slave.fd,
        AE_WRITABLE,
        send_reply_to_client,
        ClientData::Client(slave.id),
    ) {
        server_log!(
            server,
            LL_WARNING,
            "Unable to register writable event for replica bulk transfer: {}",
            strerror(&e)
        );
        free_client(server, slave.id);
        return;
    }
    with_running_in_table(server, slave, refresh_good_slaves_count);
    server_log!(
        server,
        LL_NOTICE,
        "Synchronization with replica {} succeeded",
        replication_get_slave_name(slave)
    );
}

/// What one call of `send_bulk_to_slave` came to. (no C twin)
enum BulkStep {
    /// Keep the handler installed and wait for the next writable event.
    Wait,
    /// The socket would block (or took only part of the chunk): wait for
    /// the next edge.
    Drained,
    /// The whole file is sent.
    Done,
}

/// Writable handler of a replica in SEND_BULK: sends the "$<len>\r\n"
/// preamble, then the RDB file, PROTO_IOBUF_LEN bytes per call. When the
/// last byte is out, the replica goes online.
///
/// C: replication.c sendBulkToSlave()
pub(crate) fn send_bulk_to_slave(
    server: &mut RedisServer,
    fd: RawFd,
    data: ClientData,
    _mask: i32,
) {
    let ClientData::Client(id) = data else { return };
    with_client(server, id, |server, slave| {
        match send_bulk_step(server, slave) {
            Ok(BulkStep::Wait) => {}
            Ok(BulkStep::Drained) => {
                ae_not_ready(&mut server.el, fd, AE_WRITABLE);
            }
            Ok(BulkStep::Done) => {
                close_repldbfd(slave);
                ae_delete_file_event(&mut server.el, slave.fd, AE_WRITABLE);
                put_slave_online(server, slave);
            }
            Err(CErr) => free_client(server, slave.id),
        }
    });
}

/// The body of sendBulkToSlave(): one step of the transfer. Err means the
/// replica must be freed (the reason was logged). (no C twin)
fn send_bulk_step(
    server: &mut RedisServer,
    slave: &mut Client,
) -> CResult<BulkStep> {
    let Some(sock) = slave.sock.as_ref() else {
        return Err(CErr);
    };
    let mut sock: &socket2::Socket = sock;

    // Before sending the RDB file, we send the preamble as configured by
    // the replication process. Currently the preamble is just the bulk
    // count of the file in the form "$<length>\r\n".
    if !slave.replpreamble.is_empty() {
        let nwritten = match sock.write(&slave.replpreamble) {
            Ok(n) => n,
            Err(e) => {
                server_log!(
                    server,
                    LL_VERBOSE,
                    "Write error sending RDB preamble to replica: {}",
                    strerror(&e)
                );
                return Err(CErr);
            }
        };
        server.stat_net_output_bytes += nwritten as i64;
        slave.replpreamble.drain(..nwritten);
        if !slave.replpreamble.is_empty() {
            return Ok(BulkStep::Drained);
        }
        // fall through sending data.
    }

    // If the preamble was already transferred, send the RDB bulk data.
    // C's lseek()+read() is one pread here.
    let mut buf = [0u8; PROTO_IOBUF_LEN];
    let read = match slave.repldbfile.as_ref() {
        Some(f) => f.read_at(&mut buf, slave.repldboff as u64),
        None => Err(std::io::Error::from_raw_os_error(libc::EBADF)),
    };
    let buflen = match read {
        Ok(0) => {
            server_log!(
                server,
                LL_WARNING,
                "Read error sending DB to replica: {}",
                "premature EOF"
            );
            return Err(CErr);
        }
        Ok(n) => n,
        Err(e) => {
            server_log!(
                server,
                LL_WARNING,
                "Read error sending DB to replica: {}",
                strerror(&e)
            );
            return Err(CErr);
        }
    };
    let nwritten = match sock.write(&buf[..buflen]) {
        Ok(n) => n,
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
            return Ok(BulkStep::Drained);
        }
        Err(e) => {
            server_log!(
                server,
                LL_WARNING,
                "Write error sending DB to replica: {}",
                strerror(&e)
            );
            return Err(CErr);
        }
    };
    slave.repldboff += nwritten as i64;
    server.stat_net_output_bytes += nwritten as i64;
    if slave.repldboff == slave.repldbsize {
        return Ok(BulkStep::Done);
    }
    // Divergence from C: the poll is edge-triggered under ae's level
    // semantics (see ae/epoll.rs); a short write means the socket buffer
    // is full, so we report it drained and wait for the next edge.
    if nwritten < buflen {
        return Ok(BulkStep::Drained);
    }
    Ok(BulkStep::Wait)
}

/// This function is called at the end of every background saving, or when
/// the replication RDB transfer strategy is modified from disk to socket
/// or the other way around.
///
/// The goal of this function is to handle slaves waiting for a successful
/// background saving in order to perform non-blocking synchronization, and
/// to schedule a new BGSAVE if there are slaves that attached while a
/// BGSAVE was in progress, but it was not a good one for replication (no
/// other slave was accumulating differences).
///
/// The argument bgsaveerr is Ok if the background saving succeeded
/// otherwise Err is passed to the function. The 'type_' argument is the
/// type of the child that terminated (if it had a disk or socket target).
///
/// C: replication.c updateSlavesWaitingBgsave()
pub(crate) fn update_slaves_waiting_bgsave(
    server: &mut RedisServer,
    bgsaveerr: CResult,
    type_: i32,
) {
    let mut startbgsave = false;
    let mut mincapa = -1;

    for_each_slave(server, |server, slave| {
        if slave.replstate == SLAVE_STATE_WAIT_BGSAVE_START {
            startbgsave = true;
            mincapa = if mincapa == -1 {
                slave.slave_capa
            } else {
                mincapa & slave.slave_capa
            };
        } else if slave.replstate == SLAVE_STATE_WAIT_BGSAVE_END {
            // If this was an RDB on disk save, we have to prepare to send
            // the RDB from disk to the slave socket. Otherwise if this was
            // already an RDB -> Slaves socket transfer, used in the case of
            // diskless replication, our work is trivial, we can just put
            // the slave online.
            if type_ == crate::rdb::RDB_CHILD_TYPE_SOCKET {
                server_log!(
                    server,
                    LL_NOTICE,
                    "Streamed RDB transfer with replica {} succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming",
                    replication_get_slave_name(slave)
                );
                // Note: we wait for a REPLCONF ACK message from the replica
                // in order to really put it online (install the write
                // handler so that the accumulated data can be transferred).
                // However we change the replication state ASAP, since our
                // slave is technically online now.
                //
                // So things work like that:
                //
                // 1. We end trasnferring the RDB file via socket.
                // 2. The replica is put ONLINE but the write handler is not
                //    installed.
                // 3. The replica however goes really online, and pings us
                //    back via REPLCONF ACK commands.
                // 4. Now we finally install the write handler, and send the
                //    buffers accumulated so far to the replica.
                //
                // But why we do that? Because the replica, when we stream
                // the RDB directly via the socket, must detect the RDB EOF
                // (end of file), that is a special random string at the end
                // of the RDB (for streamed RDBs we don't know the length in
                // advance). Detecting such final EOF string is much simpler
                // and less CPU intensive if no more data is sent after such
                // final EOF. So we don't want to glue the end of the RDB
                // trasfer with the start of the other replication data.
                set_slave_state(server, slave, SLAVE_STATE_ONLINE);
                slave.repl_put_online_on_ack = true;
                slave.repl_ack_time = server.unixtime; // Timeout otherwise.
            } else {
                if bgsaveerr.is_err() {
                    free_client(server, slave.id);
                    server_log!(
                        server,
                        LL_WARNING,
                        "SYNC failed. BGSAVE child returned an error"
                    );
                    return;
                }
                let opened = std::fs::File::open(&server.rdb_filename)
                    .and_then(|f| f.metadata().map(|m| (f, m.len())));
                let (file, size) = match opened {
                    Ok(x) => x,
                    Err(e) => {
                        free_client(server, slave.id);
                        server_log!(
                            server,
                            LL_WARNING,
                            "SYNC failed. Can't open/stat DB after BGSAVE: {}",
                            strerror(&e)
                        );
                        return;
                    }
                };
                slave.repldbfd = file.as_raw_fd();
                slave.repldbfile = Some(file);
                slave.repldboff = 0;
                slave.repldbsize = size as i64;
                set_slave_state(server, slave, SLAVE_STATE_SEND_BULK);
                slave.replpreamble =
                    format!("${}\r\n", slave.repldbsize).into_bytes();

                ae_delete_file_event(&mut server.el, slave.fd, AE_WRITABLE);
                if ae_create_file_event(
                    &mut server.el,
                    slave.fd,
                    AE_WRITABLE,
                    send_bulk_to_slave,
                    ClientData::Client(slave.id),
                )
                .is_err()
                {
                    free_client(server, slave.id);
                }
            }
        }
    });
    if startbgsave {
        let _ = start_bgsave_for_replication(server, mincapa);
    }
}

/// Change the current instance replication ID with a new, random one.
/// This will prevent successful PSYNCs between this master and other
/// slaves, so the command should be called when something happens that
/// alters the current story of the dataset.
///
/// C: replication.c changeReplicationId()
pub(crate) fn change_replication_id(server: &mut RedisServer) {
    server.replid = get_random_hex_chars();
}

/// Clear (invalidate) the secondary replication ID. This happens, for
/// example, after a full resynchronization, when we start a new
/// replication history.
///
/// C: replication.c clearReplicationId2()
pub(crate) fn clear_replication_id2(server: &mut RedisServer) {
    server.replid2 = [b'0'; 40];
    server.second_replid_offset = -1;
}

/// Use the current replication ID / offset as secondary replication ID,
/// and change the current one in order to start a new history. This
/// should be used when an instance is switched from slave to master so
/// that it can serve PSYNC requests performed using the master replication
/// ID.
///
/// C: replication.c shiftReplicationId()
pub(crate) fn shift_replication_id(server: &mut RedisServer) {
    server.replid2 = server.replid;
    // We set the second replid offset to the master offset + 1, since the
    // slave will ask for the first byte it has not yet received, so we
    // need to add one to the offset: for example if, as a slave, we are
    // sure we have the same history as the master for 50 bytes, after we
    // are turned into a master, we can accept a PSYNC request with offset
    // 51, since the slave asking has the same history up to the 50th byte,
    // and is asking for the new bytes starting at offset 51.
    server.second_replid_offset = server.master_repl_offset + 1;
    change_replication_id(server);
    server_log!(
        server,
        LL_WARNING,
        "Setting secondary replication ID to {}, valid up to offset: {}. New replication ID is {}",
        String::from_utf8_lossy(&server.replid2),
        server.second_replid_offset,
        String::from_utf8_lossy(&server.replid)
    );
}
