/**
 * 6. A release that dies on start: `glr reconcile` to it on a fresh host (small releases: the
 * figure is about verify and rollback, not the download). Measured from the moment glr issued
 * the start (its log's `start` action): when the node itself died (the fake node's own log line),
 * when glr saw it dead (its first warning or error after the start), when the old version answered
 * healthy again (the outside prober), when glr returned (exit 3).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sleep } from '../lib/clock.js';
import { DIES, OLD, withHost, type Fixtures } from '../lib/fixtures.js';
import { actionStart, glr, logLine } from '../lib/glr.js';
import { Prober } from '../lib/prober.js';

export interface DieRound {
  exitCode: number | null;
  diedMs: number;
  seenDeadMs: number;
  oldHealthyMs: number;
  returnedMs: number;
}

/** When the fake node wrote its fatal line (epoch ms), from its own log in the version folder. */
function diedAt(root: string, version: string): number {
  try {
    const log = readFileSync(path.join(root, version, 'data/node/logs/node.log'), 'utf8');
    const m = /^(\S+) \[\S+ pid \d+\] fatal:/m.exec(log);
    return m ? Date.parse(m[1]!) : NaN;
  } catch {
    return NaN;
  }
}

export async function dieOnStart(f: Fixtures): Promise<DieRound[]> {
  const out: DieRound[] = [];
  for (let i = 0; i < f.o.fewRounds; i++) {
    out.push(
      await withHost(f.small, async (host) => {
        const p = await Prober.start(host.healthUrl);
        try {
          await sleep(200);
          const run = await glr(['reconcile', '--json', '-f', host.writeDesired({ version: DIES, timeoutSeconds: 60 })]);
          const startAt = actionStart(run.log, 'start');
          const seen = logLine(run.log, (l) => l.level >= 40, startAt);
          const back = await p.healthyOn(OLD, startAt, 30_000).catch(() => null);
          return {
            exitCode: run.code,
            diedMs: diedAt(host.root, DIES) - startAt,
            seenDeadMs: (seen?.at ?? NaN) - startAt,
            oldHealthyMs: (back?.at ?? NaN) - startAt,
            returnedMs: run.endedAt - startAt,
          };
        } finally {
          await p.stop();
        }
      }),
    );
  }
  return out;
}
