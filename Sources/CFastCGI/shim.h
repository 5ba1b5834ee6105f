#ifndef NOTIFY_CFASTCGI_SHIM_H
#define NOTIFY_CFASTCGI_SHIM_H

#include <fcgiapp.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

/* Installs `handler` for `sig` without SA_RESTART, so a blocking accept() in a worker returns
   EINTR and the worker can stop while idle. Swift cannot fill `struct sigaction` portably. */
static inline int notify_install_signal(int sig, void (*handler)(int)) {
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    return sigaction(sig, &action, NULL);
}

/* Restores the default disposition of `sig` (a forked worker must not inherit the master's). */
static inline int notify_default_signal(int sig) {
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = SIG_DFL;
    sigemptyset(&action.sa_mask);
    return sigaction(sig, &action, NULL);
}

/* Blocks (block != 0) or unblocks `sig` for this process: a worker blocks SIGTERM while it
   serves a request so that the request finishes, and receives the signal when it unblocks. */
static inline int notify_block_signal(int sig, int block) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    return sigprocmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

#endif
