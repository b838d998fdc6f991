# xmpp/: the XMPP server-to-server side (DESIGN.md §4, docs/xmpp-federation.md)
noinst_LIBRARIES += xmpp/libxmpp.a
xmpp_libxmpp_a_SOURCES = \
	xmpp/xmpp.c xmpp/xmpp.h \
	xmpp/s2s.c xmpp/s2s.h xmpp/s2s_int.h xmpp/s2s_in.c xmpp/s2s_out.c \
	xmpp/s2s_recv.c \
	xmpp/link.c xmpp/link.h \
	xmpp/conn.c xmpp/conn.h \
	xmpp/tls.c xmpp/tls.h \
	xmpp/dialback.c xmpp/dialback.h \
	xmpp/parser.c xmpp/parser.h \
	xmpp/stanza.c xmpp/stanza.h \
	xmpp/stanza_conv.c xmpp/stanza_conv.h \
	xmpp/echo.c xmpp/echo.h
xmpp_libxmpp_a_CFLAGS = $(AM_CFLAGS) $(IDN2_CFLAGS) $(EXPAT_CFLAGS) $(OPENSSL_CFLAGS) $(LIBEVENT_CFLAGS)
XMPP_LIBS = xmpp/libxmpp.a $(XLATE_LIBS) $(EXPAT_LIBS) $(OPENSSL_LIBS) $(LIBEVENT_LIBS)

# integration tests against real peers (Prosody, ejabberd, raw test peers)
TESTS += tests/integration/xmpp-prosody-tls.sh \
	tests/integration/xmpp-prosody-secure.sh \
	tests/integration/xmpp-prosody-plain.sh \
	tests/integration/xmpp-refusals.sh \
	tests/integration/xmpp-refusals-certs.sh \
	tests/integration/xmpp-ejabberd.sh \
	tests/integration/xmpp-prosody-direct-tls.sh \
	tests/integration/xmpp-lifecycle.sh \
	tests/integration/xmpp-sasl-fallback.sh \
	tests/integration/xmpp-bidi.sh \
	tests/integration/xmpp-bidi-sip.sh \
	tests/integration/xmpp-bidi-raw.sh \
	tests/integration/xmpp-dead-peer.sh \
	tests/integration/xmpp-limits.sh

if HAVE_CMOCKA
XMPP_UNIT = tests/unit/test_xmpp_dialback tests/unit/test_xmpp_parser \
	tests/unit/test_xmpp_stanza tests/unit/test_xmpp_connect \
	tests/unit/test_xmpp_link
check_PROGRAMS += $(XMPP_UNIT)
TESTS += $(XMPP_UNIT)
XMPP_UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(EXPAT_CFLAGS) $(OPENSSL_CFLAGS) $(LIBEVENT_CFLAGS)
XMPP_UNIT_LDADD = $(XMPP_LIBS) $(CORE_LIBS) $(CMOCKA_LIBS)
tests_unit_test_xmpp_dialback_SOURCES = tests/unit/test_xmpp_dialback.c
tests_unit_test_xmpp_dialback_CFLAGS = $(XMPP_UNIT_CFLAGS)
tests_unit_test_xmpp_dialback_LDADD = $(XMPP_UNIT_LDADD)
tests_unit_test_xmpp_parser_SOURCES = tests/unit/test_xmpp_parser.c
tests_unit_test_xmpp_parser_CFLAGS = $(XMPP_UNIT_CFLAGS)
tests_unit_test_xmpp_parser_LDADD = $(XMPP_UNIT_LDADD)
tests_unit_test_xmpp_stanza_SOURCES = tests/unit/test_xmpp_stanza.c
tests_unit_test_xmpp_stanza_CFLAGS = $(XMPP_UNIT_CFLAGS)
tests_unit_test_xmpp_stanza_LDADD = $(XMPP_UNIT_LDADD)
# the routing engine is mocked in the test itself (xmpp/'s calls are wrapped)
tests_unit_test_xmpp_connect_SOURCES = tests/unit/test_xmpp_connect.c
tests_unit_test_xmpp_connect_CFLAGS = $(XMPP_UNIT_CFLAGS)
tests_unit_test_xmpp_connect_LDADD = $(XMPP_UNIT_LDADD)
tests_unit_test_xmpp_connect_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=route_lookup \
	-Wl,--wrap=route_cancel -Wl,--wrap=route_step_name
# xmpp/link.c alone: the s2s functions it calls are mocked in the test
tests_unit_test_xmpp_link_SOURCES = tests/unit/test_xmpp_link.c \
	tests/unit/test_route_util.c tests/unit/test_route_util.h
tests_unit_test_xmpp_link_CFLAGS = $(XMPP_UNIT_CFLAGS)
tests_unit_test_xmpp_link_LDADD = $(XMPP_UNIT_LDADD)
endif
