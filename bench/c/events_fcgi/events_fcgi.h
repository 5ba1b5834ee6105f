/* events_fcgi: the same-work C baseline of scripts/bench figure 1 (what it does: main.c). The
 * declarations its files share: the JSON writers, the statements and the connection, the checks
 * of a request, the rendering of a page. */
#ifndef EVENTS_FCGI_H
#define EVENTS_FCGI_H

#include <fcgiapp.h>
#include <libpq-fe.h>

#include "../buf.h"

/* json_out.c: JSON in the Swift serializer's form, and the API's secret redaction */
extern const char hex_digits[];
int hex_value(char h);
void put_json_string(Buf *b, const char *s, size_t n);
void put_json_cstring(Buf *b, const char *s);
void put_json_number(Buf *b, double value);
int is_secret(const char *name, size_t n);
void put_redacted_url(Buf *out, const char *url);

/* json_rewrite.c: PostgreSQL's json text written again in the Swift serializer's form */
enum { PLAIN = 0, HEADERS = 1 };
void put_rewritten(Buf *out, const char *text, int mode, const char *fallback);

/* pg.c: the statements (their SQL read from files), prepared once per connection */
typedef struct {
    const char *name, *sql;
    int params;
} Statement;

extern Statement token_statement, page_statement, count_statement;
extern const char *conninfo;
extern PGconn *connection;
extern int prepared_token, prepared_page, prepared_count;

/* Answers one request into `body`; returns the status (a problem fills `problem`). */
/* The values a page statement may take, and which one each of its parameters is. The first four
 * are always merchant, order id, limit and offset; the others are told apart by their types, as
 * the prepared statement describes them: the first uuid is the lowest event id the order can have
 * and a second one the highest (OrderEventBound), and when the statement checks the token itself, text the token's hash then
 * the failure bucket, bigint the window and integer the failure quota. That statement returns
 * token_merchant, revoked, failures on every row and each event as JSON text around its URL;
 * without it the token statement runs first, as the Swift worker does. */
enum { V_MERCHANT, V_ORDER, V_LIMIT, V_OFFSET, V_BOUND, V_UPPER, V_HASH, V_BUCKET, V_WINDOW, V_QUOTA, V_COUNT };
enum { MAX_PARAMS = 16 };
extern int page_slots[MAX_PARAMS], count_slots[MAX_PARAMS];
extern int page_checks_token;

PGresult *run(Statement *statement, int *prepared, const char *const *values);
int prepare_page(void);

/* request.c: the checks of a request (Authenticator, QueryString, Paging, OrderEventBound) */
typedef struct {
    int status;
    const char *title, *detail, *field, *extra_header;
} Problem;

extern int auth_failure_limit;
extern const Problem unavailable;
char *trim(char *s);
int token_well_formed(const char *token);
int uuid_valid(const char *s);
char *query_value(const char *query, const char *name, Buf *scratch);
int paging_integer(const char *text, long low, long high, long *out);
void lowest_event_id(const char *order_id, char out[37]);
void highest_event_id(const char *order_id, char out[37]);
int verify(PGresult *r, const char *merchant, Problem *problem);

/* render.c: the events of a page */
int put_events(Buf *body, PGresult *page, long long *total);

/* respond.c: one request */
int respond(FCGX_Request *request, Buf *body, Problem *problem, char **merchant_out);
const char *reason(int status);

#endif
