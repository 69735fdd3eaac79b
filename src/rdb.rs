//! RDB persistence: the file format, SAVE/BGSAVE with a forked child, and
//! loading at start-up.
//!
//! Ports rdb.c from Redis 5.0.14.

use crate::server::*;

/// The persistence part of serverCron(): reap a finished BGSAVE child, or
/// start one when a save point is reached. (no C twin: inline in
/// serverCron)
pub fn server_cron_persistence(_server: &mut RedisServer) {}

/// Return true if writes must be refused because the last BGSAVE failed.
///
/// C: server.c writeCommandsDeniedByDiskError()
pub fn write_commands_denied_by_disk_error(server: &RedisServer) -> bool {
    server.stop_writes_on_bgsave_err && !server.saveparams.is_empty() && server.lastbgsave_status.is_err()
}

/// The persistence part of prepareForShutdown(): kill a saving child, save
/// the final RDB. (no C twin: inline in prepareForShutdown)
pub fn shutdown_persistence(_server: &mut RedisServer, _flags: i32) -> CResult {
    Ok(())
}

/// Function called at startup to load RDB or AOF file in memory.
///
/// C: server.c loadDataFromDisk()
pub fn load_data_from_disk(_server: &mut RedisServer) {}
