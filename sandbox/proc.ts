import { readFileSync } from 'node:fs';

/** Whether a process runs: it exists and is not a zombie (exited, not yet reaped by init). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** Polls `cond` until it holds or the deadline passes (then throws, naming what was awaited). */
export async function waitFor(cond: () => boolean | Promise<boolean>, o: { timeoutMs: number; what: string; everyMs?: number }): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${o.timeoutMs} ms waiting for ${o.what}`);
    await new Promise((r) => setTimeout(r, o.everyMs ?? 25));
  }
}
