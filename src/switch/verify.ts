import { open } from 'node:fs/promises';
import type { ApplyContext } from '../actions/context.js';
import { redact } from '../genlayer/env-file.js';
import { isGlrError } from '../errors.js';
import { readSync } from '../genlayer/node-sync.js';
import { readHealth } from '../runtime/health.js';
import { describeHealth, isHealthyOn, type HealthReading } from '../runtime/health-reading.js';
import { clip, tail } from '../runtime/text.js';
import type { SyncProgress } from './progress.js';

export type VerifyResult =
  /** `at`: when the first healthy answer arrived (Date.now()); `sync`: accepted while syncing (see progress.ts) */
  { ok: true; at: number; sync?: SyncProgress } | { ok: false; reason: string; at: number };

/**
 * /health requests in flight at once, at most. With the defaults (a request every 20 ms, each
 * given up after 1 s) there are never more than 50; this only bounds a tuning that would open
 * thousands of connections (file descriptors are finite).
 */
const MAX_IN_FLIGHT = 200;

/**
 * Asks /health every `healthPollMs`, whatever became of the requests before: each is bounded by
 * `timeoutMs()` alone, so a booting node that accepts connections and never answers them, or
 * answers them late, holds up none of the later requests, and the first healthy answer the node
 * gives arrives within one poll of when an outside prober gets its own. Should MAX_IN_FLIGHT be
 * reached, the oldest request gives way to the new one. Each answer goes to `onReading` with the
 * moment it arrived. `stop()` ends it and cancels what is in flight.
 */
function pollHealth(ctx: ApplyContext, timeoutMs: () => number, onReading: (r: HealthReading, at: number) => void): { stop(): void } {
  let stopped = false;
  const inFlight = new Set<AbortController>();
  const probe = () => {
    if (stopped) return;
    if (inFlight.size >= MAX_IN_FLIGHT) {
      const oldest = inFlight.values().next().value!;
      inFlight.delete(oldest);
      oldest.abort();
    }
    const one = new AbortController();
    inFlight.add(one);
    void readHealth(ctx.healthUrl, timeoutMs(), one.signal).then((r) => {
      inFlight.delete(one);
      if (!stopped && !one.signal.aborted) onReading(r, Date.now());
    });
  };
  const timer = setInterval(probe, ctx.tuning.healthPollMs);
  probe();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
      for (const one of inFlight) one.abort();
      inFlight.clear();
    },
  };
}

/**
 * Waits until the node is healthy on `version`, at the node's own speed:
 *
 * - a /health request leaves every `healthPollMs` (20 ms), whether or not the ones before it
 *   answered (pollHealth): whatever a booting node does with early connections (refuses them,
 *   answers 503, answers late, or never), the first healthy answer is seen within one poll of
 *   when it can be had;
 * - the service manager (a process per call) is asked only every `statusPollMs` (250 ms): a
 *   node that died (stopped, or restarting under systemd) is seen within about that;
 * - no answer and 503 while it boots and syncs are not failures; only the deadline is.
 */
export async function waitHealthy(ctx: ApplyContext, version: string, timeoutMs: number): Promise<VerifyResult> {
  const { tuning } = ctx;
  const started = Date.now();
  const deadline = started + timeoutMs;
  let last: HealthReading | null = null;
  let settled = false;

  return new Promise<VerifyResult>((resolve) => {
    const finish = (r: VerifyResult) => {
      if (settled) return;
      settled = true;
      health.stop();
      clearTimeout(status);
      clearTimeout(timer);
      resolve(r);
    };

    const health = pollHealth(
      ctx,
      () => Math.min(tuning.healthRequestMs, Math.max(50, deadline - Date.now())),
      (r, at) => {
        last = r;
        if (!isHealthyOn(r, version) || settled) return;
        ctx.log.debug({ version, healthyAt: at }, `${version} answered healthy`);
        finish({ ok: true, at });
      },
    );

    let status: NodeJS.Timeout | undefined;
    const askService = async () => {
      const died = await diedAfterStart(ctx, version);
      if (died !== null) {
        finish({ ok: false, at: Date.now(), reason: died });
        return;
      }
      if (!settled) status = setTimeout(() => void askService(), tuning.statusPollMs);
    };
    status = setTimeout(() => void askService(), tuning.statusPollMs);

    const timer = setTimeout(() => {
      void nodeLogTail(ctx, version).then((logTail) =>
        finish({
          ok: false,
          at: Date.now(),
          reason: `${version} was not healthy within ${Math.round(timeoutMs / 1000)} s (last: ${last ? describeHealth(last) : 'no answer'})${logTail}`,
        }),
      );
    }, timeoutMs);
  });
}

/**
 * GenLayer's post-switch check: the synced block (`genlayer_node_synced_block` on /metrics) has
 * reached the block noted before the stop. A node that just answered healthy may still report an
 * older block for a moment (its metrics are updated on an interval), so it is read again every
 * `statusPollMs` until `deadline`; still behind then, it is not healthy. When /metrics does not
 * answer (or has no synced block), that is logged and nothing is blocked.
 */
export async function waitSyncedPast(ctx: ApplyContext, version: string, noted: number, deadline: number): Promise<VerifyResult> {
  let last: number | null = null;
  for (;;) {
    const block = (await readSync(ctx.healthUrl, Math.max(200, Math.min(ctx.tuning.healthRequestMs, deadline - Date.now()))))?.syncedBlock ?? null;
    if (block === null) {
      ctx.log.warn({ version, noted }, `${version}: /metrics gave no synced block; not compared with the block ${noted} noted before the stop`);
      return { ok: true, at: Date.now() };
    }
    if (block >= noted) {
      ctx.log.info({ version, syncedBlock: block, noted }, `${version} synced block ${block}, at or past the ${noted} noted before the stop`);
      return { ok: true, at: Date.now() };
    }
    if (block !== last)
      ctx.log.info({ version, syncedBlock: block, noted }, `${version} answers healthy at synced block ${block}, behind the ${noted} noted before the stop`);
    last = block;
    if (Date.now() >= deadline) {
      return {
        ok: false,
        at: Date.now(),
        reason: `${version} answered healthy but its synced block ${block} stayed behind the block ${noted} noted before the stop (GenLayer's post-switch check)`,
      };
    }
    await new Promise((r) => setTimeout(r, ctx.tuning.statusPollMs));
  }
}

/**
 * Watches the old node while it is being stopped: the moment of its last healthy answer is when
 * the validator's downtime begins, as an outside prober of /health would see it (a node told to
 * stop may keep answering for a while). `stop()` ends the watch and returns that moment, or
 * null when no healthy answer came.
 */
export function watchLastHealthy(ctx: ApplyContext, version: string | null): { stop(): number | null } {
  let lastHealthyAt: number | null = null;
  const health =
    version === null
      ? null
      : pollHealth(
          ctx,
          () => ctx.tuning.healthRequestMs,
          (r, at) => {
            if (isHealthyOn(r, version)) lastHealthyAt = at;
          },
        );
  return {
    stop() {
      health?.stop();
      return lastHealthyAt;
    },
  };
}

/** How much of the end of the node's log is read for its last lines (the log may be huge). */
const LOG_TAIL_BYTES = 64 * 1024;

/**
 * Why `version` is dead, when the service manager says it stopped or restarts after the start
 * (with the node's last log line), else null. A status command that fails once is not a dead
 * node: a warning, and null (the caller keeps watching health).
 */
export async function diedAfterStart(ctx: ApplyContext, version: string): Promise<string | null> {
  let state: Awaited<ReturnType<ApplyContext['service']['state']>>;
  try {
    state = await ctx.service.state();
  } catch (e) {
    ctx.log.warn({ err: isGlrError(e) ? e.message : String(e) }, 'could not read the service state while verifying');
    return null;
  }
  return state === 'stopped' || state === 'restarting' ? `${version} died after the start (service ${state})${await nodeLogTail(ctx, version)}` : null;
}

/** The last line of the node's own log, secrets scrubbed: usually the reason it failed. */
export async function nodeLogTail(ctx: ApplyContext, version: string): Promise<string> {
  try {
    const fh = await open(ctx.layout.nodeLog(ctx.layout.versionDir(version)), 'r');
    let end: Buffer;
    try {
      const { size } = await fh.stat();
      const n = Math.min(size, LOG_TAIL_BYTES);
      end = Buffer.alloc(n);
      await fh.read(end, 0, n, size - n);
    } finally {
      await fh.close();
    }
    const lines = tail(redact(end.toString('utf8'), ctx.secrets), 10);
    if (!lines) return '';
    ctx.log.error({ version, nodeLog: lines }, 'the last lines of the node log');
    return `; node log: ${clip(lines.split('\n').at(-1)!, 200)}`;
  } catch {
    return '';
  }
}
