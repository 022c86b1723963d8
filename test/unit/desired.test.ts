import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Layout } from '../../src/layout.js';
import { formatProblems, parseDesired, readDesiredText } from '../../src/desired/load.js';
import { DesiredFileSchema, KNOWN_KEYS } from '../../src/desired/schema.js';
import { isGlrError } from '../../src/errors.js';

const problems = (text: string) => {
  const r = parseDesired(text, '/etc/glr/desired-state.yaml');
  if (r.ok) throw new Error('expected problems');
  return formatProblems('desired-state.yaml', r.problems).split('\n');
};
const ok = (text: string) => {
  const r = parseDesired(text, '/etc/glr/desired-state.yaml');
  if (!r.ok) throw new Error(formatProblems('f', r.problems));
  return r.desired;
};

describe('desired-state.yaml: defaults and placeholders', () => {
  it('a file with only version gets the defaults of a runbook host', () => {
    const d = ok('version: v0.4.5\n');
    expect(d).toEqual({
      file: '/etc/glr/desired-state.yaml',
      version: 'v0.4.5',
      root: '/opt/genlayer-node',
      layout: new Layout('/opt/genlayer-node'),
      sharedDb: '/opt/genlayer-node/v0.4/data/node/genlayer.db',
      release: { url: 'https://storage.googleapis.com/gh-af/genlayer-node/bin/amd64/v0.4.5/genlayer-node-linux-amd64-v0.4.5.tar.gz', sha256: null },
      llm: { providers: {}, strategy: null },
      genvm: { setup: ['python3', '/opt/genlayer-node/v0.4.5/third_party/genvm/bin/setup.py'] },
      service: { running: true, manager: 'systemd', unit: 'genlayer-node' },
      health: { url: 'http://localhost:9153/health', timeoutSeconds: 300, progressSeconds: 60 },
      configFile: null,
      preflight: { doctor: false, webdriver: 'genlayer-node-webdriver' },
      hooks: { preSwitch: [], postSwitch: [] },
      retain: 3,
      metrics: { textfile: null },
      prepareAhead: 'off',
      network: null,
      runAs: null,
      telemetry: { alloy: { container: 'genlayer-node-alloy', logPath: '/var/log/genlayer/node.log' } },
      envFile: null,
      snapshots: { beforeSwitch: false, keep: 2, restoreOnRollback: false },
    });
  });

  it('envFile, health.progressSeconds and snapshots are read and checked; restoreOnRollback needs beforeSwitch', () => {
    const d = ok(
      'version: v0.5.12\nenvFile: "{root}/env-{version}"\nhealth:\n  progressSeconds: 30\nsnapshots:\n  beforeSwitch: true\n  keep: 3\n  restoreOnRollback: true\n',
    );
    expect([d.envFile, d.health.progressSeconds, d.snapshots]).toEqual([
      '/opt/genlayer-node/env-v0.5.12',
      30,
      { beforeSwitch: true, keep: 3, restoreOnRollback: true },
    ]);
    expect(problems('version: v0.5.12\nenvFile: env\nhealth:\n  progressSeconds: 0\nsnapshots:\n  keep: 0\n  restoreOnRollback: true\n')).toEqual([
      'desired-state.yaml:2: envFile: must be an absolute path (or start with {root}) (got "env")',
      'desired-state.yaml:4: health.progressSeconds: must be more than 0 (got 0)',
      'desired-state.yaml:6: snapshots.keep: must be 1 or more (the snapshot a rollback restores is the newest) (got 0)',
    ]);
    expect(problems('version: v0.5.12\nsnapshots:\n  restoreOnRollback: true\n')).toEqual([
      'desired-state.yaml:3: snapshots.restoreOnRollback: needs snapshots.beforeSwitch: true (a rollback restores the snapshot taken before the stop)',
    ]);
  });

  it('retain, metrics.textfile and prepareAhead are read and checked', () => {
    const d = ok('version: v0.4.5\nretain: 0\nmetrics:\n  textfile: /var/lib/node-exporter/glr.prom\nprepareAhead: patch\n');
    expect([d.retain, d.metrics.textfile, d.prepareAhead]).toEqual([0, '/var/lib/node-exporter/glr.prom', 'patch']);
    expect(problems('version: v0.4.5\nretain: -1\nmetrics:\n  textfile: glr.prom\nprepareAhead: minor\n')).toEqual([
      'desired-state.yaml:2: retain: must be 0 or more (got -1)',
      'desired-state.yaml:4: metrics.textfile: must be an absolute path (got "glr.prom")',
      'desired-state.yaml:5: prepareAhead: expected off or patch (got "minor")',
    ]);
    expect(problems('version: v0.4.5\nretain: 2.5\n')).toEqual(['desired-state.yaml:2: retain: expected a whole number of prepared versions (got 2.5)']);
    expect(problems('version: v0.4.5\nmetrics:\n  texfile: /x.prom\n')).toEqual([
      'desired-state.yaml:3: unknown key `metrics.texfile`; did you mean `metrics.textfile`?',
    ]);
  });

  it('the same file for another version (prepare-ahead): every placeholder for that version, no sha256 pin', () => {
    const text = `version: v0.5.10\nrelease:\n  url: https://b.example/{version}/n-{version}.tar.gz\n  sha256: ${'a'.repeat(64)}\n`;
    const r = parseDesired(text, '/f.yaml', { forVersion: 'v0.5.11' });
    if (!r.ok) throw new Error('expected a desired state');
    expect(r.desired.version).toBe('v0.5.11');
    expect(r.desired.release).toEqual({ url: 'https://b.example/v0.5.11/n-v0.5.11.tar.gz', sha256: null });
    expect(r.desired.genvm.setup).toEqual(['python3', '/opt/genlayer-node/v0.5.11/third_party/genvm/bin/setup.py']);
    expect(r.desired.sharedDb).toBe('/opt/genlayer-node/v0.5/data/node/genlayer.db');
  });

  it('the shared DB follows MAJOR.MINOR and the root', () => {
    expect(ok('version: v1.12.0-rc.2\nroot: /srv/gl\n').sharedDb).toBe('/srv/gl/v1.12/data/node/genlayer.db');
  });

  it('substitutes {version}, {versionDir} and {root}', () => {
    const d = ok(
      [
        'version: v0.4.6',
        'root: /srv/gl',
        'sharedDb: "{root}/shared/genlayer.db"',
        'release: {url: "https://mirror.example/{version}.tgz", sha256: ' + 'AB'.repeat(32) + '}',
        'genvm: {setup: [python3, "{versionDir}/setup.py", "--root={root}"]}',
        'service: {manager: command, start: ["{root}/ctl", start], stop: ["{root}/ctl", stop], status: ["{root}/ctl", status]}',
      ].join('\n'),
    );
    expect(d.sharedDb).toBe('/srv/gl/shared/genlayer.db');
    expect(d.release).toEqual({ url: 'https://mirror.example/v0.4.6.tgz', sha256: 'ab'.repeat(32) });
    expect(d.genvm.setup).toEqual(['python3', '/srv/gl/v0.4.6/setup.py', '--root=/srv/gl']);
    expect(d.service).toEqual({
      running: true,
      manager: 'command',
      start: ['/srv/gl/ctl', 'start'],
      stop: ['/srv/gl/ctl', 'stop'],
      status: ['/srv/gl/ctl', 'status'],
    });
  });

  it('reads the v0.5 fields: llm.strategy, configFile, preflight.doctor and hooks with placeholders', () => {
    const d = ok(
      [
        'version: v0.5.11',
        'root: /srv/gl',
        'configFile: "{root}/config-{version}.yaml"',
        'llm: {strategy: greybox}',
        'preflight: {doctor: true}',
        'hooks:',
        '  preSwitch: [[/usr/local/bin/check, "{versionDir}"]]',
        '  postSwitch: [[docker, restart, genlayer-node-alloy], [logger, "glr switched {root}"]]',
      ].join('\n'),
    );
    expect(d.llm).toEqual({ providers: {}, strategy: 'greybox' });
    expect(d.configFile).toBe('/srv/gl/config-v0.5.11.yaml');
    expect(d.preflight).toEqual({ doctor: true, webdriver: 'genlayer-node-webdriver' });
    expect(d.hooks).toEqual({
      preSwitch: [['/usr/local/bin/check', '/srv/gl/v0.5.11']],
      postSwitch: [
        ['docker', 'restart', 'genlayer-node-alloy'],
        ['logger', 'glr switched /srv/gl'],
      ],
    });
  });

  it('reads the shipped example file', async () => {
    const { readFile } = await import('node:fs/promises');
    const d = ok(await readFile(new URL('../../desired-state.example.yaml', import.meta.url), 'utf8'));
    expect(d.version).toBe('v0.4.5');
    expect(d.llm.providers).toEqual({ openai: true });
    expect(d.preflight).toEqual({ doctor: true, webdriver: 'genlayer-node-webdriver' });
    // the blind Alloy restart became the telemetry check
    expect(d.hooks).toEqual({ preSwitch: [], postSwitch: [] });
    expect(d.telemetry).toEqual({ alloy: { container: 'genlayer-node-alloy', logPath: '/var/log/genlayer/node.log' } });
  });
});

describe('desired-state.yaml: every problem, one line each, with file and line', () => {
  const cases: [string, string, RegExp][] = [
    ['a typo in a key', 'verison: v0.4.5\n', /^desired-state\.yaml:1: unknown key `verison`; did you mean `version`\?$/],
    ['a nested typo', 'version: v0.4.5\nservice:\n  unti: x\n', /^desired-state\.yaml:3: unknown key `service\.unti`; did you mean `service\.unit`\?$/],
    ['an unknown key far from any', 'version: v0.4.5\nfrobnicate: 1\n', /:2: unknown key `frobnicate`; known keys here: version, root/],
    ['path traversal in version', 'version: ../../../../tmp/x\n', /:1: version: must look like vX\.Y\.Z.*\(got "\.\.\/\.\.\/\.\.\/\.\.\/tmp\/x"\)$/],
    ['shell in version', 'version: "v0.4.5; touch /tmp/x"\n', /:1: version: must look like vX\.Y\.Z/],
    ['an empty version', 'version: ""\n', /:1: version: must look like vX\.Y\.Z/],
    ['a number for version', 'version: 0.4\n', /:1: version: expected a version string like v0\.4\.5 \(got 0\.4\)$/],
    ['a missing version', 'root: /opt/genlayer-node\n', /:1: version: is required$/],
    ['invalid YAML', 'version: [v0.4.5\n', /:2: invalid YAML: /],
    ['a duplicate key', 'version: v0.4.5\nversion: v0.4.6\n', /:2: invalid YAML: Map keys must be unique/],
    ['an empty file', '', /:1: the file is empty; `version` is required$/],
    ['a list at the top', '- version: v0.4.5\n', /:1: expected a map of keys/],
    ['a relative root', 'version: v0.4.5\nroot: opt/genlayer\n', /:2: root: must be an absolute path/],
    ['a non-http release URL', 'version: v0.4.5\nrelease:\n  url: file:///etc/passwd\n', /:3: release\.url: must be an http:\/\/ or https:\/\/ URL/],
    ['a bad sha256', 'version: v0.4.5\nrelease:\n  sha256: abc\n', /:3: release\.sha256: must be 64 hex digits/],
    [
      'a string for a boolean',
      'version: v0.4.5\nllm:\n  providers:\n    openai: "yes"\n',
      /:4: llm\.providers\.openai: expected true \(switch on\) or false \(switch off\) \(got "yes"\)$/,
    ],
    ['a string for a number', 'version: v0.4.5\nhealth:\n  timeoutSeconds: soon\n', /:3: health\.timeoutSeconds: expected a number of seconds/],
    ['a zero timeout', 'version: v0.4.5\nhealth:\n  timeoutSeconds: 0\n', /:3: health\.timeoutSeconds: must be more than 0/],
    ['an unknown manager', 'version: v0.4.5\nservice:\n  manager: docker\n', /:3: service\.manager: expected systemd or command/],
    ['a shell string instead of an argv', 'version: v0.4.5\ngenvm:\n  setup: python3 setup.py\n', /:3: genvm\.setup: expected a list of strings/],
    [
      'an unknown placeholder',
      'version: v0.4.5\nrelease:\n  url: "https://x/{verison}.tgz"\n',
      /:3: release\.url: unknown placeholder \{verison\}; this field may use \{version\}/,
    ],
    ['an unknown LLM strategy', 'version: v0.5.11\nllm:\n  strategy: blackbox\n', /:3: llm\.strategy: expected default or greybox \(got "blackbox"\)$/],
    ['a typo in llm.strategy', 'version: v0.5.11\nllm:\n  stratgy: greybox\n', /:3: unknown key `llm\.stratgy`; did you mean `llm\.strategy`\?$/],
    ['a typo in preflight', 'version: v0.5.11\npreflight:\n  docter: true\n', /:3: unknown key `preflight\.docter`; did you mean `preflight\.doctor`\?$/],
    ['a string for doctor', 'version: v0.5.11\npreflight:\n  doctor: "yes"\n', /:3: preflight\.doctor: expected true or false/],
    ['a typo in hooks', 'version: v0.5.11\nhooks:\n  postswitch: []\n', /:3: unknown key `hooks\.postswitch`; did you mean `hooks\.postSwitch`\?$/],
    [
      'one argv instead of a list of them',
      'version: v0.5.11\nhooks:\n  postSwitch: [docker, restart, x]\n',
      /:3: hooks\.postSwitch\.0: expected a list of strings/,
    ],
    ['a shell string for a hook', 'version: v0.5.11\nhooks:\n  preSwitch: "docker restart x"\n', /:3: hooks\.preSwitch: expected a list of argv lists/],
    ['an empty hook', 'version: v0.5.11\nhooks:\n  preSwitch: [[]]\n', /:3: hooks\.preSwitch\.0: expected at least the program to run/],
    [
      'an unknown placeholder in a hook',
      'version: v0.5.11\nhooks:\n  postSwitch: [[x, "{verison}"]]\n',
      /:3: hooks\.postSwitch\.0\.1: unknown placeholder \{verison\}/,
    ],
    ['a relative configFile', 'version: v0.5.11\nconfigFile: config.yaml\n', /:2: configFile: must be an absolute path/],
    ['command without its argvs', 'version: v0.4.5\nservice:\n  manager: command\n  start: [a]\n', /service\.status: is required with manager: command/],
    [
      'a unit with manager command',
      'version: v0.4.5\nservice:\n  manager: command\n  unit: x\n  start: [a]\n  stop: [a]\n  status: [a]\n',
      /:4: service\.unit: is only used with manager: systemd/,
    ],
  ];
  for (const [name, text, re] of cases) {
    it(name, () => {
      const lines = problems(text);
      expect(
        lines.some((l) => re.test(l)),
        lines.join('\n'),
      ).toBe(true);
      for (const l of lines) expect(l).toMatch(/^desired-state\.yaml:\d+: /);
    });
  }

  it('reports all problems at once, in line order', () => {
    const lines = problems('verison: v0.4.5\nroot: relative\nhealth:\n  timeoutSeconds: -1\n');
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => Number(l.split(':')[1]))).toEqual([1, 2, 4]);
  });
});

describe('desired-state.yaml: the known keys come from the schema', () => {
  it('lists every object of the schema, with its keys in the schema’s order', () => {
    expect(KNOWN_KEYS).toEqual({
      '': [
        'version',
        'root',
        'sharedDb',
        'release',
        'llm',
        'genvm',
        'service',
        'health',
        'configFile',
        'preflight',
        'hooks',
        'retain',
        'metrics',
        'prepareAhead',
        'network',
        'telemetry',
        'envFile',
        'snapshots',
      ],
      release: ['url', 'sha256'],
      llm: ['providers', 'strategy'],
      genvm: ['setup'],
      service: ['running', 'manager', 'unit', 'start', 'stop', 'status', 'user', 'group', 'environmentFiles'],
      health: ['url', 'timeoutSeconds', 'progressSeconds'],
      preflight: ['doctor', 'webdriver'],
      hooks: ['preSwitch', 'postSwitch'],
      metrics: ['textfile'],
      telemetry: ['alloy'],
      'telemetry.alloy': ['container', 'logPath'],
      snapshots: ['beforeSwitch', 'keep', 'restoreOnRollback'],
    });
  });

  it('names exactly the objects where the schema refuses an unknown key', () => {
    for (const at of Object.keys(KNOWN_KEYS)) {
      // `telemetry.alloy` is { telemetry: { alloy: { glrNoSuchKey } } }
      const nested = at ? at.split('.').reduceRight<object>((inner, key) => ({ [key]: inner }), { glrNoSuchKey: 1 }) : { glrNoSuchKey: 1 };
      const input = { version: 'v0.4.5', ...nested };
      const issues = DesiredFileSchema.safeParse(input).error?.issues ?? [];
      expect(
        issues.map((i) => [i.code, i.path.join('.')]),
        at,
      ).toEqual([['unrecognized_keys', at]]);
    }
  });

  it('suggests a nested key by its dotted path', () => {
    expect(problems('version: v0.4.5\nrelease:\n  sha265: x\n')).toEqual([
      'desired-state.yaml:3: unknown key `release.sha265`; did you mean `release.sha256`?',
    ]);
  });
});

describe('desired-state.yaml: reading the file', () => {
  it('turns an errno into one line naming the file as given', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'glr-desired-'));
    try {
      await writeFile(path.join(dir, 'f.yaml'), 'version: v0.4.5\n');
      expect(await readDesiredText(path.join(dir, 'f.yaml'), 'f.yaml')).toBe('version: v0.4.5\n');
      for (const [file, why] of [
        ['missing.yaml', 'no such file'],
        ['', 'is a folder'],
      ] as const) {
        const e: unknown = await readDesiredText(path.join(dir, file), 'the-label').catch((err: unknown) => err);
        expect(isGlrError(e) && e.code).toBe(1);
        expect((e as Error).message).toBe(`the-label: cannot read the desired-state file: ${why}`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
