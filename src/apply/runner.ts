import { adopt } from '../actions/adopt.js';
import { backup } from '../actions/backup.js';
import { carry } from '../actions/carry.js';
import { checkReady } from '../actions/check-ready.js';
import type { ApplyContext } from '../actions/context.js';
import { genvmSetup } from '../actions/genvm-setup.js';
import { cleanStaging, removeVersion } from '../actions/housekeeping.js';
import { linkDb } from '../actions/link-db.js';
import { markPrepared } from '../actions/mark-prepared.js';
import { markRelease, prune } from '../actions/aftercare.js';
import { routeLinks } from '../actions/route-links.js';
import { setLlm } from '../actions/set-llm.js';
import type { Outcome } from '../plan/outcome.js';
import type { FinishStep, Plan, PrepareStep, VerifyStep, WindowStep } from '../plan/types.js';
import { removeTree } from '../runtime/fsx.js';
import { isPreparing, readPrepared } from '../runtime/marker.js';
import { SwitchWindow } from '../switch/window.js';
import type { VerifyResult } from '../switch/verify.js';

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
  finish(step: FinishStep, outcome: Outcome): Promise<void>;
  /** after a failed preparation: remove the version folder it began, if it began one */
  undoPreparation(): Promise<void>;
  /** after a failed window step: nothing was switched and the node still runs healthy */
  untouched(): Promise<boolean>;
  measures(): { windowMs: number | null; downtimeMs: number | null };
}

/** The runner of a real host: actions for the preparation, the switch window for the rest. */
export class HostRunner implements StepRunner {
  private readonly window_: SwitchWindow;

  constructor(
    private readonly ctx: ApplyContext,
    private readonly plan: Plan,
  ) {
    this.window_ = new SwitchWindow(ctx, plan);
  }

  async prepare(s: PrepareStep): Promise<void> {
    const ctx = this.ctx;
    switch (s.kind) {
      case 'clean-staging':
        return cleanStaging(ctx, s.names);
      case 'remove-version':
        return removeVersion(ctx, s.version);
      case 'download': {
        // loaded only when a release is downloaded: a pass that downloads nothing never pays for tar and zlib
        const { download } = await import('../actions/download.js');
        await download(ctx, s);
        return;
      }
      case 'genvm-setup':
        return genvmSetup(ctx, s.version, s.argv);
      case 'carry':
        return carry(ctx, s.from, s.version);
      case 'link-db':
        return linkDb(ctx, s.version, s.sharedDb);
      case 'set-llm':
        return setLlm(ctx, s.version, s.providers, s.keepPrevious);
      case 'check-ready':
        return checkReady(ctx, s.version, s.links);
      case 'mark-prepared':
        return markPrepared(ctx, s.version, s.url, s.sharedDb);
      case 'backup':
        ctx.noted.syncedBlock = (await backup(ctx, s.version)).syncedBlock;
        return;
      case 'adopt':
        return adopt(ctx, s.version, s.sharedDb);
      case 'route-links':
        return routeLinks(ctx, s.version, s.links);
    }
  }

  async window(s: WindowStep, reason?: string): Promise<void> {
    const w = this.window_;
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
    }
  }

  verify(s: VerifyStep): Promise<VerifyResult> {
    return this.window_.verify(s.version, s.timeoutSeconds);
  }

  async finish(s: FinishStep, outcome: Outcome): Promise<void> {
    switch (s.kind) {
      case 'close-journal':
        if (outcome.kind === 'converged') return;
        return this.window_.closeJournal(outcome.kind, outcome.message);
      case 'mark-release':
        if (outcome.kind === 'rolled-back') return markRelease(this.ctx, s.version, { bad: true, reason: outcome.message.split('\n')[0]! });
        if (outcome.kind === 'applied') return markRelease(this.ctx, s.version, { bad: false });
        return;
      case 'prune':
        if (outcome.kind === 'applied') await prune(this.ctx, s.remove);
        return;
    }
  }

  /** A failed preparation leaves no version folder behind (only ever one glr itself began). */
  async undoPreparation(): Promise<void> {
    if (!this.plan.prepare.some((s) => s.kind === 'download')) return;
    const { layout, log } = this.ctx;
    const v = this.plan.target;
    if ((await isPreparing(layout, v)) && (await readPrepared(layout, v)) === null) {
      await removeTree(layout.versionDir(v)).catch((e: unknown) => {
        log.error({ err: e }, `could not remove the unfinished ${layout.versionDir(v)}; the next run will`);
      });
    }
  }

  untouched(): Promise<boolean> {
    return this.window_.untouched();
  }

  measures(): { windowMs: number | null; downtimeMs: number | null } {
    return this.window_.measures();
  }
}
