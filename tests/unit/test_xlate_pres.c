/*
 * Unit tests of xlate/pres: PIDF/RPID and msrtc <-> xl_pres, Lync
 * availability ranges, show names, aggregation of resources, round trips
 * and hostile documents. One TAP line per row.
 */
#include "tests/unit/xl_cases.h"

#include "xlate/addr.h"
#include "xlate/pres.h"

#define PIDF_HEAD "<presence xmlns='urn:ietf:params:xml:ns:pidf' " \
	"xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model' " \
	"xmlns:rpid='urn:ietf:params:xml:ns:pidf:rpid' entity='pres:a@example.com'>"
#define OPEN_TUPLE "<tuple id='t'><status><basic>open</basic></status></tuple>"
#define PERSON(x) "<dm:person id='p'>" x "</dm:person>"
#define ACT(x) "<rpid:activities>" x "</rpid:activities>"

struct pidf_row {
	const char	*what, *doc;
	int		 rc;
	enum xl_show	 show;
	const char	*status, *lang;
	int		 priority;
};

static const struct pidf_row pidf_rows[] = {
	{ "open", PIDF_HEAD OPEN_TUPLE "</presence>", 0, XL_SHOW_AVAILABLE },
	{ "closed", PIDF_HEAD "<tuple id='t'><status><basic>closed</basic>"
	  "</status></tuple></presence>", 0, XL_SHOW_UNAVAILABLE },
	{ "no tuple, no person", PIDF_HEAD "</presence>", 0, XL_SHOW_UNAVAILABLE },
	{ "one of two tuples open", PIDF_HEAD "<tuple id='a'><status><basic>"
	  "closed</basic></status></tuple>" OPEN_TUPLE "</presence>", 0,
	  XL_SHOW_AVAILABLE },
	{ "away", PIDF_HEAD OPEN_TUPLE PERSON(ACT("<rpid:away/>")) "</presence>",
	  0, XL_SHOW_AWAY },
	{ "busy is dnd", PIDF_HEAD OPEN_TUPLE PERSON(ACT("<rpid:busy/>"))
	  "</presence>", 0, XL_SHOW_DND },
	{ "on-the-phone is dnd", PIDF_HEAD OPEN_TUPLE
	  PERSON(ACT("<rpid:on-the-phone/>")) "</presence>", 0, XL_SHOW_DND },
	{ "meeting is dnd", PIDF_HEAD OPEN_TUPLE PERSON(ACT("<rpid:meeting/>"))
	  "</presence>", 0, XL_SHOW_DND },
	{ "meal is away", PIDF_HEAD OPEN_TUPLE PERSON(ACT("<rpid:meal/>"))
	  "</presence>", 0, XL_SHOW_AWAY },
	{ "vacation is xa", PIDF_HEAD OPEN_TUPLE PERSON(ACT("<rpid:vacation/>"))
	  "</presence>", 0, XL_SHOW_XA },
	{ "away and idle is xa", PIDF_HEAD OPEN_TUPLE PERSON(ACT("<rpid:away/>")
	  "<rpid:user-input>idle</rpid:user-input>") "</presence>", 0, XL_SHOW_XA },
	{ "idle alone is away", PIDF_HEAD OPEN_TUPLE
	  PERSON("<rpid:user-input>idle</rpid:user-input>") "</presence>", 0,
	  XL_SHOW_AWAY },
	{ "other chat", PIDF_HEAD OPEN_TUPLE
	  PERSON(ACT("<rpid:other>chat</rpid:other>")) "</presence>", 0,
	  XL_SHOW_CHAT },
	{ "busy beats away", PIDF_HEAD OPEN_TUPLE
	  PERSON(ACT("<rpid:away/><rpid:busy/>")) "</presence>", 0, XL_SHOW_DND },
	{ "unknown activity is available", PIDF_HEAD OPEN_TUPLE
	  PERSON(ACT("<rpid:playing/>")) "</presence>", 0, XL_SHOW_AVAILABLE },
	{ "closed beats activity", PIDF_HEAD "<tuple id='t'><status><basic>closed"
	  "</basic></status></tuple>" PERSON(ACT("<rpid:busy/>")) "</presence>",
	  0, XL_SHOW_UNAVAILABLE },
	{ "person-only document", PIDF_HEAD PERSON(ACT("<rpid:away/>"))
	  "</presence>", 0, XL_SHOW_AWAY },
	{ "tuple note", PIDF_HEAD "<tuple id='t'><status><basic>open</basic>"
	  "</status><note xml:lang='fr'> D\xc3\xa9jeuner </note></tuple></presence>",
	  0, XL_SHOW_AVAILABLE, "D\xc3\xa9jeuner", "fr" },
	{ "person note wins", PIDF_HEAD "<tuple id='t'><status><basic>open</basic>"
	  "</status><note>tuple</note></tuple>"
	  PERSON("<dm:note>person</dm:note>") "</presence>", 0, XL_SHOW_AVAILABLE,
	  "person" },
	{ "presence-level note", PIDF_HEAD OPEN_TUPLE "<note>top &amp; level</note>"
	  "</presence>", 0, XL_SHOW_AVAILABLE, "top & level" },
	{ "contact priority 1", PIDF_HEAD "<tuple id='t'><status><basic>open"
	  "</basic></status><contact priority='1'>sip:a@example.com</contact>"
	  "</tuple></presence>", 0, XL_SHOW_AVAILABLE, NULL, NULL, 127 },
	{ "contact priority 0.5", PIDF_HEAD "<tuple id='t'><status><basic>open"
	  "</basic></status><contact priority='0.5'>sip:a@example.com</contact>"
	  "</tuple></presence>", 0, XL_SHOW_AVAILABLE, NULL, NULL, 0 },
	{ "bad contact priority ignored", PIDF_HEAD "<tuple id='t'><status><basic>"
	  "open</basic></status><contact priority='7'>x</contact></tuple>"
	  "</presence>", 0, XL_SHOW_AVAILABLE, NULL, NULL, 0 },
	{ "wrong root", "<presence/>", XL_E_SYNTAX },
	{ "not XML", "hello", XL_E_XML },
	{ "DOCTYPE", "<!DOCTYPE presence><presence/>", XL_E_XML },
	{ "truncated", PIDF_HEAD "<tuple id='t'>", XL_E_XML },
};

static void
test_pidf_parse(void **state)
{
	const struct pidf_row *r = *state;
	struct xl_pres p;
	char buf[256];
	int rc;

	memset(&p, 0xA5, sizeof(p));
	rc = xl_pidf_parse(r->doc, strlen(r->doc), &p, buf, sizeof(buf));
	assert_int_equal(rc, r->rc);
	if (rc != 0)
		return;
	assert_int_equal(p.show, r->show);
	assert_int_equal(p.priority, r->priority);
	assert_int_equal(p.lync_availability, -1);
	if (r->status == NULL)
		assert_null(p.status);
	else
		assert_string_equal(p.status, r->status);
	if (r->lang == NULL)
		assert_null(p.status_lang);
	else
		assert_string_equal(p.status_lang, r->lang);
}

/* XMPP -> SIP -> XMPP: show, status, language and priority survive PIDF. */
static const struct {
	enum xl_show	 show;
	const char	*status, *lang;
	int		 priority;
} pres_roundtrips[] = {
	{ XL_SHOW_AVAILABLE, NULL, NULL, 0 },
	{ XL_SHOW_CHAT, "free to talk", "en", 5 },
	{ XL_SHOW_AWAY, "lunch <back at 2> & \"coffee\"", NULL, -1 },
	{ XL_SHOW_XA, "on holiday", "de", 127 },
	{ XL_SHOW_DND, "in a meeting", NULL, -128 },
	{ XL_SHOW_UNAVAILABLE, "gone home", NULL, 0 },
	{ XL_SHOW_AVAILABLE, "\xe2\x98\x95 caf\xc3\xa9", "fr", 50 },
};

static void
init_pres(struct xl_pres *p, size_t i)
{
	memset(p, 0, sizeof(*p));
	assert_int_equal(xl_addr_set(&p->from, "bob", "example.net", NULL), 0);
	p->show = pres_roundtrips[i].show;
	p->status = pres_roundtrips[i].status;
	p->status_lang = pres_roundtrips[i].lang;
	p->priority = pres_roundtrips[i].priority;
	p->lync_availability = -1;
}

static void
test_pidf_roundtrip(void **state)
{
	const size_t i = (size_t)(uintptr_t)*state;
	struct xl_pres p, q;
	char doc[2048], buf[256];

	init_pres(&p, i);
	assert_int_equal(xl_pidf_write(&p, doc, sizeof(doc)), 0);
	assert_non_null(strstr(doc, "entity=\"pres:bob@example.net\""));
	assert_non_null(strstr(doc, ">sip:bob@example.net</contact>"));
	memset(&q, 0, sizeof(q));
	assert_int_equal(xl_pidf_parse(doc, strlen(doc), &q, buf, sizeof(buf)), 0);
	assert_int_equal(q.show, p.show);
	assert_int_equal(q.priority, p.priority);
	if (p.status)
		assert_string_equal(q.status, p.status);
	else
		assert_null(q.status);
	if (p.status_lang)
		assert_string_equal(q.status_lang, p.status_lang);
}

static void
test_pidf_write_errors(void **state)
{
	struct xl_pres p;
	char doc[2048];

	init_pres(&p, 1);
	assert_int_equal(xl_pidf_write(&p, doc, 64), XL_E_TRUNC);
	p.status = "bad \x01 control";
	assert_int_equal(xl_pidf_write(&p, doc, sizeof(doc)), XL_E_UTF8);
}

/* Every priority survives the 0..1 qvalue scale. */
static void
test_priority_scale(void **state)
{
	struct xl_pres p, q;
	char doc[2048], buf[64];

	for (int prio = -128; prio <= 127; prio++) {
		init_pres(&p, 0);
		p.priority = prio;
		assert_int_equal(xl_pidf_write(&p, doc, sizeof(doc)), 0);
		assert_int_equal(xl_pidf_parse(doc, strlen(doc), &q, buf,
		    sizeof(buf)), 0);
		assert_int_equal(q.priority, prio);
	}
}

#define CATS_HEAD "<categories xmlns='http://schemas.microsoft.com/2006/09/sip/categories' uri='sip:a@contoso.com'>"
#define STATE(type, av) "<category name='state'><state xmlns='http://schemas.microsoft.com/2006/09/sip/state' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' xsi:type='" type "'><availability>" av "</availability></state></category>"
#define NOTE(type, text) "<category name='note'><note xmlns='http://schemas.microsoft.com/2006/09/sip/note'><body type='" type "' uri=''>" text "</body></note></category>"

static const struct {
	const char	*what, *doc;
	int		 rc, av;
	enum xl_show	 show;
	const char	*status;
} msrtc_rows[] = {
	{ "available 3500", CATS_HEAD STATE("aggregateState", "3500")
	  "</categories>", 0, 3500, XL_SHOW_AVAILABLE },
	{ "busy 6500", CATS_HEAD STATE("aggregateState", "6500") "</categories>",
	  0, 6500, XL_SHOW_DND },
	{ "dnd 9500", CATS_HEAD STATE("aggregateState", "9500") "</categories>",
	  0, 9500, XL_SHOW_DND },
	{ "brb 12500", CATS_HEAD STATE("aggregateState", "12500") "</categories>",
	  0, 12500, XL_SHOW_AWAY },
	{ "away 15500 with note", CATS_HEAD STATE("aggregateState", "15500")
	  NOTE("personal", "Out for lunch") "</categories>", 0, 15500,
	  XL_SHOW_AWAY, "Out for lunch" },
	{ "offline 18500", CATS_HEAD STATE("aggregateState", "18500")
	  "</categories>", 0, 18500, XL_SHOW_UNAVAILABLE },
	{ "aggregateState beats userState", CATS_HEAD STATE("userState", "9500")
	  STATE("aggregateState", "3500") "</categories>", 0, 3500,
	  XL_SHOW_AVAILABLE },
	{ "personal note beats OOF", CATS_HEAD STATE("aggregateState", "3500")
	  "<category name='note'><note xmlns='http://schemas.microsoft.com/2006/"
	  "09/sip/note'><body type='OOF'>away till May</body><body "
	  "type='personal'>hi</body></note></category></categories>",
	  0, 3500, XL_SHOW_AVAILABLE, "hi" },
	{ "no state category", CATS_HEAD NOTE("personal", "x") "</categories>",
	  XL_E_UNMAPPABLE },
	{ "non-numeric availability", CATS_HEAD STATE("aggregateState", "abc")
	  "</categories>", XL_E_SYNTAX },
	{ "huge availability", CATS_HEAD STATE("aggregateState", "99999999999")
	  "</categories>", XL_E_SYNTAX },
	{ "wrong root", "<categoriez/>", XL_E_SYNTAX },
	{ "malformed", CATS_HEAD, XL_E_XML },
};

static void
test_msrtc_parse(void **state)
{
	const size_t i = (size_t)(uintptr_t)*state;
	struct xl_pres p;
	char buf[256];
	int rc;

	memset(&p, 0, sizeof(p));
	rc = xl_msrtc_parse(msrtc_rows[i].doc, strlen(msrtc_rows[i].doc), &p,
	    buf, sizeof(buf));
	assert_int_equal(rc, msrtc_rows[i].rc);
	if (rc != 0)
		return;
	assert_int_equal(p.lync_availability, msrtc_rows[i].av);
	assert_int_equal(p.show, msrtc_rows[i].show);
	if (msrtc_rows[i].status)
		assert_string_equal(p.status, msrtc_rows[i].status);
	else
		assert_null(p.status);
}

/* XMPP -> Lync -> XMPP through msrtc categories. */
static void
test_msrtc_roundtrip(void **state)
{
	const size_t i = (size_t)(uintptr_t)*state;
	struct xl_pres p, q;
	char doc[2048], buf[256];
	enum xl_show expect;

	init_pres(&p, i);
	assert_int_equal(xl_msrtc_write(&p, doc, sizeof(doc)), 0);
	assert_non_null(strstr(doc, "uri=\"sip:bob@example.net\""));
	assert_int_equal(xl_msrtc_parse(doc, strlen(doc), &q, buf, sizeof(buf)),
	    0);
	expect = p.show == XL_SHOW_CHAT ? XL_SHOW_AVAILABLE :
	    p.show == XL_SHOW_XA ? XL_SHOW_AWAY : p.show;
	assert_int_equal(q.show, expect);
	assert_int_equal(q.lync_availability, xl_show_to_lync(p.show));
	if (p.status)
		assert_string_equal(q.status, p.status);
}

static const struct {
	int		 av;
	enum xl_show	 show;
	const char	*range;
} lync_rows[] = {
	{ 0, XL_SHOW_AVAILABLE, "available" },
	{ 3500, XL_SHOW_AVAILABLE, "available" },
	{ 4499, XL_SHOW_AVAILABLE, "available" },
	{ 4500, XL_SHOW_AWAY, "idle" },
	{ 5999, XL_SHOW_AWAY, "idle" },
	{ 6000, XL_SHOW_DND, "busy" },
	{ 7499, XL_SHOW_DND, "busy" },
	{ 7500, XL_SHOW_DND, "busy-idle" },
	{ 8999, XL_SHOW_DND, "busy-idle" },
	{ 9000, XL_SHOW_DND, "do-not-disturb" },
	{ 11999, XL_SHOW_DND, "do-not-disturb" },
	{ 12000, XL_SHOW_AWAY, "be-right-back" },
	{ 14999, XL_SHOW_AWAY, "be-right-back" },
	{ 15000, XL_SHOW_AWAY, "away" },
	{ 17999, XL_SHOW_AWAY, "away" },
	{ 18000, XL_SHOW_UNAVAILABLE, "offline" },
	{ 99999, XL_SHOW_UNAVAILABLE, "offline" },
	{ -1, XL_SHOW_UNAVAILABLE, "invalid" },
};

static void
test_lync(void **state)
{
	const size_t i = (size_t)(uintptr_t)*state;

	assert_int_equal(xl_lync_to_show(lync_rows[i].av), lync_rows[i].show);
	assert_string_equal(xl_lync_range_name(lync_rows[i].av),
	    lync_rows[i].range);
}

static const struct {
	enum xl_show	 show;
	int		 av;
	const char	*name;
} show_rows[] = {
	{ XL_SHOW_AVAILABLE, 3500, NULL }, { XL_SHOW_CHAT, 3500, "chat" },
	{ XL_SHOW_AWAY, 15500, "away" }, { XL_SHOW_XA, 15500, "xa" },
	{ XL_SHOW_DND, 6500, "dnd" }, { XL_SHOW_UNAVAILABLE, 18500, NULL },
};

static void
test_show(void **state)
{
	const size_t i = (size_t)(uintptr_t)*state;
	enum xl_show back;

	assert_int_equal(xl_show_to_lync(show_rows[i].show), show_rows[i].av);
	if (show_rows[i].name == NULL) {
		assert_null(xl_show_name(show_rows[i].show));
		return;
	}
	assert_string_equal(xl_show_name(show_rows[i].show), show_rows[i].name);
	assert_int_equal(xl_show_parse(show_rows[i].name, &back), 0);
	assert_int_equal(back, show_rows[i].show);
}

static void
test_show_parse_edge(void **state)
{
	enum xl_show s = XL_SHOW_DND;

	assert_int_equal(xl_show_parse(NULL, &s), 0);
	assert_int_equal(s, XL_SHOW_AVAILABLE);
	assert_int_equal(xl_show_parse("", &s), 0);
	assert_int_equal(xl_show_parse("busy", &s), XL_E_SYNTAX);
	assert_int_equal(xl_show_parse("AWAY", &s), XL_E_SYNTAX);
	assert_string_equal(xl_show_label(XL_SHOW_UNAVAILABLE), "unavailable");
}

/* Aggregation scenarios: each step is (resource, show, priority, status),
   then the expected view and whether it changed. */
struct agg_step {
	const char	*res;
	enum xl_show	 show;
	int		 prio;
	const char	*status;
	enum xl_show	 want;
	const char	*want_status;
	int		 changed;
};

static const struct agg_step agg_desk_phone[] = {
	{ "desk", XL_SHOW_AWAY, 10, "auto away", XL_SHOW_AWAY, "auto away", 1 },
	{ "phone", XL_SHOW_AVAILABLE, 0, "mobile", XL_SHOW_AVAILABLE, "mobile", 1 },
	{ "desk", XL_SHOW_AWAY, 10, "auto away", XL_SHOW_AVAILABLE, "mobile", 0 },
	{ "phone", XL_SHOW_UNAVAILABLE, 0, NULL, XL_SHOW_AWAY, "auto away", 1 },
	{ "desk", XL_SHOW_UNAVAILABLE, 0, NULL, XL_SHOW_UNAVAILABLE, NULL, 1 },
	{ NULL },
};

static const struct agg_step agg_priority[] = {
	{ "a", XL_SHOW_AVAILABLE, 1, "low", XL_SHOW_AVAILABLE, "low", 1 },
	{ "b", XL_SHOW_AVAILABLE, 5, "high", XL_SHOW_AVAILABLE, "high", 1 },
	{ "c", XL_SHOW_DND, 50, "busy", XL_SHOW_AVAILABLE, "high", 0 },
	{ "b", XL_SHOW_XA, 5, "gone long", XL_SHOW_AVAILABLE, "low", 1 },
	{ "a", XL_SHOW_UNAVAILABLE, 0, NULL, XL_SHOW_DND, "busy", 1 },
	{ NULL },
};

static const struct agg_step agg_recent[] = {
	{ "a", XL_SHOW_CHAT, 0, "first", XL_SHOW_CHAT, "first", 1 },
	{ "b", XL_SHOW_CHAT, 0, "second", XL_SHOW_CHAT, "second", 1 },
	{ "a", XL_SHOW_CHAT, 0, "third", XL_SHOW_CHAT, "third", 1 },
	{ "zz", XL_SHOW_UNAVAILABLE, 0, NULL, XL_SHOW_CHAT, "third", 0 },
	{ NULL },
};

/* Offline at last: the goodbye's status stays in the view. */
static const struct agg_step agg_goodbye[] = {
	{ "a", XL_SHOW_AWAY, 0, "busy day", XL_SHOW_AWAY, "busy day", 1 },
	{ "a", XL_SHOW_UNAVAILABLE, 0, "gone home", XL_SHOW_UNAVAILABLE, "gone home", 1 },
	{ "b", XL_SHOW_CHAT, 0, NULL, XL_SHOW_CHAT, NULL, 1 },
	{ NULL },
};

static void
test_agg(void **state)
{
	const struct agg_step *s = *state;
	struct xl_pres_agg *agg = xl_pres_agg_new();
	struct xl_pres p, v;

	assert_non_null(agg);
	memset(&v, 0, sizeof(v));
	/* the view writes presence fields only: the caller's addresses stay */
	assert_int_equal(xl_addr_set(&v.from, "keep", "caller.example", NULL), 0);
	xl_pres_agg_view(agg, &v);
	assert_int_equal(v.show, XL_SHOW_UNAVAILABLE);
	for (; s->res; s++) {
		memset(&p, 0, sizeof(p));
		assert_int_equal(xl_addr_set(&p.from, "bob", "example.net",
		    s->res), 0);
		p.show = s->show;
		p.priority = s->prio;
		p.status = s->status;
		assert_int_equal(xl_pres_agg_update(agg, &p), s->changed);
		xl_pres_agg_view(agg, &v);
		assert_int_equal(v.show, s->want);
		assert_string_equal(v.from.user, "keep");
		assert_string_equal(v.from.domain, "caller.example");
		if (s->want_status)
			assert_string_equal(v.status, s->want_status);
		else
			assert_null(v.status);
	}
	xl_pres_agg_free(agg);
}

static void
test_agg_limit(void **state)
{
	struct xl_pres_agg *agg = xl_pres_agg_new();
	struct xl_pres p;
	char res[16];

	memset(&p, 0, sizeof(p));
	p.show = XL_SHOW_AVAILABLE;
	for (int i = 0; i < XL_AGG_MAX_RESOURCES; i++) {
		snprintf(res, sizeof(res), "r%d", i);
		assert_int_equal(xl_addr_set(&p.from, "bob", "example.net", res), 0);
		assert_true(xl_pres_agg_update(agg, &p) >= 0);
	}
	assert_int_equal(xl_pres_agg_count(agg), XL_AGG_MAX_RESOURCES);
	assert_int_equal(xl_addr_set(&p.from, "bob", "example.net", "one-more"), 0);
	assert_int_equal(xl_pres_agg_update(agg, &p), XL_E_TOOLONG);
	assert_int_equal(xl_addr_set(&p.from, "bob", "example.net", "r3"), 0);
	assert_int_equal(xl_pres_agg_update(agg, &p), 0);	/* known: fine */
	xl_pres_agg_free(agg);
}

static void
test_pres_dup(void **state)
{
	struct xl_pres p = { .show = XL_SHOW_DND, .status = "busy",
	    .status_lang = "en", .priority = 3, .lync_availability = 6500 };
	struct xl_pres *c = xl_pres_dup(&p);

	assert_non_null(c);
	assert_ptr_not_equal(c->status, p.status);
	assert_string_equal(c->status, "busy");
	assert_string_equal(c->status_lang, "en");
	assert_null(c->id);
	assert_int_equal(c->lync_availability, 6500);
	xl_pres_free(c);
}

int
main(void)
{
	for (size_t i = 0; i < XL_NELEM(pidf_rows); i++)
		xl_case(test_pidf_parse, (void *)&pidf_rows[i], "pidf->pres: %s",
		    pidf_rows[i].what);
	for (size_t i = 0; i < XL_NELEM(pres_roundtrips); i++)
		xl_case(test_pidf_roundtrip, (void *)(uintptr_t)i,
		    "round trip xmpp->pidf->xmpp: %s%s",
		    xl_show_label(pres_roundtrips[i].show),
		    pres_roundtrips[i].status ? " with status" : "");
	xl_case(test_pidf_write_errors, NULL, "pidf write: truncation, controls");
	xl_case(test_priority_scale, NULL, "priority -128..127 survives PIDF");
	for (size_t i = 0; i < XL_NELEM(msrtc_rows); i++)
		xl_case(test_msrtc_parse, (void *)(uintptr_t)i, "msrtc->pres: %s",
		    msrtc_rows[i].what);
	for (size_t i = 0; i < XL_NELEM(pres_roundtrips); i++)
		xl_case(test_msrtc_roundtrip, (void *)(uintptr_t)i,
		    "round trip xmpp->msrtc->xmpp: %s",
		    xl_show_label(pres_roundtrips[i].show));
	for (size_t i = 0; i < XL_NELEM(lync_rows); i++)
		xl_case(test_lync, (void *)(uintptr_t)i, "lync %d is %s (%s)",
		    lync_rows[i].av, xl_show_label(lync_rows[i].show),
		    lync_rows[i].range);
	for (size_t i = 0; i < XL_NELEM(show_rows); i++)
		xl_case(test_show, (void *)(uintptr_t)i, "show %s -> lync %d",
		    xl_show_label(show_rows[i].show), show_rows[i].av);
	xl_case(test_show_parse_edge, NULL, "show parse: empty, unknown");
	xl_case(test_agg, (void *)agg_desk_phone,
	    "aggregate: available phone beats away desk");
	xl_case(test_agg, (void *)agg_priority,
	    "aggregate: show first, then priority");
	xl_case(test_agg, (void *)agg_recent, "aggregate: most recent on a tie");
	xl_case(test_agg, (void *)agg_goodbye,
	    "aggregate: offline keeps the goodbye status");
	xl_case(test_agg_limit, NULL, "aggregate: resource limit");
	xl_case(test_pres_dup, NULL, "xl_pres_dup copies every string");
	return xl_cases_run("xlate presence");
}
