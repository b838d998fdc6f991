#!/bin/sh
# xmpp-prosody-tls: fedgate against Prosody 0.12 with Prosody's default s2s
# policy (encryption required, certificates not required): STARTTLS both
# ways, then Server Dialback over TLS, since neither side trusts the
# other's certificate (Prosody's is self-signed; fedgate runs with
# require_client_certs = no). A Prosody user writes to us; the test echo
# answers over our own outbound stream, so both directions are proven.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/rig.sh"
. "$top_srcdir/tests/lib/prosody.sh"
. "$top_srcdir/tests/lib/xmpp-rig.sh"
command -v prosody >/dev/null 2>&1 || tap_skip_all "prosody is not installed"
xr_init xmpp-prosody-tls

prosody_start xmpp xmpp.test 127.0.0.1 tls
prosody_user xmpp xmpp.test alice secret
if prosody_ready xmpp; then tap_ok "Prosody (default s2s policy) runs"
else tap_not_ok "Prosody (default s2s policy) runs"; done_testing; exit 1; fi

xr_conf security=tls-required require_client_certs=no
if xr_start; then tap_ok "fedgated listens (tls-required, dialback)"
else tap_not_ok "fedgated listens"; done_testing; exit 1; fi

out=$(xr_client --jid alice@xmpp.test --password secret --host 127.0.0.1 \
	--send bob@sip.test "hello over tls" --expect-from bob@sip.test \
	--expect-body "echo: hello over tls" --timeout 30 2>&1)
echo "$out" | sed 's/^/# client: /'
check_text "a Prosody user's message reaches us and our echo reaches her" "$out" "RESULT ok"

log=$(xr_log)
check_contains "inbound stream: dialback over TLS" "$log" "method=dialback tls=TLSv1.3"
check_contains "outbound stream: dialback over TLS" "$log" "outbound stream authenticated"
conns=$(xr_ctl connections)
echo "$conns" | sed 's/^/# /'
check_text "connections lists the inbound stream with TLS and dialback" "$conns" \
	"dir=in peer=127.0.0.1"
check_text "connections lists the outbound stream" "$conns" \
	"dir=out peer=127.0.0.1:5269 local=sip.test remote=xmpp.test tls=TLSv1.3 auth=dialback"

# a second message on the established streams
out=$(xr_client --jid alice@xmpp.test --password secret --host 127.0.0.1 \
	--send bob@sip.test "second" --expect-body "echo: second" --timeout 15 2>&1)
check_text "a second round trip uses the established streams" "$out" "RESULT ok"
check_eq "still exactly one outbound stream" 1 \
	"$(xr_ctl connections | grep -c 'dir=out')"
status=$(xr_ctl status)
check_text "status: the XMPP side is Active" "$status" "xmpp: Active"
xr_stop
done_testing
