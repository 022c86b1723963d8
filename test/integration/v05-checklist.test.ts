/**
 * GenLayer's pre-update checklist, before the stop, on a v0.5.10 host laid out by
 * GenLayer's procedure. Each sharp edge is refused (exit 1, one line with the fix, the node never
 * stopped) or warned about (in the plan `--dry-run` prints): the doctor's ✗, a failing
 * hooks.preSwitch, a version with a DB folder of its own, a keystore readable by others, a .env
 * without NODE_PASSWORD, GenVM setup that left no binaries, a key set for a provider that is off,
 * a systemd unit that is not enabled.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { expectRefusal } from '../helpers/hostile.js';
import { leakedSecrets, runGlr } from '../helpers/glr.js';
import { fakeSystemctl } from '../helpers/systemctl.js';

let sb: Sandbox;
const V = 'v0.5.11';
beforeAll(async () => {
  sb = await createSandbox({ running: 'v0.5.10' });
  await sb.publish({ version: V, doctorFails: ['webdriver'] });
});
afterAll(async () => sb?.cleanup());

/** the service script's starts and stops so far */
const serviceVerbs = () => sb.host.serviceEvents().map((e) => e.verb);

/** Runs `body` with a file of the running version changed, and puts it back (the node keeps running). */
async function withChange(change: () => () => void, body: () => Promise<void>): Promise<void> {
  const undo = change();
  try {
    await body();
  } finally {
    undo();
  }
}

describe('refused before the stop, the node never stopped', () => {
  it('a ✗ from the new version’s doctor (it exits 0 all the same)', async () => {
    const verbs = serviceVerbs();
    const file = sb.host.writeDesired({ version: V, doctor: true });
    const dry = await runGlr(['reconcile', '--dry-run', '-f', file]);
    expect(dry.stdout).toMatch(/genlayernode doctor in .*v0\.5\.11 with its \.env exported; an exit other than 0 or any ✗ line refuses the switch/);
    await expectRefusal(sb.host, file, {
      running: 'v0.5.10',
      refused: null,
      kept: V,
      line: /^glr: genlayernode doctor of v0\.5\.11 reports ✗ WebDriver: not reachable at http:\/\/localhost:4444; fix it and run glr again \(nothing was stopped\)$/,
    });
    expect(serviceVerbs()).toEqual(verbs);
  });

  it('the doctor passes when its checks pass: the wallet check sees NODE_PASSWORD, so the .env was exported', async () => {
    // without doctorFails, every ✓ depends on the host: the .env exported, GenVM's binaries there
    const spec = path.join(sb.host.root, V, 'bin/fake-node.json');
    const saved = readFileSync(spec);
    writeFileSync(spec, JSON.stringify({ ...JSON.parse(saved.toString()), doctorFails: [] }));
    try {
      // an operator's hook that prints a secret of the .env it was given, then fails
      const leaky = ['/bin/sh', '-c', 'echo "unlocking with $NODE_PASSWORD" >&2; exit 3'];
      const file = sb.host.writeDesired({ version: V, doctor: true, hooks: { preSwitch: [sb.host.hook('pre'), leaky] } });
      // the doctor passes, and the failing hook after it is what refuses; its output is scrubbed
      await expectRefusal(sb.host, file, {
        running: 'v0.5.10',
        refused: null,
        kept: V,
        line: /^glr: hooks\.preSwitch \/bin\/sh -c echo "unlocking with \$NODE_PASSWORD" >&2; exit 3 exited 3: unlocking with \[redacted\]; the switch to v0\.5\.11 is refused \(nothing was stopped\)$/,
      });
    } finally {
      writeFileSync(spec, saved);
    }
    const calls = sb.host.hookCalls('pre');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ env: { GLR_VERSION: V, GLR_FROM: 'v0.5.10' } });
    expect(calls[0]!.dotenv).toContain('NODE_PASSWORD');
    expect(serviceVerbs()).toEqual(['start']);
  });

  it('a version whose data/node/genlayer.db is a folder of its own: GenLayer’s fix in the line, dry-run too', async () => {
    const link = path.join(sb.host.root, 'v0.5.10/data/node/genlayer.db');
    await withChange(
      () => {
        renameSync(link, `${link}.glr-test`);
        mkdirSync(link);
        return () => {
          rmSync(link, { recursive: true });
          renameSync(`${link}.glr-test`, link);
        };
      },
      async () => {
        await expectRefusal(sb.host, sb.host.writeDesired({ version: V }), {
          running: 'v0.5.10',
          refused: null,
          dryRun: 'same',
          line: new RegExp(
            `^glr: ${link} is a database folder of its own, not a link to the shared DB ${sb.host.db}: its sync state has diverged\\. GenLayer's fix: stop the node, move the fresher of the two DBs to ${sb.host.db} \\(the other aside\\), link it \\(ln -sfn ${sb.host.db} ${link}\\), start the node; then run glr again$`,
          ),
        });
      },
    );
  });

  it('a keystore readable by others', async () => {
    const ks = path.join(sb.host.root, 'v0.5.10/data/node/keystore');
    await withChange(
      () => {
        chmodSync(ks, 0o755);
        return () => chmodSync(ks, 0o700);
      },
      async () => {
        await expectRefusal(sb.host, sb.host.writeDesired({ version: V }), {
          running: 'v0.5.10',
          refused: null,
          dryRun: 'same',
          line: new RegExp(`^glr: the keystore of v0\\.5\\.10 is open to others \\(folder 755\\): chmod 700 ${ks} && chmod 600 ${ks}/\\*, then run glr again$`),
        });
      },
    );
  });

  it('a .env without NODE_PASSWORD', async () => {
    const env = path.join(sb.host.root, 'v0.5.10/.env');
    const saved = readFileSync(env);
    await withChange(
      () => {
        writeFileSync(env, saved.toString().replace(/^NODE_PASSWORD=.*\n/m, ''), { mode: 0o600 });
        return () => writeFileSync(env, saved, { mode: 0o600 });
      },
      async () => {
        await expectRefusal(sb.host, sb.host.writeDesired({ version: V }), {
          running: 'v0.5.10',
          refused: null,
          dryRun: 'same',
          line: /^glr: v0\.5\.10's \.env sets no NODE_PASSWORD: the node unlocks its keystore with it \(genlayernode run --password \$\{NODE_PASSWORD\}\) and would not start\. Set it in \S+\/v0\.5\.10\/\.env, then run glr again$/,
        });
      },
    );
  });

  it('GenVM setup that exits 0 but leaves no bin/genvm and bin/genvm-modules: refused in check-ready, no folder left', async () => {
    await sb.publish({ version: 'v0.5.12', setupIncomplete: true });
    await expectRefusal(sb.host, sb.host.writeDesired({ version: 'v0.5.12' }), {
      running: 'v0.5.10',
      refused: 'v0.5.12',
      line: /^glr: GenVM setup of v0\.5\.12 finished but left no third_party\/genvm\/bin\/genvm and no third_party\/genvm\/bin\/genvm-modules: it did not complete \(it needs python3 with venv; run it by hand in \S+ to see why\); nothing was switched$/,
    });
  });
});

describe('warned about, in the plan', () => {
  it('a key set in .env whose provider is off while another backend is usable', async () => {
    // v0.5.10 ships openai off; the sandbox's .env sets OPENAIKEY; heurist is usable
    const r = await runGlr(['reconcile', '--dry-run', '-f', sb.host.writeDesired({ version: 'v0.5.10', providers: null })]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^converged/);
    expect(r.stdout).toContain(
      "warnings\n  - OPENAIKEY is set in .env but the openai backend is off in v0.5.10's GenVM LLM config: switch it on (llm.providers.openai: true) or remove the key",
    );
    expect(leakedSecrets(r.stdout, r.stderr)).toEqual([]);
    // asked on, it is no longer idle (the plan is then to switch it on)
    const on = await runGlr(['reconcile', '--dry-run', '-f', sb.host.writeDesired({ version: 'v0.5.10', providers: { openai: true } })]);
    expect(on.stdout).not.toContain('OPENAIKEY is set in .env');
  });

  it('a systemd unit that is not enabled (systemctl is-enabled, asked only with manager systemd)', async () => {
    const enabled = path.join(sb.host.state, 'is-enabled');
    const { env, dir } = fakeSystemctl(sb.host, { enabled });
    const file = sb.host.writeDesired({ version: 'v0.5.10', providers: { openai: true }, systemdUnit: 'genlayer-node' });
    const line = 'systemctl is-enabled genlayer-node says disabled: the node would not come back after a reboot; run systemctl enable genlayer-node';
    try {
      writeFileSync(enabled, 'disabled\n');
      const r = await runGlr(['reconcile', '--dry-run', '-f', file], { env });
      expect(r.stdout, r.stderr).toContain(line);
      writeFileSync(enabled, 'enabled\n');
      const ok = await runGlr(['reconcile', '--dry-run', '-f', file], { env });
      expect(ok.stdout, ok.stderr).not.toContain('systemctl is-enabled');
      // with manager command, it is not asked at all
      writeFileSync(enabled, 'disabled\n');
      const cmd = await runGlr(['reconcile', '--dry-run', '-f', sb.host.writeDesired({ version: 'v0.5.10', providers: { openai: true } })], { env });
      expect(cmd.stdout).not.toContain('systemctl is-enabled');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
