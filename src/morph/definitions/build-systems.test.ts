import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILD_SYSTEMS, defaultCommands, detectBuildSystem, lookupBuildSystem } from './build-systems.js';

describe('build systems', () => {
  it('has the default commands of docs/spec/morph.md 4.4', () => {
    assert.deepEqual(defaultCommands('manual', 'build-commands'), []);
    assert.deepEqual(defaultCommands('dummy', 'test-commands'), ['echo dummy test']);
    assert.deepEqual(defaultCommands('autotools', 'configure-commands'), [
      'export NOCONFIGURE=1; if [ -e autogen ]; then ./autogen; elif [ -e autogen.sh ]; then ./autogen.sh; ' +
        'elif [ ! -e ./configure ]; then autoreconf -ivf; fi',
      './configure --prefix="$PREFIX"',
    ]);
    assert.deepEqual(defaultCommands('autotools', 'install-commands'), ['make DESTDIR="$DESTDIR" install']);
    assert.deepEqual(defaultCommands('python-distutils', 'install-commands'), [
      'python setup.py install --prefix "$PREFIX" --root "$DESTDIR"',
    ]);
    assert.match(
      defaultCommands('cpan', 'configure-commands')[0] ?? '',
      /^perl Makefile.PL INSTALLDIRS=perl /,
    );
    assert.deepEqual(defaultCommands('cmake', 'configure-commands'), ['cmake -DCMAKE_INSTALL_PREFIX=/usr']);
    assert.deepEqual(defaultCommands('qmake', 'configure-commands'), ['qmake -makefile ']);
    assert.deepEqual(defaultCommands('qmake', 'install-commands'), ['make INSTALL_ROOT="$DESTDIR" install']);
    assert.deepEqual(defaultCommands('nonesuch', 'build-commands'), []);
  });

  it('returns fresh copies', () => {
    const commands = defaultCommands('cmake', 'build-commands');
    commands.push('x');
    assert.deepEqual(defaultCommands('cmake', 'build-commands'), ['make']);
  });

  it('looks build systems up by name', () => {
    assert.equal(lookupBuildSystem('cmake')?.name, 'cmake');
    assert.equal(lookupBuildSystem('scons'), undefined);
    assert.deepEqual(
      BUILD_SYSTEMS.map((system) => system.name),
      ['manual', 'autotools', 'python-distutils', 'cpan', 'cmake', 'qmake', 'dummy'],
    );
  });

  it('autodetects in table order from top-level file names', () => {
    assert.equal(detectBuildSystem(['configure', 'Makefile']), 'autotools');
    for (const name of ['autogen', 'autogen.sh', 'configure.ac', 'configure.in', 'configure.in.in']) {
      assert.equal(detectBuildSystem([name]), 'autotools', name);
    }
    assert.equal(detectBuildSystem(['setup.py', 'CMakeLists.txt']), 'python-distutils');
    assert.equal(detectBuildSystem(['Makefile.PL']), 'cpan');
    assert.equal(detectBuildSystem(['CMakeLists.txt', 'x.pro']), 'cmake');
    assert.equal(detectBuildSystem(['README', 'app.pro']), 'qmake');
    assert.equal(detectBuildSystem(['README', 'Makefile']), undefined);
    assert.equal(detectBuildSystem([]), undefined);
  });
});
