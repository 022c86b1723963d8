import { readlink, rename, symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir, isNotFound } from './fsx.js';

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
