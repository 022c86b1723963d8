import path from 'node:path';
import type { Desired, LlmStrategy } from '../desired/types.js';
import { parseVersion, seriesOf } from '../desired/version.js';
import { withProviders } from '../genlayer/llm-config.js';
import { greyboxProblems, idleKeyWarnings, strategyOf } from '../genlayer/llm-strategy.js';
import { isLinkedEntry, RUNBOOK_LINKS } from '../layout.js';
import type { Observed } from '../observe/types.js';
import { nodeKeys, passwordProblem, unitRefusals } from './node-env.js';

/**
 * GenLayer's pre-update checklist (its v0.5 procedure), as refusals and warnings the planner can
 * tell from the observation alone; what only the new folder can tell is checked by `check-ready`.
 */

/** A MAJOR.MINOR change: config and DB are the new series' own. */
export function isSeriesChange(from: string, v: string): boolean {
  return seriesOf(from) !== seriesOf(v);
}

/** Releases from v0.5 on may ship the LLM release file (v0.5.7+ do). */
export function mayShipLlmRelease(v: string): boolean {
  const p = parseVersion(v);
  return p !== null && (p.major > 0 || p.minor >= 5);
}

/** The LLM strategy a new version gets: the file's, else the running version's (null: cannot be told). */
export function wantedStrategy(d: Desired, o: Observed, from: string): { strategy: LlmStrategy | null; why: string } {
  if (d.llm.strategy) return { strategy: d.llm.strategy, why: 'llm.strategy' };
  const llm = o.llm[from];
  if (!llm?.ok || llm.luaScriptPath === null) return { strategy: 'default', why: `${from} runs the default` };
  const s = strategyOf(llm.luaScriptPath);
  return s ? { strategy: s, why: `kept from ${from}` } : { strategy: null, why: `${from}'s lua_script_path names neither strategy's script` };
}

/**
 * Refusals before a switch from `from`: the running version's files, and across a series a
 * config to install (`preparing`: the new folder is to be prepared; one prepared or adopted
 * before keeps the config.yaml it has).
 */
export function switchRefusals(d: Desired, o: Observed, from: string, preparing: boolean): string[] {
  const v = d.version;
  const out: string[] = [];
  if (isSeriesChange(from, v) && !d.configFile && preparing) {
    const [sf, sv] = [seriesOf(from), seriesOf(v)];
    out.push(
      `${v} is a ${sv} release and ${from} (${sf}) runs: a series change, not a patch switch. GenLayer's upgrade notes: do not carry config.yaml across a series (v0.5.0 replaced consensus.contractmainaddress and contractdataaddress with consensusaddress) and do not copy the old database. Write ${v}'s config.yaml from its configs/node/config.yaml.example and set \`configFile:\` to it (${v} gets the ${sv} shared DB ${d.sharedDb}, created empty when it is not there)`,
    );
  }
  if (o.configFile?.problem) out.push(`configFile ${o.configFile.path}: ${o.configFile.problem}; set \`configFile:\` to the config.yaml to install`);
  // the new version's folder counts only when it is switched to as it is (not re-prepared)
  for (const ver of new Set(preparing ? [from] : [from, v])) {
    if (o.versions.find((f) => f.version === ver)?.ownDb) out.push(ownDbRefusal(d, ver));
  }
  out.push(...sourceProblems(d, o, from), ...unitRefusals(d, o));
  const s = o.runningFiles?.version === from ? o.runningFiles : null;
  if (s?.env && wantedStrategy(d, o, from).strategy === 'greybox') {
    const keys = nodeKeys(o);
    out.push(...greyboxProblems(from, keys.names, d.llm.providers.openrouter === false, keys.at));
  }
  return out;
}

/**
 * Warnings about the host, whatever the plan: the unit's boot start, and idle keys in the GenVM
 * config version `v` will run with (null: not known before its preparation).
 */
export function hostWarnings(d: Desired, o: Observed, v: string | null): string[] {
  const out: string[] = [];
  const unit = d.service.manager === 'systemd' ? d.service.unit : null;
  if (unit && o.service.enabled !== null && o.service.enabled !== 'enabled') {
    out.push(`systemctl is-enabled ${unit} says ${o.service.enabled}: the node would not come back after a reboot; run systemctl enable ${unit}`);
  }
  const llm = v === null ? undefined : o.llm[v];
  if (v && llm?.ok && o.runningFiles) {
    const keys = nodeKeys(o);
    out.push(...idleKeyWarnings(v, withProviders(llm.backends, d.llm.providers).backends, keys.names, keys.at));
  }
  return out;
}

/** The running version's sharp edges, as warnings: on a kept host they refuse nothing (nothing is switched). */
export function keptWarnings(d: Desired, o: Observed, v: string): string[] {
  const out: string[] = [];
  if (o.versions.find((f) => f.version === v)?.ownDb) out.push(ownDbRefusal(d, v));
  out.push(...sourceProblems(d, o, v), ...unitRefusals(d, o), ...telemetryWarnings(o));
  const llm = o.llm[v];
  const runs = llm?.ok ? strategyOf(llm.luaScriptPath) : null;
  if (d.llm.strategy && runs && runs !== d.llm.strategy) {
    out.push(
      `llm.strategy is ${d.llm.strategy} but ${v} runs ${runs}: glr sets the strategy when it prepares a version, so the next version gets it (${v} is left as it runs)`,
    );
  }
  return out;
}

/**
 * Alloy not reading the running node's log: GenLayer's monitoring sees no logs from this
 * validator, which it can mark idle and ban (sharp edge `alloy-stale-bind-mount`). Said on a kept
 * host; a switch checks and repairs it after the node is up.
 */
function telemetryWarnings(o: Observed): string[] {
  const t = o.telemetry;
  if (!t || t.state === 'fresh') return [];
  if (t.state === 'unknown')
    return [`cannot tell whether ${t.container} reads the node's log: ${t.detail}; GenLayer's monitoring sees this validator only through it`];
  return [
    `telemetry is stale: ${t.detail}. GenLayer's monitoring sees no logs from this validator and can mark it idle; restart it (docker restart ${t.container}); glr checks it after every switch`,
  ];
}

/**
 * Release entries to link from the root through `current`, when the version's folder is known:
 * `names` those the root lacks, `skipped` root entries of the same name that are not glr's links
 * (never replaced: left as they are, with a warning). `names` null: not known before the download.
 */
export function releaseLinks(d: Desired, o: Observed, v: string): { names: string[] | null; skipped: string[] } {
  const t = o.desiredFolder?.version === v ? o.desiredFolder : null;
  if (!t) return { names: null, skipped: [] };
  const present = new Map<string, string | null>([
    ...o.links.switchLinks.map((l) => [l.name, l.target] as const),
    ...o.links.notLinks.map((n) => [n, null] as const),
    ...o.links.others.map((e) => [e.name, e.target] as const),
  ]);
  const names: string[] = [];
  const skipped: string[] = [];
  for (const e of t.entries.filter((n) => isLinkedEntry(n) && !(RUNBOOK_LINKS as readonly string[]).includes(n))) {
    if (!present.has(e)) names.push(e);
    else if (o.links.switchLinks.some((l) => l.name === e)) continue;
    else {
      const target = present.get(e) ?? null;
      // glr's own link, dangling while `current` names a version without the entry
      if (d.layout.leadsViaCurrent(e, target)) continue;
      skipped.push(
        `${path.join(d.root, e)} is ${target === null ? 'not a link' : `a link to ${target}`}: glr never replaces it, so ${v}'s ${e} is not linked (move it aside and run glr again to link it)`,
      );
    }
  }
  return { names, skipped };
}

/** The plan's note on a series change: what glr does, and what the operator must have done. */
export function seriesNote(d: Desired, from: string, preparing: boolean): string {
  const [sf, sv] = [seriesOf(from), seriesOf(d.version)];
  if (!preparing) {
    return `series change ${sf} → ${sv}: ${d.version} is already on the host and runs with the config.yaml it has${d.configFile ? ` (or ${d.configFile}, when glr prepared it)` : ''} and the ${sv} shared DB ${d.sharedDb}; the synced block is not compared across series`;
  }
  return `series change ${sf} → ${sv}: config.yaml is installed from ${d.configFile} (not carried from ${from}); .env and the keystore are carried; ${d.version} uses the ${sv} shared DB ${d.sharedDb} and nothing of the ${sf} DB is copied; the synced block is not compared across series. What you must have done first (GenLayer's upgrade notes): written ${d.configFile} from ${sv}'s configs/node/config.yaml.example (consensusaddress, not contractmainaddress/contractdataaddress) and synced or restored the ${sv} DB at ${d.sharedDb}`;
}

function ownDbRefusal(d: Desired, ver: string): string {
  const { layout } = d;
  const shared = seriesOf(ver) === seriesOf(d.version) ? d.sharedDb : layout.seriesDb(seriesOf(ver)!);
  const link = layout.dbLink(layout.versionDir(ver));
  return `${link} is a database folder of its own, not a link to the shared DB ${shared}: its sync state has diverged. GenLayer's fix: stop the node, move the fresher of the two DBs to ${shared} (the other aside), link it (ln -sfn ${shared} ${link}), start the node; then run glr again`;
}

/** The running version `v`'s own files that would stop its node: an open keystore, no keystore password. */
function sourceProblems(d: Desired, o: Observed, v: string): string[] {
  const s = o.runningFiles?.version === v ? o.runningFiles : null;
  const out: string[] = [];
  if (s?.keystoreOpen.length) out.push(keystoreOpenLine(d, v, s.keystoreOpen));
  const password = s ? passwordProblem(o, v, envOf(d, v)) : null;
  if (password) out.push(password);
  return out;
}

function keystoreOpenLine(d: Desired, v: string, open: string[]): string {
  const { layout } = d;
  const ks = layout.keystore(layout.versionDir(v));
  return `the keystore of ${v} is open to others (${open.map((e) => (e.startsWith('. ') ? `folder ${e.slice(2)}` : e)).join(', ')}): chmod 700 ${ks} && chmod 600 ${ks}/*, then run glr again`;
}

function envOf(d: Desired, v: string): string {
  return d.layout.env(d.layout.versionDir(v));
}
