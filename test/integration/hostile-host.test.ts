/**
 * The host: what the running version lacks, what the disk lacks, what is in the way,
 * and LLM set-ups the new node could not start with. Each refuses before the switch with exit 1,
 * one clear line, no secret, and the host as it was.
 *
 * The disk cases use real small filesystems (tmpfs) where this machine lets the tests mount one
 * (root with CAP_SYS_ADMIN); GLR_DISK_RESERVE_MB (the free space glr leaves for the running node)
 * makes "too little disk" testable everywhere without filling a disk.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmdirSync, statfsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_ENV, type SandboxHost } from '../../sandbox/host.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { expectRefusal, snapshot, stagingLeft } from '../helpers/hostile.js';
import { leakedSecrets, runGlr } from '../helpers/glr.js';

const V = 'v0.4.5';

/** Can this machine mount a tmpfs here? (root with CAP_SYS_ADMIN: yes; a plain container: no) */
function probeMount(): boolean {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'glr-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmdirSync(dir);
  }
}
const canMount = probeMount();

function mountTmpfs(dir: string, size: string): () => void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir]);
  return () => {
    // lazily, so that a failed test never leaves a mount behind the sandbox's own clean-up
    execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
  };
}

let sb: Sandbox;
beforeAll(async () => {
  sb = await createSandbox();
  await sb.publish({ version: V });
});
afterAll(async () => sb?.cleanup());

/** Moves a file of the running version aside for one test. */
async function without(rel: string, body: () => Promise<void>): Promise<void> {
  const p = path.join(sb.host.root, 'v0.4.3', rel);
  renameSync(p, `${p}.away`);
  try {
    await body();
  } finally {
    renameSync(`${p}.away`, p);
  }
}

describe('the running version lacks what the new one must carry: refused at plan time, dry-run too', () => {
  it('no keystore', async () => {
    await without('data/node/keystore', async () => {
      const file = sb.host.writeDesired({ version: V });
      await expectRefusal(sb.host, file, {
        dryRun: 'same',
        line: /^glr: the running version v0\.4\.3 has no keystore \(data\/node\/keystore\/UTC--\.\.\.\) to carry over; restore it from your backup first$/,
      });
    });
  });

  it('no .env', async () => {
    await without('.env', async () => {
      const file = sb.host.writeDesired({ version: V });
      await expectRefusal(sb.host, file, {
        dryRun: 'same',
        line: /^glr: the running version v0\.4\.3 has no \.env to carry over; restore it from your backup first$/,
      });
    });
  });

  it('no configs/node/config.yaml', async () => {
    await without('configs/node/config.yaml', async () => {
      const file = sb.host.writeDesired({ version: V });
      await expectRefusal(sb.host, file, {
        dryRun: 'same',
        line: /^glr: the running version v0\.4\.3 has no configs\/node\/config\.yaml to carry over; restore it from your backup first$/,
      });
    });
  });
});

describe('a version folder that glr did not prepare is never overwritten', () => {
  it('{root}/v0.4.5 laid out by hand, without .glr-prepared: refused, dry-run too, its files untouched', async () => {
    const dir = path.join(sb.host.root, V);
    mkdirSync(path.join(dir, 'bin'), { recursive: true });
    writeFileSync(path.join(dir, 'bin/genlayernode'), '#!/bin/sh\n# the operator unpacked this by hand\n');
    writeFileSync(path.join(dir, 'NOTES'), 'half-done manual upgrade\n');
    try {
      const file = sb.host.writeDesired({ version: V });
      await expectRefusal(sb.host, file, {
        dryRun: 'same',
        refused: null,
        line: /^glr: \S+\/v0\.4\.5 exists but glr did not prepare it \(no \.glr-prepared\); glr never trusts or overwrites it: move it aside \(e\.g\. mv v0\.4\.5 v0\.4\.5\.manual\) and run again$/,
      });
      expect(readFileSync(path.join(dir, 'NOTES'), 'utf8')).toBe('half-done manual upgrade\n');
    } finally {
      execFileSync('rm', ['-rf', '--', dir]);
    }
  });
});

describe('the disk', () => {
  it('too little free space for the release: refused from its Content-Length, before the body is read', async () => {
    const file = sb.host.writeDesired({ version: V });
    const free = statfsSync(sb.host.root);
    // a reserve larger than the whole disk: no disk is big enough, none is filled
    const reserveMb = Math.ceil((free.blocks * free.bsize) / 2 ** 20) + 1;
    await expectRefusal(sb.host, file, {
      env: { GLR_DISK_RESERVE_MB: String(reserveMb) },
      line: /^glr: not enough disk for v0\.4\.5: [\d.]+ \w+ free under \S+, about [\d.]+ \w+ needed \(the [\d.]+ \w+ download unpacked, plus [\d.]+ \w+ kept free for the running node\); free some space and run again$/,
    });
  });

  it.skipIf(!canMount)('the disk fills up during the extraction (ENOSPC on a 2 MiB tmpfs): cleaned up, one clear line', async () => {
    // 4 MB of zeros: a 4 KiB download (the check before it passes) that unpacks past the 2 MiB
    await sb.publish({ version: V, extraTopFiles: { 'zeros.bin': '\0'.repeat(4_000_000) } });
    const staging = path.join(sb.host.root, '.glr/staging');
    const before = snapshot(sb.host);
    const unmount = mountTmpfs(staging, '2m');
    try {
      const file = sb.host.writeDesired({ version: V });
      await expectRefusal(sb.host, file, {
        before,
        line: /^glr: the disk filled up while extracting v0\.4\.5; nothing of it was kept: free some space under \S+ and run again$/,
      });
      expect(statfsSync(staging).bfree).toBe(statfsSync(staging).blocks);
    } finally {
      unmount();
      await sb.publish({ version: V });
    }
  });
});

describe('on a small disk of its own (a 32 MiB tmpfs holding the whole sandbox)', () => {
  let small: Sandbox | undefined;
  let mnt: string;
  let unmount: (() => void) | undefined;
  beforeAll(async () => {
    if (!canMount) return;
    mnt = mkdtempSync(path.join(os.tmpdir(), 'glr-smalldisk-'));
    unmount = mountTmpfs(mnt, '32m');
    small = await createSandbox({ parent: mnt });
  });
  afterAll(async () => {
    await small?.cleanup();
    unmount?.();
    if (mnt) rmdirSync(mnt);
  });

  it.skipIf(!canMount)('too little disk with the default reserve (256 MiB): refused before the download', async () => {
    const host = small!.host;
    await small!.publish({ version: V });
    const file = host.writeDesired({ version: V });
    await expectRefusal(host, file, { line: /^glr: not enough disk for v0\.4\.5: [\d.]+ MiB free under \S+, about 256 MiB needed/ });
  });

  it.skipIf(!canMount)('a release that unpacks far beyond its download stops before the disk is full (the reserve stays free)', async () => {
    const host = small!.host;
    // 40 MB of zeros in a ~40 KiB download: the check before it passes, the unpacking cannot fit
    await small!.publish({ version: V, extraTopFiles: { 'zeros.bin': '\0'.repeat(40_000_000) } });
    const file = host.writeDesired({ version: V });
    const minFree = { bytes: Infinity };
    const watch = setInterval(() => {
      const s = statfsSync(host.root);
      minFree.bytes = Math.min(minFree.bytes, s.bavail * s.bsize);
    }, 5);
    try {
      await expectRefusal(host, file, {
        env: { GLR_DISK_RESERVE_MB: '8' },
        line: /^glr: the v0\.4\.5 tarball unpacks to more than the [\d.]+ MiB free under \S+ \(less the reserve kept for the running node\); nothing of it was kept: free some space and run again$/,
      });
    } finally {
      clearInterval(watch);
    }
    expect(minFree.bytes).toBeGreaterThan(7 * 2 ** 20);
  });
});

describe('an LLM set-up the new node could not start with: refused before the switch', () => {
  /** Replaces the running version's .env for one test (the node reads it only at start). */
  async function withEnv(env: Record<string, string>, body: () => Promise<void>): Promise<void> {
    const p = path.join(sb.host.root, 'v0.4.3/.env');
    const saved = readFileSync(p);
    writeFileSync(
      p,
      Object.entries(env)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n') + '\n',
      { mode: 0o600 },
    );
    try {
      await body();
    } finally {
      writeFileSync(p, saved, { mode: 0o600 });
    }
  }

  it('.env leaves every enabled backend without its key (HEURISTKEY and OPENAIKEY empty)', async () => {
    await withEnv({ ...SANDBOX_ENV, HEURISTKEY: '', OPENAIKEY: '' }, async () => {
      const file = sb.host.writeDesired({ version: V, providers: { openai: true } });
      await expectRefusal(sb.host, file, {
        line: /^glr: no enabled LLM backend of v0\.4\.5 has its key set in \.env \(heurist needs HEURISTKEY; openai needs OPENAIKEY; google needs GEMINIKEY\); GenVM would switch them all off and the node would crash-loop: set a key in \.env or switch on a provider whose key is set$/,
      });
    });
  });

  it('llm.providers switches off every backend that has a key', async () => {
    const file = sb.host.writeDesired({ version: V, providers: { heurist: false, openai: false } });
    await expectRefusal(sb.host, file, { line: /^glr: no enabled LLM backend of v0\.4\.5 has its key set in \.env \(google needs GEMINIKEY\);/ });
  });

  it('llm.providers turns them all off', async () => {
    const file = sb.host.writeDesired({ version: V, providers: { heurist: false, openai: false, anthropic: false, google: false } });
    await expectRefusal(sb.host, file, { line: /^glr: no enabled LLM backend of v0\.4\.5 has its key set in \.env \(every backend is off\);/ });
  });

  it('llm.providers names a provider the release does not have', async () => {
    const file = sb.host.writeDesired({ version: V, providers: { openai: true, mistral: true } });
    await expectRefusal(sb.host, file, {
      line: /^glr: llm\.providers names mistral, which v0\.4\.5's GenVM config does not have \(it has heurist, openai, anthropic, google\); fix llm\.providers in the file$/,
    });
  });
});

describe('what the refusals leave', () => {
  it('nothing of v0.4.5, no staging, and a later good run still upgrades', async () => {
    expect(stagingLeft(sb.host)).toEqual([]);
    const file = sb.host.writeDesired({ version: V });
    const r = await runGlr(['reconcile', '-f', file]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(leakedSecrets(r.stdout, r.stderr)).toEqual([]);
    expect(await (sb.host as SandboxHost).healthyOn(V)).toBe(true);
  });

  it('with the target already on the host (v0.4.3, kept to roll back to), LLM refusals come at plan time, dry-run too', async () => {
    const back = sb.host.writeDesired({ version: 'v0.4.3', providers: { openai: true, mistral: true } });
    await expectRefusal(sb.host, back, {
      dryRun: 'same',
      running: V,
      refused: null,
      line: /^glr: llm\.providers names mistral, which v0\.4\.3's GenVM config does not have \(it has heurist, openai, anthropic, google\); fix llm\.providers in the file$/,
    });
    const off = sb.host.writeDesired({ version: 'v0.4.3', providers: { heurist: false, openai: false } });
    await expectRefusal(sb.host, off, {
      dryRun: 'same',
      running: V,
      refused: null,
      line: /^glr: no enabled LLM backend of v0\.4\.3 has its key set in \.env \(google needs GEMINIKEY\);/,
    });
  });
});
