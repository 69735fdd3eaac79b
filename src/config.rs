//! redis.conf and the CONFIG command: the file parser (also fed the
//! `--name value` arguments of the command line), CONFIG GET, CONFIG SET,
//! CONFIG RESETSTAT and CONFIG REWRITE, which edits the file in place and
//! keeps every line it does not understand.
//!
//! Ports config.c from Redis 5.0.14, in the same order. The last section
//! holds the start-up helpers of server.c's main() that read the
//! configuration (usage, version, daemonize, supervision, the pid file, the
//! logo, the Linux warnings), kept beside the parser so server.rs stays the
//! shared core.
//!
//! Before reading: a config error at start-up is not a `Result`. As in C it
//! prints the "FATAL CONFIG FILE ERROR" report on stderr and exits, since
//! nothing else has started yet. Directives for subsystems this port does
//! not have (AOF, cluster, modules, sentinel, active defrag, syslog) are
//! parsed and stored with C's checks so CONFIG GET/REWRITE round-trip them;
//! each place where the server then behaves differently says so.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{self, Read, Write};

use crate::networking::{
    add_deferred_multi_bulk_length, add_reply, add_reply_bulk, add_reply_error,
    add_reply_error_format, add_reply_error_length, add_reply_help,
    add_reply_subcommand_syntax_error, get_client_type_by_name,
    get_client_type_name, set_deferred_multi_bulk_length,
};
use crate::notify::{
    keyspace_events_flags_to_string, keyspace_events_string_to_flags,
};
use crate::server::*;
use crate::server_log;
use crate::util::{sdscatrepr, sdssplitargs, strerror, stringmatch};

// ------------------- server.h: configuration defaults and enums -------------------
//
// The header constants that only the configuration reads or writes back.
// (The ones server.rs already had, such as CONFIG_DEFAULT_SERVER_PORT, stay
// there.)

pub const CONFIG_DEFAULT_DYNAMIC_HZ: bool = true;
pub const AOF_REWRITE_PERC: i32 = 100;
pub const AOF_REWRITE_MIN_SIZE: i64 = 64 * 1024 * 1024;
pub const CONFIG_DEFAULT_SLOWLOG_LOG_SLOWER_THAN: i64 = 10000;
pub const CONFIG_DEFAULT_SLOWLOG_MAX_LEN: u64 = 128;
pub const CONFIG_DEFAULT_SLAVE_PRIORITY: i32 = 100;
pub const CONFIG_DEFAULT_REPL_TIMEOUT: i32 = 60;
pub const CONFIG_DEFAULT_REPL_PING_SLAVE_PERIOD: i32 = 10;
pub const CONFIG_DEFAULT_REPL_BACKLOG_SIZE: i64 = 1024 * 1024; // 1mb
pub const CONFIG_DEFAULT_REPL_BACKLOG_TIME_LIMIT: i64 = 60 * 60; // 1 hour
pub const CONFIG_REPL_BACKLOG_MIN_SIZE: i64 = 1024 * 16; // 16k
pub const CONFIG_DEFAULT_SYSLOG_IDENT: &str = "redis";
pub const CONFIG_DEFAULT_IGNORE_WARNINGS: &str = "ARM64-COW-BUG";
pub const CONFIG_DEFAULT_CLUSTER_CONFIG_FILE: &str = "nodes.conf";
pub const CONFIG_DEFAULT_CLUSTER_ANNOUNCE_PORT: i32 = 0; // Use server.port
pub const CONFIG_DEFAULT_CLUSTER_ANNOUNCE_BUS_PORT: i32 = 0; // +10000 offset
pub const CONFIG_DEFAULT_DAEMONIZE: bool = false;
pub const CONFIG_DEFAULT_UNIX_SOCKET_PERM: u32 = 0;
pub const CONFIG_DEFAULT_LOGFILE: &str = "";
pub const CONFIG_DEFAULT_SYSLOG_ENABLED: bool = false;
pub const CONFIG_DEFAULT_STOP_WRITES_ON_BGSAVE_ERROR: bool = true;
pub const CONFIG_DEFAULT_RDB_COMPRESSION: bool = true;
pub const CONFIG_DEFAULT_RDB_CHECKSUM: bool = true;
pub const CONFIG_DEFAULT_REPL_DISKLESS_SYNC: bool = false;
pub const CONFIG_DEFAULT_REPL_DISKLESS_SYNC_DELAY: i32 = 5;
pub const CONFIG_DEFAULT_SLAVE_SERVE_STALE_DATA: bool = true;
pub const CONFIG_DEFAULT_SLAVE_READ_ONLY: bool = true;
pub const CONFIG_DEFAULT_SLAVE_IGNORE_MAXMEMORY: bool = true;
pub const CONFIG_DEFAULT_SLAVE_ANNOUNCE_PORT: i32 = 0;
pub const CONFIG_DEFAULT_REPL_DISABLE_TCP_NODELAY: bool = false;
pub const CONFIG_DEFAULT_MAXMEMORY: u64 = 0;
pub const CONFIG_DEFAULT_MAXMEMORY_SAMPLES: i32 = 5;
pub const CONFIG_DEFAULT_LFU_LOG_FACTOR: i32 = 10;
pub const CONFIG_DEFAULT_AOF_FILENAME: &str = "appendonly.aof";
pub const CONFIG_DEFAULT_AOF_NO_FSYNC_ON_REWRITE: bool = false;
pub const CONFIG_DEFAULT_AOF_LOAD_TRUNCATED: bool = true;
pub const CONFIG_DEFAULT_AOF_USE_RDB_PREAMBLE: bool = true;
pub const CONFIG_DEFAULT_ACTIVE_REHASHING: bool = true;
pub const CONFIG_DEFAULT_AOF_REWRITE_INCREMENTAL_FSYNC: bool = true;
pub const CONFIG_DEFAULT_RDB_SAVE_INCREMENTAL_FSYNC: bool = true;
pub const CONFIG_DEFAULT_MIN_SLAVES_TO_WRITE: i32 = 0;
pub const CONFIG_DEFAULT_MIN_SLAVES_MAX_LAG: i32 = 10;
pub const CONFIG_DEFAULT_LATENCY_MONITOR_THRESHOLD: i64 = 0;
pub const CONFIG_DEFAULT_SLAVE_LAZY_FLUSH: bool = false;
pub const CONFIG_DEFAULT_LAZYFREE_LAZY_EVICTION: bool = false;
pub const CONFIG_DEFAULT_LAZYFREE_LAZY_EXPIRE: bool = false;
pub const CONFIG_DEFAULT_LAZYFREE_LAZY_SERVER_DEL: bool = false;
pub const CONFIG_DEFAULT_ALWAYS_SHOW_LOGO: bool = false;
pub const CONFIG_DEFAULT_ACTIVE_DEFRAG: bool = false;
/// Don't defrag when fragmentation is below 10%.
pub const CONFIG_DEFAULT_DEFRAG_THRESHOLD_LOWER: i32 = 10;
/// Maximum defrag force at 100% fragmentation.
pub const CONFIG_DEFAULT_DEFRAG_THRESHOLD_UPPER: i32 = 100;
/// Don't defrag if frag overhead is below 100mb.
pub const CONFIG_DEFAULT_DEFRAG_IGNORE_BYTES: usize = 100 << 20;
/// 5% CPU min (at lower threshold).
pub const CONFIG_DEFAULT_DEFRAG_CYCLE_MIN: i32 = 5;
/// 75% CPU max (at upper threshold).
pub const CONFIG_DEFAULT_DEFRAG_CYCLE_MAX: i32 = 75;
/// Keys with more than 1000 fields will be processed separately.
pub const CONFIG_DEFAULT_DEFRAG_MAX_SCAN_FIELDS: u64 = 1000;

/// AOF states.
pub const AOF_OFF: i32 = 0; // AOF is off
pub const AOF_ON: i32 = 1; // AOF is on
pub const AOF_WAIT_REWRITE: i32 = 2; // AOF waits rewrite to start appending

/// Supervision options.
pub const SUPERVISED_NONE: i32 = 0;
pub const SUPERVISED_AUTODETECT: i32 = 1;
pub const SUPERVISED_SYSTEMD: i32 = 2;
pub const SUPERVISED_UPSTART: i32 = 3;

/// Append only defines.
pub const AOF_FSYNC_NO: i32 = 0;
pub const AOF_FSYNC_ALWAYS: i32 = 1;
pub const AOF_FSYNC_EVERYSEC: i32 = 2;
pub const CONFIG_DEFAULT_AOF_FSYNC: i32 = AOF_FSYNC_EVERYSEC;

/// Zipped structures related defaults.
pub const OBJ_HASH_MAX_ZIPLIST_ENTRIES: usize = 512;
pub const OBJ_HASH_MAX_ZIPLIST_VALUE: usize = 64;
pub const OBJ_SET_MAX_INTSET_ENTRIES: usize = 512;
pub const OBJ_ZSET_MAX_ZIPLIST_ENTRIES: usize = 128;
pub const OBJ_ZSET_MAX_ZIPLIST_VALUE: usize = 64;
pub const OBJ_STREAM_NODE_MAX_BYTES: usize = 4096;
pub const OBJ_STREAM_NODE_MAX_ENTRIES: i64 = 100;

/// List defaults.
pub const OBJ_LIST_MAX_ZIPLIST_SIZE: i32 = -2;
pub const OBJ_LIST_COMPRESS_DEPTH: i32 = 0;

/// HyperLogLog defines.
pub const CONFIG_DEFAULT_HLL_SPARSE_MAX_BYTES: usize = 3000;

// The maxmemory policies (MAXMEMORY_*) and CONFIG_DEFAULT_MAXMEMORY_POLICY
// live in server.rs, beside their readers in object.rs.

/// Scripting: milliseconds.
pub const LUA_SCRIPT_TIME_LIMIT: i64 = 5000;

/// cluster.h defaults.
pub const CLUSTER_DEFAULT_NODE_TIMEOUT: i64 = 15000;
pub const CLUSTER_DEFAULT_SLAVE_VALIDITY: i32 = 10; // Slave max data age factor.
pub const CLUSTER_DEFAULT_REQUIRE_FULL_COVERAGE: bool = true;
pub const CLUSTER_DEFAULT_SLAVE_NO_FAILOVER: bool = false; // Failover by default.
pub const CLUSTER_DEFAULT_MIGRATION_BARRIER: i32 = 1;

// ----------------------- Config file name-value maps -----------------------

/// One name of an enumerated option and its value. C: struct configEnum
pub struct ConfigEnum {
    pub name: &'static str,
    pub val: i32,
}

macro_rules! config_enum {
    ($($name:expr => $val:expr),* $(,)?) => {
        &[$(ConfigEnum { name: $name, val: $val }),*]
    };
}

pub static MAXMEMORY_POLICY_ENUM: &[ConfigEnum] = config_enum![
    "volatile-lru" => MAXMEMORY_VOLATILE_LRU,
    "volatile-lfu" => MAXMEMORY_VOLATILE_LFU,
    "volatile-random" => MAXMEMORY_VOLATILE_RANDOM,
    "volatile-ttl" => MAXMEMORY_VOLATILE_TTL,
    "allkeys-lru" => MAXMEMORY_ALLKEYS_LRU,
    "allkeys-lfu" => MAXMEMORY_ALLKEYS_LFU,
    "allkeys-random" => MAXMEMORY_ALLKEYS_RANDOM,
    "noeviction" => MAXMEMORY_NO_EVICTION,
];

pub static SYSLOG_FACILITY_ENUM: &[ConfigEnum] = config_enum![
    "user" => libc::LOG_USER,
    "local0" => libc::LOG_LOCAL0,
    "local1" => libc::LOG_LOCAL1,
    "local2" => libc::LOG_LOCAL2,
    "local3" => libc::LOG_LOCAL3,
    "local4" => libc::LOG_LOCAL4,
    "local5" => libc::LOG_LOCAL5,
    "local6" => libc::LOG_LOCAL6,
    "local7" => libc::LOG_LOCAL7,
];

pub static LOGLEVEL_ENUM: &[ConfigEnum] = config_enum![
    "debug" => LL_DEBUG,
    "verbose" => LL_VERBOSE,
    "notice" => LL_NOTICE,
    "warning" => LL_WARNING,
];

pub static SUPERVISED_MODE_ENUM: &[ConfigEnum] = config_enum![
    "upstart" => SUPERVISED_UPSTART,
    "systemd" => SUPERVISED_SYSTEMD,
    "auto" => SUPERVISED_AUTODETECT,
    "no" => SUPERVISED_NONE,
];

pub static AOF_FSYNC_ENUM: &[ConfigEnum] = config_enum![
    "everysec" => AOF_FSYNC_EVERYSEC,
    "always" => AOF_FSYNC_ALWAYS,
    "no" => AOF_FSYNC_NO,
];

// Output buffer limits presets: CLIENT_BUFFER_LIMITS_DEFAULTS in server.rs
// (C: clientBufferLimitsDefaults, defined here in config.c).

// ------------------------- Enum access functions -------------------------

/// Get enum value from name. If there is no match `None` is returned (C
/// returns INT_MIN).
///
/// C: config.c configEnumGetValue()
pub fn config_enum_get_value(ce: &[ConfigEnum], name: &[u8]) -> Option<i32> {
    ce.iter()
        .find(|e| e.name.as_bytes().eq_ignore_ascii_case(name))
        .map(|e| e.val)
}

/// Get enum name from value. If no match is found `None` is returned.
///
/// C: config.c configEnumGetName()
pub fn config_enum_get_name(
    ce: &[ConfigEnum],
    val: i32,
) -> Option<&'static str> {
    ce.iter().find(|e| e.val == val).map(|e| e.name)
}

/// Wrapper for config_enum_get_name() returning "unknown" instead of
/// `None` if there is no match.
///
/// C: config.c configEnumGetNameOrUnknown()
pub fn config_enum_get_name_or_unknown(
    ce: &[ConfigEnum],
    val: i32,
) -> &'static str {
    config_enum_get_name(ce, val).unwrap_or("unknown")
}

/// Used for INFO generation.
///
/// C: config.c evictPolicyToString()
pub fn evict_policy_to_string(server: &RedisServer) -> &'static str {
    config_enum_get_name_or_unknown(
        MAXMEMORY_POLICY_ENUM,
        server.maxmemory_policy,
    )
}

// --------------------------- Config file parsing ---------------------------

/// "yes" → Some(true), "no" → Some(false), anything else `None` (C: -1).
/// Case-insensitive.
///
/// C: config.c yesnotoi()
pub fn yesnotoi(s: &[u8]) -> Option<bool> {
    if s.eq_ignore_ascii_case(b"yes") {
        Some(true)
    } else if s.eq_ignore_ascii_case(b"no") {
        Some(false)
    } else {
        None
    }
}

/// C: config.c appendServerSaveParams()
pub fn append_server_save_params(
    server: &mut RedisServer,
    seconds: i64,
    changes: i32,
) {
    server.saveparams.push(SaveParam { seconds, changes });
}

/// C: config.c resetServerSaveParams()
pub fn reset_server_save_params(server: &mut RedisServer) {
    server.saveparams.clear();
}

/// Remembers a `loadmodule` line; main() tries the queue after the server
/// is initialized.
///
/// C: config.c queueLoadModule()
pub fn queue_load_module(
    server: &mut RedisServer,
    path: &[u8],
    _argv: &[Vec<u8>],
) {
    server.loadmodule_queue.push(String::from_utf8_lossy(path).into_owned());
}

/// The error text of a yes/no directive that got something else.
const ERR_YES_NO: &str = "argument must be 'yes' or 'no'";

/// Parses a whole redis.conf held in memory: splits it into lines, each
/// line into arguments, and applies the directives in order, so a later
/// line overrides an earlier one. An error prints C's report on stderr
/// and exits with status 1.
///
/// C: config.c loadServerConfigFromString()
pub fn load_server_config_from_string(server: &mut RedisServer, config: &[u8]) {
    let mut slaveof_linenum = 0;
    let lines: Vec<&[u8]> = config.split(|&b| b == b'\n').collect();

    for (i, raw) in lines.iter().enumerate() {
        let linenum = i + 1;
        let line = sdstrim(raw, b" \t\r\n");

        // Skip comments and blank lines
        if line.is_empty() || line[0] == b'#' {
            continue;
        }

        // Split into arguments
        let Some(mut argv) = sdssplitargs(line) else {
            config_loaderr(
                linenum,
                line,
                "Unbalanced quotes in configuration line",
            );
        };

        // Skip this line if the resulting command vector is empty.
        if argv.is_empty() {
            continue;
        }
        argv[0].make_ascii_lowercase();

        // Execute config directives
        if let Err(err) = load_server_config_directive(
            server,
            &argv,
            linenum,
            &mut slaveof_linenum,
        ) {
            config_loaderr(linenum, line, &err);
        }
    }

    // Sanity checks.
    if server.cluster_enabled && server.masterhost.is_some() {
        let linenum = slaveof_linenum;
        let line = lines
            .get(linenum.wrapping_sub(1))
            .map_or(&b""[..], |l| sdstrim(l, b" \t\r\n"));
        config_loaderr(
            linenum,
            line,
            "replicaof directive not allowed in cluster mode",
        );
    }
}

/// The body of the parser's else-if chain for one line: `Err(text)` is C's
/// `err = text; goto loaderr`. (no C twin: inline in
/// loadServerConfigFromString)
fn load_server_config_directive(
    server: &mut RedisServer,
    argv: &[Vec<u8>],
    linenum: usize,
    slaveof_linenum: &mut usize,
) -> Result<(), String> {
    let argc = argv.len();
    let name = String::from_utf8_lossy(&argv[0]).into_owned();
    let is = |n: &str| name == n;
    let arg = |j: usize| String::from_utf8_lossy(&argv[j]).into_owned();
    let yesno =
        |j: usize| yesnotoi(&argv[j]).ok_or_else(|| ERR_YES_NO.to_string());

    if is("timeout") && argc == 2 {
        server.maxidletime = atoi(&argv[1]) as i64;
        if server.maxidletime < 0 {
            return Err("Invalid timeout value".into());
        }
    } else if is("tcp-keepalive") && argc == 2 {
        server.tcpkeepalive = atoi(&argv[1]);
        if server.tcpkeepalive < 0 {
            return Err("Invalid tcp-keepalive value".into());
        }
    } else if is("protected-mode") && argc == 2 {
        server.protected_mode = yesno(1)?;
    } else if is("port") && argc == 2 {
        server.port = atoi(&argv[1]);
        if server.port < 0 || server.port > 65535 {
            return Err("Invalid port".into());
        }
    } else if is("tcp-backlog") && argc == 2 {
        server.tcp_backlog = atoi(&argv[1]);
        if server.tcp_backlog < 0 {
            return Err("Invalid backlog value".into());
        }
    } else if is("bind") && argc >= 2 {
        let addresses = argc - 1;
        if addresses > CONFIG_BINDADDR_MAX {
            return Err("Too many bind addresses specified".into());
        }
        server.bindaddr = (1..argc).map(arg).collect();
    } else if is("unixsocket") && argc == 2 {
        server.unixsocket = Some(arg(1));
    } else if is("unixsocketperm") && argc == 2 {
        // C stores strtol()'s long into a mode_t, so a negative value
        // becomes huge and fails the range check.
        let (perm, _, overflow) = strtol_prefix(&argv[1], 8);
        server.unixsocketperm = perm as u32;
        if overflow || server.unixsocketperm > 0o777 {
            return Err("Invalid socket file permissions".into());
        }
    } else if is("save") {
        if argc == 3 {
            let seconds = atoi(&argv[1]);
            let changes = atoi(&argv[2]);
            if seconds < 1 || changes < 0 {
                return Err("Invalid save parameters".into());
            }
            append_server_save_params(server, seconds as i64, changes);
        } else if argc == 2 && argv[1].is_empty() {
            reset_server_save_params(server);
        }
        // Any other number of arguments is silently ignored, as in C.
    } else if is("dir") && argc == 2 {
        if let Err(e) = std::env::set_current_dir(arg(1)) {
            server_log!(
                server,
                LL_WARNING,
                "Can't chdir to '{}': {}",
                arg(1),
                strerror(&e)
            );
            std::process::exit(1);
        }
        server.dir = arg(1);
    } else if is("loglevel") && argc == 2 {
        server.verbosity = config_enum_get_value(LOGLEVEL_ENUM, &argv[1]).ok_or_else(|| {
            "Invalid log level. Must be one of debug, verbose, notice, warning".to_string()
        })?;
    } else if is("logfile") && argc == 2 {
        server.logfile = arg(1);
        if !server.logfile.is_empty() {
            // Test if we are able to open the file. The server will not be
            // able to abort just for this problem later...
            if let Err(e) = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(&server.logfile)
            {
                return Err(format!(
                    "Can't open the log file: {}",
                    strerror(&e)
                ));
            }
        }
    } else if is("always-show-logo") && argc == 2 {
        server.always_show_logo = yesno(1)?;
    } else if is("syslog-enabled") && argc == 2 {
        // Divergence from C: accepted and stored, but the log never goes to
        // syslog (serverLogRaw's syslog() call is not ported).
        server.syslog_enabled = yesno(1)?;
    } else if is("syslog-ident") && argc == 2 {
        server.syslog_ident = arg(1);
    } else if is("ignore-warnings") && argc == 2 {
        server.ignore_warnings = Some(arg(1));
    } else if is("syslog-facility") && argc == 2 {
        server.syslog_facility = config_enum_get_value(
            SYSLOG_FACILITY_ENUM,
            &argv[1],
        )
        .ok_or_else(|| {
            "Invalid log facility. Must be one of USER or between LOCAL0-LOCAL7"
                .to_string()
        })?;
    } else if is("databases") && argc == 2 {
        server.dbnum = atoi(&argv[1]);
        if server.dbnum < 1 {
            return Err("Invalid number of databases".into());
        }
    } else if is("include") && argc == 2 {
        load_server_config(server, Some(&arg(1)), None);
    } else if is("maxclients") && argc == 2 {
        let maxclients = atoi(&argv[1]);
        server.maxclients = maxclients as u32;
        if maxclients < 1 {
            return Err("Invalid max clients limit".into());
        }
    } else if is("maxmemory") && argc == 2 {
        server.maxmemory = memtoll(&argv[1]).0 as u64;
    } else if is("maxmemory-policy") && argc == 2 {
        server.maxmemory_policy =
            config_enum_get_value(MAXMEMORY_POLICY_ENUM, &argv[1])
                .ok_or_else(|| "Invalid maxmemory policy".to_string())?;
    } else if is("maxmemory-samples") && argc == 2 {
        server.maxmemory_samples = atoi(&argv[1]);
        if server.maxmemory_samples <= 0 {
            return Err("maxmemory-samples must be 1 or greater".into());
        }
    } else if is("proto-max-bulk-len") && argc == 2 {
        server.proto_max_bulk_len = memtoll(&argv[1]).0;
    } else if is("client-query-buffer-limit") && argc == 2 {
        server.client_max_querybuf_len = memtoll(&argv[1]).0 as usize;
    } else if is("lfu-log-factor") && argc == 2 {
        server.lfu_log_factor = atoi(&argv[1]);
        if server.lfu_log_factor < 0 {
            return Err("lfu-log-factor must be 0 or greater".into());
        }
    } else if is("lfu-decay-time") && argc == 2 {
        server.lfu_decay_time = atoi(&argv[1]);
        if server.lfu_decay_time < 0 {
            return Err("lfu-decay-time must be 0 or greater".into());
        }
    } else if (is("slaveof") || is("replicaof")) && argc == 3 {
        *slaveof_linenum = linenum;
        server.masterhost = Some(arg(1));
        server.masterport = atoi(&argv[2]);
        server.repl_state = REPL_STATE_CONNECT;
    } else if (is("repl-ping-slave-period") || is("repl-ping-replica-period"))
        && argc == 2
    {
        server.repl_ping_slave_period = atoi(&argv[1]);
        if server.repl_ping_slave_period <= 0 {
            return Err("repl-ping-replica-period must be 1 or greater".into());
        }
    } else if is("repl-timeout") && argc == 2 {
        server.repl_timeout = atoi(&argv[1]);
        if server.repl_timeout <= 0 {
            return Err("repl-timeout must be 1 or greater".into());
        }
    } else if is("repl-disable-tcp-nodelay") && argc == 2 {
        server.repl_disable_tcp_nodelay = yesno(1)?;
    } else if is("repl-diskless-sync") && argc == 2 {
        server.repl_diskless_sync = yesno(1)?;
    } else if is("repl-diskless-sync-delay") && argc == 2 {
        server.repl_diskless_sync_delay = atoi(&argv[1]);
        if server.repl_diskless_sync_delay < 0 {
            return Err("repl-diskless-sync-delay can't be negative".into());
        }
    } else if is("repl-backlog-size") && argc == 2 {
        let size = memtoll(&argv[1]).0;
        if size <= 0 {
            return Err("repl-backlog-size must be 1 or greater.".into());
        }
        resize_replication_backlog(server, size);
    } else if is("repl-backlog-ttl") && argc == 2 {
        server.repl_backlog_time_limit = atoi(&argv[1]) as i64;
        if server.repl_backlog_time_limit < 0 {
            // (sic: C's text ends with a space)
            return Err("repl-backlog-ttl can't be negative ".into());
        }
    } else if is("masterauth") && argc == 2 {
        server.masterauth =
            if argv[1].is_empty() { None } else { Some(argv[1].clone()) };
    } else if (is("slave-serve-stale-data") || is("replica-serve-stale-data"))
        && argc == 2
    {
        server.repl_serve_stale_data = yesno(1)?;
    } else if (is("slave-read-only") || is("replica-read-only")) && argc == 2 {
        server.repl_slave_ro = yesno(1)?;
    } else if (is("slave-ignore-maxmemory") || is("replica-ignore-maxmemory"))
        && argc == 2
    {
        server.repl_slave_ignore_maxmemory = yesno(1)?;
    } else if is("rdbcompression") && argc == 2 {
        server.rdb_compression = yesno(1)?;
    } else if is("rdbchecksum") && argc == 2 {
        server.rdb_checksum = yesno(1)?;
    } else if is("activerehashing") && argc == 2 {
        server.activerehashing = yesno(1)?;
    } else if is("lazyfree-lazy-eviction") && argc == 2 {
        server.lazyfree_lazy_eviction = yesno(1)?;
    } else if is("lazyfree-lazy-expire") && argc == 2 {
        server.lazyfree_lazy_expire = yesno(1)?;
    } else if is("lazyfree-lazy-server-del") && argc == 2 {
        server.lazyfree_lazy_server_del = yesno(1)?;
    } else if (is("slave-lazy-flush") || is("replica-lazy-flush")) && argc == 2
    {
        server.repl_slave_lazy_flush = yesno(1)?;
    } else if is("activedefrag") && argc == 2 {
        // Divergence from C: we behave like a build with HAVE_DEFRAG (the
        // real 5.0.14 links its patched jemalloc), so "yes" is accepted and
        // stored; but no active defragmentation ever runs.
        server.active_defrag_enabled = yesno(1)?;
    } else if is("daemonize") && argc == 2 {
        server.daemonize = yesno(1)?;
    } else if is("dynamic-hz") && argc == 2 {
        server.dynamic_hz = yesno(1)?;
    } else if is("hz") && argc == 2 {
        server.config_hz = atoi(&argv[1]).clamp(CONFIG_MIN_HZ, CONFIG_MAX_HZ);
    } else if is("appendonly") && argc == 2 {
        let yes = yesno(1)?;
        // Divergence from C: aof.c is not ported yet, so "appendonly yes"
        // is stored (CONFIG GET/REWRITE show it) but nothing is appended
        // and nothing is loaded from the AOF at start-up; main() logs it.
        server.aof_state = if yes { AOF_ON } else { AOF_OFF };
    } else if is("appendfilename") && argc == 2 {
        if !path_is_base_name(&argv[1]) {
            return Err(
                "appendfilename can't be a path, just a filename".into()
            );
        }
        server.aof_filename = arg(1);
    } else if is("no-appendfsync-on-rewrite") && argc == 2 {
        server.aof_no_fsync_on_rewrite = yesno(1)?;
    } else if is("appendfsync") && argc == 2 {
        server.aof_fsync = config_enum_get_value(AOF_FSYNC_ENUM, &argv[1])
            .ok_or_else(|| {
                "argument must be 'no', 'always' or 'everysec'".to_string()
            })?;
    } else if is("auto-aof-rewrite-percentage") && argc == 2 {
        server.aof_rewrite_perc = atoi(&argv[1]);
        if server.aof_rewrite_perc < 0 {
            return Err(
                "Invalid negative percentage for AOF auto rewrite".into()
            );
        }
    } else if is("auto-aof-rewrite-min-size") && argc == 2 {
        server.aof_rewrite_min_size = memtoll(&argv[1]).0;
    } else if is("aof-rewrite-incremental-fsync") && argc == 2 {
        server.aof_rewrite_incremental_fsync = yesno(1)?;
    } else if is("rdb-save-incremental-fsync") && argc == 2 {
        server.rdb_save_incremental_fsync = yesno(1)?;
    } else if is("aof-load-truncated") && argc == 2 {
        server.aof_load_truncated = yesno(1)?;
    } else if is("aof-use-rdb-preamble") && argc == 2 {
        server.aof_use_rdb_preamble = yesno(1)?;
    } else if is("requirepass") && argc == 2 {
        if argv[1].len() > CONFIG_AUTHPASS_MAX_LEN {
            return Err(
                "Password is longer than CONFIG_AUTHPASS_MAX_LEN".into()
            );
        }
        server.requirepass =
            if argv[1].is_empty() { None } else { Some(argv[1].clone()) };
    } else if is("pidfile") && argc == 2 {
        server.pidfile = Some(arg(1));
    } else if is("dbfilename") && argc == 2 {
        if !path_is_base_name(&argv[1]) {
            return Err("dbfilename can't be a path, just a filename".into());
        }
        server.rdb_filename = arg(1);
    } else if is("active-defrag-threshold-lower") && argc == 2 {
        server.active_defrag_threshold_lower = atoi(&argv[1]);
        if server.active_defrag_threshold_lower < 0
            || server.active_defrag_threshold_lower > 1000
        {
            return Err(
                "active-defrag-threshold-lower must be between 0 and 1000"
                    .into(),
            );
        }
    } else if is("active-defrag-threshold-upper") && argc == 2 {
        server.active_defrag_threshold_upper = atoi(&argv[1]);
        if server.active_defrag_threshold_upper < 0
            || server.active_defrag_threshold_upper > 1000
        {
            return Err(
                "active-defrag-threshold-upper must be between 0 and 1000"
                    .into(),
            );
        }
    } else if is("active-defrag-ignore-bytes") && argc == 2 {
        // (size_t in C: a negative value wraps, only 0 fails.)
        server.active_defrag_ignore_bytes = memtoll(&argv[1]).0 as usize;
        if server.active_defrag_ignore_bytes == 0 {
            return Err("active-defrag-ignore-bytes must above 0".into());
        }
    } else if is("active-defrag-cycle-min") && argc == 2 {
        server.active_defrag_cycle_min = atoi(&argv[1]);
        if server.active_defrag_cycle_min < 1
            || server.active_defrag_cycle_min > 99
        {
            return Err(
                "active-defrag-cycle-min must be between 1 and 99".into()
            );
        }
    } else if is("active-defrag-cycle-max") && argc == 2 {
        server.active_defrag_cycle_max = atoi(&argv[1]);
        if server.active_defrag_cycle_max < 1
            || server.active_defrag_cycle_max > 99
        {
            return Err(
                "active-defrag-cycle-max must be between 1 and 99".into()
            );
        }
    } else if is("active-defrag-max-scan-fields") && argc == 2 {
        // (unsigned long in C: a negative value wraps, only 0 fails.)
        server.active_defrag_max_scan_fields = strtoll(&argv[1]) as u64;
        if server.active_defrag_max_scan_fields < 1 {
            return Err("active-defrag-max-scan-fields must be positive".into());
        }
    } else if is("hash-max-ziplist-entries") && argc == 2 {
        server.hash_max_ziplist_entries = memtoll(&argv[1]).0 as usize;
    } else if is("hash-max-ziplist-value") && argc == 2 {
        server.hash_max_ziplist_value = memtoll(&argv[1]).0 as usize;
    } else if is("stream-node-max-bytes") && argc == 2 {
        server.stream_node_max_bytes = memtoll(&argv[1]).0 as usize;
    } else if is("stream-node-max-entries") && argc == 2 {
        server.stream_node_max_entries = atoi(&argv[1]) as i64;
    } else if (is("list-max-ziplist-entries") || is("list-max-ziplist-value"))
        && argc == 2
    {
        // DEAD OPTIONS (two branches in C)
    } else if is("list-max-ziplist-size") && argc == 2 {
        server.list_max_ziplist_size = atoi(&argv[1]);
    } else if is("list-compress-depth") && argc == 2 {
        server.list_compress_depth = atoi(&argv[1]);
    } else if is("set-max-intset-entries") && argc == 2 {
        server.set_max_intset_entries = memtoll(&argv[1]).0 as usize;
    } else if is("zset-max-ziplist-entries") && argc == 2 {
        server.zset_max_ziplist_entries = memtoll(&argv[1]).0 as usize;
    } else if is("zset-max-ziplist-value") && argc == 2 {
        server.zset_max_ziplist_value = memtoll(&argv[1]).0 as usize;
    } else if is("hll-sparse-max-bytes") && argc == 2 {
        server.hll_sparse_max_bytes = memtoll(&argv[1]).0 as usize;
    } else if is("rename-command") && argc == 3 {
        let Some(cmd) = lookup_command(server, &argv[1]) else {
            return Err("No such command in rename-command".into());
        };

        // If the target command name is the empty string we just remove
        // it from the command table.
        let old = String::from_utf8_lossy(&argv[1]).to_ascii_lowercase();
        server.command_index.remove(old.as_str());

        // Otherwise we re-add the command under a different name.
        if !argv[2].is_empty() {
            let copy = String::from_utf8_lossy(&argv[2]).to_ascii_lowercase();
            if server.command_index.contains_key(copy.as_str()) {
                return Err("Target command name already exists".into());
            }
            // The table is keyed by `&'static str` (the names in the
            // command table); a renamed name lives as long as the process,
            // like C's sds key in server.commands, so leaking it is exact.
            server.command_index.insert(Box::leak(copy.into_boxed_str()), cmd);
        }
    } else if is("cluster-enabled") && argc == 2 {
        server.cluster_enabled = yesno(1)?;
        if server.cluster_enabled {
            // Divergence from C: cluster.c is not ported, so cluster mode
            // is refused here rather than started.
            return Err("Cluster mode is not supported by this server".into());
        }
    } else if is("cluster-config-file") && argc == 2 {
        server.cluster_configfile = arg(1);
    } else if is("cluster-announce-ip") && argc == 2 {
        server.cluster_announce_ip = Some(arg(1));
    } else if is("cluster-announce-port") && argc == 2 {
        server.cluster_announce_port = atoi(&argv[1]);
        if server.cluster_announce_port < 0
            || server.cluster_announce_port > 65535
        {
            return Err("Invalid port".into());
        }
    } else if is("cluster-announce-bus-port") && argc == 2 {
        server.cluster_announce_bus_port = atoi(&argv[1]);
        if server.cluster_announce_bus_port < 0
            || server.cluster_announce_bus_port > 65535
        {
            return Err("Invalid port".into());
        }
    } else if is("cluster-require-full-coverage") && argc == 2 {
        server.cluster_require_full_coverage = yesno(1)?;
    } else if is("cluster-node-timeout") && argc == 2 {
        server.cluster_node_timeout = strtoll(&argv[1]);
        if server.cluster_node_timeout <= 0 {
            return Err("cluster node timeout must be 1 or greater".into());
        }
    } else if is("cluster-migration-barrier") && argc == 2 {
        server.cluster_migration_barrier = atoi(&argv[1]);
        if server.cluster_migration_barrier < 0 {
            return Err(
                "cluster migration barrier must zero or positive".into()
            );
        }
    } else if (is("cluster-slave-validity-factor")
        || is("cluster-replica-validity-factor"))
        && argc == 2
    {
        server.cluster_slave_validity_factor = atoi(&argv[1]);
        if server.cluster_slave_validity_factor < 0 {
            return Err(
                "cluster replica validity factor must be zero or positive"
                    .into(),
            );
        }
    } else if (is("cluster-slave-no-failover")
        || is("cluster-replica-no-failover"))
        && argc == 2
    {
        server.cluster_slave_no_failover = yesno(1)?;
    } else if is("lua-time-limit") && argc == 2 {
        server.lua_time_limit = strtoll(&argv[1]);
    } else if is("lua-replicate-commands") && argc == 2 {
        // C stores yesnotoi()'s -1 unchecked, which reads as true.
        server.lua_always_replicate_commands =
            yesnotoi(&argv[1]) != Some(false);
    } else if is("slowlog-log-slower-than") && argc == 2 {
        server.slowlog_log_slower_than = strtoll(&argv[1]);
    } else if is("latency-monitor-threshold") && argc == 2 {
        server.latency_monitor_threshold = strtoll(&argv[1]);
        if server.latency_monitor_threshold < 0 {
            return Err("The latency threshold can't be negative".into());
        }
    } else if is("slowlog-max-len") && argc == 2 {
        server.slowlog_max_len = strtoll(&argv[1]) as u64;
    } else if is("client-output-buffer-limit") && argc == 5 {
        let class = get_client_type_by_name(&argv[1]);
        let class = match class {
            Some(class) if class != CLIENT_TYPE_MASTER => class,
            _ => {
                return Err("Unrecognized client limit class: the user specified an invalid one, or 'master' which has no buffer limits.".into());
            }
        };
        let hard = memtoll(&argv[2]).0 as u64;
        let soft = memtoll(&argv[3]).0 as u64;
        let soft_seconds = atoi(&argv[4]);
        if soft_seconds < 0 {
            return Err(
                "Negative number of seconds in soft limit is invalid".into()
            );
        }
        server.client_obuf_limits[class].hard_limit_bytes = hard;
        server.client_obuf_limits[class].soft_limit_bytes = soft;
        server.client_obuf_limits[class].soft_limit_seconds =
            soft_seconds as i64;
    } else if is("stop-writes-on-bgsave-error") && argc == 2 {
        server.stop_writes_on_bgsave_err = yesno(1)?;
    } else if (is("slave-priority") || is("replica-priority")) && argc == 2 {
        server.slave_priority = atoi(&argv[1]);
    } else if (is("slave-announce-ip") || is("replica-announce-ip"))
        && argc == 2
    {
        server.slave_announce_ip = Some(arg(1));
    } else if (is("slave-announce-port") || is("replica-announce-port"))
        && argc == 2
    {
        server.slave_announce_port = atoi(&argv[1]);
        if server.slave_announce_port < 0 || server.slave_announce_port > 65535
        {
            return Err("Invalid port".into());
        }
    } else if (is("min-slaves-to-write") || is("min-replicas-to-write"))
        && argc == 2
    {
        server.repl_min_slaves_to_write = atoi(&argv[1]);
        if server.repl_min_slaves_to_write < 0 {
            return Err("Invalid value for min-replicas-to-write.".into());
        }
    } else if (is("min-slaves-max-lag") || is("min-replicas-max-lag"))
        && argc == 2
    {
        server.repl_min_slaves_max_lag = atoi(&argv[1]);
        if server.repl_min_slaves_max_lag < 0 {
            return Err("Invalid value for min-replicas-max-lag.".into());
        }
    } else if is("notify-keyspace-events") && argc == 2 {
        let flags = keyspace_events_string_to_flags(&argv[1]);
        if flags == -1 {
            return Err(
                "Invalid event class character. Use 'g$lshzxeA'.".into()
            );
        }
        server.notify_keyspace_events = flags;
    } else if is("supervised") && argc == 2 {
        server.supervised_mode =
            config_enum_get_value(SUPERVISED_MODE_ENUM, &argv[1]).ok_or_else(|| {
                "Invalid option for 'supervised'. Allowed values: 'upstart', 'systemd', 'auto', or 'no'"
                    .to_string()
            })?;
    } else if is("loadmodule") && argc >= 2 {
        queue_load_module(server, &argv[1], &argv[2..]);
    } else if is("sentinel") {
        // argc == 1 is handled by main() as we need to enter the sentinel
        // mode ASAP.
        if argc != 1 {
            // Sentinel mode is never entered here (sentinel.c is not part
            // of the port), so this is always the error C gives outside
            // sentinel mode.
            return Err("sentinel directive while not in sentinel mode".into());
        }
    } else {
        return Err("Bad directive or wrong number of arguments".into());
    }
    Ok(())
}

/// Prints the "FATAL CONFIG FILE ERROR" report on stderr and exits with
/// status 1, as the parser's error label does in C.
///
/// C: config.c loadServerConfigFromString() (its loaderr: label)
fn config_loaderr(linenum: usize, line: &[u8], err: &str) -> ! {
    let mut out = Vec::new();
    out.extend_from_slice(b"\n*** FATAL CONFIG FILE ERROR ***\n");
    out.extend_from_slice(
        format!("Reading the configuration file, at line {}\n", linenum)
            .as_bytes(),
    );
    out.extend_from_slice(b">>> '");
    out.extend_from_slice(line);
    out.extend_from_slice(b"'\n");
    out.extend_from_slice(err.as_bytes());
    out.push(b'\n');
    let _ = io::stderr().write_all(&out);
    std::process::exit(1);
}

/// Load the server configuration from the specified filename. The function
/// appends the additional configuration directives stored in the 'options'
/// string to the config file before loading.
///
/// Both filename and options can be `None`, in such a case are considered
/// empty. This way load_server_config can be used to just load a file or
/// just load a string. A filename of "-" reads standard input.
///
/// C: config.c loadServerConfig()
pub fn load_server_config(
    server: &mut RedisServer,
    filename: Option<&str>,
    options: Option<&[u8]>,
) {
    let mut config: Vec<u8> = Vec::new();

    // Load the file content
    if let Some(filename) = filename {
        let read = if filename == "-" {
            io::stdin().read_to_end(&mut config).map(|_| ())
        } else {
            match std::fs::File::open(filename) {
                Ok(mut fp) => fp.read_to_end(&mut config).map(|_| ()),
                Err(_) => {
                    server_log!(
                        server,
                        LL_WARNING,
                        "Fatal error, can't open config file '{}'",
                        filename
                    );
                    std::process::exit(1);
                }
            }
        };
        // C's fgets() loop just stops at a read error; so do we, keeping
        // what was read.
        let _ = read;
    }
    // Append the additional options
    if let Some(options) = options {
        config.push(b'\n');
        config.extend_from_slice(options);
    }
    load_server_config_from_string(server, &config);
}

// ------------------------- CONFIG SET implementation -------------------------

/// Why a CONFIG SET value was refused: C's `goto badfmt`.
struct BadFmt;

/// C: config.c config_set_bool_field() (a macro)
fn config_set_bool(o: &[u8]) -> Result<bool, BadFmt> {
    yesnotoi(o).ok_or(BadFmt)
}

/// C: config.c config_set_numerical_field() (a macro): the value must be
/// a canonical integer within [min, max].
fn config_set_numerical(o: &[u8], min: i64, max: i64) -> Result<i64, BadFmt> {
    let ll = crate::object::string2ll(o).ok_or(BadFmt)?;
    if ll < min || ll > max {
        return Err(BadFmt);
    }
    Ok(ll)
}

/// C: config.c config_set_memory_field() (a macro): memtoll() units
/// accepted, within [min, max].
fn config_set_memory(o: &[u8], min: i64, max: i64) -> Result<i64, BadFmt> {
    let (ll, err) = memtoll(o);
    if err || ll < min || ll > max {
        return Err(BadFmt);
    }
    Ok(ll)
}

/// C: config.c config_set_enum_field() (a macro)
fn config_set_enum(o: &[u8], ce: &[ConfigEnum]) -> Result<i32, BadFmt> {
    config_enum_get_value(ce, o).ok_or(BadFmt)
}

const INT_MAX: i64 = i32::MAX as i64;
const INT_MIN: i64 = i32::MIN as i64;
const LONG_MAX: i64 = i64::MAX;
const LLONG_MAX: i64 = i64::MAX;

/// CONFIG SET <parameter> <value>: every parameter 5.0 lets change at run
/// time, with its checks and side effects. Replies +OK, or
/// "Invalid argument '<value>' for CONFIG SET '<parameter>'" when the value
/// is refused, or "Unsupported CONFIG parameter: <parameter>".
///
/// C: config.c configSetCommand()
pub fn config_set_command(server: &mut RedisServer, c: &mut Client) {
    let param = c.argv[2].clone();
    let o = c.argv[3].clone();
    let name = String::from_utf8_lossy(&param).to_ascii_lowercase();
    match config_set(server, c, &name, &o) {
        // On success we just return a generic OK for all the options.
        Ok(true) => add_reply(c, crate::t_string::OK),
        // A specific error was already sent.
        Ok(false) => {}
        // Bad format errors
        Err(BadFmt) => {
            let mut msg = b"Invalid argument '".to_vec();
            msg.extend_from_slice(&o);
            msg.extend_from_slice(b"' for CONFIG SET '");
            msg.extend_from_slice(&param);
            msg.push(b'\'');
            add_reply_error_bytes_format(c, msg);
        }
    }
}

/// addReplyErrorFormat() for a message built from raw argument bytes, so
/// non-UTF-8 arguments are echoed unchanged: newlines become spaces.
/// (no C twin: C's printf-style %s is byte-transparent)
fn add_reply_error_bytes_format(c: &mut Client, mut msg: Vec<u8>) {
    for b in msg.iter_mut() {
        if *b == b'\r' || *b == b'\n' {
            *b = b' ';
        }
    }
    add_reply_error_length(c, &msg);
}

/// The else-if chain of configSetCommand: `Ok(true)` replies +OK,
/// `Ok(false)` means a reply was already added, `Err(BadFmt)` is the
/// badfmt label. (no C twin: inline in configSetCommand)
fn config_set(
    server: &mut RedisServer,
    c: &mut Client,
    name: &str,
    o: &[u8],
) -> Result<bool, BadFmt> {
    let ostr = || String::from_utf8_lossy(o).into_owned();
    match name {
        // Special fields that can't be handled with general macros.
        "dbfilename" => {
            if !path_is_base_name(o) {
                add_reply_error(
                    c,
                    "dbfilename can't be a path, just a filename",
                );
                return Ok(false);
            }
            server.rdb_filename = ostr();
        }
        "requirepass" => {
            if o.len() > CONFIG_AUTHPASS_MAX_LEN {
                return Err(BadFmt);
            }
            server.requirepass =
                if o.is_empty() { None } else { Some(o.to_vec()) };
        }
        "masterauth" => {
            server.masterauth =
                if o.is_empty() { None } else { Some(o.to_vec()) };
        }
        "cluster-announce-ip" => {
            server.cluster_announce_ip =
                if o.is_empty() { None } else { Some(ostr()) };
        }
        "maxclients" => {
            let orig_value = server.maxclients;
            let ll = match crate::object::string2ll(o) {
                Some(ll) if ll >= 1 => ll,
                _ => return Err(BadFmt),
            };

            // Try to check if the OS is capable of supporting so many FDs.
            server.maxclients = ll as u32;
            if ll > orig_value as i64 {
                adjust_open_files_limit(server);
                if server.maxclients as i64 != ll {
                    add_reply_error_format(
                        c,
                        format_args!(
                            "The operating system is not able to handle the specified number of clients, try with {}",
                            server.maxclients as i32
                        ),
                    );
                    server.maxclients = orig_value;
                    return Ok(false);
                }
                let want =
                    server.maxclients as usize + CONFIG_FDSET_INCR as usize;
                if crate::ae::ae_get_set_size(&server.el) < want
                    && crate::ae::ae_resize_set_size(&mut server.el, want)
                        == crate::ae::AE_ERR
                {
                    add_reply_error(
                        c,
                        "The event loop API used by Redis is not able to handle the specified number of clients",
                    );
                    server.maxclients = orig_value;
                    return Ok(false);
                }
            }
        }
        "appendonly" => {
            let enable = config_set_bool(o)?;
            if !enable && server.aof_state != AOF_OFF {
                // TODO(aof.c): stopAppendOnly().
                server.aof_state = AOF_OFF;
            } else if enable && server.aof_state == AOF_OFF {
                // Divergence from C: aof.c is not ported yet, so AOF cannot
                // be started; we fail the way C does when startAppendOnly()
                // fails. TODO(aof.c): startAppendOnly().
                server_log!(
                    server,
                    LL_WARNING,
                    "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error."
                );
                add_reply_error(c, "Unable to turn on AOF. Check server logs.");
                return Ok(false);
            }
        }
        "save" => {
            let v: Vec<&[u8]> = sdssplitlen(o, b' ');

            // Perform sanity check before setting the new config:
            // - Even number of args
            // - Seconds >= 1, changes >= 0
            if v.len() & 1 != 0 {
                return Err(BadFmt);
            }
            for (j, tok) in v.iter().enumerate() {
                let (val, end, _) = strtol_prefix(tok, 10);
                if end != tok.len()
                    || (j & 1 == 0 && val < 1)
                    || (j & 1 == 1 && val < 0)
                {
                    return Err(BadFmt);
                }
            }
            // Finally set the new config
            reset_server_save_params(server);
            for pair in v.chunks(2) {
                let seconds = strtoll(pair[0]);
                let changes = strtoll(pair[1]) as i32;
                append_server_save_params(server, seconds, changes);
            }
        }
        "dir" => {
            if let Err(e) = std::env::set_current_dir(ostr()) {
                add_reply_error_format(
                    c,
                    format_args!("Changing directory: {}", strerror(&e)),
                );
                return Ok(false);
            }
            server.dir = ostr();
        }
        "client-output-buffer-limit" => {
            let v: Vec<&[u8]> = sdssplitlen(o, b' ');

            // We need a multiple of 4: <class> <hard> <soft> <soft_seconds>
            if !v.len().is_multiple_of(4) {
                return Err(BadFmt);
            }

            // Sanity check of single arguments, so that we either refuse
            // the whole configuration string or accept it all, even if a
            // single error in a single client class is present.
            for (j, tok) in v.iter().enumerate() {
                if j % 4 == 0 {
                    match get_client_type_by_name(tok) {
                        Some(class) if class != CLIENT_TYPE_MASTER => {}
                        _ => return Err(BadFmt),
                    }
                } else {
                    let (val, err) = memtoll(tok);
                    if err || val < 0 {
                        return Err(BadFmt);
                    }
                }
            }
            // Finally set the new config
            for l in v.chunks(4) {
                let Some(class) = get_client_type_by_name(l[0]) else {
                    return Err(BadFmt);
                };
                let hard = memtoll(l[1]).0 as u64;
                let soft = memtoll(l[2]).0 as u64;
                // C stores strtoll's result in an int: it truncates.
                let soft_seconds = strtoll(l[3]) as i32 as i64;
                server.client_obuf_limits[class].hard_limit_bytes = hard;
                server.client_obuf_limits[class].soft_limit_bytes = soft;
                server.client_obuf_limits[class].soft_limit_seconds =
                    soft_seconds;
            }
        }
        "notify-keyspace-events" => {
            let flags = keyspace_events_string_to_flags(o);
            if flags == -1 {
                return Err(BadFmt);
            }
            server.notify_keyspace_events = flags;
        }
        "slave-announce-ip" | "replica-announce-ip" => {
            server.slave_announce_ip =
                if o.is_empty() { None } else { Some(ostr()) };
        }

        // Boolean fields.
        "rdbcompression" => server.rdb_compression = config_set_bool(o)?,
        "repl-disable-tcp-nodelay" => {
            server.repl_disable_tcp_nodelay = config_set_bool(o)?
        }
        "repl-diskless-sync" => server.repl_diskless_sync = config_set_bool(o)?,
        "cluster-require-full-coverage" => {
            server.cluster_require_full_coverage = config_set_bool(o)?
        }
        "cluster-slave-no-failover" => {
            server.cluster_slave_no_failover = config_set_bool(o)?
        }
        "cluster-replica-no-failover" => {
            server.cluster_slave_no_failover = config_set_bool(o)?
        }
        "aof-rewrite-incremental-fsync" => {
            server.aof_rewrite_incremental_fsync = config_set_bool(o)?
        }
        "rdb-save-incremental-fsync" => {
            server.rdb_save_incremental_fsync = config_set_bool(o)?
        }
        "aof-load-truncated" => server.aof_load_truncated = config_set_bool(o)?,
        "aof-use-rdb-preamble" => {
            server.aof_use_rdb_preamble = config_set_bool(o)?
        }
        "slave-serve-stale-data" => {
            server.repl_serve_stale_data = config_set_bool(o)?
        }
        "replica-serve-stale-data" => {
            server.repl_serve_stale_data = config_set_bool(o)?
        }
        "slave-read-only" => server.repl_slave_ro = config_set_bool(o)?,
        "replica-read-only" => server.repl_slave_ro = config_set_bool(o)?,
        "slave-ignore-maxmemory" => {
            server.repl_slave_ignore_maxmemory = config_set_bool(o)?
        }
        "replica-ignore-maxmemory" => {
            server.repl_slave_ignore_maxmemory = config_set_bool(o)?
        }
        "activerehashing" => server.activerehashing = config_set_bool(o)?,
        // Divergence from C: like a HAVE_DEFRAG build we accept "yes", but
        // no active defragmentation runs (see the file parser).
        "activedefrag" => server.active_defrag_enabled = config_set_bool(o)?,
        "protected-mode" => server.protected_mode = config_set_bool(o)?,
        "stop-writes-on-bgsave-error" => {
            server.stop_writes_on_bgsave_err = config_set_bool(o)?
        }
        "lazyfree-lazy-eviction" => {
            server.lazyfree_lazy_eviction = config_set_bool(o)?
        }
        "lazyfree-lazy-expire" => {
            server.lazyfree_lazy_expire = config_set_bool(o)?
        }
        "lazyfree-lazy-server-del" => {
            server.lazyfree_lazy_server_del = config_set_bool(o)?
        }
        "slave-lazy-flush" => {
            server.repl_slave_lazy_flush = config_set_bool(o)?
        }
        "replica-lazy-flush" => {
            server.repl_slave_lazy_flush = config_set_bool(o)?
        }
        "no-appendfsync-on-rewrite" => {
            server.aof_no_fsync_on_rewrite = config_set_bool(o)?
        }
        "dynamic-hz" => server.dynamic_hz = config_set_bool(o)?,

        // Numerical fields.
        "tcp-keepalive" => {
            server.tcpkeepalive = config_set_numerical(o, 0, INT_MAX)? as i32
        }
        "maxmemory-samples" => {
            server.maxmemory_samples =
                config_set_numerical(o, 1, INT_MAX)? as i32
        }
        "lfu-log-factor" => {
            server.lfu_log_factor = config_set_numerical(o, 0, INT_MAX)? as i32
        }
        "lfu-decay-time" => {
            server.lfu_decay_time = config_set_numerical(o, 0, INT_MAX)? as i32
        }
        "timeout" => server.maxidletime = config_set_numerical(o, 0, INT_MAX)?,
        "active-defrag-threshold-lower" => {
            server.active_defrag_threshold_lower =
                config_set_numerical(o, 0, 1000)? as i32
        }
        "active-defrag-threshold-upper" => {
            server.active_defrag_threshold_upper =
                config_set_numerical(o, 0, 1000)? as i32
        }
        "active-defrag-ignore-bytes" => {
            server.active_defrag_ignore_bytes =
                config_set_memory(o, 0, LONG_MAX)? as usize
        }
        "active-defrag-cycle-min" => {
            server.active_defrag_cycle_min =
                config_set_numerical(o, 1, 99)? as i32
        }
        "active-defrag-cycle-max" => {
            server.active_defrag_cycle_max =
                config_set_numerical(o, 1, 99)? as i32
        }
        "active-defrag-max-scan-fields" => {
            server.active_defrag_max_scan_fields =
                config_set_numerical(o, 1, LONG_MAX)? as u64
        }
        "auto-aof-rewrite-percentage" => {
            server.aof_rewrite_perc =
                config_set_numerical(o, 0, INT_MAX)? as i32
        }
        "hash-max-ziplist-entries" => {
            server.hash_max_ziplist_entries =
                config_set_numerical(o, 0, LONG_MAX)? as usize
        }
        "hash-max-ziplist-value" => {
            server.hash_max_ziplist_value =
                config_set_numerical(o, 0, LONG_MAX)? as usize
        }
        "stream-node-max-bytes" => {
            server.stream_node_max_bytes =
                config_set_numerical(o, 0, LONG_MAX)? as usize
        }
        "stream-node-max-entries" => {
            server.stream_node_max_entries =
                config_set_numerical(o, 0, LLONG_MAX)?
        }
        "list-max-ziplist-size" => {
            server.list_max_ziplist_size =
                config_set_numerical(o, INT_MIN, INT_MAX)? as i32
        }
        "list-compress-depth" => {
            server.list_compress_depth =
                config_set_numerical(o, 0, INT_MAX)? as i32
        }
        "set-max-intset-entries" => {
            server.set_max_intset_entries =
                config_set_numerical(o, 0, LONG_MAX)? as usize
        }
        "zset-max-ziplist-entries" => {
            server.zset_max_ziplist_entries =
                config_set_numerical(o, 0, LONG_MAX)? as usize
        }
        "zset-max-ziplist-value" => {
            server.zset_max_ziplist_value =
                config_set_numerical(o, 0, LONG_MAX)? as usize
        }
        "hll-sparse-max-bytes" => {
            server.hll_sparse_max_bytes =
                config_set_numerical(o, 0, LONG_MAX)? as usize
        }
        "lua-time-limit" => {
            server.lua_time_limit = config_set_numerical(o, 0, LONG_MAX)?
        }
        "slowlog-log-slower-than" => {
            // (C's LLONG_MIN sentinel means "no bound"; -1 is a real one.)
            server.slowlog_log_slower_than =
                config_set_numerical(o, -1, LLONG_MAX)?
        }
        "slowlog-max-len" => {
            // Cast to unsigned.
            server.slowlog_max_len =
                config_set_numerical(o, 0, LONG_MAX)? as u64
        }
        "latency-monitor-threshold" => {
            server.latency_monitor_threshold =
                config_set_numerical(o, 0, LLONG_MAX)?
        }
        "repl-ping-slave-period" | "repl-ping-replica-period" => {
            server.repl_ping_slave_period =
                config_set_numerical(o, 1, INT_MAX)? as i32
        }
        "repl-timeout" => {
            server.repl_timeout = config_set_numerical(o, 1, INT_MAX)? as i32
        }
        "repl-backlog-ttl" => {
            server.repl_backlog_time_limit =
                config_set_numerical(o, 0, LONG_MAX)?
        }
        "repl-diskless-sync-delay" => {
            server.repl_diskless_sync_delay =
                config_set_numerical(o, 0, INT_MAX)? as i32
        }
        "slave-priority" | "replica-priority" => {
            server.slave_priority = config_set_numerical(o, 0, INT_MAX)? as i32
        }
        "slave-announce-port" | "replica-announce-port" => {
            server.slave_announce_port =
                config_set_numerical(o, 0, 65535)? as i32
        }
        "min-slaves-to-write" | "min-replicas-to-write" => {
            server.repl_min_slaves_to_write =
                config_set_numerical(o, 0, INT_MAX)? as i32;
            crate::replication::refresh_good_slaves_count(server);
        }
        "min-slaves-max-lag" | "min-replicas-max-lag" => {
            server.repl_min_slaves_max_lag =
                config_set_numerical(o, 0, INT_MAX)? as i32;
            crate::replication::refresh_good_slaves_count(server);
        }
        "cluster-node-timeout" => {
            server.cluster_node_timeout = config_set_numerical(o, 0, LLONG_MAX)?
        }
        "cluster-announce-port" => {
            server.cluster_announce_port =
                config_set_numerical(o, 0, 65535)? as i32
        }
        "cluster-announce-bus-port" => {
            server.cluster_announce_bus_port =
                config_set_numerical(o, 0, 65535)? as i32
        }
        "cluster-migration-barrier" => {
            server.cluster_migration_barrier =
                config_set_numerical(o, 0, INT_MAX)? as i32
        }
        "cluster-slave-validity-factor" | "cluster-replica-validity-factor" => {
            server.cluster_slave_validity_factor =
                config_set_numerical(o, 0, INT_MAX)? as i32
        }
        "hz" => {
            // Hz is more an hint from the user, so we accept values out of
            // range but cap them to reasonable values.
            let ll = config_set_numerical(o, 0, INT_MAX)?;
            server.config_hz = (ll as i32).clamp(CONFIG_MIN_HZ, CONFIG_MAX_HZ);
        }
        "watchdog-period" => {
            let ll = config_set_numerical(o, 0, INT_MAX)?;
            if ll != 0 {
                crate::debug::enable_watchdog(server, ll as i32);
            } else {
                crate::debug::disable_watchdog(server);
            }
        }

        // Memory fields.
        "maxmemory" => {
            server.maxmemory = config_set_memory(o, 0, LONG_MAX)? as u64;
            #[allow(clippy::collapsible_if)] // C's shape: eviction follows.
            if server.maxmemory != 0 {
                if server.maxmemory < crate::util::zmalloc_used_memory() as u64
                {
                    server_log!(
                        server,
                        LL_WARNING,
                        "WARNING: the new maxmemory value set via CONFIG SET is smaller than the current memory usage. This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy."
                    );
                }
                // TODO(evict.c): freeMemoryIfNeededAndSafe().
            }
        }
        "proto-max-bulk-len" => {
            server.proto_max_bulk_len =
                config_set_memory(o, 1024 * 1024, LONG_MAX / 2)?
        }
        "client-query-buffer-limit" => {
            server.client_max_querybuf_len =
                config_set_memory(o, 0, LONG_MAX)? as usize
        }
        "repl-backlog-size" => {
            let ll = config_set_memory(o, 0, LONG_MAX)?;
            resize_replication_backlog(server, ll);
        }
        "auto-aof-rewrite-min-size" => {
            server.aof_rewrite_min_size = config_set_memory(o, 0, LONG_MAX)?
        }

        // Enumeration fields.
        "loglevel" => server.verbosity = config_set_enum(o, LOGLEVEL_ENUM)?,
        "maxmemory-policy" => {
            server.maxmemory_policy = config_set_enum(o, MAXMEMORY_POLICY_ENUM)?
        }
        "appendfsync" => server.aof_fsync = config_set_enum(o, AOF_FSYNC_ENUM)?,

        // Everything else is an error...
        _ => {
            let mut msg = b"Unsupported CONFIG parameter: ".to_vec();
            msg.extend_from_slice(&c.argv[2]);
            add_reply_error_bytes_format(c, msg);
            return Ok(false);
        }
    }
    Ok(true)
}

// ------------------------- CONFIG GET implementation -------------------------

/// Collects the CONFIG GET reply: one name/value pair per parameter whose
/// name matches the pattern. Stands in for C's config_get_*_field macros.
/// (no C twin)
struct ConfigGet<'a> {
    pattern: &'a [u8],
    matches: i64,
}

impl ConfigGet<'_> {
    /// C: config.c config_get_string_field() / the reply part of every
    /// config_get_* macro.
    fn field(&mut self, c: &mut Client, name: &str, value: &[u8]) {
        if stringmatch(self.pattern, name.as_bytes(), true) {
            add_reply_bulk(c, name.as_bytes());
            add_reply_bulk(c, value);
            self.matches += 1;
        }
    }

    /// C: config.c config_get_string_field() (NULL is reported as "")
    fn string(&mut self, c: &mut Client, name: &str, value: Option<&[u8]>) {
        self.field(c, name, value.unwrap_or(b""));
    }

    /// C: config.c config_get_bool_field()
    fn bool(&mut self, c: &mut Client, name: &str, value: bool) {
        self.field(c, name, if value { &b"yes"[..] } else { &b"no"[..] });
    }

    /// C: config.c config_get_numerical_field()
    fn num(&mut self, c: &mut Client, name: &str, value: i64) {
        self.field(c, name, value.to_string().as_bytes());
    }

    /// C: config.c config_get_enum_field()
    fn enumeration(
        &mut self,
        c: &mut Client,
        name: &str,
        value: i32,
        ce: &[ConfigEnum],
    ) {
        self.field(
            c,
            name,
            config_enum_get_name_or_unknown(ce, value).as_bytes(),
        );
    }
}

/// CONFIG GET <pattern>: a flat array of name, value pairs for every
/// parameter matching the glob, in C's order, both the slave-* and the
/// replica-* names of a parameter included.
///
/// C: config.c configGetCommand()
pub fn config_get_command(server: &mut RedisServer, c: &mut Client) {
    let pattern = c.argv[2].clone();
    let replylen = add_deferred_multi_bulk_length(c);
    let mut g = ConfigGet { pattern: &pattern, matches: 0 };
    let s = &*server;

    // String values
    g.string(c, "dbfilename", Some(s.rdb_filename.as_bytes()));
    g.string(c, "requirepass", s.requirepass.as_deref());
    g.string(c, "masterauth", s.masterauth.as_deref());
    g.string(
        c,
        "cluster-announce-ip",
        s.cluster_announce_ip.as_ref().map(|v| v.as_bytes()),
    );
    g.string(c, "unixsocket", s.unixsocket.as_ref().map(|v| v.as_bytes()));
    g.string(c, "logfile", Some(s.logfile.as_bytes()));
    g.string(c, "pidfile", s.pidfile.as_ref().map(|v| v.as_bytes()));
    g.string(
        c,
        "slave-announce-ip",
        s.slave_announce_ip.as_ref().map(|v| v.as_bytes()),
    );
    g.string(
        c,
        "replica-announce-ip",
        s.slave_announce_ip.as_ref().map(|v| v.as_bytes()),
    );

    // Numerical values
    g.num(c, "maxmemory", s.maxmemory as i64);
    g.num(c, "proto-max-bulk-len", s.proto_max_bulk_len);
    g.num(c, "client-query-buffer-limit", s.client_max_querybuf_len as i64);
    g.num(c, "maxmemory-samples", s.maxmemory_samples as i64);
    g.num(c, "lfu-log-factor", s.lfu_log_factor as i64);
    g.num(c, "lfu-decay-time", s.lfu_decay_time as i64);
    g.num(c, "timeout", s.maxidletime);
    g.num(
        c,
        "active-defrag-threshold-lower",
        s.active_defrag_threshold_lower as i64,
    );
    g.num(
        c,
        "active-defrag-threshold-upper",
        s.active_defrag_threshold_upper as i64,
    );
    g.num(c, "active-defrag-ignore-bytes", s.active_defrag_ignore_bytes as i64);
    g.num(c, "active-defrag-cycle-min", s.active_defrag_cycle_min as i64);
    g.num(c, "active-defrag-cycle-max", s.active_defrag_cycle_max as i64);
    g.num(
        c,
        "active-defrag-max-scan-fields",
        s.active_defrag_max_scan_fields as i64,
    );
    g.num(c, "auto-aof-rewrite-percentage", s.aof_rewrite_perc as i64);
    g.num(c, "auto-aof-rewrite-min-size", s.aof_rewrite_min_size);
    g.num(c, "hash-max-ziplist-entries", s.hash_max_ziplist_entries as i64);
    g.num(c, "hash-max-ziplist-value", s.hash_max_ziplist_value as i64);
    g.num(c, "stream-node-max-bytes", s.stream_node_max_bytes as i64);
    g.num(c, "stream-node-max-entries", s.stream_node_max_entries);
    g.num(c, "list-max-ziplist-size", s.list_max_ziplist_size as i64);
    g.num(c, "list-compress-depth", s.list_compress_depth as i64);
    g.num(c, "set-max-intset-entries", s.set_max_intset_entries as i64);
    g.num(c, "zset-max-ziplist-entries", s.zset_max_ziplist_entries as i64);
    g.num(c, "zset-max-ziplist-value", s.zset_max_ziplist_value as i64);
    g.num(c, "hll-sparse-max-bytes", s.hll_sparse_max_bytes as i64);
    g.num(c, "lua-time-limit", s.lua_time_limit);
    g.num(c, "slowlog-log-slower-than", s.slowlog_log_slower_than);
    g.num(c, "latency-monitor-threshold", s.latency_monitor_threshold);
    g.num(c, "slowlog-max-len", s.slowlog_max_len as i64);
    g.num(c, "port", s.port as i64);
    g.num(c, "cluster-announce-port", s.cluster_announce_port as i64);
    g.num(c, "cluster-announce-bus-port", s.cluster_announce_bus_port as i64);
    g.num(c, "tcp-backlog", s.tcp_backlog as i64);
    g.num(c, "databases", s.dbnum as i64);
    g.num(c, "repl-ping-slave-period", s.repl_ping_slave_period as i64);
    g.num(c, "repl-ping-replica-period", s.repl_ping_slave_period as i64);
    g.num(c, "repl-timeout", s.repl_timeout as i64);
    g.num(c, "repl-backlog-size", s.repl_backlog_size);
    g.num(c, "repl-backlog-ttl", s.repl_backlog_time_limit);
    g.num(c, "maxclients", s.maxclients as i64);
    g.num(c, "watchdog-period", s.watchdog_period as i64);
    g.num(c, "slave-priority", s.slave_priority as i64);
    g.num(c, "replica-priority", s.slave_priority as i64);
    g.num(c, "slave-announce-port", s.slave_announce_port as i64);
    g.num(c, "replica-announce-port", s.slave_announce_port as i64);
    g.num(c, "min-slaves-to-write", s.repl_min_slaves_to_write as i64);
    g.num(c, "min-replicas-to-write", s.repl_min_slaves_to_write as i64);
    g.num(c, "min-slaves-max-lag", s.repl_min_slaves_max_lag as i64);
    g.num(c, "min-replicas-max-lag", s.repl_min_slaves_max_lag as i64);
    g.num(c, "hz", s.config_hz as i64);
    g.num(c, "cluster-node-timeout", s.cluster_node_timeout);
    g.num(c, "cluster-migration-barrier", s.cluster_migration_barrier as i64);
    g.num(
        c,
        "cluster-slave-validity-factor",
        s.cluster_slave_validity_factor as i64,
    );
    g.num(
        c,
        "cluster-replica-validity-factor",
        s.cluster_slave_validity_factor as i64,
    );
    g.num(c, "repl-diskless-sync-delay", s.repl_diskless_sync_delay as i64);
    g.num(c, "tcp-keepalive", s.tcpkeepalive as i64);

    // Bool (yes/no) values
    g.bool(c, "cluster-require-full-coverage", s.cluster_require_full_coverage);
    g.bool(c, "cluster-slave-no-failover", s.cluster_slave_no_failover);
    g.bool(c, "cluster-replica-no-failover", s.cluster_slave_no_failover);
    g.bool(c, "no-appendfsync-on-rewrite", s.aof_no_fsync_on_rewrite);
    g.bool(c, "slave-serve-stale-data", s.repl_serve_stale_data);
    g.bool(c, "replica-serve-stale-data", s.repl_serve_stale_data);
    g.bool(c, "slave-read-only", s.repl_slave_ro);
    g.bool(c, "replica-read-only", s.repl_slave_ro);
    g.bool(c, "slave-ignore-maxmemory", s.repl_slave_ignore_maxmemory);
    g.bool(c, "replica-ignore-maxmemory", s.repl_slave_ignore_maxmemory);
    g.bool(c, "stop-writes-on-bgsave-error", s.stop_writes_on_bgsave_err);
    g.bool(c, "daemonize", s.daemonize);
    g.bool(c, "rdbcompression", s.rdb_compression);
    g.bool(c, "rdbchecksum", s.rdb_checksum);
    g.bool(c, "activerehashing", s.activerehashing);
    g.bool(c, "activedefrag", s.active_defrag_enabled);
    g.bool(c, "protected-mode", s.protected_mode);
    g.bool(c, "repl-disable-tcp-nodelay", s.repl_disable_tcp_nodelay);
    g.bool(c, "repl-diskless-sync", s.repl_diskless_sync);
    g.bool(c, "aof-rewrite-incremental-fsync", s.aof_rewrite_incremental_fsync);
    g.bool(c, "rdb-save-incremental-fsync", s.rdb_save_incremental_fsync);
    g.bool(c, "aof-load-truncated", s.aof_load_truncated);
    g.bool(c, "aof-use-rdb-preamble", s.aof_use_rdb_preamble);
    g.bool(c, "lazyfree-lazy-eviction", s.lazyfree_lazy_eviction);
    g.bool(c, "lazyfree-lazy-expire", s.lazyfree_lazy_expire);
    g.bool(c, "lazyfree-lazy-server-del", s.lazyfree_lazy_server_del);
    g.bool(c, "slave-lazy-flush", s.repl_slave_lazy_flush);
    g.bool(c, "replica-lazy-flush", s.repl_slave_lazy_flush);
    g.bool(c, "dynamic-hz", s.dynamic_hz);

    // Enum values
    g.enumeration(
        c,
        "maxmemory-policy",
        s.maxmemory_policy,
        MAXMEMORY_POLICY_ENUM,
    );
    g.enumeration(c, "loglevel", s.verbosity, LOGLEVEL_ENUM);
    g.enumeration(c, "supervised", s.supervised_mode, SUPERVISED_MODE_ENUM);
    g.enumeration(c, "appendfsync", s.aof_fsync, AOF_FSYNC_ENUM);
    g.enumeration(
        c,
        "syslog-facility",
        s.syslog_facility,
        SYSLOG_FACILITY_ENUM,
    );

    // Everything we can't handle with macros follows.

    g.field(
        c,
        "appendonly",
        if s.aof_state == AOF_OFF { &b"no"[..] } else { &b"yes"[..] },
    );
    if stringmatch(&pattern, b"dir", true) {
        use std::os::unix::ffi::OsStrExt;
        let buf = std::env::current_dir()
            .map(|p| p.as_os_str().as_bytes().to_vec())
            .unwrap_or_default();
        g.field(c, "dir", &buf);
    }
    if stringmatch(&pattern, b"save", true) {
        let buf = s
            .saveparams
            .iter()
            .map(|sp| format!("{} {}", sp.seconds, sp.changes))
            .collect::<Vec<_>>()
            .join(" ");
        g.field(c, "save", buf.as_bytes());
    }
    if stringmatch(&pattern, b"client-output-buffer-limit", true) {
        let buf = (0..CLIENT_TYPE_OBUF_COUNT)
            .map(|j| {
                format!(
                    "{} {} {} {}",
                    get_client_type_name(j).unwrap_or(""),
                    s.client_obuf_limits[j].hard_limit_bytes,
                    s.client_obuf_limits[j].soft_limit_bytes,
                    s.client_obuf_limits[j].soft_limit_seconds
                )
            })
            .collect::<Vec<_>>()
            .join(" ");
        g.field(c, "client-output-buffer-limit", buf.as_bytes());
    }
    g.field(c, "unixsocketperm", format!("{:o}", s.unixsocketperm).as_bytes());
    if stringmatch(&pattern, b"slaveof", true)
        || stringmatch(&pattern, b"replicaof", true)
    {
        // One entry only, under the first name the pattern matches.
        let optname = if stringmatch(&pattern, b"slaveof", true) {
            "slaveof"
        } else {
            "replicaof"
        };
        let buf = match &s.masterhost {
            Some(host) => format!("{} {}", host, s.masterport),
            None => String::new(),
        };
        add_reply_bulk(c, optname.as_bytes());
        add_reply_bulk(c, buf.as_bytes());
        g.matches += 1;
    }
    g.field(
        c,
        "notify-keyspace-events",
        keyspace_events_flags_to_string(s.notify_keyspace_events).as_bytes(),
    );
    g.field(c, "bind", s.bindaddr.join(" ").as_bytes());
    set_deferred_multi_bulk_length(c, replylen, g.matches * 2);
}

// ----------------------- CONFIG REWRITE implementation -----------------------

pub const REDIS_CONFIG_REWRITE_SIGNATURE: &str =
    "# Generated by CONFIG REWRITE";

/// The config rewrite state.
///
/// C: struct rewriteConfigState
struct RewriteConfigState {
    /// Option -> list of config file lines map. Keys are lower case (C's
    /// dict hashes and compares them case-insensitively).
    option_to_line: HashMap<Vec<u8>, VecDeque<usize>>,
    /// Dictionary of already processed options
    rewritten: HashSet<Vec<u8>>,
    /// Current lines as an array of strings
    lines: Vec<Vec<u8>>,
    /// True if we already added directives that were not present in the
    /// original config file.
    has_tail: bool,
}

/// Append the new line to the current configuration state.
///
/// C: config.c rewriteConfigAppendLine()
fn rewrite_config_append_line(state: &mut RewriteConfigState, line: Vec<u8>) {
    state.lines.push(line);
}

/// Populate the option -> list of line numbers map.
///
/// C: config.c rewriteConfigAddLineNumberToOption()
fn rewrite_config_add_line_number_to_option(
    state: &mut RewriteConfigState,
    option: &[u8],
    linenum: usize,
) {
    state
        .option_to_line
        .entry(option.to_ascii_lowercase())
        .or_default()
        .push_back(linenum);
}

/// Add the specified option to the set of processed options. This is
/// useful as only unused lines of processed options will be blanked in the
/// config file, while options the rewrite process does not understand
/// remain untouched.
///
/// C: config.c rewriteConfigMarkAsProcessed()
fn rewrite_config_mark_as_processed(
    state: &mut RewriteConfigState,
    option: &str,
) {
    state.rewritten.insert(option.as_bytes().to_ascii_lowercase());
}

/// Read the old file, split it into lines to populate a newly created
/// config rewrite state, and return it to the caller.
///
/// If it is impossible to read the old file, an error is returned. If the
/// old file does not exist at all, an empty state is returned.
///
/// C: config.c rewriteConfigReadOldFile()
fn rewrite_config_read_old_file(path: &str) -> io::Result<RewriteConfigState> {
    let mut state = RewriteConfigState {
        option_to_line: HashMap::new(),
        rewritten: HashSet::new(),
        lines: Vec::new(),
        has_tail: false,
    };
    let content = match std::fs::read(path) {
        Ok(content) => content,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(state),
        Err(e) => return Err(e),
    };

    // Read the old file line by line, populate the state.
    for (linenum, chunk) in fgets_lines(&content).into_iter().enumerate() {
        let line = sdstrim(chunk, b"\r\n\t ").to_vec();

        // Handle comments and empty lines.
        if line.is_empty() || line[0] == b'#' {
            if !state.has_tail
                && line == REDIS_CONFIG_REWRITE_SIGNATURE.as_bytes()
            {
                state.has_tail = true;
            }
            rewrite_config_append_line(&mut state, line);
            continue;
        }

        // Not a comment, split into arguments.
        let Some(argv) = sdssplitargs(&line) else {
            // Apparently the line is unparsable for some reason, for
            // instance it may have unbalanced quotes. Load it as a comment.
            let mut aux = b"# ??? ".to_vec();
            aux.extend_from_slice(&line);
            rewrite_config_append_line(&mut state, aux);
            continue;
        };
        // (A line holding only a NUL byte splits into nothing; C then reads
        // past the empty vector. We keep the line as is.)
        let Some(first) = argv.first() else {
            rewrite_config_append_line(&mut state, line);
            continue;
        };

        // We only want lowercase config directives.
        let mut option = first.to_ascii_lowercase();

        // Now we populate the state according to the content of this line.
        // Append the line and populate the option -> line numbers map.
        rewrite_config_append_line(&mut state, line);

        // Translate options using the word "slave" to the corresponding
        // name "replica", before adding such option to the config name ->
        // lines mapping.
        if let Some(p) = option.windows(5).position(|w| w == b"slave") {
            let mut alt = option[..p].to_vec();
            alt.extend_from_slice(b"replica");
            alt.extend_from_slice(&option[p + 5..]);
            option = alt;
        }
        rewrite_config_add_line_number_to_option(&mut state, &option, linenum);
    }
    Ok(state)
}

/// Splits file content the way C's `fgets(buf, CONFIG_MAX_LINE+1, fp)`
/// loop reads it: at each newline (kept), and every CONFIG_MAX_LINE bytes
/// of a longer line. (no C twin: fgets)
fn fgets_lines(content: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = content;
    while !rest.is_empty() {
        let mut n =
            rest.iter().position(|&b| b == b'\n').map_or(rest.len(), |i| i + 1);
        n = n.min(CONFIG_MAX_LINE);
        out.push(&rest[..n]);
        rest = &rest[n..];
    }
    out
}

/// Rewrite the specified configuration option with the new "line". It
/// progressively uses lines of the file that were already used for the
/// same configuration option in the old version of the file, removing that
/// line from the map of options -> line numbers.
///
/// If there are no lines associated with a given configuration option and
/// "force" is true, the line is appended to the configuration file.
/// Usually "force" is true when an option has not its default value, so it
/// must be rewritten even if not present previously.
///
/// The first time a line is appended into a configuration file, a comment
/// is added to show that starting from that point the config file was
/// generated by CONFIG REWRITE.
///
/// C: config.c rewriteConfigRewriteLine()
fn rewrite_config_rewrite_line(
    state: &mut RewriteConfigState,
    option: &str,
    line: Vec<u8>,
    force: bool,
) {
    let o = option.as_bytes().to_ascii_lowercase();

    rewrite_config_mark_as_processed(state, option);

    let Some(l) = state.option_to_line.get_mut(&o) else {
        if !force {
            // Option not used previously, and we are not forced to use it.
            return;
        }
        // Append a new line.
        if !state.has_tail {
            rewrite_config_append_line(
                state,
                REDIS_CONFIG_REWRITE_SIGNATURE.as_bytes().to_vec(),
            );
            state.has_tail = true;
        }
        rewrite_config_append_line(state, line);
        return;
    };

    // There are still lines in the old configuration file we can reuse for
    // this option. Replace the line with the new one.
    let linenum = l.pop_front().expect("option_to_line lists are never empty");
    if l.is_empty() {
        state.option_to_line.remove(&o);
    }
    state.lines[linenum] = line;
}

/// Write the long long 'bytes' value as a string in a way that is parsable
/// inside redis.conf. If possible uses the GB, MB, KB notation.
///
/// C: config.c rewriteConfigFormatMemory()
fn rewrite_config_format_memory(bytes: i64) -> String {
    let gb: i64 = 1024 * 1024 * 1024;
    let mb: i64 = 1024 * 1024;
    let kb: i64 = 1024;

    if bytes != 0 && bytes % gb == 0 {
        format!("{}gb", bytes / gb)
    } else if bytes != 0 && bytes % mb == 0 {
        format!("{}mb", bytes / mb)
    } else if bytes != 0 && bytes % kb == 0 {
        format!("{}kb", bytes / kb)
    } else {
        format!("{}", bytes)
    }
}

/// Rewrite a simple "option-name <bytes>" configuration option.
///
/// C: config.c rewriteConfigBytesOption()
fn rewrite_config_bytes_option(
    state: &mut RewriteConfigState,
    option: &str,
    value: i64,
    defvalue: i64,
) {
    let force = value != defvalue;
    let line = format!("{} {}", option, rewrite_config_format_memory(value));
    rewrite_config_rewrite_line(state, option, line.into_bytes(), force);
}

/// Rewrite a yes/no option.
///
/// C: config.c rewriteConfigYesNoOption()
fn rewrite_config_yes_no_option(
    state: &mut RewriteConfigState,
    option: &str,
    value: bool,
    defvalue: bool,
) {
    let force = value != defvalue;
    let line = format!("{} {}", option, if value { "yes" } else { "no" });
    rewrite_config_rewrite_line(state, option, line.into_bytes(), force);
}

/// Rewrite a string option.
///
/// C: config.c rewriteConfigStringOption()
fn rewrite_config_string_option(
    state: &mut RewriteConfigState,
    option: &str,
    value: Option<&[u8]>,
    defvalue: Option<&str>,
) {
    let mut force = true;

    // String options set to NULL need to be not present at all in the
    // configuration file to be set to NULL again at the next reboot.
    let Some(value) = value else {
        rewrite_config_mark_as_processed(state, option);
        return;
    };

    // Set force to zero if the value is set to its default.
    if defvalue.is_some_and(|d| d.as_bytes() == value) {
        force = false;
    }

    let mut line = option.as_bytes().to_vec();
    line.push(b' ');
    line.extend_from_slice(sdscatrepr(value).as_bytes());
    rewrite_config_rewrite_line(state, option, line, force);
}

/// Rewrite a numerical (long long range) option.
///
/// C: config.c rewriteConfigNumericalOption()
fn rewrite_config_numerical_option(
    state: &mut RewriteConfigState,
    option: &str,
    value: i64,
    defvalue: i64,
) {
    let force = value != defvalue;
    let line = format!("{} {}", option, value);
    rewrite_config_rewrite_line(state, option, line.into_bytes(), force);
}

/// Rewrite a octal option.
///
/// C: config.c rewriteConfigOctalOption()
fn rewrite_config_octal_option(
    state: &mut RewriteConfigState,
    option: &str,
    value: u32,
    defvalue: u32,
) {
    let force = value != defvalue;
    let line = format!("{} {:o}", option, value);
    rewrite_config_rewrite_line(state, option, line.into_bytes(), force);
}

/// Rewrite an enumeration option. It takes as usually state and option
/// name, and in addition the enumeration array and the default value for
/// the option.
///
/// C: config.c rewriteConfigEnumOption()
fn rewrite_config_enum_option(
    state: &mut RewriteConfigState,
    option: &str,
    value: i32,
    ce: &[ConfigEnum],
    defval: i32,
) {
    let name = config_enum_get_name_or_unknown(ce, value);
    let force = value != defval;
    let line = format!("{} {}", option, name);
    rewrite_config_rewrite_line(state, option, line.into_bytes(), force);
}

/// Rewrite the syslog-facility option.
///
/// C: config.c rewriteConfigSyslogfacilityOption()
fn rewrite_config_syslogfacility_option(
    server: &RedisServer,
    state: &mut RewriteConfigState,
) {
    let value = server.syslog_facility;
    let force = value != libc::LOG_LOCAL0;
    let option = "syslog-facility";
    let name = config_enum_get_name_or_unknown(SYSLOG_FACILITY_ENUM, value);
    let line = format!("{} {}", option, name);
    rewrite_config_rewrite_line(state, option, line.into_bytes(), force);
}

/// Rewrite the save option.
///
/// C: config.c rewriteConfigSaveOption()
fn rewrite_config_save_option(
    server: &RedisServer,
    state: &mut RewriteConfigState,
) {
    // Note that if there are no save parameters at all, all the current
    // config line with "save" will be detected as orphaned and deleted,
    // resulting into no RDB persistence as expected.
    for sp in &server.saveparams {
        let line = format!("save {} {}", sp.seconds, sp.changes);
        rewrite_config_rewrite_line(state, "save", line.into_bytes(), true);
    }
    // Mark "save" as processed in case server.saveparamslen is zero.
    rewrite_config_mark_as_processed(state, "save");
}

/// Rewrite the dir option, always using absolute paths.
///
/// C: config.c rewriteConfigDirOption()
fn rewrite_config_dir_option(state: &mut RewriteConfigState) {
    use std::os::unix::ffi::OsStrExt;
    let Ok(cwd) = std::env::current_dir() else {
        rewrite_config_mark_as_processed(state, "dir");
        return; // no rewrite on error.
    };
    rewrite_config_string_option(
        state,
        "dir",
        Some(cwd.as_os_str().as_bytes()),
        None,
    );
}

/// Rewrite the slaveof option.
///
/// C: config.c rewriteConfigSlaveofOption()
fn rewrite_config_slaveof_option(
    server: &RedisServer,
    state: &mut RewriteConfigState,
    option: &str,
) {
    // If this is a master, we want all the slaveof config options in the
    // file to be removed. Note that if this is a cluster instance we don't
    // want a slaveof directive inside redis.conf.
    let Some(host) =
        server.masterhost.as_ref().filter(|_| !server.cluster_enabled)
    else {
        rewrite_config_mark_as_processed(state, option);
        return;
    };
    let line = format!("{} {} {}", option, host, server.masterport);
    rewrite_config_rewrite_line(state, option, line.into_bytes(), true);
}

/// Rewrite the notify-keyspace-events option.
///
/// C: config.c rewriteConfigNotifykeyspaceeventsOption()
fn rewrite_config_notifykeyspaceevents_option(
    server: &RedisServer,
    state: &mut RewriteConfigState,
) {
    let force = server.notify_keyspace_events != 0;
    let option = "notify-keyspace-events";
    let flags = keyspace_events_flags_to_string(server.notify_keyspace_events);
    let line = format!("{} {}", option, sdscatrepr(flags.as_bytes()));
    rewrite_config_rewrite_line(state, option, line.into_bytes(), force);
}

/// Rewrite the client-output-buffer-limit option.
///
/// C: config.c rewriteConfigClientoutputbufferlimitOption()
fn rewrite_config_clientoutputbufferlimit_option(
    server: &RedisServer,
    state: &mut RewriteConfigState,
) {
    let option = "client-output-buffer-limit";
    let classes = server
        .client_obuf_limits
        .iter()
        .zip(CLIENT_BUFFER_LIMITS_DEFAULTS.iter());
    for (j, (cur, def)) in classes.enumerate() {
        let force = cur.hard_limit_bytes != def.hard_limit_bytes
            || cur.soft_limit_bytes != def.soft_limit_bytes
            || cur.soft_limit_seconds != def.soft_limit_seconds;

        let hard = rewrite_config_format_memory(cur.hard_limit_bytes as i64);
        let soft = rewrite_config_format_memory(cur.soft_limit_bytes as i64);

        let mut typename = get_client_type_name(j).unwrap_or("");
        if typename == "slave" {
            typename = "replica";
        }
        let line = format!(
            "{} {} {} {} {}",
            option, typename, hard, soft, cur.soft_limit_seconds
        );
        rewrite_config_rewrite_line(state, option, line.into_bytes(), force);
    }
}

/// Rewrite the bind option.
///
/// C: config.c rewriteConfigBindOption()
fn rewrite_config_bind_option(
    server: &RedisServer,
    state: &mut RewriteConfigState,
) {
    let force = true;
    let option = "bind";

    // Nothing to rewrite if we don't have bind addresses.
    if server.bindaddr.is_empty() {
        rewrite_config_mark_as_processed(state, option);
        return;
    }

    // Rewrite as bind <addr1> <addr2> ... <addrN>
    let line = format!("{} {}", option, server.bindaddr.join(" "));
    rewrite_config_rewrite_line(state, option, line.into_bytes(), force);
}

/// Glue together the configuration lines in the current configuration
/// rewrite state into a single string, stripping multiple empty lines.
///
/// C: config.c rewriteConfigGetContentFromState()
fn rewrite_config_get_content_from_state(
    state: &RewriteConfigState,
) -> Vec<u8> {
    let mut content = Vec::new();
    let mut was_empty = false;
    for line in &state.lines {
        // Every cluster of empty lines is turned into a single empty line.
        if line.is_empty() {
            if was_empty {
                continue;
            }
            was_empty = true;
        } else {
            was_empty = false;
        }
        content.extend_from_slice(line);
        content.push(b'\n');
    }
    content
}

// C: config.c rewriteConfigReleaseState() is Drop.

/// At the end of the rewrite process the state contains the remaining map
/// between "option name" => "lines in the original config file". Lines
/// used by the rewrite process were removed by rewrite_config_rewrite_line,
/// all the other lines are "orphaned" and should be replaced by empty
/// lines.
///
/// This function does just this, iterating all the option names and
/// blanking all the lines still associated.
///
/// C: config.c rewriteConfigRemoveOrphaned()
fn rewrite_config_remove_orphaned(
    server: &RedisServer,
    state: &mut RewriteConfigState,
) {
    for (option, l) in state.option_to_line.iter_mut() {
        // Don't blank lines about options the rewrite process don't
        // understand.
        if !state.rewritten.contains(option) {
            server_log!(
                server,
                LL_DEBUG,
                "Not rewritten option: {}",
                String::from_utf8_lossy(option)
            );
            continue;
        }
        while let Some(linenum) = l.pop_front() {
            state.lines[linenum] = Vec::new();
        }
    }
}

/// This function overwrites the old configuration file with the new
/// content.
///
/// 1) The old file length is obtained.
/// 2) If the new content is smaller, padding is added.
/// 3) A single write(2) call is used to replace the content of the file.
/// 4) Later the file is truncated to the length of the new content.
///
/// This way we are sure the file is left in a consistent state even if the
/// process is stopped between any of the four operations.
///
/// C: config.c rewriteConfigOverwriteFile()
fn rewrite_config_overwrite_file(
    configfile: &str,
    content: &[u8],
) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;

    // 1) Open the old file (or create a new one if it does not exist), get
    //    the size.
    let mut fd = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o644)
        .open(configfile)?;
    let st_size = fd.metadata()?.len() as usize;

    // 2) Pad the content at least match the old file size.
    let content_size = content.len();
    let mut content_padded = content.to_vec();
    let mut padding = 0;
    if content_size < st_size {
        // If the old file was bigger, pad the content with a newline plus
        // as many "#" chars as required.
        padding = st_size - content_size;
        content_padded.push(b'\n');
        content_padded.resize(st_size, b'#');
    }

    // 3) Write the new content using a single write(2).
    fd.write_all(&content_padded)?;

    // 4) Truncate the file to the right length if we used padding.
    if padding != 0 {
        // Non critical error...
        let _ = fd.set_len(content_size as u64);
    }
    Ok(())
}

/// Rewrite the configuration file at "path". If the configuration file
/// already exists, we try at best to retain comments and overall
/// structure.
///
/// Configuration parameters that are at their default value, unless
/// already explicitly included in the old configuration file, are not
/// rewritten.
///
/// C: config.c rewriteConfig()
pub fn rewrite_config(server: &RedisServer, path: &str) -> io::Result<()> {
    // Step 1: read the old config into our rewrite state.
    let mut state = rewrite_config_read_old_file(path)?;
    let st = &mut state;
    let s = server;

    // Step 2: rewrite every single option, replacing or appending it inside
    // the rewrite state.
    let bytes = |v: &Option<String>| v.as_ref().map(|v| v.as_bytes().to_vec());

    rewrite_config_yes_no_option(st, "daemonize", s.daemonize, false);
    rewrite_config_string_option(
        st,
        "pidfile",
        bytes(&s.pidfile).as_deref(),
        Some(CONFIG_DEFAULT_PID_FILE),
    );
    rewrite_config_numerical_option(
        st,
        "port",
        s.port as i64,
        CONFIG_DEFAULT_SERVER_PORT as i64,
    );
    rewrite_config_numerical_option(
        st,
        "cluster-announce-port",
        s.cluster_announce_port as i64,
        CONFIG_DEFAULT_CLUSTER_ANNOUNCE_PORT as i64,
    );
    rewrite_config_numerical_option(
        st,
        "cluster-announce-bus-port",
        s.cluster_announce_bus_port as i64,
        CONFIG_DEFAULT_CLUSTER_ANNOUNCE_BUS_PORT as i64,
    );
    rewrite_config_numerical_option(
        st,
        "tcp-backlog",
        s.tcp_backlog as i64,
        CONFIG_DEFAULT_TCP_BACKLOG as i64,
    );
    rewrite_config_bind_option(s, st);
    rewrite_config_string_option(
        st,
        "unixsocket",
        bytes(&s.unixsocket).as_deref(),
        None,
    );
    rewrite_config_octal_option(
        st,
        "unixsocketperm",
        s.unixsocketperm,
        CONFIG_DEFAULT_UNIX_SOCKET_PERM,
    );
    rewrite_config_numerical_option(
        st,
        "timeout",
        s.maxidletime,
        CONFIG_DEFAULT_CLIENT_TIMEOUT,
    );
    rewrite_config_numerical_option(
        st,
        "tcp-keepalive",
        s.tcpkeepalive as i64,
        CONFIG_DEFAULT_TCP_KEEPALIVE as i64,
    );
    rewrite_config_numerical_option(
        st,
        "replica-announce-port",
        s.slave_announce_port as i64,
        CONFIG_DEFAULT_SLAVE_ANNOUNCE_PORT as i64,
    );
    rewrite_config_enum_option(
        st,
        "loglevel",
        s.verbosity,
        LOGLEVEL_ENUM,
        CONFIG_DEFAULT_VERBOSITY,
    );
    rewrite_config_string_option(
        st,
        "logfile",
        Some(s.logfile.as_bytes()),
        Some(CONFIG_DEFAULT_LOGFILE),
    );
    rewrite_config_yes_no_option(
        st,
        "syslog-enabled",
        s.syslog_enabled,
        CONFIG_DEFAULT_SYSLOG_ENABLED,
    );
    rewrite_config_string_option(
        st,
        "syslog-ident",
        Some(s.syslog_ident.as_bytes()),
        Some(CONFIG_DEFAULT_SYSLOG_IDENT),
    );
    rewrite_config_string_option(
        st,
        "ignore-warnings",
        bytes(&s.ignore_warnings).as_deref(),
        Some(CONFIG_DEFAULT_IGNORE_WARNINGS),
    );
    rewrite_config_syslogfacility_option(s, st);
    rewrite_config_save_option(s, st);
    rewrite_config_numerical_option(
        st,
        "databases",
        s.dbnum as i64,
        CONFIG_DEFAULT_DBNUM as i64,
    );
    rewrite_config_yes_no_option(
        st,
        "stop-writes-on-bgsave-error",
        s.stop_writes_on_bgsave_err,
        CONFIG_DEFAULT_STOP_WRITES_ON_BGSAVE_ERROR,
    );
    rewrite_config_yes_no_option(
        st,
        "rdbcompression",
        s.rdb_compression,
        CONFIG_DEFAULT_RDB_COMPRESSION,
    );
    rewrite_config_yes_no_option(
        st,
        "rdbchecksum",
        s.rdb_checksum,
        CONFIG_DEFAULT_RDB_CHECKSUM,
    );
    rewrite_config_string_option(
        st,
        "dbfilename",
        Some(s.rdb_filename.as_bytes()),
        Some(CONFIG_DEFAULT_RDB_FILENAME),
    );
    rewrite_config_dir_option(st);
    rewrite_config_slaveof_option(s, st, "replicaof");
    rewrite_config_string_option(
        st,
        "replica-announce-ip",
        bytes(&s.slave_announce_ip).as_deref(),
        None,
    );
    rewrite_config_string_option(
        st,
        "masterauth",
        s.masterauth.as_deref(),
        None,
    );
    rewrite_config_string_option(
        st,
        "cluster-announce-ip",
        bytes(&s.cluster_announce_ip).as_deref(),
        None,
    );
    rewrite_config_yes_no_option(
        st,
        "replica-serve-stale-data",
        s.repl_serve_stale_data,
        CONFIG_DEFAULT_SLAVE_SERVE_STALE_DATA,
    );
    rewrite_config_yes_no_option(
        st,
        "replica-read-only",
        s.repl_slave_ro,
        CONFIG_DEFAULT_SLAVE_READ_ONLY,
    );
    rewrite_config_yes_no_option(
        st,
        "replica-ignore-maxmemory",
        s.repl_slave_ignore_maxmemory,
        CONFIG_DEFAULT_SLAVE_IGNORE_MAXMEMORY,
    );
    rewrite_config_numerical_option(
        st,
        "repl-ping-replica-period",
        s.repl_ping_slave_period as i64,
        CONFIG_DEFAULT_REPL_PING_SLAVE_PERIOD as i64,
    );
    rewrite_config_numerical_option(
        st,
        "repl-timeout",
        s.repl_timeout as i64,
        CONFIG_DEFAULT_REPL_TIMEOUT as i64,
    );
    rewrite_config_bytes_option(
        st,
        "repl-backlog-size",
        s.repl_backlog_size,
        CONFIG_DEFAULT_REPL_BACKLOG_SIZE,
    );
    rewrite_config_bytes_option(
        st,
        "repl-backlog-ttl",
        s.repl_backlog_time_limit,
        CONFIG_DEFAULT_REPL_BACKLOG_TIME_LIMIT,
    );
    rewrite_config_yes_no_option(
        st,
        "repl-disable-tcp-nodelay",
        s.repl_disable_tcp_nodelay,
        CONFIG_DEFAULT_REPL_DISABLE_TCP_NODELAY,
    );
    rewrite_config_yes_no_option(
        st,
        "repl-diskless-sync",
        s.repl_diskless_sync,
        CONFIG_DEFAULT_REPL_DISKLESS_SYNC,
    );
    rewrite_config_numerical_option(
        st,
        "repl-diskless-sync-delay",
        s.repl_diskless_sync_delay as i64,
        CONFIG_DEFAULT_REPL_DISKLESS_SYNC_DELAY as i64,
    );
    rewrite_config_numerical_option(
        st,
        "replica-priority",
        s.slave_priority as i64,
        CONFIG_DEFAULT_SLAVE_PRIORITY as i64,
    );
    rewrite_config_numerical_option(
        st,
        "min-replicas-to-write",
        s.repl_min_slaves_to_write as i64,
        CONFIG_DEFAULT_MIN_SLAVES_TO_WRITE as i64,
    );
    rewrite_config_numerical_option(
        st,
        "min-replicas-max-lag",
        s.repl_min_slaves_max_lag as i64,
        CONFIG_DEFAULT_MIN_SLAVES_MAX_LAG as i64,
    );
    rewrite_config_string_option(
        st,
        "requirepass",
        s.requirepass.as_deref(),
        None,
    );
    rewrite_config_numerical_option(
        st,
        "maxclients",
        s.maxclients as i64,
        CONFIG_DEFAULT_MAX_CLIENTS as i64,
    );
    rewrite_config_bytes_option(
        st,
        "maxmemory",
        s.maxmemory as i64,
        CONFIG_DEFAULT_MAXMEMORY as i64,
    );
    rewrite_config_bytes_option(
        st,
        "proto-max-bulk-len",
        s.proto_max_bulk_len,
        CONFIG_DEFAULT_PROTO_MAX_BULK_LEN,
    );
    rewrite_config_bytes_option(
        st,
        "client-query-buffer-limit",
        s.client_max_querybuf_len as i64,
        PROTO_MAX_QUERYBUF_LEN as i64,
    );
    rewrite_config_enum_option(
        st,
        "maxmemory-policy",
        s.maxmemory_policy,
        MAXMEMORY_POLICY_ENUM,
        CONFIG_DEFAULT_MAXMEMORY_POLICY,
    );
    rewrite_config_numerical_option(
        st,
        "maxmemory-samples",
        s.maxmemory_samples as i64,
        CONFIG_DEFAULT_MAXMEMORY_SAMPLES as i64,
    );
    rewrite_config_numerical_option(
        st,
        "lfu-log-factor",
        s.lfu_log_factor as i64,
        CONFIG_DEFAULT_LFU_LOG_FACTOR as i64,
    );
    rewrite_config_numerical_option(
        st,
        "lfu-decay-time",
        s.lfu_decay_time as i64,
        CONFIG_DEFAULT_LFU_DECAY_TIME as i64,
    );
    rewrite_config_numerical_option(
        st,
        "active-defrag-threshold-lower",
        s.active_defrag_threshold_lower as i64,
        CONFIG_DEFAULT_DEFRAG_THRESHOLD_LOWER as i64,
    );
    rewrite_config_numerical_option(
        st,
        "active-defrag-threshold-upper",
        s.active_defrag_threshold_upper as i64,
        CONFIG_DEFAULT_DEFRAG_THRESHOLD_UPPER as i64,
    );
    rewrite_config_bytes_option(
        st,
        "active-defrag-ignore-bytes",
        s.active_defrag_ignore_bytes as i64,
        CONFIG_DEFAULT_DEFRAG_IGNORE_BYTES as i64,
    );
    rewrite_config_numerical_option(
        st,
        "active-defrag-cycle-min",
        s.active_defrag_cycle_min as i64,
        CONFIG_DEFAULT_DEFRAG_CYCLE_MIN as i64,
    );
    rewrite_config_numerical_option(
        st,
        "active-defrag-cycle-max",
        s.active_defrag_cycle_max as i64,
        CONFIG_DEFAULT_DEFRAG_CYCLE_MAX as i64,
    );
    rewrite_config_numerical_option(
        st,
        "active-defrag-max-scan-fields",
        s.active_defrag_max_scan_fields as i64,
        CONFIG_DEFAULT_DEFRAG_MAX_SCAN_FIELDS as i64,
    );
    rewrite_config_yes_no_option(
        st,
        "appendonly",
        s.aof_state != AOF_OFF,
        false,
    );
    rewrite_config_string_option(
        st,
        "appendfilename",
        Some(s.aof_filename.as_bytes()),
        Some(CONFIG_DEFAULT_AOF_FILENAME),
    );
    rewrite_config_enum_option(
        st,
        "appendfsync",
        s.aof_fsync,
        AOF_FSYNC_ENUM,
        CONFIG_DEFAULT_AOF_FSYNC,
    );
    rewrite_config_yes_no_option(
        st,
        "no-appendfsync-on-rewrite",
        s.aof_no_fsync_on_rewrite,
        CONFIG_DEFAULT_AOF_NO_FSYNC_ON_REWRITE,
    );
    rewrite_config_numerical_option(
        st,
        "auto-aof-rewrite-percentage",
        s.aof_rewrite_perc as i64,
        AOF_REWRITE_PERC as i64,
    );
    rewrite_config_bytes_option(
        st,
        "auto-aof-rewrite-min-size",
        s.aof_rewrite_min_size,
        AOF_REWRITE_MIN_SIZE,
    );
    rewrite_config_numerical_option(
        st,
        "lua-time-limit",
        s.lua_time_limit,
        LUA_SCRIPT_TIME_LIMIT,
    );
    rewrite_config_yes_no_option(
        st,
        "cluster-enabled",
        s.cluster_enabled,
        false,
    );
    rewrite_config_string_option(
        st,
        "cluster-config-file",
        Some(s.cluster_configfile.as_bytes()),
        Some(CONFIG_DEFAULT_CLUSTER_CONFIG_FILE),
    );
    rewrite_config_yes_no_option(
        st,
        "cluster-require-full-coverage",
        s.cluster_require_full_coverage,
        CLUSTER_DEFAULT_REQUIRE_FULL_COVERAGE,
    );
    rewrite_config_yes_no_option(
        st,
        "cluster-replica-no-failover",
        s.cluster_slave_no_failover,
        CLUSTER_DEFAULT_SLAVE_NO_FAILOVER,
    );
    rewrite_config_numerical_option(
        st,
        "cluster-node-timeout",
        s.cluster_node_timeout,
        CLUSTER_DEFAULT_NODE_TIMEOUT,
    );
    rewrite_config_numerical_option(
        st,
        "cluster-migration-barrier",
        s.cluster_migration_barrier as i64,
        CLUSTER_DEFAULT_MIGRATION_BARRIER as i64,
    );
    rewrite_config_numerical_option(
        st,
        "cluster-replica-validity-factor",
        s.cluster_slave_validity_factor as i64,
        CLUSTER_DEFAULT_SLAVE_VALIDITY as i64,
    );
    rewrite_config_numerical_option(
        st,
        "slowlog-log-slower-than",
        s.slowlog_log_slower_than,
        CONFIG_DEFAULT_SLOWLOG_LOG_SLOWER_THAN,
    );
    rewrite_config_numerical_option(
        st,
        "latency-monitor-threshold",
        s.latency_monitor_threshold,
        CONFIG_DEFAULT_LATENCY_MONITOR_THRESHOLD,
    );
    rewrite_config_numerical_option(
        st,
        "slowlog-max-len",
        s.slowlog_max_len as i64,
        CONFIG_DEFAULT_SLOWLOG_MAX_LEN as i64,
    );
    rewrite_config_notifykeyspaceevents_option(s, st);
    rewrite_config_numerical_option(
        st,
        "hash-max-ziplist-entries",
        s.hash_max_ziplist_entries as i64,
        OBJ_HASH_MAX_ZIPLIST_ENTRIES as i64,
    );
    rewrite_config_numerical_option(
        st,
        "hash-max-ziplist-value",
        s.hash_max_ziplist_value as i64,
        OBJ_HASH_MAX_ZIPLIST_VALUE as i64,
    );
    rewrite_config_numerical_option(
        st,
        "stream-node-max-bytes",
        s.stream_node_max_bytes as i64,
        OBJ_STREAM_NODE_MAX_BYTES as i64,
    );
    rewrite_config_numerical_option(
        st,
        "stream-node-max-entries",
        s.stream_node_max_entries,
        OBJ_STREAM_NODE_MAX_ENTRIES,
    );
    rewrite_config_numerical_option(
        st,
        "list-max-ziplist-size",
        s.list_max_ziplist_size as i64,
        OBJ_LIST_MAX_ZIPLIST_SIZE as i64,
    );
    rewrite_config_numerical_option(
        st,
        "list-compress-depth",
        s.list_compress_depth as i64,
        OBJ_LIST_COMPRESS_DEPTH as i64,
    );
    rewrite_config_numerical_option(
        st,
        "set-max-intset-entries",
        s.set_max_intset_entries as i64,
        OBJ_SET_MAX_INTSET_ENTRIES as i64,
    );
    rewrite_config_numerical_option(
        st,
        "zset-max-ziplist-entries",
        s.zset_max_ziplist_entries as i64,
        OBJ_ZSET_MAX_ZIPLIST_ENTRIES as i64,
    );
    rewrite_config_numerical_option(
        st,
        "zset-max-ziplist-value",
        s.zset_max_ziplist_value as i64,
        OBJ_ZSET_MAX_ZIPLIST_VALUE as i64,
    );
    rewrite_config_numerical_option(
        st,
        "hll-sparse-max-bytes",
        s.hll_sparse_max_bytes as i64,
        CONFIG_DEFAULT_HLL_SPARSE_MAX_BYTES as i64,
    );
    rewrite_config_yes_no_option(
        st,
        "activerehashing",
        s.activerehashing,
        CONFIG_DEFAULT_ACTIVE_REHASHING,
    );
    rewrite_config_yes_no_option(
        st,
        "activedefrag",
        s.active_defrag_enabled,
        CONFIG_DEFAULT_ACTIVE_DEFRAG,
    );
    rewrite_config_yes_no_option(
        st,
        "protected-mode",
        s.protected_mode,
        CONFIG_DEFAULT_PROTECTED_MODE,
    );
    rewrite_config_clientoutputbufferlimit_option(s, st);
    rewrite_config_numerical_option(
        st,
        "hz",
        s.config_hz as i64,
        CONFIG_DEFAULT_HZ as i64,
    );
    rewrite_config_yes_no_option(
        st,
        "aof-rewrite-incremental-fsync",
        s.aof_rewrite_incremental_fsync,
        CONFIG_DEFAULT_AOF_REWRITE_INCREMENTAL_FSYNC,
    );
    rewrite_config_yes_no_option(
        st,
        "rdb-save-incremental-fsync",
        s.rdb_save_incremental_fsync,
        CONFIG_DEFAULT_RDB_SAVE_INCREMENTAL_FSYNC,
    );
    rewrite_config_yes_no_option(
        st,
        "aof-load-truncated",
        s.aof_load_truncated,
        CONFIG_DEFAULT_AOF_LOAD_TRUNCATED,
    );
    rewrite_config_yes_no_option(
        st,
        "aof-use-rdb-preamble",
        s.aof_use_rdb_preamble,
        CONFIG_DEFAULT_AOF_USE_RDB_PREAMBLE,
    );
    rewrite_config_enum_option(
        st,
        "supervised",
        s.supervised_mode,
        SUPERVISED_MODE_ENUM,
        SUPERVISED_NONE,
    );
    rewrite_config_yes_no_option(
        st,
        "lazyfree-lazy-eviction",
        s.lazyfree_lazy_eviction,
        CONFIG_DEFAULT_LAZYFREE_LAZY_EVICTION,
    );
    rewrite_config_yes_no_option(
        st,
        "lazyfree-lazy-expire",
        s.lazyfree_lazy_expire,
        CONFIG_DEFAULT_LAZYFREE_LAZY_EXPIRE,
    );
    rewrite_config_yes_no_option(
        st,
        "lazyfree-lazy-server-del",
        s.lazyfree_lazy_server_del,
        CONFIG_DEFAULT_LAZYFREE_LAZY_SERVER_DEL,
    );
    rewrite_config_yes_no_option(
        st,
        "replica-lazy-flush",
        s.repl_slave_lazy_flush,
        CONFIG_DEFAULT_SLAVE_LAZY_FLUSH,
    );
    rewrite_config_yes_no_option(
        st,
        "dynamic-hz",
        s.dynamic_hz,
        CONFIG_DEFAULT_DYNAMIC_HZ,
    );

    // Rewrite Sentinel config if in Sentinel mode: never here.

    // Step 3: remove all the orphaned lines in the old file, that is, lines
    // that were used by a config option and are no longer used, like in
    // case of multiple "save" options or duplicated options.
    rewrite_config_remove_orphaned(s, st);

    // Step 4: generate a new configuration file from the modified state
    // and write it into the original file.
    let newcontent = rewrite_config_get_content_from_state(st);
    rewrite_config_overwrite_file(path, &newcontent)
}

// ------------------------- CONFIG command entry point -------------------------

/// CONFIG GET|SET|RESETSTAT|REWRITE|HELP.
///
/// C: config.c configCommand()
pub fn config_command(server: &mut RedisServer, c: &mut Client) {
    // Only allow CONFIG GET while loading.
    if server.loading && !c.argv[1].eq_ignore_ascii_case(b"get") {
        add_reply_error(c, "Only CONFIG GET is allowed during loading");
        return;
    }

    let argc = c.argv.len();
    let sub = c.argv[1].to_ascii_lowercase();
    if argc == 2 && sub == b"help" {
        let help = [
            "GET <pattern> -- Return parameters matching the glob-like <pattern> and their values.",
            "SET <parameter> <value> -- Set parameter to value.",
            "RESETSTAT -- Reset statistics reported by INFO.",
            "REWRITE -- Rewrite the configuration file.",
        ];
        let cmd = String::from_utf8_lossy(&c.argv[0]).into_owned();
        add_reply_help(c, &cmd, &help);
    } else if sub == b"set" && argc == 4 {
        config_set_command(server, c);
    } else if sub == b"get" && argc == 3 {
        config_get_command(server, c);
    } else if sub == b"resetstat" && argc == 2 {
        reset_server_stats(server);
        reset_command_table_stats(server);
        add_reply(c, crate::t_string::OK);
    } else if sub == b"rewrite" && argc == 2 {
        let Some(configfile) = server.configfile.clone() else {
            add_reply_error(c, "The server is running without a config file");
            return;
        };
        match rewrite_config(server, &configfile) {
            Err(e) => {
                server_log!(
                    server,
                    LL_WARNING,
                    "CONFIG REWRITE failed: {}",
                    strerror(&e)
                );
                add_reply_error_format(
                    c,
                    format_args!("Rewriting config file: {}", strerror(&e)),
                );
            }
            Ok(()) => {
                server_log!(
                    server,
                    LL_WARNING,
                    "CONFIG REWRITE executed with success."
                );
                add_reply(c, crate::t_string::OK);
            }
        }
    } else {
        add_reply_subcommand_syntax_error(c);
    }
}

// ---------------------- helpers from replication.c and libc ----------------------

// The port of replication.c resizeReplicationBacklog() is in replication/mod.rs.
use crate::replication::resize_replication_backlog;

/// True if the path holds no '/' nor '\\'.
///
/// C: util.c pathIsBaseName()
fn path_is_base_name(path: &[u8]) -> bool {
    !path.contains(&b'/') && !path.contains(&b'\\')
}

/// Removes the characters in `cset` from both ends.
///
/// C: sds.c sdstrim()
fn sdstrim<'a>(s: &'a [u8], cset: &[u8]) -> &'a [u8] {
    let start = s.iter().position(|b| !cset.contains(b)).unwrap_or(s.len());
    let end =
        s.iter().rposition(|b| !cset.contains(b)).map_or(start, |i| i + 1);
    &s[start..end.max(start)]
}

/// Splits on every occurrence of `sep`; an empty input gives no elements.
///
/// C: sds.c sdssplitlen()
fn sdssplitlen(s: &[u8], sep: u8) -> Vec<&[u8]> {
    if s.is_empty() {
        return Vec::new();
    }
    s.split(|&b| b == sep).collect()
}

/// Converts a memory amount with an optional unit (b, k, kb, m, mb, g,
/// gb, any case) into bytes. Returns the value and whether the input was
/// malformed; a malformed input gives 0, as C does, and the file parser
/// (which passes no error pointer) uses that 0.
///
/// C: util.c memtoll()
pub fn memtoll(p: &[u8]) -> (i64, bool) {
    // Search the first non digit character.
    let mut u = 0;
    if p.first() == Some(&b'-') {
        u += 1;
    }
    while u < p.len() && p[u].is_ascii_digit() {
        u += 1;
    }
    let unit = p[u..].to_ascii_lowercase();
    let mul: i64 = match &unit[..] {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return (0, true),
    };

    // Copy the digits into a buffer, we'll use strtoll() to convert the
    // digit (without the unit) into a number.
    let digits = &p[..u];
    if digits.len() >= 128 {
        return (0, true);
    }
    let (val, end, _) = strtol_prefix(digits, 10);
    if end != digits.len() {
        return (0, true);
    }
    (val.wrapping_mul(mul), false)
}

/// libc strtol()/strtoll(): skips leading white space, reads an optional
/// sign and then digits in `radix` as far as they go, saturating on
/// overflow. Returns the value, the index where parsing stopped (0 if no
/// digits were read, as C's endptr == nptr) and whether it overflowed
/// (C's errno == ERANGE). (no C twin: libc)
fn strtol_prefix(s: &[u8], radix: u32) -> (i64, usize, bool) {
    let mut i = 0;
    while i < s.len()
        && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
    {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    let digits_start = i;
    let mut acc: i128 = 0;
    let mut overflow = false;
    while i < s.len() {
        let Some(d) = (s[i] as char).to_digit(radix) else {
            break;
        };
        acc = acc * radix as i128 + d as i128;
        if acc > i64::MAX as i128 + 1 {
            overflow = true;
            acc = i64::MAX as i128 + 1;
        }
        i += 1;
    }
    if i == digits_start {
        return (0, 0, false);
    }
    let v = if neg { -acc } else { acc };
    if v > i64::MAX as i128 {
        return (i64::MAX, i, true);
    }
    (v as i64, i, overflow)
}

/// libc strtoll(s, NULL, 10). (no C twin: libc)
fn strtoll(s: &[u8]) -> i64 {
    strtol_prefix(s, 10).0
}

/// libc atoi(): glibc's `(int) strtol(s, NULL, 10)`, truncation included.
/// (no C twin: libc)
fn atoi(s: &[u8]) -> i32 {
    strtoll(s) as i32
}

// ------------------------- server.c: start-up helpers -------------------------
//
// The parts of server.c's main() that turn the command line and the
// configuration into a running process. main() itself stays in server.rs.

/// Turns a path relative to the current directory into an absolute one,
/// without resolving symlinks; leading "../" elements are folded into the
/// cwd. main() uses it for the executable and the config file before the
/// `dir` directive changes the cwd.
///
/// C: util.c getAbsolutePath()
pub fn get_absolute_path(filename: &str) -> Option<String> {
    let relpath = filename
        .trim_matches(|c| c == ' ' || c == '\r' || c == '\n' || c == '\t');
    if relpath.starts_with('/') {
        return Some(relpath.to_string()); // Path is already absolute.
    }

    // If path is relative, join cwd and relative path.
    let cwd = std::env::current_dir().ok()?;
    let mut abspath = cwd.to_string_lossy().into_owned();
    if !abspath.is_empty() && !abspath.ends_with('/') {
        abspath.push('/');
    }

    // At this point we have the current path always ending with "/", and
    // the trimmed relative path. Try to normalize the obvious case of
    // trailing ../ elements at the start of the path.
    //
    // For every "../" we find in the filename, we remove it and also
    // remove the last element of the cwd, unless the current cwd is "/".
    let mut relpath = relpath;
    while relpath.starts_with("../") {
        relpath = &relpath[3..];
        if abspath.len() > 1 {
            let without_slash = &abspath[..abspath.len() - 1];
            let cut = without_slash.rfind('/').map_or(0, |i| i + 1);
            abspath.truncate(cut);
        }
    }

    // Finally glue the two parts together.
    abspath.push_str(relpath);
    Some(abspath)
}

/// The command-line arguments after the optional config file, glued into
/// config text: `--name` starts a new line and every other argument is
/// appended quoted, so `--save ""` becomes `save ""` and `--bind a b`
/// becomes `bind "a" "b"`. (no C twin: the options loop of main())
pub fn options_from_args(args: &[String]) -> Vec<u8> {
    let mut options: Vec<u8> = Vec::new();
    for a in args {
        if let Some(name) = a.strip_prefix("--") {
            // Option name
            if a == "--check-rdb" {
                // Argument has no options, need to skip for parsing.
                continue;
            }
            if !options.is_empty() {
                options.push(b'\n');
            }
            options.extend_from_slice(name.as_bytes());
            options.push(b' ');
        } else {
            // Option argument
            options.extend_from_slice(sdscatrepr(a.as_bytes()).as_bytes());
            options.push(b' ');
        }
    }
    options
}

/// The build id printed by --version: C hashes the version, build host
/// and git state with crc64; we hash the version and the crate version.
/// (no C twin: release.c redisBuildId())
fn redis_build_id() -> u64 {
    let buildid = format!(
        "{}oxredis-{}000000000",
        crate::REDIS_VERSION,
        env!("CARGO_PKG_VERSION")
    );
    crc::Crc::<u64>::new(&crc::CRC_64_REDIS).checksum(buildid.as_bytes())
}

/// C: server.c version()
pub fn version() -> ! {
    // Divergence from C: ZMALLOC_LIB names the jemalloc that
    // tikv-jemallocator 0.6 bundles (5.3.0); Redis 5.0.14 ships 5.1.0.
    println!(
        "Redis server v={} sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build={:x}",
        crate::REDIS_VERSION,
        redis_build_id()
    );
    std::process::exit(0);
}

/// C: server.c usage()
pub fn usage() -> ! {
    eprint!(
        "Usage: ./redis-server [/path/to/redis.conf] [options]\n       \
         ./redis-server - (read config from stdin)\n       \
         ./redis-server -v or --version\n       \
         ./redis-server -h or --help\n       \
         ./redis-server --test-memory <megabytes>\n\n\
         Examples:\n       \
         ./redis-server (run the server with default conf)\n       \
         ./redis-server /etc/redis/6379.conf\n       \
         ./redis-server --port 7777\n       \
         ./redis-server --port 7777 --replicaof 127.0.0.1 8888\n       \
         ./redis-server /etc/myredis.conf --loglevel verbose\n\n\
         Sentinel mode:\n       \
         ./redis-server /etc/sentinel.conf --sentinel\n"
    );
    std::process::exit(1);
}

/// Readiness under upstart: stop ourselves so upstart sees we are up.
///
/// C: server.c redisSupervisedUpstart()
pub fn redis_supervised_upstart(server: &RedisServer) -> bool {
    if std::env::var_os("UPSTART_JOB").is_none() {
        server_log!(
            server,
            LL_WARNING,
            "upstart supervision requested, but UPSTART_JOB not found"
        );
        return false;
    }

    server_log!(
        server,
        LL_NOTICE,
        "supervised by upstart, will stop to signal readiness"
    );
    // SAFETY: raise() has no memory-safety preconditions; SIGSTOP stops the
    // whole process until upstart continues it. No other thread exists.
    unsafe {
        libc::raise(libc::SIGSTOP);
    }
    std::env::remove_var("UPSTART_JOB");
    true
}

/// Readiness under systemd: send "READY=1" to the NOTIFY_SOCKET datagram
/// socket (a path, or an abstract name when it starts with '@').
///
/// C: server.c redisSupervisedSystemd()
pub fn redis_supervised_systemd(server: &RedisServer) -> bool {
    use std::os::unix::net::{SocketAddr, UnixDatagram};

    let Some(notify_socket) = std::env::var("NOTIFY_SOCKET").ok() else {
        server_log!(
            server,
            LL_WARNING,
            "systemd supervision requested, but NOTIFY_SOCKET not found"
        );
        return false;
    };

    if !(notify_socket.starts_with('@') || notify_socket.starts_with('/'))
        || notify_socket.len() < 2
    {
        return false;
    }

    server_log!(
        server,
        LL_NOTICE,
        "supervised by systemd, will signal readiness"
    );
    let Ok(fd) = UnixDatagram::unbound() else {
        server_log!(
            server,
            LL_WARNING,
            "Can't connect to systemd socket {}",
            notify_socket
        );
        return false;
    };

    let addr = if let Some(name) = notify_socket.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        SocketAddr::from_abstract_name(name.as_bytes())
    } else {
        SocketAddr::from_pathname(&notify_socket)
    };

    std::env::remove_var("NOTIFY_SOCKET");
    let sent = addr.and_then(|addr| fd.send_to_addr(b"READY=1", &addr));
    if sent.is_err() {
        server_log!(server, LL_WARNING, "Can't send notification to systemd");
        return false;
    }
    true
}

/// Signals readiness to the supervisor `mode` names (or the one the
/// environment shows, for "auto"). True if the process is supervised.
///
/// C: server.c redisIsSupervised()
pub fn redis_is_supervised(server: &RedisServer, mode: i32) -> bool {
    if mode == SUPERVISED_AUTODETECT {
        if std::env::var_os("UPSTART_JOB").is_some() {
            redis_supervised_upstart(server);
        } else if std::env::var_os("NOTIFY_SOCKET").is_some() {
            redis_supervised_systemd(server);
        }
    } else if mode == SUPERVISED_UPSTART {
        return redis_supervised_upstart(server);
    } else if mode == SUPERVISED_SYSTEMD {
        return redis_supervised_systemd(server);
    }
    false
}

/// Writes our pid to the pid file, the default path if none is configured.
///
/// C: server.c createPidFile()
pub fn create_pid_file(server: &mut RedisServer) {
    // If pidfile requested, but no pidfile defined, use default pidfile
    // path
    let pidfile = server
        .pidfile
        .get_or_insert_with(|| CONFIG_DEFAULT_PID_FILE.to_string());

    // Try to write the pid file in a best-effort way.
    let _ = std::fs::write(pidfile, format!("{}\n", std::process::id()));
}

/// Goes to the background: the parent exits, the child starts a new
/// session with standard input and output on /dev/null.
///
/// C: server.c daemonize()
pub fn daemonize() {
    // SAFETY: fork() runs before initServer, when the only thread is the
    // main one and no socket or event registration exists yet (the epoll
    // instance is empty). The parent leaves through exit() at once without
    // touching any state; the child carries on as the server.
    let pid = unsafe { libc::fork() };
    if pid != 0 {
        std::process::exit(0); // parent exits
    }
    // SAFETY: setsid() has no memory-safety preconditions.
    unsafe {
        libc::setsid(); // create a new session
    }

    // Every output goes to /dev/null. If Redis is daemonized but the
    // 'logfile' is set to 'stdout' in the configuration file it will not
    // log at all.
    if let Ok(devnull) =
        std::fs::OpenOptions::new().read(true).write(true).open("/dev/null")
    {
        use std::os::unix::io::AsRawFd;
        let fd = devnull.as_raw_fd();
        // SAFETY: dup2 onto the standard descriptors, which we own; `fd`
        // stays open until `devnull` drops after these calls.
        unsafe {
            libc::dup2(fd, libc::STDIN_FILENO);
            libc::dup2(fd, libc::STDOUT_FILENO);
            libc::dup2(fd, libc::STDERR_FILENO);
        }
    }
}

/// The Redis logo, as asciilogo.h has it. The placeholders are filled in
/// by redis_as_ascii_art: version, git sha1, git dirty flag, bits, mode,
/// port, pid.
///
/// C: asciilogo.h ascii_logo
const ASCII_LOGO: [&str; 18] = [
    "                _._                                                  \n",
    "           _.-``__ ''-._                                             \n",
    "      _.-``    `.  `_.  ''-._           Redis {version} ({sha1}/{dirty}) {bits} bit\n",
    "  .-`` .-```.  ```\\/    _.,_ ''-._                                   \n",
    " (    '      ,       .-`  | `,    )     Running in {mode} mode\n",
    " |`-._`-...-` __...-.``-._|'` _.-'|     Port: {port}\n",
    " |    `-._   `._    /     _.-'    |     PID: {pid}\n",
    "  `-._    `-._  `-./  _.-'    _.-'                                   \n",
    " |`-._`-._    `-.__.-'    _.-'_.-'|                                  \n",
    " |    `-._`-._        _.-'_.-'    |           http://redis.io        \n",
    "  `-._    `-._`-.__.-'_.-'    _.-'                                   \n",
    " |`-._`-._    `-.__.-'    _.-'_.-'|                                  \n",
    " |    `-._`-._        _.-'_.-'    |                                  \n",
    "  `-._    `-._`-.__.-'_.-'    _.-'                                   \n",
    "      `-._    `-.__.-'    _.-'                                       \n",
    "          `-._        _.-'                                           \n",
    "              `-.__.-'                                               \n",
    "\n",
];

/// Shows the ASCII logo, with version, mode, port and pid, if the log goes
/// to a terminal's stdout (and not to syslog), or if always-show-logo is
/// set; otherwise logs the one-line "Running mode=..." notice.
///
/// C: server.c redisAsciiArt()
pub fn redis_as_ascii_art(server: &RedisServer) {
    use std::io::IsTerminal;
    let mode = if server.cluster_enabled {
        "cluster"
    } else if server.sentinel_mode {
        "sentinel"
    } else {
        "standalone"
    };

    // Show the ASCII logo if: log file is stdout AND stdout is a tty AND
    // syslog logging is disabled. Also show logo if the user forced us to
    // do so via redis.conf.
    let show_logo = (!server.syslog_enabled
        && server.logfile.is_empty()
        && io::stdout().is_terminal())
        || server.always_show_logo;

    if !show_logo {
        server_log!(
            server,
            LL_NOTICE,
            "Running mode={}, port={}.",
            mode,
            server.port
        );
    } else {
        let buf = ASCII_LOGO
            .concat()
            .replace("{version}", crate::REDIS_VERSION)
            .replace("{sha1}", "00000000")
            .replace("{dirty}", "0")
            .replace("{bits}", "64")
            .replace("{mode}", mode)
            .replace("{port}", &server.port.to_string())
            .replace("{pid}", &std::process::id().to_string());
        server_log_raw(server, LL_NOTICE | LL_RAW, &buf);
    }
}

/// Check that server.tcp_backlog can be actually enforced in Linux
/// according to the value of /proc/sys/net/core/somaxconn, or warn about
/// it.
///
/// C: server.c checkTcpBacklogSettings()
pub fn check_tcp_backlog_settings(server: &RedisServer) {
    let Ok(buf) = std::fs::read("/proc/sys/net/core/somaxconn") else {
        return;
    };
    let somaxconn = atoi(&buf);
    if somaxconn > 0 && somaxconn < server.tcp_backlog {
        server_log!(
            server,
            LL_WARNING,
            "WARNING: The TCP backlog setting of {} cannot be enforced because /proc/sys/net/core/somaxconn is set to the lower value of {}.",
            server.tcp_backlog,
            somaxconn
        );
    }
}

/// The value of vm.overcommit_memory, or -1 if it cannot be read.
///
/// C: server.c linuxOvercommitMemoryValue()
pub fn linux_overcommit_memory_value() -> i32 {
    match std::fs::read("/proc/sys/vm/overcommit_memory") {
        Ok(buf) => atoi(&buf),
        Err(_) => -1,
    }
}

/// True unless transparent huge pages are set to "never".
///
/// C: latency.c THPIsEnabled()
pub fn thp_is_enabled() -> bool {
    let Ok(buf) = std::fs::read("/sys/kernel/mm/transparent_hugepage/enabled")
    else {
        return false;
    };
    !buf.windows(7).any(|w| w == b"[never]")
}

/// The start-up warnings about kernel settings that hurt BGSAVE and
/// latency.
///
/// C: server.c linuxMemoryWarnings()
pub fn linux_memory_warnings(server: &RedisServer) {
    if linux_overcommit_memory_value() == 0 {
        server_log!(
            server,
            LL_WARNING,
            "WARNING overcommit_memory is set to 0! Background save may fail under low memory condition. To fix this issue add 'vm.overcommit_memory = 1' to /etc/sysctl.conf and then reboot or run the command 'sysctl vm.overcommit_memory=1' for this to take effect."
        );
    }
    if thp_is_enabled() {
        server_log!(
            server,
            LL_WARNING,
            "WARNING you have Transparent Huge Pages (THP) support enabled in your kernel. This will create latency and memory usage issues with Redis. To fix this issue run the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled' as root, and add it to your /etc/rc.local in order to retain the setting after a reboot. Redis must be restarted after THP is disabled."
        );
    }
}

/// This function will try to raise the max number of open files
/// accordingly to the configured max number of clients. It also reserves a
/// number of file descriptors (CONFIG_MIN_RESERVED_FDS) for extra
/// operations of persistence, listening sockets, log files and so forth.
///
/// If it will not be possible to set the limit accordingly to the
/// configured max number of clients, the function will do the reverse
/// setting server.maxclients to the value that we can actually handle.
///
/// C: server.c adjustOpenFilesLimit()
pub fn adjust_open_files_limit(server: &mut RedisServer) {
    let maxfiles = server.maxclients as libc::rlim_t
        + CONFIG_MIN_RESERVED_FDS as libc::rlim_t;
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };

    // SAFETY: getrlimit writes into the rlimit we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == -1 {
        let e = io::Error::last_os_error();
        server_log!(
            server,
            LL_WARNING,
            "Unable to obtain the current NOFILE limit ({}), assuming 1024 and setting the max clients configuration accordingly.",
            strerror(&e)
        );
        server.maxclients = 1024 - CONFIG_MIN_RESERVED_FDS;
        return;
    }
    let oldlimit = limit.rlim_cur;

    // Set the max number of files if the current limit is not enough for
    // our needs.
    if oldlimit >= maxfiles {
        return;
    }
    let mut setrlimit_error = io::Error::from_raw_os_error(0);

    // Try to set the file limit to match 'maxfiles' or at least to the
    // higher value supported less than maxfiles.
    let mut bestlimit = maxfiles;
    while bestlimit > oldlimit {
        let decr_step = 16;

        limit.rlim_cur = bestlimit;
        limit.rlim_max = bestlimit;
        // SAFETY: setrlimit reads the rlimit we own.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != -1 {
            break;
        }
        setrlimit_error = io::Error::last_os_error();

        // We failed to set file limit to 'bestlimit'. Try with a smaller
        // limit decrementing by a few FDs per iteration.
        if bestlimit < decr_step {
            break;
        }
        bestlimit -= decr_step;
    }

    // Assume that the limit we get initially is still valid if our last
    // try was even lower.
    if bestlimit < oldlimit {
        bestlimit = oldlimit;
    }

    if bestlimit < maxfiles {
        let old_maxclients = server.maxclients;
        server.maxclients =
            (bestlimit as u32).wrapping_sub(CONFIG_MIN_RESERVED_FDS);
        // maxclients is unsigned so may overflow: in order to check if
        // maxclients is now logically less than 1 we test indirectly via
        // bestlimit.
        if bestlimit <= CONFIG_MIN_RESERVED_FDS as libc::rlim_t {
            server_log!(
                server,
                LL_WARNING,
                "Your current 'ulimit -n' of {} is not enough for the server to start. Please increase your open file limit to at least {}. Exiting.",
                oldlimit,
                maxfiles
            );
            std::process::exit(1);
        }
        server_log!(
            server,
            LL_WARNING,
            "You requested maxclients of {} requiring at least {} max file descriptors.",
            old_maxclients,
            maxfiles
        );
        server_log!(
            server,
            LL_WARNING,
            "Server can't set maximum open files to {} because of OS error: {}.",
            maxfiles,
            strerror(&setrlimit_error)
        );
        server_log!(
            server,
            LL_WARNING,
            "Current maximum open files is {}. maxclients has been reduced to {} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
            bestlimit,
            server.maxclients
        );
    } else {
        server_log!(
            server,
            LL_NOTICE,
            "Increased maximum number of open files to {} (it was originally set to {}).",
            maxfiles,
            oldlimit
        );
    }
}

/// Loads the modules queued by `loadmodule` lines.
///
/// C: module.c moduleLoadFromQueue()
pub fn module_load_from_queue(server: &RedisServer) {
    // Divergence from C: modules (module.c) are not part of the port, so
    // the first queued module fails to load, and as in C the server then
    // refuses to start.
    if let Some(path) = server.loadmodule_queue.first() {
        server_log!(
            server,
            LL_WARNING,
            "Module {} failed to load: modules are not supported by this server",
            path
        );
        server_log!(
            server,
            LL_WARNING,
            "Can't load module from {}: server aborting",
            path
        );
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memtoll_units_and_errors() {
        assert_eq!(memtoll(b"1gb"), (1024 * 1024 * 1024, false));
        assert_eq!(memtoll(b"10MB"), (10 * 1024 * 1024, false));
        assert_eq!(memtoll(b"2k"), (2000, false));
        assert_eq!(memtoll(b"-5"), (-5, false));
        assert_eq!(memtoll(b""), (0, false));
        assert_eq!(memtoll(b"1.5mb"), (0, true));
        assert_eq!(memtoll(b"12x"), (0, true));
    }

    #[test]
    fn strtol_prefix_is_libc_like() {
        assert_eq!(strtol_prefix(b"  42abc", 10), (42, 4, false));
        assert_eq!(strtol_prefix(b"abc", 10), (0, 0, false));
        assert_eq!(strtol_prefix(b"-0", 10), (0, 2, false));
        assert_eq!(strtol_prefix(b"777", 8), (0o777, 3, false));
        assert!(strtol_prefix(b"99999999999999999999", 10).2);
        assert_eq!(atoi(b"12 34"), 12);
        assert_eq!(atoi(b"x"), 0);
    }

    #[test]
    fn sdstrim_both_ends() {
        assert_eq!(sdstrim(b" \tport 6379\r\n", b" \t\r\n"), b"port 6379");
        assert_eq!(sdstrim(b"   ", b" "), b"");
    }

    #[test]
    fn rewrite_config_format_memory_units() {
        assert_eq!(rewrite_config_format_memory(0), "0");
        assert_eq!(rewrite_config_format_memory(1024 * 1024), "1mb");
        assert_eq!(rewrite_config_format_memory(3 * 1024 * 1024 * 1024), "3gb");
        assert_eq!(rewrite_config_format_memory(16384), "16kb");
        assert_eq!(rewrite_config_format_memory(3600), "3600");
    }

    #[test]
    fn get_absolute_path_folds_parent_dirs() {
        let cwd = std::env::current_dir().unwrap();
        let parent = cwd.parent().unwrap().to_string_lossy().into_owned();
        let got = get_absolute_path("../x.conf").unwrap();
        let want = if parent == "/" {
            "/x.conf".to_string()
        } else {
            format!("{}/x.conf", parent)
        };
        assert_eq!(got, want);
        assert_eq!(
            get_absolute_path("/etc/redis.conf").unwrap(),
            "/etc/redis.conf"
        );
    }

    #[test]
    fn options_from_args_quotes_values() {
        let args: Vec<String> =
            ["--port", "7000", "--save", "", "--bind", "a", "b"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        assert_eq!(
            options_from_args(&args),
            b"port \"7000\" \nsave \"\" \nbind \"a\" \"b\" ".to_vec()
        );
    }

    #[test]
    fn fgets_lines_splits_long_lines() {
        let long = vec![b'a'; CONFIG_MAX_LINE + 10];
        let lines = fgets_lines(&long);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), CONFIG_MAX_LINE);
        assert_eq!(fgets_lines(b"a\nb"), vec![&b"a\n"[..], &b"b"[..]]);
    }
}
