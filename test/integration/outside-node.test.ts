/**
 * A node the service manager does not know about: it runs and answers /health while the manager
 * says stopped (started by hand, in tmux, by an old unit; here its pid file was moved away, so
 * the sandbox's status says stopped). A node that answers is running, whatever the manager says:
 * glr refuses before anything starts or stops, and never starts a node while anything answers on
 * the health URL, also right before each start in the window. The fake node's double-signing
 * witness must stay empty.
 */
import { existsSync, renameSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../sandbox/host.js';
import { type Sandbox, sandboxEachTest } from '../helpers/sandbox.js';
import { errorLines, hasStackTrace, runGlr, startGlr } from '../helpers/glr.js';

const each = sandboxEachTest();

/** The node keeps running, but the manager loses sight of it (its pid file moved away). */
function hideFromManager(s: Sandbox): void {
  renameSync(path.join(s.host.state, 'node.pid'), path.join(s.host.state, 'node.pid.outside'));
  expect(s.host.svc('status')).toBe(3);
}

const OUTSIDE =
  /^glr: the node service \(status: \/bin\/sh\) says stopped, but a node answers on http:\/\/127\.0\.0\.1:\d+\/health \(HTTP 200, version v0\.4\.3, validating up\): it runs outside the service manager \(started by hand\?\)\. glr never starts a second node: stop that node, or let the manager see it, then run again$/;

describe('a node that answers while the manager says stopped', () => {
  for (const version of ['v0.4.3', 'v0.4.5']) {
    it(`desired ${version}: refused before anything starts or stops, both facts named (dry-run too)`, async () => {
      const s = await each.sandbox();
      await s.publish({ version: 'v0.4.5' });
      hideFromManager(s);
      const file = s.host.writeDesired({ version });
      const dry = await runGlr(['reconcile', '--dry-run', '-f', file]);
      expect(dry.code, dry.stdout + dry.stderr).toBe(1);
      expect(errorLines(dry)).toEqual([expect.stringMatching(OUTSIDE)]);
      const r = await runGlr(['reconcile', '-f', file]);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(errorLines(r)).toEqual([expect.stringMatching(OUTSIDE)]);
      expect(hasStackTrace(r)).toBe(false);
      expect(s.host.serviceCount('start')).toBe(1);
      expect(existsSync(path.join(s.host.root, 'v0.4.5'))).toBe(false);
      expect(await s.host.healthyOn('v0.4.3')).toBe(true);
      expect(s.host.doubleRuns()).toEqual([]);
    });
  }

  it('a node started outside the manager during the window: glr does not start a second one', async () => {
    const s = await each.sandbox();
    await s.publish({ version: 'v0.4.5' });
    // the node is down: the plan starts one after the swap, without a stop of its own
    expect(s.host.svc('stop')).toBe(0);
    const { stderr, done } = startGlr(['reconcile', '-f', s.host.writeDesired({ version: 'v0.4.5' })], { env: { GLR_FAILPOINT: 'swapped:5000' } });
    await waitFor(() => stderr().includes('failpoint swapped reached'), { timeoutMs: 30_000, what: 'the swap' });
    // someone starts the node by hand meanwhile, outside the manager's sight
    expect(s.host.svc('start')).toBe(0);
    await waitFor(async () => (await s.host.health()) !== null, { timeoutMs: 4000, what: 'the node started by hand to answer' });
    hideFromManager(s);
    const r = await done;
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stdout).toMatch(
      /a node answers on http:\/\/127\.0\.0\.1:\d+\/health \([^)]*\) although the node service \(status: \/bin\/sh\) says stopped: not starting a second node/,
    );
    expect(r.stdout).toMatch(/the operator must act$/m);
    expect(s.host.serviceCount('start')).toBe(2); // the host's first start and the one by hand: none by glr
    expect(s.host.doubleRuns()).toEqual([]);
  });
});
