import type { ApplyContext } from './context.js';
import { hookEnv, runHooks } from './run-hooks.js';

/**
 * hooks.postSwitch, after a change of the running version, once the node is up: run in {root}
 * with GLR_OUTCOME `switched` (`version` entered) or `rolled-back` (`version` left runs again),
 * GLR_FROM the other one. Every hook runs; failures are returned to be reported, never a rollback.
 */
export async function postSwitch(
  ctx: ApplyContext,
  hooks: string[][],
  o: { outcome: 'switched' | 'rolled-back'; version: string; from: string },
): Promise<string[]> {
  return runHooks(ctx, hooks, {
    name: 'hooks.postSwitch',
    cwd: ctx.layout.root,
    env: hookEnv(ctx, o.version, o.from, o.outcome),
    secrets: ctx.secrets,
    stopAtFailure: false,
  });
}
