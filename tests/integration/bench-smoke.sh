#!/bin/sh
# bench-smoke: CI's short smoke of the load tool (bench/fgbench), not a
# benchmark. 1) fgbench alone: SIP source -> SIP sink and XMPP source ->
# XMPP sink over TLS on loopback, a couple of seconds at a low rate, with
# SASL EXTERNAL and with dialback: zero loss, every MESSAGE answered 200,
# subscriptions active. 2) It can fail: a wrong dialback secret and a
# certificate from another CA are refused, with the reason. 3) Through
# fedgated (needs root and a daemon with both sides, else SKIP): 2 s at
# 500 msg/s each way, zero loss.
. "$top_srcdir/tests/lib/tap.sh"
FGBENCH=${FGBENCH:-$top_builddir/bench/fgbench}
fc=$top_srcdir/certs/fedgate-certs

work=$(mktemp -d /tmp/fg-bench-smoke-XXXXXX)
trap 'rm -rf "$work"' EXIT
"$fc" ca "$work/c" >/dev/null && "$fc" leaf "$work/c" edge.sip.test >/dev/null &&
	"$fc" leaf "$work/c" xmpp.test >/dev/null &&
	"$fc" ca "$work/other" >/dev/null && "$fc" leaf "$work/other" edge.sip.test >/dev/null ||
	{ echo "Bail out! cannot make test certificates"; exit 1; }
printf 'one secret\n' > "$work/a.secret"
printf 'another secret\n' > "$work/b.secret"

field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n1; }

# check_run DESC LINE: a summary line that passed with zero loss
check_run() {
	if [ -n "$2" ] && [ "$(field "$2" result)" = pass ] && [ "$(field "$2" lost)" = 0 ] &&
	    [ "$(field "$2" errors)" = 0 ] && [ "$(field "$2" sent)" = "$(field "$2" delivered)" ] &&
	    [ "$(field "$2" sent)" -gt 0 ]; then
		tap_ok "$1"
	else
		tap_not_ok "$1" "${2:-no summary line}"
	fi
}

# 1. alone, SASL EXTERNAL, with subscriptions
out=$("$FGBENCH" selftest --certs "$work/c" --rate 1000 --secs 2 --warmup 0.5 \
	--subs 200 --timeout 10 2>&1); rc=$?
check_eq "selftest exits 0" 0 "$rc"
sip=$(printf '%s\n' "$out" | grep '^dir=selftest-sip ')
check_run "SIP source -> SIP sink: 2500 MESSAGEs, zero loss" "$sip"
check_eq "every MESSAGE answered 200" "200:$(field "$sip" sent)" "$(field "$sip" codes)"
check_eq "2 s at 1000/s + 0.5 s warm-up = 2500 sent" 2500 "$(field "$sip" sent)"
check_run "XMPP source -> XMPP sink: zero loss" "$(printf '%s\n' "$out" | grep '^dir=selftest-xmpp ')"
check_text "the XMPP source authenticated by SASL EXTERNAL" "$out" "authenticated by sasl-external"
subs=$(printf '%s\n' "$out" | grep '^dir=subs ')
check_eq "200 subscriptions active" "200:pass" "$(field "$subs" active):$(field "$subs" result)"

# 1b. dialback, with a shared secret file
out=$("$FGBENCH" selftest --certs "$work/c" --rate 1000 --secs 1 --warmup 0 --subs 0 \
	--xmpp-auth dialback --own-secret "$work/a.secret" --dialback-secret "$work/a.secret" 2>&1)
check_run "XMPP by dialback: zero loss" "$(printf '%s\n' "$out" | grep '^dir=selftest-xmpp ')"
check_text "the XMPP source authenticated by dialback" "$out" "authenticated by dialback"

# 2. it can fail: a key made with another secret, a certificate of another CA
out=$("$FGBENCH" selftest --certs "$work/c" --rate 100 --secs 1 --warmup 0 --subs 0 \
	--xmpp-auth dialback --own-secret "$work/a.secret" --dialback-secret "$work/b.secret" 2>&1); rc=$?
check_eq "a wrong dialback key fails the run" 1 "$rc"
check_text "... and says why" "$out" "dialback key of xmpp.test for sip.test is invalid"
out=$("$FGBENCH" selftest --certs "$work/c" --edge-cert "$work/other/edge.sip.test.pem" \
	--edge-key "$work/other/edge.sip.test.key" --rate 100 --secs 1 --warmup 0 --subs 0 \
	--timeout 3 2>&1); rc=$?
check_eq "a certificate from another CA fails the run" 1 "$rc"
check_text "... at the TLS handshake" "$out" "TLS handshake with the SIP listener failed"

rm -rf "$work"		# before rig_init, whose EXIT trap replaces ours
trap - EXIT

# 3. through fedgated
gateway_part() {
	. "$top_srcdir/tests/lib/rig.sh"
	. "$top_srcdir/bench/lib.sh"
	skip() { echo "ok $((TAP_N + 1)) # SKIP $1"; TAP_N=$((TAP_N + 1)); }
	if [ "$(id -u)" -ne 0 ]; then skip "through fedgated: needs root"; return; fi
	rig_init bench-smoke
	if ! bench_rig_setup || ! bench_gateway_start; then
		tap_not_ok "the benchmark rig comes up" "$(tail -n 5 "$RIG_DIR/fedgated.log" 2>/dev/null)"
		return
	fi
	if ! why=$(bench_gateway_sides); then skip "through fedgated: $why"; return; fi
	if ! bench_gateway_listening; then
		tap_not_ok "fedgated listens on SIP and XMPP"; return
	fi
	for dir in sip2xmpp xmpp2sip; do
		line=$(bench_fgbench $dir --rate 500 --secs 2 --warmup 0 --timeout 15 2>&1 |
			grep "^dir=$dir ")
		check_run "$dir through fedgated: 2 s at 500/s, zero loss" "$line"
	done
}
gateway_part
done_testing
