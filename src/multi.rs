//! MULTI/EXEC/DISCARD/WATCH: commands queued after MULTI run as one block
//! at EXEC, and WATCH gives optimistic locking (check-and-set): EXEC
//! refuses to run if a watched key was modified since the WATCH.
//!
//! Ports multi.c from Redis 5.0.14, in the same order.
//!
//! Read this first: C's per-DB `watched_keys` dict maps a key to a list of
//! client pointers; here it maps the key to client ids. Touching a key sets
//! CLIENT_DIRTY_CAS on the watching clients through `server.clients`, but
//! the client running the current command is lent out of that table (see
//! `networking::client_table`) and may well be one of them (`WATCH x` then
//! `SET x` from the same connection). Its "running" slot then takes the
//! flag, which is set before its next command runs, so EXEC, DISCARD and
//! UNWATCH find it as in C.

use crate::networking::{
    add_reply, add_reply_error, add_reply_multi_bulk_len, Effect, Lookup,
};
use crate::server::*;
use crate::shared::{EXECABORTERR, NULLMULTIBULK, OK};

// ================================ MULTI/EXEC ================================

/// Client state initialization for MULTI/EXEC
///
/// C: multi.c initClientMultiState()
pub(crate) fn init_client_multi_state(c: &mut Client) {
    c.mstate.commands = Vec::new();
    c.mstate.cmd_flags = 0;
}

/// Release all the resources associated with MULTI/EXEC state
///
/// C: multi.c freeClientMultiState()
pub(crate) fn free_client_multi_state(c: &mut Client) {
    // The queued argv vectors are owned by the queue and drop with it.
    c.mstate.commands.clear();
}

/// Add a new command into the MULTI commands queue
///
/// C: multi.c queueMultiCommand()
pub(crate) fn queue_multi_command(server: &RedisServer, c: &mut Client) {
    let cmd = c.cmd.unwrap_or(0);
    // Divergence from C: C copies the argv pointers and takes a reference
    // on each argument; here the queue takes the argv vector itself. Nobody
    // reads c.argv after queueing (processCommand only replies +QUEUED and
    // the client is then reset), so moving it is enough.
    let argv = std::mem::take(&mut c.argv);
    c.mstate.commands.push(MultiCmd { argv, cmd });
    c.mstate.cmd_flags |= server.commands[cmd].flags;
}

/// Leaves the MULTI state: drops the queued commands, clears the MULTI and
/// dirty flags and unwatches every key.
///
/// C: multi.c discardTransaction()
pub(crate) fn discard_transaction(server: &mut RedisServer, c: &mut Client) {
    free_client_multi_state(c);
    init_client_multi_state(c);
    c.flags &= !(CLIENT_MULTI | CLIENT_DIRTY_CAS | CLIENT_DIRTY_EXEC);
    unwatch_all_keys(server, c);
}

/// Flag the transacation as DIRTY_EXEC so that EXEC will fail. Should be
/// called every time there is an error while queueing a command.
///
/// C: multi.c flagTransaction()
pub(crate) fn flag_transaction(c: &mut Client) {
    if c.flags & CLIENT_MULTI != 0 {
        c.flags |= CLIENT_DIRTY_EXEC;
    }
}

/// MULTI: enters the transaction state; later commands are queued.
///
/// C: multi.c multiCommand()
pub(crate) fn multi_command(_server: &mut RedisServer, c: &mut Client) {
    if c.flags & CLIENT_MULTI != 0 {
        add_reply_error(c, "MULTI calls can not be nested");
        return;
    }
    c.flags |= CLIENT_MULTI;
    add_reply(c, OK);
}

/// DISCARD: drops the queued commands and leaves the MULTI state.
///
/// C: multi.c discardCommand()
pub(crate) fn discard_command(server: &mut RedisServer, c: &mut Client) {
    if c.flags & CLIENT_MULTI == 0 {
        add_reply_error(c, "DISCARD without MULTI");
        return;
    }
    discard_transaction(server, c);
    add_reply(c, OK);
}

/// Send a MULTI command to all the slaves and AOF file. Check the
/// execCommand implementation for more information.
///
/// C: multi.c execCommandPropagateMulti()
pub(crate) fn exec_command_propagate_multi(
    server: &mut RedisServer,
    c: &mut Client,
) {
    let multistring = [b"MULTI".to_vec()];
    propagate(
        server,
        server.multi_command,
        c.db,
        &multistring,
        PROPAGATE_AOF | PROPAGATE_REPL,
    );
}

/// EXEC: runs the queued commands one after the other through `call()`,
/// replying with one multi bulk holding each command's reply. It fails
/// with a null multi bulk if a watched key was touched, and with
/// -EXECABORT if a command could not be queued.
///
/// The block reaches the replicas (and the AOF) as MULTI, the write
/// commands, EXEC: MULTI is propagated before the first command that is
/// neither read-only nor administrative, and EXEC by `call()` itself once
/// this function returns, because it bumps `server.dirty`.
///
/// C: multi.c execCommand()
pub(crate) fn exec_command(server: &mut RedisServer, c: &mut Client) {
    let mut must_propagate = false; // Need to propagate MULTI/EXEC to AOF / slaves?
    let was_master = server.masterhost.is_none();

    if c.flags & CLIENT_MULTI == 0 {
        add_reply_error(c, "EXEC without MULTI");
        return;
    }

    // Check if we need to abort the EXEC because:
    // 1) Some WATCHed key was touched.
    // 2) There was a previous error while queueing commands.
    // A failed EXEC in the first case returns a multi bulk nil object
    // (technically it is not an error but a special behavior), while in
    // the second an EXECABORT error is returned.
    if c.flags & (CLIENT_DIRTY_CAS | CLIENT_DIRTY_EXEC) != 0 {
        add_reply(
            c,
            if c.flags & CLIENT_DIRTY_EXEC != 0 {
                EXECABORTERR
            } else {
                NULLMULTIBULK
            },
        );
        discard_transaction(server, c);
        exec_handle_monitor(server, c);
        return;
    }

    // If there are write commands inside the transaction, and this is a
    // read only slave, we want to send an error. This happens when the
    // transaction was initiated when the instance was a master or a
    // writable replica and then the configuration changed (for example
    // instance was turned into a replica).
    if !server.loading
        && server.masterhost.is_some()
        && server.repl_slave_ro
        && c.flags & CLIENT_MASTER == 0
        && c.mstate.cmd_flags & CMD_WRITE != 0
    {
        add_reply_error(c, "Transaction contains write commands but instance is now a read-only slave. EXEC aborted.");
        discard_transaction(server, c);
        exec_handle_monitor(server, c);
        return;
    }

    // Exec all the queued commands
    unwatch_all_keys(server, c); // Unwatch ASAP otherwise we'll waste CPU cycles
    let orig_argv = std::mem::take(&mut c.argv);
    let orig_cmd = c.cmd;
    add_reply_multi_bulk_len(c, c.mstate.commands.len() as i64);
    let mut j = 0;
    // The queue stays in place while it runs (CLIENT LIST inside the
    // transaction reports its length as C does); each command's argv is
    // moved into c.argv for its call and back afterwards.
    while j < c.mstate.commands.len() {
        c.argv = std::mem::take(&mut c.mstate.commands[j].argv);
        let cmd = c.mstate.commands[j].cmd;
        c.cmd = Some(cmd);

        // Propagate a MULTI request once we encounter the first command
        // which is not readonly nor an administrative one. This way we'll
        // deliver the MULTI/..../EXEC block as a whole and both the AOF and
        // the replication link will have the same consistency and
        // atomicity guarantees.
        if !must_propagate
            && server.commands[cmd].flags & (CMD_READONLY | CMD_ADMIN) == 0
        {
            exec_command_propagate_multi(server, c);
            must_propagate = true;
        }

        call(
            server,
            c,
            if server.loading { CMD_CALL_NONE } else { CMD_CALL_FULL },
        );

        // Commands may alter argc/argv, restore mstate.
        if let Some(mc) = c.mstate.commands.get_mut(j) {
            mc.argv = std::mem::take(&mut c.argv);
            mc.cmd = c.cmd.unwrap_or(cmd);
        }
        j += 1;
    }
    c.argv = orig_argv;
    c.cmd = orig_cmd;
    discard_transaction(server, c);

    // Make sure the EXEC command will be propagated as well if MULTI was
    // already propagated.
    if must_propagate {
        let is_master = server.masterhost.is_none();
        server.dirty += 1;
        // If inside the MULTI/EXEC block this instance was suddenly
        // switched from master to slave (using the SLAVEOF command), the
        // initial MULTI was propagated into the replication backlog, but
        // the rest was not. We need to make sure to at least terminate the
        // backlog with the final EXEC.
        if server.repl_backlog.is_some() && was_master && !is_master {
            crate::replication::feed_replication_backlog(
                server,
                b"*1\r\n$4\r\nEXEC\r\n",
            );
        }
    }

    exec_handle_monitor(server, c);
}

/// The `handle_monitor:` label of execCommand(): send EXEC to clients
/// waiting data from MONITOR. We do it here since the natural order of
/// commands execution is actually: MULTI, EXEC, ... commands inside
/// transaction ... Instead EXEC is flagged as CMD_SKIP_MONITOR in the
/// command table, and we do it here with correct ordering.
///
/// C: multi.c execCommand() (the handle_monitor label)
fn exec_handle_monitor(server: &mut RedisServer, c: &mut Client) {
    if !server.monitors.is_empty() && !server.loading {
        let argv = std::mem::take(&mut c.argv);
        crate::replication::replication_feed_monitors(server, c, c.db, &argv);
        c.argv = argv;
    }
}

// ================== WATCH (CAS alike for MULTI/EXEC) ==================
//
// The implementation uses a per-DB hash table mapping keys to list of
// clients WATCHing those keys, so that given a key that is going to be
// modified we can mark all the associated clients as dirty.
//
// Also every client contains a list of WATCHed keys so that's possible to
// un-watch such keys when the client is freed or when UNWATCH is called.
//
// C's watchedKey struct (key plus db pointer) is the (db index, key) pair
// of `Client::watched_keys`.

/// Watch for the specified key
///
/// C: multi.c watchForKey()
pub(crate) fn watch_for_key(
    server: &mut RedisServer,
    c: &mut Client,
    key: &[u8],
) {
    // Check if we are already watching for this key
    if c.watched_keys.iter().any(|(db, k)| *db == c.db && k.as_slice() == key) {
        return; // Key already watched
    }
    // This key is not already watched in this DB. Let's add it
    let clients = server.db[c.db].watched_keys.entry(key.into()).or_default();
    clients.push(c.id);
    // Add the new key to the list of keys watched by this client
    c.watched_keys.push((c.db, key.to_vec()));
}

/// Unwatch all the keys watched by this client. To clean the EXEC dirty
/// flag is up to the caller.
///
/// C: multi.c unwatchAllKeys()
pub(crate) fn unwatch_all_keys(server: &mut RedisServer, c: &mut Client) {
    if c.watched_keys.is_empty() {
        return;
    }
    for (dbid, key) in std::mem::take(&mut c.watched_keys) {
        // Lookup the watched key -> clients list and remove the client from
        // the list
        let wkeys = &mut server.db[dbid].watched_keys;
        let Some(clients) = wkeys.get_mut(key.as_slice()) else {
            crate::server_panic!(
                server,
                "unwatch_all_keys: watched key has no clients list"
            );
        };
        if let Some(pos) = clients.iter().position(|id| *id == c.id) {
            clients.remove(pos);
        }
        // Kill the entry at all if this was the only client
        if clients.is_empty() {
            wkeys.remove(key.as_slice());
        }
    }
}

/// Sets CLIENT_DIRTY_CAS on client `id`, which may be running (the
/// command that touched the key): then its slot takes the flag. (no C
/// twin: C sets `c->flags` through the pointer in the watched_keys list)
fn mark_dirty_cas(server: &mut RedisServer, id: ClientId) {
    match server.clients.get_mut(&id) {
        Lookup::Here(c) => c.flags |= CLIENT_DIRTY_CAS,
        Lookup::Running(mut slot) => {
            slot.defer(Effect::Flags(CLIENT_DIRTY_CAS))
        }
        Lookup::Gone => {}
    }
}

/// "Touch" a key, so that if this key is being WATCHed by some client the
/// next EXEC will fail.
///
/// C: multi.c touchWatchedKey()
pub(crate) fn touch_watched_key(
    server: &mut RedisServer,
    dbid: usize,
    key: &[u8],
) {
    if server.db[dbid].watched_keys.is_empty() {
        return;
    }
    let Some(clients) = server.db[dbid].watched_keys.get(key) else { return };

    // Mark all the clients watching this key as CLIENT_DIRTY_CAS. The id
    // list is copied out: marking needs the whole server.
    let clients = clients.clone();
    for id in clients {
        mark_dirty_cas(server, id);
    }
}

/// On FLUSHDB or FLUSHALL all the watched keys that are present before the
/// flush but will be deleted as effect of the flushing operation should be
/// touched. "dbid" is the DB that's getting the flush. -1 if it is a
/// FLUSHALL operation (all the DBs flushed).
///
/// C: multi.c touchWatchedKeysOnFlush()
pub(crate) fn touch_watched_keys_on_flush(server: &mut RedisServer, dbid: i32) {
    // Divergence from C: C walks every client's list of watched keys; the
    // client running FLUSHDB is lent out of server.clients, so this walks
    // the per-DB watched_keys maps instead, which hold the same (key,
    // client) pairs. The clients marked are the same.
    let mut dirty = Vec::new();
    for db in server.db.iter() {
        // For every watched key matching the specified DB, if the key
        // exists, mark the client as dirty, as the key will be removed.
        if dbid != -1 && db.id != dbid {
            continue;
        }
        for (key, clients) in db.watched_keys.iter() {
            if db.dict.find(key).is_some() {
                dirty.extend_from_slice(clients);
            }
        }
    }
    for id in dirty {
        mark_dirty_cas(server, id);
    }
}

/// WATCH key [key ...]
///
/// C: multi.c watchCommand()
pub(crate) fn watch_command(server: &mut RedisServer, c: &mut Client) {
    if c.flags & CLIENT_MULTI != 0 {
        add_reply_error(c, "WATCH inside MULTI is not allowed");
        return;
    }
    let argv = std::mem::take(&mut c.argv);
    for key in &argv[1..] {
        watch_for_key(server, c, key);
    }
    c.argv = argv;
    add_reply(c, OK);
}

/// UNWATCH
///
/// C: multi.c unwatchCommand()
pub(crate) fn unwatch_command(server: &mut RedisServer, c: &mut Client) {
    unwatch_all_keys(server, c);
    c.flags &= !CLIENT_DIRTY_CAS;
    add_reply(c, OK);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::RedisDb;
    use crate::networking::{apply_deferred, create_client};

    fn dirty_cas() -> Effect {
        Effect::Flags(CLIENT_DIRTY_CAS)
    }

    fn flags(server: &RedisServer, id: ClientId) -> u64 {
        server.clients.get(&id).expect("client in table").flags
    }

    /// A server with its databases and two fake clients: `a` stays in
    /// `server.clients`, `b` is lent out, as the client running a
    /// command is.
    fn setup() -> (RedisServer, ClientId, Box<Client>) {
        let mut server = init_server_config();
        server.db = (0..server.dbnum).map(RedisDb::new).collect();
        let a = create_client(&mut server, None).expect("fake client");
        let b = create_client(&mut server, None).expect("fake client");
        let cb = server.clients.lend(&b).expect("client in table");
        (server, a, cb)
    }

    fn watch(server: &mut RedisServer, id: ClientId, key: &[u8]) {
        let mut c = server.clients.lend(&id).expect("client in table");
        watch_for_key(server, &mut c, key);
        server.clients.give_back(c);
    }

    #[test]
    fn touch_watched_key_flags_present_and_running_watchers() {
        let (mut server, a, mut b) = setup();
        watch(&mut server, a, b"k");
        watch_for_key(&mut server, &mut b, b"k");
        watch_for_key(&mut server, &mut b, b"k"); // already watched: no-op
        assert_eq!(server.db[0].watched_keys[&b"k"[..]], vec![a, b.id]);
        assert_eq!(b.watched_keys.len(), 1);

        touch_watched_key(&mut server, 0, b"other");
        touch_watched_key(&mut server, 1, b"k");
        assert_eq!(flags(&server, a) & CLIENT_DIRTY_CAS, 0);
        assert!(server.clients.take_effects(&b.id).is_empty());

        touch_watched_key(&mut server, 0, b"k");
        assert_ne!(flags(&server, a) & CLIENT_DIRTY_CAS, 0);
        // b is running: its flag waits in its slot until applied.
        assert_eq!(b.flags & CLIENT_DIRTY_CAS, 0);
        apply_deferred(&mut server, &mut b);
        assert_ne!(b.flags & CLIENT_DIRTY_CAS, 0);
        assert!(server.clients.take_effects(&b.id).is_empty());

        // unwatch_all_keys removes b from the key's list (clearing the
        // flag is the caller's business).
        unwatch_all_keys(&mut server, &mut b);
        assert_ne!(b.flags & CLIENT_DIRTY_CAS, 0);
        assert!(b.watched_keys.is_empty());
        assert_eq!(server.db[0].watched_keys[&b"k"[..]], vec![a]);
    }

    #[test]
    fn unwatch_all_keys_drops_empty_key_entries() {
        let (mut server, _a, mut b) = setup();
        watch_for_key(&mut server, &mut b, b"x");
        b.db = 3;
        watch_for_key(&mut server, &mut b, b"x");
        assert_eq!(
            b.watched_keys,
            vec![(0, b"x".to_vec()), (3, b"x".to_vec())]
        );
        unwatch_all_keys(&mut server, &mut b);
        assert!(server.db[0].watched_keys.is_empty());
        assert!(server.db[3].watched_keys.is_empty());
    }

    #[test]
    fn touch_watched_keys_on_flush_marks_only_existing_keys_of_the_db() {
        let (mut server, a, mut b) = setup();
        let v = || crate::object::create_string_object(0, b"v".to_vec());
        crate::db::set_key(&mut server, 0, b"present", v());
        crate::db::set_key(&mut server, 5, b"elsewhere", v());
        watch(&mut server, a, b"missing");
        watch_for_key(&mut server, &mut b, b"present");

        touch_watched_keys_on_flush(&mut server, 5);
        assert!(server.clients.take_effects(&b.id).is_empty());
        touch_watched_keys_on_flush(&mut server, 0);
        assert_eq!(server.clients.take_effects(&b.id), [dirty_cas()]);
        assert_eq!(flags(&server, a) & CLIENT_DIRTY_CAS, 0);

        touch_watched_keys_on_flush(&mut server, -1);
        assert_eq!(server.clients.take_effects(&b.id), [dirty_cas()]);
        assert_eq!(flags(&server, a) & CLIENT_DIRTY_CAS, 0);
    }
}
