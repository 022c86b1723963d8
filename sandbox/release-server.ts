/**
 * A fake of GenLayer's release bucket on 127.0.0.1: tarballs at the bucket's paths with
 * Content-Length and `x-goog-hash` (crc32c and md5, as GCS sends them), the JSON listing API
 * with pages, and faults to inject (HTTP errors, a cut-short body, a stall, corruption).
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Crc32c } from '@aws-crypto/crc32c';

export type Fault =
  | { kind: 'status'; code: number; /** only the first N requests; then serve normally */ times?: number }
  | { kind: 'truncate' }
  | { kind: 'stall' }
  | { kind: 'corrupt'; /** as a composite object: x-goog-hash with crc32c only */ composite?: boolean }
  | { kind: 'no-hash' }
  | { kind: 'split-hash' }
  /** a composite object: x-goog-hash carries crc32c and no md5 */
  | { kind: 'composite' }
  | { kind: 'throttle'; bytesPerSecond: number };

export interface ReleaseServer {
  /** http://127.0.0.1:PORT */
  origin: string;
  /** release.url for desired-state.yaml, with {version} */
  urlTemplate: string;
  add(version: string, tarball: Buffer): void;
  fault(version: string, fault: Fault | null): void;
  /** versions in the listing that have no tarball here (listing tests) */
  list(names: string[]): void;
  pageSize: number;
  requests: string[];
  close(): Promise<void>;
}

export const BUCKET_PREFIX = 'genlayer-node/bin/amd64/';

/** the bucket's hashes of a tarball, computed once (a real-size one takes a second) */
const hashes = new WeakMap<Buffer, { crc: string; md5: string }>();
function hashesOf(body: Buffer): { crc: string; md5: string } {
  let h = hashes.get(body);
  if (!h) {
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(new Crc32c().update(body).digest() >>> 0);
    h = { crc: crc.toString('base64'), md5: createHash('md5').update(body).digest('base64') };
    hashes.set(body, h);
  }
  return h;
}

/**
 * A link of `bytesPerSecond`: a token bucket filled by the clock (not by timer ticks, which
 * drift), checked every millisecond, holding at most 20 ms of tokens (so a stall of the event
 * loop is caught up without a burst beyond that); writes wait for 'drain' (a slow reader is not
 * buffered for), and while they wait the bucket keeps filling only up to its cap.
 */
async function sendThrottled(res: http.ServerResponse, body: Buffer, bytesPerSecond: number): Promise<void> {
  const perMs = bytesPerSecond / 1000;
  const cap = Math.max(16 * 1024, perMs * 20);
  // small links (tests) send small writes; fast ones at most ~1 ms of tokens per write
  const minWrite = Math.min(16 * 1024, Math.max(1, Math.floor(perMs)));
  let tokens = 0;
  let last = performance.now();
  let off = 0;
  const closed = new Promise<void>((resolve) => res.once('close', resolve));
  while (off < body.length) {
    if (res.destroyed) return;
    const now = performance.now();
    tokens = Math.min(cap, tokens + (now - last) * perMs);
    last = now;
    const n = Math.min(Math.floor(tokens), body.length - off);
    if (n < minWrite && n < body.length - off) {
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    tokens -= n;
    const more = res.write(body.subarray(off, off + n));
    off += n;
    if (!more) await Promise.race([new Promise((r) => res.once('drain', r)), closed]);
  }
  if (!res.destroyed) res.end();
}

export async function startReleaseServer(): Promise<ReleaseServer> {
  const releases = new Map<string, Buffer>();
  const faults = new Map<string, Fault & { served?: number }>();
  const listed = new Set<string>();
  const requests: string[] = [];
  const stalled = new Set<http.ServerResponse>();
  const state = { pageSize: 2 };

  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/storage/v1/b/gh-af/o') return listing(url, res);
    const m = /^\/gh-af\/genlayer-node\/bin\/amd64\/([^/]+)\/genlayer-node-linux-amd64-([^/]+)\.tar\.gz$/.exec(url.pathname);
    const body = m && m[1] === m[2] ? releases.get(m[1]!) : undefined;
    if (!m || !body) {
      res.writeHead(404, { 'content-type': 'application/xml' }).end('<Error><Code>NoSuchKey</Code></Error>');
      return;
    }
    const fault = faults.get(m[1]!);
    if (fault?.kind === 'status') {
      fault.served = (fault.served ?? 0) + 1;
      if (fault.times === undefined || fault.served <= fault.times) {
        res.writeHead(fault.code).end(`error ${fault.code}`);
        return;
      }
    }
    const { crc, md5 } = hashesOf(body);
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/gzip', 'content-length': body.length };
    if (fault?.kind !== 'no-hash') {
      headers['x-goog-hash'] =
        fault?.kind === 'split-hash'
          ? [`crc32c=${crc}`, `md5=${md5}`]
          : fault?.kind === 'composite' || (fault?.kind === 'corrupt' && fault.composite)
            ? `crc32c=${crc}`
            : `crc32c=${crc},md5=${md5}`;
    }
    res.writeHead(200, headers);
    if (fault?.kind === 'truncate') {
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy());
    } else if (fault?.kind === 'stall') {
      stalled.add(res);
      res.write(body.subarray(0, Math.floor(body.length / 3)));
    } else if (fault?.kind === 'corrupt') {
      const bad = Buffer.from(body);
      bad[bad.length - 30] = bad[bad.length - 30]! ^ 0xff;
      res.end(bad);
    } else if (fault?.kind === 'throttle') {
      void sendThrottled(res, body, fault.bytesPerSecond);
    } else {
      res.end(body);
    }
  });

  function listing(url: URL, res: http.ServerResponse): void {
    const prefix = url.searchParams.get('prefix') ?? '';
    const names = [...new Set([...releases.keys(), ...listed])]
      .map((v) => `${BUCKET_PREFIX}${v}/genlayer-node-linux-amd64-${v}.tar.gz`)
      .filter((n) => n.startsWith(prefix))
      .sort();
    const start = Number(url.searchParams.get('pageToken') ?? 0);
    const page = names.slice(start, start + state.pageSize);
    const next = start + state.pageSize < names.length ? String(start + state.pageSize) : undefined;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: 'storage#objects',
        items: page.map((name) => ({ kind: 'storage#object', name, bucket: 'gh-af' })),
        ...(next ? { nextPageToken: next } : {}),
      }),
    );
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    urlTemplate: `${origin}/gh-af/genlayer-node/bin/amd64/{version}/genlayer-node-linux-amd64-{version}.tar.gz`,
    add: (v, tarball) => {
      hashesOf(tarball); // now, not in the first request's time
      releases.set(v, tarball);
    },
    fault: (v, f) => void (f ? faults.set(v, { ...f }) : faults.delete(v)),
    list: (names) => names.forEach((n) => listed.add(n)),
    get pageSize() {
      return state.pageSize;
    },
    set pageSize(n: number) {
      state.pageSize = n;
    },
    requests,
    close: async () => {
      for (const r of stalled) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
