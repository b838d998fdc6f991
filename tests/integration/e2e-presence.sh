#!/bin/sh
# e2e-presence: the presence life cycle through the whole chain, both ways.
#  A. alice behind the edge watches bob@xmpp.test: SUBSCRIBE -> bob is asked
#     -> approves -> NOTIFYs follow his available/away/dnd/unavailable
#     changes -> alice unsubscribes -> bob is told.
#  B. carol@secure.test watches alice: her subscribe becomes our SUBSCRIBE
#     to the edge -> its NOTIFY approves and tells alice's presence -> a new
#     session of carol probes and gets it again -> carol unsubscribes and
#     the edge's subscription ends.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/e2e.sh"
e2e_init e2e-pres xmpp secure
e2e_conf
e2e_start
e2e_user bob bob@xmpp.test
e2e_user carol carol@secure.test

# --- A: the SIP user watches an XMPP user ------------------------------
_sipp watch -sf "$SIPP_DIR/e2e-watch.xml" -i $SIP_UAC_IP -p 5070 -m 1 -timeout 90s \
	-timeout_error -key from alice@sip.test -key to bob@xmpp.test $SIP_EDGE_IP:5080 \
	> "$RIG_DIR/watch.log" 2>&1 &
echo $! > "$RIG_DIR/watch.pid"
if e2e_wait bob "RECV subscribe from=alice@sip.test"; then
	tap_ok "alice's SUBSCRIBE reaches bob as a subscription request"
else tap_not_ok "alice's SUBSCRIBE reaches bob as a subscription request"; fi
e2e_say bob approve alice@sip.test
if e2e_edge_wait watch "<basic>open</basic>"; then
	tap_ok "bob's approval activates alice's subscription with his presence (open)"
else tap_not_ok "bob's approval activates alice's subscription with his presence (open)" "$(sipp_why watch)"; fi
check_contains "... in a NOTIFY with Subscription-State active" "$RIG_DIR/sipp/watch.msg" \
	"Subscription-State: active"
e2e_say bob presence away at lunch
if e2e_edge_wait watch "<rpid:away/>" && e2e_edge_wait watch "at lunch"; then
	tap_ok "bob's away (at lunch) reaches alice"
else tap_not_ok "bob's away (at lunch) reaches alice"; fi
e2e_say bob presence dnd in a meeting
if e2e_edge_wait watch "<rpid:busy/>" && e2e_edge_wait watch "in a meeting"; then
	tap_ok "bob's dnd (in a meeting) reaches alice as busy"
else tap_not_ok "bob's dnd (in a meeting) reaches alice as busy"; fi
e2e_say bob presence unavailable gone home
if e2e_edge_wait watch "<basic>closed</basic>"; then
	tap_ok "bob's unavailable reaches alice (closed)"
else tap_not_ok "bob's unavailable reaches alice (closed)"; fi
# the scenario unsubscribes once it saw "closed"
if e2e_wait bob "RECV unsubscribe from=alice@sip.test"; then
	tap_ok "alice's unsubscribe (Expires: 0) reaches bob"
else tap_not_ok "alice's unsubscribe (Expires: 0) reaches bob"; fi
if sipp_wait watch 20; then tap_ok "the watcher's dialog ended with a final NOTIFY"
else tap_not_ok "the watcher's dialog ended with a final NOTIFY" "$(sipp_why watch)"; fi

# --- B: an XMPP user watches the SIP user -------------------------------
sipp_uas notifier e2e-notifier.xml -m 1 -timeout 120s
e2e_say carol subscribe alice@sip.test
if e2e_edge_wait notifier "SUBSCRIBE sip:alice@sip.test"; then
	tap_ok "carol's subscription reaches the edge as a SUBSCRIBE"
else tap_not_ok "carol's subscription reaches the edge as a SUBSCRIBE"; fi
check_contains "... from carol, for the presence event" "$RIG_DIR/sipp/notifier.msg" "<sip:carol@secure.test>"
if e2e_wait carol "RECV subscribed from=alice@sip.test"; then
	tap_ok "the edge's NOTIFY approves carol's subscription"
else tap_not_ok "the edge's NOTIFY approves carol's subscription"; fi
if e2e_wait carol "RECV presence from=alice@sip.test show=away status=at lunch"; then
	tap_ok "carol sees alice away, at lunch"
else tap_not_ok "carol sees alice away, at lunch"; fi
# a new session of carol: her server probes alice, we answer from the SIP side
e2e_say carol quit
wait_for 10 sh -c "! kill -0 $(rig_pid carol) 2>/dev/null"
e2e_user carol2 carol@secure.test
if e2e_wait carol2 "RECV presence from=alice@sip.test show=away status=at lunch"; then
	tap_ok "a probe from carol's new session is answered with alice's presence"
else tap_not_ok "a probe from carol's new session is answered with alice's presence"; fi
e2e_say carol2 unsubscribe alice@sip.test
if e2e_edge_wait notifier "Expires: 0"; then
	tap_ok "carol's unsubscribe ends the edge subscription (Expires: 0)"
else tap_not_ok "carol's unsubscribe ends the edge subscription (Expires: 0)"; fi
if sipp_wait notifier 20; then tap_ok "the edge's notifier dialog ended with a final NOTIFY"
else tap_not_ok "the edge's notifier dialog ended with a final NOTIFY" "$(sipp_why notifier)"; fi

_pairs_gone() { e2e_ctl status | grep -q "presence pairs 0,"; }
if wait_for 10 _pairs_gone; then tap_ok "no presence relationship is left over"
else tap_not_ok "no presence relationship is left over" "$(e2e_ctl status)"; fi
check "fedgated is still running" rig_alive fedgated
rig_stop fedgated TERM; rc=$?
check_eq "fedgated stops cleanly (exit 0, no sanitizer report)" 0 "$rc"
done_testing
