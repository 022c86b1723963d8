/**
 * glr's own folder, `{root}/.glr`, not as glr left it: a folder where its journal or history
 * file should be, a file where the folder (or its staging folder) should be, a read-only one, a
 * backup that cannot be written. Each is named in one line, found before anything is done where
 * it can be (observe, then the plan refuses: the dry-run says it too), and never reported as a
 * bug in glr.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../sandbox/host.js';
import { type Sandbox, sandboxEachTest } from '../helpers/sandbox.js';
import { expectRefusal } from '../helpers/hostile.js';
import { errorLines, hasStackTrace, runGlr } from '../helpers/glr.js';
import { startGlrWithOwnMounts } from '../helpers/mounts.js';

const each = sandboxEachTest();

const glrDir = (s: Sandbox) => path.join(s.host.root, '.glr');

describe('a folder where a file of glr should be', () => {
  for (const name of ['journal.json', 'history.jsonl']) {
    it(`.glr/${name}: every command names the file in one line (status too)`, async () => {
      const s = await each.sandbox();
      await s.publish({ version: 'v0.4.5' });
      mkdirSync(path.join(glrDir(s), name), { recursive: true });
      const file = s.host.writeDesired({ version: 'v0.4.5' });
      const line = new RegExp(
        `^glr: cannot observe \\S+: \\S+/\\.glr/${name.replace('.', '\\.')} is a folder where glr keeps a file: move it aside and run again$`,
      );
      await expectRefusal(s.host, file, { line, dryRun: 'same' });
      const status = await runGlr(['status', '-f', file]);
      expect(status.code, status.stdout + status.stderr).toBe(1);
      expect(errorLines(status)).toEqual([expect.stringMatching(line)]);
      expect(hasStackTrace(status)).toBe(false);
    });
  }
});

describe('a file where a folder of glr should be', () => {
  for (const name of ['.glr', '.glr/staging']) {
    it(`${name}: refused by the plan (the dry-run says it too), not an ENOTDIR in the middle of the apply`, async () => {
      const s = await each.sandbox();
      await s.publish({ version: 'v0.4.5' });
      if (name !== '.glr') mkdirSync(glrDir(s));
      writeFileSync(path.join(s.host.root, name), 'not a folder\n');
      const file = s.host.writeDesired({ version: 'v0.4.5' });
      const before = s.host.tree();
      const line = new RegExp(
        `^glr: \\S+/${name.replace('.', '\\.')} is not a folder: glr keeps its journal, history, staging and backups under \\S+/\\.glr; move it aside and run again$`,
      );
      for (const args of [['--dry-run'], []]) {
        const r = await runGlr(['reconcile', ...args, '-f', file]);
        expect(r.code, r.stdout + r.stderr).toBe(1);
        expect(errorLines(r)).toEqual([expect.stringMatching(line)]);
      }
      expect(s.host.tree()).toEqual(before);
      expect(await s.host.healthyOn('v0.4.3')).toBe(true);
    });
  }
});

describe('.glr that refuses writes from the start', () => {
  it('read-only: refused by the plan, saying read-only (not an ENOENT)', async () => {
    const s = await each.sandbox();
    await s.publish({ version: 'v0.4.5' });
    mkdirSync(glrDir(s));
    const file = s.host.writeDesired({ version: 'v0.4.5' });
    const line =
      /^glr: \S+\/\.glr is read-only \(read-only file system\): glr writes its journal, history, staging and backups there; make it writable and run again$/;
    for (const dryRun of [true, false]) {
      const glr = startGlrWithOwnMounts(['reconcile', ...(dryRun ? ['--dry-run'] : []), '-f', file], {}, { readOnly: glrDir(s) });
      const r = await glr.done;
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(errorLines(r)).toEqual([expect.stringMatching(line)]);
    }
    expect(await s.host.healthyOn('v0.4.3')).toBe(true);
  });
});

describe('a backup that cannot be written', () => {
  it('says the backup failed and why, and stops nothing', async () => {
    const s = await each.sandbox();
    await s.publish({ version: 'v0.4.5', setupMs: 2000 });
    mkdirSync(path.join(glrDir(s), 'backups'), { recursive: true });
    const file = s.host.writeDesired({ version: 'v0.4.5' });
    const glr = startGlrWithOwnMounts(['reconcile', '-f', file]);
    await waitFor(() => glr.stderr().includes('"action":"genvm-setup"'), { timeoutMs: 30_000, what: 'the GenVM setup' });
    // the disk under the backups refuses writes from now on (full, or read-only)
    glr.readOnly(path.join(glrDir(s), 'backups'));
    const r = await glr.done;
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(errorLines(r)).toEqual([
      expect.stringMatching(
        /^glr: backing up \.env and config\.yaml of v0\.4\.3 under \S+\/\.glr\/backups\/\S+ failed: \S+: read-only file system; nothing was stopped$/,
      ),
    ]);
    expect(await s.host.healthyOn('v0.4.3')).toBe(true);
    expect(s.host.linkVersions()).toEqual(['v0.4.3']);
  });
});
