/**
 * One glr per root, across network namespaces: a glr in a container (here: another network
 * namespace, `unshare --net`) works on the same root as one on the host. An abstract Unix socket
 * is per network namespace; the lock must hold for every glr that sees the root.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../sandbox/host.js';
import { startPreparing, sandboxEachTest } from '../helpers/sandbox.js';
import { errorLines, runGlr, startGlr } from '../helpers/glr.js';

const each = sandboxEachTest();

/** `glr ARGS` in a network namespace of its own (as in a container that shares the root's folder) */
const OWN_NETWORK = ['unshare', ...(process.getuid?.() === 0 ? ['--net'] : ['--map-root-user', '--net']), '--'];
const startInOwnNetwork = (args: string[]) => startGlr(args, { prefix: OWN_NETWORK, env: { GLR_LOG_LEVEL: 'debug' } });
const runInOwnNetwork = (args: string[]) => startInOwnNetwork(args).done;

const FROM_ELSEWHERE =
  /^glr: another glr is working on \S+ \(it holds the lock on that folder, from another network namespace or container: it cannot be named from here\); wait for it, or stop it$/;

describe('the lock, seen from another network namespace', () => {
  it('a glr in another namespace is refused while one works on the root, and the holder finishes undisturbed', async () => {
    const s = await each.sandbox();
    const holder = await startPreparing(s, 'v0.4.5', 4000);
    const other = await runInOwnNetwork(['reconcile', '-f', holder.file]);
    expect(other.code, other.stdout + other.stderr).toBe(1);
    expect(errorLines(other)).toEqual([expect.stringMatching(FROM_ELSEWHERE)]);
    const r = await holder.done;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await s.host.healthyOn('v0.4.5')).toBe(true);
    expect(s.host.doubleRuns()).toEqual([]);
  });

  it('a glr watch in another namespace holds the lock: a reconcile here is refused, and status says it is held', async () => {
    const s = await each.sandbox();
    const file = s.host.writeDesired({ version: 'v0.4.3', providers: null });
    const watch = startInOwnNetwork(['watch', '--interval', '30', '-f', file]);
    try {
      await waitFor(() => watch.stderr().includes('"msg":"pass started"'), { timeoutMs: 20_000, what: 'the watcher in the other namespace' });
      const r = await runGlr(['reconcile', '-f', file]);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(errorLines(r)).toEqual([expect.stringMatching(FROM_ELSEWHERE)]);
      const status = await runGlr(['status', '-f', file]);
      expect(status.stdout).toMatch(/^lock\s+held by a glr that does not answer \(or runs in another network namespace, a container\)$/m);
    } finally {
      watch.child.kill('SIGTERM');
      await watch.done;
    }
    expect((await runGlr(['status', '-f', file])).stdout).toMatch(/^lock\s+free/m);
  });

  it('status, from the same network namespace, names the holder; the lock is free again once it is done', async () => {
    const s = await each.sandbox();
    const { file, ...holder } = await startPreparing(s, 'v0.4.5', 3000);
    const status = await runGlr(['status', '-f', file]);
    expect(status.stdout).toMatch(new RegExp(`^lock\\s+held by pid ${holder.child.pid} \\(glr reconcile, since`, 'm'));
    expect((await holder.done).code).toBe(0);
    expect((await runGlr(['status', '-f', file])).stdout).toMatch(/^lock\s+free/m);
    // taking it again works at once: nothing was left behind
    expect((await runGlr(['reconcile', '-f', file])).code).toBe(0);
  });
});
