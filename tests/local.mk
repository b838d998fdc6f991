# tests/: unit tests (cmocka), config golden files, layering, integration.
# Every test speaks TAP (see Makefile.am); ./quickstart test runs them all.
TESTS += tests/layering.sh tests/config/run.sh tests/docs.sh \
	tests/integration/reload.sh tests/integration/check.sh
EXTRA_DIST += tests/lib tests/layering.sh tests/docs.sh tests/config tests/integration

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_config
TESTS += tests/unit/test_config
tests_unit_test_config_SOURCES = tests/unit/test_config.c
tests_unit_test_config_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_config_LDADD = $(CORE_LIBS) $(CMOCKA_LIBS)
check_PROGRAMS += tests/unit/test_hmap
TESTS += tests/unit/test_hmap
tests_unit_test_hmap_SOURCES = tests/unit/test_hmap.c
tests_unit_test_hmap_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_hmap_LDADD = $(CORE_LIBS) $(CMOCKA_LIBS)
endif
