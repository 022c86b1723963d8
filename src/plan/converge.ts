import path from 'node:path';
import { seriesOf } from '../desired/version.js';
import { RUNBOOK_LINKS } from '../layout.js';
import { describeHealth, isHealthyOn } from '../runtime/health-reading.js';
import type { PlanBuilder } from './builder.js';
import { reclaimable } from '../observe/retention.js';
import { list } from './describe.js';
import { allLinkNames, driftedLinks, llmChanges, missingSources, reusable, type Reuse } from './checks.js';
import { hostWarnings, isSeriesChange, seriesNote, switchRefusals } from './checklist.js';
import { beforeStopSteps, linkReleaseStep, llmReleaseStep, readyFolderSteps } from './v05-steps.js';
import type { Plan, PrepareStep } from './types.js';
import { switchWindow } from './window.js';

/**
 * Another version is active: prepare the desired one beside it while the old node validates,
 * then switch. Adoption of a hand-laid host and the routing of its links through `current` are
 * the last steps before the stop: a preparation that fails leaves such a host byte for byte.
 */
export function switchTo(p: PlanBuilder, from: string): Plan {
  const { d, o } = p;
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
  if (refusals.length) return p.refuse(refusals);
  p.warnings.push(...hostWarnings(d, o, reuse === 'ready' ? v : null));
  if (isSeriesChange(from, v)) p.note(seriesNote(d, from, reuse !== 'ready'));

  clearTheWay(p, reuse);
  if (reuse !== 'ready') prepareSteps(p, from);
  else {
    readyFolderSteps(p, from, llm.changes.length > 0);
    // a folder prepared earlier (ahead, or by a run that stopped short) is asked again; one
    // adopted ran healthy as this version under glr's eyes
    if (o.versions.find((f) => f.version === v)?.prepared?.origin !== 'adopted') p.add(checkVersionStep(p));
  }
  beforeStopSteps(p, from);

  p.backup(from);
  if (!o.versions.find((f) => f.version === from)?.prepared) {
    p.add({ kind: 'adopt', version: from, sharedDb: d.sharedDb, description: `adopt ${from} (running before glr) as the version to roll back to` });
  }
  const drift = o.links.current ? driftedLinks(o, from) : allLinkNames(o);
  if (drift.length) p.routeLinks(from, drift, o.links.current ? 'repair' : 'route');
  linkReleaseStep(p, reuse === 'ready');

  // a release extracted by this plan is in the page cache already; one prepared earlier (ahead,
  // or by a run that stopped short of the switch) may have been evicted since
  if (d.service.running && reuse === 'ready') {
    p.add({ kind: 'warm-cache', version: v, description: `read ${v}'s binaries and GenVM files once, so that it starts from the page cache` });
  }
  p.add({
    kind: 'confirm-desired',
    file: d.file,
    asks: { version: v, root: d.root, sharedDb: d.sharedDb, sha256: d.release.sha256 },
    description: `read ${d.file} again: go on only if it still asks for ${v} (a change withdrawn meanwhile is not made; nothing is stopped)`,
  });
  switchWindow(p, { leaving: from, entering: v, stop: state !== 'stopped', start: d.service.running, synced: !isSeriesChange(from, v) });
  return p.done();
}

/**
 * What an interrupted run left in the way of a preparation of the desired version: staging
 * folders, and a folder of its own that may not be used (unfinished, or prepared for other inputs).
 */
export function clearTheWay(p: PlanBuilder, reuse: Reuse): void {
  const { o } = p;
  const v = p.d.version;
  if (o.staging.length) {
    p.add({
      kind: 'clean-staging',
      names: o.staging,
      description: `remove ${o.staging.length} staging folder(s) an interrupted run left under ${p.layout.stagingDir}`,
    });
  }
  if (reuse === 'unfinished' || reuse === 'stale') {
    const why = reuse === 'unfinished' ? 'glr began preparing it and did not finish' : 'it was prepared for another shared DB or checksum';
    p.add({ kind: 'remove-version', version: v, description: `remove ${p.layout.versionDir(v)}: ${why}` });
  }
}

/** The release's own word on its version, before the stop (see actions/check-version.ts). */
function checkVersionStep(p: PlanBuilder): PrepareStep {
  const v = p.d.version;
  return {
    kind: 'check-version',
    version: v,
    description: `run ${p.layout.versionDir(v)}/bin/genlayernode version: it must name ${v} (a release that names another is refused, nothing stopped; one that cannot say is a warning)`,
  };
}

/** Download, set up, carry, link, configure, check, mark: the new version's folder, complete. */
export function prepareSteps(p: PlanBuilder, from: string): void {
  const { d, o } = p;
  const v = d.version;
  const dir = p.layout.versionDir(v);
  p.add({
    kind: 'download',
    version: v,
    url: d.release.url,
    sha256: d.release.sha256,
    reclaimable: reclaimable(d, o).versions,
    description: `download ${d.release.url}, verify it (${d.release.sha256 ? 'pinned sha256, ' : ''}the bucket's x-goog-hash when sent), extract into ${dir}`,
  });
  // before the slow setup: a release that is not the version it claims goes at once
  p.add(checkVersionStep(p));
  p.add({ kind: 'genvm-setup', version: v, argv: d.genvm.setup, description: `run GenVM setup in ${dir}: ${d.genvm.setup.join(' ')}` });
  p.add({
    kind: 'carry',
    from,
    version: v,
    configFile: d.configFile,
    description: d.configFile
      ? `install ${d.configFile} as configs/node/config.yaml (byte for byte); carry .env (byte for byte, 600) and the keystore (files 600, folder 700) from ${from}`
      : `carry configs/node/config.yaml and .env (byte for byte, .env 600) and the keystore (files 600, folder 700) from ${from}`,
  });
  p.add({ kind: 'link-db', version: v, sharedDb: d.sharedDb, description: `link ${v}/data/node/genlayer.db → ${d.sharedDb}` });
  const llmRelease = llmReleaseStep(p, from);
  if (llmRelease) p.add(llmRelease);
  if (Object.keys(d.llm.providers).length) p.add(p.setLlm(v, d.llm.providers, false));
  const links = [...new Set([...RUNBOOK_LINKS, ...o.links.switchLinks.map((l) => l.name)])];
  p.add({
    kind: 'check-ready',
    version: v,
    links,
    description: `check ${v} is complete: GenVM setup left bin/genvm and bin/genvm-modules, an enabled LLM backend has its key set in .env (greybox: OPENROUTERKEY), and ${list(links)} are there to link to`,
  });
  p.add({ kind: 'mark-prepared', version: v, url: d.release.url, sharedDb: d.sharedDb, description: `mark ${v} prepared (.glr-prepared, written last)` });
}
