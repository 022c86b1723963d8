import { ExitCode } from '../errors.js';

/**
 * How a reconcile pass ended: the one vocabulary from the switch window to the CLI, the history,
 * the metrics and the watcher. The exit code is derived from it (never the reverse).
 *
 * - converged: nothing to do
 * - applied: the plan ran and the node is healthy on the target (or left stopped on purpose)
 * - refused: refused or failed before the switch; node, links and files as they were
 * - rolled-back: the switch failed and the previous version is healthy again
 * - must-act: the switch failed and could not be undone: the operator must act
 */
export type Outcome =
  | { kind: 'converged'; message: string }
  | { kind: 'applied'; message: string; downtimeMs: number | null; windowMs: number | null }
  | { kind: 'refused'; message: string }
  | { kind: 'rolled-back'; message: string; downtimeMs: number | null; windowMs: number | null }
  | { kind: 'must-act'; message: string; windowMs: number | null };

export type OutcomeKind = Outcome['kind'];

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
