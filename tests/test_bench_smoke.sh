#!/bin/sh
# test_bench_smoke.sh -- `make bench QUICK=1` in miniature, so that the benchmark programs cannot rot: every figure
# program and module benchmark runs (tiny counts, windows of a second) against the fake and must measure. The
# figures themselves are not checked: a benchmark reports, it never passes or fails on a number.
set -u
flavor=${UCRM_FLAVOR:-plain}
if [ "$flavor" = tsan ]; then
    echo "skipped: the thread-sanitizer run covers the threaded tests only"
    exit 77
fi
dir=${UCRM_BUILD_DIR:-build/plain}/bench
out=$(BENCH_QUICK=1 BENCH_DIR="$dir" BENCH_COMMAND="tests/test_bench_smoke.sh" bash tests/bench/run-bench 2>&1)
rc=$?
printf '%s\n' "$out"
[ "$rc" = 0 ] || { echo "FAIL: run-bench exited $rc"; exit 1; }
for fig in 1 2 3 4 5 6; do
    n=$(printf '%s\n' "$out" | grep -c "^$fig  ")
    [ "$n" -ge 2 ] || { echo "FAIL: figure $fig has $n rows in the table"; exit 1; }
done
printf '%s\n' "$out" | grep -q "targets met" || { echo "FAIL: no summary line"; exit 1; }
echo "ok 1 - every figure measured"
