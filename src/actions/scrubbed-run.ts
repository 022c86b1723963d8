import { InterruptedError } from '../errors.js';
import { redact } from '../genlayer/env-file.js';
import { run, type RunResult } from '../runtime/exec.js';
import { tail } from '../runtime/text.js';
import type { ApplyContext } from './context.js';

/** A child's run with its output scrubbed, and what a failure message quotes of it. */
export interface ScrubbedRun extends RunResult {
  /** how long it ran, in ms */
  ms: number;
  /** null when it exited 0; else how it ended: `exited 2` (or `exit 2`, see `exitWord`), `timed out after 600 s`... */
  failed: string | null;
  /** the last non-empty line of the scrubbed output ('' when none) */
  last: string;
}

export interface ScrubbedRunOptions {
  timeoutMs: number;
  cwd: string;
  env?: Record<string, string>;
  signal?: AbortSignal;
  /** values scrubbed from the output before anything sees it */
  secrets: readonly string[];
  /** the word before a non-zero exit code in `failed`; `exited` unless told */
  exitWord?: string;
  /** run as this user and group (the node's) */
  uid?: number;
  gid?: number;
}

/**
 * Runs an argv list (no shell), scrubs its output, hands the run to `report` (to log it), then
 * throws InterruptedError when `signal` was aborted meanwhile. What a failure means is the caller's.
 */
export async function runScrubbed(ctx: ApplyContext, argv: readonly string[], o: ScrubbedRunOptions, report: (r: ScrubbedRun) => void): Promise<ScrubbedRun> {
  const { secrets, exitWord = 'exited', ...opts } = o;
  const started = Date.now();
  const r = await run(argv, opts);
  const output = redact(r.output, secrets);
  const done: ScrubbedRun = {
    ...r,
    output,
    ms: Date.now() - started,
    failed: r.exitCode === 0 ? null : (r.failure ?? `${exitWord} ${r.exitCode}`),
    last: tail(output, 1),
  };
  report(done);
  throwIfInterrupted(ctx, o.signal);
  return done;
}

/** A signal that aborted `signal` (SIGINT, SIGTERM) ends the run: InterruptedError. */
function throwIfInterrupted(ctx: ApplyContext, signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new InterruptedError(ctx.signals.pending ?? 'SIGTERM');
}
