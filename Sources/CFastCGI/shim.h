#ifndef NOTIFY_CFASTCGI_SHIM_H
#define NOTIFY_CFASTCGI_SHIM_H

#include <fcgiapp.h>
#include <sys/stat.h>

#endif
