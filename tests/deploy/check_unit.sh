#!/usr/bin/env bash
# Checks deploy/umpire.service: `systemd-analyze verify` passes (with ExecStart pointed at the built binary, since
# /usr/bin/umpire exists only once the package is installed) and `systemd-analyze security` rates the exposure at
# 2.0 or lower. Usage: check_unit.sh SOURCE_DIR UMPIRE_BINARY
set -euo pipefail
source_dir=$1 binary=$2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
sed "s|/usr/bin/umpire|$binary|" "$source_dir/deploy/umpire.service" > "$work/umpire.service"
systemd-analyze verify "$work/umpire.service"
exposure=$(systemd-analyze security --offline=true "$work/umpire.service" 2>&1 | sed -n 's/.*Overall exposure level for umpire.service: \([0-9.]*\).*/\1/p')
echo "systemd-analyze security: exposure $exposure"
[[ -n $exposure ]] && awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }'
