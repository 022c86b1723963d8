/**
 * Where the node's sync stands, as GenLayer's `/metrics` (ops port) says it: the gauges
 * `genlayer_node_synced_block` (last synced block), `genlayer_node_latest_block` (the chain's
 * latest), `genlayer_node_blocks_behind` and `genlayer_node_synced` (1/0), each labelled
 * `node` (and `network` since v0.5.5). GenLayer: genlayer-docs pages/api-references/genlayer-node/ops/metrics.mdx.
 */
import { httpGet } from '../runtime/http-request.js';

export interface SyncReading {
  /** when it was read (Date.now()) */
  at: number;
  syncedBlock: number | null;
  latestBlock: number | null;
  /** the node's own figure, else latest − synced when both are known */
  blocksBehind: number | null;
  /** genlayer_node_synced: true (1), false (0), null when absent */
  synced: boolean | null;
}

/** Pure: the /metrics text → the sync gauges (the first sample of each); null when it has none of them. */
export function parseSync(text: string, at: number): SyncReading | null {
  const gauge = (name: string): number | null => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+([0-9.eE+-]+)\\s*$`, 'm').exec(text);
    const n = m ? Number(m[1]) : NaN;
    return Number.isFinite(n) ? n : null;
  };
  const syncedBlock = gauge('genlayer_node_synced_block');
  const latestBlock = gauge('genlayer_node_latest_block');
  const behind = gauge('genlayer_node_blocks_behind');
  const synced = gauge('genlayer_node_synced');
  if (syncedBlock === null && latestBlock === null && behind === null && synced === null) return null;
  const blocksBehind = behind ?? (syncedBlock !== null && latestBlock !== null ? Math.max(0, latestBlock - syncedBlock) : null);
  return { at, syncedBlock, latestBlock, blocksBehind, synced: synced === null ? null : synced === 1 };
}

/**
 * Progress between two readings: the synced block rose, or the blocks behind fell. A node whose
 * synced block stands still while the chain moves on falls further behind: no progress.
 */
export function madeProgress(before: SyncReading, after: SyncReading): boolean {
  const rose = before.syncedBlock !== null && after.syncedBlock !== null && after.syncedBlock > before.syncedBlock;
  const fell = before.blocksBehind !== null && after.blocksBehind !== null && after.blocksBehind < before.blocksBehind;
  return rose || fell;
}

/**
 * The pace of a sync between two readings, and when it would be done at that pace (an
 * estimate): blocks behind falling per second; null figures when they cannot be told.
 */
export function syncPace(before: SyncReading, after: SyncReading): { blocksPerSecond: number | null; doneInSeconds: number | null } {
  const seconds = (after.at - before.at) / 1000;
  if (!(seconds > 0) || before.blocksBehind === null || after.blocksBehind === null) return { blocksPerSecond: null, doneInSeconds: null };
  const perSecond = (before.blocksBehind - after.blocksBehind) / seconds;
  return { blocksPerSecond: perSecond, doneInSeconds: perSecond > 0 ? after.blocksBehind / perSecond : null };
}

/** One GET of /metrics beside the health URL → the node's sync gauges; null when it does not answer with them. Never throws. */
export async function readSync(healthUrl: string, timeoutMs = 2000): Promise<SyncReading | null> {
  try {
    const { statusCode, text } = await httpGet(new URL('/metrics', healthUrl).toString(), { timeoutMs, cap: 4 * 1024 * 1024 });
    return statusCode === 200 ? parseSync(text, Date.now()) : null;
  } catch {
    return null;
  }
}
