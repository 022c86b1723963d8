import { describe, expect, it } from 'vitest';
import type { Observed, VersionFolder } from '../../src/observe/types.js';
import { aheadCandidate, planAhead } from '../../src/plan/ahead.js';
import { plan } from '../../src/plan/plan.js';
import { lastKnownGood, reclaimable, retentionAfter, retentionNow, selectRetention, type RetentionView } from '../../src/plan/retention.js';
import { stepsOf } from '../../src/plan/steps.js';
import { adopted, desired, folder, managedHost, noAnswer, prepared, ROOT, syncing, unfinished } from './fixtures.js';
import { PREPARE_STEPS } from '../helpers/steps.js';

/** a folder glr prepared at hour `h` of a day (preparation time orders retention), `mib` MiB */
function at(f: VersionFolder, h: number, mib?: number): VersionFolder {
  return {
    ...f,
    prepared: f.prepared && { ...f.prepared, at: `2026-11-${String(10 + h).padStart(2, '0')}T00:00:00.000Z` },
    ...(mib ? { bytes: mib * 2 ** 20 } : {}),
  };
}

const view = (over: Partial<RetentionView>): RetentionView => ({
  retain: 2,
  running: 'v0.4.5',
  linked: ['v0.4.5'],
  lastKnownGood: 'v0.4.4',
  journal: [],
  desired: 'v0.4.5',
  folders: [at(prepared('v0.4.1'), 1), at(prepared('v0.4.2'), 2), at(prepared('v0.4.3'), 3), at(prepared('v0.4.4'), 4), at(prepared('v0.4.5'), 5)],
  bad: [],
  ...over,
});

const removed = (v: RetentionView) => selectRetention(v).remove.map((r) => `${r.version}:${r.why}`);
const kept = (v: RetentionView) => Object.fromEntries(selectRetention(v).keep.map((k) => [k.version, k.why]));

describe('retention: which prepared versions go', () => {
  it('keeps the running one, the last known-good and the `retain` newest; removes the rest, oldest first', () => {
    expect(removed(view({}))).toEqual(['v0.4.1:beyond-retain']);
    expect(kept(view({}))).toEqual({ 'v0.4.5': 'running', 'v0.4.4': 'last-known-good', 'v0.4.3': 'retained', 'v0.4.2': 'retained' });
    expect(removed(view({ retain: 0 }))).toEqual(['v0.4.1:beyond-retain', 'v0.4.2:beyond-retain', 'v0.4.3:beyond-retain']);
    expect(removed(view({ retain: 5 }))).toEqual([]);
  });

  it('orders by preparation time, not by version', () => {
    const folders = [at(prepared('v0.4.9'), 1), at(prepared('v0.4.2'), 3), at(prepared('v0.4.3'), 2), at(prepared('v0.4.5'), 5)];
    expect(removed(view({ folders, lastKnownGood: null, retain: 1 }))).toEqual(['v0.4.9:beyond-retain', 'v0.4.3:beyond-retain']);
  });

  it('bad releases go first and do not count against retain', () => {
    expect(removed(view({ bad: ['v0.4.3'] }))).toEqual(['v0.4.3:bad']);
    expect(kept(view({ bad: ['v0.4.3'] }))).toMatchObject({ 'v0.4.2': 'retained', 'v0.4.1': 'retained' });
    // ... but never a protected one: a bad release that runs, or is the last known-good, stays
    expect(removed(view({ bad: ['v0.4.5', 'v0.4.4'] }))).toEqual(['v0.4.1:beyond-retain']);
  });

  it('never: a version a link or an open journal names, the desired one, a folder glr did not prepare, an unfinished one', () => {
    expect(removed(view({ retain: 0, linked: ['v0.4.5', 'v0.4.1'] }))).toEqual(['v0.4.2:beyond-retain', 'v0.4.3:beyond-retain']);
    expect(removed(view({ retain: 0, journal: ['v0.4.2', 'v0.4.3'] }))).toEqual(['v0.4.1:beyond-retain']);
    expect(removed(view({ retain: 0, desired: 'v0.4.1' }))).toEqual(['v0.4.2:beyond-retain', 'v0.4.3:beyond-retain']);
    // a desired version that was rolled back is no reason to keep it
    expect(removed(view({ retain: 0, desired: 'v0.4.1', bad: ['v0.4.1'] }))).toEqual(['v0.4.1:bad', 'v0.4.2:beyond-retain', 'v0.4.3:beyond-retain']);
    const folders = [folder('v0.4.0'), unfinished('v0.4.1'), at(prepared('v0.4.5'), 5)];
    const r = selectRetention(view({ retain: 0, folders, lastKnownGood: null }));
    expect(r.remove).toEqual([]);
    expect(r.untouched).toEqual([
      { version: 'v0.4.0', why: 'not-glr' },
      { version: 'v0.4.1', why: 'unfinished' },
    ]);
  });

  it('an adopted folder (the runbook host’s own) is retained like a prepared one, as older than any glr prepared', () => {
    const folders = [at(adopted('v0.4.3'), 1), at(prepared('v0.4.4'), 2), at(prepared('v0.4.5'), 3)];
    expect(removed(view({ folders, lastKnownGood: 'v0.4.4', retain: 0 }))).toEqual(['v0.4.3:beyond-retain']);
    // adopted at the first switch, after v0.4.4 was prepared by that same run: still the older
    const later = [at(adopted('v0.4.3'), 3), at(prepared('v0.4.4'), 2), at(prepared('v0.4.2'), 1), at(prepared('v0.4.5'), 5)];
    expect(removed(view({ folders: later, lastKnownGood: null, retain: 1 }))).toEqual(['v0.4.3:beyond-retain', 'v0.4.2:beyond-retain']);
  });
});

describe('the last known-good version', () => {
  const host = (over: Partial<Observed>) => managedHost('v0.4.5', over, [at(adopted('v0.4.1'), 1), at(prepared('v0.4.4'), 4), at(prepared('v0.4.5'), 5)]);

  it('is the version the history says the running one replaced', () => {
    expect(lastKnownGood(host({ history: { last: null, lastSwitch: { from: 'v0.4.4', at: 't' }, lastDowntimeMs: null, rollbacksTotal: 0 } }), 'v0.4.5')).toBe(
      'v0.4.4',
    );
  });

  it('else the version a closed journal says the switch into the running one left', () => {
    const journal = { leaving: 'v0.4.4', entering: 'v0.4.5', phase: 'done' as const, at: 't', startedAt: 't', pid: 1 };
    expect(lastKnownGood(host({ journal }), 'v0.4.5')).toBe('v0.4.4');
    // a journal that failed, or that names another switch, tells nothing
    expect(lastKnownGood(host({ journal: { ...journal, phase: 'rolled-back' } }), 'v0.4.5')).toBe('v0.4.1');
  });

  it('else the version that ran before glr took the host over (adopted), else none', () => {
    expect(lastKnownGood(host({}), 'v0.4.5')).toBe('v0.4.1');
    expect(lastKnownGood(managedHost('v0.4.5', {}, [prepared('v0.4.5')]), 'v0.4.5')).toBeNull();
  });
});

describe('retention on an observed host, now and after a plan', () => {
  const folders = [at(adopted('v0.4.1'), 1, 300), at(prepared('v0.4.2'), 2, 310), at(prepared('v0.4.3'), 3, 320), at(prepared('v0.4.4'), 4, 330)];

  it('glr prune now: what it removes and the space it frees (null when not measured)', () => {
    const o = managedHost(
      'v0.4.4',
      {
        history: { last: null, lastSwitch: { from: 'v0.4.3', at: 't' }, lastDowntimeMs: null, rollbacksTotal: 0 },
        bad: [{ version: 'v0.4.2', at: 't', reason: 'died' }],
      },
      folders,
    );
    const d = desired({ version: 'v0.4.4', retain: 0 });
    expect(retentionNow(d, o).remove.map((r) => `${r.version}:${r.why}`)).toEqual(['v0.4.2:bad', 'v0.4.1:beyond-retain']);
    expect(reclaimable(d, o)).toEqual({ versions: ['v0.4.2', 'v0.4.1'], bytes: 610 * 2 ** 20 });
    expect(
      reclaimable(
        d,
        managedHost('v0.4.4', { history: { last: null, lastSwitch: { from: 'v0.4.3', at: 't' }, lastDowntimeMs: null, rollbacksTotal: 0 } }, [
          prepared('v0.4.1'),
          prepared('v0.4.4'),
        ]),
      ),
    ).toEqual({
      versions: ['v0.4.1'],
      bytes: null,
    });
  });

  it('after a switch v0.4.4 → v0.4.5: v0.4.4 becomes the last known-good and v0.4.3 is no longer protected', () => {
    const o = managedHost('v0.4.4', { history: { last: null, lastSwitch: { from: 'v0.4.3', at: 't' }, lastDowntimeMs: null, rollbacksTotal: 0 } }, folders);
    const r = retentionAfter(desired({ retain: 1 }), o, { running: 'v0.4.5', leaving: 'v0.4.4', prepared: 'v0.4.5' });
    expect(r.keep.map((k) => `${k.version}:${k.why}`)).toEqual(['v0.4.4:last-known-good', 'v0.4.5:running', 'v0.4.3:retained']);
    expect(r.remove.map((k) => k.version)).toEqual(['v0.4.1', 'v0.4.2']);
  });

  it('a switch plan ends with the prune step that removes exactly that, after the journal is closed and the verdict recorded', () => {
    const o = managedHost('v0.4.4', { history: { last: null, lastSwitch: { from: 'v0.4.3', at: 't' }, lastDowntimeMs: null, rollbacksTotal: 0 } }, folders);
    const p = plan(desired({ retain: 1 }), o);
    expect(p.finish.map((s) => s.kind)).toEqual(['close-journal', 'mark-release', 'prune']);
    expect(p.finish.at(-1)).toMatchObject({
      kind: 'prune',
      retain: 1,
      remove: [
        { version: 'v0.4.1', why: 'beyond-retain' },
        { version: 'v0.4.2', why: 'beyond-retain' },
      ],
    });
    expect(p.finish.at(-1)!.description).toMatch(
      /^if it succeeded: remove v0\.4\.1 \(beyond retain 1\), v0\.4\.2 \(beyond retain 1\); each renamed aside under .*\/\.glr\/trash/,
    );
    // with room for all of them, no prune step at all
    expect(plan(desired({ retain: 3 }), o).finish.map((s) => s.kind)).toEqual(['close-journal', 'mark-release']);
    // a converged host gets no step for retention: that is glr prune's (or the next apply's)
    expect(stepsOf(plan(desired({ version: 'v0.4.4', retain: 0, llm: { providers: {}, strategy: null } }), o)).length).toBe(0);
  });
});

describe('prepare ahead', () => {
  it('picks the newest release of the running series, never a release candidate, another series or a bad release', () => {
    const published = ['v0.4.9', 'v0.5.9', 'v0.5.10', 'v0.5.11', 'v0.5.12-rc1', 'v0.6.0', 'v0.5.8'];
    expect(aheadCandidate(published, 'v0.5.10', [])).toBe('v0.5.11');
    expect(aheadCandidate(published, 'v0.5.10', ['v0.5.11'])).toBeNull();
    expect(aheadCandidate(published, 'v0.5.11', [])).toBeNull();
    expect(aheadCandidate(published, 'v0.4.3', [])).toBe('v0.4.9');
    expect(aheadCandidate([], 'v0.4.3', [])).toBeNull();
  });

  const d = desired({ version: 'v0.4.6', retain: 3 });

  it('prepares beside the healthy running node and switches nothing: prepare steps, no window, no verify', () => {
    const p = planAhead(d, managedHost('v0.4.5'));
    expect(p.intent).toBe('prepare-ahead');
    expect(p.target).toBe('v0.4.6');
    expect(p.switch).toBeNull();
    expect(stepsOf(p).map((s) => s.step.kind)).toEqual(PREPARE_STEPS);
    expect(p.prepare.find((s) => s.kind === 'carry')).toMatchObject({ from: 'v0.4.5', version: 'v0.4.6' });
  });

  it('retention counts it like any prepared version, and never removes the one it just prepared', () => {
    const folders = [at(adopted('v0.4.3'), 1), at(prepared('v0.4.4'), 2), at(prepared('v0.4.5'), 3)];
    const o = managedHost('v0.4.5', { history: { last: null, lastSwitch: { from: 'v0.4.4', at: 't' }, lastDowntimeMs: null, rollbacksTotal: 0 } }, folders);
    expect(planAhead({ ...d, retain: 1 }, o).finish).toEqual([]);
    expect(planAhead({ ...d, retain: 0 }, o).finish).toMatchObject([{ kind: 'prune', remove: [{ version: 'v0.4.3', why: 'beyond-retain' }] }]);
  });

  it('nothing to do when it is prepared already; not now while a switch is under way or the node is not healthy', () => {
    expect(stepsOf(planAhead(d, managedHost('v0.4.5', {}, [prepared('v0.4.5'), prepared('v0.4.6')]))).length).toBe(0);
    const journal = { leaving: 'v0.4.4', entering: 'v0.4.5', phase: 'started' as const, at: 't', startedAt: 't', pid: 1 };
    expect(planAhead(d, managedHost('v0.4.5', { journal })).refusals.join()).toMatch(/under way/);
    expect(planAhead(d, managedHost('v0.4.5', { health: syncing('v0.4.5') })).refusals.join()).toMatch(/not running healthy/);
    expect(planAhead(d, managedHost('v0.4.5', { service: { state: 'stopped', problem: null, enabled: null }, health: noAnswer })).refusals.join()).toMatch(
      /not running healthy/,
    );
    expect(planAhead(d, managedHost('v0.4.5', {}, [prepared('v0.4.5'), folder('v0.4.6')])).refusals.join()).toMatch(
      `${ROOT}/v0.4.6 exists but glr did not prepare it`,
    );
  });

  it("glr's own folder unusable: refused, as any plan that writes (nothing prepared is still nothing to do)", () => {
    const problem = `${ROOT}/.glr is not a folder: glr keeps its journal, history, staging and backups under ${ROOT}/.glr; move it aside and run again`;
    const p = planAhead(d, managedHost('v0.4.5', { glrProblems: [problem] }));
    expect(p.refusals).toEqual([problem]);
    expect(p.intent).toBe('prepare-ahead');
    expect(planAhead(d, managedHost('v0.4.5', { glrProblems: [problem] }, [prepared('v0.4.5'), prepared('v0.4.6')])).refusals).toEqual([]);
  });

  it('an unfinished earlier attempt is removed and redone', () => {
    expect(stepsOf(planAhead(d, managedHost('v0.4.5', {}, [prepared('v0.4.5'), unfinished('v0.4.6')])))[0]!.step.kind).toBe('remove-version');
  });
});
