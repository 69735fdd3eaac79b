//! WAIT: a client blocks until enough replicas acknowledged the
//! replication offset its last write reached, or a timeout.
//!
//! Ports the "SYNCHRONOUS REPLICATION" section of replication.c (Redis
//! 5.0.14), plus the two steps server.c's beforeSleep() takes for it.
//!
//! Redis synchronous replication design can be summarized in points:
//!
//! - Redis masters have a global replication offset, used by PSYNC.
//! - Master increment the offset every time new commands are sent to
//!   slaves.
//! - Slaves ping back masters with the offset processed so far.
//!
//! So synchronous replication adds a new WAIT command in the form:
//!
//!   WAIT <num_replicas> <milliseconds_timeout>
//!
//! That returns the number of replicas that processed the query when we
//! finally have at least num_replicas, or when the timeout was reached.
//!
//! The command is implemented in this way:
//!
//! - Every time a client processes a command, we remember the replication
//!   offset after sending that command to the slaves (`c.woff`, set in
//!   `process_command`).
//! - When WAIT is called, we ask slaves to send an acknowledgement ASAP.
//!   The client is blocked at the same time (see blocked.rs).
//! - Once we receive enough ACKs for a given offset or when the timeout is
//!   reached, the WAIT command is unblocked and the reply sent to the
//!   client.

use crate::blocked::{
    block_client, get_timeout_from_object_or_reply, unblock_client,
};
use crate::networking::{add_reply_error, add_reply_long_long, with_client};
use crate::server::*;

use super::{replication_feed_slaves, SLAVE_STATE_ONLINE};

// ----------------------- SYNCHRONOUS REPLICATION --------------------------

/// This just set a flag so that we broadcast a REPLCONF GETACK command to
/// all the slaves in the beforeSleep() function. Note that this way we
/// "group" all the clients that want to wait for synchronouns replication
/// in a given event loop iteration, and send a single GETACK for them all.
///
/// C: replication.c replicationRequestAckFromSlaves()
pub(crate) fn replication_request_ack_from_slaves(server: &mut RedisServer) {
    server.get_ack_from_slaves = true;
}

/// Return the number of slaves that already acknowledged the specified
/// replication offset.
///
/// C: replication.c replicationCountAcksByOffset()
pub(crate) fn replication_count_acks_by_offset(
    server: &RedisServer,
    offset: i64,
) -> i32 {
    let mut count = 0;
    for id in &server.slaves {
        let Some(slave) = server.clients.get(id) else {
            continue;
        };
        if slave.replstate != SLAVE_STATE_ONLINE {
            continue;
        }
        if slave.repl_ack_off >= offset {
            count += 1;
        }
    }
    count
}

/// WAIT for N replicas to acknowledge the processing of our latest write
/// command (and all the previous commands).
///
/// C: replication.c waitCommand()
pub(crate) fn wait_command(server: &mut RedisServer, c: &mut Client) {
    let offset = c.woff;

    if server.masterhost.is_some() {
        add_reply_error(
            c,
            "WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.",
        );
        return;
    }

    // Argument parsing.
    let arg1 = c.argv[1].clone();
    let arg2 = c.argv[2].clone();
    let Some(numreplicas) =
        crate::object::get_long_from_object_or_reply(c, &arg1, None)
    else {
        return;
    };
    let Ok(timeout) = get_timeout_from_object_or_reply(
        c,
        &arg2,
        crate::t_string::UNIT_MILLISECONDS,
    ) else {
        return;
    };

    // First try without blocking at all.
    let ackreplicas = replication_count_acks_by_offset(server, c.woff) as i64;
    if ackreplicas >= numreplicas || c.flags & CLIENT_MULTI != 0 {
        add_reply_long_long(c, ackreplicas);
        return;
    }

    // Otherwise block the client and put it into our list of clients
    // waiting for ack from slaves.
    c.bpop_timeout = timeout;
    c.bpop_reploffset = offset;
    // C stores the long into an int field.
    c.bpop_numreplicas = numreplicas as i32;
    server.clients_waiting_acks.push(c.id);
    block_client(server, c, BLOCKED_WAIT);

    // Make sure that the server will send an ACK request to all the slaves
    // before returning to the event loop.
    replication_request_ack_from_slaves(server);
}

/// This is called by unblockClient() to perform the blocking op type
/// specific cleanup. We just remove the client from the list of clients
/// waiting for replica acks. Never call it directly, call unblockClient()
/// instead.
///
/// C: replication.c unblockClientWaitingReplicas()
pub(crate) fn unblock_client_waiting_replicas(
    server: &mut RedisServer,
    c: &mut Client,
) {
    match server.clients_waiting_acks.iter().position(|id| *id == c.id) {
        Some(pos) => {
            server.clients_waiting_acks.remove(pos);
        }
        None => {
            crate::server_panic!(server, "ln != NULL");
        }
    }
}

/// Check if there are clients blocked in WAIT that can be unblocked since
/// we received enough ACKs from slaves.
///
/// C: replication.c processClientsWaitingReplicas()
pub(crate) fn process_clients_waiting_replicas(server: &mut RedisServer) {
    let mut last_offset: i64 = 0;
    let mut last_numreplicas: i32 = 0;

    for id in server.clients_waiting_acks.clone() {
        with_client(server, id, |server, c| {
            // Every time we find a client that is satisfied for a given
            // offset and number of replicas, we remember it so the next
            // client may be unblocked without calling
            // replicationCountAcksByOffset() if the requested offset /
            // replicas were equal or less.
            if last_offset != 0
                && last_offset > c.bpop_reploffset
                && last_numreplicas > c.bpop_numreplicas
            {
                unblock_client(server, c);
                add_reply_long_long(c, last_numreplicas as i64);
            } else {
                let numreplicas =
                    replication_count_acks_by_offset(server, c.bpop_reploffset);

                if numreplicas >= c.bpop_numreplicas {
                    last_offset = c.bpop_reploffset;
                    last_numreplicas = numreplicas;
                    unblock_client(server, c);
                    add_reply_long_long(c, numreplicas as i64);
                }
            }
        });
    }
}

/// The replication work of beforeSleep(): send all the slaves an ACK
/// request if at least one client blocked in WAIT during the previous
/// event loop iteration, then unblock the WAIT clients whose replicas have
/// acknowledged. (no C twin: inline in server.c beforeSleep)
pub(crate) fn before_sleep_replication(server: &mut RedisServer) {
    // Send all the slaves an ACK request if at least one client blocked
    // during the previous event loop iteration.
    if server.get_ack_from_slaves {
        let argv = [b"REPLCONF".to_vec(), b"GETACK".to_vec(), b"*".to_vec()];
        // "*" is not used.
        let dictid = server.slaveseldb;
        replication_feed_slaves(server, dictid, &argv);
        server.get_ack_from_slaves = false;
    }

    // Unblock all the clients blocked for synchronous replication in WAIT.
    if !server.clients_waiting_acks.is_empty() {
        process_clients_waiting_replicas(server);
    }
}
