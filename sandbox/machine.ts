/**
 * The machine around sandbox hosts, for one test: a fake `systemctl` that runs units (any
 * number of them, each node as its unit's User=) and a fake `docker` whose containers remember
 * where their bind mounts resolved (sandbox/systemctl.ts, sandbox/docker.ts). Both go on PATH
 * only for the glr runs of that test (`env`); nothing runs as a daemon. `cleanup()` stops every
 * node a unit started and deletes the folder.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FakeContainer } from './docker.js';
import { killStarted, startedPids } from './service-state.js';

// the tools always run compiled (dist/sandbox), also when this module is loaded from its TypeScript source
const here = path.dirname(fileURLToPath(import.meta.url));
const compiled = path.basename(path.dirname(here)) === 'dist' ? here : path.resolve(here, '../dist/sandbox');
const SYSTEMCTL_JS = path.join(compiled, 'systemctl.js');
const DOCKER_JS = path.join(compiled, 'docker.js');

export interface UnitSpec {
  /** ExecStart, words split on spaces (as systemd shows it back) */
  execStart: string;
  workingDirectory?: string;
  /** EnvironmentFile= lines; a leading `-` marks an optional one */
  environmentFiles?: string[];
  user?: string;
  group?: string;
}

export class FakeMachine {
  readonly bin: string;
  readonly units: string;
  readonly dockerState: string;

  private constructor(readonly dir: string) {
    this.bin = path.join(dir, 'bin');
    this.units = path.join(dir, 'units');
    this.dockerState = path.join(dir, 'docker');
  }

  static create(parent = os.tmpdir()): FakeMachine {
    const m = new FakeMachine(realpathSync(mkdtempSync(path.join(parent, 'glr-machine-'))));
    for (const d of [m.bin, m.units, m.dockerState]) mkdirSync(d, { recursive: true });
    const shim = (js: string, flag: string, state: string) => `#!/bin/sh\nexec "${process.execPath}" "${js}" ${flag} "${state}" "$@"\n`;
    writeFileSync(path.join(m.bin, 'systemctl'), shim(SYSTEMCTL_JS, '--units', m.units), { mode: 0o755 });
    writeFileSync(path.join(m.bin, 'docker'), shim(DOCKER_JS, '--state', m.dockerState), { mode: 0o755 });
    return m;
  }

  /** The environment a glr run of this test gets: these tools first on PATH. */
  get env(): Record<string, string> {
    return { PATH: `${this.bin}:${process.env.PATH ?? '/usr/bin:/bin'}` };
  }

  writeUnit(name: string, u: UnitSpec): string {
    const file = path.join(this.units, `${name}.service`);
    writeFileSync(
      file,
      [
        '[Unit]',
        `Description=GenLayer node (${name}, sandbox)`,
        '',
        '[Service]',
        'Type=simple',
        ...(u.user ? [`User=${u.user}`] : []),
        ...(u.group ? [`Group=${u.group}`] : []),
        ...(u.workingDirectory ? [`WorkingDirectory=${u.workingDirectory}`] : []),
        ...(u.environmentFiles ?? []).map((f) => `EnvironmentFile=${f}`),
        `ExecStart=${u.execStart}`,
        'Restart=no',
        '',
      ].join('\n'),
    );
    return file;
  }

  /** Runs the fake systemctl; its exit code. */
  systemctl(...args: string[]): number {
    return this.tool('systemctl', args);
  }

  /** Runs the fake docker; its exit code. */
  docker(...args: string[]): number {
    return this.tool('docker', args);
  }

  /** A container as the fake Docker keeps it, or null. */
  container(name: string): FakeContainer | null {
    const f = path.join(this.dockerState, 'containers', `${name}.json`);
    return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as FakeContainer) : null;
  }

  /** Creates or changes a container directly (a WebDriver that is unhealthy, an Alloy whose mount names a folder). */
  setContainer(c: FakeContainer): void {
    mkdirSync(path.join(this.dockerState, 'containers'), { recursive: true });
    writeFileSync(path.join(this.dockerState, 'containers', `${c.name}.json`), JSON.stringify(c, null, 2));
  }

  /** `restart NAME`, `recreate NAME`...: what changed the fake Docker's containers, in order. */
  dockerEvents(): string[] {
    const f = path.join(this.dockerState, 'events.log');
    return existsSync(f)
      ? readFileSync(f, 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split(' ').slice(1).join(' '))
      : [];
  }

  /** Every node the units started, by pid. */
  pids(): number[] {
    return startedPids(path.join(this.units, 'pids.log'));
  }

  async cleanup(): Promise<void> {
    await killStarted(path.join(this.units, 'pids.log'), 'the units’ nodes to exit');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private tool(name: string, args: string[]): number {
    try {
      execFileSync(path.join(this.bin, name), args, { stdio: 'pipe' });
      return 0;
    } catch (e) {
      return (e as { status?: number }).status ?? 1;
    }
  }
}
