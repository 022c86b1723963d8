import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBackends } from '../../src/genlayer/llm-config.js';
import { createSandbox, observeLinks, type ObserverReport, type Sandbox } from '../helpers/sandbox.js';
import { leakedSecrets, runGlr, type GlrRun } from '../helpers/glr.js';

describe('glr reconcile: v0.4.3 → v0.4.5 on a runbook host', () => {
  let sb: Sandbox;
  let run: GlrRun;
  let seen: ObserverReport;
  let oldEnv: Buffer;
  let oldConfig: Buffer;

  beforeAll(async () => {
    sb = await createSandbox();
    await sb.publish({ version: 'v0.4.5', setupMs: 500 });
    oldEnv = readFileSync(path.join(sb.host.root, 'v0.4.3/.env'));
    oldConfig = readFileSync(path.join(sb.host.root, 'v0.4.3/configs/node/config.yaml'));
    const observer = await observeLinks(sb.host.root, sb.host.dir);
    run = await runGlr(['reconcile', '-f', sb.host.writeDesired({ version: 'v0.4.5' })]);
    seen = await observer.stop();
  });
  afterAll(async () => sb?.cleanup());

  it('exits 0 and the node is healthy on v0.4.5, validating', async () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^v0\.4\.5 is healthy \(switch window \d+ ms; validator down \d+ ms\)/);
    expect(await sb.host.healthyOn('v0.4.5')).toBe(true);
  });

  it('every switch link resolves into v0.4.5/, through one `current` link', () => {
    expect(sb.host.linkVersions()).toEqual(['v0.4.5']);
    expect(realpathSync(path.join(sb.host.root, 'current'))).toBe(path.join(realpathSync(sb.host.root), 'v0.4.5'));
  });

  it('a second process resolving the links every few ms never saw them split', () => {
    expect(seen.samples).toBeGreaterThan(50);
    expect(seen.splits).toEqual([]);
    expect(seen.versionsSeen.sort()).toEqual(['v0.4.3', 'v0.4.5']);
  });

  it('carried config.yaml and .env byte for byte; .env and the keystore are 600 (folder 700)', () => {
    const v = path.join(sb.host.root, 'v0.4.5');
    expect(readFileSync(path.join(v, '.env')).equals(oldEnv)).toBe(true);
    expect(readFileSync(path.join(v, 'configs/node/config.yaml')).equals(oldConfig)).toBe(true);
    expect(statSync(path.join(v, '.env')).mode & 0o777).toBe(0o600);
    const ks = path.join(v, 'data/node/keystore');
    expect(statSync(ks).mode & 0o777).toBe(0o700);
    const keys = readdirSync(ks);
    expect(keys).toHaveLength(1);
    for (const k of keys) expect(statSync(path.join(ks, k)).mode & 0o777).toBe(0o600);
  });

  it('the DB link resolves to the shared DB', () => {
    expect(realpathSync(path.join(sb.host.root, 'v0.4.5/data/node/genlayer.db'))).toBe(realpathSync(sb.host.db));
  });

  it('openai is switched on; the other providers are as the release shipped them', () => {
    const backends = parseBackends(readFileSync(path.join(sb.host.root, 'v0.4.5/third_party/genvm/config/genvm-module-llm.yaml'), 'utf8'));
    expect(Object.fromEntries(Object.entries(backends).map(([n, b]) => [n, b.enabled]))).toEqual({
      heurist: true,
      openai: true,
      anthropic: false,
      google: true,
    });
  });

  it('the shared DB writes continue without a gap or a repeat, and never two nodes at once', () => {
    const records = sb.host.dbRecords();
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
    expect(new Set(records.map((r) => r.version))).toEqual(new Set(['v0.4.3', 'v0.4.5']));
    expect(sb.host.doubleRuns()).toEqual([]);
    const events = sb.host.serviceEvents();
    expect(events.map((e) => e.verb)).toEqual(['start', 'stop', 'start']);
  });

  it('backed up .env and config.yaml (600) and logged the switch window', () => {
    const backups = path.join(sb.host.root, '.glr/backups');
    const [dir] = readdirSync(backups).filter((d) => d.endsWith('-v0.4.3'));
    for (const f of ['.env', 'config.yaml']) expect(statSync(path.join(backups, dir!, f)).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(backups, dir!, '.env')).equals(oldEnv)).toBe(true);
    const logs = run.stderr
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { msg: string; windowMs?: number; syncedBlock?: number });
    expect(logs.find((l) => l.msg.startsWith('switch window'))?.windowMs).toBeGreaterThan(0);
    expect(logs.find((l) => l.syncedBlock !== undefined)?.syncedBlock).toBeGreaterThan(0);
  });

  it('shows no secret anywhere', () => {
    expect(leakedSecrets(run.stdout, run.stderr)).toEqual([]);
  });

  it('a second reconcile changes nothing and restarts nothing', async () => {
    const before = sb.host.tree();
    const events = sb.host.serviceEvents().length;
    const again = await runGlr(['reconcile', '-f', sb.host.file]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^converged/);
    expect(sb.host.serviceEvents().length).toBe(events);
    expect(sb.host.tree()).toEqual(before);
    expect((await runGlr(['reconcile', '--dry-run', '-f', sb.host.file])).code).toBe(0);
  });

  it('changing llm.providers on the running version restarts it once with the new config', async () => {
    const events = sb.host.serviceEvents().length;
    const r = await runGlr(['reconcile', '-f', sb.host.writeDesired({ version: 'v0.4.5', providers: { openai: true, google: false } })]);
    expect(r.code, r.stderr).toBe(0);
    expect(
      sb.host
        .serviceEvents()
        .slice(events)
        .map((e) => e.verb),
    ).toEqual(['stop', 'start']);
    const cfg = parseBackends(readFileSync(path.join(sb.host.root, 'v0.4.5/third_party/genvm/config/genvm-module-llm.yaml'), 'utf8'));
    expect(cfg.google!.enabled).toBe(false);
    expect(await sb.host.healthyOn('v0.4.5')).toBe(true);
    expect(sb.host.doubleRuns()).toEqual([]);
  });
});

describe('the link observer can fail', () => {
  it("catches links split between two versions, as between the runbook's ln -sfn lines", async () => {
    const sb = await createSandbox({ start: false });
    try {
      const { symlinkSync, renameSync, cpSync } = await import('node:fs');
      cpSync(path.join(sb.host.root, 'v0.4.3'), path.join(sb.host.root, 'v0.4.4'), { recursive: true, verbatimSymlinks: true });
      const observer = await observeLinks(sb.host.root, sb.host.dir);
      // half of the runbook's switch: three links moved, three not yet
      for (const n of ['bin', 'third_party', 'data']) {
        symlinkSync(path.join(sb.host.root, 'v0.4.4', n), path.join(sb.host.root, `${n}.tmp`));
        renameSync(path.join(sb.host.root, `${n}.tmp`), path.join(sb.host.root, n));
      }
      const { waitFor } = await import('../../sandbox/host.js');
      await waitFor(() => observer.sawSplit(), { timeoutMs: 10_000, what: 'the observer to report the split' });
      const report = await observer.stop();
      expect(report.splitCount).toBeGreaterThan(0);
    } finally {
      await sb.cleanup();
    }
  });
});
