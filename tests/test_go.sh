#!/bin/sh
# test_go.sh -- the Go binding's tests (examples/go/unicrm, cgo + pkg-config) against the library of this build
# (through the uninstalled .pc in build/<flavour>/pkgconfig-uninstalled) and the local fake. Offline: no
# external module, GOPATH and GOCACHE under build/go, GOPROXY=off.
cd "$(dirname "$0")/.." || exit 1
. tests/helpers/tap.sh
command -v go >/dev/null || skip_all "go is not installed (apt-get install golang-go; tests/tools/ensure-deps extra)"
case "${UCRM_FLAVOR:-plain}" in
    plain) ;;
    *) skip_all "the Go binding is tested in the plain build (flavour ${UCRM_FLAVOR})" ;;
esac
root=$PWD
pcdir=$root/${UCRM_BUILD_DIR:-build/plain}/pkgconfig-uninstalled
[ -e "$pcdir/unicrm.pc" ] || skip_all "$pcdir/unicrm.pc is missing (make check builds it)"
export PKG_CONFIG_PATH="$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$root/${UCRM_LIB_DIR:-lib}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export UCRM_FAKE_BIN="$root/${UCRM_FAKE_BIN:-build/bin/unicrm-fake}"
export GOPATH="$root/build/go/path" GOCACHE="$root/build/go/cache" GOPROXY=off GOFLAGS=-mod=mod GO111MODULE=on
export CGO_ENABLED=1 GOTELEMETRY=off
cd examples/go/unicrm || exit 1
unformatted=$(gofmt -l .)
if [ -z "$unformatted" ]; then ok "gofmt: the package is formatted"; else not_ok "gofmt" "$unformatted"; fi
check "go vet" go vet ./...
go test -count=1 -v ./... >"$LOG" 2>&1; rc=$?
sed -n -e 's/^--- PASS: \([A-Za-z0-9_]*\).*/ok - \1/p' -e 's/^--- SKIP: \([A-Za-z0-9_]*\).*/# SKIP \1/p' \
       -e 's/^--- FAIL: \([A-Za-z0-9_]*\).*/not ok - \1/p' "$LOG"
grep -h 'adapter is built' "$LOG" | sort -u | sed 's/^ */# /'
[ $rc = 0 ] || { sed 's/^/# /' "$LOG" | tail -n 60; echo "not ok - go test (exit $rc)"; exit 1; }
[ "$TAP_FAILED" = 0 ] || exit 1
exit 0
