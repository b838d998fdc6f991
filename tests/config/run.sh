#!/bin/sh
# tests/config: the config files, through the real fedgated binary.
#  1. every etc/ sample passes "fedgated -n" (with certificates made here);
#  2. golden files: "fedgated -n -v" of each tests/config/ok/NAME/ equals
#     ok/NAME/expected (the normalised config);
#  3. broken configs (tests/config/broken.cases): each prints exactly the
#     expected FILE:LINE: message and exits 1.
. "$top_srcdir/tests/lib/tap.sh"
FEDGATED=${FEDGATED:-$top_builddir/fedgated}
here=$top_srcdir/tests/config
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Copy a config dir and make its secrets private, as an admin would.
stage() { # SRC DST
	rm -rf "$2"; mkdir -p "$2"; cp -r "$1"/. "$2"/
	for f in "$2"/*.key "$2"/*.secret; do [ -f "$f" ] && chmod 600 "$f"; done
	return 0
}

# 1. etc/ samples
mkdir -p "$work/sample"
cp -r "$top_srcdir/etc" "$work/sample/etc"
"$top_srcdir/certs/fedgate-certs" ca "$work/sample/var/certs" >/dev/null &&
	"$top_srcdir/certs/fedgate-certs" leaf "$work/sample/var/certs" gw.contoso.com >/dev/null &&
	mv "$work/sample/var/certs/gw.contoso.com.pem" "$work/sample/var/certs/gw.pem" &&
	mv "$work/sample/var/certs/gw.contoso.com.key" "$work/sample/var/certs/gw.key" &&
	"$top_srcdir/certs/fedgate-certs" secret "$work/sample/var/certs/dialback.secret"
out=$("$FEDGATED" -n -c "$work/sample/etc/fedgate.conf" 2>&1)
check_eq "etc/ samples pass fedgated -n" "configuration OK" "$(echo "$out" | grep -v ': warning: ')"
for f in "$top_srcdir"/etc/*.conf; do
	n=$(grep -cvE '^[[:space:]]*(#|$)' "$f")
	c=$(grep -cE '^[[:space:]]*#' "$f")
	if [ "$c" -ge 3 ]; then tap_ok "etc/$(basename "$f") is commented ($c comment lines, $n entries)"
	else tap_not_ok "etc/$(basename "$f") is commented" "only $c comment lines"; fi
done

# 2. golden -n -v
for dir in "$here"/ok/*/; do
	name=$(basename "$dir")
	stage "$dir" "$work/ok-$name"
	rm -f "$work/ok-$name/expected"
	actual=$(cd "$work/ok-$name" && "$FEDGATED" -n -v -c fedgate.conf 2>&1)
	if [ "$actual" = "$(cat "$dir/expected")" ]; then tap_ok "golden -n -v: $name"
	else tap_not_ok "golden -n -v: $name" "$(echo "$actual" | diff "$dir/expected" - | head -n 20)"; fi
done

# 3. broken configs. Format of broken.cases (blank lines separate cases):
#   === NAME
#   edit FILE SED-EXPRESSION       (sed -i on the staged copy)
#   append FILE TEXT
#   remove FILE
#   chmod MODE FILE
#   expect TEXT                     (one line of the expected stderr, in order)
run_case() {
	[ -n "$case_name" ] || return 0
	if [ -z "$case_expect" ]; then tap_not_ok "broken: $case_name" "case has no expect line"; return 0; fi
	actual=$(cd "$case_dir" && "$FEDGATED" -n -c fedgate.conf 2>&1); rc=$?
	expected=$(printf '%s' "$case_expect")
	if [ "$rc" -eq 1 ] && [ "$actual" = "$expected" ]; then tap_ok "broken: $case_name"
	else tap_not_ok "broken: $case_name" "exit $rc (want 1)" "expected: $expected" "actual:   $actual"; fi
}
case_name=
while IFS= read -r line || [ -n "$line" ]; do
	case $line in
	"=== "*)
		run_case
		case_name=${line#=== }; case_expect=
		case_dir=$work/bad; stage "$here/base" "$case_dir" ;;
	"edit "*)
		rest=${line#edit }; f=${rest%% *}; expr=${rest#* }
		sed -i -e "$expr" "$case_dir/$f" ;;
	"append "*)
		rest=${line#append }; f=${rest%% *}; text=${rest#* }
		printf '%s\n' "$text" >> "$case_dir/$f" ;;
	"remove "*) rm -f "$case_dir/${line#remove }" ;;
	"chmod "*) rest=${line#chmod }; chmod "${rest%% *}" "$case_dir/${rest#* }" ;;
	"expect "*)
		if [ -n "$case_expect" ]; then case_expect="$case_expect
${line#expect }"; else case_expect=${line#expect }; fi ;;
	""|"#"*) ;;
	*) echo "# bad line in broken.cases: $line" >&2; exit 1 ;;
	esac
done < "$here/broken.cases"
run_case

# The base itself must be valid, or every broken case proves nothing.
stage "$here/base" "$work/base"
check_eq "the base of the broken cases is valid" "configuration OK" \
	"$(cd "$work/base" && "$FEDGATED" -n -c fedgate.conf 2>&1)"
done_testing
