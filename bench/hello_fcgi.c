/* hello_fcgi: the baseline of scripts/bench figure 1 (issue 7).
 *
 * A C libfcgi "hello world" with the same process model as notify-fcgi: a master opens the unix
 * socket with FCGX_OpenSocket and the same deep backlog (4096), makes it writable for nginx's
 * workers, pre-forks N workers that each accept one connection at a time with FCGX_Accept_r and
 * answer with a small JSON document, and on SIGTERM/SIGINT stops them and removes the socket.
 * It does no other work: what it measures is nginx + FastCGI + process scheduling.
 *
 *   cc -O2 -o hello_fcgi bench/hello_fcgi.c -lfcgi
 *   hello_fcgi SOCKET_PATH [WORKERS]      (WORKERS default 2)
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

static const char response[] =
    "Status: 200\r\n"
    "Content-Type: application/json\r\n"
    "\r\n"
    "{\"hello\":\"world\"}\n";

static int worker(int listen_fd) {
    FCGX_Request request;
    install(SIGTERM, on_stop);
    install(SIGINT, on_stop);
    signal(SIGPIPE, SIG_IGN);
    if (FCGX_Init() != 0) return 1;
    if (FCGX_InitRequest(&request, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) return 1;
    while (!stop_requested) {
        if (FCGX_Accept_r(&request) < 0) continue;
        /* Read (and drop) a request body, as a real handler would. */
        char buffer[4096];
        while (FCGX_GetStr(buffer, sizeof buffer, request.in) > 0) {
        }
        FCGX_PutStr(response, (int)sizeof response - 1, request.out);
        /* As notify-fcgi: the input was read to the end, so the connection is closed at once
         * (detached) instead of libfcgi shutting it down and waiting for nginx to close first. */
        request.detached = 1;
        FCGX_Finish_r(&request);
        request.detached = 0;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s SOCKET_PATH [WORKERS]\n", argv[0]);
        return 2;
    }
    const char *path = argv[1];
    int count = argc > 2 ? atoi(argv[2]) : 2;
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
    fprintf(stderr, "hello_fcgi: %d workers on %s\n", count, path);
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
