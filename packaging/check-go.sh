#!/bin/sh
# check-go.sh [GO]: exits 0 when GO (default: go) is at least the Go that
# go.mod's go line asks for; else says on stderr what to install and exits 1.
# The Makefile runs it before anything else. Go 1.21 and later fetch the
# toolchain go.mod asks for themselves (GOTOOLCHAIN=auto, which the Makefile
# sets unless you set GOTOOLCHAIN): their `go version` in this module is then
# the fetched one's. Go before 1.21 cannot: Debian 12's golang-go is 1.19.
set -eu
cd "$(dirname "$0")/.."
GO=${1:-go}
need=$(sed -n 's/^go \([0-9][0-9.]*\)$/\1/p' go.mod)
dl="install Go $need or later from https://go.dev/dl/ (the linux-amd64 or linux-arm64 tarball, unpacked into /usr/local; then PATH=/usr/local/go/bin:\$PATH)"
# Any Go from 1.21 on would do too: it fetches the newer one.
any="or any Go from 1.21 on, which fetches go$need itself (Debian 12's golang-go is Go 1.19, too old)"
if ! command -v "$GO" >/dev/null 2>&1; then
  echo "podroutes needs Go $need or later (go.mod), and there is no '$GO' on PATH: $dl, $any." >&2
  exit 1
fi
rc=0
out=$("$GO" version 2>&1) || rc=$?
have=$(printf '%s\n' "$out" | sed -n 's/^go version go\([0-9][0-9.]*\).*/\1/p')
# At least $1: sort -V puts the smaller first.
atleast() { [ "$(printf '%s\n%s\n' "$1" "$have" | sort -V | head -n 1)" = "$1" ]; }
if [ "$rc" = 0 ] && [ -n "$have" ] && atleast "$need"; then
  exit 0
fi
where=$(command -v "$GO")
if [ "$rc" != 0 ] || [ -z "$have" ]; then
  # Go 1.21+ that could not switch: no network, GOTOOLCHAIN=local, a proxy.
  printf '%s\n' "$out" | sed 's/^/  /' >&2
  echo "podroutes needs Go $need or later (go.mod); '$where version' failed (above; GOTOOLCHAIN=${GOTOOLCHAIN:-unset}). A Go from 1.21 on fetches go$need itself when GOTOOLCHAIN allows it (auto) and the module proxy is reachable; else $dl." >&2
elif atleast 1.21; then
  case ${GOTOOLCHAIN:-} in
  auto | *+auto) hint="" ;;
  *) hint=" (GOTOOLCHAIN is ${GOTOOLCHAIN:-unset}: with GOTOOLCHAIN=auto it fetches go$need itself)" ;;
  esac
  echo "podroutes needs Go $need or later (go.mod); $where is go$have and did not switch to go$need$hint; else $dl." >&2
else
  echo "podroutes needs Go $need or later (go.mod); $where is go$have, which cannot read go.mod nor fetch a newer Go: $dl, $any." >&2
fi
exit 1
