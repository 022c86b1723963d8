import type { Desired } from '../desired/types.js';
import type { Observed } from '../observe/types.js';
import { isHealthyOn, isSyncingOn } from '../runtime/health-reading.js';
import { allLinkNames, driftedLinks, hasFolder, llmChanges } from './checks.js';
import { refusal, type Decision, type WindowPart } from './draft.js';
import { hostWarnings, keptWarnings, releaseLinks } from './pre-update.js';
import { backupStep, routeLinksStep, setLlmStep } from './preparation.js';
import { linkReleaseStep } from './release-steps.js';
import type { PrepareStep } from './types.js';
import { llmRestartWindow, maintenanceWindow, restartWindow } from './window.js';

/**
 * The desired version is the one the links name: keep it running, healthy, its links whole and
 * its LLM providers as asked. `interruptedFrom`: the version an interrupted switch left (from
 * the journal), where a failure now returns. A journal found open is closed by the finish.
 */
export function keepRunning(d: Desired, o: Observed, interruptedFrom: string | null): Decision {
  const v = d.version;
  const state = o.service.state!;
  if (state === 'running' && o.health.nodeVersion !== null && o.health.nodeVersion !== v) {
    return refusal([
      `the node answers as ${o.health.nodeVersion} but the links point at ${v}; it was switched by hand without a restart? Restart it (or point the links back) and run again`,
    ]);
  }
  const prepare: PrepareStep[] = [];
  const warnings: string[] = [];
  const notes: string[] = [];
  // a runbook host on the desired version is adopted as it is: its direct links are not drift
  const drift = o.links.current ? driftedLinks(o, v) : o.links.missing.length ? allLinkNames(o) : [];
  if (drift.length) prepare.push(routeLinksStep(d, v, drift, o.links.current ? 'repair' : 'route'));
  warnings.push(...hostWarnings(d, o, v), ...keptWarnings(d, o, v));
  // what the running version ships and the root does not link: linked through `current` where
  // glr manages the links (they resolve at once); a host laid out by hand is adopted as it is
  if (o.desiredFolder && (o.links.current || drift.length)) {
    const r = linkReleaseStep(d, o, true);
    prepare.push(...r.steps);
    warnings.push(...r.warnings);
  } else warnings.push(...unlinked(d, o));

  const llm = llmChanges(d, o, v);
  if (llm.problems.length) return refusal(llm.problems, { warnings });
  const setLlm = llm.changes.length ? setLlmStep(v, d.llm.providers, d.service.running) : null;
  const rollbackTo = interruptedFrom !== null && interruptedFrom !== v && hasFolder(o, interruptedFrom) ? interruptedFrom : null;
  /** the interrupted switch gave v a DB of its own (the journal says so) */
  const breaking = rollbackTo !== null && o.journal?.breaking === true;

  let window: WindowPart | null = null;
  if (!d.service.running) {
    if (state !== 'stopped') window = maintenanceWindow(d, { version: v, setLlm });
    else if (setLlm) prepare.push(setLlm);
  } else if (setLlm) {
    // GenVM reads its config at start: the edit takes effect only through a restart
    prepare.push(backupStep(d, v));
    window = llmRestartWindow(d, { version: v, stop: state !== 'stopped', setLlm, rollbackTo });
  } else if (state !== 'running') {
    // a node started again syncs from where its DB stands: with nowhere to go back to (or after a
    // breaking switch) it is accepted once it makes progress, not only once it has caught up
    const progressSeconds = rollbackTo === null || breaking ? d.health.progressSeconds : null;
    window = restartWindow(d, { version: v, stop: state === 'restarting', start: true, rollbackTo, progressSeconds });
  } else if (rollbackTo) {
    // an interrupted breaking switch is verified as it was planned: by its sync's progress
    const progressSeconds = breaking && isSyncingOn(o.health, v) ? d.health.progressSeconds : null;
    window = restartWindow(d, { version: v, stop: false, start: false, rollbackTo, progressSeconds });
  } else if (isSyncingOn(o.health, v)) {
    // GenLayer: syncing is how a node catches up (from genesis, after a breaking upgrade); it runs
    // as v and nothing glr could do would make it sync faster: converged, nothing restarts
    notes.push(syncingNote(v, o));
  } else if (!isHealthyOn(o.health, v)) {
    window = restartWindow(d, { version: v, stop: false, start: false, rollbackTo });
  }
  return { intent: 'converge', target: v, prepare, window, warnings, notes };
}

/** `v runs and syncs: N blocks behind (synced S of L)`, from the one /metrics reading of the pass. */
function syncingNote(v: string, o: Observed): string {
  const s = o.sync;
  const where =
    s && s.blocksBehind !== null
      ? `: ${s.blocksBehind} blocks behind${s.syncedBlock !== null && s.latestBlock !== null ? ` (synced ${s.syncedBlock} of ${s.latestBlock})` : ''}`
      : '';
  return `${v} runs and is syncing${where}; nothing to do until it has caught up (glr status shows its pace)`;
}

function unlinked(d: Desired, o: Observed): string[] {
  const { names, skipped } = releaseLinks(d, o, d.version);
  const missing = (names ?? []).map((n) => `${d.version} ships ${n} and ${d.root} does not link it; glr links it at the next switch`);
  return [...missing, ...skipped];
}
