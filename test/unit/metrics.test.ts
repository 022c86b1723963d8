import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { escapeLabelValue, METRIC_NAMES, renderMetrics, writeMetricsFile, type MetricsInput } from '../../src/runtime/metrics.js';
import { parseExposition } from '../helpers/exposition.js';

const SAMPLE_INPUT: MetricsInput = {
  runningVersion: 'v0.4.5',
  desiredVersion: 'v0.4.6',
  converged: false,
  lastPassAt: new Date('2025-11-24T21:25:00.250Z'),
  lastPassExitCode: 3,
  lastDowntimeMs: 4321,
  rollbacksTotal: 2,
  preparedVersions: 4,
  diskFreeBytes: 53_687_091_200,
  telemetryStale: false,
  nodeBlocksBehind: 1234,
};

const value = (text: string, name: string) =>
  parseExposition(text)
    .get(name)
    ?.samples.map((s) => s.value);

describe('renderMetrics', () => {
  it('writes every contract name with HELP and TYPE, in order, and the values given', () => {
    const text = renderMetrics(SAMPLE_INPUT);
    const families = parseExposition(text);
    expect([...families.keys()]).toEqual([...METRIC_NAMES]);
    for (const [name, f] of families) {
      expect(f.help, name).toMatch(/\S/);
      expect(f.type, name).toBe(name === 'glr_rollbacks_total' ? 'counter' : 'gauge');
    }
    expect(families.get('glr_running_version_info')!.samples).toEqual([{ labels: { version: 'v0.4.5' }, value: 1 }]);
    expect(families.get('glr_desired_version_info')!.samples).toEqual([{ labels: { version: 'v0.4.6' }, value: 1 }]);
    expect(value(text, 'glr_converged')).toEqual([0]);
    expect(value(text, 'glr_last_pass_timestamp_seconds')).toEqual([1764019500.25]);
    expect(value(text, 'glr_last_pass_exit_code')).toEqual([3]);
    expect(value(text, 'glr_last_downtime_seconds')).toEqual([4.321]);
    expect(value(text, 'glr_rollbacks_total')).toEqual([2]);
    expect(value(text, 'glr_prepared_versions')).toEqual([4]);
    expect(value(text, 'glr_disk_free_bytes')).toEqual([53_687_091_200]);
    expect(value(text, 'glr_node_blocks_behind')).toEqual([1234]);
    expect(text).toContain('\nglr_converged 0\n');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('glr_node_blocks_behind: no sample when the node’s /metrics was not read', () => {
    expect(value(renderMetrics({ ...SAMPLE_INPUT, nodeBlocksBehind: null }), 'glr_node_blocks_behind')).toEqual([]);
  });

  it('converged is 1', () => {
    expect(value(renderMetrics({ ...SAMPLE_INPUT, converged: true, desiredVersion: 'v0.4.5', lastPassExitCode: 0 }), 'glr_converged')).toEqual([1]);
  });

  it('a value that does not exist is no sample, never a made-up 0, and its HELP and TYPE stay', () => {
    const text = renderMetrics({ ...SAMPLE_INPUT, runningVersion: null, desiredVersion: null, lastDowntimeMs: null, diskFreeBytes: null });
    const families = parseExposition(text);
    expect([...families.keys()]).toEqual([...METRIC_NAMES]);
    for (const name of ['glr_running_version_info', 'glr_desired_version_info', 'glr_last_downtime_seconds', 'glr_disk_free_bytes']) {
      expect(families.get(name)!.samples, name).toEqual([]);
      expect(text).not.toMatch(new RegExp(`^${name}[{ ]`, 'm'));
    }
    expect(value(text, 'glr_rollbacks_total')).toEqual([2]);
  });

  it('escapes label values as the exposition format says, and reads back to the same string', () => {
    const nasty = 'v1.0.0-"quoted"\\back\nslash';
    expect(escapeLabelValue(nasty)).toBe('v1.0.0-\\"quoted\\"\\\\back\\nslash');
    const text = renderMetrics({ ...SAMPLE_INPUT, runningVersion: nasty });
    expect(text).toContain('glr_running_version_info{version="v1.0.0-\\"quoted\\"\\\\back\\nslash"} 1\n');
    expect(parseExposition(text).get('glr_running_version_info')!.samples[0]!.labels.version).toBe(nasty);
    // every sample stays on one line
    expect(text.split('\n').filter((l) => l.startsWith('glr_running_version_info'))).toHaveLength(1);
  });

  it('numbers: zero, big, fractional, and no timestamps on samples', () => {
    const text = renderMetrics({ ...SAMPLE_INPUT, lastDowntimeMs: 0, diskFreeBytes: 2 ** 53, rollbacksTotal: 0, lastPassAt: new Date(0) });
    expect(value(text, 'glr_last_downtime_seconds')).toEqual([0]);
    expect(value(text, 'glr_disk_free_bytes')).toEqual([2 ** 53]);
    expect(value(text, 'glr_last_pass_timestamp_seconds')).toEqual([0]);
    for (const l of text.split('\n').filter((l) => l && !l.startsWith('#'))) expect(l.split(' '), l).toHaveLength(2);
  });
});

describe('writeMetricsFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'glr-metrics-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the file with mode 0644 whatever the umask, replaces it by rename, and leaves nothing else', async () => {
    const file = path.join(dir, 'glr.prom');
    const old = process.umask(0o077);
    try {
      await writeMetricsFile(file, renderMetrics(SAMPLE_INPUT));
    } finally {
      process.umask(old);
    }
    expect(statSync(file).mode & 0o777).toBe(0o644);
    const inode = statSync(file).ino;
    const next = renderMetrics({ ...SAMPLE_INPUT, rollbacksTotal: 3 });
    await writeMetricsFile(file, next);
    expect(readFileSync(file, 'utf8')).toBe(next);
    expect(statSync(file).ino).not.toBe(inode); // a new file renamed over the old, never rewritten in place
    expect(readdirSync(dir)).toEqual(['glr.prom']);
  });

  it('replaces a file another process left with other permissions', async () => {
    const file = path.join(dir, 'glr.prom');
    writeFileSync(file, 'old\n', { mode: 0o600 });
    await writeMetricsFile(file, renderMetrics(SAMPLE_INPUT));
    expect(statSync(file).mode & 0o777).toBe(0o644);
  });

  it('creates no folder: a missing one is an error and nothing is written', async () => {
    await expect(writeMetricsFile(path.join(dir, 'missing', 'glr.prom'), 'x\n')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(readdirSync(dir)).toEqual([]);
  });
});
