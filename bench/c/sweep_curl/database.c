/* The database thread: claims and write-backs on a connection of its own, one of each at a time (a
 * claim first), so the transfers never wait for PostgreSQL (the sweep's DatabaseWorker). A
 * finished job wakes the transfer loop's curl_multi_poll with curl_multi_wakeup. */
#include <pthread.h>
#include <stdlib.h>

#include "sweep_curl.h"

typedef enum { IDLE, ASKED, RUNNING, DONE } JobState;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t asked = PTHREAD_COND_INITIALIZER;
static pthread_t thread;
static int stopping;
static JobState claim_state, write_state;
static ClaimJob *claim_job;
static PGresult *claimed;
static Delivery *batch;

static void *work(void *unused) {
    (void)unused;
    pthread_mutex_lock(&lock);
    while (!stopping) {
        if (claim_state == ASKED) {
            claim_state = RUNNING;
            pthread_mutex_unlock(&lock);
            PGresult *r = run_claim(claim_job);
            pthread_mutex_lock(&lock);
            claimed = r;
            claim_state = DONE;
            curl_multi_wakeup(multi);
        } else if (write_state == ASKED) {
            write_state = RUNNING;
            pthread_mutex_unlock(&lock);
            write_batch(batch);
            pthread_mutex_lock(&lock);
            write_state = DONE;
            curl_multi_wakeup(multi);
        } else {
            pthread_cond_wait(&asked, &lock);
        }
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

void database_start(void) {
    if (pthread_create(&thread, NULL, work, NULL) != 0) fail("pthread_create", NULL);
}

/* Ends the thread; call once nothing is being claimed or written. */
void database_stop(void) {
    pthread_mutex_lock(&lock);
    stopping = 1;
    pthread_cond_signal(&asked);
    pthread_mutex_unlock(&lock);
    pthread_join(thread, NULL);
}

/* Hands over a claim; call only when the last one has been taken. */
void ask_claim(ClaimJob *job) {
    pthread_mutex_lock(&lock);
    claim_job = job;
    claim_state = ASKED;
    pthread_cond_signal(&asked);
    pthread_mutex_unlock(&lock);
}

/* Hands over a batch to write back; call only when the last one has been taken. */
void ask_write(Delivery *deliveries) {
    pthread_mutex_lock(&lock);
    batch = deliveries;
    write_state = ASKED;
    pthread_cond_signal(&asked);
    pthread_mutex_unlock(&lock);
}

/* The claim made and its rows, once; NULL while it is being made (or none was asked). */
ClaimJob *take_claimed(PGresult **rows) {
    ClaimJob *job = NULL;
    pthread_mutex_lock(&lock);
    if (claim_state == DONE) {
        job = claim_job;
        *rows = claimed;
        claim_state = IDLE;
    }
    pthread_mutex_unlock(&lock);
    return job;
}

/* The batch written back, once; NULL while it is being written (or none was asked). */
Delivery *take_written(void) {
    Delivery *written = NULL;
    pthread_mutex_lock(&lock);
    if (write_state == DONE) {
        written = batch;
        write_state = IDLE;
    }
    pthread_mutex_unlock(&lock);
    return written;
}
