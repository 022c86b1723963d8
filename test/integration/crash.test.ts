import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../sandbox/host.js';
import { journalPhase, startPreparing, type Sandbox, sandboxEachTest } from '../helpers/sandbox.js';
import { stagingLeft } from '../helpers/hostile.js';
import { errorLines, killGlrWhen, leakedSecrets, planKinds, runGlr, startGlr } from '../helpers/glr.js';

const each = sandboxEachTest();

const staging = (s: Sandbox) => path.join(s.host.root, '.glr/staging');
const stagingEntries = (s: Sandbox) => stagingLeft(s.host);

/** After the crash, a second reconcile brings the host to `version` with nothing lost. */
async function expectRecovers(s: Sandbox, version: string, expectedCode = 0): Promise<void> {
  const r = await runGlr(['reconcile', '-f', s.host.file]);
  expect(r.code, r.stdout + r.stderr).toBe(expectedCode);
  expect(await s.host.healthyOn(version)).toBe(true);
  expect(s.host.linkVersions()).toEqual([version]);
  const dir = path.join(s.host.root, version);
  expect(existsSync(path.join(dir, 'third_party/genvm/.setup-done'))).toBe(true);
  expect(existsSync(path.join(dir, '.glr-preparing'))).toBe(false);
  expect(stagingEntries(s)).toEqual([]);
  const records = s.host.dbRecords();
  expect(records.map((x) => x.seq)).toEqual(records.map((_, i) => i + 1));
  expect(s.host.doubleRuns()).toEqual([]);
  expect(leakedSecrets(r.stdout, r.stderr)).toEqual([]);
  if (expectedCode === 0) expect((await runGlr(['reconcile', '--dry-run', '-f', s.host.file])).code).toBe(0);
}

/** Starts reconcile in its own process group, waits for `cond`, then SIGKILLs the whole group. */
async function killWhen(s: Sandbox, cond: (stderr: () => string) => boolean, env: Record<string, string> = {}): Promise<void> {
  const r = await killGlrWhen(['reconcile', '-f', s.host.file], (stderr) => cond(() => stderr), { env, timeoutMs: 60_000, what: 'the moment to kill glr' });
  expect(r.signal).toBe('SIGKILL');
}

describe('SIGKILL at each phase, then reconcile again', () => {
  it('during the download', async () => {
    const s = await each.sandbox();
    await s.publish({ version: 'v0.4.5', padBytes: 3 * 2 ** 20 });
    s.server.fault('v0.4.5', { kind: 'throttle', bytesPerSecond: 1024 * 1024 });
    s.host.writeDesired({ version: 'v0.4.5' });
    await killWhen(s, () => stagingEntries(s).length > 0 && existsSync(path.join(staging(s), stagingEntries(s)[0]!, 'third_party')));
    expect(existsSync(path.join(s.host.root, 'v0.4.5'))).toBe(false);
    expect(await s.host.healthyOn('v0.4.3')).toBe(true);
    s.server.fault('v0.4.5', null);
    await expectRecovers(s, 'v0.4.5');
  });

  it('during GenVM setup', async () => {
    const s = await each.sandbox();
    await s.publish({ version: 'v0.4.5', setupMs: 4000 });
    s.host.writeDesired({ version: 'v0.4.5' });
    await killWhen(s, (err) => err().includes('"action":"genvm-setup"') && existsSync(path.join(s.host.root, 'v0.4.5/.glr-preparing')));
    expect(await s.host.healthyOn('v0.4.3')).toBe(true);
    // the half-prepared folder is never trusted: the dry-run plans to remove and redo it
    const dry = await runGlr(['reconcile', '--dry-run', '--json', '-f', s.host.file]);
    expect(planKinds(dry.stdout)[0]).toBe('remove-version');
    await expectRecovers(s, 'v0.4.5');
  });

  for (const phase of ['switching', 'stopped', 'swapped', 'started'] as const) {
    it(`right after the journal says "${phase}"`, async () => {
      const s = await each.sandbox();
      await s.publish({ version: 'v0.4.5' });
      s.host.writeDesired({ version: 'v0.4.5' });
      await killWhen(s, (err) => err().includes(`failpoint ${phase} reached`), { GLR_FAILPOINT: phase });
      expect(journalPhase(s)).toBe(phase);
      expect(s.host.doubleRuns()).toEqual([]);
      await expectRecovers(s, 'v0.4.5');
      expect(journalPhase(s)).toBe('done');
    });
  }

  it('during verify (the new node started, still syncing)', async () => {
    const s = await each.sandbox();
    await s.publish({ version: 'v0.4.5', syncMs: 3000 });
    s.host.writeDesired({ version: 'v0.4.5' });
    await killWhen(s, (err) => journalPhase(s) === 'started' && err().includes('"action":"verify"'));
    expect(await s.host.healthyOn('v0.4.5')).toBe(false);
    await expectRecovers(s, 'v0.4.5');
  });

  it('during a rollback: the next reconcile finishes it (exit 3)', async () => {
    const s = await each.sandbox();
    await s.publish({ version: 'v0.4.6', mode: 'die-on-start' });
    s.host.writeDesired({ version: 'v0.4.6', timeoutSeconds: 30 });
    await killWhen(s, (err) => err().includes('failpoint rolling-back reached'), { GLR_FAILPOINT: 'rolling-back' });
    expect(journalPhase(s)).toBe('rolling-back');
    const r = await runGlr(['reconcile', '-f', s.host.file]);
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toMatch(/interrupted rollback is finished: v0\.4\.3 is healthy again/);
    expect(await s.host.healthyOn('v0.4.3')).toBe(true);
    expect(s.host.linkVersions()).toEqual(['v0.4.3']);
    expect(journalPhase(s)).toBe('rolled-back');
    expect(s.host.doubleRuns()).toEqual([]);
  });
});

describe('one glr per root', () => {
  it('two reconciles started together: one applies, the other exits 1 naming the first', async () => {
    const sb = await each.sandbox();
    await sb.publish({ version: 'v0.4.5', setupMs: 1500 });
    const file = sb.host.writeDesired({ version: 'v0.4.5' });
    const a = startGlr(['reconcile', '-f', file]);
    const b = startGlr(['reconcile', '-f', file]);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    const codes = [ra.code, rb.code].sort();
    expect(codes, ra.stderr + rb.stderr).toEqual([0, 1]);
    const [winner, loser] = ra.code === 0 ? [a, rb] : [b, ra];
    expect(errorLines(loser)).toEqual([
      expect.stringMatching(
        new RegExp(`^glr: another glr \\(pid ${winner.child.pid}, \`glr reconcile\`, since .*\\) is working on .*; wait for it, or stop it$`),
      ),
    ]);
    expect(await sb.host.healthyOn('v0.4.5')).toBe(true);
    expect(sb.host.doubleRuns()).toEqual([]);
  });

  it('a lock left by a killed glr is taken over at once', async () => {
    const s = await each.sandbox();
    await s.publish({ version: 'v0.4.5' });
    s.host.writeDesired({ version: 'v0.4.5' });
    await killWhen(s, (err) => err().includes('failpoint switching reached'), { GLR_FAILPOINT: 'switching' });
    await expectRecovers(s, 'v0.4.5');
  });
});

describe('SIGTERM and SIGINT', () => {
  it('during preparation: stops cleanly, no half folder, exit 1', async () => {
    const s = await each.sandbox();
    const { child, done } = await startPreparing(s, 'v0.4.5', 10_000);
    const t = Date.now();
    child.kill('SIGTERM');
    const r = await done;
    expect(r.code).toBe(1);
    expect(Date.now() - t).toBeLessThan(5000);
    expect(errorLines(r)).toEqual(['glr: interrupted by SIGTERM; nothing was switched']);
    expect(existsSync(path.join(s.host.root, 'v0.4.5'))).toBe(false);
    expect(stagingEntries(s)).toEqual([]);
    expect(await s.host.healthyOn('v0.4.3')).toBe(true);
    expect(s.host.linkVersions()).toEqual(['v0.4.3']);
  });

  it('during the switch window: held until the node is up, then glr exits', async () => {
    const s = await each.sandbox();
    await s.publish({ version: 'v0.4.5' });
    const { child, stderr, done } = startGlr(['reconcile', '-f', s.host.writeDesired({ version: 'v0.4.5' })], { env: { GLR_FAILPOINT: 'swapped:1000' } });
    await waitFor(() => stderr().includes('failpoint swapped reached'), { timeoutMs: 30_000, what: 'the swap' });
    child.kill('SIGTERM');
    const r = await done;
    expect(await s.host.healthyOn('v0.4.5')).toBe(true);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('held until the node is up again');
    expect(s.host.doubleRuns()).toEqual([]);
  });
});
