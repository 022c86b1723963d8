import type { Dirent } from 'node:fs';
import { readdir, readFile, readlink, realpath, statfs } from 'node:fs/promises';
import path from 'node:path';
import type { Desired } from '../desired/types.js';
import { isVersion } from '../desired/version.js';
import { envNamesSet } from '../genlayer/env-file.js';
import { parseBackends } from '../genlayer/llm-config.js';
import { CURRENT, GLR_DIR, Layout, RUNBOOK_LINKS } from '../layout.js';
import { isNotFound, lstatOrNull, statOrNull } from '../runtime/fsx.js';
import { readHealth, readSyncedBlock } from '../runtime/health.js';
import { TEMP_LINK_SUFFIX } from '../runtime/links.js';
import { lastHistory, readJournal } from '../runtime/journal.js';
import { readPrepared, readPreparing } from '../runtime/marker.js';
import { serviceManager, type ServiceManager } from '../runtime/service.js';
import type { LinkObservation, LinksObservation, LlmObservation, Observed, SourceFiles, VersionFolder } from './types.js';
import { isGlrError } from '../errors.js';

export interface ObserveOptions {
  /** defaults to the manager the file names */
  service?: ServiceManager;
  healthTimeoutMs?: number;
}

/** Looks at the host. Reads only: nothing under the root is created, changed or locked. */
export async function observe(desired: Desired, opts: ObserveOptions = {}): Promise<Observed> {
  const layout = new Layout(desired.root);
  const rootStat = await statOrNull(layout.root);
  const root = { path: layout.root, exists: rootStat !== null, isDir: rootStat?.isDirectory() ?? false };
  const service = opts.service ?? serviceManager(desired.service);

  const [serviceState, health, syncedBlock] = await Promise.all([
    service.state().then(
      (state) => ({ state, problem: null }),
      (e: unknown) => ({ state: null, problem: isGlrError(e) ? e.message : String(e) }),
    ),
    readHealth(desired.health.url, opts.healthTimeoutMs ?? 2000),
    readSyncedBlock(desired.health.url, opts.healthTimeoutMs ?? 2000),
  ]);

  const dbStat = await statOrNull(desired.sharedDb);
  const sharedDb = { path: desired.sharedDb, exists: dbStat !== null, isDir: dbStat?.isDirectory() ?? false };

  if (!root.isDir) {
    return {
      at: new Date().toISOString(),
      root,
      versions: [],
      links: { current: null, switchLinks: [], missing: [...RUNBOOK_LINKS], notLinks: [], version: null },
      service: serviceState,
      health,
      syncedBlock,
      source: null,
      llm: {},
      sharedDb,
      diskFreeBytes: null,
      journal: null,
      lastResult: null,
      staging: [],
    };
  }

  // one listing of the root serves both the version folders and the links
  const entries = (await readdir(layout.root, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  const versionNames = entries.filter((e) => e.isDirectory() && isVersion(e.name)).map((e) => e.name);
  const links = await observeLinks(layout, entries, new Set(versionNames));
  const versions = await Promise.all(versionNames.map((v) => observeVersion(layout, v)));
  // where glr manages the host, `current` names the active version even while a link drifted
  const active = links.current?.version ?? links.version;
  const source = active ? await observeSource(layout, active) : null;
  const llm: Record<string, LlmObservation> = {};
  for (const v of new Set([desired.version, ...(active ? [active] : [])])) {
    if (versionNames.includes(v)) llm[v] = await observeLlm(layout, v);
  }

  return {
    at: new Date().toISOString(),
    root,
    versions,
    links,
    service: serviceState,
    health,
    syncedBlock,
    source,
    llm,
    sharedDb,
    diskFreeBytes: await freeBytes(layout.root),
    journal: await readJournal(layout),
    lastResult: await lastHistory(layout),
    staging: await listStaging(layout),
  };
}

async function observeVersion(layout: Layout, version: string): Promise<VersionFolder> {
  const [prepared, preparing] = await Promise.all([readPrepared(layout, version), readPreparing(layout, version)]);
  const marker = prepared && prepared !== 'unreadable' && prepared.version === version ? prepared : null;
  return { version, prepared: marker, preparing: preparing !== null };
}

/**
 * The switch links: every top-level link that resolves into a version folder (the runbook's six
 * and whatever newer releases add), plus the runbook's six wherever they point.
 */
async function observeLinks(layout: Layout, entries: readonly Dirent[], versionNames: ReadonlySet<string>): Promise<LinksObservation> {
  const realRoot = await realpath(layout.root);
  const versionOf = async (p: string, parentOnly = false): Promise<string | null> => {
    let real: string;
    try {
      real = parentOnly ? path.join(await realpath(path.dirname(p)), path.basename(p)) : await realpath(p);
    } catch {
      return null;
    }
    if (!real.startsWith(realRoot + path.sep)) return null;
    const first = real.slice(realRoot.length + 1).split(path.sep)[0]!;
    return versionNames.has(first) ? first : null;
  };

  let current: LinksObservation['current'] = null;
  const cur = await lstatOrNull(layout.current);
  if (cur?.isSymbolicLink()) {
    current = { target: await readlink(layout.current), version: await versionOf(layout.current) };
  }

  const switchLinks: LinkObservation[] = [];
  const missing: string[] = [];
  const notLinks: string[] = [];
  const names = new Set(entries.map((e) => e.name));
  for (const name of RUNBOOK_LINKS) if (!names.has(name)) missing.push(name);

  for (const e of entries) {
    if (e.name === CURRENT || e.name === GLR_DIR || e.name.endsWith(TEMP_LINK_SUFFIX)) continue;
    const runbook = (RUNBOOK_LINKS as readonly string[]).includes(e.name);
    if (!e.isSymbolicLink()) {
      if (runbook) notLinks.push(e.name);
      continue;
    }
    const p = layout.link(e.name);
    const target = await readlink(p);
    // a runbook link left dangling (its file gone from the version) still names that version
    const version = (await versionOf(p)) ?? (runbook ? await versionOf(path.resolve(path.dirname(p), target), true) : null);
    if (version === null && !runbook) continue;
    const viaCurrent = target === `${CURRENT}/${e.name}` || target === path.join(layout.current, e.name);
    switchLinks.push({ name: e.name, target, viaCurrent, version });
  }

  const versions = new Set(switchLinks.map((l) => l.version));
  // missing links are reported on their own: the ones there still tell which version runs
  const agreed = versions.size === 1 && notLinks.length === 0 ? [...versions][0]! : null;
  return { current, switchLinks, missing, notLinks, version: agreed };
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
  let envNames: string[] = [];
  if (env?.isFile()) {
    try {
      envNames = envNamesSet(await readFile(layout.env(dir), 'utf8'));
    } catch {
      envNames = [];
    }
  }
  return {
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
    return { ok: false, problem: isNotFound(e) ? 'no GenVM LLM config (third_party/genvm/config/genvm-module-llm.yaml)' : String(e) };
  }
  try {
    return { ok: true, backends: parseBackends(text) };
  } catch (e) {
    if (isGlrError(e)) return { ok: false, problem: e.message };
    throw e;
  }
}

async function freeBytes(dir: string): Promise<number | null> {
  try {
    const s = await statfs(dir);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

async function listStaging(layout: Layout): Promise<string[]> {
  try {
    return (await readdir(layout.stagingDir)).sort();
  } catch {
    return [];
  }
}
