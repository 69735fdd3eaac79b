//! server.c's "Server initialization": the defaults of every option
//! (`init_server_config`), `restart_server`, the listening sockets and
//! `init_server`, in C's order.

use super::*;

// ------------------------------- server initialization -------------------------------

/// Set by the SIGTERM/SIGINT handler; server_cron acts on it. An atomic,
/// because a signal handler may touch nothing else.
pub(crate) static SHUTDOWN_ASAP: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// The 40 hex chars of a new random run id / replication id.
///
/// C: util.c getRandomHexChars()
pub(crate) fn get_random_hex_chars() -> [u8; 40] {
    let mut out = [b'0'; 40];
    let mut bytes = [0u8; 20];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        use std::io::Read;
        let _ = f.read_exact(&mut bytes);
    } else {
        let seed = ustime() as u64 ^ ((std::process::id() as u64) << 32);
        let mut x = seed | 1;
        for b in bytes.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in bytes.iter().enumerate() {
        out[i * 2] = HEX[(b >> 4) as usize];
        out[i * 2 + 1] = HEX[(b & 15) as usize];
    }
    out
}

/// C: server.c initServerConfig()
pub fn init_server_config() -> RedisServer {
    let now = mstime();
    let el = match ae::ae_create_event_loop(
        (CONFIG_DEFAULT_MAX_CLIENTS + CONFIG_FDSET_INCR) as usize,
    ) {
        Ok(el) => el,
        Err(e) => {
            eprintln!(
                "Failed creating the event loop. Error message: '{}'",
                crate::util::strerror(&e)
            );
            std::process::exit(1);
        }
    };
    let runid = String::from_utf8_lossy(&get_random_hex_chars()).into_owned();
    let mut server = RedisServer {
        // C sets server.pid in initServer(): until then the log shows the
        // role 'C', as Redis's first lines do.
        pid: 0,
        configfile: None,
        executable: String::new(),
        exec_argv: Vec::new(),
        dynamic_hz: true,
        config_hz: CONFIG_DEFAULT_HZ,
        hz: CONFIG_DEFAULT_HZ,
        db: Vec::new(),
        commands: Vec::new(),
        command_index: HashMap::default(),
        multi_command: 0,
        exec_command: 0,
        el,
        lruclock: crate::evict::get_lru_clock(),
        shutdown_asap: false,
        cronloops: 0,
        runid,
        sentinel_mode: false,
        initial_memory_usage: 0,
        always_show_logo: false,
        port: CONFIG_DEFAULT_SERVER_PORT,
        tcp_backlog: CONFIG_DEFAULT_TCP_BACKLOG,
        bindaddr: Vec::new(),
        unixsocket: None,
        unixsocketperm: 0,
        ipfd: Vec::new(),
        listeners: Vec::new(),
        sofd: -1,
        unix_listener: None,
        clients: crate::networking::ClientTable::new(),
        clients_to_close: Vec::new(),
        clients_pending_write: Vec::new(),
        slaves: Vec::new(),
        monitors: Vec::new(),
        current_client: None,
        clients_paused: false,
        clients_pause_end_time: 0,
        next_client_id: 1, // Client IDs, start from 1 .
        protected_mode: CONFIG_DEFAULT_PROTECTED_MODE,
        loading: false,
        loading_total_bytes: 0,
        loading_loaded_bytes: 0,
        loading_start_time: 0,
        loading_process_events_interval_bytes: 1024 * 1024 * 2,
        stat_starttime: now / 1000,
        stat_numcommands: 0,
        stat_numconnections: 0,
        stat_expiredkeys: 0,
        stat_expired_stale_perc: 0.0,
        stat_expired_time_cap_reached_count: 0,
        stat_evictedkeys: 0,
        stat_keyspace_hits: 0,
        stat_keyspace_misses: 0,
        stat_active_defrag_hits: 0,
        stat_active_defrag_misses: 0,
        stat_active_defrag_key_hits: 0,
        stat_active_defrag_key_misses: 0,
        stat_active_defrag_scanned: 0,
        stat_peak_memory: 0,
        stat_fork_time: 0,
        stat_fork_rate: 0.0,
        stat_rejected_conn: 0,
        stat_sync_full: 0,
        stat_sync_partial_ok: 0,
        stat_sync_partial_err: 0,
        stat_net_input_bytes: 0,
        stat_net_output_bytes: 0,
        stat_rdb_cow_bytes: 0,
        inst_metric: [InstMetric::default(); STATS_METRIC_COUNT],
        verbosity: CONFIG_DEFAULT_VERBOSITY,
        maxidletime: CONFIG_DEFAULT_CLIENT_TIMEOUT,
        tcpkeepalive: CONFIG_DEFAULT_TCP_KEEPALIVE,
        active_expire_enabled: true,
        client_max_querybuf_len: PROTO_MAX_QUERYBUF_LEN,
        dbnum: CONFIG_DEFAULT_DBNUM,
        supervised: false,
        daemonize: false,
        client_obuf_limits: CLIENT_BUFFER_LIMITS_DEFAULTS,
        dirty: 0,
        dirty_before_bgsave: 0,
        rdb_child_pid: -1,
        saveparams: vec![
            SaveParam { seconds: 60 * 60, changes: 1 }, // save after 1 hour and 1 change
            SaveParam { seconds: 300, changes: 100 }, // save after 5 minutes and 100 changes
            SaveParam { seconds: 60, changes: 10000 }, // save after 1 minute and 10000 changes
        ],
        rdb_filename: CONFIG_DEFAULT_RDB_FILENAME.to_string(),
        rdb_compression: true,
        rdb_checksum: true,
        lastsave: now / 1000, // At startup we consider the DB saved.
        lastbgsave_try: 0,    // At startup we never tried to BGSAVE.
        rdb_save_time_last: -1,
        rdb_save_time_start: -1,
        rdb_bgsave_scheduled: false,
        rdb_child_type: 0,
        lastbgsave_status: Ok(()),
        stop_writes_on_bgsave_err: true,
        rdb_save_incremental_fsync: true,
        rdb_pipe_write_result_to_parent: -1,
        rdb_pipe_read_result_from_child: -1,
        child_info_pipe: [-1, -1],
        child_info_data: Default::default(),
        also_propagate: Vec::new(),
        logfile: String::new(),
        pidfile: None,
        dir: String::new(),
        replid: get_random_hex_chars(),
        replid2: [b'0'; 40],
        master_repl_offset: 0,
        second_replid_offset: -1,
        slaveseldb: -1, // Force to emit the first SELECT command.
        repl_ping_slave_period: 10,
        repl_backlog: None,
        repl_backlog_size: 1024 * 1024,
        repl_backlog_histlen: 0,
        repl_backlog_idx: 0,
        repl_backlog_off: 0,
        repl_backlog_time_limit: 60 * 60,
        repl_no_slaves_since: now / 1000,
        repl_min_slaves_to_write: 0,
        repl_min_slaves_max_lag: 10,
        repl_good_slaves_count: 0,
        repl_diskless_sync: false,
        repl_diskless_sync_delay: 5,
        repl_cron_loops: 0,
        repl_history: Default::default(),
        repl_scriptcache_dict: Default::default(),
        repl_scriptcache_fifo: Default::default(),
        repl_scriptcache_size: 0,
        masterauth: None,
        masterhost: None,
        masterport: 6379,
        repl_timeout: 60,
        master: None,
        cached_master: None,
        repl_syncio_timeout: 5,
        repl_state: REPL_STATE_NONE,
        repl_transfer_size: -1,
        repl_transfer_read: 0,
        repl_transfer_last_fsync_off: 0,
        repl_transfer_s: -1,
        repl_transfer_fd: -1,
        repl_transfer_sock: None,
        repl_transfer_file: None,
        repl_transfer_usemark: false,
        repl_transfer_eofmark: [0; 40],
        repl_transfer_lastbytes: [0; 40],
        repl_newline_sent: 0,
        repl_transfer_tmpfile: None,
        repl_transfer_lastio: 0,
        repl_serve_stale_data: true,
        repl_slave_ro: true,
        repl_slave_ignore_maxmemory: true,
        repl_down_since: 0, // Never connected, repl is down since EVER.
        repl_disable_tcp_nodelay: false,
        slave_priority: 100,
        slave_announce_port: 0,
        slave_announce_ip: None,
        master_replid: [b'?'; 40],
        master_initial_offset: -1,
        repl_slave_lazy_flush: false,
        blocked_clients: 0,
        blocked_clients_by_type: [0; 6],
        unblocked_clients: VecDeque::new(),
        clients_waiting_acks: Vec::new(),
        get_ack_from_slaves: false,
        ready_keys: Vec::new(),
        maxclients: CONFIG_DEFAULT_MAX_CLIENTS,
        maxmemory: 0,
        system_memory_size: 0,
        maxmemory_policy: CONFIG_DEFAULT_MAXMEMORY_POLICY,
        maxmemory_samples: crate::config::CONFIG_DEFAULT_MAXMEMORY_SAMPLES,
        lfu_log_factor: crate::config::CONFIG_DEFAULT_LFU_LOG_FACTOR,
        lfu_decay_time: CONFIG_DEFAULT_LFU_DECAY_TIME,
        eviction_pool_lru: Vec::new(),
        evict_next_db: 0,
        proto_max_bulk_len: CONFIG_DEFAULT_PROTO_MAX_BULK_LEN,
        hash_max_ziplist_entries: 512,
        stream_node_max_bytes: crate::config::OBJ_STREAM_NODE_MAX_BYTES,
        stream_node_max_entries: crate::config::OBJ_STREAM_NODE_MAX_ENTRIES,
        hash_max_ziplist_value: 64,
        set_max_intset_entries: 512,
        zset_max_ziplist_entries: 128,
        zset_max_ziplist_value: 64,
        hll_sparse_max_bytes:
            crate::config::CONFIG_DEFAULT_HLL_SPARSE_MAX_BYTES,
        list_max_ziplist_size: -2,
        list_compress_depth: 0,
        requirepass: None,
        activerehashing: true,
        lazyfree_lazy_eviction:
            crate::config::CONFIG_DEFAULT_LAZYFREE_LAZY_EVICTION,
        lazyfree_lazy_expire:
            crate::config::CONFIG_DEFAULT_LAZYFREE_LAZY_EXPIRE,
        lazyfree_lazy_server_del:
            crate::config::CONFIG_DEFAULT_LAZYFREE_LAZY_SERVER_DEL,
        pubsub_channels: HashMap::new(),
        pubsub_patterns: Vec::new(),
        notify_keyspace_events: 0,
        unixtime: now / 1000,
        mstime: now,
        ustime: now * 1000,
        fixed_time_expire: 0,
        expire_current_db: 0,
        expire_timelimit_exit: false,
        expire_last_fast_cycle: 0,
        slave_keys_with_expire: None,
        resize_db: 0,
        rehash_db: 0,
        clients_cron_next: 0,
        cron_malloc_stats: MallocStats::default(),
        supervised_mode: crate::config::SUPERVISED_NONE,
        ignore_warnings: Some(
            crate::config::CONFIG_DEFAULT_IGNORE_WARNINGS.to_string(),
        ),
        aof_state: crate::config::AOF_OFF,
        aof_fsync: crate::config::CONFIG_DEFAULT_AOF_FSYNC,
        aof_filename: crate::config::CONFIG_DEFAULT_AOF_FILENAME.to_string(),
        aof_no_fsync_on_rewrite:
            crate::config::CONFIG_DEFAULT_AOF_NO_FSYNC_ON_REWRITE,
        aof_rewrite_perc: crate::config::AOF_REWRITE_PERC,
        aof_rewrite_min_size: crate::config::AOF_REWRITE_MIN_SIZE,
        aof_rewrite_incremental_fsync:
            crate::config::CONFIG_DEFAULT_AOF_REWRITE_INCREMENTAL_FSYNC,
        aof_load_truncated: crate::config::CONFIG_DEFAULT_AOF_LOAD_TRUNCATED,
        aof_use_rdb_preamble:
            crate::config::CONFIG_DEFAULT_AOF_USE_RDB_PREAMBLE,
        aof_rewrite_base_size: 0,
        aof_current_size: 0,
        aof_fsync_offset: 0,
        aof_rewrite_scheduled: false,
        aof_child_pid: -1,
        aof_rewrite_buf_blocks: Default::default(),
        aof_buf: Vec::new(),
        aof_fd: -1,
        aof_selected_db: -1, // Make sure the first time will not match
        aof_flush_postponed_start: 0,
        aof_last_fsync: now_secs(),
        aof_rewrite_time_last: -1,
        aof_rewrite_time_start: -1,
        aof_lastbgrewrite_status: Ok(()),
        aof_delayed_fsync: 0,
        aof_last_write_status: Ok(()),
        aof_last_write_errno: 0,
        aof_pipe_write_data_to_child: -1,
        aof_pipe_read_data_from_parent: -1,
        aof_pipe_write_ack_to_parent: -1,
        aof_pipe_read_ack_from_child: -1,
        aof_pipe_write_ack_to_child: -1,
        aof_pipe_read_ack_from_parent: -1,
        aof_stop_sending_diff: false,
        aof_child_diff: Default::default(),
        aof_last_write_error_log: 0,
        stat_aof_cow_bytes: 0,
        cluster_enabled: false,
        watchdog_period: 0,
        loadmodule_queue: Vec::new(),
        security_warning_logged_time: 0,
        lua_always_replicate_commands: true,
        lua: None,
        lua_client: None,
        lua_caller: None,
        lua_scripts: Default::default(),
        lua_scripts_mem: 0,
        lua_random_dirty: false,
        lua_write_dirty: false,
        lua_oom: false,
        lua_replicate_commands: false,
        lua_multi_emitted: false,
        lua_repl: 0,
        lua_time_limit: crate::config::LUA_SCRIPT_TIME_LIMIT,
        lua_time_start: 0,
        lua_timedout: false,
        lua_kill: false,
        slowlog: Default::default(),
        slowlog_entry_id: 0,
        slowlog_log_slower_than:
            crate::config::CONFIG_DEFAULT_SLOWLOG_LOG_SLOWER_THAN,
        slowlog_max_len: crate::config::CONFIG_DEFAULT_SLOWLOG_MAX_LEN,
        latency_monitor_threshold:
            crate::config::CONFIG_DEFAULT_LATENCY_MONITOR_THRESHOLD,
        latency_events: Default::default(),
        unported: UnportedConfig {
            // Active defragmentation (defrag.c)
            active_defrag_enabled: false,
            active_defrag_ignore_bytes:
                crate::config::CONFIG_DEFAULT_DEFRAG_IGNORE_BYTES,
            active_defrag_threshold_lower:
                crate::config::CONFIG_DEFAULT_DEFRAG_THRESHOLD_LOWER,
            active_defrag_threshold_upper:
                crate::config::CONFIG_DEFAULT_DEFRAG_THRESHOLD_UPPER,
            active_defrag_cycle_min:
                crate::config::CONFIG_DEFAULT_DEFRAG_CYCLE_MIN,
            active_defrag_cycle_max:
                crate::config::CONFIG_DEFAULT_DEFRAG_CYCLE_MAX,
            active_defrag_max_scan_fields:
                crate::config::CONFIG_DEFAULT_DEFRAG_MAX_SCAN_FIELDS,
            // Cluster (cluster.c)
            cluster_node_timeout: crate::config::CLUSTER_DEFAULT_NODE_TIMEOUT,
            cluster_configfile:
                crate::config::CONFIG_DEFAULT_CLUSTER_CONFIG_FILE.to_string(),
            cluster_migration_barrier:
                crate::config::CLUSTER_DEFAULT_MIGRATION_BARRIER,
            cluster_slave_validity_factor:
                crate::config::CLUSTER_DEFAULT_SLAVE_VALIDITY,
            cluster_require_full_coverage:
                crate::config::CLUSTER_DEFAULT_REQUIRE_FULL_COVERAGE,
            cluster_slave_no_failover:
                crate::config::CLUSTER_DEFAULT_SLAVE_NO_FAILOVER,
            cluster_announce_ip: None,
            cluster_announce_port:
                crate::config::CONFIG_DEFAULT_CLUSTER_ANNOUNCE_PORT,
            cluster_announce_bus_port:
                crate::config::CONFIG_DEFAULT_CLUSTER_ANNOUNCE_BUS_PORT,
            // Syslog (serverLogRaw's syslog() call)
            syslog_enabled: false,
            syslog_ident: "redis".into(),
            syslog_facility: libc::LOG_LOCAL0,
        },
        trace: crate::trace::Trace::default(),
    };
    populate_command_table(&mut server);
    server
}

/// Restart the server, executing the same executable that started this
/// instance, with the same arguments and configuration file (made
/// absolute at start-up, so the cwd that `dir` changed does not matter).
/// The process keeps its pid.
///
/// `flags` may hold RESTART_SERVER_CONFIG_REWRITE (rewrite the config file
/// first) and RESTART_SERVER_GRACEFULLY (shut down properly first: save
/// the RDB with the replication info, flush the replicas' buffers, close
/// the listeners). `delay` is in milliseconds.
///
/// On success the function does not return, because the process turns
/// into a different process. On error `Err(CErr)` is returned.
///
/// C: server.c restartServer()
pub(crate) fn restart_server(
    server: &mut RedisServer,
    flags: i32,
    delay: i64,
) -> CResult {
    // Check if we still have accesses to the executable that started this
    // server instance.
    let Ok(executable) = std::ffi::CString::new(server.executable.as_bytes())
    else {
        return Err(CErr);
    };
    // SAFETY: access() only reads the NUL-terminated path it is given.
    if unsafe { libc::access(executable.as_ptr(), libc::X_OK) } == -1 {
        server_log!(
            server,
            LL_WARNING,
            "Can't restart: this process has no permissions to execute {}",
            server.executable
        );
        return Err(CErr);
    }

    // Config rewriting.
    if flags & RESTART_SERVER_CONFIG_REWRITE != 0 {
        if let Some(configfile) = server.configfile.clone() {
            if crate::config::rewrite_config(server, &configfile).is_err() {
                server_log!(
                    server,
                    LL_WARNING,
                    "Can't restart: configuration rewrite process failed"
                );
                return Err(CErr);
            }
        }
    }

    // The argument vector for execve, built before anything is torn down;
    // argv[0] becomes the absolute executable path, as in C.
    let mut argv: Vec<std::ffi::CString> =
        Vec::with_capacity(server.exec_argv.len());
    argv.push(executable.clone());
    for a in server.exec_argv.iter().skip(1) {
        match std::ffi::CString::new(a.as_bytes()) {
            Ok(a) => argv.push(a),
            // Divergence from C: an argument with a NUL byte cannot reach
            // C's main() either; refuse before shutting anything down.
            Err(_) => return Err(CErr),
        }
    }
    let mut argv_ptrs: Vec<*const libc::c_char> =
        argv.iter().map(|a| a.as_ptr()).collect();
    argv_ptrs.push(std::ptr::null());

    // Perform a proper shutdown.
    if flags & RESTART_SERVER_GRACEFULLY != 0
        && prepare_for_shutdown(server, SHUTDOWN_NOFLAGS).is_err()
    {
        server_log!(
            server,
            LL_WARNING,
            "Can't restart: error preparing for shutdown"
        );
        return Err(CErr);
    }

    // Close all file descriptors, with the exception of stdin, stdout,
    // stderr which are useful if we restart a Redis server which is not
    // daemonized. Descriptors are checked with F_GETFD before closing.
    // Divergence from C: the Rust objects that owned the closed fds (the
    // event loop's epoll, the clients' sockets) are not dropped: the exec
    // below replaces the whole process image, so nothing uses them again.
    let last_fd = server.maxclients as i32 + 1024;
    for j in 3..last_fd {
        // SAFETY: fcntl(F_GETFD) and close() take a plain integer; the
        // process has a single thread, so no other code holds or reuses
        // these descriptors between here and the execve below.
        unsafe {
            if libc::fcntl(j, libc::F_GETFD) != -1 {
                libc::close(j);
            }
        }
    }

    // Execute the server with the original command line.
    if delay > 0 {
        std::thread::sleep(std::time::Duration::from_millis(delay as u64));
    }
    // SAFETY: the server is single-threaded, so no other thread can be
    // holding a lock or be interrupted by the exec. `executable` and every
    // `argv_ptrs` entry point into CStrings that live until this call, and
    // argv_ptrs is NULL-terminated. execv passes the current environment
    // (C's execve(..., environ)). On success this never returns; on
    // failure we leave with _exit(1) as C does, running no destructors.
    unsafe {
        libc::execv(executable.as_ptr(), argv_ptrs.as_ptr());
        // If an error occurred here, there is nothing we can do, but exit.
        libc::_exit(1);
    }
}

/// C: server.c resetServerStats()
pub(crate) fn reset_server_stats(server: &mut RedisServer) {
    server.stat_numcommands = 0;
    server.stat_numconnections = 0;
    server.stat_expiredkeys = 0;
    server.stat_expired_stale_perc = 0.0;
    server.stat_expired_time_cap_reached_count = 0;
    server.stat_evictedkeys = 0;
    server.stat_keyspace_misses = 0;
    server.stat_keyspace_hits = 0;
    server.stat_active_defrag_hits = 0;
    server.stat_active_defrag_misses = 0;
    server.stat_active_defrag_key_hits = 0;
    server.stat_active_defrag_key_misses = 0;
    server.stat_active_defrag_scanned = 0;
    server.stat_fork_time = 0;
    server.stat_fork_rate = 0.0;
    server.stat_rejected_conn = 0;
    server.stat_sync_full = 0;
    server.stat_sync_partial_ok = 0;
    server.stat_sync_partial_err = 0;
    server.inst_metric = [InstMetric::default(); STATS_METRIC_COUNT];
    server.stat_net_input_bytes = 0;
    server.stat_net_output_bytes = 0;
}

/// Initialize a set of file descriptors to listen to the specified 'port'
/// binding the addresses specified in the Redis server configuration.
/// With no bind address, Redis tries IPv6 and IPv4 wildcards.
///
/// C: server.c listenToPort()
pub(crate) fn listen_to_port(server: &mut RedisServer) -> CResult {
    let port = server.port;
    let backlog = server.tcp_backlog;
    let mut binds: Vec<Option<String>> =
        server.bindaddr.iter().cloned().map(Some).collect();
    let default_bind = binds.is_empty();
    if default_bind {
        binds.push(None);
    }
    for b in binds {
        match b {
            None => {
                // Bind * for both IPv6 and IPv4, we enter here only if
                // server.bindaddr_count == 0.
                let mut count = 0;
                let mut unsupported = 0;
                let mut last_err = None;
                match net::anet::anet_tcp6_server(port, None, backlog) {
                    Ok(l) => {
                        add_listener(server, l);
                        count += 1;
                    }
                    Err(e) if e.1 == libc::EAFNOSUPPORT => {
                        unsupported += 1;
                        server_log!(
                            server,
                            LL_WARNING,
                            "Not listening to IPv6: unsupproted"
                        );
                    }
                    Err(e) => last_err = Some(e),
                }
                if count == 1 || unsupported != 0 {
                    // Bind the IPv4 address as well.
                    match net::anet::anet_tcp_server(port, None, backlog) {
                        Ok(l) => {
                            add_listener(server, l);
                            count += 1;
                        }
                        Err(e) if e.1 == libc::EAFNOSUPPORT => {
                            unsupported += 1;
                            server_log!(
                                server,
                                LL_WARNING,
                                "Not listening to IPv4: unsupproted"
                            );
                        }
                        Err(e) => last_err = Some(e),
                    }
                }
                // Done if we were able to bind * on IPv4 and IPv6, otherwise
                // print an error and return to the caller with an error.
                if count + unsupported == 2 {
                    break;
                }
                if let Some(e) = last_err {
                    server_log!(
                        server,
                        LL_WARNING,
                        "Could not create server TCP listening socket *:{}: {}",
                        port,
                        e.0
                    );
                    if !listen_error_is_skippable(e.1) {
                        return Err(CErr);
                    }
                }
            }
            Some(addr) => {
                let r = if addr.contains(':') {
                    // Bind IPv6 address.
                    net::anet::anet_tcp6_server(port, Some(&addr), backlog)
                } else {
                    // Bind IPv4 address.
                    net::anet::anet_tcp_server(port, Some(&addr), backlog)
                };
                match r {
                    Ok(l) => add_listener(server, l),
                    Err(e) => {
                        server_log!(
                            server,
                            LL_WARNING,
                            "Could not create server TCP listening socket {}:{}: {}",
                            addr,
                            port,
                            e.0
                        );
                        if !listen_error_is_skippable(e.1) {
                            return Err(CErr);
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// The errors after which listenToPort() goes on to the next address: the
/// protocol or address is not available on this host.
fn listen_error_is_skippable(errno: i32) -> bool {
    matches!(
        errno,
        libc::ENOPROTOOPT
            | libc::EPROTONOSUPPORT
            | libc::ESOCKTNOSUPPORT
            | libc::EPFNOSUPPORT
            | libc::EAFNOSUPPORT
            | libc::EADDRNOTAVAIL
    )
}

fn add_listener(server: &mut RedisServer, l: std::net::TcpListener) {
    use std::os::unix::io::AsRawFd;
    server.ipfd.push(l.as_raw_fd());
    server.listeners.push(l);
}

/// C: server.c initServer()
pub fn init_server(server: &mut RedisServer) {
    // SAFETY: installing SIG_IGN for SIGHUP/SIGPIPE and a handler that only
    // stores to an atomic; no other thread exists at start-up.
    unsafe {
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    setup_signal_handlers(server);

    server.pid = std::process::id() as i32;
    server.current_client = None;
    server.clients_paused = false;
    server.db = (0..server.dbnum).map(RedisDb::new).collect();
    crate::evict::eviction_pool_alloc(server); // Initialize the LRU keys pool.
    update_cached_time(server);
    server.system_memory_size = crate::util::zmalloc_get_memory_size();

    crate::config::adjust_open_files_limit(server);
    let setsize = (server.maxclients + CONFIG_FDSET_INCR) as usize;
    if ae::ae_resize_set_size(&mut server.el, setsize) != ae::AE_OK {
        server_log!(server, LL_WARNING, "Failed creating the event loop. Error message: 'setsize too small'");
        std::process::exit(1);
    }

    // Open the TCP listening socket for the user commands.
    if server.port != 0 && listen_to_port(server).is_err() {
        std::process::exit(1);
    }

    // Open the listening Unix domain socket.
    if let Some(path) = server.unixsocket.clone() {
        let _ = std::fs::remove_file(&path); // don't care if this fails
        match std::os::unix::net::UnixListener::bind(&path) {
            Ok(l) => {
                use std::os::unix::fs::PermissionsExt;
                use std::os::unix::io::AsRawFd;
                if server.unixsocketperm != 0 {
                    let _ = std::fs::set_permissions(
                        &path,
                        std::fs::Permissions::from_mode(server.unixsocketperm),
                    );
                }
                let _ = l.set_nonblocking(true);
                server.sofd = l.as_raw_fd();
                server.unix_listener = Some(l);
            }
            Err(e) => {
                server_log!(
                    server,
                    LL_WARNING,
                    "Opening Unix socket: {}",
                    crate::util::strerror(&e)
                );
                std::process::exit(1);
            }
        }
    }

    // Abort if there are no listening sockets at all.
    if server.ipfd.is_empty() && server.sofd < 0 {
        server_log!(
            server,
            LL_WARNING,
            "Configured to not listen anywhere, exiting."
        );
        std::process::exit(1);
    }

    reset_server_stats(server);
    server.stat_starttime = now_secs();

    // Create the timer callback, this is our way to process many background
    // operations incrementally, like clients timeout, eviction of unaccessed
    // expired keys and so forth.
    ae::ae_create_time_event(
        &mut server.el,
        1,
        server_cron,
        ClientData::None,
        None,
    );

    // Create an event handler for accepting new connections in TCP and Unix
    // domain sockets.
    for fd in server.ipfd.clone() {
        if ae::ae_create_file_event(
            &mut server.el,
            fd,
            ae::AE_READABLE,
            net::accept_tcp_handler,
            ClientData::None,
        )
        .is_err()
        {
            server_panic!(
                server,
                "Unrecoverable error creating server.ipfd file event."
            );
        }
    }
    if server.sofd > 0
        && ae::ae_create_file_event(
            &mut server.el,
            server.sofd,
            ae::AE_READABLE,
            net::accept_unix_handler,
            ClientData::None,
        )
        .is_err()
    {
        server_panic!(
            server,
            "Unrecoverable error creating server.sofd file event."
        );
    }

    // Open the AOF file if needed.
    if server.aof_state == crate::config::AOF_ON {
        match crate::aof::open_aof_for_append(&server.aof_filename) {
            Ok(f) => server.aof_fd = std::os::fd::IntoRawFd::into_raw_fd(f),
            Err(e) => {
                server_log!(
                    server,
                    LL_WARNING,
                    "Can't open the append-only file: {}",
                    crate::util::strerror(&e)
                );
                std::process::exit(1);
            }
        }
    }

    crate::replication::replication_script_cache_init(server);
    crate::scripting::scripting_init(server, true);
    crate::slowlog::slowlog_init(server);
    crate::latency::latency_monitor_init(server);
    // C: InitServerLast() starts the bio threads and records the memory of
    // the dataset-less server (INFO's used_memory_startup).
    crate::bio::bio_init(server);
    server.initial_memory_usage = crate::util::zmalloc_used_memory();
}

pub(super) fn now_secs() -> i64 {
    mstime() / 1000
}
