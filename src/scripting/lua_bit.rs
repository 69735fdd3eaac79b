//! The `bit` library scripts see: Lua BitOp 1.0.2, bitwise operations on
//! 32-bit integers for Lua 5.1, whose only number is a double. Every
//! argument is first normalised to 32 bits the way BitOp does it (add
//! 2^52+2^51 and keep the low word of the double, which wraps any
//! integral value modulo 2^32 and rounds a fraction to even), and every
//! result goes back as a signed 32-bit number.
//!
//! Ports deps/lua/src/lua_bit.c from Redis 5.0.14, in the same order. The
//! functions are C functions on Lua's stack, written against mlua's `ffi`;
//! lauxlib.rs says why and what keeps that sound.

use std::ffi::c_int;

use mlua::ffi::{self, lua_State};
use mlua::Lua;

use super::lauxlib::{lua_c_function, push_bytes, LuaError, LuaResult};

/// C: lua_bit.c LUA_BITOP_VERSION
#[allow(dead_code)]
const LUA_BITOP_VERSION: &str = "1.0.2";

/// C: lua_bit.c SBits
type SBits = i32;

/// C: lua_bit.c UBits
type UBits = u32;

/// Converts argument `idx` to the bit type: the low word of the number
/// plus 2^52+2^51. Only a number (or a string Lua converts to one) is
/// accepted; C checks that only when the result is 0.
///
/// C: lua_bit.c barg()
unsafe fn barg(l: *mut lua_State, idx: c_int) -> LuaResult<UBits> {
    let n = ffi::lua_tonumber(l, idx);
    let b = (n + 6755399441055744.0).to_bits() as UBits; // 2^52+2^51
    if b == 0 && ffi::lua_isnumber(l, idx) == 0 {
        return Err(LuaError::Type(idx, c"number"));
    }
    Ok(b)
}

/// Returns the bit type as a Lua number (signed).
///
/// C: lua_bit.c BRET()
unsafe fn bret(l: *mut lua_State, b: UBits) -> LuaResult<c_int> {
    ffi::lua_pushnumber(l, b as SBits as f64);
    Ok(1)
}

/// C: lua_bit.c bit_tobit()
unsafe extern "C-unwind" fn bit_tobit(l: *mut lua_State) -> c_int {
    lua_c_function(l, || bret(l, barg(l, 1)?))
}

/// C: lua_bit.c bit_bnot()
unsafe extern "C-unwind" fn bit_bnot(l: *mut lua_State) -> c_int {
    lua_c_function(l, || bret(l, !barg(l, 1)?))
}

/// band, bor and bxor fold every argument into the first, from the last
/// one down (so the last bad argument is the one reported).
///
/// C: lua_bit.c BIT_OP()
unsafe fn bit_op(l: *mut lua_State, op: fn(UBits, UBits) -> UBits) -> c_int {
    lua_c_function(l, || {
        let mut b = barg(l, 1)?;
        let mut i = ffi::lua_gettop(l);
        while i > 1 {
            b = op(b, barg(l, i)?);
            i -= 1;
        }
        bret(l, b)
    })
}

/// C: lua_bit.c bit_band()
unsafe extern "C-unwind" fn bit_band(l: *mut lua_State) -> c_int {
    bit_op(l, |a, b| a & b)
}

/// C: lua_bit.c bit_bor()
unsafe extern "C-unwind" fn bit_bor(l: *mut lua_State) -> c_int {
    bit_op(l, |a, b| a | b)
}

/// C: lua_bit.c bit_bxor()
unsafe extern "C-unwind" fn bit_bxor(l: *mut lua_State) -> c_int {
    bit_op(l, |a, b| a ^ b)
}

/// The shifts and rotations take the count modulo 32.
///
/// C: lua_bit.c BIT_SH()
unsafe fn bit_sh(l: *mut lua_State, f: fn(UBits, u32) -> UBits) -> c_int {
    lua_c_function(l, || {
        let b = barg(l, 1)?;
        let n = barg(l, 2)? & 31;
        bret(l, f(b, n))
    })
}

/// C: lua_bit.c bit_lshift()
unsafe extern "C-unwind" fn bit_lshift(l: *mut lua_State) -> c_int {
    bit_sh(l, |b, n| b << n)
}

/// C: lua_bit.c bit_rshift()
unsafe extern "C-unwind" fn bit_rshift(l: *mut lua_State) -> c_int {
    bit_sh(l, |b, n| b >> n)
}

/// C: lua_bit.c bit_arshift()
unsafe extern "C-unwind" fn bit_arshift(l: *mut lua_State) -> c_int {
    bit_sh(l, |b, n| ((b as SBits) >> n) as UBits)
}

/// C: lua_bit.c bit_rol()
unsafe extern "C-unwind" fn bit_rol(l: *mut lua_State) -> c_int {
    // C's (b << n) | (b >> (32-n)) shifts by 32 for n = 0, which x86
    // takes as 0: b either way, as rotate_left gives.
    bit_sh(l, |b, n| b.rotate_left(n))
}

/// C: lua_bit.c bit_ror()
unsafe extern "C-unwind" fn bit_ror(l: *mut lua_State) -> c_int {
    bit_sh(l, |b, n| b.rotate_right(n))
}

/// C: lua_bit.c bit_bswap()
unsafe extern "C-unwind" fn bit_bswap(l: *mut lua_State) -> c_int {
    lua_c_function(l, || bret(l, barg(l, 1)?.swap_bytes()))
}

/// `bit.tohex(x [,n])`: the low `n` hex digits of `x` (8 by default, at
/// most 8), upper case when `n` is negative.
///
/// C: lua_bit.c bit_tohex()
unsafe extern "C-unwind" fn bit_tohex(l: *mut lua_State) -> c_int {
    lua_c_function(l, || {
        let mut b = barg(l, 1)?;
        let mut n: SBits = if ffi::lua_type(l, 2) == ffi::LUA_TNONE {
            8
        } else {
            barg(l, 2)? as SBits
        };
        let mut hexdigits = b"0123456789abcdef";
        // Divergence from C: -n overflows for n = INT32_MIN; 5.0.14 then
        // pushes a string of (size_t)INT32_MIN bytes and dies of SIGSEGV.
        // Here it is INT32_MIN+1 (8 upper-case digits), as in BitOp 1.0.3.
        if n == SBits::MIN {
            n = SBits::MIN + 1;
        }
        if n < 0 {
            n = -n;
            hexdigits = b"0123456789ABCDEF";
        }
        if n > 8 {
            n = 8;
        }
        let mut buf = [0u8; 8];
        for i in (0..n as usize).rev() {
            buf[i] = hexdigits[(b & 15) as usize];
            b >>= 4;
        }
        push_bytes(l, &buf[..n as usize]);
        Ok(1)
    })
}

/// C: lua_bit.c bit_funcs
const BIT_FUNCS: &[(&str, ffi::lua_CFunction)] = &[
    ("tobit", bit_tobit),
    ("bnot", bit_bnot),
    ("band", bit_band),
    ("bor", bit_bor),
    ("bxor", bit_bxor),
    ("lshift", bit_lshift),
    ("rshift", bit_rshift),
    ("arshift", bit_arshift),
    ("rol", bit_rol),
    ("ror", bit_ror),
    ("bswap", bit_bswap),
    ("tohex", bit_tohex),
];

/// Registers the `bit` global. C first checks that 2^52+2^51 works on this
/// double layout (little-endian IEEE 754, which every target we build
/// for is); the unit test below checks it instead.
///
/// C: lua_bit.c luaopen_bit()
pub(super) fn luaopen_bit(lua: &Lua) -> mlua::Result<()> {
    super::lauxlib::lual_register(lua, "bit", BIT_FUNCS)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// luaopen_bit()'s self-test: the trick keeps an integer's low word.
    #[test]
    fn barg_trick_passes_luaopen_bits_self_test() {
        let b = (1437217655.0f64 + 6755399441055744.0).to_bits() as UBits;
        assert_eq!(b, 1437217655);
        assert_eq!((-8i32) >> 2, -2);
        // Wraps modulo 2^32 and rounds half to even.
        let w = |n: f64| (n + 6755399441055744.0).to_bits() as UBits;
        assert_eq!(w(4294967296.0 + 5.0), 5);
        assert_eq!(w(-1.0), u32::MAX);
        assert_eq!(w(2.5), 2);
        assert_eq!(w(3.5), 4);
    }
}
