#!/bin/sh
# test_python.sh -- the Python binding's tests (examples/python/tests) with the system python3, against the
# library of this build and the local fake. Under ASan the sanitizer runtime is preloaded into python3.
cd "$(dirname "$0")/.." || exit 1
. tests/helpers/tap.sh
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
[ -n "$py" ] || skip_all "python3 is not installed (apt-get install python3; tests/tools/ensure-deps test)"
libdir=${UCRM_LIB_DIR:-lib}
export UCRM_LIB="$PWD/$libdir/libunicrm.so.1"
export UCRM_FAKE_BIN="$PWD/${UCRM_FAKE_BIN:-build/bin/unicrm-fake}"
[ -e "$UCRM_LIB" ] || skip_all "$UCRM_LIB is not built"
case "${UCRM_FLAVOR:-plain}" in
    asan)
        # python3 itself is not instrumented: preload the runtime, leaks are python's own business here
        LD_PRELOAD="$(${CC:-cc} -print-file-name=libasan.so) $(${CC:-cc} -print-file-name=libubsan.so)"
        export LD_PRELOAD ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 ;;
    tsan) skip_all "the Python binding is tested in the plain and ASan builds" ;;
esac
"$py" -m unittest discover -v -s examples/python/tests >"$LOG" 2>&1; rc=$?
unset LD_PRELOAD
# one TAP line per test case, from unittest's verbose output ("test_x (module.Class.test_x) ... ok")
sed -n -e "s/^test_[a-z_0-9]* (\([^)]*\)) \.\.\. ok\$/ok - \1/p" \
       -e "s/^test_[a-z_0-9]* (\([^)]*\)) \.\.\. skipped '\(.*\)'\$/# SKIP \1: \2/p" \
       -e "s/^test_[a-z_0-9]* (\([^)]*\)) \.\.\. \(FAIL\|ERROR\)\$/not ok - \1 (\2)/p" "$LOG"
tail -n 4 "$LOG" | sed 's/^/# /'
[ $rc = 0 ] || { sed 's/^/# /' "$LOG" | grep -v ' \.\.\. ok$' | tail -n 60; echo "not ok - python3 -m unittest (exit $rc)"; exit 1; }
grep -q '^Ran [1-9]' "$LOG" || { echo "not ok - no Python test ran"; exit 1; }
exit 0
