#!/bin/sh
# e2e-flow: flow control toward a slow edge. With queue_limit = 5 and an
# edge that takes 2 s to answer each MESSAGE, 100 messages from an XMPP
# user make the gateway stop reading inbound XMPP streams once 5 answers
# are awaited (what one read already holds still goes through; TCP pushes
# back on Prosody for the rest) and read again below half of it: all 100
# arrive, in order, none refused.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/e2e.sh"
e2e_init e2e-flow xmpp
e2e_conf "" "" "queue_limit = 5"
e2e_start
sipp_uas slow e2e-recv-slow.xml -timeout 120s
e2e_user bob bob@xmpp.test

pad=$(printf 'x%.0s' $(seq 1 400))	# a few stanzas per read, not all of them
i=1
while [ $i -le 100 ]; do e2e_say bob send alice@sip.test flow message $i $pad; i=$((i + 1)); done
if rig_wait_log fedgated "inbound stanzas paused" 15; then
	tap_ok "at 5 messages waiting for the edge, inbound XMPP reading pauses"
else tap_not_ok "at 5 messages waiting for the edge, inbound XMPP reading pauses"; fi
if rig_wait_log fedgated "inbound stanzas resumed" 15; then
	tap_ok "reading resumes when the edge catches up"
else tap_not_ok "reading resumes when the edge catches up"; fi
if e2e_edge_wait slow "flow message 100 " 90; then tap_ok "all 100 messages reach the slow edge"
else tap_not_ok "all 100 messages reach the slow edge" "$(sipp_why slow)"; fi
order=$(grep -o 'flow message [0-9]*' "$RIG_DIR/sipp/slow.msg" | sed 's/flow message //' | tr '\n' ' ')
check_eq "... in the order they were sent" "$(seq 1 100 | tr '\n' ' ')" "$order"
n=$(grep -c "inbound stanzas paused" "$RIG_DIR/fedgated.log")
if [ "$n" -ge 2 ]; then tap_ok "reading paused again as the backlog came back ($n pauses)"
else tap_not_ok "reading paused again as the backlog came back" "$n pause(s)"; fi
_all_delivered() { [ "$(e2e_metric 'fedgate_messages_total{direction="xmpp_to_sip",result="delivered"}')" = 100 ]; }
if wait_for 10 _all_delivered; then tap_ok "100 delivered"
else tap_not_ok "100 delivered" "$(e2e_ctl stats | grep messages_total)"; fi
check_eq "none bounced" 0 "$(e2e_metric 'fedgate_messages_total{direction="xmpp_to_sip",result="bounced"}')"
if grep -q "RECV error" "$RIG_DIR/bob.log"; then tap_not_ok "bob got no error" "$(grep 'RECV error' "$RIG_DIR/bob.log")"
else tap_ok "bob got no error"; fi
check "fedgated is still running" rig_alive fedgated
rig_stop fedgated TERM; rc=$?
check_eq "fedgated stops cleanly (exit 0, no sanitizer report)" 0 "$rc"
done_testing
