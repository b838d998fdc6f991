#!/bin/sh
# e2e-clearinghouse: AOL-style default federation routing through the
# whole chain. hosted.test (type=clearinghouse) has no DNS record of its
# own: it is reached through the SRV record of the default routing domain
# aol.test, whose server hosts it; aim.test is an alias of aol.test.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/e2e.sh"
e2e_init e2e-ch aol
e2e_domains "alias  aim.test       aol.test"
e2e_conf
e2e_start
e2e_uas uas
e2e_user carol carol@hosted.test
e2e_user bob bob@aol.test

out=$(rig_exec "$FEDGATED" -c "$RIG_DIR/etc/fedgate.conf" --route hosted.test --side xmpp 2>&1)
check_text "hosted.test has no route of its own" "$out" "_xmpp-server._tcp.hosted.test"
check_text "... and is routed through aol.test's SRV record" "$out" "default-srv"

sipp_uac m1 e2e-send.xml -key from alice@sip.test -key to carol@hosted.test \
	-key ctype "text/plain;charset=UTF-8" -key text "hello hosted carol" >/dev/null 2>&1
if e2e_wait carol "RECV message from=alice@sip.test type=chat body=hello hosted carol"; then
	tap_ok "a message to hosted.test reaches carol through the clearinghouse"
else tap_not_ok "a message to hosted.test reaches carol through the clearinghouse"; fi
conns=$(e2e_ctl connections)
check_text "the stream for hosted.test goes to the clearinghouse's server" "$conns" "127.0.0.22"

e2e_say carol send alice@sip.test hi from hosted
if e2e_edge_wait uas "hi from hosted"; then tap_ok "carol@hosted.test's answer reaches the edge"
else tap_not_ok "carol@hosted.test's answer reaches the edge"; fi

sipp_uac m2 e2e-send.xml -key from alice@sip.test -key to bob@aim.test \
	-key ctype "text/plain;charset=UTF-8" -key text "hello via the alias" >/dev/null 2>&1
if e2e_wait bob "RECV message from=alice@sip.test type=chat body=hello via the alias"; then
	tap_ok "a message to bob@aim.test reaches bob@aol.test (alias)"
else tap_not_ok "a message to bob@aim.test reaches bob@aol.test (alias)"; fi

check "fedgated is still running" rig_alive fedgated
rig_stop fedgated TERM; rc=$?
check_eq "fedgated stops cleanly (exit 0, no sanitizer report)" 0 "$rc"
done_testing
