import path from 'node:path';
import type { Desired } from '../desired/types.js';
import { seriesOf } from '../desired/version.js';
import { checkBackends, providersToChange } from '../genlayer/llm-config.js';
import { CURRENT, RUNBOOK_LINKS } from '../layout.js';
import type { Observed, VersionFolder } from '../observe/types.js';
import { describeHealth, isHealthyOn } from '../runtime/health.js';
import { isOpen } from '../runtime/journal.js';
import { list, providerList, serviceName } from './describe.js';
import type { Action, Plan } from './types.js';

/**
 * (desired, observed) → the ordered plan. Pure and total: no I/O, the same inputs always give
 * the same plan, and every input gives a plan (refusals are plans too).
 *
 * Level-based: the whole desired state is compared with the whole observed host each time; the
 * journal of an interrupted switch only tells where to roll back to, never what to do.
 */
export function plan(d: Desired, o: Observed): Plan {
  const p = new PlanBuilder(d, o);
  const refusal = checkHost(d, o);
  if (refusal.length) return p.refuse(refusal);

  const journal = isOpen(o.journal) ? o.journal : null;
  if (journal?.phase === 'rolling-back') return finishRollback(p, d, o, journal.from, journal.to);

  const active = activeVersion(o);
  if (typeof active !== 'string') return p.refuse([active.refusal]);
  p.from = active;

  if (journal) {
    p.note(
      `a switch from ${journal.from ?? 'nothing'} to ${journal.to} was interrupted (${journal.phase} at ${journal.at}); continuing from what the host shows`,
    );
  }
  const last = o.lastResult;
  if (last && last.version === d.version && (last.outcome === 'rolled-back' || last.outcome === 'failed') && active !== d.version) {
    p.note(`the last attempt to switch to ${d.version} (${last.at}) ${last.outcome === 'rolled-back' ? 'was rolled back' : 'failed'}: ${last.message}`);
  }

  return active === d.version ? keepRunning(p, d, o, journal?.from ?? null) : switchTo(p, d, o, active);
}

/** Refusals that hold whatever the versions: the root itself and the service manager. */
function checkHost(d: Desired, o: Observed): string[] {
  if (!o.root.exists) return [`root ${d.root} does not exist; set \`root:\` in the file to the node root (the folder with the version folders and the links)`];
  if (!o.root.isDir) return [`root ${d.root} is not a folder`];
  if (o.versions.length === 0 && o.links.switchLinks.every((l) => l.version === null)) {
    return [`${d.root} is not a GenLayer node root: no version folder (vX.Y.Z/) and no link into one; lay it out as the runbook does first`];
  }
  const out: string[] = [];
  if (o.service.state === null) out.push(o.service.problem ?? 'cannot tell whether the node runs');
  for (const name of o.links.notLinks) {
    out.push(
      `${path.join(d.root, name)} is not a symbolic link; glr switches versions by links only (move it into the running version's folder and link it, as the runbook does)`,
    );
  }
  return out;
}

/**
 * The version the host runs on (or would start): `current` where glr manages the host, else the
 * one version all the runbook links agree on.
 */
function activeVersion(o: Observed): string | { refusal: string } {
  const { current, switchLinks } = o.links;
  if (current) {
    return (
      current.version ?? {
        refusal: `${CURRENT} → ${current.target} is not a version folder of the root; point it back at the running version (ln -sfn vX.Y.Z current) and run again`,
      }
    );
  }
  if (o.links.version) return o.links.version;
  const where = switchLinks.map((l) => `${l.name} → ${l.version ?? `${l.target} (no version folder)`}`);
  return {
    refusal: switchLinks.length
      ? `the links disagree (${where.join(', ')}); glr cannot tell which version runs: point them all at one version folder and run again`
      : `no switch links in the root (${RUNBOOK_LINKS.join(', ')}); lay out the root as the runbook does first`,
  };
}

/** The desired version is the one the links name: keep it running, healthy, and its links whole. */
function keepRunning(p: PlanBuilder, d: Desired, o: Observed, interruptedFrom: string | null): Plan {
  const v = d.version;
  const state = o.service.state!;
  const healthy = isHealthyOn(o.health, v);
  const answeredOther = o.health.nodeVersion !== null && o.health.nodeVersion !== v;
  if (state === 'running' && answeredOther) {
    return p.refuse([
      `the node answers as ${o.health.nodeVersion} but the links point at ${v}; it was switched by hand without a restart? Restart it (or point the links back) and run again`,
    ]);
  }
  // a runbook host on the desired version is adopted as it is: its direct links are not drift
  const drift = o.links.current ? drifted(o, v) : o.links.missing.length ? allLinkNames(o) : [];
  if (drift.length) p.routeLinks(v, drift, o.links.current ? 'repair' : 'route');

  const llm = llmChanges(p, d, o, v);
  if (llm === null) return p.done();
  const rollbackTo = interruptedFrom !== null && interruptedFrom !== v && hasFolder(o, interruptedFrom) ? interruptedFrom : null;

  if (!d.service.running) {
    if (state !== 'stopped') p.stop();
    if (llm.length) p.setLlm(v, d.llm.providers, 'prepare');
    return p.done();
  }
  if (llm.length) {
    // GenVM reads its config at start: the edit takes effect only through a restart
    p.backup(v);
    if (state !== 'stopped') p.stop();
    p.setLlm(v, d.llm.providers, 'switch');
    p.start();
    p.verify(v, rollbackTo ?? v);
  } else if (state !== 'running') {
    if (state === 'restarting') p.stop();
    p.start();
    p.verify(v, rollbackTo);
  } else if (!healthy || rollbackTo) {
    p.verify(v, rollbackTo);
  }
  return p.done();
}

/** Another version is active: prepare the desired one beside it, then switch. */
function switchTo(p: PlanBuilder, d: Desired, o: Observed, from: string): Plan {
  const v = d.version;
  const state = o.service.state!;
  const target = o.versions.find((f) => f.version === v);
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

  const reuse = target ? reusable(target, d) : 'absent';
  if (reuse === 'foreign') {
    refusals.push(
      `${path.join(d.root, v)} exists but glr did not prepare it (no .glr-prepared); glr never trusts or overwrites it: move it aside (e.g. mv ${v} ${v}.manual) and run again`,
    );
  }
  if (reuse !== 'ready') refusals.push(...missingSources(o, from));
  if (reuse === 'ready') refusals.push(...llmProblems(d, o, v, o.llm[v]));
  if (refusals.length) return p.refuse(refusals);

  if (o.staging.length)
    p.add({
      kind: 'clean-staging',
      group: 'prepare',
      names: o.staging,
      description: `remove ${o.staging.length} staging folder(s) an interrupted run left under ${path.join(d.root, '.glr/staging')}`,
    });
  if (reuse === 'unfinished' || reuse === 'stale') {
    p.add({
      kind: 'remove-version',
      group: 'prepare',
      version: v,
      description: `remove ${path.join(d.root, v)}: ${reuse === 'unfinished' ? 'glr began preparing it and did not finish' : 'it was prepared for another shared DB or checksum'}`,
    });
  }
  if (!o.versions.find((f) => f.version === from)?.prepared) {
    p.add({
      kind: 'adopt',
      group: 'prepare',
      version: from,
      sharedDb: d.sharedDb,
      description: `adopt ${from} (running before glr) as the version to roll back to`,
    });
  }
  const drift = o.links.current ? drifted(o, from) : allLinkNames(o);
  if (drift.length) p.routeLinks(from, drift, o.links.current ? 'repair' : 'route');

  if (reuse !== 'ready') prepare(p, d, from);
  else if (llmChanges(p, d, o, v)?.length) p.setLlm(v, d.llm.providers, 'prepare');

  p.backup(from);
  if (state !== 'stopped') p.stop();
  p.add({
    kind: 'swap',
    group: 'switch',
    from,
    to: v,
    description: `switch ${path.join(d.root, CURRENT)} from ${from} to ${v} (one rename; every link follows at once)`,
  });
  if (d.service.running) {
    p.start();
    p.verify(v, from);
  }
  return p.done();
}

function prepare(p: PlanBuilder, d: Desired, from: string): void {
  const v = d.version;
  const dir = path.join(d.root, v);
  p.add({
    kind: 'download',
    group: 'prepare',
    version: v,
    url: d.release.url,
    sha256: d.release.sha256,
    description: `download ${d.release.url}, verify it (${d.release.sha256 ? 'pinned sha256, ' : ''}the bucket's x-goog-hash when sent), extract into ${dir}`,
  });
  p.add({ kind: 'genvm-setup', group: 'prepare', version: v, argv: d.genvm.setup, description: `run GenVM setup in ${dir}: ${d.genvm.setup.join(' ')}` });
  p.add({
    kind: 'carry',
    group: 'prepare',
    from,
    version: v,
    description: `carry configs/node/config.yaml and .env (byte for byte, .env 600) and the keystore (files 600, folder 700) from ${from}`,
  });
  p.add({ kind: 'link-db', group: 'prepare', version: v, sharedDb: d.sharedDb, description: `link ${v}/data/node/genlayer.db → ${d.sharedDb}` });
  if (Object.keys(d.llm.providers).length) p.setLlm(v, d.llm.providers, 'prepare');
  const links = [...new Set([...RUNBOOK_LINKS, ...p.observedLinkNames])];
  p.add({
    kind: 'check-ready',
    group: 'prepare',
    version: v,
    from,
    links,
    description: `check ${v} is complete: an enabled LLM backend has its key set in .env, and ${list(links)} are there to link to`,
  });
  p.add({
    kind: 'mark-prepared',
    group: 'prepare',
    version: v,
    url: d.release.url,
    sharedDb: d.sharedDb,
    description: `mark ${v} prepared (.glr-prepared, written last)`,
  });
}

/** An interrupted rollback is finished first: the host goes back to where it was healthy. */
function finishRollback(p: PlanBuilder, d: Desired, o: Observed, to: string | null, failed: string): Plan {
  if (to === null || !hasFolder(o, to)) {
    return p.refuse([`a rollback from ${failed} was interrupted and the version to return to (${to ?? 'none'}) is not on the host: the operator must act`]);
  }
  p.intent = 'finish-rollback';
  p.rollbackOf = failed;
  p.from = o.links.current?.version ?? o.links.version;
  p.note(`a rollback from ${failed} to ${to} was interrupted; finishing it first`);
  if (o.service.state !== 'stopped') p.stop();
  if (o.links.current?.version !== to) {
    p.add({ kind: 'swap', group: 'switch', from: p.from, to, description: `switch ${path.join(d.root, CURRENT)} back to ${to}` });
  }
  if (d.service.running) {
    p.start();
    p.verify(to, null);
  }
  return p.done(to);
}

type Reuse = 'absent' | 'ready' | 'unfinished' | 'stale' | 'foreign';

function reusable(f: VersionFolder, d: Desired): Reuse {
  if (f.prepared) {
    const m = f.prepared;
    if (m.origin === 'adopted') return 'ready';
    const otherDb = m.inputs.sharedDb !== d.sharedDb;
    const otherSum = d.release.sha256 !== null && m.inputs.sha256 !== null && m.inputs.sha256 !== d.release.sha256;
    return otherDb || otherSum ? 'stale' : 'ready';
  }
  return f.preparing ? 'unfinished' : 'foreign';
}

function missingSources(o: Observed, from: string): string[] {
  const s = o.source;
  if (!s || s.version !== from) return [`cannot read the files of the running version ${from}`];
  const missing = [!s.configYaml && 'configs/node/config.yaml', !s.env && '.env', !s.keystore && 'keystore (data/node/keystore/UTC--...)'].filter(
    (x): x is string => typeof x === 'string',
  );
  return missing.length
    ? [`the running version ${from} has no ${missing.join(', no ')} to carry over; restore ${missing.length > 1 ? 'them' : 'it'} from your backup first`]
    : [];
}

/** Problems with the LLM set-up the node would start with, when its config is known now. */
function llmProblems(d: Desired, o: Observed, v: string, llm: Observed['llm'][string] | undefined): string[] {
  if (!llm) return [];
  if (!llm.ok) return [`${v}: ${llm.problem}`];
  return checkBackends(v, llm.backends, d.llm.providers, o.source?.envNames ?? []);
}

/**
 * Providers whose state differs in version v's GenVM config; null when the desired providers
 * cannot be applied (the refusal is already recorded).
 */
function llmChanges(p: PlanBuilder, d: Desired, o: Observed, v: string): string[] | null {
  const llm = o.llm[v];
  if (!llm || Object.keys(d.llm.providers).length === 0) return [];
  const problems = llmProblems(d, o, v, llm);
  if (problems.length) {
    p.refusals.push(...problems);
    return null;
  }
  return llm.ok ? providersToChange(llm.backends, d.llm.providers) : [];
}

/** Switch links that do not go through `current` into v, and runbook links that are missing. */
function drifted(o: Observed, v: string): string[] {
  const wrong = o.links.switchLinks.filter((l) => !l.viaCurrent || l.version !== v).map((l) => l.name);
  return [...wrong, ...o.links.missing];
}

function allLinkNames(o: Observed): string[] {
  return [...o.links.switchLinks.map((l) => l.name), ...o.links.missing];
}

function hasFolder(o: Observed, v: string): boolean {
  return o.versions.some((f) => f.version === v);
}

class PlanBuilder {
  intent: Plan['intent'] = 'converge';
  rollbackOf: string | null = null;
  from: string | null = null;
  readonly refusals: string[] = [];
  private readonly actions: Action[] = [];
  private readonly notes: string[] = [];

  constructor(
    private readonly d: Desired,
    private readonly o: Observed,
  ) {}

  get observedLinkNames(): string[] {
    return this.o.links.switchLinks.map((l) => l.name);
  }
  add(a: Action): void {
    this.actions.push(a);
  }
  note(n: string): void {
    this.notes.push(n);
  }
  routeLinks(version: string, links: string[], why: 'route' | 'repair'): void {
    const current = path.join(this.d.root, CURRENT);
    this.add({
      kind: 'route-links',
      group: 'prepare',
      version,
      links,
      description:
        why === 'route'
          ? `route ${list(links)} through ${current} → ${version} (each link renamed in place; what they resolve to does not change)`
          : `re-point ${list(links)} at ${current}/<name> (→ ${version})`,
    });
  }
  setLlm(version: string, providers: Record<string, boolean>, group: 'prepare' | 'switch'): void {
    this.add({ kind: 'set-llm', group, version, providers, description: `set LLM providers in ${version}'s GenVM config: ${providerList(providers)}` });
  }
  backup(version: string): void {
    this.add({
      kind: 'backup',
      group: 'prepare',
      version,
      description: `back up .env and config.yaml of ${version} under ${path.join(this.d.root, '.glr/backups')} (mode 600) and note the synced block`,
    });
  }
  stop(): void {
    this.add({ kind: 'stop', group: 'switch', description: `stop ${serviceName(this.d)} and confirm it stopped` });
  }
  start(): void {
    this.add({ kind: 'start', group: 'switch', description: `start ${serviceName(this.d)}` });
  }
  verify(version: string, rollbackTo: string | null): void {
    const t = this.d.health.timeoutSeconds;
    const then =
      rollbackTo === null ? '' : rollbackTo === version ? '; otherwise restore its previous LLM config and restart' : `; otherwise roll back to ${rollbackTo}`;
    this.add({
      kind: 'verify',
      group: 'verify',
      version,
      timeoutSeconds: t,
      rollbackTo,
      description: `wait until the node is healthy on ${version} (up to ${t} s)${then}`,
    });
  }
  refuse(reasons: string[]): Plan {
    this.refusals.push(...reasons);
    this.actions.length = 0;
    return this.done();
  }
  done(version = this.d.version): Plan {
    const refused = this.refusals.length > 0;
    return {
      version,
      from: this.from,
      intent: this.intent,
      rollbackOf: this.rollbackOf,
      refusals: [...this.refusals],
      actions: refused ? [] : [...this.actions],
      notes: [...this.notes],
      basis: {
        observedAt: this.o.at,
        links: this.o.links.current?.version ?? this.o.links.version,
        service: this.o.service.state,
        health: describeHealth(this.o.health),
      },
    };
  }
}
