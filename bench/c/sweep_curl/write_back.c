/* The write-back of finished deliveries: one transaction that locks the batch's destinations and
 * writes the attempts and the destinations' health (DeliveryStatements.lockDestinations, .complete),
 * in two round trips as DeliveryStore.writeBack makes it: libpq's pipeline mode sends BEGIN with
 * the lock, then the complete statement with COMMIT. */
#include <stdlib.h>
#include <string.h>

#include "sweep_curl.h"

static int lock_prepared, complete_prepared;

/* Queues a prepared statement (preparing it first the first time); returns whether it prepares. */
static int send_prepared(const char *name, const char *sql, int n, const char *const *values, int *prepared) {
    int preparing = !*prepared;
    if (preparing && !PQsendPrepare(db, name, sql, n, NULL)) fail(name, NULL);
    if (!PQsendQueryPrepared(db, name, n, values, NULL, NULL, 0)) fail(name, NULL);
    *prepared = 1;
    return preparing;
}

/* The next result of the pipeline: a statement's success, or with `sync` the end of a group. */
static PGresult *next_result(const char *what, int sync) {
    PGresult *r = PQgetResult(db);
    ExecStatusType status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (sync ? status != PGRES_PIPELINE_SYNC : status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
        fail(what, r);
    if (!sync && PQgetResult(db) != NULL) fail(what, NULL);
    return r;
}

/* The result of a statement sent with send_prepared (after its PREPARE's). */
static PGresult *statement_result(const char *name, int preparing) {
    if (preparing) PQclear(next_result(name, 0));
    return next_result(name, 0);
}

static void sync_pipeline(void) {
    if (!PQpipelineSync(db)) fail("sync", NULL);
}

/* One transaction, on the database thread: lock the batch's destinations, write the attempts and
 * their health back. */
void write_batch(Delivery *batch) {
    Buf ids = {0};
    puts_(&ids, "{");
    Count *destinations = NULL;
    for (Delivery *d = batch; d; d = d->next)
        if (d->destination[0]) find(&destinations, d->destination, 1);
    for (Count *c = destinations; c; c = c->next) put_array_item(&ids, c->key);
    puts_(&ids, "}");
    if (!PQenterPipelineMode(db)) fail("pipeline mode", NULL);
    if (!PQsendQueryParams(db, "BEGIN", 0, NULL, NULL, NULL, NULL, 0)) fail("BEGIN", NULL);
    const char *lock_values[1] = {ids.data};
    int preparing = send_prepared("destinations_lock", lock_sql, 1, lock_values, &lock_prepared);
    sync_pipeline();
    PQclear(next_result("BEGIN", 0));
    PGresult *locked = statement_result("destinations_lock", preparing);
    PQclear(next_result("sync", 1));

    /* The outcome arrays $1..$13. */
    Buf a[24] = {{0}};
    for (int i = 0; i < 24; i++) puts_(&a[i], "{");
    const char *lowest = batch->event_id, *highest = batch->event_id;
    double now = now_seconds();
    char now_text[32];
    rfc3339(now, now_text);
    for (Delivery *d = batch; d; d = d->next) {
        char attempt_id[37], attempted_at[32], number[16], duration[16], automatic[16];
        uuid7(d->claimed_at, attempt_id);
        rfc3339(d->claimed_at, attempted_at);
        snprintf(number, sizeof number, "%d", d->status_code);
        snprintf(duration, sizeof duration, "%d", d->duration_ms);
        int manual = strcmp(d->trigger, "manual") == 0;
        snprintf(automatic, sizeof automatic, "%d", d->attempt + (manual ? 0 : 1));
        int ok = delivery_ok(d);
        put_array_item(&a[0], d->merchant);
        put_array_item(&a[1], d->event_id);
        put_array_item(&a[2], attempt_id);
        put_array_item(&a[3], attempted_at);
        put_array_item(&a[4], d->status_code ? number : NULL);
        put_array_item(&a[5], d->status_code ? d->response.data ? d->response.data : "" : NULL);
        put_array_item(&a[6], duration);
        put_array_item(&a[7], d->error);
        put_array_item(&a[8], manual ? "manual" : "automatic");
        put_array_item(&a[9], ok ? "succeeded" : "failed");
        put_array_item(&a[10], NULL);
        put_array_item(&a[11], automatic);
        put_array_item(&a[12], d->lease);
        if (strcmp(d->event_id, lowest) < 0) lowest = d->event_id;
        if (strcmp(d->event_id, highest) > 0) highest = d->event_id;
    }
    /* The destinations' health ($14..$24): after a success, healthy with no failures, as the
     * sweep's DestinationHealth.record; other columns as locked. */
    int n = PQntuples(locked);
    for (int row = 0; row < n; row++) {
        const char *id = PQgetvalue(locked, row, PQfnumber(locked, "destination_id"));
        int any_success = 0;
        for (Delivery *d = batch; d; d = d->next)
            if (strcmp(d->destination, id) == 0 && delivery_ok(d)) any_success = 1;
        const char *epoch_columns[] = {"last_success_at", "last_failure_at", "failing_since", "next_probe_at",
                                       "held_until", "disabled_at"};
        char times[6][32];
        const char *time_values[6];
        for (int i = 0; i < 6; i++) {
            int c = PQfnumber(locked, epoch_columns[i]);
            if (c < 0 || PQgetisnull(locked, row, c)) {
                time_values[i] = NULL;
            } else {
                rfc3339(strtod(PQgetvalue(locked, row, c), NULL), times[i]);
                time_values[i] = times[i];
            }
        }
        const char *status = PQgetvalue(locked, row, PQfnumber(locked, "status"));
        const char *failures = PQgetvalue(locked, row, PQfnumber(locked, "consecutive_failures"));
        const char *last_error_column = PQgetisnull(locked, row, PQfnumber(locked, "last_error"))
                                            ? NULL
                                            : PQgetvalue(locked, row, PQfnumber(locked, "last_error"));
        if (any_success) {
            status = strcmp(status, "paused") == 0 || strcmp(status, "disabled") == 0 ? status : "healthy";
            failures = "0";
            time_values[0] = now_text;
            time_values[2] = NULL;
            time_values[3] = NULL;
        }
        put_array_item(&a[13], id);
        put_array_item(&a[14], status);
        put_array_item(&a[15], failures);
        put_array_item(&a[16], time_values[0]);
        put_array_item(&a[17], time_values[1]);
        put_array_item(&a[18], last_error_column);
        put_array_item(&a[19], time_values[2]);
        put_array_item(&a[20], time_values[3]);
        put_array_item(&a[21], PQgetvalue(locked, row, PQfnumber(locked, "probe_wait_seconds")));
        put_array_item(&a[22], time_values[4]);
        put_array_item(&a[23], time_values[5]);
    }
    PQclear(locked);
    /* The batch's lowest and highest event id ($25, $26). */
    const char *values[26];
    for (int i = 0; i < 24; i++) {
        puts_(&a[i], "}");
        values[i] = a[i].data;
    }
    values[24] = lowest;
    values[25] = highest;
    preparing = send_prepared("deliveries_complete", complete_sql, 26, values, &complete_prepared);
    if (!PQsendQueryParams(db, "COMMIT", 0, NULL, NULL, NULL, NULL, 0)) fail("COMMIT", NULL);
    sync_pipeline();
    PQclear(statement_result("deliveries_complete", preparing));
    PQclear(next_result("COMMIT", 0));
    PQclear(next_result("sync", 1));
    if (!PQexitPipelineMode(db)) fail("pipeline mode", NULL);
    for (int i = 0; i < 24; i++) free(a[i].data);
    free(ids.data);
    while (destinations) {
        Count *next = destinations->next;
        free(destinations);
        destinations = next;
    }
}

/* On the transfer thread, once a batch is written: counts it and frees it. */
void release_written(Delivery *batch) {
    write_backs++;
    writing = 0;
    while (batch) {
        Delivery *d = batch;
        batch = d->next;
        delivered++;
        succeeded += delivery_ok(d);
        held--;
        free(d->body);
        free(d->response.data);
        free(d->error);
        free(d);
    }
}
