/* sigpipe.c: what a C program gets for writing to a connection its peer has closed.
 *
 * Usage: sigpipe PORT default|ignore|nosignal
 *
 * Connects to 127.0.0.1:PORT, reads until the peer has closed (read returns 0), then
 * writes one byte at a time until a write fails with EPIPE:
 *   default   write(), SIGPIPE left as it is: the kernel's SIGPIPE kills the process
 *   ignore    signal(SIGPIPE, SIG_IGN) first, then write(): EPIPE, the process lives
 *   nosignal  send(..., MSG_NOSIGNAL): EPIPE and no signal, for this call only
 * Each failed write prints its errno name; exit status 0 after EPIPE.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
    if (argc != 3) {
        fprintf(stderr, "usage: sigpipe PORT default|ignore|nosignal\n");
        return 2;
    }
    const char *mode = argv[2];
    if (strcmp(mode, "ignore") == 0)
        signal(SIGPIPE, SIG_IGN);

    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(atoi(argv[1]));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof addr) < 0) {
        perror("connect");
        return 2;
    }
    char buf[64];
    while (read(s, buf, sizeof buf) > 0) /* until the peer's FIN */
        ;
    setvbuf(stdout, NULL, _IONBF, 0);
    /* The first write succeeds: the data goes out, and the peer's kernel answers RST.
     * A later one finds the connection reset (ECONNRESET, once), then closed (EPIPE). */
    for (int i = 0; i < 500; i++) {
        ssize_t n = strcmp(mode, "nosignal") == 0 ? send(s, "x", 1, MSG_NOSIGNAL)
                                                  : write(s, "x", 1);
        if (n < 0) {
            printf("%s\n", errno == EPIPE        ? "EPIPE"
                           : errno == ECONNRESET ? "ECONNRESET"
                                                 : strerror(errno));
            if (errno == EPIPE)
                return 0;
            if (errno != ECONNRESET)
                return 1;
        }
        usleep(10000);
    }
    printf("no EPIPE after 500 writes\n");
    return 1;
}
