import { readFile } from 'node:fs/promises';
import { isNotFound, withPath } from './fsx.js';
import { historyFiles } from './history-files.js';
import { HISTORY_OUTCOMES, type HistoryOutcome, type HistoryPhase, type HistoryRecord } from './history-record.js';

/** Reading the history (see history.ts): whole records, oldest first, across the rotated files. */

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
  const records = await loadNewestFirst(file, (recs) => newestResolvable(recs, last));
  const all = fillTotals(records);
  return Number.isFinite(last) ? all.slice(-last) : all;
}

/** The newest record, or null when the history is empty or missing. */
export async function lastHistory(file: string): Promise<HistoryRecord | null> {
  return (await readHistory(file, { last: 1 }))[0] ?? null;
}

/** What a pass knows of the history, from one read of it (observe), handed on to the record of the pass. */
export interface HistoryFacts {
  /** the newest record (null: no history) */
  last: HistoryRecord | null;
  /**
   * the switch that brought `active` in: the newest `applied` record that entered it from another
   * version (`from` is then the version it replaced, and a known-good one: glr switches away only
   * from a version that runs healthy, or from a stopped node); null when the history has none (a
   * host adopted as it was, or a history rotated past it)
   */
  lastSwitch: { from: string; at: string; sync?: NonNullable<HistoryRecord['sync']> } | null;
  /** the newest downtime recorded (`glr_last_downtime_seconds`); null when none is */
  lastDowntimeMs: number | null;
  /** rolled-back outcomes ever recorded on this host (`glr_rollbacks_total`; 0 without a history) */
  rollbacksTotal: number;
}

/**
 * In one read of the history, what a pass observes (see HistoryFacts). Reads only as many
 * rotated files as needed to find them (all of them when no apply ever had a downtime).
 */
export async function historyFacts(file: string, active: string | null): Promise<HistoryFacts> {
  const into = (r: ReadRecord) => r.outcome === 'applied' && r.version === active && r.from !== null && r.from !== active;
  const records = fillTotals(
    await loadNewestFirst(file, (recs) => newestResolvable(recs, 1) && (active === null || recs.some(into)) && recs.some((r) => r.downtimeMs !== null)),
  );
  const newestFirst = [...records].reverse();
  const sw = active === null ? undefined : newestFirst.find(into);
  const last = records.at(-1) ?? null;
  return {
    last,
    lastSwitch: sw ? { from: sw.from!, at: sw.at, ...(sw.sync ? { sync: sw.sync } : {}) } : null,
    lastDowntimeMs: newestFirst.find((r) => r.downtimeMs !== null)?.downtimeMs ?? null,
    rollbacksTotal: last?.rollbacksTotal ?? 0,
  };
}

/** The newest `n` records are read and their rollback totals can be resolved from what was read. */
function newestResolvable(recs: readonly ReadRecord[], n: number): boolean {
  if (recs.length < n) return false;
  const first = recs.findIndex((r) => r.rollbacksTotal !== undefined);
  return first >= 0 && first <= recs.length - n;
}

/** How many records of each outcome (e.g. for `status` over `readHistory`'s result). */
export function countOutcomes(records: readonly Pick<HistoryRecord, 'outcome'>[]): Record<HistoryOutcome, number> {
  const counts: Record<HistoryOutcome, number> = { applied: 0, 'rolled-back': 0, refused: 0, 'must-act': 0 };
  for (const r of records) if (r.outcome in counts) counts[r.outcome]++;
  return counts;
}

/** A record as read: the total may be missing (written before it was carried). */
type ReadRecord = Omit<HistoryRecord, 'rollbacksTotal'> & { rollbacksTotal?: number };

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
      throw withPath(e, f);
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
  const hookFailures = Array.isArray(o.hookFailures) ? o.hookFailures.filter((h): h is string => typeof h === 'string') : [];
  const sync = syncOf(o.sync);
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
    ...(hookFailures.length ? { hookFailures } : {}),
    ...(sync ? { sync } : {}),
    ...(total !== null && total >= 0 ? { rollbacksTotal: total } : {}),
  };
}

function syncOf(v: unknown): HistoryRecord['sync'] {
  if (typeof v !== 'object' || v === null || typeof (v as { at?: unknown }).at !== 'string') return undefined;
  const o = v as Record<string, unknown>;
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : null);
  return { at: o.at as string, syncedBlock: num(o.syncedBlock), latestBlock: num(o.latestBlock), blocksBehind: num(o.blocksBehind) };
}

/** Gives every record its total: its own, else the one before it plus its own rollback. */
function fillTotals(records: ReadRecord[]): HistoryRecord[] {
  let total = 0;
  return records.map((r) => {
    total = r.rollbacksTotal ?? total + (r.outcome === 'rolled-back' ? 1 : 0);
    return { ...r, rollbacksTotal: total };
  });
}
