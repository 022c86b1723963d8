/**
 * A write under `.glr` that fails inside the switch window (here `.glr` turns read-only right
 * after the stop; on a real host a full disk, ENOSPC, does the same): the journal serves
 * recovery, and failing to write it never keeps glr from bringing a node up. The outcome says
 * the journal could not be written; nothing is reported as a bug in glr.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApplyContext } from '../../src/actions/context.js';
import type { Plan, WindowStep } from '../../src/plan/types.js';
import { SwitchWindow } from '../../src/switch/window.js';
import { waitFor } from '../../sandbox/host.js';
import { type Sandbox, sandboxEachTest } from '../helpers/sandbox.js';
import { hasStackTrace } from '../helpers/glr.js';
import { startGlrWithOwnMounts } from '../helpers/mounts.js';
import { applyContext } from '../helpers/apply-context.js';

const each = sandboxEachTest();

/** reconcile to `version`, with `.glr` read-only for glr from the moment the node is confirmed stopped */
async function readOnlyAfterTheStop(s: Sandbox, version: string, timeoutSeconds = 10) {
  const file = s.host.writeDesired({ version, timeoutSeconds });
  const glr = startGlrWithOwnMounts(['reconcile', '-f', file], { GLR_FAILPOINT: 'stopped:2000' });
  await waitFor(() => glr.stderr().includes('failpoint stopped reached'), { timeoutMs: 30_000, what: 'the stop' });
  glr.readOnly(path.join(s.host.root, '.glr'));
  return glr.done;
}

const JOURNAL_UNWRITTEN = /the journal \(\S+\/\.glr\/journal\.json\) could not be written: read-only file system/;

describe('.glr refuses writes inside the window', () => {
  it('the switch goes on: healthy on the new version (exit 0), and the outcome says the journal could not be written', async () => {
    const s = await each.sandbox();
    await s.publish({ version: 'v0.4.5' });
    const r = await readOnlyAfterTheStop(s, 'v0.4.5');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^v0\.4\.5 is healthy \(switch window \d+ ms; validator down \d+ ms\)/);
    expect(r.stdout).toMatch(JOURNAL_UNWRITTEN);
    expect(r.stdout + r.stderr).not.toMatch(/internal error|this is a bug/);
    expect(hasStackTrace(r), r.stderr).toBe(false);
    expect(await s.host.healthyOn('v0.4.5')).toBe(true);
    expect(s.host.doubleRuns()).toEqual([]);
  });

  it('the rollback goes on too: the old version is up again (exit 3), the journal reported unwritten', async () => {
    const s = await each.sandbox();
    await s.publish({ version: 'v0.4.6', mode: 'die-on-start' });
    const r = await readOnlyAfterTheStop(s, 'v0.4.6');
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toMatch(/rolled back: v0\.4\.3 is healthy again/);
    expect(r.stdout).toMatch(JOURNAL_UNWRITTEN);
    expect(r.stdout + r.stderr).not.toMatch(/internal error|this is a bug/);
    expect(hasStackTrace(r), r.stderr).toBe(false);
    expect(await s.host.healthyOn('v0.4.3')).toBe(true);
    expect(s.host.linkVersions()).toEqual(['v0.4.3']);
    expect(s.host.doubleRuns()).toEqual([]);
  });
});

describe('the opening record of the journal, when it cannot be written', () => {
  let root: string | undefined;
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
    root = undefined;
  });

  /** a window over a root whose .glr is a file: every journal write fails */
  function windowOn(steps: WindowStep['kind'][]): SwitchWindow {
    root = mkdtempSync(path.join(os.tmpdir(), 'glr-journal-'));
    writeFileSync(path.join(root, '.glr'), 'not a folder\n');
    const ctx: ApplyContext = applyContext(root);
    const plan = { switch: { leaving: 'v0.4.3', entering: 'v0.4.5' }, target: 'v0.4.5', intent: 'converge', window: steps.map((kind) => ({ kind })) };
    return new SwitchWindow(ctx, plan as unknown as Plan);
  }

  it('refuses a switch that would stop a running node (it stays up)', async () => {
    const w = windowOn(['open-journal', 'stop', 'swap', 'start']);
    await expect(w.openJournal('switching')).rejects.toThrow(/^the journal \(\S+\/\.glr\/journal\.json\) cannot be written: \S+\/\.glr: already exists$/);
  });

  it('does not keep a node that is down from being started: the window goes on, the outcome names it', async () => {
    const w = windowOn(['open-journal', 'start']);
    await w.openJournal('switching');
    expect(w.writeProblems()).toEqual([expect.stringMatching(/^the journal \(\S+\/\.glr\/journal\.json\) could not be written: \S+\/\.glr: already exists$/)]);
  });
});
