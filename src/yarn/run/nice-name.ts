/** The reference's `nice()`: keeps `[A-Za-z0-9.-]`, every other run of characters becomes one `_`. */
export function niceName(name: string): string {
  let out = '';
  for (const c of name) {
    if (/[A-Za-z0-9.-]/.test(c)) out += c;
    else if (!out.endsWith('_')) out += '_';
  }
  return out;
}
