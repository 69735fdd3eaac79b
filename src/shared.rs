//! The replies every command shares, defined once. C builds them as
//! refcounted string objects at start-up and keeps them in the global
//! `shared`, so `addReply(c,shared.ok)` costs no formatting; here they are
//! byte constants, and `add_reply(c, OK)` reads the same.
//!
//! Ports the reply part of server.c createSharedObjects() (and of
//! `struct sharedObjectsStruct` in server.h) from Redis 5.0.14, in the same
//! order. A constant is named after its `shared` field, upper-cased:
//! `shared.wrongtypeerr` is `WRONGTYPEERR`. What is not here: the
//! "*<n>\r\n"/"$<n>\r\n" headers (`shared.mbulkhdr`, `shared.bulkhdr`) live
//! with the reply code in networking, the SELECT commands
//! (`shared.select`) are built where replication feeds its replicas, and
//! the command names (`shared.del`, `shared.lpop`, ...) stay literal at the
//! places that propagate them.
//!
//! C: server.c createSharedObjects()
//!
//! Every object of createSharedObjects() is here, also those only Lua,
//! maxmemory and AOF use (not ported yet), so the list reads whole.
#![allow(dead_code)]

/// shared.crlf
pub(crate) const CRLF: &[u8] = b"\r\n";
/// shared.ok
pub(crate) const OK: &[u8] = b"+OK\r\n";
/// shared.err: what C replies when a command fails with nothing to add.
pub(crate) const ERR: &[u8] = b"-ERR\r\n";
/// shared.emptybulk
pub(crate) const EMPTYBULK: &[u8] = b"$0\r\n\r\n";
/// shared.czero
pub(crate) const CZERO: &[u8] = b":0\r\n";
/// shared.cone
pub(crate) const CONE: &[u8] = b":1\r\n";
/// shared.cnegone
pub(crate) const CNEGONE: &[u8] = b":-1\r\n";
/// shared.nullbulk
pub(crate) const NULLBULK: &[u8] = b"$-1\r\n";
/// shared.nullmultibulk
pub(crate) const NULLMULTIBULK: &[u8] = b"*-1\r\n";
/// shared.emptymultibulk
pub(crate) const EMPTYMULTIBULK: &[u8] = b"*0\r\n";
/// shared.pong
pub(crate) const PONG: &[u8] = b"+PONG\r\n";
/// shared.queued
pub(crate) const QUEUED: &[u8] = b"+QUEUED\r\n";
/// shared.emptyscan: cursor 0 and no elements.
pub(crate) const EMPTYSCAN: &[u8] = b"*2\r\n$1\r\n0\r\n*0\r\n";
/// shared.wrongtypeerr
pub(crate) const WRONGTYPEERR: &[u8] =
    b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
/// shared.nokeyerr
pub(crate) const NOKEYERR: &[u8] = b"-ERR no such key\r\n";
/// shared.syntaxerr
pub(crate) const SYNTAXERR: &[u8] = b"-ERR syntax error\r\n";
/// shared.sameobjecterr
pub(crate) const SAMEOBJECTERR: &[u8] =
    b"-ERR source and destination objects are the same\r\n";
/// shared.outofrangeerr
pub(crate) const OUTOFRANGEERR: &[u8] = b"-ERR index out of range\r\n";
/// shared.noscripterr
pub(crate) const NOSCRIPTERR: &[u8] =
    b"-NOSCRIPT No matching script. Please use EVAL.\r\n";
/// shared.loadingerr
pub(crate) const LOADINGERR: &[u8] =
    b"-LOADING Redis is loading the dataset in memory\r\n";
/// shared.slowscripterr
pub(crate) const SLOWSCRIPTERR: &[u8] =
    b"-BUSY Redis is busy running a script. \
You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n";
/// shared.masterdownerr
pub(crate) const MASTERDOWNERR: &[u8] =
    b"-MASTERDOWN Link with MASTER is down \
and replica-serve-stale-data is set to 'no'.\r\n";
/// shared.bgsaveerr
pub(crate) const BGSAVEERR: &[u8] =
    b"-MISCONF Redis is configured to save RDB \
snapshots, but it is currently not able to persist on disk. Commands that \
may modify the data set are disabled, because this instance is configured \
to report errors during writes if RDB snapshotting fails \
(stop-writes-on-bgsave-error option). Please check the Redis logs for \
details about the RDB error.\r\n";
/// shared.roslaveerr
pub(crate) const ROSLAVEERR: &[u8] =
    b"-READONLY You can't write against a read only replica.\r\n";
/// shared.noautherr
pub(crate) const NOAUTHERR: &[u8] = b"-NOAUTH Authentication required.\r\n";
/// shared.oomerr
pub(crate) const OOMERR: &[u8] =
    b"-OOM command not allowed when used memory > 'maxmemory'.\r\n";
/// shared.execaborterr
pub(crate) const EXECABORTERR: &[u8] =
    b"-EXECABORT Transaction discarded because of previous errors.\r\n";
/// shared.noreplicaserr
pub(crate) const NOREPLICASERR: &[u8] =
    b"-NOREPLICAS Not enough good replicas to write.\r\n";
/// shared.busykeyerr
pub(crate) const BUSYKEYERR: &[u8] =
    b"-BUSYKEY Target key name already exists.\r\n";
/// shared.space
pub(crate) const SPACE: &[u8] = b" ";
/// shared.colon
pub(crate) const COLON: &[u8] = b":";
/// shared.plus
pub(crate) const PLUS: &[u8] = b"+";

// shared.select[] is built in replication_feed_slaves (replication/master.rs).

/// shared.messagebulk
pub(crate) const MESSAGEBULK: &[u8] = b"$7\r\nmessage\r\n";
/// shared.pmessagebulk
pub(crate) const PMESSAGEBULK: &[u8] = b"$8\r\npmessage\r\n";
/// shared.subscribebulk
pub(crate) const SUBSCRIBEBULK: &[u8] = b"$9\r\nsubscribe\r\n";
/// shared.unsubscribebulk
pub(crate) const UNSUBSCRIBEBULK: &[u8] = b"$11\r\nunsubscribe\r\n";
/// shared.psubscribebulk
pub(crate) const PSUBSCRIBEBULK: &[u8] = b"$10\r\npsubscribe\r\n";
/// shared.punsubscribebulk
pub(crate) const PUNSUBSCRIBEBULK: &[u8] = b"$12\r\npunsubscribe\r\n";

#[cfg(test)]
mod tests {
    use super::*;

    /// The long texts are split over lines here; what the client gets must
    /// still be C's bytes exactly.
    #[test]
    fn create_shared_objects_long_errors_are_cs_bytes() {
        assert_eq!(
            SLOWSCRIPTERR,
            &b"-BUSY Redis is busy running a script. You can only call \
               SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"[..]
        );
        assert_eq!(
            MASTERDOWNERR,
            &b"-MASTERDOWN Link with MASTER is down and \
               replica-serve-stale-data is set to 'no'.\r\n"[..]
        );
        let misconf: &[u8] = b"-MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist on disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.\r\n";
        assert_eq!(BGSAVEERR, misconf);
    }
}
