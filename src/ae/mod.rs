//! The event loop: file events keyed by fd, time events kept in an unsorted
//! list, and the one function that sleeps until either is due. Everything
//! the server does happens inside a handler called from here.
//!
//! Ports ae.c (and ae.h) from Redis 5.0.14, in the same order; the polling
//! backend (ae_epoll.c) is `epoll.rs`.
//!
//! Read this first: handlers are plain functions that receive the whole
//! context (`&mut RedisServer`), never a pointer to the loop, because the
//! loop lives inside that context. `ae` itself knows nothing of the server
//! beyond the `AeContext` trait that lets it find the loop again.

pub mod epoll;

use std::io;
use std::os::unix::io::RawFd;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::server::ClientId;
pub use epoll::ae_not_ready;
use epoll::{
    ae_api_add_event, ae_api_create, ae_api_del_event, ae_api_name,
    ae_api_poll, ae_api_resize, AeApiState,
};

// ----------------------------------- ae.h -----------------------------------

pub const AE_OK: i32 = 0;
pub const AE_ERR: i32 = -1;

/// No events registered.
pub const AE_NONE: i32 = 0;
/// Fire when descriptor is readable.
pub const AE_READABLE: i32 = 1;
/// Fire when descriptor is writable.
pub const AE_WRITABLE: i32 = 2;
/// With WRITABLE, never fire the event if the READABLE event already fired
/// in the same event loop iteration.
pub const AE_BARRIER: i32 = 4;

pub const AE_FILE_EVENTS: i32 = 1;
pub const AE_TIME_EVENTS: i32 = 2;
pub const AE_ALL_EVENTS: i32 = AE_FILE_EVENTS | AE_TIME_EVENTS;
pub const AE_DONT_WAIT: i32 = 4;
pub const AE_CALL_AFTER_SLEEP: i32 = 8;

pub const AE_NOMORE: i64 = -1;
pub const AE_DELETED_EVENT_ID: i64 = -1;

/// Stands in for C's `void *clientData`: handlers get an id, never a
/// pointer, and look the client up again (it may be gone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientData {
    #[default]
    None,
    Client(ClientId),
}

/// C: typedef aeFileProc
pub type AeFileProc<C> = fn(ctx: &mut C, fd: RawFd, data: ClientData, mask: i32);
/// Returns the next period in ms, or `AE_NOMORE`. C: typedef aeTimeProc
pub type AeTimeProc<C> = fn(ctx: &mut C, id: i64, data: ClientData) -> i64;
/// C: typedef aeEventFinalizerProc
pub type AeEventFinalizerProc<C> = fn(ctx: &mut C, data: ClientData);
/// C: typedef aeBeforeSleepProc
pub type AeBeforeSleepProc<C> = fn(ctx: &mut C);

/// Lets `ae_process_events` reach the loop stored inside its context.
pub trait AeContext: Sized {
    fn el(&mut self) -> &mut AeEventLoop<Self>;
}

/// C: struct aeFileEvent
pub struct AeFileEvent<C> {
    /// One of AE_(READABLE|WRITABLE|BARRIER).
    pub mask: i32,
    pub rfile_proc: Option<AeFileProc<C>>,
    pub wfile_proc: Option<AeFileProc<C>>,
    pub client_data: ClientData,
}

impl<C> Clone for AeFileEvent<C> {
    fn clone(&self) -> Self {
        AeFileEvent {
            mask: self.mask,
            rfile_proc: self.rfile_proc,
            wfile_proc: self.wfile_proc,
            client_data: self.client_data,
        }
    }
}

/// C: struct aeTimeEvent. C keeps a doubly linked list with new events at
/// the head; a Vec with new events at the tail keeps the same O(N) search
/// and the same "never run an event created in this round" rule.
pub struct AeTimeEvent<C> {
    pub id: i64,
    pub when_sec: i64,
    pub when_ms: i64,
    pub time_proc: AeTimeProc<C>,
    pub finalizer_proc: Option<AeEventFinalizerProc<C>>,
    pub client_data: ClientData,
}

/// C: struct aeFiredEvent
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AeFiredEvent {
    pub fd: RawFd,
    pub mask: i32,
}

/// C: struct aeEventLoop
pub struct AeEventLoop<C> {
    /// Highest file descriptor currently registered.
    pub maxfd: RawFd,
    /// Max number of file descriptors tracked.
    pub setsize: usize,
    pub time_event_next_id: i64,
    /// Used to detect system clock skew.
    pub last_time: i64,
    /// Registered events, indexed by fd.
    pub events: Vec<AeFileEvent<C>>,
    /// Fired events.
    pub fired: Vec<AeFiredEvent>,
    pub time_events: Vec<AeTimeEvent<C>>,
    pub stop: bool,
    pub apidata: AeApiState,
    pub beforesleep: Option<AeBeforeSleepProc<C>>,
    pub aftersleep: Option<AeBeforeSleepProc<C>>,
}

fn empty_file_event<C>() -> AeFileEvent<C> {
    AeFileEvent {
        mask: AE_NONE,
        rfile_proc: None,
        wfile_proc: None,
        client_data: ClientData::None,
    }
}

// ----------------------------------- ae.c -----------------------------------

/// C: ae.c aeCreateEventLoop()
pub fn ae_create_event_loop<C>(setsize: usize) -> io::Result<AeEventLoop<C>> {
    let apidata = ae_api_create(setsize)?;
    Ok(AeEventLoop {
        maxfd: -1,
        setsize,
        time_event_next_id: 0,
        last_time: unix_time(),
        events: (0..setsize).map(|_| empty_file_event()).collect(),
        fired: Vec::new(),
        time_events: Vec::new(),
        stop: false,
        apidata,
        beforesleep: None,
        aftersleep: None,
    })
}

/// Return the current set size.
///
/// C: ae.c aeGetSetSize()
pub fn ae_get_set_size<C>(el: &AeEventLoop<C>) -> usize {
    el.setsize
}

/// Resize the maximum set size of the event loop. If the requested set size
/// is smaller than the current set size, but there is already a file
/// descriptor in use that is >= the requested set size minus one, AE_ERR is
/// returned and the operation is not performed at all.
///
/// C: ae.c aeResizeSetSize()
pub fn ae_resize_set_size<C>(el: &mut AeEventLoop<C>, setsize: usize) -> i32 {
    if setsize == el.setsize {
        return AE_OK;
    }
    if el.maxfd >= setsize as RawFd {
        return AE_ERR;
    }
    ae_api_resize(&mut el.apidata, setsize);
    el.events.resize_with(setsize, empty_file_event);
    el.setsize = setsize;
    AE_OK
}

// C: ae.c aeDeleteEventLoop() is Drop.

/// C: ae.c aeStop()
pub fn ae_stop<C>(el: &mut AeEventLoop<C>) {
    el.stop = true;
}

/// Registers `proc` for `mask` on `fd`. Fails with ERANGE when the fd is
/// beyond the set size, as C does.
///
/// C: ae.c aeCreateFileEvent()
pub fn ae_create_file_event<C>(
    el: &mut AeEventLoop<C>,
    fd: RawFd,
    mask: i32,
    proc_: AeFileProc<C>,
    client_data: ClientData,
) -> io::Result<()> {
    if fd < 0 || fd as usize >= el.setsize {
        return Err(io::Error::from_raw_os_error(libc::ERANGE));
    }
    ae_api_add_event(el, fd, mask)?;
    let fe = &mut el.events[fd as usize];
    fe.mask |= mask;
    if mask & AE_READABLE != 0 {
        fe.rfile_proc = Some(proc_);
    }
    if mask & AE_WRITABLE != 0 {
        fe.wfile_proc = Some(proc_);
    }
    fe.client_data = client_data;
    if fd > el.maxfd {
        el.maxfd = fd;
    }
    Ok(())
}

/// C: ae.c aeDeleteFileEvent()
pub fn ae_delete_file_event<C>(el: &mut AeEventLoop<C>, fd: RawFd, mut mask: i32) {
    if fd < 0 || fd as usize >= el.setsize {
        return;
    }
    if el.events[fd as usize].mask == AE_NONE {
        return;
    }
    // We want to always remove AE_BARRIER if set when AE_WRITABLE is
    // removed.
    if mask & AE_WRITABLE != 0 {
        mask |= AE_BARRIER;
    }
    ae_api_del_event(el, fd, mask);
    let fe = &mut el.events[fd as usize];
    fe.mask &= !mask;
    if fd == el.maxfd && fe.mask == AE_NONE {
        // Update the max fd
        let mut j = el.maxfd - 1;
        while j >= 0 {
            if el.events[j as usize].mask != AE_NONE {
                break;
            }
            j -= 1;
        }
        el.maxfd = j;
    }
}

/// C: ae.c aeGetFileEvents()
pub fn ae_get_file_events<C>(el: &AeEventLoop<C>, fd: RawFd) -> i32 {
    if fd < 0 || fd as usize >= el.setsize {
        return 0;
    }
    el.events[fd as usize].mask
}

fn unix_time() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// C: ae.c aeGetTime()
fn ae_get_time() -> (i64, i64) {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    (d.as_secs() as i64, d.subsec_millis() as i64)
}

/// C: ae.c aeAddMillisecondsToNow()
fn ae_add_milliseconds_to_now(milliseconds: i64) -> (i64, i64) {
    let (cur_sec, cur_ms) = ae_get_time();
    let mut when_sec = cur_sec + milliseconds / 1000;
    let mut when_ms = cur_ms + milliseconds % 1000;
    if when_ms >= 1000 {
        when_sec += 1;
        when_ms -= 1000;
    }
    (when_sec, when_ms)
}

/// Schedules `proc_` to run in `milliseconds`; returns its id.
///
/// C: ae.c aeCreateTimeEvent()
pub fn ae_create_time_event<C>(
    el: &mut AeEventLoop<C>,
    milliseconds: i64,
    proc_: AeTimeProc<C>,
    client_data: ClientData,
    finalizer_proc: Option<AeEventFinalizerProc<C>>,
) -> i64 {
    let id = el.time_event_next_id;
    el.time_event_next_id += 1;
    let (when_sec, when_ms) = ae_add_milliseconds_to_now(milliseconds);
    el.time_events.push(AeTimeEvent {
        id,
        when_sec,
        when_ms,
        time_proc: proc_,
        finalizer_proc,
        client_data,
    });
    id
}

/// Marks the event for deletion; it is removed (and its finalizer run) by
/// the next `process_time_events`, so deleting inside a handler is safe.
///
/// C: ae.c aeDeleteTimeEvent()
pub fn ae_delete_time_event<C>(el: &mut AeEventLoop<C>, id: i64) -> i32 {
    for te in el.time_events.iter_mut() {
        if te.id == id {
            te.id = AE_DELETED_EVENT_ID;
            return AE_OK;
        }
    }
    AE_ERR // NO event with the specified ID found
}

/// Search the first timer to fire. This operation is useful to know how
/// many time the select can be put in sleep without to delay any event.
/// If there are no timers `None` is returned. O(N): the list is unsorted.
///
/// C: ae.c aeSearchNearestTimer()
fn ae_search_nearest_timer<C>(el: &AeEventLoop<C>) -> Option<(i64, i64)> {
    let mut nearest: Option<(i64, i64)> = None;
    for te in &el.time_events {
        match nearest {
            Some((s, ms))
                if !(te.when_sec < s || (te.when_sec == s && te.when_ms < ms)) => {}
            _ => nearest = Some((te.when_sec, te.when_ms)),
        }
    }
    nearest
}

/// Process time events.
///
/// C: ae.c processTimeEvents()
fn process_time_events<C: AeContext>(ctx: &mut C) -> usize {
    let mut processed = 0;
    let now = unix_time();
    let el = ctx.el();

    // If the system clock is moved to the future, and then set back to the
    // right value, time events may be delayed in a random way. Force all the
    // time events to be processed ASAP when this happens: processing events
    // earlier is less dangerous than delaying them indefinitely.
    if now < el.last_time {
        for te in el.time_events.iter_mut() {
            te.when_sec = 0;
        }
    }
    el.last_time = now;

    // Never run an event created by a handler in this same round.
    let max_id = el.time_event_next_id - 1;
    let mut i = 0;
    loop {
        let el = ctx.el();
        if i >= el.time_events.len() {
            break;
        }
        // Remove events scheduled for deletion.
        if el.time_events[i].id == AE_DELETED_EVENT_ID {
            let te = el.time_events.remove(i);
            if let Some(fin) = te.finalizer_proc {
                fin(ctx, te.client_data);
            }
            continue;
        }
        let te = &el.time_events[i];
        if te.id > max_id {
            i += 1;
            continue;
        }
        let (now_sec, now_ms) = ae_get_time();
        if now_sec > te.when_sec || (now_sec == te.when_sec && now_ms >= te.when_ms)
        {
            let id = te.id;
            let (proc_, data) = (te.time_proc, te.client_data);
            let retval = proc_(ctx, id, data);
            processed += 1;
            // Handlers only append events or mark them deleted, so index i
            // still names this event.
            let el = ctx.el();
            let te = &mut el.time_events[i];
            if retval != AE_NOMORE {
                let (s, ms) = ae_add_milliseconds_to_now(retval);
                te.when_sec = s;
                te.when_ms = ms;
            } else {
                te.id = AE_DELETED_EVENT_ID;
            }
        }
        i += 1;
    }
    processed
}

/// Process every pending time event, then every pending file event (that
/// may be registered by time event callbacks just processed). Without
/// special flags the function sleeps until some file event fires, or when
/// the next time event occurs (if any).
///
/// If flags is 0, the function does nothing and returns. AE_ALL_EVENTS,
/// AE_FILE_EVENTS and AE_TIME_EVENTS select what is processed;
/// AE_DONT_WAIT returns as soon as all that can be processed without
/// waiting is done; AE_CALL_AFTER_SLEEP calls the aftersleep callback.
///
/// Returns the number of events processed.
///
/// C: ae.c aeProcessEvents()
pub fn ae_process_events<C: AeContext>(ctx: &mut C, flags: i32) -> usize {
    let mut processed = 0;

    // Nothing to do? return ASAP
    if flags & AE_TIME_EVENTS == 0 && flags & AE_FILE_EVENTS == 0 {
        return 0;
    }

    // Note that we want to poll even if there are no file events to process
    // as long as we want to process time events, in order to sleep until the
    // next time event is ready to fire.
    let el = ctx.el();
    if el.maxfd != -1 || (flags & AE_TIME_EVENTS != 0 && flags & AE_DONT_WAIT == 0)
    {
        let shortest = if flags & AE_TIME_EVENTS != 0 && flags & AE_DONT_WAIT == 0 {
            ae_search_nearest_timer(el)
        } else {
            None
        };
        let tvp = if let Some((when_sec, when_ms)) = shortest {
            // How many milliseconds we need to wait for the next time event
            // to fire?
            let (now_sec, now_ms) = ae_get_time();
            let ms = (when_sec - now_sec) * 1000 + when_ms - now_ms;
            Some(Duration::from_millis(ms.max(0) as u64))
        } else if flags & AE_DONT_WAIT != 0 {
            // Return ASAP because of AE_DONT_WAIT.
            Some(Duration::ZERO)
        } else {
            None // wait forever
        };

        // Call the multiplexing API, will return only on timeout or when
        // some event fires.
        let numevents = ae_api_poll(el, tvp);

        // After sleep callback.
        if flags & AE_CALL_AFTER_SLEEP != 0 {
            if let Some(after) = ctx.el().aftersleep {
                after(ctx);
            }
        }

        for j in 0..numevents {
            let AeFiredEvent { fd, mask } = ctx.el().fired[j];
            let mut fired = 0;

            // Normally we execute the readable event first, and the writable
            // event later, so a reply can often leave right after its
            // query. AE_BARRIER asks for the reverse: never fire the
            // writable event after the readable (e.g. to fsync in
            // before_sleep before replying).
            let invert = ctx.el().events[fd as usize].mask & AE_BARRIER != 0;

            // The handler and mask are read again before each call: an
            // earlier handler may have removed this event.
            let fe = ctx.el().events[fd as usize].clone();
            if !invert && fe.mask & mask & AE_READABLE != 0 {
                if let Some(p) = fe.rfile_proc {
                    p(ctx, fd, fe.client_data, mask);
                    fired += 1;
                }
            }

            // Fire the writable event.
            let fe = ctx.el().events[fd as usize].clone();
            if fe.mask & mask & AE_WRITABLE != 0 {
                if let Some(w) = fe.wfile_proc {
                    if fired == 0 || !same_proc(fe.rfile_proc, w) {
                        w(ctx, fd, fe.client_data, mask);
                        fired += 1;
                    }
                }
            }

            // If we have to invert the call, fire the readable event now
            // after the writable one.
            let fe = ctx.el().events[fd as usize].clone();
            if invert && fe.mask & mask & AE_READABLE != 0 {
                if let Some(r) = fe.rfile_proc {
                    if fired == 0 || !same_proc(fe.wfile_proc, r) {
                        r(ctx, fd, fe.client_data, mask);
                    }
                }
            }
            processed += 1;
        }
    }
    // Check time events
    if flags & AE_TIME_EVENTS != 0 {
        processed += process_time_events(ctx);
    }
    processed // the number of processed file/time events
}

/// C's `fe->wfileProc != fe->rfileProc`. The handlers are plain
/// non-generic functions, so one function has one address.
fn same_proc<C>(a: Option<AeFileProc<C>>, b: AeFileProc<C>) -> bool {
    a.is_some_and(|a| std::ptr::fn_addr_eq(a, b))
}

/// Wait for milliseconds until the given file descriptor becomes
/// writable/readable/exception. Returns the mask that fired, 0 on timeout,
/// -1 on error.
///
/// C: ae.c aeWait()
pub fn ae_wait(fd: RawFd, mask: i32, milliseconds: i64) -> i32 {
    let mut pfd = libc::pollfd { fd, events: 0, revents: 0 };
    if mask & AE_READABLE != 0 {
        pfd.events |= libc::POLLIN;
    }
    if mask & AE_WRITABLE != 0 {
        pfd.events |= libc::POLLOUT;
    }
    // SAFETY: poll reads and writes exactly one pollfd that lives on this
    // stack frame for the whole call; no other thread exists.
    let retval = unsafe { libc::poll(&mut pfd, 1, milliseconds as libc::c_int) };
    if retval == 1 {
        let mut retmask = 0;
        if pfd.revents & libc::POLLIN != 0 {
            retmask |= AE_READABLE;
        }
        if pfd.revents & (libc::POLLOUT | libc::POLLERR | libc::POLLHUP) != 0 {
            retmask |= AE_WRITABLE;
        }
        retmask
    } else {
        retval
    }
}

/// C: ae.c aeMain()
pub fn ae_main<C: AeContext>(ctx: &mut C) {
    ctx.el().stop = false;
    while !ctx.el().stop {
        if let Some(before) = ctx.el().beforesleep {
            before(ctx);
        }
        ae_process_events(ctx, AE_ALL_EVENTS | AE_CALL_AFTER_SLEEP);
    }
}

/// C: ae.c aeGetApiName()
pub fn ae_get_api_name() -> &'static str {
    ae_api_name()
}

/// C: ae.c aeSetBeforeSleepProc()
pub fn ae_set_before_sleep_proc<C>(
    el: &mut AeEventLoop<C>,
    beforesleep: Option<AeBeforeSleepProc<C>>,
) {
    el.beforesleep = beforesleep;
}

/// C: ae.c aeSetAfterSleepProc()
pub fn ae_set_after_sleep_proc<C>(
    el: &mut AeEventLoop<C>,
    aftersleep: Option<AeBeforeSleepProc<C>>,
) {
    el.aftersleep = aftersleep;
}
