import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * promtool (Debian package `prometheus`) for the tests that check glr's metrics and alert rules
 * with the real tool. Where it is missing, those tests skip with a message, except when `CI` or
 * `GLR_REQUIRE_PROMTOOL=1` is set: then a missing promtool is a failure (`.ci/run` installs it).
 */
export const promtoolFound = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;

export const promtoolRequired = process.env.GLR_REQUIRE_PROMTOOL === '1' || !['', '0', 'false', undefined].includes(process.env.CI);

const INSTALL = 'apt-get install -y --no-install-recommends prometheus';

/** Why the promtool tests skip here. */
export const PROMTOOL_SKIPPED = `promtool is not installed: the tests that run it are skipped (install it with \`${INSTALL}\`; with CI or GLR_REQUIRE_PROMTOOL=1 set they fail instead)`;

/** Why they fail under CI / GLR_REQUIRE_PROMTOOL=1. */
export const PROMTOOL_REQUIRED = `promtool is required (CI or GLR_REQUIRE_PROMTOOL=1 is set) and is not installed: \`${INSTALL}\` (.ci/run does it)`;

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
