import http from 'node:http';
import https from 'node:https';
import { readCapped } from './http.js';

/** What one small request may carry; `timeoutMs` bounds the whole request, a body over `cap` bytes is refused. */
interface SmallRequest {
  timeoutMs: number;
  cap: number;
  signal?: AbortSignal;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: Buffer;
}

/**
 * One small request through Node's own HTTP client, for the node's ops port (/health, /metrics,
 * `POST /snapshot`): its parser is native, so a process that asks once pays nothing to set it up.
 * (undici, which downloads releases, compiles a WebAssembly parser on its first request: measured
 * at about 45 MB more peak memory for a converged `glr reconcile`, see docs/benchmarks.md.) A fresh
 * connection per request: a booting node holding one open cannot hold the next.
 */
function smallRequest(url: string, o: SmallRequest): Promise<{ statusCode: number; text: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : null;
    if (!client) {
      reject(new Error(`${target.protocol} is not http: or https:`));
      return;
    }
    const timer = setTimeout(() => req.destroy(Object.assign(new Error('timed out'), { name: 'TimeoutError' })), o.timeoutMs);
    const options = { method: o.method ?? 'GET', agent: false, ...(o.headers ? { headers: o.headers } : {}), ...(o.signal ? { signal: o.signal } : {}) };
    const req = client.request(target, options, (res) => {
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
    req.end(o.body);
  });
}

/** A GET of the ops port; `signal` cancels it. */
export function httpGet(url: string, o: { timeoutMs: number; cap: number; signal?: AbortSignal }): Promise<{ statusCode: number; text: string }> {
  return smallRequest(url, o);
}

/** A JSON POST to the ops port. `headers` may carry a credential: nothing here logs or returns them. */
export function httpPostJson(
  url: string,
  body: unknown,
  o: { timeoutMs: number; cap: number; headers?: Record<string, string> },
): Promise<{ statusCode: number; text: string }> {
  const data = Buffer.from(JSON.stringify(body));
  return smallRequest(url, {
    timeoutMs: o.timeoutMs,
    cap: o.cap,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': String(data.length), ...o.headers },
    body: data,
  });
}
