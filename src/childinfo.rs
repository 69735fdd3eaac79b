//! The child-to-parent info pipe: a saving child (BGSAVE, diskless sync)
//! tells its parent, before it exits, how much memory copy-on-write cost
//! it, and the parent shows that as `rdb_last_cow_size` in INFO.
//!
//! Ports childinfo.c from Redis 5.0.14, in the same order, plus the
//! `zmalloc_get_private_dirty` reading of zmalloc.c that feeds it.
//!
//! Read this first: the pipe is made before the fork; the child writes one
//! fixed-size record into it and exits; the parent reads the record when
//! it reaps the child in server_cron, then closes both ends.

use std::os::unix::io::RawFd;

use crate::server::RedisServer;

// ------------------------------ server.h ------------------------------

pub(crate) const CHILD_INFO_MAGIC: u64 = 0xC17DDA7A12345678;
pub(crate) const CHILD_INFO_TYPE_RDB: i32 = 0;
pub(crate) const CHILD_INFO_TYPE_AOF: i32 = 1;

/// What the child sends. C: the child_info_data struct in redisServer
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ChildInfoData {
    /// AOF or RDB child?
    pub(crate) process_type: i32,
    /// Copy on write size.
    pub(crate) cow_size: usize,
    /// Magic value to make sure data is valid.
    pub(crate) magic: u64,
}

/// The size of one record on the pipe: process_type, cow_size, magic.
const CHILD_INFO_LEN: usize = 4 + 8 + 8;

impl ChildInfoData {
    /// The record as the child writes it. C writes the struct's memory;
    /// parent and child are the same binary, so any fixed layout will do.
    /// (no C twin)
    fn to_bytes(self) -> [u8; CHILD_INFO_LEN] {
        let mut b = [0u8; CHILD_INFO_LEN];
        b[0..4].copy_from_slice(&self.process_type.to_le_bytes());
        b[4..12].copy_from_slice(&(self.cow_size as u64).to_le_bytes());
        b[12..20].copy_from_slice(&self.magic.to_le_bytes());
        b
    }

    /// (no C twin) The inverse of `to_bytes`.
    fn from_bytes(b: &[u8; CHILD_INFO_LEN]) -> ChildInfoData {
        let mut i4 = [0u8; 4];
        let mut u8s = [0u8; 8];
        i4.copy_from_slice(&b[0..4]);
        let process_type = i32::from_le_bytes(i4);
        u8s.copy_from_slice(&b[4..12]);
        let cow_size = u64::from_le_bytes(u8s) as usize;
        u8s.copy_from_slice(&b[12..20]);
        let magic = u64::from_le_bytes(u8s);
        ChildInfoData { process_type, cow_size, magic }
    }
}

// ------------------------------ childinfo.c ------------------------------

/// Open a child-parent channel used in order to move information about the
/// RDB / AOF saving process from the child to the parent (for instance the
/// amount of copy on write memory used)
///
/// C: childinfo.c openChildInfoPipe()
pub(crate) fn open_child_info_pipe(server: &mut RedisServer) {
    let mut fds: [libc::c_int; 2] = [-1, -1];
    // SAFETY: pipe(2) writes two descriptors into the array we own; no
    // other thread exists.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } == -1 {
        // On error our two file descriptors should be still set to -1, but
        // we call anyway closeChildInfoPipe() since can't hurt.
        close_child_info_pipe(server);
        return;
    }
    server.child_info_pipe = [fds[0], fds[1]];
    // C: anetNonBlock() on the read end.
    // SAFETY: fcntl(2) on the descriptor pipe(2) just gave us.
    let nonblock_ok = unsafe {
        let flags = libc::fcntl(fds[0], libc::F_GETFL);
        flags != -1
            && libc::fcntl(fds[0], libc::F_SETFL, flags | libc::O_NONBLOCK)
                != -1
    };
    if !nonblock_ok {
        close_child_info_pipe(server);
    } else {
        server.child_info_data = ChildInfoData::default();
    }
}

/// Close the pipes opened with openChildInfoPipe().
///
/// C: childinfo.c closeChildInfoPipe()
pub(crate) fn close_child_info_pipe(server: &mut RedisServer) {
    if server.child_info_pipe[0] != -1 || server.child_info_pipe[1] != -1 {
        close_fd(server.child_info_pipe[0]);
        close_fd(server.child_info_pipe[1]);
        server.child_info_pipe = [-1, -1];
    }
}

/// close(2) on a descriptor we made with pipe(2), ignoring -1. (no C twin)
fn close_fd(fd: RawFd) {
    if fd != -1 {
        // SAFETY: the descriptor was made by open_child_info_pipe and is
        // closed once, here; nothing else holds it.
        unsafe { libc::close(fd) };
    }
}

/// Send COW data to parent. The child should call this function after
/// populating the corresponding fields it want to sent (according to the
/// process type).
///
/// C: childinfo.c sendChildInfo()
pub(crate) fn send_child_info(server: &mut RedisServer, ptype: i32) {
    if server.child_info_pipe[1] == -1 {
        return;
    }
    server.child_info_data.magic = CHILD_INFO_MAGIC;
    server.child_info_data.process_type = ptype;
    let rec = server.child_info_data.to_bytes();
    // SAFETY: write(2) of our own stack buffer to the pipe's write end,
    // which stays open until the child exits.
    let written = unsafe {
        libc::write(
            server.child_info_pipe[1],
            rec.as_ptr() as *const libc::c_void,
            rec.len(),
        )
    };
    if written != rec.len() as isize {
        // Nothing to do on error, this will be detected by the other side.
    }
}

/// Receive COW data from the child.
///
/// C: childinfo.c receiveChildInfo()
pub(crate) fn receive_child_info(server: &mut RedisServer) {
    if server.child_info_pipe[0] == -1 {
        return;
    }
    let mut rec = [0u8; CHILD_INFO_LEN];
    // SAFETY: read(2) into our own buffer of rec.len() bytes from the
    // pipe's read end (non-blocking), open until close_child_info_pipe.
    let n = unsafe {
        libc::read(
            server.child_info_pipe[0],
            rec.as_mut_ptr() as *mut libc::c_void,
            rec.len(),
        )
    };
    if n == rec.len() as isize {
        let data = ChildInfoData::from_bytes(&rec);
        if data.magic == CHILD_INFO_MAGIC {
            server.child_info_data = data;
            if data.process_type == CHILD_INFO_TYPE_RDB {
                server.stat_rdb_cow_bytes = data.cow_size;
            } else if data.process_type == CHILD_INFO_TYPE_AOF {
                server.stat_aof_cow_bytes = data.cow_size;
            }
        }
    }
}

// ------------------------------ zmalloc.c ------------------------------

/// Sums the `field` lines ("Private_Dirty:" and the like, in kB) of
/// /proc/self/smaps, in bytes.
///
/// Divergence from C: /proc/self/smaps_rollup (one pre-summed record,
/// much cheaper than smaps for a process with many mappings) is read when
/// the kernel has it; the sum is the same.
///
/// C: zmalloc.c zmalloc_get_smap_bytes_by_field()
pub(crate) fn zmalloc_get_smap_bytes_by_field(field: &str) -> usize {
    let text = std::fs::read_to_string("/proc/self/smaps_rollup")
        .or_else(|_| std::fs::read_to_string("/proc/self/smaps"))
        .unwrap_or_default();
    let mut bytes = 0usize;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix(field) {
            let kb: usize =
                rest.trim().trim_end_matches("kB").trim().parse().unwrap_or(0);
            bytes += kb * 1024;
        }
    }
    bytes
}

/// The memory of this process that is private and written to: in a fork
/// child, what copy-on-write has duplicated so far.
///
/// C: zmalloc.c zmalloc_get_private_dirty()
pub(crate) fn zmalloc_get_private_dirty() -> usize {
    zmalloc_get_smap_bytes_by_field("Private_Dirty:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_info_record_roundtrip() {
        let d = ChildInfoData {
            process_type: CHILD_INFO_TYPE_RDB,
            cow_size: 123456789,
            magic: CHILD_INFO_MAGIC,
        };
        assert_eq!(ChildInfoData::from_bytes(&d.to_bytes()), d);
    }

    #[test]
    fn private_dirty_is_read() {
        // A running test process has written to some private memory.
        assert!(zmalloc_get_private_dirty() > 0);
    }
}
