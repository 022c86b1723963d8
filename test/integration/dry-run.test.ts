import { existsSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { errorLines, hasStackTrace, leakedSecrets, planKinds, runGlr } from '../helpers/glr.js';
import { RUNBOOK_UPGRADE_STEPS } from '../helpers/steps.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await createSandbox();
  await sb.publish({ version: 'v0.4.5' });
});
afterAll(async () => sb?.cleanup());

describe('glr reconcile --dry-run on a runbook host running v0.4.3', () => {
  it('exits 2 with the ordered plan to v0.4.5, writes nothing under the root, shows no secret', async () => {
    const file = sb.host.writeDesired({ version: 'v0.4.5' });
    const before = sb.host.tree();
    const r = await runGlr(['reconcile', '--dry-run', '-f', file]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toContain('v0.4.3 → v0.4.5');
    for (const words of [
      'adopt v0.4.3',
      'route',
      'download',
      'GenVM setup',
      'carry',
      'genlayer.db',
      'openai on',
      'mark v0.4.5 prepared',
      'back up',
      'stop',
      'from v0.4.3 to v0.4.5',
      'start',
      'healthy on v0.4.5',
    ]) {
      expect(r.stdout).toContain(words);
    }
    expect(r.stdout.indexOf('prepare (')).toBeLessThan(r.stdout.indexOf('switch ('));
    expect(r.stdout.indexOf('switch (')).toBeLessThan(r.stdout.indexOf('\nverify\n'));
    expect(sb.host.tree()).toEqual(before);
    expect(existsSync(path.join(sb.host.root, '.glr'))).toBe(false);
    expect(leakedSecrets(r.stdout, r.stderr)).toEqual([]);
  });

  it('--json prints the plan value: what apply would execute', async () => {
    const file = sb.host.writeDesired({ version: 'v0.4.5' });
    const r = await runGlr(['reconcile', '--dry-run', '--json', '-f', file]);
    expect(r.code).toBe(2);
    const plan = JSON.parse(r.stdout) as { target: string; switch: unknown; refusals: string[] };
    expect(plan).toMatchObject({ target: 'v0.4.5', switch: { leaving: 'v0.4.3', entering: 'v0.4.5' }, refusals: [] });
    expect(planKinds(r.stdout)).toEqual(RUNBOOK_UPGRADE_STEPS);
    expect(leakedSecrets(r.stdout)).toEqual([]);
  });

  it('exits 0 on a host already at the desired version (adopted as it is)', async () => {
    const file = sb.host.writeDesired({ version: 'v0.4.3', providers: null });
    const r = await runGlr(['reconcile', '--dry-run', '-f', file]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^converged/);
  });

  it('status shows what runs, the links, health and the .env names (never values)', async () => {
    const file = sb.host.writeDesired({ version: 'v0.4.5' });
    const r = await runGlr(['status', '-f', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/links\s+no current link \(as the runbook laid it out\); all 6 agree on v0\.4\.3/);
    expect(r.stdout).toMatch(/running\s+v0\.4\.3: service running, healthy\n\s+HTTP 200, node v0\.4\.3\n\s+checks: validating up/);
    expect(r.stdout).toContain('HEURISTKEY');
    expect(leakedSecrets(r.stdout, r.stderr)).toEqual([]);
    const json = await runGlr(['status', '--json', '-f', file]);
    expect(JSON.parse(json.stdout).links.version).toBe('v0.4.3');
  });
});

describe('bad input: exit 1, one clear line, no stack trace, nothing written', () => {
  const bad: [string, (root: string) => string, RegExp][] = [
    ['invalid YAML', () => 'version: [v0.4.5\n', /:\d+: invalid YAML/],
    ['an unknown key', () => 'verison: v0.4.5\n', /unknown key `verison`; did you mean `version`\?/],
    ['path traversal as version', () => 'version: ../../../../tmp/x\n', /version: must look like vX\.Y\.Z/],
    ['shell injection as version', () => 'version: "v0.4.5; touch /tmp/glr-pwned"\n', /version: must look like vX\.Y\.Z/],
    ['an empty version', () => 'version:\n', /version: expected a version string/],
    ['a wrong type', (root) => `version: v0.4.5\nroot: ${root}\nhealth:\n  timeoutSeconds: soon\n`, /health\.timeoutSeconds: expected a number/],
    [
      'a release URL that is not http(s)',
      (root) => `version: v0.4.5\nroot: ${root}\nrelease:\n  url: ftp://x/{version}.tgz\n`,
      /release\.url: must be an http/,
    ],
    [
      'a root that does not exist',
      (root) => `version: v0.4.5\nroot: ${root}/nope\nservice: {manager: command, start: [x], stop: [x], status: ["true"]}\n`,
      /root .*\/nope does not exist/,
    ],
    [
      'a root that is not a GenLayer root',
      (root) => `version: v0.4.5\nroot: ${path.dirname(root)}\nservice: {manager: command, start: [x], stop: [x], status: ["true"]}\n`,
      /is not a GenLayer node root/,
    ],
  ];
  for (const [name, content, re] of bad) {
    it(name, async () => {
      const file = path.join(sb.host.dir, `bad-${name.replace(/\W+/g, '-')}.yaml`);
      writeFileSync(file, content(sb.host.root));
      const before = sb.host.tree();
      for (const args of [['reconcile', '--dry-run'], ['reconcile']]) {
        const r = await runGlr([...args, '-f', file]);
        expect(r.code, r.stdout + r.stderr).toBe(1);
        const lines = errorLines(r);
        expect(lines, r.stderr).toHaveLength(1);
        expect(lines[0]).toMatch(re);
        expect(hasStackTrace(r)).toBe(false);
        expect(r.stdout).toBe('');
      }
      expect(existsSync('/tmp/glr-pwned')).toBe(false);
      expect(sb.host.tree()).toEqual(before);
      expect(await sb.host.healthyOn('v0.4.3')).toBe(true);
    });
  }

  it('a bad GLR_* value in the environment: its own line, never "internal error"', async () => {
    const file = sb.host.writeDesired({ version: 'v0.4.5' });
    const before = sb.host.tree();
    const cases: [Record<string, string>, string][] = [
      [{ GLR_LOG_LEVEL: 'chatty' }, 'glr: GLR_LOG_LEVEL="chatty": must be one of trace, debug, info, warn, error, fatal or silent'],
      [{ GLR_HEALTH_POLL_MS: 'abc' }, 'glr: GLR_HEALTH_POLL_MS="abc": must be a number from 5 to 10000 (default 20); unset it or fix it'],
    ];
    for (const [env, line] of cases) {
      const r = await runGlr(['reconcile', '-f', file], { env });
      expect(r.code, r.stderr).toBe(1);
      expect(errorLines(r)).toEqual([line]);
      expect(hasStackTrace(r)).toBe(false);
    }
    expect(sb.host.tree()).toEqual(before);
    expect(await sb.host.healthyOn('v0.4.3')).toBe(true);
  });

  it('a file that does not exist', async () => {
    const r = await runGlr(['reconcile', '--dry-run', '-f', '/nonexistent/desired-state.yaml']);
    expect(r.code).toBe(1);
    expect(errorLines(r)).toEqual(['glr: /nonexistent/desired-state.yaml: cannot read the desired-state file: no such file']);
  });

  it('a missing keystore in the running version refuses before anything', async () => {
    const keystore = path.join(sb.host.root, 'v0.4.3/data/node/keystore');
    renameSync(keystore, `${keystore}.away`);
    try {
      const file = sb.host.writeDesired({ version: 'v0.4.5' });
      const before = sb.host.tree();
      const r = await runGlr(['reconcile', '--dry-run', '-f', file]);
      expect(r.code).toBe(1);
      expect(errorLines(r)).toEqual([
        'glr: the running version v0.4.3 has no keystore (data/node/keystore/UTC--...) to carry over; restore it from your backup first',
      ]);
      expect(sb.host.tree()).toEqual(before);
    } finally {
      renameSync(`${keystore}.away`, keystore);
    }
  });

  it('an unknown command or option', async () => {
    expect((await runGlr(['frobnicate'])).code).toBe(1);
    const r = await runGlr(['reconcile', '--dryrun']);
    expect(r.code).toBe(1);
    expect(errorLines(r)[0]).toMatch(/Unknown option '--dryrun'.*see glr reconcile --help/);
  });
});
