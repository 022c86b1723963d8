import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxHost, waitFor } from '../../sandbox/host.js';
import { buildRelease } from '../../sandbox/releases.js';
import { startReleaseServer, type ReleaseServer } from '../../sandbox/release-server.js';
import { killGroup, runGlr, startGlr } from '../helpers/glr.js';

/**
 * docs/gitops.md end to end: one repository of desired states (hosts/<name>.yaml), CI bumps it
 * with `glr bump` and pushes, each host pulls it fast-forward only (the doc's timer command) and
 * runs `glr watch` on its own file.
 */
const git = (dir: string, ...args: string[]) =>
  execFileSync('git', ['-C', dir, '-c', 'user.name=ci', '-c', 'user.email=ci@example.com', ...args], { stdio: 'pipe', encoding: 'utf8' });

interface Site {
  name: string;
  host: SandboxHost;
  clone: string;
  file: string;
  watch: ReturnType<typeof startGlr>;
  stderr: () => string;
}

let server: ReleaseServer;
let dir: string;
let bare: string;
let ci: string;
const sites: Site[] = [];

const pull = (s: Site) => git(s.clone, 'pull', '--ff-only', '--quiet');
const starts = (s: Site) =>
  readFileSync(path.join(s.host.state, 'events.log'), 'utf8')
    .split('\n')
    .filter((l) => l.includes(' start ')).length;
const ciFile = (name: string) => path.join(ci, 'hosts', `${name}.yaml`);

async function bumpAndPush(names: string[], version: string): Promise<void> {
  for (const n of names) {
    const r = await runGlr(['bump', version, '-f', ciFile(n)]);
    expect(r.code, r.stderr).toBe(0);
  }
  git(ci, 'commit', '-qam', `bump ${names.join(', ')} to ${version}`);
  git(ci, 'push', '-q', 'origin', 'main');
}

beforeAll(async () => {
  server = await startReleaseServer();
  dir = mkdtempSync(path.join(os.tmpdir(), 'glr-gitops-'));
  bare = path.join(dir, 'desired.git');
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', bare]);
  ci = path.join(dir, 'ci');
  execFileSync('git', ['clone', '-q', bare, ci]);
  mkdirSync(path.join(ci, 'hosts'));
  const hosts = await Promise.all(['a', 'b'].map(async (name) => ({ name, host: await SandboxHost.create({ server }) })));
  for (const { name, host } of hosts) writeFileSync(ciFile(name), host.desiredYaml({ version: 'v0.4.3', providers: null }));
  git(ci, 'add', '.');
  git(ci, 'commit', '-qm', 'two validators at v0.4.3');
  git(ci, 'push', '-q', 'origin', 'main');
  server.add('v0.4.5', await buildRelease({ version: 'v0.4.5' }));
  server.add('v0.4.6', await buildRelease({ version: 'v0.4.6' }));

  for (const { name, host } of hosts) {
    const clone = path.join(host.dir, 'desired');
    execFileSync('git', ['clone', '-q', bare, clone]);
    const file = path.join(clone, 'hosts', `${name}.yaml`);
    const watch = startGlr(['watch', '--interval', '30', '-f', file], { env: { GLR_LOG_LEVEL: 'debug' } });
    let stderr = '';
    watch.child.stderr!.on('data', (d) => (stderr += d));
    sites.push({ name, host, clone, file, watch, stderr: () => stderr });
  }
  for (const s of sites) await waitFor(() => s.stderr().includes('"msg":"converged'), { timeoutMs: 30_000, what: `host ${s.name}'s first pass` });
});

afterAll(async () => {
  for (const s of sites) {
    killGroup(s.watch.child, 'SIGKILL');
    await s.watch.done;
    await s.host.cleanup();
  }
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a fleet that follows git', () => {
  it('a bump commit for host A only converges host A; host B restarts nothing', async () => {
    const [a, b] = sites as [Site, Site];
    const bStarts = starts(b);
    await bumpAndPush(['a'], 'v0.4.5');
    for (const s of sites) pull(s);
    await waitFor(async () => (await a.host.healthyOn('v0.4.5')) && a.host.linkVersions().join() === 'v0.4.5', { timeoutMs: 30_000, what: 'host A on v0.4.5' });
    await waitFor(() => a.stderr().includes('"msg":"v0.4.5 is healthy'), { timeoutMs: 10_000, what: "host A's pass to finish" });
    // git did not touch B's file: its watcher had nothing to wake it, and B runs as it did
    expect(b.stderr().split('"msg":"pass started"').length).toBe(2);
    expect(await b.host.healthyOn('v0.4.3')).toBe(true);
    expect(starts(b)).toBe(bStarts);
  });

  it('a bump for both converges both', async () => {
    await bumpAndPush(['a', 'b'], 'v0.4.6');
    for (const s of sites) pull(s);
    for (const s of sites) {
      await waitFor(() => s.stderr().includes('"msg":"v0.4.6 is healthy'), { timeoutMs: 30_000, what: `host ${s.name}'s pass to v0.4.6` });
      expect(await s.host.healthyOn('v0.4.6')).toBe(true);
      expect(s.host.linkVersions()).toEqual(['v0.4.6']);
      expect(s.host.doubleRuns()).toEqual([]);
    }
  });

  it('a bad commit (an invalid file) changes neither host, and both keep watching', async () => {
    const trees = sites.map((s) => s.host.tree());
    for (const n of ['a', 'b']) writeFileSync(ciFile(n), readFileSync(ciFile(n), 'utf8').replace('version:', 'verison:'));
    git(ci, 'commit', '-qam', 'a typo');
    git(ci, 'push', '-q', 'origin', 'main');
    for (const s of sites) pull(s);
    for (const s of sites) {
      await waitFor(() => s.stderr().includes('unknown key `verison`'), { timeoutMs: 10_000, what: `host ${s.name} to report the bad file` });
      expect(s.watch.child.exitCode).toBeNull();
      expect(await s.host.healthyOn('v0.4.6')).toBe(true);
    }
    expect(sites.map((s) => s.host.tree())).toEqual(trees);
    // and the fix after it is followed
    git(ci, 'revert', '--no-edit', 'HEAD');
    git(ci, 'push', '-q', 'origin', 'main');
    for (const s of sites) pull(s);
    for (const s of sites) expect(readFileSync(s.file, 'utf8')).toContain('version: v0.4.6');
  });

  it("the pull refuses a rewritten history and leaves the host's file as it was", async () => {
    const before = readFileSync(sites[0]!.file, 'utf8');
    git(ci, 'reset', '-q', '--hard', 'HEAD~3');
    writeFileSync(ciFile('a'), `${readFileSync(ciFile('a'), 'utf8').replace(/version: \S+/, 'version: v0.4.3')}# rewritten\n`);
    git(ci, 'commit', '-qam', 'rewritten history');
    git(ci, 'push', '-q', '--force', 'origin', 'main');
    expect(() => pull(sites[0]!)).toThrow(/Not possible to fast-forward|fatal/);
    expect(readFileSync(sites[0]!.file, 'utf8')).toBe(before);
    expect(await sites[0]!.host.healthyOn('v0.4.6')).toBe(true);
  });
});
