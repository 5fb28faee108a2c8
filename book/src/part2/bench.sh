#!/usr/bin/env bash
# Reproduces the measurements of "One client, many clients": loadgen against each of the
# four uppercase servers (release builds) at 1, 16, 128 and 1000 clients at once, then with
# a new connection for every request, and the minimal echo server as the floor.
# Usage: book/src/part2/bench.sh [DIR]   (run from anywhere; takes about a minute)
# Writes DIR/bench.csv; DIR defaults to target/bench in the workspace. The book's own
# bench.csv is the record of one run: the script never writes there unless you name it.
set -euo pipefail
dir=${1:-"$(dirname "$0")/../../../target/bench"}
mkdir -p "$dir"
out="$(cd "$dir" && pwd)/bench.csv"
cd "$(dirname "$0")/../../.."
echo "bench.sh: the results go to $out" >&2

# 1000 clients need 1000 descriptors in loadgen and as many in the server.
ulimit -n 20000 2>/dev/null || true
if [ "$(ulimit -n)" -lt 2200 ]; then
  echo "bench.sh: ulimit -n is $(ulimit -n); 1000 clients need at least 2200" >&2
  exit 1
fi

cargo build --release -q -p loadgen -p tcp_upper_server -p tcp_upper_fork_server \
  -p tcp_upper_thread_server -p tcp_upper_pool_server
bin=target/release
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

# Starts a server on a free port; sets $pid and $port once it printed its readiness line.
start() {
  "$bin/$1" --port 0 >"$tmp/ready" 2>/dev/null &
  pid=$!
  for _ in $(seq 200); do
    grep -q '^listening on' "$tmp/ready" 2>/dev/null && break
    sleep 0.025
  done
  port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$tmp/ready")
  [ -n "$port" ] || { echo "bench.sh: $1 did not start" >&2; exit 1; }
}

stop() {
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# One loadgen run: a label (the server), then loadgen's own arguments. A run with errors still
# prints its row (loadgen then exits 1, which is reported but does not stop the script).
load() {
  local label=$1
  shift
  "$bin/loadgen" --port "$port" -q --format csv-row --label "$label" "$@" >>"$out" ||
    echo "bench.sh: $label: loadgen reported errors (see the errors column)" >&2
}

# The header row, as `loadgen --format csv` prints it.
echo "label,mode,connections,size,ok,errors,seconds,requests_per_s,connections_per_s,p50_us,p90_us,p99_us,max_us,first_p50_us,first_max_us" >"$out"
for server in tcp_upper_server tcp_upper_fork_server tcp_upper_thread_server tcp_upper_pool_server; do
  name=${server#tcp_upper_}
  name=${name%_server}
  [ "$name" = server ] && name=iterative
  start "$server"
  echo "$name ..." >&2
  load "$name" -c 1 -n 20000
  load "$name" -c 16 -n 2000
  load "$name" -c 128 -n 250
  load "$name" -c 1000 -n 30
  load "$name" -c 16 -n 300 --connect-per-request
  stop
done

# The floor: the smallest echo server, measured the same way with one client.
start echo_floor
load echo_floor -c 1 -n 20000 --expect echo
stop
echo "wrote $out" >&2
