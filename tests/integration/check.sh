#!/bin/sh
# check: "fedgatectl check" walks the troubleshooting steps against real
# DNS (dnsmasq) and real listeners in a network namespace: certificate
# names and chain, our SRV records, the edge, the remote domains; a
# certificate missing a domain and an unreachable partner are failures.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/rig.sh"
rig_init check
rig_certs gw.sip.test edge.sip.test
# a second gateway certificate that lacks the chat alias
"$top_srcdir/certs/fedgate-certs" leaf "$RIG_DIR/certs" gw2.sip.test gw.sip.test sip.test >/dev/null

rig_dns "host-record=gw.sip.test,127.0.0.2
host-record=edge.sip.test,127.0.0.4
host-record=xmpp.test,127.0.0.3
srv-host=_xmpp-server._tcp.sip.test,gw.sip.test,5269,0,5
srv-host=_xmpp-server._tcp.xmpp.test,xmpp.test,5269,0,5
srv-host=_xmpp-server._tcp.down.test,xmpp.test,5999,0,5"
# the edge and the partner: plain TCP listeners are enough for "reachable"
rig_bg edge socat -u TCP-LISTEN:5061,bind=127.0.0.4,reuseaddr,fork /dev/null
rig_bg partner socat -u TCP-LISTEN:5269,bind=127.0.0.3,reuseaddr,fork /dev/null
rig_wait_port 127.0.0.4 5061 && rig_wait_port 127.0.0.3 5269

etc=$RIG_DIR/etc
mkdir -p "$etc"
write_conf() { # CERT-NAME
	cat > "$etc/fedgate.conf" <<CONF
[gateway]
hostname = gw.sip.test
state_dir = $RIG_DIR/state
control_socket = $RIG_DIR/ctl.sock
metrics_listen =
dns_servers = 127.0.0.53
[sip]
listen = 127.0.0.2:5061
cert = $RIG_DIR/certs/$1.pem
key = $RIG_DIR/certs/$1.key
ca = $RIG_DIR/certs/ca.pem
peer_subjects = edge.sip.test
[xmpp]
listen = 127.0.0.2:5269
dialback_secret_file = $RIG_DIR/certs/dialback.secret
CONF
}
write_conf gw.sip.test
cat > "$etc/domains.conf" <<CONF
local      sip.test        edge=edge.sip.test:5061
chat-alias chat.sip.test
remote     xmpp.test
remote     down.test
CONF
: > "$etc/routes.conf"; : > "$etc/policy.conf"
"$top_srcdir/certs/fedgate-certs" leaf "$RIG_DIR/certs" gw.sip.test gw.sip.test sip.test chat.sip.test >/dev/null
ctl() { rig_exec "$FEDGATECTL" -s "$RIG_DIR/ctl.sock" "$@"; }

rig_bg fedgated "$FEDGATED" -f -c "$etc/fedgate.conf"
rig_wait_log fedgated "started config=" 10 || { tap_not_ok "fedgated starts"; done_testing; exit 1; }

out=$(ctl check); rc=$?
echo "$out" | sed 's/^/# /'
check_eq "check fails when a partner is unreachable" 1 "$rc"
check_text "certificate key matches" "$out" "ok    certificate $RIG_DIR/certs/gw.sip.test.pem: matches key"
check_text "certificate chains to the CA" "$out" "ok    certificate $RIG_DIR/certs/gw.sip.test.pem: chains to $RIG_DIR/certs/ca.pem"
check_text "certificate names cover hostname and domains" "$out" "carries the hostname and every local, email and chat-alias domain"
check_text "our SRV record is found" "$out" "ok    dns _xmpp-server._tcp.sip.test: gw.sip.test:5269"
check_text "a missing SRV record of ours is a warning" "$out" "warn  dns _xmpp-server._tcp.chat.sip.test:"
check_text "the edge is reachable" "$out" "ok    edge sip.test: edge.sip.test:5061 (127.0.0.4, edge, TLS) reachable"
check_text "the partner is reachable through its SRV record" "$out" "ok    remote xmpp.test: xmpp.test:5269 (127.0.0.3, srv, TLS) reachable"
check_text "an unreachable partner is a failure" "$out" "fail  remote down.test: xmpp.test:5999 (127.0.0.3, srv, TLS) not reachable: Connection refused"
check_text "the summary counts" "$out" "check: "

# a certificate that lacks a domain: reload and check again
write_conf gw2.sip.test
ctl reload >/dev/null
out=$(ctl check)
check_text "a certificate missing a domain is a failure" "$out" \
	"fail  certificate $RIG_DIR/certs/gw2.sip.test.pem: names missing from its subjectAltName: chat.sip.test"
check "fedgated still runs after the checks" rig_alive fedgated
done_testing
