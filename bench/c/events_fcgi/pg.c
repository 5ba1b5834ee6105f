/* PostgreSQL: one connection per worker, opened on first use; the statements prepared once per
 * connection, the page statement's parameters mapped to values by their types. */
#include <stdio.h>

#include "events_fcgi.h"

Statement token_statement = {"token_owner_and_failures", NULL, 3};
Statement page_statement = {"events_page_1", NULL, 4};
Statement count_statement = {"events_count_1", NULL, 2};
const char *conninfo;
PGconn *connection;
int prepared_token, prepared_page, prepared_count;

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
PGresult *run(Statement *statement, int *prepared, const char *const *values) {
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

int page_slots[MAX_PARAMS], count_slots[MAX_PARAMS];
int page_checks_token;

/* Prepares `statement` and maps its parameters to values; 0 on failure. */
static int prepare_described(Statement *statement, int *prepared, int *slots) {
    PGresult *done = PQprepare(connection, statement->name, statement->sql, 0, NULL);
    int ok = PQresultStatus(done) == PGRES_COMMAND_OK;
    if (!ok) fprintf(stderr, "events_fcgi: prepare %s: %s", statement->name, PQresultErrorMessage(done));
    PQclear(done);
    if (!ok) return 0;
    PGresult *described = PQdescribePrepared(connection, statement->name);
    statement->params = PQnparams(described);
    int texts = 0, uuids = 0;
    for (int i = 0; i < statement->params && i < MAX_PARAMS; i++) {
        Oid type = PQparamtype(described, i);
        if (i < 4) {
            slots[i] = i;
        } else if (type == 2950) { /* uuid: the order's lowest event id, then its highest */
            slots[i] = uuids++ == 0 ? V_BOUND : V_UPPER;
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

int prepare_page(void) {
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!connect_database()) return 0;
        if (prepared_page) return 1;
        if (prepare_described(&page_statement, &prepared_page, page_slots)) {
            page_checks_token = 0;
            for (int i = 0; i < page_statement.params; i++) page_checks_token |= page_slots[i] == V_HASH;
            /* The count statement takes the page's leading values: merchant, order id, bounds. */
            if (count_statement.sql && prepare_described(&count_statement, &prepared_count, count_slots)) {
                for (int i = 2; i < count_statement.params; i++) count_slots[i] = i == 2 ? V_BOUND : V_UPPER;
            }
            return 1;
        }
        if (PQstatus(connection) == CONNECTION_OK) return 0;
    }
    return 0;
}
