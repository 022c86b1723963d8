import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { METRIC_NAMES, renderMetrics, writeMetricsFile, type MetricsInput } from '../../src/runtime/metrics.js';
import { parseExposition } from '../helpers/exposition.js';
import { PROMTOOL_REQUIRED, PROMTOOL_SKIPPED, promtool, promtoolFound, promtoolRequired } from '../helpers/promtool.js';
import { REPO } from '../helpers/glr.js';

/**
 * The real `promtool` (Debian package `prometheus`) on glr's metrics textfile and on the example
 * alert rules of docs/examples. Skipped with a message where promtool is missing, except under CI
 * or GLR_REQUIRE_PROMTOOL=1, where a missing promtool fails every test here.
 */
const RULES = path.join(REPO, 'docs/examples/glr-alerts.rules.yml');
const RULE_TESTS = path.join(REPO, 'docs/examples/glr-alerts.test.yml');

const INPUTS: Record<string, MetricsInput> = {
  'converged on v0.4.5': {
    runningVersion: 'v0.4.5',
    desiredVersion: 'v0.4.5',
    converged: true,
    lastPassAt: new Date('2025-11-24T21:25:00.250Z'),
    lastPassExitCode: 0,
    lastDowntimeMs: 3870,
    rollbacksTotal: 0,
    preparedVersions: 3,
    diskFreeBytes: 53_687_091_200,
    telemetryStale: false,
  },
  'rolled back, after history rotations': {
    runningVersion: 'v0.4.5',
    desiredVersion: 'v0.4.6-rc.1',
    converged: false,
    lastPassAt: new Date(),
    lastPassExitCode: 3,
    lastDowntimeMs: 61_250,
    rollbacksTotal: 17,
    preparedVersions: 5,
    diskFreeBytes: 1_073_741_824,
    telemetryStale: true,
  },
  'no node runs, the file unreadable, nothing measured yet': {
    runningVersion: null,
    desiredVersion: null,
    converged: false,
    lastPassAt: new Date(0),
    lastPassExitCode: 4,
    lastDowntimeMs: null,
    rollbacksTotal: 0,
    preparedVersions: 0,
    diskFreeBytes: null,
    telemetryStale: null,
  },
  'label values that need escaping': {
    runningVersion: 'v1.0.0-"a"\\b\nc',
    desiredVersion: 'v1.0.0-ü\u2028',
    converged: false,
    lastPassAt: new Date(),
    lastPassExitCode: 1,
    lastDowntimeMs: 0,
    rollbacksTotal: 1,
    preparedVersions: 1,
    diskFreeBytes: 2 ** 53,
    telemetryStale: false,
  },
};

if (!promtoolFound) {
  if (promtoolRequired) {
    it('promtool is installed', () => {
      throw new Error(PROMTOOL_REQUIRED);
    });
  } else {
    console.warn(`test/integration/promtool.test.ts: ${PROMTOOL_SKIPPED}`);
  }
}

describe.skipIf(!promtoolFound)('promtool', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'glr-promtool-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('the metrics textfile', () => {
    it.each(Object.entries(INPUTS))('%s: passes `promtool check metrics` with no finding, and reads back to the input', async (_, input) => {
      const file = path.join(dir, 'glr.prom');
      await writeMetricsFile(file, renderMetrics(input));
      const r = promtool(['check', 'metrics'], { stdinFile: file });
      expect(r.stdout + r.stderr).toBe('');
      expect(r.status).toBe(0);

      const back = parseExposition(readFileSync(file, 'utf8'));
      expect([...back.keys()]).toEqual([...METRIC_NAMES]);
      const one = (name: string) => back.get(name)!.samples;
      expect(one('glr_running_version_info')).toEqual(input.runningVersion === null ? [] : [{ labels: { version: input.runningVersion }, value: 1 }]);
      expect(one('glr_desired_version_info')).toEqual(input.desiredVersion === null ? [] : [{ labels: { version: input.desiredVersion }, value: 1 }]);
      expect(one('glr_converged')).toEqual([{ labels: {}, value: input.converged ? 1 : 0 }]);
      expect(one('glr_last_pass_timestamp_seconds')).toEqual([{ labels: {}, value: input.lastPassAt.getTime() / 1000 }]);
      expect(one('glr_last_pass_exit_code')).toEqual([{ labels: {}, value: input.lastPassExitCode }]);
      expect(one('glr_last_downtime_seconds')).toEqual(input.lastDowntimeMs === null ? [] : [{ labels: {}, value: input.lastDowntimeMs / 1000 }]);
      expect(one('glr_rollbacks_total')).toEqual([{ labels: {}, value: input.rollbacksTotal }]);
      expect(one('glr_prepared_versions')).toEqual([{ labels: {}, value: input.preparedVersions }]);
      expect(one('glr_disk_free_bytes')).toEqual(input.diskFreeBytes === null ? [] : [{ labels: {}, value: input.diskFreeBytes }]);
    });

    it('control: promtool does fail a broken textfile (an unescaped quote, a counter without its HELP)', () => {
      const good = renderMetrics(INPUTS['converged on v0.4.5']!);
      const broken = good.replace('{version="v0.4.5"}', '{version="v0."4.5"}');
      expect(broken).not.toBe(good);
      expect(promtool(['check', 'metrics'], { stdin: broken }).status).not.toBe(0);
      const noHelp = good.replace(/^# HELP glr_rollbacks_total .*\n/m, '');
      const r = promtool(['check', 'metrics'], { stdin: noHelp });
      expect(r.status).not.toBe(0);
      expect(r.stdout + r.stderr).toContain('glr_rollbacks_total no help text');
    });
  });

  describe('docs/examples/glr-alerts.rules.yml', () => {
    const rules = parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
    const alerts = rules.groups.flatMap((g) => g.rules);
    const tests = parse(readFileSync(RULE_TESTS, 'utf8')) as { tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[] };

    it('passes `promtool check rules`', () => {
      const r = promtool(['check', 'rules', RULES]);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain(`SUCCESS: ${alerts.length} rules found`);
    });

    it('has the alerts the docs promise, on glr metric names only', () => {
      expect(alerts.map((a) => a.alert)).toEqual([
        'GlrRollback',
        'GlrNotConverged',
        'GlrNotReporting',
        'GlrOperatorMustAct',
        'GlrDiskLow',
        'GlrTelemetryStale',
      ]);
      for (const a of alerts) for (const m of a.expr.match(/glr_[a-z_]+/g) ?? []) expect(METRIC_NAMES, a.alert).toContain(m);
    });

    it('every alert has a case where it fires and one where it stays quiet in glr-alerts.test.yml', () => {
      const cases = tests.tests.flatMap((t) => t.alert_rule_test);
      for (const a of alerts) {
        expect(
          cases.some((c) => c.alertname === a.alert && c.exp_alerts.length > 0),
          `${a.alert} fires`,
        ).toBe(true);
        expect(
          cases.some((c) => c.alertname === a.alert && c.exp_alerts.length === 0),
          `${a.alert} quiet`,
        ).toBe(true);
      }
    });

    it('passes `promtool test rules` (each alert fires on its series and on no other)', () => {
      const r = promtool(['test', 'rules', path.basename(RULE_TESTS)], { cwd: path.dirname(RULE_TESTS) });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('SUCCESS');
    });

    // The unit tests prove something only if they fail on wrong rules: each alert's expression
    // replaced by one that never fires, and by one that fires on every series of its metric.
    it.each(alerts.map((a) => a.alert))('control: the rule tests fail when %s never fires, or fires on every series', (name) => {
      const metric = alerts.find((a) => a.alert === name)!.expr.match(/glr_[a-z_]+/)![0];
      for (const expr of ['absent(vector(1))', `${metric} * 0 + 1`]) {
        const mutated = structuredClone(rules);
        for (const g of mutated.groups) for (const r of g.rules) if (r.alert === name) r.expr = expr;
        const at = mkdtempSync(path.join(dir, 'mutant-'));
        writeFileSync(path.join(at, path.basename(RULES)), stringify(mutated));
        copyFileSync(RULE_TESTS, path.join(at, path.basename(RULE_TESTS)));
        const r = promtool(['test', 'rules', path.basename(RULE_TESTS)], { cwd: at });
        expect(r.status, `${name} with expr ${expr}:\n${r.stdout}`).not.toBe(0);
        expect(r.stdout + r.stderr).toContain(name);
      }
    });
  });
});
