//! server.c's "Commands": AUTH, PING, ECHO, TIME, COMMAND, INFO, MONITOR,
//! SHUTDOWN and the INFO string, in C's order.

use super::*;
use crate::shared;

// ------------------------------- commands -------------------------------

/// Longest password AUTH compares: time_independent_strcmp's buffers.
pub(crate) const CONFIG_AUTHPASS_MAX_LEN: usize = 512;

/// Return zero if strings are the same, non-zero if they are not. The
/// comparison is performed in a way that prevents an attacker to obtain
/// information about the nature of the strings just monitoring the
/// execution time of the function.
///
/// Note that limiting the comparison length to strings up to 512 bytes we
/// can avoid leaking any information about the password length and any
/// possible branch misprediction related leak.
///
/// C: server.c time_independent_strcmp()
pub(crate) fn time_independent_strcmp(a: &[u8], b: &[u8]) -> i32 {
    // C compares NUL-terminated strings: stop at the first NUL like strlen.
    let a = &a[..memchr::memchr(0, a).unwrap_or(a.len())];
    let b = &b[..memchr::memchr(0, b).unwrap_or(b.len())];
    let mut bufa = [0u8; CONFIG_AUTHPASS_MAX_LEN];
    let mut bufb = [0u8; CONFIG_AUTHPASS_MAX_LEN];
    // We can't compare strings longer than our static buffers. Note that
    // this will never pass the first test in practical circumstances so
    // there is no info leak.
    if a.len() > bufa.len() || b.len() > bufb.len() {
        return 1;
    }
    // The time of the two copies is proportional to len(a) + len(b), so
    // no info is leaked.
    bufa[..a.len()].copy_from_slice(a);
    bufb[..b.len()].copy_from_slice(b);
    // Always compare all the chars in the two buffers without conditional
    // expressions.
    let mut diff: i32 = 0;
    for j in 0..CONFIG_AUTHPASS_MAX_LEN {
        diff |= (bufa[j] ^ bufb[j]) as i32;
    }
    // Length must be equal as well.
    diff |= (a.len() ^ b.len()) as i32;
    diff // If zero strings are the same.
}

/// AUTH password: authenticates the connection against `requirepass`.
///
/// C: server.c authCommand()
pub(crate) fn auth_command(server: &mut RedisServer, c: &mut Client) {
    match &server.requirepass {
        None => add_reply_error(c, "Client sent AUTH, but no password is set"),
        Some(pass) if time_independent_strcmp(&c.argv[1], pass) == 0 => {
            c.authenticated = true;
            add_reply(c, shared::OK);
        }
        Some(_) => {
            c.authenticated = false;
            add_reply_error(c, "invalid password");
        }
    }
}

/// C: server.c pingCommand()
pub(crate) fn ping_command(_server: &mut RedisServer, c: &mut Client) {
    // The command takes zero or one arguments.
    if c.argv.len() > 2 {
        add_reply_error_format(
            c,
            format_args!("wrong number of arguments for '{}' command", "ping"),
        );
        return;
    }
    if c.flags & CLIENT_PUBSUB != 0 {
        add_reply(c, b"*2\r\n$4\r\npong\r\n");
        if c.argv.len() == 1 {
            add_reply(c, shared::EMPTYBULK);
        } else {
            let a = std::mem::take(&mut c.argv[1]);
            net::add_reply_bulk(c, &a);
            c.argv[1] = a;
        }
    } else if c.argv.len() == 1 {
        add_reply(c, shared::PONG);
    } else {
        let a = std::mem::take(&mut c.argv[1]);
        net::add_reply_bulk(c, &a);
        c.argv[1] = a;
    }
}

/// C: server.c echoCommand()
pub(crate) fn echo_command(_server: &mut RedisServer, c: &mut Client) {
    let a = std::mem::take(&mut c.argv[1]);
    net::add_reply_bulk(c, &a);
    c.argv[1] = a;
}

/// C: server.c timeCommand()
pub(crate) fn time_command(_server: &mut RedisServer, c: &mut Client) {
    // gettimeofday() can only fail if &tv is a bad address so we don't
    // check for errors.
    let t = ustime();
    net::add_reply_multi_bulk_len(c, 2);
    net::add_reply_bulk(c, (t / 1_000_000).to_string().as_bytes());
    net::add_reply_bulk(c, (t % 1_000_000).to_string().as_bytes());
}

/// Helper function for add_reply_command() to output flags: one status
/// reply if `cmd` has flag `f`. Returns how many replies it added.
///
/// C: server.c addReplyCommandFlag()
fn add_reply_command_flag(
    c: &mut Client,
    cmd: &RedisCommand,
    f: i32,
    reply: &str,
) -> i64 {
    if cmd.flags & f != 0 {
        net::add_reply_status(c, reply);
        return 1;
    }
    0
}

/// Output the representation of a Redis command. Used by the COMMAND
/// command: name, arity, flags, first key, last key, key step; a null bulk
/// for an unknown command.
///
/// C: server.c addReplyCommand()
pub(crate) fn add_reply_command(c: &mut Client, cmd: Option<&RedisCommand>) {
    let Some(cmd) = cmd else {
        add_reply(c, shared::NULLBULK);
        return;
    };
    // We are adding: command name, arg count, flags, first, last, offset
    net::add_reply_multi_bulk_len(c, 6);
    net::add_reply_bulk_c_string(c, Some(cmd.name));
    net::add_reply_long_long(c, cmd.arity as i64);

    let mut flagcount = 0;
    let flaglen = net::add_deferred_multi_bulk_length(c);
    flagcount += add_reply_command_flag(c, cmd, CMD_WRITE, "write");
    flagcount += add_reply_command_flag(c, cmd, CMD_READONLY, "readonly");
    flagcount += add_reply_command_flag(c, cmd, CMD_DENYOOM, "denyoom");
    flagcount += add_reply_command_flag(c, cmd, CMD_ADMIN, "admin");
    flagcount += add_reply_command_flag(c, cmd, CMD_PUBSUB, "pubsub");
    flagcount += add_reply_command_flag(c, cmd, CMD_NOSCRIPT, "noscript");
    flagcount += add_reply_command_flag(c, cmd, CMD_RANDOM, "random");
    flagcount +=
        add_reply_command_flag(c, cmd, CMD_SORT_FOR_SCRIPT, "sort_for_script");
    flagcount += add_reply_command_flag(c, cmd, CMD_LOADING, "loading");
    flagcount += add_reply_command_flag(c, cmd, CMD_STALE, "stale");
    flagcount +=
        add_reply_command_flag(c, cmd, CMD_SKIP_MONITOR, "skip_monitor");
    flagcount += add_reply_command_flag(c, cmd, CMD_ASKING, "asking");
    flagcount += add_reply_command_flag(c, cmd, CMD_FAST, "fast");
    if (cmd.getkeys_proc.is_some() && cmd.flags & CMD_MODULE == 0)
        || cmd.flags & CMD_MODULE_GETKEYS != 0
    {
        net::add_reply_status(c, "movablekeys");
        flagcount += 1;
    }
    net::set_deferred_multi_bulk_length(c, flaglen, flagcount);

    net::add_reply_long_long(c, cmd.firstkey as i64);
    net::add_reply_long_long(c, cmd.lastkey as i64);
    net::add_reply_long_long(c, cmd.keystep as i64);
}

/// COMMAND [COUNT | INFO name ... | GETKEYS cmd arg ... | HELP]
///
/// C: server.c commandCommand()
pub(crate) fn command_command(server: &mut RedisServer, c: &mut Client) {
    let argc = c.argv.len();
    if argc == 2 && c.argv[1].eq_ignore_ascii_case(b"help") {
        const HELP: &[&str] = &[
            "(no subcommand) -- Return details about all Redis commands.",
            "COUNT -- Return the total number of commands in this Redis server.",
            "GETKEYS <full-command> -- Return the keys from a full Redis command.",
            "INFO [command-name ...] -- Return details about multiple Redis commands.",
        ];
        let name = String::from_utf8_lossy(&c.argv[0]).into_owned();
        net::add_reply_help(c, &name, HELP);
    } else if argc == 1 {
        // Divergence from C: C walks its commands dict, in hash order; we
        // list the table in its own order.
        net::add_reply_multi_bulk_len(c, server.commands.len() as i64);
        for cmd in &server.commands {
            add_reply_command(c, Some(cmd));
        }
    } else if c.argv[1].eq_ignore_ascii_case(b"info") {
        net::add_reply_multi_bulk_len(c, argc as i64 - 2);
        for i in 2..argc {
            let cmd = lookup_command(server, &c.argv[i]);
            add_reply_command(c, cmd.map(|j| &server.commands[j]));
        }
    } else if c.argv[1].eq_ignore_ascii_case(b"count") && argc == 2 {
        net::add_reply_long_long(c, server.commands.len() as i64);
    } else if c.argv[1].eq_ignore_ascii_case(b"getkeys") && argc >= 3 {
        let Some(j) = lookup_command(server, &c.argv[2]) else {
            add_reply_error(c, "Invalid command specified");
            return;
        };
        let cmd = &server.commands[j];
        let nargs = argc as i32 - 2;
        if cmd.getkeys_proc.is_none() && cmd.firstkey == 0 {
            add_reply_error(c, "The command has no key arguments");
            return;
        } else if (cmd.arity > 0 && cmd.arity != nargs) || nargs < -cmd.arity {
            add_reply_error(
                c,
                "Invalid number of arguments specified for command",
            );
            return;
        }
        match crate::db::get_keys_from_command(server, cmd, &c.argv[2..]) {
            None => {
                add_reply_error(c, "Invalid arguments specified for command")
            }
            Some(keys) => {
                net::add_reply_multi_bulk_len(c, keys.len() as i64);
                for k in keys {
                    let key = std::mem::take(&mut c.argv[k as usize + 2]);
                    net::add_reply_bulk(c, &key);
                    c.argv[k as usize + 2] = key;
                }
            }
        }
    } else {
        net::add_reply_subcommand_syntax_error(c);
    }
}

/// Convert an amount of bytes into a human readable string in the form of
/// 100B, 2G, 100M, 4K, and so forth.
///
/// C: server.c bytesToHuman()
pub(crate) fn bytes_to_human(n: u64) -> String {
    const K: u64 = 1024;
    if n < K {
        // Bytes
        format!("{}B", n)
    } else if n < K * K {
        format!("{:.2}K", n as f64 / K as f64)
    } else if n < K * K * K {
        format!("{:.2}M", n as f64 / (K * K) as f64)
    } else if n < K * K * K * K {
        format!("{:.2}G", n as f64 / (K * K * K) as f64)
    } else if n < K * K * K * K * K {
        format!("{:.2}T", n as f64 / (K * K * K * K) as f64)
    } else if n < K * K * K * K * K * K {
        format!("{:.2}P", n as f64 / (K * K * K * K * K) as f64)
    } else {
        // Let's hope we never need this
        format!("{}B", n)
    }
}

/// C's getrusage(2), which std does not offer. (no C twin)
fn rusage(who: libc::c_int) -> libc::rusage {
    // SAFETY: getrusage only writes into the zeroed struct we own; it has
    // no other effect and no precondition on the calling thread.
    unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut ru);
        ru
    }
}

/// C's uname(2), which std does not offer: the system name, release and
/// machine INFO prints as `os:`. (no C twin)
fn uname() -> (String, String, String) {
    // SAFETY: uname only writes into the zeroed struct we own; every field
    // it fills is a NUL-terminated array inside that struct, and a zeroed
    // one (if the call failed) is an empty string.
    let name = unsafe {
        let mut name: libc::utsname = std::mem::zeroed();
        libc::uname(&mut name);
        name
    };
    let field = |f: &[libc::c_char]| {
        let bytes: Vec<u8> =
            f.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    (field(&name.sysname), field(&name.release), field(&name.machine))
}

/// The "# Replication" section of INFO. Kept apart so the replica side
/// (master_host, master_link_status, the transfer figures) reads like the C
/// it ports. (no C twin: part of genRedisInfoString)
fn gen_replication_info_string(server: &RedisServer) -> String {
    use std::fmt::Write;
    let mut info = String::new();
    let _ = write!(
        info,
        "# Replication\r\nrole:{}\r\n",
        if server.masterhost.is_none() { "master" } else { "slave" }
    );
    if let Some(masterhost) = &server.masterhost {
        let master = server.master.and_then(|id| server.clients.get(&id));
        let slave_repl_offset = match (master, &server.cached_master) {
            (Some(m), _) => m.reploff,
            (None, Some(cm)) => cm.reploff,
            (None, None) => 1,
        };
        let _ = write!(
            info,
            "master_host:{}\r\nmaster_port:{}\r\nmaster_link_status:{}\r\nmaster_last_io_seconds_ago:{}\r\nmaster_sync_in_progress:{}\r\nslave_repl_offset:{}\r\n",
            masterhost,
            server.masterport,
            if server.repl_state == REPL_STATE_CONNECTED { "up" } else { "down" },
            master.map(|m| (server.unixtime - m.lastinteraction) as i32).unwrap_or(-1),
            (server.repl_state == REPL_STATE_TRANSFER) as i32,
            slave_repl_offset
        );
        if server.repl_state == REPL_STATE_TRANSFER {
            let _ = write!(
                info,
                "master_sync_left_bytes:{}\r\nmaster_sync_last_io_seconds_ago:{}\r\n",
                server.repl_transfer_size - server.repl_transfer_read,
                (server.unixtime - server.repl_transfer_lastio) as i32
            );
        }
        if server.repl_state != REPL_STATE_CONNECTED {
            let _ = write!(
                info,
                "master_link_down_since_seconds:{}\r\n",
                server.unixtime - server.repl_down_since
            );
        }
        let _ = write!(
            info,
            "slave_priority:{}\r\nslave_read_only:{}\r\n",
            server.slave_priority, server.repl_slave_ro as i32
        );
    }

    let _ = write!(info, "connected_slaves:{}\r\n", server.slaves.len());

    // If min-slaves-to-write is active, write the number of slaves
    // currently considered 'good'.
    if server.repl_min_slaves_to_write != 0
        && server.repl_min_slaves_max_lag != 0
    {
        let _ = write!(
            info,
            "min_slaves_good_slaves:{}\r\n",
            server.repl_good_slaves_count
        );
    }

    let mut slaveid = 0;
    for id in &server.slaves {
        let Some(slave) = server.clients.get(id) else { continue };
        let slaveip = match &slave.slave_ip {
            Some(ip) if !ip.is_empty() => ip.clone(),
            _ => match slave
                .sock
                .as_ref()
                .and_then(net::anet::anet_peer_to_string)
            {
                Some((ip, _)) => ip,
                None => continue,
            },
        };
        use crate::replication::*;
        let state = match slave.replstate {
            SLAVE_STATE_WAIT_BGSAVE_START | SLAVE_STATE_WAIT_BGSAVE_END => {
                "wait_bgsave"
            }
            SLAVE_STATE_SEND_BULK => "send_bulk",
            SLAVE_STATE_ONLINE => "online",
            _ => continue,
        };
        let lag = if slave.replstate == SLAVE_STATE_ONLINE {
            now_secs() - slave.repl_ack_time
        } else {
            0
        };
        let _ = write!(
            info,
            "slave{}:ip={},port={},state={},offset={},lag={}\r\n",
            slaveid,
            slaveip,
            slave.slave_listening_port,
            state,
            slave.repl_ack_off,
            lag
        );
        slaveid += 1;
    }
    let _ = write!(
        info,
        "master_replid:{}\r\nmaster_replid2:{}\r\nmaster_repl_offset:{}\r\nsecond_repl_offset:{}\r\nrepl_backlog_active:{}\r\nrepl_backlog_size:{}\r\nrepl_backlog_first_byte_offset:{}\r\nrepl_backlog_histlen:{}\r\n",
        String::from_utf8_lossy(&server.replid),
        String::from_utf8_lossy(&server.replid2),
        server.master_repl_offset,
        server.second_replid_offset,
        server.repl_backlog.is_some() as i32,
        server.repl_backlog_size,
        server.repl_backlog_off,
        server.repl_backlog_histlen
    );
    info
}

/// Create the string returned by the INFO command. This is decoupled by
/// the INFO command itself as we need to report the same information on
/// memory corruption problems. `section` is "default" (every section but
/// commandstats), "all", or one section's name.
///
/// INFO runs it with its client put back in the table
/// (`with_running_in_table`), so that client is counted as in C.
///
/// C: server.c genRedisInfoString()
pub(crate) fn gen_redis_info_string(
    server: &mut RedisServer,
    section: &[u8],
) -> String {
    use std::fmt::Write;
    let mut info = String::new();
    let uptime = server.unixtime - server.stat_starttime;
    let allsections = section.eq_ignore_ascii_case(b"all");
    let defsections = section.eq_ignore_ascii_case(b"default");
    let mut sections = 0;
    let wants = |name: &str| {
        allsections
            || defsections
            || section.eq_ignore_ascii_case(name.as_bytes())
    };

    // What the build would tell C: we have no git sha or gcc version.
    const REDIS_GIT_SHA1: &str = "00000000";
    const MULTIPLEXING_API: &str = "epoll"; // aeGetApiName()
    const ATOMICVAR_API: &str = "atomic-builtin"; // REDIS_ATOMIC_API
    let self_ru = rusage(libc::RUSAGE_SELF);
    let c_ru = rusage(libc::RUSAGE_CHILDREN);

    // Server
    if wants("server") {
        let mode = if server.sentinel_mode { "sentinel" } else { "standalone" };
        if sections > 0 {
            info.push_str("\r\n");
        }
        sections += 1;
        // C calls uname(2) once and keeps the answer; a call costs
        // little and gives the same strings. Unlike reading them from
        // /proc/sys/kernel, it needs no file descriptor, so INFO still
        // names the OS when the server has run out of them.
        let uname = uname();
        let _ = write!(
            info,
            "# Server\r\n\
             redis_version:{}\r\n\
             redis_git_sha1:{}\r\n\
             redis_git_dirty:{}\r\n\
             redis_build_id:{:x}\r\n\
             redis_mode:{}\r\n\
             os:{} {} {}\r\n\
             arch_bits:{}\r\n\
             multiplexing_api:{}\r\n\
             atomicvar_api:{}\r\n\
             gcc_version:{}.{}.{}\r\n\
             process_id:{}\r\n\
             run_id:{}\r\n\
             tcp_port:{}\r\n\
             uptime_in_seconds:{}\r\n\
             uptime_in_days:{}\r\n\
             hz:{}\r\n\
             configured_hz:{}\r\n\
             lru_clock:{}\r\n\
             executable:{}\r\n\
             config_file:{}\r\n",
            crate::REDIS_VERSION,
            REDIS_GIT_SHA1,
            0,
            0u64,
            mode,
            uname.0,
            uname.1,
            uname.2,
            usize::BITS,
            MULTIPLEXING_API,
            ATOMICVAR_API,
            // Divergence from C: not built by gcc; C prints 0.0.0 then too.
            0,
            0,
            0,
            std::process::id(),
            server.runid,
            server.port,
            uptime,
            uptime / (3600 * 24),
            server.hz,
            server.config_hz,
            server.lruclock,
            server.executable,
            server.configfile.as_deref().unwrap_or("")
        );
    }

    // Clients
    if wants("clients") {
        if sections > 0 {
            info.push_str("\r\n");
        }
        sections += 1;
        // Divergence from C: C reports the peaks clientsCron saw over the
        // last seconds (getExpansiveClientsInfo); we report the current
        // largest query buffer and output buffer.
        let mut maxin = 0usize;
        let mut maxout = 0u64;
        for c in server.clients.values() {
            maxin = maxin.max(c.querybuf.capacity());
            maxout = maxout.max(net::get_client_output_buffer_memory_usage(c));
        }
        let _ = write!(
            info,
            "# Clients\r\n\
             connected_clients:{}\r\n\
             client_recent_max_input_buffer:{}\r\n\
             client_recent_max_output_buffer:{}\r\n\
             blocked_clients:{}\r\n",
            net::num_clients(server) - server.slaves.len(),
            maxin,
            maxout,
            server.blocked_clients
        );
    }

    // Memory
    if wants("memory") {
        let zmalloc_used = crate::util::zmalloc_used_memory();
        let total_system_mem = server.system_memory_size;
        // C: lua_gc(server.lua,LUA_GCCOUNT,0)*1024, whole KiB.
        let memory_lua = server
            .lua
            .as_ref()
            .map(|l| (l.lua.used_memory() / 1024 * 1024) as i64)
            .unwrap_or(0);
        let evict_policy = crate::config::evict_policy_to_string(server);
        use crate::object::ZMALLOC_LIB;
        let ms = server.cron_malloc_stats;
        let process_rss = ms.process_rss;
        let allocator_resident = ms.allocator_resident;
        let allocator_active = ms.allocator_active;
        let allocator_allocated = ms.allocator_allocated;

        // Peak memory is updated from time to time by serverCron() so it
        // may happen that the instantaneous value is slightly bigger than
        // the peak value. This may confuse users, so we update the peak if
        // found smaller than the current memory usage.
        if zmalloc_used > server.stat_peak_memory {
            server.stat_peak_memory = zmalloc_used;
        }
        let mh = crate::object::get_memory_overhead_data(server);

        if sections > 0 {
            info.push_str("\r\n");
        }
        sections += 1;
        let _ = write!(
            info,
            "# Memory\r\n\
             used_memory:{}\r\n\
             used_memory_human:{}\r\n\
             used_memory_rss:{}\r\n\
             used_memory_rss_human:{}\r\n\
             used_memory_peak:{}\r\n\
             used_memory_peak_human:{}\r\n\
             used_memory_peak_perc:{:.2}%\r\n\
             used_memory_overhead:{}\r\n\
             used_memory_startup:{}\r\n\
             used_memory_dataset:{}\r\n\
             used_memory_dataset_perc:{:.2}%\r\n\
             allocator_allocated:{}\r\n\
             allocator_active:{}\r\n\
             allocator_resident:{}\r\n\
             total_system_memory:{}\r\n\
             total_system_memory_human:{}\r\n\
             used_memory_lua:{}\r\n\
             used_memory_lua_human:{}\r\n\
             used_memory_scripts:{}\r\n\
             used_memory_scripts_human:{}\r\n\
             number_of_cached_scripts:{}\r\n\
             maxmemory:{}\r\n\
             maxmemory_human:{}\r\n\
             maxmemory_policy:{}\r\n\
             allocator_frag_ratio:{:.2}\r\n\
             allocator_frag_bytes:{}\r\n\
             allocator_rss_ratio:{:.2}\r\n\
             allocator_rss_bytes:{}\r\n\
             rss_overhead_ratio:{:.2}\r\n\
             rss_overhead_bytes:{}\r\n\
             mem_fragmentation_ratio:{:.2}\r\n\
             mem_fragmentation_bytes:{}\r\n\
             mem_not_counted_for_evict:{}\r\n\
             mem_replication_backlog:{}\r\n\
             mem_clients_slaves:{}\r\n\
             mem_clients_normal:{}\r\n\
             mem_aof_buffer:{}\r\n\
             mem_allocator:{}\r\n\
             active_defrag_running:{}\r\n\
             lazyfree_pending_objects:{}\r\n",
            zmalloc_used,
            bytes_to_human(zmalloc_used as u64),
            process_rss,
            bytes_to_human(process_rss as u64),
            server.stat_peak_memory,
            bytes_to_human(server.stat_peak_memory as u64),
            mh.peak_perc,
            mh.overhead_total,
            mh.startup_allocated,
            mh.dataset,
            mh.dataset_perc,
            allocator_allocated,
            allocator_active,
            allocator_resident,
            total_system_mem,
            bytes_to_human(total_system_mem as u64),
            memory_lua,
            bytes_to_human(memory_lua as u64),
            mh.lua_caches,
            bytes_to_human(mh.lua_caches as u64),
            server.lua_scripts.len(),
            server.maxmemory,
            bytes_to_human(server.maxmemory),
            evict_policy,
            mh.allocator_frag,
            mh.allocator_frag_bytes,
            mh.allocator_rss,
            mh.allocator_rss_bytes,
            mh.rss_extra,
            mh.rss_extra_bytes,
            // This is the total RSS overhead, including fragmentation,
            // named so for backwards compatibility.
            mh.total_frag,
            mh.total_frag_bytes,
            crate::evict::free_memory_get_not_counted_memory(server),
            mh.repl_backlog,
            mh.clients_slaves,
            mh.clients_normal,
            mh.aof_buffer,
            ZMALLOC_LIB,
            0,
            crate::lazyfree::lazyfree_get_pending_objects_count()
        );
    }

    // Persistence
    if wants("persistence") {
        if sections > 0 {
            info.push_str("\r\n");
        }
        sections += 1;
        let now = now_secs();
        let _ = write!(
            info,
            "# Persistence\r\n\
             loading:{}\r\n\
             rdb_changes_since_last_save:{}\r\n\
             rdb_bgsave_in_progress:{}\r\n\
             rdb_last_save_time:{}\r\n\
             rdb_last_bgsave_status:{}\r\n\
             rdb_last_bgsave_time_sec:{}\r\n\
             rdb_current_bgsave_time_sec:{}\r\n\
             rdb_last_cow_size:{}\r\n\
             aof_enabled:{}\r\n\
             aof_rewrite_in_progress:{}\r\n\
             aof_rewrite_scheduled:{}\r\n\
             aof_last_rewrite_time_sec:{}\r\n\
             aof_current_rewrite_time_sec:{}\r\n\
             aof_last_bgrewrite_status:{}\r\n\
             aof_last_write_status:{}\r\n\
             aof_last_cow_size:{}\r\n",
            server.loading as i32,
            server.dirty,
            (server.rdb_child_pid != -1) as i32,
            server.lastsave,
            if server.lastbgsave_status.is_ok() { "ok" } else { "err" },
            server.rdb_save_time_last,
            if server.rdb_child_pid == -1 {
                -1
            } else {
                now - server.rdb_save_time_start
            },
            server.stat_rdb_cow_bytes,
            (server.aof_state != crate::config::AOF_OFF) as i32,
            (server.aof_child_pid != -1) as i32,
            server.aof_rewrite_scheduled as i32,
            server.aof_rewrite_time_last,
            if server.aof_child_pid == -1 {
                -1
            } else {
                now - server.aof_rewrite_time_start
            },
            if server.aof_lastbgrewrite_status.is_ok() { "ok" } else { "err" },
            if server.aof_last_write_status.is_ok() { "ok" } else { "err" },
            server.stat_aof_cow_bytes
        );

        if server.aof_state != crate::config::AOF_OFF {
            let _ = write!(
                info,
                "aof_current_size:{}\r\n\
                 aof_base_size:{}\r\n\
                 aof_pending_rewrite:{}\r\n\
                 aof_buffer_length:{}\r\n\
                 aof_rewrite_buffer_length:{}\r\n\
                 aof_pending_bio_fsync:{}\r\n\
                 aof_delayed_fsync:{}\r\n",
                server.aof_current_size,
                server.aof_rewrite_base_size,
                server.aof_rewrite_scheduled as i32,
                server.aof_buf.len(),
                crate::aof::aof_rewrite_buffer_size(server),
                crate::bio::bio_pending_jobs_of_type(crate::bio::BIO_AOF_FSYNC),
                server.aof_delayed_fsync
            );
        }
        if server.loading {
            let remaining_bytes =
                server.loading_total_bytes - server.loading_loaded_bytes;
            let perc = (server.loading_loaded_bytes as f64
                / (server.loading_total_bytes + 1) as f64)
                * 100.0;
            let elapsed = now - server.loading_start_time;
            let eta = if elapsed == 0 {
                1 // A fake 1 second figure if we don't have enough info
            } else {
                (elapsed * remaining_bytes) / (server.loading_loaded_bytes + 1)
            };
            let _ = write!(
                info,
                "loading_start_time:{}\r\n\
                 loading_total_bytes:{}\r\n\
                 loading_loaded_bytes:{}\r\n\
                 loading_loaded_perc:{:.2}\r\n\
                 loading_eta_seconds:{}\r\n",
                server.loading_start_time,
                server.loading_total_bytes,
                server.loading_loaded_bytes,
                perc,
                eta
            );
        }
    }

    // Stats
    if wants("stats") {
        if sections > 0 {
            info.push_str("\r\n");
        }
        sections += 1;
        let _ = write!(
            info,
            "# Stats\r\n\
             total_connections_received:{}\r\n\
             total_commands_processed:{}\r\n\
             instantaneous_ops_per_sec:{}\r\n\
             total_net_input_bytes:{}\r\n\
             total_net_output_bytes:{}\r\n\
             instantaneous_input_kbps:{:.2}\r\n\
             instantaneous_output_kbps:{:.2}\r\n\
             rejected_connections:{}\r\n\
             sync_full:{}\r\n\
             sync_partial_ok:{}\r\n\
             sync_partial_err:{}\r\n\
             expired_keys:{}\r\n\
             expired_stale_perc:{:.2}\r\n\
             expired_time_cap_reached_count:{}\r\n\
             evicted_keys:{}\r\n\
             keyspace_hits:{}\r\n\
             keyspace_misses:{}\r\n\
             pubsub_channels:{}\r\n\
             pubsub_patterns:{}\r\n\
             latest_fork_usec:{}\r\n\
             migrate_cached_sockets:{}\r\n\
             slave_expires_tracked_keys:{}\r\n\
             active_defrag_hits:{}\r\n\
             active_defrag_misses:{}\r\n\
             active_defrag_key_hits:{}\r\n\
             active_defrag_key_misses:{}\r\n",
            server.stat_numconnections,
            server.stat_numcommands,
            get_instantaneous_metric(server, STATS_METRIC_COMMAND),
            server.stat_net_input_bytes,
            server.stat_net_output_bytes,
            get_instantaneous_metric(server, STATS_METRIC_NET_INPUT) as f32
                / 1024.0,
            get_instantaneous_metric(server, STATS_METRIC_NET_OUTPUT) as f32
                / 1024.0,
            server.stat_rejected_conn,
            server.stat_sync_full,
            server.stat_sync_partial_ok,
            server.stat_sync_partial_err,
            server.stat_expiredkeys,
            server.stat_expired_stale_perc * 100.0,
            server.stat_expired_time_cap_reached_count,
            server.stat_evictedkeys,
            server.stat_keyspace_hits,
            server.stat_keyspace_misses,
            server.pubsub_channels.len(),
            server.pubsub_patterns.len(),
            server.stat_fork_time,
            0, // no MIGRATE, so no cached sockets
            crate::expire::get_slave_key_with_expire_count(server),
            server.stat_active_defrag_hits,
            server.stat_active_defrag_misses,
            server.stat_active_defrag_key_hits,
            server.stat_active_defrag_key_misses
        );
    }

    // Replication
    if wants("replication") {
        if sections > 0 {
            info.push_str("\r\n");
        }
        sections += 1;
        info.push_str(&gen_replication_info_string(server));
    }

    // CPU
    if wants("cpu") {
        if sections > 0 {
            info.push_str("\r\n");
        }
        sections += 1;
        let _ = write!(
            info,
            "# CPU\r\n\
             used_cpu_sys:{}.{:06}\r\n\
             used_cpu_user:{}.{:06}\r\n\
             used_cpu_sys_children:{}.{:06}\r\n\
             used_cpu_user_children:{}.{:06}\r\n",
            self_ru.ru_stime.tv_sec,
            self_ru.ru_stime.tv_usec,
            self_ru.ru_utime.tv_sec,
            self_ru.ru_utime.tv_usec,
            c_ru.ru_stime.tv_sec,
            c_ru.ru_stime.tv_usec,
            c_ru.ru_utime.tv_sec,
            c_ru.ru_utime.tv_usec
        );
    }

    // Command statistics
    if allsections || section.eq_ignore_ascii_case(b"commandstats") {
        if sections > 0 {
            info.push_str("\r\n");
        }
        sections += 1;
        info.push_str("# Commandstats\r\n");
        // Divergence from C: table order, not the commands dict's order.
        for c in &server.commands {
            if c.calls == 0 {
                continue;
            }
            let _ = write!(
                info,
                "cmdstat_{}:calls={},usec={},usec_per_call={:.2}\r\n",
                c.name,
                c.calls,
                c.microseconds,
                c.microseconds as f32 / c.calls as f32
            );
        }
    }

    // Cluster
    if wants("cluster") {
        if sections > 0 {
            info.push_str("\r\n");
        }
        sections += 1;
        info.push_str("# Cluster\r\ncluster_enabled:0\r\n");
    }

    // Key space
    if wants("keyspace") {
        if sections > 0 {
            info.push_str("\r\n");
        }
        info.push_str("# Keyspace\r\n");
        for (j, db) in server.db.iter().enumerate() {
            let keys = db.dict.dict_size();
            let vkeys = db.expires.dict_size();
            if keys != 0 || vkeys != 0 {
                let _ = write!(
                    info,
                    "db{}:keys={},expires={},avg_ttl={}\r\n",
                    j, keys, vkeys, db.avg_ttl
                );
            }
        }
    }

    // Divergence from C: `INFO replhistory` (no C twin, see
    // replication/history.rs), only when named: never part of "default"
    // or "all", so what 5.0.14 returns for those stays as it is.
    if section.eq_ignore_ascii_case(b"replhistory") {
        info.push_str(&crate::replication::history::info_section(server));
    }
    info
}

/// INFO [section]
///
/// C: server.c infoCommand()
pub(crate) fn info_command(server: &mut RedisServer, c: &mut Client) {
    if c.argv.len() > 2 {
        add_reply(c, shared::SYNTAXERR);
        return;
    }
    let section =
        if c.argv.len() == 2 { c.argv[1].clone() } else { b"default".to_vec() };
    let info = net::with_running_in_table(server, c, |s| {
        gen_redis_info_string(s, &section)
    });
    net::add_reply_bulk_sds(c, info.into_bytes());
}

/// MONITOR: from now on the client receives every command the server runs
/// (see replication_feed_monitors), and is flagged like a replica.
///
/// C: server.c monitorCommand()
pub(crate) fn monitor_command(server: &mut RedisServer, c: &mut Client) {
    // ignore MONITOR if already slave or in monitor mode
    if c.flags & CLIENT_SLAVE != 0 {
        return;
    }
    c.flags |= CLIENT_SLAVE | CLIENT_MONITOR;
    // Not in C: the monitor's own commands feed it while it runs; see
    // `Client::mailbox`.
    net::open_mailbox(server, c);
    server.monitors.push(c.id);
    add_reply(c, shared::OK);
}

/// C: db.c shutdownCommand() (kept here beside prepareForShutdown)
pub(crate) fn shutdown_command(server: &mut RedisServer, c: &mut Client) {
    let mut flags = 0;
    if c.argv.len() > 2 {
        add_reply(c, shared::SYNTAXERR);
        return;
    } else if c.argv.len() == 2 {
        if c.argv[1].eq_ignore_ascii_case(b"nosave") {
            flags |= SHUTDOWN_NOSAVE;
        } else if c.argv[1].eq_ignore_ascii_case(b"save") {
            flags |= SHUTDOWN_SAVE;
        } else {
            add_reply(c, shared::SYNTAXERR);
            return;
        }
    }
    // When SHUTDOWN is called while the server is loading a dataset in
    // memory we need to make sure no attempt is performed to save the
    // dataset on shutdown (otherwise it could overwrite the current DB with
    // half-read data).
    if server.loading {
        flags = (flags & !SHUTDOWN_SAVE) | SHUTDOWN_NOSAVE;
    }
    if prepare_for_shutdown(server, flags).is_ok() {
        std::process::exit(0);
    }
    add_reply_error(c, "Errors trying to SHUTDOWN. Check logs.");
}
