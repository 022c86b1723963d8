/**
 * An SSH session that drops: a `glr reconcile` typed over SSH gets SIGHUP, and its terminal is
 * gone (writes to it fail). SIGHUP is handled as SIGTERM: a clean abort outside the switch window,
 * held inside it until a node is up again. Tested in each phase, as the SIGTERM tests
 * (crash.test.ts, watch.test.ts) do.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../sandbox/host.js';
import { isAlive } from '../../sandbox/proc.js';
import { journalPhase, sandboxEachTest, startPreparing, type Sandbox } from '../helpers/sandbox.js';
import { stagingLeft } from '../helpers/hostile.js';
import { errorLines, GLR_BIN, startGlr, TEST_TUNING } from '../helpers/glr.js';

const each = sandboxEachTest();
let orphan: number | undefined;
// (after hooks run last-registered first: the orphan goes before the sandbox)
afterEach(() => {
  if (orphan && isAlive(orphan)) process.kill(orphan, 'SIGKILL');
  orphan = undefined;
});

/** `glr reconcile` to v0.4.5, paused at a window phase; the session drops there (SIGHUP, terminal gone). */
async function hangUpAt(s: Sandbox, phase: 'stopped' | 'swapped'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const { child, done } = startGlr(['reconcile', '-f', s.host.writeDesired({ version: 'v0.4.5' })], { env: { GLR_FAILPOINT: `${phase}:1500` } });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  await waitFor(() => stderr.includes(`failpoint ${phase} reached`), { timeoutMs: 30_000, what: `the ${phase} phase` });
  child.kill('SIGHUP');
  // the terminal is gone: whatever glr writes from now on fails (EPIPE)
  child.stdout!.destroy();
  child.stderr!.destroy();
  const r = await done;
  return { code: r.code, signal: r.signal };
}

/**
 * Runs ARGV as the session leader of a new pseudo-terminal (as sshd runs a login shell's
 * command), relaying what it writes; the first line is `child PID`. Killing this relay closes
 * the terminal's master side: the kernel hangs the terminal up (SIGHUP to the session, and every
 * write to the terminal fails with EIO), as when an SSH connection drops.
 */
const PTY_RELAY = `
import os, pty, select, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
sys.stdout.write("child %d\\n" % pid); sys.stdout.flush()
while True:
    try:
        select.select([fd], [], [])
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    sys.stdout.buffer.write(data); sys.stdout.flush()
`;

describe('SIGHUP (a dropped SSH session)', () => {
  it('during preparation: stops cleanly, no half folder, exit 1', async () => {
    const s = await each.sandbox();
    const { child, done } = await startPreparing(s, 'v0.4.5', 10_000);
    child.kill('SIGHUP');
    const r = await done;
    expect(r.code, r.stderr).toBe(1);
    expect(errorLines(r)).toEqual(['glr: interrupted by SIGHUP; nothing was switched']);
    expect(existsSync(path.join(s.host.root, 'v0.4.5'))).toBe(false);
    expect(stagingLeft(s.host)).toEqual([]);
    expect(await s.host.healthyOn('v0.4.3')).toBe(true);
    expect(s.host.linkVersions()).toEqual(['v0.4.3']);
  });

  for (const phase of ['stopped', 'swapped'] as const) {
    it(`right after the journal says "${phase}", the terminal gone: held until the node is up, then glr exits`, async () => {
      const s = await each.sandbox();
      await s.publish({ version: 'v0.4.5' });
      const r = await hangUpAt(s, phase);
      expect(r.signal).toBe(null);
      expect(r.code).toBe(0);
      expect(await s.host.healthyOn('v0.4.5')).toBe(true);
      expect(journalPhase(s)).toBe('done');
      expect(s.host.doubleRuns()).toEqual([]);
    });
  }

  it('a real terminal hung up right after the stop (glr on a pty, its master closed): the node is up before glr exits', async () => {
    const s = await each.sandbox();
    await s.publish({ version: 'v0.4.5' });
    const file = s.host.writeDesired({ version: 'v0.4.5' });
    const relay = spawn('python3', ['-c', PTY_RELAY, process.execPath, GLR_BIN, 'reconcile', '-f', file], {
      env: { ...process.env, ...TEST_TUNING, GLR_FAILPOINT: 'stopped:1500' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    relay.stdout.on('data', (d) => (out += d));
    try {
      await waitFor(() => out.includes('failpoint stopped reached'), { timeoutMs: 30_000, what: 'the stop, on the terminal' });
    } finally {
      relay.kill('SIGKILL');
    }
    const glr = Number(/^child (\d+)$/m.exec(out)?.[1]);
    expect(glr).toBeGreaterThan(0);
    orphan = glr;
    await waitFor(() => !isAlive(glr), { timeoutMs: 60_000, what: 'glr to exit after the hang-up' });
    expect(await s.host.healthyOn('v0.4.5')).toBe(true);
    expect(journalPhase(s)).toBe('done');
    expect(s.host.doubleRuns()).toEqual([]);
  });

  it('glr watch, idle: exits cleanly (0)', async () => {
    const s = await each.sandbox();
    s.host.writeDesired({ version: 'v0.4.3', providers: null });
    const w = each.watch(s.host.file);
    await waitFor(() => w.has(/^converged/), { timeoutMs: 20_000, what: 'the first pass' });
    const { code, ms } = await w.stop('SIGHUP');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5000);
    expect(await s.host.healthyOn('v0.4.3')).toBe(true);
  });

  it('glr watch, in the switch window: the node is up before the watcher exits', async () => {
    const s = await each.sandbox();
    await s.publish({ version: 'v0.4.5' });
    s.host.writeDesired({ version: 'v0.4.5' });
    const w = each.watch(s.host.file, 30, { GLR_FAILPOINT: 'stopped:1000' });
    await waitFor(() => w.has(/^failpoint stopped reached$/), { timeoutMs: 20_000, what: 'the stop' });
    const { code } = await w.stop('SIGHUP');
    expect(code).toBe(0);
    expect(await s.host.healthyOn('v0.4.5')).toBe(true);
    expect(journalPhase(s)).toBe('done');
  });
});
