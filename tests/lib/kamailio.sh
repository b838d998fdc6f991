# kamailio.sh: Kamailio 5.6 as the access edge (sourced after e2e.sh).
#   kamailio_edge_up   start tests/kamailio/edge.cfg on kedge.sip.test
#                      (127.0.0.4): users' SIPp over TCP on :5060, fedgate
#                      over mutual TLS on :5061; answers go to the UAS SIPp.
KAM_MODULES=/usr/lib/x86_64-linux-gnu/kamailio/modules

kamailio_edge_up() {
	command -v kamailio >/dev/null 2>&1 || tap_skip_all "kamailio is not installed"
	[ -f "$KAM_MODULES/tls.so" ] || tap_skip_all "kamailio-tls-modules is not installed"
	mkdir -p "$RIG_DIR/kam"
	sed "s|CERTS|$RIG_DIR/certs|g" "$top_srcdir/tests/kamailio/tls.cfg" > "$RIG_DIR/kam/tls.cfg"
	sed -e "s|KEDGE_IP|$E2E_KEDGE_IP|g" -e "s|UAS_ADDR|$SIP_UAS_IP:5070|g" \
		-e "s|GW_URI|sip:gw.sip.test:5061;transport=tls|g" \
		-e "s|TLS_CFG|$RIG_DIR/kam/tls.cfg|g" \
		"$top_srcdir/tests/kamailio/edge.cfg" > "$RIG_DIR/kam/edge.cfg"
	rig_bg kamailio kamailio -f "$RIG_DIR/kam/edge.cfg" -L "$KAM_MODULES" -DD -E \
		-Y "$RIG_DIR/kam" -P "$RIG_DIR/kam/kamailio.pid" -m 64 -M 8
	rig_wait_port $E2E_KEDGE_IP 5061 15 && rig_wait_port $E2E_KEDGE_IP 5060 5
}
