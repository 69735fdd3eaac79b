//! Hashes: paraphrases Redis 5.0.14's tests/unit/type/hash.tcl (both
//! encodings, the conversions, every command's error cases) plus HSCAN
//! from unit/scan.tcl and WRONGTYPE for every hash command.
//!
//! Replies are checked as raw RESP bytes, so they are byte-exact with what
//! Redis 5.0.14 sends. If `REDIS_C_SERVER` names a real 5.0.14
//! `redis-server`, `hash_replies_match_redis_5` also runs a script against
//! it and compares every reply byte for byte.

mod util;

use std::collections::HashMap;

use util::{
    assert_keyevents, next_propagated, sync_stream, Conn, Rng, Server,
    WRONGTYPE,
};

// ------------------------------- helpers --------------------------------

/// OBJECT ENCODING of `key` (Tcl's assert_encoding).
fn encoding(r: &mut Conn, key: &str) -> String {
    r.bulk(&["object", "encoding", key])
}

/// The "smallhash" and "bighash" of hash.tcl: 8 and 1024 random fields.
fn small_and_big(
    r: &mut Conn,
) -> (HashMap<String, String>, HashMap<String, String>) {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut make = |key: &str, n: usize, r: &mut Conn| {
        let mut h = HashMap::new();
        while h.len() < n {
            let (k, v) = (rng.alpha(), rng.alpha());
            if h.contains_key(&k) {
                continue;
            }
            r.raw(&["hset", key, &k, &v]);
            h.insert(k, v);
        }
        h
    };
    let small = make("smallhash", 8, r);
    let big = make("bighash", 1024, r);
    (small, big)
}

// -------------------------------- tests ---------------------------------

#[test]
fn hset_hlen_small_and_big_hash_creation_and_encodings() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    let (small, big) = small_and_big(&mut r);
    assert_eq!(r.int(&["hlen", "smallhash"]), 8);
    assert_eq!(encoding(&mut r, "smallhash"), "ziplist");
    assert_eq!(r.int(&["hlen", "bighash"]), 1024);
    assert_eq!(encoding(&mut r, "bighash"), "hashtable");

    // HGET against the small hash / the big hash.
    for (key, h) in [("smallhash", &small), ("bighash", &big)] {
        for (k, v) in h {
            assert_eq!(&r.bulk(&["hget", key, k]), v);
        }
        // HGET against non existing key (field).
        assert_eq!(r.raw(&["hget", key, "__123123123__"]), "$-1\r\n");
    }
    assert_eq!(r.raw(&["hget", "nokey", "f"]), "$-1\r\n");
}

#[test]
fn hset_in_update_and_insert_mode_and_hsetnx() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    let (small, big) = small_and_big(&mut r);
    for (key, h) in [("smallhash", &small), ("bighash", &big)] {
        let k = h.keys().next().unwrap();
        assert_eq!(r.raw(&["hset", key, k, "newval1"]), ":0\r\n");
        assert_eq!(r.bulk(&["hget", key, k]), "newval1");
        assert_eq!(r.raw(&["hset", key, "__foobar123__", "newval"]), ":1\r\n");
        assert_eq!(r.raw(&["hdel", key, "__foobar123__"]), ":1\r\n");

        // HSETNX target key missing / exists.
        assert_eq!(r.raw(&["hsetnx", key, "__123123123__", "foo"]), ":1\r\n");
        assert_eq!(r.bulk(&["hget", key, "__123123123__"]), "foo");
        assert_eq!(r.raw(&["hsetnx", key, "__123123123__", "bar"]), ":0\r\n");
        assert_eq!(r.bulk(&["hget", key, "__123123123__"]), "foo");
        r.raw(&["hdel", key, "__123123123__"]);
    }
    assert_eq!(encoding(&mut r, "smallhash"), "ziplist");
    // HSETNX on a missing key creates it; a long value converts.
    assert_eq!(r.raw(&["hsetnx", "newhash", "f", "v"]), ":1\r\n");
    assert_eq!(encoding(&mut r, "newhash"), "ziplist");
    let long = "x".repeat(65);
    assert_eq!(r.raw(&["hsetnx", "newhash", "f", &long]), ":0\r\n");
    assert_eq!(
        encoding(&mut r, "newhash"),
        "hashtable",
        "hashTypeTryConversion runs before the exists check"
    );

    // Variadic HSET counts only the new fields.
    assert_eq!(
        r.raw(&["hset", "multi", "a", "1", "b", "2", "a", "3"]),
        ":2\r\n"
    );
    assert_eq!(r.bulk(&["hget", "multi", "a"]), "3");
}

#[test]
fn hmset_wrong_number_of_args_and_small_big() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    let (small, big) = small_and_big(&mut r);
    assert_eq!(
        r.raw(&["hmset", "smallhash", "key1", "val1", "key2"]),
        "-ERR wrong number of arguments for HMSET\r\n"
    );
    assert_eq!(
        r.raw(&["hset", "smallhash", "key1", "val1", "key2"]),
        "-ERR wrong number of arguments for HMSET\r\n"
    );
    assert_eq!(
        r.raw(&["hset", "smallhash", "key1"]),
        "-ERR wrong number of arguments for 'hset' command\r\n"
    );
    assert_eq!(
        r.raw(&["hmset", "smallhash", "key1"]),
        "-ERR wrong number of arguments for 'hmset' command\r\n"
    );
    for (key, h) in [("smallhash", &small), ("bighash", &big)] {
        let mut args = vec!["hmset", key];
        let newvals: Vec<(String, String)> =
            h.keys().map(|k| (k.clone(), format!("new-{k}"))).collect();
        for (k, v) in &newvals {
            args.push(k);
            args.push(v);
        }
        assert_eq!(r.raw(&args), "+OK\r\n");
        // HMGET - small hash / big hash
        let mut args = vec!["hmget", key];
        args.extend(newvals.iter().map(|(k, _)| k.as_str()));
        let got = r.bulks(&args);
        let want: Vec<String> =
            newvals.iter().map(|(_, v)| v.clone()).collect();
        assert_eq!(got, want);
    }
}

#[test]
fn hmget_against_non_existing_key_and_fields_and_wrong_type() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    small_and_big(&mut r);
    for key in ["doesntexist", "smallhash", "bighash"] {
        assert_eq!(
            r.raw(&["hmget", key, "__123123123__", "__456456456__"]),
            "*2\r\n$-1\r\n$-1\r\n"
        );
    }
    r.raw(&["set", "wrongtype", "somevalue"]);
    assert!(r
        .raw(&["hmget", "wrongtype", "field1", "field2"])
        .starts_with("-WRONGTYPE"));
}

#[test]
fn hkeys_hvals_hgetall_small_and_big_hash() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    let (small, big) = small_and_big(&mut r);
    for (key, h) in [("smallhash", &small), ("bighash", &big)] {
        let mut keys: Vec<String> = h.keys().cloned().collect();
        keys.sort();
        assert_eq!(r.sorted(&["hkeys", key]), keys);
        let mut vals: Vec<String> = h.values().cloned().collect();
        vals.sort();
        assert_eq!(r.sorted(&["hvals", key]), vals);
        let all = r.bulks(&["hgetall", key]);
        assert_eq!(all.len(), h.len() * 2);
        for pair in all.chunks(2) {
            assert_eq!(h.get(&pair[0]), Some(&pair[1]));
        }
    }
    // A small hash replies in insertion order, as a ziplist does.
    r.raw(&["hset", "ordered", "z", "1", "a", "2", "m", "3"]);
    assert_eq!(r.bulks(&["hkeys", "ordered"]), vec!["z", "a", "m"]);
    assert_eq!(
        r.bulks(&["hgetall", "ordered"]),
        vec!["z", "1", "a", "2", "m", "3"]
    );
    for cmd in ["hkeys", "hvals", "hgetall"] {
        assert_eq!(r.raw(&[cmd, "nokey"]), "*0\r\n");
    }
}

#[test]
fn hdel_and_return_value() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    let (small, big) = small_and_big(&mut r);
    assert_eq!(r.raw(&["hdel", "smallhash", "nokey"]), ":0\r\n");
    assert_eq!(r.raw(&["hdel", "bighash", "nokey"]), ":0\r\n");
    for (key, h) in [("smallhash", &small), ("bighash", &big)] {
        let k = h.keys().next().unwrap();
        assert_eq!(r.raw(&["hdel", key, k]), ":1\r\n");
        assert_eq!(r.raw(&["hdel", key, k]), ":0\r\n");
        assert_eq!(r.raw(&["hget", key, k]), "$-1\r\n");
    }
    assert_eq!(r.raw(&["hdel", "nokey", "a"]), ":0\r\n");

    // HDEL - more than a single value
    r.raw(&["del", "myhash"]);
    r.raw(&["hmset", "myhash", "a", "1", "b", "2", "c", "3"]);
    assert_eq!(r.raw(&["hdel", "myhash", "x", "y"]), ":0\r\n");
    assert_eq!(r.raw(&["hdel", "myhash", "a", "c", "f"]), ":2\r\n");
    assert_eq!(r.bulks(&["hgetall", "myhash"]), vec!["b", "2"]);

    // HDEL - hash becomes empty before deleting all specified fields
    r.raw(&["del", "myhash"]);
    r.raw(&["hmset", "myhash", "a", "1", "b", "2", "c", "3"]);
    assert_eq!(r.raw(&["hdel", "myhash", "a", "b", "c", "d", "e"]), ":3\r\n");
    assert_eq!(r.raw(&["exists", "myhash"]), ":0\r\n");

    // The same with a hash table encoded hash.
    let long = "v".repeat(100);
    r.raw(&["hmset", "myhash", "a", &long, "b", "2"]);
    assert_eq!(encoding(&mut r, "myhash"), "hashtable");
    assert_eq!(r.raw(&["hdel", "myhash", "a", "b", "c"]), ":2\r\n");
    assert_eq!(r.raw(&["exists", "myhash"]), ":0\r\n");
}

#[test]
fn hexists_hlen_hstrlen() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    let (small, big) = small_and_big(&mut r);
    for (key, h) in [("smallhash", &small), ("bighash", &big)] {
        let k = h.keys().next().unwrap();
        assert_eq!(r.raw(&["hexists", key, k]), ":1\r\n");
        assert_eq!(r.raw(&["hexists", key, "nokey"]), ":0\r\n");
        // HSTRLEN against the small hash / the big hash
        for (k, v) in h {
            assert_eq!(r.int(&["hstrlen", key, k]), v.len() as i64);
        }
        // HSTRLEN against non existing field
        assert_eq!(r.raw(&["hstrlen", key, "__123123123__"]), ":0\r\n");
    }
    assert_eq!(r.raw(&["hexists", "nokey", "a"]), ":0\r\n");
    assert_eq!(r.raw(&["hlen", "nokey"]), ":0\r\n");
    assert_eq!(r.raw(&["hstrlen", "nokey", "a"]), ":0\r\n");

    // HSTRLEN corner cases
    for v in [
        "-9223372036854775808",
        "9223372036854775807",
        "9223372036854775808",
        "",
        "0",
        "-1",
        "x",
    ] {
        r.raw(&["hmset", "smallhash", "field", v]);
        r.raw(&["hmset", "bighash", "field", v]);
        assert_eq!(r.int(&["hstrlen", "smallhash", "field"]), v.len() as i64);
        assert_eq!(r.int(&["hstrlen", "bighash", "field"]), v.len() as i64);
    }
}

#[test]
fn is_a_ziplist_encoded_hash_promoted_on_big_payload() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    r.raw(&["hset", "smallhash", "a", "b"]);
    assert_eq!(encoding(&mut r, "smallhash"), "ziplist");
    // 64 bytes is still small; 65 is not.
    r.raw(&["hset", "smallhash", "foo", &"a".repeat(64)]);
    assert_eq!(encoding(&mut r, "smallhash"), "ziplist");
    r.raw(&["hset", "smallhash", "foo", &"a".repeat(1024)]);
    assert_eq!(encoding(&mut r, "smallhash"), "hashtable");
    assert_eq!(r.bulk(&["hget", "smallhash", "foo"]), "a".repeat(1024));
    assert_eq!(r.bulk(&["hget", "smallhash", "a"]), "b");
    // A long field converts too.
    r.raw(&["hset", "h2", &"f".repeat(65), "v"]);
    assert_eq!(encoding(&mut r, "h2"), "hashtable");
}

#[test]
fn hincrby_against_non_existing_and_existing_keys() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    small_and_big(&mut r);
    // HINCRBY against non existing database key
    assert_eq!(r.raw(&["hincrby", "htest", "foo", "2"]), ":2\r\n");
    for key in ["smallhash", "bighash"] {
        // against non existing hash key
        assert_eq!(r.raw(&["hincrby", key, "tmp", "2"]), ":2\r\n");
        assert_eq!(r.bulk(&["hget", key, "tmp"]), "2");
        // against hash key created by hincrby itself
        assert_eq!(r.raw(&["hincrby", key, "tmp", "3"]), ":5\r\n");
        assert_eq!(r.bulk(&["hget", key, "tmp"]), "5");
        // against hash key originally set with HSET
        r.raw(&["hset", key, "tmp", "100"]);
        assert_eq!(r.raw(&["hincrby", key, "tmp", "2"]), ":102\r\n");
        // over 32bit value
        r.raw(&["hset", key, "tmp", "17179869184"]);
        assert_eq!(r.raw(&["hincrby", key, "tmp", "1"]), ":17179869185\r\n");
        // over 32bit value with over 32bit increment
        r.raw(&["hset", key, "tmp", "17179869184"]);
        assert_eq!(
            r.raw(&["hincrby", key, "tmp", "17179869184"]),
            ":34359738368\r\n"
        );
        // fails against hash value with spaces (left) / (right)
        for v in [" 11", "11 "] {
            r.raw(&["hset", key, "str", v]);
            assert_eq!(
                r.raw(&["hincrby", key, "str", "1"]),
                "-ERR hash value is not an integer\r\n"
            );
        }
    }
    assert_eq!(
        r.raw(&["hincrby", "smallhash", "tmp", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    // HINCRBY can detect overflows
    r.raw(&["hset", "hash", "n", "-9223372036854775484"]);
    assert_eq!(
        r.raw(&["hincrby", "hash", "n", "-1"]),
        ":-9223372036854775485\r\n"
    );
    assert_eq!(
        r.raw(&["hincrby", "hash", "n", "-10000"]),
        "-ERR increment or decrement would overflow\r\n"
    );
    r.raw(&["hset", "hash", "m", "9223372036854775807"]);
    assert_eq!(
        r.raw(&["hincrby", "hash", "m", "1"]),
        "-ERR increment or decrement would overflow\r\n"
    );
    assert_eq!(r.bulk(&["hget", "hash", "m"]), "9223372036854775807");
}

#[test]
fn hincrby_does_not_convert_a_ziplist_on_a_long_field() {
    // As in 5.0, HINCRBY skips hashTypeTryConversion(): a long field
    // name goes into the ziplist.
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    let field = "k".repeat(100);
    assert_eq!(r.raw(&["hincrby", "h", &field, "1"]), ":1\r\n");
    assert_eq!(encoding(&mut r, "h"), "ziplist");
    assert_eq!(r.bulk(&["hget", "h", &field]), "1");
}

#[test]
fn hincrbyfloat_against_non_existing_and_existing_keys() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    small_and_big(&mut r);
    assert_eq!(r.bulk(&["hincrbyfloat", "htest", "foo", "2.5"]), "2.5");
    for key in ["smallhash", "bighash"] {
        assert_eq!(r.bulk(&["hincrbyfloat", key, "tmp", "2.5"]), "2.5");
        assert_eq!(r.bulk(&["hget", key, "tmp"]), "2.5");
        assert_eq!(r.bulk(&["hincrbyfloat", key, "tmp", "3.5"]), "6");
        assert_eq!(r.bulk(&["hget", key, "tmp"]), "6");
        r.raw(&["hset", key, "tmp", "100"]);
        assert_eq!(r.bulk(&["hincrbyfloat", key, "tmp", "2.5"]), "102.5");
        r.raw(&["hset", key, "tmp", "17179869184"]);
        assert_eq!(r.bulk(&["hincrbyfloat", key, "tmp", "1"]), "17179869185");
        r.raw(&["hset", key, "tmp", "17179869184"]);
        assert_eq!(
            r.bulk(&["hincrbyfloat", key, "tmp", "17179869184"]),
            "34359738368"
        );
        for v in [" 11", "11 "] {
            r.raw(&["hset", key, "str", v]);
            assert_eq!(
                r.raw(&["hincrbyfloat", key, "str", "1"]),
                "-ERR hash value is not a float\r\n"
            );
        }
    }
    assert_eq!(
        r.raw(&["hincrbyfloat", "htest", "foo", "abc"]),
        "-ERR value is not a valid float\r\n"
    );
    assert_eq!(
        r.raw(&["hincrbyfloat", "htest", "foo", "inf"]),
        "-ERR increment would produce NaN or Infinity\r\n"
    );
    assert_eq!(
        r.bulk(&["hget", "htest", "foo"]),
        "2.5",
        "unchanged after the errors"
    );
}

#[test]
fn stress_test_the_hash_ziplist_to_hashtable_encoding_conversion() {
    let server = Server::start(&["--hash-max-ziplist-entries", "32"]);
    let mut r = Conn::new(&server);
    let mut rng = Rng(42);
    for _ in 0..20 {
        r.raw(&["del", "myhash"]);
        let mut n = 0;
        for i in 0..64 {
            let f = format!("{}-{i}", rng.value());
            r.raw(&["hset", "myhash", &f, &rng.value()]);
            n += 1;
            if n <= 32 {
                assert_eq!(encoding(&mut r, "myhash"), "ziplist", "{n} fields");
            }
        }
        assert_eq!(encoding(&mut r, "myhash"), "hashtable");
        assert_eq!(r.int(&["hlen", "myhash"]), 64);
    }
}

#[test]
fn hash_fuzzing_10_and_512_fields() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    let mut rng = Rng(7);
    for size in [10, 512] {
        for _ in 0..3 {
            // Hash fuzzing #1 (create) and #2 (create, update, delete).
            let mut model: HashMap<String, String> = HashMap::new();
            r.raw(&["del", "hash"]);
            for _ in 0..size {
                match rng.below(3) {
                    0 => {
                        let (f, v) = (rng.value(), rng.value());
                        r.raw(&["hset", "hash", &f, &v]);
                        model.insert(f, v);
                    }
                    1 => {
                        let f = (rng.below(1024) as i64 - 512).to_string();
                        let v = (rng.below(1024) as i64 - 512).to_string();
                        r.raw(&["hset", "hash", &f, &v]);
                        model.insert(f, v);
                    }
                    _ => {
                        let f = if rng.below(2) == 0 {
                            rng.value()
                        } else {
                            (rng.below(1024) as i64 - 512).to_string()
                        };
                        r.raw(&["hdel", "hash", &f]);
                        model.remove(&f);
                    }
                }
            }
            for (k, v) in &model {
                assert_eq!(&r.bulk(&["hget", "hash", k]), v);
            }
            let len =
                if model.is_empty() { 0 } else { r.int(&["hlen", "hash"]) };
            assert_eq!(len, model.len() as i64);
        }
    }
}

#[test]
fn hash_ziplist_regression_test_for_large_keys() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    let k = "k".repeat(336);
    r.raw(&["hset", "hash", &k, "a"]);
    r.raw(&["hset", "hash", &k, "b"]);
    assert_eq!(r.bulk(&["hget", "hash", &k]), "b");
}

#[test]
fn hash_binary_safe_fields_and_values() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    let f: &[u8] = b"\x00\xff\r\nfield";
    let v: &[u8] = b"val\x00ue\r\n";
    assert_eq!(r.raw_bin(&[b"hset", b"bin", f, v]), b":1\r\n");
    assert_eq!(r.raw_bin(&[b"hget", b"bin", f]), b"$8\r\nval\x00ue\r\n\r\n");
    assert_eq!(r.raw_bin(&[b"hstrlen", b"bin", f]), b":8\r\n");
}

#[test]
fn hscan_small_and_big_hashes() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    // A ziplist: everything in one call, cursor 0, pairs in order.
    r.raw(&["hset", "zl", "a", "1", "b", "2", "ab", "3"]);
    assert_eq!(
        r.raw(&["hscan", "zl", "0"]),
        "*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$2\r\nab\r\n$1\r\n3\r\n"
    );
    assert_eq!(
        r.raw(&["hscan", "zl", "0", "MATCH", "a*"]),
        "*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$2\r\nab\r\n$1\r\n3\r\n"
    );
    assert_eq!(r.raw(&["hscan", "nokey", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
    assert_eq!(r.raw(&["hscan", "zl", "x"]), "-ERR invalid cursor\r\n");
    assert_eq!(
        r.raw(&["hscan", "zl", "0", "COUNT", "0"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        r.raw(&["hscan", "zl", "0", "FOO", "bar"]),
        "-ERR syntax error\r\n"
    );

    // A hash table: iterate with the cursor until it is 0, every field
    // seen with its value.
    for i in 0..1000 {
        r.raw(&["hset", "big", &format!("f{i}"), &format!("v{i}")]);
    }
    assert_eq!(encoding(&mut r, "big"), "hashtable");
    let mut seen = HashMap::new();
    let mut cursor = "0".to_string();
    loop {
        let reply = r.r(&["hscan", "big", &cursor, "COUNT", "20"]);
        // *2: the next cursor, then an array of fields and values.
        let parts = reply.arr();
        assert_eq!(parts.len(), 2);
        cursor = parts[0].bulk();
        let items = parts[1].bulks();
        assert_eq!(items.len() % 2, 0);
        for p in items.chunks(2) {
            assert_eq!(p[1], format!("v{}", &p[0][1..]));
            seen.insert(p[0].clone(), p[1].clone());
        }
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 1000);
}

#[test]
fn wrongtype_for_every_hash_command() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    r.raw(&["set", "str", "x"]);
    for args in [
        &["hset", "str", "a", "1"][..],
        &["hsetnx", "str", "a", "1"],
        &["hmset", "str", "a", "1"],
        &["hget", "str", "a"],
        &["hmget", "str", "a"],
        &["hdel", "str", "a"],
        &["hlen", "str"],
        &["hstrlen", "str", "a"],
        &["hexists", "str", "a"],
        &["hincrby", "str", "a", "1"],
        &["hincrbyfloat", "str", "a", "1"],
        &["hkeys", "str"],
        &["hvals", "str"],
        &["hgetall", "str"],
        &["hscan", "str", "0"],
    ] {
        assert_eq!(r.raw(args), WRONGTYPE, "{args:?}");
    }
    assert_eq!(r.bulk(&["get", "str"]), "x");
    // And a hash is the wrong type for string commands.
    r.raw(&["hset", "h", "a", "1"]);
    assert_eq!(r.raw(&["get", "h"]), WRONGTYPE);
    assert_eq!(r.raw(&["type", "h"]), "+hash\r\n");
}

#[test]
fn hash_commands_change_dirty_and_propagate_only_on_change() {
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    let d0 = r.dirty();
    r.raw(&["hset", "h", "a", "1", "b", "2"]);
    assert_eq!(r.dirty(), d0 + 1);
    r.raw(&["hdel", "h", "a", "b", "zz"]);
    assert_eq!(r.dirty(), d0 + 3, "HDEL adds the number deleted");
    r.raw(&["hdel", "h", "zz"]);
    r.raw(&["hsetnx", "h2", "a", "1"]);
    r.raw(&["hsetnx", "h2", "a", "2"]);
    assert_eq!(r.dirty(), d0 + 4, "only the HSETNX that set");
}

/// Runs the same commands against oxredis and a real Redis 5.0.14 (when
/// `REDIS_C_SERVER` names its binary) and compares the replies byte for
/// byte. Only deterministic replies are compared: small (ziplist) hashes
/// reply in insertion order in both.
#[test]
fn hash_replies_match_redis_5() {
    let script: &[&[&str]] = &[
        &["hset", "h", "a", "1"],
        &["hset", "h", "a", "2", "b", "3"],
        &["hset", "h", "a"],
        &["hmset", "h", "a", "1", "b"],
        &["hmget", "h", "a", "b", "zz"],
        &["hsetnx", "h", "c", "5"],
        &["hincrby", "h", "c", "10"],
        &["hincrby", "h", "c", "x"],
        &["hincrby", "h", "c", "9223372036854775807"],
        &["hincrbyfloat", "h", "f", "1.5"],
        &["hincrbyfloat", "h", "f", "abc"],
        &["hgetall", "h"],
        &["hkeys", "h"],
        &["hvals", "h"],
        &["hstrlen", "h", "c"],
        &["hexists", "h", "zz"],
        &["hdel", "h", "a", "zz"],
        &["hscan", "h", "0", "MATCH", "*"],
        &["hscan", "h", "0", "COUNT", "-1"],
        &["object", "encoding", "h"],
        &["hget", "h"],
        &["hdel", "h", "b", "c", "f"],
        &["exists", "h"],
        &["set", "s", "x"],
        &["hgetall", "s"],
        &["hincrbyfloat", "s", "a", "1"],
    ];
    util::assert_replies_match_redis_5(script, Conn::new);
}

#[test]
fn hash_commands_keyspace_notifications() {
    let cmds: &[&[&str]] = &[
        &["hset", "h", "a", "1", "b", "2"],
        &["hmset", "h", "a", "1"],
        &["hsetnx", "h", "a", "1"],
        &["hsetnx", "h", "c", "1"],
        &["hincrby", "h", "a", "1"],
        &["hincrbyfloat", "h", "a", "1.5"],
        &["hdel", "h", "zz"],
        &["hdel", "h", "a"],
        &["hdel", "h", "b", "c"],
    ];
    let want = [
        "hset h",
        "hset h",
        "hset h",
        "hincrby h",
        "hincrbyfloat h",
        "hdel h",
        "hdel h",
        "del h",
    ];
    assert_keyevents(cmds, &want);
}

#[test]
fn test_hincrbyfloat_for_correct_float_representation_issue_2846() {
    // 5.0 adds and prints x87 long doubles: 1.23 comes back as typed.
    let server = Server::start(&[]);
    let mut r = Conn::new(&server);
    assert_eq!(r.bulk(&["hincrbyfloat", "myhash", "float", "1.23"]), "1.23");
    assert_eq!(r.bulk(&["hincrbyfloat", "myhash", "float", "0.77"]), "2");
    assert_eq!(r.bulk(&["hincrbyfloat", "myhash", "float", "-0.1"]), "1.9");
    // Long double range: 1e400 is finite.
    let big = r.bulk(&["hincrbyfloat", "myhash", "big", "1e400"]);
    assert_eq!(big.len(), 401);
    assert!(big.starts_with("1000000000000000000028"), "{big}");
}

#[test]
fn hincrbyfloat_is_propagated_as_hset() {
    let server = Server::start(&[]);
    // A raw replica: SYNC, skip the RDB, then read the command stream.
    let mut s = sync_stream(&server);

    let mut r = Conn::new(&server);
    assert_eq!(r.bulk(&["hincrbyfloat", "h", "f", "1.23"]), "1.23");
    r.raw(&["hincrbyfloat", "h", "f", "x"]);
    r.raw(&["hincrby", "h", "n", "5"]);
    assert_eq!(next_propagated(&mut s), ["HSET", "h", "f", "1.23"]);
    assert_eq!(next_propagated(&mut s), ["hincrby", "h", "n", "5"]);
}
