/**
 * How loaded the machine was while the bench ran, so that docs/benchmarks.md can say it: the
 * load average sampled through the run, the CPU time the whole machine spent busy (/proc/stat)
 * against the CPU time of the bench and the processes it waited for (its own rusage and its
 * children's, /proc/self/stat), the rest being other work on the machine; and what creating files
 * costs on the bench's filesystem, which some filesystems make slow for a while after many
 * deletions.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
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

/**
 * ms to create `count` files of 24 KiB (open, write, close) in a fresh folder under `dir`, as
 * a release's small files are; the folder is left for the bench's own clean-up at its end.
 */
export function fileCreateMs(dir: string, count = 2000): number {
  const into = path.join(dir, `create-probe-${Date.now()}`);
  const data = Buffer.alloc(24 * 1024, 0x5a);
  const t = now();
  for (let i = 0; i < count; i++) {
    if (i % 100 === 0) mkdirSync(path.join(into, String(i / 100)), { recursive: true });
    const fd = openSync(path.join(into, String(Math.floor(i / 100)), `f${i}`), 'wx');
    writeSync(fd, data);
    closeSync(fd);
  }
  return now() - t;
}
