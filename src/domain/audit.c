/*
 * The audit trail: a hash chain in audit_log with Ed25519-signed checkpoints in
 * audit_checkpoints. The format is fixed by docs/internals/audit.md; a change to anything in
 * canonical_entry, entry_hash or checkpoint_message makes every existing trail fail to verify.
 */
#include "domain/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sidang_limits.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/fsio.h"
#include "util/hex.h"
#include "util/log.h"
#include "util/utf8.h"

/* jansson's compact output with keys sorted by their UTF-8 bytes. Not JSON_ENSURE_ASCII: the
 * stored detail stays readable (names, Indonesian text) and the escaping rules stay few (only
 * '"', '\\' and the controls below 0x20 are escaped; see docs/internals/audit.md). */
#define CANONICAL_FLAGS (JSON_COMPACT | JSON_SORT_KEYS)

/* The settings key that holds the public half of the instance's key. */
#define SETTING_PUBLIC_KEY "audit_public_key"

/* Rows read per page by audit_verify: memory stays flat however long the trail grows. */
#define VERIFY_PAGE_ROWS 1000

/* The key file: the 64-byte secret key in hex and a newline. */
#define KEY_FILE_HEX ((size_t)2 * crypto_sign_ed25519_SECRETKEYBYTES)
#define PUBLIC_KEY_HEX (2 * crypto_sign_ed25519_PUBLICKEYBYTES + 1)
#define SIGNATURE_HEX (2 * crypto_sign_ed25519_BYTES + 1)

/* Nesting allowed in an event's detail; details are flat objects in practice. */
#define DETAIL_MAX_DEPTH 16

static const char zero_hash[SHA256_HEX] =
	"0000000000000000000000000000000000000000000000000000000000000000";

/* Only byte arrays: sodium_malloc does not align, and the whole struct is made read-only. */
struct audit {
	unsigned char secret_key[crypto_sign_ed25519_SECRETKEYBYTES];
	unsigned char public_key[crypto_sign_ed25519_PUBLICKEYBYTES];
	char public_key_hex[PUBLIC_KEY_HEX];
};

/* The columns of one audit_log row, as hashed. */
struct entry {
	int64_t seq;
	int64_t at;
	bool actor_id_null;
	int64_t actor_id;
	const char *actor;
	const char *address;
	const char *action;
	const char *object_type;
	const char *object_id;
};

/* ------------------------------------------------------------------------------------------ */
/* UTF-8                                                                                        */

/* Length of the well-formed UTF-8 sequence at P (at most N bytes), or 0 when it is not one.
 * Rejects what util/utf8.c and jansson reject: overlong forms, surrogates, code points above
 * U+10FFFF. */
static size_t utf8_seq_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* A copy of S with each byte that is not part of well-formed UTF-8 replaced by U+FFFD, so that
 * a client's garbage (a login name, an address) is still audited rather than refused. */
static enum status utf8_sanitize(const char *s, char **out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	struct buf b;
	buf_init(&b, 3 * n + 1);
	enum status st = ST_OK;
	for (size_t i = 0; i < n && st == ST_OK;) {
		size_t l = utf8_seq_len(p + i, n - i);
		if (l == 0) {
			st = buf_add(&b, "\xef\xbf\xbd", 3);
			i++;
		} else {
			st = buf_add(&b, p + i, l);
			i += l;
		}
	}
	if (st == ST_OK)
		*out = buf_detach(&b, NULL);
	buf_release(&b);
	return st != ST_OK ? st : (*out ? ST_OK : ST_NOMEM);
}

/* ------------------------------------------------------------------------------------------ */
/* The format: canonical form, hash, checkpoint message                                         */

/* True when V holds only what has one text form: objects, arrays, strings, integers, true,
 * false, null. Reals are refused because their decimal form is not the same across libraries. */
static bool detail_is_canonical_kind(const json_t *v, int depth)
{
	if (depth > DETAIL_MAX_DEPTH)
		return false;
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *x;
		json_object_foreach ((json_t *)v, k, x)
			if (!detail_is_canonical_kind(x, depth + 1))
				return false;
		return true;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *x;
		json_array_foreach (v, i, x)
			if (!detail_is_canonical_kind(x, depth + 1))
				return false;
		return true;
	}
	case JSON_REAL:
		return false;
	default:
		return true;
	}
}

static enum status set_string(json_t *o, const char *key, const char *value)
{
	json_t *s = json_string(value);
	if (!s)
		return ST_NOMEM; /* the strings were checked to be UTF-8 before */
	return json_object_set_new(o, key, s) == 0 ? ST_OK : ST_NOMEM;
}

static enum status set_int(json_t *o, const char *key, int64_t v)
{
	json_t *i = json_integer((json_int_t)v);
	if (!i)
		return ST_NOMEM;
	return json_object_set_new(o, key, i) == 0 ? ST_OK : ST_NOMEM;
}

/* The canonical text of entry E with DETAIL (an object) into *OUT (free()). The strings of E
 * must be well-formed UTF-8. */
static enum status canonical_entry(const struct entry *e, json_t *detail, char **out)
{
	*out = NULL;
	json_t *o = json_object();
	if (!o)
		return ST_NOMEM;
	enum status st;
	if ((st = set_int(o, "seq", e->seq)) != ST_OK || (st = set_int(o, "at", e->at)) != ST_OK)
		goto out;
	if (e->actor_id_null) {
		if (json_object_set_new(o, "actor_id", json_null()) != 0) {
			st = ST_NOMEM;
			goto out;
		}
	} else if ((st = set_int(o, "actor_id", e->actor_id)) != ST_OK) {
		goto out;
	}
	if ((st = set_string(o, "actor", e->actor)) != ST_OK ||
	    (st = set_string(o, "address", e->address)) != ST_OK ||
	    (st = set_string(o, "action", e->action)) != ST_OK ||
	    (st = set_string(o, "object_type", e->object_type)) != ST_OK ||
	    (st = set_string(o, "object_id", e->object_id)) != ST_OK)
		goto out;
	if (json_object_set(o, "detail", detail) != 0) {
		st = ST_NOMEM;
		goto out;
	}
	*out = json_dumps(o, CANONICAL_FLAGS);
	st = *out ? ST_OK : ST_NOMEM;
out:
	json_decref(o);
	return st;
}

/* hash = hex(SHA-256(prev_hash_hex || "\n" || canonical)). */
static void entry_hash(const char *prev_hex, const char *canonical, char out[SHA256_HEX])
{
	crypto_hash_sha256_state h;
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, (const unsigned char *)prev_hex, strlen(prev_hex));
	crypto_hash_sha256_update(&h, (const unsigned char *)"\n", 1);
	crypto_hash_sha256_update(&h, (const unsigned char *)canonical, strlen(canonical));
	crypto_hash_sha256_final(&h, d);
	hex_encode(d, sizeof d, out);
}

/* The signed bytes of a checkpoint: "sidang-audit-checkpoint\n<seq>\n<hash>\n<at>", the numbers
 * in decimal, no trailing newline. Returns the length, or 0 if it does not fit (cannot happen
 * with a 64-digit hash). */
static size_t checkpoint_message(int64_t seq, const char *hash, int64_t at, char *out, size_t cap)
{
	int n = snprintf(out, cap, "sidang-audit-checkpoint\n%" PRId64 "\n%s\n%" PRId64, seq, hash,
			 at);
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

/* ------------------------------------------------------------------------------------------ */
/* Keys                                                                                         */

static enum status sodium_ready(void)
{
	if (sodium_init() < 0) {
		log_error("audit: libsodium failed to initialise");
		return ST_IO;
	}
	return ST_OK;
}

/* The directory part of PATH into DIR. */
static enum status dir_of(const char *path, char *dir, size_t cap)
{
	size_t n = strlen(path);
	if (n >= cap)
		return ST_INVALID;
	memcpy(dir, path, n + 1);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		memcpy(dir, ".", 2);
	return ST_OK;
}

/* Reads the setting KEY into OUT (CAP bytes). ST_NOT_FOUND when unset, ST_INVALID when longer. */
static enum status setting_get(struct db_conn *c, const char *key, char *out, size_t cap)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_SETTING_GET, &s);
	if (st != ST_OK)
		return st;
	db_bind_text(s, 1, key);
	bool row;
	st = db_step(s, &row);
	if (st == ST_OK && !row)
		st = ST_NOT_FOUND;
	if (st == ST_OK) {
		const char *v = db_col_text(s, 0);
		if (!v || strlen(v) >= cap)
			st = ST_INVALID;
		else
			memcpy(out, v, strlen(v) + 1);
	}
	db_done(s);
	return st;
}

/* Writes the key file: complete under a temporary name first, then linked to KEY_PATH, which
 * fails if KEY_PATH exists. Neither a partial key nor an overwrite is ever visible there. */
static enum status key_file_write(const char *key_path, const char *text, size_t len)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.new", key_path) >= (int)sizeof tmp ||
	    dir_of(key_path, dir, sizeof dir) != ST_OK) {
		log_error("audit key '%s': path too long", key_path);
		return ST_INVALID;
	}
	enum status st = fsio_write_file_atomic(tmp, text, len, 0600);
	if (st != ST_OK) {
		log_error("audit key '%s': writing: %s", tmp, status_name(st));
		return st;
	}
	if (link(tmp, key_path) != 0) {
		int err = errno;
		unlink(tmp);
		if (err == EEXIST) {
			log_error("audit key '%s' exists already; refusing to overwrite it",
				  key_path);
			return ST_CONFLICT;
		}
		log_error("audit key '%s': %s", key_path, strerror(err));
		return fsio_status_from_errno(err);
	}
	unlink(tmp);
	if (fsio_fsync_dir(dir) != 0) {
		int err = errno;
		log_error("audit key '%s': syncing '%s': %s", key_path, dir, strerror(err));
		unlink(key_path);
		return fsio_status_from_errno(err);
	}
	return ST_OK;
}

enum status audit_key_create(struct db_conn *c, const char *key_path)
{
	unsigned char pk[crypto_sign_ed25519_PUBLICKEYBYTES];
	unsigned char sk[crypto_sign_ed25519_SECRETKEYBYTES];
	char text[KEY_FILE_HEX + 2];
	char pk_hex[PUBLIC_KEY_HEX], have[PUBLIC_KEY_HEX + 64];
	bool file_written = false;
	enum status st;
	if (!c || !key_path || !*key_path)
		return ST_INVALID;
	if ((st = sodium_ready()) != ST_OK)
		return st;
	struct stat sb;
	if (lstat(key_path, &sb) == 0) {
		log_error("audit key '%s' exists already; refusing to overwrite it",
			  key_path);
		return ST_CONFLICT;
	}
	if ((st = db_begin(c)) != ST_OK)
		return st;
	/* Checkpoints name the key that signed them and verification uses the recorded one: a
	 * second key would leave the earlier checkpoints unverifiable. No rotation (yet). */
	st = setting_get(c, SETTING_PUBLIC_KEY, have, sizeof have);
	if (st == ST_OK || st == ST_INVALID) {
		log_error("audit: a public key is recorded already; refusing to create another");
		st = ST_CONFLICT;
		goto out;
	}
	if (st != ST_NOT_FOUND)
		goto out;

	crypto_sign_ed25519_keypair(pk, sk);
	hex_encode(sk, sizeof sk, text);
	text[KEY_FILE_HEX] = '\n';
	text[KEY_FILE_HEX + 1] = '\0';
	hex_encode(pk, sizeof pk, pk_hex);

	struct db_stmt *s;
	if ((st = db_prepare(c, SQL_SETTING_SET, &s)) != ST_OK)
		goto out;
	db_bind_text(s, 1, SETTING_PUBLIC_KEY);
	db_bind_text(s, 2, pk_hex);
	st = db_exec_stmt(s);
	db_done(s);
	if (st != ST_OK)
		goto out;
	/* The file before the commit: a failed write leaves no public key without its secret. */
	if ((st = key_file_write(key_path, text, KEY_FILE_HEX + 1)) != ST_OK)
		goto out;
	file_written = true;
	st = db_commit(c);
out:
	if (st != ST_OK) {
		db_rollback(c);
		if (file_written)
			unlink(key_path);
	} else {
		log_info("audit: created key '%s' (public key %s)", key_path, pk_hex);
	}
	sodium_memzero(sk, sizeof sk);
	sodium_memzero(text, sizeof text);
	return st;
}

enum status audit_open(const char *key_path, struct audit **out)
{
	*out = NULL;
	if (!key_path)
		return ST_INVALID;
	enum status st = sodium_ready();
	if (st != ST_OK)
		return st;
	char text[KEY_FILE_HEX + 3];
	size_t len = 0;
	int fd = open(key_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		log_error("audit key '%s': %s", key_path, strerror(err));
		return fsio_status_from_errno(err);
	}
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		log_error("audit key '%s' is not a regular file", key_path);
		close(fd);
		return ST_INVALID;
	}
	/* As ssh does with its private keys: a key others can read is not a secret any more. */
	if (sb.st_mode & 077) {
		log_error("audit key '%s' is accessible by group or others (mode %03o); "
			  "run chmod 600 on it",
			  key_path, (unsigned)(sb.st_mode & 0777));
		close(fd);
		return ST_DENIED;
	}
	for (;;) {
		ssize_t r = fsio_read(fd, text + len, sizeof text - len);
		if (r < 0) {
			int err = errno;
			log_error("audit key '%s': %s", key_path, strerror(err));
			close(fd);
			sodium_memzero(text, sizeof text);
			return fsio_status_from_errno(err);
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len == sizeof text)
			break;
	}
	close(fd);

	struct audit *a = NULL;
	unsigned char seed_pk[crypto_sign_ed25519_PUBLICKEYBYTES];
	unsigned char seed_sk[crypto_sign_ed25519_SECRETKEYBYTES];
	if (!(len == KEY_FILE_HEX || (len == KEY_FILE_HEX + 1 && text[KEY_FILE_HEX] == '\n'))) {
		log_error("audit key '%s' is not %zu hex digits and a newline", key_path,
			  KEY_FILE_HEX);
		st = ST_INVALID;
		goto out;
	}
	a = sodium_malloc(sizeof *a);
	if (!a) {
		st = ST_NOMEM;
		goto out;
	}
	if (!hex_decode(text, KEY_FILE_HEX, a->secret_key, sizeof a->secret_key)) {
		log_error("audit key '%s' is not hex", key_path);
		st = ST_INVALID;
		goto out;
	}
	/* A libsodium secret key is seed || public key: rederive both from the seed, so that a
	 * damaged file is found now rather than as unverifiable checkpoints later. */
	crypto_sign_ed25519_seed_keypair(seed_pk, seed_sk, a->secret_key);
	if (sodium_memcmp(seed_sk, a->secret_key, sizeof seed_sk) != 0) {
		log_error("audit key '%s' is damaged (its public half does not match its seed)",
			  key_path);
		st = ST_INVALID;
		goto out;
	}
	memcpy(a->public_key, seed_pk, sizeof a->public_key);
	hex_encode(a->public_key, sizeof a->public_key, a->public_key_hex);
	/* Read-only from here on: threads share it without locks, and a stray write faults. */
	sodium_mprotect_readonly(a);
	*out = a;
	a = NULL;
	st = ST_OK;
out:
	if (a)
		sodium_free(a);
	sodium_memzero(text, sizeof text);
	sodium_memzero(seed_sk, sizeof seed_sk);
	return st;
}

void audit_free(struct audit *a)
{
	if (a)
		sodium_free(a); /* wipes it */
}

const char *audit_public_key_hex(const struct audit *a)
{
	return a->public_key_hex;
}

enum status audit_check_key(const struct audit *a, struct db_conn *c)
{
	char have[PUBLIC_KEY_HEX + 64];
	enum status st = setting_get(c, SETTING_PUBLIC_KEY, have, sizeof have);
	if (st == ST_NOT_FOUND) {
		log_error("audit: no public key is recorded in the database");
		return st;
	}
	if (st == ST_INVALID || (st == ST_OK && strcmp(have, a->public_key_hex) != 0)) {
		log_error("audit: the key file's public key %s is not the one recorded in the "
			  "database",
			  a->public_key_hex);
		return ST_CONFLICT;
	}
	return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Appending                                                                                    */

/* Signs and inserts the checkpoint (SEQ, HASH) at time AT, inside the open transaction. */
static enum status checkpoint_insert(const struct audit *a, struct db_conn *c, int64_t seq,
				     const char *hash, int64_t at)
{
	char msg[192];
	size_t n = checkpoint_message(seq, hash, at, msg, sizeof msg);
	if (n == 0)
		return ST_INVALID;
	unsigned char sig[crypto_sign_ed25519_BYTES];
	char sig_hex[SIGNATURE_HEX];
	if (crypto_sign_ed25519_detached(sig, NULL, (const unsigned char *)msg, n, a->secret_key) !=
	    0)
		return ST_IO;
	hex_encode(sig, sizeof sig, sig_hex);
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_AUDIT_CHECKPOINT_INSERT, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, seq);
	db_bind_text(s, 2, hash);
	db_bind_int(s, 3, at);
	db_bind_text(s, 4, a->public_key_hex);
	db_bind_text(s, 5, sig_hex);
	st = db_exec_stmt(s);
	db_done(s);
	return st;
}

/* The last entry's seq and hash (0 and the zero hash for an empty trail). */
static enum status chain_tail(struct db_conn *c, int64_t *seq, char hash[SHA256_HEX])
{
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_AUDIT_LAST, &s);
	if (st != ST_OK)
		return st;
	bool row;
	st = db_step(s, &row);
	if (st == ST_OK && !row) {
		*seq = 0;
		memcpy(hash, zero_hash, SHA256_HEX);
	} else if (st == ST_OK) {
		*seq = db_col_int(s, 0);
		const char *h = db_col_text(s, 1);
		if (!hex_is_sha256(h) || *seq < 1) {
			log_error("audit: the last entry of the trail is damaged (seq %" PRId64
				  "); run 'sidang audit verify'",
				  *seq);
			st = ST_CORRUPT;
		} else {
			memcpy(hash, h, SHA256_HEX);
		}
	}
	db_done(s);
	return st;
}

enum status audit_append(struct audit *a, struct db_conn *c, const struct audit_event *ev,
			 int64_t *seq_out)
{
	if (seq_out)
		*seq_out = 0;
	if (!a || !c || !ev || !ev->action || !*ev->action || ev->actor_id < 0) {
		log_error("audit: append needs a key, a connection, an action and actor_id >= 0");
		return ST_INVALID;
	}
	const char *in[5] = {ev->actor ? ev->actor : "", ev->address ? ev->address : "",
			     ev->action, ev->object_type ? ev->object_type : "",
			     ev->object_id ? ev->object_id : ""};
	char *clean[5] = {0};
	json_t *empty = NULL, *detail = ev->detail;
	char *detail_text = NULL, *canonical = NULL;
	enum status st = ST_OK;

	for (int i = 0; i < 5 && st == ST_OK; i++)
		st = utf8_sanitize(in[i], &clean[i]);
	if (st != ST_OK)
		goto out;
	if (!detail) {
		if (!(detail = empty = json_object())) {
			st = ST_NOMEM;
			goto out;
		}
	}
	if (!json_is_object(detail) || !detail_is_canonical_kind(detail, 0)) {
		log_error("audit: detail of '%s' must be an object of strings, integers, booleans, "
			  "null, arrays and objects (no reals, depth at most %d)",
			  clean[2], DETAIL_MAX_DEPTH);
		st = ST_INVALID;
		goto out;
	}
	if (!(detail_text = json_dumps(detail, CANONICAL_FLAGS))) {
		st = ST_NOMEM; /* or a detail string that is not UTF-8: json_string refuses those */
		goto out;
	}

	int64_t last;
	char prev[SHA256_HEX], hash[SHA256_HEX];
	if ((st = chain_tail(c, &last, prev)) != ST_OK)
		goto out;
	struct entry e = {
		.seq = last + 1,
		.at = clock_now(),
		.actor_id_null = ev->actor_id == 0,
		.actor_id = ev->actor_id,
		.actor = clean[0],
		.address = clean[1],
		.action = clean[2],
		.object_type = clean[3],
		.object_id = clean[4],
	};
	if ((st = canonical_entry(&e, detail, &canonical)) != ST_OK)
		goto out;
	entry_hash(prev, canonical, hash);

	struct db_stmt *s;
	if ((st = db_prepare(c, SQL_AUDIT_INSERT, &s)) != ST_OK)
		goto out;
	db_bind_int(s, 1, e.seq);
	db_bind_int(s, 2, e.at);
	if (e.actor_id_null)
		db_bind_null(s, 3);
	else
		db_bind_int(s, 3, e.actor_id);
	db_bind_text(s, 4, e.actor);
	db_bind_text(s, 5, e.address);
	db_bind_text(s, 6, e.action);
	db_bind_text(s, 7, e.object_type);
	db_bind_text(s, 8, e.object_id);
	db_bind_text(s, 9, detail_text);
	db_bind_text(s, 10, prev);
	db_bind_text(s, 11, hash);
	st = db_exec_stmt(s);
	db_done(s);
	if (st == ST_CONFLICT)
		log_error("audit: entry %" PRId64 " exists already: append outside a write "
			  "transaction?",
			  e.seq);
	if (st != ST_OK)
		goto out;
	if (e.seq % LIMIT_AUDIT_CHECKPOINT_EVERY == 0 &&
	    (st = checkpoint_insert(a, c, e.seq, hash, e.at)) != ST_OK)
		goto out;
	if (seq_out)
		*seq_out = e.seq;
out:
	for (int i = 0; i < 5; i++)
		free(clean[i]);
	free(detail_text);
	free(canonical);
	json_decref(empty);
	return st;
}

enum status audit_append_alone(struct audit *a, struct db_conn *c, const struct audit_event *ev)
{
	enum status st = db_begin(c);
	if (st == ST_OK && (st = audit_append(a, c, ev, NULL)) == ST_OK)
		st = db_commit(c);
	if (st != ST_OK)
		db_rollback(c);
	return st;
}

enum status audit_checkpoint(struct audit *a, struct db_conn *c)
{
	if (!a || !c)
		return ST_INVALID;
	enum status st = db_begin(c);
	if (st != ST_OK)
		return st;
	int64_t last;
	char hash[SHA256_HEX];
	if ((st = chain_tail(c, &last, hash)) != ST_OK || last == 0)
		goto out;
	struct db_stmt *s;
	if ((st = db_prepare(c, SQL_AUDIT_CHECKPOINT_LAST, &s)) != ST_OK)
		goto out;
	bool row;
	st = db_step(s, &row);
	bool have = st == ST_OK && row && db_col_int(s, 0) == last;
	db_done(s);
	if (st != ST_OK || have)
		goto out;
	if ((st = checkpoint_insert(a, c, last, hash, clock_now())) != ST_OK)
		goto out;
	return db_commit(c);
out:
	db_rollback(c);
	return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Verifying                                                                                    */

struct checkpoint_row {
	int64_t seq;
	int64_t at;
	bool well_formed; /* hash, key and signature have the lengths they must */
	char hash[SHA256_HEX];
	char public_key[PUBLIC_KEY_HEX];
	char signature[SIGNATURE_HEX];
};

struct verifier {
	struct db_conn *c;
	struct audit_verify_result *res;
	bool have_key;
	unsigned char key[crypto_sign_ed25519_PUBLICKEYBYTES];
	char key_hex[PUBLIC_KEY_HEX];
	struct db_stmt *cps; /* the open checkpoint cursor */
	bool cp_have;        /* cp holds the next unchecked checkpoint */
	struct checkpoint_row cp;
	int64_t expected;            /* the seq the next entry must have */
	char prev[SHA256_HEX];       /* the hash of the entry before it */
};

__attribute__((format(printf, 3, 4))) static enum status broken(struct verifier *v, int64_t seq,
								const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->res->reason, sizeof v->res->reason, fmt, ap);
	va_end(ap);
	v->res->broken_seq = seq;
	return ST_CORRUPT;
}

static void copy_field(char *dst, size_t cap, const char *src, bool *ok)
{
	if (!src || strlen(src) >= cap) {
		dst[0] = '\0';
		*ok = false;
		return;
	}
	memcpy(dst, src, strlen(src) + 1);
}

/* Moves the checkpoint cursor on, copying the row into v->cp. */
static enum status next_checkpoint(struct verifier *v)
{
	bool row;
	enum status st = db_step(v->cps, &row);
	v->cp_have = st == ST_OK && row;
	if (!v->cp_have)
		return st;
	struct checkpoint_row *cp = &v->cp;
	cp->seq = db_col_int(v->cps, 0);
	cp->at = db_col_int(v->cps, 2);
	cp->well_formed = true;
	copy_field(cp->hash, sizeof cp->hash, db_col_text(v->cps, 1), &cp->well_formed);
	copy_field(cp->public_key, sizeof cp->public_key, db_col_text(v->cps, 3), &cp->well_formed);
	copy_field(cp->signature, sizeof cp->signature, db_col_text(v->cps, 4), &cp->well_formed);
	return ST_OK;
}

/* Checks the checkpoint in v->cp against the verified entry SEQ with HASH. */
static enum status check_checkpoint(struct verifier *v, int64_t seq, const char *hash)
{
	const struct checkpoint_row *cp = &v->cp;
	unsigned char sig[crypto_sign_ed25519_BYTES];
	char msg[192];
	if (!cp->well_formed || !hex_is_sha256(cp->hash) ||
	    !hex_decode(cp->signature, strlen(cp->signature), sig, sizeof sig))
		return broken(v, seq, "checkpoint at entry %" PRId64 " is malformed", seq);
	if (strcmp(cp->hash, hash) != 0)
		return broken(v, seq, "checkpoint hash does not match entry %" PRId64, seq);
	if (!v->have_key)
		return broken(v, seq,
			      "no audit public key to check the checkpoint at entry %" PRId64
			      " (none given, none in settings)",
			      seq);
	size_t n = checkpoint_message(cp->seq, cp->hash, cp->at, msg, sizeof msg);
	if (n == 0 || crypto_sign_ed25519_verify_detached(sig, (const unsigned char *)msg, n,
							 v->key) != 0)
		return broken(v, seq, "checkpoint signature invalid at entry %" PRId64, seq);
	if (strcmp(cp->public_key, v->key_hex) != 0)
		return broken(v, seq, "checkpoint at entry %" PRId64 " names another public key",
			      seq);
	v->res->checkpoints++;
	return ST_OK;
}

/* Checks the entry in the current row of S: its place in the sequence, its link to the entry
 * before, its canonical detail, its hash, then the checkpoint at it if one is due. */
static enum status check_entry(struct verifier *v, struct db_stmt *s)
{
	struct entry e = {
		.seq = db_col_int(s, 0),
		.at = db_col_int(s, 1),
		.actor_id_null = db_col_is_null(s, 2),
		.actor_id = db_col_int(s, 2),
		.actor = db_col_text(s, 3),
		.address = db_col_text(s, 4),
		.action = db_col_text(s, 5),
		.object_type = db_col_text(s, 6),
		.object_id = db_col_text(s, 7),
	};
	const char *detail_text = db_col_text(s, 8);
	const char *prev_hash = db_col_text(s, 9);
	const char *hash = db_col_text(s, 10);
	int64_t n = v->expected;

	if (e.seq > n)
		return broken(v, n, "sequence gap: expected %" PRId64 ", found %" PRId64, n, e.seq);
	if (e.seq < n)
		return broken(v, n, "unexpected sequence number %" PRId64 " before entry %" PRId64,
			      e.seq, n);
	if (!prev_hash || strcmp(prev_hash, v->prev) != 0) {
		if (n == 1)
			return broken(v, n, "prev_hash of entry 1 is not the zero hash");
		return broken(v, n, "prev_hash does not match entry %" PRId64, n - 1);
	}
	const char *fields[] = {e.actor, e.address, e.action, e.object_type, e.object_id,
				detail_text, hash};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (!fields[i] || !utf8_valid(fields[i], strlen(fields[i])))
			return broken(v, n,
				      "entry %" PRId64
				      " has a missing or non-UTF-8 field (entry was altered)",
				      n);

	json_error_t jerr;
	json_t *detail = json_loads(detail_text, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	char *again = NULL, *canonical = NULL;
	enum status st = ST_OK;
	if (!detail || !json_is_object(detail)) {
		st = broken(v, n, "detail of entry %" PRId64 " is not a JSON object (entry was "
				  "altered)", n);
		goto out;
	}
	if (!(again = json_dumps(detail, CANONICAL_FLAGS))) {
		st = ST_NOMEM;
		goto out;
	}
	if (strcmp(again, detail_text) != 0) {
		st = broken(v, n, "detail of entry %" PRId64 " is not in canonical form (entry was "
				  "altered)", n);
		goto out;
	}
	if ((st = canonical_entry(&e, detail, &canonical)) != ST_OK)
		goto out;
	char computed[SHA256_HEX];
	entry_hash(v->prev, canonical, computed);
	if (strcmp(computed, hash) != 0) {
		st = broken(v, n, "hash mismatch (entry was altered)");
		goto out;
	}
	v->res->entries++;
	memcpy(v->prev, computed, SHA256_HEX);
	v->expected = n + 1;

	if (v->cp_have && v->cp.seq < n) {
		/* Only possible for a checkpoint below seq 1: the others were matched already. */
		st = broken(v, n, "checkpoint at entry %" PRId64 ", which does not exist",
			    v->cp.seq);
		goto out;
	}
	if (v->cp_have && v->cp.seq == n) {
		if ((st = check_checkpoint(v, n, computed)) != ST_OK)
			goto out;
		st = next_checkpoint(v);
	} else if (n % LIMIT_AUDIT_CHECKPOINT_EVERY == 0) {
		st = broken(v, n, "missing checkpoint at entry %" PRId64, n);
	}
out:
	json_decref(detail);
	free(again);
	free(canonical);
	return st;
}

/* Sets the key checkpoints are checked against: the one given, else the one in settings. */
static enum status verifier_key(struct verifier *v, const char *public_key_hex)
{
	char from_settings[PUBLIC_KEY_HEX + 64];
	if (!public_key_hex) {
		enum status st =
			setting_get(v->c, SETTING_PUBLIC_KEY, from_settings, sizeof from_settings);
		if (st == ST_NOT_FOUND)
			return ST_OK; /* fine for a trail without checkpoints */
		if (st == ST_INVALID) {
			snprintf(v->res->reason, sizeof v->res->reason,
				 "the audit public key in settings is malformed");
			return ST_INVALID;
		}
		if (st != ST_OK)
			return st;
		public_key_hex = from_settings;
	}
	if (!hex_decode(public_key_hex, strlen(public_key_hex), v->key, sizeof v->key)) {
		snprintf(v->res->reason, sizeof v->res->reason,
			 "the audit public key is not %d hex digits", 2 * (int)sizeof v->key);
		return ST_INVALID;
	}
	hex_encode(v->key, sizeof v->key, v->key_hex); /* lower case, as stored in checkpoints */
	v->have_key = true;
	return ST_OK;
}

enum status audit_verify(struct db_conn *c, const char *public_key_hex,
			 struct audit_verify_result *res)
{
	memset(res, 0, sizeof *res);
	if (!c)
		return ST_INVALID;
	enum status st = sodium_ready();
	if (st != ST_OK)
		return st;
	struct verifier v = {.c = c, .res = res, .expected = 1};
	memcpy(v.prev, zero_hash, SHA256_HEX);
	/* One read snapshot: appends that commit meanwhile are not half-seen. */
	if ((st = db_begin_read(c)) != ST_OK)
		return st;
	if ((st = verifier_key(&v, public_key_hex)) != ST_OK)
		goto out;
	if ((st = db_prepare(c, SQL_AUDIT_CHECKPOINT_SCAN, &v.cps)) != ST_OK)
		goto out;
	if ((st = next_checkpoint(&v)) != ST_OK)
		goto out;

	/* Pages by seq; the first starts below 1 so that a row slipped in before 1 is seen. */
	int64_t from = INT64_MIN;
	for (;;) {
		struct db_stmt *s;
		if ((st = db_prepare(c, SQL_AUDIT_SCAN, &s)) != ST_OK)
			goto out;
		db_bind_int(s, 1, from);
		db_bind_int(s, 2, VERIFY_PAGE_ROWS);
		int rows = 0;
		int64_t last = 0;
		bool row;
		while ((st = db_step(s, &row)) == ST_OK && row) {
			rows++;
			last = db_col_int(s, 0);
			if ((st = check_entry(&v, s)) != ST_OK)
				break;
		}
		db_done(s);
		if (st != ST_OK)
			goto out;
		if (rows < VERIFY_PAGE_ROWS || last == INT64_MAX)
			break;
		from = last + 1;
	}
	if (v.cp_have) {
		int64_t end = v.expected - 1;
		st = broken(&v, v.expected,
			    "trail truncated: a checkpoint names entry %" PRId64
			    " but the trail ends at entry %" PRId64,
			    v.cp.seq, end);
	}
out:
	if (v.cps)
		db_done(v.cps);
	db_rollback(c);
	return st;
}
