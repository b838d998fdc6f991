#!/bin/sh
# e2e-email: email address for federation (the Cisco IM&P feature) through
# the whole chain. alice@sip.test federates as alice.smith@mail.sip.test:
# what she sends leaves with that address, what is sent to it reaches her,
# and her raw id is refused from outside; dave has no email and keeps his.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/e2e.sh"
e2e_init e2e-email xmpp
e2e_email "alice@sip.test alice.smith@mail.sip.test"
e2e_conf "" "" "" "email_for_federation = yes"
e2e_start
e2e_uas uas
e2e_user bob bob@xmpp.test

sipp_uac m1 e2e-send.xml -key from alice@sip.test -key to bob@xmpp.test \
	-key ctype "text/plain;charset=UTF-8" -key text "hello from alice" >/dev/null 2>&1
if e2e_wait bob "RECV message from=alice.smith@mail.sip.test type=chat body=hello from alice"; then
	tap_ok "alice's message leaves as alice.smith@mail.sip.test"
else tap_not_ok "alice's message leaves as alice.smith@mail.sip.test"; fi
if grep -q "from=alice@sip.test" "$RIG_DIR/bob.log"; then
	tap_not_ok "her raw id never reaches the other side"
else tap_ok "her raw id never reaches the other side"; fi

e2e_say bob send alice.smith@mail.sip.test hello alice by email
if e2e_edge_wait uas "hello alice by email"; then tap_ok "a message to the email address reaches the edge"
else tap_not_ok "a message to the email address reaches the edge"; fi
check_contains "... addressed to alice's local id" "$RIG_DIR/sipp/uas.msg" "MESSAGE sip:alice@sip.test SIP/2.0"

e2e_say bob send alice@sip.test hello raw id
if e2e_wait bob "RECV error from=alice@sip.test cond=forbidden"; then
	tap_ok "a message to alice's raw id is refused (forbidden)"
else tap_not_ok "a message to alice's raw id is refused (forbidden)"; fi
if grep -qF "hello raw id" "$RIG_DIR/sipp/uas.msg"; then
	tap_not_ok "... and never reaches the edge"
else tap_ok "... and never reaches the edge"; fi

e2e_say bob send ghost@mail.sip.test anyone
if e2e_wait bob "RECV error from=ghost@mail.sip.test cond=item-not-found"; then
	tap_ok "an unknown email address is item-not-found"
else tap_not_ok "an unknown email address is item-not-found"; fi

sipp_uac m2 e2e-send.xml -key from dave@sip.test -key to bob@xmpp.test \
	-key ctype "text/plain;charset=UTF-8" -key text "hello from dave" >/dev/null 2>&1
if e2e_wait bob "RECV message from=dave@sip.test type=chat body=hello from dave"; then
	tap_ok "a user without an email address keeps his id"
else tap_not_ok "a user without an email address keeps his id"; fi
e2e_say bob send dave@sip.test hi dave
if e2e_edge_wait uas "hi dave"; then tap_ok "... and is reached by it"
else tap_not_ok "... and is reached by it"; fi

check "fedgated is still running" rig_alive fedgated
rig_stop fedgated TERM; rc=$?
check_eq "fedgated stops cleanly (exit 0, no sanitizer report)" 0 "$rc"
done_testing
