# core/: loop, config, log, control socket (and later DNS, routing, policy)
noinst_LIBRARIES += core/libcore.a
core_libcore_a_SOURCES = \
	core/log.c core/log.h \
	core/loop.c core/loop.h \
	core/config.c core/config.h \
	core/ctl.c core/ctl.h \
	core/reqsrv.c core/reqsrv.h \
	core/service.h \
	core/metrics.c core/metrics.h \
	core/hmap.c core/hmap.h
core_libcore_a_CFLAGS = $(AM_CFLAGS) $(SOFIA_CFLAGS) $(CARES_CFLAGS)
CORE_LIBS = core/libcore.a $(SOFIA_LIBS) $(CARES_LIBS)

# routing, DNS and policy (issue 4)
core_libcore_a_SOURCES += \
	core/dns.c core/dns.h \
	core/route.c core/route.h \
	core/policy.c core/policy.h
TESTS += tests/integration/route-dns.sh

if HAVE_CMOCKA
ROUTE_UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
ROUTE_UNIT_LDADD = $(CORE_LIBS) $(CMOCKA_LIBS)
check_PROGRAMS += tests/unit/test_policy tests/unit/test_route tests/unit/test_dns
TESTS += tests/unit/test_policy tests/unit/test_route tests/unit/test_dns
tests_unit_test_policy_SOURCES = tests/unit/test_policy.c \
	tests/unit/test_route_util.c tests/unit/test_route_util.h
tests_unit_test_policy_CFLAGS = $(ROUTE_UNIT_CFLAGS)
tests_unit_test_policy_LDADD = $(ROUTE_UNIT_LDADD)
tests_unit_test_route_SOURCES = tests/unit/test_route.c \
	tests/unit/test_route_util.c tests/unit/test_route_util.h
tests_unit_test_route_CFLAGS = $(ROUTE_UNIT_CFLAGS)
tests_unit_test_route_LDADD = $(ROUTE_UNIT_LDADD)
tests_unit_test_dns_SOURCES = tests/unit/test_dns.c \
	tests/unit/test_route_util.c tests/unit/test_route_util.h
tests_unit_test_dns_CFLAGS = $(ROUTE_UNIT_CFLAGS) $(CARES_CFLAGS)
tests_unit_test_dns_LDADD = $(ROUTE_UNIT_LDADD)
endif
