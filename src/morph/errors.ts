import { AppError } from '../shared/app-error.js';

/**
 * Every reason a MorphError can give, by the domain it arises in (HS-6.1):
 * a closed set, so a misspelt reason, or a reason given for the wrong
 * domain, is a compile error. Tests assert these (`definitions/missing-field`),
 * never the wording. A new failure adds its reason here, in its domain's list.
 */
export const MORPH_REASONS = {
  cli: [
    'cannot-write-graph',
    'clock-in-past',
    'git-fat-failed',
    'git-fat-missing',
    'interrupted',
    'no-cwd',
    'no-gitfat-remote',
    'not-in-git-repo',
    'pull-failed',
    'push-failed',
    'unknown-command',
    'usage',
    'wrong-arguments',
  ],
  config: [
    'bad-config-file',
    'bad-value',
    'cannot-create-directory',
    'insufficient-space',
    'invalid-repo-alias',
    'invalid-trove-id',
    'not-a-url',
    'unreadable-file',
  ],
  sources: ['file-not-found', 'git-failed', 'invalid-ref', 'no-remote-repo', 'update-failed'],
  workspace: [
    'bad-branch-name',
    'bad-system-branch',
    'branch-exists',
    'cannot-create',
    'checkout-exists',
    'file-exists',
    'foreach-failed',
    'git-config-failed',
    'git-status-failed',
    'not-empty',
    'not-in-system-branch',
    'not-in-workspace',
  ],
  definitions: [
    'binary-file',
    'chunk-name-mismatch',
    'chunk-no-build-depends',
    'depends-on-self',
    'duplicate-chunk',
    'duplicate-deployment-names',
    'duplicate-source',
    'duplicate-stratum',
    'field-not-allowed',
    'invalid-products',
    'invalid-type',
    'missing-field',
    'missing-morph',
    'missing-ref',
    'morphology-not-found',
    'no-build-depends',
    'no-chunks',
    'no-strata',
    'not-a-mapping',
    'obsolete-fields',
    'read-failed',
    'ref-not-string',
    'syntax-error',
    'too-deep',
    'too-large',
    'too-many-aliases',
    'unknown-architecture',
    'unknown-build-system',
    'unknown-kind',
    'unknown-repo-alias',
    'write-failed',
  ],
  cache: ['checkout-failed', 'commit-failed', 'init-failed', 'prune-failed', 'read-failed', 'worker-failed'],
  build: [
    'arch-mismatch',
    'bad-chunk-dependency',
    'bad-device',
    'bad-remote-url',
    'build-branch-failed',
    'build-timeout',
    'cannot-build-cluster',
    'chunk-build-failed',
    'cross-build',
    'cyclic-dependency',
    'destdir-changed',
    'duplicate-artifact',
    'empty-system',
    'interrupted',
    'invalid-split-rule',
    'mknod-failed',
    'no-morphology',
    'no-non-bootstrap-chunks',
    'no-repos',
    'no-root-checkout',
    'no-space',
    'not-a-system',
    'not-built',
    'nothing-to-cross-compile',
    'outside-root-checkout',
    'reapi-protos-missing',
    'remote-failed',
    'remote-unavailable',
    'source-checkout-failed',
    'staging-failed',
    'system-integration-failed',
    'unknown-architecture',
    'unknown-host-architecture',
    'unknown-stratum-artifact',
    'unsplit-files',
    'wrong-kind',
  ],
  deploy: [
    'already-set',
    'bad-metadata-dir',
    'bad-tempdir',
    'cannot-deploy-subsystem',
    'cannot-read-cluster',
    'location-escapes-tree',
    'missing-location',
    'missing-type',
    'multiple-system-metadata',
    'no-artifact-checksum',
    'no-output-folder',
    'no-system-metadata',
    'not-a-cluster',
    'not-a-system-artifact',
    'union-mount-failed',
    'unknown-deployment',
  ],
  extension: [
    'bad-boolean',
    'bad-image',
    'bad-manifest',
    'bad-network-config',
    'bad-parameter',
    'bad-path',
    'bad-size',
    'command-failed',
    'disk-too-small',
    'escapes-tree',
    'exists',
    'failed',
    'interrupted',
    'location-exists',
    'missing-file',
    'missing-location',
    'missing-manifest',
    'missing-parameter',
    'missing-source',
    'needs-root',
    'no-btrfs',
    'no-partition',
    'no-tree',
    'not-btrfs',
    'not-executable',
    'not-found',
    'unknown-filesystem',
    'upgrade-unsupported',
    'usage',
    'version-exists',
  ],
} as const;

/** Where in morph an error arose (HS-6.1). */
export type MorphDomain = keyof typeof MORPH_REASONS;

/** The reasons of `D` (of every domain when `D` is left out). */
export type MorphReason<D extends MorphDomain = MorphDomain> = (typeof MORPH_REASONS)[D][number];

/** `domain/reason`, the `code` of a MorphError (`definitions/missing-field`). */
export type MorphErrorCode = { [D in MorphDomain]: `${D}/${MorphReason<D>}` }[MorphDomain];

/** A domain with one of its own reasons: the first two arguments of `new MorphError`. */
type DomainReason = { [D in MorphDomain]: [domain: D, reason: MorphReason<D>] }[MorphDomain];

/**
 * Where in which file an error is (a definition, a config file): data on
 * the error, never part of its message. Lines and columns count from 1.
 */
export interface ErrorLocation {
  readonly file: string;
  readonly line?: number;
  /** Only with `line`. */
  readonly column?: number;
}

/** `file`, `file:line` or `file:line:column`. */
export function formatLocation(location: ErrorLocation): string {
  if (location.line === undefined) return location.file;
  return `${location.file}:${location.line}${location.column === undefined ? '' : `:${location.column}`}`;
}

/** The options of `new MorphError`. */
export interface MorphErrorOptions {
  readonly hint?: string;
  /** Printed before the message (`file:line: message`); leave it out when the message names the file. */
  readonly location?: ErrorLocation;
  readonly cause?: unknown;
}

/**
 * A user-facing morph error: printed by the CLI as `ERROR: <location>:
 * <message>` on stderr (plus `hint`), exit 1. `domain` and `reason` come
 * from MORPH_REASONS (`new MorphError('definitions', 'missing-field', ...)`);
 * `message` is one line without the location.
 */
export class MorphError extends AppError {
  declare readonly code: MorphErrorCode;
  readonly domain: MorphDomain;
  readonly reason: MorphReason;
  readonly location: ErrorLocation | undefined;

  constructor(...[domain, reason, message, options = {}]: [...DomainReason, string, MorphErrorOptions?]) {
    super(`${domain}/${reason}`, message, options);
    this.domain = domain;
    this.reason = reason;
    this.location = options.location;
  }

  /** The message with its location in front, as the CLI prints it: `file:line: message`. */
  get locatedMessage(): string {
    return this.location === undefined ? this.message : `${formatLocation(this.location)}: ${this.message}`;
  }
}
