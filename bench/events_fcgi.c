/* events_fcgi: the same-work baseline of scripts/bench figure 1 (issue 16).
 *
 * A C libfcgi + libpq worker doing what notify-fcgi does for
 *   GET /api/v0/checkout/notifications/events?orderId=...   (also /api/v1/events)
 * with the same process model: a master opens the unix socket with FCGX_OpenSocket and the same
 * backlog (4096), pre-forks N workers (one replaced when it dies) that each accept one connection
 * at a time with FCGX_Accept_r, keep one PostgreSQL connection opened on first use, and block
 * SIGTERM while they serve a request. Per request it does the worker's work:
 *   - X-Merchant and `Authorization: Bearer <token>` checked as the Swift Authenticator does: the
 *     token's shape, its SHA-256 (hex) looked up with the application's own token statement
 *     (owner, revoked, failed authentications of the client address in the current minute);
 *   - the application's events page statement (filter orderId), prepared once per connection
 *     with the same parameters and text results; when that statement checks the token itself
 *     (it takes 8 parameters: merchant, order id, limit, offset, token hash, failure bucket,
 *     window, failure quota, and returns each event as JSON text around its URL), the token
 *     statement is not run, as the Swift worker then saves that round trip too;
 *   - the response written as notify-fcgi writes it: status line, Content-Type, X-Request-Id,
 *     and the body byte for byte (object keys sorted by their UTF-8 bytes, no whitespace, events
 *     rendered from their columns or passed through as PostgreSQL rendered them, the attempts
 *     re-serialized from PostgreSQL's JSON, secret request-header values and secret query values
 *     of the URL shown as ***);
 *   - one JSON log line per request on stderr, as the Swift worker logs at level info.
 * The SQL is not copied here: scripts/bench passes the text of the statements (`notifyctl sql
 * NAME`) in files, so the baseline runs whatever the application runs. It is a baseline, not a
 * second implementation: other paths and other filters are not served alike, a failed
 * authentication is refused without being counted, and problem bodies are not the API's.
 *
 *   cc -O2 -o events_fcgi bench/events_fcgi.c -lfcgi -lpq -lcrypto -lm
 *   NOTIFY_DATABASE_URL=... events_fcgi SOCKET_PATH WORKERS TOKEN_SQL_FILE PAGE_SQL_FILE [COUNT_SQL_FILE]
 *
 * TOKEN_SQL_FILE: parameters ($1 token hash, $2 failure bucket, $3 window start), columns
 * merchant, revoked, failures. PAGE_SQL_FILE: parameters ($1 merchant, $2 order id, $3 limit,
 * $4 offset[, $5..$8 as above]), rows with the columns of EventStatements and `total`.
 * COUNT_SQL_FILE ($1 merchant, $2 order id): the total of a page past the end.
 */
#include <ctype.h>
#include <errno.h>
#include <fcgiapp.h>
#include <libpq-fe.h>
#include <math.h>
#include <openssl/sha.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS 256

/* ------------------------------------------------------------------ growable byte buffer */

typedef struct {
    char *data;
    size_t len, cap;
} Buf;

static void reserve(Buf *b, size_t more) {
    if (b->len + more <= b->cap) return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more) cap *= 2;
    char *data = realloc(b->data, cap);
    if (!data) {
        fputs("events_fcgi: out of memory\n", stderr);
        _exit(1);
    }
    b->data = data;
    b->cap = cap;
}

static void put(Buf *b, const char *s, size_t n) {
    reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

static void puts_(Buf *b, const char *s) { put(b, s, strlen(s)); }

static void putc_(Buf *b, char c) {
    reserve(b, 1);
    b->data[b->len++] = c;
}

static void putf(Buf *b, const char *format, ...) {
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

/* ------------------------------------------------------------------ JSON output (the Swift serializer's form) */

static const char hex_digits[] = "0123456789abcdef";

/* A JSON string: `"` `\` and the short escapes, other controls as \u00XX, every other byte as is. */
static void put_json_string(Buf *b, const char *s, size_t n) {
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

static void put_json_cstring(Buf *b, const char *s) { put_json_string(b, s, strlen(s)); }

/* Integral values below 2^53 as integers, others in the shortest form that reads back the same. */
static void put_json_number(Buf *b, double value) {
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

/* ------------------------------------------------------------------ JSON re-serializer
 * PostgreSQL's json text (`{"id" : "...", ...}`, jsonb's key order) in the Swift serializer's form:
 * parsed and written again with no whitespace, keys sorted by their bytes, strings re-escaped and
 * numbers normalized, as notify-fcgi's parse + serialize does. */

typedef struct {
    const char *p, *end;
    int failed;
} Cursor;

static void skip_space(Cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

static int hex_value(char h) {
    if (h >= '0' && h <= '9') return h - '0';
    if (h >= 'a' && h <= 'f') return h - 'a' + 10;
    if (h >= 'A' && h <= 'F') return h - 'A' + 10;
    return -1;
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

/* Header-value rules of the API (HeaderRules.isSecret): a secret when the lowercased name is
 * `authorization` or `cookie` or contains one of the fragments. */
static int is_secret(const char *name, size_t n) {
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

enum { PLAIN = 0, HEADERS = 1 };

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
static void put_rewritten(Buf *out, const char *text, int mode, const char *fallback) {
    Cursor c = {text, text + strlen(text), 0};
    size_t mark = out->len;
    rewrite_value(out, &c, mode);
    if (c.failed) {
        out->len = mark;
        puts_(out, fallback);
    }
}

/* ------------------------------------------------------------------ HeaderRules.redactedURL */

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

static void put_redacted_url(Buf *out, const char *url) {
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

/* ------------------------------------------------------------------ PostgreSQL */

typedef struct {
    const char *name, *sql;
    int params;
} Statement;

static Statement token_statement = {"token_owner_and_failures", NULL, 3};
static Statement page_statement = {"events_page_1", NULL, 4};
static Statement count_statement = {"events_count_1", NULL, 2};
static const char *conninfo;
static PGconn *connection;
static int prepared_token, prepared_page, prepared_count;

static int connect_database(void) {
    if (connection && PQstatus(connection) == CONNECTION_OK) return 1;
    if (connection) {
        PQreset(connection);
    } else {
        connection = PQconnectdb(conninfo);
    }
    prepared_token = prepared_page = prepared_count = 0;
    if (PQstatus(connection) != CONNECTION_OK) {
        fprintf(stderr, "events_fcgi: cannot connect to PostgreSQL: %s", PQerrorMessage(connection));
        return 0;
    }
    return 1;
}

/* Runs a prepared statement (prepared on first use); one retry after a lost connection, as the
 * application's Connection does outside a transaction. NULL on failure. */
static PGresult *run(Statement *statement, int *prepared, const char *const *values) {
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!connect_database()) return NULL;
        if (!*prepared) {
            PGresult *done = PQprepare(connection, statement->name, statement->sql, statement->params, NULL);
            int ok = PQresultStatus(done) == PGRES_COMMAND_OK;
            if (!ok) fprintf(stderr, "events_fcgi: prepare %s: %s", statement->name, PQresultErrorMessage(done));
            PQclear(done);
            if (!ok) {
                if (PQstatus(connection) != CONNECTION_OK) continue;
                return NULL;
            }
            *prepared = 1;
        }
        PGresult *result = PQexecPrepared(connection, statement->name, statement->params, values, NULL, NULL, 0);
        if (PQresultStatus(result) == PGRES_TUPLES_OK) return result;
        fprintf(stderr, "events_fcgi: %s: %s", statement->name, PQresultErrorMessage(result));
        PQclear(result);
        if (PQstatus(connection) == CONNECTION_OK) return NULL;
    }
    return NULL;
}

/* ------------------------------------------------------------------ the request */

typedef struct {
    int status;
    const char *title, *detail, *field, *extra_header;
} Problem;

static int auth_failure_limit = 20;

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = 0;
    return s;
}

static int token_well_formed(const char *token) {
    if (strncmp(token, "ntf_", 4) != 0 || strlen(token) != 4 + 43) return 0;
    for (const char *p = token + 4; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') return 0;
    return 1;
}

static int uuid_valid(const char *s) {
    if (strlen(s) != 36) return 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') return 0;
        } else if (hex_value(s[i]) < 0) {
            return 0;
        }
    }
    return 1;
}

/* QueryString.decode: + as space, %XX decoded, a bad escape kept. */
static void query_decode(const char *s, size_t n, Buf *out) {
    for (size_t i = 0; i < n; i++) {
        int high, low;
        if (s[i] == '+') {
            putc_(out, ' ');
        } else if (s[i] == '%' && i + 2 < n && (high = hex_value(s[i + 1])) >= 0 &&
                   (low = hex_value(s[i + 2])) >= 0) {
            putc_(out, (char)(high << 4 | low));
            i += 2;
        } else {
            putc_(out, s[i]);
        }
    }
}

/* The value of the last `name=` pair of the query string (decoded), or NULL. */
static char *query_value(const char *query, const char *name, Buf *scratch) {
    char *found = NULL;
    const char *p = query;
    while (*p) {
        const char *amp = strchr(p, '&');
        const char *end = amp ? amp : p + strlen(p);
        const char *equals = memchr(p, '=', (size_t)(end - p));
        const char *name_end = equals ? equals : end;
        if (name_end > p) {
            scratch->len = 0;
            query_decode(p, (size_t)(name_end - p), scratch);
            if (scratch->len == strlen(name) && memcmp(scratch->data, name, scratch->len) == 0) {
                scratch->len = 0;
                if (equals) query_decode(equals + 1, (size_t)(end - equals - 1), scratch);
                putc_(scratch, 0);
                free(found);
                found = strdup(scratch->data);
            }
        }
        if (!amp) break;
        p = amp + 1;
    }
    return found;
}

/* Paging.integer: a decimal integer (optional sign) within [low, high], else a 400. */
static int paging_integer(const char *text, long low, long high, long *out) {
    if (!text) return 1;
    const char *p = text;
    if (*p == '+' || *p == '-') p++;
    if (!*p) return 0;
    for (const char *q = p; *q; q++)
        if (!isdigit((unsigned char)*q)) return 0;
    errno = 0;
    long value = strtol(text, NULL, 10);
    if (errno || value < low || value > high) return 0;
    *out = value;
    return 1;
}

static void put_column(Buf *b, PGresult *r, int row, int column) {
    if (column < 0 || PQgetisnull(r, row, column)) {
        puts_(b, "null");
    } else {
        put_json_string(b, PQgetvalue(r, row, column), (size_t)PQgetlength(r, row, column));
    }
}

static void put_int_column(Buf *b, PGresult *r, int row, int column) {
    if (column < 0 || PQgetisnull(r, row, column)) {
        puts_(b, "null");
    } else {
        put_json_number(b, strtod(PQgetvalue(r, row, column), NULL));
    }
}

/* One event as EventStore.event renders it, keys in byte order. */
static void put_event(Buf *b, PGresult *r, int row, const int *col) {
    enum { EVENT_ID, CREATED_AT, MERCHANT, CHANNEL, ORDER_ID, NOTIFICATION_ID, REFERENCE, ADAPTER_ID, SCOPE,
           STATUS, ATTEMPT_COUNT, NEXT_ATTEMPT_AT, LAST_ATTEMPT_AT, LAST_STATUS_CODE, LAST_RESPONSE_BODY, ERROR,
           REQUEST_METHOD, REQUEST_URL, REQUEST_HEADERS, DESTINATION_ID, ATTEMPTS };
    puts_(b, "{\"adapterId\":");
    put_column(b, r, row, col[ADAPTER_ID]);
    puts_(b, ",\"attemptCount\":");
    put_int_column(b, r, row, col[ATTEMPT_COUNT]);
    puts_(b, ",\"attempts\":");
    put_rewritten(b, PQgetvalue(r, row, col[ATTEMPTS]), PLAIN, "null");
    puts_(b, ",\"channel\":");
    put_column(b, r, row, col[CHANNEL]);
    puts_(b, ",\"createdAt\":");
    put_column(b, r, row, col[CREATED_AT]);
    puts_(b, ",\"destinationId\":");
    put_column(b, r, row, col[DESTINATION_ID]);
    puts_(b, ",\"error\":");
    put_column(b, r, row, col[ERROR]);
    puts_(b, ",\"id\":");
    put_column(b, r, row, col[EVENT_ID]);
    puts_(b, ",\"merchant\":");
    put_column(b, r, row, col[MERCHANT]);
    puts_(b, ",\"nextAttemptAt\":");
    put_column(b, r, row, col[NEXT_ATTEMPT_AT]);
    puts_(b, ",\"notificationId\":");
    put_column(b, r, row, col[NOTIFICATION_ID]);
    puts_(b, ",\"orderId\":");
    put_column(b, r, row, col[ORDER_ID]);
    puts_(b, ",\"reference\":");
    put_column(b, r, row, col[REFERENCE]);
    puts_(b, ",\"request\":{\"headers\":");
    const char *headers = PQgetvalue(r, row, col[REQUEST_HEADERS]);
    if (headers[0] == '{') {
        put_rewritten(b, headers, HEADERS, "{}");
    } else {
        puts_(b, "{}");
    }
    puts_(b, ",\"method\":");
    put_column(b, r, row, col[REQUEST_METHOD]);
    puts_(b, ",\"url\":");
    put_redacted_url(b, PQgetvalue(r, row, col[REQUEST_URL]));
    puts_(b, "},\"responseBody\":");
    put_column(b, r, row, col[LAST_RESPONSE_BODY]);
    puts_(b, ",\"scope\":");
    put_column(b, r, row, col[SCOPE]);
    puts_(b, ",\"status\":");
    put_column(b, r, row, col[STATUS]);
    puts_(b, ",\"statusCode\":");
    put_int_column(b, r, row, col[LAST_STATUS_CODE]);
    puts_(b, ",\"timestamp\":");
    put_column(b, r, row, col[LAST_ATTEMPT_AT]);
    putc_(b, '}');
}

static const char *const event_columns[] = {
    "event_id", "created_at", "merchant", "channel", "order_id", "notification_id", "reference",
    "adapter_id", "scope", "status", "attempt_count", "next_attempt_at", "last_attempt_at", "last_status_code",
    "last_response_body", "error", "request_method", "request_url", "request_headers", "destination_id",
    "attempts",
};
#define EVENT_COLUMNS (int)(sizeof event_columns / sizeof *event_columns)

/* Answers one request into `body`; returns the status (a problem fills `problem`). */
/* The values a page statement may take, and which one each of its parameters is. The first four
 * are always merchant, order id, limit and offset; the others are told apart by their types, as
 * the prepared statement describes them: a uuid is the lowest event id the order can have
 * (OrderEventBound), and when the statement checks the token itself, text the token's hash then
 * the failure bucket, bigint the window and integer the failure quota. That statement returns
 * token_merchant, revoked, failures on every row and each event as JSON text around its URL;
 * without it the token statement runs first, as the Swift worker does. */
enum { V_MERCHANT, V_ORDER, V_LIMIT, V_OFFSET, V_BOUND, V_HASH, V_BUCKET, V_WINDOW, V_QUOTA, V_COUNT };
enum { MAX_PARAMS = 16 };
static int page_slots[MAX_PARAMS], count_slots[MAX_PARAMS];
static int page_checks_token;

/* Prepares `statement` and maps its parameters to values; 0 on failure. */
static int prepare_described(Statement *statement, int *prepared, int *slots) {
    PGresult *done = PQprepare(connection, statement->name, statement->sql, 0, NULL);
    int ok = PQresultStatus(done) == PGRES_COMMAND_OK;
    if (!ok) fprintf(stderr, "events_fcgi: prepare %s: %s", statement->name, PQresultErrorMessage(done));
    PQclear(done);
    if (!ok) return 0;
    PGresult *described = PQdescribePrepared(connection, statement->name);
    statement->params = PQnparams(described);
    int texts = 0;
    for (int i = 0; i < statement->params && i < MAX_PARAMS; i++) {
        Oid type = PQparamtype(described, i);
        if (i < 4) {
            slots[i] = i;
        } else if (type == 2950) { /* uuid */
            slots[i] = V_BOUND;
        } else if (type == 25 || type == 1043) { /* text, varchar */
            slots[i] = texts++ == 0 ? V_HASH : V_BUCKET;
        } else if (type == 20) { /* bigint */
            slots[i] = V_WINDOW;
        } else {
            slots[i] = V_QUOTA;
        }
    }
    PQclear(described);
    if (statement->params > MAX_PARAMS) return 0;
    *prepared = 1;
    return 1;
}

static int prepare_page(void) {
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!connect_database()) return 0;
        if (prepared_page) return 1;
        if (prepare_described(&page_statement, &prepared_page, page_slots)) {
            page_checks_token = 0;
            for (int i = 0; i < page_statement.params; i++) page_checks_token |= page_slots[i] == V_HASH;
            /* The count statement takes the page's leading values: merchant, order id, bound. */
            if (count_statement.sql && prepare_described(&count_statement, &prepared_count, count_slots)) {
                for (int i = 2; i < count_statement.params; i++) count_slots[i] = V_BOUND;
            }
            return 1;
        }
        if (PQstatus(connection) == CONNECTION_OK) return 0;
    }
    return 0;
}

/* OrderEventBound.lowestEventId: the first UUIDv7 of the UTC day before the order id's day; the
 * smallest UUID when the id is not a UUIDv7. */
static void lowest_event_id(const char *order_id, char out[37]) {
    strcpy(out, "00000000-0000-0000-0000-000000000000");
    if (!uuid_valid(order_id) || order_id[14] != '7' || !strchr("89abAB", order_id[19])) return;
    unsigned long long millis = 0;
    for (int i = 0, digits = 0; digits < 12; i++) {
        if (order_id[i] == '-') continue;
        millis = millis << 4 | (unsigned)hex_value(order_id[i]);
        digits++;
    }
    const unsigned long long day = 86400000ULL;
    if (millis < day) return;
    millis = (millis / day - 1) * day;
    snprintf(out, 37, "%08x-%04x-7000-8000-000000000000", (unsigned)(millis >> 16) & 0xffffffffu,
             (unsigned)(millis & 0xffff));
}

/* Authenticator.verify: the owner of the token (`known`, its merchant, `revoked`) and the client's
 * failures in this window; 0 when the request may go on, else the status of the refusal. */
static int verify(PGresult *r, const char *merchant, Problem *problem) {
    int failures = 0, known = 0, revoked = 0, same = 0;
    if (PQntuples(r) > 0) {
        int f = PQfnumber(r, "failures"), rv = PQfnumber(r, "revoked");
        int m = PQfnumber(r, "token_merchant") >= 0 ? PQfnumber(r, "token_merchant") : PQfnumber(r, "merchant");
        if (f >= 0 && !PQgetisnull(r, 0, f)) failures = atoi(PQgetvalue(r, 0, f));
        if (m >= 0 && !PQgetisnull(r, 0, m)) {
            known = 1;
            same = strcmp(PQgetvalue(r, 0, m), merchant) == 0;
            revoked = rv >= 0 && PQgetvalue(r, 0, rv)[0] == 't';
        }
    }
    if (failures >= auth_failure_limit) {
        *problem = (Problem){429, "Too Many Requests", "too many failed authentications from this address", NULL,
                             "Retry-After: 60"};
        return 429;
    }
    if (!known || revoked) {
        *problem = (Problem){401, "Unauthorized",
                             known ? "the bearer token has been revoked" : "the bearer token is unknown", NULL,
                             "WWW-Authenticate: Bearer"};
        return 401;
    }
    if (!same) {
        *problem = (Problem){403, "Forbidden", "the bearer token does not belong to this merchant", NULL, NULL};
        return 403;
    }
    return 0;
}

static const Problem unavailable = {503, "Service Unavailable", "the database is not available", NULL,
                                    "Retry-After: 1"};

/* The events of a page as the application renders them: one event's columns a row (rendered
 * here), or its JSON text around the URL (`head`, `request_url`, `tail`; the URL redacted here). */
static int put_events(Buf *body, PGresult *page, long long *total) {
    int rows = PQntuples(page), size = 0;
    int total_column = PQfnumber(page, "total"), head = PQfnumber(page, "head");
    int url = PQfnumber(page, "request_url"), tail = PQfnumber(page, "tail");
    int col[EVENT_COLUMNS];
    if (head < 0)
        for (int i = 0; i < EVENT_COLUMNS; i++) col[i] = PQfnumber(page, event_columns[i]);
    for (int row = 0; row < rows; row++) {
        if (total_column < 0 || PQgetisnull(page, row, total_column)) continue; /* no event: an empty page */
        if (size++ > 0) putc_(body, ',');
        *total = atoll(PQgetvalue(page, row, total_column));
        if (head < 0) {
            put_event(body, page, row, col);
        } else {
            put(body, PQgetvalue(page, row, head), (size_t)PQgetlength(page, row, head));
            put_redacted_url(body, PQgetvalue(page, row, url));
            put(body, PQgetvalue(page, row, tail), (size_t)PQgetlength(page, row, tail));
        }
    }
    return size;
}

/* Answers one request into `body`; returns the status (a problem fills `problem`). */
static int respond(FCGX_Request *request, Buf *body, Problem *problem, char **merchant_out) {
    const char *method = FCGX_GetParam("REQUEST_METHOD", request->envp);
    const char *uri = FCGX_GetParam("REQUEST_URI", request->envp);
    if (!uri) uri = FCGX_GetParam("DOCUMENT_URI", request->envp);
    if (!uri) uri = "/";
    size_t path_len = strcspn(uri, "?");
    int events = (path_len == 37 && memcmp(uri, "/api/v0/checkout/notifications/events", 37) == 0) ||
                 (path_len == 14 && memcmp(uri, "/api/v1/events", 14) == 0);
    if (!events) {
        *problem = (Problem){404, "Not Found", "the baseline serves the events list only", NULL, NULL};
        return 404;
    }
    if (method && strcmp(method, "GET") != 0) {
        *problem = (Problem){405, "Method Not Allowed", "method not allowed", NULL, "Allow: GET, POST"};
        return 405;
    }
    /* Authenticator: the credentials the headers present */
    char *merchant_header = FCGX_GetParam("HTTP_X_MERCHANT", request->envp);
    char merchant_text[256];
    snprintf(merchant_text, sizeof merchant_text, "%s", merchant_header ? merchant_header : "");
    char *merchant = trim(merchant_text);
    if (!*merchant) {
        *problem = (Problem){400, "Bad Request", "the X-Merchant header is required", "X-Merchant", NULL};
        return 400;
    }
    const char *authorization = FCGX_GetParam("HTTP_AUTHORIZATION", request->envp);
    if (!authorization) {
        *problem = (Problem){401, "Unauthorized", "the Authorization header is required", NULL,
                             "WWW-Authenticate: Bearer"};
        return 401;
    }
    const char *space = strchr(authorization, ' ');
    if (!space || space - authorization != 6 || strncasecmp(authorization, "bearer", 6) != 0) {
        *problem = (Problem){401, "Unauthorized", "the Authorization header must be 'Bearer <token>'", NULL,
                             "WWW-Authenticate: Bearer"};
        return 401;
    }
    char token_text[128];
    snprintf(token_text, sizeof token_text, "%s", space + 1);
    char *token = trim(token_text);
    if (!token_well_formed(token)) {
        *problem = (Problem){401, "Unauthorized", "the bearer token is malformed", NULL, "WWW-Authenticate: Bearer"};
        return 401;
    }
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)token, strlen(token), digest);
    char hash[2 * SHA256_DIGEST_LENGTH + 1];
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
        hash[2 * i] = hex_digits[digest[i] >> 4];
        hash[2 * i + 1] = hex_digits[digest[i] & 15];
    }
    hash[2 * SHA256_DIGEST_LENGTH] = 0;
    const char *remote = FCGX_GetParam("REMOTE_ADDR", request->envp);
    char bucket[80], window[24], quota[16];
    snprintf(bucket, sizeof bucket, "auth:%.64s", remote ? remote : "");
    time_t now = time(NULL);
    snprintf(window, sizeof window, "%lld", (long long)(now - now % 60));
    snprintf(quota, sizeof quota, "%d", auth_failure_limit);
    if (!prepare_page()) {
        *problem = unavailable;
        return 503;
    }
    if (!page_checks_token) {
        const char *token_values[3] = {hash, bucket, window};
        PGresult *owner = run(&token_statement, &prepared_token, token_values);
        if (!owner) {
            *problem = unavailable;
            return 503;
        }
        int refused = verify(owner, merchant, problem);
        PQclear(owner);
        if (refused) return refused;
    }

    /* EventRoutes.list with the orderId filter, Paging */
    const char *query = FCGX_GetParam("QUERY_STRING", request->envp);
    if (!query) query = "";
    Buf scratch = {0};
    char *order_id = query_value(query, "orderId", &scratch);
    if (!order_id) order_id = query_value(query, "order_id", &scratch);
    char *offset_text = query_value(query, "offset", &scratch);
    char *limit_text = query_value(query, "limit", &scratch);
    free(scratch.data);
    long offset = 0, limit = 10;
    int status = 200;
    if (!order_id) {
        *problem = (Problem){400, "Bad Request", "the baseline needs orderId", "orderId", NULL};
        status = 400;
    } else if (!uuid_valid(order_id)) {
        *problem = (Problem){400, "Bad Request", "orderId must be a UUID", "orderId", NULL};
        status = 400;
    } else if (!paging_integer(offset_text, 0, 1000000, &offset)) {
        *problem = (Problem){400, "Bad Request", "offset must be an integer from 0 to 1000000", "offset", NULL};
        status = 400;
    } else if (!paging_integer(limit_text, 1, 100, &limit)) {
        *problem = (Problem){400, "Bad Request", "limit must be an integer from 1 to 100", "limit", NULL};
        status = 400;
    }
    if (status == 200) {
        char limit_value[24], offset_value[24];
        snprintf(limit_value, sizeof limit_value, "%ld", limit);
        snprintf(offset_value, sizeof offset_value, "%ld", offset);
        char bound[37];
        lowest_event_id(order_id, bound);
        const char *values[V_COUNT] = {merchant, order_id, limit_value, offset_value, bound,
                                       hash,     bucket,   window,      quota};
        const char *page_values[MAX_PARAMS], *count_values[MAX_PARAMS];
        for (int i = 0; i < page_statement.params; i++) page_values[i] = values[page_slots[i]];
        for (int i = 0; i < count_statement.params; i++) count_values[i] = values[count_slots[i]];
        PGresult *page = run(&page_statement, &prepared_page, page_values);
        if (!page) {
            *problem = unavailable;
            status = 503;
        } else if (page_checks_token && (status = verify(page, merchant, problem)) != 0) {
            PQclear(page);
        } else {
            status = 200;
            long long total = 0;
            puts_(body, "{\"data\":[");
            int size = put_events(body, page, &total);
            PQclear(page);
            if (size == 0 && offset > 0 && count_statement.sql) {
                /* A page past the end: the total from the count statement, as EventStore.page. */
                PGresult *counted = run(&count_statement, &prepared_count, count_values);
                if (counted && PQntuples(counted) > 0) total = atoll(PQgetvalue(counted, 0, 0));
                PQclear(counted);
            }
            putf(body, "],\"pagination\":{\"limit\":%ld,\"offset\":%ld,\"size\":%d,\"totalSize\":%lld}}", limit,
                 offset, size, total);
        }
    }
    if (status == 200) *merchant_out = strdup(merchant);
    free(order_id);
    free(offset_text);
    free(limit_text);
    return status;
}

static const char *reason(int status) {
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    default: return status < 400 ? "OK" : "Error";
    }
}

/* ------------------------------------------------------------------ process model */

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

static void block_sigterm(int block) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigprocmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

static void rfc3339_now(char *out, size_t size) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000);
}

static double monotonic_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000.0 + now.tv_nsec / 1e6;
}

static void serve(FCGX_Request *request, Buf *out, Buf *body, Buf *line) {
    double started = monotonic_ms();
    char buffer[4096];
    while (FCGX_GetStr(buffer, sizeof buffer, request->in) > 0) {
    }
    Problem problem = {0};
    char *merchant = NULL;
    body->len = 0;
    int status = respond(request, body, &problem, &merchant);
    const char *request_id = FCGX_GetParam("REQUEST_ID", request->envp);
    if (!request_id || !*request_id) request_id = FCGX_GetParam("HTTP_X_REQUEST_ID", request->envp);
    if (!request_id) request_id = "";
    out->len = 0;
    putf(out, "Status: %d %s\r\n", status, reason(status));
    if (status == 200) {
        puts_(out, "Content-Type: application/json\r\n");
    } else {
        puts_(out, "Content-Type: application/problem+json\r\n");
        if (problem.extra_header) putf(out, "%s\r\n", problem.extra_header);
        body->len = 0;
        puts_(body, "{\"detail\":");
        put_json_cstring(body, problem.detail);
        if (problem.field) {
            puts_(body, ",\"field\":");
            put_json_cstring(body, problem.field);
        }
        if (*request_id) {
            puts_(body, ",\"requestId\":");
            put_json_cstring(body, request_id);
        }
        putf(body, ",\"status\":%d,\"title\":", status);
        put_json_cstring(body, problem.title);
        puts_(body, ",\"type\":\"https://notify.dev/problems/");
        for (const char *t = problem.title; *t; t++) putc_(body, *t == ' ' ? '-' : (char)tolower((unsigned char)*t));
        puts_(body, "\"}");
    }
    if (*request_id) putf(out, "X-Request-Id: %s\r\n", request_id);
    puts_(out, "\r\n");
    put(out, body->data, body->len);
    FCGX_PutStr(out->data, (int)out->len, request->out);

    /* The access log line, as the Swift worker writes it (one fwrite on unbuffered stderr). */
    const char *method = FCGX_GetParam("REQUEST_METHOD", request->envp);
    const char *uri = FCGX_GetParam("REQUEST_URI", request->envp);
    char ts[96];
    rfc3339_now(ts, sizeof ts);
    line->len = 0;
    putf(line, "{\"duration.ms\":%d,\"http.method\":", (int)(monotonic_ms() - started));
    put_json_cstring(line, method ? method : "GET");
    puts_(line, ",\"http.path\":");
    put_json_string(line, uri ? uri : "/", uri ? strcspn(uri, "?") : 1);
    putf(line, ",\"http.status\":%d,\"level\":\"info\",\"logger\":\"notify-fcgi\",\"merchant\":", status);
    put_json_cstring(line, merchant ? merchant : "");
    putf(line, ",\"msg\":\"request\",\"pid\":%d,\"request.id\":", (int)getpid());
    put_json_cstring(line, request_id);
    puts_(line, ",\"ts\":");
    put_json_cstring(line, ts);
    puts_(line, "}\n");
    fwrite(line->data, 1, line->len, stderr);
    free(merchant);
}

static int worker(int listen_fd) {
    FCGX_Request request;
    install(SIGTERM, on_stop);
    install(SIGINT, on_stop);
    signal(SIGPIPE, SIG_IGN);
    if (FCGX_Init() != 0) return 1;
    if (FCGX_InitRequest(&request, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) return 1;
    Buf out = {0}, body = {0}, line = {0};
    while (!stop_requested) {
        if (FCGX_Accept_r(&request) < 0) continue;
        block_sigterm(1);
        serve(&request, &out, &body, &line);
        /* As notify-fcgi: the input was read to the end, so the connection is closed at once
         * (detached) instead of libfcgi shutting it down and waiting for nginx to close first. */
        request.detached = 1;
        FCGX_Finish_r(&request);
        request.detached = 0;
        block_sigterm(0);
    }
    if (connection) PQfinish(connection);
    return 0;
}

static char *read_file(const char *path) {
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

static pid_t spawn(int fd) {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        _exit(worker(fd));
    }
    return pid;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr,
                "usage: %s SOCKET_PATH WORKERS TOKEN_SQL_FILE PAGE_SQL_FILE [COUNT_SQL_FILE] (NOTIFY_DATABASE_URL set)\n",
                argv[0]);
        return 2;
    }
    const char *path = argv[1];
    int count = atoi(argv[2]);
    if (count < 1 || count > MAX_WORKERS) {
        fprintf(stderr, "WORKERS must be 1..%d\n", MAX_WORKERS);
        return 2;
    }
    token_statement.sql = read_file(argv[3]);
    page_statement.sql = read_file(argv[4]);
    if (argc > 5) count_statement.sql = read_file(argv[5]);
    if (!token_statement.sql || !page_statement.sql || (argc > 5 && !count_statement.sql)) {
        fprintf(stderr, "events_fcgi: cannot read %s or %s\n", argv[3], argv[4]);
        return 2;
    }
    conninfo = getenv("NOTIFY_DATABASE_URL");
    if (!conninfo || !*conninfo) {
        fputs("events_fcgi: NOTIFY_DATABASE_URL is not set\n", stderr);
        return 2;
    }
    const char *limit = getenv("NOTIFY_AUTH_FAILURE_LIMIT");
    if (limit && atoi(limit) > 0) auth_failure_limit = atoi(limit);
    /* As notify-fcgi's Database: generic plans for the prepared statements, through PGOPTIONS. */
    const char *options = getenv("PGOPTIONS");
    if (!options || !strstr(options, "plan_cache_mode")) {
        char joined[1024];
        snprintf(joined, sizeof joined, "%s%s-c plan_cache_mode=force_generic_plan", options ? options : "",
                 options && *options ? " " : "");
        setenv("PGOPTIONS", joined, 1);
    }
    unlink(path);
    mode_t previous = umask(0117);
    int fd = FCGX_OpenSocket(path, 4096);
    umask(previous);
    if (fd < 0) {
        fprintf(stderr, "cannot open FastCGI socket at %s\n", path);
        return 1;
    }
    chmod(path, 0666);
    install(SIGTERM, on_stop);
    install(SIGINT, on_stop);

    pid_t pids[MAX_WORKERS];
    for (int i = 0; i < count; i++) {
        pids[i] = spawn(fd);
        if (pids[i] < 0) {
            perror("fork");
            stop_requested = 1;
            count = i;
            break;
        }
    }
    fprintf(stderr, "events_fcgi: %d workers on %s\n", count, path);
    while (!stop_requested) {
        int status;
        pid_t pid = wait(&status);
        if (pid < 0) {
            if (errno == ECHILD) break;
            continue;
        }
        for (int i = 0; i < count; i++) {
            if (pids[i] != pid) continue;
            fprintf(stderr, "events_fcgi: worker %d exited (status %d); starting a new one\n", (int)pid, status);
            usleep(200000);
            if (!stop_requested) pids[i] = spawn(fd);
        }
    }
    for (int i = 0; i < count; i++) kill(pids[i], SIGTERM);
    while (wait(NULL) > 0) {
    }
    unlink(path);
    return 0;
}
