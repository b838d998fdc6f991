#!/bin/sh
# route-dns: the routing chain against real DNS. dnsmasq in the test's
# network namespace serves SRV (several priorities and weights, XEP-0368
# _xmpps-server, _sipfederationtls, target "."), A and AAAA records;
# "fedgated --route" prints the policy, every step and the candidates.
# Checked: candidate lists and their order, weighted selection, a static
# route that never falls back to DNS, a missing record, SRV ".", the
# clearinghouse chain reaching the default routing domain, aliases, and a
# DNS server that does not answer (bounded time, clear error).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/rig.sh"
rig_init route-dns

rig_dns "
srv-host=_xmpp-server._tcp.xmpp.test,a.xmpp.test,5269,10,75
srv-host=_xmpp-server._tcp.xmpp.test,b.xmpp.test,5269,10,25
srv-host=_xmpps-server._tcp.xmpp.test,c.xmpp.test,5270,20,0
srv-host=_xmpp-server._tcp.xmpp.test,d.xmpp.test,5269,30,10
host-record=a.xmpp.test,127.0.1.1
host-record=b.xmpp.test,127.0.1.2,fd00::12
host-record=c.xmpp.test,127.0.1.3
host-record=d.xmpp.test,127.0.1.4
host-record=nosrv.test,127.0.2.1,fd00::21
srv-host=_xmpp-server._tcp.dot.test
srv-host=_xmpps-server._tcp.dotls.test
srv-host=_xmpp-server._tcp.dotls.test,x.dotls.test,5269,5,1
host-record=x.dotls.test,127.0.2.2
srv-host=_xmpp-server._tcp.static.test,never.static.test,5269,0,0
host-record=never.static.test,127.0.9.1
host-record=s2.static.test,127.0.4.2
host-record=hosted.test,127.0.9.9
srv-host=_xmpp-server._tcp.aol.test,xmpp.aol.test,5269,0,0
srv-host=_sipfederationtls._tcp.aol.test,sip.aol.test,5061,0,0
host-record=xmpp.aol.test,127.0.3.1
host-record=sip.aol.test,127.0.3.2
srv-host=_sipfederationtls._tcp.sipfed.test,fed1.sipfed.test,5061,10,0
srv-host=_sipfederationtls._tcp.sipfed.test,fed2.sipfed.test,5062,20,0
host-record=fed1.sipfed.test,127.0.5.1
host-record=fed2.sipfed.test,127.0.5.2
host-record=edge.sip.test,127.0.6.1
"
if rig_wait_log dnsmasq "started" 10; then tap_ok "dnsmasq serves the test zone"
else tap_not_ok "dnsmasq serves the test zone"; done_testing; exit 1; fi
# a search list must never be appended to federation names; /etc/hosts counts
echo "search search.test" >> "/etc/netns/$RIG_NS/resolv.conf"
echo "127.0.7.7 hostsfile.test" > "/etc/netns/$RIG_NS/hosts"

etc=$RIG_DIR/etc
mkdir -p "$etc"
for f in gw.pem ca.pem; do echo x > "$etc/$f"; done
for f in gw.key dialback.secret; do echo x > "$etc/$f"; chmod 600 "$etc/$f"; done
cat > "$etc/fedgate.conf" <<CONF
[gateway]
hostname = gw.sip.test
state_dir = $RIG_DIR/state
control_socket = $RIG_DIR/ctl.sock
metrics_listen =
[sip]
cert = gw.pem
key = gw.key
ca = ca.pem
peer_subjects = edge.sip.test
[xmpp]
dialback_secret_file = dialback.secret
[federation]
privacy_mode = allow-list
default_routing_domain = aol.test
CONF
cat > "$etc/domains.conf" <<'CONF'
local   sip.test       edge=edge.sip.test:5061
remote  xmpp.test
remote  nosrv.test
remote  hosted.test    type=clearinghouse
remote  aol.test       type=clearinghouse
remote  sipfed.test    type=sip
alias   aim.test       aol.test
CONF
cat > "$etc/routes.conf" <<'CONF'
xmpp static.test 127.0.4.1:5269
xmpp static.test s2.static.test:5290
CONF
cat > "$etc/policy.conf" <<'CONF'
allow *.partner.test inbound
CONF

out=$RIG_DIR/out
# route DOMAIN [ARGS]: fedgated --route, output in $out, exit status returned
route() {
	rig_exec "$FEDGATED" -c "$etc/fedgate.conf" --route "$@" > "$out" 2>> "$RIG_DIR/stderr.log"
}
# the candidates as host:port/flags, one per line
cands() { sed -n 's/^candidate [0-9]*: host=\([^ ]*\) port=\([0-9]*\) .* flags=\([^ ]*\) .*/\1:\2\/\3/p' "$out"; }
cand_field() { # N FIELD
	sed -n "s/^candidate $1: .* $2=\([^ ]*\).*/\1/p" "$out"
}
joined() { tr '\n' ' ' | sed 's/ $//'; }

# 1. SRV with priorities and weights, _xmpps-server merged (XEP-0368)
route xmpp.test; rc=$?
check_eq "xmpp.test: a route is found (exit 0)" 0 "$rc"
list=$(cands | joined)
first2=$(cands | head -n 2 | sort | joined)
check_eq "xmpp.test: priority 10 first (both weights), in any order" \
	"a.xmpp.test:5269/- b.xmpp.test:5269/-" "$first2"
check_eq "xmpp.test: then priority 20 (_xmpps-server, direct TLS), then 30" \
	"c.xmpp.test:5270/direct-tls d.xmpp.test:5269/-" "$(cands | tail -n 2 | joined)"
check_eq "xmpp.test: tls_name is the domain, not the SRV target" "xmpp.test" "$(cand_field 3 tls_name)"
check_eq "xmpp.test: each candidate has its addresses" "127.0.1.3" "$(cand_field 3 addrs)"
b=$(grep '^candidate .*host=b.xmpp.test' "$out" | sed 's/.* addrs=//')
case $b in
*127.0.1.2*fd00::12*|*fd00::12*127.0.1.2*) tap_ok "b.xmpp.test: both families (A and AAAA)" ;;
*) tap_not_ok "b.xmpp.test: both families (A and AAAA)" "addrs=$b" ;;
esac
check_contains "the trace names both SRV queries" "$out" "step srv: _xmpps-server._tcp.xmpp.test: 1 record"
check_contains "the trace names both SRV queries (xmpp-server)" "$out" "step srv: _xmpp-server._tcp.xmpp.test: 3 records"
check_contains "policy: a remote is allowed in allow-list mode" "$out" \
	"policy outbound: allowed (domains.conf:2: remote xmpp.test (allowed automatically in allow-list mode))"

# 2. weighted random within a priority (RFC 2782): 75/25 over 60 lookups
afirst=0; runs=60; i=0
while [ $i -lt $runs ]; do
	route xmpp.test
	[ "$(cands | head -n 1)" = "a.xmpp.test:5269/-" ] && afirst=$((afirst + 1))
	i=$((i + 1))
done
if [ "$afirst" -ge 30 ] && [ "$afirst" -lt "$runs" ]; then
	tap_ok "weight 75 comes first most of the time, weight 25 sometimes ($afirst/$runs)"
else tap_not_ok "weight 75 comes first most of the time, weight 25 sometimes" "a first $afirst/$runs"; fi

# 3. no SRV: A/AAAA of the domain on 5269 (or 5061 on the SIP side)
route nosrv.test
check_eq "nosrv.test: the host step, port 5269" "nosrv.test:5269/-" "$(cands | joined)"
check_eq "nosrv.test: step host" "host" "$(cand_field 1 step)"
case $(cand_field 1 addrs) in
*127.0.2.1*fd00::21*|*fd00::21*127.0.2.1*) tap_ok "nosrv.test: A and AAAA" ;;
*) tap_not_ok "nosrv.test: A and AAAA" "$(cat "$out")" ;;
esac

# 4. a missing domain: clear error, exit 1
route missing.test; rc=$?
check_eq "missing.test: exit 1" 1 "$rc"
check_contains "missing.test: says what is missing" "$out" \
	"result: not-found: missing.test has no SRV record and no A/AAAA record"
check_contains "missing.test: policy denies an unknown domain in allow-list mode" "$out" \
	"policy outbound: denied (privacy_mode = allow-list: missing.test is not allowed"
if grep -q "search.test" "$RIG_DIR/dnsmasq.log"; then
	tap_not_ok "no search domain is appended" "$(grep search.test "$RIG_DIR/dnsmasq.log")"
else tap_ok "no search domain is appended"; fi
route hostsfile.test
check_eq "/etc/hosts answers A/AAAA" "hostsfile.test:5269/- 127.0.7.7" \
	"$(cands | joined) $(cand_field 1 addrs)"

# 5. SRV target "." : no service, no fallback
route dot.test; rc=$?
check_eq "dot.test: exit 1" 1 "$rc"
check_contains "dot.test: SRV \".\" means no service" "$out" \
	"result: no-service: _xmpp-server._tcp.dot.test has SRV target \".\": dot.test offers no xmpp federation service"
route dotls.test
check_eq "dotls.test: _xmpps-server \".\" = no direct TLS, _xmpp-server used" \
	"x.dotls.test:5269/-" "$(cands | joined)"

# 6. a static route never falls back to DNS (static.test also has an SRV)
route static.test
check_eq "static.test: only the static addresses" \
	"127.0.4.1:5269/- s2.static.test:5290/-" "$(cands | sort | joined)"
if grep -q "step srv" "$out"; then tap_not_ok "static.test: no SRV query" "$(cat "$out")"
else tap_ok "static.test: no SRV query"; fi
check_eq "static.test: the static name resolves" "127.0.4.2" \
	"$(grep 'host=s2.static.test' "$out" | sed 's/.* addrs=//')"

# 7. the clearinghouse chain reaches the default routing domain
route hosted.test
check_eq "hosted.test: routed to the default routing domain's SRV" \
	"xmpp.aol.test:5269/-" "$(cands | joined)"
check_eq "hosted.test: step default-srv" "default-srv" "$(cand_field 1 step)"
check_eq "hosted.test: the clearinghouse's name is verified" "aol.test" "$(cand_field 1 tls_name)"
check_contains "hosted.test: its own A record is not used" "$out" \
	"step host: skipped: hosted.test is type=clearinghouse"
route hosted.test --side sip
check_eq "hosted.test (sip): _sipfederationtls of the default routing domain" \
	"sip.aol.test:5061/-" "$(cands | joined)"
check_eq "hosted.test (sip): tls_name is the next-hop host" "sip.aol.test" "$(cand_field 1 tls_name)"

# 8. aliases are rewritten first
route aim.test
check_contains "aim.test: rewritten to aol.test" "$out" "step alias: domains.conf:7: aim.test -> aol.test"
check_eq "aim.test: aol.test's own SRV" "xmpp.aol.test:5269/-" "$(cands | joined)"
check_eq "aim.test: step srv (aol.test is not its own default)" "srv" "$(cand_field 1 step)"

# 9. the SIP side: _sipfederationtls with priorities; a local domain's edge
route sipfed.test
check_eq "sipfed.test: _sipfederationtls in priority order" \
	"fed1.sipfed.test:5061/- fed2.sipfed.test:5062/-" "$(cands | joined)"
route sip.test
check_eq "sip.test (local): its edge" "edge.sip.test:5061/-" "$(cands | joined)"
check_eq "sip.test (local): step edge, resolved" "edge 127.0.6.1" \
	"$(cand_field 1 step) $(cand_field 1 addrs)"

# 10. a DNS server that does not answer: bounded time, clear error
_udp_bound() { rig_exec ss -Hlun "sport = :53" | grep -qF 127.0.0.54:53; }
rig_bg blackhole socat -u UDP-RECV:53,bind=127.0.0.54 /dev/null
check "a silent DNS server listens on 127.0.0.54" wait_for 5 _udp_bound
sed 's/^metrics_listen =$/metrics_listen =\ndns_servers = 127.0.0.54/' "$etc/fedgate.conf" > "$etc/dead.conf"
start=$(date +%s)
rig_exec "$FEDGATED" -c "$etc/dead.conf" --route xmpp.test > "$out" 2>> "$RIG_DIR/stderr.log"; rc=$?
took=$(( $(date +%s) - start ))
check_eq "silent DNS server: exit 1" 1 "$rc"
check_contains "silent DNS server: says DNS did not answer" "$out" \
	"result: timeout: DNS did not answer the SRV query for xmpp.test in time"
check_contains "silent DNS server: the step says how long it waited" "$out" \
	"no answer from the DNS server within 6 s (2 tries)"
if [ "$took" -le 12 ]; then tap_ok "silent DNS server: bounded time (${took}s)"
else tap_not_ok "silent DNS server: bounded time" "took ${took}s"; fi
done_testing
