#!/bin/sh
# xmpp-prosody-direct-tls: XEP-0368 both ways with Prosody 0.12 (secure
# mode, test CA). fedgate listens for direct TLS on [xmpp] listen_tls and
# publishes _xmpps-server._tcp.sip.test; Prosody does the same on 5270.
# Their SRV records come first (priority 0 against 10), so each side
# connects with TLS from the first byte (no STARTTLS) and
# authenticates with SASL EXTERNAL.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/rig.sh"
. "$top_srcdir/tests/lib/prosody.sh"
. "$top_srcdir/tests/lib/xmpp-rig.sh"
command -v prosody >/dev/null 2>&1 || tap_skip_all "prosody is not installed"
xr_init xmpp-prosody-direct-tls "
srv-host=_xmpps-server._tcp.sip.test,gw.sip.test,5270,0,5
srv-host=_xmpps-server._tcp.xmpp.test,xmpp.test,5270,0,5"

prosody_start xmpp xmpp.test 127.0.0.1 secure "s2s_direct_tls_ports = { 5270 }"
prosody_user xmpp xmpp.test alice secret
prosody_ready xmpp || { tap_not_ok "Prosody runs"; done_testing; exit 1; }
xr_conf listen_tls=127.0.0.2:5270
if xr_start && rig_wait_log fedgated "listening on 127.0.0.2:5270 (direct TLS, XEP-0368)" 5
then tap_ok "fedgated listens for STARTTLS and for direct TLS"
else tap_not_ok "fedgated listens for direct TLS"; done_testing; exit 1; fi

out=$(xr_client --jid alice@xmpp.test --password secret --host 127.0.0.1 \
	--send bob@sip.test "hello direct" --expect-from bob@sip.test \
	--expect-body "echo: hello direct" --timeout 30 2>&1)
echo "$out" | sed 's/^/# client: /'
check_text "a Prosody user's message reaches us and our echo reaches her" "$out" "RESULT ok"
log=$(xr_log)
check_contains "Prosody connected to our direct TLS port" "$log" "dir=in peer=127.0.0.1" 
check_contains "the inbound stream was direct TLS" "$log" "direct-tls"
check_contains "our outbound stream used direct TLS to port 5270" "$log" \
	"stream connected id=2 dir=out peer=127.0.0.1:5270 local=sip.test remote=xmpp.test direct-tls"
if grep -q "starttls ->\|-> starttls" "$log"; then tap_not_ok "no STARTTLS was needed"
else tap_ok "no STARTTLS was needed"; fi
conns=$(xr_ctl connections)
echo "$conns" | sed 's/^/# /'
check_text "outbound: TLS and SASL EXTERNAL" "$conns" \
	"dir=out peer=127.0.0.1:5270 local=sip.test remote=xmpp.test tls=TLSv1.3 auth=sasl-external"
xr_stop
done_testing
