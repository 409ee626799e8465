// The import-direction check of `npm run lint`: reads every relative import
// of src/**/*.ts and fails when a folder imports one it may not (the table
// in docs/architecture.md, "Layers"), or when modules import each other in a
// circle. Usage: node scripts/check-layers.mjs [ROOT]   (ROOT defaults to .)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/** What every part of morph/build may import from outside it; the layers above build may too. */
const BUILD = [
  'morph/errors',
  'morph/model',
  'morph/definitions',
  'morph/settings',
  'morph/status',
  'morph/sources',
  'morph/cache',
  'morph/app',
];

/** The stages of morph/build, each a folder. */
const BUILD_STAGES = ['graph', 'stage', 'assemble', 'execute', 'remote', 'schedule'].map(
  (s) => `morph/build/${s}`,
);

/**
 * What each unit may import besides itself and src/shared. A unit is a
 * folder, or a top-level file of a program, named as in docs/architecture.md.
 * Keep this table and the one in docs/architecture.md the same.
 */
const ALLOWED = {
  shared: [],
  // morph, bottom to top
  'morph/errors': [],
  'morph/model': ['morph/errors'],
  'morph/definitions': ['morph/errors', 'morph/model'],
  'morph/settings': ['morph/errors', 'morph/model'],
  'morph/status': ['morph/errors', 'morph/model'],
  'morph/sources': ['morph/errors', 'morph/model'],
  'morph/cache': ['morph/errors', 'morph/model', 'morph/definitions'],
  'morph/app': ['morph/errors', 'morph/model', 'morph/settings', 'morph/status', 'morph/sources'],
  // morph/build's stages, bottom to top (remote/ is execute's remote variant).
  'morph/build/graph': BUILD,
  'morph/build/stage': [...BUILD, 'morph/build/graph'],
  'morph/build/assemble': [...BUILD, 'morph/build/graph', 'morph/build/stage'],
  'morph/build/execute': [
    ...BUILD,
    'morph/build/graph',
    'morph/build/stage',
    'morph/build/assemble',
    'morph/build/remote',
  ],
  'morph/build/remote': [...BUILD, 'morph/build/graph', 'morph/build/stage', 'morph/build/execute'],
  'morph/build/schedule': [...BUILD, ...BUILD_STAGES.filter((stage) => stage !== 'morph/build/schedule')],
  // build/*.ts: whole build commands (cross-bootstrap) over every stage.
  'morph/build': [...BUILD, ...BUILD_STAGES],
  'morph/workspace': [...BUILD, 'morph/build'],
  'morph/extensions': ['morph/errors', 'morph/model'],
  'morph/extensions/builtin': ['morph/extensions'],
  'morph/deploy': [...BUILD, 'morph/build', 'morph/workspace', 'morph/extensions'],
  'morph/gc': [...BUILD, 'morph/build', 'morph/deploy'],
  'morph/cli': [...BUILD, 'morph/build', 'morph/workspace', 'morph/extensions', 'morph/deploy', 'morph/gc'],
  // yarn-run, bottom to top
  'yarn/errors': [],
  'yarn/api': ['yarn/errors'],
  'yarn/model': ['yarn/errors', 'yarn/api'],
  'yarn/parse': ['yarn/errors', 'yarn/api', 'yarn/model'],
  'yarn/bind': ['yarn/errors', 'yarn/api', 'yarn/model', 'yarn/parse'],
  'yarn/run': ['yarn/errors', 'yarn/api', 'yarn/model'],
  'yarn/report': ['yarn/errors', 'yarn/api', 'yarn/model'],
  'yarn/lint': ['yarn/errors', 'yarn/api', 'yarn/model', 'yarn/parse', 'yarn/bind'],
  'yarn/cli': [
    'yarn/errors',
    'yarn/api',
    'yarn/model',
    'yarn/parse',
    'yarn/bind',
    'yarn/run',
    'yarn/report',
    'yarn/lint',
  ],
};

/**
 * Known violations still to be fixed, as `importer -> imported` (paths under
 * src/). Each one is allowed exactly; any other violation fails.
 */
const KNOWN = new Set([]);

/** Unit tests: they may also use the helpers of test/support/ (never shipped code). */
function isTest(path) {
  return /\.test\.ts$/.test(path);
}

/** `morph`, `yarn` or `shared`. */
function programOf(path) {
  return path.split('/')[0];
}

/** The unit of a path under src/. */
function unitOf(path) {
  const parts = path.split('/');
  if (parts[0] === 'shared') return 'shared';
  if (parts.length === 2) return `${parts[0]}/${parts[1].replace(/\.ts$/, '')}`;
  if (parts[1] === 'extensions' && parts[2] === 'builtin') return 'morph/extensions/builtin';
  if (parts[1] === 'build' && parts.length > 3) return `morph/build/${parts[2]}`;
  return `${parts[0]}/${parts[1]}`;
}

const root = process.argv[2] ?? '.';
const src = join(root, 'src');
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) files.push(relative(src, path));
  }
})(src);

const IMPORT = /(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;
const problems = [];
const graph = new Map();
for (const file of files.sort()) {
  const text = readFileSync(join(src, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, '');
  const targets = [];
  for (const match of text.matchAll(IMPORT)) {
    const target = normalize(join(dirname(file), match[1])).replace(/\.js$/, '.ts');
    if (target.startsWith('../test/support/') && isTest(file)) continue;
    if (target.startsWith('..')) {
      problems.push(`${file}: imports ${match[1]}, outside src/`);
      continue;
    }
    targets.push(target);
    const from = unitOf(file);
    // Outside morph/build, its stages are one unit.
    const to = !from.startsWith('morph/build')
      ? unitOf(target).replace(/^morph\/build\/.*/, 'morph/build')
      : unitOf(target);
    const edge = `${file} -> ${target}`;
    if (from === to || to === 'shared' || KNOWN.has(edge)) continue;
    if (isTest(file)) {
      // Tests make their inputs with earlier stages: any unit of their own program.
      if (programOf(file) !== programOf(target))
        problems.push(`${edge}: a test of one program imports another`);
      continue;
    }
    const allowed = ALLOWED[from];
    if (allowed === undefined) problems.push(`${file}: its folder ${from} is not in the layer table`);
    else if (!allowed.includes(to)) problems.push(`${edge}: ${from} may not import ${to}`);
  }
  graph.set(file, targets);
}

// Circles between modules (a depth-first search for back edges).
const state = new Map();
function visit(file, stack) {
  state.set(file, 'open');
  stack.push(file);
  for (const target of graph.get(file) ?? []) {
    if (state.get(target) === 'open') {
      const circle = [...stack.slice(stack.indexOf(target)), target];
      const edges = circle.slice(0, -1).map((from, i) => `${from} -> ${circle[i + 1]}`);
      if (!edges.every((edge) => KNOWN.has(edge))) problems.push(`import circle: ${circle.join(' -> ')}`);
    } else if (!state.has(target)) visit(target, stack);
  }
  stack.pop();
  state.set(file, 'done');
}
for (const file of graph.keys()) if (!state.has(file)) visit(file, []);

if (problems.length > 0) {
  for (const problem of problems) console.error(`ERROR: ${problem}`);
  console.error(
    `ERROR: ${problems.length} import(s) against the layers of docs/architecture.md (see "Layers" there)`,
  );
  process.exit(1);
}
