/*
 * A C server for the stream client, written the way the sockets guide writes them:
 * getaddrinfo with AI_PASSIVE, bind to the first result that works, SO_REUSEADDR,
 * a SIGCHLD handler that reaps children, and one fork per client that sends
 * "Hello, world!" and exits.
 *
 *     cc -o server server.c && ./server 127.0.0.1 3490
 *
 * Port 0 picks any free port. Like the course's servers, it first prints the address it
 * really bound, `listening on 127.0.0.1:43211`, so that a test can find it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define BACKLOG 10 /* pending connections the kernel may queue */

/* Reap every child that has exited. Only async-signal-safe calls, and errno restored. */
static void reap(int sig)
{
    int saved = errno;
    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    errno = saved;
}

int main(int argc, char *argv[])
{
    struct addrinfo hints, *found, *p;
    struct sockaddr_storage peer, local;
    socklen_t len;
    struct sigaction sa;
    char text[INET6_ADDRSTRLEN];
    int listener = -1, conn, status, yes = 1;
    unsigned port;

    if (argc != 3) {
        fprintf(stderr, "usage: server host port\n");
        return 1;
    }
    /* stdout is a pipe under the tests: print each line as soon as it is complete, and
     * never leave half a buffer to be copied into a child by fork(). */
    setvbuf(stdout, NULL, _IOLBF, 0);

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    if ((status = getaddrinfo(argv[1], argv[2], &hints, &found)) != 0) {
        fprintf(stderr, "getaddrinfo: %s\n", gai_strerror(status));
        return 1;
    }
    for (p = found; p != NULL; p = p->ai_next) {
        if ((listener = socket(p->ai_family, p->ai_socktype, p->ai_protocol)) == -1) {
            perror("server: socket");
            continue;
        }
        if (setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes) == -1) {
            perror("setsockopt");
            return 1;
        }
        if (bind(listener, p->ai_addr, p->ai_addrlen) == -1) {
            perror("server: bind");
            close(listener);
            continue;
        }
        break;
    }
    freeaddrinfo(found);
    if (p == NULL) {
        fprintf(stderr, "server: failed to bind\n");
        return 1;
    }
    if (listen(listener, BACKLOG) == -1) {
        perror("listen");
        return 1;
    }

    sa.sa_handler = reap;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART; /* accept() carries on after the handler ran */
    if (sigaction(SIGCHLD, &sa, NULL) == -1) {
        perror("sigaction");
        return 1;
    }

    len = sizeof local;
    getsockname(listener, (struct sockaddr *)&local, &len);
    if (local.ss_family == AF_INET) {
        struct sockaddr_in *v4 = (struct sockaddr_in *)&local;
        inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
        port = ntohs(v4->sin_port);
        printf("listening on %s:%u\n", text, port);
    } else {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&local;
        inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
        port = ntohs(v6->sin6_port);
        printf("listening on [%s]:%u\n", text, port);
    }
    printf("server: waiting for connections...\n");

    for (;;) {
        len = sizeof peer;
        conn = accept(listener, (struct sockaddr *)&peer, &len);
        if (conn == -1) {
            perror("accept");
            continue;
        }
        if (peer.ss_family == AF_INET)
            inet_ntop(AF_INET, &((struct sockaddr_in *)&peer)->sin_addr, text, sizeof text);
        else
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&peer)->sin6_addr, text, sizeof text);
        printf("server: got connection from %s\n", text);

        if (fork() == 0) {
            close(listener); /* the child does not accept */
            if (send(conn, "Hello, world!", 13, 0) == -1)
                perror("send");
            close(conn);
            exit(0);
        }
        close(conn); /* the parent does not talk */
    }
}
