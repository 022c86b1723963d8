import type { Plan, PrepareStep, Rollback, VerifyStep, WindowStep } from './types.js';

/**
 * What a planner function decides, as a value: the steps before the finish (which one place,
 * plan/finish.ts, adds to every plan), or the reasons it refuses. Warnings and notes travel with
 * either, so that a refusal still shows what was seen on the way.
 */
export interface Draft {
  intent: Plan['intent'];
  /** the version the host runs when the plan succeeds */
  target: string;
  prepare: PrepareStep[];
  /** the window and what follows it; null when the plan stops nothing, starts nothing and verifies nothing */
  window: WindowPart | null;
  warnings: string[];
  notes: string[];
}

export interface Refusal {
  intent: Plan['intent'];
  refusals: string[];
  warnings: string[];
  notes: string[];
}

export type Decision = Draft | Refusal;

/**
 * A window and what follows it, as one of the builders in window.ts decides it: its steps, the
 * verification, the way back, and the change of running version the postSwitch hooks announce.
 */
export interface WindowPart {
  /** the switch as the journal records it (see Plan.switch) */
  switch: { leaving: string | null; entering: string };
  window: WindowStep[];
  verify: VerifyStep | null;
  onFailure: Rollback | null;
  /** the running version changes from `leaving` to `entering` once the node is up; null: no change */
  change: { leaving: string; entering: string } | null;
}

export function isRefusal(d: Decision): d is Refusal {
  return 'refusals' in d;
}

/** A refusal with what was seen so far. */
export function refusal(refusals: string[], seen: { warnings?: string[]; notes?: string[]; intent?: Plan['intent'] } = {}): Refusal {
  return { intent: seen.intent ?? 'converge', refusals, warnings: seen.warnings ?? [], notes: seen.notes ?? [] };
}
