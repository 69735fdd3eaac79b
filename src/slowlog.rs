//! Slowlog implements a system that is able to remember the latest N
//! queries that took more than M microseconds to execute.
//!
//! The execution time to reach to be logged in the slow log is set using
//! the 'slowlog-log-slower-than' config directive, that is also readable
//! and writable using the CONFIG SET/GET command.
//!
//! The slow queries log is actually not "logged" in the Redis log file but
//! is accessible thanks to the SLOWLOG command.
//!
//! C: slowlog.c (and slowlog.h's entry struct and limits)

use crate::networking::{
    add_deferred_multi_bulk_length, add_reply, add_reply_bulk,
    add_reply_bulk_c_buffer, add_reply_help, add_reply_long_long,
    add_reply_multi_bulk_len, add_reply_subcommand_syntax_error,
    set_deferred_multi_bulk_length,
};
use crate::server::{Client, RedisServer};

/// Max number of arguments in a slowlog entry.
///
/// C: slowlog.h SLOWLOG_ENTRY_MAX_ARGC
pub(crate) const SLOWLOG_ENTRY_MAX_ARGC: usize = 32;
/// Max bytes of a slowlog entry argument.
///
/// C: slowlog.h SLOWLOG_ENTRY_MAX_STRING
pub(crate) const SLOWLOG_ENTRY_MAX_STRING: usize = 128;

/// An argument the running command moved out of argv (an empty `Vec` is
/// left there): its length and the bytes a slowlog entry would keep.
///
/// Divergence from C: C's argv and the keyspace share the object, so the
/// slow log still sees it after the command; here the argument is moved
/// when nothing propagates it (`t_string::take_arg`), and this record,
/// copied into a buffer the client reuses, stands in for it. (no C twin)
#[derive(Debug, Clone)]
pub(crate) struct MovedArg {
    idx: usize,
    len: usize,
    prefix_len: usize,
    prefix: [u8; SLOWLOG_ENTRY_MAX_STRING],
}

impl MovedArg {
    /// Records that argument `idx`, `arg`, is moved out of `c.argv`.
    pub(crate) fn record(c: &mut Client, idx: usize, arg: &[u8]) {
        let n = arg.len().min(SLOWLOG_ENTRY_MAX_STRING);
        let mut m = MovedArg {
            idx,
            len: arg.len(),
            prefix_len: n,
            prefix: [0; SLOWLOG_ENTRY_MAX_STRING],
        };
        m.prefix[..n].copy_from_slice(&arg[..n]);
        c.moved_args.push(m);
    }
}

/// This structure defines an entry inside the slow log list.
///
/// C: slowlog.h slowlogEntry
#[derive(Debug)]
pub(crate) struct SlowlogEntry {
    pub(crate) argv: Vec<Vec<u8>>,
    /// Unique entry identifier.
    pub(crate) id: i64,
    /// Time spent by the query, in microseconds.
    pub(crate) duration: i64,
    /// Unix time at which the query was executed.
    pub(crate) time: i64,
    /// Client network address.
    pub(crate) cname: Vec<u8>,
    /// Client name.
    pub(crate) peerid: String,
}

/// Create a new slowlog entry. Incrementing the ref count of all the
/// objects retained is up to the caller (here: the arguments are copied).
///
/// C: slowlog.c slowlogCreateEntry()
fn slowlog_create_entry(
    server: &mut RedisServer,
    c: &mut Client,
    argv: &[Vec<u8>],
    duration: i64,
) -> SlowlogEntry {
    let moved = std::mem::take(&mut c.moved_args);
    let argc = argv.len();
    let slargc = argc.min(SLOWLOG_ENTRY_MAX_ARGC);
    let mut se_argv = Vec::with_capacity(slargc);
    for (j, arg) in argv.iter().take(slargc).enumerate() {
        // Logging too many arguments is a useless memory waste, so we stop
        // at SLOWLOG_ENTRY_MAX_ARGC, but use the last argument to specify
        // how many remaining arguments there were in the original command.
        if slargc != argc && j == slargc - 1 {
            se_argv.push(
                format!("... ({} more arguments)", argc - slargc + 1)
                    .into_bytes(),
            );
        } else if let Some(m) =
            moved.iter().find(|m| m.idx == j && arg.is_empty())
        {
            // Moved into the keyspace by the command: its record.
            let mut s = m.prefix[..m.prefix_len].to_vec();
            if m.len > SLOWLOG_ENTRY_MAX_STRING {
                s.extend_from_slice(
                    format!(
                        "... ({} more bytes)",
                        m.len - SLOWLOG_ENTRY_MAX_STRING
                    )
                    .as_bytes(),
                );
            }
            se_argv.push(s);
        } else if arg.len() > SLOWLOG_ENTRY_MAX_STRING {
            // Trim too long strings as well...
            let mut s = arg[..SLOWLOG_ENTRY_MAX_STRING].to_vec();
            s.extend_from_slice(
                format!(
                    "... ({} more bytes)",
                    arg.len() - SLOWLOG_ENTRY_MAX_STRING
                )
                .as_bytes(),
            );
            se_argv.push(s);
        } else {
            // C duplicates the string objects so that they do not end
            // shared with values stored into keys; a copy here.
            se_argv.push(arg.clone());
        }
    }
    c.moved_args = moved;
    let id = server.slowlog_entry_id;
    server.slowlog_entry_id += 1;
    SlowlogEntry {
        argv: se_argv,
        id,
        duration,
        // C: time(NULL)
        time: (crate::server::ustime() / 1_000_000),
        peerid: crate::networking::get_client_peer_id(server, c),
        cname: c.name.clone().unwrap_or_default(),
    }
}

// C: slowlog.c slowlogFreeEntry(): dropping a SlowlogEntry frees it.

/// Initialize the slow log. This function should be called a single time
/// at server startup.
///
/// C: slowlog.c slowlogInit()
pub(crate) fn slowlog_init(server: &mut RedisServer) {
    server.slowlog.clear();
    server.slowlog_entry_id = 0;
}

/// Push a new entry into the slow log. This function will make sure to
/// trim the slow log accordingly to the configured max length.
///
/// C: slowlog.c slowlogPushEntryIfNeeded()
pub(crate) fn slowlog_push_entry_if_needed(
    server: &mut RedisServer,
    c: &mut Client,
    argv: &[Vec<u8>],
    duration: i64,
) {
    if server.slowlog_log_slower_than < 0 {
        return; // Slowlog disabled
    }
    if duration >= server.slowlog_log_slower_than {
        let se = slowlog_create_entry(server, c, argv, duration);
        server.slowlog.push_front(se);
    }
    // Remove old entries if needed.
    while server.slowlog.len() as u64 > server.slowlog_max_len {
        server.slowlog.pop_back();
    }
}

/// Remove all the entries from the current slow log.
///
/// C: slowlog.c slowlogReset()
pub(crate) fn slowlog_reset(server: &mut RedisServer) {
    server.slowlog.clear();
}

/// The SLOWLOG command. Implements all the subcommands needed to handle
/// the Redis slow log.
///
/// C: slowlog.c slowlogCommand()
pub(crate) fn slowlog_command(server: &mut RedisServer, c: &mut Client) {
    let argc = c.argv.len();
    let sub = crate::networking::c_str(&c.argv[1]).to_ascii_lowercase();
    if argc == 2 && sub == b"help" {
        let help = [
            "GET [count] -- Return top entries from the slowlog (default: 10).    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port, client name",
            "LEN -- Return the length of the slowlog.",
            "RESET -- Reset the slowlog.",
        ];
        let name = String::from_utf8_lossy(&c.argv[0]).into_owned();
        add_reply_help(c, &name, &help);
    } else if argc == 2 && sub == b"reset" {
        slowlog_reset(server);
        add_reply(c, crate::shared::OK);
    } else if argc == 2 && sub == b"len" {
        add_reply_long_long(c, server.slowlog.len() as i64);
    } else if (argc == 2 || argc == 3) && sub == b"get" {
        let mut count: i64 = 10;
        let mut sent = 0;
        if argc == 3 {
            let arg = c.argv[2].clone();
            match crate::object::get_long_from_object_or_reply(c, &arg, None) {
                Some(v) => count = v,
                None => return,
            }
        }
        let totentries = add_deferred_multi_bulk_length(c);
        // C: while(count-- && (ln = listNext(&li))): a negative count
        // never reaches zero, so it sends everything.
        for se in server.slowlog.iter() {
            if count == 0 {
                break;
            }
            count = count.wrapping_sub(1);
            add_reply_multi_bulk_len(c, 6);
            add_reply_long_long(c, se.id);
            add_reply_long_long(c, se.time);
            add_reply_long_long(c, se.duration);
            add_reply_multi_bulk_len(c, se.argv.len() as i64);
            for a in &se.argv {
                add_reply_bulk(c, a);
            }
            add_reply_bulk_c_buffer(c, se.peerid.as_bytes());
            add_reply_bulk_c_buffer(c, &se.cname);
            sent += 1;
        }
        set_deferred_multi_bulk_length(c, totentries, sent);
    } else {
        add_reply_subcommand_syntax_error(c);
    }
}
