/**
 * The OSTree ref of an artifact: `artifacts/<cache key>/<kind>/<name>`.
 * OSTree refs allow only `[-._\w]` in a component (and no leading `-`/`.`),
 * so other bytes of the artifact name (`gtk+-bins`) are written `_XX` (hex),
 * and `_` itself `_5f`, which keeps the mapping one-to-one.
 */
export function artifactRef(cacheKey: string, kind: string, name: string): string {
  return `artifacts/${cacheKey}/${kind}/${escapeRefComponent(name)}`;
}

/** Escapes one ref component as described at {@link artifactRef}. */
export function escapeRefComponent(name: string): string {
  let out = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const ch = String.fromCharCode(byte);
    const allowed = /[A-Za-z0-9]/.test(ch) || ((ch === '-' || ch === '.') && out !== '');
    out += allowed ? ch : `_${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}
