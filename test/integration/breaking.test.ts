/**
 * Breaking upgrades as GenLayer defines them (genlayer-docs pages/validators/upgrade.mdx): a new
 * consensus deployment, whose database cannot be reused. The new version gets a DB of its own,
 * created empty, and syncs it from genesis (503 "node is not synced" meanwhile); the old DB is
 * never touched, so a rollback returns to the old version on it. The release's own protocol is
 * compared with the running node's before the stop: another protocol on the same DB is refused.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SANDBOX_ENV, SANDBOX_KEYSTORE, waitFor, writeEnv, type SandboxHost } from '../../sandbox/host.js';
import { expectRefusal } from '../helpers/hostile.js';
import { leakedSecrets, runGlr } from '../helpers/glr.js';
import { sandboxEachTest } from '../helpers/sandbox.js';

const each = sandboxEachTest();

/** v0.5.12: a new consensus deployment (its own protocol) */
const NEW_PROTOCOL = 'v0.5:7e3b9a40';
const NEW_CONSENSUS = '0x7e3b9a40c0ffee00000000000000000000000005';

/** The new deployment's config.yaml, as an operator writes it from the running one: the new consensus address and genesis. */
function newConfig(host: SandboxHost): string {
  const running = readFileSync(path.join(host.root, 'v0.5.11/configs/node/config.yaml'), 'utf8');
  const file = path.join(host.dir, 'config-v0.5.12.yaml');
  writeFileSync(file, running.replace(/consensusaddress: "[^"]*"/, `consensusaddress: "${NEW_CONSENSUS}"`).replace(/genesis: \d+/, 'genesis: 1000'));
  return file;
}

/** The new version's .env, written by the operator (mode 600). */
function newEnv(host: SandboxHost): string {
  const file = path.join(host.dir, 'env-v0.5.12');
  writeEnv(file, { ...SANDBOX_ENV, WEBDRIVER_PORT: '4445' });
  return file;
}

/** Where v0.5.12's own DB goes. */
const ownDb = (host: SandboxHost) => path.join(host.root, 'v0.5-asimov2/data/node/genlayer.db');

/** v0.5.12 as its own deployment: a DB of its own, the new config.yaml and .env; what health allows it. */
function ownDeployment(host: SandboxHost, health: { timeoutSeconds: number; progressSeconds: number }): { file: string; sharedDb: string } {
  const sharedDb = ownDb(host);
  const file = host.writeDesired({ version: 'v0.5.12', sharedDb, configFile: newConfig(host), envFile: newEnv(host), ...health });
  return { file, sharedDb };
}

/** Every file of a DB folder with its sha256: what "byte for byte" compares. */
function dbDigest(db: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(db)
      .sort()
      .map((n) => [
        n,
        createHash('sha256')
          .update(readFileSync(path.join(db, n)))
          .digest('hex'),
      ]),
  );
}

describe('a breaking upgrade: a DB of its own, synced from genesis', () => {
  it('v0.5.11 → v0.5.12 (new protocol) with its own sharedDb, configFile and envFile, syncing past timeoutSeconds while progressing: exit 0; the old DB untouched; the keystore backed up; a second pass while it syncs writes nothing', async () => {
    const s = await each.sandbox({ running: 'v0.5.11' });
    await s.publish({ version: 'v0.5.12', protocol: NEW_PROTOCOL, syncMs: 300_000 });
    const { file, sharedDb } = ownDeployment(s.host, { timeoutSeconds: 6, progressSeconds: 2 });

    const dry = await runGlr(['reconcile', '--dry-run', '-f', file]);
    expect(dry.code, dry.stderr).toBe(2);
    expect(dry.stdout).toContain(`create ${sharedDb}, empty, for v0.5.12's DB`);
    expect(dry.stdout).toMatch(/back up \.env, config\.yaml and the keystore of v0\.5\.11/);
    expect(dry.stdout).toMatch(/its sync makes progress .* over 2 s, within 6 s; otherwise roll back to v0\.5\.11/);
    expect(dry.stdout).toMatch(/stake again through the validator wizard/);
    expect(existsSync(sharedDb), 'the dry-run created the DB').toBe(false);

    const r = await runGlr(['reconcile', '-f', file]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^v0\.5\.12 runs and is syncing: \d+ blocks behind \(its sync makes progress; switch window \d+ ms\)$/m);
    expect(leakedSecrets(r.stdout, r.stderr)).toEqual([]);
    // after the stop nothing touched the old DB: its last record is the old node's, and it stays so while the new one syncs
    const oldDb = s.host.db;
    const after = dbDigest(oldDb);
    expect(new Set(s.host.dbRecords(oldDb).map((x) => x.version))).toEqual(new Set(['v0.5.11']));
    // the new node runs as v0.5.12 on its own DB, still syncing well past timeoutSeconds
    const h = await s.host.health();
    expect([h?.status, h?.body.node_version, h?.body.status]).toEqual([503, 'v0.5.12', 'down']);
    expect(realTarget(s.host, 'v0.5.12')).toBe(sharedDb);
    expect(realTarget(s.host, 'v0.5.11')).toBe(oldDb);
    await waitFor(() => s.host.dbRecords(sharedDb).length > 3, { timeoutMs: 10_000, what: 'the new node to write to its own DB' });
    expect(new Set(s.host.dbRecords(sharedDb).map((x) => x.version))).toEqual(new Set(['v0.5.12']));
    expect(dbDigest(oldDb)).toEqual(after);
    // envFile installed byte for byte, mode 600; configFile as config.yaml
    expect(readFileSync(path.join(s.host.root, 'v0.5.12/.env'), 'utf8')).toBe(readFileSync(path.join(s.host.dir, 'env-v0.5.12'), 'utf8'));
    expect(statSync(path.join(s.host.root, 'v0.5.12/.env')).mode & 0o777).toBe(0o600);
    // the keystore backed up before the stop: folder 700, files 600, the same key
    const backups = path.join(s.host.root, '.glr/backups');
    const withKeystore = readdirSync(backups).filter((b) => existsSync(path.join(backups, b, 'keystore')));
    expect(withKeystore).toHaveLength(1);
    const ks = path.join(backups, withKeystore[0]!, 'keystore');
    expect(statSync(ks).mode & 0o777).toBe(0o700);
    const keys = readdirSync(ks);
    expect(keys).toEqual([expect.stringMatching(/^UTC--/)]);
    expect(statSync(path.join(ks, keys[0]!)).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(ks, keys[0]!), 'utf8')).toBe(SANDBOX_KEYSTORE);

    // status while it syncs: blocks behind, the pace since glr accepted it, an estimate
    const status = await runGlr(['status', '-f', file]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^sync {6}syncing: \d+ blocks behind \(synced \d+ of \d+\)$/m);
    expect(status.stdout).toMatch(/^ {10}\d+ blocks\/s since glr accepted it \S+ \S+: caught up in about .+ \(an estimate, at this pace\)$/m);
    const json = JSON.parse((await runGlr(['status', '--json', '-f', file])).stdout) as { sync: { syncing: boolean; pace: Record<string, unknown> } };
    expect(json.sync).toMatchObject({ syncing: true, pace: { from: 'switch' } });
    // the shape docs/status.md gives
    expect(Object.keys(json.sync.pace).sort()).toEqual(['blocksPerSecond', 'doneInSeconds', 'from', 'since']);

    // the host on v0.5.12 while it syncs is converged: nothing restarts, nothing is written under the root
    const tree = s.host.tree();
    const journal = readFileSync(path.join(s.host.root, '.glr/journal.json'), 'utf8');
    const history = readFileSync(path.join(s.host.root, '.glr/history.jsonl'), 'utf8');
    const stopped = s.host.serviceCount('stop');
    const again = await runGlr(['reconcile', '-f', file]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^converged: v0\.5\.12 runs and is syncing: \d+ blocks behind; nothing to do until it has caught up$/m);
    expect(s.host.serviceCount('stop')).toBe(stopped);
    expect(readFileSync(path.join(s.host.root, '.glr/journal.json'), 'utf8')).toBe(journal);
    expect(readFileSync(path.join(s.host.root, '.glr/history.jsonl'), 'utf8')).toBe(history);
    expect(s.host.tree().filter((l) => !l.startsWith('v0.5-asimov2/'))).toEqual(tree.filter((l) => !l.startsWith('v0.5-asimov2/')));
  });

  it('the same release on the old DB: refused before the stop (exit 1), naming both protocols', async () => {
    const s = await each.sandbox({ running: 'v0.5.11' });
    await s.publish({ version: 'v0.5.12', protocol: NEW_PROTOCOL });
    const file = s.host.writeDesired({ version: 'v0.5.12', configFile: newConfig(s.host) });
    await expectRefusal(s.host, file, {
      running: 'v0.5.11',
      refused: 'v0.5.12',
      line: /^glr: v0\.5\.12 speaks protocol v0\.5:7e3b9a40 and v0\.5\.11 runs protocol v0\.5:5a1e04df: a new consensus deployment \(GenLayer calls it breaking\), whose database cannot be reused, and v0\.5\.12 would share v0\.5\.11's\. Give v0\.5\.12 its own `sharedDb:` .* and its own `configFile:`; nothing was stopped$/,
    });
    expect(s.host.serviceCount('stop')).toBe(0);
  });

  it('a sync that stalls: rolled back to v0.5.11 on its own DB, untouched (exit 3)', async () => {
    const s = await each.sandbox({ running: 'v0.5.11' });
    await s.publish({ version: 'v0.5.12', protocol: NEW_PROTOCOL, syncMs: 300_000, stallAfterMs: 0 });
    const { file, sharedDb } = ownDeployment(s.host, { timeoutSeconds: 4, progressSeconds: 2 });
    const r = await runGlr(['reconcile', '-f', file]);
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toMatch(/v0\.5\.12 runs but its sync made no progress within 4 s \(synced block 1000 → 1000, \d+ → \d+ blocks behind\)/);
    expect(r.stdout).toMatch(/rolled back: v0\.5\.11 is healthy again/);
    expect(await s.host.healthyOn('v0.5.11')).toBe(true);
    expect(s.host.linkVersions()).toEqual(['v0.5.11']);
    // back on the old DB: the old node goes on writing there; the new DB kept what the new node wrote
    const before = s.host.dbRecords().length;
    await waitFor(() => s.host.dbRecords().length > before + 3, { timeoutMs: 10_000, what: 'v0.5.11 to write to its DB again' });
    expect(new Set(s.host.dbRecords().map((x) => x.version))).toEqual(new Set(['v0.5.11']));
    expect(new Set(s.host.dbRecords(sharedDb).map((x) => x.version))).toEqual(new Set(['v0.5.12']));
    expect(s.host.doubleRuns()).toEqual([]);
  });

  it('a carried .env override that would defeat the new config: refused, naming the variable and the key, never the value', async () => {
    const old = '0x0ldc0n5en5u5000000000000000000000000000a';
    const s = await each.sandbox({ running: 'v0.5.11', env: { ...SANDBOX_ENV, GENLAYERNODE_CONSENSUS_CONSENSUSADDRESS: old } });
    await s.publish({ version: 'v0.5.12', protocol: NEW_PROTOCOL });
    const file = s.host.writeDesired({
      version: 'v0.5.12',
      sharedDb: ownDb(s.host),
      configFile: newConfig(s.host),
    });
    const r = await expectRefusal(s.host, file, {
      running: 'v0.5.11',
      refused: 'v0.5.12',
      dryRun: 'same',
      line: /^glr: v0\.5\.11's \.env sets GENLAYERNODE_CONSENSUS_CONSENSUSADDRESS, which overrides config key consensus\.consensusaddress, and configFile \S+ changes consensus\.consensusaddress: the new version would run with that value whatever configFile says\. Remove GENLAYERNODE_CONSENSUS_CONSENSUSADDRESS from it \(or give v0\.5\.12 its own \.env with `envFile:`\), then run glr again$/,
    });
    expect(r.stdout + r.stderr).not.toContain(old);
    expect(r.stdout + r.stderr).not.toContain(NEW_CONSENSUS);
  });
});

/** Where a version's DB link leads (absolute). */
function realTarget(host: SandboxHost, version: string): string {
  const link = path.join(host.root, version, 'data/node/genlayer.db');
  return path.resolve(path.dirname(link), readlinkSync(link));
}
