import { readdir, symlink } from 'node:fs/promises';
import { refuse } from '../errors.js';
import { CURRENT, isLinkedEntry, RUNBOOK_LINKS } from '../layout.js';
import { errnoCode, fsyncDir } from '../runtime/fsx.js';
import { readlinkOrNull } from '../runtime/links.js';
import type { ApplyContext } from './context.js';

/**
 * Links what the version ships beyond the switch links (alloy-config.river, alloy-healthcheck.sh,
 * genvm-module-web-docker.yaml...): `{root}/X → current/X`, made before the stop. Through
 * `current`, such a link resolves into the new version once the swap names it, and before that
 * into nothing where the running version lacks X: never into two versions at once. Each link is
 * created where nothing is (symlink(2) fails on an existing name): a root entry that is not glr's
 * link is never replaced, only reported. `names` null: every entry the release ships.
 */
export async function linkRelease(ctx: ApplyContext, version: string, names: string[] | null): Promise<void> {
  const { layout, log } = ctx;
  if ((await readlinkOrNull(layout.current)) === null) throw refuse(`${layout.current} is not a link; run glr again to re-plan`);
  const runbook = RUNBOOK_LINKS as readonly string[];
  const wanted = names ?? (await readdir(layout.versionDir(version))).filter((n) => isLinkedEntry(n) && !runbook.includes(n)).sort();
  const made: string[] = [];
  for (const name of wanted) {
    const link = layout.link(name);
    // null: nothing there, or an entry that is not a link (symlink(2) then fails with EEXIST)
    const target = await readlinkOrNull(link);
    if (layout.leadsViaCurrent(name, target)) continue;
    if (target === null) {
      try {
        await symlink(`${CURRENT}/${name}`, link);
        made.push(name);
        continue;
      } catch (e) {
        if (errnoCode(e) !== 'EEXIST') throw e;
      }
    }
    log.warn({ name }, `${link} is not glr's link to current/${name}: left as it is, ${version}'s ${name} is not linked`);
  }
  if (made.length) {
    await fsyncDir(layout.root);
    log.info({ version, linked: made }, `linked ${made.join(', ')} through current`);
  }
}
