import path from 'node:path';
import { refuse } from '../errors.js';
import { removeTree } from '../runtime/fsx.js';
import { readlinkOrNull } from '../runtime/links.js';
import { isPreparing, readPrepared } from '../runtime/marker.js';
import type { ApplyContext } from './context.js';
import { trashAndDelete } from './retention.js';

export async function cleanStaging(ctx: ApplyContext, names: string[]): Promise<void> {
  for (const name of names) {
    // a name comes from a listing of glr's own folder; refuse anything that would leave it
    if (name.includes('/') || name === '..' || name === '.') continue;
    await removeTree(path.join(ctx.layout.stagingDir, name));
  }
}

/**
 * Deletes a version folder of glr's own that may not be used. Checked again here, at the moment
 * of deleting: it must carry glr's marker and must not be what `current` names.
 */
export async function removeVersion(ctx: ApplyContext, version: string): Promise<void> {
  const { layout } = ctx;
  const current = await readlinkOrNull(layout.current);
  if (current !== null && path.basename(current) === version) {
    throw refuse(`${version} is what ${layout.current} names; glr does not delete the version it runs on`);
  }
  const ours = (await isPreparing(layout, version)) || (await readPrepared(layout, version))?.origin === 'prepared';
  if (!ours) throw refuse(`${layout.versionDir(version)} is not a folder glr prepared; not deleting it`);
  // renamed aside first: a kill half-way leaves no half folder without its marker in the root
  await trashAndDelete(layout, ctx.log, version);
}
