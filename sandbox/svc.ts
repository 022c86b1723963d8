/**
 * The sandbox's service manager, for glr's `service.manager: command`:
 *
 *   node svc.js start  --root ROOT --state DIR   launches ROOT/bin/genlayernode, returns at once
 *   node svc.js stop   --root ROOT --state DIR   SIGTERM, returns once the node has exited
 *   node svc.js status --root ROOT --state DIR   exit 0 while it runs, 3 when it does not
 *
 * Like systemd, `start` on a running node does nothing, and the node is started through the
 * root's links (ROOT/bin), so whatever `current` names when it starts is what runs. It starts
 * it as GenLayer's unit does (WorkingDirectory=ROOT, EnvironmentFile=ROOT/.env, ExecStart=
 * ROOT/bin/genlayernode run --password ${NODE_PASSWORD}): the .env variables, read when it
 * starts, are the node's environment (with PATH and HOME, as systemd gives a service; nothing
 * else of the caller's). A missing .env is left for the node to report (systemd would refuse
 * the start itself).
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { noteStarted, runningPid, stopRunning, type ServiceFiles } from './service-state.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { root: { type: 'string' }, state: { type: 'string' } },
});
const verb = positionals[0];
const root = values.root!;
const state = values.state!;
const files: ServiceFiles = { pidFile: path.join(state, 'node.pid'), pidsLog: path.join(state, 'pids.log'), eventsLog: path.join(state, 'events.log') };

/** KEY=VALUE lines as systemd's EnvironmentFile= reads them (comments and blank lines skipped, quotes removed). */
function environmentFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_]\w*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    const v = m[2]!;
    env[m[1]!] = /^(["']).*\1$/.test(v) ? v.slice(1, -1) : v;
  }
  return env;
}

async function main(): Promise<number> {
  mkdirSync(state, { recursive: true });
  switch (verb) {
    case 'status':
      return runningPid(files.pidFile) ? 0 : 3;
    case 'start': {
      if (runningPid(files.pidFile)) return 0;
      const env = environmentFile(path.join(root, '.env'));
      const out = openSync(path.join(state, 'node-output.log'), 'a');
      const child = spawn(path.join(root, 'bin/genlayernode'), ['run', '--password', env.NODE_PASSWORD ?? ''], {
        cwd: root,
        detached: true,
        stdio: ['ignore', out, out],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...(process.env.HOME ? { HOME: process.env.HOME } : {}), ...env },
      });
      closeSync(out);
      if (!child.pid) return 1;
      noteStarted(files, child.pid);
      child.unref();
      return 0;
    }
    case 'stop':
      await stopRunning(files, 30_000);
      return 0;
    default:
      process.stderr.write(`usage: svc.js start|stop|status --root ROOT --state DIR\n`);
      return 2;
  }
}

void main().then((code) => process.exit(code));
