/**
 * The stop, as the service manager and the node really behave: a node that takes longer to stop
 * than glr's bound, a stop command that signals and returns at once, one that stops the node and
 * then fails. Once glr has asked a node to stop for a switch, it brings a node up before it
 * returns (the new one, or the old one back), and exit 1 ("the running node … as it was") is
 * said only when it is true. A stop's exit code is a hint: the manager's status decides.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../sandbox/host.js';
import { isAlive } from '../../sandbox/proc.js';
import { SVC_JS } from '../../sandbox/releases.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { errorLines, runGlr } from '../helpers/glr.js';
import { fakeSystemctl } from '../helpers/systemctl.js';

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.cleanup();
  sb = undefined;
});

const nodePid = (s: Sandbox) => Number(readFileSync(path.join(s.host.state, 'node.pid'), 'utf8'));

/** desired-state.yaml with the sandbox's service.stop replaced by `stop` */
function withStop(s: Sandbox, version: string, stop: string[], o: { timeoutSeconds?: number } = {}): string {
  const text = s.host.desiredYaml({ version, ...o });
  const replaced = text.replace(/^ {2}stop: .*$/m, `  stop: ${JSON.stringify(stop)}`);
  expect(replaced).not.toBe(text);
  writeFileSync(s.host.file, replaced);
  return s.host.file;
}

/** a stop that sends SIGTERM and returns at once, as `kill` (or `systemctl stop --no-block`) does */
const signalOnly = (s: Sandbox) => ['/bin/sh', '-c', `kill "$(cat '${path.join(s.host.state, 'node.pid')}')"`];
/** the sandbox's own stop (it waits for the node to exit), then a failing exit code */
const stopsThenFails = (s: Sandbox) => [
  '/bin/sh',
  '-c',
  `'${process.execPath}' '${SVC_JS}' stop --root '${s.host.root}' --state '${s.host.state}'; echo 'stop: could not remove the pid file' >&2; exit 1`,
];

/** the sandbox's own start, then a failing exit code */
const startsThenFails = (s: Sandbox) => [
  '/bin/sh',
  '-c',
  `'${process.execPath}' '${SVC_JS}' start --root '${s.host.root}' --state '${s.host.state}'; echo 'start: could not write the unit log' >&2; exit 1`,
];

/** After glr returned: the node it signalled has exited, and a node runs healthy on `version`. */
async function expectUpAfterTheOldNodeIsGone(s: Sandbox, signalled: number, version: string): Promise<void> {
  await waitFor(() => !isAlive(signalled), { timeoutMs: 30_000, what: 'the signalled node to exit' });
  expect(await s.host.healthyOn(version), `no node healthy on ${version} once the signalled one exited`).toBe(true);
  expect(nodePid(s)).not.toBe(signalled);
}

describe('a node slower to stop than the bound', () => {
  it('service.manager command: the switch is kept off, and the old node is up and healthy before glr returns (exit 1)', async () => {
    // the node takes 4.5 s to stop; glr's bound is 3 s: past it, and well within a second one
    sb = await createSandbox({ release: { stopMs: 4500 } });
    const s = sb;
    await s.publish({ version: 'v0.4.5' });
    const old = nodePid(s);
    const r = await runGlr(['reconcile', '-f', withStop(s, 'v0.4.5', signalOnly(s))], { env: { GLR_CONFIRM_STOP_SECONDS: '3' } });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(errorLines(r)).toEqual([
      expect.stringMatching(
        /^glr: the node service \(status: \/bin\/sh\) did not stop within 3 s of being asked \(it says running\); nothing was switched: v0\.4\.3 was started again once it had stopped, and is healthy$/,
      ),
    ]);
    expect(s.host.linkVersions()).toEqual(['v0.4.3']);
    await expectUpAfterTheOldNodeIsGone(s, old, 'v0.4.3');
    expect(s.host.doubleRuns()).toEqual([]);
    // the release never ran: it is not marked bad
    const status = await runGlr(['status', '-f', s.host.file]);
    expect(status.stdout).toMatch(/^bad\s+none$/m);
  });

  it("systemd: glr waits as long as the unit's own TimeoutStopSec, and the switch goes through", async () => {
    sb = await createSandbox({ release: { stopMs: 4000 } });
    const s = sb;
    await s.publish({ version: 'v0.4.5' });
    // a unit with TimeoutStopSec=12s whose stop returns at once (--no-block)
    const { env } = fakeSystemctl(s.host, { timeoutStop: '12s', stop: `kill "$(cat '${path.join(s.host.state, 'node.pid')}')"` });
    const old = nodePid(s);
    const file = s.host.writeDesired({ version: 'v0.4.5', systemdUnit: 'genlayer-node' });
    const r = await runGlr(['reconcile', '-f', file], { env: { ...env, GLR_CONFIRM_STOP_SECONDS: '2' } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^v0\.4\.5 is healthy/);
    await expectUpAfterTheOldNodeIsGone(s, old, 'v0.4.5');
    expect(s.host.doubleRuns()).toEqual([]);
  });
});

describe("a stop command's exit code is a hint; the status decides", () => {
  it('a stop that stops the node, then exits 1: the switch goes on (exit 0)', async () => {
    sb = await createSandbox();
    const s = sb;
    await s.publish({ version: 'v0.4.5' });
    const r = await runGlr(['reconcile', '-f', withStop(s, 'v0.4.5', stopsThenFails(s))]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await s.host.healthyOn('v0.4.5')).toBe(true);
    expect(s.host.doubleRuns()).toEqual([]);
  });

  it('a start that starts the node, then exits 1: the status says running, health decides (exit 0)', async () => {
    sb = await createSandbox();
    const s = sb;
    await s.publish({ version: 'v0.4.5' });
    const text = s.host.desiredYaml({ version: 'v0.4.5' });
    writeFileSync(s.host.file, text.replace(/^ {2}start: .*$/m, `  start: ${JSON.stringify(startsThenFails(s))}`));
    const r = await runGlr(['reconcile', '-f', s.host.file]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await s.host.healthyOn('v0.4.5')).toBe(true);
    expect(s.host.doubleRuns()).toEqual([]);
  });

  it('the same stop when the new release fails: the rollback asks the status and starts the old version (exit 3)', async () => {
    sb = await createSandbox();
    const s = sb;
    await s.publish({ version: 'v0.4.6', mode: 'unhealthy' });
    const r = await runGlr(['reconcile', '-f', withStop(s, 'v0.4.6', stopsThenFails(s), { timeoutSeconds: 3 })]);
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toMatch(/rolled back: v0\.4\.3 is healthy again/);
    expect(await s.host.healthyOn('v0.4.3')).toBe(true);
    expect(s.host.linkVersions()).toEqual(['v0.4.3']);
    expect(s.host.doubleRuns()).toEqual([]);
  });
});
