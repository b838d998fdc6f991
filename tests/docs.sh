#!/bin/sh
# docs: docs/configuration.md's settings table is the daemon's own table
# (fedgated --settings-doc), so the two cannot drift; every key appears in
# the commented etc/fedgate.conf sample.
. "$top_srcdir/tests/lib/tap.sh"
FEDGATED=${FEDGATED:-$top_builddir/fedgated}
doc=$top_srcdir/docs/configuration.md
table=$(sed -n '/<!-- BEGIN SETTINGS TABLE/,/<!-- END SETTINGS TABLE/p' "$doc" | sed '1d;$d')
gen=$("$FEDGATED" --settings-doc)
if [ "$table" = "$gen" ]; then tap_ok "docs/configuration.md table equals fedgated --settings-doc"
else tap_not_ok "docs/configuration.md table equals fedgated --settings-doc" \
	"$(printf '%s\n' "$gen" | diff - "$doc" | head -n 10)" \
	"regenerate the block between the markers with: fedgated --settings-doc"; fi
missing=
for key in $(printf '%s\n' "$gen" | sed -n 's/^| `\([a-z_]*\)` .*/\1/p'); do
	grep -qE "^[[:space:]]*$key[[:space:]]*=" "$top_srcdir/etc/fedgate.conf" || missing="$missing $key"
done
check_eq "every key is in the etc/fedgate.conf sample" "" "$missing"
for f in README.md docs/configuration.md; do
	check "$f exists" test -s "$top_srcdir/$f"
done
done_testing
