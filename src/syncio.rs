//! Blocking socket I/O with timeouts, on sockets that are otherwise
//! non-blocking. Redis does nearly all its I/O through the event loop; the
//! exception is the replica's handshake with its master (PING, AUTH,
//! REPLCONF, PSYNC and the bulk length line), where the replica writes a
//! command and reads its one-line reply in place. These helpers retry on
//! EAGAIN, waiting with `ae_wait` in between, until the whole buffer moved
//! or the timeout passed.
//!
//! Ports syncio.c from Redis 5.0.14, in the same order. All timeouts are in
//! milliseconds.
//!
//! Read this first: C's functions take an fd and return -1 with `errno`
//! set; these take the `socket2::Socket` and return the `io::Error`, which
//! `util::strerror` prints as C's `strerror(errno)` would.

use std::io::{self, Read, Write};
use std::os::unix::io::AsRawFd;

use socket2::Socket;

use crate::ae::{ae_wait, AE_READABLE, AE_WRITABLE};
use crate::server::mstime;

/// Resolution in milliseconds: the shortest wait between two attempts.
///
/// C: syncio.c SYNCIO__RESOLUTION
const SYNCIO__RESOLUTION: i64 = 10;

/// The error C leaves in `errno` when the time is up.
fn etimedout() -> io::Error {
    io::Error::from_raw_os_error(libc::ETIMEDOUT)
}

/// Write the whole of `buf` to `s`. If that is done within `timeout`
/// milliseconds the operation succeeds and `buf.len()` is returned.
/// Otherwise it fails (ETIMEDOUT, or the write error), and an unspecified
/// part of `buf` may have been written.
///
/// C: syncio.c syncWrite()
pub(crate) fn sync_write(
    s: &Socket,
    mut buf: &[u8],
    timeout: i64,
) -> io::Result<usize> {
    let ret = buf.len();
    let start = mstime();
    let mut remaining = timeout;
    let mut w: &Socket = s;

    loop {
        let wait = if remaining > SYNCIO__RESOLUTION {
            remaining
        } else {
            SYNCIO__RESOLUTION
        };

        // Optimistically try to write before checking if the socket is
        // actually writable. At worst we get EAGAIN.
        match w.write(buf) {
            Ok(nwritten) => buf = &buf[nwritten..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
        if buf.is_empty() {
            return Ok(ret);
        }

        // Wait
        ae_wait(s.as_raw_fd(), AE_WRITABLE, wait);
        let elapsed = mstime() - start;
        if elapsed >= timeout {
            return Err(etimedout());
        }
        remaining = timeout - elapsed;
    }
}

/// Read exactly `buf.len()` bytes from `s`. If they all arrive within
/// `timeout` milliseconds the operation succeeds and the count is
/// returned. Otherwise it fails, and an unspecified amount of data may
/// have been consumed from the socket.
///
/// C: syncio.c syncRead()
pub(crate) fn sync_read(
    s: &Socket,
    buf: &mut [u8],
    timeout: i64,
) -> io::Result<usize> {
    let mut totread = 0;
    let start = mstime();
    let mut remaining = timeout;
    let mut r: &Socket = s;

    if buf.is_empty() {
        return Ok(0);
    }
    loop {
        let wait = if remaining > SYNCIO__RESOLUTION {
            remaining
        } else {
            SYNCIO__RESOLUTION
        };

        // Optimistically try to read before checking if the socket is
        // actually readable. At worst we get EAGAIN.
        match r.read(&mut buf[totread..]) {
            // Short read: the peer closed the connection.
            // Divergence from C: C returns -1 leaving whatever errno an
            // earlier call set. On the replica's handshake that is the
            // EAGAIN of the event loop's last non-blocking call, so 5.0.14
            // logs "Resource temporarily unavailable" when the master
            // hangs up (checked against its binary); we report that errno
            // so the log reads the same, rather than strerror(0),
            // "Success". Callers only log it: none retries on it.
            Ok(0) => return Err(io::Error::from_raw_os_error(libc::EAGAIN)),
            Ok(nread) => totread += nread,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
        if totread == buf.len() {
            return Ok(totread);
        }

        // Wait
        ae_wait(s.as_raw_fd(), AE_READABLE, wait);
        let elapsed = mstime() - start;
        if elapsed >= timeout {
            return Err(etimedout());
        }
        remaining = timeout - elapsed;
    }
}

/// Read a line, making sure that every byte does not take more than
/// `timeout` milliseconds to arrive. At most `size - 1` bytes are read (C
/// keeps the last byte of its buffer for the terminating NUL); the newline
/// is consumed but not returned, and neither is a `\r` just before it.
///
/// The line is read one byte per read(2), so nothing after the newline is
/// taken from the socket: what follows belongs to the next reader (the
/// RDB payload, or the replication stream after `+CONTINUE`).
///
/// C: syncio.c syncReadLine()
pub(crate) fn sync_read_line(
    s: &Socket,
    size: usize,
    timeout: i64,
) -> io::Result<Vec<u8>> {
    let mut line = Vec::new();
    let mut size = size.saturating_sub(1);
    while size != 0 {
        let mut c = [0u8; 1];
        sync_read(s, &mut c, timeout)?;
        if c[0] == b'\n' {
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(line);
        } else {
            line.push(c[0]);
        }
        size -= 1;
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::networking::anet::{
        anet_non_block, anet_tcp_accept, anet_tcp_connect, anet_tcp_server,
    };

    fn pair() -> (Socket, Socket) {
        let l = anet_tcp_server(0, Some("127.0.0.1"), 16).expect("listen");
        let port = l.local_addr().expect("addr").port() as i32;
        let c = anet_tcp_connect("127.0.0.1", port).expect("connect");
        let (s, _, _) = anet_tcp_accept(l.as_raw_fd()).expect("accept");
        anet_non_block(&c).expect("nonblock");
        anet_non_block(&s).expect("nonblock");
        (c, s)
    }

    #[test]
    fn sync_read_line_strips_crlf_and_leaves_the_rest() {
        let (c, s) = pair();
        sync_write(&s, b"+PONG\r\n$5\r\n", 1000).expect("write");
        assert_eq!(sync_read_line(&c, 256, 1000).expect("line"), b"+PONG");
        let mut rest = [0u8; 4];
        assert_eq!(sync_read(&c, &mut rest, 1000).expect("read"), 4);
        assert_eq!(&rest, b"$5\r\n");
    }

    #[test]
    fn sync_read_line_empty_line_is_a_keepalive() {
        let (c, s) = pair();
        sync_write(&s, b"\n", 1000).expect("write");
        assert_eq!(sync_read_line(&c, 256, 1000).expect("line"), b"");
    }

    #[test]
    fn sync_read_line_stops_at_size_minus_one() {
        let (c, s) = pair();
        sync_write(&s, b"abcdef\r\n", 1000).expect("write");
        assert_eq!(sync_read_line(&c, 4, 1000).expect("line"), b"abc");
    }

    #[test]
    fn sync_read_times_out_with_etimedout() {
        let (c, _s) = pair();
        let mut b = [0u8; 1];
        let e = sync_read(&c, &mut b, 30).expect_err("timeout");
        assert_eq!(e.raw_os_error(), Some(libc::ETIMEDOUT));
    }

    #[test]
    fn sync_read_reports_a_closed_peer_as_eagain_like_5_0_14() {
        let (c, s) = pair();
        drop(s);
        let mut b = [0u8; 1];
        let e = sync_read(&c, &mut b, 1000).expect_err("closed");
        assert_eq!(e.raw_os_error(), Some(libc::EAGAIN));
    }
}
