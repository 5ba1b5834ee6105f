/* The database threads: claims on one thread and write-backs on another, each with a connection of
 * its own (the sweep's DatabaseWorker and its two lanes), so the transfers never wait for
 * PostgreSQL and a claim never waits for a write-back. One claim and one write-back at a time. A
 * finished job wakes the transfer loop's curl_multi_poll with curl_multi_wakeup. */
#include <pthread.h>
#include <stdlib.h>

#include "sweep_curl.h"

typedef enum { IDLE, ASKED, RUNNING, DONE } JobState;

/* A thread with its connection that runs one job at a time: `run` on `job`, its rows kept in
 * `rows` until taken. Every field is read and written under `lock`. */
typedef struct {
    pthread_t thread;
    JobState state;
    void *job;
    PGresult *rows;
    PGresult *(*run)(void *job);
} Lane;

_Thread_local PGconn *db;
static const char *conninfo;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t asked = PTHREAD_COND_INITIALIZER;
static int stopping;

static PGresult *claim_job(void *job) { return run_claim(job); }

static PGresult *write_job(void *job) {
    write_batch(job);
    return NULL;
}

static Lane claim_lane = {.run = claim_job}, write_back_lane = {.run = write_job};

static void *work(void *arg) {
    Lane *lane = arg;
    db = PQconnectdb(conninfo);
    if (PQstatus(db) != CONNECTION_OK) fail("connect", NULL);
    pthread_mutex_lock(&lock);
    while (!stopping) {
        if (lane->state == ASKED) {
            lane->state = RUNNING;
            pthread_mutex_unlock(&lock);
            PGresult *r = lane->run(lane->job);
            pthread_mutex_lock(&lock);
            lane->rows = r;
            lane->state = DONE;
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
    if (pthread_create(&claim_lane.thread, NULL, work, &claim_lane) != 0) fail("pthread_create", NULL);
    if (pthread_create(&write_back_lane.thread, NULL, work, &write_back_lane) != 0) fail("pthread_create", NULL);
}

/* Ends the threads; call once nothing is being claimed or written. */
void database_stop(void) {
    pthread_mutex_lock(&lock);
    stopping = 1;
    pthread_cond_broadcast(&asked);
    pthread_mutex_unlock(&lock);
    pthread_join(claim_lane.thread, NULL);
    pthread_join(write_back_lane.thread, NULL);
}

/* Hands a job to a lane; call only when its last one has been taken. */
static void ask(Lane *lane, void *job) {
    pthread_mutex_lock(&lock);
    lane->job = job;
    lane->state = ASKED;
    pthread_cond_broadcast(&asked);
    pthread_mutex_unlock(&lock);
}

/* A lane's finished job and its rows, once; NULL while it runs (or none was asked). */
static void *take(Lane *lane, PGresult **rows) {
    void *job = NULL;
    pthread_mutex_lock(&lock);
    if (lane->state == DONE) {
        job = lane->job;
        *rows = lane->rows;
        lane->state = IDLE;
    }
    pthread_mutex_unlock(&lock);
    return job;
}

void ask_claim(ClaimJob *job) { ask(&claim_lane, job); }

void ask_write(Delivery *deliveries) { ask(&write_back_lane, deliveries); }

/* The claim made and its rows, once; NULL while it is being made (or none was asked). */
ClaimJob *take_claimed(PGresult **rows) { return take(&claim_lane, rows); }

/* The batch written back, once; NULL while it is being written (or none was asked). */
Delivery *take_written(void) {
    PGresult *none;
    return take(&write_back_lane, &none);
}
