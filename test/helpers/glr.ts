import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SANDBOX_SECRETS, waitFor } from '../../sandbox/host.js';
import { stepsOf } from '../../src/plan/steps.js';
import type { Plan } from '../../src/plan/types.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** the bundled CLI, as `npm ci` builds it and `npx glr` runs it */
export const GLR_BIN = path.join(REPO, 'dist/bin/glr.js');

export interface GlrRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Short timings so the suite runs in minutes; the defaults suit real hosts. */
export const TEST_TUNING: Record<string, string> = {
  GLR_DOWNLOAD_STALL_SECONDS: '2',
  GLR_DOWNLOAD_RETRIES: '2',
  GLR_DOWNLOAD_RETRY_BASE_MS: '100',
  GLR_HEALTH_POLL_MS: '50',
};

/**
 * How long a glr started inside a test may run: then it is killed (SIGKILL, its whole group), so
 * that a test awaiting a glr that hangs fails with what it printed rather than at vitest's own
 * timeout with the process still running. Under the integration tests' 120 s. (A glr started in
 * a `beforeAll`, a watcher a whole file uses, is its file's to stop.)
 */
const GLR_BOUND_MS = 110_000;

/** the glrs started inside the test that runs now, not yet ended */
const ofThisTest = new Set<ChildProcess>();
let inTest = false;

/**
 * Set by test/helpers/setup.ts around each test (its beforeEach and afterEach included): at its
 * end, whatever glr it started and left running (a failure before its `await run.done`) is
 * killed, never left to act on the next test's host.
 */
export const glrsOfEachTest = {
  begin(): void {
    inTest = true;
  },
  end(): void {
    inTest = false;
    for (const child of ofThisTest) killGroup(child, 'SIGKILL');
    ofThisTest.clear();
  },
};

/**
 * Starts `node dist/bin/glr.js ARGS` in its own process group (so a test can kill the group).
 * `prefix`: a command that runs it (`unshare --net --`...): the argv before node's. `timeoutMs`:
 * killed after this long (default: GLR_BOUND_MS inside a test, no bound in a `beforeAll`).
 * `bin`: another copy of the bundle than this checkout's dist/bin/glr.js.
 */
export function startGlr(
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string; prefix?: string[]; timeoutMs?: number; bin?: string } = {},
): { child: ChildProcess; stderr(): string; done: Promise<GlrRun> } {
  const [command, ...argv] = [...(opts.prefix ?? []), process.execPath, opts.bin ?? GLR_BIN, ...args];
  const child = spawn(command!, argv, {
    cwd: opts.cwd ?? REPO,
    env: { ...process.env, ...TEST_TUNING, ...opts.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (inTest) ofThisTest.add(child);
  const limit = opts.timeoutMs ?? (inTest ? GLR_BOUND_MS : null);
  const bound = limit === null ? null : setTimeout(() => killGroup(child, 'SIGKILL'), limit);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<GlrRun>((resolve) =>
    child.on('close', (code, signal) => {
      if (bound) clearTimeout(bound);
      ofThisTest.delete(child);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return { child, stderr: () => stderr, done };
}

export function runGlr(args: string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number; bin?: string } = {}): Promise<GlrRun> {
  return startGlr(args, { timeoutMs: 90_000, ...opts }).done;
}

/** Starts `glr ARGS` and kills its process group (SIGKILL: a crash) once `cond` holds of its stderr so far; its run. */
export async function killGlrWhen(
  args: string[],
  cond: (stderr: string) => boolean,
  o: { env?: Record<string, string>; timeoutMs: number; what: string },
): Promise<GlrRun> {
  const { child, stderr, done } = startGlr(args, o.env ? { env: o.env } : {});
  try {
    await waitFor(() => cond(stderr()), { timeoutMs: o.timeoutMs, what: o.what });
  } finally {
    killGroup(child, 'SIGKILL');
  }
  return done;
}

export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

/** Every secret of the sandbox: .env values and the keystore's content. */
export const SECRETS = SANDBOX_SECRETS;

export function leakedSecrets(...texts: string[]): string[] {
  return SECRETS.filter((s) => texts.some((t) => t.includes(s)));
}

/** The lines glr printed as errors (its own "glr: ..." lines on stderr). */
export function errorLines(run: GlrRun): string[] {
  return run.stderr.split('\n').filter((l) => l.startsWith('glr: '));
}

export function hasStackTrace(run: GlrRun): boolean {
  // a real newline (printed) or an escaped one (inside a JSON log line)
  return /(\n|\\n)\s+at .+:\d+:\d+\)?/.test(run.stdout + run.stderr);
}

/** The kinds of a `--dry-run --json` plan's steps, in the order glr prints and executes them. */
export function planKinds(stdout: string): string[] {
  return stepsOf(JSON.parse(stdout) as Plan).map((s) => s.step.kind);
}

/** A `glr watch` started by a test, with its JSON log as it comes. */
export interface Watching {
  logs(): { msg: string; [k: string]: unknown }[];
  has(re: RegExp): boolean;
  count(re: RegExp): number;
  stderr(): string;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number; stderr: string }>;
}

/** Starts `glr watch` on FILE (debug log, so converged passes are logged too). */
export function startWatch(file: string, intervalSeconds = 30, env: Record<string, string> = {}): Watching {
  const { child, stderr, done } = startGlr(['watch', '--interval', String(intervalSeconds), '-f', file], { env: { GLR_LOG_LEVEL: 'debug', ...env } });
  const logs = () =>
    stderr()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string });
  let stopped: Promise<{ code: number | null; ms: number; stderr: string }> | null = null;
  return {
    logs,
    has: (re) => logs().some((l) => re.test(l.msg)),
    count: (re) => logs().filter((l) => re.test(l.msg)).length,
    stderr,
    stop(signal = 'SIGTERM') {
      stopped ??= (async () => {
        const t = Date.now();
        if (signal === 'SIGKILL') killGroup(child, 'SIGKILL');
        else child.kill(signal);
        const r = await done;
        return { code: r.code, ms: Date.now() - t, stderr: r.stderr };
      })();
      return stopped;
    },
  };
}
