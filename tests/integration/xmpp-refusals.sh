#!/bin/sh
# xmpp-refusals: what fedgate refuses on its s2s listener, each with the
# right stream error, while a real peer (Prosody 0.12, default policy:
# dialback over TLS) keeps its streams and keeps working beside the
# attacker. The attacker is tests/lib/raw_peer.py on 127.0.0.7:
#   - a peer that fails dialback (claims xmpp.test with a made-up key;
#     Prosody, the authoritative server, says invalid)  -> not-authorized
#   - a spoofed 'from' on an authenticated stream          -> invalid-from
#   - a stanza to a domain we do not serve                 -> host-unknown
#   - a stanza before authentication                       -> not-authorized
#   - a stanza over max_stanza_size                        -> policy-violation
#   - a DOCTYPE                                            -> restricted-xml
#   - plaintext dialback under security = tls-required     -> policy-violation
#   - a third stream from one address (max_streams_per_ip) -> resource-constraint
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/rig.sh"
. "$top_srcdir/tests/lib/prosody.sh"
. "$top_srcdir/tests/lib/xmpp-rig.sh"
command -v prosody >/dev/null 2>&1 || tap_skip_all "prosody is not installed"
xr_init xmpp-refusals

prosody_start xmpp xmpp.test 127.0.0.1 tls
prosody_user xmpp xmpp.test alice secret
prosody_ready xmpp || { tap_not_ok "Prosody runs"; done_testing; exit 1; }
xr_conf security=tls-required require_client_certs=no max_stanza_size=4k \
	max_streams_per_ip=2
xr_start || { tap_not_ok "fedgated listens"; done_testing; exit 1; }

round_trip() { # LABEL
	out=$(xr_client --jid alice@xmpp.test --password secret --host 127.0.0.1 \
		--send bob@sip.test "$1" --expect-from bob@sip.test \
		--expect-body "echo: $1" --timeout 30 2>&1)
	check_text "Prosody round trip: $1" "$out" "RESULT ok"
}
prosody_streams() { xr_ctl connections | grep 'remote=xmpp.test' | grep -v 'peer=127.0.0.7' | sed 's/ idle=.*//' | sort; }

round_trip "before the attacks"
before=$(prosody_streams)
echo "$before" | sed 's/^/# prosody streams: /'
check_eq "Prosody has one stream each way" 2 "$(echo "$before" | grep -c 'state=ready\|auth=dialback')"

c=$RIG_DIR/certs
attack() { # DESCRIPTION EXPECTED-COND RAW-PEER-ARGS...
	desc=$1 cond=$2; shift 2
	out=$(rig_exec /usr/bin/python3 "$top_srcdir/tests/lib/raw_peer.py" --host 127.0.0.2 \
		--bind 127.0.0.7 --to sip.test --expect-error "$cond" --timeout 20 "$@" 2>&1)
	echo "$out" | sed 's/^/# raw peer: /'
	check_text "$desc -> stream error $cond" "$out" "RESULT ok"
}

key=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
attack "a peer that fails dialback (claims xmpp.test)" not-authorized \
	--domain xmpp.test --starttls \
	--send "<db:result from='xmpp.test' to='sip.test'>$key</db:result>"
check_text "it was told its key is invalid first" "$out" "DBRESULT type=invalid"
check_contains "the failure is logged" "$(xr_log)" \
	"key rejected by the authoritative server"

auth="--domain evil.test --starttls --cert $c/evil.test.pem --key $c/evil.test.key --sasl-external"
# shellcheck disable=SC2086
attack "a spoofed from on an authenticated stream" invalid-from $auth \
	--send "<message from='mallory@xmpp.test' to='bob@sip.test' type='chat'><body>spoof</body></message>"
# shellcheck disable=SC2086
attack "a stanza to a domain we do not serve" host-unknown $auth \
	--send "<message from='mallory@evil.test' to='bob@elsewhere.test' type='chat'><body>x</body></message>"
big=$(head -c 5000 /dev/zero | tr '\0' 'a')
# shellcheck disable=SC2086
attack "a stanza over max_stanza_size (4k)" policy-violation $auth \
	--send "<message from='mallory@evil.test' to='bob@sip.test' type='chat'><body>$big</body></message>"
attack "a stanza before authentication" not-authorized \
	--domain evil.test --starttls \
	--send "<message from='mallory@evil.test' to='bob@sip.test' type='chat'><body>x</body></message>"
attack "a DOCTYPE" restricted-xml --domain evil.test \
	--prelude "<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e 'boom'>]>"
attack "plaintext dialback under tls-required" policy-violation --domain evil.test \
	--send "<db:result from='evil.test' to='sip.test'>$key</db:result>"

# two idle connections from 127.0.0.7 stay open; the third is one too many
for h in 1 2; do
	rig_bg "holder$h" /usr/bin/python3 "$top_srcdir/tests/lib/raw_peer.py" \
		--host 127.0.0.2 --bind 127.0.0.7 --to sip.test --domain evil.test --timeout 12
done
_two_held() { [ "$(xr_ctl connections | grep -c 'peer=127.0.0.7')" -eq 2 ]; }
if wait_for 10 _two_held; then tap_ok "two streams from 127.0.0.7 are open"
else tap_not_ok "two streams from 127.0.0.7 are open"; fi
attack "a third stream from the same address" resource-constraint --domain evil.test
rig_stop holder1; rig_stop holder2

check "fedgated is still running" rig_alive fedgated
after=$(prosody_streams)
check_eq "Prosody's streams are the very same ones" "$before" "$after"
round_trip "after the attacks"
refused=$(xr_ctl stats | grep 'fedgate_xmpp_stream_errors_total{direction="sent"}')
check_text "stats count the stream errors sent" "$refused" " 8"
xr_stop
done_testing
