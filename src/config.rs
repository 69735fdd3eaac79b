//! redis.conf and the CONFIG command: the file parser (also fed the
//! `--name value` arguments of the command line), CONFIG GET, CONFIG SET,
//! CONFIG RESETSTAT and CONFIG REWRITE, which edits the file in place and
//! keeps every line it does not understand.
//!
//! Ports config.c from Redis 5.0.14, in the same order, except for two
//! sections with no C twin before the parser: the option table and the
//! special options' hand-written parts (see below). The last section
//! holds the start-up helpers of server.c's main() that read the
//! configuration (usage, version, daemonize, supervision, the pid file, the
//! logo, the Linux warnings), kept beside the parser so server.rs stays the
//! shared core.
//!
//! Before reading: a config error at start-up is not a `Result`. As in C it
//! prints the "FATAL CONFIG FILE ERROR" report on stderr and exits, since
//! nothing else has started yet. Directives for subsystems this port does
//! not have (AOF, cluster, modules, sentinel, active defrag, syslog) are
//! parsed and stored with C's checks so CONFIG GET/REWRITE round-trip them
//! (most in `server.unported`, see `UnportedConfig`); each place where
//! the server then behaves differently says so.
//!
//! Divergence from C: config.c in 5.0 knows its options four times over,
//! in four hand-written lists (the loadServerConfigFromString else-if
//! chain, configSetCommand, configGetCommand and rewriteConfig). Here each
//! option is one `ConfigSpec` in `CONFIG_TABLE`: its names (slave-* and
//! replica-*), kind (yes/no, number or size with C's parser and CONFIG SET
//! bounds, enum, string, or special), accessors into `RedisServer`,
//! rewrite default and side-effect hooks; the parser, CONFIG SET, CONFIG
//! GET and CONFIG REWRITE walk it. Redis 6.0 made the same move (its
//! config.c has a `standardConfig configs[]` table). The texts, checks,
//! casts and both orders (CONFIG GET's and rewriteConfig's) are 5.0.14's;
//! only what config.c handles by hand is still hand-written.

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
use crate::shared;
use crate::util::{
    atoi, sdscatrepr, sdssplitargs, strerror, stringmatch, strtol, strtoll,
};

// ------------------- server.h: configuration defaults and enums -------------------
//
// The header constants that only the configuration reads or writes back.
// (The ones server.rs already had, such as CONFIG_DEFAULT_SERVER_PORT, stay
// there.)

pub(crate) const CONFIG_DEFAULT_DYNAMIC_HZ: bool = true;
pub(crate) const AOF_REWRITE_PERC: i32 = 100;
pub(crate) const AOF_REWRITE_MIN_SIZE: i64 = 64 * 1024 * 1024;
pub(crate) const CONFIG_DEFAULT_SLOWLOG_LOG_SLOWER_THAN: i64 = 10000;
pub(crate) const CONFIG_DEFAULT_SLOWLOG_MAX_LEN: u64 = 128;
pub(crate) const CONFIG_DEFAULT_SLAVE_PRIORITY: i32 = 100;
pub(crate) const CONFIG_DEFAULT_REPL_TIMEOUT: i32 = 60;
pub(crate) const CONFIG_DEFAULT_REPL_PING_SLAVE_PERIOD: i32 = 10;
pub(crate) const CONFIG_DEFAULT_REPL_BACKLOG_SIZE: i64 = 1024 * 1024; // 1mb
pub(crate) const CONFIG_DEFAULT_REPL_BACKLOG_TIME_LIMIT: i64 = 60 * 60; // 1 hour
pub(crate) const CONFIG_REPL_BACKLOG_MIN_SIZE: i64 = 1024 * 16; // 16k
pub(crate) const CONFIG_DEFAULT_SYSLOG_IDENT: &str = "redis";
pub(crate) const CONFIG_DEFAULT_IGNORE_WARNINGS: &str = "ARM64-COW-BUG";
pub(crate) const CONFIG_DEFAULT_CLUSTER_CONFIG_FILE: &str = "nodes.conf";
pub(crate) const CONFIG_DEFAULT_CLUSTER_ANNOUNCE_PORT: i32 = 0; // Use server.port
pub(crate) const CONFIG_DEFAULT_CLUSTER_ANNOUNCE_BUS_PORT: i32 = 0; // +10000 offset
pub(crate) const CONFIG_DEFAULT_UNIX_SOCKET_PERM: u32 = 0;
pub(crate) const CONFIG_DEFAULT_LOGFILE: &str = "";
pub(crate) const CONFIG_DEFAULT_SYSLOG_ENABLED: bool = false;
pub(crate) const CONFIG_DEFAULT_STOP_WRITES_ON_BGSAVE_ERROR: bool = true;
pub(crate) const CONFIG_DEFAULT_RDB_COMPRESSION: bool = true;
pub(crate) const CONFIG_DEFAULT_RDB_CHECKSUM: bool = true;
pub(crate) const CONFIG_DEFAULT_REPL_DISKLESS_SYNC: bool = false;
pub(crate) const CONFIG_DEFAULT_REPL_DISKLESS_SYNC_DELAY: i32 = 5;
pub(crate) const CONFIG_DEFAULT_SLAVE_SERVE_STALE_DATA: bool = true;
pub(crate) const CONFIG_DEFAULT_SLAVE_READ_ONLY: bool = true;
pub(crate) const CONFIG_DEFAULT_SLAVE_IGNORE_MAXMEMORY: bool = true;
pub(crate) const CONFIG_DEFAULT_SLAVE_ANNOUNCE_PORT: i32 = 0;
pub(crate) const CONFIG_DEFAULT_REPL_DISABLE_TCP_NODELAY: bool = false;
pub(crate) const CONFIG_DEFAULT_MAXMEMORY: u64 = 0;
pub(crate) const CONFIG_DEFAULT_MAXMEMORY_SAMPLES: i32 = 5;
pub(crate) const CONFIG_DEFAULT_LFU_LOG_FACTOR: i32 = 10;
pub(crate) const CONFIG_DEFAULT_AOF_FILENAME: &str = "appendonly.aof";
pub(crate) const CONFIG_DEFAULT_AOF_NO_FSYNC_ON_REWRITE: bool = false;
pub(crate) const CONFIG_DEFAULT_AOF_LOAD_TRUNCATED: bool = true;
pub(crate) const CONFIG_DEFAULT_AOF_USE_RDB_PREAMBLE: bool = true;
pub(crate) const CONFIG_DEFAULT_ACTIVE_REHASHING: bool = true;
pub(crate) const CONFIG_DEFAULT_AOF_REWRITE_INCREMENTAL_FSYNC: bool = true;
pub(crate) const CONFIG_DEFAULT_RDB_SAVE_INCREMENTAL_FSYNC: bool = true;
pub(crate) const CONFIG_DEFAULT_MIN_SLAVES_TO_WRITE: i32 = 0;
pub(crate) const CONFIG_DEFAULT_MIN_SLAVES_MAX_LAG: i32 = 10;
pub(crate) const CONFIG_DEFAULT_LATENCY_MONITOR_THRESHOLD: i64 = 0;
pub(crate) const CONFIG_DEFAULT_SLAVE_LAZY_FLUSH: bool = false;
pub(crate) const CONFIG_DEFAULT_LAZYFREE_LAZY_EVICTION: bool = false;
pub(crate) const CONFIG_DEFAULT_LAZYFREE_LAZY_EXPIRE: bool = false;
pub(crate) const CONFIG_DEFAULT_LAZYFREE_LAZY_SERVER_DEL: bool = false;
pub(crate) const CONFIG_DEFAULT_ALWAYS_SHOW_LOGO: bool = false;
pub(crate) const CONFIG_DEFAULT_ACTIVE_DEFRAG: bool = false;
/// Don't defrag when fragmentation is below 10%.
pub(crate) const CONFIG_DEFAULT_DEFRAG_THRESHOLD_LOWER: i32 = 10;
/// Maximum defrag force at 100% fragmentation.
pub(crate) const CONFIG_DEFAULT_DEFRAG_THRESHOLD_UPPER: i32 = 100;
/// Don't defrag if frag overhead is below 100mb.
pub(crate) const CONFIG_DEFAULT_DEFRAG_IGNORE_BYTES: usize = 100 << 20;
/// 5% CPU min (at lower threshold).
pub(crate) const CONFIG_DEFAULT_DEFRAG_CYCLE_MIN: i32 = 5;
/// 75% CPU max (at upper threshold).
pub(crate) const CONFIG_DEFAULT_DEFRAG_CYCLE_MAX: i32 = 75;
/// Keys with more than 1000 fields will be processed separately.
pub(crate) const CONFIG_DEFAULT_DEFRAG_MAX_SCAN_FIELDS: u64 = 1000;

/// AOF states.
pub(crate) const AOF_OFF: i32 = 0; // AOF is off
pub(crate) const AOF_ON: i32 = 1; // AOF is on
pub(crate) const AOF_WAIT_REWRITE: i32 = 2; // AOF waits rewrite to start appending

/// Supervision options.
pub(crate) const SUPERVISED_NONE: i32 = 0;
pub(crate) const SUPERVISED_AUTODETECT: i32 = 1;
pub(crate) const SUPERVISED_SYSTEMD: i32 = 2;
pub(crate) const SUPERVISED_UPSTART: i32 = 3;

/// Append only defines.
pub(crate) const AOF_FSYNC_NO: i32 = 0;
pub(crate) const AOF_FSYNC_ALWAYS: i32 = 1;
pub(crate) const AOF_FSYNC_EVERYSEC: i32 = 2;
pub(crate) const CONFIG_DEFAULT_AOF_FSYNC: i32 = AOF_FSYNC_EVERYSEC;

/// Zipped structures related defaults.
pub(crate) const OBJ_HASH_MAX_ZIPLIST_ENTRIES: usize = 512;
pub(crate) const OBJ_HASH_MAX_ZIPLIST_VALUE: usize = 64;
pub(crate) const OBJ_SET_MAX_INTSET_ENTRIES: usize = 512;
pub(crate) const OBJ_ZSET_MAX_ZIPLIST_ENTRIES: usize = 128;
pub(crate) const OBJ_ZSET_MAX_ZIPLIST_VALUE: usize = 64;
pub(crate) const OBJ_STREAM_NODE_MAX_BYTES: usize = 4096;
pub(crate) const OBJ_STREAM_NODE_MAX_ENTRIES: i64 = 100;

/// List defaults.
pub(crate) const OBJ_LIST_MAX_ZIPLIST_SIZE: i32 = -2;
pub(crate) const OBJ_LIST_COMPRESS_DEPTH: i32 = 0;

/// HyperLogLog defines.
pub(crate) const CONFIG_DEFAULT_HLL_SPARSE_MAX_BYTES: usize = 3000;

// The maxmemory policies (MAXMEMORY_*) and CONFIG_DEFAULT_MAXMEMORY_POLICY
// live in server.rs, beside their readers in object.rs.

/// Scripting: milliseconds.
pub(crate) const LUA_SCRIPT_TIME_LIMIT: i64 = 5000;

/// cluster.h defaults.
pub(crate) const CLUSTER_DEFAULT_NODE_TIMEOUT: i64 = 15000;
pub(crate) const CLUSTER_DEFAULT_SLAVE_VALIDITY: i32 = 10; // Slave max data age factor.
pub(crate) const CLUSTER_DEFAULT_REQUIRE_FULL_COVERAGE: bool = true;
pub(crate) const CLUSTER_DEFAULT_SLAVE_NO_FAILOVER: bool = false; // Failover by default.
pub(crate) const CLUSTER_DEFAULT_MIGRATION_BARRIER: i32 = 1;

// ----------------------- Config file name-value maps -----------------------

/// One name of an enumerated option and its value. C: struct configEnum
pub(crate) struct ConfigEnum {
    pub(crate) name: &'static str,
    pub(crate) val: i32,
}

macro_rules! config_enum {
    ($($name:expr => $val:expr),* $(,)?) => {
        &[$(ConfigEnum { name: $name, val: $val }),*]
    };
}

pub(crate) static MAXMEMORY_POLICY_ENUM: &[ConfigEnum] = config_enum![
    "volatile-lru" => MAXMEMORY_VOLATILE_LRU,
    "volatile-lfu" => MAXMEMORY_VOLATILE_LFU,
    "volatile-random" => MAXMEMORY_VOLATILE_RANDOM,
    "volatile-ttl" => MAXMEMORY_VOLATILE_TTL,
    "allkeys-lru" => MAXMEMORY_ALLKEYS_LRU,
    "allkeys-lfu" => MAXMEMORY_ALLKEYS_LFU,
    "allkeys-random" => MAXMEMORY_ALLKEYS_RANDOM,
    "noeviction" => MAXMEMORY_NO_EVICTION,
];

pub(crate) static SYSLOG_FACILITY_ENUM: &[ConfigEnum] = config_enum![
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

pub(crate) static LOGLEVEL_ENUM: &[ConfigEnum] = config_enum![
    "debug" => LL_DEBUG,
    "verbose" => LL_VERBOSE,
    "notice" => LL_NOTICE,
    "warning" => LL_WARNING,
];

pub(crate) static SUPERVISED_MODE_ENUM: &[ConfigEnum] = config_enum![
    "upstart" => SUPERVISED_UPSTART,
    "systemd" => SUPERVISED_SYSTEMD,
    "auto" => SUPERVISED_AUTODETECT,
    "no" => SUPERVISED_NONE,
];

pub(crate) static AOF_FSYNC_ENUM: &[ConfigEnum] = config_enum![
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
pub(crate) fn config_enum_get_value(
    ce: &[ConfigEnum],
    name: &[u8],
) -> Option<i32> {
    ce.iter()
        .find(|e| e.name.as_bytes().eq_ignore_ascii_case(name))
        .map(|e| e.val)
}

/// Get enum name from value. If no match is found `None` is returned.
///
/// C: config.c configEnumGetName()
pub(crate) fn config_enum_get_name(
    ce: &[ConfigEnum],
    val: i32,
) -> Option<&'static str> {
    ce.iter().find(|e| e.val == val).map(|e| e.name)
}

/// Wrapper for config_enum_get_name() returning "unknown" instead of
/// `None` if there is no match.
///
/// C: config.c configEnumGetNameOrUnknown()
pub(crate) fn config_enum_get_name_or_unknown(
    ce: &[ConfigEnum],
    val: i32,
) -> &'static str {
    config_enum_get_name(ce, val).unwrap_or("unknown")
}

/// Used for INFO generation.
///
/// C: config.c evictPolicyToString()
pub(crate) fn evict_policy_to_string(server: &RedisServer) -> &'static str {
    config_enum_get_name_or_unknown(
        MAXMEMORY_POLICY_ENUM,
        server.maxmemory_policy,
    )
}

// ---------------------------- The option table ----------------------------
//
// (See the module doc.) The table is in CONFIG GET's order (strings,
// numbers, yes/no, enums, then the specials), which is what `CONFIG GET *`
// shows; CONFIG REWRITE keeps rewriteConfig()'s own order through
// `REWRITE_ORDER`. Only what config.c itself handles by hand has
// hand-written code here (`Kind::Special` and the `load_with`/`set_with`/
// `on_set` hooks).

/// The error text of a directive C's else-if chain does not match.
const ERR_BAD_DIRECTIVE: &str = "Bad directive or wrong number of arguments";

/// How the file parser reads a number: config.c calls atoi(), strtoll(, 10).value,
/// memtoll() or strtol(..., 8) depending on the directive. (no C twin)
#[derive(Clone, Copy)]
enum Parse {
    Atoi,
    Strtoll,
    Memtoll,
    /// strtol(..., 8) with errno checked: an overflow fails the check.
    Octal,
}

/// CONFIG SET's check of a number: C's config_set_numerical_field (a
/// canonical integer) or config_set_memory_field (memtoll units), within
/// [min, max]; or not settable at run time. (no C twin)
#[derive(Clone, Copy)]
enum SetNum {
    Immutable,
    Numerical(i64, i64),
    Memory(i64, i64),
}

/// How CONFIG GET and CONFIG REWRITE print a number. (no C twin)
#[derive(Clone, Copy, PartialEq)]
enum NumFmt {
    /// `%lld`; rewritten by rewriteConfigNumericalOption.
    Num,
    /// `%lld`; rewritten by rewriteConfigBytesOption (1gb, 2mb…).
    Bytes,
    /// `%o`; rewritten by rewriteConfigOctalOption.
    Octal,
}

/// When a string option's empty value means NULL. (no C twin)
#[derive(Clone, Copy, PartialEq)]
enum Null {
    /// Stored as given, even empty (C's plain zstrdup).
    Never,
    /// `argv[1][0] ? zstrdup(argv[1]) : NULL` in the parser and CONFIG SET.
    IfEmpty,
    /// The parser stores "", CONFIG SET makes it NULL.
    IfEmptyOnSet,
}

/// A directive the parser handles by hand: `Err(text)` is C's `err = text;
/// goto loaderr`. Gets the line number and where to note a replicaof line
/// (for the cluster sanity check).
type LoadFn =
    fn(&mut RedisServer, &[Vec<u8>], usize, &mut usize) -> Result<(), String>;
/// A CONFIG SET handled by hand, as configSetCommand's special fields:
/// `Ok(true)` replies +OK, `Ok(false)` means a reply was sent.
type SetFn = fn(&mut RedisServer, &mut Client, &[u8]) -> Result<bool, BadFmt>;
/// Side effects of a CONFIG SET of a number, after the store: gets the old
/// value and the parsed one; `false` means it replied with an error and
/// put the old value back.
type ApplyFn = fn(&mut RedisServer, &mut Client, i64, i64) -> bool;
/// The parser's range check of a number, and its error text.
type NumCheck = (fn(i64) -> bool, &'static str);
/// A string check, the parser's error text, and whether CONFIG SET replies
/// that text (true) or "Invalid argument" (false).
type StrCheck = (fn(&[u8]) -> bool, &'static str, bool);
/// A special option's CONFIG GET value.
type GetFn = fn(&RedisServer) -> Vec<u8>;
/// A special option's CONFIG REWRITE (a rewriteConfig*Option function).
type RewriteFn = fn(&RedisServer, &mut RewriteConfigState);

/// What an option holds, with its accessors into `RedisServer`, the
/// parser's check and text, CONFIG SET's bounds and CONFIG REWRITE's
/// default (C's defaults as rewriteConfig passes them). (no C twin)
enum Kind {
    /// yes/no: C's yesnotoi(), config_set_bool_field, config_get_bool_field,
    /// rewriteConfigYesNoOption.
    Bool {
        get: fn(&RedisServer) -> bool,
        put: fn(&mut RedisServer, bool),
        default: bool,
    },
    /// An integer (or a size with units), kept in the field's own C type;
    /// the accessors do C's casts.
    Num {
        get: fn(&RedisServer) -> i64,
        put: fn(&mut RedisServer, i64),
        parse: Parse,
        /// The parser's range check and its error text.
        check: Option<NumCheck>,
        set: SetNum,
        fmt: NumFmt,
        default: i64,
    },
    /// A name from a ConfigEnum table.
    Enum {
        get: fn(&RedisServer) -> i32,
        put: fn(&mut RedisServer, i32),
        table: &'static [ConfigEnum],
        /// The parser's error text.
        err: &'static str,
        default: i32,
    },
    /// A string; `None` is C's NULL (CONFIG GET shows "").
    Str {
        get: fn(&RedisServer) -> Option<&[u8]>,
        put: fn(&mut RedisServer, Option<&[u8]>),
        null: Null,
        /// A check, the parser's error text, and whether CONFIG SET replies
        /// that text (true) or "Invalid argument" (false).
        check: Option<StrCheck>,
        default: Option<&'static str>,
    },
    /// Everything config.c does by hand in all four places.
    Special {
        /// Accepted argument counts, argv[0] included.
        argc: (usize, usize),
        load: Option<LoadFn>,
        set: Option<SetFn>,
        get: Option<GetFn>,
        rewrite: Option<RewriteFn>,
    },
}

/// Which names CONFIG GET reports. (no C twin)
#[derive(Clone, Copy, PartialEq)]
enum Get {
    /// Not reported (C's configGetCommand does not list it).
    No,
    /// Every matching name (slave-read-only and replica-read-only).
    Each,
    /// The first matching name only (slaveof / replicaof).
    First,
    /// Only when the pattern is the name itself, never through a glob, so
    /// `CONFIG GET *` stays 5.0.14's (the options of oxredis's own, such
    /// as trace-events).
    Named,
}

/// One configuration option. (no C twin: see the section comment)
pub(crate) struct ConfigSpec {
    /// Every name the option answers to, the old slave-* one first. CONFIG
    /// REWRITE writes the last.
    names: &'static [&'static str],
    kind: Kind,
    get: Get,
    /// Settable by CONFIG SET (numbers say so through `SetNum`).
    mutable: bool,
    /// A redis.conf directive (watchdog-period is CONFIG SET only).
    loadable: bool,
    load_with: Option<LoadFn>,
    set_with: Option<SetFn>,
    on_set: Option<ApplyFn>,
}

impl ConfigSpec {
    const fn new(names: &'static [&'static str], kind: Kind) -> ConfigSpec {
        ConfigSpec {
            names,
            kind,
            get: Get::Each,
            mutable: true,
            loadable: true,
            load_with: None,
            set_with: None,
            on_set: None,
        }
    }
    const fn immutable(mut self) -> Self {
        self.mutable = false;
        self
    }
    const fn get(mut self, get: Get) -> Self {
        self.get = get;
        self
    }
    const fn no_load(mut self) -> Self {
        self.loadable = false;
        self
    }
    const fn load_with(mut self, f: LoadFn) -> Self {
        self.load_with = Some(f);
        self
    }
    const fn set_with(mut self, f: SetFn) -> Self {
        self.set_with = Some(f);
        self
    }
    const fn on_set(mut self, f: ApplyFn) -> Self {
        self.on_set = Some(f);
        self
    }

    /// Whether CONFIG SET knows the option.
    fn settable(&self) -> bool {
        match self.kind {
            _ if self.set_with.is_some() => true,
            Kind::Num { set: SetNum::Immutable, .. } => false,
            Kind::Special { set, .. } => set.is_some(),
            _ => self.mutable,
        }
    }

    /// Whether the parser takes this many arguments (argv[0] included).
    fn argc_ok(&self, argc: usize) -> bool {
        match self.kind {
            Kind::Special { argc: (min, max), .. } => {
                argc >= min && argc <= max
            }
            _ => argc == 2,
        }
    }

    /// The name CONFIG REWRITE writes.
    fn rewrite_name(&self) -> &'static str {
        self.names[self.names.len() - 1]
    }
}

/// The option of this (lower-case) name, if any. (no C twin)
fn lookup_config(name: &[u8]) -> Option<&'static ConfigSpec> {
    CONFIG_TABLE
        .iter()
        .find(|spec| spec.names.iter().any(|n| n.as_bytes() == name))
}

macro_rules! yes_no {
    ($($f:ident).+, $default:expr) => {
        Kind::Bool {
            get: |s| s.$($f).+,
            put: |s, v| s.$($f).+ = v,
            default: $default,
        }
    };
}

macro_rules! num {
    ($($f:ident).+ as $t:ty, $parse:ident, $set:expr, $fmt:ident,
     $default:expr $(, $check:expr, $err:expr)?) => {
        Kind::Num {
            get: |s| s.$($f).+ as i64,
            put: |s, v| s.$($f).+ = v as $t,
            parse: Parse::$parse,
            check: num!(@check $($check, $err)?),
            set: $set,
            fmt: NumFmt::$fmt,
            default: $default as i64,
        }
    };
    (@check) => { None };
    (@check $check:expr, $err:expr) => { Some(($check, $err)) };
}

macro_rules! enumeration {
    ($($f:ident).+, $table:expr, $err:expr, $default:expr) => {
        Kind::Enum {
            get: |s| s.$($f).+,
            put: |s, v| s.$($f).+ = v,
            table: $table,
            err: $err,
            default: $default,
        }
    };
}

/// Bytes from a config line as a `String` field holds them. (no C twin)
fn lossy(v: &[u8]) -> String {
    String::from_utf8_lossy(v).into_owned()
}

/// A string option held as `Option<String>`.
macro_rules! opt_string {
    ($($f:ident).+, $null:ident, $default:expr $(, $check:expr)?) => {
        Kind::Str {
            get: |s| s.$($f).+.as_deref().map(str::as_bytes),
            put: |s, v| s.$($f).+ = v.map(lossy),
            null: Null::$null,
            check: opt_string!(@check $($check)?),
            default: $default,
        }
    };
    (@check) => { None };
    (@check $check:expr) => { Some($check) };
}

/// A string option held as `String` (never NULL in C).
macro_rules! string {
    ($($f:ident).+, $default:expr $(, $check:expr)?) => {
        Kind::Str {
            get: |s| Some(s.$($f).+.as_bytes()),
            put: |s, v| s.$($f).+ = v.map(lossy).unwrap_or_default(),
            null: Null::Never,
            check: opt_string!(@check $($check)?),
            default: $default,
        }
    };
}

/// A password, held as `Option<Vec<u8>>` (binary-safe, "" is NULL).
macro_rules! password {
    ($f:ident $(, $check:expr)?) => {
        Kind::Str {
            get: |s| s.$f.as_deref(),
            put: |s, v| s.$f = v.map(<[u8]>::to_vec),
            null: Null::IfEmpty,
            check: opt_string!(@check $($check)?),
            default: None,
        }
    };
}

/// A special option: argument counts and its hand-written parts.
macro_rules! special {
    ($min:expr, $max:expr, load: $load:expr, set: $set:expr,
     get: $get:expr, rewrite: $rw:expr) => {
        Kind::Special {
            argc: ($min, $max),
            load: $load,
            set: $set,
            get: $get,
            rewrite: $rw,
        }
    };
}

const INT_MAX: i64 = i32::MAX as i64;
const INT_MIN: i64 = i32::MIN as i64;
const LONG_MAX: i64 = i64::MAX;
const LLONG_MAX: i64 = i64::MAX;
const ANY: usize = usize::MAX;

use SetNum::{Immutable, Memory, Numerical};

/// Every option, in CONFIG GET's order. See the section comment.
#[allow(clippy::unnecessary_cast)] // The macros cast every field alike.
static CONFIG_TABLE: &[ConfigSpec] = &[
    // String values
    ConfigSpec::new(&["dbfilename"], string!(rdb_filename,
        Some(CONFIG_DEFAULT_RDB_FILENAME),
        (path_is_base_name,
            "dbfilename can't be a path, just a filename", true))),
    ConfigSpec::new(&["requirepass"], password!(requirepass,
        (|v| v.len() <= CONFIG_AUTHPASS_MAX_LEN,
            "Password is longer than CONFIG_AUTHPASS_MAX_LEN", false))),
    ConfigSpec::new(&["masterauth"], password!(masterauth)),
    ConfigSpec::new(&["cluster-announce-ip"], opt_string!(
        unported.cluster_announce_ip, IfEmptyOnSet, None)),
    ConfigSpec::new(&["unixsocket"], opt_string!(unixsocket, Never, None))
        .immutable(),
    ConfigSpec::new(&["logfile"], string!(logfile,
        Some(CONFIG_DEFAULT_LOGFILE)))
        .immutable()
        .load_with(load_logfile),
    ConfigSpec::new(&["pidfile"], opt_string!(pidfile, Never,
        Some(CONFIG_DEFAULT_PID_FILE)))
        .immutable(),
    ConfigSpec::new(&["slave-announce-ip", "replica-announce-ip"], opt_string!(
        slave_announce_ip, IfEmptyOnSet, None)),
    // (Strings CONFIG GET does not report.)
    ConfigSpec::new(&["syslog-ident"], string!(unported.syslog_ident,
        Some(CONFIG_DEFAULT_SYSLOG_IDENT)))
        .immutable()
        .get(Get::No),
    ConfigSpec::new(&["ignore-warnings"], opt_string!(ignore_warnings, Never,
        Some(CONFIG_DEFAULT_IGNORE_WARNINGS)))
        .immutable()
        .get(Get::No),
    ConfigSpec::new(&["appendfilename"], string!(aof_filename,
        Some(CONFIG_DEFAULT_AOF_FILENAME),
        (path_is_base_name,
            "appendfilename can't be a path, just a filename", true)))
        .immutable()
        .get(Get::No),
    ConfigSpec::new(&["cluster-config-file"], string!(
        unported.cluster_configfile, Some(CONFIG_DEFAULT_CLUSTER_CONFIG_FILE)))
        .immutable()
        .get(Get::No),

    // Numerical values
    ConfigSpec::new(&["maxmemory"], num!(maxmemory as u64, Memtoll,
        Memory(0, LONG_MAX), Bytes, CONFIG_DEFAULT_MAXMEMORY))
        .on_set(apply_maxmemory),
    ConfigSpec::new(&["proto-max-bulk-len"], num!(proto_max_bulk_len as i64,
        Memtoll, Memory(1024 * 1024, LONG_MAX / 2), Bytes,
        CONFIG_DEFAULT_PROTO_MAX_BULK_LEN)),
    ConfigSpec::new(&["client-query-buffer-limit"], num!(
        client_max_querybuf_len as usize, Memtoll, Memory(0, LONG_MAX), Bytes,
        PROTO_MAX_QUERYBUF_LEN)),
    ConfigSpec::new(&["maxmemory-samples"], num!(
        maxmemory_samples as i32, Atoi, Numerical(1, INT_MAX), Num,
        CONFIG_DEFAULT_MAXMEMORY_SAMPLES, |v| v > 0,
        "maxmemory-samples must be 1 or greater")),
    ConfigSpec::new(&["lfu-log-factor"], num!(lfu_log_factor as i32,
        Atoi, Numerical(0, INT_MAX), Num, CONFIG_DEFAULT_LFU_LOG_FACTOR,
        |v| v >= 0, "lfu-log-factor must be 0 or greater")),
    ConfigSpec::new(&["lfu-decay-time"], num!(lfu_decay_time as i32, Atoi,
        Numerical(0, INT_MAX), Num, CONFIG_DEFAULT_LFU_DECAY_TIME, |v| v >= 0,
        "lfu-decay-time must be 0 or greater")),
    ConfigSpec::new(&["timeout"], num!(maxidletime as i64, Atoi,
        Numerical(0, INT_MAX), Num, CONFIG_DEFAULT_CLIENT_TIMEOUT, |v| v >= 0,
        "Invalid timeout value")),
    ConfigSpec::new(&["active-defrag-threshold-lower"], num!(
        unported.active_defrag_threshold_lower as i32, Atoi, Numerical(0, 1000),
        Num, CONFIG_DEFAULT_DEFRAG_THRESHOLD_LOWER, |v| (0..=1000).contains(&v),
        "active-defrag-threshold-lower must be between 0 and 1000")),
    ConfigSpec::new(&["active-defrag-threshold-upper"], num!(
        unported.active_defrag_threshold_upper as i32, Atoi, Numerical(0, 1000),
        Num, CONFIG_DEFAULT_DEFRAG_THRESHOLD_UPPER, |v| (0..=1000).contains(&v),
        "active-defrag-threshold-upper must be between 0 and 1000")),
    // (size_t in C: a negative value wraps, only 0 fails.)
    ConfigSpec::new(&["active-defrag-ignore-bytes"], num!(
        unported.active_defrag_ignore_bytes as usize, Memtoll,
        Memory(0, LONG_MAX), Bytes, CONFIG_DEFAULT_DEFRAG_IGNORE_BYTES,
        |v| v != 0, "active-defrag-ignore-bytes must above 0")),
    ConfigSpec::new(&["active-defrag-cycle-min"], num!(
        unported.active_defrag_cycle_min as i32, Atoi, Numerical(1, 99), Num,
        CONFIG_DEFAULT_DEFRAG_CYCLE_MIN, |v| (1..=99).contains(&v),
        "active-defrag-cycle-min must be between 1 and 99")),
    ConfigSpec::new(&["active-defrag-cycle-max"], num!(
        unported.active_defrag_cycle_max as i32, Atoi, Numerical(1, 99), Num,
        CONFIG_DEFAULT_DEFRAG_CYCLE_MAX, |v| (1..=99).contains(&v),
        "active-defrag-cycle-max must be between 1 and 99")),
    // (unsigned long in C: a negative value wraps, only 0 fails.)
    ConfigSpec::new(&["active-defrag-max-scan-fields"], num!(
        unported.active_defrag_max_scan_fields as u64, Strtoll,
        Numerical(1, LONG_MAX), Num, CONFIG_DEFAULT_DEFRAG_MAX_SCAN_FIELDS,
        |v| v != 0, "active-defrag-max-scan-fields must be positive")),
    ConfigSpec::new(&["auto-aof-rewrite-percentage"], num!(
        aof_rewrite_perc as i32, Atoi, Numerical(0, INT_MAX), Num,
        AOF_REWRITE_PERC, |v| v >= 0,
        "Invalid negative percentage for AOF auto rewrite")),
    ConfigSpec::new(&["auto-aof-rewrite-min-size"], num!(
        aof_rewrite_min_size as i64, Memtoll, Memory(0, LONG_MAX),
        Bytes, AOF_REWRITE_MIN_SIZE)),
    ConfigSpec::new(&["hash-max-ziplist-entries"], num!(
        hash_max_ziplist_entries as usize, Memtoll, Numerical(0, LONG_MAX), Num,
        OBJ_HASH_MAX_ZIPLIST_ENTRIES)),
    ConfigSpec::new(&["hash-max-ziplist-value"], num!(
        hash_max_ziplist_value as usize, Memtoll, Numerical(0, LONG_MAX), Num,
        OBJ_HASH_MAX_ZIPLIST_VALUE)),
    ConfigSpec::new(&["stream-node-max-bytes"], num!(
        stream_node_max_bytes as usize, Memtoll,
        Numerical(0, LONG_MAX), Num, OBJ_STREAM_NODE_MAX_BYTES)),
    ConfigSpec::new(&["stream-node-max-entries"], num!(
        stream_node_max_entries as i64, Atoi, Numerical(0, LLONG_MAX),
        Num, OBJ_STREAM_NODE_MAX_ENTRIES)),
    ConfigSpec::new(&["list-max-ziplist-size"], num!(
        list_max_ziplist_size as i32, Atoi, Numerical(INT_MIN, INT_MAX), Num,
        OBJ_LIST_MAX_ZIPLIST_SIZE)),
    ConfigSpec::new(&["list-compress-depth"], num!(list_compress_depth as i32,
        Atoi, Numerical(0, INT_MAX), Num, OBJ_LIST_COMPRESS_DEPTH)),
    ConfigSpec::new(&["set-max-intset-entries"], num!(
        set_max_intset_entries as usize, Memtoll, Numerical(0, LONG_MAX), Num,
        OBJ_SET_MAX_INTSET_ENTRIES)),
    ConfigSpec::new(&["zset-max-ziplist-entries"], num!(
        zset_max_ziplist_entries as usize, Memtoll, Numerical(0, LONG_MAX), Num,
        OBJ_ZSET_MAX_ZIPLIST_ENTRIES)),
    ConfigSpec::new(&["zset-max-ziplist-value"], num!(
        zset_max_ziplist_value as usize, Memtoll, Numerical(0, LONG_MAX), Num,
        OBJ_ZSET_MAX_ZIPLIST_VALUE)),
    ConfigSpec::new(&["hll-sparse-max-bytes"], num!(
        hll_sparse_max_bytes as usize, Memtoll, Numerical(0, LONG_MAX),
        Num, CONFIG_DEFAULT_HLL_SPARSE_MAX_BYTES)),
    ConfigSpec::new(&["lua-time-limit"], num!(lua_time_limit as i64,
        Strtoll, Numerical(0, LONG_MAX), Num, LUA_SCRIPT_TIME_LIMIT)),
    // (C's LLONG_MIN sentinel means "no bound"; -1 is a real one.)
    ConfigSpec::new(&["slowlog-log-slower-than"], num!(
        slowlog_log_slower_than as i64, Strtoll,
        Numerical(-1, LLONG_MAX), Num, CONFIG_DEFAULT_SLOWLOG_LOG_SLOWER_THAN)),
    ConfigSpec::new(&["latency-monitor-threshold"], num!(
        latency_monitor_threshold as i64, Strtoll,
        Numerical(0, LLONG_MAX), Num, CONFIG_DEFAULT_LATENCY_MONITOR_THRESHOLD,
        |v| v >= 0, "The latency threshold can't be negative")),
    ConfigSpec::new(&["slowlog-max-len"], num!(slowlog_max_len as u64,
        Strtoll, Numerical(0, LONG_MAX), Num, CONFIG_DEFAULT_SLOWLOG_MAX_LEN)),
    ConfigSpec::new(&["port"], num!(port as i32, Atoi, Immutable, Num,
        CONFIG_DEFAULT_SERVER_PORT, |v| (0..=65535).contains(&v),
        "Invalid port")),
    ConfigSpec::new(&["cluster-announce-port"], num!(
        unported.cluster_announce_port as i32, Atoi, Numerical(0, 65535), Num,
        CONFIG_DEFAULT_CLUSTER_ANNOUNCE_PORT, |v| (0..=65535).contains(&v),
        "Invalid port")),
    ConfigSpec::new(&["cluster-announce-bus-port"], num!(
        unported.cluster_announce_bus_port as i32, Atoi, Numerical(0, 65535),
        Num, CONFIG_DEFAULT_CLUSTER_ANNOUNCE_BUS_PORT,
        |v| (0..=65535).contains(&v), "Invalid port")),
    ConfigSpec::new(&["tcp-backlog"], num!(tcp_backlog as i32, Atoi, Immutable,
        Num, CONFIG_DEFAULT_TCP_BACKLOG, |v| v >= 0, "Invalid backlog value")),
    ConfigSpec::new(&["databases"], num!(dbnum as i32, Atoi, Immutable, Num,
        CONFIG_DEFAULT_DBNUM, |v| v >= 1, "Invalid number of databases")),
    ConfigSpec::new(
        &["repl-ping-slave-period", "repl-ping-replica-period"], num!(
            repl_ping_slave_period as i32, Atoi, Numerical(1, INT_MAX), Num,
            CONFIG_DEFAULT_REPL_PING_SLAVE_PERIOD, |v| v > 0,
            "repl-ping-replica-period must be 1 or greater")),
    ConfigSpec::new(&["repl-timeout"], num!(repl_timeout as i32, Atoi,
        Numerical(1, INT_MAX), Num, CONFIG_DEFAULT_REPL_TIMEOUT, |v| v > 0,
        "repl-timeout must be 1 or greater")),
    ConfigSpec::new(&["repl-backlog-size"], Kind::Num {
        get: |s| s.repl_backlog_size,
        put: resize_replication_backlog,
        parse: Parse::Memtoll,
        check: Some((|v| v > 0, "repl-backlog-size must be 1 or greater.")),
        set: Memory(0, LONG_MAX),
        fmt: NumFmt::Bytes,
        default: CONFIG_DEFAULT_REPL_BACKLOG_SIZE,
    }),
    // (Rewritten as a size, as C does; sic: C's text ends with a space.)
    ConfigSpec::new(&["repl-backlog-ttl"], num!(repl_backlog_time_limit as i64,
        Atoi, Numerical(0, LONG_MAX), Bytes,
        CONFIG_DEFAULT_REPL_BACKLOG_TIME_LIMIT, |v| v >= 0,
        "repl-backlog-ttl can't be negative ")),
    ConfigSpec::new(&["maxclients"], num!(maxclients as u32, Atoi,
        Numerical(1, LLONG_MAX), Num, CONFIG_DEFAULT_MAX_CLIENTS, |v| v >= 1,
        "Invalid max clients limit"))
        .on_set(apply_maxclients),
    ConfigSpec::new(&["watchdog-period"], Kind::Num {
        get: |s| s.watchdog_period as i64,
        put: |s, v| {
            if v != 0 {
                crate::debug::enable_watchdog(s, v as i32);
            } else {
                crate::debug::disable_watchdog(s);
            }
        },
        parse: Parse::Atoi,
        check: None,
        set: Numerical(0, INT_MAX),
        fmt: NumFmt::Num,
        default: 0,
    }).no_load(),
    ConfigSpec::new(&["slave-priority", "replica-priority"], num!(
        slave_priority as i32, Atoi, Numerical(0, INT_MAX), Num,
        CONFIG_DEFAULT_SLAVE_PRIORITY)),
    ConfigSpec::new(&["slave-announce-port", "replica-announce-port"], num!(
        slave_announce_port as i32, Atoi, Numerical(0, 65535), Num,
        CONFIG_DEFAULT_SLAVE_ANNOUNCE_PORT, |v| (0..=65535).contains(&v),
        "Invalid port")),
    ConfigSpec::new(&["min-slaves-to-write", "min-replicas-to-write"], num!(
        repl_min_slaves_to_write as i32, Atoi, Numerical(0, INT_MAX), Num,
        CONFIG_DEFAULT_MIN_SLAVES_TO_WRITE, |v| v >= 0,
        "Invalid value for min-replicas-to-write."))
        .on_set(apply_min_slaves),
    ConfigSpec::new(&["min-slaves-max-lag", "min-replicas-max-lag"], num!(
        repl_min_slaves_max_lag as i32, Atoi, Numerical(0, INT_MAX), Num,
        CONFIG_DEFAULT_MIN_SLAVES_MAX_LAG, |v| v >= 0,
        "Invalid value for min-replicas-max-lag."))
        .on_set(apply_min_slaves),
    // Hz is more an hint from the user, so we accept values out of range
    // but cap them to reasonable values (the parser and CONFIG SET alike).
    ConfigSpec::new(&["hz"], Kind::Num {
        get: |s| s.config_hz as i64,
        put: |s, v| {
            s.config_hz = (v as i32).clamp(CONFIG_MIN_HZ, CONFIG_MAX_HZ)
        },
        parse: Parse::Atoi,
        check: None,
        set: Numerical(0, INT_MAX),
        fmt: NumFmt::Num,
        default: CONFIG_DEFAULT_HZ as i64,
    }),
    ConfigSpec::new(&["cluster-node-timeout"], num!(
        unported.cluster_node_timeout as i64, Strtoll, Numerical(0, LLONG_MAX),
        Num, CLUSTER_DEFAULT_NODE_TIMEOUT, |v| v > 0,
        "cluster node timeout must be 1 or greater")),
    ConfigSpec::new(&["cluster-migration-barrier"], num!(
        unported.cluster_migration_barrier as i32, Atoi, Numerical(0, INT_MAX),
        Num, CLUSTER_DEFAULT_MIGRATION_BARRIER, |v| v >= 0,
        "cluster migration barrier must zero or positive")),
    ConfigSpec::new(
        &["cluster-slave-validity-factor", "cluster-replica-validity-factor"],
        num!(unported.cluster_slave_validity_factor as i32, Atoi,
            Numerical(0, INT_MAX), Num, CLUSTER_DEFAULT_SLAVE_VALIDITY,
            |v| v >= 0,
            "cluster replica validity factor must be zero or positive")),
    ConfigSpec::new(&["repl-diskless-sync-delay"], num!(
        repl_diskless_sync_delay as i32, Atoi, Numerical(0, INT_MAX), Num,
        CONFIG_DEFAULT_REPL_DISKLESS_SYNC_DELAY, |v| v >= 0,
        "repl-diskless-sync-delay can't be negative")),
    ConfigSpec::new(&["tcp-keepalive"], num!(tcpkeepalive as i32, Atoi,
        Numerical(0, INT_MAX), Num, CONFIG_DEFAULT_TCP_KEEPALIVE, |v| v >= 0,
        "Invalid tcp-keepalive value")),

    // Bool (yes/no) values
    ConfigSpec::new(&["cluster-require-full-coverage"], yes_no!(
        unported.cluster_require_full_coverage,
        CLUSTER_DEFAULT_REQUIRE_FULL_COVERAGE)),
    ConfigSpec::new(
        &["cluster-slave-no-failover", "cluster-replica-no-failover"], yes_no!(
            unported.cluster_slave_no_failover,
            CLUSTER_DEFAULT_SLAVE_NO_FAILOVER)),
    ConfigSpec::new(&["no-appendfsync-on-rewrite"], yes_no!(
        aof_no_fsync_on_rewrite,
        CONFIG_DEFAULT_AOF_NO_FSYNC_ON_REWRITE)),
    ConfigSpec::new(
        &["slave-serve-stale-data", "replica-serve-stale-data"], yes_no!(
            repl_serve_stale_data, CONFIG_DEFAULT_SLAVE_SERVE_STALE_DATA)),
    ConfigSpec::new(&["slave-read-only", "replica-read-only"], yes_no!(
        repl_slave_ro, CONFIG_DEFAULT_SLAVE_READ_ONLY)),
    ConfigSpec::new(
        &["slave-ignore-maxmemory", "replica-ignore-maxmemory"], yes_no!(
            repl_slave_ignore_maxmemory,
            CONFIG_DEFAULT_SLAVE_IGNORE_MAXMEMORY)),
    ConfigSpec::new(&["stop-writes-on-bgsave-error"], yes_no!(
        stop_writes_on_bgsave_err, CONFIG_DEFAULT_STOP_WRITES_ON_BGSAVE_ERROR)),
    ConfigSpec::new(&["daemonize"], yes_no!(daemonize, false)).immutable(),
    ConfigSpec::new(&["rdbcompression"], yes_no!(rdb_compression,
        CONFIG_DEFAULT_RDB_COMPRESSION)),
    ConfigSpec::new(&["rdbchecksum"], yes_no!(rdb_checksum,
        CONFIG_DEFAULT_RDB_CHECKSUM))
        .immutable(),
    ConfigSpec::new(&["activerehashing"], yes_no!(activerehashing,
        CONFIG_DEFAULT_ACTIVE_REHASHING)),
    // We answer as a 5.0.14 built without HAVE_DEFRAG: active defrag needs
    // jemalloc's defrag hint (je_get_defrag_hint of Redis's patched copy),
    // which no jemalloc crate exposes. "no" is accepted, "yes" refused.
    ConfigSpec::new(&["activedefrag"], yes_no!(unported.active_defrag_enabled,
        CONFIG_DEFAULT_ACTIVE_DEFRAG))
        .load_with(load_activedefrag)
        .set_with(set_activedefrag),
    ConfigSpec::new(&["protected-mode"], yes_no!(protected_mode,
        CONFIG_DEFAULT_PROTECTED_MODE)),
    ConfigSpec::new(&["repl-disable-tcp-nodelay"], yes_no!(
        repl_disable_tcp_nodelay, CONFIG_DEFAULT_REPL_DISABLE_TCP_NODELAY)),
    ConfigSpec::new(&["repl-diskless-sync"], yes_no!(repl_diskless_sync,
        CONFIG_DEFAULT_REPL_DISKLESS_SYNC)),
    ConfigSpec::new(&["aof-rewrite-incremental-fsync"], yes_no!(
        aof_rewrite_incremental_fsync,
        CONFIG_DEFAULT_AOF_REWRITE_INCREMENTAL_FSYNC)),
    ConfigSpec::new(&["rdb-save-incremental-fsync"], yes_no!(
        rdb_save_incremental_fsync, CONFIG_DEFAULT_RDB_SAVE_INCREMENTAL_FSYNC)),
    ConfigSpec::new(&["aof-load-truncated"], yes_no!(
        aof_load_truncated, CONFIG_DEFAULT_AOF_LOAD_TRUNCATED)),
    ConfigSpec::new(&["aof-use-rdb-preamble"], yes_no!(
        aof_use_rdb_preamble, CONFIG_DEFAULT_AOF_USE_RDB_PREAMBLE)),
    ConfigSpec::new(&["lazyfree-lazy-eviction"], yes_no!(
        lazyfree_lazy_eviction,
        CONFIG_DEFAULT_LAZYFREE_LAZY_EVICTION)),
    ConfigSpec::new(&["lazyfree-lazy-expire"], yes_no!(lazyfree_lazy_expire,
        CONFIG_DEFAULT_LAZYFREE_LAZY_EXPIRE)),
    ConfigSpec::new(&["lazyfree-lazy-server-del"], yes_no!(
        lazyfree_lazy_server_del,
        CONFIG_DEFAULT_LAZYFREE_LAZY_SERVER_DEL)),
    ConfigSpec::new(&["slave-lazy-flush", "replica-lazy-flush"], yes_no!(
        repl_slave_lazy_flush, CONFIG_DEFAULT_SLAVE_LAZY_FLUSH)),
    ConfigSpec::new(&["dynamic-hz"], yes_no!(dynamic_hz,
        CONFIG_DEFAULT_DYNAMIC_HZ)),
    // (Yes/no options CONFIG GET does not report.)
    ConfigSpec::new(&["always-show-logo"], yes_no!(always_show_logo,
        CONFIG_DEFAULT_ALWAYS_SHOW_LOGO))
        .immutable()
        .get(Get::No),
    // Divergence from C: accepted and stored, but the log never goes to
    // syslog (serverLogRaw's syslog() call is not ported).
    ConfigSpec::new(&["syslog-enabled"], yes_no!(unported.syslog_enabled,
        CONFIG_DEFAULT_SYSLOG_ENABLED))
        .immutable()
        .get(Get::No),
    ConfigSpec::new(&["cluster-enabled"], yes_no!(cluster_enabled, false))
        .immutable()
        .get(Get::No)
        .load_with(load_cluster_enabled),

    // Enum values
    ConfigSpec::new(&["maxmemory-policy"], enumeration!(maxmemory_policy,
        MAXMEMORY_POLICY_ENUM, "Invalid maxmemory policy",
        CONFIG_DEFAULT_MAXMEMORY_POLICY)),
    ConfigSpec::new(&["loglevel"], enumeration!(verbosity, LOGLEVEL_ENUM,
        "Invalid log level. Must be one of debug, verbose, notice, warning",
        CONFIG_DEFAULT_VERBOSITY)),
    ConfigSpec::new(&["supervised"], enumeration!(supervised_mode,
        SUPERVISED_MODE_ENUM,
        "Invalid option for 'supervised'. Allowed values: 'upstart', 'systemd', 'auto', or 'no'",
        SUPERVISED_NONE))
        .immutable(),
    ConfigSpec::new(&["appendfsync"], enumeration!(aof_fsync,
        AOF_FSYNC_ENUM, "argument must be 'no', 'always' or 'everysec'",
        CONFIG_DEFAULT_AOF_FSYNC)),
    ConfigSpec::new(&["syslog-facility"], enumeration!(unported.syslog_facility,
        SYSLOG_FACILITY_ENUM,
        "Invalid log facility. Must be one of USER or between LOCAL0-LOCAL7",
        libc::LOG_LOCAL0))
        .immutable(),

    // Everything we can't handle with macros follows.
    ConfigSpec::new(&["appendonly"], Kind::Bool {
        get: |s| s.aof_state != AOF_OFF,
        put: |s, v| s.aof_state = if v { AOF_ON } else { AOF_OFF },
        default: false,
    }).set_with(set_appendonly),
    ConfigSpec::new(&["dir"], special!(2, 2, load: Some(load_dir),
        set: Some(set_dir), get: Some(get_dir),
        rewrite: Some(|_, st| rewrite_config_dir_option(st)))),
    // Any other number of arguments is silently ignored, as in C.
    ConfigSpec::new(&["save"], special!(1, ANY, load: Some(load_save),
        set: Some(set_save), get: Some(get_save),
        rewrite: Some(rewrite_config_save_option))),
    ConfigSpec::new(&["client-output-buffer-limit"], special!(5, 5,
        load: Some(load_client_output_buffer_limit),
        set: Some(set_client_output_buffer_limit),
        get: Some(get_client_output_buffer_limit),
        rewrite: Some(rewrite_config_clientoutputbufferlimit_option))),
    // C stores strtol()'s long into a mode_t, so a negative value wraps.
    ConfigSpec::new(&["unixsocketperm"], num!(unixsocketperm as u32, Octal,
        Immutable, Octal, CONFIG_DEFAULT_UNIX_SOCKET_PERM,
        |v| v as u32 <= 0o777, "Invalid socket file permissions")),
    ConfigSpec::new(&["slaveof", "replicaof"], special!(3, 3,
        load: Some(load_slaveof), set: None, get: Some(get_slaveof),
        rewrite: Some(|s, st| {
            rewrite_config_slaveof_option(s, st, "replicaof")
        })))
        .get(Get::First),
    ConfigSpec::new(&["notify-keyspace-events"], special!(2, 2,
        load: Some(load_notify_keyspace_events),
        set: Some(set_notify_keyspace_events),
        get: Some(get_notify_keyspace_events),
        rewrite: Some(rewrite_config_notifykeyspaceevents_option))),
    ConfigSpec::new(&["bind"], special!(2, ANY, load: Some(load_bind),
        set: None, get: Some(get_bind),
        rewrite: Some(rewrite_config_bind_option))),
    // (Directives only the parser knows.)
    ConfigSpec::new(&["include"], special!(2, 2, load: Some(load_include),
        set: None, get: None, rewrite: None))
        .get(Get::No),
    ConfigSpec::new(&["rename-command"], special!(3, 3,
        load: Some(load_rename_command), set: None, get: None, rewrite: None))
        .get(Get::No),
    ConfigSpec::new(&["lua-replicate-commands"], special!(2, 2,
        load: Some(load_lua_replicate_commands), set: None, get: None,
        rewrite: None))
        .get(Get::No),
    // DEAD OPTIONS (accepted and ignored)
    ConfigSpec::new(
        &["list-max-ziplist-entries", "list-max-ziplist-value"], special!(2, 2,
            load: Some(|_, _, _, _| Ok(())), set: None, get: None,
            rewrite: None))
        .get(Get::No),
    ConfigSpec::new(&["loadmodule"], special!(2, ANY,
        load: Some(load_loadmodule), set: None, get: None, rewrite: None))
        .get(Get::No),
    ConfigSpec::new(&["sentinel"], special!(1, ANY, load: Some(load_sentinel),
        set: None, get: None, rewrite: None))
        .get(Get::No),
    // oxredis's own options (no C twin): the event trace, docs/observing.md.
    // CONFIG GET names them only when asked by name.
    ConfigSpec::new(&["trace-events"], yes_no!(trace.on, false))
        .get(Get::Named)
        .set_with(set_trace_events),
    ConfigSpec::new(&["trace-events-file"], string!(trace.file,
        Some(crate::trace::TRACE_DEFAULT_FILE)))
        .get(Get::Named)
        .set_with(set_trace_events_file),
];

/// rewriteConfig()'s order: the names CONFIG REWRITE writes, one per
/// option, in the order 5.0.14 rewrites them. (no C twin: the sequence of
/// calls in rewriteConfig)
#[rustfmt::skip] // Many names a line.
const REWRITE_ORDER: &[&str] = &[
    "daemonize", "pidfile", "port", "cluster-announce-port",
    "cluster-announce-bus-port", "tcp-backlog", "bind", "unixsocket",
    "unixsocketperm", "timeout", "tcp-keepalive", "replica-announce-port",
    "loglevel", "logfile", "syslog-enabled", "syslog-ident", "ignore-warnings",
    "syslog-facility", "save", "databases", "stop-writes-on-bgsave-error",
    "rdbcompression", "rdbchecksum", "dbfilename", "dir", "replicaof",
    "replica-announce-ip", "masterauth", "cluster-announce-ip",
    "replica-serve-stale-data", "replica-read-only", "replica-ignore-maxmemory",
    "repl-ping-replica-period", "repl-timeout", "repl-backlog-size",
    "repl-backlog-ttl", "repl-disable-tcp-nodelay", "repl-diskless-sync",
    "repl-diskless-sync-delay", "replica-priority", "min-replicas-to-write",
    "min-replicas-max-lag", "requirepass", "maxclients", "maxmemory",
    "proto-max-bulk-len", "client-query-buffer-limit", "maxmemory-policy",
    "maxmemory-samples", "lfu-log-factor", "lfu-decay-time",
    "active-defrag-threshold-lower", "active-defrag-threshold-upper",
    "active-defrag-ignore-bytes", "active-defrag-cycle-min",
    "active-defrag-cycle-max", "active-defrag-max-scan-fields", "appendonly",
    "appendfilename", "appendfsync", "no-appendfsync-on-rewrite",
    "auto-aof-rewrite-percentage", "auto-aof-rewrite-min-size",
    "lua-time-limit", "cluster-enabled", "cluster-config-file",
    "cluster-require-full-coverage", "cluster-replica-no-failover",
    "cluster-node-timeout", "cluster-migration-barrier",
    "cluster-replica-validity-factor", "slowlog-log-slower-than",
    "latency-monitor-threshold", "slowlog-max-len", "notify-keyspace-events",
    "hash-max-ziplist-entries", "hash-max-ziplist-value",
    "stream-node-max-bytes", "stream-node-max-entries", "list-max-ziplist-size",
    "list-compress-depth", "set-max-intset-entries", "zset-max-ziplist-entries",
    "zset-max-ziplist-value", "hll-sparse-max-bytes", "activerehashing",
    "activedefrag", "protected-mode", "client-output-buffer-limit", "hz",
    "aof-rewrite-incremental-fsync", "rdb-save-incremental-fsync",
    "aof-load-truncated", "aof-use-rdb-preamble", "supervised",
    "lazyfree-lazy-eviction", "lazyfree-lazy-expire",
    "lazyfree-lazy-server-del", "replica-lazy-flush", "dynamic-hz",
    // oxredis's own, after 5.0.14's (written only when not at the default).
    "trace-events", "trace-events-file",
];

// --------------------- The hand-written special options ---------------------

/// `logfile`: test that the file can be opened, since the server will not
/// be able to abort just for this problem later. (no C twin: a branch of
/// loadServerConfigFromString)
fn load_logfile(
    server: &mut RedisServer,
    argv: &[Vec<u8>],
    _: usize,
    _: &mut usize,
) -> Result<(), String> {
    server.logfile = String::from_utf8_lossy(&argv[1]).into_owned();
    if !server.logfile.is_empty() {
        if let Err(e) = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&server.logfile)
        {
            return Err(format!("Can't open the log file: {}", strerror(&e)));
        }
    }
    Ok(())
}

/// `cluster-enabled`. (no C twin: a branch of loadServerConfigFromString)
fn load_cluster_enabled(
    server: &mut RedisServer,
    argv: &[Vec<u8>],
    _: usize,
    _: &mut usize,
) -> Result<(), String> {
    server.cluster_enabled =
        yesnotoi(&argv[1]).ok_or_else(|| ERR_YES_NO.to_string())?;
    if server.cluster_enabled {
        // Divergence from C: cluster.c is not ported, so cluster mode is
        // refused here rather than started.
        return Err("Cluster mode is not supported by this server".into());
    }
    Ok(())
}

/// `activedefrag yes|no` in the config file, as a build without
/// HAVE_DEFRAG reads it. (no C twin: a branch of
/// loadServerConfigFromString)
fn load_activedefrag(
    server: &mut RedisServer,
    argv: &[Vec<u8>],
    _: usize,
    _: &mut usize,
) -> Result<(), String> {
    server.unported.active_defrag_enabled =
        yesnotoi(&argv[1]).ok_or_else(|| ERR_YES_NO.to_string())?;
    if server.unported.active_defrag_enabled {
        server.unported.active_defrag_enabled = false;
        return Err(
            "active defrag can't be enabled without proper jemalloc support"
                .into(),
        );
    }
    Ok(())
}

/// `bind addr1 addr2 ...`. (no C twin: a branch of
/// loadServerConfigFromString)
fn load_bind(
    server: &mut RedisServer,
    argv: &[Vec<u8>],
    _: usize,
    _: &mut usize,
) -> Result<(), String> {
    let addresses = argv.len() - 1;
    if addresses > CONFIG_BINDADDR_MAX {
        return Err("Too many bind addresses specified".into());
    }
    server.bindaddr = argv[1..]
        .iter()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    Ok(())
}

/// `save <seconds> <changes>` adds a save point, `save ""` removes them
/// all. (no C twin: a branch of loadServerConfigFromString)
fn load_save(
    server: &mut RedisServer,
    argv: &[Vec<u8>],
    _: usize,
    _: &mut usize,
) -> Result<(), String> {
    if argv.len() == 3 {
        let seconds = atoi(&argv[1]);
        let changes = atoi(&argv[2]);
        if seconds < 1 || changes < 0 {
            return Err("Invalid save parameters".into());
        }
        append_server_save_params(server, seconds as i64, changes);
    } else if argv.len() == 2 && argv[1].is_empty() {
        reset_server_save_params(server);
    }
    Ok(())
}

/// `dir`: chdir at once, or exit. (no C twin: a branch of
/// loadServerConfigFromString)
fn load_dir(
    server: &mut RedisServer,
    argv: &[Vec<u8>],
    _: usize,
    _: &mut usize,
) -> Result<(), String> {
    let dir = String::from_utf8_lossy(&argv[1]).into_owned();
    if let Err(e) = std::env::set_current_dir(&dir) {
        server_log!(
            server,
            LL_WARNING,
            "Can't chdir to '{}': {}",
            dir,
            strerror(&e)
        );
        std::process::exit(1);
    }
    server.dir = dir;
    Ok(())
}

/// `include <file>`. (no C twin: a branch of loadServerConfigFromString)
fn load_include(
    server: &mut RedisServer,
    argv: &[Vec<u8>],
    _: usize,
    _: &mut usize,
) -> Result<(), String> {
    let file = String::from_utf8_lossy(&argv[1]).into_owned();
    load_server_config(server, Some(&file), None);
    Ok(())
}

/// `slaveof` / `replicaof <host> <port>`. (no C twin: a branch of
/// loadServerConfigFromString)
fn load_slaveof(
    server: &mut RedisServer,
    argv: &[Vec<u8>],
    linenum: usize,
    slaveof_linenum: &mut usize,
) -> Result<(), String> {
    *slaveof_linenum = linenum;
    server.masterhost = Some(String::from_utf8_lossy(&argv[1]).into_owned());
    server.masterport = atoi(&argv[2]);
    crate::replication::set_repl_state(server, REPL_STATE_CONNECT);
    Ok(())
}

/// `rename-command <name> <newname>`. (no C twin: a branch of
/// loadServerConfigFromString)
fn load_rename_command(
    server: &mut RedisServer,
    argv: &[Vec<u8>],
    _: usize,
    _: &mut usize,
) -> Result<(), String> {
    let Some(cmd) = lookup_command(server, &argv[1]) else {
        return Err("No such command in rename-command".into());
    };

    // If the target command name is the empty string we just remove it
    // from the command table.
    let old = argv[1].to_ascii_lowercase();
    server.command_index.remove(&old[..]);

    // Otherwise we re-add the command under a different name.
    if !argv[2].is_empty() {
        let copy = argv[2].to_ascii_lowercase();
        if server.command_index.contains_key(&copy[..]) {
            return Err("Target command name already exists".into());
        }
        // The table is keyed by `&'static [u8]` (the names in the command
        // table); a renamed name lives as long as the process, like C's
        // sds key in server.commands, so leaking it is exact.
        server.command_index.insert(Box::leak(copy.into_boxed_slice()), cmd);
    }
    Ok(())
}

/// `lua-replicate-commands`. (no C twin: a branch of
/// loadServerConfigFromString)
fn load_lua_replicate_commands(
    server: &mut RedisServer,
    argv: &[Vec<u8>],
    _: usize,
    _: &mut usize,
) -> Result<(), String> {
    // C stores yesnotoi()'s -1 unchecked, which reads as true.
    server.lua_always_replicate_commands = yesnotoi(&argv[1]) != Some(false);
    Ok(())
}

/// `client-output-buffer-limit <class> <hard> <soft> <soft seconds>`.
/// (no C twin: a branch of loadServerConfigFromString)
fn load_client_output_buffer_limit(
    server: &mut RedisServer,
    argv: &[Vec<u8>],
    _: usize,
    _: &mut usize,
) -> Result<(), String> {
    let class = match get_client_type_by_name(&argv[1]) {
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
    server.client_obuf_limits[class].soft_limit_seconds = soft_seconds as i64;
    Ok(())
}

/// `notify-keyspace-events <classes>`. (no C twin: a branch of
/// loadServerConfigFromString)
fn load_notify_keyspace_events(
    server: &mut RedisServer,
    argv: &[Vec<u8>],
    _: usize,
    _: &mut usize,
) -> Result<(), String> {
    let flags = keyspace_events_string_to_flags(&argv[1]);
    if flags == -1 {
        return Err("Invalid event class character. Use 'g$lshzxeA'.".into());
    }
    server.notify_keyspace_events = flags;
    Ok(())
}

/// `loadmodule <path> [args]`. (no C twin: a branch of
/// loadServerConfigFromString)
fn load_loadmodule(
    server: &mut RedisServer,
    argv: &[Vec<u8>],
    _: usize,
    _: &mut usize,
) -> Result<(), String> {
    queue_load_module(server, &argv[1], &argv[2..]);
    Ok(())
}

/// `sentinel ...`. (no C twin: a branch of loadServerConfigFromString)
fn load_sentinel(
    _: &mut RedisServer,
    argv: &[Vec<u8>],
    _: usize,
    _: &mut usize,
) -> Result<(), String> {
    // argc == 1 is handled by main() as we need to enter the sentinel mode
    // ASAP.
    if argv.len() != 1 {
        // Sentinel mode is never entered here (sentinel.c is not part of
        // the port), so this is always the error C gives outside sentinel
        // mode.
        return Err("sentinel directive while not in sentinel mode".into());
    }
    Ok(())
}

/// CONFIG SET appendonly. (no C twin: a special field of configSetCommand)
fn set_appendonly(
    server: &mut RedisServer,
    c: &mut Client,
    o: &[u8],
) -> Result<bool, BadFmt> {
    let enable = config_set_bool(o)?;
    if !enable && server.aof_state != AOF_OFF {
        crate::aof::stop_append_only(server);
    } else if enable
        && server.aof_state == AOF_OFF
        && crate::aof::start_append_only(server).is_err()
    {
        add_reply_error(c, "Unable to turn on AOF. Check server logs.");
        return Ok(false);
    }
    Ok(true)
}

/// CONFIG SET activedefrag, as a build without HAVE_DEFRAG answers it.
/// (no C twin: the activedefrag field of configSetCommand)
fn set_activedefrag(
    server: &mut RedisServer,
    c: &mut Client,
    o: &[u8],
) -> Result<bool, BadFmt> {
    server.unported.active_defrag_enabled = config_set_bool(o)?;
    if server.unported.active_defrag_enabled {
        server.unported.active_defrag_enabled = false;
        add_reply_error(
            c,
            "-DISABLED Active defragmentation cannot be enabled: it \
             requires a Redis server compiled with a modified Jemalloc \
             like the one shipped by default with the Redis source \
             distribution",
        );
        return Ok(false);
    }
    Ok(true)
}

/// CONFIG SET save "<seconds> <changes> ...". (no C twin: a special field
/// of configSetCommand)
fn set_save(
    server: &mut RedisServer,
    _: &mut Client,
    o: &[u8],
) -> Result<bool, BadFmt> {
    let v: Vec<&[u8]> = sdssplitlen(o, b' ');

    // Perform sanity check before setting the new config:
    // - Even number of args
    // - Seconds >= 1, changes >= 0
    if v.len() & 1 != 0 {
        return Err(BadFmt);
    }
    for (j, tok) in v.iter().enumerate() {
        let r = strtol(tok, 10);
        let (val, end) = (r.value, r.consumed);
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
        let seconds = strtoll(pair[0], 10).value;
        let changes = strtoll(pair[1], 10).value as i32;
        append_server_save_params(server, seconds, changes);
    }
    Ok(true)
}

/// CONFIG SET dir. (no C twin: a special field of configSetCommand)
fn set_dir(
    server: &mut RedisServer,
    c: &mut Client,
    o: &[u8],
) -> Result<bool, BadFmt> {
    let dir = String::from_utf8_lossy(o).into_owned();
    if let Err(e) = std::env::set_current_dir(&dir) {
        add_reply_error_format(
            c,
            format_args!("Changing directory: {}", strerror(&e)),
        );
        return Ok(false);
    }
    server.dir = dir;
    Ok(true)
}

/// CONFIG SET client-output-buffer-limit "<class> <hard> <soft> <secs>
/// ...". (no C twin: a special field of configSetCommand)
fn set_client_output_buffer_limit(
    server: &mut RedisServer,
    _: &mut Client,
    o: &[u8],
) -> Result<bool, BadFmt> {
    let v: Vec<&[u8]> = sdssplitlen(o, b' ');

    // We need a multiple of 4: <class> <hard> <soft> <soft_seconds>
    if !v.len().is_multiple_of(4) {
        return Err(BadFmt);
    }

    // Sanity check of single arguments, so that we either refuse the whole
    // configuration string or accept it all, even if a single error in a
    // single client class is present.
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
        let soft_seconds = strtoll(l[3], 10).value as i32 as i64;
        server.client_obuf_limits[class].hard_limit_bytes = hard;
        server.client_obuf_limits[class].soft_limit_bytes = soft;
        server.client_obuf_limits[class].soft_limit_seconds = soft_seconds;
    }
    Ok(true)
}

/// CONFIG SET notify-keyspace-events. (no C twin: a special field of
/// configSetCommand)
fn set_notify_keyspace_events(
    server: &mut RedisServer,
    _: &mut Client,
    o: &[u8],
) -> Result<bool, BadFmt> {
    let flags = keyspace_events_string_to_flags(o);
    if flags == -1 {
        return Err(BadFmt);
    }
    server.notify_keyspace_events = flags;
    Ok(true)
}

/// After CONFIG SET maxclients: try to check if the OS is capable of
/// supporting so many FDs. (no C twin: a special field of configSetCommand)
/// CONFIG SET trace-events yes|no: opens (appends to) or closes
/// trace-events-file. A file that cannot be opened is an error reply (and
/// a log line); the trace stays off. (no C twin)
fn set_trace_events(
    server: &mut RedisServer,
    c: &mut Client,
    o: &[u8],
) -> Result<bool, BadFmt> {
    let on = config_set_bool(o)?;
    if !on {
        crate::trace::disable(server);
    } else if let Err(msg) = crate::trace::enable(server) {
        add_reply_error(c, &msg);
        return Ok(false);
    }
    Ok(true)
}

/// CONFIG SET trace-events-file <path>: with the trace on, the new file is
/// opened first and replaces the old one only if that worked. (no C twin)
fn set_trace_events_file(
    server: &mut RedisServer,
    c: &mut Client,
    o: &[u8],
) -> Result<bool, BadFmt> {
    if o.is_empty() {
        return Err(BadFmt);
    }
    let old = std::mem::replace(&mut server.trace.file, lossy(o));
    if server.trace.on {
        if let Err(msg) = crate::trace::enable(server) {
            server.trace.file = old;
            add_reply_error(c, &msg);
            return Ok(false);
        }
    }
    Ok(true)
}

fn apply_maxclients(
    server: &mut RedisServer,
    c: &mut Client,
    orig_value: i64,
    ll: i64,
) -> bool {
    if ll > orig_value {
        adjust_open_files_limit(server);
        if server.maxclients as i64 != ll {
            add_reply_error_format(
                c,
                format_args!(
                    "The operating system is not able to handle the specified number of clients, try with {}",
                    server.maxclients as i32
                ),
            );
            server.maxclients = orig_value as u32;
            return false;
        }
        let want = server.maxclients as usize + CONFIG_FDSET_INCR as usize;
        if crate::ae::ae_get_set_size(&server.el) < want
            && crate::ae::ae_resize_set_size(&mut server.el, want)
                == crate::ae::AE_ERR
        {
            add_reply_error(
                c,
                "The event loop API used by Redis is not able to handle the specified number of clients",
            );
            server.maxclients = orig_value as u32;
            return false;
        }
    }
    true
}

/// After CONFIG SET maxmemory. (no C twin: a memory field of
/// configSetCommand)
fn apply_maxmemory(
    server: &mut RedisServer,
    _: &mut Client,
    _: i64,
    _: i64,
) -> bool {
    if server.maxmemory != 0 {
        if server.maxmemory < crate::util::zmalloc_used_memory() as u64 {
            server_log!(
                server,
                LL_WARNING,
                "WARNING: the new maxmemory value set via CONFIG SET is smaller than the current memory usage. This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy."
            );
        }
        let _ = crate::evict::free_memory_if_needed_and_safe(server);
    }
    true
}

/// After CONFIG SET min-replicas-to-write / min-replicas-max-lag. (no C
/// twin: numerical fields of configSetCommand)
fn apply_min_slaves(
    server: &mut RedisServer,
    _: &mut Client,
    _: i64,
    _: i64,
) -> bool {
    crate::replication::refresh_good_slaves_count(server);
    true
}

/// CONFIG GET dir: the working directory. (no C twin)
fn get_dir(_: &RedisServer) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    std::env::current_dir()
        .map(|p| p.as_os_str().as_bytes().to_vec())
        .unwrap_or_default()
}

/// CONFIG GET save: "<seconds> <changes> ...". (no C twin)
fn get_save(s: &RedisServer) -> Vec<u8> {
    s.saveparams
        .iter()
        .map(|sp| format!("{} {}", sp.seconds, sp.changes))
        .collect::<Vec<_>>()
        .join(" ")
        .into_bytes()
}

/// CONFIG GET client-output-buffer-limit: every class. (no C twin)
fn get_client_output_buffer_limit(s: &RedisServer) -> Vec<u8> {
    (0..CLIENT_TYPE_OBUF_COUNT)
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
        .join(" ")
        .into_bytes()
}

/// CONFIG GET slaveof: "<host> <port>" or "". (no C twin)
fn get_slaveof(s: &RedisServer) -> Vec<u8> {
    match &s.masterhost {
        Some(host) => format!("{} {}", host, s.masterport).into_bytes(),
        None => Vec::new(),
    }
}

/// CONFIG GET notify-keyspace-events. (no C twin)
fn get_notify_keyspace_events(s: &RedisServer) -> Vec<u8> {
    keyspace_events_flags_to_string(s.notify_keyspace_events).into_bytes()
}

/// CONFIG GET bind. (no C twin)
fn get_bind(s: &RedisServer) -> Vec<u8> {
    s.bindaddr.join(" ").into_bytes()
}

// --------------------------- Config file parsing ---------------------------

/// "yes" → Some(true), "no" → Some(false), anything else `None` (C: -1).
/// Case-insensitive.
///
/// C: config.c yesnotoi()
pub(crate) fn yesnotoi(s: &[u8]) -> Option<bool> {
    if s.eq_ignore_ascii_case(b"yes") {
        Some(true)
    } else if s.eq_ignore_ascii_case(b"no") {
        Some(false)
    } else {
        None
    }
}

/// C: config.c appendServerSaveParams()
pub(crate) fn append_server_save_params(
    server: &mut RedisServer,
    seconds: i64,
    changes: i32,
) {
    server.saveparams.push(SaveParam { seconds, changes });
}

/// C: config.c resetServerSaveParams()
pub(crate) fn reset_server_save_params(server: &mut RedisServer) {
    server.saveparams.clear();
}

/// Remembers a `loadmodule` line; main() tries the queue after the server
/// is initialized.
///
/// C: config.c queueLoadModule()
pub(crate) fn queue_load_module(
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
pub(crate) fn load_server_config_from_string(
    server: &mut RedisServer,
    config: &[u8],
) {
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

/// The body of the parser's else-if chain for one line, over the option
/// table: `Err(text)` is C's `err = text; goto loaderr`. (no C twin:
/// inline in loadServerConfigFromString)
fn load_server_config_directive(
    server: &mut RedisServer,
    argv: &[Vec<u8>],
    linenum: usize,
    slaveof_linenum: &mut usize,
) -> Result<(), String> {
    let Some(spec) = lookup_config(&argv[0])
        .filter(|spec| spec.loadable && spec.argc_ok(argv.len()))
    else {
        return Err(ERR_BAD_DIRECTIVE.into());
    };
    if let Some(load) = spec.load_with {
        return load(server, argv, linenum, slaveof_linenum);
    }
    let v = &argv[1];
    match spec.kind {
        Kind::Bool { put, .. } => {
            put(server, yesnotoi(v).ok_or_else(|| ERR_YES_NO.to_string())?)
        }
        Kind::Num { put, parse, check, .. } => {
            let ll = match parse {
                Parse::Atoi => Some(atoi(v) as i64),
                Parse::Strtoll => Some(strtoll(v, 10).value),
                Parse::Memtoll => Some(memtoll(v).0),
                Parse::Octal => match strtol(v, 8) {
                    r if r.erange => None,
                    r => Some(r.value),
                },
            };
            match (ll, check) {
                (Some(ll), None) => put(server, ll),
                (Some(ll), Some((ok, _))) if ok(ll) => put(server, ll),
                (_, Some((_, err))) => return Err(err.into()),
                (None, None) => return Err(ERR_BAD_DIRECTIVE.into()),
            }
        }
        Kind::Enum { put, table, err, .. } => {
            put(server, config_enum_get_value(table, v).ok_or(err)?)
        }
        Kind::Str { put, null, check, .. } => {
            if let Some((ok, err, _)) = check {
                if !ok(v) {
                    return Err(err.into());
                }
            }
            let null = null == Null::IfEmpty && v.is_empty();
            put(server, if null { None } else { Some(v) });
        }
        Kind::Special { load: Some(load), .. } => {
            return load(server, argv, linenum, slaveof_linenum)
        }
        Kind::Special { load: None, .. } => {
            return Err(ERR_BAD_DIRECTIVE.into())
        }
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
pub(crate) fn load_server_config(
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

/// CONFIG SET <parameter> <value>: every parameter 5.0 lets change at run
/// time, with its checks and side effects. Replies +OK, or
/// "Invalid argument '<value>' for CONFIG SET '<parameter>'" when the value
/// is refused, or "Unsupported CONFIG parameter: <parameter>".
///
/// C: config.c configSetCommand()
pub(crate) fn config_set_command(server: &mut RedisServer, c: &mut Client) {
    let param = c.argv[2].clone();
    let o = c.argv[3].clone();
    let name = String::from_utf8_lossy(&param).to_ascii_lowercase();
    match config_set(server, c, &name, &o) {
        // On success we just return a generic OK for all the options.
        Ok(true) => add_reply(c, shared::OK),
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

/// configSetCommand's body over the option table: `Ok(true)` replies +OK,
/// `Ok(false)` means a reply was already added, `Err(BadFmt)` is the
/// badfmt label. (no C twin: inline in configSetCommand)
fn config_set(
    server: &mut RedisServer,
    c: &mut Client,
    name: &str,
    o: &[u8],
) -> Result<bool, BadFmt> {
    let Some(spec) =
        lookup_config(name.as_bytes()).filter(|spec| spec.settable())
    else {
        // Everything else is an error...
        let mut msg = b"Unsupported CONFIG parameter: ".to_vec();
        msg.extend_from_slice(&c.argv[2]);
        add_reply_error_bytes_format(c, msg);
        return Ok(false);
    };
    if let Some(set) = spec.set_with {
        return set(server, c, o);
    }
    match spec.kind {
        Kind::Bool { put, .. } => put(server, config_set_bool(o)?),
        Kind::Num { get, put, set, .. } => {
            let ll = match set {
                SetNum::Numerical(min, max) => {
                    config_set_numerical(o, min, max)?
                }
                SetNum::Memory(min, max) => config_set_memory(o, min, max)?,
                SetNum::Immutable => return Err(BadFmt),
            };
            let old = get(server);
            put(server, ll);
            if let Some(apply) = spec.on_set {
                if !apply(server, c, old, ll) {
                    return Ok(false);
                }
            }
        }
        Kind::Enum { put, table, .. } => {
            put(server, config_set_enum(o, table)?)
        }
        Kind::Str { put, null, check, .. } => {
            if let Some((ok, err, reply)) = check {
                if !ok(o) {
                    if reply {
                        add_reply_error(c, err);
                        return Ok(false);
                    }
                    return Err(BadFmt);
                }
            }
            let null = null != Null::Never && o.is_empty();
            put(server, if null { None } else { Some(o) });
        }
        Kind::Special { set: Some(set), .. } => return set(server, c, o),
        Kind::Special { set: None, .. } => return Err(BadFmt),
    }
    Ok(true)
}

// ------------------------- CONFIG GET implementation -------------------------

/// CONFIG GET <pattern>: a flat array of name, value pairs for every
/// parameter matching the glob, in C's order (the table's), both the
/// slave-* and the replica-* names of a parameter included.
///
/// C: config.c configGetCommand()
pub(crate) fn config_get_command(server: &mut RedisServer, c: &mut Client) {
    let pattern = c.argv[2].clone();
    let replylen = add_deferred_multi_bulk_length(c);
    let mut matches = 0;
    for spec in CONFIG_TABLE {
        let mut names = spec.names.iter().filter(|n| match spec.get {
            Get::No => false,
            Get::Named => pattern.eq_ignore_ascii_case(n.as_bytes()),
            Get::Each | Get::First => stringmatch(&pattern, n.as_bytes(), true),
        });
        let first = names.next();
        let names =
            first.into_iter().chain(names.filter(|_| spec.get == Get::Each));
        for name in names {
            add_reply_bulk(c, name.as_bytes());
            add_reply_bulk(c, &config_get_value(server, spec));
            matches += 1;
        }
    }
    set_deferred_multi_bulk_length(c, replylen, matches * 2);
}

/// One option's value as CONFIG GET shows it: C's config_get_*_field
/// macros, one arm each.
///
/// C: config.c config_get_string_field()
/// C: config.c config_get_bool_field()
/// C: config.c config_get_numerical_field()
/// C: config.c config_get_enum_field()
fn config_get_value(s: &RedisServer, spec: &ConfigSpec) -> Vec<u8> {
    match spec.kind {
        Kind::Bool { get, .. } => {
            (if get(s) { &b"yes"[..] } else { &b"no"[..] }).to_vec()
        }
        Kind::Num { get, fmt: NumFmt::Octal, .. } => {
            format!("{:o}", get(s)).into_bytes()
        }
        Kind::Num { get, .. } => get(s).to_string().into_bytes(),
        Kind::Enum { get, table, .. } => {
            config_enum_get_name_or_unknown(table, get(s)).as_bytes().to_vec()
        }
        // (NULL is reported as "")
        Kind::Str { get, .. } => get(s).unwrap_or(b"").to_vec(),
        Kind::Special { get: Some(get), .. } => get(s),
        Kind::Special { get: None, .. } => Vec::new(),
    }
}

// ----------------------- CONFIG REWRITE implementation -----------------------

pub(crate) const REDIS_CONFIG_REWRITE_SIGNATURE: &str =
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
pub(crate) fn rewrite_config(
    server: &RedisServer,
    path: &str,
) -> io::Result<()> {
    // Step 1: read the old config into our rewrite state.
    let mut state = rewrite_config_read_old_file(path)?;

    // Step 2: rewrite every single option, replacing or appending it inside
    // the rewrite state, in rewriteConfig()'s order.
    for name in REWRITE_ORDER {
        if let Some(spec) = lookup_config(name.as_bytes()) {
            rewrite_config_option(server, &mut state, spec);
        }
    }

    // Rewrite Sentinel config if in Sentinel mode: never here.

    // Step 3: remove all the orphaned lines in the old file, that is, lines
    // that were used by a config option and are no longer used, like in
    // case of multiple "save" options or duplicated options.
    rewrite_config_remove_orphaned(server, &mut state);

    // Step 4: generate a new configuration file from the modified state
    // and write it into the original file.
    let newcontent = rewrite_config_get_content_from_state(&state);
    rewrite_config_overwrite_file(path, &newcontent)
}

/// Rewrites one option with the rewriteConfig*Option helper of its kind
/// and its default: one step of rewriteConfig(). It also stands in for
/// C's syslog-facility helper, which does what rewriteConfigEnumOption
/// does.
///
/// C: config.c rewriteConfigSyslogfacilityOption()
fn rewrite_config_option(
    s: &RedisServer,
    st: &mut RewriteConfigState,
    spec: &ConfigSpec,
) {
    let name = spec.rewrite_name();
    match spec.kind {
        Kind::Bool { get, default, .. } => {
            rewrite_config_yes_no_option(st, name, get(s), default)
        }
        Kind::Num { get, fmt: NumFmt::Num, default, .. } => {
            rewrite_config_numerical_option(st, name, get(s), default)
        }
        Kind::Num { get, fmt: NumFmt::Bytes, default, .. } => {
            rewrite_config_bytes_option(st, name, get(s), default)
        }
        Kind::Num { get, fmt: NumFmt::Octal, default, .. } => {
            rewrite_config_octal_option(st, name, get(s) as u32, default as u32)
        }
        Kind::Enum { get, table, default, .. } => {
            rewrite_config_enum_option(st, name, get(s), table, default)
        }
        Kind::Str { get, default, .. } => {
            rewrite_config_string_option(st, name, get(s), default)
        }
        Kind::Special { rewrite: Some(rewrite), .. } => rewrite(s, st),
        Kind::Special { rewrite: None, .. } => {}
    }
}

// ------------------------- CONFIG command entry point -------------------------

/// CONFIG GET|SET|RESETSTAT|REWRITE|HELP.
///
/// C: config.c configCommand()
pub(crate) fn config_command(server: &mut RedisServer, c: &mut Client) {
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
        add_reply(c, shared::OK);
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
                add_reply(c, shared::OK);
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
pub(crate) fn memtoll(p: &[u8]) -> (i64, bool) {
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

    // Copy the digits into a buffer, we'll use strtoll(, 10).value to convert the
    // digit (without the unit) into a number.
    let digits = &p[..u];
    if digits.len() >= 128 {
        return (0, true);
    }
    let r = strtol(digits, 10);
    let (val, end) = (r.value, r.consumed);
    if end != digits.len() {
        return (0, true);
    }
    (val.wrapping_mul(mul), false)
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
pub(crate) fn get_absolute_path(filename: &str) -> Option<String> {
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
pub(crate) fn options_from_args(args: &[String]) -> Vec<u8> {
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
pub(crate) fn version() -> ! {
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
pub(crate) fn usage() -> ! {
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
pub(crate) fn redis_supervised_upstart(server: &RedisServer) -> bool {
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
pub(crate) fn redis_supervised_systemd(server: &RedisServer) -> bool {
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
pub(crate) fn redis_is_supervised(server: &RedisServer, mode: i32) -> bool {
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
pub(crate) fn create_pid_file(server: &mut RedisServer) {
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
pub(crate) fn daemonize() {
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
pub(crate) fn redis_as_ascii_art(server: &RedisServer) {
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
    let show_logo = (!server.unported.syslog_enabled
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
pub(crate) fn check_tcp_backlog_settings(server: &RedisServer) {
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
pub(crate) fn linux_overcommit_memory_value() -> i32 {
    match std::fs::read("/proc/sys/vm/overcommit_memory") {
        Ok(buf) => atoi(&buf),
        Err(_) => -1,
    }
}

/// True unless transparent huge pages are set to "never".
///
/// C: latency.c THPIsEnabled()
pub(crate) fn thp_is_enabled() -> bool {
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
pub(crate) fn linux_memory_warnings(server: &RedisServer) {
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
pub(crate) fn adjust_open_files_limit(server: &mut RedisServer) {
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
pub(crate) fn module_load_from_queue(server: &RedisServer) {
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
    fn config_table_names_are_unique_and_lower_case() {
        let mut seen = HashSet::new();
        for spec in CONFIG_TABLE {
            for name in spec.names {
                assert!(seen.insert(*name), "{name} twice");
                assert_eq!(*name, name.to_ascii_lowercase());
            }
        }
    }

    #[test]
    fn rewrite_config_order_names_every_rewritten_option_once() {
        let mut seen = HashSet::new();
        for name in REWRITE_ORDER {
            let spec = lookup_config(name.as_bytes())
                .unwrap_or_else(|| panic!("{name} not in the table"));
            assert_eq!(spec.rewrite_name(), *name);
            assert!(seen.insert(*name), "{name} twice");
        }
        // What rewriteConfig() leaves alone.
        let skipped: Vec<&str> = CONFIG_TABLE
            .iter()
            .map(|spec| spec.rewrite_name())
            .filter(|name| !seen.contains(name))
            .collect();
        assert_eq!(
            skipped,
            [
                "watchdog-period",
                "always-show-logo",
                "include",
                "rename-command",
                "lua-replicate-commands",
                "list-max-ziplist-value",
                "loadmodule",
                "sentinel",
            ]
        );
    }

    #[test]
    fn config_table_defaults_are_what_init_server_config_sets() {
        let server = init_server_config();
        let mut differ = Vec::new();
        for spec in CONFIG_TABLE {
            let same = match spec.kind {
                Kind::Bool { get, default, .. } => get(&server) == default,
                Kind::Num { get, default, .. } => get(&server) == default,
                Kind::Enum { get, default, .. } => get(&server) == default,
                Kind::Str { get, default, .. } => {
                    get(&server) == default.map(str::as_bytes)
                }
                Kind::Special { .. } => true,
            };
            if !same {
                differ.push(spec.names[0]);
            }
        }
        // As in C: rewriteConfig passes "/var/run/redis.pid" as pidfile's
        // default, but initServerConfig leaves it NULL.
        assert_eq!(differ, ["pidfile"]);
    }

    #[test]
    fn config_set_knows_what_configsetcommand_knows() {
        let immutable: Vec<&str> = CONFIG_TABLE
            .iter()
            .filter(|spec| !spec.settable())
            .map(|spec| spec.names[0])
            .collect();
        assert_eq!(
            immutable,
            [
                "unixsocket",
                "logfile",
                "pidfile",
                "syslog-ident",
                "ignore-warnings",
                "appendfilename",
                "cluster-config-file",
                "port",
                "tcp-backlog",
                "databases",
                "daemonize",
                "rdbchecksum",
                "always-show-logo",
                "syslog-enabled",
                "cluster-enabled",
                "supervised",
                "syslog-facility",
                "unixsocketperm",
                "slaveof",
                "bind",
                "include",
                "rename-command",
                "lua-replicate-commands",
                "list-max-ziplist-entries",
                "loadmodule",
                "sentinel",
            ]
        );
    }

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
