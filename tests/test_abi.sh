#!/bin/sh
# test_abi.sh -- the ABI gate: the library is compatible with the committed baseline (docs/abi/libunicrm.abi), and
# the gate itself passes additions and fails incompatible changes (checked on a small library built here).
cd "$(dirname "$0")/.." || exit 1
. tests/helpers/tap.sh
command -v abidiff >/dev/null || skip_all "abidiff is not installed (apt-get install abigail-tools; tests/tools/ensure-deps extra)"
lib=$(ls "${UCRM_LIB_DIR:-lib}"/libunicrm.so.*.*.* 2>/dev/null | head -n 1)
[ -n "$lib" ] || skip_all "the shared library is not built"

check "libunicrm is ABI-compatible with docs/abi/libunicrm.abi (only additions)" \
    sh tests/tools/abi-check docs/abi/libunicrm.abi "$lib" include/unicrm docs/abi/suppressions.abignore
sed 's/^/# /' "$LOG"

# The gate on a small library: v1 is the baseline, v2 only adds (a function, an enumerator, a member at the
# end of the versioned vtable), v3 breaks (renumbered enumerator, changed parameter type, removed function).
d=$TMPD/abi
mkdir -p "$d/h1" "$d/h2" "$d/h3"
cat >"$d/h1/t.h" <<'H'
typedef enum { T_OK = 0, T_ERR = -1 } t_err_t;
typedef struct t_s t_t;
typedef struct ucrm_transport_s { unsigned version; int (*send)(void *); } ucrm_transport_t;
t_err_t t_new(t_t **out, int flags);
t_err_t t_set(t_t *t, const char *key, ucrm_transport_t *vt);
H
cat >"$d/t1.c" <<'C'
#include "t.h"
struct t_s { int x; };
static struct t_s one;
t_err_t t_new(t_t **out, int flags) { *out = &one; return flags ? T_ERR : T_OK; }
t_err_t t_set(t_t *t, const char *key, ucrm_transport_t *vt) { (void)t; (void)key; (void)vt; return T_OK; }
C
sed 's/T_ERR = -1 }/T_ERR = -1, T_ERR2 = -2 }/; s/int (\*send)(void \*); }/int (*send)(void *); void (*destroy)(void *); }/' \
    "$d/h1/t.h" >"$d/h2/t.h"
echo 't_err_t t_extra(void);' >>"$d/h2/t.h"
{ cat "$d/t1.c"; echo 't_err_t t_extra(void) { return T_ERR2; }'; } >"$d/t2.c"
sed 's/T_ERR = -1/T_ERR = -5/; s/int flags/long flags/; /t_set/d' "$d/h1/t.h" >"$d/h3/t.h"
sed 's/int flags/long flags/; /t_set/d' "$d/t1.c" >"$d/t3.c"
for v in 1 2 3; do ${CC:-cc} -g -O2 -shared -fPIC -I"$d/h$v" "$d/t$v.c" -o "$d/lib$v.so" || not_ok "build test library v$v"; done
abidw --headers-dir "$d/h1" --drop-private-types --no-corpus-path --no-comp-dir-path "$d/lib1.so" --out-file "$d/base.abi"
check "the gate passes a library that only adds" \
    sh tests/tools/abi-check "$d/base.abi" "$d/lib2.so" "$d/h2" docs/abi/suppressions.abignore
grep -q 't_extra' "$LOG" && ok "the gate lists the added function" || not_ok "the gate lists the added function"
sh tests/tools/abi-check "$d/base.abi" "$d/lib3.so" "$d/h3" docs/abi/suppressions.abignore >"$LOG" 2>&1; rc=$?
if [ $rc = 1 ] && grep -q "Removed function" "$LOG" && grep -q "T_ERR" "$LOG"; then
    ok "the gate fails a removed function, a renumbered enumerator and a changed parameter type"
else not_ok "the gate fails incompatible changes" "exit $rc: $(cat "$LOG")"; fi
${CC:-cc} -O2 -shared -fPIC -I"$d/h2" "$d/t2.c" -o "$d/nodebug.so"
sh tests/tools/abi-check "$d/base.abi" "$d/nodebug.so" "$d/h2" >"$LOG" 2>&1; rc=$?
if [ $rc = 2 ] && grep -q "no debug information" "$LOG"; then ok "the gate refuses a library without debug information"
else not_ok "the gate refuses a library without debug information" "exit $rc: $(cat "$LOG")"; fi
tap_done
