/**
 * 9. `glr watch`: from a save of desired-state.yaml (a temporary file renamed over it, as editors
 * and git do) to the start of the pass it triggers, on a converged host (no apply in between); and
 * from a save that asks for a new version to the first action of the apply (by then the pass has
 * observed the host and computed its plan), one sample per fresh host. The watcher runs with
 * GLR_LOG_LEVEL=debug (a log level, no tuning) so that its converged passes are logged too.
 */
import { renameSync, writeFileSync } from 'node:fs';
import type { SandboxHost } from '../../sandbox/host.js';
import { waitFor } from '../../sandbox/host.js';
import { NEW, OLD, withHost, type Fixtures } from '../lib/fixtures.js';
import { startWatch, type LogLine } from '../lib/glr.js';

export interface Watch {
  /** save → "pass started" (ms) */
  toPass: number[];
  /** save → the apply's first action (ms) */
  toAction: number[];
}

/** `glr watch` on the host's file (converged at v0.4.3), once its first pass is done. */
async function startConverged(host: SandboxHost): Promise<{ log(): LogLine[]; stop(): Promise<void> }> {
  const watch = startWatch(host.writeDesired({ version: OLD, providers: null }), 600);
  await waitFor(() => watch.log().some((l) => l.msg.startsWith('converged')), { timeoutMs: 20_000, what: 'the first pass' });
  return watch;
}

function save(host: SandboxHost, yaml: string): number {
  writeFileSync(`${host.file}.tmp`, yaml);
  const at = Date.now();
  renameSync(`${host.file}.tmp`, host.file);
  return at;
}

export async function watchLatency(f: Fixtures): Promise<Watch> {
  const toPass = await withHost(f.small, async (host) => {
    const watch = await startConverged(host);
    const passes = () => watch.log().filter((l) => l.msg === 'pass started');
    const converged = () => watch.log().filter((l) => l.msg.startsWith('converged')).length;
    try {
      const out: number[] = [];
      for (let i = 0; i < f.o.watchSaves; i++) {
        const before = passes().length;
        const saved = save(host, `${host.desiredYaml({ version: OLD, providers: null })}# save ${i}\n`);
        await waitFor(() => passes().length > before, { timeoutMs: 20_000, what: 'a pass after the save', everyMs: 5 });
        out.push(passes().at(-1)!.at - saved);
        await waitFor(() => converged() >= passes().length, { timeoutMs: 20_000, what: 'the pass to finish' });
      }
      return out;
    } finally {
      await watch.stop();
    }
  });
  const toAction: number[] = [];
  for (let i = 0; i < f.o.watchApplies; i++) {
    toAction.push(
      await withHost(f.small, async (host) => {
        const watch = await startConverged(host);
        const firstAction = () => watch.log().find((l) => l.phase === 'prepare' && l.action !== undefined);
        try {
          const saved = save(host, host.desiredYaml({ version: NEW }));
          await waitFor(() => firstAction() !== undefined, { timeoutMs: 20_000, what: 'the apply to start', everyMs: 5 });
          await waitFor(() => host.healthyOn(NEW), { timeoutMs: 60_000, what: 'the apply to finish' });
          return firstAction()!.at - saved;
        } finally {
          await watch.stop();
        }
      }),
    );
  }
  return { toPass, toAction };
}
