import type { Stats } from 'node:fs';
import { readdir, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { Desired } from '../desired/types.js';
import { isVersion } from '../desired/version.js';
import { envNamesSet, envSecretValues } from '../genlayer/env-file.js';
import { changedKeys, configDrift, configLeaves, type ConfigLeaves } from '../genlayer/node-config.js';
import type { Layout } from '../layout.js';
import { isNotFound, statOrNull } from '../runtime/fsx.js';
import { readlinkOrNull } from '../runtime/links.js';
import type { DeploymentFacts, SnapshotFolder } from './types.js';
import { readGivenFile } from './version-files.js';

/**
 * What a breaking upgrade turns on, read only: the DB the running version uses (where its
 * `data/node/genlayer.db` leads) and whether the desired `sharedDb` is that very folder; the
 * running config's keys against `configFile`'s and the desired release's config.yaml.example
 * (key paths only, never a value); the file's `envFile` (the names it sets; its values apart,
 * for scrubbing only); glr's snapshots, and whether their folder is on the DB's filesystem.
 */
export async function observeDeployment(
  desired: Desired,
  o: { active: string | null; activeDb: Stats | null; desiredFolderExists: boolean; configFileText: string | null },
): Promise<{ facts: DeploymentFacts; secrets: string[] }> {
  const { layout } = desired;
  const configFile = o.configFileText;
  const [runningDb, runningConfig, envFile, snapshots] = await Promise.all([
    o.active ? observeRunningDb(layout, o.active, o.activeDb, desired.sharedDb) : null,
    o.active ? readTextOrNull(layout.configYaml(layout.versionDir(o.active))) : null,
    observeEnvFile(desired.envFile),
    observeSnapshots(layout, desired.sharedDb),
  ]);
  const running = runningConfig === null ? null : configLeaves(runningConfig);
  const installed = configFile === null ? null : configLeaves(configFile);
  const folder = o.desiredFolderExists ? layout.versionDir(desired.version) : null;
  // with a configFile, the folder's own config.yaml is not what it runs with (and observe hashed it already)
  const [example, folderConfig] = folder
    ? await Promise.all([
        readTextOrNull(path.join(folder, 'configs/node/config.yaml.example')).catch(() => null),
        configFile === null && !desired.configFile ? readTextOrNull(layout.configYaml(folder)).catch(() => null) : null,
      ])
    : [null, null];
  // the config the desired version runs with: configFile, else its own, else the one it would carry
  const runsWith = configFile ?? folderConfig ?? runningConfig;
  const drift = example !== null && runsWith !== null ? configDrift(example, runsWith) : null;
  return {
    facts: {
      runningDb,
      nodeConfig: {
        changedByConfigFile: running && installed ? changedKeys(running, installed) : null,
        keys: [...new Set([...keysOf(running), ...keysOf(installed)])].sort(),
        drift,
      },
      envFile: envFile?.facts ?? null,
      snapshots,
    },
    secrets: envFile?.secrets ?? [],
  };
}

function keysOf(c: ConfigLeaves | null): string[] {
  return c ? [...c.keys()] : [];
}

/** `st`: the lstat of the running version's `data/node/genlayer.db`, as observe read it for its folder */
async function observeRunningDb(layout: Layout, version: string, st: Stats | null, sharedDb: string): Promise<DeploymentFacts['runningDb']> {
  const link = layout.dbLink(layout.versionDir(version));
  const raw = st?.isSymbolicLink() ? await readlinkOrNull(link) : null;
  const target = raw === null ? (st?.isDirectory() ? link : null) : path.resolve(path.dirname(link), raw);
  const real = target === null ? null : await realpath(target).catch(() => null);
  let same: boolean | null = target === null ? null : target === sharedDb;
  if (same === false && real !== null) {
    const [a, b] = await Promise.all([statOrNull(real), statOrNull(sharedDb)]);
    if (a && b) same = a.dev === b.dev && a.ino === b.ino;
  }
  return { version, link, target, isLink: raw !== null, exists: real !== null, sharedDbIsIt: same };
}

async function observeEnvFile(file: string | null): Promise<{ facts: NonNullable<DeploymentFacts['envFile']>; secrets: string[] } | null> {
  if (file === null) return null;
  const r = await readGivenFile(file);
  if ('problem' in r) return { facts: { path: file, sha256: null, names: [], problem: r.problem }, secrets: [] };
  return { facts: { path: file, sha256: r.sha256, names: envNamesSet(r.text), problem: null }, secrets: envSecretValues(r.text) };
}

const SNAPSHOT_NAME = /^(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z)-(v.+)$/;

async function observeSnapshots(layout: Layout, sharedDb: string): Promise<DeploymentFacts['snapshots']> {
  const dir = layout.snapshotsDir;
  const names = await readdir(dir).catch((e: unknown) => (isNotFound(e) || (e as NodeJS.ErrnoException).code === 'ENOTDIR' ? [] : Promise.reject(e)));
  const entries: SnapshotFolder[] = [];
  for (const name of names.sort()) {
    const m = SNAPSHOT_NAME.exec(name);
    if (!m || !isVersion(m[2]!)) continue;
    const [d, t] = m[1]!.split('T') as [string, string];
    const at = `${d}T${t.replace(/^(\d\d)-(\d\d)-(\d\d)-(\d{3})Z$/, '$1:$2:$3.$4Z')}`;
    entries.push({ name, path: path.join(dir, name), version: m[2]!, at });
  }
  // where a snapshot would be written, against the DB's folder (or the nearest that exists)
  const [here, db] = await Promise.all([nearestStat(dir, layout.root), nearestStat(sharedDb, '/')]);
  return { dir, entries, onDbFilesystem: here && db ? here.dev === db.dev : null };
}

async function nearestStat(p: string, stopAt: string): Promise<{ dev: number } | null> {
  for (let at = p; ; at = path.dirname(at)) {
    const st = await statOrNull(at);
    if (st) return st;
    if (at === stopAt || at === path.dirname(at)) return null;
  }
}

async function readTextOrNull(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if (isNotFound(e) || (e as NodeJS.ErrnoException).code === 'EISDIR') return null;
    throw e;
  }
}
