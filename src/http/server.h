/* The HTTP server: libmicrohttpd with Sidang's thin layer (routing, limits, sessions, CSRF). */
#ifndef SIDANG_HTTP_SERVER_H
#define SIDANG_HTTP_SERVER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/app.h"
#include "http/router.h"

struct server_config {
	const char *addr;            /* IPv4 or IPv6 literal */
	uint16_t port;               /* 0: pick a free one */
	unsigned max_connections;
	unsigned max_connections_per_ip;
	unsigned timeout_seconds;
};

/* The API's route table (api/routes.c); each route's handler is a struct endpoint. */
extern const struct route api_routes[];
extern const size_t api_routes_count;

/* Serves until SIGINT or SIGTERM. Prints "sidang: listening on http://ADDR:PORT" on standard
 * output once listening. Calls TICK(CTX) (may be NULL) every TICK_SECONDS while serving.
 * Returns 0, or 1 when the server could not start. */
int server_run(struct app *app, const struct server_config *cfg, void (*tick)(void *ctx),
	       void *ctx, unsigned tick_seconds);

#endif
