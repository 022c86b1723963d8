import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendHistory, readHistory, rotatedPath, type NewHistoryRecord } from '../../src/runtime/history.js';

/**
 * A glr killed by SIGKILL in the middle of a history rotation. The child process is the compiled
 * module (dist/, as glr runs it) appending one record; its `beforeRename` test hook stops it dead
 * before the Nth rename and says so, and the test SIGKILLs it there: the kill lands between two
 * renames every time, not by luck.
 */
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const HISTORY_JS = pathToFileURL(path.join(REPO, 'dist/src/runtime/history.js')).href;

const CHILD = `
import { appendHistory } from ${JSON.stringify(HISTORY_JS)};
const [file, stopAt, record, maxBytes] = process.argv.slice(2);
let n = 0;
await appendHistory(file, JSON.parse(record), {
  maxBytes: Number(maxBytes),
  beforeRename: async (from, to) => {
    if (n++ !== Number(stopAt)) return;
    process.stdout.write('paused before ' + from + ' -> ' + to + '\\n');
    await new Promise(() => setInterval(() => {}, 1 << 30));
  },
});
process.stdout.write('appended\\n');
`;

const rec = (i: number): NewHistoryRecord => ({
  at: new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString(),
  from: `v0.4.${i - 1}`,
  version: `v0.4.${i}`,
  outcome: i % 3 === 0 ? 'rolled-back' : 'applied',
  exitCode: i % 3 === 0 ? 3 : 0,
  downtimeMs: 1000 + i,
  windowMs: 300 + i,
  phases: [{ name: 'stop', ms: 40 }],
  ...(i % 3 === 0 ? { reason: 'never became healthy' } : {}),
});
const versions = (rs: { version: string }[]) => rs.map((r) => r.version);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => `v0.4.${from + k}`);
/** room for 3 records a file */
const MAX = 3 * Buffer.byteLength(`${JSON.stringify({ ...rec(99), rollbacksTotal: 99 })}\n`) + 10;

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'glr-history-kill-'));
  file = path.join(dir, 'history.jsonl');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the child appending `record`; resolves once it is dead (killed at `stopAt`, or done). */
function childAppend(record: NewHistoryRecord, stopAt: number): Promise<{ out: string; signal: NodeJS.Signals | null; code: number | null }> {
  const script = path.join(dir, 'child.mjs');
  writeFileSync(script, CHILD);
  const child = spawn(process.execPath, [script, file, String(stopAt), JSON.stringify(record), String(MAX)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('paused before')) child.kill('SIGKILL');
  });
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ out, signal, code })));
}

describe('history rotation killed by SIGKILL', () => {
  // 12 records, 3 a file: history.3 = 10-12, .2 = 13-15, .1 = 16-18, history.jsonl = 19-21
  beforeEach(async () => {
    for (let i = 10; i <= 21; i++) await appendHistory(file, rec(i), { maxBytes: MAX });
    expect(readdirSync(dir).sort()).toEqual(['history.1.jsonl', 'history.2.jsonl', 'history.3.jsonl', 'history.jsonl']);
  });

  it.each([
    [0, 'history.2.jsonl -> history.3.jsonl', range(10, 21)],
    [1, 'history.1.jsonl -> history.2.jsonl', range(13, 21)],
    [2, 'history.jsonl -> history.1.jsonl', range(13, 21)],
  ])('killed before rename %i (%s): no line of the current file is lost; the next append finishes the rotation', async (stopAt, rename, during) => {
    const before = readFileSync(file, 'utf8');
    const totalBefore = (await readHistory(file)).at(-1)!.rollbacksTotal;
    const r = await childAppend(rec(22), stopAt);
    expect(r.signal, r.out).toBe('SIGKILL');
    expect(r.out).toContain(`paused before ${path.join(dir, rename.split(' -> ')[0]!)} -> ${path.join(dir, rename.split(' -> ')[1]!)}`);

    // what a reader (glr status) meets right after the kill: whole records, in order, the
    // current file's lines all there (in history.jsonl or history.1.jsonl), the new one not
    const seen = await readHistory(file);
    expect(versions(seen)).toEqual(during);
    const currentLines = [file, rotatedPath(file, 1)].map((f) => {
      try {
        return readFileSync(f, 'utf8');
      } catch {
        return '';
      }
    });
    expect(currentLines).toContain(before);
    expect(seen.at(-1)!.rollbacksTotal).toBe(totalBefore);

    // the next glr appends: the rotation completes, only the oldest file (10-12) is dropped
    const next = await appendHistory(file, rec(23), { maxBytes: MAX });
    expect(versions(await readHistory(file))).toEqual([...range(13, 21), 'v0.4.23']);
    expect(readFileSync(rotatedPath(file, 1), 'utf8')).toBe(before);
    expect(
      readdirSync(dir)
        .filter((n) => n.startsWith('history'))
        .sort(),
    ).toEqual(['history.1.jsonl', 'history.2.jsonl', 'history.3.jsonl', 'history.jsonl']);
    expect(next.rollbacksTotal).toBe(totalBefore);
  });

  it('control: the same child not killed appends and rotates', async () => {
    const r = await childAppend(rec(22), 99);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('appended');
    expect(versions(await readHistory(file))).toEqual(range(13, 22));
  });
});
