//! The replication script cache: the SHA1s of the scripts every connected
//! replica is known to have, so that EVALSHA can be propagated as it is
//! instead of as the EVAL of the whole body.
//!
//! Ports the "REPLICATION SCRIPT CACHE" section of replication.c from
//! Redis 5.0.14, in the same order.
//!
//! Read this first: C keeps a dict of sds keys and a list of the same sds
//! (the list head is the newest); here the dict is a `HashSet` of
//! lower-case SHA1s (C's dictType compares them case-insensitively) and the
//! list a `VecDeque` with the newest at the front.

use crate::server::*;

// ----------------------- REPLICATION SCRIPT CACHE --------------------------
// The goal of this code is to keep track of scripts already sent to every
// connected slave, in order to be able to replicate EVALSHA as it is
// without translating it to EVAL every time it is possible.
//
// We use a capped collection implemented by a hash table for fast lookup
// of scripts we can send as EVALSHA, plus a linked list that is used for
// eviction of the oldest entry when the max number of items is reached.
//
// We don't care about taking a different cache for every different slave
// since to fill the cache again is not very costly, the goal of this code
// is to avoid that the same big script is trasmitted a big number of times
// per second wasting bandwidth and processor speed, but it is not a problem
// if we need to rebuild the cache from scratch from time to time, every
// used script will need to be transmitted a single time to reappear in the
// cache.
//
// This is how the system works:
//
// 1) Every time a new slave connects, we flush the whole script cache.
// 2) We only send as EVALSHA what was sent to the master as EVALSHA,
//    without trying to convert EVAL into EVALSHA specifically for slaves.
// 3) Every time we trasmit a script as EVAL to the slaves, we also add the
//    corresponding SHA1 of the script into the cache as we are sure every
//    slave knows about the script starting from now.
// 4) On SCRIPT FLUSH command, we replicate the command to all the slaves
//    and at the same time flush the script cache.
// 5) When the last slave disconnects, flush the cache.
// 6) We handle SCRIPT LOAD as well since that's how scripts are loaded
//    in the master sometimes.

/// Initialize the script cache, only called at startup.
///
/// C: replication.c replicationScriptCacheInit()
pub(crate) fn replication_script_cache_init(server: &mut RedisServer) {
    server.repl_scriptcache_size = 10000;
    server.repl_scriptcache_dict = Default::default();
    server.repl_scriptcache_fifo = Default::default();
}

/// Empty the script cache. Should be called every time we are no longer
/// sure that every slave knows about all the scripts in our set, or when
/// the current AOF "context" is no longer aware of the script. In general
/// we should flush the cache:
///
/// 1) Every time a new slave reconnects to this master and performs a
///    full SYNC (PSYNC does not require flushing).
/// 2) Every time an AOF rewrite is performed.
/// 3) Every time we are left without slaves at all, and AOF is off, in
///    order to reclaim otherwise unused memory.
///
/// C: replication.c replicationScriptCacheFlush()
pub(crate) fn replication_script_cache_flush(server: &mut RedisServer) {
    server.repl_scriptcache_dict.clear();
    server.repl_scriptcache_fifo = Default::default();
}

/// Add an entry into the script cache, if we reach max number of entries
/// the oldest is removed from the list.
///
/// C: replication.c replicationScriptCacheAdd()
pub(crate) fn replication_script_cache_add(
    server: &mut RedisServer,
    sha1: &[u8],
) {
    let key = sha1.to_ascii_lowercase();

    // Evict oldest.
    if server.repl_scriptcache_fifo.len()
        == server.repl_scriptcache_size as usize
    {
        if let Some(oldest) = server.repl_scriptcache_fifo.pop_back() {
            let retval = server.repl_scriptcache_dict.remove(&oldest);
            crate::server_assert!(server, retval);
        }
    }

    // Add current.
    let retval = server.repl_scriptcache_dict.insert(key.clone());
    server.repl_scriptcache_fifo.push_front(key);
    crate::server_assert!(server, retval);
}

/// Returns true if the specified entry exists inside the cache, that is,
/// if all the slaves are aware of this script SHA1.
///
/// C: replication.c replicationScriptCacheExists()
pub(crate) fn replication_script_cache_exists(
    server: &RedisServer,
    sha1: &[u8],
) -> bool {
    server.repl_scriptcache_dict.contains(&sha1.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> RedisServer {
        let mut server = crate::server::init_server_config();
        replication_script_cache_init(&mut server);
        server
    }

    #[test]
    fn exists_is_case_insensitive() {
        let mut s = server();
        let sha = b"E0E1F9FABFC9D4800C877A703B823AC0578FF831";
        assert!(!replication_script_cache_exists(&s, sha));
        replication_script_cache_add(&mut s, sha);
        assert!(replication_script_cache_exists(&s, &sha.to_ascii_lowercase()));
        assert!(replication_script_cache_exists(&s, sha));
        replication_script_cache_flush(&mut s);
        assert!(!replication_script_cache_exists(&s, sha));
        assert!(s.repl_scriptcache_fifo.is_empty());
    }

    #[test]
    fn the_oldest_entry_is_evicted_at_the_cap() {
        let mut s = server();
        s.repl_scriptcache_size = 3;
        let sha = |i: u8| [b'a' + i; 40];
        for i in 0..3 {
            replication_script_cache_add(&mut s, &sha(i));
        }
        replication_script_cache_add(&mut s, &sha(3));
        assert!(!replication_script_cache_exists(&s, &sha(0)));
        for i in 1..4 {
            assert!(replication_script_cache_exists(&s, &sha(i)));
        }
        assert_eq!(s.repl_scriptcache_fifo.len(), 3);
        assert_eq!(s.repl_scriptcache_dict.len(), 3);
        assert_eq!(s.repl_scriptcache_fifo.front(), Some(&sha(3).to_vec()));
    }
}
