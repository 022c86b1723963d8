/**
 * A series change (v0.4 → v0.5, which GenLayer's upgrade notes call breaking) on a
 * runbook host running v0.4.3. Without `configFile` it is refused (the v0.4 config carried into
 * v0.5 would stop the node: v0.5.0 replaced contractmainaddress/contractdataaddress with
 * consensusaddress). It is a breaking switch (the v0.5 shared DB is not the one v0.4.3 runs on):
 * the v0.5 DB is created empty when it is not there (never by a dry-run), the plan says plainly
 * what glr does and what GenLayer says the operator must do besides, and the switch goes through
 * with the given config, the v0.5 DB and every v0.5 entry linked, the v0.4 DB untouched.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_EXAMPLE } from '../../sandbox/release-files.js';
import { SANDBOX_VALIDATOR_WALLET } from '../../sandbox/host.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { expectRefusal } from '../helpers/hostile.js';
import { leakedSecrets, planKinds, runGlr } from '../helpers/glr.js';
import type { Plan } from '../../src/plan/types.js';

const V = 'v0.5.11';
let sb: Sandbox;
let configFile: string;
let v05Db: string;

beforeAll(async () => {
  sb = await createSandbox();
  await sb.publish({ version: V });
  v05Db = sb.host.sharedDb(V);
  // the operator's v0.5 config, written from the release's example as GenLayer's notes say
  configFile = path.join(sb.host.dir, 'config-v0.5.yaml');
  writeFileSync(
    configFile,
    CONFIG_EXAMPLE.replace(/genlayerchainrpcurl: "[^"]*"/, 'genlayerchainrpcurl: "https://zksync.example/rpc"')
      .replace(/genlayerchainwebsocketurl: "[^"]*"/, 'genlayerchainwebsocketurl: "wss://zksync.example/ws"')
      .replace(/validatorWalletAddress: ""/, `validatorWalletAddress: "${SANDBOX_VALIDATOR_WALLET}"`)
      .replace(/( {2}ops:\n {4}port:) 9153/, `$1 ${sb.host.opsPort}`),
  );
  chmodSync(configFile, 0o640);
});
afterAll(async () => sb?.cleanup());

describe('v0.4.3 → v0.5.11: a series change', () => {
  it('without configFile: refused, naming GenLayer’s upgrade notes (dry-run too)', async () => {
    mkdirSync(v05Db, { recursive: true });
    try {
      await expectRefusal(sb.host, sb.host.writeDesired({ version: V }), {
        refused: V,
        dryRun: 'same',
        line: /^glr: v0\.5\.11 is a v0\.5 release and v0\.4\.3 \(v0\.4\) runs: a series change, not a patch switch\. GenLayer's upgrade notes: do not carry config\.yaml across a series \(v0\.5\.0 replaced consensus\.contractmainaddress and contractdataaddress with consensusaddress\) and do not copy the old database\. Write v0\.5\.11's config\.yaml from its configs\/node\/config\.yaml\.example and set `configFile:` to it \(v0\.5\.11 gets the v0\.5 shared DB \S+\/v0\.5\/data\/node\/genlayer\.db, created empty when it is not there\)$/,
      });
    } finally {
      rmSync(path.join(sb.host.root, 'v0.5'), { recursive: true, force: true });
    }
  });

  it('with configFile but no v0.5 shared DB: planned, created empty (never by the dry-run)', async () => {
    const dry = await runGlr(['reconcile', '--dry-run', '-f', sb.host.writeDesired({ version: V, configFile })]);
    expect(dry.code, dry.stdout + dry.stderr).toBe(2);
    expect(dry.stdout).toContain(`create ${v05Db}, empty, for v0.5.11's DB (the node syncs it from genesis; nothing of the running DB is copied or touched)`);
    expect(dry.stdout).toMatch(/notes\n {2}- breaking switch v0\.4\.3 → v0\.5\.11: v0\.5\.11 runs on its own DB \S+, created empty, and syncs it/);
    expect(existsSync(path.join(sb.host.root, 'v0.5'))).toBe(false);
  });

  it('with configFile and the v0.5 DB: the plan says it is a breaking switch and what the operator must do besides', async () => {
    mkdirSync(v05Db, { recursive: true });
    const file = sb.host.writeDesired({ version: V, configFile });
    const text = await runGlr(['reconcile', '--dry-run', '-f', file]);
    expect(text.code, text.stderr).toBe(2);
    expect(text.stdout).toContain(`install ${configFile} as configs/node/config.yaml (byte for byte); carry .env`);
    expect(text.stdout).toMatch(
      /notes\n {2}- breaking switch v0\.4\.3 → v0\.5\.11: v0\.5\.11 runs on its own DB \S+, as it is \(it exists: make sure it is this deployment's\).* What GenLayer's upgrade guide says you must do besides: stake again through the validator wizard/,
    );
    const json = await runGlr(['reconcile', '--dry-run', '--json', '-f', file]);
    const p = JSON.parse(json.stdout) as Plan;
    expect(p.prepare.find((s) => s.kind === 'carry')).toMatchObject({ configFile });
    // another DB: the synced block of v0.4's is not compared; the sync's progress is
    expect(p.verify).toMatchObject({ version: V, syncedBlock: null, progressSeconds: 10 });
    expect(planKinds(json.stdout)).toContain('link-release');
  });

  it('and switched: the given config byte for byte, the v0.5 DB, every v0.5 entry linked through current; the v0.4 DB untouched', async () => {
    const v04Records = sb.host.dbRecords().length;
    const r = await runGlr(['reconcile', '-f', sb.host.file]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await sb.host.healthyOn(V)).toBe(true);
    const dir = path.join(sb.host.root, V);
    expect(readFileSync(path.join(dir, 'configs/node/config.yaml')).equals(readFileSync(configFile))).toBe(true);
    expect(statSync(path.join(dir, 'configs/node/config.yaml')).mode & 0o777).toBe(0o640);
    expect(readlinkSync(path.join(dir, 'data/node/genlayer.db'))).toBe(v05Db);
    expect(existsSync(path.join(v05Db, 'writes.log'))).toBe(true);
    // v0.4.3 wrote its DB until it stopped; v0.5.11 never wrote there
    expect(new Set(sb.host.dbRecords().map((x) => x.version))).toEqual(new Set(['v0.4.3']));
    expect(sb.host.dbRecords().length).toBeGreaterThanOrEqual(v04Records);
    const real = realpathSync(sb.host.root);
    for (const name of ['alloy-config.river', 'alloy-healthcheck.sh', 'genvm-module-web-docker.yaml', 'bin', '.env']) {
      expect(lstatSync(path.join(sb.host.root, name)).isSymbolicLink(), name).toBe(true);
      expect(readlinkSync(path.join(sb.host.root, name)), name).toBe(`current/${name}`);
      expect(path.relative(real, realpathSync(path.join(sb.host.root, name))).split(path.sep)[0]).toBe(V);
    }
    expect(leakedSecrets(r.stdout, r.stderr)).toEqual([]);
  });

  it('back to v0.4.3 (adopted, kept to roll back to): no configFile needed, its own config kept; the links v0.4.3 lacks dangle through current', async () => {
    const config = readFileSync(path.join(sb.host.root, 'v0.4.3/configs/node/config.yaml'));
    const dry = await runGlr(['reconcile', '--dry-run', '-f', sb.host.writeDesired({ version: 'v0.4.3' })]);
    expect(dry.code, dry.stdout + dry.stderr).toBe(2);
    expect(dry.stdout).toMatch(/series change v0\.5 → v0\.4: v0\.4\.3 is already on the host and runs with the config\.yaml it has/);
    const r = await runGlr(['reconcile', '-f', sb.host.file]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await sb.host.healthyOn('v0.4.3')).toBe(true);
    expect(sb.host.linkVersions()).toEqual(['v0.4.3']);
    // a name only v0.5 ships resolves nowhere (never into v0.5.11 while v0.4.3 runs)
    expect(readlinkSync(path.join(sb.host.root, 'alloy-config.river'))).toBe('current/alloy-config.river');
    expect(existsSync(path.join(sb.host.root, 'alloy-config.river'))).toBe(false);
    expect(readFileSync(path.join(sb.host.root, 'v0.4.3/configs/node/config.yaml')).equals(config)).toBe(true);
  });
});
