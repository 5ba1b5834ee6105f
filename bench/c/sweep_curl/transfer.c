/* Counts per destination and merchant, and the signed request of one claimed row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sweep_curl.h"

Count *find(Count **list, const char *key, int create) {
    for (Count *c = *list; c; c = c->next)
        if (strcmp(c->key, key) == 0) return c;
    if (!create) return NULL;
    Count *c = calloc(1, sizeof *c);
    snprintf(c->key, sizeof c->key, "%s", key);
    c->next = *list;
    *list = c;
    return c;
}

int count_of(Count **list, const char *key) {
    Count *c = find(list, key, 0);
    return c ? c->n : 0;
}

void add(Count **list, const char *key, int change) { find(list, key, 1)->n += change; }

static size_t on_data(char *data, size_t size, size_t count, void *context) {
    Delivery *d = context;
    size_t n = size * count;
    if (d->response.len + n > RESPONSE_LIMIT) return 0;
    put(&d->response, data, n);
    return n;
}

/* Builds the signed request of one claimed row (the sweep's WebhookMessage and CurlTransfer). */
void prepare_transfer(Delivery *d, PGresult *r, int row, double now) {
    const char *method = PQgetvalue(r, row, PQfnumber(r, "request_method"));
    const char *url = PQgetvalue(r, row, PQfnumber(r, "request_url"));
    const char *payload = PQgetvalue(r, row, PQfnumber(r, "payload"));
    int has_body = strcmp(method, "GET") != 0;
    d->body_len = has_body ? strlen(payload) : 0;
    d->body = malloc(d->body_len + 1);
    memcpy(d->body, payload, d->body_len + 1);
    Header *headers = NULL;
    int count = parse_headers(PQgetvalue(r, row, PQfnumber(r, "request_headers")), &headers);
    int content_type = 0, user_agent = 0;
    Buf line = {0};
    for (int i = 0; i < count; i++) {
        if (strcasecmp(headers[i].name, "content-type") == 0) content_type = 1;
        if (strcasecmp(headers[i].name, "user-agent") == 0) user_agent = 1;
        line.len = 0;
        if (*headers[i].value) {
            putf(&line, "%s: %s", headers[i].name, headers[i].value);
        } else {
            putf(&line, "%s;", headers[i].name);
        }
        d->headers = curl_slist_append(d->headers, line.data);
        free(headers[i].name);
        free(headers[i].value);
    }
    free(headers);
    if (has_body && !content_type) d->headers = curl_slist_append(d->headers, "Content-Type: application/json");
    if (!user_agent) d->headers = curl_slist_append(d->headers, "User-Agent: notify/0.1.0");
    long long timestamp = (long long)now;
    line.len = 0;
    putf(&line, "webhook-id: %s", d->event_id);
    d->headers = curl_slist_append(d->headers, line.data);
    line.len = 0;
    putf(&line, "webhook-timestamp: %lld", timestamp);
    d->headers = curl_slist_append(d->headers, line.data);
    line.len = 0;
    puts_(&line, "webhook-signature: ");
    sign(PQgetvalue(r, row, PQfnumber(r, "signing_secret")), d->event_id, timestamp, d->body, d->body_len, &line);
    int previous = PQfnumber(r, "previous_signing_secret");
    if (previous >= 0 && !PQgetisnull(r, row, previous)) {
        puts_(&line, " ");
        sign(PQgetvalue(r, row, previous), d->event_id, timestamp, d->body, d->body_len, &line);
    }
    d->headers = curl_slist_append(d->headers, line.data);
    d->headers = curl_slist_append(d->headers, "Expect:");
    if (!content_type) d->headers = curl_slist_append(d->headers, "Content-Type:");
    free(line.data);

    CURL *e = d->easy = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)TIMEOUT_MS);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "notify/0.1.0");
    curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, d->curl_error);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, d);
    curl_easy_setopt(e, CURLOPT_PRIVATE, d);
    if (!has_body) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)d->body_len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, d->body);
        if (strcmp(method, "POST") != 0) curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, d->headers);
}
