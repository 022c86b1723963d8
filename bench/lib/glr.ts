/**
 * Running glr as a user would (`node dist/bin/glr.js ...`, default settings) and reading
 * what it says: its --json result, its log lines (JSON on a non-terminal stderr) and the last line
 * of {root}/.glr/history.jsonl. The log is read by structure (the `action` and `ms` fields) where
 * possible; a line that is not found makes a figure "—", never a crash.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultEnv, run, type Ran } from './proc.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const GLR = path.join(REPO, 'dist/bin/glr.js');

export interface LogLine {
  level: number;
  /** epoch ms */
  at: number;
  msg: string;
  action?: string;
  /** the plan phase of an action's line: prepare, window, verify, finish */
  phase?: string;
  ms?: number;
  [k: string]: unknown;
}

export function parseLog(stderr: string): LogLine[] {
  const out: LogLine[] = [];
  for (const l of stderr.split('\n')) {
    if (!l.startsWith('{')) continue;
    try {
      const j = JSON.parse(l) as Record<string, unknown>;
      out.push({ ...j, level: Number(j.level), at: Date.parse(String(j.time)), msg: String(j.msg ?? '') } as LogLine);
    } catch {
      // not a log line
    }
  }
  return out;
}

export interface PassJson {
  exitCode: number;
  outcome: string;
  message: string;
  windowMs?: number;
  downtimeMs?: number;
}

export interface GlrRun extends Ran {
  log: LogLine[];
  result: PassJson | null;
}

/** `glr ARGS` (e.g. reconcile --json -f FILE) under /usr/bin/time, at glr's defaults. */
export async function glr(args: string[], o: { env?: Record<string, string>; cwd?: string } = {}): Promise<GlrRun> {
  const r = await run([process.execPath, GLR, ...args], { env: defaultEnv(o.env), cwd: o.cwd ?? REPO, rss: true, timeoutMs: 10 * 60_000 });
  let result: PassJson | null = null;
  if (args.includes('--json') && !args.includes('--dry-run')) {
    try {
      result = JSON.parse(r.stdout) as PassJson;
    } catch {
      result = null;
    }
  }
  return { ...r, log: parseLog(r.stderr), result };
}

/** The first log line that `pred` accepts, at or after `after` (epoch ms). */
export function logLine(log: LogLine[], pred: (l: LogLine) => boolean, after = -Infinity): LogLine | undefined {
  return log.find((l) => l.at >= after && pred(l));
}

/** When an action of the plan began (the apply logs each action with its kind as it starts). */
export const actionStart = (log: LogLine[], kind: string): number => logLine(log, (l) => l.action === kind && l.ms === undefined)?.at ?? NaN;

/** How long a preparation action took, as glr logged it ("done: download", with ms). */
export const actionMs = (log: LogLine[], kind: string): number => logLine(log, (l) => l.action === kind && typeof l.ms === 'number')?.ms ?? NaN;

/** The last line of {root}/.glr/history.jsonl, or null. */
export function lastHistory(root: string): Record<string, unknown> | null {
  try {
    const lines = readFileSync(path.join(root, '.glr/history.jsonl'), 'utf8').split('\n').filter(Boolean);
    return JSON.parse(lines.at(-1)!) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** `glr watch --interval SECONDS -f FILE` as an operator runs it (debug log, so converged passes show), its log as it comes. */
export function startWatch(file: string, intervalSeconds: number): { log(): LogLine[]; stop(): Promise<void> } {
  const child = spawn(process.execPath, [GLR, 'watch', '--interval', String(intervalSeconds), '-f', file], {
    env: defaultEnv({ GLR_LOG_LEVEL: 'debug' }),
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const closed = new Promise((r) => child.on('close', r));
  return {
    log: () => parseLog(stderr),
    async stop() {
      child.kill('SIGTERM');
      await closed;
    },
  };
}
