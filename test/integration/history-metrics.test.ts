import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../sandbox/host.js';
import { METRIC_NAMES } from '../../src/runtime/metrics.js';
import type { HistoryRecord } from '../../src/runtime/history.js';
import { parseExposition } from '../helpers/exposition.js';
import { killGroup, runGlr, startGlr } from '../helpers/glr.js';
import { RUNBOOK_UPGRADE_STEPS } from '../helpers/steps.js';
import { PROMTOOL_REQUIRED, promtool, promtoolFound, promtoolRequired } from '../helpers/promtool.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';

const history = (s: Sandbox): HistoryRecord[] =>
  readFileSync(path.join(s.host.root, '.glr/history.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as HistoryRecord);

interface Metrics {
  running: string | null;
  desired: string | null;
  converged: number;
  at: number;
  exitCode: number;
  downtime: number | null;
  rollbacks: number;
  prepared: number | null;
  diskFree: number | null;
}

/**
 * The textfile glr wrote: `promtool check metrics` passes on it with no finding (where promtool is
 * installed; required under CI / GLR_REQUIRE_PROMTOOL=1), and it reads back as the contract's metrics.
 */
function readMetrics(file: string): Metrics {
  const text = readFileSync(file, 'utf8');
  if (promtoolFound) {
    const r = promtool(['check', 'metrics'], { stdin: text });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  } else if (promtoolRequired) {
    throw new Error(PROMTOOL_REQUIRED);
  }
  const m = parseExposition(text);
  expect([...m.keys()]).toEqual([...METRIC_NAMES]);
  const one = (name: string) => m.get(name)!.samples[0];
  return {
    running: one('glr_running_version_info')?.labels.version ?? null,
    desired: one('glr_desired_version_info')?.labels.version ?? null,
    converged: one('glr_converged')!.value,
    at: one('glr_last_pass_timestamp_seconds')!.value,
    exitCode: one('glr_last_pass_exit_code')!.value,
    downtime: one('glr_last_downtime_seconds')?.value ?? null,
    rollbacks: one('glr_rollbacks_total')!.value,
    prepared: one('glr_prepared_versions')?.value ?? null,
    diskFree: one('glr_disk_free_bytes')?.value ?? null,
  };
}

describe('reconcile: the history line of each apply, and the metrics textfile after every pass', () => {
  let sb: Sandbox;
  let prom: string;
  let extra: string;
  beforeAll(async () => {
    sb = await createSandbox();
    await sb.publish({ version: 'v0.4.5', setupMs: 300 });
    await sb.publish({ version: 'v0.4.6', mode: 'die-on-start' });
    prom = path.join(sb.host.dir, 'textfile/glr.prom');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.dirname(prom));
    extra = `metrics:\n  textfile: ${prom}`;
  });
  afterAll(async () => sb?.cleanup());

  it('after an upgrade: every field of the contract, the phases with their durations; metrics say converged on v0.4.5', async () => {
    const started = Date.now();
    const r = await runGlr(['reconcile', '-f', sb.host.writeDesired({ version: 'v0.4.5', extra })]);
    expect(r.code, r.stderr).toBe(0);
    const [h, ...more] = history(sb);
    expect(more).toEqual([]);
    expect(h).toMatchObject({ from: 'v0.4.3', version: 'v0.4.5', outcome: 'applied', exitCode: 0, rollbacksTotal: 0 });
    expect(Date.parse(h!.at)).toBeGreaterThanOrEqual(started);
    expect(h!.downtimeMs).toBeGreaterThan(0);
    expect(h!.windowMs).toBeGreaterThan(0);
    expect(h!.downtimeMs).toBeGreaterThanOrEqual(h!.windowMs!);
    expect(h!.reason).toBeUndefined();
    expect(h!.phases.map((p) => p.name)).toEqual(RUNBOOK_UPGRADE_STEPS);
    // each phase is the duration glr logged for that step as it ran, and together they fit in the run
    const logged = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string; action?: string; ms?: number })
      .filter((l) => l.msg?.startsWith('done: '))
      .map((l) => ({ name: l.action, ms: l.ms }));
    expect(h!.phases).toEqual(logged);
    expect(h!.phases.reduce((n, p) => n + p.ms, 0)).toBeLessThanOrEqual(Date.now() - started);
    expect(h!.phases.find((p) => p.name === 'genvm-setup')!.ms).toBeGreaterThanOrEqual(300);

    const m = readMetrics(prom);
    expect(m).toMatchObject({ running: 'v0.4.5', desired: 'v0.4.5', converged: 1, exitCode: 0, rollbacks: 0, prepared: 2 });
    expect(m.downtime).toBe(h!.downtimeMs! / 1000);
    expect(m.diskFree).toBeGreaterThan(0);
    expect(m.at * 1000).toBeGreaterThanOrEqual(Date.parse(h!.at));
    expect(statSync(prom).mode & 0o777).toBe(0o644);
  });

  it('after a rollback: outcome, exit code 3, the reason, the rollback’s own steps, the carried total; metrics say so', async () => {
    const r = await runGlr(['reconcile', '-f', sb.host.writeDesired({ version: 'v0.4.6', timeoutSeconds: 30, extra })]);
    expect(r.code, r.stderr).toBe(3);
    const h = history(sb).at(-1)!;
    expect(h).toMatchObject({ from: 'v0.4.5', version: 'v0.4.6', outcome: 'rolled-back', exitCode: 3, rollbacksTotal: 1 });
    expect(h.reason).toMatch(/^v0\.4\.6 died after the start/);
    expect(h.downtimeMs).toBeGreaterThan(0);
    const names = h.phases.map((p) => p.name);
    // the switch, then the way back (open-journal rolling-back, stop, swap, start, verify), then the finish
    expect(names.filter((n) => n === 'swap')).toHaveLength(2);
    expect(names.filter((n) => n === 'verify')).toHaveLength(2);
    expect(names.slice(-2)).toEqual(['close-journal', 'mark-release']);

    const m = readMetrics(prom);
    expect(m).toMatchObject({ running: 'v0.4.5', desired: 'v0.4.6', converged: 0, exitCode: 3, rollbacks: 1, prepared: 3 });
    expect(m.downtime).toBe(h.downtimeMs! / 1000);
  });

  it('a converged pass writes the metrics (and no history line); a dry-run writes neither', async () => {
    const before = readMetrics(prom);
    const lines = history(sb).length;
    sb.host.writeDesired({ version: 'v0.4.5', extra });
    const dry = await runGlr(['reconcile', '--dry-run', '-f', sb.host.file]);
    expect(dry.code).toBe(0);
    expect(readMetrics(prom)).toEqual(before);
    const r = await runGlr(['reconcile', '-f', sb.host.file]);
    expect(r.code, r.stderr).toBe(0);
    const m = readMetrics(prom);
    expect(m).toMatchObject({ running: 'v0.4.5', desired: 'v0.4.5', converged: 1, exitCode: 0, rollbacks: 1 });
    expect(m.at).toBeGreaterThan(before.at);
    expect(history(sb)).toHaveLength(lines);
  });

  it('a refused pass writes the metrics with exit code 1 (and no history line: nothing was applied)', async () => {
    const lines = history(sb).length;
    // a new MAJOR.MINOR whose shared DB does not exist: refused by the plan
    const r = await runGlr(['reconcile', '-f', sb.host.writeDesired({ version: 'v0.5.0', extra })]);
    expect(r.code).toBe(1);
    expect(readMetrics(prom)).toMatchObject({ running: 'v0.4.5', desired: 'v0.5.0', converged: 0, exitCode: 1 });
    expect(history(sb)).toHaveLength(lines);
  });

  it('a pass on a node root that does not exist still writes them, with what it knows', async () => {
    const r = await runGlr(['reconcile', '-f', sb.host.writeDesired({ version: 'v0.4.5', extra, root: path.join(sb.host.dir, 'nope') })]);
    expect(r.code).toBe(1);
    expect(readMetrics(prom)).toMatchObject({ running: null, desired: 'v0.4.5', converged: 0, exitCode: 1, prepared: 0 });
  });

  it('a textfile folder that does not exist: the pass goes on, the failure is logged', async () => {
    const r = await runGlr(['reconcile', '-f', sb.host.writeDesired({ version: 'v0.4.5', extra: `metrics:\n  textfile: ${sb.host.dir}/missing/glr.prom` })]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/could not write the metrics textfile/);
    expect(existsSync(path.join(sb.host.dir, 'missing'))).toBe(false);
  });
});

describe('glr watch writes the metrics after every pass, and while a failed release waits', () => {
  let sb: Sandbox | undefined;
  let stop: (() => void) | undefined;
  afterEach(async () => {
    stop?.();
    await sb?.cleanup();
    sb = undefined;
  });

  it('converged passes, an unreadable file (no desired version), a rollback and the wake-ups it holds back', async () => {
    sb = await createSandbox();
    const s = sb;
    await s.publish({ version: 'v0.4.6', mode: 'die-on-start' });
    const prom = path.join(s.host.dir, 'glr.prom');
    const extra = `metrics:\n  textfile: ${prom}`;
    s.host.writeDesired({ version: 'v0.4.3', providers: null, extra });
    const { child, stderr, done } = startGlr(['watch', '--interval', '0.5', '-f', s.host.file], { env: { GLR_FAILURE_BACKOFF_SECONDS: '60' } });
    stop = () => killGroup(child, 'SIGKILL');

    await waitFor(() => existsSync(prom), { timeoutMs: 20_000, what: 'the first metrics' });
    const first = readMetrics(prom);
    expect(first).toMatchObject({ running: 'v0.4.3', desired: 'v0.4.3', converged: 1, exitCode: 0, prepared: 0 });
    await waitFor(() => readMetrics(prom).at > first.at, { timeoutMs: 10_000, what: 'a later pass' });

    const save = (text: string) => {
      writeFileSync(`${s.host.file}.tmp`, text);
      renameSync(`${s.host.file}.tmp`, s.host.file);
    };
    save('version: [v0.4.6\n');
    await waitFor(() => readMetrics(prom).desired === null, { timeoutMs: 10_000, what: 'the metrics of a pass on the last valid state' });
    expect(readMetrics(prom)).toMatchObject({ running: 'v0.4.3', converged: 1, exitCode: 0 });

    save(s.host.desiredYaml({ version: 'v0.4.6', timeoutSeconds: 20, extra }));
    await waitFor(() => readMetrics(prom).exitCode === 3, { timeoutMs: 30_000, what: 'the rollback' });
    const rolled = readMetrics(prom);
    expect(rolled).toMatchObject({ running: 'v0.4.3', desired: 'v0.4.6', converged: 0, rollbacks: 1 });
    // v0.4.6 waits for its backoff; each wake-up still reports, with the failure's exit code
    await waitFor(() => readMetrics(prom).at > rolled.at, { timeoutMs: 10_000, what: 'a held-back wake-up' });
    expect(readMetrics(prom)).toMatchObject({ running: 'v0.4.3', desired: 'v0.4.6', converged: 0, exitCode: 3, rollbacks: 1 });
    expect(stderr()).toMatch(/v0\.4\.6 failed before/);
    child.kill('SIGTERM');
    expect((await done).code).toBe(0);
    stop = undefined;
  });
});

if (!promtoolFound && promtoolRequired) {
  it('promtool is installed', () => {
    throw new Error(PROMTOOL_REQUIRED);
  });
}
