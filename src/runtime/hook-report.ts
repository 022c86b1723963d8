import type { Layout } from '../layout.js';
import { atomicWriteFile, ensureDir, readJsonOrNull } from './fsx.js';

/**
 * The last run of the postSwitch hooks: `{root}/.glr/hooks.json`, replaced (atomically) each
 * time they run, after every change of the running version (a switch, a rollback). A hook's
 * failure is logged and never rolls anything back, so this file is where `glr status` finds it
 * afterwards. Written by the step that runs the hooks, read by `status`.
 *
 *   {"version":1,"hook":"postSwitch","at":"…","outcome":"switched","running":"v0.5.11",
 *    "from":"v0.5.10","runs":[{"argv":["docker","restart","genlayer-node-alloy"],
 *    "exitCode":1,"failure":null,"ms":840,"output":"…"}]}
 *
 * `output` is the last lines of what the hook printed, with `.env` values scrubbed. A run failed
 * when `exitCode` is not 0 (null: it never got to exit, `failure` says why: not found, timed out).
 */
export interface HookRun {
  argv: string[];
  exitCode: number | null;
  failure: string | null;
  ms: number;
  output?: string;
}

export interface HookReport {
  version: 1;
  hook: 'postSwitch';
  /** when the hooks ran (ISO 8601, UTC) */
  at: string;
  /** GLR_OUTCOME: the change they followed */
  outcome: 'switched' | 'rolled-back';
  /** the version that runs after that change */
  running: string;
  from: string | null;
  runs: HookRun[];
}

export function failedRuns(r: HookReport): HookRun[] {
  return r.runs.filter((x) => x.exitCode !== 0);
}

/** The last report, or null when the hooks never ran (or the file is not one glr wrote). */
export async function readHookReport(layout: Layout): Promise<HookReport | null> {
  const r = (await readJsonOrNull(layout.hookReport)) as Partial<HookReport> | null;
  if (r === null) return null;
  try {
    // String() throws on an argv item such as {"toString":1}: still not a report glr wrote
    if (typeof r.at !== 'string' || typeof r.running !== 'string' || !Array.isArray(r.runs)) return null;
    const runs = r.runs.filter((x): x is HookRun => typeof x === 'object' && x !== null && Array.isArray(x.argv));
    return {
      version: 1,
      hook: 'postSwitch',
      at: r.at,
      outcome: r.outcome === 'rolled-back' ? 'rolled-back' : 'switched',
      running: r.running,
      from: typeof r.from === 'string' ? r.from : null,
      runs: runs.map((x) => ({
        argv: x.argv.map(String),
        exitCode: typeof x.exitCode === 'number' ? x.exitCode : null,
        failure: typeof x.failure === 'string' ? x.failure : null,
        ms: typeof x.ms === 'number' ? x.ms : 0,
        ...(typeof x.output === 'string' ? { output: x.output } : {}),
      })),
    };
  } catch {
    return null;
  }
}

export async function writeHookReport(layout: Layout, report: HookReport): Promise<void> {
  await ensureDir(layout.glrDir, 0o700);
  await atomicWriteFile(layout.hookReport, `${JSON.stringify(report)}\n`, 0o600);
}
