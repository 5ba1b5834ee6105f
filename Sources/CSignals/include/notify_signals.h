#ifndef NOTIFY_SIGNALS_H
#define NOTIFY_SIGNALS_H

/* The signal handling of every Notify process: the notify-fcgi master and its workers, and
   notify-sweep. SIGTERM and SIGINT ask a process to stop; each process polls
   notify_stop_requested() where it can stop safely (the master between reaps, a worker between
   requests, the sweep between claims). It is C because Swift can neither fill a `struct sigaction`
   portably nor promise that a handler touches nothing but a `volatile sig_atomic_t`. Every
   function returns 0, or -1 with errno set. */

/* Catches SIGTERM and SIGINT: each sets the stop flag. With `restart` == 0 the handler is
   installed without SA_RESTART, so a blocking accept() in an idle worker returns EINTR and the
   worker stops at once; with `restart` != 0 interrupted system calls resume (what signal() does). */
int notify_catch_stop(int restart);

/* 1 once SIGTERM or SIGINT has arrived since notify_catch_stop, else 0. */
int notify_stop_requested(void);

/* Restores the default disposition of SIGTERM and SIGINT (a forked worker must not run the
   master's handler). */
int notify_default_stop(void);

/* Blocks (`block` != 0) or unblocks SIGTERM for this process: a worker blocks it while it serves
   a request so that the request finishes, and receives it when it unblocks. */
int notify_block_stop(int block);

/* Ignores SIGPIPE: a peer that went away shows up as EPIPE from write(), not a dead process. */
int notify_ignore_broken_pipe(void);

#endif
