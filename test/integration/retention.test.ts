import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PruneReport } from '../../src/cli/commands/prune.js';
import type { HistoryRecord } from '../../src/runtime/history.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { killGlrWhen, leakedSecrets, runGlr, type GlrRun } from '../helpers/glr.js';

/**
 * Retention across five upgrades with `retain: 2`, one of them rolled back, then a `glr prune`
 * killed in the middle of a removal. One sandbox host, in order.
 */
const folders = (s: Sandbox) =>
  readdirSync(s.host.root)
    .filter((n) => /^v\d+\.\d+\.\d+$/.test(n))
    .sort();
const trash = (s: Sandbox) => (existsSync(path.join(s.host.root, '.glr/trash')) ? readdirSync(path.join(s.host.root, '.glr/trash')) : []);
const badReleases = (s: Sandbox) =>
  existsSync(path.join(s.host.root, '.glr/bad-releases.json'))
    ? (JSON.parse(readFileSync(path.join(s.host.root, '.glr/bad-releases.json'), 'utf8')) as { releases: { version: string }[] }).releases.map((r) => r.version)
    : [];

describe('retention: five upgrades with retain: 2, one rolled back, and a prune killed midway', () => {
  let sb: Sandbox;
  const runs: Record<string, GlrRun> = {};
  const upgrade = async (version: string, extra = 'retain: 2') => {
    runs[version] = await runGlr(['reconcile', '-f', sb.host.writeDesired({ version, extra, timeoutSeconds: 5 })]);
    return runs[version];
  };

  beforeAll(async () => {
    sb = await createSandbox();
    for (const v of ['v0.4.4', 'v0.4.5', 'v0.4.7', 'v0.4.8']) await sb.publish({ version: v });
    await sb.publish({ version: 'v0.4.6', mode: 'die-on-start' });
    // a folder glr did not prepare: never touched
    mkdirSync(path.join(sb.host.root, 'v0.4.0/bin'), { recursive: true });
  });
  afterAll(async () => sb?.cleanup());

  it('1. v0.4.3 → v0.4.4: the runbook version is adopted and kept; nothing to remove yet', async () => {
    expect((await upgrade('v0.4.4')).code, runs['v0.4.4']!.stderr).toBe(0);
    expect(folders(sb)).toEqual(['v0.4.0', 'v0.4.3', 'v0.4.4']);
  });

  it('2. → v0.4.5: v0.4.4 is the last known-good, v0.4.3 one of the two retained', async () => {
    expect((await upgrade('v0.4.5')).code).toBe(0);
    expect(folders(sb)).toEqual(['v0.4.0', 'v0.4.3', 'v0.4.4', 'v0.4.5']);
    const dry = JSON.parse((await runGlr(['prune', '--dry-run', '--json', '-f', sb.host.file])).stdout) as PruneReport;
    expect(dry).toMatchObject({ version: 1, dryRun: true, retain: 2, running: 'v0.4.5', lastKnownGood: 'v0.4.4', remove: [] });
    expect(dry.untouched).toEqual([{ version: 'v0.4.0', why: 'not-glr' }]);
  });

  it('3. → v0.4.6, which dies on start: rolled back (exit 3), marked bad, nothing pruned (the outcome is not applied)', async () => {
    const r = await upgrade('v0.4.6');
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(badReleases(sb)).toEqual(['v0.4.6']);
    expect(folders(sb)).toEqual(['v0.4.0', 'v0.4.3', 'v0.4.4', 'v0.4.5', 'v0.4.6']);
    const status = await runGlr(['status', '-f', sb.host.file]);
    expect(status.stdout).toMatch(/bad\s+v0\.4\.6 rolled back .*: v0\.4\.6 died after the start/);
    expect(status.stdout).toMatch(/retention retain 2: glr prune would remove v0\.4\.6, freeing \d/);
  });

  it('4. → v0.4.7: the bad release goes first, whatever retain says; v0.4.5 is now the last known-good', async () => {
    const r = await upgrade('v0.4.7');
    expect(r.code, r.stderr).toBe(0);
    expect(folders(sb)).toEqual(['v0.4.0', 'v0.4.3', 'v0.4.4', 'v0.4.5', 'v0.4.7']);
    expect(r.stderr).toMatch(/retention removed v0\.4\.6 \(bad\)/);
    // the verdict outlives the folder: status still shows it
    expect(badReleases(sb)).toEqual(['v0.4.6']);
  });

  it('5. → v0.4.8: beyond the two newest, the oldest (the adopted v0.4.3) goes; the switch is not delayed by it', async () => {
    const r = await upgrade('v0.4.8');
    expect(r.code, r.stderr).toBe(0);
    expect(folders(sb)).toEqual(['v0.4.0', 'v0.4.4', 'v0.4.5', 'v0.4.7', 'v0.4.8']);
    const logs = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; action?: string });
    const healthyAt = logs.findIndex((l) => /^healthy on v0\.4\.8/.test(l.msg));
    const pruneAt = logs.findIndex((l) => l.action === 'prune');
    expect(healthyAt).toBeGreaterThan(-1);
    expect(pruneAt).toBeGreaterThan(healthyAt);
    expect(await sb.host.healthyOn('v0.4.8')).toBe(true);
    const history = readFileSync(path.join(sb.host.root, '.glr/history.jsonl'), 'utf8').trim().split('\n');
    const last = JSON.parse(history.at(-1)!) as HistoryRecord;
    expect(last.phases.map((p) => p.name).slice(-3)).toEqual(['close-journal', 'mark-release', 'prune']);
    expect(trash(sb)).toEqual([]);
  });

  it('glr prune --dry-run lists what it would remove and writes nothing', async () => {
    sb.host.writeDesired({ version: 'v0.4.8', extra: 'retain: 0', timeoutSeconds: 5 });
    const before = sb.host.tree();
    const r = await runGlr(['prune', '--dry-run', '-f', sb.host.file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trimEnd()).toMatch(
      /^would remove +v0\.4\.4 +\S+ \S+ +beyond retain 0\nwould remove +v0\.4\.5 .*\nwould free \S+ \S+\nkept: v0\.4\.7 \(last-known-good\), v0\.4\.8 \(running\)\nnever touched: v0\.4\.0 \(not glr's\)$/,
    );
    expect(sb.host.tree()).toEqual(before);
  });

  it('a prune killed after renaming a folder aside leaves nothing half-deleted in the root; the next prune finishes it', async () => {
    const killed = await killGlrWhen(['prune', '-f', sb.host.file], (stderr) => stderr.includes('failpoint trashed reached'), {
      env: { GLR_FAILPOINT: 'trashed' },
      timeoutMs: 30_000,
      what: 'the first folder renamed aside',
    });
    expect(killed.signal).toBe('SIGKILL');
    // v0.4.4 is gone from the root at once and whole under the trash; v0.4.5 untouched
    expect(folders(sb)).toEqual(['v0.4.0', 'v0.4.5', 'v0.4.7', 'v0.4.8']);
    expect(trash(sb)).toHaveLength(1);
    expect(trash(sb)[0]).toMatch(/^v0\.4\.4\./);
    // as if the kill came in the middle of the deletion itself: part of the tree already gone
    writeFileSync(path.join(sb.host.root, '.glr/trash', trash(sb)[0]!, 'bin/genlayernode'), '');
    expect(await sb.host.healthyOn('v0.4.8')).toBe(true);
    const status = await runGlr(['status', '-f', sb.host.file]);
    expect(status.stdout).toMatch(/an interrupted removal left v0\.4\.4\.\S+ in \.glr\/trash/);

    const again = await runGlr(['prune', '--json', '-f', sb.host.file]);
    expect(again.code, again.stderr).toBe(0);
    const report = JSON.parse(again.stdout) as PruneReport;
    expect(report.finishedTrash).toHaveLength(1);
    expect(report.remove).toMatchObject([{ version: 'v0.4.5', why: 'beyond-retain', removed: true, skipped: null }]);
    expect(report.freedBytes).toBeGreaterThan(0);
    expect(trash(sb)).toEqual([]);
    expect(folders(sb)).toEqual(['v0.4.0', 'v0.4.7', 'v0.4.8']);
    expect(await sb.host.healthyOn('v0.4.8')).toBe(true);
    expect((await runGlr(['reconcile', '--dry-run', '-f', sb.host.file])).code).toBe(0);
  });

  it('a reconcile killed after it renamed a folder aside: the next reconcile finishes the trash', async () => {
    // → v0.4.5 (prepared anew) with retain 0: after the switch its prune step removes v0.4.7
    // (v0.4.8 is then the last known-good); killed right after v0.4.7 is renamed aside
    sb.host.writeDesired({ version: 'v0.4.5', extra: 'retain: 0', timeoutSeconds: 5 });
    await killGlrWhen(['reconcile', '-f', sb.host.file], (stderr) => stderr.includes('failpoint trashed reached'), {
      env: { GLR_FAILPOINT: 'trashed' },
      timeoutMs: 60_000,
      what: 'the prune step to rename a folder aside',
    });
    expect(await sb.host.healthyOn('v0.4.5')).toBe(true);
    expect(trash(sb)).toHaveLength(1);
    const r = await runGlr(['reconcile', '-f', sb.host.file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^converged/);
    expect(trash(sb)).toEqual([]);
    expect(r.stderr).toMatch(/finishing an interrupted removal/);
    expect(folders(sb)).toEqual(['v0.4.0', 'v0.4.5', 'v0.4.8']);
  });

  it('the node never ran twice, and no secret was shown', () => {
    const records = sb.host.dbRecords();
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
    expect(sb.host.doubleRuns()).toEqual([]);
    for (const r of Object.values(runs)) expect(leakedSecrets(r.stdout, r.stderr)).toEqual([]);
  });
});
