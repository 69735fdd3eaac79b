//! Master/replica replication: the master feeding its replicas and the
//! backlog, the replica's handshake with its master, PSYNC, WAIT and the
//! replication cron.
//!
//! Ports replication.c from Redis 5.0.14, split along its own section
//! banners. The files, in the C file's order:
//!
//! - `mod.rs`: "Utility functions" (replicationGetSlaveName) and the
//!   replication backlog (createReplicationBacklog ...
//!   feedReplicationBacklogWithObject, which C keeps at the top of its
//!   MASTER section), plus the helpers every section uses to reach a
//!   replica's client.
//! - `master.rs`: "MASTER": propagation to replicas, SYNC/PSYNC, REPLCONF,
//!   the RDB transfer to replicas, the replication IDs.
//! - `slave.rs`: "SLAVE": REPLICAOF, the handshake state machine, the
//!   transfer of the RDB from our master, ROLE.
//! - `cache.rs`: "MASTER CACHING FOR PSYNC".
//! - `min_slaves.rs`: "MIN-SLAVES-TO-WRITE".
//! - `script_cache.rs`: "REPLICATION SCRIPT CACHE".
//! - `wait.rs`: "SYNCHRONOUS REPLICATION" (WAIT).
//! - `cron.rs`: "REPLICATION CRON".
//! - `history.rs`: no C twin; the replication history behind `INFO
//!   replhistory` (every sync decision and attempt, with its reason).
//!
//! Read this first: C links replicas by pointer from `server.slaves`; here
//! the list holds client ids, and a replica is reached in `server.clients`.
//! The one exception is the client running the current command, which is
//! lent out of the table (its slot says "running", see
//! `networking::client_table`) and passed around as `c`: SYNC, PSYNC and
//! REPLCONF run with the replica itself lent out, and what they do to every
//! replica must reach it too, so the functions they call take an optional
//! "current client" and use it when they meet its id (see
//! `for_each_slave`).

use crate::networking::{
    add_reply, async_close_client_on_output_buffer_limit_reached,
    free_client_async, with_client, Lookup,
};
use crate::server::*;

pub(crate) mod cache;
pub(crate) mod cron;
pub(crate) mod history;
pub(crate) mod master;
pub(crate) mod min_slaves;
pub(crate) mod script_cache;
pub(crate) mod slave;
pub(crate) mod wait;

pub(crate) use cache::*;
pub(crate) use cron::*;
pub(crate) use master::*;
pub(crate) use min_slaves::*;
pub(crate) use script_cache::*;
pub use slave::*;
pub(crate) use wait::*;

// ------------------------------- server.h -------------------------------

/// State of slaves from the POV of the master. Used in client->replstate.
/// In SEND_BULK and ONLINE state the slave receives new updates in its
/// output queue. In the WAIT_BGSAVE states instead the server waits to
/// start the next background saving in order to send updates to it.
pub(crate) const SLAVE_STATE_WAIT_BGSAVE_START: i32 = 6;
pub(crate) const SLAVE_STATE_WAIT_BGSAVE_END: i32 = 7;
pub(crate) const SLAVE_STATE_SEND_BULK: i32 = 8;
pub(crate) const SLAVE_STATE_ONLINE: i32 = 9;

/// Slave capabilities.
#[allow(dead_code)] // kept so the set reads whole beside C
pub(crate) const SLAVE_CAPA_NONE: i32 = 0;
pub(crate) const SLAVE_CAPA_EOF: i32 = 1 << 0;
pub(crate) const SLAVE_CAPA_PSYNC2: i32 = 1 << 1;

// --------------------------- Utility functions ----------------------------

/// Every change of the replica's handshake state (`server.repl_state`) goes
/// through here, so that what watches the replica (the replication history,
/// the event trace) sees each transition. Divergence from C: C assigns
/// `server.repl_state` directly at each place.
pub(crate) fn set_repl_state(server: &mut RedisServer, state: i32) {
    let from = server.repl_state;
    server.repl_state = state;
    if from != state {
        crate::trace::repl_state(server, from, state);
        history::repl_state_changed(server, from, state);
    }
}

/// Every change of a replica client's state on the master (`replstate`)
/// goes through here, for the same watchers as `set_repl_state`.
/// Divergence from C: C assigns `slave->replstate` directly at each place.
pub(crate) fn set_slave_state(
    server: &RedisServer,
    slave: &mut Client,
    state: i32,
) {
    if slave.replstate != state {
        crate::trace::slave_state(server, slave, slave.replstate, state);
    }
    slave.replstate = state;
}

/// Return a string representing the slave ip:listening_port pair. Mostly
/// useful for logging, since we want to log a slave using its IP address
/// and its listening port which is more clear for the user, for example:
/// "Closing connection with replica 10.1.2.3:6380".
///
/// C: replication.c replicationGetSlaveName()
pub(crate) fn replication_get_slave_name(c: &Client) -> String {
    let ip = c.slave_ip.clone().filter(|ip| !ip.is_empty()).or_else(|| {
        c.sock
            .as_ref()
            .and_then(crate::networking::anet::anet_peer_to_string)
            .map(|(ip, _)| ip)
    });
    match ip {
        Some(ip) if c.slave_listening_port != 0 => {
            crate::networking::anet::anet_format_addr(
                &ip,
                c.slave_listening_port,
            )
        }
        Some(ip) => format!("{}:<unknown-replica-port>", ip),
        None => format!("client id #{}", c.id.0),
    }
}

// --------------------------- the backlog (MASTER) ---------------------------

/// Allocates the backlog, empty. Virtually, its first byte is the next
/// byte the replication stream will produce.
///
/// C: replication.c createReplicationBacklog()
pub fn create_replication_backlog(server: &mut RedisServer) {
    if server.repl_backlog.is_some() {
        crate::server_panic!(server, "server.repl_backlog == NULL");
    }
    // vec![0; n] is calloc: the pages are only touched when written, as
    // with C's zmalloc.
    server.repl_backlog = Some(vec![0u8; server.repl_backlog_size as usize]);
    server.repl_backlog_histlen = 0;
    server.repl_backlog_idx = 0;

    // We don't have any data inside our buffer, but virtually the first
    // byte we have is the next byte that will be generated for the
    // replication stream.
    server.repl_backlog_off = server.master_repl_offset + 1;
    history::backlog_created(server);
}

/// Called when the user modifies the replication backlog size at runtime
/// (CONFIG SET repl-backlog-size). It updates server.repl_backlog_size and
/// resizes the buffer. An existing backlog is not copied: it is dropped
/// and reallocated empty, so it holds less history until it refills.
///
/// C: replication.c resizeReplicationBacklog()
pub(crate) fn resize_replication_backlog(
    server: &mut RedisServer,
    mut newsize: i64,
) {
    if newsize < crate::config::CONFIG_REPL_BACKLOG_MIN_SIZE {
        newsize = crate::config::CONFIG_REPL_BACKLOG_MIN_SIZE;
    }
    if server.repl_backlog_size == newsize {
        return;
    }

    server.repl_backlog_size = newsize;
    if server.repl_backlog.is_some() {
        // What we actually do is to flush the old buffer and realloc a new
        // empty one. It will refill with new data incrementally. The
        // reason is that copying a few gigabytes adds latency and even
        // worse often we need to alloc additional space before freeing the
        // old buffer.
        server.repl_backlog = None;
        server.repl_backlog =
            Some(vec![0u8; server.repl_backlog_size as usize]);
        server.repl_backlog_histlen = 0;
        server.repl_backlog_idx = 0;
        // Next byte we have is... the next since the buffer is empty.
        server.repl_backlog_off = server.master_repl_offset + 1;
    }
}

/// Frees the backlog. Only done when there are no replicas left.
///
/// C: replication.c freeReplicationBacklog()
pub(crate) fn free_replication_backlog(server: &mut RedisServer) {
    if !server.slaves.is_empty() {
        crate::server_panic!(server, "listLength(server.slaves) == 0");
    }
    server.repl_backlog = None;
}

/// Add data to the replication backlog. This function also increments the
/// global replication offset stored at server.master_repl_offset, because
/// there is no case where we want to feed the backlog without incrementing
/// the offset. Callers make sure the backlog exists.
///
/// C: replication.c feedReplicationBacklog()
pub(crate) fn feed_replication_backlog(server: &mut RedisServer, mut p: &[u8]) {
    server.master_repl_offset += p.len() as i64;
    let Some(backlog) = server.repl_backlog.as_mut() else { return };
    let size = backlog.len();

    // Only the last `size` bytes of a longer piece survive in the ring (a
    // 100 MB value in a 1 MB backlog): skip the others, leaving the index
    // and histlen where writing them all would have.
    if size != 0 && p.len() > size {
        let skip = p.len() - size;
        server.repl_backlog_idx =
            ((server.repl_backlog_idx as usize + skip) % size) as i64;
        server.repl_backlog_histlen += skip as i64;
        p = &p[skip..];
    }

    // This is a circular buffer, so write as much data we can at every
    // iteration and rewind the "idx" index if we reach the limit.
    while !p.is_empty() {
        let idx = server.repl_backlog_idx as usize;
        let thislen = (size - idx).min(p.len());
        backlog[idx..idx + thislen].copy_from_slice(&p[..thislen]);
        server.repl_backlog_idx += thislen as i64;
        if server.repl_backlog_idx as usize == size {
            server.repl_backlog_idx = 0;
        }
        p = &p[thislen..];
        server.repl_backlog_histlen += thislen as i64;
    }
    if server.repl_backlog_histlen > server.repl_backlog_size {
        server.repl_backlog_histlen = server.repl_backlog_size;
    }
    // Set the offset of the first byte we have in the backlog.
    server.repl_backlog_off =
        server.master_repl_offset - server.repl_backlog_histlen + 1;
}

/// Wrapper for feedReplicationBacklog() that takes Redis string objects
/// as input. Our arguments are always their bytes (C's INT-encoded case
/// prints the same digits), so this only forwards.
///
/// C: replication.c feedReplicationBacklogWithObject()
pub(crate) fn feed_replication_backlog_with_object(
    server: &mut RedisServer,
    o: &[u8],
) {
    feed_replication_backlog(server, o);
}

// ------------------------ reaching the replicas ------------------------

/// Runs `f` on every client in `server.slaves`, in list order, with the
/// client lent out of the table as `with_client` does (so `f` may free
/// it, and output it gets is queued for writing when it is handed back).
/// A replica running the current command is seen when its caller has put
/// it back in the table (`with_running_in_table`). The list is copied
/// first, so `f` may add to it or remove from it, as C's listNext allows
/// for the current node. (no C twin: C walks the list of pointers)
pub(crate) fn for_each_slave(
    server: &mut RedisServer,
    mut f: impl FnMut(&mut RedisServer, &mut Client),
) {
    for id in server.slaves.clone() {
        // A replica freed by an earlier call of f is gone from the list.
        if !server.slaves.contains(&id) {
            continue;
        }
        with_client(server, id, |server, c| f(server, c));
    }
}

/// C's `addReply(slave, ...)` for a replica in `server.clients`: appends
/// `s` to its output and then does the two things of C's addReply that
/// need the server, queueing it for writing and checking its output
/// buffer limits (client-output-buffer-limit replica: a replica that falls
/// too far behind is closed). (no C twin)
///
/// A replica that is itself running a command (its slot says "running")
/// is not written here.
// Divergence from C: such a replica is closed instead (asynchronously);
// it reconnects and continues from the backlog with PSYNC. Its slot could
// take the bytes, but `call` places them before the reply of the running
// command (see `networking::apply_deferred_at`), where the stream must
// follow it. Replicas only send REPLCONF, which propagates nothing, so
// this is not expected to happen.
pub(crate) fn add_reply_to_slave(
    server: &mut RedisServer,
    id: ClientId,
    s: &[u8],
) {
    add_reply_to_slave_with(server, id, |c| add_reply(c, s));
}

/// `add_reply_to_slave` of a buffer given away: a big one becomes a node
/// of the replica's output list without a copy (`add_reply_owned`).
/// (no C twin)
pub(crate) fn add_reply_owned_to_slave(
    server: &mut RedisServer,
    id: ClientId,
    v: Vec<u8>,
) {
    add_reply_to_slave_with(server, id, |c| {
        crate::networking::add_reply_owned(c, v)
    });
}

/// The body of `add_reply_to_slave`, with `add` doing the append.
/// (no C twin)
fn add_reply_to_slave_with(
    server: &mut RedisServer,
    id: ClientId,
    add: impl FnOnce(&mut Client),
) {
    let c = match server.clients.get_mut(&id) {
        Lookup::Here(c) => c,
        Lookup::Running(_) => {
            free_client_async(server, id);
            return;
        }
        Lookup::Gone => return,
    };
    add(c);
    // C: the second half of clientInstallWriteHandler().
    if c.flags & CLIENT_PENDING_WRITE != 0 && !c.pending_write_queued {
        c.pending_write_queued = true;
        server.clients_pending_write.push(id);
    }
    // C: _addReplyStringToList() checks the limits once the reply list is
    // in use. The check needs the server and the client apart, which costs
    // taking the client out of the table; below both limits its only
    // effect is to reset the soft limit timer, done here in place.
    if c.reply_bytes != 0 && c.flags & CLIENT_CLOSE_ASAP == 0 {
        let mut class = crate::networking::get_client_type(c);
        if class == CLIENT_TYPE_MASTER {
            class = CLIENT_TYPE_NORMAL;
        }
        let lim = server.client_obuf_limits[class];
        let used = crate::networking::get_client_output_buffer_memory_usage(c);
        let over = (lim.hard_limit_bytes != 0 && used >= lim.hard_limit_bytes)
            || (lim.soft_limit_bytes != 0 && used >= lim.soft_limit_bytes);
        if !over {
            c.obuf_soft_limit_reached_time = 0;
        } else {
            with_client(server, id, |server, c| {
                async_close_client_on_output_buffer_limit_reached(server, c)
            });
        }
    }
}

/// Closes the RDB file a replica was being sent. (no C twin: part of
/// freeClient in C)
pub(crate) fn close_repldbfd(c: &mut Client) {
    c.repldbfile = None;
    c.repldbfd = -1;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_with_backlog(size: i64) -> RedisServer {
        let mut server = crate::server::init_server_config();
        server.repl_backlog_size = size;
        create_replication_backlog(&mut server);
        server
    }

    #[test]
    fn create_replication_backlog_starts_after_the_current_offset() {
        let mut server = crate::server::init_server_config();
        server.master_repl_offset = 100;
        create_replication_backlog(&mut server);
        assert_eq!(server.repl_backlog_off, 101);
        assert_eq!(server.repl_backlog_histlen, 0);
    }

    #[test]
    fn feed_replication_backlog_wraps_and_keeps_the_newest_bytes() {
        let mut server = server_with_backlog(8);
        feed_replication_backlog(&mut server, b"abcdef");
        assert_eq!(server.master_repl_offset, 6);
        assert_eq!(server.repl_backlog_histlen, 6);
        assert_eq!(server.repl_backlog_off, 1);
        feed_replication_backlog(&mut server, b"ghijk");
        assert_eq!(server.master_repl_offset, 11);
        assert_eq!(server.repl_backlog_histlen, 8);
        assert_eq!(server.repl_backlog_idx, 3);
        // The oldest byte kept is the 4th: "d".
        assert_eq!(server.repl_backlog_off, 4);
        assert_eq!(server.repl_backlog.as_deref(), Some(&b"ijkdefgh"[..]));
    }

    #[test]
    fn feed_replication_backlog_longer_than_the_ring_ends_as_byte_by_byte() {
        // A piece longer than the ring (several times, and not a multiple
        // of it) leaves the same ring, index, histlen and offsets as the
        // same bytes fed one at a time.
        let data: Vec<u8> = (0..100u32).map(|i| (i * 7 % 251) as u8).collect();
        for start in [0usize, 3, 7] {
            let mut whole = server_with_backlog(8);
            let mut bytes = server_with_backlog(8);
            feed_replication_backlog(&mut whole, &data[..start]);
            feed_replication_backlog(&mut bytes, &data[..start]);
            feed_replication_backlog(&mut whole, &data[start..start + 37]);
            for b in &data[start..start + 37] {
                feed_replication_backlog(&mut bytes, std::slice::from_ref(b));
            }
            assert_eq!(whole.repl_backlog, bytes.repl_backlog);
            assert_eq!(whole.repl_backlog_idx, bytes.repl_backlog_idx);
            assert_eq!(whole.repl_backlog_histlen, bytes.repl_backlog_histlen);
            assert_eq!(whole.repl_backlog_off, bytes.repl_backlog_off);
            assert_eq!(whole.master_repl_offset, bytes.master_repl_offset);
        }
    }

    #[test]
    fn resize_replication_backlog_empties_it_and_enforces_the_minimum() {
        let mut server = server_with_backlog(1024 * 1024);
        feed_replication_backlog(&mut server, b"hello");
        resize_replication_backlog(&mut server, 10);
        assert_eq!(
            server.repl_backlog_size,
            crate::config::CONFIG_REPL_BACKLOG_MIN_SIZE
        );
        assert_eq!(server.repl_backlog_histlen, 0);
        assert_eq!(server.repl_backlog_off, 6);
    }
}
