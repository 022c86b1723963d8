import { describe, expect, it } from 'vitest';
import { plan } from '../../src/plan/plan.js';
import { stepsOf } from '../../src/plan/steps.js';
import type { Observed } from '../../src/observe/types.js';
import type { Desired } from '../../src/desired/types.js';
import {
  adopted,
  DEFAULT_LUA,
  desired,
  folder,
  healthy,
  managedHost,
  noAnswer,
  prepared,
  ROOT,
  runbookHost,
  syncing,
  unfinished,
  withOpenAi,
} from './fixtures.js';
import { PREPARE_STEPS, SWITCH_STEPS } from '../helpers/steps.js';

const kinds = (d: Desired, o: Observed) => stepsOf(plan(d, o)).map((s) => s.step.kind);
/** the last prepare step of a switch to a folder prepared by an earlier run */
const WARM = 'warm-cache';
/** the first: that folder's binary asked again which version it is */
const CHECK = 'check-version';

describe('plan: the cases of a switch', () => {
  const cases: { name: string; d?: Partial<Desired>; o: Observed; expect: string[] }[] = [
    {
      name: 'nothing prepared, runbook host: adopt, route links, prepare everything, switch, verify',
      o: runbookHost(),
      expect: [...PREPARE_STEPS, 'backup', 'adopt', 'route-links', 'link-release', ...SWITCH_STEPS],
    },
    {
      name: 'the version folder already prepared: skip to the switch',
      o: managedHost('v0.4.3'),
      expect: [CHECK, 'backup', WARM, ...SWITCH_STEPS],
    },
    {
      name: 'prepared but not running (node down): no stop, start and verify',
      o: managedHost('v0.4.3', { service: { state: 'stopped', problem: null, enabled: null }, health: noAnswer }),
      expect: [CHECK, 'backup', WARM, 'confirm-desired', 'open-journal', 'swap', 'start', 'verify', 'close-journal', 'mark-release'],
    },
    {
      name: 'a crash-looping node (systemd auto-restart) is stopped first',
      o: managedHost('v0.4.3', { service: { state: 'restarting', problem: null, enabled: null }, health: noAnswer }),
      expect: [CHECK, 'backup', WARM, ...SWITCH_STEPS],
    },
    {
      name: 'no providers asked: no LLM edit',
      d: { llm: { strategy: null, providers: {} } },
      o: runbookHost(),
      expect: [...PREPARE_STEPS.filter((k) => k !== 'set-llm'), 'backup', 'adopt', 'route-links', 'link-release', ...SWITCH_STEPS],
    },
    {
      name: 'an unfinished folder from a killed run is removed and redone',
      o: managedHost('v0.4.3', {}, [adopted('v0.4.3'), unfinished('v0.4.5')]),
      expect: ['remove-version', ...PREPARE_STEPS, 'backup', 'link-release', ...SWITCH_STEPS],
    },
    {
      name: 'staging left by a killed download is cleaned',
      o: managedHost('v0.4.3', { staging: ['v0.4.5.123.ab'] }, [adopted('v0.4.3')]),
      expect: ['clean-staging', ...PREPARE_STEPS, 'backup', 'link-release', ...SWITCH_STEPS],
    },
    {
      name: 'a folder prepared for another shared DB is redone',
      o: managedHost('v0.4.3', {}, [adopted('v0.4.3'), prepared('v0.4.5', '/elsewhere/genlayer.db')]),
      expect: ['remove-version', ...PREPARE_STEPS, 'backup', 'link-release', ...SWITCH_STEPS],
    },
    {
      name: 'service.running false: switch the links, never start',
      d: { service: { running: false, manager: 'systemd', unit: 'genlayer-node' } },
      o: managedHost('v0.4.3'),
      expect: [CHECK, 'backup', 'confirm-desired', 'open-journal', 'stop', 'swap', 'close-journal', 'mark-release'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(kinds(desired(c.d), c.o)).toEqual(c.expect);
    });
  }

  it('names the rollback target and the timeout as data, and says in each step what it acts on', () => {
    const d = desired();
    const p = plan(d, runbookHost());
    expect(p.switch).toEqual({ leaving: 'v0.4.3', entering: 'v0.4.5' });
    expect(p.verify).toMatchObject({ kind: 'verify', version: 'v0.4.5', timeoutSeconds: 300 });
    expect(p.onFailure?.to).toBe('v0.4.3');
    expect(p.onFailure?.window.map((s) => s.kind)).toEqual(['open-journal', 'stop', 'swap', 'start']);
    expect(p.onFailure?.window.find((s) => s.kind === 'swap')).toMatchObject({ to: 'v0.4.3' });
    expect(p.onFailure?.verify).toMatchObject({ version: 'v0.4.3', timeoutSeconds: 300 });
    expect(p.prepare.find((s) => s.kind === 'carry')).toMatchObject({ from: 'v0.4.3', version: 'v0.4.5' });
    // the one thing each description must name for an operator to know what will be touched
    const names: Record<string, string> = {
      download: d.release.url,
      'genvm-setup': d.genvm.setup.join(' '),
      carry: 'from v0.4.3',
      'link-db': d.sharedDb,
      'set-llm': 'openai on',
      'check-ready': 'v0.4.5 is complete',
      'mark-prepared': '.glr-prepared',
      'check-version': 'v0.4.5/bin/genlayernode version: it must name v0.4.5',
      'confirm-desired': `read ${d.file} again: go on only if it still asks for v0.4.5`,
      backup: 'v0.4.3',
      adopt: 'adopt v0.4.3',
      'route-links': `${ROOT}/current → v0.4.3`,
      'warm-cache': "v0.4.5's binaries and GenVM files",
      'link-release': 'every top-level entry v0.4.5 ships (but .env.example)',
      'open-journal': `${ROOT}/.glr/journal.json`,
      stop: 'stop systemd unit genlayer-node',
      swap: `${ROOT}/current from v0.4.3 to v0.4.5`,
      start: 'start systemd unit genlayer-node',
      verify: 'healthy on v0.4.5 (up to 300 s), its synced block (/metrics) at or past the one noted before the stop; otherwise roll back to v0.4.3',
      'close-journal': 'journal',
      'mark-release': 'if v0.4.5 is rolled back, mark it bad',
    };
    for (const { step } of stepsOf(p)) expect(step.description, step.kind).toContain(names[step.kind]);
  });

  it('phases come prepare → window → verify → finish, in that order', () => {
    const phases = stepsOf(plan(desired(), runbookHost())).map((s) => s.phase);
    expect(phases.join(' ')).toMatch(/^(prepare )+(window )+verify (finish ?)+$/);
  });

  it('is pure: it does not change its inputs, and the same inputs give the same plan', () => {
    const d = desired();
    const o = runbookHost();
    const frozen = <T>(v: T): T => {
      if (v && typeof v === 'object') {
        Object.values(v).forEach(frozen);
        Object.freeze(v);
      }
      return v;
    };
    // a copy of the desired state keeps its Layout (a class: structuredClone would drop its methods)
    const copy = (x: Desired): Desired => ({ ...structuredClone({ ...x, layout: undefined }), layout: x.layout });
    const first = plan(frozen(copy(d)), frozen(structuredClone(o)));
    expect(first).toEqual(plan(d, o));
    expect(first).toEqual(plan(copy(d), structuredClone(o)));
  });
});

describe('plan: converged and kept', () => {
  it('a converged managed host gives an empty plan', () => {
    const p = plan(desired(), managedHost('v0.4.5'));
    expect(p.refusals).toEqual([]);
    expect(stepsOf(p)).toEqual([]);
  });

  it('a runbook host already on the desired version is adopted as it is: nothing to do', () => {
    const o = runbookHost({
      versions: [folder('v0.4.5')],
      links: { ...runbookHost().links, switchLinks: runbookHost().links.switchLinks.map((l) => ({ ...l, version: 'v0.4.5' })), version: 'v0.4.5' },
      health: healthy('v0.4.5'),
      llm: { 'v0.4.5': { ok: true, luaScriptPath: DEFAULT_LUA, backends: withOpenAi(true) } },
    });
    expect(kinds(desired(), o)).toEqual([]);
  });

  it('running the desired version with a link re-pointed by hand (drift): repair the links, no restart', () => {
    const o = managedHost('v0.4.5');
    o.links.switchLinks[1] = { name: 'third_party', target: `${ROOT}/v0.4.3/third_party`, viaCurrent: false, version: 'v0.4.3' };
    o.links.version = null;
    const p = plan(desired(), o);
    expect(stepsOf(p).map((s) => s.step.kind)).toEqual(['route-links']);
    expect(p.prepare[0]).toMatchObject({ links: ['third_party'], version: 'v0.4.5' });
  });

  it('a deleted link on a managed host is put back', () => {
    const o = managedHost('v0.4.5');
    o.links.switchLinks = o.links.switchLinks.filter((l) => l.name !== 'bin');
    o.links.missing = ['bin'];
    expect(stepsOf(plan(desired(), o)).map((s) => s.step)).toMatchObject([{ kind: 'route-links', links: ['bin'] }]);
  });

  it('the node down on the desired version: start it and verify', () => {
    expect(kinds(desired(), managedHost('v0.4.5', { service: { state: 'stopped', problem: null, enabled: null }, health: noAnswer }))).toEqual([
      'open-journal',
      'start',
      'verify',
      'close-journal',
    ]);
  });

  it('the desired version running but still syncing: converged, nothing restarts, nothing is waited for', () => {
    // GenLayer: 503 "node is not synced" while it catches up; it switches nothing, so it writes no journal record
    const o = managedHost('v0.4.5', { health: syncing('v0.4.5'), sync: { at: 1, syncedBlock: 900, latestBlock: 1000, blocksBehind: 100, synced: false } });
    const p = plan(desired(), o);
    expect(stepsOf(p)).toEqual([]);
    expect(p.notes).toEqual([
      'v0.4.5 runs and is syncing: 100 blocks behind (synced 900 of 1000); nothing to do until it has caught up (glr status shows its pace)',
    ]);
  });

  it('syncing after an interrupted breaking switch: verified by its progress, as planned; otherwise by its health', () => {
    const journal = { leaving: 'v0.4.3', entering: 'v0.4.5', phase: 'started' as const, at: 't', startedAt: 't', pid: 1 };
    const breaking = plan(desired(), managedHost('v0.4.5', { health: syncing('v0.4.5'), journal: { ...journal, breaking: true } }));
    expect([breaking.verify?.progressSeconds, breaking.onFailure?.to]).toEqual([60, 'v0.4.3']);
    const patch = plan(desired(), managedHost('v0.4.5', { health: syncing('v0.4.5'), journal }));
    expect([patch.verify?.progressSeconds, patch.onFailure?.to]).toEqual([null, 'v0.4.3']);
  });

  it('running, maintenance asked (service.running false): stop it', () => {
    expect(kinds(desired({ service: { running: false, manager: 'systemd', unit: 'genlayer-node' } }), managedHost('v0.4.5'))).toEqual([
      'open-journal',
      'stop',
      'close-journal',
    ]);
  });

  it('the providers changed on the running version: edit between stop and start, verify, restore on failure', () => {
    const o = managedHost('v0.4.5', { llm: { 'v0.4.5': { ok: true, luaScriptPath: DEFAULT_LUA, backends: withOpenAi(false) } } });
    const p = plan(desired(), o);
    expect(stepsOf(p).map((s) => `${s.phase}:${s.step.kind}`)).toEqual([
      'prepare:backup',
      'window:open-journal',
      'window:stop',
      'window:set-llm',
      'window:start',
      'verify:verify',
      'finish:close-journal',
    ]);
    expect(p.onFailure?.to).toBe('v0.4.5');
    expect(p.onFailure?.window.map((s) => s.kind)).toEqual(['open-journal', 'stop', 'restore-llm', 'start']);
  });
});

describe('plan: refusals (exit 1, nothing planned)', () => {
  const refusal = (d: Desired, o: Observed) => {
    const p = plan(d, o);
    expect(stepsOf(p)).toEqual([]);
    expect(p.onFailure).toBeNull();
    expect(p.refusals.length).toBeGreaterThan(0);
    return p.refusals.join('\n');
  };

  it('a new MAJOR.MINOR without configFile: refused for the config only (its DB of its own is created, not refused)', () => {
    const msg = refusal(
      desired({ version: 'v0.5.0', sharedDb: `${ROOT}/v0.5/data/node/genlayer.db` }),
      runbookHost({ sharedDb: { path: `${ROOT}/v0.5/data/node/genlayer.db`, exists: false, isDir: false } }),
    );
    expect(msg).toMatch(/^v0\.5\.0 is a v0\.5 release and v0\.4\.3 \(v0\.4\) runs: a series change/);
    expect(msg).not.toMatch(/does not exist/);
  });

  it('a missing shared DB that the running version uses is refused (glr creates a DB only for a version that gets its own)', () => {
    expect(refusal(desired(), runbookHost({ sharedDb: { path: `${ROOT}/v0.4/data/node/genlayer.db`, exists: false, isDir: false } }))).toMatch(
      /the shared DB \S+ does not exist; set `sharedDb:` to the node's DB \(glr creates an empty one only for a version that gets a DB of its own\)/,
    );
  });

  for (const [what, source] of [
    ['keystore', { keystore: false, keystoreFiles: 0 }],
    ['.env', { env: false }],
    ['configs/node/config.yaml', { configYaml: false }],
  ] as const) {
    it(`a missing ${what} in the running version refuses before anything`, () => {
      const o = runbookHost();
      o.runningFiles = { ...o.runningFiles!, ...source };
      expect(refusal(desired(), o)).toContain(what);
    });
  }

  it('an LLM set-up with no enabled backend whose key is set refuses (the node would crash-loop)', () => {
    const o = managedHost('v0.4.3');
    o.llm['v0.4.5'] = { ok: true, luaScriptPath: DEFAULT_LUA, backends: withOpenAi(false) };
    o.runningFiles = { ...o.runningFiles!, envNames: ['ANTHROPICKEY'] };
    const msg = refusal(desired({ llm: { strategy: null, providers: { heurist: false, google: false } } }), o);
    expect(msg).toMatch(/no enabled LLM backend of v0\.4\.5 has its key set/);
    expect(msg).toMatch(/crash-loop/);
  });

  it('a provider the release does not have is refused when the release is known', () => {
    const o = managedHost('v0.4.3');
    o.llm['v0.4.5'] = { ok: true, luaScriptPath: DEFAULT_LUA, backends: withOpenAi(false) };
    expect(refusal(desired({ llm: { strategy: null, providers: { mistral: true } } }), o)).toMatch(/mistral.*does not have/);
  });

  it('a version folder that glr did not prepare is never trusted', () => {
    expect(refusal(desired(), runbookHost({ versions: [folder('v0.4.3'), folder('v0.4.5')] }))).toMatch(/glr did not prepare it/);
  });

  it('links split between two versions on a runbook host', () => {
    const o = runbookHost({ versions: [folder('v0.4.3'), folder('v0.4.4')] });
    o.links.switchLinks[0] = { ...o.links.switchLinks[0]!, version: 'v0.4.4' };
    o.links.version = null;
    expect(refusal(desired(), o)).toMatch(/links disagree/);
  });

  it('a running node that is not healthy: switch only from a healthy or stopped node', () => {
    expect(refusal(desired(), runbookHost({ health: syncing('v0.4.3') }))).toMatch(/not healthy.*stop it to switch anyway/);
  });

  it('a service whose state cannot be told', () => {
    expect(
      refusal(desired(), runbookHost({ service: { state: null, problem: 'cannot tell whether the node runs: the status command failed: x', enabled: null } })),
    ).toMatch(/status command failed/);
  });

  it('a node that answers while the manager says stopped runs outside it: never started again, whatever the file asks', () => {
    const stopped = { state: 'stopped' as const, problem: null, enabled: null };
    for (const health of [healthy('v0.4.3'), syncing('v0.4.3'), { ...noAnswer, problem: 'timed out' }]) {
      for (const version of ['v0.4.3', 'v0.4.5']) {
        expect(refusal(desired({ version }), runbookHost({ service: stopped, health }))).toMatch(
          /^systemd unit genlayer-node says stopped, but a node answers on .*: it runs outside the service manager/,
        );
      }
    }
    // nothing listening: a stopped node is simply started
    expect(plan(desired({ version: 'v0.4.3' }), runbookHost({ service: stopped, health: noAnswer })).refusals).toEqual([]);
  });

  it("glr's own folder unusable: a plan that would write is refused; a converged host is not", () => {
    const problem = `${ROOT}/.glr is not a folder: glr keeps its journal, history, staging and backups under ${ROOT}/.glr; move it aside and run again`;
    expect(refusal(desired(), runbookHost({ glrProblems: [problem] }))).toBe(problem);
    expect(plan(desired({ version: 'v0.4.3', llm: { strategy: null, providers: {} } }), runbookHost({ glrProblems: [problem] })).refusals).toEqual([]);
  });

  it('a root that does not exist, or is not a GenLayer root', () => {
    expect(refusal(desired(), runbookHost({ root: { path: ROOT, exists: false, isDir: false } }))).toMatch(/does not exist/);
    expect(
      refusal(desired(), runbookHost({ versions: [], links: { current: null, switchLinks: [], missing: ['bin'], notLinks: [], version: null, others: [] } })),
    ).toMatch(/not a GenLayer node root/);
  });

  it('a runbook link that is a plain file', () => {
    const o = runbookHost();
    o.links.notLinks = ['.env'];
    expect(refusal(desired(), o)).toMatch(/\.env is not a symbolic link/);
  });
});

describe('plan: after a crash (the journal is a witness)', () => {
  const journal = (phase: NonNullable<Observed['journal']>['phase']) => ({ leaving: 'v0.4.3', entering: 'v0.4.5', phase, at: 't', startedAt: 't', pid: 1 });

  it('killed after the swap: start the new version, verify, and keep the old one as the rollback target', () => {
    const o = managedHost('v0.4.5', { service: { state: 'stopped', problem: null, enabled: null }, health: noAnswer, journal: journal('swapped') });
    const p = plan(desired(), o);
    expect(stepsOf(p).map((s) => s.step.kind)).toEqual(['open-journal', 'start', 'verify', 'close-journal', 'mark-release']);
    expect(p.onFailure?.to).toBe('v0.4.3');
    expect(p.notes.join()).toMatch(/interrupted/);
  });

  it('killed after the start: verify (healthy already or not) before calling it done', () => {
    expect(kinds(desired(), managedHost('v0.4.5', { journal: journal('started') }))).toEqual(['verify', 'close-journal', 'mark-release']);
  });

  it('killed after the stop, before the swap: the switch goes on from the stopped node', () => {
    expect(
      kinds(desired(), managedHost('v0.4.3', { service: { state: 'stopped', problem: null, enabled: null }, health: noAnswer, journal: journal('stopped') })),
    ).toEqual([CHECK, 'backup', WARM, 'confirm-desired', 'open-journal', 'swap', 'start', 'verify', 'close-journal', 'mark-release']);
  });

  it('killed during a rollback: finish the rollback first', () => {
    const o = managedHost('v0.4.5', { health: syncing('v0.4.5'), journal: journal('rolling-back') });
    const p = plan(desired(), o);
    expect(p.intent).toBe('finish-rollback');
    expect(p.target).toBe('v0.4.3');
    expect(p.switch).toEqual({ leaving: 'v0.4.3', entering: 'v0.4.5' });
    // finishing it ends rolled back: the release entered is marked bad; no retention (not applied)
    expect(stepsOf(p).map((s) => s.step.kind)).toEqual(['open-journal', 'stop', 'swap', 'start', 'verify', 'close-journal', 'mark-release']);
    expect(p.finish.find((s) => s.kind === 'mark-release')).toMatchObject({ version: 'v0.4.5' });
    expect(p.onFailure).toBeNull();
  });

  it('after a rollback (exit 3) the host is still out of sync and the plan says why', () => {
    const o = managedHost('v0.4.3', {
      history: {
        lastSwitch: null,
        lastDowntimeMs: 700,
        rollbacksTotal: 1,
        last: {
          at: 't',
          version: 'v0.4.5',
          from: 'v0.4.3',
          outcome: 'rolled-back',
          exitCode: 3,
          downtimeMs: 700,
          windowMs: 300,
          phases: [],
          message: 'v0.4.5 died after the start',
          rollbacksTotal: 1,
        },
      },
    });
    const p = plan(desired(), o);
    expect(stepsOf(p).length).toBeGreaterThan(0);
    expect(p.notes.join()).toMatch(/was rolled back: v0\.4\.5 died/);
  });
});

describe('plan: the window runs in the order printed', () => {
  it('maintenance with new providers on the running version: stop first, then the edit (never the edit under a running node)', () => {
    const o = managedHost('v0.4.5', { llm: { 'v0.4.5': { ok: true, luaScriptPath: DEFAULT_LUA, backends: withOpenAi(false) } } });
    const d = desired({ service: { running: false, manager: 'systemd', unit: 'genlayer-node' } });
    expect(stepsOf(plan(d, o)).map((s) => `${s.phase}:${s.step.kind}`)).toEqual([
      'window:open-journal',
      'window:stop',
      'window:set-llm',
      'finish:close-journal',
    ]);
  });

  it('an open journal on a healthy converged host is closed by a step of the plan, not behind it', () => {
    const o = managedHost('v0.4.5', { journal: { leaving: 'v0.4.5', entering: 'v0.4.5', phase: 'started', at: 't', startedAt: 't', pid: 1 } });
    expect(kinds(desired(), o)).toEqual(['close-journal']);
  });
});
