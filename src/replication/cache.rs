//! Master caching for PSYNC: when the link to our master breaks, its
//! client is not freed but kept aside, with its replication ID and the
//! offset it reached, so that the next handshake can ask the master to
//! continue from there (`PSYNC <replid> <offset+1>`) instead of sending a
//! whole RDB. A master that becomes a replica synthesizes such a cached
//! master from its own ID and offset, so it can partially resync with the
//! replica promoted in its place.
//!
//! Ports the "MASTER CACHING FOR PSYNC" section of replication.c from
//! Redis 5.0.14, in the same order.
//!
//! Read this first: C unlinks the cached client from `server.clients` and
//! keeps the pointer in `server.cached_master`; here the boxed `Client`
//! itself moves out of the table into `server.cached_master`, and back in
//! when it is resurrected. Its id is kept, so to everything else it is the
//! same client.

use std::os::unix::io::AsRawFd;

use socket2::Socket;

use super::{replication_handle_master_disconnection, set_repl_state};
use crate::ae::{ae_create_file_event, AE_READABLE, AE_WRITABLE};
use crate::networking::{
    client_has_pending_replies, free_client, free_client_async,
    read_query_from_client, reset_client, send_reply_to_client, unlink_client,
};
use crate::server::*;
use crate::server_log;
use crate::util::strerror;

// ---------------------- MASTER CACHING FOR PSYNC --------------------------

// In order to implement partial synchronization we need to be able to
// cache our master's client structure after a transient disconnection.
// It is cached into server.cached_master and flushed away using the
// following functions.

/// Called by free_client() in order to cache the master client structure
/// instead of destroying it. free_client() returns as soon as this
/// function returns, so everything needed to avoid problems with a client
/// that is really "suspended" has to be done here.
///
/// The other functions that deal with the cached master are:
///
/// replication_discard_cached_master(), which kills the client when for
/// some reason we don't want to use it in the future.
///
/// replication_resurrect_cached_master(), used after a successful PSYNC
/// handshake in order to reactivate the cached master.
///
/// C: replication.c replicationCacheMaster()
pub(crate) fn replication_cache_master(server: &mut RedisServer, id: ClientId) {
    if server.master.is_none() || server.cached_master.is_some() {
        crate::server_panic!(
            server,
            "server.master != NULL && server.cached_master == NULL"
        );
    }
    server_log!(server, LL_NOTICE, "Caching the disconnected master state.");

    // free_client() only calls us for a client in the table.
    let Some(mut c) = server.clients.remove(&id) else { return };

    // Unlink the client from the server structures.
    unlink_client(server, &mut c);

    // Reset the master client so that's ready to accept new commands: we
    // want to discard the non processed query buffers and non processed
    // offsets, including pending transactions, already populated
    // arguments, pending outputs to the master.
    c.querybuf.clear();
    c.qb_pos = 0;
    c.pending_querybuf.clear();
    c.read_reploff = c.reploff;
    if c.flags & CLIENT_MULTI != 0 {
        crate::multi::discard_transaction(server, &mut c);
    }
    c.reply.clear();
    c.sentlen = 0;
    c.reply_bytes = 0;
    c.bufpos = 0;
    reset_client(&mut c);

    // Invalidate the Peer ID cache.
    c.peerid = None;

    // Save the master. server.master will be set to None later by
    // replication_handle_master_disconnection().
    server.cached_master = Some(c);

    // Caching the master happens instead of the actual free_client() call,
    // so make sure to adjust the replication state. This function will
    // also set server.master to None.
    replication_handle_master_disconnection(server);
}

/// Called when a master is turned into a slave, in order to create from
/// scratch a cached master for the new client, that will allow to PSYNC
/// with the slave that was promoted as the new master after a failover.
///
/// Assuming this instance was previously the master instance of the new
/// master, the new master will accept its replication ID, and potentially
/// also the current offset if no data was lost during the failover. So we
/// use our current replication ID and offset in order to synthesize a
/// cached master.
///
/// C: replication.c replicationCacheMasterUsingMyself()
pub(crate) fn replication_cache_master_using_myself(server: &mut RedisServer) {
    // The master client we create can be set to any DBID, because the new
    // master will start its replication stream with SELECT.
    server.master_initial_offset = server.master_repl_offset;
    super::replication_create_master_client(server, None, -1);
    let Some(id) = server.master.take() else { return };
    let Some(mut c) = server.clients.remove(&id) else { return };

    // Use our own ID / offset.
    c.replid = server.replid;

    // Set as cached master. (C's client made with fd -1 was never linked;
    // ours was put in the table by create_client and is taken out above.)
    unlink_client(server, &mut c);
    server.cached_master = Some(c);
    server_log!(
        server,
        LL_NOTICE,
        "Before turning into a replica, using my master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer."
    );
}

/// Free a cached master, called when there are no longer the conditions
/// for a partial resync on reconnection.
///
/// C: replication.c replicationDiscardCachedMaster()
pub(crate) fn replication_discard_cached_master(server: &mut RedisServer) {
    let Some(mut c) = server.cached_master.take() else { return };

    server_log!(
        server,
        LL_NOTICE,
        "Discarding previously cached master state."
    );
    c.flags &= !CLIENT_MASTER;
    // free_client() works on clients in the table: put it back for it.
    let id = c.id;
    server.clients.insert(c);
    free_client(server, id);
}

/// Turn the cached master into the current master, using the socket
/// passed as argument as the socket for the new master.
///
/// Called after a successful partial resynchronization handshake, so the
/// stream of data that we'll receive will start from where this master
/// left.
///
/// C: replication.c replicationResurrectCachedMaster()
pub(crate) fn replication_resurrect_cached_master(
    server: &mut RedisServer,
    newsock: Socket,
) {
    let Some(mut c) = server.cached_master.take() else { return };
    let newfd = newsock.as_raw_fd();
    let id = c.id;
    c.fd = newfd;
    c.sock = Some(newsock);
    c.flags &= !(CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP);
    c.authenticated = true;
    c.lastinteraction = server.unixtime;
    server.master = Some(id);
    set_repl_state(server, REPL_STATE_CONNECTED);
    server.repl_down_since = 0;

    // Re-add to the list of clients.
    let has_pending = client_has_pending_replies(&c);
    server.clients.insert(c);
    if let Err(e) = ae_create_file_event(
        &mut server.el,
        newfd,
        AE_READABLE,
        read_query_from_client,
        ClientData::Client(id),
    ) {
        server_log!(
            server,
            LL_WARNING,
            "Error resurrecting the cached master, impossible to add the readable handler: {}",
            strerror(&e)
        );
        free_client_async(server, id); // Close ASAP.
    }

    // We may also need to install the write handler as well if there is
    // pending data in the write buffers.
    if has_pending {
        if let Err(e) = ae_create_file_event(
            &mut server.el,
            newfd,
            AE_WRITABLE,
            send_reply_to_client,
            ClientData::Client(id),
        ) {
            server_log!(
                server,
                LL_WARNING,
                "Error resurrecting the cached master, impossible to add the writable handler: {}",
                strerror(&e)
            );
            free_client_async(server, id); // Close ASAP.
        }
    }
}
