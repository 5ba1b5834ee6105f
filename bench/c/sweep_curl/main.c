/* sweep_curl: the same-work baseline of scripts/bench figure 3 (issue 16).
 *
 * One C program doing what notify-sweep does in cron mode, with the application's own SQL:
 * claim due deliveries (DeliveryStatements.claim: lease token, due time moved to the lease's
 * expiry, room per destination and merchant), send each claimed body signed the Standard Webhooks
 * way (HMAC-SHA256 of "id.timestamp.body" with the signing secret; webhook-id, -timestamp,
 * -signature, Content-Type, User-Agent and the notification's headers) through one libcurl multi
 * handle with the sweep's limits (128 transfers in flight, 8 per destination, 64 per merchant, a
 * new easy handle per attempt, connections reused), and write the outcomes back in batches in one
 * transaction each (DeliveryStatements.lockDestinations, then .complete with the attempt rows and
 * the destinations' health, in two round trips with libpq's pipeline mode). Like the sweep it does
 * its database work beside the transfers, claims on one thread and write-backs on another, each
 * with its own connection (database.c), one claim and one write-back at a time, and wakes the
 * transfer loop's curl_multi_poll when one is done: it claims ahead while transfers run (at most 512
 * deliveries held until written back, 32 per destination and 256 per merchant until finished,
 * batches of 100; after a claim that filled a destination's or merchant's window, again once half
 * of that window is free) and hands over a write-back, when none is being written, once half a
 * batch has finished, nothing is in flight, or 10 ms have passed; what finishes during a
 * write-back waits for the next one, so batches grow with the load.
 *
 * It is a baseline, not a second sweep: a failed attempt is recorded as failed with no retry and
 * leaves its destination's health as it was, there is no address policy, no --follow, and the
 * destination's breaker state is not consulted beyond what the claim statement does.
 *
 *   cc -O2 -I"$(pg_config --includedir)" -o sweep_curl bench/c/buf.c bench/c/sweep_curl/[a-z]*.c -lpq -lcurl -lcrypto
 *   NOTIFY_DATABASE_URL=... sweep_curl CLAIM_SQL_FILE LOCK_SQL_FILE COMPLETE_SQL_FILE
 *
 * Runs until nothing is due and nothing is in flight, then prints one line
 * `{"delivered": N, "succeeded": N, "seconds": S, "claims": N, "write_backs": N}` on stdout.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "sweep_curl.h"

const char program_name[] = "sweep_curl";

const char *claim_sql, *lock_sql, *complete_sql;
CURLM *multi;
Delivery *waiting, *waiting_tail; /* claimed, not yet started */
Delivery *finished;               /* done, not yet written back */
int in_flight, active, unwritten, writing, held;
int claiming, drained;
double oldest_unwritten;
Count *held_by_destination, *held_by_merchant, *active_by_destination, *active_by_merchant;
Count *backlogged, *backlogged_merchants; /* destinations, merchants whose last claim filled their window */
int room_opened = 1;
long long claims, write_backs, delivered, succeeded;

void fail(const char *what, PGresult *result) {
    fprintf(stderr, "sweep_curl: %s: %s", what, result ? PQresultErrorMessage(result) : PQerrorMessage(db));
    exit(1);
}

PGresult *exec(const char *name, const char *sql, int n, const char *const *values, int *prepared) {
    if (!*prepared) {
        PGresult *r = PQprepare(db, name, sql, n, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) fail(name, r);
        PQclear(r);
        *prepared = 1;
    }
    PGresult *r = PQexecPrepared(db, name, n, values, NULL, NULL, 0);
    ExecStatusType status = PQresultStatus(r);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) fail(name, r);
    return r;
}

/* Moves the transfers along for up to `wait_ms` (or until the database thread is done with a job),
 * starts what a claim took, releases what a write-back wrote, and hands over the next batch. */
static void advance(int wait_ms) {
    start_waiting();
    int running, before = unwritten;
    if (active > 0) {
        curl_multi_perform(multi, &running);
        collect_finished();
    }
    if (unwritten == before && (active > 0 || claiming || writing)) {
        curl_multi_poll(multi, NULL, 0, wait_ms, NULL);
        if (active > 0) {
            curl_multi_perform(multi, &running);
            collect_finished();
        }
    }
    PGresult *rows;
    ClaimJob *claim = take_claimed(&rows);
    if (claim) {
        start_claimed(claim, rows);
        start_waiting();
    }
    Delivery *written = take_written();
    if (written) release_written(written);
    if (finished && !writing &&
        (in_flight == 0 || unwritten >= BATCH / 2 || monotonic() - oldest_unwritten >= 0.01)) {
        Delivery *batch = finished;
        finished = NULL;
        writing = unwritten;
        unwritten = 0;
        ask_write(batch);
    }
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s CLAIM_SQL_FILE LOCK_SQL_FILE COMPLETE_SQL_FILE (NOTIFY_DATABASE_URL set)\n", argv[0]);
        return 2;
    }
    claim_sql = read_file(argv[1]);
    lock_sql = read_file(argv[2]);
    complete_sql = read_file(argv[3]);
    const char *conninfo = getenv("NOTIFY_DATABASE_URL");
    if (!claim_sql || !lock_sql || !complete_sql || !conninfo) {
        fputs("sweep_curl: cannot read the SQL files, or NOTIFY_DATABASE_URL is not set\n", stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_ALL);
    multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)CONCURRENCY);
    database_start(conninfo);
    double started = monotonic();
    for (;;) {
        if (held == 0 && !claiming && drained) break;
        if (!claiming && (held == 0 || room_opened)) claim_ahead();
        advance(5);
    }
    double seconds = monotonic() - started;
    database_stop();
    printf("{\"delivered\": %lld, \"succeeded\": %lld, \"seconds\": %.3f, \"claims\": %lld, \"write_backs\": %lld}\n",
           delivered, succeeded, seconds, claims, write_backs);
    curl_multi_cleanup(multi);
    return 0;
}
