/*
 * Unit tests of core/config: the value parsers and the settings table,
 * and config_load on small files written here.
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
#include "core/log.h"

static void
test_duration(void **state)
{
	static const struct { const char *in; int ok; uint64_t ms; } cases[] = {
		{ "30s", 0, 30000 }, { "10m", 0, 600000 }, { "2h", 0, 7200000 },
		{ "500ms", 0, 500 }, { "1d", 0, 86400000 }, { "45", 0, 45000 },
		{ "0s", 0, 0 }, { "", -1, 0 }, { "s", -1, 0 }, { "10x", -1, 0 },
		{ "-5s", -1, 0 }, { "1.5s", -1, 0 }, { " 5s", -1, 0 },
		{ "99999999999999999999s", -1, 0 }, { "18446744073709551615d", -1, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t ms = 12345;
		int rc = config_parse_duration_ms(cases[i].in, &ms);
		assert_int_equal(rc, cases[i].ok);
		if (rc == 0)
			assert_int_equal(ms, cases[i].ms);
	}
}

static void
test_size(void **state)
{
	static const struct { const char *in; int ok; uint64_t b; } cases[] = {
		{ "256k", 0, 262144 }, { "1m", 0, 1048576 }, { "4096", 0, 4096 },
		{ "2K", 0, 2048 }, { "1g", 0, 1073741824 }, { "1kb", 0, 1024 },
		{ "k", -1, 0 }, { "12q", -1, 0 }, { "", -1, 0 }, { "1kk", -1, 0 },
		{ "99999999999999999999", -1, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t b = 0;
		int rc = config_parse_size(cases[i].in, &b);
		assert_int_equal(rc, cases[i].ok);
		if (rc == 0)
			assert_int_equal(b, cases[i].b);
	}
}

static void
test_bool(void **state)
{
	static const char *yes[] = { "yes", "YES", "true", "on", "1" };
	static const char *no[] = { "no", "false", "Off", "0" };
	static const char *bad[] = { "", "maybe", "y", "2" };
	int b;

	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(config_parse_bool(yes[i], &b), 0);
		assert_int_equal(b, 1);
	}
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(config_parse_bool(no[i], &b), 0);
		assert_int_equal(b, 0);
	}
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(config_parse_bool(bad[i], &b), -1);
}

static void
test_hostport(void **state)
{
	static const struct {
		const char *in; uint16_t def; int ok; const char *host;
		uint16_t port; int v6; const char *fmt;
	} cases[] = {
		{ "0.0.0.0:5061", 1, 0, "0.0.0.0", 5061, 0, "0.0.0.0:5061" },
		{ "[::1]:5061", 1, 0, "::1", 5061, 1, "[::1]:5061" },
		{ "[2001:db8::7]", 5269, 0, "2001:db8::7", 5269, 1, "[2001:db8::7]:5269" },
		{ "GW.Example.COM:5269", 1, 0, "gw.example.com", 5269, 0, "gw.example.com:5269" },
		{ "edge.contoso.local", 5061, 0, "edge.contoso.local", 5061, 0, "edge.contoso.local:5061" },
		{ "edge.contoso.local", 0, -1, NULL, 0, 0, NULL },
		{ "::1:5061", 1, -1, NULL, 0, 0, NULL },
		{ "[::1", 1, -1, NULL, 0, 0, NULL },
		{ "[127.0.0.1]:5", 1, -1, NULL, 0, 0, NULL },
		{ "host:0", 1, -1, NULL, 0, 0, NULL },
		{ "host:65536", 1, -1, NULL, 0, 0, NULL },
		{ "host:12a", 1, -1, NULL, 0, 0, NULL },
		{ ":5061", 1, -1, NULL, 0, 0, NULL },
		{ "bad_host!:5061", 1, -1, NULL, 0, 0, NULL },
		{ "[::1]x", 1, -1, NULL, 0, 0, NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hostport hp;
		char buf[300];
		int rc = config_parse_hostport(cases[i].in, cases[i].def, &hp);
		assert_int_equal(rc, cases[i].ok);
		if (rc != 0)
			continue;
		assert_string_equal(hp.host, cases[i].host);
		assert_int_equal(hp.port, cases[i].port);
		assert_int_equal(hp.is_ipv6, cases[i].v6);
		assert_int_equal(config_hostport_format(&hp, buf, sizeof(buf)), 0);
		assert_string_equal(buf, cases[i].fmt);
	}
}

static void
test_valid_domain(void **state)
{
	char long_label[80], long_name[300];

	assert_true(config_valid_domain("contoso.com"));
	assert_true(config_valid_domain("xn--bcher-kva.example"));
	assert_true(config_valid_domain("a-b.c"));
	assert_false(config_valid_domain(""));
	assert_false(config_valid_domain(".com"));
	assert_false(config_valid_domain("com."));
	assert_false(config_valid_domain("a..b"));
	assert_false(config_valid_domain("-a.b"));
	assert_false(config_valid_domain("a-.b"));
	assert_false(config_valid_domain("a b.c"));
	memset(long_label, 'a', 64);
	long_label[64] = '\0';
	assert_false(config_valid_domain(long_label));
	long_label[63] = '\0';
	assert_true(config_valid_domain(long_label));
	memset(long_name, 'a', 260);
	for (int i = 10; i < 260; i += 10)
		long_name[i] = '.';
	long_name[259] = '\0';
	assert_false(config_valid_domain(long_name));
}

/* ---- config_load on files written in a temp dir ---- */

static char tmpdir[64];

static void
write_file(const char *name, const char *text, mode_t mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static int
setup_dir(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/fg-config-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	write_file("fedgate.conf",
	    "[gateway]\nhostname = gw.sip.test\n"
	    "[sip]\ncert = gw.pem\nkey = gw.key\nca = ca.pem\n"
	    "peer_subjects = edge.sip.test, edge2.sip.test\n"
	    "[xmpp]\ndialback_secret_file = secret\n", 0644);
	write_file("domains.conf", "local sip.test edge=edge.sip.test\n"
	    "remote aol.test type=clearinghouse\nalias aim.test aol.test\n", 0644);
	write_file("routes.conf", "", 0644);
	write_file("policy.conf", "deny bad.test\n", 0644);
	write_file("gw.pem", "x\n", 0644);
	write_file("ca.pem", "x\n", 0644);
	write_file("gw.key", "x\n", 0600);
	write_file("secret", "x\n", 0600);
	return 0;
}

static int
teardown_dir(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct config *
load(struct config_diag *d)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/fedgate.conf", tmpdir);
	return config_load(path, d);
}

static void
test_load_defaults(void **state)
{
	struct config_diag d = { 0 };
	struct config *cfg = load(&d);

	assert_non_null(cfg);
	assert_int_equal(d.nerrors, 0);
	/* the inactive deny line is a warning, not an error */
	assert_int_equal(d.nwarnings, 1);
	assert_non_null(strstr(d.warnings[0], "policy.conf:1: warning:"));
	assert_string_equal(cfg->hostname, "gw.sip.test");
	assert_int_equal(cfg->sip_listen.port, 5061);
	assert_int_equal(cfg->xmpp_listen.port, 5269);
	assert_int_equal(cfg->xmpp_security, XMPP_SEC_TLS_REQUIRED);
	assert_int_equal(cfg->privacy_mode, PRIVACY_ALLOW_LIST);
	assert_int_equal(cfg->idle_timeout_ms, 600000);
	assert_int_equal(cfg->max_stanza_size, 262144);
	assert_int_equal(cfg->sip_subscription_expires_s, 3600);
	assert_string_equal(cfg->default_routing_domain, "aol.com");
	assert_int_equal(cfg->sip_peer_subjects.n, 2);
	assert_string_equal(cfg->sip_peer_subjects.v[1], "edge2.sip.test");
	/* [xmpp] cert/key/ca default to [sip]'s */
	assert_string_equal(cfg->xmpp_cert, cfg->sip_cert);
	assert_int_equal(config_is_local_domain(cfg, "SIP.test"), 1);
	assert_int_equal(config_is_local_domain(cfg, "aol.test"), 0);
	assert_string_equal(config_alias_target(cfg, "aim.test"), "aol.test");
	assert_null(config_alias_target(cfg, "aol.test"));
	assert_int_equal(cfg->domains[0].edge.port, 5061);
	assert_int_equal(strlen(cfg->hash), 16);
	config_unref(cfg);
	config_diag_clear(&d);
}

static void
change_count(const char *key, const char *o, const char *n, int live,
    void *arg)
{
	int *count = arg;

	(*count)++;
	if (!strcmp(key, "xmpp.queue_limit")) {
		assert_string_equal(o, "1000");
		assert_string_equal(n, "7");
		assert_int_equal(live, 1);
	} else if (!strcmp(key, "sip.listen")) {
		assert_int_equal(live, 0);
	} else {
		assert_string_equal(key, "policy");
	}
}

static void
test_changes(void **state)
{
	struct config_diag d = { 0 };
	struct config *a = load(&d), *b;
	int count = 0;

	assert_non_null(a);
	write_file("fedgate.conf",
	    "[gateway]\nhostname = gw.sip.test\n"
	    "[sip]\nlisten = 127.0.0.1:5061\ncert = gw.pem\nkey = gw.key\n"
	    "ca = ca.pem\npeer_subjects = edge.sip.test, edge2.sip.test\n"
	    "[xmpp]\ndialback_secret_file = secret\nqueue_limit = 7\n", 0644);
	write_file("policy.conf", "allow ok.test\n", 0644);
	b = load(&d);
	assert_non_null(b);
	config_changes(a, b, change_count, &count);
	assert_int_equal(count, 3);
	assert_string_not_equal(a->hash, b->hash);
	config_unref(a);
	config_unref(b);
	config_diag_clear(&d);
}

static void
test_refcount_current(void **state)
{
	struct config_diag d = { 0 };
	struct config *cfg = load(&d);

	assert_non_null(cfg);
	config_set_current(cfg);
	config_unref(cfg);		/* current holds the last ref */
	assert_ptr_equal(config_current(), cfg);
	assert_string_equal(config_current()->hostname, "gw.sip.test");
	config_set_current(NULL);	/* frees it (ASan checks) */
	assert_null(config_current());
	config_diag_clear(&d);
}

static void
test_settings_doc(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	static const char *keys[] = { "hostname", "privacy_mode", "queue_limit",
	    "max_stanza_size", "peer_subjects", "dialback_secret_file",
	    "default_routing_domain", "email_for_federation", "listen_tls" };

	config_print_settings_doc(f);
	fclose(f);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char needle[64];
		snprintf(needle, sizeof(needle), "| `%s` |", keys[i]);
		assert_non_null(strstr(buf, needle));
	}
	assert_non_null(strstr(buf, "### [federation]"));
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_hostport),
		cmocka_unit_test(test_valid_domain),
		cmocka_unit_test(test_load_defaults),
		cmocka_unit_test(test_changes),
		cmocka_unit_test(test_refcount_current),
		cmocka_unit_test(test_settings_doc),
	};
	log_init(1, LOG_LVL_ERROR);
	return cmocka_run_group_tests_name("config", tests, setup_dir,
	    teardown_dir);
}
