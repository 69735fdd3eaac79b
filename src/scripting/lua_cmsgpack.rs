//! The `cmsgpack` library scripts see (lua-cmsgpack 0.4.0): MessagePack
//! for Lua values. `cmsgpack.pack(v1, v2, ...)` encodes each argument and
//! returns the concatenation; `cmsgpack.unpack(s)` decodes every value in
//! `s`, `unpack_one(s [,offset])` one and `unpack_limit(s, n [,offset])`
//! up to `n`, those two returning first the offset to continue from (-1 at
//! the end).
//!
//! Lua 5.1 has only doubles: a number that a long long holds exactly is
//! packed as the smallest MessagePack integer, any other as a float when a
//! float holds it exactly, else as a double. A table whose keys are exactly
//! 1..n is an array, any other a map; tables nested 16 deep are packed as
//! nil, so a table that holds itself still packs. Decoding has no depth
//! limit of its own: it stops when the C function's Lua stack is full
//! (LUAI_MAXCSTACK), with the "stack overflow (...)" errors of the stack
//! checks Redis added for CVE-2018-11218 and, in 5.0.14, CVE-2021-32626
//! (one before every value decoded, and around every table packed).
//!
//! Ports deps/lua/src/lua_cmsgpack.c from Redis 5.0.14, in the same order.
//! Not ported: memrevifle() and the mp_buf/mp_cur helpers (byte order comes
//! from `to_be_bytes`, the buffer is a `Vec`, the cursor a slice), and
//! mp_safe()/luaopen_cmsgpack_safe(), which Redis does not load. The
//! functions are C functions on Lua's stack, written against mlua's `ffi`;
//! lauxlib.rs says why and what keeps that sound.

use std::ffi::c_int;

use mlua::ffi::{self, lua_State};
use mlua::Lua;

use super::c_double_to_long_long;
use super::lauxlib::{
    c_double_to_int, lua_c_function, lua_cfunction, lual_checkinteger,
    lual_checklstring, lual_checkstack, lual_optinteger, push_bytes, to_bytes,
    LuaError, LuaResult,
};

/// C: lua_cmsgpack.c LUACMSGPACK_NAME
const LUACMSGPACK_NAME: &str = "cmsgpack";

/// C: lua_cmsgpack.c LUACMSGPACK_VERSION
const LUACMSGPACK_VERSION: &str = "lua-cmsgpack 0.4.0";

/// C: lua_cmsgpack.c LUACMSGPACK_COPYRIGHT
const LUACMSGPACK_COPYRIGHT: &str = "Copyright (C) 2012, Salvatore Sanfilippo";

/// C: lua_cmsgpack.c LUACMSGPACK_DESCRIPTION
const LUACMSGPACK_DESCRIPTION: &str = "MessagePack C implementation for Lua";

/// Max tables nesting.
///
/// C: lua_cmsgpack.c LUACMSGPACK_MAX_NESTING
const LUACMSGPACK_MAX_NESTING: c_int = 16;

/// Can the double be a long long without loss of precision? C's cast of
/// 2^63 gives LLONG_MIN, so 2^63 is not one.
///
/// C: lua_cmsgpack.c IS_INT64_EQUIVALENT()
fn is_int64_equivalent(x: f64) -> bool {
    !x.is_infinite() && c_double_to_long_long(x) as f64 == x
}

/// C: lua_cmsgpack.c IS_INT_EQUIVALENT()
fn is_int_equivalent(x: f64) -> bool {
    !x.is_infinite() && f64::from(c_double_to_int(x)) == x
}

// ------------------------- Low level MP encoding -------------------------

/// A string (str 8/16/32; "fix raw" below 32 bytes). A length past 32 bits
/// keeps its low 32 in the header, as in C.
///
/// C: lua_cmsgpack.c mp_encode_bytes()
fn mp_encode_bytes(buf: &mut Vec<u8>, s: &[u8]) {
    let len = s.len();
    if len < 32 {
        buf.push(0xa0 | len as u8); // fix raw
    } else if len <= 0xff {
        buf.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        buf.push(0xda);
        buf.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        buf.push(0xdb);
        buf.extend_from_slice(&(len as u32).to_be_bytes());
    }
    buf.extend_from_slice(s);
}

/// A float when the double survives the trip through one, else a double.
///
/// C: lua_cmsgpack.c mp_encode_double()
fn mp_encode_double(buf: &mut Vec<u8>, d: f64) {
    let f = d as f32;
    if d == f as f64 {
        buf.push(0xca); // float IEEE 754
        buf.extend_from_slice(&f.to_be_bytes());
    } else {
        buf.push(0xcb); // double IEEE 754
        buf.extend_from_slice(&d.to_be_bytes());
    }
}

/// The smallest encoding of `n`: fixnums, then uint 8/16/32/64 for
/// positive numbers, int 8/16/32/64 for negative ones.
///
/// C: lua_cmsgpack.c mp_encode_int()
fn mp_encode_int(buf: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        if n <= 127 {
            buf.push(n as u8); // positive fixnum
        } else if n <= 0xff {
            buf.extend_from_slice(&[0xcc, n as u8]); // uint 8
        } else if n <= 0xffff {
            buf.push(0xcd); // uint 16
            buf.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            buf.push(0xce); // uint 32
            buf.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            buf.push(0xcf); // uint 64
            buf.extend_from_slice(&n.to_be_bytes());
        }
    } else if n >= -32 {
        buf.push(n as u8); // negative fixnum
    } else if n >= -128 {
        buf.extend_from_slice(&[0xd0, n as u8]); // int 8
    } else if n >= -32768 {
        buf.push(0xd1); // int 16
        buf.extend_from_slice(&(n as u16).to_be_bytes());
    } else if n >= -2147483648 {
        buf.push(0xd2); // int 32
        buf.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        buf.push(0xd3); // int 64
        buf.extend_from_slice(&n.to_be_bytes());
    }
}

/// C: lua_cmsgpack.c mp_encode_array()
fn mp_encode_array(buf: &mut Vec<u8>, n: i64) {
    if n <= 15 {
        buf.push(0x90 | (n & 0xf) as u8); // fix array
    } else if n <= 65535 {
        buf.push(0xdc); // array 16
        buf.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        buf.push(0xdd); // array 32
        buf.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

/// C: lua_cmsgpack.c mp_encode_map()
fn mp_encode_map(buf: &mut Vec<u8>, n: i64) {
    if n <= 15 {
        buf.push(0x80 | (n & 0xf) as u8); // fix map
    } else if n <= 65535 {
        buf.push(0xde); // map 16
        buf.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        buf.push(0xdf); // map 32
        buf.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

// --------------------------- Lua types encoding ---------------------------
//
// Each encodes the value on top of the stack and leaves it there.

/// C: lua_cmsgpack.c mp_encode_lua_string()
unsafe fn mp_encode_lua_string(l: *mut lua_State, buf: &mut Vec<u8>) {
    mp_encode_bytes(buf, to_bytes(l, -1).unwrap_or_default());
}

/// C: lua_cmsgpack.c mp_encode_lua_bool()
unsafe fn mp_encode_lua_bool(l: *mut lua_State, buf: &mut Vec<u8>) {
    buf.push(if ffi::lua_toboolean(l, -1) != 0 { 0xc3 } else { 0xc2 });
}

/// C: lua_cmsgpack.c mp_encode_lua_integer()
unsafe fn mp_encode_lua_integer(l: *mut lua_State, buf: &mut Vec<u8>) {
    mp_encode_int(buf, ffi::lua_tointeger_(l, -1));
}

/// Lua 5.1 numbers are doubles: an integer if it is one, else a float or
/// double.
///
/// C: lua_cmsgpack.c mp_encode_lua_number()
unsafe fn mp_encode_lua_number(l: *mut lua_State, buf: &mut Vec<u8>) {
    let n = ffi::lua_tonumber(l, -1);
    if is_int64_equivalent(n) {
        mp_encode_lua_integer(l, buf);
    } else {
        mp_encode_double(buf, n);
    }
}

/// Encodes a Lua table as a MessagePack array of its elements 1..#t.
///
/// C: lua_cmsgpack.c mp_encode_lua_table_as_array()
unsafe fn mp_encode_lua_table_as_array(
    l: *mut lua_State,
    buf: &mut Vec<u8>,
    level: c_int,
) -> LuaResult<()> {
    let len = ffi::lua_objlen(l, -1);
    mp_encode_array(buf, len as i64);
    lual_checkstack(l, 1, "in function mp_encode_lua_table_as_array")?;
    for j in 1..=len {
        ffi::lua_pushnumber(l, j as f64);
        // Keys 1..len are all there (table_is_an_array said so), so no
        // __index metamethod can run here.
        ffi::lua_gettable_(l, -2);
        mp_encode_lua_type(l, buf, level + 1)?;
    }
    Ok(())
}

/// Encodes a Lua table as a MessagePack map: the keys are counted in a
/// first walk (the Lua API has no other way), then written with their
/// values in a second.
///
/// C: lua_cmsgpack.c mp_encode_lua_table_as_map()
unsafe fn mp_encode_lua_table_as_map(
    l: *mut lua_State,
    buf: &mut Vec<u8>,
    level: c_int,
) -> LuaResult<()> {
    let mut len: usize = 0;
    lual_checkstack(l, 3, "in function mp_encode_lua_table_as_map")?;
    ffi::lua_pushnil(l);
    while ffi::lua_next(l, -2) != 0 {
        ffi::lua_pop(l, 1); // Remove value, keep key for next iteration.
        len += 1;
    }

    mp_encode_map(buf, len as i64);
    ffi::lua_pushnil(l);
    while ffi::lua_next(l, -2) != 0 {
        // Stack: ... key value
        ffi::lua_pushvalue(l, -2); // Stack: ... key value key
        mp_encode_lua_type(l, buf, level + 1)?; // Encode key.
        mp_encode_lua_type(l, buf, level + 1)?; // Encode val.
    }
    Ok(())
}

/// Whether the table on top of the stack has exactly the keys 1..N, N its
/// number of elements: no key that is not a positive integer (one an int
/// holds), and as many keys as the largest.
///
/// C: lua_cmsgpack.c table_is_an_array()
unsafe fn table_is_an_array(l: *mut lua_State) -> bool {
    let mut count: c_int = 0;
    let mut max: c_int = 0;
    // Stack top on function entry.
    let stacktop = ffi::lua_gettop(l);

    // Reserve the two slots the walk uses. C reserves none and lives on
    // its callers' reservations, which run out 16 maps deep: Lua built
    // with its API checks (as cargo builds it with debug assertions)
    // aborts there. Nothing else changes: a failure is ignored, as C would
    // not have asked. It fails within two slots of LUAI_MAXCSTACK, where
    // the walk still fits Lua's spare slots (EXTRA_STACK) as in C, but
    // that Lua build still aborts.
    ffi::lua_checkstack(l, 2);
    ffi::lua_pushnil(l);
    while ffi::lua_next(l, -2) != 0 {
        // Stack: ... key value
        ffi::lua_pop(l, 1); // Stack: ... key
                            // The <= 0 check is valid here because we're comparing indexes.
        let n = if ffi::lua_type(l, -1) == ffi::LUA_TNUMBER {
            ffi::lua_tonumber(l, -1)
        } else {
            0.0
        };
        if n <= 0.0 || !is_int_equivalent(n) {
            ffi::lua_settop(l, stacktop);
            return false;
        }
        if n > f64::from(max) {
            max = c_double_to_int(n);
        }
        count += 1;
    }
    // No key is <= 0 and no key repeats, so max == count means the keys
    // are all of 1..count.
    ffi::lua_settop(l, stacktop);
    max == count
}

/// C: lua_cmsgpack.c mp_encode_lua_table()
unsafe fn mp_encode_lua_table(
    l: *mut lua_State,
    buf: &mut Vec<u8>,
    level: c_int,
) -> LuaResult<()> {
    if table_is_an_array(l) {
        mp_encode_lua_table_as_array(l, buf, level)
    } else {
        mp_encode_lua_table_as_map(l, buf, level)
    }
}

/// C: lua_cmsgpack.c mp_encode_lua_null()
fn mp_encode_lua_null(buf: &mut Vec<u8>) {
    buf.push(0xc0);
}

/// Encodes the value on top of the stack, and pops it. A value MessagePack
/// has no type for (function, userdata, thread) is nil.
///
/// C: lua_cmsgpack.c mp_encode_lua_type()
unsafe fn mp_encode_lua_type(
    l: *mut lua_State,
    buf: &mut Vec<u8>,
    level: c_int,
) -> LuaResult<()> {
    let mut t = ffi::lua_type(l, -1);

    // Limit the encoding of nested tables to a specified maximum depth, so
    // that we survive when called against circular references in tables.
    if t == ffi::LUA_TTABLE && level == LUACMSGPACK_MAX_NESTING {
        t = ffi::LUA_TNIL;
    }
    match t {
        ffi::LUA_TSTRING => mp_encode_lua_string(l, buf),
        ffi::LUA_TBOOLEAN => mp_encode_lua_bool(l, buf),
        ffi::LUA_TNUMBER => mp_encode_lua_number(l, buf),
        ffi::LUA_TTABLE => mp_encode_lua_table(l, buf, level)?,
        _ => mp_encode_lua_null(buf),
    }
    ffi::lua_pop(l, 1);
    Ok(())
}

/// `cmsgpack.pack(...)`: every argument encoded in turn, as one string.
/// At least one is needed.
///
/// C: lua_cmsgpack.c mp_pack()
unsafe extern "C-unwind" fn mp_pack(l: *mut lua_State) -> c_int {
    lua_c_function(l, || {
        let nargs = ffi::lua_gettop(l);
        if nargs == 0 {
            return Err(LuaError::Arg(
                0,
                b"MessagePack pack needs input.".to_vec(),
            ));
        }
        if ffi::lua_checkstack(l, nargs) == 0 {
            return Err(LuaError::Arg(
                0,
                b"Too many arguments for MessagePack pack.".to_vec(),
            ));
        }

        let mut buf = Vec::new();
        for i in 1..=nargs {
            // Copy argument i to top of stack for the encoder, which pops
            // it when done.
            lual_checkstack(l, 1, "in function mp_check")?;
            ffi::lua_pushvalue(l, i);

            mp_encode_lua_type(l, &mut buf, 0)?;

            push_bytes(l, &buf);

            // Reuse the buffer for the next argument.
            buf.clear();
        }

        // Concatenate all nargs buffers together.
        ffi::lua_concat(l, nargs);
        Ok(1)
    })
}

// ------------------------------- Decoding --------------------------------

/// Why decoding stopped. (C: lua_cmsgpack.c MP_CUR_ERROR_EOF and
/// MP_CUR_ERROR_BADFMT in the cursor's `err`; a Lua error C raises at
/// once.)
enum MpCurError {
    /// Not enough data to complete operation.
    Eof,
    /// Bad data format.
    Badfmt,
    /// A Lua error (the stack is full, or a map key is nil or NaN).
    Lua(LuaError),
}

impl From<LuaError> for MpCurError {
    fn from(e: LuaError) -> MpCurError {
        MpCurError::Lua(e)
    }
}

/// The cursor's next `len` bytes, consumed, or EOF (consuming nothing).
///
/// C: lua_cmsgpack.c mp_cur_need() and mp_cur_consume()
fn mp_cur_take<'a>(
    c: &mut &'a [u8],
    len: usize,
) -> Result<&'a [u8], MpCurError> {
    if c.len() < len {
        return Err(MpCurError::Eof);
    }
    let (taken, rest) = c.split_at(len);
    *c = rest;
    Ok(taken)
}

/// Decodes `len` values into a new table at keys 1..len.
///
/// C: lua_cmsgpack.c mp_decode_to_lua_array()
unsafe fn mp_decode_to_lua_array(
    l: *mut lua_State,
    c: &mut &[u8],
    len: usize,
) -> Result<(), MpCurError> {
    let mut index: c_int = 1;

    ffi::lua_newtable(l);
    lual_checkstack(l, 1, "in function mp_decode_to_lua_array")?;
    for _ in 0..len {
        ffi::lua_pushnumber(l, f64::from(index));
        index = index.wrapping_add(1);
        mp_decode_to_lua_type(l, c)?;
        ffi::lua_settable(l, -3);
    }
    Ok(())
}

/// Decodes `len` key/value pairs into a new table.
///
/// C: lua_cmsgpack.c mp_decode_to_lua_hash()
unsafe fn mp_decode_to_lua_hash(
    l: *mut lua_State,
    c: &mut &[u8],
    len: usize,
) -> Result<(), MpCurError> {
    ffi::lua_newtable(l);
    for _ in 0..len {
        mp_decode_to_lua_type(l, c)?; // key
        mp_decode_to_lua_type(l, c)?; // value
                                      // Lua's own errors for such a key, raised here by lua_settable in
                                      // C: returned instead, so that they are raised from no Rust frame.
        match ffi::lua_type(l, -2) {
            ffi::LUA_TNIL => {
                return Err(LuaError::Runtime("table index is nil").into())
            }
            ffi::LUA_TNUMBER if ffi::lua_tonumber(l, -2).is_nan() => {
                return Err(LuaError::Runtime("table index is NaN").into())
            }
            _ => {}
        }
        ffi::lua_settable(l, -3);
    }
    Ok(())
}

/// Reads a big-endian u32 length. (no C twin)
fn be32(b: &[u8]) -> usize {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize
}

/// Decodes the MessagePack value at the cursor and pushes it. Numbers
/// arrive as C pushes them: through lua_Integer (a long long) for the
/// integer types, so a uint 64 past 2^63 comes out negative.
///
/// C: lua_cmsgpack.c mp_decode_to_lua_type()
unsafe fn mp_decode_to_lua_type(
    l: *mut lua_State,
    c: &mut &[u8],
) -> Result<(), MpCurError> {
    let Some(&b0) = c.first() else {
        return Err(MpCurError::Eof);
    };

    // There is no way to know how many values a MessagePack string holds,
    // so each asks for one more stack slot (when the stack must grow, it
    // doubles).
    lual_checkstack(
        l,
        1,
        "too many return values at once; \
         use unpack_one or unpack_limit instead.",
    )?;

    match b0 {
        0xcc => {
            // uint 8
            let p = mp_cur_take(c, 2)?;
            ffi::lua_pushinteger(l, i64::from(p[1]));
        }
        0xd0 => {
            // int 8
            let p = mp_cur_take(c, 2)?;
            ffi::lua_pushinteger(l, i64::from(p[1] as i8));
        }
        0xcd => {
            // uint 16
            let p = mp_cur_take(c, 3)?;
            ffi::lua_pushinteger(
                l,
                i64::from(u16::from_be_bytes([p[1], p[2]])),
            );
        }
        0xd1 => {
            // int 16
            let p = mp_cur_take(c, 3)?;
            ffi::lua_pushinteger(
                l,
                i64::from(i16::from_be_bytes([p[1], p[2]])),
            );
        }
        0xce => {
            // uint 32
            let p = mp_cur_take(c, 5)?;
            ffi::lua_pushinteger(l, be32(&p[1..]) as i64);
        }
        0xd2 => {
            // int 32
            let p = mp_cur_take(c, 5)?;
            ffi::lua_pushinteger(l, i64::from(be32(&p[1..]) as u32 as i32));
        }
        0xcf => {
            // uint 64
            let p = mp_cur_take(c, 9)?;
            let mut b = [0u8; 8];
            b.copy_from_slice(&p[1..]);
            ffi::lua_pushinteger(l, u64::from_be_bytes(b) as i64);
        }
        0xd3 => {
            // int 64
            let p = mp_cur_take(c, 9)?;
            let mut b = [0u8; 8];
            b.copy_from_slice(&p[1..]);
            ffi::lua_pushnumber(l, i64::from_be_bytes(b) as f64);
        }
        0xc0 => {
            // nil
            ffi::lua_pushnil(l);
            mp_cur_take(c, 1)?;
        }
        0xc3 => {
            // true
            ffi::lua_pushboolean(l, 1);
            mp_cur_take(c, 1)?;
        }
        0xc2 => {
            // false
            ffi::lua_pushboolean(l, 0);
            mp_cur_take(c, 1)?;
        }
        0xca => {
            // float
            let p = mp_cur_take(c, 5)?;
            let f = f32::from_be_bytes([p[1], p[2], p[3], p[4]]);
            ffi::lua_pushnumber(l, f64::from(f));
        }
        0xcb => {
            // double
            let p = mp_cur_take(c, 9)?;
            let mut b = [0u8; 8];
            b.copy_from_slice(&p[1..]);
            ffi::lua_pushnumber(l, f64::from_be_bytes(b));
        }
        0xd9 => {
            // raw 8
            let len = usize::from(*c.get(1).ok_or(MpCurError::Eof)?);
            let p = mp_cur_take(c, 2 + len)?;
            push_bytes(l, &p[2..]);
        }
        0xda => {
            // raw 16
            let h = c.get(..3).ok_or(MpCurError::Eof)?;
            let len = usize::from(u16::from_be_bytes([h[1], h[2]]));
            let p = mp_cur_take(c, 3 + len)?;
            push_bytes(l, &p[3..]);
        }
        0xdb => {
            // raw 32
            let len = be32(&mp_cur_take(c, 5)?[1..]);
            let p = mp_cur_take(c, len)?;
            push_bytes(l, p);
        }
        0xdc => {
            // array 16
            let p = mp_cur_take(c, 3)?;
            let len = usize::from(u16::from_be_bytes([p[1], p[2]]));
            mp_decode_to_lua_array(l, c, len)?;
        }
        0xdd => {
            // array 32
            let len = be32(&mp_cur_take(c, 5)?[1..]);
            mp_decode_to_lua_array(l, c, len)?;
        }
        0xde => {
            // map 16
            let p = mp_cur_take(c, 3)?;
            let len = usize::from(u16::from_be_bytes([p[1], p[2]]));
            mp_decode_to_lua_hash(l, c, len)?;
        }
        0xdf => {
            // map 32
            let len = be32(&mp_cur_take(c, 5)?[1..]);
            mp_decode_to_lua_hash(l, c, len)?;
        }
        // Types that can't be identified by first byte value.
        _ if b0 & 0x80 == 0 => {
            // positive fixnum
            ffi::lua_pushinteger(l, i64::from(b0));
            mp_cur_take(c, 1)?;
        }
        _ if b0 & 0xe0 == 0xe0 => {
            // negative fixnum
            ffi::lua_pushinteger(l, i64::from(b0 as i8));
            mp_cur_take(c, 1)?;
        }
        _ if b0 & 0xe0 == 0xa0 => {
            // fix raw
            let len = usize::from(b0 & 0x1f);
            let p = mp_cur_take(c, 1 + len)?;
            push_bytes(l, &p[1..]);
        }
        _ if b0 & 0xf0 == 0x90 => {
            // fix array
            mp_cur_take(c, 1)?;
            mp_decode_to_lua_array(l, c, usize::from(b0 & 0xf))?;
        }
        _ if b0 & 0xf0 == 0x80 => {
            // fix map
            mp_cur_take(c, 1)?;
            mp_decode_to_lua_hash(l, c, usize::from(b0 & 0xf))?;
        }
        _ => return Err(MpCurError::Badfmt),
    }
    Ok(())
}

/// Decodes up to `limit` values of argument 1 from `offset` (all of them
/// when both are 0), leaving them on the stack. Unless decoding all, the
/// offset after them comes first (-1 when the input is used up).
///
/// C: lua_cmsgpack.c mp_unpack_full()
unsafe fn mp_unpack_full(
    l: *mut lua_State,
    mut limit: c_int,
    offset: c_int,
) -> LuaResult<c_int> {
    let decode_all = limit == 0 && offset == 0;

    let s = lual_checklstring(l, 1)?;
    let len = s.len();

    // C prints the length (a size_t) through %d: its low 32 bits.
    if offset < 0 || limit < 0 {
        // Requesting a negative offset or limit is invalid.
        return Err(LuaError::Error(
            format!(
                "Invalid request to unpack with offset of {offset} and \
                 limit of {}.",
                len as c_int
            )
            .into_bytes(),
        ));
    } else if offset as usize > len {
        return Err(LuaError::Error(
            format!(
                "Start offset {offset} greater than input length {}.",
                len as c_int
            )
            .into_bytes(),
        ));
    }

    if decode_all {
        limit = c_int::MAX;
    }

    let mut c = &s[offset as usize..];

    // The input may be a stream of several values packed together.
    let mut cnt: c_int = 0;
    while !c.is_empty() && cnt < limit {
        match mp_decode_to_lua_type(l, &mut c) {
            Ok(()) => {}
            Err(MpCurError::Eof) => {
                return Err(LuaError::Error(
                    b"Missing bytes in input.".to_vec(),
                ))
            }
            Err(MpCurError::Badfmt) => {
                return Err(LuaError::Error(
                    b"Bad data format in input.".to_vec(),
                ))
            }
            Err(MpCurError::Lua(e)) => return Err(e),
        }
        cnt += 1;
    }

    if !decode_all {
        // The next start offset: what was consumed of the whole input.
        let offset = (len - c.len()) as c_int;

        lual_checkstack(l, 1, "in function mp_unpack_full")?;

        // Offset -1 when the whole input was processed.
        ffi::lua_pushinteger(
            l,
            if c.is_empty() { -1 } else { i64::from(offset) },
        );
        // The argument is still at 1 (Lua returns only what is above the
        // arguments), so the offset goes in at 2, before the values.
        ffi::lua_insert(l, 2);
        cnt += 1; // Room for the offset in the count of results.
    }

    Ok(cnt)
}

/// `cmsgpack.unpack(s)`: every value in `s`.
///
/// C: lua_cmsgpack.c mp_unpack()
unsafe extern "C-unwind" fn mp_unpack(l: *mut lua_State) -> c_int {
    lua_c_function(l, || mp_unpack_full(l, 0, 0))
}

/// `cmsgpack.unpack_one(s [,offset])`: the next offset and one value.
///
/// C: lua_cmsgpack.c mp_unpack_one()
unsafe extern "C-unwind" fn mp_unpack_one(l: *mut lua_State) -> c_int {
    lua_c_function(l, || {
        // C keeps the lua_Integer in an int: its low 32 bits.
        let offset = lual_optinteger(l, 2, 0)? as c_int;
        // Only the string stays (the offset may be missing).
        ffi::lua_pop(l, ffi::lua_gettop(l) - 1);
        mp_unpack_full(l, 1, offset)
    })
}

/// `cmsgpack.unpack_limit(s, limit [,offset])`: the next offset and up to
/// `limit` values.
///
/// C: lua_cmsgpack.c mp_unpack_limit()
unsafe extern "C-unwind" fn mp_unpack_limit(l: *mut lua_State) -> c_int {
    lua_c_function(l, || {
        let limit = lual_checkinteger(l, 2)? as c_int;
        let offset = lual_optinteger(l, 3, 0)? as c_int;
        // Only the string stays (the offset may be missing).
        ffi::lua_pop(l, ffi::lua_gettop(l) - 1);
        mp_unpack_full(l, limit, offset)
    })
}

// -------------------------------------------------------------------------

/// C: lua_cmsgpack.c cmds
const CMDS: &[(&str, ffi::lua_CFunction)] = &[
    ("pack", mp_pack),
    ("unpack", mp_unpack),
    ("unpack_one", mp_unpack_one),
    ("unpack_limit", mp_unpack_limit),
];

/// Builds the module table by hand: the functions, then the metadata.
///
/// C: lua_cmsgpack.c luaopen_create()
fn luaopen_create(lua: &Lua) -> mlua::Result<mlua::Table> {
    let t = lua.create_table()?;
    for &(name, func) in CMDS {
        t.set(name, lua_cfunction(lua, func)?)?;
    }
    t.set("_NAME", LUACMSGPACK_NAME)?;
    t.set("_VERSION", LUACMSGPACK_VERSION)?;
    t.set("_COPYRIGHT", LUACMSGPACK_COPYRIGHT)?;
    t.set("_DESCRIPTION", LUACMSGPACK_DESCRIPTION)?;
    Ok(t)
}

/// Registers the `cmsgpack` global (Lua 5.1 registers it by name).
///
/// C: lua_cmsgpack.c luaopen_cmsgpack()
pub(super) fn luaopen_cmsgpack(lua: &Lua) -> mlua::Result<()> {
    let t = luaopen_create(lua)?;
    lua.globals().set(LUACMSGPACK_NAME, t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut buf = Vec::new();
        f(&mut buf);
        buf
    }

    #[test]
    fn mp_encode_int_picks_the_smallest_encoding() {
        assert_eq!(enc(|b| mp_encode_int(b, 127)), [0x7f]);
        assert_eq!(enc(|b| mp_encode_int(b, 128)), [0xcc, 0x80]);
        assert_eq!(enc(|b| mp_encode_int(b, 65536)), [0xce, 0, 1, 0, 0]);
        assert_eq!(enc(|b| mp_encode_int(b, -32)), [0xe0]);
        assert_eq!(enc(|b| mp_encode_int(b, -33)), [0xd0, 0xdf]);
        assert_eq!(
            enc(|b| mp_encode_int(b, -1099511627776)),
            [0xd3, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0]
        );
    }

    #[test]
    fn mp_encode_double_uses_a_float_when_exact() {
        assert_eq!(enc(|b| mp_encode_double(b, 0.5)), [0xca, 0x3f, 0, 0, 0]);
        assert_eq!(
            enc(|b| mp_encode_double(b, 0.1)),
            [0xcb, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a]
        );
    }

    #[test]
    fn is_int64_equivalent_as_c_casts() {
        assert!(is_int64_equivalent(-9223372036854775808.0));
        assert!(!is_int64_equivalent(9223372036854775808.0));
        assert!(!is_int64_equivalent(f64::INFINITY));
        assert!(!is_int64_equivalent(f64::NAN));
        assert!(!is_int64_equivalent(0.5));
    }
}
