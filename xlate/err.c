/*
 * err: RFC 7247 §7 error tables, RFC 6120 §8.3 names and default types.
 */
#include <stddef.h>
#include <string.h>

#include "xlate/err.h"

/* Indexed by enum xl_err_cond: name, RFC 6120 default type, SIP code. */
static const struct {
	const char	*name;
	enum xl_err_type type;
	int		 sip;
} conds[] = {
	[XL_ERR_NONE]			 = { NULL, XL_ERRT_CANCEL, 500 },
	[XL_ERR_BAD_REQUEST]		 = { "bad-request", XL_ERRT_MODIFY, 400 },
	[XL_ERR_CONFLICT]		 = { "conflict", XL_ERRT_CANCEL, 400 },
	[XL_ERR_FEATURE_NOT_IMPLEMENTED] = { "feature-not-implemented",
					     XL_ERRT_CANCEL, 405 },
	[XL_ERR_FORBIDDEN]		 = { "forbidden", XL_ERRT_AUTH, 403 },
	[XL_ERR_GONE]			 = { "gone", XL_ERRT_CANCEL, 301 },
	[XL_ERR_INTERNAL_SERVER_ERROR]	 = { "internal-server-error",
					     XL_ERRT_CANCEL, 500 },
	[XL_ERR_ITEM_NOT_FOUND]		 = { "item-not-found", XL_ERRT_CANCEL, 404 },
	[XL_ERR_JID_MALFORMED]		 = { "jid-malformed", XL_ERRT_MODIFY, 400 },
	[XL_ERR_NOT_ACCEPTABLE]		 = { "not-acceptable", XL_ERRT_MODIFY, 406 },
	[XL_ERR_NOT_ALLOWED]		 = { "not-allowed", XL_ERRT_CANCEL, 405 },
	[XL_ERR_NOT_AUTHORIZED]		 = { "not-authorized", XL_ERRT_AUTH, 401 },
	[XL_ERR_POLICY_VIOLATION]	 = { "policy-violation", XL_ERRT_MODIFY,
					     403 },
	[XL_ERR_RECIPIENT_UNAVAILABLE]	 = { "recipient-unavailable",
					     XL_ERRT_WAIT, 480 },
	[XL_ERR_REDIRECT]		 = { "redirect", XL_ERRT_MODIFY, 302 },
	[XL_ERR_REGISTRATION_REQUIRED]	 = { "registration-required",
					     XL_ERRT_AUTH, 400 },
	[XL_ERR_REMOTE_SERVER_NOT_FOUND] = { "remote-server-not-found",
					     XL_ERRT_CANCEL, 404 },
	[XL_ERR_REMOTE_SERVER_TIMEOUT]	 = { "remote-server-timeout",
					     XL_ERRT_WAIT, 408 },
	[XL_ERR_RESOURCE_CONSTRAINT]	 = { "resource-constraint", XL_ERRT_WAIT,
					     500 },
	[XL_ERR_SERVICE_UNAVAILABLE]	 = { "service-unavailable",
					     XL_ERRT_CANCEL, 503 },
	[XL_ERR_SUBSCRIPTION_REQUIRED]	 = { "subscription-required",
					     XL_ERRT_AUTH, 400 },
	[XL_ERR_UNDEFINED_CONDITION]	 = { "undefined-condition",
					     XL_ERRT_CANCEL, 400 },
	[XL_ERR_UNEXPECTED_REQUEST]	 = { "unexpected-request", XL_ERRT_WAIT,
					     491 },
};
#define NCONDS (sizeof(conds) / sizeof(conds[0]))

/* RFC 7247 §7.2, SIP code -> condition; the rest go by their class. */
static const struct {
	int		 code;
	enum xl_err_cond cond;
} sip_codes[] = {
	{ 300, XL_ERR_REDIRECT }, { 301, XL_ERR_GONE }, { 302, XL_ERR_REDIRECT },
	{ 305, XL_ERR_REDIRECT }, { 380, XL_ERR_REDIRECT },
	{ 400, XL_ERR_BAD_REQUEST }, { 401, XL_ERR_NOT_AUTHORIZED },
	{ 402, XL_ERR_BAD_REQUEST }, { 403, XL_ERR_FORBIDDEN },
	{ 404, XL_ERR_ITEM_NOT_FOUND }, { 405, XL_ERR_FEATURE_NOT_IMPLEMENTED },
	{ 406, XL_ERR_NOT_ACCEPTABLE }, { 407, XL_ERR_NOT_AUTHORIZED },
	{ 408, XL_ERR_REMOTE_SERVER_TIMEOUT }, { 410, XL_ERR_GONE },
	{ 413, XL_ERR_BAD_REQUEST }, { 414, XL_ERR_BAD_REQUEST },
	{ 415, XL_ERR_BAD_REQUEST }, { 416, XL_ERR_BAD_REQUEST },
	{ 417, XL_ERR_BAD_REQUEST }, { 420, XL_ERR_BAD_REQUEST },
	{ 421, XL_ERR_BAD_REQUEST }, { 422, XL_ERR_BAD_REQUEST },
	{ 423, XL_ERR_BAD_REQUEST },
	{ 480, XL_ERR_RECIPIENT_UNAVAILABLE }, { 481, XL_ERR_ITEM_NOT_FOUND },
	{ 482, XL_ERR_NOT_ACCEPTABLE }, { 483, XL_ERR_NOT_ACCEPTABLE },
	{ 484, XL_ERR_ITEM_NOT_FOUND }, { 485, XL_ERR_ITEM_NOT_FOUND },
	{ 486, XL_ERR_RECIPIENT_UNAVAILABLE }, { 487, XL_ERR_SERVICE_UNAVAILABLE },
	{ 488, XL_ERR_NOT_ACCEPTABLE }, { 489, XL_ERR_POLICY_VIOLATION },
	{ 491, XL_ERR_UNEXPECTED_REQUEST }, { 493, XL_ERR_SERVICE_UNAVAILABLE },
	{ 500, XL_ERR_INTERNAL_SERVER_ERROR },
	{ 501, XL_ERR_FEATURE_NOT_IMPLEMENTED },
	{ 502, XL_ERR_REMOTE_SERVER_NOT_FOUND },
	{ 503, XL_ERR_SERVICE_UNAVAILABLE }, { 504, XL_ERR_REMOTE_SERVER_TIMEOUT },
	{ 505, XL_ERR_SERVICE_UNAVAILABLE }, { 513, XL_ERR_BAD_REQUEST },
	{ 600, XL_ERR_SERVICE_UNAVAILABLE }, { 603, XL_ERR_SERVICE_UNAVAILABLE },
	{ 604, XL_ERR_ITEM_NOT_FOUND }, { 606, XL_ERR_NOT_ACCEPTABLE },
};

static enum xl_err_cond
sip_code_cond(int code)
{
	for (size_t i = 0; i < sizeof(sip_codes) / sizeof(sip_codes[0]); i++)
		if (sip_codes[i].code == code)
			return sip_codes[i].cond;
	return XL_ERR_NONE;
}

enum xl_err_type
xl_err_default_type(enum xl_err_cond cond)
{
	return (size_t)cond < NCONDS ? conds[cond].type : XL_ERRT_CANCEL;
}

void
xl_err_set(struct xl_err *e, enum xl_err_cond cond)
{
	memset(e, 0, sizeof(*e));
	e->cond = cond;
	e->type = xl_err_default_type(cond);
}

int
xl_err_from_sip(int code, const char *reason, struct xl_err *e)
{
	enum xl_err_cond cond;

	if (code < 300 || code > 699)
		return XL_E_SYNTAX;
	cond = sip_code_cond(code);
	if (cond == XL_ERR_NONE)			/* unknown: its x00 */
		cond = sip_code_cond(code / 100 * 100);
	xl_err_set(e, cond);
	e->sip_code = code;
	e->text = reason;
	return XL_OK;
}

int
xl_err_to_sip(const struct xl_err *e)
{
	if (e->sip_code >= 300 && e->sip_code <= 699)
		return e->sip_code;
	if ((size_t)e->cond >= NCONDS)
		return 500;
	/* A 3xx without the new address to put in Contact would mislead. */
	if (e->cond == XL_ERR_GONE && e->redirect == NULL)
		return 410;
	if (e->cond == XL_ERR_REDIRECT && e->redirect == NULL)
		return 480;
	return conds[e->cond].sip;
}

const char *
xl_err_cond_name(enum xl_err_cond cond)
{
	return (size_t)cond < NCONDS ? conds[cond].name : NULL;
}

int
xl_err_cond_parse(const char *name, enum xl_err_cond *cond)
{
	for (size_t i = 1; i < NCONDS; i++)
		if (strcmp(conds[i].name, name) == 0) {
			*cond = (enum xl_err_cond)i;
			return XL_OK;
		}
	return XL_E_SYNTAX;
}

static const char *const type_names[] = {
	[XL_ERRT_CANCEL] = "cancel", [XL_ERRT_CONTINUE] = "continue",
	[XL_ERRT_MODIFY] = "modify", [XL_ERRT_AUTH] = "auth",
	[XL_ERRT_WAIT] = "wait",
};

const char *
xl_err_type_name(enum xl_err_type type)
{
	return (size_t)type < 5 ? type_names[type] : NULL;
}

int
xl_err_type_parse(const char *name, enum xl_err_type *type)
{
	for (size_t i = 0; i < 5; i++)
		if (strcmp(type_names[i], name) == 0) {
			*type = (enum xl_err_type)i;
			return XL_OK;
		}
	return XL_E_SYNTAX;
}

/* RFC 6120 §4.9.3 stream conditions and the 5xx their lost stanzas get. */
static const struct {
	const char	*name;
	int		 sip;
} stream_conds[] = {
	{ "bad-format", 502 }, { "bad-namespace-prefix", 502 },
	{ "conflict", 500 }, { "connection-timeout", 504 },
	{ "host-gone", 502 }, { "host-unknown", 502 },
	{ "improper-addressing", 502 }, { "internal-server-error", 500 },
	{ "invalid-from", 500 }, { "invalid-namespace", 502 },
	{ "invalid-xml", 502 }, { "not-authorized", 500 },
	{ "not-well-formed", 502 }, { "policy-violation", 500 },
	{ "remote-connection-failed", 502 }, { "reset", 500 },
	{ "resource-constraint", 500 }, { "restricted-xml", 502 },
	{ "see-other-host", 500 }, { "system-shutdown", 503 },
	{ "undefined-condition", 500 }, { "unsupported-encoding", 502 },
	{ "unsupported-feature", 502 }, { "unsupported-stanza-type", 502 },
	{ "unsupported-version", 502 },
};

int
xl_err_stream_to_sip(const char *stream_cond)
{
	for (size_t i = 0; stream_cond &&
	    i < sizeof(stream_conds) / sizeof(stream_conds[0]); i++)
		if (strcmp(stream_conds[i].name, stream_cond) == 0)
			return stream_conds[i].sip;
	return 500;
}

static const struct {
	int		 code;
	const char	*reason;
} reasons[] = {
	{ 200, "OK" }, { 202, "Accepted" },
	{ 300, "Multiple Choices" }, { 301, "Moved Permanently" },
	{ 302, "Moved Temporarily" }, { 305, "Use Proxy" },
	{ 380, "Alternative Service" },
	{ 400, "Bad Request" }, { 401, "Unauthorized" },
	{ 402, "Payment Required" }, { 403, "Forbidden" }, { 404, "Not Found" },
	{ 405, "Method Not Allowed" }, { 406, "Not Acceptable" },
	{ 407, "Proxy Authentication Required" }, { 408, "Request Timeout" },
	{ 410, "Gone" }, { 413, "Request Entity Too Large" },
	{ 414, "Request-URI Too Long" }, { 415, "Unsupported Media Type" },
	{ 416, "Unsupported URI Scheme" }, { 420, "Bad Extension" },
	{ 421, "Extension Required" }, { 423, "Interval Too Brief" },
	{ 480, "Temporarily Unavailable" },
	{ 481, "Call/Transaction Does Not Exist" }, { 482, "Loop Detected" },
	{ 483, "Too Many Hops" }, { 484, "Address Incomplete" },
	{ 485, "Ambiguous" }, { 486, "Busy Here" }, { 487, "Request Terminated" },
	{ 488, "Not Acceptable Here" }, { 489, "Bad Event" },
	{ 491, "Request Pending" }, { 493, "Undecipherable" },
	{ 500, "Server Internal Error" }, { 501, "Not Implemented" },
	{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
	{ 504, "Server Time-out" }, { 505, "Version Not Supported" },
	{ 513, "Message Too Large" }, { 600, "Busy Everywhere" },
	{ 603, "Decline" }, { 604, "Does Not Exist Anywhere" },
	{ 606, "Not Acceptable" },
};

const char *
xl_sip_reason(int code)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == code)
			return reasons[i].reason;
	switch (code / 100) {
	case 2:	return "OK";
	case 3:	return "Redirection";
	case 4:	return "Client Error";
	case 5:	return "Server Error";
	case 6:	return "Global Failure";
	}
	return "Unknown";
}
