#!/bin/sh
# e2e-message: page-mode IM through the whole chain, both ways, against two
# real Prosody servers (dialback over TLS; SASL EXTERNAL), the edge being
# SIPp behind socat TLS: messages, typing, an unknown user, a domain our
# policy refuses, an unreachable domain, and the counters.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/e2e.sh"
e2e_init e2e-msg xmpp secure
e2e_policy "allow nowhere.test"
e2e_conf
e2e_start
e2e_uas uas
e2e_user bob bob@xmpp.test
e2e_user carol carol@secure.test

send() { # NAME FROM TO TEXT: the edge's user sends; prints the final status
	sipp_uac "$1" e2e-send.xml -key from "$2" -key to "$3" \
		-key ctype "text/plain;charset=UTF-8" -key text "$4" >/dev/null 2>&1
	sed -n 's/^SIP\/2.0 \([0-9][0-9][0-9]\) .*/\1/p' "$RIG_DIR/sipp/$1.msg" | grep -v '^100$' | tail -n 1
}

# --- SIP -> XMPP ------------------------------------------------------
check_eq "a MESSAGE to xmpp.test (dialback over TLS) is answered 200" 200 \
	"$(send m1 alice@sip.test bob@xmpp.test 'hello bob over dialback')"
if e2e_wait bob "RECV message from=alice@sip.test type=chat body=hello bob over dialback"; then
	tap_ok "bob@xmpp.test receives it, from alice@sip.test"
else tap_not_ok "bob@xmpp.test receives it, from alice@sip.test"; fi
check_eq "a MESSAGE to secure.test (SASL EXTERNAL) is answered 200" 200 \
	"$(send m2 alice@sip.test carol@secure.test 'hello carol over external')"
if e2e_wait carol "RECV message from=alice@sip.test type=chat body=hello carol over external"; then
	tap_ok "carol@secure.test receives it"
else tap_not_ok "carol@secure.test receives it"; fi
conns=$(e2e_ctl connections)
check_text "the stream to secure.test is authenticated by SASL EXTERNAL" "$conns" "secure.test"
case $conns in
*sasl-external*) tap_ok "connections show sasl-external" ;;
*) tap_not_ok "connections show sasl-external" "$conns" ;;
esac
case $conns in
*dialback*) tap_ok "connections show dialback (xmpp.test)" ;;
*) tap_not_ok "connections show dialback (xmpp.test)" "$conns" ;;
esac

# --- XMPP -> SIP ------------------------------------------------------
e2e_say bob send alice@sip.test hi alice from bob
if e2e_edge_wait uas "hi alice from bob"; then tap_ok "bob's message reaches the edge"
else tap_not_ok "bob's message reaches the edge" "$(sipp_why uas)"; fi
check_contains "... as a MESSAGE from sip:bob@xmpp.test to sip:alice@sip.test" \
	"$RIG_DIR/sipp/uas.msg" "MESSAGE sip:alice@sip.test SIP/2.0"
check_contains "... with bob as the sender" "$RIG_DIR/sipp/uas.msg" "<sip:bob@xmpp.test>"
e2e_say carol send alice@sip.test hi alice from carol
if e2e_edge_wait uas "hi alice from carol"; then tap_ok "carol's message (secure.test) reaches the edge"
else tap_not_ok "carol's message (secure.test) reaches the edge"; fi

# --- typing, both ways --------------------------------------------------
e2e_say bob chat-state alice@sip.test composing
if e2e_edge_wait uas "<state>active</state>"; then tap_ok "bob's composing reaches the edge as isComposing active"
else tap_not_ok "bob's composing reaches the edge as isComposing active"; fi
sipp_uac t1 e2e-composing.xml -key from alice@sip.test -key to bob@xmpp.test >/dev/null 2>&1
if e2e_wait bob "RECV chat-state from=alice@sip.test state=composing"; then
	tap_ok "alice's isComposing reaches bob as composing"
else tap_not_ok "alice's isComposing reaches bob as composing"; fi

# --- policy: a domain we do not federate with -------------------------
check_eq "a MESSAGE to a domain the policy refuses is answered 403" 403 \
	"$(send m3 alice@sip.test dave@blocked.test 'not allowed')"
e2e_user mallory alice@blocked.test
e2e_say mallory send alice@sip.test let me in
if e2e_wait mallory "RECV error from=alice@sip.test" 40; then
	tap_ok "a user of the refused domain gets an error back"
else tap_not_ok "a user of the refused domain gets an error back"; fi
check_contains "the refusal is logged with the policy rule" "$RIG_DIR/fedgated.log" "blocked.test"
if grep -F "hi alice" "$RIG_DIR/sipp/uas.msg" | grep -qF "let me in"; then
	tap_not_ok "nothing of the refused domain reaches the edge"
elif grep -qF "let me in" "$RIG_DIR/sipp/uas.msg"; then
	tap_not_ok "nothing of the refused domain reaches the edge"
else tap_ok "nothing of the refused domain reaches the edge"; fi

# --- a domain that cannot be reached -----------------------------------
st=$(send m4 alice@sip.test zed@nowhere.test 'anyone there?')
case $st in
404|502|504) tap_ok "a MESSAGE to a domain without any route is answered $st" ;;
*) tap_not_ok "a MESSAGE to a domain without any route is answered 404/502/504" "got '$st'" ;;
esac

# --- unknown users, a user who refuses federation ------------------------
e2e_say bob send nobody@sip.test are you there
if e2e_wait bob "RECV error from=nobody@sip.test cond=item-not-found"; then
	tap_ok "the edge's 404 comes back to bob as item-not-found"
else tap_not_ok "the edge's 404 comes back to bob as item-not-found"; fi
e2e_say bob send private@sip.test may I
if e2e_wait bob "RECV error from=private@sip.test cond=forbidden"; then
	tap_ok "the edge's 403 comes back to bob as forbidden"
else tap_not_ok "the edge's 403 comes back to bob as forbidden"; fi
check_eq "a MESSAGE to an unknown XMPP user is answered 200 (the stanza left)" 200 \
	"$(send m5 alice@sip.test nobody@xmpp.test 'hello nobody')"
if e2e_edge_wait uas "not delivered" 20; then
	tap_ok "Prosody's bounce comes back to alice as a delivery notice"
else tap_not_ok "Prosody's bounce comes back to alice as a delivery notice"; fi

# --- the edge cannot be reached ------------------------------------------
# the edge moves to an address where nothing answers (a live reload)
sed -i 's/edge=edge.sip.test:5061/edge=edge.sip.test:5999/' "$RIG_DIR/etc/domains.conf"
e2e_ctl reload >/dev/null
e2e_say bob send alice@sip.test is the edge there
if e2e_wait bob "RECV error from=alice@sip.test cond=remote-server-not-found" 30; then
	tap_ok "with the edge unreachable, bob's message comes back as remote-server-not-found"
else tap_not_ok "with the edge unreachable, bob's message comes back as remote-server-not-found"; fi

# --- counters -------------------------------------------------------------
sx=$(e2e_metric 'fedgate_messages_total{direction="sip_to_xmpp",result="delivered"}')
xs=$(e2e_metric 'fedgate_messages_total{direction="xmpp_to_sip",result="delivered"}')
xb=$(e2e_metric 'fedgate_messages_total{direction="xmpp_to_sip",result="bounced"}')
check_eq "counters: 3 delivered sip->xmpp (2 users + nobody)" 3 "$sx"
check_eq "counters: 2 delivered xmpp->sip" 2 "$xs"
check_eq "counters: 3 bounced xmpp->sip (404, 403, edge unreachable)" 3 "$xb"
check "fedgated is still running" rig_alive fedgated
rig_stop fedgated TERM; rc=$?
check_eq "fedgated stops cleanly (exit 0, no sanitizer report)" 0 "$rc"
done_testing
