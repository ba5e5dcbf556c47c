#!/bin/sh
# POSIX sh; needs GNU date (+%N) and GNU time (/usr/bin/time -f).
#
# Import the same JSONL with two picket binaries, alternating, and report
# the medians: to tell what a change of the code did to the import time on
# a noisy machine (RESULTS.md, "SLA and escalation", import).
#
#   sh tests/bench/import-ab.sh PICKET_A PICKET_B DATA.jsonl [RUNS]
#
# PICKET_A and PICKET_B are picket binaries (say, a build of the commit
# before a change and one after it); DATA.jsonl comes from picket-gen
# (tests/bench/gen.c).  RUNS pairs (default 5): A then B, B then A, ...
# (the order swaps each pair).  Each import: `picket --db X.db init`
# (not timed), then `picket --db X.db import DATA.jsonl` under
# /usr/bin/time: wall clock, user and system CPU seconds.  The databases
# go to a scratch directory under ${TMPDIR:-/tmp}, removed after each run
# (KEEP=1: the last database of each binary is kept).
#
# Environment: PICKET_PROFILE=1 also runs each import with
# PICKET_SQL_PROFILE=1 and keeps its per-statement report as
# $SCRATCH/profile-A-N.txt (the profile costs time: such runs are not
# comparable with runs without it).

set -eu

prog=import-ab
die() {
	echo "$prog: $*" >&2
	exit 1
}

if [ $# -lt 3 ] || [ $# -gt 4 ]; then
	echo "usage: sh tests/bench/import-ab.sh PICKET_A PICKET_B DATA.jsonl [RUNS]" >&2
	exit 2
fi
PA=$1
PB=$2
DATA=$3
RUNS=${4:-5}
case $RUNS in '' | *[!0-9]*) die "RUNS must be a number: $RUNS" ;; esac
[ -x "$PA" ] || die "not a program: $PA"
[ -x "$PB" ] || die "not a program: $PB"
[ -r "$DATA" ] || die "cannot read $DATA"
[ -x /usr/bin/time ] || die "GNU time (/usr/bin/time) is needed"

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/picket-ab.XXXXXX") || die "cannot create a scratch directory"
trap 'if [ "${KEEP:-0}" = 1 ]; then echo "$prog: kept $SCRATCH" >&2; else rm -rf "$SCRATCH"; fi' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

: >"$SCRATCH/picket.conf"
PICKET_CONFIG=$SCRATCH/picket.conf
XDG_CONFIG_HOME=$SCRATCH/xdg-config
XDG_DATA_HOME=$SCRATCH/xdg-data
PICKET_USER=${PICKET_USER:-bench}
export PICKET_CONFIG XDG_CONFIG_HOME XDG_DATA_HOME PICKET_USER
unset PICKET_DB PICKET_NOW PICKET_SQL_PROFILE 2>/dev/null || true

median() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "n/a"; exit }
		if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.2f\n", m }'
}

# one WHO BINARY N: one import; appends "wall user sys" to $SCRATCH/WHO.times
one() {
	db=$SCRATCH/$1.db
	rm -f "$db" "$db-wal" "$db-shm" "$db-journal"
	"$2" --db "$db" init >/dev/null || die "$2 init failed"
	if [ "${PICKET_PROFILE:-0}" = 1 ]; then
		PICKET_SQL_PROFILE=1 /usr/bin/time -f '%e %U %S' -o "$SCRATCH/time" \
			"$2" --db "$db" import "$DATA" >/dev/null 2>"$SCRATCH/profile-$1-$3.txt" ||
			die "$2 import failed"
	else
		/usr/bin/time -f '%e %U %S' -o "$SCRATCH/time" "$2" --db "$db" import "$DATA" \
			>/dev/null 2>"$SCRATCH/err" || {
			cat "$SCRATCH/err" >&2
			die "$2 import failed"
		}
	fi
	tail -n 1 "$SCRATCH/time" >>"$SCRATCH/$1.times"
	echo "$prog: run $3: $1 $(tail -n 1 "$SCRATCH/time") (wall, user, sys s)" >&2
	[ "${KEEP:-0}" = 1 ] || rm -f "$db" "$db-wal" "$db-shm" "$db-journal"
}

: >"$SCRATCH/A.times"
: >"$SCRATCH/B.times"
i=1
while [ "$i" -le "$RUNS" ]; do
	if [ $((i % 2)) = 1 ]; then
		one A "$PA" "$i"
		one B "$PB" "$i"
	else
		one B "$PB" "$i"
		one A "$PA" "$i"
	fi
	i=$((i + 1))
done

col() {
	awk -v c="$1" '{ print $c }' "$SCRATCH/$2.times" | median
}
cpu() {
	awk '{ print $2 + $3 }' "$SCRATCH/$1.times" | median
}
all() {
	awk '{ printf "%s%s", (NR > 1 ? " " : ""), $1 }' "$SCRATCH/$1.times"
}
echo "| picket | wall s (median) | user s | sys s | CPU s | runs, wall (s) |"
echo "| --- | ---: | ---: | ---: | ---: | --- |"
echo "| A: $PA | $(col 1 A) | $(col 2 A) | $(col 3 A) | $(cpu A) | $(all A) |"
echo "| B: $PB | $(col 1 B) | $(col 2 B) | $(col 3 B) | $(cpu B) | $(all B) |"
echo "| ratio B / A | $(awk -v a="$(col 1 A)" -v b="$(col 1 B)" 'BEGIN { printf "%.2f", b / a }') | | | $(awk -v a="$(cpu A)" -v b="$(cpu B)" 'BEGIN { printf "%.2f", b / a }') | |"
echo
echo "$RUNS pairs, alternating, $(wc -c <"$DATA" | tr -d ' ') bytes of JSONL ($DATA), $(date -u +%Y-%m-%d)"
