#!/bin/sh
# layering: the folders are the architecture (STYLE.md rule 1, DESIGN.md §2).
# sip/ never includes xmpp/ headers and the reverse; xlate/ includes neither
# Sofia, nor sockets, and Expat only in its body helper (xlate/body.*);
# core/ includes neither side.
. "$top_srcdir/tests/lib/tap.sh"
cd "$top_srcdir" || exit 1

# forbid DESCRIPTION DIR REGEX [EXCLUDE-REGEX]
forbid() {
	hits=$(grep -rnE "$3" "$2" --include='*.c' --include='*.h' 2>/dev/null |
		{ if [ -n "${4:-}" ]; then grep -vE "$4"; else cat; fi; })
	if [ -z "$hits" ]; then tap_ok "$1"; else tap_not_ok "$1" "$hits"; fi
}

inc='^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]'
forbid "sip/ does not include xmpp/ headers" sip "${inc}(\.\./)?xmpp/"
forbid "xmpp/ does not include sip/ headers" xmpp "${inc}(\.\./)?sip/"
forbid "xlate/ does not include Sofia headers" xlate "${inc}sofia-sip/"
forbid "xlate/ does not include socket headers" xlate "${inc}(sys/socket\.h|netinet/|arpa/inet\.h|netdb\.h)"
forbid "xlate/ includes Expat only in its body helper" xlate "${inc}expat" '^xlate/body\.[ch]:'
forbid "xlate/ does not include OpenSSL or libevent" xlate "${inc}(openssl/|event2/)"
forbid "core/ does not include sip/, xmpp/ or xlate/" core "${inc}(\.\./)?(sip|xmpp|xlate)/"

# The test must be able to fail: prove the pattern catches a bad include.
tmp=$(mktemp -d)
mkdir -p "$tmp/sip"
echo '#include "xmpp/xmpp.h"' > "$tmp/sip/bad.c"
if grep -rqE "${inc}(\.\./)?xmpp/" "$tmp/sip"; then tap_ok "the layering pattern detects a violation"
else tap_not_ok "the layering pattern detects a violation"; fi
rm -rf "$tmp"
done_testing
