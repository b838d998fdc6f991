# tap.sh: TAP output for shell tests (sourced). Every check is one line:
#   ok N - description      /   not ok N - description
# The plan is printed at the end (done_testing), so a script that dies
# half-way is an error for the harness, never a silent pass.

TAP_N=0
TAP_FAILED=0

tap_ok() { # DESCRIPTION
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1"
}

tap_not_ok() { # DESCRIPTION [DETAILS...]
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $1"
	shift
	for line in "$@"; do printf '%s\n' "$line" | sed 's/^/#   /'; done
}

# check DESCRIPTION COMMAND...: ok when COMMAND exits 0
check() {
	desc=$1; shift
	if "$@" >/dev/null 2>&1; then tap_ok "$desc"; else tap_not_ok "$desc" "command failed: $*"; fi
}

# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then tap_ok "$1"; else tap_not_ok "$1" "expected: $2" "actual:   $3"; fi
}

# check_contains DESCRIPTION FILE FIXED-STRING
check_contains() {
	if grep -qF -- "$3" "$2" 2>/dev/null; then tap_ok "$1"
	else tap_not_ok "$1" "'$3' not found in $2" "last lines:" "$(tail -n 5 "$2" 2>/dev/null)"; fi
}

# check_text DESCRIPTION TEXT FIXED-STRING: TEXT contains FIXED-STRING
check_text() {
	case $2 in
	*"$3"*) tap_ok "$1" ;;
	*) tap_not_ok "$1" "'$3' not in:" "$2" ;;
	esac
}

# wait_for TIMEOUT_S COMMAND...: poll COMMAND every 50 ms until it succeeds
# or TIMEOUT_S seconds pass. Returns COMMAND's last status.
wait_for() {
	limit=$1; shift
	end=$(( $(date +%s%N) / 1000000 + limit * 1000 ))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ $(( $(date +%s%N) / 1000000 )) -ge "$end" ] && return 1
		sleep 0.05
	done
}

tap_skip_all() { # REASON
	echo "1..0 # SKIP $1"
	exit 0
}

done_testing() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}
