/**
 * A mirror that answers a release download with a redirect (302 to where the tarball is, as
 * mirrors and CDNs do): followed, a bounded number of times; a chain longer than that (a loop)
 * is refused in one line, nothing kept.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type Sandbox, sandboxEachTest } from '../helpers/sandbox.js';
import { expectRefusal } from '../helpers/hostile.js';
import { runGlr } from '../helpers/glr.js';

const each = sandboxEachTest();
let mirror: http.Server | undefined;
afterEach(async () => {
  mirror?.closeAllConnections();
  await new Promise<void>((r) => (mirror ? mirror.close(() => r()) : r()));
  mirror = undefined;
});

/** A server on 127.0.0.1 that answers every GET with a 302 to `to(path)`; its origin. */
async function redirecting(to: (path: string) => string): Promise<string> {
  mirror = http.createServer((req, res) => res.writeHead(302, { location: to(req.url ?? '/') }).end());
  await new Promise<void>((r) => mirror!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(mirror.address() as AddressInfo).port}`;
}

/** desired-state.yaml whose release.url is the sandbox bucket's, served from `origin` */
function viaMirror(s: Sandbox, origin: string): string {
  const text = s.host.desiredYaml({ version: 'v0.4.5' });
  expect(text).toContain(s.server.origin);
  writeFileSync(s.host.file, text.replace(s.server.origin, origin));
  return s.host.file;
}

describe('a release URL that redirects', () => {
  it('a 302 to the tarball is followed; the release is verified and switched to', async () => {
    const s = await each.sandbox();
    await s.publish({ version: 'v0.4.5' });
    const origin = await redirecting((p) => `${s.server.origin}${p}`);
    const r = await runGlr(['reconcile', '-f', viaMirror(s, origin)]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await s.host.healthyOn('v0.4.5')).toBe(true);
    expect(s.host.doubleRuns()).toEqual([]);
  });

  it('a redirect loop: refused after a bounded number of hops, nothing kept', async () => {
    const s = await each.sandbox();
    await s.publish({ version: 'v0.4.5' });
    let origin = '';
    origin = await redirecting((p) => `${origin}${p}?again`);
    await expectRefusal(s.host, viaMirror(s, origin), {
      line: /^glr: downloading v0\.4\.5 from http:\/\/127\.0\.0\.1:\d+\/\S+ failed: still redirected \(HTTP 302\) after 5 redirects; check release\.url$/,
    });
  });
});
