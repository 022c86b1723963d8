/**
 * A node root on a small filesystem of its own (a 300 MiB tmpfs). A release whose
 * Content-Length says it cannot fit, and one that would only fill the disk while extracting (a
 * small gzip of 400 MiB of zeros), each end in exit 1 with one line, in bounded time: the node
 * running on the old version, the links as they were, no version or staging folder left, the
 * free space given back. The same under `glr watch`, which logs the refusal and keeps running.
 * And the download alone, on a disk that really fills (ENOSPC), cleans up after itself.
 *
 * Mounting needs root (these machines allow it); without it the tests are skipped, saying why.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplyContext } from '../../src/actions/context.js';
import { tuningFromEnv } from '../../src/runtime/tuning.js';
import { download } from '../../src/actions/download.js';
import { GlrError } from '../../src/errors.js';
import { Layout } from '../../src/layout.js';
import { createLogger } from '../../src/runtime/logger.js';
import { SignalGuard } from '../../src/runtime/signals.js';
import { waitFor } from '../../sandbox/host.js';
import { zerosRelease, type RawEntry } from '../../sandbox/hostile-tarballs.js';
import { startReleaseServer, type ReleaseServer } from '../../sandbox/release-server.js';
import { killGroup, startGlr } from '../helpers/glr.js';
import { expectRefusal, snapshot, stagingLeft } from '../helpers/hostile.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';

const MiB = 2 ** 20;
const mounts: string[] = [];
let refused: string | null = null;

/** A tmpfs of `size` on a fresh folder; null (and `refused` says why) when mounting is refused. */
function mountTmpfs(size: string): string | null {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'glr-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=755`, 'tmpfs', dir], { stdio: 'pipe' });
    mounts.push(dir);
    return dir;
  } catch (e) {
    refused = String((e as { stderr?: Buffer }).stderr ?? e).trim() || 'mount failed';
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
}

afterAll(() => {
  for (const dir of mounts.splice(0)) {
    try {
      execFileSync('umount', [dir], { stdio: 'pipe' });
    } catch {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' }); // something still holds it: detach it
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

const free = (dir: string) => {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
};

/** the refusal's assertions (one line, node healthy, host unchanged, nothing left) plus time and space */
async function expectRefusedOnSmallDisk(sb: Sandbox, version: string, line: RegExp, withinMs: number): Promise<void> {
  const file = sb.host.writeDesired({ version });
  const before = free(sb.host.root);
  const t = Date.now();
  await expectRefusal(sb.host, file, { line, refused: version, dryRun: 'pending' });
  expect(Date.now() - t, 'took too long').toBeLessThan(withinMs);
  // glr's own bookkeeping (.glr/, the first run's adoption) and the running node's log and DB
  // writes are a few KiB; the release's bytes are given back
  expect(Math.abs(free(sb.host.root) - before), 'free space not given back').toBeLessThan(2 * MiB);
}

describe('a node root on a 300 MiB filesystem', () => {
  let sb: Sandbox | undefined;
  let disk: string | null = null;
  beforeAll(async () => {
    disk = mountTmpfs('300M');
    if (!disk) {
      console.warn(`disk-full tests skipped: mounting a tmpfs was refused (${refused})`);
      return;
    }
    sb = await createSandbox({ parent: disk });
  });
  afterAll(async () => sb?.cleanup());

  it('a release whose Content-Length cannot fit: refused on the headers, the body let go of, exit 1', async (ctx) => {
    if (!sb) return ctx.skip();
    // 24 MiB that would unpack to about 72 MiB, plus the 256 MiB reserve: more than the disk;
    // a body far larger than the socket buffers (the bug: glr exited 0 waiting on it)
    await sb.publish({ version: 'v0.4.5', padBytes: 24 * MiB });
    await expectRefusedOnSmallDisk(
      sb,
      'v0.4.5',
      /^glr: not enough disk for v0\.4\.5: \d+ MiB free under \S+, about \d+ MiB needed \(the \d+ MiB download unpacked, plus 256 MiB kept free for the running node\); free some space and run again$/,
      20_000,
    );
  });

  it('the refusal says what `glr prune` would free (a prepared version beyond `retain`), and removes nothing itself', async (ctx) => {
    if (!sb) return ctx.skip();
    const old = path.join(sb.host.root, 'v0.4.4');
    mkdirSync(path.join(old, 'bin'), { recursive: true });
    writeFileSync(path.join(old, 'bin/genlayernode'), Buffer.alloc(3 * MiB, 1));
    const marker = { version: 'v0.4.4', origin: 'prepared', at: '2026-01-01T00:00:00.000Z', inputs: { url: 'u', sha256: null, sharedDb: sb.host.db } };
    writeFileSync(path.join(old, '.glr-prepared'), JSON.stringify(marker));
    try {
      const file = sb.host.writeDesired({ version: 'v0.4.5', extra: 'retain: 0' });
      await expectRefusal(sb.host, file, {
        line: /^glr: not enough disk for v0\.4\.5: .*; `glr prune` would free 3\.0 MiB \(v0\.4\.4\); free some space and run again$/,
        dryRun: 'pending',
      });
      expect(existsSync(old), 'the refusal removed a version itself').toBe(true);
    } finally {
      rmSync(old, { recursive: true, force: true });
    }
  });

  it('a small gzip of 400 MiB of zeros: stopped before it eats into the reserve, exit 1, the space given back', async (ctx) => {
    if (!sb) return ctx.skip();
    const bomb = await zerosRelease('v0.4.6', 400 * MiB);
    expect(bomb.length).toBeLessThan(2 * MiB);
    sb.server.add('v0.4.6', bomb);
    await expectRefusedOnSmallDisk(
      sb,
      'v0.4.6',
      /^glr: the v0\.4\.6 tarball unpacks to more than the \d+ MiB free under \S+ \(less the reserve kept for the running node\); nothing of it was kept: free some space and run again$/,
      30_000,
    );
  });

  it('glr watch: both refused and logged, the watcher lives on, and a release that fits is then applied', async (ctx) => {
    if (!sb) return ctx.skip();
    const s = sb;
    await s.publish({ version: 'v0.4.5', padBytes: 24 * MiB });
    s.server.add('v0.4.6', await zerosRelease('v0.4.6', 400 * MiB));
    await s.publish({ version: 'v0.4.7' });
    const before = snapshot(s.host);
    const freeBefore = free(s.host.root);
    const file = s.host.writeDesired({ version: 'v0.4.5' });
    // a long interval: the passes come from the file's changes, and the disk is quiet between them
    const { child, stderr, done } = startGlr(['watch', '--interval', '60', '-f', file]);
    const logged = (re: RegExp) =>
      stderr()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .some((l) => re.test(l));
    try {
      await waitFor(() => logged(/not enough disk for v0\.4\.5/), { timeoutMs: 30_000, what: 'the refusal of v0.4.5' });
      s.host.writeDesired({ version: 'v0.4.6' });
      await waitFor(() => logged(/the v0\.4\.6 tarball unpacks to more than/), { timeoutMs: 30_000, what: 'the refusal of v0.4.6' });
      // still running, still answering: a pass after the refusals
      expect(child.exitCode).toBeNull();
      expect(await s.host.healthyOn('v0.4.3')).toBe(true);
      expect(s.host.linkTargets()).toEqual(before.links);
      expect(existsSync(path.join(s.host.root, 'v0.4.5'))).toBe(false);
      expect(existsSync(path.join(s.host.root, 'v0.4.6'))).toBe(false);
      await waitFor(() => stagingLeft(s.host).length === 0, { timeoutMs: 5000, what: 'no staging folder' });
      expect(Math.abs(free(s.host.root) - freeBefore)).toBeLessThan(2 * MiB);
      s.host.writeDesired({ version: 'v0.4.7' });
      await waitFor(() => s.host.healthyOn('v0.4.7'), { timeoutMs: 30_000, what: 'v0.4.7 to be applied' });
      expect(s.host.linkVersions()).toEqual(['v0.4.7']);
    } finally {
      killGroup(child, 'SIGTERM');
      const r = await Promise.race([done, new Promise<null>((resolve) => setTimeout(() => resolve(null), 10_000))]);
      if (r === null) killGroup(child, 'SIGKILL');
      await done;
    }
    expect(stderr()).not.toMatch(/(\n|\\n)\s+at .+:\d+:\d+\)?/);
  });
});

/** files this process holds open that are deleted (their blocks stay allocated until closed) */
function openDeleted(): string[] {
  return readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    })
    .filter((l) => l.endsWith(' (deleted)') && l.includes('glr-small-disk-'));
}

describe('the download alone, on a disk of 24 MiB (in this process: its open files can be seen)', () => {
  let disk: string | null = null;
  let server: ReleaseServer | undefined;
  beforeAll(async () => {
    disk = mountTmpfs('24M');
    if (disk) server = await startReleaseServer();
  });
  afterAll(async () => server?.close());

  async function downloadInto(
    version: string,
    tarball: Buffer,
    reserve: (free: number) => number,
  ): Promise<{ err: unknown; root: string; before: number; ms: number }> {
    server!.add(version, tarball);
    const root = mkdtempSync(path.join(disk!, 'root-'));
    const log = await createLogger('silent');
    const before = free(root);
    const c = {
      layout: new Layout(root),
      log,
      signals: new SignalGuard(log),
      secrets: [],
      tuning: { ...tuningFromEnv({}), diskReserveBytes: reserve(before) },
    };
    const t = Date.now();
    const err = await download(c as unknown as ApplyContext, { version, url: server!.urlTemplate.replaceAll('{version}', version), sha256: null }).then(
      () => null,
      (e: unknown) => e,
    );
    return { err, root, before, ms: Date.now() - t };
  }

  it('ENOSPC while extracting: one line, the staging folder removed, every file closed, the space given back', async (ctx) => {
    if (!server) return ctx.skip();
    // 4000 one-byte files take 4 KiB each on the disk and 1 KiB each in the tar stream (16 MiB
    // against 4): the disk fills with the bytes counted against the extraction's own budget (no
    // reserve here) well under it, even with gunzip some MiB ahead of the writes
    const small: RawEntry[] = Array.from({ length: 4000 }, (_, i) => ({ path: `{top}/small/f${i}`, type: 'file', content: 'x' }));
    const { err, root, before, ms } = await downloadInto('v0.4.9', await zerosRelease('v0.4.9', 64 * MiB, { before: small }), () => 0);
    expect(ms).toBeLessThan(30_000);
    expect(err).toBeInstanceOf(GlrError);
    expect((err as GlrError).message).toMatch(
      /^the disk filled up while extracting v0\.4\.9; nothing of it was kept: free some space under \S+ and run again$/,
    );
    expect(existsSync(path.join(root, 'v0.4.9'))).toBe(false);
    expect(readdirSync(path.join(root, '.glr/staging'))).toEqual([]);
    expect(openDeleted()).toEqual([]);
    expect(Math.abs(free(root) - before)).toBeLessThan(64 * 1024);
  });

  it('gzip data that turns to garbage in the middle of a file: that file is closed too, nothing left', async (ctx) => {
    if (!server) return ctx.skip();
    // the first half of a gzip stream, then bytes that are not deflate: inflate fails about
    // 7 MiB into the 16 MiB file it is writing
    const tarball = await zerosRelease('v0.4.11', 16 * MiB);
    let noise = Buffer.from('glr');
    while (noise.length < 4096) noise = Buffer.concat([noise, createHash('sha256').update(noise).digest()]);
    const broken = Buffer.concat([tarball.subarray(0, Math.floor(tarball.length / 2)), noise]);
    const { err, root, before } = await downloadInto('v0.4.11', broken, () => 0);
    expect((err as GlrError).message).toMatch(/^the v0\.4\.11 download is damaged \(gzip: [^)]+\); nothing was installed/);
    expect(readdirSync(path.join(root, '.glr/staging'))).toEqual([]);
    expect(openDeleted()).toEqual([]);
    expect(Math.abs(free(root) - before)).toBeLessThan(64 * 1024);
  });

  it('over the budget in the middle of a file: that file is closed before the staging folder goes (no space held after)', async (ctx) => {
    if (!server) return ctx.skip();
    const { err, root, before } = await downloadInto('v0.4.10', await zerosRelease('v0.4.10', 64 * MiB), (f) => f - 8 * MiB);
    expect((err as GlrError).message).toMatch(/^the v0\.4\.10 tarball unpacks to more than the 8\.0 MiB free under/);
    expect(readdirSync(path.join(root, '.glr/staging'))).toEqual([]);
    expect(openDeleted()).toEqual([]);
    expect(Math.abs(free(root) - before)).toBeLessThan(64 * 1024);
  });
});
