import type { Desired } from '../../src/desired/types.js';
import type { Observed, VersionFolder } from '../../src/observe/types.js';
import { parseBackends } from '../../src/genlayer/llm-config.js';
import { LLM_CONFIG } from '../../sandbox/releases.js';
import { Layout, RUNBOOK_LINKS } from '../../src/layout.js';
import { stepsOf } from '../../src/plan/steps.js';
import type { Plan } from '../../src/plan/types.js';

export const ROOT = '/opt/genlayer-node';

/** A plan's step kinds, in the order they run (prepare, window, verify, finish). */
export const kinds = (p: Plan): string[] => stepsOf(p).map((s) => s.step.kind);

export function desired(over: Partial<Omit<Desired, 'layout'>> = {}): Desired {
  const d = {
    file: '/etc/glr/desired-state.yaml',
    version: 'v0.4.5',
    root: ROOT,
    sharedDb: `${ROOT}/v0.4/data/node/genlayer.db`,
    release: { url: 'https://storage.googleapis.com/gh-af/genlayer-node/bin/amd64/v0.4.5/genlayer-node-linux-amd64-v0.4.5.tar.gz', sha256: null },
    llm: { providers: { openai: true }, strategy: null },
    genvm: { setup: ['python3', `${ROOT}/v0.4.5/third_party/genvm/bin/setup.py`] },
    service: { running: true, manager: 'systemd' as const, unit: 'genlayer-node' } as Desired['service'],
    health: { url: 'http://localhost:9153/health', timeoutSeconds: 300, progressSeconds: 60 },
    configFile: null,
    preflight: { doctor: false, webdriver: null },
    hooks: { preSwitch: [], postSwitch: [] },
    retain: 3,
    metrics: { textfile: null },
    prepareAhead: 'off' as const,
    network: null,
    runAs: null,
    // the sandbox's hosts run no Docker: the WebDriver and Alloy checks are asked for where tested
    telemetry: { alloy: { container: null, logPath: '/var/log/genlayer/node.log' } },
    envFile: null,
    snapshots: { beforeSwitch: false, keep: 2, restoreOnRollback: false },
    ...over,
  };
  return { ...d, layout: new Layout(d.root) };
}

const backends = parseBackends(LLM_CONFIG);
/** the lua_script_path of GenLayer's files: the default strategy */
export const DEFAULT_LUA = '${exeDir}/../config/genvm-llm-default.lua';

export function healthy(version: string): Observed['health'] {
  return {
    ...noAnswer,
    answered: true,
    httpStatus: 200,
    status: 'up',
    nodeVersion: version,
    validating: { status: 'up', error: null },
    checks: { validating: { status: 'up', error: null } },
    problem: null,
  };
}
export const syncing = (version: string): Observed['health'] => ({
  answered: true,
  httpStatus: 503,
  status: 'down',
  nodeVersion: version,
  validating: { status: 'down', error: 'node is not synced' },
  checks: { validating: { status: 'down', error: 'node is not synced' } },
  genvmVersion: null,
  network: null,
  problem: null,
});
export const noAnswer: Observed['health'] = {
  answered: false,
  httpStatus: null,
  status: null,
  nodeVersion: null,
  validating: null,
  checks: {},
  genvmVersion: null,
  network: null,
  problem: 'connection refused',
};

/** A runbook host: v0.4.3 running healthy, the six links straight into it, no glr marker. */
export function runbookHost(over: Partial<Observed> = {}): Observed {
  return {
    at: '2026-11-24T12:00:00.000Z',
    root: { path: ROOT, exists: true, isDir: true },
    versions: [folder('v0.4.3')],
    links: {
      current: null,
      switchLinks: RUNBOOK_LINKS.map((name) => ({ name, target: `${ROOT}/v0.4.3/${name}`, viaCurrent: false, version: 'v0.4.3' })),
      missing: [],
      notLinks: [],
      version: 'v0.4.3',
      others: [],
    },
    service: { state: 'running', problem: null, enabled: null },
    health: healthy('v0.4.3'),
    runningFiles: runningFiles('v0.4.3'),
    llm: { 'v0.4.3': { ok: true, backends, luaScriptPath: DEFAULT_LUA } },
    sharedDb: { path: `${ROOT}/v0.4/data/node/genlayer.db`, exists: true, isDir: true },
    diskFreeBytes: 50 * 2 ** 30,
    journal: null,
    history: { last: null, lastSwitch: null, lastDowntimeMs: null, rollbacksTotal: 0 },
    staging: [],
    desiredFolder: null,
    configFile: null,
    trash: [],
    bad: [],
    glrProblems: [],
    unit: null,
    telemetry: null,
    deployment: deployment('v0.4.3'),
    sync: null,
    ...over,
  };
}

/** What observe sees of the DB and config: the running version on the v0.4 shared DB, no configFile, no envFile, no snapshot. */
export function deployment(running: string, over: Partial<Observed['deployment']> = {}): Observed['deployment'] {
  return {
    runningDb: {
      version: running,
      link: `${ROOT}/${running}/data/node/genlayer.db`,
      target: `${ROOT}/v0.4/data/node/genlayer.db`,
      isLink: true,
      exists: true,
      // told by path, against the desired sharedDb (observe compares devices and inodes as well)
      sharedDbIsIt: null,
    },
    nodeConfig: { changedByConfigFile: null, keys: [], drift: null },
    envFile: null,
    snapshots: { dir: `${ROOT}/.glr/snapshots`, entries: [], onDbFilesystem: true },
    ...over,
  };
}

/** The running version's files to carry, all there, .env setting the keys the tests use. */
export function runningFiles(version: string): NonNullable<Observed['runningFiles']> {
  return {
    version,
    configYaml: true,
    env: true,
    keystore: true,
    keystoreFiles: 1,
    envNames: ['HEURISTKEY', 'NODE_PASSWORD', 'OPENAIKEY'],
    keystoreOpen: [],
  };
}

/** A host glr manages: `current` → version, every link through it. */
export function managedHost(version: string, over: Partial<Observed> = {}, folders: VersionFolder[] = [adopted('v0.4.3'), prepared('v0.4.5')]): Observed {
  return runbookHost({
    versions: folders,
    links: {
      current: { target: version, version },
      switchLinks: RUNBOOK_LINKS.map((name) => ({ name, target: `current/${name}`, viaCurrent: true, version })),
      missing: [],
      notLinks: [],
      version,
      others: [],
    },
    health: healthy(version),
    runningFiles: runningFiles(version),
    deployment: deployment(version),
    llm: { [version]: { ok: true, backends: withOpenAi(version === 'v0.4.5'), luaScriptPath: DEFAULT_LUA } },
    // the desired version's folder (v0.4.5), when the host has one: what a v0.4 release and glr leave in it
    desiredFolder: folders.some((f) => f.version === 'v0.4.5') ? desiredFolder('v0.4.5') : null,
    ...over,
  });
}

export function desiredFolder(version: string, extra: string[] = []): NonNullable<Observed['desiredFolder']> {
  return { version, entries: [...RUNBOOK_LINKS, '.glr-prepared', ...extra].sort(), configSha256: null };
}

export function withOpenAi(on: boolean) {
  const b = structuredClone(backends);
  b.openai!.enabled = on;
  return b;
}

export function folder(version: string): VersionFolder {
  return { version, prepared: null, preparing: false, ownDb: false };
}
export function adopted(version: string): VersionFolder {
  return {
    version,
    prepared: { version, origin: 'adopted', at: 't', inputs: { url: null, sha256: null, sharedDb: `${ROOT}/v0.4/data/node/genlayer.db` } },
    preparing: false,
    ownDb: false,
  };
}
export function prepared(version: string, sharedDb = `${ROOT}/v0.4/data/node/genlayer.db`): VersionFolder {
  return {
    version,
    prepared: { version, origin: 'prepared', at: 't', inputs: { url: 'u', sha256: 'a'.repeat(64), sharedDb } },
    preparing: false,
    ownDb: false,
  };
}
export function unfinished(version: string): VersionFolder {
  return { version, prepared: null, preparing: true, ownDb: false };
}

/**
 * A systemd unit that runs the node as `genlayer` (uid 990), its LLM keys in /etc/genlayer/llm.env
 * beside the root's .env, the password on ExecStart: what observe makes of `systemctl show`.
 */
export function nodeUnit(over: Partial<NonNullable<Observed['unit']>> = {}): NonNullable<Observed['unit']> {
  return {
    source: 'unit',
    user: 'genlayer',
    group: 'genlayer',
    owner: { uid: 990, gid: 990 },
    problem: null,
    environmentNames: [],
    environmentFiles: [
      { path: `${ROOT}/.env`, optional: false, inVersion: '.env', exists: true, names: ['VALIDATOR_PASSWORD'], problem: null },
      { path: '/etc/genlayer/llm.env', optional: false, inVersion: null, exists: true, names: ['HEURISTKEY', 'OPENAIKEY'], problem: null },
    ],
    keys: { VALIDATOR_PASSWORD: '.env', HEURISTKEY: '/etc/genlayer/llm.env', OPENAIKEY: '/etc/genlayer/llm.env' },
    password: { literal: true },
    program: `${ROOT}/bin/genlayernode`,
    workingDirectory: ROOT,
    stopTimeoutMs: 90_000,
    ...over,
  };
}

/** The Docker checks on (the WebDriver before the stop, Alloy after a switch), as a real host has them. */
export const withDocker: Partial<Desired> = {
  preflight: { doctor: false, webdriver: 'genlayer-node-webdriver' },
  telemetry: { alloy: { container: 'genlayer-node-alloy', logPath: '/var/log/genlayer/node.log' } },
};
