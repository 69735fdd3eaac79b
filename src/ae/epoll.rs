//! The polling backend of the event loop: what ae_epoll.c does with
//! `epoll_create`/`epoll_ctl`/`epoll_wait`, done here through `mio::Poll`.
//!
//! Ports ae_epoll.c from Redis 5.0.14, in the same order.
//!
//! Read this first: mio registers every fd edge-triggered (EPOLLET), while
//! ae_epoll.c registers level-triggered. ae's callers rely on the level
//! semantics: `read_query_from_client` reads at most 16 KiB per call and
//! expects to be called again if more is waiting. So this backend keeps a
//! level state per fd (`ready`): bits are set when mio reports an edge, and
//! they stay set, and the fd keeps firing, until the handler says it saw the
//! fd drained (`ae_not_ready`, called on EAGAIN or on a short read) or the
//! event is deleted. While any fd is still ready the poll does not sleep.
//! This costs no syscall that level-triggered epoll would not also make.

use std::io;
use std::os::unix::io::RawFd;
use std::time::Duration;

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};

use super::{
    AeContext, AeEventLoop, AeFiredEvent, AE_NONE, AE_READABLE, AE_WRITABLE,
};

/// C: struct aeApiState. `ready` and `ready_list` have no C twin: they are
/// the level-triggered state that epoll kept in the kernel for C.
pub(crate) struct AeApiState {
    pub(crate) poll: Poll,
    pub(crate) events: Events,
    /// Per fd: the AE_READABLE/AE_WRITABLE bits believed still ready.
    pub(crate) ready: Vec<u8>,
    /// The fds whose `ready` is not zero, each once.
    pub(crate) ready_list: Vec<RawFd>,
    /// Per fd: the peer has shut down its side (EPOLLRDHUP/EPOLLHUP seen).
    /// A short read then no longer means "drained": the end of file is
    /// still to be read, and no new edge will announce it.
    pub(crate) read_closed: Vec<bool>,
}

fn interest_of(mask: i32) -> Option<Interest> {
    match (mask & AE_READABLE != 0, mask & AE_WRITABLE != 0) {
        (true, true) => Some(Interest::READABLE | Interest::WRITABLE),
        (true, false) => Some(Interest::READABLE),
        (false, true) => Some(Interest::WRITABLE),
        (false, false) => None,
    }
}

/// C: ae_epoll.c aeApiCreate()
pub(crate) fn ae_api_create(setsize: usize) -> io::Result<AeApiState> {
    Ok(AeApiState {
        poll: Poll::new()?,
        events: Events::with_capacity(setsize.min(4096)),
        ready: vec![0; setsize],
        ready_list: Vec::new(),
        read_closed: vec![false; setsize],
    })
}

/// C: ae_epoll.c aeApiResize()
pub(crate) fn ae_api_resize(state: &mut AeApiState, setsize: usize) {
    state.events = Events::with_capacity(setsize.min(4096));
    state.ready.resize(setsize, 0);
    state.read_closed.resize(setsize, false);
    // A deleted fd can linger in `ready_list` until the next poll; none
    // beyond the new size may (ae_resize_set_size checked `maxfd`).
    state.ready_list.retain(|&fd| (fd as usize) < setsize);
}

// C: ae_epoll.c aeApiFree() is Drop: mio closes the epoll fd when `Poll`
// drops. A forked child must never drop it (it leaves with _exit).

/// Adds `mask` to what `fd` is watched for (an epoll ADD or MOD).
///
/// C: ae_epoll.c aeApiAddEvent()
pub(crate) fn ae_api_add_event<C: AeContext>(
    el: &mut AeEventLoop<C>,
    fd: RawFd,
    mask: i32,
) -> io::Result<()> {
    let old = el.events[fd as usize].mask;
    let merged = (mask | old) & (AE_READABLE | AE_WRITABLE);
    let interest = match interest_of(merged) {
        Some(i) => i,
        None => return Ok(()),
    };
    let registry = el.apidata.poll.registry();
    if old & (AE_READABLE | AE_WRITABLE) == AE_NONE {
        el.apidata.read_closed[fd as usize] = false;
        registry.register(&mut SourceFd(&fd), Token(fd as usize), interest)
    } else {
        // An EPOLL_CTL_MOD re-arms the edge: if the fd is already
        // writable, the new interest fires on the next poll, as in C.
        registry.reregister(&mut SourceFd(&fd), Token(fd as usize), interest)
    }
}

/// Stops watching `fd` for `delmask` (an epoll MOD, or DEL when nothing is
/// left), and forgets its level state for those bits.
///
/// C: ae_epoll.c aeApiDelEvent()
pub(crate) fn ae_api_del_event<C: AeContext>(
    el: &mut AeEventLoop<C>,
    fd: RawFd,
    delmask: i32,
) {
    let old = el.events[fd as usize].mask & (AE_READABLE | AE_WRITABLE);
    let mask = old & !delmask;
    el.apidata.ready[fd as usize] &= !(delmask as u8);
    if delmask & AE_READABLE != 0 {
        el.apidata.read_closed[fd as usize] = false;
    }
    let registry = el.apidata.poll.registry();
    // Errors are ignored, as C ignores epoll_ctl's return here.
    match interest_of(mask) {
        Some(i) if mask != old => {
            let _ =
                registry.reregister(&mut SourceFd(&fd), Token(fd as usize), i);
        }
        Some(_) => {}
        None if old != AE_NONE => {
            let _ = registry.deregister(&mut SourceFd(&fd));
        }
        None => {}
    }
}

/// Marks `fd` as drained for `mask`: its handler saw EAGAIN or a short read,
/// so the next edge will tell us when there is more. Once the peer has
/// closed its side, the fd stays readable until the handler reads the end
/// of file (a FIN that came with the last data sends no second edge).
/// (no C twin: the kernel keeps this state for level-triggered epoll)
pub(crate) fn ae_not_ready<C: AeContext>(
    el: &mut AeEventLoop<C>,
    fd: RawFd,
    mut mask: i32,
) {
    if el.apidata.read_closed.get(fd as usize) == Some(&true) {
        mask &= !AE_READABLE;
    }
    if let Some(r) = el.apidata.ready.get_mut(fd as usize) {
        *r &= !(mask as u8);
    }
}

/// Waits for events (at most `tvp`, forever when `None`) and fills
/// `el.fired`. Returns how many fds fired.
///
/// C: ae_epoll.c aeApiPoll()
pub(crate) fn ae_api_poll<C: AeContext>(
    el: &mut AeEventLoop<C>,
    tvp: Option<Duration>,
) -> usize {
    // Drop the fds their handlers found drained since the last round.
    let state = &mut el.apidata;
    let ready = &state.ready;
    state.ready_list.retain(|&fd| ready[fd as usize] != 0);
    // Divergence from C: an fd still ready from an earlier round (level
    // semantics over an edge-triggered poll) means there is work now.
    let timeout =
        if state.ready_list.is_empty() { tvp } else { Some(Duration::ZERO) };
    if let Err(e) = state.poll.poll(&mut state.events, timeout) {
        if e.kind() != io::ErrorKind::Interrupted {
            return 0;
        }
    }
    for e in state.events.iter() {
        let fd = e.token().0;
        let mut mask = 0u8;
        if e.is_readable() || e.is_read_closed() {
            mask |= AE_READABLE as u8;
        }
        if e.is_writable() || e.is_write_closed() || e.is_error() {
            mask |= AE_WRITABLE as u8;
        }
        if e.is_read_closed() && !e.is_readable() {
            // EPOLLHUP: C reports it as writable too.
            mask |= AE_WRITABLE as u8;
        }
        if e.is_read_closed() {
            if let Some(rc) = state.read_closed.get_mut(fd) {
                *rc = true;
            }
        }
        if let Some(r) = state.ready.get_mut(fd) {
            if *r == 0 {
                state.ready_list.push(fd as RawFd);
            }
            *r |= mask;
        }
    }
    el.fired.clear();
    let mut i = 0;
    while i < el.apidata.ready_list.len() {
        let fd = el.apidata.ready_list[i];
        let watched = el.events[fd as usize].mask & (AE_READABLE | AE_WRITABLE);
        let r = &mut el.apidata.ready[fd as usize];
        *r &= watched as u8;
        if *r == 0 {
            el.apidata.ready_list.swap_remove(i);
            continue;
        }
        el.fired.push(AeFiredEvent { fd, mask: *r as i32 });
        i += 1;
    }
    el.fired.len()
}

/// C: ae_epoll.c aeApiName()
#[allow(dead_code)] // ae.c is ported whole; the server does not call this one
pub(crate) fn ae_api_name() -> &'static str {
    "epoll"
}

#[cfg(test)]
mod tests {
    //! The backend alone, on a loop with a unit context: what each poll
    //! reports, and the level state kept over mio's edges.

    use super::*;
    use crate::ae::{
        ae_create_event_loop, ae_create_file_event, ae_delete_file_event,
        AeContext,
    };
    use std::io::Write;
    use std::os::unix::io::AsRawFd;
    use std::os::unix::net::UnixStream;
    use std::time::Instant;

    /// A context that holds only its loop; its client data is `()`.
    struct Unit {
        el: AeEventLoop<Unit>,
    }

    impl AeContext for Unit {
        type ClientData = ();
        fn el(&mut self) -> &mut AeEventLoop<Self> {
            &mut self.el
        }
    }

    fn nop(_: &mut Unit, _: RawFd, _: (), _: i32) {}

    fn el() -> AeEventLoop<Unit> {
        ae_create_event_loop(4096).expect("event loop")
    }

    fn pair() -> (UnixStream, UnixStream) {
        let (a, b) = UnixStream::pair().expect("socketpair");
        a.set_nonblocking(true).expect("nonblock");
        (a, b)
    }

    fn poll_now(el: &mut AeEventLoop<Unit>) -> Vec<AeFiredEvent> {
        let n = ae_api_poll(el, Some(Duration::ZERO));
        assert_eq!(n, el.fired.len());
        el.fired.clone()
    }

    #[test]
    fn ae_api_poll_reports_nothing_on_a_quiet_fd() {
        let mut el = el();
        let (a, _b) = pair();
        let fd = a.as_raw_fd();
        ae_create_file_event(&mut el, fd, AE_READABLE, nop, ())
            .expect("create");
        assert!(poll_now(&mut el).is_empty());
        assert_eq!(el.apidata.ready[fd as usize], 0);
        assert!(el.apidata.ready_list.is_empty());
    }

    #[test]
    fn ae_api_poll_sleeps_until_the_timeout() {
        let mut el = el();
        let (a, _b) = pair();
        ae_create_file_event(&mut el, a.as_raw_fd(), AE_READABLE, nop, ())
            .expect("create");
        let start = Instant::now();
        assert_eq!(ae_api_poll(&mut el, Some(Duration::from_millis(30))), 0);
        assert!(start.elapsed() >= Duration::from_millis(25));
    }

    #[test]
    fn ae_api_poll_keeps_level_until_ae_not_ready() {
        let mut el = el();
        let (a, mut b) = pair();
        let fd = a.as_raw_fd();
        ae_create_file_event(&mut el, fd, AE_READABLE, nop, ())
            .expect("create");
        b.write_all(b"hello").expect("write");
        let ev = AeFiredEvent { fd, mask: AE_READABLE };
        // One edge from mio, reported on every poll after it.
        for _ in 0..3 {
            assert_eq!(poll_now(&mut el), vec![ev]);
        }
        assert_eq!(el.apidata.ready_list, vec![fd]);
        ae_not_ready(&mut el, fd, AE_READABLE);
        assert!(poll_now(&mut el).is_empty());
        assert!(el.apidata.ready_list.is_empty());
    }

    #[test]
    fn ae_not_ready_keeps_a_closed_peer_readable_until_eof_is_read() {
        let mut el = el();
        let (a, mut b) = pair();
        let fd = a.as_raw_fd();
        ae_create_file_event(&mut el, fd, AE_READABLE, nop, ())
            .expect("create");
        // The last data and the FIN arrive before one poll: one edge.
        b.write_all(b"PING\r\n").expect("write");
        b.shutdown(std::net::Shutdown::Write).expect("shutdown");
        let ev = AeFiredEvent { fd, mask: AE_READABLE };
        assert_eq!(poll_now(&mut el), vec![ev]);
        // The handler's short read would mark it drained; the end of file
        // is still to be read, so it must fire again.
        ae_not_ready(&mut el, fd, AE_READABLE);
        assert_eq!(poll_now(&mut el), vec![ev]);
        // A new registration of the fd starts with a clean state.
        ae_delete_file_event(&mut el, fd, AE_READABLE);
        assert!(!el.apidata.read_closed[fd as usize]);
    }

    #[test]
    fn ae_not_ready_clears_only_the_given_bits() {
        let mut el = el();
        let (a, mut b) = pair();
        let fd = a.as_raw_fd();
        ae_create_file_event(&mut el, fd, AE_READABLE | AE_WRITABLE, nop, ())
            .expect("create");
        b.write_all(b"x").expect("write");
        assert_eq!(
            poll_now(&mut el),
            vec![AeFiredEvent { fd, mask: AE_READABLE | AE_WRITABLE }]
        );
        ae_not_ready(&mut el, fd, AE_WRITABLE);
        assert_eq!(
            poll_now(&mut el),
            vec![AeFiredEvent { fd, mask: AE_READABLE }]
        );
        // Out of range fds are ignored.
        ae_not_ready(&mut el, 1_000_000, AE_READABLE);
    }

    #[test]
    fn ae_api_add_event_mod_rearms_the_edge() {
        let mut el = el();
        let (a, _b) = pair();
        let fd = a.as_raw_fd();
        ae_create_file_event(&mut el, fd, AE_READABLE, nop, ())
            .expect("create");
        assert!(poll_now(&mut el).is_empty());
        // The socket has been writable all along; asking for AE_WRITABLE
        // now (an EPOLL_CTL_MOD) must report it, as a write handler
        // installed late relies on.
        ae_create_file_event(&mut el, fd, AE_WRITABLE, nop, ())
            .expect("create");
        assert_eq!(
            poll_now(&mut el),
            vec![AeFiredEvent { fd, mask: AE_WRITABLE }]
        );
    }

    #[test]
    fn ae_api_del_event_forgets_the_level_state() {
        let mut el = el();
        let (a, mut b) = pair();
        let fd = a.as_raw_fd();
        ae_create_file_event(&mut el, fd, AE_READABLE | AE_WRITABLE, nop, ())
            .expect("create");
        b.write_all(b"x").expect("write");
        assert_eq!(poll_now(&mut el).len(), 1);
        // Dropping AE_WRITABLE only (an EPOLL_CTL_MOD) keeps reading.
        ae_delete_file_event(&mut el, fd, AE_WRITABLE);
        assert_eq!(
            poll_now(&mut el),
            vec![AeFiredEvent { fd, mask: AE_READABLE }]
        );
        // Dropping everything (EPOLL_CTL_DEL) silences the fd, though its
        // byte is still unread.
        ae_delete_file_event(&mut el, fd, AE_READABLE);
        assert_eq!(el.apidata.ready[fd as usize], 0);
        assert!(poll_now(&mut el).is_empty());
        // Registering again (EPOLL_CTL_ADD) finds the byte at once.
        ae_create_file_event(&mut el, fd, AE_READABLE, nop, ())
            .expect("create");
        assert_eq!(
            poll_now(&mut el),
            vec![AeFiredEvent { fd, mask: AE_READABLE }]
        );
    }

    #[test]
    fn ae_api_poll_reports_a_closed_peer_as_readable() {
        let mut el = el();
        let (a, b) = pair();
        let fd = a.as_raw_fd();
        ae_create_file_event(&mut el, fd, AE_READABLE, nop, ())
            .expect("create");
        drop(b);
        // Only the watched bits are reported: the handler then reads EOF.
        assert_eq!(
            poll_now(&mut el),
            vec![AeFiredEvent { fd, mask: AE_READABLE }]
        );
    }

    #[test]
    fn ae_api_resize_keeps_the_level_state_of_lower_fds() {
        let mut el = el();
        let (a, mut b) = pair();
        let fd = a.as_raw_fd();
        ae_create_file_event(&mut el, fd, AE_READABLE, nop, ())
            .expect("create");
        b.write_all(b"x").expect("write");
        assert_eq!(poll_now(&mut el).len(), 1);
        assert_eq!(
            crate::ae::ae_resize_set_size(&mut el, fd as usize + 1),
            crate::ae::AE_OK
        );
        assert_eq!(el.apidata.ready.len(), fd as usize + 1);
        assert_eq!(
            poll_now(&mut el),
            vec![AeFiredEvent { fd, mask: AE_READABLE }]
        );
    }

    #[test]
    fn ae_api_name_is_epoll() {
        assert_eq!(ae_api_name(), "epoll");
    }
}
