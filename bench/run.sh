#!/bin/sh
# bench/run.sh: the fedgate benchmark (docs/performance.md).
#
#   bench/run.sh [-b BUILD_DIR] [-o RESULTS_FILE] [-q]
#
# In a network namespace of its own (tests/lib/rig.sh; needs root): test CA
# and certificates, dnsmasq with the records, a fedgated config (sip.test
# local with edge=edge.sip.test:5061, xmpp.test remote, edge_dialect =
# standard, log_level = warn, a dialback secret shared with fgbench), then
# BUILD_DIR/fedgated -f. fgbench plays the SIP edge and the XMPP server of
# xmpp.test, and measures, per direction:
#   1. the sustained MESSAGE/s at zero loss (--search: 2,000/s steps, then
#      bisection), with CPU s per 1,000 messages and RSS of fedgated;
#   2. p50/p99 latency through the gateway at half that rate;
#   then the RSS of 10,000 live presence subscriptions.
# Every line is printed and appended to RESULTS_FILE (default
# BUILD_DIR/bench-results.txt). -q: a quick run (short windows, fewer
# subscriptions) to check the set-up, not to publish.
#
# Environment: BENCH_SECS (window of each search trial, default 5),
# BENCH_START (first rate tried, default 2000), BENCH_STEP (default 2000),
# BENCH_SUBS (default 10000), BENCH_LOG_LEVEL (fedgated, default warn),
# RIG_KEEP=1 keeps the rig's logs.
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=$top_srcdir/build
out=
quick=0
while getopts b:o:qh opt; do
	case $opt in
	b) top_builddir=$(cd "$OPTARG" && pwd) || exit 2 ;;
	o) out=$OPTARG ;;
	q) quick=1 ;;
	h) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) exit 2 ;;
	esac
done
export top_srcdir top_builddir
[ -n "$out" ] || out=$top_builddir/bench-results.txt

. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/rig.sh"
. "$top_srcdir/bench/lib.sh"

die() { echo "bench/run.sh: $*" >&2; echo "# FAILED: $*" >> "$out"; exit 1; }
say() { printf '%s\n' "$*" | tee -a "$out"; }

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
[ -x "$FGBENCH" ] || die "$FGBENCH is missing: build first (make -C $top_builddir)"
[ -x "$FEDGATED" ] || die "$FEDGATED is missing: build first"

secs=${BENCH_SECS:-5}
start=${BENCH_START:-2000}
step=${BENCH_STEP:-2000}
subs=${BENCH_SUBS:-10000}
lat_secs=10
if [ "$quick" = 1 ]; then
	secs=2; lat_secs=3; subs=${BENCH_SUBS:-1000}
fi

rig_init bench
bench_rig_setup || die "set-up failed"
bench_gateway_start || die "fedgated did not come up"
gwpid=$(rig_pid fedgated)

{
	echo "# fedgate benchmark $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "# commit $(git -C "$top_srcdir" describe --always --dirty 2>/dev/null || echo '?')"
	echo "# host nproc=$(nproc) cpu=\"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)\" kernel=$(uname -r)"
	echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# fedgated pid $gwpid, log_level ${BENCH_LOG_LEVEL:-warn}; search windows ${secs} s, latency window ${lat_secs} s"
} | tee -a "$out"

if ! why=$(bench_gateway_sides); then
	die "$why: nothing to measure yet"
fi
bench_gateway_listening || die "fedgated's listeners did not come up"

failed=0
# one direction: search the sustained rate, then latency at half of it
direction() { # DIR
	dir=$1
	log=$RIG_DIR/fgbench-$dir.out
	bench_fgbench "$dir" --search --start "$start" --step "$step" \
		--secs "$secs" --warmup 2 --timeout 30 > "$log" 2>&1
	grep -E '^(trial|sustained|#|dir=)' "$log" | tee -a "$out"
	line=$(grep '^sustained ' "$log")
	rate=$(bench_field "$line" offered)
	if [ -z "$line" ] || [ "$(bench_field "$line" result)" != pass ]; then
		reason=$(sed -n 's/.*reason="\(.*\)"$/\1/p' "$log" | tail -n1)
		say "# $dir: no sustained rate: ${reason:-see $log}"
		failed=1
		return
	fi
	half=$(( ${rate%.*} / 2 ))
	bench_fgbench "$dir" --rate "$half" --secs "$lat_secs" --warmup 2 \
		--timeout 30 > "$log.lat" 2>&1
	sed -n 's/^dir=/latency dir=/p; /^#/p' "$log.lat" | tee -a "$out"
	grep -q 'result=pass' "$log.lat" || failed=1
}

direction sip2xmpp
direction xmpp2sip
log=$RIG_DIR/fgbench-subs.out
bench_fgbench subs --subs "$subs" --timeout 60 > "$log" 2>&1
sed -n 's/^dir=/subscriptions dir=/p; /^#/p' "$log" | tee -a "$out"
grep -q 'result=pass' "$log" || failed=1

say "# summary"
for dir in sip2xmpp xmpp2sip; do
	s=$(grep "^sustained dir=$dir " "$out" | tail -n1)
	l=$(grep "^latency dir=$dir " "$out" | tail -n1)
	say "# $dir: sustained $(bench_field "$s" offered)/s at zero loss," \
	    "cpu_s_per_1000=$(bench_field "$s" cpu_s_per_1000)" \
	    "rss_mb=$(bench_field "$s" rss_mb);" \
	    "at $(bench_field "$l" offered)/s p50_ms=$(bench_field "$l" p50_ms)" \
	    "p99_ms=$(bench_field "$l" p99_ms)"
done
s=$(grep '^subscriptions dir=subs' "$out" | tail -n1)
say "# subscriptions: $(bench_field "$s" active) active, rss_mb=$(bench_field "$s" rss_mb) (idle $(bench_field "$s" idle_rss_mb))"
say "# results in $out"
exit $failed
