#!/bin/bash
# rawdisk variants (issue 5, docs/deploy.md "Benchmarks"): the steps of an
# initial rawdisk deployment replayed by hand on the generated ~300 MB /
# 19,000-file system, as rawdisk does them (direct-I/O loop device on a
# sparse image of 5x the tree, mkfs.btrfs, mount, subvolume, cp -a,
# snapshot, sync -f, umount), and with one mkfs option, mount option or
# copier changed at a time; variants alternate within each round. Also:
# cp -a into tmpfs (the cost of the per-file copy without btrfs) and the
# per-deployment part of a cached-image path (copy of a pristine image of
# the layout made once, new fsid, mount, snapshot, unmount).
#
# Usage (root): bash bench/deploy/rawdisk-variants.sh
#   BENCH_DIR (default /var/tmp), BENCH_ROUNDS (3), BENCH_TREE (a tree to
#   copy instead of the generated one), NO_BUILD=1 skips compiling.
# Prints one line per run and the median per variant. Every mount, loop
# device and temporary file is removed on every exit path (also on
# SIGINT/SIGTERM).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" != 0 ]; then
  echo "ERROR: bench/deploy/rawdisk-variants.sh needs root (loop devices and btrfs mounts)" >&2
  exit 1
fi
ROUNDS=${BENCH_ROUNDS:-3}
TOP=$(mktemp -d "${BENCH_DIR:-/var/tmp}/bench-rawdisk-variants-XXXXXX")
MNT=$TOP/mnt
LOOP=''
cleanup() {
  set +e
  mountpoint -q "$MNT" 2>/dev/null && umount "$MNT"
  mountpoint -q "$TOP/tmpfs" 2>/dev/null && umount "$TOP/tmpfs"
  [ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
  rm -rf "$TOP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir "$MNT" "$TOP/tmpfs"

TREE=${BENCH_TREE:-}
if [ -z "$TREE" ]; then
  if [ "${NO_BUILD:-0}" != 1 ]; then
    (cd "$SRC" && { npx tsc -p tsconfig.json >/dev/null || true; } && node scripts/post-build.mjs)
  fi
  TREE=$TOP/tree
  node --input-type=module -e "
    const { generateSystemTree } = await import('$SRC/dist/bench/deploy/system-tree.js');
    console.log(JSON.stringify(generateSystemTree('$TREE')));"
fi
USED=$(du -s -x --block-size=1 "$TREE" | cut -f1)
SIZE=$(((USED * 5 + 64 * 1048576 + 1048575) / 1048576 * 1048576))
echo "tree $TREE: $USED bytes on disk; images of $SIZE bytes (5x + 64 MiB, as rawdisk computes)"

now() { date +%s%N; }
ms() { echo $((($2 - $1) / 1000000)); }
declare -A RESULTS

# record NAME TOTAL_MS COPY_MS SYS_S
record() {
  RESULTS[$1]="${RESULTS[$1]:-} $2"
  printf '%-34s total %5d ms  copy %5d ms  copy system CPU %s s\n' "$1" "$2" "$3" "$4"
}

# initial NAME MKFS_OPTIONS MOUNT_OPTIONS COPY_COMMAND (SRC and DST replaced)
initial() {
  local name=$1 mkfs=$2 mountopts=$3 copy=$4 image=$TOP/image start copied timed
  sync
  start=$(now)
  truncate -s "$SIZE" "$image"
  LOOP=$(losetup --show -f --direct-io=on "$image")
  # shellcheck disable=SC2086
  mkfs.btrfs -q -f $mkfs -L baserock "$LOOP" >/dev/null
  mount ${mountopts:+-o "$mountopts"} "$LOOP" "$MNT"
  mkdir -p "$MNT/systems/factory" "$MNT/state"
  btrfs -q subvolume create "$MNT/systems/factory/orig" >/dev/null
  copied=$(now)
  copy=${copy//SRC/$TREE}
  /usr/bin/time -f %S -o "$TOP/time" bash -c "${copy//DST/$MNT/systems/factory/orig}"
  timed=$(now)
  btrfs -q subvolume snapshot "$MNT/systems/factory/orig" "$MNT/systems/factory/run" >/dev/null
  sync -f "$MNT"
  umount "$MNT"
  losetup -d "$LOOP"
  LOOP=''
  record "$name" "$(ms "$start" "$(now)")" "$(ms "$copied" "$timed")" "$(cat "$TOP/time")"
  rm -f "$image"
}

tmpfs_copy() {
  local start
  mount -t tmpfs -o size=2g bench "$TOP/tmpfs"
  sync
  start=$(now)
  /usr/bin/time -f %S -o "$TOP/time" cp -a "$TREE/." "$TOP/tmpfs/"
  local end
  end=$(now)
  umount "$TOP/tmpfs"
  record 'cp -a into tmpfs (no btrfs)' "$(ms "$start" "$end")" "$(ms "$start" "$end")" "$(cat "$TOP/time")"
}

# The pristine image of the layout (orig filled), made once.
make_pristine() {
  truncate -s "$SIZE" "$TOP/pristine"
  LOOP=$(losetup --show -f --direct-io=on "$TOP/pristine")
  mkfs.btrfs -q -f -L baserock "$LOOP" >/dev/null
  mount "$LOOP" "$MNT"
  mkdir -p "$MNT/systems/factory" "$MNT/state"
  btrfs -q subvolume create "$MNT/systems/factory/orig" >/dev/null
  cp -a "$TREE/." "$MNT/systems/factory/orig/"
  umount "$MNT"
  losetup -d "$LOOP"
  LOOP=''
  echo "pristine image: $(du -s --block-size=1 "$TOP/pristine" | cut -f1) bytes allocated"
}

# The per-deployment part of a cached-image path: sparse copy + fsync, new fsid (btrfstune -u), snapshot.
cached() {
  local image=$TOP/image start copied tuned
  sync
  start=$(now)
  cp --sparse=always "$TOP/pristine" "$image"
  sync "$image"
  copied=$(now)
  btrfstune -f -u "$image" >/dev/null 2>&1
  tuned=$(now)
  LOOP=$(losetup --show -f --direct-io=on "$image")
  mount "$LOOP" "$MNT"
  btrfs -q subvolume snapshot "$MNT/systems/factory/orig" "$MNT/systems/factory/run" >/dev/null
  sync -f "$MNT"
  umount "$MNT"
  losetup -d "$LOOP"
  LOOP=''
  record 'cached image: copy+fsid+snapshot' "$(ms "$start" "$(now)")" "$(ms "$start" "$copied")" \
    "(btrfstune -u $(ms "$copied" "$tuned") ms)"
  rm -f "$image"
}

make_pristine
CP='cp -a SRC/. DST/'
for round in $(seq "$ROUNDS"); do
  echo "round $round (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  initial 'as rawdisk does it' '' '' "$CP"
  initial 'mkfs -m single' '-m single' '' "$CP"
  initial 'mkfs -n 65536' '-n 65536' '' "$CP"
  initial 'mount noatime' '' noatime "$CP"
  initial 'mount max_inline=0' '' max_inline=0 "$CP"
  initial 'mount max_inline=4095' '' max_inline=4095 "$CP"
  initial 'mount nodatasum (not for users)' '' nodatasum "$CP"
  # Without --preserve=mode cp makes no ACL calls, but it drops setgid bits and ACLs.
  initial 'cp without ACL calls (not for users)' '' '' \
    'umask 0; cp -dR --preserve=ownership,timestamps,links,xattr SRC/. DST/'
  initial 'cp -a --reflink=never' '' '' 'cp -a --reflink=never SRC/. DST/'
  tmpfs_copy
  cached
done
echo
echo "medians of $ROUNDS rounds (total = truncate to detach; ms):"
for name in "${!RESULTS[@]}"; do
  # shellcheck disable=SC2086
  printf '%-34s %5d\n' "$name" "$(printf '%s\n' ${RESULTS[$name]} | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
done | sort -k1,1
