//! RDB persistence: the binary dump format, writing it (SAVE, and BGSAVE
//! in a forked child), reading it back at start-up and for DEBUG RELOAD,
//! and the cron work around it (reaping the child, save points).
//!
//! Ports rdb.c and rdb.h from Redis 5.0.14, in the same order, followed by
//! the persistence parts of server.c that C keeps inline in serverCron(),
//! prepareForShutdown() and main() (`server_cron_persistence`,
//! `shutdown_persistence`, `load_data_from_disk`). rdb.c has no section
//! banners, so the files split it where its functions change subject:
//!
//! - `mod.rs`: rdb.h, the RDB parts of server.h, the load errors;
//! - `low_level.rs`: rdbCheckThenExit() to rdbLoadObjectType(): types,
//!   times, lengths, integer/LZF/raw strings, doubles;
//! - `save.rs`: rdbSaveObject() to rdbRemoveTempFile();
//! - `load.rs`: rdbLoadCheckModuleValue() to rdbLoad() (and the check mode
//!   that stands in for redis-check-rdb);
//! - `background.rs`: backgroundSaveDoneHandlerDisk() to the end of rdb.c;
//! - `persistence.rs`: the server.c parts.
//!
//! The LZF compressor (lzf_c.c) is `crate::lzf`.
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
//! - Streams are saved as 5.0 saves them (RDB_TYPE_STREAM_LISTPACKS, the
//!   listpacks byte for byte); Redis 7.0's RDB_TYPE_STREAM_LISTPACKS_2 is
//!   loaded too, its 7.0-only fields read and dropped. Every stream
//!   listpack read from a file is validated as 7.0 does before use.
//! - Modules do not exist in this port: a file holding a module value
//!   stops the load with an error naming the module.

use std::io;

use crate::db::{empty_db, get_expire, EMPTYDB_NO_FLAGS};
use crate::evict::{estimate_object_idle_time, lfu_decr_and_return};
use crate::lzf::{lzf_compress, LzfState};
use crate::networking::{
    add_reply, add_reply_error, add_reply_status, with_running_in_table,
};
use crate::object::{
    create_intset_object, create_set_object, ll2string, object_set_lru_or_lfu,
    string2ll, try_object_encoding, RObj, Value, OBJ_ENCODING_HT,
    OBJ_ENCODING_INTSET, OBJ_LIST, OBJ_ZSET,
};
use crate::rio::*;
use crate::server::*;
use crate::server_log;
use crate::shared::{ERR, OK, SYNTAXERR};
use crate::util::{atoi, strtoll};

// ----------------------------------- rdb.h -----------------------------------

/// The current RDB version. When the format changes in a way that is no
/// longer backward compatible this number gets incremented.
pub(crate) const RDB_VERSION: i32 = 9;

/// The newest version the loader accepts. (no C twin: 5.0 loads up to
/// RDB_VERSION; 10 is Redis 7.0's, whose new types are listed below)
pub(crate) const RDB_LOAD_MAX_VERSION: i32 = 10;

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
pub(crate) const RDB_6BITLEN: u8 = 0;
pub(crate) const RDB_14BITLEN: u8 = 1;
pub(crate) const RDB_32BITLEN: u8 = 0x80;
pub(crate) const RDB_64BITLEN: u8 = 0x81;
pub(crate) const RDB_ENCVAL: u8 = 3;

// When a length of a string object stored on disk has the first two bits
// set, the remaining six bits specify a special encoding for the object
// accordingly to the following defines:
/// 8 bit signed integer
pub(crate) const RDB_ENC_INT8: u8 = 0;
/// 16 bit signed integer
pub(crate) const RDB_ENC_INT16: u8 = 1;
/// 32 bit signed integer
pub(crate) const RDB_ENC_INT32: u8 = 2;
/// string compressed with FASTLZ
pub(crate) const RDB_ENC_LZF: u8 = 3;

// Map object types to RDB object types. Macros starting with OBJ_ are for
// memory storage and may change. Instead RDB types must be fixed because
// we store them on disk.
pub(crate) const RDB_TYPE_STRING: u8 = 0;
pub(crate) const RDB_TYPE_LIST: u8 = 1;
pub(crate) const RDB_TYPE_SET: u8 = 2;
pub(crate) const RDB_TYPE_ZSET: u8 = 3;
pub(crate) const RDB_TYPE_HASH: u8 = 4;
/// ZSET version 2 with doubles stored in binary.
pub(crate) const RDB_TYPE_ZSET_2: u8 = 5;
pub(crate) const RDB_TYPE_MODULE: u8 = 6;
/// Module value with annotations for parsing without the generating
/// module being loaded.
pub(crate) const RDB_TYPE_MODULE_2: u8 = 7;

// Object types for encoded objects.
pub(crate) const RDB_TYPE_HASH_ZIPMAP: u8 = 9;
pub(crate) const RDB_TYPE_LIST_ZIPLIST: u8 = 10;
pub(crate) const RDB_TYPE_SET_INTSET: u8 = 11;
pub(crate) const RDB_TYPE_ZSET_ZIPLIST: u8 = 12;
pub(crate) const RDB_TYPE_HASH_ZIPLIST: u8 = 13;
pub(crate) const RDB_TYPE_LIST_QUICKLIST: u8 = 14;
pub(crate) const RDB_TYPE_STREAM_LISTPACKS: u8 = 15;

// The types Redis 7.0 (RDB version 10) added. (no C twin: rdb.h of 7.0)
pub(crate) const RDB_TYPE_HASH_LISTPACK: u8 = 16;
pub(crate) const RDB_TYPE_ZSET_LISTPACK: u8 = 17;
pub(crate) const RDB_TYPE_LIST_QUICKLIST_2: u8 = 18;
pub(crate) const RDB_TYPE_STREAM_LISTPACKS_2: u8 = 19;

// Special RDB opcodes (saved/loaded with rdbSaveType/rdbLoadType).
/// Redis 7.0's function library. (no C twin: 7.0)
pub(crate) const RDB_OPCODE_FUNCTION2: u8 = 245;
/// Redis 7.0 release candidates' function library. (no C twin: 7.0)
pub(crate) const RDB_OPCODE_FUNCTION: u8 = 246;
/// Module auxiliary data.
pub(crate) const RDB_OPCODE_MODULE_AUX: u8 = 247;
/// LRU idle time.
pub(crate) const RDB_OPCODE_IDLE: u8 = 248;
/// LFU frequency.
pub(crate) const RDB_OPCODE_FREQ: u8 = 249;
/// RDB aux field.
pub(crate) const RDB_OPCODE_AUX: u8 = 250;
/// Hash table resize hint.
pub(crate) const RDB_OPCODE_RESIZEDB: u8 = 251;
/// Expire time in milliseconds.
pub(crate) const RDB_OPCODE_EXPIRETIME_MS: u8 = 252;
/// Old expire time in seconds.
pub(crate) const RDB_OPCODE_EXPIRETIME: u8 = 253;
/// DB number of the following keys.
pub(crate) const RDB_OPCODE_SELECTDB: u8 = 254;
/// End of the RDB file.
pub(crate) const RDB_OPCODE_EOF: u8 = 255;

// Module serialized values sub opcodes
#[allow(dead_code)] // kept so the set reads whole beside C
pub(crate) const RDB_MODULE_OPCODE_EOF: u64 = 0;
#[allow(dead_code)] // kept so the set reads whole beside C
pub(crate) const RDB_MODULE_OPCODE_SINT: u64 = 1;
pub(crate) const RDB_MODULE_OPCODE_UINT: u64 = 2;
#[allow(dead_code)] // kept so the set reads whole beside C
pub(crate) const RDB_MODULE_OPCODE_FLOAT: u64 = 3;
#[allow(dead_code)] // kept so the set reads whole beside C
pub(crate) const RDB_MODULE_OPCODE_DOUBLE: u64 = 4;
#[allow(dead_code)] // kept so the set reads whole beside C
pub(crate) const RDB_MODULE_OPCODE_STRING: u64 = 5;

pub(crate) const RDB_SAVE_NONE: i32 = 0;
pub(crate) const RDB_SAVE_AOF_PREAMBLE: i32 = 1 << 0;

// ------------------------- server.h: RDB related state -------------------------

/// The kind of child in `server.rdb_child_type`.
pub(crate) const RDB_CHILD_TYPE_NONE: i32 = 0;
/// RDB is written to disk.
pub(crate) const RDB_CHILD_TYPE_DISK: i32 = 1;
/// RDB is written to slave socket.
pub(crate) const RDB_CHILD_TYPE_SOCKET: i32 = 2;

/// Wait a few secs before trying again after a failed BGSAVE.
pub(crate) const CONFIG_BGSAVE_RETRY_DELAY: i64 = 5;

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
    pub(crate) repl_stream_db: i32,
    /// True if repl_id field is set. (Used only loading.)
    pub(crate) repl_id_is_set: bool,
    /// Replication ID.
    pub(crate) repl_id: [u8; 40],
    /// Replication offset.
    pub(crate) repl_offset: i64,
}

/// C: server.h RDB_SAVE_INFO_INIT
pub(crate) const RDB_SAVE_INFO_INIT: RdbSaveInfo = RdbSaveInfo {
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
    pub(crate) reason: String,
    /// Bytes of the file read before the problem was found.
    pub(crate) offset: usize,
    /// The source file and line that found it (C reports its rdb.c
    /// line; the port is split over several files).
    pub(crate) file: &'static str,
    pub(crate) line: u32,
    /// C's `eoferr` label: logs "Short read or OOM loading DB..." first.
    pub(crate) short_read: bool,
}

/// The result of the load functions.
pub(crate) type RdbResult<T> = Result<T, RdbLoadError>;

/// A corruption report at the current position of `rdb`.
macro_rules! rdb_corrupt {
    ($rdb:expr, $($arg:tt)*) => {
        RdbLoadError::Corrupt(RdbCorruption {
            reason: format!($($arg)*),
            offset: $rdb.processed_bytes,
            file: file!(),
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
        file: file!(),
        line: line!(),
        short_read: true,
    })
}

mod background;
mod load;
mod low_level;
mod persistence;
mod save;

pub(crate) use background::*;
pub use load::*;
pub(crate) use low_level::*;
pub(crate) use persistence::*;
pub use save::*;

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

    /// `bytes` with `n` bytes after the 9-byte header overwritten, the
    /// places and values drawn from the xorshift state `x` (the value is
    /// `x >> value_shift`): the damage of the random-damage tests below.
    fn damaged(bytes: &[u8], x: &mut u64, n: u64, value_shift: u32) -> Vec<u8> {
        let mut b = bytes.to_vec();
        for _ in 0..n {
            *x ^= *x << 13;
            *x ^= *x >> 7;
            *x ^= *x << 17;
            let at = 9 + (*x as usize % (b.len() - 9));
            b[at] = (*x >> value_shift) as u8;
        }
        b
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
            let b = damaged(&bytes, &mut x, 3, 32);
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
            let n = 1 + (x % 3);
            let b = damaged(&bytes, &mut x, n, 40);
            let mut s = new_server();
            s.rdb_checksum = false;
            let _ = rdb_load_rio_checked(&mut s, &mut buf_rio(b), None, false);
        }
    }

    /// A dump of one stream with several nodes, deleted entries, two
    /// groups, a PEL over two consumers.
    fn stream_dump(server: &RedisServer) -> Vec<u8> {
        use crate::t_stream::*;
        let mut o = create_stream_object(server);
        let Value::Stream(s) = &mut o.ptr else { unreachable!() };
        for i in 1..=12u64 {
            let f: Vec<Vec<u8>> = if i % 4 == 0 {
                vec![b"x".to_vec(), i.to_string().into_bytes()]
            } else {
                vec![
                    b"a".to_vec(),
                    b"v".to_vec(),
                    b"n".to_vec(),
                    b"-5".to_vec(),
                ]
            };
            let id = StreamID { ms: i, seq: 0 };
            stream_append_item(s, &f, Some(&id), 4096, 5).unwrap();
        }
        stream_delete_item(s, &StreamID { ms: 3, seq: 0 });
        stream_create_cg(s, b"g", &StreamID { ms: 6, seq: 0 }).unwrap();
        stream_create_cg(s, b"h", &StreamID::default()).unwrap();
        let g = s.cgroups.as_mut().unwrap().get_mut(&b"g"[..]).unwrap();
        for (i, c) in [(1u64, &b"c1"[..]), (2, b"c2"), (5, b"c1")] {
            let key = stream_encode_id(&StreamID { ms: i, seq: 0 });
            g.pel.insert(key, stream_create_nack(Some(c)));
            stream_lookup_consumer(g, c, SLC_NONE).unwrap().pel.insert(key);
        }
        let mut w = buf_rio(b"REDIS0009".to_vec());
        rdb_save_key_value_pair(server, &mut w, b"st", &o, -1).unwrap();
        rdb_save_type(&mut w, RDB_OPCODE_EOF).unwrap();
        let mut bytes = rio_into_buffer(w);
        bytes.extend([0u8; 8]);
        bytes
    }

    #[test]
    fn rdb_load_rio_survives_random_damage_to_streams() {
        let mut server = new_server();
        server.rdb_compression = false;
        server.rdb_checksum = false;
        let bytes = stream_dump(&server);
        // The undamaged dump loads, and says the same.
        let mut s = new_server();
        rdb_load_rio_checked(&mut s, &mut buf_rio(bytes.clone()), None, false)
            .unwrap();
        assert!(s.db[0].dict.find(b"st").is_some());
        let mut x: u64 = 0x9e3779b97f4a7c15;
        let mut refused = 0;
        for _ in 0..20000 {
            let n = 1 + (x % 3);
            let b = damaged(&bytes, &mut x, n, 40);
            let mut s = new_server();
            s.rdb_checksum = false;
            if rdb_load_rio_checked(&mut s, &mut buf_rio(b), None, false)
                .is_err()
            {
                refused += 1;
                continue;
            }
            // What loads can be used: walked both ways, digested.
            if let Some(de) = s.db[0].dict.find(b"st") {
                if let Value::Stream(st) = &de.val().ptr {
                    for rev in [false, true] {
                        let mut si = crate::t_stream::StreamIterator::start(
                            &st.rax, None, None, rev,
                        );
                        while let Some((_, n)) = si.get_id(&st.rax) {
                            for _ in 0..n {
                                si.get_field(&st.rax);
                            }
                        }
                    }
                    // And changed: deleted from, appended to, trimmed.
                    let mut st = st.clone();
                    use crate::t_stream::*;
                    stream_delete_item(&mut st, &StreamID { ms: 5, seq: 0 });
                    let f = [b"a".to_vec(), b"b".to_vec()];
                    let _ = stream_append_item(&mut st, &f, None, 4096, 5);
                    stream_last_valid_id(&st);
                    stream_trim_by_length(&mut st, 4, true);
                    stream_trim_by_length(&mut st, 2, false);
                    stream_trim_by_length(&mut st, 0, false);
                }
            }
            crate::debug::compute_dataset_digest(&s);
        }
        assert!(refused > 1000, "{refused}");
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

    /// A server with its databases and the Lua interpreter.
    fn server_with_lua() -> RedisServer {
        let mut server = new_server();
        crate::scripting::scripting_init(&mut server, true);
        server
    }

    #[test]
    fn rdb_save_rio_writes_the_scripts_only_with_replication_info() {
        let mut server = server_with_lua();
        let bodies: [&[u8]; 2] = [b"return 1", b"return 'a\0b'"];
        for body in bodies {
            crate::scripting::lua_create_function(&mut server, None, body)
                .unwrap();
        }
        let count =
            |bytes: &[u8]| bytes.windows(4).filter(|w| w == b"\x03lua").count();
        assert_eq!(count(&dump(&server)), 0);

        let mut w = buf_rio(Vec::new());
        let rsi = RDB_SAVE_INFO_INIT;
        rdb_save_rio(&server, &mut w, RDB_SAVE_NONE, Some(&rsi)).unwrap();
        let bytes = rio_into_buffer(w);
        assert_eq!(count(&bytes), 2);

        // The check accepts them; the load creates them.
        let mut loaded = server_with_lua();
        rdb_check_rio(&mut loaded, &mut buf_rio(bytes.clone())).unwrap();
        assert!(loaded.lua_scripts.is_empty());
        let mut rsi = RDB_SAVE_INFO_INIT;
        rdb_load_rio_checked(
            &mut loaded,
            &mut buf_rio(bytes),
            Some(&mut rsi),
            false,
        )
        .unwrap();
        for body in bodies {
            let sha = crate::scripting::sha1hex(body);
            assert_eq!(
                loaded.lua_scripts.get(&sha[..]).map(|b| &b[..]),
                Some(body)
            );
        }
    }

    #[test]
    fn a_script_that_does_not_compile_is_a_corrupt_rdb() {
        let mut w = buf_rio(b"REDIS0009".to_vec());
        rdb_save_aux_field(&new_server(), &mut w, b"lua", b"return (").unwrap();
        rdb_save_type(&mut w, RDB_OPCODE_EOF).unwrap();
        let mut bytes = rio_into_buffer(w);
        bytes.extend_from_slice(&[0; 8]); // checksum disabled
        let want = "Can't load Lua script from RDB file! BODY: return (";
        // The check (of a file from our master) refuses it as the load.
        match rdb_check_rio(&mut server_with_lua(), &mut buf_rio(bytes.clone()))
        {
            Err(RdbLoadError::Corrupt(c)) => assert_eq!(c.reason, want),
            other => panic!("{other:?}"),
        }
        let mut s = server_with_lua();
        match rdb_load_rio_checked(&mut s, &mut buf_rio(bytes), None, false) {
            Err(RdbLoadError::Corrupt(c)) => assert_eq!(c.reason, want),
            other => panic!("{other:?}"),
        }
    }
}
