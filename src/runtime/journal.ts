import { appendFile, mkdir, readFile } from 'node:fs/promises';
import type { Layout } from '../layout.js';
import { atomicWriteFile, isNotFound } from './fsx.js';

/**
 * The switch journal: where the last switch got to. Written durably (temporary file, fsync,
 * rename, fsync of the folder) at each step of the window, so that after a crash the next run
 * knows what was under way. It is a witness, not the truth: the next run decides from what it
 * observes on the host.
 */
export type JournalPhase =
  /** about to stop the old node */
  | 'switching'
  /** the old node is confirmed stopped */
  | 'stopped'
  /** `current` names the new version */
  | 'swapped'
  /** the new node was started; verifying */
  | 'started'
  /** the new version failed; going back to `from` */
  | 'rolling-back'
  /** closed: the new version is healthy (or stopped on purpose) */
  | 'done'
  /** closed: back on `from`, healthy */
  | 'rolled-back'
  /** closed: rollback failed, the operator must act */
  | 'failed';

export interface JournalEntry {
  from: string | null;
  to: string;
  phase: JournalPhase;
  /** ISO time of this phase */
  at: string;
  /** ISO time the switch began */
  startedAt: string;
  pid: number;
  /** for closed failures: what went wrong, one line */
  reason?: string;
}

export const OPEN_PHASES: readonly JournalPhase[] = ['switching', 'stopped', 'swapped', 'started', 'rolling-back'];

export function isOpen(j: JournalEntry | null): j is JournalEntry {
  return j !== null && OPEN_PHASES.includes(j.phase);
}

export async function readJournal(layout: Layout): Promise<JournalEntry | null> {
  try {
    const parsed = JSON.parse(await readFile(layout.journal, 'utf8')) as JournalEntry;
    return typeof parsed?.to === 'string' && typeof parsed?.phase === 'string' ? parsed : null;
  } catch (e) {
    if (isNotFound(e) || e instanceof SyntaxError) return null;
    throw e;
  }
}

export async function writeJournal(layout: Layout, entry: JournalEntry): Promise<void> {
  await mkdir(layout.glrDir, { recursive: true, mode: 0o700 });
  await atomicWriteFile(layout.journal, `${JSON.stringify(entry)}\n`, 0o600);
}

/** One line per finished reconcile that changed something; `status` shows the last. */
export interface HistoryRecord {
  at: string;
  version: string;
  from: string | null;
  outcome: 'applied' | 'rolled-back' | 'failed' | 'refused';
  exitCode: number;
  message: string;
  downtimeMs?: number;
}

export async function appendHistory(layout: Layout, record: HistoryRecord): Promise<void> {
  await mkdir(layout.glrDir, { recursive: true, mode: 0o700 });
  await appendFile(layout.history, `${JSON.stringify(record)}\n`, { mode: 0o600 });
}

export async function lastHistory(layout: Layout): Promise<HistoryRecord | null> {
  try {
    const lines = (await readFile(layout.history, 'utf8')).split('\n').filter(Boolean);
    for (let i = lines.length - 1; i >= 0; i--) {
      try {
        return JSON.parse(lines[i]!) as HistoryRecord;
      } catch {
        // a torn last line after a power loss: take the one before
      }
    }
    return null;
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
}
