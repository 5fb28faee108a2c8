/* A C program that behaves like Beej's spock.c, for the tests: ftok("kirk.c", 'B'), the
 * queue found with msgget (no IPC_CREAT), every message printed until msgrcv fails (which
 * it does with EIDRM once kirk removes the queue). Written for this course; the messages
 * are the guide's. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/types.h>

struct my_msgbuf {
    long mtype;
    char mtext[200];
};

int main(void)
{
    struct my_msgbuf buf;
    int msqid;
    key_t key;

    if ((key = ftok("kirk.c", 'B')) == -1) {
        perror("ftok");
        exit(1);
    }
    if ((msqid = msgget(key, 0644)) == -1) { /* connect to the queue */
        perror("msgget");
        exit(1);
    }
    printf("spock: ready to receive messages, captain.\n");
    fflush(stdout);
    for (;;) {
        if (msgrcv(msqid, &buf, sizeof buf.mtext, 0, 0) == -1) {
            perror("msgrcv");
            exit(1);
        }
        buf.mtext[sizeof buf.mtext - 1] = '\0';
        printf("spock: \"%s\"\n", buf.mtext);
        fflush(stdout);
    }
}
