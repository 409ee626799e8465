#!/bin/bash
# Build benchmark (issue 4): the suite's test system (cold, no-op) and a
# generated wide system of chunks compiling real C (cold, no-op, a variant
# sharing 90% of the files, one chunk changed); the cold build's overhead over
# the build commands on its critical path; the artifact-cache growth for the
# variant. Definitions and the reasons for them: docs/build.md, Benchmarks.
#
# Usage: bench/build/run.sh [STRATA] [CHUNKS-PER-STRATUM] [FUNCTIONS-PER-CHUNK]
#   defaults 10 20 60 (200 chunks, each compiling a generated C file of 60
#   functions with gcc -O2: about 1 s of CPU). Run as root after building the
#   project. BENCH_DIR (default /var/tmp) holds the temporary directory; KEEP=1
#   keeps it; RETRIES (default 10) bounds the attempts per build.
#   BENCH_ONLY=remote measures remote execution instead (issue 15): the wide
#   system built locally, then twice with --remote-execution on the REAPI test
#   double (test/reapi-test-double) on loopback, into empty caches; a failed
#   remote build is not retried, and a second one that executes anything fails
#   the benchmark (both would be bugs). The double's actions run at nice 19
#   (BENCH_ACTION_NICE), as the git server does: the engine's workers stand for
#   machines of their own. Wall and CPU seconds are reported, and
#   the protocol cost: the wall time during which morph had at least one chunk
#   in a protocol phase (making the action and its input root's Merkle tree,
#   the action cache, uploads, fetching and writing outputs; not the engine
#   running the commands), as a share of the local build's wall time.
#
# The wide system = STRATA generated strata w1..wN, each build-depending on
# the previous one, w1 on the stratum `toolchain`; each of CHUNKS-PER-STRATUM
# independent chunks, built in staging mode (chrooted): gcc -O2 of its own
# generated C file and a main.c, linked, installed into DESTDIR with a header,
# a README and three data files (bins, devel, doc and misc split artifacts).
# `toolchain` (build-only, not in the systems) gives the chroot its gcc:
# `toolchain-host`, a bootstrap-mode chunk, copies the host's gcc, cpp,
# binutils, libc6-dev, coreutils and dash (dpkg -L) into DESTDIR; `toolchain`,
# a staging-mode chunk of the same stratum, copies them from its staging root
# into its own DESTDIR (bootstrap chunks of other strata are not staged,
# docs/spec/morph.md 5.9). The variant system replaces the last stratum by wNv: the
# same installed paths with other contents.
set -euo pipefail

STRATA=${1:-10}
PER=${2:-20}
FUNCS=${3:-60}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
MORPH="${MORPH:-$SRC/morph}"
REPORT="$SRC/dist/bench/build/cold-build-report.js"
[ -f "$REPORT" ] || { echo "ERROR: $REPORT missing: build the project first (npx tsc -p tsconfig.json)" >&2; exit 1; }
TOP=$(mktemp -d "${BENCH_DIR:-/var/tmp}/bench-build.XXXXXX")
SERVER_PID=

cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $TOP" >&2; else rm -rf "$TOP"; fi
}
trap cleanup EXIT

export HOME="$TOP/home"
mkdir -p "$HOME"
printf '[user]\n\tname = Bench\n\temail = bench@example.com\n' >"$HOME/.gitconfig"
GITS="$TOP/gits"
mkdir -p "$GITS"
ARCH=$("$MORPH" print-architecture)

commit_all() { git -C "$1" add -A && git -C "$1" commit -q -m "$2"; }
sha() { git -C "$GITS/$1" rev-parse "$2^{commit}"; }

# --- the suite's repositories (as implementations/fixture-repos.ts makes them)
git init -q -b bootstrap "$GITS/bootstrap-chunk"
cp -a "$SRC/fixtures/bootstrap-chunk/bootstrap/." "$GITS/bootstrap-chunk/"
cp "$SRC/fixtures/test-shell/test-shell.c" "$GITS/bootstrap-chunk/"
commit_all "$GITS/bootstrap-chunk" 'Add bootstrap shell'
gcc -O2 -static -o "$TOP/sh" "$SRC/fixtures/test-shell/test-shell.c"
git -C "$GITS/bootstrap-chunk" checkout -q --orphan master
git -C "$GITS/bootstrap-chunk" rm -q -r -f .
mkdir "$GITS/bootstrap-chunk/bin"
cp "$TOP/sh" "$GITS/bootstrap-chunk/bin/sh"
commit_all "$GITS/bootstrap-chunk" 'Add prebuilt shell'
git init -q -b master "$GITS/test-chunk"
cp -a "$SRC/fixtures/test-chunk/." "$GITS/test-chunk/"
commit_all "$GITS/test-chunk" 'Add test chunk files'

DEFS="$GITS/morphs"
git init -q -b master "$DEFS"
cp -a "$SRC/fixtures/morphs/." "$DEFS/"
rm -rf "$DEFS/clusters"
find "$DEFS" -name '*.morph' -exec sed -i -e "s/@ARCH@/$ARCH/" \
  -e "s/@SHA:bootstrap-chunk:bootstrap@/$(sha bootstrap-chunk bootstrap)/" \
  -e "s/@SHA:bootstrap-chunk:master@/$(sha bootstrap-chunk master)/" \
  -e "s/@SHA:test-chunk:master@/$(sha test-chunk master)/" {} +
if grep -rq '@SHA:' "$DEFS"; then echo "ERROR: unfilled placeholder in fixtures/morphs" >&2; exit 1; fi
mkdir -p "$DEFS/chunks"

# --- the toolchain stratum
TC="$GITS/toolchain-host"
git init -q -b master "$TC"
printf '%s\n' dash coreutils gcc gcc-12 cpp cpp-12 gcc-12-base libgcc-12-dev libgcc-s1 \
  binutils binutils-common binutils-x86-64-linux-gnu libbinutils libctf0 libctf-nobfd0 libjansson4 \
  libc6 libc6-dev libcrypt-dev libcrypt1 linux-libc-dev libgmp10 libisl23 libmpc3 libmpfr6 \
  libzstd1 zlib1g libselinux1 libpcre2-8-0 libacl1 libattr1 >"$TC/packages"
# Not needed to compile C: documentation, LTO, gold, sanitizers, static libc.
printf '%s\n' '^/usr/share/(doc|man|info|locale|lintian|bug|gdb)/' 'lto1$' 'lto-dump' 'ld\.gold$' \
  'dwp$' 'gprofng' 'lib(asan|tsan|lsan|ubsan|hwasan)[^/]*$' '/libc\.a$' '/libm-[0-9.]*\.a$' \
  '/libmvec\.a$' >"$TC/exclude"
cat >"$TC/install-toolchain.sh" <<'EOF'
#!/bin/sh
# Copies the host's C toolchain, the Debian packages listed in ./packages
# without the paths matching ./exclude, into $DESTDIR. Merged /usr: /bin,
# /sbin, /lib and /lib64 become symlinks into /usr, as on the host.
set -eu
dpkg -L $(cat packages) | sort -u | grep -vE -f exclude |
  while read -r f; do
    case $f in /bin | /sbin | /lib | /lib64) continue ;; esac
    if [ -L "$f" ] || [ -f "$f" ]; then echo "${f#/}"; fi
  done >files
tar -C / -cf - --no-recursion -T files |
  tar -C "$DESTDIR" -xf - --transform 's,^\(bin\|sbin\|lib\|lib64\)/,usr/\1/,'
for d in bin sbin lib lib64; do ln -s "usr/$d" "$DESTDIR/$d"; done
EOF
commit_all "$TC" 'Add toolchain copy script'
git init -q -b master "$GITS/toolchain"
echo 'The toolchain-host chunk, copied from the staging root.' >"$GITS/toolchain/README"
commit_all "$GITS/toolchain" 'Add README'
printf 'name: toolchain-host\nkind: chunk\nbuild-system: manual\ninstall-commands:\n- sh install-toolchain.sh\n' \
  >"$DEFS/chunks/toolchain-host.morph"
cat >"$DEFS/chunks/toolchain.morph" <<'EOF'
name: toolchain
kind: chunk
build-system: manual
install-commands:
- cp -a /usr /etc /bin /sbin /lib /lib64 "$DESTDIR/"
EOF
cat >"$DEFS/strata/toolchain.morph" <<EOF
name: toolchain
kind: stratum
description: The host's C toolchain, for the chunks of the generated strata.
chunks:
- name: toolchain-host
  morph: chunks/toolchain-host.morph
  repo: test:toolchain-host
  ref: $(sha toolchain-host master)
  unpetrify-ref: master
  build-mode: bootstrap
  build-depends: []
- name: toolchain
  morph: chunks/toolchain.morph
  repo: test:toolchain
  ref: $(sha toolchain master)
  unpetrify-ref: master
  build-depends:
  - toolchain-host
EOF
DEPS="$TOP/dependencies"
printf 'toolchain-host\ntoolchain toolchain-host\n' >"$DEPS"

# --- generated chunks and strata
GEN_AWK="$TOP/gen.awk"
cat >"$GEN_AWK" <<'EOF'
# A C file of FUNCS functions, their constants drawn from SEED, and IDENT_entry calling them all.
BEGIN {
  srand(SEED);
  for (f = 0; f < FUNCS; f++) {
    printf "static unsigned long f%d(unsigned long x) {\n  unsigned long r = %dUL;\n", f, int(rand() * 1000000);
    printf "  for (int i = 0; i < %d; i++) {\n    switch ((x + i) %% 8) {\n", 3 + int(rand() * 20);
    for (c = 0; c < 8; c++)
      printf "    case %d: r = r * %dUL + (x >> %d) ^ %dUL; break;\n", c, int(rand() * 1000) + 1, int(rand() * 16), int(rand() * 100000);
    printf "    }\n    if (r %% %d == 0) x = x * %d + r;\n  }\n  return r;\n}\n", int(rand() * 50) + 2, int(rand() * 100) + 1;
  }
  printf "unsigned long %s_entry(unsigned long x) {\n  unsigned long r = 0;\n", IDENT;
  for (f = 0; f < FUNCS; f++) printf "  r ^= f%d(x + %d);\n", f, f;
  printf "  return r;\n}\n";
}
EOF
WORDS=$(printf 'lorem%03d ' $(seq 1 40)) # ~370 bytes per data file
gen_chunk() { # NAME PRODUCT SEED: a repo and a morphology; PRODUCT names the installed files
  local name="$1" product="$2" seed="$3" repo="$GITS/$1" ident=${2//-/_}
  git init -q -b master "$repo"
  awk -v SEED="$seed" -v FUNCS="$FUNCS" -v IDENT="$ident" -f "$GEN_AWK" >"$repo/gen.c"
  printf 'unsigned long %s_entry(unsigned long x);\n' "$ident" >"$repo/gen.h"
  printf '#include <stdio.h>\n#include "gen.h"\nint main(void) {\n  printf("%s %%lu\\n", %s_entry(%s));\n  return 0;\n}\n' \
    "$product" "$ident" "$seed" >"$repo/main.c"
  printf '%s, generated by bench/build/run.sh (seed %s).\n' "$product" "$seed" >"$repo/README"
  mkdir "$repo/data"
  for f in 1 2 3; do printf '%s %s %s %s\n' "$product" "$seed" "$f" "$WORDS" >"$repo/data/d$f"; done
  commit_all "$repo" "Add $name"
  cat >"$DEFS/chunks/$name.morph" <<EOF
name: $name
kind: chunk
build-system: manual
build-commands:
- '[ "\$(pwd)" = /$name.build ] || { echo "not in the staging chroot" >&2; exit 1; }'
- gcc -O2 -c gen.c
- gcc -O2 -c main.c
- gcc -o $product main.o gen.o
install-commands:
- mkdir -p "\$DESTDIR/usr/bin" "\$DESTDIR/usr/include" "\$DESTDIR/usr/share/doc/$product" "\$DESTDIR/usr/share/bench/$product"
- cp $product "\$DESTDIR/usr/bin/" && cp gen.h "\$DESTDIR/usr/include/$product.h" && cp README "\$DESTDIR/usr/share/doc/$product/" && cp data/* "\$DESTDIR/usr/share/bench/$product/"
EOF
}
gen_stratum() { # NAME PREVIOUS-STRATUM INDEX VARIANT(0|1)
  local deps
  if [ "$2" = toolchain ]; then deps='toolchain-host toolchain'; else deps=$(printf "$2-c%s " $(seq 1 "$PER")); fi
  {
    printf 'name: %s\nkind: stratum\nbuild-depends:\n- morph: strata/%s.morph\nchunks:\n' "$1" "$2"
    for c in $(seq 1 "$PER"); do
      gen_chunk "$1-c$c" "w$3-c$c" $((100000 * $4 + 1000 * $3 + c))
      printf -- '- name: %s-c%s\n  morph: chunks/%s-c%s.morph\n  repo: test:%s-c%s\n  ref: %s\n  unpetrify-ref: master\n  build-depends: []\n' \
        "$1" "$c" "$1" "$c" "$1" "$c" "$(sha "$1-c$c" master)"
      echo "$1-c$c $deps" >>"$DEPS"
    done
  } >"$DEFS/strata/$1.morph"
}
gen_system() { # NAME LAST-STRATUM
  printf 'name: %s\nkind: system\narch: %s\nstrata:\n' "$1" "$ARCH"
  for s in $(seq 1 $((STRATA - 1))); do printf -- '- name: w%s\n  morph: strata/w%s.morph\n' "$s" "$s"; done
  printf -- '- name: %s\n  morph: strata/%s.morph\n' "$2" "$2"
}
prev=toolchain
for s in $(seq 1 "$STRATA"); do gen_stratum "w$s" "$prev" "$s" 0; prev="w$s"; done
gen_stratum "w${STRATA}v" "$([ "$STRATA" = 1 ] && echo toolchain || echo "w$((STRATA - 1))")" "$STRATA" 1
gen_system wide-system "w$STRATA" >"$DEFS/systems/wide-system.morph"
gen_system variant-system "w${STRATA}v" >"$DEFS/systems/variant-system.morph"
# The toolchain alone, built into a cache of its own to know its size.
printf 'name: toolchain-system\nkind: system\narch: %s\nstrata:\n- name: toolchain\n  morph: strata/toolchain.morph\n' \
  "$ARCH" >"$DEFS/systems/toolchain-system.morph"
commit_all "$DEFS" 'Add generated definitions'

# --- git server, morph.conf per cache, workspace
# The server stands in for a Trove, a machine of its own: at the lowest CPU
# priority its git processes (half the CPU of every clone) take only what the
# build leaves idle, instead of counting as morph's overhead on these 2 cores
# (bench/RESULTS.md, Build). BENCH_SERVER_NICE=0 puts it on a par.
nice -n "${BENCH_SERVER_NICE:-19}" node "$SRC/dist/test-git-server/cli.js" --root "$GITS" --port-file "$TOP/port" >/dev/null &
SERVER_PID=$!
for _ in $(seq 1 100); do [ -s "$TOP/port" ] && break; sleep 0.1; done
PORT=$(cat "$TOP/port")
URL="git://127.0.0.1:$PORT/%s"
for cache in test toolchain wide; do
  printf '[config]\nrepo-alias = test=%s#%s\ncachedir = %s\ntempdir = %s\ntrove-host= []\n' \
    "$URL" "$URL" "$TOP/cache-$cache" "$TOP/tmp" >"$TOP/morph-$cache.conf"
done
morph() { # CACHE LOG-NAME ARGS...
  local cache="$1" log="$2"
  shift 2
  "$MORPH" --verbose --cachedir-min-space=0 --tempdir-min-space=0 --no-default-config \
    --config "$TOP/morph-$cache.conf" --log="$TOP/log-$log" "$@"
}
morph wide init init "$TOP/ws" >/dev/null
(cd "$TOP/ws" && morph wide checkout checkout test:morphs master >/dev/null)
CHECKOUT="$TOP/ws/master/test/morphs"

now() { date +%s.%N; }
timed_build() { # LABEL CACHE SYSTEM -> prints seconds; output in $TOP/out-LABEL
  local start end attempt=1
  start=$(now)
  # A failed attempt is retried (its work is kept in the cache, its time counted).
  until (cd "$CHECKOUT" && morph "$2" "$1" build "$3" >>"$TOP/out-$1" 2>"$TOP/err-$1"); do
    echo "$1: attempt $attempt failed: $(grep -m1 -E 'ERROR|Error:' "$TOP/err-$1" | cut -c1-220)" >&2
    echo "$1 $attempt" >>"$TOP/failures"
    attempt=$((attempt + 1))
    [ "$attempt" -le "${RETRIES:-10}" ] || { tail -5 "$TOP/out-$1"; cat "$TOP/err-$1"; } >&2
    [ "$attempt" -le "${RETRIES:-10}" ] || exit 1
  done
  end=$(now)
  echo "$start $end" >"$TOP/span-$1"
  # CPU seconds (user + system) of the build's processes, this subshell's waited-for children.
  times >"$TOP/times-$1" # not in a pipeline: a pipeline's subshell has no children of its own
  tail -1 "$TOP/times-$1" | awk '{ n = 0; for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); n += p[1] * 60 + p[2] } print n }' >"$TOP/cpu-$1"
  echo "$end - $start" | bc -l
}
cache_kib() { du -sk "$TOP/cache-$1/artifacts" | cut -f1; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
f1() { printf '%.1f' "$(echo "$1" | bc -l)"; }
f2() { printf '%.2f' "$(echo "$1" | bc -l)"; }
pct() { printf '%.1f' "$(echo "100 * ($1) / ($2)" | bc -l)"; }
built() { grep -c 'Building chunk' "$TOP/out-$1" || true; }

# --- BENCH_ONLY=remote: the wide system built locally, then twice on the REAPI
# test double on loopback (into empty caches: the second is served by the
# action cache); upload volume and time, and the local/remote wall-time ratio.
if [ "${BENCH_ONLY:-}" = remote ]; then
  mkdir -p "$TOP/reapi"
  # The engine's workers are machines of their own: the actions run at the lowest CPU priority
  # (as the git server does, for a Trove), taking only what morph and the engine's service leave.
  node "$SRC/dist/test/reapi-test-double/cli.js" --work-dir "$TOP/reapi" --port-file "$TOP/reapi-port" \
    --log-file "$TOP/reapi.log" --action-nice "${BENCH_ACTION_NICE:-19}" >/dev/null 2>"$TOP/reapi.err" &
  REAPI_PID=$!
  trap 'kill "$REAPI_PID" 2>/dev/null || true; cleanup' EXIT
  for _ in $(seq 1 100); do [ -s "$TOP/reapi-port" ] && break; sleep 0.1; done
  REAPI="grpc://127.0.0.1:$(cat "$TOP/reapi-port")"
  JOBS=$(grep -c ^processor /proc/cpuinfo)
  JOBS=$(( JOBS * 3 / 2 ))
  for cache in remote1 remote2; do
    printf '[config]\nrepo-alias = test=%s#%s\ncachedir = %s\ntempdir = %s\ntrove-host= []\nremote-execution = %s\nmax-remote-jobs = %s\n' \
      "$URL" "$URL" "$TOP/cache-$cache" "$TOP/tmp" "$REAPI" "$JOBS" >"$TOP/morph-$cache.conf"
  done
  # CPU seconds of the double and the actions it ran (utime, stime, cutime, cstime of /proc/PID/stat).
  double_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15 + $16 + $17) / hz }' "/proc/$REAPI_PID/stat"; }
  echo "bench/build remote: wide system of $STRATA strata x $PER chunks (+2 toolchain), $FUNCS functions per C file;" \
    "$(nproc) cores, max-remote-jobs $JOBS, $(date -u +%FT%TZ), $(git -C "$SRC" rev-parse --short HEAD)"
  echo "load before: $(load)"
  LOCAL=$(timed_build cold wide systems/wide-system.morph)
  echo "load after the local build: $(load)"
  # A remote build that fails is a bug to show, never retried.
  D0=$(double_cpu)
  FIRST=$(RETRIES=1 timed_build remote1 remote1 systems/wide-system.morph)
  D1=$(double_cpu)
  echo "load after the first remote build: $(load)"
  SECOND=$(RETRIES=1 timed_build remote2 remote2 systems/wide-system.morph)
  D2=$(double_cpu)
  echo "load after the second remote build: $(load)"
  summary() { grep -o 'Remote execution: [0-9]* chunks executed.*' "$TOP/out-$1" | tail -1; }
  field() { summary "$1" | sed -E "$2"; }
  executed() { field "$1" 's/Remote execution: ([0-9]+) chunks executed.*/\1/'; }
  upload_s() { field "$1" 's/.*blobs \(([0-9.]+) s\).*/\1/'; }
  uploaded() { field "$1" 's/.*uploaded ([0-9.]+ MiB in [0-9]+ blobs).*/\1/'; }
  protocol_s() { field "$1" 's/.*; protocol ([0-9.]+) s.*/\1/'; }
  phases() { field "$1" 's/.*; protocol [0-9.]+ s \((.*)\).*/\1/'; }
  if [ "$(executed remote2)" != 0 ]; then
    echo "ERROR: the second remote build executed $(executed remote2) chunks instead of finding all in the action cache:" >&2
    grep -B1 'Remote execution: queued' "$TOP/out-remote2" | grep -o '\] [^:]*:' | sort -u >&2
    exit 1
  fi
  printf '\n| measure | value |\n|---|---|\n'
  printf '| local cold build | %s s wall, %s s CPU (morph and its builds) |\n' "$(f1 "$LOCAL")" "$(f1 "$(cat "$TOP/cpu-cold")")"
  printf '| first remote build (empty CAS and action cache) | %s s wall, %s s CPU of morph, %s s CPU of the double and its actions |\n' \
    "$(f1 "$FIRST")" "$(f1 "$(cat "$TOP/cpu-remote1")")" "$(f1 "$D1 - $D0")"
  printf '| - upload | %s, %s s |\n' "$(uploaded remote1)" "$(upload_s remote1)"
  printf '| second remote build (new local cache; all action-cache hits) | %s s wall, %s s CPU of morph, %s s CPU of the double |\n' \
    "$(f1 "$SECOND")" "$(f1 "$(cat "$TOP/cpu-remote2")")" "$(f1 "$D2 - $D1")"
  printf '| - upload | %s, %s s |\n' "$(uploaded remote2)" "$(upload_s remote2)"
  printf '| summaries | first: %s; second: %s |\n' "$(summary remote1)" "$(summary remote2)"
  printf '| local / first remote wall time | %s |\n' "$(f2 "$LOCAL / $FIRST")"
  printf '| upload time of the first remote build / local build wall time | %s %% |\n' "$(pct "$(upload_s remote1)" "$LOCAL")"
  printf '| first remote build over local (protocol cost + double) / local | %s %% |\n' "$(pct "$FIRST - $LOCAL" "$LOCAL")"
  printf '| protocol cost of the first remote build: %s s (%s) / local build wall time | %s %% (target 10 %%) |\n' \
    "$(protocol_s remote1)" "$(phases remote1)" "$(pct "$(protocol_s remote1)" "$LOCAL")"
  printf '| protocol cost of the second remote build: %s s (%s) / local build wall time | %s %% |\n' \
    "$(protocol_s remote2)" "$(phases remote2)" "$(pct "$(protocol_s remote2)" "$LOCAL")"
  exit 0
fi

echo "bench/build: test system; wide system of $STRATA strata x $PER chunks (+2 toolchain), $FUNCS functions per C file;" \
  "$(nproc) cores, $(date -u +%FT%TZ), $(git -C "$SRC" rev-parse --short HEAD)"
echo "load before: $(load)"

# --- the suite's test system
TEST_COLD=$(timed_build test-cold test systems/test-system.morph)
TEST_NOOP=$(timed_build test-noop test systems/test-system.morph)

# --- the toolchain alone (for its share of the cache)
TC_TIME=$(timed_build toolchain toolchain systems/toolchain-system.morph)
TC_KIB=$(cache_kib toolchain)

# --- the wide system: cold, no-op
COLD=$(timed_build cold wide systems/wide-system.morph)
COLD_KIB=$(cache_kib wide)
# Proof that the chunks ran in the chroot with the staged gcc: a built binary runs and prints its seed.
BIN_REF=$(grep -o -m1 "artifacts/[0-9a-f]*/chunk/w1-c1-bins" "$TOP/out-cold")
ostree --repo="$TOP/cache-wide/artifacts/repo" checkout -U "$BIN_REF" "$TOP/w1-c1-bins"
RAN=$("$TOP/w1-c1-bins/usr/bin/w1-c1")
case $RAN in "w1-c1 "*) ;; *) echo "ERROR: w1-c1 printed '$RAN'" >&2; exit 1 ;; esac
NOOP=$(timed_build noop wide systems/wide-system.morph)

# --- the variant system: 90% of the files shared
VARIANT=$(timed_build variant wide systems/variant-system.morph)
VARIANT_KIB=$(cache_kib wide)

# --- change one chunk: commit to its repo, point the stratum at the new commit
CH="$GITS/w$STRATA-c1" # the last stratum: a change earlier rebuilds every later stratum (cache keys cascade)
echo '/* changed */' >>"$CH/gen.c"
commit_all "$CH" 'Change one chunk'
NEW=$(git -C "$CH" rev-parse HEAD)
OLD=$(sha "w$STRATA-c1" HEAD~1)
sed -i "s/$OLD/$NEW/" "$CHECKOUT/strata/w$STRATA.morph"
ONE=$(timed_build one-chunk wide systems/wide-system.morph)
echo "load after: $(load)"

# --- the cold build's critical paths (bench/build/critical-path.ts)
declare -A R
node "$REPORT" "$TOP/cache-wide/artifacts" "$TOP/out-cold" "$DEPS" >"$TOP/report"
while read -r k v; do R[$k]=$v; done <"$TOP/report"
read -r COLD_START COLD_END <"$TOP/span-cold"

met() { if [ "$(echo "$1" | bc -l)" = 1 ]; then echo yes; else echo no; fi; }
SCHED=${R[schedule-build]}
OWN_ONE=$((COLD_KIB - TC_KIB))
OWN_TWO=$((VARIANT_KIB - TC_KIB))
NOOP_PCT=$(pct "$NOOP" "$COLD")
OVER_PCT=$(pct "$COLD - $SCHED" "$SCHED")
RATIO=$(printf '%.3f' "$(echo "$OWN_TWO / $OWN_ONE" | bc -l)")

printf '\n| goal | value | target | met |\n|---|---|---|---|\n'
printf '| no-op rebuild / cold build | %s %% (%s s / %s s) | <= 2 %% | %s |\n' "$NOOP_PCT" "$(f2 "$NOOP")" "$(f1 "$COLD")" "$(met "$NOOP_PCT <= 2")"
printf '| cold overhead over build commands on the schedule critical path | %s %% (%s s over %s s) | <= 10 %% | %s |\n' \
  "$OVER_PCT" "$(f1 "$COLD")" "$(f1 "$SCHED")" "$(met "$OVER_PCT <= 10")"
printf '| artifact cache, two systems / one (toolchain excluded) | %s (%s / %s KiB) | <= 1.15 | %s |\n' \
  "$RATIO" "$OWN_TWO" "$OWN_ONE" "$(met "$RATIO <= 1.15")"

printf '\n| measure | value |\n|---|---|\n'
printf '| test system: cold build | %s s |\n' "$(f1 "$TEST_COLD")"
printf '| test system: no-op rebuild | %s s (%s %% of cold) |\n' "$(f2 "$TEST_NOOP")" "$(pct "$TEST_NOOP" "$TEST_COLD")"
printf '| toolchain alone (own cache) | %s s, %s KiB |\n' "$(f1 "$TC_TIME")" "$TC_KIB"
printf '| wide system: cold build (%s chunks) | %s s |\n' "${R[chunks]}" "$(f1 "$COLD")"
printf '| - before the first chunk started (resolution, git) | %s s |\n' "$(f1 "${R[first-start]} - $COLD_START")"
printf '| - after the last chunk ended (strata, system) | %s s |\n' "$(f1 "$COLD_END - ${R[last-stop]}")"
printf '| - between the steps of the schedule critical path | %s s |\n' \
  "$(f1 "${R[last-stop]} - ${R[first-start]} - ${R[schedule-inside]}")"
printf '| wide system: no-op rebuild | %s s |\n' "$(f2 "$NOOP")"
printf '| schedule critical path: chunks (entered at a command slot), build stages, time inside its steps | %s (%s), %s s, %s s |\n' \
  "${R[schedule-chunks]}" "${R[schedule-slot-entries]}" "$(f1 "$SCHED")" "$(f1 "${R[schedule-inside]}")"
printf '| dependency-only critical path: chunks, build stages | %s, %s s (cold overhead over it: %s %%) |\n' \
  "${R[dependency-chunks]}" "$(f1 "${R[dependency-build]}")" "$(pct "$COLD - ${R[dependency-build]}" "${R[dependency-build]}")"
printf '| all chunks: build stages summed | %s s |\n' "$(f1 "${R[all-build]}")"
printf '| variant system (%s chunks rebuilt) | %s s |\n' "$(built variant)" "$(f1 "$VARIANT")"
printf '| one chunk changed (%s chunk(s) rebuilt) | %s s |\n' "$(built one-chunk)" "$(f1 "$ONE")"
printf '| artifact cache: wide system; + variant (toolchain included) | %s KiB; %s KiB (%s) |\n' \
  "$COLD_KIB" "$VARIANT_KIB" "$(printf '%.3f' "$(echo "$VARIANT_KIB / $COLD_KIB" | bc -l)")"
FAILED=none
[ -s "$TOP/failures" ] && FAILED=$(tr '\n' ',' <"$TOP/failures")
printf '| failed attempts retried | %s |\n' "$FAILED"
printf '\nstage-seconds, all chunks: %s\n' "${R[all-stages]}"
printf 'schedule critical path: %s\n' "${R[schedule-path]}"
printf 'w1-c1 built in the chroot prints: %s\n' "$RAN"
