import http from 'node:http';
import https from 'node:https';
import { readCapped } from './http.js';

/**
 * One small GET through Node's own HTTP client, for the node's ops port (/health, /metrics):
 * its parser is native, so a process that asks once pays nothing to set it up. (undici, which
 * downloads releases, compiles a WebAssembly parser on its first request: measured at about
 * 45 MB more peak memory for a converged `glr reconcile`, see docs/benchmarks.md.) A fresh
 * connection per request: a booting node holding one open cannot hold the next.
 *
 * `timeoutMs` bounds the whole request; `signal` cancels it; a body over `cap` bytes is refused.
 */
export function httpGet(url: string, o: { timeoutMs: number; cap: number; signal?: AbortSignal }): Promise<{ statusCode: number; text: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : null;
    if (!client) {
      reject(new Error(`${target.protocol} is not http: or https:`));
      return;
    }
    const timer = setTimeout(() => req.destroy(Object.assign(new Error('timed out'), { name: 'TimeoutError' })), o.timeoutMs);
    const req = client.get(target, { agent: false, ...(o.signal ? { signal: o.signal } : {}) }, (res) => {
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
    });
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
