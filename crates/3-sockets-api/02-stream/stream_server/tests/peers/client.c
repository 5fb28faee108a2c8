/*
 * A C client for the stream server, written the way the sockets guide writes them:
 * getaddrinfo, then socket + connect on each result until one works,
 * one recv, print.
 *
 *     cc -o client client.c && ./client 127.0.0.1 3490
 *
 * The tests compile this file with `cc` and run it against our Rust server.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXDATASIZE 100 /* the most we read at once */

/* The address inside a sockaddr, whichever family it is. */
static void *address_of(struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return &((struct sockaddr_in *)sa)->sin_addr;
    return &((struct sockaddr_in6 *)sa)->sin6_addr;
}

int main(int argc, char *argv[])
{
    struct addrinfo hints, *found, *p;
    char text[INET6_ADDRSTRLEN];
    char buf[MAXDATASIZE];
    int fd = -1, status;
    ssize_t n;

    if (argc != 3) {
        fprintf(stderr, "usage: client hostname port\n");
        return 1;
    }

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;     /* IPv4 or IPv6, whichever the host has */
    hints.ai_socktype = SOCK_STREAM; /* TCP */
    if ((status = getaddrinfo(argv[1], argv[2], &hints, &found)) != 0) {
        fprintf(stderr, "getaddrinfo: %s\n", gai_strerror(status));
        return 1;
    }

    /* Try each address until one accepts us. */
    for (p = found; p != NULL; p = p->ai_next) {
        fd = socket(p->ai_family, p->ai_socktype, p->ai_protocol);
        if (fd == -1) {
            perror("client: socket");
            continue;
        }
        if (connect(fd, p->ai_addr, p->ai_addrlen) == -1) {
            perror("client: connect");
            close(fd);
            continue;
        }
        break;
    }
    if (p == NULL) {
        fprintf(stderr, "client: failed to connect\n");
        freeaddrinfo(found);
        return 2;
    }
    inet_ntop(p->ai_family, address_of(p->ai_addr), text, sizeof text);
    printf("client: connecting to %s\n", text);
    freeaddrinfo(found); /* done with the list */

    /* One recv, as the guide does: fine for 13 bytes on one machine,
     * not in general. */
    if ((n = recv(fd, buf, MAXDATASIZE - 1, 0)) == -1) {
        perror("recv");
        return 1;
    }
    buf[n] = '\0';
    printf("client: received '%s'\n", buf);
    close(fd);
    return 0;
}
