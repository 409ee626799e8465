import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createStatusReporter, formatStatusLine, isShown } from './status-reporter.js';

const fixed = new Date(Date.UTC(2015, 2, 4, 5, 6, 7));

function capture(verbose: boolean, quiet: boolean) {
  const shown: string[] = [];
  const logged: string[] = [];
  const status = createStatusReporter({
    verbose,
    quiet,
    write: (l) => shown.push(l),
    log: (l) => logged.push(l),
    now: () => fixed,
  });
  status.normal('n');
  status.chatty('c');
  status.error('e');
  return { shown, logged };
}

describe('status lines', () => {
  it('are formatted with a UTC timestamp', () => {
    assert.equal(formatStatusLine(fixed, 'hello'), '2015-03-04 05:06:07 hello\n');
  });

  it('follow the verbose/quiet rules and always go to the log', () => {
    assert.deepEqual(capture(false, false).shown, ['2015-03-04 05:06:07 n\n', '2015-03-04 05:06:07 e\n']);
    assert.deepEqual(capture(false, true).shown, ['2015-03-04 05:06:07 e\n']);
    assert.equal(capture(true, false).shown.length, 3);
    assert.equal(capture(true, true).shown.length, 3);
    assert.equal(capture(false, true).logged.length, 3);
    assert.equal(isShown('chatty', false, false), false);
  });

  it('carry nested prefixes', () => {
    const shown: string[] = [];
    const status = createStatusReporter({
      verbose: false,
      quiet: false,
      write: (l) => shown.push(l),
      now: () => fixed,
    });
    status.withPrefix('[Build 1/3] ').withPrefix('[chunk] ').normal('done');
    assert.deepEqual(shown, ['2015-03-04 05:06:07 [Build 1/3] [chunk] done\n']);
  });
});
