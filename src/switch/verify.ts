import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { redact } from '../genlayer/env-file.js';
import type { ApplyContext } from '../actions/context.js';
import { describeHealth, isHealthyOn, readHealth, type HealthReading } from '../runtime/health.js';
import { tail } from '../runtime/exec.js';
import type { ServiceState } from '../runtime/service.js';
import { isGlrError } from '../errors.js';

export type VerifyResult = { ok: true; ms: number } | { ok: false; reason: string; ms: number };

/**
 * Polls until the node is healthy on `version`. No answer and 503 are expected while it boots
 * and syncs; what fails early is the service saying the node is no longer running (it died:
 * no point waiting out the timeout).
 */
export async function waitHealthy(ctx: ApplyContext, version: string, timeoutMs: number): Promise<VerifyResult> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  let last: HealthReading | null = null;
  for (;;) {
    let state: ServiceState | 'unknown';
    try {
      state = await ctx.service.state();
    } catch (e) {
      // a status command that fails once is not a dead node; keep watching health until the deadline
      ctx.log.warn({ err: isGlrError(e) ? e.message : String(e) }, 'could not read the service state while verifying');
      state = 'unknown';
    }
    if (state === 'stopped' || state === 'restarting') {
      return { ok: false, ms: Date.now() - started, reason: `${version} died after the start (service ${state})${await nodeLogTail(ctx, version)}` };
    }
    const remaining = deadline - Date.now();
    last = await readHealth(ctx.healthUrl, Math.max(200, Math.min(1000, remaining)));
    if (isHealthyOn(last, version)) return { ok: true, ms: Date.now() - started };
    if (Date.now() >= deadline) {
      return {
        ok: false,
        ms: Date.now() - started,
        reason: `${version} was not healthy within ${Math.round(timeoutMs / 1000)} s (last: ${describeHealth(last)})${await nodeLogTail(ctx, version)}`,
      };
    }
    await sleep(Math.min(ctx.tuning.healthPollMs, Math.max(0, deadline - Date.now())));
  }
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
