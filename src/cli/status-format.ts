import { retentionWhy } from '../plan/retention.js';
import { clip, size } from '../runtime/text.js';
import type { StatusReport } from './status-report.js';

/** `glr status` as an operator reads it: one section per question, the answer first. */
export function formatStatus(s: StatusReport): string {
  const out: string[] = [];
  const add = (label: string, lines: string[]) => lines.forEach((l, i) => out.push(`${i === 0 ? label.padEnd(10) : ' '.repeat(10)}${l}`));
  const r = s.running;
  out.push(
    `glr status: ${s.root.path}${s.root.exists ? '' : ' (missing)'}, ${s.file} asks for ${s.desired.version}${s.desired.network ? ` on ${s.desired.network}` : ''}`,
    '',
  );

  const h = r.health;
  add('running', [
    `${r.version ?? 'no version (the links do not agree on one)'}: service ${r.service ?? `unknown (${r.serviceProblem})`}, ${r.healthy ? 'healthy' : 'NOT healthy'}`,
    h.answered
      ? `HTTP ${h.httpStatus}, ${[h.nodeVersion && `node ${h.nodeVersion}`, h.genvmVersion && `genvm ${h.genvmVersion}`, h.network && `network ${h.network}`, h.problem].filter(Boolean).join(', ') || 'no details'}`
      : `no answer (${h.problem ?? 'unknown'})`,
    ...(Object.keys(h.checks).length
      ? [
          `checks: ${Object.entries(h.checks)
            .map(([n, c]) => `${n} ${c.status ?? '?'}${c.error ? ` (${c.error})` : ''}`)
            .join(', ')}`,
        ]
      : []),
    ...(r.syncedBlock !== null && !s.sync?.syncing ? [`synced block ${r.syncedBlock}`] : []),
  ]);
  if (s.sync?.syncing) add('sync', syncLines(s.sync));
  add('desired', [
    `${s.desired.version}: ${s.plan.state === 'converged' ? 'converged (nothing to do)' : s.plan.state === 'pending' ? `pending: ${s.plan.steps.length} step(s) (glr reconcile --dry-run shows them)` : 'REFUSED'}`,
    ...s.plan.refusals.map((x) => `- ${x}`),
  ]);
  const l = s.links;
  add('links', [
    `${l.current !== null ? `current → ${l.current}; ` : 'no current link (as the runbook laid it out); '}${l.agree ? `all ${l.entries.length} agree on ${l.version}` : 'they DISAGREE'}${l.missing.length ? `; missing: ${l.missing.join(', ')}` : ''}${l.notLinks.length ? `; not links: ${l.notLinks.join(', ')}` : ''}`,
    ...(l.agree ? [] : l.entries.map((e) => `${e.name} → ${e.target}${e.version ? ` (${e.version})` : ' (not in a version folder)'}`)),
  ]);
  add(
    'versions',
    s.versions.length
      ? s.versions.map((v) => {
          const what = v.state === 'foreign' ? "not glr's" : v.state === 'unfinished' ? 'unfinished' : `${v.state} ${when(v.preparedAt)}`;
          const roles = v.roles.map((x) => (x === 'bad' ? 'BAD' : x)).join(', ');
          const fate =
            v.retention === 'remove'
              ? `prune removes it (${retentionWhy(v.why, s.retention.retain)})`
              : v.retention === 'keep'
                ? `kept: ${v.why}`
                : 'never touched';
          return `${v.version.padEnd(9)} ${(roles || '-').padEnd(28)} ${what.padEnd(30)} ${(v.bytes === null ? '?' : size(v.bytes)).padStart(9)}  ${fate}`;
        })
      : ['none'],
  );
  add('retention', [
    s.retention.remove.length
      ? `retain ${s.retention.retain}: glr prune would remove ${s.retention.remove.map((x) => x.version).join(', ')}${s.retention.reclaimableBytes !== null ? `, freeing ${size(s.retention.reclaimableBytes)}` : ''}`
      : `retain ${s.retention.retain}: nothing to remove`,
    `last known-good: ${s.lastKnownGood ?? 'none known'}`,
    ...(s.trash.length ? [`an interrupted removal left ${s.trash.join(', ')} in .glr/trash (the next prune or reconcile deletes it)`] : []),
  ]);
  add('bad', s.bad.length ? s.bad.map((b) => `${b.version} rolled back ${when(b.at)}: ${clip(b.reason, 100)}`) : ['none']);
  add(
    'history',
    s.history.length
      ? s.history.map(
          (x) =>
            `${when(x.at)}  ${x.outcome.padEnd(11)} ${`${x.from ?? '-'} → ${x.version}`.padEnd(20)} exit ${x.exitCode}${x.downtimeMs !== null ? `, down ${x.downtimeMs} ms` : ''}${x.reason ? `: ${clip(x.reason, 80)}` : ''}`,
        )
      : ['no apply recorded yet'],
  );
  if (s.rollbacksTotal) out.push(`${' '.repeat(10)}${s.rollbacksTotal} rollback(s) in all`);
  add('lock', [
    s.lock
      ? `held by ${s.lock.pid === null ? 'a glr that does not answer (or runs in another network namespace, a container)' : `pid ${s.lock.pid} (glr ${s.lock.command}, since ${when(s.lock.since)})`}`
      : 'free (no glr works on this root)',
  ]);
  add('warnings', s.plan.warnings.length ? s.plan.warnings.map((w) => `- ${w}`) : ['none']);
  if (s.plan.notes.length)
    add(
      'notes',
      s.plan.notes.map((n) => `- ${n}`),
    );
  if (s.hooks) {
    const k = s.hooks;
    add('hooks', [
      `postSwitch after ${k.outcome === 'switched' ? `the switch to ${k.running}` : `the rollback to ${k.running}`} (${when(k.at)}): ${k.failed.length ? `${k.failed.length} of ${k.runs} FAILED` : `all ${k.runs} ok`}`,
      ...k.failed.map((f) => `- ${f.argv.join(' ')}: ${f.failure ?? `exit ${f.exitCode}`}${f.output ? ` (${clip(f.output.split('\n').at(-1)!, 100)})` : ''}`),
    ]);
  }
  if (s.node) {
    const n = s.node;
    const pw = n.password === 'on-execstart' ? 'password on ExecStart' : `password from ${n.password ?? 'NODE_PASSWORD'}`;
    add('node', [
      `runs as ${n.user ?? 'root'}${n.group ? `:${n.group}` : ''}${n.program ? `: ${n.program}` : ''} (${n.source === 'unit' ? 'the unit says' : 'the file says'}); ${pw}`,
      ...n.environmentFiles.map(
        (f) =>
          `${f.path}${f.optional ? ' (optional)' : ''}${f.inVersion ? ` (in the version folder: ${f.inVersion})` : ''}: ${f.exists ? `sets ${f.names.join(', ') || 'nothing'}` : 'MISSING'}`,
      ),
    ]);
  }
  if (s.telemetry) {
    const t = s.telemetry;
    add('telemetry', [`${t.container}: ${t.state === 'fresh' ? `reads the running node's log (${t.logPath})` : `${t.state.toUpperCase()}: ${t.detail}`}`]);
  }
  add('shared DB', [`${s.sharedDb.path}${s.sharedDb.exists ? '' : ' (MISSING)'}`]);
  if (s.carry) {
    const c = s.carry;
    add('carry', [
      `config.yaml ${c.configYaml ? 'ok' : 'MISSING'}, .env ${c.env ? `ok (sets ${c.envNames.join(', ') || 'nothing'})` : 'MISSING'}, keystore ${c.keystoreFiles ? `${c.keystoreFiles} file(s)` : 'MISSING'}`,
    ]);
  }
  if (s.snapshots.length)
    add(
      'snapshots',
      s.snapshots.map((x) => `${x.path} (${x.version}'s DB, ${when(x.at)})`),
    );
  if (s.diskFreeBytes !== null) add('disk', [`${size(s.diskFreeBytes)} free`]);
  if (s.journal) {
    const j = s.journal;
    add('journal', [
      `${j.leaving ?? '-'} → ${j.entering}: ${j.phase} ${when(j.at)}${j.open ? ' (OPEN: a switch was interrupted; the next reconcile finishes it)' : ''}${j.reason ? `: ${clip(j.reason, 80)}` : ''}`,
    ]);
  }
  return out.join('\n');
}

/** A node catching up: where it is, how fast, and when it would be done at that pace (an estimate). */
function syncLines(y: NonNullable<StatusReport['sync']>): string[] {
  const at = `syncing: ${y.blocksBehind ?? '?'} blocks behind${y.syncedBlock !== null && y.latestBlock !== null ? ` (synced ${y.syncedBlock} of ${y.latestBlock})` : ''}`;
  const p = y.pace;
  if (!p || p.blocksPerSecond === null) return [at, 'pace: not told yet (its /metrics did not move between two readings)'];
  const since = p.from === 'switch' ? `since glr accepted it ${when(p.since)}` : 'over the last few seconds';
  const rate = `${p.blocksPerSecond >= 10 ? Math.round(p.blocksPerSecond) : p.blocksPerSecond.toFixed(1)} blocks/s ${since}`;
  return [
    at,
    p.doneInSeconds === null ? `${rate}: not catching up at this pace` : `${rate}: caught up in about ${duration(p.doneInSeconds)} (an estimate, at this pace)`,
  ];
}

function duration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return s < 172_800 ? `${(s / 3600).toFixed(1)} h` : `${(s / 86_400).toFixed(1)} days`;
}

/** `2026-11-24 21:25:03Z`: an ISO time, to the second. */
function when(iso: string | null): string {
  if (!iso) return '?';
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)/.exec(iso);
  return m ? `${m[1]} ${m[2]}Z` : iso;
}
