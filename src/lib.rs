//! oxredis: a faithful Rust port of the Redis 5.0 server core and its
//! master/replica replication. Each module ports one C file of Redis
//! 5.0.14 and keeps its function order; see README.md for the map.

#![allow(clippy::too_many_arguments)]
// STYLE.md section 8: every `unsafe` block says why it is sound.
#![warn(clippy::undocumented_unsafe_blocks)]

/// The Redis version we answer as (INFO, the logo, RDB aux fields).
pub const REDIS_VERSION: &str = "5.0.14";

pub mod ae;
pub mod aof;
pub mod bio;
pub mod bitops;
pub mod blocked;
pub mod childinfo;
pub mod config;
pub mod db;
pub mod debug;
pub mod dict;
pub mod evict;
pub mod expire;
pub mod geo;
pub mod geohash;
pub mod geohash_helper;
pub mod hyperloglog;
pub mod intset;
pub mod latency;
pub mod lazyfree;
pub mod listpack;
pub mod long_double;
pub mod lzf;
pub mod multi;
pub mod networking;
pub mod notify;
pub mod object;
pub mod pubsub;
pub mod rand;
pub mod rdb;
pub mod replication;
pub mod rio;
pub mod scripting;
pub mod sds;
pub mod server;
pub mod shared;
pub mod slowlog;
pub mod sort;
pub mod syncio;
pub mod t_hash;
pub mod t_list;
pub mod t_set;
pub mod t_stream;
pub mod t_string;
pub mod t_zset;
pub mod trace;
pub mod util;
pub mod ziplist;
pub mod zipmap;
