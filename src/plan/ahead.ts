import type { Desired } from '../desired/types.js';
import { compareVersions, newestRelease, seriesOf } from '../desired/version.js';
import { isGlrError } from '../errors.js';
import type { Observed } from '../observe/types.js';
import { isHealthyOn } from '../runtime/health-reading.js';
import { isOpen } from '../runtime/journal-entry.js';
import { activeVersion, checkHost, missingSources, reusable } from './checks.js';
import { refusal, type Decision } from './draft.js';
import { assemble } from './finish.js';
import { clearTheWay, prepareSteps } from './preparation.js';
import { dbPlan, dbView } from './breaking.js';
import type { Plan } from './types.js';

/**
 * `prepareAhead: patch` (glr watch), pure: which release to prepare ahead, and the plan that
 * prepares it beside the running version without switching to it. A later bump to that version
 * then finds it prepared and needs only the switch.
 */

/**
 * The newest published release of the running version's MAJOR.MINOR series (never a release
 * candidate) when it is newer than the running one and was not rolled back here; else null.
 */
export function aheadCandidate(published: readonly string[], running: string, bad: readonly string[]): string | null {
  const series = seriesOf(running);
  const newest = newestRelease(published.filter((v) => seriesOf(v) === series && !bad.includes(v)));
  return newest !== null && compareVersions(newest, running) > 0 ? newest : null;
}

/**
 * The prepare-ahead plan for `ahead`: `d` is the desired state as the file would say it for
 * `ahead` (`parseDesired(text, file, { forVersion })`). Only while the host is settled: the node
 * runs healthy on the version the links name, no switch is under way. Empty when `ahead` is
 * already prepared; refused (reasons, no steps) when it cannot be prepared now.
 */
export function planAhead(d: Desired, o: Observed): Plan {
  return assemble(decideAhead(d, o), d, o);
}

function decideAhead(d: Desired, o: Observed): Decision {
  const refuse = (reasons: string[]) => refusal(reasons, { intent: 'prepare-ahead' });
  const host = checkHost(d, o);
  if (host.length) return refuse(host);
  if (isOpen(o.journal))
    return refuse([`a switch (${o.journal.leaving ?? 'nothing'} → ${o.journal.entering}) is under way; nothing is prepared ahead until it is over`]);
  let running: string;
  try {
    running = activeVersion(o);
  } catch (e) {
    if (isGlrError(e)) return refuse([e.message]);
    throw e;
  }
  if (o.service.state !== 'running' || !isHealthyOn(o.health, running)) {
    return refuse([`${running} is not running healthy; a release is prepared ahead only beside a healthy node`]);
  }
  if (!o.sharedDb.exists || !o.sharedDb.isDir) return refuse([`the shared DB ${d.sharedDb} is not there`]);
  const folder = o.versions.find((f) => f.version === d.version);
  const reuse = reusable(folder, d, o.deployment.envFile?.sha256 ?? null);
  const draft = { intent: 'prepare-ahead' as const, target: d.version, window: null, warnings: [], notes: [] };
  if (reuse === 'ready') return { ...draft, prepare: [] };
  if (reuse === 'foreign') return refuse([`${d.layout.versionDir(d.version)} exists but glr did not prepare it; not preparing ${d.version} ahead`]);
  const missing = missingSources(o, running);
  if (missing.length) return refuse(missing);
  const db = dbPlan(d, o, running, dbView(d, o, running));
  return { ...draft, prepare: [...clearTheWay(d, o, reuse), ...prepareSteps(d, o, running, db)] };
}
