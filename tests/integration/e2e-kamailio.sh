#!/bin/sh
# e2e-kamailio: the same page-mode flows with a real TLS edge proxy,
# Kamailio 5.6, between the enterprise's users (SIPp) and fedgate: mutual
# TLS both ways (Kamailio requires our client certificate and we require
# its), messages both ways to and from a real Prosody.
. "$top_srcdir/tests/lib/tap.sh"
E2E_EDGE=kedge.sip.test
. "$top_srcdir/tests/lib/e2e.sh"
. "$top_srcdir/tests/lib/kamailio.sh"
e2e_init e2e-kam xmpp
e2e_conf
e2e_start
kamailio_edge_up || { tap_not_ok "Kamailio starts"; done_testing; exit 1; }
sipp_uas uas e2e-recv.xml -timeout 120s
e2e_user bob bob@xmpp.test

_sipp m1 -sf "$SIPP_DIR/e2e-send.xml" -i $SIP_UAC_IP -p 5070 -m 1 -timeout 30s -timeout_error \
	-key from alice@sip.test -key to bob@xmpp.test -key ctype "text/plain;charset=UTF-8" \
	-key text "hello bob through kamailio" $E2E_KEDGE_IP:5060 > "$RIG_DIR/m1.log" 2>&1
st=$(sed -n 's/^SIP\/2.0 \([0-9][0-9][0-9]\) .*/\1/p' "$RIG_DIR/sipp/m1.msg" | grep -v '^100$' | tail -n 1)
check_eq "a MESSAGE through Kamailio is answered 200" 200 "$st"
if e2e_wait bob "RECV message from=alice@sip.test type=chat body=hello bob through kamailio"; then
	tap_ok "... and reaches bob@xmpp.test"
else tap_not_ok "... and reaches bob@xmpp.test"; fi
check_contains "fedgate saw Kamailio's certificate (kedge.sip.test)" "$RIG_DIR/fedgated.log" "kedge.sip.test"

e2e_say bob send alice@sip.test hi alice behind kamailio
if e2e_edge_wait uas "hi alice behind kamailio"; then
	tap_ok "bob's message reaches the user through Kamailio (it required our client certificate)"
else tap_not_ok "bob's message reaches the user through Kamailio (it required our client certificate)"; fi
check_contains "... relayed by Kamailio (its Via)" "$RIG_DIR/sipp/uas.msg" "Via: SIP/2.0/TCP $E2E_KEDGE_IP"
check_contains "... sent by fedgate over TLS (its Via)" "$RIG_DIR/sipp/uas.msg" "Via: SIP/2.0/TLS gw.sip.test"

check "fedgated is still running" rig_alive fedgated
rig_stop fedgated TERM; rc=$?
check_eq "fedgated stops cleanly (exit 0, no sanitizer report)" 0 "$rc"
done_testing
