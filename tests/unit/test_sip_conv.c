/*
 * test_sip_conv: the SIP syntax side of the conversions (sip/sip_conv.c),
 * alone: Sofia URLs to xl_addr, Content-Type text, status for an error,
 * the SDP of a Lync IM session. What the bodies and addresses mean is
 * tested with xlate/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <sofia-sip/sip_header.h>

#include "sip/sip_conv.h"

static void
test_addr_from_url(void **state)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	struct xl_addr a;
	url_t *u;

	u = url_make(home, "sip:Alice@Sip.Test:5061;transport=tls");
	assert_int_equal(sip_conv_addr_from_url(u, &a), 0);
	assert_string_equal(a.user, "alice");
	assert_string_equal(a.domain, "sip.test");
	assert_string_equal(a.resource, "");
	/* escaped user, GRUU */
	u = url_make(home, "sip:j%20doe@sip.test;gr=urn:uuid:1234");
	assert_int_equal(sip_conv_addr_from_url(u, &a), 0);
	assert_string_equal(a.user, "j doe");
	assert_string_equal(a.resource, "urn:uuid:1234");
	/* refused: a bad escape, no URL */
	u = url_make(home, "sip:a%zz@sip.test");
	assert_int_not_equal(sip_conv_addr_from_url(u, &a), 0);
	assert_int_equal(sip_conv_addr_from_url(NULL, &a), -1);
	su_home_deinit(home);
}

static void
test_addr_to_uri(void **state)
{
	struct xl_addr a;
	char buf[128], small[8];

	memset(&a, 0, sizeof(a));
	strcpy(a.user, "j doe");
	strcpy(a.domain, "xmpp.test");
	assert_int_equal(sip_conv_addr_to_uri(&a, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "sip:j%20doe@xmpp.test");
	assert_int_equal(sip_conv_addr_to_uri(&a, small, sizeof(small)), -1);
}

static void
test_ctype(void **state)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	sip_content_type_t *ct;
	char buf[64], small[12];

	ct = sip_content_type_make(home, "text/plain; charset=UTF-8");
	assert_non_null(ct);
	assert_int_equal(sip_conv_ctype(ct, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "text/plain;charset=UTF-8");
	assert_int_equal(sip_conv_ctype(ct, small, sizeof(small)), -1);
	assert_int_equal(sip_conv_ctype(NULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	su_home_deinit(home);
}

static void
test_status(void **state)
{
	struct xl_err e;
	const char *phrase;

	assert_int_equal(sip_conv_status(NULL, &phrase), 200);
	assert_string_equal(phrase, "OK");
	memset(&e, 0, sizeof(e));
	e.cond = XL_ERR_ITEM_NOT_FOUND;
	assert_int_equal(sip_conv_status(&e, &phrase), 404);
	assert_string_equal(phrase, "Not Found");
	e.sip_code = 486;		/* an error that came from SIP keeps its code */
	assert_int_equal(sip_conv_status(&e, &phrase), 486);
}

static void
test_sdp(void **state)
{
	char buf[512];

	assert_true(sip_conv_sdp_make("gw.sip.test", 5061, "null", buf,
	    sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "m=message 5061 sip null\r\n"));
	assert_non_null(strstr(buf, "c=IN IP4 gw.sip.test\r\n"));
	assert_true(sip_conv_sdp_has_message(buf, strlen(buf)));
	assert_false(sip_conv_sdp_has_message("v=0\r\nm=audio 4000 RTP/AVP 0\r\n",
	    29));
	assert_false(sip_conv_sdp_has_message("m=message", 9));
	assert_int_equal(sip_conv_sdp_make("gw.sip.test", 5061, "null", buf, 40),
	    -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_from_url),
		cmocka_unit_test(test_addr_to_uri),
		cmocka_unit_test(test_ctype),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_sdp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
