/**
 * A systemd time span as `systemctl show` prints it (`1min 30s`, `90s`, `500ms`, `2h 5min`,
 * `infinity`), in milliseconds; null when it is not one. systemd's units: us, ms, s, min, h, d,
 * w, M (a month, 30.44 days), y (365.25 days).
 */
const UNIT_MS: Record<string, number> = {
  us: 0.001,
  ms: 1,
  s: 1000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  M: 2_629_800_000,
  y: 31_557_600_000,
};

export function parseTimespanMs(text: string): number | null {
  const t = text.trim();
  if (t === 'infinity') return Infinity;
  if (t === '') return null;
  let total = 0;
  for (const part of t.split(/\s+/)) {
    const m = /^(\d+(?:\.\d+)?)(us|ms|s|min|h|d|w|M|y)?$/.exec(part);
    if (!m) return null;
    total += Number(m[1]) * UNIT_MS[m[2] ?? 's']!;
  }
  return total;
}
