#!/usr/bin/env bash
# Throughput, memory, RDB persistence and replication of oxredis-server
# against redis-server.
#
# Usage: bench/bench.sh            (bench/bench.sh --help for the settings)
#   OXREDIS_BIN=/usr/bin/redis-server bench/bench.sh   # redis vs redis:
#                                                      # shows the noise
#   REDIS5=/path/to/redis-5.0.14/src/redis-server bench/bench.sh
#   ROUNDS=3 TESTS=set,get,lpush,lrange_100 SECTIONS=rps bench/bench.sh
#   REDIS5=/work/redis-5.0.14/src/redis-server SECTIONS="rdb sync replload" \
#     bench/bench.sh                 # issues 4 and 5: 1M keys, 5 rounds
#   REDIS5=/work/redis-5.0.14/src/redis-server SECTIONS=bigval ROUNDS=3 \
#     bench/bench.sh                 # issue 14: 100 MB SET with a replica,
#                                    # 512 MB SET, SETRANGE to 512 MB
#   REDIS5=/work/redis-5.0.14/src/redis-server SECTIONS=evict \
#     bench/bench.sh                 # SET with maxmemory 50mb, allkeys-lru
#
# The work is done by bench.py (Python 3 standard library only).
set -euo pipefail
exec python3 "$(dirname "$0")/bench.py" "$@"
