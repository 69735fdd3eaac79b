//! server.c's command table (C keeps it with the globals at the top) and
//! "Commands lookup and execution": `lookup_command`, `propagate`, `call`
//! and `process_command`, the path every command takes, in C's order.

use super::*;
use crate::shared;

// --------------------------------- command table ---------------------------------

/// Our command table.
///
/// Every entry is composed of the following fields:
///
/// name: a string representing the command name.
/// function: pointer to the C function implementing the command.
/// arity: number of arguments, it is possible to use -N to say >= N
/// sflags: command flags as string. See below for a table of flags.
/// first key index, last key index, key step.
///
/// Flags: w write, r read-only, m may grow memory (denied on OOM), a admin,
/// p pub/sub, f force replication, s not allowed in scripts, R random,
/// S sort output in scripts, l allowed while loading, t allowed while a
/// replica has stale data, M do not show in MONITOR, k ASKING, F fast.
///
/// C: server.c redisCommandTable[]
///
/// An entry may name a getkeys proc between sflags and the key positions,
/// as C's table does (C writes 0 there for the other commands).
macro_rules! cmd {
    ($name:expr, $proc:expr, $arity:expr, $sflags:expr, $fk:expr, $lk:expr, $ks:expr) => {
        cmd!(@entry $name, $proc, $arity, $sflags, None, $fk, $lk, $ks)
    };
    ($name:expr, $proc:expr, $arity:expr, $sflags:expr, $getkeys:expr, $fk:expr, $lk:expr, $ks:expr) => {
        cmd!(@entry $name, $proc, $arity, $sflags, Some($getkeys), $fk, $lk, $ks)
    };
    (@entry $name:expr, $proc:expr, $arity:expr, $sflags:expr, $getkeys:expr, $fk:expr, $lk:expr, $ks:expr) => {
        RedisCommand {
            name: $name,
            proc_: $proc,
            arity: $arity,
            sflags: $sflags,
            flags: 0,
            getkeys_proc: $getkeys,
            firstkey: $fk,
            lastkey: $lk,
            keystep: $ks,
            microseconds: 0,
            calls: 0,
        }
    };
}

#[rustfmt::skip] // one command a line, as in C's table
fn redis_command_table() -> Vec<RedisCommand> {
    #[allow(unused_imports)]
    use crate::db::*;
    use crate::t_string::*;
    vec![
        cmd!("get", get_command, 2, "rF", 1, 1, 1),
        cmd!("set", set_command, -3, "wm", 1, 1, 1),
        cmd!("setnx", setnx_command, 3, "wmF", 1, 1, 1),
        cmd!("setex", setex_command, 4, "wm", 1, 1, 1),
        cmd!("psetex", psetex_command, 4, "wm", 1, 1, 1),
        cmd!("append", append_command, 3, "wm", 1, 1, 1),
        cmd!("strlen", strlen_command, 2, "rF", 1, 1, 1),
        cmd!("del", del_command, -2, "w", 1, -1, 1),
        cmd!("unlink", unlink_command, -2, "wF", 1, -1, 1),
        cmd!("exists", exists_command, -2, "rF", 1, -1, 1),
        cmd!("setbit", crate::bitops::setbit_command, 4, "wm", 1, 1, 1),
        cmd!("getbit", crate::bitops::getbit_command, 3, "rF", 1, 1, 1),
        cmd!("bitfield", crate::bitops::bitfield_command, -2, "wm", 1, 1, 1),
        cmd!("setrange", setrange_command, 4, "wm", 1, 1, 1),
        cmd!("getrange", getrange_command, 4, "r", 1, 1, 1),
        cmd!("substr", getrange_command, 4, "r", 1, 1, 1),
        cmd!("incr", incr_command, 2, "wmF", 1, 1, 1),
        cmd!("decr", decr_command, 2, "wmF", 1, 1, 1),
        cmd!("mget", mget_command, -2, "rF", 1, -1, 1),
        cmd!("rpush", crate::t_list::rpush_command, -3, "wmF", 1, 1, 1),
        cmd!("lpush", crate::t_list::lpush_command, -3, "wmF", 1, 1, 1),
        cmd!("rpushx", crate::t_list::rpushx_command, -3, "wmF", 1, 1, 1),
        cmd!("lpushx", crate::t_list::lpushx_command, -3, "wmF", 1, 1, 1),
        cmd!("linsert", crate::t_list::linsert_command, 5, "wm", 1, 1, 1),
        cmd!("rpop", crate::t_list::rpop_command, 2, "wF", 1, 1, 1),
        cmd!("lpop", crate::t_list::lpop_command, 2, "wF", 1, 1, 1),
        cmd!("brpop", crate::t_list::brpop_command, -3, "ws", 1, -2, 1),
        cmd!("brpoplpush", crate::t_list::brpoplpush_command, 4, "wms", 1, 2, 1),
        cmd!("blpop", crate::t_list::blpop_command, -3, "ws", 1, -2, 1),
        cmd!("llen", crate::t_list::llen_command, 2, "rF", 1, 1, 1),
        cmd!("lindex", crate::t_list::lindex_command, 3, "r", 1, 1, 1),
        cmd!("lset", crate::t_list::lset_command, 4, "wm", 1, 1, 1),
        cmd!("lrange", crate::t_list::lrange_command, 4, "r", 1, 1, 1),
        cmd!("ltrim", crate::t_list::ltrim_command, 4, "w", 1, 1, 1),
        cmd!("lrem", crate::t_list::lrem_command, 4, "w", 1, 1, 1),
        cmd!("rpoplpush", crate::t_list::rpoplpush_command, 3, "wm", 1, 2, 1),
        cmd!("sadd", crate::t_set::sadd_command, -3, "wmF", 1, 1, 1),
        cmd!("srem", crate::t_set::srem_command, -3, "wF", 1, 1, 1),
        cmd!("smove", crate::t_set::smove_command, 4, "wF", 1, 2, 1),
        cmd!("sismember", crate::t_set::sismember_command, 3, "rF", 1, 1, 1),
        cmd!("scard", crate::t_set::scard_command, 2, "rF", 1, 1, 1),
        cmd!("spop", crate::t_set::spop_command, -2, "wRF", 1, 1, 1),
        cmd!("srandmember", crate::t_set::srandmember_command, -2, "rR", 1, 1, 1),
        cmd!("sinter", crate::t_set::sinter_command, -2, "rS", 1, -1, 1),
        cmd!("sinterstore", crate::t_set::sinterstore_command, -3, "wm", 1, -1, 1),
        cmd!("sunion", crate::t_set::sunion_command, -2, "rS", 1, -1, 1),
        cmd!("sunionstore", crate::t_set::sunionstore_command, -3, "wm", 1, -1, 1),
        cmd!("sdiff", crate::t_set::sdiff_command, -2, "rS", 1, -1, 1),
        cmd!("sdiffstore", crate::t_set::sdiffstore_command, -3, "wm", 1, -1, 1),
        cmd!("smembers", crate::t_set::sinter_command, 2, "rS", 1, 1, 1),
        cmd!("sscan", crate::t_set::sscan_command, -3, "rR", 1, 1, 1),
        cmd!("zadd", crate::t_zset::zadd_command, -4, "wmF", 1, 1, 1),
        cmd!("zincrby", crate::t_zset::zincrby_command, 4, "wmF", 1, 1, 1),
        cmd!("zrem", crate::t_zset::zrem_command, -3, "wF", 1, 1, 1),
        cmd!("zremrangebyscore", crate::t_zset::zremrangebyscore_command, 4, "w", 1, 1, 1),
        cmd!("zremrangebyrank", crate::t_zset::zremrangebyrank_command, 4, "w", 1, 1, 1),
        cmd!("zremrangebylex", crate::t_zset::zremrangebylex_command, 4, "w", 1, 1, 1),
        cmd!("zunionstore", crate::t_zset::zunionstore_command, -4, "wm", zunion_inter_get_keys, 0, 0, 0),
        cmd!("zinterstore", crate::t_zset::zinterstore_command, -4, "wm", zunion_inter_get_keys, 0, 0, 0),
        cmd!("zrange", crate::t_zset::zrange_command, -4, "r", 1, 1, 1),
        cmd!("zrangebyscore", crate::t_zset::zrangebyscore_command, -4, "r", 1, 1, 1),
        cmd!("zrevrangebyscore", crate::t_zset::zrevrangebyscore_command, -4, "r", 1, 1, 1),
        cmd!("zrangebylex", crate::t_zset::zrangebylex_command, -4, "r", 1, 1, 1),
        cmd!("zrevrangebylex", crate::t_zset::zrevrangebylex_command, -4, "r", 1, 1, 1),
        cmd!("zcount", crate::t_zset::zcount_command, 4, "rF", 1, 1, 1),
        cmd!("zlexcount", crate::t_zset::zlexcount_command, 4, "rF", 1, 1, 1),
        cmd!("zrevrange", crate::t_zset::zrevrange_command, -4, "r", 1, 1, 1),
        cmd!("zcard", crate::t_zset::zcard_command, 2, "rF", 1, 1, 1),
        cmd!("zscore", crate::t_zset::zscore_command, 3, "rF", 1, 1, 1),
        cmd!("zrank", crate::t_zset::zrank_command, 3, "rF", 1, 1, 1),
        cmd!("zrevrank", crate::t_zset::zrevrank_command, 3, "rF", 1, 1, 1),
        cmd!("zscan", crate::t_zset::zscan_command, -3, "rR", 1, 1, 1),
        cmd!("zpopmin", crate::t_zset::zpopmin_command, -2, "wF", 1, 1, 1),
        cmd!("zpopmax", crate::t_zset::zpopmax_command, -2, "wF", 1, 1, 1),
        cmd!("bzpopmin", crate::t_zset::bzpopmin_command, -3, "wsF", 1, -2, 1),
        cmd!("bzpopmax", crate::t_zset::bzpopmax_command, -3, "wsF", 1, -2, 1),
        cmd!("hset", crate::t_hash::hset_command, -4, "wmF", 1, 1, 1),
        cmd!("hsetnx", crate::t_hash::hsetnx_command, 4, "wmF", 1, 1, 1),
        cmd!("hget", crate::t_hash::hget_command, 3, "rF", 1, 1, 1),
        cmd!("hmset", crate::t_hash::hset_command, -4, "wmF", 1, 1, 1),
        cmd!("hmget", crate::t_hash::hmget_command, -3, "rF", 1, 1, 1),
        cmd!("hincrby", crate::t_hash::hincrby_command, 4, "wmF", 1, 1, 1),
        cmd!("hincrbyfloat", crate::t_hash::hincrbyfloat_command, 4, "wmF", 1, 1, 1),
        cmd!("hdel", crate::t_hash::hdel_command, -3, "wF", 1, 1, 1),
        cmd!("hlen", crate::t_hash::hlen_command, 2, "rF", 1, 1, 1),
        cmd!("hstrlen", crate::t_hash::hstrlen_command, 3, "rF", 1, 1, 1),
        cmd!("hkeys", crate::t_hash::hkeys_command, 2, "rS", 1, 1, 1),
        cmd!("hvals", crate::t_hash::hvals_command, 2, "rS", 1, 1, 1),
        cmd!("hgetall", crate::t_hash::hgetall_command, 2, "rR", 1, 1, 1),
        cmd!("hexists", crate::t_hash::hexists_command, 3, "rF", 1, 1, 1),
        cmd!("hscan", crate::t_hash::hscan_command, -3, "rR", 1, 1, 1),
        cmd!("incrby", incrby_command, 3, "wmF", 1, 1, 1),
        cmd!("decrby", decrby_command, 3, "wmF", 1, 1, 1),
        cmd!("incrbyfloat", incrbyfloat_command, 3, "wmF", 1, 1, 1),
        cmd!("getset", getset_command, 3, "wm", 1, 1, 1),
        cmd!("mset", mset_command, -3, "wm", 1, -1, 2),
        cmd!("msetnx", msetnx_command, -3, "wm", 1, -1, 2),
        cmd!("randomkey", randomkey_command, 1, "rR", 0, 0, 0),
        cmd!("select", select_command, 2, "lF", 0, 0, 0),
        cmd!("swapdb", swapdb_command, 3, "wF", 0, 0, 0),
        cmd!("move", move_command, 3, "wF", 1, 1, 1),
        cmd!("rename", rename_command, 3, "w", 1, 2, 1),
        cmd!("renamenx", renamenx_command, 3, "wF", 1, 2, 1),
        cmd!("expire", expire_command, 3, "wF", 1, 1, 1),
        cmd!("expireat", expireat_command, 3, "wF", 1, 1, 1),
        cmd!("pexpire", pexpire_command, 3, "wF", 1, 1, 1),
        cmd!("pexpireat", pexpireat_command, 3, "wF", 1, 1, 1),
        cmd!("keys", keys_command, 2, "rS", 0, 0, 0),
        cmd!("scan", scan_command, -2, "rR", 0, 0, 0),
        cmd!("dbsize", dbsize_command, 1, "rF", 0, 0, 0),
        cmd!("auth", auth_command, 2, "sltMF", 0, 0, 0),
        cmd!("ping", ping_command, -1, "tF", 0, 0, 0),
        cmd!("echo", echo_command, 2, "F", 0, 0, 0),
        cmd!("flushdb", flushdb_command, -1, "w", 0, 0, 0),
        cmd!("flushall", flushall_command, -1, "w", 0, 0, 0),
        cmd!("save", crate::rdb::save_command, 1, "as", 0, 0, 0),
        cmd!("bgsave", crate::rdb::bgsave_command, -1, "as", 0, 0, 0),
        cmd!("bgrewriteaof", crate::aof::bgrewriteaof_command, 1, "as", 0, 0, 0),
        cmd!("sync", crate::replication::sync_command, 1, "ars", 0, 0, 0),
        cmd!("psync", crate::replication::sync_command, 3, "ars", 0, 0, 0),
        cmd!("replconf", crate::replication::replconf_command, -1, "aslt", 0, 0, 0),
        cmd!("slaveof", crate::replication::replicaof_command, 3, "ast", 0, 0, 0),
        cmd!("replicaof", crate::replication::replicaof_command, 3, "ast", 0, 0, 0),
        cmd!("role", crate::replication::role_command, 1, "lst", 0, 0, 0),
        cmd!("wait", crate::replication::wait_command, 3, "s", 0, 0, 0),
        cmd!("shutdown", shutdown_command, -1, "aslt", 0, 0, 0),
        cmd!("lastsave", lastsave_command, 1, "RF", 0, 0, 0),
        cmd!("type", type_command, 2, "rF", 1, 1, 1),
        cmd!("sort", crate::sort::sort_command, -2, "wm", sort_get_keys, 1, 1, 1),
        cmd!("multi", crate::multi::multi_command, 1, "sF", 0, 0, 0),
        cmd!("exec", crate::multi::exec_command, 1, "sM", 0, 0, 0),
        cmd!("discard", crate::multi::discard_command, 1, "sF", 0, 0, 0),
        cmd!("info", info_command, -1, "ltR", 0, 0, 0),
        cmd!("monitor", monitor_command, 1, "as", 0, 0, 0),
        cmd!("ttl", ttl_command, 2, "rF", 1, 1, 1),
        cmd!("touch", touch_command, -2, "rF", 1, -1, 1),
        cmd!("pttl", pttl_command, 2, "rF", 1, 1, 1),
        cmd!("persist", persist_command, 2, "wF", 1, 1, 1),
        cmd!("debug", crate::debug::debug_command, -2, "as", 0, 0, 0),
        cmd!("config", crate::config::config_command, -2, "last", 0, 0, 0),
        cmd!("subscribe", crate::pubsub::subscribe_command, -2, "pslt", 0, 0, 0),
        cmd!("unsubscribe", crate::pubsub::unsubscribe_command, -1, "pslt", 0, 0, 0),
        cmd!("psubscribe", crate::pubsub::psubscribe_command, -2, "pslt", 0, 0, 0),
        cmd!("punsubscribe", crate::pubsub::punsubscribe_command, -1, "pslt", 0, 0, 0),
        cmd!("publish", crate::pubsub::publish_command, 3, "pltF", 0, 0, 0),
        cmd!("pubsub", crate::pubsub::pubsub_command, -2, "pltR", 0, 0, 0),
        cmd!("watch", crate::multi::watch_command, -2, "sF", 1, -1, 1),
        cmd!("unwatch", crate::multi::unwatch_command, 1, "sF", 0, 0, 0),
        cmd!("time", time_command, 1, "RF", 0, 0, 0),
        cmd!("bitop", crate::bitops::bitop_command, -4, "wm", 2, -1, 1),
        cmd!("bitcount", crate::bitops::bitcount_command, -2, "r", 1, 1, 1),
        cmd!("bitpos", crate::bitops::bitpos_command, -3, "r", 1, 1, 1),
        cmd!("command", command_command, 0, "ltR", 0, 0, 0),
        cmd!("geoadd", crate::geo::geoadd_command, -5, "wm", 1, 1, 1),
        cmd!("georadius", crate::geo::georadius_command, -6, "w", georadius_get_keys, 1, 1, 1),
        cmd!("georadius_ro", crate::geo::georadiusro_command, -6, "r", georadius_get_keys, 1, 1, 1),
        cmd!("georadiusbymember", crate::geo::georadiusbymember_command, -5, "w", georadius_get_keys, 1, 1, 1),
        cmd!("georadiusbymember_ro", crate::geo::georadiusbymemberro_command, -5, "r", georadius_get_keys, 1, 1, 1),
        cmd!("geohash", crate::geo::geohash_command, -2, "r", 1, 1, 1),
        cmd!("geopos", crate::geo::geopos_command, -2, "r", 1, 1, 1),
        cmd!("geodist", crate::geo::geodist_command, -4, "r", 1, 1, 1),
        cmd!("pfselftest", crate::hyperloglog::pfselftest_command, 1, "a", 0, 0, 0),
        cmd!("pfadd", crate::hyperloglog::pfadd_command, -2, "wmF", 1, 1, 1),
        cmd!("pfcount", crate::hyperloglog::pfcount_command, -2, "r", 1, -1, 1),
        cmd!("pfmerge", crate::hyperloglog::pfmerge_command, -2, "wm", 1, -1, 1),
        cmd!("pfdebug", crate::hyperloglog::pfdebug_command, -3, "w", 0, 0, 0),
        cmd!("xadd", crate::t_stream::xadd_command, -5, "wmFR", 1, 1, 1),
        cmd!("xrange", crate::t_stream::xrange_command, -4, "r", 1, 1, 1),
        cmd!("xrevrange", crate::t_stream::xrevrange_command, -4, "r", 1, 1, 1),
        cmd!("xlen", crate::t_stream::xlen_command, 2, "rF", 1, 1, 1),
        cmd!("xread", crate::t_stream::xread_command, -4, "rs", xread_get_keys, 1, 1, 1),
        cmd!("xreadgroup", crate::t_stream::xread_command, -7, "ws", xread_get_keys, 1, 1, 1),
        cmd!("xgroup", crate::t_stream::xgroup_command, -2, "wm", 2, 2, 1),
        cmd!("xsetid", crate::t_stream::xsetid_command, 3, "wmF", 1, 1, 1),
        cmd!("xack", crate::t_stream::xack_command, -4, "wF", 1, 1, 1),
        cmd!("xpending", crate::t_stream::xpending_command, -3, "rR", 1, 1, 1),
        cmd!("xclaim", crate::t_stream::xclaim_command, -6, "wRF", 1, 1, 1),
        cmd!("xinfo", crate::t_stream::xinfo_command, -2, "rR", 2, 2, 1),
        cmd!("xdel", crate::t_stream::xdel_command, -3, "wF", 1, 1, 1),
        cmd!("xtrim", crate::t_stream::xtrim_command, -2, "wFR", 1, 1, 1),
        cmd!("post", crate::networking::security_warning_command, -1, "lt", 0, 0, 0),
        cmd!("host:", crate::networking::security_warning_command, -1, "lt", 0, 0, 0),
        cmd!("latency", crate::latency::latency_command, -2, "aslt", 0, 0, 0),
        cmd!("object", crate::object::object_command, -2, "rR", 2, 2, 1),
        cmd!("memory", crate::object::memory_command, -2, "rR", 0, 0, 0),
        cmd!("client", crate::networking::client_command, -2, "as", 0, 0, 0),
        cmd!("eval", crate::scripting::eval_command, -3, "s", eval_get_keys, 0, 0, 0),
        cmd!("evalsha", crate::scripting::eval_sha_command, -3, "s", eval_get_keys, 0, 0, 0),
        cmd!("slowlog", crate::slowlog::slowlog_command, -2, "aR", 0, 0, 0),
        cmd!("script", crate::scripting::script_command, -2, "s", 0, 0, 0),
    ]
}

/// Populates the Redis Command Table starting from the hard coded list we
/// have in this file, turning each sflags string into flags.
///
/// C: server.c populateCommandTable()
pub(crate) fn populate_command_table(server: &mut RedisServer) {
    server.commands = redis_command_table();
    server.commands.extend(extra_commands());
    for (j, c) in server.commands.iter_mut().enumerate() {
        for f in c.sflags.bytes() {
            c.flags |= match f {
                b'w' => CMD_WRITE,
                b'r' => CMD_READONLY,
                b'm' => CMD_DENYOOM,
                b'a' => CMD_ADMIN,
                b'p' => CMD_PUBSUB,
                b's' => CMD_NOSCRIPT,
                b'R' => CMD_RANDOM,
                b'S' => CMD_SORT_FOR_SCRIPT,
                b'l' => CMD_LOADING,
                b't' => CMD_STALE,
                b'M' => CMD_SKIP_MONITOR,
                b'k' => CMD_ASKING,
                b'F' => CMD_FAST,
                _ => 0,
            };
        }
        server.command_index.insert(c.name.as_bytes(), j);
    }
    // C: initServerConfig() caches these right after populateCommandTable.
    server.multi_command = lookup_command(server, b"multi").unwrap_or(0);
    server.exec_command = lookup_command(server, b"exec").unwrap_or(0);
}

/// The commands of later modules (networking.c, config.c, debug.c, ...),
/// kept apart so each can be listed where its module lands. Their order in
/// the C table is kept within each group. (no C twin)
fn extra_commands() -> Vec<RedisCommand> {
    Vec::new()
}

/// C: server.c resetCommandTableStats()
pub(crate) fn reset_command_table_stats(server: &mut RedisServer) {
    for c in server.commands.iter_mut() {
        c.microseconds = 0;
        c.calls = 0;
    }
}

/// Looks a command up by name, case-insensitively, without allocating.
///
/// C: server.c lookupCommand()
pub(crate) fn lookup_command(
    server: &RedisServer,
    name: &[u8],
) -> Option<usize> {
    let mut buf = [0u8; 32];
    if name.len() > buf.len() {
        // A name given by rename-command may be longer than any in the
        // table.
        let lower = name.to_ascii_lowercase();
        return server.command_index.get(&lower[..]).copied();
    }
    for (d, s) in buf.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    server.command_index.get(&buf[..name.len()]).copied()
}

/// Lookup the command in the current table, if not found also check in
/// the original table containing the original command names unaffected by
/// redis.conf rename-command statement.
///
/// This is used by functions rewriting the argument vector such as
/// rewriteClientCommandVector() in order to set client->cmd pointer
/// correctly even if the command was renamed.
///
/// C: server.c lookupCommandOrOriginal()
pub(crate) fn lookup_command_or_original(
    server: &RedisServer,
    name: &[u8],
) -> Option<usize> {
    // C keeps a second dict, server.orig_commands; the table entries keep
    // their original names, so it is a search of the table here.
    lookup_command(server, name).or_else(|| {
        server
            .commands
            .iter()
            .position(|c| c.name.as_bytes().eq_ignore_ascii_case(name))
    })
}

/// Propagate the specified command (in the context of the specified
/// database id) to AOF and Slaves.
///
/// C: server.c propagate()
pub(crate) fn propagate(
    server: &mut RedisServer,
    cmd: usize,
    dbid: usize,
    argv: &[Vec<u8>],
    flags: i32,
) {
    if server.aof_state != crate::config::AOF_OFF && flags & PROPAGATE_AOF != 0
    {
        let name = server.commands[cmd].name;
        crate::aof::feed_append_only_file(server, name, dbid as i32, argv);
    }
    if flags & PROPAGATE_REPL != 0 {
        crate::replication::replication_feed_slaves(server, dbid as i32, argv);
    }
}

/// propagate() of an argv that its caller gives away (call()'s own command,
/// read no more before resetClient, and the alsoPropagate() ops): a big
/// argument moves into a replica's output buffer instead of being copied
/// there (see `replication_feed_slaves_moving_args`). (no C twin)
fn propagate_moving_args(
    server: &mut RedisServer,
    cmd: usize,
    dbid: usize,
    argv: &mut [Vec<u8>],
    flags: i32,
) {
    if server.aof_state != crate::config::AOF_OFF && flags & PROPAGATE_AOF != 0
    {
        let name = server.commands[cmd].name;
        crate::aof::feed_append_only_file(server, name, dbid as i32, argv);
    }
    if flags & PROPAGATE_REPL != 0 {
        crate::replication::replication_feed_slaves_moving_args(
            server,
            dbid as i32,
            argv,
        );
    }
}

/// Used inside commands to schedule the propagation of additional commands
/// after the current command is propagated to AOF / Replication.
///
/// C: server.c alsoPropagate()
pub(crate) fn also_propagate(
    server: &mut RedisServer,
    cmd: usize,
    dbid: usize,
    argv: Vec<Vec<u8>>,
    target: i32,
) {
    server.also_propagate.push(RedisOp { argv, dbid, target, cmd });
}

/// It is possible to call the function forceCommandPropagation() inside a
/// Redis command implementation in order to to force the propagation of a
/// specific command execution into AOF / Replication.
///
/// C: server.c forceCommandPropagation()
pub(crate) fn force_command_propagation(c: &mut Client, flags: i32) {
    if flags & PROPAGATE_REPL != 0 {
        c.flags |= CLIENT_FORCE_REPL;
    }
    if flags & PROPAGATE_AOF != 0 {
        c.flags |= CLIENT_FORCE_AOF;
    }
}

/// Avoid that the executed command is propagated at all. This way we are
/// free to just propagate what we want using the alsoPropagate() API.
///
/// C: server.c preventCommandPropagation()
pub(crate) fn prevent_command_propagation(c: &mut Client) {
    c.flags |= CLIENT_PREVENT_PROP;
}

/// Call() is the core of Redis execution of a command: it runs the
/// command, counts its stats and propagates it when it changed the dataset
/// (server.dirty moved) or asked for it.
///
/// C: server.c call()
pub(crate) fn call(server: &mut RedisServer, c: &mut Client, mut flags: i32) {
    let client_old_flags = c.flags;
    let Some(cmd_idx) = c.cmd else { return };
    let real_cmd = cmd_idx;

    server.fixed_time_expire += 1;

    // Sent the command to clients in MONITOR mode, only if the commands are
    // not generated from reading an AOF.
    if !server.monitors.is_empty()
        && !server.loading
        && server.commands[cmd_idx].flags & (CMD_SKIP_MONITOR | CMD_ADMIN) == 0
    {
        let (dbid, argv) = (c.db, std::mem::take(&mut c.argv));
        crate::replication::replication_feed_monitors(server, c, dbid, &argv);
        c.argv = argv;
    }

    // Initialization: clear the flags that must be set by the command on
    // demand, and initialize the array for additional commands propagation.
    c.flags &= !(CLIENT_FORCE_AOF | CLIENT_FORCE_REPL | CLIENT_PREVENT_PROP);
    let prev_also_propagate = std::mem::take(&mut server.also_propagate);

    // Call the command.
    let dirty_before = server.dirty;
    c.moved_args.clear();
    update_cached_time(server);
    let start = server.ustime;
    (server.commands[cmd_idx].proc_)(server, c);
    let duration = ustime() - start;
    let dirty = (server.dirty - dirty_before).max(0);

    if server.loading && c.flags & CLIENT_LUA != 0 {
        flags &= !(CMD_CALL_SLOWLOG | CMD_CALL_STATS);
    }

    // Log the command into the Slow log if needed, and populate the
    // per-command statistics that we show in INFO commandstats.
    let ccmd = c.cmd.unwrap_or(cmd_idx);
    if flags & CMD_CALL_SLOWLOG != 0 && server.commands[ccmd].name != "exec" {
        let latency_event = if server.commands[ccmd].flags & CMD_FAST != 0 {
            "fast-command"
        } else {
            "command"
        };
        crate::latency::latency_add_sample_if_needed(
            server,
            latency_event,
            duration / 1000,
        );
        if server.slowlog_log_slower_than >= 0 {
            let argv = std::mem::take(&mut c.argv);
            crate::slowlog::slowlog_push_entry_if_needed(
                server, c, &argv, duration,
            );
            c.argv = argv;
        }
    }
    if flags & CMD_CALL_STATS != 0 {
        // Use the real command that was executed (cmd and lastcmd may be
        // different, in case of MULTI-EXEC or re-written commands).
        let rc = &mut server.commands[real_cmd];
        rc.microseconds += duration;
        rc.calls += 1;
    }

    // Propagate the command into the AOF and replication link
    if flags & CMD_CALL_PROPAGATE != 0
        && (c.flags & CLIENT_PREVENT_PROP) != CLIENT_PREVENT_PROP
    {
        let mut propagate_flags = PROPAGATE_NONE;

        // Check if the command operated changes in the data set. If so set
        // for replication / AOF propagation.
        if dirty != 0 {
            propagate_flags |= PROPAGATE_AOF | PROPAGATE_REPL;
        }
        // If the client forced AOF / replication of the command, set the
        // flags regardless of the command effects on the data set.
        if c.flags & CLIENT_FORCE_REPL != 0 {
            propagate_flags |= PROPAGATE_REPL;
        }
        if c.flags & CLIENT_FORCE_AOF != 0 {
            propagate_flags |= PROPAGATE_AOF;
        }
        // However prevent AOF / replication propagation if the command
        // implementations called preventCommandPropagation() or similar, or
        // if we don't have the call() flags to do so.
        if c.flags & CLIENT_PREVENT_REPL_PROP != 0
            || flags & CMD_CALL_PROPAGATE_REPL == 0
        {
            propagate_flags &= !PROPAGATE_REPL;
        }
        if c.flags & CLIENT_PREVENT_AOF_PROP != 0
            || flags & CMD_CALL_PROPAGATE_AOF == 0
        {
            propagate_flags &= !PROPAGATE_AOF;
        }
        if propagate_flags != PROPAGATE_NONE {
            let cmd = c.cmd.unwrap_or(cmd_idx);
            propagate_moving_args(
                server,
                cmd,
                c.db,
                &mut c.argv,
                propagate_flags,
            );
        }
    }

    // Restore the old replication flags, since call() can be executed
    // recursively.
    c.flags &= !(CLIENT_FORCE_AOF | CLIENT_FORCE_REPL | CLIENT_PREVENT_PROP);
    c.flags |= client_old_flags
        & (CLIENT_FORCE_AOF | CLIENT_FORCE_REPL | CLIENT_PREVENT_PROP);

    // Handle the alsoPropagate() API to handle commands that want to
    // propagate multiple separated commands. Note that alsoPropagate() is
    // not affected by CLIENT_PREVENT_PROP flag.
    if !server.also_propagate.is_empty() {
        let ops = std::mem::take(&mut server.also_propagate);
        if flags & CMD_CALL_PROPAGATE != 0 {
            for mut rop in ops {
                let mut target = rop.target;
                // Whatever the command wish is, we honor the call() flags.
                if flags & CMD_CALL_PROPAGATE_AOF == 0 {
                    target &= !PROPAGATE_AOF;
                }
                if flags & CMD_CALL_PROPAGATE_REPL == 0 {
                    target &= !PROPAGATE_REPL;
                }
                if target != 0 {
                    propagate_moving_args(
                        server,
                        rop.cmd,
                        rop.dbid,
                        &mut rop.argv,
                        target,
                    );
                }
            }
        }
    }
    server.also_propagate = prev_also_propagate;
    server.fixed_time_expire -= 1;
    server.stat_numcommands += 1;

    // What the command aimed at its own (running) client and is still
    // waiting, such as the message of a keyspace event published after
    // the reply (RPUSH) in an EXEC that subscribed: it follows the
    // command's output, as in C. See `networking::client_table`.
    crate::networking::apply_deferred(server, c);
}

/// If this function gets called we already read a whole command, arguments
/// are in the client argv field. processCommand() executes the command or
/// prepares the server for a bulk read from the client.
///
/// If C_OK is returned the client is still alive and valid and other
/// operations can be performed by the caller. Otherwise if C_ERR is returned
/// the client was destroyed (i.e. after QUIT).
///
/// C: server.c processCommand()
pub(crate) fn process_command(
    server: &mut RedisServer,
    c: &mut Client,
) -> CResult {
    // Not in C, which writes through client pointers at once: what was
    // aimed at this client since its previous command, while it stayed
    // running (a pipeline runs in one stretch), is applied before the new
    // command looks at it, so that `WATCH x`, `SET x`, `MULTI`, `EXEC`
    // sent together fail as in C. See `networking::client_table`.
    crate::networking::apply_deferred(server, c);

    // The QUIT command is handled separately. Normal command procs will go
    // through checking for replication and QUIT will cause trouble when
    // FORCE_REPLICATION is enabled and would be implemented in a regular
    // command proc.
    if c.argv[0].eq_ignore_ascii_case(b"quit") {
        add_reply(c, shared::OK);
        c.flags |= CLIENT_CLOSE_AFTER_REPLY;
        return Err(CErr);
    }

    // Now lookup the command and check ASAP about trivial error conditions
    // such as wrong arity, bad command name and so forth.
    let cmd = lookup_command(server, &c.argv[0]);
    c.cmd = cmd;
    c.lastcmd = cmd;
    let Some(cmd) = cmd else {
        crate::multi::flag_transaction(c);
        // Built as bytes, as C's sdscatprintf builds it: `%s` and `%.*s`
        // copy raw bytes up to a NUL; add_reply_error_length turns \r and
        // \n into spaces.
        let mut args: Vec<u8> = Vec::new();
        let mut i = 1;
        while i < c.argv.len() && args.len() < 128 {
            let room = 128 - args.len();
            args.push(b'`');
            let a = crate::networking::c_str(&c.argv[i]);
            args.extend_from_slice(&a[..a.len().min(room)]);
            args.extend_from_slice(b"`, ");
            i += 1;
        }
        let mut msg = b"unknown command `".to_vec();
        msg.extend_from_slice(crate::networking::c_str(&c.argv[0]));
        msg.extend_from_slice(b"`, with args beginning with: ");
        msg.extend_from_slice(&args);
        crate::networking::add_reply_error_length(c, &msg);
        return Ok(());
    };
    let (arity, cflags, name) = {
        let rc = &server.commands[cmd];
        (rc.arity, rc.flags, rc.name)
    };
    let argc = c.argv.len() as i32;
    if (arity > 0 && arity != argc) || argc < -arity {
        crate::multi::flag_transaction(c);
        add_reply_error_format(
            c,
            format_args!("wrong number of arguments for '{}' command", name),
        );
        return Ok(());
    }

    // Check if the user is authenticated
    if server.requirepass.is_some() && !c.authenticated && name != "auth" {
        crate::multi::flag_transaction(c);
        add_reply(c, shared::NOAUTHERR);
        return Ok(());
    }

    // Handle the maxmemory directive.
    //
    // Note that we do not want to reclaim memory if we are here re-entering
    // the event loop since there is a busy Lua script running in timeout
    // condition, to avoid mixing the propagation of scripts with the
    // propagation of DELs due to eviction.
    if server.maxmemory != 0 && !server.lua_timedout {
        let out_of_memory =
            crate::evict::free_memory_if_needed_and_safe(server).is_err();
        // free_memory_if_needed may flush slave output buffers. This may
        // result into a slave, that may be the active client, to be freed.
        if server.current_client.is_none() {
            return Err(CErr);
        }

        // It was impossible to free enough memory, and the command the
        // client is trying to execute is denied during OOM conditions or
        // the client is in MULTI/EXEC context? Error.
        if out_of_memory
            && (cflags & CMD_DENYOOM != 0
                || (c.flags & CLIENT_MULTI != 0 && name != "exec"))
        {
            crate::multi::flag_transaction(c);
            add_reply(c, shared::OOMERR);
            return Ok(());
        }

        // Save out_of_memory result at script start, otherwise if we check
        // OOM until first write within script, memory used by lua stack and
        // arguments might interfere.
        if name == "eval" || name == "evalsha" {
            server.lua_oom = out_of_memory;
        }
    }

    // Don't accept write commands if there are problems persisting on disk
    // and if this is a master instance.
    let deny_write_type =
        crate::rdb::write_commands_denied_by_disk_error(server);
    if deny_write_type != crate::rdb::DISK_ERROR_TYPE_NONE
        && server.masterhost.is_none()
        && (cflags & CMD_WRITE != 0 || name == "ping")
    {
        crate::multi::flag_transaction(c);
        add_reply(c, &crate::rdb::disk_error_reply(server, deny_write_type));
        return Ok(());
    }

    // Don't accept write commands if there are not enough good slaves and
    // user configured the min-slaves-to-write option.
    if server.masterhost.is_none()
        && server.repl_min_slaves_to_write != 0
        && server.repl_min_slaves_max_lag != 0
        && cflags & CMD_WRITE != 0
        && server.repl_good_slaves_count < server.repl_min_slaves_to_write
    {
        crate::multi::flag_transaction(c);
        add_reply(c, shared::NOREPLICASERR);
        return Ok(());
    }

    // Don't accept write commands if this is a read only slave. But accept
    // write commands if this is our master.
    if server.masterhost.is_some()
        && server.repl_slave_ro
        && c.flags & CLIENT_MASTER == 0
        && cflags & CMD_WRITE != 0
    {
        add_reply(c, shared::ROSLAVEERR);
        return Ok(());
    }

    // Only allow SUBSCRIBE and UNSUBSCRIBE in the context of Pub/Sub
    if c.flags & CLIENT_PUBSUB != 0
        && !matches!(
            name,
            "ping"
                | "subscribe"
                | "unsubscribe"
                | "psubscribe"
                | "punsubscribe"
        )
    {
        add_reply_error(c, "only (P)SUBSCRIBE / (P)UNSUBSCRIBE / PING / QUIT allowed in this context");
        return Ok(());
    }

    // Only allow commands with flag "t", such as INFO, SLAVEOF and so on,
    // when slave-serve-stale-data is no and we are a slave with a broken
    // link with master.
    if server.masterhost.is_some()
        && server.repl_state != REPL_STATE_CONNECTED
        && !server.repl_serve_stale_data
        && cflags & CMD_STALE == 0
    {
        crate::multi::flag_transaction(c);
        add_reply(c, shared::MASTERDOWNERR);
        return Ok(());
    }

    // Loading DB? Return an error if the command has not the CMD_LOADING
    // flag.
    if server.loading && cflags & CMD_LOADING == 0 {
        add_reply(c, shared::LOADINGERR);
        return Ok(());
    }

    // Lua script too slow? Only allow a limited number of commands.
    if server.lua_timedout
        && !matches!(name, "auth" | "replconf")
        && !(name == "shutdown"
            && c.argv.len() == 2
            && c.argv[1].first().map(u8::to_ascii_lowercase) == Some(b'n'))
        && !(name == "script"
            && c.argv.len() == 2
            && c.argv[1].first().map(u8::to_ascii_lowercase) == Some(b'k'))
    {
        crate::multi::flag_transaction(c);
        add_reply(c, shared::SLOWSCRIPTERR);
        return Ok(());
    }

    // Exec the command
    if c.flags & CLIENT_MULTI != 0
        && !matches!(name, "exec" | "discard" | "multi" | "watch")
    {
        crate::multi::queue_multi_command(server, c);
        add_reply(c, shared::QUEUED);
    } else {
        call(server, c, CMD_CALL_FULL);
        c.woff = server.master_repl_offset;
        crate::blocked::handle_clients_blocked_on_keys(server);
    }
    Ok(())
}
