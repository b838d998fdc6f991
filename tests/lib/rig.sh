# rig.sh: the project's integration test rig (sourced after tap.sh).
#
# Each test script gets its own network namespace with only loopback up, so
# every 127.x.y.z address is bindable and nothing leaves the machine. Real
# peers (dnsmasq, Prosody, SIPp, socat, Kamailio, fedgated) run inside it.
#
#   rig_init NAME             make the namespace and a work dir ($RIG_DIR); trap cleanup
#   rig_exec CMD...           run CMD inside the namespace
#   rig_bg NAME CMD...        start CMD in the background inside the namespace,
#                             stdout+stderr to $RIG_DIR/NAME.log; pid in $RIG_DIR/NAME.pid
#   rig_stop NAME [SIG]       stop it (TERM, then KILL after 5 s); returns its exit status
#   rig_alive NAME            is it still running?
#   rig_wait_port HOST PORT [S]   until something listens on HOST:PORT (bounded)
#   rig_wait_log NAME TEXT [S]    until the log of NAME contains TEXT (bounded)
#   rig_dns LINES             start dnsmasq on 127.0.0.53:53 serving the dnsmasq
#                             config LINES (host-record=, srv-host=...) and make it
#                             the namespace's resolver
#   rig_certs NAME...         test CA + one leaf per NAME in $RIG_DIR/certs
#                             (NAME.pem, NAME.key, ca.pem)
#   rig_require_root          skip the whole script (with the reason) when the
#                             namespace cannot be made
#
# FEDGATED/FEDGATECTL point at the build under test.

FEDGATED=${FEDGATED:-$top_builddir/fedgated}
FEDGATECTL=${FEDGATECTL:-$top_builddir/fedgatectl}
RIG_NS=
RIG_DIR=
RIG_PIDS=

rig_require_root() {
	if [ "$(id -u)" -ne 0 ]; then tap_skip_all "integration tests need root (network namespaces)"; fi
	command -v ip >/dev/null 2>&1 || tap_skip_all "iproute2 is not installed"
}

rig_init() { # NAME
	rig_require_root
	RIG_NS="fg-$1-$$"
	RIG_DIR=$(mktemp -d "/tmp/fg-$1-XXXXXX")
	chmod 755 "$RIG_DIR"
	ip netns add "$RIG_NS" || tap_skip_all "cannot create network namespace (ip netns add failed)"
	ip netns exec "$RIG_NS" ip link set lo up
	mkdir -p "/etc/netns/$RIG_NS"
	# Until rig_dns runs, resolve nothing rather than leak to the host's resolver.
	echo "nameserver 127.0.0.53" > "/etc/netns/$RIG_NS/resolv.conf"
	: > "/etc/netns/$RIG_NS/hosts"
	trap rig_cleanup EXIT
	trap 'exit 130' INT TERM
}

rig_cleanup() {
	rc=$?
	for pidfile in "$RIG_DIR"/*.pid; do
		[ -f "$pidfile" ] || continue
		pid=$(cat "$pidfile")
		kill -TERM "$pid" 2>/dev/null
	done
	# bounded wait for everything to go, then force
	i=0
	while [ $i -lt 50 ]; do
		alive=0
		for pidfile in "$RIG_DIR"/*.pid; do
			[ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && alive=1
		done
		[ $alive -eq 0 ] && break
		sleep 0.1; i=$((i + 1))
	done
	for pidfile in "$RIG_DIR"/*.pid; do
		[ -f "$pidfile" ] && kill -KILL "$(cat "$pidfile")" 2>/dev/null
	done
	# anything else still in the namespace
	if [ -n "$RIG_NS" ]; then
		for pid in $(ip netns pids "$RIG_NS" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
		ip netns del "$RIG_NS" 2>/dev/null
		rm -rf "/etc/netns/$RIG_NS"
	fi
	if [ "$rc" -ne 0 ] || [ "${TAP_FAILED:-0}" -ne 0 ] || [ -n "${RIG_KEEP:-}" ]; then
		echo "# rig logs kept in $RIG_DIR"
		for log in "$RIG_DIR"/*.log; do
			[ -f "$log" ] || continue
			echo "# --- tail of $log"
			tail -n 25 "$log" | sed 's/^/#   /'
		done
	else
		rm -rf "$RIG_DIR"
	fi
	exit "$rc"
}

rig_exec() {
	ip netns exec "$RIG_NS" "$@"
}

rig_bg() { # NAME CMD...
	name=$1; shift
	ip netns exec "$RIG_NS" "$@" > "$RIG_DIR/$name.log" 2>&1 &
	echo $! > "$RIG_DIR/$name.pid"
}

rig_pid() { cat "$RIG_DIR/$1.pid"; }

rig_alive() { kill -0 "$(rig_pid "$1")" 2>/dev/null; }

rig_stop() { # NAME [SIGNAL]
	pid=$(rig_pid "$1")
	kill "-${2:-TERM}" "$pid" 2>/dev/null
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
	wait "$pid" 2>/dev/null
	st=$?
	rm -f "$RIG_DIR/$1.pid"
	return $st
}

_port_listening() { # HOST PORT
	rig_exec ss -Hltn "sport = :$2" 2>/dev/null | grep -qF "$1:$2"
}
rig_wait_port() { wait_for "${3:-10}" _port_listening "$1" "$2"; }

_log_has() { grep -qF -- "$2" "$RIG_DIR/$1.log"; }
rig_wait_log() { wait_for "${3:-10}" _log_has "$1" "$2"; }

rig_dns() { # CONFIG-LINES
	cat > "$RIG_DIR/dnsmasq.conf" <<CONF
port=53
listen-address=127.0.0.53
bind-interfaces
no-resolv
no-hosts
no-poll
no-negcache
user=root
group=root
log-queries
local=/test/
$1
CONF
	echo "nameserver 127.0.0.53" > "/etc/netns/$RIG_NS/resolv.conf"
	rig_bg dnsmasq dnsmasq -k -C "$RIG_DIR/dnsmasq.conf" --log-facility=-
	rig_wait_port 127.0.0.53 53 10 || rig_wait_log dnsmasq "started" 5
}

rig_certs() { # NAME...
	fc=$top_srcdir/certs/fedgate-certs
	"$fc" ca "$RIG_DIR/certs" >/dev/null || return 1
	for n in "$@"; do "$fc" leaf "$RIG_DIR/certs" "$n" >/dev/null || return 1; done
	"$fc" secret "$RIG_DIR/certs/dialback.secret"
}
