import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Layout } from '../layout.js';
import { isNotFound, lstatOrNull } from '../runtime/fsx.js';
import { errnoText } from '../runtime/text.js';
import type { Observed, DesiredFolder } from './types.js';

/**
 * What GenLayer's v0.5 procedure and pre-update checklist look at, read only: the new version's
 * folder (what it ships at its top), the `configFile` to install, the keystore's modes and a
 * version's own DB folder. Only hashes of config files are kept, never their content.
 */

/**
 * The desired version's folder, when it exists. Its config.yaml is hashed only when `hashConfig`
 * (a `configFile` to compare it with): the only reader of the hash.
 */
export async function observeDesiredFolder(layout: Layout, version: string, hashConfig: boolean): Promise<DesiredFolder | null> {
  const dir = layout.versionDir(version);
  let entries: string[];
  try {
    entries = (await readdir(dir)).sort();
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
  const config = hashConfig ? await readFile(layout.configYaml(dir)).catch((e: unknown) => (isNotFound(e) ? null : Promise.reject(e))) : null;
  return { version, entries, configSha256: config ? sha256(config) : null };
}

/**
 * The file's `configFile`: its hash, or why it cannot be installed; and its text, kept apart
 * (key paths are compared from it, see deployment.ts), from the one read. Never throws.
 */
export async function observeConfigFile(file: string | null): Promise<{ facts: Observed['configFile']; text: string | null }> {
  if (file === null) return { facts: null, text: null };
  const r = await readGivenFile(file);
  return 'problem' in r
    ? { facts: { path: file, sha256: null, problem: r.problem }, text: null }
    : { facts: { path: file, sha256: r.sha256, problem: null }, text: r.text };
}

/** A file the desired state names (configFile, envFile), in one read: its text and the hash of its bytes, or why it cannot be used. Never throws. */
export async function readGivenFile(file: string): Promise<{ sha256: string; text: string } | { problem: string }> {
  try {
    const st = await stat(file);
    if (!st.isFile()) return { problem: 'is not a file' };
    const bytes = await readFile(file);
    return { sha256: sha256(bytes), text: bytes.toString('utf8') };
  } catch (e) {
    return { problem: errnoText(e) };
  }
}

/**
 * The keystore, in one walk: how many key files it holds (its top level), and the entries open
 * to others (`mode & 0o077`): the folder itself as `.`, then each entry (one level of subfolders
 * deep), as `name mode`. No keystore: no files, nothing open.
 */
export async function observeKeystore(keystore: string): Promise<{ files: number; open: string[] }> {
  const open: string[] = [];
  const check = async (p: string, name: string) => {
    const st = await lstatOrNull(p);
    if (st && !st.isSymbolicLink() && st.mode & 0o077) open.push(`${name} ${(st.mode & 0o777).toString(8)}`);
    return st;
  };
  const top = await check(keystore, '.');
  if (!top?.isDirectory()) return { files: 0, open: [] };
  let files = 0;
  for (const e of (await readdir(keystore, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.isFile()) files++;
    await check(path.join(keystore, e.name), e.name);
    if (e.isDirectory()) {
      for (const f of (await readdir(path.join(keystore, e.name))).sort()) await check(path.join(keystore, e.name, f), `${e.name}/${f}`);
    }
  }
  return { files, open };
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
