# The assignment's client as a student writes it in Python (run by the tests).
# usage: python3 ping_client.py PORT COUNT
import sys
import time
from socket import socket, AF_INET, SOCK_DGRAM, timeout

server = ("127.0.0.1", int(sys.argv[1]))
client = socket(AF_INET, SOCK_DGRAM)
client.settimeout(1)
for sequence in range(1, int(sys.argv[2]) + 1):
    sent = time.time()
    client.sendto(f"Ping {sequence} {sent}".encode(), server)
    try:
        reply, _ = client.recvfrom(1024)
        rtt = time.time() - sent
        word, number = reply.decode().split()[:2]
        print(word, number, "rtt ok" if rtt < 1 else "slow")
    except timeout:
        print("Request timed out")
client.close()
