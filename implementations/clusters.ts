/**
 * Steps that write cluster morphologies in the definitions checkout of a
 * system branch (what the 2015 suites did with `scripts/edit-morph`).
 *
 * A system path names deployments: `test-system` is the top-level entry
 * whose `deploy` has `test-system`; `test-system.sysroot` is the entry of
 * that entry's `subsystems` whose `deploy` has `sysroot` (docs/spec/morph.md 4.7).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { check, type StepContext, StepFailure, step } from '../src/yarn/api.js';
import { definitionsCheckout } from './morph-runner.js';

type Params = Record<string, unknown>;
interface SystemEntry {
  morph?: string;
  deploy?: Record<string, Params>;
  subsystems?: SystemEntry[];
  [key: string]: unknown;
}
interface Cluster {
  name: string;
  kind: string;
  systems?: SystemEntry[];
  [key: string]: unknown;
}

const SYSTEM = '(system|subsystem) (\\S+) in cluster (\\S+) in branch (\\S+)';

export default [
  step(
    ['GIVEN', 'WHEN'],
    /a cluster called (\S+) in system branch (\S+)/,
    'writes an empty cluster morphology FILE at the top of the definitions checkout of BRANCH',
    async (ctx, file, branch) => {
      await saveCluster(ctx, branch, file, { name: basename(file, '.morph'), kind: 'cluster', systems: [] });
    },
  ),
  step(
    ['GIVEN', 'WHEN'],
    /a (system|subsystem) in cluster (\S+) in branch (\S+) called (\S+)/,
    'adds a (sub)system entry with one deployment, named by the last part of the dotted path',
    async (ctx, kind, file, branch, path) => {
      await editCluster(ctx, branch, file, (cluster) => {
        const names = splitPath(kind, path);
        const deployment = names.pop() as string;
        const siblings = names.length === 0 ? topLevel(cluster) : subsystemsOf(findEntry(cluster, names));
        check(
          !siblings.some((entry) => entry.deploy && deployment in entry.deploy),
          `${file} already has a deployment called ${deployment} there`,
        );
        siblings.push({ deploy: { [deployment]: {} } });
      });
    },
  ),
  step(
    ['GIVEN', 'WHEN'],
    new RegExp(`${SYSTEM} builds (\\S+)`),
    'sets the system morphology of a (sub)system entry',
    async (ctx, kind, path, file, branch, morph) => {
      await editCluster(ctx, branch, file, (cluster) => {
        findEntry(cluster, splitPath(kind, path)).morph = morph;
      });
    },
  ),
  step(
    ['GIVEN', 'WHEN'],
    new RegExp(`${SYSTEM} has deployment (type|location): (\\S+)`),
    'sets the type or location of a (sub)system deployment',
    async (ctx, kind, path, file, branch, field, value) => {
      await setParameter(ctx, kind, path, file, branch, field, value);
    },
  ),
  step(
    ['GIVEN', 'WHEN'],
    new RegExp(`${SYSTEM} has deployment variable: ([^=]+)=(.*)`),
    'sets a variable (extension parameter) of a (sub)system deployment',
    async (ctx, kind, path, file, branch, name, value) => {
      await setParameter(ctx, kind, path, file, branch, name, value);
    },
  ),
];

async function setParameter(
  ctx: StepContext,
  kind: string,
  path: string,
  file: string,
  branch: string,
  name: string,
  value: string,
): Promise<void> {
  await editCluster(ctx, branch, file, (cluster) => {
    const names = splitPath(kind, path);
    const entry = findEntry(cluster, names);
    const deployment = names.at(-1) as string;
    (entry.deploy as Record<string, Params>)[deployment] = {
      ...(entry.deploy?.[deployment] ?? {}),
      [name]: value,
    };
  });
}

function topLevel(cluster: Cluster): SystemEntry[] {
  cluster.systems ??= [];
  return cluster.systems;
}

function subsystemsOf(entry: SystemEntry): SystemEntry[] {
  entry.subsystems ??= [];
  return entry.subsystems;
}

/** Splits `a.b.c`; a "system" is top-level (no dot), a "subsystem" nested. */
function splitPath(kind: string, path: string): string[] {
  const names = path.split('.');
  if (names.some((n) => n === '')) throw new StepFailure(`bad system path: ${path}`);
  if (kind.toLowerCase() === 'subsystem' && names.length < 2) {
    throw new StepFailure(`a subsystem is named PARENT.NAME, not ${path}`);
  }
  if (kind.toLowerCase() === 'system' && names.length > 1) {
    throw new StepFailure(`${path} names a subsystem, not a system`);
  }
  return names;
}

/** The entry whose deployment path is `names` (each name a key of `deploy` at its level). */
function findEntry(cluster: Cluster, names: string[]): SystemEntry {
  let entries = cluster.systems ?? [];
  let found: SystemEntry | undefined;
  for (const name of names) {
    found = entries.find((entry) => entry.deploy !== undefined && name in entry.deploy);
    if (!found) throw new StepFailure(`the cluster has no (sub)system deployment called ${names.join('.')}`);
    entries = found.subsystems ?? [];
  }
  return found as SystemEntry;
}

function clusterPath(ctx: StepContext, branch: string, file: string): string {
  return join(definitionsCheckout(ctx, branch), file);
}

async function editCluster(
  ctx: StepContext,
  branch: string,
  file: string,
  edit: (cluster: Cluster) => void,
): Promise<void> {
  const path = clusterPath(ctx, branch, file);
  const text = await readFile(path, 'utf8').catch(() => {
    throw new StepFailure(`there is no cluster ${path}`);
  });
  const cluster = parse(text, { version: '1.1' }) as Cluster;
  check(cluster && typeof cluster === 'object' && cluster.kind === 'cluster', `${path} is not a cluster`);
  edit(cluster);
  await saveCluster(ctx, branch, file, cluster);
}

async function saveCluster(ctx: StepContext, branch: string, file: string, cluster: Cluster): Promise<void> {
  const { name, kind, systems, ...rest } = cluster;
  const ordered = { name, kind, ...rest, systems: (systems ?? []).map(orderEntry) };
  await writeFile(clusterPath(ctx, branch, file), stringify(ordered, { version: '1.1' }));
}

/** Key order of morph's own saver: morph, deploy-defaults, deploy, subsystems, then the rest. */
function orderEntry(entry: SystemEntry): SystemEntry {
  const { morph, deploy, subsystems, ...rest } = entry;
  const defaults = rest['deploy-defaults'];
  delete rest['deploy-defaults'];
  return {
    ...(morph === undefined ? {} : { morph }),
    ...(defaults === undefined ? {} : { 'deploy-defaults': defaults }),
    ...(deploy === undefined ? {} : { deploy }),
    ...(subsystems === undefined ? {} : { subsystems: subsystems.map(orderEntry) }),
    ...rest,
  };
}
