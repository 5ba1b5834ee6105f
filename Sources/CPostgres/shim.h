#ifndef NOTIFY_CPOSTGRES_SHIM_H
#define NOTIFY_CPOSTGRES_SHIM_H
#include <libpq-fe.h>
#endif
