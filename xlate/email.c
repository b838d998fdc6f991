/*
 * email: email address for federation and domain aliases. See email.h.
 */
#include <string.h>
#include <strings.h>

#include "xlate/addr.h"
#include "xlate/email.h"
#include "xlate/text.h"

/* "user@domain" of a (bare) into buf; 0, or -1 when it does not fit. */
static int
addr_id(const struct xl_addr *a, char *buf, size_t len)
{
	struct xl_out o;

	xl_out_init(&o, buf, len);
	xl_out_str(&o, a->user);
	xl_out_char(&o, '@');
	xl_out_str(&o, a->domain);
	return xl_out_done(&o) == XL_OK ? 0 : -1;
}

/* Replace user and domain of out with those of "user@domain" s. */
static int
addr_from_id(const char *s, const struct xl_addr *keep, struct xl_addr *out)
{
	char user[XL_LOCAL_MAX];
	const char *at = strrchr(s, '@');
	size_t n;

	if (at == NULL || (n = (size_t)(at - s)) >= sizeof(user))
		return XL_E_SYNTAX;
	memcpy(user, s, n);
	user[n] = '\0';
	return xl_addr_set(out, user, at + 1,
	    keep->resource[0] ? keep->resource : NULL);
}

int
xl_email_outbound(const struct config *cfg, const struct xl_addr *local,
    struct xl_addr *out)
{
	char id[XL_LOCAL_MAX + XL_DOMAIN_MAX + 1];

	if (!cfg->email_for_federation || addr_id(local, id, sizeof(id)) != 0) {
		*out = *local;
		return XL_OK;
	}
	for (size_t i = 0; i < cfg->nemail_map; i++)
		if (strcasecmp(cfg->email_map[i].local_id, id) == 0)
			return addr_from_id(cfg->email_map[i].email, local, out);
	*out = *local;			/* no email: its own address */
	return XL_OK;
}

int
xl_email_inbound(const struct config *cfg, const struct xl_addr *to,
    struct xl_addr *out)
{
	char id[XL_LOCAL_MAX + XL_DOMAIN_MAX + 1];
	const struct cfg_domain *d;

	if (!cfg->email_for_federation) {
		*out = *to;
		return XL_OK;
	}
	if (addr_id(to, id, sizeof(id)) != 0)
		return XL_E_TOOLONG;
	for (size_t i = 0; i < cfg->nemail_map; i++)
		if (strcasecmp(cfg->email_map[i].email, id) == 0)
			return addr_from_id(cfg->email_map[i].local_id, to, out);
	for (size_t i = 0; i < cfg->nemail_map; i++)
		if (strcasecmp(cfg->email_map[i].local_id, id) == 0)
			return XL_E_REFUSED;	/* only its email federates */
	d = config_domain_find(cfg, to->domain);
	if (d != NULL && d->kind == DOMAIN_EMAIL)
		return XL_E_NOTFOUND;
	*out = *to;
	return XL_OK;
}

int
xl_alias_apply(const struct config *cfg, struct xl_addr *a)
{
	const char *target = config_alias_target(cfg, a->domain);
	char dom[XL_DOMAIN_MAX];

	if (target == NULL ||
	    xl_domain_normalize(target, dom, sizeof(dom)) != XL_OK)
		return 0;
	strcpy(a->domain, dom);
	return 1;
}
