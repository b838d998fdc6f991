#!/bin/sh
# xmpp-lifecycle: streams over time, with Prosody 0.12 in plain mode.
#   - per-partner override: fedgate requires TLS globally, but domains.conf
#     says "remote xmpp.test security=no-tls client_certs=no": plain dialback
#     works with that partner while a plaintext attempt from another domain
#     is still refused (policy-violation);
#   - no test echo: a message to a SIP user whose edge cannot be reached
#     (there is none in this test) comes back as remote-server-not-found,
#     never dropped; a XEP-0199 ping is answered;
#   - reload (SIGHUP) with a changed setting keeps the open streams;
#   - idle_timeout: idle streams are closed politely, and the next message
#     opens new ones.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/rig.sh"
. "$top_srcdir/tests/lib/prosody.sh"
. "$top_srcdir/tests/lib/xmpp-rig.sh"
command -v prosody >/dev/null 2>&1 || tap_skip_all "prosody is not installed"
xr_init xmpp-lifecycle

prosody_start xmpp xmpp.test 127.0.0.1 plain
prosody_user xmpp xmpp.test alice secret
prosody_ready xmpp || { tap_not_ok "Prosody runs"; done_testing; exit 1; }
XR_REMOTE_OPTS_xmpp="security=no-tls client_certs=no"
xr_conf security=tls-required idle_timeout=10s keepalive=2s
XR_ECHO=0 xr_start || { tap_not_ok "fedgated listens"; done_testing; exit 1; }

unanswered() { # LABEL
	out=$(xr_client --jid alice@xmpp.test --password secret --host 127.0.0.1 \
		--send bob@sip.test "$1" --expect-from bob@sip.test \
		--expect-error remote-server-not-found --timeout 30 2>&1)
	echo "$out" | sed 's/^/# client: /'
	check_text "$1: a message the edge cannot take comes back as remote-server-not-found" \
		"$out" "RESULT ok"
}
streams() { xr_ctl connections | grep 'remote=xmpp.test' | sed 's/ idle=.*//' | sort; }

unanswered "first"
conns=$(streams)
echo "$conns" | sed 's/^/# /'
check_text "per-partner security=no-tls: plain dialback inbound" \
	"$(echo "$conns" | grep dir=in)" "tls=none auth=dialback"
check_text "per-partner security=no-tls: plain dialback outbound" \
	"$(echo "$conns" | grep dir=out)" "tls=none auth=dialback"
key=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
out=$(rig_exec /usr/bin/python3 "$top_srcdir/tests/lib/raw_peer.py" --host 127.0.0.2 \
	--bind 127.0.0.7 --to sip.test --domain evil.test --expect-error policy-violation \
	--send "<db:result from='evil.test' to='sip.test'>$key</db:result>" 2>&1)
check_text "other domains still need TLS (plaintext -> policy-violation)" "$out" "RESULT ok"
out=$(xr_client --jid alice@xmpp.test --password secret --host 127.0.0.1 \
	--ping sip.test --timeout 20 2>&1)
echo "$out" | sed 's/^/# client: /'
check_text "a XEP-0199 ping to our domain is answered" "$out" "RESULT ok"

before=$(streams)
sed -i 's/^keepalive = 2s$/keepalive = 3s/' "$RIG_DIR/etc/fedgate.conf"
kill -HUP "$(rig_pid fedgated)"
if rig_wait_log fedgated 'reload: xmpp.keepalive changed old="2s" new="3s"' 10
then tap_ok "SIGHUP applies a changed XMPP setting"
else tap_not_ok "SIGHUP applies a changed XMPP setting"; fi
check_eq "the open streams survive the reload" "$before" "$(streams)"
unanswered "after reload"
check_eq "and carry the next message" "$before" "$(streams)"

_idle_closed() { grep -qE "stream closed id=[0-9]+ dir=$1 .*remote=xmpp.test .*reason=\"idle\"" "$(xr_log)"; }
if wait_for 30 _idle_closed out; then tap_ok "the idle outbound stream is closed after idle_timeout"
else tap_not_ok "the idle outbound stream is closed after idle_timeout"; fi
if wait_for 5 _idle_closed in; then tap_ok "the idle inbound stream is closed after idle_timeout"
else tap_not_ok "the idle inbound stream is closed after idle_timeout"; fi
_no_streams() { [ -z "$(streams)" ]; }
if wait_for 15 _no_streams; then tap_ok "no stream is left open"
else tap_not_ok "no stream is left open" "$(streams)"; fi
unanswered "after idle close"
now=$(streams); echo "$now" | sed "s/^/# /"
check_eq "new streams were opened for it" 2 "$(echo "$now" | grep -c "auth=dialback")"
xr_stop
done_testing
