import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from './logger.js';

/**
 * Test-only: `GLR_FAILPOINT=NAME` makes glr stop dead right after reaching NAME (a journal phase
 * of the switch window, e.g. `stopped`, `swapped`, `started`, `rolling-back`; or `trashed`, a
 * version folder renamed aside by retention and not yet deleted), and
 * `GLR_FAILPOINT=NAME:MS` pauses it there for MS milliseconds. Crash tests use it to SIGKILL
 * glr at an exact instant instead of racing a window of a millisecond. `GLR_FAILPOINT=NAME:drain`
 * makes it wait there on a promise that never settles, with nothing else to keep the process
 * alive: the event loop drains while the command is still pending, as it would after a bug that
 * forgets a callback (tests prove the CLI then exits 1, "internal error", never 0). Besides the
 * journal phases, `download` is reached once the response headers have been checked. Never set
 * on a real host.
 */
export async function failpoint(name: string, log: Logger): Promise<void> {
  const spec = process.env.GLR_FAILPOINT;
  if (!spec) return;
  const [point, ms] = spec.split(':');
  if (point !== name) return;
  log.warn({ failpoint: name }, `failpoint ${name} reached`);
  if (ms === 'drain') {
    await new Promise<never>(() => {});
    return;
  }
  if (ms !== undefined) {
    await sleep(Number(ms));
    return;
  }
  // hang with a live handle (an unsettled promise alone would let the process exit)
  await new Promise<never>(() => setInterval(() => {}, 1 << 30));
}
