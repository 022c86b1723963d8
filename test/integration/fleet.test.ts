import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxHost, waitFor } from '../../sandbox/host.js';
import { buildRelease } from '../../sandbox/releases.js';
import { startReleaseServer, type ReleaseServer } from '../../sandbox/release-server.js';
import { leakedSecrets, runGlr, startWatch, type Watching } from '../helpers/glr.js';
import {
  ANSIBLE_REQUIRED,
  ANSIBLE_SKIPPED,
  AnsibleWorkspace,
  ROLLING_UPGRADE,
  ansibleFound,
  ansibleRequired,
  recap,
  recapOf,
  type AnsibleRun,
  type TaskResult,
} from '../helpers/ansible.js';

/**
 * The real `ansible-playbook` rolls releases out over three sandbox hosts on this machine
 * (`ansible_connection: local`, each host its own root, health port and desired-state file): the
 * collection's playbook genlayer.glr.rolling_upgrade, its modules glr_reconcile and glr_info.
 * h1, the canary, runs `glr watch` (the module waits for the watcher's result); h2 and h3 are
 * driven by the module's own `glr reconcile`. The cases run in order on the same hosts, each
 * starting from where the previous one left them.
 */

if (!ansibleFound) {
  if (ansibleRequired) {
    it('ansible-playbook is installed', () => {
      throw new Error(ANSIBLE_REQUIRED);
    });
  } else {
    console.warn(`test/integration/fleet.test.ts: ${ANSIBLE_SKIPPED}`);
  }
}

const HOSTS = ['h1', 'h2', 'h3'] as const;
type HostName = (typeof HOSTS)[number];

/** What a test compares before and after a run that must not touch a host. */
interface Snapshot {
  file: Buffer;
  tree: string[];
  history: string;
  starts: number;
}

describe.skipIf(!ansibleFound)('a fleet on Ansible: genlayer.glr.rolling_upgrade', () => {
  let server: ReleaseServer;
  let ws: AnsibleWorkspace;
  let inventory: string;
  const hosts = {} as Record<HostName, SandboxHost>;
  let watcher: Watching;
  /** every ansible command's output and every module result, scanned for secrets at the end */
  const seen: AnsibleRun[] = [];

  const play = async (args: string[]) => {
    const r = await ws.run('ansible-playbook', ['-i', inventory, ROLLING_UPGRADE, ...args]);
    seen.push(r);
    return r;
  };
  const historyOf = (h: SandboxHost) => {
    try {
      return readFileSync(path.join(h.root, '.glr/history.jsonl'), 'utf8');
    } catch {
      return '';
    }
  };
  const records = (h: SandboxHost) =>
    historyOf(h)
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { at: string; from: string | null; version: string; outcome: string; phases: { name: string; ms: number }[] });
  const snapshot = (h: SandboxHost): Snapshot => ({ file: readFileSync(h.file), tree: h.tree(), history: historyOf(h), starts: h.serviceCount('start') });
  const switches = (r: AnsibleRun, host?: string) => r.results.filter((t) => t.action === 'genlayer.glr.glr_reconcile' && (!host || t.host === host));
  const only = (r: AnsibleRun, host: string): TaskResult => {
    const s = switches(r, host);
    expect(s, r.stdout).toHaveLength(1);
    return s[0]!;
  };

  beforeAll(async () => {
    server = await startReleaseServer();
    server.add('v0.4.5', await buildRelease({ version: 'v0.4.5' }));
    server.add('v0.4.6', await buildRelease({ version: 'v0.4.6', mode: 'die-on-start' }));
    server.add('v0.4.7', await buildRelease({ version: 'v0.4.7' }));
    for (const name of HOSTS) {
      const h = await SandboxHost.create({ server });
      hosts[name] = h;
      // a comment on the version line: the bump must keep every other byte
      writeFileSync(h.file, h.desiredYaml({ version: 'v0.4.3', providers: null }).replace('version: v0.4.3', 'version: v0.4.3   # the fleet bumps this'));
    }
    ws = AnsibleWorkspace.create();
    inventory = ws.inventory(Object.fromEntries(HOSTS.map((n) => [n, { file: hosts[n].file }])));
    watcher = startWatch(hosts.h1.file, 30);
    await waitFor(() => watcher.has(/^converged/), { timeoutMs: 20_000, what: "h1's watcher to converge" });
  });

  afterAll(async () => {
    await watcher?.stop('SIGKILL').catch(() => {});
    for (const h of Object.values(hosts)) await h.cleanup();
    await server?.close();
    ws?.cleanup();
  });

  it('ansible-doc renders both modules and the role; the playbook passes --syntax-check', async () => {
    for (const m of ['glr_reconcile', 'glr_info']) {
      const doc = await ws.run('ansible-doc', [`genlayer.glr.${m}`]);
      expect(doc.code, doc.stderr).toBe(0);
      expect(doc.stderr).not.toMatch(/WARNING|ERROR/);
      expect(doc.stdout).toContain(`GENLAYER.GLR.${m.toUpperCase()}`);
      expect(doc.stdout).toContain('OPTIONS (= is mandatory):');
      expect(doc.stdout).toMatch(/^= file$/m);
      expect(doc.stdout).toContain('RETURN VALUES:');
      expect(doc.stdout).toContain('EXAMPLES:');
    }
    const role = await ws.run('ansible-doc', ['-t', 'role', 'genlayer.glr.glr']);
    expect(role.code, role.stderr).toBe(0);
    expect(role.stdout).toMatch(/^= glr_ref$/m);
    const syntax = await ws.run('ansible-playbook', ['-i', inventory, '--syntax-check', ROLLING_UPGRADE]);
    expect(syntax.code, syntax.stdout + syntax.stderr).toBe(0);
    expect(syntax.stdout).toMatch(/playbook: .*genlayer\/glr\/playbooks\/rolling_upgrade\.yml/);
  });

  it('a canary whose release dies on start stops the play: rolled back, its file back; the other hosts untouched', async () => {
    const before = { h2: snapshot(hosts.h2), h3: snapshot(hosts.h3) };
    const canaryFile = readFileSync(hosts.h1.file);
    const converged = watcher.count(/^converged/);
    const r = await play(['-e', 'glr_version=v0.4.6']);
    console.log(`rolling_upgrade v0.4.6 (dies on start), three hosts:\n${recap(r)}`);
    expect(r.code, r.stdout).not.toBe(0);

    const canary = only(r, 'h1');
    expect(canary.status).toBe('failed');
    expect(canary.result).toMatchObject({
      changed: true,
      outcome: 'rolled-back',
      rolled_back: true,
      must_act: false,
      restored: true,
      from: 'v0.4.3',
      version: 'v0.4.6',
      exit_code: 3,
    });
    expect(canary.result.msg).toMatch(/v0\.4\.6 died after the start.*rolled back: v0\.4\.3 is healthy again/);
    // the watcher did the switch; the module waited for its result
    expect(canary.result.watcher).toEqual(expect.any(Number));
    expect(switches(r).map((t) => t.host)).toEqual(['h1']);
    expect(recapOf(r, 'h1')).toMatchObject({ failed: 1 });
    expect(recapOf(r, 'h2')).toBeNull();
    expect(recapOf(r, 'h3')).toBeNull();

    expect(await hosts.h1.healthyOn('v0.4.3')).toBe(true);
    // the file names the version that runs again, byte for byte: the watcher has nothing to retry
    expect(readFileSync(hosts.h1.file).equals(canaryFile)).toBe(true);
    await waitFor(() => watcher.count(/^converged/) > converged, { timeoutMs: 20_000, what: "the watcher's pass over the restored file" });
    expect(hosts.h1.serviceCount('start')).toBe(3); // v0.4.3, v0.4.6 (died), v0.4.3 again
    const status = JSON.parse((await runGlr(['status', '--json', '-f', hosts.h1.file])).stdout) as { plan: { state: string } };
    expect(status.plan.state).toBe('converged');

    for (const n of ['h2', 'h3'] as const) {
      expect(snapshot(hosts[n])).toEqual(before[n]);
      expect(await hosts[n].healthyOn('v0.4.3')).toBe(true);
    }
  });

  it('a good release goes through every batch in order, canary first, each batch soaking before the next', async () => {
    const soak = 2;
    const r = await play(['-e', 'glr_version=v0.4.5', '-e', `glr_soak_seconds=${soak}`]);
    console.log(`rolling_upgrade v0.4.5, three hosts:\n${recap(r)}`);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const n of HOSTS) {
      expect(await hosts[n].healthyOn('v0.4.5')).toBe(true);
      const t = only(r, n);
      expect(t.status).toBe('changed');
      expect(t.result).toMatchObject({ outcome: 'applied', from: 'v0.4.3', version: 'v0.4.5', exit_code: 0, rolled_back: false, must_act: false });
      expect(t.result.downtime_ms).toEqual(expect.any(Number));
      expect((t.result.phases as { name: string }[]).map((p) => p.name)).toEqual(expect.arrayContaining(['download', 'stop', 'swap', 'start', 'verify']));
      expect(recapOf(r, n)).toMatchObject({ changed: 1, failed: 0 });
      // glr bump's edit: the version's value, and no other byte
      expect(readFileSync(hosts[n].file, 'utf8')).toBe(
        hosts[n].desiredYaml({ version: 'v0.4.5', providers: null }).replace('version: v0.4.5', 'version: v0.4.5   # the fleet bumps this'),
      );
    }
    expect(only(r, 'h1').result.watcher).toEqual(expect.any(Number));
    expect(only(r, 'h2').result.watcher).toBeNull();

    // one batch after the other: each host's apply began after the previous host's ended plus the soak
    const applied = HOSTS.map((n) => records(hosts[n]).at(-1)!);
    for (const a of applied) expect(a).toMatchObject({ version: 'v0.4.5', outcome: 'applied' });
    const ended = applied.map((a) => Date.parse(a.at));
    const began = applied.map((a, i) => ended[i]! - a.phases.reduce((s, p) => s + p.ms, 0));
    expect(began[1]! - ended[0]!).toBeGreaterThanOrEqual(soak * 1000);
    expect(began[2]! - ended[1]!).toBeGreaterThanOrEqual(soak * 1000);
    // the soak held h1's and h2's batches (the last batch has no next one to hold back)
    const soaks = r.results.filter((t) => t.action === 'genlayer.glr.glr_info');
    expect(soaks.filter((t) => t.status === 'ok').map((t) => t.host)).toEqual(['h1', 'h2']);
    for (const t of soaks.filter((s) => s.status === 'ok')) expect(t.result).toMatchObject({ changed: false, healthy: true, running_version: 'v0.4.5' });
    expect(soaks.find((t) => t.host === 'h3')?.status).toBe('skipped');
  });

  it('a second run reports nothing changed, and restarts nothing', async () => {
    const before = Object.fromEntries(HOSTS.map((n) => [n, snapshot(hosts[n])]));
    const r = await play(['-e', 'glr_version=v0.4.5']);
    expect(r.code, r.stdout).toBe(0);
    for (const n of HOSTS) {
      expect(recapOf(r, n)).toMatchObject({ changed: 0, failed: 0 });
      expect(only(r, n).result).toMatchObject({ changed: false, outcome: 'converged' });
      expect(snapshot(hosts[n])).toEqual(before[n]);
    }
  });

  it('--check --diff shows the version line each host would get and changes no byte on any host', async () => {
    const before = Object.fromEntries(HOSTS.map((n) => [n, snapshot(hosts[n])]));
    // the watcher's interval may wake it meanwhile; a change of its file would wake it too
    const fileWakeUps = () => watcher.logs().filter((l) => l.msg === 'file event').length;
    const wokenByFile = fileWakeUps();
    const r = await play(['-e', 'glr_version=v0.4.6', '--check', '--diff']);
    expect(r.code, r.stdout).toBe(0);
    for (const n of HOSTS) {
      const t = only(r, n);
      expect(t.status).toBe('changed');
      expect(t.result).toMatchObject({
        outcome: 'pending',
        exit_code: 2,
        diff: { before: 'version: v0.4.5   # the fleet bumps this\n', after: 'version: v0.4.6   # the fleet bumps this\n' },
      });
      const plan = t.result.plan as { target?: string; refusals: string[] };
      expect(plan.refusals).toEqual([]);
      expect(JSON.stringify(plan)).toContain('"kind":"swap"');
      expect(snapshot(hosts[n])).toEqual(before[n]);
      expect(await hosts[n].healthyOn('v0.4.5')).toBe(true);
    }
    expect(r.stdout).toMatch(/-version: v0\.4\.5 {3}# the fleet bumps this\n\+version: v0\.4\.6 {3}# the fleet bumps this/);
    expect(fileWakeUps()).toBe(wokenByFile);
  });

  it('a release glr refuses (not in the bucket): failed, not changed, the file as it was; the watcher refused it', async () => {
    const file = readFileSync(hosts.h1.file);
    // glr's own records aside (the history gains the refusal), nothing under the root changes
    const outsideGlr = () => hosts.h1.tree().filter((l) => !l.startsWith('.glr'));
    const tree = outsideGlr();
    const r = await play(['-e', 'glr_version=v0.4.9', '--limit', 'h1']);
    expect(r.code).not.toBe(0);
    const t = only(r, 'h1');
    expect(t).toMatchObject({ status: 'failed', result: { changed: false, outcome: 'refused', restored: true, exit_code: 1, watcher: expect.any(Number) } });
    expect(t.result.msg).toMatch(/v0\.4\.9/);
    expect(t.result.msg).toMatch(/404/);
    expect(readFileSync(hosts.h1.file).equals(file)).toBe(true);
    expect(outsideGlr()).toEqual(tree);
    expect(records(hosts.h1).at(-1)).toMatchObject({ version: 'v0.4.9', outcome: 'refused' });
    expect(await hosts.h1.healthyOn('v0.4.5')).toBe(true);
  });

  it('max_fail_percentage 0: a batch with one failed host stops the play, though its other host went through', async () => {
    // h1 cannot run glr (its glr_command names no bundle): a failure before anything changes
    const broken = ws.inventory(
      Object.fromEntries(HOSTS.map((n) => [n, { file: hosts[n].file, vars: n === 'h1' ? { glr_command: [process.execPath, '/nonexistent/glr.js'] } : {} }])),
      'inventory-broken.yml',
    );
    const before = { h1: snapshot(hosts.h1), h3: snapshot(hosts.h3) };
    const r = await ws.run('ansible-playbook', ['-i', broken, ROLLING_UPGRADE, '-e', 'glr_version=v0.4.7', '-e', '{"glr_serial": [2, 1]}']);
    seen.push(r);
    expect(r.code, r.stdout).not.toBe(0);
    expect(only(r, 'h1')).toMatchObject({ status: 'failed', result: { changed: false } });
    expect(only(r, 'h1').result.msg).toMatch(/cannot run glr: \/nonexistent\/glr\.js does not exist/);
    expect(only(r, 'h2')).toMatchObject({ status: 'changed', result: { outcome: 'applied', from: 'v0.4.5', version: 'v0.4.7' } });
    expect(
      switches(r)
        .map((t) => t.host)
        .sort(),
    ).toEqual(['h1', 'h2']);
    expect(recapOf(r, 'h3')).toBeNull();
    expect(snapshot(hosts.h1)).toEqual(before.h1);
    expect(snapshot(hosts.h3)).toEqual(before.h3);
  });

  it('a rerun resumes: the host already on the version is ok and untouched, the others go through', async () => {
    const h2 = snapshot(hosts.h2);
    const r = await play(['-e', 'glr_version=v0.4.7', '-e', '{"glr_serial": [2, 1]}']);
    expect(r.code, r.stdout).toBe(0);
    expect(only(r, 'h2').result).toMatchObject({ changed: false, outcome: 'converged' });
    expect(snapshot(hosts.h2)).toEqual(h2);
    for (const n of ['h1', 'h3'] as const) {
      expect(only(r, n).result).toMatchObject({ changed: true, outcome: 'applied', from: 'v0.4.5', version: 'v0.4.7' });
      expect(await hosts[n].healthyOn('v0.4.7')).toBe(true);
    }
  });

  it('a release rolled back on a host without a watcher: failed, changed, rolled_back, the file back', async () => {
    const file = readFileSync(hosts.h2.file);
    const r = await play(['-e', 'glr_version=v0.4.6', '--limit', 'h2']);
    expect(r.code).not.toBe(0);
    expect(only(r, 'h2')).toMatchObject({
      status: 'failed',
      result: { changed: true, outcome: 'rolled-back', rolled_back: true, restored: true, watcher: null, from: 'v0.4.7', exit_code: 3 },
    });
    expect(readFileSync(hosts.h2.file).equals(file)).toBe(true);
    expect(await hosts.h2.healthyOn('v0.4.7')).toBe(true);
  });

  it('exit 4 on one host surfaces as must_act; its file is left for the operator', async () => {
    // the version h3 runs will not start again (its spec is read at start)
    const spec = path.join(hosts.h3.root, 'v0.4.7/bin/fake-node.json');
    writeFileSync(spec, JSON.stringify({ ...JSON.parse(readFileSync(spec, 'utf8')), mode: 'die-on-start' }));
    const r = await play(['-e', 'glr_version=v0.4.6', '--limit', 'h3']);
    expect(r.code).not.toBe(0);
    const t = only(r, 'h3');
    expect(t).toMatchObject({
      status: 'failed',
      result: { changed: true, outcome: 'must-act', must_act: true, rolled_back: false, restored: false, exit_code: 4 },
    });
    expect(t.result.msg).toMatch(/the rollback to v0\.4\.7 failed too.*the operator must act/);
    expect(readFileSync(hosts.h3.file, 'utf8')).toMatch(/^version: v0\.4\.6 {3}# the fleet bumps this$/m);
    expect(recapOf(r, 'h3')).toMatchObject({ failed: 1 });
  });

  it('glr_info watches a node for healthy_for seconds: a healthy one passes every look, a down one fails at once', async () => {
    const args = { file: '{{ glr_file }}', glr: '{{ glr_command }}', version: 'v0.4.7', healthy_for: 2, every: 1 };
    const r = await ws.run('ansible', ['-i', inventory, 'h1,h3', '-m', 'genlayer.glr.glr_info', '-a', JSON.stringify(args)]);
    seen.push(r);
    expect(r.code).not.toBe(0);
    const byHost = Object.fromEntries(r.results.map((t) => [t.host, t]));
    expect(byHost.h1).toMatchObject({ status: 'ok', result: { changed: false, healthy: true, running_version: 'v0.4.7', converged: true } });
    expect(byHost.h1!.result.looks).toBeGreaterThanOrEqual(3);
    expect(byHost.h3).toMatchObject({ status: 'failed', result: { changed: false, healthy: false, looks: 1 } });
    expect(byHost.h3!.result.msg).toMatch(/is not healthy .* after 1 look\(s\) of the 2 s it must stay healthy/);
  });

  it('no .env value or key appears in any module result or in what ansible printed', () => {
    expect(seen.length).toBeGreaterThan(4);
    for (const r of seen) {
      expect(r.results.length).toBeGreaterThan(0);
      expect(leakedSecrets(JSON.stringify(r.results), r.stdout, r.stderr)).toEqual([]);
    }
  });
});
