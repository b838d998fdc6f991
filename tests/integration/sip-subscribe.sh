#!/bin/sh
# sip-subscribe: presence (RFC 6665, RFC 3856) between the edge (SIPp
# behind socat TLS, both roles) and fedgated with the test echo.
#  - the edge subscribes: SUBSCRIBE -> 200 -> NOTIFYs -> refresh ->
#    unsubscribe -> NOTIFY terminated; the echo subscribes back (fedgated as
#    watcher: SUBSCRIBE, the edge's NOTIFY, unsubscribe) and mirrors it;
#  - the same the Lync way: ms-piggyback-first-notify, BENOTIFY sent and
#    received without responses, msrtc categories;
#  - refusals: NOTIFY for an unknown dialog (481), BENOTIFY for one (no
#    response), an unknown event (489), no acceptable body (406).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/rig.sh"
. "$top_srcdir/tests/lib/sipp.sh"
sip_rig sip-subscribe
sip_conf "edge_dialect = standard"
sip_gw_start || { tap_not_ok "fedgated starts"; done_testing; exit 1; }
rig_wait_log fedgated "Unknown -> Inactive" 5
sip_edge_up

# ---- standard: NOTIFY -----------------------------------------------
sipp_uas back subscribe-back.xml -m 1
if sipp_uac edge subscribe-edge.xml -key expires 600; then
	tap_ok "SUBSCRIBE -> 200 -> NOTIFY -> NOTIFY (mirrored presence) -> refresh -> unsubscribe -> NOTIFY terminated"
else tap_not_ok "SUBSCRIBE -> 200 -> NOTIFY -> NOTIFY (mirrored presence) -> refresh -> unsubscribe -> NOTIFY terminated" "$(sipp_why edge)"; fi
if sipp_wait back 15; then
	tap_ok "as watcher: SUBSCRIBE to the edge, its NOTIFY answered, unsubscribe, final NOTIFY answered"
else tap_not_ok "as watcher: SUBSCRIBE to the edge, its NOTIFY answered, unsubscribe, final NOTIFY answered" "$(sipp_why back)"; fi
check_contains "the subscription is logged with its expiry" "$RIG_DIR/fedgated.log" \
	"alice@sip.test subscribes to bob@xmpp.test expires=600"
check_contains "the edge's presence reached the other side" "$RIG_DIR/fedgated.log" \
	"echo: presence of alice@sip.test mirrored"
check_contains "the unsubscribe is logged" "$RIG_DIR/fedgated.log" ": unsubscribed"
_none() { gwctl status | grep -q " 0 subscriptions"; }
if wait_for 10 _none; then tap_ok "both subscriptions are gone afterwards"
else tap_not_ok "both subscriptions are gone afterwards" "$(gwctl status)"; fi

# ---- Lync: piggyback, BENOTIFY, categories -----------------------------
# edge_dialect is applied by a live reload
sed -i 's/^edge_dialect = standard/edge_dialect = lync/' "$RIG_DIR/etc/fedgate.conf"
out=$(gwctl reload)
case $out in
*"sip.edge_dialect: standard -> lync"*) tap_ok "edge_dialect changes by reload, live" ;;
*) tap_not_ok "edge_dialect changes by reload, live" "$out" ;;
esac
sipp_uas back2 subscribe-back-lync.xml -m 1
if sipp_uac edge2 subscribe-edge-lync.xml; then
	tap_ok "Lync: first state in the 200, updates as BENOTIFY (categories), refresh, unsubscribe"
else tap_not_ok "Lync: first state in the 200, updates as BENOTIFY (categories), refresh, unsubscribe" "$(sipp_why edge2)"; fi
if sipp_wait back2 15; then
	tap_ok "Lync as watcher: piggybacked first state and BENOTIFY taken without a response"
else tap_not_ok "Lync as watcher: piggybacked first state and BENOTIFY taken without a response" "$(sipp_why back2)"; fi
check_contains "the edge was told benotify and piggyback" "$RIG_DIR/fedgated.log" "expires=600 benotify piggyback"

# ---- refusals ----------------------------------------------------------
ans=$(sip_request NOTIFY sip:gw.sip.test:5061 sip:alice@sip.test sip:bob@xmpp.test "" "" \
	"Event: presence
Subscription-State: active;expires=60" | sed 's/^To: <sip:bob@xmpp.test>/&;tag=nosuchdialog/' |
	sip_send edge.sip.test)
check_eq "NOTIFY for an unknown dialog: 481" 481 "$(sip_status_of "$ans")"
ans=$(sip_request NOTIFY sip:bob@xmpp.test sip:alice@sip.test sip:bob@xmpp.test "" "" \
	"Event: presence
Subscription-State: active;expires=60" | sip_send edge.sip.test)
check_eq "NOTIFY outside any subscription: 481" 481 "$(sip_status_of "$ans")"
ans=$(sip_request BENOTIFY sip:gw.sip.test:5061 sip:alice@sip.test sip:bob@xmpp.test "" "" \
	"Event: presence" | sed 's/^To: <sip:bob@xmpp.test>/&;tag=nosuchdialog/' | sip_send edge.sip.test)
check_eq "BENOTIFY for an unknown dialog gets no response at all" "" "$(sip_status_of "$ans")"
rig_wait_log fedgated "for no subscription of ours: dropped (BENOTIFY gets no response)" 5 &&
	tap_ok "... and is logged" || tap_not_ok "... and is logged"
ans=$(sip_request SUBSCRIBE sip:bob@xmpp.test sip:alice@sip.test sip:bob@xmpp.test "" "" \
	"Event: dialog
Expires: 600" | sip_send edge.sip.test)
check_eq "SUBSCRIBE for an unknown event: 489" 489 "$(sip_status_of "$ans")"
case $ans in
*"Allow-Events: presence"*) tap_ok "the 489 lists the events we know" ;;
*) tap_not_ok "the 489 lists the events we know" "$ans" ;;
esac
ans=$(sip_request SUBSCRIBE sip:bob@xmpp.test sip:alice@sip.test sip:bob@xmpp.test "" "" \
	"Event: presence
Accept: text/plain
Expires: 600" | sip_send edge.sip.test)
check_eq "SUBSCRIBE accepting no presence format we send: 406" 406 "$(sip_status_of "$ans")"
ans=$(sip_request SUBSCRIBE sip:bob@xmpp.test sip:mallory@foreign.test sip:bob@xmpp.test "" "" \
	"Event: presence" | sip_send edge.sip.test)
check_eq "SUBSCRIBE from a foreign domain: 403" 403 "$(sip_status_of "$ans")"

check "fedgated keeps running" rig_alive fedgated
ans=$(sip_request OPTIONS sip:gw.sip.test sip:alice@sip.test sip:gw.sip.test | sip_send edge.sip.test)
check_eq "and keeps serving" 200 "$(sip_status_of "$ans")"
rig_stop fedgated TERM
check_eq "SIGTERM stops fedgated cleanly" 0 "$?"
done_testing
