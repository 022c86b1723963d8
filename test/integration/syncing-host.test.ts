import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../sandbox/host.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { planKinds, runGlr } from '../helpers/glr.js';

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.cleanup();
  sb = undefined;
});

/**
 * A host already on the desired version whose node is syncing (GenLayer: 503, `status: down`,
 * validating down "node is not synced"): converged. glr switched nothing, so nothing restarts,
 * no journal record is written and nothing is waited for (never exit 4, however long the sync
 * takes). The last switch's closed record (`done`, leaving v0.4.3) is what last-known-good reads
 * when the history has rotated past the switch.
 */
describe('a host on the desired version whose node is still syncing', () => {
  async function syncingOnV045(syncMs: number): Promise<{ s: Sandbox; journal: string; journalText: string }> {
    const s = await createSandbox();
    sb = s;
    await s.publish({ version: 'v0.4.5', syncMs: 200 });
    const up = await runGlr(['reconcile', '-f', s.host.writeDesired({ version: 'v0.4.5', timeoutSeconds: 30 })]);
    expect(up.code, up.stderr).toBe(0);
    const journal = path.join(s.host.root, '.glr/journal.json');
    const journalText = readFileSync(journal, 'utf8');
    expect(JSON.parse(journalText)).toMatchObject({ phase: 'done', leaving: 'v0.4.3', entering: 'v0.4.5' });
    // restarted outside glr (a reboot, an operator) with a long sync ahead of it
    const spec = path.join(realpathSync(path.join(s.host.root, 'v0.4.5/bin')), 'fake-node.json');
    writeFileSync(spec, JSON.stringify({ ...JSON.parse(readFileSync(spec, 'utf8')), syncMs }));
    s.host.svc('stop');
    s.host.svc('start');
    await waitFor(async () => (await s.host.health())?.status === 503, { timeoutMs: 10_000, what: 'the node to answer 503 while it syncs' });
    return { s, journal, journalText };
  }

  it('plans nothing, and a sync that outlasts the timeout leaves the last switch’s record as it was', async () => {
    const { s, journal, journalText } = await syncingOnV045(600_000);
    const file = s.host.writeDesired({ version: 'v0.4.5', timeoutSeconds: 2 });
    const dry = await runGlr(['reconcile', '--dry-run', '--json', '-f', file]);
    expect(planKinds(dry.stdout)).toEqual([]);
    await runGlr(['reconcile', '-f', file]);
    expect(readFileSync(journal, 'utf8')).toBe(journalText);
  });

  it('converged while it syncs: exit 0 saying how far behind, nothing restarted, nothing written under the root', async () => {
    const { s, journal, journalText } = await syncingOnV045(600_000);
    const file = s.host.writeDesired({ version: 'v0.4.5', timeoutSeconds: 2 });
    const tree = s.host.tree();
    const events = readFileSync(path.join(s.host.state, 'events.log'), 'utf8');
    const r = await runGlr(['reconcile', '-f', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^converged: v0\.4\.5 runs and is syncing: \d+ blocks behind; nothing to do until it has caught up$/m);
    expect(readFileSync(path.join(s.host.state, 'events.log'), 'utf8')).toBe(events);
    expect(s.host.tree()).toEqual(tree);
    expect(readFileSync(journal, 'utf8')).toBe(journalText);
    expect((await s.host.health())?.status).toBe(503);
  });
});
