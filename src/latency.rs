//! The latency monitor allows to easily observe the sources of latency in a
//! Redis instance using the LATENCY command. Different latency sources are
//! monitored, like disk I/O, execution of commands, fork system call, and
//! so forth.
//!
//! Also holds sparkline.c, the ASCII sparkline renderer LATENCY GRAPH
//! draws with (C keeps it in its own file; it has no other caller).
//!
//! C: latency.c, latency.h, sparkline.c

use crate::networking::{
    add_deferred_multi_bulk_length, add_reply_bulk_c_buffer,
    add_reply_error_format, add_reply_help, add_reply_long_long,
    add_reply_multi_bulk_len, add_reply_subcommand_syntax_error,
    set_deferred_multi_bulk_length,
};
use crate::server::{Client, RedisServer};

/// History length for every monitored event.
///
/// C: latency.h LATENCY_TS_LEN
pub(crate) const LATENCY_TS_LEN: usize = 160;

/// Representation of a latency sample: the sampling time and the latency
/// observed in milliseconds.
///
/// C: latency.h struct latencySample
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct LatencySample {
    /// We don't use time_t to force 4 bytes usage everywhere.
    pub(crate) time: i32,
    /// Latency in milliseconds.
    pub(crate) latency: u32,
}

/// The latency time series for a given event.
///
/// C: latency.h struct latencyTimeSeries
#[derive(Debug)]
pub(crate) struct LatencyTimeSeries {
    /// Index of the next sample to store.
    pub(crate) idx: usize,
    /// Max latency observed for this event.
    pub(crate) max: u32,
    /// Latest history.
    pub(crate) samples: [LatencySample; LATENCY_TS_LEN],
}

/// Latency statistics structure.
///
/// C: latency.h struct latencyStats
#[derive(Default, Debug)]
#[allow(dead_code)] // all_time_high: C fills it and reads ts->max instead
pub(crate) struct LatencyStats {
    /// Absolute max observed since latest reset.
    pub(crate) all_time_high: u32,
    /// Average of current samples.
    pub(crate) avg: u32,
    /// Min of current samples.
    pub(crate) min: u32,
    /// Max of current samples.
    pub(crate) max: u32,
    /// Mean absolute deviation.
    pub(crate) mad: u32,
    /// Number of non-zero samples.
    pub(crate) samples: u32,
    /// Number of seconds since first event and now.
    pub(crate) period: i64,
}

/// `server.latency_events`: event name to time series.
///
/// Divergence from C: a vector searched by name instead of a dict (there
/// are a dozen event names at most); C's dict order is seed-random, ours
/// is the order of the first sample.
pub(crate) type LatencyEvents = Vec<(String, Box<LatencyTimeSeries>)>;

fn now_secs() -> i64 {
    crate::server::ustime() / 1_000_000
}

fn find<'a>(
    server: &'a RedisServer,
    event: &[u8],
) -> Option<&'a (String, Box<LatencyTimeSeries>)> {
    server.latency_events.iter().find(|(e, _)| e.as_bytes() == event)
}

// ---------------------------- latency.h macros ----------------------------

/// Start monitoring an event. We just set the current time.
///
/// C: latency.h latencyStartMonitor()
#[inline]
pub(crate) fn latency_start_monitor(server: &RedisServer) -> i64 {
    if server.latency_monitor_threshold != 0 {
        crate::server::mstime()
    } else {
        0
    }
}

/// End monitoring an event, compute the difference with the current time
/// to check the amount of time elapsed.
///
/// C: latency.h latencyEndMonitor()
#[inline]
pub(crate) fn latency_end_monitor(server: &RedisServer, var: &mut i64) {
    if server.latency_monitor_threshold != 0 {
        *var = crate::server::mstime() - *var;
    }
}

/// Add the sample only if the elapsed time is >= to the configured
/// threshold.
///
/// C: latency.h latencyAddSampleIfNeeded()
#[inline]
pub(crate) fn latency_add_sample_if_needed(
    server: &mut RedisServer,
    event: &str,
    var: i64,
) {
    if server.latency_monitor_threshold != 0
        && var >= server.latency_monitor_threshold
    {
        latency_add_sample(server, event, var);
    }
}

/// Remove time from a nested event.
///
/// C: latency.h latencyRemoveNestedEvent()
#[inline]
pub(crate) fn latency_remove_nested_event(
    event_var: &mut i64,
    nested_var: i64,
) {
    *event_var += nested_var;
}

// ------------------------------- latency.c --------------------------------

// C: latency.c dictStringKeyCompare() and
// C: latency.c dictStringHash(), with dictVanillaFree and
// latencyTimeSeriesDictType: the dict is a vector here (`find`).

// C: latency.c THPIsEnabled() is config.rs `thp_is_enabled` (its only
// other caller, the startup warning, lives there).

/// Report the amount of AnonHugePages in smap, in bytes. If the return
/// value of the function is non-zero, the process is being targeted by
/// THP support, and is likely to have memory usage / latency issues.
///
/// C: latency.c THPGetAnonHugePagesSize()
pub(crate) fn thp_get_anon_huge_pages_size() -> usize {
    crate::childinfo::zmalloc_get_smap_bytes_by_field("AnonHugePages:")
}

/// Latency monitor initialization. We just need to create the dictionary
/// of time series, each time series is created on demand in order to avoid
/// having a fixed list to maintain.
///
/// C: latency.c latencyMonitorInit()
pub(crate) fn latency_monitor_init(server: &mut RedisServer) {
    server.latency_events = Vec::new();
}

/// Add the specified sample to the specified time series "event". This
/// function is usually called via latency_add_sample_if_needed(), that is
/// a wrapper returning ASAP if the latency monitor is disabled.
///
/// C: latency.c latencyAddSample()
pub(crate) fn latency_add_sample(
    server: &mut RedisServer,
    event: &str,
    latency: i64,
) {
    let now = now_secs() as i32;
    let pos = match server.latency_events.iter().position(|(e, _)| e == event) {
        Some(p) => p,
        None => {
            // Create the time series if it does not exist.
            server.latency_events.push((
                event.to_string(),
                Box::new(LatencyTimeSeries {
                    idx: 0,
                    max: 0,
                    samples: [LatencySample::default(); LATENCY_TS_LEN],
                }),
            ));
            server.latency_events.len() - 1
        }
    };
    let ts = &mut server.latency_events[pos].1;
    let latency = latency as u32; // C stores the mstime_t in a uint32_t.

    if latency > ts.max {
        ts.max = latency;
    }

    // If the previous sample is in the same second, we update our old
    // sample if this latency is > of the old one, or just return.
    let prev = (ts.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN;
    if ts.samples[prev].time == now {
        if latency > ts.samples[prev].latency {
            ts.samples[prev].latency = latency;
        }
        return;
    }

    ts.samples[ts.idx].time = now;
    ts.samples[ts.idx].latency = latency;

    ts.idx += 1;
    if ts.idx == LATENCY_TS_LEN {
        ts.idx = 0;
    }
}

/// Reset data for the specified event, or all the events data if 'event'
/// is None.
///
/// Note: this is O(N) even when event_to_reset is not None because
/// makes the code simpler and we have a small fixed max number of events.
///
/// C: latency.c latencyResetEvent()
pub(crate) fn latency_reset_event(
    server: &mut RedisServer,
    event_to_reset: Option<&[u8]>,
) -> i64 {
    let before = server.latency_events.len();
    server.latency_events.retain(|(e, _)| match event_to_reset {
        None => false,
        Some(r) => {
            !e.as_bytes().eq_ignore_ascii_case(crate::networking::c_str(r))
        }
    });
    (before - server.latency_events.len()) as i64
}

/// Analyze the samples available for a given event and return a structure
/// populate with different metrics, average, MAD, min, max, and so forth.
/// Check latency.h definition of struct latencyStats for more info.
/// If the specified event has no elements the structure is populate with
/// zero values.
///
/// C: latency.c analyzeLatencyForEvent()
pub(crate) fn analyze_latency_for_event(
    ts: Option<&LatencyTimeSeries>,
) -> LatencyStats {
    let mut ls = LatencyStats {
        all_time_high: ts.map(|t| t.max).unwrap_or(0),
        ..Default::default()
    };
    let Some(ts) = ts else { return ls };

    // First pass, populate everything but the MAD.
    let mut sum: u64 = 0;
    for s in ts.samples.iter() {
        if s.time == 0 {
            continue;
        }
        ls.samples += 1;
        if ls.samples == 1 {
            ls.min = s.latency;
            ls.max = s.latency;
        } else {
            if ls.min > s.latency {
                ls.min = s.latency;
            }
            if ls.max < s.latency {
                ls.max = s.latency;
            }
        }
        sum += s.latency as u64;
        // Track the oldest event time in ls.period.
        if ls.period == 0 || (s.time as i64) < ls.period {
            ls.period = s.time as i64;
        }
    }

    // So far avg is actually the sum of the latencies, and period is the
    // oldest event time. We need to make the first an average and the
    // second a range of seconds.
    if ls.samples != 0 {
        ls.avg = (sum / ls.samples as u64) as u32;
        ls.period = now_secs() - ls.period;
        if ls.period == 0 {
            ls.period = 1;
        }
    }

    // Second pass, compute MAD.
    sum = 0;
    for s in ts.samples.iter() {
        if s.time == 0 {
            continue;
        }
        let delta = (ls.avg as i64 - s.latency as i64).abs();
        sum += delta as u64;
    }
    if ls.samples != 0 {
        ls.mad = (sum / ls.samples as u64) as u32;
    }
    ls
}

/// Create a human readable report of latency events for this Redis
/// instance.
///
/// C: latency.c createLatencyReport()
pub(crate) fn create_latency_report(server: &RedisServer) -> String {
    let mut report = String::new();
    let mut advise_better_vm = false; // Better virtual machines.
    let mut advise_slowlog_enabled = false; // Enable slowlog.
    let mut advise_slowlog_tuning = false; // Reconfigure slowlog.
    let mut advise_slowlog_inspect = false; // Check your slowlog.
    let mut advise_disk_contention = false; // Try to lower disk contention.
    let mut advise_scheduler = false; // Intrinsic latency.
    let mut advise_data_writeback = false; // data=writeback.
    let mut advise_no_appendfsync = false; // don't fsync during rewrites.
    let mut advise_local_disk = false; // Avoid remote disks.
    let mut advise_ssd = false; // Use an SSD drive.
    let mut advise_write_load_info = false; // Print info about AOF and write load.
    let mut advise_hz = false; // Use higher HZ.
    let mut advise_large_objects = false; // Deletion of large objects.
    let mut advise_mass_eviction = false; // Avoid mass eviction of keys.
    let mut advise_relax_fsync_policy = false; // appendfsync always is slow.
    let mut advise_disable_thp = false; // AnonHugePages detected.
    let mut advices = 0;

    // Return ASAP if the latency engine is disabled and it looks like it
    // was never enabled so far.
    if server.latency_events.is_empty() && server.latency_monitor_threshold == 0
    {
        report.push_str("I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at http://redis.io/topics/latency-monitor.\n");
        return report;
    }

    // Show all the events stats and add for each event some event-related
    // comment depending on the values.
    let mut eventnum = 0;
    for (event, ts) in server.latency_events.iter() {
        eventnum += 1;
        if eventnum == 1 {
            report.push_str("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
        }
        let ls = analyze_latency_for_event(Some(ts));
        report.push_str(&format!(
            "{}. {}: {} latency spikes (average {}ms, mean deviation {}ms, period {:.2} sec). Worst all time event {}ms.",
            eventnum,
            event,
            ls.samples,
            ls.avg,
            ls.mad,
            ls.period as f64 / ls.samples as f64,
            ts.max
        ));
        let ev = event.to_ascii_lowercase();
        let ev = ev.as_str();

        // Fork
        if ev == "fork" {
            let fork_quality;
            if server.stat_fork_rate < 10.0 {
                fork_quality = "terrible";
                advise_better_vm = true;
                advices += 1;
            } else if server.stat_fork_rate < 25.0 {
                fork_quality = "poor";
                advise_better_vm = true;
                advices += 1;
            } else if server.stat_fork_rate < 100.0 {
                fork_quality = "good";
            } else {
                fork_quality = "excellent";
            }
            report.push_str(&format!(
                " Fork rate is {:.2} GB/sec ({}).",
                server.stat_fork_rate, fork_quality
            ));
        }

        // Potentially commands.
        if ev == "command" {
            if server.slowlog_log_slower_than < 0 {
                advise_slowlog_enabled = true;
                advices += 1;
            } else if server.slowlog_log_slower_than / 1000
                > server.latency_monitor_threshold
            {
                advise_slowlog_tuning = true;
                advices += 1;
            }
            advise_slowlog_inspect = true;
            advise_large_objects = true;
            advices += 2;
        }

        // fast-command.
        if ev == "fast-command" {
            advise_scheduler = true;
            advices += 1;
        }

        // AOF and I/O.
        if ev == "aof-write-pending-fsync" {
            advise_local_disk = true;
            advise_disk_contention = true;
            advise_ssd = true;
            advise_data_writeback = true;
            advices += 4;
        }

        if ev == "aof-write-active-child" {
            advise_no_appendfsync = true;
            advise_data_writeback = true;
            advise_ssd = true;
            advices += 3;
        }

        if ev == "aof-write-alone" {
            advise_local_disk = true;
            advise_data_writeback = true;
            advise_ssd = true;
            advices += 3;
        }

        if ev == "aof-fsync-always" {
            advise_relax_fsync_policy = true;
            advices += 1;
        }

        // (C spells it "rdb-unlik-temp-file" here, so the unlink event
        // never matches; kept as 5.0.14 has it.)
        if ev == "aof-fstat" || ev == "rdb-unlik-temp-file" {
            advise_disk_contention = true;
            advise_local_disk = true;
            advices += 2;
        }

        if ev == "aof-rewrite-diff-write" || ev == "aof-rename" {
            advise_write_load_info = true;
            advise_data_writeback = true;
            advise_ssd = true;
            advise_local_disk = true;
            advices += 4;
        }

        // Expire cycle.
        if ev == "expire-cycle" {
            advise_hz = true;
            advise_large_objects = true;
            advices += 2;
        }

        // Eviction cycle.
        if ev == "eviction-del" {
            advise_large_objects = true;
            advices += 1;
        }

        if ev == "eviction-cycle" {
            advise_mass_eviction = true;
            advices += 1;
        }

        report.push('\n');
    }

    // Add non event based advices.
    if thp_get_anon_huge_pages_size() > 0 {
        advise_disable_thp = true;
        advices += 1;
    }

    if eventnum == 0 && advices == 0 {
        report.push_str("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n");
    } else if eventnum > 0 && advices == 0 {
        report.push_str("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n");
    } else {
        // Add all the suggestions accumulated so far.

        // Better VM.
        report.push_str("\nI have a few advices for you:\n\n");
        if advise_better_vm {
            report.push_str("- If you are using a virtual machine, consider upgrading it with a faster one using an hypervisior that provides less latency during fork() calls. Xen is known to have poor fork() performance. Even in the context of the same VM provider, certain kinds of instances can execute fork faster than others.\n");
        }

        // Slow log.
        if advise_slowlog_enabled {
            report.push_str(&format!("- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n", (server.latency_monitor_threshold as u64).wrapping_mul(1000)));
        }

        if advise_slowlog_tuning {
            report.push_str(&format!("- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {}'.\n", (server.latency_monitor_threshold as u64).wrapping_mul(1000)));
        }

        if advise_slowlog_inspect {
            report.push_str("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check http://redis.io/commands/slowlog for more information.\n");
        }

        // Intrinsic latency.
        if advise_scheduler {
            report.push_str("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n\
  1) Lower the system load.\n\
  2) Use a computer / VM just for Redis if you are running other softawre in the same system.\n\
  3) Check if you have a \"noisy neighbour\" problem.\n\
  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n\
  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n");
        }

        // AOF / Disk latency.
        if advise_local_disk {
            report.push_str("- It is strongly advised to use local disks for persistence, especially if you are using AOF. Remote disks provided by platform-as-a-service providers are known to be slow.\n");
        }

        if advise_ssd {
            report.push_str("- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and AOF log rewriting (resulting in smaller memory usage and smaller final AOF rewrite buffer flushes). With extremely high write load SSD disks can be a good option. However Redis should perform reasonably with high load using normal disks. Use this advice as a last resort.\n");
        }

        if advise_data_writeback {
            report.push_str("- Mounting ext3/4 filesystems with data=writeback can provide a performance boost compared to data=ordered, however this mode of operation provides less guarantees, and sometimes it can happen that after a hard crash the AOF file will have an half-written command at the end and will require to be repaired before Redis restarts.\n");
        }

        if advise_disk_contention {
            report.push_str("- Try to lower the disk contention. This is often caused by other disk intensive processes running in the same computer (including other Redis instances).\n");
        }

        if advise_no_appendfsync {
            report.push_str("- Assuming from the point of view of data safety this is viable in your environment, you could try to enable the 'no-appendfsync-on-rewrite' option, so that fsync will not be performed while there is a child rewriting the AOF file or producing an RDB file (the moment where there is high disk contention).\n");
        }

        if advise_relax_fsync_policy
            && server.aof_fsync == crate::config::AOF_FSYNC_ALWAYS
        {
            report.push_str("- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n");
        }

        if advise_write_load_info {
            report.push_str("- Latency during the AOF atomic rename operation or when the final difference is flushed to the AOF file at the end of the rewrite, sometimes is caused by very high write load, causing the AOF buffer to get very large. If possible try to send less commands to accomplish the same work, or use Lua scripts to group multiple operations into a single EVALSHA call.\n");
        }

        if advise_hz && server.hz < 100 {
            report.push_str("- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n");
        }

        if advise_large_objects {
            report.push_str("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
        }

        if advise_mass_eviction {
            report.push_str("- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n");
        }

        if advise_disable_thp {
            report.push_str("- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n");
        }
    }

    report
}

/// latencyCommand() helper to produce a time-delay reply for all the
/// samples in memory for the specified time series.
///
/// C: latency.c latencyCommandReplyWithSamples()
fn latency_command_reply_with_samples(c: &mut Client, ts: &LatencyTimeSeries) {
    let replylen = add_deferred_multi_bulk_length(c);
    let mut samples = 0;
    for j in 0..LATENCY_TS_LEN {
        let i = (ts.idx + j) % LATENCY_TS_LEN;
        if ts.samples[i].time == 0 {
            continue;
        }
        add_reply_multi_bulk_len(c, 2);
        add_reply_long_long(c, ts.samples[i].time as i64);
        add_reply_long_long(c, ts.samples[i].latency as i64);
        samples += 1;
    }
    set_deferred_multi_bulk_length(c, replylen, samples);
}

/// latencyCommand() helper to produce the reply for the LATEST subcommand,
/// listing the last latency sample for every event type registered so far.
///
/// C: latency.c latencyCommandReplyWithLatestEvents()
fn latency_command_reply_with_latest_events(
    server: &RedisServer,
    c: &mut Client,
) {
    add_reply_multi_bulk_len(c, server.latency_events.len() as i64);
    for (event, ts) in server.latency_events.iter() {
        let last = (ts.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN;
        add_reply_multi_bulk_len(c, 4);
        add_reply_bulk_c_buffer(c, event.as_bytes());
        add_reply_long_long(c, ts.samples[last].time as i64);
        add_reply_long_long(c, ts.samples[last].latency as i64);
        add_reply_long_long(c, ts.max as i64);
    }
}

/// C: latency.c LATENCY_GRAPH_COLS
const LATENCY_GRAPH_COLS: usize = 80;

/// C: latency.c latencyCommandGenSparkeline()
fn latency_command_gen_sparkeline(
    event: &str,
    ts: &LatencyTimeSeries,
) -> Vec<u8> {
    let mut seq = Sequence::default();
    let mut graph = Vec::new();
    let (mut min, mut max) = (0u32, 0u32);
    let now = now_secs();

    for j in 0..LATENCY_TS_LEN {
        let i = (ts.idx + j) % LATENCY_TS_LEN;
        let s = ts.samples[i];
        if s.time == 0 {
            continue;
        }
        // Update min and max.
        if seq.samples.is_empty() {
            min = s.latency;
            max = s.latency;
        } else {
            max = max.max(s.latency);
            min = min.min(s.latency);
        }
        // Use as label the number of seconds / minutes / hours / days ago
        // the event happened.
        let elapsed = (now - s.time as i64) as i32;
        let buf = if elapsed < 60 {
            format!("{}s", elapsed)
        } else if elapsed < 3600 {
            format!("{}m", elapsed / 60)
        } else if elapsed < 3600 * 24 {
            format!("{}h", elapsed / 3600)
        } else {
            format!("{}d", elapsed / (3600 * 24))
        };
        sparkline_sequence_add_sample(&mut seq, s.latency as f64, Some(&buf));
    }

    graph.extend_from_slice(
        format!(
            "{} - high {} ms, low {} ms (all time high {} ms)\n",
            event, max, min, ts.max
        )
        .as_bytes(),
    );
    graph.extend(std::iter::repeat_n(b'-', LATENCY_GRAPH_COLS));
    graph.push(b'\n');
    sparkline_render(&mut graph, &seq, LATENCY_GRAPH_COLS, 4, SPARKLINE_FILL);
    graph
}

/// LATENCY command implementations.
///
/// LATENCY HISTORY: return time-latency samples for the specified event.
/// LATENCY LATEST: return the latest latency for all the events classes.
/// LATENCY DOCTOR: returns a human readable analysis of instance latency.
/// LATENCY GRAPH: provide an ASCII graph of the latency of the specified
/// event.
/// LATENCY RESET: reset data of a specified event or all the data if no
/// event provided.
///
/// C: latency.c latencyCommand()
pub(crate) fn latency_command(server: &mut RedisServer, c: &mut Client) {
    let help = [
        "DOCTOR              -- Returns a human readable latency analysis report.",
        "GRAPH   <event>     -- Returns an ASCII latency graph for the event class.",
        "HISTORY <event>     -- Returns time-latency samples for the event class.",
        "LATEST              -- Returns the latest latency samples for all events.",
        "RESET   [event ...] -- Resets latency data of one or more event classes.",
        "                       (default: reset all data for all event classes)",
        "HELP                -- Prints this help.",
    ];
    let argc = c.argv.len();
    let sub = crate::networking::c_str(&c.argv[1]).to_ascii_lowercase();

    if sub == b"history" && argc == 3 {
        // LATENCY HISTORY <event>
        let ev = crate::networking::c_str(&c.argv[2]).to_vec();
        match find(server, &ev) {
            None => add_reply_multi_bulk_len(c, 0),
            Some((_, ts)) => latency_command_reply_with_samples(c, ts),
        }
    } else if sub == b"graph" && argc == 3 {
        // LATENCY GRAPH <event>
        let ev = crate::networking::c_str(&c.argv[2]).to_vec();
        match find(server, &ev) {
            None => {
                // Common error when the user asks for an event we have no
                // latency information about.
                add_reply_error_format(
                    c,
                    format_args!(
                        "No samples available for event '{}'",
                        String::from_utf8_lossy(&ev)
                    ),
                );
            }
            Some((event, ts)) => {
                let graph = latency_command_gen_sparkeline(event, ts);
                add_reply_bulk_c_buffer(c, &graph);
            }
        }
    } else if sub == b"latest" && argc == 2 {
        // LATENCY LATEST
        latency_command_reply_with_latest_events(server, c);
    } else if sub == b"doctor" && argc == 2 {
        // LATENCY DOCTOR
        let report = create_latency_report(server);
        add_reply_bulk_c_buffer(c, report.as_bytes());
    } else if sub == b"reset" && argc >= 2 {
        // LATENCY RESET
        if argc == 2 {
            let n = latency_reset_event(server, None);
            add_reply_long_long(c, n);
        } else {
            let mut resets = 0;
            for j in 2..argc {
                let ev = c.argv[j].clone();
                resets += latency_reset_event(server, Some(&ev));
            }
            add_reply_long_long(c, resets);
        }
    } else if sub == b"help" && argc >= 2 {
        let name = String::from_utf8_lossy(&c.argv[0]).into_owned();
        add_reply_help(c, &name, &help);
    } else {
        add_reply_subcommand_syntax_error(c);
    }
}

// ------------------------------ sparkline.c -------------------------------

/// Fill the area under the curve.
///
/// C: sparkline.h SPARKLINE_FILL
pub(crate) const SPARKLINE_FILL: i32 = 1;
/// Use logarithmic scale.
///
/// C: sparkline.h SPARKLINE_LOG_SCALE
pub(crate) const SPARKLINE_LOG_SCALE: i32 = 2;

/// This is the charset used to display the graphs, but multiple rows are
/// used to increase the resolution.
const CHARSET: &[u8] = b"_-`";
const CHARSET_FILL: &[u8] = b"_o#";
const LABEL_MARGIN_TOP: usize = 1;

/// C: sparkline.h struct sample
#[derive(Debug)]
pub(crate) struct Sample {
    pub(crate) value: f64,
    pub(crate) label: Option<Vec<u8>>,
}

/// C: sparkline.h struct sequence
#[derive(Debug, Default)]
pub(crate) struct Sequence {
    pub(crate) samples: Vec<Sample>,
    pub(crate) labels: usize,
    pub(crate) min: f64,
    pub(crate) max: f64,
}

// C: sparkline.c createSparklineSequence() is Sequence::default().

/// Add a new sample into a sequence.
///
/// C: sparkline.c sparklineSequenceAddSample()
pub(crate) fn sparkline_sequence_add_sample(
    seq: &mut Sequence,
    value: f64,
    label: Option<&str>,
) {
    let label = label.filter(|l| !l.is_empty()).map(|l| l.as_bytes().to_vec());
    if seq.samples.is_empty() {
        seq.min = value;
        seq.max = value;
    } else if value < seq.min {
        seq.min = value;
    } else if value > seq.max {
        seq.max = value;
    }
    if label.is_some() {
        seq.labels += 1;
    }
    seq.samples.push(Sample { value, label });
}

// C: sparkline.c freeSparklineSequence(): dropping the Sequence frees it.

/// Render part of a sequence, so that render_sequence() call call this
/// function with differnent parts in order to create the full output
/// without overflowing the current terminal columns.
///
/// C: sparkline.c sparklineRenderRange()
pub(crate) fn sparkline_render_range(
    output: &mut Vec<u8>,
    seq: &Sequence,
    rows: usize,
    offset: usize,
    len: usize,
    flags: i32,
) {
    let mut relmax = seq.max - seq.min;
    let charset_len = CHARSET.len();
    let steps = (charset_len * rows) as i32;
    let mut row = 0usize;
    let mut chars = vec![b' '; len];
    let mut do_loop = true;
    let opt_fill = flags & SPARKLINE_FILL != 0;
    let opt_log = flags & SPARKLINE_LOG_SCALE != 0;

    if opt_log {
        relmax = (relmax + 1.0).ln();
    } else if relmax == 0.0 {
        relmax = 1.0;
    }

    while do_loop {
        do_loop = false;
        chars.fill(b' ');
        for (j, s) in seq.samples[offset..offset + len].iter().enumerate() {
            let mut relval = s.value - seq.min;
            if opt_log {
                relval = (relval + 1.0).ln();
            }
            // C: step = (int) (relval*steps)/relmax;
            let mut step =
                (((relval * steps as f64) as i32) as f64 / relmax) as i32;
            if step < 0 {
                step = 0;
            }
            if step >= steps {
                step = steps - 1;
            }

            if row < rows {
                // Print the character needed to create the sparkline
                let charidx = step - ((rows - row - 1) * charset_len) as i32;
                do_loop = true;
                if charidx >= 0 && (charidx as usize) < charset_len {
                    chars[j] = if opt_fill {
                        CHARSET_FILL[charidx as usize]
                    } else {
                        CHARSET[charidx as usize]
                    };
                } else if opt_fill
                    && charidx as usize >= charset_len
                    && charidx >= 0
                {
                    chars[j] = b'|';
                }
            } else {
                // Labels spacing
                if seq.labels != 0 && row - rows < LABEL_MARGIN_TOP {
                    do_loop = true;
                    break;
                }
                // Print the label if needed.
                if let Some(label) = &s.label {
                    let label_char = row - rows - LABEL_MARGIN_TOP;
                    if label.len() > label_char {
                        do_loop = true;
                        chars[j] = label[label_char];
                    }
                }
            }
        }
        if do_loop {
            row += 1;
            output.extend_from_slice(&chars);
            output.push(b'\n');
        }
    }
}

/// Turn a sequence into its ASCII representation.
///
/// C: sparkline.c sparklineRender()
pub(crate) fn sparkline_render(
    output: &mut Vec<u8>,
    seq: &Sequence,
    columns: usize,
    rows: usize,
    flags: i32,
) {
    let mut j = 0;
    while j < seq.samples.len() {
        let sublen = (seq.samples.len() - j).min(columns);
        if j != 0 {
            output.push(b'\n');
        }
        sparkline_render_range(output, seq, rows, j, sublen, flags);
        j += columns;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sparklines of one sequence at 5 columns and 3 rows, with every
    /// flag combination, as Redis 5.0.14's sparkline.o renders them (a
    /// small C driver linked with its sparkline.o, sds.o and zmalloc.o).
    #[test]
    fn sparkline_render_matches_5_0_14() {
        let v =
            [1.0, 5.0, 3.0, 50.0, 20.0, 0.0, 7.0, 7.0, 100.0, 2.0, 64.0, 33.0];
        let l = [
            "12s", "11s", "", "9m", "8m", "7h", "6h", "5h", "4d", "3d", "2s",
            "1s",
        ];
        let mut got = Vec::new();
        for flags in 0..4 {
            let mut seq = Sequence::default();
            for (value, label) in v.iter().zip(l) {
                sparkline_sequence_add_sample(&mut seq, *value, Some(label));
            }
            got.extend_from_slice(format!("FLAGS {flags}\n").as_bytes());
            sparkline_render(&mut got, &seq, 5, 3, flags);
            got.extend_from_slice(b"<END>\n");
        }
        let want = "FLAGS 0
     
   - 
___ -
     
11 98
21 mm
ss   

   ` 
     
___ _
     
76543
hhhdd

  
` 
 `
  
21
ss
<END>
FLAGS 1
     
   o 
___|o
     
11 98
21 mm
ss   

   # 
   | 
___|_
     
76543
hhhdd

  
# 
|#
  
21
ss
<END>
FLAGS 2
   - 
 _  `
- `  
     
11 98
21 mm
ss   

   ` 
 __  
_   -
     
76543
hhhdd

`_
  
  
  
21
ss
<END>
FLAGS 3
   o 
 _ |#
o|#||
     
11 98
21 mm
ss   

   # 
 __| 
_|||o
     
76543
hhhdd

#_
||
||
  
21
ss
<END>
";
        assert_eq!(String::from_utf8_lossy(&got), want);
    }
}
