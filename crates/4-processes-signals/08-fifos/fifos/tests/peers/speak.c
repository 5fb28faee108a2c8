/* A C program that behaves like Beej's speak.c, for the tests: make the FIFO (default
 * "american_maid", or argv[1]), open it for writing, write each line of stdin without its
 * newline. Written for this course; the messages are the guide's. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
    const char *name = argc > 1 ? argv[1] : "american_maid";
    char s[300];
    int fd;

    if (mknod(name, S_IFIFO | 0666, 0) == -1 && errno != EEXIST) {
        perror("mknod");
        exit(1);
    }
    printf("waiting for readers...\n");
    fflush(stdout);
    fd = open(name, O_WRONLY);
    if (fd == -1) {
        perror("open");
        exit(1);
    }
    printf("got a reader--type some stuff\n");
    fflush(stdout);
    while (fgets(s, sizeof s, stdin) != NULL) {
        size_t len = strlen(s);
        if (len > 0 && s[len - 1] == '\n') {
            s[--len] = '\0';
        }
        ssize_t num = write(fd, s, len);
        if (num == -1) {
            perror("write");
        } else {
            printf("speak: wrote %zd bytes\n", num);
            fflush(stdout);
        }
    }
    return 0;
}
