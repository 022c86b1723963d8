/**
 * Preparation at low priority, so that the validator that keeps running does not feel it: CPU at
 * nice 10 and I/O in the best-effort class at its lowest level (7), for glr and the children it
 * spawns meanwhile (the GenVM setup), put back before the switch window.
 *
 * On Linux both are per thread. glr sets every thread of /proc/self/task (the main thread, libuv's
 * thread pool, V8's workers); a thread created later inherits from the thread that creates it,
 * and so does a child (spawned from the main thread). `restore()` puts every thread back, those
 * created meanwhile included: it matters, because with `service.manager: command` the node is
 * started as glr's child and must not inherit nice 10.
 *
 * Raising a priority back needs CAP_SYS_NICE (root has it). Without it glr would stay at nice 10
 * for the rest of its life (the switch window, the node it starts), so it does not lower its own
 * threads at all: only the children spawned while "lowered" run under
 * `nice -n 10 ionice -c 2 -n 7 --` (each when found on PATH). Lowering and restoring never fail
 * a pass: what cannot be done is logged and left.
 *
 * Why best-effort 7 and not the idle class: an idle-class process gets the disk only when nobody
 * else wants it, and a validator writes all the time, so a preparation could wait without bound
 * (on BFQ; mq-deadline ages it after seconds per request). Best-effort 7 always progresses.
 *
 * Where the kernel groups tasks for CPU fairness, nice only weighs within a group: with autogroup
 * (kernel.sched_autogroup_enabled, per session: each systemd service is a session of its own),
 * glr also sets its autogroup's nice when it can restore it; with the cgroup CPU controller
 * (systemd's CPUWeight=), the unit's weight decides (docs/operations.md).
 */
import { constants as fsc } from 'node:fs';
import { access, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { Logger } from './logger.js';

const PREPARE_NICE = 10;
/** best-effort class (2), lowest level (7) */
const PREPARE_IO = { cls: 2, level: 7 } as const;

export interface Lowered {
  /**
   * how the preparation runs: `threads` (glr's own threads, and so every child), `children`
   * (only the children glr spawns, through an argv prefix), `none` (nothing could be lowered)
   */
  readonly mode: 'threads' | 'children' | 'none';
  /** puts back what was lowered; idempotent; never throws */
  restore(): Promise<void>;
}

/** argv prefix for children while lowered in `children` mode (empty otherwise) */
let childPrefix: string[] = [];

/**
 * The argv to spawn a preparation child with: prefixed by `nice`/`ionice` when glr could not
 * lower its own threads (they then do not pass the priority on); unchanged otherwise.
 */
export function lowPriorityArgv(argv: readonly string[]): string[] {
  return childPrefix.length && argv.length ? [...childPrefix, ...argv] : [...argv];
}

interface IoPrio {
  cls: number;
  level: number;
}

interface Saved {
  nice: Map<number, number>;
  io: Map<number, IoPrio>;
  mainNice: number;
  mainIo: IoPrio | null;
  autogroup: number | null;
}

export interface PriorityOptions {
  /** overrides the CAP_SYS_NICE check (tests) */
  canRestore?: boolean;
  /** PATH to find nice and ionice on (tests) */
  path?: string;
}

export async function lowerPriority(log: Logger, o: PriorityOptions = {}): Promise<Lowered> {
  if (process.platform !== 'linux') return { mode: 'none', restore: async () => {} };
  const canRestore = o.canRestore ?? (await hasCapSysNice());
  if (!canRestore) {
    const nice = await which('nice', o.path);
    const ionice = await which('ionice', o.path);
    const prefix = [
      ...(nice ? [nice, '-n', String(PREPARE_NICE)] : []),
      ...(ionice ? [ionice, '-c', String(PREPARE_IO.cls), '-n', String(PREPARE_IO.level), '--'] : []),
    ];
    if (prefix.length === 0) {
      log.debug('preparation at normal priority: glr cannot raise its priority back (no CAP_SYS_NICE), and neither nice nor ionice is on PATH');
      return { mode: 'none', restore: async () => {} };
    }
    childPrefix = prefix;
    log.debug({ prefix }, 'preparation children at low priority (glr cannot raise its own back: no CAP_SYS_NICE)');
    let done = false;
    return {
      mode: 'children',
      restore: async () => {
        if (done) return;
        done = true;
        childPrefix = [];
      },
    };
  }

  const ionice = await which('ionice', o.path);
  const saved: Saved = { nice: new Map(), io: new Map(), mainNice: safeGetPriority(process.pid) ?? 0, mainIo: null, autogroup: null };
  const tids = await threads();
  for (const tid of tids) {
    const n = safeGetPriority(tid);
    if (n !== null) saved.nice.set(tid, n);
  }
  if (ionice) {
    // (a thread that ends between the listing and ionice fails the whole reading: once more)
    let io = await readIo(ionice, tids);
    if (io.size === 0) io = await readIo(ionice, await threads());
    for (const [tid, p] of io) saved.io.set(tid, p);
    saved.mainIo = io.get(process.pid) ?? null;
  }
  // lower: never raise a thread an operator had already put lower still
  for (const [tid, n] of saved.nice) safeSetPriority(tid, Math.max(n, PREPARE_NICE));
  if (ionice) {
    // the idle class is lower than best-effort 7: leave such threads as they are
    const lower = [...saved.io].filter(([, p]) => p.cls !== 3).map(([tid]) => tid);
    await setIo(ionice, lower, PREPARE_IO, log);
  }
  saved.autogroup = await lowerAutogroup(log);
  log.debug({ threads: tids.length, nice: PREPARE_NICE, io: ionice ? 'best-effort 7' : 'unchanged (no ionice)' }, 'preparation at low priority');

  let done = false;
  return {
    mode: 'threads',
    restore: async () => {
      if (done) return;
      done = true;
      const now = await threads();
      for (const tid of now) safeSetPriority(tid, saved.nice.get(tid) ?? saved.mainNice);
      if (ionice) {
        // one ionice per original class and level, threads born meanwhile as the main thread was
        const groups = new Map<string, number[]>();
        for (const tid of now) {
          const p = saved.io.get(tid) ?? saved.mainIo;
          if (!p) continue;
          const k = `${p.cls} ${p.level}`;
          groups.set(k, [...(groups.get(k) ?? []), tid]);
        }
        for (const [k, group] of groups) {
          const [cls, level] = k.split(' ').map(Number) as [number, number];
          await setIo(ionice, group, { cls, level }, log);
        }
      }
      if (saved.autogroup !== null)
        await writeFile('/proc/self/autogroup', String(saved.autogroup)).catch((e: unknown) => log.warn({ err: e }, 'could not restore the autogroup nice'));
      log.debug('priority restored');
    },
  };
}

/** CAP_SYS_NICE (bit 23) in the effective set: what raising a priority back needs */
async function hasCapSysNice(): Promise<boolean> {
  try {
    const status = await readFile('/proc/self/status', 'utf8');
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
    return m ? (BigInt(`0x${m[1]}`) & (1n << 23n)) !== 0n : false;
  } catch {
    return false;
  }
}

async function threads(): Promise<number[]> {
  try {
    return (await readdir('/proc/self/task')).map(Number).filter((n) => Number.isInteger(n) && n > 0);
  } catch {
    return [process.pid];
  }
}

function safeGetPriority(tid: number): number | null {
  try {
    return os.getPriority(tid);
  } catch {
    return null; // the thread has ended
  }
}

function safeSetPriority(tid: number, nice: number): void {
  try {
    os.setPriority(tid, nice);
  } catch {
    // the thread has ended, or the change is not allowed: left as it is
  }
}

const CLASSES: Record<string, number> = { none: 0, realtime: 1, 'best-effort': 2, idle: 3 };

/** `ionice -p TID...`: one line per thread, in order (`none: prio 0`, `best-effort: prio 7`, `idle`) */
async function readIo(ionice: string, tids: number[]): Promise<Map<number, IoPrio>> {
  const out = new Map<number, IoPrio>();
  if (tids.length === 0) return out;
  const r = await execa(ionice, ['-p', ...tids.map(String)], { reject: false, stdin: 'ignore', timeout: 5000 });
  if (r.failed) return out;
  const lines = String(r.stdout).split('\n');
  if (lines.length !== tids.length) return out; // a thread ended meanwhile: do not guess which
  lines.forEach((line, i) => {
    const m = /^([a-z-]+)(?::\s*prio\s+(\d+))?/.exec(line.trim());
    const cls = m ? CLASSES[m[1]!] : undefined;
    if (cls !== undefined) out.set(tids[i]!, { cls, level: Number(m![2] ?? 0) });
  });
  return out;
}

async function setIo(ionice: string, tids: number[], p: IoPrio, log: Logger): Promise<void> {
  if (tids.length === 0) return;
  const args = p.cls === 0 ? ['-c', '0'] : p.cls === 3 ? ['-c', '3'] : ['-c', String(p.cls), '-n', String(p.level)];
  const r = await execa(ionice, [...args, '-p', ...tids.map(String)], { reject: false, stdin: 'ignore', timeout: 5000 });
  // a thread that ended between the listing and now makes ionice fail for it alone
  if (r.exitCode !== 0) log.debug({ tids, io: p, output: `${String(r.stderr)}`.slice(0, 300) }, 'ionice did not apply to every thread');
}

/**
 * Sets the autogroup's nice to PREPARE_NICE when autogroup is on and the group is glr's alone
 * (a `glr watch` or timer unit: a session of its own); returns the old value. A group shared with
 * anything else (an operator's shell, a node glr started with `service.manager: command`) is left
 * alone: lowering it would lower them too.
 */
async function lowerAutogroup(log: Logger): Promise<number | null> {
  try {
    if ((await readFile('/proc/sys/kernel/sched_autogroup_enabled', 'utf8')).trim() !== '1') return null;
    const mine = await readFile('/proc/self/autogroup', 'utf8');
    const m = /^(\S+)\s+nice\s+(-?\d+)/.exec(mine);
    if (!m) return null;
    const old = Number(m[2]);
    if (old >= PREPARE_NICE) return null;
    for (const pid of await readdir('/proc')) {
      if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
      const theirs = await readFile(`/proc/${pid}/autogroup`, 'utf8').catch(() => '');
      if (theirs.split(/\s/)[0] === m[1]) {
        log.debug({ autogroup: m[1], shared: Number(pid) }, 'autogroup shared with another process: its nice left as it is');
        return null;
      }
    }
    await writeFile('/proc/self/autogroup', String(PREPARE_NICE));
    return old;
  } catch (e) {
    log.debug({ err: e }, 'autogroup nice left as it is');
    return null;
  }
}

/** An executable named `name` on PATH, or null. */
async function which(name: string, searchPath = process.env.PATH ?? ''): Promise<string | null> {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      await access(p, fsc.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}
