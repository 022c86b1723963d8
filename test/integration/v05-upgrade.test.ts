/**
 * GenLayer's v0.5 procedure, as glr runs it, on a greybox host laid out by GenLayer's
 * procedure: v0.5.10 → v0.5.11 keeps the greybox strategy with the release's backends and the
 * operator's providers, links every entry the release ships through `current`, runs the doctor
 * and hooks.preSwitch before the stop and hooks.postSwitch once the node is healthy; a later
 * release that comes up healthy but behind the block noted before the switch is rolled back,
 * and hooks.postSwitch runs again for the rollback.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENLAYER_LINKS } from '../../sandbox/host.js';
import { createSandbox, observeLinks, type ObserverReport, type Sandbox } from '../helpers/sandbox.js';
import { leakedSecrets, planKinds, runGlr, type GlrRun } from '../helpers/glr.js';
import { V05_PREPARE_STEPS } from '../helpers/steps.js';
import type { Plan } from '../../src/plan/types.js';

/** an entry v0.5.11 ships that v0.5.10 did not (as v0.5.7 added alloy-healthcheck.sh) */
const NEW_ENTRY = 'alloy-logs.river';
const ALLOY_RESTART = ['docker', 'restart', 'genlayer-node-alloy'];

interface LogLine {
  time: string;
  msg: string;
  level: number;
}

function logLines(r: GlrRun): LogLine[] {
  return r.stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

describe('v0.5.10 → v0.5.11 on a greybox host', () => {
  let sb: Sandbox;
  let run: GlrRun;
  let dry: GlrRun;
  let seen: ObserverReport;
  let file: string;

  beforeAll(async () => {
    sb = await createSandbox({ running: 'v0.5.10', strategy: 'greybox' });
    await sb.publish({ version: 'v0.5.11', extraTopFiles: { [NEW_ENTRY]: '// the logs pipeline (sandbox)\n' } });
    file = sb.host.writeDesired({
      version: 'v0.5.11',
      providers: { openai: true },
      doctor: true,
      hooks: { preSwitch: [sb.host.hook('pre')], postSwitch: [sb.host.hook('post', { args: ALLOY_RESTART })] },
    });
    dry = await runGlr(['reconcile', '--dry-run', '--json', '-f', file]);
    const observer = await observeLinks(sb.host.root, sb.host.dir, [...sb.host.links, `${NEW_ENTRY}?`]);
    run = await runGlr(['reconcile', '-f', file]);
    seen = await observer.stop();
  });
  afterAll(async () => sb?.cleanup());

  it('the dry-run shows each step of GenLayer’s procedure, in order, as data', () => {
    expect(dry.code, dry.stderr).toBe(2);
    expect(planKinds(dry.stdout)).toEqual([
      ...V05_PREPARE_STEPS,
      'doctor',
      'pre-switch',
      'backup',
      'adopt',
      'route-links',
      'link-release',
      'confirm-desired',
      'open-journal',
      'stop',
      'swap',
      'start',
      'verify',
      'post-switch',
      'close-journal',
      'mark-release',
    ]);
    const p = JSON.parse(dry.stdout) as Plan;
    expect(p.prepare.find((s) => s.kind === 'llm-release')).toMatchObject({ strategy: 'greybox' });
    expect(p.prepare.find((s) => s.kind === 'link-release')).toMatchObject({ names: null });
    expect(p.verify).toMatchObject({ version: 'v0.5.11', syncedBlock: 'at-least-noted' });
    expect(p.finish[0]).toMatchObject({ kind: 'post-switch', hooks: [sb.host.hook('post', { args: ALLOY_RESTART })], leaving: 'v0.5.10', entering: 'v0.5.11' });
  });

  it('exits 0, healthy on v0.5.11', async () => {
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^v0\.5\.11 is healthy \(switch window \d+ ms; validator down \d+ ms\)$/m);
    expect(await sb.host.healthyOn('v0.5.11')).toBe(true);
  });

  it('keeps greybox: the release file’s backends, lua_script_path on the greybox script, the operator’s providers on', () => {
    const dir = path.join(sb.host.root, 'v0.5.11');
    const llm = parse(readFileSync(path.join(dir, 'third_party/genvm/config/genvm-module-llm.yaml'), 'utf8')) as {
      lua_script_path: string;
      backends: Record<string, { enabled?: boolean }>;
    };
    expect(llm.lua_script_path).toBe('${exeDir}/../config/genvm-llm-greybox.lua');
    expect(Object.keys(llm.backends)).toEqual(expect.arrayContaining(['openrouter', 'morpheus', 'heurist', 'comput3', 'libertai']));
    expect(llm.backends.openai!.enabled).toBe(true);
    expect(llm.backends.openrouter!.enabled).toBe(true);
    expect(readFileSync(path.join(dir, 'data/node/logs/node.log'), 'utf8')).toMatch(
      /\[v0\.5\.11 pid \d+\] genvm llm: greybox strategy, backends: openrouter, .*openai/,
    );
  });

  it('every entry v0.5.11 ships (but .env.example) is linked from the root through current, the new one too', () => {
    const real = realpathSync(sb.host.root);
    const shipped = readdirSync(path.join(sb.host.root, 'v0.5.11')).filter((n) => n !== '.env.example' && !n.startsWith('.glr-'));
    expect(shipped).toEqual(expect.arrayContaining([...GENLAYER_LINKS, 'alloy-healthcheck.sh', NEW_ENTRY]));
    for (const name of shipped) {
      const link = path.join(sb.host.root, name);
      expect(lstatSync(link).isSymbolicLink(), name).toBe(true);
      expect(readlinkSync(link), name).toBe(`current/${name}`);
      expect(path.relative(real, realpathSync(link)).split(path.sep)[0], name).toBe('v0.5.11');
    }
    expect(() => lstatSync(path.join(sb.host.root, '.env.example'))).toThrow();
  });

  it('a second process resolving every link (the new one once it resolves) never saw them split', () => {
    expect(seen.samples).toBeGreaterThan(50);
    expect(seen.splits).toEqual([]);
    expect(seen.versionsSeen.sort()).toEqual(['v0.5.10', 'v0.5.11']);
  });

  it('ran the doctor and hooks.preSwitch in v0.5.11’s folder with its .env exported, before the stop', () => {
    const logs = logLines(run);
    const doctorAt = Date.parse(logs.find((l) => l.msg === 'genlayernode doctor of v0.5.11')!.time);
    const stopAt = Date.parse(logs.find((l) => l.msg.startsWith('stop '))!.time);
    const pre = sb.host.hookCalls('pre');
    expect(pre).toHaveLength(1);
    expect(pre[0]).toMatchObject({
      argv: ['pre'],
      cwd: realpathSync(path.join(sb.host.root, 'v0.5.11')),
      env: { GLR_ROOT: sb.host.root, GLR_VERSION: 'v0.5.11', GLR_FROM: 'v0.5.10', GLR_VERSION_DIR: path.join(sb.host.root, 'v0.5.11') },
    });
    expect(pre[0]!.env).not.toHaveProperty('GLR_OUTCOME');
    expect(pre[0]!.dotenv).toEqual(expect.arrayContaining(['NODE_PASSWORD', 'OPENROUTERKEY', 'HEURISTKEY', 'OPENAIKEY']));
    expect(doctorAt).toBeLessThanOrEqual(pre[0]!.at);
    expect(pre[0]!.at).toBeLessThanOrEqual(stopAt);
  });

  it('ran hooks.postSwitch once, after the node answered healthy on v0.5.11, with GLR_OUTCOME=switched', () => {
    const post = sb.host.hookCalls('post');
    expect(post).toHaveLength(1);
    expect(post[0]).toMatchObject({
      argv: ALLOY_RESTART,
      cwd: sb.host.root,
      env: {
        GLR_OUTCOME: 'switched',
        GLR_VERSION: 'v0.5.11',
        GLR_FROM: 'v0.5.10',
        GLR_ROOT: sb.host.root,
        GLR_VERSION_DIR: path.join(sb.host.root, 'v0.5.11'),
      },
      dotenv: [],
    });
    const healthyAt = Date.parse(logLines(run).find((l) => l.msg.startsWith('healthy on v0.5.11'))!.time);
    expect(post[0]!.at).toBeGreaterThanOrEqual(healthyAt);
  });

  it('noted the synced block, and v0.5.11 passed it', () => {
    const logs = logLines(run) as (LogLine & { syncedBlock?: number; noted?: number })[];
    const noted = logs.find((l) => l.msg.startsWith('backed up'))?.syncedBlock;
    expect(noted).toBeGreaterThan(0);
    const passed = logs.find((l) => /synced block \d+, at or past/.test(l.msg));
    expect(passed?.noted).toBe(noted);
    expect(passed!.syncedBlock!).toBeGreaterThanOrEqual(noted!);
  });

  it('shows no secret', () => {
    expect(leakedSecrets(run.stdout, run.stderr, dry.stdout, dry.stderr)).toEqual([]);
  });

  it('a second reconcile is converged: nothing restarts, no hook runs', async () => {
    const verbs = sb.host.serviceEvents().length;
    const again = await runGlr(['reconcile', '-f', file]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^converged/);
    expect(sb.host.serviceEvents()).toHaveLength(verbs);
    expect(sb.host.hookCalls('pre')).toHaveLength(1);
    expect(sb.host.hookCalls('post')).toHaveLength(1);
  });

  it('a release healthy but behind the noted block is rolled back (exit 3); hooks.postSwitch runs again, rolled-back', async () => {
    await sb.publish({ version: 'v0.5.12', syncBehind: 1000, extraTopFiles: { [NEW_ENTRY]: '// the logs pipeline (sandbox)\n' } });
    const r = await runGlr([
      'reconcile',
      '-f',
      sb.host.writeDesired({
        version: 'v0.5.12',
        providers: { openai: true },
        timeoutSeconds: 4,
        doctor: true,
        hooks: {
          preSwitch: [sb.host.hook('pre')],
          postSwitch: [sb.host.hook('post', { args: ALLOY_RESTART })],
        },
      }),
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toMatch(
      /v0\.5\.12 answered healthy but its synced block \d+ stayed behind the block \d+ noted before the stop \(GenLayer's post-switch check\); rolled back: v0\.5\.11 is healthy again/,
    );
    expect(await sb.host.healthyOn('v0.5.11')).toBe(true);
    expect(sb.host.linkVersions()).toEqual(['v0.5.11']);
    expect(sb.host.doubleRuns()).toEqual([]);
    const post = sb.host.hookCalls('post');
    expect(post).toHaveLength(2);
    expect(post[1]).toMatchObject({
      argv: ALLOY_RESTART,
      env: { GLR_OUTCOME: 'rolled-back', GLR_VERSION: 'v0.5.11', GLR_FROM: 'v0.5.12', GLR_VERSION_DIR: path.join(sb.host.root, 'v0.5.11') },
    });
    expect(sb.host.hookCalls('pre')).toHaveLength(2);
    expect(leakedSecrets(r.stdout, r.stderr)).toEqual([]);
    expect((await runGlr(['reconcile', '--dry-run', '-f', sb.host.file])).code).toBe(2);
  });

  it('/metrics that does not answer is logged and blocks nothing; a failing postSwitch hook is reported, never rolled back', async () => {
    await sb.publish({ version: 'v0.5.13', noMetrics: true, extraTopFiles: { [NEW_ENTRY]: '// the logs pipeline (sandbox)\n' } });
    const file13 = sb.host.writeDesired({
      version: 'v0.5.13',
      providers: { openai: true },
      hooks: { postSwitch: [sb.host.hook('post-fail', { exit: 5 }), sb.host.hook('post', { args: ALLOY_RESTART })] },
    });
    const failing = sb.host.hook('post-fail', { exit: 5 }).join(' ');
    const r = await runGlr(['reconcile', '-f', file13]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await sb.host.healthyOn('v0.5.13')).toBe(true);
    expect(logLines(r).some((l) => /^v0\.5\.13: \/metrics gave no synced block; not compared with the block \d+ noted before the stop$/.test(l.msg))).toBe(
      true,
    );
    // every hook runs; the failure is in the outcome's line and the history
    // the hook's command as given, cut to one line's share of the message (its length is the checkout's path's)
    const shown = failing.length > 120 ? `${failing.slice(0, 117)}...` : failing;
    expect(r.stdout).toContain(`; but hooks.postSwitch ${shown} exited 5: recorded post-fail\n`);
    expect(r.stdout).toMatch(/^v0\.5\.13 is healthy \(.*\); but hooks\.postSwitch /m);
    expect(sb.host.hookCalls('post-fail')).toHaveLength(1);
    expect(sb.host.hookCalls('post').at(-1)).toMatchObject({ env: { GLR_OUTCOME: 'switched', GLR_VERSION: 'v0.5.13', GLR_FROM: 'v0.5.11' } });
    const history = readFileSync(path.join(sb.host.root, '.glr/history.jsonl'), 'utf8').trim().split('\n');
    expect(JSON.parse(history.at(-1)!)).toMatchObject({
      version: 'v0.5.13',
      outcome: 'applied',
      exitCode: 0,
      hookFailures: [expect.stringMatching(/^hooks\.postSwitch .* exited 5: recorded post-fail$/)],
    });
    // the run is written to .glr/hooks.json, where `glr status` finds it afterwards
    const status = await runGlr(['status', '--json', '-f', file13]);
    expect((JSON.parse(status.stdout) as { hooks: unknown }).hooks).toMatchObject({
      outcome: 'switched',
      running: 'v0.5.13',
      from: 'v0.5.11',
      runs: 2,
      failed: [{ exitCode: 5, failure: null, output: expect.stringContaining('recorded post-fail') }],
    });
  });
});
