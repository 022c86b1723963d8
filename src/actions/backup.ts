import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { atomicWriteFile, ensureDir, removeTree } from '../runtime/fsx.js';
import { readSync } from '../genlayer/node-sync.js';
import { errnoText, loggable } from '../runtime/text.js';
import { refuse } from '../errors.js';
import type { ApplyContext } from './context.js';
import { copyKeystore } from './keystore.js';

const KEEP = 10;

/**
 * The runbook's checklist before a switch: back up .env and config.yaml (mode 600, under
 * {root}/.glr/backups/TIME-VERSION/) and note the synced block. With `keystore` (before a
 * breaking switch; GenLayer's upgrade guide: always back up the keystore first), the keystore
 * too, as `keystore/` (folders 700, files 600). Keeps the last ten backups; one that holds a
 * keystore is never removed.
 */
export async function backup(ctx: ApplyContext, version: string, keystore = false): Promise<{ dir: string; syncedBlock: number | null }> {
  const { layout, log } = ctx;
  const dir = layout.backupDir(new Date().toISOString(), version);
  const src = layout.versionDir(version);
  try {
    // one folder at a time: a recursive mkdir on a read-only disk says ENOENT, not EROFS
    await ensureDir(layout.glrDir, 0o700);
    await ensureDir(layout.backupsDir, 0o700);
    await mkdir(dir, { mode: 0o700 });
    await atomicWriteFile(path.join(dir, '.env'), await readFile(layout.env(src)), 0o600);
    await atomicWriteFile(path.join(dir, 'config.yaml'), await readFile(layout.configYaml(src)), 0o600);
    if (keystore) await copyKeystore(layout.keystore(src), path.join(dir, 'keystore'), (d) => mkdir(d, { mode: 0o700 }));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const what = keystore ? '.env, config.yaml and the keystore' : '.env and config.yaml';
    throw refuse(`backing up ${what} of ${version} under ${dir} failed: ${err.path ? `${err.path}: ` : ''}${errnoText(e)}; nothing was stopped`);
  }
  const syncedBlock = (await readSync(ctx.healthUrl))?.syncedBlock ?? null;
  log.info({ version, backup: dir, syncedBlock }, `backed up .env, config.yaml${keystore ? ' and the keystore' : ''}; noted the synced block`);
  // old backups beyond the last ten: their removal is housekeeping, never a reason not to switch
  await prune(layout.backupsDir).catch((e: unknown) => log.warn({ err: loggable(e) }, 'could not remove old backups; the next switch will'));
  return { dir, syncedBlock };
}

async function prune(backups: string): Promise<void> {
  const dirs = (await readdir(backups, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  for (const old of dirs.slice(0, Math.max(0, dirs.length - KEEP))) {
    // a validator's key is never thrown away by housekeeping
    if (await stat(path.join(backups, old, 'keystore')).catch(() => null)) continue;
    await removeTree(path.join(backups, old));
  }
}
