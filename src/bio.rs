//! Background I/O service: the jobs Redis moves off the main thread because
//! they can block it — closing a file whose last reference is the one being
//! closed (close(2) then unlinks a possibly huge file), the AOF fsync of
//! `appendfsync everysec`, and freeing big values lazily.
//!
//! Ports bio.c from Redis 5.0.14. As in C there is one thread per job type,
//! each with its own queue, lock and two condition variables: `newjob` wakes
//! the thread, `step` wakes whoever waits in `bio_wait_step_of_type`. A job
//! stays counted in `pending` until it is done, so `bio_pending_jobs_of_type`
//! tells the main thread whether an fsync is still running (the everysec
//! rule of flushAppendOnlyFile).
//!
//! These threads are the one place oxredis runs code off the main thread
//! (DESIGN.md: `std::thread` only for bio.c). They touch nothing of the
//! server: a job owns what it works on (a file descriptor, a value to drop).

use std::collections::VecDeque;
use std::os::fd::RawFd;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};

/// Deferred close(2) syscall.
pub(crate) const BIO_CLOSE_FILE: usize = 0;
/// Deferred AOF fsync.
pub(crate) const BIO_AOF_FSYNC: usize = 1;
/// Deferred objects freeing.
pub(crate) const BIO_LAZY_FREE: usize = 2;
pub(crate) const BIO_NUM_OPS: usize = 3;

/// C: REDIS_THREAD_STACK_SIZE.
const REDIS_THREAD_STACK_SIZE: usize = 1024 * 1024 * 4;

/// What a job works on. Divergence from C: C passes three `void *`
/// arguments and the thread reads them by job type; here the job carries
/// its own typed argument.
pub(crate) enum BioJobArg {
    /// BIO_CLOSE_FILE and BIO_AOF_FSYNC: the file descriptor.
    Fd(RawFd),
    /// BIO_LAZY_FREE: what is to be freed (a value, a whole database).
    Free(crate::lazyfree::LazyFreeJob),
}

/// C: struct bio_job.
struct BioJob {
    /// Time at which the job was created.
    #[allow(dead_code)]
    // set, never read, in 5.0.14 too (bioOlderJobOfType is only declared)
    time: i64,
    arg: BioJobArg,
}

/// One job type's queue: C's bio_jobs[], bio_pending[] under bio_mutex[].
#[derive(Default)]
struct BioQueue {
    jobs: VecDeque<BioJob>,
    /// Queued plus the one being processed.
    pending: u64,
}

/// C: bio_mutex[], bio_newjob_cond[], bio_step_cond[] for one type.
#[derive(Default)]
struct BioType {
    mutex: Mutex<BioQueue>,
    newjob_cond: Condvar,
    step_cond: Condvar,
}

/// The three job types. Divergence from C: static arrays initialised by
/// bioInit; here a OnceLock, so a job created before bio_init (never, in
/// the server) cannot touch an uninitialised lock.
static BIO: OnceLock<[BioType; BIO_NUM_OPS]> = OnceLock::new();

fn bio_types() -> &'static [BioType; BIO_NUM_OPS] {
    BIO.get_or_init(Default::default)
}

/// Lock a queue. A poisoned lock means a job panicked (it cannot: close,
/// fsync and drop do not); the queue itself is still consistent, so go on.
fn lock(t: &BioType) -> MutexGuard<'_, BioQueue> {
    t.mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Initialize the background system, spawning the threads.
///
/// C: bio.c bioInit()
pub(crate) fn bio_init(server: &crate::server::RedisServer) {
    let types = bio_types();
    // Ready to spawn our threads. We use the single argument the thread
    // function accepts in order to pass the job ID the thread is
    // responsible of.
    for (j, _) in types.iter().enumerate() {
        let spawned = std::thread::Builder::new()
            .name(format!("bio-{j}"))
            .stack_size(REDIS_THREAD_STACK_SIZE)
            .spawn(move || bio_process_background_jobs(j));
        if spawned.is_err() {
            crate::server_log!(
                server,
                crate::server::LL_WARNING,
                "Fatal: Can't initialize Background Jobs."
            );
            std::process::exit(1);
        }
    }
}

/// C: bio.c bioCreateBackgroundJob()
pub(crate) fn bio_create_background_job(job_type: usize, arg: BioJobArg) {
    let t = &bio_types()[job_type];
    let job = BioJob { time: crate::server::mstime() / 1000, arg };
    let mut q = lock(t);
    q.jobs.push_back(job);
    q.pending += 1;
    t.newjob_cond.notify_one();
}

/// The thread of one job type: wait for a job, run it outside the lock,
/// then count it done and wake the waiters of bio_wait_step_of_type.
///
/// C: bio.c bioProcessBackgroundJobs()
fn bio_process_background_jobs(job_type: usize) {
    let t = &bio_types()[job_type];

    // Block SIGALRM so we are sure that only the main thread will receive
    // the watchdog signal.
    // SAFETY: sigset_t is plain data filled by sigemptyset/sigaddset before
    // use; pthread_sigmask only changes this thread's mask.
    unsafe {
        let mut sigset: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut sigset);
        libc::sigaddset(&mut sigset, libc::SIGALRM);
        if libc::pthread_sigmask(libc::SIG_BLOCK, &sigset, std::ptr::null_mut())
            != 0
        {
            eprintln!(
                "Warning: can't mask SIGALRM in bio.c thread: {}",
                std::io::Error::last_os_error()
            );
        }
    }

    let mut q = lock(t);
    loop {
        // The loop always starts with the lock hold.
        let Some(job) = q.jobs.pop_front() else {
            q = t.newjob_cond.wait(q).unwrap_or_else(|e| e.into_inner());
            continue;
        };
        // It is now possible to unlock the background system as we know
        // have a stand alone job structure to process.
        drop(q);

        // Process the job accordingly to its type.
        match (job_type, job.arg) {
            (BIO_CLOSE_FILE, BioJobArg::Fd(fd)) => {
                // SAFETY: the main thread handed this fd over and no longer
                // uses it (C's contract for BIO_CLOSE_FILE).
                unsafe { libc::close(fd) };
            }
            (BIO_AOF_FSYNC, BioJobArg::Fd(fd)) => {
                // SAFETY: fdatasync on an fd the AOF keeps open; a closed fd
                // gives EBADF, which C ignores as well.
                unsafe { redis_fsync(fd) };
            }
            (BIO_LAZY_FREE, BioJobArg::Free(job)) => {
                // C: lazyfreeFreeObjectFromBioThread() or
                // lazyfreeFreeDatabaseFromBioThread(), by the arguments.
                crate::lazyfree::lazyfree_run_job(job);
            }
            // C: serverPanic("Wrong job type in bioProcessBackgroundJobs().")
            // — unreachable: every caller pairs the type with its argument.
            _ => {}
        }

        // What the job allocated and freed becomes visible to the main
        // thread's used_memory (see util::USED_MEMORY).
        crate::util::zmalloc_fold_thread_used_memory();

        // Lock again before reiterating the loop, if there are no longer
        // jobs to process we'll block again in the wait.
        q = lock(t);
        q.pending -= 1;
        // Unblock threads blocked on bioWaitStepOfType() if any.
        t.step_cond.notify_all();
    }
}

/// C's redis_fsync (config.h): fdatasync on Linux.
///
/// # Safety
/// `fd` is any integer; a bad one gives EBADF.
pub(crate) unsafe fn redis_fsync(fd: RawFd) -> libc::c_int {
    libc::fdatasync(fd)
}

/// Return the number of pending jobs of the specified type.
///
/// C: bio.c bioPendingJobsOfType()
pub(crate) fn bio_pending_jobs_of_type(job_type: usize) -> u64 {
    lock(&bio_types()[job_type]).pending
}

/// If there are pending jobs for the specified type, the function blocks
/// and waits that the next job was processed. Otherwise the function does
/// not block and returns ASAP. Returns the number of jobs still to process
/// (used by the lazy-free thread's callers to wait for it).
///
/// C: bio.c bioWaitStepOfType()
#[allow(dead_code)] // its C caller is evict.c's lazy eviction, not ported
pub(crate) fn bio_wait_step_of_type(job_type: usize) -> u64 {
    let t = &bio_types()[job_type];
    let mut q = lock(t);
    if q.pending != 0 {
        q = t.step_cond.wait(q).unwrap_or_else(|e| e.into_inner());
    }
    q.pending
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Jobs of every type run on their thread and are counted until done;
    /// bio_wait_step_of_type returns once the queue has moved.
    #[test]
    fn jobs_run_and_are_counted() {
        for t in bio_types().iter().enumerate().map(|(j, _)| j) {
            std::thread::Builder::new()
                .spawn(move || bio_process_background_jobs(t))
                .expect("spawn");
        }
        let dir = std::env::temp_dir()
            .join(format!("oxredis-bio-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let f = std::fs::File::create(dir.join("f")).expect("file");
        use std::os::fd::IntoRawFd;
        let fd = f.into_raw_fd();
        bio_create_background_job(BIO_AOF_FSYNC, BioJobArg::Fd(fd));
        bio_create_background_job(BIO_CLOSE_FILE, BioJobArg::Fd(fd));
        bio_create_background_job(
            BIO_LAZY_FREE,
            BioJobArg::Free(crate::lazyfree::LazyFreeJob::Database(
                crate::dict::Dict::new(),
                crate::dict::Dict::new(),
            )),
        );
        for t in [BIO_AOF_FSYNC, BIO_CLOSE_FILE, BIO_LAZY_FREE] {
            while bio_wait_step_of_type(t) != 0 {}
            assert_eq!(bio_pending_jobs_of_type(t), 0);
        }
        assert_eq!(crate::lazyfree::lazyfree_get_pending_objects_count(), 0);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
