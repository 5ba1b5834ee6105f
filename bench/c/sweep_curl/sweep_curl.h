/* sweep_curl: the same-work C baseline of scripts/bench figure 3 (what it does: main.c). The
 * declarations its files share: its limits, a delivery, the state of the run. */
#ifndef SWEEP_CURL_H
#define SWEEP_CURL_H

#include <curl/curl.h>
#include <libpq-fe.h>

#include "../buf.h"

enum {
    BATCH = 100,
    CONCURRENCY = 128,
    PER_DESTINATION = 8,
    PER_MERCHANT = 64,
    DESTINATION_WINDOW = PER_DESTINATION * 4,
    MERCHANT_WINDOW = PER_MERCHANT * 4,
    MAX_HELD = CONCURRENCY * 4,
    RESPONSE_LIMIT = 64 * 1024,
    TIMEOUT_MS = 15000,
    LEASE_SECONDS = 15 * 10 + 30,
};

typedef struct {
    char *name, *value;
} Header;

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

/* A claim handed to the database thread: its arguments, and what the sweep knew when it asked. */
typedef struct {
    char now[32], until[32], lease[37], limit_text[16];
    Buf destinations, destination_rooms, merchants, merchant_rooms;
    double at;
    int limit, nothing_held;
} ClaimJob;

static inline int delivery_ok(const Delivery *d) { return !d->error && d->status_code >= 200 && d->status_code < 300; }

/* Counts per key (destination or merchant); a handful of keys, so a list is enough. */
typedef struct Count {
    char key[128];
    int n;
    struct Count *next;
} Count;

/* database.c: the connection of the database thread that runs the code (none on the transfer thread) */
extern _Thread_local PGconn *db;

/* main.c: the state of the run (the transfer thread's) */
extern const char *claim_sql, *lock_sql, *complete_sql;
extern CURLM *multi;
extern Delivery *waiting, *waiting_tail; /* claimed, not yet started */
extern Delivery *finished;               /* done, not yet written back */
extern int in_flight, active, unwritten, writing, held;
extern int claiming; /* the limit of the claim being made, 0 when none is */
extern int drained;  /* a claim made with nothing held took nothing */
extern double oldest_unwritten;
extern Count *held_by_destination, *held_by_merchant, *active_by_destination, *active_by_merchant;
/* Destinations and merchants whose last claim filled their window. */
extern Count *backlogged, *backlogged_merchants;
extern int room_opened;
extern long long claims, write_backs, delivered, succeeded;
void fail(const char *what, PGresult *result);
PGresult *exec(const char *name, const char *sql, int n, const char *const *values, int *prepared);

/* text.c: array literals, clocks, timestamps, UUIDs */
void put_array_item(Buf *b, const char *value);
double now_seconds(void);
double monotonic(void);
void rfc3339(double seconds, char out[32]);
void uuid4(char out[37]);
void uuid7(double seconds, char out[37]);

/* headers.c, sign.c: the stored request headers, the Standard Webhooks signature */
int parse_headers(const char *text, Header **out);
void sign(const char *secret, const char *id, long long timestamp, const char *body, size_t body_len, Buf *out);

/* transfer.c: counts per key, the signed request of a claimed row */
Count *find(Count **list, const char *key, int create);
int count_of(Count **list, const char *key);
void add(Count **list, const char *key, int change);
void prepare_transfer(Delivery *d, PGresult *r, int row, double now);

/* queue.c, write_back.c: claiming, starting and collecting transfers, writing outcomes back
 * (run_claim and write_batch on the database threads, the rest on the transfer thread) */
void claim_ahead(void);
PGresult *run_claim(const ClaimJob *job);
void start_claimed(ClaimJob *job, PGresult *r);
void start_waiting(void);
void collect_finished(void);
void release_hold(Delivery *d);
void write_batch(Delivery *batch);
void release_written(Delivery *batch);

/* database.c: the database threads and the hand-over of their jobs */
void database_start(const char *database_url);
void database_stop(void);
void ask_claim(ClaimJob *job);
void ask_write(Delivery *batch);
ClaimJob *take_claimed(PGresult **rows);
Delivery *take_written(void);

#endif
