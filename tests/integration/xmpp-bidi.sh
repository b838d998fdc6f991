#!/bin/sh
# xmpp-bidi: XEP-0288 bidirectional streams with Prosody 0.12 and its
# mod_s2s_bidi (shipped, not loaded by default: PROSODY_MODULES loads it).
# A Prosody user writes to us first, so Prosody opens the stream and asks
# for bidi on it; our echo must go back on that same stream.
#   - xmpp.test, s2s_secure_auth (SASL EXTERNAL): ONE TCP connection carries
#     both directions -- fedgatectl connections, our log and Prosody's log;
#   - other.test, Prosody's default policy (dialback over TLS): verifying
#     the key takes a second connection (XEP-0288 forbids verifying on the
#     stream the key came on), but the stanzas of both directions travel
#     on Prosody's stream;
#   - keepalive = 2s: Prosody's bidi stream carries our stanzas, so it is
#     pinged (dead-peer detection), and Prosody answers on it;
#   - refusals: <bidi/> where it was not offered (before TLS under
#     tls-required, and after "bidi = no" is reloaded) -> unsupported-feature.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/rig.sh"
. "$top_srcdir/tests/lib/prosody.sh"
. "$top_srcdir/tests/lib/xmpp-rig.sh"
command -v prosody >/dev/null 2>&1 || tap_skip_all "prosody is not installed"
xr_init xmpp-bidi

PROSODY_MODULES=s2s_bidi
prosody_start xmpp xmpp.test 127.0.0.1 secure
prosody_start other other.test 127.0.0.3 tls
prosody_user xmpp xmpp.test alice secret
prosody_user other other.test alice secret
for p in xmpp other; do
	prosody_ready $p || { tap_not_ok "Prosody $p runs"; done_testing; exit 1; }
done
XR_REMOTE_OPTS_other="client_certs=no"
xr_conf keepalive=2s
xr_start || { tap_not_ok "fedgated listens"; done_testing; exit 1; }
log=$(xr_log)

round_trip() { # JID HOST TEXT
	out=$(xr_client --jid "$1" --password secret --host "$2" \
		--send bob@sip.test "$3" --expect-from bob@sip.test \
		--expect-body "echo: $3" --timeout 30 2>&1)
	echo "$out" | sed 's/^/# client: /'
	check_text "$1 writes to us, our echo reaches her: $3" "$out" "RESULT ok"
}
streams() { xr_ctl connections | grep "remote=$1"; }

# --- SASL EXTERNAL: one connection ------------------------------------
round_trip alice@xmpp.test 127.0.0.1 "one connection"
conns=$(streams xmpp.test); echo "$conns" | sed 's/^/# /'
check_eq "xmpp.test: exactly one stream" 1 "$(echo "$conns" | grep -c 'xmpp id=')"
check_text "... the one Prosody opened, SASL EXTERNAL, with bidi" "$conns" \
	"dir=in peer=127.0.0.1"
check_text "... authenticated by SASL EXTERNAL" "$conns" "auth=sasl-external"
check_text "... with bidi" "$conns" "state=ready bidi=yes"
in_id=$(echo "$conns" | sed -n 's/^xmpp id=\([0-9]*\) dir=in .*/\1/p')
check_text "our log: Prosody's stream authenticated with bidi" \
	"$(grep "inbound stream authenticated id=$in_id " "$log")" \
	"remote=xmpp.test local=sip.test method=sasl-external tls=TLSv1.3 bidi=yes"
check_contains "our log: that stream may carry our stanzas" "$log" \
	"bidirectional stream id=$in_id can carry stanzas local=sip.test remote=xmpp.test"
check_contains "our log: the echo went on it" "$log" \
	"stanzas local=sip.test remote=xmpp.test go on stream id=$in_id (bidirectional)"
if grep -q "dir=out .*remote=xmpp.test" "$log"; then
	tap_not_ok "no outbound stream to xmpp.test was ever made" "$(grep "dir=out .*remote=xmpp.test" "$log" | head -3)"
else tap_ok "no outbound stream to xmpp.test was ever made"; fi
plog=$(prosody_log xmpp)
check_contains "Prosody's log: it asked for bidi" "$plog" "Requesting bidirectional stream"
if grep -q "Incoming s2s connection" "$plog"; then tap_not_ok "Prosody never had an incoming s2s connection"
else tap_ok "Prosody never had an incoming s2s connection"; fi
round_trip alice@xmpp.test 127.0.0.1 "again"
check_eq "still the same single stream" "$(echo "$conns" | sed 's/ idle=.*//')" \
	"$(streams xmpp.test | sed 's/ idle=.*//')"

# --- dialback: the key is verified elsewhere, stanzas stay on one stream -
round_trip alice@other.test 127.0.0.3 "dialback"
conns=$(streams other.test); echo "$conns" | sed 's/^/# /'
oin=$(echo "$conns" | sed -n 's/^xmpp id=\([0-9]*\) dir=in .*/\1/p')
check_text "other.test: Prosody's stream, dialback over TLS, bidi" \
	"$(echo "$conns" | grep dir=in)" "tls=TLSv1.3 auth=dialback"
check_text "... with bidi" "$(echo "$conns" | grep dir=in)" "bidi=yes"
check_text "our stream (it carried the verification) asked for bidi too" \
	"$(echo "$conns" | grep dir=out)" "auth=dialback"
check_contains "our echo went on Prosody's stream" "$log" \
	"stanzas local=sip.test remote=other.test go on stream id=$oin (bidirectional)"
check_contains "Prosody granted bidi on our stream" "$(prosody_log other)" \
	"Requested bidirectional stream"

# --- keepalive on a peer's bidi stream ----------------------------------
_pinged() { [ "$(grep -c "ping sent id=$in_id remote=xmpp.test" "$log")" -ge 2 ]; }
if wait_for 10 _pinged; then tap_ok "Prosody's bidi stream is pinged when idle"
else tap_not_ok "Prosody's bidi stream is pinged when idle"; fi
if grep -q "dead peer" "$log"; then tap_not_ok "Prosody answers: no stream taken for dead" "$(grep "dead peer" "$log")"
else tap_ok "Prosody answers: no stream taken for dead"; fi
check_eq "the bidi stream is still the only one with xmpp.test" 1 "$(streams xmpp.test | grep -c 'xmpp id=')"

# --- refusals -----------------------------------------------------------
raw() { # DESCRIPTION COND ARGS...
	desc=$1 cond=$2; shift 2
	out=$(rig_exec /usr/bin/python3 "$top_srcdir/tests/lib/raw_peer.py" --host 127.0.0.2 \
		--bind 127.0.0.7 --to sip.test --domain evil.test --expect-error "$cond" \
		--timeout 15 "$@" 2>&1)
	echo "$out" | sed 's/^/# raw peer: /'
	check_text "$desc -> $cond" "$out" "RESULT ok"
}
raw "<bidi/> before TLS under tls-required (not offered there)" unsupported-feature \
	--send "<bidi xmlns='urn:xmpp:bidi'/>"
sed -i 's/^connect_timeout = 5s$/&\nbidi = no/' "$RIG_DIR/etc/fedgate.conf"
kill -HUP "$(rig_pid fedgated)"
if rig_wait_log fedgated 'reload: xmpp.bidi changed old="yes" new="no"' 10
then tap_ok "reload: bidi = no"; else tap_not_ok "reload: bidi = no"; fi
raw "<bidi/> after TLS once bidi = no" unsupported-feature --starttls \
	--send "<bidi xmlns='urn:xmpp:bidi'/>"
round_trip alice@xmpp.test 127.0.0.1 "after reload"
check_eq "the open bidi stream goes on carrying both directions" 1 \
	"$(streams xmpp.test | grep -c 'bidi=yes')"
xr_stop
done_testing
