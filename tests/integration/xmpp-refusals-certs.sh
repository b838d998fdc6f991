#!/bin/sh
# xmpp-refusals-certs: with require_client_certs = yes (fedgate's default),
# a peer must present a certificate that chains to [xmpp] ca and names the
# domain it claims (RFC 6125). Refused with stream error not-authorized,
# and never offered SASL EXTERNAL:
#   - an untrusted (self-signed) certificate for the claimed domain
#   - a certificate from the right CA that names another domain
#   - no certificate at all
# while Prosody (s2s_secure_auth, certificate from the test CA) keeps its
# SASL EXTERNAL streams and keeps working beside the attacker. Accepted:
# a certificate with only the serverAuth usage (we never demand clientAuth
# of a peer), and one that names the domain only by an SRV-ID
# (_xmpp-server.evil.test, RFC 6125 / RFC 4985).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/rig.sh"
. "$top_srcdir/tests/lib/prosody.sh"
. "$top_srcdir/tests/lib/xmpp-rig.sh"
command -v prosody >/dev/null 2>&1 || tap_skip_all "prosody is not installed"
xr_init xmpp-refusals-certs

prosody_start xmpp xmpp.test 127.0.0.1 secure
prosody_user xmpp xmpp.test alice secret
prosody_ready xmpp || { tap_not_ok "Prosody runs"; done_testing; exit 1; }
xr_conf
xr_start || { tap_not_ok "fedgated listens"; done_testing; exit 1; }

round_trip() { # LABEL
	out=$(xr_client --jid alice@xmpp.test --password secret --host 127.0.0.1 \
		--send bob@sip.test "$1" --expect-from bob@sip.test \
		--expect-body "echo: $1" --timeout 30 2>&1)
	check_text "Prosody round trip (SASL EXTERNAL): $1" "$out" "RESULT ok"
}
round_trip "before the attacks"
before=$(xr_ctl connections | grep 'remote=xmpp.test' | sed 's/ idle=.*//' | sort)
check_eq "Prosody has two SASL EXTERNAL streams" 2 "$(echo "$before" | grep -c 'auth=sasl-external')"

c=$RIG_DIR/certs
"$top_srcdir/certs/fedgate-certs" self-signed "$RIG_DIR/selfsigned" evil.test >/dev/null
key=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
attack() { # DESCRIPTION RAW-PEER-ARGS...
	desc=$1; shift
	out=$(rig_exec /usr/bin/python3 "$top_srcdir/tests/lib/raw_peer.py" --host 127.0.0.2 \
		--bind 127.0.0.7 --to sip.test --domain evil.test --starttls \
		--expect-error not-authorized --timeout 20 "$@" \
		--send "<db:result from='evil.test' to='sip.test'>$key</db:result>" 2>&1)
	echo "$out" | sed 's/^/# raw peer: /'
	check_text "$desc -> stream error not-authorized" "$out" "RESULT ok"
	check_text "$desc: SASL EXTERNAL was not offered" "$out" \
		"FEATURES starttls=no external=no dialback=yes"
}
attack "an untrusted (self-signed) certificate" \
	--cert "$RIG_DIR/selfsigned/evil.test.pem" --key "$RIG_DIR/selfsigned/evil.test.key"
check_text "the reason names the trust failure" "$out" "certificate not trusted"
attack "a trusted certificate for another domain" \
	--cert "$c/other.test.pem" --key "$c/other.test.key"
check_text "the reason names the name mismatch" "$out" "does not name evil.test"
attack "no certificate at all"
check_text "the reason says no certificate" "$out" "no certificate presented"

# certificates a peer may well present, signed by the test CA
leaf() { # NAME EXTENSIONS...
	d=$RIG_DIR/extra; mkdir -p "$d"
	openssl req -newkey rsa:2048 -nodes -keyout "$d/$1.key" -out "$d/$1.csr" \
		-subj "/CN=$1" 2>/dev/null
	shift_name=$1; shift
	printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n%s\n' \
		"$*" > "$d/$shift_name.ext"
	openssl x509 -req -in "$d/$shift_name.csr" -CA "$c/ca.pem" -CAkey "$c/ca.key" \
		-CAserial "$c/ca.srl" -out "$d/$shift_name.pem" -days 30 \
		-extfile "$d/$shift_name.ext" 2>/dev/null
}
leaf serveronly "extendedKeyUsage=serverAuth
subjectAltName=DNS:evil.test"
leaf srvid "extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:unrelated.test,otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_xmpp-server.evil.test"
for kind in serveronly srvid; do
	out=$(rig_exec /usr/bin/python3 "$top_srcdir/tests/lib/raw_peer.py" --host 127.0.0.2 \
		--bind 127.0.0.7 --to sip.test --domain evil.test --starttls \
		--cert "$RIG_DIR/extra/$kind.pem" --key "$RIG_DIR/extra/$kind.key" \
		--sasl-external --timeout 3 2>&1)
	echo "$out" | sed 's/^/# raw peer: /'
	case $kind in
	serveronly) what="a certificate with only the serverAuth usage" ;;
	srvid) what="a certificate naming the domain by SRV-ID only" ;;
	esac
	check_text "$what is accepted (SASL EXTERNAL offered)" "$out" \
		"FEATURES starttls=no external=yes dialback=yes"
	check_text "$what authenticates the domain" "$out" "SUCCESS"
done

check "fedgated is still running" rig_alive fedgated
after=$(xr_ctl connections | grep 'remote=xmpp.test' | sed 's/ idle=.*//' | sort)
check_eq "Prosody's streams are the very same ones" "$before" "$after"
round_trip "after the attacks"
xr_stop
done_testing
