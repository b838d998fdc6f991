# sip/: the SIP side (Sofia-SIP nta), see DESIGN.md §5 and docs/sip-edge.md
noinst_LIBRARIES += sip/libsip.a
sip_libsip_a_SOURCES = \
	sip/sip.c sip/sip.h sip/sip_core.h \
	sip/sip_txn.c sip/sip_txn.h \
	sip/sip_tls.c sip/sip_tls.h \
	sip/sip_out.c sip/sip_out.h \
	sip/sip_edge.c sip/sip_edge.h \
	sip/sip_conv.c sip/sip_conv.h \
	sip/sip_page.c sip/sip_page.h \
	sip/sip_sub.c sip/sip_sub.h \
	sip/sip_im.c sip/sip_im.h \
	sip/sip_echo.c sip/sip_echo.h
sip_libsip_a_CFLAGS = $(AM_CFLAGS) $(SOFIA_CFLAGS) $(OPENSSL_CFLAGS)
SIP_LIBS = sip/libsip.a $(XLATE_LIBS) $(SOFIA_LIBS) $(OPENSSL_LIBS)

# Integration tests: the edge is SIPp over TCP behind socat TLS (tests/lib/sipp.sh)
TESTS += tests/integration/sip-tls.sh tests/integration/sip-message.sh \
	tests/integration/sip-subscribe.sh tests/integration/sip-im.sh
EXTRA_DIST += tests/sipp

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_sip_conv
TESTS += tests/unit/test_sip_conv
tests_unit_test_sip_conv_SOURCES = tests/unit/test_sip_conv.c sip/sip_conv.c sip/sip_conv.h
tests_unit_test_sip_conv_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(SOFIA_CFLAGS)
tests_unit_test_sip_conv_LDADD = $(XLATE_LIBS) $(CORE_LIBS) $(CMOCKA_LIBS)
endif
