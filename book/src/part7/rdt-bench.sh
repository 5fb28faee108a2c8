#!/usr/bin/env bash
# Reproduces the measurements of "Reliable data transfer by hand: rdt": the goodput of
# Go-Back-N and selective repeat (release builds) for windows of 1 to 32 packets,
#  1. on loopback, with rdt's own dice losing 10% of the packets on each side, and
#  2. (as root) across a netlab link that loses 2% of the frames each way and delays
#     them 10 ms, where TCP (Linux's, driven by a few lines of Python) sends the same file.
# Each point is three runs (seeds 1, 2, 3) with a file of 1 MiB. Writes rdt-goodput.csv
# and a chart of it, rdt-goodput.svg, into the folder you name (default:
# target/bench/rdt). Usage: book/src/part7/rdt-bench.sh [FOLDER]   (about ten minutes)
set -euo pipefail
cd "$(dirname "$0")/../../.."
dir=${1:-target/bench/rdt}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
out=$dir/rdt-goodput.csv
windows="1 2 4 8 16 32"
runs="1 2 3"

cargo build --release -q -p rdt -p netlab
rdt=$PWD/target/release/rdt
netlab=$PWD/target/release/netlab
lab=rdtbench
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true
  if [ "$(id -u)" = 0 ]; then "$netlab" --lab $lab down >/dev/null 2>&1 || true; fi
  rm -rf "$tmp"' EXIT
head -c 1048576 /dev/urandom >"$tmp/file"

# Starts a receiver (the command in "$@", which prints `listening on ADDR`) in the
# background; sets $pid and $port once it is ready.
start() {
  : >"$tmp/ready" # emptied here, before the receiver starts: no stale port read
  "$@" >"$tmp/ready" 2>"$tmp/receiver.err" &
  pid=$!
  port=
  for _ in $(seq 400); do
    port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$tmp/ready")
    [ -n "$port" ] && return
    sleep 0.025
  done
  echo "rdt-bench.sh: the receiver did not start: $(cat "$tmp/receiver.err")" >&2
  exit 1
}

# Checks that the receiver ended well and the file arrived whole; sets $rate to the
# goodput (Mbit/s) the sender printed.
finish() {
  wait "$pid" || { echo "rdt-bench.sh: the receiver failed: $(cat "$tmp/receiver.err")" >&2; exit 1; }
  cmp -s "$tmp/file" "$tmp/copy" || { echo "rdt-bench.sh: the copy differs" >&2; exit 1; }
  rate=$(sed -n 's/^done in .* s: \([0-9.]*\) Mbit\/s goodput$/\1/p' "$tmp/sent")
  [ -n "$rate" ] || { echo "rdt-bench.sh: no goodput in: $(cat "$tmp/sent")" >&2; exit 1; }
}

echo "setting,protocol,window,run,goodput_mbit_s" >"$out"
for protocol in gbn sr; do
  for window in $windows; do
    for run in $runs; do
      echo "loopback $protocol window $window run $run ..." >&2
      start "$rdt" receive --port 0 --out "$tmp/copy" --loss 10 --seed "$run" --linger 200
      "$rdt" send "$tmp/file" --port "$port" --protocol "$protocol" --window "$window" \
        --timeout 20 --loss 10 --seed "$((run + 100))" >"$tmp/sent"
      finish
      echo "loopback,$protocol,$window,$run,$rate" >>"$out"
    done
  done
done

if [ "$(id -u)" != 0 ]; then
  echo "rdt-bench.sh: not root, so no netlab runs (loopback only)" >&2
else
  "$netlab" --lab $lab up pair --loss 2% --delay 10ms --seed 1 >/dev/null
  for protocol in gbn sr; do
    for window in $windows; do
      for run in $runs; do
        echo "netlab $protocol window $window run $run ..." >&2
        start "$netlab" --lab $lab run h2 -- "$rdt" receive --host 0.0.0.0 --port 0 \
          --out "$tmp/copy" --linger 500
        "$netlab" --lab $lab run h1 -- "$rdt" send "$tmp/file" --host 192.0.2.2 \
          --port "$port" --protocol "$protocol" --window "$window" --timeout 100 >"$tmp/sent"
        finish
        echo "netlab,$protocol,$window,$run,$rate" >>"$out"
      done
    done
  done
  # TCP on the same link: a Python receiver reads to the end of the stream; the sender
  # times from connect() to the receiver's close, which comes after the last byte.
  for run in $runs; do
    echo "netlab tcp run $run ..." >&2
    start "$netlab" --lab $lab run h2 -- python3 -c '
import socket, sys
s = socket.socket(); s.bind(("0.0.0.0", 0)); s.listen(1)
print("listening on 0.0.0.0:%d" % s.getsockname()[1], flush=True)
c, _ = s.accept()
with open(sys.argv[1], "wb") as f:
    while True:
        b = c.recv(65536)
        if not b: break
        f.write(b)
c.close()' "$tmp/copy"
    "$netlab" --lab $lab run h1 -- python3 -c '
import socket, sys, time
data = open(sys.argv[3], "rb").read()
t = time.monotonic()
c = socket.create_connection((sys.argv[1], int(sys.argv[2])))
c.sendall(data); c.shutdown(socket.SHUT_WR)
while c.recv(65536): pass
s = time.monotonic() - t
print("done in %.3f s: %.3f Mbit/s goodput" % (s, len(data) * 8 / s / 1e6))' \
      192.0.2.2 "$port" "$tmp/file" >"$tmp/sent"
    finish
    echo "netlab,tcp,,$run,$rate" >>"$out"
  done
  "$netlab" --lab $lab down >/dev/null
fi
python3 book/src/part7/rdt-plot.py "$out" "$dir/rdt-goodput.svg"
echo "wrote $out and $dir/rdt-goodput.svg" >&2
