# An echo client in the lecture's style (run by the tests): sendall, then recv in a loop
# until as many bytes have come back as were sent.
# usage: python3 echo_client.py PORT MESSAGE
import sys
import socket

port = int(sys.argv[1])
message = sys.argv[2].encode()
sock = socket.create_connection(("127.0.0.1", port), timeout=10)
try:
    sock.sendall(message)
    received = b""
    while len(received) < len(message):
        data = sock.recv(16)
        if not data:
            break
        print("received", len(data), "bytes")
        received += data
    print("echoed:", received.decode())
finally:
    sock.close()
