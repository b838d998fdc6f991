#!/bin/sh
# reload: the daemon's life cycle. Start, status over the control socket,
# SIGHUP with a good change (applied, logged), SIGHUP and "fedgatectl
# reload" with a broken file (refused with FILE:LINE, old config kept, the
# daemon keeps serving), SIGTERM (graceful, exit 0).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/rig.sh"
rig_init reload
rig_certs gw.sip.test edge.sip.test

etc=$RIG_DIR/etc
mkdir -p "$etc"
cat > "$etc/fedgate.conf" <<CONF
[gateway]
hostname = gw.sip.test
state_dir = $RIG_DIR/state
control_socket = $RIG_DIR/ctl.sock
metrics_listen = 127.0.0.2:9269
[sip]
listen = 127.0.0.2:5061
cert = $RIG_DIR/certs/gw.sip.test.pem
key = $RIG_DIR/certs/gw.sip.test.key
ca = $RIG_DIR/certs/ca.pem
peer_subjects = edge.sip.test
[xmpp]
listen = 127.0.0.2:5269
dialback_secret_file = $RIG_DIR/certs/dialback.secret
queue_limit = 1000
CONF
printf 'local sip.test edge=edge.sip.test:5061\nremote xmpp.test\n' > "$etc/domains.conf"
: > "$etc/routes.conf"
: > "$etc/policy.conf"
ctl() { rig_exec "$FEDGATECTL" -s "$RIG_DIR/ctl.sock" "$@"; }

rig_bg fedgated "$FEDGATED" -f -c "$etc/fedgate.conf"
if rig_wait_log fedgated "fedgated 0" 10 && rig_wait_log fedgated "started config=" 10; then
	tap_ok "fedgated starts in the foreground"
else
	tap_not_ok "fedgated starts in the foreground"; done_testing; exit 1
fi

status=$(ctl status)
hash1=$(echo "$status" | sed -n 's/.* hash \([0-9a-f]*\) .*/\1/p')
check_eq "status names the config and its hash" 16 "${#hash1}"

# a good change, by SIGHUP
sed -i 's/^queue_limit = 1000/queue_limit = 50/' "$etc/fedgate.conf"
kill -HUP "$(rig_pid fedgated)"
if rig_wait_log fedgated 'reload: xmpp.queue_limit changed old="1000" new="50"' 10; then
	tap_ok "SIGHUP applies a good change and logs it"
else tap_not_ok "SIGHUP applies a good change and logs it"; fi
rig_wait_log fedgated "reloaded $etc/fedgate.conf: 1 change" 5
hash2=$(ctl status | sed -n 's/.* hash \([0-9a-f]*\) .*/\1/p')
if [ -n "$hash2" ] && [ "$hash2" != "$hash1" ]; then tap_ok "the new config is in force (hash changed)"
else tap_not_ok "the new config is in force (hash changed)" "before $hash1 after $hash2"; fi

# a broken file, by SIGHUP: refused with FILE:LINE, old config kept
printf 'local sip.test edge=edge.sip.test:5061\nlcoal xmpp.test\n' > "$etc/domains.conf"
kill -HUP "$(rig_pid fedgated)"
if rig_wait_log fedgated "config $etc/fedgate.conf has errors, not reloading" 10; then
	tap_ok "SIGHUP with a broken file is refused"
else tap_not_ok "SIGHUP with a broken file is refused"; fi
check_contains "the refusal names FILE:LINE and the error" "$RIG_DIR/fedgated.log" \
	"$etc/domains.conf:2: unknown kind 'lcoal' (did you mean 'local'?)"
check "fedgated keeps running after a refused reload" rig_alive fedgated
hash3=$(ctl status | sed -n 's/.* hash \([0-9a-f]*\) .*/\1/p')
check_eq "the running config is still the last good one" "$hash2" "$hash3"

# the same through fedgatectl
out=$(ctl reload); rc=$?
check_eq "fedgatectl reload of a broken file exits 1" 1 "$rc"
case $out in
*"domains.conf:2: unknown kind 'lcoal'"*) tap_ok "fedgatectl reload prints the error" ;;
*) tap_not_ok "fedgatectl reload prints the error" "$out" ;;
esac
printf 'local sip.test edge=edge.sip.test:5061\nremote xmpp.test\n' > "$etc/domains.conf"
out=$(ctl reload); rc=$?
check_eq "fedgatectl reload of the fixed file succeeds" "0:reloaded: 0 changes" "$rc:$out"

# counters, over the metrics HTTP listener and fedgatectl stats
metrics=$(rig_exec /usr/bin/python3 -c 'import urllib.request,sys; sys.stdout.write(urllib.request.urlopen("http://127.0.0.2:9269/metrics", timeout=5).read().decode())')
case $metrics in
*'fedgate_reloads_total{result="ok"} 2'*'fedgate_reloads_total{result="refused"} 2'*) tap_ok "metrics count 2 reloads and 2 refusals" ;;
*) tap_not_ok "metrics count 2 reloads and 2 refusals" "$metrics" ;;
esac
check_text "fedgatectl stats shows the counters" "$(ctl stats)" 'fedgate_reloads_total{result="ok"} 2'

# graceful stop
rig_stop fedgated TERM; rc=$?
check_eq "SIGTERM stops fedgated with exit 0" 0 "$rc"
check_contains "the stop is logged" "$RIG_DIR/fedgated.log" "info main: stopped"
check "the control socket is removed" test ! -e "$RIG_DIR/ctl.sock"
done_testing
