/*
 * policy: may traffic with a remote domain cross the border?
 *
 * privacy_mode off / allow-list / deny-list (CONFIG.md); entries with a
 * direction (both / inbound / outbound) and "*.domain" wildcards; in
 * allow-list mode every remote of domains.conf and every domain with a
 * static route is allowed automatically. Pure: reads only the config given.
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
