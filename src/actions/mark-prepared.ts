import { readFile, unlink } from 'node:fs/promises';
import { refuse } from '../errors.js';
import { writePrepared } from '../runtime/marker.js';
import type { ApplyContext } from './context.js';

/**
 * Written last: from now on the folder may be switched to. The in-progress marker goes after.
 * `envFile`: the .env was installed from it; the marker records the hash of what was installed,
 * so that a later change of the file prepares the folder again.
 */
export async function markPrepared(ctx: ApplyContext, version: string, url: string, sharedDb: string, envFile: string | null = null): Promise<void> {
  const { layout } = ctx;
  let sha256: string | null = null;
  try {
    sha256 = (JSON.parse(await readFile(layout.preparingMarker(version), 'utf8')) as { sha256?: string }).sha256 ?? null;
  } catch {
    throw refuse(`${version} was not prepared by this run (no .glr-preparing); not marking it`);
  }
  // the installed .env, as the steps after the carry read it (once per apply)
  const envFileSha256 = envFile ? (await ctx.dotenvs.file(version, '.env')).sha256 : null;
  const inputs = { url, sha256, sharedDb, ...(envFileSha256 ? { envFileSha256 } : {}) };
  await writePrepared(layout, { version, origin: 'prepared', at: new Date().toISOString(), inputs });
  await unlink(layout.preparingMarker(version));
}
