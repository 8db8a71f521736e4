#!/usr/bin/env bash
# build.sh [OUTDIR]: builds the podroutes binary, its man page, completions
# and example files, then the .deb and .rpm with nfpm into OUTDIR (default
# dist/). Prints the package paths. Version: git describe, else the VERSION
# file, else 0.0.0; the binary reports it verbatim, the packages get a
# Debian/RPM-safe form (v1.2.3-4-gabc-dirty -> 1.2.3+4.gabc.dirty).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$(mkdir -p "${1:-dist}" && cd "${1:-dist}" && pwd)
NFPM=(go run github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.48.0)

version=$(git describe --tags --always --dirty 2>/dev/null || true)
[ -n "$version" ] || version=$(tr -d ' \n' < VERSION 2>/dev/null || true)
[ -n "$version" ] || version=0.0.0
pkgver=${version#v}
if [[ $pkgver =~ ^[0-9]+(\.[0-9]+)+(-|$) ]]; then
  case $pkgver in *-*) pkgver="${pkgver%%-*}+$(tr - . <<<"${pkgver#*-}")" ;; esac
else
  pkgver="0.0.0+g$(tr - . <<<"$pkgver")" # a bare commit hash: no tag yet
fi
# Changelog entries are VERSION-RELEASE (release: in nfpm.yaml), as Debian
# changelogs and rpmlint (incoherent-version-in-changelog) expect.
release=$(sed -n 's/^release: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' nfpm.yaml)
newest=$(awk '/^- semver:/{print $3; exit}' packaging/changelog.yaml)
[ "${pkgver%%+*}-$release" = "$newest" ] || echo "build.sh: note: packaging/changelog.yaml's newest entry is $newest, packaging $pkgver-$release" >&2

arch=$(go env GOARCH)
B=$(mktemp -d)
trap 'rm -rf "$B"' EXIT
CGO_ENABLED=0 GOARCH=$arch go build -trimpath -buildvcs=false \
  -ldflags "-s -w -X main.version=$version" -o "$B/podroutes" ./cmd/podroutes
"$B/podroutes" man | gzip -9n > "$B/podroutes.8.gz"
"$B/podroutes" completion bash > "$B/podroutes.bash"
"$B/podroutes" completion zsh > "$B/_podroutes"
# The example files are gen's real output for node-0 of the example inventory.
(cd packaging/examples && "$B/podroutes" gen --inventory machines.txt --out "$B/gen" --node node-0 >/dev/null)
mkdir "$B/example"
cp "$B/gen/node-0/etc/podroutes/routes.yaml" "$B"/gen/node-0/etc/systemd/network/*.network.d/50-podroutes.conf "$B/example/"

# nfpm.yaml reads these (nfpm itself runs on the build host's GOARCH).
export PODROUTES_ARCH=$arch PODROUTES_VERSION=$pkgver PODROUTES_BUILD=$B
for packager in deb rpm; do
  "${NFPM[@]}" package --config nfpm.yaml --packager "$packager" --target "$OUT" >&2
done
ls -1 "$OUT"/podroutes[_-]"$pkgver"*
