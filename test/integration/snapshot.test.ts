/**
 * snapshots.beforeSwitch and restoreOnRollback: before a switch that keeps the DB, the running
 * node (v0.5.11+) writes a consistent checkpoint of it (POST /snapshot, its operator token from
 * the .env); a rollback of a release that migrated the DB puts the DB back as the snapshot had
 * it, so that the old version can start on it: for such a release, the only way back.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SANDBOX_ENV, waitFor } from '../../sandbox/host.js';
import { runGlr } from '../helpers/glr.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.cleanup();
  sb = undefined;
});

const TOKEN = 'tok-sandbox-4b1d9e7a2c6f8035';

const snapshotsOf = (s: Sandbox) => {
  const dir = path.join(s.host.root, '.glr/snapshots');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
};

const records = (db: string) =>
  readFileSync(path.join(db, 'writes.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const [seq, pid, version] = l.split(' ');
      return { seq: Number(seq), pid: Number(pid), version: version! };
    });

async function host(): Promise<Sandbox> {
  return (sb = await createSandbox({ running: 'v0.5.11', env: { ...SANDBOX_ENV, GENLAYERNODE_NODE_OPERATOR_TOKEN: TOKEN } }));
}

describe('a snapshot before the stop', () => {
  it('taken by the running node with the token of its .env (a token it did not start with: refused, nothing stopped); status lists them; the newest `keep` are kept', async () => {
    const s = await host();
    await s.publish({ version: 'v0.5.12' });
    await s.publish({ version: 'v0.5.13' });
    const file = s.host.writeDesired({ version: 'v0.5.12', snapshots: { beforeSwitch: true, keep: 1 } });
    const dry = await runGlr(['reconcile', '--dry-run', '-f', file]);
    expect(dry.stdout).toMatch(
      /snapshot v0\.5\.11's DB \S+ while it runs: POST http:\/\/127\.0\.0\.1:\d+\/snapshot \{"destDir": "\S+\/\.glr\/snapshots\/\S+-v0\.5\.11"\} with the operator token from v0\.5\.11's \.env \(never shown\); keep the newest 1 snapshot\(s\)/,
    );

    // the .env's token is not the one the node read at its start: the node says 401
    const env = path.join(s.host.root, 'v0.5.11/.env');
    const text = readFileSync(env, 'utf8');
    writeFileSync(env, text.replace(TOKEN, 'tok-sandbox-0ther0ne'));
    const refused = await runGlr(['reconcile', '-f', file]);
    expect(refused.code, refused.stdout + refused.stderr).toBe(1);
    expect(refused.stderr).toMatch(
      /^glr: snapshots\.beforeSwitch: the node refused the operator token \(401 \(unauthorized\)\): GENLAYERNODE_NODE_OPERATOR_TOKEN in the \.env is not the one the node read at its start \(it reads it then\); nothing was stopped$/m,
    );
    expect(refused.stdout + refused.stderr).not.toMatch(/tok-sandbox/);
    expect(await s.host.healthyOn('v0.5.11')).toBe(true);
    expect(snapshotsOf(s)).toEqual([]);
    writeFileSync(env, text);

    const r = await runGlr(['reconcile', '-f', file]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
    const [first] = snapshotsOf(s);
    expect(first).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-v0\.5\.11$/);
    // a checkpoint of the DB as it was: the old node's records, none of the new one's
    const taken = records(path.join(s.host.root, '.glr/snapshots', first!));
    expect(new Set(taken.map((x) => x.version))).toEqual(new Set(['v0.5.11']));
    expect(taken.map((x) => x.seq)).toEqual(taken.map((_, i) => i + 1));
    const status = await runGlr(['status', '-f', file]);
    expect(status.stdout).toMatch(new RegExp(`^snapshots \\S+/\\.glr/snapshots/${first} \\(v0\\.5\\.11's DB, \\S+ \\S+Z\\)$`, 'm'));

    // the next switch takes its own; keep 1: the older one goes
    const next = await runGlr(['reconcile', '-f', s.host.writeDesired({ version: 'v0.5.13', snapshots: { beforeSwitch: true, keep: 1 } })]);
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(snapshotsOf(s)).toEqual([expect.stringMatching(/-v0\.5\.12$/)]);
  });
});

describe('a release that migrates the DB, rolled back', () => {
  it('with restoreOnRollback: the DB back as the snapshot had it, the old version starts on it and writes on from there (exit 3); what the new one wrote is kept aside', async () => {
    const s = await host();
    await s.publish({ version: 'v0.5.12', dbFormat: 2, mode: 'die-after-boot' });
    const file = s.host.writeDesired({ version: 'v0.5.12', timeoutSeconds: 8, snapshots: { beforeSwitch: true, restoreOnRollback: true } });
    const dry = await runGlr(['reconcile', '--dry-run', '-f', file]);
    expect(dry.stdout).toMatch(
      /^ {3}- put the DB back as the snapshot had it: \S+ \(what v0\.5\.12 wrote\) renamed aside to \S+ \(kept; glr never deletes it\), then \S+ renamed into its place$/m,
    );

    const r = await runGlr(['reconcile', '-f', file]);
    expect(r.code, r.stdout + r.stderr).toBe(3);
    const aside = /the DB v0\.5\.12 wrote is kept at (\S+) \(glr never deletes it\)/.exec(r.stdout)?.[1];
    expect(aside, r.stdout).toBeDefined();
    expect(r.stdout).toMatch(/rolled back: v0\.5\.11 is healthy again/);
    expect(await s.host.healthyOn('v0.5.11')).toBe(true);
    // the DB v0.5.12 migrated is kept aside, as it left it; the snapshot went back in its place
    expect(readFileSync(path.join(aside!, 'FORMAT'), 'utf8').trim()).toBe('2');
    expect(records(aside!).some((x) => x.version === 'v0.5.12')).toBe(true);
    expect(existsSync(path.join(s.host.db, 'FORMAT'))).toBe(false);
    expect(snapshotsOf(s)).toEqual([]);
    // what the old node writes now follows the snapshot's last record: none lost, none repeated
    const before = records(s.host.db).length;
    await waitFor(() => records(s.host.db).length > before + 5, { timeoutMs: 10_000, what: 'v0.5.11 to write on the restored DB' });
    const now = records(s.host.db);
    expect(now.map((x) => x.seq)).toEqual(now.map((_, i) => i + 1));
    expect(new Set(now.map((x) => x.version))).toEqual(new Set(['v0.5.11']));
    expect(new Set(now.map((x) => x.pid)).size).toBe(2);
    expect(s.host.doubleRuns()).toEqual([]);
  });

  it('without restoreOnRollback: the old version cannot start on the migrated DB (exit 4)', async () => {
    const s = await host();
    await s.publish({ version: 'v0.5.12', dbFormat: 2, mode: 'die-after-boot' });
    const r = await runGlr(['reconcile', '-f', s.host.writeDesired({ version: 'v0.5.12', timeoutSeconds: 4, snapshots: { beforeSwitch: true } })]);
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stdout).toMatch(
      /the rollback to v0\.5\.11 failed too: v0\.5\.11 died after the start \(service stopped\); node log: .*has format 2, newer than this release reads \(1\)/,
    );
    expect(snapshotsOf(s)).toHaveLength(1);
  });
});
