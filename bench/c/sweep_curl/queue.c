/* Claiming due deliveries, starting their transfers as the limits allow, collecting the finished
 * ones, releasing what was held (the sweep's DeliveryQueue). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep_curl.h"

/* The room this sweep has left per destination and merchant it holds deliveries of ($5..$8). */
static void room_arrays(Count *list, int window, Buf *keys, Buf *rooms) {
    puts_(keys, "{");
    puts_(rooms, "{");
    for (Count *c = list; c; c = c->next) {
        if (c->n <= 0 || !c->key[0]) continue;
        put_array_item(keys, c->key);
        putf(rooms, "%s%d", rooms->len > 1 ? "," : "", window - c->n > 0 ? window - c->n : 0);
    }
    puts_(keys, "}");
    puts_(rooms, "}");
}

/* Hands the database thread a claim of what the room allows, unless one is being made (the
 * sweep's claimAhead); its rows are started by start_claimed when it is done. */
void claim_ahead(void) {
    int limit = MAX_HELD - held - claiming < BATCH ? MAX_HELD - held - claiming : BATCH;
    if (claiming || limit <= 0) return;
    room_opened = 0;
    ClaimJob *j = calloc(1, sizeof *j);
    j->at = now_seconds();
    j->limit = limit;
    j->nothing_held = held == 0;
    rfc3339(j->at, j->now);
    rfc3339(j->at + LEASE_SECONDS, j->until);
    uuid4(j->lease);
    snprintf(j->limit_text, sizeof j->limit_text, "%d", limit);
    room_arrays(held_by_destination, DESTINATION_WINDOW, &j->destinations, &j->destination_rooms);
    room_arrays(held_by_merchant, MERCHANT_WINDOW, &j->merchants, &j->merchant_rooms);
    claiming = limit;
    ask_claim(j);
}

/* The claim statement, on the database thread. */
PGresult *run_claim(const ClaimJob *j) {
    static int prepared;
    char per_destination[16], per_merchant[16];
    snprintf(per_destination, sizeof per_destination, "%d", DESTINATION_WINDOW);
    snprintf(per_merchant, sizeof per_merchant, "%d", MERCHANT_WINDOW);
    const char *values[10] = {j->now, j->limit_text, j->until, j->lease, j->destinations.data,
                              j->destination_rooms.data, j->merchants.data, j->merchant_rooms.data,
                              per_destination, per_merchant};
    return exec("deliveries_claim", claim_sql, 10, values, &prepared);
}

/* Takes in what a claim took: holds it, queues its transfers, and notes whether more may be due. */
void start_claimed(ClaimJob *j, PGresult *r) {
    const char *lease = j->lease;
    double now = j->at;
    int limit = j->limit;
    claims++;
    int rows = PQntuples(r);
    int c_merchant = PQfnumber(r, "merchant"), c_event = PQfnumber(r, "event_id"),
        c_destination = PQfnumber(r, "destination_id"), c_attempt = PQfnumber(r, "attempt"),
        c_trigger = PQfnumber(r, "trigger"), c_more = PQfnumber(r, "more");
    for (int row = 0; row < rows; row++) {
        Delivery *d = calloc(1, sizeof *d);
        snprintf(d->merchant, sizeof d->merchant, "%s", PQgetvalue(r, row, c_merchant));
        snprintf(d->event_id, sizeof d->event_id, "%s", PQgetvalue(r, row, c_event));
        snprintf(d->destination, sizeof d->destination, "%s", PQgetvalue(r, row, c_destination));
        snprintf(d->lease, sizeof d->lease, "%s", lease);
        snprintf(d->trigger, sizeof d->trigger, "%s", PQgetvalue(r, row, c_trigger));
        d->attempt = atoi(PQgetvalue(r, row, c_attempt));
        d->claimed_at = now;
        prepare_transfer(d, r, row, now);
        if (waiting_tail) {
            waiting_tail->next = d;
        } else {
            waiting = d;
        }
        waiting_tail = d;
        in_flight++;
        held++;
        add(&held_by_destination, d->destination, 1);
        add(&held_by_merchant, d->merchant, 1);
    }
    /* A destination gave its share of a merchant's room, less than its own room, and the merchant
     * has room left: more may be due. */
    int more = 0;
    for (int row = 0; row < rows; row++)
        if (PQgetvalue(r, row, c_more)[0] == 't' &&
            count_of(&held_by_merchant, PQgetvalue(r, row, c_merchant)) < MERCHANT_WINDOW)
            more = 1;
    PQclear(r);
    for (Count *c = held_by_destination; c; c = c->next)
        if (c->n >= DESTINATION_WINDOW) find(&backlogged, c->key, 1)->n = 1;
    for (Count *c = held_by_merchant; c; c = c->next)
        if (c->n >= MERCHANT_WINDOW) find(&backlogged_merchants, c->key, 1)->n = 1;
    if (rows >= limit || more) room_opened = 1;
    drained = rows == 0 && j->nothing_held;
    claiming = 0;
    free(j->destinations.data);
    free(j->destination_rooms.data);
    free(j->merchants.data);
    free(j->merchant_rooms.data);
    free(j);
}

/* Starts waiting transfers as the limits allow (the sweep's DeliveryQueue). */
void start_waiting(void) {
    Delivery **link = &waiting, *previous = NULL;
    while (*link && active < CONCURRENCY) {
        Delivery *d = *link;
        if (count_of(&active_by_destination, d->destination) >= PER_DESTINATION ||
            count_of(&active_by_merchant, d->merchant) >= PER_MERCHANT) {
            previous = d;
            link = &d->next;
            continue;
        }
        *link = d->next;
        if (waiting_tail == d) waiting_tail = previous;
        d->next = NULL;
        add(&active_by_destination, d->destination, 1);
        add(&active_by_merchant, d->merchant, 1);
        active++;
        curl_multi_add_handle(multi, d->easy);
    }
}

void collect_finished(void) {
    CURLMsg *message;
    int left;
    while ((message = curl_multi_info_read(multi, &left))) {
        if (message->msg != CURLMSG_DONE) continue;
        Delivery *d;
        curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, (char **)&d);
        CURLcode result = message->data.result;
        long status = 0;
        double seconds = 0;
        curl_easy_getinfo(d->easy, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(d->easy, CURLINFO_TOTAL_TIME, &seconds);
        d->status_code = (int)status;
        d->duration_ms = (int)(seconds * 1000 + 0.5);
        if (result != CURLE_OK) d->error = strdup(d->curl_error[0] ? d->curl_error : curl_easy_strerror(result));
        curl_multi_remove_handle(multi, d->easy);
        curl_easy_cleanup(d->easy);
        curl_slist_free_all(d->headers);
        d->easy = NULL;
        d->headers = NULL;
        add(&active_by_destination, d->destination, -1);
        add(&active_by_merchant, d->merchant, -1);
        active--;
        in_flight--;
        if (!finished) oldest_unwritten = monotonic();
        d->next = finished;
        finished = d;
        unwritten++;
        release_hold(d);
    }
}

/* A finished delivery leaves its destination's and merchant's windows at once (it waits for no
 * receiver any more); it stays counted in `held` until written back. */
void release_hold(Delivery *d) {
    add(&held_by_merchant, d->merchant, -1);
    add(&held_by_destination, d->destination, -1);
    int now_held = count_of(&held_by_destination, d->destination);
    Count *b = find(&backlogged, d->destination, 0);
    if (b && b->n && now_held <= DESTINATION_WINDOW / 2) {
        b->n = 0;
        room_opened = 1;
    }
    Count *m = find(&backlogged_merchants, d->merchant, 0);
    if (m && m->n && count_of(&held_by_merchant, d->merchant) <= MERCHANT_WINDOW / 2) {
        m->n = 0;
        room_opened = 1;
    }
}
