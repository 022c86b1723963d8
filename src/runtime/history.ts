import { constants } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ensureDir, fsyncDir, isNotFound, statOrNull } from './fsx.js';
import { lastHistory } from './history-read.js';
import { rotatedIndexes, rotatedPath } from './history-files.js';
import { HISTORY_OUTCOMES, type HistoryRecord, type NewHistoryRecord } from './history-record.js';

export * from './history-record.js';

export { countOutcomes, historyFacts, lastHistory, readHistory, type HistoryFacts, type ReadHistoryOptions } from './history-read.js';
export { historyFiles, rotatedPath } from './history-files.js';

/**
 * The history of applies: `{root}/.glr/history.jsonl`, one JSON object per line, one line per
 * apply (a pass that had something to do), oldest first. Rotated by size into
 * `history.1.jsonl` (the newest old file) … `history.N.jsonl` (the oldest kept).
 *
 * Writers: only the holder of the root's lock appends (one glr per root), so a read-then-append
 * (for the carried `rollbacksTotal`) never races another writer. Readers (`status`, metrics) take
 * no lock: every state a reader can meet, including one left by a crash mid-rotation, reads as a
 * chronological sequence of whole records.
 *
 * Durability: each line is appended with O_APPEND in one write and fsync'd. A power loss
 * mid-append can leave a torn last line; readers skip any line that is not a whole record, and the
 * next append starts on a fresh line, so the torn fragment never swallows a later record.
 */

/** Rotate `history.jsonl` once an append would take it past this size (bytes). */
const DEFAULT_HISTORY_MAX_BYTES = 1024 * 1024;
/** Rotated files kept besides the current one (`history.1.jsonl` … `history.3.jsonl`). */
const DEFAULT_HISTORY_KEEP = 3;

export interface AppendHistoryOptions {
  /** rotate before an append that would take the current file past this; default 1 MiB */
  maxBytes?: number;
  /** rotated files kept (≥ 1); default 3; the oldest beyond it is dropped at a rotation */
  keep?: number;
  /**
   * Test hook: awaited before each rename of a rotation (`from` → `to`, absolute paths), so that
   * a test can stop the process dead at an exact point of the rotation. Never set in production
   * (the lead may map it to a `GLR_FAILPOINT`).
   */
  beforeRename?: (from: string, to: string) => void | Promise<void>;
  /**
   * the rollbacks total before this record, as the pass read it (observe's `HistoryFacts`), so
   * that the append reads nothing again; read from the newest record when not given
   */
  previousTotal?: number;
}

/**
 * Append one record as one JSON line, with O_APPEND, and fsync it. Creates the file's folder
 * (that folder only, mode 700: `{root}/.glr`) and the file (mode 600) when missing. Rotates first
 * when the current file is not empty and the line would take it past `maxBytes`. Fills in
 * `rollbacksTotal` from the newest readable record (or, for a history written before that field
 * existed, by counting) and returns the record as written. Call it only while holding the root's
 * lock.
 *
 * Rotation renames, oldest first, `history.{k-1}` → `history.{k}` … `history.1` → `history.2`, then
 * `history.jsonl` → `history.1.jsonl`, where k is the first free slot (or `keep`, whose file the
 * rename overwrites: the one dropped). Each rename is atomic and moves a file into a free slot or
 * over the one being dropped, so a kill at any instant leaves every line of the current file in
 * either `history.jsonl` or `history.1.jsonl`, and every kept old file somewhere, in order. The
 * next rotation starts at the first free slot, which finishes an interrupted one without dropping
 * an extra file.
 */
export async function appendHistory(file: string, record: NewHistoryRecord, opts: AppendHistoryOptions = {}): Promise<HistoryRecord> {
  const maxBytes = opts.maxBytes ?? DEFAULT_HISTORY_MAX_BYTES;
  const keep = opts.keep ?? DEFAULT_HISTORY_KEEP;
  if (!(maxBytes > 0)) throw new RangeError(`history maxBytes must be > 0, got ${maxBytes}`);
  if (!Number.isInteger(keep) || keep < 1) throw new RangeError(`history keep must be an integer ≥ 1, got ${keep}`);
  if (!HISTORY_OUTCOMES.includes(record.outcome)) throw new RangeError(`unknown history outcome: ${String(record.outcome)}`);

  await ensureDir(path.dirname(file), 0o700);
  const previousTotal = opts.previousTotal ?? (await lastHistory(file))?.rollbacksTotal ?? 0;
  const written: HistoryRecord = { ...record, rollbacksTotal: previousTotal + (record.outcome === 'rolled-back' ? 1 : 0) };
  let line = `${JSON.stringify(written)}\n`;

  const size = (await statOrNull(file))?.size ?? 0;
  let created = size === 0;
  if (size > 0 && size + Buffer.byteLength(line) > maxBytes) {
    await rotate(file, keep, opts.beforeRename);
    created = true;
  } else if (size > 0 && !(await endsWithNewline(file, size))) {
    // a torn last line (power loss mid-append): start ours on a line of its own
    line = `\n${line}`;
  }

  const fh = await open(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
  try {
    await fh.write(line);
    await fh.sync();
  } finally {
    await fh.close();
  }
  if (created) await fsyncDir(path.dirname(file));
  return written;
}

async function rotate(file: string, keep: number, beforeRename: AppendHistoryOptions['beforeRename']): Promise<void> {
  const present = await rotatedIndexes(file);
  // files beyond `keep` (keep was lowered): the oldest, dropped first
  for (const i of [...present].sort((a, b) => b - a)) {
    if (i > keep) {
      await unlink(rotatedPath(file, i)).catch((e: unknown) => {
        if (!isNotFound(e)) throw e;
      });
      present.delete(i);
    }
  }
  let free = 1;
  while (free <= keep && present.has(free)) free++;
  if (free > keep) free = keep; // all slots taken: the rename into `keep` drops the oldest
  for (let i = free; i >= 2; i--) {
    await beforeRename?.(rotatedPath(file, i - 1), rotatedPath(file, i));
    await rename(rotatedPath(file, i - 1), rotatedPath(file, i));
  }
  await beforeRename?.(file, rotatedPath(file, 1));
  await rename(file, rotatedPath(file, 1));
  await fsyncDir(path.dirname(file));
}

async function endsWithNewline(file: string, size: number): Promise<boolean> {
  const fh = await open(file, constants.O_RDONLY);
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, size - 1);
    return b[0] === 0x0a;
  } finally {
    await fh.close();
  }
}
