import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxHost, waitFor } from '../../sandbox/host.js';
import { buildRelease } from '../../sandbox/releases.js';
import { startReleaseServer, type ReleaseServer } from '../../sandbox/release-server.js';
import { killGroup, REPO, runGlr, startGlr } from '../helpers/glr.js';

/**
 * docs/gitops.md end to end: one repository of desired states (hosts/<name>.yaml), CI bumps it
 * with `glr bump`, signs the commit with its SSH key and pushes; each host pulls it as the timer
 * does (docs/examples/glr-git-pull.service's command: fast-forward only, and only to a commit
 * signed by a key of its allowed-signers file) and runs `glr watch` on its own file.
 *
 * Real git and ssh-keygen, in a temporary HOME with no global or system git configuration.
 */
let gitEnv: NodeJS.ProcessEnv;
const git = (dir: string, ...args: string[]) =>
  execFileSync('git', ['-C', dir, '-c', 'user.name=ci', '-c', 'user.email=ci@example.com', ...args], { stdio: 'pipe', encoding: 'utf8', env: gitEnv });

/** Who signs CI's next commits: the key the hosts trust, another key, or nobody. */
type Signer = 'trusted' | 'untrusted' | 'none';
let signingKeys: Record<Exclude<Signer, 'none'>, string>;
/** git in CI's clone, committing as `signer` (the trusted key unless told otherwise) */
const ciGit = (signer: Signer, ...args: string[]) =>
  signer === 'none'
    ? git(ci, '-c', 'commit.gpgSign=false', ...args)
    : git(ci, '-c', 'gpg.format=ssh', '-c', `user.signingKey=${signingKeys[signer]}`, '-c', 'commit.gpgSign=true', ...args);

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
let allowedSigners: string;
const sites: Site[] = [];

/**
 * The pull exactly as docs/examples/glr-git-pull.service runs it, with this site's clone and the
 * test's allowed-signers file in place of /etc/glr/desired and /etc/glr/allowed_signers.
 */
const PULL_ARGV = (() => {
  const unit = readFileSync(path.join(REPO, 'docs/examples/glr-git-pull.service'), 'utf8');
  const line = /^ExecStart=(.*)$/m.exec(unit)![1]!;
  const [bin, ...args] = line.trim().split(/\s+/);
  for (const a of ['pull', '--ff-only', '--verify-signatures', 'gpg.ssh.allowedSignersFile=/etc/glr/allowed_signers', '/etc/glr/desired']) {
    if (bin !== '/usr/bin/git' || !args.includes(a)) throw new Error(`glr-git-pull.service: ExecStart is not the pull this test expects: ${line}`);
  }
  return args;
})();
const pull = (s: Site) =>
  execFileSync(
    'git',
    PULL_ARGV.map((a) => a.replace('/etc/glr/allowed_signers', allowedSigners).replace(/^\/etc\/glr\/desired$/, s.clone)),
    { stdio: 'pipe', encoding: 'utf8', env: gitEnv },
  );
const head = (clone: string) => git(clone, 'rev-parse', 'HEAD').trim();
const ciFile = (name: string) => path.join(ci, 'hosts', `${name}.yaml`);

async function bumpAndPush(names: string[], version: string, signer: Signer = 'trusted'): Promise<void> {
  for (const n of names) {
    const r = await runGlr(['bump', version, '-f', ciFile(n)]);
    expect(r.code, r.stderr).toBe(0);
  }
  ciGit(signer, 'commit', '-qam', `bump ${names.join(', ')} to ${version}`);
  git(ci, 'push', '-q', 'origin', 'main');
}

beforeAll(async () => {
  server = await startReleaseServer();
  dir = mkdtempSync(path.join(os.tmpdir(), 'glr-gitops-'));
  const home = path.join(dir, 'home');
  mkdirSync(home);
  gitEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
  // CI's signing key, which the hosts trust, and another one, which they do not
  signingKeys = { trusted: path.join(dir, 'ci-signing-key'), untrusted: path.join(dir, 'someone-else-key') };
  for (const [who, key] of Object.entries(signingKeys)) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', who, '-f', key], { stdio: 'pipe' });
  // the hosts' allowed-signers file (docs/gitops.md): CI's public key, for git signatures only
  allowedSigners = path.join(dir, 'allowed_signers');
  writeFileSync(allowedSigners, `glr-bump namespaces="git" ${readFileSync(`${signingKeys.trusted}.pub`, 'utf8')}`);

  bare = path.join(dir, 'desired.git');
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', bare], { env: gitEnv });
  ci = path.join(dir, 'ci');
  execFileSync('git', ['clone', '-q', bare, ci], { stdio: 'pipe', env: gitEnv });
  mkdirSync(path.join(ci, 'hosts'));
  const hosts = await Promise.all(['a', 'b'].map(async (name) => ({ name, host: await SandboxHost.create({ server }) })));
  for (const { name, host } of hosts) writeFileSync(ciFile(name), host.desiredYaml({ version: 'v0.4.3', providers: null }));
  git(ci, 'add', '.');
  ciGit('trusted', 'commit', '-qm', 'two validators at v0.4.3');
  git(ci, 'push', '-q', 'origin', 'main');
  server.add('v0.4.5', await buildRelease({ version: 'v0.4.5' }));
  server.add('v0.4.6', await buildRelease({ version: 'v0.4.6' }));

  for (const { name, host } of hosts) {
    const clone = path.join(host.dir, 'desired');
    execFileSync('git', ['clone', '-q', bare, clone], { stdio: 'pipe', env: gitEnv });
    // docs/gitops.md: a clone checks nothing, so the first commit is verified by hand
    git(clone, '-c', `gpg.ssh.allowedSignersFile=${allowedSigners}`, 'verify-commit', 'HEAD');
    const file = path.join(clone, 'hosts', `${name}.yaml`);
    const watch = startGlr(['watch', '--interval', '30', '-f', file], { env: { GLR_LOG_LEVEL: 'debug' } });
    sites.push({ name, host, clone, file, watch, stderr: watch.stderr });
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
  it('a signed bump commit for host A only converges host A; host B restarts nothing', async () => {
    const [a, b] = sites as [Site, Site];
    const bStarts = b.host.serviceCount('start');
    await bumpAndPush(['a'], 'v0.4.5');
    for (const s of sites) pull(s);
    for (const s of sites) {
      expect(head(s.clone)).toBe(head(ci));
      expect(git(s.clone, '-c', `gpg.ssh.allowedSignersFile=${allowedSigners}`, 'log', '-1', '--format=%G? %GS')).toBe('G glr-bump\n');
    }
    await waitFor(async () => (await a.host.healthyOn('v0.4.5')) && a.host.linkVersions().join() === 'v0.4.5', { timeoutMs: 30_000, what: 'host A on v0.4.5' });
    await waitFor(() => a.stderr().includes('"msg":"v0.4.5 is healthy'), { timeoutMs: 10_000, what: "host A's pass to finish" });
    // git did not touch B's file: its watcher had nothing to wake it, and B runs as it did
    expect(b.stderr().split('"msg":"pass started"').length).toBe(2);
    expect(await b.host.healthyOn('v0.4.3')).toBe(true);
    expect(b.host.serviceCount('start')).toBe(bStarts);
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
    ciGit('trusted', 'commit', '-qam', 'a typo');
    git(ci, 'push', '-q', 'origin', 'main');
    for (const s of sites) pull(s);
    for (const s of sites) {
      await waitFor(() => s.stderr().includes('unknown key `verison`'), { timeoutMs: 10_000, what: `host ${s.name} to report the bad file` });
      expect(s.watch.child.exitCode).toBeNull();
      expect(await s.host.healthyOn('v0.4.6')).toBe(true);
    }
    expect(sites.map((s) => s.host.tree())).toEqual(trees);
    // and the fix after it is followed
    ciGit('trusted', 'revert', '--no-edit', 'HEAD');
    git(ci, 'push', '-q', 'origin', 'main');
    for (const s of sites) pull(s);
    for (const s of sites) expect(readFileSync(s.file, 'utf8')).toContain('version: v0.4.6');
  });

  it.each([
    ['an unsigned bump', 'none', /Commit [0-9a-f]+ does not have a GPG signature/],
    ['a bump signed by a key the hosts do not trust', 'untrusted', /Commit [0-9a-f]+ has an untrusted GPG signature/],
  ] as const)('%s is refused by the pull: the checkout stays at the last trusted commit and the node keeps its version', async (_, signer, refusal) => {
    const trusted = head(ci);
    const before = sites.map((s) => ({
      head: head(s.clone),
      text: readFileSync(s.file, 'utf8'),
      ino: statSync(s.file).ino,
      starts: s.host.serviceCount('start'),
      tree: s.host.tree(),
    }));
    for (const [k, s] of sites.entries()) expect(before[k]!.head, s.name).toBe(trusted);

    await bumpAndPush(['a', 'b'], 'v0.4.5', signer);
    const bad = head(ci);
    expect(bad).not.toBe(trusted);
    for (const s of sites) {
      let err: { status?: number; stderr?: string } = {};
      try {
        pull(s);
      } catch (e) {
        err = e as typeof err;
      }
      expect(err.status, `${s.name}: the pull must fail`).toBe(128);
      expect(err.stderr).toMatch(refusal);
      // git fetched the commit (the refusal is not a network error) and did not take it
      expect(git(s.clone, 'rev-parse', 'origin/main').trim()).toBe(bad);
    }
    for (const [k, s] of sites.entries()) {
      expect(head(s.clone), s.name).toBe(trusted);
      expect(git(s.clone, 'status', '--porcelain'), s.name).toBe('');
      // the file glr watches was not touched at all (same inode, same bytes): nothing woke glr
      expect(statSync(s.file).ino).toBe(before[k]!.ino);
      expect(readFileSync(s.file, 'utf8')).toBe(before[k]!.text);
      expect(readFileSync(s.file, 'utf8')).toContain('version: v0.4.6');
      // the node runs the version it ran, never restarted, and the host reads as converged
      expect(await s.host.healthyOn('v0.4.6')).toBe(true);
      expect(s.host.linkVersions()).toEqual(['v0.4.6']);
      expect(s.host.serviceCount('start')).toBe(before[k]!.starts);
      expect(s.host.tree()).toEqual(before[k]!.tree);
      const dry = await runGlr(['reconcile', '--dry-run', '-f', s.file]);
      expect(dry.code, dry.stdout + dry.stderr).toBe(0);
      expect(s.watch.child.exitCode).toBeNull();
    }

    // the owners take the commit back (reset and force-push to the last trusted commit): the
    // hosts, already there, pull nothing
    git(ci, 'reset', '-q', '--hard', trusted);
    git(ci, 'push', '-q', '--force', 'origin', 'main');
    for (const s of sites) {
      pull(s);
      expect(head(s.clone)).toBe(trusted);
    }
  });

  it("the pull refuses a rewritten history and leaves the host's file as it was", async () => {
    const before = readFileSync(sites[0]!.file, 'utf8');
    git(ci, 'reset', '-q', '--hard', 'HEAD~3');
    writeFileSync(ciFile('a'), `${readFileSync(ciFile('a'), 'utf8').replace(/version: \S+/, 'version: v0.4.3')}# rewritten\n`);
    ciGit('trusted', 'commit', '-qam', 'rewritten history');
    git(ci, 'push', '-q', '--force', 'origin', 'main');
    expect(() => pull(sites[0]!)).toThrow(/Not possible to fast-forward|fatal/);
    expect(readFileSync(sites[0]!.file, 'utf8')).toBe(before);
    expect(await sites[0]!.host.healthyOn('v0.4.6')).toBe(true);
  });
});
