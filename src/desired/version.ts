import semver from 'semver';

/** A GenLayer node version: `vMAJOR.MINOR.PATCH` with an optional `-pre` (e.g. `v0.4.5-rc1`). */
export const VERSION_PATTERN = /^v(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.]+))?$/;

export interface Version {
  text: string;
  major: number;
  minor: number;
  patch: number;
  pre: string | null;
}

export function parseVersion(text: string): Version | null {
  const m = VERSION_PATTERN.exec(text);
  if (!m) return null;
  return { text, major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: m[4] ?? null };
}

export function isVersion(text: string): boolean {
  return VERSION_PATTERN.test(text);
}

/** `v0.4` for `v0.4.5`: the shared database is kept per MAJOR.MINOR. */
export function seriesOf(text: string): string | null {
  const v = parseVersion(text);
  return v ? `v${v.major}.${v.minor}` : null;
}

/**
 * Semantic-version order (semver 2.0.0, by the `semver` package): a pre-release sorts before its
 * release, and pre-release identifiers compare numerically when both are digits, else as ASCII
 * text: rc.2 < rc.10, but rc10 < rc9 and RC1 < rc1. The few strings glr's grammar admits and
 * semver does not (leading zeros as in v01.2.3 or rc.01, empty identifiers as in rc..1) sort
 * before every version semver reads, in text order among themselves, as do non-versions.
 */
export function compareVersions(a: string, b: string): number {
  const x = isVersion(a) ? semver.parse(a) : null;
  const y = isVersion(b) ? semver.parse(b) : null;
  if (x && y) return x.compare(y);
  if (x || y) return x ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Newest first by semantic version; release candidates (any `-pre`) only with `pre`. */
export function sortReleases(versions: Iterable<string>, opts: { pre?: boolean } = {}): string[] {
  return [...new Set(versions)].filter((v) => isVersion(v) && (opts.pre || parseVersion(v)!.pre === null)).sort((a, b) => compareVersions(b, a));
}

/** The newest published release (no release candidate), or null when there is none. */
export function newestRelease(versions: Iterable<string>): string | null {
  return sortReleases(versions)[0] ?? null;
}
