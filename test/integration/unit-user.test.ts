/**
 * A host as operators run it (Cumulo-pro's guides, GenLayer's own unit with a `User=`): the
 * systemd unit runs the node as an unprivileged user, with its LLM keys in an environment file
 * of their own outside the node root and its password on ExecStart. glr reads all of it from
 * the unit (`systemctl show`), finds the keys where they are, carries nothing of the operator's
 * file, and gives the new version's folder to the node's user: the node, running as that user,
 * writes its log and its DB after the switch.
 *
 * Needs root (chown, and a node run as another user); skipped, saying so, otherwise.
 */
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_ENV } from '../../sandbox/host.js';
import { FakeMachine } from '../../sandbox/machine.js';
import { bundleForAnyone, type Bundle } from '../helpers/bundle.js';
import { leakedSecrets, runGlr, type GlrRun } from '../helpers/glr.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { execFileSync } from 'node:child_process';

const ROOT_USER = process.getuid?.() === 0;
const NOBODY = ROOT_USER ? Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' })) : -1;
const NOGROUP = ROOT_USER ? Number(execFileSync('getent', ['group', 'nogroup'], { encoding: 'utf8' }).split(':')[2]) : -1;

/** Every entry under `dir` that is not `uid:gid`, glr's own marker aside. */
function notOwned(dir: string, uid: number, gid: number): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = lstatSync(p);
    if ((st.uid !== uid || st.gid !== gid) && path.basename(p) !== '.glr-prepared') out.push(`${path.relative(dir, p) || '.'} ${st.uid}:${st.gid}`);
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(path.join(p, e));
  };
  walk(dir);
  return out;
}

describe.skipIf(!ROOT_USER)(
  'a unit that runs the node as nobody, keys in a file of their own, the password on ExecStart (needs root: chown, a node run as another user)',
  () => {
    let sb: Sandbox;
    let machine: FakeMachine;
    let dry: GlrRun;
    let run: GlrRun;
    let llmEnv: string;
    let file: string;
    let fakeNode: Bundle;

    beforeAll(async () => {
      machine = FakeMachine.create();
      // the node runs as nobody, who may not read this checkout
      fakeNode = await bundleForAnyone('sandbox/fake-node.ts', 'fake-node.mjs');
      sb = await createSandbox({ running: 'v0.5.10', start: false, release: { fakeNodeJs: fakeNode.file } });
      await sb.publish({ version: 'v0.5.11', fakeNodeJs: fakeNode.file });
      const { root } = sb.host;
      // the operator's layout: the node's files are its user's, the LLM keys in /etc-like llm.env
      // (root's, 600: systemd reads it), the .env without keys or password
      chmodSync(sb.host.dir, 0o755);
      execFileSync('chown', ['-R', `${NOBODY}:${NOGROUP}`, root]);
      llmEnv = path.join(sb.host.dir, 'etc/genlayer/llm.env');
      mkdirSync(path.dirname(llmEnv), { recursive: true });
      writeFileSync(llmEnv, `HEURISTKEY=${SANDBOX_ENV.HEURISTKEY}\nOPENAIKEY=${SANDBOX_ENV.OPENAIKEY}\n`, { mode: 0o600 });
      const dotEnv = path.join(root, 'v0.5.10/.env');
      writeFileSync(dotEnv, `VALIDATOR_PASSWORD=${SANDBOX_ENV.VALIDATOR_PASSWORD}\n`);
      chownSync(dotEnv, NOBODY, NOGROUP);
      machine.writeUnit(
        'genlayer-bradbury',
        sb.host.unitSpec({
          user: 'nobody',
          group: 'nogroup',
          environmentFiles: [path.join(root, '.env'), llmEnv, `-${path.join(sb.host.dir, 'etc/genlayer/absent.env')}`],
          execStart: `${path.join(root, 'bin/genlayernode')} run --password ${SANDBOX_ENV.NODE_PASSWORD}`,
        }),
      );
      expect(machine.systemctl('start', 'genlayer-bradbury')).toBe(0);
      await sb.host.waitHealthy('v0.5.10', 20_000);
      file = sb.host.writeDesired({ version: 'v0.5.11', providers: { openai: true }, systemdUnit: 'genlayer-bradbury', network: 'bradbury' });
      dry = await runGlr(['reconcile', '--dry-run', '-f', file], { env: machine.env });
      run = await runGlr(['reconcile', '-f', file], { env: machine.env });
    });

    afterAll(async () => {
      await machine?.cleanup();
      await sb?.cleanup();
      fakeNode?.remove();
    });

    it('plans from the unit: the keys in llm.env, the password on ExecStart, the folder given to nobody', () => {
      expect(dry.code, dry.stdout + dry.stderr).toBe(2);
      expect(dry.stdout).toMatch(/carry configs\/node\/config\.yaml \(byte for byte\); carry \.env \(byte for byte, 600\); .* from v0\.5\.10/);
      expect(dry.stdout).toContain(`an enabled LLM backend has its key set in the node's environment files (.env, ${llmEnv})`);
      expect(dry.stdout).toMatch(/give \S+\/v0\.5\.11 and everything in it to nobody:nogroup \(\d+:\d+, the node's User= and Group=\)/);
      expect(leakedSecrets(dry.stdout, dry.stderr)).toEqual([]);
    });

    it('switches, and the node runs as nobody on v0.5.11', async () => {
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(await sb.host.healthyOn('v0.5.11')).toBe(true);
      const pid = Number(readFileSync(path.join(machine.units, 'genlayer-bradbury.state/node.pid'), 'utf8'));
      expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(new RegExp(`^Uid:\\s+${NOBODY}\\s`, 'm'));
      expect(leakedSecrets(run.stdout, run.stderr)).toEqual([]);
    });

    it('the node, as nobody, writes its log and its DB after the switch', () => {
      const log = path.join(sb.host.root, 'v0.5.11/data/node/logs/node.log');
      expect(statSync(log).uid).toBe(NOBODY);
      expect(readFileSync(log, 'utf8')).toMatch(/\[v0\.5\.11 pid \d+\] booted/);
      expect(sb.host.dbRecords().some((r) => r.version === 'v0.5.11')).toBe(true);
    });

    it('everything in the new version folder is nobody’s, with the contract’s modes', () => {
      const v = path.join(sb.host.root, 'v0.5.11');
      expect(notOwned(v, NOBODY, NOGROUP)).toEqual([]);
      const mode = (p: string) => (lstatSync(path.join(v, p)).mode & 0o777).toString(8);
      expect(mode('.env')).toBe('600');
      expect(mode('data/node/keystore')).toBe('700');
      for (const k of readdirSync(path.join(v, 'data/node/keystore'))) expect(mode(`data/node/keystore/${k}`)).toBe('600');
      // the shared DB is the operator's: reached through the link, never changed by the chown
      expect(lstatSync(path.join(v, 'data/node/genlayer.db')).isSymbolicLink()).toBe(true);
    });

    it('the operator’s llm.env is left where it is, as it was', () => {
      expect(readdirSync(path.join(sb.host.root, 'v0.5.11')).some((n) => n.includes('llm'))).toBe(false);
      const st = statSync(llmEnv);
      expect([st.uid, st.mode & 0o777]).toEqual([0, 0o600]);
    });

    it('status names the unit’s user, its files and what they set, never a value', async () => {
      const r = await runGlr(['status', '--json', '-f', file], { env: machine.env });
      const s = JSON.parse(r.stdout) as { node: { user: string; password: string; environmentFiles: { path: string; names: string[]; exists: boolean }[] } };
      expect(s.node.user).toBe('nobody');
      expect(s.node.password).toBe('on-execstart');
      expect(s.node.environmentFiles.map((f) => [path.basename(f.path), f.exists, f.names])).toEqual([
        ['.env', true, ['VALIDATOR_PASSWORD']],
        ['llm.env', true, ['HEURISTKEY', 'OPENAIKEY']],
        ['absent.env', false, []],
      ]);
      expect(leakedSecrets(r.stdout, r.stderr)).toEqual([]);
    });
  },
);
