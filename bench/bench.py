#!/usr/bin/env python3
"""oxredis vs redis-server: throughput (redis-benchmark), memory, RDB
persistence and replication.

Usage:
    bench/bench.sh                       # oxredis vs Debian's redis-server
    REDIS5=/path/to/redis-server bench/bench.sh   # plus a Redis 5.0.14 build
    ROUNDS=3 N=50000 TESTS=set,get bench/bench.sh
    OXREDIS_BIN=/usr/bin/redis-server bench/bench.sh   # dry run: redis vs
                                                       # redis = noise level
    REDIS5=/work/redis-5.0.14/src/redis-server SECTIONS="rdb sync replload" \
        bench/bench.sh                   # issues 4 and 5
    SECTIONS="rdb sync replload" ROUNDS=1 POPULATE=20000 N=10000 \
        bench/bench.sh                   # smoke test of those sections
    REDIS5=/work/redis-5.0.14/src/redis-server SECTIONS=bigval ROUNDS=3 \
        bench/bench.sh                   # issue 14: big values

Environment (all optional):
    OXREDIS_BIN  server under test (default target/release/oxredis-server,
                 built with `cargo build --release` if missing)
    REDIS_BIN    the reference (default /usr/bin/redis-server)
    OXREDIS_ARGS extra arguments for the server under test only (and its
                 replicas), split as a shell would, e.g.
                 OXREDIS_ARGS="--trace-events yes" to measure the event
                 trace's cost against the same binary (or the previous
                 one) as REDIS_BIN
    REDIS5       a third binary, e.g. Redis 5.0.14 built elsewhere
    BENCHMARK    redis-benchmark binary (default: from PATH)
    REDIS_CLI    redis-cli binary, for the types section (default: from PATH)
    SECTIONS     which sections to run, in order (default "rps rss";
                 also "types", "rdb", "sync", "replload", "scripts",
                 "aof", "bigval", "evict"):
                 rps       redis-benchmark requests/s per TESTS and PIPELINES
                           (lpop/rpop/spop/zpopmin after an untimed
                           lpush/sadd/zadd run, as in redis-benchmark's
                           default run)
                 rss       VmRSS/VmHWM after DEBUG POPULATE POPULATE
                 types     memory of TYPE_KEYS small keys of each type
                 rdb       POPULATE keys: SAVE time, BGSAVE fork time
                           (latest_fork_usec), load time at start-up (the
                           "DB loaded from disk" log line, and exec to
                           first PONG polled every 10 ms), DEBUG DIGEST
                           after the restart
                 sync      full sync of POPULATE keys to a fresh replica of
                           the same kind, disk and diskless
                           (repl-diskless-sync-delay 0): REPLICAOF to
                           master_link_status:up polled every 10 ms, and
                           +FULLRESYNC to "Finished with success" from the
                           replica's log (no replication cron waits). The
                           fair peer is REDIS5 (a 5.0.14 build): 5.0 and
                           oxredis connect and start diskless transfers
                           from the 1 Hz replicationCron, Debian's 7.0 does
                           not
                 scripts   EVAL and EVALSHA of `return redis.call('incr',
                           KEYS[1])` (redis-benchmark's custom command
                           form), per PIPELINES, median over ROUNDS
                 replload  SET at -P 16 (-c CLIENTS, -n N_PIPELINED) with
                           one replica of the same kind attached, and the
                           replica lag (master_repl_offset - the replica's
                           slave_repl_offset, sampled every 20 ms)
                 aof       SET with appendonly yes, appendfsync everysec,
                           per PIPELINES, each run started from a settled
                           disk (no AOF rewrite running on any server, then
                           sync(2)), the servers' order rotated per round;
                           BGREWRITEAOF of POPULATE keys and the AOF load
                           at start-up, with and without the RDB preamble
                 bigval    big values (issue 14), each measurement on
                           fresh servers: peak RSS (VmHWM) of a 100 MB SET
                           on a master with one replica of the same kind
                           (master and replica), of a 512 MB SET with no
                           replica, and the time and VmHWM of SETRANGE key
                           536870911 x on an empty key; the fair peer is
                           REDIS5 (a 5.0.14 build)
                 evict     SET -r 10000000 -d 100 per PIPELINES with
                           maxmemory EVICT_MAXMEMORY reached (filled by
                           untimed SET -P 16 runs until keys are evicted)
                           and allkeys-lru evicting as it writes
    TESTS        redis-benchmark -t names, comma separated
                 (default set,get,incr,mset; e.g. add lpush,rpush,lpop,rpop,
                 sadd,hset,spop,zadd,zpopmin,lrange_100)
    TESTS_TYPES  "1": add the data type tests lpush,rpush,lpop,rpop,sadd,
                 hset,spop,zadd,zpopmin,lrange_100 to TESTS (or to its
                 default)
    PIPELINES    -P values (default "1 16")
    ROUNDS       rounds of the A B (C) interleaving (default 5)
    CLIENTS      -c (default 50)
    N            -n for pipeline 1 (default 100000)
    N_PIPELINED  -n for pipelines > 1 (default 10 * N)
    POPULATE     keys for DEBUG POPULATE in the rss, rdb and sync sections
                 (default 1000000)
    EVICT_MAXMEMORY  maxmemory of the evict section (default 50mb)
    TYPE_KEYS    keys per data type in the types section (default POPULATE)
    PORTS        a port range for the servers, e.g. "23000-23999"
                 (default: ports the kernel picks)
    PIN          "1": run servers on CPU 1 and redis-benchmark on CPU 0
                 (needs 2 CPUs and taskset); default "0", no pinning. On
                 the 2-vCPU VM this was written on, pinning halved the
                 P=1 numbers (cross-CPU wakeups) without less noise.

Every server gets its own temp dir and a free port, and runs with
--save "" --appendonly no (Redis >= 7 also --enable-debug-command yes).
Each (round, pipeline, test) runs redis-benchmark against every server in
turn, so drift on the machine hits all of them alike; the table shows the
median requests/s. Servers are killed on exit, also on Ctrl-C or SIGTERM.

The header of the output prints the command that reproduces it, with
every setting spelled out.

To add a section: write `def section_NAME(servers, cfg)` below and list
NAME in SECTIONS; `servers` is the list of started Server objects (fresh
for each section); a section that starts more servers (replicas) stops
them itself.
"""

import csv
import ctypes
import datetime
import io
import os
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_TIMEOUT = 600  # seconds per redis-benchmark run
START_TIMEOUT = 10  # seconds for a server to answer PING


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- servers


_next_port = [None]


def free_port():
    """A port nobody listens on: from PORTS ("23000-23999") when it is set,
    in turn, else one the kernel picks."""
    spec = os.environ.get("PORTS")
    if not spec:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    lo, _, hi = spec.partition("-")
    lo, hi = int(lo), int(hi or lo)
    for _ in range(hi - lo + 1):
        if _next_port[0] is None or _next_port[0] > hi:
            _next_port[0] = lo
        port = _next_port[0]
        _next_port[0] += 1
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise SystemExit("bench: no free port in PORTS=%s" % spec)


def major_version(binary):
    """Major version from `binary --version`, or None if it cannot be told."""
    try:
        out = subprocess.run([binary, "--version"], capture_output=True,
                             text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"v=(\d+)\.", out)
    return int(m.group(1)) if m else None


def resp_command(port, *args, timeout=600):
    """Sends one command, returns the reply (str, int, list or None).
    Raises RuntimeError on an error reply."""
    req = b"*%d\r\n" % len(args)
    for a in args:
        a = str(a).encode()
        req += b"$%d\r\n%s\r\n" % (len(a), a)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(req)
        f = s.makefile("rb")
        return read_reply(f)


def read_reply(f):
    line = f.readline()
    if not line:
        raise RuntimeError("connection closed")
    kind, rest = line[:1], line[1:-2].decode()
    if kind == b"+":
        return rest
    if kind == b"-":
        raise RuntimeError(rest)
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        return None if n < 0 else f.read(n + 2)[:-2].decode(errors="replace")
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [read_reply(f) for _ in range(n)]
    raise RuntimeError("bad reply %r" % line)


class Server:
    def __init__(self, label, binary, cpus, extra_args=()):
        self.label = label
        self.binary = binary
        self.cpus = cpus
        self.dir = tempfile.mkdtemp(prefix="oxredis-bench-%s-" % label)
        self.port = free_port()
        self.logpath = os.path.join(self.dir, "server.log")
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", self.dir, "--save", "", "--appendonly", "no"]
        major = major_version(binary)
        if major is not None and major >= 7:
            args += ["--enable-debug-command", "yes"]
        self.extra_args = list(extra_args)
        self.args = args + self.extra_args
        self.logfile = open(self.logpath, "wb")
        self.spawn()
        self.wait_ready()

    def spawn(self):
        cpus = self.cpus

        def preexec():
            # PR_SET_PDEATHSIG = 1: SIGKILL the server if this script dies
            # without running its cleanup (e.g. it is SIGKILLed itself).
            ctypes.CDLL(None).prctl(1, signal.SIGKILL)
            if cpus:
                os.sched_setaffinity(0, cpus)

        self.proc = subprocess.Popen(
            self.args, cwd=self.dir, stdin=subprocess.DEVNULL,
            stdout=self.logfile, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=preexec)

    def wait_ready(self, timeout=START_TIMEOUT, interval=0.05):
        """Polls PING every `interval` s until PONG (a -LOADING reply or a
        refused connection means: not yet); returns time.monotonic() of the
        PONG. A PING waits for its reply as long as the deadline allows,
        so a server that serves nothing while it loads is seen at once."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                left = max(1.0, deadline - time.monotonic())
                if resp_command(self.port, "PING", timeout=left) == "PONG":
                    return time.monotonic()
            except (OSError, RuntimeError):
                pass
            time.sleep(interval)
        with open(self.logpath, errors="replace") as f:
            text = f.read()
        self.stop()
        raise SystemExit("%s (%s) did not start:\n%s"
                         % (self.label, self.binary, text[-3000:]))

    def restart(self, timeout):
        """Stops the process and starts it again with the same arguments
        and dir (so it loads the dump.rdb there), log appended. Returns
        the seconds from exec to the first PONG, polled every 10 ms."""
        self.terminate()
        t0 = time.monotonic()
        self.spawn()
        return self.wait_ready(timeout, interval=0.01) - t0

    def proc_status(self):
        """VmRSS, VmHWM of the server process, in kB."""
        fields = {}
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM"):
                    fields[k] = int(v.split()[0])
        return fields

    def terminate(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stop(self):
        self.terminate()
        self.logfile.close()
        shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------- sections


def bench_name(row_name):
    """`MSET (10 keys)` -> `mset`, `LRANGE_100 (first 100 elements)` ->
    `lrange_100`; None for redis-benchmark's preparation runs."""
    if "needed to benchmark" in row_name:
        return None
    return row_name.split()[0].lower()


def run_benchmark(cfg, server, test, pipeline, command=None, extra=()):
    """Requests/s of one redis-benchmark run, or None if it failed. With
    `command` (a list of arguments), that command is benchmarked instead
    of `-t test`; `extra` are more redis-benchmark options (-r, -d)."""
    n = cfg["n"] if pipeline == 1 else cfg["n_pipelined"]
    cmd = [cfg["benchmark"], "-h", "127.0.0.1", "-p", str(server.port),
           "-c", str(cfg["clients"]), "-n", str(n), "-P", str(pipeline),
           "-q", "--csv"] + list(extra) + (command if command
                                           else ["-t", test])
    if cfg["bench_cpus"]:
        cmd = ["taskset", "-c", ",".join(map(str, cfg["bench_cpus"]))] + cmd
    try:
        res = subprocess.run(cmd, capture_output=True, text=True,
                             timeout=BENCH_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        log("  %s %s -P %d: timed out" % (server.label, test, pipeline))
        return None
    # Debian's 7.0: a header row "test","rps",...; Redis 5's: "SET","123.4"
    for row in csv.reader(io.StringIO(res.stdout)):
        if len(row) < 2 or row[0] == "test":
            continue
        if command or bench_name(row[0]) == test:
            try:
                return float(row[1])
            except ValueError:
                pass
    log("  %s %s -P %d: no result (exit %d) %s"
        % (server.label, test, pipeline, res.returncode,
           (res.stderr or res.stdout).strip()[-200:]))
    return None


def fmt_rps(v):
    return "n/a" if v is None else "%.0f" % v


def fmt_ratio(a, b):
    return "n/a" if a is None or b is None or b == 0 else "%.2f" % (a / b)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def spread(values):
    """(max - min) / median, in percent: the run-to-run noise."""
    values = [v for v in values if v is not None]
    if len(values) < 2 or statistics.median(values) == 0:
        return None
    return 100.0 * (max(values) - min(values)) / statistics.median(values)


def print_table(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows)
              for i in range(len(header))]
    line = lambda r: "  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                               for i, (c, w) in enumerate(zip(r, widths)))
    print(line(header))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))
    sys.stdout.flush()


# Untimed run before a pop test, so that it pops what the push test left,
# as in redis-benchmark's default run (lpush before lpop and rpop). Without
# -r, sadd and zadd add one member, so spop and zpopmin pop it and then
# meet an empty key, as they do in the default run.
PREFILL = {"lpop": "lpush", "rpop": "lpush", "spop": "sadd",
           "zpopmin": "zadd"}


def rps_rows(servers, cfg, tests, results, first):
    """The header and rows of a requests/s table: per pipeline and test,
    each server's median and spread, and the ratios of the first server
    to the others. `results` maps (test, pipeline, label) to the rps of
    every round."""
    ox, ref = servers[0].label, servers[1].label
    header = [first, "P", ox + " rps", "±%", ref + " rps", "±%",
              "%s/%s" % (ox, ref)]
    extra = servers[2].label if len(servers) > 2 else None
    if extra:
        header += [extra + " rps", "±%", "%s/%s" % (ox, extra)]
    rows = []
    for pipeline in cfg["pipelines"]:
        for test in tests:
            get = lambda label: results[(test, pipeline, label)]
            a, b = median(get(ox)), median(get(ref))
            sp = lambda label: ("n/a" if spread(get(label)) is None
                                else "%.0f" % spread(get(label)))
            row = [test, pipeline, fmt_rps(a), sp(ox), fmt_rps(b), sp(ref),
                   fmt_ratio(a, b)]
            if extra:
                c = median(get(extra))
                row += [fmt_rps(c), sp(extra), fmt_ratio(a, c)]
            rows.append(row)
    return header, rows


def section_rps(servers, cfg):
    """redis-benchmark requests/s, median over ROUNDS interleaved rounds."""
    results = {}  # (test, pipeline, label) -> [rps per round]
    tests = cfg["tests"]
    for rnd in range(cfg["rounds"]):
        log("rps: round %d/%d" % (rnd + 1, cfg["rounds"]))
        for pipeline in cfg["pipelines"]:
            for test in tests:
                for s in servers:
                    # Same starting state for every server and round.
                    try:
                        resp_command(s.port, "FLUSHALL")
                    except (OSError, RuntimeError) as e:
                        log("  %s: FLUSHALL failed: %s" % (s.label, e))
                    if test in PREFILL:
                        run_benchmark(cfg, s, PREFILL[test], pipeline)
                    rps = run_benchmark(cfg, s, test, pipeline)
                    results.setdefault((test, pipeline, s.label), []).append(rps)

    header, rows = rps_rows(servers, cfg, tests, results, "test")
    print("\n== requests/s: median of %d rounds, -c %d, -n %d (P=1) / %d "
          "(P>1); ±%% = (max-min)/median ==" % (
              cfg["rounds"], cfg["clients"], cfg["n"], cfg["n_pipelined"]))
    print_table(header, rows)


def info_field(port, section, field):
    """One numeric field of INFO <section>, or None."""
    try:
        text = resp_command(port, "INFO", section)
    except (OSError, RuntimeError):
        return None
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    for line in str(text).split("\r\n"):
        if line.startswith(field + ":"):
            try:
                return float(line.split(":", 1)[1])
            except ValueError:
                return None
    return None


def section_rss(servers, cfg):
    """Memory after DEBUG POPULATE: VmRSS and VmHWM from /proc, and INFO's
    used_memory per key (issue 14: what the server counts it holds)."""
    n = cfg["populate"]
    rows = []
    for s in servers:
        before = s.proc_status()
        used0 = info_field(s.port, "memory", "used_memory")
        t0 = time.monotonic()
        try:
            resp_command(s.port, "DEBUG", "POPULATE", n)
        except (OSError, RuntimeError) as e:
            log("rss: %s: DEBUG POPULATE failed: %s" % (s.label, e))
            rows.append((s, before, None, None, None, None))
            continue
        secs = time.monotonic() - t0
        after = s.proc_status()
        keys = resp_command(s.port, "DBSIZE")
        used1 = info_field(s.port, "memory", "used_memory")
        per_key = (None if used0 is None or used1 is None or not keys
                   else (used1 - used0) / float(keys))
        rows.append((s, before, after, secs, keys, per_key))

    def mb(kb):
        return "n/a" if kb is None else "%.1f" % (kb / 1024.0)

    ref = rows[1][2]
    header = ["server", "keys", "populate s", "RSS before MB", "VmRSS MB",
              "VmHWM MB", "RSS / " + servers[1].label,
              "HWM / " + servers[1].label, "used_memory/key"]
    header += ["per key / " + o.label for o in servers[1:]]
    table = []
    for s, before, after, secs, keys, per_key in rows:
        rss = after and after["VmRSS"]
        hwm = after and after["VmHWM"]
        table.append([
            s.label, "n/a" if keys is None else keys,
            "n/a" if secs is None else "%.2f" % secs,
            mb(before["VmRSS"]), mb(rss), mb(hwm),
            fmt_ratio(rss, ref and ref["VmRSS"]),
            fmt_ratio(hwm, ref and ref["VmHWM"]),
            "n/a" if per_key is None else "%.1f" % per_key]
            + [fmt_ratio(per_key, r[5]) for r in rows[1:]])
    print("\n== memory: DEBUG POPULATE %d on a fresh server ==" % n)
    print_table(header, table)
    print("   target (issue 14): used_memory per key <= 1.0 of 5.0.14's "
          "(built with its own jemalloc: `make` in the tree)")


# The data type tests of redis-benchmark that TESTS_TYPES=1 adds.
TYPE_TESTS = ["lpush", "rpush", "lpop", "rpop", "sadd", "hset", "spop",
              "zadd", "zpopmin", "lrange_100"]


def type_dataset(kind, nkeys):
    """RESP for `nkeys` small keys of one data type, each made by one
    command: HSET h:<n> with 5 fields, SADD s:<n> with 5 members, ZADD
    z:<n> with 5 members, RPUSH l:<n> with 5 elements. Deterministic, so
    every server gets the same dataset (checked with DEBUG DIGEST).

    Not redis-benchmark: its lpush, sadd, hset and zadd tests fill a single
    key each (mylist, myset, ...), and the __rand_int__ of a custom command
    is random, so two servers would not hold the same keys."""
    out = io.BytesIO()
    for n in range(nkeys):
        if kind == "hash":
            args = ["HSET", "h:%d" % n]
            for i in range(5):
                args += ["field%d" % i, "value:%d:%d" % (n, i)]
        elif kind == "set":
            args = ["SADD", "s:%d" % n] + ["member:%d:%d" % (n, i)
                                           for i in range(5)]
        elif kind == "zset":
            args = ["ZADD", "z:%d" % n]
            for i in range(5):
                args += [str(i * 1.5), "member:%d:%d" % (n, i)]
        elif kind == "list":
            args = ["RPUSH", "l:%d" % n] + ["element:%d:%d" % (n, i)
                                            for i in range(5)]
        else:
            raise ValueError(kind)
        out.write(b"*%d\r\n" % len(args))
        for a in args:
            a = a.encode()
            out.write(b"$%d\r\n%s\r\n" % (len(a), a))
    return out.getvalue()


def section_types(servers, cfg):
    """Memory of TYPE_KEYS small hashes, sets, sorted sets and lists: one
    type at a time, each on fresh servers, loaded with `redis-cli --pipe`.
    Prints VmRSS per server and its ratio to the reference (issue 3 asks
    for at most 2x), and whether the DEBUG DIGESTs agree."""
    nkeys = cfg["type_keys"]
    cli = cfg["cli"]
    rows = []
    for kind in ("hash", "set", "zset", "list"):
        payload = type_dataset(kind, nkeys)
        # The servers given to the section serve the first type; the next
        # types get fresh ones, so each type is measured on its own.
        if kind != "hash":
            for s in servers:
                s.stop()
            servers[:] = [Server(s.label, s.binary, cfg["server_cpus"],
                                 s.extra_args)
                          for s in servers]
        result = []
        for s in servers:
            before = s.proc_status()["VmRSS"]
            t0 = time.monotonic()
            res = subprocess.run([cli, "-h", "127.0.0.1", "-p", str(s.port),
                                  "--pipe"], input=payload,
                                 capture_output=True, timeout=BENCH_TIMEOUT)
            secs = time.monotonic() - t0
            if res.returncode != 0:
                log("types: %s %s: redis-cli --pipe failed: %s"
                    % (s.label, kind, res.stdout.decode(errors="replace")
                       [-300:]))
            keys = resp_command(s.port, "DBSIZE")
            digest = resp_command(s.port, "DEBUG", "DIGEST")
            after = s.proc_status()["VmRSS"]
            result.append((s, before, after, keys, digest, secs))
        ref = result[1]
        for s, before, after, keys, digest, secs in result:
            rows.append([kind, s.label, keys, "%.2f" % secs,
                         "%.1f" % (before / 1024.0), "%.1f" % (after / 1024.0),
                         "%.1f" % ((after - before) / 1024.0),
                         fmt_ratio(after, ref[2]),
                         fmt_ratio(after - before, ref[2] - ref[1]),
                         "same" if digest == ref[4] else "DIFFERENT"])
    header = ["type", "server", "keys", "load s", "RSS before MB",
              "VmRSS MB", "growth MB", "RSS / " + servers[1].label,
              "growth / " + servers[1].label, "digest"]
    print("\n== memory by type: %d small keys of each type (5 elements "
          "each), fresh servers ==" % nkeys)
    print_table(header, rows)


# ------------------------------------------ persistence and replication


LOAD_TIMEOUT = 900  # seconds: POPULATE, SAVE, load at start-up, full sync
POLL = 0.01  # seconds between INFO polls (bgsave end, link up)
LAG_SAMPLE = 0.02  # seconds between replica lag samples in replload


class Conn:
    """One persistent connection, for polling INFO without a new TCP
    connection per sample."""

    def __init__(self, port, timeout=LOAD_TIMEOUT):
        self.sock = socket.create_connection(("127.0.0.1", port),
                                             timeout=timeout)
        self.f = self.sock.makefile("rb")

    def cmd(self, *args):
        req = b"*%d\r\n" % len(args)
        for a in args:
            a = str(a).encode()
            req += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(req)
        return read_reply(self.f)

    def info(self, section):
        """INFO <section> as a dict of str."""
        out = {}
        for line in self.cmd("INFO", section).splitlines():
            k, sep, v = line.partition(":")
            if sep:
                out[k] = v
        return out

    def close(self):
        self.f.close()
        self.sock.close()


def populate(servers, n, what):
    """DEBUG POPULATE n on every server; checks DBSIZE."""
    for s in servers:
        log("%s: %s: DEBUG POPULATE %d" % (what, s.label, n))
        resp_command(s.port, "DEBUG", "POPULATE", n, timeout=LOAD_TIMEOUT)
        keys = resp_command(s.port, "DBSIZE")
        if keys != n:
            raise SystemExit("%s: %s has %s keys after DEBUG POPULATE %d"
                             % (what, s.label, keys, n))


def wait_no_child(conn, what):
    """Waits until no BGSAVE child runs (rdb_bgsave_in_progress:0); returns
    time.monotonic() when seen."""
    deadline = time.monotonic() + LOAD_TIMEOUT
    while time.monotonic() < deadline:
        if conn.info("persistence").get("rdb_bgsave_in_progress") == "0":
            return time.monotonic()
        time.sleep(POLL)
    raise SystemExit("%s: BGSAVE child still running after %d s"
                     % (what, LOAD_TIMEOUT))


# "1234:M 25 Nov 2026 09:57:34.738 * message" (5.0, 7.0 and oxredis)
LOG_TIME = re.compile(
    r"^\d+:[A-Z] (\d+ \w+ \d+ \d+:\d+:\d+\.\d+) [.*#-] (.*)$")


def log_lines(server, since=0):
    """(datetime, message) of the server's log lines from byte `since`,
    and the log size."""
    with open(server.logpath, "rb") as f:
        f.seek(since)
        data = f.read()
    out = []
    for line in data.decode(errors="replace").splitlines():
        m = LOG_TIME.match(line)
        if m:
            try:
                t = datetime.datetime.strptime(m.group(1),
                                               "%d %b %Y %H:%M:%S.%f")
            except ValueError:
                continue
            out.append((t, m.group(2)))
    return out, since + len(data)


def log_size(server):
    return os.path.getsize(server.logpath)


def metric_table(title, metrics, results, servers, notes=()):
    """Prints one row per metric: its median for each server with the
    spread, and the ratio of the first server to each other one.
    `metrics` is [(key, name, format)], `results` maps (key, label) to
    the values of every round."""
    ox = servers[0].label
    header = ["metric", ox, "±%"]
    for s in servers[1:]:
        header += [s.label, "±%", "%s/%s" % (ox, s.label)]
    rows = []
    for key, name, fmt in metrics:
        vals = lambda label: results.get((key, label), [])
        sp = lambda label: ("n/a" if spread(vals(label)) is None
                            else "%.0f" % spread(vals(label)))
        show = lambda v: "n/a" if v is None else fmt % v
        a = median(vals(ox))
        row = [name, show(a), sp(ox)]
        for s in servers[1:]:
            b = median(vals(s.label))
            row += [show(b), sp(s.label), fmt_ratio(a, b)]
        rows.append(row)
    print("\n== %s ==" % title)
    print_table(header, rows)
    for note in notes:
        print("   " + note)
    sys.stdout.flush()


def section_rdb(servers, cfg):
    """RDB persistence (issue 4) with POPULATE keys: SAVE time, BGSAVE fork
    time (latest_fork_usec), load time at start-up; ROUNDS interleaved
    rounds, each step on every server in turn."""
    n = cfg["populate"]
    populate(servers, n, "rdb")
    results = {}

    def add(key, s, v):
        results.setdefault((key, s.label), []).append(v)

    for rnd in range(cfg["rounds"]):
        log("rdb: round %d/%d" % (rnd + 1, cfg["rounds"]))
        for s in servers:
            c = Conn(s.port)
            try:
                t0 = time.monotonic()
                reply = c.cmd("SAVE")
                add("save", s, time.monotonic() - t0)
                if reply != "OK":
                    log("rdb: %s: SAVE replied %r" % (s.label, reply))
                add("size", s, os.path.getsize(
                    os.path.join(s.dir, "dump.rdb")) / 1048576.0)
            finally:
                c.close()
        for s in servers:
            c = Conn(s.port)
            try:
                wait_no_child(c, "rdb: " + s.label)
                t0 = time.monotonic()
                c.cmd("BGSAVE")
                add("bgsave", s, wait_no_child(c, "rdb: " + s.label) - t0)
                st = c.info("persistence").get("rdb_last_bgsave_status")
                if st != "ok":
                    log("rdb: %s: rdb_last_bgsave_status:%s"
                        % (s.label, st))
                fork = c.info("stats").get("latest_fork_usec")
                add("fork", s, None if fork is None else int(fork) / 1000.0)
            finally:
                c.close()
        for s in servers:
            since = log_size(s)
            add("ping", s, s.restart(LOAD_TIMEOUT))
            loaded = None
            for _, msg in log_lines(s, since)[0]:
                m = re.match(r"DB loaded from disk: ([\d.]+) seconds", msg)
                if m:
                    loaded = float(m.group(1))
            if loaded is None:
                log("rdb: %s: no \"DB loaded from disk\" line in its log"
                    % s.label)
            add("load", s, loaded)
            keys = resp_command(s.port, "DBSIZE")
            if keys != n:
                log("rdb: %s: %s keys after the restart, not %d"
                    % (s.label, keys, n))
    digests = [resp_command(s.port, "DEBUG", "DIGEST", timeout=LOAD_TIMEOUT)
               for s in servers]
    same = all(d == digests[0] for d in digests)
    metric_table(
        "RDB, %d keys (DEBUG POPULATE): median of %d rounds; "
        "±%% = (max-min)/median" % (n, cfg["rounds"]),
        [("save", "SAVE s", "%.3f"),
         ("fork", "BGSAVE fork ms (latest_fork_usec)", "%.2f"),
         ("bgsave", "BGSAVE until done s (polled)", "%.3f"),
         ("load", "load at start-up s (log line)", "%.3f"),
         ("ping", "exec to first PONG s", "%.3f"),
         ("size", "dump.rdb MB", "%.1f")],
        results, servers,
        ["target: oxredis/redis <= 1.0 for SAVE, fork and load",
         "DEBUG DIGEST after the last restart: %s"
         % ("same on every server" if same else "DIFFERENT: " +
            ", ".join("%s=%s" % (s.label, d)
                      for s, d in zip(servers, digests)))])


def timing_peer_notes(servers, target):
    """The notes under the sync table: which ratio is the target."""
    labels = [s.label for s in servers]
    notes = []
    if "redis5" in labels:
        notes.append("target: oxredis/redis5 %s; redis (Debian's 7.0) is "
                     "information only: 7.0 connects at REPLICAOF and "
                     "starts a diskless transfer from serverCron, 5.0 "
                     "(and oxredis) from the 1 Hz replicationCron" % target)
    else:
        notes.append("NOTE: REDIS5 is unset, so there is no fair timing "
                     "peer: redis (Debian's 7.0) connects at REPLICAOF and "
                     "starts a diskless transfer from serverCron, 5.0 (and "
                     "oxredis) from the 1 Hz replicationCron; its ratio is "
                     "information only. Set REDIS5=/work/redis-5.0.14/src/"
                     "redis-server (a 5.0.14 build) for the target %s."
                     % target)
    return notes


def wait_link_up(conn, deadline):
    """Polls the replica's INFO replication every POLL s until
    master_link_status:up; returns time.monotonic() then, or None."""
    while time.monotonic() < deadline:
        if conn.info("replication").get("master_link_status") == "up":
            return time.monotonic()
        time.sleep(POLL)
    return None


def section_sync(servers, cfg):
    """Full sync time of POPULATE keys (issue 5), disk-based and diskless,
    each master with a fresh, empty replica of its own kind, from
    REPLICAOF to master_link_status:up on the replica."""
    n = cfg["populate"]
    populate(servers, n, "sync")
    results = {}
    modes = [("disk", "no"), ("diskless", "yes")]
    for rnd in range(cfg["rounds"]):
        log("sync: round %d/%d" % (rnd + 1, cfg["rounds"]))
        for mode, diskless in modes:
            for s in servers:
                master = Conn(s.port)
                replica = None
                rconn = None
                try:
                    wait_no_child(master, "sync: " + s.label)
                    master.cmd("CONFIG", "SET", "repl-diskless-sync",
                               diskless)
                    master.cmd("CONFIG", "SET", "repl-diskless-sync-delay",
                               "0")
                    replica = Server(s.label + "-replica", s.binary,
                                     cfg["server_cpus"], s.extra_args)
                    rconn = Conn(replica.port)
                    since = log_size(replica)
                    t0 = time.monotonic()
                    rconn.cmd("REPLICAOF", "127.0.0.1", s.port)
                    up = wait_link_up(rconn, t0 + LOAD_TIMEOUT)
                    if up is None:
                        log("sync: %s %s: link not up after %d s"
                            % (s.label, mode, LOAD_TIMEOUT))
                        continue
                    results.setdefault((mode, s.label), []).append(up - t0)
                    # From +FULLRESYNC (the master's BGSAVE has started) to
                    # the data loaded: the full sync without the waits for
                    # the replication cron.
                    lines, _ = log_lines(replica, since)
                    fr = [t for t, m in lines
                          if m.startswith("Full resync from master")]
                    ok = [t for t, m in lines
                          if "sync: Finished with success" in m]
                    if fr and ok:
                        results.setdefault((mode + "-xfer", s.label), []) \
                            .append((ok[-1] - fr[-1]).total_seconds())
                    else:
                        log("sync: %s %s: no \"Full resync from master\" / "
                            "\"Finished with success\" in the replica's log"
                            % (s.label, mode))
                    keys = rconn.cmd("DBSIZE")
                    if keys != n:
                        log("sync: %s %s: the replica has %s keys, not %d"
                            % (s.label, mode, keys, n))
                finally:
                    master.close()
                    if rconn:
                        rconn.close()
                    if replica:
                        replica.stop()
    metrics = []
    for mode, _ in modes:
        metrics += [(mode, "%s: REPLICAOF to link up s" % mode, "%.3f"),
                    (mode + "-xfer", "%s: +FULLRESYNC to loaded s (log)"
                     % mode, "%.3f")]
    metric_table(
        "full sync, %d keys (DEBUG POPULATE), replica of the same kind, "
        "repl-diskless-sync-delay 0: median of %d rounds; ±%% = "
        "(max-min)/median" % (n, cfg["rounds"]),
        metrics, results, servers, timing_peer_notes(servers, "<= 1.0"))


def lag_sampler(master_port, replica_port, samples, stop):
    """Appends (master_repl_offset - the replica's slave_repl_offset, link
    up) every LAG_SAMPLE s until `stop` is set. The replica is asked
    first, so a sample never reads a newer replica offset than master
    offset."""
    m = Conn(master_port, timeout=60)
    r = Conn(replica_port, timeout=60)
    try:
        while not stop.is_set():
            ri = r.info("replication")
            mi = m.info("replication")
            try:
                lag = (int(mi["master_repl_offset"])
                       - int(ri["slave_repl_offset"]))
            except (KeyError, ValueError):
                lag = None
            samples.append((lag, ri.get("master_link_status") == "up"))
            stop.wait(LAG_SAMPLE)
    except (OSError, RuntimeError) as e:
        log("replload: lag sampler: %s" % e)
    finally:
        m.close()
        r.close()


def wait_caught_up(master, replica, what, timeout=60):
    """Waits until the replica's offset equals the master's."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ri = replica.info("replication")
        mi = master.info("replication")
        if (ri.get("master_link_status") == "up" and
                ri.get("slave_repl_offset") == mi.get("master_repl_offset")):
            return True
        time.sleep(POLL)
    log("%s: the replica did not catch up in %d s" % (what, timeout))
    return False


REPLLOAD_PIPELINE = 16


def section_replload(servers, cfg):
    """SET throughput at -P 16 with one replica (same kind) attached, and
    the replica's lag in bytes sampled during the run (issue 5)."""
    replicas = []
    results = {}
    try:
        for s in servers:
            r = Server(s.label + "-replica", s.binary, cfg["server_cpus"],
                       s.extra_args)
            replicas.append(r)
            c = Conn(r.port)
            try:
                c.cmd("REPLICAOF", "127.0.0.1", s.port)
                if wait_link_up(c, time.monotonic() + 60) is None:
                    raise SystemExit("replload: %s replica: link not up "
                                     "after 60 s" % s.label)
            finally:
                c.close()
        for rnd in range(cfg["rounds"]):
            log("replload: round %d/%d" % (rnd + 1, cfg["rounds"]))
            for s, r in zip(servers, replicas):
                m, rc = Conn(s.port), Conn(r.port)
                try:
                    m.cmd("FLUSHALL")
                    wait_caught_up(m, rc, "replload: " + s.label)
                finally:
                    m.close()
                    rc.close()
                samples, stop = [], threading.Event()
                t = threading.Thread(target=lag_sampler,
                                     args=(s.port, r.port, samples, stop))
                t.start()
                try:
                    rps = run_benchmark(cfg, s, "set", REPLLOAD_PIPELINE)
                finally:
                    stop.set()
                    t.join()
                results.setdefault(("rps", s.label), []).append(rps)
                lags = [lag for lag, _ in samples if lag is not None]
                down = sum(1 for _, up in samples if not up)
                if down:
                    log("replload: %s: link down in %d of %d samples"
                        % (s.label, down, len(samples)))
                results.setdefault(("down", s.label), []).append(down)
                results.setdefault(("lag", s.label), []).append(
                    median(lags))
                results.setdefault(("lagmax", s.label), []).append(
                    max(lags) if lags else None)
                results.setdefault(("samples", s.label), []).append(
                    len(samples))
        for s, r in zip(servers, replicas):
            m, rc = Conn(s.port), Conn(r.port)
            try:
                if wait_caught_up(m, rc, "replload: " + s.label):
                    if rc.cmd("DEBUG", "DIGEST") != m.cmd("DEBUG", "DIGEST"):
                        log("replload: %s: replica digest differs from "
                            "the master's" % s.label)
                connected = m.info("replication").get("connected_slaves")
                if connected != "1":
                    log("replload: %s: connected_slaves:%s at the end"
                        % (s.label, connected))
            finally:
                m.close()
                rc.close()
    finally:
        for r in replicas:
            r.stop()
    notes = ["target: oxredis/redis and oxredis/redis5 >= 1.0 for SET "
             "rps; lag = master_repl_offset - replica slave_repl_offset, "
             "sampled every %d ms (median and max of the run, then the "
             "median over rounds)" % (LAG_SAMPLE * 1000)]
    metric_table(
        "SET -P %d -c %d -n %d with one replica of the same kind: median "
        "of %d rounds; ±%% = (max-min)/median"
        % (REPLLOAD_PIPELINE, cfg["clients"], cfg["n_pipelined"],
           cfg["rounds"]),
        [("rps", "SET requests/s", "%.0f"),
         ("lag", "replica lag, median bytes", "%.0f"),
         ("lagmax", "replica lag, max bytes", "%.0f"),
         ("samples", "lag samples per run", "%.0f"),
         ("down", "samples with link down", "%.0f")],
        results, servers, notes)


# The script of issue 11's target: one INCR through redis.call.
INCR_SCRIPT = "return redis.call('incr',KEYS[1])"


def section_scripts(servers, cfg):
    """EVAL and EVALSHA of INCR_SCRIPT through redis-benchmark, median
    over ROUNDS interleaved rounds (the same table as rps)."""
    import hashlib
    sha = hashlib.sha1(INCR_SCRIPT.encode()).hexdigest()
    commands = {
        "eval": ["eval", INCR_SCRIPT, "1", "counter"],
        "evalsha": ["evalsha", sha, "1", "counter"],
    }
    results = {}
    for rnd in range(cfg["rounds"]):
        log("scripts: round %d/%d" % (rnd + 1, cfg["rounds"]))
        for pipeline in cfg["pipelines"]:
            for test, command in commands.items():
                for s in servers:
                    try:
                        resp_command(s.port, "FLUSHALL")
                        resp_command(s.port, "SCRIPT", "LOAD", INCR_SCRIPT)
                    except (OSError, RuntimeError) as e:
                        log("  %s: set-up failed: %s" % (s.label, e))
                    rps = run_benchmark(cfg, s, test, pipeline, command)
                    results.setdefault((test, pipeline, s.label),
                                       []).append(rps)
    header, rows = rps_rows(servers, cfg, list(commands), results,
                            "script")
    print("\n== scripts: %s, requests/s, median of %d rounds, -c %d, -n %d "
          "(P=1) / %d (P>1) ==" % (INCR_SCRIPT, cfg["rounds"],
                                   cfg["clients"], cfg["n"],
                                   cfg["n_pipelined"]))
    print_table(header, rows)


def wait_no_rewrite(conn, what):
    """Waits until no AOF rewrite runs or is scheduled; returns
    time.monotonic() when seen."""
    deadline = time.monotonic() + LOAD_TIMEOUT
    while time.monotonic() < deadline:
        p = conn.info("persistence")
        if (p.get("aof_rewrite_in_progress") == "0"
                and p.get("aof_rewrite_scheduled") == "0"):
            return time.monotonic()
        time.sleep(POLL)
    raise SystemExit("%s: AOF rewrite still running after %d s"
                     % (what, LOAD_TIMEOUT))


def settle_disk(servers):
    """Before a timed AOF run: waits until no server rewrites its AOF,
    then sync(2), so that the run does not pay for the previous run's
    writeback."""
    for s in servers:
        c = Conn(s.port)
        try:
            wait_no_rewrite(c, "aof: " + s.label)
        finally:
            c.close()
    os.sync()


def aof_size(d):
    """Bytes of the AOF in dir `d`: appendonly.aof, or the files of 7.0's
    multi-part appendonlydir."""
    single = os.path.join(d, "appendonly.aof")
    if os.path.exists(single):
        return os.path.getsize(single)
    multi = os.path.join(d, "appendonlydir")
    return sum(os.path.getsize(os.path.join(multi, f))
               for f in os.listdir(multi)) if os.path.isdir(multi) else 0


def section_aof(servers, cfg):
    """The AOF (issue 13): SET requests/s with appendonly yes and
    appendfsync everysec (the same table as rps), then with POPULATE keys
    the BGREWRITEAOF time (polled until done) and the AOF load time at
    start-up (log line), with and without the RDB preamble; ROUNDS
    interleaved rounds."""
    for s in servers:
        c = Conn(s.port)
        try:
            c.cmd("CONFIG", "SET", "appendfsync", "everysec")
            c.cmd("CONFIG", "SET", "appendonly", "yes")
            wait_no_rewrite(c, "aof: " + s.label)
        finally:
            c.close()
        s.args += ["--appendonly", "yes"]
    results = {}
    for rnd in range(cfg["rounds"]):
        log("aof: SET round %d/%d" % (rnd + 1, cfg["rounds"]))
        # The order is rotated per round: without it the first server's
        # run always followed the last one's -P 16 run (tens of MB of AOF
        # being written back, often a rewrite child), the others a -P 1 run.
        order = servers[rnd % len(servers):] + servers[:rnd % len(servers)]
        for pipeline in cfg["pipelines"]:
            for s in order:
                settle_disk(servers)
                resp_command(s.port, "FLUSHALL")
                rps = run_benchmark(cfg, s, "set", pipeline)
                results.setdefault(("set", pipeline, s.label), []).append(rps)
    header, rows = rps_rows(servers, cfg, ["set"], results, "test")
    print("\n== AOF on, appendfsync everysec: requests/s, median of %d "
          "rounds, -c %d, -n %d (P=1) / %d (P>1) ==" % (
              cfg["rounds"], cfg["clients"], cfg["n"], cfg["n_pipelined"]))
    print_table(header, rows)

    n = cfg["populate"]
    for s in servers:
        resp_command(s.port, "FLUSHALL")
    populate(servers, n, "aof")
    for preamble in ("yes", "no"):
        results = {}

        def add(key, s, v):
            results.setdefault((key, s.label), []).append(v)

        for s in servers:
            resp_command(s.port, "CONFIG", "SET", "aof-use-rdb-preamble",
                         preamble)
        for rnd in range(cfg["rounds"]):
            log("aof: preamble %s, round %d/%d"
                % (preamble, rnd + 1, cfg["rounds"]))
            for s in servers:
                c = Conn(s.port)
                try:
                    wait_no_rewrite(c, "aof: " + s.label)
                    t0 = time.monotonic()
                    c.cmd("BGREWRITEAOF")
                    add("rewrite", s,
                        wait_no_rewrite(c, "aof: " + s.label) - t0)
                    st = c.info("persistence").get(
                        "aof_last_bgrewrite_status")
                    if st != "ok":
                        log("aof: %s: aof_last_bgrewrite_status:%s"
                            % (s.label, st))
                finally:
                    c.close()
                add("size", s, aof_size(s.dir) / 1048576.0)
            for s in servers:
                since = log_size(s)
                s.args += ["--aof-use-rdb-preamble", preamble]
                s.restart(LOAD_TIMEOUT)
                loaded = None
                for _, msg in log_lines(s, since)[0]:
                    m = re.match(r"DB loaded from append only file: "
                                 r"([\d.]+) seconds", msg)
                    if m:
                        loaded = float(m.group(1))
                if loaded is None:
                    log("aof: %s: no \"DB loaded from append only file\" "
                        "line in its log" % s.label)
                add("load", s, loaded)
                keys = resp_command(s.port, "DBSIZE")
                if keys != n:
                    log("aof: %s: %s keys after the restart, not %d"
                        % (s.label, keys, n))
        digests = [resp_command(s.port, "DEBUG", "DIGEST",
                                timeout=LOAD_TIMEOUT) for s in servers]
        same = all(d == digests[0] for d in digests)
        metric_table(
            "AOF, %d keys (DEBUG POPULATE), aof-use-rdb-preamble %s: median "
            "of %d rounds; ±%% = (max-min)/median"
            % (n, preamble, cfg["rounds"]),
            [("rewrite", "BGREWRITEAOF until done s (polled)", "%.3f"),
             ("load", "AOF load at start-up s (log line)", "%.3f"),
             ("size", "appendonly.aof MB", "%.1f")],
            results, servers,
            ["target: oxredis/redis <= 1.0 for the rewrite and the load",
             "DEBUG DIGEST after the last restart: %s"
             % ("same on every server" if same else "DIFFERENT: " +
                ", ".join("%s=%s" % (s.label, d)
                          for s, d in zip(servers, digests)))])


# Issue 14's big values: a SET of BIGVAL_REPL_MB with one replica
# attached, a SET of BIGVAL_SET_MB (proto-max-bulk-len's default) with none,
# and a SETRANGE that grows an empty key to 512 MB.
BIGVAL_REPL_MB = 100
BIGVAL_SET_MB = 512
BIGVAL_SETRANGE_OFFSET = 536870911


def send_big_set(port, key, size):
    """SET key to `size` bytes of "v", the value sent in 1 MB chunks (the
    script never holds the whole command); returns the reply."""
    chunk = memoryview(b"v" * (1 << 20))
    with socket.create_connection(("127.0.0.1", port),
                                  timeout=LOAD_TIMEOUT) as sock:
        sock.sendall(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n"
                     % (len(key), key, size))
        left = size
        while left:
            n = min(left, len(chunk))
            sock.sendall(chunk[:n])
            left -= n
        sock.sendall(b"\r\n")
        with sock.makefile("rb") as f:
            return read_reply(f)


def section_bigval(servers, cfg):
    """Peak RSS (VmHWM) of big values (issue 14), each on fresh servers of
    every kind in turn, ROUNDS rounds: a BIGVAL_REPL_MB SET on a master
    with one replica of its kind attached (the master's and the replica's
    VmHWM once the replica has caught up), a BIGVAL_SET_MB SET with no
    replica, and SETRANGE key BIGVAL_SETRANGE_OFFSET x on an empty key
    (its time, round trip, and VmHWM)."""
    results = {}

    def add(key, s, v):
        results.setdefault((key, s.label), []).append(v)

    def fresh(s, suffix):
        return Server(s.label + suffix, s.binary, cfg["server_cpus"],
                      s.extra_args)

    for rnd in range(cfg["rounds"]):
        log("bigval: round %d/%d" % (rnd + 1, cfg["rounds"]))
        for s in servers:
            # (a) SET of BIGVAL_REPL_MB with a replica attached
            started = []
            try:
                m = fresh(s, "-bvmaster")
                started.append(m)
                r = fresh(s, "-bvreplica")
                started.append(r)
                mc, rc = Conn(m.port), Conn(r.port)
                try:
                    rc.cmd("REPLICAOF", "127.0.0.1", m.port)
                    if wait_link_up(rc, time.monotonic() + 60) is None:
                        raise SystemExit("bigval: %s replica: link not up "
                                         "after 60 s" % s.label)
                    wait_caught_up(mc, rc, "bigval: " + s.label)
                    add("repl-m0", s, m.proc_status()["VmHWM"] / 1024.0)
                    add("repl-r0", s, r.proc_status()["VmHWM"] / 1024.0)
                    reply = send_big_set(m.port, b"big",
                                         BIGVAL_REPL_MB << 20)
                    if reply != "OK":
                        log("bigval: %s: SET replied %r" % (s.label, reply))
                    if wait_caught_up(mc, rc, "bigval: " + s.label, 120):
                        if rc.cmd("STRLEN", "big") != BIGVAL_REPL_MB << 20:
                            log("bigval: %s: the replica's value has the "
                                "wrong length" % s.label)
                    add("repl-m", s, m.proc_status()["VmHWM"] / 1024.0)
                    add("repl-r", s, r.proc_status()["VmHWM"] / 1024.0)
                finally:
                    mc.close()
                    rc.close()
            finally:
                for x in started:
                    x.stop()
            # (b) SET of BIGVAL_SET_MB, no replica
            x = fresh(s, "-bvset")
            try:
                add("set0", s, x.proc_status()["VmHWM"] / 1024.0)
                reply = send_big_set(x.port, b"big", BIGVAL_SET_MB << 20)
                if reply != "OK":
                    log("bigval: %s: SET replied %r" % (s.label, reply))
                add("set", s, x.proc_status()["VmHWM"] / 1024.0)
            finally:
                x.stop()
            # (c) SETRANGE to BIGVAL_SETRANGE_OFFSET on an empty key
            x = fresh(s, "-bvsetrange")
            try:
                c = Conn(x.port)
                try:
                    t0 = time.monotonic()
                    n = c.cmd("SETRANGE", "big", BIGVAL_SETRANGE_OFFSET, "x")
                    add("setrange-ms", s, (time.monotonic() - t0) * 1000)
                    if n != BIGVAL_SETRANGE_OFFSET + 1:
                        log("bigval: %s: SETRANGE replied %r"
                            % (s.label, n))
                finally:
                    c.close()
                add("setrange", s, x.proc_status()["VmHWM"] / 1024.0)
            finally:
                x.stop()
    metric_table(
        "big values on fresh servers: VmHWM (peak RSS) MB and time, "
        "median of %d rounds; ±%% = (max-min)/median" % cfg["rounds"],
        [("repl-m0", "master + replica, before: master HWM MB", "%.1f"),
         ("repl-m", "SET %d MB with a replica: master HWM MB"
          % BIGVAL_REPL_MB, "%.1f"),
         ("repl-r0", "master + replica, before: replica HWM MB", "%.1f"),
         ("repl-r", "SET %d MB with a replica: replica HWM MB"
          % BIGVAL_REPL_MB, "%.1f"),
         ("set0", "fresh server: HWM MB", "%.1f"),
         ("set", "SET %d MB, no replica: HWM MB" % BIGVAL_SET_MB, "%.1f"),
         ("setrange", "SETRANGE big %d x: HWM MB"
          % BIGVAL_SETRANGE_OFFSET, "%.1f"),
         ("setrange-ms", "SETRANGE big %d x: ms (round trip)"
          % BIGVAL_SETRANGE_OFFSET, "%.2f")],
        results, servers,
        ["target (issue 14), against redis5 (a 5.0.14 build): master HWM "
         "of the %d MB SET with a replica <= 1.1, SETRANGE time <= 2.0"
         % BIGVAL_REPL_MB])
EVICT_ARGS = ["-r", "10000000", "-d", "100"]


def section_evict(servers, cfg):
    """SET with maxmemory reached and allkeys-lru evicting (evict.c):
    each server gets maxmemory EVICT_MAXMEMORY and is filled (untimed
    SET -P 16 runs of random keys until it has evicted), then SET of
    random keys (-r 10000000 -d 100) per PIPELINES, every run evicting as
    it writes; median of ROUNDS interleaved rounds (the same table as
    rps)."""
    for s in servers:
        c = Conn(s.port)
        try:
            c.cmd("FLUSHALL")
            c.cmd("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
            c.cmd("CONFIG", "SET", "maxmemory", cfg["evict_maxmemory"])
            for _ in range(50):
                if int(c.info("stats").get("evicted_keys", "0")) > 0:
                    break
                run_benchmark(cfg, s, "set", 16, extra=EVICT_ARGS)
            else:
                log("evict: %s: nothing evicted after the fill" % s.label)
        finally:
            c.close()
    results = {}
    for rnd in range(cfg["rounds"]):
        log("evict: round %d/%d" % (rnd + 1, cfg["rounds"]))
        for pipeline in cfg["pipelines"]:
            for s in servers:
                rps = run_benchmark(cfg, s, "set", pipeline, extra=EVICT_ARGS)
                results.setdefault(("set", pipeline, s.label), []).append(rps)
    header, rows = rps_rows(servers, cfg, ["set"], results, "test")
    print("\n== evict: maxmemory %s, allkeys-lru, SET %s: requests/s, "
          "median of %d rounds, -c %d, -n %d (P=1) / %d (P>1) ==" % (
              cfg["evict_maxmemory"], " ".join(EVICT_ARGS), cfg["rounds"],
              cfg["clients"], cfg["n"], cfg["n_pipelined"]))
    print_table(header, rows)
    notes = []
    for s in servers:
        c = Conn(s.port)
        try:
            mem, st = c.info("memory"), c.info("stats")
            notes.append("%s: %s keys, used_memory %s, evicted_keys %s"
                         % (s.label, c.cmd("DBSIZE"), mem.get("used_memory"),
                            st.get("evicted_keys")))
        finally:
            c.close()
    for n in notes + ["target: oxredis/redis5 >= 1.0"]:
        print("  " + n)


SECTIONS = {"rps": section_rps, "rss": section_rss, "types": section_types,
            "rdb": section_rdb, "sync": section_sync,
            "replload": section_replload, "scripts": section_scripts,
            "aof": section_aof, "bigval": section_bigval,
            "evict": section_evict}


# ------------------------------------------------------------------- main


def reproduce_command(binaries, cfg, sections, pin):
    """The shell command that runs this benchmark again with the same
    settings, every one spelled out (defaults may change)."""
    env = os.environ.get
    sets = []
    for name in ("OXREDIS_BIN", "OXREDIS_ARGS", "REDIS_BIN", "REDIS5",
                 "BENCHMARK", "REDIS_CLI", "PORTS"):
        if env(name):
            sets.append((name, env(name)))
    sets += [("SECTIONS", " ".join(sections)),
             ("ROUNDS", cfg["rounds"]),
             ("TESTS", ",".join(cfg["tests"])),
             ("PIPELINES", " ".join(map(str, cfg["pipelines"]))),
             ("CLIENTS", cfg["clients"]), ("N", cfg["n"]),
             ("N_PIPELINED", cfg["n_pipelined"]),
             ("POPULATE", cfg["populate"])]
    if "evict" in sections:
        sets.append(("EVICT_MAXMEMORY", cfg["evict_maxmemory"]))
    if "types" in sections:
        sets.append(("TYPE_KEYS", cfg["type_keys"]))
    sets.append(("PIN", pin))
    return "cd %s && %s bench/bench.sh" % (
        shlex.quote(REPO),
        " ".join("%s=%s" % (k, shlex.quote(str(v))) for k, v in sets))


def git_revision():
    """`git describe`-like revision of the tree, "+dirty" if modified."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"],
                              cwd=REPO, capture_output=True, text=True,
                              timeout=30).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain",
                                "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True,
                               timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (head or "unknown") + ("+dirty" if dirty else "")


def main():
    if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0
    env = os.environ.get
    ox_bin = env("OXREDIS_BIN")
    if not ox_bin:
        ox_bin = os.path.join(REPO, "target/release/oxredis-server")
        if not os.access(ox_bin, os.X_OK):
            log("building %s" % ox_bin)
            subprocess.run(["cargo", "build", "--release"], cwd=REPO,
                           check=True)
    binaries = [("oxredis", ox_bin),
                ("redis", env("REDIS_BIN", "/usr/bin/redis-server"))]
    if env("REDIS5"):
        binaries.append(("redis5", env("REDIS5")))
    extra_args = {"oxredis": shlex.split(env("OXREDIS_ARGS", ""))}
    for label, b in binaries:
        if not os.access(b, os.X_OK):
            raise SystemExit("bench: %s binary %s is not executable"
                             % (label, b))

    benchmark = env("BENCHMARK") or shutil.which("redis-benchmark")
    if not benchmark:
        raise SystemExit("bench: redis-benchmark not found "
                         "(apt-get install redis-tools)")
    n = int(env("N", "100000"))
    pin = env("PIN", "0")
    ncpu = len(os.sched_getaffinity(0))
    if pin == "1" and (ncpu < 2 or not shutil.which("taskset")):
        raise SystemExit("bench: PIN=1 needs 2 CPUs and taskset")
    tests = [t.strip() for t in env("TESTS", "set,get,incr,mset")
             .split(",") if t.strip()]
    if env("TESTS_TYPES", "0") == "1":
        tests += [t for t in TYPE_TESTS if t not in tests]
    cli = env("REDIS_CLI") or shutil.which("redis-cli")
    cfg = {
        "benchmark": benchmark,
        "cli": cli,
        "tests": tests,
        "pipelines": [int(p) for p in env("PIPELINES", "1 16").split()],
        "rounds": int(env("ROUNDS", "5")),
        "clients": int(env("CLIENTS", "50")),
        "n": n,
        "n_pipelined": int(env("N_PIPELINED", str(10 * n))),
        "populate": int(env("POPULATE", "1000000")),
        "evict_maxmemory": env("EVICT_MAXMEMORY", "50mb"),
        "type_keys": int(env("TYPE_KEYS", env("POPULATE", "1000000"))),
        "server_cpus": {1} if pin == "1" else None,
        "bench_cpus": [0] if pin == "1" else None,
    }
    sections = env("SECTIONS", "rps rss").split()
    for name in sections:
        if name not in SECTIONS:
            raise SystemExit("bench: unknown section %r (known: %s)"
                             % (name, " ".join(SECTIONS)))
    if "types" in sections and not cli:
        raise SystemExit("bench: redis-cli not found (apt-get install "
                         "redis-tools)")

    print("bench: " + ", ".join("%s=%s" % lb for lb in binaries)
          + ("; oxredis args: %s" % " ".join(extra_args["oxredis"])
             if extra_args["oxredis"] else ""))
    print("bench: redis-benchmark=%s, pinning=%s, cpus=%d"
          % (benchmark, "server cpu1 / benchmark cpu0" if pin == "1"
             else "off", ncpu))
    print("bench: tree %s; reproduce with:\n  %s"
          % (git_revision(), reproduce_command(binaries, cfg, sections, pin)))
    sys.stdout.flush()

    # SIGTERM/SIGHUP -> SystemExit, so the finally below kills the servers.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(143))
    for name in sections:
        servers = []
        try:
            for label, b in binaries:
                servers.append(Server(label, b, cfg["server_cpus"],
                                      extra_args.get(label, ())))
            SECTIONS[name](servers, cfg)
        finally:
            for s in servers:
                s.stop()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:  # e.g. `bench.sh --help | head`
        sys.exit(1)
