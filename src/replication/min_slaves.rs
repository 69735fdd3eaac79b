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
///
/// A replica that runs the current command (REPLCONF ACK, PSYNC) is
/// counted when its caller puts it back in the table for the call
/// (`with_running_in_table`).
pub(crate) fn refresh_good_slaves_count(server: &mut RedisServer) {
    if server.repl_min_slaves_to_write == 0
        || server.repl_min_slaves_max_lag == 0
    {
        return;
    }

    let mut good = 0;
    for id in &server.slaves {
        let Some(slave) = server.clients.get(id) else { continue };
        let lag = server.unixtime - slave.repl_ack_time;
        if slave.replstate == SLAVE_STATE_ONLINE
            && lag <= server.repl_min_slaves_max_lag as i64
        {
            good += 1;
        }
    }
    server.repl_good_slaves_count = good;
}
