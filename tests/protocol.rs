//! The request protocol as Redis 5.0's tests/unit/protocol.tcl checks it,
//! with raw sockets so the bytes are exact: every malformed request gets
//! 5.0's error text and the connection is closed after it, while other
//! clients keep being served; plus inline commands, big arguments (the
//! PROTO_MBULK_BIG_ARG path), pipelining, the query buffer limit, and the
//! POST / "Host:" guard (securityWarningCommand).

mod util;

use std::io::Write;
use std::time::Duration;

use util::{raw, read_reply, read_until_close_or_timeout, send_raw, Server};

/// How long to wait for the server to close a connection after an error.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// A new client is still served (a protocol error closes only the
/// connection that made it).
#[track_caller]
fn assert_other_clients_are_served(server: &Server) {
    let mut other = raw(server.port());
    send_raw(&mut other, b"PING\r\n");
    assert_eq!(read_reply(&mut other), b"+PONG\r\n");
}

/// Sends `bytes` on a new connection and asserts that the server replies
/// exactly `expected` and then closes the connection; then checks that a
/// second client is still served.
#[track_caller]
fn assert_error_and_close(server: &Server, bytes: &[u8], expected: &str) {
    let mut s = raw(server.port());
    send_raw(&mut s, bytes);
    let got = read_until_close_or_timeout(&mut s, CLOSE_WAIT);
    assert_eq!(
        got.text(),
        expected,
        "reply to {:?}",
        String::from_utf8_lossy(bytes)
    );
    assert!(
        got.closed,
        "connection not closed after {:?}",
        String::from_utf8_lossy(bytes)
    );
    assert_other_clients_are_served(server);
}

/// Sends `bytes` then PING on one connection and expects `expected` (which
/// may be nothing) followed by PONG, on a connection that stays open.
#[track_caller]
fn assert_replies_then_pong(server: &Server, bytes: &[u8], expected: &[u8]) {
    let mut s = raw(server.port());
    send_raw(&mut s, bytes);
    send_raw(&mut s, b"PING\r\n");
    let mut got = Vec::new();
    while got.len() < expected.len() {
        got.extend(read_reply(&mut s));
    }
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(expected)
    );
    assert_eq!(read_reply(&mut s), b"+PONG\r\n");
}

#[test]
fn handle_an_empty_query() {
    let server = Server::start(&[]);
    // Skipped without a reply.
    assert_replies_then_pong(&server, b"\r\n", b"");
}

#[test]
fn negative_multibulk_length() {
    let server = Server::start(&[]);
    // Skipped without a reply.
    assert_replies_then_pong(&server, b"*-10\r\n", b"");
}

#[test]
fn out_of_range_multibulk_length() {
    let server = Server::start(&[]);
    assert_error_and_close(
        &server,
        b"*20000000\r\n",
        "-ERR Protocol error: invalid multibulk length\r\n",
    );
}

#[test]
fn wrong_multibulk_payload_header() {
    let server = Server::start(&[]);
    assert_error_and_close(
        &server,
        b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n",
        "-ERR Protocol error: expected '$', got 'f'\r\n",
    );
}

#[test]
fn negative_multibulk_payload_length() {
    let server = Server::start(&[]);
    assert_error_and_close(
        &server,
        b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$-10\r\n",
        "-ERR Protocol error: invalid bulk length\r\n",
    );
}

#[test]
fn out_of_range_multibulk_payload_length() {
    let server = Server::start(&[]);
    assert_error_and_close(
        &server,
        b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$2000000000\r\n",
        "-ERR Protocol error: invalid bulk length\r\n",
    );
}

#[test]
fn non_number_multibulk_payload_length() {
    let server = Server::start(&[]);
    assert_error_and_close(
        &server,
        b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$blabla\r\n",
        "-ERR Protocol error: invalid bulk length\r\n",
    );
}

#[test]
fn multi_bulk_request_not_followed_by_bulk_arguments() {
    let server = Server::start(&[]);
    assert_error_and_close(
        &server,
        b"*1\r\nfoo\r\n",
        "-ERR Protocol error: expected '$', got 'f'\r\n",
    );
}

#[test]
fn generic_wrong_number_of_args() {
    let server = Server::start(&[]);
    // Not a protocol error: the connection stays open.
    assert_replies_then_pong(
        &server,
        b"*4\r\n$4\r\nping\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\nz\r\n",
        b"-ERR wrong number of arguments for 'ping' command\r\n",
    );
}

#[test]
fn unbalanced_number_of_quotes() {
    let server = Server::start(&[]);
    // The PING after the bad line is never run.
    assert_error_and_close(
        &server,
        b"set \"\"\"test-key\"\"\" test-value\r\nping\r\n",
        "-ERR Protocol error: unbalanced quotes in request\r\n",
    );
}

/// protocol.tcl's "Protocol desync regression test #1..3": after a bad
/// first byte, the client keeps sending data without a newline; the
/// server must give up with a protocol error and close, not buffer
/// forever.
#[test]
fn protocol_desync_regression_test() {
    let server = Server::start(&[]);
    for (seq, expected) in [
        (&b"\x00"[..], "-ERR Protocol error: too big inline request\r\n"),
        (&b"*\x00"[..], "-ERR Protocol error: too big mbulk count string\r\n"),
        (&b"$\x00"[..], "-ERR Protocol error: too big inline request\r\n"),
    ] {
        let mut s = raw(server.port());
        send_raw(&mut s, seq);
        // Like the Tcl test: keep writing until the server closes on us.
        let payload = [b'A'; 1024];
        let mut sent = 0;
        while s.write_all(&payload).is_ok() {
            sent += payload.len();
            assert!(
                sent < 64 * 1024 * 1024,
                "server did not close the connection after a protocol desync"
            );
        }
        let got = read_until_close_or_timeout(&mut s, CLOSE_WAIT);
        assert!(
            got.text().starts_with(expected),
            "after {seq:?}: {:?}",
            got.text()
        );
    }
    assert_other_clients_are_served(&server);
}

#[test]
fn inline_commands_with_quotes_and_escapes() {
    let server = Server::start(&[]);
    let mut s = raw(server.port());
    send_raw(
        &mut s,
        b"SET foo \"a b\\x41\\n\"\r\nGET foo\r\nset k 'single quoted'\nget k\r\n",
    );
    assert_eq!(read_reply(&mut s), b"+OK\r\n");
    assert_eq!(read_reply(&mut s), b"$5\r\na bA\n\r\n");
    assert_eq!(read_reply(&mut s), b"+OK\r\n");
    assert_eq!(read_reply(&mut s), b"$13\r\nsingle quoted\r\n");
}

#[test]
fn too_big_inline_request_closes_the_connection() {
    let server = Server::start(&[]);
    // No newline: with one, a long line is a (wrong) command, as in C.
    let big = vec![b'x'; 70 * 1024];
    assert_error_and_close(
        &server,
        &big,
        "-ERR Protocol error: too big inline request\r\n",
    );
}

#[test]
fn big_arguments_are_read_whole() {
    let server = Server::start(&[]);
    let mut s = raw(server.port());
    // Just over PROTO_MBULK_BIG_ARG (32 KiB), and several MB.
    for (key, len) in [("k33k", 33 * 1024 + 7), ("k5m", 5 * 1024 * 1024 + 3)] {
        let value: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
        let mut req = format!(
            "*3\r\n$3\r\nSET\r\n${}\r\n{}\r\n${}\r\n",
            key.len(),
            key,
            len
        )
        .into_bytes();
        req.extend_from_slice(&value);
        req.extend_from_slice(b"\r\n");
        // Write it in pieces, as a slow client would.
        for chunk in req.chunks(100_000) {
            send_raw(&mut s, chunk);
        }
        assert_eq!(read_reply(&mut s), b"+OK\r\n");
        send_raw(&mut s, format!("STRLEN {key}\r\n").as_bytes());
        assert_eq!(read_reply(&mut s), format!(":{len}\r\n").as_bytes());
        let mut con = server.client();
        let got: Vec<u8> = redis::cmd("GET").arg(key).query(&mut con).unwrap();
        assert!(got == value, "value of {key} differs");
    }
}

#[test]
fn pipelined_requests_get_all_their_replies_in_order() {
    let server = Server::start(&[]);
    let mut s = raw(server.port());
    let mut req = Vec::new();
    for i in 0..1000 {
        req.extend_from_slice(
            format!(
                "*3\r\n$3\r\nSET\r\n$5\r\nkey{:02}\r\n$4\r\n{:04}\r\n",
                i % 100,
                i
            )
            .as_bytes(),
        );
        req.extend_from_slice(format!("GET key{:02}\r\n", i % 100).as_bytes());
    }
    send_raw(&mut s, &req);
    for i in 0..1000 {
        assert_eq!(read_reply(&mut s), b"+OK\r\n");
        assert_eq!(
            read_reply(&mut s),
            format!("$4\r\n{:04}\r\n", i).as_bytes()
        );
    }
}

/// networking.c readQueryFromClient: a client whose query buffer grows
/// past `client-query-buffer-limit` is closed with a log line, without a
/// reply. Shown here with the bulk length limit, which the parser checks
/// before buffering anything.
#[test]
fn bulk_length_over_proto_max_bulk_len_is_a_protocol_error() {
    let server = Server::start(&[]);
    // 512 MB is the default proto-max-bulk-len; one more is refused.
    assert_error_and_close(
        &server,
        b"*2\r\n$3\r\nGET\r\n$536870913\r\n",
        "-ERR Protocol error: invalid bulk length\r\n",
    );
    // Exactly the limit is accepted (the server then waits for the data).
    let mut s = raw(server.port());
    send_raw(&mut s, b"*2\r\n$3\r\nGET\r\n$536870912\r\nabc");
    let got = read_until_close_or_timeout(&mut s, Duration::from_millis(300));
    assert!(!got.closed && got.bytes.is_empty(), "{:?}", got);
}

#[test]
fn post_and_host_commands_close_the_connection_and_log_a_warning() {
    let server = Server::start(&[]);
    for req in [
        &b"POST / HTTP/1.1\r\nPING\r\n"[..],
        &b"GET / HTTP/1.1\r\nHost: example.com\r\nPING\r\n"[..],
    ] {
        let mut s = raw(server.port());
        send_raw(&mut s, req);
        let got = read_until_close_or_timeout(&mut s, CLOSE_WAIT);
        assert!(
            got.closed,
            "connection still open after {:?}",
            String::from_utf8_lossy(req)
        );
        // Nothing after the POST/Host: line is run.
        assert!(!got.text().contains("PONG"), "{:?}", got.text());
    }
    util::wait_for(Duration::from_secs(5), || {
        server.log().contains(
            "# Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection aborted.",
        )
    });
    // Logged at most once a minute.
    assert_eq!(server.log().matches("SECURITY ATTACK").count(), 1);
}

#[test]
fn unknown_command_error_keeps_the_connection() {
    let server = Server::start(&[]);
    assert_replies_then_pong(
        &server,
        b"wrongcmd a b\r\n",
        b"-ERR unknown command `wrongcmd`, with args beginning with: `a`, `b`, \r\n",
    );
}

/// `echo PING | nc -q1 host port`: the request and the FIN arrive
/// together. The reply is sent, then the server reads the end of file and
/// closes the connection, as 5.0 does, instead of keeping a dead client.
#[test]
fn a_client_that_half_closes_after_its_request_is_answered_and_closed() {
    let server = Server::start(&[]);
    let mut s = raw(server.port());
    s.write_all(b"PING\r\n").expect("write");
    s.shutdown(std::net::Shutdown::Write).expect("shutdown");
    let got = read_until_close_or_timeout(&mut s, CLOSE_WAIT);
    assert_eq!(got.text(), "+PONG\r\n");
    assert!(got.closed, "connection not closed after the peer's FIN");
    assert_other_clients_are_served(&server);
}
