/* Text the sweep writes: PostgreSQL array literals, RFC 3339 timestamps, UUIDs; and its clocks. */
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "sweep_curl.h"

/* One element of a PostgreSQL array literal: NULL, or a quoted string. */
void put_array_item(Buf *b, const char *value) {
    if (b->len > 0 && b->data[b->len - 1] != '{') puts_(b, ",");
    if (!value) {
        puts_(b, "NULL");
        return;
    }
    puts_(b, "\"");
    for (const char *p = value; *p; p++) {
        if (*p == '"' || *p == '\\') put(b, "\\", 1);
        put(b, p, 1);
    }
    puts_(b, "\"");
}

double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

double monotonic(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* RFC 3339 UTC with milliseconds, the application's timestamp form. */
void rfc3339(double seconds, char out[32]) {
    int64_t ms = (int64_t)(seconds * 1000);
    time_t whole = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&whole, &tm);
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
             tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100, (int)(ms % 1000));
}

static void uuid_text(const unsigned char b[16], char out[37]) {
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
             b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

void uuid4(char out[37]) {
    unsigned char b[16];
    RAND_bytes(b, 16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    uuid_text(b, out);
}

void uuid7(double seconds, char out[37]) {
    unsigned char b[16];
    RAND_bytes(b, 16);
    uint64_t ms = (uint64_t)(seconds * 1000);
    for (int i = 0; i < 6; i++) b[i] = (unsigned char)(ms >> (8 * (5 - i)));
    b[6] = (b[6] & 0x0f) | 0x70;
    b[8] = (b[8] & 0x3f) | 0x80;
    uuid_text(b, out);
}
