import { httpGet } from './http-request.js';
import { networkProblem } from './http.js';
import { noAnswer, parseHealth, type HealthReading } from './health-reading.js';

/**
 * One GET of the health URL. Never throws: no answer is a reading too. `timeoutMs` bounds the
 * whole request (connect, headers, body); `signal` cancels it early.
 */
export async function readHealth(url: string, timeoutMs = 2000, signal?: AbortSignal): Promise<HealthReading> {
  let statusCode: number;
  let text: string;
  try {
    ({ statusCode, text } = await httpGet(url, { timeoutMs, cap: 64 * 1024, ...(signal ? { signal } : {}) }));
  } catch (e) {
    return noAnswer(networkProblem(e));
  }
  return parseHealth(statusCode, text);
}

/** `genlayer_node_synced_block` from /metrics beside the health URL, or null when it cannot be read. */
export async function readSyncedBlock(healthUrl: string, timeoutMs = 2000): Promise<number | null> {
  try {
    const { statusCode, text } = await httpGet(new URL('/metrics', healthUrl).toString(), { timeoutMs, cap: 4 * 1024 * 1024 });
    if (statusCode !== 200) return null;
    const m = /^genlayer_node_synced_block(?:\{[^}]*\})?\s+([0-9.eE+]+)\s*$/m.exec(text);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}
