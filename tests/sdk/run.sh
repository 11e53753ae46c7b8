#!/usr/bin/env bash
# The official-SDK tests, run by `scripts/dev test`: the vectors are still what the SDK computes; the SDK conformance
# script against a fresh in-memory devnode; and the crash test (SIGKILL a `--db` devnode mid-stream, restart, check
# nothing acknowledged was lost and the books balance, then conformance again on the same database); and the player
# endpoint's own WebSocket framing against Node's `ws` client.
# Usage: tests/sdk/run.sh PATH_TO_UMPIRE
set -euo pipefail
umpire=$(realpath "$1")
cd "$(dirname "$0")"
node make-vectors.mjs --check

log=$(mktemp); trap 'kill "$devnode" 2>/dev/null || true; rm -f "$log"' EXIT
"$umpire" devnode --listen 127.0.0.1:0 --assets usdc:6 >"$log" 2>&1 &
devnode=$!
url=""
for _ in $(seq 100); do
  url=$(grep -oE 'ws://[^ ]+' "$log" | head -1 || true)
  [[ -n $url ]] && break
  sleep 0.1
done
[[ -n $url ]] || { echo "devnode printed no URL:"; cat "$log"; exit 1; }
[[ $url == */ws ]] || url="${url%/}/ws"
echo "-- SDK conformance against $url"
node devnode_conformance.mjs "$url"
kill "$devnode"

echo "-- the player endpoint's WebSocket framing against an independent client (ws)"
node player_ws_interop.mjs "$umpire"

echo "-- crash safety: SIGKILL a --db devnode mid-stream, 3 rounds"
node devnode_crash.mjs "$umpire" 3
