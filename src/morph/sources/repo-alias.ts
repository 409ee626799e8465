import { MorphError } from '../errors.js';

/** One `PREFIX=PULLPATTERN#PUSHPATTERN` alias (docs/spec/morph.md 2.2). */
export interface RepoAlias {
  readonly prefix: string;
  readonly pull: string;
  readonly push: string;
}

/** Built-in aliases used when `repo-alias` is not configured (docs/spec/morph.md 2.3). */
export const DEFAULT_REPO_ALIASES: readonly string[] = [
  'freedesktop=git://anongit.freedesktop.org/#ssh://git.freedesktop.org/',
  'gnome=git://git.gnome.org/%s#ssh://git.gnome.org/git/%s',
  'github=git://github.com/%s#ssh://git@github.com/%s',
];

/**
 * Parses an alias definition.
 * @throws MorphError config/invalid-repo-alias when it is not `PREFIX=PULL#PUSH`
 */
export function parseRepoAlias(text: string): RepoAlias {
  const match = /^([a-z][a-z0-9-]+)=([^#]+)#([^#]+)$/.exec(text.trim());
  if (!match) {
    throw new MorphError('config', 'invalid-repo-alias', `invalid repo-alias: ${text}`, {
      hint: 'an alias looks like prefix=git://host/%s#ssh://git@host/%s',
    });
  }
  return { prefix: match[1]!, pull: match[2]!, push: match[3]! };
}

/** The trove-derived aliases: `baserock`, `upstream` and one per `trove-id` (docs/spec/morph.md 2.3). */
export function troveAliases(troveHost: string, troveIds: readonly string[]): RepoAlias[] {
  if (troveHost === '') return [];
  const url = (protocol: string, path: string): string => {
    switch (protocol) {
      case 'git':
        return `git://${troveHost}/${path}/%s`;
      case 'ssh':
        return `ssh://git@${troveHost}/${path}/%s`;
      case 'http':
      case 'https':
        return `${protocol}://${troveHost}/git/${path}/%s`;
      default:
        throw new MorphError('config', 'invalid-trove-id', `unknown protocol ${protocol} in trove-id`);
    }
  };
  const aliases: RepoAlias[] = [
    { prefix: 'baserock', pull: url('git', 'baserock'), push: url('ssh', 'baserock') },
    { prefix: 'upstream', pull: url('git', 'delta'), push: url('ssh', 'delta') },
  ];
  for (const id of troveIds) {
    const match = /^([a-z][a-z0-9-]*)(?:=([^#]+)#([^#]+)#([^#]+))?$/.exec(id.trim());
    if (!match) throw new MorphError('config', 'invalid-trove-id', `invalid trove-id: ${id}`);
    const [, prefix, path, pull, push] = match;
    aliases.push({
      prefix: prefix!,
      pull: url(pull ?? 'ssh', path ?? prefix!),
      push: url(push ?? 'ssh', path ?? prefix!),
    });
  }
  return aliases;
}

/**
 * Expands and reverse-maps repository names through a set of aliases.
 * Explicit aliases win over implicit (trove) ones with the same prefix.
 */
export class RepoAliasResolver {
  readonly aliases: readonly RepoAlias[];

  constructor(explicit: readonly RepoAlias[], implicit: readonly RepoAlias[] = []) {
    const byPrefix = new Map<string, RepoAlias>();
    for (const alias of implicit) byPrefix.set(alias.prefix, alias);
    for (const alias of explicit) byPrefix.set(alias.prefix, alias);
    this.aliases = [...byPrefix.values()];
  }

  /**
   * Builds the resolver of an invocation from its settings.
   * @throws MorphError config/invalid-repo-alias, config/invalid-trove-id
   */
  static fromSettings(settings: {
    'repo-alias': readonly string[];
    'trove-host': string;
    'trove-id': readonly string[];
  }): RepoAliasResolver {
    const configured = settings['repo-alias'].length > 0 ? settings['repo-alias'] : DEFAULT_REPO_ALIASES;
    return new RepoAliasResolver(
      configured.map(parseRepoAlias),
      troveAliases(settings['trove-host'], settings['trove-id']),
    );
  }

  /** The URL to fetch `name` from (`test:morphs` → `git://host/morphs`); unknown names verbatim. */
  pullUrl(name: string): string {
    return this.expand(name, 'pull');
  }

  /** The URL to push `name` to. */
  pushUrl(name: string): string {
    return this.expand(name, 'push');
  }

  /** True when `name` is `PREFIX:REST` with a known PREFIX. */
  isAliased(name: string): boolean {
    return this.split(name) !== undefined;
  }

  /**
   * Every aliased name that expands to `url` as a pull or push URL, sorted
   * (`git://host/morphs` → `['test:morphs']`); used by branch-from-image.
   */
  aliasesFor(url: string): string[] {
    const found = new Set<string>();
    for (const alias of this.aliases) {
      for (const pattern of [alias.pull, alias.push]) {
        const match = patternToRegExp(pattern).exec(url);
        if (match) found.add(`${alias.prefix}:${match[1]}`);
      }
    }
    return [...found].sort();
  }

  /**
   * The prefix of `name` when it looks like `alias:rest` but no alias has
   * that prefix (`ncx:busybox` → `ncx`); undefined for known aliases, URLs
   * (`scheme://`), paths and `user@host:path`. 2015 morph passed such names
   * to git, which read them as ssh hosts.
   */
  unknownAlias(name: string): string | undefined {
    const match = /^([a-z][a-z0-9-]+):(?!\/\/)/.exec(name);
    if (!match || this.split(name)) return undefined;
    return match[1];
  }

  private split(name: string): { alias: RepoAlias; rest: string } | undefined {
    const match = /^([a-z][a-z0-9-]+):(.*)$/s.exec(name);
    if (!match) return undefined;
    const alias = this.aliases.find((a) => a.prefix === match[1]);
    return alias ? { alias, rest: match[2]! } : undefined;
  }

  private expand(name: string, which: 'pull' | 'push'): string {
    const found = this.split(name);
    if (!found) return name;
    const pattern = found.alias[which];
    return pattern.includes('%s') ? pattern.split('%s').join(found.rest) : pattern + found.rest;
  }
}

function patternToRegExp(pattern: string): RegExp {
  const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const body = pattern.includes('%s')
    ? pattern.split('%s').map(escapeRegExp).join('(.+)')
    : `${escapeRegExp(pattern)}(.+)`;
  return new RegExp(`^${body}$`, 's');
}
