/**
 * `node dist/bench/memory.js [--mib 100,300] [--reps 2]`: glr's peak RSS (`/usr/bin/time -f %M`)
 * for a whole `glr reconcile` that upgrades a sandbox host to a release of real size
 * (sandbox/big-release.ts: MiB of binaries, ≈ 0.37 gzip ratio, served by the fake bucket with
 * its x-goog-hash), and how long its download took (from glr's own log).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBigRelease } from '../sandbox/big-release.js';
import { SandboxHost } from '../sandbox/host.js';
import { startReleaseServer } from '../sandbox/release-server.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const GLR = path.join(REPO, 'dist/src/cli/main.js');
const args = new Map(process.argv.slice(2).map((a, i, all) => [a, all[i + 1] ?? '']));
const SIZES = (args.get('--mib') || '100,300').split(',').map(Number);
const REPS = Number(args.get('--reps') || 2);
const CACHE = path.join(os.tmpdir(), 'glr-stages');

function reconcile(file: string): Promise<{ code: number; peakKb: number; downloadMs: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      '/usr/bin/time',
      ['-f', 'peak-rss-kb %M', process.execPath, GLR, 'reconcile', '-f', file],
      { maxBuffer: 64 * 2 ** 20, env: { ...process.env, GLR_HEALTH_POLL_MS: '50' } },
      (err, _stdout, stderr) => {
        const done = stderr
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { action?: string; ms?: number; msg: string })
          .find((l) => l.action === 'download' && l.msg === 'done: download');
        resolve({
          code: err ? Number((err as { code?: number }).code ?? 1) : 0,
          peakKb: Number(/peak-rss-kb (\d+)/.exec(stderr)?.[1]),
          downloadMs: done?.ms ?? null,
          stderr,
        });
      },
    );
  });
}

async function main(): Promise<void> {
  mkdirSync(CACHE, { recursive: true });
  const server = await startReleaseServer();
  try {
    for (const mib of SIZES) {
      const file = path.join(CACHE, `release-${mib}.tar.gz`);
      if (!existsSync(file)) buildBigRelease({ version: 'v0.4.5', binaryBytes: mib * 2 ** 20, out: file });
      const tarball = readFileSync(file);
      for (let i = 0; i < REPS; i++) {
        const host = await SandboxHost.create({ server });
        try {
          server.add('v0.4.5', tarball);
          const r = await reconcile(host.writeDesired({ version: 'v0.4.5' }));
          if (r.code !== 0) throw new Error(`reconcile exited ${r.code}: ${r.stderr.slice(-2000)}`);
          console.log(
            `${mib} MiB of binaries (${(tarball.length / 1e6).toFixed(1)} MB gzipped): peak RSS ${(r.peakKb / 1024).toFixed(1)} MiB, download + verify + extract ${r.downloadMs} ms`,
          );
        } finally {
          await host.cleanup();
        }
      }
    }
  } finally {
    await server.close();
  }
}

await main();
