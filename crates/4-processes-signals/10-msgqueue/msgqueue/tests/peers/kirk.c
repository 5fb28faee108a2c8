/* A C program that behaves like Beej's kirk.c, for the tests: ftok("kirk.c", 'B'), a
 * queue made with msgget(IPC_CREAT), each line of stdin sent as a message of type 1 (its
 * newline turned into a NUL), the queue removed at the end of input. Written for this
 * course; the messages are the guide's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    if ((msqid = msgget(key, 0644 | IPC_CREAT)) == -1) {
        perror("msgget");
        exit(1);
    }
    printf("Enter lines of text, ^D to quit:\n");
    fflush(stdout);
    buf.mtype = 1;
    while (fgets(buf.mtext, sizeof buf.mtext, stdin) != NULL) {
        size_t len = strlen(buf.mtext);
        if (len > 0 && buf.mtext[len - 1] == '\n') {
            buf.mtext[len - 1] = '\0';
        }
        if (msgsnd(msqid, &buf, len + 1, 0) == -1) { /* +1 for the NUL */
            perror("msgsnd");
        }
    }
    if (msgctl(msqid, IPC_RMID, NULL) == -1) {
        perror("msgctl");
        exit(1);
    }
    return 0;
}
