import { readlink, realpath, rename, symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, fsyncDir, isNotFound } from './fsx.js';

/** The suffix of the temporary name a new link is made under before it is renamed into place. */
export const TEMP_LINK_SUFFIX = '.glr-new';

/**
 * Points `link` at `target` in one rename(2): a fresh link is made under a temporary name
 * beside it and renamed over the old one. A reader sees the old target or the new, never no
 * link. Never remove-then-create.
 */
export async function replaceLink(link: string, target: string, opts: { fsync?: boolean } = {}): Promise<void> {
  const tmp = path.join(path.dirname(link), `.${path.basename(link)}${TEMP_LINK_SUFFIX}`);
  await unlink(tmp).catch((e: unknown) => {
    if (!isNotFound(e)) throw e;
  });
  await symlink(target, tmp);
  try {
    await rename(tmp, link);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  if (opts.fsync !== false) await fsyncDir(path.dirname(link));
}

export async function readlinkOrNull(link: string): Promise<string | null> {
  try {
    return await readlink(link);
  } catch (e) {
    if (isNotFound(e) || (e as NodeJS.ErrnoException).code === 'EINVAL') return null;
    throw e;
  }
}

/**
 * Where `link` leads on disk (its real path), or null when it leads nowhere (its target is gone,
 * or a loop). With `dangling`, a link whose target is gone leads to that name in its target's
 * real folder: a runbook link left dangling (its file removed from the version) still names the
 * version it was made for. Any other error (a permission) is thrown: glr never guesses.
 */
export async function whereLinkLeads(link: string, o: { dangling?: boolean } = {}): Promise<string | null> {
  const nowhere = (e: unknown): null => {
    if (isNotFound(e) || errnoCode(e) === 'ELOOP') return null;
    throw e;
  };
  try {
    return await realpath(link);
  } catch (e) {
    nowhere(e);
  }
  if (!o.dangling) return null;
  try {
    const target = path.resolve(path.dirname(link), await readlink(link));
    return path.join(await realpath(path.dirname(target)), path.basename(target));
  } catch (e) {
    return nowhere(e);
  }
}

/** The first folder of `real` below `realRoot` (a version folder's name), or null when it is not below it. */
export function topFolderUnder(realRoot: string, real: string | null): string | null {
  return real !== null && real.startsWith(realRoot + path.sep) ? real.slice(realRoot.length + 1).split(path.sep)[0]! : null;
}
