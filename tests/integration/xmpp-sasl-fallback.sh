#!/bin/sh
# xmpp-sasl-fallback: SASL EXTERNAL that fails falls back to Server
# Dialback on the same stream (XEP-0178 §4, where the policy allows it),
# in both directions, and the stanza that waited goes through.
# The partner evil.test is two scripted test peers: tests/lib/raw_peer.py
# connects to us and sends messages; tests/lib/raw_server.py is evil.test's
# server (and its authoritative server), which our echo reaches: it offers
# EXTERNAL, refuses it, accepts dialback, answers <db:verify/> as valid, and
# reports the echoes it receives.
#   - outbound: evil.test refuses our EXTERNAL -> we send a dialback key;
#   - inbound: evil.test asks EXTERNAL for an identity its certificate does
#     not prove (authzid xmpp.test) -> <failure><invalid-authzid/>, then it
#     sends a dialback key, which we verify with evil.test's authoritative
#     server, and its message is taken.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/rig.sh"
. "$top_srcdir/tests/lib/xmpp-rig.sh"
xr_init xmpp-sasl-fallback
c=$RIG_DIR/certs

rig_bg evilserver /usr/bin/python3 -u "$top_srcdir/tests/lib/raw_server.py" \
	--listen 127.0.0.7 --domain evil.test --cert "$c/evil.test.pem" \
	--key "$c/evil.test.key" --expect "echo: out-fallback" \
	--expect "echo: in-fallback" --timeout 60
rig_wait_log evilserver "LISTENING" 10 || { tap_not_ok "test server listens"; done_testing; exit 1; }
xr_conf
xr_start || { tap_not_ok "fedgated listens"; done_testing; exit 1; }
slog=$RIG_DIR/evilserver.log
msg() { echo "<message from='mallory@evil.test' to='bob@sip.test' type='chat'><body>$1</body></message>"; }

# --- outbound: the partner refuses our certificate ----------------------
out=$(rig_exec /usr/bin/python3 "$top_srcdir/tests/lib/raw_peer.py" --host 127.0.0.2 \
	--bind 127.0.0.8 --to sip.test --domain evil.test --starttls \
	--cert "$c/evil.test.pem" --key "$c/evil.test.key" --sasl-external \
	--send "$(msg out-fallback)" --timeout 5 2>&1)
echo "$out" | sed 's/^/# raw peer: /'
check_text "evil.test authenticates to us by SASL EXTERNAL" "$out" "SUCCESS"
rig_wait_log evilserver "echo: out-fallback" 30
check_contains "we tried SASL EXTERNAL first" "$slog" "AUTH mechanism=EXTERNAL"
check_contains "after the refusal we sent a dialback key" "$slog" \
	"DBRESULT from=sip.test to=evil.test"
check_contains "and the echo went out on that stream" "$slog" \
	"STANZA conn=1 <message from='bob@sip.test' to='mallory@evil.test' type='chat'><body>echo: out-fallback"
check_contains "the fallback is logged" "$(xr_log)" \
	"SASL EXTERNAL refused by the peer id=2 remote=evil.test: trying dialback"

# --- inbound: we refuse the peer's EXTERNAL -----------------------------
key=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
out=$(rig_exec /usr/bin/python3 "$top_srcdir/tests/lib/raw_peer.py" --host 127.0.0.2 \
	--bind 127.0.0.9 --to sip.test --domain evil.test --starttls \
	--cert "$c/evil.test.pem" --key "$c/evil.test.key" --sasl-external \
	--sasl-authzid xmpp.test --sasl-fallback \
	--send "<db:result from='evil.test' to='sip.test'>$key</db:result>" \
	--wait "type='valid'" --send "$(msg in-fallback)" --linger 2 --timeout 20 2>&1)
echo "$out" | sed 's/^/# raw peer: /'
check_text "EXTERNAL for an identity the certificate does not prove is refused" \
	"$out" "FAILURE invalid-authzid"
check_text "the dialback key that follows on the same stream is accepted" \
	"$out" "SAW type='valid'"
check_text "and the stream goes on without an error" "$out" "RESULT ok"
check_contains "the key was checked with evil.test's authoritative server" "$slog" \
	"VERIFY from=sip.test to=evil.test conn=1"
check_contains "our log: refused by SASL" "$(xr_log)" \
	"remote=evil.test cond=invalid-authzid: not the stream's domain"
check_contains "our log: then authenticated by dialback" "$(xr_log)" \
	"remote=evil.test local=sip.test method=dialback tls=TLSv1.3"
if rig_wait_log evilserver "RESULT ok" 20; then tap_ok "its message was taken: our echo reached evil.test"
else tap_not_ok "its message was taken: our echo reached evil.test" "$(tail -n 5 "$slog")"; fi
xr_stop
done_testing
