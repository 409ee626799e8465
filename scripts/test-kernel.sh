#!/usr/bin/env bash
# Fetches the kernel of the booting scenarios (yarns/booting.yarn): Debian's
# cloud kernel for amd64, the versioned image package that
# linux-image-cloud-amd64 depends on, downloaded with `apt-get download` and
# unpacked with `dpkg -x` (plus a `depmod` of its modules) into a cache, so
# that repeated runs do not download it again. Nothing of it is committed.
#
# Prints the cache directory of the kernel (holding `root/boot/vmlinuz-*`
# and `root/lib/modules/<version>/`) on its last line.
#
# Cache: $MORPH_TEST_KERNEL_CACHE, else /var/cache/morph-test-kernel when it
# can be written to, else .test-kernel-cache/ in the checkout (gitignored).
set -euo pipefail

fail() {
  echo "ERROR: test kernel: $*" >&2
  exit 1
}

checkout=$(cd "$(dirname "$0")/.." && pwd)
cache=${MORPH_TEST_KERNEL_CACHE:-/var/cache/morph-test-kernel}
if ! mkdir -p "$cache" 2>/dev/null || [ ! -w "$cache" ]; then
  [ -z "${MORPH_TEST_KERNEL_CACHE:-}" ] || fail "cannot write to MORPH_TEST_KERNEL_CACHE $cache"
  cache=$checkout/.test-kernel-cache
  mkdir -p "$cache"
fi

meta=linux-image-cloud-amd64
resolve() {
  apt-cache depends "$meta" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ <>]*\)$/\1/p' | head -n 1
}
package=$(resolve)
if [ -z "$package" ]; then
  # No package lists yet (a machine where `apt-get update` never ran).
  apt-get update -qq >/dev/null 2>&1 || true
  package=$(resolve)
fi
if [ -z "$package" ]; then
  # Offline with a filled cache: use the newest kernel there.
  cached=$(find "$cache" -mindepth 2 -maxdepth 2 -name .complete -printf '%T@ %h\n' | sort -n | tail -n 1 | cut -d' ' -f2-)
  [ -n "$cached" ] || fail "apt-cache knows no $meta and the cache $cache is empty; run 'apt-get update' (Debian's package registry must be reachable) and try again"
  echo "$cached"
  exit 0
fi
version=$(apt-cache show --no-all-versions "$package" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
[ -n "$version" ] || fail "apt-cache shows no version of $package; run 'apt-get update' and try again"
dir=$cache/${package}_$version
if [ -e "$dir/.complete" ]; then
  echo "$dir"
  exit 0
fi

# One download at a time; whoever comes second finds it done.
exec 9>"$cache/.lock"
flock 9
if [ -e "$dir/.complete" ]; then
  echo "$dir"
  exit 0
fi
scratch=$(mktemp -d "$cache/.download.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
download() {
  (cd "$scratch" && apt-get download -q -o APT::Sandbox::User=root "$package=$version" >"$scratch/apt.log" 2>&1)
}
if ! download; then
  echo "test kernel: apt-get download $package=$version failed, retrying once" >&2
  sleep 2
  download || fail "apt-get download $package=$version failed twice: $(tail -n 3 "$scratch/apt.log" | tr '\n' ' ')"
fi
deb=$(find "$scratch" -maxdepth 1 -name '*.deb' | head -n 1)
[ -n "$deb" ] || fail "apt-get download $package=$version produced no .deb"
dpkg -x "$deb" "$scratch/root"
rm -f "$deb" "$scratch/apt.log"
kernel_version=${package#linux-image-}
[ -d "$scratch/root/lib/modules/$kernel_version" ] || fail "$package has no lib/modules/$kernel_version"
depmod -b "$scratch/root" "$kernel_version"
touch "$scratch/.complete"
rm -rf "$dir"
mv "$scratch" "$dir"
trap - EXIT
echo "$dir"
