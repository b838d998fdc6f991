/*
 * policy: may traffic with a remote domain cross the border? See policy.h.
 *
 * Order of the decision (docs/routing.md "Policy"):
 *  1. our own domains (local, email, chat-alias) are never federation
 *     peers: denied (traffic "from" or "to" them over federation is a
 *     spoof or a loop);
 *  2. privacy_mode = off: allowed;
 *  3. the most specific active policy.conf entry for this direction
 *     decides: an exact "domain" beats any "*.domain"; a longer "*.domain"
 *     beats a shorter one; at equal names a directional entry beats "both".
 *     The name as written is matched first, then its alias target, so a
 *     line may name either;
 *  4. allow-list without a matching entry: every remote of domains.conf and
 *     every domain with a static route (either side) is allowed; anything
 *     else is denied (lockdown until configured);
 *     deny-list without a matching entry: allowed.
 * In one mode only one action is active (config.c marks the others
 * inactive), so "most specific" decides which rule is reported, and
 * direction decides whether an entry applies at all.
 */
#include "config.h"
#include "core/policy.h"
#include "core/config.h"
#include "core/route.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *
base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path ? path : "?";
}

static int
labels(const char *d)
{
	int n = 1;

	for (; *d; d++)
		n += *d == '.';
	return n;
}

/*
 * How specifically entry p names domain for direction dir: -1 when it does
 * not apply; else exact > longer wildcard > shorter wildcard, and at equal
 * names a directional entry above "both".
 */
static int
entry_score(const struct cfg_policy *p, const char *domain,
    enum policy_dir dir)
{
	size_t dl = strlen(domain), pl = strlen(p->domain);
	int score;

	if (!p->active)
		return -1;
	if ((p->direction == POLICY_INBOUND && dir != POLICY_DIR_INBOUND) ||
	    (p->direction == POLICY_OUTBOUND && dir != POLICY_DIR_OUTBOUND))
		return -1;
	if (strcmp(domain, p->domain) == 0)
		score = 4 * labels(p->domain) + (p->wildcard ? 0 : 2);
	else if (p->wildcard && dl > pl && domain[dl - pl - 1] == '.' &&
	    strcmp(domain + dl - pl, p->domain) == 0)
		score = 4 * labels(p->domain);
	else
		return -1;
	return score + (p->direction != POLICY_BOTH);
}

static const struct cfg_policy *
best_entry(const struct config *cfg, const char *domain, enum policy_dir dir)
{
	const struct cfg_policy *best = NULL;
	int bs = -1;

	for (size_t i = 0; i < cfg->npolicy; i++) {
		int s = entry_score(&cfg->policy[i], domain, dir);
		if (s > bs) {
			bs = s;
			best = &cfg->policy[i];
		}
	}
	return best;
}

static int
decide(struct policy_decision *out, int allowed, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
decide(struct policy_decision *out, int allowed, const char *fmt, ...)
{
	va_list ap;

	out->allowed = allowed;
	va_start(ap, fmt);
	vsnprintf(out->rule, sizeof(out->rule), fmt, ap);
	va_end(ap);
	return allowed;
}

/* Allow-list's automatic entries: remotes and static-route domains. */
static int
auto_allowed(const struct config *cfg, const char *d,
    struct policy_decision *out)
{
	const struct cfg_domain *dom = config_domain_find(cfg, d);

	if (dom && dom->kind == DOMAIN_REMOTE)
		return decide(out, 1, "%s:%d: remote %s (allowed automatically "
		    "in allow-list mode)", base_name(dom->file), dom->line, d);
	for (size_t i = 0; i < cfg->nxmpp_routes; i++)
		if (!strcmp(cfg->xmpp_routes[i].domain, d))
			return decide(out, 1, "%s:%d: xmpp static route for %s "
			    "(allowed automatically in allow-list mode)",
			    base_name(cfg->xmpp_routes[i].file),
			    cfg->xmpp_routes[i].line, d);
	for (size_t i = 0; i < cfg->nsip_routes; i++)
		if (route_sip_pattern_match(cfg->sip_routes[i].pattern, d) >= 0)
			return decide(out, 1, "%s:%d: sip static route %s covers "
			    "%s (allowed automatically in allow-list mode)",
			    base_name(cfg->sip_routes[i].file),
			    cfg->sip_routes[i].line, cfg->sip_routes[i].pattern, d);
	return -1;
}

int
policy_check(const struct config *cfg, const char *domain,
    enum policy_dir dir, struct policy_decision *out)
{
	static const char *const dirs[] = { "both", "inbound", "outbound" };
	char name[CFG_HOST_MAX];
	const char *target, *d;
	const struct cfg_policy *p;
	size_t i;

	for (i = 0; domain[i] && i < sizeof(name) - 1; i++)
		name[i] = (char)tolower((unsigned char)domain[i]);
	name[i] = '\0';
	if (i > 1 && name[i - 1] == '.')
		name[i - 1] = '\0';
	target = config_alias_target(cfg, name);
	d = target ? target : name;

	if (config_is_local_domain(cfg, d)) {
		const struct cfg_domain *own = config_domain_find(cfg, d);
		return decide(out, 0, "%s:%d: %s is one of our own domains, not "
		    "a federation peer", base_name(own->file), own->line, d);
	}
	if (cfg->privacy_mode == PRIVACY_OFF)
		return decide(out, 1, "privacy_mode = off");
	p = best_entry(cfg, name, dir);
	if (p == NULL && target)
		p = best_entry(cfg, target, dir);
	if (p)
		return decide(out, p->action == POLICY_ALLOW, "%s:%d: %s %s%s%s%s",
		    base_name(p->file), p->line,
		    p->action == POLICY_ALLOW ? "allow" : "deny",
		    p->wildcard ? "*." : "", p->domain,
		    p->direction == POLICY_BOTH ? "" : " ",
		    p->direction == POLICY_BOTH ? "" : dirs[p->direction]);
	if (cfg->privacy_mode == PRIVACY_DENY_LIST)
		return decide(out, 1, "privacy_mode = deny-list: no deny entry "
		    "for %s", d);
	if (auto_allowed(cfg, d, out) >= 0)
		return out->allowed;
	return decide(out, 0, "privacy_mode = allow-list: %s is not allowed in "
	    "the policy file (%s) and is neither a remote domain nor a "
	    "static-route domain", d, dir == POLICY_DIR_INBOUND ? "inbound" :
	    "outbound");
}
