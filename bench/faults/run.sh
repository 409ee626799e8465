#!/bin/bash
# Fault benchmark (issue 13): N rawdisk deploys of the test system, each
# killed with SIGKILL at a seeded random time, then one normal deploy and
# `morph gc`; prints the leftovers by kind (all must be 0).
#
# Usage (root): bash bench/faults/run.sh
#   NO_BUILD=1 skips compiling the TypeScript. The runs and the seed are in
#   bench/faults/faults.yarn (40 runs, delays up to the time of one
#   complete deploy, seed 13).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" != 0 ]; then
  echo "ERROR: bench/faults/run.sh needs root (loop devices, overlay and btrfs mounts)" >&2
  exit 1
fi
cd "$SRC"
if [ "${NO_BUILD:-0}" != 1 ]; then
  npm run build >/dev/null
fi
report=$(mktemp)
trap 'rm -f "$report"' EXIT
status=0
node dist/src/yarn/cli/yarn-run.cjs --env "FAULT_REPORT=$report" bench/faults/faults.yarn >/dev/null 2>&1 || status=$?
echo "fault benchmark (bench/faults/faults.yarn), load: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -s "$report" ]; then cat "$report"; else echo "ERROR: the benchmark scenario failed before counting (rerun with yarn-run to see why)" >&2; fi
exit "$status"
