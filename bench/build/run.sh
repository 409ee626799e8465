#!/bin/bash
# Build benchmark (issue 4): cold build, no-op rebuild and one-chunk rebuild of
# a generated wide system, the cold build's overhead over its build commands,
# and the artifact-cache growth for a second system sharing 90% of the files.
#
# Usage: bench/build/run.sh [STRATA] [CHUNKS-PER-STRATUM] [FILES-PER-CHUNK]
#   defaults 10 20 5 (200 chunks). Run as root after the project is built.
#   BENCH_DIR (default /var/tmp) holds the temporary directory; KEEP=1 keeps it;
#   RETRIES (default 10) bounds the attempts per build.
#
# The wide system = the suite's build-essential stratum (the test shell) +
# STRATA generated strata w1..wN, each build-depending on the previous one,
# each of CHUNKS-PER-STRATUM independent chunks. Every chunk is a tiny git
# repo; its commands are what the sandbox's test shell understands
# (fixtures/test-shell/README.md): one `create file` build command and one
# `create file "$DESTDIR/..."` install command per file.
# The variant system replaces the last stratum by wNv, whose chunks install
# different files (same names, other contents): 90% of files shared with 10 strata.
set -euo pipefail

STRATA=${1:-10}
PER=${2:-20}
FILES=${3:-5}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
MORPH="$SRC/morph"
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
sha() { git -C "$GITS/$1" rev-parse "$2^{commit}"; }

DEFS="$GITS/morphs"
git init -q -b master "$DEFS"
cp -a "$SRC/fixtures/morphs/." "$DEFS/"
sed -i -e "s/@SHA:bootstrap-chunk:bootstrap@/$(sha bootstrap-chunk bootstrap)/" \
  -e "s/@SHA:bootstrap-chunk:master@/$(sha bootstrap-chunk master)/" "$DEFS/strata/build-essential.morph"
rm -rf "$DEFS/clusters" "$DEFS/systems" "$DEFS/strata/core.morph" "$DEFS/test-chunk.morph"
mkdir -p "$DEFS/systems" "$DEFS/chunks"

# --- generated chunks and strata
WORDS=$(printf 'lorem%03d ' $(seq 1 40)) # ~370 bytes per file
gen_chunk() { # STRATUM-NAME INDEX VARIANT
  local name="$1-c$2" repo="$GITS/$1-c$2"
  git init -q -b master "$repo"
  printf '%s chunk %s\n' "$name" "$3" >"$repo/README"
  commit_all "$repo" "Add $name"
  {
    printf 'name: %s\nkind: chunk\nbuild-system: manual\nbuild-commands:\n' "$name"
    printf -- '- create file build/%s.o built %s\ninstall-commands:\n' "$name" "$3"
    for f in $(seq 1 "$FILES"); do
      printf -- '- create file "$DESTDIR/usr/share/bench/%s/f%s" %s %s %s\n' "$1" "$f" "$2" "$3" "$WORDS"
    done
  } >"$DEFS/chunks/$name.morph"
}
gen_stratum() { # NAME PREVIOUS VARIANT
  {
    printf 'name: %s\nkind: stratum\nbuild-depends:\n- morph: strata/%s.morph\nchunks:\n' "$1" "$2"
    for c in $(seq 1 "$PER"); do
      gen_chunk "$1" "$c" "$3"
      printf -- '- name: %s-c%s\n  morph: chunks/%s-c%s.morph\n  repo: test:%s-c%s\n  ref: %s\n  unpetrify-ref: master\n  build-depends: []\n' \
        "$1" "$c" "$1" "$c" "$1" "$c" "$(sha "$1-c$c" master)"
    done
  } >"$DEFS/strata/$1.morph"
}
gen_system() { # NAME LAST-STRATUM
  printf 'name: %s\nkind: system\narch: %s\nstrata:\n- name: build-essential\n  morph: strata/build-essential.morph\n' "$1" "$ARCH"
  for s in $(seq 1 $((STRATA - 1))); do printf -- '- name: w%s\n  morph: strata/w%s.morph\n' "$s" "$s"; done
  printf -- '- name: %s\n  morph: strata/%s.morph\n' "$2" "$2"
}
prev=build-essential
for s in $(seq 1 "$STRATA"); do gen_stratum "w$s" "$prev" base; prev="w$s"; done
gen_stratum "w${STRATA}v" "w$((STRATA - 1))" variant
gen_system wide-system "w$STRATA" >"$DEFS/systems/wide-system.morph"
gen_system variant-system "w${STRATA}v" >"$DEFS/systems/variant-system.morph"
commit_all "$DEFS" 'Add generated definitions'

# --- git server, morph.conf, workspace
node "$SRC/dist/test-git-server/cli.js" --root "$GITS" --port-file "$TOP/port" >/dev/null &
SERVER_PID=$!
for _ in $(seq 1 100); do [ -s "$TOP/port" ] && break; sleep 0.1; done
PORT=$(cat "$TOP/port")
URL="git://127.0.0.1:$PORT/%s"
printf '[config]\nrepo-alias = test=%s#%s\ncachedir = %s\ntempdir = %s\ntrove-host= []\n' \
  "$URL" "$URL" "$TOP/cache" "$TOP/tmp" >"$TOP/morph.conf"
morph() {
  "$MORPH" --verbose --cachedir-min-space=0 --tempdir-min-space=0 --no-default-config \
    --config "$TOP/morph.conf" --log="$TOP/log-$1" "$@"
}
morph init "$TOP/ws" >/dev/null
(cd "$TOP/ws" && morph checkout test:morphs master >/dev/null)
CHECKOUT="$TOP/ws/master/test/morphs"

now() { date +%s.%N; }
timed_build() { # LABEL SYSTEM -> prints seconds; output in $TOP/out-LABEL
  local start end
  local attempt=1
  start=$(now)
  # A failed attempt is retried (its work is kept in the cache, its time counted):
  # concurrent `ostree commit`s sometimes race on the repo's staging directory.
  until (cd "$CHECKOUT" && morph build "$2" >>"$TOP/out-$1" 2>"$TOP/err-$1"); do
    echo "$1: attempt $attempt failed: $(grep -m1 -E 'ERROR|Error:' "$TOP/err-$1" | cut -c1-220)" >&2
    echo "$1 $attempt" >>"$TOP/failures"
    attempt=$((attempt + 1))
    [ "$attempt" -le "${RETRIES:-10}" ] || { tail -5 "$TOP/out-$1"; cat "$TOP/err-$1"; } >&2
    [ "$attempt" -le "${RETRIES:-10}" ] || exit 1
  done
  end=$(now)
  echo "$end - $start" | bc -l
}
repo_size() { du -sk "$TOP/cache/artifacts/repo" | cut -f1; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

CHUNKS=$((STRATA * PER + 2))
echo "bench/build: $STRATA strata x $PER chunks (+2 bootstrap) x $FILES files, $(nproc) cores, $(date -u +%FT%TZ)"
echo "load before: $(load)"
COLD=$(timed_build cold systems/wide-system.morph)
COLD_KIB=$(repo_size)
NOOP=$(timed_build noop systems/wide-system.morph)

# --- change one chunk: commit to its repo, point the stratum at the new commit
MID=$STRATA # the last stratum: a change earlier rebuilds every later stratum (cache keys cascade)
CH="$GITS/w$MID-c1"
echo changed >>"$CH/README"
commit_all "$CH" 'Change one chunk'
NEW=$(git -C "$CH" rev-parse HEAD)
OLD=$(sha "w$MID-c1" HEAD~1)
sed -i "s/$OLD/$NEW/" "$CHECKOUT/strata/w$MID.morph"
ONE=$(timed_build one-chunk systems/wide-system.morph)
REBUILT=$(grep -c 'Building chunk' "$TOP/out-one-chunk" || true)

# --- second system sharing 90% of files
BEFORE_KIB=$(repo_size)
VARIANT=$(timed_build variant systems/variant-system.morph)
AFTER_KIB=$(repo_size)
echo "load after: $(load)"

# --- build-command time on the critical path, from the <key>.meta records
# (stage "build" = all of a chunk's command lists, bwrap start-up included).
# The critical path is build-essential's two chunks, then the slowest chunk
# of each generated stratum (the chunks of a stratum are independent, each
# stratum build-depends on the previous one).
read -r CRIT SUM STAGES < <(node --input-type=module - "$TOP/cache/artifacts" "$TOP/out-cold" <<'EOF'
import { readFileSync } from 'node:fs';
const [dir, out] = process.argv.slice(2);
// The cold build's chunks: "[i/n] NAME: Artifact is in cache: ...artifacts/KEY/chunk/..."
const names = new Map();
for (const m of readFileSync(out, 'utf8').matchAll(/\] ([\w.-]+): (?:Artifact|System) is in cache: \S*artifacts\/([0-9a-f]{64})\/(\w+)\//g))
  names.set(m[2], m[3] === 'chunk' ? m[1] : m[3]);
const byStratum = new Map();
let sum = 0;
const stages = {};
for (const [key, name] of names) {
  const times = JSON.parse(readFileSync(`${dir}/${key}.meta`, 'utf8'))['build-times'] ?? {};
  for (const [stage, t] of Object.entries(times)) stages[stage] = (stages[stage] ?? 0) + t.delta;
  if (!times.build) continue;
  sum += times.build.delta;
  const stratum = /^w\d+v?-c\d+$/.test(name) ? name.replace(/-c\d+$/, '') : name;
  byStratum.set(stratum, Math.max(byStratum.get(stratum) ?? 0, times.build.delta));
}
let crit = 0;
for (const v of byStratum.values()) crit += v;
const fmt = Object.entries(stages).map(([k, v]) => `${k}=${v.toFixed(1)}`).join(',');
console.log(crit.toFixed(3), sum.toFixed(3), fmt);
EOF
)

pct() { echo "scale=2; 100 * $1 / $2" | bc -l; }
printf '\n| measure | value | goal |\n|---|---|---|\n'
printf '| cold build (%s sources) | %.1f s | |\n' "$CHUNKS" "$COLD"
printf '| no-op rebuild | %.2f s | |\n' "$NOOP"
printf '| no-op / cold | %s %% | <= 2 %% |\n' "$(pct "$NOOP" "$COLD")"
printf '| rebuild after one chunk changed (%s chunk(s) rebuilt) | %.1f s | |\n' "$REBUILT" "$ONE"
printf '| build commands on the critical path (meta "build" stages) | %.2f s | |\n' "$CRIT"
printf '| cold overhead over critical-path commands | %.0f %% | <= 10 %% |\n' "$(pct "($COLD - $CRIT)" "$CRIT")"
printf '| sum of all chunk "build" stages | %.1f s | |\n' "$SUM"
printf '| cache after cold build | %s KiB | |\n' "$COLD_KIB"
printf '| cache, wide system (+ one-chunk rebuild) | %s KiB | |\n' "$BEFORE_KIB"
printf '| cache, + variant system (90%% shared), built in %.1f s | %s KiB | |\n' "$VARIANT" "$AFTER_KIB"
printf '| two systems / one | %s | <= 1.15 |\n' "$(echo "scale=3; $AFTER_KIB / $BEFORE_KIB" | bc -l)"
printf '| failed attempts retried | %s | 0 |\n' "$(cat "$TOP/failures" 2>/dev/null | tr '\n' ',' || true)"
printf '\nsummed stage times of all .meta records (s): %s\n' "$STAGES"
