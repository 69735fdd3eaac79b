//! t_string.c corner cases where the answer depends on C's arithmetic: the
//! x87 long double of INCRBYFLOAT, and the wrapping integer overflows of
//! DECRBY and SET EX/PX. Every expected reply below was taken from the
//! Redis 5.0.14 binary (x86-64, gcc) with the same commands.

mod util;

use util::Server;

/// Runs one command, returning the reply as text or "ERR ..." for errors.
fn run(server: &Server, args: &[&str]) -> String {
    match server.try_cmd(args) {
        Ok(v) => util::value_to_string(&v).unwrap_or_else(|| format!("{v:?}")),
        Err(e) => {
            format!("{} {}", e.code().unwrap_or("?"), e.detail().unwrap_or(""))
        }
    }
}

/// INCRBYFLOAT adds and prints in long double precision ("%.17Lf", then
/// trailing zeros cut): 10.5 + 0.1 is 10.6, not 10.59999999999999964.
#[test]
fn incrbyfloat_uses_long_double_precision() {
    let s = Server::start(&[]);
    s.cmd(&["SET", "f", "10.5"]);
    assert_eq!(run(&s, &["INCRBYFLOAT", "f", "0.1"]), "10.6");
    assert_eq!(
        run(&s, &["INCRBYFLOAT", "f", "5.0e3"]),
        "5010.60000000000000009"
    );
    // Integers above 2^53 keep every digit.
    s.cmd(&["SET", "g", "9007199254740993"]);
    assert_eq!(run(&s, &["INCRBYFLOAT", "g", "0"]), "9007199254740993");
    // Hex floats are numbers to strtold.
    s.cmd(&["SET", "z", "0"]);
    assert_eq!(run(&s, &["INCRBYFLOAT", "z", "0x1p-3"]), "0.125");
    // Precision beyond a double's 53 bits.
    s.cmd(&["SET", "m", "1"]);
    assert_eq!(run(&s, &["INCRBYFLOAT", "m", "1.5e-10"]), "1.00000000015");
}

/// 1e400 is finite in long double; 1e5000 overflows (ERANGE) and 1e-5000
/// underflows to zero (ERANGE): both are not valid floats. A negative sum
/// that prints as zero keeps its sign, as "%.17Lf" does in 5.0.
#[test]
fn incrbyfloat_range_of_long_double() {
    let s = Server::start(&[]);
    let big = run(&s, &["INCRBYFLOAT", "h", "1e400"]);
    assert_eq!(big.len(), 401);
    assert!(big.starts_with("100000000000000000002818806839475865"), "{big}");
    assert_eq!(run(&s, &["INCRBYFLOAT", "h", "-1e400"]), "0");
    s.cmd(&["SET", "z", "0"]);
    assert_eq!(run(&s, &["INCRBYFLOAT", "z", "-1e-30"]), "-0");
    for bad in ["1e5000", "1e-5000", "", " 1", "1 ", "nan", "abc"] {
        assert_eq!(
            run(&s, &["INCRBYFLOAT", "z", bad]),
            "ERR value is not a valid float",
            "{bad:?}"
        );
    }
    assert_eq!(
        run(&s, &["INCRBYFLOAT", "z", "inf"]),
        "ERR increment would produce NaN or Infinity"
    );
    // An empty string value is not a float either (getLongDoubleFromObject
    // refuses sdslen 0).
    s.cmd(&["SET", "e", ""]);
    assert_eq!(
        run(&s, &["INCRBYFLOAT", "e", "1"]),
        "ERR value is not a valid float"
    );
}

/// DECRBY with LLONG_MIN: C negates it into itself, and the overflow test
/// of incrDecrCommand lets it through when the old value is positive.
#[test]
fn decrby_llong_min_wraps_like_c() {
    let s = Server::start(&[]);
    s.cmd(&["SET", "n", "5"]);
    assert_eq!(
        run(&s, &["DECRBY", "n", "-9223372036854775808"]),
        "-9223372036854775803"
    );
    // From a negative value it is the overflow error.
    assert_eq!(
        run(&s, &["DECRBY", "n", "-9223372036854775808"]),
        "ERR increment or decrement would overflow"
    );
}

/// SET ... EX multiplies by 1000 and adds the time without overflow
/// checks: EX 9223372036854775807 wraps to a time in the past (the key is
/// gone at once), PX 9223372036854775807 to a negative time that counts as
/// no expire for lookups, and TTL then rounds as the C binary does.
#[test]
fn set_with_huge_expire_wraps_like_c() {
    let s = Server::start(&[]);
    assert_eq!(run(&s, &["SET", "k", "v", "EX", "9223372036854775807"]), "OK");
    assert_eq!(run(&s, &["EXISTS", "k"]), "0");
    assert_eq!(run(&s, &["SET", "k", "v", "PX", "9223372036854775807"]), "OK");
    assert_eq!(run(&s, &["TTL", "k"]), "9223372036854776");
    assert_eq!(run(&s, &["GET", "k"]), "v");
}

/// SETRANGE with an offset near LONG_MAX: C's size_t sum wraps, passes
/// the 512MB check and the server dies allocating; we refuse it.
#[test]
fn setrange_huge_offset_is_refused() {
    let mut s = Server::start(&[]);
    assert_eq!(
        run(&s, &["SETRANGE", "k", "9223372036854775807", "x"]),
        "ERR string exceeds maximum allowed size (512MB)"
    );
    s.cmd(&["SET", "k", "v"]);
    assert_eq!(
        run(&s, &["SETRANGE", "k", "9223372036854775807", "x"]),
        "ERR string exceeds maximum allowed size (512MB)"
    );
    assert!(s.is_alive());
    assert_eq!(run(&s, &["GET", "k"]), "v");
}
