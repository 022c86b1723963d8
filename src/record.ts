import { statfs } from 'node:fs/promises';
import type { Desired } from './desired/types.js';
import { linkedVersion } from './observe/linked-version.js';
import type { Observed } from './observe/types.js';
import { applied, exitCodeOf, type Outcome } from './plan/outcome.js';
import type { Plan } from './plan/types.js';
import type { PassResult } from './reconcile.js';
import { appendHistory } from './runtime/history.js';
import type { Logger } from './runtime/logger.js';
import { loggable } from './runtime/text.js';
import { renderMetrics, writeMetricsFile, type MetricsInput } from './runtime/metrics.js';

/**
 * The one place a pass is recorded, from its result alone (the outcome, the plan, what observe
 * read of the host and the history, and the steps that ran):
 *
 *   outcome (stage)                  history line   metrics textfile
 *   refused (observe, plan)          —              written (exit 1)
 *   converged (plan)                 —              written
 *   refused (prepare, window)        appended       written
 *   applied, rolled-back, must-act   appended       written
 *
 * What the apply itself wrote is in the plan's steps (journal, bad-releases, hooks.json, prune),
 * see src/apply/apply.ts. Nothing here is read twice: the history's facts come from observe, and
 * what the apply changed is known from the plan and the steps that ran to their end. A write that
 * fails is logged and never changes the outcome.
 */
export async function recordPass(desired: Desired, r: PassResult, o: { log: Logger; fileReadable: boolean }): Promise<void> {
  const { log } = o;
  const history =
    applied(r.outcome) && r.observed ? await appendRecord(desired, r, r.observed).catch(logged(log, 'could not record the result in the history')) : null;
  if (desired.metrics.textfile) {
    await writeMetrics(desired, r, { ...o, rolledBackNow: history?.outcome === 'rolled-back' }).catch(
      logged(log, `could not write the metrics textfile ${desired.metrics.textfile}`),
    );
  }
}

async function appendRecord(desired: Desired, r: PassResult, observed: Observed) {
  const o = r.outcome;
  const ran = observed.service.state === 'running' || observed.service.state === 'restarting' ? linkedVersion(observed) : null;
  return appendHistory(
    desired.layout.history,
    {
      at: new Date().toISOString(),
      // the version that ran before: the one the switch left, else the one that ran (a repair, a restart)
      from: r.plan?.switch?.leaving ?? ran,
      version: r.version,
      outcome: o.kind === 'converged' ? 'applied' : o.kind,
      exitCode: exitCodeOf(o),
      downtimeMs: o.measures?.downtimeMs ?? null,
      windowMs: o.measures?.windowMs ?? null,
      phases: r.phases,
      ...(o.kind === 'applied' ? {} : { reason: o.reasons[0] ?? o.message }),
      message: o.message,
      ...(o.reported.length ? { hookFailures: o.reported } : {}),
      ...(o.syncing ? { sync: o.syncing } : {}),
    },
    { previousTotal: observed.history.rollbacksTotal },
  );
}

async function writeMetrics(desired: Desired, r: PassResult, o: { fileReadable: boolean; rolledBackNow: boolean }): Promise<void> {
  const seen = r.observed;
  const out = r.outcome;
  const input: MetricsInput = {
    runningVersion: runningAfter(out, r.plan, seen),
    desiredVersion: o.fileReadable ? desired.version : null,
    converged: out.kind === 'converged' || out.kind === 'applied',
    lastPassAt: new Date(),
    lastPassExitCode: exitCodeOf(out),
    lastDowntimeMs: out.measures?.downtimeMs ?? seen?.history.lastDowntimeMs ?? null,
    rollbacksTotal: (seen?.history.rollbacksTotal ?? 0) + (o.rolledBackNow ? 1 : 0),
    preparedVersions: seen ? preparedAfter(seen, r) : null,
    // the sync as the pass last saw it: the verify's reading, else (nothing changed) observe's
    nodeBlocksBehind: out.syncing?.blocksBehind ?? (!applied(out) || out.kind === 'refused' ? (seen?.sync?.blocksBehind ?? null) : null),
    diskFreeBytes: await statfs(desired.root).then(
      (s) => s.bavail * s.bsize,
      () => null,
    ),
    telemetryStale: telemetryAfter(r),
  };
  await writeMetricsFile(desired.metrics.textfile!, renderMetrics(input));
}

/**
 * The version that runs healthy once the pass is over, from what the pass saw and did: the
 * target after a successful apply (none when it is left stopped), the version returned to after a
 * rollback, none when the operator must act; otherwise (converged, refused, or no plan ran) the
 * node as observed.
 */
function runningAfter(out: Outcome, plan: Plan | null, seen: Observed | null): string | null {
  // no plan ran (a wake-up held back by a remembered failure): the node as observed
  if (!plan || !applied(out)) return seen && seen.service.state === 'running' ? linkedVersion(seen) : null;
  switch (out.kind) {
    case 'applied':
      return plan.verify ? plan.target : null;
    case 'rolled-back':
      return plan.intent === 'finish-rollback' ? (plan.verify ? plan.target : null) : plan.onFailure?.verify ? plan.onFailure.to : null;
    case 'must-act':
      return null;
    case 'converged':
    case 'refused':
      // refused once steps ran: nothing was switched, the node is as it was
      return seen && seen.service.state === 'running' ? linkedVersion(seen) : null;
  }
}

/**
 * Whether Alloy reads the running node's log once the pass is over: what the pass's own check
 * saw after it changed the running version; what observe saw when the pass changed nothing of it
 * (the links did not move); unknown (no sample) when it changed it without looking.
 */
function telemetryAfter(r: Pick<PassResult, 'telemetry' | 'plan' | 'observed' | 'outcome'>): boolean | null {
  if (r.telemetry) return r.telemetry.state !== 'fresh';
  const changed = applied(r.outcome) && r.outcome.kind !== 'refused' && (r.plan?.finish.some((s) => s.kind === 'check-telemetry') ?? false);
  const seen = r.observed?.telemetry;
  return changed || !seen ? null : seen.state !== 'fresh';
}

/** Version folders glr prepared or adopted, as the steps that ran to their end left them. */
function preparedAfter(seen: Observed, r: Pick<PassResult, 'completed' | 'removed'>): number {
  const prepared = new Set(seen.versions.filter((v) => v.prepared !== null).map((v) => v.version));
  for (const s of r.completed) {
    if (s.kind === 'mark-prepared' || s.kind === 'adopt') prepared.add(s.version);
    if (s.kind === 'remove-version') prepared.delete(s.version);
  }
  for (const v of r.removed) prepared.delete(v);
  return prepared.size;
}

function logged(log: Logger, what: string): (e: unknown) => null {
  return (e: unknown) => {
    log.warn({ err: loggable(e) }, what);
    return null;
  };
}
