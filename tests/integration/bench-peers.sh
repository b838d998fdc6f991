#!/bin/sh
# bench-peers: fgbench speaks SIP and XMPP the way real implementations
# expect, not only to itself. In a network namespace:
#  - Prosody 0.12 plays sip.test (where fedgated would be). fgbench's XMPP
#    source authenticates to it by SASL EXTERNAL and by dialback (Prosody
#    then asks fgbench's sink, the authoritative server, with db:verify);
#    Prosody's own stream to the sink authenticates by SASL EXTERNAL; the
#    message to a user that does not exist comes back as an error stanza
#    and is counted as one. A Prosody user subscribes to p0@xmpp.test and
#    gets fgbench's subscribed + available presence.
#  - SIPp (through socat TLS: Debian's SIPp has no TLS) sends MESSAGEs to
#    fgbench's edge sink, which answers each 200; fgbench's edge source
#    parses SIPp's 200s.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/rig.sh"
. "$top_srcdir/bench/lib.sh"
rig_init bench-peers
for tool in prosody prosodyctl sipp socat; do
	command -v $tool >/dev/null 2>&1 || tap_skip_all "$tool is not installed"
done
bench_certs || { echo "Bail out! cannot make certificates"; exit 1; }
bench_dns
C=$RIG_DIR/certs
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n1; }
fgb() { # MODE ARGS: fgbench as xmpp.test and edge.sip.test, gateway = the peer
	_m=$1; shift
	rig_exec "$FGBENCH" "$_m" --certs "$C" --own-secret "$C/bench.secret" \
		--gw-sip 127.0.0.2:5061 --gw-xmpp 127.0.0.2:5269 \
		--xmpp-listen 127.0.0.3:5269 --edge-listen 127.0.0.4:5061 "$@"
}

# ---- Prosody as sip.test ----------------------------------------------------
P=$RIG_DIR/prosody
mkdir -p "$P/data"
cat > "$P/prosody.cfg.lua" <<CFG
run_as_root = true
pidfile = "$P/prosody.pid"
data_path = "$P/data"
log = { { levels = { min = "debug" }, to = "file", filename = "$P/prosody.log" } }
interfaces = { "127.0.0.2" }
c2s_ports = { 5222 }
s2s_ports = { 5269 }
c2s_direct_tls_ports = { }
s2s_direct_tls_ports = { }
use_ipv6 = false
network_settings = { nagle = false }
unbound = { options = { ["local-zone"] = "test. transparent" } }
modules_enabled = { "roster"; "saslauth"; "tls"; "dialback"; "disco"; "ping" }
authentication = "internal_hashed"
storage = "internal"
s2s_timeout = 30
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
s2s_require_encryption = true
s2s_secure_auth = false
ssl = { cafile = "$C/ca.pem" }
VirtualHost "sip.test"
  ssl = { certificate = "$C/gw.sip.test.pem"; key = "$C/gw.sip.test.key"; cafile = "$C/ca.pem" }
CFG
rig_bg prosody prosody -F --config "$P/prosody.cfg.lua"
if rig_wait_port 127.0.0.2 5269 15; then tap_ok "Prosody listens as sip.test"
else tap_not_ok "Prosody listens as sip.test"; done_testing; exit 1; fi
rig_exec prosodyctl --config "$P/prosody.cfg.lua" register w0 sip.test secret >/dev/null 2>&1

for auth in external dialback; do
	out=$(fgb xmpp2sip --xmpp-auth $auth --rate 10 --secs 1 --warmup 0 --timeout 15 2>/dev/null)
	rep=$(printf '%s\n' "$out" | grep '^# xmpp:')
	check_eq "XMPP source -> Prosody by $auth" \
		"$( [ $auth = external ] && echo sasl-external || echo dialback)" \
		"$(field "$rep" source_auth)"
	check_text "the message to a user Prosody lacks is counted as a bounce ($auth)" \
		"$out" "came back as an error stanza (service-unavailable)"
	check_eq "Prosody's stream to the XMPP sink: SASL EXTERNAL ($auth)" 1 "$(field "$rep" sasl_ok)"
	[ $auth = dialback ] && check_eq "Prosody checked the key with one db:verify, answered by the sink" \
		1 "$(field "$rep" db_verify)"
done

# presence: a Prosody user subscribes to p0@xmpp.test; fgbench serve answers
rig_bg serve "$FGBENCH" serve --certs "$C" --own-secret "$C/bench.secret" \
	--gw-xmpp 127.0.0.2:5269 --xmpp-listen 127.0.0.3:5269 \
	--edge-listen 127.0.0.4:5061 --secs 60
rig_wait_port 127.0.0.3 5269 10
cat > "$RIG_DIR/client.py" <<'PY'
import asyncio, sys, slixmpp
class Client(slixmpp.ClientXMPP):
    def __init__(self):
        super().__init__("w0@sip.test", "secret")
        self.got = set()
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("presence", self.on_presence)
    def on_presence(self, p):
        if p["from"].bare != "p0@xmpp.test":
            return
        self.got.add("subscribed" if p["type"] == "subscribed" else
                     "available" if p["type"] == "available" else p["type"])
        if {"subscribed", "available"} <= self.got:
            self.disconnect()
    async def start(self, ev):
        await self.get_roster()
        self.send_presence()
        self.send_presence(pto="p0@xmpp.test", ptype="subscribe")
        await asyncio.sleep(15)     # the bound; disconnects earlier on success
        self.disconnect()
c = Client()
c.connect(("127.0.0.2", 5222), disable_starttls=True)
c.process(forever=False)
print(" ".join(sorted(c.got)))
PY
got=$(rig_exec /usr/bin/python3 "$RIG_DIR/client.py" 2>/dev/null)
check_eq "a subscription to p0@xmpp.test is approved and p0 is available" \
	"available subscribed" "$got"
rig_stop serve
check_contains "the XMPP sink saw the subscribe" "$RIG_DIR/serve.log" " subscribe=1 "

# ---- SIPp through socat ---------------------------------------------------------
cat > "$RIG_DIR/uac.xml" <<'XML'
<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="MESSAGE to the edge sink">
  <send><![CDATA[
MESSAGE sip:user[call_number]@sip.test SIP/2.0
Via: SIP/2.0/TLS [local_ip]:[local_port];branch=[branch]
From: <sip:sipp@xmpp.test>;tag=[pid]SIPpTag00[call_number]
To: <sip:user[call_number]@sip.test>
Call-ID: [call_id]
CSeq: 1 MESSAGE
Max-Forwards: 70
Content-Type: text/plain
Content-Length: [len]

hello [call_number]
]]></send>
  <recv response="200"/>
</scenario>
XML
cat > "$RIG_DIR/uas.xml" <<'XML'
<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="200 to every MESSAGE">
  <recv request="MESSAGE"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
</scenario>
XML
rig_bg serve "$FGBENCH" serve --certs "$C" --xmpp-listen 127.0.0.3:5269 \
	--edge-listen 127.0.0.4:5061 --secs 60
rig_wait_port 127.0.0.4 5061 10
# socat: the gateway's side of the TLS link (its certificate, checks the edge's name)
rig_bg socat-out socat TCP-LISTEN:5070,bind=127.0.0.5,fork,reuseaddr \
	"OPENSSL:127.0.0.4:5061,cert=$C/gw.sip.test.pem,key=$C/gw.sip.test.key,cafile=$C/ca.pem,commonname=edge.sip.test"
rig_wait_port 127.0.0.5 5070 10
(cd "$RIG_DIR" && rig_exec timeout 60 sipp -sf uac.xml -t t1 127.0.0.5:5070 -i 127.0.0.7 \
	-m 500 -r 250 -timeout 30s -nostdin >/dev/null 2>&1); rc=$?
check_eq "SIPp: 500 MESSAGEs to the edge sink, each answered 200 (sipp exit 0)" 0 "$rc"
rig_stop serve
check_contains "the edge sink counted them" "$RIG_DIR/serve.log" "MESSAGE=500 "

rig_bg sipp-uas sipp -sf "$RIG_DIR/uas.xml" -t t1 -i 127.0.0.6 -p 5060 -nostdin
rig_wait_port 127.0.0.6 5060 10
rig_bg socat-in socat \
	"OPENSSL-LISTEN:5061,bind=127.0.0.2,fork,reuseaddr,cert=$C/gw.sip.test.pem,key=$C/gw.sip.test.key,cafile=$C/ca.pem,verify=1" \
	TCP:127.0.0.6:5060
rig_wait_port 127.0.0.2 5061 10
out=$(fgb sip2xmpp --rate 10 --secs 1 --warmup 0 --timeout 5 2>/dev/null)
check_text "the edge source reads SIPp's 200 (and knows SIPp is no gateway)" "$out" \
	"MESSAGE answered 200 but nothing reached the XMPP sink within 5 s"
done_testing
