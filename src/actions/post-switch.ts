import { writeHookReport } from '../runtime/hook-report.js';
import type { ApplyContext } from './context.js';
import { hookEnv, runHooks } from './run-hooks.js';
import { loggable } from '../runtime/text.js';

/**
 * hooks.postSwitch, after a change of the running version, once the node is up: run in {root}
 * with GLR_OUTCOME `switched` (`version` entered) or `rolled-back` (`version` left runs again),
 * GLR_FROM the other one. Every hook runs; the runs are written to {root}/.glr/hooks.json (where
 * `glr status` finds them) and the failures returned to be reported, never a rollback.
 */
export async function postSwitch(
  ctx: ApplyContext,
  hooks: string[][],
  o: { outcome: 'switched' | 'rolled-back'; version: string; from: string },
): Promise<string[]> {
  const at = new Date().toISOString();
  const { failures, runs } = await runHooks(ctx, hooks, {
    name: 'hooks.postSwitch',
    cwd: ctx.layout.root,
    env: hookEnv(ctx, o.version, o.from, o.outcome),
    secrets: ctx.secrets,
    stopAtFailure: false,
  });
  await writeHookReport(ctx.layout, { version: 1, hook: 'postSwitch', at, outcome: o.outcome, running: o.version, from: o.from, runs }).catch((e: unknown) =>
    ctx.log.warn({ err: loggable(e) }, `could not write ${ctx.layout.hookReport}; glr status will not show this run of the hooks`),
  );
  return failures;
}
