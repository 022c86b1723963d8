/**
 * A stand-in for `systemctl` that runs services from unit files, as systemd does where glr can
 * tell, for the sandbox (put on PATH for one test by sandbox/machine.ts):
 *
 *   systemctl show [--property=A,B] [--value] [--] UNIT   LoadState, ActiveState, SubState, User,
 *                                                        Group, EnvironmentFiles (one line each,
 *                                                        `PATH (ignore_errors=yes|no)`), ExecStart
 *                                                        (`{ path=… ; argv[]=… ; … }`),
 *                                                        WorkingDirectory, TimeoutStopUSec
 *   systemctl start|stop|is-enabled [--] UNIT
 *
 * Units are `UNITS/NAME.service` ([Service]: User, Group, WorkingDirectory, EnvironmentFile
 * (repeatable, `-` for optional), ExecStart, TimeoutStopSec). `start` does what systemd does
 * before it runs ExecStart: reads every EnvironmentFile in order (a missing one that is not
 * optional fails the start), expands `${VAR}` and `$VAR` in ExecStart from them, and runs it in
 * WorkingDirectory as User:Group (setuid: the sandbox runs as root for this) with only those
 * variables and PATH. State lives in `UNITS/NAME.state/`; every pid started goes to `UNITS/pids.log`.
 *
 * Invoked as: node systemctl.js --units UNITS ARGS...
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { noteStarted, runningPid, stopRunning, type ServiceFiles } from './service-state.js';

interface Unit {
  user: string;
  group: string;
  workingDirectory: string;
  environmentFiles: { path: string; optional: boolean }[];
  execStart: string[];
  timeoutStopSec: number;
}

const args = process.argv.slice(2);
const units = args[args.indexOf('--units') + 1]!;
const rest = args.filter((_, i) => i !== args.indexOf('--units') && i !== args.indexOf('--units') + 1);
const verb = rest[0];
const name =
  rest
    .filter((a) => !a.startsWith('-'))
    .at(-1)
    ?.replace(/\.service$/, '') ?? '';
const props = rest
  .find((a) => a.startsWith('--property='))
  ?.slice('--property='.length)
  .split(',');
const valueOnly = rest.includes('--value');
const state = path.join(units, `${name}.state`);
const files: ServiceFiles = { pidFile: path.join(state, 'node.pid'), pidsLog: path.join(units, 'pids.log'), eventsLog: path.join(state, 'events.log') };

function readUnit(): Unit | null {
  const file = path.join(units, `${name}.service`);
  if (!existsSync(file)) return null;
  const u: Unit = { user: '', group: '', workingDirectory: '', environmentFiles: [], execStart: [], timeoutStopSec: 90 };
  // a trailing backslash continues the line, as in systemd's unit files
  for (const line of readFileSync(file, 'utf8')
    .replace(/\\\n\s*/g, ' ')
    .split('\n')) {
    const m = /^\s*([A-Za-z]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    const [, key, value] = m as unknown as [string, string, string];
    if (key === 'User') u.user = value;
    else if (key === 'Group') u.group = value;
    else if (key === 'WorkingDirectory') u.workingDirectory = value;
    else if (key === 'EnvironmentFile') u.environmentFiles.push({ path: value.replace(/^-/, ''), optional: value.startsWith('-') });
    else if (key === 'ExecStart') u.execStart = value.split(/\s+/).filter(Boolean);
    else if (key === 'TimeoutStopSec') u.timeoutStopSec = Number(value) || 90;
  }
  return u;
}

/** KEY=VALUE lines as EnvironmentFile= reads them: comments and blank lines skipped, one pair of quotes removed. */
function environmentFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_]\w*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || /^\s*[#;]/.test(line)) continue;
    const v = m[2]!;
    env[m[1]!] = /^(["']).*\1$/.test(v) ? v.slice(1, -1) : v;
  }
  return env;
}

function show(u: Unit | null): number {
  const pid = u ? runningPid(files.pidFile) : null;
  const all: [string, string][] = [
    ['LoadState', u ? 'loaded' : 'not-found'],
    ['ActiveState', pid ? 'active' : 'inactive'],
    ['SubState', pid ? 'running' : 'dead'],
  ];
  if (u) {
    all.push(['User', u.user], ['Group', u.group]);
    for (const f of u.environmentFiles) all.push(['EnvironmentFiles', `${f.path} (ignore_errors=${f.optional ? 'yes' : 'no'})`]);
    if (u.execStart.length) {
      all.push([
        'ExecStart',
        `{ path=${u.execStart[0]} ; argv[]=${u.execStart.join(' ')} ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=${pid ?? 0} ; code=(null) ; status=0/0 }`,
      ]);
    }
    all.push(['WorkingDirectory', u.workingDirectory], ['TimeoutStopUSec', `${u.timeoutStopSec}s`]);
  }
  for (const [k, v] of all) if (!props || props.includes(k)) process.stdout.write(valueOnly ? `${v}\n` : `${k}=${v}\n`);
  return 0;
}

function idOf(db: 'passwd' | 'group', who: string): number {
  if (/^\d+$/.test(who)) return Number(who);
  return Number(execFileSync('getent', [db, who], { encoding: 'utf8' }).split(':')[2]);
}

function start(u: Unit): number {
  if (runningPid(files.pidFile)) return 0;
  const env: Record<string, string> = {};
  for (const f of u.environmentFiles) {
    let text: string;
    try {
      text = readFileSync(f.path, 'utf8');
    } catch {
      if (f.optional) continue;
      process.stderr.write(`Job for ${name}.service failed: Failed to load environment files: ${f.path}\n`);
      return 1;
    }
    Object.assign(env, environmentFile(text));
  }
  // ${VAR} inside a word, $VAR as a word of its own, as systemd expands ExecStart
  const argv = u.execStart.map((a) => a.replace(/\$\{(\w+)\}|^\$(\w+)$/g, (_, x: string, y: string) => env[x ?? y] ?? ''));
  const out = openSync(path.join(state, 'node-output.log'), 'a');
  const uid = u.user ? idOf('passwd', u.user) : undefined;
  const gid = u.group
    ? idOf('group', u.group)
    : uid !== undefined
      ? Number(execFileSync('getent', ['passwd', u.user], { encoding: 'utf8' }).split(':')[3])
      : undefined;
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: u.workingDirectory || '/',
    detached: true,
    stdio: ['ignore', out, out],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    ...(uid !== undefined ? { uid } : {}),
    ...(gid !== undefined ? { gid } : {}),
  });
  closeSync(out);
  if (!child.pid) return 1;
  noteStarted(files, child.pid);
  child.unref();
  return 0;
}

async function main(): Promise<number> {
  const u = readUnit();
  if (verb === 'show') return show(u);
  if (!u) {
    process.stderr.write(`Unit ${name}.service not found.\n`);
    return verb === 'is-enabled' ? 1 : 5;
  }
  mkdirSync(state, { recursive: true });
  switch (verb) {
    case 'is-enabled':
      process.stdout.write('enabled\n');
      return 0;
    case 'start':
      return start(u);
    case 'stop':
      await stopRunning(files, u.timeoutStopSec * 1000);
      return 0;
    default:
      process.stderr.write(`systemctl (sandbox): unknown verb ${verb}\n`);
      return 1;
  }
}

void main().then((code) => process.exit(code));
