import { request } from 'undici';
import { networkProblem, readCapped } from './http.js';
import { noAnswer, parseHealth, type HealthReading } from './health-reading.js';

/**
 * One GET of the health URL. Never throws: no answer is a reading too. `timeoutMs` bounds the
 * whole request (connect, headers, body); `signal` cancels it early.
 */
export async function readHealth(url: string, timeoutMs = 2000, signal?: AbortSignal): Promise<HealthReading> {
  let statusCode: number;
  let text: string;
  try {
    const timeout = AbortSignal.timeout(timeoutMs);
    const res = await request(url, {
      method: 'GET',
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    statusCode = res.statusCode;
    text = await readCapped(res.body, 64 * 1024);
  } catch (e) {
    return noAnswer(networkProblem(e));
  }
  return parseHealth(statusCode, text);
}

/** `genlayer_node_synced_block` from /metrics beside the health URL, or null when it cannot be read. */
export async function readSyncedBlock(healthUrl: string, timeoutMs = 2000): Promise<number | null> {
  try {
    const res = await request(new URL('/metrics', healthUrl), { headersTimeout: timeoutMs, bodyTimeout: timeoutMs, signal: AbortSignal.timeout(timeoutMs) });
    const text = await readCapped(res.body, 4 * 1024 * 1024);
    if (res.statusCode !== 200) return null;
    const m = /^genlayer_node_synced_block(?:\{[^}]*\})?\s+([0-9.eE+]+)\s*$/m.exec(text);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}
