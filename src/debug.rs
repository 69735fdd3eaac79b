//! DEBUG: the command tests and tools use to look under the hood (object
//! internals, hash table statistics, a digest of the whole dataset), to
//! make the server misbehave on purpose (sleep, crash), and to fill it with
//! keys (POPULATE).
//!
//! Ports debug.c from Redis 5.0.14: the "Debugging" section (digests and
//! debugCommand). The crash handling that follows it in C (bug reports,
//! stack traces, the watchdog) is not ported; `server_panic!` stands in
//! for serverPanic.
//!
//! Read this first: the digest functions must give the same bytes as C for
//! the same dataset, so that `DEBUG DIGEST` can compare oxredis with a real
//! Redis after a sync. The value of each type is mixed in exactly as C
//! mixes it.

use crate::db::*;
use crate::networking::*;
use crate::object::*;
use crate::server::*;
use crate::server_log;
use crate::t_string::OK;
use crate::util::atoi;

/// shared.nokeyerr
const NOKEYERR: &[u8] = b"-ERR no such key\r\n";

// ================================= Debugging ==================================

/// The SHA1 of `data`. (no C twin: C's SHA1Init/Update/Final sequence)
fn sha1(data: &[u8]) -> [u8; 20] {
    sha1_smol::Sha1::from(data).digest().bytes()
}

/// Compute the sha1 of `ptr` and xor it into `digest`. Since xor is
/// commutative, this operation is used in order to "add" digests relative
/// to unordered elements: digest(a,b,c,d) is the same as digest(b,a,c,d).
///
/// C: debug.c xorDigest()
pub fn xor_digest(digest: &mut [u8; 20], ptr: &[u8]) {
    let hash = sha1(ptr);
    for j in 0..20 {
        digest[j] ^= hash[j];
    }
}

/// xor_digest() of a string value, integers rendered as decimal text.
///
/// C: debug.c xorStringObjectDigest()
pub fn xor_string_object_digest(digest: &mut [u8; 20], o: &RObj) {
    if let Some(s) = o.string_bytes() {
        xor_digest(digest, &s);
    }
}

/// This function instead of just computing the SHA1 and xoring it against
/// digest, also perform the digest of "digest" itself and replace the old
/// value with the new one:
///
/// digest = SHA1(digest xor SHA1(data))
///
/// This function is used every time we want to preserve the order so that
/// digest(a,b,c,d) will be different than digest(b,c,d,a). Also note that
/// mixdigest("foo") followed by mixdigest("bar") will lead to a different
/// digest compared to "fo", "obar".
///
/// C: debug.c mixDigest()
pub fn mix_digest(digest: &mut [u8; 20], ptr: &[u8]) {
    xor_digest(digest, ptr);
    *digest = sha1(&digest[..]);
}

/// mix_digest() of a string value, integers rendered as decimal text.
///
/// C: debug.c mixStringObjectDigest()
pub fn mix_string_object_digest(digest: &mut [u8; 20], o: &RObj) {
    if let Some(s) = o.string_bytes() {
        mix_digest(digest, &s);
    }
}

/// This function computes the digest of a data structure stored in the
/// object 'o'. It is the core of the DEBUG DIGEST command: when taking the
/// digest of a whole dataset, we take the digest of the key and the value
/// pair, and xor all those together.
///
/// Note that this function does not reset the initial 'digest' passed, it
/// will continue mixing this object digest to anything that was already
/// present.
///
/// C: debug.c xorObjectDigest()
pub fn xor_object_digest(
    server: &RedisServer,
    dbid: usize,
    key: &[u8],
    digest: &mut [u8; 20],
    o: &RObj,
) {
    let aux = (o.obj_type() as u32).to_be_bytes(); // htonl(o->type)
    mix_digest(digest, &aux);
    let expiretime = get_expire(server, dbid, key);

    // Save the key and associated value
    match &o.ptr {
        Value::Str(_) | Value::Int(_) => mix_string_object_digest(digest, o),
        Value::List(l) => {
            // C walks with listTypeNext() from the head; integers packed
            // in a ziplist come back as their decimal text.
            for ele in l.iter() {
                mix_digest(digest, ele);
            }
        }
        Value::Set(s) => {
            // setTypeNextObject(): intset members as decimal text.
            for ele in s.iter() {
                xor_digest(digest, &ele);
            }
        }
        Value::ZSet(zs) => {
            // C walks the ziplist (members stored as integers are
            // rendered with ll2string, the same text they were given as)
            // or the skiplist encoding's dict; the order does not matter
            // since every element digest is xored in.
            for (ele, score) in zs.iter() {
                let mut eledigest = [0u8; 20];
                mix_digest(&mut eledigest, ele);
                mix_digest(&mut eledigest, fmt_g17(score).as_bytes());
                xor_digest(digest, &eledigest);
            }
        }
        Value::Hash(h) => {
            for (field, value) in h.iter() {
                let mut eledigest = [0u8; 20];
                mix_digest(&mut eledigest, field);
                mix_digest(&mut eledigest, value);
                xor_digest(digest, &eledigest);
            }
        }
    }
    // If the key has an expire, add it to the mix
    if expiretime != -1 {
        xor_digest(digest, b"!!expire!!");
    }
}

/// Compute the dataset digest. Since keys, sets elements, hashes elements
/// are not ordered, we use a trick: every aggregate digest is the xor of
/// the digests of their elements. This way the order will not change the
/// result. For list instead we use a feedback entering the output digest
/// as input in order to ensure that a different ordered list will result
/// in a different digest.
///
/// C: debug.c computeDatasetDigest()
pub fn compute_dataset_digest(server: &RedisServer) -> [u8; 20] {
    let mut final_ = [0u8; 20]; // Start with a clean result
    for (j, db) in server.db.iter().enumerate() {
        if db.dict.dict_size() == 0 {
            continue;
        }
        // hash the DB id, so the same dataset moved in a different DB will
        // lead to a different digest
        mix_digest(&mut final_, &(j as u32).to_be_bytes());

        // Iterate this DB writing every entry
        for de in db.dict.iter() {
            let key: &[u8] = de.key();
            let mut digest = [0u8; 20]; // This key-val digest
            mix_digest(&mut digest, key);
            xor_object_digest(server, j, key, &mut digest, de.val());
            // We can finally xor the key-val digest to the final digest
            xor_digest(&mut final_, &digest);
        }
    }
    final_
}

/// The 40 lower-case hex characters of a digest. (no C twin: C's loop of
/// sdscatprintf("%02x"))
fn digest_hex(digest: &[u8; 20]) -> String {
    digest.iter().map(|b| format!("{:02x}", b)).collect()
}

/// The number of bytes rdb.c's rdbSaveLen() writes for `len`.
/// (no C twin; see rdb_saved_string_len)
fn rdb_save_len_bytes(len: u64) -> usize {
    if len < 1 << 6 {
        1
    } else if len < 1 << 14 {
        2
    } else if len <= u32::MAX as u64 {
        5
    } else {
        9
    }
}

/// The bytes rdbEncodeInteger() needs for `v` (type byte included), or 0
/// when it does not fit in 32 bits. (no C twin; see rdb_saved_string_len)
fn rdb_encoded_integer_len(v: i64) -> usize {
    if (i8::MIN as i64..=i8::MAX as i64).contains(&v) {
        2
    } else if (i16::MIN as i64..=i16::MAX as i64).contains(&v) {
        3
    } else if (i32::MIN as i64..=i32::MAX as i64).contains(&v) {
        5
    } else {
        0
    }
}

/// DEBUG OBJECT's `serializedlength`: the length rdb.c would write for the
/// value. Strings are sized as rdbSaveStringObject() writes them (as an
/// integer, LZF-compressed, or length-prefixed).
///
/// (no C twin: stands in for rdb.c rdbSavedObjectLen() until rdb.rs has it)
fn rdb_saved_object_len(server: &RedisServer, o: &RObj) -> usize {
    match &o.ptr {
        // rdbSaveLongLongAsStringObject()
        Value::Int(v) => match rdb_encoded_integer_len(*v) {
            0 => {
                let len = digits10(*v);
                rdb_save_len_bytes(len as u64) + len
            }
            n => n,
        },
        // rdbSaveRawString()
        Value::Str(s) => {
            let len = s.len();
            // Try integer encoding
            if len <= 11 {
                if let Some(v) = string2ll(s) {
                    let n = rdb_encoded_integer_len(v);
                    if n > 0 {
                        return n;
                    }
                }
            }
            // Try LZF compression - under 20 bytes it's unable to compress
            // even aaaaaaaaaaaaaaaaaa so skip it
            if server.rdb_compression && len > 20 {
                // C gives up when the output does not fit in len-4 bytes.
                // Divergence from C: the lzf crate may pick other matches
                // than liblzf, so the compressed size can differ slightly.
                if let Ok(comp) = lzf::compress(s) {
                    if comp.len() <= len - 4 && !comp.is_empty() {
                        return 1
                            + rdb_save_len_bytes(comp.len() as u64)
                            + rdb_save_len_bytes(len as u64)
                            + comp.len();
                    }
                }
            }
            // Store verbatim
            rdb_save_len_bytes(len as u64) + len
        }
        // TODO(rdb.rs): the aggregate types, with rdbSavedObjectLen().
        _ => 0,
    }
}

/// C's strtod() as DEBUG SLEEP uses it: the longest prefix that reads as a
/// number, 0 if none. (no C twin)
fn strtod_prefix(s: &[u8]) -> f64 {
    let s = String::from_utf8_lossy(s);
    let t = s.trim_start();
    let b = t.as_bytes();
    let mut end = 0;
    if end < b.len() && (b[end] == b'+' || b[end] == b'-') {
        end += 1;
    }
    let digits_start = end;
    while end < b.len() && b[end].is_ascii_digit() {
        end += 1;
    }
    let mut mantissa = end > digits_start;
    if end < b.len() && b[end] == b'.' {
        end += 1;
        let frac_start = end;
        while end < b.len() && b[end].is_ascii_digit() {
            end += 1;
        }
        mantissa |= end > frac_start;
    }
    if !mantissa {
        // "inf", "infinity", "nan" (strtod accepts them too).
        return parse_c_double(t).filter(|v| !v.is_finite()).unwrap_or(0.0);
    }
    if end < b.len() && (b[end] == b'e' || b[end] == b'E') {
        let mut e = end + 1;
        if e < b.len() && (b[e] == b'+' || b[e] == b'-') {
            e += 1;
        }
        let exp_start = e;
        while e < b.len() && b[e].is_ascii_digit() {
            e += 1;
        }
        if e > exp_start {
            end = e;
        }
    }
    t[..end].parse::<f64>().unwrap_or(0.0)
}

/// A C string argument: the bytes up to the first NUL, as `%s` prints
/// them. (no C twin)
fn c_str(s: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(&s[..memchr::memchr(0, s).unwrap_or(s.len())])
}

/// Fuzz stringmatchlen() trying to crash it with bad input.
///
/// Kept beside its only caller.
///
/// C: util.c stringmatchlen_fuzz_test()
fn stringmatchlen_fuzz_test() -> i32 {
    // C uses rand(); any generator serves the purpose.
    let mut x: u64 = ustime() as u64 | 1;
    let mut rand = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 33) as usize
    };
    let mut total_matches = 0;
    let mut str_ = [0u8; 32];
    let mut pat = [0u8; 32];
    for _ in 0..10_000_000 {
        let strlen = rand() % str_.len();
        let patlen = rand() % pat.len();
        for b in str_.iter_mut().take(strlen) {
            *b = (rand() % 128) as u8;
        }
        for b in pat.iter_mut().take(patlen) {
            *b = (rand() % 128) as u8;
        }
        total_matches +=
            crate::util::stringmatchlen(&pat[..patlen], &str_[..strlen], false)
                as i32;
    }
    total_matches
}

/// DEBUG POPULATE count [prefix] [size]: creates `count` string keys
/// `<prefix>:<n>` (prefix "key") holding `value:<n>`, or that text padded
/// with zero bytes (or cut) to `size` bytes; keys that exist are left
/// alone. Used to fill a server fast, so it builds each key and value in
/// place with exactly the bytes it needs.
///
/// (no C twin: the "populate" branch of debug.c debugCommand())
fn debug_populate(server: &mut RedisServer, c: &mut Client) {
    let argc = c.argv.len();
    let arg = c.argv[2].clone();
    let Some(keys) = get_long_from_object_or_reply(c, &arg, None) else {
        return;
    };
    let dbid = c.db;
    // Divergence from C: a negative count is not passed on to dictExpand
    // (which would take it as a huge unsigned size); the loop below does
    // nothing for it, as in C.
    if keys > 0 {
        let _ = server.db[dbid].dict.dict_expand(keys as usize);
    }
    // C parses the size again at every iteration; the first parse decides
    // (an error is replied before any key is added), so parse it once.
    let mut valsize: i64 = 0;
    if argc == 5 && keys > 0 {
        let arg = c.argv[4].clone();
        let Some(v) = get_long_from_object_or_reply(c, &arg, None) else {
            return;
        };
        // Divergence from C: C would try to allocate a negative size and
        // crash; a negative size is taken as no size.
        valsize = v.max(0);
    }
    let prefix: Vec<u8> = if argc == 3 {
        b"key".to_vec()
    } else {
        c_str(&c.argv[3]).into_owned().into_bytes()
    };
    let lru = server.lruclock;
    let mut key: Vec<u8> = Vec::with_capacity(128);
    let mut val: Vec<u8> = Vec::with_capacity(32);
    let mut num = itoa_buf();
    for j in 0..keys.max(0) {
        // C formats "%s:%lu" into a 128 byte buffer: longer keys are cut.
        let digits = num.format(j);
        key.clear();
        key.extend_from_slice(&prefix);
        key.push(b':');
        key.extend_from_slice(digits);
        key.truncate(127);
        if lookup_key_write(server, dbid, &key).is_some() {
            continue;
        }
        val.clear();
        val.extend_from_slice(b"value:");
        val.extend_from_slice(digits);
        let v = if valsize == 0 {
            val.clone() // exact capacity
        } else {
            let mut v = vec![0u8; valsize as usize];
            let n = val.len().min(v.len());
            v[..n].copy_from_slice(&val[..n]);
            v
        };
        db_add(server, dbid, &key, create_string_object(lru, v));
        signal_modified_key(server, dbid, &key);
    }
    add_reply(c, OK);
}

/// A reusable decimal formatter for POPULATE's counters. (no C twin)
struct ItoaBuf([u8; 20]);

fn itoa_buf() -> ItoaBuf {
    ItoaBuf([0; 20])
}

impl ItoaBuf {
    /// The decimal digits of `v` (which is >= 0).
    fn format(&mut self, mut v: i64) -> &[u8] {
        let mut i = self.0.len();
        loop {
            i -= 1;
            self.0[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        &self.0[i..]
    }
}

/// DEBUG <subcommand> [args]: see the HELP text below.
///
/// C: debug.c debugCommand()
pub fn debug_command(server: &mut RedisServer, c: &mut Client) {
    let argc = c.argv.len();
    let sub = c.argv[1].clone();
    let is = |name: &str| sub.eq_ignore_ascii_case(name.as_bytes());

    if argc == 2 && is("help") {
        const HELP: &[&str] = &[
            "ASSERT -- Crash by assertion failed.",
            "CHANGE-REPL-ID -- Change the replication IDs of the instance. Dangerous, should be used only for testing the replication subsystem.",
            "CRASH-AND-RECOVER <milliseconds> -- Hard crash and restart after <milliseconds> delay.",
            "DIGEST -- Output a hex signature representing the current DB content.",
            "DIGEST-VALUE <key-1> ... <key-N>-- Output a hex signature of the values of all the specified keys.",
            "ERROR <string> -- Return a Redis protocol error with <string> as message. Useful for clients unit tests to simulate Redis errors.",
            "LOG <message> -- write message to the server log.",
            "HTSTATS <dbid> -- Return hash table statistics of the specified Redis database.",
            "HTSTATS-KEY <key> -- Like htstats but for the hash table stored as key's value.",
            "LOADAOF -- Flush the AOF buffers on disk and reload the AOF in memory.",
            "LUA-ALWAYS-REPLICATE-COMMANDS <0|1> -- Setting it to 1 makes Lua replication defaulting to replicating single commands, without the script having to enable effects replication.",
            "OBJECT <key> -- Show low level info about key and associated value.",
            "PANIC -- Crash the server simulating a panic.",
            "POPULATE <count> [prefix] [size] -- Create <count> string keys named key:<num>. If a prefix is specified is used instead of the 'key' prefix.",
            "RELOAD -- Save the RDB on disk and reload it back in memory.",
            "RESTART -- Graceful restart: save config, db, restart.",
            "SDSLEN <key> -- Show low level SDS string info representing key and value.",
            "SEGFAULT -- Crash the server with sigsegv.",
            "SET-ACTIVE-EXPIRE <0|1> -- Setting it to 0 disables expiring keys in background when they are not accessed (otherwise the Redis behavior). Setting it to 1 reenables back the default.",
            "SLEEP <seconds> -- Stop the server for <seconds>. Decimals allowed.",
            "STRUCTSIZE -- Return the size of different Redis core C structures.",
            "ZIPLIST <key> -- Show low level info about the ziplist encoding.",
            "STRINGMATCH-TEST -- Run a fuzz tester against the stringmatchlen() function.",
        ];
        let name = String::from_utf8_lossy(&c.argv[0]).into_owned();
        add_reply_help(c, &name, HELP);
    } else if is("segfault") {
        // Divergence from C: C writes to address -1 and its SIGSEGV
        // handler prints the bug report; we log and abort (SIGABRT).
        server_log!(server, LL_WARNING, "DEBUG SEGFAULT: crashing on request");
        std::process::abort();
    } else if is("panic") {
        let now = mstime() / 1000;
        crate::server_panic!(server, "DEBUG PANIC called at Unix time {}", now);
    } else if is("restart") || is("crash-and-recover") {
        let mut delay = 0i64;
        if argc >= 3 {
            let arg = c.argv[2].clone();
            match get_long_long_from_object_or_reply(c, &arg, None) {
                Some(v) => delay = v.max(0),
                None => return,
            }
        }
        let flags = if is("restart") {
            RESTART_SERVER_GRACEFULLY | RESTART_SERVER_CONFIG_REWRITE
        } else {
            RESTART_SERVER_NONE
        };
        // Only returns when the restart failed.
        let _ = crate::server::restart_server(server, flags, delay);
        add_reply_error(c, "failed to restart the server. Check server logs.");
    } else if is("oom") {
        // Divergence from C: C asks zmalloc for ULONG_MAX bytes and dies in
        // the out of memory handler; we log as that handler does and abort.
        server_log!(
            server,
            LL_WARNING,
            "Out Of Memory allocating {} bytes!",
            u64::MAX
        );
        std::process::abort();
    } else if is("assert") {
        // Divergence from C: no bug report or stack trace, only the
        // assertion lines, then abort.
        server_log!(server, LL_WARNING, "=== ASSERTION FAILED ===");
        server_log!(
            server,
            LL_WARNING,
            "==> {}:{} '{}' is not true",
            file!(),
            line!(),
            "1 == 2"
        );
        std::process::abort();
    } else if is("log") && argc == 3 {
        server_log!(server, LL_WARNING, "DEBUG LOG: {}", c_str(&c.argv[2]));
        add_reply(c, OK);
    } else if is("reload") {
        // rdbSave(), emptyDb(), rdbLoad(): ported beside them in rdb.rs.
        crate::rdb::debug_reload(server, c);
    } else if is("loadaof") {
        // Divergence from C: there is no AOF to load.
        add_reply(c, b"-ERR\r\n"); // shared.err, what C replies on failure
    } else if is("object") && argc == 3 {
        let key = c.argv[2].clone();
        let Some(de) = server.db[c.db].dict.find(&key) else {
            add_reply(c, NOKEYERR);
            return;
        };
        let val = de.val();
        let strenc = str_encoding(val.encoding);
        // TODO(t_list.rs): for OBJ_ENCODING_QUICKLIST, C appends
        // " ql_nodes:%lu ql_avg_node:%.2f ql_ziplist_max:%d
        // ql_compressed:%d ql_uncompressed_size:%lu".
        let extra = "";
        let line = format!(
            "Value at:{:p} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}{}",
            val as *const RObj,
            object_refcount(server, val),
            strenc,
            rdb_saved_object_len(server, val),
            val.lru,
            estimate_object_idle_time(server, val) / 1000,
            extra
        );
        add_reply_status(c, &line);
    } else if is("sdslen") && argc == 3 {
        let key = c.argv[2].clone();
        let Some(de) = server.db[c.db].dict.find(&key) else {
            add_reply(c, NOKEYERR);
            return;
        };
        match &de.val().ptr {
            Value::Str(s) => {
                // Divergence from C: keys and values carry no sds header;
                // "zmalloc" is the room for the bytes (Sds::capacity(); a
                // key is never grown, so it has no spare room).
                let k: &[u8] = de.key();
                let line = format!(
                    "key_sds_len:{}, key_sds_avail:{}, key_zmalloc: {}, val_sds_len:{}, val_sds_avail:{}, val_zmalloc: {}",
                    k.len(),
                    0,
                    k.len(),
                    s.len(),
                    s.capacity() - s.len(),
                    s.capacity()
                );
                add_reply_status(c, &line);
            }
            _ => add_reply_error(c, "Not an sds encoded string."),
        }
    } else if is("ziplist") && argc == 3 {
        let key = c.argv[2].clone();
        let Some(o) = object_command_lookup_or_reply(server, c, &key, NOKEYERR)
        else {
            return;
        };
        if o.encoding != OBJ_ENCODING_ZIPLIST {
            add_reply_error(c, "Not an sds encoded string.");
        } else {
            // TODO(ziplist.rs): ziplistRepr() prints the structure on
            // stdout.
            add_reply_status(c, "Ziplist structure printed on stdout");
        }
    } else if is("populate") && (3..=5).contains(&argc) {
        debug_populate(server, c);
    } else if is("digest") && argc == 2 {
        // DEBUG DIGEST (form without keys specified)
        let digest = compute_dataset_digest(server);
        add_reply_status(c, &digest_hex(&digest));
    } else if is("digest-value") && argc >= 2 {
        // DEBUG DIGEST-VALUE key key key ... key.
        add_reply_multi_bulk_len(c, argc as i64 - 2);
        for j in 2..argc {
            let key = c.argv[j].clone();
            let mut digest = [0u8; 20]; // Start with a clean result
            let dbid = c.db;
            // The lookup has its side effects (lazy expire, stats); the
            // value is then read again, as the digest needs the server too.
            if lookup_key_read_with_flags(
                server,
                dbid,
                &key,
                LOOKUP_NOTOUCH,
                Some(c),
            )
            .is_some()
            {
                if let Some(de) = server.db[dbid].dict.find(&key) {
                    xor_object_digest(
                        server,
                        dbid,
                        &key,
                        &mut digest,
                        de.val(),
                    );
                }
            }
            add_reply_status(c, &digest_hex(&digest));
        }
    } else if is("sleep") && argc == 3 {
        let dtime = strtod_prefix(&c.argv[2]);
        let utime = (dtime * 1_000_000.0) as i64;
        // A negative time makes C's nanosleep fail at once: no sleep.
        if utime > 0 {
            std::thread::sleep(std::time::Duration::from_micros(utime as u64));
        }
        add_reply(c, OK);
    } else if is("set-active-expire") && argc == 3 {
        server.active_expire_enabled = atoi(&c.argv[2]) != 0;
        add_reply(c, OK);
    } else if is("lua-always-replicate-commands") && argc == 3 {
        // Divergence from C: there is no Lua; the setting is accepted and
        // has nothing to act on.
        add_reply(c, OK);
    } else if is("error") && argc == 3 {
        let mut errstr = Vec::with_capacity(c.argv[2].len() + 3);
        errstr.push(b'-');
        // no newlines in errors.
        errstr.extend(c.argv[2].iter().map(|&b| {
            if b == b'\n' || b == b'\r' {
                b' '
            } else {
                b
            }
        }));
        errstr.extend_from_slice(b"\r\n");
        add_reply(c, &errstr);
    } else if is("structsize") && argc == 2 {
        // Divergence from C: the sizes are those of our types; there are no
        // sds headers, so each sdshdr field shows the header of a Vec<u8>.
        use std::mem::size_of;
        let vec = size_of::<Vec<u8>>();
        let sizes = format!(
            "bits:{} robj:{} dictentry:{} sdshdr5:{} sdshdr8:{} sdshdr16:{} sdshdr32:{} sdshdr64:{} ",
            if size_of::<usize>() == 8 { 64 } else { 32 },
            size_of::<RObj>(),
            size_of::<crate::dict::DictEntry<Key, RObj>>(),
            vec,
            vec,
            vec,
            vec,
            vec
        );
        add_reply_bulk_sds(c, sizes.into_bytes());
    } else if is("htstats") && argc == 3 {
        let arg = c.argv[2].clone();
        let Some(dbid) = get_long_from_object_or_reply(c, &arg, None) else {
            return;
        };
        if dbid < 0 || dbid >= server.dbnum as i64 {
            add_reply_error(c, "Out of range database");
            return;
        }
        let db = &server.db[dbid as usize];
        let mut stats = String::from("[Dictionary HT]\n");
        stats.push_str(&db.dict.dict_get_stats(4096));
        stats.push_str("[Expires HT]\n");
        stats.push_str(&db.expires.dict_get_stats(4096));
        add_reply_bulk_sds(c, stats.into_bytes());
    } else if is("htstats-key") && argc == 3 {
        let key = c.argv[2].clone();
        if object_command_lookup_or_reply(server, c, &key, NOKEYERR).is_none() {
            return;
        }
        // Get the hash table reference from the object, if possible.
        // TODO(t_set.rs, t_hash.rs, t_zset.rs): values encoded
        // OBJ_ENCODING_HT or OBJ_ENCODING_SKIPLIST give the
        // dict_get_stats(4096) of their dict; strings have none.
        let ht: Option<String> = None;
        match ht {
            None => add_reply_error(
                c,
                "The value stored at the specified key is not represented using an hash table",
            ),
            Some(stats) => add_reply_bulk_c_string(c, Some(&stats)),
        }
    } else if is("change-repl-id") && argc == 2 {
        server_log!(
            server,
            LL_WARNING,
            "Changing replication IDs after receiving DEBUG change-repl-id"
        );
        crate::replication::change_replication_id(server);
        crate::replication::clear_replication_id2(server);
        add_reply(c, OK);
    } else if is("stringmatch-test") && argc == 2 {
        stringmatchlen_fuzz_test();
        add_reply_status(c, "Apparently Redis did not crash: test passed");
    } else {
        add_reply_subcommand_syntax_error(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_digest_is_sha1_of_xored_digest() {
        // mixDigest on a zero digest: SHA1(SHA1(data)).
        let mut d = [0u8; 20];
        mix_digest(&mut d, b"foo");
        assert_eq!(d, sha1(&sha1(b"foo")));
        // xorDigest is commutative.
        let (mut a, mut b) = ([0u8; 20], [0u8; 20]);
        xor_digest(&mut a, b"x");
        xor_digest(&mut a, b"y");
        xor_digest(&mut b, b"y");
        xor_digest(&mut b, b"x");
        assert_eq!(a, b);
    }

    #[test]
    fn rdb_saved_object_len_of_strings() {
        let server = init_server_config();
        let s = |v: &[u8]| {
            rdb_saved_object_len(&server, &create_string_object(0, v.to_vec()))
        };
        assert_eq!(s(b"value:1"), 8);
        assert_eq!(s(b"a b\x01"), 5);
        assert_eq!(s(b"12"), 2);
        assert_eq!(s(b"1000"), 3);
        assert_eq!(s(b"100000"), 5);
        assert_eq!(
            s(&[b'x'; 100]),
            1 + 1 + 2 + lzf::compress(&[b'x'; 100]).unwrap().len()
        );
        let i = |v: i64| {
            rdb_saved_object_len(
                &server,
                &create_string_object_from_long_long(0, v),
            )
        };
        assert_eq!(i(5), 2);
        assert_eq!(i(1 << 40), 1 + 13);
    }

    #[test]
    fn strtod_prefix_and_atoi_read_like_c() {
        assert_eq!(strtod_prefix(b"0.5"), 0.5);
        assert_eq!(strtod_prefix(b" 1.5abc"), 1.5);
        assert_eq!(strtod_prefix(b"abc"), 0.0);
        assert_eq!(strtod_prefix(b"2e1x"), 20.0);
        assert_eq!(strtod_prefix(b"3e"), 3.0);
        assert_eq!(strtod_prefix(b".25"), 0.25);
        assert_eq!(atoi(b"1"), 1);
        assert_eq!(atoi(b"0"), 0);
        assert_eq!(atoi(b"12abc"), 12);
        assert_eq!(atoi(b"-3"), -3);
        assert_eq!(atoi(b"x"), 0);
    }
}
