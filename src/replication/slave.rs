//! The replica side of replication: REPLICAOF turns the instance into a
//! replica, the cron connects to the master without blocking, and
//! `sync_with_master` walks the handshake (PING, AUTH, REPLCONF, PSYNC) one
//! reply per call. Then either the master accepts a partial resync and the
//! cached master client is brought back to life, or it sends a whole RDB,
//! which `read_sync_bulk_payload` writes to a temp file, renames over the
//! dump and loads, after which the master becomes a client flagged
//! CLIENT_MASTER whose commands are applied like anybody's.
//!
//! Ports the "SLAVE" section of replication.c from Redis 5.0.14, in the
//! same order.
//!
//! Read this first: C names the socket to the master by its fd,
//! `server.repl_transfer_s`; here the `socket2::Socket` itself lives in
//! `server.repl_transfer_sock` (and the temp file in
//! `server.repl_transfer_file`), so closing is dropping. Functions that C
//! hands the fd to read it from there. The handshake replies are read a
//! byte at a time by syncio, which never sees EAGAIN, so the handlers ask
//! the kernel first whether there is input at all: see
//! `sync_fd_has_input` for why the edge-triggered loop needs that.

use std::borrow::Cow;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::{AsRawFd, RawFd};

use socket2::Socket;

use super::{
    clear_replication_id2, create_replication_backlog,
    free_replication_backlog, history, replication_discard_cached_master,
    replication_resurrect_cached_master, set_repl_state, shift_replication_id,
};
use crate::ae::{
    ae_create_file_event, ae_delete_file_event, ae_not_ready, ae_wait,
    AE_READABLE, AE_WRITABLE,
};
use crate::networking::anet;
use crate::networking::{
    add_reply, add_reply_bulk_c_buffer, add_reply_bulk_c_string,
    add_reply_bulk_long_long, add_reply_error, add_reply_long_long,
    add_reply_multi_bulk_len, cat_client_info_string, create_client,
    disconnect_slaves, free_client, with_client,
};
use crate::server::*;
use crate::server_log;
use crate::syncio::{sync_read_line, sync_write};
use crate::util::{strerror, strtol, strtoll};

// ----------------------------------- SLAVE -----------------------------------

/// `time(NULL)`: the wall clock in seconds, not the cached
/// `server.unixtime`. (no C twin)
fn time_now() -> i64 {
    mstime() / 1000
}

/// Bytes of a C string: up to the first NUL, as `%s` prints them.
/// (no C twin)
fn cstr(s: &[u8]) -> Cow<'_, str> {
    let end = s.iter().position(|&b| b == 0).unwrap_or(s.len());
    String::from_utf8_lossy(&s[..end])
}

/// Whether the socket to the master has input to read now. When it has
/// none, the event loop is told the fd is drained.
///
/// Divergence from C: ae on mio keeps reporting an fd readable until its
/// handler says it saw it drained (see ae/epoll.rs), while the handshake
/// reads each reply a byte at a time through syncio and so never meets
/// EAGAIN. Without this check a handler called again after consuming the
/// whole reply would block in syncio for up to repl-syncio-timeout. The
/// check is one poll(2) per handshake step. (no C twin)
fn sync_fd_has_input(server: &mut RedisServer, fd: RawFd) -> bool {
    // Anything but 0 (input, hang-up, error, or a failed poll) lets the
    // C code go on and meet the condition itself.
    if ae_wait(fd, AE_READABLE, 0) != 0 {
        return true;
    }
    ae_not_ready(&mut server.el, fd, AE_READABLE);
    false
}

/// Returns true if the given replication state is a handshake state,
/// false otherwise.
///
/// C: replication.c slaveIsInHandshakeState()
pub(crate) fn slave_is_in_handshake_state(server: &RedisServer) -> bool {
    server.repl_state >= REPL_STATE_RECEIVE_PONG
        && server.repl_state <= REPL_STATE_RECEIVE_PSYNC
}

/// The body of replicationSendNewlineToMaster() over the two pieces of
/// state it needs, so the emptyDb() callback can run it while the server
/// is borrowed by emptyDb(). (no C twin)
fn send_newline_to_master(sock: Option<&Socket>, newline_sent: &mut i64) {
    let now = time_now();
    if now != *newline_sent {
        *newline_sent = now;
        if let Some(mut s) = sock {
            // Pinging back in this stage is best-effort.
            let _ = s.write(b"\n");
        }
    }
}

/// Keeps the master from deciding that we timed out while we load the RDB
/// of the initial synchronization: sends a single newline, which is valid
/// protocol and is either sent entirely or not at all, since the byte is
/// indivisible. At most once per second.
///
/// Called while we flush the old data with emptyDb(), and while rdbLoad()
/// loads the RDB file received from the master.
///
/// C: replication.c replicationSendNewlineToMaster()
pub(crate) fn replication_send_newline_to_master(server: &mut RedisServer) {
    send_newline_to_master(
        server.repl_transfer_sock.as_ref(),
        &mut server.repl_newline_sent,
    );
}

/// Callback used by emptyDb() while flushing away old data to load the new
/// dataset received by the master. It gets the socket and the "last sent"
/// time instead of the server, which emptyDb() holds meanwhile.
///
/// C: replication.c replicationEmptyDbCallback()
pub(crate) fn replication_empty_db_callback(
    sock: Option<&Socket>,
    newline_sent: &mut i64,
) {
    send_newline_to_master(sock, newline_sent);
}

/// Once we have a link with the master and the synchronization was
/// performed, this function materializes the master client we store at
/// `server.master`, starting from the given socket (`None` makes a client
/// with no connection, as C's fd -1 does). `dbid` is the DB the master's
/// stream continues in, or -1.
///
/// C: replication.c replicationCreateMasterClient()
pub fn replication_create_master_client(
    server: &mut RedisServer,
    sock: Option<Socket>,
    dbid: i32,
) {
    let Some(id) = create_client(server, sock) else {
        // Divergence from C: C does not check createClient() here (it can
        // only fail when the event loop refuses the fd) and would crash;
        // we log and leave server.master unset, and the caller restarts
        // the handshake.
        server_log!(
            server,
            LL_WARNING,
            "Error creating the master client: can't register its socket"
        );
        server.master = None;
        return;
    };
    server.master = Some(id);
    let master_initial_offset = server.master_initial_offset;
    let master_replid = server.master_replid;
    with_client(server, id, |server, c| {
        c.flags |= CLIENT_MASTER;
        c.authenticated = true;
        c.reploff = master_initial_offset;
        c.read_reploff = c.reploff;
        c.replid = master_replid;
        // If master offset is set to -1, this master is old and is not
        // PSYNC capable, so we flag it accordingly.
        if c.reploff == -1 {
            c.flags |= CLIENT_PRE_PSYNC;
        }
        if dbid != -1 {
            let _ = crate::db::select_db(server, c, dbid as i64);
        }
    });
}

/// This function will try to re-enable the AOF file after the
/// master-replica synchronization: if it fails after multiple attempts the
/// replica cannot be considered reliable and exists with an error.
///
/// C: replication.c restartAOFAfterSYNC()
fn restart_aof_after_sync(server: &mut RedisServer) {
    let max_tries = 10;
    let mut tries = 0;
    while tries < max_tries {
        if crate::aof::start_append_only(server).is_ok() {
            break;
        }
        server_log!(
            server,
            LL_WARNING,
            "Failed enabling the AOF after successful master synchronization! Trying it again in one second."
        );
        std::thread::sleep(std::time::Duration::from_secs(1));
        tries += 1;
    }
    if tries == max_tries {
        server_log!(
            server,
            LL_WARNING,
            "FATAL: this replica instance finished the synchronization with its master, but the AOF can't be turned on. Exiting now."
        );
        std::process::exit(1);
    }
}

/// Sync data on disk every this many bytes of a transfer from the master.
///
/// C: replication.c REPL_MAX_WRITTEN_BEFORE_FSYNC
const REPL_MAX_WRITTEN_BEFORE_FSYNC: i64 = 1024 * 1024 * 8; // 8 MB

/// Asynchronously read the SYNC payload we receive from a master: first
/// the bulk length line, `$<count>` or, for diskless transfers,
/// `$EOF:<40 bytes mark>` (empty lines before it are keep-alives), then
/// the RDB itself, 4 KiB per call, into the temp file. When the whole
/// payload is there the file is fsync'd, renamed over the dump, the old
/// data flushed and the new loaded, and the master becomes our client.
///
/// C: replication.c readSyncBulkPayload()
pub(crate) fn read_sync_bulk_payload(
    server: &mut RedisServer,
    fd: RawFd,
    _data: ClientData,
    _mask: i32,
) {
    let mut buf = [0u8; 4096];

    // The state C keeps in statics (the EOF mark, and the last bytes
    // received from the server: when they match, we reached the end of
    // the transfer) is in server.repl_transfer_usemark/eofmark/lastbytes.

    // If repl_transfer_size == -1 we still have to read the bulk length
    // from the master reply.
    if server.repl_transfer_size == -1 {
        if !sync_fd_has_input(server, fd) {
            return;
        }
        let timeout = server.repl_syncio_timeout as i64 * 1000;
        let line = match server.repl_transfer_sock.as_ref() {
            Some(s) => sync_read_line(s, 1024, timeout),
            None => Err(io::Error::from_raw_os_error(libc::EBADF)),
        };
        let line = match line {
            Ok(line) => line,
            Err(e) => {
                server_log!(
                    server,
                    LL_WARNING,
                    "I/O error reading bulk count from MASTER: {}",
                    strerror(&e)
                );
                cancel_replication_handshake(server); // goto error
                return;
            }
        };

        if line.first() == Some(&b'-') {
            server_log!(
                server,
                LL_WARNING,
                "MASTER aborted replication with an error: {}",
                cstr(&line[1..])
            );
            let why =
                format!("master aborted the transfer: {}", cstr(&line[1..]));
            history::attempt_failing(server, why);
            cancel_replication_handshake(server); // goto error
            return;
        } else if line.first().copied().unwrap_or(0) == 0 {
            // At this stage just a newline works as a PING in order to
            // take the connection live. So we refresh our last interaction
            // timestamp.
            server.repl_transfer_lastio = server.unixtime;
            return;
        } else if line[0] != b'$' {
            server_log!(
                server,
                LL_WARNING,
                "Bad protocol from MASTER, the first byte is not '$' (we received '{}'), are you sure the host and port are right?",
                cstr(&line)
            );
            cancel_replication_handshake(server); // goto error
            return;
        }

        // There are two possible forms for the bulk payload. One is the
        // usual $<count> bulk format. The other is used for diskless
        // transfers when the master does not know beforehand the size of
        // the file to transfer. In the latter case, the following format
        // is used:
        //
        // $EOF:<40 bytes delimiter>
        //
        // At the end of the file the announced delimiter is transmitted.
        // The delimiter is long and random enough that the probability of
        // a collision with the actual file content can be ignored.
        if line.len() >= 5
            && &line[1..5] == b"EOF:"
            && cstr(&line[5..]).len() >= CONFIG_RUN_ID_SIZE
        {
            server.repl_transfer_usemark = true;
            server
                .repl_transfer_eofmark
                .copy_from_slice(&line[5..5 + CONFIG_RUN_ID_SIZE]);
            server.repl_transfer_lastbytes = [0; CONFIG_RUN_ID_SIZE];
            // Set any repl_transfer_size to avoid entering this code path
            // at the next call.
            server.repl_transfer_size = 0;
            server_log!(
                server,
                LL_NOTICE,
                "MASTER <-> REPLICA sync: receiving streamed RDB from master"
            );
            history::attempt_transfer_started(server);
        } else {
            server.repl_transfer_usemark = false;
            server.repl_transfer_size = strtol(&line[1..], 10).value;
            // Divergence from C: C takes a negative length as it comes and
            // passes the negative rest to read(2) as a huge count, with a
            // 4 KiB buffer on the stack. We refuse it as bad protocol.
            if server.repl_transfer_size < 0 {
                server_log!(
                    server,
                    LL_WARNING,
                    "Bad protocol from MASTER, negative bulk length (we received '{}')",
                    cstr(&line)
                );
                server.repl_transfer_size = -1;
                cancel_replication_handshake(server); // goto error
                return;
            }
            server_log!(
                server,
                LL_NOTICE,
                "MASTER <-> REPLICA sync: receiving {} bytes from master",
                server.repl_transfer_size
            );
            history::attempt_transfer_started(server);
        }
        return;
    }

    // Read bulk data
    let usemark = server.repl_transfer_usemark;
    let readlen = if usemark {
        buf.len()
    } else {
        let left = server.repl_transfer_size - server.repl_transfer_read;
        if left < buf.len() as i64 {
            left.max(0) as usize
        } else {
            buf.len()
        }
    };

    let nread = match server.repl_transfer_sock.as_ref() {
        Some(mut s) => s.read(&mut buf[..readlen]),
        None => Err(io::Error::from_raw_os_error(libc::EBADF)),
    };
    let nread = match nread {
        Ok(n) if n > 0 => n,
        // Divergence from C: C is only called when epoll says the socket
        // is readable; over mio's edges the loop may call us once more
        // after the last byte, so EAGAIN means "wait for the next edge"
        // here, not an I/O error.
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
            ae_not_ready(&mut server.el, fd, AE_READABLE);
            return;
        }
        r => {
            let why = match r {
                Err(e) => strerror(&e),
                _ => "connection lost".to_string(),
            };
            server_log!(
                server,
                LL_WARNING,
                "I/O error trying to sync with MASTER: {}",
                why
            );
            let why = format!(
                "I/O error after {} bytes of the RDB: {}",
                server.repl_transfer_read, why
            );
            history::attempt_failing(server, why);
            cancel_replication_handshake(server);
            return;
        }
    };
    // A short read drained the socket: the next edge tells us of more.
    if nread < readlen {
        ae_not_ready(&mut server.el, fd, AE_READABLE);
    }
    server.stat_net_input_bytes += nread as i64;

    // When a mark is used, we want to detect EOF asap in order to avoid
    // writing the EOF mark into the file...
    let mut eof_reached = false;

    if usemark {
        // Update the last bytes array, and check if it matches our
        // delimiter.
        let lastbytes = &mut server.repl_transfer_lastbytes;
        if nread >= CONFIG_RUN_ID_SIZE {
            lastbytes.copy_from_slice(&buf[nread - CONFIG_RUN_ID_SIZE..nread]);
        } else {
            let rem = CONFIG_RUN_ID_SIZE - nread;
            lastbytes.copy_within(nread.., 0);
            lastbytes[rem..].copy_from_slice(&buf[..nread]);
        }
        if server.repl_transfer_lastbytes == server.repl_transfer_eofmark {
            eof_reached = true;
        }
    }

    server.repl_transfer_lastio = server.unixtime;
    let written = match server.repl_transfer_file.as_mut() {
        Some(f) => f.write(&buf[..nread]),
        None => Err(io::Error::from_raw_os_error(libc::EBADF)),
    };
    if !matches!(written, Ok(n) if n == nread) {
        let why = match written {
            Err(e) => strerror(&e),
            _ => "short write".to_string(),
        };
        server_log!(
            server,
            LL_WARNING,
            "Write error or short write writing to the DB dump file needed for MASTER <-> REPLICA synchronization: {}",
            why
        );
        cancel_replication_handshake(server); // goto error
        return;
    }
    server.repl_transfer_read += nread as i64;

    // Delete the last 40 bytes from the file if we reached EOF.
    if usemark && eof_reached {
        let len =
            (server.repl_transfer_read - CONFIG_RUN_ID_SIZE as i64) as u64;
        let r = match server.repl_transfer_file.as_ref() {
            Some(f) => f.set_len(len),
            None => Err(io::Error::from_raw_os_error(libc::EBADF)),
        };
        if let Err(e) = r {
            server_log!(
                server,
                LL_WARNING,
                "Error truncating the RDB file received from the master for SYNC: {}",
                strerror(&e)
            );
            cancel_replication_handshake(server); // goto error
            return;
        }
    }

    // Sync data on disk from time to time, otherwise at the end of the
    // transfer we may suffer a big delay as the memory buffers are copied
    // into the actual disk.
    if server.repl_transfer_read
        >= server.repl_transfer_last_fsync_off + REPL_MAX_WRITTEN_BEFORE_FSYNC
    {
        let sync_size =
            server.repl_transfer_read - server.repl_transfer_last_fsync_off;
        if let Some(f) = server.repl_transfer_file.as_ref() {
            rdb_fsync_range(f, server.repl_transfer_last_fsync_off, sync_size);
        }
        server.repl_transfer_last_fsync_off += sync_size;
    }

    // Check if the transfer is now complete
    if !usemark && server.repl_transfer_read == server.repl_transfer_size {
        eof_reached = true;
    }

    if eof_reached {
        let rdb_bytes = server.repl_transfer_read
            - if usemark { CONFIG_RUN_ID_SIZE as i64 } else { 0 };
        history::attempt_transfer_done(server, rdb_bytes);
        // Divergence from C: 5.0.14 flushes its data set, renames the
        // received file over dump.rdb and loads it without looking at it
        // first, so a payload that is damaged (cut short under a matching
        // `$<len>` or EOF mark, a bad CRC, bytes that are no RDB) costs the
        // replica its data and, when the load then exits on the
        // corruption, its dump.rdb too: a restart cannot load. We read the
        // whole temp file the way the load will (the loader in check-only
        // mode: structure, every value, duplicate keys, the CRC64) before
        // anything is flushed or renamed. A bad file is logged with the
        // reason, removed, and the sync starts over; the old data set and
        // dump.rdb stay. (5.0 has no repl-diskless-load: diskless
        // transfers land in the same temp file, so this covers both.)
        let tmpfile = server.repl_transfer_tmpfile.clone().unwrap_or_default();
        if let Err(err) = crate::rdb::rdb_check_file(server, &tmpfile) {
            server_log!(
                server,
                LL_WARNING,
                "Failed trying to load the MASTER synchronization DB from disk: {}. Keeping the old data set and dump.rdb, the synchronization will be retried",
                crate::rdb::rdb_load_error_reason(&err)
            );
            let why = format!(
                "the RDB received is damaged: {}",
                crate::rdb::rdb_load_error_reason(&err)
            );
            history::attempt_failing(server, why);
            cancel_replication_handshake(server);
            return;
        }

        let aof_is_enabled = server.aof_state != crate::config::AOF_OFF;

        // Ensure background save doesn't overwrite synced data
        if server.rdb_child_pid != -1 {
            server_log!(
                server,
                LL_NOTICE,
                "Replica is about to load the RDB file received from the master, but there is a pending RDB child running. Killing process {} and removing its temp file to avoid any race",
                server.rdb_child_pid
            );
            // SAFETY: kill(2) on the pid of our own RDB child, which is
            // not reaped yet (server_cron reaps it and only then resets
            // rdb_child_pid), so the pid cannot name another process.
            unsafe {
                libc::kill(server.rdb_child_pid, libc::SIGUSR1);
            }
            crate::rdb::rdb_remove_temp_file(server.rdb_child_pid);
        }

        // Make sure the new file (also used for persistence) is fully
        // synced (not covered by earlier calls to rdb_fsync_range).
        let r = match server.repl_transfer_file.as_ref() {
            Some(f) => f.sync_all(),
            None => Err(io::Error::from_raw_os_error(libc::EBADF)),
        };
        if let Err(e) = r {
            server_log!(
                server,
                LL_WARNING,
                "Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization: {}",
                strerror(&e)
            );
            cancel_replication_handshake(server);
            return;
        }

        if let Err(e) = std::fs::rename(&tmpfile, &server.rdb_filename) {
            server_log!(
                server,
                LL_WARNING,
                "Failed trying to rename the temp DB into dump.rdb in MASTER <-> REPLICA synchronization: {}",
                strerror(&e)
            );
            cancel_replication_handshake(server);
            return;
        }
        server_log!(
            server,
            LL_NOTICE,
            "MASTER <-> REPLICA sync: Flushing old data"
        );
        // We need to stop any AOFRW fork before flusing and parsing RDB,
        // otherwise we'll create a copy-on-write disaster.
        if aof_is_enabled {
            crate::aof::stop_append_only(server);
        }
        crate::db::signal_flushed_db(server, -1);
        let flags = if server.repl_slave_lazy_flush {
            crate::db::EMPTYDB_ASYNC
        } else {
            crate::db::EMPTYDB_NO_FLAGS
        };
        // The callback needs the socket while emptyDb() holds the server:
        // lend it the socket and the "last newline" time, then take them
        // back.
        let sock = server.repl_transfer_sock.take();
        let mut newline_sent = server.repl_newline_sent;
        {
            let mut callback = || {
                replication_empty_db_callback(sock.as_ref(), &mut newline_sent)
            };
            crate::db::empty_db(server, -1, flags, Some(&mut callback));
        }
        server.repl_transfer_sock = sock;
        server.repl_newline_sent = newline_sent;
        // Before loading the DB into memory we need to delete the readable
        // handler, otherwise it will get called recursively since
        // rdbLoad() will call the event loop to process events from time
        // to time for non blocking loading.
        ae_delete_file_event(
            &mut server.el,
            server.repl_transfer_s,
            AE_READABLE,
        );
        server_log!(
            server,
            LL_NOTICE,
            "MASTER <-> REPLICA sync: Loading DB in memory"
        );
        let mut rsi = crate::rdb::RDB_SAVE_INFO_INIT;
        let filename = server.rdb_filename.clone();
        if crate::rdb::rdb_load(server, &filename, Some(&mut rsi)).is_err() {
            server_log!(
                server,
                LL_WARNING,
                "Failed trying to load the MASTER synchronization DB from disk"
            );
            cancel_replication_handshake(server);
            // Re-enable the AOF if we disabled it earlier, in order to
            // restore the original configuration.
            if aof_is_enabled {
                restart_aof_after_sync(server);
            }
            return;
        }
        // Final setup of the connected slave <- master link
        server.repl_transfer_tmpfile = None;
        server.repl_transfer_file = None; // close(server.repl_transfer_fd)
        server.repl_transfer_fd = -1;
        // The socket moves into the master client.
        let sock = server.repl_transfer_sock.take();
        server.repl_transfer_s = -1;
        replication_create_master_client(server, sock, rsi.repl_stream_db);
        let Some(master) = server.master.and_then(|id| server.clients.get(&id))
        else {
            // Divergence from C: see replication_create_master_client.
            set_repl_state(server, REPL_STATE_CONNECT);
            return;
        };
        let (replid, reploff) = (master.replid, master.reploff);
        set_repl_state(server, REPL_STATE_CONNECTED);
        server.repl_down_since = 0;
        // After a full resynchronization we use the replication ID and
        // offset of the master. The secondary ID / offset are cleared
        // since we are starting a new history.
        server.replid = replid;
        server.master_repl_offset = reploff;
        clear_replication_id2(server);
        // Let's create the replication backlog if needed. Slaves need to
        // accumulate the backlog regardless of the fact they have
        // sub-slaves or not, in order to behave correctly if they are
        // promoted to masters after a failover.
        if server.repl_backlog.is_none() {
            create_replication_backlog(server);
        }

        server_log!(
            server,
            LL_NOTICE,
            "MASTER <-> REPLICA sync: Finished with success"
        );
        // Restart the AOF subsystem now that we finished the sync. This
        // will trigger an AOF rewrite, and when done will start appending
        // to the new file.
        if aof_is_enabled {
            restart_aof_after_sync(server);
        }
    }
}

/// Sync data on disk from time to time: start writing back `size` bytes of
/// `f` from `off`, after waiting for earlier write-back of that range.
///
/// C: config.h rdb_fsync_range (sync_file_range on Linux)
fn rdb_fsync_range(f: &File, off: i64, size: i64) {
    // SAFETY: sync_file_range only reads its integer arguments and acts
    // on an fd the File keeps open for the whole call; no memory is
    // shared with the kernel.
    unsafe {
        libc::sync_file_range(
            f.as_raw_fd(),
            off,
            size,
            libc::SYNC_FILE_RANGE_WAIT_BEFORE | libc::SYNC_FILE_RANGE_WRITE,
        );
    }
}

/// Flag of send_synchronous_command(): read the one-line reply.
pub(crate) const SYNC_CMD_READ: i32 = 1 << 0;
/// Flag of send_synchronous_command(): write the command.
pub(crate) const SYNC_CMD_WRITE: i32 = 1 << 1;
#[allow(dead_code)] // kept so the set reads whole beside C
pub(crate) const SYNC_CMD_FULL: i32 = SYNC_CMD_READ | SYNC_CMD_WRITE;

/// Send a synchronous command to the master on `server.repl_transfer_s`
/// (C passes that fd), and/or read its reply. Used to send AUTH, REPLCONF
/// and PSYNC before starting the replication.
///
/// The command is sent in the Redis binary protocol, with `args` as its
/// arguments. Returns what C returns: with SYNC_CMD_READ the reply line
/// (an error is one starting with "-"); with only SYNC_CMD_WRITE `None` on
/// success, or an error text starting with "-".
///
/// C: replication.c sendSynchronousCommand()
pub(crate) fn send_synchronous_command(
    server: &mut RedisServer,
    flags: i32,
    args: &[&[u8]],
) -> Option<Vec<u8>> {
    let timeout = server.repl_syncio_timeout as i64 * 1000;

    // Create the command to send to the master, we use redis binary
    // protocol to make sure correct arguments are sent.
    if flags & SYNC_CMD_WRITE != 0 {
        let mut cmdargs = Vec::new();
        for arg in args {
            cmdargs.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            cmdargs.extend_from_slice(arg);
            cmdargs.extend_from_slice(b"\r\n");
        }
        let mut cmd = format!("*{}\r\n", args.len()).into_bytes();
        cmd.extend_from_slice(&cmdargs);

        // Transfer command to the server.
        let r = match server.repl_transfer_sock.as_ref() {
            Some(s) => sync_write(s, &cmd, timeout),
            None => Err(io::Error::from_raw_os_error(libc::EBADF)),
        };
        if let Err(e) = r {
            return Some(
                format!("-Writing to master: {}", strerror(&e)).into_bytes(),
            );
        }
    }

    // Read the reply from the server.
    if flags & SYNC_CMD_READ != 0 {
        let r = match server.repl_transfer_sock.as_ref() {
            Some(s) => sync_read_line(s, 256, timeout),
            None => Err(io::Error::from_raw_os_error(libc::EBADF)),
        };
        return match r {
            Err(e) => Some(
                format!("-Reading from master: {}", strerror(&e)).into_bytes(),
            ),
            Ok(mut line) => {
                server.repl_transfer_lastio = server.unixtime;
                // C returns sdsnew(buf): the reply is a C string, cut at
                // its first NUL. A line starting with NUL is therefore
                // empty, which slaveTryPartialResynchronization() takes
                // for a keep-alive.
                if let Some(nul) = line.iter().position(|&b| b == 0) {
                    line.truncate(nul);
                }
                Some(line)
            }
        };
    }
    None
}

/// There was an error writing the PSYNC command to the socket.
pub(crate) const PSYNC_WRITE_ERROR: i32 = 0;
/// Call slave_try_partial_resynchronization() again, reading the reply.
pub(crate) const PSYNC_WAIT_REPLY: i32 = 1;
/// The PSYNC command succeeded and we can continue.
pub(crate) const PSYNC_CONTINUE: i32 = 2;
/// PSYNC is supported but a full resync is needed.
pub(crate) const PSYNC_FULLRESYNC: i32 = 3;
/// The master does not understand PSYNC: fall back to SYNC.
pub(crate) const PSYNC_NOT_SUPPORTED: i32 = 4;
/// Master is currently in a transient error condition.
pub(crate) const PSYNC_TRY_LATER: i32 = 5;

/// Try a partial resynchronization with the master if we are about to
/// reconnect. If there is no cached master structure, at least try to
/// issue a "PSYNC ? -1" command in order to trigger a full resync using
/// the PSYNC command, which gives us the master run id and the master
/// replication global offset.
///
/// Called from sync_with_master(), on the connected socket
/// `server.repl_transfer_s`. The function does not close it; on a
/// successful partial resync the socket becomes the one of the
/// `server.master` client.
///
/// The function is split in two halves: with `read_reply` false it writes
/// the PSYNC command and returns PSYNC_WAIT_REPLY (or PSYNC_WRITE_ERROR),
/// and a later call with `read_reply` true reads the reply. It may return
/// PSYNC_WAIT_REPLY again when what arrived was only a keep-alive newline.
/// This way we write, return into the event loop, and read when there is
/// data.
///
/// The function returns:
///
/// PSYNC_CONTINUE: If the PSYNC command succeeded and we can continue.
/// PSYNC_FULLRESYNC: If PSYNC is supported but a full resync is needed.
///                   In this case the master run_id and global replication
///                   offset is saved.
/// PSYNC_NOT_SUPPORTED: If the server does not understand PSYNC at all and
///                      the caller should fall back to SYNC.
/// PSYNC_WRITE_ERROR: There was an error writing the command to the socket.
/// PSYNC_WAIT_REPLY: Call again the function with read_reply set to true.
/// PSYNC_TRY_LATER: Master is currently in a transient error condition.
///
/// Notable side effects:
///
/// 1) The readable event handler is removed from the socket, unless the
///    return value is PSYNC_WAIT_REPLY.
/// 2) server.master_initial_offset is set to the right value according to
///    the master reply. This will be used to populate the 'server.master'
///    structure replication offset.
///
/// C: replication.c slaveTryPartialResynchronization()
pub(crate) fn slave_try_partial_resynchronization(
    server: &mut RedisServer,
    read_reply: bool,
) -> i32 {
    let fd = server.repl_transfer_s;

    // Writing half
    if !read_reply {
        // Initially set master_initial_offset to -1 to mark the current
        // master run_id and offset as not valid. Later if we'll be able to
        // do a FULL resync using the PSYNC command we'll set the offset at
        // the right value, so that this information will be propagated to
        // the client structure representing the master into server.master.
        server.master_initial_offset = -1;

        let (psync_replid, psync_offset) = match &server.cached_master {
            Some(cm) => {
                let replid = cm.replid.to_vec();
                let offset = (cm.reploff + 1).to_string();
                server_log!(
                    server,
                    LL_NOTICE,
                    "Trying a partial resynchronization (request {}:{}).",
                    cstr(&replid),
                    offset
                );
                (replid, offset)
            }
            None => {
                server_log!(
                    server,
                    LL_NOTICE,
                    "Partial resynchronization not possible (no cached master)"
                );
                (b"?".to_vec(), "-1".to_string())
            }
        };

        let cached = server
            .cached_master
            .as_ref()
            .map(|_| (cstr(&psync_replid).into_owned(), psync_offset.clone()));
        let sent = format!("psync {} {}", cstr(&psync_replid), psync_offset);
        history::attempt_sent(server, sent, cached);

        // Issue the PSYNC command
        let reply = send_synchronous_command(
            server,
            SYNC_CMD_WRITE,
            &[b"PSYNC", &psync_replid, psync_offset.as_bytes()],
        );
        if let Some(reply) = reply {
            server_log!(
                server,
                LL_WARNING,
                "Unable to send PSYNC to master: {}",
                cstr(&reply)
            );
            ae_delete_file_event(&mut server.el, fd, AE_READABLE);
            return PSYNC_WRITE_ERROR;
        }
        return PSYNC_WAIT_REPLY;
    }

    // Reading half
    let reply = send_synchronous_command(server, SYNC_CMD_READ, &[])
        .unwrap_or_default();
    if reply.is_empty() {
        // The master may send empty newlines after it receives PSYNC and
        // before to reply, just to keep the connection alive.
        return PSYNC_WAIT_REPLY;
    }

    ae_delete_file_event(&mut server.el, fd, AE_READABLE);

    // What we asked, for the history's reasons: the cached master's
    // replid and the offset after its last byte.
    let asked = server
        .cached_master
        .as_ref()
        .map(|cm| (cstr(&cm.replid).into_owned(), cm.reploff + 1));

    if reply.starts_with(b"+FULLRESYNC") {
        let why = asked.as_ref().map(|(id, off)| {
            format!(
                "master answered FULLRESYNC: it did not accept replid {} at offset {}",
                id, off
            )
        });
        history::attempt_reply(server, &reply, why);
        // FULL RESYNC, parse the reply in order to extract the run id and
        // the replication offset.
        let sp = |from: usize| {
            reply[from..].iter().position(|&b| b == b' ').map(|p| from + p + 1)
        };
        let replid = sp(0);
        let offset = replid.and_then(sp);
        match (replid, offset) {
            (Some(r), Some(o)) if o - r - 1 == CONFIG_RUN_ID_SIZE => {
                server
                    .master_replid
                    .copy_from_slice(&reply[r..r + CONFIG_RUN_ID_SIZE]);
                server.master_initial_offset = strtoll(&reply[o..], 10).value;
                server_log!(
                    server,
                    LL_NOTICE,
                    "Full resync from master: {}:{}",
                    cstr(&server.master_replid),
                    server.master_initial_offset
                );
            }
            _ => {
                server_log!(
                    server,
                    LL_WARNING,
                    "Master replied with wrong +FULLRESYNC syntax."
                );
                history::attempt_reply(
                    server,
                    &reply,
                    Some("master replied with wrong +FULLRESYNC syntax".into()),
                );
                // This is an unexpected condition, actually the
                // +FULLRESYNC reply means that the master supports PSYNC,
                // but the reply format seems wrong. To stay safe we blank
                // the master replid to make sure next PSYNCs will fail.
                server.master_replid = [0; CONFIG_RUN_ID_SIZE];
            }
        }
        // We are going to full resync, discard the cached master
        // structure.
        replication_discard_cached_master(server);
        return PSYNC_FULLRESYNC;
    }

    if reply.starts_with(b"+CONTINUE") {
        // Divergence from C: C dereferences the cached master without a
        // check, so a master answering +CONTINUE to "PSYNC ? -1" crashes
        // 5.0.14 (checked against its binary). We log it as an
        // unexpected reply, before any "Successful" line, and drop the
        // link as for a transient error (PSYNC_TRY_LATER): the master now
        // streams commands, so falling back to SYNC on this link cannot
        // work. The next attempt starts over with a new connection.
        let Some(cached_replid) =
            server.cached_master.as_ref().map(|cm| cm.replid)
        else {
            server_log!(
                server,
                LL_WARNING,
                "Unexpected reply to PSYNC from master: {}",
                cstr(&reply)
            );
            history::attempt_reply(server, &reply, None);
            history::attempt_failing(
                server,
                "master answered CONTINUE to a PSYNC without a cached master"
                    .into(),
            );
            return PSYNC_TRY_LATER;
        };
        let why = asked.as_ref().map(|(id, off)| {
            format!("master accepted replid {} at offset {}", id, off)
        });
        history::attempt_reply(server, &reply, why);

        // Partial resync was accepted.
        server_log!(
            server,
            LL_NOTICE,
            "Successful partial resynchronization with master."
        );

        // Check the new replication ID advertised by the master. If it
        // changed, we need to set the new ID as primary ID, and set our
        // secondary ID as the old master ID up to the current offset, so
        // that our sub-slaves will be able to PSYNC with us after a
        // disconnection.
        let start = 10;
        let mut end = 9;
        while end < reply.len() && !matches!(reply[end], b'\r' | b'\n' | 0) {
            end += 1;
        }
        if end >= start && end - start == CONFIG_RUN_ID_SIZE {
            let mut new = [0u8; CONFIG_RUN_ID_SIZE];
            new.copy_from_slice(&reply[start..end]);

            if new != cached_replid {
                // Master ID changed.
                server_log!(
                    server,
                    LL_WARNING,
                    "Master replication ID changed to {}",
                    cstr(&new)
                );
                let more = format!(" (its replid is now {})", cstr(&new));
                history::attempt_reason_append(server, &more);

                // Set the old ID as our ID2, up to the current offset+1.
                server.replid2 = cached_replid;
                server.second_replid_offset = server.master_repl_offset + 1;

                // Update the cached master ID and our own primary ID to the
                // new one.
                server.replid = new;
                if let Some(cm) = server.cached_master.as_mut() {
                    cm.replid = new;
                }

                // Disconnect all the sub-slaves: they need to be notified.
                disconnect_slaves(server);
            }
        }

        // Setup the replication to continue: the socket becomes the
        // master's.
        if let Some(sock) = server.repl_transfer_sock.take() {
            server.repl_transfer_s = -1;
            replication_resurrect_cached_master(server, sock);
        }

        // If this instance was restarted and we read the metadata to PSYNC
        // from the persistence file, our replication backlog could be
        // still not initialized. Create it.
        if server.repl_backlog.is_none() {
            create_replication_backlog(server);
        }
        return PSYNC_CONTINUE;
    }

    // If we reach this point we received either an error (since the master
    // does not understand PSYNC or because it is in a special state and
    // cannot serve our request), or an unexpected reply from the master.
    //
    // Return PSYNC_NOT_SUPPORTED on errors we don't understand, otherwise
    // return PSYNC_TRY_LATER if we believe this is a transient error.

    if reply.starts_with(b"-NOMASTERLINK") || reply.starts_with(b"-LOADING") {
        server_log!(
            server,
            LL_NOTICE,
            "Master is currently unable to PSYNC but should be in the future: {}",
            cstr(&reply)
        );
        history::attempt_reply(server, &reply, None);
        let why =
            format!("master cannot PSYNC now (will retry): {}", cstr(&reply));
        history::attempt_failing(server, why);
        return PSYNC_TRY_LATER;
    }

    let why = if reply.starts_with(b"-ERR") {
        "master does not support PSYNC or is in error state: fell back to SYNC"
    } else {
        "unexpected reply to PSYNC: fell back to SYNC"
    };
    history::attempt_reply(server, &reply, Some(why.to_string()));
    if !reply.starts_with(b"-ERR") {
        // If it's not an error, log the unexpected event.
        server_log!(
            server,
            LL_WARNING,
            "Unexpected reply to PSYNC from master: {}",
            cstr(&reply)
        );
    } else {
        server_log!(
            server,
            LL_NOTICE,
            "Master does not support PSYNC or is in error state (reply: {})",
            cstr(&reply)
        );
    }
    replication_discard_cached_master(server);
    PSYNC_NOT_SUPPORTED
}

/// How sync_with_master_steps() left: C's `goto error` and
/// `goto write_error` (with the text to log). (no C twin)
enum SyncErr {
    Error,
    WriteError(Vec<u8>),
}

/// This handler fires when the non blocking connect was able to establish
/// a connection with the master, and then at every reply of the handshake:
/// each call does one step of the state machine, from
/// REPL_STATE_CONNECTING to REPL_STATE_TRANSFER.
///
/// C: replication.c syncWithMaster()
pub(crate) fn sync_with_master(
    server: &mut RedisServer,
    fd: RawFd,
    _data: ClientData,
    _mask: i32,
) {
    // If this event fired after the user turned the instance into a master
    // with SLAVEOF NO ONE we must just return ASAP.
    if server.repl_state == REPL_STATE_NONE {
        // C: close(fd). Divergence from C: cancelReplicationHandshake()
        // already closed our socket; drop the event too, which C leaves
        // behind.
        ae_delete_file_event(&mut server.el, fd, AE_READABLE | AE_WRITABLE);
        return;
    }

    let mut dfd: Option<File> = None;
    if let Err(e) = sync_with_master_steps(server, fd, &mut dfd) {
        // C: the write_error: label. Handle
        // sendSynchronousCommand(SYNC_CMD_WRITE) errors.
        if let SyncErr::WriteError(err) = e {
            server_log!(
                server,
                LL_WARNING,
                "Sending command to master in replication handshake: {}",
                cstr(&err)
            );
            let why = format!(
                "error sending to master in {}: {}",
                history::repl_state_name(server.repl_state),
                cstr(&err)
            );
            history::attempt_failing(server, why);
        }
        // C: the error: label
        ae_delete_file_event(&mut server.el, fd, AE_READABLE | AE_WRITABLE);
        drop(dfd); // close(dfd)
        server.repl_transfer_sock = None; // close(fd)
        server.repl_transfer_s = -1;
        set_repl_state(server, REPL_STATE_CONNECT);
    }
}

/// The body of syncWithMaster() down to its labels: a run of
/// `if server.repl_state == ...` blocks that fall through within one call,
/// as in C. `dfd` is the temp file, closed by the caller on error.
/// (no C twin)
fn sync_with_master_steps(
    server: &mut RedisServer,
    fd: RawFd,
    dfd: &mut Option<File>,
) -> Result<(), SyncErr> {
    let mut maxtries = 5;

    // Check for errors in the socket: after a non blocking connect() we
    // may find that the socket is in error state.
    let sockerr = match server.repl_transfer_sock.as_ref() {
        Some(s) => match s.take_error() {
            Ok(e) => e,
            Err(e) => Some(e),
        },
        None => Some(io::Error::from_raw_os_error(libc::EBADF)),
    };
    if let Some(e) = sockerr {
        server_log!(
            server,
            LL_WARNING,
            "Error condition on socket for SYNC: {}",
            strerror(&e)
        );
        return Err(SyncErr::Error);
    }

    // Every state but CONNECTING starts by reading a reply.
    if server.repl_state != REPL_STATE_CONNECTING
        && !sync_fd_has_input(server, fd)
    {
        return Ok(());
    }

    // Send a PING to check the master is able to reply without errors.
    if server.repl_state == REPL_STATE_CONNECTING {
        server_log!(
            server,
            LL_NOTICE,
            "Non blocking connect for SYNC fired the event."
        );
        // Delete the writable event so that the readable event remains
        // registered and we can wait for the PONG reply.
        ae_delete_file_event(&mut server.el, fd, AE_WRITABLE);
        set_repl_state(server, REPL_STATE_RECEIVE_PONG);
        // Send the PING, don't check for errors at all, we have the
        // timeout that will take care about this.
        if let Some(err) =
            send_synchronous_command(server, SYNC_CMD_WRITE, &[b"PING"])
        {
            return Err(SyncErr::WriteError(err));
        }
        return Ok(());
    }

    // Receive the PONG command.
    if server.repl_state == REPL_STATE_RECEIVE_PONG {
        let err = send_synchronous_command(server, SYNC_CMD_READ, &[])
            .unwrap_or_default();

        // We accept only two replies as valid, a positive +PONG reply (we
        // just check for "+") or an authentication error. Note that older
        // versions of Redis replied with "operation not permitted" instead
        // of using a proper error code, so we test both.
        if err.first() != Some(&b'+')
            && !err.starts_with(b"-NOAUTH")
            && !err.starts_with(b"-ERR operation not permitted")
        {
            server_log!(
                server,
                LL_WARNING,
                "Error reply to PING from master: '{}'",
                cstr(&err)
            );
            let why = format!("master answered PING with {}", cstr(&err));
            history::attempt_failing(server, why);
            return Err(SyncErr::Error);
        } else {
            server_log!(
                server,
                LL_NOTICE,
                "Master replied to PING, replication can continue..."
            );
        }
        set_repl_state(server, REPL_STATE_SEND_AUTH);
    }

    // AUTH with the master if required.
    if server.repl_state == REPL_STATE_SEND_AUTH {
        if let Some(auth) = server.masterauth.clone() {
            if let Some(err) = send_synchronous_command(
                server,
                SYNC_CMD_WRITE,
                &[b"AUTH", &auth],
            ) {
                return Err(SyncErr::WriteError(err));
            }
            set_repl_state(server, REPL_STATE_RECEIVE_AUTH);
            return Ok(());
        } else {
            set_repl_state(server, REPL_STATE_SEND_PORT);
        }
    }

    // Receive AUTH reply.
    if server.repl_state == REPL_STATE_RECEIVE_AUTH {
        let err = send_synchronous_command(server, SYNC_CMD_READ, &[])
            .unwrap_or_default();
        if err.first() == Some(&b'-') {
            server_log!(
                server,
                LL_WARNING,
                "Unable to AUTH to MASTER: {}",
                cstr(&err)
            );
            let why = format!("master refused AUTH: {}", cstr(&err));
            history::attempt_failing(server, why);
            return Err(SyncErr::Error);
        }
        set_repl_state(server, REPL_STATE_SEND_PORT);
    }

    // Set the slave port, so that Master's INFO command can list the slave
    // listening port correctly.
    if server.repl_state == REPL_STATE_SEND_PORT {
        let port = if server.slave_announce_port != 0 {
            server.slave_announce_port
        } else {
            server.port
        }
        .to_string();
        let err = send_synchronous_command(
            server,
            SYNC_CMD_WRITE,
            &[b"REPLCONF", b"listening-port", port.as_bytes()],
        );
        if let Some(err) = err {
            return Err(SyncErr::WriteError(err));
        }
        set_repl_state(server, REPL_STATE_RECEIVE_PORT);
        return Ok(());
    }

    // Receive REPLCONF listening-port reply.
    if server.repl_state == REPL_STATE_RECEIVE_PORT {
        let err = send_synchronous_command(server, SYNC_CMD_READ, &[])
            .unwrap_or_default();
        // Ignore the error if any, not all the Redis versions support
        // REPLCONF listening-port.
        if err.first() == Some(&b'-') {
            server_log!(
                server,
                LL_NOTICE,
                "(Non critical) Master does not understand REPLCONF listening-port: {}",
                cstr(&err)
            );
        }
        set_repl_state(server, REPL_STATE_SEND_IP);
    }

    // Skip REPLCONF ip-address if there is no slave-announce-ip option set.
    if server.repl_state == REPL_STATE_SEND_IP
        && server.slave_announce_ip.is_none()
    {
        set_repl_state(server, REPL_STATE_SEND_CAPA);
    }

    // Set the slave ip, so that Master's INFO command can list the slave IP
    // address port correctly in case of port forwarding or NAT.
    if server.repl_state == REPL_STATE_SEND_IP {
        let ip = server.slave_announce_ip.clone().unwrap_or_default();
        let err = send_synchronous_command(
            server,
            SYNC_CMD_WRITE,
            &[b"REPLCONF", b"ip-address", ip.as_bytes()],
        );
        if let Some(err) = err {
            return Err(SyncErr::WriteError(err));
        }
        set_repl_state(server, REPL_STATE_RECEIVE_IP);
        return Ok(());
    }

    // Receive REPLCONF ip-address reply.
    if server.repl_state == REPL_STATE_RECEIVE_IP {
        let err = send_synchronous_command(server, SYNC_CMD_READ, &[])
            .unwrap_or_default();
        // Ignore the error if any, not all the Redis versions support
        // REPLCONF ip-address.
        if err.first() == Some(&b'-') {
            server_log!(
                server,
                LL_NOTICE,
                "(Non critical) Master does not understand REPLCONF ip-address: {}",
                cstr(&err)
            );
        }
        set_repl_state(server, REPL_STATE_SEND_CAPA);
    }

    // Inform the master of our (slave) capabilities.
    //
    // EOF: supports EOF-style RDB transfer for diskless replication.
    // PSYNC2: supports PSYNC v2, so understands +CONTINUE <new repl ID>.
    //
    // The master will ignore capabilities it does not understand.
    if server.repl_state == REPL_STATE_SEND_CAPA {
        let err = send_synchronous_command(
            server,
            SYNC_CMD_WRITE,
            &[b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"],
        );
        if let Some(err) = err {
            return Err(SyncErr::WriteError(err));
        }
        set_repl_state(server, REPL_STATE_RECEIVE_CAPA);
        return Ok(());
    }

    // Receive CAPA reply.
    if server.repl_state == REPL_STATE_RECEIVE_CAPA {
        let err = send_synchronous_command(server, SYNC_CMD_READ, &[])
            .unwrap_or_default();
        // Ignore the error if any, not all the Redis versions support
        // REPLCONF capa.
        if err.first() == Some(&b'-') {
            server_log!(
                server,
                LL_NOTICE,
                "(Non critical) Master does not understand REPLCONF capa: {}",
                cstr(&err)
            );
        }
        set_repl_state(server, REPL_STATE_SEND_PSYNC);
    }

    // Try a partial resynchronization. If we don't have a cached master
    // slave_try_partial_resynchronization() will at least try to use PSYNC
    // to start a full resynchronization so that we get the master run id
    // and the global offset, to try a partial resync at the next
    // reconnection attempt.
    if server.repl_state == REPL_STATE_SEND_PSYNC {
        if slave_try_partial_resynchronization(server, false)
            == PSYNC_WRITE_ERROR
        {
            let err = b"Write error sending the PSYNC command.".to_vec();
            return Err(SyncErr::WriteError(err));
        }
        set_repl_state(server, REPL_STATE_RECEIVE_PSYNC);
        return Ok(());
    }

    // If reached this point, we should be in REPL_STATE_RECEIVE_PSYNC.
    if server.repl_state != REPL_STATE_RECEIVE_PSYNC {
        server_log!(
            server,
            LL_WARNING,
            "syncWithMaster(): state machine error, state should be RECEIVE_PSYNC but is {}",
            server.repl_state
        );
        return Err(SyncErr::Error);
    }

    let psync_result = slave_try_partial_resynchronization(server, true);
    if psync_result == PSYNC_WAIT_REPLY {
        return Ok(()); // Try again later...
    }

    // If the master is in an transient error, we should try to PSYNC from
    // scratch later, so go to the error path. This happens when the server
    // is loading the dataset or is not connected with its master and so
    // forth.
    if psync_result == PSYNC_TRY_LATER {
        return Err(SyncErr::Error);
    }

    // Note: if PSYNC does not return WAIT_REPLY, it will take care of
    // uninstalling the read handler from the file descriptor.

    if psync_result == PSYNC_CONTINUE {
        server_log!(
            server,
            LL_NOTICE,
            "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization."
        );
        return Ok(());
    }

    // PSYNC failed or is not supported: we want our slaves to resync with
    // us as well, if we have any sub-slaves. The master may transfer us an
    // entirely different data set and we have no way to incrementally feed
    // our slaves after that.
    disconnect_slaves(server); // Force our slaves to resync with us as well.
    free_replication_backlog(server); // Don't allow our chained slaves to PSYNC.
    history::backlog_freed(
        server,
        "freed when this server started a full sync with its master".into(),
        None,
    );

    // Fall back to SYNC if needed. Otherwise psync_result ==
    // PSYNC_FULLRESYNC and the server.master_replid and
    // master_initial_offset are already populated.
    if psync_result == PSYNC_NOT_SUPPORTED {
        server_log!(server, LL_NOTICE, "Retrying with SYNC...");
        let timeout = server.repl_syncio_timeout as i64 * 1000;
        let r = match server.repl_transfer_sock.as_ref() {
            Some(s) => sync_write(s, b"SYNC\r\n", timeout),
            None => Err(io::Error::from_raw_os_error(libc::EBADF)),
        };
        if let Err(e) = r {
            server_log!(
                server,
                LL_WARNING,
                "I/O error writing to MASTER: {}",
                strerror(&e)
            );
            return Err(SyncErr::Error);
        }
        history::attempt_sent(server, "sync".into(), None);
    }

    // Prepare a suitable temp file for bulk transfer
    let mut tmpfile = String::new();
    let mut last_err = None;
    while maxtries > 0 {
        maxtries -= 1;
        tmpfile =
            format!("temp-{}.{}.rdb", server.unixtime, std::process::id());
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&tmpfile)
        {
            Ok(f) => {
                *dfd = Some(f);
                break;
            }
            Err(e) => last_err = Some(e),
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    if dfd.is_none() {
        let e = last_err.unwrap_or_else(|| io::Error::from_raw_os_error(0));
        server_log!(
            server,
            LL_WARNING,
            "Opening the temp file needed for MASTER <-> REPLICA synchronization: {}",
            strerror(&e)
        );
        return Err(SyncErr::Error);
    }

    // Setup the non blocking download of the bulk file.
    if let Err(e) = ae_create_file_event(
        &mut server.el,
        fd,
        AE_READABLE,
        read_sync_bulk_payload,
        ClientData::None,
    ) {
        server_log!(
            server,
            LL_WARNING,
            "Can't create readable event for SYNC: {} (fd={})",
            strerror(&e),
            fd
        );
        return Err(SyncErr::Error);
    }

    set_repl_state(server, REPL_STATE_TRANSFER);
    server.repl_transfer_size = -1;
    server.repl_transfer_read = 0;
    server.repl_transfer_last_fsync_off = 0;
    let file = dfd.take().expect("opened above");
    server.repl_transfer_fd = file.as_raw_fd();
    server.repl_transfer_file = Some(file);
    server.repl_transfer_lastio = server.unixtime;
    server.repl_transfer_tmpfile = Some(tmpfile);
    Ok(())
}

/// Starts the non-blocking connect to our master and installs
/// sync_with_master for both readable and writable events: the writable
/// one fires when the connection is established (or failed).
///
/// C: replication.c connectWithMaster()
pub(crate) fn connect_with_master(server: &mut RedisServer) -> CResult {
    let host = server.masterhost.clone().unwrap_or_default();
    // C binds to NET_FIRST_BIND_ADDR (the first `bind` address, or none),
    // best effort.
    let r = match server.bindaddr.first() {
        Some(bind) => anet::anet_tcp_non_block_best_effort_bind_connect(
            &host,
            server.masterport,
            bind,
        ),
        None => anet::anet_tcp_non_block_connect(&host, server.masterport),
    };
    let sock = match r {
        Ok(s) => s,
        Err(e) => {
            // C prints strerror(errno); a failed resolution leaves no
            // errno, so print the text anet gives then.
            let why = if e.1 != 0 {
                strerror(&io::Error::from_raw_os_error(e.1))
            } else {
                e.0
            };
            server_log!(
                server,
                LL_WARNING,
                "Unable to connect to MASTER: {}",
                why
            );
            return Err(CErr);
        }
    };
    let fd = sock.as_raw_fd();

    if ae_create_file_event(
        &mut server.el,
        fd,
        AE_READABLE | AE_WRITABLE,
        sync_with_master,
        ClientData::None,
    )
    .is_err()
    {
        drop(sock); // close(fd)
        server_log!(server, LL_WARNING, "Can't create readable event for SYNC");
        return Err(CErr);
    }

    server.repl_transfer_lastio = server.unixtime;
    server.repl_transfer_s = fd;
    server.repl_transfer_sock = Some(sock);
    set_repl_state(server, REPL_STATE_CONNECTING);
    Ok(())
}

/// This function can be called when a non blocking connection is currently
/// in progress to undo it. Never call this function directly, use
/// cancel_replication_handshake() instead.
///
/// C: replication.c undoConnectWithMaster()
pub(crate) fn undo_connect_with_master(server: &mut RedisServer) {
    let fd = server.repl_transfer_s;

    ae_delete_file_event(&mut server.el, fd, AE_READABLE | AE_WRITABLE);
    server.repl_transfer_sock = None; // close(fd)
    server.repl_transfer_s = -1;
}

/// Abort the async download of the bulk dataset while SYNC-ing with
/// master. Never call this function directly, use
/// cancel_replication_handshake() instead.
///
/// C: replication.c replicationAbortSyncTransfer()
pub(crate) fn replication_abort_sync_transfer(server: &mut RedisServer) {
    if server.repl_state != REPL_STATE_TRANSFER {
        crate::server_panic!(
            server,
            "server.repl_state == REPL_STATE_TRANSFER"
        );
    }
    undo_connect_with_master(server);
    server.repl_transfer_file = None; // close(server.repl_transfer_fd)
    server.repl_transfer_fd = -1;
    if let Some(tmpfile) = server.repl_transfer_tmpfile.take() {
        let _ = std::fs::remove_file(tmpfile);
    }
}

/// This function aborts a non blocking replication attempt if there is one
/// in progress, by canceling the non-blocking connect attempt or the
/// initial bulk transfer.
///
/// If there was a replication handshake in progress true is returned and
/// the replication state (server.repl_state) set to REPL_STATE_CONNECT.
///
/// Otherwise false is returned and no operation is performed at all.
///
/// C: replication.c cancelReplicationHandshake()
pub(crate) fn cancel_replication_handshake(server: &mut RedisServer) -> bool {
    if server.repl_state == REPL_STATE_TRANSFER {
        replication_abort_sync_transfer(server);
        set_repl_state(server, REPL_STATE_CONNECT);
    } else if server.repl_state == REPL_STATE_CONNECTING
        || slave_is_in_handshake_state(server)
    {
        undo_connect_with_master(server);
        set_repl_state(server, REPL_STATE_CONNECT);
    } else {
        return false;
    }
    true
}

/// Set replication to the specified master address and port.
///
/// C: replication.c replicationSetMaster()
pub(crate) fn replication_set_master(
    server: &mut RedisServer,
    ip: &str,
    port: i32,
) {
    let was_master = server.masterhost.is_none();

    server.masterhost = Some(ip.to_string());
    server.masterport = port;
    if let Some(master) = server.master {
        free_client(server, master);
    }
    // Clients blocked in master, now slave.
    crate::blocked::disconnect_all_blocked_clients(server);

    // Force our slaves to resync with us as well. They may hopefully be
    // able to partially resync with us, but we can notify the replid
    // change.
    disconnect_slaves(server);
    cancel_replication_handshake(server);
    // Before destroying our master state, create a cached master using our
    // own parameters, to later PSYNC with the new master.
    if was_master {
        replication_discard_cached_master(server);
        super::replication_cache_master_using_myself(server);
    }
    set_repl_state(server, REPL_STATE_CONNECT);
}

/// Cancel replication, setting the instance as a master itself.
///
/// C: replication.c replicationUnsetMaster()
pub(crate) fn replication_unset_master(server: &mut RedisServer) {
    if server.masterhost.is_none() {
        return; // Nothing to do.
    }
    server.masterhost = None;
    // When a slave is turned into a master, the current replication ID
    // (that was inherited from the master at synchronization time) is used
    // as secondary ID up to the current offset, and a new replication ID is
    // created to continue with a new replication history.
    shift_replication_id(server);
    if let Some(master) = server.master {
        free_client(server, master);
    }
    replication_discard_cached_master(server);
    cancel_replication_handshake(server);
    // Disconnecting all the slaves is required: we need to inform slaves of
    // the replication ID change (see shift_replication_id() call). However
    // the slaves will be able to partially resync with us, so it will be a
    // very fast reconnection.
    disconnect_slaves(server);
    set_repl_state(server, REPL_STATE_NONE);

    // We need to make sure the new master will start the replication
    // stream with a SELECT statement. This is forced after a full resync,
    // but with PSYNC version 2, there is no need for full resync after a
    // master switch.
    server.slaveseldb = -1;

    // Once we turn from slave to master, we consider the starting time
    // without slaves (that is used to count the replication backlog time
    // to live) as starting from now. Otherwise the backlog will be freed
    // after a failover if slaves do not connect immediately.
    server.repl_no_slaves_since = server.unixtime;
}

/// This function is called when the slave lose the connection with the
/// master into an unexpected way.
///
/// C: replication.c replicationHandleMasterDisconnection()
pub(crate) fn replication_handle_master_disconnection(
    server: &mut RedisServer,
) {
    server.master = None;
    set_repl_state(server, REPL_STATE_CONNECT);
    server.repl_down_since = server.unixtime;
    // We lost connection with our master, don't disconnect slaves yet,
    // maybe we'll be able to PSYNC with our master later. We'll disconnect
    // the slaves only if we'll have to do a full resync with our master.
}

/// REPLICAOF host port, REPLICAOF NO ONE (and the same as SLAVEOF).
///
/// C: replication.c replicaofCommand()
pub(crate) fn replicaof_command(server: &mut RedisServer, c: &mut Client) {
    // SLAVEOF is not allowed in cluster mode as replication is
    // automatically configured using the current address of the master
    // node.
    if server.cluster_enabled {
        add_reply_error(c, "REPLICAOF not allowed in cluster mode.");
        return;
    }

    // The special host/port combination "NO" "ONE" turns the instance into
    // a master. Otherwise the new master address is set.
    if c.argv[1].eq_ignore_ascii_case(b"no")
        && c.argv[2].eq_ignore_ascii_case(b"one")
    {
        if server.masterhost.is_some() {
            replication_unset_master(server);
            let client = cat_client_info_string(server, c);
            server_log!(
                server,
                LL_NOTICE,
                "MASTER MODE enabled (user request from '{}')",
                client
            );
        }
    } else {
        if c.flags & CLIENT_SLAVE != 0 {
            // If a client is already a replica they cannot run this
            // command, because it involves flushing all replicas
            // (including this client)
            add_reply_error(
                c,
                "Command is not valid when client is a replica.",
            );
            return;
        }

        let arg = c.argv[2].clone();
        let Some(port) =
            crate::object::get_long_from_object_or_reply(c, &arg, None)
        else {
            return;
        };

        // Check if we are already attached to the specified master
        let host = String::from_utf8_lossy(&c.argv[1]).into_owned();
        if server
            .masterhost
            .as_ref()
            .is_some_and(|h| h.eq_ignore_ascii_case(&host))
            && server.masterport as i64 == port
        {
            server_log!(
                server,
                LL_NOTICE,
                "REPLICAOF would result into synchronization with the master we are already connected with. No operation performed."
            );
            add_reply(c, b"+OK Already connected to specified master\r\n");
            return;
        }
        // There was no previous master or the user specified a different
        // one, we can continue. (C passes the long to an int parameter.)
        replication_set_master(server, &host, port as i32);
        let client = cat_client_info_string(server, c);
        server_log!(
            server,
            LL_NOTICE,
            "REPLICAOF {}:{} enabled (user request from '{}')",
            server.masterhost.as_deref().unwrap_or(""),
            server.masterport,
            client
        );
    }
    add_reply(c, crate::shared::OK);
}

/// ROLE command: provide information about the role of the instance
/// (master or slave) and additional information related to replication in
/// an easy to process format.
///
/// C: replication.c roleCommand()
pub(crate) fn role_command(server: &mut RedisServer, c: &mut Client) {
    if server.masterhost.is_none() {
        let mut slaves = 0;

        add_reply_multi_bulk_len(c, 3);
        add_reply_bulk_c_buffer(c, b"master");
        add_reply_long_long(c, server.master_repl_offset);
        let mbcount = crate::networking::add_deferred_multi_bulk_length(c);
        for id in &server.slaves {
            // The client running ROLE is not a replica (replicas only send
            // REPLCONF), so every replica is in the table.
            let Some(slave) = server.clients.get(id) else { continue };
            let slaveip = match &slave.slave_ip {
                Some(ip) if !ip.is_empty() => ip.clone(),
                _ => match slave
                    .sock
                    .as_ref()
                    .and_then(anet::anet_peer_to_string)
                {
                    Some((ip, _)) => ip,
                    None => continue,
                },
            };
            if slave.replstate != super::SLAVE_STATE_ONLINE {
                continue;
            }
            add_reply_multi_bulk_len(c, 3);
            add_reply_bulk_c_string(c, Some(&slaveip));
            add_reply_bulk_long_long(c, slave.slave_listening_port as i64);
            add_reply_bulk_long_long(c, slave.repl_ack_off);
            slaves += 1;
        }
        crate::networking::set_deferred_multi_bulk_length(c, mbcount, slaves);
    } else {
        add_reply_multi_bulk_len(c, 5);
        add_reply_bulk_c_buffer(c, b"slave");
        add_reply_bulk_c_string(c, server.masterhost.as_deref());
        add_reply_long_long(c, server.masterport as i64);
        let slavestate = if slave_is_in_handshake_state(server) {
            "handshake"
        } else {
            match server.repl_state {
                REPL_STATE_NONE => "none",
                REPL_STATE_CONNECT => "connect",
                REPL_STATE_CONNECTING => "connecting",
                REPL_STATE_TRANSFER => "sync",
                REPL_STATE_CONNECTED => "connected",
                _ => "unknown",
            }
        };
        add_reply_bulk_c_string(c, Some(slavestate));
        // The master itself may be asking: it is read in the table.
        let reploff =
            crate::networking::with_running_in_table(server, c, |s| {
                s.master
                    .and_then(|id| s.clients.get(&id))
                    .map_or(-1, |m| m.reploff)
            });
        add_reply_long_long(c, reploff);
    }
}

/// Send a REPLCONF ACK command to the master to inform it about the
/// current processed offset. If we are not connected with a master, the
/// command has no effects.
///
/// When the master's own command asks for it (REPLCONF GETACK), its
/// caller puts it back in the table for the call
/// (`with_running_in_table`); its offset has not moved past the command
/// yet, as in C.
///
/// C: replication.c replicationSendAck()
pub(crate) fn replication_send_ack(server: &mut RedisServer) {
    let Some(id) = server.master else { return };
    with_client(server, id, |_, c| {
        c.flags |= CLIENT_MASTER_FORCE_REPLY;
        add_reply_multi_bulk_len(c, 3);
        add_reply_bulk_c_string(c, Some("REPLCONF"));
        add_reply_bulk_c_string(c, Some("ACK"));
        add_reply_bulk_long_long(c, c.reploff);
        c.flags &= !CLIENT_MASTER_FORCE_REPLY;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slave_is_in_handshake_state_covers_receive_pong_to_receive_psync() {
        let mut server = crate::server::init_server_config();
        for (state, want) in [
            (REPL_STATE_CONNECT, false),
            (REPL_STATE_CONNECTING, false),
            (REPL_STATE_RECEIVE_PONG, true),
            (REPL_STATE_SEND_CAPA, true),
            (REPL_STATE_RECEIVE_PSYNC, true),
            (REPL_STATE_TRANSFER, false),
            (REPL_STATE_CONNECTED, false),
        ] {
            server.repl_state = state;
            assert_eq!(
                slave_is_in_handshake_state(&server),
                want,
                "state {state}"
            );
        }
    }
}
