/*
 * policy: may traffic with a remote domain cross the border?
 *
 * privacy_mode off / allow-list / deny-list (CONFIG.md); entries with a
 * direction (both / inbound / outbound) and "*.domain" wildcards; in
 * allow-list mode every remote of domains.conf and every domain with a
 * static route is allowed automatically. Pure: reads only the config given.
 *
 * policy_check() returns out->allowed (1 or 0); out->rule says what decided
 * (precedence in core/policy.c and docs/routing.md). Aliases are rewritten
 * first (an entry may name the alias or its target). Our own domains are
 * never federation peers: denied.
 *
 * The incoming ACL -- may an inbound message be addressed to this domain?
 * -- is config_is_local_domain() (local, email, chat-alias): not here.
 */
#ifndef FG_CORE_POLICY_H
#define FG_CORE_POLICY_H

#include <stddef.h>

struct config;

enum policy_dir { POLICY_DIR_INBOUND, POLICY_DIR_OUTBOUND };

struct policy_decision {
	int	allowed;
	char	rule[256];	/* what decided, e.g. "policy.conf:3: allow *.example.com inbound" */
};

int	policy_check(const struct config *cfg, const char *domain,
	    enum policy_dir dir, struct policy_decision *out);

#endif
