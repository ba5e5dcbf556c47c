#!/bin/sh
# Runs each libFuzzer target for SECONDS on a scratch copy of its seed
# corpus (the checked-in one is never written), after replaying the inputs
# of regressions/TARGET (earlier crashes, kept as tests).  "smoke" instead
# of SECONDS runs a fixed number of inputs (10,000; 2,000 bundles) from a
# fixed seed, so the short run of make test is the same on every machine.
# Usage: run.sh BUILD_DIR SECONDS|smoke
set -eu
BUILD=$1
SECONDS_EACH=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for t in query sanitize config import protocol json bundle; do
	bin=$(find "$BUILD" -name "fuzz_$t" -type f | head -1)
	[ -n "$bin" ] || { echo "fuzz: fuzz_$t not built in $BUILD" >&2; exit 1; }
	bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
	if [ -d "$here/regressions/$t" ] && [ -n "$(ls -A "$here/regressions/$t")" ]; then
		"$bin" "$here"/regressions/$t/* >"$work/$t.replay" 2>&1 ||
			{ echo "fuzz: $t: a regression input fails again" >&2; tail -30 "$work/$t.replay" >&2; status=1; }
	fi
	mkdir -p "$work/$t"
	cp "$here/corpus/$t/"* "$work/$t/"
	if [ "$SECONDS_EACH" = smoke ]; then
		# a bundle input is a file read twice and merged: fewer of them
		runs=10000
		[ "$t" != bundle ] || runs=2000
		limit="-seed=1 -runs=$runs"
		echo "fuzz: $t, $runs inputs from seed 1"
	else
		limit="-max_total_time=$SECONDS_EACH"
		echo "fuzz: $t for ${SECONDS_EACH}s"
	fi
	# shellcheck disable=SC2086
	if ! (cd "$work" && "$bin" $limit -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 "$work/$t" >"$work/$t.log" 2>&1); then
		echo "fuzz: $t found a failure; the input is in the log below" >&2
		tail -40 "$work/$t.log" >&2
		ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* 2>/dev/null >&2 || true
		mkdir -p "$here/found"
		cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$here/found/" 2>/dev/null || true
		status=1
	fi
	grep -E "stat::number_of_executed_units|stat::new_units_added" "$work/$t.log" | tr '\n' ' '
	echo
done
exit $status
