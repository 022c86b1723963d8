import { mkdir, rename, statfs } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Agent, interceptors, RetryAgent, request, type Dispatcher } from 'undici';
import { GlrError, refuse } from '../../errors.js';
import { PREPARING_MARKER } from '../../layout.js';
import { failpoint } from '../../runtime/failpoint.js';
import { collectYoung } from '../../runtime/gc.js';
import { atomicWriteFile, errnoCode, fsyncDir, nonce, removeTree } from '../../runtime/fsx.js';
import type { PreparingMarker } from '../../runtime/marker.js';
import { size } from '../../runtime/text.js';
import type { ApplyContext } from '../context.js';
import { Checksums, parseGoogHash } from './checksums.js';
import { diskUsage } from '../../runtime/du.js';
import { downloadError, isDataError, unpackProblem, type Release } from './messages.js';
import { Progress } from './progress.js';
import { Unpack } from './unpack.js';

/** Redirects followed for a release download (a mirror may send one, a CDN another); a longer chain is refused. */
const MAX_REDIRECTS = 5;
/** A release unpacks to about this many times its compressed size. */
const EXPANSION = 3;
/** a minor GC after this many bytes through the pipeline (read + unpacked): src/runtime/gc.ts */
const COLLECT_EVERY = 4 * 2 ** 20;

export interface Downloaded {
  sha256: string;
  bytes: number;
  verifiedBy: string[];
}

/**
 * Streams the tarball in one pass into a staging folder under {root}/.glr/staging: network →
 * hashes → gunzip → tar entry policy → writes, every stage working at the same time (never the
 * whole tarball in memory or on disk). Only when the whole body has been verified is the folder
 * moved to {root}/V (one rename), carrying the .glr-preparing marker from its first instant. On
 * any failure nothing is left behind.
 */
export async function download(ctx: ApplyContext, a: { version: string; url: string; sha256: string | null; reclaimable?: string[] }): Promise<Downloaded> {
  const { layout, log } = ctx;
  const cpu = process.cpuUsage();
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
    // cpuMs: this process's CPU time for it, every thread (network, hashes, inflate, writes)
    const used = process.cpuUsage(cpu);
    const cpuMs = Math.round((used.user + used.system) / 1000);
    log.info({ version: a.version, bytes: got.bytes, sha256: got.sha256, verifiedBy: got.verifiedBy, cpuMs }, 'release downloaded, verified and extracted');
    return got;
  } catch (e) {
    // a full disk or a refused write is the host's problem, not a bug: one line, no stack
    throw e instanceof GlrError ? e : unpackProblem(e, a, 0, layout.root);
  } finally {
    await removeTree(staging);
  }
}

function newDispatcher(ctx: ApplyContext): Dispatcher {
  const { tuning } = ctx;
  // past MAX_REDIRECTS the last 3xx comes back as the answer
  const redirecting = new Agent({ connect: { timeout: 15_000 } }).compose(interceptors.redirect({ maxRedirections: MAX_REDIRECTS }));
  return new RetryAgent(redirecting, {
    maxRetries: tuning.downloadRetries,
    minTimeout: tuning.downloadRetryBaseMs,
    maxTimeout: Math.max(tuning.downloadRetryBaseMs, 30_000),
    timeoutFactor: 2,
    statusCodes: [429, 500, 502, 503, 504],
    errorCodes: ['ECONNRESET', 'ECONNREFUSED', 'ENOTFOUND', 'ENETDOWN', 'ENETUNREACH', 'EHOSTDOWN', 'EHOSTUNREACH', 'EPIPE', 'EAI_AGAIN'],
  });
}

/**
 * The request, the checks made on its headers, and the body fed through the hashes into the
 * unpacking. Whatever way it ends (a refusal on the headers, a failure of either side, an
 * interruption), the body is destroyed and the connections with it before this returns: no
 * await here waits on a body nobody reads.
 */
async function fetchInto(ctx: ApplyContext, a: Release & { sha256: string | null; reclaimable?: string[] }, staging: string): Promise<Downloaded> {
  const { tuning, signals, layout, log } = ctx;
  const dispatcher = newDispatcher(ctx);
  const where = `${a.version} from ${a.url}`;
  let body: Readable | null = null;
  try {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(a.url, {
        dispatcher,
        signal: signals.signal,
        headersTimeout: tuning.downloadStallMs,
        bodyTimeout: tuning.downloadStallMs,
      });
    } catch (e) {
      log.debug({ err: e }, 'the request failed');
      throw downloadError(e, a, ctx);
    }
    body = res.body;
    if (res.statusCode !== 200) {
      throw refuse(
        res.statusCode === 404
          ? `release ${a.version} not found (HTTP 404 from ${a.url}); is the version published, and is release.url right?`
          : res.statusCode >= 300 && res.statusCode < 400
            ? `downloading ${where} failed: still redirected (HTTP ${res.statusCode}) after ${MAX_REDIRECTS} redirects; check release.url`
            : `downloading ${where} failed: HTTP ${res.statusCode}${res.statusCode >= 500 || res.statusCode === 429 ? ` (tried ${tuning.downloadRetries + 1} times); the bucket has trouble: run again later` : '; check release.url'}`,
      );
    }
    const header = Number(res.headers['content-length'] ?? NaN);
    const length = Number.isFinite(header) ? header : null;
    // checked before a byte of the body is read: a release that cannot fit is never started
    const budget = await checkDisk(layout.root, length, a.version, tuning.diskReserveBytes, () => pruneWouldFree(ctx, a.reclaimable ?? []));
    await failpoint('download', log);

    const sums = new Checksums(a.sha256, parseGoogHash(res.headers['x-goog-hash']));
    const unpack = new Unpack(staging, budget);
    const progress = new Progress({ version: a.version, total: length, log });
    // when the unpacking fails on damaged data, the rest of the body is still read (only
    // hashed), so that a transfer corrupted on the way is told apart from a broken release
    const keepReading = () => sums.canVerify && unpack.refusal === null && isDataError(unpack.error);
    let transferError: unknown = null;
    let cut = false;
    let collectAt = COLLECT_EVERY;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        sums.update(chunk);
        progress.add(chunk.length);
        if (sums.bytes + unpack.unpacked >= collectAt) {
          collectAt = sums.bytes + unpack.unpacked + COLLECT_EVERY;
          collectYoung();
        }
        if (unpack.stopped) {
          await unpack.settled; // its error is recorded once it has settled
          if (keepReading()) continue;
          cut = true;
          break;
        }
        await unpack.write(chunk);
      }
    } catch (e) {
      transferError = e;
    } finally {
      progress.end();
    }
    if (transferError !== null) {
      // the network failed (or glr was interrupted): stop the unpacking and let it settle
      // before the staging folder goes
      await unpack.stop(new Error('the transfer failed'));
      log.debug({ err: transferError, bytes: sums.bytes }, 'the transfer failed');
      throw downloadError(transferError, a, ctx, sums.bytes, length);
    }
    await unpack.end();
    const bytes = sums.bytes;
    const whole = !cut;
    if (whole && length !== null && bytes !== length) {
      throw refuse(`downloading ${where} failed: the transfer was cut short after ${bytes} of ${length} bytes; run again`);
    }
    // a corrupted transfer explains any unpacking error that came with it: checksums first
    const checked = whole ? sums.verify(a.version) : null;
    if (unpack.refusal)
      throw refuse(`the ${a.version} tarball is refused: ${unpack.refusal}; nothing of it was kept. Do not install this release: report it to GenLayer`);
    if (unpack.error !== null) throw unpackProblem(unpack.error, a, budget, layout.root);
    if (checked === null) throw new Error('the download stopped without a reason');
    if (unpack.topFolder === null) throw refuse(`the ${a.version} tarball is empty; is release.url right?`);
    return { sha256: checked.sha256, bytes, verifiedBy: checked.verifiedBy };
  } finally {
    // a body left unread (a refusal on the headers, a failure) would hold its connection, and
    // a graceful close would wait on it for ever: destroy both
    if (body) discard(body);
    await dispatcher.destroy().catch(() => {});
  }
}

/** Lets go of a body, read or not (undici reports the destroy of an unread one as an error). */
function discard(body: Readable): void {
  body.on('error', () => {});
  if (!body.destroyed) body.destroy();
}

/**
 * Room for the release, from its Content-Length, before the body is read: the download unpacked
 * (about EXPANSION times) plus the reserve left for the running node. Returns how many unpacked
 * bytes the extraction may write (free space less the reserve).
 */
async function checkDisk(root: string, length: number | null, version: string, reserve: number, prunable: () => Promise<string>): Promise<number> {
  const s = await statfs(root);
  const free = s.bavail * s.bsize;
  if (length !== null) {
    const need = length * EXPANSION + reserve;
    if (free < need) {
      throw refuse(
        `not enough disk for ${version}: ${size(free)} free under ${root}, about ${size(need)} needed (the ${size(length)} download unpacked, plus ${size(reserve)} kept free for the running node); ${await prunable()}free some space and run again`,
      );
    }
  }
  return Math.max(0, free - reserve);
}

/** What `glr prune` would free now, measured only when the disk refuses: a clause, or nothing. */
async function pruneWouldFree(ctx: ApplyContext, versions: string[]): Promise<string> {
  if (!versions.length) return '';
  const sizes = await Promise.all(versions.map((v) => diskUsage(ctx.layout.versionDir(v))));
  const bytes = sizes.reduce<number>((n, b) => n + (b ?? 0), 0);
  return `\`glr prune\` would free ${size(bytes)} (${versions.join(', ')}); `;
}
