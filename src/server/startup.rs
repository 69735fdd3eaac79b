//! server.c's "Main!": the signal handlers and `main`, which loads the
//! configuration, initialises the server and runs the event loop.

use super::*;

// ------------------------------- main -------------------------------

/// The fd serverLogFromHandler writes to: stdout, or the logfile opened
/// once at start-up (opening a file is not async-signal-safe enough to do
/// in the handler, as C does).
pub(crate) static LOG_FD_FOR_HANDLER: std::sync::atomic::AtomicI32 =
    std::sync::atomic::AtomicI32::new(1);
/// Mirrors server.loading for the signal handler.
pub(crate) static LOADING_FOR_HANDLER: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Writes "pid:signal-handler (unixtime) msg" with write(2) only.
///
/// C: server.c serverLogFromHandler()
pub(crate) fn server_log_from_handler(msg: &str) {
    fn put(fd: i32, b: &[u8]) {
        // SAFETY: write(2) is async-signal-safe; the buffer is valid for
        // its length.
        unsafe { libc::write(fd, b.as_ptr() as *const libc::c_void, b.len()) };
    }
    fn num(mut v: u64, buf: &mut [u8; 24]) -> &[u8] {
        let mut i = buf.len();
        loop {
            i -= 1;
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        &buf[i..]
    }
    let fd = LOG_FD_FOR_HANDLER.load(std::sync::atomic::Ordering::Relaxed);
    let mut b = [0u8; 24];
    // SAFETY: getpid and time are async-signal-safe and take no pointers
    // we own (time gets NULL).
    let (pid, now) = unsafe {
        (libc::getpid() as u64, libc::time(std::ptr::null_mut()) as u64)
    };
    put(fd, num(pid, &mut b));
    put(fd, b":signal-handler (");
    put(fd, num(now, &mut b));
    put(fd, b") ");
    put(fd, msg.as_bytes());
    put(fd, b"\n");
}

/// Records a shutdown request; server_cron does the shutdown.
///
/// C: server.c sigShutdownHandler()
extern "C" fn sig_shutdown_handler(sig: libc::c_int) {
    let msg = match sig {
        libc::SIGINT => "Received SIGINT scheduling shutdown...",
        libc::SIGTERM => "Received SIGTERM scheduling shutdown...",
        _ => "Received shutdown signal, scheduling shutdown...",
    };
    // SIGINT is often delivered via Ctrl+C in an interactive session. If we
    // receive the signal the second time, we interpret this as the user
    // really wanting to quit ASAP without waiting to persist on disk.
    if SHUTDOWN_ASAP.load(std::sync::atomic::Ordering::Relaxed)
        && sig == libc::SIGINT
    {
        server_log_from_handler("You insist... exiting now.");
        // A SAVE may be writing temp-<pid>.rdb right now: do not leave it
        // behind. (A BGSAVE child writes its own temp-<childpid>.rdb and
        // renames it when done, as in C.)
        // SAFETY: getpid is async-signal-safe; rdb_remove_temp_file
        // builds the name on the stack and only calls unlink(2).
        crate::rdb::rdb_remove_temp_file(unsafe { libc::getpid() });
        // SAFETY: _exit is async-signal-safe. Exit with an error since
        // this was not a clean shutdown.
        unsafe { libc::_exit(1) };
    } else if LOADING_FOR_HANDLER.load(std::sync::atomic::Ordering::Relaxed) {
        server_log_from_handler(
            "Received shutdown signal during loading, exiting now.",
        );
        // SAFETY: as above.
        unsafe { libc::_exit(0) };
    }
    server_log_from_handler(msg);
    SHUTDOWN_ASAP.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// C: server.c setupSignalHandlers()
pub(crate) fn setup_signal_handlers(server: &RedisServer) {
    if !server.logfile.is_empty() {
        use std::os::unix::io::IntoRawFd;
        if let Ok(f) = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&server.logfile)
        {
            // Kept open for the life of the process, for the handler.
            LOG_FD_FOR_HANDLER
                .store(f.into_raw_fd(), std::sync::atomic::Ordering::Relaxed);
        }
    }
    // SAFETY: the handler only calls async-signal-safe functions (write,
    // getpid, time, _exit) and stores to atomics; no other thread exists.
    unsafe {
        let h = sig_shutdown_handler as extern "C" fn(libc::c_int)
            as libc::sighandler_t;
        libc::signal(libc::SIGTERM, h);
        libc::signal(libc::SIGINT, h);
    }
    crate::debug::setup_sigsegv_handlers();
}

/// C: server.c main()
pub fn main() {
    let args: Vec<String> = std::env::args().collect();
    // SORT ... ALPHA compares with strcoll() in the environment's locale.
    // SAFETY: no other thread exists yet (the server never starts one), so
    // nothing reads the locale while it changes; the argument is a
    // NUL-terminated literal.
    unsafe {
        libc::setlocale(libc::LC_COLLATE, c"".as_ptr());
    }
    // C: srand(time(NULL)^getpid()) and the random dict hash seed. libc's
    // rand() is what PFSELFTEST draws from (hyperloglog.c).
    // SAFETY: srand() has no preconditions.
    unsafe {
        libc::srand(
            (libc::time(std::ptr::null_mut()) as u32) ^ std::process::id(),
        );
    }
    crate::dict::dict_seed_random(ustime() as u64 ^ std::process::id() as u64);
    let mut hashseed = [0u8; 16];
    hashseed.copy_from_slice(&get_random_hex_chars()[..16]);
    crate::dict::dict_set_hash_function_seed(&hashseed);
    let mut server = init_server_config();
    // The crash handlers and the panic hook reach the server through this
    // pointer (C: the global `server`); it lives until exit, here.
    crate::debug::SERVER_FOR_HANDLER
        .store(&mut server, std::sync::atomic::Ordering::Relaxed);

    // Store the executable path and arguments in a safe place in order to
    // be able to restart the server later.
    server.executable = crate::config::get_absolute_path(&args[0])
        .unwrap_or_else(|| args[0].clone());
    server.exec_argv = args.clone();

    // Divergence from C: no sentinel mode (checkForSentinelMode) and no
    // redis-check-rdb/aof personalities selected by argv[0].

    if args.len() >= 2 {
        let mut j = 1; // First option to parse in argv[]
        let mut configfile: Option<String> = None;

        // Handle special options --help and --version
        if args[1] == "-v" || args[1] == "--version" {
            crate::config::version();
        }
        if args[1] == "--help" || args[1] == "-h" {
            crate::config::usage();
        }
        if args[1] == "--test-memory" {
            if args.len() == 3 {
                // Divergence from C: memtest.c is not ported.
                eprintln!("--test-memory is not supported by this server.");
                std::process::exit(1);
            } else {
                eprintln!(
                    "Please specify the amount of memory to test in megabytes."
                );
                eprintln!("Example: ./redis-server --test-memory 4096\n");
                std::process::exit(1);
            }
        }

        // First argument is the config file name?
        if !args[j].starts_with("--") {
            configfile = Some(args[j].clone());
            server.configfile = crate::config::get_absolute_path(&args[j]);
            // Replace the config file in server.exec_argv with its
            // absolute path.
            if let Some(abs) = &server.configfile {
                server.exec_argv[j] = abs.clone();
            }
            j += 1;
        }

        // All the other options are parsed and conceptually appended to the
        // configuration file. For instance --port 6380 will generate the
        // string "port 6380\n" to be parsed after the actual file name is
        // parsed, if any.
        let options = crate::config::options_from_args(&args[j..]);
        crate::config::reset_server_save_params(&mut server);
        crate::config::load_server_config(
            &mut server,
            configfile.as_deref(),
            Some(&options),
        );
    }

    server_log!(
        server,
        LL_WARNING,
        "oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo"
    );
    server_log!(
        server,
        LL_WARNING,
        "Redis version={}, bits={}, commit={}, modified={}, pid={}, just started",
        crate::REDIS_VERSION,
        64,
        "00000000",
        0,
        std::process::id()
    );

    if args.len() == 1 {
        server_log!(
            server,
            LL_WARNING,
            "Warning: no config file specified, using the default config. In order to specify a config file use {} /path/to/{}.conf",
            args[0],
            "redis"
        );
    } else {
        server_log!(server, LL_WARNING, "Configuration loaded");
    }

    server.supervised =
        crate::config::redis_is_supervised(&server, server.supervised_mode);
    let background = server.daemonize && !server.supervised;
    if background {
        crate::config::daemonize();
    }

    init_server(&mut server);
    // `trace-events yes` in the config: open the trace in `dir`.
    crate::trace::start(&mut server);
    if background || server.pidfile.is_some() {
        crate::config::create_pid_file(&mut server);
    }
    // Divergence from C: redisSetProcTitle() (the "redis-server *:6379"
    // process title) is not ported.
    crate::config::redis_as_ascii_art(&server);
    crate::config::check_tcp_backlog_settings(&server);

    // Things not needed when running in Sentinel mode.
    server_log!(server, LL_WARNING, "Server initialized");
    crate::config::linux_memory_warnings(&server);
    crate::config::module_load_from_queue(&server);
    crate::rdb::load_data_from_disk(&mut server);
    if !server.ipfd.is_empty() {
        server_log!(server, LL_NOTICE, "Ready to accept connections");
    }
    if server.sofd > 0 {
        server_log!(
            server,
            LL_NOTICE,
            "The server is now ready to accept connections at {}",
            server.unixsocket.as_deref().unwrap_or("")
        );
    }

    // Warning the user about suspicious maxmemory setting.
    if server.maxmemory > 0 && server.maxmemory < 1024 * 1024 {
        server_log!(
            server,
            LL_WARNING,
            "WARNING: You specified a maxmemory value that is less than 1MB (current value is {} bytes). Are you sure this is what you really want?",
            server.maxmemory
        );
    }

    ae::ae_set_before_sleep_proc(&mut server.el, Some(before_sleep));
    ae::ae_set_after_sleep_proc(&mut server.el, Some(after_sleep));
    ae::ae_main(&mut server);
}
