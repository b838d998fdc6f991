/*
 * xlate: result codes, and owned copies of the neutral types.
 */
#include <stdlib.h>
#include <string.h>

#include "xlate/err.h"
#include "xlate/xlate.h"

/* Indexed by -rc: text, the stanza error and the SIP status it answers. */
static const struct {
	const char	*text;
	enum xl_err_cond cond;
	int		 sip;		/* 0 = the condition's table code */
} statuses[] = {
	{ "ok", XL_ERR_NONE, 0 },
	{ "malformed input", XL_ERR_BAD_REQUEST, 400 },
	{ "input too long", XL_ERR_BAD_REQUEST, 413 },
	{ "output buffer too small", XL_ERR_INTERNAL_SERVER_ERROR, 500 },
	{ "invalid UTF-8 or forbidden character", XL_ERR_BAD_REQUEST, 400 },
	{ "address cannot be mapped", XL_ERR_JID_MALFORMED, 400 },
	{ "unsupported URI scheme", XL_ERR_JID_MALFORMED, 416 },
	{ "domain refused by IDNA2008", XL_ERR_JID_MALFORMED, 400 },
	{ "unsupported content type", XL_ERR_NOT_ACCEPTABLE, 415 },
	{ "unsupported or invalid charset", XL_ERR_NOT_ACCEPTABLE, 415 },
	{ "malformed or forbidden XML", XL_ERR_BAD_REQUEST, 400 },
	{ "XML nested too deep", XL_ERR_BAD_REQUEST, 400 },
	{ "not allowed in this state", XL_ERR_UNEXPECTED_REQUEST, 0 },
	{ "refused by policy", XL_ERR_FORBIDDEN, 403 },
	{ "out of memory", XL_ERR_RESOURCE_CONSTRAINT, 503 },
	{ "no such user", XL_ERR_ITEM_NOT_FOUND, 404 },
};
#define NSTATUSES (sizeof(statuses) / sizeof(statuses[0]))

const char *
xl_strerror(int rc)
{
	if (rc > 0 || (size_t)-rc >= NSTATUSES)
		return "unknown error";
	return statuses[-rc].text;
}

void
xl_status_to_err(int rc, struct xl_err *err)
{
	size_t i = rc < 0 && (size_t)-rc < NSTATUSES ? (size_t)-rc : 0;

	if (i == 0) {
		xl_err_set(err, XL_ERR_INTERNAL_SERVER_ERROR);
		err->text = "unknown error";
		return;
	}
	xl_err_set(err, statuses[i].cond);
	err->sip_code = statuses[i].sip;
	err->text = statuses[i].text;
}

/* Bytes a string field needs in a copy (0 for NULL). */
static size_t
str_size(const char *s, size_t n)
{
	return s ? n + 1 : 0;
}

/* Copy s (n bytes) to *pool, NUL-terminate, advance; NULL stays NULL. */
static const char *
str_put(char **pool, const char *s, size_t n)
{
	char *d = *pool;

	if (s == NULL)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	*pool += n + 1;
	return d;
}

#define SLEN(s) ((s) ? strlen(s) : 0)

struct xl_msg *
xl_msg_dup(const struct xl_msg *m)
{
	size_t need = sizeof(*m) + str_size(m->body, m->body_len) +
	    str_size(m->html, m->html_len) +
	    str_size(m->subject, SLEN(m->subject)) +
	    str_size(m->thread, SLEN(m->thread)) +
	    str_size(m->id, SLEN(m->id)) + str_size(m->lang, SLEN(m->lang));
	struct xl_msg *c = malloc(need);
	char *pool;

	if (c == NULL)
		return NULL;
	*c = *m;
	pool = (char *)(c + 1);
	c->body = str_put(&pool, m->body, m->body_len);
	c->html = str_put(&pool, m->html, m->html_len);
	c->subject = str_put(&pool, m->subject, SLEN(m->subject));
	c->thread = str_put(&pool, m->thread, SLEN(m->thread));
	c->id = str_put(&pool, m->id, SLEN(m->id));
	c->lang = str_put(&pool, m->lang, SLEN(m->lang));
	return c;
}

void
xl_msg_free(struct xl_msg *m)
{
	free(m);
}

struct xl_pres *
xl_pres_dup(const struct xl_pres *p)
{
	size_t need = sizeof(*p) + str_size(p->status, SLEN(p->status)) +
	    str_size(p->status_lang, SLEN(p->status_lang)) +
	    str_size(p->id, SLEN(p->id));
	struct xl_pres *c = malloc(need);
	char *pool;

	if (c == NULL)
		return NULL;
	*c = *p;
	pool = (char *)(c + 1);
	c->status = str_put(&pool, p->status, SLEN(p->status));
	c->status_lang = str_put(&pool, p->status_lang, SLEN(p->status_lang));
	c->id = str_put(&pool, p->id, SLEN(p->id));
	return c;
}

void
xl_pres_free(struct xl_pres *p)
{
	free(p);
}
