import type { FinishStep, Plan, PrepareStep, VerifyStep, WindowStep } from './types.js';

export type PlannedStep =
  | { phase: 'prepare'; step: PrepareStep }
  | { phase: 'window'; step: WindowStep }
  | { phase: 'verify'; step: VerifyStep }
  | { phase: 'finish'; step: FinishStep };

/**
 * The plan's steps in the one order they are printed and executed: prepare, window, verify,
 * finish. `apply` and `formatPlan` both walk this list; nothing else decides an order.
 */
export function stepsOf(p: Plan): PlannedStep[] {
  return [
    ...p.prepare.map((step) => ({ phase: 'prepare' as const, step })),
    ...p.window.map((step) => ({ phase: 'window' as const, step })),
    ...(p.verify ? [{ phase: 'verify' as const, step: p.verify }] : []),
    ...p.finish.map((step) => ({ phase: 'finish' as const, step })),
  ];
}

/** Nothing to do: no refusal and no step. */
export function isConverged(p: Plan): boolean {
  return p.refusals.length === 0 && stepsOf(p).length === 0;
}
