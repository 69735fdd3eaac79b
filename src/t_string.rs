//! String commands: SET with its options, GET, the counters, APPEND and
//! the range commands.
//!
//! Ports t_string.c from Redis 5.0.14, in the same order.

use crate::db::*;
use crate::long_double::LongDouble;
use crate::networking::*;
use crate::notify::notify_keyspace_event;
use crate::object::*;
use crate::server::*;
use crate::shared::{
    CONE, CZERO, EMPTYBULK, NULLBULK, OK, SYNTAXERR, WRONGTYPEERR,
};

// -----------------------------------------------------------------------------
// String Commands
// -----------------------------------------------------------------------------

/// C: t_string.c checkStringLength()
fn check_string_length(c: &mut Client, size: i64) -> CResult {
    if size > 512 * 1024 * 1024 {
        add_reply_error(c, "string exceeds maximum allowed size (512MB)");
        return Err(CErr);
    }
    Ok(())
}

/// The argument `i` as an owned value for storing: moved out when nothing
/// (replicas, the backlog, the AOF) will propagate the command afterwards,
/// copied otherwise (C shares the object between argv and the keyspace).
/// A replica propagates what it applied from its master's stream, never
/// argv (replicationFeedSlaves returns at once there), so there only the
/// AOF needs it. (no C twin)
pub(crate) fn take_arg(
    server: &RedisServer,
    c: &mut Client,
    i: usize,
) -> Vec<u8> {
    if (server.masterhost.is_some()
        || (server.repl_backlog.is_none() && server.slaves.is_empty()))
        && server.aof_state == crate::config::AOF_OFF
        && c.flags & CLIENT_MULTI == 0
    {
        let arg = std::mem::take(&mut c.argv[i]);
        if server.slowlog_log_slower_than >= 0 {
            crate::slowlog::MovedArg::record(c, i, &arg);
        }
        arg
    } else {
        c.argv[i].clone()
    }
}

/// The wrong type error, and its check. C: object.c checkType()
pub(crate) fn check_type(c: &mut Client, o: &RObj, type_: u8) -> bool {
    if o.obj_type() != type_ {
        add_reply(c, WRONGTYPEERR);
        return true;
    }
    false
}

pub(crate) const OBJ_SET_NO_FLAGS: i32 = 0;
/// Set if key not exists.
pub(crate) const OBJ_SET_NX: i32 = 1 << 0;
/// Set if key exists.
pub(crate) const OBJ_SET_XX: i32 = 1 << 1;
/// Set if time in seconds is given
pub(crate) const OBJ_SET_EX: i32 = 1 << 2;
/// Set if time in ms in given
pub(crate) const OBJ_SET_PX: i32 = 1 << 3;
// Divergence from C: the four options below are not 5.0 syntax. They are
// what a Redis 7.0 master propagates to its replicas (SET ... EX becomes
// SET ... PXAT <unix ms>, INCRBYFLOAT becomes SET ... KEEPTTL, SET ... GET
// is passed on as is), so SET accepts them from our master only
// (CLIENT_MASTER); every other client still gets 5.0's syntax error. The
// values are 7.0's.
/// Keep the key's time to live (7.0 KEEPTTL).
pub(crate) const OBJ_KEEPTTL: i32 = 1 << 4;
/// Return the old value (7.0 GET); the master gets no reply anyway.
pub(crate) const OBJ_SET_GET: i32 = 1 << 5;
/// The expire is a unix time in seconds (7.0 EXAT).
pub(crate) const OBJ_EXAT: i32 = 1 << 6;
/// The expire is a unix time in milliseconds (7.0 PXAT).
pub(crate) const OBJ_PXAT: i32 = 1 << 7;

pub(crate) const UNIT_SECONDS: i32 = 0;
pub(crate) const UNIT_MILLISECONDS: i32 = 1;

/// The setGenericCommand() function implements the SET operation with
/// different options and variants. This function is called in order to
/// implement the following commands: SET, SETEX, PSETEX, SETNX.
///
/// 'flags' changes the behavior of the command (NX or XX, see below).
///
/// 'expire' represents an expire to set in form of a Redis object as passed
/// by the user. It is interpreted according to the specified 'unit'.
///
/// 'ok_reply' and 'abort_reply' is what the function will reply to the
/// client if the operation is performed, or when it is not because of NX or
/// XX flags.
///
/// C: t_string.c setGenericCommand()
pub(crate) fn set_generic_command(
    server: &mut RedisServer,
    c: &mut Client,
    flags: i32,
    key_idx: usize,
    val: RObj,
    expire_idx: Option<usize>,
    unit: i32,
    ok_reply: Option<&[u8]>,
    abort_reply: Option<&[u8]>,
) {
    let mut milliseconds: i64 = 0; // initialized to avoid any harmness warning
    if let Some(e) = expire_idx {
        let arg = std::mem::take(&mut c.argv[e]);
        let r = get_long_long_from_object_or_reply(c, &arg, None);
        c.argv[e] = arg;
        let Some(ms) = r else { return };
        milliseconds = ms;
        if milliseconds <= 0 {
            let name = c.cmd.map(|i| server.commands[i].name).unwrap_or("set");
            add_reply_error_format(
                c,
                format_args!("invalid expire time in {}", name),
            );
            return;
        }
        if unit == UNIT_SECONDS {
            // C multiplies without an overflow check; a huge EX wraps
            // (to a time in the past, or a negative one that getExpire
            // then treats as no expire), and so does the sum below.
            milliseconds = milliseconds.wrapping_mul(1000);
        }
    }
    let dbid = c.db;
    let key = std::mem::take(&mut c.argv[key_idx]);
    if (flags & OBJ_SET_NX != 0
        && lookup_key_write(server, dbid, &key).is_some())
        || (flags & OBJ_SET_XX != 0
            && lookup_key_write(server, dbid, &key).is_none())
    {
        c.argv[key_idx] = key;
        add_reply(c, abort_reply.unwrap_or(NULLBULK));
        return;
    }
    // Divergence from C: KEEPTTL (from a 7.0 master, see OBJ_KEEPTTL)
    // keeps the time to live set_key() would remove.
    let keepttl = if flags & OBJ_KEEPTTL != 0 {
        get_expire(server, dbid, &key)
    } else {
        -1
    };
    set_key(server, dbid, &key, val);
    if keepttl != -1 {
        set_expire(server, Some(&*c), dbid, &key, keepttl);
    }
    server.dirty += 1;
    if expire_idx.is_some() {
        // Divergence from C: EXAT/PXAT (from a 7.0 master) give the unix
        // time itself.
        let when = if flags & (OBJ_EXAT | OBJ_PXAT) != 0 {
            milliseconds
        } else {
            mstime().wrapping_add(milliseconds)
        };
        set_expire(server, Some(&*c), dbid, &key, when);
    }
    notify_keyspace_event(server, NOTIFY_STRING, "set", &key, dbid as i32);
    if expire_idx.is_some() {
        notify_keyspace_event(
            server,
            NOTIFY_GENERIC,
            "expire",
            &key,
            dbid as i32,
        );
    }
    c.argv[key_idx] = key;
    add_reply(c, ok_reply.unwrap_or(OK));
}

/// SET key value [NX] [XX] [EX <seconds>] [PX <milliseconds>]
///
/// C: t_string.c setCommand()
pub(crate) fn set_command(server: &mut RedisServer, c: &mut Client) {
    let mut expire = None;
    let mut unit = UNIT_SECONDS;
    let mut flags = OBJ_SET_NO_FLAGS;
    let mut j = 3;
    while j < c.argv.len() {
        let a = &c.argv[j];
        let has_next = j != c.argv.len() - 1;
        if a.eq_ignore_ascii_case(b"nx") && flags & OBJ_SET_XX == 0 {
            flags |= OBJ_SET_NX;
        } else if a.eq_ignore_ascii_case(b"xx") && flags & OBJ_SET_NX == 0 {
            flags |= OBJ_SET_XX;
        } else if a.eq_ignore_ascii_case(b"ex")
            && flags & OBJ_SET_PX == 0
            && has_next
        {
            flags |= OBJ_SET_EX;
            unit = UNIT_SECONDS;
            expire = Some(j + 1);
            j += 1;
        } else if a.eq_ignore_ascii_case(b"px")
            && flags & OBJ_SET_EX == 0
            && has_next
        {
            flags |= OBJ_SET_PX;
            unit = UNIT_MILLISECONDS;
            expire = Some(j + 1);
            j += 1;
        // Divergence from C: 7.0's KEEPTTL, GET, EXAT and PXAT, from our
        // master only (see OBJ_KEEPTTL).
        } else if c.flags & CLIENT_MASTER != 0
            && a.eq_ignore_ascii_case(b"keepttl")
            && flags & (OBJ_SET_EX | OBJ_SET_PX | OBJ_EXAT | OBJ_PXAT) == 0
        {
            flags |= OBJ_KEEPTTL;
        } else if c.flags & CLIENT_MASTER != 0 && a.eq_ignore_ascii_case(b"get")
        {
            flags |= OBJ_SET_GET;
        } else if c.flags & CLIENT_MASTER != 0
            && (a.eq_ignore_ascii_case(b"exat")
                || a.eq_ignore_ascii_case(b"pxat"))
            && flags
                & (OBJ_SET_EX | OBJ_SET_PX | OBJ_EXAT | OBJ_PXAT | OBJ_KEEPTTL)
                == 0
            && has_next
        {
            if a.eq_ignore_ascii_case(b"exat") {
                flags |= OBJ_EXAT;
                unit = UNIT_SECONDS;
            } else {
                flags |= OBJ_PXAT;
                unit = UNIT_MILLISECONDS;
            }
            expire = Some(j + 1);
            j += 1;
        } else {
            add_reply(c, SYNTAXERR);
            return;
        }
        j += 1;
    }
    let v = take_arg(server, c, 2);
    let val = try_object_encoding(crate::object::new_object_lru(server), v);
    set_generic_command(server, c, flags, 1, val, expire, unit, None, None);
}

/// C: t_string.c setnxCommand()
pub(crate) fn setnx_command(server: &mut RedisServer, c: &mut Client) {
    let v = take_arg(server, c, 2);
    let val = try_object_encoding(crate::object::new_object_lru(server), v);
    set_generic_command(
        server,
        c,
        OBJ_SET_NX,
        1,
        val,
        None,
        0,
        Some(CONE),
        Some(CZERO),
    );
}

/// C: t_string.c setexCommand()
pub(crate) fn setex_command(server: &mut RedisServer, c: &mut Client) {
    let v = take_arg(server, c, 3);
    let val = try_object_encoding(crate::object::new_object_lru(server), v);
    set_generic_command(
        server,
        c,
        OBJ_SET_NO_FLAGS,
        1,
        val,
        Some(2),
        UNIT_SECONDS,
        None,
        None,
    );
}

/// C: t_string.c psetexCommand()
pub(crate) fn psetex_command(server: &mut RedisServer, c: &mut Client) {
    let v = take_arg(server, c, 3);
    let val = try_object_encoding(crate::object::new_object_lru(server), v);
    set_generic_command(
        server,
        c,
        OBJ_SET_NO_FLAGS,
        1,
        val,
        Some(2),
        UNIT_MILLISECONDS,
        None,
        None,
    );
}

/// Replies with the string value of the key, or the null bulk. Returns
/// Err on a wrong type (already replied).
///
/// C: t_string.c getGenericCommand()
pub(crate) fn get_generic_command(
    server: &mut RedisServer,
    c: &mut Client,
) -> CResult {
    let key = std::mem::take(&mut c.argv[1]);
    let r = get_generic_command_key(server, c, &key);
    c.argv[1] = key;
    r
}

fn get_generic_command_key(
    server: &mut RedisServer,
    c: &mut Client,
    key: &[u8],
) -> CResult {
    let Some(o) = lookup_key_read(server, c, key) else {
        add_reply(c, NULLBULK);
        return Ok(());
    };
    match &o.ptr {
        Value::Str(s) => {
            add_reply_bulk(c, s);
            Ok(())
        }
        Value::Int(i) => {
            let i = *i;
            add_reply_bulk_long_long(c, i);
            Ok(())
        }
        #[allow(unreachable_patterns)]
        _ => {
            add_reply(c, WRONGTYPEERR);
            Err(CErr)
        }
    }
}

/// C: t_string.c getCommand()
pub(crate) fn get_command(server: &mut RedisServer, c: &mut Client) {
    let _ = get_generic_command(server, c);
}

/// C: t_string.c getsetCommand()
pub(crate) fn getset_command(server: &mut RedisServer, c: &mut Client) {
    if get_generic_command(server, c).is_err() {
        return;
    }
    let v = take_arg(server, c, 2);
    let val = try_object_encoding(crate::object::new_object_lru(server), v);
    let key = std::mem::take(&mut c.argv[1]);
    set_key(server, c.db, &key, val);
    notify_keyspace_event(server, NOTIFY_STRING, "set", &key, c.db as i32);
    c.argv[1] = key;
    server.dirty += 1;
}

/// C: t_string.c setrangeCommand()
pub(crate) fn setrange_command(server: &mut RedisServer, c: &mut Client) {
    let offarg = std::mem::take(&mut c.argv[2]);
    let offset = get_long_from_object_or_reply(c, &offarg, None);
    c.argv[2] = offarg;
    let Some(offset) = offset else { return };
    if offset < 0 {
        add_reply_error(c, "offset is out of range");
        return;
    }
    let dbid = c.db;
    let key = std::mem::take(&mut c.argv[1]);
    let value = std::mem::take(&mut c.argv[3]);
    let newlen = setrange_key(server, c, dbid, &key, offset as usize, &value);
    c.argv[1] = key;
    c.argv[3] = value;
    if let Some(len) = newlen {
        add_reply_long_long(c, len as i64);
    }
}

fn setrange_key(
    server: &mut RedisServer,
    c: &mut Client,
    dbid: usize,
    key: &[u8],
    offset: usize,
    value: &[u8],
) -> Option<usize> {
    let lru = crate::object::new_object_lru(server);
    match lookup_key_write(server, dbid, key) {
        None => {
            // Return 0 when setting nothing on a non-existing string
            if value.is_empty() {
                add_reply(c, CZERO);
                return None;
            }
            // Return when the resulting string exceeds allowed size.
            // Divergence from C: C adds offset and length in size_t, so an
            // offset near LONG_MAX wraps negative, passes the check, and
            // the allocation aborts the server (OOM); we saturate, and
            // refuse it as too big.
            check_string_length(
                c,
                (offset as i64).saturating_add(value.len() as i64),
            )
            .ok()?;
            let o =
                create_raw_string_object(lru, vec![0u8; offset + value.len()]);
            db_add(server, dbid, key, o);
        }
        Some(o) => {
            // Key exists, check type
            if check_type(c, o, OBJ_STRING) {
                return None;
            }
            // Return existing string length when setting nothing
            let olen = o.string_len();
            if value.is_empty() {
                add_reply_long_long(c, olen as i64);
                return None;
            }
            // Return when the resulting string exceeds allowed size (the
            // same divergence as above).
            check_string_length(
                c,
                (offset as i64).saturating_add(value.len() as i64),
            )
            .ok()?;
            // Create a copy when the object is shared or encoded.
            db_unshare_string_value(o);
        }
    }
    let o = lookup_key(server, dbid, key, LOOKUP_NOTOUCH)?;
    let Value::Str(s) = &mut o.ptr else { return None };
    crate::sds::sdsgrowzero(s, offset + value.len());
    s.make_mut()[offset..offset + value.len()].copy_from_slice(value);
    let len = s.len();
    signal_modified_key(server, dbid, key);
    notify_keyspace_event(server, NOTIFY_STRING, "setrange", key, dbid as i32);
    server.dirty += 1;
    Some(len)
}

/// Turns an INT or EMBSTR string value into a RAW one we may modify in
/// place. C: db.c dbUnshareStringValue()
pub(crate) fn db_unshare_string_value(o: &mut RObj) {
    if let Value::Int(i) = o.ptr {
        o.ptr = Value::Str(ll2string(i).into());
    }
    o.encoding = OBJ_ENCODING_RAW;
}

/// C: t_string.c getrangeCommand()
pub(crate) fn getrange_command(server: &mut RedisServer, c: &mut Client) {
    let a2 = std::mem::take(&mut c.argv[2]);
    let a3 = std::mem::take(&mut c.argv[3]);
    let start = get_long_long_from_object_or_reply(c, &a2, None);
    let end =
        start.and_then(|_| get_long_long_from_object_or_reply(c, &a3, None));
    c.argv[2] = a2;
    c.argv[3] = a3;
    let (Some(start), Some(end)) = (start, end) else { return };
    let key = std::mem::take(&mut c.argv[1]);
    // Only the range is copied out of the value (a GETRANGE of 10 bytes of
    // a 512 MB string must not copy 512 MB).
    let found = lookup_key_read(server, c, &key).map(|o| {
        let range = o.string_bytes().and_then(|s| {
            getrange_bounds(start, end, s.len() as i64)
                .map(|(a, b)| s[a..=b].to_vec())
        });
        (o.obj_type(), range)
    });
    c.argv[1] = key;
    let Some((t, range)) = found else {
        add_reply(c, EMPTYBULK);
        return;
    };
    if t != OBJ_STRING {
        add_reply(c, WRONGTYPEERR);
        return;
    }
    match range {
        Some(r) => add_reply_bulk(c, &r),
        None => add_reply(c, EMPTYBULK),
    }
}

/// getrangeCommand()'s index arithmetic: the first and last byte to reply
/// of a string of `strlen` bytes, or `None` for the empty bulk.
/// (no C twin)
fn getrange_bounds(
    mut start: i64,
    mut end: i64,
    strlen: i64,
) -> Option<(usize, usize)> {
    // Convert negative indexes
    if start < 0 && end < 0 && start > end {
        return None;
    }
    if start < 0 {
        start += strlen;
    }
    if end < 0 {
        end += strlen;
    }
    if start < 0 {
        start = 0;
    }
    if end < 0 {
        end = 0;
    }
    if end >= strlen {
        end = strlen - 1;
    }

    // Precondition: end >= 0 && end < strlen, so the only condition where
    // nothing can be returned is: start > end.
    if start > end || strlen == 0 {
        None
    } else {
        Some((start as usize, end as usize))
    }
}

/// C: t_string.c mgetCommand()
pub(crate) fn mget_command(server: &mut RedisServer, c: &mut Client) {
    add_reply_multi_bulk_len(c, c.argv.len() as i64 - 1);
    for j in 1..c.argv.len() {
        let key = std::mem::take(&mut c.argv[j]);
        match lookup_key_read(server, c, &key) {
            None => add_reply(c, NULLBULK),
            Some(o) => match &o.ptr {
                Value::Str(s) => add_reply_bulk(c, s),
                Value::Int(i) => {
                    let i = *i;
                    add_reply_bulk_long_long(c, i)
                }
                #[allow(unreachable_patterns)]
                _ => add_reply(c, NULLBULK),
            },
        }
        c.argv[j] = key;
    }
}

/// C: t_string.c msetGenericCommand()
fn mset_generic_command(server: &mut RedisServer, c: &mut Client, nx: bool) {
    if c.argv.len().is_multiple_of(2) {
        add_reply_error(c, "wrong number of arguments for MSET");
        return;
    }
    let dbid = c.db;
    // Handle the NX flag. The MSETNX semantic is to return zero and don't
    // set anything if at least one key alerady exists.
    if nx {
        let mut j = 1;
        while j < c.argv.len() {
            let key = std::mem::take(&mut c.argv[j]);
            let exists = lookup_key_write(server, dbid, &key).is_some();
            c.argv[j] = key;
            if exists {
                add_reply(c, CZERO);
                return;
            }
            j += 2;
        }
    }
    let mut j = 1;
    while j < c.argv.len() {
        let v = take_arg(server, c, j + 1);
        let val = try_object_encoding(crate::object::new_object_lru(server), v);
        let key = std::mem::take(&mut c.argv[j]);
        set_key(server, dbid, &key, val);
        notify_keyspace_event(server, NOTIFY_STRING, "set", &key, dbid as i32);
        c.argv[j] = key;
        j += 2;
    }
    server.dirty += (c.argv.len() as i64 - 1) / 2;
    add_reply(c, if nx { CONE } else { OK });
}

/// C: t_string.c msetCommand()
pub(crate) fn mset_command(server: &mut RedisServer, c: &mut Client) {
    mset_generic_command(server, c, false);
}

/// C: t_string.c msetnxCommand()
pub(crate) fn msetnx_command(server: &mut RedisServer, c: &mut Client) {
    mset_generic_command(server, c, true);
}

/// C: t_string.c incrDecrCommand()
fn incr_decr_command(server: &mut RedisServer, c: &mut Client, incr: i64) {
    let dbid = c.db;
    let key = std::mem::take(&mut c.argv[1]);
    let lru = crate::object::new_object_lru(server);
    let value: i64;
    match lookup_key_write(server, dbid, &key) {
        Some(o) => {
            if o.obj_type() != OBJ_STRING {
                c.argv[1] = key;
                add_reply(c, WRONGTYPEERR);
                return;
            }
            let cur = match &o.ptr {
                Value::Int(i) => Some(*i),
                Value::Str(s) => string2ll(s),
                #[allow(unreachable_patterns)]
                _ => None,
            };
            let Some(oldvalue) = cur else {
                c.argv[1] = key;
                add_reply_error(c, "value is not an integer or out of range");
                return;
            };
            let Some(v) = oldvalue.checked_add(incr) else {
                c.argv[1] = key;
                add_reply_error(c, "increment or decrement would overflow");
                return;
            };
            value = v;
            // C reuses the object in place when it is not shared and is an
            // integer outside the shared range; the effect is the same.
            o.ptr = Value::Int(value);
            o.encoding = OBJ_ENCODING_INT;
        }
        None => {
            value = incr;
            db_add(
                server,
                dbid,
                &key,
                create_string_object_from_long_long(lru, value),
            );
        }
    }
    signal_modified_key(server, dbid, &key);
    notify_keyspace_event(server, NOTIFY_STRING, "incrby", &key, dbid as i32);
    c.argv[1] = key;
    server.dirty += 1;
    add_reply_long_long(c, value);
}

/// C: t_string.c incrCommand()
pub(crate) fn incr_command(server: &mut RedisServer, c: &mut Client) {
    incr_decr_command(server, c, 1);
}

/// C: t_string.c decrCommand()
pub(crate) fn decr_command(server: &mut RedisServer, c: &mut Client) {
    incr_decr_command(server, c, -1);
}

/// C: t_string.c incrbyCommand()
pub(crate) fn incrby_command(server: &mut RedisServer, c: &mut Client) {
    let a = std::mem::take(&mut c.argv[2]);
    let incr = get_long_long_from_object_or_reply(c, &a, None);
    c.argv[2] = a;
    if let Some(incr) = incr {
        incr_decr_command(server, c, incr);
    }
}

/// C: t_string.c decrbyCommand()
pub(crate) fn decrby_command(server: &mut RedisServer, c: &mut Client) {
    let a = std::mem::take(&mut c.argv[2]);
    let incr = get_long_long_from_object_or_reply(c, &a, None);
    c.argv[2] = a;
    if let Some(incr) = incr {
        // C negates without a check: -LLONG_MIN wraps to LLONG_MIN (an
        // increment that incrDecrCommand's overflow test lets through
        // when the old value is positive), as the 5.0.14 binary does.
        incr_decr_command(server, c, incr.wrapping_neg());
    }
}

/// C: t_string.c incrbyfloatCommand()
pub(crate) fn incrbyfloat_command(server: &mut RedisServer, c: &mut Client) {
    let dbid = c.db;
    let key = std::mem::take(&mut c.argv[1]);
    let lru = crate::object::new_object_lru(server);
    let cur = match lookup_key_write(server, dbid, &key) {
        Some(o) => {
            if o.obj_type() != OBJ_STRING {
                c.argv[1] = key;
                add_reply(c, WRONGTYPEERR);
                return;
            }
            Some(o.string_bytes().map(|b| b.into_owned()).unwrap_or_default())
        }
        None => None,
    };
    let exists = cur.is_some();
    let value = match &cur {
        Some(b) => get_long_double_from_object_or_reply(c, b, None),
        None => Some(LongDouble::ZERO),
    };
    let incr_arg = std::mem::take(&mut c.argv[2]);
    let incr = value
        .and_then(|_| get_long_double_from_object_or_reply(c, &incr_arg, None));
    c.argv[2] = incr_arg;
    let (Some(value), Some(incr)) = (value, incr) else {
        c.argv[1] = key;
        return;
    };
    let value = value + incr;
    if value.is_nan() || value.is_infinite() {
        c.argv[1] = key;
        add_reply_error(c, "increment would produce NaN or Infinity");
        return;
    }
    let s = crate::util::ld2string(value, true);
    let new = create_string_object(lru, s.clone());
    if exists {
        db_overwrite(server, dbid, &key, new);
    } else {
        db_add(server, dbid, &key, new);
    }
    signal_modified_key(server, dbid, &key);
    notify_keyspace_event(
        server,
        NOTIFY_STRING,
        "incrbyfloat",
        &key,
        dbid as i32,
    );
    c.argv[1] = key;
    server.dirty += 1;
    add_reply_bulk(c, &s);

    // Always replicate INCRBYFLOAT as a SET command with the final value in
    // order to make sure that differences in float precision or formatting
    // will not create differences in replicas or after an AOF restart.
    c.argv[0] = b"SET".to_vec();
    c.argv[2] = s;
}

/// C: t_string.c appendCommand()
pub(crate) fn append_command(server: &mut RedisServer, c: &mut Client) {
    let dbid = c.db;
    let key = std::mem::take(&mut c.argv[1]);
    let append = std::mem::take(&mut c.argv[2]);
    let lru = crate::object::new_object_lru(server);
    let totlen;
    match lookup_key_write(server, dbid, &key) {
        None => {
            // Create the key
            totlen = append.len();
            let v = append.clone();
            db_add(server, dbid, &key, try_object_encoding(lru, v));
        }
        Some(o) => {
            // Key exists, check type
            if check_type(c, o, OBJ_STRING) {
                c.argv[1] = key;
                c.argv[2] = append;
                return;
            }
            // "append" is an argument, so always an sds
            if check_string_length(c, (o.string_len() + append.len()) as i64)
                .is_err()
            {
                c.argv[1] = key;
                c.argv[2] = append;
                return;
            }
            // Append the value
            db_unshare_string_value(o);
            let Value::Str(s) = &mut o.ptr else {
                unreachable!("unshared string is raw")
            };
            let v = s.make_mut();
            crate::sds::sds_make_room_for(v, append.len());
            v.extend_from_slice(&append);
            totlen = s.len();
        }
    }
    signal_modified_key(server, dbid, &key);
    notify_keyspace_event(server, NOTIFY_STRING, "append", &key, dbid as i32);
    c.argv[1] = key;
    c.argv[2] = append;
    server.dirty += 1;
    add_reply_long_long(c, totlen as i64);
}

/// C: t_string.c strlenCommand()
pub(crate) fn strlen_command(server: &mut RedisServer, c: &mut Client) {
    let key = std::mem::take(&mut c.argv[1]);
    let r = lookup_key_read(server, c, &key)
        .map(|o| (o.obj_type(), o.string_len()));
    c.argv[1] = key;
    match r {
        None => add_reply(c, CZERO),
        Some((t, _)) if t != OBJ_STRING => add_reply(c, WRONGTYPEERR),
        Some((_, len)) => add_reply_long_long(c, len as i64),
    }
}
