#!/usr/bin/env python3
"""A selective-repeat sender for `rdt receive` that behaves as badly as it can.

Usage: rude_sender.py HOST PORT FILE SEED

It sends FILE with the packet layout of the chapter, built here with Python's
struct and zlib.crc32 (if rdt's CRC-32 were not the standard one, no packet would
get through), but: every packet twice, the window in shuffled order, damaged
copies, valid packets of another protocol from the same port, garbage and forged
packets (right header, right CRC, wrong data) from another port, and old packets
again after the window has moved on. At the end it sends the FIN, pretends the
FINACK was lost, and sends the FIN again: the receiver, lingering, must answer
it a second time.

It prints one line per stage on stdout and exits 0 when the receiver has
acknowledged everything; it exits 1 on any surprise.
"""

import random
import socket
import struct
import sys
import time
import zlib

HEADER = struct.Struct("!BBHIHI")  # kind, protocol, window, seq, length, CRC-32
DATA, ACK, FIN, FINACK = 1, 2, 3, 4
GBN, SR = 2, 3
MSS = 1024
WINDOW = 8


def packet(kind, seq, data=b"", protocol=SR):
    head = HEADER.pack(kind, protocol, WINDOW, seq, len(data), 0)
    crc = zlib.crc32(head + data)
    return HEADER.pack(kind, protocol, WINDOW, seq, len(data), crc) + data


def parse(datagram):
    """(kind, seq) of a valid packet, or None."""
    if len(datagram) < HEADER.size:
        return None
    kind, protocol, window, seq, length, crc = HEADER.unpack_from(datagram)
    zeroed = datagram[:10] + b"\0\0\0\0" + datagram[14:]
    if zlib.crc32(zeroed) != crc or length != len(datagram) - HEADER.size:
        return None
    return kind, seq


def fail(message):
    print("rude_sender:", message, file=sys.stderr)
    sys.exit(1)


def main():
    host, port, path, seed = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    rng = random.Random(seed)
    data = open(path, "rb").read()
    segments = [data[i : i + MSS] for i in range(0, len(data), MSS)]
    total = len(segments)
    me = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    me.connect((host, port))
    me.settimeout(0.02)
    stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stranger.connect((host, port))
    deadline = time.monotonic() + 60

    acked = set()
    base = 0
    rounds = 0
    while base < total:
        if time.monotonic() > deadline:
            fail(f"no progress: base {base} of {total}")
        rounds += 1
        todo = [i for i in range(base, min(base + WINDOW, total)) if i not in acked]
        rng.shuffle(todo)
        for i in todo:
            good = packet(DATA, i, segments[i])
            me.send(good)
            me.send(good)  # every packet twice
            if rng.random() < 0.3:  # a damaged copy: one bit flipped
                bad = bytearray(good)
                bit = rng.randrange(len(bad) * 8)
                bad[bit // 8] ^= 1 << (bit % 8)
                me.send(bytes(bad))
            if rng.random() < 0.3:  # garbage from another port
                stranger.send(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 60))))
            if rng.random() < 0.3:  # a forged packet from another port: valid, wrong data
                stranger.send(packet(DATA, i, b"X" * len(segments[i])))
            if rng.random() < 0.2:  # another protocol from our own port: wrong data too
                me.send(packet(DATA, i, b"Y" * len(segments[i]), protocol=GBN))
        while True:
            try:
                reply = parse(me.recv(2048))
            except socket.timeout:
                break
            if reply and reply[0] == ACK:
                acked.add(reply[1])
        while base in acked:
            base += 1
    print(f"all {total} packets acknowledged in {rounds} rounds")

    # Old packets again, long after the window has moved on: not one byte may land.
    for i in rng.sample(range(total), min(20, total)):
        me.send(packet(DATA, i, segments[i]))

    def finack():
        end = time.monotonic() + 5
        while time.monotonic() < end:
            me.send(packet(FIN, total))
            try:
                reply = parse(me.recv(2048))
            except socket.timeout:
                continue
            if reply == (FINACK, total):
                return
        fail("no FINACK in 5 s")

    finack()
    print("FINACK")
    time.sleep(0.2)  # pretend that FINACK was lost: the FIN again
    finack()
    print("FINACK again")


main()
