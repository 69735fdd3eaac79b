//! Basic TCP socket stuff made a bit less boring: create listening sockets
//! with the options Redis wants (SO_REUSEADDR, backlog, IPV6_V6ONLY),
//! accept, connect without blocking, and set TCP_NODELAY and keepalive.
//!
//! Ports anet.c (and anet.h) from Redis 5.0.14, in the same order, over
//! `socket2`. Where C writes a message into a `char *err` buffer and
//! returns ANET_ERR, these functions return `Err(AnetErr)` holding the text
//! C would have written.
//!
//! anet.c is ported whole (the c-map test checks it), although the server
//! calls only part of it, as redis-server does; the rest is what redis-cli
//! and Sentinel use in C.
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{
    IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, ToSocketAddrs,
};
use std::os::unix::io::{AsRawFd, RawFd};
use std::time::Duration;

use socket2::{Domain, SockAddr, Socket, TcpKeepalive, Type};

use crate::util::strerror;

// ---------------------------------- anet.h ----------------------------------

pub(crate) const ANET_OK: i32 = 0;
pub(crate) const ANET_ERR: i32 = -1;
pub(crate) const ANET_ERR_LEN: usize = 256;

/// Flags used with certain functions.
pub(crate) const ANET_NONE: i32 = 0;
pub(crate) const ANET_IP_ONLY: i32 = 1 << 0;

/// The message C's anet functions write into their `err` buffer, and the
/// errno behind it (0 when none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AnetErr(pub(crate) String, pub i32);

impl AnetErr {
    fn io(prefix: &str, e: &io::Error) -> AnetErr {
        AnetErr(
            format!("{}{}", prefix, strerror(e)),
            e.raw_os_error().unwrap_or(0),
        )
    }
    pub(crate) fn is_eaddrinuse(&self) -> bool {
        self.1 == libc::EADDRINUSE
    }
    pub(crate) fn is_eafnosupport(&self) -> bool {
        self.1 == libc::EAFNOSUPPORT || self.1 == libc::EPROTONOSUPPORT
    }
}

pub(crate) type AnetResult<T> = Result<T, AnetErr>;

// ---------------------------------- anet.c ----------------------------------

/// C: anet.c anetSetBlock()
pub(crate) fn anet_set_block(s: &Socket, non_block: bool) -> AnetResult<()> {
    s.set_nonblocking(non_block)
        .map_err(|e| AnetErr::io("fcntl(F_SETFL,O_NONBLOCK): ", &e))
}

/// C: anet.c anetNonBlock()
pub(crate) fn anet_non_block(s: &Socket) -> AnetResult<()> {
    anet_set_block(s, true)
}

/// C: anet.c anetBlock()
pub(crate) fn anet_block(s: &Socket) -> AnetResult<()> {
    anet_set_block(s, false)
}

/// Set TCP keep alive option to detect dead peers. The interval option is
/// only used for Linux as we are using Linux-specific APIs to set the probe
/// send time, interval, and count.
///
/// C: anet.c anetKeepAlive()
pub(crate) fn anet_keep_alive(s: &Socket, interval: i32) -> AnetResult<()> {
    let interval = interval.max(1) as u64;
    // Send first probe after interval; send next probes after interval/3
    // (at least 1 second); consider the peer dead after 3 failed probes.
    let ka = TcpKeepalive::new()
        .with_time(Duration::from_secs(interval))
        .with_interval(Duration::from_secs((interval / 3).max(1)))
        .with_retries(3);
    s.set_tcp_keepalive(&ka)
        .map_err(|e| AnetErr::io("setsockopt SO_KEEPALIVE: ", &e))
}

/// C: anet.c anetSetTcpNoDelay()
fn anet_set_tcp_no_delay(s: &Socket, val: bool) -> AnetResult<()> {
    s.set_nodelay(val).map_err(|e| AnetErr::io("setsockopt TCP_NODELAY: ", &e))
}

/// C: anet.c anetEnableTcpNoDelay()
pub(crate) fn anet_enable_tcp_no_delay(s: &Socket) -> AnetResult<()> {
    anet_set_tcp_no_delay(s, true)
}

/// C: anet.c anetDisableTcpNoDelay()
pub(crate) fn anet_disable_tcp_no_delay(s: &Socket) -> AnetResult<()> {
    anet_set_tcp_no_delay(s, false)
}

/// C: anet.c anetSetSendBuffer()
pub(crate) fn anet_set_send_buffer(
    s: &Socket,
    buffsize: usize,
) -> AnetResult<()> {
    s.set_send_buffer_size(buffsize)
        .map_err(|e| AnetErr::io("setsockopt SO_SNDBUF: ", &e))
}

/// C: anet.c anetTcpKeepAlive()
pub(crate) fn anet_tcp_keep_alive(s: &Socket) -> AnetResult<()> {
    s.set_keepalive(true)
        .map_err(|e| AnetErr::io("setsockopt SO_KEEPALIVE: ", &e))
}

/// Set the socket send timeout (SO_SNDTIMEO socket option) to the specified
/// number of milliseconds, or disable it if the 'ms' argument is zero.
///
/// C: anet.c anetSendTimeout()
pub(crate) fn anet_send_timeout(s: &Socket, ms: i64) -> AnetResult<()> {
    let t = if ms > 0 { Some(Duration::from_millis(ms as u64)) } else { None };
    s.set_write_timeout(t)
        .map_err(|e| AnetErr::io("setsockopt SO_SNDTIMEO: ", &e))
}

/// anetGenericResolve() is called by anetResolve() and anetResolveIP() to
/// do the actual work. It resolves the hostname "host" and returns its
/// textual address. If flags is set to ANET_IP_ONLY the function only
/// resolves hostnames that are actually already IPv4 or IPv6 addresses.
///
/// C: anet.c anetGenericResolve()
pub(crate) fn anet_generic_resolve(
    host: &str,
    flags: i32,
) -> AnetResult<String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(ip.to_string());
    }
    if flags & ANET_IP_ONLY != 0 {
        return Err(AnetErr("Name or service not known".into(), 0));
    }
    match (host, 0).to_socket_addrs() {
        Ok(mut it) => match it.next() {
            Some(a) => Ok(a.ip().to_string()),
            None => Err(AnetErr("Name or service not known".into(), 0)),
        },
        Err(e) => Err(AnetErr(strerror(&e), e.raw_os_error().unwrap_or(0))),
    }
}

/// C: anet.c anetResolve()
pub(crate) fn anet_resolve(host: &str) -> AnetResult<String> {
    anet_generic_resolve(host, ANET_NONE)
}

/// C: anet.c anetResolveIP()
pub(crate) fn anet_resolve_ip(host: &str) -> AnetResult<String> {
    anet_generic_resolve(host, ANET_IP_ONLY)
}

/// C: anet.c anetSetReuseAddr()
fn anet_set_reuse_addr(s: &Socket) -> AnetResult<()> {
    // Make sure connection-intensive things like the redis benchmark will
    // be able to close/open sockets a zillion of times.
    s.set_reuse_address(true)
        .map_err(|e| AnetErr::io("setsockopt SO_REUSEADDR: ", &e))
}

/// C: anet.c anetCreateSocket()
fn anet_create_socket(domain: Domain) -> AnetResult<Socket> {
    let s = Socket::new(domain, Type::STREAM, None)
        .map_err(|e| AnetErr::io("creating socket: ", &e))?;
    // Make sure connection-intensive things like the redis benchmark will
    // be able to close/open sockets a zillion of times.
    anet_set_reuse_addr(&s)?;
    Ok(s)
}

pub(crate) const ANET_CONNECT_NONE: i32 = 0;
pub(crate) const ANET_CONNECT_NONBLOCK: i32 = 1;
/// Best effort binding.
pub(crate) const ANET_CONNECT_BE_BINDING: i32 = 2;

/// Connects to `addr:port`, trying every address it resolves to, from
/// `source_addr` when given. With ANET_CONNECT_BE_BINDING the binding is
/// best effort: if no socket could be bound and connected, the whole
/// attempt is made again without a source address (a `bind` address of
/// the loopback cannot reach a remote master, for one).
///
/// C: anet.c anetTcpGenericConnect()
fn anet_tcp_generic_connect(
    addr: &str,
    port: i32,
    source_addr: Option<&str>,
    flags: i32,
) -> AnetResult<Socket> {
    let servinfo: Vec<SocketAddr> = match (addr, port as u16).to_socket_addrs()
    {
        Ok(it) => it.collect(),
        Err(e) => {
            return Err(AnetErr(strerror(&e), e.raw_os_error().unwrap_or(0)))
        }
    };
    let s: AnetResult<Socket> = 'end: {
        // errno as C would see it after the loop: that of the last
        // failed socket() or connect().
        let mut last_errno = libc::EINVAL;
        for p in servinfo {
            // Try to create the socket and to connect it. If we fail in
            // the socket() call, or on connect(), we retry with the next
            // entry in servinfo. (A socket dropped on the way out of
            // this block is closed, C's close(s) at the error label.)
            let s =
                match Socket::new(Domain::for_address(p), Type::STREAM, None) {
                    Ok(s) => s,
                    Err(e) => {
                        last_errno = e.raw_os_error().unwrap_or(libc::EINVAL);
                        continue;
                    }
                };
            if let Err(e) = anet_set_reuse_addr(&s) {
                break 'end Err(e);
            }
            if flags & ANET_CONNECT_NONBLOCK != 0 {
                if let Err(e) = anet_non_block(&s) {
                    break 'end Err(e);
                }
            }
            if let Some(source_addr) = source_addr {
                // Resolving saves us from self-determining IPv4 vs IPv6.
                let bservinfo = match (source_addr, 0).to_socket_addrs() {
                    Ok(it) => it,
                    Err(e) => {
                        break 'end Err(AnetErr(
                            strerror(&e),
                            e.raw_os_error().unwrap_or(0),
                        ))
                    }
                };
                let mut bind_errno = libc::EINVAL;
                let mut bound = false;
                for b in bservinfo {
                    match s.bind(&SockAddr::from(b)) {
                        Ok(()) => {
                            bound = true;
                            break;
                        }
                        Err(e) => {
                            bind_errno = e.raw_os_error().unwrap_or(0);
                        }
                    }
                }
                if !bound {
                    break 'end Err(AnetErr::io(
                        "bind: ",
                        &io::Error::from_raw_os_error(bind_errno),
                    ));
                }
            }
            match s.connect(&SockAddr::from(p)) {
                Ok(()) => break 'end Ok(s),
                // If the socket is non-blocking, it is ok for connect() to
                // return an EINPROGRESS error here.
                Err(e)
                    if e.raw_os_error() == Some(libc::EINPROGRESS)
                        && flags & ANET_CONNECT_NONBLOCK != 0 =>
                {
                    break 'end Ok(s)
                }
                Err(e) => {
                    last_errno = e.raw_os_error().unwrap_or(libc::EINVAL);
                    continue;
                }
            }
        }
        Err(AnetErr::io(
            "creating socket: ",
            &io::Error::from_raw_os_error(last_errno),
        ))
    };

    // Handle best effort binding: if a binding address was used, but it is
    // not possible to create a socket, try again without a binding address.
    if s.is_err()
        && source_addr.is_some()
        && flags & ANET_CONNECT_BE_BINDING != 0
    {
        anet_tcp_generic_connect(addr, port, None, flags)
    } else {
        s
    }
}

/// C: anet.c anetTcpConnect()
pub(crate) fn anet_tcp_connect(addr: &str, port: i32) -> AnetResult<Socket> {
    anet_tcp_generic_connect(addr, port, None, ANET_CONNECT_NONE)
}

/// C: anet.c anetTcpNonBlockConnect()
pub(crate) fn anet_tcp_non_block_connect(
    addr: &str,
    port: i32,
) -> AnetResult<Socket> {
    anet_tcp_generic_connect(addr, port, None, ANET_CONNECT_NONBLOCK)
}

/// C: anet.c anetTcpNonBlockBindConnect()
pub(crate) fn anet_tcp_non_block_bind_connect(
    addr: &str,
    port: i32,
    source_addr: &str,
) -> AnetResult<Socket> {
    anet_tcp_generic_connect(
        addr,
        port,
        Some(source_addr),
        ANET_CONNECT_NONBLOCK,
    )
}

/// C: anet.c anetTcpNonBlockBestEffortBindConnect()
pub(crate) fn anet_tcp_non_block_best_effort_bind_connect(
    addr: &str,
    port: i32,
    source_addr: &str,
) -> AnetResult<Socket> {
    anet_tcp_generic_connect(
        addr,
        port,
        Some(source_addr),
        ANET_CONNECT_NONBLOCK | ANET_CONNECT_BE_BINDING,
    )
}

/// C: anet.c anetUnixGenericConnect()
pub(crate) fn anet_unix_generic_connect(
    path: &str,
    flags: i32,
) -> AnetResult<Socket> {
    let s = Socket::new(Domain::UNIX, Type::STREAM, None)
        .map_err(|e| AnetErr::io("creating socket: ", &e))?;
    if flags & ANET_CONNECT_NONBLOCK != 0 {
        anet_non_block(&s)?;
    }
    let sa = SockAddr::unix(path).map_err(|e| AnetErr::io("connect: ", &e))?;
    match s.connect(&sa) {
        Ok(()) => Ok(s),
        Err(e)
            if e.raw_os_error() == Some(libc::EINPROGRESS)
                && flags & ANET_CONNECT_NONBLOCK != 0 =>
        {
            Ok(s)
        }
        Err(e) => Err(AnetErr::io("connect: ", &e)),
    }
}

/// C: anet.c anetUnixConnect()
pub(crate) fn anet_unix_connect(path: &str) -> AnetResult<Socket> {
    anet_unix_generic_connect(path, ANET_CONNECT_NONE)
}

/// C: anet.c anetUnixNonBlockConnect()
pub(crate) fn anet_unix_non_block_connect(path: &str) -> AnetResult<Socket> {
    anet_unix_generic_connect(path, ANET_CONNECT_NONBLOCK)
}

/// Like read(2) but make sure 'count' is read before to return (unless
/// error or EOF condition is encountered).
///
/// C: anet.c anetRead()
pub(crate) fn anet_read(mut s: &Socket, buf: &mut [u8]) -> io::Result<usize> {
    let mut totlen = 0;
    while totlen != buf.len() {
        let nread = s.read(&mut buf[totlen..])?;
        if nread == 0 {
            return Ok(totlen);
        }
        totlen += nread;
    }
    Ok(totlen)
}

/// Like write(2) but make sure 'count' is written before to return (unless
/// error is encountered).
///
/// C: anet.c anetWrite()
pub(crate) fn anet_write(mut s: &Socket, buf: &[u8]) -> io::Result<usize> {
    let mut totlen = 0;
    while totlen != buf.len() {
        let nwritten = s.write(&buf[totlen..])?;
        if nwritten == 0 {
            return Ok(totlen);
        }
        totlen += nwritten;
    }
    Ok(totlen)
}

/// C: anet.c anetListen()
fn anet_listen(s: &Socket, sa: &SockAddr, backlog: i32) -> AnetResult<()> {
    s.bind(sa).map_err(|e| AnetErr::io("bind: ", &e))?;
    s.listen(backlog).map_err(|e| AnetErr::io("listen: ", &e))
}

/// C: anet.c anetV6Only()
fn anet_v6_only(s: &Socket) -> AnetResult<()> {
    s.set_only_v6(true).map_err(|e| AnetErr::io("setsockopt: ", &e))
}

/// C: anet.c _anetTcpServer()
fn _anet_tcp_server(
    port: i32,
    bindaddr: Option<&str>,
    v6: bool,
    backlog: i32,
) -> AnetResult<TcpListener> {
    let ip: IpAddr = match bindaddr {
        Some(a) => match a.parse() {
            Ok(ip) => ip,
            Err(_) => anet_generic_resolve(a, ANET_NONE).and_then(|s| {
                s.parse()
                    .map_err(|_| AnetErr("Name or service not known".into(), 0))
            })?,
        },
        None if v6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    };
    let domain = if ip.is_ipv6() { Domain::IPV6 } else { Domain::IPV4 };
    let s = anet_create_socket(domain)?;
    if ip.is_ipv6() {
        anet_v6_only(&s)?;
    }
    anet_listen(
        &s,
        &SockAddr::from(SocketAddr::new(ip, port as u16)),
        backlog,
    )?;
    anet_non_block(&s)?;
    Ok(s.into())
}

/// C: anet.c anetTcpServer()
pub(crate) fn anet_tcp_server(
    port: i32,
    bindaddr: Option<&str>,
    backlog: i32,
) -> AnetResult<TcpListener> {
    _anet_tcp_server(port, bindaddr, false, backlog)
}

/// C: anet.c anetTcp6Server()
pub(crate) fn anet_tcp6_server(
    port: i32,
    bindaddr: Option<&str>,
    backlog: i32,
) -> AnetResult<TcpListener> {
    _anet_tcp_server(port, bindaddr, true, backlog)
}

/// C: anet.c anetUnixServer()
pub(crate) fn anet_unix_server(
    path: &str,
    perm: u32,
    backlog: i32,
) -> AnetResult<Socket> {
    let s = Socket::new(Domain::UNIX, Type::STREAM, None)
        .map_err(|e| AnetErr::io("creating socket: ", &e))?;
    let sa = SockAddr::unix(path).map_err(|e| AnetErr::io("bind: ", &e))?;
    anet_listen(&s, &sa, backlog)?;
    if perm != 0 {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(
            path,
            std::fs::Permissions::from_mode(perm),
        );
    }
    Ok(s)
}

/// C: anet.c anetGenericAccept()
fn anet_generic_accept(listener: RawFd) -> io::Result<(Socket, SockAddr)> {
    // SAFETY: the listening socket stays owned by the server; the Socket
    // built here is forgotten (ManuallyDrop) so it never closes that fd.
    let l = std::mem::ManuallyDrop::new(unsafe {
        <Socket as std::os::unix::io::FromRawFd>::from_raw_fd(listener)
    });
    loop {
        match l.accept() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

/// Accepts a TCP connection; returns the socket, the peer ip and port.
/// An `Err` of kind WouldBlock means there is nothing more to accept.
///
/// C: anet.c anetTcpAccept()
pub(crate) fn anet_tcp_accept(
    listener: RawFd,
) -> io::Result<(Socket, String, i32)> {
    let (s, sa) = anet_generic_accept(listener)?;
    let (ip, port) = match sa.as_socket() {
        Some(a) => (a.ip().to_string(), a.port() as i32),
        None => (String::from("?"), 0),
    };
    Ok((s, ip, port))
}

/// C: anet.c anetUnixAccept()
pub(crate) fn anet_unix_accept(listener: RawFd) -> io::Result<Socket> {
    anet_generic_accept(listener).map(|(s, _)| s)
}

/// C: anet.c anetPeerToString()
pub(crate) fn anet_peer_to_string(s: &Socket) -> Option<(String, i32)> {
    match s.peer_addr() {
        Ok(sa) => match sa.as_socket() {
            Some(a) => Some((a.ip().to_string(), a.port() as i32)),
            // Unix socket client.
            None => Some(("/unixsocket".to_string(), 0)),
        },
        Err(_) => None,
    }
}

/// Format an IP,port pair into something easy to parse. If IP is IPv6
/// (matches for ":"), the ip is surrounded by []. IP and port are just
/// separated by colons. This the standard to display addresses within Redis.
///
/// C: anet.c anetFormatAddr()
pub(crate) fn anet_format_addr(ip: &str, port: i32) -> String {
    if ip.contains(':') {
        format!("[{}]:{}", ip, port)
    } else {
        format!("{}:{}", ip, port)
    }
}

/// Like anetFormatAddr() but extract ip and port from the socket's peer.
///
/// C: anet.c anetFormatPeer()
pub(crate) fn anet_format_peer(s: &Socket) -> String {
    match anet_peer_to_string(s) {
        Some((ip, port)) => anet_format_addr(&ip, port),
        None => "?:0".to_string(),
    }
}

/// C: anet.c anetSockName()
pub(crate) fn anet_sock_name(s: &Socket) -> Option<(String, i32)> {
    match s.local_addr() {
        Ok(sa) => match sa.as_socket() {
            Some(a) => Some((a.ip().to_string(), a.port() as i32)),
            None => Some(("/unixsocket".to_string(), 0)),
        },
        Err(_) => None,
    }
}

/// Like anetFormatPeer() but for the local side of the socket.
///
/// C: anet.c anetFormatSock()
pub(crate) fn anet_format_sock(s: &Socket) -> String {
    match anet_sock_name(s) {
        Some((ip, port)) => anet_format_addr(&ip, port),
        None => "?:0".to_string(),
    }
}

/// The raw fd of a socket, for the event loop. (no C twin: C passes ints)
pub(crate) fn anet_fd(s: &Socket) -> RawFd {
    s.as_raw_fd()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anet_format_addr_brackets_ipv6() {
        assert_eq!(anet_format_addr("127.0.0.1", 6379), "127.0.0.1:6379");
        assert_eq!(anet_format_addr("::1", 6379), "[::1]:6379");
    }

    #[test]
    fn anet_tcp_server_listens_and_accepts() {
        let l = anet_tcp_server(0, Some("127.0.0.1"), 511).expect("listen");
        let port = l.local_addr().expect("addr").port() as i32;
        let c = anet_tcp_connect("127.0.0.1", port).expect("connect");
        anet_enable_tcp_no_delay(&c).expect("nodelay");
        anet_keep_alive(&c, 300).expect("keepalive");
        let (s, ip, _) = anet_tcp_accept(l.as_raw_fd()).expect("accept");
        assert_eq!(ip, "127.0.0.1");
        assert_eq!(anet_format_sock(&s), format!("127.0.0.1:{}", port));
    }

    /// A source address that is not on this host cannot be bound
    /// (EADDRNOTAVAIL): the strict variant fails with C's "bind:" text,
    /// the best-effort one connects without it.
    #[test]
    fn anet_tcp_generic_connect_best_effort_bind_falls_back_unbound() {
        let l = anet_tcp_server(0, Some("127.0.0.1"), 511).expect("listen");
        let port = l.local_addr().expect("addr").port() as i32;
        // 198.51.100.1 (TEST-NET-2) is nobody's local address.
        let e =
            anet_tcp_non_block_bind_connect("127.0.0.1", port, "198.51.100.1")
                .expect_err("bound to a foreign address");
        assert_eq!(
            e,
            AnetErr(
                "bind: Cannot assign requested address".into(),
                libc::EADDRNOTAVAIL
            )
        );
        let s = anet_tcp_non_block_best_effort_bind_connect(
            "127.0.0.1",
            port,
            "198.51.100.1",
        )
        .expect("best effort");
        let (ip, _) = anet_sock_name(&s).expect("sockname");
        assert_eq!(ip, "127.0.0.1");
    }

    /// A loopback source is bound fine, but the kernel refuses it for a
    /// destination off this host (connect: EINVAL): the best-effort
    /// variant then tries again unbound, and so gets what an unbound
    /// connect gets.
    #[test]
    fn anet_tcp_generic_connect_best_effort_bind_retries_a_failed_connect() {
        // 203.0.113.1 (TEST-NET-3): off this host, nothing answers.
        let remote = "203.0.113.1";
        let unbound = anet_tcp_non_block_connect(remote, 6379);
        let strict = anet_tcp_non_block_bind_connect(remote, 6379, "127.0.0.1");
        let best = anet_tcp_non_block_best_effort_bind_connect(
            remote,
            6379,
            "127.0.0.1",
        );
        if unbound.is_ok() {
            // A route exists: only the loopback source is in the way.
            assert_eq!(
                strict.expect_err("loopback source to a remote host"),
                AnetErr(
                    "creating socket: Invalid argument".into(),
                    libc::EINVAL
                )
            );
        }
        assert_eq!(best.is_ok(), unbound.is_ok());
    }
}
