import { readdir, readFile, statfs } from 'node:fs/promises';
import type { Desired } from '../desired/types.js';
import { isVersion } from '../desired/version.js';
import { envNamesSet } from '../genlayer/env-file.js';
import { parseBackends } from '../genlayer/llm-config.js';
import { luaScriptPath } from '../genlayer/llm-strategy.js';
import { Layout, RUNBOOK_LINKS } from '../layout.js';
import { isNotFound, statOrNull } from '../runtime/fsx.js';
import { readHealth } from '../runtime/health.js';
import { noAnswer } from '../runtime/health-reading.js';
import { historyFacts } from '../runtime/history.js';
import { readBadReleases } from '../runtime/bad-releases.js';
import { diskUsage } from '../runtime/du.js';
import { readJournal } from '../runtime/journal.js';
import { isPreparing, readPrepared } from '../runtime/marker.js';
import { serviceManager, type ServiceManager } from '../runtime/service.js';
import { isGlrError } from '../errors.js';
import { hasOwnDb, keystoreOpen, observeConfigFile, observeTarget } from './checklist.js';
import { glrFolderProblems, unreadable } from './glr-folder.js';
import { observeLinks } from './links.js';
import { runningVersion } from './retention.js';
import type { LlmObservation, Observed, SourceFiles, VersionFolder } from './types.js';

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
  try {
    return await observeHost(desired, opts);
  } catch (e) {
    if (isGlrError(e)) throw e;
    throw unreadable(desired.root, new Layout(desired.root).glrDir, e);
  }
}

async function observeHost(desired: Desired, opts: ObserveOptions): Promise<Observed> {
  const layout = new Layout(desired.root);
  const rootStat = await statOrNull(layout.root);
  const root = { path: layout.root, exists: rootStat !== null, isDir: rootStat?.isDirectory() ?? false };
  const service = opts.service ?? serviceManager(desired.service);

  const [serviceState, enabled, health, dbStat, configFile] = await Promise.all([
    service.state().then(
      (state) => ({ state, problem: null }),
      (e: unknown) => ({ state: null, problem: isGlrError(e) ? e.message : String(e) }),
    ),
    desired.service.manager === 'systemd' && service.enabled ? service.enabled().catch(() => null) : Promise.resolve(null),
    root.isDir ? readHealth(desired.health.url, opts.healthTimeoutMs ?? 2000) : Promise.resolve(noAnswer('not asked: no node root')),
    statOrNull(desired.sharedDb),
    observeConfigFile(desired.configFile),
  ]);
  const sharedDb = { path: desired.sharedDb, exists: dbStat !== null, isDir: dbStat?.isDirectory() ?? false };
  const base = { at: new Date().toISOString(), root, service: { ...serviceState, enabled }, health, sharedDb, configFile };

  if (!root.isDir) {
    return {
      ...base,
      versions: [],
      links: { current: null, switchLinks: [], missing: [...RUNBOOK_LINKS], notLinks: [], version: null, others: [] },
      source: null,
      llm: {},
      diskFreeBytes: null,
      journal: null,
      lastResult: null,
      staging: [],
      target: null,
      trash: [],
      bad: [],
      lastSwitch: null,
      glrProblems: [],
    };
  }

  // one listing of the root serves both the version folders and the links
  const entries = (await readdir(layout.root, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  const versionNames = entries.filter((e) => e.isDirectory() && isVersion(e.name)).map((e) => e.name);
  const links = await observeLinks(layout, entries, new Set(versionNames));
  const versions = await Promise.all(versionNames.map((v) => observeVersion(layout, v, opts.sizes ?? false)));
  // where glr manages the host, `current` names the active version even while a link drifted
  const active = runningVersion({ links });
  const llm: Record<string, LlmObservation> = {};
  for (const v of new Set([desired.version, ...(active ? [active] : [])])) {
    if (versionNames.includes(v)) llm[v] = await observeLlm(layout, v);
  }
  const [source, diskFreeBytes, journal, history, staging, target, trash, bad, glrProblems] = await Promise.all([
    active ? observeSource(layout, active) : null,
    statfs(layout.root).then((s) => s.bavail * s.bsize),
    readJournal(layout),
    historyFacts(layout.history, active),
    listOrNone(layout.stagingDir),
    versionNames.includes(desired.version) ? observeTarget(layout, desired.version, desired.configFile !== null) : null,
    listOrNone(layout.trashDir),
    readBadReleases(layout),
    glrFolderProblems(layout),
  ]);
  return {
    ...base,
    versions,
    links,
    source,
    llm,
    diskFreeBytes,
    journal,
    lastResult: history.last,
    staging,
    target,
    trash,
    bad,
    lastSwitch: history.lastSwitch,
    glrProblems,
  };
}

async function observeVersion(layout: Layout, version: string, sizes: boolean): Promise<VersionFolder> {
  const [prepared, preparing, ownDb, bytes] = await Promise.all([
    readPrepared(layout, version),
    isPreparing(layout, version),
    hasOwnDb(layout, version),
    sizes ? diskUsage(layout.versionDir(version)) : undefined,
  ]);
  return { version, prepared, preparing, ownDb, ...(sizes ? { bytes: bytes ?? null } : {}) };
}

/** The names in one of glr's folders, sorted; none when it does not exist. */
async function listOrNone(dir: string): Promise<string[]> {
  return readdir(dir).then(
    (names) => names.sort(),
    (e: unknown) => (isNotFound(e) ? [] : Promise.reject(e)),
  );
}

async function observeSource(layout: Layout, version: string): Promise<SourceFiles> {
  const dir = layout.versionDir(version);
  const [config, env, keystoreFiles] = await Promise.all([
    statOrNull(layout.configYaml(dir)),
    statOrNull(layout.env(dir)),
    readdir(layout.keystore(dir), { withFileTypes: true }).then(
      (es) => es.filter((e) => e.isFile()).length,
      (e: unknown) => (isNotFound(e) ? -1 : Promise.reject(e)),
    ),
  ]);
  const envNames = env?.isFile() ? envNamesSet(await readFile(layout.env(dir), 'utf8')) : [];
  return {
    keystoreOpen: await keystoreOpen(layout.keystore(dir)),
    version,
    configYaml: config?.isFile() ?? false,
    env: env?.isFile() ?? false,
    keystore: keystoreFiles > 0,
    keystoreFiles: Math.max(keystoreFiles, 0),
    envNames,
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
    return { ok: true, backends: parseBackends(text), luaScriptPath: luaScriptPath(text) };
  } catch (e) {
    if (isGlrError(e)) return { ok: false, problem: e.message };
    throw e;
  }
}
