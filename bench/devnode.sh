#!/usr/bin/env bash
# bench/devnode.sh — the devnode and ClearNode-connector benchmark (issues 3 and 4). Builds `umpire` and
# `umpire_devnode_bench` in Release, runs every variant side by side (each round runs them all, one after another),
# and writes bench/results/devnode.json (every run plus medians) and bench/results/devnode.md (a fragment for
# BENCHMARKS.md). Self-contained; exits non-zero if the build or any run fails.
#
# bench/devnode_notes.md (hand-written: the profile and what dominates) is appended to devnode.md.
#
# Usage: bench/devnode.sh [--report-only] [BUILD_DIR]   (default: build-bench-devnode next to bench/; Release)
#   --report-only  no runs: rebuild devnode.md (and devnode.json's summary) from bench/results/devnode.json, e.g.
#                  after editing bench/devnode_notes.md
# Environment: ROUNDS (3), LIFECYCLES per run (4000), JOBS for ninja (2), DEVNODE_CPU (0), LOAD_CPU (1).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
report_only=0
if [[ ${1:-} == --report-only ]]; then
  report_only=1
  shift
fi
build=$(realpath -m "${1:-$root/build-bench-devnode}")
rounds=${ROUNDS:-3}
lifecycles=${LIFECYCLES:-4000}
jobs=${JOBS:-2}
results=$root/bench/results

if [[ ! -f $build/CMakeCache.txt ]]; then
  echo "bench/devnode.sh: configuring a Release build in $build"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DUMPIRE_BUILD_TESTS=OFF >/dev/null
fi
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt")
if [[ $build_type != Release ]]; then
  echo "bench/devnode.sh: $build is a '$build_type' build; benchmarks need Release" >&2
  exit 1
fi
notes=()
[[ -f $root/bench/devnode_notes.md ]] && notes=(--notes "$root/bench/devnode_notes.md")
if ((report_only)); then
  tool=$build/bench/umpire_devnode_bench
  [[ -x $tool && -f $results/devnode.json ]] || { echo "bench/devnode.sh: --report-only needs $tool and $results/devnode.json" >&2; exit 1; }
  "$tool" report --runs "$results/devnode.json" --json "$results/devnode.json" --markdown "$results/devnode.md" "${notes[@]}"
  echo "bench/devnode.sh: rewrote $results/devnode.md from $results/devnode.json"
  exit 0
fi
echo "bench/devnode.sh: building umpire and umpire_devnode_bench in $build"
if ! build_log=$(ninja -C "$build" -j "$jobs" umpire umpire_devnode_bench 2>&1); then
  echo "$build_log" | tail -40 >&2
  echo "bench/devnode.sh: the build failed" >&2
  exit 1
fi
tool=$build/bench/umpire_devnode_bench
umpire=$build/src/cli/umpire

# The devnode on one core, the load on another; on a single-CPU machine both run unpinned.
if (($(nproc) >= 2)); then
  pinning=(--devnode-cpu "${DEVNODE_CPU:-0}" --load-cpu "${LOAD_CPU:-1}")
else
  pinning=(--devnode-cpu none --load-cpu none)
fi

variants=(
  "--mode raw --storage memory --connections 1 --window 32"
  "--mode raw --storage memory --connections 100 --window 1"
  "--mode raw --storage db --connections 1 --window 32"
  "--mode raw --storage db --connections 100 --window 1"
  "--mode raw --storage memory --connections 1 --window 32 --close-signers all"
  "--mode connector --storage memory --window 32"
  "--mode connector --storage db --window 32"
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
runs=$work/runs.jsonl
for ((round = 1; round <= rounds; round++)); do
  for variant in "${variants[@]}"; do
    echo "bench/devnode.sh: round $round/$rounds: $variant"
    # shellcheck disable=SC2086  # a variant is a list of options
    if ! "$tool" --umpire "$umpire" $variant --lifecycles "$lifecycles" "${pinning[@]}" --work-dir "$work/run" >>"$runs"; then
      echo "bench/devnode.sh: the run failed: $variant" >&2
      [[ -f $work/run/devnode.log ]] && tail -20 "$work/run/devnode.log" >&2
      exit 1
    fi
  done
done

mkdir -p "$results"
commit=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
dirty=0
git -C "$root" diff --quiet HEAD 2>/dev/null || dirty=1
"$tool" report --runs "$runs" --json "$results/devnode.json" --markdown "$results/devnode.md" \
  --date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --commit "$commit" --dirty "$dirty" "${notes[@]}"
echo "bench/devnode.sh: wrote $results/devnode.json and $results/devnode.md"
