# The lecture's UDP client, as students write it in Python (run by the tests).
# usage: python3 udp_client.py PORT SENTENCE
import sys
from socket import socket, AF_INET, SOCK_DGRAM

server_name = "127.0.0.1"
server_port = int(sys.argv[1])
client_socket = socket(AF_INET, SOCK_DGRAM)
# Not in the lecture's version: without a timeout, a lost datagram would hang the test.
client_socket.settimeout(10)
message = sys.argv[2]
client_socket.sendto(message.encode(), (server_name, server_port))
modified_message, server_address = client_socket.recvfrom(2048)
print("From Server:", modified_message.decode())
client_socket.close()
