import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ApplyContext } from '../../src/actions/context.js';
import { apply } from '../../src/apply/apply.js';
import type { StepRunner } from '../../src/apply/runner.js';
import { formatPlan } from '../../src/cli/format.js';
import type { Desired } from '../../src/desired/types.js';
import type { Observed, VersionFolder } from '../../src/observe/types.js';
import { plan } from '../../src/plan/plan.js';
import { stepsOf } from '../../src/plan/steps.js';
import type { Plan, Step } from '../../src/plan/types.js';
import type { JournalPhase } from '../../src/runtime/journal-entry.js';
import { applyContext } from '../helpers/apply-context.js';
import {
  adopted,
  desired,
  folder,
  healthy,
  managedHost,
  noAnswer,
  nodeUnit,
  prepared,
  ROOT,
  runbookHost,
  runningFiles,
  syncing,
  unfinished,
  withDocker,
  withOpenAi,
} from './fixtures.js';

/**
 * The core promise: apply executes exactly the plan `--dry-run` prints, in that order. Checked by
 * running apply with a runner that only records, against the printed text of the same plan.
 */

/** A runner that does nothing but record; `failAt` makes the n-th step it is given fail. */
function recorder(failAt: number | null): StepRunner & { ran: string[] } {
  const ran: string[] = [];
  let n = 0;
  const step = (s: Step) => {
    ran.push(s.description);
    if (n++ === failAt) throw new Error(`step ${s.kind} fails (as the test asked)`);
  };
  return {
    ran,
    prepare: async (s) => step(s),
    window: async (s) => step(s),
    verify: async (s) => {
      try {
        step(s);
        return { ok: true, at: Date.now() };
      } catch (e) {
        return { ok: false, at: Date.now(), reason: (e as Error).message };
      }
    },
    finish: async (s) => {
      step(s);
      return { reported: [], removed: [] };
    },
    undoPreparation: async () => {},
    untouched: async () => false,
    switched: () => true,
    writeProblems: () => [],
    release: async () => {},
    measures: () => ({ windowMs: null, downtimeMs: null }),
  };
}

const context = (): ApplyContext => applyContext(ROOT);
const NEW_DB = `${ROOT}/v0.4-next/data/node/genlayer.db`;

/** What the printed plan says will run: its numbered steps, and the lines of the way back. */
function printed(p: Plan): { steps: string[]; rollback: string[] } {
  const lines = formatPlan(p, ROOT).split('\n');
  const steps = lines.flatMap((l) => /^\s+\d+\. (.*)$/.exec(l)?.[1] ?? []);
  const from = lines.findIndex((l) => l.startsWith('if a switch step fails'));
  const rollback = from < 0 ? [] : lines.slice(from + 1).flatMap((l) => /^ {3}- (.*)$/.exec(l)?.[1] ?? []);
  return { steps, rollback };
}

/**
 * What must run, from the printed text alone: every numbered step in order when nothing fails;
 * when step k fails, the numbered steps up to k, then (a window or verify failure) the printed
 * way back, then the printed finish steps; a failed preparation stops there.
 */
function expectedRun(p: Plan, failAt: number | null): string[] {
  const { steps, rollback } = printed(p);
  const phases = stepsOf(p).map((s) => s.phase);
  expect(phases).toHaveLength(steps.length);
  if (failAt === null || failAt >= steps.length) return steps;
  const failedPhase = phases[failAt]!;
  const upTo = steps.slice(0, failAt + 1);
  if (failedPhase === 'prepare') return upTo;
  if (failedPhase === 'finish') return steps;
  const finish = steps.filter((_, i) => phases[i] === 'finish');
  return [...upTo, ...(p.intent === 'finish-rollback' ? [] : rollback), ...finish];
}

async function check(d: Desired, o: Observed, failAt: number | null): Promise<void> {
  const p = plan(d, o);
  const r = recorder(failAt);
  await apply(p, context(), r);
  expect(r.ran).toEqual(expectedRun(p, failAt));
}

const TABLE: [string, Partial<Desired>, Observed][] = [
  ['runbook host, full preparation', {}, runbookHost()],
  ['prepared folder', {}, managedHost('v0.4.3')],
  ['node down', {}, managedHost('v0.4.3', { service: { state: 'stopped', problem: null, enabled: null }, health: noAnswer })],
  ['crash-looping node', {}, managedHost('v0.4.3', { service: { state: 'restarting', problem: null, enabled: null }, health: noAnswer })],
  ['unfinished folder', {}, managedHost('v0.4.3', {}, [adopted('v0.4.3'), unfinished('v0.4.5')])],
  ['staging left', {}, managedHost('v0.4.3', { staging: ['v0.4.5.1.ab'] }, [adopted('v0.4.3')])],
  ['maintenance', { service: { running: false, manager: 'systemd', unit: 'genlayer-node' } }, managedHost('v0.4.3')],
  [
    'maintenance with new providers (stop, then the edit)',
    { service: { running: false, manager: 'systemd', unit: 'genlayer-node' } },
    managedHost('v0.4.5', { llm: { 'v0.4.5': { ok: true, backends: withOpenAi(false), luaScriptPath: null } } }),
  ],
  [
    'providers changed on the running version',
    {},
    managedHost('v0.4.5', { llm: { 'v0.4.5': { ok: true, backends: withOpenAi(false), luaScriptPath: null } } }),
  ],
  ['syncing', {}, managedHost('v0.4.5', { health: syncing('v0.4.5') })],
  ['a node run as its own user, Docker beside it', withDocker, runbookHost({ unit: nodeUnit() })],
  ['a prepared folder given to the node’s user, Docker beside it', withDocker, managedHost('v0.4.3', { unit: nodeUnit() })],
  ['converged', {}, managedHost('v0.4.5')],
  [
    'breaking: a DB of its own, created empty, the keystore backed up, verified by progress',
    { sharedDb: NEW_DB, configFile: '/etc/genlayer/config-next.yaml' },
    runbookHost({
      sharedDb: { path: NEW_DB, exists: false, isDir: false },
      configFile: { path: '/etc/genlayer/config-next.yaml', sha256: 'ab'.repeat(32), problem: null },
    }),
  ],
  [
    'a snapshot before the stop, restored by the rollback',
    { version: 'v0.5.12', snapshots: { beforeSwitch: true, keep: 2, restoreOnRollback: true } },
    managedHost(
      'v0.5.11',
      { runningFiles: { ...runningFiles('v0.5.11'), envNames: ['GENLAYERNODE_NODE_OPERATOR_TOKEN', 'HEURISTKEY', 'NODE_PASSWORD', 'OPENAIKEY'] } },
      [adopted('v0.5.11'), prepared('v0.5.12')],
    ),
  ],
];

describe('apply executes exactly the order --dry-run prints', () => {
  for (const [name, d, o] of TABLE) {
    it(`${name}: with every step succeeding, and with each step failing in turn`, async () => {
      const n = stepsOf(plan(desired(d), o)).length;
      for (const failAt of [null, ...Array.from({ length: n }, (_, i) => i)]) await check(desired(d), o, failAt);
    });
  }

  it('the check can fail: a runner that skips a step is caught', async () => {
    const p = plan(desired(), runbookHost());
    const r = recorder(null);
    const skipping: StepRunner = { ...r, prepare: async (s) => (s.kind === 'backup' ? undefined : r.prepare(s)) };
    await apply(p, context(), skipping);
    expect(r.ran).not.toEqual(expectedRun(p, null));
  });

  it('for generated hosts and files (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryCase(), fc.option(fc.nat({ max: 30 }), { nil: null }), async ({ d, o }, failAt) => check(d, o, failAt)),
      { numRuns: 400 },
    );
  });
});

const VERSIONS = ['v0.4.3', 'v0.4.5', 'v0.4.6'] as const;
const OPEN: JournalPhase[] = ['switching', 'stopped', 'swapped', 'started', 'rolling-back'];

/** Desired × Observed pairs over the dimensions the planner decides on. */
function arbitraryCase(): fc.Arbitrary<{ d: Desired; o: Observed }> {
  const markerFor = (v: string, kind: 'none' | 'prepared' | 'adopted' | 'unfinished' | 'stale'): VersionFolder =>
    kind === 'none'
      ? folder(v)
      : kind === 'adopted'
        ? adopted(v)
        : kind === 'unfinished'
          ? unfinished(v)
          : kind === 'stale'
            ? prepared(v, '/elsewhere/genlayer.db')
            : prepared(v);
  return fc
    .record({
      want: fc.constantFrom(...VERSIONS),
      runs: fc.constantFrom('v0.4.3', 'v0.4.5'),
      managed: fc.boolean(),
      running: fc.boolean(),
      providers: fc.constantFrom<Record<string, boolean>>({}, { openai: true }, { openai: false }, { google: false, openai: true }),
      state: fc.constantFrom('running' as const, 'stopped' as const, 'restarting' as const),
      health: fc.constantFrom('healthy', 'syncing', 'none'),
      folders: fc.tuple(
        ...VERSIONS.map(() => fc.constantFrom('none' as const, 'prepared' as const, 'adopted' as const, 'unfinished' as const, 'stale' as const)),
      ),
      openaiOn: fc.boolean(),
      staging: fc.boolean(),
      journal: fc.option(fc.record({ phase: fc.constantFrom(...OPEN, 'done' as const), leaving: fc.constantFrom(...VERSIONS) }), { nil: null }),
      docker: fc.boolean(),
      ownUser: fc.boolean(),
      // the running DB, or one of its own (breaking) that exists or not
      db: fc.constantFrom('same' as const, 'own-missing' as const, 'own-there' as const),
    })
    .map((c) => {
      const own = c.db !== 'same';
      const d = desired({
        version: c.want,
        llm: { providers: c.providers, strategy: null },
        service: { running: c.running, manager: 'systemd', unit: 'genlayer-node' },
        ...(c.docker ? withDocker : {}),
        ...(own ? { sharedDb: NEW_DB, configFile: '/etc/genlayer/config-next.yaml' } : {}),
      });
      const versions = VERSIONS.map((v, i) => (v === c.runs && c.folders[i] === 'none' && c.managed ? adopted(v) : markerFor(v, c.folders[i]!)));
      const base = c.managed ? managedHost(c.runs, {}, versions) : runbookHost({ versions });
      const health = c.health === 'healthy' ? healthy(c.runs) : c.health === 'syncing' ? syncing(c.runs) : noAnswer;
      const llm = Object.fromEntries(VERSIONS.map((v) => [v, { ok: true as const, backends: withOpenAi(c.openaiOn), luaScriptPath: null }]));
      const o: Observed = {
        ...base,
        service: { state: c.state, problem: null, enabled: null },
        health,
        llm,
        staging: c.staging ? ['v0.4.6.1.ab'] : [],
        unit: c.ownUser ? nodeUnit() : null,
        ...(own
          ? {
              sharedDb: { path: NEW_DB, exists: c.db === 'own-there', isDir: c.db === 'own-there' },
              configFile: { path: '/etc/genlayer/config-next.yaml', sha256: 'ab'.repeat(32), problem: null },
            }
          : {}),
        journal: c.journal ? { leaving: c.journal.leaving, entering: c.want, phase: c.journal.phase, at: 't', startedAt: 't', pid: 1 } : null,
      };
      return { d, o };
    });
}
