import { stepsOf } from '../plan/steps.js';
import type { Phase, Plan } from '../plan/types.js';

const PHASE_TITLES: Record<Phase, string> = {
  prepare: 'prepare (the running node keeps validating)',
  window: 'switch (the only downtime)',
  verify: 'verify',
  finish: 'finish',
};

/** The plan as an operator reads it; `--json` prints the Plan value itself instead. */
export function formatPlan(p: Plan, root: string): string {
  const out: string[] = [];
  const steps = stepsOf(p);
  if (p.refusals.length) {
    out.push(`glr refuses to change ${root}:`);
    for (const r of p.refusals) out.push(`  - ${r}`);
  } else if (steps.length === 0) {
    out.push(`converged: ${root} is at ${p.target}; nothing to do`);
  } else {
    const sw = p.switch;
    const head =
      p.intent === 'finish-rollback'
        ? `finish the rollback to ${p.target}`
        : sw?.leaving && sw.leaving !== sw.entering
          ? `${sw.leaving} → ${sw.entering}`
          : `keep ${p.target}`;
    out.push(`plan: ${head} on ${root}`);
    let phase: Phase | null = null;
    steps.forEach(({ phase: ph, step }, i) => {
      if (ph !== phase) {
        phase = ph;
        out.push('', PHASE_TITLES[ph]);
      }
      out.push(`  ${String(i + 1).padStart(2)}. ${step.description}`);
    });
    if (p.onFailure) {
      out.push('', `if a switch step fails or the node is not healthy in time: back to ${p.onFailure.to}`);
      for (const s of [...p.onFailure.window, ...(p.onFailure.verify ? [p.onFailure.verify] : [])]) out.push(`   - ${s.description}`);
    }
  }
  if (p.warnings.length) {
    out.push('', 'warnings');
    for (const w of p.warnings) out.push(`  - ${w}`);
  }
  if (p.notes.length) {
    out.push('', 'notes');
    for (const n of p.notes) out.push(`  - ${n}`);
  }
  out.push('', `observed ${p.basis.observedAt}: links → ${p.basis.links ?? '?'}, service ${p.basis.service ?? 'unknown'}, health ${p.basis.health}`);
  return out.join('\n');
}
