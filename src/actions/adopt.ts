import { readPrepared, writePrepared } from '../runtime/marker.js';
import type { ApplyContext } from './context.js';

/**
 * Marks the version that ran healthy before glr as known-good, so that a rollback may return to
 * it and a later switch back to it needs no preparation. Its files are not touched.
 */
export async function adopt(ctx: ApplyContext, version: string, sharedDb: string): Promise<void> {
  const existing = await readPrepared(ctx.layout, version);
  if (existing !== null) return;
  await writePrepared(ctx.layout, {
    version,
    origin: 'adopted',
    at: new Date().toISOString(),
    inputs: { url: null, sha256: null, sharedDb },
  });
}
