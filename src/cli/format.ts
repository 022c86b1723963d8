import type { Observed } from '../observe/types.js';
import { stepsOf } from '../plan/steps.js';
import type { Phase, Plan } from '../plan/types.js';
import { describeHealth } from '../runtime/health-reading.js';

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

export function formatStatus(o: Observed, syncedBlock: number | null): string {
  const out: string[] = [];
  const l = o.links;
  out.push(`root      ${o.root.path}${o.root.exists ? '' : ' (missing)'}`);
  out.push(
    `links     ${l.current ? `current → ${l.current.target}; ` : ''}${l.version ? `all in ${l.version}` : 'DISAGREE'}${l.missing.length ? `; missing: ${l.missing.join(', ')}` : ''}`,
  );
  for (const s of l.switchLinks) out.push(`            ${s.name} → ${s.target}${s.version ? '' : ' (not in a version folder)'}`);
  out.push(`service   ${o.service.state ?? `unknown (${o.service.problem})`}`);
  out.push(`health    ${describeHealth(o.health)}`);
  if (syncedBlock !== null) out.push(`synced    block ${syncedBlock}`);
  out.push(
    `versions  ${
      o.versions
        .map(
          (v) =>
            `${v.version}${v.prepared ? (v.prepared.origin === 'adopted' ? ' (adopted)' : ' (prepared)') : v.preparing ? ' (unfinished)' : " (not glr's)"}`,
        )
        .join(', ') || 'none'
    }`,
  );
  out.push(`shared DB ${o.sharedDb.path}${o.sharedDb.exists ? '' : ' (missing)'}`);
  if (o.source) {
    const s = o.source;
    out.push(
      `carry     config.yaml ${s.configYaml ? 'ok' : 'MISSING'}, .env ${s.env ? `ok (sets ${s.envNames.join(', ') || 'nothing'})` : 'MISSING'}, keystore ${s.keystore ? `${s.keystoreFiles} file(s)` : 'MISSING'}`,
    );
  }
  if (o.diskFreeBytes !== null) out.push(`disk      ${(o.diskFreeBytes / 2 ** 30).toFixed(1)} GiB free`);
  if (o.journal) out.push(`journal   ${o.journal.leaving ?? '-'} → ${o.journal.entering}: ${o.journal.phase} at ${o.journal.at}`);
  if (o.lastResult) {
    const r = o.lastResult;
    out.push(`last      ${r.at} ${r.outcome} ${r.from ?? '-'} → ${r.version} (exit ${r.exitCode}): ${r.message}`);
  }
  return out.join('\n');
}
