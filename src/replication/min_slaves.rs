//! min-replicas-to-write: counting the replicas that acknowledged recently
//! enough, so that `process_command` can refuse writes ("-NOREPLICAS")
//! when there are too few of them.
//!
//! Ports the "MIN-SLAVES-TO-WRITE" section of replication.c (Redis
//! 5.0.14).

use crate::server::*;

use super::SLAVE_STATE_ONLINE;

// ------------------------- MIN-SLAVES-TO-WRITE  ---------------------------

/// This function counts the number of slaves with lag <=
/// min-slaves-max-lag. If the option is active, the server will prevent
/// writes if there are not enough connected slaves with the specified lag
/// (or less).
///
/// C: replication.c refreshGoodSlavesCount()
pub fn refresh_good_slaves_count(server: &mut RedisServer) {
    refresh_good_slaves_count_with_current(server, None);
}

/// `refresh_good_slaves_count` when one of the replicas may be the client
/// running the current command (REPLCONF ACK, PSYNC), lent out of
/// `server.clients`: `cur` is counted in its place. (no C twin)
pub fn refresh_good_slaves_count_with_current(
    server: &mut RedisServer,
    cur: Option<&Client>,
) {
    if server.repl_min_slaves_to_write == 0
        || server.repl_min_slaves_max_lag == 0
    {
        return;
    }

    let mut good = 0;
    for id in &server.slaves {
        let slave = match cur {
            Some(c) if c.id == *id => c,
            _ => match server.clients.get(id) {
                Some(c) => c,
                None => continue,
            },
        };
        let lag = server.unixtime - slave.repl_ack_time;
        if slave.replstate == SLAVE_STATE_ONLINE
            && lag <= server.repl_min_slaves_max_lag as i64
        {
            good += 1;
        }
    }
    server.repl_good_slaves_count = good;
}
