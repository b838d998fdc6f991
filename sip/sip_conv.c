/*
 * sip_conv: see sip_conv.h.
 */
#include "config.h"

#include "sip/sip_conv.h"

#include <stdio.h>
#include <string.h>

#include <sofia-sip/msg_header.h>

#include "xlate/addr.h"
#include "xlate/err.h"

int
sip_conv_addr_from_url(const url_t *u, struct xl_addr *a)
{
	char uri[XL_URI_MAX];
	isize_t n;

	memset(a, 0, sizeof(*a));
	if (u == NULL)
		return -1;
	n = url_e(uri, sizeof(uri), u);
	if (n < 0 || (size_t)n >= sizeof(uri))
		return -1;
	return xl_addr_from_uri(uri, a) == 0 ? 0 : -1;
}

int
sip_conv_addr_to_uri(const struct xl_addr *a, char *buf, size_t len)
{
	return xl_addr_to_uri(a, "sip", 0, buf, len) == 0 ? 0 : -1;
}

int
sip_conv_ctype(const sip_content_type_t *ct, char *buf, size_t len)
{
	size_t n;

	buf[0] = '\0';
	if (ct == NULL || ct->c_type == NULL)
		return 0;
	if ((n = (size_t)snprintf(buf, len, "%s", ct->c_type)) >= len)
		return -1;
	for (size_t i = 0; ct->c_params && ct->c_params[i]; i++) {
		int w = snprintf(buf + n, len - n, ";%s", ct->c_params[i]);
		if (w < 0 || (size_t)w >= len - n)
			return -1;
		n += (size_t)w;
	}
	return 0;
}

int
sip_conv_status(const struct xl_err *err, const char **phrase)
{
	int status = err ? xl_err_to_sip(err) : 200;

	*phrase = xl_sip_reason(status);
	return status;
}

int
sip_conv_sdp_has_message(const char *sdp, size_t len)
{
	const char *p = sdp, *end = sdp + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (ll > 10 && memcmp(p, "m=message ", 10) == 0)
			return 1;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return 0;
}

int
sip_conv_sdp_make(const char *host, unsigned port, const char *uri, char *buf,
    size_t len)
{
	int n = snprintf(buf, len,
	    "v=0\r\n"
	    "o=- 0 0 IN IP4 %s\r\n"
	    "s=session\r\n"
	    "c=IN IP4 %s\r\n"
	    "t=0 0\r\n"
	    "m=message %u sip %s\r\n"
	    "a=accept-types:text/plain\r\n", host, host, port, uri);
	return n < 0 || (size_t)n >= len ? -1 : n;
}
