import { describe, expect, it } from 'vitest';
import { formatStatus } from '../../src/cli/status-format.js';
import type { StatusReport } from '../../src/cli/status-report.js';

/** A report as status builds it, for the parts a sandbox cannot produce yet (plan warnings). */
function report(over: Partial<StatusReport> = {}): StatusReport {
  return {
    version: 1,
    at: '2026-11-24T21:25:03.120Z',
    file: '/etc/glr/desired-state.yaml',
    root: { path: '/opt/genlayer-node', exists: true },
    desired: { version: 'v0.5.11', retain: 3, prepareAhead: 'patch', metricsTextfile: null, network: null },
    running: {
      version: 'v0.5.10',
      service: 'running',
      serviceProblem: null,
      healthy: false,
      health: {
        answered: true,
        httpStatus: 503,
        status: 'down',
        nodeVersion: 'v0.5.10',
        genvmVersion: 'v0.2.11',
        network: 'asimov-phase5',
        checks: { validating: { status: 'down', error: 'node is not synced' }, 'zksync-connectivity': { status: 'up', error: null } },
        problem: null,
      },
      syncedBlock: null,
    },
    links: {
      current: null,
      version: null,
      agree: false,
      entries: [{ name: 'bin', target: '/opt/genlayer-node/v0.5.9/bin', viaCurrent: false, version: 'v0.5.9' }],
      missing: ['data'],
      notLinks: [],
    },
    versions: [],
    lastKnownGood: null,
    bad: [],
    retention: { retain: 3, remove: [], reclaimableBytes: 0 },
    history: [],
    rollbacksTotal: 0,
    lock: null,
    plan: {
      state: 'refused',
      steps: [],
      refusals: ['the links disagree'],
      warnings: ['v0.5.9/data/node/genlayer.db is a folder of its own'],
      notes: ['an interrupted switch'],
    },
    hooks: null,
    journal: { leaving: 'v0.5.9', entering: 'v0.5.10', phase: 'swapped', at: '2026-11-24T21:20:00.000Z', open: true, reason: null },
    sharedDb: { path: '/opt/genlayer-node/v0.5/data/node/genlayer.db', exists: true },
    carry: null,
    diskFreeBytes: null,
    trash: [],
    node: null,
    telemetry: null,
    sync: null,
    snapshots: [],
    ...over,
  };
}

describe('glr status, as text', () => {
  it('says what is wrong where an operator looks first: health checks, refusals, warnings, split links, an open journal', () => {
    const t = formatStatus(report());
    expect(t).toContain(
      'running   v0.5.10: service running, NOT healthy\n          HTTP 503, node v0.5.10, genvm v0.2.11, network asimov-phase5\n          checks: validating down (node is not synced), zksync-connectivity up',
    );
    expect(t).toContain('desired   v0.5.11: REFUSED\n          - the links disagree');
    expect(t).toContain(
      'links     no current link (as the runbook laid it out); they DISAGREE; missing: data\n          bin → /opt/genlayer-node/v0.5.9/bin (v0.5.9)',
    );
    expect(t).toContain('warnings  - v0.5.9/data/node/genlayer.db is a folder of its own');
    expect(t).toContain('notes     - an interrupted switch');
    expect(t).toContain('journal   v0.5.9 → v0.5.10: swapped 2026-11-24 21:20:00Z (OPEN: a switch was interrupted; the next reconcile finishes it)');
    expect(t).toContain('history   no apply recorded yet');
    expect(t).toContain('lock      free');
  });

  it('a lock holder that does not answer, and hooks that all passed', () => {
    const t = formatStatus(
      report({
        lock: { pid: null, command: null, since: null, host: null },
        hooks: { at: '2026-11-24T21:25:03.120Z', outcome: 'switched', running: 'v0.5.10', from: 'v0.5.9', runs: 1, failed: [] },
      }),
    );
    expect(t).toContain('lock      held by a glr that does not answer (or runs in another network namespace, a container)');
    expect(t).toContain('hooks     postSwitch after the switch to v0.5.10 (2026-11-24 21:25:03Z): all 1 ok');
  });

  it('a node that syncs: how far behind, the pace since glr accepted it, an estimate; a pace not told says so', () => {
    const sync = { syncing: true, syncedBlock: 1000, latestBlock: 8200, blocksBehind: 7200 };
    const t = formatStatus(report({ sync: { ...sync, pace: { blocksPerSecond: 40, doneInSeconds: 180, since: '2026-11-24T21:20:00.000Z', from: 'switch' } } }));
    expect(t).toContain(
      'sync      syncing: 7200 blocks behind (synced 1000 of 8200)\n          40 blocks/s since glr accepted it 2026-11-24 21:20:00Z: caught up in about 3 min (an estimate, at this pace)',
    );
    const slow = formatStatus(report({ sync: { ...sync, pace: { blocksPerSecond: -2, doneInSeconds: null, since: 'x', from: 'sample' } } }));
    expect(slow).toContain('-2.0 blocks/s over the last few seconds: not catching up at this pace');
    expect(formatStatus(report({ sync: { ...sync, pace: null } }))).toContain('pace: not told yet');
    expect(formatStatus(report({ snapshots: [{ name: 'n', path: '/r/.glr/snapshots/n', version: 'v0.5.11', at: '2026-11-24T21:20:00.000Z' }] }))).toContain(
      "snapshots /r/.glr/snapshots/n (v0.5.11's DB, 2026-11-24 21:20:00Z)",
    );
  });
});
