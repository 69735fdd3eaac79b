//! The server: `struct redisServer`, the client structure, the command
//! table, and the functions that run every command (`process_command`,
//! `call`) and keep the server alive between commands (`server_cron`,
//! `before_sleep`), down to `main`.
//!
//! Ports server.c and server.h from Redis 5.0.14: the header part first,
//! then server.c in its own order.
//!
//! Read this first: C's global `server` is the `server: &mut RedisServer`
//! every function takes. Clients live in `server.clients` keyed by id; a
//! command runs with its client lent out of that table, its slot marked
//! "running" (see `networking::client_table`), so it can hold `server` and
//! `c` at once.

use std::collections::{HashMap, VecDeque};
use std::os::unix::io::RawFd;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::ae::{self, AeContext, AeEventLoop};
use crate::db::RedisDb;
use crate::networking::{
    self as net, add_reply, add_reply_error, add_reply_error_format,
};

// ------------------------------- server.h: errors -------------------------------

/// C's C_ERR. Carries no detail: as in C, the reason was already logged or
/// sent to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CErr;
pub type CResult<T = ()> = Result<T, CErr>;

// ---------------------------- server.h: constants ----------------------------

pub const CONFIG_DEFAULT_HZ: i32 = 10;
pub const CONFIG_MIN_HZ: i32 = 1;
pub const CONFIG_MAX_HZ: i32 = 500;
pub const CONFIG_DEFAULT_SERVER_PORT: i32 = 6379;
pub const CONFIG_DEFAULT_TCP_BACKLOG: i32 = 511;
pub const CONFIG_DEFAULT_CLIENT_TIMEOUT: i64 = 0;
pub const CONFIG_DEFAULT_DBNUM: i32 = 16;
pub const CONFIG_MAX_LINE: usize = 1024;
pub const CRON_DBS_PER_CALL: i32 = 16;
pub const NET_MAX_WRITES_PER_EVENT: usize = 1024 * 64;
pub const CONFIG_DEFAULT_MAX_CLIENTS: u32 = 10000;
pub const CONFIG_DEFAULT_TCP_KEEPALIVE: i32 = 300;
pub const CONFIG_DEFAULT_PROTECTED_MODE: bool = true;
pub const CONFIG_DEFAULT_PROTO_MAX_BULK_LEN: i64 = 512 * 1024 * 1024;
pub const CONFIG_DEFAULT_PID_FILE: &str = "/var/run/redis.pid";
pub const CONFIG_DEFAULT_RDB_FILENAME: &str = "dump.rdb";
pub const CONFIG_MIN_RESERVED_FDS: u32 = 32;
pub const CONFIG_FDSET_INCR: u32 = CONFIG_MIN_RESERVED_FDS + 96;
pub const ACTIVE_EXPIRE_CYCLE_LOOKUPS_PER_LOOP: u64 = 20;
pub const ACTIVE_EXPIRE_CYCLE_FAST_DURATION: i64 = 1000;
pub const ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC: i64 = 25;
pub const ACTIVE_EXPIRE_CYCLE_SLOW: i32 = 0;
pub const ACTIVE_EXPIRE_CYCLE_FAST: i32 = 1;
pub const CLIENTS_CRON_MIN_ITERATIONS: usize = 5;
pub const CONFIG_BINDADDR_MAX: usize = 16;
pub const CONFIG_RUN_ID_SIZE: usize = 40;

pub const PROTO_MAX_QUERYBUF_LEN: usize = 1024 * 1024 * 1024;
pub const PROTO_IOBUF_LEN: usize = 1024 * 16;
pub const PROTO_REPLY_CHUNK_BYTES: usize = 16 * 1024;
pub const PROTO_INLINE_MAX_SIZE: usize = 1024 * 64;
pub const PROTO_MBULK_BIG_ARG: i64 = 1024 * 32;
pub const LONG_STR_SIZE: usize = 21;

/// Command flags ("w", "r", "m", ... in the table's sflags).
pub const CMD_WRITE: i32 = 1 << 0;
pub const CMD_READONLY: i32 = 1 << 1;
pub const CMD_DENYOOM: i32 = 1 << 2;
pub const CMD_MODULE: i32 = 1 << 3;
pub const CMD_ADMIN: i32 = 1 << 4;
pub const CMD_PUBSUB: i32 = 1 << 5;
pub const CMD_NOSCRIPT: i32 = 1 << 6;
pub const CMD_RANDOM: i32 = 1 << 7;
pub const CMD_SORT_FOR_SCRIPT: i32 = 1 << 8;
pub const CMD_LOADING: i32 = 1 << 9;
pub const CMD_STALE: i32 = 1 << 10;
pub const CMD_SKIP_MONITOR: i32 = 1 << 11;
pub const CMD_ASKING: i32 = 1 << 12;
pub const CMD_FAST: i32 = 1 << 13;
/// Use the modules getkeys interface. Never set: there are no modules.
pub const CMD_MODULE_GETKEYS: i32 = 1 << 14;

/// Client flags.
pub const CLIENT_SLAVE: u64 = 1 << 0;
pub const CLIENT_MASTER: u64 = 1 << 1;
pub const CLIENT_MONITOR: u64 = 1 << 2;
pub const CLIENT_MULTI: u64 = 1 << 3;
pub const CLIENT_BLOCKED: u64 = 1 << 4;
pub const CLIENT_DIRTY_CAS: u64 = 1 << 5;
pub const CLIENT_CLOSE_AFTER_REPLY: u64 = 1 << 6;
pub const CLIENT_UNBLOCKED: u64 = 1 << 7;
pub const CLIENT_LUA: u64 = 1 << 8;
pub const CLIENT_ASKING: u64 = 1 << 9;
pub const CLIENT_CLOSE_ASAP: u64 = 1 << 10;
pub const CLIENT_UNIX_SOCKET: u64 = 1 << 11;
pub const CLIENT_DIRTY_EXEC: u64 = 1 << 12;
pub const CLIENT_MASTER_FORCE_REPLY: u64 = 1 << 13;
pub const CLIENT_FORCE_AOF: u64 = 1 << 14;
pub const CLIENT_FORCE_REPL: u64 = 1 << 15;
pub const CLIENT_PRE_PSYNC: u64 = 1 << 16;
pub const CLIENT_READONLY: u64 = 1 << 17;
pub const CLIENT_PUBSUB: u64 = 1 << 18;
pub const CLIENT_PREVENT_AOF_PROP: u64 = 1 << 19;
pub const CLIENT_PREVENT_REPL_PROP: u64 = 1 << 20;
pub const CLIENT_PREVENT_PROP: u64 =
    CLIENT_PREVENT_AOF_PROP | CLIENT_PREVENT_REPL_PROP;
pub const CLIENT_PENDING_WRITE: u64 = 1 << 21;
pub const CLIENT_REPLY_OFF: u64 = 1 << 22;
pub const CLIENT_REPLY_SKIP_NEXT: u64 = 1 << 23;
pub const CLIENT_REPLY_SKIP: u64 = 1 << 24;
pub const CLIENT_LUA_DEBUG: u64 = 1 << 25;
pub const CLIENT_LUA_DEBUG_SYNC: u64 = 1 << 26;
pub const CLIENT_MODULE: u64 = 1 << 27;
pub const CLIENT_PROTECTED: u64 = 1 << 28;

/// Client block type (btype field in client structure), if CLIENT_BLOCKED.
pub const BLOCKED_NONE: i32 = 0;
pub const BLOCKED_LIST: i32 = 1;
pub const BLOCKED_WAIT: i32 = 2;
pub const BLOCKED_MODULE: i32 = 3;
pub const BLOCKED_STREAM: i32 = 4;
pub const BLOCKED_ZSET: i32 = 5;

/// Client request types.
pub const PROTO_REQ_INLINE: i32 = 1;
pub const PROTO_REQ_MULTIBULK: i32 = 2;

/// Client classes for client limits.
pub const CLIENT_TYPE_NORMAL: usize = 0;
pub const CLIENT_TYPE_SLAVE: usize = 1;
pub const CLIENT_TYPE_PUBSUB: usize = 2;
pub const CLIENT_TYPE_MASTER: usize = 3;
pub const CLIENT_TYPE_OBUF_COUNT: usize = 3;

/// Slave replication state. Used in server.repl_state for slaves to
/// remember what to do next.
pub const REPL_STATE_NONE: i32 = 0;
pub const REPL_STATE_CONNECT: i32 = 1;
pub const REPL_STATE_CONNECTING: i32 = 2;
pub const REPL_STATE_RECEIVE_PONG: i32 = 3;
pub const REPL_STATE_SEND_AUTH: i32 = 4;
pub const REPL_STATE_RECEIVE_AUTH: i32 = 5;
pub const REPL_STATE_SEND_PORT: i32 = 6;
pub const REPL_STATE_RECEIVE_PORT: i32 = 7;
pub const REPL_STATE_SEND_IP: i32 = 8;
pub const REPL_STATE_RECEIVE_IP: i32 = 9;
pub const REPL_STATE_SEND_CAPA: i32 = 10;
pub const REPL_STATE_RECEIVE_CAPA: i32 = 11;
pub const REPL_STATE_SEND_PSYNC: i32 = 12;
pub const REPL_STATE_RECEIVE_PSYNC: i32 = 13;
pub const REPL_STATE_TRANSFER: i32 = 14;
pub const REPL_STATE_CONNECTED: i32 = 15;

/// Log levels.
pub const LL_DEBUG: i32 = 0;
pub const LL_VERBOSE: i32 = 1;
pub const LL_NOTICE: i32 = 2;
pub const LL_WARNING: i32 = 3;
/// Modifier to log without timestamp.
pub const LL_RAW: i32 = 1 << 10;
pub const CONFIG_DEFAULT_VERBOSITY: i32 = LL_NOTICE;
pub const LOG_MAX_LEN: usize = 1024;

/// Command call flags, see call() function.
pub const CMD_CALL_NONE: i32 = 0;
pub const CMD_CALL_SLOWLOG: i32 = 1 << 0;
pub const CMD_CALL_STATS: i32 = 1 << 1;
pub const CMD_CALL_PROPAGATE_AOF: i32 = 1 << 2;
pub const CMD_CALL_PROPAGATE_REPL: i32 = 1 << 3;
pub const CMD_CALL_PROPAGATE: i32 =
    CMD_CALL_PROPAGATE_AOF | CMD_CALL_PROPAGATE_REPL;
pub const CMD_CALL_FULL: i32 =
    CMD_CALL_SLOWLOG | CMD_CALL_STATS | CMD_CALL_PROPAGATE;

/// Command propagation flags, see propagate() function.
pub const PROPAGATE_NONE: i32 = 0;
pub const PROPAGATE_AOF: i32 = 1;
pub const PROPAGATE_REPL: i32 = 2;

/// Keyspace changes notification classes.
pub const NOTIFY_KEYSPACE: i32 = 1 << 0;
pub const NOTIFY_KEYEVENT: i32 = 1 << 1;
pub const NOTIFY_GENERIC: i32 = 1 << 2;
pub const NOTIFY_STRING: i32 = 1 << 3;
pub const NOTIFY_LIST: i32 = 1 << 4;
pub const NOTIFY_SET: i32 = 1 << 5;
pub const NOTIFY_HASH: i32 = 1 << 6;
pub const NOTIFY_ZSET: i32 = 1 << 7;
pub const NOTIFY_EXPIRED: i32 = 1 << 8;
pub const NOTIFY_EVICTED: i32 = 1 << 9;
pub const NOTIFY_STREAM: i32 = 1 << 10;
pub const NOTIFY_ALL: i32 = NOTIFY_GENERIC
    | NOTIFY_STRING
    | NOTIFY_LIST
    | NOTIFY_SET
    | NOTIFY_HASH
    | NOTIFY_ZSET
    | NOTIFY_EXPIRED
    | NOTIFY_EVICTED
    | NOTIFY_STREAM;

/// Redis maxmemory strategies. Instead of using just incremental number
/// for this defines, we use a set of flags so that testing for certain
/// properties common to multiple policies is faster.
pub const MAXMEMORY_FLAG_LRU: i32 = 1 << 0;
pub const MAXMEMORY_FLAG_LFU: i32 = 1 << 1;
pub const MAXMEMORY_FLAG_ALLKEYS: i32 = 1 << 2;
pub const MAXMEMORY_FLAG_NO_SHARED_INTEGERS: i32 =
    MAXMEMORY_FLAG_LRU | MAXMEMORY_FLAG_LFU;
#[allow(clippy::identity_op)] // C spells it (0<<8)|MAXMEMORY_FLAG_LRU
pub const MAXMEMORY_VOLATILE_LRU: i32 = (0 << 8) | MAXMEMORY_FLAG_LRU;
pub const MAXMEMORY_VOLATILE_LFU: i32 = (1 << 8) | MAXMEMORY_FLAG_LFU;
pub const MAXMEMORY_VOLATILE_TTL: i32 = 2 << 8;
pub const MAXMEMORY_VOLATILE_RANDOM: i32 = 3 << 8;
pub const MAXMEMORY_ALLKEYS_LRU: i32 =
    (4 << 8) | MAXMEMORY_FLAG_LRU | MAXMEMORY_FLAG_ALLKEYS;
pub const MAXMEMORY_ALLKEYS_LFU: i32 =
    (5 << 8) | MAXMEMORY_FLAG_LFU | MAXMEMORY_FLAG_ALLKEYS;
pub const MAXMEMORY_ALLKEYS_RANDOM: i32 = (6 << 8) | MAXMEMORY_FLAG_ALLKEYS;
pub const MAXMEMORY_NO_EVICTION: i32 = 7 << 8;
pub const CONFIG_DEFAULT_MAXMEMORY_POLICY: i32 = MAXMEMORY_NO_EVICTION;
pub const CONFIG_DEFAULT_LFU_DECAY_TIME: i32 = 1;

/// Max value of obj->lru
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
/// LRU clock resolution in ms
pub const LRU_CLOCK_RESOLUTION: i64 = 1000;

/// Shutdown flags.
pub const SHUTDOWN_NOFLAGS: i32 = 0;
pub const SHUTDOWN_SAVE: i32 = 1;
pub const SHUTDOWN_NOSAVE: i32 = 2;

/// Flags for restart_server().
pub const RESTART_SERVER_NONE: i32 = 0;
/// Do a proper shutdown.
pub const RESTART_SERVER_GRACEFULLY: i32 = 1 << 0;
/// CONFIG REWRITE before restart.
pub const RESTART_SERVER_CONFIG_REWRITE: i32 = 1 << 1;

/// Get the first bind addr or `None`.
pub const NET_IP_STR_LEN: usize = 46;
pub const NET_PEER_ID_LEN: usize = NET_IP_STR_LEN + 32;

// ------------------------------- server.h: client -------------------------------

/// A client id: C's `c->id`, and the key of `server.clients`. Ids only
/// grow, so id order is creation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ClientId(pub u64);

/// One block of the reply list. C: struct clientReplyBlock
#[derive(Debug)]
pub struct ClientReplyBlock {
    /// `buf.capacity()` is C's `size`, `buf.len()` its `used`.
    pub buf: Vec<u8>,
}

/// With multiplexing we need to take per-client state. Clients are taken
/// in a table keyed by id.
///
/// C: typedef struct client
pub struct Client {
    /// Client incremental unique ID.
    pub id: ClientId,
    /// Client socket, or -1 for a fake client.
    pub fd: RawFd,
    /// The socket itself, owned here so that dropping the client closes it.
    pub sock: Option<socket2::Socket>,
    /// Index in `server.db` of the currently SELECTed DB.
    pub db: usize,
    /// As set by CLIENT SETNAME.
    pub name: Option<Vec<u8>>,
    /// Buffer we use to accumulate client queries.
    pub querybuf: Vec<u8>,
    /// The position we have read in querybuf.
    pub qb_pos: usize,
    /// Pending replication stream received from the master, not yet applied.
    pub pending_querybuf: Vec<u8>,
    /// Recent (100ms or more) peak of querybuf size.
    pub querybuf_peak: usize,
    /// Arguments of current command.
    pub argv: Vec<Vec<u8>>,
    /// Index in `server.commands` of the current command, and of the last.
    pub cmd: Option<usize>,
    pub lastcmd: Option<usize>,
    /// Request protocol type: PROTO_REQ_*
    pub reqtype: i32,
    /// Number of multi bulk arguments left to read.
    pub multibulklen: i64,
    /// Length of bulk argument in multi bulk request.
    pub bulklen: i64,
    /// List of reply objects to send to the client.
    pub reply: VecDeque<ClientReplyBlock>,
    /// Tot bytes of objects in reply list.
    pub reply_bytes: u64,
    /// Amount of bytes already sent in the current buffer or object being
    /// sent.
    pub sentlen: usize,
    /// Client creation time.
    pub ctime: i64,
    /// Time of the last interaction, used for timeout.
    pub lastinteraction: i64,
    pub obuf_soft_limit_reached_time: i64,
    /// Client flags: CLIENT_* macros.
    pub flags: u64,
    /// When requirepass is non-NULL.
    pub authenticated: bool,
    /// Replication state if this is a slave.
    pub replstate: i32,
    /// Install slave write handler on first ACK.
    pub repl_put_online_on_ack: bool,
    /// Replication DB file descriptor.
    pub repldbfd: RawFd,
    /// The open RDB file being sent (SEND_BULK); `repldbfd` is its fd.
    /// Dropping it closes the file. (no C twin: C keeps only the fd)
    pub repldbfile: Option<std::fs::File>,
    /// Replication DB file offset.
    pub repldboff: i64,
    /// Replication DB file size.
    pub repldbsize: i64,
    /// Replication DB preamble.
    pub replpreamble: Vec<u8>,
    /// FULLRESYNC reply offset other slaves copying this slave output
    /// buffer should use.
    pub psync_initial_offset: i64,
    /// Replication offset read from the master (if this is a master).
    pub read_reploff: i64,
    /// Applied replication offset if this is a master.
    pub reploff: i64,
    /// Replication ack offset, if this is a slave.
    pub repl_ack_off: i64,
    /// Replication ack time, if this is a slave.
    pub repl_ack_time: i64,
    /// Master offset to wait for, for WAIT.
    pub woff: i64,
    /// Master replication ID (if master).
    pub replid: [u8; 40],
    /// As configured with: SLAVECONF listening-port
    pub slave_listening_port: i32,
    /// As configured with: REPLCONF ip-address
    pub slave_ip: Option<String>,
    /// Slave capabilities: SLAVE_CAPA_* bitwise OR.
    pub slave_capa: i32,
    /// Blocking operation type: BLOCKED_*
    pub btype: i32,
    /// Blocking operation timeout, unix ms; 0 means none.
    pub bpop_timeout: i64,
    /// Keys a client is blocked on, with the target of BRPOPLPUSH.
    pub bpop_keys: Vec<Vec<u8>>,
    pub bpop_target: Option<Vec<u8>>,
    /// WAIT: number of replicas to wait for, and the offset.
    pub bpop_numreplicas: i32,
    pub bpop_reploffset: i64,
    /// Response buffer: C's char buf[PROTO_REPLY_CHUNK_BYTES].
    pub bufpos: usize,
    pub buf: Box<[u8; PROTO_REPLY_CHUNK_BYTES]>,
    /// Cached peer ID ("ip:port").
    pub peerid: Option<String>,
    /// Divergence from C: true while the id sits in
    /// `server.clients_pending_write`; C's CLIENT_PENDING_WRITE flag is set
    /// by add_reply without the server at hand, so the queueing is done by
    /// whoever hands the client back (see `networking::queue_pending_write`).
    pub pending_write_queued: bool,
    /// MULTI/EXEC state
    pub mstate: MultiState,
    /// Keys WATCHED for MULTI/EXEC CAS, as (db, key).
    pub watched_keys: Vec<(usize, Vec<u8>)>,
    /// channels a client is interested in (SUBSCRIBE)
    pub pubsub_channels: std::collections::HashSet<Vec<u8>>,
    /// patterns a client is interested in (PSUBSCRIBE)
    pub pubsub_patterns: Vec<Vec<u8>>,
    /// The "== CRITICAL ==" line addReplyErrorLength logs for a master or
    /// replica link, up to the command name, and `lastcmd` when the error
    /// was added: logged when the client is handed back (the reply
    /// functions have no server at hand to name the command). (no C twin)
    pub critical_error_log: Option<(String, Option<usize>)>,
    /// For a client that receives what others publish (a subscriber, a
    /// monitor): what is aimed at it while it runs waits here, shared
    /// with its "running" slot, and `add_reply` writes it before the next
    /// bytes of its own reply, which is where C, writing at once, puts it
    /// (a MONITOR line before the reply of the monitor's own command, a
    /// keyspace event inside EXEC). `None` for other clients. (no C twin;
    /// see `networking::client_table`)
    pub mailbox: Option<std::rc::Rc<std::cell::Cell<Vec<u8>>>>,
}

/// One queued command of a MULTI. C: struct multiCmd
#[derive(Debug, Default)]
pub struct MultiCmd {
    pub argv: Vec<Vec<u8>>,
    pub cmd: usize,
}

/// C: struct multiState
#[derive(Debug, Default)]
pub struct MultiState {
    /// Array of MULTI commands
    pub commands: Vec<MultiCmd>,
    /// The accumulated command flags OR-ed together. So if at least a
    /// command has a given flag, it will be set in this field.
    pub cmd_flags: i32,
}

// ------------------------------ server.h: command ------------------------------

pub type RedisCommandProc = fn(server: &mut RedisServer, c: &mut Client);
/// A command-specific key extractor (see db.rs, "API to get key arguments
/// from commands"): the positions in `argv` of the key arguments, or
/// `None` for none. C also takes `argc` and returns the count through
/// `int *numkeys`; the slice and the Vec carry their lengths.
///
/// C: redisGetKeysProc
pub type RedisGetKeysProc =
    fn(cmd: &RedisCommand, argv: &[Vec<u8>]) -> Option<Vec<i32>>;

/// The hasher of the command lookup table: FNV-1a. Divergence from C: C
/// hashes command names with siphash_nocase; for ~200 fixed names looked
/// up once per command a keyed hash buys nothing and costs 4% of a SET.
#[derive(Default, Clone, Copy)]
pub struct CommandNameHasher(u64);

impl std::hash::Hasher for CommandNameHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf29ce484222325 } else { self.0 };
        for b in bytes {
            h ^= *b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
        self.0 = h;
    }
}

pub type CommandNameHash = std::hash::BuildHasherDefault<CommandNameHasher>;

/// C: struct redisCommand
pub struct RedisCommand {
    pub name: &'static str,
    pub proc_: RedisCommandProc,
    pub arity: i32,
    pub sflags: &'static str,
    /// The actual flags, obtained from the 'sflags' field.
    pub flags: i32,
    /// Use a function to determine keys arguments in a command line, for
    /// commands whose keys the three fields below cannot describe (C uses
    /// it for Redis Cluster redirection and COMMAND GETKEYS).
    pub getkeys_proc: Option<RedisGetKeysProc>,
    /// What keys should be loaded in background when calling this command?
    pub firstkey: i32,
    pub lastkey: i32,
    pub keystep: i32,
    pub microseconds: i64,
    pub calls: i64,
}

/// One command scheduled for propagation by `also_propagate`.
/// C: struct redisOp
pub struct RedisOp {
    pub argv: Vec<Vec<u8>>,
    pub dbid: usize,
    pub target: i32,
    pub cmd: usize,
}

// ------------------------------- server.h: server -------------------------------

/// One `save <seconds> <changes>` point. C: struct saveparam
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaveParam {
    pub seconds: i64,
    pub changes: i32,
}

/// One `client-output-buffer-limit` class. C: struct clientBufferLimitsConfig
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientBufferLimitsConfig {
    pub hard_limit_bytes: u64,
    pub soft_limit_bytes: u64,
    pub soft_limit_seconds: i64,
}

pub const CLIENT_BUFFER_LIMITS_DEFAULTS: [ClientBufferLimitsConfig;
    CLIENT_TYPE_OBUF_COUNT] = [
    ClientBufferLimitsConfig {
        hard_limit_bytes: 0,
        soft_limit_bytes: 0,
        soft_limit_seconds: 0,
    },
    ClientBufferLimitsConfig {
        hard_limit_bytes: 1024 * 1024 * 256,
        soft_limit_bytes: 1024 * 1024 * 64,
        soft_limit_seconds: 60,
    },
    ClientBufferLimitsConfig {
        hard_limit_bytes: 1024 * 1024 * 32,
        soft_limit_bytes: 1024 * 1024 * 8,
        soft_limit_seconds: 60,
    },
];

/// The configuration of subsystems this port does not have yet: AOF,
/// eviction, lazy free, active defragmentation, cluster, scripting, the
/// slow log and latency monitor, syslog, HyperLogLog and streams. Each
/// field is accepted by redis.conf and CONFIG SET with 5.0.14's checks
/// and reported by CONFIG GET and CONFIG REWRITE like 5.0.14, but nothing
/// acts on it yet. The fields keep their names in C's `struct
/// redisServer`; when a subsystem is ported, its fields move back into
/// `RedisServer`.
pub struct UnportedConfig {
    // AOF (aof.c)
    /// Kind of fsync() policy
    pub aof_fsync: i32,
    /// Name of the AOF file
    pub aof_filename: String,
    /// Don't fsync if a rewrite is in prog.
    pub aof_no_fsync_on_rewrite: bool,
    /// Rewrite AOF if % growth is > M and...
    pub aof_rewrite_perc: i32,
    /// the AOF file is at least N bytes.
    pub aof_rewrite_min_size: i64,
    /// fsync incrementally while aof rewriting?
    pub aof_rewrite_incremental_fsync: bool,
    /// Don't stop on unexpected AOF EOF.
    pub aof_load_truncated: bool,
    /// Use RDB preamble on AOF rewrites.
    pub aof_use_rdb_preamble: bool,
    // Eviction (evict.c)
    /// Precision of random sampling
    pub maxmemory_samples: i32,
    /// LFU logarithmic counter factor.
    pub lfu_log_factor: i32,
    // Lazy free (lazyfree.c)
    pub lazyfree_lazy_eviction: bool,
    pub lazyfree_lazy_server_del: bool,
    // Active defragmentation (defrag.c)
    pub active_defrag_enabled: bool,
    /// Minimum amount of fragmentation waste to start active defrag
    pub active_defrag_ignore_bytes: usize,
    /// Minimum percentage of fragmentation to start active defrag
    pub active_defrag_threshold_lower: i32,
    /// Maximum percentage of fragmentation at which we use maximum effort
    pub active_defrag_threshold_upper: i32,
    /// Minimal effort for defrag in CPU percentage
    pub active_defrag_cycle_min: i32,
    /// Maximal effort for defrag in CPU percentage
    pub active_defrag_cycle_max: i32,
    /// Maximum number of fields of set/hash/zset/list to process from
    /// within the main dict scan
    pub active_defrag_max_scan_fields: u64,
    // Cluster (cluster.c)
    /// Cluster node timeout.
    pub cluster_node_timeout: i64,
    /// Cluster auto-generated config file name.
    pub cluster_configfile: String,
    /// Minimum slaves for migration.
    pub cluster_migration_barrier: i32,
    /// Slave max data age for failover.
    pub cluster_slave_validity_factor: i32,
    /// If true, put the cluster down if there is at least an uncovered slot.
    pub cluster_require_full_coverage: bool,
    /// Prevent slave from starting a failover if the master is in failure
    /// state.
    pub cluster_slave_no_failover: bool,
    /// IP address to announce on cluster bus.
    pub cluster_announce_ip: Option<String>,
    /// base port to announce on cluster bus.
    pub cluster_announce_port: i32,
    /// bus port to announce on cluster bus.
    pub cluster_announce_bus_port: i32,
    // Scripting (scripting.c)
    /// Script timeout in milliseconds
    pub lua_time_limit: i64,
    /// Default replication type.
    pub lua_always_replicate_commands: bool,
    // Slow log (slowlog.c) and latency monitor (latency.c)
    /// SLOWLOG time limit (to get logged)
    pub slowlog_log_slower_than: i64,
    /// SLOWLOG max number of items logged
    pub slowlog_max_len: u64,
    /// Latency monitor threshold in milliseconds.
    pub latency_monitor_threshold: i64,
    // Syslog (serverLogRaw's syslog() call)
    /// Is syslog enabled?
    pub syslog_enabled: bool,
    pub syslog_ident: String,
    /// Syslog facility
    pub syslog_facility: i32,
    // HyperLogLog (hyperloglog.c) and streams (t_stream.c)
    pub hll_sparse_max_bytes: usize,
    pub stream_node_max_bytes: usize,
    pub stream_node_max_entries: i64,
}

/// C: struct redisServer. Grouped as in server.h.
pub struct RedisServer {
    // General
    pub pid: i32,
    /// Absolute config file path, or `None`.
    pub configfile: Option<String>,
    /// Absolute executable file path.
    pub executable: String,
    /// Executable argv vector (copy).
    pub exec_argv: Vec<String>,
    pub dynamic_hz: bool,
    /// Configured HZ value. May be different than the actual 'hz' field
    /// value if dynamic-hz is enabled.
    pub config_hz: i32,
    /// serverCron() calls frequency in hertz
    pub hz: i32,
    pub db: Vec<RedisDb>,
    /// Command table, and the lookup by lower-case name.
    pub commands: Vec<RedisCommand>,
    pub command_index: HashMap<&'static str, usize, CommandNameHash>,
    pub el: AeEventLoop<RedisServer>,
    /// Clock for LRU eviction
    pub lruclock: u32,
    /// Shutdown ASAP (SIGTERM/SIGINT seen).
    pub shutdown_asap: bool,
    /// Number of times the cron function run
    pub cronloops: i64,
    /// ID always different at every exec.
    pub runid: String,
    /// True if this is a sentinel (never, here).
    pub sentinel_mode: bool,
    /// Used memory of the initial dataset-less server.
    pub initial_memory_usage: usize,
    pub always_show_logo: bool,
    // Networking
    /// TCP listening port
    pub port: i32,
    /// TCP listen() backlog
    pub tcp_backlog: i32,
    /// Addresses we should bind to
    pub bindaddr: Vec<String>,
    /// UNIX socket path
    pub unixsocket: Option<String>,
    pub unixsocketperm: u32,
    /// TCP socket file descriptors, owned by the listeners.
    pub ipfd: Vec<RawFd>,
    pub listeners: Vec<std::net::TcpListener>,
    /// Unix socket file descriptor
    pub sofd: RawFd,
    pub unix_listener: Option<std::os::unix::net::UnixListener>,
    /// List of active clients, keyed by id (C also has clients_index). A
    /// client running a command keeps its slot, marked "running" (see
    /// `networking::client_table`).
    pub clients: crate::networking::ClientTable,
    /// Clients to close asynchronously
    pub clients_to_close: Vec<ClientId>,
    /// There is to write or install handler.
    pub clients_pending_write: Vec<ClientId>,
    /// List of slaves and MONITORs
    pub slaves: Vec<ClientId>,
    pub monitors: Vec<ClientId>,
    /// Current client, only used on crash report.
    pub current_client: Option<ClientId>,
    /// True if clients are currently paused
    pub clients_paused: bool,
    /// Time when we undo clients_paused
    pub clients_pause_end_time: i64,
    /// Next client unique ID. Incremental.
    pub next_client_id: u64,
    /// Don't accept external connections.
    pub protected_mode: bool,
    // RDB / AOF loading information
    /// We are loading data from disk if true
    pub loading: bool,
    pub loading_total_bytes: i64,
    pub loading_loaded_bytes: i64,
    pub loading_start_time: i64,
    pub loading_process_events_interval_bytes: i64,
    // Fields used only for stats
    /// Server start time
    pub stat_starttime: i64,
    /// Number of processed commands
    pub stat_numcommands: i64,
    /// Number of connections received
    pub stat_numconnections: i64,
    /// Number of expired keys
    pub stat_expiredkeys: i64,
    pub stat_expired_stale_perc: f64,
    pub stat_expired_time_cap_reached_count: i64,
    pub stat_evictedkeys: i64,
    pub stat_keyspace_hits: i64,
    pub stat_keyspace_misses: i64,
    pub stat_active_defrag_hits: i64,
    pub stat_active_defrag_misses: i64,
    pub stat_active_defrag_key_hits: i64,
    pub stat_active_defrag_key_misses: i64,
    pub stat_active_defrag_scanned: i64,
    /// Max used memory record
    pub stat_peak_memory: usize,
    /// Time needed to perform latest fork()
    pub stat_fork_time: i64,
    pub stat_fork_rate: f64,
    /// Clients rejected because of maxclients
    pub stat_rejected_conn: i64,
    /// Number of full resyncs with slaves.
    pub stat_sync_full: i64,
    /// Number of accepted PSYNC requests.
    pub stat_sync_partial_ok: i64,
    /// Number of unaccepted PSYNC requests.
    pub stat_sync_partial_err: i64,
    /// Bytes read from network.
    pub stat_net_input_bytes: i64,
    /// Bytes written to network.
    pub stat_net_output_bytes: i64,
    /// Child process copy-on-write bytes of the last RDB save.
    pub stat_rdb_cow_bytes: usize,
    /// Instantaneous metrics: samples taken in server_cron.
    pub inst_metric: [InstMetric; STATS_METRIC_COUNT],
    // Configuration
    /// Loglevel in redis.conf
    pub verbosity: i32,
    /// Client timeout in seconds
    pub maxidletime: i64,
    /// Set SO_KEEPALIVE if non-zero.
    pub tcpkeepalive: i32,
    /// Can be disabled for testing purposes.
    pub active_expire_enabled: bool,
    /// Limit for client query buffer length
    pub client_max_querybuf_len: usize,
    /// Total number of configured DBs
    pub dbnum: i32,
    /// Supervised mode (never here; kept for INFO/CONFIG).
    pub supervised: bool,
    /// True if running as a daemon
    pub daemonize: bool,
    pub client_obuf_limits: [ClientBufferLimitsConfig; CLIENT_TYPE_OBUF_COUNT],
    // RDB persistence
    /// Changes to DB from the last save
    pub dirty: i64,
    /// Used to restore dirty on failed BGSAVE
    pub dirty_before_bgsave: i64,
    /// PID of RDB saving child
    pub rdb_child_pid: i32,
    /// Save points array for RDB
    pub saveparams: Vec<SaveParam>,
    /// Name of RDB file
    pub rdb_filename: String,
    /// Use compression in RDB?
    pub rdb_compression: bool,
    /// Use RDB checksum?
    pub rdb_checksum: bool,
    /// Unix time of last successful save
    pub lastsave: i64,
    /// Unix time of last attempted bgsave
    pub lastbgsave_try: i64,
    /// Time used by last RDB save run.
    pub rdb_save_time_last: i64,
    /// Current RDB save start time.
    pub rdb_save_time_start: i64,
    /// BGSAVE scheduled to be started when possible.
    pub rdb_bgsave_scheduled: bool,
    /// Type of save in progress.
    pub rdb_child_type: i32,
    /// C_OK or C_ERR
    pub lastbgsave_status: CResult,
    /// Don't allow writes if can't BGSAVE
    pub stop_writes_on_bgsave_err: bool,
    /// fsync incrementally while rdb saving?
    pub rdb_save_incremental_fsync: bool,
    /// RDB pipes used to return the state of each slave in diskless SYNC
    /// (child writes, parent reads; -1 when not open).
    pub rdb_pipe_write_result_to_parent: RawFd,
    pub rdb_pipe_read_result_from_child: RawFd,
    /// Pipe used to write the child_info_data (see childinfo.rs).
    pub child_info_pipe: [RawFd; 2],
    /// What the saving child reports: copy-on-write size.
    pub child_info_data: crate::childinfo::ChildInfoData,
    // Propagation of commands in AOF / replication
    /// Additional command to propagate.
    pub also_propagate: Vec<RedisOp>,
    // Logging
    /// Path of log file
    pub logfile: String,
    pub pidfile: Option<String>,
    /// Working directory, as configured (we chdir into it).
    pub dir: String,
    // Replication (master)
    /// My current replication ID.
    pub replid: [u8; 40],
    /// replid inherited from master
    pub replid2: [u8; 40],
    /// My current replication offset
    pub master_repl_offset: i64,
    /// Accept offsets up to this for replid2.
    pub second_replid_offset: i64,
    /// Last SELECTed DB in replication output
    pub slaveseldb: i32,
    /// Master pings the slave every N seconds
    pub repl_ping_slave_period: i32,
    /// Replication backlog for partial syncs
    pub repl_backlog: Option<Vec<u8>>,
    /// Backlog circular buffer size
    pub repl_backlog_size: i64,
    /// Backlog actual data length
    pub repl_backlog_histlen: i64,
    /// Backlog circular buffer current offset, that is the next byte will'll
    /// write to.
    pub repl_backlog_idx: i64,
    /// Replication "master offset" of first byte in the replication backlog
    /// buffer.
    pub repl_backlog_off: i64,
    /// Time without slaves after the backlog gets released.
    pub repl_backlog_time_limit: i64,
    /// We have no slaves since that time. Only valid if
    /// server.slaves len is 0.
    pub repl_no_slaves_since: i64,
    /// Min number of slaves to write.
    pub repl_min_slaves_to_write: i32,
    /// Max lag of <count> slaves to write.
    pub repl_min_slaves_max_lag: i32,
    /// Number of slaves with lag <= max_lag.
    pub repl_good_slaves_count: i32,
    /// Send RDB to slaves sockets directly.
    pub repl_diskless_sync: bool,
    /// Delay to start a diskless repl BGSAVE.
    pub repl_diskless_sync_delay: i32,
    /// How many times replicationCron() ran (C: its static
    /// replication_cron_loops; the PING period counts these).
    pub repl_cron_loops: i64,
    // Replication (slave)
    /// AUTH with this password with master
    pub masterauth: Option<Vec<u8>>,
    /// Hostname of master
    pub masterhost: Option<String>,
    /// Port of master
    pub masterport: i32,
    /// Timeout after N seconds of master idle
    pub repl_timeout: i32,
    /// Client that is master for this slave
    pub master: Option<ClientId>,
    /// Cached master to be reused for PSYNC.
    pub cached_master: Option<Box<Client>>,
    /// Timeout for synchronous I/O calls
    pub repl_syncio_timeout: i32,
    /// Replication state if this is a slave
    pub repl_state: i32,
    /// Size of RDB to read from master during sync.
    pub repl_transfer_size: i64,
    /// Amount of RDB read from master during sync.
    pub repl_transfer_read: i64,
    /// Offset when we fsync-ed last time.
    pub repl_transfer_last_fsync_off: i64,
    /// Slave -> Master SYNC socket
    pub repl_transfer_s: RawFd,
    /// Slave-> master SYNC temp file descriptor
    pub repl_transfer_fd: RawFd,
    /// The socket `repl_transfer_s` names, owned here so that dropping it
    /// closes it. (no C twin: C keeps only the fd)
    pub repl_transfer_sock: Option<socket2::Socket>,
    /// The temp file `repl_transfer_fd` names. (no C twin)
    pub repl_transfer_file: Option<std::fs::File>,
    /// readSyncBulkPayload()'s statics: whether the payload ends with an
    /// EOF mark (diskless `$EOF:<40 chars>` form), the mark, and the last
    /// 40 bytes received. (no C twin: C keeps them in function statics)
    pub repl_transfer_usemark: bool,
    pub repl_transfer_eofmark: [u8; 40],
    pub repl_transfer_lastbytes: [u8; 40],
    /// replicationSendNewlineToMaster()'s static: the unix time of the
    /// last newline sent. (no C twin)
    pub repl_newline_sent: i64,
    /// Slave-> master SYNC temp file name
    pub repl_transfer_tmpfile: Option<String>,
    /// Slave-> master SYNC last IO time
    pub repl_transfer_lastio: i64,
    /// Serve stale data when link is down?
    pub repl_serve_stale_data: bool,
    /// Slave is read only?
    pub repl_slave_ro: bool,
    /// Slave ignores maxmemory?
    pub repl_slave_ignore_maxmemory: bool,
    /// Unix time at which link with master went down
    pub repl_down_since: i64,
    /// Disable TCP_NODELAY after SYNC?
    pub repl_disable_tcp_nodelay: bool,
    /// Reported in INFO and used by Sentinel.
    pub slave_priority: i32,
    /// Give the master this listening port.
    pub slave_announce_port: i32,
    /// Give the master this ip address.
    pub slave_announce_ip: Option<String>,
    /// Master PSYNC runid.
    pub master_replid: [u8; 40],
    /// Master PSYNC offset.
    pub master_initial_offset: i64,
    /// Lazy flush of the old dataset on full resync?
    pub repl_slave_lazy_flush: bool,
    // Blocking
    /// Number of clients blocked by lists, and per type.
    pub blocked_clients: u32,
    pub blocked_clients_by_type: [u32; 6],
    /// List of clients to unblock before next loop
    pub unblocked_clients: VecDeque<ClientId>,
    /// Clients waiting in WAIT command.
    pub clients_waiting_acks: Vec<ClientId>,
    /// If true we send REPLCONF GETACK.
    pub get_ack_from_slaves: bool,
    /// List of readyList structures for BLPOP & co
    pub ready_keys: Vec<crate::blocked::ReadyList>,
    // Limits
    /// Max number of simultaneous clients
    pub maxclients: u32,
    /// Max number of memory bytes to use
    pub maxmemory: u64,
    /// Total memory in system as reported by OS, read once at start-up
    /// (INFO must not need a free fd to report it).
    pub system_memory_size: usize,
    /// Policy for key eviction: one of MAXMEMORY_*.
    pub maxmemory_policy: i32,
    /// LFU counter decay factor (minutes per decrement).
    pub lfu_decay_time: i32,
    /// Protocol bulk length maximum size.
    pub proto_max_bulk_len: i64,
    // Zip structure config, see redis.conf for more information
    pub hash_max_ziplist_entries: usize,
    pub hash_max_ziplist_value: usize,
    pub set_max_intset_entries: usize,
    pub zset_max_ziplist_entries: usize,
    pub zset_max_ziplist_value: usize,
    // List parameters
    pub list_max_ziplist_size: i32,
    pub list_compress_depth: i32,
    // Misc
    pub requirepass: Option<Vec<u8>>,
    /// Do we spend 1 ms every 100 ms rehashing the main dicts?
    pub activerehashing: bool,
    pub lazyfree_lazy_expire: bool,
    // Pubsub
    /// Map channels to list of subscribed clients
    pub pubsub_channels: HashMap<Vec<u8>, Vec<ClientId>>,
    /// A list of pubsub_patterns
    pub pubsub_patterns: Vec<crate::pubsub::PubsubPattern>,
    /// Events to propagate via Pub/Sub: NOTIFY_* flags.
    pub notify_keyspace_events: i32,
    // Time cache
    /// Unix time sampled every cron cycle.
    pub unixtime: i64,
    /// 'unixtime' in milliseconds.
    pub mstime: i64,
    /// 'unixtime' in microseconds.
    pub ustime: i64,
    /// If > 0, expire keys against server.mstime.
    pub fixed_time_expire: i64,
    // Cron helpers with state kept between calls
    /// activeExpireCycle's resume point, and the fast cycle's bookkeeping.
    pub expire_current_db: u32,
    pub expire_timelimit_exit: bool,
    pub expire_last_fast_cycle: i64,
    /// Keys written with an expire by clients of a writable replica: key
    /// name -> bitmap of the DB ids holding it (C: expire.c's global
    /// slaveKeysWithExpire, NULL until first used).
    pub slave_keys_with_expire: Option<crate::dict::Dict<Vec<u8>, u64>>,
    /// databasesCron's resume points.
    pub resize_db: u32,
    pub rehash_db: u32,
    /// clientsCron's resume point (the next client id to look at).
    pub clients_cron_next: u64,
    /// Last time serverCron sampled stats (INFO's instantaneous_*).
    pub stat_cron_last: i64,
    /// resident set size and memory accounting, sampled in the cron.
    pub resident_set_size: usize,
    /// SIGTERM/SIGINT seen by the handler (the handler can only set an
    /// atomic; server_cron reads it into shutdown_asap).
    pub config_rewrite_pending: bool,
    /// Dictionary of config values last read from the file, for CONFIG
    /// REWRITE to keep its layout. (filled by config.rs)
    pub config_lines: Vec<String>,
    // Configuration read and written back by config.rs (CONFIG GET/SET/
    // REWRITE). That of subsystems not ported yet is in `unported`.
    /// See SUPERVISED_*
    pub supervised_mode: i32,
    /// Config: warnings that should be ignored.
    pub ignore_warnings: Option<String>,
    /// AOF_(ON|OFF|WAIT_REWRITE)
    pub aof_state: i32,
    /// Is cluster enabled? (never: cluster.c is not ported)
    pub cluster_enabled: bool,
    /// Software watchdog period in ms. 0 = off
    pub watchdog_period: i32,
    /// List of modules to load at startup (their paths).
    pub loadmodule_queue: Vec<String>,
    /// When securityWarningCommand last logged its warning (unix seconds),
    /// so that it logs at most once a minute. (C: the function's static
    /// `logged_time`)
    pub security_warning_logged_time: i64,
    /// Accepted, reported, not acted on: see `UnportedConfig`.
    pub unported: UnportedConfig,
}

/// Instantaneous metric samples. C: the inst_metric array in redisServer.
pub const STATS_METRIC_SAMPLES: usize = 16;
pub const STATS_METRIC_COMMAND: usize = 0;
pub const STATS_METRIC_NET_INPUT: usize = 1;
pub const STATS_METRIC_NET_OUTPUT: usize = 2;
pub const STATS_METRIC_COUNT: usize = 3;

#[derive(Debug, Clone, Copy, Default)]
pub struct InstMetric {
    pub last_sample_time: i64,
    pub last_sample_count: i64,
    pub samples: [i64; STATS_METRIC_SAMPLES],
    pub idx: usize,
}

/// The server's client data for `ae` (C's `void *clientData`): a client's
/// id, never a pointer, so a handler looks the client up again (it may be
/// gone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientData {
    #[default]
    None,
    Client(ClientId),
}

impl AeContext for RedisServer {
    type ClientData = ClientData;
    fn el(&mut self) -> &mut AeEventLoop<Self> {
        &mut self.el
    }
}

// -------------------------------- serverLog --------------------------------

/// Logs in Redis's format, checking the level before formatting as C's
/// serverLog does. `server_log!(server, LL_WARNING, "fmt", args...)`.
#[macro_export]
macro_rules! server_log {
    ($server:expr, $level:expr, $($arg:tt)*) => {{
        let level: i32 = $level;
        let s: &$crate::server::RedisServer = &$server;
        if (level & 0xff) >= s.verbosity {
            $crate::server::server_log_raw(s, level, &format!($($arg)*));
        }
    }};
}

/// serverPanic() of server.h: logs the message with file and line, then
/// the bug report (debug.rs `_server_panic`), and the process dies.
#[macro_export]
macro_rules! server_panic {
    ($server:expr, $($arg:tt)*) => {{
        let s: &$crate::server::RedisServer = &$server;
        $crate::debug::_server_panic(s, file!(), line!(), &format!($($arg)*))
    }};
}

/// serverAssert() of server.h: if `cond` is false, logs it with file and
/// line, then the bug report (debug.rs `_server_assert`), and dies.
#[macro_export]
macro_rules! server_assert {
    ($server:expr, $cond:expr) => {{
        if !($cond) {
            let s: &$crate::server::RedisServer = &$server;
            $crate::debug::_server_assert(
                s,
                stringify!($cond),
                file!(),
                line!(),
            )
        }
    }};
}

/// Low level logging. To use only for very big messages, otherwise
/// server_log! is to prefer.
///
/// C: server.c serverLogRaw()
pub fn server_log_raw(server: &RedisServer, level: i32, msg: &str) {
    const C: [u8; 4] = [b'.', b'-', b'*', b'#'];
    let rawmode = level & LL_RAW != 0;
    let level = level & 0xff; // clear flags
    if level < server.verbosity {
        return;
    }
    let mut line = String::with_capacity(msg.len() + 64);
    if rawmode {
        line.push_str(msg);
    } else {
        let now =
            SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let role_char = if server.sentinel_mode {
            'X' // Sentinel.
        } else if server.pid != std::process::id() as i32 {
            'C' // RDB / AOF writing child.
        } else if server.masterhost.is_some() {
            'S' // Slave.
        } else {
            'M' // Master.
        };
        let date = crate::util::format_log_time(
            now.as_secs() as i64,
            now.subsec_millis(),
            crate::util::timezone_offset(),
        );
        line.push_str(&format!(
            "{}:{} {} {} {}",
            std::process::id(),
            role_char,
            date,
            C[level.clamp(0, 3) as usize] as char,
            msg
        ));
    }
    // Raw messages (the logo) are written as they are, without a newline.
    if !rawmode {
        line.push('\n');
    }
    use std::io::Write;
    if server.logfile.is_empty() {
        let _ = std::io::stdout().write_all(line.as_bytes());
        let _ = std::io::stdout().flush();
    } else if let Ok(mut f) = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&server.logfile)
    {
        let _ = f.write_all(line.as_bytes());
    }
}

// ------------------------------- time helpers -------------------------------

/// Return the UNIX time in microseconds. C: server.c ustime()
pub fn ustime() -> i64 {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    d.as_secs() as i64 * 1_000_000 + d.subsec_micros() as i64
}

/// Return the UNIX time in milliseconds. C: server.c mstime()
pub fn mstime() -> i64 {
    ustime() / 1000
}

/// After an RDB dump or AOF rewrite we exit from children using _exit()
/// instead of exit(), because the latter may interact with the same file
/// objects used by the parent process.
///
/// C: server.c exitFromChild()
pub fn exit_from_child(retcode: i32) -> ! {
    // SAFETY: _exit only ends the process; it runs no destructors and
    // flushes no stdio buffers shared with the parent.
    unsafe { libc::_exit(retcode) }
}

// ===================================== server.c =====================================

// ------------------------------ hash table helpers ------------------------------

/// Hash tables whose fill drops under 10% are shrunk, unless a child is
/// saving (then copy-on-write would make it cost memory).
///
/// C: server.c htNeedsResize()
pub fn ht_needs_resize(size: u64, used: u64) -> bool {
    size > crate::dict::DICT_HT_INITIAL_SIZE as u64 && used * 100 / size < 10
}

/// If the percentage of used slots in the HT reaches HASHTABLE_MIN_FILL we
/// resize the hash table to save memory.
///
/// C: server.c tryResizeHashTables()
pub fn try_resize_hash_tables(server: &mut RedisServer, dbid: usize) {
    let db = &mut server.db[dbid];
    if ht_needs_resize(db.dict.dict_slots() as u64, db.dict.dict_size() as u64)
    {
        let _ = db.dict.dict_resize();
    }
    if ht_needs_resize(
        db.expires.dict_slots() as u64,
        db.expires.dict_size() as u64,
    ) {
        let _ = db.expires.dict_resize();
    }
}

/// Our hash table implementation performs rehashing incrementally while we
/// write/read from the hash table. Still if the server is idle, the hash
/// table will use two tables for a long time. So we try to use 1
/// millisecond of CPU time at every call of this function to perform some
/// rehashing. Returns true if some rehashing was performed.
///
/// C: server.c incrementallyRehash()
pub fn incrementally_rehash(server: &mut RedisServer, dbid: usize) -> bool {
    let db = &mut server.db[dbid];
    // Keys dictionary
    if db.dict.dict_is_rehashing() {
        db.dict.dict_rehash_milliseconds(1);
        return true; // already used our millisecond for this loop...
    }
    // Expires
    if db.expires.dict_is_rehashing() {
        db.expires.dict_rehash_milliseconds(1);
        return true;
    }
    false
}

/// This function is called once a background process of some kind
/// terminates, as we want to avoid resizing the hash tables when there is a
/// child in order to play well with copy-on-write (otherwise when a resize
/// happens lots of memory pages are copied).
///
/// C: server.c updateDictResizePolicy()
pub fn update_dict_resize_policy(server: &RedisServer) {
    if server.rdb_child_pid == -1 {
        crate::dict::dict_enable_resize();
    } else {
        crate::dict::dict_disable_resize();
    }
}

// ------------------------------------ cron ------------------------------------

/// Add a sample to the operations per second array of samples.
///
/// C: server.c trackInstantaneousMetric()
pub fn track_instantaneous_metric(
    server: &mut RedisServer,
    metric: usize,
    current_reading: i64,
) {
    let t = mstime() - server.inst_metric[metric].last_sample_time;
    let m = &mut server.inst_metric[metric];
    let ops = current_reading - m.last_sample_count;
    let ops_sec = if t > 0 { ops * 1000 / t } else { 0 };
    m.samples[m.idx] = ops_sec;
    m.idx = (m.idx + 1) % STATS_METRIC_SAMPLES;
    m.last_sample_time = mstime();
    m.last_sample_count = current_reading;
}

/// Return the mean of all the samples.
///
/// C: server.c getInstantaneousMetric()
pub fn get_instantaneous_metric(server: &RedisServer, metric: usize) -> i64 {
    server.inst_metric[metric].samples.iter().sum::<i64>()
        / STATS_METRIC_SAMPLES as i64
}

/// The query buffer is shrunk when it is big and mostly unused, or when the
/// client has been idle for a while.
///
/// C: server.c clientsCronResizeQueryBuffer()
pub fn clients_cron_resize_query_buffer(c: &mut Client, unixtime: i64) -> bool {
    let querybuf_size = c.querybuf.capacity();
    let idletime = unixtime - c.lastinteraction;
    // Only resize the query buffer if it is actually wasting at least a
    // few kbytes.
    if querybuf_size > 1024 * 4
        && (querybuf_size / (c.querybuf_peak + 1) > 2
            || (querybuf_size > 1024 * 32 && idletime > 2))
        && c.querybuf.len() - c.qb_pos < querybuf_size / 2
    {
        c.querybuf.drain(..c.qb_pos);
        c.qb_pos = 0;
        c.querybuf.shrink_to_fit();
    }
    // Reset the peak again to capture the peak memory usage in the next
    // cycle.
    c.querybuf_peak = 0;
    false
}

/// This function is called by serverCron() and is used in order to perform
/// operations on clients that are important to perform constantly: the idle
/// timeout and the query buffer resize. It visits a part of the clients on
/// every call so that every client is seen about once a second.
///
/// C: server.c clientsCron()
pub fn clients_cron(server: &mut RedisServer) {
    let numclients = server.clients.len();
    let mut iterations = numclients / server.hz.max(1) as usize;
    let now = mstime();
    if iterations < CLIENTS_CRON_MIN_ITERATIONS {
        iterations = numclients.min(CLIENTS_CRON_MIN_ITERATIONS);
    }
    // Divergence from C: C rotates the clients list; we walk the id-ordered
    // table from where the last call stopped, wrapping around.
    let mut ids: Vec<ClientId> = server
        .clients
        .ids_from(ClientId(server.clients_cron_next))
        .take(iterations)
        .collect();
    if ids.len() < iterations {
        let more = iterations - ids.len();
        ids.extend(
            server
                .clients
                .ids()
                .take(more)
                .filter(|id| id.0 < server.clients_cron_next),
        );
    }
    if let Some(last) = ids.last() {
        server.clients_cron_next = last.0 + 1;
    }
    for id in ids {
        if net::clients_cron_handle_timeout(server, id, now) {
            continue;
        }
        let unixtime = server.unixtime;
        if let Some(c) = server.clients.here_mut(&id) {
            clients_cron_resize_query_buffer(c, unixtime);
        }
    }
}

/// This function handles 'background' operations we are required to do
/// incrementally in Redis databases, such as active key expiring, resizing,
/// rehashing.
///
/// C: server.c databasesCron()
pub fn databases_cron(server: &mut RedisServer) {
    // Expire keys by random sampling. Not required for slaves as master
    // will synthesize DELs for us.
    if server.active_expire_enabled {
        if server.masterhost.is_none() {
            crate::expire::active_expire_cycle(
                server,
                ACTIVE_EXPIRE_CYCLE_SLOW,
            );
        } else {
            crate::expire::expire_slave_keys(server);
        }
    }
    // Perform hash tables rehashing if needed, but only if there are no
    // other processes saving the DB on disk. Otherwise rehashing is bad as
    // will cause a lot of copy-on-write of memory pages.
    if server.rdb_child_pid == -1 {
        let dbnum = server.dbnum as u32;
        // Don't test more DBs than we have.
        let dbs_per_call = (CRON_DBS_PER_CALL as u32).min(dbnum);
        // Resize
        for _ in 0..dbs_per_call {
            let id = (server.resize_db % dbnum) as usize;
            try_resize_hash_tables(server, id);
            server.resize_db += 1;
        }
        // Rehash
        if server.activerehashing {
            for _ in 0..dbs_per_call {
                let id = (server.rehash_db % dbnum) as usize;
                let work_done = incrementally_rehash(server, id);
                if work_done {
                    // If the function did some work, stop here, we'll do
                    // more at the next cron loop.
                    break;
                }
                // If this db didn't need rehash, we'll try the next one.
                server.rehash_db += 1;
                server.rehash_db %= dbnum;
            }
        }
    }
}

/// We take a cached value of the unix time in the global state because with
/// virtual memory and aging there is to store the current time in objects
/// at every object access, and accuracy is not needed.
///
/// C: server.c updateCachedTime()
pub fn update_cached_time(server: &mut RedisServer) {
    server.ustime = ustime();
    server.mstime = server.ustime / 1000;
    server.unixtime = server.mstime / 1000;
}

/// Return the LRU clock, based on the clock resolution.
///
/// C: evict.c getLRUClock()
pub fn get_lru_clock() -> u32 {
    ((mstime() / LRU_CLOCK_RESOLUTION) as u64 & LRU_CLOCK_MAX as u64) as u32
}

/// True when the cron should run a `ms`-period job now.
///
/// C: server.h run_with_period()
pub fn run_with_period(server: &RedisServer, ms: i64) -> bool {
    let every = 1000 / server.hz.max(1) as i64;
    ms <= every || server.cronloops % (ms / every) == 0
}

/// This is our timer interrupt, called server.hz times per second. Here is
/// where we do a number of things that need to be done asynchronously: the
/// active expiry, the client timeouts, stats, rehashing, reaping a BGSAVE
/// child, triggering BGSAVE on save points, replication reconnection.
///
/// C: server.c serverCron()
pub fn server_cron(
    server: &mut RedisServer,
    _id: i64,
    _data: ClientData,
) -> i64 {
    // Software watchdog: deliver the SIGALRM that will reach the signal
    // handler if we don't return here fast enough.
    if server.watchdog_period != 0 {
        crate::debug::watchdog_schedule_signal(server.watchdog_period);
    }

    // Update the time cache.
    update_cached_time(server);

    server.hz = server.config_hz;
    // Adapt the server.hz value to the number of configured clients. If we
    // have many clients, we want to call serverCron() with an higher
    // frequency.
    if server.dynamic_hz {
        while server.clients.len() as i32 / server.hz
            > MAX_CLIENTS_PER_CLOCK_TICK
        {
            server.hz *= 2;
            if server.hz > CONFIG_MAX_HZ {
                server.hz = CONFIG_MAX_HZ;
                break;
            }
        }
    }

    if run_with_period(server, 100) {
        let (cmds, inb, outb) = (
            server.stat_numcommands,
            server.stat_net_input_bytes,
            server.stat_net_output_bytes,
        );
        track_instantaneous_metric(server, STATS_METRIC_COMMAND, cmds);
        track_instantaneous_metric(server, STATS_METRIC_NET_INPUT, inb);
        track_instantaneous_metric(server, STATS_METRIC_NET_OUTPUT, outb);
    }

    server.lruclock = get_lru_clock();

    // Record the max memory used since the server was started.
    let used = crate::util::zmalloc_used_memory();
    if used > server.stat_peak_memory {
        server.stat_peak_memory = used;
    }
    if run_with_period(server, 100) {
        server.resident_set_size = crate::util::zmalloc_get_rss();
    }

    // We received a SIGTERM, shutting down here in a safe way, as it is not
    // ok doing so inside the signal handler.
    if SHUTDOWN_ASAP.load(std::sync::atomic::Ordering::Relaxed) {
        server.shutdown_asap = true;
    }
    if server.shutdown_asap {
        if prepare_for_shutdown(server, SHUTDOWN_NOFLAGS).is_ok() {
            std::process::exit(0);
        }
        server_log!(
            server,
            LL_WARNING,
            "SIGTERM received but errors trying to shut down the server, check the logs for more information"
        );
        server.shutdown_asap = false;
        SHUTDOWN_ASAP.store(false, std::sync::atomic::Ordering::Relaxed);
    }

    // Show some info about non-empty databases
    if run_with_period(server, 5000) {
        for j in 0..server.dbnum as usize {
            let size = server.db[j].dict.dict_slots();
            let used = server.db[j].dict.dict_size();
            let vkeys = server.db[j].expires.dict_size();
            if used > 0 || vkeys > 0 {
                server_log!(
                    server,
                    LL_VERBOSE,
                    "DB {}: {} keys ({} volatile) in {} slots HT.",
                    j,
                    used,
                    vkeys,
                    size
                );
            }
        }
    }

    // Show information about connected clients
    if run_with_period(server, 5000) {
        server_log!(
            server,
            LL_VERBOSE,
            "{} clients connected ({} replicas), {} bytes in use",
            net::num_clients(server) - server.slaves.len(),
            server.slaves.len(),
            crate::util::zmalloc_used_memory()
        );
    }

    // We need to do a few operations on clients asynchronously.
    clients_cron(server);

    // Handle background operations on Redis databases.
    databases_cron(server);

    // Check if a background saving in progress terminated, or start a
    // BGSAVE because a save point was reached.
    crate::rdb::server_cron_persistence(server);

    // Close clients that need to be closed asynchronous
    net::free_clients_in_async_free_queue(server);

    // Clear the paused clients flag if needed.
    net::clients_are_paused(server);

    // Replication cron function -- used to reconnect to master, detect
    // transfer failures, start background RDB transfers and so forth.
    if run_with_period(server, 1000) {
        crate::replication::replication_cron(server);
    }

    // Start a scheduled BGSAVE if the corresponding flag is set. This must
    // come after replicationCron(), to give priority to RDB savings for
    // replication.
    crate::rdb::server_cron_scheduled_bgsave(server);

    server.cronloops += 1;
    1000 / server.hz as i64
}

/// C: server.h MAX_CLIENTS_PER_CLOCK_TICK
pub const MAX_CLIENTS_PER_CLOCK_TICK: i32 = 200;

/// This function gets called every time Redis is entering the main loop of
/// the event driven library, that is, before to sleep for ready file
/// descriptors.
///
/// C: server.c beforeSleep()
pub fn before_sleep(server: &mut RedisServer) {
    // Run a fast expire cycle (the called function will return ASAP if a
    // fast cycle is not needed).
    if server.active_expire_enabled && server.masterhost.is_none() {
        crate::expire::active_expire_cycle(server, ACTIVE_EXPIRE_CYCLE_FAST);
    }

    // Send all the slaves an ACK request if at least one client blocked
    // during the previous event loop iteration, and serve the clients
    // unblocked in the meantime.
    crate::replication::before_sleep_replication(server);

    // Try to process pending commands for clients that were just unblocked.
    crate::blocked::process_unblocked_clients(server);

    // Handle writes with pending output buffers.
    net::handle_clients_with_pending_writes(server);
}

/// This function is called immediately after the event loop multiplexing
/// API returned, and the control is going to soon return to Redis by
/// invoking the different events callbacks.
///
/// C: server.c afterSleep()
pub fn after_sleep(_server: &mut RedisServer) {}

// ------------------------------- server initialization -------------------------------

/// Set by the SIGTERM/SIGINT handler; server_cron acts on it. An atomic,
/// because a signal handler may touch nothing else.
pub static SHUTDOWN_ASAP: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// The 40 hex chars of a new random run id / replication id.
///
/// C: util.c getRandomHexChars()
pub fn get_random_hex_chars() -> [u8; 40] {
    let mut out = [b'0'; 40];
    let mut bytes = [0u8; 20];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        use std::io::Read;
        let _ = f.read_exact(&mut bytes);
    } else {
        let seed = ustime() as u64 ^ ((std::process::id() as u64) << 32);
        let mut x = seed | 1;
        for b in bytes.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in bytes.iter().enumerate() {
        out[i * 2] = HEX[(b >> 4) as usize];
        out[i * 2 + 1] = HEX[(b & 15) as usize];
    }
    out
}

/// C: server.c initServerConfig()
pub fn init_server_config() -> RedisServer {
    let now = mstime();
    let el = match ae::ae_create_event_loop(
        (CONFIG_DEFAULT_MAX_CLIENTS + CONFIG_FDSET_INCR) as usize,
    ) {
        Ok(el) => el,
        Err(e) => {
            eprintln!(
                "Failed creating the event loop. Error message: '{}'",
                crate::util::strerror(&e)
            );
            std::process::exit(1);
        }
    };
    let runid = String::from_utf8_lossy(&get_random_hex_chars()).into_owned();
    let mut server = RedisServer {
        // C sets server.pid in initServer(): until then the log shows the
        // role 'C', as Redis's first lines do.
        pid: 0,
        configfile: None,
        executable: String::new(),
        exec_argv: Vec::new(),
        dynamic_hz: true,
        config_hz: CONFIG_DEFAULT_HZ,
        hz: CONFIG_DEFAULT_HZ,
        db: Vec::new(),
        commands: Vec::new(),
        command_index: HashMap::default(),
        el,
        lruclock: get_lru_clock(),
        shutdown_asap: false,
        cronloops: 0,
        runid,
        sentinel_mode: false,
        initial_memory_usage: 0,
        always_show_logo: false,
        port: CONFIG_DEFAULT_SERVER_PORT,
        tcp_backlog: CONFIG_DEFAULT_TCP_BACKLOG,
        bindaddr: Vec::new(),
        unixsocket: None,
        unixsocketperm: 0,
        ipfd: Vec::new(),
        listeners: Vec::new(),
        sofd: -1,
        unix_listener: None,
        clients: crate::networking::ClientTable::new(),
        clients_to_close: Vec::new(),
        clients_pending_write: Vec::new(),
        slaves: Vec::new(),
        monitors: Vec::new(),
        current_client: None,
        clients_paused: false,
        clients_pause_end_time: 0,
        next_client_id: 1, // Client IDs, start from 1 .
        protected_mode: CONFIG_DEFAULT_PROTECTED_MODE,
        loading: false,
        loading_total_bytes: 0,
        loading_loaded_bytes: 0,
        loading_start_time: 0,
        loading_process_events_interval_bytes: 1024 * 1024 * 2,
        stat_starttime: now / 1000,
        stat_numcommands: 0,
        stat_numconnections: 0,
        stat_expiredkeys: 0,
        stat_expired_stale_perc: 0.0,
        stat_expired_time_cap_reached_count: 0,
        stat_evictedkeys: 0,
        stat_keyspace_hits: 0,
        stat_keyspace_misses: 0,
        stat_active_defrag_hits: 0,
        stat_active_defrag_misses: 0,
        stat_active_defrag_key_hits: 0,
        stat_active_defrag_key_misses: 0,
        stat_active_defrag_scanned: 0,
        stat_peak_memory: 0,
        stat_fork_time: 0,
        stat_fork_rate: 0.0,
        stat_rejected_conn: 0,
        stat_sync_full: 0,
        stat_sync_partial_ok: 0,
        stat_sync_partial_err: 0,
        stat_net_input_bytes: 0,
        stat_net_output_bytes: 0,
        stat_rdb_cow_bytes: 0,
        inst_metric: [InstMetric::default(); STATS_METRIC_COUNT],
        verbosity: CONFIG_DEFAULT_VERBOSITY,
        maxidletime: CONFIG_DEFAULT_CLIENT_TIMEOUT,
        tcpkeepalive: CONFIG_DEFAULT_TCP_KEEPALIVE,
        active_expire_enabled: true,
        client_max_querybuf_len: PROTO_MAX_QUERYBUF_LEN,
        dbnum: CONFIG_DEFAULT_DBNUM,
        supervised: false,
        daemonize: false,
        client_obuf_limits: CLIENT_BUFFER_LIMITS_DEFAULTS,
        dirty: 0,
        dirty_before_bgsave: 0,
        rdb_child_pid: -1,
        saveparams: vec![
            SaveParam { seconds: 60 * 60, changes: 1 }, // save after 1 hour and 1 change
            SaveParam { seconds: 300, changes: 100 }, // save after 5 minutes and 100 changes
            SaveParam { seconds: 60, changes: 10000 }, // save after 1 minute and 10000 changes
        ],
        rdb_filename: CONFIG_DEFAULT_RDB_FILENAME.to_string(),
        rdb_compression: true,
        rdb_checksum: true,
        lastsave: now / 1000, // At startup we consider the DB saved.
        lastbgsave_try: 0,    // At startup we never tried to BGSAVE.
        rdb_save_time_last: -1,
        rdb_save_time_start: -1,
        rdb_bgsave_scheduled: false,
        rdb_child_type: 0,
        lastbgsave_status: Ok(()),
        stop_writes_on_bgsave_err: true,
        rdb_save_incremental_fsync: true,
        rdb_pipe_write_result_to_parent: -1,
        rdb_pipe_read_result_from_child: -1,
        child_info_pipe: [-1, -1],
        child_info_data: Default::default(),
        also_propagate: Vec::new(),
        logfile: String::new(),
        pidfile: None,
        dir: String::new(),
        replid: get_random_hex_chars(),
        replid2: [b'0'; 40],
        master_repl_offset: 0,
        second_replid_offset: -1,
        slaveseldb: -1, // Force to emit the first SELECT command.
        repl_ping_slave_period: 10,
        repl_backlog: None,
        repl_backlog_size: 1024 * 1024,
        repl_backlog_histlen: 0,
        repl_backlog_idx: 0,
        repl_backlog_off: 0,
        repl_backlog_time_limit: 60 * 60,
        repl_no_slaves_since: now / 1000,
        repl_min_slaves_to_write: 0,
        repl_min_slaves_max_lag: 10,
        repl_good_slaves_count: 0,
        repl_diskless_sync: false,
        repl_diskless_sync_delay: 5,
        repl_cron_loops: 0,
        masterauth: None,
        masterhost: None,
        masterport: 6379,
        repl_timeout: 60,
        master: None,
        cached_master: None,
        repl_syncio_timeout: 5,
        repl_state: REPL_STATE_NONE,
        repl_transfer_size: -1,
        repl_transfer_read: 0,
        repl_transfer_last_fsync_off: 0,
        repl_transfer_s: -1,
        repl_transfer_fd: -1,
        repl_transfer_sock: None,
        repl_transfer_file: None,
        repl_transfer_usemark: false,
        repl_transfer_eofmark: [0; 40],
        repl_transfer_lastbytes: [0; 40],
        repl_newline_sent: 0,
        repl_transfer_tmpfile: None,
        repl_transfer_lastio: 0,
        repl_serve_stale_data: true,
        repl_slave_ro: true,
        repl_slave_ignore_maxmemory: true,
        repl_down_since: 0, // Never connected, repl is down since EVER.
        repl_disable_tcp_nodelay: false,
        slave_priority: 100,
        slave_announce_port: 0,
        slave_announce_ip: None,
        master_replid: [b'?'; 40],
        master_initial_offset: -1,
        repl_slave_lazy_flush: false,
        blocked_clients: 0,
        blocked_clients_by_type: [0; 6],
        unblocked_clients: VecDeque::new(),
        clients_waiting_acks: Vec::new(),
        get_ack_from_slaves: false,
        ready_keys: Vec::new(),
        maxclients: CONFIG_DEFAULT_MAX_CLIENTS,
        maxmemory: 0,
        system_memory_size: 0,
        maxmemory_policy: CONFIG_DEFAULT_MAXMEMORY_POLICY,
        lfu_decay_time: CONFIG_DEFAULT_LFU_DECAY_TIME,
        proto_max_bulk_len: CONFIG_DEFAULT_PROTO_MAX_BULK_LEN,
        hash_max_ziplist_entries: 512,
        hash_max_ziplist_value: 64,
        set_max_intset_entries: 512,
        zset_max_ziplist_entries: 128,
        zset_max_ziplist_value: 64,
        list_max_ziplist_size: -2,
        list_compress_depth: 0,
        requirepass: None,
        activerehashing: true,
        lazyfree_lazy_expire: false,
        pubsub_channels: HashMap::new(),
        pubsub_patterns: Vec::new(),
        notify_keyspace_events: 0,
        unixtime: now / 1000,
        mstime: now,
        ustime: now * 1000,
        fixed_time_expire: 0,
        expire_current_db: 0,
        expire_timelimit_exit: false,
        expire_last_fast_cycle: 0,
        slave_keys_with_expire: None,
        resize_db: 0,
        rehash_db: 0,
        clients_cron_next: 0,
        stat_cron_last: 0,
        resident_set_size: 0,
        config_rewrite_pending: false,
        config_lines: Vec::new(),
        supervised_mode: crate::config::SUPERVISED_NONE,
        ignore_warnings: Some(
            crate::config::CONFIG_DEFAULT_IGNORE_WARNINGS.to_string(),
        ),
        aof_state: crate::config::AOF_OFF,
        cluster_enabled: false,
        watchdog_period: 0,
        loadmodule_queue: Vec::new(),
        security_warning_logged_time: 0,
        unported: UnportedConfig {
            // AOF (aof.c)
            aof_fsync: crate::config::CONFIG_DEFAULT_AOF_FSYNC,
            aof_filename: crate::config::CONFIG_DEFAULT_AOF_FILENAME
                .to_string(),
            aof_no_fsync_on_rewrite:
                crate::config::CONFIG_DEFAULT_AOF_NO_FSYNC_ON_REWRITE,
            aof_rewrite_perc: crate::config::AOF_REWRITE_PERC,
            aof_rewrite_min_size: crate::config::AOF_REWRITE_MIN_SIZE,
            aof_rewrite_incremental_fsync:
                crate::config::CONFIG_DEFAULT_AOF_REWRITE_INCREMENTAL_FSYNC,
            aof_load_truncated:
                crate::config::CONFIG_DEFAULT_AOF_LOAD_TRUNCATED,
            aof_use_rdb_preamble:
                crate::config::CONFIG_DEFAULT_AOF_USE_RDB_PREAMBLE,
            // Eviction (evict.c)
            maxmemory_samples: crate::config::CONFIG_DEFAULT_MAXMEMORY_SAMPLES,
            lfu_log_factor: crate::config::CONFIG_DEFAULT_LFU_LOG_FACTOR,
            // Lazy free (lazyfree.c)
            lazyfree_lazy_eviction: false,
            lazyfree_lazy_server_del: false,
            // Active defragmentation (defrag.c)
            active_defrag_enabled: false,
            active_defrag_ignore_bytes:
                crate::config::CONFIG_DEFAULT_DEFRAG_IGNORE_BYTES,
            active_defrag_threshold_lower:
                crate::config::CONFIG_DEFAULT_DEFRAG_THRESHOLD_LOWER,
            active_defrag_threshold_upper:
                crate::config::CONFIG_DEFAULT_DEFRAG_THRESHOLD_UPPER,
            active_defrag_cycle_min:
                crate::config::CONFIG_DEFAULT_DEFRAG_CYCLE_MIN,
            active_defrag_cycle_max:
                crate::config::CONFIG_DEFAULT_DEFRAG_CYCLE_MAX,
            active_defrag_max_scan_fields:
                crate::config::CONFIG_DEFAULT_DEFRAG_MAX_SCAN_FIELDS,
            // Cluster (cluster.c)
            cluster_node_timeout: crate::config::CLUSTER_DEFAULT_NODE_TIMEOUT,
            cluster_configfile:
                crate::config::CONFIG_DEFAULT_CLUSTER_CONFIG_FILE.to_string(),
            cluster_migration_barrier:
                crate::config::CLUSTER_DEFAULT_MIGRATION_BARRIER,
            cluster_slave_validity_factor:
                crate::config::CLUSTER_DEFAULT_SLAVE_VALIDITY,
            cluster_require_full_coverage:
                crate::config::CLUSTER_DEFAULT_REQUIRE_FULL_COVERAGE,
            cluster_slave_no_failover:
                crate::config::CLUSTER_DEFAULT_SLAVE_NO_FAILOVER,
            cluster_announce_ip: None,
            cluster_announce_port:
                crate::config::CONFIG_DEFAULT_CLUSTER_ANNOUNCE_PORT,
            cluster_announce_bus_port:
                crate::config::CONFIG_DEFAULT_CLUSTER_ANNOUNCE_BUS_PORT,
            // Scripting (scripting.c)
            lua_time_limit: crate::config::LUA_SCRIPT_TIME_LIMIT,
            lua_always_replicate_commands: true,
            // Slow log (slowlog.c) and latency monitor (latency.c)
            slowlog_log_slower_than:
                crate::config::CONFIG_DEFAULT_SLOWLOG_LOG_SLOWER_THAN,
            slowlog_max_len: crate::config::CONFIG_DEFAULT_SLOWLOG_MAX_LEN,
            latency_monitor_threshold:
                crate::config::CONFIG_DEFAULT_LATENCY_MONITOR_THRESHOLD,
            // Syslog (serverLogRaw's syslog() call)
            syslog_enabled: false,
            syslog_ident: "redis".into(),
            syslog_facility: libc::LOG_LOCAL0,
            // HyperLogLog (hyperloglog.c) and streams (t_stream.c)
            hll_sparse_max_bytes: 3000,
            stream_node_max_bytes: 4096,
            stream_node_max_entries: 100,
        },
    };
    populate_command_table(&mut server);
    server
}

/// Restart the server, executing the same executable that started this
/// instance, with the same arguments and configuration file (made
/// absolute at start-up, so the cwd that `dir` changed does not matter).
/// The process keeps its pid.
///
/// `flags` may hold RESTART_SERVER_CONFIG_REWRITE (rewrite the config file
/// first) and RESTART_SERVER_GRACEFULLY (shut down properly first: save
/// the RDB with the replication info, flush the replicas' buffers, close
/// the listeners). `delay` is in milliseconds.
///
/// On success the function does not return, because the process turns
/// into a different process. On error `Err(CErr)` is returned.
///
/// C: server.c restartServer()
pub fn restart_server(
    server: &mut RedisServer,
    flags: i32,
    delay: i64,
) -> CResult {
    // Check if we still have accesses to the executable that started this
    // server instance.
    let Ok(executable) = std::ffi::CString::new(server.executable.as_bytes())
    else {
        return Err(CErr);
    };
    // SAFETY: access() only reads the NUL-terminated path it is given.
    if unsafe { libc::access(executable.as_ptr(), libc::X_OK) } == -1 {
        server_log!(
            server,
            LL_WARNING,
            "Can't restart: this process has no permissions to execute {}",
            server.executable
        );
        return Err(CErr);
    }

    // Config rewriting.
    if flags & RESTART_SERVER_CONFIG_REWRITE != 0 {
        if let Some(configfile) = server.configfile.clone() {
            if crate::config::rewrite_config(server, &configfile).is_err() {
                server_log!(
                    server,
                    LL_WARNING,
                    "Can't restart: configuration rewrite process failed"
                );
                return Err(CErr);
            }
        }
    }

    // The argument vector for execve, built before anything is torn down;
    // argv[0] becomes the absolute executable path, as in C.
    let mut argv: Vec<std::ffi::CString> =
        Vec::with_capacity(server.exec_argv.len());
    argv.push(executable.clone());
    for a in server.exec_argv.iter().skip(1) {
        match std::ffi::CString::new(a.as_bytes()) {
            Ok(a) => argv.push(a),
            // Divergence from C: an argument with a NUL byte cannot reach
            // C's main() either; refuse before shutting anything down.
            Err(_) => return Err(CErr),
        }
    }
    let mut argv_ptrs: Vec<*const libc::c_char> =
        argv.iter().map(|a| a.as_ptr()).collect();
    argv_ptrs.push(std::ptr::null());

    // Perform a proper shutdown.
    if flags & RESTART_SERVER_GRACEFULLY != 0
        && prepare_for_shutdown(server, SHUTDOWN_NOFLAGS).is_err()
    {
        server_log!(
            server,
            LL_WARNING,
            "Can't restart: error preparing for shutdown"
        );
        return Err(CErr);
    }

    // Close all file descriptors, with the exception of stdin, stdout,
    // stderr which are useful if we restart a Redis server which is not
    // daemonized. Descriptors are checked with F_GETFD before closing.
    // Divergence from C: the Rust objects that owned the closed fds (the
    // event loop's epoll, the clients' sockets) are not dropped: the exec
    // below replaces the whole process image, so nothing uses them again.
    let last_fd = server.maxclients as i32 + 1024;
    for j in 3..last_fd {
        // SAFETY: fcntl(F_GETFD) and close() take a plain integer; the
        // process has a single thread, so no other code holds or reuses
        // these descriptors between here and the execve below.
        unsafe {
            if libc::fcntl(j, libc::F_GETFD) != -1 {
                libc::close(j);
            }
        }
    }

    // Execute the server with the original command line.
    if delay > 0 {
        std::thread::sleep(std::time::Duration::from_millis(delay as u64));
    }
    // SAFETY: the server is single-threaded, so no other thread can be
    // holding a lock or be interrupted by the exec. `executable` and every
    // `argv_ptrs` entry point into CStrings that live until this call, and
    // argv_ptrs is NULL-terminated. execv passes the current environment
    // (C's execve(..., environ)). On success this never returns; on
    // failure we leave with _exit(1) as C does, running no destructors.
    unsafe {
        libc::execv(executable.as_ptr(), argv_ptrs.as_ptr());
        // If an error occurred here, there is nothing we can do, but exit.
        libc::_exit(1);
    }
}

/// C: server.c resetServerStats()
pub fn reset_server_stats(server: &mut RedisServer) {
    server.stat_numcommands = 0;
    server.stat_numconnections = 0;
    server.stat_expiredkeys = 0;
    server.stat_expired_stale_perc = 0.0;
    server.stat_expired_time_cap_reached_count = 0;
    server.stat_evictedkeys = 0;
    server.stat_keyspace_misses = 0;
    server.stat_keyspace_hits = 0;
    server.stat_active_defrag_hits = 0;
    server.stat_active_defrag_misses = 0;
    server.stat_active_defrag_key_hits = 0;
    server.stat_active_defrag_key_misses = 0;
    server.stat_active_defrag_scanned = 0;
    server.stat_fork_time = 0;
    server.stat_fork_rate = 0.0;
    server.stat_rejected_conn = 0;
    server.stat_sync_full = 0;
    server.stat_sync_partial_ok = 0;
    server.stat_sync_partial_err = 0;
    server.inst_metric = [InstMetric::default(); STATS_METRIC_COUNT];
    server.stat_net_input_bytes = 0;
    server.stat_net_output_bytes = 0;
}

/// Initialize a set of file descriptors to listen to the specified 'port'
/// binding the addresses specified in the Redis server configuration.
/// With no bind address, Redis tries IPv6 and IPv4 wildcards.
///
/// C: server.c listenToPort()
pub fn listen_to_port(server: &mut RedisServer) -> CResult {
    let port = server.port;
    let backlog = server.tcp_backlog;
    let mut binds: Vec<Option<String>> =
        server.bindaddr.iter().cloned().map(Some).collect();
    let default_bind = binds.is_empty();
    if default_bind {
        binds.push(None);
    }
    for b in binds {
        match b {
            None => {
                // Bind * for both IPv6 and IPv4, we enter here only if
                // server.bindaddr_count == 0.
                let mut count = 0;
                let mut unsupported = 0;
                let mut last_err = None;
                match net::anet::anet_tcp6_server(port, None, backlog) {
                    Ok(l) => {
                        add_listener(server, l);
                        count += 1;
                    }
                    Err(e) if e.1 == libc::EAFNOSUPPORT => {
                        unsupported += 1;
                        server_log!(
                            server,
                            LL_WARNING,
                            "Not listening to IPv6: unsupproted"
                        );
                    }
                    Err(e) => last_err = Some(e),
                }
                if count == 1 || unsupported != 0 {
                    // Bind the IPv4 address as well.
                    match net::anet::anet_tcp_server(port, None, backlog) {
                        Ok(l) => {
                            add_listener(server, l);
                            count += 1;
                        }
                        Err(e) if e.1 == libc::EAFNOSUPPORT => {
                            unsupported += 1;
                            server_log!(
                                server,
                                LL_WARNING,
                                "Not listening to IPv4: unsupproted"
                            );
                        }
                        Err(e) => last_err = Some(e),
                    }
                }
                // Done if we were able to bind * on IPv4 and IPv6, otherwise
                // print an error and return to the caller with an error.
                if count + unsupported == 2 {
                    break;
                }
                if let Some(e) = last_err {
                    server_log!(
                        server,
                        LL_WARNING,
                        "Could not create server TCP listening socket *:{}: {}",
                        port,
                        e.0
                    );
                    if !listen_error_is_skippable(e.1) {
                        return Err(CErr);
                    }
                }
            }
            Some(addr) => {
                let r = if addr.contains(':') {
                    // Bind IPv6 address.
                    net::anet::anet_tcp6_server(port, Some(&addr), backlog)
                } else {
                    // Bind IPv4 address.
                    net::anet::anet_tcp_server(port, Some(&addr), backlog)
                };
                match r {
                    Ok(l) => add_listener(server, l),
                    Err(e) => {
                        server_log!(
                            server,
                            LL_WARNING,
                            "Could not create server TCP listening socket {}:{}: {}",
                            addr,
                            port,
                            e.0
                        );
                        if !listen_error_is_skippable(e.1) {
                            return Err(CErr);
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// The errors after which listenToPort() goes on to the next address: the
/// protocol or address is not available on this host.
fn listen_error_is_skippable(errno: i32) -> bool {
    matches!(
        errno,
        libc::ENOPROTOOPT
            | libc::EPROTONOSUPPORT
            | libc::ESOCKTNOSUPPORT
            | libc::EPFNOSUPPORT
            | libc::EAFNOSUPPORT
            | libc::EADDRNOTAVAIL
    )
}

fn add_listener(server: &mut RedisServer, l: std::net::TcpListener) {
    use std::os::unix::io::AsRawFd;
    server.ipfd.push(l.as_raw_fd());
    server.listeners.push(l);
}

/// C: server.c initServer()
pub fn init_server(server: &mut RedisServer) {
    // SAFETY: installing SIG_IGN for SIGHUP/SIGPIPE and a handler that only
    // stores to an atomic; no other thread exists at start-up.
    unsafe {
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    setup_signal_handlers(server);

    server.pid = std::process::id() as i32;
    server.current_client = None;
    server.clients_paused = false;
    server.db = (0..server.dbnum).map(RedisDb::new).collect();
    update_cached_time(server);
    server.system_memory_size = crate::util::zmalloc_get_memory_size();

    crate::config::adjust_open_files_limit(server);
    let setsize = (server.maxclients + CONFIG_FDSET_INCR) as usize;
    if ae::ae_resize_set_size(&mut server.el, setsize) != ae::AE_OK {
        server_log!(server, LL_WARNING, "Failed creating the event loop. Error message: 'setsize too small'");
        std::process::exit(1);
    }

    // Open the TCP listening socket for the user commands.
    if server.port != 0 && listen_to_port(server).is_err() {
        std::process::exit(1);
    }

    // Open the listening Unix domain socket.
    if let Some(path) = server.unixsocket.clone() {
        let _ = std::fs::remove_file(&path); // don't care if this fails
        match std::os::unix::net::UnixListener::bind(&path) {
            Ok(l) => {
                use std::os::unix::fs::PermissionsExt;
                use std::os::unix::io::AsRawFd;
                if server.unixsocketperm != 0 {
                    let _ = std::fs::set_permissions(
                        &path,
                        std::fs::Permissions::from_mode(server.unixsocketperm),
                    );
                }
                let _ = l.set_nonblocking(true);
                server.sofd = l.as_raw_fd();
                server.unix_listener = Some(l);
            }
            Err(e) => {
                server_log!(
                    server,
                    LL_WARNING,
                    "Opening Unix socket: {}",
                    crate::util::strerror(&e)
                );
                std::process::exit(1);
            }
        }
    }

    // Abort if there are no listening sockets at all.
    if server.ipfd.is_empty() && server.sofd < 0 {
        server_log!(
            server,
            LL_WARNING,
            "Configured to not listen anywhere, exiting."
        );
        std::process::exit(1);
    }

    reset_server_stats(server);
    server.stat_starttime = now_secs();

    // Create the timer callback, this is our way to process many background
    // operations incrementally, like clients timeout, eviction of unaccessed
    // expired keys and so forth.
    ae::ae_create_time_event(
        &mut server.el,
        1,
        server_cron,
        ClientData::None,
        None,
    );

    // Create an event handler for accepting new connections in TCP and Unix
    // domain sockets.
    for fd in server.ipfd.clone() {
        if ae::ae_create_file_event(
            &mut server.el,
            fd,
            ae::AE_READABLE,
            net::accept_tcp_handler,
            ClientData::None,
        )
        .is_err()
        {
            server_panic!(
                server,
                "Unrecoverable error creating server.ipfd file event."
            );
        }
    }
    if server.sofd > 0
        && ae::ae_create_file_event(
            &mut server.el,
            server.sofd,
            ae::AE_READABLE,
            net::accept_unix_handler,
            ClientData::None,
        )
        .is_err()
    {
        server_panic!(
            server,
            "Unrecoverable error creating server.sofd file event."
        );
    }
    crate::replication::replication_script_cache_init(server);
    // C: InitServerLast() records the memory of the dataset-less server
    // (INFO's used_memory_startup).
    server.initial_memory_usage = crate::util::zmalloc_used_memory();
}

fn now_secs() -> i64 {
    mstime() / 1000
}

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
        cmd!("post", crate::networking::security_warning_command, -1, "lt", 0, 0, 0),
        cmd!("host:", crate::networking::security_warning_command, -1, "lt", 0, 0, 0),
        cmd!("object", crate::object::object_command, -2, "rR", 2, 2, 1),
        cmd!("client", crate::networking::client_command, -2, "as", 0, 0, 0),
    ]
}

/// Populates the Redis Command Table starting from the hard coded list we
/// have in this file, turning each sflags string into flags.
///
/// C: server.c populateCommandTable()
pub fn populate_command_table(server: &mut RedisServer) {
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
        server.command_index.insert(c.name, j);
    }
}

/// The commands of later modules (networking.c, config.c, debug.c, ...),
/// kept apart so each can be listed where its module lands. Their order in
/// the C table is kept within each group. (no C twin)
fn extra_commands() -> Vec<RedisCommand> {
    Vec::new()
}

/// C: server.c resetCommandTableStats()
pub fn reset_command_table_stats(server: &mut RedisServer) {
    for c in server.commands.iter_mut() {
        c.microseconds = 0;
        c.calls = 0;
    }
}

/// Looks a command up by name, case-insensitively, without allocating.
///
/// C: server.c lookupCommand()
pub fn lookup_command(server: &RedisServer, name: &[u8]) -> Option<usize> {
    let mut buf = [0u8; 32];
    if name.len() > buf.len() {
        // A name given by rename-command may be longer than any in the
        // table.
        let lower = String::from_utf8(name.to_ascii_lowercase()).ok()?;
        return server.command_index.get(lower.as_str()).copied();
    }
    for (d, s) in buf.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    let lower = std::str::from_utf8(&buf[..name.len()]).ok()?;
    server.command_index.get(lower).copied()
}

/// Propagate the specified command (in the context of the specified
/// database id) to AOF and Slaves.
///
/// C: server.c propagate()
pub fn propagate(
    server: &mut RedisServer,
    _cmd: usize,
    dbid: usize,
    argv: &[Vec<u8>],
    flags: i32,
) {
    if flags & PROPAGATE_REPL != 0 {
        crate::replication::replication_feed_slaves(server, dbid as i32, argv);
    }
}

/// Used inside commands to schedule the propagation of additional commands
/// after the current command is propagated to AOF / Replication.
///
/// C: server.c alsoPropagate()
pub fn also_propagate(
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
pub fn force_command_propagation(c: &mut Client, flags: i32) {
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
pub fn prevent_command_propagation(c: &mut Client) {
    c.flags |= CLIENT_PREVENT_PROP;
}

/// Call() is the core of Redis execution of a command: it runs the
/// command, counts its stats and propagates it when it changed the dataset
/// (server.dirty moved) or asked for it.
///
/// C: server.c call()
pub fn call(server: &mut RedisServer, c: &mut Client, mut flags: i32) {
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
    update_cached_time(server);
    let start = server.ustime;
    (server.commands[cmd_idx].proc_)(server, c);
    let duration = ustime() - start;
    let dirty = (server.dirty - dirty_before).max(0);

    if server.loading && c.flags & CLIENT_LUA != 0 {
        flags &= !(CMD_CALL_SLOWLOG | CMD_CALL_STATS);
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
            propagate(server, cmd, c.db, &c.argv, propagate_flags);
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
            for rop in ops {
                let mut target = rop.target;
                // Whatever the command wish is, we honor the call() flags.
                if flags & CMD_CALL_PROPAGATE_AOF == 0 {
                    target &= !PROPAGATE_AOF;
                }
                if flags & CMD_CALL_PROPAGATE_REPL == 0 {
                    target &= !PROPAGATE_REPL;
                }
                if target != 0 {
                    propagate(server, rop.cmd, rop.dbid, &rop.argv, target);
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
pub fn process_command(server: &mut RedisServer, c: &mut Client) -> CResult {
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
        add_reply(c, b"+OK\r\n");
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
        add_reply(c, b"-NOAUTH Authentication required.\r\n");
        return Ok(());
    }

    // Don't accept write commands if there are problems persisting on disk
    // and if this is a master instance.
    if crate::rdb::write_commands_denied_by_disk_error(server)
        && server.masterhost.is_none()
        && (cflags & CMD_WRITE != 0 || name == "ping")
    {
        crate::multi::flag_transaction(c);
        add_reply(
            c,
            b"-MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist on disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.\r\n",
        );
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
        add_reply(c, b"-NOREPLICAS Not enough good replicas to write.\r\n");
        return Ok(());
    }

    // Don't accept write commands if this is a read only slave. But accept
    // write commands if this is our master.
    if server.masterhost.is_some()
        && server.repl_slave_ro
        && c.flags & CLIENT_MASTER == 0
        && cflags & CMD_WRITE != 0
    {
        add_reply(
            c,
            b"-READONLY You can't write against a read only replica.\r\n",
        );
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
        add_reply(c, b"-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n");
        return Ok(());
    }

    // Loading DB? Return an error if the command has not the CMD_LOADING
    // flag.
    if server.loading && cflags & CMD_LOADING == 0 {
        add_reply(c, b"-LOADING Redis is loading the dataset in memory\r\n");
        return Ok(());
    }

    // Exec the command
    if c.flags & CLIENT_MULTI != 0
        && !matches!(name, "exec" | "discard" | "multi" | "watch")
    {
        crate::multi::queue_multi_command(server, c);
        add_reply(c, b"+QUEUED\r\n");
    } else {
        call(server, c, CMD_CALL_FULL);
        c.woff = server.master_repl_offset;
        crate::blocked::handle_clients_blocked_on_keys(server);
    }
    Ok(())
}

// ------------------------------- shutdown -------------------------------

/// Close listening sockets. Also unlink the unix domain socket if
/// unlink_unix_socket is non-zero.
///
/// C: server.c closeListeningSockets()
pub fn close_listening_sockets(
    server: &mut RedisServer,
    unlink_unix_socket: bool,
) {
    server.listeners.clear();
    server.ipfd.clear();
    server.unix_listener = None;
    if unlink_unix_socket {
        if let Some(path) = &server.unixsocket {
            server_log!(server, LL_NOTICE, "Removing the unix socket file.");
            let _ = std::fs::remove_file(path); // don't care if this fails
        }
    }
}

/// C: server.c prepareForShutdown()
pub fn prepare_for_shutdown(server: &mut RedisServer, flags: i32) -> CResult {
    server_log!(server, LL_WARNING, "User requested shutdown...");
    crate::rdb::shutdown_persistence(server, flags)?;
    if server.daemonize || server.pidfile.is_some() {
        if let Some(pidfile) = &server.pidfile {
            server_log!(server, LL_NOTICE, "Removing the pid file.");
            let _ = std::fs::remove_file(pidfile);
        }
    }
    // Best effort flush of slave output buffers, so that we hopefully send
    // them pending writes.
    net::flush_slaves_output_buffers(server);
    // Close the listening sockets. Apparently this allows faster restarts.
    close_listening_sockets(server, true);
    server_log!(
        server,
        LL_WARNING,
        "{} is now ready to exit, bye bye...",
        "Redis"
    );
    Ok(())
}

// ------------------------------- commands -------------------------------

/// Longest password AUTH compares: time_independent_strcmp's buffers.
pub const CONFIG_AUTHPASS_MAX_LEN: usize = 512;

/// Return zero if strings are the same, non-zero if they are not. The
/// comparison is performed in a way that prevents an attacker to obtain
/// information about the nature of the strings just monitoring the
/// execution time of the function.
///
/// Note that limiting the comparison length to strings up to 512 bytes we
/// can avoid leaking any information about the password length and any
/// possible branch misprediction related leak.
///
/// C: server.c time_independent_strcmp()
pub fn time_independent_strcmp(a: &[u8], b: &[u8]) -> i32 {
    // C compares NUL-terminated strings: stop at the first NUL like strlen.
    let a = &a[..memchr::memchr(0, a).unwrap_or(a.len())];
    let b = &b[..memchr::memchr(0, b).unwrap_or(b.len())];
    let mut bufa = [0u8; CONFIG_AUTHPASS_MAX_LEN];
    let mut bufb = [0u8; CONFIG_AUTHPASS_MAX_LEN];
    // We can't compare strings longer than our static buffers. Note that
    // this will never pass the first test in practical circumstances so
    // there is no info leak.
    if a.len() > bufa.len() || b.len() > bufb.len() {
        return 1;
    }
    // The time of the two copies is proportional to len(a) + len(b), so
    // no info is leaked.
    bufa[..a.len()].copy_from_slice(a);
    bufb[..b.len()].copy_from_slice(b);
    // Always compare all the chars in the two buffers without conditional
    // expressions.
    let mut diff: i32 = 0;
    for j in 0..CONFIG_AUTHPASS_MAX_LEN {
        diff |= (bufa[j] ^ bufb[j]) as i32;
    }
    // Length must be equal as well.
    diff |= (a.len() ^ b.len()) as i32;
    diff // If zero strings are the same.
}

/// AUTH password: authenticates the connection against `requirepass`.
///
/// C: server.c authCommand()
pub fn auth_command(server: &mut RedisServer, c: &mut Client) {
    match &server.requirepass {
        None => add_reply_error(c, "Client sent AUTH, but no password is set"),
        Some(pass) if time_independent_strcmp(&c.argv[1], pass) == 0 => {
            c.authenticated = true;
            add_reply(c, crate::t_string::OK);
        }
        Some(_) => {
            c.authenticated = false;
            add_reply_error(c, "invalid password");
        }
    }
}

/// C: server.c pingCommand()
pub fn ping_command(_server: &mut RedisServer, c: &mut Client) {
    // The command takes zero or one arguments.
    if c.argv.len() > 2 {
        add_reply_error_format(
            c,
            format_args!("wrong number of arguments for '{}' command", "ping"),
        );
        return;
    }
    if c.flags & CLIENT_PUBSUB != 0 {
        add_reply(c, b"*2\r\n$4\r\npong\r\n");
        if c.argv.len() == 1 {
            add_reply(c, b"$0\r\n\r\n");
        } else {
            let a = std::mem::take(&mut c.argv[1]);
            net::add_reply_bulk(c, &a);
            c.argv[1] = a;
        }
    } else if c.argv.len() == 1 {
        add_reply(c, b"+PONG\r\n");
    } else {
        let a = std::mem::take(&mut c.argv[1]);
        net::add_reply_bulk(c, &a);
        c.argv[1] = a;
    }
}

/// C: server.c echoCommand()
pub fn echo_command(_server: &mut RedisServer, c: &mut Client) {
    let a = std::mem::take(&mut c.argv[1]);
    net::add_reply_bulk(c, &a);
    c.argv[1] = a;
}

/// C: server.c timeCommand()
pub fn time_command(_server: &mut RedisServer, c: &mut Client) {
    // gettimeofday() can only fail if &tv is a bad address so we don't
    // check for errors.
    let t = ustime();
    net::add_reply_multi_bulk_len(c, 2);
    net::add_reply_bulk(c, (t / 1_000_000).to_string().as_bytes());
    net::add_reply_bulk(c, (t % 1_000_000).to_string().as_bytes());
}

/// Helper function for add_reply_command() to output flags: one status
/// reply if `cmd` has flag `f`. Returns how many replies it added.
///
/// C: server.c addReplyCommandFlag()
fn add_reply_command_flag(
    c: &mut Client,
    cmd: &RedisCommand,
    f: i32,
    reply: &str,
) -> i64 {
    if cmd.flags & f != 0 {
        net::add_reply_status(c, reply);
        return 1;
    }
    0
}

/// Output the representation of a Redis command. Used by the COMMAND
/// command: name, arity, flags, first key, last key, key step; a null bulk
/// for an unknown command.
///
/// C: server.c addReplyCommand()
pub fn add_reply_command(c: &mut Client, cmd: Option<&RedisCommand>) {
    let Some(cmd) = cmd else {
        add_reply(c, crate::t_string::NULLBULK);
        return;
    };
    // We are adding: command name, arg count, flags, first, last, offset
    net::add_reply_multi_bulk_len(c, 6);
    net::add_reply_bulk_c_string(c, Some(cmd.name));
    net::add_reply_long_long(c, cmd.arity as i64);

    let mut flagcount = 0;
    let flaglen = net::add_deferred_multi_bulk_length(c);
    flagcount += add_reply_command_flag(c, cmd, CMD_WRITE, "write");
    flagcount += add_reply_command_flag(c, cmd, CMD_READONLY, "readonly");
    flagcount += add_reply_command_flag(c, cmd, CMD_DENYOOM, "denyoom");
    flagcount += add_reply_command_flag(c, cmd, CMD_ADMIN, "admin");
    flagcount += add_reply_command_flag(c, cmd, CMD_PUBSUB, "pubsub");
    flagcount += add_reply_command_flag(c, cmd, CMD_NOSCRIPT, "noscript");
    flagcount += add_reply_command_flag(c, cmd, CMD_RANDOM, "random");
    flagcount +=
        add_reply_command_flag(c, cmd, CMD_SORT_FOR_SCRIPT, "sort_for_script");
    flagcount += add_reply_command_flag(c, cmd, CMD_LOADING, "loading");
    flagcount += add_reply_command_flag(c, cmd, CMD_STALE, "stale");
    flagcount +=
        add_reply_command_flag(c, cmd, CMD_SKIP_MONITOR, "skip_monitor");
    flagcount += add_reply_command_flag(c, cmd, CMD_ASKING, "asking");
    flagcount += add_reply_command_flag(c, cmd, CMD_FAST, "fast");
    if (cmd.getkeys_proc.is_some() && cmd.flags & CMD_MODULE == 0)
        || cmd.flags & CMD_MODULE_GETKEYS != 0
    {
        net::add_reply_status(c, "movablekeys");
        flagcount += 1;
    }
    net::set_deferred_multi_bulk_length(c, flaglen, flagcount);

    net::add_reply_long_long(c, cmd.firstkey as i64);
    net::add_reply_long_long(c, cmd.lastkey as i64);
    net::add_reply_long_long(c, cmd.keystep as i64);
}

/// COMMAND [COUNT | INFO name ... | GETKEYS cmd arg ... | HELP]
///
/// C: server.c commandCommand()
pub fn command_command(server: &mut RedisServer, c: &mut Client) {
    let argc = c.argv.len();
    if argc == 2 && c.argv[1].eq_ignore_ascii_case(b"help") {
        const HELP: &[&str] = &[
            "(no subcommand) -- Return details about all Redis commands.",
            "COUNT -- Return the total number of commands in this Redis server.",
            "GETKEYS <full-command> -- Return the keys from a full Redis command.",
            "INFO [command-name ...] -- Return details about multiple Redis commands.",
        ];
        let name = String::from_utf8_lossy(&c.argv[0]).into_owned();
        net::add_reply_help(c, &name, HELP);
    } else if argc == 1 {
        // Divergence from C: C walks its commands dict, in hash order; we
        // list the table in its own order.
        net::add_reply_multi_bulk_len(c, server.commands.len() as i64);
        for cmd in &server.commands {
            add_reply_command(c, Some(cmd));
        }
    } else if c.argv[1].eq_ignore_ascii_case(b"info") {
        net::add_reply_multi_bulk_len(c, argc as i64 - 2);
        for i in 2..argc {
            let cmd = lookup_command(server, &c.argv[i]);
            add_reply_command(c, cmd.map(|j| &server.commands[j]));
        }
    } else if c.argv[1].eq_ignore_ascii_case(b"count") && argc == 2 {
        net::add_reply_long_long(c, server.commands.len() as i64);
    } else if c.argv[1].eq_ignore_ascii_case(b"getkeys") && argc >= 3 {
        let Some(j) = lookup_command(server, &c.argv[2]) else {
            add_reply_error(c, "Invalid command specified");
            return;
        };
        let cmd = &server.commands[j];
        let nargs = argc as i32 - 2;
        if cmd.getkeys_proc.is_none() && cmd.firstkey == 0 {
            add_reply_error(c, "The command has no key arguments");
            return;
        } else if (cmd.arity > 0 && cmd.arity != nargs) || nargs < -cmd.arity {
            add_reply_error(
                c,
                "Invalid number of arguments specified for command",
            );
            return;
        }
        match crate::db::get_keys_from_command(server, cmd, &c.argv[2..]) {
            None => {
                add_reply_error(c, "Invalid arguments specified for command")
            }
            Some(keys) => {
                net::add_reply_multi_bulk_len(c, keys.len() as i64);
                for k in keys {
                    let key = std::mem::take(&mut c.argv[k as usize + 2]);
                    net::add_reply_bulk(c, &key);
                    c.argv[k as usize + 2] = key;
                }
            }
        }
    } else {
        net::add_reply_subcommand_syntax_error(c);
    }
}

/// Convert an amount of bytes into a human readable string in the form of
/// 100B, 2G, 100M, 4K, and so forth.
///
/// C: server.c bytesToHuman()
pub fn bytes_to_human(n: u64) -> String {
    const K: u64 = 1024;
    if n < K {
        // Bytes
        format!("{}B", n)
    } else if n < K * K {
        format!("{:.2}K", n as f64 / K as f64)
    } else if n < K * K * K {
        format!("{:.2}M", n as f64 / (K * K) as f64)
    } else if n < K * K * K * K {
        format!("{:.2}G", n as f64 / (K * K * K) as f64)
    } else if n < K * K * K * K * K {
        format!("{:.2}T", n as f64 / (K * K * K * K) as f64)
    } else if n < K * K * K * K * K * K {
        format!("{:.2}P", n as f64 / (K * K * K * K * K) as f64)
    } else {
        // Let's hope we never need this
        format!("{}B", n)
    }
}

/// The figures of INFO's memory section that C takes from
/// getMemoryOverheadData(). (no C twin: C's struct redisMemOverhead,
/// reduced to what INFO prints)
struct InfoMemOverhead {
    startup_allocated: usize,
    peak_perc: f32,
    overhead_total: usize,
    dataset: usize,
    dataset_perc: f32,
    repl_backlog: usize,
    clients_slaves: usize,
    clients_normal: usize,
}

/// The memory overhead figures INFO prints: what the server spends on
/// clients, the backlog and the keyspace's hash tables, and the rest
/// counted as dataset.
///
/// Only the part INFO uses, kept here until object.rs ports MEMORY.
///
/// C: object.c getMemoryOverheadData()
fn get_memory_overhead_data(
    server: &RedisServer,
    zmalloc_used: usize,
) -> InfoMemOverhead {
    use std::mem::size_of;
    // Divergence from C: sizeof(client) includes C's inline 16 KiB reply
    // buffer; ours is boxed apart, so add it; dictEntry and robj are our
    // own types' sizes.
    let client_size = size_of::<Client>() + PROTO_REPLY_CHUNK_BYTES;
    let client_mem = |c: &Client| {
        net::get_client_output_buffer_memory_usage(c) as usize
            + c.querybuf.capacity()
            + client_size
    };
    let mut mem_total = server.initial_memory_usage;

    let repl_backlog =
        server.repl_backlog.as_ref().map(|b| b.capacity()).unwrap_or(0);
    mem_total += repl_backlog;

    let mut clients_slaves = 0;
    for id in &server.slaves {
        if let Some(c) = server.clients.get(id) {
            clients_slaves += client_mem(c);
        }
    }
    mem_total += clients_slaves;

    let mut clients_normal = 0;
    for c in server.clients.values() {
        if c.flags & CLIENT_SLAVE != 0 && c.flags & CLIENT_MONITOR == 0 {
            continue;
        }
        clients_normal += client_mem(c);
    }
    mem_total += clients_normal;

    let entry = size_of::<
        crate::dict::DictEntry<crate::db::Key, crate::object::RObj>,
    >();
    let expire_entry = size_of::<crate::dict::DictEntry<crate::db::Key, i64>>();
    let ptr = size_of::<usize>();
    let robj = size_of::<crate::object::RObj>();
    for db in &server.db {
        let keyscount = db.dict.dict_size();
        if keyscount == 0 {
            continue;
        }
        mem_total +=
            keyscount * entry + db.dict.dict_slots() * ptr + keyscount * robj;
        mem_total += db.expires.dict_size() * expire_entry
            + db.expires.dict_slots() * ptr;
    }

    let dataset = zmalloc_used.wrapping_sub(mem_total);
    // Metrics computed after subtracting the startup memory from the total
    // memory.
    let net_usage = if zmalloc_used > server.initial_memory_usage {
        zmalloc_used - server.initial_memory_usage
    } else {
        1
    };
    InfoMemOverhead {
        startup_allocated: server.initial_memory_usage,
        peak_perc: zmalloc_used as f32 * 100.0
            / server.stat_peak_memory.max(1) as f32,
        overhead_total: mem_total,
        dataset,
        dataset_perc: dataset as f32 * 100.0 / net_usage as f32,
        repl_backlog,
        clients_slaves,
        clients_normal,
    }
}

/// C's getrusage(2), which std does not offer. (no C twin)
fn rusage(who: libc::c_int) -> libc::rusage {
    // SAFETY: getrusage only writes into the zeroed struct we own; it has
    // no other effect and no precondition on the calling thread.
    unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut ru);
        ru
    }
}

/// C's uname(2), which std does not offer: the system name, release and
/// machine INFO prints as `os:`. (no C twin)
fn uname() -> (String, String, String) {
    // SAFETY: uname only writes into the zeroed struct we own; every field
    // it fills is a NUL-terminated array inside that struct, and a zeroed
    // one (if the call failed) is an empty string.
    let name = unsafe {
        let mut name: libc::utsname = std::mem::zeroed();
        libc::uname(&mut name);
        name
    };
    let field = |f: &[libc::c_char]| {
        let bytes: Vec<u8> =
            f.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    (field(&name.sysname), field(&name.release), field(&name.machine))
}

/// The "# Replication" section of INFO. Kept apart so the replica side
/// (master_host, master_link_status, the transfer figures) reads like the C
/// it ports. (no C twin: part of genRedisInfoString)
fn gen_replication_info_string(server: &RedisServer) -> String {
    use std::fmt::Write;
    let mut info = String::new();
    let _ = write!(
        info,
        "# Replication\r\nrole:{}\r\n",
        if server.masterhost.is_none() { "master" } else { "slave" }
    );
    if let Some(masterhost) = &server.masterhost {
        let master = server.master.and_then(|id| server.clients.get(&id));
        let slave_repl_offset = match (master, &server.cached_master) {
            (Some(m), _) => m.reploff,
            (None, Some(cm)) => cm.reploff,
            (None, None) => 1,
        };
        let _ = write!(
            info,
            "master_host:{}\r\nmaster_port:{}\r\nmaster_link_status:{}\r\nmaster_last_io_seconds_ago:{}\r\nmaster_sync_in_progress:{}\r\nslave_repl_offset:{}\r\n",
            masterhost,
            server.masterport,
            if server.repl_state == REPL_STATE_CONNECTED { "up" } else { "down" },
            master.map(|m| (server.unixtime - m.lastinteraction) as i32).unwrap_or(-1),
            (server.repl_state == REPL_STATE_TRANSFER) as i32,
            slave_repl_offset
        );
        if server.repl_state == REPL_STATE_TRANSFER {
            let _ = write!(
                info,
                "master_sync_left_bytes:{}\r\nmaster_sync_last_io_seconds_ago:{}\r\n",
                server.repl_transfer_size - server.repl_transfer_read,
                (server.unixtime - server.repl_transfer_lastio) as i32
            );
        }
        if server.repl_state != REPL_STATE_CONNECTED {
            let _ = write!(
                info,
                "master_link_down_since_seconds:{}\r\n",
                server.unixtime - server.repl_down_since
            );
        }
        let _ = write!(
            info,
            "slave_priority:{}\r\nslave_read_only:{}\r\n",
            server.slave_priority, server.repl_slave_ro as i32
        );
    }

    let _ = write!(info, "connected_slaves:{}\r\n", server.slaves.len());

    // If min-slaves-to-write is active, write the number of slaves
    // currently considered 'good'.
    if server.repl_min_slaves_to_write != 0
        && server.repl_min_slaves_max_lag != 0
    {
        let _ = write!(
            info,
            "min_slaves_good_slaves:{}\r\n",
            server.repl_good_slaves_count
        );
    }

    let mut slaveid = 0;
    for id in &server.slaves {
        let Some(slave) = server.clients.get(id) else { continue };
        let slaveip = match &slave.slave_ip {
            Some(ip) if !ip.is_empty() => ip.clone(),
            _ => match slave
                .sock
                .as_ref()
                .and_then(net::anet::anet_peer_to_string)
            {
                Some((ip, _)) => ip,
                None => continue,
            },
        };
        use crate::replication::*;
        let state = match slave.replstate {
            SLAVE_STATE_WAIT_BGSAVE_START | SLAVE_STATE_WAIT_BGSAVE_END => {
                "wait_bgsave"
            }
            SLAVE_STATE_SEND_BULK => "send_bulk",
            SLAVE_STATE_ONLINE => "online",
            _ => continue,
        };
        let lag = if slave.replstate == SLAVE_STATE_ONLINE {
            now_secs() - slave.repl_ack_time
        } else {
            0
        };
        let _ = write!(
            info,
            "slave{}:ip={},port={},state={},offset={},lag={}\r\n",
            slaveid,
            slaveip,
            slave.slave_listening_port,
            state,
            slave.repl_ack_off,
            lag
        );
        slaveid += 1;
    }
    let _ = write!(
        info,
        "master_replid:{}\r\nmaster_replid2:{}\r\nmaster_repl_offset:{}\r\nsecond_repl_offset:{}\r\nrepl_backlog_active:{}\r\nrepl_backlog_size:{}\r\nrepl_backlog_first_byte_offset:{}\r\nrepl_backlog_histlen:{}\r\n",
        String::from_utf8_lossy(&server.replid),
        String::from_utf8_lossy(&server.replid2),
        server.master_repl_offset,
        server.second_replid_offset,
        server.repl_backlog.is_some() as i32,
        server.repl_backlog_size,
        server.repl_backlog_off,
        server.repl_backlog_histlen
    );
    info
}

/// Create the string returned by the INFO command. This is decoupled by
/// the INFO command itself as we need to report the same information on
/// memory corruption problems. `section` is "default" (every section but
/// commandstats), "all", or one section's name.
///
/// INFO runs it with its client put back in the table
/// (`with_running_in_table`), so that client is counted as in C.
///
/// C: server.c genRedisInfoString()
pub fn gen_redis_info_string(
    server: &mut RedisServer,
    section: &[u8],
) -> String {
    use std::fmt::Write;
    let mut info = String::new();
    let uptime = server.unixtime - server.stat_starttime;
    let allsections = section.eq_ignore_ascii_case(b"all");
    let defsections = section.eq_ignore_ascii_case(b"default");
    let mut sections = 0;
    let wants = |name: &str| {
        allsections
            || defsections
            || section.eq_ignore_ascii_case(name.as_bytes())
    };

    // What the build would tell C: we have no git sha or gcc version.
    const REDIS_GIT_SHA1: &str = "00000000";
    const MULTIPLEXING_API: &str = "epoll"; // aeGetApiName()
    const ATOMICVAR_API: &str = "atomic-builtin"; // REDIS_ATOMIC_API
    let self_ru = rusage(libc::RUSAGE_SELF);
    let c_ru = rusage(libc::RUSAGE_CHILDREN);

    // Server
    if wants("server") {
        let mode = if server.sentinel_mode { "sentinel" } else { "standalone" };
        if sections > 0 {
            info.push_str("\r\n");
        }
        sections += 1;
        // C calls uname(2) once and keeps the answer; a call costs
        // little and gives the same strings. Unlike reading them from
        // /proc/sys/kernel, it needs no file descriptor, so INFO still
        // names the OS when the server has run out of them.
        let uname = uname();
        let _ = write!(
            info,
            "# Server\r\n\
             redis_version:{}\r\n\
             redis_git_sha1:{}\r\n\
             redis_git_dirty:{}\r\n\
             redis_build_id:{:x}\r\n\
             redis_mode:{}\r\n\
             os:{} {} {}\r\n\
             arch_bits:{}\r\n\
             multiplexing_api:{}\r\n\
             atomicvar_api:{}\r\n\
             gcc_version:{}.{}.{}\r\n\
             process_id:{}\r\n\
             run_id:{}\r\n\
             tcp_port:{}\r\n\
             uptime_in_seconds:{}\r\n\
             uptime_in_days:{}\r\n\
             hz:{}\r\n\
             configured_hz:{}\r\n\
             lru_clock:{}\r\n\
             executable:{}\r\n\
             config_file:{}\r\n",
            crate::REDIS_VERSION,
            REDIS_GIT_SHA1,
            0,
            0u64,
            mode,
            uname.0,
            uname.1,
            uname.2,
            usize::BITS,
            MULTIPLEXING_API,
            ATOMICVAR_API,
            // Divergence from C: not built by gcc; C prints 0.0.0 then too.
            0,
            0,
            0,
            std::process::id(),
            server.runid,
            server.port,
            uptime,
            uptime / (3600 * 24),
            server.hz,
            server.config_hz,
            server.lruclock,
            server.executable,
            server.configfile.as_deref().unwrap_or("")
        );
    }

    // Clients
    if wants("clients") {
        if sections > 0 {
            info.push_str("\r\n");
        }
        sections += 1;
        // Divergence from C: C reports the peaks clientsCron saw over the
        // last seconds (getExpansiveClientsInfo); we report the current
        // largest query buffer and output buffer.
        let mut maxin = 0usize;
        let mut maxout = 0u64;
        for c in server.clients.values() {
            maxin = maxin.max(c.querybuf.capacity());
            maxout = maxout.max(net::get_client_output_buffer_memory_usage(c));
        }
        let _ = write!(
            info,
            "# Clients\r\n\
             connected_clients:{}\r\n\
             client_recent_max_input_buffer:{}\r\n\
             client_recent_max_output_buffer:{}\r\n\
             blocked_clients:{}\r\n",
            net::num_clients(server) - server.slaves.len(),
            maxin,
            maxout,
            server.blocked_clients
        );
    }

    // Memory
    if wants("memory") {
        let zmalloc_used = crate::util::zmalloc_used_memory();
        let total_system_mem = server.system_memory_size;
        // Divergence from C: there is no Lua interpreter, so no Lua memory.
        let memory_lua: i64 = 0;
        let evict_policy = crate::config::evict_policy_to_string(server);
        // Divergence from C: 5.0.14 bundles jemalloc 5.1.0; we link the
        // jemalloc of tikv-jemallocator.
        const ZMALLOC_LIB: &str = "jemalloc-5.3.0";
        // Divergence from C: no jemalloc statistics are read; the figures
        // below are the ones C falls back to when its allocator gives
        // none (see serverCron): resident = RSS, active = resident,
        // allocated = used memory.
        let process_rss = if server.resident_set_size != 0 {
            server.resident_set_size
        } else {
            crate::util::zmalloc_get_rss()
        };
        // The cron samples used memory and RSS together; our used memory
        // is the RSS, so the sample of one stands for both.
        let cron_zmalloc_used = process_rss;
        let allocator_resident = process_rss - memory_lua as usize;
        let allocator_active = allocator_resident;
        let allocator_allocated = cron_zmalloc_used;

        // Peak memory is updated from time to time by serverCron() so it
        // may happen that the instantaneous value is slightly bigger than
        // the peak value. This may confuse users, so we update the peak if
        // found smaller than the current memory usage.
        if zmalloc_used > server.stat_peak_memory {
            server.stat_peak_memory = zmalloc_used;
        }
        let mh = get_memory_overhead_data(server, zmalloc_used);
        let ratio = |a: usize, b: usize| a as f32 / b as f32;
        let diff = |a: usize, b: usize| a as i64 - b as i64;

        if sections > 0 {
            info.push_str("\r\n");
        }
        sections += 1;
        let _ = write!(
            info,
            "# Memory\r\n\
             used_memory:{}\r\n\
             used_memory_human:{}\r\n\
             used_memory_rss:{}\r\n\
             used_memory_rss_human:{}\r\n\
             used_memory_peak:{}\r\n\
             used_memory_peak_human:{}\r\n\
             used_memory_peak_perc:{:.2}%\r\n\
             used_memory_overhead:{}\r\n\
             used_memory_startup:{}\r\n\
             used_memory_dataset:{}\r\n\
             used_memory_dataset_perc:{:.2}%\r\n\
             allocator_allocated:{}\r\n\
             allocator_active:{}\r\n\
             allocator_resident:{}\r\n\
             total_system_memory:{}\r\n\
             total_system_memory_human:{}\r\n\
             used_memory_lua:{}\r\n\
             used_memory_lua_human:{}\r\n\
             used_memory_scripts:{}\r\n\
             used_memory_scripts_human:{}\r\n\
             number_of_cached_scripts:{}\r\n\
             maxmemory:{}\r\n\
             maxmemory_human:{}\r\n\
             maxmemory_policy:{}\r\n\
             allocator_frag_ratio:{:.2}\r\n\
             allocator_frag_bytes:{}\r\n\
             allocator_rss_ratio:{:.2}\r\n\
             allocator_rss_bytes:{}\r\n\
             rss_overhead_ratio:{:.2}\r\n\
             rss_overhead_bytes:{}\r\n\
             mem_fragmentation_ratio:{:.2}\r\n\
             mem_fragmentation_bytes:{}\r\n\
             mem_not_counted_for_evict:{}\r\n\
             mem_replication_backlog:{}\r\n\
             mem_clients_slaves:{}\r\n\
             mem_clients_normal:{}\r\n\
             mem_aof_buffer:{}\r\n\
             mem_allocator:{}\r\n\
             active_defrag_running:{}\r\n\
             lazyfree_pending_objects:{}\r\n",
            zmalloc_used,
            bytes_to_human(zmalloc_used as u64),
            process_rss,
            bytes_to_human(process_rss as u64),
            server.stat_peak_memory,
            bytes_to_human(server.stat_peak_memory as u64),
            mh.peak_perc,
            mh.overhead_total,
            mh.startup_allocated,
            mh.dataset,
            mh.dataset_perc,
            allocator_allocated,
            allocator_active,
            allocator_resident,
            total_system_mem,
            bytes_to_human(total_system_mem as u64),
            memory_lua,
            bytes_to_human(memory_lua as u64),
            0, // no scripts cache: mh->lua_caches
            bytes_to_human(0),
            0, // dictSize(server.lua_scripts)
            server.maxmemory,
            bytes_to_human(server.maxmemory),
            evict_policy,
            ratio(allocator_active, allocator_allocated),
            diff(allocator_active, allocator_allocated),
            ratio(allocator_resident, allocator_active),
            diff(allocator_resident, allocator_active),
            ratio(process_rss, allocator_resident),
            diff(process_rss, allocator_resident),
            // This is the total RSS overhead, including fragmentation,
            // named so for backwards compatibility.
            ratio(process_rss, cron_zmalloc_used),
            diff(process_rss, cron_zmalloc_used),
            // freeMemoryGetNotCountedMemory(): replica output buffers (and
            // the AOF buffers, which we have not).
            mh.clients_slaves,
            mh.repl_backlog,
            mh.clients_slaves,
            mh.clients_normal,
            0, // no AOF buffer
            ZMALLOC_LIB,
            0,
            0
        );
    }

    // Persistence
    if wants("persistence") {
        if sections > 0 {
            info.push_str("\r\n");
        }
        sections += 1;
        let now = now_secs();
        let aof_status = "ok"; // no AOF, so it never failed
        let _ = write!(
            info,
            "# Persistence\r\n\
             loading:{}\r\n\
             rdb_changes_since_last_save:{}\r\n\
             rdb_bgsave_in_progress:{}\r\n\
             rdb_last_save_time:{}\r\n\
             rdb_last_bgsave_status:{}\r\n\
             rdb_last_bgsave_time_sec:{}\r\n\
             rdb_current_bgsave_time_sec:{}\r\n\
             rdb_last_cow_size:{}\r\n\
             aof_enabled:{}\r\n\
             aof_rewrite_in_progress:{}\r\n\
             aof_rewrite_scheduled:{}\r\n\
             aof_last_rewrite_time_sec:{}\r\n\
             aof_current_rewrite_time_sec:{}\r\n\
             aof_last_bgrewrite_status:{}\r\n\
             aof_last_write_status:{}\r\n\
             aof_last_cow_size:{}\r\n",
            server.loading as i32,
            server.dirty,
            (server.rdb_child_pid != -1) as i32,
            server.lastsave,
            if server.lastbgsave_status.is_ok() { "ok" } else { "err" },
            server.rdb_save_time_last,
            if server.rdb_child_pid == -1 {
                -1
            } else {
                now - server.rdb_save_time_start
            },
            server.stat_rdb_cow_bytes,
            // Divergence from C: there is no AOF; these are the figures of
            // a server with appendonly off that never rewrote one.
            0,
            0,
            0,
            -1,
            -1,
            aof_status,
            aof_status,
            0
        );
        if server.loading {
            let remaining_bytes =
                server.loading_total_bytes - server.loading_loaded_bytes;
            let perc = (server.loading_loaded_bytes as f64
                / (server.loading_total_bytes + 1) as f64)
                * 100.0;
            let elapsed = now - server.loading_start_time;
            let eta = if elapsed == 0 {
                1 // A fake 1 second figure if we don't have enough info
            } else {
                (elapsed * remaining_bytes) / (server.loading_loaded_bytes + 1)
            };
            let _ = write!(
                info,
                "loading_start_time:{}\r\n\
                 loading_total_bytes:{}\r\n\
                 loading_loaded_bytes:{}\r\n\
                 loading_loaded_perc:{:.2}\r\n\
                 loading_eta_seconds:{}\r\n",
                server.loading_start_time,
                server.loading_total_bytes,
                server.loading_loaded_bytes,
                perc,
                eta
            );
        }
    }

    // Stats
    if wants("stats") {
        if sections > 0 {
            info.push_str("\r\n");
        }
        sections += 1;
        let _ = write!(
            info,
            "# Stats\r\n\
             total_connections_received:{}\r\n\
             total_commands_processed:{}\r\n\
             instantaneous_ops_per_sec:{}\r\n\
             total_net_input_bytes:{}\r\n\
             total_net_output_bytes:{}\r\n\
             instantaneous_input_kbps:{:.2}\r\n\
             instantaneous_output_kbps:{:.2}\r\n\
             rejected_connections:{}\r\n\
             sync_full:{}\r\n\
             sync_partial_ok:{}\r\n\
             sync_partial_err:{}\r\n\
             expired_keys:{}\r\n\
             expired_stale_perc:{:.2}\r\n\
             expired_time_cap_reached_count:{}\r\n\
             evicted_keys:{}\r\n\
             keyspace_hits:{}\r\n\
             keyspace_misses:{}\r\n\
             pubsub_channels:{}\r\n\
             pubsub_patterns:{}\r\n\
             latest_fork_usec:{}\r\n\
             migrate_cached_sockets:{}\r\n\
             slave_expires_tracked_keys:{}\r\n\
             active_defrag_hits:{}\r\n\
             active_defrag_misses:{}\r\n\
             active_defrag_key_hits:{}\r\n\
             active_defrag_key_misses:{}\r\n",
            server.stat_numconnections,
            server.stat_numcommands,
            get_instantaneous_metric(server, STATS_METRIC_COMMAND),
            server.stat_net_input_bytes,
            server.stat_net_output_bytes,
            get_instantaneous_metric(server, STATS_METRIC_NET_INPUT) as f32
                / 1024.0,
            get_instantaneous_metric(server, STATS_METRIC_NET_OUTPUT) as f32
                / 1024.0,
            server.stat_rejected_conn,
            server.stat_sync_full,
            server.stat_sync_partial_ok,
            server.stat_sync_partial_err,
            server.stat_expiredkeys,
            server.stat_expired_stale_perc * 100.0,
            server.stat_expired_time_cap_reached_count,
            server.stat_evictedkeys,
            server.stat_keyspace_hits,
            server.stat_keyspace_misses,
            server.pubsub_channels.len(),
            server.pubsub_patterns.len(),
            server.stat_fork_time,
            0, // no MIGRATE, so no cached sockets
            crate::expire::get_slave_key_with_expire_count(server),
            server.stat_active_defrag_hits,
            server.stat_active_defrag_misses,
            server.stat_active_defrag_key_hits,
            server.stat_active_defrag_key_misses
        );
    }

    // Replication
    if wants("replication") {
        if sections > 0 {
            info.push_str("\r\n");
        }
        sections += 1;
        info.push_str(&gen_replication_info_string(server));
    }

    // CPU
    if wants("cpu") {
        if sections > 0 {
            info.push_str("\r\n");
        }
        sections += 1;
        let _ = write!(
            info,
            "# CPU\r\n\
             used_cpu_sys:{}.{:06}\r\n\
             used_cpu_user:{}.{:06}\r\n\
             used_cpu_sys_children:{}.{:06}\r\n\
             used_cpu_user_children:{}.{:06}\r\n",
            self_ru.ru_stime.tv_sec,
            self_ru.ru_stime.tv_usec,
            self_ru.ru_utime.tv_sec,
            self_ru.ru_utime.tv_usec,
            c_ru.ru_stime.tv_sec,
            c_ru.ru_stime.tv_usec,
            c_ru.ru_utime.tv_sec,
            c_ru.ru_utime.tv_usec
        );
    }

    // Command statistics
    if allsections || section.eq_ignore_ascii_case(b"commandstats") {
        if sections > 0 {
            info.push_str("\r\n");
        }
        sections += 1;
        info.push_str("# Commandstats\r\n");
        // Divergence from C: table order, not the commands dict's order.
        for c in &server.commands {
            if c.calls == 0 {
                continue;
            }
            let _ = write!(
                info,
                "cmdstat_{}:calls={},usec={},usec_per_call={:.2}\r\n",
                c.name,
                c.calls,
                c.microseconds,
                c.microseconds as f32 / c.calls as f32
            );
        }
    }

    // Cluster
    if wants("cluster") {
        if sections > 0 {
            info.push_str("\r\n");
        }
        sections += 1;
        info.push_str("# Cluster\r\ncluster_enabled:0\r\n");
    }

    // Key space
    if wants("keyspace") {
        if sections > 0 {
            info.push_str("\r\n");
        }
        info.push_str("# Keyspace\r\n");
        for (j, db) in server.db.iter().enumerate() {
            let keys = db.dict.dict_size();
            let vkeys = db.expires.dict_size();
            if keys != 0 || vkeys != 0 {
                let _ = write!(
                    info,
                    "db{}:keys={},expires={},avg_ttl={}\r\n",
                    j, keys, vkeys, db.avg_ttl
                );
            }
        }
    }
    info
}

/// INFO [section]
///
/// C: server.c infoCommand()
pub fn info_command(server: &mut RedisServer, c: &mut Client) {
    if c.argv.len() > 2 {
        add_reply(c, crate::t_string::SYNTAXERR);
        return;
    }
    let section =
        if c.argv.len() == 2 { c.argv[1].clone() } else { b"default".to_vec() };
    let info = net::with_running_in_table(server, c, |s| {
        gen_redis_info_string(s, &section)
    });
    net::add_reply_bulk_sds(c, info.into_bytes());
}

/// MONITOR: from now on the client receives every command the server runs
/// (see replication_feed_monitors), and is flagged like a replica.
///
/// C: server.c monitorCommand()
pub fn monitor_command(server: &mut RedisServer, c: &mut Client) {
    // ignore MONITOR if already slave or in monitor mode
    if c.flags & CLIENT_SLAVE != 0 {
        return;
    }
    c.flags |= CLIENT_SLAVE | CLIENT_MONITOR;
    // Not in C: the monitor's own commands feed it while it runs; see
    // `Client::mailbox`.
    net::open_mailbox(server, c);
    server.monitors.push(c.id);
    add_reply(c, crate::t_string::OK);
}

/// C: db.c shutdownCommand() (kept here beside prepareForShutdown)
pub fn shutdown_command(server: &mut RedisServer, c: &mut Client) {
    let mut flags = 0;
    if c.argv.len() > 2 {
        add_reply(c, b"-ERR syntax error\r\n");
        return;
    } else if c.argv.len() == 2 {
        if c.argv[1].eq_ignore_ascii_case(b"nosave") {
            flags |= SHUTDOWN_NOSAVE;
        } else if c.argv[1].eq_ignore_ascii_case(b"save") {
            flags |= SHUTDOWN_SAVE;
        } else {
            add_reply(c, b"-ERR syntax error\r\n");
            return;
        }
    }
    // When SHUTDOWN is called while the server is loading a dataset in
    // memory we need to make sure no attempt is performed to save the
    // dataset on shutdown (otherwise it could overwrite the current DB with
    // half-read data).
    if server.loading {
        flags = (flags & !SHUTDOWN_SAVE) | SHUTDOWN_NOSAVE;
    }
    if prepare_for_shutdown(server, flags).is_ok() {
        std::process::exit(0);
    }
    add_reply_error(c, "Errors trying to SHUTDOWN. Check logs.");
}

// ------------------------------- main -------------------------------

/// The fd serverLogFromHandler writes to: stdout, or the logfile opened
/// once at start-up (opening a file is not async-signal-safe enough to do
/// in the handler, as C does).
pub(crate) static LOG_FD_FOR_HANDLER: std::sync::atomic::AtomicI32 =
    std::sync::atomic::AtomicI32::new(1);
/// Mirrors server.loading for the signal handler.
pub static LOADING_FOR_HANDLER: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Writes "pid:signal-handler (unixtime) msg" with write(2) only.
///
/// C: server.c serverLogFromHandler()
pub(crate) fn server_log_from_handler(msg: &str) {
    fn put(fd: i32, b: &[u8]) {
        // SAFETY: write(2) is async-signal-safe; the buffer is valid for
        // its length.
        unsafe { libc::write(fd, b.as_ptr() as *const libc::c_void, b.len()) };
    }
    fn num(mut v: u64, buf: &mut [u8; 24]) -> &[u8] {
        let mut i = buf.len();
        loop {
            i -= 1;
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        &buf[i..]
    }
    let fd = LOG_FD_FOR_HANDLER.load(std::sync::atomic::Ordering::Relaxed);
    let mut b = [0u8; 24];
    // SAFETY: getpid and time are async-signal-safe and take no pointers
    // we own (time gets NULL).
    let (pid, now) = unsafe {
        (libc::getpid() as u64, libc::time(std::ptr::null_mut()) as u64)
    };
    put(fd, num(pid, &mut b));
    put(fd, b":signal-handler (");
    put(fd, num(now, &mut b));
    put(fd, b") ");
    put(fd, msg.as_bytes());
    put(fd, b"\n");
}

/// Records a shutdown request; server_cron does the shutdown.
///
/// C: server.c sigShutdownHandler()
extern "C" fn sig_shutdown_handler(sig: libc::c_int) {
    let msg = match sig {
        libc::SIGINT => "Received SIGINT scheduling shutdown...",
        libc::SIGTERM => "Received SIGTERM scheduling shutdown...",
        _ => "Received shutdown signal, scheduling shutdown...",
    };
    // SIGINT is often delivered via Ctrl+C in an interactive session. If we
    // receive the signal the second time, we interpret this as the user
    // really wanting to quit ASAP without waiting to persist on disk.
    if SHUTDOWN_ASAP.load(std::sync::atomic::Ordering::Relaxed)
        && sig == libc::SIGINT
    {
        server_log_from_handler("You insist... exiting now.");
        // A SAVE may be writing temp-<pid>.rdb right now: do not leave it
        // behind. (A BGSAVE child writes its own temp-<childpid>.rdb and
        // renames it when done, as in C.)
        // SAFETY: getpid is async-signal-safe; rdb_remove_temp_file
        // builds the name on the stack and only calls unlink(2).
        crate::rdb::rdb_remove_temp_file(unsafe { libc::getpid() });
        // SAFETY: _exit is async-signal-safe. Exit with an error since
        // this was not a clean shutdown.
        unsafe { libc::_exit(1) };
    } else if LOADING_FOR_HANDLER.load(std::sync::atomic::Ordering::Relaxed) {
        server_log_from_handler(
            "Received shutdown signal during loading, exiting now.",
        );
        // SAFETY: as above.
        unsafe { libc::_exit(0) };
    }
    server_log_from_handler(msg);
    SHUTDOWN_ASAP.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// C: server.c setupSignalHandlers()
pub fn setup_signal_handlers(server: &RedisServer) {
    if !server.logfile.is_empty() {
        use std::os::unix::io::IntoRawFd;
        if let Ok(f) = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&server.logfile)
        {
            // Kept open for the life of the process, for the handler.
            LOG_FD_FOR_HANDLER
                .store(f.into_raw_fd(), std::sync::atomic::Ordering::Relaxed);
        }
    }
    // SAFETY: the handler only calls async-signal-safe functions (write,
    // getpid, time, _exit) and stores to atomics; no other thread exists.
    unsafe {
        let h = sig_shutdown_handler as extern "C" fn(libc::c_int)
            as libc::sighandler_t;
        libc::signal(libc::SIGTERM, h);
        libc::signal(libc::SIGINT, h);
    }
    crate::debug::setup_sigsegv_handlers();
}

/// C: server.c main()
pub fn main() {
    let args: Vec<String> = std::env::args().collect();
    // SORT ... ALPHA compares with strcoll() in the environment's locale.
    // SAFETY: no other thread exists yet (the server never starts one), so
    // nothing reads the locale while it changes; the argument is a
    // NUL-terminated literal.
    unsafe {
        libc::setlocale(libc::LC_COLLATE, c"".as_ptr());
    }
    // C: srand(time(NULL)^getpid()) and the random dict hash seed.
    crate::dict::dict_seed_random(ustime() as u64 ^ std::process::id() as u64);
    let mut hashseed = [0u8; 16];
    hashseed.copy_from_slice(&get_random_hex_chars()[..16]);
    crate::dict::dict_set_hash_function_seed(&hashseed);
    let mut server = init_server_config();
    // The crash handlers and the panic hook reach the server through this
    // pointer (C: the global `server`); it lives until exit, here.
    crate::debug::SERVER_FOR_HANDLER
        .store(&mut server, std::sync::atomic::Ordering::Relaxed);

    // Store the executable path and arguments in a safe place in order to
    // be able to restart the server later.
    server.executable = crate::config::get_absolute_path(&args[0])
        .unwrap_or_else(|| args[0].clone());
    server.exec_argv = args.clone();

    // Divergence from C: no sentinel mode (checkForSentinelMode) and no
    // redis-check-rdb/aof personalities selected by argv[0].

    if args.len() >= 2 {
        let mut j = 1; // First option to parse in argv[]
        let mut configfile: Option<String> = None;

        // Handle special options --help and --version
        if args[1] == "-v" || args[1] == "--version" {
            crate::config::version();
        }
        if args[1] == "--help" || args[1] == "-h" {
            crate::config::usage();
        }
        if args[1] == "--test-memory" {
            if args.len() == 3 {
                // Divergence from C: memtest.c is not ported.
                eprintln!("--test-memory is not supported by this server.");
                std::process::exit(1);
            } else {
                eprintln!(
                    "Please specify the amount of memory to test in megabytes."
                );
                eprintln!("Example: ./redis-server --test-memory 4096\n");
                std::process::exit(1);
            }
        }

        // First argument is the config file name?
        if !args[j].starts_with("--") {
            configfile = Some(args[j].clone());
            server.configfile = crate::config::get_absolute_path(&args[j]);
            // Replace the config file in server.exec_argv with its
            // absolute path.
            if let Some(abs) = &server.configfile {
                server.exec_argv[j] = abs.clone();
            }
            j += 1;
        }

        // All the other options are parsed and conceptually appended to the
        // configuration file. For instance --port 6380 will generate the
        // string "port 6380\n" to be parsed after the actual file name is
        // parsed, if any.
        let options = crate::config::options_from_args(&args[j..]);
        crate::config::reset_server_save_params(&mut server);
        crate::config::load_server_config(
            &mut server,
            configfile.as_deref(),
            Some(&options),
        );
    }

    server_log!(
        server,
        LL_WARNING,
        "oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo"
    );
    server_log!(
        server,
        LL_WARNING,
        "Redis version={}, bits={}, commit={}, modified={}, pid={}, just started",
        crate::REDIS_VERSION,
        64,
        "00000000",
        0,
        std::process::id()
    );

    if args.len() == 1 {
        server_log!(
            server,
            LL_WARNING,
            "Warning: no config file specified, using the default config. In order to specify a config file use {} /path/to/{}.conf",
            args[0],
            "redis"
        );
    } else {
        server_log!(server, LL_WARNING, "Configuration loaded");
    }

    server.supervised =
        crate::config::redis_is_supervised(&server, server.supervised_mode);
    let background = server.daemonize && !server.supervised;
    if background {
        crate::config::daemonize();
    }

    init_server(&mut server);
    if background || server.pidfile.is_some() {
        crate::config::create_pid_file(&mut server);
    }
    // Divergence from C: redisSetProcTitle() (the "redis-server *:6379"
    // process title) is not ported.
    crate::config::redis_as_ascii_art(&server);
    crate::config::check_tcp_backlog_settings(&server);

    // Things not needed when running in Sentinel mode.
    server_log!(server, LL_WARNING, "Server initialized");
    crate::config::linux_memory_warnings(&server);
    crate::config::module_load_from_queue(&server);
    if server.aof_state == crate::config::AOF_ON {
        // Divergence from C: aof.c is not ported, so "appendonly yes"
        // cannot load or write an AOF; the data comes from the RDB file.
        server_log!(
            server,
            LL_WARNING,
            "WARNING: appendonly yes is not supported by this server: the AOF is neither loaded nor written."
        );
    }
    crate::rdb::load_data_from_disk(&mut server);
    if !server.ipfd.is_empty() {
        server_log!(server, LL_NOTICE, "Ready to accept connections");
    }
    if server.sofd > 0 {
        server_log!(
            server,
            LL_NOTICE,
            "The server is now ready to accept connections at {}",
            server.unixsocket.as_deref().unwrap_or("")
        );
    }

    // Warning the user about suspicious maxmemory setting.
    if server.maxmemory > 0 && server.maxmemory < 1024 * 1024 {
        server_log!(
            server,
            LL_WARNING,
            "WARNING: You specified a maxmemory value that is less than 1MB (current value is {} bytes). Are you sure this is what you really want?",
            server.maxmemory
        );
    }

    ae::ae_set_before_sleep_proc(&mut server.el, Some(before_sleep));
    ae::ae_set_after_sleep_proc(&mut server.el, Some(after_sleep));
    ae::ae_main(&mut server);
}
