import { describe, expect, it } from 'vitest';
import { parseTimespanMs } from '../../src/runtime/timespan.js';

describe('systemd time spans, as systemctl show prints TimeoutStopUSec', () => {
  const cases: [string, number | null][] = [
    ['1min 30s', 90_000],
    ['90s', 90_000],
    ['5min', 300_000],
    ['1h 2min 3s', 3_723_000],
    ['500ms', 500],
    ['2s 500ms', 2500],
    ['250us', 0.25],
    ['45', 45_000],
    ['infinity', Infinity],
    ['', null],
    ['soon', null],
    ['1 min', null],
  ];
  for (const [text, ms] of cases) it(`${JSON.stringify(text)} → ${ms}`, () => expect(parseTimespanMs(text)).toBe(ms));
});
