#!/bin/sh
# xmpp-bidi-sip: XEP-0288 the other way round: the SIP side writes first,
# so fedgate opens the stream, asks Prosody 0.12 (mod_s2s_bidi loaded) for
# bidi, and Prosody sends its users' answers back on OUR stream. Through
# the whole chain (SIPp edge behind socat TLS, tests/lib/e2e.sh):
#   - secure.test (SASL EXTERNAL): one TCP connection, opened by us,
#     carries alice's MESSAGE out and carol's answer back;
#   - xmpp.test (dialback over TLS): Prosody verifies our key over a
#     connection of its own (XEP-0288), both streams have bidi, and
#     messages go both ways.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/e2e.sh"
PROSODY_MODULES=s2s_bidi
e2e_init xmpp-bidi-sip xmpp secure
e2e_conf
e2e_start
e2e_uas uas
e2e_user bob bob@xmpp.test
e2e_user carol carol@secure.test
log=$RIG_DIR/fedgated.log

send() { # NAME FROM TO TEXT: the edge's user sends; prints the final status
	sipp_uac "$1" e2e-send.xml -key from "$2" -key to "$3" \
		-key ctype "text/plain;charset=UTF-8" -key text "$4" >/dev/null 2>&1
	sed -n 's/^SIP\/2.0 \([0-9][0-9][0-9]\) .*/\1/p' "$RIG_DIR/sipp/$1.msg" | grep -v '^100$' | tail -n 1
}
streams() { e2e_ctl connections | grep "remote=$1"; }

# --- SASL EXTERNAL: our stream carries both directions ------------------
check_eq "alice's MESSAGE to carol@secure.test is answered 200" 200 \
	"$(send m1 alice@sip.test carol@secure.test 'hello carol, one connection')"
if e2e_wait carol "RECV message from=alice@sip.test type=chat body=hello carol, one connection"
then tap_ok "carol receives it"; else tap_not_ok "carol receives it"; fi
conns=$(streams secure.test); echo "$conns" | sed 's/^/# /'
check_eq "secure.test: one stream" 1 "$(echo "$conns" | grep -c 'xmpp id=')"
check_text "... ours, SASL EXTERNAL, with bidi" "$conns" "dir=out peer=$E2E_SECURE_IP:5269"
check_text "... authenticated by SASL EXTERNAL, with bidi" "$conns" "auth=sasl-external"
check_text "... bidi negotiated" "$conns" "bidi=yes"
e2e_say carol send alice@sip.test hi alice, on your own stream
if e2e_edge_wait uas "hi alice, on your own stream"; then tap_ok "carol's answer reaches the edge"
else tap_not_ok "carol's answer reaches the edge" "$(sipp_why uas)"; fi
check_eq "still one stream with secure.test: the answer came on ours" \
	"$(echo "$conns" | sed 's/ idle=.*//')" "$(streams secure.test | sed 's/ idle=.*//')"
if grep -q "stream accepted id=[0-9]* dir=in peer=$E2E_SECURE_IP:" "$log"; then
	tap_not_ok "secure.test never connected to us" "$(grep "dir=in peer=$E2E_SECURE_IP:" "$log" | head -3)"
else tap_ok "secure.test never connected to us"; fi
plog=$(prosody_log secure)
check_contains "Prosody's log: we asked for bidi" "$plog" "Requested bidirectional stream"
check_contains "Prosody's log: it routes secure.test -> sip.test over our stream" "$plog" \
	"Setting up to handle route from secure.test to sip.test"

# --- dialback: verification takes Prosody's own connection -----------------
check_eq "alice's MESSAGE to bob@xmpp.test is answered 200" 200 \
	"$(send m2 alice@sip.test bob@xmpp.test 'hello bob, dialback')"
if e2e_wait bob "RECV message from=alice@sip.test type=chat body=hello bob, dialback"
then tap_ok "bob receives it"; else tap_not_ok "bob receives it"; fi
e2e_say bob send alice@sip.test hi alice from bob
if e2e_edge_wait uas "hi alice from bob"; then tap_ok "bob's answer reaches the edge"
else tap_not_ok "bob's answer reaches the edge" "$(sipp_why uas)"; fi
conns=$(streams xmpp.test); echo "$conns" | sed 's/^/# /'
check_text "xmpp.test: our stream, dialback over TLS, bidi" "$(echo "$conns" | grep dir=out)" \
	"tls=TLSv1.3 auth=dialback"
check_eq "every stream with xmpp.test has bidi" "$(echo "$conns" | grep -c 'xmpp id=')" \
	"$(echo "$conns" | grep -c 'bidi=yes')"
check "fedgated is still running" rig_alive fedgated
rig_stop fedgated TERM; rc=$?
check_eq "fedgated stops cleanly (exit 0)" 0 "$rc"
if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$log"; then
	tap_not_ok "no sanitizer report" "$(grep -E -A12 'Sanitizer|runtime error:' "$log" | head -n 40)"
else tap_ok "no sanitizer report"; fi
done_testing
