import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * promtool (Debian package `prometheus`) for the tests that check glr's metrics and alert rules
 * with the real tool. Where it is missing, those tests skip with a message, except when `CI` or
 * `GLR_REQUIRE_PROMTOOL=1` is set: then a missing promtool is a failure (`.ci/run` installs it).
 */
export const promtoolFound = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;

export const promtoolRequired = process.env.GLR_REQUIRE_PROMTOOL === '1' || !['', '0', 'false', undefined].includes(process.env.CI);

export const PROMTOOL_MISSING =
  'promtool is not installed: the tests that run it are skipped here (install it with ' +
  '`apt-get install -y --no-install-recommends prometheus`; with CI or GLR_REQUIRE_PROMTOOL=1 set they fail instead)';

export interface PromtoolRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `promtool ARGS`, with `stdin` as its standard input (a file's content, or a string). */
export function promtool(args: string[], opts: { stdin?: string; stdinFile?: string; cwd?: string } = {}): PromtoolRun {
  const input = opts.stdinFile !== undefined ? readFileSync(opts.stdinFile) : opts.stdin;
  const r = spawnSync('promtool', args, { input, cwd: opts.cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
