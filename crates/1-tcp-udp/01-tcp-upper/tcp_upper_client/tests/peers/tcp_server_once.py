# A server that behaves like Kurose's TCPServer.py: it answers ONE sentence per
# connection and then closes the connection (the lecture's client sends one sentence
# per run). The tests run tcp_upper_client against it with several lines.
# usage: python3 tcp_server_once.py PORT   (0 picks a free port; the port is printed)
import sys
from socket import socket, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR

server_port = int(sys.argv[1])
server_socket = socket(AF_INET, SOCK_STREAM)
server_socket.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
server_socket.bind(("127.0.0.1", server_port))
server_socket.listen(1)
# The readiness line every server of the course prints, so the tests know the port.
print("listening on 127.0.0.1:%d" % server_socket.getsockname()[1], flush=True)
while True:
    connection_socket, addr = server_socket.accept()
    sentence = connection_socket.recv(1024).decode()
    capitalized_sentence = sentence.upper()
    connection_socket.send(capitalized_sentence.encode())
    connection_socket.close()
