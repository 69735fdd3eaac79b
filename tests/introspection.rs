//! The commands that look at the server and the connection, paraphrasing
//! Redis 5.0's tests/unit/introspection.tcl (CLIENT, MONITOR) and
//! tests/unit/auth.tcl (AUTH), plus INFO, COMMAND and DEBUG, whose texts
//! are compared with what Redis 5.0.14 answers.

mod util;

use std::time::{Duration, Instant};

use util::{raw, read_reply, read_until_close_or_timeout, send_raw, Server};

/// One command on a raw connection, its reply as text.
#[track_caller]
fn call(s: &mut std::net::TcpStream, cmd: &str) -> String {
    send_raw(s, format!("{cmd}\r\n").as_bytes());
    String::from_utf8_lossy(&read_reply(s)).into_owned()
}

/// Sends each `(command, reply)` of `calls` with `call` and checks the
/// reply, in order.
#[track_caller]
fn assert_calls(s: &mut std::net::TcpStream, calls: &[(&str, &str)]) {
    for (cmd, want) in calls {
        assert_eq!(call(s, cmd), *want, "{cmd}");
    }
}

/// The bulk payload of a `$<len>\r\n...\r\n` reply.
#[track_caller]
fn bulk(reply: &str) -> String {
    let (head, rest) = reply.split_once("\r\n").expect("a bulk reply");
    assert!(head.starts_with('$'), "not a bulk reply: {reply:?}");
    rest.strip_suffix("\r\n").unwrap_or(rest).to_string()
}

// ---------------------------------- CLIENT ----------------------------------

#[test]
fn client_list() {
    let server = Server::start(&[]);
    let mut s = raw(server.port());
    let list = bulk(&call(&mut s, "CLIENT LIST"));
    // introspection.tcl: {*addr=*:* fd=* age=* idle=* flags=N db=9 ...}
    // (our connection is in db 0). Inline "CLIENT LIST\r\n" is 13 bytes.
    assert!(list.starts_with("id="), "{list}");
    assert!(list.contains(" addr=127.0.0.1:"), "{list}");
    assert!(list.contains(" name= age="), "{list}");
    assert!(
        list.contains(" flags=N db=0 sub=0 psub=0 multi=-1 qbuf=13 qbuf-free="),
        "{list}"
    );
    assert!(
        list.ends_with(" obl=0 oll=0 omem=0 events=r cmd=client\n"),
        "{list}"
    );
    assert_eq!(list.lines().count(), 1);
}

#[test]
fn client_list_type_filters_and_rejects_unknown_types() {
    let server = Server::start(&[]);
    let mut s = raw(server.port());
    let _other = raw(server.port());
    let mut other2 = raw(server.port());
    call(&mut other2, "PING");
    assert_eq!(
        bulk(&call(&mut s, "CLIENT LIST TYPE normal")).lines().count(),
        3
    );
    assert_calls(
        &mut s,
        &[
            ("CLIENT LIST TYPE pubsub", "$0\r\n\r\n"),
            ("CLIENT LIST TYPE master", "$0\r\n\r\n"),
            ("CLIENT LIST TYPE replica", "$0\r\n\r\n"),
            ("CLIENT LIST TYPE foo", "-ERR Unknown client type 'foo'\r\n"),
            ("CLIENT LIST x", "-ERR syntax error\r\n"),
        ],
    );
}

#[test]
fn client_getname_should_return_nil_if_name_is_not_assigned() {
    let server = Server::start(&[]);
    let mut s = raw(server.port());
    assert_eq!(call(&mut s, "CLIENT GETNAME"), "$-1\r\n");
}

#[test]
fn client_setname_does_not_accept_spaces() {
    let server = Server::start(&[]);
    let mut s = raw(server.port());
    assert_eq!(
        call(&mut s, "CLIENT SETNAME \"foo bar\""),
        "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    );
    assert_eq!(
        call(&mut s, "CLIENT SETNAME \"foo\\x80\""),
        "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    );
}

#[test]
fn client_setname_can_assign_and_change_the_name_of_a_connection() {
    let server = Server::start(&[]);
    let mut s = raw(server.port());
    assert_eq!(call(&mut s, "CLIENT SETNAME myname"), "+OK\r\n");
    assert!(bulk(&call(&mut s, "CLIENT LIST")).contains(" name=myname "));
    assert_eq!(call(&mut s, "CLIENT GETNAME"), "$6\r\nmyname\r\n");
    assert_eq!(call(&mut s, "CLIENT SETNAME someothername"), "+OK\r\n");
    assert!(bulk(&call(&mut s, "CLIENT LIST")).contains(" name=someothername "));
    // An empty name removes it.
    assert_eq!(call(&mut s, "CLIENT SETNAME \"\""), "+OK\r\n");
    assert_eq!(call(&mut s, "CLIENT GETNAME"), "$-1\r\n");
}

#[test]
fn after_client_setname_connection_can_still_be_closed() {
    let server = Server::start(&[]);
    let mut s = raw(server.port());
    {
        let mut rd = raw(server.port());
        assert_eq!(call(&mut rd, "CLIENT SETNAME foobar"), "+OK\r\n");
        assert!(bulk(&call(&mut s, "CLIENT LIST")).contains("foobar"));
    }
    util::wait_for(Duration::from_secs(5), || {
        !bulk(&call(&mut s, "CLIENT LIST")).contains("foobar")
    });
}

#[test]
fn client_id_is_unique_and_increasing() {
    let server = Server::start(&[]);
    let mut a = raw(server.port());
    let mut b = raw(server.port());
    let ida: i64 = call(&mut a, "CLIENT ID")
        .trim_start_matches(':')
        .trim()
        .parse()
        .unwrap();
    let idb: i64 = call(&mut b, "CLIENT ID")
        .trim_start_matches(':')
        .trim()
        .parse()
        .unwrap();
    assert!(idb > ida && ida > 0, "{ida} {idb}");
    assert!(bulk(&call(&mut a, "CLIENT LIST")).contains(&format!("id={idb} ")));
}

#[test]
fn client_kill_old_form() {
    let server = Server::start(&[]);
    let mut s = raw(server.port());
    let mut victim = raw(server.port());
    assert_eq!(
        call(&mut s, "CLIENT KILL 1.2.3.4:5"),
        "-ERR No such client\r\n"
    );
    let addr = victim.local_addr().unwrap().to_string();
    assert_eq!(call(&mut s, &format!("CLIENT KILL {addr}")), "+OK\r\n");
    assert!(
        read_until_close_or_timeout(&mut victim, Duration::from_secs(5)).closed
    );
    // With the old form a client can kill itself: OK, then the close.
    let me = s.local_addr().unwrap().to_string();
    send_raw(&mut s, format!("CLIENT KILL {me}\r\nPING\r\n").as_bytes());
    let got = read_until_close_or_timeout(&mut s, Duration::from_secs(5));
    assert_eq!(got.text(), "+OK\r\n");
    assert!(got.closed);
}

#[test]
fn client_kill_new_form_with_filters() {
    let server = Server::start(&[]);
    let mut s = raw(server.port());
    let mut victim = raw(server.port());
    let vid = call(&mut victim, "CLIENT ID")
        .trim_start_matches(':')
        .trim()
        .to_string();
    assert_eq!(call(&mut s, "CLIENT KILL ID 999999"), ":0\r\n");
    assert_eq!(call(&mut s, &format!("CLIENT KILL ID {vid}")), ":1\r\n");
    assert!(
        read_until_close_or_timeout(&mut victim, Duration::from_secs(5)).closed
    );

    // TYPE normal kills every normal client but the caller (SKIPME yes).
    let mut v1 = raw(server.port());
    let mut v2 = raw(server.port());
    call(&mut v1, "PING");
    call(&mut v2, "PING");
    assert_eq!(call(&mut s, "CLIENT KILL TYPE normal"), ":2\r\n");
    assert!(
        read_until_close_or_timeout(&mut v1, Duration::from_secs(5)).closed
    );
    assert!(
        read_until_close_or_timeout(&mut v2, Duration::from_secs(5)).closed
    );
    assert_eq!(call(&mut s, "CLIENT KILL TYPE pubsub"), ":0\r\n");

    // Errors.
    assert_calls(
        &mut s,
        &[
            ("CLIENT KILL TYPE foo", "-ERR Unknown client type 'foo'\r\n"),
            ("CLIENT KILL SKIPME maybe", "-ERR syntax error\r\n"),
            ("CLIENT KILL bla 1", "-ERR syntax error\r\n"),
            (
                "CLIENT KILL ID abc",
                "-ERR value is not an integer or out of range\r\n",
            ),
            ("CLIENT KILL", "-ERR syntax error\r\n"),
        ],
    );

    // SKIPME no: the caller gets the count, then the close.
    let me = s.local_addr().unwrap().to_string();
    send_raw(
        &mut s,
        format!("CLIENT KILL ADDR {me} SKIPME no\r\nPING\r\n").as_bytes(),
    );
    let got = read_until_close_or_timeout(&mut s, Duration::from_secs(5));
    assert_eq!(got.text(), ":1\r\n");
    assert!(got.closed);
}

#[test]
fn client_pause_delays_other_clients() {
    let server = Server::start(&[]);
    let mut s = raw(server.port());
    assert_eq!(
        call(&mut s, "CLIENT PAUSE abc"),
        "-ERR timeout is not an integer or out of range\r\n"
    );
    assert_eq!(call(&mut s, "CLIENT PAUSE -1"), "-ERR timeout is negative\r\n");
    let mut other = raw(server.port());
    assert_eq!(call(&mut s, "CLIENT PAUSE 500"), "+OK\r\n");
    let start = Instant::now();
    assert_eq!(call(&mut other, "PING"), "+PONG\r\n");
    assert!(
        start.elapsed() >= Duration::from_millis(300),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn client_reply_off_skip_on() {
    let server = Server::start(&[]);
    let mut s = raw(server.port());
    send_raw(
        &mut s,
        b"CLIENT REPLY OFF\r\nPING\r\nCLIENT REPLY ON\r\nECHO a\r\n",
    );
    assert_eq!(read_reply(&mut s), b"+OK\r\n");
    assert_eq!(read_reply(&mut s), b"$1\r\na\r\n");
    send_raw(&mut s, b"CLIENT REPLY SKIP\r\nECHO b\r\nECHO c\r\n");
    assert_eq!(read_reply(&mut s), b"$1\r\nc\r\n");
    assert_eq!(call(&mut s, "CLIENT REPLY bla"), "-ERR syntax error\r\n");
}

#[test]
fn client_unblock_and_subcommand_errors() {
    let server = Server::start(&[]);
    let mut s = raw(server.port());
    // Nobody is blocked.
    assert_calls(
        &mut s,
        &[
            ("CLIENT UNBLOCK 1", ":0\r\n"),
            ("CLIENT UNBLOCK 1 ERROR", ":0\r\n"),
            ("CLIENT UNBLOCK 1 foo", "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n"),
            ("CLIENT UNBLOCK abc", "-ERR value is not an integer or out of range\r\n"),
            (
                "CLIENT foo",
                "-ERR Unknown subcommand or wrong number of arguments for 'foo'. Try CLIENT HELP\r\n",
            ),
            ("CLIENT", "-ERR wrong number of arguments for 'client' command\r\n"),
        ],
    );
    let help = call(&mut s, "CLIENT HELP");
    assert!(
        help.starts_with("*14\r\n+CLIENT <subcommand> arg arg ... arg. Subcommands are:\r\n+id "),
        "{help}"
    );
}

// ---------------------------------- MONITOR ---------------------------------

/// Checks one MONITOR line: `+<sec>.<usec> [<db> 127.0.0.1:<port>] <args>`.
#[track_caller]
fn assert_monitor_line(line: &str, db: u32, args: &str) {
    let rest = line.strip_prefix('+').unwrap_or_else(|| panic!("{line:?}"));
    let (time, rest) = rest.split_once(' ').unwrap();
    let (sec, usec) = time.split_once('.').unwrap();
    assert!(
        sec.parse::<u64>().is_ok()
            && usec.len() == 6
            && usec.parse::<u32>().is_ok(),
        "{line:?}"
    );
    let prefix = format!("[{db} 127.0.0.1:");
    assert!(rest.starts_with(&prefix), "{line:?}");
    let (_, cmd) = rest.split_once("] ").unwrap();
    assert_eq!(cmd, format!("{args}\r\n"), "{line:?}");
}

#[test]
fn monitor_can_log_executed_commands() {
    let server = Server::start(&[]);
    let mut rd = raw(server.port());
    assert_eq!(call(&mut rd, "MONITOR"), "+OK\r\n");
    let mut r = raw(server.port());
    assert_eq!(call(&mut r, "set foo bar"), "+OK\r\n");
    assert_eq!(call(&mut r, "get foo"), "$3\r\nbar\r\n");
    // Arguments are quoted with sdscatrepr.
    assert_eq!(call(&mut r, "set \"a b\" \"\\x01\\n\""), "+OK\r\n");
    // Admin commands and AUTH are not shown.
    call(&mut r, "CLIENT ID");
    call(&mut r, "DEBUG SLEEP 0");
    call(&mut r, "AUTH x");
    assert_monitor_line(
        &String::from_utf8_lossy(&read_reply(&mut rd)),
        0,
        "\"set\" \"foo\" \"bar\"",
    );
    assert_monitor_line(
        &String::from_utf8_lossy(&read_reply(&mut rd)),
        0,
        "\"get\" \"foo\"",
    );
    assert_monitor_line(
        &String::from_utf8_lossy(&read_reply(&mut rd)),
        0,
        "\"set\" \"a b\" \"\\x01\\n\"",
    );
    call(&mut r, "PING");
    assert_monitor_line(
        &String::from_utf8_lossy(&read_reply(&mut rd)),
        0,
        "\"PING\"",
    );
    // The monitor sees its own commands too, and a second MONITOR is
    // ignored (no reply).
    send_raw(&mut rd, b"MONITOR\r\nPING\r\n");
    assert_monitor_line(
        &String::from_utf8_lossy(&read_reply(&mut rd)),
        0,
        "\"PING\"",
    );
    assert_eq!(read_reply(&mut rd), b"+PONG\r\n");
    // Monitors count as clients, not replicas.
    assert_eq!(server.info("connected_slaves"), "0");
    assert!(bulk(&call(&mut r, "CLIENT LIST")).contains(" flags=O "));
}

#[test]
fn monitor_output_through_redis_cli() {
    let server = Server::start(&[]);
    let mut child = std::process::Command::new(util::find_binary("redis-cli"))
        .args(["-h", "127.0.0.1", "-p", &server.port_str(), "monitor"])
        .stdout(std::process::Stdio::piped())
        .stdin(std::process::Stdio::null())
        .spawn()
        .unwrap();
    util::wait_for(Duration::from_secs(5), || {
        server.info("connected_clients") == "2"
    });
    let mut r = raw(server.port());
    call(&mut r, "SET k v");
    std::thread::sleep(Duration::from_millis(200));
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("OK\n"), "{text}");
    assert!(text.contains("] \"SET\" \"k\" \"v\"\n"), "{text}");
}

// ----------------------------------- AUTH -----------------------------------

#[test]
fn auth_fails_if_there_is_no_password_configured_server_side() {
    let server = Server::start(&[]);
    let mut s = raw(server.port());
    assert_eq!(
        call(&mut s, "AUTH foo"),
        "-ERR Client sent AUTH, but no password is set\r\n"
    );
}

#[test]
fn auth_with_requirepass() {
    let server = Server::start(&["--requirepass", "foobar"]);
    let mut s = raw(server.port());
    // AUTH fails when a wrong password is given
    assert_eq!(call(&mut s, "AUTH wrong!"), "-ERR invalid password\r\n");
    // Arbitrary command gives an error when AUTH is required
    assert_eq!(
        call(&mut s, "SET foo bar"),
        "-NOAUTH Authentication required.\r\n"
    );
    // AUTH succeeds when the right password is given
    assert_eq!(call(&mut s, "AUTH foobar"), "+OK\r\n");
    // Once AUTH succeeded we can actually send commands to the server
    assert_eq!(call(&mut s, "SET foo 100"), "+OK\r\n");
    assert_eq!(call(&mut s, "INCR foo"), ":101\r\n");
    // A wrong AUTH afterwards logs the connection out again.
    assert_eq!(call(&mut s, "AUTH foobaz"), "-ERR invalid password\r\n");
    assert_eq!(call(&mut s, "GET foo"), "-NOAUTH Authentication required.\r\n");
}

#[test]
fn for_unauthenticated_clients_multibulk_and_bulk_length_are_limited() {
    let server = Server::start(&["--requirepass", "foobar"]);
    let mut s = raw(server.port());
    send_raw(&mut s, b"*100\r\n");
    let got = read_until_close_or_timeout(&mut s, Duration::from_secs(5));
    assert_eq!(
        got.text(),
        "-ERR Protocol error: unauthenticated multibulk length\r\n"
    );
    assert!(got.closed);

    let mut s = raw(server.port());
    send_raw(&mut s, b"*1\r\n$100000000\r\n");
    let got = read_until_close_or_timeout(&mut s, Duration::from_secs(5));
    assert_eq!(
        got.text(),
        "-ERR Protocol error: unauthenticated bulk length\r\n"
    );
    assert!(got.closed);
}

// ----------------------------------- INFO -----------------------------------

/// The fields of `INFO all` on Redis 5.0.14 (standalone, no replicas, no
/// keys, no loading), in order, without the cmdstat_ lines.
const INFO_ALL_FIELDS_5_0_14: &str = "\
# Server redis_version redis_git_sha1 redis_git_dirty redis_build_id redis_mode os arch_bits \
multiplexing_api atomicvar_api gcc_version process_id run_id tcp_port uptime_in_seconds \
uptime_in_days hz configured_hz lru_clock executable config_file \
# Clients connected_clients client_recent_max_input_buffer client_recent_max_output_buffer \
blocked_clients \
# Memory used_memory used_memory_human used_memory_rss used_memory_rss_human used_memory_peak \
used_memory_peak_human used_memory_peak_perc used_memory_overhead used_memory_startup \
used_memory_dataset used_memory_dataset_perc allocator_allocated allocator_active \
allocator_resident total_system_memory total_system_memory_human used_memory_lua \
used_memory_lua_human used_memory_scripts used_memory_scripts_human number_of_cached_scripts \
maxmemory maxmemory_human maxmemory_policy allocator_frag_ratio allocator_frag_bytes \
allocator_rss_ratio allocator_rss_bytes rss_overhead_ratio rss_overhead_bytes \
mem_fragmentation_ratio mem_fragmentation_bytes mem_not_counted_for_evict \
mem_replication_backlog mem_clients_slaves mem_clients_normal mem_aof_buffer mem_allocator \
active_defrag_running lazyfree_pending_objects \
# Persistence loading rdb_changes_since_last_save rdb_bgsave_in_progress rdb_last_save_time \
rdb_last_bgsave_status rdb_last_bgsave_time_sec rdb_current_bgsave_time_sec rdb_last_cow_size \
aof_enabled aof_rewrite_in_progress aof_rewrite_scheduled aof_last_rewrite_time_sec \
aof_current_rewrite_time_sec aof_last_bgrewrite_status aof_last_write_status aof_last_cow_size \
# Stats total_connections_received total_commands_processed instantaneous_ops_per_sec \
total_net_input_bytes total_net_output_bytes instantaneous_input_kbps instantaneous_output_kbps \
rejected_connections sync_full sync_partial_ok sync_partial_err expired_keys expired_stale_perc \
expired_time_cap_reached_count evicted_keys keyspace_hits keyspace_misses pubsub_channels \
pubsub_patterns latest_fork_usec migrate_cached_sockets slave_expires_tracked_keys \
active_defrag_hits active_defrag_misses active_defrag_key_hits active_defrag_key_misses \
# Replication role connected_slaves master_replid master_replid2 master_repl_offset \
second_repl_offset repl_backlog_active repl_backlog_size repl_backlog_first_byte_offset \
repl_backlog_histlen \
# CPU used_cpu_sys used_cpu_user used_cpu_sys_children used_cpu_user_children \
# Commandstats \
# Cluster cluster_enabled \
# Keyspace";

#[test]
fn info_all_has_the_sections_and_fields_of_5_0_14() {
    let server = Server::start(&[]);
    let text = server.info_text(Some("all"));
    let mut got = Vec::new();
    for line in text.split("\r\n") {
        if line.is_empty() || line.starts_with("cmdstat_") {
            continue;
        }
        if let Some(section) = line.strip_prefix("# ") {
            got.push("#".to_string());
            got.push(section.to_string());
        } else {
            got.push(line.split(':').next().unwrap().to_string());
        }
    }
    let expected: Vec<&str> = INFO_ALL_FIELDS_5_0_14.split(' ').collect();
    assert_eq!(got, expected);
    // Sections are separated by one empty line, and the text ends in CRLF.
    assert!(text.contains("\r\n\r\n# Clients\r\n"));
    assert!(text.ends_with("# Keyspace\r\n"));
}

#[test]
fn info_default_and_single_sections() {
    let server = Server::start(&[]);
    let default = server.info_text(None);
    assert!(
        default.starts_with("# Server\r\nredis_version:5.0.14\r\n"),
        "{default}"
    );
    assert!(!default.contains("# Commandstats"));
    assert!(default.contains("# Cluster\r\ncluster_enabled:0\r\n"));
    let repl = server.info_text(Some("REPLICATION"));
    assert!(
        repl.starts_with("# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmaster_replid:"),
        "{repl}"
    );
    assert!(
        repl.contains(
            "\r\nmaster_replid2:0000000000000000000000000000000000000000\r\n"
        ),
        "{repl}"
    );
    assert!(repl.contains(
        "\r\nsecond_repl_offset:-1\r\nrepl_backlog_active:0\r\nrepl_backlog_size:1048576\r\n"
    ));
    assert!(!repl.contains("# Server"));
    // An unknown section is an empty reply, more arguments a syntax error.
    assert_eq!(server.info_text(Some("nosuchsection")), "");
    let mut s = raw(server.port());
    assert_eq!(call(&mut s, "INFO a b"), "-ERR syntax error\r\n");
}

#[test]
fn info_fields_follow_the_server_state() {
    let server = Server::start(&[]);
    assert_eq!(server.info("tcp_port"), server.port_str());
    assert_eq!(server.info("process_id"), server.pid().to_string());
    assert_eq!(server.info("role"), "master");
    let mut a = raw(server.port());
    let mut b = raw(server.port());
    call(&mut a, "SET k1 v");
    call(&mut b, "SET k2 v");
    call(&mut b, "PEXPIRE k2 100000");
    // The fresh connection of `info` plus a and b (the connections of
    // earlier `info` calls go away asynchronously).
    util::wait_for(Duration::from_secs(5), || {
        server.info("connected_clients") == "3"
    });
    // avg_ttl is 0 until the active expire cycle (10 times a second) has
    // sampled k2, then an estimate of its 100 s TTL.
    let ks = server.info_text(Some("keyspace"));
    let avg_ttl = ks
        .strip_prefix("# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=")
        .and_then(|rest| rest.strip_suffix("\r\n"))
        .and_then(|n| n.parse::<u64>().ok());
    assert!(matches!(avg_ttl, Some(0..=100_000)), "{ks}");
    let stats = server.info_text(Some("commandstats"));
    assert!(stats.contains("\r\ncmdstat_set:calls=2,usec="), "{stats}");
    assert!(stats.contains("\r\ncmdstat_pexpire:calls=1,usec="), "{stats}");
    let used: u64 = server.info("used_memory").parse().unwrap();
    assert!(used > 0);
    let human = server.info("used_memory_human");
    assert!(human.ends_with('K') || human.ends_with('M'), "{human}");
    assert_eq!(server.info("rdb_changes_since_last_save"), "3");
    assert_eq!(server.info("mem_allocator"), "jemalloc-5.3.0");
}

// ---------------------------------- COMMAND ---------------------------------

#[test]
fn command_info_count_and_getkeys() {
    let server = Server::start(&[]);
    let mut s = raw(server.port());
    // addReplyCommand's shape, byte for byte as 5.0.14 sends it.
    assert_calls(
        &mut s,
        &[
            (
                "COMMAND INFO get",
                "*1\r\n*6\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n",
            ),
            (
                "COMMAND INFO nosuch SET",
                "*2\r\n$-1\r\n*6\r\n$3\r\nset\r\n:-3\r\n*2\r\n+write\r\n+denyoom\r\n:1\r\n:1\r\n:1\r\n",
            ),
            (
                "COMMAND INFO auth",
                "*1\r\n*6\r\n$4\r\nauth\r\n:2\r\n*5\r\n+noscript\r\n+loading\r\n+stale\r\n+skip_monitor\r\n+fast\r\n:0\r\n:0\r\n:0\r\n",
            ),
        ],
    );
    let count: usize = call(&mut s, "COMMAND COUNT")
        .trim_start_matches(':')
        .trim()
        .parse()
        .unwrap();
    send_raw(&mut s, b"COMMAND\r\n");
    let all = String::from_utf8_lossy(&read_reply(&mut s)).into_owned();
    assert!(all.starts_with(&format!("*{count}\r\n*6\r\n")), "{}", &all[..60]);
    assert!(count > 20);

    assert_calls(
        &mut s,
        &[
            ("COMMAND GETKEYS mset a b c d", "*2\r\n$1\r\na\r\n$1\r\nc\r\n"),
            ("COMMAND GETKEYS get", "-ERR Invalid number of arguments specified for command\r\n"),
            ("COMMAND GETKEYS foo", "-ERR Invalid command specified\r\n"),
            ("COMMAND GETKEYS ping", "-ERR The command has no key arguments\r\n"),
            (
                "COMMAND count x",
                "-ERR Unknown subcommand or wrong number of arguments for 'count'. Try COMMAND HELP.\r\n",
            ),
        ],
    );
    let help = call(&mut s, "COMMAND HELP");
    assert!(
        help.starts_with(
            "*5\r\n+COMMAND <subcommand> arg arg ... arg. Subcommands are:\r\n"
        ),
        "{help}"
    );
}

/// Commands whose keys the first/last/step fields cannot describe carry a
/// getkeys proc: COMMAND shows them with the "movablekeys" flag, and
/// COMMAND GETKEYS asks the proc. Replies byte for byte as 5.0.14's.
#[test]
fn command_movablekeys_and_getkeys_of_zunionstore_and_sort() {
    let server = Server::start(&[]);
    let mut s = raw(server.port());
    assert_calls(
        &mut s,
        &[
            (
                "COMMAND INFO sort zunionstore zinterstore",
                "*3\r\n\
                 *6\r\n$4\r\nsort\r\n:-2\r\n*3\r\n+write\r\n+denyoom\r\n+movablekeys\r\n:1\r\n:1\r\n:1\r\n\
                 *6\r\n$11\r\nzunionstore\r\n:-4\r\n*3\r\n+write\r\n+denyoom\r\n+movablekeys\r\n:0\r\n:0\r\n:0\r\n\
                 *6\r\n$11\r\nzinterstore\r\n:-4\r\n*3\r\n+write\r\n+denyoom\r\n+movablekeys\r\n:0\r\n:0\r\n:0\r\n",
            ),
            // The keys to combine first, then the destination.
            (
                "COMMAND GETKEYS zunionstore dst 2 a b WEIGHTS 1 2",
                "*3\r\n$1\r\na\r\n$1\r\nb\r\n$3\r\ndst\r\n",
            ),
            (
                "COMMAND GETKEYS zinterstore dst 1 a b",
                "*2\r\n$1\r\na\r\n$3\r\ndst\r\n",
            ),
            // numkeys is read with atoi(): trailing junk is ignored.
            (
                "COMMAND GETKEYS zunionstore dst 2x a b",
                "*3\r\n$1\r\na\r\n$1\r\nb\r\n$3\r\ndst\r\n",
            ),
            // A numkeys the command itself would reject gives no keys.
            (
                "COMMAND GETKEYS zunionstore dst 3 a b",
                "-ERR Invalid arguments specified for command\r\n",
            ),
            (
                "COMMAND GETKEYS zunionstore dst 0 a",
                "-ERR Invalid arguments specified for command\r\n",
            ),
            (
                "COMMAND GETKEYS zunionstore dst abc a",
                "-ERR Invalid arguments specified for command\r\n",
            ),
            (
                "COMMAND GETKEYS zunionstore dst 1",
                "-ERR Invalid number of arguments specified for command\r\n",
            ),
            (
                "COMMAND GETKEYS sort abc store def",
                "*2\r\n$3\r\nabc\r\n$3\r\ndef\r\n",
            ),
            // Commands without a getkeys proc are unchanged.
            (
                "COMMAND INFO get",
                "*1\r\n*6\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n",
            ),
            (
                "COMMAND GETKEYS blpop a b 0",
                "*2\r\n$1\r\na\r\n$1\r\nb\r\n",
            ),
            (
                "COMMAND GETKEYS select 1",
                "-ERR The command has no key arguments\r\n",
            ),
        ],
    );
    // In the full listing too, exactly these eleven are movable (with EVAL
    // and EVALSHA, whose evalGetKeys tests/scripting.rs checks, the four
    // GEORADIUS*, checked by tests/geo.rs, and XREAD and XREADGROUP,
    // checked by tests/stream.rs); 5.0.14 has one more, MIGRATE, not
    // ported.
    send_raw(&mut s, b"COMMAND\r\n");
    let all = String::from_utf8_lossy(&read_reply(&mut s)).into_owned();
    assert_eq!(all.matches("+movablekeys\r\n").count(), 11);
}

// ----------------------------------- DEBUG ----------------------------------

#[test]
fn debug_sleep_blocks_the_server() {
    let server = Server::start(&[]);
    let mut s = raw(server.port());
    let mut other = raw(server.port());
    send_raw(&mut s, b"DEBUG SLEEP 0.5\r\n");
    std::thread::sleep(Duration::from_millis(50));
    let start = Instant::now();
    assert_eq!(call(&mut other, "PING"), "+PONG\r\n");
    assert!(
        start.elapsed() >= Duration::from_millis(300),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(read_reply(&mut s), b"+OK\r\n");
    assert_eq!(call(&mut s, "DEBUG SLEEP 0"), "+OK\r\n");
}

#[test]
fn debug_populate_creates_keys_and_skips_existing_ones() {
    let server = Server::start(&[]);
    let mut s = raw(server.port());
    assert_eq!(call(&mut s, "SET key:5 mine"), "+OK\r\n");
    assert_eq!(call(&mut s, "DEBUG POPULATE 1000"), "+OK\r\n");
    assert_eq!(call(&mut s, "DBSIZE"), ":1000\r\n");
    assert_eq!(call(&mut s, "GET key:0"), "$7\r\nvalue:0\r\n");
    assert_eq!(call(&mut s, "GET key:999"), "$9\r\nvalue:999\r\n");
    assert_eq!(call(&mut s, "GET key:5"), "$4\r\nmine\r\n");
    // A prefix, and a size: padded with zero bytes or cut.
    assert_eq!(call(&mut s, "DEBUG POPULATE 2 foo 3"), "+OK\r\n");
    assert_eq!(call(&mut s, "GET foo:1"), "$3\r\nval\r\n");
    assert_eq!(call(&mut s, "DEBUG POPULATE 2 bar 10"), "+OK\r\n");
    assert_eq!(call(&mut s, "GET bar:1"), "$10\r\nvalue:1\0\0\0\r\n");
    assert_eq!(
        call(&mut s, "DEBUG POPULATE 1 k abc"),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(call(&mut s, "DEBUG POPULATE 0 k abc"), "+OK\r\n");
    assert_eq!(
        call(&mut s, "DEBUG POPULATE x"),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(call(&mut s, "DBSIZE"), ":1004\r\n");
}

#[test]
fn debug_object_shows_the_value_internals() {
    let server = Server::start(&[]);
    let mut s = raw(server.port());
    call(&mut s, "SET foo \"a b\\x01\"");
    call(&mut s, "SET n 123");
    let line = call(&mut s, "DEBUG OBJECT foo");
    let rest =
        line.strip_prefix("+Value at:0x").unwrap_or_else(|| panic!("{line}"));
    let (addr, rest) = rest.split_once(' ').unwrap();
    assert!(u64::from_str_radix(addr, 16).is_ok(), "{line}");
    assert!(
        rest.starts_with("refcount:1 encoding:embstr serializedlength:5 lru:"),
        "{line}"
    );
    assert!(rest.contains(" lru_seconds_idle:"), "{line}");
    let line = call(&mut s, "DEBUG OBJECT n");
    assert!(
        line.contains(
            " refcount:2147483647 encoding:int serializedlength:2 lru:"
        ),
        "{line}"
    );
    assert_eq!(call(&mut s, "DEBUG OBJECT nokey"), "-ERR no such key\r\n");
}

#[test]
fn debug_digest_matches_redis_5_0_14() {
    // The values were computed by Redis 5.0.14 for the same data.
    let server = Server::start(&[]);
    let mut s = raw(server.port());
    assert_eq!(
        call(&mut s, "DEBUG DIGEST"),
        "+0000000000000000000000000000000000000000\r\n"
    );
    call(&mut s, "SET foo bar");
    call(&mut s, "SET n 12345");
    assert_eq!(
        call(&mut s, "DEBUG DIGEST"),
        "+cd5a02343543db03481294f2a80f5609dd27c72b\r\n"
    );
    assert_eq!(
        call(&mut s, "DEBUG DIGEST-VALUE foo n nokey"),
        "*3\r\n+68467c70ae30376e7ce005bcc8827f5ba7fd67dc\r\n+e1cf90774e995ae03de66e8109dc5cb9d9c2dc83\r\n+0000000000000000000000000000000000000000\r\n"
    );
    call(&mut s, "PEXPIRE n 100000");
    assert_eq!(
        call(&mut s, "DEBUG DIGEST"),
        "+8642e4878ba9bfbee925cb8441ceb4037b4374bf\r\n"
    );
    call(&mut s, "SELECT 3");
    call(&mut s, "SET foo bar");
    assert_eq!(
        call(&mut s, "DEBUG DIGEST"),
        "+22fd7260dca5751fc1c4118bc334ad65c0bdd070\r\n"
    );
}

#[test]
fn debug_change_repl_id_changes_the_replication_ids() {
    let server = Server::start(&[]);
    let before = server.info("master_replid");
    assert_eq!(before.len(), 40);
    let mut s = raw(server.port());
    assert_eq!(call(&mut s, "DEBUG CHANGE-REPL-ID"), "+OK\r\n");
    let after = server.info("master_replid");
    assert_eq!(after.len(), 40);
    assert_ne!(before, after);
    assert_eq!(server.info("master_replid2"), "0".repeat(40));
    assert_eq!(server.info("second_repl_offset"), "-1");
    assert!(server.log().contains(
        "# Changing replication IDs after receiving DEBUG change-repl-id"
    ));
}

#[test]
fn debug_set_active_expire_stops_the_expire_cycle() {
    let server = Server::start(&[]);
    let mut s = raw(server.port());
    assert_eq!(call(&mut s, "DEBUG SET-ACTIVE-EXPIRE 0"), "+OK\r\n");
    call(&mut s, "SET k v");
    call(&mut s, "PEXPIRE k 1");
    std::thread::sleep(Duration::from_millis(300));
    // DBSIZE does not expire keys: only the cycle could have removed it.
    assert_eq!(call(&mut s, "DBSIZE"), ":1\r\n");
    assert_eq!(call(&mut s, "DEBUG SET-ACTIVE-EXPIRE 1"), "+OK\r\n");
    util::wait_for(Duration::from_secs(5), || {
        call(&mut s, "DBSIZE") == ":0\r\n"
    });
}

#[test]
fn debug_misc_subcommands() {
    let server = Server::start(&[]);
    let mut s = raw(server.port());
    assert_eq!(
        call(&mut s, "DEBUG ERROR \"hello\\nworld\""),
        "-hello world\r\n"
    );
    assert_eq!(call(&mut s, "DEBUG LOG hi-there"), "+OK\r\n");
    util::wait_for(Duration::from_secs(5), || {
        server.log().contains("# DEBUG LOG: hi-there")
    });
    assert!(
        bulk(&call(&mut s, "DEBUG STRUCTSIZE")).starts_with("bits:64 robj:")
    );
    call(&mut s, "SET a 1");
    let stats = bulk(&call(&mut s, "DEBUG HTSTATS 0"));
    assert!(
        stats.starts_with(
            "[Dictionary HT]\nHash table 0 stats (main hash table):\n"
        ),
        "{stats}"
    );
    assert!(stats.contains("[Expires HT]\n"), "{stats}");
    assert_calls(
        &mut s,
        &[
            ("DEBUG HTSTATS 99", "-ERR Out of range database\r\n"),
            (
                "DEBUG HTSTATS-KEY a",
                "-ERR The value stored at the specified key is not represented using an hash table\r\n",
            ),
            ("DEBUG HTSTATS-KEY nokey", "-ERR no such key\r\n"),
            (
                "DEBUG foo",
                "-ERR Unknown subcommand or wrong number of arguments for 'foo'. Try DEBUG HELP.\r\n",
            ),
        ],
    );
    let help = call(&mut s, "DEBUG HELP");
    assert!(
        help.starts_with(
            "*24\r\n+DEBUG <subcommand> arg arg ... arg. Subcommands are:\r\n+ASSERT "
        ),
        "{help}"
    );
}

// ------------------------- the client running INFO -------------------------

/// `GET big` then `INFO memory` and `CLIENT LIST` in one write: while INFO
/// runs, the GET's reply still waits in the caller's own output buffer.
/// Returns (mem_clients_normal, connected_clients, the caller's omem).
fn info_seen_by_a_client_with_pending_output(
    server: &Server,
) -> (i64, i64, i64) {
    let mut s = raw(server.port());
    let value = "x".repeat(200_000);
    let set = format!(
        "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n${}\r\n{value}\r\n",
        value.len()
    );
    send_raw(&mut s, set.as_bytes());
    assert_eq!(read_reply(&mut s), b"+OK\r\n");
    send_raw(
        &mut s,
        b"GET big\r\nINFO memory\r\nINFO clients\r\nCLIENT LIST\r\n",
    );
    assert_eq!(read_reply(&mut s).len(), value.len() + 11);
    let mut fields = String::new();
    for _ in 0..3 {
        fields.push_str(&bulk(&String::from_utf8_lossy(&read_reply(&mut s))));
    }
    let field = |name: &str| -> i64 {
        let at =
            fields.find(name).unwrap_or_else(|| panic!("{name}: {fields}"));
        let rest = &fields[at + name.len()..];
        let end = rest.find(['\r', '\n', ' ']).unwrap_or(rest.len());
        rest[..end].parse().unwrap_or_else(|_| panic!("{name}: {fields}"))
    };
    (field("mem_clients_normal:"), field("connected_clients:"), field(" omem="))
}

#[test]
fn info_memory_and_clients_count_the_calling_client() {
    // In C, INFO walks server.clients, and the client running INFO is in
    // it: its pending output counts in mem_clients_normal (5.0.14 gives
    // about 235 KB here), and it is one of connected_clients and of the
    // CLIENT LIST lines.
    let mut servers = vec![Server::start(&[])];
    if let Some(bin) = std::env::var_os("REDIS_C_SERVER") {
        servers.push(Server::start_binary(std::path::Path::new(&bin), &[]));
    }
    for server in &servers {
        let (mem_normal, connected, omem) =
            info_seen_by_a_client_with_pending_output(server);
        assert!(mem_normal >= 200_000, "{:?}: {mem_normal}", server.binary());
        assert_eq!(connected, 1, "{:?}", server.binary());
        assert!(omem >= 200_000, "{:?}: {omem}", server.binary());
    }
}
