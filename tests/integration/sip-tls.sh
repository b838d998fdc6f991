#!/bin/sh
# sip-tls: mutual TLS between fedgated and the access edge.
#  - fedgated refuses to start when [gateway] hostname is not a name of its
#    certificate;
#  - toward the edge: a certificate with the wrong name or from the wrong CA
#    is refused within seconds (not Sofia's 32 s), the edge goes Inactive
#    with the reason; the right one makes it Active (OPTIONS ping);
#  - from the edge: OPTIONS with the edge's certificate is answered; no
#    client certificate, a wrong CA and a wrong subject are refused and
#    logged with what the peer presented; the gateway keeps serving;
#  - fedgatectl status / connections / stats show it;
#  - transport = tcp works, with a warning.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/rig.sh"
. "$top_srcdir/tests/lib/sipp.sh"
sip_rig sip-tls

options() { sip_request OPTIONS sip:gw.sip.test sip:alice@sip.test sip:gw.sip.test; }

# ---- our certificate must carry our hostname ------------------------
sip_conf "" "hostname = gw2.sip.test"
rig_exec "$FEDGATED" -f -c "$RIG_DIR/etc/fedgate.conf" > "$RIG_DIR/badhost.log" 2>&1
check_eq "fedgated refuses to start when hostname is not in [sip] cert" 1 "$?"
check_contains "the refusal names the hostname and what the certificate carries" \
	"$RIG_DIR/badhost.log" "does not carry [gateway] hostname gw2.sip.test (it names: gw.sip.test)"

# ---- toward the edge: wrong name, wrong CA, then the right one ------
sip_conf "keepalive = 2s"
sip_edge_up wrong.sip.test
sip_gw_start || { tap_not_ok "fedgated starts"; done_testing; exit 1; }
if rig_wait_log fedgated "refused: the peer's certificate does not name edge.sip.test" 5; then
	tap_ok "a certificate that does not name the edge is refused within 5 s"
else tap_not_ok "a certificate that does not name the edge is refused within 5 s"; fi
rig_wait_log fedgated "Unknown -> Inactive" 5
out=$(gwctl status)
case $out in
*"edge sip:edge.sip.test:5061;transport=tls for sip.test: Inactive"*"does not name edge.sip.test"*)
	tap_ok "status shows the edge Inactive with the reason" ;;
*) tap_not_ok "status shows the edge Inactive with the reason" "$out" ;;
esac
case $out in
*"sip: Inactive (edge"*) tap_ok "the SIP side is Inactive while its edge is" ;;
*) tap_not_ok "the SIP side is Inactive while its edge is" "$out" ;;
esac

# a message toward that edge fails fast too (the echo sends one back)
options_t0=$(date +%s)
resp=$(sip_request MESSAGE sip:bob@xmpp.test sip:alice@sip.test sip:bob@xmpp.test \
	"text/plain;charset=UTF-8" "ping" | sip_send edge.sip.test)
check_eq "a MESSAGE from the edge is accepted" 200 "$(sip_status_of "$resp")"
if rig_wait_log fedgated "back to the edge failed: 502" 5; then
	tap_ok "a MESSAGE to an edge that fails TLS verification fails within 5 s"
else tap_not_ok "a MESSAGE to an edge that fails TLS verification fails within 5 s"; fi
check "... not after Sofia's 32 s timer" test $(( $(date +%s) - options_t0 )) -lt 10

sip_edge_down
sip_edge_up edge.sip.test "$RIG_DIR/certs2"
if rig_wait_log fedgated "refused: certificate not trusted (unable to get local issuer certificate): subject=/CN=edge.sip.test issuer=/CN=fedgate test CA" 8; then
	tap_ok "an edge certificate from another CA is refused, with its subject and issuer"
else tap_not_ok "an edge certificate from another CA is refused, with its subject and issuer"; fi

sip_edge_down
sip_edge_up
sipp_uas uas-ping message-out.xml
_active() { gwctl status | grep -q "for sip.test: Active"; }
if wait_for 10 _active; then tap_ok "the right edge certificate makes the edge Active (OPTIONS ping)"
else tap_not_ok "the right edge certificate makes the edge Active (OPTIONS ping)" "$(gwctl status)"; fi
out=$(gwctl status)
case $out in
*"sip: Active listening on $SIP_GW_IP:5061 tls"*"(OPTIONS 200 in"*) tap_ok "status: SIP side Active, last OPTIONS answered" ;;
*) tap_not_ok "status: SIP side Active, last OPTIONS answered" "$out" ;;
esac
check_contains "the transition is logged" "$RIG_DIR/fedgated.log" "Inactive -> Active"

# ---- from the edge ----------------------------------------------------
resp=$(options | sip_send edge.sip.test)
check_eq "OPTIONS with the edge's certificate is answered 200" 200 "$(sip_status_of "$resp")"
case $resp in
*"Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, INFO, SUBSCRIBE, NOTIFY, BENOTIFY"*"Allow-Events: presence"*)
	tap_ok "the OPTIONS answer lists methods and events" ;;
*) tap_not_ok "the OPTIONS answer lists methods and events" "$resp" ;;
esac

resp=$(options | sip_send none)
check_eq "no client certificate: no SIP answer" "" "$(sip_status_of "$resp")"
if rig_wait_log fedgated "refused: no client certificate presented" 5; then
	tap_ok "no client certificate: the handshake is refused and logged"
else tap_not_ok "no client certificate: the handshake is refused and logged"; fi

resp=$(options | sip_send "$RIG_DIR/certs2/edge.sip.test")
check_eq "a client certificate from another CA: no SIP answer" "" "$(sip_status_of "$resp")"
if rig_wait_log fedgated "TLS handshake from peer=127.0.0.1" 5 &&
    wait_for 5 grep -qE "from peer=[0-9.:]+ refused: certificate not trusted .*subject=/CN=edge.sip.test" "$RIG_DIR/fedgated.log"; then
	tap_ok "a client certificate from another CA is refused and logged with its subject"
else tap_not_ok "a client certificate from another CA is refused and logged with its subject"; fi

resp=$(options | sip_send wrong.sip.test)
check_eq "a client certificate with a wrong subject is answered 403" 403 "$(sip_status_of "$resp")"
case $resp in
*"Warning: 399 gw.sip.test \"TLS peer certificate names none of the gateway's peer_subjects\""*)
	tap_ok "the 403 says why in a Warning" ;;
*) tap_not_ok "the 403 says why in a Warning" "$resp" ;;
esac
check_contains "the wrong subject is logged with the names presented" "$RIG_DIR/fedgated.log" \
	"its certificate names [wrong.sip.test], none of them in [sip] peer_subjects"

check "fedgated keeps running after the refusals" rig_alive fedgated
resp=$(options | sip_send edge.sip.test)
check_eq "and keeps serving the edge" 200 "$(sip_status_of "$resp")"

out=$(gwctl connections)
case $out in
*"sip out peer=$SIP_EDGE_IP:5061 tls auth="*) tap_ok "connections lists the link to the edge" ;;
*) tap_not_ok "connections lists the link to the edge" "$out" ;;
esac
out=$(gwctl stats)
n=$(printf '%s\n' "$out" | sed -n 's/^sip_tls_handshakes_refused \([0-9]*\)$/\1/p')
check "stats count the refused handshakes (>= 2)" test "${n:-0}" -ge 2
case $out in
*'fedgate_sip_refused_total{reason="peer"} 1'*) tap_ok "stats count the refused peer" ;;
*) tap_not_ok "stats count the refused peer" "$out" ;;
esac

kill "$(cat "$RIG_DIR/uas-ping.pid")" 2>/dev/null
rig_stop fedgated TERM
check_eq "SIGTERM stops fedgated cleanly" 0 "$?"

# ---- transport = tcp: labs only, and it says so ------------------------
mv "$RIG_DIR/fedgated.log" "$RIG_DIR/fedgated-tls.log"
sip_conf "transport = tcp"
sip_gw_start || { tap_not_ok "fedgated starts with transport = tcp"; done_testing; exit 1; }
check_contains "transport = tcp is logged as a warning" "$RIG_DIR/fedgated.log" \
	"warn sip: [sip] transport = tcp: the link to the edge is neither encrypted nor authenticated"
resp=$(options | sed 's#SIP/2.0/TLS#SIP/2.0/TCP#' | rig_exec timeout 5 socat -t 1 - TCP:$SIP_GW_IP:5061 2>&1)
check_eq "OPTIONS over plain TCP is answered 200" 200 "$(sip_status_of "$resp")"
case $resp in
*"Contact: <sip:gw.sip.test:5061;transport=tcp>"*|*"Via: SIP/2.0/TCP"*) tap_ok "the answer speaks TCP" ;;
*) tap_not_ok "the answer speaks TCP" "$resp" ;;
esac
rig_stop fedgated TERM
check_eq "SIGTERM stops fedgated cleanly" 0 "$?"
done_testing
