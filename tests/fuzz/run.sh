#!/bin/sh
# run.sh BUILD SECONDS — run every libFuzzer harness for SECONDS each and
# report executions and crashes per harness. Seeds come from
# tests/fuzz/corpus/NAME/; inputs found to crash or hang are written to
# tests/fuzz/regressions/NAME/ (replayed by `make test` from then on).
build=$1
seconds=$2
status=0
printf '%-16s %12s %8s\n' harness executions crashes
for bin in "$build"/fuzz/fuzz_*; do
    case "$bin" in *.d|*.o) continue ;; esac
    name=${bin##*/fuzz_}
    work="$build/fuzz/corpus-$name"
    regress="tests/fuzz/regressions/$name"
    mkdir -p "$work" "$regress"
    log="$build/fuzz/$name.log"
    before=$(ls "$regress" | wc -l)
    # -fork keeps fuzzing after a crash; every artifact is kept.
    # -close_fd_mask=3: the harnesses' own output (the CLI's) is not wanted.
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -fork=1 -close_fd_mask=3 \
        -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -artifact_prefix="$regress/" "$work" "tests/fuzz/corpus/$name" >"$log" 2>&1 </dev/null
    runs=$(grep -o 'exec/s[^,]*\|#[0-9]*' "$log" | sed -n 's/^#\([0-9]*\)$/\1/p' | tail -n 1)
    after=$(ls "$regress" | wc -l)
    found=$((after - before))
    printf '%-16s %12s %8s\n' "$name" "${runs:-?}" "$found"
    [ "$found" -eq 0 ] || status=1
done
[ $status -eq 0 ] || echo "new crashes were saved under tests/fuzz/regressions/; fix them and commit the inputs"
exit $status
