#!/bin/sh
# xmpp-dead-peer: dead-peer detection (keepalive = 2s, dead_peer_timeout =
# 2s, connect_timeout = 2s). A peer that stops answering while its kernel
# still acknowledges our bytes (TCP alone never notices) is declared dead
# within keepalive + dead_peer_timeout, by an unanswered XEP-0199 ping:
#   - a scripted partner server (tests/lib/raw_server.py, evil.test) that
#     authenticated us and then hangs, not reading, not accepting: our stream
#     is declared dead in time; a stanza for it meanwhile bounces with
#     remote-server-timeout (the new connection is accepted by the kernel but
#     never answered); once the server serves again, a new stream is made;
#   - a real Prosody 0.12 paused with kill -STOP: its stream is declared
#     dead in time; after kill -CONT the next message gets a new stream.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/rig.sh"
. "$top_srcdir/tests/lib/prosody.sh"
. "$top_srcdir/tests/lib/xmpp-rig.sh"
command -v prosody >/dev/null 2>&1 || tap_skip_all "prosody is not installed"
xr_init xmpp-dead-peer
c=$RIG_DIR/certs
HANG=15
BOUND_MS=5500	# keepalive + dead_peer_timeout + 1.5 s of slack (a busy machine)

rig_bg evilserver /usr/bin/python3 -u "$top_srcdir/tests/lib/raw_server.py" \
	--listen 127.0.0.7 --domain evil.test --cert "$c/evil.test.pem" \
	--key "$c/evil.test.key" --sasl none --bidi --hang-after-stanza $HANG \
	--expect "echo: third" --timeout 90
prosody_start xmpp xmpp.test 127.0.0.1 tls
prosody_user xmpp xmpp.test alice secret
prosody_ready xmpp || { tap_not_ok "Prosody runs"; done_testing; exit 1; }
rig_wait_log evilserver "LISTENING" 10 || { tap_not_ok "test server listens"; done_testing; exit 1; }
XR_REMOTE_OPTS_xmpp="client_certs=no"
xr_conf keepalive=2s dead_peer_timeout=2s
sed -i 's/^connect_timeout = 5s$/connect_timeout = 2s/' "$RIG_DIR/etc/fedgate.conf"
xr_start || { tap_not_ok "fedgated listens"; done_testing; exit 1; }
slog=$RIG_DIR/evilserver.log
log=$(xr_log)
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

write() { # TEXT: mallory@evil.test writes to bob@sip.test; our echo answers
	rig_exec /usr/bin/python3 "$top_srcdir/tests/lib/raw_peer.py" --host 127.0.0.2 \
		--bind 127.0.0.8 --to sip.test --domain evil.test --starttls \
		--cert "$c/evil.test.pem" --key "$c/evil.test.key" --sasl-external \
		--send "<message from='mallory@evil.test' to='bob@sip.test' type='chat'><body>$1</body></message>" \
		--linger 1 --timeout 10 >/dev/null 2>&1
}
_dead() { grep -qE "dead peer id=[0-9]+ dir=out .*remote=$1:" "$log"; }
out_ids() { sed -n "s/.*outbound stream authenticated id=\([0-9]*\) .*remote=$1 .*/\1/p" "$log" | tr '\n' ' '; }
dead_in_time() { # DOMAIN WHAT: since now, our stream to DOMAIN is declared dead within the bound
	t0=$(now_ms)
	if wait_for 10 _dead "$1"; then
		dt=$(( $(now_ms) - t0 ))
		if [ "$dt" -le $BOUND_MS ]; then tap_ok "$2: declared dead after ${dt}ms (bound ${BOUND_MS}ms)"
		else tap_not_ok "$2: declared dead within ${BOUND_MS}ms" "took ${dt}ms"; fi
	else tap_not_ok "$2: declared dead"; fi
}

# --- a partner server that hangs -------------------------------------------
write first
if rig_wait_log evilserver "HANG conn=1" 20; then tap_ok "our echo reached the partner, which hangs now"
else tap_not_ok "our echo reached the partner, which hangs now"; done_testing; exit 1; fi
dead_in_time evil.test "the hung partner"
check_contains "the stream ends with the reason" "$log" \
	'remote=evil.test auth=dialback stanzas_in=0 stanzas_out=1 reason="dead peer: no answer to a ping for 2000ms"'
write second
if rig_wait_log fedgated "stanza bounced with remote-server-timeout" 15
then tap_ok "a stanza for the hung partner bounces with remote-server-timeout"
else tap_not_ok "a stanza for the hung partner bounces with remote-server-timeout" \
	"$(grep "remote=evil.test" "$log" | tail -n 5)"; fi
check_eq "counted as bounced" 1 \
	"$(xr_ctl stats | sed -n 's/^fedgate_xmpp_outbound_total{result="bounced"} //p')"
if rig_wait_log evilserver "RESUME conn=1" $((HANG + 5)); then tap_ok "the partner serves again"
else tap_not_ok "the partner serves again"; fi
write third
if rig_wait_log evilserver "RESULT ok" 20; then tap_ok "the next stanza gets a new stream"
else tap_not_ok "the next stanza gets a new stream" "$(tail -n 5 "$slog")"; fi
check_eq "two outbound streams were authenticated with evil.test" 2 \
	"$(out_ids evil.test | wc -w)"

# --- a real Prosody, paused ----------------------------------------------
round_trip() { # TEXT
	out=$(xr_client --jid alice@xmpp.test --password secret --host 127.0.0.1 \
		--send bob@sip.test "$1" --expect-from bob@sip.test \
		--expect-body "echo: $1" --timeout 30 2>&1)
	echo "$out" | sed 's/^/# client: /'
	check_text "alice writes, our echo reaches her: $1" "$out" "RESULT ok"
}
round_trip "before the pause"
_pinged() { [ "$(grep -cE "ping sent id=[0-9]+ remote=xmpp.test" "$log")" -ge 2 ]; }
if wait_for 10 _pinged && ! _dead xmpp.test; then tap_ok "pinged while alive, never taken for dead"
else tap_not_ok "pinged while alive, never taken for dead"; fi
first=$(out_ids xmpp.test)
kill -STOP "$(rig_pid xmpp)"
dead_in_time xmpp.test "Prosody paused with kill -STOP"
kill -CONT "$(rig_pid xmpp)"
round_trip "after the pause"
dead_id=$(sed -n 's/.*dead peer id=\([0-9]*\) dir=out .*remote=xmpp.test:.*/\1/p' "$log")
check_eq "the stream declared dead was our outbound stream to Prosody" "$first" "$dead_id "
check_eq "after the pause the echo needed a new outbound stream" 2 \
	"$(out_ids xmpp.test | wc -w)"
check_eq "dead peers counted" 2 \
	"$(xr_ctl stats | sed -n 's/^fedgate_xmpp_dead_peers_total //p')"
xr_stop
done_testing
