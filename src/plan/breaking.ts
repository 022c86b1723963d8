import type { Desired } from '../desired/types.js';
import { compareVersions } from '../desired/version.js';
import { OPERATOR_TOKEN, overriddenKeys } from '../genlayer/node-config.js';
import type { Observed } from '../observe/types.js';
import { envFilePasswordProblem, nodeKeys } from './node-env.js';
import { isSeriesChange } from './pre-update.js';
import type { DbPlan } from './preparation.js';

/**
 * Breaking upgrades, decided from facts. GenLayer (genlayer-docs pages/validators/upgrade.mdx):
 * a release is breaking when it comes with a new consensus deployment; its database is
 * incompatible and must not be reused: the node creates a fresh one and syncs from genesis, the
 * operator re-stakes through the validator wizard, and the config is written from the new
 * example (new consensus address, RPC URLs). glr tells a breaking switch by the database: the
 * desired `sharedDb` is not the one the running version uses. The release's own protocol is
 * compared before the stop (check-version): another protocol on the same DB is refused.
 */

/** The snapshot endpoint (`POST /snapshot`, ops port) came with v0.5.11. */
const SNAPSHOT_SINCE = 'v0.5.11';

export interface DbView {
  /** the switch gives the new version a DB other than the running one's */
  breaking: boolean;
  /** the DB the running version uses, as observed; null when it cannot be told */
  runningDb: string | null;
}

/**
 * Whether switching from `from` to the desired version changes the DB. From the running
 * version's own link when it has one; else (no link: a folder of its own, refused elsewhere, or
 * nothing) by the default layout: one DB per MAJOR.MINOR.
 */
export function dbView(d: Desired, o: Observed, from: string): DbView {
  const r = o.deployment.runningDb;
  if (!r || r.version !== from || !r.isLink || r.target === null) return { breaking: isSeriesChange(from, d.version), runningDb: r?.target ?? null };
  return { breaking: !(r.sharedDbIsIt ?? r.target === d.sharedDb), runningDb: r.target };
}

/** What the preparation does about the DB (see DbPlan). */
export function dbPlan(d: Desired, o: Observed, from: string, view: DbView): DbPlan {
  if (view.breaking) return { sameDbAs: null, createDb: !o.sharedDb.exists, runningDb: view.runningDb };
  const protocol = o.health.nodeVersion === from ? (o.health.protocolVersion ?? null) : null;
  return { sameDbAs: { version: from, protocol }, createDb: false };
}

/**
 * A breaking switch needs the new version's own config (GenLayer: configure from scratch; a
 * series change says so already), and an envFile that can be read, with which the node still
 * gets its keystore password.
 */
export function breakingRefusals(d: Desired, o: Observed, from: string, view: DbView, preparing: boolean): string[] {
  const v = d.version;
  const out: string[] = [];
  if (view.breaking && preparing && !d.configFile && !isSeriesChange(from, v)) {
    out.push(
      `${v} gets a database of its own (${d.sharedDb}; ${from} runs on ${view.runningDb ?? 'another'}): a breaking upgrade (GenLayer: a new consensus deployment). GenLayer's upgrade guide: configure it from scratch, do not copy the old config. Write ${v}'s config.yaml from its configs/node/config.yaml.example (the new consensus address, RPC URLs, genesis) and set \`configFile:\` to it`,
    );
  }
  const env = o.deployment.envFile;
  if (env?.problem) out.push(`envFile ${env.path}: ${env.problem}; set \`envFile:\` to the .env to install`);
  else if (env && preparing) {
    const password = envFilePasswordProblem(o, env);
    if (password) out.push(password);
  }
  return out;
}

/**
 * GENLAYERNODE_* variables of the .env the new version gets override config.yaml (GenLayer:
 * setup-guide, "Overriding Configuration with Environment Variables"). A carried one that sets a
 * key `configFile` changes would silently defeat the new config: refused, naming the variable
 * and the key, never a value. Every other one is a warning.
 */
export function overrideFindings(d: Desired, o: Observed, from: string): { refusals: string[]; warnings: string[] } {
  const env = o.deployment.envFile;
  // name → where the node gets it: every environment file its unit loads (the running .env
  // among them), with `envFile` in place of the carried .env
  const unitKeys = o.unit?.keys ?? null;
  const carried = o.runningFiles?.version === from ? o.runningFiles.envNames : [];
  const where = new Map<string, string>();
  if (unitKeys) {
    for (const [name, file] of Object.entries(unitKeys)) {
      if (!(env && file === '.env')) where.set(name, file === '.env' ? `${from}'s .env` : file);
    }
  } else if (!env) {
    for (const name of carried) where.set(name, `${from}'s .env`);
  }
  for (const name of env?.names ?? []) where.set(name, `envFile ${env!.path}`);
  const changed = new Set(d.configFile ? (o.deployment.nodeConfig.changedByConfigFile ?? []) : []);
  const refusals: string[] = [];
  const warnings: string[] = [];
  for (const x of overriddenKeys([...where.keys()], o.deployment.nodeConfig.keys)) {
    const source = where.get(x.variable)!;
    if (!source.startsWith('envFile ') && changed.has(x.key)) {
      refusals.push(
        `${source} sets ${x.variable}, which overrides config key ${x.key}, and configFile ${d.configFile} changes ${x.key}: the new version would run with that value whatever configFile says. Remove ${x.variable} from it (or give ${d.version} its own .env with \`envFile:\`), then run glr again`,
      );
    } else {
      warnings.push(
        `${source} sets ${x.variable}: it overrides config key ${x.key}${x.known ? '' : ' (no such key in config.yaml)'}; config.yaml's value does not count while it is set`,
      );
    }
  }
  return { refusals, warnings };
}

/** The plan's note on a breaking switch: what glr does, and what GenLayer says the operator must do besides. */
export function breakingNote(d: Desired, o: Observed, from: string, view: DbView): string {
  const v = d.version;
  const db = o.sharedDb.exists ? `${d.sharedDb}, as it is (it exists: make sure it is this deployment's)` : `${d.sharedDb}, created empty,`;
  return (
    `breaking switch ${from} → ${v}: ${v} runs on its own DB ${db} and syncs it (GenLayer: a slow sync after a breaking upgrade is expected; consensus.genesis in config.yaml spares it a scan from block 0). ` +
    `${from}'s DB${view.runningDb ? ` ${view.runningDb}` : ''} is never touched, moved or deleted: a rollback returns to ${from} on it. ` +
    `While it syncs the node answers 503 "node is not synced": glr accepts ${v} once its sync makes progress over ${Math.min(d.health.progressSeconds, d.health.timeoutSeconds)} s, and rolls back when it dies, never answers as ${v}, or makes none within ${d.health.timeoutSeconds} s. ` +
    `The keystore is backed up before the stop. What GenLayer's upgrade guide says you must do besides: stake again through the validator wizard (genlayer staking wizard: a new consensus deployment), and give ${v} the new consensus address and GenLayer Chain RPC URLs (rollup.genlayerchainrpcurl, rollup.genlayerchainwebsocketurl) in its config`
  );
}

/**
 * snapshots.beforeSwitch: a switch that keeps the running DB snapshots it first, while the old
 * node runs (`POST /snapshot`, v0.5.11+; GenLayer: api-references/genlayer-node/ops/snapshot.mdx),
 * into {root}/.glr/snapshots on the DB's filesystem, so that a rollback can rename it back
 * (restoreOnRollback). A breaking switch never touches the old DB: no snapshot.
 */
export function snapshotPart(
  d: Desired,
  o: Observed,
  from: string,
  view: DbView,
): {
  step: { db: string; dest: string; url: string; remove: string[] } | null;
  restore: { snapshot: string; db: string; aside: string } | null;
  refusals: string[];
  warnings: string[];
} {
  const none = { step: null, restore: null, refusals: [], warnings: [] };
  if (!d.snapshots.beforeSwitch || view.breaking) return none;
  const tooOld = compareVersions(from, SNAPSHOT_SINCE) < 0;
  if (tooOld || o.service.state !== 'running') {
    const why = tooOld ? `${from} does not serve POST /snapshot (${SNAPSHOT_SINCE}+)` : `the node is not running`;
    return {
      ...none,
      warnings: [
        `snapshots.beforeSwitch: ${why}: no snapshot is taken before this switch${d.snapshots.restoreOnRollback ? ', and a rollback cannot restore one' : ''}`,
      ],
    };
  }
  const refusals: string[] = [];
  // where the snapshot step will look: every environment file the node loads (its unit's), else .env
  const keys = nodeKeys(o);
  if (o.runningFiles?.version === from && !keys.names.includes(OPERATOR_TOKEN)) {
    const where =
      keys.at.files === '.env' ? `${from}'s .env sets no ${OPERATOR_TOKEN}` : `none of the node's environment files (${keys.at.files}) sets ${OPERATOR_TOKEN}`;
    refusals.push(
      `snapshots.beforeSwitch: ${where}: the node answers POST /snapshot with 401 without it (it reads it at start). Set it there and restart the node, or turn snapshots.beforeSwitch off`,
    );
  }
  if (o.deployment.snapshots.onDbFilesystem === false) {
    refusals.push(
      `snapshots.beforeSwitch: ${o.deployment.snapshots.dir} is not on the filesystem of the shared DB ${d.sharedDb}: a snapshot there would be a full copy and could not be renamed back; keep the DB under the root's filesystem, or turn snapshots.beforeSwitch off`,
    );
  }
  if (refusals.length) return { ...none, refusals };
  const db = view.runningDb ?? d.sharedDb;
  const dest = d.layout.snapshotDir(o.at, from);
  const restore = d.snapshots.restoreOnRollback ? { snapshot: dest, db, aside: d.layout.dbAside(db, o.at, d.version) } : null;
  // the newest `keep` are kept, the one this step takes among them: the oldest others go (as observe found them, oldest first)
  const others = o.deployment.snapshots.entries.filter((e) => e.path !== dest);
  const remove = others.slice(0, Math.max(0, others.length - (d.snapshots.keep - 1))).map((e) => e.path);
  return { step: { db, dest, url: new URL('/snapshot', d.health.url).toString(), remove }, restore, refusals: [], warnings: [] };
}

/** The snapshot step's description. */
export function snapshotDescription(from: string, s: { db: string; dest: string; url: string; remove: string[] }, keep: number): string {
  const then = s.remove.length ? `then remove ${s.remove.join(', ')} (the newest ${keep} kept)` : `keep the newest ${keep} snapshot(s)`;
  return `snapshot ${from}'s DB ${s.db} while it runs: POST ${s.url} {"destDir": "${s.dest}"} with the operator token from ${from}'s .env (never shown); ${then}`;
}
