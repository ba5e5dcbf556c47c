#!/bin/bash
# Runs the CLI and TUI shell tests with every picket under valgrind
# (memcheck: memory errors, and definite or indirect leaks).
#   tests/valgrind.sh [BUILD_DIR] [extra ctest arguments]
# BUILD_DIR defaults to ./build; it must be configured and built.  The
# scripts see PICKET_VALGRIND=1 (tests/cli/lib.sh makes $PICKET a valgrind
# wrapper, and a non-empty valgrind report fails the script) and the TUI
# waits are scaled by TUI_WAIT_SCALE (default 6).  Slow: budget 20 minutes
# or more on two cores.
#   tests/valgrind.sh build                    # every cli_ and tui_ test
#   tests/valgrind.sh build -R '^cli_'         # only the CLI ones (the last -R wins)
#   VALGRIND_JOBS=1 tests/valgrind.sh build    # one test at a time
set -u
build=${1:-build}
[ $# -gt 0 ] && shift
timeout=${VALGRIND_TIMEOUT:-900}
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }
testfile="$build/tests/CTestTestfile.cmake"
[ -f "$testfile" ] || { echo "$build: not a configured build directory (no $testfile)" >&2; exit 2; }
export PICKET_VALGRIND=1
export TUI_WAIT_SCALE=${TUI_WAIT_SCALE:-6}

# ctest --timeout only sets a default, and tests/CMakeLists.txt gives each
# script TIMEOUT 300: run ctest on a copy of the generated test list with
# that property raised (same commands, same environment)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed -e "s/ TIMEOUT \"[0-9.]*\"/ TIMEOUT \"$timeout\"/" -e '/^subdirs(/d' \
	"$testfile" >"$dir/CTestTestfile.cmake"

start=$(date +%s)
(cd "$dir" && ctest -R '^(cli|tui)_' --timeout "$timeout" --output-on-failure \
	-j "${VALGRIND_JOBS:-$(nproc)}" "$@")
rc=$?
echo "valgrind: $( [ "$rc" = 0 ] && echo clean || echo "FAILED (ctest exit $rc)" ) after $(($(date +%s) - start)) s; build $build, PICKET_VALGRIND=1, TUI_WAIT_SCALE=$TUI_WAIT_SCALE, timeout ${timeout} s"
exit "$rc"
