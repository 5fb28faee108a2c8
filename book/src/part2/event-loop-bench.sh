#!/usr/bin/env bash
# Reproduces the measurements of "An event loop: epoll": loadgen against the thread server
# and the epoll server (release builds) with 1,000 and then 10,000 clients connected at
# once, each client sending 64-byte requests one after another for 10 seconds; for every
# run, the server's peak memory (VmHWM in /proc/PID/status). Writes event-loop.csv and a
# chart of it, event-loop.svg, into the folder you name (default: target/bench/event-loop).
# Usage: book/src/part2/event-loop-bench.sh [FOLDER]   (run from anywhere; about a minute)
set -euo pipefail
cd "$(dirname "$0")/../../.."
dir=${1:-target/bench/event-loop}
mkdir -p "$dir"
out=$dir/event-loop.csv

# 10,000 clients need 10,000 descriptors in loadgen and as many in the server, plus a
# few: raise the limit (as root, the hard limit too) before anything starts.
want=30000
ulimit -Hn "$want" 2>/dev/null || true
ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt 10100 ]; then
  echo "event-loop-bench.sh: ulimit -n is $(ulimit -n); 10,000 clients need at least 10100" \
    "(raise the hard limit, or run as root)" >&2
  exit 1
fi

cargo build --release -q -p loadgen -p tcp_upper_thread_server -p tcp_upper_epoll_server
bin=target/release
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

# Starts a server on a free port; sets $pid and $port once it printed its readiness line.
# The server runs in a session of its own (setsid). Where the kernel shares the CPU by
# session (autogroup, the default on most Linux desktops and this course's VMs), the
# server then gets its own share, whatever its number of threads, and as root the script
# raises that share (autogroup nice -10, or renice without autogroup) so that other jobs
# on the machine weigh less on the numbers. Both servers are treated alike.
start() {
  setsid "$bin/$1" --port 0 >"$tmp/ready" 2>/dev/null &
  pid=$!
  for _ in $(seq 200); do
    grep -q '^listening on' "$tmp/ready" 2>/dev/null && break
    sleep 0.025
  done
  port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$tmp/ready")
  [ -n "$port" ] || { echo "event-loop-bench.sh: $1 did not start" >&2; exit 1; }
  [ "$(cat "/proc/$pid/comm")" = "${1:0:15}" ] || { echo "event-loop-bench.sh: $pid is not $1" >&2; exit 1; }
  if [ "$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null)" = 1 ]; then
    echo -10 2>/dev/null >"/proc/$pid/autogroup" || priority=normal
  else
    renice -n -10 -p "$pid" >/dev/null 2>&1 || priority=normal
  fi
}
priority=raised

stop() {
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# The server's peak resident memory so far, in kB.
peak_rss() {
  sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$pid/status"
}

# The CPU time the server has used so far (user + system), in seconds.
cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' "/proc/$pid/stat"
}

# The header row: loadgen's (as `loadgen --format csv` prints it), then the server's memory
# and CPU time.
echo "label,mode,connections,size,ok,errors,seconds,requests_per_s,connections_per_s,p50_us,p90_us,p99_us,max_us,first_p50_us,first_max_us,server_peak_rss_kb,server_cpu_s" >"$out"
for clients in 1000 10000; do
  for server in tcp_upper_thread_server tcp_upper_epoll_server; do
    name=${server#tcp_upper_}
    name=${name%_server}
    # A fresh server for every run, so the peak memory is this run's.
    start "$server"
    echo "$name, $clients clients ..." >&2
    row=$("$bin/loadgen" --port "$port" -q --format csv-row --label "$name" \
      -c "$clients" -d 10 --timeout 30) ||
      echo "event-loop-bench.sh: $name: loadgen reported errors (see the errors column)" >&2
    cpu=$(cpu_seconds)
    echo "$row,$(peak_rss),$cpu" >>"$out"
    # A sanity check on the clocks: no process can use more CPU time than the machine's
    # cores have in the time measured. (On a badly overloaded virtual machine it happens,
    # and then none of that run's numbers can be trusted.)
    seconds=$(echo "$row" | cut -d, -f7)
    if awk -v c="$cpu" -v s="$seconds" -v n="$(getconf _NPROCESSORS_ONLN)" 'BEGIN { exit !(c > s * n) }'; then
      echo "event-loop-bench.sh: $name used ${cpu} s of CPU in ${seconds} s on $(getconf _NPROCESSORS_ONLN) cores:" \
        "this machine's clocks are not to be trusted for this run" >&2
    fi
    stop
  done
done
[ "$priority" = raised ] ||
  echo "event-loop-bench.sh: not root, so the servers ran at normal priority" >&2
"$bin/bench_plot" "$out" --out "$dir/event-loop.svg"
echo "wrote $out and $dir/event-loop.svg" >&2
