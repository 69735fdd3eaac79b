//! The replication history: every SYNC/PSYNC this server answered as a
//! master and every sync it attempted as a replica, each with the reason
//! in words, kept for `INFO replhistory` (the last 16 of each) and told in
//! one extra log line per decision, next to Redis's own lines. From the
//! write rate of the replication stream and the longest disconnection of a
//! replica it also works out a `repl-backlog-size` hint.
//!
//! No C twin: Redis 5.0.14 has nothing like it (this file ports nothing).
//! The calls that feed it sit inside the ported functions they watch:
//! `master_try_partial_resynchronization` and `sync_command` (decisions),
//! `set_repl_state` (the replica's handshake), `read_sync_bulk_payload`
//! (transfer and load), `free_client` (a replica's link lost) and
//! `replication_cron` (the write rate). Nothing is added to the per-command
//! path or to `replication_feed_slaves`: the write rate is sampled once a
//! second from `master_repl_offset`.
//!
//! The formats are fixed in docs/observing.md, section 1; `record_json`
//! gives a record as the JSON object the event trace writes.

use std::collections::VecDeque;
use std::fmt::Write;

use crate::server::*;
use crate::server_log;

/// How many records of each side `INFO replhistory` shows.
pub(crate) const REPLHISTORY_LEN: usize = 16;

/// How many lost replica links are remembered while waiting for the
/// replica to come back (the oldest is forgotten first).
const LOST_LINKS_MAX: usize = 64;

/// One SYNC or PSYNC a master answered. (no C twin)
#[derive(Clone, Debug, Default)]
pub(crate) struct SyncDecision {
    pub(crate) time: i64,
    pub(crate) replica: String,
    pub(crate) id: u64,
    pub(crate) cmd: &'static str,
    pub(crate) asked_replid: String,
    pub(crate) asked_offset: i64,
    pub(crate) replid: String,
    pub(crate) replid2: String,
    pub(crate) replid2_until: i64,
    pub(crate) backlog_start: i64,
    pub(crate) backlog_end: i64,
    /// `continue` or `fullresync`.
    pub(crate) decision: &'static str,
    pub(crate) reason: String,
}

/// One attempt of a replica to sync with its master, from
/// REPL_STATE_CONNECTING to CONNECTED or failure. (no C twin)
#[derive(Clone, Debug, Default)]
pub(crate) struct SyncAttempt {
    pub(crate) time: i64,
    pub(crate) master: String,
    /// Each REPL_STATE_* left, with the ms spent in it.
    pub(crate) states: Vec<(i32, i64)>,
    pub(crate) sent: String,
    pub(crate) reply: String,
    /// `partial`, `full` or `failed` (empty while running).
    pub(crate) result: &'static str,
    pub(crate) reason: String,
    pub(crate) transfer_bytes: i64,
    pub(crate) transfer_ms: i64,
    pub(crate) load_ms: i64,
    /// The state the attempt is in now and since when (ms).
    cur_state: i32,
    cur_since: i64,
    transfer_start: i64,
    load_start: i64,
    /// Why it failed, when the code that gave up said so.
    fail_reason: Option<String>,
}

/// A replica whose link was lost, waiting for its next SYNC/PSYNC.
#[derive(Clone, Debug)]
struct LostLink {
    name: String,
    at_ms: i64,
}

/// All of it, one per server (`server.repl_history`). (no C twin)
#[derive(Debug, Default)]
pub(crate) struct ReplHistory {
    decisions: VecDeque<SyncDecision>,
    attempts: VecDeque<SyncAttempt>,
    sync_decisions: u64,
    sync_attempts: u64,
    /// How many attempts ended with the link up (full or partial).
    syncs_done: u64,
    /// The replica's attempt in progress.
    current: Option<SyncAttempt>,
    /// Whether this server ever had a backlog, and why it has none now.
    backlog_created: bool,
    backlog_freed: Option<String>,
    /// The replication ID that was current when the cron freed the backlog
    /// after repl-backlog-ttl (it then changes the ID).
    ttl_freed_replid: Option<[u8; 40]>,
    /// Write rate sampling: the last sample (ms, offset, replid) and the
    /// highest rate seen between two samples, in bytes/s.
    last_sample: Option<(i64, i64, [u8; 40])>,
    peak_rate: i64,
    /// Replica links lost, by replica name, and the longest gap seen
    /// between a loss and the same replica's next SYNC/PSYNC (ms).
    lost: VecDeque<LostLink>,
    longest_gap_ms: i64,
    /// The largest backlog a "before the backlog's start" full sync would
    /// have needed, exactly (bytes).
    exact_need: i64,
}

// ------------------------------- formatting -------------------------------

/// A value for a `k=v` list: no `,` or `=`, no line breaks. (no C twin)
fn clean(s: &str) -> String {
    s.chars()
        .map(|ch| match ch {
            ',' => ';',
            '=' => ':',
            '\r' | '\n' => ' ',
            c => c,
        })
        .collect()
}

/// A JSON string literal. (no C twin)
fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A REPL_STATE_* value's name without the prefix. (no C twin)
pub(crate) fn repl_state_name(state: i32) -> &'static str {
    match state {
        REPL_STATE_NONE => "NONE",
        REPL_STATE_CONNECT => "CONNECT",
        REPL_STATE_CONNECTING => "CONNECTING",
        REPL_STATE_RECEIVE_PONG => "RECEIVE_PONG",
        REPL_STATE_SEND_AUTH => "SEND_AUTH",
        REPL_STATE_RECEIVE_AUTH => "RECEIVE_AUTH",
        REPL_STATE_SEND_PORT => "SEND_PORT",
        REPL_STATE_RECEIVE_PORT => "RECEIVE_PORT",
        REPL_STATE_SEND_IP => "SEND_IP",
        REPL_STATE_RECEIVE_IP => "RECEIVE_IP",
        REPL_STATE_SEND_CAPA => "SEND_CAPA",
        REPL_STATE_RECEIVE_CAPA => "RECEIVE_CAPA",
        REPL_STATE_SEND_PSYNC => "SEND_PSYNC",
        REPL_STATE_RECEIVE_PSYNC => "RECEIVE_PSYNC",
        REPL_STATE_TRANSFER => "TRANSFER",
        REPL_STATE_CONNECTED => "CONNECTED",
        _ => "UNKNOWN",
    }
}

impl SyncDecision {
    /// The record as one INFO value: `k=v` pairs, the reason last.
    /// (no C twin)
    pub(crate) fn record_info(&self) -> String {
        format!(
            "time={},replica={},id={},cmd={},asked_replid={},asked_offset={},replid={},replid2={},replid2_until={},backlog_start={},backlog_end={},decision={},reason={}",
            self.time,
            clean(&self.replica),
            self.id,
            self.cmd,
            clean(&self.asked_replid),
            self.asked_offset,
            self.replid,
            self.replid2,
            self.replid2_until,
            self.backlog_start,
            self.backlog_end,
            self.decision,
            clean(&self.reason)
        )
    }

    /// The record as a JSON object, the same keys as `record_info` (for
    /// the event trace's `sync_decision`). (no C twin)
    pub(crate) fn record_json(&self) -> String {
        format!(
            "{{\"time\":{},\"replica\":{},\"id\":{},\"cmd\":{},\"asked_replid\":{},\"asked_offset\":{},\"replid\":{},\"replid2\":{},\"replid2_until\":{},\"backlog_start\":{},\"backlog_end\":{},\"decision\":{},\"reason\":{}}}",
            self.time,
            json_str(&self.replica),
            self.id,
            json_str(self.cmd),
            json_str(&self.asked_replid),
            self.asked_offset,
            json_str(&self.replid),
            json_str(&self.replid2),
            self.replid2_until,
            self.backlog_start,
            self.backlog_end,
            json_str(self.decision),
            json_str(&self.reason)
        )
    }
}

impl SyncAttempt {
    /// The handshake as `STATE:ms` joined by `/`. (no C twin)
    fn states_str(&self) -> String {
        let mut s = String::new();
        for (i, (state, ms)) in self.states.iter().enumerate() {
            if i > 0 {
                s.push('/');
            }
            let _ = write!(s, "{}:{}", repl_state_name(*state), ms);
        }
        s
    }

    /// The record as one INFO value: `k=v` pairs, the reason last.
    /// (no C twin)
    pub(crate) fn record_info(&self) -> String {
        format!(
            "time={},master={},states={},sent={},reply={},result={},transfer_bytes={},transfer_ms={},load_ms={},reason={}",
            self.time,
            clean(&self.master),
            self.states_str(),
            clean(&self.sent),
            clean(&self.reply),
            self.result,
            self.transfer_bytes,
            self.transfer_ms,
            self.load_ms,
            clean(&self.reason)
        )
    }

    /// The record as a JSON object, the same keys as `record_info` (for
    /// the event trace's `sync_attempt`). (no C twin)
    pub(crate) fn record_json(&self) -> String {
        format!(
            "{{\"time\":{},\"master\":{},\"states\":{},\"sent\":{},\"reply\":{},\"result\":{},\"transfer_bytes\":{},\"transfer_ms\":{},\"load_ms\":{},\"reason\":{}}}",
            self.time,
            json_str(&self.master),
            json_str(&self.states_str()),
            json_str(&self.sent),
            json_str(&self.reply),
            json_str(self.result),
            self.transfer_bytes,
            self.transfer_ms,
            self.load_ms,
            json_str(&self.reason)
        )
    }
}

impl ReplHistory {
    /// The `repl-backlog-size` that would have kept every full sync seen
    /// partial, see docs/observing.md: the larger of the exact need of the
    /// "before the backlog's start" cases and peak rate × longest gap,
    /// rounded up (16 KiB steps up to 1 MiB, then 1 MiB steps); 0 when
    /// nothing was seen. (no C twin)
    pub(crate) fn backlog_size_hint(&self) -> i64 {
        let from_gap =
            self.peak_rate.saturating_mul(self.longest_gap_ms) / 1000;
        round_up_backlog(self.exact_need.max(from_gap))
    }
}

/// Rounds a byte count up to a size worth configuring: 0 stays 0, at
/// least CONFIG_REPL_BACKLOG_MIN_SIZE, multiples of 16 KiB up to 1 MiB,
/// of 1 MiB above. (no C twin)
pub(crate) fn round_up_backlog(n: i64) -> i64 {
    const KB16: i64 = 16 * 1024;
    const MB: i64 = 1024 * 1024;
    if n <= 0 {
        return 0;
    }
    let n = n.max(crate::config::CONFIG_REPL_BACKLOG_MIN_SIZE);
    let step = if n <= MB { KB16 } else { MB };
    ((n + step - 1) / step).saturating_mul(step)
}

// ------------------------------- master side -------------------------------

/// Records a decision on a SYNC/PSYNC from `c` and logs one line for it.
/// Called by sync_command (SYNC) and master_try_partial_resynchronization
/// (PSYNC) where they decide, before anything of the decision is done, so
/// the IDs and backlog bounds are those the decision looked at. Also
/// closes the replica's disconnection gap, if its link loss was seen.
/// (no C twin)
pub(crate) fn record_sync_decision(
    server: &mut RedisServer,
    c: &Client,
    psync: bool,
    continued: bool,
    reason: String,
) {
    let now = mstime();
    let replica = super::replication_get_slave_name(c);
    let (asked_replid, asked_offset) = if psync {
        let off = c
            .argv
            .get(2)
            .and_then(|a| std::str::from_utf8(a).ok())
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(-1);
        let id = c
            .argv
            .get(1)
            .map_or(String::new(), |a| String::from_utf8_lossy(a).into_owned());
        (id, off)
    } else {
        ("-".to_string(), -1)
    };
    let (backlog_start, backlog_end) = if server.repl_backlog.is_some() {
        (
            server.repl_backlog_off,
            server.repl_backlog_off + server.repl_backlog_histlen,
        )
    } else {
        (-1, -1)
    };
    let d = SyncDecision {
        time: now,
        replica: replica.clone(),
        id: c.id.0,
        cmd: if psync { "psync" } else { "sync" },
        asked_replid,
        asked_offset,
        replid: String::from_utf8_lossy(&server.replid).into_owned(),
        replid2: String::from_utf8_lossy(&server.replid2).into_owned(),
        replid2_until: server.second_replid_offset,
        backlog_start,
        backlog_end,
        decision: if continued { "continue" } else { "fullresync" },
        reason,
    };
    server_log!(
        server,
        LL_NOTICE,
        "Sync decision for replica {}: {}, {}",
        replica,
        if continued { "partial resync" } else { "full resync" },
        d.reason
    );
    crate::trace::event(server, "sync_decision", |j| {
        j.fields_of(&d.record_json());
    });
    let h = &mut server.repl_history;
    // The disconnection this request ends, if we saw the link go.
    if let Some(pos) = h.lost.iter().position(|l| l.name == replica) {
        if let Some(l) = h.lost.remove(pos) {
            h.longest_gap_ms = h.longest_gap_ms.max(now - l.at_ms);
        }
    }
    h.sync_decisions += 1;
    if h.decisions.len() == REPLHISTORY_LEN {
        h.decisions.pop_front();
    }
    h.decisions.push_back(d);
}

/// Why a PSYNC `psync_offset` on a known ID cannot be served from the
/// backlog, or None if it can. The exact need of the "before the start"
/// case feeds the hint. Called by master_try_partial_resynchronization
/// with the same test C makes. (no C twin)
pub(crate) fn backlog_miss_reason(
    server: &mut RedisServer,
    psync_offset: i64,
) -> Option<String> {
    if server.repl_backlog.is_none() {
        let h = &server.repl_history;
        return Some(match (&h.backlog_freed, h.backlog_created) {
            (Some(why), _) => format!("no backlog: {}", why),
            (None, false) => "no backlog: never created".to_string(),
            (None, true) => "no backlog".to_string(),
        });
    }
    let start = server.repl_backlog_off;
    let end = server.repl_backlog_off + server.repl_backlog_histlen;
    if psync_offset < start {
        let need = server.master_repl_offset - psync_offset + 1;
        let h = &mut server.repl_history;
        h.exact_need = h.exact_need.max(need);
        return Some(format!(
            "offset {} is {} bytes before the backlog's start (backlog holds {}..{}; a repl-backlog-size of {} would have kept it)",
            psync_offset,
            start - psync_offset,
            start,
            end,
            need
        ));
    }
    if psync_offset > end {
        return Some(format!(
            "offset {} is {} bytes after the backlog's end (backlog holds {}..{})",
            psync_offset,
            psync_offset - end,
            start,
            end
        ));
    }
    None
}

/// Why the replication ID asked does not allow a partial resync, for
/// master_try_partial_resynchronization's first test. (no C twin)
pub(crate) fn replid_miss_reason(
    server: &RedisServer,
    asked: &[u8],
    psync_offset: i64,
    is_id1: bool,
    is_id2: bool,
) -> String {
    if asked.first() == Some(&b'?') {
        return "replica asked for a full resync".to_string();
    }
    if !is_id1 && !is_id2 {
        let mut why = "replid unknown: neither the current nor the previous id"
            .to_string();
        if server
            .repl_history
            .ttl_freed_replid
            .is_some_and(|id| asked.eq_ignore_ascii_case(&id))
        {
            why.push_str(
                " (it was this master's id until the backlog was freed after repl-backlog-ttl)",
            );
        }
        return why;
    }
    format!(
        "replid2 known but offset {} is {} bytes past second_replid_offset {}",
        psync_offset,
        psync_offset - server.second_replid_offset,
        server.second_replid_offset
    )
}

/// A replica's link was lost: remember when, by its name, to measure the
/// gap when it asks again. Called by free_client. (no C twin)
pub(crate) fn replica_link_lost(server: &mut RedisServer, name: String) {
    let h = &mut server.repl_history;
    h.lost.retain(|l| l.name != name);
    if h.lost.len() == LOST_LINKS_MAX {
        h.lost.pop_front();
    }
    h.lost.push_back(LostLink { name, at_ms: mstime() });
}

/// The backlog was created (create_replication_backlog). (no C twin)
pub(crate) fn backlog_created(server: &mut RedisServer) {
    server.repl_history.backlog_created = true;
    server.repl_history.backlog_freed = None;
}

/// The backlog was freed, for the reason given. `ttl_replid` is the ID
/// the cron is about to replace, when it freed the backlog after
/// repl-backlog-ttl. (no C twin)
pub(crate) fn backlog_freed(
    server: &mut RedisServer,
    why: String,
    ttl_replid: Option<[u8; 40]>,
) {
    server.repl_history.backlog_freed = Some(why);
    if ttl_replid.is_some() {
        server.repl_history.ttl_freed_replid = ttl_replid;
    }
}

/// Samples master_repl_offset for the write rate, once a second from
/// replication_cron. A change of replication ID (a full sync of this
/// replica, a new ID on a master) starts the sampling over: the offset
/// may jump then. (no C twin)
pub(crate) fn sample_write_rate(server: &mut RedisServer) {
    let now = mstime();
    let off = server.master_repl_offset;
    let replid = server.replid;
    let h = &mut server.repl_history;
    if let Some((t, o, id)) = h.last_sample {
        if id == replid && off >= o && now > t {
            let rate = (off - o).saturating_mul(1000) / (now - t);
            h.peak_rate = h.peak_rate.max(rate);
        }
    }
    h.last_sample = Some((now, off, replid));
}

// ------------------------------- replica side -------------------------------

/// Called by set_repl_state for every change of server.repl_state: starts
/// an attempt at CONNECTING, times each state, and ends the attempt at
/// CONNECTED (full or partial) or on a fall back to CONNECT/NONE (failed).
/// (no C twin)
pub(crate) fn repl_state_changed(server: &mut RedisServer, from: i32, to: i32) {
    let now = mstime();
    if to == REPL_STATE_CONNECTING {
        if server.repl_history.current.is_some() {
            finish_attempt(server, "failed", None);
        }
        let master = format!(
            "{}:{}",
            server.masterhost.as_deref().unwrap_or(""),
            server.masterport
        );
        server.repl_history.current = Some(SyncAttempt {
            time: now,
            master,
            cur_state: to,
            cur_since: now,
            ..Default::default()
        });
        return;
    }
    let Some(a) = server.repl_history.current.as_mut() else { return };
    a.states.push((from, now - a.cur_since));
    a.cur_state = to;
    a.cur_since = now;
    if to == REPL_STATE_CONNECTED {
        if from == REPL_STATE_TRANSFER {
            if a.load_start != 0 {
                a.load_ms = now - a.load_start;
            }
            finish_attempt(server, "full", None);
        } else {
            finish_attempt(server, "partial", None);
        }
    } else if to == REPL_STATE_CONNECT || to == REPL_STATE_NONE {
        let why = a.fail_reason.take().unwrap_or_else(|| {
            if to == REPL_STATE_NONE {
                format!(
                    "replication stopped (REPLICAOF NO ONE) in {}",
                    repl_state_name(from)
                )
            } else {
                format!("link lost or cancelled in {}", repl_state_name(from))
            }
        });
        finish_attempt(server, "failed", Some(why));
    }
}

/// Ends the current attempt: result, reason, the record and its log line.
/// (no C twin)
fn finish_attempt(
    server: &mut RedisServer,
    result: &'static str,
    why: Option<String>,
) {
    let Some(mut a) = server.repl_history.current.take() else { return };
    a.result = result;
    if let Some(why) = why {
        a.reason = why;
    }
    if a.reason.is_empty() {
        a.reason = "unknown".to_string();
    }
    let detail = if result == "full" {
        format!(
            " ({} bytes in {} ms, loaded in {} ms)",
            a.transfer_bytes, a.transfer_ms, a.load_ms
        )
    } else {
        String::new()
    };
    server_log!(
        server,
        LL_NOTICE,
        "Sync attempt with master {}: {}, {}{}",
        a.master,
        match result {
            "full" => "full sync",
            "partial" => "partial resync",
            _ => "failed",
        },
        a.reason,
        detail
    );
    crate::trace::event(server, "sync_attempt", |j| {
        j.fields_of(&a.record_json());
    });
    let h = &mut server.repl_history;
    if result != "failed" {
        h.syncs_done += 1;
    }
    h.sync_attempts += 1;
    if h.attempts.len() == REPLHISTORY_LEN {
        h.attempts.pop_front();
    }
    h.attempts.push_back(a);
}

/// What the replica sent to start the sync (slave_try_partial_
/// resynchronization's writing half, or the SYNC fallback), and the
/// reason known so far. `cached` is the cached master's replid and the
/// offset asked, if there is one. (no C twin)
pub(crate) fn attempt_sent(
    server: &mut RedisServer,
    sent: String,
    cached: Option<(String, String)>,
) {
    let first = server.repl_history.syncs_done == 0;
    let Some(a) = server.repl_history.current.as_mut() else { return };
    if a.sent.is_empty() {
        a.sent = sent;
    } else {
        a.sent = format!("{} then {}", a.sent, sent);
        return;
    }
    a.reason = match cached {
        Some((id, off)) => {
            format!("cached master: asked replid {} at offset {}", id, off)
        }
        None if first => "no cached master: first sync".to_string(),
        None => "no cached master: it was discarded".to_string(),
    };
}

/// The master's answer to PSYNC (first word(s)), and the reason it gives
/// the result. Called by slave_try_partial_resynchronization's reading
/// half. (no C twin)
pub(crate) fn attempt_reply(
    server: &mut RedisServer,
    reply: &[u8],
    reason: Option<String>,
) {
    let Some(a) = server.repl_history.current.as_mut() else { return };
    let mut r = String::from_utf8_lossy(reply).trim().to_string();
    if r.starts_with('+') {
        r = r[1..].to_lowercase();
    }
    if r.len() > 120 {
        let mut cut = 120;
        while !r.is_char_boundary(cut) {
            cut -= 1;
        }
        r.truncate(cut);
    }
    a.reply = r;
    if let Some(why) = reason {
        a.reason = why;
    }
}

/// Adds to the current attempt's reason. (no C twin)
pub(crate) fn attempt_reason_append(server: &mut RedisServer, more: &str) {
    if let Some(a) = server.repl_history.current.as_mut() {
        a.reason.push_str(more);
    }
}

/// Why the current attempt is failing, said by the code that gives up;
/// used when the state falls back to CONNECT. (no C twin)
pub(crate) fn attempt_failing(server: &mut RedisServer, why: String) {
    if let Some(a) = server.repl_history.current.as_mut() {
        a.fail_reason = Some(why);
    }
}

/// The RDB payload's length line was read: the transfer starts.
/// (no C twin)
pub(crate) fn attempt_transfer_started(server: &mut RedisServer) {
    if let Some(a) = server.repl_history.current.as_mut() {
        a.transfer_start = mstime();
    }
}

/// The RDB payload's last byte was read: `bytes` of RDB. Checking,
/// flushing and loading start now. (no C twin)
pub(crate) fn attempt_transfer_done(server: &mut RedisServer, bytes: i64) {
    if let Some(a) = server.repl_history.current.as_mut() {
        let now = mstime();
        a.transfer_bytes = bytes;
        if a.transfer_start != 0 {
            a.transfer_ms = now - a.transfer_start;
        }
        a.load_start = now;
    }
}

// --------------------------------- INFO ---------------------------------

/// The `# Replhistory` section, returned only for `INFO replhistory`.
/// (no C twin)
pub(crate) fn info_section(server: &RedisServer) -> String {
    let h = &server.repl_history;
    let mut s = String::new();
    let _ = write!(
        s,
        "# Replhistory\r\nsync_decisions:{}\r\nsync_attempts:{}\r\nbacklog_size_hint:{}\r\nbacklog_hint_write_rate:{}\r\nbacklog_hint_longest_gap:{}\r\n",
        h.sync_decisions,
        h.sync_attempts,
        h.backlog_size_hint(),
        h.peak_rate,
        h.longest_gap_ms
    );
    for (i, d) in h.decisions.iter().enumerate() {
        let _ = write!(s, "decision{}:{}\r\n", i, d.record_info());
    }
    for (i, a) in h.attempts.iter().enumerate() {
        let _ = write!(s, "attempt{}:{}\r\n", i, a.record_info());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_up_backlog_steps() {
        assert_eq!(round_up_backlog(0), 0);
        assert_eq!(round_up_backlog(1), 16 * 1024);
        assert_eq!(round_up_backlog(16 * 1024 + 1), 32 * 1024);
        assert_eq!(round_up_backlog(1024 * 1024), 1024 * 1024);
        assert_eq!(round_up_backlog(1024 * 1024 + 1), 2 * 1024 * 1024);
    }

    #[test]
    fn backlog_size_hint_takes_the_larger_need_rounded_up() {
        let mut h = ReplHistory::default();
        assert_eq!(h.backlog_size_hint(), 0);
        // 1000 bytes/s for 5 s: 5000 bytes, the 16 KiB minimum.
        h.peak_rate = 1000;
        h.longest_gap_ms = 5000;
        assert_eq!(h.backlog_size_hint(), 16 * 1024);
        // An exact need of 40000 bytes wins: 48 KiB.
        h.exact_need = 40_000;
        assert_eq!(h.backlog_size_hint(), 48 * 1024);
        // 1 MB/s for 3 s: 3 MB, in MiB steps.
        h.peak_rate = 1_000_000;
        h.longest_gap_ms = 3000;
        assert_eq!(h.backlog_size_hint(), 3 * 1024 * 1024);
    }

    #[test]
    fn record_values_never_hold_separators() {
        let d = SyncDecision {
            reason: "a,b=c\r\nd".into(),
            replica: "x=y".into(),
            ..Default::default()
        };
        let info = d.record_info();
        let (_, reason) = info.split_once(",reason=").unwrap();
        assert_eq!(reason, "a;b:c  d");
        assert!(info.contains("replica=x:y,"));
        assert!(d.record_json().contains("\"reason\":\"a,b=c\\r\\nd\""));
    }

    #[test]
    fn states_are_joined_with_slashes() {
        let a = SyncAttempt {
            states: vec![(REPL_STATE_CONNECTING, 1), (REPL_STATE_TRANSFER, 7)],
            ..Default::default()
        };
        assert_eq!(a.states_str(), "CONNECTING:1/TRANSFER:7");
    }
}
