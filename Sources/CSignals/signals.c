#include "notify_signals.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t stop_requested = 0;

static void request_stop(int sig) {
    (void)sig;
    stop_requested = 1;
}

static int install(int sig, void (*handler)(int), int flags) {
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = flags;
    return sigaction(sig, &action, NULL);
}

int notify_catch_stop(int restart) {
    int flags = restart ? SA_RESTART : 0;
    if (install(SIGTERM, request_stop, flags) != 0) return -1;
    return install(SIGINT, request_stop, flags);
}

int notify_stop_requested(void) {
    return stop_requested != 0;
}

int notify_default_stop(void) {
    if (install(SIGTERM, SIG_DFL, 0) != 0) return -1;
    return install(SIGINT, SIG_DFL, 0);
}

int notify_block_stop(int block) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    return sigprocmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

int notify_ignore_broken_pipe(void) {
    return install(SIGPIPE, SIG_IGN, 0);
}
