import { chown, mkdir, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { refuse } from '../errors.js';
import { fsyncDir, lstatOrNull } from '../runtime/fsx.js';
import { errnoText } from '../runtime/text.js';
import type { ApplyContext } from './context.js';

/**
 * A breaking switch's DB folder, created empty for the node to fill (GenLayer: the node creates a
 * fresh database and syncs from genesis; a DB link to nowhere makes it fail with "mkdir
 * …/genlayer.db: file exists"). Each folder is made one at a time, so that what this call made
 * is known (`created`, deepest last) and a failed preparation can take exactly those away again
 * (`removeCreated`: rmdir only, which never deletes anything inside). When glr runs as root, they
 * get the owner of `ownerOf` (the running DB: the node's user), so that the node can write there.
 */
export async function createDb(ctx: ApplyContext, sharedDb: string, ownerOf: string | null): Promise<string[]> {
  const created: string[] = [];
  const missing: string[] = [];
  for (let at = sharedDb; !(await lstatOrNull(at)); at = path.dirname(at)) missing.unshift(at);
  if (missing.length === 0) {
    const st = await stat(sharedDb).catch(() => null);
    if (!st?.isDirectory()) throw refuse(`${sharedDb} exists and is not a folder: it cannot hold the new DB; nothing was switched`);
    ctx.log.info({ sharedDb }, `${sharedDb} exists already; it is used as it is`);
    return created;
  }
  const owner = ownerOf && process.getuid?.() === 0 ? await stat(ownerOf).catch(() => null) : null;
  try {
    for (const dir of missing) {
      await mkdir(dir, { mode: 0o755 });
      created.push(dir);
      if (owner) await chown(dir, owner.uid, owner.gid);
    }
    await fsyncDir(path.dirname(sharedDb));
  } catch (e) {
    await removeCreated(created);
    throw refuse(`creating ${sharedDb} for the new DB failed: ${errnoText(e)}; nothing was switched`);
  }
  ctx.log.info({ sharedDb }, `created ${sharedDb}, empty, for the new DB`);
  return created;
}

/** Takes away folders `createDb` made, deepest first, while they are still empty (rmdir never removes content). */
export async function removeCreated(created: readonly string[]): Promise<void> {
  for (const dir of [...created].reverse()) await rmdir(dir).catch(() => {});
}
