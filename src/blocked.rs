//! Blocking operations: clients blocked on lists, sorted sets and streams
//! (BLPOP, BRPOPLPUSH, BZPOPMIN, XREAD BLOCK, XREADGROUP BLOCK, ...) and on
//! replication offsets (WAIT), the keys
//! made ready by a push, and the queue of clients to look at again once
//! they are unblocked.
//!
//! Ports blocked.c from Redis 5.0.14, in the same order.
//!
//! The API, as in C:
//!
//! - `get_timeout_from_object_or_reply` parses the timeout argument of a
//!   blocking command.
//! - `block_client` sets CLIENT_BLOCKED and the block type (BLOCKED_*).
//! - `unblock_client` undoes the type-specific state, clears the flag and
//!   queues the client in `server.unblocked_clients`, so that its pending
//!   query buffer is processed in `before_sleep` (no readable event would
//!   fire for commands already read while it was blocked).
//! - `reply_to_blocked_client_timed_out` is called by `clients_cron` when a
//!   blocked client reaches its timeout (a zero timeout never expires).
//!
//! Read this first: C links a blocked client by pointer from
//! `db->blocking_keys` (key → list of clients); here those lists hold
//! client ids, and a blocked client stays in `server.clients`, where
//! `handle_clients_blocked_on_keys` reaches it with `with_client` (which
//! also queues its reply for writing).

use crate::db::{db_delete, lookup_key_write};
use crate::networking::{add_reply, with_client};
use crate::notify::notify_keyspace_event;
use crate::object::{Value, OBJ_LIST, OBJ_STREAM, OBJ_ZSET};
use crate::server::*;
use crate::t_list::{serve_client_blocked_on_list, LIST_HEAD, LIST_TAIL};
use crate::t_zset::{serve_client_blocked_on_sorted_set, ZSET_MAX, ZSET_MIN};

/// One key of `server.ready_keys`: a key that received elements while
/// clients were blocked on it. `server.ready_keys` holds no duplicates,
/// thanks to the `ready_keys` set of each database.
///
/// C: server.h readyList
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadyList {
    pub(crate) db: usize,
    pub(crate) key: Vec<u8>,
}

/// Get a timeout value from an argument and store it into `*timeout`. The
/// final timeout is always stored as milliseconds as a time where the
/// timeout will expire, however the parsing is performed according to the
/// 'unit' that can be seconds or milliseconds.
///
/// Note that if the timeout is zero (usually from the point of view of
/// commands API this means no timeout) the value stored into 'timeout' is
/// zero.
///
/// C: blocked.c getTimeoutFromObjectOrReply()
pub(crate) fn get_timeout_from_object_or_reply(
    c: &mut Client,
    object: &[u8],
    unit: i32,
) -> CResult<i64> {
    let Some(mut tval) = crate::object::get_long_long_from_object_or_reply(
        c,
        object,
        Some("timeout is not an integer or out of range"),
    ) else {
        return Err(CErr);
    };
    if tval < 0 {
        crate::networking::add_reply_error(c, "timeout is negative");
        return Err(CErr);
    }
    if tval > 0 {
        // Divergence from C: C's `tval *= 1000` and `tval += mstime()`
        // overflow (undefined behaviour) for huge timeouts; we saturate,
        // which means "practically never".
        if unit == crate::t_string::UNIT_SECONDS {
            tval = tval.saturating_mul(1000);
        }
        tval = tval.saturating_add(mstime());
    }
    Ok(tval)
}

/// Block a client for the specific operation type. Once the CLIENT_BLOCKED
/// flag is set client query buffer is not longer processed, but
/// accumulated, and will be processed when the client is unblocked.
///
/// C: blocked.c blockClient()
pub(crate) fn block_client(
    server: &mut RedisServer,
    c: &mut Client,
    btype: i32,
) {
    c.flags |= CLIENT_BLOCKED;
    c.btype = btype;
    server.blocked_clients += 1;
    server.blocked_clients_by_type[btype as usize] += 1;
}

/// This function is called in the beforeSleep() function of the event loop
/// in order to process the pending input buffer of clients that were
/// unblocked after a blocking operation.
///
/// C: blocked.c processUnblockedClients()
pub(crate) fn process_unblocked_clients(server: &mut RedisServer) {
    while let Some(id) = server.unblocked_clients.pop_front() {
        crate::networking::with_client(server, id, |server, c| {
            c.flags &= !CLIENT_UNBLOCKED;
            // Process remaining data in the input buffer, unless the client
            // is blocked again. Actually processInputBuffer() checks that
            // the client is not blocked before to proceed, but things may
            // change and the code is conceptually more correct this way.
            if c.flags & CLIENT_BLOCKED == 0 && c.qb_pos < c.querybuf.len() {
                crate::networking::process_input_buffer_and_replicate(
                    server, c,
                );
            }
        });
    }
}

/// This function will schedule the client for reprocessing at a safe time.
///
/// This is useful when a client was blocked for some reason (blocking
/// operation, CLIENT PAUSE, or whatever), because it may end with some
/// accumulated query buffer that needs to be processed ASAP: while blocked
/// its readable handler still reads into the query buffer, but nothing is
/// parsed or executed, and once unblocked no readable event would fire for
/// what was already read.
///
/// C: blocked.c queueClientForReprocessing()
pub(crate) fn queue_client_for_reprocessing(
    server: &mut RedisServer,
    c: &mut Client,
) {
    // The client may already be into the unblocked list because of a
    // previous blocking operation, don't add back it into the list
    // multiple times.
    if c.flags & CLIENT_UNBLOCKED == 0 {
        c.flags |= CLIENT_UNBLOCKED;
        server.unblocked_clients.push_back(c.id);
    }
}

/// Unblock a client calling the right function depending on the kind of
/// operation the client is blocking for.
///
/// C: blocked.c unblockClient()
pub(crate) fn unblock_client(server: &mut RedisServer, c: &mut Client) {
    if c.btype == BLOCKED_LIST
        || c.btype == BLOCKED_ZSET
        || c.btype == BLOCKED_STREAM
    {
        unblock_client_waiting_data(server, c);
    } else if c.btype == BLOCKED_WAIT {
        crate::replication::unblock_client_waiting_replicas(server, c);
    } else if c.btype == BLOCKED_MODULE {
        // Divergence from C: there are no modules, so no client blocks in
        // a module command (unblockClientFromModule()).
    } else {
        crate::server_panic!(server, "Unknown btype in unblockClient().");
    }
    // Clear the flags, and put the client in the unblocked list so that
    // we'll process new commands in its query buffer ASAP.
    server.blocked_clients = server.blocked_clients.saturating_sub(1);
    let by_type = &mut server.blocked_clients_by_type[c.btype as usize];
    *by_type = by_type.saturating_sub(1);
    c.flags &= !CLIENT_BLOCKED;
    c.btype = BLOCKED_NONE;
    queue_client_for_reprocessing(server, c);
}

/// This function gets called when a blocked client timed out in order to
/// send it a reply of some kind. After this function is called,
/// unblockClient() will be called with the same client as argument.
///
/// C: blocked.c replyToBlockedClientTimedOut()
pub(crate) fn reply_to_blocked_client_timed_out(
    server: &mut RedisServer,
    c: &mut Client,
) {
    if c.btype == BLOCKED_LIST
        || c.btype == BLOCKED_ZSET
        || c.btype == BLOCKED_STREAM
    {
        add_reply(c, crate::shared::NULLMULTIBULK);
    } else if c.btype == BLOCKED_WAIT {
        let acks = crate::replication::replication_count_acks_by_offset(
            server,
            c.bpop_reploffset,
        );
        crate::networking::add_reply_long_long(c, acks as i64);
    } else if c.btype == BLOCKED_MODULE {
        // Divergence from C: no modules (moduleBlockedClientTimedOut()).
    } else {
        crate::server_panic!(
            server,
            "Unknown btype in replyToBlockedClientTimedOut()."
        );
    }
}

/// Mass-unblock clients because something changed in the instance that
/// makes blocking no longer safe. For example clients blocked in list
/// operations in an instance which turns from master to slave is unsafe, so
/// this function is called when a master turns into a slave.
///
/// The semantics is to send an -UNBLOCKED error to the client,
/// disconnecting it at the same time.
///
/// C: blocked.c disconnectAllBlockedClients()
pub(crate) fn disconnect_all_blocked_clients(server: &mut RedisServer) {
    // The running client is executing a command, so it is not blocked:
    // walking the table's clients is walking C's server.clients here.
    let blocked: Vec<ClientId> = server
        .clients
        .values()
        .filter(|c| c.flags & CLIENT_BLOCKED != 0)
        .map(|c| c.id)
        .collect();
    for id in blocked {
        with_client(server, id, |server, c| {
            add_reply(
                c,
                b"-UNBLOCKED force unblock from blocking operation, \
                  instance state changed (master -> replica?)\r\n",
            );
            unblock_client(server, c);
            c.flags |= CLIENT_CLOSE_AFTER_REPLY;
        });
    }
}

/// This function should be called by Redis every time a single command, a
/// MULTI/EXEC block, or a Lua script, terminated its execution after being
/// called by a client. It handles serving clients blocked in lists and
/// sorted sets via a blocking command, and clients blocked in XREAD or
/// XREADGROUP.
///
/// All the keys with at least one client blocked that received at least one
/// new element via some write operation are accumulated into the
/// server.ready_keys list. This function will run the list and will serve
/// clients accordingly. Note that the function will iterate again and again
/// as a result of serving BRPOPLPUSH we can have new blocking clients to
/// serve because of the PUSH side of BRPOPLPUSH.
///
/// This function is normally "fair", that is, it will serve clients using
/// a FIFO behavior. However this fairness is violated in certain edge
/// cases, that is, when we have clients blocked at the same time in a
/// sorted set and in a list, for the same key (a very odd thing to do
/// client side, indeed!). Because mismatching clients (blocking for a
/// different type compared to the current key type) are moved in the other
/// side of the linked list. However as long as the key starts to be used
/// only for a single type, like virtually any Redis application will do,
/// the function is already fair.
///
/// C: blocked.c handleClientsBlockedOnKeys()
pub(crate) fn handle_clients_blocked_on_keys(server: &mut RedisServer) {
    while !server.ready_keys.is_empty() {
        // Point server.ready_keys to a fresh list and save the current one
        // locally. This way as we run the old list we are free to call
        // signalKeyAsReady() that may push new elements in
        // server.ready_keys when handling clients blocked into BRPOPLPUSH.
        let l = std::mem::take(&mut server.ready_keys);

        for rl in l {
            let (dbid, key) = (rl.db, rl.key);

            // First of all remove this key from db->ready_keys so that we
            // can safely call signalKeyAsReady() against this key.
            server.db[dbid].ready_keys.remove(&key);

            // Even if we are not inside call(), increment the call depth in
            // order to make sure that keys are expired against a fixed
            // reference time, and not against the wallclock time. This way
            // we can lookup an object multiple times (BRPOPLPUSH does that)
            // without the risk of it being freed in the second lookup,
            // invalidating the first one.
            server.fixed_time_expire += 1;
            update_cached_time(server);

            let otype =
                lookup_key_write(server, dbid, &key).map(|o| o.obj_type());
            if otype == Some(OBJ_LIST) {
                // Serve clients blocked on list key.
                //
                // We serve clients in the same order they blocked for this
                // key, from the first blocked to the last.
                let numclients = server.db[dbid]
                    .blocking_keys
                    .get(&key)
                    .map_or(0, |l| l.len());
                for _ in 0..numclients {
                    let Some(id) = blocking_keys_head(server, dbid, &key)
                    else {
                        break;
                    };
                    let Some((btype, is_blpop)) =
                        server.clients.get(&id).map(|r| {
                            let is_blpop = r.lastcmd.is_some_and(|i| {
                                server.commands[i].name == "blpop"
                            });
                            (r.btype, is_blpop)
                        })
                    else {
                        // Divergence from C: a receiver that is not in the
                        // client table (only the running client is out of
                        // it, and it is not blocked) is skipped like a
                        // client of another block type.
                        blocking_keys_rotate(server, dbid, &key);
                        continue;
                    };
                    if btype != BLOCKED_LIST {
                        // Put at the tail, so that at the next call we'll
                        // not run into it again.
                        blocking_keys_rotate(server, dbid, &key);
                        continue;
                    }
                    let where_ = if is_blpop { LIST_HEAD } else { LIST_TAIL };
                    let value = match server.db[dbid]
                        .dict
                        .find_mut(&key)
                        .map(|o| &mut o.ptr)
                    {
                        Some(Value::List(list)) => list.pop(where_),
                        _ => None,
                    };
                    let Some(value) = value else { break };
                    let fill = server.list_max_ziplist_size;
                    with_client(server, id, |server, receiver| {
                        // Take receiver->bpop.target before unblockClient()
                        // drops it.
                        let dstkey = receiver.bpop_target.take();
                        unblock_client(server, receiver);
                        let served = serve_client_blocked_on_list(
                            server,
                            receiver,
                            &key,
                            dstkey.as_deref(),
                            dbid,
                            &value,
                            where_,
                        );
                        if served.is_err() {
                            // If we failed serving the client we need to
                            // also undo the POP operation.
                            if let Some(Value::List(list)) = server.db[dbid]
                                .dict
                                .find_mut(&key)
                                .map(|o| &mut o.ptr)
                            {
                                list.push_with_fill(&value, where_, fill);
                            }
                        }
                    });
                }

                let empty = match server.db[dbid]
                    .dict
                    .find(&key)
                    .map(|de| &de.val().ptr)
                {
                    Some(Value::List(list)) => list.is_empty(),
                    _ => false,
                };
                if empty {
                    db_delete(server, dbid, &key);
                    notify_keyspace_event(
                        server,
                        NOTIFY_GENERIC,
                        "del",
                        &key,
                        dbid as i32,
                    );
                }
                // We don't call signalModifiedKey() as it was already
                // called when an element was pushed on the list.
            } else if otype == Some(OBJ_ZSET) {
                // Serve clients blocked on sorted set key.
                //
                // We serve clients in the same order they blocked for this
                // key, from the first blocked to the last.
                let numclients = server.db[dbid]
                    .blocking_keys
                    .get(&key)
                    .map_or(0, |l| l.len());
                for _ in 0..numclients {
                    // C counts the elements down (zcard) to stop once the
                    // set is empty; a popped-empty zset is deleted, so
                    // checking that the key still holds a zset is the same
                    // test without reading the zset's length.
                    let still_zset = matches!(
                        server.db[dbid].dict.find(&key).map(|de| &de.val().ptr),
                        Some(Value::ZSet(_))
                    );
                    if !still_zset {
                        break;
                    }
                    let Some(id) = blocking_keys_head(server, dbid, &key)
                    else {
                        break;
                    };
                    let Some((btype, is_bzpopmin)) =
                        server.clients.get(&id).map(|r| {
                            let is_min = r.lastcmd.is_some_and(|i| {
                                server.commands[i].name == "bzpopmin"
                            });
                            (r.btype, is_min)
                        })
                    else {
                        // Divergence from C: see the list case above.
                        blocking_keys_rotate(server, dbid, &key);
                        continue;
                    };
                    if btype != BLOCKED_ZSET {
                        // Put at the tail, so that at the next call we'll
                        // not run into it again.
                        blocking_keys_rotate(server, dbid, &key);
                        continue;
                    }
                    let where_ = if is_bzpopmin { ZSET_MIN } else { ZSET_MAX };
                    with_client(server, id, |server, receiver| {
                        unblock_client(server, receiver);
                        serve_client_blocked_on_sorted_set(
                            server, receiver, dbid, &key, where_,
                        );

                        // Replicate the command.
                        let name: &[u8] = if where_ == ZSET_MIN {
                            b"zpopmin"
                        } else {
                            b"zpopmax"
                        };
                        let cmd =
                            lookup_command(server, name).unwrap_or_default();
                        let argv = [name.to_vec(), key.clone()];
                        propagate(
                            server,
                            cmd,
                            receiver.db,
                            &argv,
                            PROPAGATE_AOF | PROPAGATE_REPL,
                        );
                    });
                }
            } else if otype == Some(OBJ_STREAM) {
                serve_clients_blocked_on_stream(server, dbid, &key);
            }
            server.fixed_time_expire -= 1;
        }
    }
}

/// The OBJ_STREAM branch of handleClientsBlockedOnKeys(): we need to
/// provide the new data arrived on the stream to all the clients that are
/// waiting for an offset smaller than the current top item.
///
/// C: blocked.c handleClientsBlockedOnKeys() (the OBJ_STREAM branch)
fn serve_clients_blocked_on_stream(
    server: &mut RedisServer,
    dbid: usize,
    key: &[u8],
) {
    use crate::t_stream::*;
    let Some(clients) = server.db[dbid].blocking_keys.get(key).cloned() else {
        return;
    };
    for id in clients {
        let is_stream =
            server.clients.get(&id).is_some_and(|r| r.btype == BLOCKED_STREAM);
        if !is_stream {
            continue;
        }
        with_client(server, id, |server, receiver| {
            let Some(idx) = receiver.bpop_keys.iter().position(|k| k == key)
            else {
                return;
            };
            let Some(Value::Stream(s)) =
                server.db[dbid].dict.find_mut(key).map(|o| &mut o.ptr)
            else {
                return;
            };
            let mut gt =
                receiver.bpop_stream_ids.get(idx).copied().unwrap_or_default();

            // If we blocked in the context of a consumer group, we need to
            // resolve the group and update the last ID the client is
            // blocked for: this is needed because serving other clients in
            // the same consumer group will alter the "last ID" of the
            // consumer group, and clients blocked in a consumer group are
            // always blocked for the ">" ID: we need to deliver only new
            // messages and avoid unblocking the client otherwise.
            let group = receiver.bpop_xread_group.clone();
            if let Some(g) = &group {
                match stream_lookup_cg(s, g) {
                    // If the group was not found, send an error to the
                    // consumer.
                    None => {
                        crate::networking::add_reply_error(
                            receiver,
                            "-NOGROUP the consumer group this client was \
                             blocked on no longer exists",
                        );
                        unblock_client(server, receiver);
                        return;
                    }
                    Some(cg) => {
                        gt = cg.last_id;
                        if let Some(slot) =
                            receiver.bpop_stream_ids.get_mut(idx)
                        {
                            *slot = gt;
                        }
                    }
                }
            }

            if stream_compare_id(&s.last_id, &gt) > 0 {
                let mut start = gt;
                stream_incr_id(&mut start);

                // Lookup the consumer for the group, if any.
                let consumer = receiver.bpop_xread_consumer.clone();
                let mut noack = 0;
                if let (Some(g), Some(cn)) = (&group, &consumer) {
                    if let Some(cg) =
                        s.cgroups.as_mut().and_then(|cg| cg.get_mut(g))
                    {
                        stream_lookup_consumer(cg, cn, SLC_NONE);
                    }
                    if receiver.bpop_xread_group_noack {
                        noack = STREAM_RWR_NOACK;
                    }
                }

                // Emit the two elements sub-array consisting of the name of
                // the stream and the data we extracted from it. Wrapped in
                // a single-item array, since we have just one key.
                crate::networking::add_reply_multi_bulk_len(receiver, 1);
                crate::networking::add_reply_multi_bulk_len(receiver, 2);
                crate::networking::add_reply_bulk(receiver, key);

                let pi = StreamPropInfo {
                    keyname: key,
                    groupname: group.as_deref().unwrap_or_default(),
                };
                let mut props = Vec::new();
                let count = receiver.bpop_xread_count;
                stream_reply_with_range(
                    receiver,
                    s,
                    &start,
                    None,
                    count,
                    false,
                    group.as_deref(),
                    consumer.as_deref(),
                    noack,
                    Some(&pi),
                    &mut props,
                );
                stream_propagate(server, receiver.db, props);

                // Note that after we unblock the client, 'gt' and other
                // receiver->bpop stuff are no longer valid, so we must do
                // the setup above before this call.
                unblock_client(server, receiver);
            }
        });
    }
}

/// The first client of `db.blocking_keys[key]`. (no C twin: C's
/// listFirst())
fn blocking_keys_head(
    server: &RedisServer,
    dbid: usize,
    key: &[u8],
) -> Option<ClientId> {
    server.db[dbid].blocking_keys.get(key).and_then(|l| l.front().copied())
}

/// Moves the first client of `db.blocking_keys[key]` to the tail. (no C
/// twin: C's listRotateHeadToTail())
fn blocking_keys_rotate(server: &mut RedisServer, dbid: usize, key: &[u8]) {
    if let Some(l) = server.db[dbid].blocking_keys.get_mut(key) {
        l.rotate_left(1.min(l.len()));
    }
}

/// This is how the current blocking lists/sorted sets work, we use BLPOP as
/// example, but the concept is the same for other list ops and sorted
/// sets:
/// - If the user calls BLPOP and the key exists and contains a non empty
///   list then LPOP is called instead. So BLPOP is semantically the same as
///   LPOP if blocking is not required.
/// - If instead BLPOP is called and the key does not exists or the list is
///   empty we need to block. In order to do so we stop processing the
///   client's query buffer (so that we'll not serve new requests if the
///   blocking request is not served). Also we put the client in a
///   dictionary (db->blocking_keys) mapping keys to a list of clients
///   blocking for this keys.
/// - If a PUSH operation against a key with blocked clients waiting is
///   performed, we mark this key as "ready", and after the current command,
///   MULTI/EXEC block, or script, is executed, we serve all the clients
///   waiting for this list, from the one that blocked first, to the last,
///   accordingly to the number of elements we have in the ready list.
///
/// Set a client in blocking mode for the specified keys, with the specified
/// timeout (unix time in ms, 0 for none). The 'btype' argument is
/// BLOCKED_LIST or BLOCKED_ZSET depending on the kind of operation we are
/// waiting for an empty key in order to awake the client. `target` is the
/// destination key of BRPOPLPUSH.
///
/// `ids` are the stream IDs of a BLOCKED_STREAM block, one per key.
///
/// C: blocked.c blockForKeys()
pub(crate) fn block_for_keys(
    server: &mut RedisServer,
    c: &mut Client,
    btype: i32,
    keys: &[Vec<u8>],
    timeout: i64,
    target: Option<Vec<u8>>,
    ids: Option<&[crate::t_stream::StreamID]>,
) {
    c.bpop_timeout = timeout;
    c.bpop_target = target;

    for (j, key) in keys.iter().enumerate() {
        // If the key already exists in the client's set ignore it.
        // Divergence from C: c->bpop.keys is a dict (key → bkinfo); here a
        // short Vec, searched linearly (a command names few keys), with
        // the stream IDs in `bpop_stream_ids` at the same index.
        if c.bpop_keys.contains(key) {
            continue;
        }
        c.bpop_keys.push(key.clone());
        if btype == BLOCKED_STREAM {
            let id =
                ids.and_then(|ids| ids.get(j)).copied().unwrap_or_default();
            c.bpop_stream_ids.push(id);
        }

        // And in the other "side", to map keys -> clients
        server.db[c.db]
            .blocking_keys
            .entry(key.clone())
            .or_default()
            .push_back(c.id);
    }
    block_client(server, c, btype);
}

/// Unblock a client that's waiting in a blocking operation such as BLPOP.
/// You should never call this function directly, but unblockClient()
/// instead.
///
/// C: blocked.c unblockClientWaitingData()
pub(crate) fn unblock_client_waiting_data(
    server: &mut RedisServer,
    c: &mut Client,
) {
    // The client may wait for multiple keys, so unblock it for every key.
    for key in std::mem::take(&mut c.bpop_keys) {
        // Remove this client from the list of clients waiting for this key.
        // Divergence from C: C keeps the list node of each key to unlink it
        // in O(1); here the id is searched in the key's list.
        let blocking_keys = &mut server.db[c.db].blocking_keys;
        if let Some(l) = blocking_keys.get_mut(&key) {
            if let Some(pos) = l.iter().position(|id| *id == c.id) {
                l.remove(pos);
            }
            // If the list is empty we need to remove it to avoid wasting
            // memory
            if l.is_empty() {
                blocking_keys.remove(&key);
            }
        }
    }
    c.bpop_stream_ids.clear();
    // Cleanup the client structure
    c.bpop_target = None;
    if c.bpop_xread_group.is_some() {
        c.bpop_xread_group = None;
        c.bpop_xread_consumer = None;
    }
}

/// If the specified key has clients blocked waiting for list pushes, this
/// function will put the key reference into the server.ready_keys list.
/// Note that db->ready_keys is a hash table that allows us to avoid putting
/// the same key again and again in the list in case of multiple pushes made
/// by a script or in the context of MULTI/EXEC.
///
/// The list will be finally processed by handleClientsBlockedOnKeys()
///
/// C: blocked.c signalKeyAsReady()
pub(crate) fn signal_key_as_ready(
    server: &mut RedisServer,
    dbid: usize,
    key: &[u8],
) {
    let db = &mut server.db[dbid];
    // No clients blocking for this key? No need to queue it.
    if !db.blocking_keys.contains_key(key) {
        return;
    }
    // Key was already signaled? No need to queue it again.
    if db.ready_keys.contains(key) {
        return;
    }
    // We also add the key in the db->ready_keys dictionary in order to
    // avoid adding it multiple times into a list with a simple O(1) check.
    db.ready_keys.insert(key.to_vec());
    // Ok, we need to queue this key into server.ready_keys.
    server.ready_keys.push(ReadyList { db: dbid, key: key.to_vec() });
}
