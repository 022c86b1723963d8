/**
 * 2. Download + extract against the physical floor. The floor of a streamed download + extract is
 * max(network, inflate): the bytes cannot arrive faster than the link brings them (curl to
 * /dev/null from the same bucket at the same rate, which also checks the throttle's achieved
 * rate), nor be unpacked faster than Node's zlib inflates them (the same tarball, gunzipped from
 * memory, output discarded, at the chunk size that does best). glr's own figure is its download
 * action's ms (download + verify + extract), from the end-to-end rounds' logs.
 *
 * Between the two, what a streamed pipeline pays on this machine before any of glr's own work:
 * the body read from the bucket over HTTP (undici, as glr reads it) and inflated on the thread
 * pool, its output discarded, then written to one file. No hashes, no tar, no thousands of
 * files, no lowered priority: what is left of the gap to the floor is glr's.
 */
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { request } from 'undici';
import { NEW, throttle, type Fixtures } from '../lib/fixtures.js';
import { runOk } from '../lib/proc.js';
import { median } from '../lib/stats.js';
import type { Rate } from './end-to-end.js';

export interface Floor {
  /** per rate: curl's transfer time (ms, its time_total) to /dev/null and the achieved rate (bytes/s) */
  network: Record<string, { ms: number[]; bps: number[] }>;
  /** per gunzip chunk size (bytes): ms to inflate the whole tarball from memory */
  inflate: { chunk: number; ms: number[] }[];
  best: { chunk: number; ms: number };
  tarballBytes: number;
  unpackedBytes: number;
  /** per rate: ms of the streamed reference pipelines (network + inflate; + one file written) */
  pipelines: Record<string, { inflate: number[]; write: number[] }>;
}

const MiB = 2 ** 20;

/**
 * The body of `url` inflated as it arrives, in 1 MiB batches and chunks (glr's sizes), each
 * output chunk handed to `out`; resolves with the ms from the request to the last byte out.
 */
async function streamed(url: string, out: (chunk: Buffer) => void): Promise<number> {
  const t = performance.now();
  const g = zlib.createGunzip({ chunkSize: MiB });
  const done = new Promise<void>((resolve, reject) => {
    g.on('data', out);
    g.on('end', resolve);
    g.on('error', reject);
  });
  const res = await request(url);
  let batch = Buffer.allocUnsafe(MiB);
  let n = 0;
  for await (const c of res.body as AsyncIterable<Buffer>) {
    for (let off = 0; off < c.length;) {
      const k = c.copy(batch, n, off);
      off += k;
      n += k;
      if (n < MiB) continue;
      if (!g.write(batch)) await new Promise((r) => g.once('drain', r));
      batch = Buffer.allocUnsafe(MiB);
      n = 0;
    }
  }
  g.end(batch.subarray(0, n));
  await done;
  return performance.now() - t;
}

/** Inflates `gz` from memory with zlib's streaming gunzip; resolves with ms and bytes out. */
export function inflate(gz: Buffer, chunkSize: number): Promise<{ ms: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const g = zlib.createGunzip({ chunkSize });
    let bytes = 0;
    g.on('data', (d: Buffer) => (bytes += d.length));
    g.on('end', () => resolve({ ms: performance.now() - t, bytes }));
    g.on('error', reject);
    g.end(gz);
  });
}

export async function floor(f: Fixtures, rates: Rate[], reps: number): Promise<Floor> {
  const url = f.big.urlTemplate.replaceAll('{version}', NEW);
  const network: Floor['network'] = {};
  const pipelines: Floor['pipelines'] = {};
  for (const rate of rates) {
    throttle(f, rate.bps);
    const ms: number[] = [];
    const bps: number[] = [];
    for (let i = 0; i < reps; i++) {
      const r = await runOk(['curl', '-fsS', '-o', '/dev/null', '-w', '%{size_download} %{time_total}', url]);
      const [size, secs] = r.stdout.trim().split(' ').map(Number);
      ms.push(secs! * 1000);
      bps.push(size! / secs!);
    }
    network[rate.name] = { ms, bps };
    const file = path.join(f.scratch, 'floor-pipeline.out');
    const p = { inflate: [] as number[], write: [] as number[] };
    for (let i = 0; i < reps; i++) {
      p.inflate.push(await streamed(url, () => {}));
      const fd = openSync(file, 'w');
      try {
        p.write.push(await streamed(url, (c) => writeSync(fd, c)));
      } finally {
        closeSync(fd);
        rmSync(file);
      }
    }
    pipelines[rate.name] = p;
  }
  throttle(f, null);
  const inflateRuns: Floor['inflate'] = [];
  let unpackedBytes = 0;
  for (const chunk of [16 * 1024, 64 * 1024, 256 * 1024, 1024 * 1024]) {
    const ms: number[] = [];
    for (let i = 0; i < reps; i++) {
      const r = await inflate(f.tarballs.big, chunk);
      ms.push(r.ms);
      unpackedBytes = r.bytes;
    }
    inflateRuns.push({ chunk, ms });
  }
  const best = inflateRuns.map((r) => ({ chunk: r.chunk, ms: median(r.ms) })).sort((a, b) => a.ms - b.ms)[0]!;
  return { network, inflate: inflateRuns, best, tarballBytes: f.tarballs.big.length, unpackedBytes, pipelines };
}
