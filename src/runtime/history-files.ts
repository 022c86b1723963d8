import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { isNotFound, statOrNull } from './fsx.js';

/** The names of the history's files: the current one and its rotations (see history.ts). */

/**
 * The history's files that exist, oldest first: the rotated ones by decreasing index, then the
 * current one (if it exists). The readers (history-read.ts) read them in the reverse order.
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

export async function rotatedIndexes(file: string): Promise<Set<number>> {
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

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
