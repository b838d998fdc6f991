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
SIP_LIBS = sip/libsip.a $(SOFIA_LIBS) $(OPENSSL_LIBS)
