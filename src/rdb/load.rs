//! Reading a dump: one value of any type and encoding (including the
//! compact encodings of later Redis versions), the loading state INFO
//! reports, and the whole file, keys, expires, aux fields and checksum.
//! The same walk, in check mode, is the port's redis-check-rdb.
//!
//! Ports rdb.c from rdbLoadCheckModuleValue() to rdbLoad(), Redis 5.0.14,
//! in the same order.

use super::*;

/// The name of a module type from its 64-bit id, for the error messages
/// about module data (9 characters of the set below, 6 bits each, above
/// the 10-bit encoding version).
///
/// C: module.c moduleTypeNameByID()
pub(super) fn module_type_name_by_id(mut moduleid: u64) -> String {
    const CSET: &[u8; 64] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut name = [b'?'; 9];
    moduleid >>= 10;
    for j in (0..9).rev() {
        name[j] = CSET[(moduleid & 63) as usize];
        moduleid >>= 6;
    }
    String::from_utf8_lossy(&name).into_owned()
}

/// C: quicklist.h QUICKLIST_NODE_CONTAINER_PLAIN (Redis 7.0): a node of
/// RDB_TYPE_LIST_QUICKLIST_2 holding one large element as it is.
pub(super) const QUICKLIST_NODE_CONTAINER_PLAIN: u64 = 1;
/// C: quicklist.h QUICKLIST_NODE_CONTAINER_PACKED (Redis 7.0): a node
/// holding a listpack.
pub(super) const QUICKLIST_NODE_CONTAINER_PACKED: u64 = 2;

/// Load a Redis object of the specified type from the specified file.
///
/// Divergence from C: an empty collection (a plain type with a zero
/// length, or an empty ziplist, listpack or intset) comes back as
/// `RdbLoadError::EmptyKey` and the key is skipped, as Redis 7.0 does;
/// 5.0 would create an empty key, which no command expects.
///
/// C: rdb.c rdbLoadObject()
pub(crate) fn rdb_load_object(
    server: &RedisServer,
    rdbtype: u8,
    rdb: &mut Rio,
    _key: &[u8],
) -> RdbResult<RObj> {
    use crate::ziplist::ZlValue;
    let lru = crate::object::new_object_lru(server);
    let o;
    if rdbtype == RDB_TYPE_STRING {
        // Read string value
        o = rdb_load_encoded_string_object(server, rdb)?;
    } else if rdbtype == RDB_TYPE_LIST {
        // Read list value
        let len = rdb_load_len(rdb, None)?;
        if len == 0 {
            return Err(RdbLoadError::EmptyKey);
        }
        let mut l = crate::t_list::List::new();
        // Load every single element of the list
        for _ in 0..len {
            let ele = rdb_generic_load_string_object(rdb)?;
            l.push_with_fill(
                &ele,
                crate::t_list::LIST_TAIL,
                server.list_max_ziplist_size,
            );
        }
        o = rdb_list_object(server, l);
    } else if rdbtype == RDB_TYPE_SET {
        o = rdb_load_set(server, rdb, lru)?;
    } else if rdbtype == RDB_TYPE_ZSET_2 || rdbtype == RDB_TYPE_ZSET {
        o = rdb_load_zset(server, rdbtype, rdb, lru)?;
    } else if rdbtype == RDB_TYPE_HASH {
        o = rdb_load_hash(server, rdb, lru)?;
    } else if rdbtype == RDB_TYPE_LIST_QUICKLIST
        || rdbtype == RDB_TYPE_LIST_QUICKLIST_2
    {
        // A list of ziplist nodes (5.0), or of listpack or plain nodes
        // (7.0). Every node is decoded with full validation.
        let len = rdb_load_len(rdb, None)?;
        let mut l = crate::t_list::List::new();
        for _ in 0..len {
            let mut container = QUICKLIST_NODE_CONTAINER_PACKED;
            if rdbtype == RDB_TYPE_LIST_QUICKLIST_2 {
                container = rdb_load_len(rdb, None)?;
                if container != QUICKLIST_NODE_CONTAINER_PACKED
                    && container != QUICKLIST_NODE_CONTAINER_PLAIN
                {
                    return Err(rdb_corrupt!(
                        rdb,
                        "Quicklist integrity check failed."
                    ));
                }
            }
            let data = rdb_generic_load_string_object(rdb)?;
            if container == QUICKLIST_NODE_CONTAINER_PLAIN {
                l.push_with_fill(
                    &data,
                    crate::t_list::LIST_TAIL,
                    server.list_max_ziplist_size,
                );
                continue;
            }
            let entries: Vec<Vec<u8>> = if rdbtype == RDB_TYPE_LIST_QUICKLIST_2
            {
                match crate::listpack::lp_entries(&data) {
                    Ok(v) => v.iter().map(|e| e.to_vec()).collect(),
                    Err(why) => {
                        return Err(rdb_corrupt!(
                            rdb,
                            "Listpack integrity check failed: {}",
                            why
                        ))
                    }
                }
            } else {
                match crate::ziplist::ziplist_entries(&data) {
                    Ok(v) => v.iter().map(ZlValue::to_vec).collect(),
                    Err(why) => {
                        return Err(rdb_corrupt!(
                            rdb,
                            "Ziplist integrity check failed: {}",
                            why
                        ))
                    }
                }
            };
            // Silently skip empty nodes, as 7.0 does.
            for e in entries {
                l.push_with_fill(
                    &e,
                    crate::t_list::LIST_TAIL,
                    server.list_max_ziplist_size,
                );
            }
        }
        if l.is_empty() {
            return Err(RdbLoadError::EmptyKey);
        }
        o = rdb_list_object(server, l);
    } else if rdbtype == RDB_TYPE_SET_INTSET {
        let encoded = rdb_generic_load_string_object(rdb)?;
        // Divergence from C: 5.0 trusts the blob; a damaged intset is
        // refused here (as 7.0's integrity check does).
        let Some(is) =
            crate::intset::Intset::from_blob(encoded.into_boxed_slice())
        else {
            return Err(rdb_corrupt!(rdb, "Intset integrity check failed."));
        };
        let n = is.intset_len() as usize;
        if n == 0 {
            return Err(RdbLoadError::EmptyKey);
        }
        let mut set = create_intset_object(lru);
        set.ptr = Value::Set(crate::t_set::Set::Intset(is));
        if n > server.set_max_intset_entries {
            crate::t_set::set_type_convert(&mut set, OBJ_ENCODING_HT);
        }
        o = set;
    } else if rdbtype == RDB_TYPE_HASH_ZIPMAP {
        // Convert to a ziplist encoded hash (here: the small hash
        // encoding). Note that we only check the length and the longest
        // field or value, as C does.
        let encoded = rdb_generic_load_string_object(rdb)?;
        let pairs = match crate::zipmap::zipmap_pairs(&encoded) {
            Ok(p) => p,
            Err(why) => {
                return Err(rdb_corrupt!(
                    rdb,
                    "Zipmap integrity check failed: {}",
                    why
                ))
            }
        };
        let maxlen =
            pairs.iter().map(|(f, v)| f.len().max(v.len())).max().unwrap_or(0);
        let pairs: Vec<(Vec<u8>, Vec<u8>)> =
            pairs.into_iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
        o = rdb_hash_from_pairs(server, rdb, lru, pairs, maxlen)?;
    } else if rdbtype == RDB_TYPE_LIST_ZIPLIST {
        let encoded = rdb_generic_load_string_object(rdb)?;
        let entries = match crate::ziplist::ziplist_entries(&encoded) {
            Ok(v) => v,
            Err(why) => {
                return Err(rdb_corrupt!(
                    rdb,
                    "Ziplist integrity check failed: {}",
                    why
                ))
            }
        };
        if entries.is_empty() {
            return Err(RdbLoadError::EmptyKey);
        }
        let mut l = crate::t_list::List::new();
        for e in entries {
            l.push_with_fill(
                &e.to_vec(),
                crate::t_list::LIST_TAIL,
                server.list_max_ziplist_size,
            );
        }
        o = rdb_list_object(server, l);
    } else if rdbtype == RDB_TYPE_ZSET_ZIPLIST
        || rdbtype == RDB_TYPE_ZSET_LISTPACK
    {
        let encoded = rdb_generic_load_string_object(rdb)?;
        let pairs: Vec<(Vec<u8>, f64)> = if rdbtype == RDB_TYPE_ZSET_ZIPLIST {
            match crate::ziplist::ziplist_pairs(&encoded) {
                Ok(p) => p
                    .iter()
                    .map(|(m, s)| {
                        (
                            m.to_vec(),
                            zzl_score(s.to_vec(), matches!(s, ZlValue::Int(_))),
                        )
                    })
                    .collect(),
                Err(why) => {
                    return Err(rdb_corrupt!(
                        rdb,
                        "Zset ziplist integrity check failed: {}",
                        why
                    ))
                }
            }
        } else {
            match crate::listpack::lp_pairs(&encoded) {
                Ok(p) => p
                    .iter()
                    .map(|(m, s)| {
                        (
                            m.to_vec(),
                            zzl_score(
                                s.to_vec(),
                                matches!(s, crate::listpack::LpValue::Int(_)),
                            ),
                        )
                    })
                    .collect(),
                Err(why) => {
                    return Err(rdb_corrupt!(
                        rdb,
                        "Zset listpack integrity check failed: {}",
                        why
                    ))
                }
            }
        };
        o = rdb_zset_from_pairs(server, rdb, lru, pairs, None)?;
    } else if rdbtype == RDB_TYPE_HASH_ZIPLIST
        || rdbtype == RDB_TYPE_HASH_LISTPACK
    {
        let encoded = rdb_generic_load_string_object(rdb)?;
        let pairs: Vec<(Vec<u8>, Vec<u8>)> = if rdbtype == RDB_TYPE_HASH_ZIPLIST
        {
            match crate::ziplist::ziplist_pairs(&encoded) {
                Ok(p) => {
                    p.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()
                }
                Err(why) => {
                    return Err(rdb_corrupt!(
                        rdb,
                        "Hash ziplist integrity check failed: {}",
                        why
                    ))
                }
            }
        } else {
            match crate::listpack::lp_pairs(&encoded) {
                Ok(p) => {
                    p.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()
                }
                Err(why) => {
                    return Err(rdb_corrupt!(
                        rdb,
                        "Hash listpack integrity check failed: {}",
                        why
                    ))
                }
            }
        };
        // As in C, only the number of fields decides the encoding here.
        o = rdb_hash_from_pairs(server, rdb, lru, pairs, 0)?;
    } else if rdbtype == RDB_TYPE_STREAM_LISTPACKS
        || rdbtype == RDB_TYPE_STREAM_LISTPACKS_2
    {
        o = rdb_load_stream(server, rdbtype, rdb)?;
    } else if rdbtype == RDB_TYPE_MODULE || rdbtype == RDB_TYPE_MODULE_2 {
        let moduleid = rdb_load_len(rdb, None)?;
        let name = module_type_name_by_id(moduleid);
        // There are no modules, so there is never a matching one.
        return Err(RdbLoadError::Fatal(format!(
            "The RDB file contains module data I can't load: no matching module '{}'",
            name
        )));
    } else {
        return Err(rdb_corrupt!(rdb, "Unknown RDB encoding type {}", rdbtype));
    }
    Ok(o)
}

/// The RDB_TYPE_STREAM_LISTPACKS branch of rdbLoadObject(), which also
/// reads Redis 7.0's RDB_TYPE_STREAM_LISTPACKS_2: the same, plus the
/// first entry ID, the max deleted entry ID and the entries added of the
/// stream and the entries read of each group, read and dropped (5.0 has
/// no such fields). Every listpack is validated as 7.0 does.
///
/// Divergence from C: 5.0 exits on a damaged stream
/// (rdbExitReportCorruptRDB); here it is the same corruption error as
/// any other damaged value, and each listpack is checked before use.
///
/// C: rdb.c rdbLoadObject() (the RDB_TYPE_STREAM_LISTPACKS branch)
fn rdb_load_stream(
    server: &RedisServer,
    rdbtype: u8,
    rdb: &mut Rio,
) -> RdbResult<RObj> {
    use crate::t_stream::*;
    let mut o = create_stream_object(server);
    let Value::Stream(s) = &mut o.ptr else { unreachable!("a stream") };
    let listpacks = rdb_load_len(rdb, None)?;
    let mut counted: u64 = 0;
    let mut last_entry_key: Option<StreamKey> = None;

    for _ in 0..listpacks {
        // Get the master ID, the one we'll use as key of the radix tree
        // node: the entries inside the listpack itself are delta-encoded
        // relatively to this ID.
        let nodekey = rdb_generic_load_string_object(rdb)?;
        if nodekey.len() != 16 {
            return Err(rdb_corrupt!(
                rdb,
                "Stream node key entry is not the size of a stream ID"
            ));
        }
        let mut key = [0u8; 16];
        key.copy_from_slice(&nodekey);

        // Load the listpack.
        let lp = rdb_generic_load_string_object(rdb)?;
        if crate::listpack::lp_validate_integrity(&lp, false, None).is_ok()
            && crate::listpack::lp_first(&lp).is_none()
        {
            // Serialized listpacks should never be empty, since on
            // deletion we should remove the radix tree key if the resulting
            // listpack is empty.
            return Err(rdb_corrupt!(rdb, "Empty listpack inside stream"));
        }
        let master_id = stream_decode_id(&key);
        match stream_validate_listpack_integrity(&lp, &master_id) {
            Ok(n) => counted += n,
            Err(why) => {
                return Err(rdb_corrupt!(
                    rdb,
                    "Stream listpack integrity check failed: {}",
                    why
                ))
            }
        }
        if last_entry_key.is_some_and(|k| k >= key) {
            return Err(rdb_corrupt!(
                rdb,
                "Listpack re-added with existing key"
            ));
        }
        last_entry_key = Some(key);

        // Insert the key in the radix tree.
        if s.rax.insert(key, lp).is_some() {
            return Err(rdb_corrupt!(
                rdb,
                "Listpack re-added with existing key"
            ));
        }
    }
    // Load total number of items inside the stream.
    s.length = rdb_load_len(rdb, None)?;
    if s.length != counted {
        // Divergence from C: 5.0 trusts the count; a count that is not
        // the listpacks' would break XLEN and trimming.
        return Err(rdb_corrupt!(
            rdb,
            "Stream length {} does not match its {} entries",
            s.length,
            counted
        ));
    }
    // Load the last entry ID.
    s.last_id.ms = rdb_load_len(rdb, None)?;
    s.last_id.seq = rdb_load_len(rdb, None)?;
    if s.length != 0 && stream_last_valid_id(s) > s.last_id {
        return Err(rdb_corrupt!(
            rdb,
            "Stream last ID is smaller than its top entry"
        ));
    }

    if rdbtype == RDB_TYPE_STREAM_LISTPACKS_2 {
        // Load the first entry ID, the max deleted entry ID and the
        // entries added (Redis 7.0): read and dropped.
        for _ in 0..4 {
            rdb_load_len(rdb, None)?;
        }
        rdb_load_len(rdb, None)?;
    }

    // Consumer groups loading
    let cgroups_count = rdb_load_len(rdb, None)?;
    for _ in 0..cgroups_count {
        // Get the consumer group name and ID. We can then create the
        // consumer group ASAP and populate its structure as we read more
        // data.
        let cgname = rdb_generic_load_string_object(rdb)?;
        let cg_id = StreamID {
            ms: rdb_load_len(rdb, None)?,
            seq: rdb_load_len(rdb, None)?,
        };
        if rdbtype == RDB_TYPE_STREAM_LISTPACKS_2 {
            // The group's entries read (Redis 7.0): read and dropped.
            rdb_load_len(rdb, None)?;
        }
        if stream_create_cg(s, &cgname, &cg_id).is_none() {
            return Err(rdb_corrupt!(
                rdb,
                "Duplicated consumer group name {}",
                String::from_utf8_lossy(&cgname)
            ));
        }
        let Some(cgroup) = s.cgroups.as_mut().and_then(|g| g.get_mut(&cgname))
        else {
            unreachable!("just created");
        };

        // Load the global PEL for this consumer group, however we'll not
        // yet populate the NACK structures with the message owner, since
        // consumers for this group and their messages will be read as a
        // next step. So for now leave them not resolved and later populate
        // it.
        let pel_size = rdb_load_len(rdb, None)?;
        for _ in 0..pel_size {
            let mut rawid = [0u8; 16];
            rdb_load_raw(rdb, &mut rawid)?;
            let mut nack = stream_create_nack(None);
            nack.delivery_time =
                rdb_load_millisecond_time(rdb, super::RDB_VERSION)?;
            nack.delivery_count = rdb_load_len(rdb, None)?;
            if cgroup.pel.insert(rawid, nack).is_some() {
                return Err(rdb_corrupt!(
                    rdb,
                    "Duplicated gobal PEL entry loading stream consumer group"
                ));
            }
        }

        // Now that we loaded our global PEL, we need to load the consumers
        // and their local PELs.
        let consumers_num = rdb_load_len(rdb, None)?;
        for _ in 0..consumers_num {
            let cname = rdb_generic_load_string_object(rdb)?;
            if cgroup.consumers.contains_key(&cname) {
                // Divergence from C: 5.0 merges a repeated consumer; 7.0
                // refuses it.
                return Err(rdb_corrupt!(
                    rdb,
                    "Duplicate stream consumer detected."
                ));
            }
            let seen_time = rdb_load_millisecond_time(rdb, super::RDB_VERSION)?;
            let Some(consumer) =
                stream_lookup_consumer(cgroup, &cname, SLC_NONE)
            else {
                unreachable!("created");
            };
            consumer.seen_time = seen_time;

            // Load the PEL about entries owned by this specific consumer.
            let pel_size = rdb_load_len(rdb, None)?;
            for _ in 0..pel_size {
                let mut rawid = [0u8; 16];
                rdb_load_raw(rdb, &mut rawid)?;
                let Some(nack) = cgroup.pel.get_mut(&rawid) else {
                    return Err(rdb_corrupt!(
                        rdb,
                        "Consumer entry not found in group global PEL"
                    ));
                };
                if nack.consumer.is_some() {
                    // Divergence from C: two consumers owning one entry
                    // would leave a dangling ID when one acks it; 7.0
                    // refuses it too.
                    return Err(rdb_corrupt!(
                        rdb,
                        "Duplicated consumer PEL entry  loading a stream consumer group"
                    ));
                }

                // Set the NACK consumer, that was left to NULL when loading
                // the global PEL. Then set the same shared NACK structure
                // also in the consumer-specific PEL.
                nack.consumer = Some(cname.clone());
                let inserted = cgroup
                    .consumers
                    .get_mut(&cname)
                    .is_some_and(|c| c.pel.insert(rawid));
                if !inserted {
                    return Err(rdb_corrupt!(
                        rdb,
                        "Duplicated consumer PEL entry  loading a stream consumer group"
                    ));
                }
            }
        }
        // Divergence from C: a global PEL entry no consumer owns would be
        // read with a NULL consumer (a crash in XPENDING); 7.0 refuses it.
        if cgroup.pel.values().any(|n| n.consumer.is_none()) {
            return Err(rdb_corrupt!(
                rdb,
                "Stream CG PEL entry without consumer"
            ));
        }
    }
    Ok(o)
}

/// A list value holding `l`. (no C twin: createQuicklistObject() plus the
/// pushes)
fn rdb_list_object(server: &RedisServer, l: crate::t_list::List) -> RObj {
    let mut o = crate::t_list::create_quicklist_object(server);
    o.ptr = Value::List(Box::new(l));
    o
}

/// The score of a sorted set ziplist or listpack entry: an integer entry
/// as a double, a string one through strtod (0 if it does not parse).
///
/// C: t_zset.c zzlGetScore() / zzlStrtod()
fn zzl_score(s: Vec<u8>, is_int: bool) -> f64 {
    if is_int {
        // to_vec() rendered the integer in decimal; read it back.
        return string2ll(&s).map(|v| v as f64).unwrap_or(0.0);
    }
    let s = &s[..s.len().min(128)];
    crate::object::strtod(s).value
}

/// The RDB_TYPE_SET branch of rdbLoadObject(). (no C twin)
fn rdb_load_set(
    server: &RedisServer,
    rdb: &mut Rio,
    lru: u32,
) -> RdbResult<RObj> {
    use crate::t_set::Set;
    // Read Set value
    let len = rdb_load_len(rdb, None)?;
    if len == 0 {
        return Err(RdbLoadError::EmptyKey);
    }

    // Use a regular set when there are too many entries.
    let max_entries = server.set_max_intset_entries.min(1 << 30);
    let mut o = if len > max_entries as u64 {
        let mut o = create_set_object(lru);
        // It's faster to expand the dict to the right size asap in order to
        // avoid rehashing
        if len > crate::dict::DICT_HT_INITIAL_SIZE as u64 {
            if let Value::Set(Set::Ht(d)) = &mut o.ptr {
                let _ = d.dict_expand(rdb_len_hint(rdb, len));
            }
        }
        o
    } else {
        create_intset_object(lru)
    };

    // Load every single element of the set
    for _ in 0..len {
        let sdsele = rdb_generic_load_string_object(rdb)?;
        if o.encoding == OBJ_ENCODING_INTSET {
            // Fetch integer value from element.
            if let Some(llval) = string2ll(&sdsele) {
                let Value::Set(s) = &mut o.ptr else { unreachable!("a set") };
                let Set::Intset(is) = s else { unreachable!("an intset") };
                if !is.intset_add(llval) {
                    // Divergence from C: a repeated member is a damaged
                    // file (C ignores it; 7.0 refuses it).
                    return Err(rdb_corrupt!(
                        rdb,
                        "Duplicate set members detected"
                    ));
                }
                continue;
            } else {
                crate::t_set::set_type_convert(&mut o, OBJ_ENCODING_HT);
                if let Value::Set(Set::Ht(d)) = &mut o.ptr {
                    let _ = d.dict_expand(rdb_len_hint(rdb, len));
                }
            }
        }

        // This will also be called when the set was just converted to a
        // regular hash table encoded set.
        let Value::Set(s) = &mut o.ptr else { unreachable!("a set") };
        let Set::Ht(d) = s else { unreachable!("a hash table set") };
        if d.dict_add(sdsele.into(), ()).is_err() {
            return Err(rdb_corrupt!(rdb, "Duplicate set members detected"));
        }
    }
    Ok(o)
}

/// The RDB_TYPE_ZSET / RDB_TYPE_ZSET_2 branch of rdbLoadObject(). (no C
/// twin)
fn rdb_load_zset(
    server: &RedisServer,
    rdbtype: u8,
    rdb: &mut Rio,
    lru: u32,
) -> RdbResult<RObj> {
    // Read list/set value.
    let zsetlen = rdb_load_len(rdb, None)?;
    if zsetlen == 0 {
        return Err(RdbLoadError::EmptyKey);
    }
    let mut maxelelen = 0usize;
    let mut totelelen = 0usize;
    let mut pairs = Vec::with_capacity(rdb_len_hint(rdb, zsetlen).min(1 << 16));

    // Load every single element of the sorted set.
    for _ in 0..zsetlen {
        let sdsele = rdb_generic_load_string_object(rdb)?;
        let score = if rdbtype == RDB_TYPE_ZSET_2 {
            rdb_load_binary_double_value(rdb)?
        } else {
            rdb_load_double_value(rdb)?
        };
        // Don't care about integer-encoded strings.
        maxelelen = maxelelen.max(sdsele.len());
        totelelen += sdsele.len();
        pairs.push((sdsele, score));
    }
    rdb_zset_from_pairs(server, rdb, lru, pairs, Some((maxelelen, totelelen)))
}

/// A sorted set of `pairs` (member, score), in the skiplist encoding, then
/// converted to the small one: when `sizes` (longest member, total member
/// bytes) is given, if they and the length are within the
/// zset-max-ziplist limits (the plain types, converted *after* loading
/// since they are not stored ordered); when it is not (a ziplist or
/// listpack in the file), if the length is (C only checks the length:
/// the element sizes would need an O(N) scan). Repeated members and NaN
/// scores are refused. (no C twin)
fn rdb_zset_from_pairs(
    server: &RedisServer,
    rdb: &Rio,
    lru: u32,
    pairs: Vec<(Vec<u8>, f64)>,
    sizes: Option<(usize, usize)>,
) -> RdbResult<RObj> {
    use crate::t_zset::{ZSet, ZsetSkiplist};
    if pairs.is_empty() {
        return Err(RdbLoadError::EmptyKey);
    }
    let mut zs = ZsetSkiplist::new();
    if pairs.len() > crate::dict::DICT_HT_INITIAL_SIZE {
        let _ = zs.dict.dict_expand(pairs.len());
    }
    let len = pairs.len();
    for (sdsele, score) in pairs {
        if score.is_nan() {
            // C asserts in zslInsert(); 7.0 reports it as below.
            return Err(rdb_corrupt!(rdb, "Zset with NAN score detected"));
        }
        let ele: crate::t_zset::ZsetSds = sdsele.into();
        if zs.dict.dict_add(ele.clone(), score).is_err() {
            // Divergence from C: 5.0 inserts the duplicate into the
            // skiplist and corrupts the set; 7.0 refuses it, as here.
            return Err(rdb_corrupt!(rdb, "Duplicate zset fields detected"));
        }
        crate::t_zset::zsl_insert(&mut zs.zsl, score, ele);
    }
    let mut o = crate::t_zset::create_zset_object(lru);
    o.ptr = Value::ZSet(ZSet::Skiplist(Box::new(zs)));

    let small = match sizes {
        Some((maxelelen, totelelen)) => {
            len <= server.zset_max_ziplist_entries
                && maxelelen <= server.zset_max_ziplist_value
                && crate::t_zset::zzl_safe_to_add(None, totelelen)
        }
        None => len <= server.zset_max_ziplist_entries,
    };
    if small {
        crate::t_zset::zset_convert(
            &mut o,
            crate::object::OBJ_ENCODING_ZIPLIST,
        );
    }
    Ok(o)
}

/// A hash of `pairs` (already checked for repeated fields) from a
/// ziplist, listpack or zipmap in the file: the small encoding, or a hash
/// table if it has more than hash-max-ziplist-entries fields or (for
/// zipmaps) `maxlen` is above hash-max-ziplist-value. (no C twin)
fn rdb_hash_from_pairs(
    server: &RedisServer,
    rdb: &Rio,
    lru: u32,
    pairs: Vec<(Vec<u8>, Vec<u8>)>,
    maxlen: usize,
) -> RdbResult<RObj> {
    use crate::t_hash::Hash;
    if pairs.is_empty() {
        return Err(RdbLoadError::EmptyKey);
    }
    let mut o = crate::object::create_hash_object(lru);
    if pairs.len() > server.hash_max_ziplist_entries
        || maxlen > server.hash_max_ziplist_value
    {
        crate::t_hash::hash_type_convert(&mut o, OBJ_ENCODING_HT);
    }
    let Value::Hash(h) = &mut o.ptr else { unreachable!("a hash") };
    match h {
        Hash::Ziplist(zl) => {
            for (f, v) in pairs {
                if zl.set(&f, &v) {
                    return Err(rdb_corrupt!(
                        rdb,
                        "Duplicate hash fields detected"
                    ));
                }
            }
        }
        Hash::Ht(d) => {
            let _ = d.dict_expand(pairs.len());
            for (f, v) in pairs {
                if d.dict_add(f.into(), v.into()).is_err() {
                    return Err(rdb_corrupt!(
                        rdb,
                        "Duplicate hash fields detected"
                    ));
                }
            }
        }
    }
    Ok(o)
}

/// The RDB_TYPE_HASH branch of rdbLoadObject(). (no C twin)
fn rdb_load_hash(
    server: &RedisServer,
    rdb: &mut Rio,
    lru: u32,
) -> RdbResult<RObj> {
    use crate::t_hash::Hash;
    let mut len = rdb_load_len(rdb, None)?;
    if len == 0 {
        return Err(RdbLoadError::EmptyKey);
    }
    let mut o = crate::object::create_hash_object(lru);

    // Too many entries? Use a hash table.
    if len > server.hash_max_ziplist_entries as u64 {
        crate::t_hash::hash_type_convert(&mut o, OBJ_ENCODING_HT);
    }

    // Load every field and value into the ziplist
    while o.encoding == crate::object::OBJ_ENCODING_ZIPLIST && len > 0 {
        len -= 1;
        // Load raw strings
        let field = rdb_generic_load_string_object(rdb)?;
        let value = rdb_generic_load_string_object(rdb)?;

        let Value::Hash(h) = &mut o.ptr else { unreachable!("a hash") };
        let Hash::Ziplist(zl) = h else { unreachable!("a ziplist hash") };
        // Convert to hash table if size threshold is exceeded
        if field.len() > server.hash_max_ziplist_value
            || value.len() > server.hash_max_ziplist_value
            || zl.blob_len() + field.len() + value.len()
                > crate::ziplist::ZIPLIST_MAX_SAFETY_SIZE
        {
            crate::t_hash::hash_type_convert(&mut o, OBJ_ENCODING_HT);
            let Value::Hash(h) = &mut o.ptr else { unreachable!("a hash") };
            let Hash::Ht(d) = h else { unreachable!("a hash table hash") };
            if d.dict_add(field.into(), value.into()).is_err() {
                return Err(rdb_corrupt!(
                    rdb,
                    "Duplicate hash fields detected"
                ));
            }
            break;
        }

        // Add pair to ziplist
        if zl.set(&field, &value) {
            // Divergence from C: 5.0 pushes the duplicate and corrupts the
            // ziplist; a repeated field is refused here.
            return Err(rdb_corrupt!(rdb, "Duplicate hash fields detected"));
        }
    }

    if o.encoding == OBJ_ENCODING_HT
        && len > crate::dict::DICT_HT_INITIAL_SIZE as u64
    {
        if let Value::Hash(Hash::Ht(d)) = &mut o.ptr {
            let _ = d.dict_expand(rdb_len_hint(rdb, len));
        }
    }

    // Load remaining fields and values into the hash table
    while o.encoding == OBJ_ENCODING_HT && len > 0 {
        len -= 1;
        // Load encoded strings
        let field = rdb_generic_load_string_object(rdb)?;
        let value = rdb_generic_load_string_object(rdb)?;

        // Add pair to hash table
        let Value::Hash(h) = &mut o.ptr else { unreachable!("a hash") };
        let Hash::Ht(d) = h else { unreachable!("a hash table hash") };
        if d.dict_add(field.into(), value.into()).is_err() {
            return Err(rdb_corrupt!(rdb, "Duplicate keys detected"));
        }
    }
    Ok(o)
}

/// Mark that we are loading in the global state and setup the fields
/// needed to provide loading stats. `total_bytes` is the file size (C
/// fstat()s the FILE it is given; 0 if unknown).
///
/// C: rdb.c startLoading()
pub(crate) fn start_loading(server: &mut RedisServer, total_bytes: i64) {
    // Load the DB
    server.loading = true;
    LOADING_FOR_HANDLER.store(true, std::sync::atomic::Ordering::Relaxed);
    server.loading_start_time = now_secs();
    server.loading_loaded_bytes = 0;
    server.loading_total_bytes = total_bytes;
}

/// Refresh the loading progress info
///
/// C: rdb.c loadingProgress()
pub(crate) fn loading_progress(server: &mut RedisServer, pos: i64) {
    server.loading_loaded_bytes = pos;
    let used = crate::util::zmalloc_used_memory();
    if server.stat_peak_memory < used {
        server.stat_peak_memory = used;
    }
}

/// Loading finished
///
/// C: rdb.c stopLoading()
pub(crate) fn stop_loading(server: &mut RedisServer) {
    server.loading = false;
    LOADING_FOR_HANDLER.store(false, std::sync::atomic::Ordering::Relaxed);
}

/// Track loading progress in order to serve client's from time to time:
/// each time another `loading_process_events_interval_bytes` were read,
/// refresh the cached time and the INFO loading fields and serve the
/// clients (with -LOADING, for most commands).
///
/// Divergence from C: C installs this as the rio's checksum callback, so
/// it runs inside every read, with the server global at hand; the rio
/// here has no server, so the checksum is the plain one and
/// `rdb_load_rio` calls this between two keys. A single huge value is
/// therefore read without serving clients.
///
/// C: rdb.c rdbLoadProgressCallback()
pub(crate) fn rdb_load_progress_callback(
    server: &mut RedisServer,
    rdb: &Rio,
    last_step: &mut usize,
) {
    if !rdb_check_progress_callback(server, rdb, last_step) {
        return;
    }
    loading_progress(server, rdb.processed_bytes as i64);
    crate::networking::process_events_while_blocked(server);
}

/// Load an RDB file from the rio stream 'rdb'. On success Ok is returned;
/// a file that is not an RDB we can read returns the error (EINVAL); a
/// damaged file is reported in the log and the process exits, as in C.
///
/// C: rdb.c rdbLoadRio()
pub(crate) fn rdb_load_rio(
    server: &mut RedisServer,
    rdb: &mut Rio,
    rsi: Option<&mut RdbSaveInfo>,
    loading_aof: bool,
) -> io::Result<()> {
    match rdb_load_rio_checked(server, rdb, rsi, loading_aof) {
        Ok(()) => Ok(()),
        Err(RdbLoadError::Err(e)) => Err(e),
        // C: rdbExitReportCorruptRDB() and the exit(1) calls.
        Err(err) => rdb_check_then_exit(server, &err),
    }
}

/// rdbLoadRio() without the exit: every problem comes back as an
/// `RdbLoadError`, for the tests and the fuzzer. Keys read before the
/// problem stay in the databases. (no C twin)
pub fn rdb_load_rio_checked(
    server: &mut RedisServer,
    rdb: &mut Rio,
    rsi: Option<&mut RdbSaveInfo>,
    loading_aof: bool,
) -> RdbResult<()> {
    rdb_load_rio_mode(server, rdb, rsi, loading_aof, false)
}

/// Reads a whole RDB stream the way rdbLoadRio() does, and fails exactly
/// where it would fail, without touching the data set: every opcode,
/// length, string and value is decoded and dropped, keys are checked for
/// duplicates within their database, and the checksum at the end is
/// verified. Used on the file received from a master before anything is
/// flushed (see readSyncBulkPayload() in replication/slave.rs). No event
/// is processed meanwhile; the master gets its keep-alive newlines as
/// during a load. (no C twin)
pub(crate) fn rdb_check_rio(
    server: &mut RedisServer,
    rdb: &mut Rio,
) -> RdbResult<()> {
    rdb_load_rio_mode(server, rdb, None, false, true)
}

/// The reason a load or check failed, as one line for the log: the
/// corruption report's reason and where it was found, or the error.
/// (no C twin)
pub(crate) fn rdb_load_error_reason(err: &RdbLoadError) -> String {
    match err {
        RdbLoadError::Err(e) => crate::util::strerror(e),
        RdbLoadError::Corrupt(c) => {
            format!("{} (at byte offset {})", c.reason, c.offset)
        }
        RdbLoadError::Fatal(msg) => msg.trim_end().to_string(),
        RdbLoadError::EmptyKey => "Empty key in RDB file".to_string(),
    }
}

/// `rdb_check_rio` on the file `filename`. (no C twin)
pub(crate) fn rdb_check_file(
    server: &mut RedisServer,
    filename: &str,
) -> RdbResult<()> {
    let fp = std::fs::File::open(filename).map_err(RdbLoadError::Err)?;
    let mut rdb = rio_init_with_file(fp);
    rdb_check_rio(server, &mut rdb)
}

/// The hashes of the keys an RDB check has seen, to find a key the file
/// holds twice (which the load would reject): 8 bytes per key rather than
/// a copy of each. The hash is keyed at random per check, so the rare
/// false "duplicate" of two different keys does not repeat on the retry
/// of the sync. (no C twin)
struct SeenKeys {
    state: std::collections::hash_map::RandomState,
    hashes: Vec<u64>,
}

impl SeenKeys {
    fn new() -> SeenKeys {
        SeenKeys {
            state: std::collections::hash_map::RandomState::new(),
            hashes: Vec::new(),
        }
    }

    fn add(&mut self, dbid: usize, key: &[u8]) {
        use std::hash::{BuildHasher, Hash, Hasher};
        let mut h = self.state.build_hasher();
        dbid.hash(&mut h);
        key.hash(&mut h);
        self.hashes.push(h.finish());
    }

    /// Whether two keys added had the same hash (same key, same DB).
    fn has_duplicate(&mut self) -> bool {
        self.hashes.sort_unstable();
        self.hashes.windows(2).any(|w| w[0] == w[1])
    }
}

/// The body of rdbLoadRio(); with `check_only` it reads and verifies the
/// whole stream but changes nothing (see `rdb_check_rio`). (no C twin)
fn rdb_load_rio_mode(
    server: &mut RedisServer,
    rdb: &mut Rio,
    mut rsi: Option<&mut RdbSaveInfo>,
    loading_aof: bool,
    check_only: bool,
) -> RdbResult<()> {
    let mut dbid: usize = 0;
    let mut seen = check_only.then(SeenKeys::new);

    rdb.update_cksum = if server.rdb_checksum {
        Some(rio_generic_update_checksum)
    } else {
        None
    };
    rdb.max_processing_chunk =
        server.loading_process_events_interval_bytes.max(0) as usize;
    let mut last_step = 0usize;

    let mut buf = [0u8; 9];
    if rio_read(rdb, &mut buf).is_err() {
        return Err(rdb_eof(rdb));
    }
    if &buf[..5] != b"REDIS" {
        server_log!(
            server,
            LL_WARNING,
            "Wrong signature trying to load DB from file"
        );
        return Err(RdbLoadError::Err(io::Error::from_raw_os_error(
            libc::EINVAL,
        )));
    }
    // C: atoi(buf+5)
    let rdbver = atoi(&buf[5..]);
    if !(1..=RDB_LOAD_MAX_VERSION).contains(&rdbver) {
        server_log!(
            server,
            LL_WARNING,
            "Can't handle RDB format version {}",
            rdbver
        );
        return Err(RdbLoadError::Err(io::Error::from_raw_os_error(
            libc::EINVAL,
        )));
    }

    // Key-specific attributes, set by opcodes before the key type.
    let mut lru_idle: i64 = -1;
    let mut lfu_freq: i64 = -1;
    let mut expiretime: i64 = -1;
    let now = mstime();
    let lru_clock = crate::evict::lru_clock(server) as i64;
    let mut empty_keys_skipped = 0u64;

    loop {
        if check_only {
            let _ = rdb_check_progress_callback(server, rdb, &mut last_step);
        } else {
            rdb_load_progress_callback(server, rdb, &mut last_step);
        }

        // Read type.
        let t = rdb_load_type(rdb)?;

        // Handle special types.
        if t == RDB_OPCODE_EXPIRETIME {
            // EXPIRETIME: load an expire associated with the next key to
            // load. Note that after loading an expire we need to load the
            // actual type, and continue.
            expiretime = rdb_load_time(rdb)?;
            expiretime = expiretime.wrapping_mul(1000);
            continue; // Read next opcode.
        } else if t == RDB_OPCODE_EXPIRETIME_MS {
            // EXPIRETIME_MS: milliseconds precision expire times introduced
            // with RDB v3. Like EXPIRETIME but no with more precision.
            expiretime = rdb_load_millisecond_time(rdb, rdbver)?;
            continue; // Read next opcode.
        } else if t == RDB_OPCODE_FREQ {
            // FREQ: LFU frequency.
            let mut byte = [0u8; 1];
            if rio_read(rdb, &mut byte).is_err() {
                return Err(rdb_eof(rdb));
            }
            lfu_freq = byte[0] as i64;
            continue; // Read next opcode.
        } else if t == RDB_OPCODE_IDLE {
            // IDLE: LRU idle time.
            let qword = rdb_load_len(rdb, None)?;
            lru_idle = qword.min(i64::MAX as u64) as i64;
            continue; // Read next opcode.
        } else if t == RDB_OPCODE_EOF {
            // EOF: End of file, exit the main loop.
            break;
        } else if t == RDB_OPCODE_SELECTDB {
            // SELECTDB: Select the specified database.
            let id = rdb_load_len(rdb, None)?;
            if id >= server.dbnum as u64 {
                return Err(RdbLoadError::Fatal(format!(
                    "FATAL: Data file was created with a Redis server configured to handle more than {} databases. Exiting\n",
                    server.dbnum
                )));
            }
            dbid = id as usize;
            continue; // Read next opcode.
        } else if t == RDB_OPCODE_RESIZEDB {
            // RESIZEDB: Hint about the size of the keys in the currently
            // selected data base, in order to avoid useless rehashing.
            let db_size = rdb_load_len(rdb, None)?;
            let expires_size = rdb_load_len(rdb, None)?;
            if check_only {
                continue;
            }
            let (db_hint, expires_hint) =
                (rdb_len_hint(rdb, db_size), rdb_len_hint(rdb, expires_size));
            let db = &mut server.db[dbid];
            let _ = db.dict.dict_expand(db_hint);
            let _ = db.expires.dict_expand(expires_hint);
            continue; // Read next opcode.
        } else if t == RDB_OPCODE_AUX {
            // AUX: generic string-string fields. Use to add state to RDB
            // which is backward compatible. Implementations of RDB loading
            // are requierd to skip AUX fields they don't understand.
            //
            // An AUX field is composed of two strings: key and value.
            let auxkey = rdb_load_string_object(rdb)?;
            let auxval = rdb_load_string_object(rdb)?;

            if check_only {
                // Read and dropped: the load logs and uses them. A script
                // the load would fail to create is reported here already.
                if auxkey.eq_ignore_ascii_case(b"lua")
                    && !crate::scripting::lua_function_compiles(server, &auxval)
                {
                    return Err(rdb_corrupt!(
                        rdb,
                        "Can't load Lua script from RDB file! BODY: {}",
                        String::from_utf8_lossy(crate::networking::c_str(
                            &auxval
                        ))
                    ));
                }
            } else if auxkey.first() == Some(&b'%') {
                // All the fields with a name staring with '%' are
                // considered information fields and are logged at startup
                // with a log level of NOTICE.
                server_log!(
                    server,
                    LL_NOTICE,
                    "RDB '{}': {}",
                    String::from_utf8_lossy(&auxkey),
                    String::from_utf8_lossy(&auxval)
                );
            } else if auxkey.eq_ignore_ascii_case(b"repl-stream-db") {
                if let Some(rsi) = rsi.as_deref_mut() {
                    rsi.repl_stream_db = atoi(&auxval);
                }
            } else if auxkey.eq_ignore_ascii_case(b"repl-id") {
                if let Some(rsi) = rsi.as_deref_mut() {
                    if auxval.len() == 40 {
                        rsi.repl_id.copy_from_slice(&auxval);
                        rsi.repl_id_is_set = true;
                    }
                }
            } else if auxkey.eq_ignore_ascii_case(b"repl-offset") {
                if let Some(rsi) = rsi.as_deref_mut() {
                    rsi.repl_offset = strtoll(&auxval, 10).value;
                }
            } else if auxkey.eq_ignore_ascii_case(b"lua") {
                // Load the script back in memory.
                if crate::scripting::lua_create_function(server, None, &auxval)
                    .is_none()
                {
                    return Err(rdb_corrupt!(
                        rdb,
                        "Can't load Lua script from RDB file! BODY: {}",
                        String::from_utf8_lossy(crate::networking::c_str(
                            &auxval
                        ))
                    ));
                }
            } else {
                // We ignore fields we don't understand, as by AUX field
                // contract.
                server_log!(
                    server,
                    LL_DEBUG,
                    "Unrecognized RDB AUX field: '{}'",
                    String::from_utf8_lossy(&auxkey)
                );
            }
            continue; // Read type again.
        } else if t == RDB_OPCODE_MODULE_AUX {
            // Load module data that is not related to the Redis key space.
            let moduleid = rdb_load_len(rdb, None)?;
            let when_opcode = rdb_load_len(rdb, None)?;
            let _when = rdb_load_len(rdb, None)?;
            if when_opcode != RDB_MODULE_OPCODE_UINT {
                return Err(rdb_corrupt!(rdb, "bad when_opcode"));
            }
            // Unknown module: there are no modules in this port.
            return Err(RdbLoadError::Fatal(format!(
                "The RDB file contains AUX module data I can't load: no matching module '{}'",
                module_type_name_by_id(moduleid)
            )));
        } else if t == RDB_OPCODE_FUNCTION || t == RDB_OPCODE_FUNCTION2 {
            // Divergence from C: 5.0 does not know this 7.0 opcode either
            // and fails on it as an unknown type; say what it is.
            return Err(rdb_corrupt!(
                rdb,
                "Unknown RDB encoding type {} (a Redis 7 function library: this server has no functions)",
                t
            ));
        }

        // Read key
        let key = rdb_load_string_object(rdb)?;
        // Read value
        let val = match rdb_load_object(server, t, rdb, &key) {
            Ok(val) => val,
            Err(RdbLoadError::EmptyKey) => {
                if empty_keys_skipped < 10 {
                    server_log!(
                        server,
                        LL_NOTICE,
                        "rdbLoadObject skipping empty key: {}",
                        String::from_utf8_lossy(&key)
                    );
                }
                empty_keys_skipped += 1;
                expiretime = -1;
                lfu_freq = -1;
                lru_idle = -1;
                continue;
            }
            Err(e) => return Err(e),
        };
        // Check if the key already expired. This function is used when
        // loading an RDB file from disk, either at startup, or when an RDB
        // was received from the master. In the latter case, the master is
        // responsible for key expiry. If we would expire keys here, the
        // snapshot taken by the master may not be reflected on the slave.
        if let Some(seen) = seen.as_mut() {
            // Checking only: the value was decoded, which is the check.
            seen.add(dbid, &key);
        } else if server.masterhost.is_none()
            && !loading_aof
            && expiretime != -1
            && expiretime < now
        {
            // Dropped.
        } else {
            // Add the new object in the hash table. C's dbAdd() aborts on a
            // key that is already there; a file repeating a key is reported
            // as damaged instead.
            let mut val = val;
            // Set usage information (for eviction).
            object_set_lru_or_lfu(
                server, &mut val, lfu_freq, lru_idle, lru_clock,
            );
            let vtype = val.obj_type();
            let signal = vtype == OBJ_LIST || vtype == OBJ_ZSET;
            // The key is moved into the dict; it is copied only when it is
            // needed again below.
            let key_after = if signal || expiretime != -1 {
                Some(key.clone())
            } else {
                None
            };
            if let Err((key, _)) =
                server.db[dbid].dict.dict_add(key.into(), val)
            {
                return Err(rdb_corrupt!(
                    rdb,
                    "Duplicate key '{}' in DB {}",
                    String::from_utf8_lossy(&key),
                    dbid
                ));
            }
            if let Some(key) = key_after {
                if signal {
                    crate::blocked::signal_key_as_ready(server, dbid, &key);
                }
                // Set the expire time if needed
                if expiretime != -1 {
                    crate::db::set_expire(server, None, dbid, &key, expiretime);
                }
            }
        }

        // Reset the state that is key-specified and is populated by opcodes
        // before the key, so that we start from scratch again.
        expiretime = -1;
        lfu_freq = -1;
        lru_idle = -1;
    }

    // Verify the checksum if RDB version is >= 5
    if rdbver >= 5 {
        let expected = rdb.cksum;
        let mut b = [0u8; 8];
        if rio_read(rdb, &mut b).is_err() {
            return Err(rdb_eof(rdb));
        }
        if server.rdb_checksum {
            let cksum = u64::from_le_bytes(b);
            if cksum == 0 {
                if !check_only {
                    server_log!(
                        server,
                        LL_WARNING,
                        "RDB file was saved with checksum disabled: no check performed."
                    );
                }
            } else if cksum != expected {
                if !check_only {
                    server_log!(
                        server,
                        LL_WARNING,
                        "Wrong RDB checksum. Aborting now."
                    );
                }
                return Err(rdb_corrupt!(rdb, "RDB CRC error"));
            }
        }
    }
    // A key twice in one DB: the load would stop at dbAdd().
    if let Some(seen) = seen.as_mut() {
        if seen.has_duplicate() {
            return Err(rdb_corrupt!(rdb, "Duplicate key in the RDB file"));
        }
    }
    Ok(())
}

/// rdbLoadProgressCallback() for a check (`rdb_check_rio`): refreshes the
/// cached time and keeps the master from timing us out with a newline,
/// but serves no events: the check is not a load, the server does not
/// answer -LOADING meanwhile, and its clients wait as during the flush
/// that follows. The load's callback runs this first. Returns whether a
/// new step of `loading_process_events_interval_bytes` was reached.
/// (no C twin)
fn rdb_check_progress_callback(
    server: &mut RedisServer,
    rdb: &Rio,
    last_step: &mut usize,
) -> bool {
    let interval = server.loading_process_events_interval_bytes as usize;
    if interval == 0 || rdb.processed_bytes / interval <= *last_step {
        return false;
    }
    *last_step = rdb.processed_bytes / interval;
    // The DB can take some non trivial amount of time to load. Update our
    // cached time since it is used to create and update the last
    // interaction time with clients and for other important things.
    update_cached_time(server);
    if server.masterhost.is_some() && server.repl_state == REPL_STATE_TRANSFER {
        crate::replication::replication_send_newline_to_master(server);
    }
    true
}

/// Like rdbLoadRio() but takes a filename instead of a rio stream. The
/// filename is open for reading and a rio stream object created in order
/// to do the actual loading. Moreover the ETA displayed in the INFO output
/// is initialized and finalized.
///
/// If you pass an 'rsi' structure initialied with RDB_SAVE_INFO_INIT, the
/// loading code will fill the information fields in the structure.
///
/// C: rdb.c rdbLoad()
pub(crate) fn rdb_load(
    server: &mut RedisServer,
    filename: &str,
    rsi: Option<&mut RdbSaveInfo>,
) -> io::Result<()> {
    let fp = std::fs::File::open(filename)?;
    let total = fp.metadata().map(|m| m.len() as i64).unwrap_or(0);
    start_loading(server, total);
    let mut rdb = rio_init_with_file(fp);
    let retval = rdb_load_rio(server, &mut rdb, rsi, false);
    drop(rdb); // fclose()
    stop_loading(server);
    retval
}
