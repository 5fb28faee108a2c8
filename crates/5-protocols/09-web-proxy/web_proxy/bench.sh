#!/usr/bin/env bash
# Measures what a cache hit is worth: requests per second for one small object
#   1. straight from http_server (the origin);
#   2. through web_proxy --reverse in front of http_server, which sends
#      Cache-Control: no-cache, so every request is revalidated (a 304 from the origin,
#      over a new connection each time);
#   3. through web_proxy --reverse in front of an origin that allows caching
#      (max-age=3600), so every request after the first is a hit the origin never sees.
# The same 1,211-byte body each time (http_server's start page; the Python origin sends
# 1,211 bytes too). loadgen --http: keep-alive clients, each GET after the previous
# response, every response checked (status 200, body length). Release builds.
# Usage: crates/5-protocols/09-web-proxy/web_proxy/bench.sh [OUTPUT_FOLDER]
#   (default: /tmp/proxy-bench). Writes proxy-bench.csv and proxy-bench.svg there.
#   CLIENTS (default 16) and SECONDS_PER_RUN (default 3) change the load.
set -euo pipefail
cd "$(dirname "$0")/../../../.."
out=${1:-${TMPDIR:-/tmp}/proxy-bench}
clients=${CLIENTS:-16}
seconds=${SECONDS_PER_RUN:-3}
mkdir -p "$out"
out=$(cd "$out" && pwd)

cargo build --release -q -p loadgen -p http_server -p web_proxy
bin=$PWD/target/release
tmp=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT

# Starts a server in the background (in this shell, so that the trap above stops it) and
# waits for its readiness line, kept in $tmp/NAME.ready.
start() {
  local name=$1
  shift
  "$@" >"$tmp/$name.ready" 2>"$tmp/$name.log" &
  pids+=($!)
  for _ in $(seq 400); do
    grep -q '^listening on' "$tmp/$name.ready" 2>/dev/null && return
    sleep 0.025
  done
  echo "bench.sh: $name did not start: $(cat "$tmp/$name.log")" >&2
  exit 1
}
addr() { sed -n 's/^listening on //p' "$tmp/$1.ready"; }

start http_server "$bin/http_server" --port 0 --quiet
start origin python3 crates/5-protocols/09-web-proxy/web_proxy/tests/peers/origin.py
start edge1 "$bin/web_proxy" --port 0 --quiet --reverse "http://$(addr http_server)"
start edge2 "$bin/web_proxy" --port 0 --quiet --reverse "http://$(addr origin)"
cacheable="/index.html?cc=public,max-age=3600&size=1211"

csv=$out/proxy-bench.csv
echo "label,mode,connections,size,ok,errors,seconds,requests_per_s,connections_per_s,p50_us,p90_us,p99_us,max_us,first_p50_us,first_max_us" >"$csv"

# One loadgen run: a label, an address, a path.
load() {
  local label=$1 addr=$2 path=$3
  "$bin/loadgen" --port "${addr##*:}" --http "$path" -c 4 -d 1 -q >/dev/null # warm-up
  "$bin/loadgen" --port "${addr##*:}" --http "$path" -c "$clients" -d "$seconds" -q \
    --format csv-row --label "$label" >>"$csv" ||
    echo "bench.sh: $label: loadgen reported errors (see the errors column)" >&2
}

echo "$clients keep-alive clients, $seconds s per run ..." >&2
load "http_server, direct" "$(addr http_server)" /index.html
load "web_proxy, revalidated (304)" "$(addr edge1)" /index.html
load "web_proxy, hit" "$(addr edge2)" "$cacheable"

"$bin/bench_chart" "$csv" "$out/proxy-bench.svg" \
  --title "One 1,211-byte object, $clients keep-alive clients: origin, revalidated, cached"
cat "$csv" >&2
echo "wrote $csv and $out/proxy-bench.svg" >&2
