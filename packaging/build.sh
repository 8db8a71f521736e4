#!/usr/bin/env bash
# build.sh [OUTDIR]: builds the podroutes binaries (podroutes and
# podroutes-kube) for each architecture in ARCHS (Go's names; default "amd64 arm64"), its man page, completions and
# example files, then a .deb and an .rpm per architecture with nfpm into
# OUTDIR (default dist/). Prints the package paths. Version: git describe,
# else the VERSION file, else 0.0.0; the binary reports it verbatim, the
# packages get a Debian/RPM-safe form (v1.2.3-4-gabc-dirty -> 1.2.3+4.gabc.dirty).
#
# The generated files come from a binary built for this machine, never from
# a target one: an arm64 binary does not run on an amd64 build machine (exec
# format error) unless a qemu-user handler happens to be registered. Any
# Linux machine builds every architecture; podroutes itself is Linux-only
# (netlink), so the build machine must be Linux too.
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

ARCHS=${ARCHS:-amd64 arm64}
for arch in $ARCHS; do
  case $arch in amd64 | arm64) ;; *) echo "build.sh: ARCHS: unsupported architecture $arch (amd64, arm64)" >&2; exit 2 ;; esac
done
[ "$(go env GOHOSTOS)" = linux ] || { echo "build.sh: the build machine runs $(go env GOHOSTOS); podroutes (netlink) builds and runs only on Linux: build on a Linux machine of any architecture" >&2; exit 2; }
host=$(go env GOHOSTARCH)
B=$(mktemp -d)
trap 'rm -rf "$B"' EXIT
# The tags make build uses: the packaged binaries link no man page
# renderer, and podroutes no client-go: given --kubeconfig it execs
# podroutes-kube, the build with it (/usr/lib/podroutes).
tags=$(make --no-print-directory -s print-build-tags)
kube_tags=$(make --no-print-directory -s print-kube-build-tags)
for arch in $ARCHS; do
  mkdir "$B/$arch"
  for bin in podroutes:$tags podroutes-kube:$kube_tags; do
    CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -trimpath -buildvcs=false -tags "${bin#*:}" \
      -ldflags "-s -w -X main.version=$version" -o "$B/$arch/${bin%%:*}" ./cmd/podroutes
  done
done
# A binary for this machine, built without those tags, renders the docs:
# the targets cannot render the man page.
tool=$B/tool/podroutes
CGO_ENABLED=0 GOOS=linux GOARCH=$host go build -trimpath -buildvcs=false \
  -ldflags "-X main.version=$version" -o "$tool" ./cmd/podroutes
"$tool" man | gzip -9n > "$B/podroutes.8.gz"
"$tool" completion bash > "$B/podroutes.bash"
"$tool" completion zsh > "$B/_podroutes"
# The example files are gen's real output for node-0 of the example inventory.
(cd packaging/examples && "$tool" gen --inventory machines.txt --out "$B/gen" --node node-0 >/dev/null)
mkdir "$B/example"
cp "$B/gen/node-0/etc/podroutes/routes.yaml" "$B"/gen/node-0/etc/systemd/network/*.network.d/50-podroutes.conf "$B/example/"

# nfpm.yaml reads these (nfpm itself runs on the build host's GOARCH); it
# names each package's architecture in its format's terms: arm64 is arm64 in
# a .deb and aarch64 in an .rpm, amd64 is x86_64 there.
export PODROUTES_VERSION=$pkgver PODROUTES_BUILD=$B
for arch in $ARCHS; do
  for packager in deb rpm; do
    PODROUTES_ARCH=$arch PODROUTES_BINARY=$B/$arch/podroutes PODROUTES_KUBE_BINARY=$B/$arch/podroutes-kube \
      "${NFPM[@]}" package --config nfpm.yaml --packager "$packager" --target "$OUT" >&2
  done
done
ls -1 "$OUT"/podroutes[_-]"$pkgver"*
