import { adopt } from '../actions/adopt.js';
import { backup } from '../actions/backup.js';
import { doctor, preSwitch } from '../actions/before-stop.js';
import { carry, installConfig } from '../actions/carry.js';
import { checkReady } from '../actions/check-ready.js';
import { checkVersion } from '../actions/check-version.js';
import { confirmDesired } from '../actions/confirm-desired.js';
import { createDb, removeCreated } from '../actions/database.js';
import { restoreSnapshot, takeSnapshot } from '../actions/snapshot.js';
import type { ApplyContext } from '../actions/context.js';
import { genvmSetup } from '../actions/genvm-setup.js';
import { cleanStaging, removeVersion } from '../actions/housekeeping.js';
import { linkDb } from '../actions/link-db.js';
import { linkRelease } from '../actions/link-release.js';
import { llmRelease } from '../actions/llm-release.js';
import { postSwitch } from '../actions/post-switch.js';
import { markPrepared } from '../actions/mark-prepared.js';
import { markRelease, prune } from '../actions/aftercare.js';
import { routeLinks } from '../actions/route-links.js';
import { setLlm } from '../actions/set-llm.js';
import { warmCache } from '../actions/warm-cache.js';
import type { Measures, Outcome } from '../plan/outcome.js';
import type { FinishStep, Plan, PrepareStep, VerifyStep, WindowStep } from '../plan/types.js';
import { trashAndDelete } from '../actions/retention.js';
import { isPreparing, readPrepared } from '../runtime/marker.js';
import { lowerPriority, type Lowered } from '../runtime/priority.js';
import { SwitchWindow } from '../switch/window.js';
import type { VerifyResult } from '../switch/verify.js';
import { chownVersion } from '../actions/chown.js';
import { checkTelemetry } from '../actions/telemetry.js';
import { checkWebdriver } from '../actions/webdriver.js';
import type { TelemetryReading } from '../runtime/telemetry.js';

/** What a finish step did that the record of the pass needs. */
export interface FinishDone {
  /** what went wrong and is only reported (a postSwitch hook that failed): one line each */
  reported: string[];
  /** version folders removed (retention) */
  removed: string[];
  /** what check-telemetry last saw of the Alloy container; null when it did not look */
  telemetry?: TelemetryReading | null;
}

const NOTHING: FinishDone = { reported: [], removed: [] };

/**
 * What executes each kind of step. `apply` decides the order (the plan's) and what a failure
 * leads to; a runner only does one step at a time. Tests substitute a recording runner to check
 * that the order executed is the order printed.
 */
export interface StepRunner {
  prepare(step: PrepareStep): Promise<void>;
  /** `reason`: why a rollback runs (recorded by its open-journal step) */
  window(step: WindowStep, reason?: string): Promise<void>;
  verify(step: VerifyStep): Promise<VerifyResult>;
  finish(step: FinishStep, outcome: Outcome): Promise<FinishDone>;
  /** after a failed preparation: remove the version folder it began, if it began one */
  undoPreparation(): Promise<void>;
  /** after a failed window step: nothing was switched, no stop reached the node, and it still runs healthy */
  untouched(): Promise<boolean>;
  /** the window changed what runs (`current` moved, the LLM config edited, a node started) */
  switched(): boolean;
  /** what the window could not write (the journal) and went on without: one line each */
  writeProblems(): string[];
  /** at the end of the apply, whatever happened: put back what the runner changed about glr itself */
  release(): Promise<void>;
  measures(): Measures;
}

/** The runner of a real host: actions for the preparation, the switch window for the rest. */
export class HostRunner implements StepRunner {
  private readonly window_: SwitchWindow;
  /** the preparation runs at low priority; put back before the window (see runtime/priority.ts) */
  private lowering: Promise<Lowered> | null = null;
  /** the synced block the backup noted before the stop, for the verify step to compare with */
  private notedBlock: number | null = null;
  /** the folders create-db made: a failed preparation takes them away again (while empty) */
  private createdDb: string[] = [];

  constructor(
    private readonly ctx: ApplyContext,
    private readonly plan: Plan,
  ) {
    this.window_ = new SwitchWindow(ctx, plan);
  }

  async prepare(s: PrepareStep): Promise<void> {
    const ctx = this.ctx;
    // Lowering waits on two ionice processes and reads every process's autogroup: 15-25 ms alone,
    // 55-95 ms beside the download's code loading (measured), all of it before the first byte if
    // the download waited for it. So the download starts at once and its first tens of ms run at
    // glr's own priority; every other step (and every child it spawns) waits until it is done.
    this.lowering ??= lowerPriority(ctx.log).catch((e: unknown): Lowered => {
      // never left unhandled while the download runs (lowering is meant never to fail)
      ctx.log.warn({ err: e }, 'the preparation runs at normal priority: lowering it failed');
      return { mode: 'none', restore: async () => {} };
    });
    if (s.kind !== 'download') await this.lowering;
    switch (s.kind) {
      case 'clean-staging':
        return cleanStaging(ctx, s.names);
      case 'remove-version':
        return removeVersion(ctx, s.version);
      case 'download': {
        // loaded only when a release is downloaded: a pass that downloads nothing never pays for
        // undici, tar and zlib
        const { download } = await import('../actions/download.js');
        await download(ctx, s);
        return;
      }
      case 'check-version':
        await checkVersion(ctx, s.version, s.sameDbAs);
        return;
      case 'create-db':
        this.createdDb = await createDb(ctx, s.sharedDb, s.ownerOf);
        return;
      case 'snapshot':
        return takeSnapshot(ctx, s);
      case 'genvm-setup':
        return genvmSetup(ctx, s.version, s.argv);
      case 'carry':
        return carry(ctx, s.from, s.version, s.configFile, s.envFile, s.envFiles);
      case 'link-db':
        return linkDb(ctx, s.version, s.sharedDb);
      case 'set-llm':
        return setLlm(ctx, s.version, s.providers, s.keepPrevious);
      case 'check-ready':
        return checkReady(ctx, s.version, s.links, s.env);
      case 'chown':
        return chownVersion(ctx, s.version, s);
      case 'webdriver':
        return checkWebdriver(ctx, s.container);
      case 'mark-prepared':
        return markPrepared(ctx, s.version, s.url, s.sharedDb, s.envFile);
      case 'backup':
        this.notedBlock = (await backup(ctx, s.version, s.keystore)).syncedBlock;
        return;
      case 'adopt':
        return adopt(ctx, s.version, s.sharedDb);
      case 'route-links':
        return routeLinks(ctx, s.version, s.links);
      case 'warm-cache':
        await warmCache(ctx, s.version);
        return;
      case 'llm-release':
        return llmRelease(ctx, s.version, s.strategy);
      case 'install-config':
        return installConfig(ctx, s.version, s.file);
      case 'doctor':
        return doctor(ctx, s);
      case 'pre-switch':
        return preSwitch(ctx, s.version, s.from, s.hooks, s.env);
      case 'link-release':
        return linkRelease(ctx, s.version, s.names);
      case 'confirm-desired':
        return confirmDesired(ctx, s);
    }
  }

  async window(s: WindowStep, reason?: string): Promise<void> {
    const w = this.window_;
    // a node started as glr's child (service.manager: command) must not inherit nice 10
    await this.release();
    switch (s.kind) {
      case 'open-journal':
        return w.openJournal(s.phase, reason);
      case 'stop':
        return w.stop();
      case 'swap':
        return w.swap(s.to);
      case 'set-llm':
        return w.setLlm(s);
      case 'restore-llm':
        return w.restoreLlm(s.version);
      case 'start':
        return w.start();
      case 'restore-db':
        // a version that never started wrote nothing: its DB is the old one's, newer than the snapshot
        if (!w.startedOnce()) {
          this.ctx.log.info({ db: s.db }, `${s.version} never started: the DB is left as it is (newer than the snapshot)`);
          return;
        }
        return restoreSnapshot(this.ctx, s);
    }
  }

  async verify(s: VerifyStep): Promise<VerifyResult> {
    await this.release();
    return this.window_.verify(s, this.notedBlock);
  }

  async finish(s: FinishStep, outcome: Outcome): Promise<FinishDone> {
    switch (s.kind) {
      case 'close-journal':
        if (outcome.kind !== 'converged') await this.window_.closeJournal(outcome.kind, outcome.message);
        return NOTHING;
      case 'post-switch': {
        // once the node is up after a change of the running version; refused: nothing changed;
        // must-act: the node is not up
        if (outcome.kind !== 'applied' && outcome.kind !== 'rolled-back') {
          this.ctx.log.info({ outcome: outcome.kind }, `hooks.postSwitch not run: the outcome is ${outcome.kind}`);
          return NOTHING;
        }
        const switched = outcome.kind === 'applied';
        const reported = await postSwitch(this.ctx, s.hooks, {
          outcome: switched ? 'switched' : 'rolled-back',
          version: switched ? s.entering : s.leaving,
          from: switched ? s.leaving : s.entering,
        });
        return { reported, removed: [] };
      }
      case 'check-telemetry': {
        // once the node is up on the version it changed to (a switch) or back to (a rollback)
        if (outcome.kind !== 'applied' && outcome.kind !== 'rolled-back') return NOTHING;
        const { reading, reported } = await checkTelemetry(this.ctx, s, outcome.kind === 'applied' ? s.entering : s.leaving);
        return { reported, removed: [], telemetry: reading };
      }
      case 'mark-release':
        if (outcome.kind === 'rolled-back') await markRelease(this.ctx, s.version, { bad: true, reason: outcome.message });
        if (outcome.kind === 'applied') await markRelease(this.ctx, s.version, { bad: false });
        return NOTHING;
      case 'prune':
        return { reported: [], removed: outcome.kind === 'applied' ? await prune(this.ctx, s.remove) : [] };
    }
  }

  /** A failed preparation leaves no version folder behind (only ever one glr itself began), nor a DB folder it made. */
  async undoPreparation(): Promise<void> {
    await removeCreated(this.createdDb);
    if (!this.plan.prepare.some((s) => s.kind === 'download')) return;
    const { layout, log } = this.ctx;
    const v = this.plan.target;
    if ((await isPreparing(layout, v)) && (await readPrepared(layout, v)) === null) {
      await trashAndDelete(layout, log, v).catch((e: unknown) => {
        log.error({ err: e }, `could not remove the unfinished ${layout.versionDir(v)}; the next run will`);
      });
    }
  }

  async release(): Promise<void> {
    const l = this.lowering;
    this.lowering = null;
    await (await l)?.restore();
  }

  untouched(): Promise<boolean> {
    return this.window_.untouched();
  }

  switched(): boolean {
    return this.window_.switched();
  }

  writeProblems(): string[] {
    return this.window_.writeProblems();
  }

  measures(): Measures {
    return this.window_.measures();
  }
}
