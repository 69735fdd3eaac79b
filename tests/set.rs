//! Sets: paraphrases Redis 5.0.14's tests/unit/type/set.tcl (both
//! encodings, the conversions, the set algebra with its two SDIFF
//! algorithms, SPOP/SRANDMEMBER with their count code paths, SMOVE) plus
//! SSCAN from unit/scan.tcl and WRONGTYPE for every set command.
//!
//! Replies are checked as raw RESP bytes, so they are byte-exact with what
//! Redis 5.0.14 sends. If `REDIS_C_SERVER` names a real 5.0.14
//! `redis-server`, `set_replies_match_redis_5` also runs a script against
//! it and compares every reply byte for byte.

mod util;

use std::collections::{BTreeSet, HashSet};

use util::{
    assert_keyevents, next_propagated, sync_stream, Conn, Rng, Server,
    WRONGTYPE,
};

// ------------------------------- helpers --------------------------------

/// OBJECT ENCODING of `key` (Tcl's assert_encoding).
fn encoding(r: &mut Conn, key: &str) -> String {
    r.bulk(&["object", "encoding", key])
}

/// Tcl's create_set: DEL, then one SADD per entry.
fn create_set(r: &mut Conn, key: &str, entries: &[&str]) {
    r.raw(&["del", key]);
    for e in entries {
        r.raw(&["sadd", key, e]);
    }
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn sorted_strs(v: &[&str]) -> Vec<String> {
    let mut v = strs(v);
    v.sort();
    v
}

// -------------------------------- tests ---------------------------------

#[test]
fn sadd_scard_sismember_smembers_basics_regular_set_and_intset() {
    let server = Server::start(&["--set-max-intset-entries", "512"]);
    let mut r = Conn::new(&server);
    for (enc, first, second, absent) in
        [("hashtable", "foo", "bar", "bla"), ("intset", "17", "16", "18")]
    {
        create_set(&mut r, "myset", &[first]);
        assert_eq!(encoding(&mut r, "myset"), enc);
        assert_eq!(r.raw(&["sadd", "myset", second]), ":1\r\n");
        assert_eq!(r.raw(&["sadd", "myset", second]), ":0\r\n");
        assert_eq!(r.raw(&["scard", "myset"]), ":2\r\n");
        assert_eq!(r.raw(&["sismember", "myset", first]), ":1\r\n");
        assert_eq!(r.raw(&["sismember", "myset", second]), ":1\r\n");
        assert_eq!(r.raw(&["sismember", "myset", absent]), ":0\r\n");
        assert_eq!(
            r.sorted(&["smembers", "myset"]),
            sorted_strs(&[first, second])
        );
    }
    // An intset replies in ascending order.
    create_set(&mut r, "ints", &["5", "-3", "100000", "0"]);
    assert_eq!(
        r.bulks(&["smembers", "ints"]),
        strs(&["-3", "0", "5", "100000"])
    );
    assert_eq!(r.raw(&["scard", "nokey"]), ":0\r\n");
    assert_eq!(r.raw(&["sismember", "nokey", "a"]), ":0\r\n");
    assert_eq!(r.raw(&["smembers", "nokey"]), "*0\r\n");
}

#[test]
fn sadd_against_non_set_and_encoding_conversions() {
    let server = Server::start(&["--set-max-intset-entries", "512"]);
    let mut r = Conn::new(&server);
    r.raw(&["set", "mystr", "foo"]);
    assert!(r.raw(&["sadd", "mystr", "bar"]).starts_with("-WRONGTYPE"));

    // SADD a non-integer against an intset
    create_set(&mut r, "myset", &["1", "2", "3"]);
    assert_eq!(encoding(&mut r, "myset"), "intset");
    assert_eq!(r.raw(&["sadd", "myset", "a"]), ":1\r\n");
    assert_eq!(encoding(&mut r, "myset"), "hashtable");
    assert_eq!(
        r.sorted(&["smembers", "myset"]),
        sorted_strs(&["1", "2", "3", "a"])
    );

    // SADD an integer larger than 64 bits
    create_set(&mut r, "myset", &["213244124402402314402033402"]);
    assert_eq!(encoding(&mut r, "myset"), "hashtable");
    assert_eq!(
        r.raw(&["sismember", "myset", "213244124402402314402033402"]),
        ":1\r\n"
    );

    // Non-canonical integers are strings.
    for s in ["01", "+1", " 1", "1.0", "-0"] {
        create_set(&mut r, "myset", &[s]);
        assert_eq!(encoding(&mut r, "myset"), "hashtable", "{s:?}");
    }

    // SADD overflows the maximum allowed integers in an intset
    r.raw(&["del", "myset"]);
    for i in 0..512 {
        r.raw(&["sadd", "myset", &i.to_string()]);
    }
    assert_eq!(encoding(&mut r, "myset"), "intset");
    assert_eq!(r.raw(&["sadd", "myset", "512"]), ":1\r\n");
    assert_eq!(encoding(&mut r, "myset"), "hashtable");
    assert_eq!(r.raw(&["scard", "myset"]), ":513\r\n");

    // Variadic SADD
    r.raw(&["del", "myset"]);
    assert_eq!(r.raw(&["sadd", "myset", "a", "b", "c"]), ":3\r\n");
    assert_eq!(r.raw(&["sadd", "myset", "A", "a", "b", "c", "B"]), ":2\r\n");
    assert_eq!(
        r.sorted(&["smembers", "myset"]),
        sorted_strs(&["A", "a", "b", "c", "B"])
    );
}

#[test]
fn set_max_intset_entries_limits_the_intset() {
    let server = Server::start(&["--set-max-intset-entries", "4"]);
    let mut r = Conn::new(&server);
    r.raw(&["sadd", "s", "1", "2", "3", "4"]);
    assert_eq!(encoding(&mut r, "s"), "intset");
    r.raw(&["sadd", "s", "5"]);
    assert_eq!(encoding(&mut r, "s"), "hashtable");
    // Never converted back.
    r.raw(&["srem", "s", "1", "2", "3", "4"]);
    assert_eq!(encoding(&mut r, "s"), "hashtable");
}

#[test]
fn srem_basics_regular_set_intset_and_multiple_arguments() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    create_set(&mut r, "myset", &["foo", "bar", "ciao"]);
    assert_eq!(encoding(&mut r, "myset"), "hashtable");
    assert_eq!(r.raw(&["srem", "myset", "qux"]), ":0\r\n");
    assert_eq!(r.raw(&["srem", "myset", "foo"]), ":1\r\n");
    assert_eq!(r.sorted(&["smembers", "myset"]), sorted_strs(&["bar", "ciao"]));

    create_set(&mut r, "myset", &["3", "4", "5"]);
    assert_eq!(encoding(&mut r, "myset"), "intset");
    assert_eq!(r.raw(&["srem", "myset", "6"]), ":0\r\n");
    assert_eq!(r.raw(&["srem", "myset", "4"]), ":1\r\n");
    assert_eq!(r.raw(&["srem", "myset", "notanint"]), ":0\r\n");
    assert_eq!(r.bulks(&["smembers", "myset"]), strs(&["3", "5"]));

    // SREM with multiple arguments
    r.raw(&["del", "myset"]);
    r.raw(&["sadd", "myset", "a", "b", "c", "d"]);
    assert_eq!(r.raw(&["srem", "myset", "k", "k", "k"]), ":0\r\n");
    assert_eq!(r.raw(&["srem", "myset", "b", "d", "x", "y"]), ":2\r\n");
    assert_eq!(r.sorted(&["smembers", "myset"]), strs(&["a", "c"]));

    // SREM variadic version with more args needed to destroy the key
    r.raw(&["del", "myset"]);
    r.raw(&["sadd", "myset", "1", "2", "3"]);
    assert_eq!(
        r.raw(&["srem", "myset", "1", "2", "3", "4", "5", "6", "7", "8"]),
        ":3\r\n"
    );
    assert_eq!(r.raw(&["exists", "myset"]), ":0\r\n");
    assert_eq!(r.raw(&["srem", "nokey", "a"]), ":0\r\n");
}

/// The five sets of set.tcl's algebra tests, with the extra member that
/// fixes their encoding.
fn setup_algebra(r: &mut Conn, large: &str) {
    for i in 1..=5 {
        r.raw(&["del", &format!("set{i}")]);
    }
    for i in 0..200 {
        r.raw(&["sadd", "set1", &i.to_string()]);
        r.raw(&["sadd", "set2", &(i + 195).to_string()]);
    }
    for i in [199, 195, 1000, 2000] {
        r.raw(&["sadd", "set3", &i.to_string()]);
    }
    for i in 5..200 {
        r.raw(&["sadd", "set4", &i.to_string()]);
    }
    r.raw(&["sadd", "set5", "0"]);
    for i in 1..=5 {
        r.raw(&["sadd", &format!("set{i}"), large]);
    }
}

#[test]
fn sinter_sunion_sdiff_and_store_variants_hashtable_and_intset() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    for (ty, large) in [("hashtable", "foo"), ("intset", "200")] {
        setup_algebra(&mut r, large);
        // Generated sets must be encoded as $type
        for i in 1..=5 {
            assert_eq!(encoding(&mut r, &format!("set{i}")), ty);
        }
        let with_large = |v: &[&str]| {
            let mut v = strs(v);
            v.push(large.to_string());
            v.sort();
            v
        };

        // SINTER with two sets
        assert_eq!(
            r.sorted(&["sinter", "set1", "set2"]),
            with_large(&["195", "196", "197", "198", "199"])
        );
        // SINTERSTORE with two sets
        assert_eq!(r.int(&["sinterstore", "setres", "set1", "set2"]), 6);
        assert_eq!(encoding(&mut r, "setres"), ty);
        assert_eq!(
            r.sorted(&["smembers", "setres"]),
            with_large(&["195", "196", "197", "198", "199"])
        );

        // SUNION with two sets
        let mut expected: BTreeSet<String> =
            r.bulks(&["smembers", "set1"]).into_iter().collect();
        expected.extend(r.bulks(&["smembers", "set2"]));
        let expected: Vec<String> = expected.into_iter().collect();
        assert_eq!(r.sorted(&["sunion", "set1", "set2"]), expected);
        // SUNIONSTORE with two sets
        assert_eq!(
            r.int(&["sunionstore", "setres", "set1", "set2"]),
            expected.len() as i64
        );
        assert_eq!(encoding(&mut r, "setres"), ty);
        assert_eq!(r.sorted(&["smembers", "setres"]), expected);

        // SINTER against three sets / SINTERSTORE with three sets
        assert_eq!(
            r.sorted(&["sinter", "set1", "set2", "set3"]),
            with_large(&["195", "199"])
        );
        r.raw(&["sinterstore", "setres", "set1", "set2", "set3"]);
        assert_eq!(
            r.sorted(&["smembers", "setres"]),
            with_large(&["195", "199"])
        );

        // SUNION with non existing keys
        assert_eq!(
            r.sorted(&["sunion", "nokey1", "set1", "set2", "nokey2"]),
            expected
        );

        // SDIFF with two sets / three sets
        assert_eq!(
            r.sorted(&["sdiff", "set1", "set4"]),
            strs(&["0", "1", "2", "3", "4"])
        );
        assert_eq!(
            r.sorted(&["sdiff", "set1", "set4", "set5"]),
            strs(&["1", "2", "3", "4"])
        );
        // SDIFFSTORE with three sets
        assert_eq!(r.int(&["sdiffstore", "setres", "set1", "set4", "set5"]), 4);
        // When we start with intsets, we should always end with intsets.
        if ty == "intset" {
            assert_eq!(encoding(&mut r, "setres"), "intset");
        }
        assert_eq!(
            r.sorted(&["smembers", "setres"]),
            strs(&["1", "2", "3", "4"])
        );
    }
}

#[test]
fn sdiff_with_first_set_empty_and_same_set_two_times() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    r.raw(&["sadd", "set2", "1", "2", "3", "4"]);
    r.raw(&["sadd", "set3", "a", "b", "c", "d"]);
    assert_eq!(r.raw(&["sdiff", "set1", "set2", "set3"]), "*0\r\n");
    r.raw(&["sadd", "set1", "a", "b", "c", "1", "2", "3", "4", "5", "6"]);
    assert_eq!(r.raw(&["sdiff", "set1", "set1"]), "*0\r\n");
    // Algorithm 2 (many members in the first set, few in the others) and
    // algorithm 1 must agree.
    r.raw(&["del", "big", "small"]);
    for i in 0..300 {
        r.raw(&["sadd", "big", &format!("m{i}")]);
    }
    r.raw(&["sadd", "small", "m1", "m2", "zz"]);
    assert_eq!(r.int(&["sdiffstore", "res", "big", "small"]), 298);
    assert_eq!(r.raw(&["sdiff", "small", "big"]), "*1\r\n$2\r\nzz\r\n");
    assert_eq!(r.raw(&["sdiff", "small", "big", "small"]), "*0\r\n");
}

#[test]
fn sdiff_fuzzing() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    let mut rng = Rng(99);
    for _ in 0..30 {
        let num_sets = rng.below(10) as usize + 1;
        let mut model: HashSet<String> = HashSet::new();
        let mut args = vec!["sdiff".to_string()];
        for i in 0..num_sets {
            let key = format!("set_{i}");
            r.raw(&["del", &key]);
            args.push(key.clone());
            let mut n = rng.below(100);
            while n > 0 {
                let ele = rng.value();
                r.raw(&["sadd", &key, &ele]);
                if i == 0 {
                    model.insert(ele);
                } else {
                    model.remove(&ele);
                }
                n -= 1;
            }
        }
        let argv: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        let mut want: Vec<String> = model.into_iter().collect();
        want.sort();
        assert_eq!(r.sorted(&argv), want);
    }
}

#[test]
fn sinter_sunion_against_non_set_and_non_existing_keys() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    r.raw(&["set", "key1", "x"]);
    assert!(r.raw(&["sinter", "key1", "noset"]).starts_with("-WRONGTYPE"));
    assert!(r.raw(&["sunion", "key1", "noset"]).starts_with("-WRONGTYPE"));
    // The missing key comes first: SINTER answers before the type check.
    assert_eq!(r.raw(&["sinter", "noset", "key1"]), "*0\r\n");

    // SINTER should handle non existing key as empty
    r.raw(&["sadd", "set1", "a", "b", "c"]);
    r.raw(&["sadd", "set2", "b", "c", "d"]);
    assert_eq!(r.raw(&["sinter", "set1", "set2", "set3"]), "*0\r\n");

    // SINTER with same integer elements but different encoding
    r.raw(&["del", "set1", "set2"]);
    r.raw(&["sadd", "set1", "1", "2", "3"]);
    r.raw(&["sadd", "set2", "1", "2", "3", "a"]);
    r.raw(&["srem", "set2", "a"]);
    assert_eq!(encoding(&mut r, "set1"), "intset");
    assert_eq!(encoding(&mut r, "set2"), "hashtable");
    assert_eq!(r.sorted(&["sinter", "set1", "set2"]), strs(&["1", "2", "3"]));
    assert_eq!(r.sorted(&["sinter", "set2", "set1"]), strs(&["1", "2", "3"]));

    // SINTERSTORE / SUNIONSTORE against non existing keys should delete dstkey
    r.raw(&["set", "setres", "xxx"]);
    assert_eq!(r.raw(&["sinterstore", "setres", "foo111", "bar222"]), ":0\r\n");
    assert_eq!(r.raw(&["exists", "setres"]), ":0\r\n");
    r.raw(&["set", "setres", "xxx"]);
    assert_eq!(r.raw(&["sunionstore", "setres", "foo111", "bar222"]), ":0\r\n");
    assert_eq!(r.raw(&["exists", "setres"]), ":0\r\n");
    // An empty intersection deletes the destination too.
    r.raw(&["set", "setres", "xxx"]);
    r.raw(&["sadd", "x1", "a"]);
    r.raw(&["sadd", "x2", "b"]);
    assert_eq!(r.raw(&["sinterstore", "setres", "x1", "x2"]), ":0\r\n");
    assert_eq!(r.raw(&["exists", "setres"]), ":0\r\n");
    // The destination may be one of the sources.
    assert_eq!(r.raw(&["sunionstore", "x1", "x1", "x2"]), ":2\r\n");
    assert_eq!(r.sorted(&["smembers", "x1"]), strs(&["a", "b"]));
}

#[test]
fn spop_basics_and_with_count_one() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    for (ty, contents) in
        [("hashtable", ["a", "b", "c"]), ("intset", ["1", "2", "3"])]
    {
        create_set(&mut r, "myset", &contents);
        assert_eq!(encoding(&mut r, "myset"), ty);
        let mut got: Vec<String> =
            (0..3).map(|_| r.bulk(&["spop", "myset"])).collect();
        got.sort();
        assert_eq!(got, strs(&contents));
        assert_eq!(r.raw(&["scard", "myset"]), ":0\r\n");
        assert_eq!(r.raw(&["exists", "myset"]), ":0\r\n");

        // SPOP with <count>=1
        create_set(&mut r, "myset", &contents);
        let mut got: Vec<String> =
            (0..3).flat_map(|_| r.bulks(&["spop", "myset", "1"])).collect();
        got.sort();
        assert_eq!(got, strs(&contents));
        assert_eq!(r.raw(&["scard", "myset"]), ":0\r\n");

        // SRANDMEMBER
        create_set(&mut r, "myset", &contents);
        let mut seen = BTreeSet::new();
        for _ in 0..100 {
            seen.insert(r.bulk(&["srandmember", "myset"]));
        }
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), strs(&contents));
    }
    assert_eq!(r.raw(&["spop", "nokey"]), "$-1\r\n");
    assert_eq!(r.raw(&["srandmember", "nokey"]), "$-1\r\n");
}

#[test]
fn spop_with_count_code_paths() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    let letters: Vec<String> =
        (b'a'..=b'z').map(|b| (b as char).to_string()).collect();
    let numbers: Vec<String> = (1..=26).map(|i| i.to_string()).collect();
    for (ty, contents) in [("hashtable", &letters), ("intset", &numbers)] {
        let c: Vec<&str> = contents.iter().map(|s| s.as_str()).collect();
        create_set(&mut r, "myset", &c);
        assert_eq!(encoding(&mut r, "myset"), ty);
        let mut all = Vec::new();
        for n in ["11", "9", "0", "4", "1", "0", "1", "0"] {
            all.extend(r.bulks(&["spop", "myset", n]));
        }
        all.sort();
        let mut want = contents.clone();
        want.sort();
        assert_eq!(all, want);
        assert_eq!(r.raw(&["scard", "myset"]), ":0\r\n");
    }

    // SPOP using integers, testing Knuth's and Floyd's algorithm
    let twenty: Vec<String> = (1..=20).map(|i| i.to_string()).collect();
    let t: Vec<&str> = twenty.iter().map(|s| s.as_str()).collect();
    create_set(&mut r, "myset", &t);
    assert_eq!(encoding(&mut r, "myset"), "intset");
    for (n, left) in
        [("1", 19), ("2", 17), ("3", 14), ("10", 4), ("10", 0), ("1", 0)]
    {
        r.raw(&["spop", "myset", n]);
        assert_eq!(r.int(&["scard", "myset"]), left);
    }
    assert_eq!(r.raw(&["spop", "nonexisting_key", "100"]), "*0\r\n");

    // SPOP new implementation: code path #1, #2, #3
    for (n, len) in [("30", 20), ("2", 2), ("18", 18)] {
        create_set(&mut r, "myset", &t);
        let res = r.bulks(&["spop", "myset", n]);
        assert_eq!(res.len(), len);
        let mut union = r.bulks(&["smembers", "myset"]);
        assert_eq!(union.len(), 20 - len);
        union.extend(res);
        union.sort();
        let mut want = twenty.clone();
        want.sort();
        assert_eq!(union, want);
    }

    // Errors.
    create_set(&mut r, "myset", &t);
    assert_eq!(r.raw(&["spop", "myset", "-1"]), "-ERR index out of range\r\n");
    assert_eq!(
        r.raw(&["spop", "myset", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(r.raw(&["spop", "myset", "1", "2"]), "-ERR syntax error\r\n");
    assert_eq!(r.raw(&["spop", "myset", "0"]), "*0\r\n");
    assert_eq!(r.int(&["scard", "myset"]), 20);
}

#[test]
fn srandmember_with_count_against_non_existing_key_and_both_encodings() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    assert_eq!(r.raw(&["srandmember", "nonexisting_key", "100"]), "*0\r\n");
    let names = "1 5 10 50 125 50000 33959417 4775547 65434162 12098459 427716 483706 2726473884 \
                 72615637475 MARY PATRICIA LINDA BARBARA ELIZABETH JENNIFER MARIA SUSAN MARGARET \
                 DOROTHY LISA NANCY KAREN BETTY HELEN SANDRA DONNA CAROL RUTH SHARON MICHELLE LAURA \
                 SARAH KIMBERLY DEBORAH JESSICA SHIRLEY CYNTHIA ANGELA MELISSA BRENDA AMY ANNA \
                 REBECCA VIRGINIA KATHLEEN";
    let ints: Vec<String> = (0..50).map(|i| i.to_string()).collect();
    let hashtable: Vec<String> =
        names.split_whitespace().map(String::from).collect();
    for (ty, contents) in [("hashtable", &hashtable), ("intset", &ints)] {
        let c: Vec<&str> = contents.iter().map(|s| s.as_str()).collect();
        create_set(&mut r, "myset", &c);
        assert_eq!(encoding(&mut r, "myset"), ty);
        let myset: HashSet<String> = contents.iter().cloned().collect();
        assert_eq!(
            r.bulks(&["smembers", "myset"]).into_iter().collect::<HashSet<_>>(),
            myset
        );

        // Make sure that a count of 0 is handled correctly.
        assert_eq!(r.raw(&["srandmember", "myset", "0"]), "*0\r\n");

        // PATH 1: Use negative count: repeated elements, all members, and
        // eventually every member.
        let res = r.bulks(&["srandmember", "myset", "-100"]);
        assert_eq!(res.len(), 100);
        assert!(res.iter().all(|e| myset.contains(e)));
        let mut aux = HashSet::new();
        for _ in 0..1000 {
            aux.extend(r.bulks(&["srandmember", "myset", "-10"]));
            if aux.len() == myset.len() {
                break;
            }
        }
        assert_eq!(aux, myset);

        // PATH 2: positive count (unique behavior) with requested size
        // equal or greater than set size.
        for size in ["50", "100"] {
            let res = r.bulks(&["srandmember", "myset", size]);
            assert_eq!(res.len(), 50);
            assert_eq!(res.into_iter().collect::<HashSet<_>>(), myset);
        }

        // PATH 3 (almost as many as the set has) and PATH 4 (few).
        for size in [45, 5] {
            let res = r.bulks(&["srandmember", "myset", &size.to_string()]);
            assert_eq!(res.len(), size);
            let uniq: HashSet<String> = res.iter().cloned().collect();
            assert_eq!(uniq.len(), size, "unique members");
            assert!(res.iter().all(|e| myset.contains(e)));
        }
        assert_eq!(
            r.int(&["scard", "myset"]),
            50,
            "SRANDMEMBER removes nothing"
        );
    }
    assert_eq!(
        r.raw(&["srandmember", "myset", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        r.raw(&["srandmember", "myset", "1", "2"]),
        "-ERR syntax error\r\n"
    );
}

/// set.tcl's setup_move.
fn setup_move(r: &mut Conn) {
    r.raw(&["del", "myset3", "myset4"]);
    create_set(r, "myset1", &["1", "a", "b"]);
    create_set(r, "myset2", &["2", "3", "4"]);
    assert_eq!(encoding(r, "myset1"), "hashtable");
    assert_eq!(encoding(r, "myset2"), "intset");
}

#[test]
fn smove_basics_and_edge_cases() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    // SMOVE basics - from regular set to intset: a non-integer element
    // converts the destination.
    setup_move(&mut r);
    assert_eq!(r.raw(&["smove", "myset1", "myset2", "a"]), ":1\r\n");
    assert_eq!(r.sorted(&["smembers", "myset1"]), strs(&["1", "b"]));
    assert_eq!(r.sorted(&["smembers", "myset2"]), strs(&["2", "3", "4", "a"]));
    assert_eq!(encoding(&mut r, "myset2"), "hashtable");
    // Moving an integer element does not convert the encoding.
    setup_move(&mut r);
    assert_eq!(r.raw(&["smove", "myset1", "myset2", "1"]), ":1\r\n");
    assert_eq!(r.sorted(&["smembers", "myset1"]), strs(&["a", "b"]));
    assert_eq!(r.sorted(&["smembers", "myset2"]), strs(&["1", "2", "3", "4"]));
    assert_eq!(encoding(&mut r, "myset2"), "intset");

    // SMOVE basics - from intset to regular set
    setup_move(&mut r);
    assert_eq!(r.raw(&["smove", "myset2", "myset1", "2"]), ":1\r\n");
    assert_eq!(r.sorted(&["smembers", "myset1"]), strs(&["1", "2", "a", "b"]));
    assert_eq!(r.sorted(&["smembers", "myset2"]), strs(&["3", "4"]));

    // SMOVE non existing key
    setup_move(&mut r);
    assert_eq!(r.raw(&["smove", "myset1", "myset2", "foo"]), ":0\r\n");
    assert_eq!(r.raw(&["smove", "myset1", "myset1", "foo"]), ":0\r\n");
    assert_eq!(r.sorted(&["smembers", "myset1"]), strs(&["1", "a", "b"]));
    assert_eq!(r.sorted(&["smembers", "myset2"]), strs(&["2", "3", "4"]));

    // SMOVE non existing src set
    setup_move(&mut r);
    assert_eq!(r.raw(&["smove", "noset", "myset2", "foo"]), ":0\r\n");
    assert_eq!(r.sorted(&["smembers", "myset2"]), strs(&["2", "3", "4"]));

    // SMOVE from regular set to non existing destination set
    setup_move(&mut r);
    assert_eq!(r.raw(&["smove", "myset1", "myset3", "a"]), ":1\r\n");
    assert_eq!(r.sorted(&["smembers", "myset1"]), strs(&["1", "b"]));
    assert_eq!(r.bulks(&["smembers", "myset3"]), strs(&["a"]));
    assert_eq!(encoding(&mut r, "myset3"), "hashtable");

    // SMOVE from intset to non existing destination set
    setup_move(&mut r);
    assert_eq!(r.raw(&["smove", "myset2", "myset3", "2"]), ":1\r\n");
    assert_eq!(r.sorted(&["smembers", "myset2"]), strs(&["3", "4"]));
    assert_eq!(r.bulks(&["smembers", "myset3"]), strs(&["2"]));
    assert_eq!(encoding(&mut r, "myset3"), "intset");

    // SMOVE wrong src key type / wrong dst key type
    r.raw(&["set", "x", "10"]);
    assert!(r.raw(&["smove", "x", "myset2", "foo"]).starts_with("-WRONGTYPE"));
    assert!(r.raw(&["smove", "myset2", "x", "foo"]).starts_with("-WRONGTYPE"));
    // A missing source answers 0 before the destination's type is checked.
    assert_eq!(r.raw(&["smove", "noset", "x", "foo"]), ":0\r\n");

    // SMOVE with identical source and destination
    r.raw(&["del", "set"]);
    r.raw(&["sadd", "set", "a", "b", "c"]);
    assert_eq!(r.raw(&["smove", "set", "set", "b"]), ":1\r\n");
    assert_eq!(r.sorted(&["smembers", "set"]), strs(&["a", "b", "c"]));

    // Moving the last member deletes the source; moving a member the
    // destination has still removes it from the source.
    r.raw(&["sadd", "one", "z"]);
    r.raw(&["sadd", "two", "z"]);
    assert_eq!(r.raw(&["smove", "one", "two", "z"]), ":1\r\n");
    assert_eq!(r.raw(&["exists", "one"]), ":0\r\n");
    assert_eq!(r.bulks(&["smembers", "two"]), strs(&["z"]));
}

#[test]
fn intsets_implementation_stress_testing() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    let mut rng = Rng(12345);
    for _ in 0..10 {
        let mut model: HashSet<String> = HashSet::new();
        r.raw(&["del", "s"]);
        let len = rng.below(1024);
        for _ in 0..len {
            let data = match rng.below(3) {
                0 => rng.below(65536).to_string(),
                1 => rng.below(4294967296).to_string(),
                _ => rng.next().to_string(),
            };
            model.insert(data.clone());
            r.raw(&["sadd", "s", &data]);
        }
        let mut want: Vec<String> = model.iter().cloned().collect();
        want.sort();
        assert_eq!(r.sorted(&["smembers", "s"]), want);
        for _ in 0..model.len() {
            let e = r.bulk(&["spop", "s"]);
            assert!(model.remove(&e), "{e} popped twice or never added");
        }
        assert_eq!(r.raw(&["scard", "s"]), ":0\r\n");
        assert!(model.is_empty());
    }
}

#[test]
fn sscan_intset_and_hashtable() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    r.raw(&["sadd", "ints", "3", "1", "2", "10"]);
    assert_eq!(
        r.raw(&["sscan", "ints", "0"]),
        "*2\r\n$1\r\n0\r\n*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$2\r\n10\r\n"
    );
    assert_eq!(
        r.raw(&["sscan", "ints", "0", "MATCH", "1*"]),
        "*2\r\n$1\r\n0\r\n*2\r\n$1\r\n1\r\n$2\r\n10\r\n"
    );
    assert_eq!(r.raw(&["sscan", "nokey", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
    assert_eq!(r.raw(&["sscan", "ints", "x"]), "-ERR invalid cursor\r\n");
    assert_eq!(
        r.raw(&["sscan", "ints", "0", "COUNT", "0"]),
        "-ERR syntax error\r\n"
    );
    for i in 0..1000 {
        r.raw(&["sadd", "big", &format!("m{i}")]);
    }
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    loop {
        let reply = r.r(&["sscan", "big", &cursor, "COUNT", "15"]);
        // *2: the next cursor, then an array of members.
        let parts = reply.arr();
        assert_eq!(parts.len(), 2);
        cursor = parts[0].bulk();
        seen.extend(parts[1].bulks());
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 1000);
}

#[test]
fn wrongtype_for_every_set_command() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    r.raw(&["set", "str", "x"]);
    r.raw(&["sadd", "s", "a"]);
    for args in [
        &["sadd", "str", "a"][..],
        &["srem", "str", "a"],
        &["smove", "str", "s", "a"],
        &["smove", "s", "str", "a"],
        &["sismember", "str", "a"],
        &["scard", "str"],
        &["spop", "str"],
        &["spop", "str", "2"],
        &["srandmember", "str"],
        &["srandmember", "str", "2"],
        &["srandmember", "str", "-2"],
        &["sinter", "s", "str"],
        &["sinterstore", "dst", "s", "str"],
        &["sunion", "s", "str"],
        &["sunionstore", "dst", "s", "str"],
        &["sdiff", "s", "str"],
        &["sdiffstore", "dst", "s", "str"],
        &["smembers", "str"],
        &["sscan", "str", "0"],
    ] {
        assert_eq!(r.raw(args), WRONGTYPE, "{args:?}");
    }
    assert_eq!(r.raw(&["exists", "dst"]), ":0\r\n");
    assert_eq!(r.bulk(&["get", "str"]), "x");
    assert_eq!(r.raw(&["type", "s"]), "+set\r\n");
}

#[test]
fn set_commands_dirty_counts() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    let d0 = r.dirty();
    r.raw(&["sadd", "s", "a", "b", "c", "a"]);
    assert_eq!(r.dirty(), d0 + 3, "SADD adds the number added");
    r.raw(&["srem", "s", "a", "zz"]);
    assert_eq!(r.dirty(), d0 + 4);
    r.raw(&["spop", "s", "1"]);
    assert_eq!(r.dirty(), d0 + 6, "SPOP with count: count, then one more");
    let member = r.bulks(&["smembers", "s"])[0].clone();
    r.raw(&["smove", "s", "t", &member]);
    assert_eq!(r.dirty(), d0 + 8, "SMOVE: the source, then the destination");
}

/// Runs the same commands against oxredis and a real Redis 5.0.14 (when
/// `REDIS_C_SERVER` names its binary) and compares the replies byte for
/// byte. Only deterministic replies are compared (intsets reply sorted).
#[test]
fn set_replies_match_redis_5() {
    let script: &[&[&str]] = &[
        &["sadd", "s", "3", "1", "2"],
        &["sadd", "s", "2"],
        &["smembers", "s"],
        &["object", "encoding", "s"],
        &["sadd", "i", "5", "-1", "70000", "-70000", "9999999999", "1"],
        &["smembers", "i"],
        &["sinter", "i", "s"],
        &["sinterstore", "d", "i", "s"],
        &["sunion", "i", "s"],
        &["sunionstore", "d", "i", "s", "nokey"],
        &["sdiff", "i", "s"],
        &["sdiffstore", "d", "i", "s"],
        &["smembers", "d"],
        &["sinterstore", "d", "i", "nokey"],
        &["exists", "d"],
        &["srem", "s", "1", "zz"],
        &["smove", "i", "s", "5"],
        &["smove", "i", "i", "5"],
        &["smove", "nokey", "s", "5"],
        &["spop", "s", "0"],
        &["spop", "s", "-1"],
        &["spop", "s", "x"],
        &["spop", "s", "1", "2"],
        &["spop", "i", "100"],
        &["srandmember", "s", "100"],
        &["srandmember", "s", "0"],
        &["srandmember", "s", "1", "2"],
        &["sscan", "s", "0", "MATCH", "*", "COUNT", "100"],
        &["sscan", "s", "-1"],
        &["sscan", "s", "0", "COUNT"],
        &["set", "str", "x"],
        &["sinter", "nokey", "str"],
        &["sunion", "nokey", "str"],
        &["smove", "s", "str", "2"],
        &["smembers", "s", "s"],
    ];
    util::assert_replies_match_redis_5(script, Conn::new);
}

#[test]
fn set_commands_keyspace_notifications() {
    let cmds: &[&[&str]] = &[
        &["sadd", "s", "a", "b", "c"],
        &["sadd", "s", "a"],
        &["srem", "s", "a"],
        &["srem", "s", "zz"],
        &["smove", "s", "t", "b"],
        &["spop", "s"],
        &["sadd", "u", "1", "2", "3"],
        &["spop", "u", "1"],
        &["spop", "u", "5"],
        &["sadd", "x", "1", "2"],
        &["sadd", "y", "2", "3"],
        &["sinterstore", "d", "x", "y"],
        &["sunionstore", "d", "x", "y"],
        &["sdiffstore", "d", "x", "y"],
        &["sinterstore", "d", "x", "nokey"],
        &["sadd", "d", "1"],
        &["sdiffstore", "d", "x", "x"],
    ];
    let want = [
        "sadd s",
        "srem s",
        "srem s",
        "sadd t",
        "spop s",
        "del s",
        "sadd u",
        "spop u",
        "spop u",
        "del u",
        "sadd x",
        "sadd y",
        "sinterstore d",
        "sunionstore d",
        "sdiffstore d",
        "sadd d",
        "del d",
    ];
    assert_keyevents(cmds, &want);
}

#[test]
fn spop_and_srandmember_propagate_what_they_did() {
    let server = Server::start(&[]);
    let mut stream = sync_stream(&server);
    let mut r = Conn::new(&server);
    let twenty: Vec<String> = (1..=20).map(|i| i.to_string()).collect();
    let mut sadd = vec!["sadd", "s"];
    sadd.extend(twenty.iter().map(|s| s.as_str()));
    r.raw(&sadd);
    assert_eq!(next_propagated(&mut stream)[0], "sadd");

    // SPOP without count: SREM of the popped member.
    let popped = r.bulk(&["spop", "s"]);
    assert_eq!(next_propagated(&mut stream), strs(&["SREM", "s", &popped]));

    // SRANDMEMBER changes nothing and propagates nothing.
    r.raw(&["srandmember", "s", "5"]);
    r.raw(&["srandmember", "s", "-5"]);

    // SPOP with a small count (CASE 2) and a large one (CASE 3): one SREM
    // per popped member, in reply order.
    for count in ["2", "14"] {
        let popped = r.bulks(&["spop", "s", count]);
        for ele in &popped {
            assert_eq!(next_propagated(&mut stream), strs(&["SREM", "s", ele]));
        }
    }
    assert_eq!(r.int(&["scard", "s"]), 3);

    // SPOP of the whole set (CASE 1): a DEL.
    assert_eq!(r.bulks(&["spop", "s", "10"]).len(), 3);
    assert_eq!(next_propagated(&mut stream), strs(&["DEL", "s"]));

    // Nothing for an SPOP of a missing key; the marker comes next.
    r.raw(&["spop", "s"]);
    r.raw(&["spop", "s", "3"]);
    r.raw(&["set", "marker", "1"]);
    assert_eq!(next_propagated(&mut stream), strs(&["set", "marker", "1"]));
}
