/** The switch journal's record: types and the one pure question the planner asks of it. */
export type JournalPhase =
  /** about to stop the node */
  | 'switching'
  /** the node is confirmed stopped */
  | 'stopped'
  /** `current` names the version entered */
  | 'swapped'
  /** the node was started; verifying */
  | 'started'
  /** the version entered failed; going back to the version left */
  | 'rolling-back'
  /** closed: healthy on the version entered (or left stopped on purpose) */
  | 'done'
  /** closed: back on the version left, healthy */
  | 'rolled-back'
  /** closed: nothing was switched (a step failed while the old node still ran healthy) */
  | 'aborted'
  /** closed: the rollback failed too, the operator must act */
  | 'failed';

/**
 * One switch, as the journal records it: the version it leaves (where a rollback returns) and
 * the version it enters. A rollback keeps these words: it is the same switch, going back.
 */
export interface JournalEntry {
  leaving: string | null;
  entering: string;
  phase: JournalPhase;
  /** ISO time of this phase */
  at: string;
  /** ISO time the switch began */
  startedAt: string;
  pid: number;
  /** for closed failures: what went wrong, one line */
  reason?: string;
  /** the switch gives the version entered a DB of its own: it is verified by its sync's progress */
  breaking?: true;
}

const OPEN_PHASES: readonly JournalPhase[] = ['switching', 'stopped', 'swapped', 'started', 'rolling-back'];

export function isOpen(j: JournalEntry | null): j is JournalEntry {
  return j !== null && OPEN_PHASES.includes(j.phase);
}
