/* A C program that behaves like Beej's tick.c, for the tests: make the FIFO (default
 * "american_maid", or argv[1]), open it for reading, print each read until the writers
 * are gone. Written for this course; the messages are the guide's. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
    const char *name = argc > 1 ? argv[1] : "american_maid";
    char s[301];
    ssize_t num;
    int fd;

    if (mknod(name, S_IFIFO | 0666, 0) == -1 && errno != EEXIST) {
        perror("mknod");
        exit(1);
    }
    printf("waiting for writers...\n");
    fflush(stdout);
    fd = open(name, O_RDONLY);
    if (fd == -1) {
        perror("open");
        exit(1);
    }
    printf("got a writer\n");
    fflush(stdout);
    do {
        if ((num = read(fd, s, 300)) == -1) {
            perror("read");
        } else {
            s[num] = '\0';
            printf("tick: read %zd bytes: \"%s\"\n", num, s);
            fflush(stdout);
        }
    } while (num > 0);
    return 0;
}
