import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { atomicWriteFile, ensureDir, removeTree } from '../runtime/fsx.js';
import { readSyncedBlock } from '../runtime/health.js';
import { errnoText, loggable } from '../runtime/text.js';
import { refuse } from '../errors.js';
import type { ApplyContext } from './context.js';

const KEEP = 10;

/**
 * The runbook's checklist before a switch: back up .env and config.yaml (mode 600, under
 * {root}/.glr/backups/TIME-VERSION/) and note the synced block. Keeps the last ten backups.
 */
export async function backup(ctx: ApplyContext, version: string): Promise<{ dir: string; syncedBlock: number | null }> {
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
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw refuse(`backing up .env and config.yaml of ${version} under ${dir} failed: ${err.path ? `${err.path}: ` : ''}${errnoText(e)}; nothing was stopped`);
  }
  const syncedBlock = await readSyncedBlock(ctx.healthUrl);
  log.info({ version, backup: dir, syncedBlock }, 'backed up .env and config.yaml; noted the synced block');
  // old backups beyond the last ten: their removal is housekeeping, never a reason not to switch
  await prune(layout.backupsDir).catch((e: unknown) => log.warn({ err: loggable(e) }, 'could not remove old backups; the next switch will'));
  return { dir, syncedBlock };
}

async function prune(backups: string): Promise<void> {
  const dirs = (await readdir(backups, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  for (const old of dirs.slice(0, Math.max(0, dirs.length - KEEP))) await removeTree(path.join(backups, old));
}
