/* The bundle file: writing, signing, checking and reading it back. */
#include "picket/bundle.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "picket/i18n.h"
#include "picket/protocol.h"
#include "picket/clock.h"
#include "picket/status.h"
#include "picket/text.h"

#define MAGIC	 "picket-bundle 1\n"
#define SIG_TAG	 "signature "
#define B64	 sodium_base64_VARIANT_ORIGINAL
#define SIG_B64	 sodium_base64_ENCODED_LEN(crypto_sign_BYTES, B64)
#define MAX_HEAD 4096

struct pk_bundle_writer {
	FILE *events; /* scratch: one event a line */
	int64_t n, held;
	int top;
	struct pk_buf line;
};

int pk_bundle_writer_new(struct pk_bundle_writer **out, struct pk_error *err)
{
	*out = NULL;
	if (sodium_init() < 0)
		return pk_error_set(err, PK_ERR, _("cannot start libsodium"));
	FILE *f = tmpfile();
	if (!f)
		return pk_error_set(err, PK_EIO, _("cannot create a scratch file: %s"),
				    strerror(errno));
	struct pk_bundle_writer *w = pk_xcalloc(1, sizeof(*w));
	w->events = f;
	*out = w;
	return PK_OK;
}

int pk_bundle_write(struct pk_bundle_writer *w, const struct pk_event *ev, struct pk_error *err)
{
	pk_buf_reset(&w->line);
	pk_proto_event_encode(&w->line, ev);
	pk_buf_putc(&w->line, '\n');
	if (fwrite(w->line.data, 1, w->line.len, w->events) != w->line.len)
		return pk_error_set(err, PK_EIO, _("cannot write a scratch file: %s"),
				    strerror(errno));
	w->n++;
	return PK_OK;
}

int pk_bundle_offer(struct pk_bundle_writer *w, const struct pk_event *ev, int rank, int ceiling,
		    struct pk_error *err)
{
	if (rank > ceiling) {
		w->held++;
		return PK_OK;
	}
	if (rank > w->top)
		w->top = rank;
	return pk_bundle_write(w, ev, err);
}

int64_t pk_bundle_held(const struct pk_bundle_writer *w)
{
	return w->held;
}

int pk_bundle_top(const struct pk_bundle_writer *w)
{
	return w->top;
}

static void header_encode(struct pk_buf *out, const struct pk_bundle_info *info)
{
	char key[sodium_base64_ENCODED_LEN(PK_KEY_PUBLIC, B64)];
	sodium_bin2base64(key, sizeof(key), info->key, sizeof(info->key), B64);
	json_t *h = json_pack("{s:i,s:s,s:o,s:I,s:I,s:s,s:I,s:I,s:s}", "format", PK_BUNDLE_FORMAT,
			      "origin", info->origin, "to",
			      *info->to ? json_string(info->to) : json_null(), "created",
			      (json_int_t)info->created, "events", (json_int_t)info->events,
			      "classification", info->classification, "from",
			      (json_int_t)info->from, "upto", (json_int_t)info->upto, "key", key);
	char *text = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER);
	pk_buf_puts(out, text);
	pk_buf_putc(out, '\n');
	free(text);
	json_decref(h);
}

/* Writes buf to f and to the signature. */
static int put(FILE *f, crypto_sign_state *st, const char *p, size_t n)
{
	crypto_sign_update(st, (const unsigned char *)p, n);
	return fwrite(p, 1, n, f) == n ? 0 : -1;
}

int pk_bundle_finish(struct pk_bundle_writer *w, const char *path, struct pk_bundle_info *info,
		     const struct pk_key *key, struct pk_error *err)
{
	if (!key->secret)
		return pk_error_set(err, PK_ERR, _("no secret key to sign with"));
	info->format = PK_BUNDLE_FORMAT;
	info->events = w->n;
	memcpy(info->key, key->pub, sizeof(info->key));
	struct pk_atomic a = { 0 };
	FILE *f = stdout;
	int rc = PK_OK;
	if (strcmp(path, "-") != 0) {
		if ((rc = pk_atomic_open(&a, path, err)) != PK_OK)
			return rc;
		f = a.f;
	}
	crypto_sign_state st;
	crypto_sign_init(&st);
	struct pk_buf head = { 0 };
	pk_buf_puts(&head, MAGIC);
	header_encode(&head, info);
	int bad = put(f, &st, head.data, head.len);
	pk_buf_free(&head);
	char buf[65536];
	size_t n;
	rewind(w->events);
	while (!bad && (n = fread(buf, 1, sizeof(buf), w->events)) > 0)
		bad = put(f, &st, buf, n);
	bad = bad || ferror(w->events);
	unsigned char sig[crypto_sign_BYTES];
	crypto_sign_final_create(&st, sig, NULL, key->sec);
	char b64[SIG_B64];
	sodium_bin2base64(b64, sizeof(b64), sig, sizeof(sig), B64);
	if (!bad && fprintf(f, SIG_TAG "%s\n", b64) < 0)
		bad = 1;
	if (bad) {
		rc = pk_error_set(err, PK_EIO, _("cannot write %s: %s"), path, strerror(errno));
		if (a.f)
			pk_atomic_abort(&a);
		return rc;
	}
	if (a.f)
		return pk_atomic_commit(&a, err);
	if (fflush(stdout) != 0)
		return pk_error_set(err, PK_EIO, _("cannot write the bundle: %s"), strerror(errno));
	return PK_OK;
}

void pk_bundle_writer_free(struct pk_bundle_writer **pw)
{
	struct pk_bundle_writer *w = *pw;
	if (!w)
		return;
	fclose(w->events);
	pk_buf_free(&w->line);
	free(w);
	*pw = NULL;
}

/* --- reading --- */

struct pk_bundle_reader {
	FILE *f;
	char *path;
	struct pk_bundle_info info;
	char *line;
	size_t cap;
	int verified;
	int started;					/* the second pass is past the header */
	int64_t left;					/* events still to hand out */
	unsigned char digest[crypto_generichash_BYTES]; /* of the checked bytes */
	crypto_generichash_state again;			/* of the bytes read since */
};

/* One line, newline included; its length, 0 at the end, -1 for a line
 * longer than PK_BUNDLE_MAX_LINE or a read error. */
static ssize_t read_line(struct pk_bundle_reader *r)
{
	ssize_t n = getline(&r->line, &r->cap, r->f);
	if (n < 0)
		return ferror(r->f) ? -1 : 0;
	return n > PK_BUNDLE_MAX_LINE ? -1 : n;
}

static int header_decode(const char *text, size_t len, struct pk_bundle_info *info,
			 struct pk_error *err)
{
	json_error_t je;
	json_t *h = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	static const char *const members[] = { "format",	 "origin", "to",   "created",
					       "events",	 "from",   "upto", "key",
					       "classification", NULL };
	int rc = PK_OK;
	if (!json_is_object(h)) {
		rc = PK_EINVAL;
	} else {
		const char *k;
		json_t *v;
		json_object_foreach(h, k, v)
		{
			int known = 0;
			for (int i = 0; members[i]; i++)
				known |= strcmp(members[i], k) == 0;
			if (!known)
				rc = PK_EINVAL;
		}
	}
	json_t *to = json_object_get(h, "to");
	const char *origin = json_string_value(json_object_get(h, "origin"));
	const char *level = json_string_value(json_object_get(h, "classification"));
	const char *key = json_string_value(json_object_get(h, "key"));
	json_t *nums[] = { json_object_get(h, "format"), json_object_get(h, "created"),
			   json_object_get(h, "events"), json_object_get(h, "from"),
			   json_object_get(h, "upto") };
	for (size_t i = 0; i < PK_ARRAY_LEN(nums); i++)
		if (!json_is_integer(nums[i]) || json_integer_value(nums[i]) < 0)
			rc = PK_EINVAL;
	if (rc == PK_OK && json_integer_value(nums[0]) != PK_BUNDLE_FORMAT) {
		rc = pk_error_set(err, PK_EINVAL,
				  _("bundle format %lld: this program reads format %d"),
				  (long long)json_integer_value(nums[0]), PK_BUNDLE_FORMAT);
		json_decref(h);
		return rc;
	}
	size_t klen = 0;
	if (rc != PK_OK || !origin || !pk_key_name_valid(origin) || !level || !*level ||
	    strlen(level) >= sizeof(info->classification) || !pk_text_clean(level) || !key ||
	    sodium_base642bin(info->key, sizeof(info->key), key, strlen(key), NULL, &klen, NULL,
			      B64) != 0 ||
	    klen != sizeof(info->key) ||
	    !(json_is_null(to) ||
	      (json_is_string(to) && pk_key_name_valid(json_string_value(to))))) {
		json_decref(h);
		return pk_error_set(err, PK_EINVAL, _("the bundle's header is malformed"));
	}
	info->format = PK_BUNDLE_FORMAT;
	snprintf(info->origin, sizeof(info->origin), "%s", origin);
	snprintf(info->to, sizeof(info->to), "%s", json_is_string(to) ? json_string_value(to) : "");
	snprintf(info->classification, sizeof(info->classification), "%s", level);
	info->created = json_integer_value(nums[1]);
	info->events = json_integer_value(nums[2]);
	info->from = json_integer_value(nums[3]);
	info->upto = json_integer_value(nums[4]);
	json_decref(h);
	return PK_OK;
}

int pk_bundle_open(const char *path, struct pk_bundle_reader **out, struct pk_bundle_info *info,
		   struct pk_error *err)
{
	*out = NULL;
	if (sodium_init() < 0)
		return pk_error_set(err, PK_ERR, _("cannot start libsodium"));
	FILE *f = strcmp(path, "-") == 0 ? NULL : fopen(path, "re");
	if (!f)
		return pk_error_set(err, PK_EIO, _("cannot read %s: %s"), path,
				    strcmp(path, "-") == 0 ? _("a bundle is read from a file")
							   : strerror(errno));
	struct pk_bundle_reader *r = pk_xcalloc(1, sizeof(*r));
	r->f = f;
	r->path = pk_xstrdup(path);
	ssize_t n = read_line(r);
	int rc = PK_OK;
	if (n != (ssize_t)strlen(MAGIC) || memcmp(r->line, MAGIC, (size_t)n) != 0)
		rc = pk_error_set(err, PK_EINVAL, _("%s is not a picket bundle"), path);
	if (rc == PK_OK && ((n = read_line(r)) <= 1 || n > MAX_HEAD || r->line[n - 1] != '\n'))
		rc = pk_error_set(err, PK_EINVAL, _("%s: the bundle's header is missing"), path);
	if (rc == PK_OK)
		rc = header_decode(r->line, (size_t)n - 1, &r->info, err);
	if (rc != PK_OK) {
		pk_bundle_close(&r);
		return rc;
	}
	*info = r->info;
	*out = r;
	return PK_OK;
}

/* The line is "signature BASE64\n": the signature, or -1. */
static int signature_line(const char *line, ssize_t n, unsigned char sig[crypto_sign_BYTES])
{
	size_t tag = strlen(SIG_TAG), got = 0;
	if (n < (ssize_t)tag + 2 || memcmp(line, SIG_TAG, tag) != 0 || line[n - 1] != '\n')
		return -1;
	if (sodium_base642bin(sig, crypto_sign_BYTES, line + tag, (size_t)n - 1 - tag, NULL, &got,
			      NULL, B64) != 0 ||
	    got != crypto_sign_BYTES)
		return -1;
	return 0;
}

int pk_bundle_verify(struct pk_bundle_reader *r, const struct pk_keyring *trusted,
		     const struct pk_key **signer, struct pk_error *err)
{
	if (signer)
		*signer = NULL;
	if (fseek(r->f, 0, SEEK_SET) != 0)
		return pk_error_set(err, PK_EIO, _("cannot read %s: %s"), r->path, strerror(errno));
	crypto_sign_state st;
	crypto_generichash_state gh;
	crypto_sign_init(&st);
	crypto_generichash_init(&gh, NULL, 0, sizeof(r->digest));
	unsigned char sig[crypto_sign_BYTES];
	int64_t lines = 0, events = -2; /* the magic and header lines come first */
	int have_sig = 0;
	ssize_t n;
	while ((n = read_line(r)) > 0) {
		if (have_sig)
			return pk_error_set(err, PK_ESIG,
					    _("%s: something follows the signature: the bundle was "
					      "altered"),
					    r->path);
		if (r->line[n - 1] != '\n')
			break; /* cut in the middle of a line */
		if (++lines > 2 && signature_line(r->line, n, sig) == 0) {
			have_sig = 1;
			continue;
		}
		events++;
		crypto_sign_update(&st, (unsigned char *)r->line, (size_t)n);
		crypto_generichash_update(&gh, (unsigned char *)r->line, (size_t)n);
	}
	if (n < 0)
		return pk_error_set(err, PK_EIO, _("cannot read %s: %s"), r->path,
				    ferror(r->f) ? strerror(errno) : _("a line is too long"));
	if (!have_sig)
		return pk_error_set(err, PK_ESIG,
				    _("%s is cut short: it ends after %lld of its %lld events, "
				      "without its signature"),
				    r->path, (long long)(events > 0 ? events : 0),
				    (long long)r->info.events);
	char fpr[PK_KEY_FPR_MAX];
	pk_key_fingerprint(r->info.key, fpr);
	if (crypto_sign_final_verify(&st, sig, r->info.key) != 0)
		return pk_error_set(err, PK_ESIG,
				    _("%s: the signature does not match its content: the bundle "
				      "was altered after it was signed, or forged"),
				    r->path);
	if (events != r->info.events)
		return pk_error_set(err, PK_ESIG,
				    _("%s holds %lld events but its header says %lld"), r->path,
				    (long long)events, (long long)r->info.events);
	if (trusted) {
		const struct pk_key *k = pk_keyring_find(trusted, r->info.key);
		if (!k)
			return pk_error_set(err, PK_ESIG,
					    _("%s is signed by a key this installation does not "
					      "trust: %s (site %s); check it with that site and "
					      "trust it with picket key trust"),
					    r->path, fpr, r->info.origin);
		if (signer)
			*signer = k;
	}
	crypto_generichash_final(&gh, r->digest, sizeof(r->digest));
	/* the second pass (pk_bundle_next) hashes the same bytes again */
	crypto_generichash_init(&r->again, NULL, 0, sizeof(r->digest));
	rewind(r->f);
	r->started = 0;
	r->left = r->info.events;
	r->verified = 1;
	return PK_OK;
}

int pk_bundle_next(struct pk_bundle_reader *r, struct pk_event *ev, int *got, struct pk_error *err)
{
	*got = 0;
	if (!r->verified)
		return pk_error_set(err, PK_ERR, "bundle read before it was verified");
	ssize_t n;
	for (int i = 0; !r->started && i < 2; i++) { /* the magic and header lines */
		if ((n = read_line(r)) <= 0)
			return pk_error_set(err, PK_ESIG, _("%s changed while it was being read"),
					    r->path);
		crypto_generichash_update(&r->again, (unsigned char *)r->line, (size_t)n);
	}
	r->started = 1;
	n = read_line(r);
	if (n < 0)
		return pk_error_set(err, PK_EIO, _("cannot read %s: %s"), r->path, strerror(errno));
	if (r->left == 0) {
		unsigned char sig[crypto_sign_BYTES], digest[sizeof(r->digest)];
		crypto_generichash_final(&r->again, digest, sizeof(digest));
		if (n == 0 || signature_line(r->line, n, sig) != 0 || read_line(r) != 0 ||
		    sodium_memcmp(digest, r->digest, sizeof(digest)) != 0)
			return pk_error_set(err, PK_ESIG, _("%s changed while it was being read"),
					    r->path);
		return PK_OK;
	}
	if (n == 0 || r->line[n - 1] != '\n')
		return pk_error_set(err, PK_ESIG, _("%s changed while it was being read"), r->path);
	crypto_generichash_update(&r->again, (unsigned char *)r->line, (size_t)n);
	r->left--;
	int rc = pk_proto_event_decode(r->line, (size_t)n - 1, ev, err);
	if (rc != PK_OK)
		return pk_error_set(err, rc, _("%s, event %lld: %s"), r->path,
				    (long long)(r->info.events - r->left), err->msg);
	*got = 1;
	return PK_OK;
}

void pk_bundle_close(struct pk_bundle_reader **pr)
{
	struct pk_bundle_reader *r = *pr;
	if (!r)
		return;
	if (r->f)
		fclose(r->f);
	free(r->line);
	free(r->path);
	free(r);
	*pr = NULL;
}

void pk_bundle_info_print(FILE *f, const struct pk_bundle_info *info)
{
	char fpr[PK_KEY_FPR_MAX], when[32];
	pk_key_fingerprint(info->key, fpr);
	fprintf(f, _("origin:         %s\n"), info->origin);
	fprintf(f, _("for:            %s\n"), *info->to ? info->to : _("any site"));
	fprintf(f, _("created:        %s\n"), pk_time_format(info->created, when, sizeof(when)));
	fprintf(f, _("events:         %lld\n"), (long long)info->events);
	fprintf(f, _("classification: %s\n"), info->classification);
	fprintf(f, _("cursor:         %lld to %lld\n"), (long long)info->from,
		(long long)info->upto);
	fprintf(f, _("signed by:      %s\n"), fpr);
}
