/* JSON output in the Swift serializer's form, and the API's redaction of secret header names and
 * query values (HeaderRules). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events_fcgi.h"

const char hex_digits[] = "0123456789abcdef";

/* A JSON string: `"` `\` and the short escapes, other controls as \u00XX, every other byte as is. */
void put_json_string(Buf *b, const char *s, size_t n) {
    reserve(b, n + 2);
    b->data[b->len++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char letter;
        switch (c) {
        case '"': letter = '"'; break;
        case '\\': letter = '\\'; break;
        case '\n': letter = 'n'; break;
        case '\r': letter = 'r'; break;
        case '\t': letter = 't'; break;
        case '\b': letter = 'b'; break;
        case '\f': letter = 'f'; break;
        default:
            if (c < 0x20) {
                char escape[6] = {'\\', 'u', '0', '0', hex_digits[c >> 4], hex_digits[c & 15]};
                put(b, escape, 6);
            } else {
                putc_(b, (char)c);
            }
            continue;
        }
        char escape[2] = {'\\', letter};
        put(b, escape, 2);
    }
    putc_(b, '"');
}

void put_json_cstring(Buf *b, const char *s) { put_json_string(b, s, strlen(s)); }

/* Integral values below 2^53 as integers, others in the shortest form that reads back the same. */
void put_json_number(Buf *b, double value) {
    if (!isfinite(value)) {
        puts_(b, "null");
        return;
    }
    if (trunc(value) == value && fabs(value) < 9007199254740992.0) {
        putf(b, "%lld", (long long)value);
        return;
    }
    char text[40];
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(text, sizeof text, "%.*g", precision, value);
        if (strtod(text, NULL) == value) break;
    }
    puts_(b, text);
}

int hex_value(char h) {
    if (h >= '0' && h <= '9') return h - '0';
    if (h >= 'a' && h <= 'f') return h - 'a' + 10;
    if (h >= 'A' && h <= 'F') return h - 'A' + 10;
    return -1;
}

/* Header-value rules of the API (HeaderRules.isSecret): a secret when the lowercased name is
 * `authorization` or `cookie` or contains one of the fragments. */
int is_secret(const char *name, size_t n) {
    static const char *const fragments[] = {"key", "token", "secret", "signature", "auth", "password",
                                            "credential", "session", "cookie"};
    char lower[256];
    if (n >= sizeof lower) n = sizeof lower - 1;
    for (size_t i = 0; i < n; i++) lower[i] = (char)tolower((unsigned char)name[i]);
    lower[n] = 0;
    if (strcmp(lower, "authorization") == 0 || strcmp(lower, "cookie") == 0) return 1;
    for (size_t i = 0; i < sizeof fragments / sizeof *fragments; i++)
        if (strstr(lower, fragments[i])) return 1;
    return 0;
}

/* `name` with %XX decoded and + as space (bytes kept as they are), then the secret-name test. */
static int is_secret_query_name(const char *name, size_t n) {
    char decoded[256];
    size_t d = 0;
    for (size_t i = 0; i < n && d + 1 < sizeof decoded; i++) {
        int high, low;
        if (name[i] == '%' && i + 2 < n && (high = hex_value(name[i + 1])) >= 0 &&
            (low = hex_value(name[i + 2])) >= 0) {
            decoded[d++] = (char)(high << 4 | low);
            i += 2;
        } else {
            decoded[d++] = name[i] == '+' ? ' ' : name[i];
        }
    }
    return is_secret(decoded, d);
}

void put_redacted_url(Buf *out, const char *url) {
    const char *question = strchr(url, '?');
    if (!question) {
        put_json_cstring(out, url);
        return;
    }
    const char *fragment = strchr(question, '#');
    const char *query_end = fragment ? fragment : url + strlen(url);
    Buf text = {0};
    put(&text, url, (size_t)(question - url) + 1);
    const char *p = question + 1;
    for (;;) {
        const char *amp = memchr(p, '&', (size_t)(query_end - p));
        const char *param_end = amp ? amp : query_end;
        const char *equals = memchr(p, '=', (size_t)(param_end - p));
        if (equals && equals + 1 < param_end && is_secret_query_name(p, (size_t)(equals - p))) {
            put(&text, p, (size_t)(equals - p));
            puts_(&text, "=***");
        } else {
            put(&text, p, (size_t)(param_end - p));
        }
        if (!amp) break;
        putc_(&text, '&');
        p = amp + 1;
    }
    puts_(&text, query_end);
    put_json_string(out, text.data, text.len);
    free(text.data);
}
