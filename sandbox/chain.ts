/**
 * What every sandbox node agrees on, whatever its version or DB: the chain head moves with the
 * wall clock, one block per BLOCK_MS; and how versions compare.
 */
export const BLOCK_MS = 100;
const CHAIN_EPOCH_MS = Date.UTC(2025, 0, 1);

/** The chain head at `now` (the same on every node and every DB). */
export function chainHead(now = Date.now()): number {
  return Math.floor((now - CHAIN_EPOCH_MS) / BLOCK_MS);
}

/** The file in the shared DB folder that keeps the last block a node synced. */
export const SYNCED_BLOCK_FILE = 'synced-block';

/** Whether `version` (vX.Y.Z[-pre]) is at least X.Y.Z (a pre-release of X.Y.Z counts as X.Y.Z). */
export function versionAtLeast(version: string, major: number, minor: number, patch: number): boolean {
  const m = /^v(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const [a, b, c] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return a !== major ? a > major : b !== minor ? b > minor : c >= patch;
}
