# Timing helpers shared by the benchmark scripts (run.sh, sync.sh); POSIX
# sh, sourced after they set $here.

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
