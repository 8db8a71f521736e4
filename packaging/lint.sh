#!/usr/bin/env bash
# lint.sh: static checks of the packaging. Builds the packages into a temp dir
# (build.sh: amd64 and arm64, or ARCHS), then, for each architecture: the
# packages' names and architecture fields, lintian on the .deb and rpmlint on
# the .rpm (no errors or warnings; every override or filter carries its
# reason), the deb and rpm file lists (check-filelists.sh); then that the
# maintainer scripts parse, and the units' exposure scores (systemd-analyze
# security, at most $MAX_EXPOSURE; with the metrics-address or kubernetes
# drop-in $MAX_METRICS_EXPOSURE).
# Installs lintian, rpm and rpmlint if missing and root. Prints PASS/FAIL lines.
set -euo pipefail
cd "$(dirname "$0")/.."
MAX_EXPOSURE=1.5
MAX_METRICS_EXPOSURE=1.7
need=()
for c in lintian:lintian rpm:rpm rpmlint:rpmlint systemd-analyze:systemd; do
  command -v "${c%%:*}" >/dev/null || need+=("${c#*:}")
done
if [ "${#need[@]}" -gt 0 ]; then
  # As a normal user make test skips what it cannot install (see CONTRIBUTING.md); CI runs as root.
  [ "$(id -u)" = 0 ] || { echo "SKIP lint: needs ${need[*]}; run as root (make test installs them) or apt-get install ${need[*]}"; exit 0; }
  # update first: a fresh machine has no package lists yet (make test's
  # test-deps does the same).
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
packaging/build.sh "$T" >"$T/build.log" 2>&1 || { cat "$T/build.log"; echo "FAIL build"; exit 1; }
status=0

# Each architecture's pair (build.sh's ARCHS): named and labelled in each
# format's terms (a .deb's Architecture is Debian's name, arm64, amd64; an
# .rpm's is the kernel's, aarch64, x86_64), linted, their file lists equal.
pairs=0
for deb in "$T"/*.deb; do
  arch=$(dpkg-deb --field "$deb" Architecture)
  case $arch in amd64) rpm_arch=x86_64 ;; arm64) rpm_arch=aarch64 ;; *) rpm_arch=unknown ;; esac
  rpm_pkg=$(echo "$T"/*."$rpm_arch".rpm)
  if [[ $deb == *_"$arch".deb && -f $rpm_pkg && $(rpm -qp --qf '%{ARCH}' "$rpm_pkg") == "$rpm_arch" ]]; then
    echo "PASS names: $(basename "$deb") (Architecture: $arch), $(basename "$rpm_pkg") (arch $rpm_arch)"
    pairs=$((pairs + 1))
  else
    echo "FAIL names: $(basename "$deb") has Architecture: $arch; want it in its name and an .rpm of arch $rpm_arch, found: $(cd "$T" && echo *.rpm)"; status=1
    continue
  fi

  # As root lintian only warns that it runs as root; that line is dropped.
  rc=0
  lintian --fail-on error,warning --pedantic --display-info "$deb" >"$T/lintian.out" 2>&1 || rc=$?
  grep -v '^running with root privileges' "$T/lintian.out" || true
  if [ "$rc" = 0 ] && ! grep -q '^[EW]:' "$T/lintian.out"; then
    echo "PASS lintian $arch: no errors or warnings ($(grep -c '^podroutes:' packaging/deb/lintian-overrides) overrides, each with its reason)"
  else
    echo "FAIL lintian $arch (exit $rc)"; status=1
  fi

  # rpmlint unpacks the rpm with `rpm2cpio | cpio -id`, and GNU cpio writes
  # absolute member names where they point: nfpm before v2.48 named them
  # /usr/bin/podroutes (goreleaser/nfpm#1122), so rpmlint, as root, wrote the
  # package into this host's / (and, finding nothing in its own directory,
  # reported no-binary). Only a package whose members are all ./-relative, as
  # rpmbuild writes them, goes on to rpmlint.
  absolute=$(rpm2cpio "$rpm_pkg" | cpio -t --quiet | grep -v '^\./' || true)
  if [ -n "$absolute" ]; then
    echo "FAIL rpm payload $rpm_arch: members not ./-relative, rpmlint would unpack them into /: $(tr '\n' ' ' <<<"$absolute")"; status=1
  else
    echo "PASS rpm payload $rpm_arch: all $(rpm2cpio "$rpm_pkg" | cpio -t --quiet | wc -l) members ./-relative"
    cp packaging/rpm/rpmlintrc "$T/rpmlintrc.$arch"
    if [[ $(rpm -qp --qf '%{VERSION}' "$rpm_pkg") == *+* ]]; then
      # A development build (build.sh: TAG+N.gHASH, or 0.0.0+gHASH before the
      # first tag) has no changelog entry of its own; a release build (a tag,
      # no "+") must match the newest entry, VERSION-RELEASE.
      echo 'addFilter("podroutes\.\S+: W: incoherent-version-in-changelog \S+ \S+\+\S+$")' >>"$T/rpmlintrc.$arch"
    fi
    rc=0
    rpmlint -c packaging/rpm/rpmlint.toml -r "$T/rpmlintrc.$arch" "$rpm_pkg" >"$T/rpmlint.out" 2>&1 || rc=$?
    grep -E ': [EWI]: |checked;|rror' "$T/rpmlint.out" || true
    if [ "$rc" = 0 ] && ! grep -q ': [EW]: ' "$T/rpmlint.out"; then
      echo "PASS rpmlint $rpm_arch: no errors or warnings ($(grep -c '^addFilter' "$T/rpmlintrc.$arch") filters, each with its reason)"
    else
      echo "FAIL rpmlint $rpm_arch (exit $rc)"; status=1
    fi
  fi

  packaging/check-filelists.sh "$deb" "$rpm_pkg" || status=1
done
want=$(wc -w <<<"${ARCHS:-amd64 arm64}")
[ "$pairs" = "$want" ] || { echo "FAIL packages: $pairs good deb/rpm pairs, want $want (ARCHS: ${ARCHS:-amd64 arm64})"; status=1; }

bad=()
for f in packaging/deb/postinst packaging/deb/prerm packaging/deb/postrm packaging/rpm/post packaging/rpm/preun packaging/rpm/postun; do
  sh -n "$f" || bad+=("$f")
done
if [ "${#bad[@]}" = 0 ]; then echo "PASS scripts: maintainer scripts parse (sh -n)"; else echo "FAIL scripts: ${bad[*]}"; status=1; fi

# The units as shipped, and podroutes.service with the networkd.conf drop-in
# (it opens /run/systemd/network for writing), at most $MAX_EXPOSURE; and
# podroutes-watch.service with the metrics-address.conf drop-in (at most
# $MAX_METRICS_EXPOSURE: an Internet socket costs 0.3), as shipped and with
# its example for a remote Prometheus (its "#   KEY=VALUE" lines) in force;
# and with the kubernetes.conf drop-in (Internet sockets and IP traffic to
# the API server), as shipped and with its example of an allowed address.
mkdir "$T/networkd" "$T/local" "$T/remote" "$T/kube" "$T/kube-narrow"
cat packaging/podroutes.service packaging/networkd.conf >"$T/networkd/podroutes.service"
cat packaging/podroutes-watch.service packaging/metrics-address.conf >"$T/local/podroutes-watch.service"
{ cat "$T/local/podroutes-watch.service"; sed -n 's/^#   \([A-Za-z]*=\)/\1/p' packaging/metrics-address.conf; } >"$T/remote/podroutes-watch.service"
cat packaging/podroutes-watch.service packaging/kubernetes.conf >"$T/kube/podroutes-watch.service"
{ cat packaging/podroutes-watch.service; grep -v '^IPAddressAllow=any' packaging/kubernetes.conf; sed -n 's/^#   \(IPAddressAllow=\)/\1/p' packaging/kubernetes.conf; } >"$T/kube-narrow/podroutes-watch.service"
for check in "podroutes.service|packaging/podroutes.service|$MAX_EXPOSURE" \
  "podroutes.service + networkd.conf|$T/networkd/podroutes.service|$MAX_EXPOSURE" \
  "podroutes-watch.service|packaging/podroutes-watch.service|$MAX_EXPOSURE" \
  "podroutes-watch.service + metrics-address.conf|$T/local/podroutes-watch.service|$MAX_METRICS_EXPOSURE" \
  "podroutes-watch.service + metrics-address.conf, remote example|$T/remote/podroutes-watch.service|$MAX_METRICS_EXPOSURE" \
  "podroutes-watch.service + kubernetes.conf|$T/kube/podroutes-watch.service|$MAX_METRICS_EXPOSURE" \
  "podroutes-watch.service + kubernetes.conf, one address allowed|$T/kube-narrow/podroutes-watch.service|$MAX_METRICS_EXPOSURE"; do
  IFS='|' read -r what path max <<<"$check"
  score=$(systemd-analyze security --offline=yes "$path" 2>/dev/null |
    sed -n "s/.*Overall exposure level for $(basename "$path"): \([0-9.]*\).*/\1/p")
  if [ -n "$score" ] && awk -v s="$score" -v m="$max" 'BEGIN { exit !(s <= m) }'; then
    echo "PASS security: $what exposure $score (at most $max)"
  else
    echo "FAIL security: $what exposure ${score:-unknown}, want at most $max"
    systemd-analyze security --offline=yes "$path" 2>&1 | grep '✗' || true
    status=1
  fi
done
exit "$status"
