/* The out-of-line part of Buf (see buf.h), shared by both C baselines. */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void buf_grow(Buf *b, size_t needed) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < needed) cap *= 2;
    char *data = realloc(b->data, cap);
    if (!data) {
        fprintf(stderr, "%s: out of memory\n", program_name);
        _exit(1);
    }
    b->data = data;
    b->cap = cap;
}

void putf(Buf *b, const char *format, ...) {
    va_list args;
    va_start(args, format);
    char small[256];
    int n = vsnprintf(small, sizeof small, format, args);
    va_end(args);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        put(b, small, (size_t)n);
        return;
    }
    reserve(b, (size_t)n + 1);
    va_start(args, format);
    vsnprintf(b->data + b->len, (size_t)n + 1, format, args);
    va_end(args);
    b->len += (size_t)n;
}

char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    Buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) put(&b, chunk, n);
    fclose(f);
    putc_(&b, 0);
    return b.data;
}
