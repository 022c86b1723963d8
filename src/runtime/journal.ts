import { mkdir, readFile } from 'node:fs/promises';
import type { Layout } from '../layout.js';
import { atomicWriteFile, isNotFound } from './fsx.js';

/**
 * The switch journal: where the last switch got to. Written durably (temporary file, fsync,
 * rename, fsync of the folder) at each step of the window, so that after a crash the next run
 * knows what was under way. It is a witness, not the truth: the next run decides from what it
 * observes on the host.
 */
export type JournalPhase =
  /** about to stop the node */
  | 'switching'
  /** the node is confirmed stopped */
  | 'stopped'
  /** `current` names the version entered */
  | 'swapped'
  /** the node was started; verifying */
  | 'started'
  /** the version entered failed; going back to the version left */
  | 'rolling-back'
  /** closed: healthy on the version entered (or left stopped on purpose) */
  | 'done'
  /** closed: back on the version left, healthy */
  | 'rolled-back'
  /** closed: nothing was switched (a step failed while the old node still ran healthy) */
  | 'aborted'
  /** closed: the rollback failed too, the operator must act */
  | 'failed';

/**
 * One switch, as the journal records it: the version it leaves (where a rollback returns) and
 * the version it enters. A rollback keeps these words: it is the same switch, going back.
 */
export interface JournalEntry {
  leaving: string | null;
  entering: string;
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
    const raw = JSON.parse(await readFile(layout.journal, 'utf8')) as Partial<JournalEntry> & { from?: string | null; to?: string };
    // journals written before the leaving/entering words said from/to
    const entering = raw.entering ?? raw.to;
    if (typeof entering !== 'string' || typeof raw.phase !== 'string') return null;
    const { from, to: _to, ...rest } = raw;
    return { ...rest, leaving: raw.leaving ?? from ?? null, entering } as JournalEntry;
  } catch (e) {
    if (isNotFound(e) || e instanceof SyntaxError) return null;
    throw e;
  }
}

export async function writeJournal(layout: Layout, entry: JournalEntry): Promise<void> {
  await mkdir(layout.glrDir, { recursive: true, mode: 0o700 });
  await atomicWriteFile(layout.journal, `${JSON.stringify(entry)}\n`, 0o600);
}
