# The lecture's TCP client, as students write it in Python (run by the tests).
# usage: python3 tcp_client.py PORT SENTENCE
import sys
from socket import socket, AF_INET, SOCK_STREAM

server_name = "127.0.0.1"
server_port = int(sys.argv[1])
client_socket = socket(AF_INET, SOCK_STREAM)
client_socket.connect((server_name, server_port))
sentence = sys.argv[2]
client_socket.send(sentence.encode())
modified_sentence = client_socket.recv(1024)
print("From Server:", modified_sentence.decode())
client_socket.close()
