/**
 * src/runtime/priority.ts on real processes: a probe process lowers its priority, spawns a child
 * (as the GenVM setup would be), creates a thread meanwhile, restores, spawns another child; it
 * reports the nice value and I/O class the kernel shows for each (/proc/PID/stat, ionice -p).
 * Run as root (CAP_SYS_NICE: glr lowers its own threads) and as nobody without capabilities
 * (glr cannot raise its priority back: only the children are lowered, through nice/ionice).
 * Then in a whole pass: the GenVM setup (the sandbox's records the nice it ran at) is lowered
 * although glr starts the download before its own priority is lowered.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForAnyone, type Bundle } from '../helpers/bundle.js';
import { runGlr } from '../helpers/glr.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';

const exec = promisify(execFile);
/**
 * The probe runs as `nobody` too, who may not read the checkout (a clone in /root/glr, or any
 * mode-700 folder): the module under test is bundled (with execa) into a folder anyone can read.
 */
let bundle: Bundle;
let PRIORITY_JS: string;
beforeAll(async () => {
  bundle = await bundleForAnyone('src/runtime/priority.ts', 'priority.mjs');
  PRIORITY_JS = bundle.file;
});
afterAll(() => bundle?.remove());

interface Probe {
  mode: string;
  before: { child: string; autogroup: string };
  during: { child: string; threads: string[]; worker: string; autogroup: string };
  after: { child: string; threads: string[]; worker: string; autogroup: string };
}

/** the probe: nice (field 19 of /proc/PID/stat) and `ionice -p` of a child, of each thread */
const PROBE = () => `
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { lowerPriority, lowPriorityArgv } from ${JSON.stringify(PRIORITY_JS)};
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const opts = JSON.parse(process.argv[1] ?? '{}');
const niceOf = (stat) => stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16];
const ioOf = (tid) => execFileSync('ionice', ['-p', String(tid)], { encoding: 'utf8' }).trim();
const child = () => {
  const argv = lowPriorityArgv(['/bin/sh', '-c', 'echo "$(cut -d" " -f19 /proc/$$/stat) $(ionice -p $$)"']);
  return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', env: process.env }).trim();
};
const threads = () => readdirSync('/proc/self/task').sort().map((t) => niceOf(readFileSync('/proc/self/task/' + t + '/stat', 'utf8')) + ' ' + ioOf(t));
const autogroup = () => readFileSync('/proc/self/autogroup', 'utf8').trim().replace(/^\\S+ /, '');
let worker;
let workerTid = null;
const workerState = () => niceOf(readFileSync('/proc/self/task/' + workerTid + '/stat', 'utf8')) + ' ' + ioOf(workerTid);
const out = { before: { child: child(), autogroup: autogroup() } };
const lowered = await lowerPriority(silent, opts);
out.mode = lowered.mode;
// a thread born while lowered (a worker; libuv's pool threads are born the same way)
const seen = new Set(readdirSync('/proc/self/task'));
worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
await new Promise((r) => worker.once('online', r));
workerTid = readdirSync('/proc/self/task').find((t) => !seen.has(t)) ?? null;
out.during = { child: child(), threads: threads(), worker: workerTid ? workerState() : 'none', autogroup: autogroup() };
await lowered.restore();
out.after = { child: child(), threads: threads(), worker: workerTid ? workerState() : 'none', autogroup: autogroup() };
await worker.terminate();
console.log(JSON.stringify(out));
`;

async function probe(o: { prefix?: string[]; opts?: Record<string, unknown>; env?: Record<string, string> } = {}): Promise<Probe> {
  const argv = [...(o.prefix ?? []), process.execPath, '--input-type=module', '-e', PROBE(), JSON.stringify(o.opts ?? {})];
  const { stdout } = await exec(argv[0]!, argv.slice(1), { timeout: 30_000, env: { ...process.env, ...o.env }, cwd: '/' });
  return JSON.parse(stdout) as Probe;
}

const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all'];
const isRoot = process.getuid?.() === 0;
/** kernel.sched_autogroup_enabled: without it there is no autogroup nice to lower */
const autogroupOn = (() => {
  try {
    return readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1';
  } catch {
    return false;
  }
})();
const hasTools = ['/usr/bin/setpriv', '/usr/bin/ionice', '/usr/bin/nice', '/usr/bin/setsid'].every((p) => existsSync(p));

describe.skipIf(process.platform !== 'linux' || !hasTools)('preparation priority', () => {
  it.skipIf(!isRoot)('with CAP_SYS_NICE: every thread and every child at nice 10, best-effort 7; all put back, a thread born meanwhile too', async () => {
    const r = await probe();
    expect(r.mode).toBe('threads');
    expect(r.before.child).toBe('0 none: prio 0');
    expect(r.during.child).toBe('10 best-effort: prio 7');
    expect(r.during.threads.length).toBeGreaterThan(3);
    for (const t of r.during.threads) expect(t).toBe('10 best-effort: prio 7');
    expect(r.during.worker).toBe('10 best-effort: prio 7');
    // what a node started by glr after the restore would inherit: the original values
    expect(r.after.child).toBe('0 none: prio 0');
    for (const t of r.after.threads) expect(t).toBe('0 none: prio 0');
    expect(r.after.worker).toBe('0 none: prio 0');
  });

  it.skipIf(!isRoot)('an operator-set nice is kept: nice 3 goes to 10 and back to 3; nice 15 stays 15', async () => {
    const three = await probe({ prefix: ['nice', '-n', '3'] });
    expect(three.during.child.split(' ')[0]).toBe('10');
    expect(three.after.child.split(' ')[0]).toBe('3');
    for (const t of three.after.threads) expect(t.split(' ')[0]).toBe('3');
    const fifteen = await probe({ prefix: ['nice', '-n', '15'] });
    expect(fifteen.during.child.split(' ')[0]).toBe('15');
    expect(fifteen.after.child.split(' ')[0]).toBe('15');
  });

  it.skipIf(!isRoot || !autogroupOn)("in a session of its own (a systemd unit), the autogroup's nice too, and back", async () => {
    const own = await probe({ prefix: ['setsid', '--wait'] });
    expect(own.during.autogroup).toBe('nice 10');
    expect(own.after.autogroup).toBe('nice 0');
    // shared with the test runner's processes: left alone. (A runner in the init's session sits in
    // the kernel's default autogroup, which /proc shows as an empty line: still, nothing changes.)
    const shared = await probe();
    expect(shared.during.autogroup).toBe(shared.before.autogroup);
    expect(shared.after.autogroup).toBe(shared.before.autogroup);
  });

  it.skipIf(!isRoot)('without CAP_SYS_NICE: glr keeps its own priority, the children run under nice/ionice, and no longer after restore', async () => {
    const r = await probe({ prefix: NOBODY });
    expect(r.mode).toBe('children');
    expect(r.before.child).toBe('0 none: prio 0');
    expect(r.during.child).toBe('10 best-effort: prio 7');
    for (const t of r.during.threads) expect(t).toBe('0 none: prio 0');
    expect(r.after.child).toBe('0 none: prio 0');
  });

  it.skipIf(!isRoot)('without CAP_SYS_NICE and without nice/ionice on PATH: nothing changes', async () => {
    const r = await probe({ prefix: NOBODY, opts: { path: '/nonexistent' } });
    expect(r.mode).toBe('none');
    expect(r.during.child).toBe('0 none: prio 0');
  });
});

describe('in a pass: the download starts before the priority is lowered, and no later step does', () => {
  let sb: Sandbox;
  let slowPath: string;
  beforeAll(async () => {
    sb = await createSandbox();
    await sb.publish({ version: 'v0.4.5' });
    // an ionice that takes a second: lowering (which runs it) then outlasts the download
    slowPath = mkdtempSync(path.join(os.tmpdir(), 'glr-slow-ionice-'));
    const real = execFileSync('sh', ['-c', 'command -v ionice'], { encoding: 'utf8' }).trim();
    writeFileSync(path.join(slowPath, 'ionice'), `#!/bin/sh\nsleep 1\nexec ${real} "$@"\n`);
    chmodSync(path.join(slowPath, 'ionice'), 0o755);
  });
  afterAll(async () => {
    await sb?.cleanup();
    if (slowPath) rmSync(slowPath, { recursive: true, force: true });
  });

  it('the GenVM setup runs at nice 10 although lowering ends after the download', async () => {
    const file = sb.host.writeDesired({ version: 'v0.4.5' });
    const r = await runGlr(['reconcile', '-f', file], { env: { PATH: `${slowPath}:${process.env.PATH}`, GLR_LOG_LEVEL: 'debug' } });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(path.join(sb.host.root, 'v0.4.5/third_party/genvm/.setup-nice'), 'utf8')).toBe('10\n');
    if (isRoot) {
      // glr lowers its own threads (it can raise them back): the download did not wait for that
      const lines = r.stderr.split('\n');
      const downloaded = lines.findIndex((l) => l.includes('"msg":"done: download"'));
      const lowered = lines.findIndex((l) => l.includes('"msg":"preparation at low priority"'));
      expect(downloaded, r.stderr).toBeGreaterThanOrEqual(0);
      expect(lowered, r.stderr).toBeGreaterThan(downloaded);
    }
  });
});
