#!/bin/bash
# Deploy benchmark (issue 5): a generated ~300 MB / 20,000-entry system,
# committed to an OSTree artifact cache, deployed as tar, sysroot and
# rawdisk; deploy-tree readiness vs GNU tar extraction, rawdisk throughput
# vs the disk's sequential write speed, all measured in the same run.
#
# Usage (root): bash bench/deploy/run.sh
#   BENCH_DIR (default /var/tmp) holds the temporary directory (KEEP=1 keeps it);
#   BENCH_RUNS (3), BENCH_ENTRIES (20000), BENCH_BYTES (300000000).
#   NO_BUILD=1 skips compiling the TypeScript.
# Every mount, loop device and temporary file is removed on every exit path.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" != 0 ]; then
  echo "ERROR: bench/deploy/run.sh needs root (loop devices, overlay and btrfs mounts)" >&2
  exit 1
fi
cd "$SRC"
if [ "${NO_BUILD:-0}" != 1 ]; then
  # tsc emits even when unrelated files have type errors; the benchmark only needs dist/.
  npx tsc -p tsconfig.json >/dev/null || true
  node scripts/post-build.mjs
fi
exec node dist/bench/deploy/system-deploy.js
