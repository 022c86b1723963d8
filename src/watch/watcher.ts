import { createHash } from 'node:crypto';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { formatProblems, readDesired } from '../desired/load.js';
import type { Desired } from '../desired/types.js';
import { ExitCode, isGlrError, refuse } from '../errors.js';
import { exitCodeOf, type Outcome } from '../plan/outcome.js';
import { stepsOf } from '../plan/steps.js';
import { reconcilePass } from '../reconcile.js';
import { recordPass } from '../record.js';
import { acquireLock, type HeldLock } from '../runtime/lock.js';
import type { Logger } from '../runtime/logger.js';
import { SignalGuard } from '../runtime/signals.js';
import { observe } from '../observe/observe.js';
import { FailureMemory } from './failures.js';
import { AheadPreparer } from './prepare-ahead.js';

export interface WatchOptions {
  file: string;
  intervalMs: number;
  log: Logger;
  /** quiet time after the last file event before a pass (editors write in several steps) */
  debounceMs?: number;
  /** the first wait before a failed release is retried; it doubles up to 12× (5 min → 1 h by default) */
  failureBackoffMs: number;
}

type Trigger = 'start' | 'file' | 'interval';

/**
 * `glr watch`: a level-triggered controller. File events and the interval only wake it up;
 * each pass reads the whole file and observes the whole host, so a missed or duplicated event
 * costs nothing and drift (a link re-pointed, a node stopped, a folder deleted) is found within
 * one interval. One pass at a time: a change during an apply is taken up right after it.
 *
 * The loop's one switch, over how a pass ended (its Outcome; a lock that cannot be taken or a
 * host that cannot be observed is one too), one log line each:
 *   converged / applied → wait for the next wake-up
 *   refused             → log the reason; try again at the next wake-up (it may be transient)
 *   rolled-back / must-act → remember the failed release; retry only on a file change or after a backoff
 *
 * Every pass records itself (src/record.ts); a wake-up that a remembered failure holds back is
 * recorded too, with the failure it waits on, so that a waiting host does not look dead. After a
 * pass that left the host converged, `prepareAhead: patch` may prepare the next patch release
 * (prepare-ahead.ts).
 */
export class Watcher {
  private readonly signals: SignalGuard;
  private readonly failures: FailureMemory;
  private wake: (() => void) | null = null;
  private pending: Trigger | null = 'start';
  private lastValid: { desired: Desired; digest: string; text: string } | null = null;
  private readonly ahead: AheadPreparer;
  /** the digest of the file's text at the last look, when it could not be read or validated */
  private lastInvalid: string | null = null;
  private stopping = false;
  /** the root this watcher locked; the file may not move it elsewhere while it runs */
  private root = '';

  constructor(private readonly o: WatchOptions) {
    this.signals = new SignalGuard(o.log);
    this.failures = new FailureMemory(o.failureBackoffMs, o.failureBackoffMs * 12);
    this.ahead = new AheadPreparer({ log: o.log, intervalMs: o.intervalMs, backoffMs: o.failureBackoffMs, signals: this.signals });
  }

  /** the file could be read and validated at the last look (else the last valid state is used) */
  private get fileReadable(): boolean {
    return this.lastInvalid === null;
  }

  async run(): Promise<number> {
    const { log } = this.o;
    const first = await this.load();
    if (!first) throw refuse(`${this.o.file}: no valid desired state to start from (see the log line above)`);
    this.root = first.desired.root;
    const lock = await acquireLock(this.root, 'watch');
    // the guard aborts at once when idle or preparing, and only once a node is up in the window
    this.signals.install().signal.addEventListener('abort', () => this.stop());
    const watcher = this.watchFile();
    log.info({ file: this.o.file, intervalMs: this.o.intervalMs, root: first.desired.root }, 'watching');
    try {
      await this.loop(lock);
    } finally {
      this.signals.uninstall();
      await watcher.close();
      await lock.release();
      log.info('watch stopped');
    }
    return ExitCode.ok;
  }

  private async loop(lock: HeldLock): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    while (!this.stopping) {
      if (this.pending === null) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          timer = setTimeout(() => {
            this.pending ??= 'interval';
            resolve();
          }, this.o.intervalMs);
        });
        clearTimeout(timer);
        this.wake = null;
        continue;
      }
      const trigger = this.pending;
      this.pending = null;
      await this.pass(trigger, lock);
    }
  }

  private async pass(trigger: Trigger, lock: HeldLock): Promise<void> {
    const { log } = this.o;
    const loaded = await this.load();
    if (!loaded) return;
    const { desired, digest, text } = loaded;
    if (desired.root !== this.root) {
      log.error({ root: desired.root }, `the file now names another root (${desired.root}); glr watch keeps one root: restart it to follow`);
      return;
    }
    const blocked = this.failures.blocking(desired.version, desired.release.sha256, digest, Date.now());
    if (blocked) {
      log.info(
        { version: blocked.version, retryAt: new Date(blocked.retryAt).toISOString(), attempts: blocked.attempts },
        `${blocked.version} failed before (${blocked.reason}); not retrying it until the file changes or ${new Date(blocked.retryAt).toISOString()}`,
      );
      // still a pass for the metrics: the host is not where the file says, for the reason remembered
      if (desired.metrics.textfile) {
        const observed = await observe(desired).catch(() => null);
        const held: Outcome = { kind: blocked.kind, stage: 'plan', message: blocked.reason, reasons: [blocked.reason], measures: null, reported: [] };
        const r = { outcome: held, version: desired.version, plan: null, phases: [], completed: [], removed: [], observed, telemetry: null };
        await recordPass(desired, r, { log, fileReadable: this.fileReadable });
      }
      return;
    }
    const started = Date.now();
    log.info({ trigger, version: desired.version }, 'pass started');
    const result = await reconcilePass(desired, {
      log,
      signals: this.signals,
      lock,
      onPlan: (p) => {
        const steps = stepsOf(p).map((s) => s.step.kind);
        if (steps.length || p.refusals.length) {
          log.info({ steps, refusals: p.refusals, warnings: p.warnings, notes: p.notes }, `plan: ${p.refusals.length ? 'refused' : `${steps.length} step(s)`}`);
        }
      },
    });
    await recordPass(desired, result, { log, fileReadable: this.fileReadable });
    const ms = Date.now() - started;
    const o = result.outcome;
    switch (o.kind) {
      case 'converged':
        log.debug({ ms }, o.message);
        this.failures.clear();
        await this.ahead.afterConverged(desired, text, lock, result.observed);
        break;
      case 'applied':
        log.info({ ms, ...o.measures }, o.message);
        this.failures.clear();
        // the apply changed the host: what the pass observed before it no longer holds
        await this.ahead.afterConverged(desired, text, lock, null);
        break;
      case 'refused':
        log.warn({ ms, stage: o.stage, reasons: o.reasons }, o.message);
        break;
      case 'rolled-back':
      case 'must-act': {
        const f = this.failures.remember(desired.version, desired.release.sha256, digest, o.message, Date.now(), o.kind);
        const at = new Date(f.retryAt).toISOString();
        log.error({ ms, exitCode: exitCodeOf(o), retryAt: at }, `${o.message}; ${desired.version} will be tried again when the file changes or at ${at}`);
        break;
      }
    }
  }

  /** The file, validated; an invalid one is logged once and the last valid one is kept. */
  private async load(): Promise<{ desired: Desired; digest: string; text: string } | null> {
    const { log, file } = this.o;
    let text = '';
    let problem: string;
    try {
      const read = await readDesired(file);
      text = read.text;
      if (read.parsed.ok) {
        this.lastValid = { desired: read.parsed.desired, digest: digestOf(text), text };
        this.lastInvalid = null;
        return this.lastValid;
      }
      problem = formatProblems(file, read.parsed.problems);
    } catch (e) {
      if (!isGlrError(e)) throw e;
      problem = e.message;
    }
    const digest = digestOf(text);
    if (this.lastInvalid !== digest) {
      log.error({ file }, `${problem.split('\n').join('; ')}${this.lastValid ? ` — keeping the last valid state (${this.lastValid.desired.version})` : ''}`);
      this.lastInvalid = digest;
    }
    return this.lastValid;
  }

  /**
   * Watches the file's folder, not the file: editors and git replace files by rename or by
   * delete-and-create, which a watch on the file itself would lose.
   */
  private watchFile(): FSWatcher {
    const file = path.resolve(this.o.file);
    const dir = path.dirname(file);
    let debounce: NodeJS.Timeout | undefined;
    const w = watch(dir, { ignoreInitial: true, depth: 0, ignored: (p: string) => p !== dir && p !== file });
    w.on('all', (event, p) => {
      if (p !== file) return;
      this.o.log.debug({ event }, 'file event');
      clearTimeout(debounce);
      debounce = setTimeout(() => {
        this.pending = 'file';
        this.wake?.();
        void this.ahead.fileChanged(file);
      }, this.o.debounceMs ?? 300);
    });
    w.on('error', (e) => this.o.log.warn({ err: String(e) }, 'file watcher error; the interval still applies'));
    return w;
  }

  private stop(): void {
    this.stopping = true;
    this.wake?.();
  }
}

function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
