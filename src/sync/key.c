/* Ed25519 keys and the trusted-keys file. */
#include "picket/key.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "picket/i18n.h"
#include "picket/status.h"

#define PUBLIC_TAG "picket-ed25519"
#define SECRET_TAG "picket-ed25519-secret"
#define B64	   sodium_base64_VARIANT_ORIGINAL

int pk_key_name_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > PK_KEY_NAME)
		return 0;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

static int sodium_ready(struct pk_error *err)
{
	if (sodium_init() < 0)
		return pk_error_set(err, PK_ERR, _("cannot start libsodium"));
	return PK_OK;
}

/* Splits "TAG BASE64 [NAME]" and decodes BASE64 into out (exactly len
 * bytes); returns 0 or -1. */
static int split_key(char *line, const char *tag, unsigned char *out, size_t len, char *name)
{
	char *save = NULL;
	char *t = strtok_r(line, " \t\r\n", &save);
	char *b = strtok_r(NULL, " \t\r\n", &save);
	char *n = strtok_r(NULL, " \t\r\n", &save);
	size_t got = 0;
	if (!t || strcmp(t, tag) != 0 || !b || strtok_r(NULL, " \t\r\n", &save))
		return -1;
	if (sodium_base642bin(out, len, b, strlen(b), NULL, &got, NULL, B64) != 0 || got != len)
		return -1;
	*name = '\0';
	if (n) {
		if (!pk_key_name_valid(n))
			return -1;
		snprintf(name, PK_KEY_NAME + 1, "%s", n);
	}
	return 0;
}

int pk_key_create(const char *path, const char *name, struct pk_error *err)
{
	int rc = sodium_ready(err);
	if (rc != PK_OK)
		return rc;
	if (!pk_key_name_valid(name))
		return pk_error_set(err, PK_EINVAL, _("'%s' is not a key name"), name);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return pk_error_set(err, PK_EIO, _("cannot create the key %s: %s"), path,
				    strerror(errno));
	struct pk_key k = { 0 };
	crypto_sign_keypair(k.pub, k.sec);
	char b64[sodium_base64_ENCODED_LEN(PK_KEY_SECRET, B64)];
	sodium_bin2base64(b64, sizeof(b64), k.sec, sizeof(k.sec), B64);
	char *line = pk_xasprintf(SECRET_TAG " %s %s\n", b64, name);
	size_t len = strlen(line);
	int ok = write(fd, line, len) == (ssize_t)len && fsync(fd) == 0;
	sodium_memzero(line, len);
	sodium_memzero(b64, sizeof(b64));
	free(line);
	pk_key_wipe(&k);
	if (close(fd) != 0)
		ok = 0;
	if (!ok) {
		rc = pk_error_set(err, PK_EIO, _("cannot write the key %s: %s"), path,
				  strerror(errno));
		unlink(path);
	}
	return rc;
}

int pk_key_load(const char *path, struct pk_key *k, struct pk_error *err)
{
	memset(k, 0, sizeof(*k));
	int rc = sodium_ready(err);
	if (rc != PK_OK)
		return rc;
	FILE *f = fopen(path, "re");
	if (!f)
		return pk_error_set(err, errno == ENOENT ? PK_ENOTFOUND : PK_EIO,
				    _("cannot read the key %s: %s"), path, strerror(errno));
	struct stat sb;
	if (fstat(fileno(f), &sb) == 0 &&
	    (rc = pk_check_private(_("the signing key"), path, sb.st_mode, err)) != PK_OK) {
		fclose(f);
		return rc;
	}
	char line[512];
	int ok = fgets(line, sizeof(line), f) != NULL;
	char extra[2];
	ok = ok && fgets(extra, sizeof(extra), f) == NULL;
	fclose(f);
	ok = ok && split_key(line, SECRET_TAG, k->sec, sizeof(k->sec), k->name) == 0;
	sodium_memzero(line, sizeof(line));
	if (ok && crypto_sign_ed25519_sk_to_pk(k->pub, k->sec) != 0)
		ok = 0;
	if (!ok) {
		pk_key_wipe(k);
		return pk_error_set(err, PK_EINVAL, _("%s is not a picket signing key"), path);
	}
	k->secret = 1;
	return PK_OK;
}

void pk_key_wipe(struct pk_key *k)
{
	sodium_memzero(k->sec, sizeof(k->sec));
	k->secret = 0;
}

void pk_key_public_text(const struct pk_key *k, struct pk_buf *out)
{
	char b64[sodium_base64_ENCODED_LEN(PK_KEY_PUBLIC, B64)];
	sodium_bin2base64(b64, sizeof(b64), k->pub, sizeof(k->pub), B64);
	pk_buf_printf(out, PUBLIC_TAG " %s%s%s", b64, *k->name ? " " : "", k->name);
}

int pk_key_parse(const char *line, struct pk_key *k, struct pk_error *err)
{
	memset(k, 0, sizeof(*k));
	int rc = sodium_ready(err);
	if (rc != PK_OK)
		return rc;
	char *copy = pk_xstrdup(line);
	int bad =
		strlen(copy) > 512 || split_key(copy, PUBLIC_TAG, k->pub, sizeof(k->pub), k->name);
	free(copy);
	if (bad)
		return pk_error_set(err, PK_EINVAL,
				    _("not a public key: expected \"picket-ed25519 KEY [NAME]\" as "
				      "picket key show prints it"));
	return PK_OK;
}

void pk_key_fingerprint(const unsigned char pub[PK_KEY_PUBLIC], char out[PK_KEY_FPR_MAX])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, pub, PK_KEY_PUBLIC);
	char b64[sodium_base64_ENCODED_LEN(sizeof(h), sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];
	sodium_bin2base64(b64, sizeof(b64), h, sizeof(h),
			  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	snprintf(out, PK_KEY_FPR_MAX, "SHA256:%s", b64);
}

/* --- the trusted keys --- */

int pk_keyring_load(const char *path, struct pk_keyring *kr, struct pk_error *err)
{
	memset(kr, 0, sizeof(*kr));
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? PK_OK
				       : pk_error_set(err, PK_EIO, _("cannot read %s: %s"), path,
						      strerror(errno));
	struct stat sb;
	if (fstat(fileno(f), &sb) == 0 && (sb.st_mode & 022)) {
		fclose(f);
		return pk_error_set(err, PK_ECONFIG,
				    _("%s may be changed by group or others (mode %04o): anyone "
				      "could make a key trusted; chmod 644 %s"),
				    path, (unsigned)sb.st_mode & 07777, path);
	}
	char *line = NULL;
	size_t cap = 0;
	long no = 0;
	int rc = PK_OK;
	while (rc == PK_OK && getline(&line, &cap, f) > 0) {
		no++;
		const char *p = line + strspn(line, " \t\r\n");
		if (!*p || *p == '#')
			continue;
		struct pk_key k;
		if (pk_key_parse(p, &k, err) != PK_OK || !*k.name) {
			rc = pk_error_set(err, PK_EINVAL,
					  _("%s:%ld: not a \"picket-ed25519 KEY NAME\" line"), path,
					  no);
			break;
		}
		pk_keyring_push(kr, &k);
	}
	free(line);
	fclose(f);
	if (rc != PK_OK)
		pk_keyring_free(kr);
	return rc;
}

const struct pk_key *pk_keyring_find(const struct pk_keyring *kr,
				     const unsigned char pub[PK_KEY_PUBLIC])
{
	for (size_t i = 0; i < kr->n; i++)
		if (sodium_memcmp(kr->v[i].pub, pub, PK_KEY_PUBLIC) == 0)
			return &kr->v[i];
	return NULL;
}

void pk_keyring_push(struct pk_keyring *kr, const struct pk_key *k)
{
	kr->v = pk_xrealloc(kr->v, (kr->n + 1) * sizeof(*kr->v));
	kr->v[kr->n] = *k;
	pk_key_wipe(&kr->v[kr->n++]);
}

int pk_keyring_add(const char *path, const struct pk_key *k, struct pk_error *err)
{
	if (!pk_key_name_valid(k->name))
		return pk_error_set(err, PK_EINVAL, _("a trusted key needs a site name"));
	struct pk_keyring kr;
	int rc = pk_keyring_load(path, &kr, err);
	if (rc != PK_OK)
		return rc;
	const struct pk_key *same = pk_keyring_find(&kr, k->pub);
	for (size_t i = 0; i < kr.n && !same && rc == PK_OK; i++)
		if (strcmp(kr.v[i].name, k->name) == 0)
			rc = pk_error_set(err, PK_EINVAL,
					  _("a key named %s is trusted already (in %s)"), k->name,
					  path);
	if (same)
		rc = pk_error_set(err, PK_EINVAL, _("this key is trusted already, as %s"),
				  same->name);
	pk_keyring_free(&kr);
	if (rc != PK_OK)
		return rc;
	/* the old lines as they are, comments and all, then the new one */
	struct pk_atomic a;
	if ((rc = pk_atomic_open(&a, path, err)) != PK_OK)
		return rc;
	FILE *old = fopen(path, "re");
	if (old) {
		char buf[4096];
		size_t n, last = 0;
		while ((n = fread(buf, 1, sizeof(buf), old)) > 0) {
			fwrite(buf, 1, n, a.f);
			last = (unsigned char)buf[n - 1];
		}
		fclose(old);
		if (last && last != '\n')
			fputc('\n', a.f);
	}
	struct pk_buf line = { 0 };
	pk_key_public_text(k, &line);
	fprintf(a.f, "%s\n", line.data);
	pk_buf_free(&line);
	if (fchmod(fileno(a.f), 0644) != 0) {
		pk_atomic_abort(&a);
		return pk_error_set(err, PK_EIO, _("cannot write %s: %s"), path, strerror(errno));
	}
	return pk_atomic_commit(&a, err);
}

void pk_keyring_free(struct pk_keyring *kr)
{
	free(kr->v);
	memset(kr, 0, sizeof(*kr));
}

void pk_key_print(FILE *f, const struct pk_key *k)
{
	struct pk_buf line = { 0 };
	char fpr[PK_KEY_FPR_MAX];
	pk_key_public_text(k, &line);
	pk_key_fingerprint(k->pub, fpr);
	fprintf(f, "%s\n", line.data);
	fprintf(f, _("fingerprint %s\n"), fpr);
	pk_buf_free(&line);
}

void pk_keyring_print(FILE *f, const struct pk_keyring *kr)
{
	for (size_t i = 0; i < kr->n; i++) {
		char fpr[PK_KEY_FPR_MAX];
		pk_key_fingerprint(kr->v[i].pub, fpr);
		fprintf(f, "%-16s %s\n", kr->v[i].name, fpr);
	}
}

int pk_key_read_arg(const char *arg, const char *name, struct pk_key *k, struct pk_error *err)
{
	char line[512] = "";
	const char *text = arg;
	if (strncmp(arg, PUBLIC_TAG " ", strlen(PUBLIC_TAG) + 1) != 0) {
		FILE *f = strcmp(arg, "-") == 0 ? stdin : fopen(arg, "re");
		if (!f)
			return pk_error_set(err, PK_EIO, _("cannot read %s: %s"), arg,
					    strerror(errno));
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		if (f != stdin)
			fclose(f);
		text = line;
	}
	int rc = pk_key_parse(text, k, err);
	if (rc != PK_OK)
		return rc;
	if (name)
		snprintf(k->name, sizeof(k->name), "%s", name);
	if (!*k->name)
		return pk_error_set(err, PK_EUSAGE,
				    _("name the site whose key this is: --name SITE"));
	if (!pk_key_name_valid(k->name))
		return pk_error_set(err, PK_EUSAGE,
				    _("'%s' is not a site name (letters, digits, . _ -)"), k->name);
	return PK_OK;
}
