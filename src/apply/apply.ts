import type { ApplyContext } from '../actions/context.js';
import { isGlrError } from '../errors.js';
import { codeAndMessage, errnoText } from '../runtime/text.js';
import { lstatOrNull } from '../runtime/fsx.js';
import { refused, syncStateOf, type Measures, type Outcome, type OutcomeKind, type Stage } from '../plan/outcome.js';
import type { SyncProgress } from '../switch/progress.js';
import { stepsOf } from '../plan/steps.js';
import type { Phase, Plan, Step } from '../plan/types.js';
import { appliedMessage } from './messages.js';
import type { TelemetryReading } from '../runtime/telemetry.js';
import { HostRunner, type StepRunner } from './runner.js';

/** How an apply ended, and every step that ran, in order, with its duration. */
export interface Applied {
  outcome: Outcome;
  phases: { name: string; ms: number }[];
  /** the steps that ran to their end, in order (what the apply changed, for the record of the pass) */
  completed: Step[];
  /** version folders retention removed */
  removed: string[];
  /** what check-telemetry saw of the Alloy container after the change; null when it did not look */
  telemetry?: TelemetryReading | null;
}

/**
 * Executes the plan: one walk over `stepsOf(plan)` — the very list `--dry-run` prints — in that
 * order. Nothing is regrouped, added or skipped, except after a failure: a failed preparation
 * ends the walk; after a failed window or verify step the plan's rollback runs, then only the
 * `finish` steps. Signals are held from the first window step to the end.
 *
 * How it can end, and what each outcome writes (besides what the steps themselves write):
 *   every step ran                → applied (finish-rollback: rolled-back); journal closed `done`
 *                                    (`rolled-back`)
 *   a prepare step failed, or a    → refused (exit 1): what the preparation began is removed;
 *     signal came while preparing     no journal is written; the node, links and files as they were
 *   a window step failed           → if nothing was switched and the old node runs healthy:
 *                                    refused, journal closed `aborted`; otherwise the plan's
 *                                    rollback runs (below)
 *   verify: not healthy in time    → the plan's rollback runs: journal `rolling-back`, then
 *                                    `rolled-back` when the old version is healthy again (exit 3),
 *                                    or `failed` (exit 4); with no rollback in the plan: `failed`
 *   a finish step's failure       → reported only (hooks.postSwitch): the outcome's line says so
 *                                    and the history records it; the outcome does not change
 * The pass (src/reconcile.ts) then appends the history line and writes the metrics.
 */
export async function apply(plan: Plan, ctx: ApplyContext, runner: StepRunner = new HostRunner(ctx, plan)): Promise<Applied> {
  const phases: Applied['phases'] = [];
  const completed: Step[] = [];
  const timed = async <T>(phase: Phase, step: Step, fn: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    ctx.log.info({ action: step.kind, phase }, step.description);
    try {
      const r = await fn();
      completed.push(step);
      return r;
    } finally {
      const ms = Date.now() - t;
      phases.push({ name: step.kind, ms });
      ctx.log.info({ action: step.kind, phase, ms }, `done: ${step.kind}`);
    }
  };

  let outcome: Outcome | null = null;
  let holding = false;
  /** the verify accepted a node that syncs (a breaking switch): its progress */
  let syncing: SyncProgress | null = null;
  const reported: string[] = [];
  const removed: string[] = [];
  let telemetry: TelemetryReading | null = null;
  try {
    for (const { phase, step } of stepsOf(plan)) {
      if (phase === 'finish') {
        // the outcome is settled: a finish step that fails is logged and changes nothing of it
        // (an unclosed journal is closed by the next pass, which finds the host as it is)
        outcome ??= success(plan, runner, syncing);
        const settled = outcome;
        const done = await timed(phase, step, () => runner.finish(step, settled)).catch((e: unknown) => {
          ctx.log.error({ step: step.kind, err: reasonOf(e) }, `${step.kind} failed after the outcome was settled`);
          return null;
        });
        reported.push(...(done?.reported ?? []));
        removed.push(...(done?.removed ?? []));
        if (done?.telemetry) telemetry = done.telemetry;
        continue;
      }
      if (outcome) continue;
      if (phase === 'prepare') {
        try {
          ctx.signals.throwIfInterrupted();
          await timed(phase, step, () => runner.prepare(step));
        } catch (e) {
          await runner.undoPreparation();
          return { outcome: refused('prepare', [preparationFailed(plan, e)]), phases, completed, removed };
        }
        continue;
      }
      if (!holding) {
        holding = true;
        ctx.signals.hold();
      }
      try {
        if (phase === 'window') await timed(phase, step, () => runner.window(step));
        else {
          const v = await timed(phase, step, () => runner.verify(step));
          if (!v.ok) outcome = await recover(plan, ctx, runner, v.reason, phase, timed);
          else syncing = v.sync ?? null;
        }
      } catch (e) {
        outcome = await recover(plan, ctx, runner, reasonOf(e), phase, timed);
      }
    }
    return {
      outcome: withReported(outcome ?? success(plan, runner, syncing), [...reported, ...runner.writeProblems()]),
      phases,
      completed,
      removed,
      telemetry,
    };
  } finally {
    await runner.release();
    if (holding) ctx.signals.release();
  }
}

/** The outcome, with what was only reported (a hook, a journal write): it never changes the outcome. */
function withReported(o: Outcome, reported: string[]): Outcome {
  return reported.length ? { ...o, message: `${o.message}; but ${reported.join('; ')}`, reported: [...o.reported, ...reported] } : o;
}

/** Where a plan that ran every step ended. */
function stageOf(plan: Plan): Stage {
  return plan.verify ? 'verify' : plan.window.length ? 'window' : 'prepare';
}

/** Every step ran: the target is reached (or left stopped on purpose; or running and syncing, after a breaking switch). */
function success(plan: Plan, runner: StepRunner, syncing: SyncProgress | null): Outcome {
  const measures = runner.measures();
  const kind = plan.intent === 'finish-rollback' ? 'rolled-back' : 'applied';
  const sync = syncing?.to ? syncStateOf(syncing.to, syncing.to.at) : null;
  return {
    kind,
    stage: stageOf(plan),
    message: appliedMessage(plan, measures, sync, syncing?.measured ?? true),
    reasons: [],
    measures: measured(measures),
    reported: [],
    ...(sync ? { syncing: sync } : {}),
  };
}

/** A failed switch: its reasons, one line each, make its message. */
function failed(kind: Exclude<OutcomeKind, 'converged' | 'applied'>, stage: Stage, reasons: string[], m: Measures): Outcome {
  return { kind, stage, message: reasons.join('; '), reasons, measures: measured(m), reported: [] };
}

/** null when the window measured nothing (no window step ran). */
function measured(m: Measures): Measures | null {
  return m.windowMs === null && m.downtimeMs === null ? null : m;
}

/**
 * A window step or the verification failed: back to where the node was healthy, if the plan says
 * where. When the window failed before it changed what runs (the stop did not complete: nothing
 * was swapped, edited or started), the way back only brings the old node up again: the outcome is
 * then a refusal (exit 1), true once that node is up and healthy; nothing is marked bad.
 */
async function recover(
  plan: Plan,
  ctx: ApplyContext,
  runner: StepRunner,
  reason: string,
  phase: Phase,
  timed: <T>(phase: Phase, step: Step, fn: () => Promise<T>) => Promise<T>,
): Promise<Outcome> {
  const stage: Stage = phase === 'verify' ? 'verify' : 'window';
  ctx.log.error({ phase, reason }, phase === 'verify' ? 'the node is not healthy' : 'the switch failed before the node was verified');
  if (plan.intent === 'finish-rollback')
    return failed('must-act', stage, [`finishing the rollback failed: ${reason}`, 'the operator must act'], runner.measures());
  if (phase === 'window' && (await runner.untouched())) {
    return { ...refused('window', [`${reason}; nothing was switched and ${plan.switch?.leaving} still runs healthy`]), measures: measured(runner.measures()) };
  }
  const back = plan.onFailure;
  if (!back) return failed('must-act', stage, [reason, 'there is no version to roll back to: the operator must act'], runner.measures());
  const nothingSwitched = phase === 'window' && !runner.switched();
  ctx.log.warn({ to: back.to, reason }, nothingSwitched ? `nothing was switched; bringing ${back.to} up again` : `rolling back to ${back.to}`);
  try {
    for (const step of back.window) await timed('window', step, () => runner.window(step, reason));
    const v = back.verify ? await timed('verify', back.verify, () => runner.verify(back.verify!)) : null;
    if (v && !v.ok)
      return failed('must-act', stage, [reason, `the rollback to ${back.to} failed too: ${v.reason}`, 'the operator must act'], runner.measures());
  } catch (again) {
    return failed('must-act', stage, [reason, `the rollback to ${back.to} failed: ${reasonOf(again)}`, 'the operator must act'], runner.measures());
  }
  if (nothingSwitched) {
    const up = back.verify ? `${back.to} was started again once it had stopped, and is healthy` : `${back.to} is left stopped (service.running is false)`;
    return { ...refused('window', [`${reason}; nothing was switched: ${up}`]), measures: measured(runner.measures()) };
  }
  const healthy = back.verify ? `${back.to} is healthy again` : `${back.to} is back in place (not started: service.running is false)`;
  const restored = back.window.find((s) => s.kind === 'restore-db');
  const kept =
    restored && runner.switched() && (await exists(restored.aside))
      ? [`the DB ${restored.version} wrote is kept at ${restored.aside} (glr never deletes it)`]
      : [];
  return failed('rolled-back', stage, [reason, `rolled back: ${healthy}`, ...kept], runner.measures());
}

async function exists(p: string): Promise<boolean> {
  return (await lstatOrNull(p)) !== null;
}

/** A GlrError's line; anything else is a bug and says so. */
function reasonOf(e: unknown): string {
  if (isGlrError(e)) return e.message;
  // the host refusing a write (a read-only or full disk) is the host's problem, not a bug
  const err = e as NodeJS.ErrnoException;
  if (err?.syscall && err.code) return `${err.syscall} ${err.path ?? ''} failed: ${errnoText(e)}`;
  return `internal error (this is a bug in glr): ${e instanceof Error ? e.message : String(e)}`;
}

function preparationFailed(plan: Plan, e: unknown): string {
  if (isGlrError(e)) return e.message;
  return `preparing ${plan.target} failed: ${codeAndMessage(e)}; nothing was switched`;
}
