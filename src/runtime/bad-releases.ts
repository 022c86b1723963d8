import type { Layout } from '../layout.js';
import { atomicWriteFile, ensureDir, readJsonOrNull } from './fsx.js';

/**
 * Releases that were rolled back on this host: `{root}/.glr/bad-releases.json`,
 * `{"version":1,"releases":[{"version":"v0.4.6","at":"…","reason":"…"}]}`, oldest first.
 *
 * Kept apart from the version folders on purpose: retention removes a bad release's folder
 * first, and the verdict must outlive it (status keeps showing it; a later prepare-ahead does
 * not prepare it again). Written by the `mark-release` finish step of a switch: a rolled-back
 * outcome adds the version, a switch to it that ends healthy (`applied`) takes it off again.
 * Only the holder of the root's lock writes it (atomically); readers take no lock.
 */
export interface BadRelease {
  version: string;
  /** when it was rolled back (ISO 8601, UTC) */
  at: string;
  /** why, one line (the outcome's first line) */
  reason: string;
}

interface BadReleasesFile {
  version: 1;
  releases: BadRelease[];
}

/** The bad releases, oldest first; none when the file is missing. An unreadable file reads as none (it is glr's own). */
export async function readBadReleases(layout: Layout): Promise<BadRelease[]> {
  const raw = (await readJsonOrNull(layout.badReleases)) as Partial<BadReleasesFile> | null;
  if (raw === null || !Array.isArray(raw.releases)) return [];
  return raw.releases.filter(
    (r): r is BadRelease => typeof r === 'object' && r !== null && typeof r.version === 'string' && typeof r.at === 'string' && typeof r.reason === 'string',
  );
}

/** Marks `version` bad (a later verdict replaces an earlier one). */
export async function markBad(layout: Layout, entry: BadRelease): Promise<void> {
  const others = (await readBadReleases(layout)).filter((r) => r.version !== entry.version);
  await write(layout, [...others, entry]);
}

/** Takes `version` off the list (it ran healthy after all); writes nothing when it was not on it. */
export async function clearBad(layout: Layout, version: string): Promise<void> {
  const all = await readBadReleases(layout);
  if (!all.some((r) => r.version === version)) return;
  await write(
    layout,
    all.filter((r) => r.version !== version),
  );
}

async function write(layout: Layout, releases: BadRelease[]): Promise<void> {
  await ensureDir(layout.glrDir, 0o700);
  const file: BadReleasesFile = { version: 1, releases };
  await atomicWriteFile(layout.badReleases, `${JSON.stringify(file, null, 2)}\n`, 0o644);
}
