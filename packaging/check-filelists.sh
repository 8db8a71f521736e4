#!/usr/bin/env bash
# check-filelists.sh DEB RPM: the two packages must install the same files
# with the same modes and owners, and the same config files, except for each
# format's own: the deb's changelog.Debian.gz and lintian overrides, the rpm's
# license text (which must be there). Prints differences, exits 1 on any.
set -euo pipefail
deb=$1 rpm=$2
deb_only=(/usr/share/doc/podroutes/changelog.Debian.gz /usr/share/lintian/overrides/podroutes)
rpm_only=(/usr/share/licenses/podroutes/LICENSE)

# "MODE OWNER PATH": every file, plus /etc/podroutes, the one directory we own.
deb_all() {
  dpkg-deb --fsys-tarfile "$deb" | tar -tv --numeric-owner | awk '{
    sub(/^\./, "", $6); sub(/\/$/, "", $6); own = ($2 == "0/0") ? "root/root" : $2
    if ($1 !~ /^d/ || $6 == "/etc/podroutes") print $1, own, $6 }'
}
rpm_all() { rpm -qp --qf '[%{FILEMODES:perms} %{FILEUSERNAME}/%{FILEGROUPNAME} %{FILENAMES}\n]' "$rpm"; }
# without LIST... : drop the lines whose path is one of LIST, failing if one is absent.
without() {
  local in; in=$(cat)
  for p in "$@"; do
    grep -q " $p\$" <<<"$in" || { echo "MISSING $p" >&2; return 1; }
    in=$(grep -v " $p\$" <<<"$in")
  done
  sort <<<"$in"
}
status=0
diff -u --label "deb $deb" --label "rpm $rpm" \
  <(deb_all | without "${deb_only[@]}") <(rpm_all | without "${rpm_only[@]}") || status=1
diff -u --label "deb conffiles" --label "rpm config files" \
  <(dpkg-deb -I "$deb" conffiles | sort) <(rpm -qpc "$rpm" | sort) || status=1
if [ "$status" = 0 ]; then
  echo "PASS filelists: deb and rpm install the same $(rpm_all | wc -l) paths (format-specific: ${deb_only[*]} | ${rpm_only[*]})"
else
  echo "FAIL filelists: deb and rpm differ (see above)"
fi
exit "$status"
