//! Lua scripting: EVAL, EVALSHA and SCRIPT. A script runs in one embedded
//! Lua 5.1 interpreter (through `mlua`, Lua 5.1.5 built from the crate's
//! sources); `redis.call()` runs a Redis command through the same `call()`
//! path as a client's, on a fake client that is not in the client table,
//! and turns its RESP reply into Lua values (and the script's return
//! value back into RESP).
//!
//! Ports scripting.c from Redis 5.0.14, in the same order; the debugger
//! (LDB, SCRIPT DEBUG) is in `ldb`.
//!
//! Divergence from C (whole file): C's Lua C functions reach the server
//! through the `server` global. Here `redis.call`, `redis.pcall`,
//! `redis.log`, `redis.replicate_commands`, `redis.set_repl` and the count
//! hook reach it through `SCRIPT_CONTEXT`, which `eval_generic_command`
//! fills for the length of one script. `redis.call`, `redis.pcall` and
//! the entry of EVAL are Lua C functions on the raw API (`mlua::ffi`),
//! as in C; the other Rust functions are mlua's, and cannot raise a plain
//! string as C's `lua_error` does: mlua raises its own error value. The
//! error handler scripts run under (C's Lua chunk) turns it back into C's
//! string first, and so do wrappers of Lua's `pcall` and `xpcall`, so a
//! script that catches such an error gets C's string too.
//!
//! Lua 5.1 is built as C: `lua_error` is a longjmp. The raw functions
//! never raise over a Rust frame that owns something to drop: what may
//! raise (a push can run out of memory, or run a `__gc` metamethod) runs
//! under `lua_pcall` in frames that own nothing, and an error to raise is
//! raised from the outermost frame once the others have returned.

mod lauxlib;
mod ldb;
mod lua_bit;
mod lua_cjson;
mod lua_cmsgpack;
mod lua_struct;

use mlua::{ffi, Function, Lua, LuaOptions, MultiValue, StdLib, Table, Value};

use crate::networking::*;
use crate::server::*;
use crate::shared;
use crate::{server_log, server_panic};
pub(crate) use ldb::{
    ldb_kill_forked_sessions, ldb_pending_children, ldb_remove_child,
};

/// The interpreter and the Lua-side handles `eval_generic_command` uses.
/// C keeps only `lua_State *lua` in `server.lua`. (no C twin)
pub(crate) struct LuaState {
    pub(crate) lua: Lua,
    /// The main Lua state of `lua`, for the raw calls of EVAL.
    state: *mut ffi::lua_State,
    /// The registry reference of `eval_run_raw` as a Lua C closure, with
    /// `__redis__err__handler`, the handler scripts run under, as upvalue.
    eval_entry: std::ffi::c_int,
    /// Scripts run since the last GC step (C: evalGenericCommand()'s
    /// static `gc_count`).
    gc_count: i64,
}

/// C: scripting.c LUA_GC_CYCLE_PERIOD (in evalGenericCommand)
const LUA_GC_CYCLE_PERIOD: i64 = 50;

/// An error raised from Rust with C's `lua_error()` of a string: the
/// error handler and `lua_error_message` give back these exact bytes.
/// (no C twin)
#[derive(Debug)]
struct LuaRaise(Vec<u8>);

impl std::fmt::Display for LuaRaise {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.0))
    }
}

impl std::error::Error for LuaRaise {}

/// C's `lua_pushstring(lua, msg); lua_error(lua)`. (no C twin)
fn lua_raise(msg: &[u8]) -> mlua::Error {
    mlua::Error::external(LuaRaise(msg.to_vec()))
}

/// What the Lua C functions reach while a script runs: C's `server`
/// global and `server.lua_caller`. (no C twin)
// Divergence from C: C's redis.call and count hook read globals. Here
// eval_generic_command() leaves pointers to the server and the caller in
// SCRIPT_CONTEXT for the length of one script; redis.call, redis.pcall
// and the hook take them out while they run (`with_script`), so that
// only one `&mut` to each exists at a time.
#[derive(Clone, Copy)]
struct ScriptContext {
    server: *mut RedisServer,
    caller: *mut Client,
    /// The count hook is on for this script (lua-time-limit > 0).
    hooked: bool,
}

thread_local! {
    static SCRIPT_CONTEXT: std::cell::Cell<Option<ScriptContext>> =
        const { std::cell::Cell::new(None) };
}

/// Runs `f` on the server and the caller of the running script, or gives
/// `None` when no script runs or a Lua C function already holds them.
/// (no C twin)
fn with_script<R>(
    f: impl FnOnce(&mut RedisServer, &mut Client) -> R,
) -> Option<R> {
    let ctx = SCRIPT_CONTEXT.with(|cell| cell.take())?;
    // SAFETY: eval_generic_command() stores these pointers, made from its
    // `&mut` server and client, only while it is inside the script call
    // and uses neither reference until it clears them; and this is the
    // only holder of the references while `f` runs, since the context is
    // out of the cell until it returns.
    let r = unsafe { f(&mut *ctx.server, &mut *ctx.caller) };
    SCRIPT_CONTEXT.with(|cell| cell.set(Some(ctx)));
    Some(r)
}

/// C: scripting.c sha1hex()
pub(crate) fn sha1hex(script: &[u8]) -> [u8; 40] {
    let hash = sha1_smol::Sha1::from(script).digest().bytes();
    let cset = b"0123456789abcdef";
    let mut digest = [0u8; 40];
    for j in 0..20 {
        digest[j * 2] = cset[((hash[j] & 0xF0) >> 4) as usize];
        digest[j * 2 + 1] = cset[(hash[j] & 0xF) as usize];
    }
    digest
}

// ----------------------------------------------------------------------------
// Redis reply to Lua type conversion functions.
// ----------------------------------------------------------------------------

/// Takes a Redis reply in the Redis protocol and pushes it on the Lua
/// stack as a Lua value: the fake client's output is parsed back, which
/// lets `redis.call` run any command without an internal API. Errors
/// become a table with a single `err` field, status replies one with an
/// `ok` field, a nil bulk or nil multi bulk `false`. Returns the rest of
/// the input.
///
/// C: scripting.c redisProtocolToLuaType()
///
/// SAFETY: `lua` is a valid Lua state. This pushes, so it may raise a Lua
/// error (out of memory): call it under lua_pcall, from frames that own
/// nothing.
unsafe fn redis_protocol_to_lua_type(
    lua: *mut ffi::lua_State,
    reply: &[u8],
) -> &[u8] {
    if ffi::lua_checkstack(lua, 5) == 0 {
        // Increase the Lua stack if needed, to make sure there is enough
        // room to push 5 elements to the stack. On failure, exit with
        // panic.
        with_script(|server, _| {
            server_panic!(
                server,
                "lua stack limit reach when parsing redis.call reply"
            )
        });
        std::process::abort();
    }
    // Divergence from C: C trusts its own reply and does no checks; a
    // short or odd reply here becomes nil instead of a read past the end.
    match reply.first() {
        Some(b':') => redis_protocol_to_lua_type_int(lua, reply),
        Some(b'$') => redis_protocol_to_lua_type_bulk(lua, reply),
        Some(b'+') => redis_protocol_to_lua_type_status(lua, reply),
        Some(b'-') => redis_protocol_to_lua_type_error(lua, reply),
        Some(b'*') => redis_protocol_to_lua_type_multi_bulk(lua, reply),
        _ => {
            ffi::lua_pushnil(lua);
            &[]
        }
    }
}

/// The line after the type byte, and what follows its CRLF. (no C twin:
/// C's `strchr(reply+1,'\r')`)
fn protocol_line(reply: &[u8]) -> (&[u8], &[u8]) {
    let body = reply.get(1..).unwrap_or(&[]);
    match memchr::memchr(b'\r', body) {
        Some(p) => (&body[..p], body.get(p + 2..).unwrap_or(&[])),
        None => (body, &[]),
    }
}

/// C: scripting.c redisProtocolToLuaType_Int()
///
/// SAFETY: as redis_protocol_to_lua_type.
unsafe fn redis_protocol_to_lua_type_int(
    lua: *mut ffi::lua_State,
    reply: &[u8],
) -> &[u8] {
    let (line, rest) = protocol_line(reply);
    let value = crate::object::string2ll(line).unwrap_or(0);
    ffi::lua_pushnumber(lua, value as f64);
    rest
}

/// C: scripting.c redisProtocolToLuaType_Bulk()
///
/// SAFETY: as redis_protocol_to_lua_type.
unsafe fn redis_protocol_to_lua_type_bulk(
    lua: *mut ffi::lua_State,
    reply: &[u8],
) -> &[u8] {
    let (line, rest) = protocol_line(reply);
    let bulklen = crate::object::string2ll(line).unwrap_or(-1);
    if bulklen < 0 {
        ffi::lua_pushboolean(lua, 0);
        return rest;
    }
    let n = (bulklen as usize).min(rest.len());
    ffi::lua_pushlstring(lua, rest.as_ptr().cast(), n);
    rest.get(n + 2..).unwrap_or(&[])
}

/// C: scripting.c redisProtocolToLuaType_Status()
///
/// SAFETY: as redis_protocol_to_lua_type.
unsafe fn redis_protocol_to_lua_type_status(
    lua: *mut ffi::lua_State,
    reply: &[u8],
) -> &[u8] {
    let (line, rest) = protocol_line(reply);
    ffi::lua_newtable(lua);
    ffi::lua_pushstring(lua, c"ok".as_ptr());
    ffi::lua_pushlstring(lua, line.as_ptr().cast(), line.len());
    ffi::lua_settable(lua, -3);
    rest
}

/// C: scripting.c redisProtocolToLuaType_Error()
///
/// SAFETY: as redis_protocol_to_lua_type.
unsafe fn redis_protocol_to_lua_type_error(
    lua: *mut ffi::lua_State,
    reply: &[u8],
) -> &[u8] {
    let (line, rest) = protocol_line(reply);
    ffi::lua_newtable(lua);
    ffi::lua_pushstring(lua, c"err".as_ptr());
    ffi::lua_pushlstring(lua, line.as_ptr().cast(), line.len());
    ffi::lua_settable(lua, -3);
    rest
}

/// C: scripting.c redisProtocolToLuaType_MultiBulk()
///
/// SAFETY: as redis_protocol_to_lua_type.
unsafe fn redis_protocol_to_lua_type_multi_bulk(
    lua: *mut ffi::lua_State,
    reply: &[u8],
) -> &[u8] {
    let (line, mut p) = protocol_line(reply);
    let mbulklen = crate::object::string2ll(line).unwrap_or(-1);
    if mbulklen == -1 {
        ffi::lua_pushboolean(lua, 0);
        return p;
    }
    ffi::lua_newtable(lua);
    for j in 0..mbulklen.max(0) {
        ffi::lua_pushnumber(lua, (j + 1) as f64);
        p = redis_protocol_to_lua_type(lua, p);
        ffi::lua_settable(lua, -3);
    }
    p
}

/// Pushes the error table `redis.pcall` returns:
/// `{err = "<source>: <line>: msg"}`, where source and line are those of
/// the function `level` levels up the stack (C asks for level 1, the
/// caller of the C function).
///
/// C: scripting.c luaPushError()
///
/// SAFETY: as redis_protocol_to_lua_type.
// Divergence from C: the "<error>" line of the debugger is logged by the
// callers, before the pushes (which may raise), and `level` is a
// parameter since redis.call pushes from a function it calls.
unsafe fn lua_push_error(
    lua: *mut ffi::lua_State,
    level: std::ffi::c_int,
    error: &[u8],
) {
    ffi::lua_newtable(lua);
    ffi::lua_pushstring(lua, c"err".as_ptr());

    // Attempt to figure out where this function was called, if possible
    let mut dbg: ffi::lua_Debug = std::mem::zeroed();
    if ffi::lua_getstack(lua, level, &mut dbg) != 0
        && ffi::lua_getinfo(lua, c"nSl".as_ptr(), &mut dbg) != 0
    {
        // "%s: %d: %s"
        if dbg.source.is_null() {
            ffi::lua_pushstring(lua, c"(null)".as_ptr());
        } else {
            ffi::lua_pushstring(lua, dbg.source);
        }
        ffi::lua_pushfstring(lua, c": %d: ".as_ptr(), dbg.currentline);
        ffi::lua_pushlstring(lua, error.as_ptr().cast(), error.len());
        ffi::lua_concat(lua, 3);
    } else {
        ffi::lua_pushlstring(lua, error.as_ptr().cast(), error.len());
    }
    ffi::lua_settable(lua, -3);
}

/// `lua_push_error` for the Rust functions mlua calls: the table to
/// return. (no C twin: C's luaPushError())
fn lua_push_error_table(lua: &Lua, error: &[u8]) -> mlua::Result<Table> {
    // If debugging is active and in step mode, log errors resulting from
    // Redis commands.
    if ldb::ldb_logging() {
        let mut log = b"<error> ".to_vec();
        log.extend_from_slice(c_str(error));
        ldb::ldb_log(log);
    }

    let t = lua.create_table()?;
    // Attempt to figure out where this function was called, if possible
    let mut msg = error.to_vec();
    if let Some(dbg) = lua.inspect_stack(1) {
        let src = dbg.source();
        let source = src.source.as_deref().unwrap_or("");
        msg = format!("{}: {}: ", source, dbg.curr_line()).into_bytes();
        msg.extend_from_slice(error);
    }
    t.set("err", lua.create_string(&msg)?)?;
    Ok(t)
}

/// In case the error set into the Lua stack by lua_push_error() was
/// generated by the non-error-trapping version of redis.pcall(), which is
/// redis.call(), this function extracts the plain error string from the
/// table on top (the caller raises it).
///
/// C: scripting.c luaRaiseError()
///
/// SAFETY: as redis_protocol_to_lua_type, with the table on top.
// Divergence from C: C raises it here; the caller of the protected
// conversion raises it once nothing it owns is alive. A raw get, the
// table being ours.
unsafe fn lua_raise_error(lua: *mut ffi::lua_State) {
    ffi::lua_pushstring(lua, c"err".as_ptr());
    ffi::lua_rawget(lua, -2);
}

/// Sorts the array on top of the stack, the reply of a command flagged S
/// (KEYS, SMEMBERS, ...), so the script sees a deterministic order.
/// table.sort fails on `false` elements: then it sorts again with
/// `__redis__compare_helper`.
///
/// C: scripting.c luaSortArray()
///
/// SAFETY: as redis_protocol_to_lua_type, with the array on top.
unsafe fn lua_sort_array(lua: *mut ffi::lua_State) {
    // Initial Stack: array
    ffi::lua_getfield(lua, ffi::LUA_GLOBALSINDEX, c"table".as_ptr());
    ffi::lua_pushstring(lua, c"sort".as_ptr());
    ffi::lua_gettable(lua, -2); // Stack: array, table, table.sort
    ffi::lua_pushvalue(lua, -3); // Stack: array, table, table.sort, array
    if ffi::lua_pcall(lua, 1, 0, 0) != 0 {
        // Stack: array, table, error

        // We are not interested in the error, we assume that the problem
        // is that there are 'false' elements inside the array, so we try
        // again with a slower function but able to handle this case, that
        // is: table.sort(table, __redis__compare_helper)
        ffi::lua_pop(lua, 1); // Stack: array, table
        ffi::lua_pushstring(lua, c"sort".as_ptr()); // Stack: array, table, sort
        ffi::lua_gettable(lua, -2); // Stack: array, table, table.sort
        ffi::lua_pushvalue(lua, -3); // Stack: array, table, table.sort, array
        ffi::lua_getfield(
            lua,
            ffi::LUA_GLOBALSINDEX,
            c"__redis__compare_helper".as_ptr(),
        );
        // Stack: array, table, table.sort, array, __redis__compare_helper
        ffi::lua_call(lua, 2, 0);
    }
    // Stack: array (sorted), table
    ffi::lua_pop(lua, 1); // Stack: array (sorted)
}

// ----------------------------------------------------------------------------
// Lua reply to Redis reply conversion functions.
// ----------------------------------------------------------------------------

/// C's `(long long)` cast of a double as x86-64 does it (cvttsd2si): out
/// of range, infinite or NaN gives LLONG_MIN, where Rust's `as` saturates.
fn c_double_to_long_long(n: f64) -> i64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if (-TWO_63..TWO_63).contains(&n) {
        n as i64
    } else {
        i64::MIN
    }
}

/// The bytes of the string at `idx` (a number is converted in place, as
/// lua_tolstring does).
///
/// SAFETY: `state` is a valid Lua state and `idx` a valid index.
unsafe fn lua_to_bytes<'a>(
    state: *mut mlua::ffi::lua_State,
    idx: i32,
) -> &'a [u8] {
    let mut len = 0usize;
    let p = mlua::ffi::lua_tolstring(state, idx, &mut len);
    if p.is_null() {
        &[]
    } else {
        std::slice::from_raw_parts(p as *const u8, len)
    }
}

/// `-<s>\r\n` or `+<s>\r\n` with CR and LF mapped to spaces, for an
/// error or status table; C's sdsnew() keeps the bytes before a NUL.
fn lua_reply_line(prefix: u8, s: &[u8]) -> Vec<u8> {
    let s = c_str(s);
    let mut line = Vec::with_capacity(s.len() + 3);
    line.push(prefix);
    line.extend(
        s.iter().map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
    );
    line.extend_from_slice(b"\r\n");
    line
}

/// Converts the value a script returned, on top of the Lua stack, into the
/// reply of `c`, and pops it: a string is a bulk, true is :1 and false a
/// nil bulk, a number is truncated to an integer, a table with an `err` or
/// `ok` string field is an error or a status, any other table is an array
/// that stops at its first nil.
///
/// C: scripting.c luaReplyToRedisReply()
///
/// SAFETY: `state` is a valid Lua state with the value on top.
unsafe fn lua_reply_to_redis_reply(
    c: &mut Client,
    state: *mut mlua::ffi::lua_State,
) {
    use mlua::ffi;
    let t = ffi::lua_type(state, -1);
    // Increase the Lua stack if needed to make sure there is enough room
    // to push 4 elements to the stack. On failure, return error.
    if ffi::lua_checkstack(state, 4) == 0 {
        add_reply_error(c, "reached lua stack limit");
        ffi::lua_pop(state, 1); // pop the element from the stack
        return;
    }
    match t {
        ffi::LUA_TSTRING => add_reply_bulk_c_buffer(c, lua_to_bytes(state, -1)),
        ffi::LUA_TBOOLEAN => add_reply(
            c,
            if ffi::lua_toboolean(state, -1) != 0 {
                shared::CONE
            } else {
                shared::NULLBULK
            },
        ),
        ffi::LUA_TNUMBER => add_reply_long_long(
            c,
            c_double_to_long_long(ffi::lua_tonumber(state, -1)),
        ),
        ffi::LUA_TTABLE => {
            // We need to check if it is an array, an error, or a status
            // reply. Error are returned as a single element table with
            // 'err' field. Status replies are returned as single element
            // table with 'ok' field.
            // Divergence from C: raw gets, so no metamethod runs here
            // (C's lua_gettable would run one outside any protected call).
            ffi::lua_pushstring(state, c"err".as_ptr());
            ffi::lua_rawget(state, -2);
            if ffi::lua_type(state, -1) == ffi::LUA_TSTRING {
                add_reply(c, &lua_reply_line(b'-', lua_to_bytes(state, -1)));
                ffi::lua_pop(state, 2);
                return;
            }
            ffi::lua_pop(state, 1);
            ffi::lua_pushstring(state, c"ok".as_ptr());
            ffi::lua_rawget(state, -2);
            if ffi::lua_type(state, -1) == ffi::LUA_TSTRING {
                add_reply(c, &lua_reply_line(b'+', lua_to_bytes(state, -1)));
                ffi::lua_pop(state, 1);
            } else {
                let replylen = add_deferred_multi_bulk_length(c);
                let mut j = 1;
                let mut mbulklen = 0;
                ffi::lua_pop(state, 1); // Discard the 'ok' field value we popped
                loop {
                    ffi::lua_rawgeti(state, -1, j);
                    j += 1;
                    if ffi::lua_type(state, -1) == ffi::LUA_TNIL {
                        ffi::lua_pop(state, 1);
                        break;
                    }
                    lua_reply_to_redis_reply(c, state);
                    mbulklen += 1;
                }
                set_deferred_multi_bulk_length(c, replylen, mbulklen);
            }
        }
        _ => add_reply(c, shared::NULLBULK),
    }
    ffi::lua_pop(state, 1);
}

// ----------------------------------------------------------------------------
// Lua redis.* functions implementations.
// ----------------------------------------------------------------------------

/// C: scripting.c LUA_CMD_OBJCACHE_SIZE
const LUA_CMD_OBJCACHE_SIZE: usize = 32;
/// C: scripting.c LUA_CMD_OBJCACHE_MAX_LEN
const LUA_CMD_OBJCACHE_MAX_LEN: usize = 64;

thread_local! {
    /// luaRedisGenericCommand()'s static `inuse`: recursive calls
    /// detection.
    static LUA_CALL_INUSE: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    /// luaRedisGenericCommand()'s static `cached_objects`: the buffers of
    /// the last command's small arguments, reused for the next one's.
    static LUA_CMD_OBJCACHE: std::cell::Cell<Vec<Vec<u8>>> =
        const { std::cell::Cell::new(Vec::new()) };
    /// The buffer the reply of the command is gathered in (C's `reply`
    /// sds), kept across calls.
    static LUA_CALL_REPLY: std::cell::Cell<Vec<u8>> =
        const { std::cell::Cell::new(Vec::new()) };
}

/// The error of a redis.call that found another one running.
const LUA_RECURSION_WARNING: &[u8] = b"luaRedisGenericCommand() recursive call detected. Are you doing funny stuff with Lua debug hooks?";

/// What `lua_redis_push_reply` pushes, handed to it as a light userdata.
/// (no C twin)
struct LuaCallPush<'a> {
    /// The reply in the Redis protocol, or the message of luaPushError().
    bytes: &'a [u8],
    /// `bytes` is luaPushError()'s message.
    error: bool,
    /// Sort the reply, an array (luaSortArray()).
    sort: bool,
    /// Leave the plain error string instead of the table (luaRaiseError()).
    raise: bool,
}

/// The Lua side of `redis.call` and `redis.pcall` once the command ran:
/// pushes the reply (or the error table) converted to a Lua value, sorted
/// if asked, or the plain error to raise. Called under lua_pcall with
/// one light userdata argument, a LuaCallPush. (no C twin: the pushes of
/// luaRedisGenericCommand())
// Divergence from C: C pushes (which may raise a Lua error, out of
// memory or from a __gc metamethod) from luaRedisGenericCommand() itself;
// here they run under lua_pcall so that a raised error does not jump over
// Rust frames that own buffers; it is raised again once they are gone,
// so such an error leaves redis.call usable (C's `inuse` stays set).
//
// SAFETY: called only by lua_redis_generic_command, through lua_pcall,
// with a live LuaCallPush. This frame and the ones it calls own nothing,
// so a Lua error raised by a push jumps over nothing that needs dropping.
// The stack is the one lua_pcall gives: LUA_MINSTACK free slots, and
// redis_protocol_to_lua_type checks for more.
unsafe extern "C-unwind" fn lua_redis_push_reply(
    lua: *mut ffi::lua_State,
) -> std::ffi::c_int {
    let p = &*(ffi::lua_touserdata(lua, 1) as *const LuaCallPush<'_>);
    ffi::lua_settop(lua, 0);
    if p.error {
        // Level 2: 0 is this function, 1 redis.call, 2 the script.
        lua_push_error(lua, 2, p.bytes);
    } else {
        redis_protocol_to_lua_type(lua, p.bytes);
        // Sort the output array if needed, assuming it is a non-null
        // multi bulk reply as expected.
        if p.sort {
            lua_sort_array(lua);
        }
    }
    if p.raise {
        lua_raise_error(lua);
    }
    1
}

/// `redis.call` (raise_error) and `redis.pcall`: runs the command given as
/// arguments on the Lua client through `call()` and pushes its reply as a
/// Lua value. With `raise_error`, an error reply is raised as a Lua error
/// instead (C's luaRaiseError). Returns the number of values pushed, or
/// -1 when the value on top is to be raised: the caller does so, once
/// this frame and what it owns are gone.
///
/// C: scripting.c luaRedisGenericCommand()
///
/// SAFETY: `lua` is the state of a Lua C function call (redis.call),
/// whose arguments are the whole stack, and the closure's upvalue 1 is
/// `lua_redis_push_reply`. Nothing here raises a Lua error: the reads of
/// the arguments (lua_type, lua_tonumber, lua_tolstring of a string)
/// allocate nothing, and the pushes run under lua_pcall.
unsafe fn lua_redis_generic_command(
    lua: *mut ffi::lua_State,
    raise_error: bool,
) -> std::ffi::c_int {
    let argc = ffi::lua_gettop(lua);

    // By using Lua debug hooks it is possible to trigger a recursive call
    // to luaRedisGenericCommand(), which normally should never happen.
    // To make this function reentrant is futile and makes it slower, but
    // we should at least detect such a misuse, and abort.
    // Divergence from C: "Reflect MULTI state" is done after this check
    // (it is about the client this one takes).
    if LUA_CALL_INUSE.get() > 0 {
        return lua_redis_recursive_call(lua);
    }
    LUA_CALL_INUSE.set(LUA_CALL_INUSE.get() + 1);

    let mut reply = LUA_CALL_REPLY.take();
    let outcome = with_script(|server, caller| {
        lua_redis_run_command(server, caller.flags, lua, argc, &mut reply)
    });
    let r = match outcome {
        None => {
            // The server is held by a Lua C function that called Lua
            // (a hook): as a recursive call.
            LUA_CALL_INUSE.set(LUA_CALL_INUSE.get() - 1);
            LUA_CALL_REPLY.set(reply);
            return lua_redis_recursive_call(lua);
        }
        Some(Err(msg)) => {
            lua_redis_log_error(&msg);
            lua_redis_push(
                lua,
                &LuaCallPush {
                    bytes: &msg,
                    error: true,
                    sort: false,
                    raise: raise_error,
                },
            )
        }
        Some(Ok(sort)) => {
            // If the debugger is active, log the reply from Redis.
            if ldb::ldb_logging() {
                ldb::ldb_log_redis_reply(&reply);
            }
            lua_redis_push(
                lua,
                &LuaCallPush {
                    bytes: &reply,
                    error: false,
                    sort,
                    raise: raise_error && reply.first() == Some(&b'-'),
                },
            )
        }
    };
    reply.clear();
    LUA_CALL_REPLY.set(reply);
    LUA_CALL_INUSE.set(LUA_CALL_INUSE.get() - 1);
    r
}

/// Pushes what `push` says through `lua_redis_push_reply` under lua_pcall.
/// Returns 1, or -1 when the value on top is to be raised (the plain
/// error of redis.call, or an error the pushes raised). (no C twin)
///
/// SAFETY: as lua_redis_generic_command.
unsafe fn lua_redis_push(
    lua: *mut ffi::lua_State,
    push: &LuaCallPush<'_>,
) -> std::ffi::c_int {
    // A C function has LUA_MINSTACK free slots above its arguments: room
    // for these two (or for the one value pushed here).
    if !push.error && !push.sort && !push.raise {
        // An integer or nil reply: a push that allocates nothing, so
        // raises nothing, needs no protected call.
        match push.bytes.first() {
            Some(b':') => {
                let (line, _) = protocol_line(push.bytes);
                let value = crate::object::string2ll(line).unwrap_or(0);
                ffi::lua_pushnumber(lua, value as f64);
                return 1;
            }
            Some(b'$' | b'*') if push.bytes[1..].starts_with(b"-1\r\n") => {
                ffi::lua_pushboolean(lua, 0);
                return 1;
            }
            _ => {}
        }
    }
    ffi::lua_pushvalue(lua, ffi::lua_upvalueindex(1));
    ffi::lua_pushlightuserdata(lua, push as *const LuaCallPush<'_> as *mut _);
    if ffi::lua_pcall(lua, 1, 1, 0) != 0 || push.raise {
        -1
    } else {
        1
    }
}

/// The "<error>" line luaPushError() logs in the debugger. (no C twin)
fn lua_redis_log_error(error: &[u8]) {
    // If debugging is active and in step mode, log errors resulting from
    // Redis commands.
    if ldb::ldb_logging() {
        let mut log = b"<error> ".to_vec();
        log.extend_from_slice(c_str(error));
        ldb::ldb_log(log);
    }
}

/// The recursive call branch of luaRedisGenericCommand(): logs and pushes
/// the error table (never raised). (no C twin)
///
/// SAFETY: as lua_redis_generic_command.
unsafe fn lua_redis_recursive_call(
    lua: *mut ffi::lua_State,
) -> std::ffi::c_int {
    with_script(|server, _| {
        server_log!(
            server,
            LL_WARNING,
            "{}",
            String::from_utf8_lossy(LUA_RECURSION_WARNING)
        )
    });
    lua_redis_log_error(LUA_RECURSION_WARNING);
    lua_redis_push(
        lua,
        &LuaCallPush {
            bytes: LUA_RECURSION_WARNING,
            error: true,
            sort: false,
            raise: false,
        },
    )
}

/// The part of luaRedisGenericCommand() that runs the command: builds its
/// arguments from the Lua stack, runs it on the Lua client, and gathers
/// its reply in `reply`. Gives whether the reply is to be sorted, or the
/// message of the error to push (luaPushError()). (no C twin)
///
/// SAFETY: as lua_redis_generic_command; the arguments are 1..=argc.
unsafe fn lua_redis_run_command(
    server: &mut RedisServer,
    caller_flags: u64,
    lua: *mut ffi::lua_State,
    argc: i32,
    reply: &mut Vec<u8>,
) -> Result<bool, std::borrow::Cow<'static, [u8]>> {
    // Divergence from C: the fake client is taken out of the server while
    // the command runs, and put back after; it is never in the client
    // table.
    let Some(mut c) = server.lua_client.take() else {
        return Err(std::borrow::Cow::Borrowed(LUA_RECURSION_WARNING));
    };
    let r = lua_redis_run_command_on(
        server,
        &mut c,
        caller_flags,
        lua,
        argc,
        reply,
    );
    // Clean up. Command code may have changed argv/argc so we use the
    // argv/argc of the client instead of the local variables: small
    // arguments are kept for the next call.
    let mut cache = LUA_CMD_OBJCACHE.take();
    for (j, o) in c.argv.drain(..).enumerate() {
        if j < LUA_CMD_OBJCACHE_SIZE && o.len() <= LUA_CMD_OBJCACHE_MAX_LEN {
            if cache.len() <= j {
                cache.resize_with(j + 1, Vec::new);
            }
            cache[j] = o;
        }
    }
    LUA_CMD_OBJCACHE.set(cache);
    server.lua_client = Some(c);
    r
}

/// The body of `lua_redis_run_command` once the Lua client is at hand.
/// (no C twin: the part of luaRedisGenericCommand() between taking and
/// putting back the client)
///
/// SAFETY: as lua_redis_run_command.
unsafe fn lua_redis_run_command_on(
    server: &mut RedisServer,
    c: &mut Client,
    caller_flags: u64,
    lua: *mut ffi::lua_State,
    argc: i32,
    reply: &mut Vec<u8>,
) -> Result<bool, std::borrow::Cow<'static, [u8]>> {
    use std::borrow::Cow;
    // Reflect MULTI state
    if server.lua_multi_emitted || caller_flags & CLIENT_MULTI != 0 {
        c.flags |= CLIENT_MULTI;
    } else {
        c.flags &= !CLIENT_MULTI;
    }

    // Require at least one argument
    if argc == 0 {
        return Err(Cow::Borrowed(
            b"Please specify at least one argument for redis.call()",
        ));
    }

    // Build the arguments vector
    let mut cache = LUA_CMD_OBJCACHE.take();
    c.argv.clear();
    for j in 0..argc {
        let dbuf;
        let obj_s: &[u8] = if ffi::lua_type(lua, j + 1) == ffi::LUA_TNUMBER {
            // We can't use lua_tolstring() for number -> string conversion
            // since Lua uses a format specifier that loses precision.
            dbuf = crate::object::fmt_g17(ffi::lua_tonumber(lua, j + 1));
            dbuf.as_bytes()
        } else {
            let mut len = 0usize;
            let p = ffi::lua_tolstring(lua, j + 1, &mut len);
            if p.is_null() {
                break; // Not a string.
            }
            std::slice::from_raw_parts(p as *const u8, len)
        };
        // Try to use a cached object.
        let mut o =
            cache.get_mut(j as usize).map(std::mem::take).unwrap_or_default();
        o.clear();
        o.extend_from_slice(obj_s);
        c.argv.push(o);
    }
    LUA_CMD_OBJCACHE.set(cache);

    // Check if one of the arguments passed by the Lua script is not a
    // string or an integer (lua_isstring() return true for integers as
    // well).
    if c.argv.len() != argc as usize {
        return Err(Cow::Borrowed(
            b"Lua redis() command arguments must be strings or integers",
        ));
    }

    // Log the command if debugging is active.
    if ldb::ldb_logging() {
        let mut cmdlog = b"<redis>".to_vec();
        for (j, a) in c.argv.iter().enumerate() {
            if j == 10 {
                cmdlog.extend_from_slice(
                    format!(" ... ({} more)", c.argv.len() - j - 1).as_bytes(),
                );
                break;
            } else {
                cmdlog.push(b' ');
                cmdlog.extend_from_slice(c_str(a));
            }
        }
        ldb::ldb_log(cmdlog);
    }

    // Command lookup
    let cmd = lookup_command(server, &c.argv[0]);
    let Some(cmd) = cmd.filter(|&i| {
        let arity = server.commands[i].arity;
        !((arity > 0 && arity != argc) || argc < -arity)
    }) else {
        return Err(Cow::Borrowed(if cmd.is_some() {
            b"Wrong number of args calling Redis command From Lua script"
        } else {
            b"Unknown Redis command called from Lua script"
        }));
    };
    c.cmd = Some(cmd);
    c.lastcmd = Some(cmd);
    let cmd_flags = server.commands[cmd].flags;

    // There are commands that are not allowed inside scripts.
    if cmd_flags & CMD_NOSCRIPT != 0 {
        return Err(Cow::Borrowed(
            b"This Redis command is not allowed from scripts",
        ));
    }

    // Write commands are forbidden against read-only slaves, or if a
    // command marked as non-deterministic was already called in the
    // context of this script.
    if cmd_flags & CMD_WRITE != 0 {
        let deny_write_type =
            crate::rdb::write_commands_denied_by_disk_error(server);
        if server.lua_random_dirty && !server.lua_replicate_commands {
            return Err(Cow::Borrowed(b"Write commands not allowed after non deterministic commands. Call redis.replicate_commands() at the start of your script in order to switch to single commands replication mode."));
        } else if server.masterhost.is_some()
            && server.repl_slave_ro
            && !server.loading
            && caller_flags & CLIENT_MASTER == 0
        {
            // C passes the shared error object's text, "-...\r\n" and all.
            return Err(Cow::Borrowed(shared::ROSLAVEERR));
        } else if deny_write_type != crate::rdb::DISK_ERROR_TYPE_NONE {
            return Err(Cow::Owned(crate::rdb::disk_error_reply(
                server,
                deny_write_type,
            )));
        }
    }
    // If we reached the memory limit configured via maxmemory, commands
    // that could enlarge the memory usage are not allowed, but only if this
    // is the first write in the context of this script, otherwise we can't
    // stop in the middle.
    if server.maxmemory != 0 // Maxmemory is actually enabled.
        && !server.loading // Don't care about mem if loading.
        && server.masterhost.is_none() // Slave must execute the script.
        && !server.lua_write_dirty // Script had no side effects so far.
        && server.lua_oom // Detected OOM when script start.
        && cmd_flags & CMD_DENYOOM != 0
    {
        // C passes the shared error object's text, "-...\r\n" and all.
        return Err(Cow::Borrowed(shared::OOMERR));
    }

    if cmd_flags & CMD_RANDOM != 0 {
        server.lua_random_dirty = true;
    }
    if cmd_flags & CMD_WRITE != 0 {
        server.lua_write_dirty = true;
    }

    // If we are using single commands replication, we need to wrap what we
    // propagate into a MULTI/EXEC block, so that it will be atomic like a
    // Lua script in the context of AOF and slaves.
    if server.lua_replicate_commands
        && !server.lua_multi_emitted
        && caller_flags & CLIENT_MULTI == 0
        && server.lua_write_dirty
        && server.lua_repl != PROPAGATE_NONE
    {
        // C passes the caller; only its db is read, and the Lua client
        // has the caller's db selected.
        crate::multi::exec_command_propagate_multi(server, c);
        server.lua_multi_emitted = true;
    }

    // Run the command
    let mut call_flags = CMD_CALL_SLOWLOG | CMD_CALL_STATS;
    if server.lua_replicate_commands {
        // Set flags according to redis.set_repl() settings.
        if server.lua_repl & PROPAGATE_AOF != 0 {
            call_flags |= CMD_CALL_PROPAGATE_AOF;
        }
        if server.lua_repl & PROPAGATE_REPL != 0 {
            call_flags |= CMD_CALL_PROPAGATE_REPL;
        }
    }
    call(server, c, call_flags);

    // Convert the result of the Redis command into a suitable Lua type.
    // The first thing we need is to create a single string from the client
    // output buffers.
    reply.clear();
    reply.extend_from_slice(&c.buf[..c.bufpos]);
    c.bufpos = 0;
    for o in c.reply.drain(..) {
        reply.extend_from_slice(&o.buf);
    }
    c.reply_bytes = 0;

    // Sort the output array if needed, assuming it is a non-null multi
    // bulk reply as expected.
    Ok(cmd_flags & CMD_SORT_FOR_SCRIPT != 0
        && !server.lua_replicate_commands
        && reply.first() == Some(&b'*')
        && reply.get(1) != Some(&b'-'))
}

/// redis.call()
///
/// C: scripting.c luaRedisCallCommand()
//
// SAFETY: Lua calls it as the C closure scripting_init_lua() makes, with
// lua_redis_push_reply as upvalue 1. lua_error() is called from this
// frame, which owns nothing, once lua_redis_generic_command returned.
unsafe extern "C-unwind" fn lua_redis_call_command(
    lua: *mut ffi::lua_State,
) -> std::ffi::c_int {
    let n = lua_redis_generic_command(lua, true);
    if n < 0 {
        ffi::lua_error(lua)
    } else {
        n
    }
}

/// redis.pcall()
///
/// C: scripting.c luaRedisPCallCommand()
//
// SAFETY: as lua_redis_call_command.
unsafe extern "C-unwind" fn lua_redis_pcall_command(
    lua: *mut ffi::lua_State,
) -> std::ffi::c_int {
    let n = lua_redis_generic_command(lua, false);
    if n < 0 {
        ffi::lua_error(lua)
    } else {
        n
    }
}

/// `redis.sha1hex(string)`: the same hashing used for scripts.
///
/// C: scripting.c luaRedisSha1hexCommand()
fn lua_redis_sha1hex_command(
    lua: &Lua,
    args: MultiValue,
) -> mlua::Result<Value> {
    if args.len() != 1 {
        return Err(lua_raise(b"wrong number of arguments"));
    }
    // Divergence from C: an argument that is not a string or a number
    // hashes as the empty string (C reads an uninitialised length).
    let bytes = match args.into_iter().next().unwrap_or(Value::Nil) {
        Value::String(s) => s.as_bytes().to_vec(),
        Value::Integer(i) => crate::object::fmt_g(i as f64, 14).into_bytes(),
        Value::Number(n) => crate::object::fmt_g(n, 14).into_bytes(),
        _ => Vec::new(),
    };
    Ok(Value::String(lua.create_string(sha1hex(&bytes))?))
}

/// Returns a table with a single field `field` set to the string passed:
/// `redis.error_reply("ERR x")` and `redis.status_reply("OK")`.
///
/// C: scripting.c luaRedisReturnSingleFieldTable()
fn lua_redis_return_single_field_table(
    lua: &Lua,
    args: MultiValue,
    field: &str,
) -> mlua::Result<Table> {
    match (args.len(), args.front()) {
        (1, Some(Value::String(s))) => {
            let t = lua.create_table()?;
            t.set(field, s.clone())?;
            Ok(t)
        }
        _ => lua_push_error_table(lua, b"wrong number or type of arguments"),
    }
}

/// C: scripting.c luaRedisErrorReplyCommand()
fn lua_redis_error_reply_command(
    lua: &Lua,
    args: MultiValue,
) -> mlua::Result<Table> {
    lua_redis_return_single_field_table(lua, args, "err")
}

/// C: scripting.c luaRedisStatusReplyCommand()
fn lua_redis_status_reply_command(
    lua: &Lua,
    args: MultiValue,
) -> mlua::Result<Table> {
    lua_redis_return_single_field_table(lua, args, "ok")
}

/// `redis.replicate_commands()`: turns on single commands (effects)
/// replication if the script did not write yet, and returns true;
/// otherwise returns false and the script stays replicated as a whole.
///
/// C: scripting.c luaRedisReplicateCommandsCommand()
fn lua_redis_replicate_commands_command(server: &mut RedisServer) -> bool {
    if server.lua_write_dirty {
        false
    } else {
        server.lua_replicate_commands = true;
        // When we switch to single commands replication, we can provide
        // different math.random() sequences at every call, which is what
        // the user normally expects.
        crate::rand::redis_srand48(c_rand());
        true
    }
}

/// A number in 0..=RAND_MAX, where C calls libc's `rand()`. (no C twin)
fn c_rand() -> i32 {
    // Divergence from C: not glibc's rand() sequence (seeded at startup by
    // srand(time^pid)); the standard library's randomly keyed hasher gives
    // a new number at every call, and only its being random matters.
    use std::hash::{BuildHasher, Hasher};
    let h = std::collections::hash_map::RandomState::new().build_hasher();
    (h.finish() & 0x7fff_ffff) as i32
}

/// `redis.set_repl(flags)`: which of AOF and replicas the script's write
/// commands are propagated to, once redis.replicate_commands() is on.
///
/// C: scripting.c luaRedisSetReplCommand()
fn lua_redis_set_repl_command(
    server: &mut RedisServer,
    lua: &Lua,
    args: MultiValue,
) -> mlua::Result<()> {
    if !server.lua_replicate_commands {
        return Err(lua_raise(b"You can set the replication behavior only after turning on single commands replication with redis.replicate_commands()."));
    } else if args.len() != 1 {
        return Err(lua_raise(b"redis.set_repl() requires two arguments."));
    }

    // lua_tonumber(): 0 for what is not a number.
    let flags = args.back().and_then(|v| lua_tonumber(lua, v)).unwrap_or(0.0);
    let flags = c_double_to_int(flags);
    if flags & !(PROPAGATE_AOF | PROPAGATE_REPL) != 0 {
        return Err(lua_raise(b"Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE."));
    }
    server.lua_repl = flags;
    Ok(())
}

/// `redis.log(level, ...)`: writes the other arguments, strings and
/// numbers joined by spaces, to the server log at `level` (one of
/// redis.LOG_DEBUG, LOG_VERBOSE, LOG_NOTICE, LOG_WARNING).
///
/// C: scripting.c luaLogCommand()
fn lua_log_command(
    server: &RedisServer,
    lua: &Lua,
    args: MultiValue,
) -> mlua::Result<()> {
    let argc = args.len();
    if argc < 2 {
        return Err(lua_raise(b"redis.log() requires two arguments or more."));
    }
    let Some(level) = lua_tonumber(lua, &args[0]) else {
        return Err(lua_raise(b"First argument must be a number (log level)."));
    };
    let level = c_double_to_int(level);
    if !(LL_DEBUG..=LL_WARNING).contains(&level) {
        return Err(lua_raise(b"Invalid debug level."));
    }

    // Glue together all the arguments: strings and numbers (lua_tolstring
    // gives NULL for the other types, which are left out).
    let mut log = Vec::new();
    for (j, a) in args.iter().enumerate().skip(1) {
        let s = match a {
            Value::String(s) => s.as_bytes().to_vec(),
            Value::Integer(i) => {
                crate::object::fmt_g(*i as f64, 14).into_bytes()
            }
            Value::Number(n) => crate::object::fmt_g(*n, 14).into_bytes(),
            _ => continue,
        };
        if j != 1 {
            log.push(b' ');
        }
        log.extend_from_slice(&s);
    }
    // C hands the sds to serverLogRaw(), which prints it with %s: the line
    // ends at the first NUL byte.
    let log = c_str(&log);
    // Divergence from C: server_log_raw takes text, so bytes that are not
    // UTF-8 are written as U+FFFD.
    server_log_raw(server, level, &String::from_utf8_lossy(log));
    Ok(())
}

/// `lua_isnumber()` and `lua_tonumber()` together: the number, or `None`
/// when the value is not a number nor a string Lua reads as one.
/// (no C twin)
fn lua_tonumber(lua: &Lua, v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        Value::String(_) => lua.coerce_number(v.clone()).ok().flatten(),
        _ => None,
    }
}

/// C's conversion of a double to `int` on x86-64 (cvttsd2si): out of
/// range or NaN gives INT_MIN. (no C twin)
fn c_double_to_int(n: f64) -> i32 {
    if n > i32::MIN as f64 - 1.0 && n < i32::MAX as f64 + 1.0 {
        n as i32
    } else {
        i32::MIN
    }
}

// ----------------------------------------------------------------------------
// Lua engine initialization and reset.
// ----------------------------------------------------------------------------

/// Removes the functions we don't want to expose to scripts.
///
/// C: scripting.c luaRemoveUnsupportedFunctions()
fn lua_remove_unsupported_functions(lua: &Lua) -> mlua::Result<()> {
    lua.globals().set("loadfile", Value::Nil)?;
    lua.globals().set("dofile", Value::Nil)?;
    lua_refuse_binary_chunks(lua)
}

/// Makes `loadstring` and `load` parse every chunk as text, as the Lua
/// Redis bundles does: precompiled bytecode (what `string.dump` gives) is
/// a known way out of the Lua 5.1 sandbox, so 5.0.14's Lua reads a chunk
/// starting with ESC as source and fails on its first byte. (no C twin)
// Divergence from C: Redis patches Lua's loader (ldo.c); the vendored Lua
// 5.1.5 loads bytecode, so both functions are wrapped: a chunk whose first
// byte is ESC is handed to the real function with that byte made \1, and
// the error it gives (the same, bar the byte) is given back with ESC. The
// wrappers are Rust functions, so argument errors name the script's line
// as the C functions' do.
fn lua_refuse_binary_chunks(lua: &Lua) -> mlua::Result<()> {
    let g = lua.globals();
    let loadstring: Function = g.get("loadstring")?;
    let load: Function = g.get("load")?;
    // `make_reader(reader)`: a reader that turns a first piece starting
    // with ESC into \1, and a function telling whether it did.
    let make_reader: Function = lua
        .load(
            "local sub, type = string.sub, type\n\
             return function(reader)\n\
             \x20 local first, binary = true, false\n\
             \x20 return function()\n\
             \x20   local piece = reader()\n\
             \x20   if first and type(piece) == 'string' and piece ~= '' then\n\
             \x20     first = false\n\
             \x20     if sub(piece, 1, 1) == '\\27' then\n\
             \x20       binary = true\n\
             \x20       return '\\1' .. sub(piece, 2)\n\
             \x20     end\n\
             \x20   end\n\
             \x20   return piece\n\
             \x20 end, function() return binary end\n\
             end\n",
        )
        .set_name("@loader_def")
        .call(())?;
    g.set(
        "loadstring",
        lua.create_function(move |lua, args: MultiValue| {
            lua_loadstring_text_only(lua, &loadstring, args)
        })?,
    )?;
    g.set(
        "load",
        lua.create_function(move |lua, args: MultiValue| {
            lua_load_text_only(lua, &load, &make_reader, args)
        })?,
    )?;
    Ok(())
}

/// The type name luaL_typerror() shows for argument `n` (1-based).
/// (no C twin)
fn lua_arg_typename(args: &MultiValue, n: usize) -> &'static str {
    args.get(n - 1).map(lua_typename).unwrap_or("no value")
}

/// The error of a binary chunk parsed as text: `e` with \1 made ESC again
/// (in the chunk's name too when the name is the chunk). (no C twin)
fn lua_text_only_error(
    lua: &Lua,
    e: Value,
    named: bool,
) -> mlua::Result<Value> {
    let Value::String(e) = e else { return Ok(e) };
    let mut m = e.as_bytes().to_vec();
    if !named {
        if let Some(i) = m.iter().position(|&b| b == 1) {
            m[i] = 27;
        }
    }
    let m = String::from_utf8_lossy(&m).replace("char(1)", "char(27)");
    Ok(Value::String(lua.create_string(m.as_bytes())?))
}

/// `loadstring(s [, chunkname])`, text only (see
/// lua_refuse_binary_chunks). (no C twin)
fn lua_loadstring_text_only(
    lua: &Lua,
    loadstring: &Function,
    args: MultiValue,
) -> mlua::Result<MultiValue> {
    let is_str = |v: Option<&Value>| {
        matches!(
            v,
            Some(Value::String(_) | Value::Integer(_) | Value::Number(_))
        )
    };
    if !is_str(args.front()) {
        let m = format!("string expected, got {}", lua_arg_typename(&args, 1));
        return Err(lual_argerror(lua, 1, m.as_bytes()));
    }
    let named = !matches!(args.get(1), None | Some(Value::Nil));
    if named && !is_str(args.get(1)) {
        let m = format!("string expected, got {}", lua_arg_typename(&args, 2));
        return Err(lual_argerror(lua, 2, m.as_bytes()));
    }
    if let Some(Value::String(s)) = args.front() {
        let b = s.as_bytes();
        if b.first() == Some(&27) {
            let mut text = b.to_vec();
            text[0] = 1;
            let name = args.get(1).cloned().unwrap_or(Value::Nil);
            let (_, e): (Value, Value) =
                loadstring.call((lua.create_string(&text)?, name))?;
            let e = lua_text_only_error(lua, e, named)?;
            return Ok(MultiValue::from_vec(vec![Value::Nil, e]));
        }
    }
    loadstring.call(args)
}

/// `load(reader [, chunkname])`, text only (see
/// lua_refuse_binary_chunks). (no C twin)
fn lua_load_text_only(
    lua: &Lua,
    load: &Function,
    make_reader: &Function,
    args: MultiValue,
) -> mlua::Result<MultiValue> {
    let Some(Value::Function(reader)) = args.front() else {
        let m =
            format!("function expected, got {}", lua_arg_typename(&args, 1));
        return Err(lual_argerror(lua, 1, m.as_bytes()));
    };
    let name = args.get(1).cloned().unwrap_or(Value::Nil);
    if !matches!(
        name,
        Value::Nil | Value::String(_) | Value::Integer(_) | Value::Number(_)
    ) {
        let m = format!("string expected, got {}", lua_arg_typename(&args, 2));
        return Err(lual_argerror(lua, 2, m.as_bytes()));
    }
    let (read, binary): (Function, Function) = make_reader.call(reader)?;
    let r: MultiValue = load.call((read, name))?;
    if binary.call::<bool>(())? {
        let e = r.into_iter().nth(1).unwrap_or(Value::Nil);
        let e = lua_text_only_error(lua, e, true)?;
        return Ok(MultiValue::from_vec(vec![Value::Nil, e]));
    }
    Ok(r)
}

/// Installs metamethods on the global table `_G` so that a script can
/// neither create a global (beginners forget `local`) nor read one that
/// does not exist: both are errors. Code run from the main chunk (a
/// script's function definition) or from C (Rust) may still create them.
/// Also removes the `debug` global, so that only the two chunks that took
/// a local copy of it (this one and the error handler) can use it.
///
/// Runs last in the interpreter's set-up, since it changes how every
/// later global assignment behaves.
///
/// C: scripting.c scriptingEnableGlobalsProtection()
fn scripting_enable_globals_protection(lua: &Lua) -> mlua::Result<()> {
    // strict.lua from metalua, adapted to Redis. The text is C's, byte for
    // byte: its line numbers show in the errors scripts get.
    let code = "local dbg=debug\n\
                local mt = {}\n\
                setmetatable(_G, mt)\n\
                mt.__newindex = function (t, n, v)\n\
                \x20 if dbg.getinfo(2) then\n\
                \x20   local w = dbg.getinfo(2, \"S\").what\n\
                \x20   if w ~= \"main\" and w ~= \"C\" then\n\
                \x20     error(\"Script attempted to create global variable '\"..tostring(n)..\"'\", 2)\n\
                \x20   end\n\
                \x20 end\n\
                \x20 rawset(t, n, v)\n\
                end\n\
                mt.__index = function (t, n)\n\
                \x20 if dbg.getinfo(2) and dbg.getinfo(2, \"S\").what ~= \"C\" then\n\
                \x20   error(\"Script attempted to access nonexistent global variable '\"..tostring(n)..\"'\", 2)\n\
                \x20 end\n\
                \x20 return rawget(t, n)\n\
                end\n\
                debug = nil\n";
    lua.load(code).set_name("@enable_strict_lua").exec()
}

/// Creates the Lua interpreter with the libraries and the `redis` table,
/// and (with `setup`, at start-up) the fake Lua client. Also called by
/// `scripting_reset` (SCRIPT FLUSH).
///
/// C: scripting.c scriptingInit()
pub(crate) fn scripting_init(server: &mut RedisServer, setup: bool) {
    if setup {
        server.lua_client = None;
        server.lua_caller = None;
    }
    match scripting_init_lua() {
        Ok(ls) => server.lua = Some(ls),
        Err(e) => {
            server_panic!(server, "Failed to initialize Lua: {}", e);
        }
    }
    // Initialize a dictionary we use to map SHAs to scripts.
    server.lua_scripts.clear();
    server.lua_scripts_mem = 0;

    // Create the (non connected) client that we use to execute Redis
    // commands inside the Lua interpreter. It is created once.
    if server.lua_client.is_none() {
        let id = ClientId(server.next_client_id);
        server.next_client_id += 1;
        let mut c = new_client_struct(id, -1, None, server.unixtime);
        c.flags |= CLIENT_LUA;
        // C: createClient() authenticates a client when no password is set;
        // the Lua client must run commands either way.
        c.authenticated = true;
        server.lua_client = Some(Box::new(c));
    }
}

/// The Lua part of `scripting_init`. (no C twin)
fn scripting_init_lua() -> mlua::Result<LuaState> {
    // C: luaLoadLibraries(): base (mlua opens it with the state), table,
    // string, math and debug, then cjson, struct, cmsgpack and bit.
    // SAFETY: mlua calls the debug library unsafe because Lua code holding
    // it (debug.getregistry, setmetatable, setupvalue, sethook) can break
    // the invariants mlua's Rust side relies on. Scripts never hold it:
    // before any script runs, scripting_enable_globals_protection() (last
    // step below) sets the global `debug` to nil, and the library stays
    // reachable only as the upvalue `dbg` of the globals-protection and
    // error-handler chunks, which call dbg.getinfo and nothing else (Lua
    // code cannot read another function's upvalues without the library;
    // the package library, whose `loaded` table also holds it, is not
    // opened). Otherwise this constructor differs from the safe one only
    // in allowing C modules, which need the package library too.
    let lua = unsafe {
        Lua::unsafe_new_with(
            StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG,
            LuaOptions::default(),
        )
    };
    lua_cjson::luaopen_cjson(&lua)?;
    lua_struct::luaopen_struct(&lua)?;
    lua_cmsgpack::luaopen_cmsgpack(&lua)?;
    lua_bit::luaopen_bit(&lua)?;
    lua_remove_unsupported_functions(&lua)?;

    // Register the redis commands table and fields. redis.call, pcall,
    // log, replicate_commands and set_repl reach the server: they are set
    // by eval_generic_command for the length of each script.
    let redis = lua.create_table()?;
    // SAFETY: pushes two C closures, each with lua_redis_push_reply as
    // upvalue 1, as lua_redis_call_command and lua_redis_pcall_command
    // require; lua_pushcclosure raises only out of memory, under mlua's
    // protected call.
    let (call, pcall): (Function, Function) = unsafe {
        lua.exec_raw((), |state| {
            ffi::lua_pushcfunction(state, lua_redis_push_reply);
            ffi::lua_pushcclosure(state, lua_redis_call_command, 1);
            ffi::lua_pushcfunction(state, lua_redis_push_reply);
            ffi::lua_pushcclosure(state, lua_redis_pcall_command, 1);
        })?
    };
    redis.set("call", call)?;
    redis.set("pcall", pcall)?;
    // The redis.* functions that reach the server do so through
    // SCRIPT_CONTEXT (see the file doc); outside a script they do nothing.
    redis.set(
        "log",
        lua.create_function(|lua, args| {
            with_script(|server, _| lua_log_command(server, lua, args))
                .unwrap_or(Ok(()))
        })?,
    )?;
    redis.set(
        "replicate_commands",
        lua.create_function(|_, ()| {
            Ok(with_script(|server, _| {
                lua_redis_replicate_commands_command(server)
            })
            .unwrap_or(false))
        })?,
    )?;
    redis.set(
        "set_repl",
        lua.create_function(|lua, args| {
            with_script(|server, _| {
                lua_redis_set_repl_command(server, lua, args)
            })
            .unwrap_or(Ok(()))
        })?,
    )?;

    // redis.log levels.
    redis.set("LOG_DEBUG", LL_DEBUG)?;
    redis.set("LOG_VERBOSE", LL_VERBOSE)?;
    redis.set("LOG_NOTICE", LL_NOTICE)?;
    redis.set("LOG_WARNING", LL_WARNING)?;

    redis.set("sha1hex", lua.create_function(lua_redis_sha1hex_command)?)?;
    redis.set(
        "error_reply",
        lua.create_function(lua_redis_error_reply_command)?,
    )?;
    redis.set(
        "status_reply",
        lua.create_function(lua_redis_status_reply_command)?,
    )?;

    // redis.set_repl flags.
    redis.set("REPL_NONE", PROPAGATE_NONE)?;
    redis.set("REPL_AOF", PROPAGATE_AOF)?;
    redis.set("REPL_SLAVE", PROPAGATE_REPL)?;
    redis.set("REPL_REPLICA", PROPAGATE_REPL)?;
    redis.set("REPL_ALL", PROPAGATE_AOF | PROPAGATE_REPL)?;

    // SAFETY: a Lua C function that pushes one boolean and raises no
    // error.
    let breakpoint =
        unsafe { lua.create_c_function(ldb::lua_redis_breakpoint_command)? };
    redis.set("breakpoint", breakpoint)?;
    // SAFETY: a Lua C function that reads its arguments within the stack
    // Lua gives it (lua_next needs two more slots, below LUA_MINSTACK)
    // and raises no error.
    let debug = unsafe { lua.create_c_function(ldb::lua_redis_debug_command)? };
    redis.set("debug", debug)?;

    // Finally set the table as 'redis' global var.
    lua.globals().set("redis", redis.clone())?;

    // Replace math.random and math.randomseed with our implementations.
    let math: Table = lua.globals().get("math")?;
    math.set("random", lua.create_function(redis_math_random)?)?;
    math.set("randomseed", lua.create_function(redis_math_randomseed)?)?;

    // Add a helper function that we use to sort the multi bulk output of
    // non deterministic commands, when containing 'false' elements.
    lua.load(
        "function __redis__compare_helper(a,b)\n\
         \x20 if a == false then a = '' end\n\
         \x20 if b == false then b = '' end\n\
         \x20 return a<b\n\
         end\n",
    )
    .set_name("@cmp_func_def")
    .exec()?;

    // An error raised by a Rust function is mlua's error value, not C's
    // string: `conv` turns it back into the string (see the file doc).
    let conv = lua.create_function(|lua, e: Value| match e {
        Value::Error(e) => {
            Ok(Value::String(lua.create_string(lua_error_message(&e))?))
        }
        other => Ok(other),
    })?;
    // The debugger's `<error>` lines use it too (see ldb::lua_tostring_bytes).
    lua.set_named_registry_value("__redis__conv", conv.clone())?;

    // Add a helper function we use for pcall error reporting. When the
    // error is in a C function, it reports the caller, which is what makes
    // sense to the user debugging a script.
    // Divergence from C: the `err = conv(err)` at the end of line 2; the
    // other lines are C's, so that the errors an error in the handler
    // gives ("@err_handler_def:8: ...", for `error({})`) are C's too.
    lua.load(
        "local dbg = debug local conv = ...\n\
         function __redis__err__handler(err) err = conv(err)\n\
         \x20 local i = dbg.getinfo(2,'nSl')\n\
         \x20 if i and i.what == 'C' then\n\
         \x20   i = dbg.getinfo(3,'nSl')\n\
         \x20 end\n\
         \x20 if i then\n\
         \x20   return i.source .. ':' .. i.currentline .. ': ' .. err\n\
         \x20 else\n\
         \x20   return err\n\
         \x20 end\n\
         end\n",
    )
    .set_name("@err_handler_def")
    .call::<()>(conv.clone())?;

    // Divergence from C: Lua's pcall and xpcall are wrapped so that an
    // error raised by a Rust function reaches the script as the string
    // C's lua_error() would have raised (see the file doc).
    lua.load(
        "local pcall, xpcall, conv = pcall, xpcall, ...\n\
         local function fix(ok, ...)\n\
         \x20 if ok then return ok, ... end\n\
         \x20 return ok, conv((...))\n\
         end\n\
         _G.pcall = function(...) return fix(pcall(...)) end\n\
         _G.xpcall = function(f, h)\n\
         \x20 return xpcall(f, function(e) return h(conv(e)) end)\n\
         end\n",
    )
    .set_name("@pcall_def")
    .call::<()>(conv)?;

    // Lua beginners often don't use "local", this is likely to introduce
    // subtle bugs in their code. To prevent problems we protect accesses
    // to global variables.
    scripting_enable_globals_protection(&lua)?;

    // The count hook (see eval_script_prologue).
    lua.set_hook(
        mlua::HookTriggers::new().every_nth_instruction(100_000),
        lua_busy_hook_trampoline,
    );

    let mut state = std::ptr::null_mut();
    let mut eval_entry = 0;
    // SAFETY: eval_run_raw, with the error handler as upvalue 1, is only
    // called by eval_call_entry, with the arguments it documents. The
    // closure is kept in the registry for the life of the state; the
    // state pointer is mlua's main state, which lives as long as `lua`
    // (the LuaState holds both). Pushes raise only out of memory, under
    // mlua's protected call.
    unsafe {
        lua.exec_raw::<()>((), |l| {
            state = l;
            ffi::lua_pushstring(l, c"__redis__err__handler".as_ptr());
            ffi::lua_rawget(l, ffi::LUA_GLOBALSINDEX);
            ffi::lua_pushcclosure(l, eval_run_raw, 1);
            eval_entry = ffi::luaL_ref(l, ffi::LUA_REGISTRYINDEX);
        })?
    };

    Ok(LuaState { lua, state, eval_entry, gc_count: 0 })
}

/// Releases the interpreter and the scripts.
///
/// C: scripting.c scriptingRelease()
pub(crate) fn scripting_release(server: &mut RedisServer) {
    server.lua_scripts.clear();
    server.lua_scripts_mem = 0;
    server.lua = None;
}

/// C: scripting.c scriptingReset()
pub(crate) fn scripting_reset(server: &mut RedisServer) {
    scripting_release(server);
    scripting_init(server, false);
}

/// Sets an array of strings as a Lua array stored into a global variable
/// (KEYS and ARGV).
///
/// C: scripting.c luaSetGlobalArray()
///
/// SAFETY: `state` is a valid Lua state with room for three more values.
unsafe fn lua_set_global_array(
    state: *mut mlua::ffi::lua_State,
    var: &std::ffi::CStr,
    elev: &[Vec<u8>],
) {
    use mlua::ffi;
    ffi::lua_pushstring(state, var.as_ptr());
    ffi::lua_createtable(state, elev.len().min(i32::MAX as usize) as i32, 0);
    for (j, e) in elev.iter().enumerate() {
        ffi::lua_pushlstring(state, e.as_ptr().cast(), e.len());
        ffi::lua_rawseti(state, -2, (j + 1) as i64);
    }
    // Divergence from C: a raw set, which is what the globals protection's
    // __newindex does for a set from C.
    ffi::lua_rawset(state, ffi::LUA_GLOBALSINDEX);
}

// ----------------------------------------------------------------------------
// Redis provided math.random
// ----------------------------------------------------------------------------

// We replace math.random() with our implementation that is not affected by
// specific libc random() implementations and will output the same sequence
// (for the same seed) in every arch.

/// `math.random([m [, n]])` as Lua 5.1's own, with rand() replaced by
/// `redis_lrand48`: a number in [0,1), or an integer in [1,m] or [m,n].
///
/// C: scripting.c redis_math_random()
fn redis_math_random(lua: &Lua, args: MultiValue) -> mlua::Result<f64> {
    // The `%' avoids the (rare) case of r==1.
    let r = (crate::rand::redis_lrand48() % crate::rand::REDIS_LRAND48_MAX)
        as f64
        / crate::rand::REDIS_LRAND48_MAX as f64;
    match args.len() {
        // No arguments: a number between 0 and 1.
        0 => Ok(r),
        // Only upper limit: an integer between 1 and `u'.
        1 => {
            let u = lual_checkint(lua, &args, 1)?;
            if 1 > u {
                return Err(lual_argerror(lua, 1, b"interval is empty"));
            }
            Ok((r * u as f64).floor() + 1.0)
        }
        // Lower and upper limits: an integer between `l' and `u'.
        2 => {
            let l = lual_checkint(lua, &args, 1)?;
            let u = lual_checkint(lua, &args, 2)?;
            if l > u {
                return Err(lual_argerror(lua, 2, b"interval is empty"));
            }
            // C computes u-l+1 in int, which wraps for the widest range.
            let span = u.wrapping_sub(l).wrapping_add(1);
            Ok((r * span as f64).floor() + l as f64)
        }
        _ => Err(lual_error(lua, b"wrong number of arguments")),
    }
}

/// `math.randomseed(n)`: seeds `redis_lrand48`.
///
/// C: scripting.c redis_math_randomseed()
fn redis_math_randomseed(lua: &Lua, args: MultiValue) -> mlua::Result<()> {
    crate::rand::redis_srand48(lual_checkint(lua, &args, 1)?);
    Ok(())
}

/// Lua 5.1's `luaL_checkint` for the Rust function running: argument
/// `narg` (from 1) as a C `int`, or the "bad argument" error.
/// (no C twin: lauxlib.c luaL_checkint())
fn lual_checkint(
    lua: &Lua,
    args: &MultiValue,
    narg: usize,
) -> mlua::Result<i32> {
    let v = args.get(narg - 1);
    match v.and_then(|v| lua_tonumber(lua, v)) {
        // lua_tointeger() casts to ptrdiff_t as x86-64 does, then C casts
        // that to int (the low 32 bits).
        Some(n) => Ok(c_double_to_long_long(n) as i32),
        None => {
            let tname = v.map_or("no value", lua_typename);
            let msg = format!("number expected, got {tname}");
            Err(lual_argerror(lua, narg, msg.as_bytes()))
        }
    }
}

/// The name Lua gives the type of a value (C's lua_typename()).
/// (no C twin)
fn lua_typename(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Boolean(_) => "boolean",
        Value::Integer(_) | Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Table(_) => "table",
        Value::Function(_) => "function",
        Value::Thread(_) => "thread",
        _ => "userdata",
    }
}

/// The error for a bad argument `narg` of the Rust function running:
/// "bad argument #n to 'name' (extramsg)", where the name is how the
/// caller called it, prefixed as `lual_error` does.
/// (no C twin: lauxlib.c luaL_argerror())
fn lual_argerror(lua: &Lua, mut narg: usize, extramsg: &[u8]) -> mlua::Error {
    let Some(ar) = lua.inspect_stack(0) else {
        let mut m = format!("bad argument #{narg} (").into_bytes();
        m.extend_from_slice(extramsg);
        m.push(b')');
        return lual_error(lua, &m);
    };
    let names = ar.names();
    let name = names.name.as_deref().unwrap_or("?").to_string();
    if names.name_what == Some("method") {
        narg -= 1; // do not count `self'
        if narg == 0 {
            // error is in the self argument itself
            let mut m = format!("calling '{name}' on bad self (").into_bytes();
            m.extend_from_slice(extramsg);
            m.push(b')');
            return lual_error(lua, &m);
        }
    }
    let mut m = format!("bad argument #{narg} to '{name}' (").into_bytes();
    m.extend_from_slice(extramsg);
    m.push(b')');
    lual_error(lua, &m)
}

/// The error `msg` raised by the Rust function running, prefixed with the
/// "chunk:line: " of the Lua code that called it.
/// (no C twin: lauxlib.c luaL_error() with luaL_where(L, 1))
fn lual_error(lua: &Lua, msg: &[u8]) -> mlua::Error {
    let mut m = Vec::new();
    if let Some(ar) = lua.inspect_stack(1) {
        let line = ar.curr_line();
        if line > 0 {
            let short_src = ar.source().short_src.unwrap_or_default();
            m = format!("{short_src}:{line}: ").into_bytes();
        }
    }
    m.extend_from_slice(msg);
    lua_raise(&m)
}

// ----------------------------------------------------------------------------
// EVAL and SCRIPT commands implementation.
// ----------------------------------------------------------------------------

/// The message of a Lua error as `lua_tostring` shows it. (no C twin)
fn lua_error_message(e: &mlua::Error) -> Vec<u8> {
    match e {
        mlua::Error::SyntaxError { message, .. } => {
            message.clone().into_bytes()
        }
        mlua::Error::RuntimeError(m) => m.clone().into_bytes(),
        mlua::Error::CallbackError { cause, .. } => lua_error_message(cause),
        mlua::Error::ExternalError(e) => match e.downcast_ref::<LuaRaise>() {
            Some(LuaRaise(m)) => m.clone(),
            None => e.to_string().into_bytes(),
        },
        other => other.to_string().into_bytes(),
    }
}

/// Defines the Lua function `f_<sha1 of body>` running `body`, unless it
/// exists, and remembers the body by its SHA1 (for SCRIPT EXISTS and for
/// propagating EVALSHA as EVAL). Returns the SHA1, or `None` after
/// replying the compile error to `c` (if given).
///
/// C: scripting.c luaCreateFunction()
pub(crate) fn lua_create_function(
    server: &mut RedisServer,
    c: Option<&mut Client>,
    body: &[u8],
) -> Option<[u8; 40]> {
    let sha = sha1hex(body);
    if server.lua_scripts.contains_key(&sha[..]) {
        return Some(sha);
    }
    let lua = server.lua.as_ref()?.lua.clone();

    let mut funcdef = b"function f_".to_vec();
    funcdef.extend_from_slice(&sha);
    funcdef.extend_from_slice(b"() ");
    funcdef.extend_from_slice(body);
    funcdef.extend_from_slice(b"\nend");

    let func =
        match lua.load(&funcdef[..]).set_name("@user_script").into_function() {
            Ok(f) => f,
            Err(e) => {
                if let Some(c) = c {
                    add_reply_error_format_bytes(
                        c,
                        &[
                            b"Error compiling script (new function): ",
                            c_str(&lua_error_message(&e)),
                            b"\n",
                        ],
                    );
                }
                return None;
            }
        };
    if let Err(e) = func.call::<()>(()) {
        if let Some(c) = c {
            add_reply_error_format_bytes(
                c,
                &[
                    b"Error running script (new function): ",
                    c_str(&lua_error_message(&e)),
                    b"\n",
                ],
            );
        }
        return None;
    }

    // We also save a SHA1 -> Original script map so that we can replicate
    // / write in the AOF all the EVALSHA commands as EVAL.
    server.lua_scripts_mem += 40 + body.len();
    server.lua_scripts.insert(sha.to_vec(), body.to_vec());
    Some(sha)
}

/// Whether `lua_create_function` would create the function of `body`
/// (or has it already), without creating it: the RDB check of a file
/// from our master (see `rdb::rdb_check_rio`) reports a script the load
/// would fail on before anything is flushed. (no C twin)
pub(crate) fn lua_function_compiles(server: &RedisServer, body: &[u8]) -> bool {
    let sha = sha1hex(body);
    if server.lua_scripts.contains_key(&sha[..]) {
        return true;
    }
    let Some(ls) = server.lua.as_ref() else { return false };
    let mut funcdef = b"function f_".to_vec();
    funcdef.extend_from_slice(&sha);
    funcdef.extend_from_slice(b"() ");
    funcdef.extend_from_slice(body);
    funcdef.extend_from_slice(b"\nend");
    ls.lua.load(&funcdef[..]).set_name("@user_script").into_function().is_ok()
}

/// The count hook as mlua sets it, on the running script's server.
/// (no C twin: C's hook reads the globals itself)
fn lua_busy_hook_trampoline(
    _lua: &Lua,
    _ar: mlua::Debug,
) -> mlua::Result<mlua::VmState> {
    let hooked =
        SCRIPT_CONTEXT.with(|cell| cell.get().is_some_and(|c| c.hooked));
    if hooked {
        with_script(lua_mask_count_hook).unwrap_or(Ok(()))?;
    }
    Ok(mlua::VmState::Continue)
}

/// This is the Lua script "count" hook that we use to detect scripts
/// timeout. `caller` is the client running the script (C's
/// `server.lua_caller`).
///
/// C: scripting.c luaMaskCountHook()
fn lua_mask_count_hook(
    server: &mut RedisServer,
    caller: &mut Client,
) -> mlua::Result<()> {
    let elapsed = mstime() - server.lua_time_start;

    // Set the timeout condition if not already set and the maximum
    // execution time was reached.
    if elapsed >= server.lua_time_limit && !server.lua_timedout {
        server_log!(
            server,
            LL_WARNING,
            "Lua slow script detected: still in execution after {} milliseconds. You can try killing the script using the SCRIPT KILL command.",
            elapsed
        );
        server.lua_timedout = true;
        // Once the script timeouts we reenter the event loop to permit
        // others to call SCRIPT KILL or SHUTDOWN NOSAVE if needed. For this
        // reason we need to mask the client executing the script from the
        // event loop. If we don't do that the client may disconnect and
        // could no longer be here when the EVAL command will return.
        protect_client(server, caller);
    }
    if server.lua_timedout {
        process_events_while_blocked(server);
    }
    if server.lua_kill {
        server_log!(
            server,
            LL_WARNING,
            "Lua script killed by user with SCRIPT KILL."
        );
        return Err(lua_raise(b"Script killed by user with SCRIPT KILL..."));
    }
    Ok(())
}

/// What `eval_run_raw` works on, handed to it as a light userdata: the
/// server and the client running EVAL, the function's name and the number
/// of keys; it says whether the function was missing. (no C twin)
struct EvalRun {
    server: *mut RedisServer,
    caller: *mut Client,
    funcname: *const [u8],
    numkeys: usize,
    missing: bool,
}

/// The part of evalGenericCommand() that works on the Lua stack: look the
/// function up, KEYS and ARGV, lua_pcall(lua,0,1,-2) under the error
/// handler, and the reply of a script that returned. Called as a Lua C
/// closure with the handler as upvalue and `run` as only argument;
/// returns nothing, or the error value of a script that failed, or sets
/// `run.missing`. (no C twin)
// Divergence from C: C does this on its global Lua state inline; here it
// is a Lua C function made once (LuaState::eval_entry), so that entering
// it allocates nothing (mlua's exec_raw allocated two closures per call).
//
// SAFETY: called only through `LuaState::eval_entry` by
// eval_call_entry, with a live EvalRun whose pointers are the only
// way to their targets until the call returns. It uses the Lua C API on
// its own stack within the room lua_checkstack() grants; a Lua error
// outside lua_pcall (out of memory) unwinds to mlua's protected call
// through frames that own nothing. No reference made from `run.caller`
// lives across lua_pcall, during which the hook and redis.call make their
// own from SCRIPT_CONTEXT.
unsafe extern "C-unwind" fn eval_run_raw(
    state: *mut mlua::ffi::lua_State,
) -> i32 {
    use mlua::ffi;
    let run = &mut *(ffi::lua_touserdata(state, 1) as *mut EvalRun);
    ffi::lua_settop(state, 0);
    ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1)); // [handler]
    let funcname = &*run.funcname;

    // Try to lookup the Lua function
    ffi::lua_pushlstring(state, funcname.as_ptr().cast(), funcname.len());
    ffi::lua_rawget(state, ffi::LUA_GLOBALSINDEX);
    if ffi::lua_type(state, -1) != ffi::LUA_TFUNCTION {
        run.missing = true;
        ffi::lua_settop(state, 0);
        return 0;
    }
    let hooked = {
        let c = &mut *run.caller;
        // Populate the argv and keys table accordingly to the arguments
        // that EVAL received.
        lua_set_global_array(state, c"KEYS", &c.argv[3..3 + run.numkeys]);
        lua_set_global_array(state, c"ARGV", &c.argv[3 + run.numkeys..]);
        eval_script_prologue(&mut *run.server, c)
    };
    // If we are debugging, we set instead a "line" hook so that the
    // debugger is call-back at every line executed by the script.
    // Divergence from C: the count hook stays set and is put back after
    // the script (see eval_script_prologue).
    let ldb_active = ldb::ldb_active();
    let hooked = hooked && !ldb_active;
    let saved_hook = ffi::lua_gethook(state);
    let saved_mask = ffi::lua_gethookmask(state);
    let saved_count = ffi::lua_gethookcount(state);
    if ldb_active {
        ffi::lua_sethook(
            state,
            Some(ldb::lua_ldb_line_hook),
            ffi::LUA_MASKLINE | ffi::LUA_MASKCOUNT,
            100000,
        );
    }

    // At this point whether this script was never seen before or if it was
    // already defined, we can call it.
    SCRIPT_CONTEXT.with(|cell| {
        cell.set(Some(ScriptContext {
            server: run.server,
            caller: run.caller,
            hooked,
        }))
    });
    let err = ffi::lua_pcall(state, 0, 1, 1);
    SCRIPT_CONTEXT.with(|cell| cell.set(None));
    if ldb_active {
        ffi::lua_sethook(state, saved_hook, saved_mask, saved_count);
    }
    if err == 0 {
        lua_reply_to_redis_reply(&mut *run.caller, state);
        ffi::lua_settop(state, 0);
        0
    } else {
        ffi::lua_remove(state, 1); // the error handler
        1
    }
}

/// Calls eval_run_raw (`eval_entry`) under lua_pcall on `run`. Gives the
/// error message of a script that failed (C's `lua_tostring(lua,-1)` of
/// the error), or None. (no C twin)
///
/// SAFETY: `state` is the main state of the live interpreter, no Lua call
/// runs on it, `eval_entry` the registry reference of eval_run_raw made by
/// scripting_init_lua, and `run` as eval_run_raw documents. Nothing here
/// raises a Lua error: lua_rawgeti of an existing integer key, light
/// userdata and lua_pcall allocate nothing outside the protected call
/// (the main state's stack has LUA_MINSTACK free slots between calls),
/// and the error becomes bytes without lua_tolstring converting a number.
unsafe fn eval_call_entry(
    state: *mut ffi::lua_State,
    eval_entry: std::ffi::c_int,
    run: &mut EvalRun,
) -> Option<Vec<u8>> {
    let top = ffi::lua_gettop(state);
    ffi::lua_rawgeti(state, ffi::LUA_REGISTRYINDEX, eval_entry as _);
    ffi::lua_pushlightuserdata(state, (run as *mut EvalRun).cast());
    // The error value (of the script, or of the call itself) is left on
    // top; a script that returned leaves nothing.
    ffi::lua_pcall(state, 1, ffi::LUA_MULTRET, 0);
    let msg = if ffi::lua_gettop(state) > top {
        Some(lua_error_bytes(state))
    } else {
        None
    };
    ffi::lua_settop(state, top);
    msg
}

/// The bytes of the error value on top of the stack as C's
/// `lua_tostring()` gives them, "(null)" for what is not a string nor a
/// number. An error raised by a Rust function (mlua's error value) is
/// turned into its message by `__redis__conv` first. (no C twin)
///
/// SAFETY: `state` is a valid Lua state with the value on top and two
/// free slots (the pcall of a conversion raises nothing out of it).
unsafe fn lua_error_bytes(state: *mut ffi::lua_State) -> Vec<u8> {
    match ffi::lua_type(state, -1) {
        ffi::LUA_TSTRING => lua_to_bytes(state, -1).to_vec(),
        // lua_tostring() of a number: LUA_NUMBER_FMT.
        ffi::LUA_TNUMBER => {
            crate::object::fmt_g(ffi::lua_tonumber(state, -1), 14).into_bytes()
        }
        ffi::LUA_TUSERDATA => {
            ffi::lua_getfield(
                state,
                ffi::LUA_REGISTRYINDEX,
                c"__redis__conv".as_ptr(),
            );
            ffi::lua_pushvalue(state, -2);
            let msg = if ffi::lua_pcall(state, 1, 1, 0) == 0
                && ffi::lua_type(state, -1) == ffi::LUA_TSTRING
            {
                lua_to_bytes(state, -1).to_vec()
            } else {
                b"(null)".to_vec()
            };
            ffi::lua_pop(state, 1);
            msg
        }
        _ => b"(null)".to_vec(),
    }
}

/// The part of evalGenericCommand() between defining the function and
/// calling it that is about the server: the Lua client's db, and the
/// state the count hook reads. Returns whether the hook is on for this
/// script. (no C twin)
fn eval_script_prologue(server: &mut RedisServer, c: &mut Client) -> bool {
    // Select the right DB in the context of the Lua client
    if let Some(lc) = server.lua_client.as_mut() {
        lc.db = c.db;
    }

    // Divergence from C: math.random is Lua's own, not reseeded per script.

    // Set a hook in order to be able to stop the script execution if it is
    // running for too much time. We set the hook only if the time limit is
    // enabled as the hook will make the Lua script execution slower.
    // Divergence from C: the hook is set once for all (scriptingInit) and
    // does nothing unless this says so: setting and removing it per
    // script cost an allocation each.
    server.lua_caller = Some(c.id);
    server.lua_time_start = mstime();
    server.lua_kill = false;
    server.lua_time_limit > 0
}

/// EVAL and EVALSHA: runs the script (defining it first for EVAL) with
/// KEYS and ARGV set, and replies its return value. With effects
/// replication (5.0's default, `lua-replicate-commands yes`) the script's
/// write commands were propagated by `call()`, wrapped in MULTI/EXEC, and
/// EVAL itself is not. Otherwise the command itself is, an EVALSHA as EVAL
/// (or SCRIPT LOAD, if it wrote nothing) until the replicas are known to
/// have the script (the replication script cache, replication.c).
///
/// C: scripting.c evalGenericCommand()
pub(crate) fn eval_generic_command(
    server: &mut RedisServer,
    c: &mut Client,
    evalsha: bool,
) {
    let initial_server_dirty = server.dirty;

    // When we replicate whole scripts, we want the same PRNG sequence at
    // every call so that our PRNG is not affected by external state.
    crate::rand::redis_srand48(0);

    // We set this flag to zero to remember that so far no random command
    // was called. This way we can allow the user to call commands like
    // SRANDMEMBER or RANDOMKEY from Lua scripts as far as no write command
    // is called.
    server.lua_random_dirty = false;
    server.lua_write_dirty = false;
    server.lua_replicate_commands = server.lua_always_replicate_commands;
    server.lua_multi_emitted = false;
    server.lua_repl = PROPAGATE_AOF | PROPAGATE_REPL;

    // Get the number of arguments that are keys
    let Some(numkeys) = crate::object::string2ll(&c.argv[2]).or_else(|| {
        // (Not a number: the call below replies the error.)
        let argv2 = c.argv[2].clone();
        crate::object::get_long_long_from_object_or_reply(c, &argv2, None)
    }) else {
        return;
    };
    if numkeys > c.argv.len() as i64 - 3 {
        add_reply_error(
            c,
            "Number of keys can't be greater than number of args",
        );
        return;
    } else if numkeys < 0 {
        add_reply_error(c, "Number of keys can't be negative");
        return;
    }

    // We obtain the script SHA1, then check if this function is already
    // defined into the Lua state
    let mut funcname = [0u8; 42];
    funcname[..2].copy_from_slice(b"f_");
    let mut len = funcname.len();
    if !evalsha {
        // Hash the code if this is an EVAL call
        funcname[2..].copy_from_slice(&sha1hex(&c.argv[1]));
    } else {
        // We already have the SHA if it is a EVALSHA
        for (d, s) in funcname[2..].iter_mut().zip(&c.argv[1]) {
            *d = s.to_ascii_lowercase();
        }
        // (evalShaCommand() lets only 40-byte SHAs in.)
        len = 2 + c.argv[1].len().min(40);
    }
    let funcname = &funcname[..len];

    let Some((state, eval_entry)) =
        server.lua.as_ref().map(|l| (l.state, l.eval_entry))
    else {
        add_reply(c, shared::NOSCRIPTERR);
        return;
    };

    // Divergence from C: what C does on the Lua stack (look the function
    // up, KEYS and ARGV, lua_pcall(lua,0,1,-2), the reply of a script that
    // returned) is eval_run_raw, one protected call; an error comes back
    // for the reply below. A function not defined yet is defined in
    // between two calls.
    let numkeys = numkeys as usize;
    let mut defined = false;
    let result = loop {
        // SAFETY (of what eval_run_raw does with these): `server` and `c`
        // are not used until the call returns; eval_run_raw reaches them
        // only through `run`.
        let mut run =
            EvalRun { server, caller: c, funcname, numkeys, missing: false };
        // SAFETY: `state` and `eval_entry` are those of the live
        // server.lua, and `run` is what eval_run_raw expects.
        let r = unsafe { eval_call_entry(state, eval_entry, &mut run) };
        let missing = run.missing;
        if !missing {
            break r;
        }
        // Function not defined... let's define it if we have the body of
        // the function. If this is an EVALSHA call we can just return an
        // error.
        if evalsha || defined {
            add_reply(c, shared::NOSCRIPTERR);
            return;
        }
        let body = c.argv[1].clone();
        if lua_create_function(server, Some(c), &body).is_none() {
            // The error is sent to the client by luaCreateFunction() itself
            // when it returns NULL.
            return;
        }
        defined = true;
    };

    // Perform some cleanup that we need to do both on error and success.
    if server.lua_timedout {
        server.lua_timedout = false;
        // Restore the client that was protected when the script timeout
        // was detected.
        unprotect_client(server, c);
        queue_pending_write(server, c);
        if server.masterhost.is_some() {
            if let Some(master) = server.master {
                if master == c.id {
                    crate::blocked::queue_client_for_reprocessing(server, c);
                } else {
                    with_client(server, master, |server, m| {
                        crate::blocked::queue_client_for_reprocessing(server, m)
                    });
                }
            }
        }
    }
    server.lua_caller = None;

    // Call the Lua garbage collector from time to time to avoid a full
    // cycle performed by Lua, which adds too latency: every
    // LUA_GC_CYCLE_PERIOD scripts, for as many collection steps.
    if let Some(ls) = server.lua.as_mut() {
        ls.gc_count += 1;
        if ls.gc_count == LUA_GC_CYCLE_PERIOD {
            let _ = ls.lua.gc_step_kbytes(LUA_GC_CYCLE_PERIOD as i32);
            ls.gc_count = 0;
        }
    }

    // The reply is in `c` already, unless the script failed.
    if let Some(msg) = result {
        add_reply_error_format_bytes(
            c,
            &[
                b"Error running script (call to ",
                funcname,
                b"): ",
                c_str(&msg),
                b"\n",
            ],
        );
    }

    // If we are using single commands replication, emit EXEC if there was
    // at least a write.
    if server.lua_replicate_commands {
        prevent_command_propagation(c);
        if server.lua_multi_emitted {
            also_propagate(
                server,
                server.exec_command,
                c.db,
                vec![b"EXEC".to_vec()],
                PROPAGATE_AOF | PROPAGATE_REPL,
            );
        }
    }

    // EVALSHA should be propagated to Slave and AOF file as full EVAL,
    // unless we are sure that the script was already in the context of all
    // the attached slaves *and* the current AOF file if enabled.
    //
    // To do so we use a cache of SHA1s of scripts that we already
    // propagated as full EVAL, that's called the Replication Script Cache.
    //
    // For repliation, everytime a new slave attaches to the master, we need
    // to flush our cache of scripts that can be replicated as EVALSHA,
    // while for AOF we need to do so every time we rewrite the AOF file.
    #[allow(clippy::collapsible_if)] // C's shape
    if evalsha && !server.lua_replicate_commands {
        if !crate::replication::replication_script_cache_exists(
            server, &c.argv[1],
        ) {
            // This script is not in our script cache, replicate it as EVAL,
            // then add it into the script cache, as from now on slaves and
            // AOF know about it.
            let script = server
                .lua_scripts
                .get(&c.argv[1].to_ascii_lowercase())
                .cloned();

            let sha = c.argv[1].clone();
            crate::replication::replication_script_cache_add(server, &sha);
            let Some(script) = script else {
                crate::debug::_server_assert_with_info(
                    server,
                    Some(c),
                    None,
                    "script != NULL",
                    file!(),
                    line!(),
                );
            };

            // If the script did not produce any changes in the dataset we
            // want just to replicate it as SCRIPT LOAD, otherwise we risk
            // running an aborted script on slaves (that may then produce
            // results there) or just running a CPU costly read-only script
            // on the slaves.
            if server.dirty == initial_server_dirty {
                c.argv = vec![b"SCRIPT".to_vec(), b"LOAD".to_vec(), script];
                c.cmd = lookup_command(server, b"script");
            } else {
                c.argv[0] = b"EVAL".to_vec();
                c.cmd = lookup_command(server, b"eval");
                c.argv[1] = script;
            }
            force_command_propagation(c, PROPAGATE_REPL | PROPAGATE_AOF);
        }
    }
}

/// C: scripting.c evalCommand()
pub(crate) fn eval_command(server: &mut RedisServer, c: &mut Client) {
    if c.flags & CLIENT_LUA_DEBUG == 0 {
        eval_generic_command(server, c, false);
    } else {
        ldb::eval_generic_command_with_debugging(server, c, false);
    }
}

/// C: scripting.c evalShaCommand()
pub(crate) fn eval_sha_command(server: &mut RedisServer, c: &mut Client) {
    if c.argv[1].len() != 40 {
        // We know that a match is not possible if the provided SHA is not
        // the right length.
        add_reply(c, shared::NOSCRIPTERR);
        return;
    }
    if c.flags & CLIENT_LUA_DEBUG == 0 {
        eval_generic_command(server, c, true);
    } else {
        add_reply_error(c, "Please use EVAL instead of EVALSHA for debugging");
    }
}

/// SCRIPT HELP / FLUSH / EXISTS / LOAD / KILL / DEBUG.
///
/// C: scripting.c scriptCommand()
pub(crate) fn script_command(server: &mut RedisServer, c: &mut Client) {
    let argc = c.argv.len();
    let sub = |s: &str| c.argv[1].eq_ignore_ascii_case(s.as_bytes());
    if argc == 2 && sub("help") {
        let help = [
"DEBUG (yes|sync|no) -- Set the debug mode for subsequent scripts executed.",
"EXISTS <sha1> [<sha1> ...] -- Return information about the existence of the scripts in the script cache.",
"FLUSH -- Flush the Lua scripts cache. Very dangerous on replicas.",
"KILL -- Kill the currently executing Lua script.",
"LOAD <script> -- Load a script into the scripts cache, without executing it.",
        ];
        let subcmd = String::from_utf8_lossy(&c.argv[0]).into_owned();
        add_reply_help(c, &subcmd, &help);
    } else if argc == 2 && sub("flush") {
        scripting_reset(server);
        add_reply(c, shared::OK);
        crate::replication::replication_script_cache_flush(server);
        server.dirty += 1; // Propagating this command is a good idea.
    } else if argc >= 2 && sub("exists") {
        add_reply_multi_bulk_len(c, argc as i64 - 2);
        for j in 2..argc {
            // C's dict of scripts compares SHAs case-insensitively.
            let sha = c.argv[j].to_ascii_lowercase();
            if server.lua_scripts.contains_key(&sha) {
                add_reply(c, shared::CONE);
            } else {
                add_reply(c, shared::CZERO);
            }
        }
    } else if argc == 3 && sub("load") {
        let body = c.argv[2].clone();
        let Some(sha) = lua_create_function(server, Some(c), &body) else {
            return; // The error was sent by luaCreateFunction().
        };
        add_reply_bulk_c_buffer(c, &sha);
        force_command_propagation(c, PROPAGATE_REPL | PROPAGATE_AOF);
    } else if argc == 2 && sub("kill") {
        if server.lua_caller.is_none() {
            add_reply(c, b"-NOTBUSY No scripts in execution right now.\r\n");
        } else if server.master.is_some() && server.master == server.lua_caller
        {
            // (C tests the caller's CLIENT_MASTER flag: the one client
            // that has it is server.master.)
            add_reply(c, b"-UNKILLABLE The busy script was sent by a master instance in the context of replication and cannot be killed.\r\n");
        } else if server.lua_write_dirty {
            add_reply(c, b"-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.\r\n");
        } else {
            server.lua_kill = true;
            add_reply(c, shared::OK);
        }
    } else if argc == 3 && sub("debug") {
        if client_has_pending_replies(c) {
            add_reply_error(
                c,
                "SCRIPT DEBUG must be called outside a pipeline",
            );
            return;
        }
        if c.argv[2].eq_ignore_ascii_case(b"no") {
            ldb::ldb_disable(c);
            add_reply(c, shared::OK);
        } else if c.argv[2].eq_ignore_ascii_case(b"yes") {
            ldb::ldb_enable(c);
            add_reply(c, shared::OK);
        } else if c.argv[2].eq_ignore_ascii_case(b"sync") {
            ldb::ldb_enable(c);
            add_reply(c, shared::OK);
            c.flags |= CLIENT_LUA_DEBUG_SYNC;
        } else {
            add_reply_error(c, "Use SCRIPT DEBUG yes/sync/no");
        }
    } else {
        add_reply_subcommand_syntax_error(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1hex_of_the_empty_string() {
        assert_eq!(&sha1hex(b""), b"da39a3ee5e6b4b0d3255bfef95601890afd80709");
    }

    /// `redis_protocol_to_lua_type` of `reply` under mlua's protected
    /// call: the value and the length of the rest.
    fn to_lua(lua: &Lua, reply: &[u8]) -> (Value, usize) {
        let mut rest = usize::MAX;
        // SAFETY: the conversion runs under exec_raw's protected call,
        // with the reply borrowed from this frame.
        let v = unsafe {
            lua.exec_raw::<Value>((), |state| {
                rest = redis_protocol_to_lua_type(state, reply).len();
            })
        };
        (v.expect("lua"), rest)
    }

    #[test]
    fn redis_protocol_to_lua_type_nested_multi_bulk() {
        let lua = Lua::new();
        let reply = b"*3\r\n:5\r\n$-1\r\n*2\r\n+OK\r\n-ERR x\r\nrest";
        let (v, rest) = to_lua(&lua, reply);
        assert_eq!(rest, 4);
        let Value::Table(t) = v else { panic!("not a table") };
        assert_eq!(t.raw_len(), 3);
        assert_eq!(t.get::<f64>(1).expect("int"), 5.0);
        assert!(!t.get::<bool>(2).expect("nil bulk"));
        let inner: Table = t.get(3).expect("inner");
        let ok: Table = inner.get(1).expect("status");
        assert_eq!(ok.get::<String>("ok").expect("ok"), "OK");
        let err: Table = inner.get(2).expect("error");
        assert_eq!(err.get::<String>("err").expect("err"), "ERR x");
    }

    #[test]
    fn redis_protocol_to_lua_type_truncated_reply_does_not_panic() {
        let lua = Lua::new();
        for r in [&b"$10\r\nab"[..], b"*5\r\n:1\r\n", b":", b"", b"?"] {
            let (_, rest) = to_lua(&lua, r);
            assert_eq!(rest, 0);
        }
    }
}
