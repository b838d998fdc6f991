/*
 * Unit tests of xlate/err: RFC 7247 §7 tables both ways, RFC 6120 names
 * and types, stream errors, xlate result codes. One TAP line per row.
 */
#include "tests/unit/xl_cases.h"

#include "xlate/err.h"

/* SIP failure code -> condition (RFC 7247 §7.2, and x00 fallback). */
static const struct {
	int		 code;
	enum xl_err_cond cond;
} sip_rows[] = {
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
	{ 423, XL_ERR_BAD_REQUEST }, { 480, XL_ERR_RECIPIENT_UNAVAILABLE },
	{ 481, XL_ERR_ITEM_NOT_FOUND }, { 482, XL_ERR_NOT_ACCEPTABLE },
	{ 483, XL_ERR_NOT_ACCEPTABLE }, { 484, XL_ERR_ITEM_NOT_FOUND },
	{ 485, XL_ERR_ITEM_NOT_FOUND }, { 486, XL_ERR_RECIPIENT_UNAVAILABLE },
	{ 487, XL_ERR_SERVICE_UNAVAILABLE }, { 488, XL_ERR_NOT_ACCEPTABLE },
	{ 489, XL_ERR_POLICY_VIOLATION }, { 491, XL_ERR_UNEXPECTED_REQUEST },
	{ 493, XL_ERR_SERVICE_UNAVAILABLE }, { 500, XL_ERR_INTERNAL_SERVER_ERROR },
	{ 501, XL_ERR_FEATURE_NOT_IMPLEMENTED },
	{ 502, XL_ERR_REMOTE_SERVER_NOT_FOUND },
	{ 503, XL_ERR_SERVICE_UNAVAILABLE }, { 504, XL_ERR_REMOTE_SERVER_TIMEOUT },
	{ 505, XL_ERR_SERVICE_UNAVAILABLE }, { 513, XL_ERR_BAD_REQUEST },
	{ 600, XL_ERR_SERVICE_UNAVAILABLE }, { 603, XL_ERR_SERVICE_UNAVAILABLE },
	{ 604, XL_ERR_ITEM_NOT_FOUND }, { 606, XL_ERR_NOT_ACCEPTABLE },
	/* not in the tables: treated as the x00 of the class */
	{ 399, XL_ERR_REDIRECT }, { 409, XL_ERR_BAD_REQUEST },
	{ 412, XL_ERR_BAD_REQUEST }, { 429, XL_ERR_BAD_REQUEST },
	{ 499, XL_ERR_BAD_REQUEST }, { 580, XL_ERR_INTERNAL_SERVER_ERROR },
	{ 699, XL_ERR_SERVICE_UNAVAILABLE },
};

static void
test_sip_to_cond(void **state)
{
	const int *row = *state;	/* code, cond */
	struct xl_err e;

	assert_int_equal(xl_err_from_sip(row[0], "reason", &e), 0);
	assert_int_equal(e.cond, row[1]);
	assert_int_equal(e.type, xl_err_default_type(e.cond));
	assert_int_equal(e.sip_code, row[0]);
	assert_string_equal(e.text, "reason");
	/* relayed back toward SIP, the original status is kept */
	assert_int_equal(xl_err_to_sip(&e), row[0]);
}

static const int bad_codes[] = { 0, -1, 100, 200, 299, 700, 1000 };

static void
test_sip_not_failure(void **state)
{
	const int *code = *state;
	struct xl_err e;

	assert_int_equal(xl_err_from_sip(*code, NULL, &e), XL_E_SYNTAX);
}

/* Condition -> SIP (RFC 7247 §7.1), for errors born in XMPP. */
static const struct {
	enum xl_err_cond cond;
	int		 code;
	const char	*redirect;
} cond_rows[] = {
	{ XL_ERR_BAD_REQUEST, 400 }, { XL_ERR_CONFLICT, 400 },
	{ XL_ERR_FEATURE_NOT_IMPLEMENTED, 405 }, { XL_ERR_FORBIDDEN, 403 },
	{ XL_ERR_GONE, 410 }, { XL_ERR_GONE, 301, "xmpp:new@example.com" },
	{ XL_ERR_INTERNAL_SERVER_ERROR, 500 }, { XL_ERR_ITEM_NOT_FOUND, 404 },
	{ XL_ERR_JID_MALFORMED, 400 }, { XL_ERR_NOT_ACCEPTABLE, 406 },
	{ XL_ERR_NOT_ALLOWED, 405 }, { XL_ERR_NOT_AUTHORIZED, 401 },
	{ XL_ERR_POLICY_VIOLATION, 403 }, { XL_ERR_RECIPIENT_UNAVAILABLE, 480 },
	{ XL_ERR_REDIRECT, 480 }, { XL_ERR_REDIRECT, 302, "xmpp:x@example.com" },
	{ XL_ERR_REGISTRATION_REQUIRED, 400 },
	{ XL_ERR_REMOTE_SERVER_NOT_FOUND, 404 },
	{ XL_ERR_REMOTE_SERVER_TIMEOUT, 408 }, { XL_ERR_RESOURCE_CONSTRAINT, 500 },
	{ XL_ERR_SERVICE_UNAVAILABLE, 503 }, { XL_ERR_SUBSCRIPTION_REQUIRED, 400 },
	{ XL_ERR_UNDEFINED_CONDITION, 400 }, { XL_ERR_UNEXPECTED_REQUEST, 491 },
};

static void
test_cond_to_sip(void **state)
{
	const size_t i = (size_t)(uintptr_t)*state;
	struct xl_err e;

	xl_err_set(&e, cond_rows[i].cond);
	e.redirect = cond_rows[i].redirect;
	assert_int_equal(xl_err_to_sip(&e), cond_rows[i].code);
}

/* SIP -> XMPP -> SIP with the code forgotten: these come back the same. */
static const int bijective[] = { 400, 401, 403, 404, 406, 408, 480, 491,
    500, 503 };

static void
test_code_roundtrip(void **state)
{
	const int *code = *state;
	struct xl_err e;

	assert_int_equal(xl_err_from_sip(*code, NULL, &e), 0);
	e.sip_code = 0;
	assert_int_equal(xl_err_to_sip(&e), *code);
}

static void
test_cond_name_roundtrip(void **state)
{
	enum xl_err_cond c = (enum xl_err_cond)(uintptr_t)*state, back;
	const char *name = xl_err_cond_name(c);

	assert_non_null(name);
	assert_int_equal(xl_err_cond_parse(name, &back), 0);
	assert_int_equal(back, c);
}

static const struct {
	enum xl_err_cond cond;
	const char	*name;
	enum xl_err_type type;
} name_rows[] = {
	{ XL_ERR_ITEM_NOT_FOUND, "item-not-found", XL_ERRT_CANCEL },
	{ XL_ERR_BAD_REQUEST, "bad-request", XL_ERRT_MODIFY },
	{ XL_ERR_FORBIDDEN, "forbidden", XL_ERRT_AUTH },
	{ XL_ERR_RECIPIENT_UNAVAILABLE, "recipient-unavailable", XL_ERRT_WAIT },
	{ XL_ERR_REMOTE_SERVER_TIMEOUT, "remote-server-timeout", XL_ERRT_WAIT },
	{ XL_ERR_SERVICE_UNAVAILABLE, "service-unavailable", XL_ERRT_CANCEL },
	{ XL_ERR_NOT_AUTHORIZED, "not-authorized", XL_ERRT_AUTH },
	{ XL_ERR_JID_MALFORMED, "jid-malformed", XL_ERRT_MODIFY },
	{ XL_ERR_POLICY_VIOLATION, "policy-violation", XL_ERRT_MODIFY },
	{ XL_ERR_RESOURCE_CONSTRAINT, "resource-constraint", XL_ERRT_WAIT },
};

static void
test_cond_name(void **state)
{
	const size_t i = (size_t)(uintptr_t)*state;

	assert_string_equal(xl_err_cond_name(name_rows[i].cond), name_rows[i].name);
	assert_int_equal(xl_err_default_type(name_rows[i].cond), name_rows[i].type);
}

static void
test_names_refused(void **state)
{
	enum xl_err_cond c;
	enum xl_err_type t;

	assert_int_equal(xl_err_cond_parse("no-such-condition", &c), XL_E_SYNTAX);
	assert_int_equal(xl_err_cond_parse("", &c), XL_E_SYNTAX);
	assert_int_equal(xl_err_cond_parse("Item-Not-Found", &c), XL_E_SYNTAX);
	assert_int_equal(xl_err_type_parse("later", &t), XL_E_SYNTAX);
	assert_null(xl_err_cond_name(XL_ERR_NONE));
	assert_null(xl_err_cond_name((enum xl_err_cond)99));
}

static void
test_type_names(void **state)
{
	static const char *const names[] = { "cancel", "continue", "modify",
	    "auth", "wait" };
	enum xl_err_type t;

	for (int i = 0; i < 5; i++) {
		assert_string_equal(xl_err_type_name((enum xl_err_type)i), names[i]);
		assert_int_equal(xl_err_type_parse(names[i], &t), 0);
		assert_int_equal(t, i);
	}
}

static const struct {
	const char	*name;
	int		 code;
} stream_rows[] = {
	{ "bad-format", 502 }, { "connection-timeout", 504 },
	{ "host-unknown", 502 }, { "host-gone", 502 }, { "invalid-from", 500 },
	{ "not-well-formed", 502 }, { "policy-violation", 500 },
	{ "remote-connection-failed", 502 }, { "system-shutdown", 503 },
	{ "undefined-condition", 500 }, { "unsupported-version", 502 },
	{ "see-other-host", 500 }, { "no-such-stream-error", 500 },
};

static void
test_stream(void **state)
{
	const size_t i = (size_t)(uintptr_t)*state;
	int code = xl_err_stream_to_sip(stream_rows[i].name);

	assert_int_equal(code, stream_rows[i].code);
	assert_true(code >= 500 && code <= 599);
}

/* xlate failures -> the stanza error and SIP status they are answered with. */
static const struct {
	int		 rc;
	enum xl_err_cond cond;
	int		 sip;
} status_rows[] = {
	{ XL_E_SYNTAX, XL_ERR_BAD_REQUEST, 400 },
	{ XL_E_TOOLONG, XL_ERR_BAD_REQUEST, 413 },
	{ XL_E_UTF8, XL_ERR_BAD_REQUEST, 400 },
	{ XL_E_UNMAPPABLE, XL_ERR_JID_MALFORMED, 400 },
	{ XL_E_SCHEME, XL_ERR_JID_MALFORMED, 416 },
	{ XL_E_IDNA, XL_ERR_JID_MALFORMED, 400 },
	{ XL_E_MEDIA, XL_ERR_NOT_ACCEPTABLE, 415 },
	{ XL_E_CHARSET, XL_ERR_NOT_ACCEPTABLE, 415 },
	{ XL_E_XML, XL_ERR_BAD_REQUEST, 400 },
	{ XL_E_DEPTH, XL_ERR_BAD_REQUEST, 400 },
	{ XL_E_STATE, XL_ERR_UNEXPECTED_REQUEST, 491 },
	{ XL_E_REFUSED, XL_ERR_FORBIDDEN, 403 },
	{ XL_E_NOTFOUND, XL_ERR_ITEM_NOT_FOUND, 404 },
	{ XL_E_NOMEM, XL_ERR_RESOURCE_CONSTRAINT, 503 },
	{ -999, XL_ERR_INTERNAL_SERVER_ERROR, 500 },
};

static void
test_status(void **state)
{
	const size_t i = (size_t)(uintptr_t)*state;
	struct xl_err e;

	xl_status_to_err(status_rows[i].rc, &e);
	assert_int_equal(e.cond, status_rows[i].cond);
	assert_int_equal(xl_err_to_sip(&e), status_rows[i].sip);
	assert_non_null(e.text);
	assert_string_equal(e.text, xl_strerror(status_rows[i].rc));
}

static void
test_reasons(void **state)
{
	assert_string_equal(xl_sip_reason(404), "Not Found");
	assert_string_equal(xl_sip_reason(415), "Unsupported Media Type");
	assert_string_equal(xl_sip_reason(503), "Service Unavailable");
	assert_string_equal(xl_sip_reason(499), "Client Error");
	assert_string_equal(xl_sip_reason(42), "Unknown");
}

int
main(void)
{
	static int pairs[XL_NELEM(sip_rows)][2];

	for (size_t i = 0; i < XL_NELEM(sip_rows); i++) {
		pairs[i][0] = sip_rows[i].code;
		pairs[i][1] = sip_rows[i].cond;
		xl_case(test_sip_to_cond, pairs[i], "sip %d -> %s", sip_rows[i].code,
		    xl_err_cond_name(sip_rows[i].cond));
	}
	for (size_t i = 0; i < XL_NELEM(bad_codes); i++)
		xl_case(test_sip_not_failure, (void *)&bad_codes[i],
		    "sip %d is not a failure code", bad_codes[i]);
	for (size_t i = 0; i < XL_NELEM(cond_rows); i++)
		xl_case(test_cond_to_sip, (void *)(uintptr_t)i, "%s%s -> sip %d",
		    xl_err_cond_name(cond_rows[i].cond),
		    cond_rows[i].redirect ? " with address" : "", cond_rows[i].code);
	for (size_t i = 0; i < XL_NELEM(bijective); i++)
		xl_case(test_code_roundtrip, (void *)&bijective[i],
		    "round trip sip %d -> xmpp -> sip", bijective[i]);
	for (int c = XL_ERR_BAD_REQUEST; c <= XL_ERR_UNEXPECTED_REQUEST; c++)
		xl_case(test_cond_name_roundtrip, (void *)(uintptr_t)c,
		    "condition name %s parses back", xl_err_cond_name(c));
	for (size_t i = 0; i < XL_NELEM(name_rows); i++)
		xl_case(test_cond_name, (void *)(uintptr_t)i, "%s is type %s",
		    name_rows[i].name, xl_err_type_name(name_rows[i].type));
	xl_case(test_names_refused, NULL, "unknown condition and type names");
	xl_case(test_type_names, NULL, "error type names both ways");
	for (size_t i = 0; i < XL_NELEM(stream_rows); i++)
		xl_case(test_stream, (void *)(uintptr_t)i, "stream error %s -> %d",
		    stream_rows[i].name, stream_rows[i].code);
	for (size_t i = 0; i < XL_NELEM(status_rows); i++)
		xl_case(test_status, (void *)(uintptr_t)i, "status %d (%s) -> %d",
		    status_rows[i].rc, xl_strerror(status_rows[i].rc),
		    status_rows[i].sip);
	xl_case(test_reasons, NULL, "SIP reason phrases");
	return xl_cases_run("xlate errors");
}
