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
pub(crate) struct CErr;
pub(crate) type CResult<T = ()> = Result<T, CErr>;

// ---------------------------- server.h: constants ----------------------------

pub(crate) const CONFIG_DEFAULT_HZ: i32 = 10;
pub(crate) const CONFIG_MIN_HZ: i32 = 1;
pub(crate) const CONFIG_MAX_HZ: i32 = 500;
pub(crate) const CONFIG_DEFAULT_SERVER_PORT: i32 = 6379;
pub(crate) const CONFIG_DEFAULT_TCP_BACKLOG: i32 = 511;
pub(crate) const CONFIG_DEFAULT_CLIENT_TIMEOUT: i64 = 0;
pub(crate) const CONFIG_DEFAULT_DBNUM: i32 = 16;
pub(crate) const CONFIG_MAX_LINE: usize = 1024;
pub(crate) const CRON_DBS_PER_CALL: i32 = 16;
pub(crate) const NET_MAX_WRITES_PER_EVENT: usize = 1024 * 64;
pub(crate) const CONFIG_DEFAULT_MAX_CLIENTS: u32 = 10000;
pub(crate) const CONFIG_DEFAULT_TCP_KEEPALIVE: i32 = 300;
pub(crate) const CONFIG_DEFAULT_PROTECTED_MODE: bool = true;
pub(crate) const CONFIG_DEFAULT_PROTO_MAX_BULK_LEN: i64 = 512 * 1024 * 1024;
pub(crate) const CONFIG_DEFAULT_PID_FILE: &str = "/var/run/redis.pid";
pub(crate) const CONFIG_DEFAULT_RDB_FILENAME: &str = "dump.rdb";
pub(crate) const CONFIG_MIN_RESERVED_FDS: u32 = 32;
pub(crate) const CONFIG_FDSET_INCR: u32 = CONFIG_MIN_RESERVED_FDS + 96;
pub(crate) const ACTIVE_EXPIRE_CYCLE_LOOKUPS_PER_LOOP: u64 = 20;
pub(crate) const ACTIVE_EXPIRE_CYCLE_FAST_DURATION: i64 = 1000;
pub(crate) const ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC: i64 = 25;
pub(crate) const ACTIVE_EXPIRE_CYCLE_SLOW: i32 = 0;
pub(crate) const ACTIVE_EXPIRE_CYCLE_FAST: i32 = 1;
pub(crate) const CLIENTS_CRON_MIN_ITERATIONS: usize = 5;
pub(crate) const CONFIG_BINDADDR_MAX: usize = 16;
pub(crate) const CONFIG_RUN_ID_SIZE: usize = 40;

pub(crate) const PROTO_MAX_QUERYBUF_LEN: usize = 1024 * 1024 * 1024;
pub(crate) const PROTO_IOBUF_LEN: usize = 1024 * 16;
pub(crate) const PROTO_REPLY_CHUNK_BYTES: usize = 16 * 1024;
pub const PROTO_INLINE_MAX_SIZE: usize = 1024 * 64;
pub(crate) const PROTO_MBULK_BIG_ARG: i64 = 1024 * 32;
/// 4mb
pub(crate) const LIMIT_PENDING_QUERYBUF: usize = 4 * 1024 * 1024;

/// Command flags ("w", "r", "m", ... in the table's sflags).
pub(crate) const CMD_WRITE: i32 = 1 << 0;
pub(crate) const CMD_READONLY: i32 = 1 << 1;
pub(crate) const CMD_DENYOOM: i32 = 1 << 2;
pub(crate) const CMD_MODULE: i32 = 1 << 3;
pub(crate) const CMD_ADMIN: i32 = 1 << 4;
pub(crate) const CMD_PUBSUB: i32 = 1 << 5;
pub(crate) const CMD_NOSCRIPT: i32 = 1 << 6;
pub(crate) const CMD_RANDOM: i32 = 1 << 7;
pub(crate) const CMD_SORT_FOR_SCRIPT: i32 = 1 << 8;
pub(crate) const CMD_LOADING: i32 = 1 << 9;
pub(crate) const CMD_STALE: i32 = 1 << 10;
pub(crate) const CMD_SKIP_MONITOR: i32 = 1 << 11;
pub(crate) const CMD_ASKING: i32 = 1 << 12;
pub(crate) const CMD_FAST: i32 = 1 << 13;
/// Use the modules getkeys interface. Never set: there are no modules.
pub(crate) const CMD_MODULE_GETKEYS: i32 = 1 << 14;

/// Client flags.
pub(crate) const CLIENT_SLAVE: u64 = 1 << 0;
pub const CLIENT_MASTER: u64 = 1 << 1;
pub(crate) const CLIENT_MONITOR: u64 = 1 << 2;
pub(crate) const CLIENT_MULTI: u64 = 1 << 3;
pub const CLIENT_BLOCKED: u64 = 1 << 4;
pub(crate) const CLIENT_DIRTY_CAS: u64 = 1 << 5;
pub const CLIENT_CLOSE_AFTER_REPLY: u64 = 1 << 6;
pub(crate) const CLIENT_UNBLOCKED: u64 = 1 << 7;
pub(crate) const CLIENT_LUA: u64 = 1 << 8;
pub(crate) const CLIENT_ASKING: u64 = 1 << 9;
pub const CLIENT_CLOSE_ASAP: u64 = 1 << 10;
pub(crate) const CLIENT_UNIX_SOCKET: u64 = 1 << 11;
pub(crate) const CLIENT_DIRTY_EXEC: u64 = 1 << 12;
pub(crate) const CLIENT_MASTER_FORCE_REPLY: u64 = 1 << 13;
pub(crate) const CLIENT_FORCE_AOF: u64 = 1 << 14;
pub(crate) const CLIENT_FORCE_REPL: u64 = 1 << 15;
pub(crate) const CLIENT_PRE_PSYNC: u64 = 1 << 16;
pub(crate) const CLIENT_READONLY: u64 = 1 << 17;
pub(crate) const CLIENT_PUBSUB: u64 = 1 << 18;
pub(crate) const CLIENT_PREVENT_AOF_PROP: u64 = 1 << 19;
pub(crate) const CLIENT_PREVENT_REPL_PROP: u64 = 1 << 20;
pub(crate) const CLIENT_PREVENT_PROP: u64 =
    CLIENT_PREVENT_AOF_PROP | CLIENT_PREVENT_REPL_PROP;
pub const CLIENT_PENDING_WRITE: u64 = 1 << 21;
pub(crate) const CLIENT_REPLY_OFF: u64 = 1 << 22;
pub(crate) const CLIENT_REPLY_SKIP_NEXT: u64 = 1 << 23;
pub(crate) const CLIENT_REPLY_SKIP: u64 = 1 << 24;
#[allow(dead_code)] // kept so the set reads whole beside C
pub(crate) const CLIENT_LUA_DEBUG: u64 = 1 << 25;
#[allow(dead_code)] // kept so the set reads whole beside C
pub(crate) const CLIENT_LUA_DEBUG_SYNC: u64 = 1 << 26;
pub(crate) const CLIENT_MODULE: u64 = 1 << 27;
pub(crate) const CLIENT_PROTECTED: u64 = 1 << 28;

/// Client block type (btype field in client structure), if CLIENT_BLOCKED.
pub(crate) const BLOCKED_NONE: i32 = 0;
pub(crate) const BLOCKED_LIST: i32 = 1;
pub(crate) const BLOCKED_WAIT: i32 = 2;
pub(crate) const BLOCKED_MODULE: i32 = 3;
pub(crate) const BLOCKED_STREAM: i32 = 4;
pub(crate) const BLOCKED_ZSET: i32 = 5;

/// Client request types.
pub(crate) const PROTO_REQ_INLINE: i32 = 1;
pub const PROTO_REQ_MULTIBULK: i32 = 2;

/// Client classes for client limits.
pub(crate) const CLIENT_TYPE_NORMAL: usize = 0;
pub(crate) const CLIENT_TYPE_SLAVE: usize = 1;
pub(crate) const CLIENT_TYPE_PUBSUB: usize = 2;
pub(crate) const CLIENT_TYPE_MASTER: usize = 3;
pub(crate) const CLIENT_TYPE_OBUF_COUNT: usize = 3;

/// Slave replication state. Used in server.repl_state for slaves to
/// remember what to do next.
pub const REPL_STATE_NONE: i32 = 0;
pub(crate) const REPL_STATE_CONNECT: i32 = 1;
pub(crate) const REPL_STATE_CONNECTING: i32 = 2;
pub(crate) const REPL_STATE_RECEIVE_PONG: i32 = 3;
pub(crate) const REPL_STATE_SEND_AUTH: i32 = 4;
pub(crate) const REPL_STATE_RECEIVE_AUTH: i32 = 5;
pub(crate) const REPL_STATE_SEND_PORT: i32 = 6;
pub(crate) const REPL_STATE_RECEIVE_PORT: i32 = 7;
pub(crate) const REPL_STATE_SEND_IP: i32 = 8;
pub(crate) const REPL_STATE_RECEIVE_IP: i32 = 9;
pub(crate) const REPL_STATE_SEND_CAPA: i32 = 10;
pub(crate) const REPL_STATE_RECEIVE_CAPA: i32 = 11;
pub(crate) const REPL_STATE_SEND_PSYNC: i32 = 12;
pub(crate) const REPL_STATE_RECEIVE_PSYNC: i32 = 13;
pub(crate) const REPL_STATE_TRANSFER: i32 = 14;
pub const REPL_STATE_CONNECTED: i32 = 15;

/// Log levels.
pub(crate) const LL_DEBUG: i32 = 0;
pub(crate) const LL_VERBOSE: i32 = 1;
pub(crate) const LL_NOTICE: i32 = 2;
pub const LL_WARNING: i32 = 3;
/// Modifier to log without timestamp.
pub(crate) const LL_RAW: i32 = 1 << 10;
pub(crate) const CONFIG_DEFAULT_VERBOSITY: i32 = LL_NOTICE;

/// Command call flags, see call() function.
pub(crate) const CMD_CALL_NONE: i32 = 0;
pub(crate) const CMD_CALL_SLOWLOG: i32 = 1 << 0;
pub(crate) const CMD_CALL_STATS: i32 = 1 << 1;
pub(crate) const CMD_CALL_PROPAGATE_AOF: i32 = 1 << 2;
pub(crate) const CMD_CALL_PROPAGATE_REPL: i32 = 1 << 3;
pub(crate) const CMD_CALL_PROPAGATE: i32 =
    CMD_CALL_PROPAGATE_AOF | CMD_CALL_PROPAGATE_REPL;
pub(crate) const CMD_CALL_FULL: i32 =
    CMD_CALL_SLOWLOG | CMD_CALL_STATS | CMD_CALL_PROPAGATE;

/// Command propagation flags, see propagate() function.
pub(crate) const PROPAGATE_NONE: i32 = 0;
pub(crate) const PROPAGATE_AOF: i32 = 1;
pub(crate) const PROPAGATE_REPL: i32 = 2;

/// Keyspace changes notification classes.
pub(crate) const NOTIFY_KEYSPACE: i32 = 1 << 0;
pub(crate) const NOTIFY_KEYEVENT: i32 = 1 << 1;
pub(crate) const NOTIFY_GENERIC: i32 = 1 << 2;
pub(crate) const NOTIFY_STRING: i32 = 1 << 3;
pub(crate) const NOTIFY_LIST: i32 = 1 << 4;
pub(crate) const NOTIFY_SET: i32 = 1 << 5;
pub(crate) const NOTIFY_HASH: i32 = 1 << 6;
pub(crate) const NOTIFY_ZSET: i32 = 1 << 7;
pub(crate) const NOTIFY_EXPIRED: i32 = 1 << 8;
pub(crate) const NOTIFY_EVICTED: i32 = 1 << 9;
pub(crate) const NOTIFY_STREAM: i32 = 1 << 10;
pub(crate) const NOTIFY_ALL: i32 = NOTIFY_GENERIC
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
pub(crate) const MAXMEMORY_FLAG_LRU: i32 = 1 << 0;
pub(crate) const MAXMEMORY_FLAG_LFU: i32 = 1 << 1;
pub(crate) const MAXMEMORY_FLAG_ALLKEYS: i32 = 1 << 2;
pub(crate) const MAXMEMORY_FLAG_NO_SHARED_INTEGERS: i32 =
    MAXMEMORY_FLAG_LRU | MAXMEMORY_FLAG_LFU;
#[allow(clippy::identity_op)] // C spells it (0<<8)|MAXMEMORY_FLAG_LRU
pub(crate) const MAXMEMORY_VOLATILE_LRU: i32 = (0 << 8) | MAXMEMORY_FLAG_LRU;
pub(crate) const MAXMEMORY_VOLATILE_LFU: i32 = (1 << 8) | MAXMEMORY_FLAG_LFU;
pub(crate) const MAXMEMORY_VOLATILE_TTL: i32 = 2 << 8;
pub(crate) const MAXMEMORY_VOLATILE_RANDOM: i32 = 3 << 8;
pub(crate) const MAXMEMORY_ALLKEYS_LRU: i32 =
    (4 << 8) | MAXMEMORY_FLAG_LRU | MAXMEMORY_FLAG_ALLKEYS;
pub(crate) const MAXMEMORY_ALLKEYS_LFU: i32 =
    (5 << 8) | MAXMEMORY_FLAG_LFU | MAXMEMORY_FLAG_ALLKEYS;
pub(crate) const MAXMEMORY_ALLKEYS_RANDOM: i32 =
    (6 << 8) | MAXMEMORY_FLAG_ALLKEYS;
pub(crate) const MAXMEMORY_NO_EVICTION: i32 = 7 << 8;
pub(crate) const CONFIG_DEFAULT_MAXMEMORY_POLICY: i32 = MAXMEMORY_NO_EVICTION;
pub(crate) const CONFIG_DEFAULT_LFU_DECAY_TIME: i32 = 1;

/// Max value of obj->lru
pub(crate) const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
/// LRU clock resolution in ms
pub(crate) const LRU_CLOCK_RESOLUTION: i64 = 1000;

/// Shutdown flags.
pub(crate) const SHUTDOWN_NOFLAGS: i32 = 0;
pub(crate) const SHUTDOWN_SAVE: i32 = 1;
pub(crate) const SHUTDOWN_NOSAVE: i32 = 2;

/// Flags for restart_server().
pub(crate) const RESTART_SERVER_NONE: i32 = 0;
/// Do a proper shutdown.
pub(crate) const RESTART_SERVER_GRACEFULLY: i32 = 1 << 0;
/// CONFIG REWRITE before restart.
pub(crate) const RESTART_SERVER_CONFIG_REWRITE: i32 = 1 << 1;

/// Get the first bind addr or `None`.
pub(crate) const NET_IP_STR_LEN: usize = 46;

// ------------------------------- server.h: client -------------------------------

/// A client id: C's `c->id`, and the key of `server.clients`. Ids only
/// grow, so id order is creation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ClientId(pub(crate) u64);

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
    pub(crate) id: ClientId,
    /// Client socket, or -1 for a fake client.
    pub(crate) fd: RawFd,
    /// The socket itself, owned here so that dropping the client closes it.
    pub(crate) sock: Option<socket2::Socket>,
    /// Index in `server.db` of the currently SELECTed DB.
    pub db: usize,
    /// As set by CLIENT SETNAME.
    pub(crate) name: Option<Vec<u8>>,
    /// Buffer we use to accumulate client queries.
    pub querybuf: Vec<u8>,
    /// The position we have read in querybuf.
    pub qb_pos: usize,
    /// Pending replication stream received from the master, not yet applied.
    pub pending_querybuf: Vec<u8>,
    /// Recent (100ms or more) peak of querybuf size.
    pub(crate) querybuf_peak: usize,
    /// Arguments of current command.
    pub argv: Vec<Vec<u8>>,
    /// Index in `server.commands` of the current command, and of the last.
    pub(crate) cmd: Option<usize>,
    pub(crate) lastcmd: Option<usize>,
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
    pub(crate) ctime: i64,
    /// Time of the last interaction, used for timeout.
    pub(crate) lastinteraction: i64,
    pub(crate) obuf_soft_limit_reached_time: i64,
    /// Client flags: CLIENT_* macros.
    pub flags: u64,
    /// When requirepass is non-NULL.
    pub(crate) authenticated: bool,
    /// Replication state if this is a slave.
    pub(crate) replstate: i32,
    /// Install slave write handler on first ACK.
    pub(crate) repl_put_online_on_ack: bool,
    /// Replication DB file descriptor.
    pub(crate) repldbfd: RawFd,
    /// The open RDB file being sent (SEND_BULK); `repldbfd` is its fd.
    /// Dropping it closes the file. (no C twin: C keeps only the fd)
    pub(crate) repldbfile: Option<std::fs::File>,
    /// Replication DB file offset.
    pub(crate) repldboff: i64,
    /// Replication DB file size.
    pub(crate) repldbsize: i64,
    /// Replication DB preamble.
    pub(crate) replpreamble: Vec<u8>,
    /// FULLRESYNC reply offset other slaves copying this slave output
    /// buffer should use.
    pub(crate) psync_initial_offset: i64,
    /// Replication offset read from the master (if this is a master).
    pub read_reploff: i64,
    /// Applied replication offset if this is a master.
    pub reploff: i64,
    /// Replication ack offset, if this is a slave.
    pub(crate) repl_ack_off: i64,
    /// Replication ack time, if this is a slave.
    pub(crate) repl_ack_time: i64,
    /// Master offset to wait for, for WAIT.
    pub(crate) woff: i64,
    /// Master replication ID (if master).
    pub(crate) replid: [u8; 40],
    /// As configured with: SLAVECONF listening-port
    pub(crate) slave_listening_port: i32,
    /// As configured with: REPLCONF ip-address
    pub(crate) slave_ip: Option<String>,
    /// Slave capabilities: SLAVE_CAPA_* bitwise OR.
    pub(crate) slave_capa: i32,
    /// Blocking operation type: BLOCKED_*
    pub(crate) btype: i32,
    /// Blocking operation timeout, unix ms; 0 means none.
    pub(crate) bpop_timeout: i64,
    /// Keys a client is blocked on, with the target of BRPOPLPUSH.
    pub(crate) bpop_keys: Vec<Vec<u8>>,
    pub(crate) bpop_target: Option<Vec<u8>>,
    /// WAIT: number of replicas to wait for, and the offset.
    pub(crate) bpop_numreplicas: i32,
    pub(crate) bpop_reploffset: i64,
    /// The stream ID of each key of `bpop_keys` (C: bkinfo stream_id).
    pub(crate) bpop_stream_ids: Vec<crate::t_stream::StreamID>,
    /// XREAD COUNT option.
    pub(crate) bpop_xread_count: usize,
    /// XREADGROUP group name.
    pub(crate) bpop_xread_group: Option<Vec<u8>>,
    /// XREADGROUP consumer name.
    pub(crate) bpop_xread_consumer: Option<Vec<u8>>,
    pub(crate) bpop_xread_group_noack: bool,
    /// Response buffer: C's char buf[PROTO_REPLY_CHUNK_BYTES].
    pub bufpos: usize,
    pub buf: Box<[u8; PROTO_REPLY_CHUNK_BYTES]>,
    /// Cached peer ID ("ip:port").
    pub(crate) peerid: Option<String>,
    /// Divergence from C: what the slow log needs of the arguments the
    /// running command moved out of argv into the keyspace
    /// (`t_string::take_arg`; C shares the object instead). Cleared by
    /// call() before each command.
    pub(crate) moved_args: Vec<crate::slowlog::MovedArg>,
    /// Divergence from C: true while the id sits in
    /// `server.clients_pending_write`; C's CLIENT_PENDING_WRITE flag is set
    /// by add_reply without the server at hand, so the queueing is done by
    /// whoever hands the client back (see `networking::queue_pending_write`).
    pub pending_write_queued: bool,
    /// MULTI/EXEC state
    pub(crate) mstate: MultiState,
    /// Keys WATCHED for MULTI/EXEC CAS, as (db, key).
    pub(crate) watched_keys: Vec<(usize, Vec<u8>)>,
    /// channels a client is interested in (SUBSCRIBE)
    pub(crate) pubsub_channels: std::collections::HashSet<Vec<u8>>,
    /// patterns a client is interested in (PSUBSCRIBE)
    pub(crate) pubsub_patterns: Vec<Vec<u8>>,
    /// The "== CRITICAL ==" line addReplyErrorLength logs for a master or
    /// replica link, up to the command name, and `lastcmd` when the error
    /// was added: logged when the client is handed back (the reply
    /// functions have no server at hand to name the command). (no C twin)
    pub(crate) critical_error_log: Option<(String, Option<usize>)>,
    /// For a client that receives what others publish (a subscriber, a
    /// monitor): what is aimed at it while it runs waits here, shared
    /// with its "running" slot, and `add_reply` writes it before the next
    /// bytes of its own reply, which is where C, writing at once, puts it
    /// (a MONITOR line before the reply of the monitor's own command, a
    /// keyspace event inside EXEC). `None` for other clients. (no C twin;
    /// see `networking::client_table`)
    pub(crate) mailbox: Option<std::rc::Rc<std::cell::Cell<Vec<u8>>>>,
}

/// One queued command of a MULTI. C: struct multiCmd
#[derive(Debug, Default)]
pub(crate) struct MultiCmd {
    pub(crate) argv: Vec<Vec<u8>>,
    pub(crate) cmd: usize,
}

/// C: struct multiState
#[derive(Debug, Default)]
pub(crate) struct MultiState {
    /// Array of MULTI commands
    pub(crate) commands: Vec<MultiCmd>,
    /// The accumulated command flags OR-ed together. So if at least a
    /// command has a given flag, it will be set in this field.
    pub(crate) cmd_flags: i32,
}

// ------------------------------ server.h: command ------------------------------

pub(crate) type RedisCommandProc = fn(server: &mut RedisServer, c: &mut Client);
/// A command-specific key extractor (see db.rs, "API to get key arguments
/// from commands"): the positions in `argv` of the key arguments, or
/// `None` for none. C also takes `argc` and returns the count through
/// `int *numkeys`; the slice and the Vec carry their lengths.
///
/// C: redisGetKeysProc
pub(crate) type RedisGetKeysProc =
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

pub(crate) type CommandNameHash =
    std::hash::BuildHasherDefault<CommandNameHasher>;

/// C: struct redisCommand
pub(crate) struct RedisCommand {
    pub(crate) name: &'static str,
    pub(crate) proc_: RedisCommandProc,
    pub(crate) arity: i32,
    pub(crate) sflags: &'static str,
    /// The actual flags, obtained from the 'sflags' field.
    pub(crate) flags: i32,
    /// Use a function to determine keys arguments in a command line, for
    /// commands whose keys the three fields below cannot describe (C uses
    /// it for Redis Cluster redirection and COMMAND GETKEYS).
    pub(crate) getkeys_proc: Option<RedisGetKeysProc>,
    /// What keys should be loaded in background when calling this command?
    pub(crate) firstkey: i32,
    pub(crate) lastkey: i32,
    pub(crate) keystep: i32,
    pub(crate) microseconds: i64,
    pub(crate) calls: i64,
}

/// One command scheduled for propagation by `also_propagate`.
/// C: struct redisOp
pub(crate) struct RedisOp {
    pub(crate) argv: Vec<Vec<u8>>,
    pub(crate) dbid: usize,
    pub(crate) target: i32,
    pub(crate) cmd: usize,
}

// ------------------------------- server.h: server -------------------------------

/// One `save <seconds> <changes>` point. C: struct saveparam
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaveParam {
    pub(crate) seconds: i64,
    pub(crate) changes: i32,
}

/// One `client-output-buffer-limit` class. C: struct clientBufferLimitsConfig
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ClientBufferLimitsConfig {
    pub(crate) hard_limit_bytes: u64,
    pub(crate) soft_limit_bytes: u64,
    pub(crate) soft_limit_seconds: i64,
}

pub(crate) const CLIENT_BUFFER_LIMITS_DEFAULTS: [ClientBufferLimitsConfig;
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
/// active defragmentation, cluster, scripting, the
/// slow log and latency monitor, syslog, HyperLogLog and streams. Each
/// field is accepted by redis.conf and CONFIG SET with 5.0.14's checks
/// and reported by CONFIG GET and CONFIG REWRITE like 5.0.14, but nothing
/// acts on it yet. The fields keep their names in C's `struct
/// redisServer`; when a subsystem is ported, its fields move back into
/// `RedisServer`.
pub(crate) struct UnportedConfig {
    // Active defragmentation (defrag.c)
    pub(crate) active_defrag_enabled: bool,
    /// Minimum amount of fragmentation waste to start active defrag
    pub(crate) active_defrag_ignore_bytes: usize,
    /// Minimum percentage of fragmentation to start active defrag
    pub(crate) active_defrag_threshold_lower: i32,
    /// Maximum percentage of fragmentation at which we use maximum effort
    pub(crate) active_defrag_threshold_upper: i32,
    /// Minimal effort for defrag in CPU percentage
    pub(crate) active_defrag_cycle_min: i32,
    /// Maximal effort for defrag in CPU percentage
    pub(crate) active_defrag_cycle_max: i32,
    /// Maximum number of fields of set/hash/zset/list to process from
    /// within the main dict scan
    pub(crate) active_defrag_max_scan_fields: u64,
    // Cluster (cluster.c)
    /// Cluster node timeout.
    pub(crate) cluster_node_timeout: i64,
    /// Cluster auto-generated config file name.
    pub(crate) cluster_configfile: String,
    /// Minimum slaves for migration.
    pub(crate) cluster_migration_barrier: i32,
    /// Slave max data age for failover.
    pub(crate) cluster_slave_validity_factor: i32,
    /// If true, put the cluster down if there is at least an uncovered slot.
    pub(crate) cluster_require_full_coverage: bool,
    /// Prevent slave from starting a failover if the master is in failure
    /// state.
    pub(crate) cluster_slave_no_failover: bool,
    /// IP address to announce on cluster bus.
    pub(crate) cluster_announce_ip: Option<String>,
    /// base port to announce on cluster bus.
    pub(crate) cluster_announce_port: i32,
    /// bus port to announce on cluster bus.
    pub(crate) cluster_announce_bus_port: i32,
    // Syslog (serverLogRaw's syslog() call)
    /// Is syslog enabled?
    pub(crate) syslog_enabled: bool,
    pub(crate) syslog_ident: String,
    /// Syslog facility
    pub(crate) syslog_facility: i32,
}

/// The memory figures serverCron samples together every 100 ms, so that
/// the ratios INFO and MEMORY STATS print compare figures of one moment.
///
/// C: server.h struct malloc_stats
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct MallocStats {
    pub(crate) zmalloc_used: usize,
    pub(crate) process_rss: usize,
    pub(crate) allocator_allocated: usize,
    pub(crate) allocator_active: usize,
    pub(crate) allocator_resident: usize,
}

/// C: struct redisServer. Grouped as in server.h.
pub struct RedisServer {
    // General
    pub(crate) pid: i32,
    /// Absolute config file path, or `None`.
    pub(crate) configfile: Option<String>,
    /// Absolute executable file path.
    pub(crate) executable: String,
    /// Executable argv vector (copy).
    pub(crate) exec_argv: Vec<String>,
    pub(crate) dynamic_hz: bool,
    /// Configured HZ value. May be different than the actual 'hz' field
    /// value if dynamic-hz is enabled.
    pub(crate) config_hz: i32,
    /// serverCron() calls frequency in hertz
    pub(crate) hz: i32,
    pub db: Vec<RedisDb>,
    /// Command table, and the lookup by lower-case name.
    pub(crate) commands: Vec<RedisCommand>,
    pub command_index: HashMap<&'static [u8], usize, CommandNameHash>,
    /// The MULTI and EXEC entries of `commands`, looked up once (C:
    /// server.multiCommand, server.execCommand).
    pub(crate) multi_command: usize,
    pub(crate) exec_command: usize,
    pub(crate) el: AeEventLoop<RedisServer>,
    /// Clock for LRU eviction
    pub(crate) lruclock: u32,
    /// Shutdown ASAP (SIGTERM/SIGINT seen).
    pub(crate) shutdown_asap: bool,
    /// Number of times the cron function run
    pub(crate) cronloops: i64,
    /// ID always different at every exec.
    pub(crate) runid: String,
    /// True if this is a sentinel (never, here).
    pub(crate) sentinel_mode: bool,
    /// Used memory of the initial dataset-less server.
    pub(crate) initial_memory_usage: usize,
    pub(crate) always_show_logo: bool,
    // Networking
    /// TCP listening port
    pub port: i32,
    /// TCP listen() backlog
    pub(crate) tcp_backlog: i32,
    /// Addresses we should bind to
    pub(crate) bindaddr: Vec<String>,
    /// UNIX socket path
    pub(crate) unixsocket: Option<String>,
    pub(crate) unixsocketperm: u32,
    /// TCP socket file descriptors, owned by the listeners.
    pub(crate) ipfd: Vec<RawFd>,
    pub(crate) listeners: Vec<std::net::TcpListener>,
    /// Unix socket file descriptor
    pub(crate) sofd: RawFd,
    pub(crate) unix_listener: Option<std::os::unix::net::UnixListener>,
    /// List of active clients, keyed by id (C also has clients_index). A
    /// client running a command keeps its slot, marked "running" (see
    /// `networking::client_table`).
    pub clients: crate::networking::ClientTable,
    /// Clients to close asynchronously
    pub(crate) clients_to_close: Vec<ClientId>,
    /// There is to write or install handler.
    pub clients_pending_write: Vec<ClientId>,
    /// List of slaves and MONITORs
    pub(crate) slaves: Vec<ClientId>,
    pub(crate) monitors: Vec<ClientId>,
    /// Current client, only used on crash report.
    pub(crate) current_client: Option<ClientId>,
    /// True if clients are currently paused
    pub(crate) clients_paused: bool,
    /// Time when we undo clients_paused
    pub(crate) clients_pause_end_time: i64,
    /// Next client unique ID. Incremental.
    pub(crate) next_client_id: u64,
    /// Don't accept external connections.
    pub(crate) protected_mode: bool,
    // RDB / AOF loading information
    /// We are loading data from disk if true
    pub(crate) loading: bool,
    pub(crate) loading_total_bytes: i64,
    pub(crate) loading_loaded_bytes: i64,
    pub(crate) loading_start_time: i64,
    pub(crate) loading_process_events_interval_bytes: i64,
    // Fields used only for stats
    /// Server start time
    pub(crate) stat_starttime: i64,
    /// Number of processed commands
    pub(crate) stat_numcommands: i64,
    /// Number of connections received
    pub(crate) stat_numconnections: i64,
    /// Number of expired keys
    pub(crate) stat_expiredkeys: i64,
    pub(crate) stat_expired_stale_perc: f64,
    pub(crate) stat_expired_time_cap_reached_count: i64,
    pub(crate) stat_evictedkeys: i64,
    pub(crate) stat_keyspace_hits: i64,
    pub(crate) stat_keyspace_misses: i64,
    pub(crate) stat_active_defrag_hits: i64,
    pub(crate) stat_active_defrag_misses: i64,
    pub(crate) stat_active_defrag_key_hits: i64,
    pub(crate) stat_active_defrag_key_misses: i64,
    pub(crate) stat_active_defrag_scanned: i64,
    /// Max used memory record
    pub(crate) stat_peak_memory: usize,
    /// Time needed to perform latest fork()
    pub(crate) stat_fork_time: i64,
    pub(crate) stat_fork_rate: f64,
    /// Clients rejected because of maxclients
    pub(crate) stat_rejected_conn: i64,
    /// Number of full resyncs with slaves.
    pub(crate) stat_sync_full: i64,
    /// Number of accepted PSYNC requests.
    pub(crate) stat_sync_partial_ok: i64,
    /// Number of unaccepted PSYNC requests.
    pub(crate) stat_sync_partial_err: i64,
    /// Bytes read from network.
    pub(crate) stat_net_input_bytes: i64,
    /// Bytes written to network.
    pub(crate) stat_net_output_bytes: i64,
    /// Child process copy-on-write bytes of the last RDB save.
    pub(crate) stat_rdb_cow_bytes: usize,
    /// Instantaneous metrics: samples taken in server_cron.
    pub(crate) inst_metric: [InstMetric; STATS_METRIC_COUNT],
    // Configuration
    /// Loglevel in redis.conf
    pub verbosity: i32,
    /// Client timeout in seconds
    pub(crate) maxidletime: i64,
    /// Set SO_KEEPALIVE if non-zero.
    pub(crate) tcpkeepalive: i32,
    /// Can be disabled for testing purposes.
    pub(crate) active_expire_enabled: bool,
    /// Limit for client query buffer length
    pub(crate) client_max_querybuf_len: usize,
    /// Total number of configured DBs
    pub dbnum: i32,
    /// Supervised mode (never here; kept for INFO/CONFIG).
    pub(crate) supervised: bool,
    /// True if running as a daemon
    pub(crate) daemonize: bool,
    pub(crate) client_obuf_limits:
        [ClientBufferLimitsConfig; CLIENT_TYPE_OBUF_COUNT],
    // RDB persistence
    /// Changes to DB from the last save
    pub dirty: i64,
    /// Used to restore dirty on failed BGSAVE
    pub(crate) dirty_before_bgsave: i64,
    /// PID of RDB saving child
    pub(crate) rdb_child_pid: i32,
    /// Save points array for RDB
    pub saveparams: Vec<SaveParam>,
    /// Name of RDB file
    pub(crate) rdb_filename: String,
    /// Use compression in RDB?
    pub rdb_compression: bool,
    /// Use RDB checksum?
    pub rdb_checksum: bool,
    /// Unix time of last successful save
    pub(crate) lastsave: i64,
    /// Unix time of last attempted bgsave
    pub(crate) lastbgsave_try: i64,
    /// Time used by last RDB save run.
    pub(crate) rdb_save_time_last: i64,
    /// Current RDB save start time.
    pub(crate) rdb_save_time_start: i64,
    /// BGSAVE scheduled to be started when possible.
    pub(crate) rdb_bgsave_scheduled: bool,
    /// Type of save in progress.
    pub(crate) rdb_child_type: i32,
    /// C_OK or C_ERR
    pub(crate) lastbgsave_status: CResult,
    /// Don't allow writes if can't BGSAVE
    pub(crate) stop_writes_on_bgsave_err: bool,
    /// fsync incrementally while rdb saving?
    pub(crate) rdb_save_incremental_fsync: bool,
    /// RDB pipes used to return the state of each slave in diskless SYNC
    /// (child writes, parent reads; -1 when not open).
    pub(crate) rdb_pipe_write_result_to_parent: RawFd,
    pub(crate) rdb_pipe_read_result_from_child: RawFd,
    /// Pipe used to write the child_info_data (see childinfo.rs).
    pub(crate) child_info_pipe: [RawFd; 2],
    /// What the saving child reports: copy-on-write size.
    pub(crate) child_info_data: crate::childinfo::ChildInfoData,
    // Propagation of commands in AOF / replication
    /// Additional command to propagate.
    pub(crate) also_propagate: Vec<RedisOp>,
    // Logging
    /// Path of log file
    pub logfile: String,
    pub(crate) pidfile: Option<String>,
    /// Working directory, as configured (we chdir into it).
    pub(crate) dir: String,
    // Replication (master)
    /// My current replication ID.
    pub(crate) replid: [u8; 40],
    /// replid inherited from master
    pub(crate) replid2: [u8; 40],
    /// My current replication offset
    pub master_repl_offset: i64,
    /// Accept offsets up to this for replid2.
    pub(crate) second_replid_offset: i64,
    /// Last SELECTed DB in replication output
    pub(crate) slaveseldb: i32,
    /// Master pings the slave every N seconds
    pub(crate) repl_ping_slave_period: i32,
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
    pub(crate) repl_backlog_time_limit: i64,
    /// We have no slaves since that time. Only valid if
    /// server.slaves len is 0.
    pub(crate) repl_no_slaves_since: i64,
    /// Min number of slaves to write.
    pub(crate) repl_min_slaves_to_write: i32,
    /// Max lag of <count> slaves to write.
    pub(crate) repl_min_slaves_max_lag: i32,
    /// Number of slaves with lag <= max_lag.
    pub(crate) repl_good_slaves_count: i32,
    /// Send RDB to slaves sockets directly.
    pub(crate) repl_diskless_sync: bool,
    /// Delay to start a diskless repl BGSAVE.
    pub(crate) repl_diskless_sync_delay: i32,
    /// The replication history behind INFO replhistory (no C twin).
    pub(crate) repl_history: crate::replication::history::ReplHistory,
    /// How many times replicationCron() ran (C: its static
    /// replication_cron_loops; the PING period counts these).
    pub(crate) repl_cron_loops: i64,
    // Replication script cache.
    /// SHA1 all slaves are aware of. Keys are stored lower-case: C
    /// compares them case-insensitively (replScriptCacheDictType).
    pub(crate) repl_scriptcache_dict: std::collections::HashSet<Vec<u8>>,
    /// First in, first out LRU eviction (the newest at the front).
    pub(crate) repl_scriptcache_fifo: std::collections::VecDeque<Vec<u8>>,
    /// Max number of elements.
    pub(crate) repl_scriptcache_size: u32,
    // Replication (slave)
    /// AUTH with this password with master
    pub(crate) masterauth: Option<Vec<u8>>,
    /// Hostname of master
    pub masterhost: Option<String>,
    /// Port of master
    pub masterport: i32,
    /// Timeout after N seconds of master idle
    pub(crate) repl_timeout: i32,
    /// Client that is master for this slave
    pub master: Option<ClientId>,
    /// Cached master to be reused for PSYNC.
    pub cached_master: Option<Box<Client>>,
    /// Timeout for synchronous I/O calls
    pub(crate) repl_syncio_timeout: i32,
    /// Replication state if this is a slave
    pub repl_state: i32,
    /// Size of RDB to read from master during sync.
    pub(crate) repl_transfer_size: i64,
    /// Amount of RDB read from master during sync.
    pub(crate) repl_transfer_read: i64,
    /// Offset when we fsync-ed last time.
    pub(crate) repl_transfer_last_fsync_off: i64,
    /// Slave -> Master SYNC socket
    pub(crate) repl_transfer_s: RawFd,
    /// Slave-> master SYNC temp file descriptor
    pub(crate) repl_transfer_fd: RawFd,
    /// The socket `repl_transfer_s` names, owned here so that dropping it
    /// closes it. (no C twin: C keeps only the fd)
    pub(crate) repl_transfer_sock: Option<socket2::Socket>,
    /// The temp file `repl_transfer_fd` names. (no C twin)
    pub(crate) repl_transfer_file: Option<std::fs::File>,
    /// readSyncBulkPayload()'s statics: whether the payload ends with an
    /// EOF mark (diskless `$EOF:<40 chars>` form), the mark, and the last
    /// 40 bytes received. (no C twin: C keeps them in function statics)
    pub(crate) repl_transfer_usemark: bool,
    pub(crate) repl_transfer_eofmark: [u8; 40],
    pub(crate) repl_transfer_lastbytes: [u8; 40],
    /// replicationSendNewlineToMaster()'s static: the unix time of the
    /// last newline sent. (no C twin)
    pub(crate) repl_newline_sent: i64,
    /// Slave-> master SYNC temp file name
    pub(crate) repl_transfer_tmpfile: Option<String>,
    /// Slave-> master SYNC last IO time
    pub(crate) repl_transfer_lastio: i64,
    /// Serve stale data when link is down?
    pub(crate) repl_serve_stale_data: bool,
    /// Slave is read only?
    pub(crate) repl_slave_ro: bool,
    /// Slave ignores maxmemory?
    pub(crate) repl_slave_ignore_maxmemory: bool,
    /// Unix time at which link with master went down
    pub(crate) repl_down_since: i64,
    /// Disable TCP_NODELAY after SYNC?
    pub(crate) repl_disable_tcp_nodelay: bool,
    /// Reported in INFO and used by Sentinel.
    pub(crate) slave_priority: i32,
    /// Give the master this listening port.
    pub(crate) slave_announce_port: i32,
    /// Give the master this ip address.
    pub(crate) slave_announce_ip: Option<String>,
    /// Master PSYNC runid.
    pub(crate) master_replid: [u8; 40],
    /// Master PSYNC offset.
    pub master_initial_offset: i64,
    /// Lazy flush of the old dataset on full resync?
    pub(crate) repl_slave_lazy_flush: bool,
    // Blocking
    /// Number of clients blocked by lists, and per type.
    pub(crate) blocked_clients: u32,
    pub(crate) blocked_clients_by_type: [u32; 6],
    /// List of clients to unblock before next loop
    pub(crate) unblocked_clients: VecDeque<ClientId>,
    /// Clients waiting in WAIT command.
    pub(crate) clients_waiting_acks: Vec<ClientId>,
    /// If true we send REPLCONF GETACK.
    pub(crate) get_ack_from_slaves: bool,
    /// List of readyList structures for BLPOP & co
    pub ready_keys: Vec<crate::blocked::ReadyList>,
    // Limits
    /// Max number of simultaneous clients
    pub(crate) maxclients: u32,
    /// Max number of memory bytes to use
    pub(crate) maxmemory: u64,
    /// Total memory in system as reported by OS, read once at start-up
    /// (INFO must not need a free fd to report it).
    pub(crate) system_memory_size: usize,
    /// Policy for key eviction: one of MAXMEMORY_*.
    pub(crate) maxmemory_policy: i32,
    /// Precision of random sampling
    pub(crate) maxmemory_samples: i32,
    /// LFU logarithmic counter factor.
    pub(crate) lfu_log_factor: i32,
    /// LFU counter decay factor (minutes per decrement).
    pub(crate) lfu_decay_time: i32,
    /// C's static `EvictionPoolLRU` of evict.c: the candidates for eviction.
    pub(crate) eviction_pool_lru: Vec<crate::evict::EvictionPoolEntry>,
    /// C's static `next_db` of freeMemoryIfNeeded(): the DB the random
    /// policies visit next.
    pub(crate) evict_next_db: u32,
    /// Protocol bulk length maximum size.
    pub(crate) proto_max_bulk_len: i64,
    // Zip structure config, see redis.conf for more information
    pub(crate) hash_max_ziplist_entries: usize,
    pub(crate) hash_max_ziplist_value: usize,
    pub(crate) set_max_intset_entries: usize,
    pub(crate) zset_max_ziplist_entries: usize,
    pub(crate) zset_max_ziplist_value: usize,
    /// hyperloglog.c: a sparse HLL larger than this becomes dense.
    pub(crate) hll_sparse_max_bytes: usize,
    pub(crate) stream_node_max_bytes: usize,
    pub(crate) stream_node_max_entries: i64,
    // List parameters
    pub(crate) list_max_ziplist_size: i32,
    pub(crate) list_compress_depth: i32,
    // Misc
    pub(crate) requirepass: Option<Vec<u8>>,
    /// Do we spend 1 ms every 100 ms rehashing the main dicts?
    pub(crate) activerehashing: bool,
    // Lazy free (lazyfree.c)
    pub(crate) lazyfree_lazy_eviction: bool,
    pub(crate) lazyfree_lazy_expire: bool,
    pub(crate) lazyfree_lazy_server_del: bool,
    // Pubsub
    /// Map channels to list of subscribed clients
    pub(crate) pubsub_channels: HashMap<Vec<u8>, Vec<ClientId>>,
    /// A list of pubsub_patterns
    pub(crate) pubsub_patterns: Vec<crate::pubsub::PubsubPattern>,
    /// Events to propagate via Pub/Sub: NOTIFY_* flags.
    pub(crate) notify_keyspace_events: i32,
    // Time cache
    /// Unix time sampled every cron cycle.
    pub(crate) unixtime: i64,
    /// 'unixtime' in milliseconds.
    pub(crate) mstime: i64,
    /// 'unixtime' in microseconds.
    pub(crate) ustime: i64,
    /// If > 0, expire keys against server.mstime.
    pub(crate) fixed_time_expire: i64,
    // Cron helpers with state kept between calls
    /// activeExpireCycle's resume point, and the fast cycle's bookkeeping.
    pub(crate) expire_current_db: u32,
    pub(crate) expire_timelimit_exit: bool,
    pub(crate) expire_last_fast_cycle: i64,
    /// Keys written with an expire by clients of a writable replica: key
    /// name -> bitmap of the DB ids holding it (C: expire.c's global
    /// slaveKeysWithExpire, NULL until first used).
    pub(crate) slave_keys_with_expire: Option<crate::dict::Dict<Vec<u8>, u64>>,
    /// databasesCron's resume points.
    pub(crate) resize_db: u32,
    pub(crate) rehash_db: u32,
    /// clientsCron's resume point (the next client id to look at).
    pub(crate) clients_cron_next: u64,
    /// sampled in serverCron().
    pub(crate) cron_malloc_stats: MallocStats,
    // Configuration read and written back by config.rs (CONFIG GET/SET/
    // REWRITE). That of subsystems not ported yet is in `unported`.
    /// See SUPERVISED_*
    pub(crate) supervised_mode: i32,
    /// Config: warnings that should be ignored.
    pub(crate) ignore_warnings: Option<String>,
    // AOF persistence (aof.c)
    /// AOF_(ON|OFF|WAIT_REWRITE)
    pub(crate) aof_state: i32,
    /// Kind of fsync() policy
    pub(crate) aof_fsync: i32,
    /// Name of the AOF file
    pub(crate) aof_filename: String,
    /// Don't fsync if a rewrite is in prog.
    pub(crate) aof_no_fsync_on_rewrite: bool,
    /// Rewrite AOF if % growth is > M and...
    pub(crate) aof_rewrite_perc: i32,
    /// the AOF file is at least N bytes.
    pub(crate) aof_rewrite_min_size: i64,
    /// AOF size on latest startup or rewrite.
    pub(crate) aof_rewrite_base_size: i64,
    /// AOF current size.
    pub(crate) aof_current_size: i64,
    /// AOF offset which is already synced to disk.
    pub(crate) aof_fsync_offset: i64,
    /// Rewrite once BGSAVE terminates.
    pub(crate) aof_rewrite_scheduled: bool,
    /// PID if rewriting process
    pub(crate) aof_child_pid: i32,
    /// Hold changes during an AOF rewrite.
    pub(crate) aof_rewrite_buf_blocks:
        std::collections::VecDeque<crate::aof::AofRwBlock>,
    /// AOF buffer, written before entering the event loop
    pub(crate) aof_buf: Vec<u8>,
    /// File descriptor of currently selected AOF file
    pub(crate) aof_fd: std::os::fd::RawFd,
    /// Currently selected DB in AOF
    pub(crate) aof_selected_db: i32,
    /// UNIX time of postponed AOF flush
    pub(crate) aof_flush_postponed_start: i64,
    /// UNIX time of last fsync()
    pub(crate) aof_last_fsync: i64,
    /// Time used by last AOF rewrite run.
    pub(crate) aof_rewrite_time_last: i64,
    /// Current AOF rewrite start time.
    pub(crate) aof_rewrite_time_start: i64,
    /// C_OK or C_ERR
    pub(crate) aof_lastbgrewrite_status: CResult,
    /// delayed AOF fsync() counter
    pub(crate) aof_delayed_fsync: u64,
    /// fsync incrementally while aof rewriting?
    pub(crate) aof_rewrite_incremental_fsync: bool,
    /// C_OK or C_ERR
    pub(crate) aof_last_write_status: CResult,
    /// Valid if aof_last_write_status is ERR
    pub(crate) aof_last_write_errno: i32,
    /// Don't stop on unexpected AOF EOF.
    pub(crate) aof_load_truncated: bool,
    /// Use RDB preamble on AOF rewrites.
    pub(crate) aof_use_rdb_preamble: bool,
    // AOF pipes used to communicate between parent and child during rewrite.
    pub(crate) aof_pipe_write_data_to_child: std::os::fd::RawFd,
    pub(crate) aof_pipe_read_data_from_parent: std::os::fd::RawFd,
    pub(crate) aof_pipe_write_ack_to_parent: std::os::fd::RawFd,
    pub(crate) aof_pipe_read_ack_from_child: std::os::fd::RawFd,
    pub(crate) aof_pipe_write_ack_to_child: std::os::fd::RawFd,
    pub(crate) aof_pipe_read_ack_from_parent: std::os::fd::RawFd,
    /// If true stop sending accumulated diffs to child process.
    pub(crate) aof_stop_sending_diff: bool,
    /// AOF diff accumulator child side. Divergence from C: in a cell, since
    /// the child reads the diff while the dataset is borrowed for writing.
    pub(crate) aof_child_diff: std::cell::RefCell<Vec<u8>>,
    /// When flushAppendOnlyFile last logged a write error (C: its static
    /// `last_write_error_log`).
    pub(crate) aof_last_write_error_log: i64,
    /// Copy on write bytes during AOF rewrite.
    pub(crate) stat_aof_cow_bytes: usize,
    /// Is cluster enabled? (never: cluster.c is not ported)
    pub(crate) cluster_enabled: bool,
    /// Software watchdog period in ms. 0 = off
    pub(crate) watchdog_period: i32,
    /// List of modules to load at startup (their paths).
    pub(crate) loadmodule_queue: Vec<String>,
    /// When securityWarningCommand last logged its warning (unix seconds),
    /// so that it logs at most once a minute. (C: the function's static
    /// `logged_time`)
    pub(crate) security_warning_logged_time: i64,
    // Scripting (scripting.c)
    /// Default replication type.
    pub(crate) lua_always_replicate_commands: bool,
    /// The Lua interpreter. We use just one for all clients.
    pub(crate) lua: Option<crate::scripting::LuaState>,
    /// The "fake client" to query Redis from Lua. Divergence from C: never
    /// in the client table; taken out while `redis.call` runs a command.
    pub(crate) lua_client: Option<Box<Client>>,
    /// The client running EVAL right now, or None.
    pub(crate) lua_caller: Option<ClientId>,
    /// A dictionary of SHA1 -> Lua scripts. Keys are stored lower-case: C
    /// compares them case-insensitively (shaScriptObjectDictType).
    pub(crate) lua_scripts: std::collections::HashMap<Vec<u8>, Vec<u8>>,
    /// Cached scripts' memory + oh
    pub(crate) lua_scripts_mem: usize,
    /// True if random commands were called during the execution of the
    /// current script.
    pub(crate) lua_random_dirty: bool,
    /// True if the script executed write commands.
    pub(crate) lua_write_dirty: bool,
    /// OOM detected when the script started.
    pub(crate) lua_oom: bool,
    /// True if we are doing single commands repl.
    pub(crate) lua_replicate_commands: bool,
    /// True if we already propagated MULTI.
    pub(crate) lua_multi_emitted: bool,
    /// Script replication flags for redis.set_repl().
    pub(crate) lua_repl: i32,
    /// Script timeout in milliseconds
    pub(crate) lua_time_limit: i64,
    /// Start time of script, milliseconds time
    pub(crate) lua_time_start: i64,
    /// True if we reached the time limit for script execution.
    pub(crate) lua_timedout: bool,
    /// Kill the script if true.
    pub(crate) lua_kill: bool,
    /// Accepted, reported, not acted on: see `UnportedConfig`.
    // Slow log (slowlog.c)
    /// SLOWLOG list of commands
    pub(crate) slowlog:
        std::collections::VecDeque<crate::slowlog::SlowlogEntry>,
    /// SLOWLOG current entry ID
    pub(crate) slowlog_entry_id: i64,
    /// SLOWLOG time limit (to get logged)
    pub(crate) slowlog_log_slower_than: i64,
    /// SLOWLOG max number of items logged
    pub(crate) slowlog_max_len: u64,
    // Latency monitor (latency.c)
    /// Latency monitor threshold in milliseconds.
    pub(crate) latency_monitor_threshold: i64,
    /// The latency time series of every event.
    pub(crate) latency_events: crate::latency::LatencyEvents,
    pub(crate) unported: UnportedConfig,
    /// The event trace (`trace-events`, `trace-events-file`). (no C twin)
    pub(crate) trace: crate::trace::Trace,
}

/// Instantaneous metric samples. C: the inst_metric array in redisServer.
pub(crate) const STATS_METRIC_SAMPLES: usize = 16;
pub(crate) const STATS_METRIC_COMMAND: usize = 0;
pub(crate) const STATS_METRIC_NET_INPUT: usize = 1;
pub(crate) const STATS_METRIC_NET_OUTPUT: usize = 2;
pub(crate) const STATS_METRIC_COUNT: usize = 3;

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct InstMetric {
    pub(crate) last_sample_time: i64,
    pub(crate) last_sample_count: i64,
    pub(crate) samples: [i64; STATS_METRIC_SAMPLES],
    pub(crate) idx: usize,
}

/// The server's client data for `ae` (C's `void *clientData`): a client's
/// id, never a pointer, so a handler looks the client up again (it may be
/// gone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum ClientData {
    #[default]
    None,
    Client(ClientId),
}

impl AeContext for RedisServer {
    type ClientData = ClientData;
    fn el(&mut self) -> &mut AeEventLoop<Self> {
        &mut self.el
    }
    #[inline(always)]
    fn trace_on(&self) -> bool {
        self.trace.on
    }
    fn trace_loop(&mut self, rec: &ae::AeLoopTrace<Self>) {
        crate::trace::loop_iteration(self, rec);
    }
    fn trace_flush(&mut self) {
        crate::trace::flush(self);
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
pub(crate) fn server_log_raw(server: &RedisServer, level: i32, msg: &str) {
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
pub(crate) fn ustime() -> i64 {
    // gettimeofday, as C: SystemTime's duration arithmetic cost ~30
    // instructions on each of the two calls call() makes per command.
    let mut tv = libc::timeval { tv_sec: 0, tv_usec: 0 };
    // SAFETY: gettimeofday fills the timeval we own; a null timezone is
    // allowed. It cannot fail with valid pointers.
    unsafe { libc::gettimeofday(&mut tv, std::ptr::null_mut()) };
    tv.tv_sec * 1_000_000 + tv.tv_usec
}

/// Return the UNIX time in milliseconds. C: server.c mstime()
pub(crate) fn mstime() -> i64 {
    ustime() / 1000
}

/// After an RDB dump or AOF rewrite we exit from children using _exit()
/// instead of exit(), because the latter may interact with the same file
/// objects used by the parent process.
///
/// C: server.c exitFromChild()
pub(crate) fn exit_from_child(retcode: i32) -> ! {
    // SAFETY: _exit only ends the process; it runs no destructors and
    // flushes no stdio buffers shared with the parent.
    unsafe { libc::_exit(retcode) }
}

/// The parent's bookkeeping once fork(2) returned: the fork time and rate
/// INFO shows, and the "fork" latency sample. `start` is ustime() taken
/// just before the fork. (no C twin: C repeats these lines in
/// rdbSaveBackground, rdbSaveToSlavesSockets and
/// rewriteAppendOnlyFileBackground)
pub(crate) fn fork_stats(server: &mut RedisServer, start: i64) {
    server.stat_fork_time = ustime() - start;
    // GB per second.
    server.stat_fork_rate = crate::util::zmalloc_used_memory() as f64
        * 1_000_000.0
        / server.stat_fork_time as f64
        / (1024.0 * 1024.0 * 1024.0);
    crate::latency::latency_add_sample_if_needed(
        server,
        "fork",
        server.stat_fork_time / 1000,
    );
}

/// The parent's log line `"<what> started by pid <childpid>"` for a child
/// just forked, and the trace's `fork` event for `job`. (no C twin: C
/// repeats the log line at each fork; the event is the trace's)
pub(crate) fn fork_started(
    server: &RedisServer,
    childpid: i32,
    what: &str,
    job: &str,
) {
    crate::server_log!(
        server,
        LL_NOTICE,
        "{} started by pid {}",
        what,
        childpid
    );
    crate::trace::fork(server, childpid, job, server.stat_fork_time);
}

// ===================================== server.c =====================================
//
// server.c in its own order, one file per section banner.

mod call;
mod commands;
mod cron;
mod init;
mod shutdown;
mod startup;

pub(crate) use call::*;
pub(crate) use commands::*;
pub(crate) use cron::*;
pub use init::*;
pub(crate) use shutdown::*;
pub use startup::*;
