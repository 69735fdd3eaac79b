//! The sorted set commands: ZADD/ZINCRBY, ZREM and the ZREMRANGEBY*
//! family, ZUNIONSTORE/ZINTERSTORE, the ZRANGE* and ZREVRANGE* family,
//! ZCOUNT/ZLEXCOUNT, ZCARD, ZSCORE, ZRANK, ZSCAN, ZPOPMIN/ZPOPMAX and
//! their blocking forms.
//!
//! Ports the "Sorted set commands" section of t_zset.c from Redis 5.0.14,
//! in the same order.

use super::*;

// -----------------------------------------------------------------------------
// Sorted set commands
// -----------------------------------------------------------------------------

/// Argument `i` read as a long, replying the standard error when it is not
/// one; argv is left as it was. (no C twin: C passes `c->argv[i]` to
/// getLongFromObjectOrReply, which borrows both)
fn arg_long_or_reply(c: &mut Client, i: usize) -> Option<i64> {
    let arg = std::mem::take(&mut c.argv[i]);
    let r = get_long_from_object_or_reply(c, &arg, None);
    c.argv[i] = arg;
    r
}

/// Argument `i` read as a double, replying `msg` (or the standard error)
/// when it is not one. (no C twin: see arg_long_or_reply)
fn arg_double_or_reply(
    c: &mut Client,
    i: usize,
    msg: Option<&str>,
) -> Option<f64> {
    let arg = std::mem::take(&mut c.argv[i]);
    let r = get_double_from_object_or_reply(c, &arg, msg);
    c.argv[i] = arg;
    r
}

/// The value of `key`, which the caller has just looked up (with its
/// expiry and access-time side effects) and found. (no C twin: C keeps the
/// pointer it got; a Rust borrow of the keyspace cannot outlive a db_add
/// or a reply in between)
fn zobj_mut<'a>(
    server: &'a mut RedisServer,
    dbid: usize,
    key: &[u8],
) -> &'a mut RObj {
    server.db[dbid]
        .dict
        .find_mut(key)
        .expect("the key was looked up just before")
}

/// This generic command implements both ZADD and ZINCRBY.
///
/// C: t_zset.c zaddGenericCommand()
pub(crate) fn zadd_generic_command(
    server: &mut RedisServer,
    c: &mut Client,
    mut flags: i32,
) {
    const NANERR: &str = "resulting score is not a number (NaN)";
    let argc = c.argv.len();
    let mut score = 0.0;
    // The following vars are used in order to track what the command
    // actually did during the execution, to reply to the client and to
    // trigger the notification of keyspace change.
    let mut added: i64 = 0; // Number of new elements added.
    let mut updated: i64 = 0; // Number of elements with updated score.
    let mut processed: i64 = 0; // Number of elements processed, may remain zero with options like XX.

    // Parse options. At the end 'scoreidx' is set to the argument position
    // of the score of the first score-element pair.
    let mut scoreidx = 2;
    while scoreidx < argc {
        let opt = &c.argv[scoreidx];
        if opt.eq_ignore_ascii_case(b"nx") {
            flags |= ZADD_NX;
        } else if opt.eq_ignore_ascii_case(b"xx") {
            flags |= ZADD_XX;
        } else if opt.eq_ignore_ascii_case(b"ch") {
            flags |= ZADD_CH;
        } else if opt.eq_ignore_ascii_case(b"incr") {
            flags |= ZADD_INCR;
        } else {
            break;
        }
        scoreidx += 1;
    }

    // Turn options into simple to check vars.
    let incr = flags & ZADD_INCR != 0;
    let nx = flags & ZADD_NX != 0;
    let xx = flags & ZADD_XX != 0;
    let ch = flags & ZADD_CH != 0;

    // After the options, we expect to have an even number of args, since
    // we expect any number of score-element pairs.
    let mut elements = argc - scoreidx;
    if !elements.is_multiple_of(2) || elements == 0 {
        add_reply(c, SYNTAXERR);
        return;
    }
    elements /= 2; // Now this holds the number of score-element pairs.

    // Check for incompatible options.
    if nx && xx {
        add_reply_error(
            c,
            "XX and NX options at the same time are not compatible",
        );
        return;
    }
    if incr && elements > 1 {
        add_reply_error(
            c,
            "INCR option supports a single increment-element pair",
        );
        return;
    }

    // Start parsing all the scores, we need to emit any syntax error before
    // executing additions to the sorted set, as the command should either
    // execute fully or nothing at all.
    let mut scores = Vec::with_capacity(elements);
    for j in 0..elements {
        let Some(s) = arg_double_or_reply(c, scoreidx + j * 2, None) else {
            return;
        };
        scores.push(s);
    }

    let dbid = c.db;
    let key = std::mem::take(&mut c.argv[1]);
    let limits = ZsetLimits::of(server);
    'cleanup: {
        'reply_to_client: {
            // Lookup the key and create the sorted set if does not exist.
            match lookup_key_write(server, dbid, &key).map(|o| o.obj_type()) {
                None => {
                    if xx {
                        break 'reply_to_client; // No key + XX option: nothing to do.
                    }
                    let lru = crate::object::new_object_lru(server);
                    let zobj = if limits.entries == 0
                        || limits.value < c.argv[scoreidx + 1].len()
                    {
                        create_zset_object(lru)
                    } else {
                        create_zset_ziplist_object(lru)
                    };
                    db_add(server, dbid, &key, zobj);
                }
                Some(t) => {
                    if t != OBJ_ZSET {
                        add_reply(c, WRONGTYPEERR);
                        break 'cleanup;
                    }
                }
            }
            let zobj = zobj_mut(server, dbid, &key);

            for (j, &s) in scores.iter().enumerate() {
                let mut newscore = 0.0;
                score = s;
                let mut retflags = flags;

                let ele = &c.argv[scoreidx + 1 + j * 2];
                if !zset_add(
                    zobj,
                    score,
                    ele,
                    &mut retflags,
                    &mut newscore,
                    limits,
                ) {
                    add_reply_error(c, NANERR);
                    break 'cleanup;
                }
                if retflags & ZADD_ADDED != 0 {
                    added += 1;
                }
                if retflags & ZADD_UPDATED != 0 {
                    updated += 1;
                }
                if retflags & ZADD_NOP == 0 {
                    processed += 1;
                }
                score = newscore;
            }
            server.dirty += added + updated;
        }

        // reply_to_client:
        if incr {
            // ZINCRBY or INCR option.
            if processed != 0 {
                add_reply_double(c, score);
            } else {
                add_reply(c, NULLBULK);
            }
        } else {
            // ZADD.
            add_reply_long_long(c, if ch { added + updated } else { added });
        }
    }

    // cleanup:
    if added != 0 || updated != 0 {
        signal_modified_key(server, dbid, &key);
        notify_keyspace_event(
            server,
            NOTIFY_ZSET,
            if incr { "zincr" } else { "zadd" },
            &key,
            dbid as i32,
        );
    }
    c.argv[1] = key;
}

/// ZADD key [NX|XX] [CH] [INCR] score member [score member ...]
///
/// C: t_zset.c zaddCommand()
pub(crate) fn zadd_command(server: &mut RedisServer, c: &mut Client) {
    zadd_generic_command(server, c, ZADD_NONE);
}

/// ZINCRBY key increment member
///
/// C: t_zset.c zincrbyCommand()
pub(crate) fn zincrby_command(server: &mut RedisServer, c: &mut Client) {
    zadd_generic_command(server, c, ZADD_INCR);
}

/// ZREM key member [member ...]
///
/// C: t_zset.c zremCommand()
pub(crate) fn zrem_command(server: &mut RedisServer, c: &mut Client) {
    let dbid = c.db;
    let key = std::mem::take(&mut c.argv[1]);
    'done: {
        let Some(zobj) = lookup_key_write_or_reply(server, c, &key, CZERO)
        else {
            break 'done;
        };
        if check_type(c, zobj, OBJ_ZSET) {
            break 'done;
        }
        let mut deleted: i64 = 0;
        let mut keyremoved = false;
        for j in 2..c.argv.len() {
            if zset_del(zobj, &c.argv[j]) {
                deleted += 1;
            }
            if zset_length(zobj) == 0 {
                keyremoved = true;
                break;
            }
        }
        if keyremoved {
            db_delete(server, dbid, &key);
        }

        if deleted != 0 {
            notify_keyspace_event(
                server,
                NOTIFY_ZSET,
                "zrem",
                &key,
                dbid as i32,
            );
            if keyremoved {
                notify_keyspace_event(
                    server,
                    NOTIFY_GENERIC,
                    "del",
                    &key,
                    dbid as i32,
                );
            }
            signal_modified_key(server, dbid, &key);
            server.dirty += deleted;
        }
        add_reply_long_long(c, deleted);
    }
    c.argv[1] = key;
}

/// The kinds of range of zremrangeGenericCommand().
pub(crate) const ZRANGE_RANK: i32 = 0;
pub(crate) const ZRANGE_SCORE: i32 = 1;
pub(crate) const ZRANGE_LEX: i32 = 2;

/// A parsed range of one of the three kinds. (no C twin: C keeps three
/// variables of which one is set)
enum ZRemRange {
    Rank(i64, i64),
    Score(ZRangeSpec),
    Lex(ZLexRangeSpec),
}

/// Implements ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX commands.
///
/// C: t_zset.c zremrangeGenericCommand()
pub(crate) fn zremrange_generic_command(
    server: &mut RedisServer,
    c: &mut Client,
    rangetype: i32,
) {
    // Step 1: Parse the range.
    let range = match rangetype {
        ZRANGE_RANK => {
            let Some(start) = arg_long_or_reply(c, 2) else {
                return;
            };
            let Some(end) = arg_long_or_reply(c, 3) else {
                return;
            };
            ZRemRange::Rank(start, end)
        }
        ZRANGE_SCORE => match zsl_parse_range(&c.argv[2], &c.argv[3]) {
            Ok(r) => ZRemRange::Score(r),
            Err(_) => {
                add_reply_error(c, "min or max is not a float");
                return;
            }
        },
        _ => match zsl_parse_lex_range(&c.argv[2], &c.argv[3]) {
            Ok(r) => ZRemRange::Lex(r),
            Err(_) => {
                add_reply_error(c, "min or max not valid string range item");
                return;
            }
        },
    };

    // Step 2: Lookup & range sanity checks if needed.
    let dbid = c.db;
    let key = std::mem::take(&mut c.argv[1]);
    'cleanup: {
        let Some(zobj) = lookup_key_write_or_reply(server, c, &key, CZERO)
        else {
            break 'cleanup;
        };
        if check_type(c, zobj, OBJ_ZSET) {
            break 'cleanup;
        }

        let (mut start, mut end) = (0i64, 0i64);
        if let ZRemRange::Rank(s, e) = range {
            // Sanitize indexes.
            (start, end) = (s, e);
            let llen = zset_length(zobj) as i64;
            if start < 0 {
                start += llen;
            }
            if end < 0 {
                end += llen;
            }
            if start < 0 {
                start = 0;
            }
            // Invariant: start >= 0, so this test will be true when end < 0.
            // The range is empty when start > end or start >= length.
            if start > end || start >= llen {
                add_reply(c, CZERO);
                break 'cleanup;
            }
            if end >= llen {
                end = llen - 1;
            }
        }

        // Step 3: Perform the range deletion operation.
        let (deleted, keyremoved) = match zset_mut(zobj) {
            ZSet::Ziplist(zl) => {
                let deleted = match &range {
                    ZRemRange::Rank(..) => zzl_delete_range_by_rank(
                        zl,
                        start as u32 + 1,
                        end as u32 + 1,
                    ),
                    ZRemRange::Score(r) => zzl_delete_range_by_score(zl, r),
                    ZRemRange::Lex(r) => zzl_delete_range_by_lex(zl, r),
                };
                (deleted, zzl_length(zl) == 0)
            }
            ZSet::Skiplist(zs) => {
                let zs = &mut **zs;
                let deleted = match &range {
                    ZRemRange::Rank(..) => zsl_delete_range_by_rank(
                        &mut zs.zsl,
                        start as u32 + 1,
                        end as u32 + 1,
                        &mut zs.dict,
                    ),
                    ZRemRange::Score(r) => {
                        zsl_delete_range_by_score(&mut zs.zsl, r, &mut zs.dict)
                    }
                    ZRemRange::Lex(r) => {
                        zsl_delete_range_by_lex(&mut zs.zsl, r, &mut zs.dict)
                    }
                };
                if zs.dict.ht_needs_resize() {
                    let _ = zs.dict.dict_resize();
                }
                (deleted, zs.dict.dict_size() == 0)
            }
        };
        if keyremoved {
            db_delete(server, dbid, &key);
        }

        // Step 4: Notifications and reply.
        if deleted != 0 {
            const EVENT: [&str; 3] =
                ["zremrangebyrank", "zremrangebyscore", "zremrangebylex"];
            signal_modified_key(server, dbid, &key);
            notify_keyspace_event(
                server,
                NOTIFY_ZSET,
                EVENT[rangetype as usize],
                &key,
                dbid as i32,
            );
            if keyremoved {
                notify_keyspace_event(
                    server,
                    NOTIFY_GENERIC,
                    "del",
                    &key,
                    dbid as i32,
                );
            }
        }
        server.dirty += deleted as i64;
        add_reply_long_long(c, deleted as i64);
    }
    // cleanup: (C frees the lex range here; ours is dropped.)
    c.argv[1] = key;
}

/// ZREMRANGEBYRANK key start stop
///
/// C: t_zset.c zremrangebyrankCommand()
pub(crate) fn zremrangebyrank_command(
    server: &mut RedisServer,
    c: &mut Client,
) {
    zremrange_generic_command(server, c, ZRANGE_RANK);
}

/// ZREMRANGEBYSCORE key min max
///
/// C: t_zset.c zremrangebyscoreCommand()
pub(crate) fn zremrangebyscore_command(
    server: &mut RedisServer,
    c: &mut Client,
) {
    zremrange_generic_command(server, c, ZRANGE_SCORE);
}

/// ZREMRANGEBYLEX key min max
///
/// C: t_zset.c zremrangebylexCommand()
pub(crate) fn zremrangebylex_command(server: &mut RedisServer, c: &mut Client) {
    zremrange_generic_command(server, c, ZRANGE_LEX);
}

// ------------------- ZUNIONSTORE / ZINTERSTORE: the inputs -------------------
//
// C's zsetopsrc/zsetopval carry an iterator per encoding and a value that
// may be an sds, a ziplist string or a long long, with flags saying which
// conversions were made and must be freed. Here the value is a
// `Cow<[u8]>`: borrowed from the input when it holds bytes, owned when an
// intset integer had to be printed. That covers these conversions, and
// the iterator's Drop clears it:
// C: t_zset.c zuiLongLongFromValue()
// C: t_zset.c zuiSdsFromValue()
// C: t_zset.c zuiNewSdsFromValue()
// C: t_zset.c zuiBufferFromValue()
// C: t_zset.c zuiClearIterator()

/// One input of ZUNIONSTORE/ZINTERSTORE: a sorted set or a set (every
/// member of a set has score 1), or nothing for a missing key, with its
/// weight.
///
/// C: t_zset.c zsetopsrc
struct ZsetOpSrc<'a> {
    subject: Option<&'a RObj>,
    weight: f64,
}

/// The iterator over one input. (C: zsetopsrc's iter union)
enum ZuiIter<'a> {
    Empty,
    Zset(ZSetIter<'a>),
    Set(Box<dyn Iterator<Item = Cow<'a, [u8]>> + 'a>),
}

/// Starts iterating an input.
///
/// C: t_zset.c zuiInitIterator()
fn zui_init_iterator<'a>(op: &ZsetOpSrc<'a>) -> ZuiIter<'a> {
    match op.subject {
        None => ZuiIter::Empty,
        Some(o) => match &o.ptr {
            Value::ZSet(z) => ZuiIter::Zset(z.iter()),
            Value::Set(_) => ZuiIter::Set(zui_set_members(o)),
            _ => unreachable!("Unsupported type"),
        },
    }
}

/// The number of elements of an input (0 for a missing key).
///
/// C: t_zset.c zuiLength()
fn zui_length(op: &ZsetOpSrc<'_>) -> usize {
    match op.subject {
        None => 0,
        Some(o) => match &o.ptr {
            Value::ZSet(z) => z.len(),
            Value::Set(_) => zui_set_length(o),
            _ => unreachable!("Unsupported type"),
        },
    }
}

/// The next element of an input and its score, or `None` at the end.
///
/// C: t_zset.c zuiNext()
fn zui_next<'a>(it: &mut ZuiIter<'a>) -> Option<(Cow<'a, [u8]>, f64)> {
    match it {
        ZuiIter::Empty => None,
        ZuiIter::Zset(i) => {
            i.next().map(|(ele, score)| (Cow::Borrowed(ele), score))
        }
        ZuiIter::Set(i) => i.next().map(|ele| (ele, 1.0)),
    }
}

/// Find `ele` in the input: its score when found.
///
/// C: t_zset.c zuiFind()
fn zui_find(op: &ZsetOpSrc<'_>, ele: &[u8]) -> Option<f64> {
    let o = op.subject?;
    match &o.ptr {
        Value::ZSet(_) => zset_score(o, ele),
        Value::Set(_) => zui_set_contains(o, ele).then_some(1.0),
        _ => unreachable!("Unsupported type"),
    }
}

/// Orders inputs from the smallest to the largest.
///
/// C: t_zset.c zuiCompareByCardinality()
fn zui_compare_by_cardinality(
    s1: &ZsetOpSrc<'_>,
    s2: &ZsetOpSrc<'_>,
) -> std::cmp::Ordering {
    zui_length(s1).cmp(&zui_length(s2))
}

/// How many members a set input has. (no C twin: setTypeSize() through
/// t_set.rs)
fn zui_set_length(o: &RObj) -> usize {
    crate::t_set::set_ref(o).len()
}

/// The members of a set input, intset integers printed as C's
/// zuiSdsFromValue() prints them. (no C twin: C walks the intset or the
/// dict itself)
fn zui_set_members(o: &RObj) -> Box<dyn Iterator<Item = Cow<'_, [u8]>> + '_> {
    Box::new(crate::t_set::set_ref(o).iter())
}

/// Whether a set input has `ele`. For an intset C first checks that `ele`
/// is an integer in canonical form (zuiLongLongFromValue); a set holding
/// the member's exact bytes is the same test. (no C twin)
fn zui_set_contains(o: &RObj, ele: &[u8]) -> bool {
    crate::t_set::set_ref(o).is_member(ele)
}

pub(crate) const REDIS_AGGR_SUM: i32 = 1;
pub(crate) const REDIS_AGGR_MIN: i32 = 2;
pub(crate) const REDIS_AGGR_MAX: i32 = 3;

/// SET_OP_UNION / SET_OP_INTER of server.h, as t_set.c uses them too.
pub(crate) const SET_OP_UNION: i32 = 0;
pub(crate) const SET_OP_INTER: i32 = 2;

/// Folds `val` into `target` as AGGREGATE says.
///
/// C: t_zset.c zunionInterAggregate()
#[inline]
fn zunion_inter_aggregate(target: &mut f64, val: f64, aggregate: i32) {
    if aggregate == REDIS_AGGR_SUM {
        *target += val;
        // The result of adding two doubles is NaN when one variable is
        // +inf and the other is -inf. When these numbers are added, we
        // maintain the convention of the result being 0.0.
        if target.is_nan() {
            *target = 0.0;
        }
    } else if aggregate == REDIS_AGGR_MIN {
        *target = if val < *target { val } else { *target };
    } else if aggregate == REDIS_AGGR_MAX {
        *target = if val > *target { val } else { *target };
    } else {
        // safety net
        unreachable!("Unknown ZUNION/INTER aggregate type");
    }
}

/// ZUNIONSTORE / ZINTERSTORE destination numkeys key [key ...]
/// [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]
///
/// C: t_zset.c zunionInterGenericCommand()
pub(crate) fn zunion_inter_generic_command(
    server: &mut RedisServer,
    c: &mut Client,
    op: i32,
) {
    let argc = c.argv.len();
    let mut aggregate = REDIS_AGGR_SUM;
    let mut maxelelen = 0usize;
    let mut totelelen = 0usize;
    let dbid = c.db;

    // expect setnum input keys to be given
    let Some(setnum) = arg_long_or_reply(c, 2) else {
        return;
    };
    if setnum < 1 {
        add_reply_error(
            c,
            "at least 1 input key is needed for ZUNIONSTORE/ZINTERSTORE",
        );
        return;
    }
    // test if the expected number of keys would overflow
    if setnum > argc as i64 - 3 {
        add_reply(c, SYNTAXERR);
        return;
    }
    let setnum = setnum as usize;

    // read keys to be used for input
    for j in 3..3 + setnum {
        if let Some(obj) = lookup_key_write(server, dbid, &c.argv[j]) {
            let t = obj.obj_type();
            if t != OBJ_ZSET && t != OBJ_SET {
                add_reply(c, WRONGTYPEERR);
                return;
            }
        }
    }
    // Default all weights to 1.
    let mut weights = vec![1.0f64; setnum];

    // parse optional extra arguments
    let mut j = 3 + setnum;
    if j < argc {
        let mut remaining = argc - j;
        while remaining > 0 {
            if remaining > setnum && c.argv[j].eq_ignore_ascii_case(b"weights")
            {
                j += 1;
                remaining -= 1;
                for w in weights.iter_mut() {
                    let Some(v) = arg_double_or_reply(
                        c,
                        j,
                        Some("weight value is not a float"),
                    ) else {
                        return;
                    };
                    *w = v;
                    j += 1;
                    remaining -= 1;
                }
            } else if remaining >= 2
                && c.argv[j].eq_ignore_ascii_case(b"aggregate")
            {
                j += 1;
                remaining -= 1;
                let a = &c.argv[j];
                if a.eq_ignore_ascii_case(b"sum") {
                    aggregate = REDIS_AGGR_SUM;
                } else if a.eq_ignore_ascii_case(b"min") {
                    aggregate = REDIS_AGGR_MIN;
                } else if a.eq_ignore_ascii_case(b"max") {
                    aggregate = REDIS_AGGR_MAX;
                } else {
                    add_reply(c, SYNTAXERR);
                    return;
                }
                j += 1;
                remaining -= 1;
            } else {
                add_reply(c, SYNTAXERR);
                return;
            }
        }
    }

    // The inputs, borrowed from the keyspace until the result is built.
    // The lookups above already expired what had to be.
    let keyspace = &server.db[dbid].dict;
    let mut src: Vec<ZsetOpSrc<'_>> = (0..setnum)
        .map(|i| ZsetOpSrc {
            subject: keyspace.find(&c.argv[3 + i]).map(|de| de.val()),
            weight: weights[i],
        })
        .collect();

    // sort sets from the smallest to largest, this will improve our
    // algorithm's performance
    src.sort_by(zui_compare_by_cardinality);

    let mut dstzset = ZsetSkiplist::new();

    if op == SET_OP_INTER {
        // Skip everything if the smallest input is empty.
        if zui_length(&src[0]) > 0 {
            // Precondition: as src[0] is non-empty and the inputs are
            // ordered by size, all src[i > 0] are non-empty too.
            let mut it = zui_init_iterator(&src[0]);
            while let Some((ele, zscore)) = zui_next(&mut it) {
                let mut score = src[0].weight * zscore;
                if score.is_nan() {
                    score = 0.0;
                }
                let mut j = 1;
                while j < setnum {
                    // It is not safe to access the zset we are iterating,
                    // so explicitly check for equal object. (Safe here,
                    // but the same key twice takes the same path as in C.)
                    if let (Some(a), Some(b)) = (src[j].subject, src[0].subject)
                    {
                        if std::ptr::eq(a, b) {
                            let value = zscore * src[j].weight;
                            zunion_inter_aggregate(
                                &mut score, value, aggregate,
                            );
                            j += 1;
                            continue;
                        }
                    }
                    match zui_find(&src[j], &ele) {
                        Some(value) => {
                            zunion_inter_aggregate(
                                &mut score,
                                value * src[j].weight,
                                aggregate,
                            );
                        }
                        None => break,
                    }
                    j += 1;
                }

                // Only continue when present in every input.
                if j == setnum {
                    let tmp: ZsetSds = ele.into_owned().into();
                    totelelen += tmp.len();
                    maxelelen = maxelelen.max(tmp.len());
                    zsl_insert(&mut dstzset.zsl, score, tmp.clone());
                    let _ = dstzset.dict.dict_add(tmp, score);
                }
            }
        }
    } else if op == SET_OP_UNION {
        let mut accumulator: Dict<ZsetSds, f64> = Dict::new();

        // Our union is at least as large as the largest set. Resize the
        // dictionary ASAP to avoid useless rehashing.
        let _ = accumulator.dict_expand(zui_length(&src[setnum - 1]));

        // Step 1: Create a dictionary of elements -> aggregated-scores by
        // iterating one sorted set after the other.
        for s in &src {
            if zui_length(s) == 0 {
                continue;
            }
            let mut it = zui_init_iterator(s);
            while let Some((ele, zscore)) = zui_next(&mut it) {
                // Initialize value
                let mut score = s.weight * zscore;
                if score.is_nan() {
                    score = 0.0;
                }
                // Search for this element in the accumulating dictionary.
                match accumulator.find_mut(&ele) {
                    // Update the score with the score of the new instance of
                    // the element found in the current sorted set.
                    Some(existing) => {
                        zunion_inter_aggregate(existing, score, aggregate)
                    }
                    // If we don't have it, we need to create a new entry.
                    None => {
                        // Remember the longest single element encountered, to
                        // understand if it's possible to convert to ziplist at
                        // the end.
                        totelelen += ele.len();
                        maxelelen = maxelelen.max(ele.len());
                        // Update the element with its initial score.
                        let _ = accumulator
                            .dict_add(ele.into_owned().into(), score);
                    }
                }
            }
        }

        // Step 2: convert the dictionary into the final sorted set. We now
        // are aware of the final size of the resulting sorted set, let's
        // resize the dictionary embedded inside the sorted set to the right
        // size, in order to save rehashing time.
        let _ = dstzset.dict.dict_expand(accumulator.dict_size());
        for de in accumulator.iter() {
            let (ele, score) = (de.key(), *de.val());
            zsl_insert(&mut dstzset.zsl, score, ele.clone());
            let _ = dstzset.dict.dict_add(ele.clone(), score);
        }
    } else {
        unreachable!("Unknown operator");
    }
    drop(src);

    let dstkey = std::mem::take(&mut c.argv[1]);
    let touched = db_delete(server, dbid, &dstkey);
    if dstzset.zsl.length != 0 {
        let mut dstobj = create_object(
            crate::object::new_object_lru(server),
            OBJ_ENCODING_SKIPLIST,
            Value::ZSet(ZSet::Skiplist(Box::new(dstzset))),
        );
        zset_convert_to_ziplist_if_needed(
            &mut dstobj,
            maxelelen,
            totelelen,
            ZsetLimits::of(server),
        );
        let len = zset_length(&dstobj);
        db_add(server, dbid, &dstkey, dstobj);
        add_reply_long_long(c, len as i64);
        signal_modified_key(server, dbid, &dstkey);
        let event =
            if op == SET_OP_UNION { "zunionstore" } else { "zinterstore" };
        notify_keyspace_event(server, NOTIFY_ZSET, event, &dstkey, dbid as i32);
        server.dirty += 1;
    } else {
        add_reply(c, CZERO);
        if touched {
            signal_modified_key(server, dbid, &dstkey);
            notify_keyspace_event(
                server,
                NOTIFY_GENERIC,
                "del",
                &dstkey,
                dbid as i32,
            );
            server.dirty += 1;
        }
    }
    c.argv[1] = dstkey;
}

/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS ...] [AGGREGATE ...]
///
/// C: t_zset.c zunionstoreCommand()
pub(crate) fn zunionstore_command(server: &mut RedisServer, c: &mut Client) {
    zunion_inter_generic_command(server, c, SET_OP_UNION);
}

/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS ...] [AGGREGATE ...]
///
/// C: t_zset.c zinterstoreCommand()
pub(crate) fn zinterstore_command(server: &mut RedisServer, c: &mut Client) {
    zunion_inter_generic_command(server, c, SET_OP_INTER);
}

/// ZRANGE/ZREVRANGE key start stop [WITHSCORES]
///
/// C: t_zset.c zrangeGenericCommand()
pub(crate) fn zrange_generic_command(
    server: &mut RedisServer,
    c: &mut Client,
    reverse: bool,
) {
    let argc = c.argv.len();
    let mut withscores = false;

    let Some(mut start) = arg_long_or_reply(c, 2) else {
        return;
    };
    let Some(mut end) = arg_long_or_reply(c, 3) else {
        return;
    };

    if argc == 5 && c.argv[4].eq_ignore_ascii_case(b"withscores") {
        withscores = true;
    } else if argc >= 5 {
        add_reply(c, SYNTAXERR);
        return;
    }

    let key = std::mem::take(&mut c.argv[1]);
    'done: {
        let Some(zobj) =
            lookup_key_read_or_reply(server, c, &key, EMPTYMULTIBULK)
        else {
            break 'done;
        };
        if check_type(c, zobj, OBJ_ZSET) {
            break 'done;
        }

        // Sanitize indexes.
        let llen = zset_length(zobj) as i64;
        if start < 0 {
            start += llen;
        }
        if end < 0 {
            end += llen;
        }
        if start < 0 {
            start = 0;
        }

        // Invariant: start >= 0, so this test will be true when end < 0.
        // The range is empty when start > end or start >= length.
        if start > end || start >= llen {
            add_reply(c, EMPTYMULTIBULK);
            break 'done;
        }
        if end >= llen {
            end = llen - 1;
        }
        let mut rangelen = (end - start) + 1;

        // Return the result in form of a multi-bulk reply
        add_reply_multi_bulk_len(
            c,
            if withscores { rangelen * 2 } else { rangelen },
        );

        match zset_ref(zobj) {
            ZSet::Ziplist(zl) => {
                let mut eptr =
                    zzl_index(zl, if reverse { -1 - start } else { start });
                while rangelen > 0 {
                    rangelen -= 1;
                    let p = eptr
                        .expect("zrange: the ziplist ended inside the range");
                    let e = zzl_decode(&zl.zl, p);
                    add_reply_bulk_c_buffer(c, e.ele);
                    if withscores {
                        add_reply_double(c, e.score);
                    }
                    eptr =
                        if reverse { zzl_prev(zl, p) } else { zzl_next(zl, p) };
                }
            }
            ZSet::Skiplist(zs) => {
                let zsl = &zs.zsl;
                // Check if starting point is trivial, before doing log(N)
                // lookup.
                let mut ln = if reverse {
                    if start > 0 {
                        zsl_get_element_by_rank(zsl, (llen - start) as u64)
                    } else {
                        zsl.tail
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
                        "zrange: the skiplist ended inside the range"
                    );
                    let n = zsl.node(ln);
                    add_reply_bulk_c_buffer(c, &n.ele);
                    if withscores {
                        add_reply_double(c, n.score);
                    }
                    ln = if reverse { n.backward } else { n.level(0).forward };
                }
            }
        }
    }
    c.argv[1] = key;
}

/// ZRANGE key start stop [WITHSCORES]
///
/// C: t_zset.c zrangeCommand()
pub(crate) fn zrange_command(server: &mut RedisServer, c: &mut Client) {
    zrange_generic_command(server, c, false);
}

/// ZREVRANGE key start stop [WITHSCORES]
///
/// C: t_zset.c zrevrangeCommand()
pub(crate) fn zrevrange_command(server: &mut RedisServer, c: &mut Client) {
    zrange_generic_command(server, c, true);
}

/// C's `while (p && n--)`: false when `n` was 0 before the decrement;
/// `n` goes on decreasing (wrapping where C's signed long would be
/// undefined), so a negative count never stops the loop. (no C twin)
fn zset_post_decrement(n: &mut i64) -> bool {
    let was = *n;
    *n = n.wrapping_sub(1);
    was != 0
}

/// This command implements ZRANGEBYSCORE, ZREVRANGEBYSCORE.
///
/// C: t_zset.c genericZrangebyscoreCommand()
pub(crate) fn generic_zrangebyscore_command(
    server: &mut RedisServer,
    c: &mut Client,
    reverse: bool,
) {
    let argc = c.argv.len();
    let mut offset: i64 = 0;
    let mut limit: i64 = -1;
    let mut withscores = false;
    let mut rangelen: i64 = 0;

    // Parse the range arguments. Reversed, the range is given as [max,min].
    let (minidx, maxidx) = if reverse { (3, 2) } else { (2, 3) };
    let Ok(range) = zsl_parse_range(&c.argv[minidx], &c.argv[maxidx]) else {
        add_reply_error(c, "min or max is not a float");
        return;
    };

    // Parse optional extra arguments. Note that ZCOUNT will exactly have 4
    // arguments, so we'll never enter the following code path.
    if argc > 4 {
        let mut remaining = argc - 4;
        let mut pos = 4;
        while remaining > 0 {
            if remaining >= 1 && c.argv[pos].eq_ignore_ascii_case(b"withscores")
            {
                pos += 1;
                remaining -= 1;
                withscores = true;
            } else if remaining >= 3
                && c.argv[pos].eq_ignore_ascii_case(b"limit")
            {
                let Some(o) = arg_long_or_reply(c, pos + 1) else {
                    return;
                };
                let Some(l) = arg_long_or_reply(c, pos + 2) else {
                    return;
                };
                (offset, limit) = (o, l);
                pos += 3;
                remaining -= 3;
            } else {
                add_reply(c, SYNTAXERR);
                return;
            }
        }
    }

    // Ok, lookup the key and get the range
    let key = std::mem::take(&mut c.argv[1]);
    'done: {
        let Some(zobj) =
            lookup_key_read_or_reply(server, c, &key, EMPTYMULTIBULK)
        else {
            break 'done;
        };
        if check_type(c, zobj, OBJ_ZSET) {
            break 'done;
        }

        let replylen;
        match zset_ref(zobj) {
            ZSet::Ziplist(zl) => {
                // If reversed, get the last node in range as starting point.
                let mut eptr = if reverse {
                    zzl_last_in_range(zl, &range)
                } else {
                    zzl_first_in_range(zl, &range)
                };

                // No "first" element in the specified interval.
                if eptr.is_none() {
                    add_reply(c, EMPTYMULTIBULK);
                    break 'done;
                }

                // We don't know in advance how many matching elements there
                // are in the list, so we push this object that will
                // represent the multi-bulk length in the output buffer, and
                // will "fix" it later
                replylen = add_deferred_multi_bulk_length(c);

                // If there is an offset, just traverse the number of
                // elements without checking the score because that is done
                // in the next loop.
                while let Some(p) = eptr {
                    if !zset_post_decrement(&mut offset) {
                        break;
                    }
                    eptr =
                        if reverse { zzl_prev(zl, p) } else { zzl_next(zl, p) };
                }

                while let Some(p) = eptr {
                    if !zset_post_decrement(&mut limit) {
                        break;
                    }
                    let e = zzl_decode(&zl.zl, p);

                    // Abort when the node is no longer in range.
                    if reverse {
                        if !zsl_value_gte_min(e.score, &range) {
                            break;
                        }
                    } else if !zsl_value_lte_max(e.score, &range) {
                        break;
                    }

                    rangelen += 1;
                    add_reply_bulk_c_buffer(c, e.ele);
                    if withscores {
                        add_reply_double(c, e.score);
                    }

                    // Move to next node
                    eptr =
                        if reverse { zzl_prev(zl, p) } else { zzl_next(zl, p) };
                }
            }
            ZSet::Skiplist(zs) => {
                let zsl = &zs.zsl;

                // If reversed, get the last node in range as starting point.
                let mut ln = if reverse {
                    zsl_last_in_range(zsl, &range)
                } else {
                    zsl_first_in_range(zsl, &range)
                };

                // No "first" element in the specified interval.
                if ln == ZSL_NULL {
                    add_reply(c, EMPTYMULTIBULK);
                    break 'done;
                }

                // We don't know in advance how many matching elements there
                // are in the list, so we push this object that will
                // represent the multi-bulk length in the output buffer, and
                // will "fix" it later
                replylen = add_deferred_multi_bulk_length(c);

                // If there is an offset, just traverse the number of
                // elements without checking the score because that is done
                // in the next loop.
                while ln != ZSL_NULL && zset_post_decrement(&mut offset) {
                    ln = if reverse { zsl.prev(ln) } else { zsl.next(ln) };
                }

                while ln != ZSL_NULL && zset_post_decrement(&mut limit) {
                    let n = zsl.node(ln);
                    // Abort when the node is no longer in range.
                    if reverse {
                        if !zsl_value_gte_min(n.score, &range) {
                            break;
                        }
                    } else if !zsl_value_lte_max(n.score, &range) {
                        break;
                    }

                    rangelen += 1;
                    add_reply_bulk_c_buffer(c, &n.ele);
                    if withscores {
                        add_reply_double(c, n.score);
                    }

                    // Move to next node
                    ln = if reverse { n.backward } else { n.level(0).forward };
                }
            }
        }

        if withscores {
            rangelen *= 2;
        }
        set_deferred_multi_bulk_length(c, replylen, rangelen);
    }
    c.argv[1] = key;
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
///
/// C: t_zset.c zrangebyscoreCommand()
pub(crate) fn zrangebyscore_command(server: &mut RedisServer, c: &mut Client) {
    generic_zrangebyscore_command(server, c, false);
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
///
/// C: t_zset.c zrevrangebyscoreCommand()
pub(crate) fn zrevrangebyscore_command(
    server: &mut RedisServer,
    c: &mut Client,
) {
    generic_zrangebyscore_command(server, c, true);
}

/// ZCOUNT key min max
///
/// C: t_zset.c zcountCommand()
pub(crate) fn zcount_command(server: &mut RedisServer, c: &mut Client) {
    let mut count: u64 = 0;

    // Parse the range arguments
    let Ok(range) = zsl_parse_range(&c.argv[2], &c.argv[3]) else {
        add_reply_error(c, "min or max is not a float");
        return;
    };

    // Lookup the sorted set
    let key = std::mem::take(&mut c.argv[1]);
    'done: {
        let Some(zobj) = lookup_key_read_or_reply(server, c, &key, CZERO)
        else {
            break 'done;
        };
        if check_type(c, zobj, OBJ_ZSET) {
            break 'done;
        }

        match zset_ref(zobj) {
            ZSet::Ziplist(zl) => {
                // Use the first element in range as the starting point
                let Some(first) = zzl_first_in_range(zl, &range) else {
                    // No "first" element
                    add_reply(c, CZERO);
                    break 'done;
                };

                // First element is in range
                assert!(zsl_value_lte_max(zzl_get_score(zl, first), &range));

                // Iterate over elements in range
                let mut eptr = Some(first);
                while let Some(p) = eptr {
                    // Abort when the node is no longer in range.
                    if !zsl_value_lte_max(zzl_get_score(zl, p), &range) {
                        break;
                    }
                    count += 1;
                    eptr = zzl_next(zl, p);
                }
            }
            ZSet::Skiplist(zs) => {
                let zsl = &zs.zsl;

                // Find first element in range
                let zn = zsl_first_in_range(zsl, &range);

                // Use rank of first element, if any, to determine
                // preliminary count
                if zn != ZSL_NULL {
                    let n = zsl.node(zn);
                    let rank = zsl_get_rank(zsl, n.score, &n.ele);
                    count = zsl.length as u64 - (rank - 1);

                    // Find last element in range
                    let zn = zsl_last_in_range(zsl, &range);

                    // Use rank of last element, if any, to determine the
                    // actual count
                    if zn != ZSL_NULL {
                        let n = zsl.node(zn);
                        let rank = zsl_get_rank(zsl, n.score, &n.ele);
                        count -= zsl.length as u64 - rank;
                    }
                }
            }
        }
        add_reply_long_long(c, count as i64);
    }
    c.argv[1] = key;
}

/// ZLEXCOUNT key min max
///
/// C: t_zset.c zlexcountCommand()
pub(crate) fn zlexcount_command(server: &mut RedisServer, c: &mut Client) {
    let mut count: u64 = 0;

    // Parse the range arguments
    let Ok(range) = zsl_parse_lex_range(&c.argv[2], &c.argv[3]) else {
        add_reply_error(c, "min or max not valid string range item");
        return;
    };

    // Lookup the sorted set
    let key = std::mem::take(&mut c.argv[1]);
    'done: {
        let Some(zobj) = lookup_key_read_or_reply(server, c, &key, CZERO)
        else {
            break 'done;
        };
        if check_type(c, zobj, OBJ_ZSET) {
            break 'done;
        }

        match zset_ref(zobj) {
            ZSet::Ziplist(zl) => {
                // Use the first element in range as the starting point
                let Some(first) = zzl_first_in_lex_range(zl, &range) else {
                    // No "first" element
                    add_reply(c, CZERO);
                    break 'done;
                };

                // First element is in range
                assert!(zzl_lex_value_lte_max(zl, first, &range));

                // Iterate over elements in range
                let mut eptr = Some(first);
                while let Some(p) = eptr {
                    // Abort when the node is no longer in range.
                    if !zzl_lex_value_lte_max(zl, p, &range) {
                        break;
                    }
                    count += 1;
                    eptr = zzl_next(zl, p);
                }
            }
            ZSet::Skiplist(zs) => {
                let zsl = &zs.zsl;

                // Find first element in range
                let zn = zsl_first_in_lex_range(zsl, &range);

                // Use rank of first element, if any, to determine
                // preliminary count
                if zn != ZSL_NULL {
                    let n = zsl.node(zn);
                    let rank = zsl_get_rank(zsl, n.score, &n.ele);
                    count = zsl.length as u64 - (rank - 1);

                    // Find last element in range
                    let zn = zsl_last_in_lex_range(zsl, &range);

                    // Use rank of last element, if any, to determine the
                    // actual count
                    if zn != ZSL_NULL {
                        let n = zsl.node(zn);
                        let rank = zsl_get_rank(zsl, n.score, &n.ele);
                        count -= zsl.length as u64 - rank;
                    }
                }
            }
        }
        add_reply_long_long(c, count as i64);
    }
    c.argv[1] = key;
}

/// This command implements ZRANGEBYLEX, ZREVRANGEBYLEX.
///
/// C: t_zset.c genericZrangebylexCommand()
pub(crate) fn generic_zrangebylex_command(
    server: &mut RedisServer,
    c: &mut Client,
    reverse: bool,
) {
    let argc = c.argv.len();
    let mut offset: i64 = 0;
    let mut limit: i64 = -1;
    let mut rangelen: i64 = 0;

    // Parse the range arguments. Reversed, the range is given as [max,min].
    let (minidx, maxidx) = if reverse { (3, 2) } else { (2, 3) };
    let Ok(range) = zsl_parse_lex_range(&c.argv[minidx], &c.argv[maxidx])
    else {
        add_reply_error(c, "min or max not valid string range item");
        return;
    };

    // Parse optional extra arguments. Note that ZCOUNT will exactly have 4
    // arguments, so we'll never enter the following code path.
    if argc > 4 {
        let mut remaining = argc - 4;
        let mut pos = 4;
        while remaining > 0 {
            if remaining >= 3 && c.argv[pos].eq_ignore_ascii_case(b"limit") {
                let Some(o) = arg_long_or_reply(c, pos + 1) else {
                    return;
                };
                let Some(l) = arg_long_or_reply(c, pos + 2) else {
                    return;
                };
                (offset, limit) = (o, l);
                pos += 3;
                remaining -= 3;
            } else {
                add_reply(c, SYNTAXERR);
                return;
            }
        }
    }

    // Ok, lookup the key and get the range
    let key = std::mem::take(&mut c.argv[1]);
    'done: {
        let Some(zobj) =
            lookup_key_read_or_reply(server, c, &key, EMPTYMULTIBULK)
        else {
            break 'done;
        };
        if check_type(c, zobj, OBJ_ZSET) {
            break 'done;
        }

        let replylen;
        match zset_ref(zobj) {
            ZSet::Ziplist(zl) => {
                // If reversed, get the last node in range as starting point.
                let mut eptr = if reverse {
                    zzl_last_in_lex_range(zl, &range)
                } else {
                    zzl_first_in_lex_range(zl, &range)
                };

                // No "first" element in the specified interval.
                if eptr.is_none() {
                    add_reply(c, EMPTYMULTIBULK);
                    break 'done;
                }

                // We don't know in advance how many matching elements there
                // are in the list, so we push this object that will
                // represent the multi-bulk length in the output buffer, and
                // will "fix" it later
                replylen = add_deferred_multi_bulk_length(c);

                // If there is an offset, just traverse the number of
                // elements without checking the score because that is done
                // in the next loop.
                while let Some(p) = eptr {
                    if !zset_post_decrement(&mut offset) {
                        break;
                    }
                    eptr =
                        if reverse { zzl_prev(zl, p) } else { zzl_next(zl, p) };
                }

                while let Some(p) = eptr {
                    if !zset_post_decrement(&mut limit) {
                        break;
                    }
                    // Abort when the node is no longer in range.
                    if reverse {
                        if !zzl_lex_value_gte_min(zl, p, &range) {
                            break;
                        }
                    } else if !zzl_lex_value_lte_max(zl, p, &range) {
                        break;
                    }

                    rangelen += 1;
                    add_reply_bulk_c_buffer(c, zzl_decode(&zl.zl, p).ele);

                    // Move to next node
                    eptr =
                        if reverse { zzl_prev(zl, p) } else { zzl_next(zl, p) };
                }
            }
            ZSet::Skiplist(zs) => {
                let zsl = &zs.zsl;

                // If reversed, get the last node in range as starting point.
                let mut ln = if reverse {
                    zsl_last_in_lex_range(zsl, &range)
                } else {
                    zsl_first_in_lex_range(zsl, &range)
                };

                // No "first" element in the specified interval.
                if ln == ZSL_NULL {
                    add_reply(c, EMPTYMULTIBULK);
                    break 'done;
                }

                // We don't know in advance how many matching elements there
                // are in the list, so we push this object that will
                // represent the multi-bulk length in the output buffer, and
                // will "fix" it later
                replylen = add_deferred_multi_bulk_length(c);

                // If there is an offset, just traverse the number of
                // elements without checking the score because that is done
                // in the next loop.
                while ln != ZSL_NULL && zset_post_decrement(&mut offset) {
                    ln = if reverse { zsl.prev(ln) } else { zsl.next(ln) };
                }

                while ln != ZSL_NULL && zset_post_decrement(&mut limit) {
                    let n = zsl.node(ln);
                    // Abort when the node is no longer in range.
                    if reverse {
                        if !zsl_lex_value_gte_min(&n.ele, &range) {
                            break;
                        }
                    } else if !zsl_lex_value_lte_max(&n.ele, &range) {
                        break;
                    }

                    rangelen += 1;
                    add_reply_bulk_c_buffer(c, &n.ele);

                    // Move to next node
                    ln = if reverse { n.backward } else { n.level(0).forward };
                }
            }
        }

        set_deferred_multi_bulk_length(c, replylen, rangelen);
    }
    c.argv[1] = key;
}

/// ZRANGEBYLEX key min max [LIMIT offset count]
///
/// C: t_zset.c zrangebylexCommand()
pub(crate) fn zrangebylex_command(server: &mut RedisServer, c: &mut Client) {
    generic_zrangebylex_command(server, c, false);
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count]
///
/// C: t_zset.c zrevrangebylexCommand()
pub(crate) fn zrevrangebylex_command(server: &mut RedisServer, c: &mut Client) {
    generic_zrangebylex_command(server, c, true);
}

/// ZCARD key
///
/// C: t_zset.c zcardCommand()
pub(crate) fn zcard_command(server: &mut RedisServer, c: &mut Client) {
    let key = std::mem::take(&mut c.argv[1]);
    if let Some(zobj) = lookup_key_read_or_reply(server, c, &key, CZERO) {
        if !check_type(c, zobj, OBJ_ZSET) {
            add_reply_long_long(c, zset_length(zobj) as i64);
        }
    }
    c.argv[1] = key;
}

/// ZSCORE key member
///
/// C: t_zset.c zscoreCommand()
pub(crate) fn zscore_command(server: &mut RedisServer, c: &mut Client) {
    let key = std::mem::take(&mut c.argv[1]);
    if let Some(zobj) = lookup_key_read_or_reply(server, c, &key, NULLBULK) {
        if !check_type(c, zobj, OBJ_ZSET) {
            match zset_score(zobj, &c.argv[2]) {
                None => add_reply(c, NULLBULK),
                Some(score) => add_reply_double(c, score),
            }
        }
    }
    c.argv[1] = key;
}

/// ZRANK/ZREVRANK key member
///
/// C: t_zset.c zrankGenericCommand()
pub(crate) fn zrank_generic_command(
    server: &mut RedisServer,
    c: &mut Client,
    reverse: bool,
) {
    let key = std::mem::take(&mut c.argv[1]);
    if let Some(zobj) = lookup_key_read_or_reply(server, c, &key, NULLBULK) {
        if !check_type(c, zobj, OBJ_ZSET) {
            let rank = zset_rank(zobj, &c.argv[2], reverse);
            if rank >= 0 {
                add_reply_long_long(c, rank);
            } else {
                add_reply(c, NULLBULK);
            }
        }
    }
    c.argv[1] = key;
}

/// ZRANK key member
///
/// C: t_zset.c zrankCommand()
pub(crate) fn zrank_command(server: &mut RedisServer, c: &mut Client) {
    zrank_generic_command(server, c, false);
}

/// ZREVRANK key member
///
/// C: t_zset.c zrevrankCommand()
pub(crate) fn zrevrank_command(server: &mut RedisServer, c: &mut Client) {
    zrank_generic_command(server, c, true);
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count]: scanGenericCommand()
/// over the ziplist (all of it in one call) or the dict, member then score
/// (as createStringObjectFromLongDouble(score,0) prints it, "%.17Lg", which
/// for a double is "%.17g").
///
/// C: t_zset.c zscanCommand()
pub(crate) fn zscan_command(server: &mut RedisServer, c: &mut Client) {
    let arg = std::mem::take(&mut c.argv[2]);
    let cursor = parse_scan_cursor_or_reply(c, &arg);
    c.argv[2] = arg;
    let Ok(cursor) = cursor else { return };

    let key = std::mem::take(&mut c.argv[1]);
    if let Some(o) = lookup_key_read_or_reply(server, c, &key, EMPTYSCAN) {
        if !check_type(c, o, OBJ_ZSET) {
            match zset_ref(o) {
                ZSet::Ziplist(zl) => {
                    let mut items = Vec::with_capacity(zzl_length(zl) * 2);
                    let mut eptr = zzl_index(zl, 0);
                    while let Some(p) = eptr {
                        let e = zzl_decode(&zl.zl, p);
                        items.push(e.ele.to_vec());
                        items.push(fmt_g17(e.score).into_bytes());
                        eptr = zzl_next(zl, p);
                    }
                    scan_generic_command(
                        c,
                        ScanObj::Items { items, pairs: true },
                        cursor,
                    );
                }
                ZSet::Skiplist(zs) => {
                    let dict = &zs.dict;
                    let mut step = |v: u64, out: &mut Vec<Vec<u8>>| {
                        dict.dict_scan(v, |k, score| {
                            out.push(k.to_vec());
                            out.push(fmt_g17(*score).into_bytes());
                        })
                    };
                    scan_generic_command(
                        c,
                        ScanObj::Dict { scan: &mut step, pairs: true },
                        cursor,
                    );
                }
            }
        }
    }
    c.argv[1] = key;
}

/// This command implements the generic zpop operation, used by: ZPOPMIN,
/// ZPOPMAX, BZPOPMIN and BZPOPMAX. This function is also used inside
/// blocked.c in the unblocking stage of BZPOPMIN and BZPOPMAX (here through
/// `serve_client_blocked_on_sorted_set`).
///
/// If 'emitkey' is true also the key name is emitted, useful for the
/// blocking behavior of BZPOP[MIN|MAX], since we can block into multiple
/// keys.
///
/// The synchronous version instead does not need to emit the key, but may
/// use the 'count' argument to return multiple items if available.
///
/// C: t_zset.c genericZpopCommand()
pub(crate) fn generic_zpop_command(
    server: &mut RedisServer,
    c: &mut Client,
    keyv: &[&[u8]],
    where_: i32,
    emitkey: bool,
    countarg: Option<&[u8]>,
) {
    let dbid = c.db;
    let mut count: i64 = 1;

    // If a count argument as passed, parse it or return an error.
    if let Some(countarg) = countarg {
        let Some(n) = get_long_from_object_or_reply(c, countarg, None) else {
            return;
        };
        count = n;
        if count <= 0 {
            add_reply(c, EMPTYMULTIBULK);
            return;
        }
    }

    // Check type and break on the first error, otherwise identify
    // candidate.
    let mut found: Option<&[u8]> = None;
    for key in keyv {
        let Some(zobj) = lookup_key_write(server, dbid, key) else {
            continue;
        };
        if check_type(c, zobj, OBJ_ZSET) {
            return;
        }
        found = Some(key);
        break;
    }

    // No candidate for zpopping, return empty.
    let Some(key) = found else {
        add_reply(c, EMPTYMULTIBULK);
        return;
    };

    let arraylen_ptr = add_deferred_multi_bulk_length(c);
    let mut arraylen: i64 = 0;

    // We emit the key only for the blocking variant.
    if emitkey {
        add_reply_bulk(c, key);
    }

    // Remove the element.
    loop {
        let zobj = zobj_mut(server, dbid, key);
        // Get the first or last element in the sorted set.
        let (ele, score) = match zset_ref(zobj) {
            ZSet::Ziplist(zl) => {
                let eptr =
                    zzl_index(zl, if where_ == ZSET_MAX { -1 } else { 0 });
                let e = zzl_decode(
                    &zl.zl,
                    eptr.expect("zpop: an empty sorted set in the keyspace"),
                );
                (e.ele.to_vec(), e.score)
            }
            ZSet::Skiplist(zs) => {
                let zsl = &zs.zsl;
                let zln =
                    if where_ == ZSET_MAX { zsl.tail } else { zsl.first() };
                // There must be an element in the sorted set.
                assert!(
                    zln != ZSL_NULL,
                    "zpop: an empty sorted set in the keyspace"
                );
                let n = zsl.node(zln);
                (n.ele.to_vec(), n.score)
            }
        };

        let deleted = zset_del(zobj, &ele);
        assert!(deleted, "zpop: the element just read is gone");
        let emptied = zset_length(zobj) == 0;
        server.dirty += 1;

        if arraylen == 0 {
            // Do this only for the first iteration.
            const EVENTS: [&str; 2] = ["zpopmin", "zpopmax"];
            notify_keyspace_event(
                server,
                NOTIFY_ZSET,
                EVENTS[where_ as usize],
                key,
                dbid as i32,
            );
            signal_modified_key(server, dbid, key);
        }

        add_reply_bulk_c_buffer(c, &ele);
        add_reply_double(c, score);
        arraylen += 2;

        // Remove the key, if indeed needed.
        if emptied {
            db_delete(server, dbid, key);
            notify_keyspace_event(
                server,
                NOTIFY_GENERIC,
                "del",
                key,
                dbid as i32,
            );
            break;
        }
        count -= 1;
        if count == 0 {
            break;
        }
    }

    set_deferred_multi_bulk_length(c, arraylen_ptr, arraylen + emitkey as i64);
}

/// ZPOPMIN key [<count>]
///
/// C: t_zset.c zpopminCommand()
pub(crate) fn zpopmin_command(server: &mut RedisServer, c: &mut Client) {
    zpop_command(server, c, ZSET_MIN);
}

/// ZPOPMAX key [<count>]
///
/// C: t_zset.c zpopmaxCommand()
pub(crate) fn zpopmax_command(server: &mut RedisServer, c: &mut Client) {
    zpop_command(server, c, ZSET_MAX);
}

/// The body shared by ZPOPMIN and ZPOPMAX. (no C twin: both C commands
/// hold these lines)
fn zpop_command(server: &mut RedisServer, c: &mut Client, where_: i32) {
    let argc = c.argv.len();
    if argc > 3 {
        add_reply(c, SYNTAXERR);
        return;
    }
    let key = std::mem::take(&mut c.argv[1]);
    let count =
        if argc == 3 { Some(std::mem::take(&mut c.argv[2])) } else { None };
    generic_zpop_command(server, c, &[&key], where_, false, count.as_deref());
    c.argv[1] = key;
    if let Some(count) = count {
        c.argv[2] = count;
    }
}

/// BZPOPMIN / BZPOPMAX actual implementation.
///
/// C: t_zset.c blockingGenericZpopCommand()
pub(crate) fn blocking_generic_zpop_command(
    server: &mut RedisServer,
    c: &mut Client,
    where_: i32,
) {
    let argc = c.argv.len();
    let dbid = c.db;

    let last = std::mem::take(&mut c.argv[argc - 1]);
    let timeout = crate::blocked::get_timeout_from_object_or_reply(
        c,
        &last,
        UNIT_SECONDS,
    );
    c.argv[argc - 1] = last;
    let Ok(timeout) = timeout else { return };

    for j in 1..argc - 1 {
        let Some(o) = lookup_key_write(server, dbid, &c.argv[j]) else {
            continue;
        };
        if o.obj_type() != OBJ_ZSET {
            add_reply(c, WRONGTYPEERR);
            return;
        }
        if zset_length(o) != 0 {
            // Non empty zset, this is like a normal ZPOP[MIN|MAX].
            let key = std::mem::take(&mut c.argv[j]);
            generic_zpop_command(server, c, &[&key], where_, true, None);
            // Replicate it as an ZPOP[MIN|MAX] instead of BZPOP[MIN|MAX].
            // C: rewriteClientCommandVector(c,2,shared.zpopmax/zpopmin,key),
            // which also points c->cmd at the new command.
            let name: &[u8] =
                if where_ == ZSET_MAX { b"ZPOPMAX" } else { b"ZPOPMIN" };
            c.argv = vec![name.to_vec(), key];
            c.cmd = lookup_command(server, name);
            return;
        }
    }

    // If we are inside a MULTI/EXEC and the zset is empty the only thing we
    // can do is treating it as a timeout (even with timeout 0).
    if c.flags & CLIENT_MULTI != 0 {
        add_reply(c, NULLMULTIBULK);
        return;
    }

    // If the keys do not exist we must block
    let keys: Vec<Vec<u8>> = c.argv[1..argc - 1].to_vec();
    crate::blocked::block_for_keys(
        server,
        c,
        BLOCKED_ZSET,
        &keys,
        timeout,
        None,
        None,
    );
}

/// BZPOPMIN key [key ...] timeout
///
/// C: t_zset.c bzpopminCommand()
pub(crate) fn bzpopmin_command(server: &mut RedisServer, c: &mut Client) {
    blocking_generic_zpop_command(server, c, ZSET_MIN);
}

/// BZPOPMAX key [key ...] timeout
///
/// C: t_zset.c bzpopmaxCommand()
pub(crate) fn bzpopmax_command(server: &mut RedisServer, c: &mut Client) {
    blocking_generic_zpop_command(server, c, ZSET_MAX);
}

/// Serves one client blocked by BZPOPMIN (`where_` ZSET_MIN) or BZPOPMAX
/// (ZSET_MAX) on `key` of db `dbid`, which has at least one element: does
/// what C's genericZpopCommand(receiver,&key,1,where,1,NULL) does there:
/// pops one element, replies [key, member, score] to `c`, notifies, and
/// deletes the key when it becomes empty. blocked.rs calls it for each
/// such client while the key is not empty, after unblocking the client,
/// and then propagates the pop as ZPOPMIN/ZPOPMAX key itself, with
/// `propagate()` as 5.0 does (the ready keys are served outside call()).
///
/// (no C twin: the sorted set branch of blocked.c
/// handleClientsBlockedOnKeys() in 5.0)
pub(crate) fn serve_client_blocked_on_sorted_set(
    server: &mut RedisServer,
    c: &mut Client,
    dbid: usize,
    key: &[u8],
    where_: i32,
) {
    // C serves with genericZpopCommand(receiver,...), which works in the
    // receiver's db: the one it blocked in.
    let saved_db = c.db;
    c.db = dbid;
    generic_zpop_command(server, c, &[key], where_, true, None);
    c.db = saved_db;
}
