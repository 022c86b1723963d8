import { describe, expect, it } from 'vitest';
import { describeHealth, isHealthyOn, isSyncingOn, parseHealth } from '../../src/runtime/health-reading.js';

/** The answers of GenLayer's node on /health, as its docs show them (v0.4 and v0.5). */
const V04 = {
  status: 'up',
  node_version: 'v0.4.5',
  protocol_version: 'v0.1.0',
  checks: {
    validating: { status: 'up', timestamp: '2026-11-24T12:00:00Z' },
    zksync: { status: 'up', timestamp: '2026-11-24T12:00:00Z' },
  },
};
const V05 = {
  checks: { validating: { status: 'up' }, 'zksync-connectivity': { status: 'up' } },
  genvm_version: 'v0.2.11',
  network: 'testnet-asimov',
  node_version: 'v0.5.11',
  protocol_version: 'v0.5:5a1e04df',
  status: 'up',
};

describe('the health answer', () => {
  it('v0.5: validating and zksync-connectivity, genvm_version and network, no timestamps', () => {
    const r = parseHealth(200, JSON.stringify(V05));
    expect(r).toEqual({
      answered: true,
      httpStatus: 200,
      status: 'up',
      nodeVersion: 'v0.5.11',
      validating: { status: 'up', error: null },
      checks: { validating: { status: 'up', error: null }, 'zksync-connectivity': { status: 'up', error: null } },
      genvmVersion: 'v0.2.11',
      network: 'testnet-asimov',
      protocolVersion: 'v0.5:5a1e04df',
      problem: null,
    });
    expect(isHealthyOn(r, 'v0.5.11')).toBe(true);
    expect(isHealthyOn(r, 'v0.5.10')).toBe(false);
  });

  it('v0.4: the same reading from the older shape (timestamps, zksync), no genvm_version or network', () => {
    const r = parseHealth(200, JSON.stringify(V04));
    expect(r.checks).toEqual({ validating: { status: 'up', error: null }, zksync: { status: 'up', error: null } });
    expect([r.genvmVersion, r.network]).toEqual([null, null]);
    expect(isHealthyOn(r, 'v0.4.5')).toBe(true);
  });

  it('a node syncing on V (503, validating down "node is not synced") is not healthy, and is syncing on V only', () => {
    const syncing = { ...V05, status: 'down', checks: { validating: { status: 'down', error: 'node is not synced' } } };
    const r = parseHealth(503, JSON.stringify(syncing));
    expect([isHealthyOn(r, 'v0.5.11'), isSyncingOn(r, 'v0.5.11'), isSyncingOn(r, 'v0.5.10')]).toEqual([false, true, false]);
    const broken = parseHealth(503, JSON.stringify({ ...syncing, checks: { validating: { status: 'down', error: 'lost connection to consensus contract' } } }));
    expect(isSyncingOn(broken, 'v0.5.11')).toBe(false);
    expect(isSyncingOn(parseHealth(200, JSON.stringify(V05)), 'v0.5.11')).toBe(false);
  });

  it('only checks.validating decides: another check down does not make it unhealthy, validating down does', () => {
    const otherDown = { ...V05, checks: { validating: { status: 'up' }, 'zksync-connectivity': { status: 'down', error: 'dial tcp: timeout' } } };
    const r = parseHealth(200, JSON.stringify(otherDown));
    expect(isHealthyOn(r, 'v0.5.11')).toBe(true);
    expect(r.checks['zksync-connectivity']).toEqual({ status: 'down', error: 'dial tcp: timeout' });

    const syncing = {
      ...V05,
      status: 'down',
      checks: { validating: { status: 'down', error: 'node is not synced' }, 'zksync-connectivity': { status: 'up' } },
    };
    const s = parseHealth(503, JSON.stringify(syncing));
    expect(isHealthyOn(s, 'v0.5.11')).toBe(false);
    expect(describeHealth(s)).toBe('HTTP 503, version v0.5.11, validating down (node is not synced)');
    // 200 with validating down (a node that says so) is not healthy either
    expect(isHealthyOn(parseHealth(200, JSON.stringify(syncing)), 'v0.5.11')).toBe(false);
  });

  it('no validating check at all: not healthy, whatever else is up', () => {
    const r = parseHealth(200, JSON.stringify({ ...V05, checks: { 'zksync-connectivity': { status: 'up' } } }));
    expect(r.validating).toBeNull();
    expect(isHealthyOn(r, 'v0.5.11')).toBe(false);
  });

  it('checks that are not objects are left out; unknown fields are ignored', () => {
    const r = parseHealth(200, JSON.stringify({ ...V05, checks: { validating: { status: 'up' }, odd: 'up', n: null }, extra: { x: 1 } }));
    expect(Object.keys(r.checks)).toEqual(['validating']);
    expect(isHealthyOn(r, 'v0.5.11')).toBe(true);
  });
});
