import { ExitCode } from '../errors.js';
import type { SyncReading } from '../genlayer/node-sync.js';

/**
 * How a reconcile pass ended: the one value from the switch window to the CLI, the history, the
 * metrics and the watcher, each of which derives what it needs from it alone (the exit code is
 * derived from it, never the reverse).
 *
 * kind:
 * - converged: nothing to do
 * - applied: the plan ran and the node is healthy on the target (or left stopped on purpose)
 * - refused: refused or failed before the switch; node, links and files as they were
 * - rolled-back: the switch failed and the previous version is healthy again
 * - must-act: the switch failed and could not be undone: the operator must act
 *
 * stage, the last part of the pass it reached:
 * - observe: the root's lock could not be taken, or the host could not be looked at
 * - plan: the plan was made and needed nothing (converged) or refused (nothing ran)
 * - prepare: preparation steps ran (and, for a refusal, one of them failed); nothing stopped
 * - window: the window ran (a refusal: a window step failed, touching nothing)
 * - verify: the node was verified (and, after a failure, the rollback ran)
 */
export type OutcomeKind = 'converged' | 'applied' | 'refused' | 'rolled-back' | 'must-act';
export type Stage = 'observe' | 'plan' | 'prepare' | 'window' | 'verify';

/** What the window measured, in ms. */
export interface Measures {
  /** stop → start returned; null when the node was not both stopped and started */
  windowMs: number | null;
  /** the old node's last healthy answer → the first healthy answer after the start; null when not measured */
  downtimeMs: number | null;
}

export interface Outcome {
  kind: OutcomeKind;
  stage: Stage;
  /** one line: what happened (a refusal's reasons joined by `; `) */
  message: string;
  /**
   * why the pass did not simply succeed, one line each: a refusal's reasons are whole lines of
   * their own (the CLI prints each); a failed switch's are the failure, then what followed
   * (the rollback, its end); empty on success
   */
  reasons: string[];
  /** null when no window step ran */
  measures: Measures | null;
  /** what went wrong after the outcome was settled and is only reported (a postSwitch hook, a journal write): one line each */
  reported: string[];
  /**
   * the node runs but is still syncing (accepted by its progress after a breaking switch, or a
   * converged host that syncs): where its sync stood when the pass ended. Absent otherwise.
   */
  syncing?: SyncState;
}

/** One reading of the node's sync (its /metrics), as the record of a pass keeps it. */
export interface SyncState {
  /** ISO time of the reading */
  at: string;
  syncedBlock: number | null;
  latestBlock: number | null;
  blocksBehind: number | null;
}

/** A reading as the record keeps it; with none, only the time (`at`, ms) it was asked for. */
export function syncStateOf(r: SyncReading | null | undefined, at: number): SyncState {
  return {
    at: new Date(r?.at ?? at).toISOString(),
    syncedBlock: r?.syncedBlock ?? null,
    latestBlock: r?.latestBlock ?? null,
    blocksBehind: r?.blocksBehind ?? null,
  };
}

/** The outcome's words for a node that syncs: `syncing: N blocks behind`. */
export function syncingWords(s: SyncState | null | undefined): string {
  return `syncing: ${s?.blocksBehind ?? '?'} blocks behind`;
}

const EXIT_CODES: Record<OutcomeKind, ExitCode> = {
  converged: ExitCode.ok,
  applied: ExitCode.ok,
  refused: ExitCode.refused,
  'rolled-back': ExitCode.rolledBack,
  'must-act': ExitCode.operatorMustAct,
};

export function exitCodeOf(o: Outcome | OutcomeKind): ExitCode {
  return EXIT_CODES[typeof o === 'string' ? o : o.kind];
}

/** Refused at `stage`: one reason per line, nothing switched. */
export function refused(stage: Stage, reasons: string[], measures: Measures | null = null): Outcome {
  return { kind: 'refused', stage, message: reasons.join('; '), reasons, measures, reported: [] };
}

/** A pass that ran steps (prepare, window or verify): not converged, not refused by its plan. */
export function applied(o: Outcome): boolean {
  return o.stage !== 'observe' && o.stage !== 'plan';
}
