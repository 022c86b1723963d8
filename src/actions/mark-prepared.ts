import { readFile, unlink } from 'node:fs/promises';
import { refuse } from '../errors.js';
import { writePrepared } from '../runtime/marker.js';
import type { ApplyContext } from './context.js';

/** Written last: from now on the folder may be switched to. The in-progress marker goes after. */
export async function markPrepared(ctx: ApplyContext, version: string, url: string, sharedDb: string): Promise<void> {
  const { layout } = ctx;
  let sha256: string | null = null;
  try {
    sha256 = (JSON.parse(await readFile(layout.preparingMarker(version), 'utf8')) as { sha256?: string }).sha256 ?? null;
  } catch {
    throw refuse(`${version} was not prepared by this run (no .glr-preparing); not marking it`);
  }
  await writePrepared(layout, { version, origin: 'prepared', at: new Date().toISOString(), inputs: { url, sha256, sharedDb } });
  await unlink(layout.preparingMarker(version));
}
