#!/usr/bin/env python3
"""oxredis vs redis-server: throughput (redis-benchmark) and memory.

Usage:
    bench/bench.sh                       # oxredis vs Debian's redis-server
    REDIS5=/path/to/redis-server bench/bench.sh   # plus a Redis 5.0.14 build
    ROUNDS=3 N=50000 TESTS=set,get bench/bench.sh
    OXREDIS_BIN=/usr/bin/redis-server bench/bench.sh   # dry run: redis vs
                                                       # redis = noise level

Environment (all optional):
    OXREDIS_BIN  server under test (default target/release/oxredis-server,
                 built with `cargo build --release` if missing)
    REDIS_BIN    the reference (default /usr/bin/redis-server)
    REDIS5       a third binary, e.g. Redis 5.0.14 built elsewhere
    BENCHMARK    redis-benchmark binary (default: from PATH)
    SECTIONS     which sections to run, in order (default "rps rss")
    TESTS        redis-benchmark -t names, comma separated
                 (default set,get,incr,mset; e.g. add lpush,rpush,lpop,rpop,
                 sadd,hset,spop,zadd,zpopmin,lrange_100)
    PIPELINES    -P values (default "1 16")
    ROUNDS       rounds of the A B (C) interleaving (default 5)
    CLIENTS      -c (default 50)
    N            -n for pipeline 1 (default 100000)
    N_PIPELINED  -n for pipelines > 1 (default 10 * N)
    POPULATE     keys for DEBUG POPULATE in the rss section (default 1000000)
    PIN          "1": run servers on CPU 1 and redis-benchmark on CPU 0
                 (needs 2 CPUs and taskset); default "0", no pinning. On
                 the 2-vCPU VM this was written on, pinning halved the
                 P=1 numbers (cross-CPU wakeups) without less noise.

Every server gets its own temp dir and a free port, and runs with
--save "" --appendonly no (Redis >= 7 also --enable-debug-command yes).
Each (round, pipeline, test) runs redis-benchmark against every server in
turn, so drift on the machine hits all of them alike; the table shows the
median requests/s. Servers are killed on exit, also on Ctrl-C or SIGTERM.

To add a section: write `def section_NAME(servers, cfg)` below and list
NAME in SECTIONS; `servers` is the list of started Server objects (fresh
for each section).
"""

import csv
import ctypes
import io
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_TIMEOUT = 600  # seconds per redis-benchmark run
START_TIMEOUT = 10  # seconds for a server to answer PING


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- servers


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    def __init__(self, label, binary, cpus):
        self.label = label
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="oxredis-bench-%s-" % label)
        self.port = free_port()
        self.logpath = os.path.join(self.dir, "server.log")
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", self.dir, "--save", "", "--appendonly", "no"]
        major = major_version(binary)
        if major is not None and major >= 7:
            args += ["--enable-debug-command", "yes"]
        self.logfile = open(self.logpath, "wb")

        def preexec():
            # PR_SET_PDEATHSIG = 1: SIGKILL the server if this script dies
            # without running its cleanup (e.g. it is SIGKILLed itself).
            ctypes.CDLL(None).prctl(1, signal.SIGKILL)
            if cpus:
                os.sched_setaffinity(0, cpus)

        self.proc = subprocess.Popen(
            args, cwd=self.dir, stdin=subprocess.DEVNULL,
            stdout=self.logfile, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=preexec)
        self.wait_ready()

    def wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if resp_command(self.port, "PING", timeout=1) == "PONG":
                    return
            except (OSError, RuntimeError):
                pass
            time.sleep(0.05)
        with open(self.logpath, errors="replace") as f:
            text = f.read()
        self.stop()
        raise SystemExit("%s (%s) did not start:\n%s"
                         % (self.label, self.binary, text))

    def proc_status(self):
        """VmRSS, VmHWM of the server process, in kB."""
        fields = {}
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM"):
                    fields[k] = int(v.split()[0])
        return fields

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logfile.close()
        shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------- sections


def bench_name(row_name):
    """`MSET (10 keys)` -> `mset`, `LRANGE_100 (first 100 elements)` ->
    `lrange_100`; None for redis-benchmark's preparation runs."""
    if "needed to benchmark" in row_name:
        return None
    return row_name.split()[0].lower()


def run_benchmark(cfg, server, test, pipeline):
    """Requests/s of one redis-benchmark run, or None if it failed."""
    n = cfg["n"] if pipeline == 1 else cfg["n_pipelined"]
    cmd = [cfg["benchmark"], "-h", "127.0.0.1", "-p", str(server.port),
           "-c", str(cfg["clients"]), "-n", str(n), "-P", str(pipeline),
           "-t", test, "-q", "--csv"]
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
        if bench_name(row[0]) == test:
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
    if len(values) < 2:
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
                    rps = run_benchmark(cfg, s, test, pipeline)
                    results.setdefault((test, pipeline, s.label), []).append(rps)

    ox, ref = servers[0].label, servers[1].label
    header = ["test", "P", ox + " rps", "±%", ref + " rps", "±%",
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
    print("\n== requests/s: median of %d rounds, -c %d, -n %d (P=1) / %d "
          "(P>1); ±%% = (max-min)/median ==" % (
              cfg["rounds"], cfg["clients"], cfg["n"], cfg["n_pipelined"]))
    print_table(header, rows)


def section_rss(servers, cfg):
    """Memory after DEBUG POPULATE: VmRSS and VmHWM from /proc."""
    n = cfg["populate"]
    rows = []
    for s in servers:
        before = s.proc_status()
        t0 = time.monotonic()
        try:
            resp_command(s.port, "DEBUG", "POPULATE", n)
        except (OSError, RuntimeError) as e:
            log("rss: %s: DEBUG POPULATE failed: %s" % (s.label, e))
            rows.append((s, before, None, None, None))
            continue
        secs = time.monotonic() - t0
        after = s.proc_status()
        keys = resp_command(s.port, "DBSIZE")
        rows.append((s, before, after, secs, keys))

    def mb(kb):
        return "n/a" if kb is None else "%.1f" % (kb / 1024.0)

    ref = rows[1][2]
    header = ["server", "keys", "populate s", "RSS before MB", "VmRSS MB",
              "VmHWM MB", "RSS / " + servers[1].label,
              "HWM / " + servers[1].label]
    table = []
    for s, before, after, secs, keys in rows:
        rss = after and after["VmRSS"]
        hwm = after and after["VmHWM"]
        table.append([
            s.label, "n/a" if keys is None else keys,
            "n/a" if secs is None else "%.2f" % secs,
            mb(before["VmRSS"]), mb(rss), mb(hwm),
            fmt_ratio(rss, ref and ref["VmRSS"]),
            fmt_ratio(hwm, ref and ref["VmHWM"])])
    print("\n== memory: DEBUG POPULATE %d on a fresh server ==" % n)
    print_table(header, table)


SECTIONS = {"rps": section_rps, "rss": section_rss}


# ------------------------------------------------------------------- main


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
    cfg = {
        "benchmark": benchmark,
        "tests": [t.strip() for t in env("TESTS", "set,get,incr,mset")
                  .split(",") if t.strip()],
        "pipelines": [int(p) for p in env("PIPELINES", "1 16").split()],
        "rounds": int(env("ROUNDS", "5")),
        "clients": int(env("CLIENTS", "50")),
        "n": n,
        "n_pipelined": int(env("N_PIPELINED", str(10 * n))),
        "populate": int(env("POPULATE", "1000000")),
        "server_cpus": {1} if pin == "1" else None,
        "bench_cpus": [0] if pin == "1" else None,
    }
    sections = env("SECTIONS", "rps rss").split()
    for name in sections:
        if name not in SECTIONS:
            raise SystemExit("bench: unknown section %r (known: %s)"
                             % (name, " ".join(SECTIONS)))

    print("bench: " + ", ".join("%s=%s" % lb for lb in binaries))
    print("bench: redis-benchmark=%s, pinning=%s, cpus=%d"
          % (benchmark, "server cpu1 / benchmark cpu0" if pin == "1"
             else "off", ncpu))
    sys.stdout.flush()

    # SIGTERM/SIGHUP -> SystemExit, so the finally below kills the servers.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(143))
    for name in sections:
        servers = []
        try:
            for label, b in binaries:
                servers.append(Server(label, b, cfg["server_cpus"]))
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
