/*
 * pres: PIDF/RPID, msrtc categories, Lync availability, show names and
 * the aggregation of resources. See pres.h.
 */
#include <stdlib.h>
#include <string.h>

#include "xlate/addr.h"
#include "xlate/body.h"
#include "xlate/pres.h"
#include "xlate/text.h"

#define NS_PIDF		"urn:ietf:params:xml:ns:pidf"
#define NS_DM		"urn:ietf:params:xml:ns:pidf:data-model"
#define NS_RPID		"urn:ietf:params:xml:ns:pidf:rpid"
#define NS_CATS		"http://schemas.microsoft.com/2006/09/sip/categories"
#define NS_STATE	"http://schemas.microsoft.com/2006/09/sip/state"
#define NS_NOTE		"http://schemas.microsoft.com/2006/09/sip/note"
#define NS_XSI		"http://www.w3.org/2001/XMLSchema-instance"

/* ------------------------------------------------------------------ */
/* Show names and Lync numbers                                        */

static const struct {
	const char	*show;		/* <show/> text, NULL = none */
	const char	*label;
	int		 rank;		/* aggregation: higher wins */
	int		 lync;
} shows[] = {
	[XL_SHOW_AVAILABLE]	= { NULL, "available", 4, 3500 },
	[XL_SHOW_CHAT]		= { "chat", "chat", 5, 3500 },
	[XL_SHOW_AWAY]		= { "away", "away", 2, 15500 },
	[XL_SHOW_XA]		= { "xa", "xa", 1, 15500 },
	[XL_SHOW_DND]		= { "dnd", "dnd", 3, 6500 },
	[XL_SHOW_UNAVAILABLE]	= { NULL, "unavailable", 0, 18500 },
};

const char *
xl_show_name(enum xl_show show)
{
	return (size_t)show < 6 ? shows[show].show : NULL;
}

const char *
xl_show_label(enum xl_show show)
{
	return (size_t)show < 6 ? shows[show].label : "invalid";
}

int
xl_show_parse(const char *s, enum xl_show *show)
{
	if (s == NULL || s[0] == '\0') {
		*show = XL_SHOW_AVAILABLE;
		return XL_OK;
	}
	for (size_t i = 0; i < 6; i++)
		if (shows[i].show && strcmp(shows[i].show, s) == 0) {
			*show = (enum xl_show)i;
			return XL_OK;
		}
	return XL_E_SYNTAX;
}

/* Lync availability ranges (MS-PRES), lowest number of each first. */
static const struct {
	int		 from;
	const char	*name;
	enum xl_show	 show;
} lync_ranges[] = {
	{ 0, "available", XL_SHOW_AVAILABLE },
	{ 4500, "idle", XL_SHOW_AWAY },
	{ 6000, "busy", XL_SHOW_DND },
	{ 7500, "busy-idle", XL_SHOW_DND },
	{ 9000, "do-not-disturb", XL_SHOW_DND },
	{ 12000, "be-right-back", XL_SHOW_AWAY },
	{ 15000, "away", XL_SHOW_AWAY },
	{ 18000, "offline", XL_SHOW_UNAVAILABLE },
};
#define NRANGES (sizeof(lync_ranges) / sizeof(lync_ranges[0]))

static size_t
lync_range(int av)
{
	size_t i = NRANGES - 1;

	while (i > 0 && av < lync_ranges[i].from)
		i--;
	return i;
}

enum xl_show
xl_lync_to_show(int availability)
{
	if (availability < 0)
		return XL_SHOW_UNAVAILABLE;
	return lync_ranges[lync_range(availability)].show;
}

const char *
xl_lync_range_name(int availability)
{
	return availability < 0 ? "invalid" :
	    lync_ranges[lync_range(availability)].name;
}

int
xl_show_to_lync(enum xl_show show)
{
	return (size_t)show < 6 ? shows[show].lync : 18500;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                            */

/* Copy a note (and its xml:lang) into buf; p->status points there. */
static int
pres_set_note(struct xl_pres *p, const struct xl_xml_node *note, char *buf,
    size_t buflen)
{
	const char *lang = xl_xml_attr(note, XL_NS_XML " lang");
	struct xl_out o;
	size_t l;
	const char *t = xl_xml_text_trim(note, &l);

	xl_out_init(&o, buf, buflen);
	xl_out_mem(&o, t, l);
	xl_out_char(&o, '\0');
	if (lang)
		xl_out_str(&o, lang);
	if (xl_out_done(&o) != XL_OK)
		return XL_E_TRUNC;
	p->status = buf;
	p->status_lang = lang ? buf + l + 1 : NULL;
	return XL_OK;
}

/* PIDF qvalue "0.502" -> XMPP priority, linear over -128..127. */
static int
q_to_priority(const char *q, int *prio)
{
	int milli = 0, digits = 0;

	if (q == NULL || (q[0] != '0' && q[0] != '1'))
		return XL_E_SYNTAX;
	milli = (q[0] - '0') * 1000;
	if (q[1] == '.') {
		for (const char *d = q + 2; *d; d++, digits++) {
			if (*d < '0' || *d > '9' || digits == 3)
				return XL_E_SYNTAX;
			milli += (*d - '0') * (digits == 0 ? 100 : digits == 1 ?
			    10 : 1);
		}
	} else if (q[1] != '\0')
		return XL_E_SYNTAX;
	if (milli > 1000)
		return XL_E_SYNTAX;
	*prio = (milli * 255 + 500) / 1000 - 128;
	return XL_OK;
}

static void
priority_to_q(int prio, struct xl_out *o)
{
	int milli;

	if (prio < -128)
		prio = -128;
	if (prio > 127)
		prio = 127;
	milli = ((prio + 128) * 1000 + 127) / 255;
	if (milli >= 1000)
		xl_out_str(o, "1");
	else
		xl_out_fmt(o, "0.%03d", milli);
}

/* ------------------------------------------------------------------ */
/* PIDF                                                               */

/* RPID activity -> show it implies; AVAILABLE = none we map. */
static enum xl_show
activity_show(const struct xl_xml_node *a)
{
	static const char *const dnd[] = { "busy", "on-the-phone", "meeting",
	    "performance", "presentation", "appointment" };
	static const char *const away[] = { "away", "meal", "breakfast",
	    "dinner", "in-transit", "travel", "shopping", "sleeping",
	    "steering" };
	static const char *const xa[] = { "vacation", "holiday",
	    "permanent-absence" };
	const char *n = xl_xml_name(a);

	if (strcmp(xl_xml_ns(a), NS_RPID) != 0)
		return XL_SHOW_AVAILABLE;
	for (size_t i = 0; i < sizeof(dnd) / sizeof(*dnd); i++)
		if (!strcmp(n, dnd[i]))
			return XL_SHOW_DND;
	for (size_t i = 0; i < sizeof(xa) / sizeof(*xa); i++)
		if (!strcmp(n, xa[i]))
			return XL_SHOW_XA;
	for (size_t i = 0; i < sizeof(away) / sizeof(*away); i++)
		if (!strcmp(n, away[i]))
			return XL_SHOW_AWAY;
	if (!strcmp(n, "other") && xl_xml_text_is(a, "chat"))
		return XL_SHOW_CHAT;
	return XL_SHOW_AVAILABLE;
}

/* Of two shows from activities, the one that says most (dnd first). */
static enum xl_show
show_stronger(enum xl_show a, enum xl_show b)
{
	static const int weight[] = { [XL_SHOW_AVAILABLE] = 0,
	    [XL_SHOW_CHAT] = 1, [XL_SHOW_AWAY] = 2, [XL_SHOW_XA] = 3,
	    [XL_SHOW_DND] = 4, [XL_SHOW_UNAVAILABLE] = 0 };

	return weight[b] > weight[a] ? b : a;
}

/* What the <dm:person> elements say: activities, idleness, note. */
static void
pidf_person(const struct xl_xml_node *root, enum xl_show *act, int *idle,
    const struct xl_xml_node **note)
{
	for (const struct xl_xml_node *n = xl_xml_first(root); n;
	    n = xl_xml_next(n)) {
		if (!xl_xml_is(n, NS_DM, "person"))
			continue;
		for (const struct xl_xml_node *c = xl_xml_first(n); c;
		    c = xl_xml_next(c)) {
			if (xl_xml_is(c, NS_RPID, "activities"))
				for (const struct xl_xml_node *a =
				    xl_xml_first(c); a; a = xl_xml_next(a))
					*act = show_stronger(*act,
					    activity_show(a));
			else if (xl_xml_is(c, NS_RPID, "user-input") &&
			    xl_xml_text_is(c, "idle"))
				*idle = 1;
			else if (xl_xml_is(c, NS_DM, "note") && *note == NULL)
				*note = c;
		}
	}
}

/* Tuples: any open one makes the presentity available. */
static void
pidf_tuples(const struct xl_xml_node *root, int *ntuples, int *open,
    int *prio, const struct xl_xml_node **note)
{
	for (const struct xl_xml_node *t = xl_xml_first(root); t;
	    t = xl_xml_next(t)) {
		const struct xl_xml_node *st, *basic, *c;
		int topen;

		if (!xl_xml_is(t, NS_PIDF, "tuple"))
			continue;
		(*ntuples)++;
		st = xl_xml_child(t, NS_PIDF, "status");
		basic = st ? xl_xml_child(st, NS_PIDF, "basic") : NULL;
		topen = basic && xl_xml_text_is(basic, "open");
		if (topen && !*open && (c = xl_xml_child(t, NS_PIDF, "contact")))
			(void)q_to_priority(xl_xml_attr(c, "priority"), prio);
		if ((c = xl_xml_child(t, NS_PIDF, "note")) &&
		    (*note == NULL || (topen && !*open)))
			*note = c;
		*open |= topen;
	}
}

int
xl_pidf_parse(const char *body, size_t len, struct xl_pres *p, char *buf,
    size_t buflen)
{
	const struct xl_xml_node *root, *pnote = NULL, *tnote = NULL, *note;
	enum xl_show act = XL_SHOW_AVAILABLE;
	int ntuples = 0, open = 0, idle = 0, prio = 0, rc;
	struct xl_xml *doc;

	if ((rc = xl_xml_parse(body, len, &doc)) != XL_OK)
		return rc;
	root = xl_xml_root(doc);
	if (!xl_xml_is(root, NS_PIDF, "presence")) {
		xl_xml_free(doc);
		return XL_E_SYNTAX;
	}
	pidf_tuples(root, &ntuples, &open, &prio, &tnote);
	pidf_person(root, &act, &idle, &pnote);
	if (ntuples == 0 && act != XL_SHOW_AVAILABLE)
		open = 1;		/* person-only documents (some servers) */
	if (!open)
		p->show = XL_SHOW_UNAVAILABLE;
	else if (act == XL_SHOW_AWAY && idle)
		p->show = XL_SHOW_XA;
	else if (act == XL_SHOW_AVAILABLE && idle)
		p->show = XL_SHOW_AWAY;
	else
		p->show = act;
	p->priority = prio;
	p->lync_availability = -1;
	p->status = p->status_lang = NULL;
	note = pnote ? pnote : tnote ? tnote :
	    xl_xml_child(root, NS_PIDF, "note");
	rc = note ? pres_set_note(p, note, buf, buflen) : XL_OK;
	xl_xml_free(doc);
	return rc;
}

/* The RPID person element for a show (nothing for available). */
static void
pidf_write_person(enum xl_show show, struct xl_out *o)
{
	static const char *const act[] = {
		[XL_SHOW_AVAILABLE] = NULL,
		[XL_SHOW_CHAT] = "<rpid:other>chat</rpid:other>",
		[XL_SHOW_AWAY] = "<rpid:away/>",
		[XL_SHOW_XA] = "<rpid:away/>",
		[XL_SHOW_DND] = "<rpid:busy/>",
		[XL_SHOW_UNAVAILABLE] = NULL,
	};

	if ((size_t)show >= 6 || act[show] == NULL)
		return;
	xl_out_str(o, "<dm:person id=\"p1\"><rpid:activities>");
	xl_out_str(o, act[show]);
	xl_out_str(o, "</rpid:activities>");
	if (show == XL_SHOW_XA)
		xl_out_str(o, "<rpid:user-input>idle</rpid:user-input>");
	xl_out_str(o, "</dm:person>");
}

static void
write_note(const struct xl_pres *p, const char *elem, struct xl_out *o)
{
	if (p->status == NULL)
		return;
	xl_out_fmt(o, "<%s", elem);
	if (p->status_lang) {
		xl_out_str(o, " xml:lang=\"");
		xl_out_xml(o, p->status_lang, strlen(p->status_lang));
		xl_out_char(o, '"');
	}
	xl_out_char(o, '>');
	xl_out_xml(o, p->status, strlen(p->status));
	xl_out_fmt(o, "</%s>", elem);
}

int
xl_pidf_write(const struct xl_pres *p, char *buf, size_t len)
{
	char uri[XL_LOCAL_MAX * 3 + XL_DOMAIN_MAX + 16];
	struct xl_out o;
	int rc;

	if ((rc = xl_addr_to_uri(&p->from, "pres", 0, uri, sizeof(uri))) != XL_OK)
		return rc;
	if (p->status && xl_utf8_check(p->status, strlen(p->status),
	    XL_UTF8_XML) != XL_OK)
		return XL_E_UTF8;
	xl_out_init(&o, buf, len);
	xl_out_str(&o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<presence xmlns=\"" NS_PIDF "\" xmlns:dm=\"" NS_DM "\" "
	    "xmlns:rpid=\"" NS_RPID "\" entity=\"");
	xl_out_xml(&o, uri, strlen(uri));
	xl_out_str(&o, "\"><tuple id=\"t1\"><status><basic>");
	xl_out_str(&o, p->show == XL_SHOW_UNAVAILABLE ? "closed" : "open");
	xl_out_str(&o, "</basic></status><contact priority=\"");
	priority_to_q(p->priority, &o);
	xl_out_str(&o, "\">sip:");			/* same address, sip: */
	xl_out_xml(&o, uri + 5, strlen(uri + 5));
	xl_out_str(&o, "</contact>");
	write_note(p, "note", &o);
	xl_out_str(&o, "</tuple>");
	pidf_write_person(p->show, &o);
	xl_out_str(&o, "</presence>\n");
	return xl_out_done(&o) == XL_OK ? XL_OK : XL_E_TRUNC;
}

/* ------------------------------------------------------------------ */
/* msrtc categories                                                   */

/* The availability number in a <state/>, or -1. */
static int
msrtc_availability(const struct xl_xml_node *state)
{
	const struct xl_xml_node *a = xl_xml_child(state, NS_STATE,
	    "availability");
	size_t l;
	const char *t;
	int v = 0;

	if (a == NULL)
		return -1;
	t = xl_xml_text_trim(a, &l);
	if (l == 0 || l > 7)
		return -2;
	for (size_t i = 0; i < l; i++) {
		if (t[i] < '0' || t[i] > '9')
			return -2;
		v = v * 10 + (t[i] - '0');
	}
	return v;
}

/* The best state of a category: aggregateState over any other. */
static int
msrtc_state(const struct xl_xml_node *cat, int *av, int *aggregate)
{
	for (const struct xl_xml_node *s = xl_xml_first(cat); s;
	    s = xl_xml_next(s)) {
		const char *type;
		int v, agg;

		if (!xl_xml_is(s, NS_STATE, "state"))
			continue;
		if ((v = msrtc_availability(s)) == -2)
			return XL_E_SYNTAX;
		type = xl_xml_attr(s, NS_XSI " type");
		agg = type && strcmp(type, "aggregateState") == 0;
		if (v >= 0 && (*av < 0 || (agg && !*aggregate))) {
			*av = v;
			*aggregate = agg;
		}
	}
	return XL_OK;
}

/* The personal note body of a note category (any body if no personal). */
static const struct xl_xml_node *
msrtc_note(const struct xl_xml_node *cat)
{
	const struct xl_xml_node *note = xl_xml_child(cat, NS_NOTE, "note"),
	    *any = NULL;

	if (note == NULL)
		return NULL;
	for (const struct xl_xml_node *b = xl_xml_first(note); b;
	    b = xl_xml_next(b)) {
		const char *type = xl_xml_attr(b, "type");

		if (!xl_xml_is(b, NS_NOTE, "body"))
			continue;
		if (type && strcmp(type, "personal") == 0)
			return b;
		if (any == NULL)
			any = b;
	}
	return any;
}

int
xl_msrtc_parse(const char *body, size_t len, struct xl_pres *p, char *buf,
    size_t buflen)
{
	const struct xl_xml_node *root, *note = NULL;
	int av = -1, aggregate = 0, rc = XL_OK;
	struct xl_xml *doc;

	if ((rc = xl_xml_parse(body, len, &doc)) != XL_OK)
		return rc;
	root = xl_xml_root(doc);
	if (!xl_xml_is(root, NS_CATS, "categories"))
		rc = XL_E_SYNTAX;
	for (const struct xl_xml_node *c = xl_xml_first(root); rc == XL_OK && c;
	    c = xl_xml_next(c)) {
		const char *name = xl_xml_attr(c, "name");

		if (!xl_xml_is(c, NS_CATS, "category") || name == NULL)
			continue;
		if (strcmp(name, "state") == 0)
			rc = msrtc_state(c, &av, &aggregate);
		else if (strcmp(name, "note") == 0 && note == NULL)
			note = msrtc_note(c);
	}
	if (rc == XL_OK && av < 0)
		rc = XL_E_UNMAPPABLE;
	if (rc == XL_OK) {
		p->lync_availability = av;
		p->show = xl_lync_to_show(av);
		p->priority = 0;
		p->status = p->status_lang = NULL;
		if (note)
			rc = pres_set_note(p, note, buf, buflen);
	}
	xl_xml_free(doc);
	return rc;
}

int
xl_msrtc_write(const struct xl_pres *p, char *buf, size_t len)
{
	char uri[XL_LOCAL_MAX * 3 + XL_DOMAIN_MAX + 16];
	struct xl_out o;
	int rc, av = p->lync_availability >= 0 ? p->lync_availability :
	    xl_show_to_lync(p->show);

	if ((rc = xl_addr_to_uri(&p->from, "sip", 0, uri, sizeof(uri))) != XL_OK)
		return rc;
	if (p->status && xl_utf8_check(p->status, strlen(p->status),
	    XL_UTF8_XML) != XL_OK)
		return XL_E_UTF8;
	xl_out_init(&o, buf, len);
	xl_out_str(&o, "<categories xmlns=\"" NS_CATS "\" uri=\"");
	xl_out_xml(&o, uri, strlen(uri));
	xl_out_str(&o, "\"><category name=\"state\"><state xmlns=\"" NS_STATE
	    "\" xmlns:xsi=\"" NS_XSI "\" manual=\"false\" "
	    "xsi:type=\"aggregateState\"><availability>");
	xl_out_fmt(&o, "%d", av);
	xl_out_str(&o, "</availability></state></category>");
	if (p->status) {
		xl_out_str(&o, "<category name=\"note\"><note xmlns=\"" NS_NOTE
		    "\"><body type=\"personal\" uri=\"\">");
		xl_out_xml(&o, p->status, strlen(p->status));
		xl_out_str(&o, "</body></note></category>");
	}
	xl_out_str(&o, "</categories>");
	return xl_out_done(&o) == XL_OK ? XL_OK : XL_E_TRUNC;
}

/* ------------------------------------------------------------------ */
/* Aggregation                                                        */

/*
 * Kept small on purpose: the gateway holds one aggregate per presence
 * relationship, and 10,000 of them must fit in a few megabytes. Strings
 * are allocated to size; the resource array grows as resources appear.
 */
struct agg_res {
	char		*resource;
	char		*status, *lang;
	enum xl_show	 show;
	int		 priority;
	uint64_t	 seq;		/* update order: recency tie-break */
};

struct xl_pres_agg {
	struct agg_res	*res;
	size_t		 n, cap;
	uint64_t	 seq;
	char		*offline_status;	/* of the last unavailable, if any */
};

struct xl_pres_agg *
xl_pres_agg_new(void)
{
	return calloc(1, sizeof(struct xl_pres_agg));
}

static void
agg_res_clear(struct agg_res *r)
{
	free(r->resource);
	free(r->status);
	free(r->lang);
}

void
xl_pres_agg_free(struct xl_pres_agg *agg)
{
	if (agg == NULL)
		return;
	for (size_t i = 0; i < agg->n; i++)
		agg_res_clear(&agg->res[i]);
	free(agg->res);
	free(agg->offline_status);
	free(agg);
}

size_t
xl_pres_agg_count(const struct xl_pres_agg *agg)
{
	return agg->n;
}

/* The winning resource, or NULL when none is available. */
static const struct agg_res *
agg_best(const struct xl_pres_agg *agg)
{
	const struct agg_res *best = NULL;

	for (size_t i = 0; i < agg->n; i++) {
		const struct agg_res *r = &agg->res[i];
		int d;

		if (best == NULL) {
			best = r;
			continue;
		}
		d = shows[r->show].rank - shows[best->show].rank;
		if (d == 0)
			d = r->priority - best->priority;
		if (d > 0 || (d == 0 && r->seq > best->seq))
			best = r;
	}
	return best;
}

void
xl_pres_agg_view(const struct xl_pres_agg *agg, struct xl_pres *out)
{
	const struct agg_res *b = agg_best(agg);

	/* addresses are the caller's: the aggregate does not keep them */
	out->lync_availability = -1;
	out->id = NULL;
	out->show = b ? b->show : XL_SHOW_UNAVAILABLE;
	out->priority = b ? b->priority : 0;
	/* offline: the words of the last goodbye ("gone home") stay visible */
	out->status = b ? b->status : agg->offline_status;
	out->status_lang = b ? b->lang : NULL;
}

static int
str_eq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* Remove resource i (unavailable). */
static void
agg_remove(struct xl_pres_agg *agg, size_t i)
{
	agg_res_clear(&agg->res[i]);
	agg->res[i] = agg->res[--agg->n];
}

/* Append an empty resource named res; NULL when out of memory. */
static struct agg_res *
agg_add(struct xl_pres_agg *agg, const char *res)
{
	struct agg_res *r;

	if (agg->n == agg->cap) {
		size_t cap = agg->cap ? agg->cap * 2 : 1;
		struct agg_res *v = realloc(agg->res, cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		agg->res = v;
		agg->cap = cap;
	}
	r = &agg->res[agg->n];
	memset(r, 0, sizeof(*r));
	if ((r->resource = strdup(res)) == NULL)
		return NULL;
	agg->n++;
	return r;
}

/* Set r's fields from p (copies of the strings). */
static int
agg_res_set(struct agg_res *r, const struct xl_pres *p, uint64_t seq)
{
	char *st = p->status ? strdup(p->status) : NULL;
	char *lg = p->status_lang ? strdup(p->status_lang) : NULL;

	if ((p->status && !st) || (p->status_lang && !lg)) {
		free(st);
		free(lg);
		return XL_E_NOMEM;
	}
	free(r->status);
	free(r->lang);
	r->status = st;
	r->lang = lg;
	r->show = p->show;
	r->priority = p->priority;
	r->seq = seq;
	return XL_OK;
}

int
xl_pres_agg_update(struct xl_pres_agg *agg, const struct xl_pres *p)
{
	struct xl_pres before, after;
	struct agg_res *r;
	size_t i;
	int rc;

	xl_pres_agg_view(agg, &before);
	before.status = before.status ? strdup(before.status) : NULL;
	for (i = 0; i < agg->n; i++)
		if (strcmp(agg->res[i].resource, p->from.resource) == 0)
			break;
	if (p->show == XL_SHOW_UNAVAILABLE) {
		if (i < agg->n)
			agg_remove(agg, i);
		free(agg->offline_status);
		agg->offline_status = p->status ? strdup(p->status) : NULL;
		rc = XL_OK;
	} else if (i == agg->n && agg->n == XL_AGG_MAX_RESOURCES)
		rc = XL_E_TOOLONG;
	else {
		r = i < agg->n ? &agg->res[i] : agg_add(agg, p->from.resource);
		rc = r ? agg_res_set(r, p, ++agg->seq) : XL_E_NOMEM;
	}
	xl_pres_agg_view(agg, &after);
	if (rc == XL_OK)
		rc = before.show != after.show ||
		    before.priority != after.priority ||
		    !str_eq(before.status, after.status);
	free((char *)before.status);
	return rc;
}
