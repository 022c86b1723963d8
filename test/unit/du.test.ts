import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diskUsage } from '../../src/runtime/du.js';

describe('diskUsage: what a version folder takes on disk', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'glr-du-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts as du -s does: blocks, each hard link once, links not followed', async () => {
    const v = path.join(dir, 'v0.4.5');
    mkdirSync(path.join(v, 'bin/deep/er'), { recursive: true });
    writeFileSync(path.join(v, 'bin/genlayernode'), Buffer.alloc(300_000, 1));
    writeFileSync(path.join(v, 'bin/deep/er/small'), 'x');
    linkSync(path.join(v, 'bin/genlayernode'), path.join(v, 'bin/hardlink'));
    // the shared DB, outside, through a link (as data/node/genlayer.db is): not counted
    writeFileSync(path.join(dir, 'big-db'), Buffer.alloc(5_000_000, 1));
    symlinkSync(path.join(dir, 'big-db'), path.join(v, 'genlayer.db'));
    const du = Number(execFileSync('du', ['-sB1', v], { encoding: 'utf8' }).split('\t')[0]);
    expect(await diskUsage(v)).toBe(du);
    expect(du).toBeLessThan(1_000_000);
  });

  it('null for a folder that is not there', async () => {
    expect(await diskUsage(path.join(dir, 'nope'))).toBeNull();
  });
});
