/* Ed25519 keys (libsodium) that sign and check bundles.
 *
 * An installation's key is a file of one line, "picket-ed25519-secret
 * BASE64 NAME", mode 0600.  Its public half travels as "picket-ed25519
 * BASE64 NAME", the form `picket key show` prints and a trusted-keys file
 * holds one a line (# comments), and is named by its fingerprint,
 * "SHA256:" and the unpadded base64 of the key's SHA-256, as ssh does. */
#ifndef PICKET_KEY_H
#define PICKET_KEY_H

#include <stddef.h>
#include <stdio.h>

#include "picket/util.h"

#define PK_KEY_PUBLIC  32
#define PK_KEY_SECRET  64
#define PK_KEY_NAME    64
#define PK_KEY_FPR_MAX 64 /* "SHA256:" + 43 + NUL, with room */

struct pk_key {
	unsigned char pub[PK_KEY_PUBLIC];
	unsigned char sec[PK_KEY_SECRET]; /* when `secret` */
	int secret;
	char name[PK_KEY_NAME + 1];
};

/* 1 if s is a key name: 1-64 of [A-Za-z0-9._-]. */
int pk_key_name_valid(const char *s);

/* Makes a new key in a new file at path (0600); PK_EIO when it exists or
 * cannot be written. */
int pk_key_create(const char *path, const char *name, struct pk_error *err);
/* Reads a key file: PK_ENOTFOUND when there is none, PK_ECONFIG when
 * others may read it, PK_EINVAL when it is not a key. */
int pk_key_load(const char *path, struct pk_key *k, struct pk_error *err);
/* Forgets the secret half. */
void pk_key_wipe(struct pk_key *k);

/* "picket-ed25519 BASE64 NAME" */
void pk_key_public_text(const struct pk_key *k, struct pk_buf *out);
/* Reads a public key line (the name may be missing); PK_EINVAL. */
int pk_key_parse(const char *line, struct pk_key *k, struct pk_error *err);
void pk_key_fingerprint(const unsigned char pub[PK_KEY_PUBLIC], char out[PK_KEY_FPR_MAX]);
/* Prints the public line and "fingerprint SHA256:..." (key show). */
void pk_key_print(FILE *f, const struct pk_key *k);
/* A public key given on the command line: the line itself, or a file
 * ("-": standard input) whose first line it is; `name`, when not NULL,
 * names it instead of the line's name, and a name is required.
 * PK_EINVAL, PK_EIO or PK_EUSAGE (no name) with err saying why. */
int pk_key_read_arg(const char *arg, const char *name, struct pk_key *k, struct pk_error *err);

/* The trusted keys. */
struct pk_keyring {
	struct pk_key *v;
	size_t n;
};
/* A missing file is an empty ring; one others may write to is refused
 * (PK_ECONFIG), as is a bad line (PK_EINVAL, naming it). */
int pk_keyring_load(const char *path, struct pk_keyring *kr, struct pk_error *err);
const struct pk_key *pk_keyring_find(const struct pk_keyring *kr,
				     const unsigned char pub[PK_KEY_PUBLIC]);
/* Adds k's public half to the ring in memory (an installation trusts its
 * own key). */
void pk_keyring_push(struct pk_keyring *kr, const struct pk_key *k);
/* Adds a key under k->name, rewriting the file atomically; PK_EINVAL when
 * the name or the key is there already. */
int pk_keyring_add(const char *path, const struct pk_key *k, struct pk_error *err);
void pk_keyring_free(struct pk_keyring *kr);
/* Prints the ring, a "NAME FINGERPRINT" line each. */
void pk_keyring_print(FILE *f, const struct pk_keyring *kr);

#endif
