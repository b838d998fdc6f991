# xmpp/: the XMPP server-to-server side (DESIGN.md §4, docs/xmpp-federation.md)
noinst_LIBRARIES += xmpp/libxmpp.a
xmpp_libxmpp_a_SOURCES = \
	xmpp/xmpp.c xmpp/xmpp.h \
	xmpp/s2s.c xmpp/s2s.h xmpp/s2s_int.h xmpp/s2s_in.c xmpp/s2s_out.c \
	xmpp/link.c xmpp/link.h \
	xmpp/conn.c xmpp/conn.h \
	xmpp/tls.c xmpp/tls.h \
	xmpp/dialback.c xmpp/dialback.h \
	xmpp/parser.c xmpp/parser.h \
	xmpp/stanza.c xmpp/stanza.h \
	xmpp/stanza_conv.c xmpp/stanza_conv.h \
	xmpp/echo.c xmpp/echo.h
xmpp_libxmpp_a_CFLAGS = $(AM_CFLAGS) $(EXPAT_CFLAGS) $(OPENSSL_CFLAGS) $(LIBEVENT_CFLAGS)
XMPP_LIBS = xmpp/libxmpp.a $(EXPAT_LIBS) $(OPENSSL_LIBS) $(LIBEVENT_LIBS)

# integration tests against real peers (Prosody, ejabberd, raw test peers)
TESTS += tests/integration/xmpp-prosody-tls.sh \
	tests/integration/xmpp-prosody-secure.sh \
	tests/integration/xmpp-prosody-plain.sh \
	tests/integration/xmpp-refusals.sh \
	tests/integration/xmpp-refusals-certs.sh
