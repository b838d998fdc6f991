#!/bin/sh
# xmpp-prosody-secure: fedgate against Prosody 0.12 with s2s_secure_auth =
# true and the test CA on both sides: STARTTLS, then SASL EXTERNAL
# (XEP-0178) both ways -- each side proves its domain with its
# certificate, no dialback. fedgate runs with its defaults (tls-required,
# require_client_certs = yes). A Prosody user writes to us, the test echo
# answers over our outbound stream.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/rig.sh"
. "$top_srcdir/tests/lib/prosody.sh"
. "$top_srcdir/tests/lib/xmpp-rig.sh"
command -v prosody >/dev/null 2>&1 || tap_skip_all "prosody is not installed"
xr_init xmpp-prosody-secure

prosody_start xmpp xmpp.test 127.0.0.1 secure
prosody_user xmpp xmpp.test alice secret
if prosody_ready xmpp; then tap_ok "Prosody (s2s_secure_auth) runs"
else tap_not_ok "Prosody (s2s_secure_auth) runs"; done_testing; exit 1; fi

xr_conf
if xr_start; then tap_ok "fedgated listens (defaults: tls-required, client certificates required)"
else tap_not_ok "fedgated listens"; done_testing; exit 1; fi

out=$(xr_client --jid alice@xmpp.test --password secret --host 127.0.0.1 \
	--send bob@sip.test "hello with certificates" --expect-from bob@sip.test \
	--expect-body "echo: hello with certificates" --timeout 30 2>&1)
echo "$out" | sed 's/^/# client: /'
check_text "a Prosody user's message reaches us and our echo reaches her" "$out" "RESULT ok"

log=$(xr_log)
check_contains "inbound: Prosody authenticated by SASL EXTERNAL" "$log" \
	"inbound stream authenticated id=1 peer=127.0.0.1"
check_contains "inbound method is sasl-external" "$log" "remote=xmpp.test local=sip.test method=sasl-external"
check_contains "outbound: we authenticated by SASL EXTERNAL" "$log" \
	"local=sip.test remote=xmpp.test method=sasl-external tls=TLSv1.3"
if grep -q "method=dialback" "$log"; then tap_not_ok "no dialback was needed"
else tap_ok "no dialback was needed"; fi
conns=$(xr_ctl connections)
echo "$conns" | sed 's/^/# /'
check_text "connections: outbound stream with TLS and SASL EXTERNAL" "$conns" \
	"dir=out peer=127.0.0.1:5269 local=sip.test remote=xmpp.test tls=TLSv1.3 auth=sasl-external"
check_text "connections: inbound stream with TLS and SASL EXTERNAL" "$conns" \
	"local=sip.test remote=xmpp.test tls=TLSv1.3 auth=sasl-external"
check_contains "Prosody accepted our certificate" "$(prosody_log xmpp)" \
	"Accepting SASL EXTERNAL identity from sip.test"
xr_stop
done_testing
