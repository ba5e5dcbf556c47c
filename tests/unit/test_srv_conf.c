/* picketd's conf.c: the [auth] method and the client certificate settings
 * that go together, or are refused at load. */
#include <unistd.h>

#include "unit.h"

#include "auth.h"
#include "conf.h"

/* The [tls] lines every TLS configuration needs (not read at load). */
#define TLS "[tls]\ncert = /nonexistent/server.pem\nkey = /nonexistent/server.key\n"

static int load_text(const char *text, struct srv_conf **out, struct pk_error *err)
{
	char *path = fx_tmp_template("picketd-conf");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t n = strlen(text);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
	pk_error_clear(err);
	int rc = srv_conf_load(path, out, err);
	unlink(path);
	free(path);
	return rc;
}

static struct srv_conf *load_ok(const char *text)
{
	struct srv_conf *conf = NULL;
	struct pk_error err;
	int rc = load_text(text, &conf, &err);
	if (rc != PK_OK)
		fprintf(stderr, "expected PK_OK for:\n%s\ngot %d (%s)\n", text, rc, err.msg);
	assert_int_equal(rc, PK_OK);
	assert_non_null(conf);
	return conf;
}

static void assert_refused(const char *text, const char *needle)
{
	struct srv_conf *conf = (struct srv_conf *)1;
	struct pk_error err;
	int rc = load_text(text, &conf, &err);
	if (rc != PK_ECONFIG)
		fprintf(stderr, "expected PK_ECONFIG for:\n%s\ngot %d\n", text, rc);
	assert_int_equal(rc, PK_ECONFIG);
	assert_null(conf);
	assert_contains(err.msg, needle);
}

static void test_default_is_token(void **state)
{
	struct srv_conf *conf = load_ok(TLS);
	assert_int_equal(conf->auth_method, SRV_AUTH_TOKEN);
	assert_null(conf->client_ca);
	assert_null(conf->client_crl);
	srv_conf_free(&conf);
	assert_null(conf);
}

static void test_methods_with_client_ca(void **state)
{
	static const struct {
		const char *name;
		enum srv_auth_method m;
	} methods[] = { { "certificate", SRV_AUTH_CERTIFICATE },
			{ "either", SRV_AUTH_EITHER },
			{ "both", SRV_AUTH_BOTH } };
	for (size_t i = 0; i < PK_ARRAY_LEN(methods); i++) {
		char *text = pk_xasprintf(TLS "client_ca = /etc/ca/clients.pem\n"
					      "client_crl = crl.pem\n[auth]\nmethod = %s\n",
					  methods[i].name);
		struct srv_conf *conf = load_ok(text);
		assert_int_equal(conf->auth_method, methods[i].m);
		assert_string_equal(conf->client_ca, "/etc/ca/clients.pem");
		/* relative to the file's directory, as every path */
		assert_true(conf->client_crl[0] == '/');
		assert_non_null(strstr(conf->client_crl, "/crl.pem"));
		srv_conf_free(&conf);
		free(text);
	}
}

static void test_certificates_need_client_ca(void **state)
{
	assert_refused(TLS "[auth]\nmethod = certificate\n",
		       "auth.method = certificate needs tls.client_ca");
	assert_refused(TLS "[auth]\nmethod = both\n", "auth.method = both needs tls.client_ca");
	assert_refused(TLS "client_crl = /etc/ca/crl.pem\n[auth]\nmethod = either\n",
		       "auth.method = either needs tls.client_ca");
}

static void test_certificates_need_tls_here(void **state)
{
	assert_refused("[server]\nplain_http = true\n[tls]\nclient_ca = /ca.pem\n"
		       "[auth]\nmethod = either\n",
		       "cannot see with server.plain_http = true");
}

static void test_client_ca_needs_a_certificate_method(void **state)
{
	assert_refused(TLS "client_ca = /ca.pem\n", "tls.client_ca is set but auth.method = token");
	assert_refused(TLS "client_ca = /ca.pem\n[auth]\nmethod = token\n",
		       "ignores client certificates");
	assert_refused(TLS "client_crl = /crl.pem\n", "tls.client_crl needs tls.client_ca");
}

static void test_unknown_method(void **state)
{
	assert_refused(TLS "[auth]\nmethod = cert\n",
		       "auth.method: 'cert' is not token, certificate, either or both");
	assert_refused(TLS "[auth]\nmethod = Token\n", "is not token");
}

/* iniparser keeps [sites:x] as a key of [sites] without a value */
static void test_section_names(void **state)
{
	assert_refused(TLS "[sites:lux1]\nx = SECRET\n[sites]\nLUX1 = RESTRICTED\n",
		       "'lux1:x': a section or key name cannot contain ':'");
	assert_refused(TLS "[tls\n", "picketd-conf");
}

static void test_method_names(void **state)
{
	for (int m = SRV_AUTH_TOKEN; m <= SRV_AUTH_BOTH; m++)
		assert_int_equal(srv_auth_method_parse(srv_auth_method_name(m)), m);
	assert_int_equal(srv_auth_method_parse(""), -1);
	assert_false(srv_auth_uses_certificates(SRV_AUTH_TOKEN));
	assert_true(srv_auth_uses_tokens(SRV_AUTH_TOKEN));
	assert_true(srv_auth_uses_certificates(SRV_AUTH_CERTIFICATE));
	assert_false(srv_auth_uses_tokens(SRV_AUTH_CERTIFICATE));
	assert_true(srv_auth_uses_certificates(SRV_AUTH_EITHER));
	assert_true(srv_auth_uses_tokens(SRV_AUTH_EITHER));
	assert_true(srv_auth_uses_certificates(SRV_AUTH_BOTH));
	assert_true(srv_auth_uses_tokens(SRV_AUTH_BOTH));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_is_token),
		cmocka_unit_test(test_methods_with_client_ca),
		cmocka_unit_test(test_certificates_need_client_ca),
		cmocka_unit_test(test_certificates_need_tls_here),
		cmocka_unit_test(test_client_ca_needs_a_certificate_method),
		cmocka_unit_test(test_unknown_method),
		cmocka_unit_test(test_method_names),
		cmocka_unit_test(test_section_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
