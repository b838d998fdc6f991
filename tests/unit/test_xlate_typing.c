/*
 * Unit tests of xlate/typing: RFC 3994 isComposing and Lync KeyboardActivity
 * <-> XEP-0085 chat states, round trips and hostile bodies.
 */
#include "tests/unit/xl_cases.h"

#include "xlate/typing.h"

#define ISC(x) "<?xml version='1.0' encoding='UTF-8'?><isComposing " \
	"xmlns='urn:ietf:params:xml:ns:im-iscomposing'>" x "</isComposing>"

static const struct {
	const char		*what, *doc;
	int			 rc;
	enum xl_chat_state	 cs;
	unsigned		 refresh;
} isc_rows[] = {
	{ "active with refresh", ISC("<state>active</state><contenttype>"
	  "text/plain</contenttype><refresh>60</refresh>"), 0, XL_CS_COMPOSING,
	  60 },
	{ "active without refresh", ISC("<state>active</state>"), 0,
	  XL_CS_COMPOSING, 0 },
	{ "idle", ISC("<state>idle</state><lastactive>2024-01-01T10:00:00Z"
	  "</lastactive>"), 0, XL_CS_PAUSED, 0 },
	{ "state with spaces", ISC("<state> active </state>"), 0,
	  XL_CS_COMPOSING, 0 },
	{ "unknown state", ISC("<state>typing</state>"), XL_E_SYNTAX },
	{ "no state", ISC("<refresh>60</refresh>"), XL_E_SYNTAX },
	{ "zero refresh", ISC("<state>active</state><refresh>0</refresh>"),
	  XL_E_SYNTAX },
	{ "bad refresh", ISC("<state>active</state><refresh>6x</refresh>"),
	  XL_E_SYNTAX },
	{ "huge refresh", ISC("<state>active</state><refresh>99999999</refresh>"),
	  XL_E_SYNTAX },
	{ "wrong namespace", "<isComposing><state>active</state></isComposing>",
	  XL_E_SYNTAX },
	{ "not XML", "active", XL_E_XML },
	{ "DOCTYPE", "<!DOCTYPE isComposing>" ISC("<state>idle</state>"),
	  XL_E_XML },
};

static void
test_isc_parse(void **state)
{
	const size_t i = (size_t)(uintptr_t)*state;
	enum xl_chat_state cs = XL_CS_NONE;
	unsigned refresh = 12345;
	int rc = xl_iscomposing_parse(isc_rows[i].doc, strlen(isc_rows[i].doc),
	    &cs, &refresh);

	assert_int_equal(rc, isc_rows[i].rc);
	if (rc == 0) {
		assert_int_equal(cs, isc_rows[i].cs);
		assert_int_equal(refresh, isc_rows[i].refresh);
	}
}

/* XMPP chat state -> isComposing -> XMPP. */
static const struct {
	enum xl_chat_state	 cs, back;
	unsigned		 refresh, want_refresh;
} isc_trips[] = {
	{ XL_CS_COMPOSING, XL_CS_COMPOSING, 0, XL_ISCOMPOSING_REFRESH },
	{ XL_CS_COMPOSING, XL_CS_COMPOSING, 30, 30 },
	{ XL_CS_PAUSED, XL_CS_PAUSED, 0, 0 },
	{ XL_CS_ACTIVE, XL_CS_PAUSED, 0, 0 },
	{ XL_CS_INACTIVE, XL_CS_PAUSED, 0, 0 },
	{ XL_CS_GONE, XL_CS_PAUSED, 0, 0 },
};

static void
test_isc_roundtrip(void **state)
{
	const size_t i = (size_t)(uintptr_t)*state;
	enum xl_chat_state cs;
	unsigned refresh;
	char doc[512];

	assert_int_equal(xl_iscomposing_write(isc_trips[i].cs,
	    isc_trips[i].refresh, doc, sizeof(doc)), 0);
	assert_int_equal(xl_iscomposing_parse(doc, strlen(doc), &cs, &refresh), 0);
	assert_int_equal(cs, isc_trips[i].back);
	assert_int_equal(refresh, isc_trips[i].want_refresh);
}

static void
test_isc_write_errors(void **state)
{
	char doc[512];

	assert_int_equal(xl_iscomposing_write(XL_CS_NONE, 0, doc, sizeof(doc)),
	    XL_E_UNMAPPABLE);
	assert_int_equal(xl_iscomposing_write(XL_CS_COMPOSING, 0, doc, 20),
	    XL_E_TRUNC);
}

#define KB(x) "<?xml version=\"1.0\"?><KeyboardActivity>" x "</KeyboardActivity>"

static const struct {
	const char		*what, *doc;
	int			 rc;
	enum xl_chat_state	 cs;
} kb_rows[] = {
	{ "type", KB("<status status=\"type\" />"), 0, XL_CS_COMPOSING },
	{ "idle", KB("<status status=\"idle\" />"), 0, XL_CS_PAUSED },
	{ "unknown status", KB("<status status=\"sleep\" />"), XL_E_SYNTAX },
	{ "no status attribute", KB("<status/>"), XL_E_SYNTAX },
	{ "no status element", KB(""), XL_E_SYNTAX },
	{ "wrong root", "<Keyboard><status status='type'/></Keyboard>",
	  XL_E_SYNTAX },
	{ "processing instruction", KB("<?x y?><status status='type'/>"),
	  XL_E_XML },
};

static void
test_kb_parse(void **state)
{
	const size_t i = (size_t)(uintptr_t)*state;
	enum xl_chat_state cs = XL_CS_NONE;

	assert_int_equal(xl_keyboard_parse(kb_rows[i].doc, strlen(kb_rows[i].doc),
	    &cs), kb_rows[i].rc);
	if (kb_rows[i].rc == 0)
		assert_int_equal(cs, kb_rows[i].cs);
}

static const struct {
	enum xl_chat_state	 cs, back;
} kb_trips[] = {
	{ XL_CS_COMPOSING, XL_CS_COMPOSING }, { XL_CS_PAUSED, XL_CS_PAUSED },
	{ XL_CS_ACTIVE, XL_CS_PAUSED }, { XL_CS_GONE, XL_CS_PAUSED },
};

static void
test_kb_roundtrip(void **state)
{
	const size_t i = (size_t)(uintptr_t)*state;
	enum xl_chat_state cs;
	char doc[256];

	assert_int_equal(xl_keyboard_write(kb_trips[i].cs, doc, sizeof(doc)), 0);
	assert_int_equal(xl_keyboard_parse(doc, strlen(doc), &cs), 0);
	assert_int_equal(cs, kb_trips[i].back);
}

static void
test_kb_exact(void **state)
{
	char doc[256];

	assert_int_equal(xl_keyboard_write(XL_CS_COMPOSING, doc, sizeof(doc)), 0);
	assert_string_equal(doc, "<?xml version=\"1.0\"?>\n<KeyboardActivity>"
	    "<status status=\"type\" /></KeyboardActivity>\n");
	assert_int_equal(xl_keyboard_write(XL_CS_NONE, doc, sizeof(doc)),
	    XL_E_UNMAPPABLE);
}

static void
test_chat_state_names(void **state)
{
	static const char *const names[] = { "active", "composing", "paused",
	    "inactive", "gone" };
	enum xl_chat_state cs;

	for (int i = 0; i < 5; i++) {
		assert_int_equal(xl_chat_state_parse(names[i], &cs), 0);
		assert_int_equal(cs, XL_CS_ACTIVE + i);
		assert_string_equal(xl_chat_state_name(cs), names[i]);
	}
	assert_null(xl_chat_state_name(XL_CS_NONE));
	assert_int_equal(xl_chat_state_parse("typing", &cs), XL_E_SYNTAX);
}

int
main(void)
{
	for (size_t i = 0; i < XL_NELEM(isc_rows); i++)
		xl_case(test_isc_parse, (void *)(uintptr_t)i, "isComposing: %s",
		    isc_rows[i].what);
	for (size_t i = 0; i < XL_NELEM(isc_trips); i++)
		xl_case(test_isc_roundtrip, (void *)(uintptr_t)i,
		    "round trip %s -> isComposing -> %s",
		    xl_chat_state_name(isc_trips[i].cs),
		    xl_chat_state_name(isc_trips[i].back));
	xl_case(test_isc_write_errors, NULL, "isComposing write errors");
	for (size_t i = 0; i < XL_NELEM(kb_rows); i++)
		xl_case(test_kb_parse, (void *)(uintptr_t)i, "KeyboardActivity: %s",
		    kb_rows[i].what);
	for (size_t i = 0; i < XL_NELEM(kb_trips); i++)
		xl_case(test_kb_roundtrip, (void *)(uintptr_t)i,
		    "round trip %s -> KeyboardActivity -> %s",
		    xl_chat_state_name(kb_trips[i].cs),
		    xl_chat_state_name(kb_trips[i].back));
	xl_case(test_kb_exact, NULL, "KeyboardActivity as Lync writes it");
	xl_case(test_chat_state_names, NULL, "XEP-0085 chat state names");
	return xl_cases_run("xlate typing");
}
