import type { Dirent } from 'node:fs';
import { readlink, realpath } from 'node:fs/promises';
import { CURRENT, GLR_DIR, type Layout, RUNBOOK_LINKS } from '../layout.js';
import { lstatOrNull } from '../runtime/fsx.js';
import { TEMP_LINK_SUFFIX, topFolderUnder, whereLinkLeads } from '../runtime/links.js';
import type { LinkObservation, LinksObservation } from './types.js';

/** version folders (v0.4.3) and the series' shared DB folders (v0.4) */
const SERIES_OR_VERSION = /^v\d+\.\d+(\.\d+.*)?$/;

/**
 * The switch links: every top-level link that resolves into a version folder (the runbook's six
 * and whatever newer releases add), plus the runbook's six wherever they point.
 */
export async function observeLinks(layout: Layout, entries: readonly Dirent[], versionNames: ReadonlySet<string>): Promise<LinksObservation> {
  const realRoot = await realpath(layout.root);
  const versionOf = async (p: string, dangling = false): Promise<string | null> => {
    const top = topFolderUnder(realRoot, await whereLinkLeads(p, { dangling }));
    return top !== null && versionNames.has(top) ? top : null;
  };

  let current: LinksObservation['current'] = null;
  const cur = await lstatOrNull(layout.current);
  if (cur?.isSymbolicLink()) {
    current = { target: await readlink(layout.current), version: await versionOf(layout.current) };
  }

  const switchLinks: LinkObservation[] = [];
  const missing: string[] = [];
  const notLinks: string[] = [];
  const others: LinksObservation['others'] = [];
  const names = new Set(entries.map((e) => e.name));
  for (const name of RUNBOOK_LINKS) if (!names.has(name)) missing.push(name);

  for (const e of entries) {
    if (e.name === CURRENT || e.name === GLR_DIR || e.name.endsWith(TEMP_LINK_SUFFIX)) continue;
    const runbook = (RUNBOOK_LINKS as readonly string[]).includes(e.name);
    if (!e.isSymbolicLink()) {
      if (runbook) notLinks.push(e.name);
      else if (!(e.isDirectory() && SERIES_OR_VERSION.test(e.name))) others.push({ name: e.name, target: null });
      continue;
    }
    const p = layout.link(e.name);
    const target = await readlink(p);
    // a runbook link left dangling (its file gone from the version) still names that version
    const version = await versionOf(p, runbook);
    if (version === null && !runbook) {
      others.push({ name: e.name, target });
      continue;
    }
    const viaCurrent = layout.leadsViaCurrent(e.name, target);
    switchLinks.push({ name: e.name, target, viaCurrent, version });
  }

  const versions = new Set(switchLinks.map((l) => l.version));
  // missing links are reported on their own: the ones there still tell which version runs
  const agreed = versions.size === 1 && notLinks.length === 0 ? [...versions][0]! : null;
  return { current, switchLinks, missing, notLinks, version: agreed, others };
}
