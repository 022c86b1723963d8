import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GLR_BIN, REPO, TEST_TUNING, killGroup } from './glr.js';

/**
 * The real Ansible (Debian package `ansible-core`) for the fleet's tests. Where it is missing,
 * those tests skip with a message, except when `CI` or `GLR_REQUIRE_ANSIBLE=1` is set: then a
 * missing Ansible is a failure (`.ci/run` installs it).
 */
export const ansibleFound = spawnSync('ansible-playbook', ['--version'], { stdio: 'ignore' }).status === 0;

export const ansibleRequired = process.env.GLR_REQUIRE_ANSIBLE === '1' || !['', '0', 'false', undefined].includes(process.env.CI);

const INSTALL = 'apt-get install -y --no-install-recommends ansible-core';

export const ANSIBLE_SKIPPED = `ansible-playbook is not installed: the fleet tests are skipped (install it with \`${INSTALL}\`; with CI or GLR_REQUIRE_ANSIBLE=1 set they fail instead)`;

export const ANSIBLE_REQUIRED = `ansible-playbook is required (CI or GLR_REQUIRE_ANSIBLE=1 is set) and is not installed: \`${INSTALL}\` (.ci/run does it)`;

/** The collection as this checkout holds it. */
export const COLLECTION = path.join(REPO, 'ansible');
export const ROLLING_UPGRADE = 'genlayer.glr.rolling_upgrade';

/** One task's result on one host, as the test callback (helpers/ansible/callback_plugins) wrote it. */
export interface TaskResult {
  host: string;
  task: string;
  action: string;
  status: 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable';
  result: Record<string, unknown>;
}

export interface AnsibleRun {
  code: number | null;
  stdout: string;
  stderr: string;
  results: TaskResult[];
}

/**
 * A private Ansible set-up in a temporary folder: the repository's `ansible/` seen as the
 * collection genlayer.glr (ansible_collections/genlayer/glr → ansible/), Ansible's own temporary
 * folders, an ansible.cfg named by ANSIBLE_CONFIG (so no ansible.cfg of the checkout or the user
 * counts), and the test callback. Works from any checkout, as root or as an ordinary user.
 */
export class AnsibleWorkspace {
  private runs = 0;

  private constructor(readonly dir: string) {}

  static create(): AnsibleWorkspace {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'glr-ansible-'));
    const ws = new AnsibleWorkspace(dir);
    const collections = path.join(dir, 'collections');
    mkdirSync(path.join(collections, 'ansible_collections/genlayer'), { recursive: true });
    symlinkSync(COLLECTION, path.join(collections, 'ansible_collections/genlayer/glr'));
    for (const d of ['local', 'remote', 'home']) mkdirSync(path.join(dir, d), { mode: 0o700 });
    writeFileSync(
      path.join(dir, 'ansible.cfg'),
      [
        '[defaults]',
        `collections_path = ${collections}`,
        'collections_scan_sys_path = False',
        `local_tmp = ${path.join(dir, 'local')}`,
        `remote_tmp = ${path.join(dir, 'remote')}`,
        `callback_plugins = ${path.join(REPO, 'test/helpers/ansible/callback_plugins')}`,
        'callbacks_enabled = glr_results',
        // ad-hoc `ansible` loads callbacks only with this
        'bin_ansible_callbacks = True',
        'retry_files_enabled = False',
        'nocolor = True',
        'interpreter_python = auto_silent',
        '',
      ].join('\n'),
    );
    return ws;
  }

  get env(): Record<string, string> {
    return {
      ...TEST_TUNING,
      ANSIBLE_CONFIG: path.join(this.dir, 'ansible.cfg'),
      ANSIBLE_HOME: path.join(this.dir, 'home'),
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_FORCE_COLOR: '0',
    };
  }

  /**
   * An inventory of sandbox hosts on this machine: each with `ansible_connection: local`, its
   * own desired-state file (`glr_file`) and glr as this checkout built it (`glr_command`).
   */
  inventory(hosts: Record<string, { file: string; vars?: Record<string, unknown> }>, name = 'inventory.yml'): string {
    const file = path.join(this.dir, name);
    const all = {
      all: {
        hosts: Object.fromEntries(
          Object.entries(hosts).map(([h, o]) => [
            h,
            {
              ansible_connection: 'local',
              ansible_python_interpreter: '{{ ansible_playbook_python }}',
              glr_file: o.file,
              glr_command: [process.execPath, GLR_BIN],
              ...o.vars,
            },
          ]),
        ),
      },
    };
    // JSON is YAML: Ansible's yaml inventory reads it
    writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
    return file;
  }

  /** Runs an Ansible command (ansible-playbook, ansible-doc, ...) here; kills it after `timeoutMs`. */
  async run(command: string, args: string[], o: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<AnsibleRun> {
    const resultsFile = path.join(this.dir, `results-${++this.runs}.jsonl`);
    const child = spawn(command, args, {
      cwd: this.dir,
      env: { ...process.env, ...this.env, GLR_RESULTS_FILE: resultsFile, ...o.env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), o.timeoutMs ?? 180_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    clearTimeout(timer);
    const results = existsSync(resultsFile)
      ? readFileSync(resultsFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as TaskResult)
      : [];
    return { code, stdout, stderr, results };
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The PLAY RECAP block of a run's output. */
export function recap(run: AnsibleRun): string {
  const at = run.stdout.indexOf('PLAY RECAP');
  return at < 0 ? '' : run.stdout.slice(at).trimEnd();
}

/** One host's line of the recap as numbers: ok, changed, failed, ... (null when the host is not there). */
export function recapOf(run: AnsibleRun, host: string): Record<string, number> | null {
  const line = recap(run)
    .split('\n')
    .find((l) => l.startsWith(`${host} `));
  if (!line) return null;
  return Object.fromEntries([...line.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
}
