//! The event loop: file events keyed by fd, time events kept in an unsorted
//! list, and the one function that sleeps until either is due. Everything
//! the server does happens inside a handler called from here.
//!
//! Ports ae.c (and ae.h) from Redis 5.0.14, in the same order; the polling
//! backend (ae_epoll.c) is `epoll.rs`.
//!
//! Read this first: handlers are plain functions that receive the whole
//! context (`&mut RedisServer`), never a pointer to the loop, because the
//! loop lives inside that context. `ae` itself knows nothing of the server:
//! the `AeContext` trait lets it find the loop again and names the type of
//! the client data (C's `void *clientData`). Everything is generic over the
//! context, so the server's loop is monomorphised and costs nothing extra.

pub(crate) mod epoll;

use std::io;
use std::os::unix::io::RawFd;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub(crate) use epoll::ae_not_ready;
use epoll::{
    ae_api_add_event, ae_api_create, ae_api_del_event, ae_api_name,
    ae_api_poll, ae_api_resize, AeApiState,
};

// ----------------------------------- ae.h -----------------------------------

pub(crate) const AE_OK: i32 = 0;
pub(crate) const AE_ERR: i32 = -1;

/// No events registered.
pub(crate) const AE_NONE: i32 = 0;
/// Fire when descriptor is readable.
pub(crate) const AE_READABLE: i32 = 1;
/// Fire when descriptor is writable.
pub(crate) const AE_WRITABLE: i32 = 2;
/// With WRITABLE, never fire the event if the READABLE event already fired
/// in the same event loop iteration.
pub(crate) const AE_BARRIER: i32 = 4;

pub(crate) const AE_FILE_EVENTS: i32 = 1;
pub(crate) const AE_TIME_EVENTS: i32 = 2;
pub(crate) const AE_ALL_EVENTS: i32 = AE_FILE_EVENTS | AE_TIME_EVENTS;
pub(crate) const AE_DONT_WAIT: i32 = 4;
pub(crate) const AE_CALL_AFTER_SLEEP: i32 = 8;

pub(crate) const AE_NOMORE: i64 = -1;
pub(crate) const AE_DELETED_EVENT_ID: i64 = -1;

/// C: typedef aeFileProc
pub(crate) type AeFileProc<C> =
    fn(ctx: &mut C, fd: RawFd, data: <C as AeContext>::ClientData, mask: i32);
/// Returns the next period in ms, or `AE_NOMORE`. C: typedef aeTimeProc
pub(crate) type AeTimeProc<C> =
    fn(ctx: &mut C, id: i64, data: <C as AeContext>::ClientData) -> i64;
/// C: typedef aeEventFinalizerProc
pub(crate) type AeEventFinalizerProc<C> =
    fn(ctx: &mut C, data: <C as AeContext>::ClientData);
/// C: typedef aeBeforeSleepProc
pub(crate) type AeBeforeSleepProc<C> = fn(ctx: &mut C);

/// What the loop needs to know about its context: where the loop is kept,
/// and what a handler's client data is.
pub(crate) trait AeContext: Sized {
    /// Stands in for C's `void *clientData`: the loop stores it with each
    /// event and hands it back to the handler untouched. The server makes
    /// it an id, never a pointer, so a handler looks its client up again
    /// (it may be gone). `Default` is C's NULL.
    type ClientData: Copy + Default;

    /// Lets `ae_process_events` reach the loop stored inside its context.
    fn el(&mut self) -> &mut AeEventLoop<Self>;

    /// Whether the event trace is on: tested once per iteration to pick
    /// the build of the iteration that records it. (no C twin)
    fn trace_on(&self) -> bool {
        false
    }

    /// Receives a traced iteration's record at its end. (no C twin)
    fn trace_loop(&mut self, _rec: &AeLoopTrace<Self>) {}

    /// Called in a traced iteration just before the loop may sleep, so
    /// buffered trace lines reach their reader. (no C twin)
    fn trace_flush(&mut self) {}
}

/// C: struct aeFileEvent
pub(crate) struct AeFileEvent<C: AeContext> {
    /// One of AE_(READABLE|WRITABLE|BARRIER).
    pub(crate) mask: i32,
    pub(crate) rfile_proc: Option<AeFileProc<C>>,
    pub(crate) wfile_proc: Option<AeFileProc<C>>,
    pub(crate) client_data: C::ClientData,
}

impl<C: AeContext> Clone for AeFileEvent<C> {
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
pub(crate) struct AeTimeEvent<C: AeContext> {
    pub(crate) id: i64,
    pub(crate) when_sec: i64,
    pub(crate) when_ms: i64,
    pub(crate) time_proc: AeTimeProc<C>,
    pub(crate) finalizer_proc: Option<AeEventFinalizerProc<C>>,
    pub(crate) client_data: C::ClientData,
}

/// C: struct aeFiredEvent
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AeFiredEvent {
    pub(crate) fd: RawFd,
    pub(crate) mask: i32,
}

/// What one event loop iteration did, for the event trace: filled only by
/// the traced build of the iteration (see `ae_process_events`), handed to
/// `AeContext::trace_loop`. (no C twin)
pub(crate) struct AeLoopTrace<C: AeContext> {
    /// Time blocked in the poll.
    pub(crate) wait_us: u64,
    /// The poll's timeout; -1 waits forever.
    pub(crate) timeout_ms: i64,
    /// (fd, fired mask, handler) per handler called, in call order.
    pub(crate) fired: Vec<(RawFd, i32, AeFileProc<C>)>,
    /// (id, handler) per time event run, in run order.
    pub(crate) timers: Vec<(i64, AeTimeProc<C>)>,
    /// Time spent in the beforesleep callback before the poll.
    pub(crate) before_sleep_us: u64,
}

impl<C: AeContext> Default for AeLoopTrace<C> {
    fn default() -> Self {
        AeLoopTrace {
            wait_us: 0,
            timeout_ms: 0,
            fired: Vec::new(),
            timers: Vec::new(),
            before_sleep_us: 0,
        }
    }
}

/// C: struct aeEventLoop
pub(crate) struct AeEventLoop<C: AeContext> {
    /// Highest file descriptor currently registered.
    pub(crate) maxfd: RawFd,
    /// Max number of file descriptors tracked.
    pub(crate) setsize: usize,
    pub(crate) time_event_next_id: i64,
    /// Used to detect system clock skew.
    pub(crate) last_time: i64,
    /// Registered events, indexed by fd.
    pub(crate) events: Vec<AeFileEvent<C>>,
    /// Fired events.
    pub(crate) fired: Vec<AeFiredEvent>,
    pub(crate) time_events: Vec<AeTimeEvent<C>>,
    pub(crate) stop: bool,
    pub(crate) apidata: AeApiState,
    pub(crate) beforesleep: Option<AeBeforeSleepProc<C>>,
    pub(crate) aftersleep: Option<AeBeforeSleepProc<C>>,
    /// The trace record's lists, kept between traced iterations so they
    /// allocate once. (no C twin)
    pub(crate) trace_rec: AeLoopTrace<C>,
}

fn empty_file_event<C: AeContext>() -> AeFileEvent<C> {
    AeFileEvent {
        mask: AE_NONE,
        rfile_proc: None,
        wfile_proc: None,
        client_data: C::ClientData::default(),
    }
}

// ----------------------------------- ae.c -----------------------------------

/// C: ae.c aeCreateEventLoop()
pub(crate) fn ae_create_event_loop<C: AeContext>(
    setsize: usize,
) -> io::Result<AeEventLoop<C>> {
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
        trace_rec: AeLoopTrace::default(),
    })
}

/// Return the current set size.
///
/// C: ae.c aeGetSetSize()
pub(crate) fn ae_get_set_size<C: AeContext>(el: &AeEventLoop<C>) -> usize {
    el.setsize
}

/// Resize the maximum set size of the event loop. If the requested set size
/// is smaller than the current set size, but there is already a file
/// descriptor in use that is >= the requested set size minus one, AE_ERR is
/// returned and the operation is not performed at all.
///
/// C: ae.c aeResizeSetSize()
pub(crate) fn ae_resize_set_size<C: AeContext>(
    el: &mut AeEventLoop<C>,
    setsize: usize,
) -> i32 {
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
#[allow(dead_code)] // ae.c is ported whole; the server does not call this one
pub(crate) fn ae_stop<C: AeContext>(el: &mut AeEventLoop<C>) {
    el.stop = true;
}

/// Registers `proc` for `mask` on `fd`. Fails with ERANGE when the fd is
/// beyond the set size, as C does.
///
/// C: ae.c aeCreateFileEvent()
pub(crate) fn ae_create_file_event<C: AeContext>(
    el: &mut AeEventLoop<C>,
    fd: RawFd,
    mask: i32,
    proc_: AeFileProc<C>,
    client_data: C::ClientData,
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
pub(crate) fn ae_delete_file_event<C: AeContext>(
    el: &mut AeEventLoop<C>,
    fd: RawFd,
    mut mask: i32,
) {
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
pub(crate) fn ae_get_file_events<C: AeContext>(
    el: &AeEventLoop<C>,
    fd: RawFd,
) -> i32 {
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
pub(crate) fn ae_create_time_event<C: AeContext>(
    el: &mut AeEventLoop<C>,
    milliseconds: i64,
    proc_: AeTimeProc<C>,
    client_data: C::ClientData,
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
#[allow(dead_code)] // ae.c is ported whole; the server does not call this one
pub(crate) fn ae_delete_time_event<C: AeContext>(
    el: &mut AeEventLoop<C>,
    id: i64,
) -> i32 {
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
fn ae_search_nearest_timer<C: AeContext>(
    el: &AeEventLoop<C>,
) -> Option<(i64, i64)> {
    let mut nearest: Option<(i64, i64)> = None;
    // From the newest, as C walks its list from the head.
    for te in el.time_events.iter().rev() {
        match nearest {
            Some((s, ms))
                if !(te.when_sec < s
                    || (te.when_sec == s && te.when_ms < ms)) => {}
            _ => nearest = Some((te.when_sec, te.when_ms)),
        }
    }
    nearest
}

/// Process time events. `TRACE`: note each event run in `rec`.
///
/// C: ae.c processTimeEvents()
fn process_time_events<C: AeContext, const TRACE: bool>(
    ctx: &mut C,
    rec: &mut AeLoopTrace<C>,
) -> usize {
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

    // Never run an event created by a handler in this same round. C keeps
    // new events at the head of its list and walks from the head; our Vec
    // keeps them at the tail, so we walk from the tail: the same order.
    let max_id = el.time_event_next_id - 1;
    let mut i = el.time_events.len();
    while i > 0 {
        i -= 1;
        let el = ctx.el();
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
            continue;
        }
        let (now_sec, now_ms) = ae_get_time();
        if now_sec > te.when_sec
            || (now_sec == te.when_sec && now_ms >= te.when_ms)
        {
            let id = te.id;
            let (proc_, data) = (te.time_proc, te.client_data);
            if TRACE {
                rec.timers.push((id, proc_));
            }
            let retval = proc_(ctx, id, data);
            processed += 1;
            // Handlers only append events (past index i) or mark them
            // deleted, so index i still names this event.
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
/// Divergence from C: the event trace. This entry tests the trace flag
/// once and runs `process_events` (C's aeProcessEvents, below) built with
/// or without it, so the untraced build has no trace code at all.
pub(crate) fn ae_process_events<C: AeContext>(
    ctx: &mut C,
    flags: i32,
) -> usize {
    if ctx.trace_on() {
        process_events::<C, true>(ctx, flags, 0)
    } else {
        process_events::<C, false>(ctx, flags, 0)
    }
}

/// The body of `ae_process_events`. With `TRACE` it also times the poll,
/// notes each handler called and each time event run, flushes the trace
/// before the poll and hands the record to `AeContext::trace_loop`;
/// `before_sleep_us` is the beforesleep time that `ae_main` measured.
///
/// C: ae.c aeProcessEvents()
fn process_events<C: AeContext, const TRACE: bool>(
    ctx: &mut C,
    flags: i32,
    before_sleep_us: u64,
) -> usize {
    let mut processed = 0;
    // The record is taken out of the loop for this round, as the fired
    // list is below: a nested round fills a record of its own.
    let mut rec = if TRACE {
        std::mem::take(&mut ctx.el().trace_rec)
    } else {
        AeLoopTrace::default()
    };

    // Nothing to do? return ASAP
    if flags & AE_TIME_EVENTS == 0 && flags & AE_FILE_EVENTS == 0 {
        return 0;
    }

    // Note that we want to poll even if there are no file events to process
    // as long as we want to process time events, in order to sleep until the
    // next time event is ready to fire.
    let el = ctx.el();
    if el.maxfd != -1
        || (flags & AE_TIME_EVENTS != 0 && flags & AE_DONT_WAIT == 0)
    {
        let shortest =
            if flags & AE_TIME_EVENTS != 0 && flags & AE_DONT_WAIT == 0 {
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
        let numevents = if TRACE {
            ctx.trace_flush();
            rec.timeout_ms = tvp.map_or(-1, |d| d.as_millis() as i64);
            let start = Instant::now();
            let n = ae_api_poll(ctx.el(), tvp);
            rec.wait_us = start.elapsed().as_micros() as u64;
            n
        } else {
            ae_api_poll(el, tvp)
        };

        // After sleep callback.
        if flags & AE_CALL_AFTER_SLEEP != 0 {
            if let Some(after) = ctx.el().aftersleep {
                after(ctx);
            }
        }

        // Divergence from C: C's `fired` is a fixed array that a nested
        // aeProcessEvents (processEventsWhileBlocked while loading) simply
        // overwrites, so the outer loop goes on over stale entries. Here the
        // list is taken out of the loop for this round: a nested call fills
        // a list of its own, and this one survives any nesting. Stale entries
        // are harmless, as in C: the handler and mask are read again below,
        // and a handler that finds nothing to read reports the fd drained.
        let fired_list = std::mem::take(&mut ctx.el().fired);
        debug_assert_eq!(fired_list.len(), numevents);
        for &AeFiredEvent { fd, mask } in &fired_list {
            let mut fired = 0;

            // Normally we execute the readable event first, and the writable
            // event later, so a reply can often leave right after its
            // query. AE_BARRIER asks for the reverse: never fire the
            // writable event after the readable (e.g. to fsync in
            // before_sleep before replying).
            let invert = fired_file_event(ctx.el(), fd).mask & AE_BARRIER != 0;

            // The handler and mask are read again before each call: an
            // earlier handler may have removed this event.
            let fe = fired_file_event(ctx.el(), fd);
            if !invert && fe.mask & mask & AE_READABLE != 0 {
                if let Some(p) = fe.rfile_proc {
                    if TRACE {
                        rec.fired.push((fd, mask, p));
                    }
                    p(ctx, fd, fe.client_data, mask);
                    fired += 1;
                }
            }

            // Fire the writable event.
            let fe = fired_file_event(ctx.el(), fd);
            if fe.mask & mask & AE_WRITABLE != 0 {
                if let Some(w) = fe.wfile_proc {
                    if fired == 0 || !same_proc(fe.rfile_proc, w) {
                        if TRACE {
                            rec.fired.push((fd, mask, w));
                        }
                        w(ctx, fd, fe.client_data, mask);
                        fired += 1;
                    }
                }
            }

            // If we have to invert the call, fire the readable event now
            // after the writable one.
            let fe = fired_file_event(ctx.el(), fd);
            if invert && fe.mask & mask & AE_READABLE != 0 {
                if let Some(r) = fe.rfile_proc {
                    if fired == 0 || !same_proc(fe.wfile_proc, r) {
                        if TRACE {
                            rec.fired.push((fd, mask, r));
                        }
                        r(ctx, fd, fe.client_data, mask);
                    }
                }
            }
            processed += 1;
        }
        // Hand the list back, so its allocation serves the next round.
        ctx.el().fired = fired_list;
    }
    // Check time events
    if flags & AE_TIME_EVENTS != 0 {
        processed += process_time_events::<C, TRACE>(ctx, &mut rec);
    }
    if TRACE {
        // A nested AE_DONT_WAIT round that found nothing is not worth a
        // line (processEventsWhileBlocked runs many while loading).
        if flags & AE_DONT_WAIT == 0
            || !rec.fired.is_empty()
            || !rec.timers.is_empty()
        {
            rec.before_sleep_us = before_sleep_us;
            ctx.trace_loop(&rec);
        }
        rec.fired.clear();
        rec.timers.clear();
        ctx.el().trace_rec = rec;
    }
    processed // the number of processed file/time events
}

/// `el.events[fd]` for an entry of the fired list, read again before each
/// call. An entry that went stale under a nested loop may name an fd beyond
/// a set size shrunk meanwhile: it reads as no event. (no C twin)
fn fired_file_event<C: AeContext>(
    el: &AeEventLoop<C>,
    fd: RawFd,
) -> AeFileEvent<C> {
    el.events.get(fd as usize).cloned().unwrap_or_else(empty_file_event)
}

/// C's `fe->wfileProc != fe->rfileProc`. The handlers are plain
/// non-generic functions, so one function has one address.
fn same_proc<C: AeContext>(a: Option<AeFileProc<C>>, b: AeFileProc<C>) -> bool {
    a.is_some_and(|a| std::ptr::fn_addr_eq(a, b))
}

/// Wait for milliseconds until the given file descriptor becomes
/// writable/readable/exception. Returns the mask that fired, 0 on timeout,
/// -1 on error.
///
/// C: ae.c aeWait()
pub(crate) fn ae_wait(fd: RawFd, mask: i32, milliseconds: i64) -> i32 {
    let mut pfd = libc::pollfd { fd, events: 0, revents: 0 };
    if mask & AE_READABLE != 0 {
        pfd.events |= libc::POLLIN;
    }
    if mask & AE_WRITABLE != 0 {
        pfd.events |= libc::POLLOUT;
    }
    // SAFETY: poll reads and writes exactly one pollfd that lives on this
    // stack frame for the whole call; no other thread exists.
    let retval =
        unsafe { libc::poll(&mut pfd, 1, milliseconds as libc::c_int) };
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

/// Divergence from C: the trace flag is tested once per iteration, which
/// then runs built with or without the trace (`ae_main_iteration`).
///
/// C: ae.c aeMain()
pub(crate) fn ae_main<C: AeContext>(ctx: &mut C) {
    ctx.el().stop = false;
    while !ctx.el().stop {
        if ctx.trace_on() {
            ae_main_iteration::<C, true>(ctx);
        } else {
            ae_main_iteration::<C, false>(ctx);
        }
    }
}

/// One turn of aeMain's loop: the beforesleep callback (timed with
/// `TRACE`), then one round of events. (no C twin: aeMain's loop body)
#[inline(always)]
fn ae_main_iteration<C: AeContext, const TRACE: bool>(ctx: &mut C) {
    let start = if TRACE { Some(Instant::now()) } else { None };
    if let Some(before) = ctx.el().beforesleep {
        before(ctx);
    }
    let before_sleep_us = start.map_or(0, |t| t.elapsed().as_micros() as u64);
    process_events::<C, TRACE>(
        ctx,
        AE_ALL_EVENTS | AE_CALL_AFTER_SLEEP,
        before_sleep_us,
    );
}

/// C: ae.c aeGetApiName()
#[allow(dead_code)] // ae.c is ported whole; the server does not call this one
pub(crate) fn ae_get_api_name() -> &'static str {
    ae_api_name()
}

/// C: ae.c aeSetBeforeSleepProc()
pub(crate) fn ae_set_before_sleep_proc<C: AeContext>(
    el: &mut AeEventLoop<C>,
    beforesleep: Option<AeBeforeSleepProc<C>>,
) {
    el.beforesleep = beforesleep;
}

/// C: ae.c aeSetAfterSleepProc()
pub(crate) fn ae_set_after_sleep_proc<C: AeContext>(
    el: &mut AeEventLoop<C>,
    aftersleep: Option<AeBeforeSleepProc<C>>,
) {
    el.aftersleep = aftersleep;
}

#[cfg(test)]
mod tests {
    //! The loop on its own, with a tiny context instead of the server, and
    //! real sockets (Unix socket pairs) for the file events.

    use super::*;
    use std::collections::HashMap;
    use std::io::{Read, Write};
    use std::os::unix::io::AsRawFd;
    use std::os::unix::net::UnixStream;
    use std::time::Instant;

    /// What the handlers below can see: the loop, a log of calls, and the
    /// sockets, by fd.
    struct Ctx {
        el: AeEventLoop<Ctx>,
        /// (what ran, client data tag) in call order.
        log: Vec<(&'static str, u64)>,
        /// (tag, when it ran) of each `time_log_nomore` call.
        fired_at: Vec<(u64, Instant)>,
        /// fd -> our end of a socket pair.
        socks: HashMap<RawFd, UnixStream>,
        /// fd -> the other end, kept open (and written to by the test).
        peers: HashMap<RawFd, UnixStream>,
        /// Bytes a readable handler reads per call (`read_chunk`).
        chunk: usize,
        /// Total bytes read by the readable handlers.
        nread: usize,
        /// Whether the readable handler reports EAGAIN and short reads.
        call_not_ready: bool,
        /// How often each time event has run, by tag.
        runs: HashMap<u64, u32>,
        /// Finalizer calls, by tag.
        finalized: HashMap<u64, u32>,
        /// A time event id for a handler to delete.
        victim: i64,
        /// fd -> the fd whose event its handler deletes.
        other: HashMap<RawFd, RawFd>,
    }

    /// The tests' client data: a tag, 0 for none.
    type ClientData = u64;

    impl AeContext for Ctx {
        type ClientData = ClientData;
        fn el(&mut self) -> &mut AeEventLoop<Self> {
            &mut self.el
        }
    }

    fn ctx() -> Ctx {
        Ctx {
            el: ae_create_event_loop(4096).expect("event loop"),
            log: Vec::new(),
            fired_at: Vec::new(),
            socks: HashMap::new(),
            peers: HashMap::new(),
            chunk: PROTO_IOBUF_LEN,
            nread: 0,
            call_not_ready: true,
            runs: HashMap::new(),
            finalized: HashMap::new(),
            victim: -1,
            other: HashMap::new(),
        }
    }

    const PROTO_IOBUF_LEN: usize = 16 * 1024;

    fn tag(data: ClientData) -> u64 {
        data
    }

    fn data(n: u64) -> ClientData {
        n
    }

    /// A non-blocking socket pair; returns the fd of our end.
    fn pair(ctx: &mut Ctx) -> RawFd {
        let (ours, theirs) = UnixStream::pair().expect("socketpair");
        ours.set_nonblocking(true).expect("nonblock");
        let fd = ours.as_raw_fd();
        ctx.socks.insert(fd, ours);
        ctx.peers.insert(fd, theirs);
        fd
    }

    fn feed(ctx: &mut Ctx, fd: RawFd, n: usize) {
        let peer = ctx.peers.get_mut(&fd).expect("peer");
        peer.write_all(&vec![b'x'; n]).expect("write");
    }

    // ------------------------------------------------------------ handlers

    fn time_log_nomore(ctx: &mut Ctx, _id: i64, d: ClientData) -> i64 {
        ctx.log.push(("time", tag(d)));
        ctx.fired_at.push((tag(d), Instant::now()));
        AE_NOMORE
    }

    /// Runs three times, 5 ms apart, then asks to be deleted.
    fn time_periodic(ctx: &mut Ctx, _id: i64, d: ClientData) -> i64 {
        let runs = ctx.runs.entry(tag(d)).or_insert(0);
        *runs += 1;
        if *runs < 3 {
            5
        } else {
            AE_NOMORE
        }
    }

    fn finalizer(ctx: &mut Ctx, d: ClientData) {
        *ctx.finalized.entry(tag(d)).or_insert(0) += 1;
    }

    /// Deletes the event `ctx.victim` (maybe itself), keeps its own period.
    fn time_delete_victim(ctx: &mut Ctx, _id: i64, d: ClientData) -> i64 {
        ctx.log.push(("deleter", tag(d)));
        let victim = ctx.victim;
        assert_eq!(ae_delete_time_event(&mut ctx.el, victim), AE_OK);
        10
    }

    fn time_count(ctx: &mut Ctx, _id: i64, d: ClientData) -> i64 {
        ctx.log.push(("time", tag(d)));
        *ctx.runs.entry(tag(d)).or_insert(0) += 1;
        1000
    }

    /// Creates a new time event, due at once, from inside a handler.
    fn time_create_another(ctx: &mut Ctx, _id: i64, d: ClientData) -> i64 {
        ctx.log.push(("creator", tag(d)));
        ae_create_time_event(&mut ctx.el, 0, time_log_nomore, data(99), None);
        AE_NOMORE
    }

    /// The readable handler shaped like read_query_from_client: reads at
    /// most `ctx.chunk` bytes, and reports the fd drained on EAGAIN or on
    /// a short read (if `ctx.call_not_ready`).
    fn read_chunk(ctx: &mut Ctx, fd: RawFd, d: ClientData, _mask: i32) {
        ctx.log.push(("read", tag(d)));
        let readlen = ctx.chunk;
        let mut buf = vec![0u8; readlen];
        let r = ctx.socks.get_mut(&fd).expect("sock").read(&mut buf);
        match r {
            Ok(n) => {
                ctx.nread += n;
                if n < readlen && ctx.call_not_ready {
                    ae_not_ready(&mut ctx.el, fd, AE_READABLE);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if ctx.call_not_ready {
                    ae_not_ready(&mut ctx.el, fd, AE_READABLE);
                }
            }
            Err(e) => panic!("read: {e}"),
        }
    }

    fn write_log(ctx: &mut Ctx, _fd: RawFd, d: ClientData, _mask: i32) {
        ctx.log.push(("write", tag(d)));
    }

    fn read_log(ctx: &mut Ctx, _fd: RawFd, d: ClientData, _mask: i32) {
        ctx.log.push(("read", tag(d)));
    }

    fn both_log(ctx: &mut Ctx, _fd: RawFd, d: ClientData, mask: i32) {
        ctx.log.push(("both", tag(d) * 10 + mask as u64));
    }

    /// Deletes the readable event of the fd paired with its own in
    /// `ctx.other`, then logs.
    fn read_delete_other(ctx: &mut Ctx, fd: RawFd, d: ClientData, _m: i32) {
        ctx.log.push(("read", tag(d)));
        if let Some(&other) = ctx.other.get(&fd) {
            ae_delete_file_event(&mut ctx.el, other, AE_READABLE);
        }
    }

    /// Calls ae_process_events with AE_DONT_WAIT until `done`, for at most
    /// two seconds.
    fn run_until(ctx: &mut Ctx, done: impl Fn(&Ctx) -> bool) {
        let start = Instant::now();
        while !done(ctx) {
            assert!(start.elapsed() < Duration::from_secs(2), "timed out");
            ae_process_events(ctx, AE_ALL_EVENTS | AE_DONT_WAIT);
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    // -------------------------------------------------------- time events

    #[test]
    fn process_time_events_fires_in_due_order() {
        let mut ctx = ctx();
        let start = Instant::now();
        // Created out of order; each is due 60 ms after the previous one.
        for ms in [180u64, 60, 120] {
            ae_create_time_event(
                &mut ctx.el,
                ms as i64,
                time_log_nomore,
                data(ms),
                None,
            );
        }
        // Without AE_DONT_WAIT the poll sleeps until the nearest timer
        // (ae_search_nearest_timer); there is always one pending here, so
        // no call sleeps forever.
        while ctx.log.len() < 3 {
            assert!(start.elapsed() < Duration::from_secs(5), "timed out");
            ae_process_events(&mut ctx, AE_TIME_EVENTS);
        }
        let order: Vec<u64> = ctx.log.iter().map(|&(_, t)| t).collect();
        assert_eq!(order, vec![60, 120, 180]);
        // None ran early (the clock has millisecond resolution).
        for &(due, at) in &ctx.fired_at {
            let elapsed = at.duration_since(start);
            assert!(
                elapsed + Duration::from_millis(2)
                    >= Duration::from_millis(due),
                "event due at {due} ms ran at {elapsed:?}"
            );
        }
    }

    #[test]
    fn ae_search_nearest_timer_picks_the_earliest() {
        let mut ctx = ctx();
        assert_eq!(ae_search_nearest_timer(&ctx.el), None);
        ae_create_time_event(&mut ctx.el, 5000, time_log_nomore, data(1), None);
        ae_create_time_event(&mut ctx.el, 10, time_log_nomore, data(2), None);
        ae_create_time_event(&mut ctx.el, 3000, time_log_nomore, data(3), None);
        let te = &ctx.el.time_events[1];
        assert_eq!(
            ae_search_nearest_timer(&ctx.el),
            Some((te.when_sec, te.when_ms))
        );
    }

    #[test]
    fn process_time_events_period_fires_again_then_nomore_runs_finalizer() {
        let mut ctx = ctx();
        ae_create_time_event(
            &mut ctx.el,
            0,
            time_periodic,
            data(7),
            Some(finalizer),
        );
        run_until(&mut ctx, |c| c.finalized.contains_key(&7));
        assert_eq!(ctx.runs[&7], 3, "fired again after each period");
        assert_eq!(ctx.finalized[&7], 1);
        assert!(ctx.el.time_events.is_empty(), "AE_NOMORE deleted it");
        // Nothing left to fire, nor to finalize twice.
        for _ in 0..3 {
            ae_process_events(&mut ctx, AE_TIME_EVENTS | AE_DONT_WAIT);
        }
        assert_eq!(ctx.runs[&7], 3);
        assert_eq!(ctx.finalized[&7], 1);
    }

    #[test]
    fn ae_delete_time_event_from_another_handler_runs_finalizer_once() {
        let mut ctx = ctx();
        // The victim is due later than the deleter, so it never runs. New
        // events go to the head of the list, as in C: created last, the
        // victim is walked first.
        let deleter = ae_create_time_event(
            &mut ctx.el,
            0,
            time_delete_victim,
            data(1),
            None,
        );
        let victim = ae_create_time_event(
            &mut ctx.el,
            50,
            time_count,
            data(2),
            Some(finalizer),
        );
        ctx.victim = victim;
        ae_process_events(&mut ctx, AE_TIME_EVENTS | AE_DONT_WAIT);
        // The victim comes before the deleter in the list: it was marked
        // in this round and is removed (finalizer run) in the next.
        assert_eq!(ctx.log, vec![("deleter", 1)]);
        assert_eq!(ctx.finalized.get(&2), None);
        ae_delete_time_event(&mut ctx.el, deleter);
        ae_process_events(&mut ctx, AE_TIME_EVENTS | AE_DONT_WAIT);
        assert_eq!(ctx.finalized.get(&2), Some(&1));
        assert!(ctx.el.time_events.is_empty());
        assert_eq!(ae_delete_time_event(&mut ctx.el, victim), AE_ERR);
        std::thread::sleep(Duration::from_millis(60));
        for _ in 0..3 {
            ae_process_events(&mut ctx, AE_TIME_EVENTS | AE_DONT_WAIT);
        }
        assert_eq!(ctx.runs.get(&2), None, "a deleted event never runs");
        assert_eq!(ctx.finalized.get(&2), Some(&1));
    }

    #[test]
    fn ae_delete_time_event_of_a_due_event_later_in_the_list() {
        let mut ctx = ctx();
        // Both due now; the deleter comes first in the list (created last:
        // new events go to the head, as in C), so the walk reaches the
        // victim after it was marked, and removes it instead of running it.
        ctx.victim = ae_create_time_event(
            &mut ctx.el,
            0,
            time_count,
            data(2),
            Some(finalizer),
        );
        ae_create_time_event(&mut ctx.el, 0, time_delete_victim, data(1), None);
        ae_process_events(&mut ctx, AE_TIME_EVENTS | AE_DONT_WAIT);
        assert_eq!(ctx.log, vec![("deleter", 1)]);
        assert_eq!(ctx.finalized.get(&2), Some(&1));
        assert_eq!(ctx.el.time_events.len(), 1);
    }

    #[test]
    fn ae_delete_time_event_from_inside_itself() {
        let mut ctx = ctx();
        let id = ae_create_time_event(
            &mut ctx.el,
            0,
            time_delete_victim,
            data(3),
            Some(finalizer),
        );
        ctx.victim = id;
        // It deletes itself but returns a period: the deletion wins.
        ae_process_events(&mut ctx, AE_TIME_EVENTS | AE_DONT_WAIT);
        assert_eq!(ctx.log, vec![("deleter", 3)]);
        std::thread::sleep(Duration::from_millis(15));
        for _ in 0..3 {
            ae_process_events(&mut ctx, AE_TIME_EVENTS | AE_DONT_WAIT);
        }
        assert_eq!(ctx.log.len(), 1, "ran once");
        assert_eq!(ctx.finalized.get(&3), Some(&1), "finalized once");
        assert!(ctx.el.time_events.is_empty());
    }

    #[test]
    fn process_time_events_skips_events_created_in_the_same_round() {
        let mut ctx = ctx();
        ae_create_time_event(
            &mut ctx.el,
            0,
            time_create_another,
            data(1),
            None,
        );
        ae_process_events(&mut ctx, AE_TIME_EVENTS | AE_DONT_WAIT);
        // The new event is due at once and sits after its creator in the
        // list, yet it waits for the next round.
        assert_eq!(ctx.log, vec![("creator", 1)]);
        ae_process_events(&mut ctx, AE_TIME_EVENTS | AE_DONT_WAIT);
        assert_eq!(ctx.log, vec![("creator", 1), ("time", 99)]);
    }

    #[test]
    fn ae_process_events_with_no_flags_does_nothing() {
        let mut ctx = ctx();
        ae_create_time_event(&mut ctx.el, 0, time_count, data(1), None);
        assert_eq!(ae_process_events(&mut ctx, 0), 0);
        assert_eq!(ae_process_events(&mut ctx, AE_FILE_EVENTS), 0);
        assert!(ctx.log.is_empty());
        assert_eq!(ae_process_events(&mut ctx, AE_TIME_EVENTS), 1);
        assert_eq!(ctx.log, vec![("time", 1)]);
    }

    // -------------------------------------------------------- file events

    /// THE level-trigger test. mio is edge-triggered; ae is not: a handler
    /// that reads only 16 KiB of 40 KiB is called again, with no new
    /// bytes arriving, until it has read everything.
    #[test]
    fn ae_process_events_is_level_triggered() {
        let mut ctx = ctx();
        let fd = pair(&mut ctx);
        ae_create_file_event(&mut ctx.el, fd, AE_READABLE, read_chunk, data(1))
            .expect("create");
        // Nothing to read yet: no event, spurious or not.
        assert_eq!(
            ae_process_events(&mut ctx, AE_ALL_EVENTS | AE_DONT_WAIT),
            0
        );
        assert!(ctx.log.is_empty());

        feed(&mut ctx, fd, 40 * 1024);
        // Every byte is in the socket before the first poll; from here on
        // the peer writes nothing more.
        for (call, total) in
            [16 * 1024, 32 * 1024, 40 * 1024].iter().enumerate()
        {
            let n = ae_process_events(&mut ctx, AE_FILE_EVENTS | AE_DONT_WAIT);
            assert_eq!(n, 1, "call {}", call + 1);
            assert_eq!(ctx.nread, *total, "call {}", call + 1);
        }
        assert_eq!(ctx.log.len(), 3);
        // The last read was short: drained, so no more events.
        for _ in 0..3 {
            assert_eq!(
                ae_process_events(&mut ctx, AE_ALL_EVENTS | AE_DONT_WAIT),
                0
            );
        }
        assert_eq!(ctx.log.len(), 3);

        // New bytes fire it again (the next edge).
        feed(&mut ctx, fd, 10);
        assert_eq!(
            ae_process_events(&mut ctx, AE_FILE_EVENTS | AE_DONT_WAIT),
            1
        );
        assert_eq!(ctx.nread, 40 * 1024 + 10);
    }

    #[test]
    fn ae_process_events_is_level_triggered_until_eagain() {
        let mut ctx = ctx();
        let fd = pair(&mut ctx);
        ae_create_file_event(&mut ctx.el, fd, AE_READABLE, read_chunk, data(1))
            .expect("create");
        // Exactly two full reads: neither is short, so the third call
        // sees EAGAIN and only then reports the fd drained.
        feed(&mut ctx, fd, 32 * 1024);
        for _ in 0..3 {
            assert_eq!(
                ae_process_events(&mut ctx, AE_FILE_EVENTS | AE_DONT_WAIT),
                1
            );
        }
        assert_eq!(ctx.nread, 32 * 1024);
        assert_eq!(
            ae_process_events(&mut ctx, AE_FILE_EVENTS | AE_DONT_WAIT),
            0
        );
        assert_eq!(ctx.log.len(), 3);
    }

    #[test]
    fn ae_process_events_does_not_sleep_while_an_fd_is_still_ready() {
        let mut ctx = ctx();
        let fd = pair(&mut ctx);
        ae_create_file_event(&mut ctx.el, fd, AE_READABLE, read_chunk, data(1))
            .expect("create");
        // A far timer bounds the sleep if the backend wrongly waits.
        ae_create_time_event(&mut ctx.el, 5000, time_count, data(9), None);
        feed(&mut ctx, fd, 40 * 1024);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(ae_process_events(&mut ctx, AE_ALL_EVENTS), 1);
        }
        assert_eq!(ctx.nread, 40 * 1024);
        assert!(start.elapsed() < Duration::from_secs(2), "it slept");
    }

    #[test]
    fn ae_process_events_keeps_firing_an_fd_never_reported_drained() {
        let mut ctx = ctx();
        let fd = pair(&mut ctx);
        ctx.chunk = 1024;
        ctx.call_not_ready = false;
        ae_create_file_event(&mut ctx.el, fd, AE_READABLE, read_chunk, data(1))
            .expect("create");
        feed(&mut ctx, fd, 40 * 1024);
        for i in 1..=10 {
            assert_eq!(
                ae_process_events(&mut ctx, AE_FILE_EVENTS | AE_DONT_WAIT),
                1
            );
            assert_eq!(ctx.nread, i * 1024);
        }
    }

    #[test]
    fn ae_process_events_skips_handler_deleted_earlier_in_the_round() {
        let mut ctx = ctx();
        let a = pair(&mut ctx);
        let b = pair(&mut ctx);
        // Whichever runs first deletes the other's event.
        ctx.other.insert(a, b);
        ctx.other.insert(b, a);
        ae_create_file_event(
            &mut ctx.el,
            a,
            AE_READABLE,
            read_delete_other,
            data(1),
        )
        .expect("create");
        ae_create_file_event(
            &mut ctx.el,
            b,
            AE_READABLE,
            read_delete_other,
            data(2),
        )
        .expect("create");
        feed(&mut ctx, a, 1);
        feed(&mut ctx, b, 1);
        // Both fired and are counted, as in C; only the first handler ran.
        let n = ae_process_events(&mut ctx, AE_FILE_EVENTS | AE_DONT_WAIT);
        assert_eq!(n, 2);
        assert_eq!(ctx.log.len(), 1, "{:?}", ctx.log);
        let (first, second) = if ctx.log[0].1 == 1 { (a, b) } else { (b, a) };
        assert_eq!(ae_get_file_events(&ctx.el, second), AE_NONE);
        assert_eq!(ae_get_file_events(&ctx.el, first), AE_READABLE);
        // The survivor is still ready (it read nothing) and fires alone.
        ctx.other.clear();
        ctx.log.clear();
        assert_eq!(
            ae_process_events(&mut ctx, AE_FILE_EVENTS | AE_DONT_WAIT),
            1
        );
        assert_eq!(ctx.log.len(), 1);
        assert_eq!(ctx.log[0].1, if first == a { 1 } else { 2 });
    }

    #[test]
    fn ae_process_events_barrier_fires_writable_before_readable() {
        let mut ctx = ctx();
        let plain = pair(&mut ctx);
        let barrier = pair(&mut ctx);
        for (fd, t, extra) in [(plain, 1, 0), (barrier, 2, AE_BARRIER)] {
            ae_create_file_event(
                &mut ctx.el,
                fd,
                AE_READABLE,
                read_log,
                data(t),
            )
            .expect("create");
            ae_create_file_event(
                &mut ctx.el,
                fd,
                AE_WRITABLE | extra,
                write_log,
                data(t),
            )
            .expect("create");
            // Readable too (writable it already is: the buffer is empty).
            feed(&mut ctx, fd, 1);
        }
        assert_eq!(
            ae_process_events(&mut ctx, AE_FILE_EVENTS | AE_DONT_WAIT),
            2
        );
        let of = |t| -> Vec<&str> {
            ctx.log.iter().filter(|e| e.1 == t).map(|e| e.0).collect()
        };
        assert_eq!(of(1), vec!["read", "write"]);
        assert_eq!(of(2), vec!["write", "read"]);
        // Deleting AE_WRITABLE also drops AE_BARRIER.
        ae_delete_file_event(&mut ctx.el, barrier, AE_WRITABLE);
        assert_eq!(ae_get_file_events(&ctx.el, barrier), AE_READABLE);
    }

    #[test]
    fn ae_process_events_same_proc_for_read_and_write_fires_once() {
        let mut ctx = ctx();
        let fd = pair(&mut ctx);
        ae_create_file_event(
            &mut ctx.el,
            fd,
            AE_READABLE | AE_WRITABLE,
            both_log,
            data(1),
        )
        .expect("create");
        feed(&mut ctx, fd, 1);
        assert_eq!(
            ae_process_events(&mut ctx, AE_FILE_EVENTS | AE_DONT_WAIT),
            1
        );
        // One call, told both conditions hold.
        assert_eq!(
            ctx.log,
            vec![("both", 10 + (AE_READABLE | AE_WRITABLE) as u64)]
        );

        // Also with AE_BARRIER (the inverted path has the same check).
        let fd2 = pair(&mut ctx);
        ae_create_file_event(
            &mut ctx.el,
            fd2,
            AE_READABLE | AE_WRITABLE | AE_BARRIER,
            both_log,
            data(2),
        )
        .expect("create");
        ae_delete_file_event(&mut ctx.el, fd, AE_READABLE | AE_WRITABLE);
        feed(&mut ctx, fd2, 1);
        ctx.log.clear();
        assert_eq!(
            ae_process_events(&mut ctx, AE_FILE_EVENTS | AE_DONT_WAIT),
            1
        );
        assert_eq!(
            ctx.log,
            vec![("both", 20 + (AE_READABLE | AE_WRITABLE) as u64)]
        );
    }

    #[test]
    fn ae_process_events_writable_only_until_deleted() {
        let mut ctx = ctx();
        let fd = pair(&mut ctx);
        ae_create_file_event(&mut ctx.el, fd, AE_WRITABLE, write_log, data(1))
            .expect("create");
        // Writable, never reported drained: fires every round, as
        // level-triggered epoll does for a writable socket.
        for _ in 0..3 {
            assert_eq!(
                ae_process_events(&mut ctx, AE_FILE_EVENTS | AE_DONT_WAIT),
                1
            );
        }
        ae_delete_file_event(&mut ctx.el, fd, AE_WRITABLE);
        assert_eq!(ctx.el.maxfd, -1);
        assert_eq!(
            ae_process_events(&mut ctx, AE_FILE_EVENTS | AE_DONT_WAIT),
            0
        );
        assert_eq!(ctx.log.len(), 3);
    }

    #[test]
    fn ae_create_file_event_rejects_fd_beyond_setsize() {
        let mut ctx = ctx();
        let err = ae_create_file_event(
            &mut ctx.el,
            4096,
            AE_READABLE,
            read_log,
            data(1),
        )
        .expect_err("out of range");
        assert_eq!(err.raw_os_error(), Some(libc::ERANGE));
        assert_eq!(ctx.el.maxfd, -1);
    }

    #[test]
    fn ae_delete_file_event_updates_maxfd() {
        let mut ctx = ctx();
        let a = pair(&mut ctx);
        let b = pair(&mut ctx);
        let (lo, hi) = (a.min(b), a.max(b));
        ae_create_file_event(&mut ctx.el, lo, AE_READABLE, read_log, data(1))
            .expect("create");
        ae_create_file_event(&mut ctx.el, hi, AE_READABLE, read_log, data(2))
            .expect("create");
        assert_eq!(ctx.el.maxfd, hi);
        ae_delete_file_event(&mut ctx.el, hi, AE_READABLE);
        assert_eq!(ctx.el.maxfd, lo);
        ae_delete_file_event(&mut ctx.el, lo, AE_READABLE);
        assert_eq!(ctx.el.maxfd, -1);
    }

    #[test]
    fn ae_resize_set_size_refuses_when_an_fd_is_beyond_the_new_size() {
        let mut ctx = ctx();
        let fd = pair(&mut ctx);
        ae_create_file_event(&mut ctx.el, fd, AE_READABLE, read_log, data(1))
            .expect("create");
        assert_eq!(ae_resize_set_size(&mut ctx.el, fd as usize), AE_ERR);
        assert_eq!(ae_get_set_size(&ctx.el), 4096);
        assert_eq!(ae_resize_set_size(&mut ctx.el, fd as usize + 1), AE_OK);
        assert_eq!(ae_get_set_size(&ctx.el), fd as usize + 1);
        assert_eq!(ctx.el.events.len(), fd as usize + 1);
        // The event survived, and still fires.
        feed(&mut ctx, fd, 1);
        assert_eq!(
            ae_process_events(&mut ctx, AE_FILE_EVENTS | AE_DONT_WAIT),
            1
        );
        // Growing again makes room for higher fds.
        assert_eq!(ae_resize_set_size(&mut ctx.el, 8192), AE_OK);
        assert_eq!(ae_get_set_size(&ctx.el), 8192);
    }

    #[test]
    fn ae_resize_set_size_after_deleting_a_ready_fd() {
        let mut ctx = ctx();
        let lo = pair(&mut ctx);
        let hi = pair(&mut ctx);
        let (lo, hi) = (lo.min(hi), lo.max(hi));
        ae_create_file_event(&mut ctx.el, lo, AE_READABLE, read_log, data(1))
            .expect("create");
        ae_create_file_event(&mut ctx.el, hi, AE_READABLE, read_log, data(2))
            .expect("create");
        feed(&mut ctx, hi, 1);
        // hi fires and stays ready (read_log reads nothing).
        assert_eq!(
            ae_process_events(&mut ctx, AE_FILE_EVENTS | AE_DONT_WAIT),
            1
        );
        // Its client goes away, then the set shrinks below it (CONFIG SET
        // maxclients); the next poll must not trip over the stale fd.
        ae_delete_file_event(&mut ctx.el, hi, AE_READABLE);
        assert_eq!(ae_resize_set_size(&mut ctx.el, lo as usize + 1), AE_OK);
        assert_eq!(
            ae_process_events(&mut ctx, AE_FILE_EVENTS | AE_DONT_WAIT),
            0
        );
    }

    #[test]
    fn ae_wait_reports_readable_writable_and_timeout() {
        let (mut a, mut b) = UnixStream::pair().expect("socketpair");
        let fd = a.as_raw_fd();
        let start = Instant::now();
        assert_eq!(ae_wait(fd, AE_READABLE, 20), 0, "timeout");
        assert!(start.elapsed() >= Duration::from_millis(15));
        assert_eq!(ae_wait(fd, AE_WRITABLE, 20), AE_WRITABLE);
        b.write_all(b"x").expect("write");
        assert_eq!(ae_wait(fd, AE_READABLE, 20), AE_READABLE);
        assert_eq!(
            ae_wait(fd, AE_READABLE | AE_WRITABLE, 20),
            AE_READABLE | AE_WRITABLE
        );
        let mut byte = [0u8; 1];
        a.read_exact(&mut byte).expect("read");
        assert_eq!(ae_wait(fd, AE_READABLE, 20), 0, "drained");
        // A closed peer: readable (EOF), and POLLHUP counts as writable.
        drop(b);
        assert_eq!(
            ae_wait(fd, AE_READABLE | AE_WRITABLE, 20),
            AE_READABLE | AE_WRITABLE
        );
        // poll reports POLLHUP even when not asked for: C's aeWait then
        // says writable too, and so do we.
        assert_eq!(ae_wait(fd, AE_READABLE, 20), AE_READABLE | AE_WRITABLE);
    }

    #[test]
    fn ae_main_runs_before_sleep_until_ae_stop() {
        fn before(ctx: &mut Ctx) {
            ctx.log.push(("before", 0));
        }
        fn after(ctx: &mut Ctx) {
            ctx.log.push(("after", 0));
        }
        fn stop_on_third(ctx: &mut Ctx, _id: i64, d: ClientData) -> i64 {
            let runs = ctx.runs.entry(tag(d)).or_insert(0);
            *runs += 1;
            if *runs == 3 {
                ae_stop(&mut ctx.el);
            }
            1
        }
        let mut ctx = ctx();
        ae_set_before_sleep_proc(&mut ctx.el, Some(before));
        ae_set_after_sleep_proc(&mut ctx.el, Some(after));
        ae_create_time_event(&mut ctx.el, 1, stop_on_third, data(1), None);
        ae_main(&mut ctx);
        assert_eq!(ctx.runs[&1], 3);
        let befores = ctx.log.iter().filter(|e| e.0 == "before").count();
        let afters = ctx.log.iter().filter(|e| e.0 == "after").count();
        assert!(befores >= 3 && befores == afters, "{:?}", ctx.log);
        assert_eq!(ctx.log[0].0, "before");
        assert_eq!(ae_get_api_name(), "epoll");
    }

    /// A readable handler that, like rdb_load's
    /// process_events_while_blocked, runs the loop nested once.
    fn read_then_nest(ctx: &mut Ctx, fd: RawFd, d: ClientData, m: i32) {
        read_chunk(ctx, fd, d, m);
        if ctx.runs.insert(0, 1).is_none() {
            ctx.log.push(("nest", tag(d)));
            ae_process_events(ctx, AE_FILE_EVENTS | AE_DONT_WAIT);
            ctx.log.push(("unnest", tag(d)));
        }
    }

    #[test]
    fn a_nested_loop_inside_a_handler_leaves_the_outer_round_intact() {
        // Three fds fire in one round; the first handler runs the loop
        // nested while the others still wait in the outer round (a client
        // that sent DEBUG RELOAD while 50 others sent PING). The nested
        // poll serves them and empties its fired list; the outer round
        // must then go on over its own list, neither indexing past the end
        // nor losing the data that arrives meanwhile.
        let mut ctx = ctx();
        let fds: Vec<RawFd> = (0..3).map(|_| pair(&mut ctx)).collect();
        for (i, &fd) in fds.iter().enumerate() {
            ae_create_file_event(
                &mut ctx.el,
                fd,
                AE_READABLE,
                read_then_nest,
                data(i as u64 + 1),
            )
            .expect("create");
            feed(&mut ctx, fd, 10);
        }
        let n = ae_process_events(&mut ctx, AE_FILE_EVENTS | AE_DONT_WAIT);
        assert_eq!(n, 3, "the outer round counts its own three events");
        assert_eq!(ctx.nread, 30, "every byte read, once");
        let nest = ctx.log.iter().position(|e| e.0 == "nest").expect("nest");
        let unnest = ctx.log.iter().position(|e| e.0 == "unnest").unwrap();
        // The nested round read the two other fds.
        assert_eq!(unnest - nest, 3, "{:?}", ctx.log);
        // Then the outer round called their handlers again with the stale
        // entries (as C does); they found nothing and said so.
        let reads = ctx.log.iter().filter(|e| e.0 == "read").count();
        assert_eq!(reads, 5, "{:?}", ctx.log);
        for &fd in &fds {
            assert_eq!(ctx.el.apidata.ready[fd as usize], 0, "fd {fd} drained");
        }
        // New data after the nesting is served by the next round as usual.
        feed(&mut ctx, fds[2], 7);
        run_until(&mut ctx, |c| c.nread == 37);
    }
}
