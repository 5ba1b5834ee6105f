/* The JSON re-serializer: PostgreSQL's json text (`{"id" : "...", ...}`, jsonb's key order) in
 * the Swift serializer's form: parsed and written again with no whitespace, keys sorted by their
 * bytes, strings re-escaped and numbers normalized, as notify-fcgi's parse + serialize does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events_fcgi.h"

typedef struct {
    const char *p, *end;
    int failed;
} Cursor;

static void skip_space(Cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

static int read_hex4(Cursor *c, unsigned *out) {
    if (c->end - c->p < 4) return 0;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_value(c->p[i]);
        if (h < 0) return 0;
        v = v << 4 | (unsigned)h;
    }
    c->p += 4;
    *out = v;
    return 1;
}

static void put_utf8(Buf *b, unsigned cp) {
    if (cp < 0x80) {
        putc_(b, (char)cp);
    } else if (cp < 0x800) {
        putc_(b, (char)(0xC0 | cp >> 6));
        putc_(b, (char)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        putc_(b, (char)(0xE0 | cp >> 12));
        putc_(b, (char)(0x80 | (cp >> 6 & 0x3F)));
        putc_(b, (char)(0x80 | (cp & 0x3F)));
    } else {
        putc_(b, (char)(0xF0 | cp >> 18));
        putc_(b, (char)(0x80 | (cp >> 12 & 0x3F)));
        putc_(b, (char)(0x80 | (cp >> 6 & 0x3F)));
        putc_(b, (char)(0x80 | (cp & 0x3F)));
    }
}

/* Decodes the JSON string at the cursor (after its opening quote) into `out`. */
static void decode_string(Cursor *c, Buf *out) {
    while (c->p < c->end && *c->p != '"') {
        if (*c->p != '\\') {
            const char *run = c->p;
            while (c->p < c->end && *c->p != '"' && *c->p != '\\') c->p++;
            put(out, run, (size_t)(c->p - run));
            continue;
        }
        c->p++;
        if (c->p >= c->end) break;
        char e = *c->p++;
        switch (e) {
        case '"': putc_(out, '"'); break;
        case '\\': putc_(out, '\\'); break;
        case '/': putc_(out, '/'); break;
        case 'b': putc_(out, '\b'); break;
        case 'f': putc_(out, '\f'); break;
        case 'n': putc_(out, '\n'); break;
        case 'r': putc_(out, '\r'); break;
        case 't': putc_(out, '\t'); break;
        case 'u': {
            unsigned cp;
            if (!read_hex4(c, &cp)) {
                c->failed = 1;
                return;
            }
            if (cp >= 0xD800 && cp < 0xDC00 && c->end - c->p >= 6 && c->p[0] == '\\' && c->p[1] == 'u') {
                Cursor look = {c->p + 2, c->end, 0};
                unsigned low;
                if (read_hex4(&look, &low) && low >= 0xDC00 && low < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    c->p = look.p;
                }
            }
            if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD;
            put_utf8(out, cp);
            break;
        }
        default: c->failed = 1; return;
        }
    }
    if (c->p >= c->end) {
        c->failed = 1;
        return;
    }
    c->p++; /* closing quote */
}

typedef struct {
    size_t key_at, key_len; /* in the keys buffer */
    size_t value_at, value_len; /* in the output buffer, while the object is collected */
} Member;

static Buf keys_scratch; /* decoded keys of the objects being re-serialized */
static Buf strings_scratch;

static const char *sort_keys_base;
static int by_key(const void *a, const void *b) {
    const Member *x = a, *y = b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(sort_keys_base + x->key_at, sort_keys_base + y->key_at, n);
    if (c != 0) return c;
    return x->key_len < y->key_len ? -1 : x->key_len > y->key_len;
}

static void rewrite_value(Buf *out, Cursor *c, int mode);

static void rewrite_object(Buf *out, Cursor *c, int mode) {
    c->p++; /* { */
    size_t start = out->len;
    size_t keys_mark = keys_scratch.len;
    Member members_small[32];
    Member *members = members_small;
    size_t count = 0, capacity = 32;
    skip_space(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
        puts_(out, "{}");
        return;
    }
    for (;;) {
        skip_space(c);
        if (c->p >= c->end || *c->p != '"') {
            c->failed = 1;
            break;
        }
        c->p++;
        size_t key_at = keys_scratch.len;
        decode_string(c, &keys_scratch);
        if (c->failed) break;
        skip_space(c);
        if (c->p >= c->end || *c->p != ':') {
            c->failed = 1;
            break;
        }
        c->p++;
        skip_space(c);
        size_t value_at = out->len;
        rewrite_value(out, c, PLAIN);
        if (c->failed) break;
        if (mode == HEADERS) {
            /* HeaderRules.redacted over (name, stringValue ?? "") */
            int secret = is_secret(keys_scratch.data + key_at, keys_scratch.len - key_at);
            if (secret || out->data[value_at] != '"') {
                out->len = value_at;
                puts_(out, secret ? "\"***\"" : "\"\"");
            }
        }
        if (count == capacity) {
            capacity *= 2;
            Member *grown = malloc(capacity * sizeof *grown);
            if (!grown) _exit(1);
            memcpy(grown, members, count * sizeof *grown);
            if (members != members_small) free(members);
            members = grown;
        }
        members[count++] = (Member){key_at, keys_scratch.len - key_at, value_at, out->len - value_at};
        skip_space(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (c->p < c->end && *c->p == '}') {
            c->p++;
            break;
        }
        c->failed = 1;
        break;
    }
    if (!c->failed) {
        /* The values were written one after the other at `start`: move them aside and write the
         * members again in key order. */
        size_t values_len = out->len - start;
        char *values = malloc(values_len ? values_len : 1);
        if (!values) _exit(1);
        memcpy(values, out->data + start, values_len);
        out->len = start;
        sort_keys_base = keys_scratch.data;
        qsort(members, count, sizeof *members, by_key);
        putc_(out, '{');
        for (size_t i = 0; i < count; i++) {
            if (i > 0) putc_(out, ',');
            put_json_string(out, keys_scratch.data + members[i].key_at, members[i].key_len);
            putc_(out, ':');
            put(out, values + (members[i].value_at - start), members[i].value_len);
        }
        putc_(out, '}');
        free(values);
    }
    if (members != members_small) free(members);
    keys_scratch.len = keys_mark;
}

static void rewrite_value(Buf *out, Cursor *c, int mode) {
    skip_space(c);
    if (c->p >= c->end) {
        c->failed = 1;
        return;
    }
    char first = *c->p;
    if (first == '{') {
        rewrite_object(out, c, mode);
    } else if (first == '[') {
        c->p++;
        putc_(out, '[');
        skip_space(c);
        if (c->p < c->end && *c->p == ']') {
            c->p++;
        } else {
            for (int n = 0;; n++) {
                if (n > 0) putc_(out, ',');
                rewrite_value(out, c, PLAIN);
                if (c->failed) return;
                skip_space(c);
                if (c->p < c->end && *c->p == ',') {
                    c->p++;
                    continue;
                }
                if (c->p < c->end && *c->p == ']') {
                    c->p++;
                    break;
                }
                c->failed = 1;
                return;
            }
        }
        putc_(out, ']');
    } else if (first == '"') {
        c->p++;
        size_t mark = strings_scratch.len;
        decode_string(c, &strings_scratch);
        put_json_string(out, strings_scratch.data + mark, strings_scratch.len - mark);
        strings_scratch.len = mark;
    } else if (first == 't' && c->end - c->p >= 4 && memcmp(c->p, "true", 4) == 0) {
        c->p += 4;
        puts_(out, "true");
    } else if (first == 'f' && c->end - c->p >= 5 && memcmp(c->p, "false", 5) == 0) {
        c->p += 5;
        puts_(out, "false");
    } else if (first == 'n' && c->end - c->p >= 4 && memcmp(c->p, "null", 4) == 0) {
        c->p += 4;
        puts_(out, "null");
    } else if (first == '-' || (first >= '0' && first <= '9')) {
        char number[64];
        size_t n = 0;
        while (c->p < c->end && n + 1 < sizeof number && strchr("+-0123456789.eE", *c->p)) number[n++] = *c->p++;
        number[n] = 0;
        put_json_number(out, strtod(number, NULL));
    } else {
        c->failed = 1;
    }
}

/* Writes `text` (PostgreSQL json) re-serialized; `{}` or `null` for what does not parse. */
void put_rewritten(Buf *out, const char *text, int mode, const char *fallback) {
    Cursor c = {text, text + strlen(text), 0};
    size_t mark = out->len;
    rewrite_value(out, &c, mode);
    if (c.failed) {
        out->len = mark;
        puts_(out, fallback);
    }
}
