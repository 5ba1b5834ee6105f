/* static_fcgi: the ceiling of scripts/bench figure 1 (issue 16), and its one-lookup line.
 *
 * A C libfcgi worker with the same process model as notify-fcgi and bench/hello_fcgi.c (a master
 * opens the unix socket with FCGX_OpenSocket and a backlog of 4096, pre-forks N workers that each
 * accept one connection at a time and close it at once when done) that answers every request with
 * the bytes of one file: the API's answer to figure 1's read (a 7 KB page of 10 events), with the
 * API's headers (status line, Content-Type, X-Request-Id, Content-Length). It reads no database and renders
 * nothing, so it measures what nginx, FastCGI and wrk alone cost for an answer of that size: the
 * most any worker could reach behind this nginx, and so the highest ratio to the hello world
 * (bench/hello_fcgi.c, 18 bytes) that figure 1 can show.
 *
 * The file is read by each worker on its first request, and again whenever a request finds it
 * changed (another size or modification time), so the bench can start the worker before it has
 * the answer; until the file exists the answer is 503.
 *
 * With LOOKUP_SQL_FILE (and NOTIFY_DATABASE_URL) the answer comes from PostgreSQL instead, one
 * statement per request on a connection each worker keeps: the statement of the file, prepared
 * once, with $1 the SHA-256 (hex) of the bearer token, $2 X-Merchant and $3 the orderId of the
 * query, returns the body (one row, one text column) only when the token is the merchant's and
 * not revoked; no row is a 401. That is the least a worker can do that keeps its state in the
 * database and refuses a revoked token at once: the answer kept rendered, read with the token
 * check in one round trip (bench/lookup_page.sql), what figure 1 reports as its one-lookup line.
 *
 *   cc -O2 -I"$(pg_config --includedir)" -o static_fcgi bench/c/static_fcgi.c -lfcgi -lpq -lcrypto
 *   static_fcgi SOCKET_PATH WORKERS BODY_FILE [LOOKUP_SQL_FILE]
 */
#include <errno.h>
#include <fcgiapp.h>
#include <libpq-fe.h>
#include <openssl/sha.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_WORKERS 256

static volatile sig_atomic_t stop_requested = 0;

static void on_stop(int sig) {
    (void)sig;
    stop_requested = 1;
}

static void install(int sig, void (*handler)(int)) {
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; /* no SA_RESTART: an idle accept() returns EINTR */
    sigaction(sig, &action, NULL);
}

static const char *body_path;
static char *body;
static size_t body_len;
static struct stat body_stat;

/* The body, (re)read when the file is new or changed; 0 when there is none. */
static int load_body(void) {
    struct stat now;
    if (stat(body_path, &now) != 0) return 0;
    if (body && now.st_size == body_stat.st_size && now.st_mtim.tv_sec == body_stat.st_mtim.tv_sec &&
        now.st_mtim.tv_nsec == body_stat.st_mtim.tv_nsec)
        return 1;
    FILE *f = fopen(body_path, "rb");
    if (!f) return 0;
    char *data = malloc((size_t)now.st_size + 1);
    size_t got = data ? fread(data, 1, (size_t)now.st_size, f) : 0;
    fclose(f);
    if (!data || got != (size_t)now.st_size) {
        free(data);
        return 0;
    }
    free(body);
    body = data;
    body_len = got;
    body_stat = now;
    return 1;
}

static char *lookup_sql;
static PGconn *db;
static int prepared;

/* The text of a file, or NULL. */
static char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    int c;
    while (out && (c = fgetc(f)) != EOF) fputc(c, out);
    fclose(f);
    if (out) fclose(out);
    return text;
}

/* The worker's connection with the lookup statement prepared; 0 when the database cannot be had. */
static int lookup_ready(void) {
    if (db && PQstatus(db) == CONNECTION_OK && prepared) return 1;
    if (db) PQfinish(db);
    prepared = 0;
    db = PQconnectdb(getenv("NOTIFY_DATABASE_URL") ? getenv("NOTIFY_DATABASE_URL") : "");
    if (PQstatus(db) != CONNECTION_OK) {
        fprintf(stderr, "static_fcgi: %s", PQerrorMessage(db));
        return 0;
    }
    PGresult *statement = PQprepare(db, "lookup", lookup_sql, 3, NULL);
    prepared = PQresultStatus(statement) == PGRES_COMMAND_OK;
    if (!prepared) fprintf(stderr, "static_fcgi: %s", PQerrorMessage(db));
    PQclear(statement);
    return prepared;
}

/* The lookup's result for the request (the caller clears it): no rows without credentials, NULL
 * when the database cannot be had. */
static PGresult *lookup(FCGX_Request *request) {
    const char *auth = FCGX_GetParam("HTTP_AUTHORIZATION", request->envp);
    const char *merchant = FCGX_GetParam("HTTP_X_MERCHANT", request->envp);
    const char *query = FCGX_GetParam("QUERY_STRING", request->envp);
    const char *order = query ? strstr(query, "orderId=") : NULL;
    if (!auth || strncmp(auth, "Bearer ", 7) != 0 || !merchant || !order)
        return PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    if (!lookup_ready()) return NULL;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)auth + 7, strlen(auth + 7), digest);
    char hash[2 * SHA256_DIGEST_LENGTH + 1];
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) snprintf(hash + 2 * i, 3, "%02x", digest[i]);
    char order_id[37];
    snprintf(order_id, sizeof order_id, "%.36s", order + strlen("orderId="));
    const char *values[3] = {hash, merchant, order_id};
    return PQexecPrepared(db, "lookup", 3, values, NULL, NULL, 0);
}

static void serve(FCGX_Request *request) {
    char buffer[4096];
    while (FCGX_GetStr(buffer, sizeof buffer, request->in) > 0) {
    }
    const char *request_id = FCGX_GetParam("REQUEST_ID", request->envp);
    if (!request_id || !*request_id) request_id = FCGX_GetParam("HTTP_X_REQUEST_ID", request->envp);
    char head[512];
    const char *answer = "", *status = "503 Service Unavailable";
    size_t answer_len = 0;
    PGresult *found = NULL;
    if (lookup_sql) {
        found = lookup(request);
        if (PQresultStatus(found) == PGRES_TUPLES_OK && PQntuples(found) == 1) {
            answer = PQgetvalue(found, 0, 0);
            answer_len = (size_t)PQgetlength(found, 0, 0);
            status = "200 OK";
        } else if (found) {
            status = "401 Unauthorized";
        }
    } else if (load_body()) {
        answer = body;
        answer_len = body_len;
        status = "200 OK";
    }
    int n = snprintf(head, sizeof head, "Status: %s\r\nContent-Type: application/json\r\n", status);
    if (request_id && *request_id && n < (int)sizeof head)
        n += snprintf(head + n, sizeof head - (size_t)n, "X-Request-Id: %.200s\r\n", request_id);
    if (n < (int)sizeof head)
        n += snprintf(head + n, sizeof head - (size_t)n, "Content-Length: %zu\r\n\r\n", answer_len);
    FCGX_PutStr(head, n, request->out);
    FCGX_PutStr(answer, (int)answer_len, request->out);
    PQclear(found);
}

static int worker(int listen_fd) {
    FCGX_Request request;
    install(SIGTERM, on_stop);
    install(SIGINT, on_stop);
    signal(SIGPIPE, SIG_IGN);
    if (FCGX_Init() != 0) return 1;
    if (FCGX_InitRequest(&request, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) return 1;
    while (!stop_requested) {
        if (FCGX_Accept_r(&request) < 0) continue;
        serve(&request);
        /* As notify-fcgi: the input was read to the end, so the connection is closed at once. */
        request.detached = 1;
        FCGX_Finish_r(&request);
        request.detached = 0;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s SOCKET_PATH WORKERS BODY_FILE [LOOKUP_SQL_FILE]\n", argv[0]);
        return 2;
    }
    const char *path = argv[1];
    int count = atoi(argv[2]);
    body_path = argv[3];
    if (argc > 4 && !(lookup_sql = read_text(argv[4]))) {
        fprintf(stderr, "cannot read %s\n", argv[4]);
        return 2;
    }
    if (count < 1 || count > MAX_WORKERS) {
        fprintf(stderr, "WORKERS must be 1..%d\n", MAX_WORKERS);
        return 2;
    }
    unlink(path);
    int fd = FCGX_OpenSocket(path, 4096);
    if (fd < 0) {
        fprintf(stderr, "cannot open FastCGI socket at %s\n", path);
        return 1;
    }
    chmod(path, 0666);
    install(SIGTERM, on_stop);
    install(SIGINT, on_stop);

    pid_t pids[MAX_WORKERS];
    for (int i = 0; i < count; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            stop_requested = 1;
            count = i;
            break;
        }
        if (pid == 0) _exit(worker(fd));
        pids[i] = pid;
    }
    fprintf(stderr, "static_fcgi: %d workers on %s serving %s\n", count, path, lookup_sql ? argv[4] : body_path);
    while (!stop_requested) {
        int status;
        pid_t pid = wait(&status);
        if (pid < 0 && errno == ECHILD) break;
    }
    for (int i = 0; i < count; i++) kill(pids[i], SIGTERM);
    while (wait(NULL) > 0) {
    }
    unlink(path);
    return 0;
}
