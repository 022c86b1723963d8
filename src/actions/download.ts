import { createHash } from 'node:crypto';
import { mkdir, rename, statfs } from 'node:fs/promises';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { Crc32c } from '@aws-crypto/crc32c';
import * as tar from 'tar';
import { Agent, RetryAgent, request } from 'undici';
import { GlrError, InterruptedError, refuse } from '../errors.js';
import { atomicWriteFile, errnoCode, fsyncDir, nonce, removeTree } from '../runtime/fsx.js';
import { networkProblem } from '../runtime/http.js';
import type { PreparingMarker } from '../runtime/marker.js';
import type { ApplyContext } from './context.js';
import { TarPolicy } from './tar-policy.js';
import { PREPARING_MARKER } from '../layout.js';
import path from 'node:path';

/** A release unpacks to about this many times its compressed size. */
const EXPANSION = 3;

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
export async function download(ctx: ApplyContext, a: { version: string; url: string; sha256: string | null }): Promise<Downloaded> {
  const { layout, log } = ctx;
  const dest = layout.versionDir(a.version);
  const staging = layout.staging(a.version, nonce());
  try {
    await mkdir(layout.stagingDir, { recursive: true, mode: 0o700 });
    await mkdir(staging, { mode: 0o755 });
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
  } catch (e) {
    // a full disk or a refused write is the host's problem, not a bug: one line, no stack
    throw e instanceof GlrError ? e : unpackProblem(e, a, 0, layout.root);
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
      throw downloadError(e, a, ctx);
    }
    if (res.statusCode !== 200) {
      await res.body.dump().catch(() => {});
      throw refuse(
        res.statusCode === 404
          ? `release ${a.version} not found (HTTP 404 from ${a.url}); is the version published, and is release.url right?`
          : `downloading ${where} failed: HTTP ${res.statusCode}${res.statusCode >= 500 || res.statusCode === 429 ? ` (tried ${tuning.downloadRetries + 1} times); the bucket has trouble: run again later` : '; check release.url'}`,
      );
    }
    const length = Number(res.headers['content-length'] ?? NaN);
    // checked before a byte of the body is read: a release that cannot fit is never started
    const budget = await checkDisk(layout.root, Number.isFinite(length) ? length : null, a.version, tuning.diskReserveBytes);
    const googHash = parseGoogHash(res.headers['x-goog-hash']);
    const canVerify = a.sha256 !== null || googHash.md5 !== undefined || googHash.crc32c !== undefined;

    const sha256 = createHash('sha256');
    const md5 = createHash('md5');
    const crc = new Crc32c();
    let bytes = 0;
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

    // bytes → hashes → gunzip → (size budget) → tar, with the network side apart from the
    // unpacking side: when the unpacking fails on damaged data, the rest of the body is still read
    // (only hashed), so that a transfer corrupted on the way is told apart from a broken release
    let unpackError: unknown = null;
    const failed = (e: unknown) => {
      unpackError ??= e;
    };
    const gunzip = zlib.createGunzip();
    let unpacked = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        unpacked += chunk.length;
        if (unpacked > budget) {
          done(Object.assign(new Error('over budget'), { code: 'GLR_OVER_BUDGET' }));
          return;
        }
        done(null, chunk);
      },
    });
    const unpacking = pipeline(gunzip, meter, extract, { signal: signals.signal }).catch(failed);
    const keepReading = (e: unknown) => canVerify && refusal === null && isDataError(e);
    const feed = new Writable({
      write(chunk: Buffer, _enc, done) {
        sha256.update(chunk);
        md5.update(chunk);
        crc.update(chunk);
        bytes += chunk.length;
        if (unpackError !== null || gunzip.destroyed) {
          if (unpackError === null || keepReading(unpackError)) return done();
          return done(Object.assign(new Error('unpacking failed'), { code: 'GLR_UNPACK_FAILED' }));
        }
        if (gunzip.write(chunk)) return done();
        const go = () => {
          gunzip.off('drain', go);
          gunzip.off('close', go);
          done();
        };
        gunzip.on('drain', go);
        gunzip.on('close', go);
      },
      final(done) {
        if (unpackError === null && !gunzip.destroyed) gunzip.end();
        done();
      },
    });
    let transferError: unknown = null;
    await pipeline(res.body, feed, { signal: signals.signal }).catch((e: unknown) => {
      transferError = e;
    });
    if (transferError !== null && (transferError as { code?: string }).code !== 'GLR_UNPACK_FAILED') {
      // the network failed: stop the unpacking, let it settle before the staging folder goes
      gunzip.destroy();
      await unpacking;
      throw downloadError(transferError, a, ctx, bytes, length);
    }
    await unpacking;
    const whole = transferError === null;
    if (whole && Number.isFinite(length) && bytes !== length) {
      throw refuse(`downloading ${where} failed: the transfer was cut short after ${bytes} of ${length} bytes; run again`);
    }

    // a corrupted transfer explains any unpacking error that came with it: checksums first
    const verifiedBy: string[] = [];
    const sum = sha256.digest('hex');
    if (whole) {
      if (a.sha256) {
        if (sum !== a.sha256)
          throw refuse(
            `checksum mismatch for ${a.version}: release.sha256 is ${a.sha256}, the download is ${sum}; nothing was installed. Check the pinned sum (glr bump ${a.version} --sha256 ...) or run again if the transfer was corrupted`,
          );
        verifiedBy.push('sha256');
      }
      if (googHash.md5) {
        if (md5.digest('base64') !== googHash.md5) throw corrupted(a.version, 'md5');
        verifiedBy.push('md5');
      }
      if (googHash.crc32c) {
        const b = Buffer.alloc(4);
        b.writeUInt32BE(crc.digest() >>> 0);
        if (b.toString('base64') !== googHash.crc32c) throw corrupted(a.version, 'crc32c');
        verifiedBy.push('crc32c');
      }
    }
    if (refusal) throw refuse(`the ${a.version} tarball is refused: ${refusal}; nothing of it was kept. Do not install this release: report it to GenLayer`);
    if (unpackError !== null) throw unpackProblem(unpackError, a, budget, layout.root);
    if (policy.topFolder === null) throw refuse(`the ${a.version} tarball is empty; is release.url right?`);
    return { sha256: sum, bytes, verifiedBy };
  } finally {
    await dispatcher.close().catch(() => {});
  }
}

function corrupted(version: string, hash: string): GlrError {
  return refuse(`the ${version} download does not match the bucket's ${hash} (x-goog-hash); it was corrupted on the way: nothing was installed, run again`);
}

/** Damaged data (as opposed to a refusal, a full disk or an interruption). */
function isDataError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  if (typeof code !== 'string') return false;
  return code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR' || code === 'TAR_BAD_ARCHIVE' || code === 'TAR_ENTRY_INVALID';
}

function unpackProblem(e: unknown, a: { version: string; url: string }, budget: number, root: string): GlrError {
  if (e instanceof GlrError) return e;
  const err = e as NodeJS.ErrnoException;
  const v = a.version;
  switch (err.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return refuse(`the disk filled up while extracting ${v}; nothing of it was kept: free some space under ${root} and run again`);
    case 'GLR_OVER_BUDGET':
      return refuse(
        `the ${v} tarball unpacks to more than the ${size(budget)} free under ${root} (less the reserve kept for the running node); nothing of it was kept: free some space and run again`,
      );
    case 'Z_DATA_ERROR':
      return /header check/.test(err.message)
        ? refuse(`the ${v} download is not a gzip file (${err.message}); ${a.url} served something else: is release.url right?`)
        : refuse(`the ${v} download is damaged (gzip: ${err.message}); nothing was installed: run again, and if it persists the release itself is broken`);
    case 'Z_BUF_ERROR':
      return refuse(`the ${v} download ends early (the gzip stream is cut short); nothing was installed: run again`);
    default:
      if (typeof err.code === 'string' && err.code.startsWith('TAR_')) {
        return refuse(`the ${v} tarball is damaged or unsafe: ${clip(err.message.replace(/^TAR_\w+: /, ''))}; nothing of it was kept`);
      }
      return refuse(`extracting ${v} failed: ${err.code ? `${err.code} ` : ''}${clip(err.message ?? String(e))}; nothing of it was kept`);
  }
}

/**
 * Room for the release, from its Content-Length, before the body is read: the download unpacked
 * (about EXPANSION times) plus the reserve left for the running node. Returns how many unpacked
 * bytes the extraction may write (free space less the reserve).
 */
async function checkDisk(root: string, length: number | null, version: string, reserve: number): Promise<number> {
  const s = await statfs(root);
  const free = s.bavail * s.bsize;
  if (length !== null) {
    const need = length * EXPANSION + reserve;
    if (free < need) {
      throw refuse(
        `not enough disk for ${version}: ${size(free)} free under ${root}, about ${size(need)} needed (the ${size(length)} download unpacked, plus ${size(reserve)} kept free for the running node); free some space and run again`,
      );
    }
  }
  return Math.max(0, free - reserve);
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

function downloadError(e: unknown, a: { version: string; url: string }, ctx: ApplyContext, bytes?: number, length?: number): GlrError {
  if (e instanceof GlrError) return e;
  if (ctx.signals.signal.aborted) return ctx.signals.signal.reason instanceof InterruptedError ? ctx.signals.signal.reason : new InterruptedError('SIGTERM');
  const where = `${a.version} from ${a.url}`;
  const err = e as NodeJS.ErrnoException & { statusCode?: number };
  const tries = `tried ${ctx.tuning.downloadRetries + 1} times`;
  if (err.statusCode && err.statusCode >= 400) {
    return refuse(`downloading ${where} failed: HTTP ${err.statusCode} (${tries}); the bucket has trouble: run again later`);
  }
  const problem = networkProblem(e);
  const started = bytes !== undefined && bytes > 0;
  const progress = started ? ` after ${bytes}${length !== undefined && Number.isFinite(length) ? ` of ${length}` : ''} bytes` : '';
  if (problem === 'timed out') {
    return refuse(
      `downloading ${where} stalled${progress}: nothing received for ${Math.round(ctx.tuning.downloadStallMs / 1000)} s; check this host's network and run again`,
    );
  }
  if (started) return refuse(`downloading ${where} failed: the transfer was cut short${progress} (${problem}); run again`);
  if (problem === 'connection refused' || problem === 'host not found') {
    return refuse(`downloading ${where} failed: ${problem} (${tries}); is release.url right, and can this host reach it?`);
  }
  return refuse(`downloading ${where} failed: ${problem}; run again`);
}

/** 1.5 GiB, 300 MiB, 12 KiB: sizes as an operator reads them. */
function size(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${v >= 10 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

function clip(s: string, n = 160): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n - 3)}...` : one;
}
