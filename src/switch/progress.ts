import type { ApplyContext } from '../actions/context.js';
import { madeProgress, readSync, type SyncReading } from '../genlayer/node-sync.js';
import { readHealth } from '../runtime/health.js';
import { describeHealth, isHealthyOn, type HealthReading } from '../runtime/health-reading.js';
import { diedAfterStart, nodeLogTail, type VerifyResult } from './verify.js';

/** A node accepted while it syncs: the first reading on V, and the one that showed progress (`measured` false: /metrics told nothing). */
export interface SyncProgress {
  from: SyncReading | null;
  to: SyncReading | null;
  measured: boolean;
}

/**
 * The verification of a breaking switch. GenLayer (genlayer-docs pages/validators/upgrade.mdx):
 * after a breaking upgrade the node creates a fresh database and syncs from genesis, and a slow
 * sync is expected; meanwhile it answers /health with 503, `status: down` and `validating` down
 * ("node is not synced"). Waiting for 200 would roll back a node that does exactly what it
 * should. So, within `timeoutMs`:
 *
 * - healthy on `version` (200): accepted at once (the DB had caught up already);
 * - running on `version` (its /health answers as it, 200 or 503) and its sync making progress
 *   (/metrics: `genlayer_node_synced_block` rising or `genlayer_node_blocks_behind` falling)
 *   between the first reading on `version` and one at least `progressMs` later: accepted, syncing;
 * - a node whose /metrics has no sync figures: accepted once it has run on `version` for
 *   `progressMs` (logged: progress not measured);
 * - dead (the manager says stopped or restarting), never answering as `version`, or no progress
 *   by the deadline: not accepted (the plan's rollback follows).
 *
 * Readings every `statusPollMs`: a sync is measured in blocks per second, not milliseconds.
 */
export async function waitProgress(ctx: ApplyContext, version: string, timeoutMs: number, progressMs: number): Promise<VerifyResult> {
  const deadline = Date.now() + timeoutMs;
  let firstOnV: { at: number; sync: SyncReading | null } | null = null;
  let health: HealthReading | null = null;
  let latest: SyncReading | null = null;
  for (;;) {
    const died = await diedAfterStart(ctx, version);
    if (died !== null) return { ok: false, at: Date.now(), reason: died };
    const requestMs = Math.max(50, Math.min(ctx.tuning.healthRequestMs, deadline - Date.now()));
    health = await readHealth(ctx.healthUrl, requestMs);
    const at = Date.now();
    if (isHealthyOn(health, version)) return { ok: true, at };
    if (health.answered && health.nodeVersion === version) {
      const sync = await readSync(ctx.healthUrl, requestMs);
      if (sync && (sync.syncedBlock !== null || sync.blocksBehind !== null)) latest = sync;
      if (firstOnV === null) {
        firstOnV = { at, sync: latest };
        ctx.log.info({ version, sync: latest }, `${version} runs and answers ${health.httpStatus}; watching its sync for ${Math.round(progressMs / 1000)} s`);
      } else if (firstOnV.sync === null && latest !== null) firstOnV = { at, sync: latest };
      const base = firstOnV.sync;
      if (base && latest && latest.at - base.at >= progressMs && madeProgress(base, latest)) {
        ctx.log.info({ version, from: base, to: latest }, `${version} is syncing: ${latest.blocksBehind ?? '?'} blocks behind, progressing`);
        return { ok: true, at, sync: { from: base, to: latest, measured: true } };
      }
      if (!base && !latest && at - firstOnV.at >= progressMs) {
        ctx.log.warn(
          { version },
          `${version} has run for ${Math.round(progressMs / 1000)} s but /metrics gives no sync figures: its progress is not measured; accepted as running`,
        );
        return { ok: true, at, sync: { from: null, to: null, measured: false } };
      }
    }
    if (Date.now() >= deadline)
      return { ok: false, at: Date.now(), reason: await notAccepted(ctx, version, timeoutMs, health, firstOnV?.sync ?? null, latest) };
    await new Promise((r) => setTimeout(r, Math.min(ctx.tuning.statusPollMs, Math.max(0, deadline - Date.now()))));
  }
}

async function notAccepted(
  ctx: ApplyContext,
  version: string,
  timeoutMs: number,
  health: HealthReading | null,
  first: SyncReading | null,
  latest: SyncReading | null,
): Promise<string> {
  const s = Math.round(timeoutMs / 1000);
  const logTail = await nodeLogTail(ctx, version);
  if (first === null || latest === null || health?.nodeVersion !== version) {
    return `${version} never ran as ${version} with a sync to watch within ${s} s (last: ${health ? describeHealth(health) : 'no answer'})${logTail}`;
  }
  return `${version} runs but its sync made no progress within ${s} s (synced block ${first.syncedBlock ?? '?'} → ${latest.syncedBlock ?? '?'}, ${first.blocksBehind ?? '?'} → ${latest.blocksBehind ?? '?'} blocks behind)${logTail}`;
}
