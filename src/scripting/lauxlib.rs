//! The part of Lua 5.1's auxiliary library (lauxlib.c) that the bundled
//! libraries (lua_struct.rs, lua_cmsgpack.rs, lua_bit.rs) call, shaped so
//! that Rust can call it: the argument checks return a `LuaError` instead
//! of raising it, and `lua_c_function` raises it once the library
//! function's Rust values are gone.
//!
//! Why the raw C API (the whole of these four files): Redis's libraries are
//! C functions on Lua's stack, and what a script sees of them depends on
//! that stack: the function name in "bad argument #1 to 'unpack'" (Lua
//! asks the caller's frame), how many values fit before "stack overflow
//! (...)" (LUAI_MAXCSTACK slots per C function), which index a missing
//! argument lands on (struct.pack's nil mark). mlua's safe functions see
//! none of this, and hold every string and table they are passed or return
//! in a reference slot of their own, which runs out near 8,000 and then
//! aborts the server. So these libraries are `lua_CFunction`s on mlua's
//! `ffi` (the same Lua 5.1.5 that Redis embeds), registered with
//! `Lua::create_c_function`.
//!
//! The rule that keeps this sound: a Lua error is a `longjmp` over our
//! frames, which is only defined when those frames own nothing to drop.
//! The library functions build a `LuaResult`; `lua_c_function` raises its
//! error after the body (and every `Vec` in it) has returned. The Lua API
//! calls made inside a body do not raise (a map key that would, nil or
//! NaN, is checked first), except when Lua runs out of memory: that jump
//! skips the drops of the body's `Vec`, which leaks, as C's mp_pack leaks
//! its buffer there.
//!
//! Ports the lauxlib.c functions they use, from Lua 5.1.5 as Redis 5.0.14
//! ships it (deps/lua/src/lauxlib.c).

use std::ffi::{c_int, CStr};

use mlua::ffi::{self, lua_State};

/// A Lua error a library function raises, built while its Rust values are
/// live and raised by `lua_c_function` after they are dropped. (no C twin:
/// C raises on the spot)
pub(super) enum LuaError {
    /// `luaL_error(L, "%s", msg)`: the caller's position, then `msg`.
    Error(Vec<u8>),
    /// `luaL_argerror(L, narg, msg)`.
    Arg(c_int, Vec<u8>),
    /// `luaL_typerror(L, narg, tname)`: "<tname> expected, got <type>".
    Type(c_int, &'static CStr),
    /// An error of Lua's own runtime inside a C function (luaG_runerror),
    /// which carries no position: "table index is nil".
    Runtime(&'static str),
}

pub(super) type LuaResult<T> = Result<T, LuaError>;

/// Runs the body of a library function and returns its count of results,
/// or raises its error as C would have raised it where it was found.
///
/// # Safety
/// `l` is the state Lua passed to the running C function.
/// (no C twin)
pub(super) unsafe fn lua_c_function(
    l: *mut lua_State,
    body: impl FnOnce() -> LuaResult<c_int>,
) -> c_int {
    match body() {
        Ok(n) => n,
        Err(e) => raise(l, e),
    }
}

/// Raises `e` (a `longjmp`: it never returns). Its message is handed to
/// Lua, and dropped, before the jump.
///
/// Divergence from C (not visible): the function's stack is emptied
/// first. The error discards it anyway, and neither the message nor the
/// error handler reads it, but C's luaL_error, failing for a full stack,
/// pushes its message past the slots the function reserved, which Lua
/// built with its API checks (as cargo builds it with debug assertions)
/// aborts on.
///
/// # Safety
/// As `lua_c_function`; no caller frame may own anything to drop.
/// (no C twin)
unsafe fn raise(l: *mut lua_State, e: LuaError) -> ! {
    match e {
        LuaError::Error(msg) => {
            // C: lauxlib.c luaL_error()
            ffi::lua_settop(l, 0);
            ffi::luaL_where(l, 1);
            ffi::lua_pushlstring(l, msg.as_ptr().cast(), msg.len());
            drop(msg);
            ffi::lua_concat(l, 2);
            ffi::lua_error(l)
        }
        LuaError::Arg(narg, msg) => {
            ffi::lua_settop(l, 0);
            // The message stays on the stack, so the pointer stays valid.
            let extramsg =
                ffi::lua_pushlstring(l, msg.as_ptr().cast(), msg.len());
            drop(msg);
            ffi::luaL_argerror(l, narg, extramsg);
            unreachable!("luaL_argerror returned")
        }
        LuaError::Type(narg, tname) => {
            // C: lauxlib.c luaL_typerror(), which needs the argument's
            // type before the stack goes.
            let got = ffi::lua_typename(l, ffi::lua_type(l, narg));
            let got = CStr::from_ptr(got).to_bytes();
            let mut msg = tname.to_bytes().to_vec();
            msg.extend_from_slice(b" expected, got ");
            msg.extend_from_slice(got);
            raise(l, LuaError::Arg(narg, msg))
        }
        LuaError::Runtime(msg) => {
            ffi::lua_settop(l, 0);
            ffi::lua_pushlstring(l, msg.as_ptr().cast(), msg.len());
            ffi::lua_error(l)
        }
    }
}

/// The bytes of the string (or number, converted in place, as
/// `lua_tolstring` does) at `idx`, or `None`. The slice lives as long as
/// the value stays at `idx`; the caller picks a lifetime no longer.
///
/// # Safety
/// `l` as in `lua_c_function`; `idx` an acceptable index.
/// (no C twin: lua_tolstring() with its length)
pub(super) unsafe fn to_bytes<'a>(
    l: *mut lua_State,
    idx: c_int,
) -> Option<&'a [u8]> {
    let mut len = 0usize;
    let p = ffi::lua_tolstring(l, idx, &mut len);
    if p.is_null() {
        None
    } else {
        Some(std::slice::from_raw_parts(p.cast::<u8>(), len))
    }
}

/// `lua_pushlstring` of a byte slice. (no C twin)
///
/// # Safety
/// `l` as in `lua_c_function`, with a free stack slot.
pub(super) unsafe fn push_bytes(l: *mut lua_State, s: &[u8]) {
    ffi::lua_pushlstring(l, s.as_ptr().cast(), s.len());
}

/// C: lauxlib.c luaL_checkstack()
///
/// # Safety
/// `l` as in `lua_c_function`.
pub(super) unsafe fn lual_checkstack(
    l: *mut lua_State,
    space: c_int,
    mes: &str,
) -> LuaResult<()> {
    if ffi::lua_checkstack(l, space) == 0 {
        return Err(LuaError::Error(
            format!("stack overflow ({mes})").into_bytes(),
        ));
    }
    Ok(())
}

/// C: lauxlib.c luaL_checklstring()
///
/// # Safety
/// As `to_bytes`.
pub(super) unsafe fn lual_checklstring<'a>(
    l: *mut lua_State,
    narg: c_int,
) -> LuaResult<&'a [u8]> {
    to_bytes(l, narg).ok_or(LuaError::Type(narg, c"string"))
}

/// C: lauxlib.c luaL_checknumber()
///
/// # Safety
/// `l` as in `lua_c_function`.
pub(super) unsafe fn lual_checknumber(
    l: *mut lua_State,
    narg: c_int,
) -> LuaResult<f64> {
    let d = ffi::lua_tonumber(l, narg);
    // Avoid the extra test when d is not 0.
    if d == 0.0 && ffi::lua_isnumber(l, narg) == 0 {
        return Err(LuaError::Type(narg, c"number"));
    }
    Ok(d)
}

/// C: lauxlib.c luaL_checkinteger()
///
/// # Safety
/// `l` as in `lua_c_function`.
pub(super) unsafe fn lual_checkinteger(
    l: *mut lua_State,
    narg: c_int,
) -> LuaResult<i64> {
    // Lua's own lua_tointeger: C's cast of the number (not mlua's compat
    // version, which answers 0 for a number with a fraction).
    let d = ffi::lua_tointeger_(l, narg);
    if d == 0 && ffi::lua_isnumber(l, narg) == 0 {
        return Err(LuaError::Type(narg, c"number"));
    }
    Ok(d)
}

/// C: lauxlib.c luaL_optinteger()
///
/// # Safety
/// `l` as in `lua_c_function`.
pub(super) unsafe fn lual_optinteger(
    l: *mut lua_State,
    narg: c_int,
    def: i64,
) -> LuaResult<i64> {
    if ffi::lua_type(l, narg) <= ffi::LUA_TNIL {
        Ok(def)
    } else {
        lual_checkinteger(l, narg)
    }
}

/// Makes the global table `libname` holding `l`'s functions, as
/// `luaL_register(L, libname, l)` does at a library's opening: the table
/// sized for them, recorded in the registry's `_LOADED`, then filled in
/// the list's order (which decides the order `pairs` walks it in).
///
/// C: lauxlib.c luaL_register()
pub(super) fn lual_register(
    lua: &mlua::Lua,
    libname: &str,
    l: &[(&str, ffi::lua_CFunction)],
) -> mlua::Result<()> {
    let loaded: mlua::Table = match lua.named_registry_value("_LOADED")? {
        Some(t) => t,
        None => {
            let t = lua.create_table()?;
            lua.set_named_registry_value("_LOADED", &t)?;
            t
        }
    };
    let t = lua.create_table_with_capacity(0, l.len())?;
    lua.globals().set(libname, &t)?;
    loaded.set(libname, &t)?;
    for &(name, func) in l {
        t.set(name, lua_cfunction(lua, func)?)?;
    }
    Ok(())
}

/// A Lua function value for one of the libraries' C functions.
/// (no C twin: lua_pushcfunction())
pub(super) fn lua_cfunction(
    lua: &mlua::Lua,
    func: ffi::lua_CFunction,
) -> mlua::Result<mlua::Function> {
    // SAFETY: `func` is one of the library functions of lua_struct.rs,
    // lua_cmsgpack.rs or lua_bit.rs, which use the state Lua passes them
    // as a C function may (see the file doc).
    unsafe { lua.create_c_function(func) }
}

// --------------------------- C number casts ---------------------------

/// C's `(int)` cast of a double as x86-64 does it (cvttsd2si): out of
/// range or NaN gives INT_MIN, where Rust's `as` saturates. (no C twin)
pub(super) fn c_double_to_int(n: f64) -> i32 {
    if n > -2_147_483_649.0 && n < 2_147_483_648.0 {
        n as i32
    } else {
        i32::MIN
    }
}

/// C's `(size_t)` or `(unsigned long)` cast of a double as gcc compiles it
/// for x86-64 (in lua_struct.o): below 2^63 the signed conversion (so -1
/// gives SIZE_MAX and NaN 2^63), else the conversion of `n - 2^63` with
/// the top bit flipped (so 2^64 and above give 0). (no C twin)
pub(super) fn c_double_to_size_t(n: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if n >= TWO_63 {
        (super::c_double_to_long_long(n - TWO_63) as u64) ^ (1 << 63)
    } else {
        super::c_double_to_long_long(n) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_double_to_int_out_of_range_is_int_min() {
        assert_eq!(c_double_to_int(2147483647.0), i32::MAX);
        assert_eq!(c_double_to_int(-2147483648.0), i32::MIN);
        assert_eq!(c_double_to_int(-2147483648.9), i32::MIN);
        assert_eq!(c_double_to_int(2147483648.0), i32::MIN);
        assert_eq!(c_double_to_int(f64::NAN), i32::MIN);
        assert_eq!(c_double_to_int(-3.7), -3);
    }

    #[test]
    fn c_double_to_size_t_as_gcc_compiles_it() {
        assert_eq!(c_double_to_size_t(-1.0), u64::MAX);
        assert_eq!(c_double_to_size_t(f64::NAN), 1 << 63);
        assert_eq!(c_double_to_size_t(9_223_372_036_854_775_808.0), 1 << 63);
        assert_eq!(c_double_to_size_t(18_446_744_073_709_549_568.0), {
            18_446_744_073_709_549_568u64
        });
        assert_eq!(c_double_to_size_t(18_446_744_073_709_551_616.0), 0);
        assert_eq!(c_double_to_size_t(f64::INFINITY), 0);
        assert_eq!(c_double_to_size_t(3.9), 3);
    }
}
