/*
 * typing: isComposing and KeyboardActivity <-> chat states. See typing.h.
 */
#include <string.h>

#include "xlate/body.h"
#include "xlate/text.h"
#include "xlate/typing.h"

#define NS_ISCOMPOSING	"urn:ietf:params:xml:ns:im-iscomposing"

static const char *const cs_names[] = {
	[XL_CS_NONE] = NULL, [XL_CS_ACTIVE] = "active",
	[XL_CS_COMPOSING] = "composing", [XL_CS_PAUSED] = "paused",
	[XL_CS_INACTIVE] = "inactive", [XL_CS_GONE] = "gone",
};

const char *
xl_chat_state_name(enum xl_chat_state cs)
{
	return (size_t)cs < 6 ? cs_names[cs] : NULL;
}

int
xl_chat_state_parse(const char *name, enum xl_chat_state *cs)
{
	for (size_t i = 1; i < 6; i++)
		if (strcmp(cs_names[i], name) == 0) {
			*cs = (enum xl_chat_state)i;
			return XL_OK;
		}
	return XL_E_SYNTAX;
}

/* "90" -> 90; up to 6 digits, > 0 (RFC 3994: refresh is positive). */
static int
parse_refresh(const struct xl_xml_node *n, unsigned *refresh)
{
	size_t l;
	const char *t = xl_xml_text_trim(n, &l);
	unsigned v = 0;

	if (l == 0 || l > 6)
		return XL_E_SYNTAX;
	for (size_t i = 0; i < l; i++) {
		if (t[i] < '0' || t[i] > '9')
			return XL_E_SYNTAX;
		v = v * 10 + (unsigned)(t[i] - '0');
	}
	if (v == 0)
		return XL_E_SYNTAX;
	*refresh = v;
	return XL_OK;
}

int
xl_iscomposing_parse(const char *body, size_t len, enum xl_chat_state *cs,
    unsigned *refresh)
{
	const struct xl_xml_node *root, *st, *rf;
	struct xl_xml *doc;
	int rc;

	if ((rc = xl_xml_parse(body, len, &doc)) != XL_OK)
		return rc;
	root = xl_xml_root(doc);
	*refresh = 0;
	if (!xl_xml_is(root, NS_ISCOMPOSING, "isComposing") ||
	    (st = xl_xml_child(root, NS_ISCOMPOSING, "state")) == NULL)
		rc = XL_E_SYNTAX;
	else if (xl_xml_text_is(st, "active"))
		*cs = XL_CS_COMPOSING;
	else if (xl_xml_text_is(st, "idle"))
		*cs = XL_CS_PAUSED;
	else
		rc = XL_E_SYNTAX;
	if (rc == XL_OK && (rf = xl_xml_child(root, NS_ISCOMPOSING, "refresh")))
		rc = parse_refresh(rf, refresh);
	xl_xml_free(doc);
	return rc;
}

int
xl_iscomposing_write(enum xl_chat_state cs, unsigned refresh, char *buf,
    size_t len)
{
	struct xl_out o;

	if (cs == XL_CS_NONE || (size_t)cs >= 6)
		return XL_E_UNMAPPABLE;
	xl_out_init(&o, buf, len);
	xl_out_str(&o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<isComposing xmlns=\"" NS_ISCOMPOSING "\"><state>");
	if (cs == XL_CS_COMPOSING) {
		xl_out_str(&o, "active</state><contenttype>text/plain"
		    "</contenttype><refresh>");
		xl_out_fmt(&o, "%u", refresh ? refresh : XL_ISCOMPOSING_REFRESH);
		xl_out_str(&o, "</refresh>");
	} else
		xl_out_str(&o, "idle</state><contenttype>text/plain"
		    "</contenttype>");
	xl_out_str(&o, "</isComposing>\n");
	return xl_out_done(&o);
}

int
xl_keyboard_parse(const char *body, size_t len, enum xl_chat_state *cs)
{
	const struct xl_xml_node *root, *st;
	const char *v;
	struct xl_xml *doc;
	int rc;

	if ((rc = xl_xml_parse(body, len, &doc)) != XL_OK)
		return rc;
	root = xl_xml_root(doc);
	if (!xl_xml_is(root, NULL, "KeyboardActivity") ||
	    (st = xl_xml_child(root, NULL, "status")) == NULL ||
	    (v = xl_xml_attr(st, "status")) == NULL)
		rc = XL_E_SYNTAX;
	else if (strcmp(v, "type") == 0)
		*cs = XL_CS_COMPOSING;
	else if (strcmp(v, "idle") == 0)
		*cs = XL_CS_PAUSED;
	else
		rc = XL_E_SYNTAX;
	xl_xml_free(doc);
	return rc;
}

int
xl_keyboard_write(enum xl_chat_state cs, char *buf, size_t len)
{
	struct xl_out o;

	if (cs == XL_CS_NONE || (size_t)cs >= 6)
		return XL_E_UNMAPPABLE;
	xl_out_init(&o, buf, len);
	xl_out_str(&o, "<?xml version=\"1.0\"?>\n<KeyboardActivity>"
	    "<status status=\"");
	xl_out_str(&o, cs == XL_CS_COMPOSING ? "type" : "idle");
	xl_out_str(&o, "\" /></KeyboardActivity>\n");
	return xl_out_done(&o);
}
