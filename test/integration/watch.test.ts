import { execFileSync } from 'node:child_process';
import { renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../sandbox/host.js';
import { sandboxEachTest } from '../helpers/sandbox.js';
import { errorLines, leakedSecrets, runGlr } from '../helpers/glr.js';

const each = sandboxEachTest();

/** editors and git save files in different ways; each must wake the watcher */
const saves: Record<string, (file: string, text: string) => void> = {
  'a write in place': (file, text) => writeFileSync(file, text),
  'a temp file renamed over': (file, text) => {
    writeFileSync(`${file}.swp`, text);
    renameSync(`${file}.swp`, file);
  },
  'delete, then recreate': (file, text) => {
    rmSync(file);
    writeFileSync(file, text);
  },
};

describe('glr watch', () => {
  it('starts on a converged host without restarting anything, then follows an atomic rename to v0.4.5', async () => {
    const s = await each.sandbox();
    await s.publish({ version: 'v0.4.5', setupMs: 500 });
    s.host.writeDesired({ version: 'v0.4.3', providers: null });
    const w = each.watch(s.host.file);
    await waitFor(() => w.has(/^converged/), { timeoutMs: 20_000, what: 'the first pass' });
    expect(s.host.serviceCount('start')).toBe(1);
    saves['a temp file renamed over']!(s.host.file, s.host.desiredYaml({ version: 'v0.4.5' }));
    await waitFor(async () => (await s.host.healthyOn('v0.4.5')) && s.host.linkVersions().join() === 'v0.4.5', { timeoutMs: 20_000, what: 'v0.4.5 to run' });
    await waitFor(() => w.has(/^v0\.4\.5 is healthy/), { timeoutMs: 10_000, what: 'the pass to finish' });
    const { code, ms } = await w.stop();
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5000);
    expect(s.host.doubleRuns()).toEqual([]);
    const logs = w.logs();
    expect(logs.find((l) => l.msg === 'pass started' && l.trigger === 'file')).toBeTruthy();
    expect(logs.find((l) => /^switch window \d+ ms$/.test(l.msg))).toBeTruthy();
  });

  for (const [how, save] of Object.entries(saves)) {
    it(`notices ${how}`, async () => {
      const s = await each.sandbox();
      s.host.writeDesired({ version: 'v0.4.3', providers: null });
      const w = each.watch(s.host.file);
      await waitFor(() => w.has(/^converged/), { timeoutMs: 20_000, what: 'the first pass' });
      const before = w.count(/^pass started$/);
      save(s.host.file, `${s.host.desiredYaml({ version: 'v0.4.3', providers: null })}# edited\n`);
      await waitFor(() => w.count(/^pass started$/) > before, { timeoutMs: 10_000, what: 'a pass after the save' });
    });
  }

  it('notices a git checkout, and a file that was missing for a while', async () => {
    const s = await each.sandbox();
    await s.publish({ version: 'v0.4.5' });
    const repo = path.join(s.host.dir, 'desired');
    execFileSync('git', ['init', '-q', '-b', 'main', repo]);
    const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { stdio: 'pipe' });
    const file = path.join(repo, 'host.yaml');
    writeFileSync(file, s.host.desiredYaml({ version: 'v0.4.3', providers: null }));
    git('add', '.');
    git('commit', '-qm', 'v0.4.3');
    git('checkout', '-q', '-b', 'bump');
    writeFileSync(file, s.host.desiredYaml({ version: 'v0.4.5' }));
    git('commit', '-qam', 'v0.4.5');
    git('checkout', '-q', 'main');
    const w = each.watch(file);
    await waitFor(() => w.has(/^converged/), { timeoutMs: 20_000, what: 'the first pass' });
    // the file disappears for a while, then git brings it back changed
    rmSync(file);
    await waitFor(() => w.logs().some((l) => l.msg === 'file event' && l.event === 'unlink'), { timeoutMs: 10_000, what: 'the unlink event' });
    git('checkout', '-q', 'bump');
    await waitFor(() => s.host.healthyOn('v0.4.5'), { timeoutMs: 20_000, what: 'v0.4.5 after the checkout' });
    expect(await w.stop().then((r) => r.code)).toBe(0);
  });

  it('an invalid save changes nothing and the watcher lives on; a valid save after it is applied', async () => {
    const s = await each.sandbox();
    await s.publish({ version: 'v0.4.5' });
    s.host.writeDesired({ version: 'v0.4.3', providers: null });
    const w = each.watch(s.host.file);
    await waitFor(() => w.has(/^converged/), { timeoutMs: 20_000, what: 'the first pass' });
    const before = s.host.tree();
    for (const bad of [
      'version: [v0.4.5\n',
      s.host.desiredYaml({ version: 'v0.4.5' }).replace('version:', 'verison:'),
      s.host.desiredYaml({ version: '../../x' }),
    ]) {
      const errors = w.count(/keeping the last valid state \(v0\.4\.3\)/);
      saves['a temp file renamed over']!(s.host.file, bad);
      await waitFor(() => w.count(/keeping the last valid state \(v0\.4\.3\)/) > errors, { timeoutMs: 10_000, what: 'the invalid file to be reported' });
    }
    expect(w.has(/unknown key `verison`; did you mean `version`\?/)).toBe(true);
    expect(s.host.tree()).toEqual(before);
    expect(await s.host.healthyOn('v0.4.3')).toBe(true);
    saves['a temp file renamed over']!(s.host.file, s.host.desiredYaml({ version: 'v0.4.5' }));
    await waitFor(() => s.host.healthyOn('v0.4.5'), { timeoutMs: 20_000, what: 'v0.4.5 after the valid save' });
    const { code, stderr } = await w.stop();
    expect(code).toBe(0);
    expect(leakedSecrets(stderr)).toEqual([]);
  });

  it('drift: a link re-pointed by hand is put back within one interval', async () => {
    const s = await each.sandbox();
    await s.publish({ version: 'v0.4.5' });
    expect((await runGlr(['reconcile', '-f', s.host.writeDesired({ version: 'v0.4.5' })])).code).toBe(0);
    const w = each.watch(s.host.file, 1);
    await waitFor(() => w.has(/^converged/), { timeoutMs: 20_000, what: 'the first pass' });
    const link = path.join(s.host.root, 'third_party');
    symlinkSync(path.join(s.host.root, 'v0.4.3/third_party'), `${link}.hand`);
    renameSync(`${link}.hand`, link);
    expect(s.host.linkVersions().sort()).toEqual(['v0.4.3', 'v0.4.5']);
    await waitFor(() => s.host.linkVersions().join() === 'v0.4.5', { timeoutMs: 10_000, what: 'the link to be put back' });
    expect(w.logs().find((l) => l.msg === 'pass started' && l.trigger === 'interval')).toBeTruthy();
    expect(s.host.serviceCount('start')).toBe(2); // the first start, and the one of the switch: the repair restarted nothing
  });

  it('a release that fails on start is rolled back once, and not retried until the file changes', async () => {
    const s = await each.sandbox();
    await s.publish({ version: 'v0.4.6', mode: 'die-on-start' });
    s.host.writeDesired({ version: 'v0.4.6', timeoutSeconds: 20 });
    const w = each.watch(s.host.file, 0.5);
    await waitFor(() => w.has(/rolled back: v0\.4\.3 is healthy again; v0\.4\.6 will be tried again when the file changes/), {
      timeoutMs: 30_000,
      what: 'the rollback',
    });
    // several intervals pass: no second attempt
    await waitFor(() => w.count(/^v0\.4\.6 failed before/) >= 3, { timeoutMs: 10_000, what: 'three intervals to pass' });
    expect(w.count(/^pass started$/)).toBe(1);
    expect(s.host.serviceCount('start')).toBe(3); // v0.4.3, v0.4.6 (died), v0.4.3 again
    // an edit of the file allows one more attempt
    saves['a write in place']!(s.host.file, `${s.host.desiredYaml({ version: 'v0.4.6', timeoutSeconds: 20 })}# try again\n`);
    await waitFor(() => w.count(/rolled back: v0\.4\.3 is healthy again/) >= 2, { timeoutMs: 30_000, what: 'the second attempt' });
    expect(await s.host.healthyOn('v0.4.3')).toBe(true);
    expect(s.host.doubleRuns()).toEqual([]);
  });

  it('SIGTERM in the switch window: the node is up before the watcher exits', async () => {
    const s = await each.sandbox();
    await s.publish({ version: 'v0.4.5' });
    s.host.writeDesired({ version: 'v0.4.5' });
    const w = each.watch(s.host.file, 30, { GLR_FAILPOINT: 'swapped:1000' });
    await waitFor(() => w.has(/^failpoint swapped reached$/), { timeoutMs: 20_000, what: 'the swap' });
    const { code } = await w.stop('SIGTERM');
    expect(await s.host.healthyOn('v0.4.5')).toBe(true);
    expect(code).toBe(0);
  });

  it('a second watcher (or reconcile) on the same root exits 1 naming the first', async () => {
    const s = await each.sandbox();
    s.host.writeDesired({ version: 'v0.4.3', providers: null });
    const w = each.watch(s.host.file);
    await waitFor(() => w.has(/^converged/), { timeoutMs: 20_000, what: 'the first pass' });
    for (const args of [['watch'], ['reconcile']]) {
      const r = await runGlr([...args, '-f', s.host.file]);
      expect(r.code).toBe(1);
      expect(errorLines(r)[0]).toMatch(/another glr \(pid \d+, `glr watch`, since .*\) is working on/);
    }
    expect((await runGlr(['reconcile', '--dry-run', '-f', s.host.file])).code).toBe(0);
  });
});
