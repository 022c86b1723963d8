import type { Stats } from 'node:fs';
import { readdir, readFile, statfs } from 'node:fs/promises';
import type { Desired } from '../desired/types.js';
import { isVersion } from '../desired/version.js';
import { envNamesSet, envSecretValues } from '../genlayer/env-file.js';
import { readLlmConfig } from '../genlayer/llm-config.js';
import { type Layout, RUNBOOK_LINKS } from '../layout.js';
import { isNotFound, lstatOrNull, statOrNull } from '../runtime/fsx.js';
import { readHealth } from '../runtime/health.js';
import { noAnswer } from '../runtime/health-reading.js';
import { historyFacts } from '../runtime/history.js';
import { readBadReleases } from '../runtime/bad-releases.js';
import { diskUsage } from '../runtime/du.js';
import { readJournal } from '../runtime/journal.js';
import { isPreparing, readPrepared } from '../runtime/marker.js';
import { serviceManager, type ServiceManager, type ServiceState, type UnitFacts } from '../runtime/service.js';
import { readTelemetry } from '../runtime/telemetry.js';
import { isGlrError } from '../errors.js';
import { observeConfigFile, observeDesiredFolder, observeKeystore } from './version-files.js';
import { glrFolderProblems, unreadable } from './glr-folder.js';
import { observeDeployment } from './deployment.js';
import { readSync } from '../genlayer/node-sync.js';
import { observeLinks } from './links.js';
import { linkedVersion } from './linked-version.js';
import { observeNodeUnit } from './node-unit.js';
import type { LlmObservation, Observed, RunningFiles, VersionFolder } from './types.js';

export interface ObserveOptions {
  /** defaults to the manager the file names */
  service?: ServiceManager;
  healthTimeoutMs?: number;
  /** measure each version folder's disk space (status, prune; a walk of every file) */
  sizes?: boolean;
}

/**
 * Looks at the host. Reads only: nothing under the root is created, changed or locked. Asks the
 * service manager once and the node once. A file it cannot read for another reason than its
 * absence (a permission, an I/O error) refuses with one line: absent and unreadable are not the
 * same, and glr never guesses.
 */
export async function observe(desired: Desired, opts: ObserveOptions = {}): Promise<Observed> {
  return (await observeWithSecrets(desired, opts)).observed;
}

/** What observe saw, and (apart, frozen) the values of the node's environment files. */
export interface Seen {
  observed: Observed;
  /** every value of the node's environment files (and a password written on ExecStart), to scrub */
  secrets: readonly string[];
  /** the variables of the node's environment files outside the running version's folder, by path (doctor's and the hooks' environment) */
  envValues: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

/**
 * `observe`, and the running version's `.env` values from the same read of it: kept apart from
 * `Observed` (which is printed) and frozen, for one use only, scrubbing them from text glr did
 * not write (see genlayer/env-file.ts).
 */
export async function observeWithSecrets(desired: Desired, opts: ObserveOptions = {}): Promise<Seen> {
  try {
    return await observeHost(desired, opts);
  } catch (e) {
    if (isGlrError(e)) throw e;
    throw unreadable(desired.root, desired.layout.glrDir, e);
  }
}

async function observeHost(desired: Desired, opts: ObserveOptions): Promise<Seen> {
  const { layout } = desired;
  const rootStat = await statOrNull(layout.root);
  const root = { path: layout.root, exists: rootStat !== null, isDir: rootStat?.isDirectory() ?? false };
  const service = opts.service ?? serviceManager(desired.service);

  const [serviceState, enabled, health, dbStat, configFile, sync] = await Promise.all([
    (service.look ? service.look() : service.state().then((state) => ({ state, unit: null }))).then(
      (r: { state: ServiceState; unit: UnitFacts | null }) => ({ state: r.state, facts: r.unit, problem: null }),
      (e: unknown) => ({ state: null, facts: null, problem: isGlrError(e) ? e.message : String(e) }),
    ),
    desired.service.manager === 'systemd' && service.enabled ? service.enabled().catch(() => null) : Promise.resolve(null),
    root.isDir ? readHealth(desired.health.url, opts.healthTimeoutMs ?? 2000) : Promise.resolve(noAnswer('not asked: no node root')),
    statOrNull(desired.sharedDb),
    observeConfigFile(desired.configFile),
    root.isDir ? readSync(desired.health.url, opts.healthTimeoutMs ?? 2000) : Promise.resolve(null),
  ]);
  const sharedDb = { path: desired.sharedDb, exists: dbStat !== null, isDir: dbStat?.isDirectory() ?? false };
  const { facts, ...serviceSeen } = serviceState;
  const base = { at: new Date().toISOString(), root, service: { ...serviceSeen, enabled }, health, sharedDb, configFile: configFile.facts, sync };

  if (!root.isDir) {
    const observed: Observed = {
      ...base,
      versions: [],
      links: { current: null, switchLinks: [], missing: [...RUNBOOK_LINKS], notLinks: [], version: null, others: [] },
      runningFiles: null,
      llm: {},
      diskFreeBytes: null,
      journal: null,
      history: { last: null, lastSwitch: null, lastDowntimeMs: null, rollbacksTotal: 0 },
      staging: [],
      desiredFolder: null,
      trash: [],
      bad: [],
      glrProblems: [],
      unit: null,
      telemetry: null,
      deployment: {
        runningDb: null,
        nodeConfig: { changedByConfigFile: null, keys: [], drift: null },
        envFile: null,
        snapshots: { dir: layout.snapshotsDir, entries: [], onDbFilesystem: null },
      },
    };
    return { observed, secrets: Object.freeze([]), envValues: new Map() };
  }

  // one listing of the root serves both the version folders and the links
  const entries = (await readdir(layout.root, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  const versionNames = entries.filter((e) => e.isDirectory() && isVersion(e.name)).map((e) => e.name);
  const links = await observeLinks(layout, entries, new Set(versionNames));
  const seen = await Promise.all(versionNames.map((v) => observeVersion(layout, v, opts.sizes ?? false)));
  const versions = seen.map((v) => v.folder);
  // where glr manages the host, `current` names the active version even while a link drifted
  const active = linkedVersion({ links });
  const llm: Record<string, LlmObservation> = {};
  for (const v of new Set([desired.version, ...(active ? [active] : [])])) {
    if (versionNames.includes(v)) llm[v] = await observeLlm(layout, v);
  }
  const [running, diskFreeBytes, journal, history, staging, desiredFolder, trash, bad, glrProblems, deployment] = await Promise.all([
    active ? observeRunningFiles(layout, active) : null,
    statfs(layout.root).then((s) => s.bavail * s.bsize),
    readJournal(layout),
    historyFacts(layout.history, active),
    listOrNone(layout.stagingDir),
    versionNames.includes(desired.version) ? observeDesiredFolder(layout, desired.version, desired.configFile !== null) : null,
    listOrNone(layout.trashDir),
    readBadReleases(layout),
    glrFolderProblems(layout),
    observeDeployment(desired, {
      active,
      activeDb: seen.find((v) => v.folder.version === active)?.db ?? null,
      desiredFolderExists: versionNames.includes(desired.version),
      configFileText: configFile.text,
    }),
  ]);
  const node =
    serviceSeen.state === null
      ? null
      : await observeNodeUnit(desired, facts, active, active ? { file: layout.env(layout.versionDir(active)), text: running?.envText ?? null } : null);
  const alloy = desired.telemetry.alloy;
  const telemetry =
    alloy.container && active && serviceSeen.state === 'running' ? await readTelemetry(alloy.container, alloy.logPath, layout.nodeLog(layout.root)) : null;
  const observed: Observed = {
    ...base,
    versions,
    links,
    runningFiles: running?.files ?? null,
    llm,
    diskFreeBytes,
    journal,
    history,
    staging,
    desiredFolder,
    trash,
    bad,
    glrProblems,
    unit: node?.unit ?? null,
    telemetry,
    deployment: deployment.facts,
  };
  const secrets = [...new Set([...(running?.secrets ?? []), ...(node?.apart.secrets ?? []), ...deployment.secrets])];
  return { observed, secrets: Object.freeze(secrets), envValues: node?.apart.values ?? new Map() };
}

/**
 * A version folder, and what its `data/node/genlayer.db` is (read once: a folder of its own, or
 * the link whose target the deployment facts follow for the running version).
 */
async function observeVersion(layout: Layout, version: string, sizes: boolean): Promise<{ folder: VersionFolder; db: Stats | null }> {
  const [prepared, preparing, db, bytes] = await Promise.all([
    readPrepared(layout, version),
    isPreparing(layout, version),
    lstatOrNull(layout.dbLink(layout.versionDir(version))),
    sizes ? diskUsage(layout.versionDir(version)) : undefined,
  ]);
  return { folder: { version, prepared, preparing, ownDb: db?.isDirectory() ?? false, ...(sizes ? { bytes: bytes ?? null } : {}) }, db };
}

/** The names in one of glr's folders, sorted; none when it does not exist. */
async function listOrNone(dir: string): Promise<string[]> {
  return readdir(dir).then(
    (names) => names.sort(),
    (e: unknown) => (isNotFound(e) ? [] : Promise.reject(e)),
  );
}

/** The running version's files a preparation carries; its .env is read once, for its names and (kept apart) its values. */
async function observeRunningFiles(layout: Layout, version: string): Promise<{ files: RunningFiles; secrets: string[]; envText: string | null }> {
  const dir = layout.versionDir(version);
  const [config, envText, keystore] = await Promise.all([
    statOrNull(layout.configYaml(dir)),
    readFile(layout.env(dir), 'utf8').catch((e: unknown) => (isNotFound(e) || (e as NodeJS.ErrnoException).code === 'EISDIR' ? null : Promise.reject(e))),
    observeKeystore(layout.keystore(dir)),
  ]);
  return {
    files: {
      version,
      configYaml: config?.isFile() ?? false,
      env: envText !== null,
      keystore: keystore.files > 0,
      keystoreFiles: keystore.files,
      keystoreOpen: keystore.open,
      envNames: envText === null ? [] : envNamesSet(envText),
    },
    secrets: envText === null ? [] : envSecretValues(envText),
    envText,
  };
}

export async function observeLlm(layout: Layout, version: string): Promise<LlmObservation> {
  let text: string;
  try {
    text = await readFile(layout.llmConfig(layout.versionDir(version)), 'utf8');
  } catch (e) {
    if (isNotFound(e)) return { ok: false, problem: 'no GenVM LLM config (third_party/genvm/config/genvm-module-llm.yaml)' };
    throw e;
  }
  try {
    return { ok: true, ...readLlmConfig(text) };
  } catch (e) {
    if (isGlrError(e)) return { ok: false, problem: e.message };
    throw e;
  }
}
