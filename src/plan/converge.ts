import path from 'node:path';
import type { Desired } from '../desired/types.js';
import type { Observed } from '../observe/types.js';
import { describeHealth, isHealthyOn } from '../runtime/health-reading.js';
import { allLinkNames, driftedLinks, llmChanges, missingSources, reusable } from './checks.js';
import { refusal, type Decision } from './draft.js';
import { driftWarnings } from '../genlayer/node-config.js';
import { breakingNote, breakingRefusals, dbPlan, dbView, overrideFindings, snapshotDescription, snapshotPart } from './breaking.js';
import { hostWarnings, isSeriesChange, seriesNote, switchRefusals } from './pre-update.js';
import { keysNote, nodeEnvFiles } from './node-env.js';
import { backupStep, checkVersionStep, clearTheWay, createDbStep, prepareSteps, routeLinksStep } from './preparation.js';
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
  // a DB of its own (a breaking switch) is created empty when absent; the running one must be there
  const view = dbView(d, o, from);
  if (!o.sharedDb.exists && !view.breaking) {
    refusals.push(
      `the shared DB ${d.sharedDb} does not exist; set \`sharedDb:\` to the node's DB (glr creates an empty one only for a version that gets a DB of its own)`,
    );
  } else if (o.sharedDb.exists && !o.sharedDb.isDir) {
    refusals.push(`the shared DB ${d.sharedDb} is not a folder (a PebbleDB is a folder)`);
  }

  const reuse = reusable(
    o.versions.find((f) => f.version === v),
    d,
    o.deployment.envFile?.sha256 ?? null,
  );
  if (reuse === 'foreign') {
    refusals.push(
      `${path.join(d.root, v)} exists but glr did not prepare it (no .glr-prepared); glr never trusts or overwrites it: move it aside (e.g. mv ${v} ${v}.manual) and run again`,
    );
  }
  const llm = reuse === 'ready' ? llmChanges(d, o, v) : { changes: [], problems: [] };
  refusals.push(...(reuse === 'ready' ? llm.problems : missingSources(o, from)));
  refusals.push(...switchRefusals(d, o, from, reuse !== 'ready'), ...breakingRefusals(d, o, from, view, reuse !== 'ready'));
  const overrides = overrideFindings(d, o, from);
  const snapshot = snapshotPart(d, o, from, view);
  refusals.push(...overrides.refusals, ...snapshot.refusals);
  if (refusals.length) return refusal(refusals);
  const warnings = [...hostWarnings(d, o, reuse === 'ready' ? v : null), ...overrides.warnings, ...snapshot.warnings];
  const drift = o.deployment.nodeConfig.drift;
  if (reuse === 'ready' && drift) warnings.push(...driftWarnings(v, drift));
  const series = isSeriesChange(from, v);
  const keys = keysNote(o, from);
  const notes = [
    ...(view.breaking ? [breakingNote(d, o, from, view)] : []),
    ...(series && (!view.breaking || reuse === 'ready') ? [seriesNote(d, from, reuse !== 'ready')] : []),
    ...(keys ? [keys] : []),
  ];
  const db = dbPlan(d, o, from, view);

  const prepare: PrepareStep[] = [...clearTheWay(d, o, reuse)];
  if (reuse !== 'ready') prepare.push(...prepareSteps(d, o, from, db));
  else {
    const ready = readyFolderSteps(d, o, from, llm.changes.length > 0);
    prepare.push(...ready.steps);
    warnings.push(...ready.warnings);
    // a folder prepared earlier (ahead, or by a run that stopped short) is asked again; one
    // adopted ran healthy as this version under glr's eyes, but perhaps on another DB: its
    // protocol is compared whenever it would share the running one
    if (o.versions.find((f) => f.version === v)?.prepared?.origin !== 'adopted' || db.sameDbAs) prepare.push(checkVersionStep(d, db.sameDbAs));
    if (db.createDb) prepare.push(createDbStep(d, view.runningDb));
  }
  prepare.push(...beforeStopSteps(d, o, from), backupStep(d, from, view.breaking));
  if (snapshot.step)
    prepare.push({
      kind: 'snapshot',
      version: from,
      ...snapshot.step,
      keep: d.snapshots.keep,
      env: nodeEnvFiles(o),
      description: snapshotDescription(from, snapshot.step, d.snapshots.keep),
    });
  if (!o.versions.find((f) => f.version === from)?.prepared) {
    const ranOn = view.runningDb ?? d.sharedDb;
    prepare.push({ kind: 'adopt', version: from, sharedDb: ranOn, description: `adopt ${from} (running before glr) as the version to roll back to` });
  }
  const drifted = o.links.current ? driftedLinks(o, from) : allLinkNames(o);
  if (drifted.length) prepare.push(routeLinksStep(d, from, drifted, o.links.current ? 'repair' : 'route'));
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
  const window = switchWindow(d, {
    leaving: from,
    entering: v,
    stop: state !== 'stopped',
    start: d.service.running,
    synced: !view.breaking && !series,
    progressSeconds: view.breaking ? d.health.progressSeconds : null,
    restore: snapshot.restore,
  });
  return { intent: 'converge', target: v, prepare, window, warnings, notes };
}
