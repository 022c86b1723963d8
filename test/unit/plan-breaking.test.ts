/**
 * The planner on breaking upgrades (GenLayer: a new consensus deployment needs a DB of its own):
 * decided from the DB the running version uses, the protocol compared before the stop, the new
 * DB created, configFile/envFile and GENLAYERNODE_* overrides, the keystore backed up, the
 * verification by progress; and snapshots before a switch that keeps the DB.
 */
import { describe, expect, it } from 'vitest';
import type { Desired } from '../../src/desired/types.js';
import type { Observed } from '../../src/observe/types.js';
import { plan } from '../../src/plan/plan.js';
import { retentionNow } from '../../src/plan/retention.js';
import { stepsOf } from '../../src/plan/steps.js';
import type { Plan } from '../../src/plan/types.js';
import { adopted, deployment, desired, desiredFolder, healthy, managedHost, nodeUnit, prepared, ROOT, runbookHost, runningFiles, kinds } from './fixtures.js';

const step = <K extends string>(p: Plan, kind: K) =>
  stepsOf(p).find((s) => s.step.kind === kind)?.step as Extract<Plan['prepare'][number], { kind: K }> | undefined;

const OLD_DB = `${ROOT}/v0.4/data/node/genlayer.db`;
const NEW_DB = `${ROOT}/v0.4-asimov2/data/node/genlayer.db`;
const CONFIG = '/etc/genlayer/config-next.yaml';
const configFile = { path: CONFIG, sha256: 'ab'.repeat(32), problem: null };

/** The file asks for v0.4.5 on a DB of its own, with its config. */
const breakingFile = (over: Partial<Desired> = {}) => desired({ sharedDb: NEW_DB, configFile: CONFIG, ...over });
/** v0.4.3 runs (runbook layout) on the v0.4 DB; the new one is not there yet. */
const host = (over: Partial<Observed> = {}) => runbookHost({ sharedDb: { path: NEW_DB, exists: false, isDir: false }, configFile, ...over });

describe('plan: breaking, decided by the DB', () => {
  it('another sharedDb than the running version’s: the DB created empty before the link, the keystore backed up, verified by progress, the old DB named', () => {
    const p = plan(breakingFile(), host());
    expect(p.refusals).toEqual([]);
    const k = kinds(p);
    expect(k.slice(0, 6)).toEqual(['download', 'check-version', 'genvm-setup', 'carry', 'create-db', 'link-db']);
    expect(step(p, 'create-db')).toMatchObject({ sharedDb: NEW_DB, ownerOf: OLD_DB });
    expect(step(p, 'check-version')).toMatchObject({ sameDbAs: null });
    expect(step(p, 'backup')).toMatchObject({ version: 'v0.4.3', keystore: true });
    expect(step(p, 'adopt')).toMatchObject({ version: 'v0.4.3', sharedDb: OLD_DB });
    expect(p.verify).toMatchObject({ syncedBlock: null, progressSeconds: 60, timeoutSeconds: 300 });
    expect(p.onFailure?.window.map((s) => s.kind)).toEqual(['open-journal', 'stop', 'swap', 'start']);
    expect(p.notes).toEqual([
      expect.stringMatching(
        new RegExp(`^breaking switch v0\\.4\\.3 → v0\\.4\\.5: .*${NEW_DB}, created empty, and syncs it.*v0\\.4\\.3's DB ${OLD_DB} is never touched`),
      ),
    ]);
  });

  it('a DB of its own that exists is used as it is (no create-db, a note says so); progressSeconds is at most timeoutSeconds', () => {
    const p = plan(
      breakingFile({ health: { url: 'http://localhost:9153/health', timeoutSeconds: 20, progressSeconds: 60 } }),
      host({ sharedDb: { path: NEW_DB, exists: true, isDir: true } }),
    );
    expect(kinds(p)).not.toContain('create-db');
    expect(p.notes[0]).toMatch(/, as it is \(it exists: make sure it is this deployment's\)/);
    expect(p.verify).toMatchObject({ progressSeconds: 20 });
  });

  it('the same DB: not breaking; the protocol the running node answers with is compared before the stop', () => {
    const o = runbookHost({ health: { ...healthy('v0.4.3'), protocolVersion: 'v0.4:1dd08066' } });
    const p = plan(desired(), o);
    expect(step(p, 'check-version')).toMatchObject({ sameDbAs: { version: 'v0.4.3', protocol: 'v0.4:1dd08066' } });
    expect(step(p, 'check-version')!.description).toMatch(/its Protocol must be v0\.4:1dd08066, as it shares v0\.4\.3's DB/);
    expect(kinds(p)).not.toContain('create-db');
    expect(step(p, 'backup')).toMatchObject({ keystore: false });
    expect(p.verify).toMatchObject({ syncedBlock: 'at-least-noted', progressSeconds: null });
  });

  it('back to an adopted version on the running DB: its protocol is compared too (it may have run on another DB)', () => {
    const p = plan(desired({ version: 'v0.4.3' }), managedHost('v0.4.5', {}, [adopted('v0.4.3'), prepared('v0.4.5')]));
    expect(kinds(p)[0]).toBe('check-version');
    expect(step(p, 'check-version')).toMatchObject({ version: 'v0.4.3', sameDbAs: { version: 'v0.4.5' } });
  });

  it('the same DB through another path (observe: the same device and inode): not breaking', () => {
    const o = host({
      sharedDb: { path: NEW_DB, exists: true, isDir: true },
      deployment: deployment('v0.4.3', { runningDb: { ...deployment('v0.4.3').runningDb!, sharedDbIsIt: true } }),
    });
    expect(step(plan(breakingFile(), o), 'check-version')).toMatchObject({ sameDbAs: { version: 'v0.4.3' } });
  });

  it('the running DB missing is refused; a DB of its own missing is created', () => {
    expect(plan(desired(), runbookHost({ sharedDb: { path: OLD_DB, exists: false, isDir: false } })).refusals).toEqual([
      expect.stringMatching(/^the shared DB \S+ does not exist/),
    ]);
    expect(plan(breakingFile(), host()).refusals).toEqual([]);
  });

  it('a breaking patch release without configFile: refused, with GenLayer’s advice', () => {
    expect(plan(breakingFile({ configFile: null }), host({ configFile: null })).refusals).toEqual([
      expect.stringMatching(
        /^v0\.4\.5 gets a database of its own \(\S+v0\.4-asimov2\S+; v0\.4\.3 runs on \S+\/v0\.4\/\S+\): a breaking upgrade .* set `configFile:` to it$/,
      ),
    ]);
  });

  it('envFile: installed by the carry and recorded by the marker; one that cannot be read, or sets no NODE_PASSWORD, is refused', () => {
    const envFile = { path: '/etc/genlayer/env-next', sha256: 'cd'.repeat(32), names: ['HEURISTKEY', 'NODE_PASSWORD'], problem: null };
    const p = plan(breakingFile({ envFile: envFile.path }), host({ deployment: deployment('v0.4.3', { envFile }) }));
    expect(step(p, 'carry')).toMatchObject({ envFile: envFile.path });
    expect(step(p, 'carry')!.description).toMatch(/install \/etc\/genlayer\/env-next as \.env \(byte for byte, 600\)/);
    expect(step(p, 'mark-prepared')).toMatchObject({ envFile: envFile.path });
    const unreadable = host({ deployment: deployment('v0.4.3', { envFile: { ...envFile, sha256: null, names: [], problem: 'no such file' } }) });
    expect(plan(breakingFile({ envFile: envFile.path }), unreadable).refusals).toEqual([
      'envFile /etc/genlayer/env-next: no such file; set `envFile:` to the .env to install',
    ]);
    const noPassword = host({ deployment: deployment('v0.4.3', { envFile: { ...envFile, names: ['HEURISTKEY'] } }) });
    expect(plan(breakingFile({ envFile: envFile.path }), noPassword).refusals).toEqual([expect.stringMatching(/^envFile \S+ sets no NODE_PASSWORD/)]);
  });

  it('envFile without the password: not refused when the node gets it elsewhere (on ExecStart, or from another of its files)', () => {
    const envFile = { path: '/etc/genlayer/env-next', sha256: 'cd'.repeat(32), names: ['HEURISTKEY'], problem: null };
    const on = (unit: Observed['unit']) =>
      plan(breakingFile({ envFile: envFile.path }), host({ unit, deployment: deployment('v0.4.3', { envFile }) })).refusals;
    // written on ExecStart
    expect(on(nodeUnit())).toEqual([]);
    // --password ${NODE_PASSWORD}, set by a file of the operator's beside .env
    const fromFile = nodeUnit({
      password: { variable: 'NODE_PASSWORD' },
      keys: { NODE_PASSWORD: '/etc/genlayer/llm.env', HEURISTKEY: '/etc/genlayer/llm.env' },
    });
    expect(on(fromFile)).toEqual([]);
    // set only in the .env envFile replaces: refused, naming the variable ExecStart uses
    const fromEnv = nodeUnit({ password: { variable: 'VALIDATOR_PASSWORD' }, keys: { VALIDATOR_PASSWORD: '.env' } });
    expect(on(fromEnv)).toEqual([expect.stringMatching(/^envFile \S+ sets no VALIDATOR_PASSWORD \(ExecStart passes --password \$\{VALIDATOR_PASSWORD\}\)/)]);
  });

  it('a folder prepared with another envFile (or with one the file no longer names) is prepared again', () => {
    const envFile = { path: '/etc/genlayer/env-next', sha256: 'cd'.repeat(32), names: ['NODE_PASSWORD'], problem: null };
    const folder = prepared('v0.4.5', NEW_DB);
    folder.prepared!.inputs.envFileSha256 = 'ef'.repeat(32);
    const o = managedHost('v0.4.3', { sharedDb: { path: NEW_DB, exists: true, isDir: true }, configFile, deployment: deployment('v0.4.3', { envFile }) }, [
      adopted('v0.4.3'),
      folder,
    ]);
    expect(kinds(plan(breakingFile({ envFile: envFile.path }), o))[0]).toBe('remove-version');
    folder.prepared!.inputs.envFileSha256 = envFile.sha256;
    expect(kinds(plan(breakingFile({ envFile: envFile.path }), o))).not.toContain('remove-version');
    expect(kinds(plan(breakingFile(), { ...o, deployment: deployment('v0.4.3') }))[0]).toBe('remove-version');
  });
});

describe('plan: GENLAYERNODE_* overrides (they win over config.yaml)', () => {
  const changed = (keys: string[], envNames: string[]) =>
    host({
      runningFiles: { ...runningFiles('v0.4.3'), envNames: [...envNames, 'HEURISTKEY', 'NODE_PASSWORD', 'OPENAIKEY'] },
      deployment: deployment('v0.4.3', {
        nodeConfig: {
          changedByConfigFile: keys,
          keys: ['consensus.consensusaddress', 'consensus.genesis', 'logging.level', 'node.validatorWalletAddress'],
          drift: null,
        },
      }),
    });

  it('a carried override of a key configFile changes: refused, naming the variable and the key', () => {
    const p = plan(breakingFile(), changed(['consensus.consensusaddress'], ['GENLAYERNODE_CONSENSUS_CONSENSUSADDRESS']));
    expect(p.refusals).toEqual([
      `v0.4.3's .env sets GENLAYERNODE_CONSENSUS_CONSENSUSADDRESS, which overrides config key consensus.consensusaddress, and configFile ${CONFIG} changes consensus.consensusaddress: the new version would run with that value whatever configFile says. Remove GENLAYERNODE_CONSENSUS_CONSENSUSADDRESS from it (or give v0.4.5 its own .env with \`envFile:\`), then run glr again`,
    ]);
  });

  it('an override in another environment file the unit loads counts as well, named by its file', () => {
    const o = changed(['consensus.consensusaddress'], []);
    const unit = nodeUnit({ keys: { ...nodeUnit().keys, GENLAYERNODE_CONSENSUS_CONSENSUSADDRESS: '/etc/genlayer/llm.env' } });
    const p = plan(breakingFile(), { ...o, unit });
    expect(p.refusals).toEqual([
      `/etc/genlayer/llm.env sets GENLAYERNODE_CONSENSUS_CONSENSUSADDRESS, which overrides config key consensus.consensusaddress, and configFile ${CONFIG} changes consensus.consensusaddress: the new version would run with that value whatever configFile says. Remove GENLAYERNODE_CONSENSUS_CONSENSUSADDRESS from it (or give v0.4.5 its own .env with \`envFile:\`), then run glr again`,
    ]);
  });

  it('every other override is a warning, once: keys configFile keeps, camelCase keys, keys the config does not have', () => {
    const p = plan(
      breakingFile(),
      changed(['consensus.consensusaddress'], ['GENLAYERNODE_LOGGING_LEVEL', 'GENLAYERNODE_NODE_VALIDATORWALLETADDRESS', 'GENLAYERNODE_NODE_OPERATOR_TOKEN']),
    );
    expect(p.refusals).toEqual([]);
    expect(p.warnings).toEqual([
      "v0.4.3's .env sets GENLAYERNODE_LOGGING_LEVEL: it overrides config key logging.level; config.yaml's value does not count while it is set",
      "v0.4.3's .env sets GENLAYERNODE_NODE_OPERATOR_TOKEN: it overrides config key node.operator.token (no such key in config.yaml); config.yaml's value does not count while it is set",
      "v0.4.3's .env sets GENLAYERNODE_NODE_VALIDATORWALLETADDRESS: it overrides config key node.validatorWalletAddress; config.yaml's value does not count while it is set",
    ]);
  });

  it('with envFile the running .env is not carried: its overrides are not refused; the envFile’s are warned about', () => {
    const envFile = { path: '/etc/genlayer/env-next', sha256: 'cd'.repeat(32), names: ['GENLAYERNODE_CONSENSUS_GENESIS', 'NODE_PASSWORD'], problem: null };
    const o = changed(['consensus.consensusaddress'], ['GENLAYERNODE_CONSENSUS_CONSENSUSADDRESS']);
    const p = plan(breakingFile({ envFile: envFile.path }), { ...o, deployment: { ...o.deployment, envFile } });
    expect(p.refusals).toEqual([]);
    expect(p.warnings).toEqual([
      expect.stringMatching(/^envFile \/etc\/genlayer\/env-next sets GENLAYERNODE_CONSENSUS_GENESIS: it overrides config key consensus\.genesis;/),
    ]);
  });

  it('config drift of a folder prepared earlier: warnings naming key paths only', () => {
    const o = managedHost('v0.4.3', {
      desiredFolder: desiredFolder('v0.4.5'),
      deployment: deployment('v0.4.3', {
        nodeConfig: {
          changedByConfigFile: null,
          keys: [],
          drift: { missing: ['consensus.chain_submit_buffer', 'rollup.provider'], extra: ['consensus.contractmainaddress'] },
        },
      }),
    });
    expect(plan(desired(), o).warnings).toEqual([
      "v0.4.5's configs/node/config.yaml.example has consensus.chain_submit_buffer, rollup.provider, which the config.yaml v0.4.5 runs with lacks (GenLayer: releases add keys; do not copy config blindly): the node uses its defaults for them",
      "the config.yaml v0.4.5 runs with has consensus.contractmainaddress, which v0.4.5's config.yaml.example does not (renamed or dropped by the release?)",
    ]);
  });
});

describe('plan: a snapshot before a switch that keeps the DB', () => {
  const TOKEN = 'GENLAYERNODE_NODE_OPERATOR_TOKEN';
  const d = (restoreOnRollback = false) => desired({ version: 'v0.5.12', snapshots: { beforeSwitch: true, keep: 2, restoreOnRollback } });
  const o = (over: Partial<Observed> = {}, envNames = [TOKEN, 'HEURISTKEY', 'NODE_PASSWORD', 'OPENAIKEY']) =>
    managedHost('v0.5.11', { runningFiles: { ...runningFiles('v0.5.11'), envNames }, deployment: deployment('v0.5.11'), ...over }, [
      adopted('v0.5.11'),
      prepared('v0.5.12'),
    ]);

  it('taken after the backup, into .glr/snapshots named by the time and the version; restoreOnRollback: put back between the stop and the swap', () => {
    const p = plan(d(true), o());
    const k = kinds(p);
    expect(k.indexOf('snapshot')).toBe(k.indexOf('backup') + 1);
    const dest = `${ROOT}/.glr/snapshots/2026-11-24T12-00-00-000Z-v0.5.11`;
    expect(step(p, 'snapshot')).toMatchObject({ version: 'v0.5.11', db: OLD_DB, dest, url: 'http://localhost:9153/snapshot', keep: 2 });
    expect(p.onFailure?.window.map((s) => s.kind)).toEqual(['open-journal', 'stop', 'restore-db', 'swap', 'start']);
    expect(p.onFailure?.window[2]).toMatchObject({ version: 'v0.5.12', snapshot: dest, db: OLD_DB, aside: `${OLD_DB}.2026-11-24T12-00-00-000Z-v0.5.12` });
    expect(plan(d(false), o()).onFailure?.window.map((s) => s.kind)).toEqual(['open-journal', 'stop', 'swap', 'start']);
  });

  it('the plan names the older snapshots it removes: the newest `keep` stay, the one it takes among them', () => {
    const dir = `${ROOT}/.glr/snapshots`;
    const entry = (at: string, version: string) => ({ name: `${at}-${version}`, path: `${dir}/${at}-${version}`, version, at: 't' });
    const entries = [entry('2026-11-20T10-00-00-000Z', 'v0.5.10'), entry('2026-11-21T10-00-00-000Z', 'v0.5.11'), entry('2026-11-22T10-00-00-000Z', 'v0.5.11')];
    const withThree = o({ deployment: deployment('v0.5.11', { snapshots: { dir, entries, onDbFilesystem: true } }) });
    const s = step(plan(d(), withThree), 'snapshot')!;
    expect(s).toMatchObject({ remove: [entries[0]!.path, entries[1]!.path] });
    expect(s.description).toContain(`then remove ${entries[0]!.path}, ${entries[1]!.path} (the newest 2 kept)`);
    expect(step(plan(d(), o()), 'snapshot')).toMatchObject({ remove: [] });
    const keepFive = desired({ version: 'v0.5.12', snapshots: { beforeSwitch: true, keep: 5, restoreOnRollback: false } });
    expect(step(plan(keepFive, withThree), 'snapshot')).toMatchObject({ remove: [] });
  });

  it('a node older than v0.5.11 or not running: a warning, no snapshot; no token in its .env, or the snapshots folder on another filesystem: refused', () => {
    const old = plan(desired({ snapshots: { beforeSwitch: true, keep: 2, restoreOnRollback: true } }), managedHost('v0.4.3'));
    expect(kinds(old)).not.toContain('snapshot');
    expect(old.warnings).toContain(
      'snapshots.beforeSwitch: v0.4.3 does not serve POST /snapshot (v0.5.11+): no snapshot is taken before this switch, and a rollback cannot restore one',
    );
    const stopped = plan(
      d(),
      o({ service: { state: 'stopped', problem: null, enabled: null }, health: { ...healthy('v0.5.11'), answered: false, httpStatus: null } }),
    );
    expect(stopped.warnings).toContain('snapshots.beforeSwitch: the node is not running: no snapshot is taken before this switch');
    expect(plan(d(), o({}, ['NODE_PASSWORD', 'OPENAIKEY'])).refusals).toEqual([
      expect.stringMatching(/^snapshots\.beforeSwitch: v0\.5\.11's \.env sets no GENLAYERNODE_NODE_OPERATOR_TOKEN/),
    ]);
    // a unit's host: the token in any file the node loads (as the snapshot step looks it up)
    const unit = (keys: Record<string, string>) => o({ unit: nodeUnit({ keys }) }, ['NODE_PASSWORD']);
    expect(plan(d(), unit({ [TOKEN]: '/etc/genlayer/llm.env' })).refusals).toEqual([]);
    expect(plan(d(), unit({ OPENAIKEY: '/etc/genlayer/llm.env' })).refusals).toEqual([
      expect.stringMatching(
        /^snapshots\.beforeSwitch: none of the node's environment files \(\.env, \/etc\/genlayer\/llm\.env\) sets GENLAYERNODE_NODE_OPERATOR_TOKEN/,
      ),
    ]);
    const elsewhere = o({ deployment: deployment('v0.5.11', { snapshots: { dir: `${ROOT}/.glr/snapshots`, entries: [], onDbFilesystem: false } }) });
    expect(plan(d(), elsewhere).refusals).toEqual([expect.stringMatching(/is not on the filesystem of the shared DB/)]);
  });

  it('a breaking switch takes none (the old DB is never touched)', () => {
    expect(kinds(plan(breakingFile({ snapshots: { beforeSwitch: true, keep: 2, restoreOnRollback: true } }), host()))).not.toContain('snapshot');
  });
});

describe('plan: a node started again on the desired version', () => {
  const down = { service: { state: 'stopped' as const, problem: null, enabled: null }, health: { ...healthy('v0.4.5'), answered: false, httpStatus: null } };
  const journal = { leaving: 'v0.4.3', entering: 'v0.4.5', phase: 'swapped' as const, at: 't', startedAt: 't', pid: 1 };

  it('with nowhere to go back to: accepted once its sync progresses (a long sync is never exit 4)', () => {
    expect(plan(desired(), managedHost('v0.4.5', down)).verify).toMatchObject({ progressSeconds: 60 });
  });

  it('after an interrupted switch: healthy, or rolled back; after an interrupted breaking one: by its progress', () => {
    expect(plan(desired(), managedHost('v0.4.5', { ...down, journal })).verify).toMatchObject({ progressSeconds: null });
    expect(plan(desired(), managedHost('v0.4.5', { ...down, journal: { ...journal, breaking: true } })).verify).toMatchObject({ progressSeconds: 60 });
  });
});

describe('retention never removes a DB', () => {
  it('a version folder with a DB of its own, or holding the sharedDb, is kept ("database")', () => {
    const own = { ...prepared('v0.4.1'), ownDb: true };
    const holding = prepared('v0.4.2');
    const o = managedHost('v0.4.5', {}, [own, holding, adopted('v0.4.3'), prepared('v0.4.4'), prepared('v0.4.5')]);
    const r = retentionNow(desired({ retain: 0, sharedDb: `${ROOT}/v0.4.2/db/genlayer.db` }), o);
    expect(r.keep.filter((k) => k.why === 'database').map((k) => k.version)).toEqual(['v0.4.1', 'v0.4.2']);
    expect(r.remove.map((x) => x.version)).toEqual(['v0.4.4']);
  });
});
