//! RDB persistence: the binary dump format, writing it (SAVE, and BGSAVE
//! in a forked child), reading it back at start-up and for DEBUG RELOAD,
//! and the cron work around it (reaping the child, save points).
//!
//! Ports rdb.c and rdb.h from Redis 5.0.14, in the same order, followed by
//! the persistence parts of server.c that C keeps inline in serverCron(),
//! prepareForShutdown() and main() (`server_cron_persistence`,
//! `shutdown_persistence`, `load_data_from_disk`).
//!
//! Read this first:
//! - Files written here are RDB version 9, as 5.0 writes them; files of
//!   versions 1 to 10 are read (10 is what Redis 7.0 writes).
//! - C's loader calls exit(1) from deep inside when a file is corrupt
//!   (rdbExitReportCorruptRDB). Here the load functions return
//!   `RdbLoadError`, which says what was wrong and at which byte, and
//!   `rdb_load_rio` does the logging and the exit in one place, so the
//!   decoding can be tested (and fuzzed) without a process exit. Nothing
//!   read from a file is trusted: every length is checked against what
//!   the file can still hold before anything is allocated for it.
//! - Values are saved in the plain RDB types (list, set, hash, sorted set
//!   with binary scores) where 5.0 dumps its compact in-memory encodings
//!   (quicklist/ziplist/intset blobs): the in-memory encodings of this
//!   port are not byte-compatible ziplists, and the plain types are valid
//!   RDB for every Redis version. Intsets are the exception: they are C's
//!   bytes and are saved as such.
//! - Streams and modules do not exist in this port: a file holding one
//!   stops the load with an error naming the type.

use std::io;

use crate::db::{empty_db, get_expire, EMPTYDB_NO_FLAGS};
use crate::networking::{add_reply, add_reply_error, add_reply_status};
use crate::object::{
    create_intset_object, create_set_object, estimate_object_idle_time,
    fmt_g17, lfu_decr_and_return, ll2string, object_set_lru_or_lfu, string2ll,
    try_object_encoding, RObj, Value, OBJ_ENCODING_HT, OBJ_ENCODING_INTSET,
    OBJ_LIST, OBJ_ZSET,
};
use crate::rio::*;
use crate::server::*;
use crate::server_log;
use crate::t_string::{OK, SYNTAXERR};

// ----------------------------------- rdb.h -----------------------------------

/// The current RDB version. When the format changes in a way that is no
/// longer backward compatible this number gets incremented.
pub const RDB_VERSION: i32 = 9;

/// The newest version the loader accepts. (no C twin: 5.0 loads up to
/// RDB_VERSION; 10 is Redis 7.0's, whose new types are listed below)
pub const RDB_LOAD_MAX_VERSION: i32 = 10;

// Defines related to the dump file format. To store 32 bits lengths for
// short keys requires a lot of space, so we check the most significant 2
// bits of the first byte to interpreter the length:
//
// 00|XXXXXX => if the two MSB are 00 the len is the 6 bits of this byte
// 01|XXXXXX XXXXXXXX =>  01, the len is 14 byes, 6 bits + 8 bits of next byte
// 10|000000 [32 bit integer] => A full 32 bit len in net byte order will follow
// 10|000001 [64 bit integer] => A full 64 bit len in net byte order will follow
// 11|OBKIND this means: specially encoded object will follow. The six bits
//           number specify the kind of object that follows.
//           See the RDB_ENC_* defines.
//
// Lengths up to 63 are stored using a single byte, most DB keys, and may
// values, will fit inside.
pub const RDB_6BITLEN: u8 = 0;
pub const RDB_14BITLEN: u8 = 1;
pub const RDB_32BITLEN: u8 = 0x80;
pub const RDB_64BITLEN: u8 = 0x81;
pub const RDB_ENCVAL: u8 = 3;
pub const RDB_LENERR: u64 = u64::MAX;

// When a length of a string object stored on disk has the first two bits
// set, the remaining six bits specify a special encoding for the object
// accordingly to the following defines:
/// 8 bit signed integer
pub const RDB_ENC_INT8: u8 = 0;
/// 16 bit signed integer
pub const RDB_ENC_INT16: u8 = 1;
/// 32 bit signed integer
pub const RDB_ENC_INT32: u8 = 2;
/// string compressed with FASTLZ
pub const RDB_ENC_LZF: u8 = 3;

// Map object types to RDB object types. Macros starting with OBJ_ are for
// memory storage and may change. Instead RDB types must be fixed because
// we store them on disk.
pub const RDB_TYPE_STRING: u8 = 0;
pub const RDB_TYPE_LIST: u8 = 1;
pub const RDB_TYPE_SET: u8 = 2;
pub const RDB_TYPE_ZSET: u8 = 3;
pub const RDB_TYPE_HASH: u8 = 4;
/// ZSET version 2 with doubles stored in binary.
pub const RDB_TYPE_ZSET_2: u8 = 5;
pub const RDB_TYPE_MODULE: u8 = 6;
/// Module value with annotations for parsing without the generating
/// module being loaded.
pub const RDB_TYPE_MODULE_2: u8 = 7;

// Object types for encoded objects.
pub const RDB_TYPE_HASH_ZIPMAP: u8 = 9;
pub const RDB_TYPE_LIST_ZIPLIST: u8 = 10;
pub const RDB_TYPE_SET_INTSET: u8 = 11;
pub const RDB_TYPE_ZSET_ZIPLIST: u8 = 12;
pub const RDB_TYPE_HASH_ZIPLIST: u8 = 13;
pub const RDB_TYPE_LIST_QUICKLIST: u8 = 14;
pub const RDB_TYPE_STREAM_LISTPACKS: u8 = 15;

// The types Redis 7.0 (RDB version 10) added. (no C twin: rdb.h of 7.0)
pub const RDB_TYPE_HASH_LISTPACK: u8 = 16;
pub const RDB_TYPE_ZSET_LISTPACK: u8 = 17;
pub const RDB_TYPE_LIST_QUICKLIST_2: u8 = 18;
pub const RDB_TYPE_STREAM_LISTPACKS_2: u8 = 19;

/// Test if a type is an object type.
///
/// C: rdb.h rdbIsObjectType()
pub fn rdb_is_object_type(t: i32) -> bool {
    (0..=7).contains(&t) || (9..=15).contains(&t)
}

// Special RDB opcodes (saved/loaded with rdbSaveType/rdbLoadType).
/// Redis 7.0's function library. (no C twin: 7.0)
pub const RDB_OPCODE_FUNCTION2: u8 = 245;
/// Redis 7.0 release candidates' function library. (no C twin: 7.0)
pub const RDB_OPCODE_FUNCTION: u8 = 246;
/// Module auxiliary data.
pub const RDB_OPCODE_MODULE_AUX: u8 = 247;
/// LRU idle time.
pub const RDB_OPCODE_IDLE: u8 = 248;
/// LFU frequency.
pub const RDB_OPCODE_FREQ: u8 = 249;
/// RDB aux field.
pub const RDB_OPCODE_AUX: u8 = 250;
/// Hash table resize hint.
pub const RDB_OPCODE_RESIZEDB: u8 = 251;
/// Expire time in milliseconds.
pub const RDB_OPCODE_EXPIRETIME_MS: u8 = 252;
/// Old expire time in seconds.
pub const RDB_OPCODE_EXPIRETIME: u8 = 253;
/// DB number of the following keys.
pub const RDB_OPCODE_SELECTDB: u8 = 254;
/// End of the RDB file.
pub const RDB_OPCODE_EOF: u8 = 255;

// Module serialized values sub opcodes
pub const RDB_MODULE_OPCODE_EOF: u64 = 0;
pub const RDB_MODULE_OPCODE_SINT: u64 = 1;
pub const RDB_MODULE_OPCODE_UINT: u64 = 2;
pub const RDB_MODULE_OPCODE_FLOAT: u64 = 3;
pub const RDB_MODULE_OPCODE_DOUBLE: u64 = 4;
pub const RDB_MODULE_OPCODE_STRING: u64 = 5;

// rdbLoad...() functions flags. Divergence from C: the string loaders
// return bytes (`Vec<u8>`) for PLAIN and SDS alike and an `RObj` for ENC,
// so the flags only survive as names.
pub const RDB_LOAD_NONE: i32 = 0;
pub const RDB_LOAD_ENC: i32 = 1 << 0;
pub const RDB_LOAD_PLAIN: i32 = 1 << 1;
pub const RDB_LOAD_SDS: i32 = 1 << 2;

pub const RDB_SAVE_NONE: i32 = 0;
pub const RDB_SAVE_AOF_PREAMBLE: i32 = 1 << 0;

// ------------------------- server.h: RDB related state -------------------------

/// The kind of child in `server.rdb_child_type`.
pub const RDB_CHILD_TYPE_NONE: i32 = 0;
/// RDB is written to disk.
pub const RDB_CHILD_TYPE_DISK: i32 = 1;
/// RDB is written to slave socket.
pub const RDB_CHILD_TYPE_SOCKET: i32 = 2;

/// Wait a few secs before trying again after a failed BGSAVE.
pub const CONFIG_BGSAVE_RETRY_DELAY: i64 = 5;

/// The length of the random mark around a diskless payload.
pub const RDB_EOF_MARK_SIZE: usize = 40;

/// This structure can be optionally passed to RDB save/load functions in
/// order to implement additional functionalities, by storing and loading
/// metadata to the RDB file. For example, to use select a DB at load time,
/// useful in replication in order to make sure that chained slaves (slaves
/// of slaves) select the correct DB and are able to accept the stream
/// coming from the top-level master.
///
/// C: server.h rdbSaveInfo
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RdbSaveInfo {
    /// DB to select in server.master client. (Used saving and loading.)
    pub repl_stream_db: i32,
    /// True if repl_id field is set. (Used only loading.)
    pub repl_id_is_set: bool,
    /// Replication ID.
    pub repl_id: [u8; 40],
    /// Replication offset.
    pub repl_offset: i64,
}

/// C: server.h RDB_SAVE_INFO_INIT
pub const RDB_SAVE_INFO_INIT: RdbSaveInfo = RdbSaveInfo {
    repl_stream_db: -1,
    repl_id_is_set: false,
    repl_id: [b'0'; 40],
    repl_offset: -1,
};

// ------------------------------ load errors ------------------------------

/// Why a load stopped. C either returns C_ERR with errno set (the caller
/// decides what to do), or calls exit(1) on the spot after logging; the
/// second kind is `Corrupt` and `Fatal` here, and `rdb_load_rio` is where
/// the process exits for them. (no C twin)
#[derive(Debug)]
pub enum RdbLoadError {
    /// C_ERR with errno: the file could not be opened, or is not an RDB
    /// file we can read (bad signature or version: EINVAL).
    Err(io::Error),
    /// rdbExitReportCorruptRDB(): the file is damaged or lies.
    Corrupt(RdbCorruption),
    /// A serverLog() plus exit(1) that is not a corruption report (too
    /// many databases, module data): the message, as C logs it.
    Fatal(String),
    /// An empty collection: the key is skipped (Redis 7.0's
    /// RDB_LOAD_ERR_EMPTY_KEY), see rdb_load_object().
    EmptyKey,
}

/// Where and how a file turned out to be damaged. (no C twin)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RdbCorruption {
    /// The reason, as C's rdbExitReportCorruptRDB() formats it.
    pub reason: String,
    /// Bytes of the file read before the problem was found.
    pub offset: usize,
    /// The line in this file that found it (C reports its rdb.c line).
    pub line: u32,
    /// C's `eoferr` label: logs "Short read or OOM loading DB..." first.
    pub short_read: bool,
}

/// The result of the load functions.
pub type RdbResult<T> = Result<T, RdbLoadError>;

/// A corruption report at the current position of `rdb`.
macro_rules! rdb_corrupt {
    ($rdb:expr, $($arg:tt)*) => {
        RdbLoadError::Corrupt(RdbCorruption {
            reason: format!($($arg)*),
            offset: $rdb.processed_bytes,
            line: line!(),
            short_read: false,
        })
    };
}

/// C's `goto eoferr`: the file ended (or a read failed) where more data
/// had to be. (no C twin)
fn rdb_eof(rdb: &Rio) -> RdbLoadError {
    RdbLoadError::Corrupt(RdbCorruption {
        reason: "Unexpected EOF reading RDB file".to_string(),
        offset: rdb.processed_bytes,
        line: line!(),
        short_read: true,
    })
}

// ----------------------------------- rdb.c -----------------------------------

/// Logs what is wrong with the file being loaded and exits: C's
/// rdbExitReportCorruptRDB() (with the eoferr line first when the file
/// ended early), and the plain log-and-exit(1) paths.
///
/// Divergence from C: C then runs redis-check-rdb on the file to print a
/// report; here the report is the byte offset, given in the same line.
///
/// C: rdb.c rdbCheckThenExit()
pub fn rdb_check_then_exit(server: &RedisServer, err: &RdbLoadError) -> ! {
    match err {
        RdbLoadError::Corrupt(c) => {
            if c.short_read {
                server_log!(
                    server,
                    LL_WARNING,
                    "Short read or OOM loading DB. Unrecoverable error, aborting now."
                );
            }
            server_log!(
                server,
                LL_WARNING,
                "Internal error in RDB reading function at rdb.rs:{} -> {} (at byte offset {} of the RDB file '{}')",
                c.line,
                c.reason,
                c.offset,
                server.rdb_filename
            );
        }
        RdbLoadError::Fatal(msg) => server_log!(server, LL_WARNING, "{}", msg),
        RdbLoadError::Err(e) => {
            server_log!(server, LL_WARNING, "{}", crate::util::strerror(e))
        }
        RdbLoadError::EmptyKey => {
            server_log!(server, LL_WARNING, "Empty key in RDB file")
        }
    }
    std::process::exit(1);
}

/// Writes raw bytes; returns how many.
///
/// C: rdb.c rdbWriteRaw()
fn rdb_write_raw(rdb: &mut Rio, p: &[u8]) -> io::Result<usize> {
    rio_write(rdb, p)?;
    Ok(p.len())
}

/// This is just a wrapper for the low level function rioRead() that turns
/// a short read into a corruption report.
///
/// C: rdb.c rdbLoadRaw()
pub fn rdb_load_raw(rdb: &mut Rio, buf: &mut [u8]) -> RdbResult<()> {
    if rio_read(rdb, buf).is_err() {
        return Err(rdb_corrupt!(
            rdb,
            "Impossible to read {} bytes in rdbLoadRaw()",
            buf.len()
        ));
    }
    Ok(())
}

/// C: rdb.c rdbSaveType()
pub fn rdb_save_type(rdb: &mut Rio, t: u8) -> io::Result<usize> {
    rdb_write_raw(rdb, &[t])
}

/// Load a "type" in RDB format, that is a one byte unsigned integer. This
/// function is not only used to load object types, but also special
/// "types" like the end-of-file type, the EXPIRE type, and so forth.
///
/// C: rdb.c rdbLoadType()
pub fn rdb_load_type(rdb: &mut Rio) -> RdbResult<u8> {
    let mut t = [0u8; 1];
    if rio_read(rdb, &mut t).is_err() {
        return Err(rdb_eof(rdb));
    }
    Ok(t[0])
}

/// This is only used to load old databases stored with the
/// RDB_OPCODE_EXPIRETIME opcode. New versions of Redis store using the
/// RDB_OPCODE_EXPIRETIME_MS opcode.
///
/// C: rdb.c rdbLoadTime()
pub fn rdb_load_time(rdb: &mut Rio) -> RdbResult<i64> {
    let mut t32 = [0u8; 4];
    rdb_load_raw(rdb, &mut t32)?;
    // Divergence from C: C reads the int32 in the machine's byte order;
    // little endian is what every file from a little endian machine has.
    Ok(i32::from_le_bytes(t32) as i64)
}

/// Saves a millisecond unix time as 8 bytes, little endian.
///
/// C: rdb.c rdbSaveMillisecondTime()
pub fn rdb_save_millisecond_time(rdb: &mut Rio, t: i64) -> io::Result<usize> {
    rdb_write_raw(rdb, &t.to_le_bytes()) // Store in little endian.
}

/// This function loads a time from the RDB file. Before RDB version 9 C
/// wrote the machine's byte order (so little endian on every machine this
/// runs on); from version 9 it is little endian by definition.
///
/// C: rdb.c rdbLoadMillisecondTime()
pub fn rdb_load_millisecond_time(
    rdb: &mut Rio,
    _rdbver: i32,
) -> RdbResult<i64> {
    let mut t64 = [0u8; 8];
    rdb_load_raw(rdb, &mut t64)?;
    Ok(i64::from_le_bytes(t64))
}

/// Saves an encoded length. The first two bits in the first byte are used
/// to hold the encoding type. See the RDB_* definitions for more
/// information on the types of encoding.
///
/// C: rdb.c rdbSaveLen()
pub fn rdb_save_len(rdb: &mut Rio, len: u64) -> io::Result<usize> {
    if len < (1 << 6) {
        // Save a 6 bit len
        rdb_write_raw(rdb, &[(len as u8) | (RDB_6BITLEN << 6)])
    } else if len < (1 << 14) {
        // Save a 14 bit len
        rdb_write_raw(
            rdb,
            &[((len >> 8) as u8) | (RDB_14BITLEN << 6), len as u8],
        )
    } else if len <= u32::MAX as u64 {
        // Save a 32 bit len
        let mut buf = [0u8; 5];
        buf[0] = RDB_32BITLEN;
        buf[1..].copy_from_slice(&(len as u32).to_be_bytes());
        rdb_write_raw(rdb, &buf)
    } else {
        // Save a 64 bit len
        let mut buf = [0u8; 9];
        buf[0] = RDB_64BITLEN;
        buf[1..].copy_from_slice(&len.to_be_bytes());
        rdb_write_raw(rdb, &buf)
    }
}

/// How many bytes rdb_save_len() takes for `len`. (no C twin: C runs
/// rdbSaveLen with a NULL rio)
pub fn rdb_save_len_size(len: u64) -> usize {
    if len < (1 << 6) {
        1
    } else if len < (1 << 14) {
        2
    } else if len <= u32::MAX as u64 {
        5
    } else {
        9
    }
}

/// Load an encoded length. Returns the length and whether it is one: if
/// the loaded length describes a special encoding that follows, the second
/// value is true and the first is the encoding format (see RDB_ENC_*).
///
/// C: rdb.c rdbLoadLenByRef()
pub fn rdb_load_len_by_ref(rdb: &mut Rio) -> RdbResult<(u64, bool)> {
    let mut buf = [0u8; 8];
    if rio_read(rdb, &mut buf[..1]).is_err() {
        return Err(rdb_eof(rdb));
    }
    let t = (buf[0] & 0xC0) >> 6;
    if t == RDB_ENCVAL {
        // Read a 6 bit encoding type.
        Ok(((buf[0] & 0x3F) as u64, true))
    } else if t == RDB_6BITLEN {
        // Read a 6 bit len.
        Ok(((buf[0] & 0x3F) as u64, false))
    } else if t == RDB_14BITLEN {
        // Read a 14 bit len.
        let first = buf[0];
        if rio_read(rdb, &mut buf[..1]).is_err() {
            return Err(rdb_eof(rdb));
        }
        Ok(((((first & 0x3F) as u64) << 8) | buf[0] as u64, false))
    } else if buf[0] == RDB_32BITLEN {
        // Read a 32 bit len.
        if rio_read(rdb, &mut buf[..4]).is_err() {
            return Err(rdb_eof(rdb));
        }
        Ok((u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) as u64, false))
    } else if buf[0] == RDB_64BITLEN {
        // Read a 64 bit len.
        if rio_read(rdb, &mut buf).is_err() {
            return Err(rdb_eof(rdb));
        }
        Ok((u64::from_be_bytes(buf), false))
    } else {
        Err(rdb_corrupt!(rdb, "Unknown length encoding {} in rdbLoadLen()", t))
    }
}

/// This is like rdbLoadLenByRef() but returns just the value read; when
/// `isencoded` is given it is set as rdbLoadLenByRef() sets it.
///
/// C: rdb.c rdbLoadLen()
pub fn rdb_load_len(
    rdb: &mut Rio,
    isencoded: Option<&mut bool>,
) -> RdbResult<u64> {
    let (len, enc) = rdb_load_len_by_ref(rdb)?;
    if let Some(e) = isencoded {
        *e = enc;
    }
    Ok(len)
}

/// A length read from the file, as a size hint that cannot make us
/// allocate more than the file could describe: every element takes at
/// least one byte, so a hint larger than the bytes left is a lie and is
/// cut down. (no C twin: C trusts the file)
fn rdb_len_hint(rdb: &Rio, len: u64) -> usize {
    let left = rio_remaining(rdb).unwrap_or(1 << 20);
    len.min(left) as usize
}

/// Encodes the "value" argument as integer when it fits in the supported
/// ranges for encoded types. If the function successfully encodes the
/// integer, the representation is stored in the buffer pointed to by
/// "enc" and the string length is returned. Otherwise 0 is returned.
///
/// C: rdb.c rdbEncodeInteger()
pub fn rdb_encode_integer(value: i64, enc: &mut [u8; 5]) -> usize {
    if (-(1 << 7)..(1 << 7)).contains(&value) {
        enc[0] = (RDB_ENCVAL << 6) | RDB_ENC_INT8;
        enc[1] = value as u8;
        2
    } else if (-(1 << 15)..(1 << 15)).contains(&value) {
        enc[0] = (RDB_ENCVAL << 6) | RDB_ENC_INT16;
        enc[1..3].copy_from_slice(&(value as i16).to_le_bytes());
        3
    } else if (-(1i64 << 31)..(1i64 << 31)).contains(&value) {
        enc[0] = (RDB_ENCVAL << 6) | RDB_ENC_INT32;
        enc[1..5].copy_from_slice(&(value as i32).to_le_bytes());
        5
    } else {
        0
    }
}

/// Loads an integer-encoded object with the specified encoding type
/// "enctype". Returns the integer; the callers turn it into the string or
/// object they need.
///
/// C: rdb.c rdbLoadIntegerObject()
pub fn rdb_load_integer_object(rdb: &mut Rio, enctype: u8) -> RdbResult<i64> {
    let mut enc = [0u8; 4];
    let val = if enctype == RDB_ENC_INT8 {
        if rio_read(rdb, &mut enc[..1]).is_err() {
            return Err(rdb_eof(rdb));
        }
        enc[0] as i8 as i64
    } else if enctype == RDB_ENC_INT16 {
        if rio_read(rdb, &mut enc[..2]).is_err() {
            return Err(rdb_eof(rdb));
        }
        i16::from_le_bytes([enc[0], enc[1]]) as i64
    } else if enctype == RDB_ENC_INT32 {
        if rio_read(rdb, &mut enc).is_err() {
            return Err(rdb_eof(rdb));
        }
        i32::from_le_bytes(enc) as i64
    } else {
        return Err(rdb_corrupt!(
            rdb,
            "Unknown RDB integer encoding type {}",
            enctype
        ));
    };
    Ok(val)
}

/// String objects in the form "2391" "-100" without any space and with a
/// range of values that can fit in an 8, 16 or 32 bit signed value can be
/// encoded as integers to save space.
///
/// C: rdb.c rdbTryIntegerEncoding()
pub fn rdb_try_integer_encoding(s: &[u8], enc: &mut [u8; 5]) -> usize {
    // Check if it's possible to encode this value as a number; if the
    // number converted back into a string is not identical then it's not
    // possible to encode the string as integer.
    match string2ll(s) {
        Some(value) if ll2string(value) == s => rdb_encode_integer(value, enc),
        _ => 0,
    }
}

// ------------------------- lzf_c.c: the compressor -------------------------

/// Size of the compressor's hash table, as log2 (lzfP.h HLOG).
const LZF_HLOG: u32 = 16;
const LZF_HSIZE: usize = 1 << LZF_HLOG;
const LZF_MAX_LIT: usize = 1 << 5;
const LZF_MAX_OFF: usize = 1 << 13;
const LZF_MAX_REF: usize = (1 << 8) + (1 << 3);

/// The hash table of `lzf_compress`, kept by the rio for the whole save so
/// it is allocated once, not once per string. Each slot holds the
/// position it saw tagged with the number of the call that stored it, so
/// a new call starts with an (in effect) empty table without clearing
/// 64K slots. (no C twin: liblzf keeps the table on the C stack and,
/// with INIT_HTAB 0, does not clear it either)
pub struct LzfState {
    htab: Vec<u64>,
    gen: u64,
}

impl LzfState {
    pub fn new() -> LzfState {
        LzfState { htab: vec![0; LZF_HSIZE], gen: 0 }
    }

    /// A new call: every slot stored before is now empty.
    fn begin(&mut self) {
        self.gen += 1;
        if self.gen > u32::MAX as u64 {
            self.htab.iter_mut().for_each(|s| *s = 0);
            self.gen = 1;
        }
    }

    fn get(&self, slot: usize) -> Option<usize> {
        let e = self.htab[slot];
        (e >> 32 == self.gen).then_some((e & 0xffff_ffff) as usize)
    }

    fn set(&mut self, slot: usize, pos: usize) {
        self.htab[slot] = (self.gen << 32) | pos as u64;
    }
}

impl Default for LzfState {
    fn default() -> Self {
        Self::new()
    }
}

/// C: lzf_c.c FRST()
fn lzf_frst(p: &[u8], i: usize) -> u32 {
    ((p[i] as u32) << 8) | p[i + 1] as u32
}

/// C: lzf_c.c NEXT()
fn lzf_next(v: u32, p: &[u8], i: usize) -> u32 {
    (v << 8) | p[i + 2] as u32
}

/// C: lzf_c.c IDX() (the VERY_FAST variant Redis builds)
fn lzf_idx(h: u32) -> usize {
    ((h >> (3 * 8 - LZF_HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize)
        & (LZF_HSIZE - 1)
}

/// Compressed data of `in_data` if it fits in `out_len` bytes, else
/// `None`, exactly as liblzf (VERY_FAST, HLOG 16) with a cleared table
/// computes it.
///
/// Divergence from C: DESIGN.md has LZF come from the `lzf` crate; its
/// decompressor is used, but its compressor allocates and zeroes a 512 KB
/// table for every string, which made SAVE several times slower than
/// Redis on values over 20 bytes. This port keeps one table per save
/// (`LzfState`).
///
/// C: lzf_c.c lzf_compress()
pub fn lzf_compress(
    state: &mut LzfState,
    in_data: &[u8],
    out_len: usize,
) -> Option<Vec<u8>> {
    let in_len = in_data.len();
    if in_len == 0 || out_len == 0 || in_len > u32::MAX as usize {
        return None;
    }
    state.begin();
    // A little slack past out_end: the checks below keep `op` within
    // out_len as in C, the slack only turns a mistake into a wrong
    // length instead of a panic.
    let mut out = vec![0u8; out_len + 16];
    let out_end = out_len;
    let mut ip = 0usize;
    let mut lit = 0usize;
    let mut op = 1usize; // start run
    let mut hval = if in_len >= 2 { lzf_frst(in_data, ip) } else { 0 };

    while in_len > 2 && ip < in_len - 2 {
        hval = lzf_next(hval, in_data, ip);
        let slot = lzf_idx(hval);
        let r = state.get(slot);
        state.set(slot, ip);
        let m = match r {
            Some(rf)
                if rf < ip
                    && ip - rf - 1 < LZF_MAX_OFF
                    && rf > 0
                    && in_data[rf + 2] == in_data[ip + 2]
                    && in_data[rf] == in_data[ip]
                    && in_data[rf + 1] == in_data[ip + 1] =>
            {
                Some(rf)
            }
            _ => None,
        };
        if let Some(rf) = m {
            // match found at *ref++
            let off = ip - rf - 1;
            let mut len = 2usize;
            let maxlen = (in_len - ip - len).min(LZF_MAX_REF);

            // first a faster conservative test, then the exact but rare one
            if op + 3 + 1 >= out_end
                && op - (lit == 0) as usize + 3 + 1 >= out_end
            {
                return None;
            }
            out[op - lit - 1] = (lit as u8).wrapping_sub(1); // stop run
            op -= (lit == 0) as usize; // undo run if length is zero

            'scan: {
                if maxlen > 16 {
                    for _ in 0..16 {
                        len += 1;
                        if in_data[rf + len] != in_data[ip + len] {
                            break 'scan;
                        }
                    }
                }
                loop {
                    len += 1;
                    if !(len < maxlen && in_data[rf + len] == in_data[ip + len])
                    {
                        break;
                    }
                }
            }

            len -= 2; // len is now #octets - 1
            ip += 1;

            if len < 7 {
                out[op] = ((off >> 8) + (len << 5)) as u8;
                op += 1;
            } else {
                out[op] = ((off >> 8) + (7 << 5)) as u8;
                out[op + 1] = (len - 7) as u8;
                op += 2;
            }
            out[op] = off as u8;
            op += 1;
            lit = 0;
            op += 1; // start run

            ip += len + 1;
            if ip >= in_len - 2 {
                break;
            }
            ip -= 2;
            hval = lzf_frst(in_data, ip);
            hval = lzf_next(hval, in_data, ip);
            state.set(lzf_idx(hval), ip);
            ip += 1;
            hval = lzf_next(hval, in_data, ip);
            state.set(lzf_idx(hval), ip);
            ip += 1;
        } else {
            // one more literal byte we must copy
            if op >= out_end {
                return None;
            }
            lit += 1;
            out[op] = in_data[ip];
            op += 1;
            ip += 1;
            if lit == LZF_MAX_LIT {
                out[op - lit - 1] = (lit - 1) as u8; // stop run
                lit = 0;
                op += 1; // start run
            }
        }
    }

    if op + 3 > out_end {
        // at most 3 bytes can be missing here
        return None;
    }
    while ip < in_len {
        lit += 1;
        out[op] = in_data[ip];
        op += 1;
        ip += 1;
        if lit == LZF_MAX_LIT {
            out[op - lit - 1] = (lit - 1) as u8; // stop run
            lit = 0;
            op += 1; // start run
        }
    }
    out[op - lit - 1] = (lit as u8).wrapping_sub(1); // end run
    op -= (lit == 0) as usize; // undo run if length is zero
    if op > out_len {
        return None;
    }
    out.truncate(op);
    Some(out)
}

// ----------------------------------- rdb.c (continued) -----------------------------------

/// Saves an LZF compressed blob: the encoding byte, the compressed and
/// the original lengths, the data.
///
/// C: rdb.c rdbSaveLzfBlob()
pub fn rdb_save_lzf_blob(
    rdb: &mut Rio,
    data: &[u8],
    original_len: usize,
) -> io::Result<usize> {
    // Data compressed! Let's save it on disk
    let mut nwritten = rdb_write_raw(rdb, &[(RDB_ENCVAL << 6) | RDB_ENC_LZF])?;
    nwritten += rdb_save_len(rdb, data.len() as u64)?;
    nwritten += rdb_save_len(rdb, original_len as u64)?;
    nwritten += rdb_write_raw(rdb, data)?;
    Ok(nwritten)
}

/// Saves `s` LZF compressed if that saves at least four bytes; returns 0
/// (and writes nothing) if it does not.
///
/// C: rdb.c rdbSaveLzfStringObject()
pub fn rdb_save_lzf_string_object(
    rdb: &mut Rio,
    s: &[u8],
) -> io::Result<usize> {
    // We require at least four bytes compression for this to be worth it
    let len = s.len();
    if len <= 4 {
        return Ok(0);
    }
    let outlen = len - 4;
    let state = rdb.lzf.get_or_insert_with(|| Box::new(LzfState::new()));
    match lzf_compress(state, s, outlen) {
        Some(out) if !out.is_empty() => rdb_save_lzf_blob(rdb, &out, len),
        _ => Ok(0),
    }
}

/// Load an LZF compressed string in RDB format.
///
/// C: rdb.c rdbLoadLzfStringObject()
pub fn rdb_load_lzf_string_object(rdb: &mut Rio) -> RdbResult<Vec<u8>> {
    let clen = rdb_load_len(rdb, None)?;
    let len = rdb_load_len(rdb, None)?;
    // An LZF back reference of 3 bytes stands for at most 264 bytes, so a
    // claimed size far above that ratio is a lie; refuse it before
    // allocating for it (C allocates whatever the file says).
    if len > clen.saturating_mul(264).saturating_add(32)
        || len > usize::MAX as u64
    {
        return Err(rdb_corrupt!(
            rdb,
            "Invalid LZF compressed string (compressed {} bytes, claims {} bytes)",
            clen,
            len
        ));
    }
    // Load the compressed representation and uncompress it to target.
    let c = match rio_read_vec(rdb, clen as usize) {
        Ok(c) => c,
        Err(_) => return Err(rdb_eof(rdb)),
    };
    match lzf::decompress(&c, len as usize) {
        // Divergence from C: C accepts an output shorter than announced
        // (its tail is then uninitialized memory); we require the length.
        Ok(val) if val.len() as u64 == len => Ok(val),
        _ if len == 0 && clen == 0 => Ok(Vec::new()),
        _ => Err(rdb_corrupt!(rdb, "Invalid LZF compressed string")),
    }
}

/// Save a string object as [len][data] on disk. If the object is a string
/// representation of an integer value we try to save it in a special form.
///
/// C: rdb.c rdbSaveRawString()
pub fn rdb_save_raw_string(
    server: &RedisServer,
    rdb: &mut Rio,
    s: &[u8],
) -> io::Result<usize> {
    let len = s.len();
    // Try integer encoding
    if len <= 11 {
        let mut buf = [0u8; 5];
        let enclen = rdb_try_integer_encoding(s, &mut buf);
        if enclen > 0 {
            return rdb_write_raw(rdb, &buf[..enclen]);
        }
    }

    // Try LZF compression - under 20 bytes it's unable to compress even
    // aaaaaaaaaaaaaaaaaa so skip it
    if server.rdb_compression && len > 20 {
        let n = rdb_save_lzf_string_object(rdb, s)?;
        if n > 0 {
            return Ok(n);
        }
        // Return value of 0 means data can't be compressed, save the old way
    }

    // Store verbatim
    let mut nwritten = rdb_save_len(rdb, len as u64)?;
    if len > 0 {
        nwritten += rdb_write_raw(rdb, s)?;
    }
    Ok(nwritten)
}

/// Save a long long value as either an encoded string or a string.
///
/// C: rdb.c rdbSaveLongLongAsStringObject()
pub fn rdb_save_long_long_as_string_object(
    rdb: &mut Rio,
    value: i64,
) -> io::Result<usize> {
    let mut buf = [0u8; 5];
    let enclen = rdb_encode_integer(value, &mut buf);
    if enclen > 0 {
        rdb_write_raw(rdb, &buf[..enclen])
    } else {
        // Encode as string
        let s = ll2string(value);
        let mut nwritten = rdb_save_len(rdb, s.len() as u64)?;
        nwritten += rdb_write_raw(rdb, &s)?;
        Ok(nwritten)
    }
}

/// Like rdbSaveRawString() gets a Redis object instead.
///
/// C: rdb.c rdbSaveStringObject()
pub fn rdb_save_string_object(
    server: &RedisServer,
    rdb: &mut Rio,
    obj: &RObj,
) -> io::Result<usize> {
    // Avoid to decode the object, then encode it again, if the object is
    // already integer encoded.
    match &obj.ptr {
        Value::Int(v) => rdb_save_long_long_as_string_object(rdb, *v),
        Value::Str(s) => rdb_save_raw_string(server, rdb, s),
        _ => panic!("rdbSaveStringObject on a value that is not a string"),
    }
}

/// Load a string from an RDB file: a plain one, an integer encoded one
/// (rendered as its decimal text) or an LZF compressed one. On I/O error
/// or a damaged string an error is returned.
///
/// C: rdb.c rdbGenericLoadStringObject()
pub fn rdb_generic_load_string_object(rdb: &mut Rio) -> RdbResult<Vec<u8>> {
    let mut isencoded = false;
    let len = rdb_load_len(rdb, Some(&mut isencoded))?;
    if isencoded {
        return match len as u8 {
            RDB_ENC_INT8 | RDB_ENC_INT16 | RDB_ENC_INT32 => {
                Ok(ll2string(rdb_load_integer_object(rdb, len as u8)?))
            }
            RDB_ENC_LZF => rdb_load_lzf_string_object(rdb),
            _ => Err(rdb_corrupt!(
                rdb,
                "Unknown RDB string encoding type {}",
                len
            )),
        };
    }
    if len > usize::MAX as u64 {
        return Err(rdb_eof(rdb));
    }
    match rio_read_vec(rdb, len as usize) {
        Ok(v) => Ok(v),
        Err(_) => Err(rdb_eof(rdb)),
    }
}

/// C: rdb.c rdbLoadStringObject()
pub fn rdb_load_string_object(rdb: &mut Rio) -> RdbResult<Vec<u8>> {
    rdb_generic_load_string_object(rdb)
}

/// A string value, encoded to save memory (integers, embstr) as
/// tryObjectEncoding() would.
///
/// C: rdb.c rdbLoadEncodedStringObject()
pub fn rdb_load_encoded_string_object(
    server: &RedisServer,
    rdb: &mut Rio,
) -> RdbResult<RObj> {
    Ok(try_object_encoding(
        server.lruclock,
        rdb_generic_load_string_object(rdb)?,
    ))
}

/// Save a double value. Doubles are saved as strings prefixed by an
/// unsigned 8 bit integer specifying the length of the representation.
/// This 8 bit integer has special values in order to specify the following
/// conditions:
/// 253: not a number
/// 254: + inf
/// 255: - inf
///
/// C: rdb.c rdbSaveDoubleValue()
pub fn rdb_save_double_value(rdb: &mut Rio, val: f64) -> io::Result<usize> {
    let mut buf = Vec::with_capacity(32);
    if val.is_nan() {
        buf.push(253);
    } else if !val.is_finite() {
        buf.push(if val < 0.0 { 255 } else { 254 });
    } else {
        // Check if the float is in a safe range to be casted into a long
        // long. Under the assumption that double has a 52 bit mantissa, a
        // value in this interval whose integer cast converts back to it has
        // no decimal part, and the integer printing function is faster.
        let min = -4503599627370495.0; // (2^52)-1
        let max = 4503599627370496.0; // -(2^52)
        let s = if val > min && val < max && val == (val as i64) as f64 {
            ll2string(val as i64)
        } else {
            fmt_g17(val).into_bytes()
        };
        buf.push(s.len() as u8);
        buf.extend_from_slice(&s);
    }
    rdb_write_raw(rdb, &buf)
}

/// For information about double serialization check rdbSaveDoubleValue()
///
/// C: rdb.c rdbLoadDoubleValue()
pub fn rdb_load_double_value(rdb: &mut Rio) -> RdbResult<f64> {
    let mut len = [0u8; 1];
    if rio_read(rdb, &mut len).is_err() {
        return Err(rdb_eof(rdb));
    }
    match len[0] {
        255 => Ok(f64::NEG_INFINITY),
        254 => Ok(f64::INFINITY),
        253 => Ok(f64::NAN),
        n => {
            let mut buf = vec![0u8; n as usize];
            if rio_read(rdb, &mut buf).is_err() {
                return Err(rdb_eof(rdb));
            }
            // C: sscanf(buf, "%lg", val)
            let r = crate::object::strtod(&buf);
            if r.consumed == 0 {
                return Err(rdb_corrupt!(
                    rdb,
                    "Unreadable double value '{}'",
                    String::from_utf8_lossy(&buf)
                ));
            }
            Ok(r.value)
        }
    }
}

/// Saves a double for RDB 8 or greater, where IE754 binary64 format is
/// assumed. We just make sure the integer is always stored in little
/// endian, otherwise the value is copied verbatim from memory to disk.
///
/// C: rdb.c rdbSaveBinaryDoubleValue()
pub fn rdb_save_binary_double_value(
    rdb: &mut Rio,
    val: f64,
) -> io::Result<usize> {
    rdb_write_raw(rdb, &val.to_le_bytes())
}

/// Loads a double from RDB 8 or greater. See rdbSaveBinaryDoubleValue()
/// for more info.
///
/// C: rdb.c rdbLoadBinaryDoubleValue()
pub fn rdb_load_binary_double_value(rdb: &mut Rio) -> RdbResult<f64> {
    let mut b = [0u8; 8];
    if rio_read(rdb, &mut b).is_err() {
        return Err(rdb_eof(rdb));
    }
    Ok(f64::from_le_bytes(b))
}

/// Like rdbSaveBinaryDoubleValue() but single precision.
///
/// C: rdb.c rdbSaveBinaryFloatValue()
pub fn rdb_save_binary_float_value(
    rdb: &mut Rio,
    val: f32,
) -> io::Result<usize> {
    rdb_write_raw(rdb, &val.to_le_bytes())
}

/// Like rdbLoadBinaryDoubleValue() but single precision.
///
/// C: rdb.c rdbLoadBinaryFloatValue()
pub fn rdb_load_binary_float_value(rdb: &mut Rio) -> RdbResult<f32> {
    let mut b = [0u8; 4];
    if rio_read(rdb, &mut b).is_err() {
        return Err(rdb_eof(rdb));
    }
    Ok(f32::from_le_bytes(b))
}

/// The RDB type `o` is saved as by rdb_save_object(). (no C twin: the
/// switch of rdbSaveObjectType)
fn rdb_object_type(o: &RObj) -> u8 {
    match &o.ptr {
        Value::Str(_) | Value::Int(_) => RDB_TYPE_STRING,
        // Divergence from C: 5.0 saves lists as RDB_TYPE_LIST_QUICKLIST
        // (ziplist nodes) and small hashes and sorted sets as ziplist
        // blobs; their in-memory shapes here are not ziplists, so they are
        // saved in the plain types (see the top of the file).
        Value::List(_) => RDB_TYPE_LIST,
        Value::Set(s) => match *s {
            crate::t_set::Set::Intset(_) => RDB_TYPE_SET_INTSET,
            crate::t_set::Set::Ht(_) => RDB_TYPE_SET,
        },
        Value::ZSet(_) => RDB_TYPE_ZSET_2,
        Value::Hash(_) => RDB_TYPE_HASH,
    }
}

/// Save the object type of object "o".
///
/// C: rdb.c rdbSaveObjectType()
pub fn rdb_save_object_type(rdb: &mut Rio, o: &RObj) -> io::Result<usize> {
    rdb_save_type(rdb, rdb_object_type(o))
}

/// Use rdbLoadType() to load a TYPE in RDB format, but returns -1 if the
/// type is not specifically a valid Object Type.
///
/// C: rdb.c rdbLoadObjectType()
pub fn rdb_load_object_type(rdb: &mut Rio) -> RdbResult<i32> {
    let t = rdb_load_type(rdb)? as i32;
    if !rdb_is_object_type(t) {
        return Ok(-1);
    }
    Ok(t)
}

/// Save a Redis object. Returns the number of bytes written.
///
/// C: rdb.c rdbSaveObject()
pub fn rdb_save_object(
    server: &RedisServer,
    rdb: &mut Rio,
    o: &RObj,
) -> io::Result<usize> {
    let mut nwritten = 0;
    match &o.ptr {
        Value::Str(_) | Value::Int(_) => {
            // Save a string value
            nwritten += rdb_save_string_object(server, rdb, o)?;
        }
        Value::List(l) => {
            // Save a list value, head to tail.
            nwritten += rdb_save_len(rdb, l.len() as u64)?;
            for ele in l.iter() {
                nwritten += rdb_save_raw_string(server, rdb, ele)?;
            }
        }
        Value::Set(s) => match s {
            // Save a set value
            crate::t_set::Set::Ht(d) => {
                nwritten += rdb_save_len(rdb, d.dict_size() as u64)?;
                for de in d.iter() {
                    nwritten += rdb_save_raw_string(server, rdb, de.key())?;
                }
            }
            crate::t_set::Set::Intset(is) => {
                nwritten += rdb_save_raw_string(server, rdb, is.as_blob())?;
            }
        },
        Value::ZSet(zs) => {
            // Save a sorted set value
            nwritten += rdb_save_len(rdb, zs.len() as u64)?;
            // We save the elements from the greatest to the smallest (that's
            // trivial since the elements are already ordered in the
            // skiplist): this improves the load process, since the next
            // loaded element will always be the smaller, so adding to the
            // skiplist will always immediately stop at the head, making the
            // insertion O(1) instead of O(log(N)).
            for (ele, score) in zs.iter().rev() {
                nwritten += rdb_save_raw_string(server, rdb, ele)?;
                nwritten += rdb_save_binary_double_value(rdb, score)?;
            }
        }
        Value::Hash(h) => {
            // Save a hash value
            nwritten += rdb_save_len(rdb, h.len() as u64)?;
            for (field, value) in h.iter() {
                nwritten += rdb_save_raw_string(server, rdb, field)?;
                nwritten += rdb_save_raw_string(server, rdb, value)?;
            }
        }
    }
    Ok(nwritten)
}

/// Return the length the object will have on disk if saved with the
/// rdbSaveObject() function (DEBUG OBJECT's serializedlength). As in C,
/// the object is serialized to learn its size, here into a rio that only
/// counts.
///
/// C: rdb.c rdbSavedObjectLen()
pub fn rdb_saved_object_len(server: &RedisServer, o: &RObj) -> usize {
    let mut rdb = rio_init_with_null();
    rdb_save_object(server, &mut rdb, o).expect("a counting rio cannot fail")
}

/// Save a key-value pair, with expire time, type, key, value. On success
/// if the key was actually saved 1 is returned.
///
/// C: rdb.c rdbSaveKeyValuePair()
pub fn rdb_save_key_value_pair(
    server: &RedisServer,
    rdb: &mut Rio,
    key: &[u8],
    val: &RObj,
    expiretime: i64,
) -> io::Result<i32> {
    let savelru = server.maxmemory_policy & MAXMEMORY_FLAG_LRU != 0;
    let savelfu = server.maxmemory_policy & MAXMEMORY_FLAG_LFU != 0;

    // Save the expire time
    if expiretime != -1 {
        rdb_save_type(rdb, RDB_OPCODE_EXPIRETIME_MS)?;
        rdb_save_millisecond_time(rdb, expiretime)?;
    }

    // Save the LRU info.
    if savelru {
        let mut idletime = estimate_object_idle_time(server, val);
        idletime /= 1000; // Using seconds is enough and requires less space.
        rdb_save_type(rdb, RDB_OPCODE_IDLE)?;
        rdb_save_len(rdb, idletime)?;
    }

    // Save the LFU info.
    if savelfu {
        let buf = [lfu_decr_and_return(server, val) as u8];
        // We can encode this in exactly two bytes: the opcode and an 8 bit
        // counter, since the frequency is logarithmic with a 0-255 range.
        // Note that we do not store the halving time because to reset it a
        // single time when loading does not affect the frequency much.
        rdb_save_type(rdb, RDB_OPCODE_FREQ)?;
        rdb_write_raw(rdb, &buf)?;
    }

    // Save type, key, value
    rdb_save_object_type(rdb, val)?;
    rdb_save_raw_string(server, rdb, key)?;
    rdb_save_object(server, rdb, val)?;
    Ok(1)
}

/// Save an AUX field.
///
/// C: rdb.c rdbSaveAuxField()
pub fn rdb_save_aux_field(
    server: &RedisServer,
    rdb: &mut Rio,
    key: &[u8],
    val: &[u8],
) -> io::Result<usize> {
    let mut len = rdb_save_type(rdb, RDB_OPCODE_AUX)?;
    len += rdb_save_raw_string(server, rdb, key)?;
    len += rdb_save_raw_string(server, rdb, val)?;
    Ok(len)
}

/// Wrapper for rdbSaveAuxField() used when key/val are strings.
///
/// C: rdb.c rdbSaveAuxFieldStrStr()
pub fn rdb_save_aux_field_str_str(
    server: &RedisServer,
    rdb: &mut Rio,
    key: &str,
    val: &[u8],
) -> io::Result<usize> {
    rdb_save_aux_field(server, rdb, key.as_bytes(), val)
}

/// Wrapper for strlen(key) + integer type (up to long long range).
///
/// C: rdb.c rdbSaveAuxFieldStrInt()
pub fn rdb_save_aux_field_str_int(
    server: &RedisServer,
    rdb: &mut Rio,
    key: &str,
    val: i64,
) -> io::Result<usize> {
    rdb_save_aux_field(server, rdb, key.as_bytes(), &ll2string(val))
}

/// Save a few default AUX fields with information about the RDB generated.
///
/// C: rdb.c rdbSaveInfoAuxFields()
pub fn rdb_save_info_aux_fields(
    server: &RedisServer,
    rdb: &mut Rio,
    flags: i32,
    rsi: Option<&RdbSaveInfo>,
) -> io::Result<()> {
    let redis_bits = (std::mem::size_of::<usize>() * 8) as i64;
    let aof_preamble = (flags & RDB_SAVE_AOF_PREAMBLE != 0) as i64;

    // Add a few fields about the state when the RDB was created.
    rdb_save_aux_field_str_str(
        server,
        rdb,
        "redis-ver",
        crate::REDIS_VERSION.as_bytes(),
    )?;
    rdb_save_aux_field_str_int(server, rdb, "redis-bits", redis_bits)?;
    rdb_save_aux_field_str_int(server, rdb, "ctime", now_secs())?;
    rdb_save_aux_field_str_int(
        server,
        rdb,
        "used-mem",
        crate::util::zmalloc_used_memory() as i64,
    )?;

    // Handle saving options that generate aux fields.
    if let Some(rsi) = rsi {
        rdb_save_aux_field_str_int(
            server,
            rdb,
            "repl-stream-db",
            rsi.repl_stream_db as i64,
        )?;
        rdb_save_aux_field_str_str(server, rdb, "repl-id", &server.replid)?;
        rdb_save_aux_field_str_int(
            server,
            rdb,
            "repl-offset",
            server.master_repl_offset,
        )?;
    }
    rdb_save_aux_field_str_int(server, rdb, "aof-preamble", aof_preamble)?;
    Ok(())
}

/// time(NULL). (no C twin)
fn now_secs() -> i64 {
    mstime() / 1000
}

/// Produces a dump of the database in RDB format sending it to the
/// specified Redis I/O channel. On error the io::Error of the failed
/// write is returned (C stores errno in `*error`), and part of the
/// output, or all the output, can be missing.
///
/// C: rdb.c rdbSaveRio()
pub fn rdb_save_rio(
    server: &RedisServer,
    rdb: &mut Rio,
    flags: i32,
    rsi: Option<&RdbSaveInfo>,
) -> io::Result<()> {
    if server.rdb_checksum {
        rdb.update_cksum = Some(rio_generic_update_checksum);
    }
    let magic = format!("REDIS{:04}", RDB_VERSION);
    rdb_write_raw(rdb, magic.as_bytes())?;
    rdb_save_info_aux_fields(server, rdb, flags, rsi)?;
    // Divergence from C: no modules, so no module AUX data before (or
    // after) the keys.

    for j in 0..server.dbnum as usize {
        let db = &server.db[j];
        if db.dict.dict_size() == 0 {
            continue;
        }

        // Write the SELECT DB opcode
        rdb_save_type(rdb, RDB_OPCODE_SELECTDB)?;
        rdb_save_len(rdb, j as u64)?;

        // Write the RESIZE DB opcode. These sizes are just hints to resize
        // the hash tables when loading.
        let db_size = db.dict.dict_size() as u64;
        let expires_size = db.expires.dict_size() as u64;
        rdb_save_type(rdb, RDB_OPCODE_RESIZEDB)?;
        rdb_save_len(rdb, db_size)?;
        rdb_save_len(rdb, expires_size)?;

        // Iterate this DB writing every entry
        for de in db.dict.iter() {
            let key: &[u8] = de.key();
            let expire = get_expire(server, j, key);
            rdb_save_key_value_pair(server, rdb, key, de.val(), expire)?;
            // Divergence from C: no AOF rewrite, so no
            // RDB_SAVE_AOF_PREAMBLE diff reading (aofReadDiffFromParent).
        }
    }

    // Divergence from C: with `rsi` C persists the Lua script cache as
    // "lua" AUX fields; this port has no scripting.

    // EOF opcode
    rdb_save_type(rdb, RDB_OPCODE_EOF)?;

    // CRC64 checksum. It will be zero if checksum computation is disabled,
    // the loading code skips the check in this case.
    let cksum = rdb.cksum.to_le_bytes();
    rio_write(rdb, &cksum)?;
    Ok(())
}

/// This is just a wrapper to rdbSaveRio() that additionally adds a prefix
/// and a suffix to the generated RDB dump. The prefix is:
///
/// $EOF:<40 bytes unguessable hex string>\r\n
///
/// While the suffix is the 40 bytes hex string we announced in the prefix.
/// This way processes receiving the payload can understand when it ends
/// without doing any processing of the content.
///
/// C: rdb.c rdbSaveRioWithEOFMark()
pub fn rdb_save_rio_with_eof_mark(
    server: &RedisServer,
    rdb: &mut Rio,
    rsi: Option<&RdbSaveInfo>,
) -> io::Result<()> {
    let eofmark = get_random_hex_chars();
    rio_write(rdb, b"$EOF:")?;
    rio_write(rdb, &eofmark)?;
    rio_write(rdb, b"\r\n")?;
    rdb_save_rio(server, rdb, RDB_SAVE_NONE, rsi)?;
    rio_write(rdb, &eofmark)?;
    Ok(())
}

/// getcwd() for the log lines, "unknown" if it fails. (no C twin)
fn cwd_for_log() -> String {
    std::env::current_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "unknown".to_string())
}

/// Save the DB on disk: into temp-<pid>.rdb, synced, then renamed over
/// `filename` so the file is replaced atomically and only once complete.
///
/// C: rdb.c rdbSave()
pub fn rdb_save(
    server: &mut RedisServer,
    filename: &str,
    rsi: Option<&RdbSaveInfo>,
) -> CResult {
    let tmpfile = format!("temp-{}.rdb", std::process::id());
    let fp = match std::fs::File::create(&tmpfile) {
        Ok(f) => f,
        Err(e) => {
            server_log!(
                server,
                LL_WARNING,
                "Failed opening the RDB file {} (in server root dir {}) for saving: {}",
                filename,
                cwd_for_log(),
                crate::util::strerror(&e)
            );
            return Err(CErr);
        }
    };

    let mut rdb = rio_init_with_file(fp);
    if server.rdb_save_incremental_fsync {
        rio_set_auto_sync(&mut rdb, REDIS_AUTOSYNC_BYTES);
    }

    let written =
        rdb_save_rio(server, &mut rdb, RDB_SAVE_NONE, rsi).and_then(|()| {
            // Make sure data will not remain on the OS's output buffers
            let fp = rio_into_file(rdb).expect("a file rio");
            let file = fp.fclose()?;
            file.sync_all()?;
            Ok(())
        });
    if let Err(e) = written {
        // C: the werr: label
        server_log!(
            server,
            LL_WARNING,
            "Write error saving DB on disk: {}",
            crate::util::strerror(&e)
        );
        let _ = std::fs::remove_file(&tmpfile);
        return Err(CErr);
    }

    // Use RENAME to make sure the DB file is changed atomically only if
    // the generate DB file is ok.
    if let Err(e) = std::fs::rename(&tmpfile, filename) {
        server_log!(
            server,
            LL_WARNING,
            "Error moving temp DB file {} on the final destination {} (in server root dir {}): {}",
            tmpfile,
            filename,
            cwd_for_log(),
            crate::util::strerror(&e)
        );
        let _ = std::fs::remove_file(&tmpfile);
        return Err(CErr);
    }

    server_log!(server, LL_NOTICE, "DB saved on disk");
    server.dirty = 0;
    server.lastsave = now_secs();
    server.lastbgsave_status = Ok(());
    Ok(())
}

/// Resources of the parent that the child must not keep: the listening
/// sockets (a restarted server could not bind while a long save runs).
///
/// C: server.c closeClildUnusedResourceAfterFork()
fn close_clild_unused_resource_after_fork(server: &mut RedisServer) {
    close_listening_sockets(server, false);
}

/// Save the DB in the background: fork, and let the child write the file
/// while the parent goes on serving clients; server_cron reaps the child.
///
/// C: rdb.c rdbSaveBackground()
pub fn rdb_save_background(
    server: &mut RedisServer,
    filename: &str,
    rsi: Option<&RdbSaveInfo>,
) -> CResult {
    if server.rdb_child_pid != -1 {
        return Err(CErr);
    }

    server.dirty_before_bgsave = server.dirty;
    server.lastbgsave_try = now_secs();
    crate::childinfo::open_child_info_pipe(server);

    let start = ustime();
    // SAFETY: no thread other than this one exists (the server never
    // starts one), so the child gets a consistent copy of the whole
    // address space. The child only reads the dataset, writes the RDB file
    // and the child-info pipe, and leaves through exit_from_child
    // (libc::_exit): no destructor runs and no buffer shared with the
    // parent is flushed twice. It never touches the event loop (the epoll
    // instance is shared with the parent).
    let childpid = unsafe { libc::fork() };
    if childpid == 0 {
        // Child
        close_clild_unused_resource_after_fork(server);
        // Divergence from C: no redisSetProcTitle("redis-rdb-bgsave").
        let retval = rdb_save(server, filename, rsi);
        if retval.is_ok() {
            let private_dirty = crate::childinfo::zmalloc_get_private_dirty();
            if private_dirty != 0 {
                server_log!(
                    server,
                    LL_NOTICE,
                    "RDB: {} MB of memory used by copy-on-write",
                    private_dirty / (1024 * 1024)
                );
            }
            server.child_info_data.cow_size = private_dirty;
            crate::childinfo::send_child_info(
                server,
                crate::childinfo::CHILD_INFO_TYPE_RDB,
            );
        }
        exit_from_child(if retval.is_ok() { 0 } else { 1 });
    } else {
        // Parent
        let fork_errno = io::Error::last_os_error();
        server.stat_fork_time = ustime() - start;
        // GB per second.
        server.stat_fork_rate = crate::util::zmalloc_used_memory() as f64
            * 1_000_000.0
            / server.stat_fork_time as f64
            / (1024.0 * 1024.0 * 1024.0);
        // Divergence from C: no latency monitor, so no "fork" sample.
        if childpid == -1 {
            crate::childinfo::close_child_info_pipe(server);
            server.lastbgsave_status = Err(CErr);
            server_log!(
                server,
                LL_WARNING,
                "Can't save in background: fork: {}",
                crate::util::strerror(&fork_errno)
            );
            return Err(CErr);
        }
        server_log!(
            server,
            LL_NOTICE,
            "Background saving started by pid {}",
            childpid
        );
        server.rdb_save_time_start = now_secs();
        server.rdb_child_pid = childpid;
        server.rdb_child_type = RDB_CHILD_TYPE_DISK;
        update_dict_resize_policy(server);
        Ok(())
    }
}

/// Removes the temp file a (killed) saving child was writing.
///
/// C: rdb.c rdbRemoveTempFile()
pub fn rdb_remove_temp_file(childpid: i32) {
    // Builds the name on the stack and calls unlink(2) directly, so that
    // sigShutdownHandler can call it: no allocation, which would not be
    // safe in a signal handler that interrupted the allocator.
    let mut tmpfile = [0u8; 32];
    let mut i = tmpfile.len() - 1; // tmpfile[31] stays the NUL
    for b in b".rdb".iter().rev() {
        i -= 1;
        tmpfile[i] = *b;
    }
    let mut v = childpid.unsigned_abs();
    loop {
        i -= 1;
        tmpfile[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if childpid < 0 {
        i -= 1;
        tmpfile[i] = b'-';
    }
    for b in b"temp-".iter().rev() {
        i -= 1;
        tmpfile[i] = *b;
    }
    // SAFETY: tmpfile[i..] is a NUL-terminated name in our own buffer;
    // unlink(2) is async-signal-safe.
    unsafe { libc::unlink(tmpfile[i..].as_ptr() as *const libc::c_char) };
}

/// The name of a module type from its 64-bit id, for the error messages
/// about module data (9 characters of the set below, 6 bits each, above
/// the 10-bit encoding version).
///
/// C: module.c moduleTypeNameByID()
fn module_type_name_by_id(mut moduleid: u64) -> String {
    const CSET: &[u8; 64] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut name = [b'?'; 9];
    moduleid >>= 10;
    for j in (0..9).rev() {
        name[j] = CSET[(moduleid & 63) as usize];
        moduleid >>= 6;
    }
    String::from_utf8_lossy(&name).into_owned()
}

/// C: quicklist.h QUICKLIST_NODE_CONTAINER_PLAIN (Redis 7.0): a node of
/// RDB_TYPE_LIST_QUICKLIST_2 holding one large element as it is.
const QUICKLIST_NODE_CONTAINER_PLAIN: u64 = 1;
/// C: quicklist.h QUICKLIST_NODE_CONTAINER_PACKED (Redis 7.0): a node
/// holding a listpack.
const QUICKLIST_NODE_CONTAINER_PACKED: u64 = 2;

/// Load a Redis object of the specified type from the specified file.
///
/// Divergence from C: an empty collection (a plain type with a zero
/// length, or an empty ziplist, listpack or intset) comes back as
/// `RdbLoadError::EmptyKey` and the key is skipped, as Redis 7.0 does;
/// 5.0 would create an empty key, which no command expects.
///
/// C: rdb.c rdbLoadObject()
pub fn rdb_load_object(
    server: &RedisServer,
    rdbtype: u8,
    rdb: &mut Rio,
    _key: &[u8],
) -> RdbResult<RObj> {
    use crate::ziplist::ZlValue;
    let lru = server.lruclock;
    let o;
    if rdbtype == RDB_TYPE_STRING {
        // Read string value
        o = rdb_load_encoded_string_object(server, rdb)?;
    } else if rdbtype == RDB_TYPE_LIST {
        // Read list value
        let len = rdb_load_len(rdb, None)?;
        if len == 0 {
            return Err(RdbLoadError::EmptyKey);
        }
        let mut l = crate::t_list::List::new();
        // Load every single element of the list
        for _ in 0..len {
            let ele = rdb_generic_load_string_object(rdb)?;
            l.push_with_fill(
                &ele,
                crate::t_list::LIST_TAIL,
                server.list_max_ziplist_size,
            );
        }
        o = rdb_list_object(server, l);
    } else if rdbtype == RDB_TYPE_SET {
        o = rdb_load_set(server, rdb, lru)?;
    } else if rdbtype == RDB_TYPE_ZSET_2 || rdbtype == RDB_TYPE_ZSET {
        o = rdb_load_zset(server, rdbtype, rdb, lru)?;
    } else if rdbtype == RDB_TYPE_HASH {
        o = rdb_load_hash(server, rdb, lru)?;
    } else if rdbtype == RDB_TYPE_LIST_QUICKLIST
        || rdbtype == RDB_TYPE_LIST_QUICKLIST_2
    {
        // A list of ziplist nodes (5.0), or of listpack or plain nodes
        // (7.0). Every node is decoded with full validation.
        let len = rdb_load_len(rdb, None)?;
        let mut l = crate::t_list::List::new();
        for _ in 0..len {
            let mut container = QUICKLIST_NODE_CONTAINER_PACKED;
            if rdbtype == RDB_TYPE_LIST_QUICKLIST_2 {
                container = rdb_load_len(rdb, None)?;
                if container != QUICKLIST_NODE_CONTAINER_PACKED
                    && container != QUICKLIST_NODE_CONTAINER_PLAIN
                {
                    return Err(rdb_corrupt!(
                        rdb,
                        "Quicklist integrity check failed."
                    ));
                }
            }
            let data = rdb_generic_load_string_object(rdb)?;
            if container == QUICKLIST_NODE_CONTAINER_PLAIN {
                l.push_with_fill(
                    &data,
                    crate::t_list::LIST_TAIL,
                    server.list_max_ziplist_size,
                );
                continue;
            }
            let entries: Vec<Vec<u8>> = if rdbtype == RDB_TYPE_LIST_QUICKLIST_2
            {
                match crate::listpack::lp_entries(&data) {
                    Ok(v) => v.iter().map(|e| e.to_vec()).collect(),
                    Err(why) => {
                        return Err(rdb_corrupt!(
                            rdb,
                            "Listpack integrity check failed: {}",
                            why
                        ))
                    }
                }
            } else {
                match crate::ziplist::ziplist_entries(&data) {
                    Ok(v) => v.iter().map(ZlValue::to_vec).collect(),
                    Err(why) => {
                        return Err(rdb_corrupt!(
                            rdb,
                            "Ziplist integrity check failed: {}",
                            why
                        ))
                    }
                }
            };
            // Silently skip empty nodes, as 7.0 does.
            for e in entries {
                l.push_with_fill(
                    &e,
                    crate::t_list::LIST_TAIL,
                    server.list_max_ziplist_size,
                );
            }
        }
        if l.is_empty() {
            return Err(RdbLoadError::EmptyKey);
        }
        o = rdb_list_object(server, l);
    } else if rdbtype == RDB_TYPE_SET_INTSET {
        let encoded = rdb_generic_load_string_object(rdb)?;
        // Divergence from C: 5.0 trusts the blob; a damaged intset is
        // refused here (as 7.0's integrity check does).
        let Some(is) =
            crate::intset::Intset::from_blob(encoded.into_boxed_slice())
        else {
            return Err(rdb_corrupt!(rdb, "Intset integrity check failed."));
        };
        let n = is.intset_len() as usize;
        if n == 0 {
            return Err(RdbLoadError::EmptyKey);
        }
        let mut set = create_intset_object(lru);
        set.ptr = Value::Set(crate::t_set::Set::Intset(is));
        if n > server.set_max_intset_entries {
            crate::t_set::set_type_convert(&mut set, OBJ_ENCODING_HT);
        }
        o = set;
    } else if rdbtype == RDB_TYPE_HASH_ZIPMAP {
        // Convert to a ziplist encoded hash (here: the small hash
        // encoding). Note that we only check the length and the longest
        // field or value, as C does.
        let encoded = rdb_generic_load_string_object(rdb)?;
        let pairs = match crate::zipmap::zipmap_pairs(&encoded) {
            Ok(p) => p,
            Err(why) => {
                return Err(rdb_corrupt!(
                    rdb,
                    "Zipmap integrity check failed: {}",
                    why
                ))
            }
        };
        let maxlen =
            pairs.iter().map(|(f, v)| f.len().max(v.len())).max().unwrap_or(0);
        let pairs: Vec<(Vec<u8>, Vec<u8>)> =
            pairs.into_iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
        o = rdb_hash_from_pairs(server, rdb, lru, pairs, maxlen)?;
    } else if rdbtype == RDB_TYPE_LIST_ZIPLIST {
        let encoded = rdb_generic_load_string_object(rdb)?;
        let entries = match crate::ziplist::ziplist_entries(&encoded) {
            Ok(v) => v,
            Err(why) => {
                return Err(rdb_corrupt!(
                    rdb,
                    "Ziplist integrity check failed: {}",
                    why
                ))
            }
        };
        if entries.is_empty() {
            return Err(RdbLoadError::EmptyKey);
        }
        let mut l = crate::t_list::List::new();
        for e in entries {
            l.push_with_fill(
                &e.to_vec(),
                crate::t_list::LIST_TAIL,
                server.list_max_ziplist_size,
            );
        }
        o = rdb_list_object(server, l);
    } else if rdbtype == RDB_TYPE_ZSET_ZIPLIST
        || rdbtype == RDB_TYPE_ZSET_LISTPACK
    {
        let encoded = rdb_generic_load_string_object(rdb)?;
        let pairs: Vec<(Vec<u8>, f64)> = if rdbtype == RDB_TYPE_ZSET_ZIPLIST {
            match crate::ziplist::ziplist_pairs(&encoded) {
                Ok(p) => p
                    .iter()
                    .map(|(m, s)| {
                        (
                            m.to_vec(),
                            zzl_score(s.to_vec(), matches!(s, ZlValue::Int(_))),
                        )
                    })
                    .collect(),
                Err(why) => {
                    return Err(rdb_corrupt!(
                        rdb,
                        "Zset ziplist integrity check failed: {}",
                        why
                    ))
                }
            }
        } else {
            match crate::listpack::lp_pairs(&encoded) {
                Ok(p) => p
                    .iter()
                    .map(|(m, s)| {
                        (
                            m.to_vec(),
                            zzl_score(
                                s.to_vec(),
                                matches!(s, crate::listpack::LpValue::Int(_)),
                            ),
                        )
                    })
                    .collect(),
                Err(why) => {
                    return Err(rdb_corrupt!(
                        rdb,
                        "Zset listpack integrity check failed: {}",
                        why
                    ))
                }
            }
        };
        o = rdb_zset_from_pairs(server, rdb, lru, pairs, None)?;
    } else if rdbtype == RDB_TYPE_HASH_ZIPLIST
        || rdbtype == RDB_TYPE_HASH_LISTPACK
    {
        let encoded = rdb_generic_load_string_object(rdb)?;
        let pairs: Vec<(Vec<u8>, Vec<u8>)> = if rdbtype == RDB_TYPE_HASH_ZIPLIST
        {
            match crate::ziplist::ziplist_pairs(&encoded) {
                Ok(p) => {
                    p.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()
                }
                Err(why) => {
                    return Err(rdb_corrupt!(
                        rdb,
                        "Hash ziplist integrity check failed: {}",
                        why
                    ))
                }
            }
        } else {
            match crate::listpack::lp_pairs(&encoded) {
                Ok(p) => {
                    p.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()
                }
                Err(why) => {
                    return Err(rdb_corrupt!(
                        rdb,
                        "Hash listpack integrity check failed: {}",
                        why
                    ))
                }
            }
        };
        // As in C, only the number of fields decides the encoding here.
        o = rdb_hash_from_pairs(server, rdb, lru, pairs, 0)?;
    } else if rdbtype == RDB_TYPE_STREAM_LISTPACKS
        || rdbtype == RDB_TYPE_STREAM_LISTPACKS_2
    {
        // Divergence from C: there is no stream type in this port.
        return Err(rdb_corrupt!(
            rdb,
            "Unknown RDB encoding type {} (a stream: this server has no stream type)",
            rdbtype
        ));
    } else if rdbtype == RDB_TYPE_MODULE || rdbtype == RDB_TYPE_MODULE_2 {
        let moduleid = rdb_load_len(rdb, None)?;
        let name = module_type_name_by_id(moduleid);
        // There are no modules, so there is never a matching one.
        return Err(RdbLoadError::Fatal(format!(
            "The RDB file contains module data I can't load: no matching module '{}'",
            name
        )));
    } else {
        return Err(rdb_corrupt!(rdb, "Unknown RDB encoding type {}", rdbtype));
    }
    Ok(o)
}

/// A list value holding `l`. (no C twin: createQuicklistObject() plus the
/// pushes)
fn rdb_list_object(server: &RedisServer, l: crate::t_list::List) -> RObj {
    let mut o = crate::t_list::create_quicklist_object(server);
    o.ptr = Value::List(Box::new(l));
    o
}

/// The score of a sorted set ziplist or listpack entry: an integer entry
/// as a double, a string one through strtod (0 if it does not parse).
///
/// C: t_zset.c zzlGetScore() / zzlStrtod()
fn zzl_score(s: Vec<u8>, is_int: bool) -> f64 {
    if is_int {
        // to_vec() rendered the integer in decimal; read it back.
        return string2ll(&s).map(|v| v as f64).unwrap_or(0.0);
    }
    let s = &s[..s.len().min(128)];
    crate::object::strtod(s).value
}

/// The RDB_TYPE_SET branch of rdbLoadObject(). (no C twin)
fn rdb_load_set(
    server: &RedisServer,
    rdb: &mut Rio,
    lru: u32,
) -> RdbResult<RObj> {
    use crate::t_set::Set;
    // Read Set value
    let len = rdb_load_len(rdb, None)?;
    if len == 0 {
        return Err(RdbLoadError::EmptyKey);
    }

    // Use a regular set when there are too many entries.
    let max_entries = server.set_max_intset_entries.min(1 << 30);
    let mut o = if len > max_entries as u64 {
        let mut o = create_set_object(lru);
        // It's faster to expand the dict to the right size asap in order to
        // avoid rehashing
        if len > crate::dict::DICT_HT_INITIAL_SIZE as u64 {
            if let Value::Set(Set::Ht(d)) = &mut o.ptr {
                let _ = d.dict_expand(rdb_len_hint(rdb, len));
            }
        }
        o
    } else {
        create_intset_object(lru)
    };

    // Load every single element of the set
    for _ in 0..len {
        let sdsele = rdb_generic_load_string_object(rdb)?;
        if o.encoding == OBJ_ENCODING_INTSET {
            // Fetch integer value from element.
            if let Some(llval) = string2ll(&sdsele) {
                let Value::Set(s) = &mut o.ptr else { unreachable!("a set") };
                let Set::Intset(is) = s else { unreachable!("an intset") };
                if !is.intset_add(llval) {
                    // Divergence from C: a repeated member is a damaged
                    // file (C ignores it; 7.0 refuses it).
                    return Err(rdb_corrupt!(
                        rdb,
                        "Duplicate set members detected"
                    ));
                }
                continue;
            } else {
                crate::t_set::set_type_convert(&mut o, OBJ_ENCODING_HT);
                if let Value::Set(Set::Ht(d)) = &mut o.ptr {
                    let _ = d.dict_expand(rdb_len_hint(rdb, len));
                }
            }
        }

        // This will also be called when the set was just converted to a
        // regular hash table encoded set.
        let Value::Set(s) = &mut o.ptr else { unreachable!("a set") };
        let Set::Ht(d) = s else { unreachable!("a hash table set") };
        if d.dict_add(sdsele.into(), ()).is_err() {
            return Err(rdb_corrupt!(rdb, "Duplicate set members detected"));
        }
    }
    Ok(o)
}

/// The RDB_TYPE_ZSET / RDB_TYPE_ZSET_2 branch of rdbLoadObject(). (no C
/// twin)
fn rdb_load_zset(
    server: &RedisServer,
    rdbtype: u8,
    rdb: &mut Rio,
    lru: u32,
) -> RdbResult<RObj> {
    // Read list/set value.
    let zsetlen = rdb_load_len(rdb, None)?;
    if zsetlen == 0 {
        return Err(RdbLoadError::EmptyKey);
    }
    let mut maxelelen = 0usize;
    let mut totelelen = 0usize;
    let mut pairs = Vec::with_capacity(rdb_len_hint(rdb, zsetlen).min(1 << 16));

    // Load every single element of the sorted set.
    for _ in 0..zsetlen {
        let sdsele = rdb_generic_load_string_object(rdb)?;
        let score = if rdbtype == RDB_TYPE_ZSET_2 {
            rdb_load_binary_double_value(rdb)?
        } else {
            rdb_load_double_value(rdb)?
        };
        // Don't care about integer-encoded strings.
        maxelelen = maxelelen.max(sdsele.len());
        totelelen += sdsele.len();
        pairs.push((sdsele, score));
    }
    rdb_zset_from_pairs(server, rdb, lru, pairs, Some((maxelelen, totelelen)))
}

/// A sorted set of `pairs` (member, score), in the skiplist encoding, then
/// converted to the small one: when `sizes` (longest member, total member
/// bytes) is given, if they and the length are within the
/// zset-max-ziplist limits (the plain types, converted *after* loading
/// since they are not stored ordered); when it is not (a ziplist or
/// listpack in the file), if the length is (C only checks the length:
/// the element sizes would need an O(N) scan). Repeated members and NaN
/// scores are refused. (no C twin)
fn rdb_zset_from_pairs(
    server: &RedisServer,
    rdb: &Rio,
    lru: u32,
    pairs: Vec<(Vec<u8>, f64)>,
    sizes: Option<(usize, usize)>,
) -> RdbResult<RObj> {
    use crate::t_zset::{ZSet, ZsetSkiplist};
    if pairs.is_empty() {
        return Err(RdbLoadError::EmptyKey);
    }
    let mut zs = ZsetSkiplist::new();
    if pairs.len() > crate::dict::DICT_HT_INITIAL_SIZE {
        let _ = zs.dict.dict_expand(pairs.len());
    }
    let len = pairs.len();
    for (sdsele, score) in pairs {
        if score.is_nan() {
            // C asserts in zslInsert(); 7.0 reports it as below.
            return Err(rdb_corrupt!(rdb, "Zset with NAN score detected"));
        }
        let ele: crate::t_zset::ZsetSds = sdsele.into();
        if zs.dict.dict_add(ele.clone(), score).is_err() {
            // Divergence from C: 5.0 inserts the duplicate into the
            // skiplist and corrupts the set; 7.0 refuses it, as here.
            return Err(rdb_corrupt!(rdb, "Duplicate zset fields detected"));
        }
        crate::t_zset::zsl_insert(&mut zs.zsl, score, ele);
    }
    let mut o = crate::t_zset::create_zset_object(lru);
    o.ptr = Value::ZSet(ZSet::Skiplist(Box::new(zs)));

    let small = match sizes {
        Some((maxelelen, totelelen)) => {
            len <= server.zset_max_ziplist_entries
                && maxelelen <= server.zset_max_ziplist_value
                && crate::t_zset::zzl_safe_to_add(None, totelelen)
        }
        None => len <= server.zset_max_ziplist_entries,
    };
    if small {
        crate::t_zset::zset_convert(
            &mut o,
            crate::object::OBJ_ENCODING_ZIPLIST,
        );
    }
    Ok(o)
}

/// A hash of `pairs` (already checked for repeated fields) from a
/// ziplist, listpack or zipmap in the file: the small encoding, or a hash
/// table if it has more than hash-max-ziplist-entries fields or (for
/// zipmaps) `maxlen` is above hash-max-ziplist-value. (no C twin)
fn rdb_hash_from_pairs(
    server: &RedisServer,
    rdb: &Rio,
    lru: u32,
    pairs: Vec<(Vec<u8>, Vec<u8>)>,
    maxlen: usize,
) -> RdbResult<RObj> {
    use crate::t_hash::Hash;
    if pairs.is_empty() {
        return Err(RdbLoadError::EmptyKey);
    }
    let mut o = crate::object::create_hash_object(lru);
    if pairs.len() > server.hash_max_ziplist_entries
        || maxlen > server.hash_max_ziplist_value
    {
        crate::t_hash::hash_type_convert(&mut o, OBJ_ENCODING_HT);
    }
    let Value::Hash(h) = &mut o.ptr else { unreachable!("a hash") };
    match h {
        Hash::Ziplist(zl) => {
            for (f, v) in pairs {
                if zl.set(&f, &v) {
                    return Err(rdb_corrupt!(
                        rdb,
                        "Duplicate hash fields detected"
                    ));
                }
            }
        }
        Hash::Ht(d) => {
            let _ = d.dict_expand(pairs.len());
            for (f, v) in pairs {
                if d.dict_add(f.into(), v.into()).is_err() {
                    return Err(rdb_corrupt!(
                        rdb,
                        "Duplicate hash fields detected"
                    ));
                }
            }
        }
    }
    Ok(o)
}

/// The RDB_TYPE_HASH branch of rdbLoadObject(). (no C twin)
fn rdb_load_hash(
    server: &RedisServer,
    rdb: &mut Rio,
    lru: u32,
) -> RdbResult<RObj> {
    use crate::t_hash::Hash;
    let mut len = rdb_load_len(rdb, None)?;
    if len == 0 {
        return Err(RdbLoadError::EmptyKey);
    }
    let mut o = crate::object::create_hash_object(lru);

    // Too many entries? Use a hash table.
    if len > server.hash_max_ziplist_entries as u64 {
        crate::t_hash::hash_type_convert(&mut o, OBJ_ENCODING_HT);
    }

    // Load every field and value into the ziplist
    while o.encoding == crate::object::OBJ_ENCODING_ZIPLIST && len > 0 {
        len -= 1;
        // Load raw strings
        let field = rdb_generic_load_string_object(rdb)?;
        let value = rdb_generic_load_string_object(rdb)?;

        let Value::Hash(h) = &mut o.ptr else { unreachable!("a hash") };
        let Hash::Ziplist(zl) = h else { unreachable!("a ziplist hash") };
        // Convert to hash table if size threshold is exceeded
        if field.len() > server.hash_max_ziplist_value
            || value.len() > server.hash_max_ziplist_value
            || zl.blob_len() + field.len() + value.len()
                > crate::ziplist::ZIPLIST_MAX_SAFETY_SIZE
        {
            crate::t_hash::hash_type_convert(&mut o, OBJ_ENCODING_HT);
            let Value::Hash(h) = &mut o.ptr else { unreachable!("a hash") };
            let Hash::Ht(d) = h else { unreachable!("a hash table hash") };
            if d.dict_add(field.into(), value.into()).is_err() {
                return Err(rdb_corrupt!(
                    rdb,
                    "Duplicate hash fields detected"
                ));
            }
            break;
        }

        // Add pair to ziplist
        if zl.set(&field, &value) {
            // Divergence from C: 5.0 pushes the duplicate and corrupts the
            // ziplist; a repeated field is refused here.
            return Err(rdb_corrupt!(rdb, "Duplicate hash fields detected"));
        }
    }

    if o.encoding == OBJ_ENCODING_HT
        && len > crate::dict::DICT_HT_INITIAL_SIZE as u64
    {
        if let Value::Hash(Hash::Ht(d)) = &mut o.ptr {
            let _ = d.dict_expand(rdb_len_hint(rdb, len));
        }
    }

    // Load remaining fields and values into the hash table
    while o.encoding == OBJ_ENCODING_HT && len > 0 {
        len -= 1;
        // Load encoded strings
        let field = rdb_generic_load_string_object(rdb)?;
        let value = rdb_generic_load_string_object(rdb)?;

        // Add pair to hash table
        let Value::Hash(h) = &mut o.ptr else { unreachable!("a hash") };
        let Hash::Ht(d) = h else { unreachable!("a hash table hash") };
        if d.dict_add(field.into(), value.into()).is_err() {
            return Err(rdb_corrupt!(rdb, "Duplicate keys detected"));
        }
    }
    Ok(o)
}

/// Mark that we are loading in the global state and setup the fields
/// needed to provide loading stats. `total_bytes` is the file size (C
/// fstat()s the FILE it is given; 0 if unknown).
///
/// C: rdb.c startLoading()
pub fn start_loading(server: &mut RedisServer, total_bytes: i64) {
    // Load the DB
    server.loading = true;
    LOADING_FOR_HANDLER.store(true, std::sync::atomic::Ordering::Relaxed);
    server.loading_start_time = now_secs();
    server.loading_loaded_bytes = 0;
    server.loading_total_bytes = total_bytes;
}

/// Refresh the loading progress info
///
/// C: rdb.c loadingProgress()
pub fn loading_progress(server: &mut RedisServer, pos: i64) {
    server.loading_loaded_bytes = pos;
    let used = crate::util::zmalloc_used_memory();
    if server.stat_peak_memory < used {
        server.stat_peak_memory = used;
    }
}

/// Loading finished
///
/// C: rdb.c stopLoading()
pub fn stop_loading(server: &mut RedisServer) {
    server.loading = false;
    LOADING_FOR_HANDLER.store(false, std::sync::atomic::Ordering::Relaxed);
}

/// Track loading progress in order to serve client's from time to time:
/// each time another `loading_process_events_interval_bytes` were read,
/// refresh the cached time and the INFO loading fields and serve the
/// clients (with -LOADING, for most commands).
///
/// Divergence from C: C installs this as the rio's checksum callback, so
/// it runs inside every read, with the server global at hand; the rio
/// here has no server, so the checksum is the plain one and
/// `rdb_load_rio` calls this between two keys. A single huge value is
/// therefore read without serving clients.
///
/// C: rdb.c rdbLoadProgressCallback()
pub fn rdb_load_progress_callback(
    server: &mut RedisServer,
    rdb: &Rio,
    last_step: &mut usize,
) {
    if !rdb_check_progress_callback(server, rdb, last_step) {
        return;
    }
    loading_progress(server, rdb.processed_bytes as i64);
    crate::networking::process_events_while_blocked(server);
}

/// Load an RDB file from the rio stream 'rdb'. On success Ok is returned;
/// a file that is not an RDB we can read returns the error (EINVAL); a
/// damaged file is reported in the log and the process exits, as in C.
///
/// C: rdb.c rdbLoadRio()
pub fn rdb_load_rio(
    server: &mut RedisServer,
    rdb: &mut Rio,
    rsi: Option<&mut RdbSaveInfo>,
    loading_aof: bool,
) -> io::Result<()> {
    match rdb_load_rio_checked(server, rdb, rsi, loading_aof) {
        Ok(()) => Ok(()),
        Err(RdbLoadError::Err(e)) => Err(e),
        // C: rdbExitReportCorruptRDB() and the exit(1) calls.
        Err(err) => rdb_check_then_exit(server, &err),
    }
}

/// rdbLoadRio() without the exit: every problem comes back as an
/// `RdbLoadError`, for the tests and the fuzzer. Keys read before the
/// problem stay in the databases. (no C twin)
pub fn rdb_load_rio_checked(
    server: &mut RedisServer,
    rdb: &mut Rio,
    rsi: Option<&mut RdbSaveInfo>,
    loading_aof: bool,
) -> RdbResult<()> {
    rdb_load_rio_mode(server, rdb, rsi, loading_aof, false)
}

/// Reads a whole RDB stream the way rdbLoadRio() does, and fails exactly
/// where it would fail, without touching the data set: every opcode,
/// length, string and value is decoded and dropped, keys are checked for
/// duplicates within their database, and the checksum at the end is
/// verified. Used on the file received from a master before anything is
/// flushed (see readSyncBulkPayload() in replication/slave.rs). No event
/// is processed meanwhile; the master gets its keep-alive newlines as
/// during a load. (no C twin)
pub fn rdb_check_rio(server: &mut RedisServer, rdb: &mut Rio) -> RdbResult<()> {
    rdb_load_rio_mode(server, rdb, None, false, true)
}

/// The reason a load or check failed, as one line for the log: the
/// corruption report's reason and where it was found, or the error.
/// (no C twin)
pub fn rdb_load_error_reason(err: &RdbLoadError) -> String {
    match err {
        RdbLoadError::Err(e) => crate::util::strerror(e),
        RdbLoadError::Corrupt(c) => {
            format!("{} (at byte offset {})", c.reason, c.offset)
        }
        RdbLoadError::Fatal(msg) => msg.trim_end().to_string(),
        RdbLoadError::EmptyKey => "Empty key in RDB file".to_string(),
    }
}

/// `rdb_check_rio` on the file `filename`. (no C twin)
pub fn rdb_check_file(
    server: &mut RedisServer,
    filename: &str,
) -> RdbResult<()> {
    let fp = std::fs::File::open(filename).map_err(RdbLoadError::Err)?;
    let mut rdb = rio_init_with_file(fp);
    rdb_check_rio(server, &mut rdb)
}

/// The hashes of the keys an RDB check has seen, to find a key the file
/// holds twice (which the load would reject): 8 bytes per key rather than
/// a copy of each. The hash is keyed at random per check, so the rare
/// false "duplicate" of two different keys does not repeat on the retry
/// of the sync. (no C twin)
struct SeenKeys {
    state: std::collections::hash_map::RandomState,
    hashes: Vec<u64>,
}

impl SeenKeys {
    fn new() -> SeenKeys {
        SeenKeys {
            state: std::collections::hash_map::RandomState::new(),
            hashes: Vec::new(),
        }
    }

    fn add(&mut self, dbid: usize, key: &[u8]) {
        use std::hash::{BuildHasher, Hash, Hasher};
        let mut h = self.state.build_hasher();
        dbid.hash(&mut h);
        key.hash(&mut h);
        self.hashes.push(h.finish());
    }

    /// Whether two keys added had the same hash (same key, same DB).
    fn has_duplicate(&mut self) -> bool {
        self.hashes.sort_unstable();
        self.hashes.windows(2).any(|w| w[0] == w[1])
    }
}

/// The body of rdbLoadRio(); with `check_only` it reads and verifies the
/// whole stream but changes nothing (see `rdb_check_rio`). (no C twin)
fn rdb_load_rio_mode(
    server: &mut RedisServer,
    rdb: &mut Rio,
    mut rsi: Option<&mut RdbSaveInfo>,
    loading_aof: bool,
    check_only: bool,
) -> RdbResult<()> {
    let mut dbid: usize = 0;
    let mut seen = check_only.then(SeenKeys::new);

    rdb.update_cksum = if server.rdb_checksum {
        Some(rio_generic_update_checksum)
    } else {
        None
    };
    rdb.max_processing_chunk =
        server.loading_process_events_interval_bytes.max(0) as usize;
    let mut last_step = 0usize;

    let mut buf = [0u8; 9];
    if rio_read(rdb, &mut buf).is_err() {
        return Err(rdb_eof(rdb));
    }
    if &buf[..5] != b"REDIS" {
        server_log!(
            server,
            LL_WARNING,
            "Wrong signature trying to load DB from file"
        );
        return Err(RdbLoadError::Err(io::Error::from_raw_os_error(
            libc::EINVAL,
        )));
    }
    // C: atoi(buf+5)
    let rdbver = c_atoi(&buf[5..]);
    if !(1..=RDB_LOAD_MAX_VERSION).contains(&rdbver) {
        server_log!(
            server,
            LL_WARNING,
            "Can't handle RDB format version {}",
            rdbver
        );
        return Err(RdbLoadError::Err(io::Error::from_raw_os_error(
            libc::EINVAL,
        )));
    }

    // Key-specific attributes, set by opcodes before the key type.
    let mut lru_idle: i64 = -1;
    let mut lfu_freq: i64 = -1;
    let mut expiretime: i64 = -1;
    let now = mstime();
    let lru_clock = server.lruclock as i64;
    let mut empty_keys_skipped = 0u64;

    loop {
        if check_only {
            let _ = rdb_check_progress_callback(server, rdb, &mut last_step);
        } else {
            rdb_load_progress_callback(server, rdb, &mut last_step);
        }

        // Read type.
        let t = rdb_load_type(rdb)?;

        // Handle special types.
        if t == RDB_OPCODE_EXPIRETIME {
            // EXPIRETIME: load an expire associated with the next key to
            // load. Note that after loading an expire we need to load the
            // actual type, and continue.
            expiretime = rdb_load_time(rdb)?;
            expiretime = expiretime.wrapping_mul(1000);
            continue; // Read next opcode.
        } else if t == RDB_OPCODE_EXPIRETIME_MS {
            // EXPIRETIME_MS: milliseconds precision expire times introduced
            // with RDB v3. Like EXPIRETIME but no with more precision.
            expiretime = rdb_load_millisecond_time(rdb, rdbver)?;
            continue; // Read next opcode.
        } else if t == RDB_OPCODE_FREQ {
            // FREQ: LFU frequency.
            let mut byte = [0u8; 1];
            if rio_read(rdb, &mut byte).is_err() {
                return Err(rdb_eof(rdb));
            }
            lfu_freq = byte[0] as i64;
            continue; // Read next opcode.
        } else if t == RDB_OPCODE_IDLE {
            // IDLE: LRU idle time.
            let qword = rdb_load_len(rdb, None)?;
            lru_idle = qword.min(i64::MAX as u64) as i64;
            continue; // Read next opcode.
        } else if t == RDB_OPCODE_EOF {
            // EOF: End of file, exit the main loop.
            break;
        } else if t == RDB_OPCODE_SELECTDB {
            // SELECTDB: Select the specified database.
            let id = rdb_load_len(rdb, None)?;
            if id >= server.dbnum as u64 {
                return Err(RdbLoadError::Fatal(format!(
                    "FATAL: Data file was created with a Redis server configured to handle more than {} databases. Exiting\n",
                    server.dbnum
                )));
            }
            dbid = id as usize;
            continue; // Read next opcode.
        } else if t == RDB_OPCODE_RESIZEDB {
            // RESIZEDB: Hint about the size of the keys in the currently
            // selected data base, in order to avoid useless rehashing.
            let db_size = rdb_load_len(rdb, None)?;
            let expires_size = rdb_load_len(rdb, None)?;
            if check_only {
                continue;
            }
            let (db_hint, expires_hint) =
                (rdb_len_hint(rdb, db_size), rdb_len_hint(rdb, expires_size));
            let db = &mut server.db[dbid];
            let _ = db.dict.dict_expand(db_hint);
            let _ = db.expires.dict_expand(expires_hint);
            continue; // Read next opcode.
        } else if t == RDB_OPCODE_AUX {
            // AUX: generic string-string fields. Use to add state to RDB
            // which is backward compatible. Implementations of RDB loading
            // are requierd to skip AUX fields they don't understand.
            //
            // An AUX field is composed of two strings: key and value.
            let auxkey = rdb_load_string_object(rdb)?;
            let auxval = rdb_load_string_object(rdb)?;

            if check_only {
                // Read and dropped: the load logs and uses them.
            } else if auxkey.first() == Some(&b'%') {
                // All the fields with a name staring with '%' are
                // considered information fields and are logged at startup
                // with a log level of NOTICE.
                server_log!(
                    server,
                    LL_NOTICE,
                    "RDB '{}': {}",
                    String::from_utf8_lossy(&auxkey),
                    String::from_utf8_lossy(&auxval)
                );
            } else if auxkey.eq_ignore_ascii_case(b"repl-stream-db") {
                if let Some(rsi) = rsi.as_deref_mut() {
                    rsi.repl_stream_db = c_atoi(&auxval);
                }
            } else if auxkey.eq_ignore_ascii_case(b"repl-id") {
                if let Some(rsi) = rsi.as_deref_mut() {
                    if auxval.len() == 40 {
                        rsi.repl_id.copy_from_slice(&auxval);
                        rsi.repl_id_is_set = true;
                    }
                }
            } else if auxkey.eq_ignore_ascii_case(b"repl-offset") {
                if let Some(rsi) = rsi.as_deref_mut() {
                    rsi.repl_offset = c_strtoll(&auxval);
                }
            } else if auxkey.eq_ignore_ascii_case(b"lua") {
                // Divergence from C: no scripting, so the script is not
                // loaded back in memory; it is ignored like an unknown
                // field.
                server_log!(
                    server,
                    LL_DEBUG,
                    "Unrecognized RDB AUX field: '{}'",
                    String::from_utf8_lossy(&auxkey)
                );
            } else {
                // We ignore fields we don't understand, as by AUX field
                // contract.
                server_log!(
                    server,
                    LL_DEBUG,
                    "Unrecognized RDB AUX field: '{}'",
                    String::from_utf8_lossy(&auxkey)
                );
            }
            continue; // Read type again.
        } else if t == RDB_OPCODE_MODULE_AUX {
            // Load module data that is not related to the Redis key space.
            let moduleid = rdb_load_len(rdb, None)?;
            let when_opcode = rdb_load_len(rdb, None)?;
            let _when = rdb_load_len(rdb, None)?;
            if when_opcode != RDB_MODULE_OPCODE_UINT {
                return Err(rdb_corrupt!(rdb, "bad when_opcode"));
            }
            // Unknown module: there are no modules in this port.
            return Err(RdbLoadError::Fatal(format!(
                "The RDB file contains AUX module data I can't load: no matching module '{}'",
                module_type_name_by_id(moduleid)
            )));
        } else if t == RDB_OPCODE_FUNCTION || t == RDB_OPCODE_FUNCTION2 {
            // Divergence from C: 5.0 does not know this 7.0 opcode either
            // and fails on it as an unknown type; say what it is.
            return Err(rdb_corrupt!(
                rdb,
                "Unknown RDB encoding type {} (a Redis 7 function library: this server has no functions)",
                t
            ));
        }

        // Read key
        let key = rdb_load_string_object(rdb)?;
        // Read value
        let val = match rdb_load_object(server, t, rdb, &key) {
            Ok(val) => val,
            Err(RdbLoadError::EmptyKey) => {
                if empty_keys_skipped < 10 {
                    server_log!(
                        server,
                        LL_NOTICE,
                        "rdbLoadObject skipping empty key: {}",
                        String::from_utf8_lossy(&key)
                    );
                }
                empty_keys_skipped += 1;
                expiretime = -1;
                lfu_freq = -1;
                lru_idle = -1;
                continue;
            }
            Err(e) => return Err(e),
        };
        // Check if the key already expired. This function is used when
        // loading an RDB file from disk, either at startup, or when an RDB
        // was received from the master. In the latter case, the master is
        // responsible for key expiry. If we would expire keys here, the
        // snapshot taken by the master may not be reflected on the slave.
        if let Some(seen) = seen.as_mut() {
            // Checking only: the value was decoded, which is the check.
            seen.add(dbid, &key);
        } else if server.masterhost.is_none()
            && !loading_aof
            && expiretime != -1
            && expiretime < now
        {
            // Dropped.
        } else {
            // Add the new object in the hash table. C's dbAdd() aborts on a
            // key that is already there; a file repeating a key is reported
            // as damaged instead.
            let mut val = val;
            // Set usage information (for eviction).
            object_set_lru_or_lfu(
                server, &mut val, lfu_freq, lru_idle, lru_clock,
            );
            let vtype = val.obj_type();
            let signal = vtype == OBJ_LIST || vtype == OBJ_ZSET;
            // The key is moved into the dict; it is copied only when it is
            // needed again below.
            let key_after = if signal || expiretime != -1 {
                Some(key.clone())
            } else {
                None
            };
            if let Err((key, _)) =
                server.db[dbid].dict.dict_add(key.into(), val)
            {
                return Err(rdb_corrupt!(
                    rdb,
                    "Duplicate key '{}' in DB {}",
                    String::from_utf8_lossy(&key),
                    dbid
                ));
            }
            if let Some(key) = key_after {
                if signal {
                    crate::blocked::signal_key_as_ready(server, dbid, &key);
                }
                // Set the expire time if needed
                if expiretime != -1 {
                    crate::db::set_expire(server, None, dbid, &key, expiretime);
                }
            }
        }

        // Reset the state that is key-specified and is populated by opcodes
        // before the key, so that we start from scratch again.
        expiretime = -1;
        lfu_freq = -1;
        lru_idle = -1;
    }

    // Verify the checksum if RDB version is >= 5
    if rdbver >= 5 {
        let expected = rdb.cksum;
        let mut b = [0u8; 8];
        if rio_read(rdb, &mut b).is_err() {
            return Err(rdb_eof(rdb));
        }
        if server.rdb_checksum {
            let cksum = u64::from_le_bytes(b);
            if cksum == 0 {
                if !check_only {
                    server_log!(
                        server,
                        LL_WARNING,
                        "RDB file was saved with checksum disabled: no check performed."
                    );
                }
            } else if cksum != expected {
                if !check_only {
                    server_log!(
                        server,
                        LL_WARNING,
                        "Wrong RDB checksum. Aborting now."
                    );
                }
                return Err(rdb_corrupt!(rdb, "RDB CRC error"));
            }
        }
    }
    // A key twice in one DB: the load would stop at dbAdd().
    if let Some(seen) = seen.as_mut() {
        if seen.has_duplicate() {
            return Err(rdb_corrupt!(rdb, "Duplicate key in the RDB file"));
        }
    }
    Ok(())
}

/// rdbLoadProgressCallback() for a check (`rdb_check_rio`): refreshes the
/// cached time and keeps the master from timing us out with a newline,
/// but serves no events: the check is not a load, the server does not
/// answer -LOADING meanwhile, and its clients wait as during the flush
/// that follows. The load's callback runs this first. Returns whether a
/// new step of `loading_process_events_interval_bytes` was reached.
/// (no C twin)
fn rdb_check_progress_callback(
    server: &mut RedisServer,
    rdb: &Rio,
    last_step: &mut usize,
) -> bool {
    let interval = server.loading_process_events_interval_bytes as usize;
    if interval == 0 || rdb.processed_bytes / interval <= *last_step {
        return false;
    }
    *last_step = rdb.processed_bytes / interval;
    // The DB can take some non trivial amount of time to load. Update our
    // cached time since it is used to create and update the last
    // interaction time with clients and for other important things.
    update_cached_time(server);
    if server.masterhost.is_some() && server.repl_state == REPL_STATE_TRANSFER {
        crate::replication::replication_send_newline_to_master(server);
    }
    true
}

/// C's atoi(): optional spaces and sign, then digits, stopping at the
/// first other byte; 0 if none. (no C twin)
fn c_atoi(s: &[u8]) -> i32 {
    c_strtoll(s).clamp(i32::MIN as i64, i32::MAX as i64) as i32
}

/// C's strtoll(s, NULL, 10), saturating like it. (no C twin)
fn c_strtoll(s: &[u8]) -> i64 {
    let mut i = 0;
    while i < s.len() && crate::object::is_c_space(s[i]) {
        i += 1;
    }
    let neg = s.get(i) == Some(&b'-');
    if matches!(s.get(i), Some(b'-') | Some(b'+')) {
        i += 1;
    }
    let mut v: i64 = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        let d = (s[i] - b'0') as i64;
        v = if neg {
            v.saturating_mul(10).saturating_sub(d)
        } else {
            v.saturating_mul(10).saturating_add(d)
        };
        i += 1;
    }
    v
}

/// Like rdbLoadRio() but takes a filename instead of a rio stream. The
/// filename is open for reading and a rio stream object created in order
/// to do the actual loading. Moreover the ETA displayed in the INFO output
/// is initialized and finalized.
///
/// If you pass an 'rsi' structure initialied with RDB_SAVE_INFO_INIT, the
/// loading code will fill the information fields in the structure.
///
/// C: rdb.c rdbLoad()
pub fn rdb_load(
    server: &mut RedisServer,
    filename: &str,
    rsi: Option<&mut RdbSaveInfo>,
) -> io::Result<()> {
    let fp = std::fs::File::open(filename)?;
    let total = fp.metadata().map(|m| m.len() as i64).unwrap_or(0);
    start_loading(server, total);
    let mut rdb = rio_init_with_file(fp);
    let retval = rdb_load_rio(server, &mut rdb, rsi, false);
    drop(rdb); // fclose()
    stop_loading(server);
    retval
}

/// A background saving child (BGSAVE) terminated its work. Handle this.
/// This function covers the case of actual BGSAVEs.
///
/// C: rdb.c backgroundSaveDoneHandlerDisk()
pub fn background_save_done_handler_disk(
    server: &mut RedisServer,
    exitcode: i32,
    bysignal: i32,
) {
    if bysignal == 0 && exitcode == 0 {
        server_log!(
            server,
            LL_NOTICE,
            "Background saving terminated with success"
        );
        server.dirty -= server.dirty_before_bgsave;
        server.lastsave = now_secs();
        server.lastbgsave_status = Ok(());
    } else if bysignal == 0 && exitcode != 0 {
        server_log!(server, LL_WARNING, "Background saving error");
        server.lastbgsave_status = Err(CErr);
    } else {
        server_log!(
            server,
            LL_WARNING,
            "Background saving terminated by signal {}",
            bysignal
        );
        // Divergence from C: no latency monitor sample of the unlink.
        rdb_remove_temp_file(server.rdb_child_pid);
        // SIGUSR1 is whitelisted, so we have a way to kill a child without
        // triggering an error condition.
        if bysignal != libc::SIGUSR1 {
            server.lastbgsave_status = Err(CErr);
        }
    }
    server.rdb_child_pid = -1;
    server.rdb_child_type = RDB_CHILD_TYPE_NONE;
    server.rdb_save_time_last = now_secs() - server.rdb_save_time_start;
    server.rdb_save_time_start = -1;
    // Possibly there are slaves waiting for a BGSAVE in order to be served
    // (the first stage of SYNC is a bulk transfer of dump.rdb).
    let ok = if bysignal == 0 && exitcode == 0 { Ok(()) } else { Err(CErr) };
    crate::replication::update_slaves_waiting_bgsave(
        server,
        ok,
        RDB_CHILD_TYPE_DISK,
    );
}

/// A background saving child (BGSAVE) terminated its work. Handle this.
/// This function covers the case of RDB -> Slaves socket transfers for
/// diskless replication: the child reported, through a pipe, which
/// replicas got the whole payload; the others are closed.
///
/// C: rdb.c backgroundSaveDoneHandlerSocket()
pub fn background_save_done_handler_socket(
    server: &mut RedisServer,
    exitcode: i32,
    bysignal: i32,
) {
    use crate::replication::SLAVE_STATE_WAIT_BGSAVE_END;
    if bysignal == 0 && exitcode == 0 {
        server_log!(
            server,
            LL_NOTICE,
            "Background RDB transfer terminated with success"
        );
    } else if bysignal == 0 && exitcode != 0 {
        server_log!(server, LL_WARNING, "Background transfer error");
    } else {
        server_log!(
            server,
            LL_WARNING,
            "Background transfer terminated by signal {}",
            bysignal
        );
    }
    server.rdb_child_pid = -1;
    server.rdb_child_type = RDB_CHILD_TYPE_NONE;
    server.rdb_save_time_start = -1;

    // If the child returns an OK exit code, read the set of slave client
    // IDs and the associated status code. We'll terminate all the slaves
    // in error state.
    //
    // If the process returned an error, consider the list of slaves that
    // can continue to be empty, so that it's just a special case of the
    // normal code path.
    let mut ok_slaves: Vec<(u64, u64)> = Vec::new();
    if bysignal == 0 && exitcode == 0 {
        let mut lenbuf = [0u8; 8];
        if read_exact_fd(server.rdb_pipe_read_result_from_child, &mut lenbuf) {
            // The count is bounded by the replicas we could have sent to.
            let n = u64::from_ne_bytes(lenbuf)
                .min(server.slaves.len() as u64 + 1024)
                as usize;
            let mut body = vec![0u8; n * 16];
            if n > 0
                && read_exact_fd(
                    server.rdb_pipe_read_result_from_child,
                    &mut body,
                )
            {
                for rec in body.chunks_exact(16) {
                    let id = u64::from_ne_bytes(
                        rec[..8].try_into().expect("8 bytes"),
                    );
                    let err = u64::from_ne_bytes(
                        rec[8..].try_into().expect("8 bytes"),
                    );
                    ok_slaves.push((id, err));
                }
            }
        }
    }
    close_fd(server.rdb_pipe_read_result_from_child);
    close_fd(server.rdb_pipe_write_result_to_parent);
    server.rdb_pipe_read_result_from_child = -1;
    server.rdb_pipe_write_result_to_parent = -1;

    // We can continue the replication process with all the slaves that
    // correctly received the full payload. Others are terminated.
    crate::replication::for_each_slave(server, None, |server, slave| {
        if slave.replstate != SLAVE_STATE_WAIT_BGSAVE_END {
            return;
        }
        // Search for the slave ID in the reply. In order for a slave to
        // continue the replication process, we need to find it in the
        // list, and it must have an error code set to 0 (which means
        // success).
        let found = ok_slaves.iter().find(|(id, _)| *id == slave.id.0);
        let errorcode = found.map(|(_, e)| *e).unwrap_or(0);
        if found.is_none() || errorcode != 0 {
            let why = if errorcode == 0 {
                "RDB transfer child aborted".to_string()
            } else {
                crate::util::strerror(&io::Error::from_raw_os_error(
                    errorcode as i32,
                ))
            };
            server_log!(
                server,
                LL_WARNING,
                "Closing slave {}: child->slave RDB transfer failed: {}",
                crate::replication::replication_get_slave_name(slave),
                why
            );
            crate::networking::free_client(server, slave.id);
        } else {
            server_log!(
                server,
                LL_WARNING,
                "Slave {} correctly received the streamed RDB file.",
                crate::replication::replication_get_slave_name(slave)
            );
            // Restore the socket as non-blocking.
            if let Some(sock) = slave.sock.as_ref() {
                let _ = crate::networking::anet::anet_non_block(sock);
                let _ = crate::networking::anet::anet_send_timeout(sock, 0);
            }
        }
    });

    let ok = if bysignal == 0 && exitcode == 0 { Ok(()) } else { Err(CErr) };
    crate::replication::update_slaves_waiting_bgsave(
        server,
        ok,
        RDB_CHILD_TYPE_SOCKET,
    );
}

/// read(2) of exactly `buf.len()` bytes from a pipe we made; false on a
/// short read or an error. (no C twin)
fn read_exact_fd(fd: i32, buf: &mut [u8]) -> bool {
    if fd == -1 {
        return false;
    }
    let mut off = 0;
    while off < buf.len() {
        let rest = &mut buf[off..];
        // SAFETY: read(2) into our own buffer of rest.len() bytes, from a
        // pipe descriptor this module opened and has not closed yet.
        let n = unsafe {
            libc::read(fd, rest.as_mut_ptr() as *mut libc::c_void, rest.len())
        };
        if n < 0
            && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted
        {
            continue;
        }
        if n <= 0 {
            return false;
        }
        off += n as usize;
    }
    true
}

/// close(2) on a pipe descriptor this module made, ignoring -1. (no C
/// twin)
fn close_fd(fd: i32) {
    if fd != -1 {
        // SAFETY: the descriptor was made by pipe(2) in
        // rdb_save_to_slaves_sockets and is closed once; the callers reset
        // the field to -1 right after.
        unsafe { libc::close(fd) };
    }
}

/// When a background RDB saving/transfer terminates, call the right
/// handler.
///
/// C: rdb.c backgroundSaveDoneHandler()
pub fn background_save_done_handler(
    server: &mut RedisServer,
    exitcode: i32,
    bysignal: i32,
) {
    match server.rdb_child_type {
        RDB_CHILD_TYPE_DISK => {
            background_save_done_handler_disk(server, exitcode, bysignal)
        }
        RDB_CHILD_TYPE_SOCKET => {
            background_save_done_handler_socket(server, exitcode, bysignal)
        }
        _ => crate::server_panic!(server, "Unknown RDB child type."),
    }
}

/// Spawn an RDB child that writes the RDB to the sockets of the slaves
/// that are currently in SLAVE_STATE_WAIT_BGSAVE_START state (diskless
/// replication), through the fd-set rio target.
///
/// C: rdb.c rdbSaveToSlavesSockets()
pub fn rdb_save_to_slaves_sockets(
    server: &mut RedisServer,
    rsi: &RdbSaveInfo,
) -> CResult {
    use crate::replication::SLAVE_STATE_WAIT_BGSAVE_START;
    if server.rdb_child_pid != -1 {
        return Err(CErr);
    }

    // Before to fork, create a pipe that will be used in order to send
    // back to the parent the IDs of the slaves that successfully received
    // all the writes.
    let mut pipefds: [libc::c_int; 2] = [-1, -1];
    // SAFETY: pipe(2) writes two descriptors into the array we own.
    if unsafe { libc::pipe(pipefds.as_mut_ptr()) } == -1 {
        return Err(CErr);
    }
    server.rdb_pipe_read_result_from_child = pipefds[0];
    server.rdb_pipe_write_result_to_parent = pipefds[1];

    // Collect the file descriptors of the slaves we want to transfer the
    // RDB to, which are in WAIT_BGSAVE_START state. We also collect the
    // corresponding client IDs, useful for the child process in order to
    // build the report (sent via unix pipe) that will be sent to the
    // parent.
    let mut fds: Vec<i32> = Vec::new();
    let mut clientids: Vec<u64> = Vec::new();
    let offset = crate::replication::get_psync_initial_offset(server);
    crate::replication::for_each_slave(server, None, |server, slave| {
        if slave.replstate == SLAVE_STATE_WAIT_BGSAVE_START {
            clientids.push(slave.id.0);
            fds.push(slave.fd);
            let _ = crate::replication::replication_setup_slave_for_full_resync(
                server, slave, offset,
            );
            // Put the socket in blocking mode to simplify RDB transfer.
            // We'll restore it when the children returns (since duped
            // socket will share the O_NONBLOCK attribute with the parent).
            if let Some(sock) = slave.sock.as_ref() {
                let _ = crate::networking::anet::anet_block(sock);
                let _ = crate::networking::anet::anet_send_timeout(
                    sock,
                    server.repl_timeout as i64 * 1000,
                );
            }
        }
    });

    // Create the child process.
    crate::childinfo::open_child_info_pipe(server);
    let start = ustime();
    // SAFETY: no thread other than this one exists, so the child gets a
    // consistent copy of the address space. The child only reads the
    // dataset and writes to the replica sockets (blocking, with a send
    // timeout) and to the two pipes, never touches the event loop (shared
    // epoll instance), and leaves through exit_from_child (libc::_exit),
    // so no destructor runs and nothing of the parent is flushed twice.
    let childpid = unsafe { libc::fork() };
    if childpid == 0 {
        // Child
        let mut slave_sockets = rio_init_with_fdset(&fds);
        close_clild_unused_resource_after_fork(server);
        // Divergence from C: no redisSetProcTitle("redis-rdb-to-slaves").

        let mut retval: CResult =
            rdb_save_rio_with_eof_mark(server, &mut slave_sockets, Some(rsi))
                .map_err(|_| CErr);
        if retval.is_ok() && rio_flush(&mut slave_sockets).is_err() {
            retval = Err(CErr);
        }

        if retval.is_ok() {
            let private_dirty = crate::childinfo::zmalloc_get_private_dirty();
            if private_dirty != 0 {
                server_log!(
                    server,
                    LL_NOTICE,
                    "RDB: {} MB of memory used by copy-on-write",
                    private_dirty / (1024 * 1024)
                );
            }
            server.child_info_data.cow_size = private_dirty;
            crate::childinfo::send_child_info(
                server,
                crate::childinfo::CHILD_INFO_TYPE_RDB,
            );

            // If we are returning OK, at least one slave was served with
            // the RDB file as expected, so we need to send a report to the
            // parent via the pipe. The format of the message is:
            //
            // <len> <slave[0].id> <slave[0].error> ...
            //
            // len, slave IDs, and slave errors, are all uint64_t integers,
            // so basically the reply is composed of 64 bits for the len
            // field plus 2 additional 64 bit integers for each entry, for a
            // total of 'len' entries.
            //
            // The 'id' represents the slave's client ID, so that the master
            // can match the report with a specific slave, and 'error' is
            // set to 0 if the replication process terminated with a success
            // or the error code if an error occurred.
            let RioIo::Fdset(fdset) = &slave_sockets.io else {
                unreachable!("an fd-set rio")
            };
            let mut msg: Vec<u8> = Vec::with_capacity(8 * (1 + 2 * fds.len()));
            msg.extend_from_slice(&(fds.len() as u64).to_ne_bytes());
            for (id, state) in clientids.iter().zip(&fdset.state) {
                msg.extend_from_slice(&id.to_ne_bytes());
                msg.extend_from_slice(&(*state as u64).to_ne_bytes());
            }

            // Write the message to the parent. If we have no good slaves or
            // we are unable to transfer the message to the parent, we exit
            // with an error so that the parent will abort the replication
            // process with all the childre that were waiting.
            // SAFETY: write(2) of our own buffer to the pipe made above.
            let written = unsafe {
                libc::write(
                    server.rdb_pipe_write_result_to_parent,
                    msg.as_ptr() as *const libc::c_void,
                    msg.len(),
                )
            };
            if fds.is_empty() || written != msg.len() as isize {
                retval = Err(CErr);
            }
        }
        rio_free_fdset(slave_sockets);
        exit_from_child(if retval.is_ok() { 0 } else { 1 });
    } else {
        // Parent
        if childpid == -1 {
            let e = io::Error::last_os_error();
            server_log!(
                server,
                LL_WARNING,
                "Can't save in background: fork: {}",
                crate::util::strerror(&e)
            );

            // Undo the state change. The caller will perform cleanup on all
            // the slaves in BGSAVE_START state, but an early call to
            // replicationSetupSlaveForFullResync() turned it into
            // BGSAVE_END.
            crate::replication::for_each_slave(
                server,
                None,
                |_server, slave| {
                    if clientids.contains(&slave.id.0) {
                        slave.replstate = SLAVE_STATE_WAIT_BGSAVE_START;
                    }
                },
            );
            close_fd(pipefds[0]);
            close_fd(pipefds[1]);
            server.rdb_pipe_read_result_from_child = -1;
            server.rdb_pipe_write_result_to_parent = -1;
            crate::childinfo::close_child_info_pipe(server);
        } else {
            server.stat_fork_time = ustime() - start;
            // GB per second.
            server.stat_fork_rate = crate::util::zmalloc_used_memory() as f64
                * 1_000_000.0
                / server.stat_fork_time as f64
                / (1024.0 * 1024.0 * 1024.0);
            server_log!(
                server,
                LL_NOTICE,
                "Background RDB transfer started by pid {}",
                childpid
            );
            server.rdb_save_time_start = now_secs();
            server.rdb_child_pid = childpid;
            server.rdb_child_type = RDB_CHILD_TYPE_SOCKET;
            update_dict_resize_policy(server);
        }
        if childpid == -1 {
            Err(CErr)
        } else {
            Ok(())
        }
    }
}

/// SAVE: writes the dataset to disk in the foreground.
///
/// C: rdb.c saveCommand()
pub fn save_command(server: &mut RedisServer, c: &mut Client) {
    if server.rdb_child_pid != -1 {
        add_reply_error(c, "Background save already in progress");
        return;
    }
    let rsi = rdb_populate_save_info_with(server, Some(c));
    let filename = server.rdb_filename.clone();
    if rdb_save(server, &filename, rsi.as_ref()).is_ok() {
        add_reply(c, OK);
    } else {
        add_reply(c, ERR);
    }
}

/// shared.err
const ERR: &[u8] = b"-ERR\r\n";

/// BGSAVE [SCHEDULE]
///
/// C: rdb.c bgsaveCommand()
pub fn bgsave_command(server: &mut RedisServer, c: &mut Client) {
    // The SCHEDULE option changes the behavior of BGSAVE when an AOF
    // rewrite is in progress. Instead of returning an error a BGSAVE gets
    // scheduled.
    if c.argv.len() > 1 {
        if c.argv.len() == 2 && c.argv[1].eq_ignore_ascii_case(b"schedule") {
            // Divergence from C: there is never an AOF rewrite in
            // progress, so SCHEDULE never has to schedule.
        } else {
            add_reply(c, SYNTAXERR);
            return;
        }
    }

    let rsi = rdb_populate_save_info_with(server, Some(c));
    let filename = server.rdb_filename.clone();

    if server.rdb_child_pid != -1 {
        add_reply_error(c, "Background save already in progress");
    } else if rdb_save_background(server, &filename, rsi.as_ref()).is_ok() {
        add_reply_status(c, "Background saving started");
    } else {
        add_reply(c, ERR);
    }
}

/// Populate the rdbSaveInfo structure used to persist the replication
/// information inside the RDB file. Currently the structure explicitly
/// contains just the currently selected DB from the master stream, however
/// if the rdbSave*() family functions receive no rsi structure also the
/// Replication ID/offset is not saved. Returns the structure if the
/// instance has a valid master client, otherwise `None`, and the RDB
/// saving will not persist any replication related information.
///
/// C: rdb.c rdbPopulateSaveInfo()
pub fn rdb_populate_save_info(server: &RedisServer) -> Option<RdbSaveInfo> {
    rdb_populate_save_info_with(server, None)
}

/// rdbPopulateSaveInfo() for code running a client's command: `current`
/// is that client, which is lent out of `server.clients` while it runs
/// and may be the master (a FLUSHALL from the master saves). Without it,
/// a running master's DB cannot be read and the cached master (if any) is
/// used, as when the master is not connected. (no C twin)
pub fn rdb_populate_save_info_with(
    server: &RedisServer,
    current: Option<&Client>,
) -> Option<RdbSaveInfo> {
    let mut rsi = RDB_SAVE_INFO_INIT;

    // If the instance is a master, we can populate the replication info
    // only when repl_backlog is not NULL. If the repl_backlog is NULL, it
    // means that the instance isn't in any replication chains. In this
    // scenario the replication info is useless, because when a slave
    // connects to us, the NULL repl_backlog will trigger a full
    // synchronization, at the same time we will use a new replid and clear
    // replid2.
    if server.masterhost.is_none() && server.repl_backlog.is_some() {
        // Note that when server.slaveseldb is -1, it means that this master
        // didn't apply any write commands after a full synchronization. So
        // we can let repl_stream_db be 0, this allows a restarted slave to
        // reload replication ID/offset, it's safe because the next write
        // command must generate a SELECT statement.
        rsi.repl_stream_db =
            if server.slaveseldb == -1 { 0 } else { server.slaveseldb };
        return Some(rsi);
    }

    // If the instance is a slave we need a connected master in order to
    // fetch the currently selected DB.
    if let Some(mid) = server.master {
        let db = match current {
            Some(c) if c.id == mid => Some(c.db),
            _ => server.clients.get(&mid).map(|m| m.db),
        };
        if let Some(db) = db {
            rsi.repl_stream_db = db as i32;
            return Some(rsi);
        }
    }

    // If we have a cached master we can use it in order to populate the
    // replication selected DB info inside the RDB file: the slave can
    // increment the master_repl_offset only from data arriving from the
    // master, so if we are disconnected the offset in the cached master is
    // valid.
    if let Some(cm) = &server.cached_master {
        rsi.repl_stream_db = cm.db as i32;
        return Some(rsi);
    }
    None
}

// ------------------------ server.c: persistence parts ------------------------

/// Kills the saving child (with SIGUSR1, which its done handler does not
/// count as an error) and removes its temp file, as FLUSHALL and
/// prepareForShutdown() do. The child is reaped later by server_cron.
/// (no C twin: C repeats the two calls inline)
pub fn kill_rdb_child(server: &mut RedisServer) {
    if server.rdb_child_pid != -1 {
        // SAFETY: kill(2) on the pid of our own unreaped child (it cannot
        // have been reused: we have not waited for it yet).
        unsafe { libc::kill(server.rdb_child_pid, libc::SIGUSR1) };
        rdb_remove_temp_file(server.rdb_child_pid);
    }
}

/// The persistence part of serverCron(): if a saving child exists, check
/// (without blocking) whether it terminated and run the done handler;
/// otherwise start a BGSAVE when a save point is reached (and the last
/// attempt succeeded, or failed more than CONFIG_BGSAVE_RETRY_DELAY
/// seconds ago). (no C twin: inline in serverCron)
pub fn server_cron_persistence(server: &mut RedisServer) {
    // Check if a background saving in progress terminated.
    if server.rdb_child_pid != -1 {
        let mut statloc: libc::c_int = 0;
        // SAFETY: waitpid(2) with WNOHANG writes the status into our own
        // int; it only reaps children of this process.
        let pid = unsafe { libc::waitpid(-1, &mut statloc, libc::WNOHANG) };
        if pid != 0 {
            let exitcode = libc::WEXITSTATUS(statloc);
            let reaped_rdb_child = pid == server.rdb_child_pid;
            let mut bysignal = 0;
            if libc::WIFSIGNALED(statloc) {
                bysignal = libc::WTERMSIG(statloc);
            }

            if pid == -1 {
                let e = io::Error::last_os_error();
                server_log!(
                    server,
                    LL_WARNING,
                    "wait3() returned an error: {}. rdb_child_pid = {}, aof_child_pid = {}",
                    crate::util::strerror(&e),
                    server.rdb_child_pid,
                    -1
                );
            } else if reaped_rdb_child {
                // Divergence from C: the child's info is read and its pipe
                // closed before the done handler runs, not after. The
                // handler may start the next BGSAVE at once for replicas
                // that were waiting (updateSlavesWaitingBgsave ->
                // startBgsaveForReplication), which opens a new pipe: C
                // then reads the new, empty pipe, leaks the old one's two
                // fds and closes the new one under its running child, so
                // that child's copy-on-write size is lost too.
                if bysignal == 0 && exitcode == 0 {
                    crate::childinfo::receive_child_info(server);
                }
                crate::childinfo::close_child_info_pipe(server);
                background_save_done_handler(server, exitcode, bysignal);
            } else {
                server_log!(
                    server,
                    LL_WARNING,
                    "Warning, detected child with unmatched pid: {}",
                    pid
                );
            }
            update_dict_resize_policy(server);
            if !reaped_rdb_child {
                crate::childinfo::close_child_info_pipe(server);
            }
        }
    } else {
        // If there is not a background saving/rewrite in progress check if
        // we have to save/rewrite now.
        for j in 0..server.saveparams.len() {
            let sp = server.saveparams[j];
            // Save if we reached the given amount of changes, the given
            // amount of seconds, and if the latest bgsave was successful or
            // if, in case of an error, at least CONFIG_BGSAVE_RETRY_DELAY
            // seconds already elapsed.
            if server.dirty >= sp.changes as i64
                && server.unixtime - server.lastsave > sp.seconds
                && (server.unixtime - server.lastbgsave_try
                    > CONFIG_BGSAVE_RETRY_DELAY
                    || server.lastbgsave_status.is_ok())
            {
                server_log!(
                    server,
                    LL_NOTICE,
                    "{} changes in {} seconds. Saving...",
                    sp.changes,
                    sp.seconds as i32
                );
                let rsi = rdb_populate_save_info(server);
                let filename = server.rdb_filename.clone();
                let _ = rdb_save_background(server, &filename, rsi.as_ref());
                break;
            }
        }
        // Divergence from C: no AOF, so no automatic AOF rewrite check.
    }
}

/// The end of serverCron(), after replicationCron(): start a BGSAVE that
/// BGSAVE SCHEDULE postponed, when possible. (no C twin: inline in
/// serverCron)
pub fn server_cron_scheduled_bgsave(server: &mut RedisServer) {
    if server.rdb_child_pid == -1
        && server.rdb_bgsave_scheduled
        && (server.unixtime - server.lastbgsave_try > CONFIG_BGSAVE_RETRY_DELAY
            || server.lastbgsave_status.is_ok())
    {
        let rsi = rdb_populate_save_info(server);
        let filename = server.rdb_filename.clone();
        if rdb_save_background(server, &filename, rsi.as_ref()).is_ok() {
            server.rdb_bgsave_scheduled = false;
        }
    }
}

/// Return true if writes must be refused because the last BGSAVE failed
/// (stop-writes-on-bgsave-error with save points configured).
///
/// C: server.c writeCommandsDeniedByDiskError()
pub fn write_commands_denied_by_disk_error(server: &RedisServer) -> bool {
    server.stop_writes_on_bgsave_err
        && !server.saveparams.is_empty()
        && server.lastbgsave_status.is_err()
    // Divergence from C: no AOF, so no aof_last_write_status check.
}

/// The persistence part of prepareForShutdown(): kill a saving child and,
/// if save points are configured (unless NOSAVE) or SAVE was given, save
/// the final RDB; a failed save cancels the shutdown. (no C twin: inline
/// in prepareForShutdown)
pub fn shutdown_persistence(server: &mut RedisServer, flags: i32) -> CResult {
    let save = flags & SHUTDOWN_SAVE != 0;
    let nosave = flags & SHUTDOWN_NOSAVE != 0;

    // Kill the saving child if there is a background saving in progress.
    // We want to avoid race conditions, for instance our saving child may
    // overwrite the synchronous saving did by SHUTDOWN.
    if server.rdb_child_pid != -1 {
        server_log!(
            server,
            LL_WARNING,
            "There is a child saving an .rdb. Killing it!"
        );
        kill_rdb_child(server);
    }

    // Divergence from C: no AOF to flush and fsync.

    // Create a new RDB file before exiting.
    if (!server.saveparams.is_empty() && !nosave) || save {
        server_log!(
            server,
            LL_NOTICE,
            "Saving the final RDB snapshot before exiting."
        );
        // Snapshotting. Perform a SYNC SAVE and exit
        let rsi = rdb_populate_save_info(server);
        let filename = server.rdb_filename.clone();
        if rdb_save(server, &filename, rsi.as_ref()).is_err() {
            // Ooops.. error saving! The best we can do is to continue
            // operating. Note that if there was a background saving
            // process, in the next cron() Redis will be notified that the
            // background saving aborted, handling special stuff like slaves
            // pending for synchronization...
            server_log!(
                server,
                LL_WARNING,
                "Error trying to save the DB, can't exit."
            );
            return Err(CErr);
        }
    }
    Ok(())
}

/// Function called at startup to load RDB or AOF file in memory. A file
/// that is missing is fine (an empty dataset); any other failure ends the
/// process.
///
/// C: server.c loadDataFromDisk()
pub fn load_data_from_disk(server: &mut RedisServer) {
    let start = ustime();
    // Divergence from C: no AOF loading (see main); the RDB is loaded
    // even with appendonly yes.
    let mut rsi = RDB_SAVE_INFO_INIT;
    let filename = server.rdb_filename.clone();
    match rdb_load(server, &filename, Some(&mut rsi)) {
        Ok(()) => {
            server_log!(
                server,
                LL_NOTICE,
                "DB loaded from disk: {:.3} seconds",
                (ustime() - start) as f32 / 1_000_000.0
            );

            // Restore the replication ID / offset from the RDB file.
            if server.masterhost.is_some()
                && rsi.repl_id_is_set
                && rsi.repl_offset != -1
                // Note that older implementations may save a
                // repl_stream_db of -1 inside the RDB file in a wrong way,
                // see more information in function rdbPopulateSaveInfo.
                && rsi.repl_stream_db != -1
            {
                server.replid = rsi.repl_id;
                server.master_repl_offset = rsi.repl_offset;
                // If we are a slave, create a cached master from this
                // information, in order to allow partial
                // resynchronizations with masters.
                crate::replication::replication_cache_master_using_myself(
                    server,
                );
                if let Some(mut cm) = server.cached_master.take() {
                    let _ = crate::db::select_db(
                        server,
                        &mut cm,
                        rsi.repl_stream_db as i64,
                    );
                    server.cached_master = Some(cm);
                }
            }
        }
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            server_log!(
                server,
                LL_WARNING,
                "Fatal error loading the DB: {}. Exiting.",
                crate::util::strerror(&e)
            );
            std::process::exit(1);
        }
        Err(_) => {}
    }
}

/// DEBUG RELOAD: save the dataset, empty it, load it back, and reply.
/// debug.rs calls it from its DEBUG command.
///
/// Divergence from C: no protectClient() around the load: the client is
/// lent out of `server.clients` while its command runs, so events served
/// during the load cannot free it (a free waits in its "running" slot).
///
/// C: debug.c debugCommand() (the "reload" branch)
pub fn debug_reload(server: &mut RedisServer, c: &mut Client) {
    let rsi = rdb_populate_save_info_with(server, Some(c));
    let filename = server.rdb_filename.clone();
    if rdb_save(server, &filename, rsi.as_ref()).is_err() {
        add_reply(c, ERR);
        return;
    }
    empty_db(server, -1, EMPTYDB_NO_FLAGS, None);
    if rdb_load(server, &filename, None).is_err() {
        add_reply_error(c, "Error trying to load the RDB dump");
        return;
    }
    server_log!(server, LL_WARNING, "DB reloaded by DEBUG RELOAD");
    add_reply(c, OK);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server with its databases, as init_server() leaves it.
    fn new_server() -> RedisServer {
        let mut server = init_server_config();
        server.db = (0..server.dbnum).map(crate::db::RedisDb::new).collect();
        server
    }

    fn buf_rio(bytes: Vec<u8>) -> Rio {
        rio_init_with_buffer(bytes)
    }

    #[test]
    fn rdb_save_len_uses_the_four_encodings() {
        for (len, expect) in [
            (0u64, vec![0x00]),
            (63, vec![0x3f]),
            (64, vec![0x40, 0x40]),
            (16383, vec![0x7f, 0xff]),
            (16384, vec![0x80, 0, 0, 0x40, 0]),
            (u32::MAX as u64, vec![0x80, 0xff, 0xff, 0xff, 0xff]),
            (1 << 32, vec![0x81, 0, 0, 0, 1, 0, 0, 0, 0]),
        ] {
            let mut w = buf_rio(Vec::new());
            assert_eq!(rdb_save_len(&mut w, len).unwrap(), expect.len());
            assert_eq!(rdb_save_len_size(len), expect.len());
            let bytes = rio_into_buffer(w);
            assert_eq!(bytes, expect, "len {len}");
            let mut r = buf_rio(bytes);
            assert_eq!(rdb_load_len_by_ref(&mut r).unwrap(), (len, false));
        }
    }

    #[test]
    fn rdb_encode_integer_ranges() {
        let mut enc = [0u8; 5];
        assert_eq!(rdb_encode_integer(-128, &mut enc), 2);
        assert_eq!(&enc[..2], &[0xc0, 0x80]);
        assert_eq!(rdb_encode_integer(128, &mut enc), 3);
        assert_eq!(&enc[..3], &[0xc1, 0x80, 0x00]);
        assert_eq!(rdb_encode_integer(-32769, &mut enc), 5);
        assert_eq!(rdb_encode_integer(1 << 31, &mut enc), 0);
        // Only canonical integers of at most 11 chars are encoded.
        assert_eq!(rdb_try_integer_encoding(b"007", &mut enc), 0);
        assert_eq!(rdb_try_integer_encoding(b"+7", &mut enc), 0);
        assert_eq!(rdb_try_integer_encoding(b"-2147483648", &mut enc), 5);
    }

    #[test]
    fn rdb_strings_roundtrip_in_every_encoding() {
        let mut server = new_server();
        server.rdb_compression = true;
        let long = vec![b'a'; 1000];
        let cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"12".to_vec(),
            b"-70000".to_vec(),
            b"hello".to_vec(),
            long.clone(),
            b"12345678901234".to_vec(),
        ];
        let mut w = buf_rio(Vec::new());
        for s in &cases {
            rdb_save_raw_string(&server, &mut w, s).unwrap();
        }
        let bytes = rio_into_buffer(w);
        // The 1000 'a' were compressed.
        assert!(bytes.len() < 200, "{}", bytes.len());
        let mut r = buf_rio(bytes);
        for s in &cases {
            assert_eq!(&rdb_generic_load_string_object(&mut r).unwrap(), s);
        }
        server.rdb_compression = false;
        let mut w = buf_rio(Vec::new());
        rdb_save_raw_string(&server, &mut w, &long).unwrap();
        assert_eq!(rio_into_buffer(w).len(), 1002);
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn lzf_compress_matches_liblzf_and_roundtrips() {
        // Outputs of Redis 5.0.14's lzf_c.c (built with a cleared table)
        // for these inputs; the same state is reused on purpose.
        let mut state = LzfState::new();
        for (input, want) in [
            (
                "aaccbbbddacbaaccbbbddacbaaccbbbddacbab",
                "0c61616363626262646461636261e00e0b016162",
            ),
            (
                "hello world hello world hello world hello world hello world ",
                "0c68656c6c6f20776f726c642068e0240b016420",
            ),
            (
                "abcabcabdabcabcabdXabcabcabdabcabcabdabc",
                "0361626361400200646005200b0164586006400960056008016263",
            ),
        ] {
            let got =
                lzf_compress(&mut state, input.as_bytes(), input.len() - 4)
                    .unwrap();
            assert_eq!(got, unhex(want), "{input}");
            assert_eq!(
                lzf::decompress(&got, input.len()).unwrap(),
                input.as_bytes()
            );
        }
        // Random inputs round trip through the crate's decompressor, and
        // an output that would not fit is refused.
        let mut x: u64 = 12345;
        for round in 0..300 {
            let len = 1 + (round * 37) % 3000;
            let data: Vec<u8> = (0..len)
                .map(|i| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    if round % 3 == 0 {
                        (x % 4) as u8
                    } else {
                        b"abcabcabd"[(i + (x % 3) as usize) % 9]
                    }
                })
                .collect();
            if let Some(c) = lzf_compress(&mut state, &data, data.len()) {
                assert!(c.len() <= data.len());
                assert_eq!(
                    lzf::decompress(&c, data.len()).unwrap(),
                    data,
                    "round {round}"
                );
            }
        }
        assert_eq!(
            lzf_compress(&mut state, b"abcdefghijklmnopqrstuvwxyz", 22),
            None
        );
    }

    #[test]
    fn rdb_double_values_roundtrip() {
        for v in [0.0, 1.5, -3.0, 1e300, f64::INFINITY, f64::NEG_INFINITY, 0.1]
        {
            let mut w = buf_rio(Vec::new());
            rdb_save_double_value(&mut w, v).unwrap();
            rdb_save_binary_double_value(&mut w, v).unwrap();
            let mut r = buf_rio(rio_into_buffer(w));
            assert_eq!(rdb_load_double_value(&mut r).unwrap(), v);
            assert_eq!(rdb_load_binary_double_value(&mut r).unwrap(), v);
        }
        let mut w = buf_rio(Vec::new());
        rdb_save_double_value(&mut w, f64::NAN).unwrap();
        assert!(rdb_load_double_value(&mut buf_rio(rio_into_buffer(w)))
            .unwrap()
            .is_nan());
    }

    #[test]
    fn rdb_load_lzf_string_object_refuses_lies() {
        // An LZF string claiming a huge size from 3 compressed bytes.
        let mut bytes = vec![0xc3];
        bytes.extend([0x03]); // clen 3
        bytes.extend([0x81, 0, 0, 0, 1, 0, 0, 0, 0]); // len 2^32
        bytes.extend([0, b'a', b'b']);
        let err =
            rdb_generic_load_string_object(&mut buf_rio(bytes)).unwrap_err();
        assert!(
            matches!(err, RdbLoadError::Corrupt(ref c) if c.reason.starts_with("Invalid LZF")),
            "{err:?}"
        );
        // A plain string longer than the input.
        let err = rdb_generic_load_string_object(&mut buf_rio(vec![
            0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ]))
        .unwrap_err();
        assert!(matches!(err, RdbLoadError::Corrupt(ref c) if c.short_read));
    }

    /// A dump of the current dataset, through the buffer target.
    fn dump(server: &RedisServer) -> Vec<u8> {
        let mut w = buf_rio(Vec::new());
        rdb_save_rio(server, &mut w, RDB_SAVE_NONE, None).unwrap();
        rio_into_buffer(w)
    }

    #[test]
    fn rdb_save_rio_then_load_rio_gives_back_strings_and_expires() {
        let mut server = new_server();
        server.db[0]
            .dict
            .dict_add(b"k1".into(), try_object_encoding(0, b"v1".to_vec()))
            .unwrap();
        server.db[0]
            .dict
            .dict_add(b"n".into(), try_object_encoding(0, b"12345".to_vec()))
            .unwrap();
        server.db[3]
            .dict
            .dict_add(b"k3".into(), try_object_encoding(0, vec![b'x'; 100]))
            .unwrap();
        crate::db::set_expire(&mut server, None, 3, b"k3", mstime() + 100_000);
        let bytes = dump(&server);
        assert_eq!(&bytes[..9], b"REDIS0009");
        // The trailer is the CRC64 of everything before it.
        let n = bytes.len();
        assert_eq!(
            u64::from_le_bytes(bytes[n - 8..].try_into().unwrap()),
            crc64(0, &bytes[..n - 8])
        );

        let mut loaded = new_server();
        rdb_load_rio_checked(
            &mut loaded,
            &mut buf_rio(bytes.clone()),
            None,
            false,
        )
        .unwrap();
        assert_eq!(loaded.db[0].dict.dict_size(), 2);
        assert!(matches!(
            loaded.db[0].dict.find(b"n").unwrap().val().ptr,
            Value::Int(12345)
        ));
        assert!(get_expire(&loaded, 3, b"k3") > mstime());
        assert_eq!(
            loaded.db[3]
                .dict
                .find(b"k3")
                .unwrap()
                .val()
                .string_bytes()
                .unwrap()
                .len(),
            100
        );
    }

    #[test]
    fn rdb_load_rio_reports_truncation_checksum_and_unknown_types() {
        let mut server = new_server();
        for i in 0..50 {
            let k = format!("key:{i}").into_bytes().into();
            server.db[0]
                .dict
                .dict_add(
                    k,
                    try_object_encoding(0, format!("value:{i}").into_bytes()),
                )
                .unwrap();
        }
        let bytes = dump(&server);

        // Every truncation is a short read, never a panic.
        for cut in 9..bytes.len() {
            let mut s = new_server();
            match rdb_load_rio_checked(
                &mut s,
                &mut buf_rio(bytes[..cut].to_vec()),
                None,
                false,
            ) {
                Err(RdbLoadError::Corrupt(c)) => {
                    assert!(c.short_read || cut == 0, "cut {cut}: {c:?}")
                }
                other => panic!("cut {cut}: {other:?}"),
            }
        }

        // A flipped byte in a value is caught by the checksum.
        let mut bad = bytes.clone();
        let at = bad.len() - 20;
        bad[at] ^= 0x01;
        let mut s = new_server();
        match rdb_load_rio_checked(&mut s, &mut buf_rio(bad), None, false) {
            Err(RdbLoadError::Corrupt(c)) => {
                assert_eq!(c.reason, "RDB CRC error")
            }
            Ok(()) => panic!("a flipped byte was not noticed"),
            Err(e) => {
                // The flip may also land on a length: still an error.
                let _ = e;
            }
        }

        // Wrong magic.
        let mut s = new_server();
        let mut bad = bytes.clone();
        bad[0] = b'X';
        assert!(matches!(
            rdb_load_rio_checked(&mut s, &mut buf_rio(bad), None, false),
            Err(RdbLoadError::Err(_))
        ));

        // An unknown type.
        let mut s = new_server();
        let mut unk = b"REDIS0009".to_vec();
        unk.extend([200, 1, b'k', 1, b'v', 255]);
        match rdb_load_rio_checked(&mut s, &mut buf_rio(unk), None, false) {
            Err(RdbLoadError::Corrupt(c)) => {
                assert_eq!(c.reason, "Unknown RDB encoding type 200");
                assert_eq!(c.offset, 12); // after the type and the key
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rdb_load_rio_survives_random_damage() {
        // A small property test: random byte changes in a valid dump never
        // panic the loader (checksums off, so the damage is decoded).
        let mut server = new_server();
        server.rdb_checksum = false;
        for i in 0..20 {
            let k = format!("k{i}").into_bytes().into();
            server.db[i % 3]
                .dict
                .dict_add(
                    k,
                    try_object_encoding(0, vec![b'a' + i as u8; 30 + i]),
                )
                .unwrap();
        }
        let bytes = dump(&server);
        let mut x: u64 = 0x9e3779b97f4a7c15;
        for _ in 0..3000 {
            let mut b = bytes.clone();
            for _ in 0..3 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let at = 9 + (x as usize % (b.len() - 9));
                b[at] = (x >> 32) as u8;
            }
            let mut s = new_server();
            s.rdb_checksum = false;
            let _ = rdb_load_rio_checked(&mut s, &mut buf_rio(b), None, false);
        }
    }

    /// An RDB holding every compact encoding 5.0 and 7.0 write, built with
    /// the encoders of ziplist.rs, listpack.rs and intset.rs.
    fn compact_dump(server: &RedisServer) -> Vec<u8> {
        use crate::listpack::lp_from_items;
        use crate::ziplist::ziplist_from_items;
        let mut w = buf_rio(b"REDIS0010".to_vec());
        let put = |w: &mut Rio, t: u8, key: &[u8], blob: &[u8]| {
            rdb_save_type(w, t).unwrap();
            rdb_save_raw_string(server, w, key).unwrap();
            rdb_save_raw_string(server, w, blob).unwrap();
        };
        put(
            &mut w,
            RDB_TYPE_HASH_ZIPLIST,
            b"h13",
            &ziplist_from_items([&b"f1"[..], b"v1", b"n", b"12"]).unwrap(),
        );
        put(
            &mut w,
            RDB_TYPE_ZSET_ZIPLIST,
            b"z12",
            &ziplist_from_items([&b"a"[..], b"1.5", b"b", b"3"]).unwrap(),
        );
        put(
            &mut w,
            RDB_TYPE_LIST_ZIPLIST,
            b"l10",
            &ziplist_from_items([&b"x"[..], b"7"]).unwrap(),
        );
        put(
            &mut w,
            RDB_TYPE_HASH_LISTPACK,
            b"h16",
            &lp_from_items([&b"f"[..], b"v"]).unwrap(),
        );
        put(
            &mut w,
            RDB_TYPE_ZSET_LISTPACK,
            b"z17",
            &lp_from_items([&b"m"[..], b"-2"]).unwrap(),
        );
        let mut is = crate::intset::Intset::intset_new();
        is.intset_add(5);
        is.intset_add(-70000);
        put(&mut w, RDB_TYPE_SET_INTSET, b"s11", is.as_blob());
        // A 5.0 quicklist of two ziplist nodes.
        rdb_save_type(&mut w, RDB_TYPE_LIST_QUICKLIST).unwrap();
        rdb_save_raw_string(server, &mut w, b"l14").unwrap();
        rdb_save_len(&mut w, 2).unwrap();
        rdb_save_raw_string(
            server,
            &mut w,
            &ziplist_from_items([&b"a"[..], b"b"]).unwrap(),
        )
        .unwrap();
        rdb_save_raw_string(
            server,
            &mut w,
            &ziplist_from_items([&b"c"[..]]).unwrap(),
        )
        .unwrap();
        // A 7.0 quicklist: a listpack node and a plain node.
        rdb_save_type(&mut w, RDB_TYPE_LIST_QUICKLIST_2).unwrap();
        rdb_save_raw_string(server, &mut w, b"l18").unwrap();
        rdb_save_len(&mut w, 2).unwrap();
        rdb_save_len(&mut w, QUICKLIST_NODE_CONTAINER_PACKED).unwrap();
        rdb_save_raw_string(
            server,
            &mut w,
            &lp_from_items([&b"p"[..], b"99"]).unwrap(),
        )
        .unwrap();
        rdb_save_len(&mut w, QUICKLIST_NODE_CONTAINER_PLAIN).unwrap();
        rdb_save_raw_string(server, &mut w, b"plain").unwrap();
        rdb_save_type(&mut w, RDB_OPCODE_EOF).unwrap();
        let mut bytes = rio_into_buffer(w);
        bytes.extend([0u8; 8]); // checksum disabled
        bytes
    }

    #[test]
    fn rdb_load_object_decodes_every_compact_encoding() {
        let mut server = new_server();
        server.rdb_compression = false;
        let bytes = compact_dump(&server);
        rdb_load_rio_checked(&mut server, &mut buf_rio(bytes), None, false)
            .unwrap();
        let db = &server.db[0];
        let mut names: Vec<String> = db
            .dict
            .iter()
            .map(|de| String::from_utf8_lossy(de.key()).into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["h13", "h16", "l10", "l14", "l18", "s11", "z12", "z17"]
        );
        let list = |k: &[u8]| match &db.dict.find(k).unwrap().val().ptr {
            Value::List(l) => l
                .iter()
                .map(|e| String::from_utf8_lossy(e).into_owned())
                .collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(list(b"l14"), ["a", "b", "c"]);
        assert_eq!(list(b"l18"), ["p", "99", "plain"]);
        assert_eq!(list(b"l10"), ["x", "7"]);
        match &db.dict.find(b"z12").unwrap().val().ptr {
            Value::ZSet(z) => {
                let v: Vec<(Vec<u8>, f64)> =
                    z.iter().map(|(m, s)| (m.to_vec(), s)).collect();
                assert_eq!(v, vec![(b"a".to_vec(), 1.5), (b"b".to_vec(), 3.0)]);
            }
            other => panic!("{other:?}"),
        }
        match &db.dict.find(b"h13").unwrap().val().ptr {
            Value::Hash(h) => assert_eq!(h.get(b"n"), Some(&b"12"[..])),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            db.dict.find(b"s11").unwrap().val().encoding,
            OBJ_ENCODING_INTSET
        );
    }

    #[test]
    fn rdb_load_rio_survives_random_damage_to_compact_encodings() {
        let mut server = new_server();
        server.rdb_compression = false;
        server.rdb_checksum = false;
        let bytes = compact_dump(&server);
        let mut x: u64 = 0x2545f4914f6cdd1d;
        for _ in 0..5000 {
            let mut b = bytes.clone();
            for _ in 0..1 + (x % 3) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let at = 9 + (x as usize % (b.len() - 9));
                b[at] = (x >> 40) as u8;
            }
            let mut s = new_server();
            s.rdb_checksum = false;
            let _ = rdb_load_rio_checked(&mut s, &mut buf_rio(b), None, false);
        }
    }

    #[test]
    fn rdb_load_rio_drops_keys_already_expired_on_a_master() {
        let mut server = new_server();
        let mut w = buf_rio(b"REDIS0009".to_vec());
        rdb_save_key_value_pair(
            &server,
            &mut w,
            b"old",
            &try_object_encoding(0, b"v".to_vec()),
            1000,
        )
        .unwrap();
        rdb_save_key_value_pair(
            &server,
            &mut w,
            b"new",
            &try_object_encoding(0, b"v".to_vec()),
            mstime() + 60_000,
        )
        .unwrap();
        rdb_save_type(&mut w, RDB_OPCODE_EOF).unwrap();
        let mut bytes = rio_into_buffer(w);
        bytes.extend([0u8; 8]);
        rdb_load_rio_checked(
            &mut server,
            &mut buf_rio(bytes.clone()),
            None,
            false,
        )
        .unwrap();
        assert!(server.db[0].dict.find(b"old").is_none());
        assert!(server.db[0].dict.find(b"new").is_some());
        // A replica keeps them: its master expires them.
        let mut replica = new_server();
        replica.masterhost = Some("127.0.0.1".to_string());
        rdb_load_rio_checked(&mut replica, &mut buf_rio(bytes), None, false)
            .unwrap();
        assert!(replica.db[0].dict.find(b"old").is_some());
    }

    #[test]
    fn rdb_load_rio_keeps_the_replication_aux_fields() {
        let mut server = new_server();
        server.replid = *b"0123456789abcdef0123456789abcdef01234567";
        server.master_repl_offset = 4242;
        let rsi = RdbSaveInfo { repl_stream_db: 3, ..RDB_SAVE_INFO_INIT };
        let mut w = buf_rio(Vec::new());
        rdb_save_rio(&server, &mut w, RDB_SAVE_NONE, Some(&rsi)).unwrap();
        let mut got = RDB_SAVE_INFO_INIT;
        let mut loaded = new_server();
        rdb_load_rio_checked(
            &mut loaded,
            &mut buf_rio(rio_into_buffer(w)),
            Some(&mut got),
            false,
        )
        .unwrap();
        assert_eq!(got.repl_stream_db, 3);
        assert!(got.repl_id_is_set);
        assert_eq!(&got.repl_id, b"0123456789abcdef0123456789abcdef01234567");
        assert_eq!(got.repl_offset, 4242);
    }

    #[test]
    fn module_type_name_by_id_decodes_the_name() {
        // "mytype123" with version 7, as moduleTypeEncodeId() builds it.
        const CSET: &[u8] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut id: u64 = 0;
        for ch in b"mytype123" {
            id = (id << 6) | CSET.iter().position(|c| c == ch).unwrap() as u64;
        }
        id = (id << 10) | 7;
        assert_eq!(module_type_name_by_id(id), "mytype123");
    }

    /// A server holding `n` string keys in DB 0 and one in DB 2.
    fn server_with_keys(n: usize) -> RedisServer {
        let mut server = new_server();
        for i in 0..n {
            let k = format!("key:{i}").into_bytes().into();
            server.db[0]
                .dict
                .dict_add(k, try_object_encoding(0, b"value".to_vec()))
                .unwrap();
        }
        server.db[2]
            .dict
            .dict_add(
                b"key:0".to_vec().into(),
                try_object_encoding(0, b"x".to_vec()),
            )
            .unwrap();
        server
    }

    #[test]
    fn rdb_check_rio_accepts_a_good_dump_and_changes_nothing() {
        let bytes = dump(&server_with_keys(50));
        let mut s = new_server();
        rdb_check_rio(&mut s, &mut buf_rio(bytes)).unwrap();
        assert!(s.db.iter().all(|db| db.dict.dict_size() == 0));
    }

    #[test]
    fn rdb_check_rio_rejects_what_the_load_rejects() {
        let bytes = dump(&server_with_keys(50));
        // Cut short: every prefix fails, as the load would.
        for len in [0, 5, 9, bytes.len() / 2, bytes.len() - 9, bytes.len() - 1]
        {
            let mut s = new_server();
            let r = rdb_check_rio(&mut s, &mut buf_rio(bytes[..len].to_vec()));
            assert!(r.is_err(), "prefix of {len} bytes accepted");
        }
        // A bad CRC.
        let mut bad = bytes.clone();
        *bad.last_mut().unwrap() ^= 1;
        match rdb_check_rio(&mut new_server(), &mut buf_rio(bad)) {
            Err(RdbLoadError::Corrupt(c)) => {
                assert_eq!(c.reason, "RDB CRC error")
            }
            other => panic!("{other:?}"),
        }
        // Not an RDB file.
        let r =
            rdb_check_rio(&mut new_server(), &mut buf_rio(b"hello".to_vec()));
        assert!(r.is_err());
    }

    #[test]
    fn rdb_check_rio_finds_a_key_twice_in_one_db_only() {
        // The same key in two DBs is fine (server_with_keys has key:0 in
        // DB 0 and DB 2); twice in one DB is what the load refuses.
        let mut w = buf_rio(b"REDIS0009".to_vec());
        for _ in 0..2 {
            rdb_save_type(&mut w, RDB_TYPE_STRING).unwrap();
            rdb_save_raw_string(&new_server(), &mut w, b"k").unwrap();
            rdb_save_raw_string(&new_server(), &mut w, b"v").unwrap();
        }
        rdb_save_type(&mut w, RDB_OPCODE_EOF).unwrap();
        let mut bytes = rio_into_buffer(w);
        bytes.extend_from_slice(&[0; 8]); // checksum disabled
        let mut s = new_server();
        match rdb_check_rio(&mut s, &mut buf_rio(bytes.clone())) {
            Err(RdbLoadError::Corrupt(c)) => {
                assert_eq!(c.reason, "Duplicate key in the RDB file")
            }
            other => panic!("{other:?}"),
        }
        assert!(rdb_load_rio_checked(&mut s, &mut buf_rio(bytes), None, false)
            .is_err());
    }
}
