#!/bin/sh
# run.sh BUILD_DIR BINARY — run every test program, show cmocka's summaries,
# and end with one line "N passed, N failed"; exit non-zero on any failure.
#
# Each tests/test_*.c is a cmocka program; its "[  PASSED  ] n test(s)." and
# "[  FAILED  ] n test(s)" lines are summed. The layer check counts as one test.
build=$1
bin=$2
export LORASCOPE_BIN="$(pwd)/$bin"
export LORASCOPE_ROOT="$(pwd)"
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for t in "$build"/tests/test_* "$build"/fuzz/replay_*; do
    case "$t" in *.o|*.d) continue ;; esac
    [ -x "$t" ] || continue
    "$t" >"$log" 2>&1
    rc=$?
    cat "$log"
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    # A crash or an exit without cmocka's summary still counts as a failure.
    if [ $rc -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
        echo "$t: exited with status $rc without a cmocka summary"
        failed=$((failed + 1))
    fi
done

if sh tests/check_layers.sh; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
