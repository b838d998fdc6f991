# e2e.sh: the whole chain for the end-to-end tests (sourced after tap.sh;
# it sources rig.sh, prosody.sh and sipp.sh itself).
#
# One network namespace, loopback only:
#   127.0.0.2    gw.sip.test     fedgated: SIP 5061 (mutual TLS), XMPP 5269
#   127.0.0.3    edge.sip.test   the access edge: socat TLS in front of SIPp
#   127.0.0.4    kedge.sip.test  or Kamailio as a TLS edge proxy (E2E_EDGE=kedge.sip.test)
#   127.0.0.10   SIPp UAC (the edge's users send)   127.0.0.11 SIPp UAS (they receive)
#   127.0.0.20   xmpp.test       Prosody 0.12, its default s2s policy: TLS
#                                required, dialback (self-signed certificate);
#                blocked.test    a second host of it that our policy refuses
#   127.0.0.21   secure.test     Prosody 0.12, s2s_secure_auth with the test CA:
#                                SASL EXTERNAL both ways
#   127.0.0.22   aol.test        Prosody 0.12, the clearinghouse (default
#                hosted.test     routing domain) and a domain it hosts, which
#                                has no DNS record of its own
#   127.0.0.53   dnsmasq         SRV for every domain
# Local domains: sip.test (edge=edge.sip.test:5061) and the email domain
# mail.sip.test. Users: alice, bob, carol on each XMPP domain (password pw).
#
#   e2e_init NAME [PROSODY...]   rig, DNS, certificates; PROSODY = which
#                                servers to start: xmpp secure aol (default all)
#   e2e_conf [GATEWAY] [SIP] [XMPP] [FEDERATION]   write the config; each
#                                argument holds extra "key = value" lines
#   e2e_domains TEXT / e2e_policy TEXT / e2e_email TEXT   replace those files
#   e2e_start                    start fedgated (no test echo) and the edge
#   e2e_user NAME JID            a scripted XMPP user (tests/lib/xmpp_user.py)
#   e2e_say NAME COMMAND...      tell it something
#   e2e_wait NAME TEXT [S]       wait (bounded) for TEXT in its log
#   e2e_uas NAME                 the edge's users receive page MESSAGEs: 404 for
#                                "nobody", 403 for "private", else 200
#   e2e_edge_wait NAME TEXT [S]  wait for TEXT in SIPp NAME's message trace
#   e2e_ctl ARGS                 fedgatectl
#   e2e_metric NAME{LABELS}      a counter's value from fedgatectl stats

. "$top_srcdir/tests/lib/rig.sh"
. "$top_srcdir/tests/lib/prosody.sh"
. "$top_srcdir/tests/lib/sipp.sh"

E2E_XMPP_IP=127.0.0.20
E2E_SECURE_IP=127.0.0.21
E2E_AOL_IP=127.0.0.22
E2E_KEDGE_IP=127.0.0.4
# the edge fedgate talks to: the socat one, or Kamailio (tests/lib/kamailio.sh)
E2E_EDGE=${E2E_EDGE:-edge.sip.test}

e2e_init() { # NAME [PROSODY...]
	rig_init "$1"; shift
	for t in sipp socat dnsmasq prosody; do
		command -v $t >/dev/null 2>&1 || tap_skip_all "$t is not installed"
	done
	fc=$top_srcdir/certs/fedgate-certs
	"$fc" ca "$RIG_DIR/certs" >/dev/null &&
	"$fc" leaf "$RIG_DIR/certs" gw.sip.test sip.test mail.sip.test >/dev/null &&
	"$fc" leaf "$RIG_DIR/certs" edge.sip.test >/dev/null &&
	"$fc" leaf "$RIG_DIR/certs" kedge.sip.test >/dev/null &&
	"$fc" leaf "$RIG_DIR/certs" secure.test >/dev/null &&
	"$fc" secret "$RIG_DIR/certs/dialback.secret" || tap_skip_all "cannot make certificates"
	rig_dns "host-record=gw.sip.test,$SIP_GW_IP
host-record=edge.sip.test,$SIP_EDGE_IP
host-record=kedge.sip.test,$E2E_KEDGE_IP
host-record=xmpp.test,$E2E_XMPP_IP
host-record=blocked.test,$E2E_XMPP_IP
host-record=secure.test,$E2E_SECURE_IP
host-record=aol.test,$E2E_AOL_IP
srv-host=_xmpp-server._tcp.sip.test,gw.sip.test,5269,0,5
srv-host=_xmpp-server._tcp.mail.sip.test,gw.sip.test,5269,0,5
srv-host=_xmpp-server._tcp.xmpp.test,xmpp.test,5269,0,5
srv-host=_xmpp-server._tcp.blocked.test,xmpp.test,5269,0,5
srv-host=_xmpp-server._tcp.secure.test,secure.test,5269,0,5
srv-host=_xmpp-server._tcp.aol.test,aol.test,5269,0,5
srv-host=_xmpp-client._tcp.xmpp.test,xmpp.test,5222,0,5
srv-host=_xmpp-client._tcp.secure.test,secure.test,5222,0,5
srv-host=_xmpp-client._tcp.aol.test,aol.test,5222,0,5"
	mkdir -p "$RIG_DIR/etc" "$RIG_DIR/sipp"
	[ $# -eq 0 ] && set -- xmpp secure aol
	for p in "$@"; do
		case $p in
		xmpp)
			prosody_start xmpp xmpp.test $E2E_XMPP_IP tls \
				'VirtualHost "blocked.test"' \
				"	ssl = { certificate = \"$RIG_DIR/xmpp/self.pem\"; key = \"$RIG_DIR/xmpp/self.key\"; }"
			e2e_users xmpp xmpp.test blocked.test ;;
		secure)
			prosody_start secure secure.test $E2E_SECURE_IP secure
			e2e_users secure secure.test ;;
		aol)
			prosody_start aol aol.test $E2E_AOL_IP tls \
				'VirtualHost "hosted.test"' \
				"	ssl = { certificate = \"$RIG_DIR/aol/self.pem\"; key = \"$RIG_DIR/aol/self.key\"; }"
			e2e_users aol aol.test hosted.test ;;
		esac
	done
	for p in "$@"; do
		prosody_ready "$p" 20 || { tap_not_ok "Prosody $p starts"; done_testing; exit 1; }
	done
}

e2e_users() { # PROSODY DOMAIN...
	name=$1; shift
	for d in "$@"; do
		for u in alice bob carol; do prosody_user "$name" "$d" $u pw; done
	done
}

e2e_conf() { # [GATEWAY] [SIP] [XMPP] [FEDERATION]
	cat > "$RIG_DIR/etc/fedgate.conf" <<CONF
[gateway]
hostname = gw.sip.test
state_dir = $RIG_DIR/state
control_socket = $RIG_DIR/ctl.sock
metrics_listen =
log_level = debug
dns_servers = 127.0.0.53
email_map_file = email.map
${1:-}
[sip]
listen = $SIP_GW_IP:5061
cert = $RIG_DIR/certs/gw.sip.test.pem
key = $RIG_DIR/certs/gw.sip.test.key
ca = $RIG_DIR/certs/ca.pem
peer_subjects = $E2E_EDGE
keepalive = 1h
${2:-edge_dialect = standard}
[xmpp]
listen = $SIP_GW_IP:5269
dialback_secret_file = $RIG_DIR/certs/dialback.secret
${3:-}
[federation]
default_routing_domain = aol.test
${4:-}
CONF
	[ -f "$RIG_DIR/etc/domains.conf" ] || e2e_domains ""
	[ -f "$RIG_DIR/etc/policy.conf" ] || e2e_policy ""
	[ -f "$RIG_DIR/etc/email.map" ] || e2e_email "alice@sip.test alice.smith@mail.sip.test"
	: > "$RIG_DIR/etc/routes.conf"
}

# The partners: Prosody's default (xmpp.test, aol.test) presents a
# self-signed certificate, so those authenticate by dialback over TLS
# without certificate checks; secure.test is verified (SASL EXTERNAL).
e2e_domains() { # [EXTRA-LINES]
	cat > "$RIG_DIR/etc/domains.conf" <<CONF
local  sip.test       edge=$E2E_EDGE:5061
email  mail.sip.test
remote xmpp.test      type=xmpp client_certs=no
remote secure.test    type=xmpp
remote aol.test       type=clearinghouse client_certs=no
remote hosted.test    type=clearinghouse client_certs=no
$1
CONF
}

e2e_policy() { printf '%s\n' "$1" > "$RIG_DIR/etc/policy.conf"; }
e2e_email() { printf '%s\n' "$1" > "$RIG_DIR/etc/email.map"; }

e2e_start() {
	# shellcheck disable=SC2086
	rig_bg fedgated env $SIP_SAN_ENV "$FEDGATED" -f -c "$RIG_DIR/etc/fedgate.conf"
	if ! rig_wait_log fedgated "started config=" 10 || ! rig_wait_port $SIP_GW_IP 5061 5; then
		tap_not_ok "fedgated starts"; done_testing; exit 1
	fi
	[ "$E2E_EDGE" = edge.sip.test ] || return 0
	sip_edge_up || { tap_not_ok "the edge starts"; done_testing; exit 1; }
}

e2e_user() { # NAME JID
	name=$1 jid=$2
	case $jid in
	*@xmpp.test|*@blocked.test) host=$E2E_XMPP_IP ;;
	*@secure.test) host=$E2E_SECURE_IP ;;
	*) host=$E2E_AOL_IP ;;
	esac
	mkfifo "$RIG_DIR/$name.cmd"
	rig_bg "$name" /usr/bin/python3 -u "$top_srcdir/tests/lib/xmpp_user.py" \
		--jid "$jid" --password pw --host "$host" \
		--commands "$RIG_DIR/$name.cmd" --lifetime 240
	rig_wait_log "$name" "SESSION $jid" 20
}

e2e_say() { # NAME COMMAND...
	name=$1; shift
	printf '%s\n' "$*" > "$RIG_DIR/$name.cmd"
}

e2e_wait() { rig_wait_log "$1" "$2" "${3:-20}"; }

e2e_uas() { # NAME: the edge's users receive (tests/sipp/e2e-recv.xml)
	sipp_uas "$1" e2e-recv.xml -timeout 240s
}

_trace_has() { grep -qF -- "$2" "$RIG_DIR/sipp/$1.msg" 2>/dev/null; }
e2e_edge_wait() { wait_for "${3:-20}" _trace_has "$1" "$2"; }

e2e_ctl() { rig_exec "$FEDGATECTL" -s "$RIG_DIR/ctl.sock" "$@"; }

e2e_metric() { # NAME{LABELS}: its value, 0 when absent
	v=$(e2e_ctl stats | grep -F "$1 " | awk '{print $NF}')
	echo "${v:-0}"
}
