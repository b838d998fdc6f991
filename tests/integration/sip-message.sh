#!/bin/sh
# sip-message: page-mode MESSAGE both ways between the edge (SIPp behind
# socat TLS) and fedgated (with the test echo), then the request checks:
# foreign From, policy, local target, unsupported / malformed / non-UTF-8
# bodies, a malformed request, Max-Forwards, loops, unknown methods --
# each refused with the right status and a Warning, and the gateway keeps
# serving; a MESSAGE the other side never answers gets 504 in bounded time.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/rig.sh"
. "$top_srcdir/tests/lib/sipp.sh"
sip_rig sip-message
sip_conf "edge_dialect = standard"
sip_gw_start || { tap_not_ok "fedgated starts"; done_testing; exit 1; }
rig_wait_log fedgated "Unknown -> Inactive" 5	# the first ping, before the edge is up
sip_edge_up

# ---- page mode, both ways -----------------------------------------
sipp_uas uas message-out.xml -m 1
if sipp_uac uac message-in.xml -key text "hello from the edge"; then tap_ok "a page MESSAGE from the edge is answered 200"
else tap_not_ok "a page MESSAGE from the edge is answered 200" "$(sipp_why uac)"; fi
if sipp_wait uas 15; then tap_ok "its echo reaches the edge as a page MESSAGE from bob@xmpp.test"
else tap_not_ok "its echo reaches the edge as a page MESSAGE from bob@xmpp.test" "$(sipp_why uas)"; fi
if rig_wait_log fedgated "echo: message" 5 && rig_wait_log fedgated "back to the edge delivered" 5; then
	tap_ok "the edge's 200 completes the outgoing MESSAGE"
else tap_not_ok "the edge's 200 completes the outgoing MESSAGE"; fi

# ---- request checks ------------------------------------------------
# msg RURI FROM [CTYPE BODY [HEADERS]]: send a MESSAGE, print the answer
msg() {
	sip_request MESSAGE "$1" "$2" "$1" "${3-text/plain;charset=UTF-8}" "${4-hello}" "${5:-}" |
		sip_send edge.sip.test
}
# expect DESCRIPTION STATUS WARNING-TEXT ANSWER
expect() {
	st=$(sip_status_of "$4")
	if [ "$st" = "$2" ] && { [ -z "$3" ] || printf '%s' "$4" | grep -qF "Warning: 399 gw.sip.test \"$3"; }; then
		tap_ok "$1"
	else tap_not_ok "$1" "expected $2 with Warning '$3'" "$4"; fi
}

expect "From in a foreign domain: 403" 403 "From domain foreign.test is not a local SIP domain" \
	"$(msg sip:bob@xmpp.test sip:mallory@foreign.test)"
check_contains "... and logged" "$RIG_DIR/fedgated.log" "From domain foreign.test is not a local SIP domain"
expect "a target the policy does not allow: 403" 403 "federation with blocked.test is not allowed" \
	"$(msg sip:eve@blocked.test sip:alice@sip.test)"
expect "a target in a local domain: 404" 404 "sip.test is a local domain" \
	"$(msg sip:carol@sip.test sip:alice@sip.test)"
ans=$(msg sip:bob@xmpp.test sip:alice@sip.test application/octet-stream "data")
expect "an unsupported body: 415" 415 "Content-Type application/octet-stream is not supported" "$ans"
case $ans in
*"Accept: text/plain, text/html, application/im-iscomposing+xml"*) tap_ok "the 415 lists what is accepted" ;;
*) tap_not_ok "the 415 lists what is accepted" "$ans" ;;
esac
expect "a charset we do not know: 415" 415 "Content-Type text/plain;charset=klingon is not supported" \
	"$(msg sip:bob@xmpp.test sip:alice@sip.test "text/plain;charset=klingon" "hello")"
expect "a body in ISO-8859-1 is taken (converted)" 200 "" \
	"$(msg sip:bob@xmpp.test sip:alice@sip.test "text/plain;charset=ISO-8859-1" "$(printf 'caf\351')")"
expect "a body that is not the UTF-8 it claims: 400" 400 "body not taken: invalid UTF-8" \
	"$(msg sip:bob@xmpp.test sip:alice@sip.test "text/plain;charset=UTF-8" "$(printf 'caf\351')")"
expect "a MESSAGE without a body: 400" 400 "MESSAGE without a body" \
	"$(msg sip:bob@xmpp.test sip:alice@sip.test "" "")"
expect "a malformed isComposing: 400" 400 "malformed isComposing document" \
	"$(msg sip:bob@xmpp.test sip:alice@sip.test application/im-iscomposing+xml "<isComposing><state>maybe")"
expect "an isComposing is answered 200" 200 "" \
	"$(msg sip:bob@xmpp.test sip:alice@sip.test application/im-iscomposing+xml \
	'<?xml version="1.0"?><isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"><state>active</state></isComposing>')"
rig_wait_log fedgated "echo: chat state 2 from alice@sip.test" 5 &&
	tap_ok "... and goes to the other side as composing" || tap_not_ok "... and goes to the other side as composing"
expect "an HTML body is accepted (as text)" 200 "" \
	"$(msg sip:bob@xmpp.test sip:alice@sip.test "text/html" "<p>hello &amp; <b>welcome</b></p>")"

bad=$(sip_request MESSAGE sip:bob@xmpp.test sip:alice@sip.test sip:bob@xmpp.test "text/plain" "x" |
	sed 's/^CSeq: 1 MESSAGE/CSeq: one MESSAGE/' | sip_send edge.sip.test)
expect "a malformed request (bad CSeq): 400" 400 "" "$bad"
expect "Max-Forwards 0: 483" 483 "Max-Forwards reached 0" \
	"$(sip_request MESSAGE sip:bob@xmpp.test sip:alice@sip.test sip:bob@xmpp.test text/plain hi |
	sed 's/^Max-Forwards: 70/Max-Forwards: 0/' | sip_send edge.sip.test)"
expect "a request that comes back to us: 482" 482 "the request came back to the gateway" \
	"$(msg sip:bob@xmpp.test sip:alice@sip.test text/plain hi "Via: SIP/2.0/TLS gw.sip.test;branch=z9hG4bK-loop")"
ans=$(sip_request FOO sip:bob@xmpp.test sip:alice@sip.test sip:bob@xmpp.test | sip_send edge.sip.test)
expect "an unknown method: 405" 405 "" "$ans"
case $ans in
*"Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, INFO, SUBSCRIBE, NOTIFY, BENOTIFY"*) tap_ok "the 405 has Allow" ;;
*) tap_not_ok "the 405 has Allow" "$ans" ;;
esac

# ---- still serving ---------------------------------------------------
check "fedgated is still running" rig_alive fedgated
sipp_uas uas2 message-out.xml -m 1
if sipp_uac uac2 message-in.xml -key text "hello from the edge" && sipp_wait uas2 15; then
	tap_ok "after the refusals, page MESSAGEs still flow both ways"
else tap_not_ok "after the refusals, page MESSAGEs still flow both ways" "$(sipp_why uac2)" "$(sipp_why uas2)"; fi
out=$(gwctl stats)
case $out in
*'fedgate_sip_messages_total{direction="in"}'*) tap_ok "stats count the messages" ;;
*) tap_not_ok "stats count the messages" "$out" ;;
esac
rig_stop fedgated TERM
check_eq "SIGTERM stops fedgated cleanly" 0 "$?"

# ---- an answer that never comes: [sip] answer_timeout answers -----------
mv "$RIG_DIR/fedgated.log" "$RIG_DIR/fedgated-1.log"
sip_conf "edge_dialect = standard
answer_timeout = 1s"
SIP_ECHO=silent sip_gw_start || { tap_not_ok "fedgated starts"; done_testing; exit 1; }
t0=$(date +%s%N)
# the connection stays open (a TLS close would end the transaction)
ans=$({ sip_request MESSAGE sip:bob@xmpp.test sip:alice@sip.test sip:bob@xmpp.test \
	"text/plain;charset=UTF-8" "hello"; sleep 3; } | sip_send edge.sip.test | sed '/^$/q')
expect "a MESSAGE the other side never answers gets 504 after answer_timeout" 504 \
	"no answer from the XMPP side in time" "$ans"
# the delay, from the log's own time stamps (received -> answered)
ms_of() { date -d "$(grep -m1 "$1" "$RIG_DIR/fedgated.log" | cut -d' ' -f1)" +%s%3N; }
if rig_wait_log fedgated "not answered within answer_timeout: 504" 1; then
	dt=$(( $(ms_of "not answered within answer_timeout") - $(ms_of "MESSAGE call-id=.*txid=") ))
	check "... after answer_timeout (1 s; took ${dt} ms)" test "$dt" -ge 950 -a "$dt" -lt 3000
else tap_not_ok "... after answer_timeout (1 s)" "not logged"; fi
rig_stop fedgated TERM
check_eq "SIGTERM stops fedgated cleanly" 0 "$?"
done_testing
