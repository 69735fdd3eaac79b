//! The append only file: every write command appended to a file in the
//! protocol's own format, so a restart replays them; BGREWRITEAOF to
//! compact it by fork; loading it back at start-up.
//!
//! Ports aof.c from Redis 5.0.14, in its order and with its banners:
//! the rewrite buffer (what the parent accumulates while a child rewrites),
//! the AOF file itself (feeding, flushing, fsync policies), loading, the
//! rewrite (the child's side), the pipes between parent and child, and the
//! background rewrite (fork, BGREWRITEAOF, the done handler).
//!
//! Read this first: while a rewrite child runs, the parent keeps every
//! write twice — in `aof_buf` for the old file (if AOF is on) and in the
//! rewrite buffer for the new one. It streams the rewrite buffer to the
//! child over a pipe as it goes, so that at the end only a small tail is
//! left to append: the child asks the parent to stop with a '!' on a
//! second pipe, the parent acknowledges with '!' on a third, and the rest
//! stays in the parent's buffer until the done handler writes it.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{IntoRawFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;

use crate::ae::{self, AE_READABLE, AE_WRITABLE};
use crate::bio::{bio_create_background_job, bio_pending_jobs_of_type};
use crate::bio::{BioJobArg, BIO_AOF_FSYNC, BIO_CLOSE_FILE};
use crate::config::{
    AOF_FSYNC_ALWAYS, AOF_FSYNC_EVERYSEC, AOF_OFF, AOF_ON, AOF_WAIT_REWRITE,
};
use crate::latency::{
    latency_add_sample_if_needed, latency_end_monitor, latency_start_monitor,
};
use crate::networking::{add_reply, add_reply_error, add_reply_status};
use crate::object::ll2string_buf;
use crate::rio::{
    rio_init_with_file, rio_into_file, rio_set_auto_sync, rio_write,
    rio_write_bulk_count, rio_write_bulk_double, rio_write_bulk_long_long,
    rio_write_bulk_string, Rio, REDIS_AUTOSYNC_BYTES,
};
use crate::server::*;
use crate::server_log;
use crate::util::strerror;

/// 10 MB per block
pub(crate) const AOF_RW_BUF_BLOCK_SIZE: usize = 1024 * 1024 * 10;
/// Commands of a rewritten AOF carry at most this many items (RPUSH, SADD,
/// ZADD, HMSET), so a huge value does not become one huge command.
pub(crate) const AOF_REWRITE_ITEMS_PER_CMD: i64 = 64;
/// The child reads the parent's diff every this many bytes it wrote.
pub(crate) const AOF_READ_DIFF_INTERVAL_BYTES: usize = 1024 * 10;
/// Seconds between errors logging.
const AOF_WRITE_LOG_ERROR_RATE: i64 = 30;

// ----------------------------------------------------------------------------
// AOF rewrite buffer implementation.
//
// The following code implement a simple buffer used in order to accumulate
// changes while the background process is rewriting the AOF file.
//
// We only need to append, but can't just use realloc with a large block
// because 'huge' reallocs are not always handled as one could expect
// (via remapping of pages at OS level) but may involve copying data.
//
// For this reason we use a list of blocks, every block is
// AOF_RW_BUF_BLOCK_SIZE bytes.
// ----------------------------------------------------------------------------

/// C: struct aofrwblock. `buf.len()` is C's `used + sent` and
/// `buf.capacity() - buf.len()` its `free`.
pub(crate) struct AofRwBlock {
    buf: Vec<u8>,
    /// Divergence from C: bytes at the front already written to the child.
    /// C memmoves the rest of the block down after each partial write to
    /// the pipe (up to 10 MB per 64 KB written); an offset does the same.
    sent: usize,
}

impl AofRwBlock {
    fn new() -> AofRwBlock {
        AofRwBlock { buf: Vec::with_capacity(AOF_RW_BUF_BLOCK_SIZE), sent: 0 }
    }
    fn used(&self) -> usize {
        self.buf.len() - self.sent
    }
    fn free(&self) -> usize {
        AOF_RW_BUF_BLOCK_SIZE - self.buf.len()
    }
}

/// This function free the old AOF rewrite buffer if needed, and initialize
/// a fresh new one.
///
/// C: aof.c aofRewriteBufferReset()
pub(crate) fn aof_rewrite_buffer_reset(server: &mut RedisServer) {
    server.aof_rewrite_buf_blocks = Default::default();
}

/// Return the current size of the AOF rewrite buffer.
///
/// C: aof.c aofRewriteBufferSize()
pub(crate) fn aof_rewrite_buffer_size(server: &RedisServer) -> usize {
    server.aof_rewrite_buf_blocks.iter().map(AofRwBlock::used).sum()
}

/// Event handler used to send data to the child process doing the AOF
/// rewrite. We send pieces of our AOF differences buffer so that the final
/// write when the child finishes the rewrite will be small.
///
/// C: aof.c aofChildWriteDiffData()
pub(crate) fn aof_child_write_diff_data(
    server: &mut RedisServer,
    _fd: RawFd,
    _data: ClientData,
    _mask: i32,
) {
    loop {
        let stop = server.aof_stop_sending_diff;
        let Some(block) =
            server.aof_rewrite_buf_blocks.front_mut().filter(|_| !stop)
        else {
            ae::ae_delete_file_event(
                &mut server.el,
                server.aof_pipe_write_data_to_child,
                AE_WRITABLE,
            );
            return;
        };
        if block.used() > 0 {
            let pending = &block.buf[block.sent..];
            // SAFETY: write(2) from a live slice to the pipe we own.
            let nwritten = unsafe {
                libc::write(
                    server.aof_pipe_write_data_to_child,
                    pending.as_ptr().cast(),
                    pending.len(),
                )
            };
            if nwritten <= 0 {
                return;
            }
            block.sent += nwritten as usize;
        }
        if block.used() == 0 {
            server.aof_rewrite_buf_blocks.pop_front();
        }
    }
}

/// Append data to the AOF rewrite buffer, allocating new blocks if needed.
///
/// C: aof.c aofRewriteBufferAppend()
pub(crate) fn aof_rewrite_buffer_append(
    server: &mut RedisServer,
    mut s: &[u8],
) {
    while !s.is_empty() {
        // If we already got at least an allocated block, try appending at
        // least some piece into it.
        if let Some(block) = server.aof_rewrite_buf_blocks.back_mut() {
            let thislen = block.free().min(s.len());
            if thislen > 0 {
                // The current block is not already full.
                block.buf.extend_from_slice(&s[..thislen]);
                s = &s[thislen..];
            }
        }

        if !s.is_empty() {
            // First block to allocate, or need another block.
            server.aof_rewrite_buf_blocks.push_back(AofRwBlock::new());

            // Log every time we cross more 10 or 100 blocks, respectively as
            // a notice or warning.
            let numblocks = server.aof_rewrite_buf_blocks.len();
            if (numblocks + 1).is_multiple_of(10) {
                let level = if (numblocks + 1).is_multiple_of(100) {
                    LL_WARNING
                } else {
                    LL_NOTICE
                };
                server_log!(
                    server,
                    level,
                    "Background AOF buffer size: {} MB",
                    aof_rewrite_buffer_size(server) / (1024 * 1024)
                );
            }
        }
    }

    // Install a file event to send data to the rewrite child if there is
    // not one already.
    if ae::ae_get_file_events(&server.el, server.aof_pipe_write_data_to_child)
        == 0
    {
        let _ = ae::ae_create_file_event(
            &mut server.el,
            server.aof_pipe_write_data_to_child,
            AE_WRITABLE,
            aof_child_write_diff_data,
            ClientData::None,
        );
    }
}

/// Write the buffer (possibly composed of multiple blocks) into the
/// specified fd. If a short write or any other error happens an error is
/// returned, otherwise the number of bytes written.
///
/// C: aof.c aofRewriteBufferWrite()
pub(crate) fn aof_rewrite_buffer_write(
    server: &RedisServer,
    fd: RawFd,
) -> io::Result<usize> {
    let mut count = 0;
    for block in &server.aof_rewrite_buf_blocks {
        let pending = &block.buf[block.sent..];
        if !pending.is_empty() {
            // SAFETY: write(2) from a live slice to an fd we opened.
            let nwritten = unsafe {
                libc::write(fd, pending.as_ptr().cast(), pending.len())
            };
            if nwritten != pending.len() as isize {
                if nwritten == 0 {
                    return Err(io::Error::from_raw_os_error(libc::EIO));
                }
                return Err(if nwritten < 0 {
                    io::Error::last_os_error()
                } else {
                    io::Error::from_raw_os_error(libc::ENOSPC)
                });
            }
            count += pending.len();
        }
    }
    Ok(count)
}

// ----------------------------------------------------------------------------
// AOF file implementation
// ----------------------------------------------------------------------------

/// Return true if an AOf fsync is currently already in progress in a BIO
/// thread.
///
/// C: aof.c aofFsyncInProgress()
pub(crate) fn aof_fsync_in_progress() -> bool {
    bio_pending_jobs_of_type(BIO_AOF_FSYNC) != 0
}

/// Starts a background task that performs fsync() against the specified
/// file descriptor (the one of the AOF file) in another thread.
///
/// C: aof.c aof_background_fsync()
pub(crate) fn aof_background_fsync(fd: RawFd) {
    bio_create_background_job(BIO_AOF_FSYNC, BioJobArg::Fd(fd));
}

/// Kills an AOFRW child process if exists
///
/// C: aof.c killAppendOnlyChild()
fn kill_append_only_child(server: &mut RedisServer) {
    // No AOFRW child? return.
    if server.aof_child_pid == -1 {
        return;
    }
    // Kill AOFRW child, wait for child exit.
    server_log!(
        server,
        LL_NOTICE,
        "Killing running AOF rewrite child: {}",
        server.aof_child_pid
    );
    let pid = server.aof_child_pid;
    // SAFETY: kill(2) and waitpid(2) on our own unreaped child.
    unsafe {
        if libc::kill(pid, libc::SIGUSR1) != -1 {
            let mut statloc = 0;
            // Divergence from C: waitpid on this pid, not wait3 on any
            // child: wait3 could reap (and lose) an RDB or debugger child.
            let mut r;
            loop {
                r = libc::waitpid(pid, &mut statloc, 0);
                if r != -1
                    || io::Error::last_os_error().raw_os_error()
                        != Some(libc::EINTR)
                {
                    break;
                }
            }
            if r == pid {
                crate::trace::child_exit(
                    server,
                    pid,
                    "aof_rewrite",
                    libc::WEXITSTATUS(statloc),
                    if libc::WIFSIGNALED(statloc) {
                        libc::WTERMSIG(statloc)
                    } else {
                        0
                    },
                );
            }
        }
    }
    // Reset the buffer accumulating changes while the child saves.
    aof_rewrite_buffer_reset(server);
    aof_remove_temp_file(server.aof_child_pid);
    server.aof_child_pid = -1;
    server.aof_rewrite_time_start = -1;
    // Close pipes used for IPC between the two processes.
    aof_close_pipes(server);
    crate::childinfo::close_child_info_pipe(server);
}

/// Called when the user switches from "appendonly yes" to "appendonly no"
/// at runtime using the CONFIG command.
///
/// C: aof.c stopAppendOnly()
pub(crate) fn stop_append_only(server: &mut RedisServer) {
    debug_assert!(server.aof_state != AOF_OFF);
    flush_append_only_file(server, true);
    // SAFETY: fdatasync and close of the AOF fd we own; it is not used
    // again (set to -1 below).
    unsafe {
        crate::bio::redis_fsync(server.aof_fd);
        libc::close(server.aof_fd);
    }

    server.aof_fd = -1;
    server.aof_selected_db = -1;
    server.aof_state = AOF_OFF;
    kill_append_only_child(server);
}

/// Called when the user switches from "appendonly no" to "appendonly yes"
/// at runtime using the CONFIG command.
///
/// C: aof.c startAppendOnly()
pub(crate) fn start_append_only(server: &mut RedisServer) -> CResult {
    let newfd = match open_aof_for_append(&server.aof_filename) {
        Ok(f) => f.into_raw_fd(),
        Err(e) => {
            let cwd = std::env::current_dir()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| "unknown".to_string());
            server_log!(
                server,
                LL_WARNING,
                "Redis needs to enable the AOF but can't open the append only file {} (in server root dir {}): {}",
                server.aof_filename,
                cwd,
                strerror(&e)
            );
            return Err(CErr);
        }
    };
    debug_assert!(server.aof_state == AOF_OFF);
    if server.rdb_child_pid != -1 {
        server.aof_rewrite_scheduled = true;
        server_log!(
            server,
            LL_WARNING,
            "AOF was enabled but there is already a child process saving an RDB file on disk. An AOF background was scheduled to start when possible."
        );
    } else {
        // If there is a pending AOF rewrite, we need to switch it off and
        // start a new one: the old one cannot be reused because it is not
        // accumulating the AOF buffer.
        if server.aof_child_pid != -1 {
            server_log!(
                server,
                LL_WARNING,
                "AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now."
            );
            kill_append_only_child(server);
        }
        if rewrite_append_only_file_background(server).is_err() {
            // SAFETY: closing the fd we just opened.
            unsafe { libc::close(newfd) };
            server_log!(
                server,
                LL_WARNING,
                "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error."
            );
            return Err(CErr);
        }
    }
    // We correctly switched on AOF, now wait for the rewrite to be complete
    // in order to append data on disk.
    server.aof_state = AOF_WAIT_REWRITE;
    server.aof_last_fsync = server.unixtime;
    server.aof_fd = newfd;
    Ok(())
}

/// open(filename, O_WRONLY|O_APPEND|O_CREAT, 0644). (no C twin: C calls
/// open(2) inline, here and in initServer)
pub(crate) fn open_aof_for_append(filename: &str) -> io::Result<File> {
    OpenOptions::new().append(true).create(true).mode(0o644).open(filename)
}

/// This is a wrapper to the write syscall in order to retry on short
/// writes or if the syscall gets interrupted. It could look strange that we
/// retry on short writes given that we are writing to a block device:
/// normally if the first call is short, there is a end-of-space condition,
/// so the next is likely to fail. However apparently in modern systems this
/// is no longer true, and in general it looks just more resilient to retry
/// the write. If there is an actual error condition we'll get it at the
/// next try.
///
/// C: aof.c aofWrite()
pub(crate) fn aof_write(fd: RawFd, mut buf: &[u8]) -> isize {
    let mut totwritten: isize = 0;
    while !buf.is_empty() {
        // SAFETY: write(2) from a live slice.
        let nwritten =
            unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
        if nwritten < 0 {
            if io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return if totwritten != 0 { totwritten } else { -1 };
        }
        buf = &buf[nwritten as usize..];
        totwritten += nwritten;
    }
    totwritten
}

/// Write the append only file buffer on disk.
///
/// Since we are required to write the AOF before replying to the client,
/// and the only way the client socket can get a write is entering when the
/// the event loop, we accumulate all the AOF writes in a memory buffer and
/// write it on disk using this function just before entering the event
/// loop again.
///
/// About the 'force' argument:
///
/// When the fsync policy is set to 'everysec' we may delay the flush if
/// there is still an fsync() going on in the background thread, since for
/// instance on Linux write(2) will be blocked by the background fsync
/// anyway. When this happens we remember that there is some aof buffer to
/// be flushed ASAP, and will try to do that in the serverCron() function.
///
/// However if force is set to 1 we'll write regardless of the background
/// fsync.
///
/// C: aof.c flushAppendOnlyFile()
pub(crate) fn flush_append_only_file(server: &mut RedisServer, force: bool) {
    let mut sync_in_progress = false;

    if server.aof_buf.is_empty() {
        // Check if we need to do fsync even the aof buffer is empty,
        // because previously in AOF_FSYNC_EVERYSEC mode, fsync is called
        // only when aof buffer is not empty, so if users stop write
        // commands before fsync called in one second, the data in page
        // cache cannot be flushed in time.
        if server.aof_fsync == AOF_FSYNC_EVERYSEC
            && server.aof_fsync_offset != server.aof_current_size
            && server.unixtime > server.aof_last_fsync
            && {
                sync_in_progress = aof_fsync_in_progress();
                !sync_in_progress
            }
        {
            return aof_try_fsync(server, sync_in_progress); // C: goto try_fsync
        }
        return;
    }

    if server.aof_fsync == AOF_FSYNC_EVERYSEC {
        sync_in_progress = aof_fsync_in_progress();
    }

    if server.aof_fsync == AOF_FSYNC_EVERYSEC && !force {
        // With this append fsync policy we do background fsyncing. If the
        // fsync is still in progress we can try to delay the write for a
        // couple of seconds.
        if sync_in_progress {
            if server.aof_flush_postponed_start == 0 {
                // No previous write postponing, remember that we are
                // postponing the flush and return.
                server.aof_flush_postponed_start = server.unixtime;
                return;
            } else if server.unixtime - server.aof_flush_postponed_start < 2 {
                // We were already waiting for fsync to finish, but for less
                // than two seconds this is still ok. Postpone again.
                return;
            }
            // Otherwise fall trough, and go write since we can't wait over
            // two seconds.
            server.aof_delayed_fsync += 1;
            server_log!(
                server,
                LL_NOTICE,
                "Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis."
            );
        }
    }
    // We want to perform a single write. This should be guaranteed atomic
    // at least if the filesystem we are writing is a real physical one.
    // While this will save us against the server being killed I don't
    // think there is much to do about the whole server stopping for power
    // problems or alike
    let mut latency = latency_start_monitor(server);
    let mut nwritten = aof_write(server.aof_fd, &server.aof_buf);
    let write_errno = io::Error::last_os_error();
    latency_end_monitor(server, &mut latency);
    // We want to capture different events for delayed writes: when the
    // delay happens with a pending fsync, or with a saving child active,
    // and when the above two conditions are missing. We also use an
    // additional event name to save all samples which is useful for
    // graphing / monitoring purposes.
    if sync_in_progress {
        latency_add_sample_if_needed(
            server,
            "aof-write-pending-fsync",
            latency,
        );
    } else if server.aof_child_pid != -1 || server.rdb_child_pid != -1 {
        latency_add_sample_if_needed(server, "aof-write-active-child", latency);
    } else {
        latency_add_sample_if_needed(server, "aof-write-alone", latency);
    }
    latency_add_sample_if_needed(server, "aof-write", latency);

    // We performed the write so reset the postponed flush sentinel to zero.
    server.aof_flush_postponed_start = 0;

    if nwritten != server.aof_buf.len() as isize {
        let mut can_log = false;

        // Limit logging rate to 1 line per AOF_WRITE_LOG_ERROR_RATE seconds.
        if server.unixtime - server.aof_last_write_error_log
            > AOF_WRITE_LOG_ERROR_RATE
        {
            can_log = true;
            server.aof_last_write_error_log = server.unixtime;
        }

        // Log the AOF write error and record the error code.
        if nwritten == -1 {
            if can_log {
                server_log!(
                    server,
                    LL_WARNING,
                    "Error writing to the AOF file: {}",
                    strerror(&write_errno)
                );
                server.aof_last_write_errno =
                    write_errno.raw_os_error().unwrap_or(0);
            }
        } else {
            if can_log {
                server_log!(
                    server,
                    LL_WARNING,
                    "Short write while writing to the AOF file: (nwritten={}, expected={})",
                    nwritten,
                    server.aof_buf.len()
                );
            }

            // SAFETY: ftruncate(2) on the AOF fd we own.
            if unsafe {
                libc::ftruncate(server.aof_fd, server.aof_current_size)
            } == -1
            {
                if can_log {
                    server_log!(
                        server,
                        LL_WARNING,
                        "Could not remove short write from the append-only file.  Redis may refuse to load the AOF the next time it starts.  ftruncate: {}",
                        strerror(&io::Error::last_os_error())
                    );
                }
            } else {
                // If the ftruncate() succeeded we can set nwritten to -1
                // since there is no longer partial data into the AOF.
                nwritten = -1;
            }
            server.aof_last_write_errno = libc::ENOSPC;
        }

        // Handle the AOF write error.
        if server.aof_fsync == AOF_FSYNC_ALWAYS {
            // We can't recover when the fsync policy is ALWAYS since the
            // reply for the client is already in the output buffers, and we
            // have the contract with the user that on acknowledged write
            // data is synced on disk.
            server_log!(
                server,
                LL_WARNING,
                "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting..."
            );
            std::process::exit(1);
        } else {
            // Recover from failed write leaving data into the buffer.
            // However set an error to stop accepting writes as long as the
            // error condition is not cleared.
            server.aof_last_write_status = Err(CErr);

            // Trim the sds buffer if there was a partial write, and there
            // was no way to undo it with ftruncate(2).
            if nwritten > 0 {
                server.aof_current_size += nwritten as i64;
                server.aof_buf.drain(..nwritten as usize);
            }
            return; // We'll try again on the next call...
        }
    } else {
        // Successful write(2). If AOF was in error state, restore the OK
        // state and log the event.
        if server.aof_last_write_status.is_err() {
            server_log!(
                server,
                LL_WARNING,
                "AOF write error looks solved, Redis can write again."
            );
            server.aof_last_write_status = Ok(());
        }
    }
    server.aof_current_size += nwritten as i64;

    // Re-use AOF buffer when it is small enough. The maximum comes from the
    // arena size of 4k minus some overhead (but is otherwise arbitrary).
    if server.aof_buf.capacity() < 4000 {
        server.aof_buf.clear();
    } else {
        server.aof_buf = Vec::new();
    }

    aof_try_fsync(server, sync_in_progress);
}

/// The `try_fsync:` label of flushAppendOnlyFile(). (no C twin)
fn aof_try_fsync(server: &mut RedisServer, sync_in_progress: bool) {
    // Don't fsync if no-appendfsync-on-rewrite is set to yes and there are
    // children doing I/O in the background.
    if server.aof_no_fsync_on_rewrite
        && (server.aof_child_pid != -1 || server.rdb_child_pid != -1)
    {
        return;
    }

    // Perform the fsync if needed.
    if server.aof_fsync == AOF_FSYNC_ALWAYS {
        // redis_fsync is defined as fdatasync() for Linux in order to avoid
        // flushing metadata.
        let mut latency = latency_start_monitor(server);
        // SAFETY: fdatasync on the AOF fd we own.
        unsafe { crate::bio::redis_fsync(server.aof_fd) }; // Let's try to get this data on the disk
        latency_end_monitor(server, &mut latency);
        latency_add_sample_if_needed(server, "aof-fsync-always", latency);
        server.aof_fsync_offset = server.aof_current_size;
        server.aof_last_fsync = server.unixtime;
    } else if server.aof_fsync == AOF_FSYNC_EVERYSEC
        && server.unixtime > server.aof_last_fsync
    {
        if !sync_in_progress {
            aof_background_fsync(server.aof_fd);
            server.aof_fsync_offset = server.aof_current_size;
        }
        server.aof_last_fsync = server.unixtime;
    }
}

/// Appends `*<count>\r\n` or `$<len>\r\n`. (no C twin: the buf[32] dance of
/// catAppendOnlyGenericCommand)
fn cat_len(dst: &mut Vec<u8>, prefix: u8, n: i64) {
    let mut buf = [0u8; 20];
    dst.push(prefix);
    dst.extend_from_slice(ll2string_buf(&mut buf, n));
    dst.extend_from_slice(b"\r\n");
}

/// Appends one command in the protocol's multi bulk format.
///
/// C: aof.c catAppendOnlyGenericCommand()
pub(crate) fn cat_append_only_generic_command<A: AsRef<[u8]>>(
    dst: &mut Vec<u8>,
    argv: &[A],
) {
    // Divergence from C: the room for the whole command is made once (an
    // upper bound: 20 digits per length), where C's sdscatlen grows the sds
    // piece by piece.
    dst.reserve(23 + argv.iter().map(|a| a.as_ref().len() + 25).sum::<usize>());
    cat_len(dst, b'*', argv.len() as i64);
    for a in argv {
        let a = a.as_ref();
        cat_len(dst, b'$', a.len() as i64);
        dst.extend_from_slice(a);
        dst.extend_from_slice(b"\r\n");
    }
}

/// Create the representation of an PEXPIREAT command, using 'seconds' as
/// time to live and 'cmd' to understand what command we are translating
/// into a PEXPIREAT.
///
/// This command is used in order to translate EXPIRE and PEXPIRE commands
/// into PEXPIREAT command so that we retain precision in the append only
/// file, and the time is always absolute and not relative.
///
/// Divergence from C: `cmd` is the command's name; C compares procs.
///
/// C: aof.c catAppendOnlyExpireAtCommand()
pub(crate) fn cat_append_only_expire_at_command(
    buf: &mut Vec<u8>,
    cmd: &str,
    key: &[u8],
    seconds: &[u8],
) {
    // Make sure we can use strtoll
    let mut when = crate::util::strtoll(seconds, 10).value;
    // Convert argument into milliseconds for EXPIRE, SETEX, EXPIREAT
    if matches!(cmd, "expire" | "setex" | "expireat") {
        when = when.wrapping_mul(1000);
    }
    // Convert into absolute time for EXPIRE, PEXPIRE, SETEX, PSETEX
    if matches!(cmd, "expire" | "pexpire" | "setex" | "psetex") {
        when = when.wrapping_add(mstime());
    }
    let mut lbuf = [0u8; 20];
    let when = ll2string_buf(&mut lbuf, when);
    cat_append_only_generic_command(buf, &[b"PEXPIREAT", key, when]);
}

/// Feed the AOF with a command just executed: translated when needed
/// (relative expires become PEXPIREAT), preceded by a SELECT when the db
/// changed. It goes to `aof_buf`, written before the event loop sleeps,
/// and to the rewrite buffer while a rewrite child runs.
///
/// Divergence from C: `cmd` is the command's name (C passes the command
/// and compares procs); the command is written straight into `aof_buf`
/// instead of a temporary sds, and taken back out if AOF is not on yet.
///
/// C: aof.c feedAppendOnlyFile()
pub(crate) fn feed_append_only_file(
    server: &mut RedisServer,
    cmd: &str,
    dictid: i32,
    argv: &[Vec<u8>],
) {
    let mut buf = std::mem::take(&mut server.aof_buf);
    let start = buf.len();

    // The DB this command was targeting is not the same as the last
    // command we appended. To issue a SELECT command is needed.
    if dictid != server.aof_selected_db {
        let mut lbuf = [0u8; 20];
        let seldb = ll2string_buf(&mut lbuf, dictid as i64);
        buf.extend_from_slice(b"*2\r\n$6\r\nSELECT\r\n");
        cat_len(&mut buf, b'$', seldb.len() as i64);
        buf.extend_from_slice(seldb);
        buf.extend_from_slice(b"\r\n");
        server.aof_selected_db = dictid;
    }

    let arg = |i: usize| argv.get(i).map(Vec::as_slice).unwrap_or_default();
    if matches!(cmd, "expire" | "pexpire" | "expireat") {
        // Translate EXPIRE/PEXPIRE/EXPIREAT into PEXPIREAT
        cat_append_only_expire_at_command(&mut buf, cmd, arg(1), arg(2));
    } else if matches!(cmd, "setex" | "psetex") {
        // Translate SETEX/PSETEX to SET and PEXPIREAT
        cat_append_only_generic_command(&mut buf, &[b"SET", arg(1), arg(3)]);
        cat_append_only_expire_at_command(&mut buf, cmd, arg(1), arg(2));
    } else if cmd == "set" && argv.len() > 3 {
        let mut exarg = None;
        let mut pxarg = None;
        // Translate SET [EX seconds][PX milliseconds] to SET and PEXPIREAT
        cat_append_only_generic_command(&mut buf, &[arg(0), arg(1), arg(2)]);
        for (i, a) in argv.iter().enumerate().skip(3) {
            if a.eq_ignore_ascii_case(b"ex") {
                exarg = Some(arg(i + 1));
            }
            if a.eq_ignore_ascii_case(b"px") {
                pxarg = Some(arg(i + 1));
            }
        }
        if let Some(ex) = exarg {
            cat_append_only_expire_at_command(&mut buf, "expire", arg(1), ex);
        }
        if let Some(px) = pxarg {
            cat_append_only_expire_at_command(&mut buf, "pexpire", arg(1), px);
        }
    } else {
        // All the other commands don't need translation or need the same
        // translation already operated in the command vector for the
        // replication itself.
        cat_append_only_generic_command(&mut buf, argv);
    }

    // If a background append only file rewriting is in progress we want to
    // accumulate the differences between the child DB and the current one
    // in a buffer, so that when the child process will do its work we can
    // append the differences to the new append only file.
    if server.aof_child_pid != -1 {
        aof_rewrite_buffer_append(server, &buf[start..]);
    }

    // Append to the AOF buffer. This will be flushed on disk just before of
    // re-entering the event loop, so before the client will get a positive
    // reply about the operation performed.
    if server.aof_state != AOF_ON {
        buf.truncate(start);
    }
    server.aof_buf = buf;
}

// ----------------------------------------------------------------------------
// AOF loading
// ----------------------------------------------------------------------------

/// In Redis commands are always executed in the context of a client, so in
/// order to load the append only file we need to create a fake client.
///
/// C: aof.c createFakeClient()
fn create_fake_client(server: &mut RedisServer) -> Client {
    let id = ClientId(server.next_client_id);
    server.next_client_id += 1;
    // fd -1: prepare_client_to_write refuses it, so no reply is queued.
    let mut c =
        crate::networking::new_client_struct(id, -1, None, server.unixtime);
    let _ = crate::db::select_db(server, &mut c, 0);
    // We set the fake client as a slave waiting for the synchronization so
    // that Redis will not try to send replies to this client.
    c.replstate = crate::replication::SLAVE_STATE_WAIT_BGSAVE_START;
    c.authenticated = true;
    c
}

/// How loading stopped short of the end. (no C twin: C's labels)
enum LoadErr {
    /// `readerr:` — with `eof` true it falls through to `uxeof:`.
    Read { eof: bool, err: io::Error },
    /// `uxeof:` reached directly (an unfinished MULTI).
    UnexpectedEof,
    /// `fmterr:`
    Format,
}

/// Replay the append log file. On success Ok is returned. On non fatal
/// error (the append only file is zero-length) Err is returned. On fatal
/// error an error message is logged and the program exists.
///
/// C: aof.c loadAppendOnlyFile()
pub(crate) fn load_append_only_file(
    server: &mut RedisServer,
    filename: &str,
) -> CResult {
    let old_aof_state = server.aof_state;
    let file = match File::open(filename) {
        Ok(f) => f,
        Err(e) => {
            server_log!(
                server,
                LL_WARNING,
                "Fatal error: can't open the append log file for reading: {}",
                strerror(&e)
            );
            std::process::exit(1);
        }
    };

    // Handle a zero-length AOF file as a special case. An empty AOF file is
    // a valid AOF because an empty server with AOF enabled will create a
    // zero length file at startup, that will remain like that if no write
    // operation is received.
    let size = file.metadata().map(|m| m.len() as i64).unwrap_or(-1);
    if size == 0 {
        server.aof_current_size = 0;
        server.aof_fsync_offset = server.aof_current_size;
        return Err(CErr);
    }

    // Temporarily disable AOF, to prevent EXEC from feeding a MULTI to the
    // same file we're about to read.
    server.aof_state = AOF_OFF;

    let mut fake_client = create_fake_client(server);
    crate::rdb::start_loading(server, size.max(0));

    let mut valid_up_to: i64 = 0; // Offset of latest well-formed command loaded.
    let mut valid_before_multi: i64 = 0; // Offset before MULTI command loaded.
    let result = load_append_only_file_commands(
        server,
        file,
        &mut fake_client,
        &mut valid_up_to,
        &mut valid_before_multi,
    );
    let err = match result {
        Ok(()) => {
            // This point can only be reached when EOF is reached without
            // errors. If the client is in the middle of a MULTI/EXEC,
            // handle it as it was a short read, even if technically the
            // protocol is correct: we want to remove the unprocessed tail
            // and continue.
            if fake_client.flags & CLIENT_MULTI != 0 {
                server_log!(
                    server,
                    LL_WARNING,
                    "Revert incomplete MULTI/EXEC transaction in AOF file"
                );
                valid_up_to = valid_before_multi;
                LoadErr::UnexpectedEof
            } else {
                return aof_loaded_ok(server, old_aof_state);
            }
        }
        Err(e) => e,
    };

    match err {
        LoadErr::Read { eof: false, err } => {
            // Read error. If feof(fp) is true, fall through to unexpected EOF.
            server_log!(
                server,
                LL_WARNING,
                "Unrecoverable error reading the append only file: {}",
                strerror(&err)
            );
            std::process::exit(1);
        }
        LoadErr::Read { eof: true, .. } | LoadErr::UnexpectedEof => {
            // Unexpected AOF end of file.
            if server.aof_load_truncated {
                server_log!(
                    server,
                    LL_WARNING,
                    "!!! Warning: short read while loading the AOF file !!!"
                );
                server_log!(
                    server,
                    LL_WARNING,
                    "!!! Truncating the AOF at offset {} !!!",
                    valid_up_to
                );
                let truncated = if valid_up_to == -1 {
                    Err(None)
                } else {
                    OpenOptions::new()
                        .write(true)
                        .open(filename)
                        .and_then(|f| f.set_len(valid_up_to as u64))
                        .map_err(Some)
                };
                match truncated {
                    Err(None) => {
                        server_log!(
                            server,
                            LL_WARNING,
                            "Last valid command offset is invalid"
                        );
                    }
                    Err(Some(e)) => {
                        server_log!(
                            server,
                            LL_WARNING,
                            "Error truncating the AOF file: {}",
                            strerror(&e)
                        );
                    }
                    Ok(()) => {
                        // Make sure the AOF file descriptor points to the
                        // end of the file after the truncate call.
                        if server.aof_fd != -1
                            // SAFETY: lseek(2) on the AOF fd we own.
                            && unsafe {
                                libc::lseek(server.aof_fd, 0, libc::SEEK_END)
                            } == -1
                        {
                            server_log!(
                                server,
                                LL_WARNING,
                                "Can't seek the end of the AOF file: {}",
                                strerror(&io::Error::last_os_error())
                            );
                        } else {
                            server_log!(
                                server,
                                LL_WARNING,
                                "AOF loaded anyway because aof-load-truncated is enabled"
                            );
                            return aof_loaded_ok(server, old_aof_state);
                        }
                    }
                }
            }
            server_log!(
                server,
                LL_WARNING,
                "Unexpected end of file reading the append only file. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server."
            );
            std::process::exit(1);
        }
        LoadErr::Format => {
            // Format error.
            server_log!(
                server,
                LL_WARNING,
                "Bad file format reading the append only file: make a backup of your AOF file, then use ./redis-check-aof --fix <filename>"
            );
            std::process::exit(1);
        }
    }
}

/// The `loaded_ok:` label of loadAppendOnlyFile(). (no C twin)
fn aof_loaded_ok(server: &mut RedisServer, old_aof_state: i32) -> CResult {
    // DB loaded, cleanup and return C_OK to the caller.
    server.aof_state = old_aof_state;
    crate::rdb::stop_loading(server);
    aof_update_current_size(server);
    server.aof_rewrite_base_size = server.aof_current_size;
    server.aof_fsync_offset = server.aof_current_size;
    Ok(())
}

/// The body of loadAppendOnlyFile() between startLoading() and the labels:
/// the RDB preamble, then the commands one by one. (no C twin)
fn load_append_only_file_commands(
    server: &mut RedisServer,
    file: File,
    fake_client: &mut Client,
    valid_up_to: &mut i64,
    valid_before_multi: &mut i64,
) -> Result<(), LoadErr> {
    let rd = |e: io::Error| LoadErr::Read {
        eof: e.kind() == io::ErrorKind::UnexpectedEof,
        err: e,
    };
    let mut loops: u64 = 0;

    // Check if this AOF file has an RDB preamble. In that case we need to
    // load the RDB file and later continue loading the AOF tail.
    let mut rdb = rio_init_with_file(file);
    let mut sig = [0u8; 5]; // "REDIS"
    let has_preamble =
        crate::rio::rio_read(&mut rdb, &mut sig).is_ok() && &sig == b"REDIS";
    let mut fp = rio_into_file(rdb).ok_or(LoadErr::Format)?;
    fp.seek_start().map_err(rd)?;
    if has_preamble {
        // RDB preamble. Pass loading the RDB functions.
        server_log!(server, LL_NOTICE, "Reading RDB preamble from AOF file...");
        let mut rdb = crate::rio::rio_from_file(fp);
        if let Err(err) = crate::rdb::rdb_load_rio(server, &mut rdb, None, true)
        {
            server_log!(
                server,
                LL_WARNING,
                "Error reading the RDB preamble of the AOF file, AOF loading aborted"
            );
            // C: goto readerr with feof(fp) false (rdbLoadRio returns
            // C_ERR only for a bad version or signature; short reads exit
            // inside it), so this is never taken for a truncated file.
            return Err(LoadErr::Read { eof: false, err });
        } else {
            server_log!(server, LL_NOTICE, "Reading the remaining AOF tail...");
        }
        fp = rio_into_file(rdb).ok_or(LoadErr::Format)?;
    }

    // Read the actual AOF file, in REPL format, command by command.
    let mut buf = Vec::with_capacity(128);
    loop {
        // Serve the clients from time to time
        if loops.is_multiple_of(1000) {
            crate::rdb::loading_progress(server, fp.tell() as i64);
            crate::networking::process_events_while_blocked(server);
        }
        loops += 1;

        if !fp.fgets(&mut buf, 128).map_err(rd)? {
            break; // feof(fp)
        }
        if buf[0] != b'*' {
            return Err(LoadErr::Format);
        }
        if buf.len() == 1 {
            return Err(rd(io::Error::from(io::ErrorKind::UnexpectedEof)));
        }
        let argc = crate::util::atoi(&buf[1..]);
        if argc < 1 {
            return Err(LoadErr::Format);
        }

        // Load the next command in the AOF as our fake client argv.
        let mut argv: Vec<Vec<u8>> =
            Vec::with_capacity((argc as usize).min(1024));
        for _ in 0..argc {
            // Parse the argument len.
            if !fp.fgets(&mut buf, 128).map_err(rd)? {
                return Err(rd(io::Error::from(io::ErrorKind::UnexpectedEof)));
            }
            if buf[0] != b'$' {
                return Err(LoadErr::Format);
            }
            let len = crate::util::strtol(&buf[1..], 10).value;

            // Read it into a string object. Divergence from C: a length
            // beyond the end of the file is a short read (C would try to
            // allocate it first).
            let arg = fp.fread_vec(len).map_err(rd)?;
            argv.push(arg);

            // Discard CRLF.
            let mut crlf = [0u8; 2];
            fp.fread_exact(&mut crlf).map_err(rd)?;
        }

        // Command lookup
        let Some(cmd) = crate::server::lookup_command(server, &argv[0]) else {
            server_log!(
                server,
                LL_WARNING,
                "Unknown command '{}' reading the append only file",
                String::from_utf8_lossy(&argv[0])
            );
            std::process::exit(1);
        };
        // Divergence from C: the arity is checked (C runs the command with
        // any argc, which a damaged file can turn into a crash).
        let arity = server.commands[cmd].arity;
        if (arity > 0 && arity != argc) || argc < -arity {
            return Err(LoadErr::Format);
        }

        if server.commands[cmd].name == "multi" {
            *valid_before_multi = *valid_up_to;
        }

        // Run the command in the context of a fake client
        fake_client.argv = argv;
        fake_client.cmd = Some(cmd);
        if fake_client.flags & CLIENT_MULTI != 0
            && server.commands[cmd].name != "exec"
        {
            crate::multi::queue_multi_command(server, fake_client);
        } else {
            (server.commands[cmd].proc_)(server, fake_client);
        }

        // The fake client should never get blocked
        if fake_client.flags & CLIENT_BLOCKED != 0 {
            // C: serverAssert((fakeClient->flags & CLIENT_BLOCKED) == 0)
            server_log!(
                server,
                LL_WARNING,
                "A command of the append only file blocked its client: the AOF is damaged"
            );
            std::process::exit(1);
        }

        // Clean up. Command code may have changed argv/argc so we use the
        // argv/argc of the client instead of the local variables.
        fake_client.argv.clear();
        fake_client.cmd = None;
        if server.aof_load_truncated {
            *valid_up_to = fp.tell() as i64;
        }
    }
    Ok(())
}

// ----------------------------------------------------------------------------
// AOF rewrite
// ----------------------------------------------------------------------------

/// `*<2+n>\r\n$<len>\r\n<CMD>\r\n$<len>\r\n<key>\r\n`, the head of one
/// batched command of a rewrite. (no C twin: the `count == 0` block every
/// rewrite*Object repeats)
fn rio_write_batch_head(
    r: &mut Rio,
    cmd: &[u8],
    key: &[u8],
    items: i64,
    per_item: i64,
) -> io::Result<()> {
    let cmd_items = items.min(AOF_REWRITE_ITEMS_PER_CMD);
    check(rio_write_bulk_count(r, b'*', 2 + cmd_items * per_item))?;
    check(rio_write_bulk_string(r, cmd))?;
    check(rio_write_bulk_string(r, key))?;
    Ok(())
}

/// C's rio*Bulk* return 0 on error. (no C twin)
fn check(n: usize) -> io::Result<()> {
    if n == 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Writes `items` as the batched commands every rewrite*Object emits:
/// `cmd key item…` with at most AOF_REWRITE_ITEMS_PER_CMD items each,
/// `per_item` bulk strings per item, written by `write`. (no C twin: the
/// `count`/`items` loop each rewrite*Object repeats)
fn rewrite_batched<I: IntoIterator>(
    r: &mut Rio,
    cmd: &[u8],
    key: &[u8],
    total: usize,
    per_item: i64,
    items: I,
    mut write: impl FnMut(&mut Rio, I::Item) -> io::Result<()>,
) -> io::Result<()> {
    let mut count = 0;
    let mut left = total as i64;
    for item in items {
        if count == 0 {
            rio_write_batch_head(r, cmd, key, left, per_item)?;
        }
        write(r, item)?;
        count += 1;
        if count == AOF_REWRITE_ITEMS_PER_CMD {
            count = 0;
        }
        left -= 1;
    }
    Ok(())
}

/// Emit the commands needed to rebuild a list object.
///
/// C: aof.c rewriteListObject()
fn rewrite_list_object(
    r: &mut Rio,
    key: &[u8],
    l: &crate::t_list::List,
) -> io::Result<()> {
    rewrite_batched(r, b"RPUSH", key, l.len(), 1, l.iter(), |r, ele| {
        check(rio_write_bulk_string(r, ele))
    })
}

/// Emit the commands needed to rebuild a set object.
///
/// C: aof.c rewriteSetObject()
fn rewrite_set_object(
    r: &mut Rio,
    key: &[u8],
    s: &crate::t_set::Set,
) -> io::Result<()> {
    rewrite_batched(r, b"SADD", key, s.len(), 1, s.iter(), |r, ele| {
        check(rio_write_bulk_string(r, &ele))
    })
}

/// Emit the commands needed to rebuild a sorted set object.
///
/// C: aof.c rewriteSortedSetObject()
fn rewrite_sorted_set_object(
    r: &mut Rio,
    key: &[u8],
    zs: &crate::t_zset::ZSet,
) -> io::Result<()> {
    // Divergence from C: a skiplist-encoded set is walked in score order
    // (C walks its dict); the commands rebuild the same set.
    rewrite_batched(
        r,
        b"ZADD",
        key,
        zs.len(),
        2,
        zs.iter(),
        |r, (ele, score)| {
            check(rio_write_bulk_double(r, score))?;
            check(rio_write_bulk_string(r, ele))
        },
    )
}

/// Emit the commands needed to rebuild a hash object.
///
/// C: aof.c rewriteHashObject()
/// C: aof.c rioWriteHashIteratorCursor() (the field and the value of each
/// pair, written as they are stored)
fn rewrite_hash_object(
    r: &mut Rio,
    key: &[u8],
    h: &crate::t_hash::Hash,
) -> io::Result<()> {
    rewrite_batched(
        r,
        b"HMSET",
        key,
        h.len(),
        2,
        h.iter(),
        |r, (field, value)| {
            check(rio_write_bulk_string(r, field))?;
            check(rio_write_bulk_string(r, value))
        },
    )
}

/// Write a stream ID as a bulk string in its <ms>-<seq> form.
///
/// C: aof.c rioWriteBulkStreamID()
fn rio_write_bulk_stream_id(
    r: &mut Rio,
    id: &crate::t_stream::StreamID,
) -> io::Result<()> {
    check(rio_write_bulk_string(r, &crate::t_stream::stream_id_to_string(id)))
}

/// Helper for rewriteStreamObject(): emit the XCLAIM needed in order to
/// add the message described by 'nack' having the id 'rawid', into the
/// pending list of the specified consumer. All this in the context of the
/// specified key and group.
///
/// C: aof.c rioWriteStreamPendingEntry()
fn rio_write_stream_pending_entry(
    r: &mut Rio,
    key: &[u8],
    groupname: &[u8],
    consumer: &crate::t_stream::StreamConsumer,
    rawid: &crate::t_stream::StreamKey,
    nack: &crate::t_stream::StreamNACK,
) -> io::Result<()> {
    // XCLAIM <key> <group> <consumer> 0 <id> TIME <milliseconds-unix-time>
    //        RETRYCOUNT <count> JUSTID FORCE.
    let id = crate::t_stream::stream_decode_id(rawid);
    check(rio_write_bulk_count(r, b'*', 12))?;
    check(rio_write_bulk_string(r, b"XCLAIM"))?;
    check(rio_write_bulk_string(r, key))?;
    check(rio_write_bulk_string(r, groupname))?;
    check(rio_write_bulk_string(r, &consumer.name))?;
    check(rio_write_bulk_string(r, b"0"))?;
    rio_write_bulk_stream_id(r, &id)?;
    check(rio_write_bulk_string(r, b"TIME"))?;
    check(rio_write_bulk_long_long(r, nack.delivery_time))?;
    check(rio_write_bulk_string(r, b"RETRYCOUNT"))?;
    check(rio_write_bulk_long_long(r, nack.delivery_count as i64))?;
    check(rio_write_bulk_string(r, b"JUSTID"))?;
    check(rio_write_bulk_string(r, b"FORCE"))?;
    Ok(())
}

/// Emit the commands needed to rebuild a stream object.
///
/// C: aof.c rewriteStreamObject()
fn rewrite_stream_object(
    r: &mut Rio,
    key: &[u8],
    s: &crate::t_stream::Stream,
) -> io::Result<()> {
    let mut si =
        crate::t_stream::StreamIterator::start(&s.rax, None, None, false);

    if s.length != 0 {
        // Reconstruct the stream data using XADD commands.
        while let Some((id, mut numfields)) = si.get_id(&s.rax) {
            // Emit the XADD <key> <id> ...fields... command.
            check(rio_write_bulk_count(r, b'*', 3 + numfields * 2))?;
            check(rio_write_bulk_string(r, b"XADD"))?;
            check(rio_write_bulk_string(r, key))?;
            rio_write_bulk_stream_id(r, &id)?;
            while numfields > 0 {
                let (field, value) = si.get_field(&s.rax);
                check(rio_write_bulk_string(r, &field.to_vec()))?;
                check(rio_write_bulk_string(r, &value.to_vec()))?;
                numfields -= 1;
            }
        }
    } else {
        // Use the XADD MAXLEN 0 trick to generate an empty stream if the
        // key we are serializing is an empty string, which is possible for
        // the Stream type.
        check(rio_write_bulk_count(r, b'*', 7))?;
        check(rio_write_bulk_string(r, b"XADD"))?;
        check(rio_write_bulk_string(r, key))?;
        check(rio_write_bulk_string(r, b"MAXLEN"))?;
        check(rio_write_bulk_string(r, b"0"))?;
        // Divergence from C: 5.0.14 writes the stream's last ID here, and
        // an empty stream whose last ID is 0-0 (XGROUP CREATE ... MKSTREAM)
        // makes that XADD fail, so the key and its groups are lost from
        // the rewritten AOF; as Redis 6.0 does, 0-1 is written, and the
        // XSETID below restores the last ID.
        rio_write_bulk_stream_id(
            r,
            &crate::t_stream::StreamID { ms: 0, seq: 1 },
        )?;
        check(rio_write_bulk_string(r, b"x"))?;
        check(rio_write_bulk_string(r, b"y"))?;
    }

    // Append XSETID after XADD, make sure lastid is correct, in case of
    // XDEL lastid.
    check(rio_write_bulk_count(r, b'*', 3))?;
    check(rio_write_bulk_string(r, b"XSETID"))?;
    check(rio_write_bulk_string(r, key))?;
    rio_write_bulk_stream_id(r, &s.last_id)?;

    // Create all the stream consumer groups.
    if let Some(cgroups) = &s.cgroups {
        for (name, group) in cgroups {
            // Emit the XGROUP CREATE in order to create the group.
            check(rio_write_bulk_count(r, b'*', 5))?;
            check(rio_write_bulk_string(r, b"XGROUP"))?;
            check(rio_write_bulk_string(r, b"CREATE"))?;
            check(rio_write_bulk_string(r, key))?;
            check(rio_write_bulk_string(r, name))?;
            rio_write_bulk_stream_id(r, &group.last_id)?;

            // Generate XCLAIMs for each consumer that happens to have
            // pending entries. Empty consumers have no semantical value so
            // they are discarded.
            for consumer in group.consumers.values() {
                // For the current consumer, iterate all the PEL entries to
                // emit the XCLAIM protocol.
                for rawid in &consumer.pel {
                    let Some(nack) = group.pel.get(rawid) else { continue };
                    rio_write_stream_pending_entry(
                        r, key, name, consumer, rawid, nack,
                    )?;
                }
            }
        }
    }
    Ok(())
}

/// This function is called by the child rewriting the AOF file to read the
/// difference accumulated from the parent into a buffer, that is
/// concatenated at the end of the rewrite.
///
/// C: aof.c aofReadDiffFromParent()
pub(crate) fn aof_read_diff_from_parent(server: &RedisServer) -> usize {
    let mut buf = [0u8; 65536]; // Default pipe buffer size on most Linux systems.
    let mut total = 0;
    let mut diff = server.aof_child_diff.borrow_mut();
    loop {
        // SAFETY: read(2) into our own stack buffer from the (non blocking)
        // data pipe.
        let nread = unsafe {
            libc::read(
                server.aof_pipe_read_data_from_parent,
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        };
        if nread <= 0 {
            break;
        }
        diff.extend_from_slice(&buf[..nread as usize]);
        total += nread as usize;
    }
    total
}

/// Write every key of every database as the commands that rebuild it.
/// String values are written as C's rioWriteBulkObject writes them: an
/// INT-encoded one as a bulk long long, the others as their bytes.
///
/// C: aof.c rewriteAppendOnlyFileRio()
/// C: aof.c rioWriteBulkObject()
pub(crate) fn rewrite_append_only_file_rio(
    server: &RedisServer,
    aof: &mut Rio,
) -> io::Result<()> {
    let mut processed = 0;

    for j in 0..server.dbnum as usize {
        let db = &server.db[j];
        if db.dict.dict_size() == 0 {
            continue;
        }

        // SELECT the new DB
        rio_write(aof, b"*2\r\n$6\r\nSELECT\r\n")?;
        check(rio_write_bulk_long_long(aof, j as i64))?;

        // Iterate this DB writing every entry
        for de in db.dict.iter() {
            let key: &[u8] = de.key();
            let o = de.val();
            let expiretime = crate::db::get_expire(server, j, key);

            // Save the key and associated value
            match &o.ptr {
                crate::object::Value::Str(s) => {
                    // Emit a SET command
                    rio_write(aof, b"*3\r\n$3\r\nSET\r\n")?;
                    // Key and value
                    check(rio_write_bulk_string(aof, key))?;
                    check(rio_write_bulk_string(aof, s))?;
                }
                crate::object::Value::Int(i) => {
                    rio_write(aof, b"*3\r\n$3\r\nSET\r\n")?;
                    check(rio_write_bulk_string(aof, key))?;
                    check(rio_write_bulk_long_long(aof, *i))?;
                }
                crate::object::Value::List(l) => {
                    rewrite_list_object(aof, key, l)?
                }
                crate::object::Value::Set(s) => {
                    rewrite_set_object(aof, key, s)?
                }
                crate::object::Value::ZSet(zs) => {
                    rewrite_sorted_set_object(aof, key, zs)?
                }
                crate::object::Value::Hash(h) => {
                    rewrite_hash_object(aof, key, h)?
                }
                crate::object::Value::Stream(s) => {
                    rewrite_stream_object(aof, key, s)?
                }
            }
            // Save the expire time
            if expiretime != -1 {
                rio_write(aof, b"*3\r\n$9\r\nPEXPIREAT\r\n")?;
                check(rio_write_bulk_string(aof, key))?;
                check(rio_write_bulk_long_long(aof, expiretime))?;
            }
            // Read some diff from the parent process from time to time.
            if aof.processed_bytes > processed + AOF_READ_DIFF_INTERVAL_BYTES {
                processed = aof.processed_bytes;
                aof_read_diff_from_parent(server);
            }
        }
    }
    Ok(())
}

/// Write a sequence of commands able to fully rebuild the dataset into
/// "filename". Used both by REWRITEAOF and BGREWRITEAOF.
///
/// In order to minimize the number of commands needed in the rewritten
/// log Redis uses variadic commands when possible, such as RPUSH, SADD and
/// ZADD. However at max AOF_REWRITE_ITEMS_PER_CMD items per time are
/// inserted using a single command.
///
/// C: aof.c rewriteAppendOnlyFile()
pub(crate) fn rewrite_append_only_file(
    server: &mut RedisServer,
    filename: &str,
) -> CResult {
    // Note that we have to use a different temp name here compared to the
    // one used by rewriteAppendOnlyFileBackground() function.
    let tmpfile = format!("temp-rewriteaof-{}.aof", std::process::id());
    let fp = match File::create(&tmpfile) {
        Ok(f) => f,
        Err(e) => {
            server_log!(
                server,
                LL_WARNING,
                "Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): {}",
                strerror(&e)
            );
            return Err(CErr);
        }
    };

    server.aof_child_diff.borrow_mut().clear();
    let mut aof = rio_init_with_file(fp);

    if server.aof_rewrite_incremental_fsync {
        rio_set_auto_sync(&mut aof, REDIS_AUTOSYNC_BYTES);
    }

    match rewrite_append_only_file_body(server, aof, &tmpfile, filename) {
        Ok(()) => {
            server_log!(
                server,
                LL_NOTICE,
                "SYNC append only file rewrite performed"
            );
            Ok(())
        }
        Err(RewriteErr::Rename(e)) => {
            server_log!(
                server,
                LL_WARNING,
                "Error moving temp append only file on the final destination: {}",
                strerror(&e)
            );
            let _ = std::fs::remove_file(&tmpfile);
            Err(CErr)
        }
        Err(RewriteErr::Write(e)) => {
            // C: the werr: label.
            server_log!(
                server,
                LL_WARNING,
                "Write error writing append only file on disk: {}",
                strerror(&e)
            );
            let _ = std::fs::remove_file(&tmpfile);
            Err(CErr)
        }
    }
}

/// How rewriteAppendOnlyFile() failed. (no C twin)
enum RewriteErr {
    Write(io::Error),
    Rename(io::Error),
}

impl From<io::Error> for RewriteErr {
    fn from(e: io::Error) -> Self {
        RewriteErr::Write(e)
    }
}

/// The part of rewriteAppendOnlyFile() that can `goto werr`. (no C twin)
fn rewrite_append_only_file_body(
    server: &mut RedisServer,
    mut aof: Rio,
    tmpfile: &str,
    filename: &str,
) -> Result<(), RewriteErr> {
    if server.aof_use_rdb_preamble {
        crate::rdb::rdb_save_rio(
            server,
            &mut aof,
            crate::rdb::RDB_SAVE_AOF_PREAMBLE,
            None,
        )?;
    } else {
        rewrite_append_only_file_rio(server, &mut aof)?;
    }

    // Do an initial slow fsync here while the parent is still sending data,
    // in order to make the next final fsync faster.
    let mut fp = rio_into_file(aof)
        .ok_or_else(|| io::Error::from_raw_os_error(libc::EINVAL))?;
    fp.fflush()?;
    fp.file().sync_all()?;

    // Read again a few times to get more data from the parent. We can't
    // read forever (the server may receive data from clients faster than
    // it is able to send data to the child), so we try to read some more
    // data in a loop as soon as there is a good chance more data will come.
    // If it looks like we are wasting time, we abort (this happens after 20
    // ms without new data).
    let mut nodata = 0;
    let start = mstime();
    while mstime() - start < 1000 && nodata < 20 {
        if ae::ae_wait(server.aof_pipe_read_data_from_parent, AE_READABLE, 1)
            <= 0
        {
            nodata += 1;
            continue;
        }
        nodata = 0; // Start counting from zero, we stop on N *contiguous* timeouts.
        aof_read_diff_from_parent(server);
    }

    // Ask the master to stop sending diffs.
    // SAFETY: write(2) of one byte from a static to the ack pipe we own.
    if unsafe {
        libc::write(
            server.aof_pipe_write_ack_to_parent,
            b"!".as_ptr().cast(),
            1,
        )
    } != 1
    {
        return Err(io::Error::last_os_error().into());
    }
    // We read the ACK from the server using a 10 seconds timeout. Normally
    // it should reply ASAP, but just in case we lose its reply, we are sure
    // the child will eventually get terminated.
    let mut byte = 0u8;
    if ae::ae_wait(server.aof_pipe_read_ack_from_parent, AE_READABLE, 5000) <= 0
        // SAFETY: read(2) of one byte into a local from the ack pipe.
        || unsafe {
            libc::read(
                server.aof_pipe_read_ack_from_parent,
                (&mut byte as *mut u8).cast(),
                1,
            )
        } != 1
        || byte != b'!'
    {
        return Err(io::Error::from_raw_os_error(libc::ETIMEDOUT).into());
    }
    server_log!(
        server,
        LL_NOTICE,
        "Parent agreed to stop sending diffs. Finalizing AOF..."
    );

    // Read the final diff if any.
    aof_read_diff_from_parent(server);

    // Write the received diff to the file.
    let diff = std::mem::take(&mut *server.aof_child_diff.borrow_mut());
    server_log!(
        server,
        LL_NOTICE,
        "Concatenating {:.2} MB of AOF diff received from parent.",
        diff.len() as f64 / (1024.0 * 1024.0)
    );
    let mut aof = crate::rio::rio_from_file(fp);
    rio_write(&mut aof, &diff)?;

    // Make sure data will not remain on the OS's output buffers
    let fp = rio_into_file(aof)
        .ok_or_else(|| io::Error::from_raw_os_error(libc::EINVAL))?;
    let file = fp.fclose()?;
    file.sync_all()?;
    drop(file);

    // Use RENAME to make sure the DB file is changed atomically only if the
    // generate DB file is ok.
    std::fs::rename(tmpfile, filename).map_err(RewriteErr::Rename)?;
    Ok(())
}

// ----------------------------------------------------------------------------
// AOF rewrite pipes for IPC
// ----------------------------------------------------------------------------

/// This event handler is called when the AOF rewriting child sends us a
/// single '!' char to signal we should stop sending buffer diffs. The
/// parent sends a '!' as well to acknowledge.
///
/// C: aof.c aofChildPipeReadable()
pub(crate) fn aof_child_pipe_readable(
    server: &mut RedisServer,
    fd: RawFd,
    _data: ClientData,
    _mask: i32,
) {
    let mut byte = 0u8;
    // SAFETY: read(2) of one byte into a local from the ack pipe.
    if unsafe { libc::read(fd, (&mut byte as *mut u8).cast(), 1) } == 1
        && byte == b'!'
    {
        server_log!(
            server,
            LL_NOTICE,
            "AOF rewrite child asks to stop sending diffs."
        );
        server.aof_stop_sending_diff = true;
        // SAFETY: write(2) of one byte from a static to the ack pipe.
        if unsafe {
            libc::write(
                server.aof_pipe_write_ack_to_child,
                b"!".as_ptr().cast(),
                1,
            )
        } != 1
        {
            // If we can't send the ack, inform the user, but don't try
            // again since in the other side the children will use a
            // timeout if the kernel can't buffer our write, or, the
            // children was terminated.
            server_log!(
                server,
                LL_WARNING,
                "Can't send ACK to AOF child: {}",
                strerror(&io::Error::last_os_error())
            );
        }
    }
    // Remove the handler since this can be called only one time during a
    // rewrite.
    ae::ae_delete_file_event(
        &mut server.el,
        server.aof_pipe_read_ack_from_child,
        AE_READABLE,
    );
}

/// Create the pipes used for parent - child process IPC during rewrite.
/// We have a data pipe used to send AOF incremental diffs to the child, and
/// two other pipes used by the children to signal it finished with the
/// rewrite so no more data should be written, and another for the parent
/// to acknowledge it understood this new condition.
///
/// C: aof.c aofCreatePipes()
pub(crate) fn aof_create_pipes(server: &mut RedisServer) -> CResult {
    let mut fds: [RawFd; 6] = [-1; 6];
    let made = (|| -> io::Result<()> {
        for j in 0..3 {
            let mut p = [0 as libc::c_int; 2];
            // SAFETY: pipe(2) fills our two-int array.
            if unsafe { libc::pipe(p.as_mut_ptr()) } == -1 {
                return Err(io::Error::last_os_error());
            }
            fds[j * 2] = p[0];
            fds[j * 2 + 1] = p[1];
        }
        // Parent -> children data is non blocking.
        for fd in [fds[0], fds[1]] {
            // SAFETY: fcntl(2) on a pipe end we just made.
            unsafe {
                let flags = libc::fcntl(fd, libc::F_GETFL);
                if flags == -1
                    || libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK)
                        == -1
                {
                    return Err(io::Error::last_os_error());
                }
            }
        }
        ae::ae_create_file_event(
            &mut server.el,
            fds[2],
            AE_READABLE,
            aof_child_pipe_readable,
            ClientData::None,
        )
    })();
    if let Err(e) = made {
        server_log!(
            server,
            LL_WARNING,
            "Error opening /setting AOF rewrite IPC pipes: {}",
            strerror(&e)
        );
        for fd in fds.into_iter().filter(|&fd| fd != -1) {
            // SAFETY: closing pipe ends we made and nobody else has.
            unsafe { libc::close(fd) };
        }
        return Err(CErr);
    }

    server.aof_pipe_write_data_to_child = fds[1];
    server.aof_pipe_read_data_from_parent = fds[0];
    server.aof_pipe_write_ack_to_parent = fds[3];
    server.aof_pipe_read_ack_from_child = fds[2];
    server.aof_pipe_write_ack_to_child = fds[5];
    server.aof_pipe_read_ack_from_parent = fds[4];
    server.aof_stop_sending_diff = false;
    Ok(())
}

/// C: aof.c aofClosePipes()
pub(crate) fn aof_close_pipes(server: &mut RedisServer) {
    ae::ae_delete_file_event(
        &mut server.el,
        server.aof_pipe_read_ack_from_child,
        AE_READABLE,
    );
    ae::ae_delete_file_event(
        &mut server.el,
        server.aof_pipe_write_data_to_child,
        AE_WRITABLE,
    );
    for fd in [
        &mut server.aof_pipe_write_data_to_child,
        &mut server.aof_pipe_read_data_from_parent,
        &mut server.aof_pipe_write_ack_to_parent,
        &mut server.aof_pipe_read_ack_from_child,
        &mut server.aof_pipe_write_ack_to_child,
        &mut server.aof_pipe_read_ack_from_parent,
    ] {
        if *fd != -1 {
            // SAFETY: closing a pipe end we own; it is marked -1 after.
            unsafe { libc::close(*fd) };
        }
        // Divergence from C: the fields are reset, so a second call (or a
        // stale handler) cannot close an fd number reused since.
        *fd = -1;
    }
}

// ----------------------------------------------------------------------------
// AOF background rewrite
// ----------------------------------------------------------------------------

/// This is how rewriting of the append only file in background works:
///
/// 1) The user calls BGREWRITEAOF
/// 2) Redis calls this function, that forks():
///    2a) the child rewrite the append only file in a temp file.
///    2b) the parent accumulates differences in server.aof_rewrite_buf.
/// 3) When the child finished '2a' exists.
/// 4) The parent will trap the exit code, if it's OK, will append the data
///    accumulated into server.aof_rewrite_buf into the temp file, and
///    finally will rename(2) the temp file in the actual file name. The the
///    new file is reopened as the new append only file. Profit!
///
/// C: aof.c rewriteAppendOnlyFileBackground()
pub(crate) fn rewrite_append_only_file_background(
    server: &mut RedisServer,
) -> CResult {
    if server.aof_child_pid != -1 || server.rdb_child_pid != -1 {
        return Err(CErr);
    }
    aof_create_pipes(server)?;
    crate::childinfo::open_child_info_pipe(server);
    let start = ustime();
    // SAFETY: as for the BGSAVE child (rdb_save_background): only this
    // thread is copied, the bio threads hold nothing the child uses, and
    // jemalloc's atfork handlers keep the allocator consistent. The child
    // writes its temp file and the pipes, never touches the event loop, and
    // leaves through exit_from_child (libc::_exit).
    let childpid = unsafe { libc::fork() };
    if childpid == 0 {
        // Child
        crate::rdb::close_clild_unused_resource_after_fork(server);
        // Divergence from C: no redisSetProcTitle("redis-aof-rewrite").
        let tmpfile = format!("temp-rewriteaof-bg-{}.aof", std::process::id());
        if rewrite_append_only_file(server, &tmpfile).is_ok() {
            let private_dirty = crate::childinfo::zmalloc_get_private_dirty();

            if private_dirty != 0 {
                server_log!(
                    server,
                    LL_NOTICE,
                    "AOF rewrite: {} MB of memory used by copy-on-write",
                    private_dirty / (1024 * 1024)
                );
            }

            server.child_info_data.cow_size = private_dirty;
            crate::childinfo::send_child_info(
                server,
                crate::childinfo::CHILD_INFO_TYPE_AOF,
            );
            exit_from_child(0);
        } else {
            exit_from_child(1);
        }
    } else {
        // Parent
        let fork_errno = io::Error::last_os_error();
        crate::server::fork_stats(server, start);
        if childpid == -1 {
            crate::childinfo::close_child_info_pipe(server);
            server_log!(
                server,
                LL_WARNING,
                "Can't rewrite append only file in background: fork: {}",
                strerror(&fork_errno)
            );
            aof_close_pipes(server);
            return Err(CErr);
        }
        crate::server::fork_started(
            server,
            childpid,
            "Background append only file rewriting",
            "aof_rewrite",
        );
        server.aof_rewrite_scheduled = false;
        server.aof_rewrite_time_start = crate::server::mstime() / 1000;
        server.aof_child_pid = childpid;
        crate::server::update_dict_resize_policy(server);
        // We set appendseldb to -1 in order to force the next call to the
        // feedAppendOnlyFile() to issue a SELECT command, so the
        // differences accumulated by the parent into
        // server.aof_rewrite_buf will start with a SELECT statement and it
        // will be safe to merge.
        server.aof_selected_db = -1;
        crate::replication::replication_script_cache_flush(server);
        Ok(())
    }
}

/// BGREWRITEAOF
///
/// C: aof.c bgrewriteaofCommand()
pub(crate) fn bgrewriteaof_command(server: &mut RedisServer, c: &mut Client) {
    if server.aof_child_pid != -1 {
        add_reply_error(
            c,
            "Background append only file rewriting already in progress",
        );
    } else if server.rdb_child_pid != -1 {
        server.aof_rewrite_scheduled = true;
        add_reply_status(c, "Background append only file rewriting scheduled");
    } else if rewrite_append_only_file_background(server).is_ok() {
        add_reply_status(c, "Background append only file rewriting started");
    } else {
        add_reply(c, crate::shared::ERR);
    }
}

/// Removes the temp file a (killed) rewrite child was writing.
///
/// C: aof.c aofRemoveTempFile()
pub(crate) fn aof_remove_temp_file(childpid: i32) {
    let _ = std::fs::remove_file(format!("temp-rewriteaof-bg-{childpid}.aof"));
}

/// Update the server.aof_current_size field explicitly using stat(2) to
/// check the size of the file. This is useful after a rewrite or after a
/// restart, normally the size is updated just adding the write length to
/// the current length, that is much faster.
///
/// C: aof.c aofUpdateCurrentSize()
pub(crate) fn aof_update_current_size(server: &mut RedisServer) {
    // SAFETY: a zeroed stat is a valid value of this plain C struct.
    let mut sb: libc::stat = unsafe { std::mem::zeroed() };
    let mut latency = latency_start_monitor(server);
    // SAFETY: fstat(2) writes into our local stat.
    if unsafe { libc::fstat(server.aof_fd, &mut sb) } == -1 {
        server_log!(
            server,
            LL_WARNING,
            "Unable to obtain the AOF file length. stat: {}",
            strerror(&io::Error::last_os_error())
        );
    } else {
        server.aof_current_size = sb.st_size;
    }
    latency_end_monitor(server, &mut latency);
    latency_add_sample_if_needed(server, "aof-fstat", latency);
}

/// A background append only file rewriting (BGREWRITEAOF) terminated its
/// work. Handle this.
///
/// C: aof.c backgroundRewriteDoneHandler()
pub(crate) fn background_rewrite_done_handler(
    server: &mut RedisServer,
    exitcode: i32,
    bysignal: i32,
) {
    if bysignal == 0 && exitcode == 0 {
        let now = ustime();
        server_log!(
            server,
            LL_NOTICE,
            "Background AOF rewrite terminated with success"
        );
        background_rewrite_switch_files(server);
        server_log!(
            server,
            LL_VERBOSE,
            "Background AOF rewrite signal handler took {}us",
            ustime() - now
        );
    } else if bysignal == 0 && exitcode != 0 {
        server.aof_lastbgrewrite_status = Err(CErr);
        server_log!(
            server,
            LL_WARNING,
            "Background AOF rewrite terminated with error"
        );
    } else {
        // SIGUSR1 is whitelisted, so we have a way to kill a child without
        // tirggering an error condition.
        if bysignal != libc::SIGUSR1 {
            server.aof_lastbgrewrite_status = Err(CErr);
        }
        server_log!(
            server,
            LL_WARNING,
            "Background AOF rewrite terminated by signal {}",
            bysignal
        );
    }

    // C: the cleanup: label.
    aof_close_pipes(server);
    aof_rewrite_buffer_reset(server);
    aof_remove_temp_file(server.aof_child_pid);
    server.aof_child_pid = -1;
    server.aof_rewrite_time_last =
        crate::server::mstime() / 1000 - server.aof_rewrite_time_start;
    server.aof_rewrite_time_start = -1;
    // Schedule a new rewrite if we are waiting for it to switch the AOF ON.
    if server.aof_state == AOF_WAIT_REWRITE {
        server.aof_rewrite_scheduled = true;
    }
}

/// The success branch of backgroundRewriteDoneHandler(): append the
/// parent's diff to the child's file, rename it over the AOF and switch
/// the fd; every failure jumps to the caller's cleanup. (no C twin)
fn background_rewrite_switch_files(server: &mut RedisServer) {
    // Flush the differences accumulated by the parent to the rewritten AOF.
    let mut latency = latency_start_monitor(server);
    let tmpfile = format!("temp-rewriteaof-bg-{}.aof", server.aof_child_pid);
    let newfd = match OpenOptions::new().append(true).open(&tmpfile) {
        Ok(f) => f.into_raw_fd(),
        Err(e) => {
            server_log!(
                server,
                LL_WARNING,
                "Unable to open the temporary AOF produced by the child: {}",
                strerror(&e)
            );
            return;
        }
    };

    if let Err(e) = aof_rewrite_buffer_write(server, newfd) {
        server_log!(
            server,
            LL_WARNING,
            "Error trying to flush the parent diff to the rewritten AOF: {}",
            strerror(&e)
        );
        // SAFETY: closing the fd we just opened.
        unsafe { libc::close(newfd) };
        return;
    }
    latency_end_monitor(server, &mut latency);
    latency_add_sample_if_needed(server, "aof-rewrite-diff-write", latency);

    server_log!(
        server,
        LL_NOTICE,
        "Residual parent diff successfully flushed to the rewritten AOF ({:.2} MB)",
        aof_rewrite_buffer_size(server) as f64 / (1024.0 * 1024.0)
    );

    // The only remaining thing to do is to rename the temporary file to the
    // configured file and switch the file descriptor used to do AOF writes.
    // We don't want close(2) or rename(2) calls to block the server on old
    // file deletion.
    //
    // There are two possible scenarios:
    //
    // 1) AOF is DISABLED and this was a one time rewrite. The temporary file
    // will be renamed to the configured file. When this file already exists,
    // it will be unlinked, which may block the server.
    //
    // 2) AOF is ENABLED and the rewritten AOF will immediately start
    // receiving writes. After the temporary file is renamed to the
    // configured file, the original AOF file descriptor will be closed.
    // Since this will be the last reference to that file, closing it causes
    // the underlying file to be unlinked, which may block the server.
    //
    // To mitigate the blocking effect of the unlink operation (either caused
    // by rename(2) in scenario 1, or by close(2) in scenario 2), we use a
    // background thread to take care of this. First, we make scenario 1
    // identical to scenario 2 by opening the target file when it exists.
    // The unlink operation after the rename(2) will then be executed upon
    // calling close(2) for its descriptor. Everything to guarantee atomicity
    // for this switch has already happened by then, so we don't care what
    // the outcome or duration of that close operation is, as long as the
    // file descriptor is released again.
    let mut oldfd: RawFd = if server.aof_fd == -1 {
        // AOF disabled

        // Don't care if this fails: oldfd will be -1 and we handle that. One
        // notable case of -1 return is if the old file does not exist.
        OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&server.aof_filename)
            .map(IntoRawFd::into_raw_fd)
            .unwrap_or(-1)
    } else {
        // AOF enabled
        -1 // We'll set this to the current AOF filedes later.
    };

    // Rename the temporary file. This will not unlink the target file if it
    // exists, because we reference it with "oldfd".
    let mut latency = latency_start_monitor(server);
    if let Err(e) = std::fs::rename(&tmpfile, &server.aof_filename) {
        server_log!(
            server,
            LL_WARNING,
            "Error trying to rename the temporary AOF file {} into {}: {}",
            tmpfile,
            server.aof_filename,
            strerror(&e)
        );
        // SAFETY: closing fds we opened above.
        unsafe {
            libc::close(newfd);
            if oldfd != -1 {
                libc::close(oldfd);
            }
        }
        return;
    }
    latency_end_monitor(server, &mut latency);
    latency_add_sample_if_needed(server, "aof-rename", latency);

    if server.aof_fd == -1 {
        // AOF disabled, we don't need to set the AOF file descriptor to this
        // new file, so we can close it.
        // SAFETY: closing the fd we opened above.
        unsafe { libc::close(newfd) };
    } else {
        // AOF enabled, replace the old fd with the new one.
        oldfd = server.aof_fd;
        server.aof_fd = newfd;
        if server.aof_fsync == AOF_FSYNC_ALWAYS {
            // SAFETY: fdatasync on the new AOF fd we own.
            unsafe { crate::bio::redis_fsync(newfd) };
        } else if server.aof_fsync == AOF_FSYNC_EVERYSEC {
            aof_background_fsync(newfd);
        }
        server.aof_selected_db = -1; // Make sure SELECT is re-issued
        aof_update_current_size(server);
        server.aof_rewrite_base_size = server.aof_current_size;
        server.aof_fsync_offset = server.aof_current_size;

        // Clear regular AOF buffer since its contents was just written to
        // the new AOF from the background rewrite buffer.
        server.aof_buf = Vec::new();
    }

    server.aof_lastbgrewrite_status = Ok(());

    server_log!(
        server,
        LL_NOTICE,
        "Background AOF rewrite finished successfully"
    );
    // Change state from WAIT_REWRITE to ON if needed
    if server.aof_state == AOF_WAIT_REWRITE {
        server.aof_state = AOF_ON;
    }

    // Asynchronously close the overwritten AOF.
    if oldfd != -1 {
        bio_create_background_job(BIO_CLOSE_FILE, BioJobArg::Fd(oldfd));
    }
}
