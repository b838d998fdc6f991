# ejabberd.sh: a real ejabberd 23.01 peer for the XMPP integration tests
# (sourced after tap.sh and rig.sh).
#
#   ejabberd_start DOMAIN IP      config in $RIG_DIR/ej/, run in the foreground in
#                                 the namespace: s2s with STARTTLS optional
#                                 (a self-signed certificate; it trusts
#                                 only that one) and Server Dialback;
#                                 c2s plain on 5222 for the test client
#   ejabberd_ready [SECONDS]      wait until it accepts s2s connections
#   ejabberd_user USER PASSWORD   register a user (ejabberdctl, bounded)
#   ejabberd_log                  path of its log
#
# ejabberdctl runs ejabberd as the "ejabberd" user when started by root;
# our own --ctl-config runs it as root instead (everything lives in
# $RIG_DIR), and a fixed Erlang distribution port avoids epmd. The node
# name's "localhost" is resolved through our own inetrc.

EJ_NODE=ejabberd@localhost
EJ_DIST_PORT=4370

ejabberd_log() { echo "$RIG_DIR/ej/logs/ejabberd.log"; }

ejabberd_ctl() {
	rig_exec timeout 30 ejabberdctl --config-dir "$RIG_DIR/ej" \
		--config "$RIG_DIR/ej/ejabberd.yml" --ctl-config "$RIG_DIR/ej/ejabberdctl.cfg" \
		--spool "$RIG_DIR/ej/spool" --logs "$RIG_DIR/ej/logs" --node "$EJ_NODE" "$@"
}

ejabberd_start() { # DOMAIN IP
	dom=$1 ip=$2 d=$RIG_DIR/ej
	mkdir -p "$d/spool" "$d/logs"
	"$top_srcdir/certs/fedgate-certs" self-signed "$d" self "$dom" >/dev/null || return 1
	cat "$d/self.pem" "$d/self.key" > "$d/$dom.pem"
	chmod 600 "$d/$dom.pem"
	cat > "$d/inetrc" <<EOF
{lookup,["file","native"]}.
{host,{127,0,0,1}, ["localhost"]}.
{file, resolv, "/etc/resolv.conf"}.
EOF
	cat > "$d/ejabberdctl.cfg" <<EOF
EXEC_CMD=as_current_user
ERL_DIST_PORT=$EJ_DIST_PORT
ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0"
EJABBERD_PID_PATH=$d/ejabberd.pid
EOF
	cat > "$d/ejabberd.yml" <<EOF
hosts:
  - $dom
loglevel: debug
log_rotate_count: 0
certfiles:
  - "$d/$dom.pem"
ca_file: "$d/$dom.pem"
define_macro: {}
listen:
  -
    port: 5222
    ip: "$ip"
    module: ejabberd_c2s
    starttls: false
  -
    port: 5269
    ip: "$ip"
    module: ejabberd_s2s_in
s2s_use_starttls: optional
s2s_access: all
outgoing_s2s_families:
  - ipv4
auth_method: internal
auth_password_format: plain
acl:
  local:
    user_regexp: ""
access_rules:
  local:
    allow: local
  c2s:
    allow: all
  s2s:
    allow: all
modules:
  mod_s2s_dialback: {}
  mod_roster: {}
  mod_disco: {}
  mod_ping: {}
EOF
	# "localhost" for the Erlang node name inside the namespace
	grep -q localhost "/etc/netns/$RIG_NS/hosts" 2>/dev/null ||
		echo "127.0.0.1 localhost" >> "/etc/netns/$RIG_NS/hosts"
	rig_bg ejabberd ejabberdctl --config-dir "$d" --config "$d/ejabberd.yml" \
		--ctl-config "$d/ejabberdctl.cfg" --spool "$d/spool" --logs "$d/logs" \
		--node "$EJ_NODE" foreground
}

_ej_listening() { rig_exec ss -Hltn "sport = :5269" | grep -q "$1:5269"; }

ejabberd_ready() { # IP [SECONDS]
	wait_for "${2:-60}" _ej_listening "$1"
}

ejabberd_user() { # USER DOMAIN PASSWORD
	ejabberd_ctl register "$1" "$2" "$3" >/dev/null 2>&1
}
