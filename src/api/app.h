/* The application context shared by the HTTP layer and the API handlers of one instance. */
#ifndef SIDANG_API_APP_H
#define SIDANG_API_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "domain/audit.h"
#include "store/blob.h"
#include "store/db.h"

struct app {
	struct db *db;
	struct blob_store *blobs;
	struct audit *audit;
	uint64_t max_upload;  /* bytes of one uploaded file */
	bool secure_cookies;  /* behind TLS: cookies get the Secure attribute */
};

#endif
