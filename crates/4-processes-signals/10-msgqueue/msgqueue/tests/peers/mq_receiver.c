/* The C twin of mq_receiver, for the tests: print each message on the queue (argv[1],
 * default /mq_test) until an empty one, then mq_unlink it. Written for this course. */
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int main(int argc, char *argv[])
{
    const char *name = argc > 1 ? argv[1] : "/mq_test";
    struct mq_attr attr = {.mq_flags = 0, .mq_maxmsg = 10, .mq_msgsize = 1024, .mq_curmsgs = 0};
    unsigned int priority;

    mqd_t mq = mq_open(name, O_CREAT | O_RDONLY, 0644, &attr);
    if (mq == (mqd_t)-1) {
        perror("mq_open");
        exit(1);
    }
    if (mq_getattr(mq, &attr) == -1) {
        perror("mq_getattr");
        exit(1);
    }
    char *buf = malloc(attr.mq_msgsize + 1);
    printf("mq_receiver: waiting on %s\n", name);
    fflush(stdout);
    for (;;) {
        ssize_t n = mq_receive(mq, buf, attr.mq_msgsize, &priority);
        if (n == -1) {
            perror("mq_receive");
            exit(1);
        }
        if (n == 0) {
            printf("mq_receiver: end of messages\n");
            break;
        }
        buf[n] = '\0';
        printf("mq_receiver: \"%s\" (priority %u)\n", buf, priority);
        fflush(stdout);
    }
    mq_close(mq);
    if (mq_unlink(name) == -1) {
        perror("mq_unlink");
        exit(1);
    }
    return 0;
}
