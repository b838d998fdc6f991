/*
 * Unit tests of core/policy: privacy modes, the allow-list lockdown
 * default and its automatic entries, "*.domain" wildcards, directions,
 * the most specific entry, aliases and our own domains.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"
#include "core/policy.h"
#include "tests/unit/test_route_util.h"

#define IN	POLICY_DIR_INBOUND
#define OUT	POLICY_DIR_OUTBOUND

static const char *const domains =
    "local sip.test edge=edge.sip.test\n"
    "email mail.sip.test\n"
    "chat-alias conf.sip.test\n"
    "remote partner.test\n"
    "remote aol.test type=clearinghouse\n"
    "alias aim.test aol.test\n";

struct expect {
	const char	*domain;
	enum policy_dir	 dir;
	int		 allowed;
	const char	*rule;		/* substring of the rule */
};

static void
check_all(const struct config *cfg, const struct expect *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct policy_decision d;
		int rc;

		memset(&d, 0x55, sizeof(d));
		rc = policy_check(cfg, e[i].domain, e[i].dir, &d);
		if (rc != e[i].allowed || d.allowed != e[i].allowed ||
		    strstr(d.rule, e[i].rule) == NULL)
			fail_msg("%s %s: got %s (%s), want %s (...%s...)",
			    e[i].domain, e[i].dir == IN ? "inbound" : "outbound",
			    d.allowed ? "allowed" : "denied", d.rule,
			    e[i].allowed ? "allowed" : "denied", e[i].rule);
	}
}

/* No privacy_mode line and an empty policy file: lockdown. */
static void
test_allow_list_lockdown_default(void **state)
{
	struct config *cfg = tu_config(NULL, domains,
	    "xmpp static.test 192.0.2.1\n"
	    "sip .test.sipstatic.* edge.sipstatic.test 5061 tls\n", "");
	static const struct expect e[] = {
		{ "stranger.test", OUT, 0, "privacy_mode = allow-list: stranger.test is not allowed" },
		{ "stranger.test", IN, 0, "(inbound)" },
		{ "partner.test", OUT, 1, "domains.conf:4: remote partner.test (allowed automatically" },
		{ "partner.test", IN, 1, "remote partner.test" },
		{ "static.test", OUT, 1, "routes.conf:1: xmpp static route for static.test" },
		{ "sipstatic.test", IN, 1, "routes.conf:2: sip static route .test.sipstatic.* covers sipstatic.test" },
		{ "x.sipstatic.test", OUT, 1, "sip static route .test.sipstatic.*" },
		/* a subdomain of a remote is not that remote */
		{ "x.partner.test", OUT, 0, "not allowed" },
		/* case and a trailing dot do not matter */
		{ "PARTNER.test.", IN, 1, "remote partner.test" },
	};

	assert_int_equal(cfg->privacy_mode, PRIVACY_ALLOW_LIST);
	check_all(cfg, e, sizeof(e) / sizeof(e[0]));
	config_unref(cfg);
}

static void
test_own_domains_never_peers(void **state)
{
	struct config *cfg = tu_config("privacy_mode = off", domains, "", "");
	static const struct expect e[] = {
		{ "sip.test", IN, 0, "domains.conf:1: sip.test is one of our own domains" },
		{ "mail.sip.test", OUT, 0, "mail.sip.test is one of our own domains" },
		{ "conf.sip.test", IN, 0, "conf.sip.test is one of our own domains" },
		{ "anything.test", OUT, 1, "privacy_mode = off" },
		{ "anything.test", IN, 1, "privacy_mode = off" },
	};

	check_all(cfg, e, sizeof(e) / sizeof(e[0]));
	config_unref(cfg);
}

/* "*.example.test" = the domain and every subdomain, nothing else. */
static void
test_wildcard(void **state)
{
	struct config *cfg = tu_config(NULL, domains, "",
	    "allow *.example.test\n");
	static const struct expect e[] = {
		{ "example.test", OUT, 1, "policy.conf:1: allow *.example.test" },
		{ "a.example.test", OUT, 1, "allow *.example.test" },
		{ "a.b.example.test", IN, 1, "allow *.example.test" },
		{ "notexample.test", OUT, 0, "not allowed" },
		{ "example.test.evil", OUT, 0, "not allowed" },
		{ "xample.test", IN, 0, "not allowed" },
	};

	check_all(cfg, e, sizeof(e) / sizeof(e[0]));
	config_unref(cfg);
}

/* A directional entry applies to that direction only. */
static void
test_direction(void **state)
{
	struct config *cfg = tu_config(NULL, domains, "",
	    "allow *.in.test inbound\nallow out.test outbound\n");
	static const struct expect e[] = {
		{ "in.test", IN, 1, "policy.conf:1: allow *.in.test inbound" },
		{ "x.in.test", IN, 1, "allow *.in.test inbound" },
		{ "x.in.test", OUT, 0, "not allowed in the policy file (outbound)" },
		{ "out.test", OUT, 1, "policy.conf:2: allow out.test outbound" },
		{ "out.test", IN, 0, "(inbound)" },
	};

	check_all(cfg, e, sizeof(e) / sizeof(e[0]));
	config_unref(cfg);
}

/* Exact beats wildcard, longer wildcard beats shorter, direction beats both. */
static void
test_most_specific(void **state)
{
	struct config *cfg = tu_config("privacy_mode = deny-list", domains, "",
	    "deny *.bad.test\n"
	    "deny *.very.bad.test\n"
	    "deny one.very.bad.test\n"
	    "deny one.very.bad.test outbound\n"
	    "deny *.half.test inbound\n");
	static const struct expect e[] = {
		{ "x.bad.test", OUT, 0, "policy.conf:1: deny *.bad.test" },
		{ "x.very.bad.test", OUT, 0, "policy.conf:2: deny *.very.bad.test" },
		{ "one.very.bad.test", OUT, 0, "policy.conf:4: deny one.very.bad.test outbound" },
		{ "one.very.bad.test", IN, 0, "policy.conf:3: deny one.very.bad.test" },
		{ "x.half.test", IN, 0, "policy.conf:5: deny *.half.test inbound" },
		{ "x.half.test", OUT, 1, "privacy_mode = deny-list: no deny entry for x.half.test" },
		{ "good.test", IN, 1, "no deny entry" },
	};

	check_all(cfg, e, sizeof(e) / sizeof(e[0]));
	config_unref(cfg);
}

/* deny-list: an explicit deny wins even over a declared remote. */
static void
test_deny_list(void **state)
{
	struct config *cfg = tu_config("privacy_mode = deny-list", domains,
	    "xmpp static.test 192.0.2.1\n",
	    "deny partner.test\ndeny static.test inbound\nallow ignored.test\n");
	static const struct expect e[] = {
		{ "partner.test", OUT, 0, "policy.conf:1: deny partner.test" },
		{ "static.test", IN, 0, "policy.conf:2: deny static.test inbound" },
		{ "static.test", OUT, 1, "no deny entry" },
		/* an allow line is inactive in deny-list mode: no effect */
		{ "ignored.test", OUT, 1, "no deny entry for ignored.test" },
	};

	check_all(cfg, e, sizeof(e) / sizeof(e[0]));
	config_unref(cfg);
}

/* allow-list ignores deny lines (inactive); explicit allow reported first. */
static void
test_allow_list_entries(void **state)
{
	struct config *cfg = tu_config(NULL, domains, "",
	    "allow partner.test inbound\ndeny inactive.test\n");
	static const struct expect e[] = {
		{ "partner.test", IN, 1, "policy.conf:1: allow partner.test inbound" },
		/* the remote is allowed both ways anyway */
		{ "partner.test", OUT, 1, "remote partner.test" },
		{ "inactive.test", OUT, 0, "not allowed" },
	};

	check_all(cfg, e, sizeof(e) / sizeof(e[0]));
	config_unref(cfg);
}

/* Aliases: an entry may name the alias itself or its target. */
static void
test_alias(void **state)
{
	struct config *cfg = tu_config("privacy_mode = deny-list",
	    "local sip.test edge=edge.sip.test\n"
	    "remote aol.test\nremote icq-target.test\n"
	    "alias aim.test aol.test\nalias icq.test icq-target.test\n",
	    "", "deny aim.test\ndeny icq-target.test\n");
	static const struct expect e[] = {
		{ "aim.test", OUT, 0, "policy.conf:1: deny aim.test" },
		{ "aol.test", OUT, 1, "no deny entry for aol.test" },
		{ "icq.test", IN, 0, "policy.conf:2: deny icq-target.test" },
	};
	struct config *al;

	check_all(cfg, e, sizeof(e) / sizeof(e[0]));
	config_unref(cfg);
	/* allow-list: the alias of a remote is allowed as that remote */
	al = tu_config(NULL, domains, "", "");
	{
		static const struct expect e2[] = {
			{ "aim.test", OUT, 1, "remote aol.test" },
		};
		check_all(al, e2, 1);
	}
	config_unref(al);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allow_list_lockdown_default),
		cmocka_unit_test(test_own_domains_never_peers),
		cmocka_unit_test(test_wildcard),
		cmocka_unit_test(test_direction),
		cmocka_unit_test(test_most_specific),
		cmocka_unit_test(test_deny_list),
		cmocka_unit_test(test_allow_list_entries),
		cmocka_unit_test(test_alias),
	};

	log_init(1, LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
