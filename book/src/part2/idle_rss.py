#!/usr/bin/env python3
"""What an idle client costs a server, read from /proc.

Starts SERVER (a path to one of the uppercase servers) with --port 0, connects N clients
that each send one byte, read the reply and then stay connected saying nothing, and reads
the memory of the server (and, for the fork server, of its children) from /proc:

- RSS (VmRSS in /proc/PID/status): the pages in memory, counting a page shared by several
  processes once in each of them;
- PSS (Pss in /proc/PID/smaps_rollup): the same, with each shared page divided among the
  processes that share it, so the sum over processes is what they really use together;
- the address space (VmSize) and the number of threads.

Usage: book/src/part2/idle_rss.py SERVER [N ...]   (default N: 0 100 1000)
For the thread and fork servers: a pool serves only --workers clients at once, and the
others would wait for their first reply.
Needs about 2 * max(N) + 50 open files (ulimit -n).
"""

import os
import socket
import subprocess
import sys
import time


def status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.split()
    return fields


def pss_kb(pid):
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def children(pid):
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
            kids.append(int(entry))
    return kids


def measure(server, n):
    proc = subprocess.Popen(
        [server, "--port", "0", "--idle-timeout", "600"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        ready = proc.stdout.readline().strip()
        host, _, port = ready.removeprefix("listening on ").rpartition(":")
        clients = []
        for _ in range(n):
            conn = socket.create_connection((host, int(port)), timeout=10)
            conn.sendall(b"a")
            assert conn.recv(1) == b"A", "not served"
            clients.append(conn)
        time.sleep(0.5)  # let every thread or child settle
        pids = [proc.pid] + children(proc.pid)
        main = status(proc.pid)
        rss = sum(int(status(p)["VmRSS"][0]) for p in pids)
        pss = sum(pss_kb(p) for p in pids)
        row = (n, len(pids) - 1, int(main["Threads"][0]), int(main["VmSize"][0]), rss, pss)
        for conn in clients:
            conn.close()
        return row
    finally:
        proc.terminate()
        proc.wait()


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    server = sys.argv[1]
    counts = [int(n) for n in sys.argv[2:]] or [0, 100, 1000]
    print(f"{os.path.basename(server)}")
    print("clients  children  threads  VmSize kB  RSS kB (all)  PSS kB (all)")
    rows = [measure(server, n) for n in counts]
    for n, kids, threads, vmsize, rss, pss in rows:
        print(f"{n:7}  {kids:8}  {threads:7}  {vmsize:9}  {rss:12}  {pss:12}")
    first, last = rows[0], rows[-1]
    added = last[0] - first[0]
    if added:
        print(
            f"per idle client: RSS {(last[4] - first[4]) / added:.0f} kB, "
            f"PSS {(last[5] - first[5]) / added:.0f} kB, "
            f"address space {(last[3] - first[3]) / added:.0f} kB"
        )


if __name__ == "__main__":
    main()
