import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApplyContext } from '../../src/actions/context.js';
import { warmCache } from '../../src/actions/warm-cache.js';
import { Layout } from '../../src/layout.js';
import { SignalGuard } from '../../src/runtime/signals.js';
import { tuningFromEnv } from '../../src/runtime/tuning.js';

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

function ctx(r: string): ApplyContext {
  const log = pino({ level: 'silent' });
  return {
    layout: new Layout(r),
    log,
    service: { description: 't', state: async () => 'running', start: async () => {}, stop: async () => {}, stopBoundMs: async (ms) => ms },
    healthUrl: 'http://127.0.0.1:1/health',
    signals: new SignalGuard(log),
    secrets: [],
    tuning: tuningFromEnv({}),
  };
}

describe('warm-cache', () => {
  it("reads every file under bin/ and third_party/genvm/ once, and nothing else (not the validator's files)", async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'glr-warm-'));
    const v = path.join(root, 'v0.4.5');
    const file = (rel: string, bytes: number) => {
      mkdirSync(path.dirname(path.join(v, rel)), { recursive: true });
      writeFileSync(path.join(v, rel), Buffer.alloc(bytes, 7));
    };
    file('bin/genlayernode', 3 * 2 ** 20 + 5);
    file('third_party/genvm/bin/genvm', 1000);
    file('third_party/genvm/lib/big.bin', 2 ** 20);
    file('third_party/other/not-read.bin', 4096);
    file('.env', 10);
    file('data/node/keystore/UTC--x', 10);
    symlinkSync('genvm', path.join(v, 'third_party/genvm/bin/genvm-link'));
    const r = await warmCache(ctx(root), 'v0.4.5');
    expect(r).toEqual({ files: 3, bytes: 3 * 2 ** 20 + 5 + 1000 + 2 ** 20 });
  });

  it('a version without those folders reads nothing and does not fail', async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'glr-warm-'));
    mkdirSync(path.join(root, 'v0.4.5'));
    expect(await warmCache(ctx(root), 'v0.4.5')).toEqual({ files: 0, bytes: 0 });
  });
});
