import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Output kept per step and stream: the head and tail of anything longer (failure path stays cheap). */
export const OUTPUT_CAP = 1024 * 1024;
const PART = OUTPUT_CAP / 2;

function omitted(n: number): string {
  return `\n[... ${n} bytes omitted by yarn-run ...]\n`;
}

/** Caps a string to OUTPUT_CAP characters, keeping its head and tail. */
export function capText(text: string): string {
  if (text.length <= OUTPUT_CAP) return text;
  return text.slice(0, PART) + omitted(text.length - 2 * PART) + text.slice(text.length - PART);
}

/** Reads a step's output file, capped (head + tail) without reading the middle; '' when missing. */
export function readCapped(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= OUTPUT_CAP) {
      const buf = Buffer.allocUnsafe(size);
      const n = size > 0 ? readSync(fd, buf, 0, size, 0) : 0;
      return buf.toString('utf8', 0, n);
    }
    const head = Buffer.allocUnsafe(PART);
    const tail = Buffer.allocUnsafe(PART);
    readSync(fd, head, 0, PART, 0);
    readSync(fd, tail, 0, PART, size - PART);
    return head.toString('utf8') + omitted(size - 2 * PART) + tail.toString('utf8');
  } finally {
    closeSync(fd);
  }
}
