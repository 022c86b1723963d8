/** One line of `{root}/.glr/history.jsonl`: one apply (see history.ts). */

/** How an apply ended. */
export type HistoryOutcome =
  /** the plan was applied and the node is healthy on `version` (exit 0) */
  | 'applied'
  /** the new version failed; `from` was restored and is healthy again (exit 3) */
  | 'rolled-back'
  /** refused or failed before the switch; node, links and files as they were (exit 1) */
  | 'refused'
  /** the switch failed and `from` could not be restored: the operator must act (exit 4) */
  | 'must-act';

export const HISTORY_OUTCOMES: readonly HistoryOutcome[] = ['applied', 'rolled-back', 'refused', 'must-act'];

/** One timed step of an apply (e.g. `download`, `setup`, `stop`, `swap`, `start`, `verify`). */
export interface HistoryPhase {
  name: string;
  ms: number;
}

/** One line of the history: one apply. */
export interface HistoryRecord {
  /** when the apply ended: ISO 8601, UTC (`new Date().toISOString()`) */
  at: string;
  /** the version that ran before the apply; null when none ran */
  from: string | null;
  /** the version the apply went to (the desired one) */
  version: string;
  outcome: HistoryOutcome;
  /** the exit code `reconcile` gave for this apply (0, 1, 3, 4) */
  exitCode: number;
  /**
   * The node's downtime: from the old node's last healthy answer (watched while the stop runs;
   * the stop itself when none came) to the first healthy answer (of `version`, or of `from` after a
   * rollback), as an outside observer polling /health would measure it. null when the
   * node was not stopped (refused before the switch, nothing to restart), or never came back.
   */
  downtimeMs: number | null;
  /** the switch window (stop → swap → start), in ms; null when there was no switch */
  windowMs: number | null;
  /** every timed phase of the apply, in the order they ran (empty when none ran) */
  phases: HistoryPhase[];
  /** on failure (every outcome but `applied`): what went wrong, one line */
  reason?: string;
  /** optional: a one-line human summary */
  message?: string;
  /** hooks that failed after the outcome (hooks.postSwitch): reported, never a rollback; one line each */
  hookFailures?: string[];
  /**
   * a node accepted while it syncs (after a breaking switch): its /metrics reading then
   * (`status` measures the sync's pace from it)
   */
  sync?: { at: string; syncedBlock: number | null; latestBlock: number | null; blocksBehind: number | null };
  /**
   * Rolled-back outcomes recorded on this host so far, this record included. Carried from line to
   * line by `appendHistory` (callers never set it), so the count survives rotation: the oldest
   * file may be dropped, the newest record still knows the total. This is `glr_rollbacks_total`.
   */
  rollbacksTotal: number;
}

/** What a caller hands to `appendHistory`: a record without the carried total. */
export type NewHistoryRecord = Omit<HistoryRecord, 'rollbacksTotal'>;
