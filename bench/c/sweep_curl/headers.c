/* The stored request headers of a delivery: a jsonb object of header values. */
#include <stdlib.h>
#include <string.h>

#include "sweep_curl.h"

static int by_name(const void *a, const void *b) { return strcmp(((const Header *)a)->name, ((const Header *)b)->name); }

/* Decodes the JSON string at *p (after its quote); returns a new string or NULL. */
static char *json_string(const char **p) {
    Buf out = {0};
    reserve(&out, 0);
    out.data[0] = 0;
    while (**p && **p != '"') {
        if (**p != '\\') {
            put(&out, (*p)++, 1);
            continue;
        }
        (*p)++;
        char e = *(*p)++;
        char c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == 'b' ? '\b' : e == 'f' ? '\f' : e;
        if (e == 'u') {
            unsigned cp = 0;
            for (int i = 0; i < 4 && **p; i++) {
                char h = *(*p)++;
                cp = cp << 4 | (unsigned)(h <= '9' ? h - '0' : (h | 32) - 'a' + 10);
            }
            char u[4];
            int n = cp < 0x80 ? (u[0] = (char)cp, 1)
                    : cp < 0x800 ? (u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 63)), 2)
                                 : (u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | (cp >> 6 & 63)),
                                    u[2] = (char)(0x80 | (cp & 63)), 3);
            put(&out, u, (size_t)n);
            continue;
        }
        put(&out, &c, 1);
    }
    if (**p != '"') {
        free(out.data);
        return NULL;
    }
    (*p)++;
    return out.data;
}

static void skip_space(const char **p) {
    while (**p == ' ' || **p == '\n' || **p == '\t' || **p == '\r') (*p)++;
}

/* A jsonb object of header values (`{"X-A": "1", ...}`), sorted by name as the sweep sorts them;
 * a value that is not a string is sent empty. Returns the count, or -1 when it does not parse. */
int parse_headers(const char *text, Header **out) {
    *out = NULL;
    int count = 0, cap = 0;
    const char *p = text;
    skip_space(&p);
    if (*p++ != '{') return -1;
    skip_space(&p);
    if (*p == '}') return 0;
    for (;;) {
        skip_space(&p);
        if (*p++ != '"') return -1;
        char *name = json_string(&p);
        if (!name) return -1;
        skip_space(&p);
        if (*p++ != ':') return -1;
        skip_space(&p);
        char *value;
        if (*p == '"') {
            p++;
            value = json_string(&p);
            if (!value) return -1;
        } else {
            int depth = 0;
            while (*p && (depth > 0 || (*p != ',' && *p != '}'))) {
                if (*p == '{' || *p == '[') depth++;
                if (*p == '}' || *p == ']') depth--;
                p++;
            }
            value = strdup("");
        }
        if (count == cap) {
            cap = cap ? cap * 2 : 8;
            *out = realloc(*out, (size_t)cap * sizeof **out);
        }
        (*out)[count++] = (Header){name, value};
        skip_space(&p);
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == '}') break;
        return -1;
    }
    qsort(*out, (size_t)count, sizeof **out, by_name);
    return count;
}
