/*
 * config: the admin's files (CONFIG.md) parsed into one immutable value.
 *
 * config_load() reads fedgate.conf and every file it names (domains,
 * routes, policy, email map), checks each line and then the files against
 * each other, and returns a struct config or the list of errors, each
 * "FILE:LINE: message". A loaded config never changes: reload builds a new
 * one and swaps it (see config_ref/config_unref), so work that began under
 * the old one can finish with it.
 *
 * The struct is public on purpose: it is a read-only value, and every
 * module reads a few fields of it. Everything in it is owned by the config
 * (one arena) and lives until the last config_unref().
 */
#ifndef FG_CORE_CONFIG_H
#define FG_CORE_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CFG_HOST_MAX	256

struct hostport {
	char		host[CFG_HOST_MAX];	/* "" = not set */
	uint16_t	port;
	int		is_ipv6;		/* written as [addr]:port */
};

struct strlist {
	char		**v;
	size_t		  n;
};

enum sip_transport	{ SIP_TRANSPORT_TLS, SIP_TRANSPORT_TCP };
enum edge_dialect	{ EDGE_DIALECT_LYNC, EDGE_DIALECT_STANDARD };
enum xmpp_security	{ XMPP_SEC_NO_TLS, XMPP_SEC_TLS_OPTIONAL, XMPP_SEC_TLS_REQUIRED };
enum privacy_mode	{ PRIVACY_OFF, PRIVACY_ALLOW_LIST, PRIVACY_DENY_LIST };

/* One line of domains.conf. */
enum domain_kind {
	DOMAIN_LOCAL,		/* local SIP domain, with its edge next hop */
	DOMAIN_EMAIL,		/* local email domain (email for federation) */
	DOMAIN_CHAT_ALIAS,	/* group chat node alias */
	DOMAIN_REMOTE,		/* federated partner */
	DOMAIN_ALIAS,		/* name rewritten to target before routing */
};
enum remote_type { REMOTE_XMPP, REMOTE_SIP, REMOTE_CLEARINGHOUSE };

/* Per-partner override of an [xmpp] setting; -1 = not overridden. */
struct remote_opts {
	int		security;	/* enum xmpp_security or -1 */
	int		sasl;		/* 0/1 or -1 */
	int		dialback;	/* 0/1 or -1 */
	int		require_client_certs; /* 0/1 or -1 */
};

struct cfg_domain {
	enum domain_kind kind;
	char		*name;		/* lower case */
	struct hostport	 edge;		/* DOMAIN_LOCAL: next hop ("" = none) */
	enum remote_type type;		/* DOMAIN_REMOTE */
	struct remote_opts opts;	/* DOMAIN_REMOTE */
	char		*target;	/* DOMAIN_ALIAS */
	const char	*file;
	int		 line;
};

enum route_proto { ROUTE_PROTO_TLS, ROUTE_PROTO_TCP };

/* SIP static route, Cisco style: ".com.domaina.*" reversed pattern. */
struct cfg_sip_route {
	char		*pattern;	/* as written, lower case */
	struct hostport	 next_hop;
	enum route_proto proto;
	const char	*file;
	int		 line;
};

/* XMPP static route: several lines for one domain = equal priority. */
struct cfg_xmpp_route {
	char		*domain;
	struct hostport	 addr;
	const char	*file;
	int		 line;
};

enum policy_action	{ POLICY_ALLOW, POLICY_DENY };
enum policy_direction	{ POLICY_BOTH, POLICY_INBOUND, POLICY_OUTBOUND };

struct cfg_policy {
	enum policy_action	action;
	char			*domain;	/* without the "*." */
	int			 wildcard;	/* "*.domain": it and subdomains */
	enum policy_direction	 direction;
	int			 active;	/* used by the current mode */
	const char		*file;
	int			 line;
};

struct cfg_email {
	char		*local_id;	/* user@local-sip-domain */
	char		*email;		/* user@email-domain */
	const char	*file;
	int		 line;
};

struct config {
	/* where it came from */
	char		*path;		/* main file, as given */
	char		*dir;		/* its directory: base of relative paths */
	char		 hash[17];	/* of every file's bytes, for status */

	/* [gateway] */
	char		*hostname;
	char		*domains_file, *routes_file, *policy_file;
	char		*email_map_file;	/* NULL = none */
	char		*state_dir;
	char		*control_socket;
	struct hostport	 metrics_listen;	/* host "" = off */
	int		 log_level;		/* enum log_level */
	struct strlist	 dns_servers;		/* empty = system */
	uint64_t	 shutdown_grace_ms;

	/* [sip] */
	struct hostport	 sip_listen;
	int		 sip_transport;		/* enum sip_transport */
	char		*sip_cert, *sip_key, *sip_ca;
	struct strlist	 sip_peer_subjects;
	int		 edge_dialect;		/* enum edge_dialect */
	uint64_t	 sip_keepalive_ms;
	uint64_t	 sip_answer_timeout_ms;
	uint64_t	 sip_conversation_idle_ms;
	uint64_t	 sip_subscription_expires_s;

	/* [xmpp] */
	struct hostport	 xmpp_listen;
	struct hostport	 xmpp_listen_tls;	/* host "" = off */
	int		 xmpp_security;		/* enum xmpp_security */
	int		 require_client_certs;
	int		 sasl_external_in, sasl_external_out;
	int		 dialback;
	int		 xmpp_bidi;		/* XEP-0288 */
	char		*dialback_secret_file;
	char		*xmpp_cert, *xmpp_key, *xmpp_ca;	/* "" in file = [sip]'s */
	uint64_t	 idle_timeout_ms;
	uint64_t	 xmpp_keepalive_ms;
	uint64_t	 dead_peer_timeout_ms;
	uint64_t	 connect_timeout_ms;
	uint64_t	 max_streams;
	uint64_t	 max_streams_per_domain;
	uint64_t	 max_streams_per_ip;
	uint64_t	 max_stanza_size;
	uint64_t	 queue_limit;

	/* [federation] */
	int		 privacy_mode;		/* enum privacy_mode */
	char		*default_routing_domain;	/* "" = none */
	int		 email_for_federation;

	/* the other files */
	struct cfg_domain	*domains;	size_t ndomains;
	struct cfg_sip_route	*sip_routes;	size_t nsip_routes;
	struct cfg_xmpp_route	*xmpp_routes;	size_t nxmpp_routes;
	struct cfg_policy	*policy;	size_t npolicy;
	struct cfg_email	*email_map;	size_t nemail_map;

	/* private */
	struct config_priv	*priv;
};

/* Collected diagnostics: errors make a load fail, warnings do not. */
struct config_diag {
	char		**errors;	size_t nerrors;
	char		**warnings;	size_t nwarnings;
};

/*
 * Load PATH and every file it names. On success returns a config with one
 * reference; on failure NULL, and diag holds the errors. diag always
 * collects warnings; free it with config_diag_clear().
 */
struct config	*config_load(const char *path, struct config_diag *diag);
struct config	*config_ref(struct config *cfg);
void		 config_unref(struct config *cfg);
void		 config_diag_clear(struct config_diag *diag);

/* The config now in force (set by the daemon at start and on reload). */
struct config	*config_current(void);
void		 config_set_current(struct config *cfg);	/* takes a ref */

/* Write the normalised config (all files, defaults filled in). */
void		 config_print(const struct config *cfg, FILE *out);

/* Settings whose change a reload cannot apply live (need a restart). */
void		 config_changes(const struct config *old, const struct config *new,
		    void (*fn)(const char *key, const char *old_val,
		    const char *new_val, int live, void *arg), void *arg);

/* Write the settings table as Markdown (docs/configuration.md's table). */
void		 config_print_settings_doc(FILE *out);

/* Lookups. Names are compared case-insensitively. NULL when absent. */
const struct cfg_domain *config_domain_find(const struct config *cfg,
		    const char *name);
int		 config_is_local_domain(const struct config *cfg,
		    const char *name);	/* local, email or chat-alias */
const char	*config_alias_target(const struct config *cfg, const char *name);

/* Value parsers shared with other modules and tests. 0 ok, -1 error. */
int		 config_parse_duration_ms(const char *s, uint64_t *ms);
int		 config_parse_size(const char *s, uint64_t *bytes);
int		 config_parse_bool(const char *s, int *b);
int		 config_parse_hostport(const char *s, uint16_t default_port,
		    struct hostport *hp);
int		 config_hostport_format(const struct hostport *hp, char *buf,
		    size_t len);
int		 config_valid_domain(const char *s);

#endif
