/**
 * 2. Download + extract against the physical floor. The floor of a streamed download + extract is
 * max(network, inflate): the bytes cannot arrive faster than the link brings them (curl to
 * /dev/null from the same bucket at the same rate, which also checks the throttle's achieved
 * rate), nor be unpacked faster than Node's zlib inflates them (the same tarball, gunzipped from
 * memory, output discarded, at the chunk size that does best). glr's own figure is its download
 * action's ms (download + verify + extract), from the end-to-end rounds' logs.
 */
import zlib from 'node:zlib';
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
  return { network, inflate: inflateRuns, best, tarballBytes: f.tarballs.big.length, unpackedBytes };
}
