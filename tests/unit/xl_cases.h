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
	/* TAP reads '#' as a directive: keep names plain. */
	for (char *p = name; *p; p++)
		if (*p == '#' || (unsigned char)*p < 0x20)
			*p = '?';
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
