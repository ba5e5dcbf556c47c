/* Client certificates (mutual TLS): the authorities and revocation lists
 * picketd checks them against, reloadable while it runs (SIGHUP), and the
 * check of one connection's peer.  Only cert.c calls GnuTLS; http.c hands
 * it the session libmicrohttpd keeps. */
#ifndef PICKETD_CERT_H
#define PICKETD_CERT_H

#include "picket/util.h"
#include "users.h"

enum srv_cert_state {
	SRV_CERT_NONE, /* the client sent no certificate */
	SRV_CERT_OK,   /* it checks out against the authorities and the CRLs */
	SRV_CERT_BAD,  /* it does not: why says so */
};

struct srv_cert_result {
	enum srv_cert_state state;
	/* OK, and BAD when it could be read: RFC 4514 as GnuTLS prints it,
	 * "" when longer than SRV_SUBJECT_MAX */
	char subject[SRV_SUBJECT_MAX + 1];
	char serial[64]; /* OK and BAD when read: hexadecimal, for the log */
	char why[192];	 /* BAD: translated, e.g. "it has been revoked" */
};

/* Reads the authorities (client_ca, PEM) and the revocation lists
 * (client_crl, PEM, NULL for none; each must be signed by one of the
 * authorities) and makes them the ones checked against, replacing those
 * loaded before only when both files load.  Logs a warning for a CRL past
 * its next update.  Returns PK_OK or PK_ECONFIG with err naming the file. */
int srv_cert_load(const char *ca_file, const char *crl_file, struct pk_error *err);
/* Forgets the authorities and revocation lists. */
void srv_cert_free(void);

/* Checks the peer of `tls_session` (a gnutls_session_t; NULL for plain
 * HTTP, which has none): its chain up to a loaded authority, its dates,
 * revocation, and that it is meant for TLS client authentication.  Fills
 * *res; safe from any thread. */
void srv_cert_check(void *tls_session, struct srv_cert_result *res);

/* The subject of the first certificate of PEM file `path`, as
 * srv_cert_check() reports it (for picketd adduser --cert).  Returns
 * PK_OK with *subject to free, or PK_ECONFIG. */
int srv_cert_subject_file(const char *path, char **subject, struct pk_error *err);

#endif
