import { readFile } from 'node:fs/promises';
import type { ApplyContext } from '../actions/context.js';
import { redact } from '../genlayer/env-file.js';
import { isGlrError } from '../errors.js';
import { readHealth, readSyncedBlock } from '../runtime/health.js';
import { describeHealth, isHealthyOn, type HealthReading } from '../runtime/health-reading.js';
import { tail } from '../runtime/text.js';

export type VerifyResult =
  /** `at`: when the first healthy answer arrived (Date.now()) */
  { ok: true; at: number } | { ok: false; reason: string; at: number };

/** /health requests in flight at once while a node boots (each bounded by healthRequestMs). */
const MAX_IN_FLIGHT = 4;

/**
 * Waits until the node is healthy on `version`, at the node's own speed:
 *
 * - a /health request leaves every `healthPollMs` (20 ms), whether or not the ones before it
 *   answered: a booting node that accepts connections and answers nothing cannot hold glr, and
 *   the first healthy answer is seen within one poll of when it can be had;
 * - the service manager (a process per call) is asked only every `statusPollMs` (250 ms): a
 *   node that died (stopped, or restarting under systemd) is seen within about that;
 * - no answer and 503 while it boots and syncs are not failures; only the deadline is.
 */
export async function waitHealthy(ctx: ApplyContext, version: string, timeoutMs: number): Promise<VerifyResult> {
  const { tuning } = ctx;
  const started = Date.now();
  const deadline = started + timeoutMs;
  const stop = new AbortController();
  let last: HealthReading | null = null;
  let settled = false;

  return new Promise<VerifyResult>((resolve) => {
    const finish = (r: VerifyResult) => {
      if (settled) return;
      settled = true;
      clearInterval(poll);
      clearTimeout(status);
      clearTimeout(timer);
      stop.abort();
      resolve(r);
    };

    let inFlight = 0;
    const probe = () => {
      if (settled || inFlight >= MAX_IN_FLIGHT) return;
      inFlight++;
      void readHealth(ctx.healthUrl, Math.min(tuning.healthRequestMs, Math.max(50, deadline - Date.now())), stop.signal).then((r) => {
        inFlight--;
        if (settled) return;
        last = r;
        if (isHealthyOn(r, version)) finish({ ok: true, at: Date.now() });
      });
    };
    const poll = setInterval(probe, tuning.healthPollMs);
    probe();

    let status: NodeJS.Timeout | undefined;
    const askService = async () => {
      try {
        const state = await ctx.service.state();
        if (state === 'stopped' || state === 'restarting') {
          const at = Date.now();
          finish({ ok: false, at, reason: `${version} died after the start (service ${state})${await nodeLogTail(ctx, version)}` });
          return;
        }
      } catch (e) {
        // a status command that fails once is not a dead node: keep watching health
        ctx.log.warn({ err: isGlrError(e) ? e.message : String(e) }, 'could not read the service state while verifying');
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
    const block = await readSyncedBlock(ctx.healthUrl, Math.max(200, Math.min(ctx.tuning.healthRequestMs, deadline - Date.now())));
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
  const abort = new AbortController();
  let lastHealthyAt: number | null = null;
  let done = false;
  let inFlight = 0;
  const probe = () => {
    if (done || version === null || inFlight >= MAX_IN_FLIGHT) return;
    inFlight++;
    void readHealth(ctx.healthUrl, ctx.tuning.healthRequestMs, abort.signal).then((r) => {
      inFlight--;
      if (!done && isHealthyOn(r, version)) lastHealthyAt = Date.now();
    });
  };
  const poll = setInterval(probe, ctx.tuning.healthPollMs);
  probe();
  return {
    stop() {
      done = true;
      clearInterval(poll);
      abort.abort();
      return lastHealthyAt;
    },
  };
}

/** The last line of the node's own log, secrets scrubbed: usually the reason it failed. */
async function nodeLogTail(ctx: ApplyContext, version: string): Promise<string> {
  try {
    const text = redact(await readFile(ctx.layout.nodeLog(ctx.layout.versionDir(version)), 'utf8'), ctx.secrets);
    const lines = tail(text.slice(-64 * 1024), 10);
    if (!lines) return '';
    ctx.log.error({ version, nodeLog: lines }, 'the last lines of the node log');
    const lastLine = lines.split('\n').at(-1)!.trim();
    return `; node log: ${lastLine.length > 200 ? `${lastLine.slice(0, 197)}...` : lastLine}`;
  } catch {
    return '';
  }
}
