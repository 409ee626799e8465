/**
 * Boots a disk image under QEMU for the booting scenarios: `-nographic`
 * with the serial console written to a file, `-no-reboot`, a modest amount
 * of memory, always under a timeout. QEMU runs as the leader of its own
 * process group, which is killed on every path: when the boot ends, panics
 * or times out, when the step is aborted, when the scenario ends and when
 * this process exits.
 *
 * Acceleration: KVM when `/dev/kvm` is there and a probe boot under it
 * works (some hosts have a `/dev/kvm` on which QEMU stops with "KVM internal
 * error" and pauses instead of exiting), else TCG. The probe runs once per
 * process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readFile, writeFile } from 'node:fs/promises';
import { type StepContext, StepFailure } from '../src/yarn/api.js';

/** The QEMU binary for x86_64 guests. */
export const QEMU = 'qemu-system-x86_64';

/** The prefix of every console line the bootable test system's init scripts print. */
export const MARKER = 'BOOT-TEST ';

/** How a boot ended. */
export type BootEnd = 'powered-off' | 'panic' | 'timeout' | 'exited';

/** What one boot showed. */
export interface BootResult {
  accel: 'kvm' | 'tcg';
  end: BootEnd;
  /** Seconds from starting QEMU to its end. */
  seconds: number;
  /** The whole serial console. */
  console: string;
  /** The console lines starting with MARKER, without it. */
  markers: string[];
  /** The first console line with "Kernel panic", if any. */
  panicLine: string | undefined;
}

export interface BootOptions {
  /** The disk image (attached as a virtio disk) and its format (raw or qcow2). */
  disk?: { image: string; format: string };
  /** Where the serial console goes. */
  consoleFile: string;
  /** Wall-clock limit. */
  timeoutMs: number;
  /**
   * Limit on the CPU time QEMU uses (default: none). On a loaded machine a
   * boot can take many times its CPU time in wall-clock time; this limit
   * stops a guest that computes in circles whatever the load.
   */
  cpuLimitMs?: number;
  /** MiB of guest memory (default 384). */
  memoryMiB?: number;
  /** Extra QEMU arguments (e.g. `-kernel` for the probe). */
  extra?: string[];
  /** From chooseAccelerator. */
  accel: 'kvm' | 'tcg';
}

/** The console line that ends a boot of the test system (printed right before poweroff). */
const END_MARKER = `${MARKER}end`;

/**
 * Starts QEMU on `options.image` and waits until the guest powers off,
 * the kernel panics (QEMU is then stopped: a panicked kernel never exits by
 * itself) or the timeout passes.
 */
export async function bootImage(ctx: StepContext, options: BootOptions): Promise<BootResult> {
  const accel = options.accel;
  await writeFile(options.consoleFile, '');
  const argv = [
    '-nographic',
    '-monitor',
    'none',
    '-serial',
    `file:${options.consoleFile}`,
    '-no-reboot',
    '-nic',
    'none',
    '-m',
    String(options.memoryMiB ?? 384),
    '-accel',
    accel,
    ...(accel === 'kvm' ? ['-cpu', 'host'] : []),
    ...(options.disk ? ['-drive', `file=${options.disk.image},format=${options.disk.format},if=virtio`] : []),
    ...(options.extra ?? []),
  ];
  ctx.log(`${QEMU} ${argv.join(' ')}`);
  const started = Date.now();
  const qemu = spawn(QEMU, argv, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  const kill = (): void => killGroup(qemu);
  const onExit = (): void => kill();
  process.once('exit', onExit);
  ctx.defer(kill);
  ctx.signal.addEventListener('abort', kill, { once: true });
  let stderr = '';
  qemu.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    qemu.once('exit', (code) => resolve(code));
    qemu.once('error', (err) => reject(new StepFailure(`cannot start ${QEMU}: ${err.message}`)));
  });
  let end: BootEnd | undefined;
  try {
    end = await watch(options, exited, started, qemu.pid);
  } finally {
    kill();
    await exited.catch(() => undefined);
    process.removeListener('exit', onExit);
    ctx.signal.removeEventListener('abort', kill);
  }
  const seconds = (Date.now() - started) / 1000;
  const console = await readFile(options.consoleFile, 'latin1');
  if (stderr.trim() !== '') ctx.log(`${QEMU} stderr: ${stderr.trim()}`);
  if (/KVM internal error/.test(stderr) && accel === 'kvm') {
    throw new StepFailure(`QEMU stopped with a KVM internal error:\n${stderr.trim()}`);
  }
  const lines = console.split(/\r?\n/);
  return {
    accel,
    end,
    seconds,
    console,
    markers: lines.filter((l) => l.startsWith(MARKER)).map((l) => l.slice(MARKER.length).trimEnd()),
    panicLine: lines.find((l) => l.includes('Kernel panic'))?.trim(),
  };
}

/** Polls the console until the guest is done; returns how it ended. */
async function watch(
  options: BootOptions,
  exited: Promise<number | null>,
  started: number,
  pid: number | undefined,
): Promise<BootEnd> {
  let hasExited = false;
  void exited.then(
    () => {
      hasExited = true;
    },
    () => {
      hasExited = true;
    },
  );
  let endSeenAt: number | undefined;
  for (;;) {
    await Promise.race([exited.catch(() => undefined), sleep(100)]);
    const console = await readFile(options.consoleFile, 'latin1').catch(() => '');
    if (hasExited) {
      await exited; // rethrows a spawn error
      return console.includes(END_MARKER) ? 'powered-off' : 'exited';
    }
    const panic = console.indexOf('Kernel panic');
    // Give the panic line a moment to be written out in full.
    if (panic >= 0 && (console.indexOf('\n', panic) >= 0 || Date.now() - started > options.timeoutMs)) {
      return 'panic';
    }
    if (console.includes(END_MARKER)) {
      endSeenAt ??= Date.now();
      // poweroff -f follows at once; a guest that does not go gets 10 s.
      if (Date.now() - endSeenAt > 10_000) return 'powered-off';
    }
    if (Date.now() - started > options.timeoutMs) return 'timeout';
    if (options.cpuLimitMs !== undefined && (await cpuTimeMs(pid)) > options.cpuLimitMs) return 'timeout';
  }
}

/** User and system CPU time of process `pid` so far (0 if it cannot be read). */
async function cpuTimeMs(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // Fields after "(comm)": state is field 3, utime 14 and stime 15, in clock ticks (100 per second).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) * 10;
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The accelerator QEMU runs with, and why. */
export interface Accelerator {
  accel: 'kvm' | 'tcg';
  reason: string;
}

/** The accelerator by process: probed once. */
let accelerator: Promise<Accelerator> | undefined;

/**
 * KVM if `/dev/kvm` can be opened and a probe boot of `probeKernel` under
 * it (no disk, so it must panic, then exit through `panic=-1` and
 * `-no-reboot`) shows the panic within a few seconds; else TCG.
 */
export function chooseAccelerator(ctx: StepContext, probeKernel: string): Promise<Accelerator> {
  if (!accelerator) {
    accelerator = (async (): Promise<Accelerator> => {
      const usable = await access('/dev/kvm', constants.R_OK | constants.W_OK).then(
        () => true,
        () => false,
      );
      if (!usable) return { accel: 'tcg', reason: 'no usable /dev/kvm' };
      const probe = await bootImage(ctx, {
        consoleFile: ctx.path('kvm-probe.console'),
        timeoutMs: 8000,
        accel: 'kvm',
        extra: ['-kernel', probeKernel, '-append', 'console=ttyS0 panic=-1'],
      }).catch((err: Error) => err);
      if (probe instanceof Error) return { accel: 'tcg', reason: `the KVM probe failed: ${probe.message}` };
      if (probe.panicLine === undefined) {
        return { accel: 'tcg', reason: `the KVM probe boot ended with ${probe.end}, not the expected panic` };
      }
      return { accel: 'kvm', reason: `a probe boot under KVM took ${probe.seconds.toFixed(1)} s` };
    })();
  }
  return accelerator;
}
