/*
 * xl_cases: table-driven cmocka tests with one TAP line per table row.
 *
 * Each test program collects its cases at run time (one CMUnitTest per
 * row, named after the row) and runs them as one group, so the TAP output
 * has a single plan and one "ok N - name" line per case.
 */
#ifndef FG_TESTS_XL_CASES_H
#define FG_TESTS_XL_CASES_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * TAP reads '#' as a directive, and logs should stay text: '#', controls
 * and bytes that are not UTF-8 (hostile rows name them) become '?'.
 */
static void
xl_case_name_clean(char *name)
{
	unsigned char *p = (unsigned char *)name;

	while (*p) {
		int more = *p >= 0xF0 && *p < 0xF5 ? 3 : *p >= 0xE0 ? 2 :
		    *p >= 0xC2 ? 1 : 0, ok = *p >= 0xC2 && *p < 0xF5;

		for (int i = 1; ok && i <= more; i++)
			ok = (p[i] & 0xC0) == 0x80;
		if (*p >= 0x80 && !ok)
			*p++ = '?';
		else if (*p >= 0x80)
			p += more + 1;
		else {
			if (*p == '#' || *p < 0x20 || *p == 0x7F)
				*p = '?';
			p++;
		}
	}
}

static struct CMUnitTest *xl_cases_v;
static size_t xl_cases_n, xl_cases_cap;

/* Add one case: fn runs with *state == arg; the name is printf-formatted. */
static void xl_case(CMUnitTestFunction fn, void *arg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
xl_case(CMUnitTestFunction fn, void *arg, const char *fmt, ...)
{
	char name[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	xl_case_name_clean(name);
	if (xl_cases_n == xl_cases_cap) {
		xl_cases_cap = xl_cases_cap ? 2 * xl_cases_cap : 64;
		xl_cases_v = realloc(xl_cases_v, xl_cases_cap * sizeof(*xl_cases_v));
		if (xl_cases_v == NULL)
			abort();
	}
	xl_cases_v[xl_cases_n++] = (struct CMUnitTest){
		.name = strdup(name), .test_func = fn, .initial_state = arg,
	};
}

/* Run every collected case as one group; returns the number failed. */
static int
xl_cases_run(const char *group)
{
	int failed = _cmocka_run_group_tests(group, xl_cases_v, xl_cases_n,
	    NULL, NULL);

	for (size_t i = 0; i < xl_cases_n; i++)
		free((void *)xl_cases_v[i].name);
	free(xl_cases_v);
	return failed;
}

#define XL_NELEM(a) (sizeof(a) / sizeof((a)[0]))

#endif
