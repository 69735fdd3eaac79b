//! Lua CJSON 2.1.0, the JSON library Redis 5.0.14 bundles and scripts see
//! as the global `cjson`: `cjson.encode`, `cjson.decode`, `cjson.null`,
//! the configuration functions and `cjson.new`.
//!
//! Ports deps/lua/src/lua_cjson.c, with the parts of strbuf.c (the output
//! and temporary string buffers, here `Vec<u8>`) and fpconv.c (strtod() and
//! "%.14g" in the "C" locale, here `object::strtod` and `object::fmt_g`)
//! it uses, in the same order.
//!
//! Divergence from C (whole file): the functions are Lua C functions, as
//! in C, written in Rust against the Lua C API (`mlua::ffi`) rather than
//! through mlua's safe wrappers. They work on the Lua stack as C does, so
//! table traversal order, the `lua_checkstack()` limits behind the nesting
//! errors and the messages of `luaL_error()` / `luaL_argerror()` (with the
//! caller's "user_script:1: " and the function name the call site gives)
//! are those of 5.0.14, and a deep table needs no mlua reference slots.
//!
//! Safety, for every `unsafe fn` here: `l` is the state a cjson function
//! was called with, and the stack holds what the function's comments say
//! (C's own contract for these functions). A Lua error is a longjmp, which
//! must not skip a Rust destructor: every function returns its error as a
//! `Raise` instead, and only the outermost frame raises it (`lua_throw`),
//! once its buffers are dropped. (A memory error raised by Lua itself, from
//! inside an API call, would leak the call's buffers, as it leaks C's.)
//! Lua can run a script's code in the middle of a call (a `__gc`
//! finalizer, during an allocation), and that code can call cjson again:
//! so no call holds a reference into the configuration userdata across a
//! Lua API call. It copies the settings when it starts, owns its buffers,
//! and writes settings through the raw pointer. (C shares the kept encode
//! buffer with such a nested call: a use after free there.)

use std::ffi::{c_char, c_int, CStr};
use std::ptr;

use mlua::ffi::{self, lua_State};
use mlua::Lua;

use crate::object::{fmt_g, strtod};

/// C: lua_cjson.c CJSON_MODNAME
const CJSON_MODNAME: &CStr = c"cjson";
/// C: lua_cjson.c CJSON_VERSION
const CJSON_VERSION: &CStr = c"2.1.0";

/// C: lua_cjson.c DEFAULT_SPARSE_CONVERT
const DEFAULT_SPARSE_CONVERT: c_int = 0;
/// C: lua_cjson.c DEFAULT_SPARSE_RATIO
const DEFAULT_SPARSE_RATIO: c_int = 2;
/// C: lua_cjson.c DEFAULT_SPARSE_SAFE
const DEFAULT_SPARSE_SAFE: c_int = 10;
/// C: lua_cjson.c DEFAULT_ENCODE_MAX_DEPTH
const DEFAULT_ENCODE_MAX_DEPTH: c_int = 1000;
/// C: lua_cjson.c DEFAULT_DECODE_MAX_DEPTH
const DEFAULT_DECODE_MAX_DEPTH: c_int = 1000;
/// C: lua_cjson.c DEFAULT_ENCODE_INVALID_NUMBERS
const DEFAULT_ENCODE_INVALID_NUMBERS: c_int = 0;
/// C: lua_cjson.c DEFAULT_DECODE_INVALID_NUMBERS
const DEFAULT_DECODE_INVALID_NUMBERS: c_int = 1;
/// C: lua_cjson.c DEFAULT_ENCODE_KEEP_BUFFER
const DEFAULT_ENCODE_KEEP_BUFFER: c_int = 1;
/// C: lua_cjson.c DEFAULT_ENCODE_NUMBER_PRECISION
const DEFAULT_ENCODE_NUMBER_PRECISION: c_int = 14;

/// C: lua_cjson.c json_token_type_t
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
enum TokenType {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    String,
    Number,
    Boolean,
    Null,
    Colon,
    Comma,
    End,
    Whitespace,
    Error,
    Unknown,
}

/// The names parse errors give the tokens ("found T_END").
///
/// C: lua_cjson.c json_token_type_name[]
const JSON_TOKEN_TYPE_NAME: [&str; 14] = [
    "T_OBJ_BEGIN",
    "T_OBJ_END",
    "T_ARR_BEGIN",
    "T_ARR_END",
    "T_STRING",
    "T_NUMBER",
    "T_BOOLEAN",
    "T_NULL",
    "T_COLON",
    "T_COMMA",
    "T_END",
    "T_WHITESPACE",
    "T_ERROR",
    "T_UNKNOWN",
];

/// The settings and decoding tables of one `cjson` module table: what C's
/// json_config_t holds besides the encode buffer. (no C twin: split out
/// of json_config_t, so a call can take a copy of it)
#[derive(Clone, Copy)]
struct JsonSettings {
    ch2token: [TokenType; 256],
    /// Decoding.
    escape2char: [u8; 256],

    encode_sparse_convert: c_int,
    encode_sparse_ratio: c_int,
    encode_sparse_safe: c_int,
    encode_max_depth: c_int,
    /// 2 => Encode as "null"
    encode_invalid_numbers: c_int,
    encode_number_precision: c_int,
    encode_keep_buffer: c_int,

    decode_invalid_numbers: c_int,
    decode_max_depth: c_int,
}

/// The configuration userdata every function of a `cjson` table has as
/// its upvalue.
///
/// C: lua_cjson.c json_config_t
struct JsonConfig {
    settings: JsonSettings,
    /// The encode buffer, kept between calls while encode_keep_buffer is
    /// on (C: json_config_t.encode_buf). Divergence from C: a call takes
    /// it out while it runs, so a nested call (see the file doc) gets a
    /// buffer of its own instead of this one.
    encode_buf: Vec<u8>,
}

/// C: lua_cjson.c json_parse_t
struct JsonParse<'a> {
    data: &'a [u8],
    /// Offset of the next byte in `data` (C: a pointer).
    ptr: usize,
    /// Temporary storage for strings.
    tmp: Vec<u8>,
    /// The settings, as the call started.
    cfg: &'a JsonSettings,
    current_depth: c_int,
}

impl JsonParse<'_> {
    /// The byte at `i`, 0 at and past the end: C reads the string Lua
    /// keeps NUL-terminated, so a NUL inside it ends the input there too.
    /// (no C twin)
    fn at(&self, i: usize) -> u8 {
        self.data.get(i).copied().unwrap_or(0)
    }

    /// Whether the input at `i` starts with `w` (C: strncmp()).
    /// (no C twin)
    fn starts_with(&self, i: usize, w: &[u8]) -> bool {
        w.iter().enumerate().all(|(k, &c)| self.at(i + k) == c)
    }

    /// Whether the input at `i` starts with the lowercase `w` in any case
    /// (C: strncasecmp()). (no C twin)
    fn starts_with_nocase(&self, i: usize, w: &[u8]) -> bool {
        w.iter()
            .enumerate()
            .all(|(k, &c)| self.at(i + k).to_ascii_lowercase() == c)
    }
}

/// A token's value. A string's text is in `JsonParse::tmp`.
/// (C: the union in json_token_t)
#[derive(Clone, Copy, Debug)]
enum TokenValue {
    None,
    Number(f64),
    Boolean(bool),
    /// What went wrong, for T_ERROR.
    Error(&'static str),
}

/// C: lua_cjson.c json_token_t
#[derive(Clone, Copy, Debug)]
struct JsonToken {
    ty: TokenType,
    index: usize,
    value: TokenValue,
}

impl JsonToken {
    fn new() -> JsonToken {
        JsonToken { ty: TokenType::End, index: 0, value: TokenValue::None }
    }
}

/// A Lua error a function is about to raise, carried up as a value so
/// that only the outermost frame longjmps (see the file doc). (no C twin)
#[derive(Debug)]
enum Raise {
    /// C's `luaL_error(l, msg)`.
    Error(Vec<u8>),
    /// C's `luaL_argerror(l, narg, msg)` (and failed `luaL_argcheck`s).
    Arg(c_int, Vec<u8>),
}

type JResult<T> = Result<T, Raise>;

fn lua_err(msg: impl Into<Vec<u8>>) -> Raise {
    Raise::Error(msg.into())
}

/// Raises `e` as a Lua error: C's luaL_error() (the caller's position,
/// "user_script:1: ", then the message) or luaL_argerror() ("bad argument
/// #N to 'name' (msg)"). Never returns. The calling frames must own
/// nothing that needs dropping. (no C twin)
unsafe fn lua_throw(l: *mut lua_State, e: Raise) -> ! {
    // The error unwinds this call's stack anyway: emptying it first leaves
    // room for the message. C pushes it onto a stack that may be full (a
    // nesting error), into Lua's EXTRA_STACK reserve, which Lua's API
    // checks reject.
    ffi::lua_settop(l, 0);
    match e {
        Raise::Error(msg) => {
            ffi::luaL_where(l, 1);
            ffi::lua_pushlstring_(l, msg.as_ptr().cast(), msg.len());
            drop(msg);
            ffi::lua_concat(l, 2);
        }
        Raise::Arg(narg, msg) => {
            ffi::lua_pushlstring_(l, msg.as_ptr().cast(), msg.len());
            drop(msg);
            // The message stays on the stack while luaL_argerror uses it.
            let extramsg = ffi::lua_tolstring(l, -1, ptr::null_mut());
            ffi::luaL_argerror(l, narg, extramsg);
        }
    }
    ffi::lua_error(l)
}

/// Runs one of the functions below as a Lua C function: its error, if
/// any, is raised here, where nothing is left to drop. (no C twin)
unsafe fn protect(
    l: *mut lua_State,
    f: unsafe fn(*mut lua_State) -> JResult<c_int>,
) -> c_int {
    match f(l) {
        Ok(n) => n,
        Err(e) => lua_throw(l, e),
    }
}

/// Declares `extern "C-unwind" fn $name` running `$inner` under `protect`.
macro_rules! lua_c_function {
    ($name:ident, $inner:ident) => {
        unsafe extern "C-unwind" fn $name(l: *mut lua_State) -> c_int {
            protect(l, $inner)
        }
    };
}

// ===== CONFIGURATION =====

/// C: lua_cjson.c json_fetch_config()
unsafe fn json_fetch_config(l: *mut lua_State) -> JResult<*mut JsonConfig> {
    let cfg = ffi::lua_touserdata(l, ffi::lua_upvalueindex(1));
    if cfg.is_null() {
        return Err(lua_err("BUG: Unable to fetch CJSON configuration"));
    }
    Ok(cfg.cast())
}

/// Ensure the correct number of arguments have been provided. Pad with
/// nil to allow other functions to simply check arg[i] to find whether an
/// argument was provided.
///
/// C: lua_cjson.c json_arg_init()
unsafe fn json_arg_init(
    l: *mut lua_State,
    args: c_int,
) -> JResult<*mut JsonConfig> {
    if ffi::lua_gettop(l) > args {
        return Err(Raise::Arg(args + 1, b"found too many arguments".to_vec()));
    }
    while ffi::lua_gettop(l) < args {
        ffi::lua_pushnil(l);
    }
    json_fetch_config(l)
}

/// Process integer options for configuration functions. `setting` points
/// into the configuration userdata (see the file doc).
///
/// C: lua_cjson.c json_integer_option()
unsafe fn json_integer_option(
    l: *mut lua_State,
    optindex: c_int,
    setting: *mut c_int,
    min: c_int,
    max: c_int,
) -> JResult<c_int> {
    if ffi::lua_type(l, optindex) != ffi::LUA_TNIL {
        // C: `int value = luaL_checkinteger()`: the low 32 bits of the
        // truncated number (a string that reads as a number counts).
        let value = ffi::luaL_checkinteger(l, optindex) as c_int;
        if !(min <= value && value <= max) {
            // Always argument #1, as C's luaL_argcheck says.
            let errmsg = format!("expected integer between {min} and {max}");
            return Err(Raise::Arg(1, errmsg.into_bytes()));
        }
        *setting = value;
    }
    ffi::lua_pushinteger(l, *setting as ffi::lua_Integer);
    Ok(1)
}

/// Process enumerated arguments for a configuration function: `options`
/// (default "off"/"on"), where a boolean argument stands for 0 or
/// `bool_true`. Pushes the setting, as a boolean when it is one of those.
/// `setting` points into the configuration userdata (see the file doc).
///
/// C: lua_cjson.c json_enum_option()
unsafe fn json_enum_option(
    l: *mut lua_State,
    optindex: c_int,
    setting: *mut c_int,
    options: Option<&[&CStr]>,
    mut bool_true: c_int,
) -> JResult<c_int> {
    const BOOL_OPTIONS: [&CStr; 2] = [c"off", c"on"];
    let options = match options {
        Some(o) => o,
        None => {
            bool_true = 1;
            &BOOL_OPTIONS[..]
        }
    };

    if ffi::lua_type(l, optindex) != ffi::LUA_TNIL {
        if bool_true != 0 && ffi::lua_type(l, optindex) == ffi::LUA_TBOOLEAN {
            *setting = ffi::lua_toboolean(l, optindex) * bool_true;
        } else {
            // luaL_checkoption wants a NULL-terminated list.
            let mut lst = [ptr::null::<c_char>(); 4];
            for (slot, o) in lst.iter_mut().zip(options) {
                *slot = o.as_ptr();
            }
            *setting =
                ffi::luaL_checkoption(l, optindex, ptr::null(), lst.as_ptr());
        }
    }

    if bool_true != 0 && (*setting == 0 || *setting == bool_true) {
        ffi::lua_pushboolean(l, *setting);
    } else {
        let name = options[*setting as usize];
        ffi::lua_pushstring_(l, name.as_ptr());
    }
    Ok(1)
}

/// Configures handling of extremely sparse arrays:
/// convert: Convert extremely sparse arrays into objects? Otherwise error.
/// ratio: 0: always allow sparse; 1: never allow sparse; >1: use ratio
/// safe: Always use an array when the max index <= safe
///
/// C: lua_cjson.c json_cfg_encode_sparse_array()
unsafe fn json_cfg_encode_sparse_array(l: *mut lua_State) -> JResult<c_int> {
    let cfg = &raw mut (*json_arg_init(l, 3)?).settings;

    json_enum_option(l, 1, &raw mut (*cfg).encode_sparse_convert, None, 1)?;
    let ratio = &raw mut (*cfg).encode_sparse_ratio;
    json_integer_option(l, 2, ratio, 0, c_int::MAX)?;
    let safe = &raw mut (*cfg).encode_sparse_safe;
    json_integer_option(l, 3, safe, 0, c_int::MAX)?;

    Ok(3)
}
lua_c_function!(json_cfg_encode_sparse_array_c, json_cfg_encode_sparse_array);

/// Configures the maximum number of nested arrays/objects allowed when
/// encoding.
///
/// C: lua_cjson.c json_cfg_encode_max_depth()
unsafe fn json_cfg_encode_max_depth(l: *mut lua_State) -> JResult<c_int> {
    let cfg = &raw mut (*json_arg_init(l, 1)?).settings;

    json_integer_option(l, 1, &raw mut (*cfg).encode_max_depth, 1, c_int::MAX)
}
lua_c_function!(json_cfg_encode_max_depth_c, json_cfg_encode_max_depth);

/// Configures the maximum number of nested arrays/objects allowed when
/// decoding.
///
/// C: lua_cjson.c json_cfg_decode_max_depth()
unsafe fn json_cfg_decode_max_depth(l: *mut lua_State) -> JResult<c_int> {
    let cfg = &raw mut (*json_arg_init(l, 1)?).settings;

    json_integer_option(l, 1, &raw mut (*cfg).decode_max_depth, 1, c_int::MAX)
}
lua_c_function!(json_cfg_decode_max_depth_c, json_cfg_decode_max_depth);

/// Configures number precision when converting doubles to text.
///
/// C: lua_cjson.c json_cfg_encode_number_precision()
unsafe fn json_cfg_encode_number_precision(
    l: *mut lua_State,
) -> JResult<c_int> {
    let cfg = &raw mut (*json_arg_init(l, 1)?).settings;

    json_integer_option(l, 1, &raw mut (*cfg).encode_number_precision, 1, 14)
}
lua_c_function!(
    json_cfg_encode_number_precision_c,
    json_cfg_encode_number_precision
);

/// Configures JSON encoding buffer persistence.
///
/// C: lua_cjson.c json_cfg_encode_keep_buffer()
unsafe fn json_cfg_encode_keep_buffer(l: *mut lua_State) -> JResult<c_int> {
    let cfg = json_arg_init(l, 1)?;

    let old_value = (*cfg).settings.encode_keep_buffer;

    let keep = &raw mut (*cfg).settings.encode_keep_buffer;
    json_enum_option(l, 1, keep, None, 1)?;

    // Init / free the buffer if the setting has changed (either way it
    // starts empty).
    if old_value ^ (*cfg).settings.encode_keep_buffer != 0 {
        (*cfg).encode_buf = Vec::new();
    }

    Ok(1)
}
lua_c_function!(json_cfg_encode_keep_buffer_c, json_cfg_encode_keep_buffer);

/// C: lua_cjson.c json_cfg_encode_invalid_numbers()
unsafe fn json_cfg_encode_invalid_numbers(l: *mut lua_State) -> JResult<c_int> {
    const OPTIONS: [&CStr; 3] = [c"off", c"on", c"null"];
    let cfg = &raw mut (*json_arg_init(l, 1)?).settings;

    let setting = &raw mut (*cfg).encode_invalid_numbers;
    json_enum_option(l, 1, setting, Some(&OPTIONS[..]), 1)?;

    // C's json_verify_invalid_number_setting() is a no-op in Redis's
    // build (DISABLE_INVALID_NUMBERS is not defined).
    Ok(1)
}
lua_c_function!(
    json_cfg_encode_invalid_numbers_c,
    json_cfg_encode_invalid_numbers
);

/// C: lua_cjson.c json_cfg_decode_invalid_numbers()
unsafe fn json_cfg_decode_invalid_numbers(l: *mut lua_State) -> JResult<c_int> {
    let cfg = &raw mut (*json_arg_init(l, 1)?).settings;

    let setting = &raw mut (*cfg).decode_invalid_numbers;
    json_enum_option(l, 1, setting, None, 1)?;

    Ok(1)
}
lua_c_function!(
    json_cfg_decode_invalid_numbers_c,
    json_cfg_decode_invalid_numbers
);

/// The configuration's `__gc`: frees the buffers. Idempotent, so a second
/// call cannot free twice.
///
/// C: lua_cjson.c json_destroy_config()
unsafe extern "C-unwind" fn json_destroy_config(l: *mut lua_State) -> c_int {
    let cfg = ffi::lua_touserdata(l, 1).cast::<JsonConfig>();
    if !cfg.is_null() {
        (*cfg).encode_buf = Vec::new();
    }
    0
}

impl JsonSettings {
    /// The defaults and the decoding tables.
    /// (C: the body of json_create_config())
    fn new() -> JsonSettings {
        // Tag all characters as an error
        let mut ch2token = [TokenType::Error; 256];

        // Set tokens that require no further processing
        ch2token[b'{' as usize] = TokenType::ObjBegin;
        ch2token[b'}' as usize] = TokenType::ObjEnd;
        ch2token[b'[' as usize] = TokenType::ArrBegin;
        ch2token[b']' as usize] = TokenType::ArrEnd;
        ch2token[b',' as usize] = TokenType::Comma;
        ch2token[b':' as usize] = TokenType::Colon;
        ch2token[0] = TokenType::End;
        for ws in [b' ', b'\t', b'\n', b'\r'] {
            ch2token[ws as usize] = TokenType::Whitespace;
        }

        // Update characters that require further processing: false?
        // inf, infinity? null, nan? true? string? numbers?
        for c in *b"fiInNt\"+-0123456789" {
            ch2token[c as usize] = TokenType::Unknown;
        }

        // Lookup table for parsing escape characters; 0 is a string error.
        let mut escape2char = [0u8; 256];
        escape2char[b'"' as usize] = b'"';
        escape2char[b'\\' as usize] = b'\\';
        escape2char[b'/' as usize] = b'/';
        escape2char[b'b' as usize] = b'\x08';
        escape2char[b't' as usize] = b'\t';
        escape2char[b'n' as usize] = b'\n';
        escape2char[b'f' as usize] = b'\x0c';
        escape2char[b'r' as usize] = b'\r';
        escape2char[b'u' as usize] = b'u'; // Unicode parsing required

        JsonSettings {
            ch2token,
            escape2char,
            encode_sparse_convert: DEFAULT_SPARSE_CONVERT,
            encode_sparse_ratio: DEFAULT_SPARSE_RATIO,
            encode_sparse_safe: DEFAULT_SPARSE_SAFE,
            encode_max_depth: DEFAULT_ENCODE_MAX_DEPTH,
            encode_invalid_numbers: DEFAULT_ENCODE_INVALID_NUMBERS,
            encode_number_precision: DEFAULT_ENCODE_NUMBER_PRECISION,
            encode_keep_buffer: DEFAULT_ENCODE_KEEP_BUFFER,
            decode_invalid_numbers: DEFAULT_DECODE_INVALID_NUMBERS,
            decode_max_depth: DEFAULT_DECODE_MAX_DEPTH,
        }
    }
}

/// Pushes a new configuration userdata, with the `__gc` that frees its
/// buffers.
///
/// C: lua_cjson.c json_create_config()
unsafe fn json_create_config(l: *mut lua_State) {
    let cfg = ffi::lua_newuserdata(l, std::mem::size_of::<JsonConfig>())
        .cast::<JsonConfig>();
    // Lua aligns userdata for a double, a pointer or a long: 8 bytes.
    debug_assert!(cfg.align_offset(std::mem::align_of::<JsonConfig>()) == 0);
    // Nothing here allocates (the buffers start empty), so a memory error
    // in the lines below leaks nothing.
    ptr::write(
        cfg,
        JsonConfig { settings: JsonSettings::new(), encode_buf: Vec::new() },
    );

    // Create GC method to clean up the buffers
    ffi::lua_createtable(l, 0, 0);
    ffi::lua_pushcclosure(l, json_destroy_config, 0);
    ffi::lua_setfield(l, -2, c"__gc".as_ptr());
    ffi::lua_setmetatable(l, -2);
}

// ===== ENCODING =====

/// "Cannot serialise <type of the value at lindex>: <reason>".
///
/// C: lua_cjson.c json_encode_exception()
unsafe fn json_encode_exception(
    l: *mut lua_State,
    lindex: c_int,
    reason: &str,
) -> Raise {
    let tname = CStr::from_ptr(ffi::lua_typename(l, ffi::lua_type(l, lindex)));
    let mut msg = b"Cannot serialise ".to_vec();
    msg.extend_from_slice(tname.to_bytes());
    msg.extend_from_slice(b": ");
    msg.extend_from_slice(reason.as_bytes());
    lua_err(msg)
}

/// How lua-cjson writes a byte inside a JSON string: control characters
/// and DEL as \u00XX (or their short escapes), '"', '\\' and also '/'
/// escaped; `None` for a byte written as it is (bytes >= 0x80 too: the
/// input is not checked for UTF-8).
///
/// C: lua_cjson.c char2escape[]
fn char2escape(c: u8) -> Option<&'static [u8]> {
    const CONTROL: [&[u8]; 32] = [
        b"\\u0000", b"\\u0001", b"\\u0002", b"\\u0003", b"\\u0004", b"\\u0005",
        b"\\u0006", b"\\u0007", b"\\b", b"\\t", b"\\n", b"\\u000b", b"\\f",
        b"\\r", b"\\u000e", b"\\u000f", b"\\u0010", b"\\u0011", b"\\u0012",
        b"\\u0013", b"\\u0014", b"\\u0015", b"\\u0016", b"\\u0017", b"\\u0018",
        b"\\u0019", b"\\u001a", b"\\u001b", b"\\u001c", b"\\u001d", b"\\u001e",
        b"\\u001f",
    ];
    match c {
        0..=0x1f => Some(CONTROL[c as usize]),
        b'"' => Some(b"\\\""),
        b'/' => Some(b"\\/"),
        b'\\' => Some(b"\\\\"),
        0x7f => Some(b"\\u007f"),
        _ => None,
    }
}

/// The longest encode output. C's strbuf keeps its size in an int that
/// doubles from 1023: past 1023 * 2^21 bytes it overflows, and C loops
/// forever or aborts. (no C twin)
const ENCODE_MAX_LEN: usize = 1023 << 21;

/// Errors once the output is past `ENCODE_MAX_LEN`. (no C twin)
fn json_check_encode_len(json: &[u8]) -> JResult<()> {
    // Divergence from C: where C's buffer size overflows (see above), an
    // error here; a script could otherwise make the server build a 10 GB
    // string (a sparse array of 2^31 nulls) and die of it.
    if json.len() > ENCODE_MAX_LEN {
        return Err(lua_err("Cannot serialise, output too large"));
    }
    Ok(())
}

/// Appends the string at `lindex` (left on the stack), quoted and
/// escaped.
///
/// C: lua_cjson.c json_append_string()
unsafe fn json_append_string(
    l: *mut lua_State,
    json: &mut Vec<u8>,
    lindex: c_int,
) -> JResult<()> {
    let mut len = 0usize;
    let s = ffi::lua_tolstring(l, lindex, &mut len);
    let s = std::slice::from_raw_parts(s.cast::<u8>(), len);

    // Divergence from C: C reserves the worst case, len * 6 + 2 (and its
    // int arithmetic overflows past 357 MB); the buffer grows as needed
    // here instead, and the length is checked every 64 KB.
    json.reserve(len + 2);

    json.push(b'"');
    for chunk in s.chunks(1 << 16) {
        for &c in chunk {
            match char2escape(c) {
                Some(escstr) => json.extend_from_slice(escstr),
                None => json.push(c),
            }
        }
        json_check_encode_len(json)?;
    }
    json.push(b'"');
    Ok(())
}

/// C's `(int)` cast of a double as gcc compiles it on x86-64
/// (cvttsd2si): out of range it is INT_MIN. (no C twin)
fn double_to_int(k: f64) -> c_int {
    if (-2147483648.0..2147483648.0).contains(&k) {
        k as c_int
    } else {
        c_int::MIN
    }
}

/// Find the size of the array on the top of the Lua stack:
/// -1 for an object (not a pure array), else the elements in the array
/// (its highest index). Errors on an excessively sparse array unless
/// encode_sparse_convert is on (then it is an object).
///
/// C: lua_cjson.c lua_array_length()
unsafe fn lua_array_length(
    l: *mut lua_State,
    cfg: &JsonSettings,
) -> JResult<c_int> {
    let mut max: c_int = 0;
    let mut items: c_int = 0;

    ffi::lua_pushnil(l);
    // table, startkey
    while ffi::lua_next(l, -2) != 0 {
        // table, key, value
        if ffi::lua_type(l, -2) == ffi::LUA_TNUMBER {
            let k = ffi::lua_tonumber(l, -2);
            // Integer >= 1 ?
            if k != 0.0 && k.floor() == k && k >= 1.0 {
                if k > max as f64 {
                    // C: `max = k`, an int (INT_MIN past its range).
                    max = double_to_int(k);
                }
                items = items.wrapping_add(1);
                ffi::lua_settop(l, -2);
                continue;
            }
        }

        // Must not be an array (non integer key)
        ffi::lua_settop(l, -3);
        return Ok(-1);
    }

    // Encode excessively sparse arrays as objects (if enabled)
    if cfg.encode_sparse_ratio > 0
        && max > items.wrapping_mul(cfg.encode_sparse_ratio)
        && max > cfg.encode_sparse_safe
    {
        if cfg.encode_sparse_convert == 0 {
            return Err(json_encode_exception(
                l,
                -1,
                "excessively sparse array",
            ));
        }
        return Ok(-1);
    }

    Ok(max)
}

/// Errors past encode_max_depth, or when the Lua stack has no room for
/// traversing one more table (a key, a value and an error message).
///
/// C: lua_cjson.c json_check_encode_depth()
unsafe fn json_check_encode_depth(
    l: *mut lua_State,
    cfg: &JsonSettings,
    current_depth: c_int,
) -> JResult<()> {
    if current_depth <= cfg.encode_max_depth && ffi::lua_checkstack(l, 3) != 0 {
        return Ok(());
    }
    Err(lua_err(format!(
        "Cannot serialise, excessive nesting ({current_depth})"
    )))
}

/// Appends the array on the top of the stack, elements 1..=array_length
/// (a missing one is `null`).
///
/// C: lua_cjson.c json_append_array()
unsafe fn json_append_array(
    l: *mut lua_State,
    cfg: &JsonSettings,
    current_depth: c_int,
    json: &mut Vec<u8>,
    array_length: c_int,
) -> JResult<()> {
    json.push(b'[');

    for i in 1..=array_length {
        if i > 1 {
            json.push(b',');
        }
        ffi::lua_rawgeti_(l, -1, i);
        json_append_data(l, cfg, current_depth, json)?;
        ffi::lua_settop(l, -2);
    }

    json.push(b']');
    Ok(())
}

/// Appends the number at `lindex`: "%.14g" (encode_number_precision), and
/// inf/nan as encode_invalid_numbers says (an error, "inf"/"nan", or
/// "null").
///
/// C: lua_cjson.c json_append_number()
unsafe fn json_append_number(
    l: *mut lua_State,
    cfg: &JsonSettings,
    json: &mut Vec<u8>,
    lindex: c_int,
) -> JResult<()> {
    let num = ffi::lua_tonumber(l, lindex);

    if cfg.encode_invalid_numbers == 0 {
        // Prevent encoding invalid numbers
        if num.is_infinite() || num.is_nan() {
            return Err(json_encode_exception(
                l,
                lindex,
                "must not be NaN or Inf",
            ));
        }
    } else if cfg.encode_invalid_numbers == 1 {
        // Encode invalid numbers, but handle "nan" separately since some
        // platforms may encode as "-nan".
        if num.is_nan() {
            json.extend_from_slice(b"nan");
            return Ok(());
        }
    } else {
        // Encode invalid numbers as "null"
        if num.is_infinite() || num.is_nan() {
            json.extend_from_slice(b"null");
            return Ok(());
        }
    }

    // C: fpconv_g_fmt(), "%.<precision>g" ("inf" and "-inf" included).
    let precision = cfg.encode_number_precision as usize;
    json.extend_from_slice(fmt_g(num, precision).as_bytes());
    Ok(())
}

/// Appends the table on the top of the stack as an object: number and
/// string keys only, numbers formatted as numbers, in `lua_next` order.
///
/// C: lua_cjson.c json_append_object()
unsafe fn json_append_object(
    l: *mut lua_State,
    cfg: &JsonSettings,
    current_depth: c_int,
    json: &mut Vec<u8>,
) -> JResult<()> {
    json.push(b'{');

    ffi::lua_pushnil(l);
    // table, startkey
    let mut comma = false;
    while ffi::lua_next(l, -2) != 0 {
        if comma {
            json.push(b',');
        } else {
            comma = true;
        }

        // table, key, value
        let keytype = ffi::lua_type(l, -2);
        if keytype == ffi::LUA_TNUMBER {
            json.push(b'"');
            json_append_number(l, cfg, json, -2)?;
            json.extend_from_slice(b"\":");
        } else if keytype == ffi::LUA_TSTRING {
            json_append_string(l, json, -2)?;
            json.push(b':');
        } else {
            return Err(json_encode_exception(
                l,
                -2,
                "table key must be a number or string",
            ));
        }

        // table, key, value
        json_append_data(l, cfg, current_depth, json)?;
        ffi::lua_settop(l, -2);
        // table, key
    }

    json.push(b'}');
    Ok(())
}

/// Serialise the Lua value on the top of the stack into JSON.
///
/// C: lua_cjson.c json_append_data()
unsafe fn json_append_data(
    l: *mut lua_State,
    cfg: &JsonSettings,
    mut current_depth: c_int,
    json: &mut Vec<u8>,
) -> JResult<()> {
    match ffi::lua_type(l, -1) {
        ffi::LUA_TSTRING => json_append_string(l, json, -1)?,
        ffi::LUA_TNUMBER => json_append_number(l, cfg, json, -1)?,
        ffi::LUA_TBOOLEAN => {
            if ffi::lua_toboolean(l, -1) != 0 {
                json.extend_from_slice(b"true");
            } else {
                json.extend_from_slice(b"false");
            }
        }
        ffi::LUA_TTABLE => {
            current_depth = current_depth.wrapping_add(1);
            json_check_encode_depth(l, cfg, current_depth)?;
            let len = lua_array_length(l, cfg)?;
            if len > 0 {
                json_append_array(l, cfg, current_depth, json, len)?;
            } else {
                json_append_object(l, cfg, current_depth, json)?;
            }
        }
        ffi::LUA_TNIL => json.extend_from_slice(b"null"),
        // cjson.null (and any NULL light userdata)
        ffi::LUA_TLIGHTUSERDATA if ffi::lua_touserdata(l, -1).is_null() => {
            json.extend_from_slice(b"null");
        }
        // Remaining types (LUA_TFUNCTION, LUA_TUSERDATA, LUA_TTHREAD,
        // and LUA_TLIGHTUSERDATA) cannot be serialised
        _ => return Err(json_encode_exception(l, -1, "type not supported")),
    }
    json_check_encode_len(json)
}

/// `cjson.encode(value)`: the JSON text of a Lua value.
///
/// C: lua_cjson.c json_encode()
unsafe fn json_encode(l: *mut lua_State) -> JResult<c_int> {
    let cfg = json_fetch_config(l)?;

    if ffi::lua_gettop(l) != 1 {
        return Err(Raise::Arg(1, b"expected 1 argument".to_vec()));
    }

    // Reuse the kept buffer (encode_keep_buffer; empty otherwise), taken
    // out of the configuration while this call runs (see the file doc).
    let settings = (*cfg).settings;
    let mut encode_buf = std::mem::take(&mut (*cfg).encode_buf);
    encode_buf.clear();

    let r = json_append_data(l, &settings, 0, &mut encode_buf);
    if r.is_ok() {
        ffi::lua_pushlstring_(l, encode_buf.as_ptr().cast(), encode_buf.len());
    }

    // Keep the buffer, or free it, as the setting is now. Divergence from
    // C: not after an error (C keeps it), which may have left it huge.
    if r.is_ok() && (*cfg).settings.encode_keep_buffer != 0 {
        (*cfg).encode_buf = encode_buf;
    } else {
        drop(encode_buf);
    }

    r.map(|()| 1)
}
lua_c_function!(json_encode_c, json_encode);

// ===== DECODING =====

/// C: lua_cjson.c hexdigit2int()
fn hexdigit2int(hex: u8) -> Option<u32> {
    (hex as char).to_digit(16)
}

/// The code unit of the 4 hex digits at `i` (a NUL, at the end, is not a
/// digit).
///
/// C: lua_cjson.c decode_hex4()
fn decode_hex4(json: &JsonParse, i: usize) -> Option<u32> {
    let mut v = 0;
    for k in 0..4 {
        v = v << 4 | hexdigit2int(json.at(i + k))?;
    }
    Some(v)
}

/// Converts a Unicode codepoint to UTF-8: up to 4 bytes, their count
/// (0 above 0x1FFFFF).
///
/// C: lua_cjson.c codepoint_to_utf8()
fn codepoint_to_utf8(utf8: &mut [u8; 4], codepoint: u32) -> usize {
    // 0xxxxxxx
    if codepoint <= 0x7F {
        utf8[0] = codepoint as u8;
        return 1;
    }

    // 110xxxxx 10xxxxxx
    if codepoint <= 0x7FF {
        utf8[0] = ((codepoint >> 6) | 0xC0) as u8;
        utf8[1] = ((codepoint & 0x3F) | 0x80) as u8;
        return 2;
    }

    // 1110xxxx 10xxxxxx 10xxxxxx
    if codepoint <= 0xFFFF {
        utf8[0] = ((codepoint >> 12) | 0xE0) as u8;
        utf8[1] = (((codepoint >> 6) & 0x3F) | 0x80) as u8;
        utf8[2] = ((codepoint & 0x3F) | 0x80) as u8;
        return 3;
    }

    // 11110xxx 10xxxxxx 10xxxxxx 10xxxxxx
    if codepoint <= 0x1FFFFF {
        utf8[0] = ((codepoint >> 18) | 0xF0) as u8;
        utf8[1] = (((codepoint >> 12) & 0x3F) | 0x80) as u8;
        utf8[2] = (((codepoint >> 6) & 0x3F) | 0x80) as u8;
        utf8[3] = ((codepoint & 0x3F) | 0x80) as u8;
        return 4;
    }

    0
}

/// At a `\uXXXX` escape (the hex digits may be missing): appends its
/// UTF-8 to the token string, a surrogate pair as one code point, and
/// moves past it. `Err` for bad hex, a lone or reversed surrogate.
///
/// C: lua_cjson.c json_append_unicode_escape()
fn json_append_unicode_escape(json: &mut JsonParse) -> Result<(), ()> {
    let mut utf8 = [0u8; 4]; // Surrogate pairs require 4 UTF-8 bytes
    let mut escape_len = 6;

    // Fetch UTF-16 code unit
    let mut codepoint = decode_hex4(json, json.ptr + 2).ok_or(())?;

    // UTF-16 surrogate pairs take the following 2 byte form:
    //      11011 x yyyyyyyyyy
    // When x = 0: y is the high 10 bits of the codepoint
    //      x = 1: y is the low 10 bits of the codepoint
    //
    // Check for a surrogate pair (high or low)
    if (codepoint & 0xF800) == 0xD800 {
        // Error if the 1st surrogate is not high
        if codepoint & 0x400 != 0 {
            return Err(());
        }

        // Ensure the next code is a unicode escape
        if json.at(json.ptr + escape_len) != b'\\'
            || json.at(json.ptr + escape_len + 1) != b'u'
        {
            return Err(());
        }

        // Fetch the next codepoint
        let surrogate_low =
            decode_hex4(json, json.ptr + 2 + escape_len).ok_or(())?;

        // Error if the 2nd code is not a low surrogate
        if (surrogate_low & 0xFC00) != 0xDC00 {
            return Err(());
        }

        // Calculate Unicode codepoint
        codepoint =
            (((codepoint & 0x3FF) << 10) | (surrogate_low & 0x3FF)) + 0x10000;
        escape_len = 12;
    }

    // Convert codepoint to UTF-8
    let len = codepoint_to_utf8(&mut utf8, codepoint);
    if len == 0 {
        return Err(());
    }

    // Append bytes and advance parse index
    json.tmp.extend_from_slice(&utf8[..len]);
    json.ptr += escape_len;

    Ok(())
}

/// Makes `token` a T_ERROR at the current position.
///
/// C: lua_cjson.c json_set_token_error()
fn json_set_token_error(
    token: &mut JsonToken,
    json: &JsonParse,
    errtype: &'static str,
) {
    token.ty = TokenType::Error;
    token.index = json.ptr;
    token.value = TokenValue::Error(errtype);
}

/// Reads the string at the '"' into the temporary buffer, unescaping.
///
/// C: lua_cjson.c json_next_string_token()
fn json_next_string_token(json: &mut JsonParse, token: &mut JsonToken) {
    let cfg: &JsonSettings = json.cfg;

    // Caller must ensure a string is next
    debug_assert_eq!(json.at(json.ptr), b'"');

    // Skip "
    json.ptr += 1;

    // json.tmp is the temporary buffer used to accumulate the decoded
    // string value.
    json.tmp.clear();

    loop {
        let mut ch = json.at(json.ptr);
        if ch == b'"' {
            break;
        }
        if ch == 0 {
            // Premature end of the string
            json_set_token_error(token, json, "unexpected end of string");
            return;
        }

        // Handle escapes
        if ch == b'\\' {
            // Fetch escape character, and translate it
            ch = cfg.escape2char[json.at(json.ptr + 1) as usize];
            if ch == b'u' {
                if json_append_unicode_escape(json).is_ok() {
                    continue;
                }

                json_set_token_error(
                    token,
                    json,
                    "invalid unicode escape code",
                );
                return;
            }
            if ch == 0 {
                json_set_token_error(token, json, "invalid escape code");
                return;
            }

            // Skip '\'
            json.ptr += 1;
        }
        // Append normal character or translated single character
        // Unicode escapes are handled above
        json.tmp.push(ch);
        json.ptr += 1;
    }
    json.ptr += 1; // Eat final quote (")

    token.ty = TokenType::String;
    token.value = TokenValue::None;
}

/// JSON numbers should take the following form:
///      -?(0|[1-9]|[1-9][0-9]+)(.[0-9]+)?([eE][-+]?[0-9]+)?
///
/// json_next_number_token() uses strtod() which allows other forms:
/// numbers starting with '+', NaN, -NaN, infinity, -infinity, hexadecimal
/// numbers, numbers with leading zeros. This detects "numbers" which may
/// pass strtod()'s error checking, but should not be allowed with strict
/// JSON. It may pass numbers which cause strtod() to generate an error.
///
/// C: lua_cjson.c json_is_invalid_number()
fn json_is_invalid_number(json: &JsonParse) -> bool {
    let mut p = json.ptr;

    // Reject numbers starting with +
    if json.at(p) == b'+' {
        return true;
    }

    // Skip minus sign if it exists
    if json.at(p) == b'-' {
        p += 1;
    }

    // Reject numbers starting with 0x, or leading zeros
    if json.at(p) == b'0' {
        let ch2 = json.at(p + 1);
        // Hex, or a leading zero
        return (ch2 | 0x20) == b'x' || ch2.is_ascii_digit();
    } else if json.at(p) as i8 <= b'9' as i8 {
        // C compares a (signed) char: bytes >= 0x80 pass too.
        return false; // Ordinary number
    }

    // Reject inf/nan
    if json.starts_with_nocase(p, b"inf") || json.starts_with_nocase(p, b"nan")
    {
        return true;
    }

    // Pass all other numbers which may still be invalid, but strtod()
    // will catch them.
    false
}

/// Reads the number at the current position with strtod().
///
/// C: lua_cjson.c json_next_number_token()
fn json_next_number_token(json: &mut JsonParse, token: &mut JsonToken) {
    // C: fpconv_strtod(), strtod() in the "C" locale. It stops at the
    // first byte that is no part of a number, a NUL included, so it reads
    // the same from the rest of the input.
    let r = strtod(&json.data[json.ptr.min(json.data.len())..]);
    token.ty = TokenType::Number;
    token.value = TokenValue::Number(r.value);
    if r.consumed == 0 {
        json_set_token_error(token, json, "invalid number");
    } else {
        json.ptr += r.consumed; // Skip the processed number
    }
}

/// Fills in the token struct. A T_STRING's text is in `json.tmp`; a
/// T_ERROR leaves `json.ptr` at the error.
///
/// C: lua_cjson.c json_next_token()
fn json_next_token(json: &mut JsonParse, token: &mut JsonToken) {
    let cfg: &JsonSettings = json.cfg;

    // Eat whitespace.
    let mut ch;
    loop {
        ch = json.at(json.ptr);
        token.ty = cfg.ch2token[ch as usize];
        if token.ty != TokenType::Whitespace {
            break;
        }
        json.ptr += 1;
    }

    // Store location of new token. Required when throwing errors for
    // unexpected tokens (syntax errors).
    token.index = json.ptr;
    token.value = TokenValue::None;

    // Don't advance the pointer for an error or the end
    if token.ty == TokenType::Error {
        json_set_token_error(token, json, "invalid token");
        return;
    }

    if token.ty == TokenType::End {
        return;
    }

    // Found a known single character token, advance index and return
    if token.ty != TokenType::Unknown {
        json.ptr += 1;
        return;
    }

    // Process characters which triggered T_UNKNOWN. JSON identifiers must
    // be lowercase (strncmp); Infinity/NaN may be any case.
    if ch == b'"' {
        json_next_string_token(json, token);
    } else if ch == b'-' || ch.is_ascii_digit() {
        if json.cfg.decode_invalid_numbers == 0 && json_is_invalid_number(json)
        {
            json_set_token_error(token, json, "invalid number");
            return;
        }
        json_next_number_token(json, token);
    } else if json.starts_with(json.ptr, b"true") {
        token.ty = TokenType::Boolean;
        token.value = TokenValue::Boolean(true);
        json.ptr += 4;
    } else if json.starts_with(json.ptr, b"false") {
        token.ty = TokenType::Boolean;
        token.value = TokenValue::Boolean(false);
        json.ptr += 5;
    } else if json.starts_with(json.ptr, b"null") {
        token.ty = TokenType::Null;
        json.ptr += 4;
    } else if json.cfg.decode_invalid_numbers != 0
        && json_is_invalid_number(json)
    {
        // When decode_invalid_numbers is enabled, only attempt to process
        // numbers we know are invalid JSON (Inf, NaN, hex). This is
        // required to generate an appropriate token error, otherwise all
        // bad tokens will register as "invalid number".
        json_next_number_token(json, token);
    } else {
        // Token starts with t/f/n but isn't recognised above.
        json_set_token_error(token, json, "invalid token");
    }
}

/// "Expected <exp> but found <token> at character <1-based position>".
///
/// C: lua_cjson.c json_throw_parse_error()
fn json_throw_parse_error(exp: &str, token: &JsonToken) -> Raise {
    let found = match (token.ty, token.value) {
        (TokenType::Error, TokenValue::Error(e)) => e,
        (ty, _) => JSON_TOKEN_TYPE_NAME[ty as usize],
    };

    // Note: token.index is 0 based, display starting from 1 (C: an int).
    let at = (token.index as c_int).wrapping_add(1);
    lua_err(format!("Expected {exp} but found {found} at character {at}"))
}

/// C: lua_cjson.c json_decode_ascend()
fn json_decode_ascend(json: &mut JsonParse) {
    json.current_depth -= 1;
}

/// One level deeper: errors past decode_max_depth, or when the Lua stack
/// has no room for `slots` more values.
///
/// C: lua_cjson.c json_decode_descend()
unsafe fn json_decode_descend(
    l: *mut lua_State,
    json: &mut JsonParse,
    slots: c_int,
) -> JResult<()> {
    json.current_depth = json.current_depth.wrapping_add(1);

    if json.current_depth <= json.cfg.decode_max_depth
        && ffi::lua_checkstack(l, slots) != 0
    {
        return Ok(());
    }

    // C passes a ptrdiff_t where "%d" reads an int: its low 32 bits. And
    // this position is 0-based, unlike the parse errors'.
    Err(lua_err(format!(
        "Found too many nested data structures ({}) at character {}",
        json.current_depth, json.ptr as c_int
    )))
}

/// Pushes the object whose '{' was just read.
///
/// C: lua_cjson.c json_parse_object_context()
unsafe fn json_parse_object_context(
    l: *mut lua_State,
    json: &mut JsonParse,
) -> JResult<()> {
    let mut token = JsonToken::new();

    // 3 slots required: .., table, key, value
    json_decode_descend(l, json, 3)?;

    ffi::lua_createtable(l, 0, 0);

    json_next_token(json, &mut token);

    // Handle empty objects
    if token.ty == TokenType::ObjEnd {
        json_decode_ascend(json);
        return Ok(());
    }

    loop {
        if token.ty != TokenType::String {
            return Err(json_throw_parse_error("object key string", &token));
        }

        // Push key
        ffi::lua_pushlstring_(l, json.tmp.as_ptr().cast(), json.tmp.len());

        json_next_token(json, &mut token);
        if token.ty != TokenType::Colon {
            return Err(json_throw_parse_error("colon", &token));
        }

        // Fetch value
        json_next_token(json, &mut token);
        json_process_value(l, json, &token)?;

        // Set key = value
        ffi::lua_rawset(l, -3);

        json_next_token(json, &mut token);

        if token.ty == TokenType::ObjEnd {
            json_decode_ascend(json);
            return Ok(());
        }

        if token.ty != TokenType::Comma {
            return Err(json_throw_parse_error("comma or object end", &token));
        }

        json_next_token(json, &mut token);
    }
}

/// Pushes the array whose '[' was just read.
///
/// C: lua_cjson.c json_parse_array_context()
unsafe fn json_parse_array_context(
    l: *mut lua_State,
    json: &mut JsonParse,
) -> JResult<()> {
    let mut token = JsonToken::new();

    // 2 slots required: .., table, value
    json_decode_descend(l, json, 2)?;

    ffi::lua_createtable(l, 0, 0);

    json_next_token(json, &mut token);

    // Handle empty arrays
    if token.ty == TokenType::ArrEnd {
        json_decode_ascend(json);
        return Ok(());
    }

    let mut i: c_int = 1;
    loop {
        json_process_value(l, json, &token)?;
        ffi::lua_rawseti_(l, -2, i); // arr[i] = value

        json_next_token(json, &mut token);

        if token.ty == TokenType::ArrEnd {
            json_decode_ascend(json);
            return Ok(());
        }

        if token.ty != TokenType::Comma {
            return Err(json_throw_parse_error("comma or array end", &token));
        }

        json_next_token(json, &mut token);
        i = i.wrapping_add(1);
    }
}

/// Pushes the value `token` starts.
///
/// C: lua_cjson.c json_process_value()
unsafe fn json_process_value(
    l: *mut lua_State,
    json: &mut JsonParse,
    token: &JsonToken,
) -> JResult<()> {
    match (token.ty, token.value) {
        (TokenType::String, _) => {
            ffi::lua_pushlstring_(l, json.tmp.as_ptr().cast(), json.tmp.len());
        }
        (TokenType::Number, TokenValue::Number(n)) => ffi::lua_pushnumber(l, n),
        (TokenType::Boolean, TokenValue::Boolean(b)) => {
            ffi::lua_pushboolean(l, b as c_int);
        }
        (TokenType::ObjBegin, _) => json_parse_object_context(l, json)?,
        (TokenType::ArrBegin, _) => json_parse_array_context(l, json)?,
        (TokenType::Null, _) => {
            // In Lua, setting "t[k] = nil" will delete k from the table.
            // Hence a NULL pointer lightuserdata object is used instead
            ffi::lua_pushlightuserdata(l, ptr::null_mut());
        }
        _ => return Err(json_throw_parse_error("value", token)),
    }
    Ok(())
}

/// `cjson.decode(text)`: the Lua value of a JSON text.
///
/// C: lua_cjson.c json_decode()
unsafe fn json_decode(l: *mut lua_State) -> JResult<c_int> {
    if ffi::lua_gettop(l) != 1 {
        return Err(Raise::Arg(1, b"expected 1 argument".to_vec()));
    }

    let cfg = json_fetch_config(l)?;
    let mut json_len = 0usize;
    let data = ffi::luaL_checklstring(l, 1, &mut json_len);
    // The string stays on the stack (argument 1) for the whole call.
    let data = std::slice::from_raw_parts(data.cast::<u8>(), json_len);

    // Detect Unicode other than UTF-8 (see RFC 4627, Sec 3)
    //
    // CJSON can support any simple data type, hence only the first
    // character is guaranteed to be ASCII (at worst: '"'). This is still
    // enough to detect whether the wrong encoding is in use.
    if json_len >= 2 && (data[0] == 0 || data[1] == 0) {
        return Err(lua_err("JSON parser does not support UTF-16 or UTF-32"));
    }

    // The temporary buffer can hold the entire string: a decoded string
    // is never longer than the JSON text.
    let settings = (*cfg).settings;
    let mut json = JsonParse {
        data,
        ptr: 0,
        tmp: Vec::with_capacity(json_len),
        cfg: &settings,
        current_depth: 0,
    };
    let r = json_decode_text(l, &mut json);
    // C: strbuf_free(json.tmp), on every path.
    drop(json);
    r.map(|()| 1)
}
lua_c_function!(json_decode_c, json_decode);

/// One value, then the end of the input. (no C twin: the body of
/// json_decode())
unsafe fn json_decode_text(
    l: *mut lua_State,
    json: &mut JsonParse,
) -> JResult<()> {
    let mut token = JsonToken::new();

    json_next_token(json, &mut token);
    json_process_value(l, json, &token)?;

    // Ensure there is no more input left
    json_next_token(json, &mut token);

    if token.ty != TokenType::End {
        return Err(json_throw_parse_error("the end", &token));
    }
    Ok(())
}

// ===== INITIALISATION =====

/// Returns a new cjson module table, with a configuration of its own.
///
/// C: lua_cjson.c lua_cjson_new()
unsafe extern "C-unwind" fn lua_cjson_new(l: *mut lua_State) -> c_int {
    let reg: [(&CStr, ffi::lua_CFunction); 10] = [
        (c"encode", json_encode_c),
        (c"decode", json_decode_c),
        (c"encode_sparse_array", json_cfg_encode_sparse_array_c),
        (c"encode_max_depth", json_cfg_encode_max_depth_c),
        (c"decode_max_depth", json_cfg_decode_max_depth_c),
        (c"encode_number_precision", json_cfg_encode_number_precision_c),
        (c"encode_keep_buffer", json_cfg_encode_keep_buffer_c),
        (c"encode_invalid_numbers", json_cfg_encode_invalid_numbers_c),
        (c"decode_invalid_numbers", json_cfg_decode_invalid_numbers_c),
        (c"new", lua_cjson_new),
    ];

    // C's fpconv_init() checks the locale's decimal point: here numbers
    // are always read and written with '.'.

    // cjson module table
    ffi::lua_createtable(l, 0, 0);

    // Register functions with config data as upvalue (C: luaL_setfuncs)
    json_create_config(l);
    for (name, func) in reg {
        ffi::lua_pushvalue(l, -1);
        ffi::lua_pushcclosure(l, func, 1);
        ffi::lua_setfield(l, -3, name.as_ptr());
    }
    ffi::lua_settop(l, -2);

    // Set cjson.null
    ffi::lua_pushlightuserdata(l, ptr::null_mut());
    ffi::lua_setfield(l, -2, c"null".as_ptr());

    // Set module name / version fields
    ffi::lua_pushstring_(l, CJSON_MODNAME.as_ptr());
    ffi::lua_setfield(l, -2, c"_NAME".as_ptr());
    ffi::lua_pushstring_(l, CJSON_VERSION.as_ptr());
    ffi::lua_setfield(l, -2, c"_VERSION".as_ptr());

    1
}

/// Returns the cjson table, and sets it as the global `cjson` (Redis
/// builds with ENABLE_CJSON_GLOBAL).
///
/// C: lua_cjson.c luaopen_cjson()
unsafe extern "C-unwind" fn luaopen_cjson_c(l: *mut lua_State) -> c_int {
    lua_cjson_new(l);

    // Register a global "cjson" table.
    ffi::lua_pushvalue(l, -1);
    ffi::lua_setfield(l, ffi::LUA_GLOBALSINDEX, CJSON_MODNAME.as_ptr());

    // Return cjson table
    1
}

/// Loads the library into `lua`, which sets the global `cjson`.
/// (no C twin: scripting.c's `luaLoadLib(lua, "cjson", luaopen_cjson)` in
/// luaLoadLibraries(), which calls the opener with the library name)
pub(crate) fn luaopen_cjson(lua: &Lua) -> mlua::Result<()> {
    // SAFETY: luaopen_cjson_c is a Lua C function that only uses the Lua
    // API on the state it is given, as above.
    let open = unsafe { lua.create_c_function(luaopen_cjson_c)? };
    open.call::<()>("cjson")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `script` in a fresh interpreter with the library loaded, and
    /// returns its value as a string, or the error message.
    fn run(script: &str) -> Result<Vec<u8>, String> {
        let lua = Lua::new();
        luaopen_cjson(&lua).unwrap();
        let chunk = lua.load(script).set_name("@t");
        match chunk.eval::<mlua::Value>() {
            Ok(mlua::Value::String(s)) => Ok(s.as_bytes().to_vec()),
            Ok(other) => Ok(format!("{other:?}").into_bytes()),
            Err(e) => Err(e.to_string()),
        }
    }

    fn ok(script: &str) -> String {
        String::from_utf8_lossy(&run(script).unwrap()).into_owned()
    }

    fn err(script: &str) -> String {
        run(script).unwrap_err()
    }

    #[test]
    fn encodes_like_lua_cjson() {
        assert_eq!(ok("return cjson.encode({})"), "{}");
        assert_eq!(ok("return cjson.encode({1,2,'a/b'})"), r#"[1,2,"a\/b"]"#);
        assert_eq!(ok("return cjson.encode(-0.0)"), "-0");
        assert_eq!(ok("return cjson.encode(0.1)"), "0.1");
        assert_eq!(ok("return cjson.encode(1e300)"), "1e+300");
        assert_eq!(
            ok("return cjson.encode(12345678901234567)"),
            "1.2345678901235e+16"
        );
        assert_eq!(
            ok("return cjson.encode('\\1\\31\\127\\b\\t\\n\\f\\r\"\\\\')"),
            r#""\u0001\u001f\u007f\b\t\n\f\r\"\\""#
        );
        assert_eq!(ok("return cjson.encode(cjson.null)"), "null");
        assert_eq!(
            ok("local t={} t[3]=1 return cjson.encode(t)"),
            "[null,null,1]"
        );
        assert_eq!(
            ok("return cjson.encode({a={b=true}})"),
            r#"{"a":{"b":true}}"#
        );
    }

    #[test]
    fn encode_errors() {
        assert!(err("local t={} t[1]=t return cjson.encode(t)")
            .contains("Cannot serialise, excessive nesting (1001)"));
        assert!(err("return cjson.encode(1/0)")
            .contains("Cannot serialise number: must not be NaN or Inf"));
        assert!(err("return cjson.encode(print)")
            .contains("Cannot serialise function: type not supported"));
        assert!(err("local t={} t[20]=1 return cjson.encode(t)")
            .contains("Cannot serialise table: excessively sparse array"));
        assert!(err("return cjson.encode({[true]=1})").contains(
            "Cannot serialise boolean: table key must be a number or string"
        ));
        assert!(err("return cjson.encode()")
            .contains("bad argument #1 to 'encode' (expected 1 argument)"));
    }

    #[test]
    fn decodes_like_lua_cjson() {
        assert_eq!(
            ok("return table.concat(cjson.decode('[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]'), ' ')"),
            "0 -5000 -1 0.0003 1023.2 0"
        );
        assert_eq!(
            ok(r#"return cjson.decode('"\\u00e9\\ud83d\\ude00\\/"')"#),
            "é😀/"
        );
        assert_eq!(
            ok("return tostring(cjson.decode('null') == cjson.null)"),
            "true"
        );
        assert_eq!(ok("return tostring(cjson.decode('0x10'))"), "16");
        assert_eq!(ok("return tostring(cjson.decode('-nan'))"), "-nan");
        assert_eq!(
            ok("return cjson.decode('{\"a\":[1,{\"b\":\"c\"}]}').a[2].b"),
            "c"
        );
    }

    #[test]
    fn decode_errors() {
        for (text, msg) in [
            ("", "Expected value but found T_END at character 1"),
            ("x", "Expected value but found invalid token at character 1"),
            ("[1,]", "Expected value but found T_ARR_END at character 4"),
            ("[1 2]", "Expected comma or array end but found T_NUMBER at character 4"),
            ("{1:2}", "Expected object key string but found T_NUMBER at character 2"),
            ("{\"a\" 2}", "Expected colon but found T_NUMBER at character 6"),
            ("\"abc", "Expected value but found unexpected end of string at character 5"),
            ("\"\\q\"", "Expected value but found invalid escape code at character 2"),
            ("\"\\ud800\"", "Expected value but found invalid unicode escape code at character 2"),
            ("1 2", "Expected the end but found T_NUMBER at character 3"),
            ("-", "Expected value but found invalid number at character 1"),
        ] {
            let script = format!("return cjson.decode({text:?})");
            let e = err(&script);
            assert!(e.contains(msg), "{text:?}: {e}");
        }
        assert!(err("return cjson.decode(string.rep('[', 1001))").contains(
            "Found too many nested data structures (1001) at character 1001"
        ));
    }

    #[test]
    fn config_functions() {
        assert_eq!(ok("return tostring(cjson.encode_max_depth())"), "1000");
        assert_eq!(
            ok("return tostring(cjson.encode_invalid_numbers('null'))"),
            "null"
        );
        assert_eq!(
            ok("cjson.encode_invalid_numbers('null') return cjson.encode(0/0)"),
            "null"
        );
        assert_eq!(
            ok("cjson.encode_number_precision(3) return cjson.encode(3.14159)"),
            "3.14"
        );
        assert_eq!(ok("local c = cjson.new() c.encode_number_precision(3) return cjson.encode(3.14159)"), "3.14159");
        assert_eq!(ok("return cjson._NAME .. cjson._VERSION"), "cjson2.1.0");
        assert!(err("return cjson.encode_max_depth(0)").contains(
            "bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647)"
        ));
        assert!(err("return cjson.encode_keep_buffer('x')").contains(
            "bad argument #1 to 'encode_keep_buffer' (invalid option 'x')"
        ));
    }
}
