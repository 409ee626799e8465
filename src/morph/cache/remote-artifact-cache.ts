import { runCommand } from '../../shared/exec.js';
import type { ArtifactCache } from './artifact-cache.js';

const REMOTE_NAME = 'morph-artifact-cache';

/**
 * A remote artifact cache: an `archive`-mode OSTree repository served over
 * HTTP (`artifact-cache-server`). Artifacts missing locally are pulled from
 * it; every failure (bad URL, unreachable host, missing ref) is silently
 * ignored, because the remote is only an accelerator (docs/spec/morph.md 5.8, 12.8).
 */
export class RemoteArtifactCache {
  private configured: Promise<boolean> | undefined;

  constructor(
    private readonly local: ArtifactCache,
    readonly url: string,
  ) {}

  /** True when `url` can name a remote repository at all. */
  static isUsable(url: string | undefined): url is string {
    if (!url) return false;
    try {
      const parsed = new URL(url);
      return (
        ['http:', 'https:', 'file:'].includes(parsed.protocol) &&
        (parsed.host !== '' || parsed.protocol === 'file:')
      );
    } catch {
      return false;
    }
  }

  /** Tries to fetch `refs` into the local repository; returns those now present locally. */
  async pull(refs: readonly string[]): Promise<string[]> {
    if (refs.length === 0 || !(await this.configure())) return [];
    // One request for all of them; when any is missing the whole pull fails,
    // and then each is tried on its own.
    if (refs.length === 1 || !(await this.pullRefs(refs))) {
      for (const ref of refs) await this.pullRefs([ref]);
    }
    const got: string[] = [];
    for (const ref of refs) if (await this.local.hasRef(ref)) got.push(ref);
    return got;
  }

  private async pullRefs(refs: readonly string[]): Promise<boolean> {
    const result = await runCommand(this.local.writer(['pull', '--mirror', REMOTE_NAME, ...refs]), {
      allowFailure: true,
      env: { ...process.env, OSTREE_CURL_TIMEOUT: '10' },
    }).catch(() => undefined);
    return result?.exitCode === 0;
  }

  private configure(): Promise<boolean> {
    this.configured ??= runCommand(
      this.local.writer([
        'remote',
        'add',
        '--force',
        '--no-gpg-verify',
        REMOTE_NAME,
        this.url.replace(/\/?$/, '/'),
      ]),
      { allowFailure: true },
    ).then(
      (result) => result.exitCode === 0,
      () => false,
    );
    return this.configured;
  }
}
