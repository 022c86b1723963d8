import { isHealthyOn } from '../runtime/health-reading.js';
import { isOpen } from '../runtime/journal-entry.js';
import type { PlanBuilder } from './builder.js';
import { allLinkNames, driftedLinks, hasFolder, llmChanges } from './checks.js';
import { hostWarnings, keptWarnings, releaseLinks } from './checklist.js';
import { linkReleaseStep } from './v05-steps.js';
import type { Plan } from './types.js';
import { llmRestartWindow, maintenanceWindow, restartWindow } from './window.js';

/**
 * The desired version is the one the links name: keep it running, healthy, its links whole and
 * its LLM providers as asked. `interruptedFrom`: the version an interrupted switch left (from
 * the journal), where a failure now returns.
 */
export function keepRunning(p: PlanBuilder, interruptedFrom: string | null): Plan {
  const { d, o } = p;
  const v = d.version;
  const state = o.service.state!;
  const answeredOther = o.health.nodeVersion !== null && o.health.nodeVersion !== v;
  if (state === 'running' && answeredOther) {
    return p.refuse([
      `the node answers as ${o.health.nodeVersion} but the links point at ${v}; it was switched by hand without a restart? Restart it (or point the links back) and run again`,
    ]);
  }
  // a runbook host on the desired version is adopted as it is: its direct links are not drift
  const drift = o.links.current ? driftedLinks(o, v) : o.links.missing.length ? allLinkNames(o) : [];
  if (drift.length) p.routeLinks(v, drift, o.links.current ? 'repair' : 'route');
  p.warnings.push(...hostWarnings(d, o, v), ...keptWarnings(d, o, v));
  // what the running version ships and the root does not link: linked through `current` where
  // glr manages the links (they resolve at once); a host laid out by hand is adopted as it is
  if (o.target && (o.links.current || drift.length)) linkReleaseStep(p, true);
  else p.warnings.push(...unlinked(p));

  const llm = llmChanges(d, o, v);
  if (llm.problems.length) return p.refuse(llm.problems);
  const setLlm = llm.changes.length ? p.setLlm(v, d.llm.providers, d.service.running) : null;
  const rollbackTo = interruptedFrom !== null && interruptedFrom !== v && hasFolder(o, interruptedFrom) ? interruptedFrom : null;

  if (!d.service.running) {
    if (state !== 'stopped') maintenanceWindow(p, { version: v, setLlm });
    else {
      if (setLlm) p.add(setLlm);
      if (isOpen(o.journal)) p.finish.push(closeOnly(p));
    }
    return p.done();
  }
  if (setLlm) {
    // GenVM reads its config at start: the edit takes effect only through a restart
    p.backup(v);
    llmRestartWindow(p, { version: v, stop: state !== 'stopped', setLlm, rollbackTo });
  } else if (state !== 'running') {
    restartWindow(p, { version: v, stop: state === 'restarting', start: true, rollbackTo });
  } else if (!isHealthyOn(o.health, v) || rollbackTo) {
    restartWindow(p, { version: v, stop: false, start: false, rollbackTo });
  } else if (isOpen(o.journal)) {
    // healthy on the desired version after an interrupted switch: only the journal is left open
    p.finish.push(closeOnly(p));
  }
  return p.done();
}

function unlinked(p: PlanBuilder): string[] {
  const { names, skipped } = releaseLinks(p.d, p.o, p.d.version);
  const missing = (names ?? []).map((n) => `${p.d.version} ships ${n} and ${p.d.root} does not link it; glr links it at the next switch`);
  return [...missing, ...skipped];
}

function closeOnly(p: PlanBuilder): { kind: 'close-journal'; description: string } {
  const j = p.o.journal!;
  p.switch = { leaving: j.leaving, entering: j.entering };
  return { kind: 'close-journal', description: `close the journal of the interrupted switch (${j.phase}): ${p.d.version} runs healthy` };
}
