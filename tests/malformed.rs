//! Malformed input, byte for byte: the replies Redis 5.0.14 gives to the
//! requests a broken or hostile client sends most often, and what the
//! connection does next (closes after a protocol error, or answers the
//! next request in step).
//!
//! The expected bytes were taken from a Redis 5.0.14 build. With
//! `REDIS_SRC=/path/to/redis-5.0.14` (built), every case also runs against
//! that server, so the table is checked against the real thing.

mod util;

use std::path::PathBuf;
use std::time::Duration;

use util::*;

/// What follows the reply: the server closes (a protocol error), or the
/// connection stays usable, shown by a PING answered right after.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Then {
    Close,
    Pong,
}

struct Case {
    what: &'static str,
    input: Vec<u8>,
    reply: Vec<u8>,
    then: Then,
}

fn case(what: &'static str, input: &[u8], reply: &[u8], then: Then) -> Case {
    Case { what, input: input.to_vec(), reply: reply.to_vec(), then }
}

fn cases() -> Vec<Case> {
    let long_arg = "x".repeat(200);
    let mut v = vec![
        // The bug of issue 9: an argument with \r\n echoed raw put a line
        // of its own into the stream, and the next reply was garbage.
        case(
            "unknown command, CR LF in its arguments",
            &encode_command(&[b"FOOBAR", b"a\r\nb", b"c\nd"]),
            b"-ERR unknown command `FOOBAR`, with args beginning with: \
              `a  b`, `c d`, \r\n",
            Then::Pong,
        ),
        case(
            "unknown command, CR LF in its name",
            &encode_command(&[b"FOO\r\nBAR"]),
            b"-ERR unknown command `FOO  BAR`, with args beginning with: \r\n",
            Then::Pong,
        ),
        // C's %s stops at a NUL; other bytes pass through untouched.
        case(
            "unknown command, NUL and non-UTF-8 bytes",
            &encode_command(&[b"FOO\0BAR", b"\xff\xfe\0z", b"ok"]),
            b"-ERR unknown command `FOO`, with args beginning with: \
              `\xff\xfe`, `ok`, \r\n",
            Then::Pong,
        ),
        case(
            "wrong number of arguments",
            &encode_command(&[b"GET"]),
            b"-ERR wrong number of arguments for 'get' command\r\n",
            Then::Pong,
        ),
        case(
            "invalid multibulk length",
            b"*abc\r\n",
            b"-ERR Protocol error: invalid multibulk length\r\n",
            Then::Close,
        ),
        case(
            "multibulk length out of range",
            b"*20000000\r\n",
            b"-ERR Protocol error: invalid multibulk length\r\n",
            Then::Close,
        ),
        case(
            "invalid bulk length",
            b"*1\r\n$-10\r\n",
            b"-ERR Protocol error: invalid bulk length\r\n",
            Then::Close,
        ),
        case(
            "a bulk that does not start with $",
            b"*1\r\nfoo\r\n",
            b"-ERR Protocol error: expected '$', got 'f'\r\n",
            Then::Close,
        ),
        case(
            "a bulk that starts with CR",
            b"*1\r\n\r\n",
            b"-ERR Protocol error: expected '$', got ' '\r\n",
            Then::Close,
        ),
        case(
            "unbalanced quotes",
            b"set \"\"\"test-key\"\"\" test-value\r\n",
            b"-ERR Protocol error: unbalanced quotes in request\r\n",
            Then::Close,
        ),
        case(
            "too big inline request",
            &[b'a'; 70_000],
            b"-ERR Protocol error: too big inline request\r\n",
            Then::Close,
        ),
        case(
            "too big multibulk count string",
            &[b"*".as_slice(), &[b'1'; 70_000]].concat(),
            b"-ERR Protocol error: too big mbulk count string\r\n",
            Then::Close,
        ),
        case(
            "too big bulk count string",
            &[b"*1\r\n$".as_slice(), &[b'1'; 70_000]].concat(),
            b"-ERR Protocol error: too big bulk count string\r\n",
            Then::Close,
        ),
        case(
            "not an integer",
            &encode_command(&[b"INCRBY", b"k", b"1\r\n"]),
            b"-ERR value is not an integer or out of range\r\n",
            Then::Pong,
        ),
        case(
            "unknown subcommand, CR LF in it",
            &encode_command(&[b"CLIENT", b"x\r\ny"]),
            b"-ERR Unknown subcommand or wrong number of arguments for \
              'x  y'. Try CLIENT HELP\r\n",
            Then::Pong,
        ),
    ];
    // The arguments are cut once the summary reaches 128 bytes.
    let mut reply =
        b"-ERR unknown command `NOPE`, with args beginning with: `".to_vec();
    reply.extend_from_slice(&long_arg.as_bytes()[..128]);
    reply.extend_from_slice(b"`, \r\n");
    v.push(Case {
        what: "unknown command, long arguments",
        input: encode_command(&[b"NOPE", long_arg.as_bytes(), b"more"]),
        reply,
        then: Then::Pong,
    });
    v
}

/// Sends `c.input` on a new connection and returns everything that comes
/// back: up to the close, or up to the PONG of a PING sent after it.
fn run_case(port: u16, c: &Case) -> (Vec<u8>, Then) {
    let mut s = raw(port);
    send_raw(&mut s, &c.input);
    if c.then == Then::Pong {
        send_raw(&mut s, b"PING\r\n");
        let mut got = read_reply(&mut s);
        if !got.starts_with(b"+PONG") {
            got.extend_from_slice(&read_reply(&mut s));
        }
        let then = if got.ends_with(b"+PONG\r\n") {
            got.truncate(got.len() - 7);
            Then::Pong
        } else {
            Then::Close
        };
        (got, then)
    } else {
        let r = read_until_close_or_timeout(&mut s, Duration::from_secs(5));
        (r.bytes, if r.closed { Then::Close } else { Then::Pong })
    }
}

fn check_server(server: &Server, who: &str) {
    for c in cases() {
        let (got, then) = run_case(server.port(), &c);
        assert_eq!(
            (String::from_utf8_lossy(&got), then),
            (String::from_utf8_lossy(&c.reply), c.then),
            "{who}: {}",
            c.what
        );
        assert_eq!(got, c.reply, "{who}: {} (raw bytes)", c.what);
    }
    // Every client above was dropped or left in step; the server is fine.
    assert_eq!(server.cmd_str(&["PING"]), "PONG");
}

#[test]
fn malformed_requests_get_redis_5_replies_byte_for_byte() {
    let server = Server::start(&[]);
    check_server(&server, "oxredis");
    assert!(!server.log().contains("panicked"), "{}", server.log());
    // With `REDIS_SRC` pointing at a built Redis 5.0.14 tree, the same
    // table against the real server: the expected bytes are its replies.
    if let Some(src) = std::env::var_os("REDIS_SRC") {
        let bin = PathBuf::from(src).join("src/redis-server");
        assert!(
            bin.exists(),
            "REDIS_SRC is set but {} is not built",
            bin.display()
        );
        let redis = Server::start_binary(&bin, &[]);
        check_server(&redis, "redis 5.0.14");
    }
}
