import path from 'node:path';
import { seriesOf } from '../desired/version.js';
import { RUNBOOK_LINKS } from '../layout.js';
import { describeHealth, isHealthyOn } from '../runtime/health-reading.js';
import type { PlanBuilder } from './builder.js';
import { list } from './describe.js';
import { allLinkNames, driftedLinks, llmChanges, missingSources, reusable } from './checks.js';
import type { Plan } from './types.js';
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
    const newSeries = seriesOf(v) !== seriesOf(from);
    refusals.push(
      newSeries
        ? `${v} is a ${seriesOf(v)} release and its shared DB ${d.sharedDb} does not exist: a MAJOR.MINOR update is not a patch switch. Follow GenLayer's upgrade notes for ${seriesOf(v)} (migrate the ${seriesOf(from)} DB there, or set \`sharedDb:\` to the DB it should use); glr never creates an empty DB`
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
  if (refusals.length) return p.refuse(refusals);

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
  if (reuse !== 'ready') prepareSteps(p, from);
  else if (llm.changes.length) p.add(p.setLlm(v, d.llm.providers, false));

  p.backup(from);
  if (!o.versions.find((f) => f.version === from)?.prepared) {
    p.add({ kind: 'adopt', version: from, sharedDb: d.sharedDb, description: `adopt ${from} (running before glr) as the version to roll back to` });
  }
  const drift = o.links.current ? driftedLinks(o, from) : allLinkNames(o);
  if (drift.length) p.routeLinks(from, drift, o.links.current ? 'repair' : 'route');

  switchWindow(p, { leaving: from, entering: v, stop: state !== 'stopped', start: d.service.running });
  return p.done();
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
    description: `download ${d.release.url}, verify it (${d.release.sha256 ? 'pinned sha256, ' : ''}the bucket's x-goog-hash when sent), extract into ${dir}`,
  });
  p.add({ kind: 'genvm-setup', version: v, argv: d.genvm.setup, description: `run GenVM setup in ${dir}: ${d.genvm.setup.join(' ')}` });
  p.add({
    kind: 'carry',
    from,
    version: v,
    description: `carry configs/node/config.yaml and .env (byte for byte, .env 600) and the keystore (files 600, folder 700) from ${from}`,
  });
  p.add({ kind: 'link-db', version: v, sharedDb: d.sharedDb, description: `link ${v}/data/node/genlayer.db → ${d.sharedDb}` });
  if (Object.keys(d.llm.providers).length) p.add(p.setLlm(v, d.llm.providers, false));
  const links = [...new Set([...RUNBOOK_LINKS, ...o.links.switchLinks.map((l) => l.name)])];
  p.add({
    kind: 'check-ready',
    version: v,
    links,
    description: `check ${v} is complete: an enabled LLM backend has its key set in .env, and ${list(links)} are there to link to`,
  });
  p.add({ kind: 'mark-prepared', version: v, url: d.release.url, sharedDb: d.sharedDb, description: `mark ${v} prepared (.glr-prepared, written last)` });
}
