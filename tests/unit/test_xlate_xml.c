/*
 * Unit tests of xlate/body, the Expat helper: the tree it builds, and every
 * hostile document refused with a typed error (DOCTYPE, PI, depth, size,
 * NUL bytes, malformed). One TAP line per row.
 */
#include "tests/unit/xl_cases.h"

#include "xlate/body.h"
#include "xlate/xlate.h"

struct doc_row {
	const char	*what;
	const char	*doc;
	size_t		 len;		/* 0 = strlen */
	int		 rc;
};

static const char nul_doc[] = "<a>x\0y</a>";

static const struct doc_row rows[] = {
	{ "minimal element", "<a/>", 0, 0 },
	{ "XML declaration", "<?xml version='1.0' encoding='UTF-8'?><a/>", 0, 0 },
	{ "comment is ignored", "<a><!-- note --></a>", 0, 0 },
	{ "ISO-8859-1 declared", "<?xml version='1.0' encoding='ISO-8859-1'?>"
	  "<a>caf\xe9</a>", 0, 0 },
	{ "DOCTYPE refused", "<!DOCTYPE a><a/>", 0, XL_E_XML },
	{ "internal entity refused", "<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>",
	  0, XL_E_XML },
	{ "billion laughs refused", "<!DOCTYPE l [<!ENTITY a 'aaaaaaaa'>"
	  "<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;'>]><l>&b;</l>", 0, XL_E_XML },
	{ "external entity refused", "<!DOCTYPE a SYSTEM 'file:///etc/passwd'>"
	  "<a/>", 0, XL_E_XML },
	{ "processing instruction refused", "<a><?php echo 1; ?></a>", 0,
	  XL_E_XML },
	{ "unclosed element", "<a><b></a>", 0, XL_E_XML },
	{ "two roots", "<a/><b/>", 0, XL_E_XML },
	{ "empty document", "", 0, XL_E_XML },
	{ "text only", "hello", 0, XL_E_XML },
	{ "undeclared prefix", "<x:a/>", 0, XL_E_XML },
	{ "undefined entity", "<a>&nbsp;</a>", 0, XL_E_XML },
	{ "NUL byte inside", nul_doc, sizeof(nul_doc) - 1, XL_E_XML },
	{ "invalid UTF-8", "<a>\xff\xfe</a>", 0, XL_E_XML },
	{ "control character", "<a>\x01</a>", 0, XL_E_XML },
};

static void
test_doc(void **state)
{
	const struct doc_row *r = *state;
	struct xl_xml *doc = (struct xl_xml *)1;
	int rc = xl_xml_parse(r->doc, r->len ? r->len : strlen(r->doc), &doc);

	assert_int_equal(rc, r->rc);
	if (rc == 0)
		assert_non_null(xl_xml_root(doc));
	else
		assert_null(doc);
	xl_xml_free(doc);
}

/* Nested n deep: <a><a>...</a></a>, or only the n start tags. */
static char *
nested(int n, int closed)
{
	char *s = malloc((size_t)n * 7 + 1), *p = s;

	for (int i = 0; i < n; i++)
		p += sprintf(p, "<a>");
	for (int i = 0; closed && i < n; i++)
		p += sprintf(p, "</a>");
	*p = '\0';
	return s;
}

static void
test_depth(void **state)
{
	int n = (int)(uintptr_t)*state;
	char *s = nested(n, 1);
	struct xl_xml *doc;
	int rc = xl_xml_parse(s, strlen(s), &doc);

	assert_int_equal(rc, n <= XL_XML_MAX_DEPTH ? 0 : XL_E_DEPTH);
	xl_xml_free(rc == 0 ? doc : NULL);
	free(s);
}

/* 10,000 levels: refused by depth as soon as level 33 opens. */
static void
test_deep_attack(void **state)
{
	char *s = nested(10000, 0);
	struct xl_xml *doc;

	assert_int_equal(xl_xml_parse(s, strlen(s), &doc), XL_E_DEPTH);
	free(s);
	s = nested(10000, 1);	/* closed, it is also over the size cap */
	assert_int_equal(xl_xml_parse(s, strlen(s), &doc), XL_E_TOOLONG);
	free(s);
}

static void
test_too_big(void **state)
{
	size_t n = XL_XML_MAX_BYTES + 1;
	char *s = malloc(n);
	struct xl_xml *doc;

	memset(s, ' ', n);
	memcpy(s, "<a>", 3);
	memcpy(s + n - 4, "</a>", 4);
	assert_int_equal(xl_xml_parse(s, n, &doc), XL_E_TOOLONG);
	free(s);
}

static void
test_too_many(void **state)
{
	size_t n = (XL_XML_MAX_NODES + 1) * 4 + 8;
	char *s = malloc(n), *p = s;
	struct xl_xml *doc;

	p += sprintf(p, "<a>");
	for (int i = 0; i < XL_XML_MAX_NODES; i++)
		p += sprintf(p, "<b/>");
	p += sprintf(p, "</a>");
	assert_int_equal(xl_xml_parse(s, (size_t)(p - s), &doc), XL_E_TOOLONG);
	free(s);
}

/* The tree: namespaces, attributes, text in pieces, order. */
static void
test_tree(void **state)
{
	static const char doc[] =
	    "<r xmlns='urn:x' xmlns:y='urn:y' xml:lang='en' a='1'>"
	    "t1<c1 y:b='2'>one &amp; <!-- x -->two</c1>t2"
	    "<y:c2/><c1>second</c1></r>";
	const struct xl_xml_node *r, *c;
	struct xl_xml *d;
	size_t len;

	assert_int_equal(xl_xml_parse(doc, strlen(doc), &d), 0);
	r = xl_xml_root(d);
	assert_true(xl_xml_is(r, "urn:x", "r"));
	assert_string_equal(xl_xml_attr(r, "a"), "1");
	assert_string_equal(xl_xml_attr(r, XL_NS_XML " lang"), "en");
	assert_null(xl_xml_attr(r, "b"));
	assert_string_equal(xl_xml_text(r, &len), "t1t2");
	c = xl_xml_first(r);
	assert_true(xl_xml_is(c, "urn:x", "c1"));
	assert_string_equal(xl_xml_attr(c, "urn:y b"), "2");
	assert_string_equal(xl_xml_text(c, &len), "one & two");
	assert_int_equal(len, 9);
	c = xl_xml_next(c);
	assert_true(xl_xml_is(c, "urn:y", "c2"));
	assert_string_equal(xl_xml_ns(c), "urn:y");
	assert_string_equal(xl_xml_name(c), "c2");
	assert_string_equal(xl_xml_text(c, NULL), "");
	c = xl_xml_next(c);
	assert_string_equal(xl_xml_text(c, NULL), "second");
	assert_null(xl_xml_next(c));
	assert_true(xl_xml_is(xl_xml_child(r, NULL, "c2"), "urn:y", "c2"));
	assert_null(xl_xml_child(r, "urn:x", "c2"));
	xl_xml_free(d);
}

int
main(void)
{
	static const int depths[] = { 1, 2, 31, 32, 33, 100, 5000 };

	for (size_t i = 0; i < XL_NELEM(rows); i++)
		xl_case(test_doc, (void *)&rows[i], "xml: %s", rows[i].what);
	for (size_t i = 0; i < XL_NELEM(depths); i++)
		xl_case(test_depth, (void *)(uintptr_t)depths[i],
		    "xml: %d-deep document %s", depths[i],
		    depths[i] <= XL_XML_MAX_DEPTH ? "parses" : "is refused");
	xl_case(test_deep_attack, NULL, "xml: 10000-deep document is refused");
	xl_case(test_too_big, NULL, "xml: over 64 KiB is refused");
	xl_case(test_too_many, NULL, "xml: over 4096 elements is refused");
	xl_case(test_tree, NULL, "xml: tree, namespaces, attributes, text");
	return xl_cases_run("xlate xml helper");
}
