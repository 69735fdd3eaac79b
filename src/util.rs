//! Helpers the rest of the server leans on: glob matching, argument
//! splitting, error texts, the log timestamp, memory figures.
//!
//! Ports the parts of util.c (and of sds.c, zmalloc.c and localtime.c that
//! the server needs) from Redis 5.0.14.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::long_double::{format_fixed, format_general, strtold, LongDouble};

// --------------------------------- util.c ---------------------------------

/// Glob-style pattern matching.
///
/// C: util.c stringmatchlen()
pub(crate) fn stringmatchlen(
    pattern: &[u8],
    string: &[u8],
    nocase: bool,
) -> bool {
    let (mut p, mut s) = (0usize, 0usize);
    let eq =
        |a: u8, b: u8| if nocase { a.eq_ignore_ascii_case(&b) } else { a == b };
    while p < pattern.len() && s < string.len() {
        match pattern[p] {
            b'*' => {
                while p + 1 < pattern.len() && pattern[p + 1] == b'*' {
                    p += 1;
                }
                if p + 1 == pattern.len() {
                    return true; // match
                }
                while s < string.len() {
                    if stringmatchlen(&pattern[p + 1..], &string[s..], nocase) {
                        return true; // match
                    }
                    s += 1;
                }
                return false; // no match
            }
            b'?' => {
                s += 1;
            }
            b'[' => {
                p += 1;
                let not = p < pattern.len() && pattern[p] == b'^';
                if not {
                    p += 1;
                }
                let mut matched = false;
                loop {
                    if p < pattern.len()
                        && pattern[p] == b'\\'
                        && p + 1 < pattern.len()
                    {
                        p += 1;
                        if eq(pattern[p], string[s]) {
                            matched = true;
                        }
                    } else if p >= pattern.len() || pattern[p] == b']' {
                        break;
                    } else if p + 2 < pattern.len() && pattern[p + 1] == b'-' {
                        let (mut start, mut end) = (pattern[p], pattern[p + 2]);
                        let mut c = string[s];
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        if nocase {
                            start = start.to_ascii_lowercase();
                            end = end.to_ascii_lowercase();
                            c = c.to_ascii_lowercase();
                        }
                        p += 2;
                        if c >= start && c <= end {
                            matched = true;
                        }
                    } else if eq(pattern[p], string[s]) {
                        matched = true;
                    }
                    p += 1;
                }
                if p >= pattern.len() {
                    // C: "pattern[0] is ']' or the string ended": step back
                    // so the outer loop ends at the same place.
                    p = pattern.len() - 1;
                }
                let matched = if not { !matched } else { matched };
                if !matched {
                    return false; // no match
                }
                s += 1;
            }
            b'\\' if pattern.len() - p >= 2 => {
                p += 1;
                if !eq(pattern[p], string[s]) {
                    return false; // no match
                }
                s += 1;
            }
            ch => {
                if !eq(ch, string[s]) {
                    return false; // no match
                }
                s += 1;
            }
        }
        p += 1;
        if s == string.len() {
            while p < pattern.len() && pattern[p] == b'*' {
                p += 1;
            }
            break;
        }
    }
    p == pattern.len() && s == string.len()
}

/// C: util.c stringmatch()
pub(crate) fn stringmatch(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    stringmatchlen(pattern, string, nocase)
}

/// The buffer size C uses for long double strings; string2ld() refuses
/// longer input. C: util.h MAX_LONG_DOUBLE_CHARS
pub(crate) const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;

/// Convert a string into a long double. Returns `None` unless the whole
/// string is a number that strtold() reads without overflow (nor
/// underflow to zero): no spaces or other characters before or after it
/// are accepted, nor NaN.
///
/// C: util.c string2ld()
pub(crate) fn string2ld(s: &[u8]) -> Option<LongDouble> {
    if s.len() >= MAX_LONG_DOUBLE_CHARS {
        return None;
    }
    // C copies into a NUL-terminated buffer first, so strtold stops at an
    // embedded NUL, and then eptr[0] != '\0' does not notice what follows.
    let buf = &s[..memchr::memchr(0, s).unwrap_or(s.len())];
    let r = strtold(buf);
    // C also refuses errno == EINVAL, which glibc's strtold never sets:
    // so an empty string reads as 0, as in Redis.
    if buf.first().is_some_and(|&b| crate::object::is_c_space(b))
        || r.consumed != buf.len()
        || (r.erange && (r.value.is_infinite() || r.value.is_zero()))
        || r.value.is_nan()
    {
        return None;
    }
    Some(r.value)
}

/// Convert a long double into a string. If humanfriendly is true it does
/// not use exponential format and trims trailing zeroes at the end (17
/// decimals first, "%.17Lf": with long double precision that shows most
/// small decimal numbers the way the user typed them); otherwise it is
/// snprintf's "%.17Lg" unchanged. Infinity is "inf" / "-inf" whatever the
/// libc says.
///
/// C: util.c ld2string()
pub(crate) fn ld2string(value: LongDouble, humanfriendly: bool) -> Vec<u8> {
    if value.is_infinite() {
        // Libc in odd systems (Hi Solaris!) format infinite their own way,
        // so it is spelled out here.
        return if value.is_sign_negative() {
            b"-inf".to_vec()
        } else {
            b"inf".to_vec()
        };
    }
    if humanfriendly {
        let mut s = format_fixed(value, 17);
        // Now remove trailing zeroes after the '.'
        if s.contains('.') {
            s.truncate(s.trim_end_matches('0').len());
            if s.ends_with('.') {
                s.pop();
            }
        }
        s.into_bytes()
    } else {
        format_general(value, 17).into_bytes()
    }
}

// ---------------------------------- sds.c ----------------------------------

fn is_hex_digit(c: u8) -> bool {
    c.is_ascii_hexdigit()
}

fn hex_digit_to_int(c: u8) -> u8 {
    (c as char).to_digit(16).unwrap_or(0) as u8
}

/// Split a line into arguments, where every argument can be in the
/// following programming-language REPL-alike form: foo bar "newline are
/// supported\n" and "\xff\x00otherstuff". Returns `None` on unbalanced
/// quotes or a closing quote not followed by a space. A NUL byte ends the
/// line, as in C.
///
/// C: sds.c sdssplitargs()
pub(crate) fn sdssplitargs(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let at = |i: usize| -> u8 { line.get(i).copied().unwrap_or(0) };
    let isspace =
        |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let mut p = 0usize;
    let mut vector: Vec<Vec<u8>> = Vec::new();
    loop {
        // skip blanks
        while at(p) != 0 && isspace(at(p)) {
            p += 1;
        }
        if at(p) == 0 {
            return Some(vector);
        }
        // get a token
        let mut inq = false; // set to true if we are in "quotes"
        let mut insq = false; // set to true if we are in 'single quotes'
        let mut done = false;
        let mut current = Vec::new();
        while !done {
            let c = at(p);
            if inq {
                if c == b'\\'
                    && at(p + 1) == b'x'
                    && is_hex_digit(at(p + 2))
                    && is_hex_digit(at(p + 3))
                {
                    current.push(
                        hex_digit_to_int(at(p + 2)) * 16
                            + hex_digit_to_int(at(p + 3)),
                    );
                    p += 3;
                } else if c == b'\\' && at(p + 1) != 0 {
                    p += 1;
                    current.push(match at(p) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if c == b'"' {
                    // closing quote must be followed by a space or nothing
                    // at all.
                    if at(p + 1) != 0 && !isspace(at(p + 1)) {
                        return None;
                    }
                    done = true;
                } else if c == 0 {
                    // unterminated quotes
                    return None;
                } else {
                    current.push(c);
                }
            } else if insq {
                if c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    current.push(b'\'');
                } else if c == b'\'' {
                    // closing quote must be followed by a space or nothing
                    // at all.
                    if at(p + 1) != 0 && !isspace(at(p + 1)) {
                        return None;
                    }
                    done = true;
                } else if c == 0 {
                    // unterminated quotes
                    return None;
                } else {
                    current.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => done = true,
                    b'"' => inq = true,
                    b'\'' => insq = true,
                    _ => current.push(c),
                }
            }
            if at(p) != 0 {
                p += 1;
            }
        }
        // add the token to the vector
        vector.push(current);
    }
}

/// Append to the sds string "s" an escaped string representation where all
/// the non-printable characters (tested with isprint()) are turned into
/// escapes in the form "\n\r\a...." or "\x<hex-number>".
///
/// C: sds.c sdscatrepr()
pub(crate) fn sdscatrepr(p: &[u8]) -> String {
    let mut s = String::from("\"");
    for &c in p {
        match c {
            b'\\' | b'"' => {
                s.push('\\');
                s.push(c as char);
            }
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x07 => s.push_str("\\a"),
            0x08 => s.push_str("\\b"),
            c if (0x20..0x7f).contains(&c) => s.push(c as char),
            c => s.push_str(&format!("\\x{:02x}", c)),
        }
    }
    s.push('"');
    s
}

// -------------------------------- libc --------------------------------

// The strto* family, as glibc has it in the "C" locale, over bytes. Redis
// calls these on NUL-terminated strings; over a slice a NUL byte simply
// ends the digits, as it ends the C string. `long` and `long long` are
// both 64 bits on the LP64 targets Redis runs on, so strtol is strtoll.

/// What a strto* call found: the value, how many bytes it consumed (C's
/// `endptr - nptr`, 0 when there was no number) and whether it saturated
/// (C's `errno == ERANGE`). (no C twin)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Strtol<T> {
    pub(crate) value: T,
    pub(crate) consumed: usize,
    pub(crate) erange: bool,
}

/// The part of strtol() and strtoul() they share: white space, a sign, the
/// base's prefix, then digits as far as they go. Returns whether there was
/// a minus sign, the magnitude (saturated at `u64::MAX`), whether it went
/// past `u64::MAX`, and how many bytes were consumed. `base` is 0 (decimal,
/// or "0x" hex, or "0" octal, as the input says) or 2 to 36. (no C twin:
/// glibc's ____strtol_l_internal)
fn strto_scan(s: &[u8], mut base: u32) -> (bool, u64, bool, usize) {
    assert!(base == 0 || (2..=36).contains(&base), "strtol base {base}");
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t'..=b'\r') {
        i += 1;
    }
    let neg = s.get(i) == Some(&b'-');
    if matches!(s.get(i), Some(b'-' | b'+')) {
        i += 1;
    }
    // Recognize the number base and skip its prefix.
    let mut after_0x = false;
    if s.get(i) == Some(&b'0') {
        if (base == 0 || base == 16)
            && matches!(s.get(i + 1), Some(b'x' | b'X'))
        {
            i += 2;
            base = 16;
            after_0x = true;
        } else if base == 0 {
            base = 8;
        }
    } else if base == 0 {
        base = 10;
    }
    let digits_start = i;
    let mut v: u64 = 0;
    let mut overflow = false;
    while let Some(d) = s.get(i).and_then(|&c| (c as char).to_digit(base)) {
        match v.checked_mul(base as u64).and_then(|v| v.checked_add(d as u64)) {
            Some(n) => v = n,
            None => {
                overflow = true;
                v = u64::MAX;
            }
        }
        i += 1;
    }
    if i == digits_start {
        // No digits. "0x" followed by none is no error: the number is the
        // "0" and the end pointer is left at the 'x'.
        let consumed = if after_0x { digits_start - 1 } else { 0 };
        return (false, 0, false, consumed);
    }
    (neg, v, overflow, i)
}

/// libc strtoll(): leading white space, an optional sign, the base prefix
/// ("0x" for base 16 or 0, "0" for base 0), then digits in `base` up to the
/// first other byte. Out of range, it saturates at `i64::MIN`/`i64::MAX`
/// and sets `erange`. (no C twin: libc)
pub(crate) fn strtoll(s: &[u8], base: u32) -> Strtol<i64> {
    let (neg, mag, overflow, consumed) = strto_scan(s, base);
    let (value, erange) = match (neg, overflow) {
        (false, false) if mag <= i64::MAX as u64 => (mag as i64, false),
        (false, _) => (i64::MAX, true),
        (true, false) if mag <= i64::MIN.unsigned_abs() => {
            ((mag as i64).wrapping_neg(), false)
        }
        (true, _) => (i64::MIN, true),
    };
    Strtol { value, consumed, erange }
}

/// libc strtol(): strtoll(), since `long` is 64 bits. (no C twin: libc)
pub(crate) fn strtol(s: &[u8], base: u32) -> Strtol<i64> {
    strtoll(s, base)
}

/// libc strtoull(): as strtoll(), but a minus sign negates in unsigned
/// arithmetic ("-1" is `u64::MAX`), and out of range it saturates at
/// `u64::MAX`. (no C twin: libc)
pub(crate) fn strtoull(s: &[u8], base: u32) -> Strtol<u64> {
    let (neg, mag, overflow, consumed) = strto_scan(s, base);
    let value = match (neg, overflow) {
        (_, true) => u64::MAX,
        (true, false) => mag.wrapping_neg(),
        (false, false) => mag,
    };
    Strtol { value, consumed, erange: overflow }
}

/// libc strtoul(): strtoull(), since `unsigned long` is 64 bits.
/// (no C twin: libc)
pub(crate) fn strtoul(s: &[u8], base: u32) -> Strtol<u64> {
    strtoull(s, base)
}

/// libc atoi() as glibc has it, `(int) strtol(s, NULL, 10)`: 0 when there
/// is no number, and out of range the saturated long is cut to its low 32
/// bits, so "4294967297" is 1 and "99999999999999999999" is -1.
/// (no C twin: libc)
pub(crate) fn atoi(s: &[u8]) -> i32 {
    strtol(s, 10).value as i32
}

// ------------------------------- errors -------------------------------

/// C's strerror(errno) for an io::Error: std appends " (os error N)", and
/// Redis's logs and replies carry only the text.
pub(crate) fn strerror(e: &io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

// ------------------------------ localtime.c ------------------------------

/// The seconds east of UTC of the local time zone, read once like C's
/// tzset() and cached by the caller. (no C twin)
pub(crate) fn timezone_offset() -> i64 {
    // SAFETY: localtime_r writes into the tm we own; tzset reads the TZ
    // environment. No other thread exists.
    unsafe {
        let t: libc::time_t = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&t, &mut tm);
        tm.tm_gmtoff
    }
}

fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Formats the serverLog timestamp "25 Nov 2026 09:05:45.123" for a unix
/// time, without calling localtime (which is not fork/signal safe).
///
/// C: localtime.c nolocks_localtime() plus serverLogRaw's strftime
pub(crate) fn format_log_time(t: i64, ms: u32, tz: i64) -> String {
    const MON: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
        "Nov", "Dec",
    ];
    let secs_min = 60;
    let secs_hour = 3600;
    let secs_day = 3600 * 24;
    let t = t + tz; // Adjust for timezone.
    let mut days = t.div_euclid(secs_day); // Days passed since epoch.
    let seconds = t.rem_euclid(secs_day); // Remaining seconds.
    let hour = seconds / secs_hour;
    let min = (seconds % secs_hour) / secs_min;
    let sec = (seconds % secs_hour) % secs_min;
    // Calculate the current year.
    let mut year = 1970;
    loop {
        // Leap years have one day more.
        let days_this_year = 365 + if is_leap_year(year) { 1 } else { 0 };
        if days_this_year > days {
            break;
        }
        days -= days_this_year;
        year += 1;
    }
    let mut mdays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    mdays[1] += if is_leap_year(year) { 1 } else { 0 };
    let mut mon = 0;
    while days >= mdays[mon] {
        days -= mdays[mon];
        mon += 1;
    }
    format!(
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        days + 1,
        MON[mon],
        year,
        hour,
        min,
        sec,
        ms
    )
}

// ------------------------------- zmalloc.c -------------------------------

/// The bytes the server holds, counted by the global allocator
/// (`debug::HandlerSafeAlloc`) on every allocation and free, in jemalloc's
/// size classes as C counts `zmalloc_size()` (malloc_usable_size).
/// Divergence from C: the Lua heap goes through the same allocator
/// (mlua allocates with Rust's), so it is counted too; C's Lua uses libc.
///
/// Divergence from C: C adds to one atomic on every malloc and free; here
/// each thread counts into its own `THREAD_USED_MEMORY` with a plain add
/// (the `lock` prefix of that atomic cost 2-3% of `-P 16` requests/s), and
/// this atomic holds what the bio threads folded in after each job
/// (`zmalloc_fold_thread_used_memory`). The main thread's sum of the two
/// is C's number.
///
/// C: zmalloc.c used_memory
static USED_MEMORY: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's allocations minus its frees since it last folded
    /// them into USED_MEMORY (wrapping: a thread may free more than it
    /// allocated). Const-initialised with no destructor, so the allocator
    /// can touch it at any point of a thread's life. (no C twin)
    static THREAD_USED_MEMORY: std::cell::Cell<usize> =
        const { std::cell::Cell::new(0) };
}

/// The size jemalloc (lg_quantum 4, 4 KiB pages) really hands out for a
/// request: what `malloc_usable_size` would answer, computed without a
/// call into the allocator. Classes are 8, 16, then multiples of 16 up to
/// 128, then four per doubling (160, 192, 224, 256, 320, ...), small and
/// large alike. An alignment above the size rounds the size up to it;
/// alignments of a page or more are not modelled (nothing asks for them).
/// Every allocation and free pays this, so sizes up to 4 KiB (nearly all
/// of them) are one table load.
///
/// C: zmalloc.c zmalloc_size() (jemalloc's je_malloc_usable_size)
#[inline(always)]
pub fn zmalloc_size_class(size: usize, align: usize) -> usize {
    if align <= 16 {
        let size = if align > size { align } else { size };
        if size <= SMALL_CLASS_MAX {
            return SMALL_CLASSES[(size + 7) >> 3] as usize;
        }
        return size_class_formula(size);
    }
    // Above 16, jemalloc rounds the size up to a multiple of the
    // alignment first (sz_sa2u); every class of a multiple of it is one.
    size_class_formula((size + align - 1) & !(align - 1))
}

/// The sizes `zmalloc_size_class` looks up in its table.
const SMALL_CLASS_MAX: usize = 4096;

/// The class of every multiple of 8 up to SMALL_CLASS_MAX (index = size
/// rounded up to 8, divided by 8).
static SMALL_CLASSES: [u16; SMALL_CLASS_MAX / 8 + 1] = {
    let mut t = [0u16; SMALL_CLASS_MAX / 8 + 1];
    let mut i = 0;
    while i < t.len() {
        t[i] = size_class_formula(i * 8) as u16;
        i += 1;
    }
    t
};

/// jemalloc's size class of `size`, computed. (no C twin)
const fn size_class_formula(size: usize) -> usize {
    if size <= 8 {
        return 8;
    }
    if size <= 16 {
        return 16;
    }
    let lg = usize::BITS - 1 - (size - 1).leading_zeros();
    let delta = if lg - 2 > 4 { 1usize << (lg - 2) } else { 16 };
    (size + delta - 1) & !(delta - 1)
}

/// C: zmalloc.c update_zmalloc_stat_alloc()
#[inline(always)]
pub fn update_zmalloc_stat_alloc(n: usize) {
    THREAD_USED_MEMORY.with(|c| c.set(c.get().wrapping_add(n)));
}

/// C: zmalloc.c update_zmalloc_stat_free()
#[inline(always)]
pub fn update_zmalloc_stat_free(n: usize) {
    THREAD_USED_MEMORY.with(|c| c.set(c.get().wrapping_sub(n)));
}

/// Moves what this thread counted into the shared USED_MEMORY, where the
/// main thread reads it. Bio threads call it after each job, before the
/// job is counted done, so a waiter that sees the job done also sees the
/// memory it freed. (no C twin: C's counter is shared already)
pub(crate) fn zmalloc_fold_thread_used_memory() {
    let n = THREAD_USED_MEMORY.with(|c| c.replace(0));
    USED_MEMORY.fetch_add(n, Ordering::Relaxed);
}

/// Only meaningful on the main thread (the only caller, as in C where
/// only the main thread reads it): the other threads' folded counts plus
/// its own.
///
/// C: zmalloc.c zmalloc_used_memory()
pub(crate) fn zmalloc_used_memory() -> usize {
    USED_MEMORY
        .load(Ordering::Relaxed)
        .wrapping_add(THREAD_USED_MEMORY.with(|c| c.get()))
}

/// Get the RSS information in an OS-specific way.
///
/// C: zmalloc.c zmalloc_get_rss()
pub(crate) fn zmalloc_get_rss() -> usize {
    // /proc/self/stat field 24 is the RSS in pages.
    let Ok(s) = std::fs::read_to_string("/proc/self/statm") else { return 0 };
    let pages: usize =
        s.split_whitespace().nth(1).and_then(|x| x.parse().ok()).unwrap_or(0);
    pages * 4096
}

/// Reads one `size_t` statistic of jemalloc by name (a NUL-terminated
/// mallctl name). 0 when jemalloc does not know it. (no C twin: C calls
/// je_mallctl inline)
fn je_mallctl_size(name: &[u8]) -> usize {
    let mut v: usize = 0;
    let mut sz = std::mem::size_of::<usize>();
    // SAFETY: `name` is NUL-terminated; `v`/`sz` are a valid out-buffer of
    // `sz` bytes for a size_t statistic; no new value is written.
    let rc = unsafe {
        tikv_jemalloc_sys::mallctl(
            name.as_ptr().cast(),
            (&mut v as *mut usize).cast(),
            &mut sz,
            std::ptr::null_mut(),
            0,
        )
    };
    if rc == 0 {
        v
    } else {
        0
    }
}

/// jemalloc's own view: (allocated, active, resident), refreshed by
/// advancing the stats epoch first. Unlike RSS, resident leaves out shared
/// libraries and other non-heap mappings; active leaves out the pages
/// jemalloc keeps for reuse; allocated counts every allocation of the
/// process, not only the server's.
///
/// C: zmalloc.c zmalloc_get_allocator_info()
pub(crate) fn zmalloc_get_allocator_info() -> (usize, usize, usize) {
    let mut epoch: u64 = 1;
    let mut sz = std::mem::size_of::<u64>();
    // SAFETY: "epoch" takes and returns a u64; both buffers are `epoch`,
    // valid for 8 bytes.
    unsafe {
        tikv_jemalloc_sys::mallctl(
            c"epoch".as_ptr(),
            (&mut epoch as *mut u64).cast(),
            &mut sz,
            (&mut epoch as *mut u64).cast(),
            std::mem::size_of::<u64>(),
        )
    };
    let resident = je_mallctl_size(b"stats.resident\0");
    let active = je_mallctl_size(b"stats.active\0");
    let allocated = je_mallctl_size(b"stats.allocated\0");
    (allocated, active, resident)
}

/// jemalloc's whole statistics report, as MEMORY MALLOC-STATS prints it.
///
/// C: object.c memoryCommand()'s je_malloc_stats_print(inputCatSds, ...)
pub(crate) fn zmalloc_stats_print() -> Vec<u8> {
    /// Appends one chunk of the report.
    ///
    /// C: object.c inputCatSds()
    extern "C" fn input_cat_sds(
        result: *mut std::ffi::c_void,
        s: *const std::ffi::c_char,
    ) {
        // SAFETY: `result` is the `&mut Vec<u8>` passed below, alive for
        // the whole call; `s` is a NUL-terminated string from jemalloc.
        unsafe {
            let out = &mut *(result as *mut Vec<u8>);
            out.extend_from_slice(std::ffi::CStr::from_ptr(s).to_bytes());
        }
    }
    let mut out: Vec<u8> = Vec::new();
    // SAFETY: the callback only appends to `out`, which outlives the call;
    // a null options string asks for the default report.
    unsafe {
        tikv_jemalloc_sys::malloc_stats_print(
            Some(input_cat_sds),
            (&mut out as *mut Vec<u8>).cast(),
            std::ptr::null(),
        )
    };
    out
}

/// Asks jemalloc to return the dirty pages of every arena to the kernel.
/// True on success.
///
/// C: object.c memoryCommand()'s MEMORY PURGE branch
pub(crate) fn jemalloc_purge() -> bool {
    let mut narenas: u32 = 0;
    let mut sz = std::mem::size_of::<u32>();
    // SAFETY: "arenas.narenas" reads an unsigned into `narenas`.
    let rc = unsafe {
        tikv_jemalloc_sys::mallctl(
            c"arenas.narenas".as_ptr(),
            (&mut narenas as *mut u32).cast(),
            &mut sz,
            std::ptr::null_mut(),
            0,
        )
    };
    if rc != 0 {
        return false;
    }
    // arena.<narenas>.purge is MALLCTL_ARENAS_ALL: every arena.
    let Ok(name) = std::ffi::CString::new(format!("arena.{}.purge", narenas))
    else {
        return false;
    };
    // SAFETY: a void control: no value read or written.
    let rc = unsafe {
        tikv_jemalloc_sys::mallctl(
            name.as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        )
    };
    rc == 0
}

/// Returns the size of physical memory (RAM) in bytes, or 0 if it cannot
/// be told. C asks sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE); the
/// kernel's MemTotal is the same figure and needs no unsafe call.
///
/// C: zmalloc.c zmalloc_get_memory_size()
pub(crate) fn zmalloc_get_memory_size() -> usize {
    let Ok(s) = std::fs::read_to_string("/proc/meminfo") else { return 0 };
    s.lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kb| kb.parse::<usize>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    /// The size classes used_memory counts are the ones jemalloc really
    /// hands out: nallocx() is malloc_usable_size() of a fresh block.
    #[test]
    fn zmalloc_size_class_is_jemallocs() {
        let check = |n: usize, align: usize| {
            // As tikv-jemallocator asks: an alignment flag only when the
            // alignment is above 16 or above the size.
            let flags = if align > 16 || align > n {
                align.trailing_zeros() as i32
            } else {
                0
            };
            // SAFETY: nallocx only computes a size; n is non-zero.
            let je = unsafe { tikv_jemalloc_sys::nallocx(n, flags) };
            assert_eq!(
                zmalloc_size_class(n, align),
                je,
                "size {n} align {align}"
            );
        };
        for n in 1..=70_000 {
            check(n, 1);
            check(n, 8);
            check(n, 16);
        }
        for n in
            [100_000, 1 << 20, (1 << 20) + 1, 5_000_000, 1 << 29, (1 << 29) + 7]
        {
            check(n, 1);
        }
        for n in [1, 8, 33, 64, 65, 100, 4096] {
            check(n, 32);
            check(n, 64);
        }
    }

    use super::*;

    /// Tricky inputs for the strto* family: space, signs, prefixes, bases,
    /// the edges of the ranges, NUL and non-ASCII bytes.
    const STRTO_INPUTS: &[&[u8]] = &[
        b"",
        b" ",
        b"0",
        b"-0",
        b"+0",
        b"3",
        b"-3",
        b"42",
        b"x1",
        b"+",
        b"-",
        b"+-1",
        b"-+1",
        b" + 1",
        b"--1",
        b" \t\n\x0b\x0c\r-17xyz",
        b"\xa01",
        b"12 34",
        b"1e5",
        b"3.5",
        b"1\x002",
        b"\x001",
        b"9223372036854775807",
        b"9223372036854775808",
        b"-9223372036854775808",
        b"-9223372036854775809",
        b"18446744073709551615",
        b"18446744073709551616",
        b"-18446744073709551615",
        b"-18446744073709551616",
        b"99999999999999999999999",
        b"-99999999999999999999",
        b"4294967295",
        b"4294967296",
        b"4294967297",
        b"2147483648",
        b"-2147483649",
        b"0x1f",
        b"0X1F",
        b"0x",
        b"0X",
        b"0xg",
        b"-0x10",
        b"+0x7fffffffffffffff",
        b"0x8000000000000000",
        b"-0x8000000000000001",
        b"0xffffffffffffffff",
        b"0x10000000000000000",
        b"0x0x1",
        b"00x1",
        b"010",
        b"08",
        b"0777",
        b"-077",
        b"z",
        b"Zz",
        b"zzzzzzzzzzzzzz",
        b"0b101",
        b"101",
        b"1_000",
        b"\xd9\xa1",
        b"7\xff",
        b"  0x  ",
    ];
    const STRTO_BASES: &[u32] = &[0, 2, 8, 10, 16, 36];

    /// Runs a libc strto* function on a NUL-terminated copy of `s`;
    /// returns its value, the bytes consumed and whether errno is ERANGE.
    fn libc_strto<T>(
        s: &[u8],
        f: impl Fn(*const libc::c_char, *mut *mut libc::c_char) -> T,
    ) -> Strtol<T> {
        let mut buf = s.to_vec();
        buf.push(0);
        let nptr = buf.as_ptr() as *const libc::c_char;
        let mut end: *mut libc::c_char = std::ptr::null_mut();
        // SAFETY: errno is this thread's own; nothing else reads it here.
        unsafe { *libc::__errno_location() = 0 };
        let value = f(nptr, &mut end);
        // SAFETY: as above.
        let erange = unsafe { *libc::__errno_location() } == libc::ERANGE;
        let consumed = end as usize - nptr as usize;
        Strtol { value, consumed, erange }
    }

    #[test]
    fn strtoll_matches_libc() {
        for &s in STRTO_INPUTS {
            for &base in STRTO_BASES {
                let want = libc_strto(s, |p, e| {
                    // SAFETY: `p` is NUL-terminated, `e` a valid out pointer.
                    unsafe { libc::strtoll(p, e, base as i32) }
                });
                assert_eq!(strtoll(s, base), want, "{s:?} base {base}");
                assert_eq!(strtol(s, base), want, "{s:?} base {base}");
            }
        }
    }

    #[test]
    fn strtoull_matches_libc() {
        for &s in STRTO_INPUTS {
            for &base in STRTO_BASES {
                let want = libc_strto(s, |p, e| {
                    // SAFETY: `p` is NUL-terminated, `e` a valid out pointer.
                    unsafe { libc::strtoull(p, e, base as i32) }
                });
                assert_eq!(strtoull(s, base), want, "{s:?} base {base}");
                assert_eq!(strtoul(s, base), want, "{s:?} base {base}");
            }
        }
    }

    #[test]
    fn atoi_matches_libc() {
        for &s in STRTO_INPUTS {
            let mut buf = s.to_vec();
            buf.push(0);
            // SAFETY: `buf` is NUL-terminated.
            let want = unsafe { libc::atoi(buf.as_ptr() as *const _) };
            assert_eq!(atoi(s), want, "{s:?}");
        }
    }

    #[test]
    fn atoi_reads_like_glibc() {
        assert_eq!(atoi(b"3"), 3);
        assert_eq!(atoi(b" \t+12abc"), 12);
        assert_eq!(atoi(b"-3"), -3);
        assert_eq!(atoi(b"x1"), 0);
        assert_eq!(atoi(b""), 0);
        // (int)4294967297L
        assert_eq!(atoi(b"4294967297"), 1);
        // strtol saturates: (int)LONG_MAX, (int)LONG_MIN
        assert_eq!(atoi(b"99999999999999999999"), -1);
        assert_eq!(atoi(b"-99999999999999999999"), 0);
        assert_eq!(atoi(b"-9223372036854775808"), 0);
    }

    #[test]
    fn stringmatchlen_globs() {
        assert!(stringmatchlen(b"*", b"anything", false));
        assert!(stringmatchlen(b"h?llo", b"hello", false));
        assert!(stringmatchlen(b"h[ae]llo", b"hallo", false));
        assert!(!stringmatchlen(b"h[^e]llo", b"hello", false));
        assert!(stringmatchlen(b"h[a-b]llo", b"hbllo", false));
        assert!(stringmatchlen(b"foo*bar", b"fooXXbar", false));
        assert!(!stringmatchlen(b"foo*bar", b"fooXXba", false));
        assert!(stringmatchlen(b"HELLO", b"hello", true));
        assert!(stringmatchlen(b"a\\*b", b"a*b", false));
        assert!(stringmatchlen(b"key:*", b"key:", false));
    }

    #[test]
    fn sdssplitargs_handles_quotes_and_escapes() {
        assert_eq!(
            sdssplitargs(b"set a b").unwrap(),
            vec![b"set".to_vec(), b"a".to_vec(), b"b".to_vec()]
        );
        assert_eq!(
            sdssplitargs(b"set \"a b\" 'c d'").unwrap()[1],
            b"a b".to_vec()
        );
        assert_eq!(sdssplitargs(b"\"\\x41\\n\"").unwrap()[0], b"A\n".to_vec());
        assert!(sdssplitargs(b"\"unbalanced").is_none());
        assert!(sdssplitargs(b"\"a\"b").is_none());
        assert!(sdssplitargs(b"   ").unwrap().is_empty());
    }

    #[test]
    fn format_log_time_matches_strftime() {
        // 2026-11-25 09:05:45 UTC
        assert_eq!(
            format_log_time(1795597545, 7, 0),
            "25 Nov 2026 09:05:45.007"
        );
        assert_eq!(format_log_time(0, 0, 0), "01 Jan 1970 00:00:00.000");
        assert_eq!(
            format_log_time(951782400, 0, 0),
            "29 Feb 2000 00:00:00.000"
        );
    }
}
