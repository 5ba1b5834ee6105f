/* The checks of a request as the application makes them: the credentials' shape, the token's
 * owner and failures (Authenticator.verify), the query string, paging, the order's event bound. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events_fcgi.h"

int auth_failure_limit = 20;

char *trim(char *s) {
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = 0;
    return s;
}

int token_well_formed(const char *token) {
    if (strncmp(token, "ntf_", 4) != 0 || strlen(token) != 4 + 43) return 0;
    for (const char *p = token + 4; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') return 0;
    return 1;
}

int uuid_valid(const char *s) {
    if (strlen(s) != 36) return 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') return 0;
        } else if (hex_value(s[i]) < 0) {
            return 0;
        }
    }
    return 1;
}

/* QueryString.decode: + as space, %XX decoded, a bad escape kept. */
static void query_decode(const char *s, size_t n, Buf *out) {
    for (size_t i = 0; i < n; i++) {
        int high, low;
        if (s[i] == '+') {
            putc_(out, ' ');
        } else if (s[i] == '%' && i + 2 < n && (high = hex_value(s[i + 1])) >= 0 &&
                   (low = hex_value(s[i + 2])) >= 0) {
            putc_(out, (char)(high << 4 | low));
            i += 2;
        } else {
            putc_(out, s[i]);
        }
    }
}

/* The value of the last `name=` pair of the query string (decoded), or NULL. */
char *query_value(const char *query, const char *name, Buf *scratch) {
    char *found = NULL;
    const char *p = query;
    while (*p) {
        const char *amp = strchr(p, '&');
        const char *end = amp ? amp : p + strlen(p);
        const char *equals = memchr(p, '=', (size_t)(end - p));
        const char *name_end = equals ? equals : end;
        if (name_end > p) {
            scratch->len = 0;
            query_decode(p, (size_t)(name_end - p), scratch);
            if (scratch->len == strlen(name) && memcmp(scratch->data, name, scratch->len) == 0) {
                scratch->len = 0;
                if (equals) query_decode(equals + 1, (size_t)(end - equals - 1), scratch);
                putc_(scratch, 0);
                free(found);
                found = strdup(scratch->data);
            }
        }
        if (!amp) break;
        p = amp + 1;
    }
    return found;
}

/* Paging.integer: a decimal integer (optional sign) within [low, high], else a 400. */
int paging_integer(const char *text, long low, long high, long *out) {
    if (!text) return 1;
    const char *p = text;
    if (*p == '+' || *p == '-') p++;
    if (!*p) return 0;
    for (const char *q = p; *q; q++)
        if (!isdigit((unsigned char)*q)) return 0;
    errno = 0;
    long value = strtol(text, NULL, 10);
    if (errno || value < low || value > high) return 0;
    *out = value;
    return 1;
}

/* The millisecond of a UUIDv7 order id; 0 when the id is not a UUIDv7. */
static unsigned long long order_millis(const char *order_id) {
    if (!uuid_valid(order_id) || order_id[14] != '7' || !strchr("89abAB", order_id[19])) return 0;
    unsigned long long millis = 0;
    for (int i = 0, digits = 0; digits < 12; i++) {
        if (order_id[i] == '-') continue;
        millis = millis << 4 | (unsigned)hex_value(order_id[i]);
        digits++;
    }
    return millis;
}

static const unsigned long long day_millis = 86400000ULL;

/* OrderEventBound.lowestEventId: the first UUIDv7 of the UTC day before the order id's day; the
 * smallest UUID when the id is not a UUIDv7. */
void lowest_event_id(const char *order_id, char out[37]) {
    strcpy(out, "00000000-0000-0000-0000-000000000000");
    unsigned long long millis = order_millis(order_id);
    if (millis < day_millis) return;
    millis = (millis / day_millis - 1) * day_millis;
    snprintf(out, 37, "%08x-%04x-7000-8000-000000000000", (unsigned)(millis >> 16) & 0xffffffffu,
             (unsigned)(millis & 0xffff));
}

/* OrderEventBound.highestEventId: the last UUID of the UTC day after now (or after the order id's
 * day, when that is later); the largest UUID when the id is not a UUIDv7. */
void highest_event_id(const char *order_id, char out[37]) {
    strcpy(out, "ffffffff-ffff-ffff-ffff-ffffffffffff");
    unsigned long long millis = order_millis(order_id);
    if (millis < day_millis) return;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    unsigned long long now_millis = (unsigned long long)now.tv_sec * 1000ULL + (unsigned long long)now.tv_nsec / 1000000;
    if (now_millis > millis) millis = now_millis;
    millis = (millis / day_millis + 2) * day_millis - 1;
    if (millis >= 1ULL << 48) return;
    snprintf(out, 37, "%08x-%04x-ffff-ffff-ffffffffffff", (unsigned)(millis >> 16) & 0xffffffffu,
             (unsigned)(millis & 0xffff));
}

/* Authenticator.verify: the owner of the token (`known`, its merchant, `revoked`) and the client's
 * failures in this window; 0 when the request may go on, else the status of the refusal. */
int verify(PGresult *r, const char *merchant, Problem *problem) {
    int failures = 0, known = 0, revoked = 0, same = 0;
    if (PQntuples(r) > 0) {
        int f = PQfnumber(r, "failures"), rv = PQfnumber(r, "revoked");
        int m = PQfnumber(r, "token_merchant");
        if (f >= 0 && !PQgetisnull(r, 0, f)) failures = atoi(PQgetvalue(r, 0, f));
        if (m >= 0 && !PQgetisnull(r, 0, m)) {
            known = 1;
            same = strcmp(PQgetvalue(r, 0, m), merchant) == 0;
            revoked = rv >= 0 && PQgetvalue(r, 0, rv)[0] == 't';
        }
    }
    if (failures >= auth_failure_limit) {
        *problem = (Problem){429, "Too Many Requests", "too many failed authentications from this address", NULL,
                             "Retry-After: 60"};
        return 429;
    }
    if (!known || revoked) {
        *problem = (Problem){401, "Unauthorized",
                             known ? "the bearer token has been revoked" : "the bearer token is unknown", NULL,
                             "WWW-Authenticate: Bearer"};
        return 401;
    }
    if (!same) {
        *problem = (Problem){403, "Forbidden", "the bearer token does not belong to this merchant", NULL, NULL};
        return 403;
    }
    return 0;
}

const Problem unavailable = {503, "Service Unavailable", "the database is not available", NULL,
                                    "Retry-After: 1"};
