/**
 * GenLayer's checks around a switch that live in Docker, verified rather than assumed:
 *
 * - after every change of the running version, the Alloy container must read the running
 *   version's node.log (GenLayer's sharp edge `alloy-stale-bind-mount`): its bind mount was
 *   resolved through the root's links when it started, so after the switch it shows the old
 *   version's file until it is restarted (or recreated, when the release's compose file changed);
 *   a container that stays stale is said in the outcome, `glr status` and glr_telemetry_stale,
 *   never rolled back;
 * - before the stop, the WebDriver container is healthy, or the switch is refused; and the doctor
 *   gets `--network`.
 *
 * The fake docker (sandbox/docker.ts) resolves a container's mounts when it starts, as Docker does.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeMachine } from '../../sandbox/machine.js';
import { leakedSecrets, runGlr, type GlrRun } from '../helpers/glr.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { pathWithout } from '../helpers/path-without.js';

const ALLOY = 'genlayer-node-alloy';
const WEBDRIVER = 'genlayer-node-webdriver';
const FAST = { GLR_TELEMETRY_SETTLE_SECONDS: '2' };

/** Alloy as GenLayer's docker-compose.yaml creates it, from the root (its logs through `data`). */
function composeUpAlloy(machine: FakeMachine, root: string): void {
  expect(machine.docker('compose', '-p', 'genlayer-node', '--project-directory', root, '-f', path.join(root, 'docker-compose.yaml'), 'up', '-d', 'alloy')).toBe(
    0,
  );
}

function healthyWebdriver(machine: FakeMachine, status: 'running' | 'exited' = 'running', health: string | null = 'healthy'): void {
  machine.setContainer({ name: WEBDRIVER, status, health, labels: {}, mounts: [] });
}

function metric(file: string, name: string): string | null {
  return new RegExp(`^${name} (\\S+)$`, 'm').exec(readFileSync(file, 'utf8'))?.[1] ?? null;
}

describe('a stale Alloy mount after the switch: found, repaired, reported', () => {
  let sb: Sandbox;
  let machine: FakeMachine;
  let run: GlrRun;
  let prom: string;
  let file: string;

  beforeAll(async () => {
    machine = FakeMachine.create();
    sb = await createSandbox({ running: 'v0.5.10' });
    await sb.publish({ version: 'v0.5.11' });
    composeUpAlloy(machine, sb.host.root);
    healthyWebdriver(machine);
    prom = path.join(sb.host.dir, 'glr.prom');
    const o = { providers: null, alloy: { container: ALLOY }, webdriver: WEBDRIVER, extra: `metrics:\n  textfile: ${prom}` };
    // on the running version, before any switch, Alloy reads the node's log
    sb.host.writeDesired({ version: 'v0.5.10', ...o });
    const before = await runGlr(['status', '--json', '-f', sb.host.file], { env: machine.env });
    expect((JSON.parse(before.stdout) as { telemetry: { state: string } }).telemetry.state).toBe('fresh');
    file = sb.host.writeDesired({ version: 'v0.5.11', ...o });
    run = await runGlr(['reconcile', '-f', file], { env: { ...machine.env, ...FAST } });
  });

  afterAll(async () => {
    await machine?.cleanup();
    await sb?.cleanup();
  });

  it('switches, then finds Alloy still showing v0.5.10’s node.log, restarts it, and says so', async () => {
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await sb.host.healthyOn('v0.5.11')).toBe(true);
    expect(run.stdout).toMatch(
      /v0\.5\.11 is healthy .*; but telemetry: genlayer-node-alloy read a stale node\.log \(genlayer-node-alloy reads another file at \/var\/log\/genlayer\/node\.log .*\); restarted, it reads v0\.5\.11's now/,
    );
    expect(machine.dockerEvents()).toEqual([`create ${ALLOY}`, `restart ${ALLOY}`]);
    expect(leakedSecrets(run.stdout, run.stderr)).toEqual([]);
  });

  it('Alloy now reads the running version’s log: status and the metric say fresh', async () => {
    expect(machine.container(ALLOY)!.mounts.find((m) => m.destination === '/var/log/genlayer')!.resolved).toBe(
      path.join(sb.host.root, 'v0.5.11/data/node/logs'),
    );
    expect(metric(prom, 'glr_telemetry_stale')).toBe('0');
    const s = await runGlr(['status', '--json', '-f', file], { env: machine.env });
    expect((JSON.parse(s.stdout) as { telemetry: unknown }).telemetry).toEqual({
      container: ALLOY,
      logPath: '/var/log/genlayer/node.log',
      state: 'fresh',
      detail: null,
    });
  });
});

describe('a release whose compose file changed: Alloy recreated from it, not restarted', () => {
  let sb: Sandbox;
  let machine: FakeMachine;

  afterAll(async () => {
    await machine?.cleanup();
    await sb?.cleanup();
  });

  it('v0.5.6 → v0.5.7 (its docker-compose.yaml adds Alloy’s health check)', async () => {
    machine = FakeMachine.create();
    sb = await createSandbox({ running: 'v0.5.6' });
    await sb.publish({ version: 'v0.5.7' });
    composeUpAlloy(machine, sb.host.root);
    const r = await runGlr(['reconcile', '-f', sb.host.writeDesired({ version: 'v0.5.7', providers: null, alloy: { container: ALLOY } })], {
      env: { ...machine.env, ...FAST },
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/recreated from \S+\/docker-compose\.yaml \(the release's docker-compose\.yaml or \.env changed\), it reads v0\.5\.7's now/);
    expect(machine.dockerEvents()).toEqual([`create ${ALLOY}`, `recreate ${ALLOY}`]);
    expect(machine.container(ALLOY)!.mounts.map((m) => m.destination)).toContain('/etc/alloy/healthcheck.sh');
  });
});

describe('before the stop: the WebDriver, the doctor with --network; after it, an Alloy that stays stale', () => {
  let sb: Sandbox;
  let machine: FakeMachine;
  let prom: string;

  beforeAll(async () => {
    machine = FakeMachine.create();
    sb = await createSandbox({ running: 'v0.5.10' });
    await sb.publish({ version: 'v0.5.11' });
    prom = path.join(sb.host.dir, 'glr.prom');
    // the operator pointed Alloy's logs at the version folder itself (NODE_LOGS_PATH): a restart resolves it to the same old folder
    const pinned = path.join(sb.host.root, 'v0.5.10/data/node/logs');
    machine.setContainer({
      name: ALLOY,
      status: 'running',
      health: null,
      labels: {},
      mounts: [{ source: pinned, destination: '/var/log/genlayer', resolved: pinned }],
    });
  });

  afterAll(async () => {
    await machine?.cleanup();
    await sb?.cleanup();
  });

  const desired = (network: string) =>
    sb.host.writeDesired({
      version: 'v0.5.11',
      providers: null,
      doctor: true,
      network,
      webdriver: WEBDRIVER,
      alloy: { container: ALLOY },
      extra: `metrics:\n  textfile: ${prom}`,
    });

  it('a WebDriver that is not running refuses the switch before the stop', async () => {
    healthyWebdriver(machine, 'exited', null);
    const r = await runGlr(['reconcile', '-f', desired('asimov')], { env: machine.env });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain(
      `the WebDriver container ${WEBDRIVER} is not running (exited); GenVM's web module needs it: start it (cd ${sb.host.root} && docker compose up -d) and run glr again; nothing was stopped`,
    );
    expect(sb.host.serviceEvents().map((e) => e.verb)).toEqual(['start']);
    expect(await sb.host.healthyOn('v0.5.10')).toBe(true);
  });

  it('an unhealthy one too; no Docker at all says so', async () => {
    healthyWebdriver(machine, 'running', 'unhealthy');
    const r = await runGlr(['reconcile', '-f', desired('asimov')], { env: machine.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the WebDriver container ${WEBDRIVER} is unhealthy, not healthy (docker inspect)`);
    const none = await runGlr(['reconcile', '-f', desired('asimov')], { env: { PATH: pathWithout('docker', sb.host.dir) } });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/the WebDriver container cannot be checked: docker inspect genlayer-node-webdriver docker: command not found/);
    expect(sb.host.serviceEvents().map((e) => e.verb)).toEqual(['start']);
  });

  it('the doctor gets --network: another network’s name refuses the switch', async () => {
    healthyWebdriver(machine);
    const r = await runGlr(['reconcile', '-f', desired('bradbury')], { env: machine.env });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain('genlayernode doctor of v0.5.11 reports ✗ Network: config.yaml is for testnet-asimov, not bradbury');
    expect(sb.host.serviceEvents().map((e) => e.verb)).toEqual(['start']);
  });

  it('switches; Alloy, restarted, still reads v0.5.10’s log: reported, not rolled back', async () => {
    const r = await runGlr(['reconcile', '-f', desired('asimov')], { env: { ...machine.env, ...FAST } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await sb.host.healthyOn('v0.5.11')).toBe(true);
    expect(r.stdout).toMatch(
      /; but telemetry is stale: genlayer-node-alloy read a stale node\.log .*; restarted, it still does not \(.*\)\. GenLayer's monitoring sees no logs/,
    );
    expect(machine.dockerEvents()).toEqual([`restart ${ALLOY}`]);
  });

  it('status and the metric say it is stale', async () => {
    expect(metric(prom, 'glr_telemetry_stale')).toBe('1');
    const s = await runGlr(['status', '-f', sb.host.file], { env: machine.env });
    expect(s.stdout).toMatch(/^telemetry genlayer-node-alloy: STALE: genlayer-node-alloy reads another file at \/var\/log\/genlayer\/node\.log/m);
    // a later pass on the converged host still says so: a warning of its plan, and the metric
    const dry = await runGlr(['reconcile', '--dry-run', '-f', sb.host.file], { env: machine.env });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('  - telemetry is stale: genlayer-node-alloy reads another file');
    const again = await runGlr(['reconcile', '-f', sb.host.file], { env: machine.env });
    expect(again.stdout).toMatch(/^converged/);
    expect(metric(prom, 'glr_telemetry_stale')).toBe('1');
  });
});
