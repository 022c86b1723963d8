import { DotEnvs } from './actions/dotenv.js';
import { emptyTrash } from './actions/retention.js';
import { apply, type Applied } from './apply/apply.js';
import type { Desired } from './desired/types.js';
import { errorLine, isGlrError } from './errors.js';
import { redact } from './genlayer/env-file.js';
import { observeWithSecrets, type Seen } from './observe/observe.js';
import type { Observed } from './observe/types.js';
import { planAhead } from './plan/ahead.js';
import { refused, syncingWords, syncStateOf, type Outcome } from './plan/outcome.js';
import { isSyncingOn } from './runtime/health-reading.js';
import { plan as computePlan } from './plan/plan.js';
import { isConverged } from './plan/steps.js';
import type { Plan } from './plan/types.js';
import { recordPass } from './record.js';
import { acquireLock, type HeldLock } from './runtime/lock.js';
import type { Logger } from './runtime/logger.js';
import { serviceManager } from './runtime/service.js';
import type { SignalGuard } from './runtime/signals.js';
import { tuningFromEnv, type Tuning } from './runtime/tuning.js';
import type { TelemetryReading } from './runtime/telemetry.js';

/** How one pass ended (see Outcome), the plan it executed, and the steps that ran. */
export interface PassResult {
  outcome: Outcome;
  /** the version the file asks for */
  version: string;
  plan: Plan | null;
  phases: Applied['phases'];
  /** the steps that ran to their end, and the folders retention removed: what the apply changed */
  completed: Applied['completed'];
  removed: Applied['removed'];
  /** the host as the pass found it, before anything was applied; null when it could not be observed */
  observed: Observed | null;
  /** what the pass's check of the Alloy container saw after it changed the running version; null: it did not look */
  telemetry: TelemetryReading | null;
}

export interface PassOptions {
  log: Logger;
  signals: SignalGuard;
  tuning?: Tuning;
  /** called with the plan before it is applied (the watcher logs it) */
  onPlan?: (p: Plan) => void;
}

/**
 * `glr reconcile`: take the root's lock, run one pass under it, record the pass (src/record.ts),
 * let go of the lock. A lock that cannot be taken is an Outcome too, and records nothing (the
 * holder records its own passes).
 */
export async function reconcileOnce(desired: Desired, opts: PassOptions): Promise<PassResult> {
  let lock: HeldLock;
  try {
    lock = await acquireLock(desired.root, 'reconcile');
  } catch (e) {
    return passResult(desired, failedToLook(e, opts.log));
  }
  try {
    const r = await reconcilePass(desired, { ...opts, lock });
    await recordPass(desired, r, { log: opts.log, fileReadable: true });
    return r;
  } finally {
    await lock.release();
  }
}

/**
 * One level-triggered pass, under the caller's lock: finish an interrupted removal (the trash),
 * observe the whole host, plan against the whole file, apply exactly that plan. Every way it ends
 * is an Outcome, a host that cannot be observed included. The caller records it (recordPass).
 */
export async function reconcilePass(desired: Desired, opts: PassOptions & { lock: HeldLock }): Promise<PassResult> {
  const { log, signals } = opts;
  await emptyTrash(desired.layout, log).catch((e: unknown) => log.warn({ err: e }, 'could not finish an interrupted removal; the next run will'));
  let seen: Seen;
  try {
    seen = await observeWithSecrets(desired);
  } catch (e) {
    return passResult(desired, failedToLook(e, log));
  }
  const { observed } = seen;
  const p = computePlan(desired, observed);
  opts.onPlan?.(p);
  for (const w of p.warnings) log.warn({ version: desired.version }, w);
  if (p.refusals.length) {
    log.warn({ refusals: p.refusals }, 'refused');
    return passResult(desired, refused('plan', p.refusals), p, observed);
  }
  if (isConverged(p)) return passResult(desired, convergedOutcome(desired, observed), p, observed);
  log.info({ target: p.target, switch: p.switch }, `plan: ${p.target}`);
  const applied = await applyOnHost(desired, p, seen, { log, signals, tuning: opts.tuning ?? tuningFromEnv() });
  return passResult(desired, applied.outcome, p, observed, applied);
}

/**
 * `prepareAhead: patch`: prepare `ahead.version` beside the running node without switching to it
 * (`ahead` is the file's desired state as it would be for that version). Under the caller's lock.
 * Records nothing: nothing ran on another version (the next pass reports).
 */
export async function prepareAheadPass(ahead: Desired, opts: PassOptions & { lock: HeldLock }): Promise<PassResult> {
  let seen: Seen;
  try {
    seen = await observeWithSecrets(ahead);
  } catch (e) {
    return passResult(ahead, failedToLook(e, opts.log));
  }
  const p = planAhead(ahead, seen.observed);
  if (p.refusals.length) return passResult(ahead, refused('plan', p.refusals), p, seen.observed);
  if (isConverged(p)) {
    const message = `${ahead.version} is prepared already`;
    return passResult(ahead, { kind: 'converged', stage: 'plan', message, reasons: [], measures: null, reported: [] }, p, seen.observed);
  }
  opts.onPlan?.(p);
  const applied = await applyOnHost(ahead, p, seen, { log: opts.log, signals: opts.signals, tuning: opts.tuning ?? tuningFromEnv() });
  return passResult(ahead, applied.outcome, p, seen.observed, applied);
}

/**
 * Applies `p` on the host. The service manager of the apply scrubs the values of the node's
 * environment files (observe read them) from whatever of its own output it quotes, and bounds a
 * stop by the unit's TimeoutStopSec as observe read it.
 */
function applyOnHost(desired: Desired, p: Plan, seen: Seen, o: { log: Logger; signals: SignalGuard; tuning: Tuning }): Promise<Applied> {
  const { secrets, envValues } = seen;
  const service = serviceManager(desired.service, (text) => redact(text, secrets), seen.observed.unit?.stopTimeoutMs ?? null);
  return apply(p, { layout: desired.layout, healthUrl: desired.health.url, service, secrets, envValues, dotenvs: new DotEnvs(desired.layout), ...o });
}

/** Nothing to do: the node runs healthy on the desired version, or runs on it and syncs (GenLayer: 503 "node is not synced"). */
function convergedOutcome(desired: Desired, o: Observed): Outcome {
  const v = desired.version;
  const base = { kind: 'converged' as const, stage: 'plan' as const, reasons: [], measures: null, reported: [] };
  if (!isSyncingOn(o.health, v)) return { ...base, message: `converged: ${v} runs healthy; nothing to do` };
  const syncing = syncStateOf(o.sync, Date.now());
  return { ...base, message: `converged: ${v} runs and is ${syncingWords(syncing)}; nothing to do until it has caught up`, syncing };
}

/** The lock could not be taken or the host could not be looked at: a refusal, or a bug that says so. */
function failedToLook(e: unknown, log: Logger): Outcome {
  if (!isGlrError(e)) log.error({ err: e }, 'internal error: the pass failed');
  return refused('observe', [errorLine(e)]);
}

function passResult(desired: Desired, outcome: Outcome, plan: Plan | null = null, observed: Observed | null = null, applied?: Applied): PassResult {
  return {
    outcome,
    version: desired.version,
    plan,
    phases: applied?.phases ?? [],
    completed: applied?.completed ?? [],
    removed: applied?.removed ?? [],
    observed,
    telemetry: applied?.telemetry ?? null,
  };
}
