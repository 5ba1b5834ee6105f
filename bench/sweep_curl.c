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
 * the destinations' health). Like the sweep it keeps claiming while transfers run (at most 256
 * deliveries held, 32 per destination and 128 per merchant, batches of 100) and writes back once
 * half a batch has finished, nothing is in flight, or 10 ms have passed.
 *
 * It is a baseline, not a second sweep: a failed attempt is recorded as failed with no retry and
 * leaves its destination's health as it was, there is no address policy, no --follow, and the
 * destination's breaker state is not consulted beyond what the claim statement does.
 *
 *   cc -O2 -o sweep_curl bench/sweep_curl.c -lpq -lcurl -lcrypto
 *   NOTIFY_DATABASE_URL=... sweep_curl CLAIM_SQL_FILE LOCK_SQL_FILE COMPLETE_SQL_FILE
 *
 * Runs until nothing is due and nothing is in flight, then prints one line
 * `{"delivered": N, "succeeded": N, "seconds": S, "claims": N, "write_backs": N}` on stdout.
 */
#include <curl/curl.h>
#include <errno.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    BATCH = 100,
    CONCURRENCY = 128,
    PER_DESTINATION = 8,
    PER_MERCHANT = 64,
    DESTINATION_WINDOW = PER_DESTINATION * 4,
    MERCHANT_WINDOW = PER_MERCHANT * 2,
    MAX_HELD = CONCURRENCY * 2,
    RESPONSE_LIMIT = 64 * 1024,
    TIMEOUT_MS = 15000,
    LEASE_SECONDS = 15 * 10 + 30,
};

/* ------------------------------------------------------------------ text */

typedef struct {
    char *data;
    size_t len, cap;
} Buf;

static void reserve(Buf *b, size_t more) {
    if (b->len + more + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1) cap *= 2;
    char *data = realloc(b->data, cap);
    if (!data) {
        fputs("sweep_curl: out of memory\n", stderr);
        exit(1);
    }
    b->data = data;
    b->cap = cap;
}

static void put(Buf *b, const char *s, size_t n) {
    reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}

static void puts_(Buf *b, const char *s) { put(b, s, strlen(s)); }

static void putf(Buf *b, const char *format, ...) {
    va_list args;
    va_start(args, format);
    char small[512];
    int n = vsnprintf(small, sizeof small, format, args);
    va_end(args);
    if (n >= 0 && (size_t)n < sizeof small) put(b, small, (size_t)n);
}

/* One element of a PostgreSQL array literal: NULL, or a quoted string. */
static void put_array_item(Buf *b, const char *value) {
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

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static double monotonic(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* RFC 3339 UTC with milliseconds, the application's timestamp form. */
static void rfc3339(double seconds, char out[32]) {
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

static void uuid4(char out[37]) {
    unsigned char b[16];
    RAND_bytes(b, 16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    uuid_text(b, out);
}

static void uuid7(double seconds, char out[37]) {
    unsigned char b[16];
    RAND_bytes(b, 16);
    uint64_t ms = (uint64_t)(seconds * 1000);
    for (int i = 0; i < 6; i++) b[i] = (unsigned char)(ms >> (8 * (5 - i)));
    b[6] = (b[6] & 0x0f) | 0x70;
    b[8] = (b[8] & 0x3f) | 0x80;
    uuid_text(b, out);
}

/* ------------------------------------------------------------------ the stored request headers */

typedef struct {
    char *name, *value;
} Header;

static int by_name(const void *a, const void *b) { return strcmp(((const Header *)a)->name, ((const Header *)b)->name); }

/* Decodes the JSON string at *p (after its quote); returns a new string or NULL. */
static char *json_string(const char **p) {
    Buf out = {0};
    reserve(&out, 0);
    out.data[0] = 0;
    while (**p && **p != '"') {
        if (**p != '\\') {
            put(&out, (*p)++, 1);
            continue;
        }
        (*p)++;
        char e = *(*p)++;
        char c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == 'b' ? '\b' : e == 'f' ? '\f' : e;
        if (e == 'u') {
            unsigned cp = 0;
            for (int i = 0; i < 4 && **p; i++) {
                char h = *(*p)++;
                cp = cp << 4 | (unsigned)(h <= '9' ? h - '0' : (h | 32) - 'a' + 10);
            }
            char u[4];
            int n = cp < 0x80 ? (u[0] = (char)cp, 1)
                    : cp < 0x800 ? (u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 63)), 2)
                                 : (u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | (cp >> 6 & 63)),
                                    u[2] = (char)(0x80 | (cp & 63)), 3);
            put(&out, u, (size_t)n);
            continue;
        }
        put(&out, &c, 1);
    }
    if (**p != '"') {
        free(out.data);
        return NULL;
    }
    (*p)++;
    return out.data;
}

static void skip_space(const char **p) {
    while (**p == ' ' || **p == '\n' || **p == '\t' || **p == '\r') (*p)++;
}

/* A jsonb object of header values (`{"X-A": "1", ...}`), sorted by name as the sweep sorts them;
 * a value that is not a string is sent empty. Returns the count, or -1 when it does not parse. */
static int parse_headers(const char *text, Header **out) {
    *out = NULL;
    int count = 0, cap = 0;
    const char *p = text;
    skip_space(&p);
    if (*p++ != '{') return -1;
    skip_space(&p);
    if (*p == '}') return 0;
    for (;;) {
        skip_space(&p);
        if (*p++ != '"') return -1;
        char *name = json_string(&p);
        if (!name) return -1;
        skip_space(&p);
        if (*p++ != ':') return -1;
        skip_space(&p);
        char *value;
        if (*p == '"') {
            p++;
            value = json_string(&p);
            if (!value) return -1;
        } else {
            int depth = 0;
            while (*p && (depth > 0 || (*p != ',' && *p != '}'))) {
                if (*p == '{' || *p == '[') depth++;
                if (*p == '}' || *p == ']') depth--;
                p++;
            }
            value = strdup("");
        }
        if (count == cap) {
            cap = cap ? cap * 2 : 8;
            *out = realloc(*out, (size_t)cap * sizeof **out);
        }
        (*out)[count++] = (Header){name, value};
        skip_space(&p);
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == '}') break;
        return -1;
    }
    qsort(*out, (size_t)count, sizeof **out, by_name);
    return count;
}

/* ------------------------------------------------------------------ signing */

static void base64(const unsigned char *in, int n, Buf *out) {
    unsigned char encoded[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
    int length = EVP_EncodeBlock(encoded, in, n);
    put(out, (const char *)encoded, (size_t)length);
}

/* The key of a `whsec_<base64>` secret; its length, or -1. */
static int secret_key(const char *secret, unsigned char key[128]) {
    if (strncmp(secret, "whsec_", 6) == 0) secret += 6;
    size_t n = strlen(secret);
    if (n == 0 || n % 4 != 0 || n > 160) return -1;
    int length = EVP_DecodeBlock(key, (const unsigned char *)secret, (int)n);
    if (length < 0) return -1;
    if (secret[n - 1] == '=') length--;
    if (secret[n - 2] == '=') length--;
    return length;
}

static void sign(const char *secret, const char *id, long long timestamp, const char *body, size_t body_len,
                 Buf *out) {
    unsigned char key[128];
    int key_len = secret_key(secret, key);
    if (key_len <= 0) return;
    char prefix[128];
    int prefix_len = snprintf(prefix, sizeof prefix, "%s.%lld.", id, timestamp);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    Buf content = {0};
    put(&content, prefix, (size_t)prefix_len);
    put(&content, body, body_len);
    HMAC(EVP_sha256(), key, key_len, (const unsigned char *)content.data, content.len, mac, &mac_len);
    free(content.data);
    puts_(out, "v1,");
    base64(mac, (int)mac_len, out);
}

/* ------------------------------------------------------------------ deliveries */

typedef struct Delivery {
    char merchant[128], event_id[37], destination[37], lease[37], trigger[16];
    int attempt, started, done;
    double claimed_at;
    char *body;
    size_t body_len;
    Buf response;
    int status_code, duration_ms;
    char *error;
    CURL *easy;
    struct curl_slist *headers;
    char curl_error[CURL_ERROR_SIZE];
    struct Delivery *next;
} Delivery;

/* Counts per key (destination or merchant); a handful of keys, so a list is enough. */
typedef struct Count {
    char key[128];
    int n;
    struct Count *next;
} Count;

static Count *find(Count **list, const char *key, int create) {
    for (Count *c = *list; c; c = c->next)
        if (strcmp(c->key, key) == 0) return c;
    if (!create) return NULL;
    Count *c = calloc(1, sizeof *c);
    snprintf(c->key, sizeof c->key, "%s", key);
    c->next = *list;
    *list = c;
    return c;
}

static int count_of(Count **list, const char *key) {
    Count *c = find(list, key, 0);
    return c ? c->n : 0;
}

static void add(Count **list, const char *key, int change) { find(list, key, 1)->n += change; }

static PGconn *db;
static const char *claim_sql, *lock_sql, *complete_sql;
static CURLM *multi;
static Delivery *waiting, *waiting_tail; /* claimed, not yet started */
static Delivery *finished;               /* done, not yet written back */
static int in_flight, active, unwritten, held;
static double oldest_unwritten;
static Count *held_by_destination, *held_by_merchant, *active_by_destination, *active_by_merchant;
static Count *backlogged; /* destinations whose last claim filled their window */
static int room_opened = 1;
static long long claims, write_backs, delivered, succeeded;

static void fail(const char *what, PGresult *result) {
    fprintf(stderr, "sweep_curl: %s: %s", what, result ? PQresultErrorMessage(result) : PQerrorMessage(db));
    exit(1);
}

static PGresult *exec(const char *name, const char *sql, int n, const char *const *values, int *prepared) {
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

static void command(const char *sql) {
    PGresult *r = PQexec(db, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) fail(sql, r);
    PQclear(r);
}

static size_t on_data(char *data, size_t size, size_t count, void *context) {
    Delivery *d = context;
    size_t n = size * count;
    if (d->response.len + n > RESPONSE_LIMIT) return 0;
    put(&d->response, data, n);
    return n;
}

/* Builds the signed request of one claimed row (the sweep's WebhookMessage and CurlTransfer). */
static void prepare_transfer(Delivery *d, PGresult *r, int row, double now) {
    const char *method = PQgetvalue(r, row, PQfnumber(r, "request_method"));
    const char *url = PQgetvalue(r, row, PQfnumber(r, "request_url"));
    const char *payload = PQgetvalue(r, row, PQfnumber(r, "payload"));
    int has_body = strcmp(method, "GET") != 0;
    d->body_len = has_body ? strlen(payload) : 0;
    d->body = malloc(d->body_len + 1);
    memcpy(d->body, payload, d->body_len + 1);
    Header *headers = NULL;
    int count = parse_headers(PQgetvalue(r, row, PQfnumber(r, "request_headers")), &headers);
    int content_type = 0, user_agent = 0;
    Buf line = {0};
    for (int i = 0; i < count; i++) {
        if (strcasecmp(headers[i].name, "content-type") == 0) content_type = 1;
        if (strcasecmp(headers[i].name, "user-agent") == 0) user_agent = 1;
        line.len = 0;
        if (*headers[i].value) {
            putf(&line, "%s: %s", headers[i].name, headers[i].value);
        } else {
            putf(&line, "%s;", headers[i].name);
        }
        d->headers = curl_slist_append(d->headers, line.data);
        free(headers[i].name);
        free(headers[i].value);
    }
    free(headers);
    if (has_body && !content_type) d->headers = curl_slist_append(d->headers, "Content-Type: application/json");
    if (!user_agent) d->headers = curl_slist_append(d->headers, "User-Agent: notify/0.1.0");
    long long timestamp = (long long)now;
    line.len = 0;
    putf(&line, "webhook-id: %s", d->event_id);
    d->headers = curl_slist_append(d->headers, line.data);
    line.len = 0;
    putf(&line, "webhook-timestamp: %lld", timestamp);
    d->headers = curl_slist_append(d->headers, line.data);
    line.len = 0;
    puts_(&line, "webhook-signature: ");
    sign(PQgetvalue(r, row, PQfnumber(r, "signing_secret")), d->event_id, timestamp, d->body, d->body_len, &line);
    int previous = PQfnumber(r, "previous_signing_secret");
    if (previous >= 0 && !PQgetisnull(r, row, previous)) {
        puts_(&line, " ");
        sign(PQgetvalue(r, row, previous), d->event_id, timestamp, d->body, d->body_len, &line);
    }
    d->headers = curl_slist_append(d->headers, line.data);
    d->headers = curl_slist_append(d->headers, "Expect:");
    if (!content_type) d->headers = curl_slist_append(d->headers, "Content-Type:");
    free(line.data);

    CURL *e = d->easy = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)TIMEOUT_MS);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "notify/0.1.0");
    curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, d->curl_error);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, d);
    curl_easy_setopt(e, CURLOPT_PRIVATE, d);
    if (!has_body) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)d->body_len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, d->body);
        if (strcmp(method, "POST") != 0) curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, d->headers);
}

static int claim_prepared, lock_prepared, complete_prepared;

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

static int claim(void) {
    int limit = MAX_HELD - held < BATCH ? MAX_HELD - held : BATCH;
    if (limit <= 0) return 0;
    room_opened = 0;
    double now = now_seconds();
    char now_text[32], until_text[32], lease[37], limit_text[16], per_destination[16], per_merchant[16];
    rfc3339(now, now_text);
    rfc3339(now + LEASE_SECONDS, until_text);
    uuid4(lease);
    snprintf(limit_text, sizeof limit_text, "%d", limit);
    snprintf(per_destination, sizeof per_destination, "%d", DESTINATION_WINDOW);
    snprintf(per_merchant, sizeof per_merchant, "%d", MERCHANT_WINDOW);
    Buf destinations = {0}, destination_rooms = {0}, merchants = {0}, merchant_rooms = {0};
    room_arrays(held_by_destination, DESTINATION_WINDOW, &destinations, &destination_rooms);
    room_arrays(held_by_merchant, MERCHANT_WINDOW, &merchants, &merchant_rooms);
    const char *values[10] = {now_text, limit_text, until_text, lease, destinations.data, destination_rooms.data,
                              merchants.data, merchant_rooms.data, per_destination, per_merchant};
    PGresult *r = exec("deliveries_claim", claim_sql, 10, values, &claim_prepared);
    free(destinations.data);
    free(destination_rooms.data);
    free(merchants.data);
    free(merchant_rooms.data);
    claims++;
    int rows = PQntuples(r);
    int c_merchant = PQfnumber(r, "merchant"), c_event = PQfnumber(r, "event_id"),
        c_destination = PQfnumber(r, "destination_id"), c_attempt = PQfnumber(r, "attempt"),
        c_trigger = PQfnumber(r, "trigger");
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
    PQclear(r);
    for (Count *c = held_by_destination; c; c = c->next)
        if (c->n >= DESTINATION_WINDOW) find(&backlogged, c->key, 1)->n = 1;
    if (rows >= limit) room_opened = 1;
    return rows;
}

/* Starts waiting transfers as the limits allow (the sweep's DeliveryQueue). */
static void start_waiting(void) {
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

static void collect_finished(void) {
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
    }
}

static void release_hold(Delivery *d) {
    held--;
    add(&held_by_merchant, d->merchant, -1);
    add(&held_by_destination, d->destination, -1);
    int now_held = count_of(&held_by_destination, d->destination);
    Count *b = find(&backlogged, d->destination, 0);
    if (b && b->n && now_held <= DESTINATION_WINDOW / 2) {
        b->n = 0;
        room_opened = 1;
    }
}

/* One transaction: lock the batch's destinations, write the attempts and their health back. */
static void write_back(void) {
    Buf ids = {0};
    puts_(&ids, "{");
    Count *destinations = NULL;
    for (Delivery *d = finished; d; d = d->next)
        if (d->destination[0]) find(&destinations, d->destination, 1);
    for (Count *c = destinations; c; c = c->next) put_array_item(&ids, c->key);
    puts_(&ids, "}");
    command("BEGIN");
    const char *lock_values[1] = {ids.data};
    PGresult *locked = exec("destinations_lock", lock_sql, 1, lock_values, &lock_prepared);

    /* The outcome arrays $1..$13. */
    Buf a[24] = {{0}};
    for (int i = 0; i < 24; i++) puts_(&a[i], "{");
    double now = now_seconds();
    char now_text[32];
    rfc3339(now, now_text);
    for (Delivery *d = finished; d; d = d->next) {
        char attempt_id[37], attempted_at[32], number[16], duration[16], automatic[16];
        uuid7(d->claimed_at, attempt_id);
        rfc3339(d->claimed_at, attempted_at);
        snprintf(number, sizeof number, "%d", d->status_code);
        snprintf(duration, sizeof duration, "%d", d->duration_ms);
        int manual = strcmp(d->trigger, "manual") == 0;
        snprintf(automatic, sizeof automatic, "%d", d->attempt + (manual ? 0 : 1));
        int ok = !d->error && d->status_code >= 200 && d->status_code < 300;
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
        delivered++;
        succeeded += ok;
    }
    /* The destinations' health ($14..$24): after a success, healthy with no failures, as the
     * sweep's DestinationHealth.record; other columns as locked. */
    int n = PQntuples(locked);
    for (int row = 0; row < n; row++) {
        const char *id = PQgetvalue(locked, row, PQfnumber(locked, "destination_id"));
        int any_success = 0;
        for (Delivery *d = finished; d; d = d->next)
            if (strcmp(d->destination, id) == 0 && !d->error && d->status_code >= 200 && d->status_code < 300)
                any_success = 1;
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
    const char *values[24];
    for (int i = 0; i < 24; i++) {
        puts_(&a[i], "}");
        values[i] = a[i].data;
    }
    PQclear(exec("deliveries_complete", complete_sql, 24, values, &complete_prepared));
    command("COMMIT");
    write_backs++;
    for (int i = 0; i < 24; i++) free(a[i].data);
    free(ids.data);
    while (destinations) {
        Count *next = destinations->next;
        free(destinations);
        destinations = next;
    }
    while (finished) {
        Delivery *d = finished;
        finished = d->next;
        release_hold(d);
        free(d->body);
        free(d->response.data);
        free(d->error);
        free(d);
    }
    unwritten = 0;
}

static void advance(int wait_ms) {
    start_waiting();
    if (active > 0) {
        int running, before = unwritten;
        curl_multi_perform(multi, &running);
        collect_finished();
        if (unwritten == before && active > 0) {
            curl_multi_poll(multi, NULL, 0, wait_ms, NULL);
            curl_multi_perform(multi, &running);
            collect_finished();
        }
        start_waiting();
    }
    if (finished && (in_flight == 0 || unwritten >= BATCH / 2 || monotonic() - oldest_unwritten >= 0.01))
        write_back();
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    Buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) put(&b, chunk, n);
    fclose(f);
    return b.data;
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
    db = PQconnectdb(conninfo);
    if (PQstatus(db) != CONNECTION_OK) fail("connect", NULL);
    curl_global_init(CURL_GLOBAL_ALL);
    multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)CONCURRENCY);
    double started = monotonic();
    int idle = 0;
    for (;;) {
        int busy = in_flight + unwritten;
        if (held < MAX_HELD && (busy == 0 || room_opened)) idle = claim() == 0;
        if (in_flight + unwritten == 0 && idle) break;
        advance(5);
    }
    double seconds = monotonic() - started;
    printf("{\"delivered\": %lld, \"succeeded\": %lld, \"seconds\": %.3f, \"claims\": %lld, \"write_backs\": %lld}\n",
           delivered, succeeded, seconds, claims, write_backs);
    curl_multi_cleanup(multi);
    PQfinish(db);
    return 0;
}
