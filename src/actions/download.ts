import { createHash } from 'node:crypto';
import { mkdir, rename, statfs } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { Crc32c } from '@aws-crypto/crc32c';
import * as tar from 'tar';
import { Agent, RetryAgent, request } from 'undici';
import { GlrError, InterruptedError, refuse } from '../errors.js';
import { atomicWriteFile, errnoCode, fsyncDir, nonce, removeTree } from '../runtime/fsx.js';
import { networkProblem } from '../runtime/health.js';
import type { PreparingMarker } from '../runtime/marker.js';
import type { ApplyContext } from './context.js';
import { TarPolicy } from './tar-policy.js';
import { PREPARING_MARKER } from '../layout.js';
import path from 'node:path';

/** A release unpacks to about this many times its compressed size; the rest is margin. */
const EXPANSION = 3;
const MARGIN_BYTES = 256 * 2 ** 20;

export interface Downloaded {
  sha256: string;
  bytes: number;
  verifiedBy: string[];
}

/**
 * Streams the tarball in one pass: bytes → (sha256, md5, crc32c, count) → gunzip → tar, into a
 * staging folder under {root}/.glr/staging; never the whole tarball in memory or on disk. Only
 * when every check passed is the folder moved to {root}/V (one rename), carrying the
 * .glr-preparing marker from its first instant. On any failure nothing is left behind.
 */
export async function download(
  ctx: ApplyContext,
  a: { version: string; url: string; sha256: string | null },
): Promise<Downloaded> {
  const { layout, log, tuning } = ctx;
  const dest = layout.versionDir(a.version);
  const staging = layout.staging(a.version, nonce());
  await mkdir(layout.stagingDir, { recursive: true, mode: 0o700 });
  await mkdir(staging, { mode: 0o755 });
  try {
    const got = await fetchInto(ctx, a, staging);
    const marker: PreparingMarker & { sha256: string } = { version: a.version, pid: process.pid, at: new Date().toISOString(), sha256: got.sha256 };
    await atomicWriteFile(path.join(staging, PREPARING_MARKER), `${JSON.stringify(marker)}\n`);
    try {
      await rename(staging, dest);
    } catch (e) {
      const c = errnoCode(e);
      if (c === 'EEXIST' || c === 'ENOTEMPTY') throw refuse(`${dest} appeared while ${a.version} was downloading; not overwriting it`);
      throw e;
    }
    await fsyncDir(layout.root);
    log.info({ version: a.version, bytes: got.bytes, sha256: got.sha256, verifiedBy: got.verifiedBy }, 'release downloaded, verified and extracted');
    return got;
  } finally {
    await removeTree(staging);
  }
}

async function fetchInto(ctx: ApplyContext, a: { version: string; url: string; sha256: string | null }, staging: string): Promise<Downloaded> {
  const { tuning, signals, layout } = ctx;
  const dispatcher = new RetryAgent(new Agent({ connect: { timeout: 15_000 } }), {
    maxRetries: tuning.downloadRetries,
    minTimeout: tuning.downloadRetryBaseMs,
    maxTimeout: Math.max(tuning.downloadRetryBaseMs, 30_000),
    timeoutFactor: 2,
    statusCodes: [429, 500, 502, 503, 504],
    errorCodes: ['ECONNRESET', 'ECONNREFUSED', 'ENOTFOUND', 'ENETDOWN', 'ENETUNREACH', 'EHOSTDOWN', 'EHOSTUNREACH', 'EPIPE', 'EAI_AGAIN'],
  });
  const where = `${a.version} from ${a.url}`;
  try {
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(a.url, {
        dispatcher,
        signal: signals.signal,
        headersTimeout: tuning.downloadStallMs,
        bodyTimeout: tuning.downloadStallMs,
      });
    } catch (e) {
      throw downloadError(e, where, ctx);
    }
    if (res.statusCode !== 200) {
      await res.body.dump().catch(() => {});
      throw refuse(
        res.statusCode === 404
          ? `release ${a.version} not found (HTTP 404 from ${a.url}); is the version published, and is release.url right?`
          : `downloading ${where} failed: HTTP ${res.statusCode}${res.statusCode >= 500 ? ` (after ${tuning.downloadRetries} retries)` : ''}`,
      );
    }
    const length = Number(res.headers['content-length'] ?? NaN);
    if (Number.isFinite(length)) await checkDisk(layout.root, length, a.version);
    const googHash = parseGoogHash(res.headers['x-goog-hash']);

    const sha256 = createHash('sha256');
    const md5 = createHash('md5');
    const crc = new Crc32c();
    let bytes = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        sha256.update(chunk);
        md5.update(chunk);
        crc.update(chunk);
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    const policy = new TarPolicy();
    let refusal: string | null = null;
    const extract = tar.x({
      cwd: staging,
      strip: 1,
      strict: true,
      preserveOwner: false,
      filter: (p, entry) => {
        const why = policy.check(p, entry as unknown as { type: string; linkpath?: string });
        if (why && refusal === null) {
          refusal = why;
          extract.abort(Object.assign(new Error(why), { code: 'GLR_UNSAFE_TAR' }));
        }
        return why === null;
      },
    });
    try {
      await pipeline(res.body, meter, zlib.createGunzip(), extract, { signal: signals.signal });
    } catch (e) {
      if (refusal) throw refuse(`the ${a.version} tarball is refused: ${refusal}; nothing of it was kept`);
      throw downloadError(e, where, ctx, bytes, length);
    }
    if (Number.isFinite(length) && bytes !== length) {
      throw refuse(`downloading ${where} failed: got ${bytes} of ${length} bytes (the transfer was cut short)`);
    }
    if (policy.topFolder === null) throw refuse(`the ${a.version} tarball is empty`);

    const verifiedBy: string[] = [];
    const sum = sha256.digest('hex');
    if (a.sha256) {
      if (sum !== a.sha256) throw refuse(`checksum mismatch for ${a.version}: release.sha256 is ${a.sha256}, the download is ${sum}; nothing was installed`);
      verifiedBy.push('sha256');
    }
    if (googHash.md5) {
      const got = md5.digest('base64');
      if (got !== googHash.md5) throw refuse(`the ${a.version} download does not match the bucket's md5 (x-goog-hash); it was corrupted on the way: nothing was installed`);
      verifiedBy.push('md5');
    }
    if (googHash.crc32c) {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(crc.digest() >>> 0);
      if (b.toString('base64') !== googHash.crc32c) throw refuse(`the ${a.version} download does not match the bucket's crc32c (x-goog-hash); it was corrupted on the way: nothing was installed`);
      verifiedBy.push('crc32c');
    }
    return { sha256: sum, bytes, verifiedBy };
  } finally {
    await dispatcher.close().catch(() => {});
  }
}

async function checkDisk(root: string, length: number, version: string): Promise<void> {
  const s = await statfs(root);
  const free = s.bavail * s.bsize;
  const need = length * EXPANSION + MARGIN_BYTES;
  if (free < need) {
    throw refuse(`not enough disk for ${version}: ${mib(free)} free under ${root}, about ${mib(need)} needed (the ${mib(length)} download unpacked, plus margin); free some space and run again`);
  }
}

/** `x-goog-hash: crc32c=..., md5=...`, as one comma-joined header or as several. */
export function parseGoogHash(header: string | string[] | undefined): { md5?: string; crc32c?: string } {
  const out: { md5?: string; crc32c?: string } = {};
  const parts = (Array.isArray(header) ? header : header ? [header] : []).flatMap((h) => h.split(','));
  for (const part of parts) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim().toLowerCase();
    const v = part.slice(i + 1).trim();
    if (k === 'md5') out.md5 = v;
    if (k === 'crc32c') out.crc32c = v;
  }
  return out;
}

function downloadError(e: unknown, where: string, ctx: ApplyContext, bytes?: number, length?: number): GlrError {
  if (e instanceof GlrError) return e;
  if (ctx.signals.signal.aborted) return ctx.signals.signal.reason instanceof InterruptedError ? ctx.signals.signal.reason : new InterruptedError('SIGTERM');
  const err = e as NodeJS.ErrnoException & { statusCode?: number };
  const code = err.code;
  if (code === 'Z_DATA_ERROR') return refuse(`the ${where.split(' ')[0]} download is not a gzip file (${err.message}); is release.url right?`);
  if (code === 'Z_BUF_ERROR') return refuse(`downloading ${where} failed: the gzip stream ends early (the transfer was cut short)`);
  if (code === 'ENOSPC') return refuse(`the disk filled up while extracting ${where.split(' ')[0]}; nothing was kept: free some space and run again`);
  if (typeof code === 'string' && code.startsWith('TAR_')) return refuse(`the ${where.split(' ')[0]} tarball is damaged or unsafe: ${err.message.replace(/^TAR_\w+: /, '')}`);
  if (err.statusCode && err.statusCode >= 400) {
    return refuse(`downloading ${where} failed: HTTP ${err.statusCode} (after ${ctx.tuning.downloadRetries} retries)`);
  }
  const problem = networkProblem(e);
  const progress = bytes !== undefined && length !== undefined && Number.isFinite(length) ? ` after ${bytes} of ${length} bytes` : '';
  const stalled = problem === 'timed out' ? `stalled: nothing received for ${Math.round(ctx.tuning.downloadStallMs / 1000)} s` : problem;
  return refuse(`downloading ${where} failed${progress}: ${stalled}`);
}

function mib(n: number): string {
  return `${Math.round(n / 2 ** 20)} MiB`;
}
