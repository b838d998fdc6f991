#!/bin/sh
# sip-im: Lync-style INVITE-based IM between the edge (SIPp behind socat
# TLS, both roles) and fedgated with the test echo, edge_dialect = lync.
#  - the edge opens a conversation: INVITE (SDP m=message, first message in
#    Ms-Text-Format) -> 200 (m=message ... sip:bob@xmpp.test, Supported
#    ms-text-format) -> ACK, each message echoed in the dialog, two more
#    MESSAGEs, a typing INFO (KeyboardActivity, echoed), BYE;
#  - the gateway opens one: a page MESSAGE's echo becomes an INVITE with
#    the first message, the next message goes in the dialog, the edge's BYE
#    ends it;
#  - an idle conversation is ended by the gateway with BYE;
#  - refusals: an INVITE that is not IM (488), a malformed Ms-Text-Format
#    (400).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/rig.sh"
. "$top_srcdir/tests/lib/sipp.sh"
sip_rig sip-im
sip_conf "edge_dialect = lync"
sip_gw_start || { tap_not_ok "fedgated starts"; done_testing; exit 1; }
rig_wait_log fedgated "Unknown -> Inactive" 5
sip_edge_up

_conversations() { gwctl status | grep -q " $1 conversations"; }

# ---- the edge opens a conversation ---------------------------------
if sipp_uac conv im-edge.xml; then
	tap_ok "INVITE + first message -> 200 -> ACK, two MESSAGEs, typing INFO, BYE (each echoed in the dialog)"
else tap_not_ok "INVITE + first message -> 200 -> ACK, two MESSAGEs, typing INFO, BYE (each echoed in the dialog)" "$(sipp_why conv)"; fi
check_contains "the first message is taken from Ms-Text-Format" "$RIG_DIR/fedgated.log" \
	"alice@sip.test invites bob@xmpp.test conversation=conv-1 first-message=yes"
check_contains "the typing INFO reaches the other side as composing" "$RIG_DIR/fedgated.log" \
	"echo: chat state 2 from alice@sip.test"
check_contains "BYE ends the conversation (gone)" "$RIG_DIR/fedgated.log" \
	"echo: chat state 5 from alice@sip.test"
if wait_for 5 _conversations 0; then tap_ok "no conversation is left"
else tap_not_ok "no conversation is left" "$(gwctl status)"; fi

# ---- the gateway opens one ------------------------------------------
delivered0=$(grep -c "back to the edge delivered" "$RIG_DIR/fedgated.log")
sipp_uas back im-back.xml -m 1
if sipp_uac page1 message-in.xml -key text "hello from the edge" &&
    sipp_uac page2 message-in.xml -key text "second page message"; then
	tap_ok "two page MESSAGEs from the edge are answered 200"
else tap_not_ok "two page MESSAGEs from the edge are answered 200" "$(sipp_why page1)" "$(sipp_why page2)"; fi
if sipp_wait back 20; then
	tap_ok "their echo opens a conversation (INVITE, first message in Ms-Text-Format, ACK), the second goes in the dialog, the edge's BYE ends it"
else tap_not_ok "their echo opens a conversation (INVITE, first message in Ms-Text-Format, ACK), the second goes in the dialog, the edge's BYE ends it" "$(sipp_why back)"; fi
n=$(grep -c "back to the edge delivered" "$RIG_DIR/fedgated.log")
check_eq "both echoes are completed by the edge's answers" 2 "$((n - delivered0))"

# ---- an idle conversation is ended by the gateway --------------------
sed -i 's/^\[sip\]$/[sip]\nconversation_idle = 10s/' "$RIG_DIR/etc/fedgate.conf"
out=$(gwctl reload)
case $out in
*"sip.conversation_idle: 10m -> 10s"*) tap_ok "conversation_idle changes by reload, live" ;;
*) tap_not_ok "conversation_idle changes by reload, live" "$out" ;;
esac
t0=$(date +%s)
if sipp_uac idle im-idle.xml; then tap_ok "an idle conversation is ended by the gateway's BYE"
else tap_not_ok "an idle conversation is ended by the gateway's BYE" "$(sipp_why idle)"; fi
dt=$(( $(date +%s) - t0 ))
check "... after conversation_idle (10 s), not before (took ${dt}s)" test "$dt" -ge 9

# ---- refusals -----------------------------------------------------------
audio="v=0
o=- 0 0 IN IP4 127.0.0.10
s=call
c=IN IP4 127.0.0.10
t=0 0
m=audio 4000 RTP/AVP 0"
ans=$(sip_request INVITE sip:bob@xmpp.test sip:alice@sip.test sip:bob@xmpp.test \
	application/sdp "$audio" "Contact: <sip:alice@127.0.0.10:5070;transport=tls>" | sip_send edge.sip.test)
check_eq "an INVITE that is not an IM session: 488" 488 "$(sip_status_of "$ans")"
case $ans in
*"Warning: 399 gw.sip.test \"only instant messaging sessions (SDP m=message) are supported\""*)
	tap_ok "the 488 says why" ;;
*) tap_not_ok "the 488 says why" "$ans" ;;
esac
im="v=0
o=- 0 0 IN IP4 127.0.0.10
s=session
c=IN IP4 127.0.0.10
t=0 0
m=message 5061 sip null"
ans=$(sip_request INVITE sip:bob@xmpp.test sip:alice@sip.test sip:bob@xmpp.test \
	application/sdp "$im" "Contact: <sip:alice@127.0.0.10:5070;transport=tls>
Ms-Text-Format: text/plain; charset=UTF-8; ms-body=@@not-base64@@" | sip_send edge.sip.test)
check_eq "a malformed Ms-Text-Format: 400" 400 "$(sip_status_of "$ans")"
check "fedgated keeps running" rig_alive fedgated
if wait_for 5 _conversations 0; then tap_ok "no conversation is left"
else tap_not_ok "no conversation is left" "$(gwctl status)"; fi
rig_stop fedgated TERM
check_eq "SIGTERM stops fedgated cleanly" 0 "$?"
done_testing
