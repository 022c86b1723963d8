import { clearBad, markBad } from '../runtime/bad-releases.js';
import type { ApplyContext } from './context.js';
import { emptyTrash, removeVersionFolder } from './retention.js';
import { loggable } from '../runtime/text.js';

/**
 * The finish steps after the outcome (planned in src/plan/finish.ts). Neither
 * changes the outcome: what they could not do is logged, and the next run does it.
 */

/** `bad` (it was rolled back): mark `version` a bad release; `good` (it ran healthy): take an earlier mark off. */
export async function markRelease(ctx: ApplyContext, version: string, verdict: { bad: true; reason: string } | { bad: false }): Promise<void> {
  try {
    if (verdict.bad) {
      await markBad(ctx.layout, { version, at: new Date().toISOString(), reason: verdict.reason });
      ctx.log.warn({ version }, `${version} marked bad: it was rolled back (glr status shows it; retention removes it first)`);
    } else {
      await clearBad(ctx.layout, version);
    }
  } catch (e) {
    ctx.log.warn({ err: loggable(e), version }, `could not record the verdict on ${version}`);
  }
}

/** Retention after a successful apply: each folder checked again, renamed aside, deleted. Returns the versions removed. */
export async function prune(ctx: ApplyContext, remove: { version: string; why: string }[]): Promise<string[]> {
  const { layout, log } = ctx;
  const removed: string[] = [];
  try {
    await emptyTrash(layout, log);
    for (const r of remove) {
      const done = await removeVersionFolder(layout, log, r.version);
      if (done.skipped) log.warn({ version: r.version }, `retention kept ${r.version}: ${done.skipped}`);
      else {
        removed.push(r.version);
        log.info({ version: r.version, why: r.why }, `retention removed ${r.version} (${r.why})`);
      }
    }
  } catch (e) {
    log.warn({ err: loggable(e) }, 'retention could not finish; the next glr prune or reconcile will');
  }
  return removed;
}
