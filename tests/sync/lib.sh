# Shared helpers for the sync tests: picketd and picket clients talking
# over real TLS on 127.0.0.1.  Source it first thing:
#   . "$TESTS_DIR/sync/lib.sh"
# It sources the CLI tests' helpers (expect_rc, expect_eq, expect_match,
# jget, done_testing, ...) and adds:
#   make_pki                     a CA, server certificates and bad ones in $PKI
#   make_client_pki              a client CA, client certificates and a CRL
#   client_revoke NAME           revokes client certificate NAME, new CRL
#   srv_new NAME [CERT] [LINES] [TLS_LINES] [AUTH_LINES]
#                                a picketd configuration in $T/NAME
#   srv_adduser NAME USER ROLE [GROUP] [ADDUSER ARGS...]
#   srv_start NAME / srv_restart NAME / srv_kill NAME [SIG] / srv_stop NAME
#   srv_up NAME [USER ROLE]...  srv_new, srv_adduser each, srv_start or end the test
#   client_new NAME SERVER USER NODE ["key = value" LINES]  a picket installation
#   client_sync_set NAME KEY [VALUE]   changes its [sync] section
#   pc NAME ARGS...              runs picket as that client (its user, db, config)
#   db_dump DB / expect_same_db  replicated state, compared field by field
#   srv_events NAME [ORIGIN] / srv_event_at NAME SEQ / srv_distinct_events NAME
#   srv_store_state NAME / srv_check NAME / srv_view NAME / srv_view_sql NAME QUERY
#   srv_uuid_db NAME / srv_wipe NAME / srv_backup NAME FILE / srv_restore NAME FILE
#                                the store, whichever it is (PICKET_STORE)
# Every process started here is stopped by the EXIT trap, and $T removed.
#
# PICKET_STORE=postgresql runs picketd on PostgreSQL: one server for the
# script (initdb in a private directory, Unix socket only, run as the
# unprivileged user postgres when the tests run as root), a fresh database
# per picketd (srv_share_db makes two picketd use one).
. "$TESTS_DIR/cli/lib.sh"
: "${PICKETD:?PICKETD must name the picketd binary}"
need openssl curl sqlite3 ps od

# the sync tests run on the real clock, each client with its own files
unset PICKET_NOW PICKET_DB PICKET_CONFIG
export PICKET_USER=nobody
PKI="$T/pki"
declare -A CLIENT_USER=()

# --- processes ---------------------------------------------------------------

# track PID: a process this script started, stopped at exit
track() { echo "$1" >>"$T/.pids"; }

# _ours PID: still running and a child of this script (not a process
# that took over the number of one that ended)
_ours() { [ "$(ps -o ppid= -p "$1" 2>/dev/null | tr -d ' ')" = "$$" ]; }

sync_cleanup() {
	local pid pids=""
	[ -f "$T/.pids" ] && for pid in $(cat "$T/.pids"); do
		_ours "$pid" && pids="$pids $pid"
	done
	for pid in $pids; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in $pids; do
		local i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$pid" 2>/dev/null
	done
	# shellcheck disable=SC2086 # a list of pids
	[ -n "$pids" ] && wait $pids 2>/dev/null
	pg_stop
	rm -rf "$T"
}
trap sync_cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- PostgreSQL ------------------------------------------------------------------

PICKET_STORE=${PICKET_STORE:-sqlite}
case $PICKET_STORE in
sqlite | postgresql) ;;
*) echo "PICKET_STORE: '$PICKET_STORE' is sqlite or postgresql" >&2 && exit 1 ;;
esac
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
PG_DIR=""

# _pg_as CMD ARGS...: a PostgreSQL tool as the cluster's owner
_pg_as() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# pg_start: the script's PostgreSQL server, once
pg_start() {
	[ -n "$PG_DIR" ] && return 0
	[ -x "$PG_BIN/initdb" ] || {
		fail "PICKET_STORE=postgresql: no initdb in '$PG_BIN' (install postgresql)"
		done_testing
		exit 1
	}
	# outside $T: the postgres user must reach it
	PG_DIR=$(mktemp -d /tmp/picket-pg.XXXXXX)
	[ "$(id -u)" = 0 ] && chown postgres: "$PG_DIR"
	chmod 700 "$PG_DIR"
	if ! _pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U picket -A trust -E UTF8 \
		--locale=C >"$PG_DIR/initdb.log" 2>&1; then
		fail "initdb failed: $(tail -3 "$PG_DIR/initdb.log")"
		done_testing
		exit 1
	fi
	# no TCP; durability is not what these tests measure
	if ! _pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 60 \
		-o "-c listen_addresses='' -k $PG_DIR -c fsync=off -c full_page_writes=off -c max_connections=200" \
		start >"$PG_DIR/pg_ctl.log" 2>&1; then
		fail "PostgreSQL did not start: $(tail -3 "$PG_DIR/log")"
		done_testing
		exit 1
	fi
}

pg_stop() {
	[ -n "$PG_DIR" ] || return 0
	_pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1
	rm -rf "$PG_DIR"
	PG_DIR=""
}

# psql_db DB ARGS...: psql on a database of the script's server
psql_db() {
	local db=$1
	shift
	PGOPTIONS="-c client_min_messages=warning" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -U picket -d "$db" "$@"
}
pg_createdb() { psql_db postgres -c "CREATE DATABASE $1" >/dev/null; }
pg_dropdb() { psql_db postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null; }

# srv_pgdb NAME: the database of picketd NAME
srv_pgdb() { cat "$T/$1/pgdb"; }
# srv_psql NAME QUERY: reads picketd NAME's PostgreSQL store, unaligned
srv_psql() { psql_db "$(srv_pgdb "$1")" -At -c "$2"; }

# srv_share_db NAME OTHER: picketd NAME serves OTHER's database
srv_share_db() {
	srv_pgdb "$2" >"$T/$1/pgdb"
	_srv_conf "$1" "$(srv_port "$1")"
}

# --- certificates --------------------------------------------------------------

# make_pki: in $PKI, a test CA (ca.pem) and, signed by it, server.pem
# (SAN IP:127.0.0.1, DNS:localhost), wronghost.pem (SAN DNS:wrong.example,
# IP:192.0.2.7 only) and expired.pem (right names, valid 2020 only); and an
# unrelated CA, other-ca.pem.  Keys are NAME.key, mode 0600.
make_pki() {
	mkdir -p "$PKI/newcerts"
	: >"$PKI/index.txt"
	echo 1000 >"$PKI/serial"
	cat >"$PKI/openssl.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
# each certificate's subject is given with -subj; req wants a default
CN = picket test
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ca]
default_ca = testca
[testca]
dir = $PKI
database = $PKI/index.txt
new_certs_dir = $PKI/newcerts
serial = $PKI/serial
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[anything]
commonName = supplied
EOF
	local ok=1 name
	_ossl() { openssl "$@" >>"$PKI/openssl.log" 2>&1 || ok=0; }
	_key() { _ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$PKI/$1.key"; }
	_ext() { printf 'basicConstraints = CA:FALSE\nkeyUsage = critical,digitalSignature\nextendedKeyUsage = serverAuth\nsubjectAltName = %s\n' "$1" >"$PKI/$2.ext"; }
	for name in ca other-ca; do
		_key $name
		_ossl req -config "$PKI/openssl.cnf" -x509 -new -key "$PKI/$name.key" -sha256 \
			-days 30 -subj "/CN=picket $name test" -extensions v3_ca -out "$PKI/$name.pem"
	done
	for name in server wronghost expired; do
		_key $name
		_ossl req -config "$PKI/openssl.cnf" -new -key "$PKI/$name.key" -subj "/CN=$name" \
			-out "$PKI/$name.csr"
	done
	_ext "IP:127.0.0.1, DNS:localhost" server
	_ext "DNS:wrong.example, IP:192.0.2.7" wronghost
	_ext "IP:127.0.0.1, DNS:localhost" expired
	for name in server wronghost; do
		_ossl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" \
			-CAcreateserial -days 30 -sha256 -extfile "$PKI/$name.ext" -out "$PKI/$name.pem"
	done
	_ossl ca -config "$PKI/openssl.cnf" -batch -notext -cert "$PKI/ca.pem" -keyfile "$PKI/ca.key" \
		-startdate 20200101000000Z -enddate 20210101000000Z -extfile "$PKI/expired.ext" \
		-in "$PKI/expired.csr" -out "$PKI/expired.pem"
	chmod 600 "$PKI"/*.key
	if [ $ok = 0 ]; then
		fail "openssl could not make the test certificates:"
		cat "$PKI/openssl.log" >&2
		done_testing
		exit 1
	fi
}

# make_client_pki (after make_pki): in $PKI, a client CA (client-ca.pem,
# with an openssl ca database) and client certificates NAME.pem/NAME.key
# for TLS client authentication (extendedKeyUsage clientAuth), subject
# "CN=NAME,O=Picket Test" unless said otherwise:
#   alice, bob, carol, eve   good (eve is bound to no user by the tests)
#   carol                    revoked, in client-ca.crl
#   dave                     expired (valid 2020 only)
#   rogue                    alice's subject, signed by other-ca
#   alice-server             alice's subject, extendedKeyUsage serverAuth
# and client-ca.crl, the CRL of client-ca (openssl ca -gencrl).
make_client_pki() {
	local ok=1 name
	mkdir -p "$PKI/client-newcerts"
	: >"$PKI/client-index.txt"
	echo 2000 >"$PKI/client-serial"
	echo 01 >"$PKI/client-crlnumber"
	cat >>"$PKI/openssl.cnf" <<EOF
[clientca]
dir = $PKI
database = $PKI/client-index.txt
new_certs_dir = $PKI/client-newcerts
serial = $PKI/client-serial
crlnumber = $PKI/client-crlnumber
certificate = $PKI/client-ca.pem
private_key = $PKI/client-ca.key
default_md = sha256
default_days = 30
default_crl_days = 30
policy = client_policy
unique_subject = no
copy_extensions = none
[client_policy]
organizationName = optional
commonName = supplied
[client_ext]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
[server_ext]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
EOF
	_ossl() { openssl "$@" >>"$PKI/openssl.log" 2>&1 || ok=0; }
	_ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$PKI/client-ca.key"
	_ossl req -config "$PKI/openssl.cnf" -x509 -new -key "$PKI/client-ca.key" -sha256 \
		-days 30 -subj "/CN=picket client-ca test" -extensions v3_ca -out "$PKI/client-ca.pem"
	_csr() {
		_ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$PKI/$1.key"
		_ossl req -config "$PKI/openssl.cnf" -new -key "$PKI/$1.key" -subj "$2" -out "$PKI/$1.csr"
	}
	_sign() { # NAME EXTENSIONS [openssl ca options]
		local n=$1 ext=$2
		shift 2
		_ossl ca -config "$PKI/openssl.cnf" -name clientca -batch -notext -preserveDN \
			-extensions "$ext" -in "$PKI/$n.csr" -out "$PKI/$n.pem" "$@"
	}
	for name in alice bob carol eve; do
		_csr $name "/O=Picket Test/CN=$name"
		_sign $name client_ext
	done
	_csr dave "/O=Picket Test/CN=dave"
	_sign dave client_ext -startdate 20200101000000Z -enddate 20210101000000Z
	_csr alice-server "/O=Picket Test/CN=alice"
	_sign alice-server server_ext
	_csr rogue "/O=Picket Test/CN=alice"
	printf 'extendedKeyUsage = clientAuth\n' >"$PKI/rogue.ext"
	_ossl x509 -req -in "$PKI/rogue.csr" -CA "$PKI/other-ca.pem" -CAkey "$PKI/other-ca.key" \
		-CAcreateserial -days 30 -sha256 -extfile "$PKI/rogue.ext" -out "$PKI/rogue.pem"
	chmod 600 "$PKI"/*.key
	if [ $ok = 0 ]; then
		fail "openssl could not make the client certificates:"
		cat "$PKI/openssl.log" >&2
		done_testing
		exit 1
	fi
	client_revoke carol
}

# client_revoke NAME: revokes client certificate NAME and writes a new
# client-ca.crl (a running picketd reads it on SIGHUP)
client_revoke() {
	openssl ca -config "$PKI/openssl.cnf" -name clientca -batch -revoke "$PKI/$1.pem" \
		>>"$PKI/openssl.log" 2>&1 &&
		openssl ca -config "$PKI/openssl.cnf" -name clientca -batch -gencrl \
			-out "$PKI/client-ca.crl.new" >>"$PKI/openssl.log" 2>&1 &&
		mv "$PKI/client-ca.crl.new" "$PKI/client-ca.crl" ||
		fail "openssl could not revoke $1: $(tail -3 "$PKI/openssl.log")"
}

# --- picketd -------------------------------------------------------------------

# srv_new NAME [CERT] [SERVER_LINES] [TLS_LINES] [AUTH_LINES]: picketd's
# files in $T/NAME (store, users, log), serving with $PKI/CERT.pem and .key
# (default server; "" for plain HTTP); the LINES are more settings of
# [server], [tls] and [auth].
srv_new() {
	local d="$T/$1" cert=${2-server}
	mkdir -p "$d/tokens"
	chmod 700 "$d"
	echo "$cert" >"$d/cert"
	printf '%s\n' "${3:-}" >"$d/server.extra"
	printf '%s\n' "${4:-}" >"$d/tls.extra"
	printf '%s\n' "${5:-}" >"$d/auth.extra"
	if [ -n "$cert" ]; then echo https >"$d/scheme"; else echo http >"$d/scheme"; fi
	if [ "$PICKET_STORE" = postgresql ]; then
		pg_start
		local db
		db="pk_$(echo "$1" | tr -c 'a-zA-Z0-9_\n' _)"
		pg_dropdb "$db" && pg_createdb "$db" || fail "cannot make database $db"
		echo "$db" >"$d/pgdb"
	fi
	_srv_conf "$1" "$(_free_port)"
}

# a port nothing listens on now (picketd may still lose it to a race:
# srv_start then picks another)
_free_port() {
	local p
	while :; do
		p=$((20000 + (($(od -An -N4 -tu4 /dev/urandom)) % 40000)))
		(: </dev/tcp/127.0.0.1/$p) 2>/dev/null || break
	done
	echo $p
}

_srv_conf() {
	local d="$T/$1" cert
	cert=$(cat "$d/cert")
	echo "$2" >"$d/port"
	{
		printf '[server]\nlisten = 127.0.0.1\nport = %s\nthreads = 4\n' "$2"
		[ -n "$cert" ] || printf 'plain_http = true\n'
		cat "$d/server.extra"
		if [ -n "$cert" ]; then
			printf '[tls]\ncert = %s\nkey = %s\n' "$PKI/$cert.pem" "$PKI/$cert.key"
			cat "$d/tls.extra" 2>/dev/null
		fi
		if [ "$PICKET_STORE" = postgresql ]; then
			printf '[store]\nbackend = postgresql\nconninfo = host=%s user=picket dbname=%s\n' \
				"$PG_DIR" "$(cat "$d/pgdb")"
		else
			printf '[store]\npath = %s\n' "$d/store.db"
		fi
		printf '[auth]\nusers = %s\n' "$d/users"
		cat "$d/auth.extra" 2>/dev/null
		printf '[log]\nlevel = info\n'
	} >"$d/picketd.conf"
}

srv_port() { cat "$T/$1/port"; }
srv_url() { echo "$(cat "$T/$1/scheme")://127.0.0.1:$(cat "$T/$1/port")"; }
srv_pid() { cat "$T/$1/pid" 2>/dev/null; }

# srv_adduser NAME USER ROLE [GROUP] [ARGS...]: the token goes to
# $T/NAME/tokens/USER (empty when none is issued); ARGS are more options of
# picketd adduser; a running picketd reloads its users (SIGHUP)
srv_adduser() {
	local d="$T/$1" args=("$2" --role "$3")
	[ -n "${4:-}" ] && args+=(--group "$4")
	[ $# -gt 4 ] && args+=("${@:5}")
	local before
	before=$(grep -c 'reloaded' "$d/log" 2>/dev/null)
	if ! "$PICKETD" adduser "${args[@]}" --config "$d/picketd.conf" >"$d/tokens/$2" \
		2>>"$d/adduser.log"; then
		fail "picketd adduser ${args[*]}: $(tail -1 "$d/adduser.log")"
		return 1
	fi
	chmod 600 "$d/tokens/$2"
	if [ -n "$(srv_pid "$1")" ]; then
		kill -HUP "$(srv_pid "$1")"
		local i
		for i in $(seq 100); do
			[ "$(grep -c 'reloaded' "$d/log")" -gt "${before:-0}" ] && return 0
			sleep 0.05
		done
		fail "picketd $1 did not reload its users"
	fi
}
srv_token() { cat "$T/$1/tokens/$2"; }

# _srv_launch NAME: starts picketd; 0 once it says it listens and /health
# answers, 1 when it died (the port taken, say)
_srv_launch() {
	local d="$T/$1" pid i lines
	echo "--- start $(date +%T.%N)" >>"$d/log"
	lines=$(wc -l <"$d/log")
	"$PICKETD" --config "$d/picketd.conf" 2>>"$d/log" &
	pid=$!
	track $pid
	echo $pid >"$d/pid"
	for i in $(seq 200); do
		if ! kill -0 $pid 2>/dev/null; then
			wait $pid 2>/dev/null
			rm -f "$d/pid"
			return 1
		fi
		if tail -n +$((lines + 1)) "$d/log" | grep -q 'listening on' &&
			curl -sk --max-time 2 -o /dev/null "$(srv_url "$1")/health" 2>/dev/null; then
			! _pg || _pg_oplog_view "$1"
			return 0
		fi
		sleep 0.05
	done
	fail "picketd $1 did not answer /health within 10 s: $(tail -3 "$d/log")"
	return 1
}

# srv_start NAME: starts picketd on its port, or on another free one when
# that was taken meanwhile
srv_start() {
	local d="$T/$1" try
	for try in 1 2 3 4 5 6 7 8; do
		_srv_launch "$1" && return 0
		[ -f "$d/pid" ] && return 1 # running but not answering
		if tail -5 "$d/log" | grep -q 'cannot serve'; then
			_srv_conf "$1" "$(_free_port)"
			continue
		fi
		fail "picketd $1 did not start: $(tail -5 "$d/log")"
		return 1
	done
	fail "picketd $1 found no free port"
	return 1
}

# srv_up NAME [USER ROLE]...: a new picketd with these users, started;
# the test ends there when it does not start
srv_up() {
	local name=$1
	shift
	srv_new "$name"
	while [ $# -ge 2 ]; do
		srv_adduser "$name" "$1" "$2"
		shift 2
	done
	srv_start "$name" || {
		done_testing
		exit 1
	}
}

# srv_restart NAME: starts picketd again on the same port (its clients
# know it), retrying while the port is not free yet
srv_restart() {
	local d="$T/$1" try
	for try in $(seq 20); do
		_srv_launch "$1" && return 0
		[ -f "$d/pid" ] && return 1
		sleep 0.25
	done
	fail "picketd $1 did not restart on port $(srv_port "$1"): $(tail -5 "$d/log")"
	return 1
}

# srv_kill NAME [SIGNAL]: stops picketd (SIGTERM by default) and waits;
# its exit status in $SRV_RC
srv_kill() {
	local pid
	pid=$(srv_pid "$1")
	[ -n "$pid" ] || return 0
	kill -"${2:-TERM}" "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	SRV_RC=$?
	rm -f "$T/$1/pid"
}
srv_stop() { srv_kill "$1" TERM; }

# srv_sql NAME QUERY: reads picketd's store (tables events, records,
# ticket_fields, meta; the same on both stores), or its events through a
# view named oplog like a desk's table (id, event_uuid, entity,
# entity_uuid, op, field, value, hlc, base, origin, actor, at).
# Tickets, comments and conflicts: srv_view_sql.
srv_sql() {
	if _pg; then
		srv_psql "$1" "$2"
	else
		sqlite3 -batch -noheader -cmd '.timeout 5000' \
			-cmd "CREATE TEMP VIEW oplog AS SELECT seq AS id, uuid AS event_uuid, entity,
			  entity_uuid, op, field, value, hlc, base, origin, actor, at FROM events" \
			"$T/$1/store.db" "$2"
	fi
}
srv_log() { cat "$T/$1/log"; }
_pg() { [ "$PICKET_STORE" = postgresql ]; }
_pg_oplog_view() {
	srv_psql "$1" "CREATE OR REPLACE VIEW oplog AS SELECT seq AS id, uuid::text AS event_uuid,
	  entity, entity_uuid::text AS entity_uuid, op, field, value, hlc, base, origin, actor, at
	  FROM events" >/dev/null
}

# srv_events NAME [ORIGIN]: how many events the store holds (of ORIGIN)
srv_events() {
	srv_sql "$1" "SELECT count(*) FROM events${2:+ WHERE origin = '$2'}"
}
# srv_event_at NAME SEQ: the uuid of the event at sequence SEQ
srv_event_at() {
	srv_sql "$1" "SELECT uuid FROM events WHERE seq = $2"
}
srv_distinct_events() {
	srv_sql "$1" "SELECT count(DISTINCT uuid) FROM events"
}
# srv_store_state NAME: the store's whole state in a few lines, to show that a
# refused request stored nothing
srv_store_state() {
	local agg="group_concat(uuid, ',')"
	_pg && agg="string_agg(uuid::text, ',' ORDER BY seq)"
	srv_sql "$1" "SELECT count(*), coalesce(max(seq), 0) FROM events;
	  SELECT entity, count(*) FROM records GROUP BY 1 ORDER BY 1;
	  SELECT count(*), sum(hlc) FROM ticket_fields;
	  SELECT $agg FROM (SELECT uuid, seq FROM events ORDER BY seq) e"
}
# srv_check NAME: "ok" when the store is sound: the sequences are 1..head
# without a gap, every event names a record (and SQLite's integrity check
# passes)
srv_check() {
	local sound="SELECT CASE WHEN count(*) = coalesce(max(seq), 0) AND NOT EXISTS (
	    SELECT 1 FROM events e WHERE NOT EXISTS (SELECT 1 FROM records r
	      WHERE r.uuid = e.entity_uuid)) THEN 'ok' ELSE 'gaps or strays' END FROM events"
	if _pg; then
		srv_psql "$1" "$sound"
	else
		local integrity
		integrity=$(srv_sql "$1" "PRAGMA integrity_check")
		if [ "$integrity" = ok ]; then
			srv_sql "$1" "$sound"
		else
			echo "$integrity"
		fi
	fi
}
# srv_uuid_db NAME: a SQLite file whose table oplog(event_uuid) lists the
# store's events (for ATTACH)
srv_uuid_db() {
	local f="$T/$1.uuids.db"
	rm -f "$f"
	srv_sql "$1" "SELECT uuid FROM events" >"$T/$1.uuids"
	sqlite3 -batch "$f" "CREATE TABLE oplog(event_uuid TEXT PRIMARY KEY);" \
		".import '$T/$1.uuids' oplog"
	echo "$f"
}
# srv_view NAME: a picket database holding the server's view: a viewer's
# installation that pulled it all
srv_view() {
	local v="_view_$1"
	if [ ! -f "$T/$v/picket.db" ]; then
		[ -f "$T/$1/tokens/_viewer" ] || srv_adduser "$1" _viewer viewer >/dev/null
		client_new "$v" "$1" _viewer VIEW >/dev/null
	fi
	pc "$v" sync --quiet || fail "the viewer of $1 could not sync"
	cdb "$v"
}
# srv_view_sql NAME QUERY: reads the server's view (tickets, comments,
# conflicts as a merge of every event makes them)
srv_view_sql() {
	local db
	db=$(srv_view "$1")
	sqlite3 -batch -noheader -cmd '.timeout 5000' "$db" "$2"
}
# srv_wipe NAME: picketd NAME (stopped) loses its store
srv_wipe() {
	if _pg; then
		pg_dropdb "$(srv_pgdb "$1")" && pg_createdb "$(srv_pgdb "$1")"
	else
		mkdir -p "$T/$1/lost"
		mv "$T/$1/store.db"* "$T/$1/lost/"
	fi
}
# srv_backup NAME FILE / srv_restore NAME FILE (picketd stopped)
srv_backup() {
	if _pg; then
		"$PG_BIN/pg_dump" -h "$PG_DIR" -U picket -Fc -f "$2" "$(srv_pgdb "$1")"
	else
		sqlite3 "$T/$1/store.db" ".backup '$2'"
	fi
}
srv_restore() {
	if _pg; then
		pg_dropdb "$(srv_pgdb "$1")" && pg_createdb "$(srv_pgdb "$1")" &&
			"$PG_BIN/pg_restore" -h "$PG_DIR" -U picket -d "$(srv_pgdb "$1")" "$2"
	else
		rm -f "$T/$1/store.db"*
		cp "$2" "$T/$1/store.db"
	fi
}

# --- clients -------------------------------------------------------------------

# client_new NAME SERVER USER NODE [SYNC_LINES]: an installation in $T/NAME
# (database, picket.conf, token file 0600) syncing with SERVER as USER;
# SYNC_LINES ("key = value", one a line) replace [sync] defaults
client_new() {
	local d="$T/$1"
	mkdir -p "$d"
	CLIENT_USER[$1]=$3
	echo "$3" >"$d/user" # for pc in a subshell that did not see the line above
	if [ -s "$T/$2/tokens/$3" ]; then
		cp "$T/$2/tokens/$3" "$d/token"
	else
		echo "pkt_not_a_token" >"$d/token"
	fi
	chmod 600 "$d/token"
	{
		printf '[core]\nnode = %s\n' "$4"
		printf '[sync]\nurl = %s\ntoken_file = %s\nca_file = %s\nretries = 2\ntimeout = 20\n' \
			"$(srv_url "$2")" "$d/token" "$PKI/ca.pem"
	} >"$d/picket.conf"
	local line
	while IFS= read -r line; do
		[ -n "$line" ] && client_sync_set "$1" "${line%% =*}" "${line#*= }"
	done <<<"${5:-}"
	pc "$1" init >/dev/null || fail "picket init of client $1"
}

# client_sync_set NAME KEY [VALUE]: sets (or, without VALUE, removes) a
# [sync] key of a client's picket.conf
client_sync_set() {
	local f="$T/$1/picket.conf"
	sed -i "/^$2 *=/d" "$f"
	[ $# -ge 3 ] && sed -i "/^\[sync\]/a $2 = $3" "$f"
	return 0
}

# pc NAME ARGS...: picket as client NAME
pc() {
	local c=$1
	shift
	PICKET_USER=${CLIENT_USER[$c]:-$(cat "$T/$c/user")} "$PICKET" --db "$T/$c/picket.db" --config "$T/$c/picket.conf" "$@"
}
cdb() { echo "$T/$1/picket.db"; }
# csql NAME QUERY: reads a client's database
csql() { sqlite3 -batch -noheader -cmd '.timeout 5000' "$T/$1/picket.db" "$2"; }
cevents() { csql "$1" "SELECT count(*) FROM oplog"; }

# --- comparing databases ------------------------------------------------------------

# The replicated columns of a ticket (derived ones, such as SLA clocks
# and updated_at, are each node's own).
TICKET_COLUMNS="ref type title description status priority impact urgency category service ci
requester assignee group_name classification vendor vendor_ref resolution created_at
resolved_at closed_at followup_at"

# db_dump DBFILE: the replicated state, one line per field: tickets'
# columns by uuid, comments, conflict records and the set of event uuids
# (but for local changes the server refused, pushed = 2, which stay home)
db_dump() {
	local c q="" sep=""
	for c in $TICKET_COLUMNS; do
		q="$q${sep}SELECT 'ticket ' || uuid || ' $c ' || quote($c) FROM tickets"
		sep=" UNION ALL "
	done
	sqlite3 -batch -noheader "$1" "SELECT * FROM ($q) ORDER BY 1;
	  SELECT 'comment ' || c.uuid || ' ' || t.uuid || ' ' || c.kind || ' ' || quote(c.author)
	         || ' ' || quote(c.body) || ' ' || c.minutes || ' ' || c.created_at
	    FROM comments c JOIN tickets t ON t.id = c.ticket_id ORDER BY c.uuid;
	  SELECT 'conflict ' || entity || ' ' || entity_uuid || ' ' || field FROM conflicts
	    ORDER BY entity_uuid, field;
	  SELECT 'event ' || event_uuid FROM oplog WHERE pushed <> 2 ORDER BY event_uuid;"
}

# fts_check DBFILE: FTS5's own check of a client's search index against
# the tickets' text ("ok", else its error)
fts_check() {
	sqlite3 -batch -noheader -cmd '.timeout 5000' "$1" \
		"INSERT INTO ticket_fts(ticket_fts, rank) VALUES ('integrity-check', 1); SELECT 'ok'" 2>&1
}

# expect_same_db DB1 DB2 WHAT: identical replicated state (and each
# client's search index holds exactly its tickets' text)
expect_same_db() {
	local db
	for db in "$1" "$2"; do
		case $db in
		"$T"/*/picket.db) expect_eq ok "$(fts_check "$db")" "$3: the search index of $db" ;;
		esac
	done
	CHECKS=$((CHECKS + 1))
	local a b
	a=$(db_dump "$1")
	b=$(db_dump "$2")
	if [ -z "$a" ]; then
		fail "$3: nothing to compare in $1"
	elif [ "$a" != "$b" ]; then
		fail "$3: the databases differ ($(diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") |
			grep -c '^[<>]') lines; < $1, > $2):"
		diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") | grep '^[<>]' | head -20 >&2
	fi
}

# sync_ok NAME: a sync that must succeed, quietly
sync_ok() {
	CHECKS=$((CHECKS + 1))
	if ! pc "$1" sync --quiet 2>"$T/sync.err"; then
		fail "sync of $1 failed: $(cat "$T/sync.err")"
		return 1
	fi
}

# http_req METHOD PATH TOKEN [BODYFILE] [CURL ARGS...]: a raw request to
# server $SRV with the Picket-Protocol header $PROTO (default 1, none when
# empty); the status in $STATUS, the body in $BODY
http_req() {
	local method=$1 path=$2 token=$3 file=${4:-}
	shift $(($# < 4 ? $# : 4))
	local args=(-s --max-time 30 --cacert "$PKI/ca.pem" -X "$method" -o "$T/http.body"
		-w '%{http_code}' -H 'Content-Type: application/json')
	[ -n "${PROTO-1}" ] && args+=(-H "Picket-Protocol: ${PROTO-1}")
	[ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
	[ -n "$file" ] && args+=(--data-binary "@$file")
	STATUS=$(curl "${args[@]}" "$@" "$(srv_url "$SRV")$path")
	BODY=$(cat "$T/http.body" 2>/dev/null)
}

# expect_http STATUS [ERROR_CODE] WHAT: checks $STATUS and the error member
expect_http() {
	expect_eq "$1" "$STATUS" "$3: HTTP status (body $BODY)"
	if [ -n "$2" ]; then
		expect_eq "$2" "$(jget "$BODY" '$.error')" "$3: error code"
		expect_eq 1 "$(jget "$BODY" '$.protocol')" "$3: protocol member of the error"
	fi
}

# push_body CLIENT FILE [WHERE] [ORDER]: the push request for CLIENT's
# events (oplog rows matching WHERE, default all, in ORDER, default id),
# as picket sync would send it
push_body() {
	local where=${3:-1} order=${4:-id} node
	node=$(sed -n 's/^node *= *//p' "$T/$1/picket.conf")
	csql "$1" "SELECT json_object('protocol', 1, 'node', '$node',
	   'events', json_group_array(json(e)))
	   FROM (SELECT CASE op WHEN 'create' THEN
	      json_object('uuid', event_uuid, 'entity', entity, 'entity_uuid', entity_uuid,
	        'op', op, 'value', json(value), 'hlc', hlc, 'origin', origin, 'actor', actor,
	        'at', at)
	    ELSE
	      json_object('uuid', event_uuid, 'entity', entity, 'entity_uuid', entity_uuid,
	        'op', op, 'field', field, 'value', json(value), 'hlc', hlc, 'base', base,
	        'origin', origin, 'actor', actor, 'at', at)
	    END AS e FROM oplog WHERE $where ORDER BY $order)" >"$2"
}

# jlen JSON PATH: the length of the array at PATH
jlen() {
	printf '%s' "$1" >"$T/.json"
	sqlite3 -batch -noheader :memory: \
		"SELECT json_array_length(CAST(readfile('$T/.json') AS TEXT), '$2')"
}

# bg_pc NAME ARGS...: picket as client NAME in the background, its output
# in $T/NAME.out and .err; its pid in $BG_PID (wait_bg collects it)
bg_pc() {
	local c=$1
	shift
	(
		export PICKET_USER=${CLIENT_USER[$c]}
		exec "$PICKET" --db "$T/$c/picket.db" --config "$T/$c/picket.conf" "$@"
	) >"$T/$c.out" 2>"$T/$c.err" &
	BG_PID=$!
	track $BG_PID
}

# wait_bg PID: waits for it; its exit status in $RC, output in $OUT/$ERR
# of the client named by $2
wait_bg() {
	wait "$1"
	RC=$?
	OUT=$(cat "$T/$2.out")
	ERR=$(cat "$T/$2.err")
}

# wait_until SECONDS CMD...: polls CMD every 20 ms until it succeeds;
# 1 when time ran out
wait_until() {
	local end=$(($(now_ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(now_ms)" -lt $end ] || return 1
		sleep 0.02
	done
}
