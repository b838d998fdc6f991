# bench/: fgbench, the load tool (docs/performance.md), its run script and
# the CI smoke test. fgbench is built with "make" (not installed).
noinst_PROGRAMS += bench/fgbench
bench_fgbench_SOURCES = bench/fgbench.c \
	bench/bench.c bench/bench.h \
	bench/runner.c bench/runner.h \
	bench/sippeer.c bench/sippeer.h \
	bench/xmpppeer.c bench/xmpppeer.h \
	bench/conn.c bench/conn.h \
	bench/btls.c bench/btls.h \
	bench/sipwire.c bench/sipwire.h \
	bench/xmlstream.c bench/xmlstream.h \
	bench/dbkey.c bench/dbkey.h \
	bench/stats.c bench/stats.h \
	bench/obuf.c bench/obuf.h
bench_fgbench_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_OPENSSL_CFLAGS) \
	$(LIBEVENT_CFLAGS) $(OPENSSL_CFLAGS) $(EXPAT_CFLAGS)
bench_fgbench_LDADD = $(LIBEVENT_OPENSSL_LIBS) $(LIBEVENT_LIBS) \
	$(OPENSSL_LIBS) $(EXPAT_LIBS) -lm

TESTS += tests/integration/bench-smoke.sh tests/integration/bench-peers.sh
EXTRA_DIST += bench/run.sh bench/lib.sh tests/integration/bench-smoke.sh \
	tests/integration/bench-peers.sh

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_bench_wire
TESTS += tests/unit/test_bench_wire
tests_unit_test_bench_wire_SOURCES = tests/unit/test_bench_wire.c \
	bench/sipwire.c bench/xmlstream.c bench/dbkey.c bench/stats.c \
	bench/obuf.c
tests_unit_test_bench_wire_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	$(OPENSSL_CFLAGS) $(EXPAT_CFLAGS)
tests_unit_test_bench_wire_LDADD = $(CMOCKA_LIBS) $(OPENSSL_LIBS) \
	$(EXPAT_LIBS)
endif
