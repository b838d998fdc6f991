/*
 * fedgated: the daemon. Reads the admin's files, starts the services on
 * one loop, reloads on SIGHUP (or "fedgatectl reload") and stops gracefully
 * on SIGTERM/SIGINT.
 */
#include "config.h"
#include "core/config.h"
#include "core/ctl.h"
#include "core/dns.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "core/route.h"
#include "core/service.h"
#include "gateway/check.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOG_MOD "main"
#define DEFAULT_CONF FG_SYSCONFDIR "/fedgate/fedgate.conf"

static struct {
	const char	*conf_path;
	int		 foreground;
	int		 debug;
	time_t		 started;
	int		 stopping;
	uint64_t	 stop_deadline;
	struct loop_timer *stop_timer;
	unsigned	 reloads, reload_failures;
	struct metric	*m_reload_ok, *m_reload_failed;
} D;

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: fedgated [-c FILE] [-f] [-d] [-n [-v]]\n"
	    "  -c FILE   main configuration file (default %s)\n"
	    "  -f        stay in the foreground, log to stderr\n"
	    "  -d        debug logging\n"
	    "  -n        check the configuration and exit\n"
	    "  -v        with -n: print the normalised configuration\n"
	    "  --settings-doc  print the settings table as Markdown\n"
	    "  --route DOMAIN [--side sip|xmpp]  explain the policy and the routing\n"
	    "            of DOMAIN with real DNS, then exit (0 = a route was found)\n",
	    DEFAULT_CONF);
}

static void
print_diag(const struct config_diag *d, FILE *out)
{
	for (size_t i = 0; i < d->nerrors; i++)
		fprintf(out, "%s\n", d->errors[i]);
	for (size_t i = 0; i < d->nwarnings; i++)
		fprintf(out, "%s\n", d->warnings[i]);
}

static size_t
nservices(void)
{
	size_t n = 0;

	while (services[n])
		n++;
	return n;
}

/* ---- reload ----------------------------------------------------- */

struct change_ctx {
	FILE	*out;
	int	 n;
};

static void
reload_change(const char *key, const char *old_val, const char *new_val,
    int live, void *arg)
{
	struct change_ctx *cc = arg;

	cc->n++;
	log_info(LOG_MOD, "reload: %s changed old=\"%s\" new=\"%s\"%s", key,
	    old_val, new_val, live ? "" : " (takes effect after a restart)");
	if (cc->out)
		fprintf(cc->out, "%s: %s -> %s%s\n", key, old_val, new_val,
		    live ? "" : " (after restart)");
}

/*
 * Parse every file into a new config. On any error keep the running one.
 * Returns 0 when the new config is in force.
 */
static int
daemon_reload(FILE *out)
{
	struct config_diag diag = { 0 };
	struct config *old = config_current(), *cfg;
	struct change_ctx cc = { out, 0 };

	cfg = config_load(D.conf_path, &diag);
	if (cfg == NULL) {
		D.reload_failures++;
		metric_inc(D.m_reload_failed);
		log_error(LOG_MOD, "config %s has errors, not reloading",
		    D.conf_path);
		for (size_t i = 0; i < diag.nerrors; i++)
			log_error(LOG_MOD, "%s", diag.errors[i]);
		if (out) {
			fprintf(out, "config %s has errors, not reloading\n",
			    D.conf_path);
			print_diag(&diag, out);
		}
		config_diag_clear(&diag);
		return -1;
	}
	for (size_t i = 0; i < diag.nwarnings; i++)
		log_warnx(LOG_MOD, "%s", diag.warnings[i]);
	config_diag_clear(&diag);
	config_ref(old);
	config_changes(old, cfg, reload_change, &cc);
	config_set_current(cfg);
	if (!D.debug)
		log_set_level((enum log_level)cfg->log_level);
	for (size_t i = 0; services[i]; i++)
		if (services[i]->reload)
			services[i]->reload(old, cfg);
	config_unref(old);
	config_unref(cfg);	/* config_set_current holds it */
	D.reloads++;
	metric_inc(D.m_reload_ok);
	log_info(LOG_MOD, "reloaded %s: %d change%s, config hash %s",
	    D.conf_path, cc.n, cc.n == 1 ? "" : "s", config_current()->hash);
	if (out)
		fprintf(out, "reloaded: %d change%s\n", cc.n, cc.n == 1 ? "" : "s");
	return 0;
}

static void
on_sighup(void *arg)
{
	log_info(LOG_MOD, "SIGHUP: reloading %s", D.conf_path);
	daemon_reload(NULL);
}

/* ---- stop ------------------------------------------------------- */

static int
all_idle(void)
{
	for (size_t i = 0; services[i]; i++)
		if (services[i]->idle && !services[i]->idle())
			return 0;
	return 1;
}

static void
stop_check(void *arg)
{
	if (all_idle() || loop_now_ms_fresh() >= D.stop_deadline) {
		if (!all_idle())
			log_warnx(LOG_MOD, "shutdown grace elapsed, closing what "
			    "is left");
		loop_stop();
		return;
	}
	loop_timer_set(D.stop_timer, 50);
}

static void
on_sigterm(void *arg)
{
	size_t n = nservices();

	if (D.stopping) {
		log_warnx(LOG_MOD, "second stop signal: stopping now");
		loop_stop();
		return;
	}
	D.stopping = 1;
	log_info(LOG_MOD, "stopping: closing listeners, grace %llums",
	    (unsigned long long)config_current()->shutdown_grace_ms);
	ctl_close();
	for (size_t i = n; i > 0; i--)
		if (services[i - 1]->stop)
			services[i - 1]->stop();
	D.stop_deadline = loop_now_ms_fresh() +
	    config_current()->shutdown_grace_ms;
	D.stop_timer = loop_timer_new(stop_check, NULL);
	if (D.stop_timer == NULL) {
		loop_stop();
		return;
	}
	stop_check(NULL);
}

/* ---- control commands ------------------------------------------- */

static int
cmd_status(const char *args, FILE *out, void *arg)
{
	const struct config *cfg = config_current();

	fprintf(out, "fedgated %s up %llds\n", PACKAGE_VERSION,
	    (long long)(time(NULL) - D.started));
	fprintf(out, "config %s hash %s reloads %u failed %u\n", cfg->path,
	    cfg->hash, D.reloads, D.reload_failures);
	for (size_t i = 0; services[i]; i++)
		if (services[i]->status)
			services[i]->status(out);
	return 0;
}

static int
cmd_connections(const char *args, FILE *out, void *arg)
{
	for (size_t i = 0; services[i]; i++)
		if (services[i]->connections)
			services[i]->connections(out);
	return 0;
}

static int
cmd_stats(const char *args, FILE *out, void *arg)
{
	for (size_t i = 0; services[i]; i++)
		if (services[i]->stats)
			services[i]->stats(out);
	return 0;
}

static int
cmd_reload(const char *args, FILE *out, void *arg)
{
	return daemon_reload(out) == 0 ? 0 : 1;
}

/* ---- --route: explain routing offline --------------------------- */

static int
route_main(struct config *cfg, const char *domain, const char *side_arg)
{
	enum route_side side;
	int rc;

	if (side_arg == NULL)
		side = route_default_side(cfg, domain);
	else if (!strcmp(side_arg, "sip"))
		side = ROUTE_SIDE_SIP;
	else if (!strcmp(side_arg, "xmpp"))
		side = ROUTE_SIDE_XMPP;
	else {
		fprintf(stderr, "--side: '%s' is not sip or xmpp\n", side_arg);
		return 1;
	}
	config_set_current(cfg);
	if (loop_init() != 0 || dns_init(cfg) != 0)
		fatalx(LOG_MOD, "cannot start the resolver");
	rc = route_explain(domain, side, stdout);
	dns_shutdown();
	loop_destroy();
	config_set_current(NULL);
	return rc;
}

/* ---- start ------------------------------------------------------ */

static int
mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -1;
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, mode) != 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	}
	if (mkdir(buf, mode) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int
daemon_start(struct config *cfg)
{
	if (mkdir_p(cfg->state_dir, 0750) != 0) {
		log_warn(LOG_MOD, "cannot create state_dir %s", cfg->state_dir);
		return -1;
	}
	D.m_reload_ok = metric_counter("fedgate_reloads_total",
	    "result=\"ok\"", "configuration reloads");
	D.m_reload_failed = metric_counter("fedgate_reloads_total",
	    "result=\"refused\"", "configuration reloads");
	ctl_register("status", cmd_status, NULL, "each side and the config");
	ctl_register("connections", cmd_connections, NULL, "every stream/link");
	ctl_register("stats", cmd_stats, NULL, "counters");
	ctl_register("reload", cmd_reload, NULL, "re-read every file");
	ctl_register("check", check_command, NULL,
	    "certificates, DNS, edge and remote domains");
	if (ctl_listen(cfg->control_socket) != 0)
		return -1;
	for (size_t i = 0; services[i]; i++) {
		if (services[i]->start && services[i]->start(cfg) != 0) {
			log_error(LOG_MOD, "cannot start %s", services[i]->name);
			return -1;
		}
	}
	return 0;
}

static void
daemonize(void)
{
	pid_t pid = fork();

	if (pid < 0)
		fatal(LOG_MOD, "fork");
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		fatal(LOG_MOD, "setsid");
	if (freopen("/dev/null", "r", stdin) == NULL ||
	    freopen("/dev/null", "w", stdout) == NULL ||
	    freopen("/dev/null", "w", stderr) == NULL)
		fatal(LOG_MOD, "reopening standard streams");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "settings-doc", no_argument, NULL, 'S' },
		{ "route", required_argument, NULL, 'R' },
		{ "side", required_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct config_diag diag = { 0 };
	struct config *cfg;
	int check = 0, verbose = 0, c;
	const char *route_domain = NULL, *route_side = NULL;
	char abs[PATH_MAX];

	D.conf_path = DEFAULT_CONF;
	while ((c = getopt_long(argc, argv, "c:fdnvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': D.conf_path = optarg; break;
		case 'f': D.foreground = 1; break;
		case 'd': D.debug = 1; break;
		case 'n': check = 1; break;
		case 'v': verbose = 1; break;
		case 'S': config_print_settings_doc(stdout); return 0;
		case 'R': route_domain = optarg; break;
		case 'I': route_side = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 1;
	}
	log_init(1, D.debug ? LOG_LVL_DEBUG : LOG_LVL_INFO);

	cfg = config_load(D.conf_path, &diag);
	if (cfg == NULL) {
		print_diag(&diag, stderr);
		config_diag_clear(&diag);
		return 1;
	}
	if (route_domain) {
		print_diag(&diag, stderr);
		config_diag_clear(&diag);
		c = route_main(cfg, route_domain, route_side);
		config_unref(cfg);
		return c;
	}
	if (check) {
		print_diag(&diag, stderr);
		if (verbose)
			config_print(cfg, stdout);
		else
			printf("configuration OK\n");
		config_diag_clear(&diag);
		config_unref(cfg);
		return 0;
	}
	for (size_t i = 0; i < diag.nwarnings; i++)
		log_warnx(LOG_MOD, "%s", diag.warnings[i]);
	config_diag_clear(&diag);
	/* A daemon must find its files again on reload after any chdir. */
	if (realpath(D.conf_path, abs) != NULL && strcmp(abs, D.conf_path)) {
		config_unref(cfg);
		D.conf_path = strdup(abs);
		cfg = config_load(D.conf_path, &diag);
		config_diag_clear(&diag);
		if (cfg == NULL)
			fatalx(LOG_MOD, "config changed while starting");
	}
	if (!D.foreground)
		daemonize();
	log_init(D.foreground, D.debug ? LOG_LVL_DEBUG :
	    (enum log_level)cfg->log_level);
	config_set_current(cfg);
	config_unref(cfg);
	signal(SIGPIPE, SIG_IGN);
	if (loop_init() != 0)
		fatalx(LOG_MOD, "cannot create the event loop");
	if (loop_signal(SIGHUP, on_sighup, NULL) != 0 ||
	    loop_signal(SIGTERM, on_sigterm, NULL) != 0 ||
	    loop_signal(SIGINT, on_sigterm, NULL) != 0)
		fatal(LOG_MOD, "signal setup");
	D.started = time(NULL);
	if (daemon_start(config_current()) != 0) {
		log_error(LOG_MOD, "start failed, exiting");
		ctl_close();
		return 1;
	}
	log_info(LOG_MOD, "fedgated %s started config=%s hash=%s",
	    PACKAGE_VERSION, D.conf_path, config_current()->hash);
	loop_run();
	for (size_t i = nservices(); i > 0; i--)
		if (services[i - 1]->shutdown)
			services[i - 1]->shutdown();
	ctl_close();
	loop_timer_free(D.stop_timer);
	loop_destroy();
	metrics_free_all();
	config_set_current(NULL);
	log_info(LOG_MOD, "stopped");
	return 0;
}
