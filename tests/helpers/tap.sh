# tap.sh -- helpers for the shell tests (tests/test_*.sh), sourced, POSIX sh.
#
#   . tests/helpers/tap.sh            (from the repository root; tests cd there first)
#   check "what" command args...      runs the command (output to $LOG), prints "ok N - what" or "not ok N - what"
#   ok "what" / not_ok "what" [why]   record a result directly
#   skip_all "why"                    exit 77 (the runner shows it as SKIP with this line)
#   tap_done                          prints the summary and exits 0, or 1 when something failed
#   start_fake BIN [ARGS...]          starts unicrm-fake on a free port: sets FAKE_PID and FAKE_URL
# A temporary directory $TMPD is made and removed at exit, with any fake still running.
TAP_N=0
TAP_FAILED=0
TMPD=$(mktemp -d "${TMPDIR:-/tmp}/ucrm-test.XXXXXX")
LOG=$TMPD/log
: >"$LOG"
FAKE_PID=
FAKE_URL=
# Variables from the make that runs the test would confuse a make run by the test.
unset MAKEFLAGS MFLAGS MAKELEVEL

tap_cleanup() {
    [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null
    rm -rf "$TMPD"
}
trap tap_cleanup EXIT
trap 'exit 1' INT TERM

ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1"; }
not_ok() {
    TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1))
    echo "not ok $TAP_N - $1"
    [ -n "${2:-}" ] && echo "#   $2"
    return 0
}
check() {
    what=$1; shift
    : >"$LOG"
    if "$@" >"$LOG" 2>&1; then ok "$what"; else
        not_ok "$what" "command: $*"
        sed 's/^/#   | /' "$LOG" | tail -n 30
    fi
}
skip_all() { echo "SKIP: $1"; exit 77; }
tap_done() {
    echo "1..$TAP_N"
    if [ "$TAP_FAILED" -ne 0 ]; then echo "# $TAP_FAILED of $TAP_N checks failed"; exit 1; fi
    exit 0
}

start_fake() {
    bin=$1; shift
    "$bin" --port 0 "$@" >"$TMPD/fake.out" 2>"$TMPD/fake.err" &
    FAKE_PID=$!
    i=0
    while [ $i -lt 200 ]; do
        FAKE_URL=$(sed -n 's/^listening on //p' "$TMPD/fake.out")
        [ -n "$FAKE_URL" ] && return 0
        kill -0 "$FAKE_PID" 2>/dev/null || break
        sleep 0.05; i=$((i + 1))
    done
    echo "# could not start $bin:"; sed 's/^/#   /' "$TMPD/fake.err"
    return 1
}
stop_fake() {
    [ -n "$FAKE_PID" ] || return 0
    kill "$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null
    FAKE_PID=
}
