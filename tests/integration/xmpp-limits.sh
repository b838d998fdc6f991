#!/bin/sh
# xmpp-limits: the stream limits, each refusal with its stream error while
# the other streams -- a real Prosody 0.12 peer's among them -- keep working
# (max_streams = 5, max_streams_per_domain = 2):
#   - a third authenticated stream from evil.test -> resource-constraint;
#   - a stream that only CLAIMS evil.test in its header is not counted (an
#     unproven claim must not lock the real partner out);
#   - the sixth stream of all -> resource-constraint at once;
#   - when streams close, evil.test may authenticate again.
# The attacker is tests/lib/raw_peer.py (SASL EXTERNAL with evil.test's
# certificate from the test CA, or no authentication at all).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/rig.sh"
. "$top_srcdir/tests/lib/prosody.sh"
. "$top_srcdir/tests/lib/xmpp-rig.sh"
command -v prosody >/dev/null 2>&1 || tap_skip_all "prosody is not installed"
xr_init xmpp-limits
c=$RIG_DIR/certs

prosody_start xmpp xmpp.test 127.0.0.1 tls
prosody_user xmpp xmpp.test alice secret
prosody_ready xmpp || { tap_not_ok "Prosody runs"; done_testing; exit 1; }
XR_REMOTE_OPTS_xmpp="client_certs=no"
xr_conf max_streams=5 max_streams_per_domain=2
xr_start || { tap_not_ok "fedgated listens"; done_testing; exit 1; }
log=$(xr_log)

round_trip() { # LABEL
	out=$(xr_client --jid alice@xmpp.test --password secret --host 127.0.0.1 \
		--send bob@sip.test "$1" --expect-from bob@sip.test \
		--expect-body "echo: $1" --timeout 30 2>&1)
	check_text "Prosody round trip: $1" "$out" "RESULT ok"
}
prosody_streams() { xr_ctl connections | grep 'remote=xmpp.test' | sed 's/ idle=.*//' | sort; }
auth="--starttls --cert $c/evil.test.pem --key $c/evil.test.key --sasl-external"
peer() { # BIND ARGS...: raw_peer as evil.test from BIND
	b=$1; shift
	rig_exec /usr/bin/python3 "$top_srcdir/tests/lib/raw_peer.py" --host 127.0.0.2 \
		--bind "$b" --to sip.test --domain evil.test "$@" 2>&1
}
hold() { # NAME BIND ARGS...: a stream that stays open
	n=$1 b=$2; shift 2
	rig_bg "$n" /usr/bin/python3 "$top_srcdir/tests/lib/raw_peer.py" --host 127.0.0.2 \
		--bind "$b" --to sip.test --domain evil.test --timeout 40 "$@"
}
count() { xr_ctl connections | grep -c "$1"; }
_count_is() { [ "$(count "$1")" -eq "$2" ]; }

round_trip "before"
before=$(prosody_streams)
check_eq "Prosody has a stream each way" 2 "$(echo "$before" | grep -c 'auth=dialback')"

# --- max_streams_per_domain -------------------------------------------
# shellcheck disable=SC2086
hold holder1 127.0.0.7 $auth
# shellcheck disable=SC2086
hold holder2 127.0.0.7 $auth
if wait_for 10 _count_is "remote=evil.test tls=TLSv1.3 auth=sasl-external" 2
then tap_ok "two authenticated streams from evil.test"
else tap_not_ok "two authenticated streams from evil.test" "$(xr_ctl connections)"; fi
# shellcheck disable=SC2086
out=$(peer 127.0.0.8 $auth --expect-error resource-constraint --timeout 15)
echo "$out" | sed 's/^/# raw peer: /'
check_text "a third one -> resource-constraint" "$out" "RESULT ok"
check_contains "logged with the limit" "$log" \
	"remote=evil.test: more than max_streams_per_domain=2"
hold claimer 127.0.0.9
if wait_for 10 _count_is "peer=127.0.0.9:.*remote=evil.test .*state=open" 1
then tap_ok "a stream that only claims evil.test is not refused (claims do not count)"
else tap_not_ok "a stream that only claims evil.test is not refused" "$(xr_ctl connections)"; fi

# --- max_streams ------------------------------------------------------
if wait_for 10 _count_is "xmpp id=" 5; then tap_ok "five streams are open (max_streams)"
else tap_not_ok "five streams are open (max_streams)" "$(xr_ctl connections)"; fi
out=$(peer 127.0.0.10 --expect-error resource-constraint --timeout 15)
echo "$out" | sed 's/^/# raw peer: /'
check_text "the sixth -> resource-constraint" "$out" "RESULT ok"
check_text "... with the reason" "$out" "too many streams"
check_eq "Prosody's streams are the very same ones" "$before" "$(prosody_streams)"
round_trip "at the limit"

rig_stop holder1; rig_stop holder2; rig_stop claimer
if wait_for 10 _count_is "remote=evil.test" 0; then tap_ok "the held streams are gone"
else tap_not_ok "the held streams are gone" "$(xr_ctl connections)"; fi
# shellcheck disable=SC2086
out=$(peer 127.0.0.8 $auth --linger 1 --timeout 10)
echo "$out" | sed 's/^/# raw peer: /'
check_text "evil.test may authenticate again" "$out" "SUCCESS"
check_text "... and is not refused" "$out" "RESULT ok"
check_eq "refusals counted" 2 \
	"$(xr_ctl stats | sed -n 's/^fedgate_xmpp_refused_total //p')"
xr_stop
done_testing
