#!/usr/bin/env bash
# Measures http_server against nginx, in one run, on the same small static file:
#   1. 64 keep-alive clients, each GET after the previous response (loadgen --http),
#      twice each, alternating, so that a busy moment of the machine does not fall on
#      one server only;
#   2. the same with 1,000 slowloris connections open (half send a byte a second, half
#      send nothing), and 8 normal clients measured meanwhile.
# Release builds; nginx 1.x from Debian with a generated configuration (two workers,
# 127.0.0.1 only, a temporary prefix, nothing written outside it).
# Usage: book/src/part5/http-bench.sh [OUTPUT_FOLDER]   (default: /tmp/http-bench)
# Writes OUTPUT_FOLDER/http-bench.csv (loadgen's columns), http-bench.svg (the chart) and
# slowloris.txt (what the slow connections saw). Takes about two minutes.
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=${1:-${TMPDIR:-/tmp}/http-bench}
seconds=${SECONDS_PER_RUN:-10}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# 1,000 slow connections and 64 clients need descriptors on both sides.
ulimit -n 20000 2>/dev/null || true
if [ "$(ulimit -n)" -lt 4096 ]; then
  echo "http-bench.sh: ulimit -n is $(ulimit -n); 1,000 slow connections need at least 4096" >&2
  exit 1
fi

if ! command -v nginx >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y --no-install-recommends nginx >/dev/null
  else
    echo "http-bench.sh: nginx is missing: sudo apt-get install --no-install-recommends nginx" >&2
    exit 1
  fi
fi

cargo build --release -q -p loadgen -p http_server
bin=$PWD/target/release
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT
# nginx's workers run as nobody: they must be able to read the file.
chmod 755 "$tmp"
mkdir "$tmp/www"
file=index.html
cp crates/5-protocols/03-http-server/http_server/site/index.html "$tmp/www/$file"
chmod -R a+rX "$tmp/www"
bytes=$(wc -c <"$tmp/www/$file")

# A free port for nginx, which cannot take port 0 and report it.
nginx_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$tmp/nginx.conf" <<EOF
worker_processes 2;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/error.log;
events { worker_connections 8192; }
http {
  access_log off;
  sendfile on;
  tcp_nodelay on;
  keepalive_requests 1000;
  client_body_temp_path $tmp/client_body;
  proxy_temp_path $tmp/proxy;
  fastcgi_temp_path $tmp/fastcgi;
  uwsgi_temp_path $tmp/uwsgi;
  scgi_temp_path $tmp/scgi;
  types { text/html html; }
  server {
    listen 127.0.0.1:$nginx_port;
    root $tmp/www;
  }
}
EOF
nginx -p "$tmp" -c "$tmp/nginx.conf" -e "$tmp/error.log" &
for _ in $(seq 200); do
  (exec 3<>"/dev/tcp/127.0.0.1/$nginx_port") 2>/dev/null && break
  sleep 0.025
done

"$bin/http_server" --port 0 --root "$tmp/www" --quiet >"$tmp/ready" 2>"$tmp/http_server.log" &
for _ in $(seq 200); do
  grep -q '^listening on' "$tmp/ready" 2>/dev/null && break
  sleep 0.025
done
ours_port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$tmp/ready")
[ -n "$ours_port" ] || { echo "http-bench.sh: http_server did not start" >&2; exit 1; }

csv=$out/http-bench.csv
echo "label,mode,connections,size,ok,errors,seconds,requests_per_s,connections_per_s,p50_us,p90_us,p99_us,max_us,first_p50_us,first_max_us" >"$csv"

# One loadgen run: a label, a port, then loadgen's own arguments.
load() {
  local label=$1 port=$2
  shift 2
  "$bin/loadgen" --port "$port" --http "/$file" --expect-bytes "$bytes" -q \
    --format csv-row --label "$label" "$@" >>"$csv" ||
    echo "http-bench.sh: $label: loadgen reported errors (see the errors column)" >&2
}

echo "64 keep-alive clients, $seconds s per run ..." >&2
"$bin/loadgen" --port "$nginx_port" --http "/$file" -c 8 -d 1 -q >/dev/null # warm-up
"$bin/loadgen" --port "$ours_port" --http "/$file" -c 8 -d 1 -q >/dev/null
for round in 1 2; do
  load "nginx ($round)" "$nginx_port" -c 64 -d "$seconds"
  load "http_server ($round)" "$ours_port" -c 64 -d "$seconds"
done

echo "1,000 slowloris connections open, 8 clients measured ..." >&2
: >"$out/slowloris.txt"
for server in nginx http_server; do
  port=$nginx_port
  [ "$server" = http_server ] && port=$ours_port
  "$bin/slowloris" --port "$port" -c 1000 -d $((seconds + 6)) \
    >>"$out/slowloris.txt" 2>"$tmp/slowloris.err" &
  slow=$!
  for _ in $(seq 400); do
    grep -q 'connections open' "$tmp/slowloris.err" 2>/dev/null && break
    sleep 0.025
  done
  sleep 1
  load "$server + 1000 slowloris" "$port" -c 8 -d "$seconds"
  wait "$slow"
  sed -i "\$s/^slowloris:/slowloris against $server:/" "$out/slowloris.txt"
done

"$bin/bench_chart" "$csv" "$out/http-bench.svg" \
  --title "A ${bytes}-byte file over keep-alive: nginx (2 workers) and http_server"
column -s, -t <"$csv" | cut -c1-200 >&2
cat "$out/slowloris.txt" >&2
echo "wrote $csv, $out/http-bench.svg and $out/slowloris.txt" >&2
