#!/usr/bin/env bash
# scripts/deps.sh — installs what Umpire needs on Debian 12, skipping what is already there:
#   Debian packages (compiler, CMake, libraries), and with --test what the tests need besides: Node.js and the
#   npm packages of tests/sdk, systemd-analyze for the unit file, and promtool (package prometheus) for /metrics.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ cmake ninja-build pkg-config git ca-certificates openssl dpkg-dev
  libboost1.81-dev libssl-dev libsecp256k1-dev libcrypto++-dev nlohmann-json3-dev
  libprotobuf-dev protobuf-compiler libsqlite3-dev libtomlplusplus-dev libsystemd-dev libjemalloc-dev
  libgtest-dev libgmock-dev
)
[[ " $* " == *" --test "* ]] && packages+=(nodejs npm systemd prometheus)

missing=()
for package in "${packages[@]}"; do
  # npm and node may come from outside Debian (e.g. a preinstalled Node.js): a working binary is enough.
  if [[ $package == nodejs ]] && command -v node >/dev/null; then continue; fi
  if [[ $package == npm ]] && command -v npm >/dev/null; then continue; fi
  if [[ $package == systemd ]] && command -v systemd-analyze >/dev/null; then continue; fi
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$package")
done

if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ " $* " == *" --test "* ]]; then
  # The official SDK, pinned in tests/sdk/package.json, installed into git-ignored tests/sdk/node_modules.
  stamp=tests/sdk/node_modules/.umpire-installed
  if [[ ! -f $stamp || tests/sdk/package.json -nt $stamp ]]; then
    echo "deps: installing the Nitrolite SDK for the conformance tests"
    (cd tests/sdk && npm install --no-audit --no-fund --loglevel=error >/dev/null)
    touch "$stamp"
  fi
fi
