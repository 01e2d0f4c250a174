/* Hex encoding and SHA-256 helpers over libsodium. */
#ifndef SIDANG_UTIL_HEX_H
#define SIDANG_UTIL_HEX_H

#include <stdbool.h>
#include <stddef.h>

#define SHA256_BYTES 32
#define SHA256_HEX 65 /* 64 hex digits and NUL */

/* Writes 2*N lowercase hex digits and a NUL into OUT. */
void hex_encode(const unsigned char *p, size_t n, char *out);
/* Decodes exactly 2*N hex digits of IN into OUT; false if IN is not that. */
bool hex_decode(const char *in, size_t in_len, unsigned char *out, size_t n);
/* True if S is exactly 64 lowercase hex digits. */
bool hex_is_sha256(const char *s);
void sha256_hex(const void *p, size_t n, char out[SHA256_HEX]);

#endif
