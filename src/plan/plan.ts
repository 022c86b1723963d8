import type { Desired } from '../desired/types.js';
import { isGlrError } from '../errors.js';
import type { Observed } from '../observe/types.js';
import { isOpen } from '../runtime/journal-entry.js';
import { activeVersion, checkHost, hasFolder } from './checks.js';
import { switchTo } from './converge.js';
import { refusal, type Decision } from './draft.js';
import { assemble } from './finish.js';
import { keepRunning } from './keep.js';
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
  return assemble(decide(d, o), d, o);
}

function decide(d: Desired, o: Observed): Decision {
  const host = checkHost(d, o);
  if (host.length) return refusal(host);
  try {
    const journal = isOpen(o.journal) ? o.journal : null;
    if (journal?.phase === 'rolling-back') return finishRollback(d, o, journal.leaving, journal.entering);

    const active = activeVersion(o);
    const notes: string[] = [];
    if (journal) {
      notes.push(
        `a switch from ${journal.leaving ?? 'nothing'} to ${journal.entering} was interrupted (${journal.phase} at ${journal.at}); continuing from what the host shows`,
      );
    }
    const last = o.history.last;
    if (last && last.version === d.version && (last.outcome === 'rolled-back' || last.outcome === 'must-act') && active !== d.version) {
      notes.push(`the last attempt to switch to ${d.version} (${last.at}) ${last.outcome === 'rolled-back' ? 'was rolled back' : 'failed'}: ${last.message}`);
    }
    const decided = active === d.version ? keepRunning(d, o, journal?.leaving ?? null) : switchTo(d, o, active);
    return { ...decided, notes: [...notes, ...decided.notes] };
  } catch (e) {
    if (isGlrError(e)) return refusal([e.message]);
    throw e;
  }
}

/** An interrupted rollback is finished first: the host goes back to where it was healthy. */
function finishRollback(d: Desired, o: Observed, to: string | null, failed: string): Decision {
  if (to === null || !hasFolder(o, to)) {
    return refusal([`a rollback from ${failed} was interrupted and the version to return to (${to ?? 'none'}) is not on the host: the operator must act`]);
  }
  return {
    intent: 'finish-rollback',
    target: to,
    prepare: [],
    window: finishRollbackWindow(d, { to, failed, stop: o.service.state !== 'stopped', swap: o.links.current?.version !== to, start: d.service.running }),
    warnings: [],
    notes: [`a rollback from ${failed} to ${to} was interrupted; finishing it first`],
  };
}
