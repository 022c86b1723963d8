import { readFile } from 'node:fs/promises';
import { tuningFromEnv, type ApplyContext, type Tuning } from './actions/context.js';
import { apply } from './apply.js';
import type { Desired } from './desired/types.js';
import { ExitCode, isGlrError, type ExitCode as Code } from './errors.js';
import { envSecretValues, redact } from './genlayer/env-file.js';
import { Layout } from './layout.js';
import { observe } from './observe/observe.js';
import { plan as computePlan } from './plan/plan.js';
import type { Plan } from './plan/types.js';
import { appendHistory, isOpen, writeJournal, type HistoryRecord } from './runtime/journal.js';
import { acquireLock, type HeldLock } from './runtime/lock.js';
import type { Logger } from './runtime/logger.js';
import type { SignalGuard } from './runtime/signals.js';
import { serviceManager, type ServiceManager } from './runtime/service.js';

/**
 * How one reconcile pass ended. The exit code is the contract's:
 * - converged (0): nothing to do
 * - applied (0): the plan ran and the node is healthy on the desired version
 * - refused (1): refused or failed before the switch; node, links and files as they were
 * - rolled-back (3): the switch failed, the previous version is healthy again
 * - operator-must-act (4): the switch failed and could not be undone
 */
export interface PassResult {
  exitCode: Code;
  outcome: 'converged' | 'applied' | 'refused' | 'rolled-back' | 'operator-must-act';
  message: string;
  version: string;
  plan: Plan | null;
  windowMs?: number;
  downtimeMs?: number;
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

/** How an apply that ran ended, by its exit code. */
const APPLIED_OUTCOME: Partial<Record<Code, PassResult['outcome']>> = {
  [ExitCode.ok]: 'applied',
  [ExitCode.refused]: 'refused',
  [ExitCode.rolledBack]: 'rolled-back',
  [ExitCode.operatorMustAct]: 'operator-must-act',
};

/** One level-triggered pass: observe the whole host, plan against the whole file, apply. */
export async function reconcilePass(desired: Desired, opts: PassOptions): Promise<PassResult> {
  const { log, signals } = opts;
  const layout = new Layout(desired.root);
  // filled once the active version is known; scrubs .env values from anything quoted back
  const secrets: string[] = [];
  const service = opts.service ?? serviceManager(desired.service, (text) => redact(text, secrets));
  const lock = opts.lock ?? (await acquireLock(desired.root, 'reconcile'));
  try {
    const observed = await observe(desired, { service });
    const p = computePlan(desired, observed);
    opts.onPlan?.(p);
    const base = { version: desired.version, plan: p };
    if (p.refusals.length) {
      log.warn({ refusals: p.refusals }, 'refused');
      return { ...base, exitCode: ExitCode.refused, outcome: 'refused', message: p.refusals.join('\n') };
    }
    if (p.actions.length === 0) {
      if (isOpen(observed.journal)) {
        await writeJournal(layout, { ...observed.journal, phase: 'done', at: new Date().toISOString(), pid: process.pid });
      }
      return { ...base, exitCode: ExitCode.ok, outcome: 'converged', message: `converged: ${desired.version} runs healthy; nothing to do` };
    }
    log.info({ version: desired.version, from: p.from, actions: p.actions.map((a) => a.kind) }, `plan: ${p.actions.length} action(s)`);
    secrets.push(...(await secretsOf(layout, observed.source?.version ?? p.from)));
    const ctx: ApplyContext = {
      layout,
      log,
      service,
      healthUrl: desired.health.url,
      signals,
      secrets,
      tuning: opts.tuning ?? tuningFromEnv(),
    };
    let result: PassResult;
    try {
      const r = await apply(p, ctx);
      result = { ...base, ...r, outcome: APPLIED_OUTCOME[r.exitCode] ?? 'refused' };
    } catch (e) {
      if (!isGlrError(e)) throw e;
      result = { ...base, exitCode: e.code, outcome: 'refused', message: e.message };
    }
    await appendHistory(layout, {
      at: new Date().toISOString(),
      version: p.version,
      from: p.from,
      outcome: result.outcome === 'operator-must-act' ? 'failed' : (result.outcome as HistoryRecord['outcome']),
      exitCode: result.exitCode,
      message: result.message,
      ...(result.downtimeMs !== undefined ? { downtimeMs: result.downtimeMs } : {}),
    }).catch((e: unknown) => log.warn({ err: e }, 'could not record the result in the history'));
    return result;
  } finally {
    if (!opts.lock) await lock.release();
  }
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
