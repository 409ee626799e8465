import type { ChunkCommandField } from '../model.js';

/** A build system: its name, default command lists and how to recognise a tree that uses it. */
export interface BuildSystem {
  name: string;
  /** Default command lists; fields not listed are empty. */
  commands: Partial<Record<ChunkCommandField, readonly string[]>>;
  /** True when the top-level file names of a tree show that it uses this build system. */
  usedBy(fileNames: readonly string[]): boolean;
}

const never = (): boolean => false;
const anyOf =
  (...names: string[]) =>
  (fileNames: readonly string[]): boolean =>
    fileNames.some((name) => names.includes(name));

const MAKE_INSTALL = 'make DESTDIR="$DESTDIR" install';

/**
 * The build systems of docs/spec/morph.md 4.4, in autodetection order. The command
 * strings are byte-exact (they enter cache keys), including qmake's
 * trailing space.
 */
export const BUILD_SYSTEMS: readonly BuildSystem[] = [
  { name: 'manual', commands: {}, usedBy: never },
  {
    name: 'autotools',
    commands: {
      'configure-commands': [
        'export NOCONFIGURE=1; ' +
          'if [ -e autogen ]; then ./autogen; ' +
          'elif [ -e autogen.sh ]; then ./autogen.sh; ' +
          'elif [ ! -e ./configure ]; then autoreconf -ivf; fi',
        './configure --prefix="$PREFIX"',
      ],
      'build-commands': ['make'],
      'install-commands': [MAKE_INSTALL],
    },
    usedBy: anyOf('autogen', 'autogen.sh', 'configure', 'configure.ac', 'configure.in', 'configure.in.in'),
  },
  {
    name: 'python-distutils',
    commands: {
      'build-commands': ['python setup.py build'],
      'install-commands': ['python setup.py install --prefix "$PREFIX" --root "$DESTDIR"'],
    },
    usedBy: anyOf('setup.py'),
  },
  {
    name: 'cpan',
    commands: {
      'configure-commands': [
        'perl Makefile.PL INSTALLDIRS=perl ' +
          'INSTALLARCHLIB="$PREFIX/lib/perl" ' +
          'INSTALLPRIVLIB="$PREFIX/lib/perl" ' +
          'INSTALLBIN="$PREFIX/bin" ' +
          'INSTALLSCRIPT="$PREFIX/bin" ' +
          'INSTALLMAN1DIR="$PREFIX/share/man/man1" ' +
          'INSTALLMAN3DIR="$PREFIX/share/man/man3"',
      ],
      'build-commands': ['make'],
      'install-commands': [MAKE_INSTALL],
    },
    usedBy: anyOf('Makefile.PL'),
  },
  {
    name: 'cmake',
    commands: {
      'configure-commands': ['cmake -DCMAKE_INSTALL_PREFIX=/usr'],
      'build-commands': ['make'],
      'install-commands': [MAKE_INSTALL],
    },
    usedBy: anyOf('CMakeLists.txt'),
  },
  {
    name: 'qmake',
    commands: {
      'configure-commands': ['qmake -makefile '],
      'build-commands': ['make'],
      'install-commands': ['make INSTALL_ROOT="$DESTDIR" install'],
    },
    usedBy: (fileNames) => fileNames.some((name) => name.endsWith('.pro')),
  },
  {
    name: 'dummy',
    commands: {
      'configure-commands': ['echo dummy configure'],
      'build-commands': ['echo dummy build'],
      'test-commands': ['echo dummy test'],
      'install-commands': ['echo dummy install'],
    },
    usedBy: never,
  },
];

/** The build system called `name`, or undefined when there is none. */
export function lookupBuildSystem(name: string): BuildSystem | undefined {
  return BUILD_SYSTEMS.find((system) => system.name === name);
}

/** The default command list of `field` for build system `name` (a fresh copy; empty when unlisted). */
export function defaultCommands(name: string, field: ChunkCommandField): string[] {
  return [...(lookupBuildSystem(name)?.commands[field] ?? [])];
}

/**
 * Autodetects the build system of a tree from its top-level file names
 * (docs/spec/morph.md 4.4): the first build system, in table order, that recognises
 * them; undefined when none does.
 */
export function detectBuildSystem(fileNames: readonly string[]): string | undefined {
  return BUILD_SYSTEMS.find((system) => system.usedBy(fileNames))?.name;
}
