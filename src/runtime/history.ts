import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, fsyncDir, isNotFound, statOrNull } from './fsx.js';

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

/** How an apply ended. */
export type HistoryOutcome =
  /** the plan was applied and the node is healthy on `version` (exit 0) */
  | 'applied'
  /** the new version failed; `from` was restored and is healthy again (exit 3) */
  | 'rolled-back'
  /** refused or failed before the switch; node, links and files as they were (exit 1) */
  | 'refused'
  /** the switch failed and `from` could not be restored: the operator must act (exit 4) */
  | 'must-act';

export const HISTORY_OUTCOMES: readonly HistoryOutcome[] = ['applied', 'rolled-back', 'refused', 'must-act'];

/** One timed step of an apply (e.g. `download`, `setup`, `stop`, `swap`, `start`, `verify`). */
export interface HistoryPhase {
  name: string;
  ms: number;
}

/** One line of the history: one apply. */
export interface HistoryRecord {
  /** when the apply ended: ISO 8601, UTC (`new Date().toISOString()`) */
  at: string;
  /** the version that ran before the apply; null when none ran */
  from: string | null;
  /** the version the apply went to (the desired one) */
  version: string;
  outcome: HistoryOutcome;
  /** the exit code `reconcile` gave for this apply (0, 1, 3, 4) */
  exitCode: number;
  /**
   * The node's downtime: from the stop to the first healthy answer (of `version`, or of `from`
   * after a rollback), as an outside observer polling /health would measure it. null when the
   * node was not stopped (refused before the switch, nothing to restart), or never came back.
   */
  downtimeMs: number | null;
  /** the switch window (stop → swap → start), in ms; null when there was no switch */
  windowMs: number | null;
  /** every timed phase of the apply, in the order they ran (empty when none ran) */
  phases: HistoryPhase[];
  /** on failure (every outcome but `applied`): what went wrong, one line */
  reason?: string;
  /** optional: a one-line human summary */
  message?: string;
  /**
   * Rolled-back outcomes recorded on this host so far, this record included. Carried from line to
   * line by `appendHistory` (callers never set it), so the count survives rotation: the oldest
   * file may be dropped, the newest record still knows the total. This is `glr_rollbacks_total`.
   */
  rollbacksTotal: number;
}

/** What a caller hands to `appendHistory`: a record without the carried total. */
export type NewHistoryRecord = Omit<HistoryRecord, 'rollbacksTotal'>;

/** Rotate `history.jsonl` once an append would take it past this size (bytes). */
export const DEFAULT_HISTORY_MAX_BYTES = 1024 * 1024;
/** Rotated files kept besides the current one (`history.1.jsonl` … `history.3.jsonl`). */
export const DEFAULT_HISTORY_KEEP = 3;

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

  await mkdir(path.dirname(file), { mode: 0o700 }).catch((e: unknown) => {
    if (errnoCode(e) !== 'EEXIST') throw e;
  });
  const previous = await lastHistory(file);
  const written: HistoryRecord = {
    ...record,
    rollbacksTotal: (previous?.rollbacksTotal ?? 0) + (record.outcome === 'rolled-back' ? 1 : 0),
  };
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

export interface ReadHistoryOptions {
  /** only the newest `last` records (default: all that the files hold) */
  last?: number;
}

/**
 * The records of the history, oldest first, across the rotated files (`history.N.jsonl` …
 * `history.1.jsonl`, then `history.jsonl`); with `last`, only the newest `last` of them. Lines
 * that are not whole records (a torn line after a power loss, an empty line) are skipped. Records
 * written by glr before this module (no `phases`, `windowMs`, `rollbacksTotal`; outcome `failed`)
 * are read in today's shape: missing durations are null, phases empty, `failed` is `must-act`, the
 * total is counted. No file: no records (never an error).
 */
export async function readHistory(file: string, opts: ReadHistoryOptions = {}): Promise<HistoryRecord[]> {
  const last = opts.last ?? Infinity;
  if (last <= 0) return [];
  const records = await loadNewestFirst(file, (recs) => {
    // enough once the window is full and its totals can be resolved from what was read
    if (recs.length < last) return false;
    const start = recs.length - last;
    return recs.findIndex((r) => r.rollbacksTotal !== undefined) <= start && recs.some((r) => r.rollbacksTotal !== undefined);
  });
  const all = fillTotals(records);
  return Number.isFinite(last) ? all.slice(-last) : all;
}

/** The newest record, or null when the history is empty or missing. */
export async function lastHistory(file: string): Promise<HistoryRecord | null> {
  return (await readHistory(file, { last: 1 }))[0] ?? null;
}

/** What the metrics (and `status`) need from the history in one read. */
export interface HistorySummary {
  /** the newest record (null: no history) */
  last: HistoryRecord | null;
  /** the newest record that has a downtime (`downtimeMs` not null): `glr_last_downtime_seconds` */
  lastDowntime: HistoryRecord | null;
  /** rolled-back outcomes ever recorded on this host: `glr_rollbacks_total` (0 without a history) */
  rollbacksTotal: number;
}

/**
 * The newest record, the newest record with a downtime, and the rollback total. Reads only as
 * many rotated files as needed to find them (all of them when no apply ever had a downtime).
 */
export async function summarizeHistory(file: string): Promise<HistorySummary> {
  const records = fillTotals(
    await loadNewestFirst(file, (recs) => {
      // enough once a downtime is found and the totals from it on can be resolved
      let d = recs.length - 1;
      while (d >= 0 && recs[d]!.downtimeMs === null) d--;
      const e = recs.findIndex((r) => r.rollbacksTotal !== undefined);
      return d >= 0 && e >= 0 && e <= d;
    }),
  );
  const last = records[records.length - 1] ?? null;
  const lastDowntime = [...records].reverse().find((r) => r.downtimeMs !== null) ?? null;
  return { last, lastDowntime, rollbacksTotal: last?.rollbacksTotal ?? 0 };
}

/** How many records of each outcome (e.g. for `status` over `readHistory`'s result). */
export function countOutcomes(records: readonly Pick<HistoryRecord, 'outcome'>[]): Record<HistoryOutcome, number> {
  const counts: Record<HistoryOutcome, number> = { applied: 0, 'rolled-back': 0, refused: 0, 'must-act': 0 };
  for (const r of records) if (r.outcome in counts) counts[r.outcome]++;
  return counts;
}

/**
 * The history's files that exist, oldest first: the rotated ones by decreasing index, then the
 * current one (if it exists). `status` may show their sizes; nothing else needs it.
 */
export async function historyFiles(file: string): Promise<string[]> {
  const rotated = [...(await rotatedIndexes(file))].sort((a, b) => b - a).map((i) => rotatedPath(file, i));
  return (await statOrNull(file)) ? [...rotated, file] : rotated;
}

/** `history.jsonl` → `history.3.jsonl`; a name without an extension gets `.3` appended. */
export function rotatedPath(file: string, index: number): string {
  const ext = path.extname(file);
  const stem = path.basename(file, ext);
  return path.join(path.dirname(file), ext ? `${stem}.${index}${ext}` : `${stem}.${index}`);
}

// ---------------------------------------------------------------------------------------------

/** A record as read: the total may be missing (written before it was carried). */
type ReadRecord = Omit<HistoryRecord, 'rollbacksTotal'> & { rollbacksTotal?: number };

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

async function rotatedIndexes(file: string): Promise<Set<number>> {
  const ext = path.extname(file);
  const stem = path.basename(file, ext);
  const pattern = new RegExp(`^${escapeRegExp(stem)}\\.([1-9][0-9]{0,5})${escapeRegExp(ext)}$`);
  let names: string[];
  try {
    names = await readdir(path.dirname(file));
  } catch (e) {
    if (isNotFound(e)) return new Set();
    throw e;
  }
  const found = new Set<number>();
  for (const n of names) {
    const m = pattern.exec(n);
    if (m) found.add(Number(m[1]));
  }
  return found;
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

/**
 * Reads the files newest first, each whole, until `enough` (given every record read so far,
 * oldest first) says so or none is left; returns the records read, oldest first.
 *
 * A reader takes no lock, so a rotation may rename the files while it reads them: it can then
 * meet the same lines twice (history.jsonl, then the same file as history.1.jsonl). A line read
 * before is skipped (two different records are never the same line: `at` has milliseconds).
 */
async function loadNewestFirst(file: string, enough: (recordsOldestFirst: ReadRecord[]) => boolean): Promise<ReadRecord[]> {
  const files = (await historyFiles(file)).reverse();
  const seen = new Set<string>();
  let records: ReadRecord[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch (e) {
      if (isNotFound(e)) continue; // rotated away between the listing and the read
      throw e;
    }
    records = [...parseLines(text, seen), ...records];
    if (enough(records)) break;
  }
  return records;
}

function parseLines(text: string, seen: Set<string>): ReadRecord[] {
  const out: ReadRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim() || seen.has(line)) continue;
    seen.add(line);
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      continue; // a torn line
    }
    const r = normalize(raw);
    if (r) out.push(r);
  }
  return out;
}

function normalize(raw: unknown): ReadRecord | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const o = raw as Record<string, unknown>;
  if (typeof o.at !== 'string' || typeof o.version !== 'string' || typeof o.exitCode !== 'number') return null;
  // glr before this module wrote `failed` for "the operator must act"
  const outcome = o.outcome === 'failed' ? 'must-act' : o.outcome;
  if (!HISTORY_OUTCOMES.includes(outcome as HistoryOutcome)) return null;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const phases = Array.isArray(o.phases)
    ? o.phases.filter((p): p is HistoryPhase => typeof p === 'object' && p !== null && typeof p.name === 'string' && typeof p.ms === 'number')
    : [];
  const message = str(o.message);
  const reason = str(o.reason) ?? (outcome !== 'applied' && !Array.isArray(o.phases) ? message : undefined);
  const total = num(o.rollbacksTotal);
  return {
    at: o.at,
    from: typeof o.from === 'string' ? o.from : null,
    version: o.version,
    outcome: outcome as HistoryOutcome,
    exitCode: o.exitCode,
    downtimeMs: num(o.downtimeMs),
    windowMs: num(o.windowMs),
    phases: phases.map((p) => ({ name: p.name, ms: p.ms })),
    ...(reason !== undefined ? { reason } : {}),
    ...(message !== undefined ? { message } : {}),
    ...(total !== null && total >= 0 ? { rollbacksTotal: total } : {}),
  };
}

/** Gives every record its total: its own, else the one before it plus its own rollback. */
function fillTotals(records: ReadRecord[]): HistoryRecord[] {
  let total = 0;
  return records.map((r) => {
    total = r.rollbacksTotal ?? total + (r.outcome === 'rolled-back' ? 1 : 0);
    return { ...r, rollbacksTotal: total };
  });
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
