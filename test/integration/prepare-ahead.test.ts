import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../sandbox/host.js';
import { leakedSecrets } from '../helpers/glr.js';
import { SWITCH_STEPS } from '../helpers/steps.js';
import { createSandbox, sandboxEachTest, type Sandbox } from '../helpers/sandbox.js';

const each = sandboxEachTest();

const save = (file: string, text: string) => {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
};
const tarballGets = (s: Sandbox, v: string) => s.server.requests.filter((r) => r.startsWith(`GET /gh-af/genlayer-node/bin/amd64/${v}/`)).length;
const extra = 'prepareAhead: patch';

describe('prepareAhead: patch', () => {
  it('prepares the newest patch of the running series beside the running node; the bump then only switches', async () => {
    const s = await each.sandbox();
    await s.publish({ version: 'v0.4.5', setupMs: 500 });
    // listed but not to be picked: a release candidate, another series, an older patch
    s.server.list(['v0.4.6-rc1', 'v0.5.0', 'v0.4.4']);
    s.host.writeDesired({ version: 'v0.4.3', providers: null, extra });
    const w = each.watch(s.host.file, 1);
    await waitFor(() => w.has(/^v0\.4\.5 is prepared ahead/), { timeoutMs: 30_000, what: 'v0.4.5 prepared ahead' });

    expect(existsSync(path.join(s.host.root, 'v0.4.5/.glr-prepared'))).toBe(true);
    expect(readdirSync(s.host.root).filter((n) => /^v\d+\.\d+\.\d+/.test(n))).toEqual(['v0.4.3', 'v0.4.5']);
    // the node ran on, untouched: one start (the sandbox's), the links where they were, no history line
    expect(await s.host.healthyOn('v0.4.3')).toBe(true);
    expect(s.host.serviceCount('start')).toBe(1);
    expect(s.host.linkVersions()).toEqual(['v0.4.3']);
    expect(existsSync(path.join(s.host.root, '.glr/history.jsonl'))).toBe(false);
    expect(w.logs().find((l) => /^prepareAhead: preparing v0\.4\.5/.test(l.msg))).toBeTruthy();
    // only the preparation: no backup, no adoption, no window
    expect(w.logs().find((l) => l.msg === 'prepareAhead: plan for v0.4.5')?.steps).toEqual([
      'download',
      'check-version',
      'genvm-setup',
      'carry',
      'link-db',
      'check-ready',
      'mark-prepared',
    ]);

    // a bump to it: the pass finds it prepared and only switches
    const passes = w.count(/^pass started$/);
    save(s.host.file, s.host.desiredYaml({ version: 'v0.4.5', providers: null, extra }));
    await waitFor(() => w.has(/^v0\.4\.5 is healthy/), { timeoutMs: 30_000, what: 'the switch to v0.4.5' });
    const switchPlan = w
      .logs()
      .filter((l) => l.msg === 'plan: 13 step(s)')
      .at(-1)?.steps as string[];
    expect(switchPlan).toEqual(['check-version', 'backup', 'adopt', 'route-links', 'warm-cache', ...SWITCH_STEPS]);
    expect(w.count(/^pass started$/)).toBeGreaterThan(passes);
    expect(tarballGets(s, 'v0.4.5')).toBe(1);
    expect(await s.host.healthyOn('v0.4.5')).toBe(true);
    expect((await w.stop()).code).toBe(0);
    expect(leakedSecrets(w.stderr())).toEqual([]);
    expect(s.host.doubleRuns()).toEqual([]);
  });

  it('a failed preparation is logged and retried after a backoff, while the passes go on', async () => {
    const s = await each.sandbox();
    s.server.list(['v0.4.5']); // listed, but its tarball is not there yet: HTTP 404
    s.host.writeDesired({ version: 'v0.4.3', providers: null, extra });
    const w = each.watch(s.host.file, 0.5, { GLR_FAILURE_BACKOFF_SECONDS: '2' });
    await waitFor(() => w.has(/^prepareAhead: preparing v0\.4\.5 failed: release v0\.4\.5 not found \(HTTP 404/), {
      timeoutMs: 30_000,
      what: 'the failed preparation',
    });
    const failedAt = w.count(/^pass started$/);
    // passes go on at the interval, and the release is not tried again before its backoff
    await waitFor(() => w.count(/^pass started$/) >= failedAt + 2, { timeoutMs: 10_000, what: 'two more passes' });
    expect(w.count(/^prepareAhead: preparing v0\.4\.5 beside/)).toBe(1);
    expect(existsSync(path.join(s.host.root, 'v0.4.5'))).toBe(false);
    expect(w.logs().find((l) => /failed: release v0\.4\.5 not found/.test(l.msg))).toMatchObject({ attempts: 1 });
    await s.publish({ version: 'v0.4.5' });
    await waitFor(() => w.has(/^v0\.4\.5 is prepared ahead/), { timeoutMs: 30_000, what: 'the retry after the backoff' });
    expect(await s.host.healthyOn('v0.4.3')).toBe(true);
    expect(s.host.serviceCount('start')).toBe(1);
  });

  it('a folder in the way is said once, not retried as a failure; the passes go on', async () => {
    const s = await each.sandbox();
    await s.publish({ version: 'v0.4.5' });
    mkdirSync(path.join(s.host.root, 'v0.4.5/bin'), { recursive: true }); // someone else's folder
    s.host.writeDesired({ version: 'v0.4.3', providers: null, extra });
    const w = each.watch(s.host.file, 0.3);
    await waitFor(() => w.has(/^prepareAhead: not preparing v0\.4\.5 now: .*v0\.4\.5 exists but glr did not prepare it/), {
      timeoutMs: 20_000,
      what: 'the reason',
    });
    const passes = w.count(/^pass started$/);
    await waitFor(() => w.count(/^pass started$/) >= passes + 3, { timeoutMs: 10_000, what: 'three more passes' });
    expect(w.count(/^prepareAhead: not preparing/)).toBe(1);
    expect(w.count(/failed/)).toBe(0);
    expect(readdirSync(path.join(s.host.root, 'v0.4.5'))).toEqual(['bin']);
  });

  it('a change of the file cancels a preparation under way, unless it asks for the version being prepared', async () => {
    const s = await each.sandbox();
    await s.publish({ version: 'v0.4.5', padBytes: 2 * 2 ** 20 });
    s.server.fault('v0.4.5', { kind: 'throttle', bytesPerSecond: 512 * 1024 });
    s.host.writeDesired({ version: 'v0.4.3', providers: null, extra });
    const w = each.watch(s.host.file, 1);
    await waitFor(() => w.has(/^prepareAhead: preparing v0\.4\.5 beside/), { timeoutMs: 30_000, what: 'the preparation to begin' });

    // an edit that does not ask for v0.4.5: the preparation stops, the pass runs at once
    const passes = w.count(/^pass started$/);
    save(s.host.file, `${s.host.desiredYaml({ version: 'v0.4.3', providers: null, extra })}# edited\n`);
    await waitFor(() => w.has(/^prepareAhead: v0\.4\.5 cancelled \(the file now asks for v0\.4\.3\)/), { timeoutMs: 10_000, what: 'the cancellation' });
    await waitFor(
      () => w.logs().some((l, i, all) => l.msg === 'pass started' && l.trigger === 'file' && all.filter((x) => x.msg === 'pass started').indexOf(l) >= passes),
      {
        timeoutMs: 10_000,
        what: 'the pass the edit asked for',
      },
    );
    expect(existsSync(path.join(s.host.root, 'v0.4.5'))).toBe(false);

    // it begins again at the next interval; a bump to v0.4.5 meanwhile lets it finish, then switches
    const begun = w.count(/^prepareAhead: preparing v0\.4\.5 beside/);
    await waitFor(() => w.count(/^prepareAhead: preparing v0\.4\.5 beside/) > begun, { timeoutMs: 20_000, what: 'the preparation to begin again' });
    save(s.host.file, s.host.desiredYaml({ version: 'v0.4.5', providers: null, extra }));
    await waitFor(() => w.has(/^v0\.4\.5 is healthy/), { timeoutMs: 60_000, what: 'the switch after the preparation' });
    expect(w.count(/cancelled/)).toBe(1);
    expect(w.has(/^v0\.4\.5 is prepared ahead/)).toBe(true);
    // one download for the preparation that finished, and at most one more for the cancelled one
    // (on a loaded machine the edit may cancel it before its request went out)
    expect(tarballGets(s, 'v0.4.5')).toBeGreaterThanOrEqual(1);
    expect(tarballGets(s, 'v0.4.5')).toBeLessThanOrEqual(2);
    expect(s.host.doubleRuns()).toEqual([]);
  });

  // how much sooner a bump is healthy is measured by `npm run bench` (docs/benchmarks.md), not here
  it('a bump to a version prepared ahead only switches: no download, no GenVM setup after the bump', async () => {
    const stepsAfterBump = async (ahead: boolean): Promise<string[]> => {
      const s = await createSandbox();
      try {
        await s.publish({ version: 'v0.4.5', setupMs: 1000 });
        s.host.writeDesired({ version: 'v0.4.3', providers: null, extra: ahead ? extra : '' });
        const w = each.watch(s.host.file, 1);
        await waitFor(() => w.has(ahead ? /^v0\.4\.5 is prepared ahead/ : /^converged/), { timeoutMs: 30_000, what: 'a settled watcher' });
        const before = w.logs().length;
        save(s.host.file, s.host.desiredYaml({ version: 'v0.4.5', providers: null, extra: ahead ? extra : '' }));
        await waitFor(() => w.has(/^v0\.4\.5 is healthy/), { timeoutMs: 30_000, what: 'v0.4.5 healthy' });
        const plan = w
          .logs()
          .slice(before)
          .find((l) => /^plan: \d+ step/.test(l.msg)) as { steps?: string[] } | undefined;
        await w.stop();
        return plan?.steps ?? [];
      } finally {
        await s.cleanup();
      }
    };
    const without = await stepsAfterBump(false);
    expect(without).toEqual(expect.arrayContaining(['download', 'genvm-setup']));
    const withAhead = await stepsAfterBump(true);
    expect(withAhead).not.toContain('download');
    expect(withAhead).not.toContain('genvm-setup');
    expect(withAhead).toEqual(expect.arrayContaining(['warm-cache', 'stop', 'swap', 'start', 'verify']));
  });
});
