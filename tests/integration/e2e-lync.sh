#!/bin/sh
# e2e-lync: Lync-style INVITE conversations through the whole chain
# (edge_dialect = lync), both ways, against real Prosody servers.
#  A. alice behind the edge opens a conversation with bob@xmpp.test: the
#     first message rides in the INVITE, bob's replies come back in the
#     dialog, typing (INFO KeyboardActivity) reaches bob, BYE ends it.
#  B. carol@secure.test writes to alice: the gateway opens the
#     conversation (INVITE + Ms-Text-Format), her next message goes in the
#     dialog, alice's answer in the dialog reaches carol, the edge's BYE
#     ends it.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/e2e.sh"
e2e_init e2e-lync xmpp secure
e2e_conf "" "edge_dialect = lync"
e2e_start
e2e_user bob bob@xmpp.test
e2e_user carol carol@secure.test

# --- A: the edge opens ----------------------------------------------------
_sipp conv -sf "$SIPP_DIR/e2e-im-edge.xml" -i $SIP_UAC_IP -p 5070 -m 1 -timeout 90s \
	-timeout_error $SIP_EDGE_IP:5080 > "$RIG_DIR/conv.log" 2>&1 &
echo $! > "$RIG_DIR/conv.pid"
if e2e_wait bob "RECV message from=alice@sip.test type=chat body=hello bob, this is alice"; then
	tap_ok "the first message, carried in the INVITE, reaches bob"
else tap_not_ok "the first message, carried in the INVITE, reaches bob" "$(sipp_why conv)"; fi
check_contains "the INVITE is accepted with m=message ... sip:bob@xmpp.test" "$RIG_DIR/sipp/conv.msg" \
	"sip sip:bob@xmpp.test"
e2e_say bob send alice@sip.test hi alice, bob here
if e2e_edge_wait conv "hi alice, bob here"; then tap_ok "bob's reply comes back in the dialog"
else tap_not_ok "bob's reply comes back in the dialog"; fi
if e2e_wait bob "body=second message from alice"; then tap_ok "the second in-dialog MESSAGE reaches bob"
else tap_not_ok "the second in-dialog MESSAGE reaches bob"; fi
if e2e_wait bob "RECV chat-state from=alice@sip.test state=composing"; then
	tap_ok "the typing INFO (KeyboardActivity) reaches bob as composing"
else tap_not_ok "the typing INFO (KeyboardActivity) reaches bob as composing"; fi
if e2e_wait bob "body=third message from alice"; then tap_ok "the third in-dialog MESSAGE reaches bob"
else tap_not_ok "the third in-dialog MESSAGE reaches bob"; fi
e2e_say bob send alice@sip.test bye alice
if sipp_wait conv 30; then tap_ok "bob's second reply arrives in the dialog and BYE ends it"
else tap_not_ok "bob's second reply arrives in the dialog and BYE ends it" "$(sipp_why conv)"; fi
n=$(grep -c "^MESSAGE sip:alice@" "$RIG_DIR/sipp/conv.msg")
check_eq "both of bob's replies came as in-dialog MESSAGEs (no new INVITE)" 2 "$n"
if e2e_wait bob "RECV chat-state from=alice@sip.test state=gone"; then
	tap_ok "BYE tells bob the conversation is gone"
else tap_not_ok "BYE tells bob the conversation is gone"; fi

# --- B: the XMPP side opens ----------------------------------------------
sipp_uas back e2e-im-back.xml -m 1 -timeout 90s
e2e_say carol send alice@sip.test hello alice, carol here
if e2e_edge_wait back "INVITE sip:alice@sip.test"; then
	tap_ok "carol's first message opens a conversation (INVITE)"
else tap_not_ok "carol's first message opens a conversation (INVITE)" "$(sipp_why back)"; fi
# the first message is in Ms-Text-Format, base64
b64=$(printf 'hello alice, carol here' | base64)
check_contains "... with the first message in Ms-Text-Format" "$RIG_DIR/sipp/back.msg" "ms-body=$b64"
check_contains "... and SDP m=message ... sip null" "$RIG_DIR/sipp/back.msg" "sip null"
e2e_say carol send alice@sip.test are you there
if e2e_edge_wait back "are you there"; then tap_ok "carol's next message goes in the dialog"
else tap_not_ok "carol's next message goes in the dialog"; fi
if e2e_wait carol "RECV message from=alice@sip.test type=chat body=thanks carol"; then
	tap_ok "alice's in-dialog answer reaches carol"
else tap_not_ok "alice's in-dialog answer reaches carol"; fi
if sipp_wait back 30; then tap_ok "the edge's BYE ends the conversation"
else tap_not_ok "the edge's BYE ends the conversation" "$(sipp_why back)"; fi
n=$(grep -c "^INVITE sip:alice@" "$RIG_DIR/sipp/back.msg")
check_eq "one INVITE for the whole conversation" 1 "$n"

check "fedgated is still running" rig_alive fedgated
rig_stop fedgated TERM; rc=$?
check_eq "fedgated stops cleanly (exit 0, no sanitizer report)" 0 "$rc"
done_testing
