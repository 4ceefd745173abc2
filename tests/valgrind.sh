#!/bin/sh
# valgrind.sh BUILD — every unit-test program under valgrind memcheck.
# Passes only with 0 errors and 0 bytes definitely lost in each program.
# Two kinds of program are left to `make test` and its ASan/UBSan run:
#  - test_tui*: they drive the real binary through tmux (valgrind would only
#    watch the test's own shell commands);
#  - test_layout_lessons57: it lays out lessons 5-7 with live demos that run
#    the real base model (tens of minutes under valgrind); the same demo code
#    is checked under valgrind by test_demo_lora, test_demo_prefix and
#    test_demo_lab on small models.
build=$1
export LORASCOPE_BIN="$(pwd)/lorascope"
export LORASCOPE_ROOT="$(pwd)"
export OPENBLAS_NUM_THREADS=1
# Heavier suites read this to shrink their problem sizes under valgrind.
export LORASCOPE_UNDER_VALGRIND=1
supp=tests/valgrind.supp
fail=0
total=0
for t in "$build"/tests/test_* "$build"/fuzz/replay_*; do
    case "$t" in *.o|*.d|*/test_tui*|*/test_layout_lessons57) continue ;; esac
    [ -x "$t" ] || continue
    total=$((total + 1))
    log=$(mktemp)
    if valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
        --show-leak-kinds=definite --suppressions="$supp" --trace-children=no \
        "$t" >"$log" 2>&1; then
        echo "valgrind: ${t##*/}: clean"
    else
        echo "valgrind: ${t##*/}: FAILED"
        tail -n 40 "$log"
        fail=$((fail + 1))
    fi
    rm -f "$log"
done
echo "valgrind: $((total - fail)) of $total programs clean"
[ $fail -eq 0 ]
