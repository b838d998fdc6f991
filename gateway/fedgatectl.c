/*
 * fedgatectl: talk to a running fedgated over its control socket.
 */
#include "config.h"
#include "core/config.h"
#include "core/ctl.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_CONF FG_SYSCONFDIR "/fedgate/fedgate.conf"

static void
usage(FILE *out)
{
	fprintf(out, "usage: fedgatectl [-s SOCKET | -c CONFIG] COMMAND [ARGS]\n"
	    "commands: status, connections, reload, check, stats, help\n");
}

int
main(int argc, char **argv)
{
	const char *sock = NULL, *conf = NULL;
	char cmd[1024] = "";
	int c, rc;

	while ((c = getopt(argc, argv, "s:c:h")) != -1) {
		switch (c) {
		case 's': sock = optarg; break;
		case 'c': conf = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind == argc) {
		usage(stderr);
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		if (strlen(cmd) + strlen(argv[i]) + 2 >= sizeof(cmd)) {
			fprintf(stderr, "fedgatectl: command too long\n");
			return 2;
		}
		if (i > optind)
			strcat(cmd, " ");
		strcat(cmd, argv[i]);
	}
	struct config *cfg = NULL;
	if (sock == NULL) {
		struct config_diag d = { 0 };
		log_init(1, LOG_LVL_WARN);
		cfg = config_load(conf ? conf : DEFAULT_CONF, &d);
		if (cfg == NULL) {
			for (size_t i = 0; i < d.nerrors; i++)
				fprintf(stderr, "%s\n", d.errors[i]);
			fprintf(stderr, "fedgatectl: cannot find the control "
			    "socket: give -s SOCKET or a valid -c CONFIG\n");
			config_diag_clear(&d);
			return 2;
		}
		config_diag_clear(&d);
		sock = cfg->control_socket;
	}
	/* reload and check may take a while (DNS, connections). */
	rc = ctl_client_call(sock, cmd, stdout, 30000);
	if (rc < 0)
		fprintf(stderr, "fedgatectl: no answer on %s (is fedgated "
		    "running?)\n", sock);
	config_unref(cfg);
	return rc < 0 ? 2 : rc;
}
