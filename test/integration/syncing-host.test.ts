import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { planKinds, runGlr } from '../helpers/glr.js';

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.cleanup();
  sb = undefined;
});

/**
 * A host already on the desired version whose node is syncing (503 "node is not synced"): glr
 * switched nothing, so it writes no journal record. The last switch's closed record (`done`,
 * leaving v0.4.3) is what last-known-good reads when the history has rotated past the switch.
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
    return { s, journal, journalText };
  }

  it('plans no journal record, and a sync that outlasts the timeout leaves the last switch’s record as it was', async () => {
    const { s, journal, journalText } = await syncingOnV045(600_000);
    const file = s.host.writeDesired({ version: 'v0.4.5', timeoutSeconds: 2 });
    const dry = await runGlr(['reconcile', '--dry-run', '--json', '-f', file]);
    expect(planKinds(dry.stdout)).not.toContain('close-journal');
    await runGlr(['reconcile', '-f', file]);
    expect(readFileSync(journal, 'utf8')).toBe(journalText);
  });

  it('a sync that ends in time leaves the last switch’s record as it was', async () => {
    const { s, journal, journalText } = await syncingOnV045(2500);
    const r = await runGlr(['reconcile', '-f', s.host.writeDesired({ version: 'v0.4.5', timeoutSeconds: 30 })]);
    expect(r.code, r.stderr).toBe(0);
    expect(await s.host.healthyOn('v0.4.5')).toBe(true);
    expect(readFileSync(journal, 'utf8')).toBe(journalText);
  });
});
