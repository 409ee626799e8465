import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { ReapiClient } from '../../src/morph/build/remote/reapi-client.js';
import { ReapiTestDouble } from './reapi-test-double.js';

/** A started test double, its work directory and a client of it (`client` once `before` ran). */
export interface DoubleForTests {
  readonly dir: string;
  readonly double: ReapiTestDouble;
  client: ReapiClient;
}

/**
 * A test double in a new temporary directory, for the tests of the calling
 * `describe` block: started with a client before them, stopped and removed
 * after them.
 */
export function doubleForTests(
  name: string,
  options: Omit<ConstructorParameters<typeof ReapiTestDouble>[0], 'workDir'> = {},
): DoubleForTests {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  const fixture = { dir, double: new ReapiTestDouble({ ...options, workDir: dir }) } as DoubleForTests;
  before(async () => {
    const port = await fixture.double.start();
    fixture.client = new ReapiClient({ url: `grpc://127.0.0.1:${port}`, instanceName: '' });
  });
  after(() => {
    fixture.client?.close();
    fixture.double.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return fixture;
}
