import path from 'node:path';
import type { Desired } from '../desired/types.js';
import { seriesOf } from '../desired/version.js';
import type { Observed } from '../observe/types.js';
import { describeHealth, isHealthyOn } from '../runtime/health-reading.js';
import { allLinkNames, driftedLinks, llmChanges, missingSources, reusable } from './checks.js';
import { refusal, type Decision } from './draft.js';
import { hostWarnings, isSeriesChange, seriesNote, switchRefusals } from './pre-update.js';
import { keysNote } from './node-env.js';
import { backupStep, checkVersionStep, clearTheWay, prepareSteps, routeLinksStep } from './preparation.js';
import { beforeStopSteps, linkReleaseStep, readyFolderSteps } from './release-steps.js';
import type { PrepareStep } from './types.js';
import { switchWindow } from './window.js';

/**
 * Another version is active: prepare the desired one beside it while the old node validates,
 * then switch. Adoption of a hand-laid host and the routing of its links through `current` are
 * the last steps before the stop: a preparation that fails leaves such a host byte for byte.
 */
export function switchTo(d: Desired, o: Observed, from: string): Decision {
  const v = d.version;
  const state = o.service.state!;
  const refusals: string[] = [];

  if (state === 'running' && !isHealthyOn(o.health, from)) {
    refusals.push(
      o.health.nodeVersion && o.health.nodeVersion !== from
        ? `the node answers as ${o.health.nodeVersion} but the links point at ${from}; restart it or fix the links, then run again`
        : `${from} runs but is not healthy (${describeHealth(o.health)}); glr switches from a healthy node or a stopped one: wait until it is healthy, or stop it to switch anyway`,
    );
  }
  if (!o.sharedDb.exists) {
    refusals.push(
      isSeriesChange(from, v)
        ? `${v} is a ${seriesOf(v)} release and its shared DB ${d.sharedDb} does not exist: a MAJOR.MINOR update is not a patch switch. Follow GenLayer's upgrade notes for ${seriesOf(v)}: its DB is its own (do not copy the ${seriesOf(from)} one); sync or restore it at ${d.sharedDb} (or set \`sharedDb:\` to where it is); glr never creates an empty DB or copies one`
        : `the shared DB ${d.sharedDb} does not exist; set \`sharedDb:\` to the node's DB (glr never creates an empty one)`,
    );
  } else if (!o.sharedDb.isDir) {
    refusals.push(`the shared DB ${d.sharedDb} is not a folder (a PebbleDB is a folder)`);
  }

  const reuse = reusable(
    o.versions.find((f) => f.version === v),
    d,
  );
  if (reuse === 'foreign') {
    refusals.push(
      `${path.join(d.root, v)} exists but glr did not prepare it (no .glr-prepared); glr never trusts or overwrites it: move it aside (e.g. mv ${v} ${v}.manual) and run again`,
    );
  }
  const llm = reuse === 'ready' ? llmChanges(d, o, v) : { changes: [], problems: [] };
  refusals.push(...(reuse === 'ready' ? llm.problems : missingSources(o, from)));
  refusals.push(...switchRefusals(d, o, from, reuse !== 'ready'));
  if (refusals.length) return refusal(refusals);
  const warnings = hostWarnings(d, o, reuse === 'ready' ? v : null);
  const keys = keysNote(o, from);
  const notes = [...(isSeriesChange(from, v) ? [seriesNote(d, from, reuse !== 'ready')] : []), ...(keys ? [keys] : [])];

  const prepare: PrepareStep[] = [...clearTheWay(d, o, reuse)];
  if (reuse !== 'ready') prepare.push(...prepareSteps(d, o, from));
  else {
    const ready = readyFolderSteps(d, o, from, llm.changes.length > 0);
    prepare.push(...ready.steps);
    warnings.push(...ready.warnings);
    // a folder prepared earlier (ahead, or by a run that stopped short) is asked again; one
    // adopted ran healthy as this version under glr's eyes
    if (o.versions.find((f) => f.version === v)?.prepared?.origin !== 'adopted') prepare.push(checkVersionStep(d));
  }
  prepare.push(...beforeStopSteps(d, o, from), backupStep(d, from));
  if (!o.versions.find((f) => f.version === from)?.prepared) {
    prepare.push({ kind: 'adopt', version: from, sharedDb: d.sharedDb, description: `adopt ${from} (running before glr) as the version to roll back to` });
  }
  const drift = o.links.current ? driftedLinks(o, from) : allLinkNames(o);
  if (drift.length) prepare.push(routeLinksStep(d, from, drift, o.links.current ? 'repair' : 'route'));
  const links = linkReleaseStep(d, o, reuse === 'ready');
  prepare.push(...links.steps);
  warnings.push(...links.warnings);

  // a release extracted by this plan is in the page cache already; one prepared earlier (ahead,
  // or by a run that stopped short of the switch) may have been evicted since
  if (d.service.running && reuse === 'ready') {
    prepare.push({ kind: 'warm-cache', version: v, description: `read ${v}'s binaries and GenVM files once, so that it starts from the page cache` });
  }
  prepare.push({
    kind: 'confirm-desired',
    file: d.file,
    asks: { version: v, root: d.root, sharedDb: d.sharedDb, sha256: d.release.sha256 },
    description: `read ${d.file} again: go on only if it still asks for ${v} (a change withdrawn meanwhile is not made; nothing is stopped)`,
  });
  const window = switchWindow(d, { leaving: from, entering: v, stop: state !== 'stopped', start: d.service.running, synced: !isSeriesChange(from, v) });
  return { intent: 'converge', target: v, prepare, window, warnings, notes };
}
