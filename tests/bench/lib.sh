# Helpers shared by the benchmark scripts (run.sh, sync.sh): timing,
# figures, running commands; POSIX sh, sourced after they set $here,
# $prog and $SCRATCH.

# now_ns: the clock in nanoseconds (GNU date)
now_ns() {
	date +%s%N
}

# secs START_NS END_NS -> seconds with 3 decimals
secs() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'
}

# median of the numbers on stdin (one a line)
median() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "n/a"; exit }
		if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.3f\n", m }'
}

# rate N SECONDS -> N a second, whole
rate() {
	awk -v n="$1" -v s="$2" 'BEGIN { if (s + 0 == 0) print "n/a"; else printf "%.0f", n / s }'
}

# ratio A B -> A / B with 2 decimals
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0 || a == "n/a" || b == "n/a") print "n/a"; else printf "%.2f", a / b }'
}

# mb BYTES -> MiB with 1 decimal
mb() {
	awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'
}

# fsize FILE -> bytes
fsize() {
	wc -c <"$1" | tr -d ' '
}

# runs "$@" with its output in $SCRATCH/last.out/err; dies with both shown
# when it fails ($prog names the script).
run_or_die() {
	if ! "$@" >"$SCRATCH/last.out" 2>"$SCRATCH/last.err"; then
		echo "$prog: FAILED: $*" >&2
		tail -n 20 "$SCRATCH/last.err" >&2
		tail -n 5 "$SCRATCH/last.out" >&2
		exit 1
	fi
}
