import { lstatSync, readdirSync, type Stats } from 'node:fs';
import path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { isNotFound } from './fsx.js';

/**
 * The disk space a folder takes, as `du -s` counts it: the blocks allocated to every file,
 * folder and link under it (st_blocks × 512), each hard-linked file once, links never followed
 * (a version's `data/node/genlayer.db` is a link to the shared DB: it counts as a link, not as
 * the DB). Entries that vanish during the walk are skipped. Null when `dir` does not exist.
 *
 * Synchronous calls, one folder at a time, giving the event loop a turn between folders: four
 * to five times faster than a walk of promises (one lstat each) and as fast as `du -s` itself.
 * A 315 MiB folder of 6,650 entries (50 files of 5 MiB, 5,000 of 10 KiB, 1,600 folders) takes
 * 45–100 ms on a loaded 2-core machine (`du -s`: 70 ms); see docs/operator-guide.md, "Retention".
 */
export async function diskUsage(dir: string): Promise<number | null> {
  const top = lstatOrNull(dir);
  if (!top) return null;
  const seen = new Set<string>();
  let bytes = top.blocks * 512;
  const folders = top.isDirectory() ? [dir] : [];
  while (folders.length) {
    const folder = folders.pop()!;
    let names: string[];
    try {
      names = readdirSync(folder);
    } catch (e) {
      if (isNotFound(e)) continue;
      throw e;
    }
    for (const n of names) {
      const p = path.join(folder, n);
      const st = lstatOrNull(p);
      if (!st) continue;
      if (st.isDirectory()) folders.push(p);
      else if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      bytes += st.blocks * 512;
    }
    await yieldToLoop();
  }
  return bytes;
}

function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
}
