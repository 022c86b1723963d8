import path from 'node:path';
import type { Desired } from '../desired/types.js';
import { refuse } from '../errors.js';
import { checkBackends, providersToChange } from '../genlayer/llm-config.js';
import { CURRENT, RUNBOOK_LINKS } from '../layout.js';
import { linkedVersion } from '../observe/linked-version.js';
import type { Observed, VersionFolder } from '../observe/types.js';
import { describeHealth, somethingAnswers } from '../runtime/health-reading.js';
import { serviceDescription } from '../runtime/service-name.js';
import { nodeKeys } from './node-env.js';

/** Refusals that hold whatever the versions: the root itself and the service manager. */
export function checkHost(d: Desired, o: Observed): string[] {
  if (!o.root.exists) return [`root ${d.root} does not exist; set \`root:\` in the file to the node root (the folder with the version folders and the links)`];
  if (!o.root.isDir) return [`root ${d.root} is not a folder`];
  if (o.versions.length === 0 && o.links.switchLinks.every((l) => l.version === null)) {
    return [`${d.root} is not a GenLayer node root: no version folder (vX.Y.Z/) and no link into one; lay it out as the runbook does first`];
  }
  const out: string[] = [];
  if (o.service.state === null) out.push(o.service.problem ?? 'cannot tell whether the node runs');
  if (o.service.state === 'stopped' && somethingAnswers(o.health)) out.push(outsideNode(d, o));
  for (const name of o.links.notLinks) {
    out.push(
      `${path.join(d.root, name)} is not a symbolic link; glr switches versions by links only (move it into the running version's folder and link it, as the runbook does)`,
    );
  }
  return out;
}

/**
 * A node answers on the health URL while the manager says stopped: it runs outside the manager's
 * sight, and a start would put a second validator on the same key and DB.
 */
function outsideNode(d: Desired, o: Observed): string {
  return `${serviceDescription(d.service)} says stopped, but a node answers on ${d.health.url} (${describeHealth(o.health)}): it runs outside the service manager (started by hand?). glr never starts a second node: stop that node, or let the manager see it, then run again`;
}

/**
 * The version the host runs on (or would start): `current` where glr manages the host, else the
 * one version all the runbook links agree on. Throws the refusal when it cannot be told.
 */
export function activeVersion(o: Observed): string {
  const named = linkedVersion(o);
  if (named) return named;
  const { current, switchLinks } = o.links;
  if (current) {
    throw refuse(
      `${CURRENT} → ${current.target} is not a version folder of the root; point it back at the running version (ln -sfn vX.Y.Z current) and run again`,
    );
  }
  const where = switchLinks.map((l) => `${l.name} → ${l.version ?? `${l.target} (no version folder)`}`);
  throw refuse(
    switchLinks.length
      ? `the links disagree (${where.join(', ')}); glr cannot tell which version runs: point them all at one version folder and run again`
      : `no switch links in the root (${RUNBOOK_LINKS.join(', ')}); lay out the root as the runbook does first`,
  );
}

export type Reuse = 'absent' | 'ready' | 'unfinished' | 'stale' | 'foreign';

/** Whether the folder of the desired version can be switched to as it is (`envFileSha256`: the file's envFile as observed). */
export function reusable(f: VersionFolder | undefined, d: Desired, envFileSha256: string | null): Reuse {
  if (!f) return 'absent';
  if (f.prepared) {
    const m = f.prepared;
    if (m.origin === 'adopted') return 'ready';
    const otherDb = m.inputs.sharedDb !== d.sharedDb;
    const otherSum = d.release.sha256 !== null && m.inputs.sha256 !== null && m.inputs.sha256 !== d.release.sha256;
    // its .env came from another envFile, or from one the file no longer names
    const otherEnv = (m.inputs.envFileSha256 ?? null) !== (d.envFile ? (envFileSha256 ?? null) : null);
    return otherDb || otherSum || otherEnv ? 'stale' : 'ready';
  }
  return f.preparing ? 'unfinished' : 'foreign';
}

/** What the running version lacks of what a preparation carries from it. */
export function missingSources(o: Observed, from: string): string[] {
  const s = o.runningFiles;
  if (s?.version !== from) return [`cannot read the files of the running version ${from}`];
  const missing = [!s.configYaml && 'configs/node/config.yaml', !s.env && '.env', !s.keystore && 'keystore (data/node/keystore/UTC--...)'].filter(
    (x): x is string => typeof x === 'string',
  );
  return missing.length
    ? [`the running version ${from} has no ${missing.join(', no ')} to carry over; restore ${missing.length > 1 ? 'them' : 'it'} from your backup first`]
    : [];
}

/** Problems with the LLM set-up the node would start with, when its config is known now. */
export function llmProblems(d: Desired, o: Observed, v: string): string[] {
  const llm = o.llm[v];
  if (!llm) return [];
  if (!llm.ok) return [`${v}: ${llm.problem}`];
  const keys = nodeKeys(o);
  return checkBackends(v, llm.backends, d.llm.providers, keys.names, keys.at);
}

/**
 * Providers whose state differs in version v's GenVM config, or the problems that stop them
 * from being applied.
 */
export function llmChanges(d: Desired, o: Observed, v: string): { changes: string[]; problems: string[] } {
  const llm = o.llm[v];
  if (!llm || Object.keys(d.llm.providers).length === 0) return { changes: [], problems: [] };
  const problems = llmProblems(d, o, v);
  if (problems.length || !llm.ok) return { changes: [], problems };
  return { changes: providersToChange(llm.backends, d.llm.providers), problems: [] };
}

/** Switch links that do not go through `current` into v, and runbook links that are missing. */
export function driftedLinks(o: Observed, v: string): string[] {
  const wrong = o.links.switchLinks.filter((l) => !l.viaCurrent || l.version !== v).map((l) => l.name);
  return [...wrong, ...o.links.missing];
}

export function allLinkNames(o: Observed): string[] {
  return [...o.links.switchLinks.map((l) => l.name), ...o.links.missing];
}

export function hasFolder(o: Observed, v: string): boolean {
  return o.versions.some((f) => f.version === v);
}
