/* static_fcgi: the ceiling of scripts/bench figure 1 (issue 16).
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
 *   cc -O2 -o static_fcgi bench/c/static_fcgi.c -lfcgi
 *   static_fcgi SOCKET_PATH WORKERS BODY_FILE
 */
#include <errno.h>
#include <fcgiapp.h>
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

static void serve(FCGX_Request *request) {
    char buffer[4096];
    while (FCGX_GetStr(buffer, sizeof buffer, request->in) > 0) {
    }
    const char *request_id = FCGX_GetParam("REQUEST_ID", request->envp);
    if (!request_id || !*request_id) request_id = FCGX_GetParam("HTTP_X_REQUEST_ID", request->envp);
    char head[512];
    int ok = load_body();
    int n = snprintf(head, sizeof head, "Status: %s\r\nContent-Type: application/json\r\n",
                     ok ? "200 OK" : "503 Service Unavailable");
    if (request_id && *request_id && n < (int)sizeof head)
        n += snprintf(head + n, sizeof head - (size_t)n, "X-Request-Id: %.200s\r\n", request_id);
    if (n < (int)sizeof head)
        n += snprintf(head + n, sizeof head - (size_t)n, "Content-Length: %zu\r\n\r\n", ok ? body_len : 0);
    FCGX_PutStr(head, n, request->out);
    if (ok) FCGX_PutStr(body, (int)body_len, request->out);
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
        fprintf(stderr, "usage: %s SOCKET_PATH WORKERS BODY_FILE\n", argv[0]);
        return 2;
    }
    const char *path = argv[1];
    int count = atoi(argv[2]);
    body_path = argv[3];
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
    fprintf(stderr, "static_fcgi: %d workers on %s serving %s\n", count, path, body_path);
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
