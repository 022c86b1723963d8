/**
 * What the sandbox's service managers (svc.ts, systemctl.ts) keep of the nodes they run: the
 * running node's pid file; every pid they ever started (a cleanup kills them all); and an events
 * log, `ms verb pid` a line, in which tests count the starts and stops.
 *
 * Beside the pid file, the node's start time as the kernel counts it (/proc/PID/stat): a node
 * that died without a stop leaves its pid file, and on a machine that starts thousands of
 * processes (pid_max is 32768 here) another process soon has that pid. systemd tracks a unit
 * by its cgroup and is never fooled so; this manager compares the start time.
 */
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isAlive, waitFor } from './proc.js';

export interface ServiceFiles {
  pidFile: string;
  pidsLog: string;
  eventsLog: string;
}

export interface ServiceEvent {
  at: number;
  verb: 'start' | 'stop';
  pid: number;
}

/** The pid in `pidFile` while the process started under it runs, else null. */
export function runningPid(pidFile: string): number | null {
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  if (!pid || !isAlive(pid)) return null;
  const noted = readFileOr(`${pidFile}.start`);
  return noted === null || noted === startTime(pid) ? pid : null;
}

/** The process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or null. */
function startTime(pid: number): string | null {
  const stat = readFileOr(`/proc/${pid}/stat`);
  return stat === null ? null : (stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null);
}

function readFileOr(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

export function noteStarted(f: ServiceFiles, pid: number): void {
  const started = startTime(pid);
  if (started === null) rmSync(`${f.pidFile}.start`, { force: true });
  else writeFileSync(`${f.pidFile}.start`, started);
  writeFileSync(f.pidFile, String(pid));
  appendFileSync(f.pidsLog, `${pid}\n`);
  appendFileSync(f.eventsLog, `${Date.now()} start ${pid}\n`);
}

/** SIGTERM to the running node, SIGKILL once `timeoutMs` have passed; returns when it has exited. */
export async function stopRunning(f: ServiceFiles, timeoutMs: number): Promise<void> {
  const pid = runningPid(f.pidFile);
  if (pid) {
    appendFileSync(f.eventsLog, `${Date.now()} stop ${pid}\n`);
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + timeoutMs;
    while (isAlive(pid)) {
      if (Date.now() > deadline) process.kill(pid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  rmSync(f.pidFile, { force: true });
  rmSync(`${f.pidFile}.start`, { force: true });
}

/** The starts and stops in an events log, in order (none before the first start). */
export function serviceEvents(eventsLog: string): ServiceEvent[] {
  if (!existsSync(eventsLog)) return [];
  return readFileSync(eventsLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [at, verb, pid] = l.split(' ');
      return { at: Number(at), verb: verb as ServiceEvent['verb'], pid: Number(pid) };
    });
}

/** Every node a service manager started, by pid. */
export function startedPids(pidsLog: string): number[] {
  return existsSync(pidsLog) ? readFileSync(pidsLog, 'utf8').split('\n').filter(Boolean).map(Number) : [];
}

/** SIGKILL to every node started; waits up to 5 s for them to exit. */
export async function killStarted(pidsLog: string, what: string): Promise<void> {
  const pids = startedPids(pidsLog);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await waitFor(() => pids.every((p) => !isAlive(p)), { timeoutMs: 5000, what }).catch(() => {});
}
