#!/usr/bin/env bash
# The event trace's cost in instructions, which a shared, noisy machine
# does not blur as it blurs requests/s: each server runs under
# `valgrind --tool=cachegrind --cache-sim=no`, serves the same
# `redis-benchmark -c 50 -P 16 -t set,get -n N` and is shut down; the
# line is the instructions it executed (cachegrind's "I refs") and the
# size of the trace it wrote. Per round, in turn: BASE_BIN, OXREDIS_BIN
# with the trace off, OXREDIS_BIN with `--trace-events yes`.
#
# Usage: BASE_BIN=/path/to/previous/oxredis-server bench/trace_ir.sh
# Environment: OXREDIS_BIN (default target/release/oxredis-server),
# BASE_BIN (default: OXREDIS_BIN), N (default 400000), ROUNDS (default 3).
# Needs valgrind, redis-cli and redis-benchmark (Debian: valgrind,
# redis-tools).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
ox=${OXREDIS_BIN:-$repo/target/release/oxredis-server}
base=${BASE_BIN:-$ox}
n=${N:-400000}
rounds=${ROUNDS:-3}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# run LABEL BIN [server args...]: one server under cachegrind, one
# benchmark, one line.
run() {
    local label=$1 bin=$2
    shift 2
    local port dir pid
    port=$(free_port)
    dir=$(mktemp -d /tmp/oxredis-trace-ir.XXXXXX)
    valgrind --tool=cachegrind --cache-sim=no \
        --cachegrind-out-file="$dir/cg.out" \
        "$bin" --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" "$@" \
        >"$dir/log" 2>&1 &
    pid=$!
    for _ in $(seq 1 300); do
        redis-cli -p "$port" ping >/dev/null 2>&1 && break
        sleep 0.1
    done
    redis-benchmark -p "$port" -c 50 -n "$n" -P 16 -t set,get -q \
        >"$dir/bench" 2>&1
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    wait "$pid" || true
    local ir bytes
    ir=$(grep -m1 "I *refs" "$dir/log" | awk '{print $NF}' | tr -d ,)
    bytes=$(stat -c %s "$dir/trace.jsonl" 2>/dev/null || echo 0)
    printf '%-10s %14s %12s\n' "$label" "$ir" "$bytes"
    rm -rf "$dir"
}

echo "trace_ir: base=$base oxredis=$ox N=$n (set and get, -P 16 -c 50) ROUNDS=$rounds"
printf '%-10s %14s %12s\n' server instructions trace_bytes
for _ in $(seq 1 "$rounds"); do
    run base "$base"
    run off "$ox"
    run on "$ox" --trace-events yes
done
