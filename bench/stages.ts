/**
 * `node dist/bench/stages.js [--mib 300] [--reps 3]`: what each stage of a download costs on this
 * machine, on a release of real size (sandbox/big-release.ts: MiB of binaries, ≈ 0.37 gzip
 * ratio), read from a local file (page cache) and from a local HTTP server:
 *
 *   read alone, each hash alone (md5, sha256, crc32c in JS byte-wise vs slice-by-8), gunzip alone
 *   at several chunk sizes, gunzip + node-tar extraction, and glr's own pipeline (download()) from
 *   the file's bytes served over HTTP, beside the network alone.
 *
 * Medians of --reps runs, milliseconds. The figures chose glr's hashes and its gunzip chunk size
 * (src/actions/download/); they are quoted in docs/design.md.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { Crc32c as AwsCrc32c } from '@aws-crypto/crc32c';
import * as tar from 'tar';
import { request } from 'undici';
import { Crc32c } from '../src/actions/download/crc32c.js';
import { Progress } from '../src/actions/download/progress.js';
import { Unpack } from '../src/actions/download/unpack.js';
import { download } from '../src/actions/download.js';
import { tuningFromEnv } from '../src/runtime/tuning.js';
import type { ApplyContext } from '../src/actions/context.js';
import { Layout } from '../src/layout.js';
import { createLogger } from '../src/runtime/logger.js';
import { SignalGuard } from '../src/runtime/signals.js';
import { buildBigRelease } from '../sandbox/big-release.js';

const args = new Map(process.argv.slice(2).map((a, i, all) => [a, all[i + 1] ?? '']));
const MIB = Number(args.get('--mib') || 300);
const REPS = Number(args.get('--reps') || 3);
const CACHE = path.join(os.tmpdir(), 'glr-stages');
const FILE = path.join(CACHE, `release-${MIB}.tar.gz`);
/** where the extractions go: a folder on the disk by default; /dev/shm shows the CPU cost alone */
const INTO = args.get('--into') || os.tmpdir();

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * Median of REPS runs of fn: wall time, and the CPU time of this process (every thread: the main
 * one and the thread pool's), which other load on the machine disturbs less. `after` (not timed)
 * cleans up after each run.
 */
async function time(what: string, fn: () => Promise<unknown>, after?: () => void): Promise<number> {
  const ms: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
    const u = process.cpuUsage(c);
    cpu.push((u.user + u.system) / 1000);
    after?.();
  }
  const m = median(ms);
  console.log(
    `${what.padEnd(62)} ${String(Math.round(m)).padStart(6)} ms wall ${String(Math.round(median(cpu))).padStart(6)} ms cpu   (wall: ${ms.map((x) => Math.round(x)).join(', ')})`,
  );
  return m;
}

const sink = () =>
  new Writable({
    highWaterMark: 1 << 20,
    write(_c, _e, done) {
      done();
    },
  });
const read = (): Readable => createReadStream(FILE, { highWaterMark: 64 * 1024 });
const tap = (f: (c: Buffer) => void) =>
  new Writable({
    write(c: Buffer, _e, done) {
      f(c);
      done();
    },
  });

async function feed(from: Readable, u: Unpack): Promise<void> {
  for await (const chunk of from as AsyncIterable<Buffer>) await u.write(chunk);
  await u.end();
  if (u.error) throw u.error as Error;
}

/** glr's download() itself, into a scratch root, with a context of its own */
async function glrDownload(root: string, url: string): Promise<void> {
  mkdirSync(root, { recursive: true });
  const log = await createLogger('warn');
  const ctx = { layout: new Layout(root), log, signals: new SignalGuard(log), tuning: tuningFromEnv({}), secrets: [] } as unknown as ApplyContext;
  await download(ctx, { version: 'v0.4.5', url, sha256: null });
}

async function main(): Promise<void> {
  mkdirSync(CACHE, { recursive: true });
  if (!existsSync(FILE)) {
    console.log(`building ${FILE} (${MIB} MiB of binaries)...`);
    buildBigRelease({ version: 'v0.4.5', binaryBytes: MIB * 2 ** 20, out: FILE });
  }
  const body = readFileSync(FILE);
  console.log(`release: ${MIB} MiB of binaries, ${(body.length / 1e6).toFixed(1)} MB gzipped; ${os.cpus().length} cores; node ${process.version}`);
  console.log('\n-- from a local file (page cache), 64 KiB reads');
  await time('read alone', () => pipeline(read(), sink()));
  await time('read + md5 (node:crypto)', () => {
    const h = createHash('md5');
    return pipeline(
      read(),
      tap((c) => void h.update(c)),
    );
  });
  await time('read + sha256 (node:crypto)', () => {
    const h = createHash('sha256');
    return pipeline(
      read(),
      tap((c) => void h.update(c)),
    );
  });
  await time('read + crc32c (@aws-crypto/crc32c, byte-wise JS)', () => {
    const h = new AwsCrc32c();
    return pipeline(
      read(),
      tap((c) => void h.update(c)),
    );
  });
  await time('read + crc32c (glr, slice-by-8 JS)', () => {
    const h = new Crc32c();
    return pipeline(
      read(),
      tap((c) => void h.update(c)),
    );
  });
  await time('Progress.add() once per 64 KiB chunk, as many chunks (no I/O)', async () => {
    const p = new Progress({ version: 'v', total: body.length, log: await createLogger('silent'), sink: { isTTY: true, write: () => true } });
    for (let o = 0; o < body.length; o += 64 * 1024) p.add(64 * 1024);
    p.end();
  });
  for (const k of [16, 64, 128, 256, 512]) {
    await time(`read + gunzip, chunkSize ${k} KiB`, () => pipeline(read(), zlib.createGunzip({ chunkSize: k * 1024 }), sink()));
  }
  const scratch = mkdtempSync(path.join(INTO, 'glr-stages-x-'));
  let n = 0;
  let d = '';
  const fresh = () => {
    d = path.join(scratch, String(n++));
    mkdirSync(d);
    return d;
  };
  const clean = () => rmSync(d, { recursive: true, force: true });
  try {
    console.log(`\n-- extracting into ${INTO}`);
    for (const k of [16, 256]) {
      await time(
        `read + gunzip (${k} KiB) + tar.x (node-tar)`,
        () => pipeline(read(), zlib.createGunzip({ chunkSize: k * 1024 }), tar.x({ cwd: fresh(), strip: 1 })),
        clean,
      );
    }
    await time(`read + glr's unpack (its own thread: gunzip, policy, budget, writes)`, () => feed(read(), new Unpack(fresh(), Infinity)), clean);
    await time(
      'GNU tar -xzf (gzip then tar, two processes)',
      async () => void execFileSync('tar', ['-xzf', FILE, '-C', fresh(), '--strip-components=1']),
      clean,
    );

    console.log('\n-- from a local HTTP server (127.0.0.1, unthrottled)');
    const md5 = createHash('md5').update(body).digest('base64');
    const crc = new Crc32c().update(body).base64();
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-length': body.length, 'x-goog-hash': `crc32c=${crc},md5=${md5}` });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/r.tar.gz`;
    try {
      await time('network alone (undici, body discarded)', async () => {
        const res = await request(url);
        await pipeline(res.body, sink());
      });
      await time('network + sha256 + md5', async () => {
        const res = await request(url);
        const a = createHash('sha256');
        const b = createHash('md5');
        await pipeline(
          res.body,
          tap((c) => {
            a.update(c);
            b.update(c);
          }),
        );
      });
      await time(
        "network + glr's unpack (no hashes)",
        async () => {
          const res = await request(url);
          await feed(res.body, new Unpack(fresh(), Infinity));
        },
        clean,
      );
      await time("glr's download() (sha256 + md5, unpack, marker, rename)", () => glrDownload(fresh(), url), clean);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
