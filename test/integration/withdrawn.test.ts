/**
 * A withdrawn change: the file asked for v0.4.5, then, while v0.4.5 was still being prepared,
 * went back to v0.4.3. glr reads the file again right before the stop; a switch it no longer
 * asks for is not made (reconcile: exit 1, saying why; the watcher's next pass plans afresh):
 * no restart of the validator on a release its operator withdrew.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../sandbox/host.js';
import { sandboxEachTest, type Sandbox } from '../helpers/sandbox.js';
import { errorLines, startGlr } from '../helpers/glr.js';

const each = sandboxEachTest();

const preparing = (s: Sandbox) => existsSync(path.join(s.host.root, 'v0.4.5/.glr-preparing'));

describe('the file goes back while the new version is being prepared', () => {
  it('glr reconcile: stops before the stop (exit 1, saying why); the node never restarted', async () => {
    const s = await each.sandbox();
    await s.publish({ version: 'v0.4.5', setupMs: 3000 });
    const { child, done } = startGlr(['reconcile', '-f', s.host.writeDesired({ version: 'v0.4.5', providers: null })]);
    await waitFor(() => preparing(s), { timeoutMs: 30_000, what: 'the preparation of v0.4.5' });
    s.host.writeDesired({ version: 'v0.4.3', providers: null });
    const r = await done;
    expect(child.exitCode).toBe(1);
    expect(errorLines(r)).toEqual([
      `glr: ${s.host.file} no longer asks for v0.4.5 (it asks for v0.4.3 now): the switch is withdrawn and was not made; nothing was stopped`,
    ]);
    expect(s.host.serviceCount('stop')).toBe(0);
    expect(s.host.serviceCount('start')).toBe(1);
    expect(await s.host.healthyOn('v0.4.3')).toBe(true);
    expect(s.host.linkVersions()).toEqual(['v0.4.3']);
  });

  it('glr watch: no switch at all; the next pass finds the host converged', async () => {
    const s = await each.sandbox();
    await s.publish({ version: 'v0.4.5', setupMs: 3000 });
    s.host.writeDesired({ version: 'v0.4.3', providers: null });
    const w = each.watch(s.host.file);
    await waitFor(() => w.has(/^converged/), { timeoutMs: 20_000, what: 'the first pass' });
    s.host.writeDesired({ version: 'v0.4.5', providers: null });
    await waitFor(() => preparing(s), { timeoutMs: 30_000, what: 'the preparation of v0.4.5' });
    s.host.writeDesired({ version: 'v0.4.3', providers: null });
    const withdrawn = () => w.logs().findIndex((l) => /no longer asks for v0\.4\.5 \(it asks for v0\.4\.3 now\)/.test(l.msg));
    await waitFor(() => withdrawn() >= 0, { timeoutMs: 30_000, what: 'the withdrawn switch' });
    // the pass the second edit asked for (it may already have run)
    await waitFor(() => w.logs().some((l, i) => i > withdrawn() && /^converged/.test(l.msg)), { timeoutMs: 20_000, what: 'the next pass' });
    expect(s.host.serviceCount('stop')).toBe(0);
    expect(s.host.serviceCount('start')).toBe(1);
    expect(await s.host.healthyOn('v0.4.3')).toBe(true);
    expect(s.host.linkVersions()).toEqual(['v0.4.3']);
    expect((await w.stop()).code).toBe(0);
    expect(s.host.doubleRuns()).toEqual([]);
  });
});
