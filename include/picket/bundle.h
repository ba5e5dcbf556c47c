/* Signed bundles: the events of a sync, carried on removable media to and
 * from sites with no network.
 *
 * A bundle is text, one item a line:
 *
 *	picket-bundle 1
 *	{"format":1,"origin":NODE,"to":NODE|null,"created":T,"events":N,
 *	 "classification":LEVEL,"from":ID,"upto":ID,"key":BASE64}
 *	EVENT            (N lines, each an event as a push carries it)
 *	signature BASE64
 *
 * The signature is Ed25519ph (libsodium's crypto_sign_init/update/final)
 * over every byte before the signature line, by the key the header names.
 * A reader checks the whole file before it hands out one event, and the
 * second pass that hands them out checks that the bytes it reads are those
 * it checked. */
#ifndef PICKET_BUNDLE_H
#define PICKET_BUNDLE_H

#include <stdint.h>
#include <stdio.h>

#include "picket/key.h"
#include "picket/oplog.h"
#include "picket/util.h"

#define PK_BUNDLE_FORMAT 1
/* The longest line a reader takes: an event with the largest values. */
#define PK_BUNDLE_MAX_LINE (16 << 20)

struct pk_bundle_info {
	int format;
	char origin[PK_KEY_NAME + 1];
	char to[PK_KEY_NAME + 1]; /* "" when for anyone */
	int64_t created;
	int64_t events;
	char classification[64]; /* the highest level of the records it holds */
	int64_t from, upto;	 /* the origin's cursors: events after from, to upto */
	unsigned char key[PK_KEY_PUBLIC];
};

/* --- writing --- */

struct pk_bundle_writer;
/* Events go to a scratch file until the bundle is finished. */
int pk_bundle_writer_new(struct pk_bundle_writer **w, struct pk_error *err);
int pk_bundle_write(struct pk_bundle_writer *w, const struct pk_event *ev, struct pk_error *err);
/* Writes ev unless its record's level `rank` is above `ceiling`: then it
 * is held back and counted.  The writer keeps the highest level written. */
int pk_bundle_offer(struct pk_bundle_writer *w, const struct pk_event *ev, int rank, int ceiling,
		    struct pk_error *err);
/* Events held back by pk_bundle_offer, and the highest level written. */
int64_t pk_bundle_held(const struct pk_bundle_writer *w);
int pk_bundle_top(const struct pk_bundle_writer *w);
/* Writes the bundle to path (atomically; "-" is standard output), signed
 * by key: info's header with its events count and key filled in. */
int pk_bundle_finish(struct pk_bundle_writer *w, const char *path, struct pk_bundle_info *info,
		     const struct pk_key *key, struct pk_error *err);
void pk_bundle_writer_free(struct pk_bundle_writer **w);

/* --- reading --- */

struct pk_bundle_reader;
/* Opens a bundle and reads its header; PK_EIO, or PK_EINVAL for a file
 * that is not a bundle (or of another format). */
int pk_bundle_open(const char *path, struct pk_bundle_reader **r, struct pk_bundle_info *info,
		   struct pk_error *err);
/* Reads the whole file and checks its signature, its length and that a
 * trusted key made it (trusted NULL: any key; *signer then NULL).
 * PK_ESIG for a bundle cut short, altered, forged or signed by a key not
 * in `trusted`, with err saying which; PK_EIO. */
int pk_bundle_verify(struct pk_bundle_reader *r, const struct pk_keyring *trusted,
		     const struct pk_key **signer, struct pk_error *err);
/* After pk_bundle_verify: the next event (*got 1), or the end (*got 0)
 * once the bytes read again are those checked (PK_ESIG if the file
 * changed meanwhile).  PK_EINVAL for an event that is not one. */
int pk_bundle_next(struct pk_bundle_reader *r, struct pk_event *ev, int *got, struct pk_error *err);
void pk_bundle_close(struct pk_bundle_reader **r);
/* Prints a header for people, a "name: value" line each. */
void pk_bundle_info_print(FILE *f, const struct pk_bundle_info *info);

/* --- a desk's database --- */

struct pk_db;
struct pk_keyring;

struct pk_bundle_export {
	int64_t since;	/* events after this oplog id; -1: after the last export */
	const char *to; /* the receiving site, or NULL */
};

struct pk_bundle_summary {
	struct pk_bundle_info info;
	int64_t held;	  /* events left out: their records are above the ceiling */
	char ceiling[64]; /* the level the bundle stops at */
	int64_t imported; /* merged here */
	int64_t duplicates;
	int64_t conflicts;
	char signer[PK_KEY_NAME + 1];
};

/* Writes this installation's events after the cursor to a bundle signed
 * by key.  With `to`, the site's level ([sites] in picket.conf) is the
 * ceiling and its own events stay out; without, this workstation's
 * system-high.  A ticket lowered since it was held goes out whole.  The
 * cursor of the site (or of exports without one) moves to the last event
 * considered. */
int pk_bundle_export(struct pk_db *db, const char *path, const struct pk_bundle_export *opt,
		     const struct pk_key *key, struct pk_bundle_summary *sum, struct pk_error *err);
/* Checks a bundle (signature, a trusted key, a classification this
 * workstation may hold, meant for this node) and merges its events in
 * one transaction, as a sync's pull would: all or nothing.  PK_ESIG,
 * PK_ECLASS, PK_EINVAL, PK_EIO or a database status. */
int pk_bundle_import(struct pk_db *db, const char *path, const struct pk_keyring *trusted,
		     struct pk_bundle_summary *sum, struct pk_error *err);

#endif
