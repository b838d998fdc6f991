#!/bin/sh
# xmpp-ejabberd: fedgate (security = tls-optional) against ejabberd 23.01
# with STARTTLS optional and Server Dialback (mod_s2s_dialback). Neither
# side trusts the other's certificate (ejabberd's is self-signed, ours is
# from a CA it does not know), so both directions are dialback over TLS.
# An ejabberd user writes to us, the test echo answers over our outbound
# stream.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/rig.sh"
. "$top_srcdir/tests/lib/ejabberd.sh"
. "$top_srcdir/tests/lib/xmpp-rig.sh"
command -v ejabberdctl >/dev/null 2>&1 || tap_skip_all "ejabberd is not installed"
xr_init xmpp-ejabberd

ejabberd_start ej.test 127.0.0.6
if ejabberd_ready 127.0.0.6 90; then tap_ok "ejabberd 23.01 runs"
else tap_not_ok "ejabberd 23.01 runs"; done_testing; exit 1; fi
if ejabberd_user carol ej.test secret; then tap_ok "ejabberd user registered"
else tap_not_ok "ejabberd user registered"; fi

xr_conf security=tls-optional require_client_certs=no
xr_start || { tap_not_ok "fedgated listens"; done_testing; exit 1; }

out=$(xr_client --jid carol@ej.test --password secret --host 127.0.0.6 \
	--send bob@sip.test "hello from ejabberd" --expect-from bob@sip.test \
	--expect-body "echo: hello from ejabberd" --timeout 40 2>&1)
echo "$out" | sed 's/^/# client: /'
check_text "an ejabberd user's message reaches us and our echo reaches him" "$out" "RESULT ok"
conns=$(xr_ctl connections)
echo "$conns" | sed 's/^/# /'
check_text "inbound stream from ejabberd: TLS and dialback" \
	"$(echo "$conns" | grep 'dir=in')" "remote=ej.test tls=TLSv1.3 auth=dialback"
check_text "outbound stream to ejabberd: TLS and dialback" "$conns" \
	"dir=out peer=127.0.0.6:5269 local=sip.test remote=ej.test tls=TLSv1.3 auth=dialback"
out=$(xr_client --jid carol@ej.test --password secret --host 127.0.0.6 \
	--send bob@sip.test "again" --expect-body "echo: again" --timeout 20 2>&1)
check_text "a second round trip" "$out" "RESULT ok"
xr_stop
done_testing
