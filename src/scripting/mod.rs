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
//! fills for the length of one script. A Rust function cannot raise a
//! plain string as C's `lua_error` does: mlua raises its own error value.
//! The error handler scripts run under (C's Lua chunk) turns it back into
//! C's string first, and so do wrappers of Lua's `pcall` and `xpcall`, so
//! a script that catches a `redis.call` error gets C's string too.

mod lauxlib;
mod ldb;
mod lua_bit;
mod lua_cjson;
mod lua_cmsgpack;
mod lua_struct;

use mlua::{Function, Lua, LuaOptions, MultiValue, StdLib, Table, Value};

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
    /// `__redis__err__handler`, the handler scripts run under.
    err_handler: Function,
    /// `eval_run_raw` as a Lua C function.
    eval_entry: Function,
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
// and the hook take them out while they run (`with_script`), which also
// is C's `inuse` guard against a recursive redis.call.
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

/// Takes a Redis reply in the Redis protocol and converts it into a Lua
/// value: the fake client's output is parsed back, which lets `redis.call`
/// run any command without an internal API. Errors become a table with a
/// single `err` field, status replies one with an `ok` field, a nil bulk or
/// nil multi bulk `false`. Returns the value and the rest of the input.
///
/// C: scripting.c redisProtocolToLuaType()
fn redis_protocol_to_lua_type<'a>(
    lua: &Lua,
    reply: &'a [u8],
) -> mlua::Result<(Value, &'a [u8])> {
    // Divergence from C: C trusts its own reply and does no checks; a
    // short or odd reply here becomes nil instead of a read past the end.
    match reply.first() {
        Some(b':') => redis_protocol_to_lua_type_int(reply),
        Some(b'$') => redis_protocol_to_lua_type_bulk(lua, reply),
        Some(b'+') => redis_protocol_to_lua_type_status(lua, reply),
        Some(b'-') => redis_protocol_to_lua_type_error(lua, reply),
        Some(b'*') => redis_protocol_to_lua_type_multi_bulk(lua, reply),
        _ => Ok((Value::Nil, &[])),
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
fn redis_protocol_to_lua_type_int(
    reply: &[u8],
) -> mlua::Result<(Value, &[u8])> {
    let (line, rest) = protocol_line(reply);
    let value = crate::object::string2ll(line).unwrap_or(0);
    Ok((Value::Number(value as f64), rest))
}

/// C: scripting.c redisProtocolToLuaType_Bulk()
fn redis_protocol_to_lua_type_bulk<'a>(
    lua: &Lua,
    reply: &'a [u8],
) -> mlua::Result<(Value, &'a [u8])> {
    let (line, rest) = protocol_line(reply);
    let bulklen = crate::object::string2ll(line).unwrap_or(-1);
    if bulklen < 0 {
        return Ok((Value::Boolean(false), rest));
    }
    let n = (bulklen as usize).min(rest.len());
    let s = lua.create_string(&rest[..n])?;
    Ok((Value::String(s), rest.get(n + 2..).unwrap_or(&[])))
}

/// C: scripting.c redisProtocolToLuaType_Status()
fn redis_protocol_to_lua_type_status<'a>(
    lua: &Lua,
    reply: &'a [u8],
) -> mlua::Result<(Value, &'a [u8])> {
    let (line, rest) = protocol_line(reply);
    let t = lua.create_table()?;
    t.set("ok", lua.create_string(line)?)?;
    Ok((Value::Table(t), rest))
}

/// C: scripting.c redisProtocolToLuaType_Error()
fn redis_protocol_to_lua_type_error<'a>(
    lua: &Lua,
    reply: &'a [u8],
) -> mlua::Result<(Value, &'a [u8])> {
    let (line, rest) = protocol_line(reply);
    let t = lua.create_table()?;
    t.set("err", lua.create_string(line)?)?;
    Ok((Value::Table(t), rest))
}

/// C: scripting.c redisProtocolToLuaType_MultiBulk()
fn redis_protocol_to_lua_type_multi_bulk<'a>(
    lua: &Lua,
    reply: &'a [u8],
) -> mlua::Result<(Value, &'a [u8])> {
    let (line, mut p) = protocol_line(reply);
    let mbulklen = crate::object::string2ll(line).unwrap_or(-1);
    if mbulklen == -1 {
        return Ok((Value::Boolean(false), p));
    }
    let t = lua.create_table()?;
    for j in 0..mbulklen.max(0) {
        let (v, rest) = redis_protocol_to_lua_type(lua, p)?;
        t.raw_set(j + 1, v)?;
        p = rest;
    }
    Ok((Value::Table(t), p))
}

/// The error table `redis.pcall` returns: `{err = "<source>: <line>: msg"}`,
/// where source and line are those of the script line that called (C asks
/// for stack level 1, the caller of the C function).
///
/// C: scripting.c luaPushError()
fn lua_push_error(lua: &Lua, error: &[u8]) -> mlua::Result<Table> {
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

/// Sorts the array of a reply of a command flagged S (KEYS, SMEMBERS, ...)
/// so the script sees a deterministic order. table.sort fails on `false`
/// elements: then it sorts again with `__redis__compare_helper`.
///
/// C: scripting.c luaSortArray()
fn lua_sort_array(lua: &Lua, array: &Table) -> mlua::Result<()> {
    let table: Table = lua.globals().get("table")?;
    let sort: Function = table.get("sort")?;
    if sort.call::<()>(array.clone()).is_err() {
        let helper: Function = lua.globals().get("__redis__compare_helper")?;
        sort.call::<()>((array.clone(), helper))?;
    }
    Ok(())
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

/// `redis.call` (raise_error) and `redis.pcall`: runs the command given as
/// arguments on the Lua client through `call()` and returns its reply as a
/// Lua value. With `raise_error`, an error reply is raised as a Lua error
/// instead (C's luaRaiseError).
/// `caller_flags` are the flags of the client running EVAL (C's
/// `server.lua_caller->flags`).
///
/// C: scripting.c luaRedisGenericCommand()
fn lua_redis_generic_command(
    server: &mut RedisServer,
    lua: &Lua,
    caller_flags: u64,
    mut raise_error: bool,
    args: MultiValue,
) -> mlua::Result<Value> {
    // Divergence from C: the fake client is taken out of the server while
    // the command runs, and put back after; it is never in the client
    // table. C's recursion guard (`inuse`) is this: a second call finds
    // no client.
    let Some(mut c) = server.lua_client.take() else {
        let e = lua_push_error(lua, b"luaRedisGenericCommand() recursive call detected. Are you doing funny stuff with Lua debug hooks?")?;
        return Ok(Value::Table(e));
    };
    let r = lua_redis_generic_command_on(
        server,
        lua,
        &mut c,
        caller_flags,
        &mut raise_error,
        args,
    );
    c.argv.clear();
    server.lua_client = Some(c);
    let v = r?;
    if raise_error {
        // If we are here we should have an error in the stack, in the
        // form of a table with an "err" field: return the plain error.
        let err = match &v {
            Value::Table(t) => t.get::<Value>("err")?,
            other => other.clone(),
        };
        let bytes = match err {
            Value::String(s) => s.as_bytes().to_vec(),
            _ => Vec::new(),
        };
        return Err(lua_raise(&bytes));
    }
    Ok(v)
}

/// The body of `lua_redis_generic_command` once the Lua client is at hand.
/// (no C twin: the part of luaRedisGenericCommand() between taking and
/// putting back the client)
fn lua_redis_generic_command_on(
    server: &mut RedisServer,
    lua: &Lua,
    c: &mut Client,
    caller_flags: u64,
    raise_error: &mut bool,
    args: MultiValue,
) -> mlua::Result<Value> {
    // Reflect MULTI state
    if server.lua_multi_emitted || caller_flags & CLIENT_MULTI != 0 {
        c.flags |= CLIENT_MULTI;
    } else {
        c.flags &= !CLIENT_MULTI;
    }

    // Require at least one argument
    if args.is_empty() {
        let e = lua_push_error(
            lua,
            b"Please specify at least one argument for redis.call()",
        )?;
        return Ok(Value::Table(e));
    }

    // Build the arguments vector
    let mut argv = Vec::with_capacity(args.len());
    for a in args.iter() {
        match a {
            // We can't use lua_tolstring() for number -> string conversion
            // since Lua uses a format specifier that loses precision.
            Value::Integer(i) => {
                argv.push(crate::object::fmt_g17(*i as f64).into_bytes())
            }
            Value::Number(n) => {
                argv.push(crate::object::fmt_g17(*n).into_bytes())
            }
            Value::String(s) => argv.push(s.as_bytes().to_vec()),
            _ => break, // Not a string.
        }
    }
    // Check if one of the arguments passed by the Lua script is not a
    // string or an integer.
    if argv.len() != args.len() {
        let e = lua_push_error(
            lua,
            b"Lua redis() command arguments must be strings or integers",
        )?;
        return Ok(Value::Table(e));
    }

    // Setup our fake client for command execution
    let argc = argv.len() as i32;
    c.argv = argv;

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
        let e = if cmd.is_some() {
            lua_push_error(
                lua,
                b"Wrong number of args calling Redis command From Lua script",
            )?
        } else {
            lua_push_error(
                lua,
                b"Unknown Redis command called from Lua script",
            )?
        };
        return Ok(Value::Table(e));
    };
    c.cmd = Some(cmd);
    c.lastcmd = Some(cmd);
    let cmd_flags = server.commands[cmd].flags;

    // There are commands that are not allowed inside scripts.
    if cmd_flags & CMD_NOSCRIPT != 0 {
        let e = lua_push_error(
            lua,
            b"This Redis command is not allowed from scripts",
        )?;
        return Ok(Value::Table(e));
    }

    // Write commands are forbidden against read-only slaves, or if a
    // command marked as non-deterministic was already called in the
    // context of this script.
    if cmd_flags & CMD_WRITE != 0 {
        let deny_write_type =
            crate::rdb::write_commands_denied_by_disk_error(server);
        let err: Option<std::borrow::Cow<'_, [u8]>> = if server.lua_random_dirty
            && !server.lua_replicate_commands
        {
            Some(std::borrow::Cow::Borrowed(b"Write commands not allowed after non deterministic commands. Call redis.replicate_commands() at the start of your script in order to switch to single commands replication mode."))
        } else if server.masterhost.is_some()
            && server.repl_slave_ro
            && !server.loading
            && caller_flags & CLIENT_MASTER == 0
        {
            Some(std::borrow::Cow::Borrowed(shared::ROSLAVEERR))
        } else if deny_write_type != crate::rdb::DISK_ERROR_TYPE_NONE {
            Some(std::borrow::Cow::Owned(crate::rdb::disk_error_reply(
                server,
                deny_write_type,
            )))
        } else {
            None
        };
        if let Some(err) = err {
            // C passes the shared error object's text, "-...\r\n" and all.
            let e = lua_push_error(lua, &err)?;
            return Ok(Value::Table(e));
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
        let e = lua_push_error(lua, shared::OOMERR)?;
        return Ok(Value::Table(e));
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
    let mut reply = c.buf[..c.bufpos].to_vec();
    c.bufpos = 0;
    for o in c.reply.drain(..) {
        reply.extend_from_slice(&o.buf);
    }
    c.reply_bytes = 0;
    if *raise_error && reply.first() != Some(&b'-') {
        *raise_error = false;
    }
    let (v, _) = redis_protocol_to_lua_type(lua, &reply)?;

    // If the debugger is active, log the reply from Redis.
    if ldb::ldb_logging() {
        ldb::ldb_log_redis_reply(&reply);
    }

    // Sort the output array if needed, assuming it is a non-null multi
    // bulk reply as expected.
    if cmd_flags & CMD_SORT_FOR_SCRIPT != 0
        && !server.lua_replicate_commands
        && reply.first() == Some(&b'*')
        && reply.get(1) != Some(&b'-')
    {
        if let Value::Table(t) = &v {
            lua_sort_array(lua, t)?;
        }
    }
    Ok(v)
}

/// redis.call()
///
/// C: scripting.c luaRedisCallCommand()
fn lua_redis_call_command(lua: &Lua, args: MultiValue) -> mlua::Result<Value> {
    lua_redis_command(lua, true, args)
}

/// redis.pcall()
///
/// C: scripting.c luaRedisPCallCommand()
fn lua_redis_pcall_command(lua: &Lua, args: MultiValue) -> mlua::Result<Value> {
    lua_redis_command(lua, false, args)
}

/// `lua_redis_generic_command` on the running script's server. (no C
/// twin: C's luaRedisGenericCommand() reads the globals itself)
fn lua_redis_command(
    lua: &Lua,
    raise_error: bool,
    args: MultiValue,
) -> mlua::Result<Value> {
    with_script(|server, caller| {
        lua_redis_generic_command(server, lua, caller.flags, raise_error, args)
    })
    .unwrap_or_else(|| {
        let e = lua_push_error(lua, b"luaRedisGenericCommand() recursive call detected. Are you doing funny stuff with Lua debug hooks?")?;
        Ok(Value::Table(e))
    })
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
        _ => lua_push_error(lua, b"wrong number or type of arguments"),
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
    redis.set("call", lua.create_function(lua_redis_call_command)?)?;
    redis.set("pcall", lua.create_function(lua_redis_pcall_command)?)?;
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

    let err_handler: Function =
        lua.globals().raw_get("__redis__err__handler")?;

    // The count hook (see eval_script_prologue).
    lua.set_hook(
        mlua::HookTriggers::new().every_nth_instruction(100_000),
        lua_busy_hook_trampoline,
    );

    // SAFETY: eval_run_raw is only called by eval_generic_command, with
    // the arguments it documents.
    let eval_entry = unsafe { lua.create_c_function(eval_run_raw)? };

    Ok(LuaState { lua, err_handler, eval_entry, gc_count: 0 })
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
/// function with [handler, run]; returns nothing, or the error value of a
/// script that failed, or sets `run.missing`. (no C twin)
// Divergence from C: C does this on its global Lua state inline; here it
// is a Lua C function made once (LuaState::eval_entry), so that entering
// it allocates nothing (mlua's exec_raw allocated two closures per call).
//
// SAFETY: called only through `LuaState::eval_entry` by
// eval_generic_command, with a live EvalRun whose pointers are the only
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
    let run = &mut *(ffi::lua_touserdata(state, 2) as *mut EvalRun);
    ffi::lua_settop(state, 1); // [handler]
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
    let argv2 = c.argv[2].clone();
    let Some(numkeys) =
        crate::object::get_long_long_from_object_or_reply(c, &argv2, None)
    else {
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
    let mut funcname = b"f_".to_vec();
    if !evalsha {
        // Hash the code if this is an EVAL call
        funcname.extend_from_slice(&sha1hex(&c.argv[1]));
    } else {
        // We already have the SHA if it is a EVALSHA
        funcname
            .extend(c.argv[1].iter().take(40).map(|b| b.to_ascii_lowercase()));
    }

    let Some((handler, eval_entry)) = server
        .lua
        .as_ref()
        .map(|l| (l.err_handler.clone(), l.eval_entry.clone()))
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
        let mut run = EvalRun {
            server,
            caller: c,
            funcname: &funcname[..],
            numkeys,
            missing: false,
        };
        let r = eval_entry.call::<MultiValue>((
            handler.clone(),
            mlua::LightUserData((&mut run as *mut EvalRun).cast()),
        ));
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

    let msg = match result {
        // The reply is in `c` already.
        Ok(v) if v.is_empty() => None,
        // lua_tostring(): a string, or a number shown as one.
        Ok(v) => Some(match v.into_iter().next() {
            Some(Value::String(s)) => s.as_bytes().to_vec(),
            Some(Value::Integer(n)) => n.to_string().into_bytes(),
            Some(Value::Number(n)) => crate::object::fmt_g(n, 14).into_bytes(),
            Some(Value::Error(e)) => lua_error_message(&e),
            _ => b"(null)".to_vec(),
        }),
        Err(e) => Some(lua_error_message(&e)),
    };
    if let Some(msg) = msg {
        add_reply_error_format_bytes(
            c,
            &[
                b"Error running script (call to ",
                &funcname,
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
            let exec = lookup_command(server, b"exec").unwrap_or(0);
            also_propagate(
                server,
                exec,
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

    #[test]
    fn redis_protocol_to_lua_type_nested_multi_bulk() {
        let lua = Lua::new();
        let reply = b"*3\r\n:5\r\n$-1\r\n*2\r\n+OK\r\n-ERR x\r\nrest";
        let (v, rest) = redis_protocol_to_lua_type(&lua, reply).expect("lua");
        assert_eq!(rest, b"rest");
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
            assert!(redis_protocol_to_lua_type(&lua, r).is_ok());
        }
    }
}
