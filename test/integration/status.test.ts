import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../sandbox/host.js';
import { FakeMachine } from '../../sandbox/machine.js';
import type { StatusReport } from '../../src/cli/status-report.js';
import { Layout } from '../../src/layout.js';
import { writeHookReport } from '../../src/runtime/hook-report.js';
import { killGroup, leakedSecrets, REPO, runGlr, startGlr } from '../helpers/glr.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';

/** Every field path of a JSON value: `a.b`, `a.list[].c`; the open map of checks as `<name>`. */
function fieldPaths(value: unknown, at = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) if (v !== null && typeof v === 'object') fieldPaths(v, `${at}[]`, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const p = at.endsWith('.checks') ? `${at}.<name>` : at ? `${at}.${k}` : k;
      out.add(p);
      fieldPaths(v, p, out);
    }
  }
  return out;
}

/** The fields docs/status.md documents: the first column of its table. */
function documentedPaths(): Set<string> {
  const doc = readFileSync(path.join(REPO, 'docs/status.md'), 'utf8');
  return new Set([...doc.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!));
}

describe('glr status on a host with a past: upgrades, a rollback, a failed hook, a watcher holding the lock', () => {
  let sb: Sandbox;
  let text: string;
  let json: StatusReport;
  let watchPid: number;
  let machine: FakeMachine;

  beforeAll(async () => {
    sb = await createSandbox();
    await sb.publish({ version: 'v0.4.5' });
    await sb.publish({ version: 'v0.4.6', mode: 'die-on-start' });
    const extra = 'retain: 1';
    expect((await runGlr(['reconcile', '-f', sb.host.writeDesired({ version: 'v0.4.5', extra })])).code).toBe(0);
    expect((await runGlr(['reconcile', '-f', sb.host.writeDesired({ version: 'v0.4.6', extra, timeoutSeconds: 5 })])).code).toBe(3);
    // Alloy beside the node (a fake docker on PATH for the last pass and status), its mount resolved now
    machine = FakeMachine.create();
    const logs = path.join(sb.host.root, 'data/node/logs');
    machine.setContainer({
      name: 'genlayer-node-alloy',
      status: 'running',
      health: null,
      labels: {},
      mounts: [{ source: logs, destination: '/var/log/genlayer', resolved: realpathSync(logs) }],
    });
    sb.host.writeDesired({ version: 'v0.4.5', extra, alloy: { container: 'genlayer-node-alloy' }, network: 'asimov' });
    // what the postSwitch step records after a rollback whose hook failed
    await writeHookReport(new Layout(sb.host.root), {
      version: 1,
      hook: 'postSwitch',
      at: new Date().toISOString(),
      outcome: 'rolled-back',
      running: 'v0.4.5',
      from: 'v0.4.6',
      runs: [
        { argv: ['docker', 'restart', 'genlayer-node-alloy'], exitCode: 1, failure: null, ms: 840, output: 'Error: No such container: genlayer-node-alloy' },
        { argv: ['true'], exitCode: 0, failure: null, ms: 2 },
      ],
    });
    const watch = startGlr(['watch', '--interval', '60', '-f', sb.host.file], { env: machine.env });
    await waitFor(() => watch.stderr().includes('"msg":"watching"'), { timeoutMs: 20_000, what: 'the watcher to take the lock' });
    watchPid = watch.child.pid!;
    try {
      // a prune by hand while the watcher holds the lock: refused, naming it
      const prune = await runGlr(['prune', '-f', sb.host.file]);
      expect(prune.code).toBe(1);
      expect(prune.stderr).toMatch(new RegExp(`another glr \\(pid ${watchPid}, \`glr watch\``));
      const [t, j] = await Promise.all([
        runGlr(['status', '-f', sb.host.file], { env: machine.env }),
        runGlr(['status', '--json', '-f', sb.host.file], { env: machine.env }),
      ]);
      expect(t.code, t.stderr).toBe(0);
      expect(j.code, j.stderr).toBe(0);
      expect(leakedSecrets(t.stdout, t.stderr, j.stdout, j.stderr)).toEqual([]);
      text = t.stdout;
      json = JSON.parse(j.stdout) as StatusReport;
    } finally {
      killGroup(watch.child, 'SIGTERM');
      await watch.done;
    }
    console.log(`glr status on a sandbox host:\n${text}`);
  });
  afterAll(async () => {
    await machine?.cleanup();
    await sb?.cleanup();
  });

  it('--json: exactly the fields docs/status.md documents, version 1', () => {
    expect(json.version).toBe(1);
    const seen = fieldPaths(json);
    const documented = documentedPaths();
    expect([...seen].filter((p) => !documented.has(p)).sort(), 'in the output, not in docs/status.md').toEqual([]);
    expect([...documented].filter((p) => !seen.has(p)).sort(), 'in docs/status.md, not in the output').toEqual([]);
  });

  it('running version and health: the whole checks map', () => {
    expect(json.running).toMatchObject({ version: 'v0.4.5', service: 'running', healthy: true });
    expect(json.running.health.checks.validating).toEqual({ status: 'up', error: null });
    expect(Object.keys(json.running.health.checks).sort()).toEqual(['validating', 'zksync']);
    expect(json.running.syncedBlock).toBeGreaterThan(0);
    expect(text).toMatch(/^running +v0\.4\.5: service running, healthy\n +HTTP 200, node v0\.4\.5\n +checks: validating up, zksync up\n +synced block \d+$/m);
  });

  it('links and whether they agree', () => {
    expect(json.links).toMatchObject({ current: 'v0.4.5', version: 'v0.4.5', agree: true, missing: [], notLinks: [] });
    expect(json.links.entries.every((e) => e.viaCurrent && e.version === 'v0.4.5')).toBe(true);
    expect(text).toMatch(/^links +current → v0\.4\.5; all 6 agree on v0\.4\.5$/m);
  });

  it('prepared versions with size and time, the last known-good, the bad release, and what retention would remove', () => {
    const v = Object.fromEntries(json.versions.map((x) => [x.version, x]));
    expect(Object.keys(v)).toEqual(['v0.4.3', 'v0.4.5', 'v0.4.6']);
    expect(v['v0.4.5']).toMatchObject({ state: 'prepared', roles: ['running', 'desired'], retention: 'keep', why: 'running' });
    expect(v['v0.4.3']).toMatchObject({ state: 'adopted', roles: ['last-known-good'], retention: 'keep', why: 'last-known-good' });
    expect(v['v0.4.6']).toMatchObject({ state: 'prepared', roles: ['bad'], retention: 'remove', why: 'bad' });
    for (const x of json.versions) {
      expect(x.bytes).toBeGreaterThan(0);
      expect(Date.parse(x.preparedAt!)).toBeGreaterThan(0);
    }
    expect(json.lastKnownGood).toBe('v0.4.3');
    expect(json.bad).toMatchObject([{ version: 'v0.4.6', reason: expect.stringMatching(/^v0\.4\.6 died after the start/) as unknown }]);
    expect(json.retention).toMatchObject({ retain: 1, remove: [{ version: 'v0.4.6', why: 'bad' }] });
    expect(json.retention.reclaimableBytes).toBe(v['v0.4.6']!.bytes);
    expect(text).toMatch(/^ +v0\.4\.6 +BAD +prepared \S+ \S+ +\d+(\.\d)? KiB +prune removes it \(rolled back\)$/m);
    expect(text).toMatch(/^retention retain 1: glr prune would remove v0\.4\.6, freeing \d+(\.\d)? KiB\n +last known-good: v0\.4\.3$/m);
    expect(text).toMatch(/^bad +v0\.4\.6 rolled back \S+ \S+: v0\.4\.6 died after the start/m);
  });

  it('the last results, newest first, with downtime', () => {
    expect(json.history.map((h) => [h.outcome, h.from, h.version, h.exitCode])).toEqual([
      ['rolled-back', 'v0.4.5', 'v0.4.6', 3],
      ['applied', 'v0.4.3', 'v0.4.5', 0],
    ]);
    expect(json.history[1]!.downtimeMs).toBeGreaterThan(0);
    expect(json.rollbacksTotal).toBe(1);
    expect(text).toMatch(/^history +\S+ \S+ +rolled-back +v0\.4\.5 → v0\.4\.6 +exit 3, down \d+ ms: v0\.4\.6 died/m);
    expect(text).toMatch(/^ +\S+ \S+ +applied +v0\.4\.3 → v0\.4\.5 +exit 0, down \d+ ms$/m);
  });

  it('the lock holder, asked without taking the lock', () => {
    expect(json.lock).toMatchObject({ pid: watchPid, command: 'watch' });
    expect(text).toMatch(new RegExp(`^lock +held by pid ${watchPid} \\(glr watch, since \\S+ \\S+\\)$`, 'm'));
  });

  it('the plan (read-only): converged, no warnings; the failed postSwitch hook', () => {
    expect(json.plan).toEqual({ state: 'converged', steps: [], refusals: [], warnings: [], notes: [] });
    expect(text).toMatch(/^desired +v0\.4\.5: converged \(nothing to do\)$/m);
    expect(json.hooks).toMatchObject({
      outcome: 'rolled-back',
      running: 'v0.4.5',
      runs: 2,
      failed: [{ argv: ['docker', 'restart', 'genlayer-node-alloy'], exitCode: 1 }],
    });
    expect(text).toMatch(
      /^hooks +postSwitch after the rollback to v0\.4\.5 \(\S+ \S+\): 1 of 2 FAILED\n +- docker restart genlayer-node-alloy: exit 1 \(Error: No such container/m,
    );
  });

  it('status wrote nothing: the lock was free again for a reconcile right after', async () => {
    expect((await runGlr(['reconcile', '-f', sb.host.file])).code).toBe(0);
    const after = JSON.parse((await runGlr(['status', '--json', '-f', sb.host.file])).stdout) as StatusReport;
    expect(after.lock).toBeNull();
    expect(after.hooks).not.toBeNull();
  });
});

describe('glr releases before any desired-state file exists', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await createSandbox({ start: false });
    sb.server.list(['v0.4.9', 'v0.5.0-rc1']);
  });
  afterAll(async () => sb?.cleanup());

  it('--listing-url works in a folder with no file', async () => {
    const r = await runGlr(['releases', '--listing-url', `${sb.server.origin}/storage/v1/b/gh-af/o?prefix=genlayer-node/bin/amd64/`], { cwd: sb.host.state });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('v0.4.9\nv0.4.3\n');
  });

  it('with no file and no --listing-url it reads GenLayer’s bucket', async () => {
    const r = await runGlr(['releases', '--json'], { cwd: sb.host.state, timeoutMs: 60_000 });
    // this machine may have no network: then the one error names the bucket it tried
    if (r.code === 0) expect((JSON.parse(r.stdout) as string[]).length).toBeGreaterThan(0);
    else expect(r.stderr).toContain('https://storage.googleapis.com/storage/v1/b/gh-af/o?prefix=genlayer-node/bin/amd64/');
    expect(r.stderr).not.toMatch(/desired-state\.yaml/);
  });
});
