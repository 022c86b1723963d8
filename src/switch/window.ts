import path from 'node:path';
import type { ApplyContext } from '../actions/context.js';
import { restoreLlm, setLlm } from '../actions/set-llm.js';
import { ExitCode, GlrError, isGlrError, refuse } from '../errors.js';
import type { Measures, OutcomeKind } from '../plan/outcome.js';
import type { Plan, SetLlmStep, VerifyStep } from '../plan/types.js';
import { failpoint } from '../runtime/failpoint.js';
import { readHealth } from '../runtime/health.js';
import { describeHealth, isHealthyOn, somethingAnswers } from '../runtime/health-reading.js';
import { writeJournal, type JournalEntry, type JournalPhase } from '../runtime/journal.js';
import { readlinkOrNull, replaceLink } from '../runtime/links.js';
import { errnoText } from '../runtime/text.js';
import { StillRunning, stopAndConfirm } from './stop.js';
import { waitHealthy, waitSyncedPast, watchLastHealthy, type VerifyResult } from './verify.js';
import { waitProgress } from './progress.js';

/** The journal phase each outcome closes a switch with. */
const CLOSING: Record<Exclude<OutcomeKind, 'converged'>, JournalPhase> = {
  applied: 'done',
  'rolled-back': 'rolled-back',
  refused: 'aborted',
  'must-act': 'failed',
};

/** What the window measured, in Date.now() milliseconds. */
interface WindowTimes {
  /** the first stop began */
  stoppedAt: number | null;
  /** the last healthy answer of the node being stopped (the downtime starts here) */
  lastHealthyAt: number | null;
  /** the first start returned */
  startedAt: number | null;
  /** the first healthy answer after the last start */
  healthyAt: number | null;
}

/**
 * The critical window, one method per step the plan can name in it (see `Plan.window` and
 * `Rollback.window`). Everything slow or fallible happened before it. The journal records the
 * switch at each step, always through `record`: a crash at any instant leaves a witness of where
 * the switch got to. The node is never started unless the manager has just confirmed none runs.
 */
export class SwitchWindow {
  private readonly times: WindowTimes = { stoppedAt: null, lastHealthyAt: null, startedAt: null, healthyAt: null };
  private readonly begunAt = new Date().toISOString();
  private phase: JournalPhase | null = null;
  /** set when this window confirmed the node stopped; cleared by a start */
  private confirmedStopped = false;
  /** a stop this window asked for reached the node (its command returned 0): the node is going down */
  private stopDelivered = false;
  /** this window changed what runs: `current` moved, the LLM config was edited, or a node was started */
  private changed = false;
  /** this window's set-llm began (restore-llm has something to put back) */
  private llmSet = false;
  /** the first journal write that failed, as the outcome reports it */
  private unwritten: string | null = null;

  constructor(
    private readonly ctx: ApplyContext,
    private readonly plan: Plan,
  ) {}

  /**
   * The one place a journal record is built. The journal serves recovery; a write that fails
   * never keeps glr from bringing a node up: once the window has begun, the failure is logged and
   * reported in the outcome (`unwritten`), and the window goes on. Only the opening record of a
   * switch that would stop a running node refuses it (the node stays up) when it cannot be written.
   */
  private async record(phase: JournalPhase, reason?: string): Promise<void> {
    const { layout, log } = this.ctx;
    const sw = this.plan.switch ?? { leaving: null, entering: this.plan.target };
    const entry: JournalEntry = {
      leaving: sw.leaving,
      entering: sw.entering,
      phase,
      at: new Date().toISOString(),
      startedAt: this.begunAt,
      pid: process.pid,
      ...(reason ? { reason } : {}),
      // a switch verified by its sync's progress, with a way back: a breaking one
      ...(this.plan.verify?.progressSeconds && this.plan.onFailure ? { breaking: true as const } : {}),
    };
    try {
      await writeJournal(layout, entry);
    } catch (e) {
      const where = (e as NodeJS.ErrnoException).path;
      const why = `${where && where !== layout.journal && !where.includes('.journal.json.') ? `${where}: ` : ''}${errnoText(e)}`;
      // a running node about to be stopped stays up; a node that is down is brought up regardless
      const beforeTheStop = phase === 'switching' && this.times.stoppedAt === null && this.plan.window.some((w) => w.kind === 'stop');
      if (beforeTheStop) throw refuse(`the journal (${layout.journal}) cannot be written: ${why}`);
      this.unwritten ??= `the journal (${layout.journal}) could not be written: ${why}`;
      log.error({ phase, err: why }, `could not record ${phase} in the journal; going on (a node is brought up regardless)`);
    }
    this.phase = phase;
    await failpoint(phase, log);
  }

  async openJournal(phase: 'switching' | 'rolling-back', reason?: string): Promise<void> {
    await this.record(phase, reason);
  }

  async closeJournal(outcome: Exclude<OutcomeKind, 'converged'>, reason?: string): Promise<void> {
    await this.record(CLOSING[outcome], outcome === 'applied' ? undefined : reason);
  }

  /**
   * Stop, then wait until the manager confirms it (see stop.ts: as long as the manager's own stop
   * may take): nothing else starts while anything runs.
   */
  async stop(): Promise<void> {
    const first = this.times.stoppedAt === null;
    const watch = first ? watchLastHealthy(this.ctx, this.stoppingVersion()) : null;
    if (first) this.times.stoppedAt = Date.now();
    try {
      const { delivered } = await stopAndConfirm(this.ctx);
      this.stopDelivered ||= delivered;
    } catch (e) {
      // a stop command that returned 0 reached the node, even if it has not gone yet
      this.stopDelivered ||= e instanceof StillRunning && e.delivered;
      throw e;
    } finally {
      const last = watch?.stop() ?? null;
      if (first) this.times.lastHealthyAt = last;
    }
    this.confirmedStopped = true;
    await this.progress('stopped');
  }

  /** One rename of a fresh link over `current`: every switch link follows at once. */
  async swap(to: string): Promise<void> {
    const before = await readlinkOrNull(this.ctx.layout.current).catch(() => null);
    if (before === null || path.basename(before) !== to) this.changed = true;
    await replaceLink(this.ctx.layout.current, to);
    await this.progress('swapped');
  }

  async setLlm(step: SetLlmStep): Promise<void> {
    this.changed = true;
    this.llmSet = true;
    await setLlm(this.ctx, step.version, step.providers, step.keepPrevious);
  }

  /** Puts back the LLM config this window's set-llm saved; nothing when it did not get to run. */
  async restoreLlm(version: string): Promise<void> {
    if (this.llmSet) await restoreLlm(this.ctx, version);
  }

  /**
   * Starts the node. When this window did not itself confirm the node stopped (it was found
   * stopped when the plan was made), the manager is asked again first; and whatever the manager
   * says, nothing may answer on the health URL: a node there runs, and a start would be a second.
   */
  async start(): Promise<void> {
    const { service, healthUrl, tuning } = this.ctx;
    if (!this.confirmedStopped) {
      const state = await service.state();
      if (state !== 'stopped')
        throw new GlrError(ExitCode.operatorMustAct, `the node runs again before glr started it (service ${state}); not starting a second one`);
    }
    const there = await readHealth(healthUrl, tuning.healthRequestMs);
    if (somethingAnswers(there)) {
      throw new GlrError(
        ExitCode.operatorMustAct,
        `a node answers on ${healthUrl} (${describeHealth(there)}) although ${service.description} says stopped: not starting a second node`,
      );
    }
    this.confirmedStopped = false;
    this.changed = true;
    // a start's exit code is a hint (a start script may start the node and then fail): the status decides
    const failed = await service.start().then(
      () => null,
      (e: unknown) => e,
    );
    if (failed !== null) {
      if ((await service.state().catch(() => null)) !== 'running') throw failed;
      this.ctx.log.warn(
        { err: isGlrError(failed) ? failed.message : String(failed) },
        `the start command failed, but ${service.description} says running; verifying it`,
      );
    }
    if (this.times.startedAt === null) {
      this.times.startedAt = Date.now();
      const { windowMs } = this.measures();
      if (windowMs !== null) this.ctx.log.info({ windowMs }, `switch window ${windowMs} ms`);
    }
    this.times.healthyAt = null;
    await this.progress('started');
  }

  /**
   * Healthy on the step's version within its time; with `syncedBlock: 'at-least-noted'`, its
   * synced block must then reach `noted`, the one the backup noted, within the same time (else:
   * not healthy).
   */
  async verify(step: VerifyStep, noted: number | null): Promise<VerifyResult> {
    if (step.progressSeconds !== null) {
      const r = await waitProgress(this.ctx, step.version, step.timeoutSeconds * 1000, step.progressSeconds * 1000);
      // only a healthy answer ends the downtime; a node accepted while it syncs is not validating yet
      if (r.ok && !r.sync) this.times.healthyAt = r.at;
      return r;
    }
    const { version, timeoutSeconds } = step;
    const deadline = Date.now() + timeoutSeconds * 1000;
    const r = await waitHealthy(this.ctx, version, timeoutSeconds * 1000);
    if (r.ok && step.syncedBlock === 'at-least-noted') {
      if (noted === null) this.ctx.log.warn({ version }, 'no synced block was noted before the stop (/metrics did not answer); not compared');
      else {
        const synced = await waitSyncedPast(this.ctx, version, noted, deadline);
        if (!synced.ok) return synced;
      }
    }
    if (r.ok) {
      this.times.healthyAt = r.at;
      const m = this.measures();
      this.ctx.log.info({ version, ...m }, m.downtimeMs === null ? `healthy on ${version}` : `healthy on ${version}; down ${m.downtimeMs} ms`);
    }
    return r;
  }

  /**
   * After a failed window step: true when nothing was switched, no stop reached the node, and it
   * still runs healthy as it began, so that the failure is a plain refusal (exit 1) and no
   * rollback is needed. A node that was asked to stop is never "still running": it may go down
   * at any moment, and glr brings one up before it returns.
   */
  async untouched(): Promise<boolean> {
    const sw = this.plan.switch;
    if (!sw?.leaving || this.changed || this.stopDelivered) return false;
    const current = await readlinkOrNull(this.ctx.layout.current).catch(() => null);
    const swapped = current !== null && path.basename(current) === sw.entering && sw.leaving !== sw.entering;
    if (swapped) return false;
    const state = await this.ctx.service.state().catch(() => null);
    return state === 'running' && isHealthyOn(await readHealth(this.ctx.healthUrl), sw.leaving);
  }

  /** What the window could not write (the journal), one line each: reported with the outcome. */
  writeProblems(): string[] {
    return this.unwritten ? [this.unwritten] : [];
  }

  /** A start of this window returned (the version entered may have written to its DB). */
  startedOnce(): boolean {
    return this.times.startedAt !== null;
  }

  /** Whether this window changed what runs (see `changed`): after a failure, whether anything was switched. */
  switched(): boolean {
    return this.changed;
  }

  /** The window's own measures: stop → start returned, and the downtime as a prober sees it. */
  measures(): Measures {
    const t = this.times;
    const windowMs = t.stoppedAt !== null && t.startedAt !== null ? t.startedAt - t.stoppedAt : null;
    const downFrom = t.lastHealthyAt ?? t.stoppedAt;
    const downtimeMs = downFrom !== null && t.healthyAt !== null && t.startedAt !== null ? Math.max(0, t.healthyAt - downFrom) : null;
    return { windowMs, downtimeMs };
  }

  /** While switching, each step is recorded; a rollback records only its start and its end. */
  private async progress(phase: 'stopped' | 'swapped' | 'started'): Promise<void> {
    if (this.phase === 'switching' || this.phase === 'stopped' || this.phase === 'swapped') await this.record(phase);
  }

  /** the version the node being stopped runs: the one whose last healthy answer starts the downtime */
  private stoppingVersion(): string | null {
    return this.plan.intent === 'finish-rollback' ? null : (this.plan.switch?.leaving ?? null);
  }
}
