//! The keyspace: sixteen databases, each a dict of keys to values plus a
//! dict of keys to expire times, and the lookups every command goes
//! through (they expire keys lazily and count hits and misses).
//!
//! Ports db.c from Redis 5.0.14, in the same order: first the low level
//! key space API, then the generic commands (DEL, EXISTS, SELECT, KEYS,
//! SCAN, RENAME, MOVE, SWAPDB, ...) and the expire API.
//!
//! Read this first: C shares the key sds between `dict` and `expires`;
//! here each dict owns its copy of the key.

use crate::dict::Dict;
use crate::networking::{
    add_deferred_multi_bulk_length, add_reply, add_reply_bulk,
    add_reply_bulk_long_long, add_reply_error, add_reply_long_long,
    add_reply_multi_bulk_len, add_reply_status, set_deferred_multi_bulk_length,
};
use crate::notify::notify_keyspace_event;
use crate::object::{
    create_object, get_long_long_from_object_or_reply, is_c_space, string2ll,
    RObj, Value, OBJ_ENCODING_RAW, OBJ_HASH, OBJ_LIST, OBJ_SET, OBJ_STREAM,
    OBJ_STRING, OBJ_ZSET,
};
use crate::sds::Sds;
use crate::server::*;
use crate::shared::{
    CONE, CZERO, NOKEYERR, NULLBULK, OK, OUTOFRANGEERR, SAMEOBJECTERR,
    SYNTAXERR,
};
use crate::t_string::{UNIT_MILLISECONDS, UNIT_SECONDS};
use crate::util::{stringmatchlen, strtoul};

/// Keys are byte strings; short ones sit inside their dict entry (see
/// sds.rs).
pub(crate) type Key = crate::sds::Sds;

/// Redis database representation. There are multiple databases identified
/// by integers from 0 (the default database) up to the max configured
/// database. The database number is the 'id' field in the structure.
///
/// C: struct redisDb
pub struct RedisDb {
    /// The keyspace for this DB
    pub(crate) dict: Dict<Key, RObj>,
    /// Timeout of keys with a timeout set
    pub(crate) expires: Dict<Key, i64>,
    /// WATCHED keys for MULTI/EXEC CAS: key -> ids of the clients
    /// watching it (C: dict of lists of client pointers).
    pub(crate) watched_keys: std::collections::HashMap<Key, Vec<ClientId>>,
    /// Database ID
    pub(crate) id: i32,
    /// Average TTL, just for stats
    pub(crate) avg_ttl: i64,
    /// Keys with clients waiting for data (BLPOP), each with the ids of
    /// those clients in the order they blocked.
    pub(crate) blocking_keys: std::collections::HashMap<
        Vec<u8>,
        std::collections::VecDeque<ClientId>,
    >,
    /// Blocked keys that received a PUSH
    pub(crate) ready_keys: std::collections::HashSet<Vec<u8>>,
}

impl RedisDb {
    pub fn new(id: i32) -> RedisDb {
        RedisDb {
            dict: Dict::new(),
            expires: Dict::new(),
            watched_keys: Default::default(),
            id,
            avg_ttl: 0,
            blocking_keys: Default::default(),
            ready_keys: Default::default(),
        }
    }
}

/// Lookup flags.
pub(crate) const LOOKUP_NONE: i32 = 0;
pub(crate) const LOOKUP_NOTOUCH: i32 = 1 << 0;

/// emptyDb() flags (server.h).
pub(crate) const EMPTYDB_NO_FLAGS: i32 = 0; // No flags.
pub(crate) const EMPTYDB_ASYNC: i32 = 1 << 0; // Reclaim memory in another thread.

// -----------------------------------------------------------------------------
// C-level DB API
// -----------------------------------------------------------------------------

/// Update LFU when an object is accessed. Firstly, decrement the counter
/// if the decrement time is reached. Then logarithmically increment the
/// counter, and update the access time. Returns the new `lru` field: C
/// stores it in `val->lru`; here the caller does, as `val` is borrowed
/// from the keyspace while the server is read.
///
/// C: db.c updateLFU()
pub(crate) fn update_lfu(server: &RedisServer, val: &RObj) -> u32 {
    let counter = crate::evict::lfu_decr_and_return(server, val);
    let counter = crate::evict::lfu_log_incr(server, counter as u8);
    ((crate::evict::lfu_get_time_in_minutes(server) << 8) as u32)
        | counter as u32
}

/// The access time a lookup that touches the key gives its value: LFU
/// counts it (a second hash lookup, see `update_lfu`), LRU stamps the
/// clock. `None` when the key is missing. (no C twin: the touch branch of
/// lookupKey())
#[inline]
fn touched_lru(server: &RedisServer, dbid: usize, key: &[u8]) -> Option<u32> {
    if server.maxmemory_policy & MAXMEMORY_FLAG_LFU != 0 {
        let val = server.db[dbid].dict.find(key)?.val();
        Some(update_lfu(server, val))
    } else {
        Some(crate::evict::lru_clock(server))
    }
}

/// Low level key lookup API, not actually called directly from commands
/// implementations that should instead rely on lookupKeyRead(),
/// lookupKeyWrite() and lookupKeyReadWithFlags().
///
/// C: db.c lookupKey()
pub(crate) fn lookup_key<'a>(
    server: &'a mut RedisServer,
    dbid: usize,
    key: &[u8],
    flags: i32,
) -> Option<&'a mut RObj> {
    // Update the access time for the ageing algorithm. Don't do it if we
    // have a saving child, as this will trigger a copy on write madness.
    let touch = server.rdb_child_pid == -1
        && server.aof_child_pid == -1
        && flags & LOOKUP_NOTOUCH == 0;
    let lru = if touch { touched_lru(server, dbid, key) } else { None };
    let val = server.db[dbid].dict.find_mut(key)?;
    if let Some(lru) = lru {
        val.lru = lru;
    }
    Some(val)
}

/// Lookup a key for read operations, or return `None` if the key is not
/// found in the specified DB. As a side effect: the key is expired if its
/// TTL is reached, its last access time is updated, and the global
/// keys hits/misses stats are updated.
///
/// C: db.c lookupKeyReadWithFlags()
pub(crate) fn lookup_key_read_with_flags<'a>(
    server: &'a mut RedisServer,
    dbid: usize,
    key: &[u8],
    flags: i32,
    c: Option<&Client>,
) -> Option<&'a mut RObj> {
    if expire_if_needed(server, dbid, key) {
        // Key expired. If we are in the context of a master, expireIfNeeded()
        // returns 0 only when the key does not exist at all, so it's safe to
        // return NULL ASAP.
        if server.masterhost.is_none() {
            server.stat_keyspace_misses += 1;
            return None;
        }
        // However if we are in the context of a slave, expireIfNeeded() will
        // not really try to expire the key, it only returns information about
        // the "logical" status of the key: key expiring is up to the master
        // in order to have a consistent view of master's data set.
        //
        // However, if the command caller is not the master, and as
        // additional safety measure, the command invoked is a read-only
        // command, we can safely return NULL here, and provide a more
        // consistent behavior to clients accessign expired values in a
        // read-only fashion, that will say the key as non existing.
        if let Some(c) = c {
            if c.flags & CLIENT_MASTER == 0
                && c.cmd.is_some_and(|i| {
                    server.commands[i].flags & CMD_READONLY != 0
                })
            {
                server.stat_keyspace_misses += 1;
                return None;
            }
        }
    }
    // lookupKey() inlined, so the key is hashed once: the stats and the
    // dict are disjoint fields of the server.
    let touch = server.rdb_child_pid == -1
        && server.aof_child_pid == -1
        && flags & LOOKUP_NOTOUCH == 0;
    let lru = if touch { touched_lru(server, dbid, key) } else { None };
    match server.db[dbid].dict.find_mut(key) {
        None => {
            server.stat_keyspace_misses += 1;
            None
        }
        Some(val) => {
            server.stat_keyspace_hits += 1;
            if let Some(lru) = lru {
                val.lru = lru;
            }
            Some(val)
        }
    }
}

/// Like lookupKeyReadWithFlags(), but does not use any flag, which is the
/// common case.
///
/// C: db.c lookupKeyRead()
pub(crate) fn lookup_key_read<'a>(
    server: &'a mut RedisServer,
    c: &Client,
    key: &[u8],
) -> Option<&'a mut RObj> {
    lookup_key_read_with_flags(server, c.db, key, LOOKUP_NONE, Some(c))
}

/// Lookup a key for write operations, and as a side effect, if needed,
/// expires the key if its TTL is reached.
///
/// C: db.c lookupKeyWrite()
pub(crate) fn lookup_key_write<'a>(
    server: &'a mut RedisServer,
    dbid: usize,
    key: &[u8],
) -> Option<&'a mut RObj> {
    expire_if_needed(server, dbid, key);
    lookup_key(server, dbid, key, LOOKUP_NONE)
}

/// C: db.c lookupKeyReadOrReply()
pub(crate) fn lookup_key_read_or_reply<'a>(
    server: &'a mut RedisServer,
    c: &mut Client,
    key: &[u8],
    reply: &[u8],
) -> Option<&'a mut RObj> {
    let found = lookup_key_read(server, c, key).is_some();
    if !found {
        crate::networking::add_reply(c, reply);
        return None;
    }
    lookup_key(server, c.db, key, LOOKUP_NOTOUCH)
}

/// C: db.c lookupKeyWriteOrReply()
pub(crate) fn lookup_key_write_or_reply<'a>(
    server: &'a mut RedisServer,
    c: &mut Client,
    key: &[u8],
    reply: &[u8],
) -> Option<&'a mut RObj> {
    let found = lookup_key_write(server, c.db, key).is_some();
    if !found {
        crate::networking::add_reply(c, reply);
        return None;
    }
    lookup_key(server, c.db, key, LOOKUP_NOTOUCH)
}

/// Add the key to the DB. It's up to the caller to increment the reference
/// counter of the value if needed. The program is aborted if the key
/// already exists.
///
/// C: db.c dbAdd()
pub(crate) fn db_add(
    server: &mut RedisServer,
    dbid: usize,
    key: &[u8],
    val: RObj,
) {
    let t = val.obj_type();
    let r = server.db[dbid].dict.dict_add(key.into(), val);
    if r.is_err() {
        crate::server_panic!(server, "dbAdd: key already exists");
    }
    if t == crate::object::OBJ_LIST || t == crate::object::OBJ_ZSET {
        crate::blocked::signal_key_as_ready(server, dbid, key);
    }
}

/// Overwrite an existing key with a new value. Incrementing the reference
/// count of the new value is up to the caller. This function does not
/// modify the expire time of the existing key. The program is aborted if
/// the key was not already present.
///
/// C: db.c dbOverwrite()
pub(crate) fn db_overwrite(
    server: &mut RedisServer,
    dbid: usize,
    key: &[u8],
    val: RObj,
) {
    let old = match server.db[dbid].dict.find_mut(key) {
        Some(old) => std::mem::replace(old, val),
        None => crate::server_panic!(server, "dbOverwrite: key does not exist"),
    };
    if server.lazyfree_lazy_server_del {
        crate::lazyfree::free_obj_async(old);
    }
    // else: C's dictFreeVal(); `old` drops here.
}

/// High level Set operation. This function can be used in order to set a
/// key, whatever it was existing or not, to a new object.
///
/// 1) The ref count of the value object is incremented.
/// 2) clients WATCHing for the destination key notified.
/// 3) The expire time of the key is reset (the key is made persistent).
///
/// All the new keys in the database should be created via this interface.
///
/// C: db.c setKey()
pub(crate) fn set_key(
    server: &mut RedisServer,
    dbid: usize,
    key: &[u8],
    val: RObj,
) {
    if lookup_key_write(server, dbid, key).is_none() {
        db_add(server, dbid, key, val);
    } else {
        db_overwrite(server, dbid, key, val);
    }
    remove_expire(server, dbid, key);
    signal_modified_key(server, dbid, key);
}

/// C: db.c dbExists()
#[cfg(test)] // only the unit tests call it
pub(crate) fn db_exists(server: &RedisServer, dbid: usize, key: &[u8]) -> bool {
    server.db[dbid].dict.find(key).is_some()
}

/// Return a random key, in form of a Redis object. If there are no keys,
/// `None` is returned. The function makes sure to return keys not already
/// expired.
///
/// C: db.c dbRandomKey()
pub(crate) fn db_random_key(
    server: &mut RedisServer,
    dbid: usize,
) -> Option<Vec<u8>> {
    let mut maxtries = 100;
    let allvolatile =
        server.db[dbid].dict.dict_size() == server.db[dbid].expires.dict_size();
    loop {
        let key = server.db[dbid].dict.dict_get_random_key()?.key().to_vec();
        if server.db[dbid].expires.find(&key).is_some() {
            if allvolatile && server.masterhost.is_some() {
                maxtries -= 1;
                if maxtries == 0 {
                    // If the DB is composed only of keys with an expire set,
                    // it could happen that all the keys are already
                    // logically expired in the slave, so the function cannot
                    // stop because expireIfNeeded() is false, nor it can
                    // stop because dictGetRandomKey() returns NULL (there
                    // are keys to return). To prevent the infinite loop we
                    // do some tries, but if there are the conditions for an
                    // infinite loop, eventually we return a key name that
                    // may be already expired.
                    return Some(key);
                }
            }
            if expire_if_needed(server, dbid, &key) {
                continue; // search for another key. This expired.
            }
        }
        return Some(key);
    }
}

/// Delete a key, value, and associated expiration entry if any, from the
/// DB
///
/// C: db.c dbSyncDelete()
pub(crate) fn db_sync_delete(
    server: &mut RedisServer,
    dbid: usize,
    key: &[u8],
) -> bool {
    // Deleting an entry from the expires dict will not free the sds of the
    // key, because it is shared with the main dictionary.
    let db = &mut server.db[dbid];
    if db.expires.dict_size() > 0 {
        db.expires.dict_delete(key);
    }
    db.dict.dict_delete(key)
}

/// This is a wrapper whose behavior depends on the Redis lazy free
/// configuration. Deletes the key synchronously or asynchronously.
///
/// C: db.c dbDelete()
pub(crate) fn db_delete(
    server: &mut RedisServer,
    dbid: usize,
    key: &[u8],
) -> bool {
    if server.lazyfree_lazy_server_del {
        crate::lazyfree::db_async_delete(&mut server.db[dbid], key)
    } else {
        db_sync_delete(server, dbid, key)
    }
}

/// Remove all keys from all the databases in a Redis server (or just one,
/// `dbnum`, when not -1). Returns the number of keys removed.
///
/// C: db.c emptyDb()
pub(crate) fn empty_db(
    server: &mut RedisServer,
    dbnum: i32,
    flags: i32,
    mut callback: Option<&mut dyn FnMut()>,
) -> i64 {
    if dbnum < -1 || dbnum >= server.dbnum {
        return -1;
    }
    let (startdb, enddb) =
        if dbnum == -1 { (0, server.dbnum - 1) } else { (dbnum, dbnum) };
    let is_async = flags & EMPTYDB_ASYNC != 0;
    let mut removed = 0i64;
    for j in startdb..=enddb {
        let db = &mut server.db[j as usize];
        removed += db.dict.dict_size() as i64;
        if is_async {
            crate::lazyfree::empty_db_async(db);
            db.avg_ttl = 0;
            continue;
        }
        match callback.as_deref_mut() {
            Some(cb) => {
                db.dict.dict_empty(Some(cb));
                db.expires.dict_empty(Some(cb));
            }
            None => {
                db.dict.dict_empty(None);
                db.expires.dict_empty(None);
            }
        }
        db.avg_ttl = 0;
    }
    if dbnum == -1 {
        crate::expire::flush_slave_keys_with_expire_list(server);
    }
    removed
}

/// C: db.c selectDb()
pub(crate) fn select_db(
    server: &RedisServer,
    c: &mut Client,
    id: i64,
) -> CResult {
    if id < 0 || id >= server.dbnum as i64 {
        return Err(CErr);
    }
    c.db = id as usize;
    Ok(())
}

// -----------------------------------------------------------------------------
// Hooks for key space changes.
//
// Every time a key in the database is modified the function
// signalModifiedKey() is called.
//
// Every time a DB is flushed the function signalFlushDb() is called.
// -----------------------------------------------------------------------------

/// C: db.c signalModifiedKey()
pub(crate) fn signal_modified_key(
    server: &mut RedisServer,
    dbid: usize,
    key: &[u8],
) {
    crate::multi::touch_watched_key(server, dbid, key);
}

/// C: db.c signalFlushedDb()
pub(crate) fn signal_flushed_db(server: &mut RedisServer, dbid: i32) {
    crate::multi::touch_watched_keys_on_flush(server, dbid);
}

// -----------------------------------------------------------------------------
// Type agnostic commands operating on the key space
// -----------------------------------------------------------------------------

/// Reads argument `i` as a long long, replying the standard error (or
/// `msg`) when it is not one; argv is left as it was. (no C twin: C passes
/// `c->argv[i]` to getLongLongFromObjectOrReply, which borrows both)
fn arg_long_long_or_reply(
    c: &mut Client,
    i: usize,
    msg: Option<&str>,
) -> Option<i64> {
    let arg = std::mem::take(&mut c.argv[i]);
    let r = get_long_long_from_object_or_reply(c, &arg, msg);
    c.argv[i] = arg;
    r
}

/// Moves the value of `key` out of the database, leaving an empty string
/// in its place until the caller deletes the key. C instead takes a second
/// reference (incrRefCount) so the value survives the dbDelete() of its
/// old name; here values have one owner, so it moves. Aborts if the key is
/// not there, as the callers looked it up first. (no C twin)
fn db_take_value(server: &mut RedisServer, dbid: usize, key: &[u8]) -> RObj {
    let placeholder =
        create_object(0, OBJ_ENCODING_RAW, Value::Str(Sds::new()));
    match server.db[dbid].dict.find_mut(key) {
        Some(o) => std::mem::replace(o, placeholder),
        None => {
            crate::server_panic!(server, "db_take_value: key does not exist")
        }
    }
}

/// Return the set of flags to use for the emptyDb() call for FLUSHALL and
/// FLUSHDB commands.
///
/// Currently the command just attempts to parse the "ASYNC" option. It
/// also checks if the command arity is wrong.
///
/// On success the flags are returned, otherwise the function sends an
/// error to the client and returns `Err`.
///
/// C: db.c getFlushCommandFlags()
pub(crate) fn get_flush_command_flags(c: &mut Client) -> CResult<i32> {
    // Parse the optional ASYNC option.
    if c.argv.len() > 1 {
        if c.argv.len() > 2 || !c.argv[1].eq_ignore_ascii_case(b"async") {
            add_reply(c, SYNTAXERR);
            return Err(CErr);
        }
        Ok(EMPTYDB_ASYNC)
    } else {
        Ok(EMPTYDB_NO_FLAGS)
    }
}

/// FLUSHDB [ASYNC]
///
/// Flushes the currently SELECTed Redis DB.
///
/// C: db.c flushdbCommand()
pub(crate) fn flushdb_command(server: &mut RedisServer, c: &mut Client) {
    let Ok(flags) = get_flush_command_flags(c) else { return };
    signal_flushed_db(server, c.db as i32);
    server.dirty += empty_db(server, c.db as i32, flags, None);
    add_reply(c, OK);
}

/// FLUSHALL [ASYNC]
///
/// Flushes the whole server data set.
///
/// C: db.c flushallCommand()
pub(crate) fn flushall_command(server: &mut RedisServer, c: &mut Client) {
    let Ok(flags) = get_flush_command_flags(c) else { return };
    signal_flushed_db(server, -1);
    server.dirty += empty_db(server, -1, flags, None);
    add_reply(c, OK);
    if server.rdb_child_pid != -1 {
        // A BGSAVE in progress would write the dataset we just dropped:
        // kill the child and remove its temp file.
        crate::rdb::kill_rdb_child(server);
    }
    if !server.saveparams.is_empty() {
        // Normally rdbSave() will reset dirty, but we don't want this here
        // as otherwise FLUSHALL will not be replicated nor put into the AOF.
        // C keeps the saved value in an int, hence the truncation.
        let saved_dirty = server.dirty as i32;
        let rsi = crate::networking::with_running_in_table(server, c, |s| {
            crate::rdb::rdb_populate_save_info(s)
        });
        let filename = server.rdb_filename.clone();
        let _ = crate::rdb::rdb_save(server, &filename, rsi.as_ref());
        server.dirty = saved_dirty as i64;
    }
    server.dirty += 1;
}

/// This command implements DEL and LAZYDEL (UNLINK).
///
/// C: db.c delGenericCommand()
pub(crate) fn del_generic_command(
    server: &mut RedisServer,
    c: &mut Client,
    lazy: bool,
) {
    let dbid = c.db;
    let mut numdel: i64 = 0;
    for key in &c.argv[1..] {
        expire_if_needed(server, dbid, key);
        let deleted = if lazy {
            crate::lazyfree::db_async_delete(&mut server.db[dbid], key)
        } else {
            db_sync_delete(server, dbid, key)
        };
        if deleted {
            signal_modified_key(server, dbid, key);
            notify_keyspace_event(
                server,
                NOTIFY_GENERIC,
                "del",
                key,
                dbid as i32,
            );
            server.dirty += 1;
            numdel += 1;
        }
    }
    add_reply_long_long(c, numdel);
}

/// C: db.c delCommand()
pub(crate) fn del_command(server: &mut RedisServer, c: &mut Client) {
    del_generic_command(server, c, false);
}

/// C: db.c unlinkCommand()
pub(crate) fn unlink_command(server: &mut RedisServer, c: &mut Client) {
    del_generic_command(server, c, true);
}

/// EXISTS key1 key2 ... key_N.
/// Return value is the number of keys existing (a key named twice counts
/// twice).
///
/// C: db.c existsCommand()
pub(crate) fn exists_command(server: &mut RedisServer, c: &mut Client) {
    let mut count: i64 = 0;
    for j in 1..c.argv.len() {
        if lookup_key_read(server, c, &c.argv[j]).is_some() {
            count += 1;
        }
    }
    add_reply_long_long(c, count);
}

/// SELECT index
///
/// C: db.c selectCommand()
pub(crate) fn select_command(server: &mut RedisServer, c: &mut Client) {
    let Some(id) = arg_long_long_or_reply(c, 1, Some("invalid DB index"))
    else {
        return;
    };

    // Divergence from C: there is no cluster mode, so no "SELECT is not
    // allowed in cluster mode" error.

    // selectDb() takes an int: C converts the long on the way, so an index
    // such as 4294967296 selects DB 0. Kept, as clients can observe it.
    if select_db(server, c, id as i32 as i64).is_err() {
        add_reply_error(c, "DB index is out of range");
    } else {
        add_reply(c, OK);
    }
}

/// RANDOMKEY
///
/// C: db.c randomkeyCommand()
pub(crate) fn randomkey_command(server: &mut RedisServer, c: &mut Client) {
    match db_random_key(server, c.db) {
        None => add_reply(c, NULLBULK),
        Some(key) => add_reply_bulk(c, &key),
    }
}

/// KEYS pattern. Walks the whole keyspace in one go; keys already
/// logically expired are skipped but not deleted (keyIsExpired, not
/// expireIfNeeded: the walk must not change the dict under it).
///
/// C: db.c keysCommand()
pub(crate) fn keys_command(server: &mut RedisServer, c: &mut Client) {
    let pattern = std::mem::take(&mut c.argv[1]);
    let dbid = c.db;
    let mut numkeys: i64 = 0;
    let replylen = add_deferred_multi_bulk_length(c);

    let allkeys = pattern.len() == 1 && pattern[0] == b'*';
    for de in server.db[dbid].dict.iter() {
        let key = de.key();
        if (allkeys || stringmatchlen(&pattern, key, false))
            && !key_is_expired(server, dbid, key)
        {
            add_reply_bulk(c, key);
            numkeys += 1;
        }
    }
    set_deferred_multi_bulk_length(c, replylen, numkeys);
    c.argv[1] = pattern;
}

/// What scanGenericCommand() walks: C's `o` argument, NULL for the
/// keyspace. The SCAN variants of the data types (SSCAN, HSCAN, ZSCAN)
/// pass what their value's encoding holds.
///
/// The elements are byte strings, as scanCallback() turns every element
/// into a string object; for hashes and sorted sets the list is flat:
/// field, value, field, value, ... (`pairs` is then true).
///
/// C's scanCallback() (the type switch that turns each dict entry into
/// list elements) becomes the `scan` closure that each caller builds for
/// its type, and the keyspace case below.
///
/// C: db.c scanCallback()
pub(crate) enum ScanObj<'a> {
    /// `o == NULL`: the key names of the client's database. The server
    /// comes along because keys found expired are deleted on the way.
    Keyspace(&'a mut RedisServer),
    /// A set, hash or sorted set encoded as a hash table. `scan` does one
    /// dictScan() step from the cursor, pushing what scanCallback() would
    /// (the element; for hashes the field and its value; for sorted sets
    /// the member and its score as createStringObjectFromLongDouble
    /// prints it), and returns the next cursor.
    Dict { scan: &'a mut dyn FnMut(u64, &mut Vec<Vec<u8>>) -> u64, pairs: bool },
    /// An intset or ziplist encoding: every element, all returned in one
    /// call with cursor 0 (such values are small by construction).
    Items { items: Vec<Vec<u8>>, pairs: bool },
}

/// Try to parse a SCAN cursor stored in `o`: if the cursor is valid,
/// return it as an unsigned integer. Otherwise send an error to the client
/// and return `Err`.
///
/// C uses strtoul() because it needs an *unsigned* long, which
/// getLongLongFromObject() does not cover; its quirks are kept: a leading
/// sign is accepted ("-1" is 2^64-1), the empty string is cursor 0, and the
/// argument ends at its first NUL byte.
///
/// C: db.c parseScanCursorOrReply()
pub(crate) fn parse_scan_cursor_or_reply(
    c: &mut Client,
    o: &[u8],
) -> CResult<u64> {
    // The C string: everything before the first NUL.
    let s = &o[..o.iter().position(|&b| b == 0).unwrap_or(o.len())];
    let r = strtoul(s, 10);
    if s.first().is_some_and(|&b| is_c_space(b))
        || r.consumed != s.len()
        || r.erange
    {
        add_reply_error(c, "invalid cursor");
        return Err(CErr);
    }
    Ok(r.value)
}

/// This command implements SCAN, HSCAN, SSCAN and ZSCAN. `o` says what to
/// walk (see `ScanObj`). When it is not the keyspace, the first argument
/// after the command name is a key, which is skipped before parsing the
/// options. For hashes and sorted sets the reply has both the field and
/// the value of every element.
///
/// C: db.c scanGenericCommand()
pub(crate) fn scan_generic_command(
    c: &mut Client,
    o: ScanObj<'_>,
    mut cursor: u64,
) {
    let mut keys: Vec<Vec<u8>> = Vec::new();
    let mut count: i64 = 10;
    let mut pat_idx: Option<usize> = None;
    let mut use_pattern = false;

    // Set i to the first option argument. The previous one is the cursor.
    let is_keyspace = matches!(o, ScanObj::Keyspace(_));
    let mut i = if is_keyspace { 2 } else { 3 }; // Skip the key argument if needed.

    // Step 1: Parse options.
    while i < c.argv.len() {
        let j = c.argv.len() - i;
        if c.argv[i].eq_ignore_ascii_case(b"count") && j >= 2 {
            let Some(n) = arg_long_long_or_reply(c, i + 1, None) else {
                return;
            };
            count = n;
            if count < 1 {
                add_reply(c, SYNTAXERR);
                return;
            }
            i += 2;
        } else if c.argv[i].eq_ignore_ascii_case(b"match") && j >= 2 {
            let pat = &c.argv[i + 1];
            // The pattern always matches if it is exactly "*", so it is
            // equivalent to disabling it.
            use_pattern = !(pat.len() == 1 && pat[0] == b'*');
            pat_idx = Some(i + 1);
            i += 2;
        } else {
            add_reply(c, SYNTAXERR);
            return;
        }
    }

    // Step 2: Iterate the collection.
    //
    // Note that if the object is encoded with a ziplist, intset, or any
    // other representation that is not a hash table, we are sure that it
    // is also composed of a small number of elements. So to avoid taking
    // state we just return everything inside the object in a single call,
    // setting the cursor to zero to signal the end of the iteration.

    // The dictScan() loop shared by the keyspace and the other hash tables.
    // We set the max number of iterations to ten times the specified COUNT,
    // so if the hash table is in a pathological state (very sparsely
    // populated) we avoid to block too much time at the cost of returning
    // no or very few elements. (C's long arithmetic wraps where a huge
    // COUNT overflows it; so does this.)
    let scan_ht = |step: &mut dyn FnMut(u64, &mut Vec<Vec<u8>>) -> u64,
                   keys: &mut Vec<Vec<u8>>,
                   mut cursor: u64,
                   count: i64| {
        let mut maxiterations = count.wrapping_mul(10);
        loop {
            cursor = step(cursor, keys);
            if cursor == 0 {
                break;
            }
            let m = maxiterations;
            maxiterations = maxiterations.wrapping_sub(1);
            if m == 0 || keys.len() as u64 >= count as u64 {
                break;
            }
        }
        cursor
    };

    let dbid = c.db;
    let (mut server, pairs) = match o {
        ScanObj::Keyspace(server) => {
            let dict = &server.db[dbid].dict;
            let mut step = |v: u64, out: &mut Vec<Vec<u8>>| {
                dict.dict_scan(v, |k, _| out.push(k.to_vec()))
            };
            cursor = scan_ht(&mut step, &mut keys, cursor, count);
            (Some(server), false)
        }
        ScanObj::Dict { scan, pairs } => {
            if pairs {
                count = count.wrapping_mul(2); // We return key / value for this type.
            }
            cursor = scan_ht(scan, &mut keys, cursor, count);
            (None, pairs)
        }
        ScanObj::Items { items, pairs } => {
            keys = items;
            cursor = 0;
            (None, pairs)
        }
    };

    // Step 3: Filter elements.
    let pat: &[u8] = pat_idx.map(|i| &c.argv[i][..]).unwrap_or(b"");
    let mut kept: Vec<Vec<u8>> = Vec::with_capacity(keys.len());
    let mut it = keys.into_iter();
    while let Some(kobj) = it.next() {
        let mut filter = false;

        // Filter element if it does not match the pattern.
        if use_pattern && !stringmatchlen(pat, &kobj, false) {
            filter = true;
        }

        // Filter element if it is an expired key.
        if let Some(server) = server.as_deref_mut() {
            if !filter && expire_if_needed(server, dbid, &kobj) {
                filter = true;
            }
        }

        // If this is a hash or a sorted set, we have a flat list of
        // key-value elements, so if this element was filtered, remove the
        // value, or skip it if it was not filtered: we only match keys.
        let val = if pairs { it.next() } else { None };
        if !filter {
            kept.push(kobj);
            kept.extend(val);
        }
    }

    // Step 4: Reply to the client. C's addReplyBulkLongLong takes a long
    // long, so the unsigned cursor goes out as signed.
    add_reply_multi_bulk_len(c, 2);
    add_reply_bulk_long_long(c, cursor as i64);

    add_reply_multi_bulk_len(c, kept.len() as i64);
    for kobj in &kept {
        add_reply_bulk(c, kobj);
    }
}

/// The SCAN command completely relies on scanGenericCommand.
///
/// C: db.c scanCommand()
pub(crate) fn scan_command(server: &mut RedisServer, c: &mut Client) {
    let arg = std::mem::take(&mut c.argv[1]);
    let cursor = parse_scan_cursor_or_reply(c, &arg);
    c.argv[1] = arg;
    let Ok(cursor) = cursor else { return };
    scan_generic_command(c, ScanObj::Keyspace(server), cursor);
}

/// DBSIZE: the number of keys of the selected DB, expired ones included.
///
/// C: db.c dbsizeCommand()
pub(crate) fn dbsize_command(server: &mut RedisServer, c: &mut Client) {
    add_reply_long_long(c, server.db[c.db].dict.dict_size() as i64);
}

/// LASTSAVE: the unix time of the last successful save.
///
/// C: db.c lastsaveCommand()
pub(crate) fn lastsave_command(server: &mut RedisServer, c: &mut Client) {
    add_reply_long_long(c, server.lastsave);
}

/// TYPE key
///
/// C: db.c typeCommand()
pub(crate) fn type_command(server: &mut RedisServer, c: &mut Client) {
    let t = lookup_key_read_with_flags(
        server,
        c.db,
        &c.argv[1],
        LOOKUP_NOTOUCH,
        Some(c),
    )
    .map(|o| o.obj_type());
    let type_ = match t {
        None => "none",
        Some(OBJ_STRING) => "string",
        Some(OBJ_LIST) => "list",
        Some(OBJ_SET) => "set",
        Some(OBJ_ZSET) => "zset",
        Some(OBJ_HASH) => "hash",
        Some(OBJ_STREAM) => "stream",
        // Module types have no port yet.
        Some(_) => "unknown",
    };
    add_reply_status(c, type_);
}

/// RENAME and RENAMENX. When source and destination are the same key,
/// nothing is done if the key exists (RENAME says OK, RENAMENX 0), but an
/// error is still returned for a missing key.
///
/// C: db.c renameGenericCommand()
pub(crate) fn rename_generic_command(
    server: &mut RedisServer,
    c: &mut Client,
    nx: bool,
) {
    let dbid = c.db;
    let key = std::mem::take(&mut c.argv[1]);
    let newkey = std::mem::take(&mut c.argv[2]);

    // When source and dest key is the same, no operation is performed, if
    // the key exists, however we still return an error on unexisting key.
    let samekey = key == newkey;

    'done: {
        if lookup_key_write_or_reply(server, c, &key, NOKEYERR).is_none() {
            break 'done;
        }

        if samekey {
            add_reply(c, if nx { CZERO } else { OK });
            break 'done;
        }

        let expire = get_expire(server, dbid, &key);
        if lookup_key_write(server, dbid, &newkey).is_some() {
            if nx {
                add_reply(c, CZERO);
                break 'done;
            }
            // Overwrite: delete the old key before creating the new one
            // with the same name.
            db_delete(server, dbid, &newkey);
        }
        let o = db_take_value(server, dbid, &key);
        db_add(server, dbid, &newkey, o);
        if expire != -1 {
            set_expire(server, Some(&*c), dbid, &newkey, expire);
        }
        db_delete(server, dbid, &key);
        signal_modified_key(server, dbid, &key);
        signal_modified_key(server, dbid, &newkey);
        notify_keyspace_event(
            server,
            NOTIFY_GENERIC,
            "rename_from",
            &key,
            dbid as i32,
        );
        notify_keyspace_event(
            server,
            NOTIFY_GENERIC,
            "rename_to",
            &newkey,
            dbid as i32,
        );
        server.dirty += 1;
        add_reply(c, if nx { CONE } else { OK });
    }
    c.argv[1] = key;
    c.argv[2] = newkey;
}

/// C: db.c renameCommand()
pub(crate) fn rename_command(server: &mut RedisServer, c: &mut Client) {
    rename_generic_command(server, c, false);
}

/// C: db.c renamenxCommand()
pub(crate) fn renamenx_command(server: &mut RedisServer, c: &mut Client) {
    rename_generic_command(server, c, true);
}

/// MOVE key db: moves a key, with its TTL, to another DB unless a key of
/// that name is already there. As in 5.0, neither keyspace events nor
/// WATCH invalidation are triggered.
///
/// C: db.c moveCommand()
pub(crate) fn move_command(server: &mut RedisServer, c: &mut Client) {
    // Divergence from C: there is no cluster mode, so no "MOVE is not
    // allowed in cluster mode" error.

    // Obtain source and target DB pointers
    let src = c.db;
    let srcid = c.db as i64;

    let dbid = string2ll(&c.argv[2]);
    let ok = match dbid {
        Some(id) if (i32::MIN as i64..=i32::MAX as i64).contains(&id) => {
            select_db(server, c, id).is_ok()
        }
        _ => false,
    };
    if !ok {
        add_reply(c, OUTOFRANGEERR);
        return;
    }
    let dst = c.db;
    let _ = select_db(server, c, srcid); // Back to the source DB

    // If the user is moving using as target the same DB as the source DB
    // it is probably an error.
    if src == dst {
        add_reply(c, SAMEOBJECTERR);
        return;
    }

    let key = std::mem::take(&mut c.argv[1]);
    'done: {
        // Check if the element exists and get a reference
        if lookup_key_write(server, src, &key).is_none() {
            add_reply(c, CZERO);
            break 'done;
        }
        let expire = get_expire(server, src, &key);

        // Return zero if the key already exists in the target DB
        if lookup_key_write(server, dst, &key).is_some() {
            add_reply(c, CZERO);
            break 'done;
        }
        let o = db_take_value(server, src, &key);
        db_add(server, dst, &key, o);
        if expire != -1 {
            set_expire(server, Some(&*c), dst, &key, expire);
        }

        // OK! key moved, free the entry in the source DB
        db_delete(server, src, &key);
        server.dirty += 1;
        add_reply(c, CONE);
    }
    c.argv[1] = key;
}

/// Helper function for dbSwapDatabases(): scans the list of keys that have
/// one or more blocked clients for B[LR]POP or other blocking commands and
/// signal the keys as ready if they are of the right type. See the comment
/// where the function is used for more info.
///
/// C: db.c scanDatabaseForReadyLists()
pub(crate) fn scan_database_for_ready_lists(
    server: &mut RedisServer,
    dbid: usize,
) {
    let keys: Vec<Vec<u8>> =
        server.db[dbid].blocking_keys.keys().cloned().collect();
    for key in keys {
        let t = lookup_key(server, dbid, &key, LOOKUP_NOTOUCH)
            .map(|o| o.obj_type());
        if t == Some(OBJ_LIST) || t == Some(OBJ_STREAM) || t == Some(OBJ_ZSET) {
            crate::blocked::signal_key_as_ready(server, dbid, &key);
        }
    }
}

/// Swap two databases at runtime so that all clients will magically see
/// the new database even if already connected. C must swap the contents of
/// the two `redisDb` structs rather than the structs, because clients
/// point at them; here clients hold an index, and the contents are swapped
/// likewise.
///
/// Returns `Err` if at least one of the DB ids are out of range.
///
/// C: db.c dbSwapDatabases()
pub(crate) fn db_swap_databases(
    server: &mut RedisServer,
    id1: i32,
    id2: i32,
) -> CResult {
    if id1 < 0 || id1 >= server.dbnum || id2 < 0 || id2 >= server.dbnum {
        return Err(CErr);
    }
    if id1 == id2 {
        return Ok(());
    }
    let (lo, hi) = (id1.min(id2) as usize, id1.max(id2) as usize);
    let (head, tail) = server.db.split_at_mut(hi);
    let (db1, db2) = (&mut head[lo], &mut tail[0]);

    // Swap hash tables. Note that we don't swap blocking_keys, ready_keys
    // and watched_keys, since we want clients to remain in the same DB they
    // were.
    std::mem::swap(&mut db1.dict, &mut db2.dict);
    std::mem::swap(&mut db1.expires, &mut db2.expires);
    std::mem::swap(&mut db1.avg_ttl, &mut db2.avg_ttl);

    // Now we need to handle clients blocked on lists: as an effect of
    // swapping the two DBs, a client that was waiting for list X in a given
    // DB, may now actually be unblocked if X happens to exist in the new
    // version of the DB, after the swap.
    //
    // However normally we only do this check for efficiency reasons in
    // dbAdd() when a list is created. So here we need to rescan the list of
    // clients blocked on lists and signal lists as ready if needed.
    scan_database_for_ready_lists(server, id1 as usize);
    scan_database_for_ready_lists(server, id2 as usize);
    Ok(())
}

/// SWAPDB db1 db2
///
/// C: db.c swapdbCommand()
pub(crate) fn swapdb_command(server: &mut RedisServer, c: &mut Client) {
    // Divergence from C: there is no cluster mode, so no "SWAPDB is not
    // allowed in cluster mode" error.

    // Get the two DBs indexes.
    let Some(id1) =
        arg_long_long_or_reply(c, 1, Some("invalid first DB index"))
    else {
        return;
    };
    let Some(id2) =
        arg_long_long_or_reply(c, 2, Some("invalid second DB index"))
    else {
        return;
    };

    // Swap... (dbSwapDatabases() takes ints: C converts the longs, so
    // 4294967296 is DB 0, as with SELECT.)
    if db_swap_databases(server, id1 as i32, id2 as i32).is_err() {
        add_reply_error(c, "DB index is out of range");
    } else {
        server.dirty += 1;
        add_reply(c, OK);
    }
}

// -----------------------------------------------------------------------------
// Expires API
// -----------------------------------------------------------------------------

/// C: db.c removeExpire()
pub(crate) fn remove_expire(
    server: &mut RedisServer,
    dbid: usize,
    key: &[u8],
) -> bool {
    let db = &mut server.db[dbid];
    if db.expires.dict_size() == 0 {
        return false;
    }
    db.expires.dict_delete(key)
}

/// Set an expire to the specified key. If the expire is set in the context
/// of an user calling a command 'c' is the client, otherwise 'c' is `None`.
/// The 'when' parameter is the absolute unix time in milliseconds after
/// which the key will no longer be considered valid.
///
/// C: db.c setExpire()
pub(crate) fn set_expire(
    server: &mut RedisServer,
    c: Option<&Client>,
    dbid: usize,
    key: &[u8],
    when: i64,
) {
    let db = &mut server.db[dbid];
    // Reuse the sds from the main dict in the expire dict
    debug_assert!(db.dict.find(key).is_some());
    *db.expires.dict_add_or_find(key.into(), || when) = when;

    let writable_slave = server.masterhost.is_some() && !server.repl_slave_ro;
    if let Some(c) = c {
        if writable_slave && c.flags & CLIENT_MASTER == 0 {
            crate::expire::remember_slave_key_with_expire(server, dbid, key);
        }
    }
}

/// Return the expire time of the specified key, or -1 if no expire is
/// associated with this key (i.e. the key is non volatile)
///
/// C: db.c getExpire()
pub(crate) fn get_expire(server: &RedisServer, dbid: usize, key: &[u8]) -> i64 {
    let db = &server.db[dbid];
    // No expire? return ASAP
    if db.expires.dict_size() == 0 {
        return -1;
    }
    match db.expires.find(key) {
        Some(de) => *de.val(),
        None => -1,
    }
}

/// Propagate expires into slaves and the AOF file. When a key expires in
/// the master, a DEL operation for this key is sent to all the slaves and
/// the AOF file if enabled.
///
/// This way the key expiry is centralized in one place, and since both AOF
/// and the master->slave link guarantee operation ordering, everything will
/// be consistent even if we allow write operations against expiring keys.
///
/// C: db.c propagateExpire()
pub(crate) fn propagate_expire(
    server: &mut RedisServer,
    dbid: usize,
    key: &[u8],
    lazy: bool,
) {
    let argv = vec![
        if lazy { b"UNLINK".to_vec() } else { b"DEL".to_vec() },
        key.to_vec(),
    ];
    if server.aof_state != crate::config::AOF_OFF {
        crate::aof::feed_append_only_file(server, "del", dbid as i32, &argv);
    }
    crate::replication::replication_feed_slaves(server, dbid as i32, &argv);
}

/// Check if the key is expired.
///
/// C: db.c keyIsExpired()
pub(crate) fn key_is_expired(
    server: &RedisServer,
    dbid: usize,
    key: &[u8],
) -> bool {
    let when = get_expire(server, dbid, key);
    if when < 0 {
        return false; // No expire for this key
    }
    // Don't expire anything while loading. It will be done later.
    if server.loading {
        return false;
    }
    // If we are in the middle of a command execution, we still want to use
    // a reference time that does not change: in that case we just use the
    // cached time, that we update before each call in the call() function.
    // This way we avoid that commands such as RPOPLPUSH or similar, that may
    // re-open the same key multiple times, can invalidate an already open
    // object in a next call, if the next call will see the key expired,
    // while the first did not.
    // If we are in the context of a Lua script, we pretend that time is
    // blocked to when the Lua script started. This way a key can expire
    // only the first time it is accessed and not in the middle of the
    // script execution, making propagation to slaves / AOF consistent.
    // See issue #1525 on Github for more information.
    let now = if server.lua_caller.is_some() {
        server.lua_time_start
    } else if server.fixed_time_expire > 0 {
        server.mstime
    } else {
        mstime()
    };
    now > when
}

/// This function is called when we are going to perform some operation in
/// a given key, but such key may be already logically expired even if it
/// still exists in the database. The main way this function is called is
/// via lookupKey*() family of functions.
///
/// The behavior of the function depends on the replication role of the
/// instance, because slave instances do not expire keys, they wait for DELs
/// from the master for consistency matters. However even slaves will try to
/// have a coherent return value for the function, so that read commands
/// executed in the slave side will be able to behave like if the key is
/// expired even if still present (because the master has yet to propagate
/// the DEL).
///
/// In masters as a side effect of finding a key which is expired, such key
/// will be evicted from the database. Also this may trigger the
/// propagation of a DEL/UNLINK command in AOF / replication stream.
///
/// The return value of the function is false if the key is still valid,
/// otherwise the function returns true if the key is expired.
///
/// C: db.c expireIfNeeded()
pub(crate) fn expire_if_needed(
    server: &mut RedisServer,
    dbid: usize,
    key: &[u8],
) -> bool {
    if !key_is_expired(server, dbid, key) {
        return false;
    }
    // If we are running in the context of a slave, instead of evicting the
    // expired key from the database, we return ASAP: the slave key
    // expiration is controlled by the master that will send us synthesized
    // DEL operations for expired keys.
    //
    // Still we try to return the right information to the caller, that is,
    // true if we think the key should be still valid, false if we think the
    // key is expired at this time.
    if server.masterhost.is_some() {
        return true;
    }
    // Delete the key
    server.stat_expiredkeys += 1;
    let lazy = server.lazyfree_lazy_expire;
    propagate_expire(server, dbid, key, lazy);
    crate::notify::notify_keyspace_event(
        server,
        NOTIFY_EXPIRED,
        "expired",
        key,
        dbid as i32,
    );
    if server.lazyfree_lazy_expire {
        crate::lazyfree::db_async_delete(&mut server.db[dbid], key)
    } else {
        db_sync_delete(server, dbid, key)
    }
}

// -----------------------------------------------------------------------------
// API to get key arguments from commands
//
// A key extractor returns the positions in `argv` of the arguments that are
// keys, or `None` where C returns NULL (no keys, or arguments the command
// would reject). C also returns the count through `int *numkeys` and takes
// `argc` beside `argv`; here the Vec carries its length and `argv` is a
// slice, so both are dropped. C's getKeysFreeResult() has no twin: the Vec
// is freed when it is dropped.
// -----------------------------------------------------------------------------

/// The base case is to use the keys position as given in the command table
/// (firstkey, lastkey, step).
///
/// C: db.c getKeysUsingCommandTable()
pub(crate) fn get_keys_using_command_table(
    server: &RedisServer,
    cmd: &RedisCommand,
    argv: &[Vec<u8>],
) -> Option<Vec<i32>> {
    let argc = argv.len() as i32;
    if cmd.firstkey == 0 {
        return None;
    }

    let mut last = cmd.lastkey;
    if last < 0 {
        last += argc;
    }
    let mut keys =
        Vec::with_capacity((last - cmd.firstkey + 1).max(0) as usize);
    let mut j = cmd.firstkey;
    while j <= last {
        if j >= argc {
            // Modules commands, and standard commands with a not fixed
            // number of arguments (negative arity parameter) do not have
            // dispatch time arity checks, so we need to handle the case
            // where the user passed an invalid number of arguments here. In
            // this case we return no keys and expect the command
            // implementation to report an arity or syntax error.
            if cmd.flags & CMD_MODULE != 0 || cmd.arity < 0 {
                return None;
            }
            crate::server_panic!(
                server,
                "Redis built-in command declared keys positions not matching the arity requirements."
            );
        }
        keys.push(j);
        // C adds keystep as is; no entry with keys has a step of 0, and
        // max(1) keeps a bad entry from looping forever.
        j += cmd.keystep.max(1);
    }
    Some(keys)
}

/// Return all the arguments that are keys in the command passed via
/// `argv` (argv[0] is the command name): their positions inside `argv`.
///
/// `cmd` must be the entry of the command table named by argv[0].
///
/// This function uses the command table if a command-specific helper
/// function is not required, otherwise it calls the command-specific
/// function.
///
/// C: db.c getKeysFromCommand()
pub(crate) fn get_keys_from_command(
    server: &RedisServer,
    cmd: &RedisCommand,
    argv: &[Vec<u8>],
) -> Option<Vec<i32>> {
    // C first asks a module command's own getkeys callback
    // (CMD_MODULE_GETKEYS, moduleGetCommandKeysViaAPI()); there are no
    // modules, so that flag is never set.
    match cmd.getkeys_proc {
        Some(getkeys) if cmd.flags & CMD_MODULE == 0 => getkeys(cmd, argv),
        _ => get_keys_using_command_table(server, cmd, argv),
    }
}

/// Helper function to extract keys from following commands:
/// ZUNIONSTORE <destkey> <num-keys> <key> <key> ... <key> <options>
/// ZINTERSTORE <destkey> <num-keys> <key> <key> ... <key> <options>
///
/// C: db.c zunionInterGetKeys()
pub(crate) fn zunion_inter_get_keys(
    _cmd: &RedisCommand,
    argv: &[Vec<u8>],
) -> Option<Vec<i32>> {
    let argc = argv.len() as i32;
    // The arity (-4) is checked before this is called; `get` keeps a short
    // argv from panicking all the same.
    let num = crate::util::atoi(argv.get(2)?);
    // Sanity check. Don't return any key if the command is going to reply
    // with syntax error.
    if num < 1 || num > argc - 3 {
        return None;
    }

    // Keys in z{union,inter}store come from two places:
    // argv[1] = storage key,
    // argv[3...n] = keys to intersect
    let mut keys = Vec::with_capacity(num as usize + 1);

    // Add all key positions for argv[3...n] to keys[]
    keys.extend((0..num).map(|i| 3 + i));

    // Finally add the argv[1] key position (the storage key target).
    keys.push(1);
    Some(keys)
}

/// Helper function to extract keys from the following commands:
/// EVAL <script> <num-keys> <key> <key> ... <key> [more stuff]
/// EVALSHA <script> <num-keys> <key> <key> ... <key> [more stuff]
///
/// C: db.c evalGetKeys()
pub(crate) fn eval_get_keys(
    _cmd: &RedisCommand,
    argv: &[Vec<u8>],
) -> Option<Vec<i32>> {
    let argc = argv.len() as i32;
    // The arity (-3) is checked before this is called; `get` keeps a short
    // argv from panicking all the same.
    let num = crate::util::atoi(argv.get(2)?);
    // Sanity check. Don't return any key if the command is going to reply
    // with syntax error.
    if num <= 0 || num > argc - 3 {
        return None;
    }

    // Add all key positions for argv[3...n] to keys[]
    Some((0..num).map(|i| 3 + i).collect())
}

/// Helper function to extract keys from the SORT command.
///
/// SORT <sort-key> ... STORE <store-key> ...
///
/// The first argument of SORT is always a key, however a list of options
/// follow in SQL-alike style. Here we parse just the minimum in order to
/// correctly identify keys in the "STORE" option.
///
/// C: db.c sortGetKeys()
pub(crate) fn sort_get_keys(
    _cmd: &RedisCommand,
    argv: &[Vec<u8>],
) -> Option<Vec<i32>> {
    let argc = argv.len();
    // <sort-key> is always present.
    let mut keys = vec![1];
    let mut store_key = None;

    // Search for STORE option. By default we consider options to don't
    // have arguments, so if we find an unknown option name we scan the
    // next. However there are options with 1 or 2 arguments, so we
    // provide a list here in order to skip the right number of args.
    const SKIPLIST: [(&[u8], usize); 3] =
        [(b"limit", 2), (b"get", 1), (b"by", 1)];

    let mut i = 2;
    while i < argc {
        // C tests "store" inside its loop over the skip list, in the
        // branch where the name is not "limit": so LIMIT is checked first,
        // then STORE, then GET and BY.
        for (name, skip) in SKIPLIST {
            if strcasecmp_eq(&argv[i], name) {
                i += skip;
                break;
            } else if strcasecmp_eq(&argv[i], b"store") && i + 1 < argc {
                // Note: we don't stop here and continue the loop to be
                // sure to process the *last* "STORE" option if multiple
                // ones are provided. This is same behavior as SORT.
                store_key = Some(i as i32 + 1); // <store-key>
                break;
            }
        }
        i += 1;
    }
    keys.extend(store_key);
    Some(keys)
}

/// Helper function to extract keys from the GEORADIUS family:
///
/// GEORADIUS key x y radius unit [... STORE|STOREDIST key ...]
/// GEORADIUSBYMEMBER key member radius unit [... STORE|STOREDIST key ...]
///
/// The source key is argv[1]; a STORE or STOREDIST option names a second
/// key (the last one wins, as in georadiusGeneric()).
///
/// C: db.c georadiusGetKeys()
pub(crate) fn georadius_get_keys(
    _cmd: &RedisCommand,
    argv: &[Vec<u8>],
) -> Option<Vec<i32>> {
    let argc = argv.len();
    // Check for the presence of the stored key in the command
    let mut stored_key = None;
    let mut i = 5;
    while i < argc {
        // For the case when user specifies both "store" and "storedist"
        // options, the second key specified would override the first key.
        // This behavior is kept the same as in georadiusCommand method.
        let arg = &argv[i];
        if (strcasecmp_eq(arg, b"store") || strcasecmp_eq(arg, b"storedist"))
            && i + 1 < argc
        {
            stored_key = Some(i as i32 + 1);
            i += 1;
        }
        i += 1;
    }

    // Keys in the command come from two places:
    // argv[1] = key,
    // argv[5...n] = stored key if present
    let mut keys = vec![1];
    keys.extend(stored_key);
    Some(keys)
}

/// XREAD [BLOCK <milliseconds>] [COUNT <count>] [GROUP <groupname>
/// <ttl>] STREAMS key_1 key_2 ... key_N ID_1 ID_2 ... ID_N
///
/// C: db.c xreadGetKeys()
pub(crate) fn xread_get_keys(
    _cmd: &RedisCommand,
    argv: &[Vec<u8>],
) -> Option<Vec<i32>> {
    let argc = argv.len();
    // We need to parse the options of the command in order to seek the
    // first "STREAMS" string which is actually the option. This is needed
    // because "STREAMS" could also be the name of the consumer group and
    // even the name of the stream key.
    let mut streams_pos: Option<usize> = None;
    let mut i = 1;
    while i < argc {
        let arg = &argv[i];
        if strcasecmp_eq(arg, b"block") || strcasecmp_eq(arg, b"count") {
            i += 1; // Skip option argument.
        } else if strcasecmp_eq(arg, b"group") {
            i += 2; // Skip option argument.
        } else if strcasecmp_eq(arg, b"noack") {
            // Nothing to do.
        } else if strcasecmp_eq(arg, b"streams") {
            streams_pos = Some(i);
            break;
        } else {
            break; // Syntax error.
        }
        i += 1;
    }
    let num = streams_pos.map_or(0, |p| argc - p - 1);

    // Syntax error.
    let streams_pos = streams_pos?;
    if num == 0 || !num.is_multiple_of(2) {
        return None;
    }
    // We have half the keys as there are arguments because there are also
    // the IDs, one per key.
    let num = num / 2;
    Some((streams_pos + 1..argc - num).map(|i| i as i32).collect())
}

/// C's strcasecmp(a, lit) == 0 on a NUL-terminated argument: `a` counts
/// only up to its first NUL byte. (no C twin)
fn strcasecmp_eq(a: &[u8], lit: &[u8]) -> bool {
    a[..memchr::memchr(0, a).unwrap_or(a.len())].eq_ignore_ascii_case(lit)
}

// -----------------------------------------------------------------------------
// expire.c: Expires Commands
//
// These live in expire.c in C; they are kept here, after the rest of the
// keyspace commands, in expire.c's order.
// -----------------------------------------------------------------------------

/// EXPIRE with negative TTL, or EXPIREAT with a timestamp into the past
/// should never be executed as a DEL when loading the AOF or in the context
/// of a slave instance.
///
/// Instead we add the already expired key to the database with expire time
/// (possibly in the past) and wait for an explicit DEL from the master.
///
/// C: expire.c checkAlreadyExpired()
pub(crate) fn check_already_expired(server: &RedisServer, when: i64) -> bool {
    when <= mstime() && !server.loading && server.masterhost.is_none()
}

/// This is the generic command implementation for EXPIRE, PEXPIRE,
/// EXPIREAT and PEXPIREAT. Because the command second argument may be
/// relative or absolute the "basetime" argument is used to signal what the
/// base time is (either 0 for *AT variants of the command, or the current
/// time for relative expires).
///
/// unit is either UNIT_SECONDS or UNIT_MILLISECONDS, and is only used for
/// the argv[2] parameter. The basetime is always specified in
/// milliseconds.
///
/// C: expire.c expireGenericCommand()
pub(crate) fn expire_generic_command(
    server: &mut RedisServer,
    c: &mut Client,
    basetime: i64,
    unit: i32,
) {
    // unix time in milliseconds when the key will expire.
    let Some(mut when) = arg_long_long_or_reply(c, 2, None) else { return };

    // C's signed overflow wraps on the platforms Redis runs on, so a huge
    // TTL lands in the past and deletes the key; wrapping keeps that.
    if unit == UNIT_SECONDS {
        when = when.wrapping_mul(1000);
    }
    when = when.wrapping_add(basetime);

    let dbid = c.db;
    let key = std::mem::take(&mut c.argv[1]);

    // No key, return zero.
    if lookup_key_write(server, dbid, &key).is_none() {
        c.argv[1] = key;
        add_reply(c, CZERO);
        return;
    }

    if check_already_expired(server, when) {
        let deleted = if server.lazyfree_lazy_expire {
            crate::lazyfree::db_async_delete(&mut server.db[dbid], &key)
        } else {
            db_sync_delete(server, dbid, &key)
        };
        if !deleted {
            crate::server_panic!(
                server,
                "expireGenericCommand: key vanished before its DEL"
            );
        }
        server.dirty += 1;

        // Replicate/AOF this as an explicit DEL or UNLINK.
        let aux: &[u8] =
            if server.lazyfree_lazy_expire { b"UNLINK" } else { b"DEL" };
        // C: rewriteClientCommandVector(c,2,aux,key), which also points
        // c->cmd at the new command.
        c.argv = vec![aux.to_vec(), key];
        c.cmd = lookup_command(server, aux);
        signal_modified_key(server, dbid, &c.argv[1]);
        notify_keyspace_event(
            server,
            NOTIFY_GENERIC,
            "del",
            &c.argv[1],
            dbid as i32,
        );
        add_reply(c, CONE);
    } else {
        set_expire(server, Some(&*c), dbid, &key, when);
        add_reply(c, CONE);
        signal_modified_key(server, dbid, &key);
        notify_keyspace_event(
            server,
            NOTIFY_GENERIC,
            "expire",
            &key,
            dbid as i32,
        );
        server.dirty += 1;
        c.argv[1] = key;
    }
}

/// EXPIRE key seconds
///
/// C: expire.c expireCommand()
pub(crate) fn expire_command(server: &mut RedisServer, c: &mut Client) {
    expire_generic_command(server, c, mstime(), UNIT_SECONDS);
}

/// EXPIREAT key time
///
/// C: expire.c expireatCommand()
pub(crate) fn expireat_command(server: &mut RedisServer, c: &mut Client) {
    expire_generic_command(server, c, 0, UNIT_SECONDS);
}

/// PEXPIRE key milliseconds
///
/// C: expire.c pexpireCommand()
pub(crate) fn pexpire_command(server: &mut RedisServer, c: &mut Client) {
    expire_generic_command(server, c, mstime(), UNIT_MILLISECONDS);
}

/// PEXPIREAT key ms_time
///
/// C: expire.c pexpireatCommand()
pub(crate) fn pexpireat_command(server: &mut RedisServer, c: &mut Client) {
    expire_generic_command(server, c, 0, UNIT_MILLISECONDS);
}

/// Implements TTL and PTTL: -2 for a missing key, -1 for a key without
/// expire, else the time left (rounded to the nearest second for TTL).
///
/// C: expire.c ttlGenericCommand()
pub(crate) fn ttl_generic_command(
    server: &mut RedisServer,
    c: &mut Client,
    output_ms: bool,
) {
    let dbid = c.db;
    let mut ttl: i64 = -1;

    // If the key does not exist at all, return -2
    if lookup_key_read_with_flags(
        server,
        dbid,
        &c.argv[1],
        LOOKUP_NOTOUCH,
        Some(&*c),
    )
    .is_none()
    {
        add_reply_long_long(c, -2);
        return;
    }
    // The key exists. Return -1 if it has no expire, or the actual TTL
    // value otherwise.
    let expire = get_expire(server, dbid, &c.argv[1]);
    if expire != -1 {
        // An expire set with a huge PX/EX wrapped to a negative time
        // (see setGenericCommand): C's subtraction wraps too.
        ttl = expire.wrapping_sub(mstime());
        if ttl < 0 {
            ttl = 0;
        }
    }
    if ttl == -1 {
        add_reply_long_long(c, -1);
    } else {
        // `ttl+500` overflows in C when ttl is near LLONG_MAX; the 5.0.14
        // binary (gcc) computes the rounded quotient as if it did not
        // (TTL answers 9223372036854776), so compute it in 128 bits.
        let secs = ((ttl as i128 + 500) / 1000) as i64;
        add_reply_long_long(c, if output_ms { ttl } else { secs });
    }
}

/// TTL key
///
/// C: expire.c ttlCommand()
pub(crate) fn ttl_command(server: &mut RedisServer, c: &mut Client) {
    ttl_generic_command(server, c, false);
}

/// PTTL key
///
/// C: expire.c pttlCommand()
pub(crate) fn pttl_command(server: &mut RedisServer, c: &mut Client) {
    ttl_generic_command(server, c, true);
}

/// PERSIST key
///
/// C: expire.c persistCommand()
pub(crate) fn persist_command(server: &mut RedisServer, c: &mut Client) {
    let dbid = c.db;
    if lookup_key_write(server, dbid, &c.argv[1]).is_some() {
        if remove_expire(server, dbid, &c.argv[1]) {
            add_reply(c, CONE);
            server.dirty += 1;
        } else {
            add_reply(c, CZERO);
        }
    } else {
        add_reply(c, CZERO);
    }
}

/// TOUCH key1 [key2 key3 ... keyN]: looks the keys up, which updates their
/// access time, and returns how many exist.
///
/// C: expire.c touchCommand()
pub(crate) fn touch_command(server: &mut RedisServer, c: &mut Client) {
    let mut touched: i64 = 0;
    for j in 1..c.argv.len() {
        if lookup_key_read(server, c, &c.argv[j]).is_some() {
            touched += 1;
        }
    }
    add_reply_long_long(c, touched);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dict::Dict;
    use crate::networking::create_client;
    use crate::object::create_string_object;

    /// A server with its databases and a fake client whose replies are
    /// kept (the Lua flag lets a socketless client collect replies).
    fn setup() -> (RedisServer, Box<Client>) {
        let mut server = init_server_config();
        server.db = (0..server.dbnum).map(RedisDb::new).collect();
        let id = create_client(&mut server, None).expect("fake client");
        let mut c = server.clients.lend(&id).expect("client in table");
        c.flags |= CLIENT_LUA;
        (server, c)
    }

    fn argv(args: &[&str]) -> Vec<Vec<u8>> {
        args.iter().map(|a| a.as_bytes().to_vec()).collect()
    }

    fn reply(c: &mut Client) -> String {
        let mut out = c.buf[..c.bufpos].to_vec();
        for b in &c.reply {
            out.extend_from_slice(&b.buf);
        }
        c.bufpos = 0;
        c.reply.clear();
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn eval_get_keys_takes_numkeys_keys_after_it() {
        let server = init_server_config();
        let cmd = &server.commands[lookup_command(&server, b"eval").unwrap()];
        let keys = |a: &[&str]| eval_get_keys(cmd, &argv(a));
        assert_eq!(keys(&["eval", "s", "2", "a", "b", "c"]), Some(vec![3, 4]));
        assert_eq!(keys(&["evalsha", "s", "1", "a"]), Some(vec![3]));
        // No keys, too many, negative, or not a number (atoi gives 0).
        assert_eq!(keys(&["eval", "s", "0", "a"]), None);
        assert_eq!(keys(&["eval", "s", "2", "a"]), None);
        assert_eq!(keys(&["eval", "s", "-1", "a"]), None);
        assert_eq!(keys(&["eval", "s", "x", "a"]), None);
        assert_eq!(keys(&["eval", "s", "1x", "a"]), Some(vec![3]));
    }

    #[test]
    fn parse_scan_cursor_or_reply_follows_strtoul() {
        let (_server, mut c) = setup();
        let ok =
            |c: &mut Client, s: &[u8]| parse_scan_cursor_or_reply(c, s).ok();
        assert_eq!(ok(&mut c, b"0"), Some(0));
        assert_eq!(ok(&mut c, b"007"), Some(7));
        assert_eq!(ok(&mut c, b""), Some(0));
        assert_eq!(ok(&mut c, b"+5"), Some(5));
        assert_eq!(ok(&mut c, b"-1"), Some(u64::MAX));
        assert_eq!(ok(&mut c, b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(ok(&mut c, b"12\0junk"), Some(12));
        assert_eq!(reply(&mut c), "");
        for bad in [
            &b" 1"[..],
            b"1 ",
            b"abc",
            b"-",
            b"+",
            b"18446744073709551616",
            b"\t1",
        ] {
            assert_eq!(ok(&mut c, bad), None, "{bad:?}");
            assert_eq!(reply(&mut c), "-ERR invalid cursor\r\n");
        }
    }

    #[test]
    fn expire_generic_command_in_the_past_is_rewritten_as_del() {
        let (mut server, mut c) = setup();
        set_key(&mut server, 0, b"k", create_string_object(0, b"v".to_vec()));
        c.argv = argv(&["EXPIRE", "k", "-1"]);
        c.cmd = lookup_command(&server, b"expire");
        expire_command(&mut server, &mut c);
        assert_eq!(reply(&mut c), ":1\r\n");
        assert!(!db_exists(&server, 0, b"k"));
        assert_eq!(server.dirty, 1);
        assert_eq!(c.argv, argv(&["DEL", "k"]));
        assert_eq!(c.cmd, lookup_command(&server, b"del"));

        // With lazyfree-lazy-expire the DEL becomes an UNLINK.
        server.lazyfree_lazy_expire = true;
        set_key(&mut server, 0, b"k", create_string_object(0, b"v".to_vec()));
        c.argv = argv(&["PEXPIREAT", "k", "1"]);
        pexpireat_command(&mut server, &mut c);
        assert_eq!(c.argv, argv(&["UNLINK", "k"]));
        assert_eq!(c.cmd, lookup_command(&server, b"unlink"));
    }

    #[test]
    fn expire_generic_command_on_a_replica_keeps_the_key() {
        let (mut server, mut c) = setup();
        server.masterhost = Some("127.0.0.1".into());
        set_key(&mut server, 0, b"k", create_string_object(0, b"v".to_vec()));
        c.argv = argv(&["EXPIRE", "k", "-1"]);
        expire_command(&mut server, &mut c);
        assert_eq!(reply(&mut c), ":1\r\n");
        // The key stays, with an expire in the past, until the master's DEL.
        assert!(db_exists(&server, 0, b"k"));
        assert!(get_expire(&server, 0, b"k") < mstime());
        assert_eq!(c.argv, argv(&["EXPIRE", "k", "-1"]));
    }

    #[test]
    fn scan_generic_command_items_filters_pairs_by_field() {
        let (_server, mut c) = setup();
        // As HSCAN key 0 MATCH a* would pass a small hash.
        c.argv = argv(&["HSCAN", "h", "0", "MATCH", "a*"]);
        let items = argv(&["a", "1", "b", "2", "ab", "3"]);
        scan_generic_command(&mut c, ScanObj::Items { items, pairs: true }, 0);
        assert_eq!(reply(&mut c), "*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$2\r\nab\r\n$1\r\n3\r\n");
    }

    #[test]
    fn scan_generic_command_dict_walks_until_cursor_zero() {
        let (_server, mut c) = setup();
        let mut d: Dict<Key, Vec<u8>> = Dict::new();
        for i in 0..100 {
            let _ = d.dict_add(
                format!("f{i}").into_bytes().into(),
                format!("v{i}").into_bytes(),
            );
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0u64;
        loop {
            c.argv = argv(&["HSCAN", "h", "x", "COUNT", "7"]);
            let mut step = |v: u64, out: &mut Vec<Vec<u8>>| {
                d.dict_scan(v, |k, val| {
                    out.push(k.to_vec());
                    out.push(val.clone());
                })
            };
            scan_generic_command(
                &mut c,
                ScanObj::Dict { scan: &mut step, pairs: true },
                cursor,
            );
            let r = reply(&mut c);
            let mut lines = r.split("\r\n");
            assert_eq!(lines.next(), Some("*2"));
            lines.next();
            cursor = lines.next().and_then(|s| s.parse().ok()).expect("cursor");
            let n: usize =
                lines.next().and_then(|s| s[1..].parse().ok()).expect("count");
            assert_eq!(n % 2, 0, "field/value pairs");
            let elems: Vec<&str> = lines.skip(1).step_by(2).take(n).collect();
            for pair in elems.chunks(2) {
                assert_eq!(
                    &pair[0][1..],
                    &pair[1][1..],
                    "field and value agree"
                );
                seen.insert(pair[0].to_string());
            }
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 100);
    }

    #[test]
    fn db_swap_databases_swaps_contents_and_checks_range() {
        let (mut server, _c) = setup();
        set_key(&mut server, 0, b"a", create_string_object(0, b"v".to_vec()));
        set_expire(&mut server, None, 0, b"a", mstime() + 100_000);
        assert!(db_swap_databases(&mut server, 0, 16).is_err());
        assert!(db_swap_databases(&mut server, -1, 0).is_err());
        assert!(db_swap_databases(&mut server, 3, 3).is_ok());
        assert!(db_swap_databases(&mut server, 0, 3).is_ok());
        assert!(!db_exists(&server, 0, b"a"));
        assert!(db_exists(&server, 3, b"a"));
        assert!(get_expire(&server, 3, b"a") > 0);
    }
}
