/*
 * email: "email address for federation" (the Cisco IM&P feature) and
 * domain aliases, from the loaded config (core/config.h).
 *
 * With [federation] email_for_federation = yes and an email map
 * ("local-id email" lines):
 *  - outbound, a local user with an email is presented by that email
 *    address; one without keeps its own address (its JID);
 *  - inbound, an address that is an email in the map reaches its local id;
 *    an address that is a raw local id *with* an email is refused
 *    (XL_E_REFUSED: only the email address federates); an unknown user of
 *    an email domain is XL_E_NOTFOUND; anything else passes unchanged.
 * With it off, both directions pass addresses unchanged.
 * Resources are kept. Comparisons ignore ASCII case (the config is lower
 * case, and so are xl_addr users).
 */
#ifndef FG_XLATE_EMAIL_H
#define FG_XLATE_EMAIL_H

#include "core/config.h"
#include "xlate/xlate.h"

int	xl_email_outbound(const struct config *cfg, const struct xl_addr *local,
	    struct xl_addr *out);
int	xl_email_inbound(const struct config *cfg, const struct xl_addr *to,
	    struct xl_addr *out);

/*
 * Domain alias (domains.conf "alias aim.com aol.com"): rewrite a->domain
 * to its target. 1 when rewritten, 0 when a's domain is no alias.
 */
int	xl_alias_apply(const struct config *cfg, struct xl_addr *a);

#endif
