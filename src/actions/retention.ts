import { mkdir, readdir, realpath, rename } from 'node:fs/promises';
import path from 'node:path';
import { isVersion } from '../desired/version.js';
import type { Layout } from '../layout.js';
import { failpoint } from '../runtime/failpoint.js';
import { fsyncDir, isNotFound, nonce, removeTree } from '../runtime/fsx.js';
import { topFolderUnder, whereLinkLeads } from '../runtime/links.js';
import { isOpen } from '../runtime/journal-entry.js';
import { readJournal } from '../runtime/journal.js';
import type { Logger } from '../runtime/logger.js';
import { readPrepared } from '../runtime/marker.js';

/**
 * Removing version folders, crash-safe: a folder is renamed aside under `{root}/.glr/trash/`
 * (the same filesystem: one rename(2), then an fsync of the root), and only then deleted. A kill
 * at any instant leaves the folder whole in `{root}`, or (whole or in part) under the trash, never
 * half-deleted in `{root}`; the next `glr prune` or `reconcile` finishes the trash first.
 */

export interface Removal {
  version: string;
  /** null: removed; else why it was left where it is */
  skipped: string | null;
}

/**
 * Removes `version`'s folder after checking again, at this moment, what the plan (or `glr prune`)
 * decided from an observation: it must carry glr's `.glr-prepared`, no top-level link of the root
 * (`current` included) may resolve into it, and no open journal may name it. Never throws for a
 * reason to keep the folder: it says why instead.
 */
export async function removeVersionFolder(layout: Layout, log: Logger, version: string): Promise<Removal> {
  if (!isVersion(version)) return { version, skipped: 'not a version name' };
  if ((await readPrepared(layout, version)) === null) return { version, skipped: 'glr did not prepare or adopt it (no .glr-prepared)' };
  if ((await linkedVersions(layout)).has(version)) return { version, skipped: 'a link of the root resolves into it' };
  const j = await readJournal(layout);
  if (isOpen(j) && (j.leaving === version || j.entering === version)) return { version, skipped: 'an open journal names it' };
  return { version, skipped: (await trashAndDelete(layout, log, version)) ? null : 'it is gone already' };
}

/**
 * The crash-safe deletion itself, with no check of whose the folder is (the callers check): one
 * rename of `{root}/version` under the trash, an fsync of the root, then the delete. False when
 * the folder was gone already.
 */
export async function trashAndDelete(layout: Layout, log: Logger, version: string): Promise<boolean> {
  await mkdir(layout.trashDir, { recursive: true, mode: 0o700 });
  const aside = path.join(layout.trashDir, `${version}.${nonce()}`);
  try {
    await rename(layout.versionDir(version), aside);
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
  await fsyncDir(layout.root);
  log.info({ version, aside }, `${version} renamed aside; deleting it`);
  await failpoint('trashed', log);
  await removeTree(aside);
  return true;
}

/** Deletes what an interrupted removal left under the trash; returns the names it deleted. */
export async function emptyTrash(layout: Layout, log: Logger): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(layout.trashDir);
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
  for (const n of names) {
    log.info({ name: n }, `finishing an interrupted removal: deleting ${path.join(layout.trashDir, n)}`);
    await removeTree(path.join(layout.trashDir, n));
  }
  return names;
}

/** Every version folder a top-level link of the root (`current` included) resolves into. */
async function linkedVersions(layout: Layout): Promise<Set<string>> {
  const realRoot = await realpath(layout.root);
  const out = new Set<string>();
  for (const e of await readdir(layout.root, { withFileTypes: true })) {
    if (!e.isSymbolicLink()) continue;
    const top = topFolderUnder(realRoot, await whereLinkLeads(layout.link(e.name), { dangling: true }));
    if (top !== null) out.add(top);
  }
  return out;
}
