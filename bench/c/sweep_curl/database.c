/* The database threads: claims on one thread and write-backs on another, each with a connection of
 * its own (the sweep's DatabaseWorker and its two lanes), so the transfers never wait for
 * PostgreSQL and a claim never waits for a write-back. One claim and one write-back at a time. A
 * finished job wakes the transfer loop's curl_multi_poll with curl_multi_wakeup. */
#include <pthread.h>
#include <stdlib.h>

#include "sweep_curl.h"

typedef enum { IDLE, ASKED, RUNNING, DONE } JobState;

_Thread_local PGconn *db;
static const char *conninfo;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t asked = PTHREAD_COND_INITIALIZER;
static pthread_t claims_thread, write_backs_thread;
static int stopping;
static JobState claim_state, write_state;
static ClaimJob *claim_job;
static PGresult *claimed;
static Delivery *batch;

static void connect_lane(void) {
    db = PQconnectdb(conninfo);
    if (PQstatus(db) != CONNECTION_OK) fail("connect", NULL);
}

static void *claim_lane(void *unused) {
    (void)unused;
    connect_lane();
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
        } else {
            pthread_cond_wait(&asked, &lock);
        }
    }
    pthread_mutex_unlock(&lock);
    PQfinish(db);
    return NULL;
}

static void *write_back_lane(void *unused) {
    (void)unused;
    connect_lane();
    pthread_mutex_lock(&lock);
    while (!stopping) {
        if (write_state == ASKED) {
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
    PQfinish(db);
    return NULL;
}

void database_start(const char *database_url) {
    conninfo = database_url;
    if (pthread_create(&claims_thread, NULL, claim_lane, NULL) != 0) fail("pthread_create", NULL);
    if (pthread_create(&write_backs_thread, NULL, write_back_lane, NULL) != 0) fail("pthread_create", NULL);
}

/* Ends the threads; call once nothing is being claimed or written. */
void database_stop(void) {
    pthread_mutex_lock(&lock);
    stopping = 1;
    pthread_cond_broadcast(&asked);
    pthread_mutex_unlock(&lock);
    pthread_join(claims_thread, NULL);
    pthread_join(write_backs_thread, NULL);
}

/* Hands over a claim; call only when the last one has been taken. */
void ask_claim(ClaimJob *job) {
    pthread_mutex_lock(&lock);
    claim_job = job;
    claim_state = ASKED;
    pthread_cond_broadcast(&asked);
    pthread_mutex_unlock(&lock);
}

/* Hands over a batch to write back; call only when the last one has been taken. */
void ask_write(Delivery *deliveries) {
    pthread_mutex_lock(&lock);
    batch = deliveries;
    write_state = ASKED;
    pthread_cond_broadcast(&asked);
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
