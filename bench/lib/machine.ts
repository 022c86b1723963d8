/**
 * The machine the bench runs on, so that docs/benchmarks.md can say it: how loaded it was (the
 * load average sampled through the run, the CPU time the whole machine spent busy against the
 * CPU time of the bench and the processes it waited for, the rest being other work), and what
 * its filesystem and memory charge for a release's files.
 *
 * Two things a small cloud VM can do that a validator host does not, each as costly as the
 * inflate itself, for glr and the runbook alike: an ext4 filesystem without a journal rescans,
 * for every file created in a block group, the inodes freed there in the last 30 s (5 s once
 * written back: the kernel's `recently_deleted`, which only a journal-less ext4 asks): a host
 * deleted after its round made the next round's 2000 files cost over a second (glr's opens: 1.4 s
 * against 0.03 s); and memory the VM has never touched costs a fault to the hypervisor on first
 * use (writing 300 MiB into new page-cache pages: about 0.7 s of system time against 0.06 s into
 * pages used before). So hosts are emptied after their round, never deleted before the run's end
 * (`emptyTree`: their pages freed for the next round, their inodes kept), and the scratch folder
 * is warmed; what files cost is measured at the start and the end of the run.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, truncateSync, writeSync, type Dirent } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { now } from './clock.js';

export interface Load {
  /** the 1-minute load average, sampled every few seconds */
  samples: number[];
  wallS: number;
  /** CPU time the machine spent busy (all CPUs; not idle, not iowait), seconds */
  busyS: number;
  /** CPU time of the bench's process and of the children it waited for, seconds */
  benchS: number;
}

let ticksPerS: number | null = null;
function clockTicks(): number {
  if (ticksPerS === null) {
    try {
      ticksPerS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerS = 100;
    }
  }
  return ticksPerS;
}

/** busy CPU seconds of the whole machine since boot (null where /proc/stat is not there) */
function machineBusyS(): number | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
    return (user + nice + system + irq + softirq + steal) / clockTicks();
  } catch {
    return null;
  }
}

/** CPU seconds of this process and of the children it has waited for */
function benchCpuS(): number {
  const self = process.resourceUsage();
  let children = 0;
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    children = (Number(f[13]) + Number(f[14])) / clockTicks();
  } catch {
    // not Linux: only the bench's own process
  }
  return (self.userCPUTime + self.systemCPUTime) / 1e6 + children;
}

/** Starts watching the machine's load; `stop()` returns what was seen. */
export function watchLoad(everyMs = 5000): { stop(): Load } {
  const samples = [os.loadavg()[0]!];
  const t0 = now();
  const busy0 = machineBusyS();
  const bench0 = benchCpuS();
  const timer = setInterval(() => samples.push(os.loadavg()[0]!), everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      samples.push(os.loadavg()[0]!);
      const busy1 = machineBusyS();
      return {
        samples,
        wallS: (now() - t0) / 1000,
        busyS: busy0 === null || busy1 === null ? NaN : busy1 - busy0,
        benchS: benchCpuS() - bench0,
      };
    },
  };
}

export interface FsCost {
  /** ms to create 2000 files of 24 KiB (open, write, close) in a new folder */
  create2000Ms: number;
  /** ms to write 300 MiB into a new file (into the page cache) */
  write300MiBMs: number;
}

/** What the filesystem under `dir` charges now for a release's small files and for its bytes. */
export function fsCost(dir: string): FsCost {
  const into = path.join(dir, `fs-probe-${process.pid}-${Date.now()}`);
  const small = Buffer.alloc(24 * 1024, 0x5a);
  const t = now();
  for (let i = 0; i < 2000; i++) {
    if (i % 100 === 0) mkdirSync(path.join(into, String(i / 100)), { recursive: true });
    const fd = openSync(path.join(into, String(Math.floor(i / 100)), `f${i}`), 'wx');
    writeSync(fd, small);
    closeSync(fd);
  }
  const create2000Ms = now() - t;
  const write300MiBMs = writeMs(path.join(into, 'big'), 300);
  emptyTree(into);
  return { create2000Ms, write300MiBMs };
}

/**
 * Truncates every file under `dir` to nothing, leaving the files and folders where they are (see
 * above: deleting them would slow down the files created next). Never throws: a file it cannot
 * empty keeps its bytes until the scratch folder goes.
 */
export function emptyTree(dir: string): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) emptyTree(p);
    else if (e.isFile()) {
      try {
        truncateSync(p, 0);
      } catch {
        try {
          chmodSync(p, 0o600);
          truncateSync(p, 0);
        } catch {
          // left as it is
        }
      }
    }
  }
}

function writeMs(file: string, mib: number): number {
  const block = Buffer.alloc(2 ** 20, 0x5a);
  const t = now();
  const fd = openSync(file, 'w');
  try {
    for (let i = 0; i < mib; i++) writeSync(fd, block);
  } finally {
    closeSync(fd);
  }
  return now() - t;
}

export interface Scratch {
  /** sub-folders are spread over the block groups (ext4's "top of hierarchy" attribute was set) */
  spread: boolean;
  /** MiB written and deleted to warm the memory */
  warmedMiB: number;
  start: FsCost;
}

/**
 * Prepares the folder every host of the run lives in: ext4's "top of hierarchy" attribute
 * (`chattr +T`), so that each host's folders go to block groups of their own; and 1 GiB written
 * and deleted, so that the first rounds' writes find page-cache pages the VM has touched before
 * (every round's host is emptied after it, its pages reused by the next). Then measures what
 * files cost there.
 */
export function prepareScratch(dir: string): Scratch {
  let spread = false;
  try {
    execFileSync('chattr', ['+T', dir], { stdio: 'ignore' });
    spread = true;
  } catch {
    // not ext4, or no chattr: nothing to spread
  }
  const warmedMiB = 1024;
  const warm = path.join(dir, 'warm-up');
  writeMs(warm, warmedMiB);
  rmSync(warm, { force: true });
  return { spread, warmedMiB, start: fsCost(dir) };
}
