import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  appendHistory,
  countOutcomes,
  historyFiles,
  lastHistory,
  readHistory,
  rotatedPath,
  historyFacts,
  type HistoryOutcome,
  type NewHistoryRecord,
} from '../../src/runtime/history.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'glr-history-'));
  file = path.join(dir, '.glr', 'history.jsonl');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Record number i: version v0.4.{i}, outcome as given. */
function rec(i: number, outcome: HistoryOutcome = 'applied', extra: Partial<NewHistoryRecord> = {}): NewHistoryRecord {
  return {
    at: new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString(),
    from: i === 0 ? null : `v0.4.${i - 1}`,
    version: `v0.4.${i}`,
    outcome,
    exitCode: { applied: 0, 'rolled-back': 3, refused: 1, 'must-act': 4 }[outcome],
    downtimeMs: outcome === 'refused' ? null : 1000 + i,
    windowMs: outcome === 'refused' ? null : 300 + i,
    phases: [
      { name: 'download', ms: 12 },
      { name: 'stop', ms: 40 },
    ],
    ...(outcome === 'applied' ? {} : { reason: `record ${i} failed` }),
    ...extra,
  };
}

const versions = (records: { version: string }[]) => records.map((r) => r.version);
const lines = (f: string) => readFileSync(f, 'utf8').split('\n').filter(Boolean);

describe('appendHistory / readHistory', () => {
  it('appends one JSON line per record with the contract fields, in a 700 folder, mode 600', async () => {
    const written = await appendHistory(file, rec(1));
    await appendHistory(file, rec(2, 'rolled-back', { message: 'v0.4.2 never became healthy' }));
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(lines(file)).toHaveLength(2);
    expect(JSON.parse(lines(file)[0]!)).toEqual({ ...rec(1), rollbacksTotal: 0 });
    expect(written).toEqual({ ...rec(1), rollbacksTotal: 0 });
    const all = await readHistory(file);
    expect(all).toEqual([
      { ...rec(1), rollbacksTotal: 0 },
      { ...rec(2, 'rolled-back', { message: 'v0.4.2 never became healthy' }), rollbacksTotal: 1 },
    ]);
    expect(Object.keys(all[1]!)).toEqual(
      expect.arrayContaining(['at', 'from', 'version', 'outcome', 'exitCode', 'downtimeMs', 'windowMs', 'phases', 'reason', 'message']),
    );
    expect(await lastHistory(file)).toEqual(all[1]);
    expect(await readHistory(file, { last: 1 })).toEqual([all[1]]);
    expect(await readHistory(file, { last: 0 })).toEqual([]);
  });

  it('no history: no records, a zero summary, never an error', async () => {
    expect(await readHistory(file)).toEqual([]);
    expect(await lastHistory(file)).toBeNull();
    expect(await historyFacts(file, null)).toEqual({ last: null, lastSwitch: null, lastDowntimeMs: null, rollbacksTotal: 0 });
    expect(await historyFiles(file)).toEqual([]);
    expect(existsSync(path.dirname(file))).toBe(false);
  });

  it('refuses an outcome outside the union, writing nothing', async () => {
    await expect(appendHistory(file, { ...rec(1), outcome: 'failed' as HistoryOutcome })).rejects.toThrow(/unknown history outcome/);
    expect(existsSync(file)).toBe(false);
  });

  it('a torn last line (power loss mid-append) is skipped, and the next append starts on a line of its own', async () => {
    await appendHistory(file, rec(1));
    await appendHistory(file, rec(2, 'rolled-back'));
    const torn = JSON.stringify({ ...rec(3), rollbacksTotal: 1 }).slice(0, 40);
    appendFileSync(file, torn);
    expect(versions(await readHistory(file))).toEqual(['v0.4.1', 'v0.4.2']);
    expect((await lastHistory(file))!.version).toBe('v0.4.2');

    const next = await appendHistory(file, rec(4, 'rolled-back'));
    expect(next.rollbacksTotal).toBe(2);
    expect(readFileSync(file, 'utf8').endsWith(`${torn}\n${JSON.stringify(next)}\n`)).toBe(true);
    expect(versions(await readHistory(file))).toEqual(['v0.4.1', 'v0.4.2', 'v0.4.4']);
    expect((await historyFacts(file, null)).rollbacksTotal).toBe(2);
  });

  it('skips lines that are not records, and reads records of the older format in the new shape', async () => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(
      file,
      [
        JSON.stringify({ at: '2025-01-01T00:00:00.000Z', version: 'v0.4.3', from: null, outcome: 'applied', exitCode: 0, message: 'applied', downtimeMs: 900 }),
        JSON.stringify({ at: '2025-01-02T00:00:00.000Z', version: 'v0.4.4', from: 'v0.4.3', outcome: 'rolled-back', exitCode: 3, message: 'v0.4.4 died' }),
        '[1,2]',
        '{"at":5}',
        JSON.stringify({ at: '2025-01-03T00:00:00.000Z', version: 'v0.4.5', from: 'v0.4.3', outcome: 'failed', exitCode: 4, message: 'restore failed' }),
        '',
      ].join('\n'),
    );
    expect(await readHistory(file)).toEqual([
      {
        at: '2025-01-01T00:00:00.000Z',
        version: 'v0.4.3',
        from: null,
        outcome: 'applied',
        exitCode: 0,
        downtimeMs: 900,
        windowMs: null,
        phases: [],
        message: 'applied',
        rollbacksTotal: 0,
      },
      {
        at: '2025-01-02T00:00:00.000Z',
        version: 'v0.4.4',
        from: 'v0.4.3',
        outcome: 'rolled-back',
        exitCode: 3,
        downtimeMs: null,
        windowMs: null,
        phases: [],
        reason: 'v0.4.4 died',
        message: 'v0.4.4 died',
        rollbacksTotal: 1,
      },
      {
        at: '2025-01-03T00:00:00.000Z',
        version: 'v0.4.5',
        from: 'v0.4.3',
        outcome: 'must-act',
        exitCode: 4,
        downtimeMs: null,
        windowMs: null,
        phases: [],
        reason: 'restore failed',
        message: 'restore failed',
        rollbacksTotal: 1,
      },
    ]);
    // the first record written after them carries the total counted from them
    expect((await appendHistory(file, rec(6, 'rolled-back'))).rollbacksTotal).toBe(2);
  });

  it('countOutcomes', async () => {
    for (const [i, o] of (['applied', 'rolled-back', 'applied', 'refused', 'must-act', 'rolled-back'] as const).entries()) await appendHistory(file, rec(i, o));
    expect(countOutcomes(await readHistory(file))).toEqual({ applied: 2, 'rolled-back': 2, refused: 1, 'must-act': 1 });
    expect(countOutcomes([])).toEqual({ applied: 0, 'rolled-back': 0, refused: 0, 'must-act': 0 });
  });
});

describe('rotation', () => {
  /** the longest line rec(10..99) makes */
  const LONGEST = Buffer.byteLength(`${JSON.stringify({ ...rec(99, 'rolled-back'), rollbacksTotal: 99 })}\n`);
  /** room for exactly 3 lines of rec(10..99) (4 of the shortest do not fit) */
  const MAX = 3 * LONGEST + 10;
  expect(4 * Buffer.byteLength(`${JSON.stringify({ ...rec(10), rollbacksTotal: 0 })}\n`)).toBeGreaterThan(MAX);

  it('rotates by size across the limit, keeps 3 old files, and the rollback total survives the files it drops', async () => {
    const outcomes: HistoryOutcome[] = [];
    for (let i = 10; i < 40; i++) {
      const o: HistoryOutcome = i % 4 === 1 ? 'rolled-back' : 'applied';
      outcomes.push(o);
      await appendHistory(file, rec(i, o), { maxBytes: MAX });
    }
    expect(readdirSync(path.dirname(file)).sort()).toEqual(['history.1.jsonl', 'history.2.jsonl', 'history.3.jsonl', 'history.jsonl']);
    expect(await historyFiles(file)).toEqual([rotatedPath(file, 3), rotatedPath(file, 2), rotatedPath(file, 1), file]);
    for (const f of await historyFiles(file)) {
      expect(statSync(f).size).toBeLessThanOrEqual(MAX);
      expect(statSync(f).mode & 0o777).toBe(0o600);
    }
    // 30 records, 3 a file: the 4 files hold the newest 12, in order
    expect(lines(file)).toHaveLength(3);
    const all = await readHistory(file);
    expect(versions(all)).toEqual(Array.from({ length: 12 }, (_, k) => `v0.4.${28 + k}`));
    const rollbacks = outcomes.filter((o) => o === 'rolled-back').length;
    expect(rollbacks).toBe(7);
    expect(all[all.length - 1]!.rollbacksTotal).toBe(rollbacks);
    expect(countOutcomes(all)['rolled-back']).toBeLessThan(rollbacks); // the files alone no longer know it
    expect((await historyFacts(file, null)).rollbacksTotal).toBe(rollbacks);
    // every record's total is the count up to it
    all.forEach((r, k) => expect(r.rollbacksTotal).toBe(outcomes.slice(0, 18 + k + 1).filter((o) => o === 'rolled-back').length));
    expect(versions(await readHistory(file, { last: 5 }))).toEqual(['v0.4.35', 'v0.4.36', 'v0.4.37', 'v0.4.38', 'v0.4.39']);
  });

  it('a record larger than the limit goes alone into a fresh file', async () => {
    await appendHistory(file, rec(10), { maxBytes: 100 });
    await appendHistory(file, rec(11), { maxBytes: 100 });
    expect(lines(file)).toHaveLength(1);
    expect(lines(rotatedPath(file, 1))).toHaveLength(1);
    expect(versions(await readHistory(file))).toEqual(['v0.4.10', 'v0.4.11']);
  });

  it('the last downtime is found in an older file', async () => {
    await appendHistory(file, rec(10, 'applied'), { maxBytes: MAX });
    for (let i = 11; i < 20; i++) await appendHistory(file, rec(i, 'refused'), { maxBytes: MAX });
    const s = await historyFacts(file, null);
    expect(s.last!.version).toBe('v0.4.19');
    expect(s.lastDowntimeMs).toBe(1010);
  });

  /** three records, 3·k+10 .. 3·k+12, as whole lines */
  const chunk = (k: number) => [0, 1, 2].map((j) => `${JSON.stringify({ ...rec(3 * k + 10 + j), rollbacksTotal: 0 })}\n`).join('');
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => `v0.4.${from + k}`);

  // Before the rotation: history.3 = chunk 0 (records 10-12), .2 = chunk 1, .1 = chunk 2, current = chunk 3 (19-21).
  // The rotation renames .2 → .3 (dropping chunk 0), .1 → .2, current → .1.
  it.each([
    ['history.2 → history.3', { 'history.3.jsonl': 1, 'history.1.jsonl': 2, 'history.jsonl': 3 }],
    ['history.1 → history.2', { 'history.3.jsonl': 1, 'history.2.jsonl': 2, 'history.jsonl': 3 }],
    ['history → history.1', { 'history.3.jsonl': 1, 'history.2.jsonl': 2, 'history.1.jsonl': 3 }],
  ])('a rotation killed after %s: readers see the records in order, the next append finishes it, dropping nothing more', async (_, left) => {
    mkdirSync(path.dirname(file), { recursive: true });
    for (const [name, k] of Object.entries(left)) writeFileSync(path.join(path.dirname(file), name), chunk(k), { mode: 0o600 });
    // the current file's records are all there, in order; only the dropped file is gone
    expect(versions(await readHistory(file))).toEqual(range(13, 21));

    await appendHistory(file, rec(22), { maxBytes: MAX });
    expect(versions(await readHistory(file))).toEqual(range(13, 22));
    expect(readFileSync(rotatedPath(file, 3), 'utf8')).toBe(chunk(1));
    expect(readFileSync(rotatedPath(file, 2), 'utf8')).toBe(chunk(2));
    expect(readFileSync(rotatedPath(file, 1), 'utf8')).toBe(chunk(3));
    expect(versions(lines(file).map((l) => JSON.parse(l) as { version: string }))).toEqual(['v0.4.22']);
  });

  it('a reader that meets the same lines twice (a rotation renamed the file while it read) shows them once', async () => {
    for (let i = 10; i < 13; i++) await appendHistory(file, rec(i), { maxBytes: MAX });
    writeFileSync(rotatedPath(file, 1), readFileSync(file));
    expect(versions(await readHistory(file))).toEqual(range(10, 12));
  });

  it('creates its own folder only, never the root above it', async () => {
    const deep = path.join(dir, 'no-root', '.glr', 'history.jsonl');
    await expect(appendHistory(deep, rec(1))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(existsSync(path.join(dir, 'no-root'))).toBe(false);
  });

  it('lowering keep drops the files beyond it at the next rotation', async () => {
    for (let i = 10; i < 25; i++) await appendHistory(file, rec(i), { maxBytes: MAX });
    expect(existsSync(rotatedPath(file, 3))).toBe(true);
    await appendHistory(file, rec(25), { maxBytes: MAX, keep: 1 });
    await appendHistory(file, rec(26), { maxBytes: MAX, keep: 1 });
    await appendHistory(file, rec(27), { maxBytes: MAX, keep: 1 });
    await appendHistory(file, rec(28), { maxBytes: MAX, keep: 1 });
    expect(readdirSync(path.dirname(file)).sort()).toEqual(['history.1.jsonl', 'history.jsonl']);
  });

  it('rejects a bad maxBytes or keep', async () => {
    await expect(appendHistory(file, rec(1), { maxBytes: 0 })).rejects.toThrow(RangeError);
    await expect(appendHistory(file, rec(1), { keep: 0 })).rejects.toThrow(RangeError);
  });
});
