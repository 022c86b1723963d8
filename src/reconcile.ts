import { readFile } from 'node:fs/promises';
import type { ApplyContext } from './actions/context.js';
import { apply, type Applied } from './apply/apply.js';
import type { Desired } from './desired/types.js';
import { envSecretValues, redact } from './genlayer/env-file.js';
import { Layout } from './layout.js';
import { emptyTrash } from './actions/retention.js';
import { isGlrError } from './errors.js';
import { observe } from './observe/observe.js';
import type { Observed } from './observe/types.js';
import { writePassMetrics } from './pass-metrics.js';
import { planAhead } from './plan/ahead.js';
import { runningVersion } from './observe/retention.js';
import { exitCodeOf, type Outcome } from './plan/outcome.js';
import { plan as computePlan } from './plan/plan.js';
import { isConverged } from './plan/steps.js';
import type { Plan } from './plan/types.js';
import { appendHistory } from './runtime/history.js';
import { acquireLock, type HeldLock } from './runtime/lock.js';
import type { Logger } from './runtime/logger.js';
import { serviceManager, type ServiceManager } from './runtime/service.js';
import type { SignalGuard } from './runtime/signals.js';
import { loggable } from './runtime/text.js';
import { tuningFromEnv, type Tuning } from './runtime/tuning.js';

/** How one pass ended (see Outcome), the plan it executed, and the steps that ran. */
export interface PassResult {
  outcome: Outcome;
  /** the version the file asks for */
  version: string;
  plan: Plan | null;
  phases: Applied['phases'];
  /** the host as the pass found it, before anything was applied; null when it could not be observed */
  observed: Observed | null;
}

export interface PassOptions {
  log: Logger;
  signals: SignalGuard;
  /** the lock, when the caller (the watcher) already holds it */
  lock?: HeldLock;
  service?: ServiceManager;
  tuning?: Tuning;
  /** called with the plan before it is applied (the watcher logs it) */
  onPlan?: (p: Plan) => void;
  /** false while the file cannot be read and the watcher goes on with the last valid state (metrics) */
  fileReadable?: boolean;
}

/**
 * One level-triggered pass: take the root's lock, finish an interrupted removal (the trash),
 * observe the whole host, plan against the whole file, apply exactly that plan, then record what
 * happened: one history line per apply (a refused plan and a converged host write none), and the
 * metrics textfile after every pass that got the lock (refused ones too, with their exit code).
 */
export async function reconcilePass(desired: Desired, opts: PassOptions): Promise<PassResult> {
  const { log, signals } = opts;
  const layout = new Layout(desired.root);
  const tuning = opts.tuning ?? tuningFromEnv();
  // filled once the active version is known; scrubs .env values from anything quoted back
  const secrets: string[] = [];
  const service = opts.service ?? serviceManager(desired.service, (text) => redact(text, secrets));
  const lock = opts.lock ?? (await acquireLock(desired.root, 'reconcile'));
  const report = (outcome: Outcome, observed: Observed | null) =>
    writePassMetrics(
      desired,
      {
        exitCode: exitCodeOf(outcome),
        converged: outcome.kind === 'converged' || outcome.kind === 'applied',
        observed,
        fileReadable: opts.fileReadable ?? true,
      },
      log,
    );
  try {
    await emptyTrash(layout, log).catch((e: unknown) => log.warn({ err: e }, 'could not finish an interrupted removal; the next run will'));
    let observed: Observed;
    try {
      observed = await observe(desired, { service });
    } catch (e) {
      if (isGlrError(e)) await report({ kind: 'refused', message: e.message }, null);
      throw e;
    }
    const p = computePlan(desired, observed);
    opts.onPlan?.(p);
    const result = (outcome: Outcome, phases: Applied['phases'] = []): PassResult => ({ outcome, version: desired.version, plan: p, phases, observed });
    for (const w of p.warnings) log.warn({ version: desired.version }, w);
    if (p.refusals.length) {
      log.warn({ refusals: p.refusals }, 'refused');
      const outcome: Outcome = { kind: 'refused', message: p.refusals.join('\n') };
      await report(outcome, observed);
      return result(outcome);
    }
    if (isConverged(p)) {
      const outcome: Outcome = { kind: 'converged', message: `converged: ${desired.version} runs healthy; nothing to do` };
      await report(outcome, observed);
      return result(outcome);
    }

    log.info({ target: p.target, switch: p.switch }, `plan: ${p.target}`);
    const applied = await applyOnHost(desired, observed, p, { log, signals, service, secrets, tuning });
    await record(layout, p, observed, desired.version, applied).catch((e: unknown) =>
      log.warn({ err: loggable(e) }, 'could not record the result in the history'),
    );
    // the host as the apply left it, for the metrics (only when they are written)
    if (desired.metrics.textfile) await report(applied.outcome, await observe(desired, { service }).catch(() => null));
    return result(applied.outcome, applied.phases);
  } finally {
    if (!opts.lock) await lock.release();
  }
}

/** The history line of an apply. */
async function record(layout: Layout, p: Plan, observed: Observed, version: string, a: Applied): Promise<void> {
  const o = a.outcome;
  if (o.kind === 'converged') return;
  const measured = 'windowMs' in o ? o : { windowMs: null, downtimeMs: null };
  const ran = observed.service.state === 'running' || observed.service.state === 'restarting' ? runningVersion(observed) : null;
  await appendHistory(layout.history, {
    at: new Date().toISOString(),
    // the version that ran before: the one the switch left, else the one that ran (a repair, a restart)
    from: p.switch?.leaving ?? ran,
    version,
    outcome: o.kind,
    exitCode: exitCodeOf(o),
    downtimeMs: 'downtimeMs' in measured ? measured.downtimeMs : null,
    windowMs: measured.windowMs,
    phases: a.phases,
    ...(o.kind === 'applied' ? {} : { reason: o.message.split('\n')[0]! }),
    message: o.message,
    ...(a.reported.length ? { hookFailures: a.reported } : {}),
  });
}

/** The running version's .env values, kept in memory only to scrub them from foreign text. */
async function secretsOf(layout: Layout, version: string | null): Promise<string[]> {
  if (!version) return [];
  try {
    return envSecretValues(await readFile(layout.env(layout.versionDir(version)), 'utf8'));
  } catch {
    return [];
  }
}

/**
 * Applies `p` on the host: the running version's .env values are read first (kept in memory
 * only, to scrub them from text glr did not write, see `secrets`).
 */
async function applyOnHost(
  desired: Desired,
  observed: Observed,
  p: Plan,
  o: { log: Logger; signals: SignalGuard; service: ServiceManager; secrets: string[]; tuning: Tuning },
): Promise<Applied> {
  const layout = new Layout(desired.root);
  o.secrets.push(...(await secretsOf(layout, observed.source?.version ?? p.switch?.leaving ?? null)));
  const ctx: ApplyContext = { layout, healthUrl: desired.health.url, ...o };
  return apply(p, ctx);
}

/**
 * `prepareAhead: patch`: prepare `ahead.version` beside the running node without switching to it
 * (`ahead` is the file's desired state as it would be for that version). Under the caller's lock.
 * Writes no history line and no metrics: nothing ran on another version (the next pass reports).
 */
export async function prepareAheadPass(ahead: Desired, opts: PassOptions & { lock: HeldLock }): Promise<PassResult> {
  const secrets: string[] = [];
  const service = opts.service ?? serviceManager(ahead.service, (text) => redact(text, secrets));
  const observed = await observe(ahead, { service });
  const p = planAhead(ahead, observed);
  const result = (outcome: Outcome, phases: Applied['phases'] = []): PassResult => ({ outcome, version: ahead.version, plan: p, phases, observed });
  if (p.refusals.length) return result({ kind: 'refused', message: p.refusals.join('\n') });
  if (isConverged(p)) return result({ kind: 'converged', message: `${ahead.version} is prepared already` });
  opts.onPlan?.(p);
  const applied = await applyOnHost(ahead, observed, p, {
    log: opts.log,
    signals: opts.signals,
    service,
    secrets,
    tuning: opts.tuning ?? tuningFromEnv(),
  });
  return result(applied.outcome, applied.phases);
}
