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
use crate::object::RObj;
use crate::server::*;

/// Keys are byte strings; a boxed slice saves the capacity word of a Vec
/// on each of millions of keys.
pub type Key = Box<[u8]>;

/// Redis database representation. There are multiple databases identified
/// by integers from 0 (the default database) up to the max configured
/// database. The database number is the 'id' field in the structure.
///
/// C: struct redisDb
pub struct RedisDb {
    /// The keyspace for this DB
    pub dict: Dict<Key, RObj>,
    /// Timeout of keys with a timeout set
    pub expires: Dict<Key, i64>,
    /// Database ID
    pub id: i32,
    /// Average TTL, just for stats
    pub avg_ttl: i64,
}

impl RedisDb {
    pub fn new(id: i32) -> RedisDb {
        RedisDb { dict: Dict::new(), expires: Dict::new(), id, avg_ttl: 0 }
    }
}

/// Lookup flags.
pub const LOOKUP_NONE: i32 = 0;
pub const LOOKUP_NOTOUCH: i32 = 1 << 0;

// -----------------------------------------------------------------------------
// C-level DB API
// -----------------------------------------------------------------------------

/// Low level key lookup API, not actually called directly from commands
/// implementations that should instead rely on lookupKeyRead(),
/// lookupKeyWrite() and lookupKeyReadWithFlags().
///
/// C: db.c lookupKey()
pub fn lookup_key<'a>(server: &'a mut RedisServer, dbid: usize, key: &[u8], flags: i32) -> Option<&'a mut RObj> {
    // Update the access time for the ageing algorithm. Don't do it if we
    // have a saving child, as this will trigger a copy on write madness.
    let touch = server.rdb_child_pid == -1 && flags & LOOKUP_NOTOUCH == 0;
    let lruclock = server.lruclock;
    let val = server.db[dbid].dict.find_mut(key)?;
    if touch {
        val.lru = lruclock;
    }
    Some(val)
}

/// Lookup a key for read operations, or return `None` if the key is not
/// found in the specified DB. As a side effect: the key is expired if its
/// TTL is reached, its last access time is updated, and the global
/// keys hits/misses stats are updated.
///
/// C: db.c lookupKeyReadWithFlags()
pub fn lookup_key_read_with_flags<'a>(
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
                && c.cmd.is_some_and(|i| server.commands[i].flags & CMD_READONLY != 0)
            {
                server.stat_keyspace_misses += 1;
                return None;
            }
        }
    }
    let found = server.db[dbid].dict.find(key).is_some();
    if found {
        server.stat_keyspace_hits += 1;
    } else {
        server.stat_keyspace_misses += 1;
    }
    lookup_key(server, dbid, key, flags)
}

/// Like lookupKeyReadWithFlags(), but does not use any flag, which is the
/// common case.
///
/// C: db.c lookupKeyRead()
pub fn lookup_key_read<'a>(server: &'a mut RedisServer, c: &Client, key: &[u8]) -> Option<&'a mut RObj> {
    lookup_key_read_with_flags(server, c.db, key, LOOKUP_NONE, Some(c))
}

/// Lookup a key for write operations, and as a side effect, if needed,
/// expires the key if its TTL is reached.
///
/// C: db.c lookupKeyWrite()
pub fn lookup_key_write<'a>(server: &'a mut RedisServer, dbid: usize, key: &[u8]) -> Option<&'a mut RObj> {
    expire_if_needed(server, dbid, key);
    lookup_key(server, dbid, key, LOOKUP_NONE)
}

/// C: db.c lookupKeyReadOrReply()
pub fn lookup_key_read_or_reply<'a>(
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
pub fn lookup_key_write_or_reply<'a>(
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
pub fn db_add(server: &mut RedisServer, dbid: usize, key: &[u8], val: RObj) {
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
pub fn db_overwrite(server: &mut RedisServer, dbid: usize, key: &[u8], val: RObj) {
    match server.db[dbid].dict.find_mut(key) {
        Some(old) => *old = val,
        None => crate::server_panic!(server, "dbOverwrite: key does not exist"),
    }
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
pub fn set_key(server: &mut RedisServer, dbid: usize, key: &[u8], val: RObj) {
    if lookup_key_write(server, dbid, key).is_none() {
        db_add(server, dbid, key, val);
    } else {
        db_overwrite(server, dbid, key, val);
    }
    remove_expire(server, dbid, key);
    signal_modified_key(server, dbid, key);
}

/// C: db.c dbExists()
pub fn db_exists(server: &RedisServer, dbid: usize, key: &[u8]) -> bool {
    server.db[dbid].dict.find(key).is_some()
}

/// Return a random key, in form of a Redis object. If there are no keys,
/// `None` is returned. The function makes sure to return keys not already
/// expired.
///
/// C: db.c dbRandomKey()
pub fn db_random_key(server: &mut RedisServer, dbid: usize) -> Option<Vec<u8>> {
    let mut maxtries = 100;
    let allvolatile = server.db[dbid].dict.dict_size() == server.db[dbid].expires.dict_size();
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
pub fn db_sync_delete(server: &mut RedisServer, dbid: usize, key: &[u8]) -> bool {
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
pub fn db_delete(server: &mut RedisServer, dbid: usize, key: &[u8]) -> bool {
    // Divergence from C: no lazyfree thread; an async delete is a sync one.
    db_sync_delete(server, dbid, key)
}

/// Remove all keys from all the databases in a Redis server (or just one,
/// `dbnum`, when not -1). Returns the number of keys removed.
///
/// C: db.c emptyDb()
pub fn empty_db(server: &mut RedisServer, dbnum: i32, _flags: i32, mut callback: Option<&mut dyn FnMut()>) -> i64 {
    if dbnum < -1 || dbnum >= server.dbnum {
        return -1;
    }
    let (startdb, enddb) = if dbnum == -1 { (0, server.dbnum - 1) } else { (dbnum, dbnum) };
    let mut removed = 0i64;
    for j in startdb..=enddb {
        let db = &mut server.db[j as usize];
        removed += db.dict.dict_size() as i64;
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
    removed
}

/// C: db.c selectDb()
pub fn select_db(server: &RedisServer, c: &mut Client, id: i64) -> CResult {
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
pub fn signal_modified_key(server: &mut RedisServer, dbid: usize, key: &[u8]) {
    crate::multi::touch_watched_key(server, dbid, key);
}

/// C: db.c signalFlushedDb()
pub fn signal_flushed_db(server: &mut RedisServer, dbid: i32) {
    crate::multi::touch_watched_keys_on_flush(server, dbid);
}

// -----------------------------------------------------------------------------
// Expires API
// -----------------------------------------------------------------------------

/// C: db.c removeExpire()
pub fn remove_expire(server: &mut RedisServer, dbid: usize, key: &[u8]) -> bool {
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
pub fn set_expire(server: &mut RedisServer, dbid: usize, key: &[u8], when: i64) {
    let db = &mut server.db[dbid];
    // Reuse the sds from the main dict in the expire dict
    debug_assert!(db.dict.find(key).is_some());
    *db.expires.dict_add_or_find(key.into(), || when) = when;
}

/// Return the expire time of the specified key, or -1 if no expire is
/// associated with this key (i.e. the key is non volatile)
///
/// C: db.c getExpire()
pub fn get_expire(server: &RedisServer, dbid: usize, key: &[u8]) -> i64 {
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
pub fn propagate_expire(server: &mut RedisServer, dbid: usize, key: &[u8], lazy: bool) {
    let argv = vec![if lazy { b"UNLINK".to_vec() } else { b"DEL".to_vec() }, key.to_vec()];
    crate::replication::replication_feed_slaves(server, dbid as i32, &argv);
}

/// Check if the key is expired.
///
/// C: db.c keyIsExpired()
pub fn key_is_expired(server: &RedisServer, dbid: usize, key: &[u8]) -> bool {
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
    let now = if server.fixed_time_expire > 0 { server.mstime } else { mstime() };
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
pub fn expire_if_needed(server: &mut RedisServer, dbid: usize, key: &[u8]) -> bool {
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
    crate::notify::notify_keyspace_event(server, NOTIFY_EXPIRED, "expired", key, dbid as i32);
    db_delete(server, dbid, key)
}
