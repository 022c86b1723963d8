import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { atomicWriteFile, removeTree } from '../runtime/fsx.js';
import { readSyncedBlock } from '../runtime/health.js';
import type { ApplyContext } from './context.js';

const KEEP = 10;

/**
 * The runbook's checklist before a switch: back up .env and config.yaml (mode 600, under
 * {root}/.glr/backups/TIME-VERSION/) and note the synced block. Keeps the last ten backups.
 */
export async function backup(ctx: ApplyContext, version: string): Promise<{ dir: string; syncedBlock: number | null }> {
  const { layout } = ctx;
  const dir = layout.backupDir(new Date().toISOString(), version);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const src = layout.versionDir(version);
  await atomicWriteFile(path.join(dir, '.env'), await readFile(layout.env(src)), 0o600);
  await atomicWriteFile(path.join(dir, 'config.yaml'), await readFile(layout.configYaml(src)), 0o600);
  const syncedBlock = await readSyncedBlock(ctx.healthUrl);
  ctx.log.info({ version, backup: dir, syncedBlock }, 'backed up .env and config.yaml; noted the synced block');
  await prune(layout.backupsDir);
  return { dir, syncedBlock };
}

async function prune(backups: string): Promise<void> {
  const dirs = (await readdir(backups, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  for (const old of dirs.slice(0, Math.max(0, dirs.length - KEEP))) await removeTree(path.join(backups, old));
}
