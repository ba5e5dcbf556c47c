/* key.c and bundle.c: keys round-trip, a bundle reads back exactly what
 * was written, and every kind of damage is refused: a flipped byte, a
 * missing line, an unknown key, and a file changed between the check and
 * the reading. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#include "picket/bundle.h"
#include "picket/key.h"
#include "picket/oplog.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/picket-bundle-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static char *path_of(const char *name)
{
	return pk_xasprintf("%s/%s", dir, name);
}

static void event_n(struct pk_event *ev, int i)
{
	memset(ev, 0, sizeof(*ev));
	snprintf(ev->uuid, sizeof(ev->uuid), "01a20000-0000-7000-8000-%012d", i);
	snprintf(ev->entity, sizeof(ev->entity), "ticket");
	snprintf(ev->entity_uuid, sizeof(ev->entity_uuid), "01a20000-0000-7000-9000-000000000001");
	ev->field = pk_xstrdup("title");
	ev->value = pk_xasprintf("\"title %d\"", i);
	ev->hlc = 1000 + i;
	ev->base = 999;
	ev->origin = pk_xstrdup("LUX1");
	ev->actor = pk_xstrdup("alice");
	ev->at = T_NOW;
}

/* Writes a bundle of n events signed by a new key at dir/name. */
static char *make_bundle(const char *name, int n, struct pk_key *k)
{
	struct pk_error err;
	char *kp = pk_xasprintf("%s/%s.key", dir, name);
	assert_int_equal(pk_key_create(kp, "LUX1", &err), PK_OK);
	assert_int_equal(pk_key_load(kp, k, &err), PK_OK);
	free(kp);
	struct pk_bundle_writer *w;
	assert_int_equal(pk_bundle_writer_new(&w, &err), PK_OK);
	for (int i = 0; i < n; i++) {
		struct pk_event ev;
		event_n(&ev, i);
		assert_int_equal(pk_bundle_write(w, &ev, &err), PK_OK);
		pk_event_clear(&ev);
	}
	struct pk_bundle_info info = { 0 };
	snprintf(info.origin, sizeof(info.origin), "LUX1");
	snprintf(info.classification, sizeof(info.classification), "RESTRICTED");
	info.created = T_NOW;
	info.upto = n;
	char *path = path_of(name);
	assert_int_equal(pk_bundle_finish(w, path, &info, k, &err), PK_OK);
	pk_bundle_writer_free(&w);
	assert_int_equal(info.events, n);
	return path;
}

static void test_keys_round_trip(void **state)
{
	(void)state;
	struct pk_error err;
	struct pk_key k, pub;
	char *kp = path_of("own.key");
	assert_int_equal(pk_key_create(kp, "LUX1", &err), PK_OK);
	assert_int_equal(pk_key_create(kp, "LUX1", &err), PK_EIO); /* never overwritten */
	struct stat sb;
	assert_int_equal(stat(kp, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(pk_key_load(kp, &k, &err), PK_OK);
	assert_true(k.secret);
	assert_string_equal(k.name, "LUX1");
	struct pk_buf line = { 0 };
	pk_key_public_text(&k, &line);
	assert_int_equal(pk_key_parse(line.data, &pub, &err), PK_OK);
	assert_memory_equal(pub.pub, k.pub, PK_KEY_PUBLIC);
	assert_string_equal(pub.name, "LUX1");
	assert_false(pub.secret);
	char fpr[PK_KEY_FPR_MAX];
	pk_key_fingerprint(k.pub, fpr);
	assert_int_equal(strncmp(fpr, "SHA256:", 7), 0);
	assert_int_equal(strlen(fpr), 7 + 43);

	assert_int_equal(pk_key_parse("picket-ed25519 AAAA LUX1", &pub, &err), PK_EINVAL);
	assert_int_equal(pk_key_parse("ssh-ed25519 AAAA", &pub, &err), PK_EINVAL);
	assert_int_equal(pk_key_parse(line.data + 1, &pub, &err), PK_EINVAL);

	chmod(kp, 0640);
	assert_int_equal(pk_key_load(kp, &k, &err), PK_ECONFIG);
	char *missing = path_of("none.key");
	assert_int_equal(pk_key_load(missing, &k, &err), PK_ENOTFOUND);

	/* the ring: add, find, refuse twice */
	assert_int_equal(pk_key_parse(line.data, &pub, &err), PK_OK);
	char *ring = path_of("trusted");
	struct pk_keyring kr;
	assert_int_equal(pk_keyring_load(ring, &kr, &err), PK_OK);
	assert_int_equal(kr.n, 0);
	assert_int_equal(pk_keyring_add(ring, &pub, &err), PK_OK);
	assert_int_equal(pk_keyring_add(ring, &pub, &err), PK_EINVAL);
	assert_int_equal(pk_keyring_load(ring, &kr, &err), PK_OK);
	assert_int_equal(kr.n, 1);
	assert_non_null(pk_keyring_find(&kr, pub.pub));
	pk_keyring_free(&kr);
	chmod(ring, 0666);
	assert_int_equal(pk_keyring_load(ring, &kr, &err), PK_ECONFIG);
	pk_buf_free(&line);
	free(kp);
	free(missing);
	free(ring);
}

/* Reads every event of a verified bundle; the status of the last step. */
static int read_all(struct pk_bundle_reader *r, int *n, int check, struct pk_error *err)
{
	int got = 1, rc = PK_OK;
	*n = 0;
	while (rc == PK_OK && got) {
		struct pk_event ev;
		rc = pk_bundle_next(r, &ev, &got, err);
		if (rc == PK_OK && got) {
			char want[32];
			snprintf(want, sizeof(want), "\"title %d\"", *n);
			if (check)
				assert_string_equal(ev.value, want);
			(*n)++;
			pk_event_clear(&ev);
		}
	}
	return rc;
}

static void test_reads_back_what_was_written(void **state)
{
	(void)state;
	struct pk_key k;
	struct pk_error err;
	char *path = make_bundle("good.pkb", 5, &k);
	struct pk_bundle_reader *r;
	struct pk_bundle_info info;
	assert_int_equal(pk_bundle_open(path, &r, &info, &err), PK_OK);
	assert_string_equal(info.origin, "LUX1");
	assert_string_equal(info.classification, "RESTRICTED");
	assert_int_equal(info.events, 5);
	assert_memory_equal(info.key, k.pub, PK_KEY_PUBLIC);

	struct pk_keyring none = { 0 }, mine = { 0 };
	const struct pk_key *signer;
	assert_int_equal(pk_bundle_verify(r, &none, &signer, &err), PK_ESIG);
	assert_non_null(strstr(err.msg, "does not trust"));
	pk_keyring_push(&mine, &k);
	assert_int_equal(pk_bundle_verify(r, &mine, &signer, &err), PK_OK);
	assert_string_equal(signer->name, "LUX1");
	int n;
	assert_int_equal(read_all(r, &n, 1, &err), PK_OK);
	assert_int_equal(n, 5);
	pk_bundle_close(&r);
	pk_keyring_free(&mine);
	free(path);
}

/* Flips one byte at offset `at` of the file. */
static void flip(const char *path, long at)
{
	int fd = open(path, O_RDWR);
	char c;
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, at), 1);
	c ^= 0x01;
	assert_int_equal(pwrite(fd, &c, 1, at), 1);
	close(fd);
}

static void test_refuses_damage(void **state)
{
	(void)state;
	struct pk_key k;
	struct pk_error err;
	struct pk_bundle_reader *r;
	struct pk_bundle_info info;
	char *path = make_bundle("flip.pkb", 3, &k);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	/* a byte of every event line in turn (a title's digit) */
	for (long at = 40; at < sb.st_size - 100; at += 97) {
		char *copy = path_of("copy.pkb");
		char cmd[256];
		snprintf(cmd, sizeof(cmd), "cp %s %s", path, copy);
		assert_int_equal(system(cmd), 0);
		flip(copy, at);
		int rc = pk_bundle_open(copy, &r, &info, &err);
		if (rc == PK_OK) {
			rc = pk_bundle_verify(r, NULL, NULL, &err);
			pk_bundle_close(&r);
		}
		if (rc == PK_OK)
			fprintf(stderr, "a flipped byte at %ld was not noticed\n", at);
		assert_int_not_equal(rc, PK_OK);
		free(copy);
	}
	free(path);
}

static void test_a_change_between_check_and_read(void **state)
{
	(void)state;
	struct pk_key k;
	struct pk_error err;
	struct pk_bundle_reader *r;
	struct pk_bundle_info info;
	char *path = make_bundle("race.pkb", 4, &k);
	assert_int_equal(pk_bundle_open(path, &r, &info, &err), PK_OK);
	assert_int_equal(pk_bundle_verify(r, NULL, NULL, &err), PK_OK);
	/* after the check, someone changes an event's title in place */
	FILE *f = fopen(path, "r");
	char buf[8192];
	size_t len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	char *t = strstr(buf, "title 2");
	assert_non_null(t);
	flip(path, (long)(t - buf) + 6);
	int n;
	int rc = read_all(r, &n, 0, &err);
	assert_int_equal(rc, PK_ESIG);
	assert_non_null(strstr(err.msg, "changed while"));
	pk_bundle_close(&r);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_round_trip),
		cmocka_unit_test(test_reads_back_what_was_written),
		cmocka_unit_test(test_refuses_damage),
		cmocka_unit_test(test_a_change_between_check_and_read),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
