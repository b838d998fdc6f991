# xlate/: the translation core (see DESIGN.md). Pure functions: no Sofia, no
# sockets; Expat only in the XML body helper xlate/body.c. Link $(XLATE_LIBS).
noinst_LIBRARIES += xlate/libxlate.a
xlate_libxlate_a_SOURCES = \
	xlate/xlate.c xlate/xlate.h \
	xlate/text.c xlate/text.h \
	xlate/addr.c xlate/addr.h \
	xlate/err.c xlate/err.h \
	xlate/body.c xlate/body.h \
	xlate/msg.c xlate/msg.h \
	xlate/pres.c xlate/pres.h \
	xlate/sub.c xlate/sub.h \
	xlate/typing.c xlate/typing.h \
	xlate/conv.c xlate/conv.h \
	xlate/email.c xlate/email.h
xlate_libxlate_a_CFLAGS = $(AM_CFLAGS) $(IDN2_CFLAGS) $(EXPAT_CFLAGS)
XLATE_LIBS = xlate/libxlate.a $(EXPAT_LIBS) $(IDN2_LIBS)

if HAVE_CMOCKA
XLATE_TESTS = tests/unit/test_xlate_addr tests/unit/test_xlate_err \
	tests/unit/test_xlate_xml tests/unit/test_xlate_msg \
	tests/unit/test_xlate_pres tests/unit/test_xlate_sub \
	tests/unit/test_xlate_typing tests/unit/test_xlate_conv \
	tests/unit/test_xlate_email
check_PROGRAMS += $(XLATE_TESTS)
TESTS += $(XLATE_TESTS)
XLATE_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -Wno-missing-field-initializers
XLATE_TEST_LDADD = $(XLATE_LIBS) $(CORE_LIBS) $(CMOCKA_LIBS)
tests_unit_test_xlate_addr_SOURCES = tests/unit/test_xlate_addr.c tests/unit/xl_cases.h
tests_unit_test_xlate_addr_CFLAGS = $(XLATE_TEST_CFLAGS)
tests_unit_test_xlate_addr_LDADD = $(XLATE_TEST_LDADD)
tests_unit_test_xlate_err_SOURCES = tests/unit/test_xlate_err.c tests/unit/xl_cases.h
tests_unit_test_xlate_err_CFLAGS = $(XLATE_TEST_CFLAGS)
tests_unit_test_xlate_err_LDADD = $(XLATE_TEST_LDADD)
tests_unit_test_xlate_xml_SOURCES = tests/unit/test_xlate_xml.c tests/unit/xl_cases.h
tests_unit_test_xlate_xml_CFLAGS = $(XLATE_TEST_CFLAGS)
tests_unit_test_xlate_xml_LDADD = $(XLATE_TEST_LDADD)
tests_unit_test_xlate_msg_SOURCES = tests/unit/test_xlate_msg.c tests/unit/xl_cases.h
tests_unit_test_xlate_msg_CFLAGS = $(XLATE_TEST_CFLAGS)
tests_unit_test_xlate_msg_LDADD = $(XLATE_TEST_LDADD)
tests_unit_test_xlate_pres_SOURCES = tests/unit/test_xlate_pres.c tests/unit/xl_cases.h
tests_unit_test_xlate_pres_CFLAGS = $(XLATE_TEST_CFLAGS)
tests_unit_test_xlate_pres_LDADD = $(XLATE_TEST_LDADD)
tests_unit_test_xlate_sub_SOURCES = tests/unit/test_xlate_sub.c tests/unit/xl_cases.h
tests_unit_test_xlate_sub_CFLAGS = $(XLATE_TEST_CFLAGS)
tests_unit_test_xlate_sub_LDADD = $(XLATE_TEST_LDADD)
tests_unit_test_xlate_typing_SOURCES = tests/unit/test_xlate_typing.c tests/unit/xl_cases.h
tests_unit_test_xlate_typing_CFLAGS = $(XLATE_TEST_CFLAGS)
tests_unit_test_xlate_typing_LDADD = $(XLATE_TEST_LDADD)
tests_unit_test_xlate_conv_SOURCES = tests/unit/test_xlate_conv.c tests/unit/xl_cases.h
tests_unit_test_xlate_conv_CFLAGS = $(XLATE_TEST_CFLAGS)
tests_unit_test_xlate_conv_LDADD = $(XLATE_TEST_LDADD)
tests_unit_test_xlate_email_SOURCES = tests/unit/test_xlate_email.c tests/unit/xl_cases.h
tests_unit_test_xlate_email_CFLAGS = $(XLATE_TEST_CFLAGS)
tests_unit_test_xlate_email_LDADD = $(XLATE_TEST_LDADD)
endif
