//! LDB: Redis Lua debugging facilities (the second half of scripting.c).
//!
//! A debugging session captures the client socket and does direct,
//! blocking I/O with it from within a Lua line hook, so Redis is not
//! re-entered while a script is stopped.
//!
//! Divergence from C (whole file): C's `ldb` global is the thread-local
//! `LDB` here. The line hook and the Lua C functions that read the Lua
//! stack (redis.debug, the stack dumps) use the raw Lua C API, as C does.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::os::fd::RawFd;

use mlua::ffi;

use super::with_script;
use crate::networking::*;
use crate::server::*;
use crate::server_log;

/// Max number of breakpoints.
///
/// C: scripting.c LDB_BREAKPOINTS_MAX
const LDB_BREAKPOINTS_MAX: usize = 64;
/// Default len limit for replies / var dumps.
///
/// C: scripting.c LDB_MAX_LEN_DEFAULT
const LDB_MAX_LEN_DEFAULT: usize = 256;
/// C: scripting.c LDB_MAX_VALUES_DEPTH (LUA_MINSTACK/2)
const LDB_MAX_VALUES_DEPTH: i32 = 20 / 2;

/// Debugger shared state.
///
/// C: scripting.c struct ldbState
pub(super) struct LdbState {
    /// Socket of the debugging client.
    fd: RawFd,
    /// Are we debugging EVAL right now?
    pub(super) active: bool,
    /// Is this a fork()ed debugging session?
    forked: bool,
    /// List of messages to send to the client.
    logs: VecDeque<Vec<u8>>,
    /// All forked debugging sessions pids.
    children: Vec<libc::pid_t>,
    /// An array of breakpoints line numbers.
    bp: [i32; LDB_BREAKPOINTS_MAX],
    /// Number of valid entries inside bp.
    bpcount: usize,
    /// Stop at next line ragardless of breakpoints.
    pub(super) step: bool,
    /// Stop at next line because redis.breakpoint() was called.
    luabp: bool,
    /// Lua script source code split by line.
    src: Vec<Vec<u8>>,
    /// Current line number.
    currentline: i32,
    /// Debugger client command buffer.
    cbuf: Vec<u8>,
    /// Max var dump / reply length.
    maxlen: usize,
    /// Did we already hint about "set maxlen"?
    maxlen_hint_sent: bool,
}

thread_local! {
    static LDB: RefCell<LdbState> = RefCell::new(ldb_init());
}

/// Runs `f` on the debugger state. `f` must not call into Lua. (no C twin)
pub(super) fn ldb<R>(f: impl FnOnce(&mut LdbState) -> R) -> R {
    LDB.with(|l| f(&mut l.borrow_mut()))
}

/// Initialize Lua debugger data structures.
///
/// C: scripting.c ldbInit()
fn ldb_init() -> LdbState {
    LdbState {
        fd: -1,
        active: false,
        forked: false,
        logs: VecDeque::new(),
        children: Vec::new(),
        bp: [0; LDB_BREAKPOINTS_MAX],
        bpcount: 0,
        step: false,
        luabp: false,
        src: Vec::new(),
        currentline: 0,
        cbuf: Vec::new(),
        maxlen: LDB_MAX_LEN_DEFAULT,
        maxlen_hint_sent: false,
    }
}

/// Remove all the pending messages in the specified list.
///
/// C: scripting.c ldbFlushLog()
fn ldb_flush_log(log: &mut VecDeque<Vec<u8>>) {
    log.clear();
}

/// Enable debug mode of Lua scripts for this client.
///
/// C: scripting.c ldbEnable()
pub(super) fn ldb_enable(c: &mut Client) {
    c.flags |= CLIENT_LUA_DEBUG;
    ldb(|l| {
        ldb_flush_log(&mut l.logs);
        l.fd = c.fd;
        l.step = true;
        l.bpcount = 0;
        l.luabp = false;
        l.cbuf = Vec::new();
        l.maxlen = LDB_MAX_LEN_DEFAULT;
        l.maxlen_hint_sent = false;
    });
}

/// Exit debugging mode from the POV of client. This function is not enough
/// to properly shut down a client debugging session, see ldbEndSession()
/// for more information.
///
/// C: scripting.c ldbDisable()
pub(super) fn ldb_disable(c: &mut Client) {
    c.flags &= !(CLIENT_LUA_DEBUG | CLIENT_LUA_DEBUG_SYNC);
}

/// Append a log entry to the specified LDB log.
///
/// C: scripting.c ldbLog()
pub(super) fn ldb_log(entry: Vec<u8>) {
    ldb(|l| l.logs.push_back(entry));
}

/// A version of ldbLog() which prevents producing logs greater than
/// ldb.maxlen. The first time the limit is reached an hint is generated
/// to inform the user that reply trimming can be disabled using the
/// debugger "maxlen" command.
///
/// C: scripting.c ldbLogWithMaxLen()
fn ldb_log_with_max_len(mut entry: Vec<u8>) {
    let mut trimmed = false;
    let maxlen = ldb(|l| l.maxlen);
    if maxlen != 0 && entry.len() > maxlen {
        entry.truncate(maxlen);
        entry.extend_from_slice(b" ...");
        trimmed = true;
    }
    ldb_log(entry);
    if trimmed && !ldb(|l| l.maxlen_hint_sent) {
        ldb(|l| l.maxlen_hint_sent = true);
        ldb_log(b"<hint> The above reply was trimmed. Use 'maxlen 0' to disable trimming.".to_vec());
    }
}

/// Send ldb.logs to the debugging client as a multi-bulk reply
/// consisting of simple strings. Log entries which include newlines have
/// them replaced with spaces. The entries sent are also consumed.
///
/// C: scripting.c ldbSendLogs()
fn ldb_send_logs() {
    let (fd, proto) = ldb(|l| {
        let mut proto = format!("*{}\r\n", l.logs.len()).into_bytes();
        while let Some(mut entry) = l.logs.pop_front() {
            proto.push(b'+');
            for b in entry.iter_mut() {
                if *b == b'\r' || *b == b'\n' {
                    *b = b' ';
                }
            }
            proto.extend_from_slice(&entry);
            proto.extend_from_slice(b"\r\n");
        }
        (l.fd, proto)
    });
    // SAFETY: write(2) reads `proto.len()` bytes of our own buffer.
    // We don't check the return value of write() since the next read()
    // will catch the I/O error and will close the debugging session.
    let _ = unsafe { libc::write(fd, proto.as_ptr().cast(), proto.len()) };
}

/// Start a debugging session before calling EVAL implementation.
/// The techique we use is to capture the client socket file descriptor,
/// in order to perform direct I/O with it from within Lua hooks. This
/// way we don't have to re-enter Redis in order to handle I/O.
///
/// The function returns true if the caller should proceed to call EVAL,
/// and false if instead the caller should abort the operation (this
/// happens for the parent in a forked session, since it's up to the
/// children to continue, or when fork returned an error).
///
/// The caller should call ldbEndSession() only if ldbStartSession()
/// returned true.
///
/// C: scripting.c ldbStartSession()
fn ldb_start_session(server: &mut RedisServer, c: &mut Client) -> bool {
    let forked = c.flags & CLIENT_LUA_DEBUG_SYNC == 0;
    ldb(|l| l.forked = forked);
    if forked {
        // SAFETY: as for the BGSAVE child (rdb_save_background): the
        // child runs this one debugging session on its copy of the
        // dataset and leaves through exit_from_child (libc::_exit).
        let cp = unsafe { libc::fork() };
        if cp == -1 {
            add_reply_error(
                c,
                "Fork() failed: can't run EVAL in debugging mode.",
            );
            return false;
        } else if cp == 0 {
            // Child. Let's ignore important signals handled by the parent.
            // SAFETY: SIG_IGN for two signals of our own process.
            unsafe {
                libc::signal(libc::SIGTERM, libc::SIG_IGN);
                libc::signal(libc::SIGINT, libc::SIG_IGN);
            }
            // Log the creation of the child and close the listening
            // socket to make sure if the parent crashes a reset is sent
            // to the clients.
            server_log!(server, LL_WARNING, "Redis forked for debugging eval");
            crate::rdb::close_clild_unused_resource_after_fork(server);
        } else {
            // Parent
            ldb(|l| l.children.push(cp));
            // Close the client in the parent side.
            free_client_async(server, c.id);
            // Divergence from C: the parent stops reading the socket at
            // once, so that it cannot take the child's debugger commands
            // into its query buffer before the client is freed.
            crate::ae::ae_delete_file_event(
                &mut server.el,
                c.fd,
                crate::ae::AE_READABLE,
            );
            return false;
        }
    } else {
        server_log!(
            server,
            LL_WARNING,
            "Redis synchronous debugging eval session started"
        );
    }

    // Setup our debugging session.
    if let Some(s) = c.sock.as_ref() {
        let _ = crate::networking::anet::anet_block(s);
        let _ = crate::networking::anet::anet_send_timeout(s, 5000);
    }

    // First argument of EVAL is the script itself. We split it into
    // different lines since this is the way the debugger accesses the
    // source code.
    let mut srcstring: &[u8] = &c.argv[1];
    while let Some((&last, rest)) = srcstring.split_last() {
        if last == b'\n' || last == b'\r' {
            srcstring = rest;
        } else {
            break;
        }
    }
    let src: Vec<Vec<u8>> = if srcstring.is_empty() {
        Vec::new()
    } else {
        srcstring.split(|&b| b == b'\n').map(|l| l.to_vec()).collect()
    };
    ldb(|l| {
        l.active = true;
        l.src = src;
    });
    true
}

/// End a debugging session after the EVAL call with debugging enabled
/// returned.
///
/// C: scripting.c ldbEndSession()
fn ldb_end_session(server: &mut RedisServer, c: &mut Client) {
    // Emit the remaining logs and an <endsession> mark.
    ldb_log(b"<endsession>".to_vec());
    ldb_send_logs();

    // If it's a fork()ed session, we just exit.
    if ldb(|l| l.forked) {
        // Divergence from C: writeToClient() finds clients in the client
        // table, which the running client is out of: its buffers are
        // written here, blocking as the socket is.
        let mut out = c.buf[..c.bufpos].to_vec();
        for o in c.reply.iter() {
            out.extend_from_slice(&o.buf);
        }
        let mut off = 0;
        while off < out.len() {
            // SAFETY: write(2) reads from our own buffer.
            let n = unsafe {
                libc::write(c.fd, out[off..].as_ptr().cast(), out.len() - off)
            };
            if n <= 0 {
                break;
            }
            off += n as usize;
        }
        server_log!(server, LL_WARNING, "Lua debugging session child exiting");
        exit_from_child(0);
    } else {
        server_log!(
            server,
            LL_WARNING,
            "Redis synchronous debugging eval session ended"
        );
    }

    // Otherwise let's restore client's state.
    if let Some(s) = c.sock.as_ref() {
        let _ = crate::networking::anet::anet_non_block(s);
        let _ = crate::networking::anet::anet_send_timeout(s, 0);
    }

    // Close the client connectin after sending the final EVAL reply
    // in order to signal the end of the debugging session.
    c.flags |= CLIENT_CLOSE_AFTER_REPLY;

    // Cleanup.
    ldb(|l| {
        l.src = Vec::new();
        l.active = false;
    });
}

/// If the specified pid is among the list of children spawned for
/// forked debugging sessions, it is removed from the children list.
/// If the pid was found true is returned.
///
/// C: scripting.c ldbRemoveChild()
pub(crate) fn ldb_remove_child(pid: libc::pid_t) -> bool {
    ldb(|l| {
        if let Some(i) = l.children.iter().position(|&p| p == pid) {
            l.children.remove(i);
            true
        } else {
            false
        }
    })
}

/// Return the number of children we still did not receive termination
/// acknowledge via wait() in the parent process.
///
/// C: scripting.c ldbPendingChildren()
pub(crate) fn ldb_pending_children() -> usize {
    ldb(|l| l.children.len())
}

/// Kill all the forked sessions.
///
/// C: scripting.c ldbKillForkedSessions()
pub(crate) fn ldb_kill_forked_sessions(server: &mut RedisServer) {
    let children = ldb(|l| std::mem::take(&mut l.children));
    for pid in children {
        server_log!(
            server,
            LL_WARNING,
            "Killing debugging session {}",
            pid as i64
        );
        // SAFETY: kill(2) of a child pid we forked.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}

/// Wrapper for EVAL / EVALSHA that enables debugging, and makes sure
/// that when EVAL returns, whatever happened, the session is ended.
///
/// C: scripting.c evalGenericCommandWithDebugging()
pub(super) fn eval_generic_command_with_debugging(
    server: &mut RedisServer,
    c: &mut Client,
    evalsha: bool,
) {
    if ldb_start_session(server, c) {
        super::eval_generic_command(server, c, evalsha);
        ldb_end_session(server, c);
    } else {
        ldb_disable(c);
    }
}

/// Return a pointer to ldb.src source code line, considering line to be
/// one-based, and returning a special string for out of range lines.
///
/// C: scripting.c ldbGetSourceLine()
fn ldb_get_source_line(l: &LdbState, line: i32) -> Vec<u8> {
    let idx = line as i64 - 1;
    if idx < 0 || idx >= l.src.len() as i64 {
        return b"<out of range source code line>".to_vec();
    }
    l.src[idx as usize].clone()
}

/// Return true if there is a breakpoint in the specified line.
///
/// C: scripting.c ldbIsBreakpoint()
fn ldb_is_breakpoint(l: &LdbState, line: i32) -> bool {
    l.bp[..l.bpcount].contains(&line)
}

/// Add the specified breakpoint. Ignore it if we already reached the max.
/// Returns true if the breakpoint was added (or was already set). false
/// if there is no space for the breakpoint or if the line is invalid.
///
/// C: scripting.c ldbAddBreakpoint()
fn ldb_add_breakpoint(l: &mut LdbState, line: i32) -> bool {
    if line <= 0 || line as i64 > l.src.len() as i64 {
        return false;
    }
    if !ldb_is_breakpoint(l, line) && l.bpcount != LDB_BREAKPOINTS_MAX {
        l.bp[l.bpcount] = line;
        l.bpcount += 1;
        return true;
    }
    false
}

/// Remove the specified breakpoint, returning true if the operation was
/// performed or false if there was no such breakpoint.
///
/// C: scripting.c ldbDelBreakpoint()
fn ldb_del_breakpoint(l: &mut LdbState, line: i32) -> bool {
    for j in 0..l.bpcount {
        if l.bp[j] == line {
            l.bpcount -= 1;
            // C moves `bpcount-j` bytes, not ints: done the same on the
            // array's bytes.
            let mut bytes: Vec<u8> =
                l.bp.iter().flat_map(|v| v.to_ne_bytes()).collect();
            let n = l.bpcount - j;
            bytes.copy_within((j + 1) * 4..(j + 1) * 4 + n, j * 4);
            for (k, ch) in bytes.chunks_exact(4).enumerate() {
                l.bp[k] = i32::from_ne_bytes([ch[0], ch[1], ch[2], ch[3]]);
            }
            return true;
        }
    }
    false
}

/// C's `atoi()` (strtol clamped to long, then cut to int). (no C twin)
fn atoi(s: &[u8]) -> i32 {
    let mut i = 0;
    while i < s.len()
        && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
    {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    let mut v: i64 = 0;
    let mut overflow = false;
    while i < s.len() && s[i].is_ascii_digit() {
        match v
            .checked_mul(10)
            .and_then(|x| x.checked_add((s[i] - b'0') as i64))
        {
            Some(x) => v = x,
            None => overflow = true,
        }
        i += 1;
    }
    let v = if overflow {
        if neg {
            i64::MIN
        } else {
            i64::MAX
        }
    } else if neg {
        -v
    } else {
        v
    };
    v as i32
}

/// C's `strstr(p, pat)` on a NUL-terminated copy: the offset of `pat` at
/// or after `from`, not looking past the first NUL. (no C twin)
fn c_strstr(buf: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    let end = memchr::memchr(0, &buf[from..]).map_or(buf.len(), |n| from + n);
    buf[from..end].windows(pat.len()).position(|w| w == pat).map(|n| from + n)
}

/// What a failed ldbReplParseCommand() means. (no C twin)
enum ParseFail {
    /// There is to read more buffer.
    KeepReading,
    /// `*err` is set: "protocol error".
    ProtoErr,
}

/// Expect a valid multi-bulk command in the debugging client query buffer.
/// On success the command is parsed and returned as an array of strings,
/// otherwise there is to read more buffer, or a protocol error.
///
/// C: scripting.c ldbReplParseCommand()
fn ldb_repl_parse_command(cbuf: &[u8]) -> Result<Vec<Vec<u8>>, ParseFail> {
    use ParseFail::*;
    if cbuf.is_empty() {
        return Err(KeepReading);
    }

    // Working on a copy is simpler in this case. We can modify it freely
    // for the sake of simpler parsing. Like an sds, it ends with a NUL.
    let mut copy = cbuf.to_vec();
    let len = copy.len();
    copy.push(0);
    let at = |copy: &[u8], i: usize| copy.get(i).copied().unwrap_or(0);

    // This Redis protocol parser is a joke... just the simplest thing that
    // works in this context. It is also very forgiving regarding broken
    // protocol.

    // Seek and parse *<count>\r\n.
    let end = memchr::memchr(0, &copy).unwrap_or(len);
    let Some(star) = memchr::memchr(b'*', &copy[..end]) else {
        return Err(ProtoErr);
    };
    let plen = star + 1; // Multi bulk len pointer.
    let Some(mut p) = c_strstr(&copy, star, b"\r\n") else {
        return Err(KeepReading);
    };
    copy[p] = 0;
    let argc = atoi(&copy[plen..p]);
    p += 2;
    if argc <= 0 || argc > 1024 {
        return Err(ProtoErr);
    }

    // Parse each argument.
    let mut argv = Vec::with_capacity(argc as usize);
    while (argv.len() as i32) < argc {
        // reached the end but there should be more data to read
        if at(&copy, p) == 0 {
            return Err(KeepReading);
        }

        if at(&copy, p) != b'$' {
            return Err(ProtoErr);
        }
        let plen = p + 1; // Bulk string len pointer.
        let Some(q) = c_strstr(&copy, p, b"\r\n") else {
            return Err(KeepReading);
        };
        copy[q] = 0;
        let slen = atoi(&copy[plen..q]); // Length of this arg.
        p = q + 2;
        if slen <= 0 || slen > 1024 {
            return Err(ProtoErr);
        }
        let slen = slen as usize;
        if p + slen + 2 > len {
            return Err(KeepReading);
        }
        argv.push(copy[p..p + slen].to_vec());
        p += slen; // Skip the already parsed argument.
        if at(&copy, p) != b'\r' || at(&copy, p + 1) != b'\n' {
            return Err(ProtoErr);
        }
        p += 2; // Skip \r\n.
    }
    Ok(argv)
}

/// Log the specified line in the Lua debugger output.
///
/// C: scripting.c ldbLogSourceLine()
fn ldb_log_source_line(lnum: i32) {
    ldb(|l| {
        let line = ldb_get_source_line(l, lnum);
        let bp = ldb_is_breakpoint(l, lnum);
        let current = l.currentline == lnum;

        let prefix = if current && bp {
            "->#"
        } else if current {
            "-> "
        } else if bp {
            "  #"
        } else {
            "   "
        };
        let mut thisline = format!("{}{:<3} ", prefix, lnum).into_bytes();
        thisline.extend_from_slice(c_str(&line));
        l.logs.push_back(thisline);
    });
}

/// Implement the "list" command of the Lua debugger. If around is 0
/// the whole file is listed, otherwise only a small portion of the file
/// around the specified line is shown. When a line number is specified
/// the amonut of context (lines before/after) is specified via the
/// 'context' argument.
///
/// C: scripting.c ldbList()
fn ldb_list(around: i32, context: i32) {
    let lines = ldb(|l| l.src.len());
    for j in 1..=lines as i32 {
        if around != 0 && (around as i64 - j as i64).abs() > context as i64 {
            continue;
        }
        ldb_log_source_line(j);
    }
}

/// The bytes of a C string Lua gives, or "(null)". (no C twin)
unsafe fn lua_cstr(p: *const std::ffi::c_char) -> Vec<u8> {
    if p.is_null() {
        b"(null)".to_vec()
    } else {
        std::ffi::CStr::from_ptr(p).to_bytes().to_vec()
    }
}

/// C's `lua_tostring(lua, idx)` as `%s` prints it. (no C twin)
unsafe fn lua_tostring_bytes(lua: *mut ffi::lua_State, idx: i32) -> Vec<u8> {
    // Divergence from C: an error raised by a Rust function (redis.call)
    // is mlua's error value, not C's string: `conv` (scriptingInit) turns
    // it back into the string first.
    let mut len = 0usize;
    let mut p = ffi::lua_tolstring(lua, idx, &mut len);
    let mut pushed = false;
    if p.is_null() && ffi::lua_checkstack(lua, 2) != 0 {
        let idx = if idx < 0 { ffi::lua_gettop(lua) + 1 + idx } else { idx };
        ffi::lua_getfield(
            lua,
            ffi::LUA_REGISTRYINDEX,
            c"__redis__conv".as_ptr(),
        );
        ffi::lua_pushvalue(lua, idx);
        if ffi::lua_pcall(lua, 1, 1, 0) == 0 {
            p = ffi::lua_tolstring(lua, -1, &mut len);
        }
        pushed = true;
    }
    let r = if p.is_null() {
        b"(null)".to_vec()
    } else {
        c_str(std::slice::from_raw_parts(p.cast::<u8>(), len)).to_vec()
    };
    if pushed {
        ffi::lua_pop(lua, 1);
    }
    r
}

/// Append an human readable representation of the Lua value at position
/// 'idx' on the stack of the 'lua' state, to the string passed as
/// argument. Used in order to implement ldbLogStackValue().
///
/// The element is not automatically removed from the stack, nor it is
/// converted to a different type.
///
/// C: scripting.c ldbCatStackValueRec()
unsafe fn ldb_cat_stack_value_rec(
    s: &mut Vec<u8>,
    lua: *mut ffi::lua_State,
    idx: i32,
    mut level: i32,
) {
    let t = ffi::lua_type(lua, idx);

    if level == LDB_MAX_VALUES_DEPTH {
        s.extend_from_slice(b"<max recursion level reached! Nested table?>");
        return;
    }
    level += 1;

    match t {
        ffi::LUA_TSTRING => {
            let mut strl = 0usize;
            let strp = ffi::lua_tolstring(lua, idx, &mut strl);
            let bytes = if strp.is_null() {
                &[][..]
            } else {
                std::slice::from_raw_parts(strp.cast::<u8>(), strl)
            };
            s.extend_from_slice(crate::util::sdscatrepr(bytes).as_bytes());
        }
        ffi::LUA_TBOOLEAN => {
            s.extend_from_slice(if ffi::lua_toboolean(lua, idx) != 0 {
                b"true"
            } else {
                b"false"
            });
        }
        ffi::LUA_TNUMBER => {
            let n = ffi::lua_tonumber(lua, idx);
            s.extend_from_slice(crate::object::fmt_g(n, 6).as_bytes());
        }
        ffi::LUA_TNIL => s.extend_from_slice(b"nil"),
        ffi::LUA_TTABLE => {
            let mut expected_index = 1; // First index we expect in an array.
            let mut is_array = true; // Will be set to null if check fails.
                                     // Note: we create two representations at the same time, one
                                     // assuming the table is an array, one assuming it is not. At
                                     // the end we know what is true and select the right one.
            let mut repr1 = Vec::new();
            let mut repr2 = Vec::new();
            // Divergence from C: the room for key and value is checked
            // (C relies on LUA_MINSTACK, as LDB_MAX_VALUES_DEPTH keeps
            // the recursion within it).
            if ffi::lua_checkstack(lua, 3) == 0 {
                s.extend_from_slice(b"{}");
                return;
            }
            ffi::lua_pushnil(lua); // The first key to start the iteration is nil.
            while ffi::lua_next(lua, idx - 1) != 0 {
                // Test if so far the table looks like an array.
                if is_array
                    && (ffi::lua_type(lua, -2) != ffi::LUA_TNUMBER
                        || ffi::lua_tonumber(lua, -2) != expected_index as f64)
                {
                    is_array = false;
                }
                // Stack now: table, key, value
                // Array repr.
                ldb_cat_stack_value_rec(&mut repr1, lua, -1, level);
                repr1.extend_from_slice(b"; ");
                // Full repr.
                repr2.push(b'[');
                ldb_cat_stack_value_rec(&mut repr2, lua, -2, level);
                repr2.extend_from_slice(b"]=");
                ldb_cat_stack_value_rec(&mut repr2, lua, -1, level);
                repr2.extend_from_slice(b"; ");
                ffi::lua_pop(lua, 1); // Stack: table, key. Ready for next iteration.
                expected_index += 1;
            }
            // Strip the last " ;" from both the representations.
            if !repr1.is_empty() {
                repr1.truncate(repr1.len() - 2);
            }
            if !repr2.is_empty() {
                repr2.truncate(repr2.len() - 2);
            }
            // Select the right one and discard the other.
            s.push(b'{');
            s.extend_from_slice(if is_array { &repr1 } else { &repr2 });
            s.push(b'}');
        }
        ffi::LUA_TFUNCTION
        | ffi::LUA_TUSERDATA
        | ffi::LUA_TTHREAD
        | ffi::LUA_TLIGHTUSERDATA => {
            let p = ffi::lua_topointer(lua, idx);
            let typename = match t {
                ffi::LUA_TFUNCTION => "function",
                ffi::LUA_TUSERDATA => "userdata",
                ffi::LUA_TTHREAD => "thread",
                ffi::LUA_TLIGHTUSERDATA => "light-userdata",
                _ => "unknown",
            };
            s.extend_from_slice(format!("\"{}@{:p}\"", typename, p).as_bytes());
        }
        _ => s.extend_from_slice(b"\"<unknown-lua-type>\""),
    }
}

/// Higher level wrapper for ldbCatStackValueRec() that just uses an
/// initial recursion level of '0'.
///
/// C: scripting.c ldbCatStackValue()
unsafe fn ldb_cat_stack_value(
    s: &mut Vec<u8>,
    lua: *mut ffi::lua_State,
    idx: i32,
) {
    ldb_cat_stack_value_rec(s, lua, idx, 0)
}

/// Produce a debugger log entry representing the value of the Lua object
/// currently on the top of the stack. The element is ot popped nor
/// modified. Check ldbCatStackValue() for the actual implementation.
///
/// C: scripting.c ldbLogStackValue()
unsafe fn ldb_log_stack_value(lua: *mut ffi::lua_State, prefix: &[u8]) {
    let mut s = prefix.to_vec();
    ldb_cat_stack_value(&mut s, lua, -1);
    ldb_log_with_max_len(s);
}

/// The first line of `reply` from `from`: the offset of its '\r' (C's
/// strchr), or the end. (no C twin)
fn cr_at(reply: &[u8], from: usize) -> usize {
    let from = from.min(reply.len());
    memchr::memchr(b'\r', &reply[from..]).map_or(reply.len(), |n| from + n)
}

/// Get Redis protocol from 'reply' and appends it in human readable form
/// to the passed string 'o'. Returns the offset past what was read.
///
/// C: scripting.c ldbRedisProtocolToHuman()
fn ldb_redis_protocol_to_human(
    o: &mut Vec<u8>,
    reply: &[u8],
    p: usize,
) -> usize {
    match reply.get(p) {
        Some(b':') => ldb_redis_protocol_to_human_int(o, reply, p),
        Some(b'$') => ldb_redis_protocol_to_human_bulk(o, reply, p),
        Some(b'+') => ldb_redis_protocol_to_human_status(o, reply, p),
        Some(b'-') => ldb_redis_protocol_to_human_status(o, reply, p),
        Some(b'*') => ldb_redis_protocol_to_human_multi_bulk(o, reply, p),
        _ => p,
    }
}

/// C: scripting.c ldbRedisProtocolToHuman_Int()
fn ldb_redis_protocol_to_human_int(
    o: &mut Vec<u8>,
    reply: &[u8],
    r: usize,
) -> usize {
    let p = cr_at(reply, r + 1);
    o.extend_from_slice(&reply[(r + 1).min(p)..p]);
    p + 2
}

/// C: scripting.c ldbRedisProtocolToHuman_Bulk()
fn ldb_redis_protocol_to_human_bulk(
    o: &mut Vec<u8>,
    reply: &[u8],
    r: usize,
) -> usize {
    let p = cr_at(reply, r + 1);
    let bulklen =
        crate::object::string2ll(&reply[(r + 1).min(p)..p]).unwrap_or(0);
    if bulklen == -1 {
        o.extend_from_slice(b"NULL");
        p + 2
    } else {
        let start = (p + 2).min(reply.len());
        let end = (start + bulklen.max(0) as usize).min(reply.len());
        o.extend_from_slice(
            crate::util::sdscatrepr(&reply[start..end]).as_bytes(),
        );
        p + 2 + bulklen.max(0) as usize + 2
    }
}

/// C: scripting.c ldbRedisProtocolToHuman_Status()
fn ldb_redis_protocol_to_human_status(
    o: &mut Vec<u8>,
    reply: &[u8],
    r: usize,
) -> usize {
    let p = cr_at(reply, r + 1);
    o.extend_from_slice(crate::util::sdscatrepr(&reply[r..p]).as_bytes());
    p + 2
}

/// C: scripting.c ldbRedisProtocolToHuman_MultiBulk()
fn ldb_redis_protocol_to_human_multi_bulk(
    o: &mut Vec<u8>,
    reply: &[u8],
    r: usize,
) -> usize {
    let mut p = cr_at(reply, r + 1);
    let mbulklen =
        crate::object::string2ll(&reply[(r + 1).min(p)..p]).unwrap_or(0);
    p += 2;
    if mbulklen == -1 {
        o.extend_from_slice(b"NULL");
        return p;
    }
    o.push(b'[');
    let mut j = 0;
    while j < mbulklen {
        p = ldb_redis_protocol_to_human(o, reply, p);
        if j != mbulklen - 1 {
            o.push(b',');
        }
        j += 1;
    }
    o.push(b']');
    p
}

/// Log a Redis reply as debugger output, in an human readable format.
/// If the resulting string is longer than 'len' plus a few more chars
/// used as prefix, it gets truncated.
///
/// C: scripting.c ldbLogRedisReply()
pub(super) fn ldb_log_redis_reply(reply: &[u8]) {
    let mut log = b"<reply> ".to_vec();
    ldb_redis_protocol_to_human(&mut log, reply, 0);
    ldb_log_with_max_len(log);
}

/// Implements the "print <var>" command of the Lua debugger. It scans for
/// Lua var "varname" starting from the current stack frame up to the top
/// stack frame. The first matching variable is printed.
///
/// C: scripting.c ldbPrint()
unsafe fn ldb_print(lua: *mut ffi::lua_State, varname: &[u8]) {
    let varname = c_str(varname);
    let mut ar: ffi::lua_Debug = std::mem::zeroed();

    let mut l = 0; // Stack level.
    while ffi::lua_getstack(lua, l, &mut ar) != 0 {
        l += 1;
        let mut i = 1; // Variable index.
        loop {
            let name = ffi::lua_getlocal(lua, &ar, i);
            if name.is_null() {
                break;
            }
            i += 1;
            if std::ffi::CStr::from_ptr(name).to_bytes() == varname {
                ldb_log_stack_value(lua, b"<value> ");
                ffi::lua_pop(lua, 1);
                return;
            } else {
                ffi::lua_pop(lua, 1); // Discard the var name on the stack.
            }
        }
    }

    // Let's try with global vars in two selected cases
    if varname == b"ARGV" || varname == b"KEYS" {
        let name = if varname == b"ARGV" { c"ARGV" } else { c"KEYS" };
        ffi::lua_getfield(lua, ffi::LUA_GLOBALSINDEX, name.as_ptr());
        ldb_log_stack_value(lua, b"<value> ");
        ffi::lua_pop(lua, 1);
    } else {
        ldb_log(b"No such variable.".to_vec());
    }
}

/// Implements the "print" command (without arguments) of the Lua
/// debugger. Prints all the variables in the current stack frame.
///
/// C: scripting.c ldbPrintAll()
unsafe fn ldb_print_all(lua: *mut ffi::lua_State) {
    let mut ar: ffi::lua_Debug = std::mem::zeroed();
    let mut vars = 0;

    if ffi::lua_getstack(lua, 0, &mut ar) != 0 {
        let mut i = 1; // Variable index.
        loop {
            let name = ffi::lua_getlocal(lua, &ar, i);
            if name.is_null() {
                break;
            }
            i += 1;
            let name = std::ffi::CStr::from_ptr(name).to_bytes();
            if !name.windows(12).any(|w| w == b"(*temporary)") {
                let mut prefix = b"<value> ".to_vec();
                prefix.extend_from_slice(name);
                prefix.extend_from_slice(b" = ");
                ldb_log_stack_value(lua, &prefix);
                vars += 1;
            }
            ffi::lua_pop(lua, 1);
        }
    }

    if vars == 0 {
        ldb_log(b"No local variables in the current context.".to_vec());
    }
}

/// Implements the break command to list, add and remove breakpoints.
///
/// C: scripting.c ldbBreak()
fn ldb_break(argv: &[Vec<u8>]) {
    if argv.len() == 1 {
        let bps = ldb(|l| l.bp[..l.bpcount].to_vec());
        if bps.is_empty() {
            ldb_log(b"No breakpoints set. Use 'b <line>' to add one.".to_vec());
        } else {
            ldb_log(format!("{} breakpoints set:", bps.len()).into_bytes());
            for bp in bps {
                ldb_log_source_line(bp);
            }
        }
    } else {
        for arg in &argv[1..] {
            match crate::object::string2l(arg) {
                None => {
                    let mut m = b"Invalid argument:'".to_vec();
                    m.extend_from_slice(c_str(arg));
                    m.push(b'\'');
                    ldb_log(m);
                }
                Some(line) => {
                    if line == 0 {
                        ldb(|l| l.bpcount = 0);
                        ldb_log(b"All breakpoints removed.".to_vec());
                    } else if line > 0 {
                        let line = line as i32;
                        if ldb(|l| l.bpcount) == LDB_BREAKPOINTS_MAX {
                            ldb_log(b"Too many breakpoints set.".to_vec());
                        } else if ldb(|l| ldb_add_breakpoint(l, line)) {
                            ldb_list(line, 1);
                        } else {
                            ldb_log(b"Wrong line number.".to_vec());
                        }
                    } else if ldb(|l| ldb_del_breakpoint(l, (-line) as i32)) {
                        ldb_log(b"Breakpoint removed.".to_vec());
                    } else {
                        ldb_log(
                            b"No breakpoint in the specified line.".to_vec(),
                        );
                    }
                }
            }
        }
    }
}

/// Implements the Lua debugger "eval" command. It just compiles the user
/// passed fragment of code and executes it, showing the result left on
/// the stack.
///
/// C: scripting.c ldbEval()
unsafe fn ldb_eval(lua: *mut ffi::lua_State, argv: &[Vec<u8>]) {
    // Glue the script together if it is composed of multiple arguments.
    let code = argv[1..].join(&b' ');
    let mut expr = b"return ".to_vec();
    expr.extend_from_slice(&code);

    // Try to compile it as an expression, prepending "return ".
    if ffi::luaL_loadbuffer(
        lua,
        expr.as_ptr().cast(),
        expr.len(),
        c"@ldb_eval".as_ptr(),
    ) != 0
    {
        ffi::lua_pop(lua, 1);
        // Failed? Try as a statement.
        if ffi::luaL_loadbuffer(
            lua,
            code.as_ptr().cast(),
            code.len(),
            c"@ldb_eval".as_ptr(),
        ) != 0
        {
            let mut m = b"<error> ".to_vec();
            m.extend_from_slice(&lua_tostring_bytes(lua, -1));
            ldb_log(m);
            ffi::lua_pop(lua, 1);
            return;
        }
    }

    // Call it.
    if ffi::lua_pcall(lua, 0, 1, 0) != 0 {
        let mut m = b"<error> ".to_vec();
        m.extend_from_slice(&lua_tostring_bytes(lua, -1));
        ldb_log(m);
        ffi::lua_pop(lua, 1);
        return;
    }
    ldb_log_stack_value(lua, b"<retval> ");
    ffi::lua_pop(lua, 1);
}

/// Implement the debugger "redis" command. We use a trick in order to make
/// the implementation very simple: we just call the Lua redis.call()
/// command implementation, with ldb.step enabled, so as a side effect the
/// Redis command and its reply are logged.
///
/// C: scripting.c ldbRedis()
unsafe fn ldb_redis(lua: *mut ffi::lua_State, argv: &[Vec<u8>]) {
    let argc = argv.len() as i32;
    let saved_rc =
        with_script(|s, _| s.lua_replicate_commands).unwrap_or(false);

    if ffi::lua_checkstack(lua, argc + 1) == 0 {
        // Increase the Lua stack if needed to make sure there is enough
        // room to push 'argc + 1' elements to the stack. On failure,
        // return error.
        ldb_log_redis_reply(b"max lua stack reached");
        return;
    }

    ffi::lua_getfield(lua, ffi::LUA_GLOBALSINDEX, c"redis".as_ptr());
    ffi::lua_pushstring(lua, c"call".as_ptr());
    ffi::lua_gettable(lua, -2); // Stack: redis, redis.call
    for a in &argv[1..] {
        ffi::lua_pushlstring(lua, a.as_ptr().cast(), a.len());
    }
    ldb(|l| l.step = true); // Force redis.call() to log.
    with_script(|s, _| s.lua_replicate_commands = true);
    ffi::lua_pcall(lua, argc - 1, 1, 0); // Stack: redis, result
    ldb(|l| l.step = false); // Disable logging.
    with_script(|s, _| s.lua_replicate_commands = saved_rc);
    ffi::lua_pop(lua, 2); // Discard the result and clean the stack.
}

/// Implements "trace" command of the Lua debugger. It just prints a
/// backtrace querying Lua starting from the current callframe back to the
/// outer one.
///
/// C: scripting.c ldbTrace()
unsafe fn ldb_trace(lua: *mut ffi::lua_State) {
    let mut ar: ffi::lua_Debug = std::mem::zeroed();
    let mut level = 0;

    while ffi::lua_getstack(lua, level, &mut ar) != 0 {
        ffi::lua_getinfo(lua, c"Snl".as_ptr(), &mut ar);
        let short_src =
            std::ffi::CStr::from_ptr(ar.short_src.as_ptr()).to_bytes();
        if short_src.windows(11).any(|w| w == b"user_script") {
            let mut m =
                if level == 0 { b"In ".to_vec() } else { b"From ".to_vec() };
            if ar.name.is_null() {
                m.extend_from_slice(b"top level");
            } else {
                m.extend_from_slice(&lua_cstr(ar.name));
            }
            m.push(b':');
            ldb_log(m);
            ldb_log_source_line(ar.currentline);
        }
        level += 1;
    }
    if level == 0 {
        ldb_log(b"<error> Can't retrieve Lua stack.".to_vec());
    }
}

/// Impleemnts the debugger "maxlen" command. It just queries or sets the
/// ldb.maxlen variable.
///
/// C: scripting.c ldbMaxlen()
fn ldb_maxlen(argv: &[Vec<u8>]) {
    if argv.len() == 2 {
        let mut newval = atoi(&argv[1]);
        ldb(|l| l.maxlen_hint_sent = true); // User knows about this command.
        if newval != 0 && newval <= 60 {
            newval = 60;
        }
        // C stores the int in a size_t.
        ldb(|l| l.maxlen = newval as i64 as u64 as usize);
    }
    let maxlen = ldb(|l| l.maxlen);
    if maxlen != 0 {
        ldb_log(
            format!(
                "<value> replies are truncated at {} bytes.",
                maxlen as i32
            )
            .into_bytes(),
        );
    } else {
        ldb_log(b"<value> replies are unlimited.".to_vec());
    }
}

/// How ldbRepl() ends when it does not go back to the script. (no C twin)
enum ReplEnd {
    /// C_ERR: the client closed the connection or is timing out.
    Closed,
    /// C's `lua_pushstring(lua, msg); lua_error(lua)`.
    Raise(Vec<u8>),
}

/// C's `strcasecmp(argv0, name) == 0`. (no C twin)
fn is(arg: &[u8], name: &str) -> bool {
    c_str(arg).eq_ignore_ascii_case(name.as_bytes())
}

/// Read debugging commands from client.
/// Return Ok if the debugging session is continuing, otherwise
/// Closed if the client closed the connection or is timing out.
///
/// C: scripting.c ldbRepl()
unsafe fn ldb_repl(lua: *mut ffi::lua_State) -> Result<(), ReplEnd> {
    // We continue processing commands until a command that should return
    // to the Lua interpreter is found.
    loop {
        let argv = loop {
            match ldb(|l| ldb_repl_parse_command(&l.cbuf)) {
                Ok(argv) => break argv,
                Err(ParseFail::ProtoErr) => {
                    return Err(ReplEnd::Raise(b"protocol error".to_vec()));
                }
                Err(ParseFail::KeepReading) => {}
            }
            let mut buf = [0u8; 1024];
            let fd = ldb(|l| l.fd);
            // SAFETY: read(2) into our own buffer.
            let nread = libc::read(fd, buf.as_mut_ptr().cast(), buf.len());
            if nread <= 0 {
                // Make sure the script runs without user input since the
                // client is no longer connected.
                ldb(|l| {
                    l.step = false;
                    l.bpcount = 0;
                });
                return Err(ReplEnd::Closed);
            }
            let full = ldb(|l| {
                l.cbuf.extend_from_slice(&buf[..nread as usize]);
                // after 1M we will exit with an error
                // so that the client will not blow the memory
                if l.cbuf.len() > 1 << 20 {
                    l.cbuf = Vec::new();
                    true
                } else {
                    false
                }
            });
            if full {
                return Err(ReplEnd::Raise(
                    b"max client buffer reached".to_vec(),
                ));
            }
        };

        // Flush the old buffer.
        ldb(|l| l.cbuf = Vec::new());

        // Execute the command.
        let a0 = &argv[0];
        let argc = argv.len();
        if is(a0, "h") || is(a0, "help") {
            for line in LDB_HELP {
                ldb_log(line.as_bytes().to_vec());
            }
            ldb_send_logs();
        } else if is(a0, "s") || is(a0, "step") || is(a0, "n") || is(a0, "next")
        {
            ldb(|l| l.step = true);
            break;
        } else if is(a0, "c") || is(a0, "continue") {
            break;
        } else if is(a0, "t") || is(a0, "trace") {
            ldb_trace(lua);
            ldb_send_logs();
        } else if is(a0, "m") || is(a0, "maxlen") {
            ldb_maxlen(&argv);
            ldb_send_logs();
        } else if is(a0, "b") || is(a0, "break") {
            ldb_break(&argv);
            ldb_send_logs();
        } else if is(a0, "e") || is(a0, "eval") {
            ldb_eval(lua, &argv);
            ldb_send_logs();
        } else if is(a0, "a") || is(a0, "abort") {
            return Err(ReplEnd::Raise(
                b"script aborted for user request".to_vec(),
            ));
        } else if argc > 1 && (is(a0, "r") || is(a0, "redis")) {
            ldb_redis(lua, &argv);
            ldb_send_logs();
        } else if is(a0, "p") || is(a0, "print") {
            if argc == 2 {
                ldb_print(lua, &argv[1]);
            } else {
                ldb_print_all(lua);
            }
            ldb_send_logs();
        } else if is(a0, "l") || is(a0, "list") {
            let mut around = ldb(|l| l.currentline);
            let mut ctx = 5;
            if argc > 1 {
                let num = atoi(&argv[1]);
                if num > 0 {
                    around = num;
                }
            }
            if argc > 2 {
                ctx = atoi(&argv[2]);
            }
            ldb_list(around, ctx);
            ldb_send_logs();
        } else if is(a0, "w") || is(a0, "whole") {
            ldb_list(1, 1000000);
            ldb_send_logs();
        } else {
            ldb_log(
                b"<error> Unknown Redis Lua debugger command or wrong number of arguments."
                    .to_vec(),
            );
            ldb_send_logs();
        }
    }
    Ok(())
}

/// The "help" command's lines (in ldbRepl()).
const LDB_HELP: &[&str] = &[
    "Redis Lua debugger help:",
    "[h]elp               Show this help.",
    "[s]tep               Run current line and stop again.",
    "[n]ext               Alias for step.",
    "[c]continue          Run till next breakpoint.",
    "[l]list              List source code around current line.",
    "[l]list [line]       List source code around [line].",
    "                     line = 0 means: current position.",
    "[l]list [line] [ctx] In this form [ctx] specifies how many lines",
    "                     to show before/after [line].",
    "[w]hole              List all source code. Alias for 'list 1 1000000'.",
    "[p]rint              Show all the local variables.",
    "[p]rint <var>        Show the value of the specified variable.",
    "                     Can also show global vars KEYS and ARGV.",
    "[b]reak              Show all breakpoints.",
    "[b]reak <line>       Add a breakpoint to the specified line.",
    "[b]reak -<line>      Remove breakpoint from the specified line.",
    "[b]reak 0            Remove all breakpoints.",
    "[t]race              Show a backtrace.",
    "[e]eval <code>       Execute some Lua code (in a different callframe).",
    "[r]edis <cmd>        Execute a Redis command.",
    "[m]axlen [len]       Trim logged Redis replies and Lua var dumps to len.",
    "                     Specifying zero as <len> means unlimited.",
    "[a]bort              Stop the execution of the script. In sync",
    "                     mode dataset changes will be retained.",
    "",
    "Debugger functions you can call from Lua scripts:",
    "redis.debug()        Produce logs in the debugger console.",
    "redis.breakpoint()   Stop execution like if there was a breakpoing.",
    "                     in the next line of code.",
];

/// This is the core of our Lua debugger, called each time Lua is about
/// to start executing a new line.
///
/// C: scripting.c luaLdbLineHook()
pub(super) unsafe extern "C-unwind" fn lua_ldb_line_hook(
    lua: *mut ffi::lua_State,
    ar: *mut ffi::lua_Debug,
) {
    // Divergence from C: the work is done in a function that returns the
    // error to raise, so that nothing it owns is alive when lua_error()
    // jumps out of this hook.
    let Some(err) = lua_ldb_line_hook_body(lua, ar) else { return };
    ffi::lua_pushlstring(lua, err.as_ptr().cast(), err.len());
    drop(err);
    ffi::lua_error(lua);
}

/// The body of `lua_ldb_line_hook`: returns the message to raise, if any.
/// (no C twin)
unsafe fn lua_ldb_line_hook_body(
    lua: *mut ffi::lua_State,
    ar: *mut ffi::lua_Debug,
) -> Option<Vec<u8>> {
    ffi::lua_getstack(lua, 0, ar);
    ffi::lua_getinfo(lua, c"Sl".as_ptr(), ar);
    let currentline = (*ar).currentline;
    ldb(|l| l.currentline = currentline);

    let bp = ldb(|l| ldb_is_breakpoint(l, currentline) || l.luabp);
    let mut timeout = false;

    // Events outside our script are not interesting.
    let short_src =
        std::ffi::CStr::from_ptr((*ar).short_src.as_ptr()).to_bytes();
    if !short_src.windows(11).any(|w| w == b"user_script") {
        return None;
    }

    // Check if a timeout occurred.
    if (*ar).event == ffi::LUA_HOOKCOUNT && !ldb(|l| l.step) && !bp {
        let (start, limit) =
            with_script(|s, _| (s.lua_time_start, s.lua_time_limit))
                .unwrap_or((mstime(), 0));
        let elapsed = mstime() - start;
        let timelimit = if limit != 0 { limit } else { 5000 };
        if elapsed >= timelimit {
            timeout = true;
            ldb(|l| l.step = true);
        } else {
            return None; // No timeout, ignore the COUNT event.
        }
    }

    if ldb(|l| l.step) || bp {
        let luabp = ldb(|l| l.luabp);
        let reason = if bp {
            if luabp {
                "redis.breakpoint() called"
            } else {
                "break point"
            }
        } else if timeout {
            "timeout reached, infinite loop?"
        } else {
            "step over"
        };
        ldb(|l| {
            l.step = false;
            l.luabp = false;
        });
        ldb_log(
            format!("* Stopped at {}, stop reason = {}", currentline, reason)
                .into_bytes(),
        );
        ldb_log_source_line(currentline);
        ldb_send_logs();
        match ldb_repl(lua) {
            Ok(()) => {}
            Err(ReplEnd::Closed) => {
                if timeout {
                    // If the client closed the connection and we have a
                    // timeout connection, let's kill the script otherwise
                    // the process will remain blocked indefinitely.
                    return Some(b"timeout during Lua debugging with client closing connection".to_vec());
                }
            }
            Err(ReplEnd::Raise(msg)) => return Some(msg),
        }
        with_script(|s, _| s.lua_time_start = mstime());
    }
    None
}

/// redis.breakpoint()
///
/// Allows to stop execution during a debuggign session from within
/// the Lua code implementation, like if a breakpoint was set in the code
/// immediately after the function.
///
/// C: scripting.c luaRedisBreakpointCommand()
pub(super) unsafe extern "C-unwind" fn lua_redis_breakpoint_command(
    lua: *mut ffi::lua_State,
) -> i32 {
    if ldb(|l| l.active) {
        ldb(|l| l.luabp = true);
        ffi::lua_pushboolean(lua, 1);
    } else {
        ffi::lua_pushboolean(lua, 0);
    }
    1
}

/// redis.debug()
///
/// Log a string message into the output console.
/// Can take multiple arguments that will be separated by commas.
/// Nothing is returned to the caller.
///
/// C: scripting.c luaRedisDebugCommand()
pub(super) unsafe extern "C-unwind" fn lua_redis_debug_command(
    lua: *mut ffi::lua_State,
) -> i32 {
    if !ldb(|l| l.active) {
        return 0;
    }
    let mut argc = ffi::lua_gettop(lua);
    let mut log =
        format!("<debug> line {}: ", ldb(|l| l.currentline)).into_bytes();
    while argc > 0 {
        argc -= 1;
        ldb_cat_stack_value(&mut log, lua, -1 - argc);
        if argc != 0 {
            log.extend_from_slice(b", ");
        }
    }
    ldb_log(log);
    0
}

/// Whether the running script is being debugged (C's `ldb.active`).
/// (no C twin)
pub(super) fn ldb_active() -> bool {
    ldb(|l| l.active)
}

/// C's `ldb.active && ldb.step`: redis.call logs what it does.
/// (no C twin)
pub(super) fn ldb_logging() -> bool {
    ldb(|l| l.active && l.step)
}
