import { lstat, stat } from 'node:fs/promises';
import path from 'node:path';
import { refuse } from '../errors.js';
import { CURRENT } from '../layout.js';
import { fsyncDir, isNotFound } from '../runtime/fsx.js';
import { readlinkOrNull, replaceLink } from '../runtime/links.js';
import type { ApplyContext } from './context.js';

/**
 * Routes each switch link through `current`: `current` → version (created if absent), then
 * `name` → `current/name`, each by one rename. While `current` names the version the links
 * already resolve into, nothing an observer resolves changes.
 */
export async function routeLinks(ctx: ApplyContext, version: string, links: string[]): Promise<void> {
  const { layout } = ctx;
  const current = await readlinkOrNull(layout.current);
  if (current === null) {
    if (await lstat(layout.current).catch(() => null)) throw refuse(`${layout.current} exists and is not a link; move it aside`);
    await replaceLink(layout.current, version);
  } else if (path.basename(current) !== version) {
    throw refuse(`${layout.current} names ${current}, not ${version}; run glr again to re-plan`);
  }
  for (const name of links) {
    try {
      await stat(path.join(layout.versionDir(version), name));
    } catch (e) {
      if (isNotFound(e)) throw refuse(`cannot link ${name}: ${version} has no ${name}`);
      throw e;
    }
    await replaceLink(layout.link(name), `${CURRENT}/${name}`, { fsync: false });
  }
  await fsyncDir(layout.root);
}
