/* events_fcgi: the same-work baseline of scripts/bench figure 1 (issue 16).
 *
 * A C libfcgi + libpq worker doing what notify-fcgi does for
 *   GET /api/v0/checkout/notifications/events?orderId=...   (also /api/v1/events)
 * with the same process model: a master opens the unix socket with FCGX_OpenSocket and the same
 * backlog (4096), pre-forks N workers (one replaced when it dies) that each accept one connection
 * at a time with FCGX_Accept_r, keep one PostgreSQL connection opened on first use, and block
 * SIGTERM while they serve a request. Per request it does the worker's work:
 *   - X-Merchant and `Authorization: Bearer <token>` checked as the Swift Authenticator does: the
 *     token's shape, its SHA-256 (hex) looked up with the application's own token statement
 *     (owner, revoked, failed authentications of the client address in the current minute);
 *   - the application's events page statement (filter orderId), prepared once per connection
 *     with the same parameters and text results; when that statement checks the token itself
 *     (it takes, after merchant, order id, limit, offset and the order's lowest and highest event
 *     ids, the token hash, failure bucket, window and failure quota, and returns each event as
 *     JSON text around its URL), the token statement is not run, as the Swift worker then saves
 *     that round trip too;
 *   - the response written as notify-fcgi writes it: status line, Content-Type, X-Request-Id,
 *     Content-Length,
 *     and the body byte for byte (object keys sorted by their UTF-8 bytes, no whitespace, events
 *     rendered from their columns or passed through as PostgreSQL rendered them, the attempts
 *     re-serialized from PostgreSQL's JSON, secret request-header values and secret query values
 *     of the URL shown as ***);
 *   - one JSON log line per request on stderr, as the Swift worker logs at level info.
 * The SQL is not copied here: scripts/bench passes the text of the statements (`notifyctl sql
 * NAME`) in files, so the baseline runs whatever the application runs. It is a baseline, not a
 * second implementation: other paths and other filters are not served alike, a failed
 * authentication is refused without being counted, and problem bodies are not the API's.
 *
 *   cc -O2 -I"$(pg_config --includedir)" -o events_fcgi bench/c/buf.c bench/c/events_fcgi/[a-z]*.c \
 *       -lfcgi -lpq -lcrypto -lm
 *   NOTIFY_DATABASE_URL=... events_fcgi SOCKET_PATH WORKERS TOKEN_SQL_FILE PAGE_SQL_FILE [COUNT_SQL_FILE]
 *
 * TOKEN_SQL_FILE: parameters ($1 token hash, $2 failure bucket, $3 window start), columns
 * token_merchant, revoked, failures. PAGE_SQL_FILE: parameters ($1 merchant, $2 order id, $3 limit,
 * $4 offset, then those above told apart by their types), rows with the columns of EventStatements
 * and `total`. COUNT_SQL_FILE ($1 merchant, $2 order id, then the order's range of event ids): the
 * total of a page past the end.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "events_fcgi.h"

#define MAX_WORKERS 256

const char program_name[] = "events_fcgi";

/* ------------------------------------------------------------------ process model */

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

static void block_sigterm(int block) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigprocmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

static void rfc3339_now(char *out, size_t size) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000);
}

static double monotonic_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000.0 + now.tv_nsec / 1e6;
}

static void serve(FCGX_Request *request, Buf *out, Buf *body, Buf *line) {
    double started = monotonic_ms();
    char buffer[4096];
    while (FCGX_GetStr(buffer, sizeof buffer, request->in) > 0) {
    }
    Problem problem = {0};
    char *merchant = NULL;
    body->len = 0;
    int status = respond(request, body, &problem, &merchant);
    const char *request_id = FCGX_GetParam("REQUEST_ID", request->envp);
    if (!request_id || !*request_id) request_id = FCGX_GetParam("HTTP_X_REQUEST_ID", request->envp);
    if (!request_id) request_id = "";
    out->len = 0;
    putf(out, "Status: %d %s\r\n", status, reason(status));
    if (status == 200) {
        puts_(out, "Content-Type: application/json\r\n");
    } else {
        puts_(out, "Content-Type: application/problem+json\r\n");
        if (problem.extra_header) putf(out, "%s\r\n", problem.extra_header);
        body->len = 0;
        puts_(body, "{\"detail\":");
        put_json_cstring(body, problem.detail);
        if (problem.field) {
            puts_(body, ",\"field\":");
            put_json_cstring(body, problem.field);
        }
        if (*request_id) {
            puts_(body, ",\"requestId\":");
            put_json_cstring(body, request_id);
        }
        putf(body, ",\"status\":%d,\"title\":", status);
        put_json_cstring(body, problem.title);
        puts_(body, ",\"type\":\"https://notify.dev/problems/");
        for (const char *t = problem.title; *t; t++) putc_(body, *t == ' ' ? '-' : (char)tolower((unsigned char)*t));
        puts_(body, "\"}");
    }
    if (*request_id) putf(out, "X-Request-Id: %s\r\n", request_id);
    putf(out, "Content-Length: %zu\r\n", body->len); /* as notify-fcgi: no chunked answer */
    puts_(out, "\r\n");
    put(out, body->data, body->len);
    FCGX_PutStr(out->data, (int)out->len, request->out);

    /* The access log line, as the Swift worker writes it (one fwrite on unbuffered stderr). */
    const char *method = FCGX_GetParam("REQUEST_METHOD", request->envp);
    const char *uri = FCGX_GetParam("REQUEST_URI", request->envp);
    char ts[96];
    rfc3339_now(ts, sizeof ts);
    line->len = 0;
    putf(line, "{\"duration.ms\":%d,\"http.method\":", (int)(monotonic_ms() - started));
    put_json_cstring(line, method ? method : "GET");
    puts_(line, ",\"http.path\":");
    put_json_string(line, uri ? uri : "/", uri ? strcspn(uri, "?") : 1);
    putf(line, ",\"http.status\":%d,\"level\":\"info\",\"logger\":\"notify-fcgi\",\"merchant\":", status);
    put_json_cstring(line, merchant ? merchant : "");
    putf(line, ",\"msg\":\"request\",\"pid\":%d,\"request.id\":", (int)getpid());
    put_json_cstring(line, request_id);
    puts_(line, ",\"ts\":");
    put_json_cstring(line, ts);
    puts_(line, "}\n");
    fwrite(line->data, 1, line->len, stderr);
    free(merchant);
}

static int worker(int listen_fd) {
    FCGX_Request request;
    install(SIGTERM, on_stop);
    install(SIGINT, on_stop);
    signal(SIGPIPE, SIG_IGN);
    if (FCGX_Init() != 0) return 1;
    if (FCGX_InitRequest(&request, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) return 1;
    Buf out = {0}, body = {0}, line = {0};
    while (!stop_requested) {
        if (FCGX_Accept_r(&request) < 0) continue;
        block_sigterm(1);
        serve(&request, &out, &body, &line);
        /* As notify-fcgi: the input was read to the end, so the connection is closed at once
         * (detached) instead of libfcgi shutting it down and waiting for nginx to close first. */
        request.detached = 1;
        FCGX_Finish_r(&request);
        request.detached = 0;
        block_sigterm(0);
    }
    if (connection) PQfinish(connection);
    return 0;
}

static pid_t spawn(int fd) {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        _exit(worker(fd));
    }
    return pid;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr,
                "usage: %s SOCKET_PATH WORKERS TOKEN_SQL_FILE PAGE_SQL_FILE [COUNT_SQL_FILE] (NOTIFY_DATABASE_URL set)\n",
                argv[0]);
        return 2;
    }
    const char *path = argv[1];
    int count = atoi(argv[2]);
    if (count < 1 || count > MAX_WORKERS) {
        fprintf(stderr, "WORKERS must be 1..%d\n", MAX_WORKERS);
        return 2;
    }
    token_statement.sql = read_file(argv[3]);
    page_statement.sql = read_file(argv[4]);
    if (argc > 5) count_statement.sql = read_file(argv[5]);
    if (!token_statement.sql || !page_statement.sql || (argc > 5 && !count_statement.sql)) {
        fprintf(stderr, "events_fcgi: cannot read %s or %s\n", argv[3], argv[4]);
        return 2;
    }
    conninfo = getenv("NOTIFY_DATABASE_URL");
    if (!conninfo || !*conninfo) {
        fputs("events_fcgi: NOTIFY_DATABASE_URL is not set\n", stderr);
        return 2;
    }
    const char *limit = getenv("NOTIFY_AUTH_FAILURE_LIMIT");
    if (limit && atoi(limit) > 0) auth_failure_limit = atoi(limit);
    /* As notify-fcgi's Database: generic plans for the prepared statements and no JIT, through PGOPTIONS. */
    static const char *const session_options[][2] = {{"jit", "off"}, {"plan_cache_mode", "force_generic_plan"}};
    for (size_t i = 0; i < sizeof session_options / sizeof session_options[0]; i++) {
        const char *options = getenv("PGOPTIONS");
        if (options && strstr(options, session_options[i][0])) continue;
        char joined[1024];
        snprintf(joined, sizeof joined, "%s%s-c %s=%s", options ? options : "", options && *options ? " " : "",
                 session_options[i][0], session_options[i][1]);
        setenv("PGOPTIONS", joined, 1);
    }
    unlink(path);
    mode_t previous = umask(0117);
    int fd = FCGX_OpenSocket(path, 4096);
    umask(previous);
    if (fd < 0) {
        fprintf(stderr, "cannot open FastCGI socket at %s\n", path);
        return 1;
    }
    chmod(path, 0666);
    install(SIGTERM, on_stop);
    install(SIGINT, on_stop);

    pid_t pids[MAX_WORKERS];
    for (int i = 0; i < count; i++) {
        pids[i] = spawn(fd);
        if (pids[i] < 0) {
            perror("fork");
            stop_requested = 1;
            count = i;
            break;
        }
    }
    fprintf(stderr, "events_fcgi: %d workers on %s\n", count, path);
    while (!stop_requested) {
        int status;
        pid_t pid = wait(&status);
        if (pid < 0) {
            if (errno == ECHILD) break;
            continue;
        }
        for (int i = 0; i < count; i++) {
            if (pids[i] != pid) continue;
            fprintf(stderr, "events_fcgi: worker %d exited (status %d); starting a new one\n", (int)pid, status);
            usleep(200000);
            if (!stop_requested) pids[i] = spawn(fd);
        }
    }
    for (int i = 0; i < count; i++) kill(pids[i], SIGTERM);
    while (wait(NULL) > 0) {
    }
    unlink(path);
    return 0;
}
