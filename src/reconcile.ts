import { DotEnvs } from './actions/dotenv.js';
import { emptyTrash } from './actions/retention.js';
import { apply, type Applied } from './apply/apply.js';
import type { Desired } from './desired/types.js';
import { errorLine, isGlrError } from './errors.js';
import { redact } from './genlayer/env-file.js';
import { observeWithSecrets } from './observe/observe.js';
import type { Observed } from './observe/types.js';
import { planAhead } from './plan/ahead.js';
import { refused, type Outcome } from './plan/outcome.js';
import { plan as computePlan } from './plan/plan.js';
import { isConverged } from './plan/steps.js';
import type { Plan } from './plan/types.js';
import { recordPass } from './record.js';
import { acquireLock, type HeldLock } from './runtime/lock.js';
import type { Logger } from './runtime/logger.js';
import { serviceManager } from './runtime/service.js';
import type { SignalGuard } from './runtime/signals.js';
import { tuningFromEnv, type Tuning } from './runtime/tuning.js';

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
}

export interface PassOptions {
  log: Logger;
  signals: SignalGuard;
  /** the lock, when the caller (the watcher) already holds it */
  lock?: HeldLock;
  tuning?: Tuning;
  /** called with the plan before it is applied (the watcher logs it) */
  onPlan?: (p: Plan) => void;
  /** false while the file cannot be read and the watcher goes on with the last valid state (metrics) */
  fileReadable?: boolean;
}

/**
 * One level-triggered pass: take the root's lock, finish an interrupted removal (the trash),
 * observe the whole host, plan against the whole file, apply exactly that plan, then record what
 * happened (src/record.ts: the history line of an apply, the metrics after every pass). Every way
 * it ends is an Outcome, a lock that cannot be taken and a host that cannot be observed included;
 * a pass that did not get the lock records nothing (the holder records its own).
 */
export async function reconcilePass(desired: Desired, opts: PassOptions): Promise<PassResult> {
  const { log } = opts;
  let lock: HeldLock;
  try {
    lock = opts.lock ?? (await acquireLock(desired.root, 'reconcile'));
  } catch (e) {
    return passResult(desired, failedToLook(e, log));
  }
  try {
    const r = await passUnderLock(desired, opts);
    await recordPass(desired, r, { log, fileReadable: opts.fileReadable ?? true });
    return r;
  } finally {
    if (!opts.lock) await lock.release();
  }
}

async function passUnderLock(desired: Desired, opts: PassOptions): Promise<PassResult> {
  const { log, signals } = opts;
  await emptyTrash(desired.layout, log).catch((e: unknown) => log.warn({ err: e }, 'could not finish an interrupted removal; the next run will'));
  let seen: { observed: Observed; secrets: readonly string[] };
  try {
    seen = await observeWithSecrets(desired);
  } catch (e) {
    return passResult(desired, failedToLook(e, log));
  }
  const { observed, secrets } = seen;
  const p = computePlan(desired, observed);
  opts.onPlan?.(p);
  for (const w of p.warnings) log.warn({ version: desired.version }, w);
  if (p.refusals.length) {
    log.warn({ refusals: p.refusals }, 'refused');
    return passResult(desired, refused('plan', p.refusals), p, observed);
  }
  if (isConverged(p)) {
    const message = `converged: ${desired.version} runs healthy; nothing to do`;
    return passResult(desired, { kind: 'converged', stage: 'plan', message, reasons: [], measures: null, reported: [] }, p, observed);
  }
  log.info({ target: p.target, switch: p.switch }, `plan: ${p.target}`);
  const applied = await applyOnHost(desired, p, secrets, { log, signals, tuning: opts.tuning ?? tuningFromEnv() });
  return passResult(desired, applied.outcome, p, observed, applied);
}

/**
 * `prepareAhead: patch`: prepare `ahead.version` beside the running node without switching to it
 * (`ahead` is the file's desired state as it would be for that version). Under the caller's lock.
 * Records nothing: nothing ran on another version (the next pass reports).
 */
export async function prepareAheadPass(ahead: Desired, opts: PassOptions & { lock: HeldLock }): Promise<PassResult> {
  let seen: { observed: Observed; secrets: readonly string[] };
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
  const applied = await applyOnHost(ahead, p, seen.secrets, { log: opts.log, signals: opts.signals, tuning: opts.tuning ?? tuningFromEnv() });
  return passResult(ahead, applied.outcome, p, seen.observed, applied);
}

/**
 * Applies `p` on the host. The service manager of the apply scrubs the running version's .env
 * values (observe read them) from whatever of its own output it quotes.
 */
function applyOnHost(desired: Desired, p: Plan, secrets: readonly string[], o: { log: Logger; signals: SignalGuard; tuning: Tuning }): Promise<Applied> {
  const service = serviceManager(desired.service, (text) => redact(text, secrets));
  return apply(p, { layout: desired.layout, healthUrl: desired.health.url, service, secrets, dotenvs: new DotEnvs(desired.layout), ...o });
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
  };
}
