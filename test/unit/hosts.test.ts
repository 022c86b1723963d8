import { describe, expect, it } from 'vitest';
import { parseDesired } from '../../src/desired/load.js';
import type { Desired } from '../../src/desired/types.js';
import type { Observed } from '../../src/observe/types.js';
import { plan } from '../../src/plan/plan.js';
import { beforeStopSteps } from '../../src/plan/release-steps.js';
import type { Plan, PrepareStep } from '../../src/plan/types.js';
import { renderMetrics } from '../../src/runtime/metrics.js';
import { parseUnitFacts } from '../../src/runtime/service.js';
import { desired, managedHost, nodeUnit, ROOT, runbookHost, withDocker, withOpenAi, kinds } from './fixtures.js';

const step = <K extends PrepareStep['kind']>(p: Plan, kind: K) => p.prepare.find((s) => s.kind === kind) as Extract<PrepareStep, { kind: K }> | undefined;

describe('systemctl show → the unit’s facts', () => {
  it('GenLayer’s unit (common-procedures.md): the root’s .env, the password from it', () => {
    const facts = parseUnitFacts(
      [
        'LoadState=loaded',
        'ActiveState=active',
        'User=',
        'EnvironmentFiles=/opt/genlayer-node/.env (ignore_errors=no)',
        'ExecStart={ path=/opt/genlayer-node/bin/genlayernode ; argv[]=/opt/genlayer-node/bin/genlayernode run --password ${NODE_PASSWORD} ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }',
        'WorkingDirectory=/opt/genlayer-node',
        'TimeoutStopUSec=1min 30s',
      ].join('\n'),
    );
    expect(facts).toEqual({
      user: null,
      group: null,
      environmentFiles: [{ path: '/opt/genlayer-node/.env', optional: false }],
      execStart: ['/opt/genlayer-node/bin/genlayernode', 'run', '--password', '${NODE_PASSWORD}'],
      workingDirectory: '/opt/genlayer-node',
      environment: {},
      stopTimeoutMs: 90_000,
    });
  });

  it('an operator’s unit: User, Group, optional files, Environment= with quotes, WorkingDirectory with a prefix', () => {
    const facts = parseUnitFacts(
      [
        'User=noditoovh',
        'Group=noditoovh',
        'Environment=GENLAYERNODE_LOG_LEVEL=info "NODE_NAME=my node"',
        'EnvironmentFiles=/home/n/genlayer-bradbury/env/bradbury.env (ignore_errors=no)',
        'EnvironmentFiles=/etc/genlayer/extra.env (ignore_errors=yes)',
        'ExecStart={ path=/home/n/gl/bin/genlayernode ; argv[]=/home/n/gl/bin/genlayernode run -c /home/n/gl/configs/node/config.yaml --password s3cret ; flags= ; start_time=[n/a] }',
        'WorkingDirectory=!/home/n/gl',
        'TimeoutStopUSec=infinity',
      ].join('\n'),
    );
    expect(facts.user).toBe('noditoovh');
    expect(facts.environmentFiles).toEqual([
      { path: '/home/n/genlayer-bradbury/env/bradbury.env', optional: false },
      { path: '/etc/genlayer/extra.env', optional: true },
    ]);
    expect(facts.environment).toEqual({ GENLAYERNODE_LOG_LEVEL: 'info', NODE_NAME: 'my node' });
    expect(facts.execStart?.at(-1)).toBe('s3cret');
    expect(facts.workingDirectory).toBe('/home/n/gl');
    expect(facts.stopTimeoutMs).toBe(Infinity);
  });
});

describe('the node’s keys, looked up where the unit loads them', () => {
  it('keys in a file of their own and the password on ExecStart: planned, nothing refused', () => {
    const p = plan(desired(), runbookHost({ unit: nodeUnit() }));
    expect(p.refusals).toEqual([]);
    expect(step(p, 'check-ready')!.env).toEqual([{ inVersion: '.env' }, { path: '/etc/genlayer/llm.env', names: ['HEURISTKEY', 'OPENAIKEY'] }]);
    expect(step(p, 'check-ready')!.description).toContain(
      "an enabled LLM backend has its key set in the node's environment files (.env, /etc/genlayer/llm.env)",
    );
    // the operator's file is not carried: only what lies in the version folder is
    expect(step(p, 'carry')!.envFiles).toEqual([]);
    expect(p.notes).toContain("the node's keys, as its unit gives them: the keystore password on ExecStart; HEURISTKEY, OPENAIKEY in /etc/genlayer/llm.env");
    // a runbook host, every key in .env: nothing to say
    expect(plan(desired(), runbookHost()).notes.filter((n) => n.includes('keys'))).toEqual([]);
  });

  it('a password taken from a variable no file sets: refused, naming the files, never a value', () => {
    const p = plan(desired(), runbookHost({ unit: nodeUnit({ password: { variable: 'NODE_PASSWORD' } }) }));
    expect(p.refusals).toEqual([
      "none of the node's environment files (.env, /etc/genlayer/llm.env) sets NODE_PASSWORD: the node unlocks its keystore with it (genlayernode run --password ${NODE_PASSWORD}) and would not start. Set it in one of them (or write the password on ExecStart), then run glr again",
    ]);
  });

  it('no LLM key in any file: refused, naming the files', () => {
    const unit = nodeUnit({ keys: { VALIDATOR_PASSWORD: '.env' } });
    const llm = { 'v0.4.5': { ok: true as const, backends: withOpenAi(true), luaScriptPath: null } };
    const p = plan(desired(), managedHost('v0.4.3', { unit, llm }));
    expect(p.refusals[0]).toMatch(/^no enabled LLM backend of v0\.4\.5 has its key set in \.env, \/etc\/genlayer\/llm\.env \(/);
  });

  it('a key for a backend that is off is warned about with the file that sets it', () => {
    const llm = { 'v0.4.5': { ok: true as const, backends: withOpenAi(false), luaScriptPath: null } };
    const p = plan(desired({ llm: { providers: {}, strategy: null } }), managedHost('v0.4.5', { unit: nodeUnit(), llm }));
    expect(p.warnings).toContain(
      "OPENAIKEY is set in /etc/genlayer/llm.env but the openai backend is off in v0.4.5's GenVM LLM config: switch it on (llm.providers.openai: true) or remove the key",
    );
  });

  it('an environment file inside the version folder is carried like .env', () => {
    const unit = nodeUnit();
    unit.environmentFiles.push({ path: `${ROOT}/llm.env`, optional: false, inVersion: 'llm.env', exists: true, names: ['GEMINIKEY'], problem: null });
    const p = plan(desired(), runbookHost({ unit }));
    expect(step(p, 'carry')!.envFiles).toEqual(['llm.env']);
    expect(step(p, 'carry')!.description).toContain("; carry the node's llm.env (byte for byte, 600);");
  });
});

describe('the unit refuses a switch it would defeat', () => {
  const refusals = (unit: NonNullable<Observed['unit']>) => plan(desired(), runbookHost({ unit })).refusals;

  it('ExecStart that runs a version folder directly', () => {
    expect(refusals(nodeUnit({ program: `${ROOT}/v0.4.3/bin/genlayernode` }))).toEqual([
      `the unit genlayer-node runs ${ROOT}/v0.4.3/bin/genlayernode, inside the version folder v0.4.3: switching ${ROOT}'s links would not change what it runs. Point ExecStart at ${ROOT}/bin/genlayernode (through the links), then run glr again`,
    ]);
  });

  it('a missing environment file that is not optional; an optional one is fine', () => {
    const missing = (optional: boolean) =>
      nodeUnit({
        environmentFiles: [
          ...nodeUnit().environmentFiles,
          { path: '/etc/genlayer/gone.env', optional, inVersion: null, exists: false, names: [], problem: optional ? null : 'does not exist' },
        ],
      });
    expect(refusals(missing(false))).toEqual([
      'the unit genlayer-node loads /etc/genlayer/gone.env (EnvironmentFile=), which does not exist: the node would not start; create it, or mark it optional (EnvironmentFile=-/etc/genlayer/gone.env)',
    ]);
    expect(refusals(missing(true))).toEqual([]);
  });

  it('a user this host does not know', () => {
    expect(refusals(nodeUnit({ owner: null, problem: 'the node’s user genlayer is not a user of this host (getent passwd genlayer)' }))[0]).toMatch(
      /^the node’s user genlayer is not a user of this host .*: glr cannot give the new version's files to the node's user; fix User=\/Group= in the unit$/,
    );
  });
});

describe('the new folder belongs to the node’s user', () => {
  it('chown after the last write into the folder, before the marker', () => {
    const k = kinds(plan(desired(), runbookHost({ unit: nodeUnit() })));
    expect(k.slice(k.indexOf('check-ready'), k.indexOf('mark-prepared') + 1)).toEqual(['check-ready', 'chown', 'mark-prepared']);
    expect(step(plan(desired(), runbookHost({ unit: nodeUnit() })), 'chown')).toMatchObject({
      version: 'v0.4.5',
      user: 'genlayer:genlayer',
      uid: 990,
      gid: 990,
    });
  });

  it('a folder prepared before (ahead, or by an older glr) is given to it too; a root-run unit keeps root', () => {
    expect(kinds(plan(desired(), managedHost('v0.4.3', { unit: nodeUnit() })))).toContain('chown');
    expect(kinds(plan(desired(), runbookHost({ unit: nodeUnit({ user: null, group: null, owner: null }) })))).not.toContain('chown');
  });

  it('the doctor runs as the node’s user', () => {
    const p = plan(desired({ preflight: { doctor: true, webdriver: null } }), runbookHost({ unit: nodeUnit() }));
    expect(step(p, 'doctor')).toMatchObject({ runAs: { uid: 990, gid: 990 } });
    expect(step(p, 'doctor')!.description).toContain('as genlayer;');
  });
});

describe('Docker beside the node: the WebDriver before the stop, Alloy after a change', () => {
  it('a switch checks the WebDriver first of the last steps before the stop, and telemetry first once the node is up', () => {
    const p = plan(desired({ ...withDocker, hooks: { preSwitch: [['x']], postSwitch: [['y']] } }), managedHost('v0.4.3'));
    const k = kinds(p);
    expect(k.indexOf('webdriver')).toBeLessThan(k.indexOf('pre-switch'));
    expect(k.indexOf('pre-switch')).toBeLessThan(k.indexOf('backup'));
    expect(p.finish.map((s) => s.kind)).toEqual(['check-telemetry', 'post-switch', 'close-journal', 'mark-release']);
    expect(p.finish[0]).toMatchObject({ container: 'genlayer-node-alloy', logPath: '/var/log/genlayer/node.log', leaving: 'v0.4.3', entering: 'v0.4.5' });
  });

  it('no change of the running version, no telemetry check; null containers, no check at all', () => {
    expect(kinds(plan(desired(withDocker), managedHost('v0.4.5', { health: { ...managedHost('v0.4.5').health, httpStatus: 503 } })))).not.toContain(
      'check-telemetry',
    );
    expect(kinds(plan(desired(), managedHost('v0.4.3')))).not.toContain('webdriver');
    expect(kinds(plan(desired(), managedHost('v0.4.3')))).not.toContain('check-telemetry');
    // a switch that leaves the node stopped (maintenance) starts nothing the WebDriver would serve
    const stopped = desired({ ...withDocker, service: { running: false, manager: 'systemd', unit: 'genlayer-node' } });
    expect(kinds(plan(stopped, managedHost('v0.4.3')))).not.toContain('webdriver');
  });

  it('a stale Alloy on a kept host is a warning of its plan', () => {
    const telemetry = {
      container: 'genlayer-node-alloy',
      logPath: '/var/log/genlayer/node.log',
      state: 'stale' as const,
      detail: 'genlayer-node-alloy reads another file',
    };
    const p = plan(desired(withDocker), managedHost('v0.4.5', { telemetry }));
    expect(p.warnings).toContain(
      "telemetry is stale: genlayer-node-alloy reads another file. GenLayer's monitoring sees no logs from this validator and can mark it idle; restart it (docker restart genlayer-node-alloy); glr checks it after every switch",
    );
  });
});

describe('doctor --network', () => {
  const doctorOf = (d: Desired) => beforeStopSteps(d, runbookHost(), 'v0.5.10').find((s) => s.kind === 'doctor') as Extract<PrepareStep, { kind: 'doctor' }>;
  it('passed from v0.5.4 (GenLayer’s changelog), not to an older doctor, which would refuse the flag', () => {
    const d = (version: string) => desired({ version, network: 'asimov', preflight: { doctor: true, webdriver: null } });
    expect(doctorOf(d('v0.5.11')).network).toBe('asimov');
    expect(doctorOf(d('v0.5.11')).description).toContain('bin/genlayernode doctor --network asimov in');
    expect(doctorOf(d('v0.5.3')).network).toBeNull();
    expect(doctorOf(d('v0.5.3')).description).toContain('(network asimov not passed: doctor takes --network from v0.5.4)');
    expect(doctorOf(desired({ version: 'v0.5.11', preflight: { doctor: true, webdriver: null } })).network).toBeNull();
  });
});

describe('desired-state.yaml: hosts as operators run them', () => {
  const parse = (text: string) => parseDesired(text, '/etc/glr/desired-state.yaml');

  it('network, service.user/group/environmentFiles (manager command), telemetry.alloy, preflight.webdriver', () => {
    const r = parse(
      [
        'version: v0.5.11',
        'network: bradbury',
        'service:',
        '  manager: command',
        '  start: [a]',
        '  stop: [b]',
        '  status: [c]',
        '  user: genlayer',
        '  group: genlayer',
        '  environmentFiles: [/opt/genlayer-node/.env, -/etc/genlayer/llm.env]',
        'preflight: {webdriver: null}',
        'telemetry: {alloy: {container: alloy-bradbury, logPath: /var/log/genlayer/bradbury/node.log}}',
      ].join('\n'),
    );
    expect(r.ok).toBe(true);
    const d = (r as { desired: Desired }).desired;
    expect(d.network).toBe('bradbury');
    expect(d.runAs).toEqual({
      user: 'genlayer',
      group: 'genlayer',
      environmentFiles: [
        { path: '/opt/genlayer-node/.env', optional: false },
        { path: '/etc/genlayer/llm.env', optional: true },
      ],
    });
    expect(d.preflight.webdriver).toBeNull();
    expect(d.telemetry.alloy).toEqual({ container: 'alloy-bradbury', logPath: '/var/log/genlayer/bradbury/node.log' });
  });

  it('refuses what a unit says itself with systemd, relative files, and names that are not names', () => {
    const r = parse(
      [
        'version: v0.5.11',
        'network: Bradbury Phase 1',
        'service:',
        '  user: genlayer',
        '  environmentFiles: [llm.env]',
        'telemetry: {alloy: {container: "alloy; rm -rf /", logPath: var/log}}',
      ].join('\n'),
    );
    expect(r.ok).toBe(false);
    expect((r as { problems: { message: string }[] }).problems.map((p) => p.message)).toEqual([
      'network: must be a GenLayer network name (lower case letters, digits, -), e.g. asimov or bradbury (got "Bradbury Phase 1")',
      'service.environmentFiles.0: must be an absolute path (a leading - marks an optional file) (got "llm.env")',
      'telemetry.alloy.container: must be a Docker container name (letters, digits, _ . -) (got "alloy; rm -rf /")',
      'telemetry.alloy.logPath: must be an absolute path (got "var/log")',
    ]);
    const systemd = parse('version: v0.5.11\nservice:\n  user: genlayer\n');
    expect((systemd as { problems: { message: string }[] }).problems.map((p) => p.message)).toEqual([
      'service.user: is only used with manager: command (with systemd, glr reads it from the unit)',
    ]);
  });
});

describe('glr_telemetry_stale', () => {
  const base = {
    runningVersion: 'v0.5.11',
    desiredVersion: 'v0.5.11',
    converged: true,
    lastPassAt: new Date(0),
    lastPassExitCode: 0,
    lastDowntimeMs: null,
    rollbacksTotal: 0,
    preparedVersions: 2,
    diskFreeBytes: null,
  };
  it('1 stale, 0 fresh, no sample when not checked', () => {
    expect(renderMetrics({ ...base, telemetryStale: true })).toContain('\nglr_telemetry_stale 1\n');
    expect(renderMetrics({ ...base, telemetryStale: false })).toContain('\nglr_telemetry_stale 0\n');
    expect(renderMetrics({ ...base, telemetryStale: null })).not.toMatch(/^glr_telemetry_stale /m);
  });
});
