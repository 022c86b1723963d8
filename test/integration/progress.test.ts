/**
 * Download progress as an operator sees it: under a pseudo-terminal (util-linux `script`), one
 * line redrawn in place with bytes, rate and ETA, erased at the end; in a pipe (a journal, CI),
 * no `\r` at all.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { GLR_BIN, runGlr, TEST_TUNING } from '../helpers/glr.js';

const MiB = 2 ** 20;
let sb: Sandbox;
beforeAll(async () => {
  sb = await createSandbox();
});
afterAll(async () => sb?.cleanup());

/** the argv as one shell word each, for `script -c` (the test's command line, not glr's) */
const quote = (argv: string[]) => argv.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');

function underTerminal(args: string[]): Promise<{ code: number | null; output: string; ms: number }> {
  const t = Date.now();
  return new Promise((resolve) => {
    execFile(
      'script',
      ['-qfec', quote([process.execPath, GLR_BIN, ...args]), '/dev/null'],
      { env: { ...process.env, ...TEST_TUNING }, timeout: 90_000, maxBuffer: 16 * MiB },
      (err, stdout) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, output: String(stdout), ms: Date.now() - t }),
    );
  });
}

describe.skipIf(!existsSync('/usr/bin/script'))('download progress', () => {
  it('on a terminal: a line redrawn in place (bytes of total, rate, ETA), erased once the download is done', async () => {
    // 3 MiB at 1 MiB/s: about 3 s of download, a redraw every 200 ms
    await sb.publish({ version: 'v0.4.5', padBytes: 3 * MiB });
    sb.server.fault('v0.4.5', { kind: 'throttle', bytesPerSecond: MiB });
    const r = await underTerminal(['reconcile', '-f', sb.host.writeDesired({ version: 'v0.4.5' })]);
    expect(r.code, r.output).toBe(0);
    const redraws = r.output.match(/\rdownloading v0\.4\.5: [\d.]+ (bytes|KiB|MiB) of 3\.0 MiB \(\d+%\), [\d.]+ (bytes|KiB|MiB)\/s, \d+ s left\x1b\[K/g) ?? [];
    expect(redraws.length, r.output).toBeGreaterThanOrEqual(5);
    expect(redraws.length).toBeLessThanOrEqual(r.ms / 200); // at most every 200 ms (the unit test counts exactly)
    // erased before what follows is printed
    expect(r.output).toContain('\r\x1b[K');
    expect(r.output.lastIndexOf('\r\x1b[K')).toBeGreaterThan(r.output.lastIndexOf('s left\x1b[K'));
    expect(await sb.host.healthyOn('v0.4.5')).toBe(true);
  });

  it('not a terminal: no \\r anywhere, plain log lines only', async () => {
    await sb.publish({ version: 'v0.4.6', padBytes: 3 * MiB });
    sb.server.fault('v0.4.6', { kind: 'throttle', bytesPerSecond: MiB });
    const r = await runGlr(['reconcile', '-f', sb.host.writeDesired({ version: 'v0.4.6' })]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('\r');
    expect(r.stdout).not.toContain('\r');
    for (const line of r.stderr.split('\n').filter(Boolean)) expect(line.startsWith('{') || line.startsWith('glr: '), line).toBe(true);
  });
});
