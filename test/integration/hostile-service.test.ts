/**
 * The service manager and the health endpoint: a status command that cannot tell, and
 * health answers that are not what a healthy node on the right version says. glr never guesses a
 * node stopped and never counts a wrong answer as healthy: it refuses at plan time (dry-run too)
 * with exit 1, one clear line, and the host as it was.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { expectRefusal } from '../helpers/hostile.js';

const V = 'v0.4.5';
let sb: Sandbox;

/** A stand-in for the node's ops port that answers what the test says. */
type Answer = { status: number; body: string } | 'hang';
let answer: Answer = { status: 200, body: 'OK' };
let fake: http.Server;
let fakeUrl: string;
const hanging = new Set<http.ServerResponse>();

beforeAll(async () => {
  sb = await createSandbox();
  await sb.publish({ version: V });
  fake = http.createServer((_req, res) => {
    if (answer === 'hang') {
      hanging.add(res);
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}/health`;
});
afterAll(async () => {
  for (const res of hanging) res.destroy();
  fake?.closeAllConnections();
  await new Promise<void>((r) => (fake ? fake.close(() => r()) : r()));
  await sb?.cleanup();
});

/** desired-state.yaml with one line of the sandbox's replaced. */
function desired(version: string, replace: [RegExp, string][]): string {
  let text = sb.host.desiredYaml({ version });
  for (const [re, by] of replace) {
    expect(text).toMatch(re);
    text = text.replace(re, by);
  }
  writeFileSync(sb.host.file, text);
  return sb.host.file;
}
const status = (argv: string[]): [RegExp, string] => [/^ {2}status: .*$/m, `  status: ${JSON.stringify(argv)}`];
const healthAt = (url: string): [RegExp, string] => [/^ {2}url: http:\/\/127\.0\.0\.1:\d+\/health$/m, `  url: ${url}`];
const nodeSays = (o: { version: string; validating?: string; status?: number }) => ({
  status: o.status ?? 200,
  body: JSON.stringify({
    status: (o.validating ?? 'up') === 'up' ? 'up' : 'down',
    node_version: o.version,
    protocol_version: 'consensus-v1',
    checks: { validating: { status: o.validating ?? 'up', timestamp: new Date().toISOString() }, zksync: { status: 'up' } },
  }),
});

describe('a status command that cannot tell whether the node runs', () => {
  it('does not exist', async () => {
    const file = desired(V, [status(['/nonexistent/glr-node-status'])]);
    await expectRefusal(sb.host, file, {
      dryRun: 'same',
      line: /^glr: cannot tell whether the node runs: service\.status failed \(\/nonexistent\/glr-node-status: command not found\); glr never guesses that a node is stopped: fix service\.status in the file and run again$/,
    });
  });

  it('is killed by a signal', async () => {
    const file = desired(V, [status([process.execPath, '-e', 'process.kill(process.pid, "SIGKILL")'])]);
    await expectRefusal(sb.host, file, {
      dryRun: 'same',
      line: /^glr: cannot tell whether the node runs: service\.status failed \(killed by SIGKILL\); glr never guesses/,
    });
  });

  it('is not executable', async () => {
    const script = path.join(sb.host.dir, 'status-not-executable');
    writeFileSync(script, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    const file = desired(V, [status([script])]);
    await expectRefusal(sb.host, file, {
      dryRun: 'same',
      line: /^glr: cannot tell whether the node runs: service\.status failed \(\S+\/status-not-executable: permission denied\)/,
    });
  });

  it('exits 127: a wrapper whose command is missing is not a stopped node (glr would start a second one)', async () => {
    const file = desired(V, [status([process.execPath, '-e', 'process.exit(127)'])]);
    await expectRefusal(sb.host, file, {
      dryRun: 'same',
      line: /^glr: cannot tell whether the node runs: service\.status failed \(exit 127: its command was not found\)/,
    });
    expect(sb.host.doubleRuns()).toEqual([]);
  });

  it('exits 4 (LSB: status unknown)', async () => {
    const file = desired(V, [status([process.execPath, '-e', 'process.exit(4)'])]);
    await expectRefusal(sb.host, file, { dryRun: 'same', line: /^glr: cannot tell whether the node runs: service\.status failed \(exit 4: status unknown\)/ });
  });
});

describe('a health answer that is not a healthy node on the version the links name', () => {
  it('not JSON', async () => {
    answer = { status: 200, body: '<html>OK</html>' };
    const file = desired(V, [healthAt(fakeUrl)]);
    await expectRefusal(sb.host, file, {
      dryRun: 'same',
      line: /^glr: v0\.4\.3 runs but is not healthy \(HTTP 200, the answer is not JSON: is health\.url the node's \/health\?\); glr switches from a healthy node or a stopped one/,
    });
  });

  it('a 200 from another version (the switch would start from a node it cannot vouch for)', async () => {
    answer = nodeSays({ version: 'v0.4.9' });
    const file = desired(V, [healthAt(fakeUrl)]);
    await expectRefusal(sb.host, file, {
      dryRun: 'same',
      line: /^glr: the node answers as v0\.4\.9 but the links point at v0\.4\.3; restart it or fix the links, then run again$/,
    });
  });

  it('a 200 from another version on a host already at the desired version: never counted healthy', async () => {
    answer = nodeSays({ version: 'v0.4.9' });
    const file = desired('v0.4.3', [healthAt(fakeUrl)]);
    await expectRefusal(sb.host, file, {
      dryRun: 'same',
      refused: null,
      line: /^glr: the node answers as v0\.4\.9 but the links point at v0\.4\.3; it was switched by hand without a restart\?/,
    });
  });

  it('a 200 whose validating check is down', async () => {
    answer = nodeSays({ version: 'v0.4.3', validating: 'down' });
    const file = desired(V, [healthAt(fakeUrl)]);
    await expectRefusal(sb.host, file, { dryRun: 'same', line: /^glr: v0\.4\.3 runs but is not healthy \(HTTP 200, version v0\.4\.3, validating down\)/ });
  });

  it('an endpoint that accepts and never answers (a timeout, not a hang)', async () => {
    answer = 'hang';
    const file = desired(V, [healthAt(fakeUrl)]);
    const t = Date.now();
    await expectRefusal(sb.host, file, { dryRun: 'same', line: /^glr: v0\.4\.3 runs but is not healthy \(no answer \(timed out\)\)/ });
    expect(Date.now() - t).toBeLessThan(30_000);
  });

  it('nothing listens at health.url', async () => {
    const file = desired(V, [healthAt('http://127.0.0.1:9/health')]);
    await expectRefusal(sb.host, file, { dryRun: 'same', line: /^glr: v0\.4\.3 runs but is not healthy \(no answer \(connection refused\)\)/ });
  });
});

describe("text from the operator's own commands", () => {
  it('a stop command that prints .env and fails, the node still running at the bound: exit 1, nothing switched, the secret scrubbed from the line', async () => {
    const { runGlr, errorLines, leakedSecrets } = await import('../helpers/glr.js');
    const env = path.join(sb.host.root, '.env');
    const file = desired(V, [
      [/^ {2}stop: .*$/m, `  stop: ${JSON.stringify(['/bin/sh', '-c', `echo "stopping failed; config follows" >&2; grep HEURISTKEY ${env}; exit 1`])}`],
    ]);
    // a stop's exit code is a hint: glr waits for the manager's status up to the bound (short here)
    const r = await runGlr(['reconcile', '-f', file], { env: { GLR_CONFIRM_STOP_SECONDS: '2' } });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(errorLines(r)).toEqual([
      expect.stringMatching(/^glr: the stop command failed: exit 1: HEURISTKEY=\[redacted\]; nothing was switched and v0\.4\.3 still runs healthy$/),
    ]);
    expect(leakedSecrets(r.stdout, r.stderr)).toEqual([]);
    expect(await sb.host.healthyOn('v0.4.3')).toBe(true);
    expect(sb.host.linkVersions()).toEqual(['v0.4.3']);
  });
});
