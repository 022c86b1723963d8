import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SandboxHost } from '../../sandbox/host.js';
import { startReleaseServer, type ReleaseServer } from '../../sandbox/release-server.js';
import { REPO, runGlr } from '../helpers/glr.js';
import { ANSIBLE_REQUIRED, ANSIBLE_SKIPPED, AnsibleWorkspace, ansibleFound, ansibleRequired, recapOf, type AnsibleRun } from '../helpers/ansible.js';

/**
 * The role genlayer.glr.glr, run by the real ansible-playbook on this machine
 * (`ansible_connection: local`), with every path it writes moved into a temporary folder and
 * `glr_manage_services: false` (no systemd here): glr installed from git at a pinned ref with
 * `npm ci`, the desired-state file written from variables and validated by glr, the glr-watch
 * unit, and the pull model's signed clone with the git-pull service and timer.
 *
 * glr's repository is stood in for by a small git repository whose `prepare` script (which
 * `npm ci` runs, as it runs glr's build) copies this checkout's bundle: the real git checkout,
 * the real `npm ci` and the real glr, without a minute of TypeScript build per run.
 */

if (!ansibleFound) {
  if (ansibleRequired) {
    it('ansible-playbook is installed', () => {
      throw new Error(ANSIBLE_REQUIRED);
    });
  } else {
    console.warn(`test/integration/fleet-role.test.ts: ${ANSIBLE_SKIPPED}`);
  }
}

const gitEnv = (home: string): NodeJS.ProcessEnv => ({ ...process.env, HOME: home, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' });

describe.skipIf(!ansibleFound)('the role genlayer.glr.glr', () => {
  let ws: AnsibleWorkspace;
  let server: ReleaseServer;
  let host: SandboxHost;
  let dir: string;
  let source: string;
  let git: (cwd: string, ...args: string[]) => string;
  const refs: Record<string, string> = {};
  let vars: Record<string, unknown>;
  let playbook: string;
  let applied = 0;

  const install = () => path.join(dir, 'opt/glr');
  const desiredFile = () => path.join(dir, 'etc/glr/desired-state.yaml');
  const units = () => path.join(dir, 'systemd');
  /** the role's unit as the docs' example would read with the same paths */
  const asExample = (text: string, subs: [string, string][]) => subs.reduce((t, [from, to]) => t.split(from).join(to), text);

  /** the role with `vars` and `extra` as extra vars (which outrank the inventory's), but those in `hostVars` */
  const apply = async (extra: Record<string, unknown>, inventory = path.join(ws.dir, 'role-inventory.yml'), hostVars: string[] = []): Promise<AnsibleRun> => {
    const file = path.join(ws.dir, `vars-${++applied}.json`);
    const all: Record<string, unknown> = { ...vars, ...extra };
    for (const k of hostVars) delete all[k];
    writeFileSync(file, JSON.stringify(all));
    return ws.run('ansible-playbook', ['-i', inventory, playbook, '-e', `@${file}`]);
  };

  beforeAll(async () => {
    ws = AnsibleWorkspace.create();
    dir = path.join(ws.dir, 'host');
    mkdirSync(dir);
    server = await startReleaseServer();
    host = await SandboxHost.create({ server });

    // a stand-in for glr's repository, two tagged commits
    source = path.join(ws.dir, 'glr-source');
    mkdirSync(source);
    const home = path.join(ws.dir, 'git-home');
    mkdirSync(home);
    git = (cwd, ...args) =>
      execFileSync('git', ['-C', cwd, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { env: gitEnv(home), encoding: 'utf8', stdio: 'pipe' });
    git(source, 'init', '-q', '-b', 'main');
    writeFileSync(path.join(source, '.gitignore'), 'dist/\nnode_modules/\n');
    writeFileSync(
      path.join(source, 'package.json'),
      JSON.stringify({ name: 'glr', version: '0.0.0', private: true, type: 'module', scripts: { prepare: 'node build.mjs' } }),
    );
    writeFileSync(
      path.join(source, 'package-lock.json'),
      JSON.stringify({ name: 'glr', version: '0.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'glr', version: '0.0.0' } } }),
    );
    writeFileSync(
      path.join(source, 'build.mjs'),
      `import { cpSync, readFileSync, writeFileSync } from 'node:fs';\ncpSync(${JSON.stringify(path.join(REPO, 'dist/bin'))}, 'dist/bin', { recursive: true });\nwriteFileSync('dist/bin/built-from', readFileSync('release', 'utf8'));\n`,
    );
    for (const release of ['fixture-1', 'fixture-2']) {
      writeFileSync(path.join(source, 'release'), release);
      git(source, 'add', '-A');
      git(source, 'commit', '-qm', release);
      git(source, 'tag', release);
      refs[release] = git(source, 'rev-parse', 'HEAD').trim();
    }

    playbook = path.join(ws.dir, 'role.yml');
    writeFileSync(playbook, '- name: glr on the validators\n  hosts: all\n  gather_facts: false\n  roles:\n    - role: genlayer.glr.glr\n');
    ws.inventory({ 'validator-1': { file: desiredFile() } }, 'role-inventory.yml');
    const desired = parse(host.desiredYaml({ version: 'v0.4.3', providers: null })) as Record<string, unknown>;
    vars = {
      glr_repo: source,
      glr_ref: 'fixture-1',
      glr_install_dir: install(),
      glr_node: process.execPath,
      glr_file: desiredFile(),
      glr_desired: desired,
      glr_systemd_dir: units(),
      glr_manage_services: false,
    };
    mkdirSync(units());
  });

  afterAll(async () => {
    await host?.cleanup();
    await server?.close();
    ws?.cleanup();
  });

  it('installs glr at the pinned ref, writes the desired state glr accepts, and the glr-watch unit of the docs', async () => {
    const r = await apply({});
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(git(install(), 'rev-parse', 'HEAD').trim()).toBe(refs['fixture-1']);
    expect(readFileSync(path.join(install(), 'dist/bin/built-from'), 'utf8')).toBe('fixture-1');
    const bundle = path.join(install(), 'dist/bin/glr.js');
    expect(execFileSync(process.execPath, [bundle, '--version'], { encoding: 'utf8' })).toBe('glr 0.1.0\n');

    // the file is this host's state: the installed glr finds it converged
    const text = readFileSync(desiredFile(), 'utf8');
    expect(text).toMatch(/^# Written by Ansible \(role genlayer\.glr\.glr\)/);
    expect(text).toMatch(/^version: v0\.4\.3$/m);
    const dry = await runGlr(['reconcile', '--dry-run', '-f', desiredFile()]);
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);

    const unit = readFileSync(path.join(units(), 'glr-watch.service'), 'utf8');
    expect(unit).toContain(`ExecStart=${process.execPath} ${bundle} watch -f ${desiredFile()} --interval 60`);
    const example = readFileSync(path.join(REPO, 'docs/examples/glr-watch.service'), 'utf8');
    expect(
      asExample(unit, [
        [units(), '/etc/systemd/system'],
        [`${process.execPath} `, '/usr/bin/node '],
        [install(), '/opt/glr'],
        [desiredFile(), '/etc/glr/desired-state.yaml'],
      ]),
    ).toBe(example);
  });

  it('a second run changes nothing', async () => {
    const r = await apply({});
    expect(r.code, r.stdout).toBe(0);
    expect(recapOf(r, 'validator-1'), r.stdout).toMatchObject({ changed: 0, failed: 0 });
  });

  it('a new ref is checked out and built; the file keeps the version the rollout gave it and takes the other fields', async () => {
    expect((await runGlr(['bump', 'v0.4.5', '-f', desiredFile()])).code).toBe(0);
    const desired = { ...(vars.glr_desired as Record<string, unknown>), health: { url: host.healthUrl, timeoutSeconds: 20 } };
    const r = await apply({ glr_ref: 'fixture-2', glr_desired: desired });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(git(install(), 'rev-parse', 'HEAD').trim()).toBe(refs['fixture-2']);
    expect(readFileSync(path.join(install(), 'dist/bin/built-from'), 'utf8')).toBe('fixture-2');
    const written = parse(readFileSync(desiredFile(), 'utf8')) as { version: string; health: { timeoutSeconds: number } };
    expect(written.version).toBe('v0.4.5');
    expect(written.health.timeoutSeconds).toBe(20);
  });

  it('a file glr refuses is not written', async () => {
    const before = readFileSync(desiredFile());
    const r = await apply({ glr_ref: 'fixture-2', glr_desired: { ...(vars.glr_desired as Record<string, unknown>), retian: 3 } });
    expect(r.code).not.toBe(0);
    const failed = r.results.find((t) => t.status === 'failed');
    expect(failed?.task).toMatch(/ Write the desired-state file$/);
    expect(JSON.stringify(failed?.result)).toMatch(/unknown key `retian`; did you mean `retain`\?/);
    expect(readFileSync(desiredFile()).equals(before)).toBe(true);
  });

  it('the pull model: a signed clone, the git-pull service and timer of the docs; an unsigned repository is refused', async () => {
    const home = path.join(ws.dir, 'git-home');
    const key = path.join(ws.dir, 'signing-key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ci', '-f', key], { stdio: 'pipe' });
    const repos: Record<string, string> = {};
    for (const [name, signed] of [
      ['signed', true],
      ['unsigned', false],
    ] as const) {
      const repo = path.join(ws.dir, `desired-${name}`);
      mkdirSync(path.join(repo, 'hosts'), { recursive: true });
      git(repo, 'init', '-q', '-b', 'main');
      for (const h of ['validator-1', 'validator-2'])
        writeFileSync(path.join(repo, 'hosts', `${h}.yaml`), host.desiredYaml({ version: 'v0.4.3', providers: null }));
      git(repo, 'add', '-A');
      git(repo, ...(signed ? ['-c', 'gpg.format=ssh', '-c', `user.signingKey=${key}`, '-c', 'commit.gpgSign=true'] : []), 'commit', '-qm', 'desired states');
      repos[name] = repo;
    }
    const me = os.userInfo().username;
    // each its own glr too: two hosts on this one machine must not share a checkout
    const pull = (h: string, repo: string) => ({
      glr_install_dir: path.join(dir, h, 'opt/glr'),
      glr_pull_repo: repo,
      glr_pull_dir: path.join(dir, h, 'desired'),
      glr_pull_allowed_signers_file: path.join(dir, h, 'allowed_signers'),
      glr_systemd_dir: path.join(dir, h, 'systemd'),
    });
    const inventory = ws.inventory(
      {
        'validator-1': { file: desiredFile(), vars: pull('validator-1', repos.signed!) },
        'validator-2': { file: desiredFile(), vars: pull('validator-2', repos.unsigned!) },
      },
      'pull-inventory.yml',
    );
    for (const h of ['validator-1', 'validator-2']) mkdirSync(path.join(dir, h, 'systemd'), { recursive: true });
    const r = await apply(
      {
        glr_ref: 'fixture-2',
        glr_desired: {},
        glr_pull_user: me,
        glr_pull_user_create: false,
        glr_pull_home: home,
        glr_pull_allowed_signers: `ci namespaces="git" ${readFileSync(`${key}.pub`, 'utf8')}`,
      },
      inventory,
      Object.keys(pull('validator-1', repos.signed!)),
    );
    expect(r.code).not.toBe(0);
    expect(recapOf(r, 'validator-1'), r.stdout).toMatchObject({ failed: 0 });
    expect(recapOf(r, 'validator-2'), r.stdout).toMatchObject({ failed: 1 });

    // validator-1: the signed clone, and the units of docs/examples with its paths
    const v1 = pull('validator-1', repos.signed!);
    expect(git(v1.glr_pull_dir, 'rev-parse', 'HEAD')).toBe(git(repos.signed!, 'rev-parse', 'HEAD'));
    const watch = readFileSync(path.join(v1.glr_systemd_dir, 'glr-watch.service'), 'utf8');
    expect(watch).toContain(` watch -f ${v1.glr_pull_dir}/hosts/validator-1.yaml --interval 60`);
    const subs: [string, string][] = [
      [v1.glr_systemd_dir, '/etc/systemd/system'],
      [v1.glr_pull_allowed_signers_file, '/etc/glr/allowed_signers'],
      [v1.glr_pull_dir, '/etc/glr/desired'],
      [v1.glr_install_dir, '/opt/glr'],
      [`=${me}\n`, '=glr-sync\n'],
      [`which ${me} owns`, 'which glr-sync owns'],
    ];
    for (const unit of ['glr-git-pull.service', 'glr-git-pull.timer']) {
      const text = readFileSync(path.join(v1.glr_systemd_dir, unit), 'utf8');
      expect(asExample(text, subs)).toBe(readFileSync(path.join(REPO, 'docs/examples', unit), 'utf8'));
    }
    // the pull as the unit runs it works on this clone
    const execStart = /^ExecStart=(.*)$/m.exec(readFileSync(path.join(v1.glr_systemd_dir, 'glr-git-pull.service'), 'utf8'))![1]!.split(' ');
    expect(execStart[0]).toBe('/usr/bin/git');
    execFileSync('git', execStart.slice(1), { env: gitEnv(home), stdio: 'pipe' });

    // validator-2: refused, the unverified clone taken back, no unit
    const failed = r.results.find((t) => t.host === 'validator-2' && t.status === 'failed' && t.action === 'ansible.builtin.fail');
    expect(failed?.result.msg).toMatch(
      /desired: the commit it checked out is not signed by a key of .*allowed_signers \(git verify-commit HEAD refused it\); the clone was taken back$/,
    );
    const v2 = pull('validator-2', repos.unsigned!);
    expect(existsSync(v2.glr_pull_dir)).toBe(false);
    expect(existsSync(path.join(v2.glr_systemd_dir, 'glr-git-pull.timer'))).toBe(false);
  });
});
