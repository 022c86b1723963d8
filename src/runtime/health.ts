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
