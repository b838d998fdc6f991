#!/bin/sh
# xmpp-sasl-fallback: when a partner refuses our SASL EXTERNAL, fedgate
# falls back to Server Dialback on the same stream (XEP-0178 §4, where the
# policy allows dialback) and the stanza that waited goes out.
# The partner evil.test is two scripted test peers: tests/lib/raw_peer.py
# connects to us (SASL EXTERNAL with a certificate from the test CA) and
# sends a message; tests/lib/raw_server.py is evil.test's server, which
# our echo reaches: it offers EXTERNAL, refuses it, accepts dialback, and
# reports the echo it receives.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/rig.sh"
. "$top_srcdir/tests/lib/xmpp-rig.sh"
xr_init xmpp-sasl-fallback
c=$RIG_DIR/certs

rig_bg evilserver /usr/bin/python3 "$top_srcdir/tests/lib/raw_server.py" \
	--listen 127.0.0.7 --domain evil.test --cert "$c/evil.test.pem" \
	--key "$c/evil.test.key" --expect "echo: fallback" --timeout 40
rig_wait_log evilserver "LISTENING" 10 || { tap_not_ok "test server listens"; done_testing; exit 1; }
xr_conf
xr_start || { tap_not_ok "fedgated listens"; done_testing; exit 1; }

out=$(rig_exec /usr/bin/python3 "$top_srcdir/tests/lib/raw_peer.py" --host 127.0.0.2 \
	--bind 127.0.0.8 --to sip.test --domain evil.test --starttls \
	--cert "$c/evil.test.pem" --key "$c/evil.test.key" --sasl-external \
	--send "<message from='mallory@evil.test' to='bob@sip.test' type='chat'><body>fallback</body></message>" \
	--timeout 5 2>&1)
echo "$out" | sed 's/^/# raw peer: /'
check_text "evil.test authenticates to us by SASL EXTERNAL" "$out" "SUCCESS"

if rig_wait_log evilserver "RESULT" 30; then :; fi
sed 's/^/# evil.test server: /' "$RIG_DIR/evilserver.log"
check_contains "we tried SASL EXTERNAL first" "$RIG_DIR/evilserver.log" "AUTH mechanism=EXTERNAL"
check_contains "after the refusal we sent a dialback key" "$RIG_DIR/evilserver.log" \
	"DBRESULT from=sip.test to=evil.test"
check_contains "and the echo went out on that stream" "$RIG_DIR/evilserver.log" "RESULT ok"
check_contains "the fallback is logged" "$(xr_log)" \
	"SASL EXTERNAL refused by the peer id=2 remote=evil.test: trying dialback"
xr_stop
done_testing
