# xmpp-rig.sh: fedgate as an XMPP server in the integration rig (sourced
# after tap.sh, rig.sh and prosody.sh).
#
# Addresses and names used by the XMPP tests:
#   sip.test   our local domain, served by fedgated on 127.0.0.2 (gw.sip.test)
#   xmpp.test  a Prosody peer on 127.0.0.1;  other.test  a second peer, 127.0.0.3
#   ej.test    ejabberd on 127.0.0.6;        evil.test   a raw test peer, 127.0.0.7
#
#   xr_init NAME [DNS-LINES] rig_init + DNS (A and _xmpp-server SRV records for
#                            all of the above, plus DNS-LINES) + certificates from the test CA
#                            (gw.sip.test with SAN sip.test, xmpp.test, other.test,
#                            ej.test, evil.test, edge.sip.test)
#   xr_conf [KEY=VALUE...]   write $RIG_DIR/etc/fedgate.conf; arguments are
#                            [xmpp] settings (e.g. security=no-tls); the
#                            domains file has "local sip.test" and every
#                            peer as a remote (XR_REMOTE_OPTS_xmpp etc. add
#                            options to a peer's line); privacy_mode = off
#   xr_start [ENV=VALUE...]  start fedgated (test echo on unless XR_ECHO=0) and
#                            wait until it listens
#   xr_ctl ARGS...           fedgatectl against it
#   xr_client ARGS...        tests/lib/xmpp_client.py inside the namespace
#   xr_log                   fedgated's log file

XR_GW=127.0.0.2

xr_init() { # NAME [DNS-LINES]
	rig_init "$1"
	rig_dns "
host-record=gw.sip.test,127.0.0.2
host-record=xmpp.test,127.0.0.1
host-record=other.test,127.0.0.3
host-record=ej.test,127.0.0.6
host-record=evil.test,127.0.0.7
host-record=edge.sip.test,127.0.0.9
srv-host=_xmpp-server._tcp.sip.test,gw.sip.test,5269,10,5
srv-host=_xmpp-server._tcp.xmpp.test,xmpp.test,5269,10,5
srv-host=_xmpp-server._tcp.other.test,other.test,5269,10,5
srv-host=_xmpp-server._tcp.ej.test,ej.test,5269,10,5
srv-host=_xmpp-server._tcp.evil.test,evil.test,5269,10,5
${2:-}
"
	rig_certs xmpp.test other.test ej.test evil.test edge.sip.test || return 1
	"$top_srcdir/certs/fedgate-certs" leaf "$RIG_DIR/certs" gw.sip.test sip.test >/dev/null
}

xr_conf() { # [KEY=VALUE...] ([xmpp] settings)
	etc=$RIG_DIR/etc
	mkdir -p "$etc"
	c=$RIG_DIR/certs
	{
		cat <<CONF
[gateway]
hostname = gw.sip.test
state_dir = $RIG_DIR/state
control_socket = $RIG_DIR/ctl.sock
metrics_listen =
log_level = debug
dns_servers = 127.0.0.53
[sip]
listen = 127.0.0.2:5061
cert = $c/gw.sip.test.pem
key = $c/gw.sip.test.key
ca = $c/ca.pem
peer_subjects = edge.sip.test
[federation]
privacy_mode = off
[xmpp]
listen = $XR_GW:5269
dialback_secret_file = $c/dialback.secret
connect_timeout = 5s
CONF
		for kv in "$@"; do echo "${kv%%=*} = ${kv#*=}"; done
	} > "$etc/fedgate.conf"
	cat > "$etc/domains.conf" <<CONF
local   sip.test     edge=edge.sip.test:5061
remote  xmpp.test    ${XR_REMOTE_OPTS_xmpp:-}
remote  other.test   ${XR_REMOTE_OPTS_other:-}
remote  ej.test      ${XR_REMOTE_OPTS_ej:-}
remote  evil.test    ${XR_REMOTE_OPTS_evil:-}
CONF
	: > "$etc/routes.conf"
	: > "$etc/policy.conf"
}

xr_log() { echo "$RIG_DIR/fedgated.log"; }

xr_start() { # [ENV=VALUE...]
	if [ "${XR_ECHO:-1}" = 1 ]; then set -- FG_TEST_XMPP_ECHO=1 "$@"; fi
	rig_bg fedgated env "$@" "$FEDGATED" -f -d -c "$RIG_DIR/etc/fedgate.conf"
	rig_wait_log fedgated "listening on $XR_GW:5269" 10
}

xr_ctl() { rig_exec "$FEDGATECTL" -s "$RIG_DIR/ctl.sock" "$@"; }

xr_client() {
	rig_exec /usr/bin/python3 "$top_srcdir/tests/lib/xmpp_client.py" "$@"
}

# xr_stop: stop fedgated with SIGTERM; checks that it exits 0 and that no
# sanitizer report is in its log (the ASan build reports leaks at exit).
xr_stop() {
	rig_stop fedgated TERM; rc=$?
	check_eq "fedgated stops with exit 0" 0 "$rc"
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$(xr_log)"; then
		tap_not_ok "no sanitizer report" "$(grep -E -A12 'Sanitizer|runtime error:' "$(xr_log)" | head -n 40)"
	else tap_ok "no sanitizer report"; fi
}
