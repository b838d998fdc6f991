# sipp.sh: the test access edge (sourced after tap.sh and rig.sh).
#
# The edge is stock SIPp over TCP behind socat TLS, in both roles, with
# client certificates (Debian's SIPp has no TLS):
#
#   gw.sip.test    127.0.0.2   fedgated, SIP over mutual TLS on 5061
#   edge.sip.test  127.0.0.3   socat TLS server :5061 (the edge's own cert,
#                              asks for ours) -> TCP to the UAS SIPp
#                              socat TCP :5080 -> TLS client to gw:5061,
#                              presenting edge.sip.test's certificate
#   UAC SIPp       127.0.0.10:5070 -> 127.0.0.3:5080   (the edge sends)
#   UAS SIPp       127.0.0.11:5070                     (the edge receives)
#
# The gateway sends in-dialog requests back over the connection the edge
# used, so the UAC SIPp gets the NOTIFYs and MESSAGEs of its own dialogs;
# requests the gateway starts go to the UAS SIPp.
#
#   sip_rig NAME                 rig_init, DNS, certificates (and a second
#                                CA for "wrong CA" tests: $RIG_DIR/certs2)
#   sip_conf [SIP-LINES] [GW-LINES]  write $RIG_DIR/etc/fedgate.conf (local
#                                sip.test edge=edge.sip.test:5061, remote
#                                xmpp.test, allow-list) plus extra lines
#   sip_gw_start                 start fedgated with the test echo
#                                (FG_TEST_SIP_ECHO=${SIP_ECHO:-1}); wait
#   sip_edge_up [SRV-CERT] [SRV-CERTDIR]  start both socat (server cert
#                                default edge.sip.test from $RIG_DIR/certs)
#   sip_edge_down                stop both socat
#   sipp_uas NAME SCENARIO [ARGS]  UAS SIPp in the background (-aa)
#   sipp_uac NAME SCENARIO [ARGS]  run one UAC call; returns its status
#   sipp_wait NAME [S]           wait for a background SIPp; its status
#   sip_request METHOD RURI FROM TO [CTYPE BODY [HEADERS]]
#                                print a request (CRLF, Content-Length)
#   sip_send CERT                send stdin to the gateway over TLS with
#                                certificate CERT ("none", or NAME in
#                                $RIG_DIR/certs, or DIR/NAME); print the answer
#   sip_status_of TEXT           the status code of the first response line
#   gwctl ARGS                   fedgatectl on the test's control socket

SIP_GW_IP=127.0.0.2
SIP_EDGE_IP=127.0.0.3
SIP_UAC_IP=127.0.0.10
SIP_UAS_IP=127.0.0.11
SIPP_DIR=$top_srcdir/tests/sipp

sip_rig() { # NAME
	rig_init "$1"
	command -v sipp >/dev/null 2>&1 || tap_skip_all "sipp is not installed"
	command -v socat >/dev/null 2>&1 || tap_skip_all "socat is not installed"
	command -v dnsmasq >/dev/null 2>&1 || tap_skip_all "dnsmasq is not installed"
	rig_certs gw.sip.test edge.sip.test wrong.sip.test other.sip.test >/dev/null ||
		tap_skip_all "cannot make certificates"
	# a second CA that issued another edge.sip.test
	fc=$top_srcdir/certs/fedgate-certs
	"$fc" ca "$RIG_DIR/certs2" >/dev/null && "$fc" leaf "$RIG_DIR/certs2" edge.sip.test >/dev/null
	rig_dns "host-record=gw.sip.test,$SIP_GW_IP
host-record=edge.sip.test,$SIP_EDGE_IP
host-record=bad.sip.test,$SIP_EDGE_IP"
	mkdir -p "$RIG_DIR/etc" "$RIG_DIR/sipp"
}

# The [sip] and [gateway] settings of the test, "key = value" lines; the
# caller's SIP-LINES / GATEWAY-LINES replace the defaults of the same key.
_conf_merge() { # DEFAULTS OVERRIDES
	printf '%s\n' "$2" | sed '/^$/d'
	printf '%s\n' "$1" | while IFS= read -r line; do
		key=${line%% =*}
		printf '%s\n' "$2" | grep -q "^$key *=" || printf '%s\n' "$line"
	done
}

sip_conf() { # [SIP-LINES] [GATEWAY-LINES]
	gw=$(_conf_merge "hostname = gw.sip.test
state_dir = $RIG_DIR/state
control_socket = $RIG_DIR/ctl.sock
metrics_listen =
log_level = debug
dns_servers = 127.0.0.53" "${2:-}")
	sip=$(_conf_merge "listen = $SIP_GW_IP:5061
cert = $RIG_DIR/certs/gw.sip.test.pem
key = $RIG_DIR/certs/gw.sip.test.key
ca = $RIG_DIR/certs/ca.pem
peer_subjects = edge.sip.test
keepalive = 1h" "${1:-}")
	cat > "$RIG_DIR/etc/fedgate.conf" <<CONF
[gateway]
$gw
[sip]
$sip
[xmpp]
listen = $SIP_GW_IP:5269
dialback_secret_file = $RIG_DIR/certs/dialback.secret
[federation]
privacy_mode = allow-list
CONF
	printf 'local sip.test edge=edge.sip.test:5061\nremote xmpp.test\n' \
		> "$RIG_DIR/etc/domains.conf"
	: > "$RIG_DIR/etc/routes.conf"
	printf 'deny blocked.test\n' > "$RIG_DIR/etc/policy.conf"
}

gwctl() { rig_exec "$FEDGATECTL" -s "$RIG_DIR/ctl.sock" "$@"; }

sip_gw_start() { # the test echo: FG_TEST_SIP_ECHO=${SIP_ECHO:-1}
	rig_bg fedgated env FG_TEST_SIP_ECHO="${SIP_ECHO:-1}" "$FEDGATED" -f -c "$RIG_DIR/etc/fedgate.conf"
	rig_wait_log fedgated "started config=" 10 && rig_wait_port $SIP_GW_IP 5061 5
}

sip_edge_up() { # [SERVER-CERT-NAME] [CERT-DIR]
	cn=${1:-edge.sip.test} dir=${2:-$RIG_DIR/certs}
	rig_bg socat-srv socat OPENSSL-LISTEN:5061,bind=$SIP_EDGE_IP,fork,reuseaddr,cert=$dir/$cn.pem,key=$dir/$cn.key,cafile=$RIG_DIR/certs/ca.pem,verify=1 \
		TCP:$SIP_UAS_IP:5070
	rig_bg socat-cli socat TCP-LISTEN:5080,bind=$SIP_EDGE_IP,fork,reuseaddr \
		OPENSSL:$SIP_GW_IP:5061,cert=$RIG_DIR/certs/edge.sip.test.pem,key=$RIG_DIR/certs/edge.sip.test.key,cafile=$RIG_DIR/certs/ca.pem,commonname=gw.sip.test
	rig_wait_port $SIP_EDGE_IP 5061 5 && rig_wait_port $SIP_EDGE_IP 5080 5
}

sip_edge_down() {
	rig_stop socat-srv >/dev/null 2>&1
	rig_stop socat-cli >/dev/null 2>&1
	return 0
}

# Run SIPp inside the namespace, in $RIG_DIR/sipp, its logs named after NAME.
_sipp() { # NAME ARGS...
	name=$1; shift
	(cd "$RIG_DIR/sipp" && exec ip netns exec "$RIG_NS" sipp "$@" -t t1 -nostdin \
		-trace_msg -message_file "$RIG_DIR/sipp/$name.msg" \
		-trace_err -error_file "$RIG_DIR/sipp/$name.err")
}

sipp_uas() { # NAME SCENARIO [ARGS...]
	name=$1 sc=$2; shift 2
	_sipp "$name" -sf "$SIPP_DIR/$sc" -i $SIP_UAS_IP -p 5070 -aa -timeout 60s "$@" \
		> "$RIG_DIR/$name.log" 2>&1 &
	echo $! > "$RIG_DIR/$name.pid"
	rig_wait_port $SIP_UAS_IP 5070 5
}

sipp_uac() { # NAME SCENARIO [ARGS...]
	name=$1 sc=$2; shift 2
	_sipp "$name" -sf "$SIPP_DIR/$sc" -i $SIP_UAC_IP -p 5070 -m 1 -timeout 30s \
		-timeout_error "$@" $SIP_EDGE_IP:5080 > "$RIG_DIR/$name.log" 2>&1
}

sipp_wait() { # NAME [SECONDS]: its exit status, 124 on timeout
	pid=$(cat "$RIG_DIR/$1.pid")
	i=0 limit=$(( ${2:-30} * 20 ))
	while kill -0 "$pid" 2>/dev/null && [ $i -lt $limit ]; do sleep 0.05; i=$((i + 1)); done
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid"; wait "$pid" 2>/dev/null; rm -f "$RIG_DIR/$1.pid"; return 124
	fi
	wait "$pid"; st=$?
	rm -f "$RIG_DIR/$1.pid"
	return $st
}

# What SIPp said went wrong, for a failed check.
sipp_why() { # NAME
	tail -n 12 "$RIG_DIR/sipp/$1.err" 2>/dev/null
	tail -n 5 "$RIG_DIR/$1.log" 2>/dev/null
}

sip_request() { # METHOD RURI FROM TO [CTYPE BODY [HEADERS]]
	SIP_CALL=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')	# unique even in a subshell
	# the body's lines end in CRLF, the last one as given
	body=$(printf '%s' "${6:-}" | awk 'BEGIN { ORS = "" } NR > 1 { print "\r\n" } { print }')
	len=$(printf '%s' "$body" | wc -c)
	crlf=$(printf '\r')
	{
		printf '%s %s SIP/2.0\n' "$1" "$2"
		printf 'Via: SIP/2.0/TLS %s:5099;branch=z9hG4bK-t%s-%s\n' $SIP_UAC_IP $$ $SIP_CALL
		printf 'From: <%s>;tag=t%s\nTo: <%s>\n' "$3" $SIP_CALL "$4"
		printf 'Call-ID: call-%s-%s@%s\nCSeq: 1 %s\nMax-Forwards: 70\n' $$ $SIP_CALL $SIP_UAC_IP "$1"
		[ -n "${7:-}" ] && printf '%s\n' "$7"
		[ -n "${5:-}" ] && printf 'Content-Type: %s\n' "$5"
		printf 'Content-Length: %s\n\n' "$len"
	} | sed "s/\$/$crlf/"
	printf '%s' "$body"
}

sip_send() { # CERT < REQUEST
	opts="cafile=$RIG_DIR/certs/ca.pem,commonname=gw.sip.test"
	case $1 in
	none) ;;
	*/*) opts="cert=$1.pem,key=$1.key,$opts" ;;
	*) opts="cert=$RIG_DIR/certs/$1.pem,key=$RIG_DIR/certs/$1.key,$opts" ;;
	esac
	rig_exec timeout 10 socat -t 1 - "OPENSSL:$SIP_GW_IP:5061,$opts" 2>&1
}

sip_status_of() { # TEXT: "403" from "SIP/2.0 403 Forbidden..."
	printf '%s\n' "$1" | sed -n '1{s/^SIP\/2.0 \([0-9][0-9][0-9]\) .*/\1/p;q}'
}
