#!/usr/bin/env bash
# Instructions per request (callgrind, the whole server process) of EVAL
# and EVALSHA of `return redis.call('incr',KEYS[1])`, the scripts section
# of bench.sh without the noise of a shared machine.
#
# Usage: bench/callgrind_scripts.sh SERVER_BINARY PORT
#   N=40000 P=16 bench/callgrind_scripts.sh target/release/oxredis-server 21111
#   bench/callgrind_scripts.sh /path/to/redis-5.0.14/src/redis-server 21112
#
# The server runs under valgrind --tool=callgrind in a temp dir; after
# 5,000 warm-up requests the counters are zeroed, N requests run (-c 50,
# -P P), and the total is dumped and divided by N. Needs valgrind
# (callgrind_control), redis-cli and redis-benchmark.
set -euo pipefail
BIN=$1
PORT=$2
N=${N:-40000}
P=${P:-16}
D=$(mktemp -d)
trap 'redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$D"' EXIT
valgrind --tool=callgrind --compress-strings=no --compress-pos=no \
    --callgrind-out-file="$D/cg.out.%p" "$BIN" --port "$PORT" \
    --bind 127.0.0.1 --save "" --appendonly no --dir "$D" \
    >/dev/null 2>"$D/valgrind.err" &
VPID=$!
for _ in $(seq 100); do
    redis-cli -p "$PORT" ping >/dev/null 2>&1 && break
    sleep 0.5
done
S="return redis.call('incr',KEYS[1])"
SHA=$(redis-cli -p "$PORT" script load "$S")
redis-benchmark -p "$PORT" -n 5000 -P "$P" -c 50 eval "$S" 1 k >/dev/null
for t in eval evalsha; do
    callgrind_control -z "$VPID" >/dev/null 2>&1
    if [ "$t" = eval ]; then
        redis-benchmark -p "$PORT" -n "$N" -P "$P" -c 50 eval "$S" 1 k >/dev/null
    else
        redis-benchmark -p "$PORT" -n "$N" -P "$P" -c 50 evalsha "$SHA" 1 k >/dev/null
    fi
    callgrind_control -d "$t" "$VPID" >/dev/null 2>&1
    sleep 1
    F=$(ls -t "$D"/cg.out.*.* | head -1)
    IR=$(awk '/^summary:/ {print $2; exit}' "$F")
    echo "$t -P $P: $((IR / N)) instructions per request ($BIN)"
done
redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
wait "$VPID" || true
