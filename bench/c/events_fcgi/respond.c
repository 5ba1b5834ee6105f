/* One request of the events list: the route, the credentials, the page; and the reason phrases. */
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "events_fcgi.h"

/* Answers one request into `body`; returns the status (a problem fills `problem`). */
int respond(FCGX_Request *request, Buf *body, Problem *problem, char **merchant_out) {
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
        char bound[37], upper[37];
        lowest_event_id(order_id, bound);
        highest_event_id(order_id, upper);
        const char *values[V_COUNT] = {merchant, order_id, limit_value, offset_value, bound, upper,
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

const char *reason(int status) {
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
