import type { Desired } from '../desired/types.js';
import { isGlrError } from '../errors.js';
import type { Observed } from '../observe/types.js';
import { isOpen } from '../runtime/journal-entry.js';
import { withAftercare } from './aftercare.js';
import { PlanBuilder } from './builder.js';
import { activeVersion, checkHost, hasFolder } from './checks.js';
import { switchTo } from './converge.js';
import { keepRunning } from './keep.js';
import { stepsOf } from './steps.js';
import type { Plan } from './types.js';
import { finishRollbackWindow } from './window.js';

/**
 * (desired, observed) → the ordered plan. Pure and total: no I/O, the same inputs always give
 * the same plan, and every input gives a plan (a refusal is a plan with reasons and no steps).
 *
 * Level-based: the whole desired state is compared with the whole observed host each time. An
 * open journal is a witness of an interrupted switch: it tells where a rollback returns; and an
 * interrupted rollback (journal `rolling-back`) is finished before anything else — the host goes
 * back to where it was healthy, whatever the file asks now.
 */
export function plan(d: Desired, o: Observed): Plan {
  const p = withAftercare(planSteps(d, o), d, o);
  // a plan that writes (journal, staging, backups) needs glr's own folder; one that does nothing does not
  return o.glrProblems.length && stepsOf(p).length ? new PlanBuilder(d, o).refuse(o.glrProblems) : p;
}

function planSteps(d: Desired, o: Observed): Plan {
  const p = new PlanBuilder(d, o);
  const refusal = checkHost(d, o);
  if (refusal.length) return p.refuse(refusal);
  try {
    const journal = isOpen(o.journal) ? o.journal : null;
    if (journal?.phase === 'rolling-back') return finishRollback(p, journal.leaving, journal.entering);

    const active = activeVersion(o);
    if (journal) {
      p.note(
        `a switch from ${journal.leaving ?? 'nothing'} to ${journal.entering} was interrupted (${journal.phase} at ${journal.at}); continuing from what the host shows`,
      );
    }
    const last = o.lastResult;
    if (last && last.version === d.version && (last.outcome === 'rolled-back' || last.outcome === 'must-act') && active !== d.version) {
      p.note(`the last attempt to switch to ${d.version} (${last.at}) ${last.outcome === 'rolled-back' ? 'was rolled back' : 'failed'}: ${last.message}`);
    }
    return active === d.version ? keepRunning(p, journal?.leaving ?? null) : switchTo(p, active);
  } catch (e) {
    if (isGlrError(e)) return p.refuse([e.message]);
    throw e;
  }
}

/** An interrupted rollback is finished first: the host goes back to where it was healthy. */
function finishRollback(p: PlanBuilder, to: string | null, failed: string): Plan {
  const { o, d } = p;
  if (to === null || !hasFolder(o, to)) {
    return p.refuse([`a rollback from ${failed} was interrupted and the version to return to (${to ?? 'none'}) is not on the host: the operator must act`]);
  }
  p.note(`a rollback from ${failed} to ${to} was interrupted; finishing it first`);
  finishRollbackWindow(p, { to, failed, stop: o.service.state !== 'stopped', swap: o.links.current?.version !== to, start: d.service.running });
  return p.done();
}
