/**
 * A generated system tree for the deploy benchmark (issue 5): about `bytes`
 * of deterministic pseudo-random content in about `entries` names, laid out
 * like a Baserock system (usr/{bin,lib,share,include}, etc, var, boot,
 * baserock metadata), with a log-normal file-size distribution (median a
 * few KiB, a tail of multi-MiB libraries), shared-library and /bin
 * symlinks, and hard-linked executables.
 */
import { linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** What was generated. */
export interface SystemTreeStats {
  files: number;
  symlinks: number;
  hardlinks: number;
  directories: number;
  /** Sum of regular file sizes (each hard-linked file once). */
  bytes: number;
}

/** mulberry32: a small deterministic PRNG in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const POOL = 16 * 1024 * 1024;
const MAX_FILE = 12 * 1024 * 1024;

/** Generates the tree in `root` (which must not exist). */
export function generateSystemTree(
  root: string,
  options: { entries?: number; bytes?: number; seed?: number } = {},
): SystemTreeStats {
  const entries = options.entries ?? 20_000;
  const target = options.bytes ?? 300_000_000;
  const random = prng(options.seed ?? 5);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

  const pool = Buffer.alloc(POOL);
  const words = new Uint32Array(pool.buffer, pool.byteOffset, POOL / 4);
  for (let i = 0; i < words.length; i++) words[i] = (random() * 4294967296) >>> 0;

  const symlinks = Math.round(entries * 0.03);
  const hardlinks = Math.round(entries * 0.01);
  const files = entries - symlinks - hardlinks;
  // Log-normal sizes (median 3 KiB), capped, then scaled to the target total.
  const raw = Array.from({ length: files }, () => Math.min(MAX_FILE, 3072 * Math.exp(1.9 * gauss())));
  const scale = target / raw.reduce((a, b) => a + b, 0);
  const sizes = raw.map((s) => Math.max(0, Math.min(MAX_FILE, Math.round(s * scale))));

  const packages = Array.from({ length: 200 }, (_, i) => `pkg${i.toString(36)}`);
  const dirs = new Set<string>();
  const ensure = (dir: string) => {
    if (dirs.has(dir)) return;
    mkdirSync(join(root, dir), { recursive: true });
    for (let d = dir; d !== '.' && !dirs.has(d); d = dirname(d)) dirs.add(d);
  };
  const paths: string[] = [];
  const executables: string[] = [];
  const libraries: string[] = [];
  let bytes = 0;
  for (let i = 0; i < files; i++) {
    const pkg = packages[Math.floor(random() * packages.length)]!;
    const area = random();
    let dir: string;
    let name: string;
    let mode = 0o644;
    if (i === 0) {
      dir = 'boot';
      name = 'vmlinuz';
    } else if (area < 0.05) {
      dir = random() < 0.8 ? 'usr/bin' : 'usr/sbin';
      name = `${pkg}-${i}`;
      mode = 0o755;
    } else if (area < 0.3) {
      dir = random() < 0.5 ? 'usr/lib' : `usr/lib/${pkg}`;
      name = random() < 0.3 ? `lib${pkg}-${i}.so.1` : `${pkg}-${i}.py`;
    } else if (area < 0.4) {
      dir = `usr/include/${pkg}`;
      name = `h${i}.h`;
    } else if (area < 0.43) {
      dir = `etc/${pkg}`;
      name = `${i}.conf`;
    } else if (area < 0.45) {
      dir = `var/lib/${pkg}`;
      name = `${i}.db`;
    } else if (area < 0.46) {
      dir = 'baserock';
      name = `${pkg}-${i}.meta`;
    } else {
      const depth = Math.floor(random() * 3);
      dir = `usr/share/${pkg}`;
      for (let d = 0; d < depth; d++) dir += `/s${Math.floor(random() * 3)}`;
      name = `f${i}.dat`;
    }
    ensure(dir);
    const path = join(dir, name);
    const size = i === 0 ? 8 * 1024 * 1024 : sizes[i]!;
    // A unique 16-byte header: no two files share content (OSTree would dedupe them).
    const header = Buffer.alloc(Math.min(16, size));
    if (header.length > 0) header.write(`${i}`.padEnd(16, '.').slice(0, header.length));
    const body = size - header.length;
    const chunks = [header];
    let left = body;
    while (left > 0) {
      const length = Math.min(left, POOL);
      const offset = Math.floor(random() * (POOL - length + 1));
      chunks.push(pool.subarray(offset, offset + length));
      left -= length;
    }
    writeFileSync(join(root, path), Buffer.concat(chunks), { mode });
    bytes += size;
    paths.push(path);
    if (mode === 0o755) executables.push(path);
    if (name.includes('.so.')) libraries.push(path);
  }
  ensure('etc');
  writeFileSync(join(root, 'etc', 'os-release'), 'NAME="Bench"\nID=bench\n');
  writeFileSync(join(root, 'etc', 'fstab'), '');
  bytes += 27;
  for (const top of ['bin', 'sbin', 'lib']) symlinkSync(`usr/${top}`, join(root, top));
  for (let i = 0; i < symlinks - 3; i++) {
    const from = libraries.length > 0 && i % 2 === 0 ? libraries : paths;
    const target = from[Math.floor(random() * from.length)]!;
    const link = i % 2 === 0 ? target.replace(/\.so\.1$/, `.so.${i}`) : `usr/share/links/l${i}`;
    ensure(dirname(link));
    symlinkSync(relative(dirname(link), target), join(root, link.endsWith('.so.1') ? `${link}.l${i}` : link));
  }
  for (let i = 0; i < hardlinks; i++) {
    const from = executables.length > 0 ? executables : paths;
    const target = from[Math.floor(random() * from.length)]!;
    linkSync(join(root, target), join(root, `${target}.h${i}`));
  }
  return { files: files + 2, symlinks, hardlinks, directories: dirs.size, bytes };
}
