/* The C twin of mq_sender, for the tests: each line of stdin (argv[1] names the queue,
 * default /mq_test) sent as a message of priority 0, empty lines skipped, then an empty
 * message for "the end". Written for this course. */
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int main(int argc, char *argv[])
{
    const char *name = argc > 1 ? argv[1] : "/mq_test";
    struct mq_attr attr = {.mq_flags = 0, .mq_maxmsg = 10, .mq_msgsize = 1024, .mq_curmsgs = 0};
    char line[1100];

    mqd_t mq = mq_open(name, O_CREAT | O_WRONLY, 0644, &attr);
    if (mq == (mqd_t)-1) {
        perror("mq_open");
        exit(1);
    }
    printf("mq_sender: sending each line to %s; ^D to end\n", name);
    fflush(stdout);
    while (fgets(line, sizeof line, stdin) != NULL) {
        size_t len = strcspn(line, "\n");
        if (len == 0) {
            continue;
        }
        if (mq_send(mq, line, len, 0) == -1) {
            perror("mq_send");
            exit(1);
        }
        printf("mq_sender: sent %zu bytes\n", len);
        fflush(stdout);
    }
    if (mq_send(mq, "", 0, 0) == -1) {
        perror("mq_send");
        exit(1);
    }
    printf("mq_sender: sent the end (an empty message)\n");
    mq_close(mq);
    return 0;
}
