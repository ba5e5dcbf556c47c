#!/bin/sh
# POSIX sh (dash is fine; needs GNU date for +%N, openssl, curl, sqlite3
# and awk).
# Variables named C_* and T_* are set and read through eval:
# shellcheck disable=SC2153,SC2154
#
# The sync benchmark (issue 5, "Speed"): picket sync and picketd over
# HTTPS on 127.0.0.1, on generated data.
#
#   sh tests/bench/sync.sh BUILD_DIR [N]
#
# N: tickets to generate (default $BENCH_N, else 100000); about 3 comments
# a ticket, one event each, so about 4N events.  BUILD_DIR holds `picket`,
# `picketd` and, after `cmake --build BUILD_DIR --target bench-tools`,
# `picket-gen` and `picket-load` (otherwise they are compiled from
# tests/bench/gen.c and load.c with $CC).
#
# Environment:
#   BENCH_N        ticket count when N is not given
#   BENCH_SEED     generator seed (default 42)
#   BENCH_RUNS     first-sync repetitions per batch size (default 3 when
#                  N <= 200000, else 1)
#   BENCH_BATCHES  [sync] batch values to measure the first sync with,
#                  alternating (default "1000 5000"; 1000 is the default)
#   BENCH_NOOP_RUNS  runs of the sync with nothing to do (default 11, after
#                  2 warm-ups)
#   BENCH_LOAD_CLIENTS  concurrent pulling clients (default 32)
#   BENCH_LOAD_SECONDS  length of one load run (default 10)
#   BENCH_LOAD_RUNS     load runs (default 3)
#   BENCH_SQL_PROFILE=1  run the first syncs with PICKET_SQL_PROFILE=1 and
#                  keep each profile in the scratch directory (the top
#                  statements of the last run go into the summary); the
#                  profiling itself costs a little time
#   BENCH_REV      the commit BUILD_DIR was built from, for the summary
#                  (default: this checkout's HEAD when the script starts,
#                  "+changes" added when src/ or include/ differ from it)
#   BENCH_NO_HYPERFINE=1   time the no-op sync with the shell loop even if
#                  hyperfine is installed
#   KEEP=1         keep the scratch directory (under ${TMPDIR:-/tmp})
#   BENCH_STORE    picketd's store: sqlite (default) or postgresql (a
#                  PostgreSQL server of the benchmark's own, initdb from
#                  PG_BIN, default the newest /usr/lib/postgresql/*/bin, run
#                  as the user postgres when root; Unix socket only, its
#                  default settings otherwise)
#   BENCH_INSTANCES  picketd processes on the one store: 1 (default) or 2
#                  (postgresql only): A pushes through the first, B pulls
#                  through the second, and the load clients are split
#                  between them (two picket-load, half the clients each,
#                  requests and events summed, the worse latencies kept)
#
# What it measures (whole-process wall clock; CPU from GNU time for the
# client and /proc/PID/stat for picketd):
#   setup   a CA and a server certificate (SAN IP:127.0.0.1) made with
#           openssl; picketd with its defaults except listen 127.0.0.1,
#           port 0 (the kernel picks a free one; read back from its log),
#           TLS, store and users; users alice (supervisor: she pushes
#           comments signed by others), bob (technician) and load00..
#           (viewer, one per load client).
#   data    picket-gen N tickets, `picket init` + `picket import` into a
#           template database of client A (node BENCHA, user alice): every
#           ticket and comment is one unpushed event.
#   first   per run and batch size: picketd restarted on an empty store;
#           A = a copy of the template; B = a new `picket init` (node
#           BENCHB, user bob); timed: `picket sync` of A (pushes
#           everything), then `picket sync` of B (pulls everything).
#           Checked: nothing left to push, the store, A and B hold every
#           event, B the same tickets and comments as A (counts, text
#           lengths, time sums).  Batch sizes alternate within a run.
#   no-op   then `picket sync --quiet` of A and of B with nothing to do,
#           against the floor: curl making the same one request (GET
#           /v1/pull?after=HEAD&limit=BATCH over TLS, verified against the
#           test CA), and `picket --version` (the process start with
#           picket's libraries); 11 runs after 2 warm-ups, medians.
#   load    picket-load: BENCH_LOAD_CLIENTS threads (32), each with its
#           own keep-alive libcurl handle and its own viewer token, pulling
#           pages of 1000 from random cursors in 0..head for 10 s;
#           requests/s, events/s, p50/p99 latency, errors; picketd with
#           its default thread pool ([server] threads not set: 4) and
#           default rate limit (per user).
# The summary (Markdown) goes to stdout and to $SCRATCH/summary.md.

set -eu

prog=sync-bench
die() {
	echo "$prog: $*" >&2
	exit 1
}
note() {
	echo "$prog: $*" >&2
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: sh tests/bench/sync.sh BUILD_DIR [N]" >&2
	exit 2
fi

BUILD=$1
N=${2:-${BENCH_N:-100000}}
SEED=${BENCH_SEED:-42}
case $N in '' | *[!0-9]*) die "N must be a number of tickets: $N" ;; esac
[ "$N" -ge 1 ] || die "N must be at least 1"
if [ -n "${BENCH_RUNS:-}" ]; then
	RUNS=$BENCH_RUNS
elif [ "$N" -le 200000 ]; then
	RUNS=3
else
	RUNS=1
fi
BATCHES=${BENCH_BATCHES:-1000 5000}
for b in $BATCHES; do
	case $b in '' | *[!0-9]*) die "BENCH_BATCHES: not a number: $b" ;; esac
	{ [ "$b" -ge 1 ] && [ "$b" -le 5000 ]; } || die "BENCH_BATCHES: $b is not from 1 to 5000"
done
NOOP_RUNS=${BENCH_NOOP_RUNS:-11}
NOOP_WARM=2
LOAD_CLIENTS=${BENCH_LOAD_CLIENTS:-32}
LOAD_SECONDS=${BENCH_LOAD_SECONDS:-10}
LOAD_RUNS=${BENCH_LOAD_RUNS:-3}
LOAD_LIMIT=1000
STORE=${BENCH_STORE:-sqlite}
INSTANCES=${BENCH_INSTANCES:-1}
case $STORE in sqlite | postgresql) ;; *) die "BENCH_STORE: sqlite or postgresql, not $STORE" ;; esac
case $INSTANCES in 1 | 2) ;; *) die "BENCH_INSTANCES: 1 or 2, not $INSTANCES" ;; esac
[ "$INSTANCES" = 1 ] || [ "$STORE" = postgresql ] || die "BENCH_INSTANCES=2 needs BENCH_STORE=postgresql"

here=$(cd "$(dirname "$0")" && pwd)
[ -d "$BUILD" ] || die "no build directory: $BUILD"
BUILD=$(cd "$BUILD" && pwd)
PICKET=$BUILD/picket
PICKETD=$BUILD/picketd
[ -x "$PICKET" ] || die "picket not found at $PICKET: build it first (cmake --build $BUILD)"
[ -x "$PICKETD" ] || die "picketd not found at $PICKETD: build it first (cmake --build $BUILD)"
for t in openssl curl sqlite3 awk; do
	command -v $t >/dev/null 2>&1 || die "$t is needed"
done
case $(date +%N) in *N* | '') die "date +%N is not supported (GNU date needed)" ;; esac
TIMECMD=
if /usr/bin/time -f '%e %U %S' -o /dev/null true 2>/dev/null; then
	TIMECMD=/usr/bin/time
fi
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/picket-sync-bench.XXXXXX") || die "cannot create a scratch directory"
SRV_PID=
SRV_PID2=
PG_DIR=
# stop_pid PID: SIGTERM, then SIGKILL after 10 s
stop_pid() {
	kill -TERM "$1" 2>/dev/null || true
	w=0
	while kill -0 "$1" 2>/dev/null && [ $w -lt 100 ]; do
		sleep 0.1
		w=$((w + 1))
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
srv_stop() {
	if [ -n "$SRV_PID" ]; then
		stop_pid "$SRV_PID"
		SRV_PID=
	fi
	if [ -n "$SRV_PID2" ]; then
		stop_pid "$SRV_PID2"
		SRV_PID2=
	fi
}
# as_pg CMD...: a PostgreSQL tool as the cluster's owner
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}
pg_stop() {
	if [ -n "$PG_DIR" ]; then
		as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
		rm -rf "$PG_DIR"
		PG_DIR=
	fi
}
cleanup() {
	srv_stop
	pg_stop
	if [ "${KEEP:-0}" = 1 ]; then
		note "scratch directory kept: $SCRATCH"
	else
		rm -rf "$SCRATCH"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
case $SCRATCH$BUILD in *"'"* | *" "*) die "paths must not contain a quote or a space: $SCRATCH $BUILD" ;; esac

# picket reads no configuration of this machine or user.
XDG_CONFIG_HOME=$SCRATCH/xdg-config
XDG_DATA_HOME=$SCRATCH/xdg-data
export XDG_CONFIG_HOME XDG_DATA_HOME
unset PICKET_DB PICKET_NOW PICKET_CONFIG PICKET_SQL_PROFILE 2>/dev/null || true

# --- helpers ---------------------------------------------------------

# now_ns, secs, median, rate, ratio, mb, fsize, run_or_die: tests/bench/lib.sh
. "$here/lib.sh"

# median with D decimals
median_d() {
	median | awk -v d="$1" '{ if ($1 == "n/a") print; else printf "%.*f\n", d, $1 }'
}

# srv_cpu: picketd's CPU seconds so far (user + system; both instances),
# not PostgreSQL's
srv_cpu() {
	for p in $SRV_PID $SRV_PID2; do cat "/proc/$p/stat"; done |
		awk -v t="$CLK_TCK" '{ sub(/^.*\) /, ""); c += ($12 + $13) / t } END { printf "%.2f", c }'
}

# timed LABEL CMD...: runs CMD (output to $SCRATCH/LABEL.out/err), dies
# when it fails; sets T_WALL (s), T_CPU (client user + system s, or n/a)
# and T_SRV (picketd's CPU s meanwhile).
timed() {
	label=$1
	shift
	trc=0
	c0=$(srv_cpu)
	t0=$(now_ns)
	if [ -n "$TIMECMD" ]; then
		"$TIMECMD" -f '%e %U %S' -o "$SCRATCH/$label.time" "$@" \
			>"$SCRATCH/$label.out" 2>"$SCRATCH/$label.err" || trc=$?
	else
		"$@" >"$SCRATCH/$label.out" 2>"$SCRATCH/$label.err" || trc=$?
	fi
	t1=$(now_ns)
	c1=$(srv_cpu)
	if [ "$trc" != 0 ]; then
		echo "$prog: FAILED ($trc): $*" >&2
		tail -n 20 "$SCRATCH/$label.err" >&2
		tail -n 5 "$SCRATCH/$label.out" >&2
		tail -n 5 "$SCRATCH/srv/log" >&2
		exit 1
	fi
	T_WALL=$(secs "$t0" "$t1")
	T_CPU=n/a
	if [ -n "$TIMECMD" ]; then
		T_CPU=$(tail -n 1 "$SCRATCH/$label.time" | awk '{ printf "%.2f", $2 + $3 }')
	fi
	T_SRV=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f", b - a }')
}

# --- a. tools ---------------------------------------------------------

# tool NAME SOURCE [CFLAGS...]: BUILD's picket-NAME (bench-tools), else
# SOURCE compiled into the scratch directory; the path goes to stdout
tool() {
	name=$1 src=$2
	shift 2
	for g in "$BUILD/picket-$name" "$BUILD/tests/bench/picket-$name"; do
		if [ -x "$g" ]; then
			echo "$g"
			return
		fi
	done
	note "picket-$name not built (cmake --build $BUILD --target bench-tools); compiling $src"
	${CC:-cc} -O2 -std=c11 -o "$SCRATCH/picket-$name" "$here/$src" "$@" ||
		die "cannot compile $here/$src"
	echo "$SCRATCH/picket-$name"
}
GEN=$(tool gen gen.c) || exit 1
# shellcheck disable=SC2046 # pkg-config's words
LOAD=$(tool load load.c -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	$(pkg-config --cflags --libs libcurl) -pthread) || exit 1

note "scratch: $SCRATCH"
# The commit, read now: others may commit while this runs.  BENCH_REV names
# the commit BUILD_DIR was built from when it is not this checkout's HEAD;
# "+changes" when the checkout has uncommitted changes under src/ or
# include/ (the build may hold them).
REV=${BENCH_REV:-$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo "unknown")}
if [ -z "${BENCH_REV:-}" ] && [ -n "$(git -C "$here/../.." status --porcelain -- src include 2>/dev/null)" ]; then
	REV="$REV+changes"
fi

# --- b. certificates ----------------------------------------------------

PKI=$SCRATCH/pki
mkdir -p "$PKI"
(
	cd "$PKI"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out ca.key &&
		openssl req -x509 -new -key ca.key -sha256 -days 2 -subj "/CN=picket sync bench CA" \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem &&
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out server.key &&
		openssl req -new -key server.key -subj "/CN=127.0.0.1" -out server.csr &&
		printf '%s\n' "basicConstraints = CA:FALSE" "keyUsage = critical,digitalSignature" \
			"extendedKeyUsage = serverAuth" "subjectAltName = IP:127.0.0.1" >server.ext &&
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
			-sha256 -extfile server.ext -out server.pem &&
		chmod 600 ca.key server.key
) >"$PKI/openssl.log" 2>&1 || {
	cat "$PKI/openssl.log" >&2
	die "openssl could not make the certificates"
}

# --- c. picketd ---------------------------------------------------------

SRV=$SCRATCH/srv
mkdir -p "$SRV"
chmod 700 "$SRV"
# Defaults for everything but where it listens and its files: threads 4,
# max_connections 64, rate 100 a second per user, log level info (one line
# a request, to the log file below).
cat >"$SRV/picketd.conf" <<EOF
[server]
listen = 127.0.0.1
port = 0
[tls]
cert = $PKI/server.pem
key = $PKI/server.key
[auth]
users = $SRV/users
[classification]
ceiling = CONFIDENTIAL
EOF
PGDB=picketd_bench
if [ "$STORE" = postgresql ]; then
	PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
	[ -x "$PG_BIN/initdb" ] || die "no initdb in '$PG_BIN': install postgresql"
	# outside the scratch directory: the user postgres must reach it
	PG_DIR=$(mktemp -d /tmp/picket-bench-pg.XXXXXX) || die "cannot create a directory"
	[ "$(id -u)" != 0 ] || chown postgres: "$PG_DIR"
	chmod 700 "$PG_DIR"
	note "PostgreSQL: initdb in $PG_DIR"
	as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U picket -A trust -E UTF8 --locale=C \
		>"$SCRATCH/initdb.log" 2>&1 || die "initdb failed: $(tail -n 3 "$SCRATCH/initdb.log")"
	as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 60 \
		-o "-c listen_addresses='' -k $PG_DIR" start >"$SCRATCH/pg_ctl.log" 2>&1 ||
		die "PostgreSQL did not start: $(tail -n 3 "$PG_DIR/log")"
	PG_VERSION=$("$PG_BIN/postgres" --version | awk '{ print $NF }')
	printf '[store]\nbackend = postgresql\nconninfo = host=%s user=picket dbname=%s\n' \
		"$PG_DIR" "$PGDB" >>"$SRV/picketd.conf"
else
	printf '[store]\npath = %s\n' "$SRV/store.db" >>"$SRV/picketd.conf"
fi
# psql_bench ARGS...: psql on the benchmark's PostgreSQL server
psql_bench() {
	"$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$PG_DIR" -U picket "$@"
}
# stored_events: the events picketd's store holds
stored_events() {
	if [ "$STORE" = postgresql ]; then
		psql_bench -d "$PGDB" -c "SELECT count(*) FROM events"
	else
		sqlite3 "$SRV/store.db" "SELECT count(*) FROM events"
	fi
}
SRV_THREADS=$("$PICKETD" --help 2>/dev/null | awk '/server.threads/ { t = 1; next } t && /default:/ { print $2; exit }')
SRV_RATE=$("$PICKETD" --help 2>/dev/null | awk '/server.rate/ { t = 1; next } t && /default:/ { print $2; exit }')
adduser() {
	"$PICKETD" adduser "$1" --role "$2" --config "$SRV/picketd.conf" 2>>"$SRV/adduser.log" ||
		die "picketd adduser $1 failed: $(tail -n 1 "$SRV/adduser.log")"
}
# alice pushes the imported desk: its comments are signed by their authors,
# which picketd takes only from a supervisor (a technician may push only
# events signed by themselves).
adduser alice supervisor >"$SCRATCH/alice.token"
adduser bob technician >"$SCRATCH/bob.token"
: >"$SCRATCH/load.tokens"
i=0
while [ $i -lt "$LOAD_CLIENTS" ]; do
	adduser "load$(printf %02d $i)" viewer >>"$SCRATCH/load.tokens"
	i=$((i + 1))
done
chmod 600 "$SCRATCH"/*.token "$SCRATCH/load.tokens"

# srv_launch CONF LOG: starts picketd; sets LPID and LPORT once it answers
srv_launch() {
	: >"$2"
	"$PICKETD" --config "$1" 2>>"$2" &
	LPID=$!
	LPORT=
	w=0
	while [ $w -lt 200 ]; do
		kill -0 "$LPID" 2>/dev/null || {
			cat "$2" >&2
			die "picketd did not start"
		}
		LPORT=$(sed -n 's|.*listening on https://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' "$2" | head -n 1)
		if [ -n "$LPORT" ] && curl -s --max-time 2 --cacert "$PKI/ca.pem" -o /dev/null \
			"https://127.0.0.1:$LPORT/health"; then
			break
		fi
		LPORT=
		sleep 0.05
		w=$((w + 1))
	done
	[ -n "$LPORT" ] || {
		tail -n 5 "$2" >&2
		die "picketd did not answer /health within 10 s"
	}
}

# srv_start: picketd (BENCH_INSTANCES of them) on an empty store; sets
# SRV_PID, PORT, URL (and SRV_PID2, URL2: the second, else the first)
srv_start() {
	srv_stop
	if [ "$STORE" = postgresql ]; then
		psql_bench -d postgres -c "DROP DATABASE IF EXISTS $PGDB" -c "CREATE DATABASE $PGDB" ||
			die "cannot make database $PGDB"
	else
		rm -f "$SRV/store.db" "$SRV/store.db-wal" "$SRV/store.db-shm"
	fi
	srv_launch "$SRV/picketd.conf" "$SRV/log"
	SRV_PID=$LPID
	PORT=$LPORT
	URL=https://127.0.0.1:$PORT
	URL2=$URL
	if [ "$INSTANCES" = 2 ]; then
		srv_launch "$SRV/picketd.conf" "$SRV/log2"
		SRV_PID2=$LPID
		URL2=https://127.0.0.1:$LPORT
	fi
}

# client_conf NAME USER NODE BATCH [URL]: the configuration of client
# NAME, syncing as USER with [sync] batch = BATCH, token file 0600
client_conf() {
	mkdir -p "$SCRATCH/$1"
	cp "$SCRATCH/$2.token" "$SCRATCH/$1/token"
	chmod 600 "$SCRATCH/$1/token"
	printf '[core]\nnode = %s\n[sync]\nurl = %s\ntoken_file = %s\nca_file = %s\nbatch = %s\n' \
		"$3" "${5:-${URL:-https://127.0.0.1:1}}" "$SCRATCH/$1/token" "$PKI/ca.pem" "$4" \
		>"$SCRATCH/$1/picket.conf"
}

# pb ARGS...: picket as client B (bob)
pb() {
	PICKET_USER=bob "$PICKET" --db "$SCRATCH/B/picket.db" --config "$SCRATCH/B/picket.conf" "$@"
}

# --- d. data ------------------------------------------------------------

note "generating $N tickets (seed $SEED)"
t0=$(now_ns)
"$GEN" --seed "$SEED" --format jsonl "$N" "$SCRATCH/data.jsonl" 2>"$SCRATCH/gen.log" ||
	{ cat "$SCRATCH/gen.log" >&2; die "picket-gen failed"; }
t1=$(now_ns)
cat "$SCRATCH/gen.log" >&2
GEN_S=$(secs "$t0" "$t1")
NCOMMENTS=$(sed -n 's/.* tickets, \([0-9]*\) comments.*/\1/p' "$SCRATCH/gen.log" | head -n 1)

TMPL=$SCRATCH/template.db
client_conf A alice BENCHA 1000
note "picket import into client A's template"
run_or_die env PICKET_USER=alice "$PICKET" --db "$TMPL" --config "$SCRATCH/A/picket.conf" init
t0=$(now_ns)
run_or_die env PICKET_USER=alice "$PICKET" --db "$TMPL" --config "$SCRATCH/A/picket.conf" import "$SCRATCH/data.jsonl"
t1=$(now_ns)
IMPORT_S=$(secs "$t0" "$t1")
sqlite3 "$TMPL" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
EVENTS=$(sqlite3 "$TMPL" "SELECT count(*) FROM oplog")
UNPUSHED=$(sqlite3 "$TMPL" "SELECT count(*) FROM oplog WHERE pushed = 0")
[ "$EVENTS" = "$UNPUSHED" ] || die "the template has pushed events: $UNPUSHED of $EVENTS unpushed"
SZ_TMPL=$(fsize "$TMPL")
note "  import $IMPORT_S s; $EVENTS events to push"

# The replicated content of a client, to compare A and B.
content_sql="SELECT (SELECT count(*) FROM tickets) || ' tickets, ' ||
  (SELECT count(*) FROM comments) || ' comments, ' || (SELECT count(*) FROM oplog) || ' events; ' ||
  (SELECT sum(length(title)) + sum(length(description)) + sum(created_at) + sum(priority)
   FROM tickets) || ' ' ||
  (SELECT sum(length(body)) + sum(created_at) + sum(minutes) FROM comments) || ' (text lengths and times)'"

# --- e. first sync ------------------------------------------------------

# first_sync RUN BATCH: one push from A and one pull to B, on a new store
first_sync() {
	run=$1
	batch=$2
	srv_start
	rm -rf "$SCRATCH/A/picket.db"* "$SCRATCH/B"
	client_conf A alice BENCHA "$batch"
	client_conf B bob BENCHB "$batch" "$URL2"
	cp "$TMPL" "$SCRATCH/A/picket.db"
	chmod 600 "$SCRATCH/A/picket.db"
	run_or_die pb init
	sync "$SCRATCH/A/picket.db"
	prof=
	if [ "${BENCH_SQL_PROFILE:-0}" = 1 ]; then
		prof=PICKET_SQL_PROFILE=1
	fi
	note "run $run, batch $batch: push from A"
	timed "push-$run-$batch" env PICKET_USER=alice $prof "$PICKET" --db "$SCRATCH/A/picket.db" \
		--config "$SCRATCH/A/picket.conf" sync --json
	echo "$T_WALL" >>"$SCRATCH/push-$batch.times"
	echo "$T_CPU" >>"$SCRATCH/push-$batch.cpu"
	echo "$T_SRV" >>"$SCRATCH/push-$batch.srv"
	P_WALL=$T_WALL P_CPU=$T_CPU P_SRV=$T_SRV
	pushed=$(sed -n 's/.*"pushed": *\([0-9]*\).*/\1/p' "$SCRATCH/push-$run-$batch.out")
	pending=$(sed -n 's/.*"pending": *\([0-9]*\).*/\1/p' "$SCRATCH/push-$run-$batch.out")
	stored=$(stored_events)
	if [ "$pushed" != "$EVENTS" ] || [ "$pending" != 0 ] || [ "$stored" != "$EVENTS" ]; then
		die "push incomplete: pushed $pushed, pending $pending, stored $stored of $EVENTS"
	fi
	note "  push $T_WALL s (client CPU $T_CPU s, picketd CPU $T_SRV s)"

	note "run $run, batch $batch: pull to B"
	timed "pull-$run-$batch" env PICKET_USER=bob $prof "$PICKET" --db "$SCRATCH/B/picket.db" \
		--config "$SCRATCH/B/picket.conf" sync --json
	echo "$T_WALL" >>"$SCRATCH/pull-$batch.times"
	echo "$T_CPU" >>"$SCRATCH/pull-$batch.cpu"
	echo "$T_SRV" >>"$SCRATCH/pull-$batch.srv"
	pulled=$(sed -n 's/.*"pulled": *\([0-9]*\).*/\1/p' "$SCRATCH/pull-$run-$batch.out")
	[ "$pulled" = "$EVENTS" ] || die "pull incomplete: pulled $pulled of $EVENTS"
	note "  pull $T_WALL s (client CPU $T_CPU s, picketd CPU $T_SRV s)"
	ca=$(sqlite3 "$SCRATCH/A/picket.db" "$content_sql")
	cb=$(sqlite3 "$SCRATCH/B/picket.db" "$content_sql")
	[ "$ca" = "$cb" ] || die "A and B differ after the sync: A: $ca; B: $cb"
	SAME="yes ($cb)"
	echo "| $run | $batch | $P_WALL | $P_CPU | $P_SRV | $T_WALL | $T_CPU | $T_SRV |" >>"$SCRATCH/first.rows"
}

: >"$SCRATCH/first.rows"
for b in $BATCHES; do
	for f in push pull; do
		: >"$SCRATCH/$f-$b.times"
		: >"$SCRATCH/$f-$b.cpu"
		: >"$SCRATCH/$f-$b.srv"
	done
done
r=1
while [ "$r" -le "$RUNS" ]; do
	# alternate the order of the batch sizes from run to run
	if [ $((r % 2)) = 1 ]; then
		order=$BATCHES
	else
		# shellcheck disable=SC2086 # one word a batch size
		order=$(printf '%s\n' $BATCHES | sort -rn | tr '\n' ' ')
	fi
	for b in $order; do
		first_sync "$r" "$b"
		if [ "${BENCH_SQL_PROFILE:-0}" = 1 ]; then
			LAST_PROF_BATCH=$b
			LAST_PROF_RUN=$r
		fi
	done
	r=$((r + 1))
done
if [ "$STORE" = postgresql ]; then
	STORE_SZ=$(psql_bench -d "$PGDB" -c "SELECT pg_database_size('$PGDB')")
else
	STORE_SZ=$(fsize "$SRV/store.db")
fi
B_SZ=$(fsize "$SCRATCH/B/picket.db")
LAST_BATCH=$batch

# --- f. sync with nothing to do -------------------------------------------

HEAD=$(curl -s --cacert "$PKI/ca.pem" "$URL/health" | sed -n 's/.*"head": *\([0-9]*\).*/\1/p')
printf 'Authorization: Bearer %s\nPicket-Protocol: 1\n' "$(cat "$SCRATCH/bob.token")" >"$SCRATCH/headers"
chmod 600 "$SCRATCH/headers"
C_NOOP_A="env PICKET_USER=alice $PICKET --db $SCRATCH/A/picket.db --config $SCRATCH/A/picket.conf sync --quiet"
C_NOOP_B="env PICKET_USER=bob $PICKET --db $SCRATCH/B/picket.db --config $SCRATCH/B/picket.conf sync --quiet"
C_NOOP_F="curl -s -f -o /dev/null --cacert $PKI/ca.pem -H @$SCRATCH/headers $URL/v1/pull?after=$HEAD&limit=$LAST_BATCH"
C_NOOP_E="$PICKET --version"
TIMER=loop
if [ "${BENCH_NO_HYPERFINE:-0}" != 1 ] && command -v hyperfine >/dev/null 2>&1 &&
	hyperfine --help 2>/dev/null | grep -q -- '--shell=none'; then
	TIMER="hyperfine $(hyperfine --version | awk '{ print $2 }')"
fi
# The commands are split into words unquoted below: no globbing (the URL
# has a '?').
set -f
for w in A B F E; do
	eval "c=\$C_NOOP_$w"
	# shellcheck disable=SC2086 # the command's words
	$c >/dev/null 2>"$SCRATCH/noop.err" || {
		cat "$SCRATCH/noop.err" >&2
		die "FAILED: $c"
	}
done
ea=$(sqlite3 "$SCRATCH/A/picket.db" "SELECT count(*) FROM oplog")
note "sync with nothing to do ($TIMER, $NOOP_RUNS runs after $NOOP_WARM warm-ups)"
if [ "$TIMER" != loop ]; then
	hyperfine -N --warmup "$NOOP_WARM" --runs "$NOOP_RUNS" --style basic \
		--export-json "$SCRATCH/noop.json" "$C_NOOP_A" "$C_NOOP_B" "$C_NOOP_F" "$C_NOOP_E" \
		>"$SCRATCH/noop.log" 2>&1 || {
		tail -n 20 "$SCRATCH/noop.log" >&2
		die "hyperfine failed"
	}
	sed -n 's/^ *"median": *\([0-9.eE+-]*\),*$/\1/p' "$SCRATCH/noop.json" |
		awk '{ printf "%.1f\n", $1 * 1000 }' >"$SCRATCH/noop.medians"
	i=1
	for w in A B F E; do
		eval "T_NOOP_$w=\$(sed -n \"${i}p\" \"\$SCRATCH/noop.medians\")"
		i=$((i + 1))
	done
else
	for w in A B F E; do
		: >"$SCRATCH/noop-$w.times"
	done
	k=1
	while [ "$k" -le $((NOOP_WARM + NOOP_RUNS)) ]; do
		for w in A B F E; do
			eval "c=\$C_NOOP_$w"
			s=$(now_ns)
			# shellcheck disable=SC2086
			$c >/dev/null 2>&1 || die "FAILED: $c"
			e=$(now_ns)
			[ "$k" -le "$NOOP_WARM" ] || echo $(((e - s) / 1000)) >>"$SCRATCH/noop-$w.times"
		done
		k=$((k + 1))
	done
	for w in A B F E; do
		eval "T_NOOP_$w=\$(awk '{ print \$1 / 1000 }' \"\$SCRATCH/noop-$w.times\" | median_d 1)"
	done
fi
set +f
eb=$(sqlite3 "$SCRATCH/A/picket.db" "SELECT count(*) FROM oplog")
[ "$ea" = "$eb" ] || die "the sync with nothing to do changed A's events: $ea -> $eb"

# --- g. 32 clients pulling -----------------------------------------------

note "load: $LOAD_CLIENTS clients, $LOAD_SECONDS s, $LOAD_RUNS runs"
: >"$SCRATCH/load.results"
: >"$SCRATCH/load.srvcpu"
i=1
while [ $i -le "$LOAD_RUNS" ]; do
	c0=$(srv_cpu)
	if [ "$INSTANCES" = 2 ]; then
		# half the clients (and tokens) on each instance, at once
		half=$((LOAD_CLIENTS / 2))
		head -n "$half" "$SCRATCH/load.tokens" >"$SCRATCH/load1.tokens"
		tail -n +$((half + 1)) "$SCRATCH/load.tokens" >"$SCRATCH/load2.tokens"
		chmod 600 "$SCRATCH/load1.tokens" "$SCRATCH/load2.tokens"
		"$LOAD" --url "$URL" --ca "$PKI/ca.pem" --tokens "$SCRATCH/load1.tokens" \
			--clients "$half" --seconds "$LOAD_SECONDS" --limit "$LOAD_LIMIT" \
			--seed "$i" >"$SCRATCH/load-$i-1.out" 2>&1 &
		l1=$!
		"$LOAD" --url "$URL2" --ca "$PKI/ca.pem" --tokens "$SCRATCH/load2.tokens" \
			--clients $((LOAD_CLIENTS - half)) --seconds "$LOAD_SECONDS" --limit "$LOAD_LIMIT" \
			--seed "$((i + 100))" >"$SCRATCH/load-$i-2.out" 2>&1 &
		l2=$!
		wait $l1 || note "picket-load reported errors (run $i, first instance)"
		wait $l2 || note "picket-load reported errors (run $i, second instance)"
		cat "$SCRATCH/load-$i-1.out" "$SCRATCH/load-$i-2.out" >"$SCRATCH/load-$i.out"
		# one RESULT: counts and rates summed, latencies the worse of the two
		grep -h '^RESULT ' "$SCRATCH/load-$i-1.out" "$SCRATCH/load-$i-2.out" | awk '
			{ for (f = 2; f <= NF; f++) { split($f, kv, "="); k = kv[1]; v = kv[2]
				if (!(k in a)) { order[++n] = k; a[k] = v }
				else if (k ~ /_ms$/ || k == "seconds") a[k] = (v + 0 > a[k] + 0 ? v : a[k])
				else a[k] += v } }
			END { if (n == 0) exit 1; printf "RESULT"
				for (j = 1; j <= n; j++) printf " %s=%s", order[j], a[order[j]]
				printf "\n" }' >>"$SCRATCH/load.results" || die "picket-load printed no result"
	else
		"$LOAD" --url "$URL" --ca "$PKI/ca.pem" --tokens "$SCRATCH/load.tokens" \
			--clients "$LOAD_CLIENTS" --seconds "$LOAD_SECONDS" --limit "$LOAD_LIMIT" \
			--seed "$i" >"$SCRATCH/load-$i.out" 2>&1 || {
			cat "$SCRATCH/load-$i.out" >&2
			note "picket-load reported errors (run $i); see above"
		}
		grep '^RESULT ' "$SCRATCH/load-$i.out" >>"$SCRATCH/load.results" ||
			die "picket-load printed no result"
	fi
	c1=$(srv_cpu)
	cat "$SCRATCH/load-$i.out" >&2
	awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f\n", b - a }' >>"$SCRATCH/load.srvcpu"
	i=$((i + 1))
done
# lval KEY: the values of KEY=... of the load runs, one a line
lval() {
	tr ' ' '\n' <"$SCRATCH/load.results" | sed -n "s/^$1=//p"
}
L_RPS=$(lval rps | median_d 1)
L_EVS=$(lval events_s | median_d 0)
L_MBS=$(lval mb_s | median_d 1)
L_P50=$(lval p50_ms | median_d 1)
L_P90=$(lval p90_ms | median_d 1)
L_P99=$(lval p99_ms | median_d 1)
L_MAX=$(lval max_ms | median_d 1)
L_ERR=$(lval errors | awk '{ s += $1 } END { print s + 0 }')
L_OK=$(lval ok | awk '{ s += $1 } END { print s + 0 }')
L_CONN=$(lval connects | awk '{ s += $1 } END { print s + 0 }')
L_CPU=$(lval cpu_s | median_d 2)
L_SEC=$(lval seconds | median_d 2)
L_SRV=$(median_d 2 <"$SCRATCH/load.srvcpu")
L_ALL_RPS=$(lval rps | tr '\n' ' ' | sed 's/ *$//')
L_ALL_P99=$(lval p99_ms | tr '\n' ' ' | sed 's/ *$//')
L_FIRST_ERR=$(sed -n 's/^  first error: //p' "$SCRATCH"/load-*.out | head -n 1)

# --- h. summary -------------------------------------------------------

if [ "$STORE" = postgresql ]; then
	STOREDESC="PostgreSQL ${PG_VERSION:-?} (default settings, Unix socket), $INSTANCES picketd instance(s): A pushes through the first, B pulls through the last, load clients split between them; picketd CPU excludes PostgreSQL's"
else
	STOREDESC=SQLite
fi
CPU=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo 2>/dev/null | head -n 1)
# shellcheck disable=SC1091
OS=$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-}")
PVER=$("$PICKET" --version 2>/dev/null | head -n 1 || true)
TLSLIB=$(curl --version | head -n 1 | tr ' ' '\n' | grep -i -m 1 -e '^OpenSSL/' -e '^GnuTLS/' || true)
MHDVER=$(pkg-config --modversion libmicrohttpd 2>/dev/null || echo '?')

target() { # target VALUE LIMIT UNIT
	awk -v v="$1" -v l="$2" -v u="$3" 'BEGIN {
		if (v == "n/a") print "n/a"
		else if (v + 0 < l + 0) printf "met (%s < %s %s)", v, l, u
		else printf "**missed**: %s %s, %.1fx the %s %s", v, u, v / l, l, u }'
}

{
	echo "### picket sync benchmark, $N tickets ($(date -u +%Y-%m-%d))"
	echo
	echo "- machine: $(nproc 2>/dev/null || echo '?') cores, ${CPU:-unknown CPU}, ${OS:-unknown OS}, $(uname -sr)"
	echo "- ${PVER:-picket ?} (rev $REV), SQLite $(sqlite3 --version | awk '{ print $1 }'), libmicrohttpd $MHDVER, client libcurl with ${TLSLIB:-?}; timer for the no-op sync: $TIMER"
	echo "- data: $N tickets, ${NCOMMENTS:-?} comments (seed $SEED): **$EVENTS events**; generated in $GEN_S s, imported into A in $IMPORT_S s ($(mb "$SZ_TMPL") MB)"
	echo "- picketd: defaults (threads ${SRV_THREADS:-?}, rate ${SRV_RATE:-?} requests/s per user, log level info to a file), TLS with an EC P-256 certificate, store on $STOREDESC"
	echo "- B after the first sync equals A: $SAME"
	echo
	echo "First sync ($RUNS run(s) per batch size, batch sizes alternating; whole \`picket sync\`, wall s;"
	echo "CPU: the client's user + system s, and picketd's meanwhile):"
	echo
	echo "| batch | push A -> picketd, s | client CPU | picketd CPU | pull picketd -> B, s | client CPU | picketd CPU | push events/s | pull events/s |"
	echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for b in $BATCHES; do
		pw=$(median_d 2 <"$SCRATCH/push-$b.times")
		lw=$(median_d 2 <"$SCRATCH/pull-$b.times")
		echo "| $b | $pw | $(median_d 2 <"$SCRATCH/push-$b.cpu") | $(median_d 2 <"$SCRATCH/push-$b.srv") | $lw | $(median_d 2 <"$SCRATCH/pull-$b.cpu") | $(median_d 2 <"$SCRATCH/pull-$b.srv") | $(rate "$EVENTS" "$pw") | $(rate "$EVENTS" "$lw") |"
	done
	echo
	echo "Every run (s):"
	echo
	echo "| run | batch | push | client CPU | picketd CPU | pull | client CPU | picketd CPU |"
	echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	cat "$SCRATCH/first.rows"
	echo
	for b in $BATCHES; do
		echo "- target, batch $b: push $(target "$(median_d 2 <"$SCRATCH/push-$b.times")" 10 s); pull $(target "$(median_d 2 <"$SCRATCH/pull-$b.times")" 10 s)"
	done
	echo "- sizes: picketd's store $(mb "$STORE_SZ") MB, B $(mb "$B_SZ") MB (the last run, before checkpoints)"
	echo
	echo "Sync with nothing to do, after the first sync (median ms of $NOOP_RUNS runs after $NOOP_WARM warm-ups; batch $LAST_BATCH; head $HEAD):"
	echo
	echo "| command | ms |"
	echo "| --- | ---: |"
	echo "| picket sync --quiet, client A (pushed everything) | $T_NOOP_A |"
	echo "| picket sync --quiet, client B (pulled everything) | $T_NOOP_B |"
	echo "| floor: curl, the same GET /v1/pull?after=HEAD over TLS | $T_NOOP_F |"
	echo "| floor: picket --version (process start, picket's libraries loaded) | $T_NOOP_E |"
	echo
	echo "- target: A $(target "$T_NOOP_A" 50 ms); B $(target "$T_NOOP_B" 50 ms)"
	echo
	echo "$LOAD_CLIENTS clients pulling (picket-load, $LOAD_RUNS runs of $LOAD_SECONDS s; each client a thread with its own"
	echo "keep-alive libcurl handle and viewer token, pages of $LOAD_LIMIT from random cursors in 0..$HEAD, TLS"
	echo "verified against the test CA; medians of the runs):"
	echo
	echo "| requests/s | events/s | MB/s | p50 ms | p90 ms | p99 ms | max ms | errors | picketd CPU s / run | load CPU s / run |"
	echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	echo "| $L_RPS | $L_EVS | $L_MBS | $L_P50 | $L_P90 | $L_P99 | $L_MAX | $L_ERR of $((L_OK + L_ERR)) | $L_SRV of $L_SEC | $L_CPU |"
	echo
	echo "- runs: requests/s $L_ALL_RPS; p99 ms $L_ALL_P99; connections opened during the runs: $L_CONN"
	[ -z "$L_FIRST_ERR" ] || echo "- first error: $L_FIRST_ERR"
	if [ -n "${LAST_PROF_BATCH:-}" ]; then
		echo
		echo "PICKET_SQL_PROFILE=1, run $LAST_PROF_RUN, batch $LAST_PROF_BATCH, top statements (ms, runs, SQL):"
		echo
		echo "push (client A):"
		echo
		echo '```'
		grep ' runs ' "$SCRATCH/push-$LAST_PROF_RUN-$LAST_PROF_BATCH.err" | head -n 8 | cut -c 1-150
		echo '```'
		echo
		echo "pull (client B):"
		echo
		echo '```'
		grep ' runs ' "$SCRATCH/pull-$LAST_PROF_RUN-$LAST_PROF_BATCH.err" | head -n 8 | cut -c 1-150
		echo '```'
	fi
} >"$SCRATCH/summary.md"

cat "$SCRATCH/summary.md"
