//! The `struct` library scripts see (Roberto Ierusalimschy's struct.c,
//! v1.7 of 2018): `struct.pack(fmt, ...)` turns values into a binary
//! string laid out by a format, `struct.unpack(fmt, s [,pos])` reads them
//! back (plus the position after them), `struct.size(fmt)` is the length
//! of a fixed-size format. The format letters:
//!
//! - `>` big endian, `<` little endian, `![n]` alignment (default 8),
//!   ` ` ignored
//! - `x` a padding byte
//! - `b`/`B` signed/unsigned char, `h`/`H` short, `l`/`L` long, `T` size_t,
//!   `i`/`I[n]` an integer of `n` bytes (default 4, at most 32)
//! - `c[n]` `n` chars (default 1); packing, `c0` is the whole string;
//!   unpacking, `c0` takes its length from the number read just before
//! - `s` a zero-terminated string
//! - `f` float, `d` double
//!
//! Sizes are x86-64 C's. The format stops at its first zero byte, as a C
//! string does. Includes Redis's bounds fixes: `unpack` checks every read
//! against the data's length (CVE-2018-11219), a size past INT_MAX is
//! "integral size overflow" (CVE-2020-14147).
//!
//! Ports deps/lua/src/lua_struct.c from Redis 5.0.14, in the same order.
//! The functions are C functions on Lua's stack, written against mlua's
//! `ffi`; lauxlib.rs says why and what keeps that sound.

use std::ffi::c_int;

use mlua::ffi::{self, lua_State};
use mlua::Lua;

use super::c_double_to_long_long;
use super::lauxlib::{
    c_double_to_size_t, lua_c_function, lual_checklstring, lual_checknumber,
    lual_checkstack, lual_optinteger, push_bytes, LuaError, LuaResult,
};

/// C: lua_struct.c Inttype (long)
type Inttype = i64;

/// C: lua_struct.c Uinttype (unsigned long)
type Uinttype = u64;

/// Maximum size (in bytes) for integral types.
///
/// C: lua_struct.c MAXINTSIZE
const MAXINTSIZE: usize = 32;

/// The alignment of a double in a struct, on x86-64 (PADDING), which is
/// more than `sizeof(int)`.
///
/// C: lua_struct.c MAXALIGN
const MAXALIGN: c_int = 8;

// Endian options.

/// C: lua_struct.c BIG
const BIG: c_int = 0;

/// C: lua_struct.c LITTLE
const LITTLE: c_int = 1;

/// The byte order of this machine, in the terms above.
///
/// C: lua_struct.c native
const NATIVE: c_int = if cfg!(target_endian = "little") { LITTLE } else { BIG };

/// The options that persist along a format.
///
/// C: lua_struct.c Header
struct Header {
    endian: c_int,
    align: c_int,
}

/// Is `x` a power of 2?
///
/// C: lua_struct.c isp2()
fn isp2(x: c_int) -> bool {
    x > 0 && (x & (x - 1)) == 0
}

/// The format's bytes, up to its first zero byte (C reads it as a C
/// string). (no C twin)
fn format_bytes(fmt: &[u8]) -> &[u8] {
    match memchr::memchr(0, fmt) {
        Some(end) => &fmt[..end],
        None => fmt,
    }
}

/// The byte at the format's cursor, if any, and the cursor moved past it.
/// (no C twin: C's `*fmt++`)
fn next_opt(fmt: &mut &[u8]) -> Option<u8> {
    let (&opt, rest) = fmt.split_first()?;
    *fmt = rest;
    Some(opt)
}

/// Reads the number at the format's cursor, or returns `df` if there is
/// none. One that would not fit an int is an error.
///
/// C: lua_struct.c getnum()
fn getnum(fmt: &mut &[u8], df: c_int) -> LuaResult<c_int> {
    if !fmt.first().is_some_and(u8::is_ascii_digit) {
        return Ok(df); // No number? Return the default value.
    }
    let mut a: c_int = 0;
    while let Some(&d) = fmt.first().filter(|d| d.is_ascii_digit()) {
        let d = c_int::from(d - b'0');
        if a > c_int::MAX / 10 || a * 10 > c_int::MAX - d {
            return Err(LuaError::Error(b"integral size overflow".to_vec()));
        }
        a = a * 10 + d;
        *fmt = &fmt[1..];
    }
    Ok(a)
}

/// C: lua_struct.c defaultoptions()
fn defaultoptions() -> Header {
    Header { endian: NATIVE, align: 1 }
}

/// The size of option `opt`, reading its count from the format if it has
/// one; 0 for the options that take no room (and need no alignment).
///
/// C: lua_struct.c optsize()
fn optsize(opt: u8, fmt: &mut &[u8]) -> LuaResult<usize> {
    Ok(match opt {
        b'B' | b'b' => 1, // sizeof(char)
        b'H' | b'h' => 2, // sizeof(short)
        b'L' | b'l' => 8, // sizeof(long)
        b'T' => 8,        // sizeof(size_t)
        b'f' => 4,        // sizeof(float)
        b'd' => 8,        // sizeof(double)
        b'x' => 1,
        b'c' => getnum(fmt, 1)? as usize,
        b'i' | b'I' => {
            let sz = getnum(fmt, 4)?; // sizeof(int)
            if sz as usize > MAXINTSIZE {
                return Err(LuaError::Error(
                    format!(
                        "integral size {sz} is larger than limit of \
                         {MAXINTSIZE}"
                    )
                    .into_bytes(),
                ));
            }
            sz as usize
        }
        _ => 0, // Other cases do not need alignment.
    })
}

/// The number of bytes needed to align an element of size `size` at
/// position `len`: to the smaller of its size and the format's alignment.
/// C computes it for sizes that are not powers of two too; so do we.
///
/// C: lua_struct.c gettoalign()
fn gettoalign(len: usize, h: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(h.align as usize); // Respect max. alignment.
    (size.wrapping_sub(len & (size - 1))) & (size - 1)
}

/// The options that control endianness and alignment; anything else is
/// not an option at all.
///
/// C: lua_struct.c controloptions()
fn controloptions(opt: u8, fmt: &mut &[u8], h: &mut Header) -> LuaResult<()> {
    match opt {
        b' ' => Ok(()), // Ignore white spaces.
        b'>' => {
            h.endian = BIG;
            Ok(())
        }
        b'<' => {
            h.endian = LITTLE;
            Ok(())
        }
        b'!' => {
            let a = getnum(fmt, MAXALIGN)?;
            if !isp2(a) {
                return Err(LuaError::Error(
                    format!("alignment {a} is not a power of 2").into_bytes(),
                ));
            }
            h.align = a;
            Ok(())
        }
        _ => {
            let mut msg = b"invalid format option '".to_vec();
            msg.push(opt);
            msg.push(b'\'');
            Err(LuaError::Arg(1, msg))
        }
    }
}

/// Appends argument `arg` as an integer of `size` bytes: a negative number
/// through C's `(long)` cast, any other through `(unsigned long)`; past 8
/// bytes the value has run out and the bytes are 0.
///
/// C: lua_struct.c putinteger()
unsafe fn putinteger(
    l: *mut lua_State,
    b: &mut Vec<u8>,
    arg: c_int,
    endian: c_int,
    size: usize,
) -> LuaResult<()> {
    let n = lual_checknumber(l, arg)?;
    let mut value: Uinttype = if n < 0.0 {
        c_double_to_long_long(n) as Uinttype
    } else {
        c_double_to_size_t(n)
    };
    let mut buff = [0u8; MAXINTSIZE];
    if endian == LITTLE {
        for byte in buff[..size].iter_mut() {
            *byte = value as u8;
            value >>= 8;
        }
    } else {
        for byte in buff[..size].iter_mut().rev() {
            *byte = value as u8;
            value >>= 8;
        }
    }
    b.extend_from_slice(&buff[..size]);
    Ok(())
}

/// Puts the native bytes of a float or double in the format's byte order.
///
/// C: lua_struct.c correctbytes()
fn correctbytes(b: &mut [u8], endian: c_int) {
    if endian != NATIVE {
        b.reverse();
    }
}

/// `struct.pack(fmt, v1, v2, ...)`.
///
/// C: lua_struct.c b_pack()
unsafe extern "C-unwind" fn b_pack(l: *mut lua_State) -> c_int {
    lua_c_function(l, || {
        let mut fmt = format_bytes(lual_checklstring(l, 1)?);
        let mut h = defaultoptions();
        let mut arg = 2;
        let mut totalsize: usize = 0;
        // C's mark that separates the arguments from its string buffer's
        // pieces on the stack: the first missing argument is found as this
        // nil ("got nil", not "got no value"), and fails, so no piece is
        // ever taken for an argument. The pieces themselves are not kept
        // on the stack here: `b` holds the whole string.
        ffi::lua_pushnil(l);
        let mut b = Vec::new(); // C: luaL_buffinit()
        while let Some(opt) = next_opt(&mut fmt) {
            let mut size = optsize(opt, &mut fmt)?;
            let toalign = gettoalign(totalsize, &h, opt, size);
            totalsize = totalsize.wrapping_add(toalign);
            b.resize(b.len() + toalign, 0);
            match opt {
                b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i'
                | b'I' => {
                    // Integer types.
                    putinteger(l, &mut b, arg, h.endian, size)?;
                    arg += 1;
                }
                b'x' => b.push(0),
                b'f' => {
                    let f = lual_checknumber(l, arg)? as f32;
                    arg += 1;
                    let mut bytes = f.to_ne_bytes();
                    correctbytes(&mut bytes, h.endian);
                    b.extend_from_slice(&bytes[..size]);
                }
                b'd' => {
                    let d = lual_checknumber(l, arg)?;
                    arg += 1;
                    let mut bytes = d.to_ne_bytes();
                    correctbytes(&mut bytes, h.endian);
                    b.extend_from_slice(&bytes[..size]);
                }
                b'c' | b's' => {
                    let s = lual_checklstring(l, arg)?;
                    arg += 1;
                    if size == 0 {
                        size = s.len();
                    }
                    // C checks after moving on, so it names the next
                    // argument.
                    if s.len() < size {
                        return Err(LuaError::Arg(
                            arg,
                            b"string too short".to_vec(),
                        ));
                    }
                    b.extend_from_slice(&s[..size]);
                    if opt == b's' {
                        b.push(0); // Add zero at the end.
                        size += 1;
                    }
                }
                _ => controloptions(opt, &mut fmt, &mut h)?,
            }
            totalsize = totalsize.wrapping_add(size);
        }
        push_bytes(l, &b); // C: luaL_pushresult()
        Ok(1)
    })
}

/// Reads an integer of `buff.len()` bytes. A signed one is sign-extended
/// from its top bit; C's mask is `~0 << (size*8-1)`, which x86 takes
/// modulo 64 past 8 bytes (and for `i0`), and so does this.
///
/// C: lua_struct.c getinteger()
fn getinteger(buff: &[u8], endian: c_int, issigned: bool) -> f64 {
    let size = buff.len();
    let mut l: Uinttype = 0;
    if endian == BIG {
        for &byte in buff {
            l = (l << 8) | Uinttype::from(byte);
        }
    } else {
        for &byte in buff.iter().rev() {
            l = (l << 8) | Uinttype::from(byte);
        }
    }
    if !issigned {
        l as f64
    } else {
        // Signed format.
        let shift = (size as c_int).wrapping_mul(8).wrapping_sub(1);
        let mask = (!(0 as Uinttype)).wrapping_shl(shift as u32);
        if l & mask != 0 {
            l |= mask; // Sign extension.
        }
        l as Inttype as f64
    }
}

/// `struct.unpack(fmt, s [,pos])`: the values, then the position after
/// them.
///
/// C: lua_struct.c b_unpack()
unsafe extern "C-unwind" fn b_unpack(l: *mut lua_State) -> c_int {
    lua_c_function(l, || {
        let mut h = defaultoptions();
        let mut fmt = format_bytes(lual_checklstring(l, 1)?);
        let data = lual_checklstring(l, 2)?;
        let ld = data.len();
        let pos = lual_optinteger(l, 3, 1)? as usize;
        if pos == 0 {
            return Err(LuaError::Arg(
                3,
                b"offset must be 1 or greater".to_vec(),
            ));
        }
        // Lua positions are 1-based, offsets into `data` 0-based.
        let mut pos = pos - 1;
        let mut n: c_int = 0; // Number of results.
        let too_short = || LuaError::Arg(2, b"data string too short".to_vec());
        while let Some(opt) = next_opt(&mut fmt) {
            let mut size = optsize(opt, &mut fmt)?;
            pos = pos.wrapping_add(gettoalign(pos, &h, opt, size));
            if !(size <= ld && pos <= ld - size) {
                return Err(too_short());
            }
            // Stack space for item + next position.
            lual_checkstack(l, 2, "too many results")?;
            match opt {
                b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i'
                | b'I' => {
                    // Integer types.
                    let issigned = opt.is_ascii_lowercase();
                    let res =
                        getinteger(&data[pos..pos + size], h.endian, issigned);
                    ffi::lua_pushnumber(l, res);
                    n += 1;
                }
                b'x' => {}
                b'f' => {
                    let mut bytes = [0u8; 4];
                    bytes.copy_from_slice(&data[pos..pos + 4]);
                    correctbytes(&mut bytes, h.endian);
                    ffi::lua_pushnumber(l, f32::from_ne_bytes(bytes) as f64);
                    n += 1;
                }
                b'd' => {
                    let mut bytes = [0u8; 8];
                    bytes.copy_from_slice(&data[pos..pos + 8]);
                    correctbytes(&mut bytes, h.endian);
                    ffi::lua_pushnumber(l, f64::from_ne_bytes(bytes));
                    n += 1;
                }
                b'c' => {
                    if size == 0 {
                        if n == 0 || ffi::lua_isnumber(l, -1) == 0 {
                            return Err(LuaError::Error(
                                b"format 'c0' needs a previous size".to_vec(),
                            ));
                        }
                        size = c_double_to_size_t(ffi::lua_tonumber(l, -1))
                            as usize;
                        ffi::lua_pop(l, 1);
                        n -= 1;
                        if !(size <= ld && pos <= ld - size) {
                            return Err(too_short());
                        }
                    }
                    push_bytes(l, &data[pos..pos + size]);
                    n += 1;
                }
                b's' => {
                    let Some(len) = memchr::memchr(0, &data[pos..]) else {
                        return Err(LuaError::Error(
                            b"unfinished string in data".to_vec(),
                        ));
                    };
                    size = len + 1;
                    push_bytes(l, &data[pos..pos + len]);
                    n += 1;
                }
                _ => controloptions(opt, &mut fmt, &mut h)?,
            }
            pos = pos.wrapping_add(size);
        }
        ffi::lua_pushinteger(l, pos.wrapping_add(1) as i64); // Next position.
        Ok(n + 1)
    })
}

/// `struct.size(fmt)`: the bytes a format packs into, alignment included.
/// Letters that are not options count nothing here (C only checks the
/// others).
///
/// C: lua_struct.c b_size()
unsafe extern "C-unwind" fn b_size(l: *mut lua_State) -> c_int {
    lua_c_function(l, || {
        let mut h = defaultoptions();
        let mut fmt = format_bytes(lual_checklstring(l, 1)?);
        let mut pos: usize = 0;
        while let Some(opt) = next_opt(&mut fmt) {
            let size = optsize(opt, &mut fmt)?;
            pos = pos.wrapping_add(gettoalign(pos, &h, opt, size));
            if opt == b's' {
                return Err(LuaError::Arg(
                    1,
                    b"option 's' has no fixed size".to_vec(),
                ));
            } else if opt == b'c' && size == 0 {
                return Err(LuaError::Arg(
                    1,
                    b"option 'c0' has no fixed size".to_vec(),
                ));
            }
            if !opt.is_ascii_alphanumeric() {
                controloptions(opt, &mut fmt, &mut h)?;
            }
            pos = pos.wrapping_add(size);
        }
        ffi::lua_pushinteger(l, pos as i64);
        Ok(1)
    })
}

/// C: lua_struct.c thislib
const THISLIB: &[(&str, ffi::lua_CFunction)] =
    &[("pack", b_pack), ("unpack", b_unpack), ("size", b_size)];

/// Registers the `struct` global.
///
/// C: lua_struct.c luaopen_struct()
pub(super) fn luaopen_struct(lua: &Lua) -> mlua::Result<()> {
    super::lauxlib::lual_register(lua, "struct", THISLIB)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getnum_stops_before_int_max_overflows() {
        let mut f: &[u8] = b"2147483647x";
        assert_eq!(getnum(&mut f, 1).ok(), Some(c_int::MAX));
        assert_eq!(f, b"x");
        let mut f: &[u8] = b"2147483648";
        assert!(getnum(&mut f, 1).is_err());
        let mut f: &[u8] = b"x";
        assert_eq!(getnum(&mut f, 7).ok(), Some(7));
    }

    #[test]
    fn gettoalign_respects_the_max_alignment() {
        let h = Header { endian: LITTLE, align: 8 };
        assert_eq!(gettoalign(1, &h, b'i', 4), 3);
        assert_eq!(gettoalign(1, &h, b'd', 8), 7);
        assert_eq!(gettoalign(1, &h, b'c', 8), 0);
        let h = Header { endian: LITTLE, align: 2 };
        assert_eq!(gettoalign(1, &h, b'd', 8), 1);
    }

    #[test]
    fn getinteger_sign_extends_as_x86_shifts() {
        assert_eq!(getinteger(&[0xff, 0xfe], BIG, true), -2.0);
        assert_eq!(getinteger(&[0xff, 0xfe], BIG, false), 65534.0);
        assert_eq!(getinteger(&[0xfe, 0xff], LITTLE, true), -2.0);
        assert_eq!(getinteger(&[], BIG, true), 0.0);
    }
}
