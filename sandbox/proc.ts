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
