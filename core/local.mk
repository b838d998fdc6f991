# core/: loop, config, log, control socket (and later DNS, routing, policy)
noinst_LIBRARIES += core/libcore.a
core_libcore_a_SOURCES = \
	core/log.c core/log.h \
	core/loop.c core/loop.h \
	core/config.c core/config.h \
	core/ctl.c core/ctl.h \
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
