/**
 * src/runtime/exec.ts on real processes: the output of a command, and no file of glr's left in
 * the temporary folder while it runs (a glr killed with SIGKILL then leaves none behind).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../src/runtime/exec.js';

describe('run', () => {
  let tmp: string;
  let before: string | undefined;
  beforeEach(() => {
    before = process.env.TMPDIR;
    tmp = mkdtempSync(path.join(os.tmpdir(), 'glr-exec-test-'));
    process.env.TMPDIR = tmp;
  });
  afterEach(() => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    rmSync(tmp, { recursive: true, force: true });
  });

  it('returns stdout and stderr interleaved, and the exit code', async () => {
    const r = await run(['sh', '-c', 'echo one; echo two >&2; echo three; exit 3'], { timeoutMs: 10_000 });
    expect(r).toEqual({ exitCode: 3, output: 'one\ntwo\nthree', failure: null });
  });

  it('keeps nothing in the temporary folder while the command runs, nor after', async () => {
    const r = await run(['sh', '-c', 'echo seen:; ls -A "$1"', 'sh', tmp], { timeoutMs: 10_000 });
    expect(r.output).toBe('seen:');
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('reads output larger than one read', async () => {
    const r = await run(['sh', '-c', 'head -c 300000 /dev/zero | tr "\\0" x'], { timeoutMs: 10_000 });
    expect(r.output).toHaveLength(300_000);
  });

  it('a command that is not there is a failure, not a throw', async () => {
    const r = await run([path.join(tmp, 'absent')], { timeoutMs: 10_000 });
    expect(r.exitCode).toBeNull();
    expect(r.failure).toMatch(/command not found/);
  });
});
