import { lstat, mkdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { refuse } from '../errors.js';
import { replaceLink } from '../runtime/links.js';
import type { ApplyContext } from './context.js';

/** `V/data/node/genlayer.db` → the shared DB: every version of a series uses one database. */
export async function linkDb(ctx: ApplyContext, version: string, sharedDb: string): Promise<void> {
  const link = ctx.layout.dbLink(ctx.layout.versionDir(version));
  await mkdir(path.dirname(link), { recursive: true, mode: 0o755 });
  const existing = await lstat(link).catch(() => null);
  if (existing && !existing.isSymbolicLink()) {
    throw refuse(`${version}'s release ships data/node/genlayer.db itself; glr will not hide a database behind a link`);
  }
  if (existing && (await readlink(link)) === sharedDb) return;
  await replaceLink(link, sharedDb);
}
