import type { Observed } from '../observe/types.js';
import type { Group, Plan } from '../plan/types.js';
import { describeHealth } from '../runtime/health.js';

const GROUP_TITLES: Record<Group, string> = {
  prepare: 'prepare (the running node keeps validating)',
  switch: 'switch (the only downtime)',
  verify: 'verify',
};

/** The plan as an operator reads it; `--json` prints the Plan value itself instead. */
export function formatPlan(p: Plan, root: string): string {
  const out: string[] = [];
  if (p.refusals.length) {
    out.push(`glr refuses to change ${root}:`);
    for (const r of p.refusals) out.push(`  - ${r}`);
  } else if (p.actions.length === 0) {
    out.push(`converged: ${root} is at ${p.version}; nothing to do`);
  } else {
    const head =
      p.intent === 'finish-rollback'
        ? `finish the rollback to ${p.version}`
        : p.from && p.from !== p.version
          ? `${p.from} → ${p.version}`
          : `keep ${p.version}`;
    out.push(`plan: ${head} on ${root}`);
    let group: Group | null = null;
    p.actions.forEach((a, i) => {
      if (a.group !== group) {
        group = a.group;
        out.push('', GROUP_TITLES[group]);
      }
      out.push(`  ${String(i + 1).padStart(2)}. ${a.description}`);
    });
  }
  if (p.notes.length) {
    out.push('', 'notes');
    for (const n of p.notes) out.push(`  - ${n}`);
  }
  out.push('', `observed ${p.basis.observedAt}: links → ${p.basis.links ?? '?'}, service ${p.basis.service ?? 'unknown'}, health ${p.basis.health}`);
  return out.join('\n');
}

export function formatStatus(o: Observed): string {
  const out: string[] = [];
  const l = o.links;
  out.push(`root      ${o.root.path}${o.root.exists ? '' : ' (missing)'}`);
  out.push(
    `links     ${l.current ? `current → ${l.current.target}; ` : ''}${l.version ? `all in ${l.version}` : 'DISAGREE'}${l.missing.length ? `; missing: ${l.missing.join(', ')}` : ''}`,
  );
  for (const s of l.switchLinks) out.push(`            ${s.name} → ${s.target}${s.version ? '' : ' (not in a version folder)'}`);
  out.push(`service   ${o.service.state ?? `unknown (${o.service.problem})`}`);
  out.push(`health    ${describeHealth(o.health)}`);
  if (o.syncedBlock !== null) out.push(`synced    block ${o.syncedBlock}`);
  out.push(
    `versions  ${o.versions.map((v) => `${v.version}${v.prepared ? (v.prepared.origin === 'adopted' ? ' (adopted)' : ' (prepared)') : v.preparing ? ' (unfinished)' : " (not glr's)"}`).join(', ') || 'none'}`,
  );
  out.push(`shared DB ${o.sharedDb.path}${o.sharedDb.exists ? '' : ' (missing)'}`);
  if (o.source) {
    const s = o.source;
    out.push(
      `carry     config.yaml ${s.configYaml ? 'ok' : 'MISSING'}, .env ${s.env ? `ok (sets ${s.envNames.join(', ') || 'nothing'})` : 'MISSING'}, keystore ${s.keystore ? `${s.keystoreFiles} file(s)` : 'MISSING'}`,
    );
  }
  if (o.diskFreeBytes !== null) out.push(`disk      ${(o.diskFreeBytes / 2 ** 30).toFixed(1)} GiB free`);
  if (o.journal) out.push(`journal   ${o.journal.from ?? '-'} → ${o.journal.to}: ${o.journal.phase} at ${o.journal.at}`);
  if (o.lastResult) {
    const r = o.lastResult;
    out.push(`last      ${r.at} ${r.outcome} ${r.from ?? '-'} → ${r.version} (exit ${r.exitCode}): ${r.message}`);
  }
  return out.join('\n');
}
