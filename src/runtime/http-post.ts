import http from 'node:http';
import https from 'node:https';
import { readCapped } from './http.js';

/**
 * One small JSON POST through Node's own HTTP client (see http-get.ts), for the node's ops port
 * (`POST /snapshot`). `headers` may carry a credential: nothing here logs or returns them.
 * `timeoutMs` bounds the whole request; an answer's body is read up to `cap` bytes.
 */
export function httpPostJson(
  url: string,
  body: unknown,
  o: { timeoutMs: number; cap: number; headers?: Record<string, string> },
): Promise<{ statusCode: number; text: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : null;
    if (!client) {
      reject(new Error(`${target.protocol} is not http: or https:`));
      return;
    }
    const data = Buffer.from(JSON.stringify(body));
    const timer = setTimeout(() => req.destroy(Object.assign(new Error('timed out'), { name: 'TimeoutError' })), o.timeoutMs);
    const req = client.request(
      target,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': String(data.length), ...o.headers } },
      (res) => {
        readCapped(res, o.cap).then(
          (text) => {
            clearTimeout(timer);
            resolve({ statusCode: res.statusCode ?? 0, text });
          },
          (e: unknown) => {
            clearTimeout(timer);
            reject(e);
          },
        );
      },
    );
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end(data);
  });
}
