/* A C program that behaves like Beej's semdemo.c, for the tests: ftok("semdemo.c", 'J'),
 * a set of one semaphore made and initialised without a race (the creator stamps
 * sem_otime with a semop; others wait for the stamp), then lock on RETURN (SEM_UNDO) and
 * unlock on RETURN. Written for this course; the messages are the guide's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/types.h>
#include <unistd.h>

#define MAX_RETRIES 10

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

static int initsem(key_t key, int nsems)
{
    union semun arg;
    struct semid_ds buf;
    struct sembuf sb;
    int semid;

    semid = semget(key, nsems, IPC_CREAT | IPC_EXCL | 0666);
    if (semid >= 0) { /* we got it first */
        sb.sem_op = 1;
        sb.sem_flg = 0;
        for (sb.sem_num = 0; sb.sem_num < nsems; sb.sem_num++) {
            /* a semop to "free" each semaphore; it also sets sem_otime */
            if (semop(semid, &sb, 1) == -1) {
                int e = errno;
                semctl(semid, 0, IPC_RMID);
                errno = e;
                return -1;
            }
        }
    } else if (errno == EEXIST) { /* someone else got it first */
        int ready = 0;
        semid = semget(key, nsems, 0);
        if (semid < 0) {
            return semid;
        }
        arg.buf = &buf;
        for (int i = 0; i < MAX_RETRIES && !ready; i++) {
            semctl(semid, nsems - 1, IPC_STAT, arg);
            if (arg.buf->sem_otime != 0) {
                ready = 1;
            } else {
                sleep(1);
            }
        }
        if (!ready) {
            errno = ETIME;
            return -1;
        }
    } else {
        return semid;
    }
    return semid;
}

int main(void)
{
    key_t key;
    int semid;
    struct sembuf sb;

    sb.sem_num = 0;
    sb.sem_op = -1; /* set to allocate resource */
    sb.sem_flg = SEM_UNDO;

    if ((key = ftok("semdemo.c", 'J')) == -1) {
        perror("ftok");
        exit(1);
    }
    if ((semid = initsem(key, 1)) == -1) {
        perror("initsem");
        exit(1);
    }
    printf("Press return to lock: ");
    fflush(stdout);
    getchar();
    printf("Trying to lock...\n");
    fflush(stdout);
    if (semop(semid, &sb, 1) == -1) {
        perror("semop");
        exit(1);
    }
    printf("Locked.\n");
    printf("Press return to unlock: ");
    fflush(stdout);
    getchar();
    sb.sem_op = 1; /* free resource */
    if (semop(semid, &sb, 1) == -1) {
        perror("semop");
        exit(1);
    }
    printf("Unlocked\n");
    return 0;
}
