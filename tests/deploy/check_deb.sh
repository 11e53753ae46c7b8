#!/usr/bin/env bash
# Builds the .deb with CPack and installs it into a scratch root with `dpkg -x`: the binary, the unit, the sample
# configuration (a conffile) and the docs must land where the unit and operators expect them, and the binary runs.
# Usage: check_deb.sh BUILD_DIR
set -euo pipefail
build_dir=$1
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
(cd "$work" && cpack -G DEB --config "$build_dir/CPackConfig.cmake" >/dev/null)
deb=$(ls "$work"/umpire_*.deb)
dpkg -x "$deb" "$work/root"
for path in usr/bin/umpire usr/lib/systemd/system/umpire.service etc/umpire/umpire.toml usr/share/doc/umpire/README.md; do
  [[ -e $work/root/$path ]] || { echo "missing in package: /$path"; exit 1; }
done
dpkg-deb -e "$deb" "$work/control"
grep -qx /etc/umpire/umpire.toml "$work/control/conffiles" || { echo "umpire.toml is not a conffile"; exit 1; }
grep -q '^ExecStart=/usr/bin/umpire serve --config /etc/umpire/umpire.toml' "$work/root/usr/lib/systemd/system/umpire.service"
"$work/root/usr/bin/umpire" --help >/dev/null
echo "package $(basename "$deb") installs: binary, unit, conffile, docs"
