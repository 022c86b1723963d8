import type { Desired } from '../desired/types.js';
import { readSync, syncPace, type SyncReading } from '../genlayer/node-sync.js';
import type { Observed } from '../observe/types.js';
import { isSyncingOn } from '../runtime/health-reading.js';

/** How long `status` watches a sync it has no earlier reading of, to tell its pace. */
const SAMPLE_MS = 5000;

/** `glr status`'s view of the node's sync (see docs/status.md: `sync`). */
export interface SyncReport {
  /** the node runs and answers 503 "node is not synced" (GenLayer's words for a node catching up) */
  syncing: boolean;
  syncedBlock: number | null;
  latestBlock: number | null;
  blocksBehind: number | null;
  /** how fast the blocks behind fall, and when it would be done at that pace (an estimate); null when not told */
  pace: {
    blocksPerSecond: number | null;
    /** an estimate, at this pace */
    doneInSeconds: number | null;
    /** the earlier reading it is measured from: the one recorded when glr accepted the node after its switch, or one status took */
    since: string;
    from: 'switch' | 'sample';
  } | null;
}

/**
 * The node's sync from observe's one /metrics reading; while it syncs, its pace measured against
 * the reading the history recorded when glr accepted it after a breaking switch, or else against
 * a second reading SAMPLE_MS later (the node's gauges may update on an interval: then the pace
 * is not told).
 */
export async function syncReport(desired: Desired, o: Observed, running: string | null): Promise<SyncReport | null> {
  const now = o.sync;
  if (!now) return null;
  const syncing = running !== null && isSyncingOn(o.health, running);
  const base = { syncing, syncedBlock: now.syncedBlock, latestBlock: now.latestBlock, blocksBehind: now.blocksBehind };
  if (!syncing) return { ...base, pace: null };
  const recorded = o.history.lastSwitch?.sync;
  let before: SyncReading | null = recorded ? { ...recorded, at: Date.parse(recorded.at), synced: false } : null;
  let after: SyncReading = now;
  let from: 'switch' | 'sample' = 'switch';
  if (!before || !(before.at < now.at)) {
    await new Promise((r) => setTimeout(r, SAMPLE_MS));
    const later = await readSync(desired.health.url);
    if (!later) return { ...base, pace: null };
    [before, after, from] = [now, later, 'sample'];
  }
  const pace = syncPace(before, after);
  return {
    ...base,
    syncedBlock: after.syncedBlock,
    latestBlock: after.latestBlock,
    blocksBehind: after.blocksBehind,
    pace: { ...pace, since: new Date(before.at).toISOString(), from },
  };
}
