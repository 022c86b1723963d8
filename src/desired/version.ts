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

/** Semantic-version order; a pre-release sorts before its release. */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (!x || !y) return a < b ? -1 : a > b ? 1 : 0;
  for (const k of ['major', 'minor', 'patch'] as const) {
    if (x[k] !== y[k]) return x[k] - y[k];
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === null) return 1;
  if (y.pre === null) return -1;
  return comparePre(x.pre, y.pre);
}

function comparePre(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x) ? Number(x) : null;
    const ny = /^\d+$/.test(y) ? Number(y) : null;
    if (nx !== null && ny !== null && nx !== ny) return nx - ny;
    if (nx === null || ny === null) {
      const c = x.localeCompare(y, 'en', { numeric: true });
      if (c !== 0) return c;
    }
  }
  return 0;
}
