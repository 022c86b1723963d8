import type { Desired } from '../desired/types.js';
import { Layout } from '../layout.js';
import type { Observed } from '../observe/types.js';
import { list } from './describe.js';
import { runningVersion } from '../observe/retention.js';
import { retentionAfter } from './retention.js';
import { stepsOf } from './steps.js';
import type { FinishStep, Plan } from './types.js';

/**
 * The finish steps that follow the outcome of any plan that does something: the verdict on the
 * release a switch entered (`mark-release`), then retention (`prune`, on outcome `applied` only,
 * after the node was verified: it never delays a switch). The prune step names what it will
 * remove, computed from the host as the plan leaves it when it succeeds (retention.ts).
 */
export function withAftercare(p: Plan, d: Desired, o: Observed): Plan {
  if (p.refusals.length || stepsOf(p).length === 0) return p;
  const finish: FinishStep[] = [...p.finish];
  const sw = p.switch;
  if (sw?.leaving && sw.leaving !== sw.entering) {
    finish.push({
      kind: 'mark-release',
      version: sw.entering,
      description: `if ${sw.entering} is rolled back, mark it bad (${new Layout(d.root).badReleases}: status shows it, retention removes it first); healthy clears an earlier mark`,
    });
  }
  if (p.intent !== 'finish-rollback') {
    const prepared = p.prepare.some((s) => s.kind === 'mark-prepared' && s.version === p.target) ? p.target : null;
    const r = retentionAfter(d, o, {
      running: p.intent === 'prepare-ahead' ? (runningVersion(o) ?? p.target) : p.target,
      leaving: sw?.leaving ?? null,
      prepared,
      aheadOnly: p.intent === 'prepare-ahead',
    });
    if (r.remove.length) {
      const names = r.remove.map((x) => `${x.version} (${x.why === 'bad' ? 'rolled back' : `beyond retain ${d.retain}`})`);
      finish.push({
        kind: 'prune',
        remove: r.remove.map((x) => ({ version: x.version, why: x.why })),
        retain: d.retain,
        description: `if it succeeded: remove ${list(names)}; each renamed aside under ${new Layout(d.root).trashDir}, then deleted`,
      });
    }
  }
  return { ...p, finish };
}
