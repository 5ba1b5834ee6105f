/* The events of a page as the application renders them (EventStore.event, keys in byte order). */
#include <stdlib.h>

#include "events_fcgi.h"

static void put_column(Buf *b, PGresult *r, int row, int column) {
    if (column < 0 || PQgetisnull(r, row, column)) {
        puts_(b, "null");
    } else {
        put_json_string(b, PQgetvalue(r, row, column), (size_t)PQgetlength(r, row, column));
    }
}

static void put_int_column(Buf *b, PGresult *r, int row, int column) {
    if (column < 0 || PQgetisnull(r, row, column)) {
        puts_(b, "null");
    } else {
        put_json_number(b, strtod(PQgetvalue(r, row, column), NULL));
    }
}

/* One event as EventStore.event renders it, keys in byte order. */
static void put_event(Buf *b, PGresult *r, int row, const int *col) {
    enum { EVENT_ID, CREATED_AT, MERCHANT, CHANNEL, ORDER_ID, NOTIFICATION_ID, REFERENCE, ADAPTER_ID, SCOPE,
           STATUS, ATTEMPT_COUNT, NEXT_ATTEMPT_AT, LAST_ATTEMPT_AT, LAST_STATUS_CODE, LAST_RESPONSE_BODY, ERROR,
           REQUEST_METHOD, REQUEST_URL, REQUEST_HEADERS, DESTINATION_ID, ATTEMPTS };
    puts_(b, "{\"adapterId\":");
    put_column(b, r, row, col[ADAPTER_ID]);
    puts_(b, ",\"attemptCount\":");
    put_int_column(b, r, row, col[ATTEMPT_COUNT]);
    puts_(b, ",\"attempts\":");
    put_rewritten(b, PQgetvalue(r, row, col[ATTEMPTS]), PLAIN, "null");
    puts_(b, ",\"channel\":");
    put_column(b, r, row, col[CHANNEL]);
    puts_(b, ",\"createdAt\":");
    put_column(b, r, row, col[CREATED_AT]);
    puts_(b, ",\"destinationId\":");
    put_column(b, r, row, col[DESTINATION_ID]);
    puts_(b, ",\"error\":");
    put_column(b, r, row, col[ERROR]);
    puts_(b, ",\"id\":");
    put_column(b, r, row, col[EVENT_ID]);
    puts_(b, ",\"merchant\":");
    put_column(b, r, row, col[MERCHANT]);
    puts_(b, ",\"nextAttemptAt\":");
    put_column(b, r, row, col[NEXT_ATTEMPT_AT]);
    puts_(b, ",\"notificationId\":");
    put_column(b, r, row, col[NOTIFICATION_ID]);
    puts_(b, ",\"orderId\":");
    put_column(b, r, row, col[ORDER_ID]);
    puts_(b, ",\"reference\":");
    put_column(b, r, row, col[REFERENCE]);
    puts_(b, ",\"request\":{\"headers\":");
    const char *headers = PQgetvalue(r, row, col[REQUEST_HEADERS]);
    if (headers[0] == '{') {
        put_rewritten(b, headers, HEADERS, "{}");
    } else {
        puts_(b, "{}");
    }
    puts_(b, ",\"method\":");
    put_column(b, r, row, col[REQUEST_METHOD]);
    puts_(b, ",\"url\":");
    put_redacted_url(b, PQgetvalue(r, row, col[REQUEST_URL]));
    puts_(b, "},\"responseBody\":");
    put_column(b, r, row, col[LAST_RESPONSE_BODY]);
    puts_(b, ",\"scope\":");
    put_column(b, r, row, col[SCOPE]);
    puts_(b, ",\"status\":");
    put_column(b, r, row, col[STATUS]);
    puts_(b, ",\"statusCode\":");
    put_int_column(b, r, row, col[LAST_STATUS_CODE]);
    puts_(b, ",\"timestamp\":");
    put_column(b, r, row, col[LAST_ATTEMPT_AT]);
    putc_(b, '}');
}

static const char *const event_columns[] = {
    "event_id", "created_at", "merchant", "channel", "order_id", "notification_id", "reference",
    "adapter_id", "scope", "status", "attempt_count", "next_attempt_at", "last_attempt_at", "last_status_code",
    "last_response_body", "error", "request_method", "request_url", "request_headers", "destination_id",
    "attempts",
};
#define EVENT_COLUMNS (int)(sizeof event_columns / sizeof *event_columns)

/* The events of a page as the application renders them: one event's columns a row (rendered
 * here), or its JSON text around the URL (`head`, `request_url`, `tail`; the URL redacted here). */
int put_events(Buf *body, PGresult *page, long long *total) {
    int rows = PQntuples(page), size = 0;
    int total_column = PQfnumber(page, "total"), head = PQfnumber(page, "head");
    int url = PQfnumber(page, "request_url"), tail = PQfnumber(page, "tail");
    int col[EVENT_COLUMNS];
    if (head < 0)
        for (int i = 0; i < EVENT_COLUMNS; i++) col[i] = PQfnumber(page, event_columns[i]);
    for (int row = 0; row < rows; row++) {
        if (total_column < 0 || PQgetisnull(page, row, total_column)) continue; /* no event: an empty page */
        if (size++ > 0) putc_(body, ',');
        *total = atoll(PQgetvalue(page, row, total_column));
        if (head < 0) {
            put_event(body, page, row, col);
        } else {
            put(body, PQgetvalue(page, row, head), (size_t)PQgetlength(page, row, head));
            put_redacted_url(body, PQgetvalue(page, row, url));
            put(body, PQgetvalue(page, row, tail), (size_t)PQgetlength(page, row, tail));
        }
    }
    return size;
}
