# gateway/: the daemon, its control tool, and the wiring of the sides
sbin_PROGRAMS += fedgated
bin_PROGRAMS += fedgatectl
fedgated_SOURCES = gateway/fedgated.c gateway/services.c \
	gateway/check.c gateway/check.h \
	gateway/gateway.c gateway/gateway.h
fedgated_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
fedgated_LDADD = $(SIP_LIBS) $(XMPP_LIBS) $(CORE_LIBS) $(OPENSSL_LIBS)
fedgatectl_SOURCES = gateway/fedgatectl.c
fedgatectl_LDADD = $(CORE_LIBS)

# end-to-end tests: the whole chain against real peers (issue 7)
TESTS += tests/integration/e2e-message.sh tests/integration/e2e-presence.sh \
	tests/integration/e2e-lync.sh tests/integration/e2e-restart.sh \
	tests/integration/e2e-email.sh tests/integration/e2e-clearinghouse.sh \
	tests/integration/e2e-kamailio.sh tests/integration/e2e-flow.sh
