/* Buf: the growable byte buffer both C baselines (events_fcgi, sweep_curl) write their text into,
 * kept NUL-terminated so that it can be passed as a C string; and read_file. The small writers
 * are inline: the JSON writers of events_fcgi call them once a byte. */
#ifndef BENCH_C_BUF_H
#define BENCH_C_BUF_H

#include <stddef.h>
#include <string.h>

typedef struct {
    char *data;
    size_t len, cap;
} Buf;

/* The program's name for the out-of-memory message; each program defines it. */
extern const char program_name[];

/* Grows `b` to hold at least `needed` bytes; exits the process when memory runs out. */
void buf_grow(Buf *b, size_t needed);

static inline void reserve(Buf *b, size_t more) {
    if (b->len + more + 1 > b->cap) buf_grow(b, b->len + more + 1);
}

static inline void put(Buf *b, const char *s, size_t n) {
    reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}

static inline void puts_(Buf *b, const char *s) { put(b, s, strlen(s)); }

static inline void putc_(Buf *b, char c) {
    reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = 0;
}

void putf(Buf *b, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* The whole file as a NUL-terminated string (malloc'd), or NULL when it cannot be read. */
char *read_file(const char *path);

#endif
