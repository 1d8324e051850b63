#!/bin/sh
# test_docs.sh -- the documentation matches the code: man pages generated from the header are up to date, every
# exported function has a page and a line in docs/symbols (with the header's @since), every page renders
# without a groff warning, every EXAMPLE compiles and links, and ucrm(1) covers every option of `ucrm --help`.
cd "$(dirname "$0")/.." || exit 1
. tests/helpers/tap.sh

libdir=${UCRM_LIB_DIR:-lib}
bindir=${UCRM_BIN_DIR:-build/bin}
so=$libdir/libunicrm.so
[ -e "$so" ] || skip_all "$so is not built (run make check)"
command -v python3 >/dev/null || skip_all "python3 is not installed (tests/tools/ensure-deps test)"
case "${UCRM_FLAVOR:-plain}" in
    asan) sanflags="-fsanitize=address,undefined" ;;
    tsan) sanflags="-fsanitize=thread" ;;
    *) sanflags= ;;
esac

check "man pages are up to date with the headers (python3 tests/tools/gen-man.py --check)" \
    python3 tests/tools/gen-man.py --check

nm -D --defined-only "$so" | awk '$2 == "T" {sub(/@.*/, "", $3); print $3}' | sort -u >"$TMPD/exported"
grep -v '^#' docs/symbols | awk 'NF {print $1}' | sort >"$TMPD/listed"
if cmp -s "$TMPD/exported" "$TMPD/listed"; then ok "docs/symbols lists exactly the $(wc -l <"$TMPD/listed") exported functions"
else not_ok "docs/symbols lists exactly the exported functions" \
    "missing from docs/symbols: $(comm -23 "$TMPD/exported" "$TMPD/listed" | tr '\n' ' ') / not exported: $(comm -13 "$TMPD/exported" "$TMPD/listed" | tr '\n' ' ')"
fi
bad=$(grep -v '^#' docs/symbols | awk 'NF && ($1 !~ /^ucrm_[a-z0-9_]+$/ || $2 !~ /^[0-9]+\.[0-9]+\.[0-9]+$/ || NF > 3) {print}')
if [ -z "$bad" ]; then ok "docs/symbols lines are 'name added-in [deprecated-in]'"; else not_ok "docs/symbols format" "$bad"; fi
missing=
while read -r f; do [ -e "docs/man/man3/$f.3" ] || missing="$missing $f"; done <"$TMPD/exported"
if [ -z "$missing" ]; then ok "every exported function has a man page"; else not_ok "every exported function has a man page" "$missing"; fi

if command -v groff >/dev/null; then
    warn=
    for p in docs/man/man1/*.1 docs/man/man3/*.3; do
        # every warning but line breaking (long JSON examples in running text cannot be hyphenated)
        out=$(groff -man -Tutf8 -ww -Wbreak -z "$p" 2>&1)
        [ -n "$out" ] && warn="$warn $p: $out"
    done
    if [ -z "$warn" ]; then ok "every man page renders without a groff warning"; else not_ok "groff warnings" "$warn"; fi
else
    echo "# groff is not installed: rendering not checked"
fi

nex=0; bad=
for ex in docs/man/examples/*.c; do
    nex=$((nex + 1))
    name=$(basename "$ex" .c)
    [ -e "docs/man/man3/$name.3" ] || bad="$bad $name(no such function)"
    grep -q "^\.SH EXAMPLE" "docs/man/man3/$name.3" 2>/dev/null || bad="$bad $name(no EXAMPLE section)"
    # shellcheck disable=SC2086
    if ! ${CC:-cc} -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Wpedantic -Werror $sanflags -Iinclude "$ex" \
            -o "$TMPD/example" -L"$libdir" -lunicrm >"$LOG" 2>&1; then
        bad="$bad $name(does not build: $(head -c 300 "$LOG"))"
    fi
done
if [ -z "$bad" ]; then ok "the $nex EXAMPLE programs build with -Wall -Wextra -Wpedantic -Werror and link"
else not_ok "EXAMPLE programs" "$bad"; fi

if [ -x "$bindir/ucrm" ]; then
    missing=
    for o in $("$bindir/ucrm" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
        grep -q -- "$(echo "$o" | sed 's/-/\\\\-/g')" docs/man/man1/ucrm.1 || missing="$missing $o"
    done
    if [ -z "$missing" ]; then ok "ucrm(1) documents every option of ucrm --help"; else not_ok "ucrm(1) lacks options" "$missing"; fi
fi
for d in INTRODUCTION.md threading.md error-handling.md api-stability.md; do
    if [ -s "docs/$d" ]; then ok "docs/$d exists"; else not_ok "docs/$d exists"; fi
done
tap_done
