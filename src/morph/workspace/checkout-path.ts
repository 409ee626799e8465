import { join } from 'node:path';

/**
 * Where a repo is checked out inside a system branch when no existing
 * checkout claims it (docs/spec/morph.md 3.1): for a URL with an absolute path,
 * `netloc + path` without a trailing `.git`; otherwise the name as is;
 * then every `:` becomes `/` and leading slashes go.
 * (`test:morphs` → `test/morphs`, `git://h:1234/x.git` → `h/1234/x`.)
 */
export function fabricateCheckoutPath(branchDir: string, repo: string): string {
  const url = splitUrl(repo);
  const relative = url?.path.startsWith('/') ? `${url.netloc}${url.path}`.replace(/\.git$/, '') : repo;
  return join(branchDir, relative.replace(/:/g, '/').replace(/^\/+/, ''));
}

/** Python urlparse's split of `scheme:[//netloc]path` (query and fragment dropped). */
function splitUrl(name: string): { netloc: string; path: string } | undefined {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(name);
  // Like Python, `host:1234` is a path with a port, not a scheme.
  const rest = match && !/^\d+$/.test(match[2]!) ? match[2]! : name;
  const withoutQuery = rest.replace(/[?#].*$/s, '');
  if (withoutQuery.startsWith('//')) {
    const slash = withoutQuery.indexOf('/', 2);
    return slash === -1
      ? { netloc: withoutQuery.slice(2), path: '' }
      : { netloc: withoutQuery.slice(2, slash), path: withoutQuery.slice(slash) };
  }
  return { netloc: '', path: withoutQuery };
}
