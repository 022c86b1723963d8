import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import type { ApplyContext } from '../actions/context.js';
import { restoreLlm, setLlm } from '../actions/set-llm.js';
import { ExitCode, GlrError, isGlrError } from '../errors.js';
import type { Action, Plan, VerifyAction } from '../plan/types.js';
import { isHealthyOn, readHealth } from '../runtime/health.js';
import { writeJournal, type JournalEntry, type JournalPhase } from '../runtime/journal.js';
import { readlinkOrNull, replaceLink } from '../runtime/links.js';
import { failpoint } from '../runtime/failpoint.js';
import { waitHealthy } from './verify.js';

export interface WindowResult {
  exitCode: ExitCode;
  message: string;
  /** from the stop to the start returning: what glr adds to the node's own stop + start */
  windowMs?: number;
  /** from the stop to healthy on the new version: the validator's downtime */
  downtimeMs?: number;
}

/**
 * The critical window. Everything slow or fallible happened before it. Signals are held for its
 * whole length: it ends with a node up (the new one, or the old one back), or with exit 4.
 *
 *   journal switching → stop, confirm → journal stopped → rename current → journal swapped →
 *   start → journal started → healthy? journal done : rollback
 */
export async function runWindow(ctx: ApplyContext, plan: Plan, actions: Action[]): Promise<WindowResult> {
  return ctx.signals.hold(() => new Window(ctx, plan, actions).run());
}

class Window {
  /** the version this window brings up */
  private readonly to: string;
  /** the last healthy version: where a rollback returns (the journal's `from`) */
  private readonly from: string | null;
  private readonly startedAt = new Date().toISOString();
  private t0 = 0;
  private windowMs: number | undefined;
  /** set when this window confirmed the node stopped; cleared by a start */
  private confirmedStopped = false;

  constructor(
    private readonly ctx: ApplyContext,
    private readonly plan: Plan,
    private readonly actions: Action[],
  ) {
    this.to = plan.version;
    const verify = actions.find((a): a is VerifyAction => a.kind === 'verify');
    // after a crash the links may already name the new version: the rollback target is what the
    // plan carried over from the journal, not what the links say now
    this.from = verify ? verify.rollbackTo : plan.from;
  }

  async run(): Promise<WindowResult> {
    const rollingBack = this.plan.intent === 'finish-rollback';
    await this.journal(rollingBack ? 'rolling-back' : 'switching');
    this.t0 = Date.now();
    const verify = this.actions.find((a): a is VerifyAction => a.kind === 'verify');
    const steps: Record<string, number> = {};

    try {
      for (const a of this.actions) {
        if (a.kind === 'verify') continue;
        const t = Date.now();
        this.ctx.log.info({ action: a.kind, group: a.group }, a.description);
        switch (a.kind) {
          case 'stop':
            await this.stopConfirmed();
            if (!rollingBack) await this.journal('stopped');
            break;
          case 'set-llm':
            await setLlm(this.ctx, a.version, a.providers, true);
            break;
          case 'swap':
            await this.swap(a.to);
            if (!rollingBack) await this.journal('swapped');
            break;
          case 'start':
            await this.startChecked();
            this.windowMs = Date.now() - this.t0;
            if (!rollingBack) await this.journal('started');
            break;
          default:
            throw new Error(`action ${a.kind} does not belong in the switch window`);
        }
        steps[a.kind] = Date.now() - t;
      }
    } catch (e) {
      const reason = isGlrError(e) ? e.message : String(e);
      this.ctx.log.error({ err: reason }, 'the switch failed before the node was verified');
      if (rollingBack) return this.close('failed', ExitCode.operatorMustAct, `finishing the rollback failed: ${reason}; the operator must act`);
      return this.afterEarlyFailure(reason);
    }
    if (this.windowMs !== undefined) this.ctx.log.info({ steps, windowMs: this.windowMs }, `switch window ${this.windowMs} ms`);

    if (!verify) {
      return this.close(
        rollingBack ? 'rolled-back' : 'done',
        rollingBack ? ExitCode.rolledBack : ExitCode.ok,
        rollingBack
          ? `back on ${this.to} (node not started: service.running is false)`
          : `${this.to} is in place (node left stopped: service.running is false)`,
      );
    }
    this.ctx.log.info({ action: 'verify', group: 'verify' }, verify.description);
    const v = await waitHealthy(this.ctx, verify.version, verify.timeoutSeconds * 1000);
    const downtimeMs = Date.now() - this.t0;
    if (v.ok) {
      if (this.windowMs === undefined) this.ctx.log.info({ version: verify.version, healthyAfterMs: v.ms }, `healthy on ${verify.version}`);
      else
        this.ctx.log.info(
          { version: verify.version, downtimeMs, windowMs: this.windowMs, healthyAfterMs: v.ms },
          `healthy on ${verify.version}; down ${downtimeMs} ms`,
        );
      if (rollingBack) return this.close('rolled-back', ExitCode.rolledBack, `the interrupted rollback is finished: ${verify.version} is healthy again`);
      const how = this.windowMs === undefined ? 'nothing restarted' : `switch window ${this.windowMs} ms; validator down ${downtimeMs} ms`;
      return { ...(await this.close('done', ExitCode.ok, `${verify.version} is healthy (${how})`)), ...(this.windowMs === undefined ? {} : { downtimeMs }) };
    }
    this.ctx.log.error({ reason: v.reason }, 'the new version is not healthy');
    if (rollingBack || verify.rollbackTo === null) {
      return this.close('failed', ExitCode.operatorMustAct, `${v.reason}; there is no version to roll back to: the operator must act`);
    }
    return this.rollback(verify.rollbackTo, v.reason, verify.timeoutSeconds * 1000);
  }

  /** A step before verification failed: if nothing was switched yet, the old node may still run. */
  private async afterEarlyFailure(reason: string): Promise<WindowResult> {
    const current = await readlinkOrNull(this.ctx.layout.current).catch(() => null);
    const swapped = current !== null && path.basename(current) === this.to && this.from !== this.to;
    if (!swapped && this.from) {
      const state = await this.ctx.service.state().catch(() => null);
      if (state === 'running' && isHealthyOn(await readHealth(this.ctx.healthUrl), this.from)) {
        return this.close('done', ExitCode.refused, `${reason}; nothing was switched and ${this.from} still runs healthy`);
      }
    }
    if (!this.from) return this.close('failed', ExitCode.operatorMustAct, `${reason}; there is no version to roll back to: the operator must act`);
    return this.rollback(this.from, reason, 300_000);
  }

  /** stop the new node, confirm it, put `current` (or the LLM config) back, start, verify */
  private async rollback(target: string, reason: string, timeoutMs: number): Promise<WindowResult> {
    this.ctx.log.warn({ from: this.to, to: target, reason }, `rolling back to ${target}`);
    await this.journal('rolling-back', reason);
    try {
      await this.stopConfirmed();
      if (target === this.to) await restoreLlm(this.ctx, target);
      else await this.swap(target);
      if (this.plan.actions.some((a) => a.kind === 'start')) {
        await this.startChecked();
        const v = await waitHealthy(this.ctx, target, timeoutMs);
        if (!v.ok) return this.close('failed', ExitCode.operatorMustAct, `${reason}; the rollback to ${target} failed too: ${v.reason}; the operator must act`);
      }
    } catch (e) {
      const why = isGlrError(e) ? e.message : String(e);
      return this.close('failed', ExitCode.operatorMustAct, `${reason}; the rollback to ${target} failed: ${why}; the operator must act`);
    }
    return this.close('rolled-back', ExitCode.rolledBack, `${reason}; rolled back: ${target} is healthy again`);
  }

  /** Never start while anything runs: stop, then wait for the manager to confirm it. */
  private async stopConfirmed(): Promise<void> {
    const { service, tuning } = this.ctx;
    await service.stop();
    const deadline = Date.now() + tuning.confirmStopMs;
    for (;;) {
      const state = await service.state();
      if (state === 'stopped') {
        this.confirmedStopped = true;
        return;
      }
      if (Date.now() > deadline)
        throw new GlrError(ExitCode.operatorMustAct, `${service.description} did not stop (it says ${state}); nothing else was started`);
      await sleep(100);
    }
  }

  /**
   * Starts the node. When this window did not itself confirm the node stopped (it was found
   * stopped when the plan was made), the manager is asked again first: never start a second one.
   */
  private async startChecked(): Promise<void> {
    if (!this.confirmedStopped) {
      const state = await this.ctx.service.state();
      if (state !== 'stopped')
        throw new GlrError(ExitCode.operatorMustAct, `the node runs again before glr started it (service ${state}); not starting a second one`);
    }
    this.confirmedStopped = false;
    await this.ctx.service.start();
  }

  private async swap(to: string): Promise<void> {
    await replaceLink(this.ctx.layout.current, to);
  }

  private async journal(phase: JournalPhase, reason?: string): Promise<void> {
    const entry: JournalEntry = {
      from: this.from,
      to: this.to,
      phase,
      at: new Date().toISOString(),
      startedAt: this.startedAt,
      pid: process.pid,
      ...(reason ? { reason } : {}),
    };
    if (this.plan.intent === 'finish-rollback') {
      // an interrupted rollback keeps its direction: `from` is where it returns, `to` what failed
      entry.from = this.to;
      entry.to = this.plan.rollbackOf ?? this.to;
    }
    await writeJournal(this.ctx.layout, entry);
    await failpoint(phase, this.ctx.log);
  }

  private async close(phase: JournalPhase, exitCode: ExitCode, message: string): Promise<WindowResult> {
    await this.journal(phase, exitCode === ExitCode.ok ? undefined : message);
    return { exitCode, message, ...(this.windowMs !== undefined ? { windowMs: this.windowMs } : {}) };
  }
}
