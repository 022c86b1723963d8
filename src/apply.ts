import { adopt } from './actions/adopt.js';
import { backup } from './actions/backup.js';
import { carry } from './actions/carry.js';
import { checkReady } from './actions/check-ready.js';
import type { ApplyContext } from './actions/context.js';
import { download } from './actions/download.js';
import { genvmSetup } from './actions/genvm-setup.js';
import { cleanStaging, removeVersion } from './actions/housekeeping.js';
import { linkDb } from './actions/link-db.js';
import { markPrepared } from './actions/mark-prepared.js';
import { routeLinks } from './actions/route-links.js';
import { setLlm } from './actions/set-llm.js';
import { ExitCode, isGlrError, refuse } from './errors.js';
import type { Plan, PrepareAction } from './plan/types.js';
import { removeTree } from './runtime/fsx.js';
import { readPrepared, readPreparing } from './runtime/marker.js';
import { runWindow, type WindowResult } from './switch/window.js';

/**
 * Executes exactly the plan's actions, in order: the prepare group while the old node runs
 * (a failure or a signal there removes what it began and exits 1 with the node untouched), then
 * the switch window. Returns how it ended; throws only GlrErrors from the prepare group.
 */
export async function apply(plan: Plan, ctx: ApplyContext): Promise<WindowResult> {
  const prepare = plan.actions.filter((a): a is PrepareAction => a.group === 'prepare');
  const rest = plan.actions.filter((a) => a.group !== 'prepare');
  const started = Date.now();
  try {
    for (const a of prepare) {
      ctx.signals.throwIfInterrupted();
      const t = Date.now();
      ctx.log.info({ action: a.kind, group: a.group }, a.description);
      await runPrepare(a, ctx);
      ctx.log.info({ action: a.kind, ms: Date.now() - t }, `done: ${a.kind}`);
    }
    ctx.signals.throwIfInterrupted();
  } catch (e) {
    await undoPreparation(plan, ctx);
    if (isGlrError(e)) throw e;
    const err = e as NodeJS.ErrnoException;
    ctx.log.error({ err: e }, 'preparation failed');
    throw refuse(`preparing ${plan.version} failed: ${err.code ? `${err.code} ` : ''}${err.message}; nothing was switched`);
  }
  if (prepare.length) ctx.log.info({ ms: Date.now() - started }, `prepared in ${Date.now() - started} ms`);
  if (rest.length === 0) return { exitCode: ExitCode.ok, message: `${plan.version} is in place` };
  return runWindow(ctx, plan, rest);
}

async function runPrepare(a: PrepareAction, ctx: ApplyContext): Promise<void> {
  switch (a.kind) {
    case 'clean-staging':
      return cleanStaging(ctx, a.names);
    case 'remove-version':
      return removeVersion(ctx, a.version);
    case 'adopt':
      return adopt(ctx, a.version, a.sharedDb);
    case 'route-links':
      return routeLinks(ctx, a.version, a.links);
    case 'download':
      await download(ctx, a);
      return;
    case 'genvm-setup':
      return genvmSetup(ctx, a.version, a.argv);
    case 'carry':
      return carry(ctx, a.from, a.version);
    case 'link-db':
      return linkDb(ctx, a.version, a.sharedDb);
    case 'set-llm':
      return setLlm(ctx, a.version, a.providers, false);
    case 'check-ready':
      return checkReady(ctx, a.version, a.links);
    case 'mark-prepared':
      return markPrepared(ctx, a.version, a.url, a.sharedDb);
    case 'backup':
      await backup(ctx, a.version);
      return;
  }
}

/** A failed preparation leaves no version folder behind (only ever one glr itself began). */
async function undoPreparation(plan: Plan, ctx: ApplyContext): Promise<void> {
  if (!plan.actions.some((a) => a.kind === 'download')) return;
  const v = plan.version;
  const [preparing, prepared] = await Promise.all([readPreparing(ctx.layout, v), readPrepared(ctx.layout, v)]);
  if (preparing !== null && prepared === null) {
    await removeTree(ctx.layout.versionDir(v)).catch((e: unknown) => {
      ctx.log.error({ err: e }, `could not remove the unfinished ${ctx.layout.versionDir(v)}; the next run will`);
    });
  }
}
