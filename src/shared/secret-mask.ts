/**
 * Which variables are secrets, and masking their values in everything morph
 * writes (status lines, the `--log` file, error messages). docs/deploy.md
 * "Secrets" states the rule for users.
 */

/** A variable whose name contains one of these words (any case) is a secret. */
const SECRET_NAME = /PASSWORD|SECRET|TOKEN|KEY/i;

/** What a secret value is replaced with. */
export const MASK = '***';

/** Values shorter than this are not masked in free text (they would garble it); they are never recorded either. */
const MIN_MASKED_LENGTH = 3;

/** True when `name` names a secret (`PASSWORD`, `SECRET`, `TOKEN` or `KEY`, case-insensitively). */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** `record` without its secret keys. */
export function withoutSecrets(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).filter(([key]) => !isSecretName(key)));
}

/**
 * A command-line word with the value of a secret assignment masked:
 * `sys.DB_PASSWORD=x` and `--api-token=x` become `sys.DB_PASSWORD=***` and
 * `--api-token=***`; other words are returned as they are.
 */
export function maskArgument(word: string): string {
  const equals = word.indexOf('=');
  if (equals <= 0) return word;
  return isSecretName(word.slice(0, equals)) ? `${word.slice(0, equals + 1)}${MASK}` : word;
}

/**
 * The secret values of one morph process: each value registered is replaced
 * by `***` wherever `mask` sees it. One per process (the CLI's), so that
 * every writer (status sink, log, error printer) masks the same set.
 */
export class SecretMask {
  private readonly values = new Set<string>();

  /** Registers `value` as a secret (ignored when too short to mask). */
  add(value: string): void {
    if (value.length >= MIN_MASKED_LENGTH) this.values.add(value);
  }

  /** Registers the values of every secret-named key of `record`. */
  addSecretsOf(record: Readonly<Record<string, string | undefined>>): void {
    for (const [key, value] of Object.entries(record)) {
      if (value !== undefined && isSecretName(key)) this.add(value);
    }
  }

  /** Registers the values of secret assignments among command-line words (`X.KEY=value`, `--x-token=value`). */
  addArguments(words: readonly string[]): void {
    for (const word of words) {
      const equals = word.indexOf('=');
      if (equals > 0 && isSecretName(word.slice(0, equals))) this.add(word.slice(equals + 1));
    }
  }

  /** `text` with every registered value replaced by `***` (longest first). */
  mask(text: string): string {
    if (this.values.size === 0) return text;
    let out = text;
    for (const value of [...this.values].sort((a, b) => b.length - a.length)) {
      if (out.includes(value)) out = out.split(value).join(MASK);
    }
    return out;
  }
}

/** The process's mask: the CLI fills it, the status sink, the log and the error printer apply it. */
export const secretMask = new SecretMask();
