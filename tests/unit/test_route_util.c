/*
 * Fixture of the routing, policy and DNS unit tests (test_route_util.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/loop.h"
#include "tests/unit/test_route_util.h"

static void
write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void
remove_dir(const char *dir)
{
	static const char *const files[] = { "fedgate.conf", "domains.conf",
	    "routes.conf", "policy.conf", "gw.pem", "ca.pem", "gw.key",
	    "secret" };
	char path[512];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

struct config *
tu_config(const char *federation, const char *domains, const char *routes,
    const char *policy)
{
	char dir[64] = "/tmp/fg-route-unit-XXXXXX", main[1024], path[128];
	struct config_diag diag = { 0 };
	struct config *cfg;

	assert_non_null(mkdtemp(dir));
	snprintf(main, sizeof(main), "[gateway]\nhostname = gw.sip.test\n"
	    "[sip]\ncert = gw.pem\nkey = gw.key\nca = ca.pem\n"
	    "peer_subjects = edge.sip.test\n"
	    "[xmpp]\ndialback_secret_file = secret\n[federation]\n%s\n",
	    federation ? federation : "");
	write_file(dir, "fedgate.conf", main, 0644);
	write_file(dir, "domains.conf", domains, 0644);
	write_file(dir, "routes.conf", routes ? routes : "", 0644);
	write_file(dir, "policy.conf", policy ? policy : "", 0644);
	write_file(dir, "gw.pem", "x\n", 0644);
	write_file(dir, "ca.pem", "x\n", 0644);
	write_file(dir, "gw.key", "x\n", 0600);
	write_file(dir, "secret", "x\n", 0600);
	snprintf(path, sizeof(path), "%s/fedgate.conf", dir);
	cfg = config_load(path, &diag);
	for (size_t i = 0; i < diag.nerrors; i++)
		print_message("config error: %s\n", diag.errors[i]);
	config_diag_clear(&diag);
	remove_dir(dir);
	assert_non_null(cfg);
	return cfg;
}

static struct loop_timer *stop_timer, *limit_timer;
static int done;

static void
stop_now(void *arg)
{
	loop_stop();
}

/*
 * Results arrive at the end of a loop turn; a stop from there would only
 * take effect after the loop's next poll, so stop from a timer due now.
 */
void
tu_loop_done(void)
{
	done = 1;
	loop_timer_set(stop_timer, 0);
}

int
tu_loop_run(uint64_t ms)
{
	if (stop_timer == NULL) {
		stop_timer = loop_timer_new(stop_now, NULL);
		limit_timer = loop_timer_new(stop_now, NULL);
		assert_non_null(stop_timer);
		assert_non_null(limit_timer);
	}
	done = 0;
	loop_timer_set(limit_timer, ms);
	loop_run();
	loop_timer_stop(limit_timer);
	loop_timer_stop(stop_timer);
	return done ? 0 : -1;
}
