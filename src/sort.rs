//! SORT: sorts the elements of a list, set or sorted set, numerically or
//! as strings, optionally by weights read from other keys (BY), returning
//! other keys' values in their place (GET), a window of the result
//! (LIMIT), or storing it as a list (STORE).
//!
//! Ports sort.c from Redis 5.0.14, in the same order, and the partial
//! quicksort of pqsort.c that SORT uses when BY and LIMIT are both given.
//!
//! Read this first: C sorts with qsort(), which glibc implements as a
//! stable merge sort, so Rust's stable `sort_by` gives the same order,
//! ties included; pqsort() is ported as it is, since which of two equal
//! elements comes first there depends on its partitioning. C passes the
//! sort options to its comparator through `server.sort_*` globals; here
//! they travel in a `SortFlags` value. ALPHA compares with the C library's
//! strcoll() under the LC_COLLATE locale that `main` selects, as Redis
//! does.

use std::cmp::Ordering;
use std::ffi::CString;

use crate::db::*;
use crate::networking::*;
use crate::notify::notify_keyspace_event;
use crate::object::*;
use crate::server::*;
use crate::shared::{NULLBULK, SYNTAXERR, WRONGTYPEERR};
use crate::t_hash::hash_type_get_value_object;
use crate::t_list::{create_quicklist_object, LIST_TAIL};
use crate::t_zset::{zset_convert, zsl_get_element_by_rank, ZSet, ZSL_NULL};

// ------------------------------ server.h: SORT ------------------------------

/// The only sort operation: GET. (C also reserves DEL, INCR, DECR that
/// were never implemented.)
pub(crate) const SORT_OP_GET: i32 = 0;

/// One GET of SORT: its type and its pattern.
///
/// C: server.h redisSortOperation
pub(crate) struct RedisSortOperation {
    pub(crate) type_: i32,
    pub(crate) pattern: Vec<u8>,
}

/// One element being sorted: the element itself, its numeric weight (no
/// ALPHA) or the string it is compared by (ALPHA with BY). C keeps the
/// two in a union; both fields exist here.
///
/// C: server.h redisSortObject
struct RedisSortObject {
    obj: Vec<u8>,
    score: f64,
    cmpobj: Option<Vec<u8>>,
    /// The string strcoll() compares (`cmpobj`, or `obj` without BY), up
    /// to its first NUL as C sees it, made once instead of at every
    /// comparison. Only built when strcoll() is used. (no C twin)
    coll: Option<CString>,
}

/// What C's sortCompare() reads from `server.sort_desc`,
/// `server.sort_alpha`, `server.sort_bypattern` and `server.sort_store`.
/// (no C twin)
#[derive(Clone, Copy)]
struct SortFlags {
    desc: bool,
    alpha: bool,
    bypattern: bool,
    store: bool,
}

/// C's strcasecmp(a, lit) == 0 on a NUL-terminated argument: `a` counts
/// only up to its first NUL byte. (no C twin)
fn strcasecmp_eq(a: &[u8], lit: &[u8]) -> bool {
    a[..c_strlen(a)].eq_ignore_ascii_case(lit)
}

/// strlen() of an sds: the bytes before the first NUL. (no C twin)
fn c_strlen(s: &[u8]) -> usize {
    memchr::memchr(0, s).unwrap_or(s.len())
}

/// C: sort.c createSortOperation()
fn create_sort_operation(type_: i32, pattern: Vec<u8>) -> RedisSortOperation {
    RedisSortOperation { type_, pattern }
}

/// Return the value of the key whose name is obtained from `pattern`:
///
/// 1) The first occurrence of '*' in `pattern` is substituted with
///    `subst`.
///
/// 2) If `pattern` contains "->" (after the '*'), what is on the right of
///    the arrow is a hash field name and what is on the left the name of
///    the key holding the hash: the value of that field is returned.
///
/// 3) If `pattern` is "#", `subst` itself is returned, so that SORT can be
///    used like `SORT key GET #` to get the elements themselves.
///
/// `None` when the key (or field) does not exist or has the wrong type,
/// or when the pattern has no '*' (a GET of a fixed key makes no sense).
///
/// C: sort.c lookupKeyByPattern()
fn lookup_key_by_pattern(
    server: &mut RedisServer,
    c: &Client,
    pattern: &[u8],
    subst: &[u8],
) -> Option<Vec<u8>> {
    // C reads the pattern as a C string (strchr, strstr) in some places
    // and with its sds length in others; `clen` is the C string's end.
    let spat = pattern;
    let clen = c_strlen(spat);

    // If the pattern is "#" return the substitution object itself in order
    // to implement the "SORT ... GET #" feature.
    if clen == 1 && spat[0] == b'#' {
        return Some(subst.to_vec());
    }

    // If we can't find '*' in the pattern we return None as to GET a fixed
    // key does not make sense.
    let p = memchr::memchr(b'*', &spat[..clen])?;

    // Find out if we're dealing with a hash dereference.
    let arrow = spat[p + 1..clen]
        .windows(2)
        .position(|w| w == b"->")
        .map(|i| p + 1 + i);
    let (fieldobj, fieldlen) = match arrow {
        Some(f) if f + 2 < clen => {
            let fieldlen = spat.len() - f - 2;
            (Some(&spat[f + 2..f + 2 + fieldlen]), fieldlen)
        }
        _ => (None, 0),
    };

    // Perform the '*' substitution.
    let prefixlen = p;
    let postfixlen = spat.len()
        - (prefixlen + 1)
        - if fieldlen > 0 { fieldlen + 2 } else { 0 };
    let mut keyobj = Vec::with_capacity(prefixlen + subst.len() + postfixlen);
    keyobj.extend_from_slice(&spat[..prefixlen]);
    keyobj.extend_from_slice(subst);
    keyobj.extend_from_slice(&spat[p + 1..p + 1 + postfixlen]);

    // Lookup substituted key
    let o = lookup_key_read(server, c, &keyobj)?;

    // Divergence from C: C returns the value object itself (refcounted);
    // the keyspace owns values here, so a copy of the bytes is returned.
    if let Some(field) = fieldobj {
        if o.obj_type() != OBJ_HASH {
            return None;
        }
        // Retrieve the value from the hash by the field name.
        hash_type_get_value_object(o, field)
    } else {
        if o.obj_type() != OBJ_STRING {
            return None;
        }
        o.string_bytes().map(|s| s.into_owned())
    }
}

/// C's strcoll() on two C strings, under the LC_COLLATE locale set at
/// start-up. (no C twin: C calls libc)
fn strcoll(a: &CString, b: &CString) -> i32 {
    // SAFETY: both pointers come from live CStrings, so they are valid and
    // NUL-terminated for the duration of the call; strcoll only reads
    // them. The server is single-threaded, so no setlocale() runs
    // concurrently.
    unsafe { libc::strcoll(a.as_ptr(), b.as_ptr()) }
}

/// The C string strcoll() sees for `s`: the bytes before its first NUL.
/// (no C twin)
fn coll_key(s: &[u8]) -> CString {
    // Cannot fail: the slice stops before the first NUL.
    CString::new(&s[..c_strlen(s)]).unwrap_or_default()
}

/// compareStringObjects() of two decoded strings: memcmp() of the common
/// part, then the shorter one first. Returns <0, 0 or >0.
/// (no C twin: object.c compareStringObjects() on sds strings)
fn compare_string_objects(a: &[u8], b: &[u8]) -> i32 {
    match a.cmp(b) {
        Ordering::Less => -1,
        Ordering::Equal => 0,
        Ordering::Greater => 1,
    }
}

/// The comparator of SORT: by weight (numeric), else by the strings
/// (ALPHA), compared with strcoll() unless the result is stored (binary
/// comparison then, so a replica or an AOF reload stores the same list
/// whatever its locale). Returns <0, 0 or >0.
///
/// C: sort.c sortCompare()
fn sort_compare(
    so1: &RedisSortObject,
    so2: &RedisSortObject,
    f: SortFlags,
) -> i32 {
    let cmp: i32;
    if !f.alpha {
        // Numeric sorting. Here it's trivial as we precomputed scores
        if so1.score > so2.score {
            cmp = 1;
        } else if so1.score < so2.score {
            cmp = -1;
        } else {
            // Objects have the same score, but we don't want the comparison
            // to be undefined, so we compare objects lexicographically.
            // This way the result of SORT is deterministic.
            cmp = compare_string_objects(&so1.obj, &so2.obj);
        }
    } else {
        // Alphanumeric sorting
        if f.bypattern {
            match (&so1.cmpobj, &so2.cmpobj) {
                // At least one compare object is missing
                (None, None) => cmp = 0,
                (None, Some(_)) => cmp = -1,
                (Some(_), None) => cmp = 1,
                // We have both the objects, compare them.
                (Some(a), Some(b)) => {
                    if f.store {
                        cmp = compare_string_objects(a, b);
                    } else {
                        cmp = coll_cmp(so1, so2);
                    }
                }
            }
        } else {
            // Compare elements directly.
            if f.store {
                cmp = compare_string_objects(&so1.obj, &so2.obj);
            } else {
                // C: collateStringObjects()
                cmp = coll_cmp(so1, so2);
            }
        }
    }
    if f.desc {
        -cmp
    } else {
        cmp
    }
}

/// strcoll() of the two elements' collation strings, as -1, 0 or 1.
/// (no C twin)
fn coll_cmp(so1: &RedisSortObject, so2: &RedisSortObject) -> i32 {
    match (&so1.coll, &so2.coll) {
        (Some(a), Some(b)) => strcoll(a, b).signum(),
        _ => 0,
    }
}

// --------------------------------- pqsort.c ---------------------------------
//
// The partial qsort of pqsort.c (Bentley & McIlroy's "Engineering a Sort
// Function", as in NetBSD's qsort), which only bothers to sort the
// partitions that overlap the elements lrange..=rrange. C works on bytes
// with an element size; this works on element indices of a slice.

/// The median of three elements, by index.
///
/// C: pqsort.c med3()
fn med3<T>(
    v: &[T],
    a: usize,
    b: usize,
    c: usize,
    cmp: &mut impl FnMut(&T, &T) -> i32,
) -> usize {
    if cmp(&v[a], &v[b]) < 0 {
        if cmp(&v[b], &v[c]) < 0 {
            b
        } else if cmp(&v[a], &v[c]) < 0 {
            c
        } else {
            a
        }
    } else if cmp(&v[b], &v[c]) > 0 {
        b
    } else if cmp(&v[a], &v[c]) < 0 {
        a
    } else {
        c
    }
}

/// Swaps the `n` elements from `a` with the `n` elements from `b`.
///
/// C: pqsort.c vecswap (macro)
fn vecswap<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

/// Sorts the `n` elements from `base` enough for the elements lrange..=
/// rrange (indices into `v`) to be in their sorted places.
///
/// C: pqsort.c _pqsort()
fn _pqsort<T>(
    v: &mut [T],
    mut base: usize,
    mut n: usize,
    cmp: &mut impl FnMut(&T, &T) -> i32,
    lrange: usize,
    rrange: usize,
) {
    // C: loop:
    loop {
        if n < 7 {
            for pm in base + 1..base + n {
                let mut pl = pm;
                while pl > base && cmp(&v[pl - 1], &v[pl]) > 0 {
                    v.swap(pl, pl - 1);
                    pl -= 1;
                }
            }
            return;
        }
        let mut pm = base + n / 2;
        if n > 7 {
            let mut pl = base;
            let mut pn = base + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(base, pm);
        let mut pa = base + 1;
        let mut pb = pa;
        let mut pc = base + n - 1;
        let mut pd = pc;
        loop {
            while pb <= pc {
                let cmp_result = cmp(&v[pb], &v[base]);
                if cmp_result > 0 {
                    break;
                }
                if cmp_result == 0 {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let cmp_result = cmp(&v[pc], &v[base]);
                if cmp_result < 0 {
                    break;
                }
                if cmp_result == 0 {
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }

        let pn = base + n;
        let r = (pa - base).min(pb - pa);
        vecswap(v, base, pb - r, r);
        let r = (pd - pc).min(pn - pd - 1);
        vecswap(v, pb, pn - r, r);
        // Whether the elements lo..=hi miss the wanted range entirely.
        let outside = |lo: usize, hi: usize| {
            (lrange < lo && rrange < lo) || (lrange > hi && rrange > hi)
        };
        let r = pb - pa;
        if r > 1 && !outside(base, base + r - 1) {
            _pqsort(v, base, r, cmp, lrange, rrange);
        }
        let r = pd - pc;
        if r > 1 {
            // Iterate rather than recurse to save stack space
            base = pn - r;
            n = r;
            if !outside(base, base + r - 1) {
                continue;
            }
        }
        return;
    }
}

/// Sorts `v` enough for its elements lrange..=rrange to be the ones a full
/// sort would put there, in that order.
///
/// C: pqsort.c pqsort()
fn pqsort<T>(
    v: &mut [T],
    cmp: &mut impl FnMut(&T, &T) -> i32,
    lrange: usize,
    rrange: usize,
) {
    let n = v.len();
    _pqsort(v, 0, n, cmp, lrange, rrange);
}

// ---------------------------------- sort.c ----------------------------------

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern
/// ...]] [ASC|DESC] [ALPHA] [STORE destination]
///
/// The most complex command of Redis: the C code is written for speed
/// more than for readability, and this port keeps its shape.
///
/// C: sort.c sortCommand()
pub(crate) fn sort_command(server: &mut RedisServer, c: &mut Client) {
    let mut desc = false;
    let mut alpha = false;
    let mut limit_start: i64 = 0;
    let mut limit_count: i64 = -1;
    let mut dontsort = false;
    let mut getop: i64 = 0; // GET operation counter
    let mut int_conversion_error = false;
    let mut syntax_error = 0;
    let mut sortby: Option<Vec<u8>> = None;
    let mut storekey: Option<Vec<u8>> = None;
    let dbid = c.db;

    // Lookup the key to sort. It must be of the right types
    let key = std::mem::take(&mut c.argv[1]);
    let found = lookup_key_read(server, c, &key).map(|o| o.obj_type());
    c.argv[1] = key;
    if let Some(t) = found {
        if t != OBJ_SET && t != OBJ_LIST && t != OBJ_ZSET {
            add_reply(c, WRONGTYPEERR);
            return;
        }
    }

    // Create a list of operations to perform for every sorted element.
    // Operations can be GET
    let mut operations: Vec<RedisSortOperation> = Vec::new();
    let mut j = 2; // options start at argv[2]

    // C protects the value with a reference here, or uses a new empty list
    // when the key does not exist. The value is read again below, once the
    // options are parsed; nothing can change it in between.
    let sorttype = found.unwrap_or(OBJ_LIST);

    // The SORT command has an SQL-alike syntax, parse it
    let argc = c.argv.len();
    while j < argc {
        let leftargs = argc - j - 1;
        let arg = &c.argv[j];
        if strcasecmp_eq(arg, b"asc") {
            desc = false;
        } else if strcasecmp_eq(arg, b"desc") {
            desc = true;
        } else if strcasecmp_eq(arg, b"alpha") {
            alpha = true;
        } else if strcasecmp_eq(arg, b"limit") && leftargs >= 2 {
            let a1 = c.argv[j + 1].clone();
            let a2 = c.argv[j + 2].clone();
            let Some(s) = get_long_from_object_or_reply(c, &a1, None) else {
                syntax_error += 1;
                break;
            };
            limit_start = s;
            let Some(n) = get_long_from_object_or_reply(c, &a2, None) else {
                syntax_error += 1;
                break;
            };
            limit_count = n;
            j += 2;
        } else if strcasecmp_eq(arg, b"store") && leftargs >= 1 {
            storekey = Some(c.argv[j + 1].clone());
            j += 1;
        } else if strcasecmp_eq(arg, b"by") && leftargs >= 1 {
            let pattern = c.argv[j + 1].clone();
            // If the BY pattern does not contain '*', i.e. it is constant,
            // we don't need to sort nor to lookup the weight keys.
            if memchr::memchr(b'*', &pattern[..c_strlen(&pattern)]).is_none() {
                dontsort = true;
            } else {
                // If BY is specified with a real pattern, we can't accept
                // it in cluster mode.
                if server.cluster_enabled {
                    add_reply_error(
                        c,
                        "BY option of SORT denied in Cluster mode.",
                    );
                    syntax_error += 1;
                    break;
                }
            }
            sortby = Some(pattern);
            j += 1;
        } else if strcasecmp_eq(arg, b"get") && leftargs >= 1 {
            if server.cluster_enabled {
                add_reply_error(
                    c,
                    "GET option of SORT denied in Cluster mode.",
                );
                syntax_error += 1;
                break;
            }
            operations.push(create_sort_operation(
                SORT_OP_GET,
                c.argv[j + 1].clone(),
            ));
            getop += 1;
            j += 1;
        } else {
            add_reply(c, SYNTAXERR);
            syntax_error += 1;
            break;
        }
        j += 1;
    }

    // Handle syntax errors set during options parsing.
    if syntax_error > 0 {
        return;
    }

    // When sorting a set with no sort specified, we must sort the output
    // so the result is consistent across scripting and replication.
    //
    // The other types (list, sorted set) will retain their native order
    // even if no sort order is requested, so they remain stable across
    // scripting and replication.
    //
    // (Without Lua, CLIENT_LUA is never set: only STORE triggers this.)
    if dontsort
        && sorttype == OBJ_SET
        && (storekey.is_some() || c.flags & CLIENT_LUA != 0)
    {
        // Force ALPHA sorting
        dontsort = false;
        alpha = true;
        sortby = None;
    }

    // The value to sort: the key's, or an empty list when it does not
    // exist (read without a second lookup's side effects).
    let mut sortval: Option<&mut RObj> = match found {
        Some(_) => lookup_key(server, dbid, &c.argv[1], LOOKUP_NOTOUCH),
        None => None,
    };

    // Destructively convert encoded sorted sets for SORT.
    if sorttype == OBJ_ZSET {
        if let Some(o) = sortval.as_deref_mut() {
            zset_convert(o, OBJ_ENCODING_SKIPLIST);
        }
    }

    // Obtain the length of the object to sort.
    let mut vectorlen: i64 = match sortval.as_deref().map(|o| &o.ptr) {
        None => 0,
        Some(Value::List(l)) => l.len() as i64,
        Some(Value::Set(s)) => s.len() as i64,
        Some(Value::ZSet(z)) => z.len() as i64,
        Some(_) => unreachable!("Bad SORT type"),
    };

    // Perform LIMIT start,count sanity checking.
    let mut start = if limit_start < 0 { 0 } else { limit_start };
    // Divergence from C: C computes start+limit_count-1 without an
    // overflow check; past LONG_MAX a real 5.0 then announces an array of
    // about 4 billion elements and sends none (with BY nosort it crashes).
    // The sum saturates here, so the range simply ends at the last element.
    let mut end = if limit_count < 0 {
        vectorlen - 1
    } else {
        start.saturating_add(limit_count) - 1
    };
    if start >= vectorlen {
        start = vectorlen - 1;
        end = vectorlen - 2;
    }
    if end >= vectorlen {
        end = vectorlen - 1;
    }

    // Whenever possible, we load elements into the output array in a more
    // direct way. This is possible if:
    //
    // 1) The object to sort is a sorted set or a list (internally sorted).
    // 2) There is nothing to sort as dontsort is true (BY <constant string>).
    //
    // In this special case, if we have a LIMIT option that actually reduces
    // the number of elements to fetch, we also optimize to just load the
    // range we are interested in and allocating a vector that is big enough
    // for the selected range length.
    if (sorttype == OBJ_ZSET || sorttype == OBJ_LIST)
        && dontsort
        && (start != 0 || end != vectorlen - 1)
    {
        vectorlen = end - start + 1;
    }

    // Load the sorting vector with all the objects to sort
    let mut vector: Vec<RedisSortObject> =
        Vec::with_capacity(vectorlen.max(0) as usize);
    let elem = |obj: Vec<u8>| RedisSortObject {
        obj,
        score: 0.0,
        cmpobj: None,
        coll: None,
    };

    // Folding `end >= start` into the guard of the first list arm (as
    // clippy suggests) would send an empty range to the next arm.
    #[allow(clippy::collapsible_match)]
    match sortval.as_deref().map(|o| &o.ptr) {
        None => {}
        Some(Value::List(l)) if dontsort => {
            // Special handling for a list, if 'dontsort' is true. This
            // makes sure we return elements in the list original ordering,
            // accordingly to DESC / ASC options.
            //
            // Note that in this case we also handle LIMIT here in a direct
            // way, just getting the required range, as an optimization.
            if end >= start {
                let n = vectorlen as usize;
                if desc {
                    // From index len-start-1 towards the head.
                    for ele in l.iter().rev().skip(start as usize).take(n) {
                        vector.push(elem(ele.to_vec()));
                    }
                } else {
                    for ele in l.iter_from(start as usize).take(n) {
                        vector.push(elem(ele.to_vec()));
                    }
                }
                // Fix start/end: output code is not aware of this
                // optimization.
                end -= start;
                start = 0;
            }
        }
        Some(Value::List(l)) => {
            for ele in l.iter() {
                vector.push(elem(ele.to_vec()));
            }
        }
        Some(Value::Set(s)) => {
            for ele in s.iter() {
                vector.push(elem(ele.into_owned()));
            }
        }
        Some(Value::ZSet(z)) if dontsort => {
            // Special handling for a sorted set, if 'dontsort' is true.
            // This makes sure we return elements in the sorted set original
            // ordering, accordingly to DESC / ASC options.
            //
            // Note that in this case we also handle LIMIT here in a direct
            // way, just getting the required range, as an optimization.
            let ZSet::Skiplist(zs) = z else {
                unreachable!("converted to a skiplist above")
            };
            let zsl = &zs.zsl;
            let mut rangelen = vectorlen;

            // Check if starting point is trivial, before doing log(N)
            // lookup.
            let mut ln = if desc {
                let zsetlen = zs.dict.dict_size() as i64;
                if start > 0 {
                    zsl_get_element_by_rank(zsl, (zsetlen - start) as u64)
                } else {
                    zsl.tail()
                }
            } else if start > 0 {
                zsl_get_element_by_rank(zsl, (start + 1) as u64)
            } else {
                zsl.first()
            };

            while rangelen > 0 {
                rangelen -= 1;
                assert!(
                    ln != ZSL_NULL,
                    "SORT: sorted set shorter than its length"
                );
                vector.push(elem(zsl.node(ln).ele.to_vec()));
                ln = if desc { zsl.prev(ln) } else { zsl.next(ln) };
            }
            // Fix start/end: output code is not aware of this optimization.
            end -= start;
            start = 0;
        }
        Some(Value::ZSet(z)) => {
            let ZSet::Skiplist(zs) = z else {
                unreachable!("converted to a skiplist above")
            };
            for de in zs.dict.iter() {
                vector.push(elem(de.key().to_vec()));
            }
        }
        Some(_) => unreachable!("Unknown type"),
    }
    assert!(
        vector.len() as i64 == vectorlen.max(0),
        "SORT: vector length mismatch"
    );

    let flags = SortFlags {
        desc,
        alpha,
        bypattern: sortby.is_some(),
        store: storekey.is_some(),
    };

    // Now it's time to load the right scores in the sorting vector
    if !dontsort {
        for so in vector.iter_mut() {
            let byval = match &sortby {
                // lookup value to sort by
                Some(pattern) => {
                    match lookup_key_by_pattern(server, c, pattern, &so.obj) {
                        Some(v) => std::borrow::Cow::Owned(v),
                        None => continue,
                    }
                }
                // use object itself to sort by
                None => std::borrow::Cow::Borrowed(&so.obj[..]),
            };

            if alpha {
                if sortby.is_some() {
                    so.cmpobj = Some(byval.into_owned());
                }
            } else {
                // C reads INT-encoded values with a cast and the others
                // with strtod(), which must stop at the terminating NUL;
                // strtod() of the decimal text gives the same double.
                let r = strtod(&byval);
                so.score = r.value;
                if (r.consumed < byval.len() && byval[r.consumed] != 0)
                    || r.erange
                    || r.value.is_nan()
                {
                    int_conversion_error = true;
                }
            }
        }

        // The strings strcoll() will compare, made once.
        if alpha && !flags.store {
            for so in vector.iter_mut() {
                so.coll = match (&so.cmpobj, flags.bypattern) {
                    (Some(s), true) => Some(coll_key(s)),
                    (None, true) => None,
                    (_, false) => Some(coll_key(&so.obj)),
                };
            }
        }

        // Divergence from C: C sorts even when a weight was not a number
        // (NaN among the scores) and then replies the error; the order is
        // never seen, so we skip the sort, which a NaN could make panic.
        if !int_conversion_error {
            let mut cmp = |a: &RedisSortObject, b: &RedisSortObject| {
                sort_compare(a, b, flags)
            };
            if sortby.is_some() && (start != 0 || end != vectorlen - 1) {
                pqsort(&mut vector, &mut cmp, start as usize, end as usize);
            } else {
                // glibc's qsort() is a stable merge sort, as sort_by is.
                vector.sort_by(|a, b| cmp(a, b).cmp(&0));
            }
        }
    }

    // Send command output to the output buffer, performing the specified
    // GET/DEL/INCR/DECR operations if any.
    let outputlen =
        (if getop > 0 { getop * (end - start + 1) } else { end - start + 1 })
            as u32;
    if int_conversion_error {
        add_reply_error(c, "One or more scores can't be converted into double");
    } else if let Some(storekey) = storekey {
        // STORE option specified, set the sorting result as a List object
        let mut sobj = create_quicklist_object(server);
        let fill = server.list_max_ziplist_size;
        let Value::List(l) = &mut sobj.ptr else { unreachable!("a new list") };
        let mut j = start;
        while j <= end {
            let so = &vector[j as usize];
            if getop == 0 {
                l.push_with_fill(&so.obj, LIST_TAIL, fill);
            } else {
                for sop in &operations {
                    let val =
                        lookup_key_by_pattern(server, c, &sop.pattern, &so.obj);
                    assert!(sop.type_ == SORT_OP_GET, "Always fails");
                    l.push_with_fill(
                        val.as_deref().unwrap_or(b""),
                        LIST_TAIL,
                        fill,
                    );
                }
            }
            j += 1;
        }
        if outputlen != 0 {
            set_key(server, dbid, &storekey, sobj);
            notify_keyspace_event(
                server,
                NOTIFY_LIST,
                "sortstore",
                &storekey,
                dbid as i32,
            );
            server.dirty += outputlen as i64;
        } else if db_delete(server, dbid, &storekey) {
            signal_modified_key(server, dbid, &storekey);
            notify_keyspace_event(
                server,
                NOTIFY_GENERIC,
                "del",
                &storekey,
                dbid as i32,
            );
            server.dirty += 1;
        }
        add_reply_long_long(c, outputlen as i64);
    } else {
        // STORE option not specified, sent the sorting result to client
        add_reply_multi_bulk_len(c, outputlen as i64);
        let mut j = start;
        while j <= end {
            let so = &vector[j as usize];
            if getop == 0 {
                add_reply_bulk(c, &so.obj);
            }
            for sop in &operations {
                let val =
                    lookup_key_by_pattern(server, c, &sop.pattern, &so.obj);
                assert!(sop.type_ == SORT_OP_GET, "Always fails");
                match val {
                    None => add_reply(c, NULLBULK),
                    Some(v) => add_reply_bulk(c, &v),
                }
            }
            j += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The element order of a full stable sort of `v` by `key`, for
    /// comparison with what pqsort leaves in a range.
    fn sorted(v: &[(i32, u32)]) -> Vec<(i32, u32)> {
        let mut s = v.to_vec();
        s.sort_by_key(|e| e.0);
        s
    }

    #[test]
    fn pqsort_sorts_the_requested_range() {
        // A fixed pseudo-random vector, with many duplicate keys.
        let mut x: u32 = 12345;
        let v: Vec<(i32, u32)> = (0..500)
            .map(|i| {
                x = x.wrapping_mul(1103515245).wrapping_add(12345);
                (((x >> 16) % 50) as i32, i)
            })
            .collect();
        let full = sorted(&v);
        for (l, r) in [(0, 9), (100, 149), (490, 499), (0, 499), (250, 250)] {
            let mut w = v.clone();
            pqsort(
                &mut w,
                &mut |a: &(i32, u32), b: &(i32, u32)| a.0 - b.0,
                l,
                r,
            );
            let got: Vec<i32> = w[l..=r].iter().map(|e| e.0).collect();
            let want: Vec<i32> = full[l..=r].iter().map(|e| e.0).collect();
            assert_eq!(got, want, "range {l}..={r}");
        }
    }

    #[test]
    fn pqsort_small_vectors_use_insertion_sort() {
        let mut w = vec![5, 3, 4, 1, 2];
        pqsort(&mut w, &mut |a: &i32, b: &i32| a - b, 0, 4);
        assert_eq!(w, vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn sort_compare_numeric_ties_compare_the_strings() {
        let so = |s: &str, score: f64| RedisSortObject {
            obj: s.into(),
            score,
            cmpobj: None,
            coll: None,
        };
        let f = SortFlags {
            desc: false,
            alpha: false,
            bypattern: false,
            store: false,
        };
        assert_eq!(sort_compare(&so("b", 1.0), &so("a", 2.0), f), -1);
        assert_eq!(sort_compare(&so("b", 1.0), &so("a", 1.0), f), 1);
        let d = SortFlags { desc: true, ..f };
        assert_eq!(sort_compare(&so("b", 1.0), &so("a", 1.0), d), -1);
    }
}
