#!/bin/sh
# e2e-restart: a Prosody restart in the middle. Messages the edge sends
# while Prosody is down wait in the gateway's queue (they are answered only
# once their stanza is written to an authenticated stream), the stream
# comes back when Prosody does, and every one of them arrives, in order;
# the other direction works again too.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/e2e.sh"
e2e_init e2e-restart xmpp
e2e_conf
e2e_start
e2e_uas uas
e2e_user bob bob@xmpp.test

status_of() { sed -n 's/^SIP\/2.0 \([0-9][0-9][0-9]\) .*/\1/p' "$RIG_DIR/sipp/$1.msg" | grep -v '^100$'; }

sipp_uac before e2e-send.xml -key from alice@sip.test -key to bob@xmpp.test \
	-key ctype "text/plain;charset=UTF-8" -key text "before the restart" >/dev/null 2>&1
check_eq "a MESSAGE before the restart is answered 200" 200 "$(status_of before)"
if e2e_wait bob "body=before the restart"; then tap_ok "... and reaches bob"
else tap_not_ok "... and reaches bob"; fi

# Prosody goes away; its offline storage keeps what arrives for bob while
# his client reconnects.
e2e_say bob quit
rig_stop xmpp TERM
_prosody_down() { ! rig_exec ss -Hltn "sport = :5269" | grep -qF "$E2E_XMPP_IP:5269"; }
if wait_for 10 _prosody_down; then tap_ok "Prosody is stopped (nothing listens on xmpp.test:5269)"
else tap_not_ok "Prosody is stopped (nothing listens on xmpp.test:5269)"; fi

# three MESSAGEs during the outage, answered only when they can be
_sipp outage -sf "$SIPP_DIR/e2e-send.xml" -i $SIP_UAC_IP -p 5070 -m 3 -l 1 -timeout 60s \
	-key from alice@sip.test -key to bob@xmpp.test -key ctype "text/plain;charset=UTF-8" \
	-key text "during the outage" $SIP_EDGE_IP:5080 > "$RIG_DIR/outage.log" 2>&1 &
echo $! > "$RIG_DIR/outage.pid"
if rig_wait_log fedgated "holding" 10; then tap_ok "the gateway holds the stanzas while xmpp.test is unreachable"
else tap_not_ok "the gateway holds the stanzas while xmpp.test is unreachable"; fi
check_eq "no MESSAGE is answered while Prosody is down" "" "$(status_of outage)"

prosody_start xmpp xmpp.test $E2E_XMPP_IP tls \
	'VirtualHost "blocked.test"' \
	"	ssl = { certificate = \"$RIG_DIR/xmpp/self.pem\"; key = \"$RIG_DIR/xmpp/self.key\"; }" \
	'modules_enabled = { "roster"; "saslauth"; "tls"; "dialback"; "disco"; "ping"; "presence"; "message"; "iq"; "offline" }'
prosody_ready xmpp 20 || tap_not_ok "Prosody starts again"
if sipp_wait outage 30; then tap_ok "the three MESSAGEs are answered once the stream is back"
else tap_not_ok "the three MESSAGEs are answered once the stream is back" "$(sipp_why outage)"; fi
check_eq "... all 200" "200 200 200" "$(status_of outage | tr '\n' ' ' | sed 's/ $//')"
e2e_user bob2 bob@xmpp.test
for i in 1 2 3; do
	if e2e_wait bob2 "body=during the outage #$i" 30; then tap_ok "message $i of the outage reaches bob"
	else tap_not_ok "message $i of the outage reaches bob"; fi
done
order=$(grep -o 'during the outage #[0-9]' "$RIG_DIR/bob2.log" | tr -d '\n')
check_eq "... in the order they were sent" "during the outage #1during the outage #2during the outage #3" "$order"
e2e_say bob2 send alice@sip.test back again
if e2e_edge_wait uas "back again"; then tap_ok "bob's message after the restart reaches the edge"
else tap_not_ok "bob's message after the restart reaches the edge"; fi
b=$(e2e_metric 'fedgate_messages_total{direction="sip_to_xmpp",result="bounced"}')
check_eq "nothing bounced" 0 "$b"
check "fedgated is still running" rig_alive fedgated
rig_stop fedgated TERM; rc=$?
check_eq "fedgated stops cleanly (exit 0, no sanitizer report)" 0 "$rc"
done_testing
