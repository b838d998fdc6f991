#!/bin/sh
# xmpp-bidi-raw: our outbound stream with XEP-0288 bidi, against a scripted
# partner server (tests/lib/raw_server.py) for what Prosody does not do:
#   - the partner sends its own stanzas to us on OUR stream;
#   - it authenticates another of its domains there by dialback (evil2.test,
#     XEP-0288 §2.2): we verify the key over another connection -- never the
#     one it came on -- and our answers to that domain go back on the
#     first stream;
#   - our keepalive pings are answered on the stream itself (no dead peer);
#   - a stanza from a domain it did not prove there -> invalid-from, and
#     the next stanza gets a new stream.
# The partner's users write to us through tests/lib/raw_peer.py (evil.test,
# SASL EXTERNAL), which makes our test echo open the outbound stream.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/rig.sh"
. "$top_srcdir/tests/lib/xmpp-rig.sh"
xr_init xmpp-bidi-raw "
host-record=evil2.test,127.0.0.7
srv-host=_xmpp-server._tcp.evil2.test,evil.test,5269,10,5"
c=$RIG_DIR/certs
"$top_srcdir/certs/fedgate-certs" leaf "$c" evilsrv.test evil.test evil2.test >/dev/null

key=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
rig_bg evilserver /usr/bin/python3 -u "$top_srcdir/tests/lib/raw_server.py" \
	--listen 127.0.0.7 --domain evil.test --cert "$c/evilsrv.test.pem" \
	--key "$c/evilsrv.test.key" --sasl none --bidi --timeout 90 \
	--then "send <db:result from='evil2.test' to='sip.test'>$key</db:result>" \
	--then "wait to='evil2.test' type='valid'" \
	--then "send <message from='mallory@evil2.test' to='bob@sip.test' type='chat'><body>piggy</body></message>" \
	--then "send <message from='mallory@evil.test' to='bob@sip.test' type='chat'><body>reverse</body></message>" \
	--then "wait echo: reverse" \
	--then "wait echo: piggy" \
	--then "send <message from='eve@evil3.test' to='bob@sip.test' type='chat'><body>spoof</body></message>"
rig_wait_log evilserver "LISTENING" 10 || { tap_not_ok "test server listens"; done_testing; exit 1; }
xr_conf keepalive=2s
xr_start || { tap_not_ok "fedgated listens"; done_testing; exit 1; }
slog=$RIG_DIR/evilserver.log
log=$(xr_log)

write() { # TEXT: mallory@evil.test writes to bob@sip.test over its own stream
	rig_exec /usr/bin/python3 "$top_srcdir/tests/lib/raw_peer.py" --host 127.0.0.2 \
		--bind 127.0.0.8 --to sip.test --domain evil.test --starttls \
		--cert "$c/evil.test.pem" --key "$c/evil.test.key" --sasl-external \
		--send "<message from='mallory@evil.test' to='bob@sip.test' type='chat'><body>$1</body></message>" \
		--linger 1 --timeout 10 >/dev/null 2>&1
}
write start
if rig_wait_log evilserver "echo: start" 20; then tap_ok "our echo opened a stream to the partner"
else tap_not_ok "our echo opened a stream to the partner"; fi
check_contains "we asked for bidi on it" "$slog" "BIDI conn=1"
check_contains "and authenticated by dialback" "$slog" "DBRESULT from=sip.test to=evil.test conn=1"

if rig_wait_log evilserver "STANZA conn=1 <message from='bob@sip.test' to='mallory@evil.test' type='chat'><body>echo: reverse" 20
then tap_ok "the partner's stanza on our stream was taken (echo came back on it)"
else tap_not_ok "the partner's stanza on our stream was taken (echo came back on it)"; fi
check_contains "evil2.test's key was verified over another connection" "$slog" \
	"VERIFY from=sip.test to=evil2.test conn=2"
check_contains "we told the partner evil2.test is valid on our stream" "$slog" \
	"DBANSWER type=valid from=sip.test to=evil2.test conn=1"
check_contains "our log: evil2.test authenticated on the outbound stream" "$log" \
	"peer domain authenticated on outbound stream id=2 peer=127.0.0.7:5269 remote=evil2.test local=sip.test method=dialback tls=TLSv1.3 bidi=yes"
if rig_wait_log evilserver "STANZA conn=1 <message from='bob@sip.test' to='mallory@evil2.test' type='chat'><body>echo: piggy" 20
then tap_ok "the answer to evil2.test went back on the first stream"
else tap_not_ok "the answer to evil2.test went back on the first stream"; fi
if grep -q "STANZA conn=2 .*echo: piggy" "$slog"; then tap_not_ok "... not on the verification stream"
else tap_ok "... not on the verification stream"; fi

if rig_wait_log evilserver "STREAM-ERROR cond=invalid-from conn=1" 20
then tap_ok "a stanza from a domain not proven on our stream -> invalid-from"
else tap_not_ok "a stanza from a domain not proven on our stream -> invalid-from"; fi
write "after the refusal"
if rig_wait_log evilserver "echo: after the refusal" 20; then tap_ok "the next stanza gets a new stream"
else tap_not_ok "the next stanza gets a new stream"; fi
# keepalive = 2s: idle streams with bidi are pinged, the partner answers on them
if rig_wait_log evilserver "PONG conn=" 10; then tap_ok "our pings are answered on the stream itself"
else tap_not_ok "our pings are answered on the stream itself"; fi
_pinged_again() { [ "$(grep -c "PONG conn=" "$slog")" -ge 3 ]; }
wait_for 10 _pinged_again
if grep -q "dead peer" "$log"; then tap_not_ok "no stream was taken for dead" "$(grep "dead peer" "$log")"
else tap_ok "no stream was taken for dead ($(grep -c "PONG conn=" "$slog") pings answered)"; fi
xr_stop
done_testing
