#!/bin/sh
# xmpp-prosody-plain: fedgate against Prosody 0.12 without TLS
# (s2s_require_encryption = false, no certificates): plain Server
# Dialback, first with fedgate in security = no-tls, then, after a restart,
# in security = tls-optional (fedgate offers STARTTLS, Prosody does not
# take it, both fall back to dialback over plain TCP). Both directions each
# time, through the test echo.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/rig.sh"
. "$top_srcdir/tests/lib/prosody.sh"
. "$top_srcdir/tests/lib/xmpp-rig.sh"
command -v prosody >/dev/null 2>&1 || tap_skip_all "prosody is not installed"
xr_init xmpp-prosody-plain

prosody_start xmpp xmpp.test 127.0.0.1 plain
prosody_user xmpp xmpp.test alice secret
if prosody_ready xmpp; then tap_ok "Prosody (plain dialback) runs"
else tap_not_ok "Prosody (plain dialback) runs"; done_testing; exit 1; fi

# round_trip MODE: a message from alice, its echo back; both streams plain dialback
round_trip() {
	out=$(xr_client --jid alice@xmpp.test --password secret --host 127.0.0.1 \
		--send bob@sip.test "plain $1" --expect-from bob@sip.test \
		--expect-body "echo: plain $1" --timeout 30 2>&1)
	echo "$out" | sed 's/^/# client: /'
	check_text "$1: a Prosody user's message reaches us and our echo reaches her" \
		"$out" "RESULT ok"
	conns=$(xr_ctl connections)
	echo "$conns" | sed 's/^/# /'
	check_text "$1: outbound stream is plain dialback" "$conns" \
		"dir=out peer=127.0.0.1:5269 local=sip.test remote=xmpp.test tls=none auth=dialback"
	check_text "$1: inbound stream is plain dialback" "$conns" \
		"local=sip.test remote=xmpp.test tls=none auth=dialback idle="
}

xr_conf security=no-tls require_client_certs=no
if xr_start; then tap_ok "fedgated listens (no-tls)"
else tap_not_ok "fedgated listens (no-tls)"; done_testing; exit 1; fi
round_trip no-tls
check_contains "no-tls: STARTTLS was not offered" "$(xr_log)" \
	"remote=xmpp.test starttls=no sasl-external=no dialback=yes"
if grep -q "wait-features -> starttls" "$(xr_log)"; then
	tap_not_ok "no-tls: STARTTLS was not attempted"
else tap_ok "no-tls: STARTTLS was not attempted"; fi
xr_stop

mv "$RIG_DIR/fedgated.log" "$RIG_DIR/fedgated-no-tls.log"
xr_conf security=tls-optional require_client_certs=no
if xr_start; then tap_ok "fedgated listens (tls-optional)"
else tap_not_ok "fedgated listens (tls-optional)"; done_testing; exit 1; fi
round_trip tls-optional
check_contains "tls-optional: we offered STARTTLS to Prosody (it declined)" "$(xr_log)" \
	"remote=xmpp.test starttls=optional sasl-external=no dialback=yes"
xr_stop
done_testing
