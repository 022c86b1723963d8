import { redact } from '../genlayer/env-file.js';
import type { HookRun } from '../runtime/hook-report.js';
import { clip, tail } from '../runtime/text.js';
import type { ApplyContext } from './context.js';
import { runScrubbed } from './scrubbed-run.js';

export interface HookOptions {
  /** hooks.preSwitch or hooks.postSwitch */
  name: string;
  cwd: string;
  /** added to glr's own environment: GLR_*, and the .env for preSwitch */
  env: Record<string, string>;
  /** values scrubbed from the output and the argv before they are logged */
  secrets: readonly string[];
  /** stop at the first failure (preSwitch) or run every hook (postSwitch) */
  stopAtFailure: boolean;
  signal?: AbortSignal;
}

/**
 * Runs each argv (no shell) in order; logs its output (scrubbed). Returns one line per failure
 * (a non-zero exit, not found, timed out) and a record of each run, all scrubbed.
 */
export async function runHooks(ctx: ApplyContext, hooks: string[][], h: HookOptions): Promise<{ failures: string[]; runs: HookRun[] }> {
  const failures: string[] = [];
  const runs: HookRun[] = [];
  for (const argv of hooks) {
    const shown = redact(argv.join(' '), h.secrets);
    const r = await runScrubbed(
      ctx,
      argv,
      { timeoutMs: ctx.tuning.hookTimeoutMs, cwd: h.cwd, env: h.env, signal: h.signal, secrets: h.secrets },
      ({ exitCode, failure, ms, output, failed }) => {
        runs.push({
          argv: argv.map((a) => redact(a, h.secrets)),
          exitCode,
          failure,
          ms,
          ...(output ? { output: tail(output, 20) } : {}),
        });
        ctx.log[failed === null ? 'info' : 'error'](
          { hook: h.name, argv: shown, exitCode, ...(output ? { output: tail(output, 20) } : {}) },
          `${h.name}: ${shown} ${failed === null ? 'done' : 'failed'}`,
        );
      },
    );
    if (r.failed === null) continue;
    failures.push(`${h.name} ${clip(shown, 120)} ${r.failed}${r.last ? `: ${clip(r.last, 160)}` : ''}`);
    if (h.stopAtFailure) break;
  }
  return { failures, runs };
}

/** GLR_ROOT, GLR_VERSION, GLR_FROM, GLR_VERSION_DIR (and GLR_OUTCOME) for a hook. */
export function hookEnv(ctx: ApplyContext, version: string, from: string | null, outcome?: 'switched' | 'rolled-back'): Record<string, string> {
  return {
    GLR_ROOT: ctx.layout.root,
    GLR_VERSION: version,
    GLR_FROM: from ?? '',
    GLR_VERSION_DIR: ctx.layout.versionDir(version),
    ...(outcome ? { GLR_OUTCOME: outcome } : {}),
  };
}
