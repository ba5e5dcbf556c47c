/* picketd's users file with certificate subjects, and the decision of
 * auth.c under each [auth] method: certificates, tokens, both, neither. */
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#include "auth.h"
#include "users.h"

#define ALICE_DN "CN=alice,O=Service Desk"
#define BOB_DN	 "CN=bob,O=Service Desk"
#define CARL_DN	 "CN=carl,O=Service Desk"

static char *users_path;

/* "NAME ROLE GROUP SHA256(token)" */
static char *user_line(const char *name, const char *token, const char *subject)
{
	unsigned char hash[32];
	char hex[65] = "-";
	if (token) {
		crypto_hash_sha256(hash, (const unsigned char *)token, strlen(token));
		sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
	}
	return pk_xasprintf("%s technician - %s%s%s\n", name, hex, subject ? " " : "",
			    subject ? subject : "");
}

static void write_users(const char *text)
{
	FILE *f = fopen(users_path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(users_path, 0600);
}

static int load_users(const char *text, struct srv_users *u, struct pk_error *err)
{
	write_users(text);
	pk_error_clear(err);
	return srv_users_load(users_path, 0, u, err);
}

/* alice: token and certificate; bob likewise; tina: token only; carl:
 * certificate only (with trailing blanks, which do not count). */
static int setup(void **state)
{
	assert_true(sodium_init() >= 0);
	users_path = fx_tmp_template("users");
	int fd = mkstemp(users_path);
	assert_true(fd >= 0);
	close(fd);
	char *a = user_line("alice", "tok_alice", ALICE_DN);
	char *b = user_line("bob", "tok_bob", BOB_DN);
	char *t = user_line("tina", "tok_tina", NULL);
	char *c = user_line("carl", NULL, CARL_DN "  \t");
	char *all = pk_xasprintf("# users\n%s%s\n%s%s", a, b, t, c);
	write_users(all);
	struct pk_error err = { 0 };
	int rc = srv_auth_load(users_path, &err);
	if (rc != PK_OK)
		fprintf(stderr, "srv_auth_load: %s\n", err.msg);
	assert_int_equal(rc, PK_OK);
	free(a);
	free(b);
	free(t);
	free(c);
	free(all);
	return 0;
}

static int teardown(void **state)
{
	srv_auth_free();
	unlink(users_path);
	free(users_path);
	return 0;
}

static void test_users_file_subjects(void **state)
{
	struct srv_users u;
	struct pk_error err;
	write_users("");
	assert_int_equal(srv_auth_count(), 4);
	struct srv_user who;
	assert_true(srv_auth_subject(ALICE_DN, &who));
	assert_string_equal(who.name, "alice");
	assert_true(srv_auth_subject(CARL_DN, &who));
	assert_string_equal(who.name, "carl");
	assert_false(who.has_token);
	/* exact match only */
	assert_false(srv_auth_subject("cn=alice,o=Service Desk", &who));
	assert_false(srv_auth_subject("CN=alice", &who));
	assert_false(srv_auth_subject("", &who));
	/* a user without a token is never found by one */
	assert_false(srv_auth_token("-", 1, &who));
	assert_true(srv_auth_token("tok_tina", 8, &who));
	assert_string_equal(who.name, "tina");
	assert_string_equal(who.subject, "");

	assert_int_equal(load_users("dan technician - -\n", &u, &err), PK_ECONFIG);
	assert_contains(err.msg, "neither a token nor a certificate subject");
	char *twice = pk_xasprintf("a technician - - %s\nb viewer - - %s\n", ALICE_DN, ALICE_DN);
	assert_int_equal(load_users(twice, &u, &err), PK_ECONFIG);
	assert_contains(err.msg, ":2: subject 'CN=alice,O=Service Desk' is bound to a already");
	free(twice);
	assert_int_equal(load_users("a technician - - CN=a\x01z\n", &u, &err), PK_ECONFIG);
	assert_contains(err.msg, "expected NAME ROLE GROUP SHA256 [SUBJECT]");
	assert_int_equal(load_users("a technician - - no-equals-sign\n", &u, &err), PK_ECONFIG);
	assert_int_equal(load_users("a technician - - " BOB_DN "\n", &u, &err), PK_OK);
	assert_int_equal(u.n, 1);
	assert_string_equal(u.v[0].subject, BOB_DN);
	srv_users_free(&u);
}

static void test_subject_valid(void **state)
{
	assert_true(srv_subject_valid("CN=alice"));
	assert_true(srv_subject_valid("CN=Zoë Ng,OU=Desk\\, Level 2,O=Example"));
	assert_false(srv_subject_valid(""));
	assert_false(srv_subject_valid("alice"));
	assert_false(srv_subject_valid(" CN=alice"));
	assert_false(srv_subject_valid("CN=alice "));
	assert_false(srv_subject_valid("CN=al\tice"));
	char *long_dn = pk_xcalloc(1, SRV_SUBJECT_MAX + 2);
	memset(long_dn, 'a', SRV_SUBJECT_MAX + 1);
	long_dn[1] = '=';
	assert_false(srv_subject_valid(long_dn));
	long_dn[SRV_SUBJECT_MAX] = '\0';
	assert_true(srv_subject_valid(long_dn));
	free(long_dn);
}

/* --- the decision --- */

static const struct srv_cert_result no_cert = { .state = SRV_CERT_NONE };
static const struct srv_cert_result alice_cert = { .state = SRV_CERT_OK, .subject = ALICE_DN };
static const struct srv_cert_result carl_cert = { .state = SRV_CERT_OK, .subject = CARL_DN };
static const struct srv_cert_result eve_cert = { .state = SRV_CERT_OK,
						 .subject = "CN=eve,O=Elsewhere" };
static const struct srv_cert_result revoked_cert = {
	.state = SRV_CERT_BAD, .subject = ALICE_DN, .serial = "1F2A", .why = "it has been revoked"
};

/* Checks one request; the user's name, or "" when refused (why->reply
 * then said why). */
static const char *check(enum srv_auth_method m, const char *authorization,
			 const struct srv_cert_result *cert, struct srv_auth_refusal *why)
{
	static struct srv_user user;
	struct srv_credentials c = { .authorization = authorization, .cert = cert };
	memset(&user, 0, sizeof(user));
	memset(why, 0, sizeof(*why));
	int ok = srv_auth_check(m, &c, &user, why);
	if (ok) {
		assert_string_equal(why->reply, "");
		return user.name;
	}
	assert_true(why->log[0] && why->reply[0]);
	return "";
}

static void test_method_token(void **state)
{
	struct srv_auth_refusal why;
	assert_string_equal(check(SRV_AUTH_TOKEN, "Bearer tok_alice", &no_cert, &why), "alice");
	/* a certificate is not looked at (nor asked for) */
	assert_string_equal(check(SRV_AUTH_TOKEN, "Bearer tok_bob", &revoked_cert, &why), "bob");
	assert_string_equal(check(SRV_AUTH_TOKEN, NULL, &alice_cert, &why), "");
	assert_string_equal(why.log, "no Authorization header");
	assert_contains(why.reply, "a valid bearer token is needed");
	assert_string_equal(check(SRV_AUTH_TOKEN, "Basic xyz", &no_cert, &why), "");
	assert_string_equal(why.log, "not a bearer token");
	assert_string_equal(check(SRV_AUTH_TOKEN, "Bearer tok_nobody", &no_cert, &why), "");
	assert_string_equal(why.log, "unknown token");
}

static void test_method_certificate(void **state)
{
	struct srv_auth_refusal why;
	assert_string_equal(check(SRV_AUTH_CERTIFICATE, NULL, &alice_cert, &why), "alice");
	assert_string_equal(check(SRV_AUTH_CERTIFICATE, NULL, &carl_cert, &why), "carl");
	/* tokens are not looked at: a wrong one changes nothing */
	assert_string_equal(check(SRV_AUTH_CERTIFICATE, "Bearer tok_bob", &alice_cert, &why),
			    "alice");
	assert_string_equal(check(SRV_AUTH_CERTIFICATE, "Bearer tok_alice", &no_cert, &why), "");
	assert_string_equal(why.log, "no client certificate");
	assert_contains(why.reply, "needs a client certificate");
	assert_string_equal(check(SRV_AUTH_CERTIFICATE, NULL, &revoked_cert, &why), "");
	assert_string_equal(why.log, "client certificate 'CN=alice,O=Service Desk' (serial 1F2A) "
				     "refused: it has been revoked");
	assert_string_equal(why.reply, "the client certificate was refused: it has been revoked");
	assert_string_equal(check(SRV_AUTH_CERTIFICATE, NULL, &eve_cert, &why), "");
	assert_contains(why.log, "'CN=eve,O=Elsewhere' (serial ?) is bound to no user");
	assert_contains(why.reply, "picketd adduser --subject");
}

static void test_method_either(void **state)
{
	struct srv_auth_refusal why;
	assert_string_equal(check(SRV_AUTH_EITHER, NULL, &alice_cert, &why), "alice");
	assert_string_equal(check(SRV_AUTH_EITHER, "Bearer tok_tina", &no_cert, &why), "tina");
	assert_string_equal(check(SRV_AUTH_EITHER, "Bearer tok_alice", &alice_cert, &why), "alice");
	assert_string_equal(check(SRV_AUTH_EITHER, NULL, &no_cert, &why), "");
	assert_contains(why.reply, "a client certificate or a bearer token is needed");
	/* every credential that comes must be good */
	assert_string_equal(check(SRV_AUTH_EITHER, "Bearer tok_alice", &revoked_cert, &why), "");
	assert_contains(why.reply, "revoked");
	assert_string_equal(check(SRV_AUTH_EITHER, "Bearer tok_alice", &eve_cert, &why), "");
	assert_contains(why.reply, "bound to no user");
	assert_string_equal(check(SRV_AUTH_EITHER, "Bearer tok_nobody", &alice_cert, &why), "");
	assert_string_equal(why.log, "unknown token");
	/* and name the same user */
	assert_string_equal(check(SRV_AUTH_EITHER, "Bearer tok_bob", &alice_cert, &why), "");
	assert_string_equal(why.log, "the client certificate is alice's but the token is bob's");
	assert_contains(why.reply, "belong to different users");
	assert_string_equal(check(SRV_AUTH_EITHER, "Bearer tok_tina", &carl_cert, &why), "");
}

static void test_method_both(void **state)
{
	struct srv_auth_refusal why;
	assert_string_equal(check(SRV_AUTH_BOTH, "Bearer tok_alice", &alice_cert, &why), "alice");
	assert_string_equal(check(SRV_AUTH_BOTH, NULL, &alice_cert, &why), "");
	assert_contains(why.reply, "needs a bearer token");
	assert_string_equal(check(SRV_AUTH_BOTH, "Bearer tok_alice", &no_cert, &why), "");
	assert_contains(why.reply, "needs a client certificate");
	assert_string_equal(check(SRV_AUTH_BOTH, "Bearer tok_bob", &alice_cert, &why), "");
	assert_contains(why.reply, "belong to different users");
	assert_string_equal(check(SRV_AUTH_BOTH, "Bearer tok_alice", &revoked_cert, &why), "");
	assert_contains(why.reply, "revoked");
	assert_string_equal(check(SRV_AUTH_BOTH, "Bearer nope", &alice_cert, &why), "");
	assert_string_equal(why.log, "unknown token");
	/* carl has no token: certificate and token can never agree */
	assert_string_equal(check(SRV_AUTH_BOTH, "Bearer tok_tina", &carl_cert, &why), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_users_file_subjects),
		cmocka_unit_test(test_subject_valid),
		cmocka_unit_test(test_method_token),
		cmocka_unit_test(test_method_certificate),
		cmocka_unit_test(test_method_either),
		cmocka_unit_test(test_method_both),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
