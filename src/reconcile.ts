import { readFile } from 'node:fs/promises';
import type { ApplyContext } from './actions/context.js';
import { apply, type Applied } from './apply/apply.js';
import type { Desired } from './desired/types.js';
import { envSecretValues, redact } from './genlayer/env-file.js';
import { Layout } from './layout.js';
import { observe } from './observe/observe.js';
import { exitCodeOf, type Outcome } from './plan/outcome.js';
import { plan as computePlan } from './plan/plan.js';
import { isConverged } from './plan/steps.js';
import type { Plan } from './plan/types.js';
import { appendHistory } from './runtime/history.js';
import { acquireLock, type HeldLock } from './runtime/lock.js';
import type { Logger } from './runtime/logger.js';
import { serviceManager, type ServiceManager } from './runtime/service.js';
import type { SignalGuard } from './runtime/signals.js';
import { tuningFromEnv, type Tuning } from './runtime/tuning.js';

/** How one pass ended (see Outcome), the plan it executed, and the steps that ran. */
export interface PassResult {
  outcome: Outcome;
  /** the version the file asks for */
  version: string;
  plan: Plan | null;
  phases: Applied['phases'];
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
}

/**
 * One level-triggered pass: take the root's lock, observe the whole host, plan against the whole
 * file, apply exactly that plan, then record what happened: one history line per apply. A refused
 * plan and a converged host write nothing.
 */
export async function reconcilePass(desired: Desired, opts: PassOptions): Promise<PassResult> {
  const { log, signals } = opts;
  const layout = new Layout(desired.root);
  const tuning = opts.tuning ?? tuningFromEnv();
  // filled once the active version is known; scrubs .env values from anything quoted back
  const secrets: string[] = [];
  const service = opts.service ?? serviceManager(desired.service, (text) => redact(text, secrets));
  const lock = opts.lock ?? (await acquireLock(desired.root, 'reconcile'));
  try {
    const observed = await observe(desired, { service });
    const p = computePlan(desired, observed);
    opts.onPlan?.(p);
    const result = (outcome: Outcome, phases: Applied['phases'] = []): PassResult => ({ outcome, version: desired.version, plan: p, phases });
    for (const w of p.warnings) log.warn({ version: desired.version }, w);
    if (p.refusals.length) {
      log.warn({ refusals: p.refusals }, 'refused');
      return result({ kind: 'refused', message: p.refusals.join('\n') });
    }
    if (isConverged(p)) return result({ kind: 'converged', message: `converged: ${desired.version} runs healthy; nothing to do` });

    log.info({ target: p.target, switch: p.switch }, `plan: ${p.target}`);
    secrets.push(...(await secretsOf(layout, observed.source?.version ?? p.switch?.leaving ?? null)));
    const ctx: ApplyContext = { layout, log, service, healthUrl: desired.health.url, signals, secrets, tuning, noted: { syncedBlock: null } };
    const applied = await apply(p, ctx);
    await record(layout, p, desired.version, applied).catch((e: unknown) => log.warn({ err: e }, 'could not record the result in the history'));
    return result(applied.outcome, applied.phases);
  } finally {
    if (!opts.lock) await lock.release();
  }
}

/** The history line of an apply. */
async function record(layout: Layout, p: Plan, version: string, a: Applied): Promise<void> {
  const o = a.outcome;
  if (o.kind === 'converged') return;
  const measured = 'windowMs' in o ? o : { windowMs: null, downtimeMs: null };
  await appendHistory(layout.history, {
    at: new Date().toISOString(),
    from: p.switch?.leaving ?? null,
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
