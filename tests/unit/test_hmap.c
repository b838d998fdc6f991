/*
 * Unit tests of core/hmap against a reference (a plain array), with many
 * inserts and deletions so that probe runs wrap and shift.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hmap.h"

static void
test_basic(void **state)
{
	struct hmap *m = hmap_new();
	int a = 1, b = 2;

	assert_non_null(m);
	assert_null(hmap_get(m, "alice@sip.test"));
	assert_int_equal(hmap_put(m, "alice@sip.test", &a), 0);
	assert_int_equal(hmap_put(m, "bob@xmpp.test", &b), 0);
	assert_ptr_equal(hmap_get(m, "alice@sip.test"), &a);
	assert_ptr_equal(hmap_get(m, "bob@xmpp.test"), &b);
	assert_int_equal(hmap_count(m), 2);
	assert_int_equal(hmap_put(m, "alice@sip.test", &b), 0);	/* replace */
	assert_ptr_equal(hmap_get(m, "alice@sip.test"), &b);
	assert_int_equal(hmap_count(m), 2);
	assert_ptr_equal(hmap_del(m, "alice@sip.test"), &b);
	assert_null(hmap_del(m, "alice@sip.test"));
	assert_null(hmap_get(m, "alice@sip.test"));
	assert_int_equal(hmap_count(m), 1);
	assert_null(hmap_get(m, ""));
	assert_int_equal(hmap_put(m, "", &a), 0);		/* empty key is a key */
	assert_ptr_equal(hmap_get(m, ""), &a);
	hmap_free(m);
}

/* Random puts and deletes checked against a reference table. */
static void
test_against_reference(void **state)
{
	enum { N = 5000 };
	static char present[N];
	struct hmap *m = hmap_new();
	char key[32];

	srand(7);
	for (int round = 0; round < 60000; round++) {
		int k = rand() % N, op = rand() % 3;
		snprintf(key, sizeof(key), "user%d@d%d.test", k, k % 17);
		if (op < 2) {
			assert_int_equal(hmap_put(m, key, (void *)(intptr_t)(k + 1)), 0);
			present[k] = 1;
		} else {
			void *v = hmap_del(m, key);
			assert_true(present[k] ? v == (void *)(intptr_t)(k + 1) : v == NULL);
			present[k] = 0;
		}
	}
	size_t count = 0;
	for (int k = 0; k < N; k++) {
		snprintf(key, sizeof(key), "user%d@d%d.test", k, k % 17);
		void *v = hmap_get(m, key);
		if (present[k]) {
			assert_ptr_equal(v, (void *)(intptr_t)(k + 1));
			count++;
		} else
			assert_null(v);
	}
	assert_int_equal(hmap_count(m), count);
	/* iteration visits each key once */
	size_t it = 0, seen = 0;
	const char *k;
	void *v;
	while (hmap_next(m, &it, &k, &v))
		seen++;
	assert_int_equal(seen, count);
	hmap_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_against_reference),
	};
	return cmocka_run_group_tests_name("hmap", tests, NULL, NULL);
}
