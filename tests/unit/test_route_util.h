/*
 * Fixture shared by the routing, policy and DNS unit tests: a config made
 * of small files written to a temporary directory, and a bounded way to
 * run the loop until a test's callback says it is done.
 */
#ifndef FG_TEST_ROUTE_UTIL_H
#define FG_TEST_ROUTE_UTIL_H

#include <stdint.h>

struct config;

/*
 * Write fedgate.conf (with extra lines appended to its [federation]
 * section), domains.conf, routes.conf and policy.conf, plus dummy
 * certificate and secret files, and load them. Fails the test on errors.
 * The caller owns the one reference returned.
 */
struct config	*tu_config(const char *federation, const char *domains,
		    const char *routes, const char *policy);

/* Run the loop until tu_loop_done() is called or ms pass. 0 = done. */
int		 tu_loop_run(uint64_t ms);
void		 tu_loop_done(void);

#endif
