#!/bin/sh
# Usage: sh debian-kernel.sh DIR
#
# Fills DIR (created if needed) with the tree of the quickstart's kernel
# chunk repository, taken from Debian's cloud kernel for amd64
# (linux-image-cloud-amd64):
#
#   boot/vmlinuz                          the kernel
#   lib/modules/VERSION/...               the modules that a btrfs root on a
#                                         virtio disk needs, and what they
#                                         depend on
#   lib/modules/VERSION/initramfs.modules those modules, in load order, for
#                                         the initramfs's /init
#
# The package is fetched with `apt-get download` and unpacked with
# `dpkg -x` by scripts/test-kernel.sh of this tree, which keeps it in a
# cache (/var/cache/morph-test-kernel when it can write there), so that it
# is downloaded once.
set -eu
[ $# -eq 1 ] || { echo "usage: sh $0 DIR" >&2; exit 2; }
dir=$1
here=$(cd "$(dirname "$0")" && pwd)
unpacked=$(bash "$here/../scripts/test-kernel.sh" | tail -n 1)/root
version=$(ls "$unpacked/lib/modules")
modules=$dir/lib/modules/$version
mkdir -p "$dir/boot" "$modules"
cp "$unpacked/boot/vmlinuz-$version" "$dir/boot/vmlinuz"
# Each module after the modules it needs (modules.dep; not its soft
# dependencies, such as crc32c-intel, which needs a processor that TCG lacks).
awk -v wanted="virtio_pci virtio_blk btrfs" '
  { path = $1; sub(/:$/, "", path); needs[path] = $0; sub(/^[^:]*:/, "", needs[path])
    name = path; sub(/.*\//, "", name); sub(/\.ko.*$/, "", name); gsub(/-/, "_", name); byname[name] = path }
  function visit(path,   n, i, dep) {
    if (path in done) return
    done[path] = 1
    n = split(needs[path], dep, " ")
    for (i = 1; i <= n; i++) visit(dep[i])
    print path
  }
  END {
    n = split(wanted, names, " ")
    for (i = 1; i <= n; i++) {
      if (!(names[i] in byname)) { print "no module " names[i] > "/dev/stderr"; exit 1 }
      visit(byname[names[i]])
    }
  }' "$unpacked/lib/modules/$version/modules.dep" > "$modules/initramfs.modules"
while read -r module; do
  mkdir -p "$modules/$(dirname "$module")"
  cp "$unpacked/lib/modules/$version/$module" "$modules/$module"
done < "$modules/initramfs.modules"
echo "Debian's kernel $version and $(wc -l < "$modules/initramfs.modules") modules are in $dir"
