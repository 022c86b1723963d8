import { lchown, readdir } from 'node:fs/promises';
import path from 'node:path';
import { refuse } from '../errors.js';
import { errnoText } from '../runtime/text.js';
import type { ApplyContext } from './context.js';

/**
 * The runbook's `chown -R $USER:$USER {version}`: the version's folder and everything in it
 * belong to the user the node runs as, so that it can write its logs and read its keystore and
 * .env. Links are changed themselves, never followed: `data/node/genlayer.db` leads to the
 * shared DB, which is the operator's. Modes are left as they are (.env 600, keystore 700/600).
 */
export async function chownVersion(ctx: ApplyContext, version: string, owner: { user: string; uid: number; gid: number }): Promise<void> {
  const dir = ctx.layout.versionDir(version);
  let count = 0;
  const walk = async (p: string, isDir: boolean): Promise<void> => {
    await lchown(p, owner.uid, owner.gid);
    count++;
    if (!isDir) return;
    for (const e of await readdir(p, { withFileTypes: true })) await walk(path.join(p, e.name), e.isDirectory());
  };
  try {
    await walk(dir, true);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw refuse(`giving ${dir} to ${owner.user} failed: ${err.path ? `${err.path}: ` : ''}${errnoText(e)}; nothing was switched`);
  }
  ctx.log.info({ version, owner: owner.user, entries: count }, `${version} belongs to ${owner.user}`);
}
