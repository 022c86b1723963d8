/**
 * Promise 8 on a host glr never touched: a host laid out by hand with the runbook —
 * direct links, no `current`, no glr marker anywhere. Every bad input found while preparing ends
 * in exit 1 with one line, and the host stays byte for byte as it was: the links and their raw
 * targets, the absence of `current`, every file (no adoption marker either); only glr's own `.glr/`
 * bookkeeping may appear. Each case gets a fresh host: a host routed by an earlier case would
 * prove nothing.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hostileRelease } from '../../sandbox/hostile-tarballs.js';
import { buildRelease } from '../../sandbox/releases.js';
import { expectRefusal, snapshot } from '../helpers/hostile.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.cleanup();
  sb = undefined;
});

const V = 'v0.4.5';

/** A fresh runbook host; `arrange` sets up the fault; the refusal must leave the host untouched. */
async function untouched(arrange: (s: Sandbox) => Promise<string>, line: RegExp): Promise<void> {
  sb = await createSandbox();
  const root = sb.host.root;
  expect(existsSync(path.join(root, 'current'))).toBe(false);
  expect(readdirSync(root).filter((n) => n.startsWith('.glr'))).toEqual([]);
  const file = await arrange(sb);
  const before = snapshot(sb.host);
  await expectRefusal(sb.host, file, { line, before });
  expect(existsSync(path.join(root, 'current')), 'a current link appeared').toBe(false);
  expect(existsSync(path.join(root, 'v0.4.3/.glr-prepared')), 'the running version was adopted').toBe(false);
}

describe('a failed preparation leaves a hand-laid host byte for byte as it was', () => {
  it('a truncated download', async () => {
    await untouched(async (s) => {
      await s.publish({ version: V });
      s.server.fault(V, { kind: 'truncate' });
      return s.host.writeDesired({ version: V });
    }, /^glr: downloading v0\.4\.5 from \S+ failed: the transfer was cut short/);
  });

  it("a body that does not match the bucket's hash", async () => {
    await untouched(async (s) => {
      await s.publish({ version: V });
      s.server.fault(V, { kind: 'corrupt' });
      return s.host.writeDesired({ version: V });
    }, /^glr: the v0\.4\.5 download does not match the bucket's (md5|crc32c) \(x-goog-hash\)/);
  });

  it('a pinned sha256 that does not match', async () => {
    await untouched(async (s) => {
      await s.publish({ version: V });
      return s.host.writeDesired({ version: V, sha256: createHash('sha256').update('another tarball').digest('hex') });
    }, /^glr: checksum mismatch for v0\.4\.5/);
  });

  it('a hostile tarball (an entry that leaves its folder, after the honest ones)', async () => {
    await untouched(async (s) => {
      s.server.add(V, hostileRelease(V, { after: [{ path: '{top}/../../escaped.txt', type: 'file', content: 'x' }] }));
      return s.host.writeDesired({ version: V });
    }, /^glr: the v0\.4\.5 tarball is refused: entry .* leaves its folder/);
  });

  it('an LLM set-up that leaves no enabled backend with a key', async () => {
    await untouched(async (s) => {
      await s.publish({ version: V });
      return s.host.writeDesired({ version: V, providers: { heurist: false, openai: false } });
    }, /^glr: no enabled LLM backend of v0\.4\.5 has its key set in \.env/);
  });

  it('a version that is not published (404)', async () => {
    await untouched(async (s) => {
      s.server.add('v0.4.4', await buildRelease({ version: 'v0.4.4' }));
      return s.host.writeDesired({ version: V });
    }, /^glr: release v0\.4\.5 not found \(HTTP 404/);
  });
});
