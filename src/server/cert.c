/* Client certificates: a GnuTLS trust list of the client authorities and
 * their CRLs, swapped whole on reload, and the check of a peer's chain. */
#include "cert.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "picket/i18n.h"
#include "picket/status.h"

#define PEM_FILE_MAX (64 << 20) /* a CRL of a large authority is big */
#define CHAIN_MAX    16

static pthread_rwlock_t cert_lock = PTHREAD_RWLOCK_INITIALIZER;
static gnutls_x509_trust_list_t cert_trust; /* NULL until loaded */

/* Reads a whole file into *d (free()d by the caller). */
static int read_file(const char *key, const char *path, gnutls_datum_t *d, struct pk_error *err)
{
	d->data = NULL;
	d->size = 0;
	FILE *f = fopen(path, "re");
	if (!f)
		return pk_error_set(err, PK_ECONFIG, _("%s: cannot read %s: %s"), key, path,
				    strerror(errno));
	struct pk_buf b = { 0 };
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.len <= PEM_FILE_MAX)
		pk_buf_add(&b, chunk, n);
	int bad = ferror(f);
	fclose(f);
	if (bad || b.len > PEM_FILE_MAX || !b.len) {
		pk_buf_free(&b);
		return pk_error_set(err, PK_ECONFIG, _("%s: %s is not a PEM file"), key, path);
	}
	d->size = (unsigned)b.len;
	d->data = (unsigned char *)pk_buf_detach(&b);
	return PK_OK;
}

/* "2021-01-01 00:00 UTC" */
static void format_time(time_t t, char *out, size_t len)
{
	struct tm tm;
	if (t == (time_t)-1 || !gmtime_r(&t, &tm) ||
	    strftime(out, len, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(out, len, "?");
}

/* The RFC 4514 subject of crt, in out ("" when unreadable, too long or
 * holding control characters: no user can be bound to it). */
static void crt_subject(gnutls_x509_crt_t crt, char *out, size_t len)
{
	gnutls_datum_t dn = { NULL, 0 };
	*out = '\0';
	if (gnutls_x509_crt_get_dn3(crt, &dn, 0) < 0)
		return;
	if (dn.size < len && memchr(dn.data, '\0', dn.size) == NULL) {
		memcpy(out, dn.data, dn.size);
		out[dn.size] = '\0';
		for (const unsigned char *p = (const unsigned char *)out; *p; p++)
			if (*p < 0x20 || *p == 0x7f)
				*out = '\0';
	}
	gnutls_free(dn.data);
}

/* The serial number in hexadecimal, as openssl ca's index lists it. */
static void crt_serial(gnutls_x509_crt_t crt, char *out, size_t len)
{
	unsigned char raw[20 + 1]; /* RFC 5280: at most 20 octets */
	size_t n = sizeof(raw);
	*out = '\0';
	if (gnutls_x509_crt_get_serial(crt, raw, &n) < 0 || 2 * n >= len)
		return;
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, len - 2 * i, "%02X", raw[i]);
}

static void free_cas(gnutls_x509_crt_t *cas, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crt_deinit(cas[i]);
	gnutls_free(cas);
}

static void free_crls(gnutls_x509_crl_t *crls, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crl_deinit(crls[i]);
	gnutls_free(crls);
}

/* Every certificate of the file is an authority. */
static int check_cas(const char *path, const gnutls_datum_t *pem, struct pk_error *err)
{
	gnutls_x509_crt_t *cas = NULL;
	unsigned n = 0;
	int r = gnutls_x509_crt_list_import2(&cas, &n, pem, GNUTLS_X509_FMT_PEM, 0);
	if (r < 0 || n == 0)
		return pk_error_set(err, PK_ECONFIG,
				    _("tls.client_ca: %s holds no PEM certificate (%s)"), path,
				    r < 0 ? gnutls_strerror(r) : _("none found"));
	int rc = PK_OK;
	for (unsigned i = 0; i < n && rc == PK_OK; i++) {
		if (gnutls_x509_crt_get_ca_status(cas[i], NULL) > 0)
			continue;
		char subject[SRV_SUBJECT_MAX + 1];
		crt_subject(cas[i], subject, sizeof(subject));
		rc = pk_error_set(err, PK_ECONFIG,
				  _("tls.client_ca: %s holds '%s', which is not a certificate "
				    "authority (basicConstraints CA:TRUE)"),
				  path, subject);
	}
	free_cas(cas, n);
	return rc;
}

/* Every CRL of the file is signed by one of the authorities; warns of
 * those past their next update (still used: better than none). */
static int check_crls(const char *ca_path, const gnutls_datum_t *ca_pem, const char *path,
		      const gnutls_datum_t *pem, struct pk_error *err)
{
	gnutls_x509_crt_t *cas = NULL;
	gnutls_x509_crl_t *crls = NULL;
	unsigned ncas = 0, n = 0;
	int r = gnutls_x509_crl_list_import2(&crls, &n, pem, GNUTLS_X509_FMT_PEM, 0);
	if (r < 0 || n == 0)
		return pk_error_set(err, PK_ECONFIG, _("tls.client_crl: %s holds no PEM CRL (%s)"),
				    path, r < 0 ? gnutls_strerror(r) : _("none found"));
	r = gnutls_x509_crt_list_import2(&cas, &ncas, ca_pem, GNUTLS_X509_FMT_PEM, 0);
	int rc = r < 0 ? pk_error_set(err, PK_ECONFIG, "%s: %s", ca_path, gnutls_strerror(r))
		       : PK_OK;
	time_t now = time(NULL);
	for (unsigned i = 0; i < n && rc == PK_OK; i++) {
		unsigned status = 0;
		char issuer[SRV_SUBJECT_MAX + 1] = "?";
		size_t len = sizeof(issuer);
		gnutls_x509_crl_get_issuer_dn(crls[i], issuer, &len);
		r = gnutls_x509_crl_verify(crls[i], cas, ncas, 0, &status);
		if (r < 0 || status != 0) {
			rc = pk_error_set(err, PK_ECONFIG,
					  _("tls.client_crl: the CRL of '%s' in %s is not signed "
					    "by an authority of tls.client_ca %s"),
					  issuer, path, ca_path);
			break;
		}
		time_t next = gnutls_x509_crl_get_next_update(crls[i]);
		if (next != (time_t)-1 && next < now) {
			char when[32];
			format_time(next, when, sizeof(when));
			srv_log(SRV_LOG_WARN,
				_("tls.client_crl: the CRL of '%s' in %s was due to be renewed "
				  "on %s; it is used until a newer one replaces it"),
				issuer, path, when);
		}
	}
	free_cas(cas, ncas);
	free_crls(crls, n);
	return rc;
}

int srv_cert_load(const char *ca_file, const char *crl_file, struct pk_error *err)
{
	gnutls_datum_t ca = { NULL, 0 }, crl = { NULL, 0 };
	gnutls_x509_trust_list_t fresh = NULL;
	int rc = read_file("tls.client_ca", ca_file, &ca, err);
	if (rc == PK_OK)
		rc = check_cas(ca_file, &ca, err);
	if (rc == PK_OK && crl_file &&
	    (rc = read_file("tls.client_crl", crl_file, &crl, err)) == PK_OK)
		rc = check_crls(ca_file, &ca, crl_file, &crl, err);
	if (rc == PK_OK) {
		int r = gnutls_x509_trust_list_init(&fresh, 0);
		if (r >= 0)
			r = gnutls_x509_trust_list_add_trust_mem(
				fresh, &ca, crl.data ? &crl : NULL, GNUTLS_X509_FMT_PEM,
				GNUTLS_TL_VERIFY_CRL | GNUTLS_TL_FAIL_ON_INVALID_CRL, 0);
		if (r < 0)
			rc = pk_error_set(err, PK_ECONFIG,
					  _("tls.client_ca %s, tls.client_crl %s: %s"), ca_file,
					  crl_file ? crl_file : "-", gnutls_strerror(r));
	}
	free(ca.data);
	free(crl.data);
	if (rc != PK_OK) {
		if (fresh)
			gnutls_x509_trust_list_deinit(fresh, 1);
		return rc;
	}
	pthread_rwlock_wrlock(&cert_lock);
	gnutls_x509_trust_list_t old = cert_trust;
	cert_trust = fresh;
	pthread_rwlock_unlock(&cert_lock);
	if (old)
		gnutls_x509_trust_list_deinit(old, 1);
	return PK_OK;
}

void srv_cert_free(void)
{
	pthread_rwlock_wrlock(&cert_lock);
	if (cert_trust)
		gnutls_x509_trust_list_deinit(cert_trust, 1);
	cert_trust = NULL;
	pthread_rwlock_unlock(&cert_lock);
}

/* Why a chain did not verify, most telling first. */
static void explain(unsigned status, gnutls_x509_crt_t leaf, char *out, size_t len)
{
	char when[32];
	if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA)) {
		snprintf(out, len, "%s", _("it is not signed by an authority this server trusts"));
	} else if (status & GNUTLS_CERT_REVOKED) {
		snprintf(out, len, "%s", _("it has been revoked"));
	} else if (status & GNUTLS_CERT_EXPIRED) {
		format_time(gnutls_x509_crt_get_expiration_time(leaf), when, sizeof(when));
		snprintf(out, len, _("it expired on %s"), when);
	} else if (status & GNUTLS_CERT_NOT_ACTIVATED) {
		format_time(gnutls_x509_crt_get_activation_time(leaf), when, sizeof(when));
		snprintf(out, len, _("it is not valid before %s"), when);
	} else if (status & GNUTLS_CERT_PURPOSE_MISMATCH) {
		snprintf(out, len, "%s",
			 _("it is not meant for TLS client authentication (extended key usage)"));
	} else if (status & GNUTLS_CERT_INSECURE_ALGORITHM) {
		snprintf(out, len, "%s", _("it is signed with an insecure algorithm"));
	} else {
		gnutls_datum_t txt = { NULL, 0 };
		if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &txt,
								 0) >= 0 &&
		    txt.data)
			snprintf(out, len, _("it does not verify: %s"), (const char *)txt.data);
		else
			snprintf(out, len, _("it does not verify (status %#x)"), status);
		gnutls_free(txt.data);
	}
}

void srv_cert_check(void *tls_session, struct srv_cert_result *res)
{
	gnutls_session_t session = tls_session;
	gnutls_x509_crt_t chain[CHAIN_MAX];
	unsigned n = 0, got = 0, status = 0;
	memset(res, 0, sizeof(*res));
	const gnutls_datum_t *peers = session ? gnutls_certificate_get_peers(session, &n) : NULL;
	if (!peers || n == 0) {
		res->state = SRV_CERT_NONE;
		return;
	}
	res->state = SRV_CERT_BAD;
	if (n > CHAIN_MAX)
		n = CHAIN_MAX;
	for (; got < n; got++)
		if (gnutls_x509_crt_init(&chain[got]) < 0 ||
		    gnutls_x509_crt_import(chain[got], &peers[got], GNUTLS_X509_FMT_DER) < 0) {
			if (got < n && chain[got])
				gnutls_x509_crt_deinit(chain[got]);
			break;
		}
	if (got < n) {
		snprintf(res->why, sizeof(res->why), "%s", _("it cannot be read as X.509"));
		goto out;
	}
	crt_subject(chain[0], res->subject, sizeof(res->subject));
	crt_serial(chain[0], res->serial, sizeof(res->serial));
	gnutls_typed_vdata_st purpose = { .type = GNUTLS_DT_KEY_PURPOSE_OID,
					  .data = (void *)GNUTLS_KP_TLS_WWW_CLIENT };
	pthread_rwlock_rdlock(&cert_lock);
	int r = cert_trust ? gnutls_x509_trust_list_verify_crt2(cert_trust, chain, n, &purpose, 1,
								0, &status, NULL)
			   : GNUTLS_E_NO_CERTIFICATE_FOUND;
	pthread_rwlock_unlock(&cert_lock);
	if (r < 0)
		snprintf(res->why, sizeof(res->why), _("it could not be checked: %s"),
			 gnutls_strerror(r));
	else if (status != 0)
		explain(status, chain[0], res->why, sizeof(res->why));
	else
		res->state = SRV_CERT_OK;
out:
	for (unsigned i = 0; i < got; i++)
		gnutls_x509_crt_deinit(chain[i]);
}

int srv_cert_subject_file(const char *path, char **subject, struct pk_error *err)
{
	gnutls_datum_t pem;
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0;
	char buf[SRV_SUBJECT_MAX + 1];
	*subject = NULL;
	int rc = read_file("--cert", path, &pem, err);
	if (rc != PK_OK)
		return rc;
	int r = gnutls_x509_crt_list_import2(&crts, &n, &pem, GNUTLS_X509_FMT_PEM, 0);
	free(pem.data);
	if (r < 0 || n == 0)
		return pk_error_set(err, PK_ECONFIG, _("--cert: %s holds no PEM certificate (%s)"),
				    path, r < 0 ? gnutls_strerror(r) : _("none found"));
	crt_subject(crts[0], buf, sizeof(buf));
	free_cas(crts, n);
	if (!*buf)
		return pk_error_set(err, PK_ECONFIG,
				    _("--cert: the subject of the certificate in %s cannot be used "
				      "(empty, longer than %d characters or with control "
				      "characters)"),
				    path, SRV_SUBJECT_MAX);
	*subject = pk_xstrdup(buf);
	return PK_OK;
}
