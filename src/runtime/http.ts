import { clip } from './text.js';

/**
 * Reads a response body up to `cap` bytes; a larger one is destroyed (never buffered whole) and
 * rejected. Used for every small answer glr reads: /health, /metrics, the bucket's listing.
 */
export async function readCapped(body: AsyncIterable<Uint8Array> & { destroy(): unknown }, cap: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > cap) {
      body.destroy();
      throw Object.assign(new Error(`the answer is larger than ${cap} bytes`), { code: 'GLR_TOO_LARGE' });
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A failed HTTP request as an operator reads it: refused, not found, timed out, reset... */
export function networkProblem(e: unknown): string {
  const err = e as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  const code = err.cause?.code ?? err.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || err.name === 'TimeoutError')
    return 'timed out';
  if (code === 'ABORT_ERR' || err.name === 'AbortError') return 'timed out';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection reset';
  if (code === 'GLR_TOO_LARGE' && err.message) return err.message;
  return err.message ? clip(err.message, 120) : 'request failed';
}
