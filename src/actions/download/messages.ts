import { GlrError, InterruptedError, refuse } from '../../errors.js';
import { networkProblem } from '../../runtime/http.js';
import { clip, codeAndMessage, size } from '../../runtime/text.js';
import type { ApplyContext } from '../context.js';

export interface Release {
  version: string;
  url: string;
}

/** Damaged data (as opposed to a refusal, a full disk or an interruption). */
export function isDataError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  if (typeof code !== 'string') return false;
  return code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR' || code === 'TAR_BAD_ARCHIVE' || code === 'TAR_ENTRY_INVALID';
}

/** What went wrong while unpacking, as one line. */
export function unpackProblem(e: unknown, a: Release, budget: number, root: string): GlrError {
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
      return refuse(`extracting ${v} failed: ${codeAndMessage(e)}; nothing of it was kept`);
  }
}

/**
 * What went wrong on the network side, as one line. `bytes` is given once the response headers
 * have come: the body then was cut short or stalled, even when no byte of it was read (a body
 * that breaks off before glr reads its first chunk takes that chunk with it).
 */
export function downloadError(e: unknown, a: Release, ctx: ApplyContext, bytes?: number, length?: number | null): GlrError {
  if (e instanceof GlrError) return e;
  if (ctx.signals.signal.aborted) return ctx.signals.signal.reason instanceof InterruptedError ? ctx.signals.signal.reason : new InterruptedError('SIGTERM');
  const where = `${a.version} from ${a.url}`;
  const err = e as NodeJS.ErrnoException & { statusCode?: number };
  const tries = `tried ${ctx.tuning.downloadRetries + 1} times`;
  if (err.statusCode && err.statusCode >= 400) {
    return refuse(`downloading ${where} failed: HTTP ${err.statusCode} (${tries}); the bucket has trouble: run again later`);
  }
  const problem = networkProblem(e);
  const started = bytes !== undefined;
  const progress = started ? ` after ${bytes}${typeof length === 'number' ? ` of ${length}` : ''} bytes` : '';
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
