/*
 * Unit tests of xmpp/dialback: the XEP-0185 key against the published
 * vectors (XEP-0185 §3 and XEP-0220 §2), checking, and the secret file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmpp/dialback.h"

#define SECRET1 "s3cr3tf0rd14lb4ck"
#define SECRET2 "d14lb4ck43v3r"

static void
test_xep0185_vector(void **state)
{
	char key[DIALBACK_KEY_LEN + 1];

	dialback_secret_set(SECRET1, strlen(SECRET1));
	assert_int_equal(dialback_key("xmpp.example.com", "example.org",
	    "D60000229F", key), 0);
	assert_string_equal(key,
	    "37c69b1cf07a3f67c04a5ef5902fa5114f2c76fe4a2686482ba5b89323075643");
}

static void
test_xep0220_vectors(void **state)
{
	char key[DIALBACK_KEY_LEN + 1];

	/* capulet.example originates toward montague.example (Example 1) */
	dialback_secret_set(SECRET1, strlen(SECRET1));
	assert_int_equal(dialback_key("montague.example", "capulet.example",
	    "D60000229F", key), 0);
	assert_string_equal(key,
	    "b4835385f37fe2895af6c196b59097b16862406db80559900d96bf6fa7d23df3");
	/* and the other way, with montague's secret (Example 13) */
	dialback_secret_set(SECRET2, strlen(SECRET2));
	assert_int_equal(dialback_key("capulet.example", "montague.example",
	    "417GAF25", key), 0);
	assert_string_equal(key,
	    "225cc5aa6a071133249d25fef42ae516fc7a86c523aa1c6980a7f73e784c972d");
}

static void
test_check(void **state)
{
	const char *good =
	    "37c69b1cf07a3f67c04a5ef5902fa5114f2c76fe4a2686482ba5b89323075643";
	char padded[100];

	dialback_secret_set(SECRET1, strlen(SECRET1));
	assert_true(dialback_key_check("xmpp.example.com", "example.org",
	    "D60000229F", good, strlen(good)));
	/* keys travel as character data: surrounding whitespace is allowed */
	snprintf(padded, sizeof(padded), "\n    %s\n  ", good);
	assert_true(dialback_key_check("xmpp.example.com", "example.org",
	    "D60000229F", padded, strlen(padded)));
	/* any other stream id, direction, domain or key fails */
	assert_false(dialback_key_check("xmpp.example.com", "example.org",
	    "D60000229G", good, strlen(good)));
	assert_false(dialback_key_check("example.org", "xmpp.example.com",
	    "D60000229F", good, strlen(good)));
	assert_false(dialback_key_check("xmpp.example.com", "example.net",
	    "D60000229F", good, strlen(good)));
	assert_false(dialback_key_check("xmpp.example.com", "example.org",
	    "D60000229F", good, strlen(good) - 1));
	assert_false(dialback_key_check("xmpp.example.com", "example.org",
	    "D60000229F", "", 0));
	/* another secret (another cluster) does not know our keys */
	dialback_secret_set(SECRET2, strlen(SECRET2));
	assert_false(dialback_key_check("xmpp.example.com", "example.org",
	    "D60000229F", good, strlen(good)));
	/* no secret, no key, nothing valid */
	dialback_secret_clear();
	assert_false(dialback_secret_loaded());
	assert_false(dialback_key_check("xmpp.example.com", "example.org",
	    "D60000229F", good, strlen(good)));
	{
		char key[DIALBACK_KEY_LEN + 1];
		assert_int_equal(dialback_key("a", "b", "c", key), -1);
		assert_string_equal(key, "");
	}
}

static void
test_secret_file(void **state)
{
	char path[] = "/tmp/test_xmpp_dialbackXXXXXX", err[300];
	char k1[DIALBACK_KEY_LEN + 1], k2[DIALBACK_KEY_LEN + 1];
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	close(fd);
	/* the file's surrounding whitespace (a trailing newline) is not secret */
	f = fopen(path, "w");
	fprintf(f, "  " SECRET1 "\n");
	fclose(f);
	assert_int_equal(dialback_secret_load(path, err, sizeof(err)), 0);
	assert_true(dialback_secret_loaded());
	dialback_key("r.example", "o.example", "id1", k1);
	dialback_secret_set(SECRET1, strlen(SECRET1));
	dialback_key("r.example", "o.example", "id1", k2);
	assert_string_equal(k1, k2);
	/* an empty file is refused and the old secret stays */
	f = fopen(path, "w");
	fprintf(f, " \n\n");
	fclose(f);
	assert_int_equal(dialback_secret_load(path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "holds no secret"));
	dialback_key("r.example", "o.example", "id1", k2);
	assert_string_equal(k1, k2);
	unlink(path);
	assert_int_equal(dialback_secret_load(path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot open"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xep0185_vector),
		cmocka_unit_test(test_xep0220_vectors),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_secret_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
