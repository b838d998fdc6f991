# bench/lib.sh: the benchmark's rig around fedgated (sourced after
# tests/lib/tap.sh and tests/lib/rig.sh; used by bench/run.sh and
# tests/integration/bench-smoke.sh).
#
# Inside the test's network namespace:
#   127.0.0.2  fedgated          gw.sip.test: SIP 5061 (mutual TLS), XMPP 5269
#   127.0.0.3  fgbench (XMPP)    xmpp.test, the remote XMPP domain's server
#   127.0.0.4  fgbench (SIP)     edge.sip.test, the SIP edge of sip.test
#   127.0.0.53 dnsmasq           A records and _xmpp-server._tcp SRV records
#
#   bench_rig_setup           certificates, DNS, fedgated config in $RIG_DIR
#   bench_gateway_start       start fedgated, wait for its control socket
#   bench_gateway_sides       0 when fedgated has both sides; else prints why
#   bench_gateway_listening   wait for its SIP and XMPP listeners
#   bench_fgbench MODE ARGS   run fgbench in the namespace with the rig's
#                             certificates, secrets and the gateway's pid

FGBENCH=${FGBENCH:-$top_builddir/bench/fgbench}
BENCH_GW_IP=127.0.0.2
BENCH_XMPP_IP=127.0.0.3
BENCH_EDGE_IP=127.0.0.4

# CA; the gateway's certificate names its host and its SIP domain (the XMPP
# side presents it for sip.test); the edge's; the XMPP peer's; a dialback
# secret for the gateway and one for the bench (the remote domain's own).
bench_certs() {
	_bfc=$top_srcdir/certs/fedgate-certs
	_bd=$RIG_DIR/certs
	"$_bfc" ca "$_bd" >/dev/null &&
	"$_bfc" leaf "$_bd" gw.sip.test sip.test >/dev/null &&
	"$_bfc" leaf "$_bd" edge.sip.test >/dev/null &&
	"$_bfc" leaf "$_bd" xmpp.test >/dev/null &&
	"$_bfc" secret "$_bd/dialback.secret" &&
	"$_bfc" secret "$_bd/bench.secret"
}

bench_dns() {
	rig_dns "host-record=gw.sip.test,$BENCH_GW_IP
host-record=sip.test,$BENCH_GW_IP
host-record=xmpp.test,$BENCH_XMPP_IP
host-record=edge.sip.test,$BENCH_EDGE_IP
srv-host=_xmpp-server._tcp.sip.test,gw.sip.test,5269,0,5
srv-host=_xmpp-server._tcp.xmpp.test,xmpp.test,5269,0,5
srv-host=_sipfederationtls._tcp.sip.test,gw.sip.test,5061,0,5"
}

# fedgated's files: sip.test local (edge = the bench), xmpp.test remote.
bench_config() {
	mkdir -p "$RIG_DIR/etc"
	cat > "$RIG_DIR/etc/fedgate.conf" <<CONF
[gateway]
hostname = gw.sip.test
state_dir = $RIG_DIR/state
control_socket = $RIG_DIR/ctl.sock
metrics_listen =
log_level = ${BENCH_LOG_LEVEL:-warn}
[sip]
listen = $BENCH_GW_IP:5061
cert = $RIG_DIR/certs/gw.sip.test.pem
key = $RIG_DIR/certs/gw.sip.test.key
ca = $RIG_DIR/certs/ca.pem
peer_subjects = edge.sip.test
edge_dialect = standard
[xmpp]
listen = $BENCH_GW_IP:5269
dialback_secret_file = $RIG_DIR/certs/dialback.secret
CONF
	printf 'local sip.test edge=edge.sip.test:5061\nremote xmpp.test type=xmpp\n' \
		> "$RIG_DIR/etc/domains.conf"
	: > "$RIG_DIR/etc/routes.conf"
	: > "$RIG_DIR/etc/policy.conf"
}

bench_rig_setup() {
	bench_certs || { echo "# bench: cannot make certificates"; return 1; }
	bench_dns || { echo "# bench: dnsmasq did not start"; return 1; }
	bench_config
	if ! _bout=$("$FEDGATED" -n -c "$RIG_DIR/etc/fedgate.conf" 2>&1); then
		echo "# bench: fedgated refuses the benchmark config:"
		printf '%s\n' "$_bout" | sed 's/^/#   /'
		return 1
	fi
}

bench_gateway_start() {
	rig_bg fedgated "$FEDGATED" -f -c "$RIG_DIR/etc/fedgate.conf"
	# log_level = warn: no "started" line; its control socket says it is up
	if ! wait_for 10 test -S "$RIG_DIR/ctl.sock" || ! rig_alive fedgated; then
		echo "# bench: fedgated did not start within 10 s (see $RIG_DIR/fedgated.log)"
		return 1
	fi
}

# Both listeners up (bounded), after bench_gateway_sides said they exist.
bench_gateway_listening() {
	if ! rig_wait_port $BENCH_GW_IP 5061 10; then
		echo "# bench: fedgated does not listen on $BENCH_GW_IP:5061 (SIP) within 10 s"
		return 1
	fi
	if ! rig_wait_port $BENCH_GW_IP 5269 10; then
		echo "# bench: fedgated does not listen on $BENCH_GW_IP:5269 (XMPP) within 10 s"
		return 1
	fi
}

# Both sides are in the daemon when its status has a line for each
# ("sip..." and "xmpp...", CONFIG.md: each side Active/Inactive). The
# environment can force the answer: FG_BENCH_GATEWAY=1 or 0.
bench_gateway_sides() {
	case ${FG_BENCH_GATEWAY:-} in
	1) return 0 ;;
	0) echo "FG_BENCH_GATEWAY=0"; return 1 ;;
	esac
	_bst=$(rig_exec "$FEDGATECTL" -s "$RIG_DIR/ctl.sock" status 2>&1)
	if printf '%s\n' "$_bst" | grep -q 'nothing is wired'; then
		echo "fedgated's sides are not wired together yet (fedgatectl status: nothing is wired)"
		return 1
	fi
	if printf '%s\n' "$_bst" | grep -qi '^sip' &&
	    printf '%s\n' "$_bst" | grep -qi '^xmpp'; then
		return 0
	fi
	echo "fedgated has no SIP and XMPP sides yet (fedgatectl status shows no 'sip'/'xmpp' lines)"
	return 1
}

bench_fgbench() { # MODE ARGS...
	_bmode=$1; shift
	rig_exec "$FGBENCH" "$_bmode" --certs "$RIG_DIR/certs" \
		--dialback-secret "$RIG_DIR/certs/dialback.secret" \
		--own-secret "$RIG_DIR/certs/bench.secret" \
		--gw-sip $BENCH_GW_IP:5061 --gw-xmpp $BENCH_GW_IP:5269 \
		--xmpp-listen $BENCH_XMPP_IP:5269 --edge-listen $BENCH_EDGE_IP:5061 \
		--pid "$(rig_pid fedgated)" "$@"
}

# The value of KEY=... in an fgbench summary line.
bench_field() { # LINE KEY
	printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n1
}
