#!/bin/sh
# test_demo.sh -- `make demo`'s pieces: examples/run_demo.sh runs examples/sync_demo against the local fake with a
# small data set (non-interactive: plain lines), and the summary says what the sync must achieve: no drift after
# the truth pass, no 429, no retry, no failed write, the expected record counts each way, echoes recognised,
# ownership enforced and conflicts resolved. The fake is stopped after a success, a failure and a termination.
cd "$(dirname "$0")/.." || exit 1
. tests/helpers/tap.sh

bindir=${UCRM_BIN_DIR:-build/bin}
DEMO=$bindir/sync_demo
FAKE=${UCRM_FAKE_BIN:-$bindir/unicrm-fake}
[ -x "$DEMO" ] || skip_all "$DEMO is not built"
[ -x "$FAKE" ] || skip_all "$FAKE is not built"

# A fake that writes its pid down, so that the test can tell whether run_demo.sh stopped it.
cat >"$TMPD/fake" <<EOF
#!/bin/sh
echo \$\$ >"$TMPD/fake.pid"
exec "$FAKE" "\$@"
EOF
chmod +x "$TMPD/fake"
fake_gone() { # fake_gone "what": the recorded fake process no longer runs
    pid=$(cat "$TMPD/fake.pid" 2>/dev/null)
    if [ -z "$pid" ]; then not_ok "$1" "the fake never started"; return; fi
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    if kill -0 "$pid" 2>/dev/null; then not_ok "$1" "fake pid $pid still runs"; kill "$pid"; else ok "$1"; fi
    rm -f "$TMPD/fake.pid"
}
row() { # row "label": the summary line starting with label, spaces squeezed
    grep -- "^  $1" "$TMPD/out" | tr -s ' '
}
want_row() { # want_row "label" "expected squeezed line" "what"
    got=$(row "$1")
    if [ "$got" = "$2" ]; then ok "$3"; else not_ok "$3" "got '$got', want '$2'"; fi
}

# ------------------------------------------------------------------------------------------------ a whole run
start=$(date +%s)
sh examples/run_demo.sh "$TMPD/fake" "$DEMO" --contacts 200 >"$TMPD/out" 2>"$TMPD/err" </dev/null
rc=$?
secs=$(( $(date +%s) - start ))
if [ $rc = 0 ]; then ok "the demo succeeds (${secs}s)"; else
    not_ok "the demo succeeds" "exit $rc; stderr: $(head -c 800 "$TMPD/err")"
    sed 's/^/#   | /' "$TMPD/out" | tail -n 40
fi
fake_gone "the fake is stopped after the run"
if grep -q "$(printf '\r')" "$TMPD/out"; then not_ok "no progress line when not on a terminal"; else
    ok "no progress line when not on a terminal"; fi
grep -q "^result: ok$" "$TMPD/out" && ok "result: ok" || not_ok "result: ok" "$(tail -n 3 "$TMPD/out")"
grep -q "no drift: both CRMs agree with our store" "$TMPD/out" && ok "the truth pass finds no drift" ||
    not_ok "the truth pass finds no drift"
want_row "drift after the sync" " drift after the sync 0" "drift 0 in the summary"
want_row "429s received" " 429s received 0 0" "no 429 on either side"
want_row "retries" " retries 0 0" "no retry on either side"
want_row "write failures" " write failures 0 0" "no failed write"
want_row "token refreshes" " token refreshes 0 (private-app token) 1 (refresh-token flow)" \
    "Salesforce went through the refresh-token flow once"
# 200 HubSpot contacts at 20 companies, 20 Salesforce contacts (6 the same people) at 2 accounts (1 the same):
# Salesforce gets 19 accounts + 194 contacts, then the 5 contacts new in HubSpot, and loses the 3 HubSpot deleted;
# HubSpot gets 1 company + 14 contacts, then the 5 new in Salesforce, and loses the 2 Salesforce deleted.
want_row "  HubSpot    -> Salesforce" " HubSpot -> Salesforce 218 37 3" "records HubSpot -> Salesforce"
want_row "  Salesforce -> HubSpot" " Salesforce -> HubSpot 20 15 2" "records Salesforce -> HubSpot"
want_row "field changes put back" " field changes put back (ownership) 3; conflicts resolved (newest wins): 3" \
    "three title edits in HubSpot put back, three name conflicts resolved"
echoes=$(row "echoes recognised" | sed -n 's/.*not sent back \([0-9,]*\) from HubSpot, \([0-9,]*\) from Salesforce/\1 \2/p')
set -- $echoes
if [ "${2:-0}" -ge 200 ] 2>/dev/null && [ "${1:-0}" -ge 10 ]; then ok "our own writes came back as echoes ($echoes)"
else not_ok "our own writes came back as echoes" "got '$echoes'"; fi
grep -q "incremental: Salesforce contact" "$TMPD/out" && ok "an incremental pull ran" || not_ok "an incremental pull ran"
# the three people renamed in both CRMs: Salesforce renamed them later, so its names win
n=$(grep -c "conflict: first_name of .* Salesforce's change is newer and wins" "$TMPD/out")
[ "$n" = 3 ] && ok "the later rename wins each conflict" || not_ok "the later rename wins each conflict" "$n lines"

# ------------------------------------------------------------------------------------------------ failures
sh examples/run_demo.sh "$TMPD/fake" false >"$TMPD/out2" 2>&1 </dev/null
rc=$?
[ $rc != 0 ] && ok "a failing demo fails make demo (exit $rc)" || not_ok "a failing demo fails make demo"
fake_gone "the fake is stopped after a failure"

sh examples/run_demo.sh "$TMPD/fake" "$DEMO" --contacts 5 >"$TMPD/out3" 2>&1 </dev/null
rc=$?
[ $rc = 2 ] && ok "bad demo options: exit 2" || not_ok "bad demo options: exit 2" "exit $rc"
fake_gone "the fake is stopped after a usage error"

# terminated while running (a stand-in demo that sleeps): the whole process group gets SIGTERM, as from a
# terminal's job control; the fake must not outlive it
if command -v setsid >/dev/null 2>&1; then
    cat >"$TMPD/slow" <<'EOF'
#!/bin/sh
sleep 30
EOF
    chmod +x "$TMPD/slow"
    setsid sh examples/run_demo.sh "$TMPD/fake" "$TMPD/slow" >"$TMPD/out4" 2>&1 </dev/null &
    runner=$!
    i=0
    while [ ! -s "$TMPD/fake.pid" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    sleep 0.3
    kill -TERM "-$runner" 2>/dev/null
    wait "$runner" 2>/dev/null
    fake_gone "the fake is stopped when the run is terminated"
fi

sh examples/run_demo.sh /nonexistent/unicrm-fake "$DEMO" >"$TMPD/out5" 2>&1 </dev/null
rc=$?
[ $rc != 0 ] && grep -q "did not start" "$TMPD/out5" && ok "a fake that cannot start is reported" ||
    not_ok "a fake that cannot start is reported" "exit $rc: $(head -c 300 "$TMPD/out5")"

tap_done
