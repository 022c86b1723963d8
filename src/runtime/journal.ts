import { mkdir } from 'node:fs/promises';
import type { Layout } from '../layout.js';
import { atomicWriteFile, readJsonOrNull } from './fsx.js';
import type { JournalEntry } from './journal-entry.js';

/**
 * The switch journal: where the last switch got to. Written durably (temporary file, fsync,
 * rename, fsync of the folder) at each step of the window, so that after a crash the next run
 * knows what was under way. It is a witness, not the truth: the next run decides from what it
 * observes on the host.
 */

export type { JournalEntry, JournalPhase } from './journal-entry.js';

export async function readJournal(layout: Layout): Promise<JournalEntry | null> {
  const raw = (await readJsonOrNull(layout.journal)) as (Partial<JournalEntry> & { from?: string | null; to?: string }) | null;
  if (raw === null) return null;
  // journals written before the leaving/entering words said from/to
  const entering = raw.entering ?? raw.to;
  if (typeof entering !== 'string' || typeof raw.phase !== 'string') return null;
  const { from, to: _to, ...rest } = raw;
  return { ...rest, leaving: raw.leaving ?? from ?? null, entering } as JournalEntry;
}

export async function writeJournal(layout: Layout, entry: JournalEntry): Promise<void> {
  await mkdir(layout.glrDir, { recursive: true, mode: 0o700 });
  await atomicWriteFile(layout.journal, `${JSON.stringify(entry)}\n`, 0o600);
}
